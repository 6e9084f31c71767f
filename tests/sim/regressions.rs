//! Schedules the simulator once failed on, kept as named tests (each shrunk to its minimum).

use super::invariants;
use super::server::Lifetime;
use super::world::{self, Action, Profile, Step, World};
use wasm_token_manager::core::machine::Scope;

/// Replay a schedule step by step, checking the invariants as the simulator does.
pub fn replay(tabs: usize, steps: &[Step]) {
    replay_with(tabs, Profile::default(), steps);
}

/// Replay a schedule with the session features of `profile`.
pub fn replay_with(tabs: usize, profile: Profile, steps: &[Step]) {
    let mut world = World::with(tabs, profile);
    for &step in steps {
        world.step(step);
        invariants::after_step(&mut world);
    }
    invariants::at_quiescence(&mut world);
}

#[test]
fn two_tabs_login_fetch_refresh_logout() {
    use Step::*;
    replay(
        2,
        &[
            Act { tab: 0, action: Action::Login(1) },
            Network(0),
            Network(0),
            Network(0),
            Channel(0),
            Act { tab: 1, action: Action::Fetch },
            Advance(31_000),
            Network(0),
            Network(0),
            Act { tab: 1, action: Action::Logout(Scope::Local) },
        ],
    );
}

#[test]
fn one_tab_nothing_happens() {
    replay(1, &[]);
}

#[test]
fn logout_then_two_logins_behind_a_restore() {
    use Step::*;
    replay(
        1,
        &[
            Act { tab: 0, action: Action::Logout(Scope::Local) },
            Act { tab: 0, action: Action::Fetch },
            Advance(20_000),
            OpenTab,
            Act { tab: 2, action: Action::Login(0) },
            Act { tab: 2, action: Action::Login(0) },
            Act { tab: 1, action: Action::Fetch },
        ],
    );
}

#[test]
fn logout_and_login_after_the_clock_went_back() {
    use Step::*;
    replay(
        2,
        &[
            Advance(20_000),
            Act { tab: 0, action: Action::Login(0) },
            Network(0),
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            Advance(31_000),
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            ClockJump(false),
            Act { tab: 0, action: Action::Fetch },
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            Network(0),
            Act { tab: 0, action: Action::Logout(Scope::Local) },
            Act { tab: 0, action: Action::Login(0) },
        ],
    );
}

/// Found by the simulator: tab 0's logout is queued behind its restore; tab 3's login, called
/// later, races it for the lock. Whichever gets the lock first, and whether or not the login's
/// broadcast has arrived, the last action (the login) wins: tabs read the newest session from
/// the shared record under the lock, logins carry their call's epoch, and a logout ends again
/// at its own epoch.
#[test]
fn login_racing_an_earlier_logout() {
    use Step::*;
    let mut steps = vec![Act { tab: 0, action: Action::Fetch }; 6];
    steps.extend([
        Act { tab: 0, action: Action::Logout(Scope::Local) },
        Network(0),
        Act { tab: 3, action: Action::Remount },
        Act { tab: 0, action: Action::Fetch },
        Act { tab: 0, action: Action::Fetch },
        Act { tab: 0, action: Action::Fetch },
        Act { tab: 3, action: Action::Login(0) },
    ]);
    let mut world = World::new(4);
    for step in steps {
        world.step(step);
        invariants::after_step(&mut world);
    }
    world.quiesce();
    let holders = world.tabs.iter().filter(|t| t.machine.access_token().is_some()).count();
    assert_eq!(holders, world.tabs.len(), "the last action, a login, wins in every tab");
}

/// Found by the simulator: two tabs log in; the device clock goes back 1 h in between. The
/// later login's epoch comes from the shared record (+1), not only the wall clock.
#[test]
fn logins_after_the_clock_went_back() {
    use Step::*;
    let mut world = World::new(2);
    for step in [
        Act { tab: 0, action: Action::Login(0) },
        Network(0),
        Network(0),
        Network(0),
        Network(0),
        ClockJump(false),
        Act { tab: 1, action: Action::Login(1) },
    ] {
        world.step(step);
    }
    world.quiesce();
    let users: Vec<_> = world.tabs.iter().map(|t| t.machine.access_token().map(str::to_owned)).collect();
    assert!(users.windows(2).all(|w| w[0] == w[1]), "tabs disagree: {users:?}");
}

/// Found by the simulator: a login, the clock set back 1 h, a logout in the same tab. The
/// logout's end must outrank the login called before it, whatever the clock says.
#[test]
fn logout_after_a_login_with_the_clock_set_back() {
    use Step::*;
    replay(
        1,
        &[
            Act { tab: 0, action: Action::Login(0) },
            ClockJump(false),
            Act { tab: 0, action: Action::Logout(Scope::Local) },
        ],
    );
}

/// Found by the simulator: a logout in tab 0 while a remounted tab 1 restores.
#[test]
fn restore_during_another_tabs_logout() {
    use Step::*;
    replay(
        2,
        &[
            Network(0),
            Act { tab: 5, action: Action::Fetch },
            Act { tab: 1, action: Action::Logout(Scope::Local) },
            OpenTab,
            Act { tab: 2, action: Action::Fetch },
            Network(0),
            Advance(31_000),
            Act { tab: 0, action: Action::Fetch },
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Login(0) },
            Network(0),
            Network(4),
            Network(2),
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Network(0),
            Network(0),
            Network(14),
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Network(4),
            Act { tab: 0, action: Action::Logout(Scope::Local) },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 1, action: Action::Remount },
            Advance(20_000),
        ],
    );
}

/// Found by the simulator: two logins as different users in two tabs, then a sleep.
#[test]
fn two_logins_then_sleep() {
    use Step::*;
    replay(
        5,
        &[
            Network(0),
            Network(0),
            Act { tab: 1, action: Action::Login(1) },
            Act { tab: 5, action: Action::Login(0) },
            Sleep { ms: 60_000, mono_stops: false },
        ],
    );
}

/// Found by the simulator: after a sleep, a refresh answered 503 once.
#[test]
fn a_503_after_sleep_is_retried_for_the_waiting_request() {
    use Step::*;
    replay(
        3,
        &[
            Network(0),
            Network(0),
            Act { tab: 3, action: Action::Refresh },
            Act { tab: 3, action: Action::Login(0) },
            Advance(5_000),
            Network(0),
            Act { tab: 1, action: Action::Login(0) },
            Network(0),
            Act { tab: 0, action: Action::Refresh },
            Network(0),
            Advance(31_000),
            Network(0),
            Network(2),
            Network(0),
            Act { tab: 0, action: Action::Refresh },
            Network(0),
            Sleep { ms: 60_000, mono_stops: false },
            Step::Fault(super::world::Fault::Status503),
            Network(0),
            Act { tab: 0, action: Action::Fetch },
        ],
    );
}

/// Found by the simulator: requests answered after their token expired, then setAccessToken.
#[test]
fn late_answers_then_set_access_token() {
    use Step::*;
    replay(
        1,
        &[
            CloseTab(0),
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Login(0) },
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Advance(31_000),
            Act { tab: 0, action: Action::SetToken },
        ],
    );
}

