//! The properties every schedule must keep: after each step, and once everything in flight
//! has been delivered (quiescence).

use wasm_token_manager::core::session::SessionState;

use super::server::{user_of, ACCESS_TTL_S};
use super::world::{SessionAction, World};

fn fail(world: &World, what: &str) -> ! {
    panic!("{what}\nviolations: {:#?}", world.violations);
}

/// Checked after every step.
pub fn after_step(world: &mut World) {
    if world.server.reuses > 0 && !world.unavoidable_reuse {
        fail(world, "a refresh token was reused (family revoked) with no fault that made it unavoidable");
    }
    if !world.violations.is_empty() {
        fail(world, "invariant violated during the schedule");
    }
}

/// Checked once everything in flight has landed, then again a full token lifetime later.
pub fn at_quiescence(world: &mut World) {
    world.quiesce();
    after_step(world);
    let pending = world.pending();
    if !pending.is_empty() {
        fail(world, &format!("promises left hanging at quiescence: {pending:?}"));
    }
    // `setAccessToken` after an end is not taken by tabs that saw the end (by design).
    let raced = world.set_token_used;
    // Without faults at once; after faults, once every tab has refreshed (below).
    if !raced && world.faults == 0 {
        agree(world, "at quiescence");
    }
    last_action_wins(world);

    // A full lifetime later every tab has refreshed or ended: none keeps a revoked session.
    // Meanwhile the network and the channel work (they deliver within bounds): a refresh due
    // in that lifetime completes instead of timing out unseen.
    world.latency_bound = Some((1_000.0, 20.0));
    world.advance((ACCESS_TTL_S + 1.0) * 1000.0);
    world.quiesce();
    after_step(world);
    for t in &world.tabs {
        if let Some(token) = t.machine.access_token() {
            if world.server.family_of(token).is_some_and(|(_, revoked)| revoked) {
                fail(world, &format!("tab {} keeps a token of a revoked session a lifetime later", t.uid));
            }
        }
    }
    let pending = world.pending();
    if !pending.is_empty() {
        fail(world, &format!("promises left hanging a lifetime later: {pending:?}"));
    }
    if !raced {
        agree(world, "a lifetime after quiescence");
    }
}

/// Tabs agree on the session: the same user and server session (refresh family) everywhere,
/// or none anywhere. (Not the same token: a restored tab's rotation reaches the others only
/// at their next refresh, and both tokens are valid.)
fn agree(world: &World, when: &str) {
    let held: Vec<Option<(Option<u8>, Option<usize>)>> = world
        .tabs
        .iter()
        .map(|t| t.machine.access_token().map(|a| (user_of(a), world.server.family_of(a).map(|(f, _)| f))))
        .collect();
    if held.windows(2).any(|w| w[0] != w[1]) {
        let states: Vec<_> = (0..world.tabs.len()).map(|i| world.state_of(i)).collect();
        fail(world, &format!("tabs disagree {when}: {held:?} {states:?}"));
    }
}

/// After an account switch the last action wins in every tab; after a logout no tab holds a
/// token. Checked when no fault happened after that action.
fn last_action_wins(world: &World) {
    let last = world.actions.iter().rev().find(|(_, a)| !matches!(a, SessionAction::Other));
    let Some(&(_, action)) = last else { return };
    let later_other = world.actions.iter().rev().take_while(|(_, a)| matches!(a, SessionAction::Other)).count() > 0;
    // Call order across tabs comes from the wall clock: once it has been set back, only the
    // lock order (and so the server) decides, which the agreement check above holds to.
    if world.faults > 0 || world.unavoidable_reuse || world.clock_went_back {
        return;
    }
    match action {
        SessionAction::Logout if !later_other => {
            for t in &world.tabs {
                if t.machine.access_token().is_some() {
                    fail(world, &format!("tab {} holds a token after the last action, a logout", t.uid));
                }
            }
        }
        SessionAction::Login { ok: Some(true), .. } => {
            // Logins in two tabs reach the server in lock order, not call order: the session
            // that wins is the one whose cookie the browser holds. Every tab must be in it.
            let jar = world.jar_user();
            for t in &world.tabs {
                let holds = t.machine.access_token().and_then(user_of);
                if jar.is_some() && holds != jar && t.machine.state() != SessionState::Anonymous {
                    fail(
                        world,
                        &format!("tab {} holds {holds:?} after logins; the browser's session is {jar:?}", t.uid),
                    );
                }
            }
        }
        _ => {}
    }
}
