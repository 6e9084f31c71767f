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

/// Known open bug, found by the simulator: tab 0's logout is queued behind its restore; tab 3's
/// login, called later, takes the lock first. When tab 0's logout gets the lock before the
/// login's token broadcast reaches it, it ends "whatever arrived meanwhile" and revokes the
/// new session: the last action (the login) loses. Fix planned: tabs read the newest session
/// epoch from a shared place under the lock, not only from the channel.
#[test]
#[ignore = "known open bug: cross-tab logout/login race (README, issue 19 note)"]
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

/// Known open bug 2, found by the simulator: two tabs log in; the device clock goes back 1 h
/// in between; the later login's epoch (wall clock) is lower, and the first tab ignores it.
#[test]
#[ignore = "known open bug: wall-clock epochs and a clock set back (issue 19 note)"]
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