/// Found by the simulator: a 503 armed before a request started struck the refresh run it
/// joined (after three timeouts): the 401 it got is the fault's, counted when it strikes.
#[test]
fn a_fault_armed_before_a_request_strikes_after_it() {
    use super::world::Fault;
    use Step::*;
    replay(
        2,
        &[
            Network(0),
            Act { tab: 2, action: Action::Login(0) },
            Network(0),
            Advance(20000),
            Network(7),
            Network(1),
            Act { tab: 0, action: Action::Login(0) },
            Fault(Fault::Status503),
            Act { tab: 1, action: Action::Fetch },
            Channel(0),
            Network(0),
            Advance(31000),
            Advance(5000),
            Advance(20000),
            Network(1),
            CloseTab(0),
            Advance(31000),
            Network(6),
            Advance(5000),
            Sleep { ms: 60000, mono_stops: true },
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            Network(5),
        ],
    );
}

/// Found by the simulator: a login answer that waited 60 s in the buffer while the machine slept
/// (monotonic clock stopped) was adopted as fresh; the server had issued it before the sleep, so a
/// peer's request with it got a 401. A token's lifetime now counts from when its POST left.
#[test]
fn a_login_answer_read_after_a_sleep_is_aged_by_it() {
    use Step::*;
    replay(
        4,
        &[
            Act { tab: 1, action: Action::Logout(Scope::Local) },
            Network(0),
            Network(0),
            Act { tab: 4, action: Action::Refresh },
            Act { tab: 4, action: Action::Login(0) },
            Advance(200),
            Network(0),
            Network(0),
            Advance(20000),
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Network(4),
            Network(1),
            Network(0),
            Network(0),
            CloseTab(5),
            Network(8),
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 2, action: Action::Fetch },
            Network(4),
            Sleep { ms: 60000, mono_stops: true },
            Network(1),
            Act { tab: 0, action: Action::Refresh },
            Channel(0),
            Channel(0),
            Act { tab: 2, action: Action::Fetch },
        ],
    );
}

/// Found by the simulator: a refresh POST out when the machine slept (monotonic clock stopped) was
/// answered after the wake. Counted from when it left, its token was dead on arrival, and the
/// request waiting for it went out bare (401). A token that arrives dead after a wait no awake page
/// has is one more attempt (the cookie it set is current: no reuse).
#[test]
fn a_refresh_answered_after_a_sleep_is_tried_again() {
    use Step::*;
    replay(
        1,
        &[
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Login(0) },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Refresh },
            Network(6),
            Network(14),
            Advance(31000),
            Act { tab: 0, action: Action::Fetch },
            Sleep { ms: 60000, mono_stops: true },
        ],
    );
}

/// Found by the simulator: a logout in one tab, its manager remounted before the POST (the server
/// session lives on); the new manager's restore took another tab's token of the ended session
/// before it read the end in the shared record, and finished as if a peer had refreshed: it stayed
/// signed in while every other tab had ended. A restore that learns of an end now asks the cookie
/// (its new epoch brings every tab along).
#[test]
fn a_restore_that_learns_of_an_end_asks_the_cookie() {
    use Step::*;
    replay(
        6,
        &[
            Act { tab: 5, action: Action::Logout(Scope::Local) },
            Network(0),
            Act { tab: 0, action: Action::Refresh },
            Network(0),
            Act { tab: 0, action: Action::Refresh },
            Advance(5000),
            Network(0),
            Network(0),
            Act { tab: 3, action: Action::Login(0) },
            Advance(20000),
            Network(0),
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 4, action: Action::Refresh },
            Advance(200),
            Network(0),
            Network(0),
            Sleep { ms: 60000, mono_stops: false },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 2, action: Action::Logout(Scope::Local) },
            Act { tab: 2, action: Action::Remount },
        ],
    );
}

/// Found by the simulator: a restore's refresh was overtaken by another tab's login; then the
/// device clock jumped 1 h forward, so the token taken from that login looked dead. The run ended
/// as if a peer had refreshed, and the request waiting for it went out bare (401). A superseded run
/// whose current token is dead renews it, the lock still held.
#[test]
fn a_superseded_answer_renews_a_token_the_clock_killed() {
    use Step::*;
    replay(
        6,
        &[
            Act { tab: 0, action: Action::Login(0) },
            Network(0),
            Network(0),
            Act { tab: 1, action: Action::Remount },
            Advance(31000),
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 2, action: Action::Remount },
            Advance(200),
            Network(0),
            Network(1),
            Network(1),
            Channel(5),
            ClockJump(true),
            Act { tab: 3, action: Action::Fetch },
        ],
    );
}

/// Found by the simulator: a fresh tab (no session) calls login() while its restore holds the lock;
/// another tab logs out later. The login got the lock after the logout and read its end from the
/// shared record, but a tab with no session only learns the epoch, so the login went out and beat
/// the later logout. A login called before an end learnt that way is superseded too.
#[test]
fn a_login_called_before_a_logout_it_waited_behind() {
    use Step::*;
    replay(
        2,
        &[
            Network(0),
            Network(0),
            Act { tab: 1, action: Action::Login(0) },
            Advance(200),
            Act { tab: 0, action: Action::Logout(Scope::Local) },
        ],
    );
}

/// Found by the simulator: the fourth attempt of a run that had timed out three times was answered
/// after a sleep, its token dead on arrival; taken as a failed attempt, it ended the run and the
/// waiting request went out bare (401). A late answer is asked again at once, not counted as an
/// attempt.
#[test]
fn a_late_answer_on_the_last_attempt_is_not_a_failure() {
    use Step::*;
    replay(
        2,
        &[
            Network(0),
            Act { tab: 2, action: Action::Login(0) },
            Network(0),
            Advance(20000),
            Network(7),
            Network(1),
            Channel(0),
            Advance(31000),
            Advance(200),
            Advance(20000),
            CloseTab(1),
            Advance(31000),
            Sleep { ms: 60000, mono_stops: true },
            Act { tab: 0, action: Action::Fetch },
        ],
    );
}

/// Found by the simulator: requests started while the network was down (a fault armed earlier) were
/// answered 401 once it came back, their refresh having failed on the dead network. The model now
/// counts the end of an outage as a fault too (and fires online).
#[test]
fn a_request_started_while_the_network_was_down() {
    use Step::*;
    replay(
        2,
        &[
            Network(0),
            Act { tab: 2, action: Action::Login(0) },
            Network(0),
            Advance(200),
            Network(0),
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Refresh },
            Network(0),
            NetworkDown(true),
            Advance(20000),
            Advance(5000),
            Advance(20000),
            CloseTab(1),
            Advance(31000),
            Act { tab: 0, action: Action::Fetch },
            Sleep { ms: 60000, mono_stops: true },
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            Network(2),
        ],
    );
}

/// Found by the simulator: a new tab's restore waited for the lock behind a login; a logout was
/// called after the restore, in the other tab. The restore read the end from the shared record,
/// took it for news older than itself, revived the session from the cookie (the logout's POST was
/// still queued) with an epoch stamped at its answer, and that epoch outranked the logout, which
/// then gave up. A restore now carries its call's stamp: an end stamped later supersedes it, and a
/// revived session's epoch is the call's.
#[test]
fn a_restore_called_before_a_logout_does_not_outrank_it() {
    use Step::*;
    replay(
        1,
        &[
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Login(0) },
            OpenTab,
            Act { tab: 0, action: Action::Logout(Scope::Local) },
            Channel(0),
            Act { tab: 0, action: Action::Logout(Scope::Local) },
        ],
    );
}

/// Found by the simulator: with the clock set back, a logout's end carries its login's epoch; the
/// model's shared record kept the login (only a strictly newer epoch replaced it, unlike
/// src/web/storage.rs), so a new tab restored the session the logout had ended. The model now
/// stores as the executor does.
#[test]
fn an_end_stored_at_the_epoch_of_its_login() {
    use Step::*;
    replay(
        1,
        &[
            Act { tab: 0, action: Action::Login(0) },
            Network(0),
            Network(0),
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            ClockJump(false),
            Act { tab: 0, action: Action::Logout(Scope::Local) },
            Advance(20000),
            OpenTab,
            Act { tab: 0, action: Action::Refresh },
        ],
    );
}

