//! The properties every schedule must keep: after each step, and once everything in flight
//! has been delivered (quiescence).

use wasm_token_manager::core::machine::REQUEST_TIMEOUT_MS;
use wasm_token_manager::core::session::{EndReason, SessionState};

use super::server::{user_of, ACCESS_TTL_S};
use super::world::{SessionAction, World, TIMER_SLACK_MS};

fn fail(world: &World, what: &str) -> ! {
    panic!("{what}\nviolations: {:#?}", world.violations);
}

/// Checked after every step.
pub fn after_step(world: &mut World) {
    if world.server.reuses > 0 && !world.unavoidable_reuse {
        fail(world, "a refresh token was reused (family revoked) with no fault that made it unavoidable");
    }
    if world.server.issued_dead {
        fail(world, "the server model issued a token of a revoked or ended family");
    }
    if world.profile.idle.is_some() || world.profile.lifetime.is_some() {
        limits_kept(world);
    }
    no_token_outlives_its_expiry(world);
    if !world.violations.is_empty() {
        fail(world, "invariant violated during the schedule");
    }
}

/// No tab believes its token lives longer than the server lets it, beyond the time the token's
/// answer took to reach a tab (a tab counts the life from receipt): the life left it counts
/// (its wall clock's expiry less now) ends at most that lag after the server's expiry, however
/// the token came (its own answer, another tab's message that waited, a sleep, the monotonic
/// clock stopping, a forward jump of the wall clock). Not once the wall clock went back (a
/// message's age is unknown then: it is taken unaged) or the app handed in a token with a
/// lifetime of its choosing (`setAccessToken`).
fn no_token_outlives_its_expiry(world: &World) {
    if world.clock_went_back || world.set_token_used || !world.freshness_checks {
        return;
    }
    let now = world.now();
    let real = world.real_ms();
    for tab in &world.tabs {
        let Some(token) = tab.machine.access_token() else { continue };
        let (Some(believed), Some(expiry)) = (tab.machine.expires_at(now), world.server.expiry_of(token)) else {
            continue;
        };
        if believed <= now.wall_ms {
            continue; // spent, as far as the tab knows (its life left is counted down to 0)
        }
        let lag = world.token_lag.get(token).copied().unwrap_or(0.0);
        let believed_real = real + (believed - now.wall_ms);
        if believed_real > expiry + lag + 0.01 {
            fail(
                world,
                &format!(
                    "tab {} believes its token lives until {believed_real} (real ms), {} ms past its expiry at the \
                     server {expiry} plus the {lag} ms its answer took",
                    tab.uid,
                    believed_real - expiry - lag
                ),
            );
        }
    }
}

/// The most a tab's idea of the session's end may lag the server's: it counts the end from
/// when the answer arrived, as a token's lifetime (`refresh_expires_in` has no reference
/// time), and an answer read more than [`REQUEST_TIMEOUT_MS`] after its POST left counts from
/// the send instead. The server's floor to whole seconds only makes the tab's end earlier.
pub const END_SLACK_MS: f64 = REQUEST_TIMEOUT_MS + TIMER_SLACK_MS;

/// No tab outlives the idle deadline or the session's end: a tab authenticated at real time
/// `t` has `t < last activity on its device + idle timeout + TIMER_SLACK_MS` (activity: the
/// `activity` input, a wake, a session start in any of the device's tabs; the deadline is
/// moved by activity only, and a timer fires at most 1 ms late), and `t < its family's end
/// at the server + END_SLACK_MS`. Not once the clock was set back (the tabs' deadlines are
/// on the wall clock) or the app handed in a token (`setAccessToken`: no end is known).
fn limits_kept(world: &World) {
    if world.clock_went_back || world.set_token_used {
        return;
    }
    let t = world.real_ms();
    for tab in world.tabs.iter().filter(|tab| tab.machine.state() == SessionState::Authenticated) {
        if let Some((timeout, _)) = world.profile.idle {
            let deadline = world.activity[tab.device] + timeout;
            if t >= deadline + TIMER_SLACK_MS {
                fail(world, &format!("tab {} is authenticated at {t}, past the idle deadline {deadline}", tab.uid));
            }
        }
        let family = tab.machine.access_token().and_then(|a| world.server.family_of(a, t)).map(|(f, _)| f);
        if let Some(end) = family.map(|f| world.server.end_of(f)) {
            if t >= end + END_SLACK_MS {
                let known = tab.machine.session_expires_at();
                fail(
                    world,
                    &format!("tab {} is authenticated at {t}, past its session's end {end} (knows {known:?})", tab.uid),
                );
            }
        }
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
    // (Nor one past its end, allowing for the tab's lag on it.)
    let now = world.real_ms();
    for t in &world.tabs {
        if let Some((family, _)) = t.machine.access_token().and_then(|a| world.server.family_of(a, now)) {
            if world.server.revoked(family) || now >= world.server.end_of(family) + END_SLACK_MS {
                fail(world, &format!("tab {} keeps a token of a revoked or ended session a lifetime later", t.uid));
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
    let now = world.real_ms();
    let held: Vec<Option<(Option<u8>, Option<usize>)>> = world
        .main_tabs()
        .map(|t| t.machine.access_token().map(|a| (user_of(a), world.server.family_of(a, now).map(|(f, _)| f))))
        .collect();
    if held.windows(2).any(|w| w[0] != w[1]) {
        let states: Vec<_> = world.main_tabs().map(|t| t.machine.state()).collect();
        fail(world, &format!("tabs disagree {when}: {held:?} {states:?}"));
    }
}

/// After an account switch the last action wins in every tab; after a logout no tab holds a
/// token. Checked when no fault happened after that action. (The main device's tabs and
/// actions: the remote device's tab acts on its own cookie.)
fn last_action_wins(world: &World) {
    let actions: Vec<_> = world.actions.iter().filter(|(uid, _)| !world.remote_uids.contains(uid)).collect();
    let last = actions.iter().rev().find(|(_, a)| !matches!(a, SessionAction::Other));
    let Some(&&(_, action)) = last else { return };
    let later_other = actions.iter().rev().take_while(|(_, a)| matches!(a, SessionAction::Other)).count() > 0;
    // Call order across tabs comes from the wall clock: once it has been set back, only the
    // lock order (and so the server) decides, which the agreement check above holds to.
    if world.faults > 0 || world.unavoidable_reuse || world.clock_went_back || world.clock_ended_sessions {
        return;
    }
    match action {
        SessionAction::Logout if !later_other => {
            for t in world.main_tabs() {
                if t.machine.access_token().is_some() {
                    fail(world, &format!("tab {} holds a token after the last action, a logout", t.uid));
                }
            }
        }
        SessionAction::Login { ok: Some(true), .. } => {
            // Logins in two tabs reach the server in lock order, not call order: the session
            // that wins is the one whose cookie the browser holds. Every tab must be in it.
            let jar = world.jar_user();
            // A tab that ended the session at its lifetime (up to a second before the server:
            // whole seconds, counted from receipt) tells the others, whose own state may be
            // an earlier end they keep.
            let lifetime_ended =
                world.main_tabs().any(|t| t.machine.state() == SessionState::Ended(EndReason::Lifetime));
            for t in world.main_tabs() {
                let holds = t.machine.access_token().and_then(user_of);
                // A tab may end the session up to the latency of its answer before the server
                // does (it counts the end from the send of an answer read late).
                let state = t.machine.state();
                let lifetime_over = state == SessionState::Ended(EndReason::Lifetime);
                if jar.is_some()
                    && holds != jar
                    && state != SessionState::Anonymous
                    && !lifetime_over
                    && !lifetime_ended
                {
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
