//! Schedules the simulator once failed on, kept as named tests (each shrunk to its minimum).

use super::invariants;
use super::world::{Action, Step, World};

/// Replay a schedule step by step, checking the invariants as the simulator does.
pub fn replay(tabs: usize, steps: &[Step]) {
    let mut world = World::new(tabs);
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
            Act { tab: 1, action: Action::Logout },
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
            Act { tab: 0, action: Action::Logout },
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
            Act { tab: 0, action: Action::Logout },
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
        Act { tab: 0, action: Action::Logout },
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
    replay(1, &[Act { tab: 0, action: Action::Login(0) }, ClockJump(false), Act { tab: 0, action: Action::Logout }]);
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
            Act { tab: 1, action: Action::Logout },
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
            Act { tab: 0, action: Action::Logout },
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