/// Found by the simulator: with the clock set back, a logout ended its session at the login's own
/// epoch and the manager was remounted before the POST. A fresh tab read that end from the shared
/// record but, having no session, only learnt the epoch, then took another tab's token of the ended
/// session (its restore finished as if a peer had refreshed); and a tab of that session that missed
/// the message ignored the record because its epoch was not newer. A tab now remembers an end it
/// learns of (tokens of that session are not taken), and an end at the epoch it knows is news.
#[test]
fn an_end_at_its_login_epoch_is_news_to_a_fresh_tab() {
    use super::world::Fault;
    use Step::*;
    replay(
        1,
        &[
            OpenTab,
            Network(0),
            Network(0),
            Act { tab: 2, action: Action::Login(0) },
            OpenTab,
            Advance(20000),
            Network(1),
            Network(5),
            Act { tab: 0, action: Action::Fetch },
            Fault(Fault::Status503),
            ClockJump(false),
            Channel(1),
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Network(0),
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 3, action: Action::Logout(Scope::Local) },
            Channel(1),
            Act { tab: 3, action: Action::Remount },
        ],
    );
}

/// Found by the simulator: a logout whose POST timed out, the clock set back, then a new tab: its
/// restore was superseded by the end it read from the shared record, but its refresh() then renewed
/// the session from the cookie at the ended epoch, and the tab that logged out ignored that token.
/// A refresh after an end learnt of starts a new epoch, as one after an end here does.
#[test]
fn a_refresh_after_a_learnt_end_starts_a_new_session() {
    use Step::*;
    replay(
        1,
        &[
            Act { tab: 0, action: Action::Login(0) },
            Network(0),
            Network(0),
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Logout(Scope::Local) },
            ClockJump(false),
            Advance(20000),
            OpenTab,
            Act { tab: 5, action: Action::Refresh },
        ],
    );
}

/// Found by the simulator: a refresh run backed off after a 503; the app then handed in
/// (setAccessToken) a token already dead at the server, and a request with it got a 401 and joined
/// the run. Back under the lock, the run took the app's token for a refresh another tab had made
/// and stopped, so the 401 went to the app. A 401 on a token now tells the run it joins that this
/// token is not the refresh it was after.
#[test]
fn a_401_on_a_token_set_during_a_run_is_refreshed() {
    use super::world::Fault;
    use Step::*;
    replay(
        1,
        &[
            Act { tab: 0, action: Action::Login(0) },
            Network(0),
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            Network(8),
            Advance(31000),
            Fault(Fault::Status503),
            Network(5),
            Act { tab: 0, action: Action::SetToken },
            Act { tab: 0, action: Action::Fetch },
        ],
    );
}

/// Found by the simulator: requests joined a run whose last attempt had already been answered 503
/// by the server (the answer still on its way): its failure sent them bare (401). The model now
/// counts a fault again when its answer reaches the tab.
#[test]
fn a_fault_answer_that_lands_after_a_request_joined() {
    use super::world::Fault;
    use Step::*;
    replay(
        1,
        &[
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Login(0) },
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            Network(2),
            Fault(Fault::Status503),
            Act { tab: 0, action: Action::Refresh },
            Advance(31000),
            Advance(20000),
            Network(4),
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
        ],
    );
}

/// Found by the simulator: a tab that had heard of a logout restored after another tab's login
/// (which it read from the shared record) and before that tab's second login reached the server;
/// its token, taken for a revived session, got an epoch stamped at its answer, above the second
/// login's, so every tab took it while the cookie was the second login's. A refresh after an end
/// starts a new session only when no newer one is known.
#[test]
fn a_restore_after_an_end_continues_a_newer_login() {
    use Step::*;
    replay(
        3,
        &[
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 2, action: Action::Logout(Scope::Local) },
            Network(0),
            Channel(2),
            Network(0),
            Act { tab: 1, action: Action::Login(0) },
            Act { tab: 0, action: Action::Fetch },
            Advance(200),
            Act { tab: 1, action: Action::Login(1) },
            Act { tab: 0, action: Action::Restore },
            Network(11),
            Network(2),
            Advance(200),
        ],
    );
}

/// Found by the simulator: a request replayed with a fresh token was on the wire when the machine
/// slept 60 s; it reached the server after that token died (401). No client can prevent it: the 401
/// check leaves out requests that were on the wire through a sleep.
#[test]
fn a_replay_on_the_wire_through_a_sleep() {
    use Step::*;
    replay(
        2,
        &[
            Act { tab: 0, action: Action::Logout(Scope::Local) },
            Network(0),
            Network(0),
            Network(0),
            Network(0),
            Advance(200),
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Login(0) },
            Act { tab: 0, action: Action::Fetch },
            Network(7),
            Network(2),
            Network(8),
            OpenTab,
            Network(5),
            Advance(20000),
            Advance(20000),
            Network(4),
            Advance(20000),
            CloseTab(1),
            Act { tab: 3, action: Action::SetToken },
            Network(0),
            Act { tab: 3, action: Action::Fetch },
            Network(0),
            Network(4),
            Network(4),
            Network(2),
            Network(4),
            Network(13),
            Sleep { ms: 60000, mono_stops: false },
        ],
    );
}

/// Found with the rotation-rate property's latency bounds (a hand-made schedule: the window is
/// a few ms): tab 1's refresh timer fired just after tab 0 refreshed and released the lock,
/// before tab 0's token message arrived; the lock was free, so tab 1 rotated again. A
/// background run now waits `LOCK_SETTLE_MS` for such a message even when the lock was free.
#[test]
fn a_timer_that_fires_as_another_tab_releases_the_lock() {
    use Step::*;
    let mut world = World::new(2);
    world.act(0, Action::Login(0));
    world.quiesce();
    world.latency_bound = Some((1_000.0, 20.0));
    let now = world.now();
    let timers: Vec<f64> = world.tabs.iter().filter_map(|t| t.machine.poll_timeout(now)).collect();
    let (first, second) = (timers[0].min(timers[1]), timers[0].max(timers[1]));
    let rotations = world.server.rotations;
    world.advance(first - now.mono_ms + 1.0); // the first timer fires: lock, POST
    world.step(Network(0)); // the POST reaches the server
    let now = world.now();
    world.advance(second - now.mono_ms - 3.0);
    world.step(Network(0)); // its answer lands 2 ms before the second timer
    world.advance(5.0);
    world.quiesce();
    invariants::after_step(&mut world);
    assert_eq!(world.server.rotations - rotations, 1, "one rotation for one refresh point");
}

/// Found while checking that the simulator catches a mutation (seed 2): a tab that had ended (a
/// first logout) heard of a second end at a later epoch (the clock set back, so a login and its
/// logout share one epoch) and only moved its epoch; a token of that ended session, refreshed by a
/// tab that had not heard of it yet, was then taken. An ended tab now remembers a later end it
/// hears of.
#[test]
fn an_end_heard_after_another_end_is_remembered() {
    use Step::*;
    replay(
        4,
        &[
            Network(0),
            Act { tab: 1, action: Action::Logout(Scope::Local) },
            Network(0),
            Act { tab: 0, action: Action::Login(0) },
            Advance(200),
            ClockJump(false),
            Network(0),
            Act { tab: 0, action: Action::Refresh },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 1, action: Action::Fetch },
            Network(13),
            Act { tab: 2, action: Action::Refresh },
            Network(2),
            Act { tab: 1, action: Action::Fetch },
            CloseTab(0),
            Act { tab: 2, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Logout(Scope::Local) },
        ],
    );
}

/// Found by the simulator (seed 6): a login called after a logout succeeded, and its tab closed at
/// once; the model dropped the token message it had posted, so the other tabs stayed logged out
/// while the cookie was the login's. BroadcastChannel queues a message on every receiver when it is
/// posted: the model now delivers messages of a closed tab.
#[test]
fn a_login_whose_tab_closes_at_once() {
    use Step::*;
    replay(
        4,
        &[
            Network(0),
            Network(0),
            Act { tab: 3, action: Action::Login(0) },
            Advance(200),
            Network(0),
            CloseTab(2),
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 2, action: Action::Logout(Scope::Local) },
            Network(0),
            Network(0),
            Act { tab: 1, action: Action::Login(0) },
            Advance(200),
            Network(0),
            Network(0),
            CloseTab(1),
        ],
    );
}

/// Found by the simulator (seed 13): the app handed a token already dead at the server to a tab
/// whose logout still waited for the lock (setAccessToken), and a request with it got a 401.
/// Outside the manager's guarantees: the 401 check leaves out requests whose last send carried a
/// token the app handed in dead.
#[test]
fn a_dead_token_handed_in_during_a_pending_logout() {
    use Step::*;
    replay(
        4,
        &[
            Act { tab: 0, action: Action::Login(0) },
            Network(0),
            Act { tab: 0, action: Action::Login(0) },
            Network(0),
            Act { tab: 3, action: Action::Fetch },
            Act { tab: 0, action: Action::Login(0) },
            Advance(20000),
            Network(3),
            Act { tab: 1, action: Action::Logout(Scope::Local) },
            Act { tab: 0, action: Action::Refresh },
            CloseTab(3),
            Network(11),
            Sleep { ms: 60000, mono_stops: false },
            Act { tab: 1, action: Action::SetToken },
            Act { tab: 4, action: Action::Fetch },
        ],
    );
}

/// Pins a rule (mutation check: the simulator caught its reversal at seed 9, 13 steps): a tab logs
/// out, logs in again and out again while another restores; a token of an older session that
/// arrives late is ignored, however long it has left.
#[test]
fn an_older_sessions_token_is_ignored() {
    use Step::*;
    replay(
        2,
        &[
            Network(0),
            Network(0),
            Act { tab: 5, action: Action::Logout(Scope::Local) },
            Advance(200),
            Network(0),
            Network(0),
            Channel(0),
            Act { tab: 1, action: Action::Login(0) },
            Channel(0),
            Act { tab: 1, action: Action::Logout(Scope::Local) },
            Act { tab: 2, action: Action::Restore },
            Act { tab: 1, action: Action::Login(0) },
            Channel(0),
        ],
    );
}

/// Pins a rule (mutation check: the simulator caught its reversal at seed 19, 3 steps): a tab that
/// hears of an end takes the sender's epoch and does not stamp its own clock on it, so a login
/// called in the sender right after its logout outranks the end here too.
#[test]
fn a_peer_end_keeps_the_senders_epoch() {
    use Step::*;
    replay(
        2,
        &[
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 2, action: Action::Logout(Scope::Local) },
            Act { tab: 2, action: Action::Login(0) },
        ],
    );
}

/// Pins a rule (mutation check: the simulator caught its reversal at seed 19, 2 steps): a refresh
/// run that backs off (here after a timed-out restore) releases the lock while it waits; held,
/// its next attempt would queue behind its own hold until the lock wait gives up.
#[test]
fn the_lock_is_released_during_a_backoff() {
    use Step::*;
    replay(1, &[Act { tab: 0, action: Action::Refresh }, Advance(20000)]);
}

/// Found by the simulator (`make sim`, seed 1022): a late token message (sent 31 s earlier, its
/// token dead at the server) was read after the clock went back 1 h, so its age looked like zero;
/// a tab took it, got a 401, refreshed, and then took a second copy of the same late message over
/// the fresh token: the request replayed after the refresh went out with the dead token (401). A
/// message whose age is unknown no longer replaces a token of its session.
#[test]
fn fetch_after_the_clock_went_back_while_a_token_aged() {
    use Step::*;
    replay(
        5,
        &[
            Advance(20_000),
            Act { tab: 0, action: Action::Login(0) },
            Network(0),
            Act { tab: 1, action: Action::Login(0) },
            Network(0),
            Network(0),
            Network(0),
            Advance(20_000),
            Network(0),
            Network(0),
            Network(0),
            Channel(5),
            Act { tab: 1, action: Action::Fetch },
            Act { tab: 1, action: Action::Fetch },
            Advance(200),
            Network(8),
            Network(2),
            Advance(31_000),
            Channel(10),
            Channel(0),
            Channel(15),
            ClockJump(false),
            Channel(0),
            Act { tab: 3, action: Action::Fetch },
        ],
    );
}

/// Found by the simulator (`make sim`, seed 1033): `refresh()` in a tab that never held a token
/// (it asks the cookie as `restore()` does) waited for the lock behind a login; a new tab's
/// `logout()`, called later, waited behind its own restore. The refresh read the logout's end in
/// the shared record but was not ranked against it, revived the session with an epoch stamped at
/// its answer, and that epoch made the logout give up: every other tab kept the token. Such a
/// refresh is now ranked as a restore (an end stamped after its call supersedes it).
#[test]
fn logout_in_a_new_tab_while_a_refresh_and_a_login_are_in_flight() {
    use Step::*;
    replay(
        2,
        &[
            Network(0),
            Network(0),
            Advance(200),
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            OpenTab,
            Network(6),
            Network(0),
            Act { tab: 0, action: Action::Login(0) },
            Network(0),
            Network(0),
            Network(0),
            Act { tab: 2, action: Action::Refresh },
            OpenTab,
            Act { tab: 3, action: Action::Logout(Scope::Local) },
            Network(0),
            Advance(200),
        ],
    );
}

// ---- the session features ----------------------------------------------------------------

/// A lifetime of `absolute_s` seconds (no sliding), nothing else on.
fn lifetime(absolute_s: f64, remote: bool) -> Profile {
    Profile {
        remote,
        lifetime: Some(Lifetime { absolute_ms: absolute_s * 1000.0, sliding_ms: None }),
        ..Profile::default()
    }
}

/// Found by the simulator with the session features: on the remote device (one tab, no lock),
/// `login()` is on the wire when the machine sleeps for the whole 60 s lifetime; `refresh()`,
/// called on waking, queues behind it. The login's answer, read after the sleep, counts from
/// its send (the token and the session's end: both passed already), and the queued refresh
/// then POSTed past the session's end, as no input had checked the limits in between.
/// Fixed in `ops.rs` (`locked`): a refresh run checks the session's end before it POSTs.
#[test]
fn a_refresh_queued_behind_a_login_read_after_the_sessions_end() {
    use Step::*;
    replay_with(
        4,
        lifetime(60.0, true),
        &[
            Network(5),
            Network(13),
            Act { tab: 4, action: Action::Login(0) },
            Sleep { ms: 60_000, mono_stops: true },
            Act { tab: 4, action: Action::Refresh },
        ],
    );
}

/// Found by the simulator with a 60 s lifetime: tab 1 logs in, the machine sleeps past the
/// session's end, tab 1 ends it (`lifetime`); tab 2 reads tab 1's token message only then (80 s
/// late, the end still queued behind it) and adopted the token: authenticated 20 s past the
/// session's end, until its next timer ended the session once more, at a newer epoch (which
/// could end a newer login elsewhere). Fixed in `peers.rs`: a token message whose session's
/// end has passed is ignored.
#[test]
fn a_token_message_read_after_the_sessions_end() {
    use Step::*;
    replay_with(
        2,
        lifetime(60.0, false),
        &[
            Advance(20_000),
            Network(0),
            Act { tab: 0, action: Action::Login(0) },
            Network(1),
            Network(1),
            Network(0),
            Network(0),
            Advance(200),
            Network(0),
            Network(0),
            Network(0),
            Network(0),
            Network(0),
            Sleep { ms: 60_000, mono_stops: false },
            Advance(20_000),
            Act { tab: 0, action: Action::Fetch },
            Channel(0),
        ],
    );
}

/// Found by the simulator with a 60 s lifetime: a restore's refresh POST is on the wire when
/// the machine sleeps an hour (the monotonic clock stopped). Its answer, read on waking, counts
/// from its send: the token is dead, and the run asked again at once, a refresh POST an hour
/// past the session's end it had just been told. Fixed in `ops.rs` (`refresh_answer`): an
/// answer read after the session's end ends the session (`lifetime`) as its timer would.
#[test]
fn a_refresh_answer_read_an_hour_after_the_sessions_end() {
    use Step::*;
    replay_with(
        4,
        lifetime(60.0, false),
        &[
            Network(0),
            Act { tab: 3, action: Action::Fetch },
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 4, action: Action::Login(0) },
            Advance(31_000),
            Sleep { ms: 3_600_000, mono_stops: true },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
        ],
    );
}

/// Found by the simulator with a 60 s lifetime (a model error): a login read after a 60 s
/// sleep counts its session's end from its send, so the tab ended it (`lifetime`) before the
/// server did, and "last action wins" wanted every tab in the browser's (still live) session.
/// A tab whose session reached its end (as it counts it) is left out of that check.
#[test]
fn a_login_read_after_a_sleep_ends_before_the_server_does() {
    use Step::*;
    replay_with(
        2,
        lifetime(60.0, false),
        &[
            Network(0),
            Act { tab: 3, action: Action::Fetch },
            Act { tab: 3, action: Action::Login(0) },
            Network(0),
            Advance(200),
            Network(2),
            Network(11),
            Act { tab: 0, action: Action::Fetch },
            Sleep { ms: 60_000, mono_stops: true },
            Act { tab: 1, action: Action::Fetch },
        ],
    );
}

/// Found by the simulator with a 60 s lifetime sliding by 40 s, and the remote device: a login
/// on the wire through a 60 s sleep; its answer, read on waking, counts from its send (its
/// session's end, 40 s later, has passed), and the tab adopted it: authenticated 20 s past the
/// end until its next timer. Fixed in `ops.rs` (`post_done`): an answer read after the
/// session's end ends the session at once.
#[test]
fn a_login_answer_read_after_the_sessions_end() {
    use Step::*;
    let profile = Profile {
        remote: true,
        lifetime: Some(Lifetime { absolute_ms: 60_000.0, sliding_ms: Some(40_000.0) }),
        ..Profile::default()
    };
    replay_with(
        2,
        profile,
        &[
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Login(0) },
            Network(0),
            Advance(200),
            Network(0),
            Network(0),
            Network(0),
            Network(0),
            Sleep { ms: 60_000, mono_stops: true },
            Network(0),
        ],
    );
}

/// Found by the simulator with a 20 s idle timeout: as
/// [`a_login_answer_read_after_the_sessions_end`], but the idle deadline (counted from the
/// login answer's send) had passed: a `refresh()` queued behind the login POSTed past it.
/// Fixed with it: an answer read after the idle deadline signs out at once.
#[test]
fn a_refresh_queued_behind_a_login_read_after_the_idle_deadline() {
    use Step::*;
    let profile = Profile { idle: Some((20_000.0, 5_000.0)), ..Profile::default() };
    replay_with(
        1,
        profile,
        &[
            Network(1),
            Network(1),
            Act { tab: 5, action: Action::Login(0) },
            Act { tab: 1, action: Action::Refresh },
            Sleep { ms: 60_000, mono_stops: true },
            Network(0),
        ],
    );
}

/// Found by the new end-cause invariant in the classic world: tab 2's `login()` gives up
/// waiting for the lock (20 s behind two refreshes that time out) and goes ahead unlocked,
/// while tab 1's refresh (sent with no cookie) is on the wire. The 401 reaches tab 1 after the
/// login's answer: tab 1 stamps the end with the wall clock, newer than the login's call, and
/// its `Ended` ends tab 2's fresh session though the server holds it. Degraded mode (no lock)
/// is outside the guarantees: the invariant excuses ends within a run's span of a lock wait
/// given up. (An open issue: a rejection could carry the epoch its run started in.)
#[test]
fn an_unlocked_login_ended_by_a_stale_rejection() {
    use Step::*;
    replay(
        2,
        &[
            Network(0),
            OpenTab,
            Network(0),
            Act { tab: 2, action: Action::Refresh },
            Advance(20_000),
            Advance(31_000),
            Act { tab: 1, action: Action::Login(0) },
            Advance(20_000),
            Advance(31_000),
            Act { tab: 3, action: Action::Refresh },
            Advance(31_000),
        ],
    );
}

/// Found by the simulator with a 20 s idle timeout: a tab's timer fires for its refresh run's
/// lock wait and its idle deadline at once. The run ended first (another tab had refreshed)
/// and woke a waiting request with `Send` of the held token; then the idle deadline signed the
/// tab out: the executor was told to send a token no longer held. Fixed in `mod.rs`
/// (`handle_timeout`): the limits are checked before the operation's deadline.
#[test]
fn a_timer_for_a_lock_wait_and_the_idle_deadline_at_once() {
    use Step::*;
    let profile = Profile { idle: Some((20_000.0, 5_000.0)), ..Profile::default() };
    replay_with(
        2,
        profile,
        &[
            Act { tab: 2, action: Action::Login(0) },
            Network(0),
            Network(0),
            Act { tab: 2, action: Action::Fetch },
            Network(0),
            Sleep { ms: 60_000, mono_stops: false },
            Network(6),
            Act { tab: 0, action: Action::Refresh },
            Network(0),
            Act { tab: 5, action: Action::Fetch },
            Act { tab: 5, action: Action::Login(0) },
            Network(0),
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            Network(0),
            OpenTab,
            Network(0),
            Advance(20_000),
        ],
    );
}

/// Found by the end-cause invariant in the classic world: as
/// [`an_unlocked_login_ended_by_a_stale_rejection`], with the stale 401 read after an hour's
/// sleep (the monotonic clock stopped): the excuse's window is on the monotonic clock, which
/// times the runs.
#[test]
fn a_stale_rejection_read_after_a_sleep_ends_an_unlocked_login() {
    use Step::*;
    replay(
        6,
        &[
            Act { tab: 2, action: Action::Login(0) },
            Advance(31_000),
            Act { tab: 3, action: Action::Login(0) },
            Network(3),
            Network(6),
            Advance(20_000),
            Act { tab: 2, action: Action::Fetch },
            Network(8),
            Network(5),
            Network(0),
            Network(2),
            Act { tab: 2, action: Action::Fetch },
            Act { tab: 0, action: Action::KeepaliveFetch },
            Network(13),
            Network(12),
            Act { tab: 4, action: Action::Login(0) },
            Act { tab: 2, action: Action::Fetch },
            Advance(5_000),
            Act { tab: 2, action: Action::Refresh },
            Network(2),
            Fault(world::Fault::CommitThenDrop),
            Channel(6),
            Network(5),
            Act { tab: 3, action: Action::Fetch },
            Act { tab: 1, action: Action::Login(0) },
            Network(5),
            Advance(31_000),
            Network(0),
            Act { tab: 0, action: Action::Refresh },
            Network(2),
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Sleep { ms: 3_600_000, mono_stops: true },
        ],
    );
}

/// Found by the end-cause invariant in the classic world: as
/// [`an_unlocked_login_ended_by_a_stale_rejection`] (a login gone ahead unlocked, a stale 401
/// read after it), and another tab learns of that end from the shared record only after an
/// hour's sleep: news of an excused end is excused however late it arrives.
#[test]
fn news_of_a_stale_rejection_read_after_a_sleep() {
    use Step::*;
    replay(
        3,
        &[
            Network(0),
            Network(0),
            Act { tab: 3, action: Action::Login(0) },
            Advance(31_000),
            Network(3),
            Act { tab: 0, action: Action::Fetch },
            Network(7),
            Network(12),
            Network(4),
            Act { tab: 4, action: Action::SetToken },
            Network(4),
            Sleep { ms: 3_600_000, mono_stops: false },
        ],
    );
}

/// Found when the lock became stealable (issue 21), with a steal after 20 s of waiting: six
/// tabs restore at start with the network stalled, so each holder keeps the lock for its whole
/// 15 s POST timeout; the last tabs in line waited past 20 s, stole the lock from a live
/// holder and refreshed alongside it (a reuse). Now the wait looks at the holder each 20 s
/// and steals only from one that held the lock since the last look.
#[test]
fn no_steal_from_a_queue_that_moves_on() {
    use Step::*;
    replay(
        6,
        &[
            Network(0),
            Network(0),
            Advance(200),
            Sleep { ms: 60_000, mono_stops: false },
            Network(0),
            Act { tab: 0, action: Action::Login(0) },
            Advance(31_000),
            Network(10),
            Network(6),
            Network(13),
            Network(2),
        ],
    );
}

/// Found by `make sim` after the late-idle grace was added: the machine sleeps an hour, a late
/// check of the passed idle deadline starts the 250 ms grace, then the wall clock goes back an
/// hour (the deadline is ahead again) while a refresh run waits out the grace: its backoff
/// ended at once, again and again (the timer spun). The grace now holds only while the
/// deadline is passed, and a clock that went back clears it.
#[test]
fn the_idle_grace_after_the_clock_went_back() {
    use Step::*;
    let profile = Profile { idle: Some((20_000.0, 5_000.0)), ..Profile::default() };
    replay_with(
        1,
        profile,
        &[
            Network(0),
            Network(0),
            Network(0),
            Network(0),
            CloseTab(0),
            Act { tab: 5, action: Action::Login(0) },
            Network(0),
            Network(0),
            Sleep { ms: 3_600_000, mono_stops: false },
            ClockJump(false),
            Act { tab: 0, action: Action::Fetch },
        ],
    );
}

/// Found by `make sim` with the late-idle grace: a 45 s idle timeout; a refresh is on the wire
/// when the machine sleeps 60 s (the monotonic clock stopped); on waking a request waits for
/// it, its answer (counted from the send: dead) finds the idle deadline passed, and the grace
/// began: the run ended as if refreshed and the request went out bare, a 401 to the app while
/// the tab was still signed in. Now the run waits out the grace, then asks again or finds the
/// session signed out.
#[test]
fn a_request_on_waking_past_the_idle_deadline() {
    use Step::*;
    let profile = Profile { idle: Some((45_000.0, 5_000.0)), ..Profile::default() };
    replay_with(
        1,
        profile,
        &[
            CloseTab(1),
            Network(6),
            Act { tab: 2, action: Action::Login(0) },
            Network(6),
            Network(5),
            Network(1),
            Advance(31_000),
            Sleep { ms: 60_000, mono_stops: true },
            Act { tab: 2, action: Action::Fetch },
        ],
    );
}

/// Found by `make sim` with a 60 s session lifetime: a login, then the wall clock jumps an hour
/// forward. The session's end is on the wall clock (as a token's deadline takes the larger of
/// the two clocks): the tabs end it (`lifetime`) while the server, whose clock did not jump,
/// still holds it. A clock moved forward by the user ends a session early, never late: the
/// model excuses such ends.
#[test]
fn a_clock_jump_forward_past_the_sessions_end() {
    use Step::*;
    let profile =
        Profile { lifetime: Some(Lifetime { absolute_ms: 60_000.0, sliding_ms: None }), ..Profile::default() };
    replay_with(
        2,
        profile,
        &[
            Network(0),
            Network(0),
            Act { tab: 2, action: Action::Refresh },
            Advance(200),
            Act { tab: 0, action: Action::Fetch },
            Network(0),
            Network(0),
            Sleep { ms: 60_000, mono_stops: false },
            Network(0),
            Act { tab: 0, action: Action::Activity(false) },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Network(0),
            Act { tab: 0, action: Action::Login(0) },
            ClockJump(true),
        ],
    );
}

/// Found by `make sim`: tab 2 logs out while its refresh is on the wire, then the app hands it
/// a token (`setAccessToken`, the one it held); the refresh of the logged-out family is
/// answered 401 and the tab keeps the token the app gave it. A model error: what the app hands
/// in is the app's to answer for (the check now excuses schedules with `setAccessToken`).
#[test]
fn set_token_after_a_logout_while_a_refresh_is_rejected() {
    use Step::*;
    replay(
        4,
        &[
            Act { tab: 0, action: Action::Logout(Scope::Local) },
            Network(0),
            Advance(20_000),
            Network(0),
            Network(0),
            Channel(0),
            Act { tab: 0, action: Action::Fetch },
            Channel(0),
            Channel(0),
            Network(2),
            Channel(0),
            Channel(0),
            Act { tab: 0, action: Action::Login(0) },
            Channel(0),
            Network(1),
            Network(5),
            OpenTab,
            Channel(0),
            Channel(0),
            Channel(0),
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Network(9),
            OpenTab,
            Advance(20_000),
            CloseTab(0),
            Advance(31_000),
            Act { tab: 2, action: Action::Logout(Scope::Local) },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 2, action: Action::SetToken },
        ],
    );
}

/// Found by `make sim` with a 60 s lifetime: a login, then the machine sleeps 60 s (the
/// monotonic clock stopped): on waking the tabs end the session (`lifetime`), counted from the
/// login's receipt in whole seconds, up to a second before the server does. Tab 2 heard the
/// end while it was still logged out from before (its state stays `loggedOut`): a model error,
/// the "last action wins" check now skips schedules where a tab ended a session at its lifetime.
#[test]
fn a_sleep_to_the_sessions_end() {
    use Step::*;
    let profile =
        Profile { lifetime: Some(Lifetime { absolute_ms: 60_000.0, sliding_ms: None }), ..Profile::default() };
    replay_with(
        2,
        profile,
        &[
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Logout(Scope::Local) },
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            Advance(200),
            Network(4),
            Network(4),
            Act { tab: 0, action: Action::Login(0) },
            Sleep { ms: 60_000, mono_stops: true },
        ],
    );
}

/// `loginReturnsToken: false`: a tab's refresh is answered 401 (its family was revoked by a
/// session-only login's sign-out elsewhere); it must not keep that session.
#[test]
fn session_only_login_revoked_session_is_not_kept() {
    use Step::*;
    let profile = Profile { session_login: true, ..Profile::default() };
    replay_with(
        1,
        profile,
        &[
            Network(0),
            Act { tab: 0, action: Action::Refresh },
            Act { tab: 0, action: Action::Login(0) },
            Act { tab: 0, action: Action::Logout(Scope::Local) },
            Network(0),
            Advance(20_000),
            Network(0),
            OpenTab,
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Login(0) },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 2, action: Action::Restore },
            Network(7),
            Act { tab: 5, action: Action::Login(0) },
            Advance(20_000),
            Network(0),
            Network(0),
            Network(0),
            Network(0),
            Act { tab: 1, action: Action::Remount },
            Act { tab: 0, action: Action::Fetch },
            Network(0),
            Advance(31_000),
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Refresh },
            Sleep { ms: 60_000, mono_stops: true },
            Network(0),
            Network(0),
            Network(0),
            CloseTab(0),
            Advance(200),
            Channel(0),
            Network(0),
        ],
    );
}

/// A second logout while a login is on the wire, then `refresh()` in a tab that never held a
/// token: like `restore()`, it asks the cookie (the aborted login's session, which the logout's
/// POST, behind it in the lock's queue, has not revoked yet) and may revive it. The model
/// counted only `restore()` so (it failed at d9dbcef too, once `getAccessToken` changed the
/// random draws); now such a refresh counts as one.
#[test]
fn second_logout_after_a_racing_login_leaves_no_token() {
    use Step::*;
    replay(
        3,
        &[
            Act { tab: 1, action: Action::Fetch },
            Network(0),
            Act { tab: 0, action: Action::Logout(Scope::Local) },
            Network(0),
            Act { tab: 1, action: Action::Fetch },
            Act { tab: 3, action: Action::Login(0) },
            Network(0),
            Channel(1),
            Act { tab: 0, action: Action::Refresh },
            Advance(200),
            Network(2),
            Network(2),
            Channel(5),
            Act { tab: 0, action: Action::Logout(Scope::Local) },
            Channel(1),
            Act { tab: 4, action: Action::Refresh },
            Channel(0),
        ],
    );
}

/// `loginReturnsToken: false` with an idle timeout: logins queued before a sleep past the idle
/// deadline ask their token of the refresh endpoint after it: a new session's first token, not
/// a refresh past the old session's limits.
#[test]
fn session_only_logins_after_the_idle_deadline_ask_their_token() {
    use Step::*;
    let profile = Profile { idle: Some((20_000.0, 5_000.0)), session_login: true, ..Profile::default() };
    let mut steps = vec![
        Act { tab: 0, action: Action::Login(0) },
        Act { tab: 0, action: Action::Fetch },
        Network(0),
        Act { tab: 0, action: Action::Login(0) },
        Act { tab: 0, action: Action::Login(0) },
    ];
    steps.extend([Network(0); 7]);
    steps.extend([Sleep { ms: 60_000, mono_stops: false }, Act { tab: 0, action: Action::Fetch }]);
    replay_with(1, profile, &steps);
}

// ---- the freshness of shared tokens (issue 28) ------------------------------------------------
//
// Each found by the simulator with one rule of the core broken (benches/mutants-probes/, run by
// scripts/probe-mutants.sh); each passes on the core as it is and fails on its probes.

/// Two logins in one tab, answered out of order; a second tab opens while the first one's
/// token messages and refreshes are still on their way: the new tab hears of the older token
/// after it holds a fresher one, and keeps its own ("not fresher"). Probes:
/// `on_peer_token_less_life` (a same-session token adopted whatever its life),
/// `on_peer_token_vs_refresh_point` (our life counted to our refresh point, not our expiry).
#[test]
fn an_older_token_heard_late_does_not_replace_a_fresher_one() {
    use Step::*;
    let fetch = |tab| Act { tab, action: Action::Fetch };
    replay(
        1,
        &[
            Act { tab: 2, action: Action::Login(0) },
            Network(0),
            Act { tab: 2, action: Action::Login(0) },
            Network(2),
            fetch(2),
            Network(9),
            Network(0),
            fetch(0),
            fetch(0),
            fetch(0),
            Network(1),
            fetch(0),
            fetch(0),
            Network(7),
            Act { tab: 0, action: Action::Activity(false) },
            Act { tab: 0, action: Action::Refresh },
            fetch(0),
            fetch(5),
            OpenTab,
        ],
    );
}

/// After a login, both tabs' tokens are spent (31 s with no refresh delivered): a token message
/// with no life left does not replace a spent token either (equal life is no news). Probe:
/// `on_peer_token_ge` (`theirs > ours` became `>=`).
#[test]
fn a_spent_token_heard_of_does_not_replace_a_spent_token() {
    use Step::*;
    replay(
        2,
        &[
            Act { tab: 1, action: Action::Logout(Scope::Local) },
            Advance(31_000),
            Act { tab: 0, action: Action::Fetch },
            Network(0),
            Network(0),
            Network(0),
            Act { tab: 5, action: Action::Refresh },
            Act { tab: 0, action: Action::Login(0) },
            Act { tab: 0, action: Action::Login(0) },
            Network(0),
            Network(0),
            Network(0),
            Act { tab: 2, action: Action::Login(0) },
            Network(0),
            Network(0),
            Advance(31_000),
            Act { tab: 0, action: Action::Fetch },
            Network(0),
        ],
    );
}

/// The shortest: a login shared with a second tab, whose message waits 1 ms. The token the
/// second tab takes has the life it had when sent, less that wait. Probe: `peer_token_not_aged`.
#[test]
fn a_shared_token_is_aged_by_its_wait_on_the_channel() {
    replay(2, &[Step::Act { tab: 0, action: Action::Login(0) }]);
}

/// A login shared while the device clock goes back 1 h: the message is read "before" it was
/// sent, so its age is unknown; it does not replace the token of its session the tab holds.
/// Probes: `peer_token_age_always_known` (a negative wait taken as an age: the token gains
/// life), `on_peer_token_unknown_age_replaces` (a message of unknown age replaces ours).
#[test]
fn a_token_message_read_after_the_clock_went_back_replaces_nothing() {
    use Step::*;
    replay(
        3,
        &[
            Act { tab: 0, action: Action::Logout(Scope::Local) },
            CloseTab(0),
            Advance(200),
            Network(0),
            Network(0),
            Network(0),
            Act { tab: 2, action: Action::Login(0) },
            Network(0),
            Act { tab: 5, action: Action::Refresh },
            Network(0),
            ClockJump(false),
            Act { tab: 0, action: Action::Fetch },
        ],
    );
}

/// A login, then a 60 s sleep during which the monotonic clock stood still: the token's life
/// is counted on the wall clock too, so the tab knows it is spent. Probe:
/// `elapsed_ignores_wall_clock`.
#[test]
fn a_token_ages_through_a_sleep_the_monotonic_clock_missed() {
    use Step::*;
    replay(
        1,
        &[
            Act { tab: 0, action: Action::Logout(Scope::Local) },
            Advance(20_000),
            Network(0),
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Login(0) },
            Network(0),
            Network(0),
            Sleep { ms: 60_000, mono_stops: true },
        ],
    );
}

/// Found by a swarm schedule (with `on_peer_token_less_life` applied, while shrinking; it fails
/// the same without it): the app hands in the tab's own token, already dead at the server
/// (`setAccessToken`); a request carrying it gets a 401, the tab refreshes and replays it with
/// the fresh token; the replay then waits on the wire for 31 s, past that token's life, and
/// gets a 401 too, which goes to the app (a request is replayed once). No client can prevent
/// that: the token was live when the replay left. The 401 check now leaves out a request
/// whose last send died on the wire (as it did one on the wire through a sleep).
#[test]
fn a_replay_that_waits_on_the_wire_past_its_tokens_expiry() {
    use Step::*;
    replay(
        1,
        &[
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Login(1) },
            Network(0),
            Network(0),
            Advance(31_000),
            Act { tab: 0, action: Action::SetToken },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::GetToken },
            Network(0),
            Network(0),
            Network(2),
            Act { tab: 0, action: Action::Fetch },
            Advance(31_000),
            Act { tab: 0, action: Action::Refresh },
        ],
    );
}

/// Found by a swarm schedule: the idle timeout signs the tab out, and its logout POST meets a
/// 503, so the server keeps the session and the browser its cookie (`loggedOut` with
/// `serverConfirmed: false`: signed out here whatever the network does, docs/session.md).
/// The last action is that idle logout, not the login before it: no tab holds a token, and
/// none need be in the cookie's session. (`last_action_wins` left idle ends out of the
/// actions; a 503 is no fault there, so nothing excused it.)
#[test]
fn an_idle_logout_the_server_did_not_confirm() {
    use Step::*;
    let profile = Profile { idle: Some((20_000.0, 5_000.0)), ..Profile::default() };
    replay_with(
        1,
        profile,
        &[
            Act { tab: 0, action: Action::Fetch },
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            Network(6),
            Network(2),
            Act { tab: 0, action: Action::Login(0) },
            Network(5),
            Network(5),
            Advance(20_000),
            Act { tab: 0, action: Action::Fetch },
            Fault(world::Fault::Status503),
            Act { tab: 0, action: Action::Fetch },
            Network(5),
        ],
    );
}

/// Found with the first version of the fix above, which took an idle end as a logout when its
/// `loggedOut` fired: that waits for the logout's POST, here answered after a login called
/// since. The idle end counts when it strikes; the login after it is the last action.
#[test]
fn a_login_after_an_idle_end_whose_logout_is_still_on_the_wire() {
    use Step::*;
    let profile = Profile { idle: Some((20_000.0, 5_000.0)), ..Profile::default() };
    replay_with(
        1,
        profile,
        &[
            Act { tab: 0, action: Action::Login(0) },
            Act { tab: 0, action: Action::Refresh },
            Network(0),
            Network(0),
            Network(0),
            Network(0),
            Advance(20_000),
            Act { tab: 0, action: Action::Login(0) },
        ],
    );
}

/// A remount (dispose, then at once a new manager that restores) while a refresh POST is on
/// the wire and the server has committed it: the disposed manager lets it finish under its
/// lock, so its cookie lands and the new manager's restore presents the rotated one. (Before:
/// the POST was aborted and its answer lost, and the restore replayed the old cookie: a reuse
/// that revoked the session, excused as unavoidable.)
#[test]
fn a_remount_during_a_committed_refresh_replays_no_cookie() {
    use Step::*;
    let mut world = World::new(1);
    let steps = [
        Network(0),
        Network(0), // the first restore: no session
        Act { tab: 0, action: Action::Login(0) },
        Network(0),
        Network(0),
        Act { tab: 0, action: Action::Refresh },
        Network(0), // the refresh reaches the server, which rotates the cookie
        Act { tab: 0, action: Action::Remount },
        Network(0), // its answer reaches the disposed manager
        Network(0),
        Network(0), // the new manager's restore
    ];
    for step in steps {
        world.step(step);
        invariants::after_step(&mut world);
    }
    invariants::at_quiescence(&mut world);
    assert_eq!((world.server.reuses, world.unavoidable_reuse), (0, false), "no cookie replayed");
    assert!(world.tabs[0].machine.access_token().is_some(), "the new manager restored the session");
}

/// A session-only login (`loginReturnsToken: false`) aborted by its signal while its token was
/// asked of the refresh endpoint, which had rotated the cookie: the aborted POST's cookie never
/// landed, and the next refresh replayed the old one (found once the simulator aborted logins).
/// The POST is now let finish under the lock, its answer ignored.
#[test]
fn a_login_aborted_while_its_token_is_asked_replays_no_cookie() {
    use Step::*;
    let profile = Profile { session_login: true, ..Profile::default() };
    replay_with(
        2,
        profile,
        &[
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Login(0) },
            Advance(200),
            Network(0),
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
            Network(6),
            Act { tab: 0, action: Action::Refresh },
            Network(5),
            Act { tab: 0, action: Action::AbortLogin },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
        ],
    );
}

/// Known open (found by `make sim SECONDS=150`, seed 1007; it fails on the code before this
/// round too): a token the app hands in with `setAccessToken` has no session epoch (0). A late
/// "ended" message of an older session (tab 2's rejected refresh, heard after tab 2 logged in
/// again) then ends tab 3's session: `sessionExpired` (`other_tab`) fires, and the newer
/// login's token, heard a moment later, signs it in again. The tab cannot order the end against
/// its token; stamping `setAccessToken`'s token with an epoch of its call would, but changes
/// what other tabs make of it. Ignored until that is decided.
#[test]
#[ignore = "known open: an app-set token has no session epoch (see the comment)"]
fn a_late_end_of_an_older_session_ends_an_app_set_token() {
    use Step::*;
    replay(
        2,
        &[
            Act { tab: 0, action: Action::Fetch },
            Network(0),
            Act { tab: 0, action: Action::Fetch },
            Network(0),
            Act { tab: 2, action: Action::Remount },
            Advance(200),
            Act { tab: 2, action: Action::Fetch },
            Network(0),
            Act { tab: 2, action: Action::Fetch },
            Network(0),
            Network(0),
            Network(0),
            Act { tab: 2, action: Action::Fetch },
            Advance(200),
            Network(0),
            Network(0),
            Act { tab: 1, action: Action::Refresh },
            Advance(20000),
            Network(5),
            Network(4),
            Network(4),
            Act { tab: 1, action: Action::Login(0) },
            Network(13),
            Network(3),
            Network(3),
            Act { tab: 0, action: Action::SetToken },
            Act { tab: 0, action: Action::Fetch },
            Act { tab: 0, action: Action::Fetch },
        ],
    );
}

/// Known open (found in review of the drain of an aborted session-only login): the token
/// request let finish is answered 401 (a global sign-out from the other device revoked every
/// family of the user first), and the tab ignores that answer, keeping the session it held
/// before the aborted login (whose cookie that login had replaced) until its own next refresh
/// is refused. Before the drain the POST was aborted, and a rotation it had committed was
/// replayed: a revocation of the new session. The fix is to treat the held session as replaced
/// once a login's own POST got a 2xx (the cookie is the new login's). Ignored until then.
#[test]
#[ignore = "known open: an aborted login's drained token request is not read for a refusal"]
fn a_refusal_of_an_aborted_logins_token_request_ends_the_held_session() {
    use Step::*;
    let profile = Profile { session_login: true, remote: true, ..Profile::default() };
    replay_with(
        1,
        profile,
        &[
            Network(0),
            Network(0),
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Login(0) },
            Network(0),
            Network(0),
            Network(0),
            Network(0),
            Act { tab: 1, action: Action::Login(0) },
            Network(0),
            Network(0),
            Network(0),
            Network(0),
            Act { tab: 0, action: Action::Login(0) },
            Network(0),
            Network(0),
            Act { tab: 1, action: Action::Logout(Scope::Global) },
            Act { tab: 0, action: Action::AbortLogin },
            Network(1),
            Network(0),
            Network(0),
            Network(0),
        ],
    );
}
