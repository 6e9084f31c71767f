//! The deterministic simulator: K tabs (1–6), each a `core::machine::Machine` with a model
//! executor, against a model server, lock, channel and clock (`sim/world.rs`), driven by
//! random schedules with proptest-state-machine. A failing schedule shrinks to a minimal one;
//! keep it as a named test in `sim/regressions.rs`.
//!
//! Half the schedules turn the session features on ([`world::Profile`]): an idle timeout,
//! family lifetimes at the server short enough to be reached, a second device, sign-out with
//! a scope, activity; see `sim/invariants.rs` (`limits_kept`) and `sim/world.rs`
//! (`end_has_a_cause`, `answer_kept_its_promise`) for what they must keep.
//!
//! `refreshes_per_token_lifetime` checks a second property on quiet schedules (requests, time,
//! delivery within latency bounds): one rotation per refresh period whatever the tab count.
//!
//! Half the schedules are swarm schedules ([`Swarm`]): some kinds of step and action left out,
//! the others reweighed, so rare combinations (a clock jump while token messages wait) are
//! common in some. The freshness of the tokens tabs share is checked directly
//! (`World::shared_token_kept_fresh`, `invariants::no_token_outlives_its_expiry`);
//! `benches/mutants-probes/` holds the rules of the core it was measured against (`make mutants`).
//!
//! `SIM_CASES` sets how many schedules `cargo test` runs (default 20,000);
//! `make sim SECONDS=N` runs `sim_for_seconds` for N seconds and prints schedules per second.
//! For measuring: `SIM_SWARM=0` (no swarm schedules), `SIM_FRESHNESS=0` (no direct freshness
//! checks).

#![cfg(not(target_arch = "wasm32"))]

#[path = "sim/invariants.rs"]
mod invariants;
#[path = "sim/regressions.rs"]
mod regressions;
#[path = "sim/server.rs"]
mod server;
#[path = "sim/world.rs"]
mod world;

use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};

use server::Lifetime;
use wasm_token_manager::core::machine::Scope;
use world::{Action, Fault, Profile, Step, World};

/// The reference side only carries what generation needs: how many tabs the world starts
/// with, and the session features it turns on (`None`: the classic world).
#[derive(Debug, Clone)]
pub struct Schedule {
    tabs: usize,
    profile: Option<Profile>,
    /// `loginReturnsToken: false` ([`Profile::session_login`]), in either world.
    session_login: bool,
    /// `None`: the full mix of steps and actions.
    swarm: Option<Swarm>,
}

/// Swarm testing (Groce et al., ISSTA 2012): half the schedules leave some kinds of step and
/// action out altogether and weigh the others anew, so combinations the full mix makes rare
/// are common in some schedules: a channel that delivers nothing for many steps (or only what
/// the network lets through) while tokens age towards their expiry, the clock jumps and the
/// machine sleeps; no logins; refreshes only. Each weight is its full-mix weight times 0 to 3
/// (0: left out; never for user actions, the network or fetches), steps 0, 1, 3 or 8 times.
#[derive(Debug, Clone, Copy)]
pub struct Swarm {
    /// Per kind of step, in the order of [`STEP_WEIGHTS`].
    steps: [u32; 10],
    /// Per kind of action, in the order of [`ACTION_WEIGHTS`] (or [`SESSION_ACTION_WEIGHTS`]).
    actions: [u32; 10],
    /// Time also moves by amounts that land near a token's refresh point (25 s minus up to
    /// 1 s of jitter after receipt) and its expiry (30 s; not sent in its last second).
    near_expiry: bool,
}

/// Full-mix weights: act, network, channel, advance, sleep, clock jump, fault, network down,
/// open tab, close tab (as in [`steps`]).
const STEP_WEIGHTS: [u32; 10] = [30, 30, 15, 10, 1, 1, 2, 1, 1, 1];
/// Fetch, keepalive fetch, login, logout, refresh, restore, get token, set token, remount,
/// abort a login.
const ACTION_WEIGHTS: [u32; 10] = [10, 1, 4, 2, 2, 1, 1, 1, 1, 1];
/// Fetch, keepalive fetch, login, logout (any scope), refresh, restore, get token, remount,
/// activity, abort a login.
const SESSION_ACTION_WEIGHTS: [u32; 10] = [10, 1, 4, 3, 2, 1, 1, 1, 4, 1];

fn swarm() -> impl Strategy<Value = Swarm> {
    (proptest::array::uniform10(0u32..4), proptest::array::uniform10(0u32..4), any::<bool>()).prop_map(
        |(mut steps, mut actions, near_expiry)| {
            // Users act, the network answers, requests are made.
            for k in [0, 1] {
                steps[k] = steps[k].max(1);
            }
            actions[0] = actions[0].max(1);
            // 0, 1, 3 or 8 times the full mix's weight: a rare step (a clock jump, a sleep) may
            // be one step in ten, to happen while messages and answers wait.
            for (w, base) in steps.iter_mut().zip(STEP_WEIGHTS) {
                *w = base * [0, 1, 3, 8][*w as usize];
            }
            Swarm { steps, actions, near_expiry }
        },
    )
}

/// A union of the arms whose weight is not 0 (there is always one: the first is never 0).
fn weighted<T: std::fmt::Debug + 'static>(arms: Vec<(u32, BoxedStrategy<T>)>) -> BoxedStrategy<T> {
    proptest::strategy::Union::new_weighted(arms.into_iter().filter(|(w, _)| *w > 0).collect()).boxed()
}

/// The actions of a swarm schedule: those of [`action`] or [`session_action`], reweighed.
fn swarm_action(swarm: &Swarm, session: bool) -> BoxedStrategy<Action> {
    let base = if session { SESSION_ACTION_WEIGHTS } else { ACTION_WEIGHTS };
    let w = |k: usize| base[k] * swarm.actions[k];
    let arms: Vec<(u32, BoxedStrategy<Action>)> = if session {
        let scope = prop_oneof![Just(Scope::Local), Just(Scope::Others), Just(Scope::Global)];
        vec![
            (w(0), Just(Action::Fetch).boxed()),
            (w(1), Just(Action::KeepaliveFetch).boxed()),
            (w(2), (0u8..2).prop_map(Action::Login).boxed()),
            (w(3), scope.prop_map(Action::Logout).boxed()),
            (w(4), Just(Action::Refresh).boxed()),
            (w(5), Just(Action::Restore).boxed()),
            (w(6), Just(Action::GetToken).boxed()),
            (w(7), Just(Action::Remount).boxed()),
            (w(8), any::<bool>().prop_map(Action::Activity).boxed()),
            (w(9), Just(Action::AbortLogin).boxed()),
        ]
    } else {
        vec![
            (w(0), Just(Action::Fetch).boxed()),
            (w(1), Just(Action::KeepaliveFetch).boxed()),
            (w(2), (0u8..3).prop_map(Action::Login).boxed()),
            (w(3), Just(Action::Logout(Scope::Local)).boxed()),
            (w(4), Just(Action::Refresh).boxed()),
            (w(5), Just(Action::Restore).boxed()),
            (w(6), Just(Action::GetToken).boxed()),
            (w(7), Just(Action::SetToken).boxed()),
            (w(8), Just(Action::Remount).boxed()),
            (w(9), Just(Action::AbortLogin).boxed()),
        ]
    };
    weighted(arms)
}

/// The steps of a swarm schedule: those of [`steps`], reweighed.
fn swarm_steps(swarm: &Swarm, action: BoxedStrategy<Action>) -> BoxedStrategy<Step> {
    let advance = if swarm.near_expiry {
        prop_oneof![
            Just(10u32),
            Just(200),
            Just(1_000),
            Just(5_000),
            Just(20_000),
            Just(31_000),
            Just(24_000),
            Just(25_000),
            Just(29_000),
            Just(29_990)
        ]
        .boxed()
    } else {
        prop_oneof![Just(10u32), Just(200), Just(1_000), Just(5_000), Just(20_000), Just(31_000)].boxed()
    };
    let w = swarm.steps;
    weighted(vec![
        (w[0], (0usize..6, action).prop_map(|(tab, action)| Step::Act { tab, action }).boxed()),
        (w[1], (0usize..16).prop_map(Step::Network).boxed()),
        (w[2], (0usize..16).prop_map(Step::Channel).boxed()),
        (w[3], advance.prop_map(Step::Advance).boxed()),
        (
            w[4],
            (prop_oneof![Just(60_000u32), Just(3_600_000)], any::<bool>())
                .prop_map(|(ms, mono_stops)| Step::Sleep { ms, mono_stops })
                .boxed(),
        ),
        (w[5], any::<bool>().prop_map(Step::ClockJump).boxed()),
        (w[6], fault().prop_map(Step::Fault).boxed()),
        (w[7], any::<bool>().prop_map(Step::NetworkDown).boxed()),
        (w[8], Just(Step::OpenTab).boxed()),
        (w[9], (0usize..6).prop_map(Step::CloseTab).boxed()),
    ])
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        10 => Just(Action::Fetch),
        1 => Just(Action::KeepaliveFetch),
        4 => (0u8..3).prop_map(Action::Login),
        2 => Just(Action::Logout(Scope::Local)),
        2 => Just(Action::Refresh),
        1 => Just(Action::Restore),
        1 => Just(Action::GetToken),
        1 => Just(Action::SetToken),
        1 => Just(Action::Remount),
        1 => Just(Action::AbortLogin),
    ]
}

/// With the session features: sign-out in any scope, activity, two users (so the second
/// device is often the same user); no `setAccessToken` (its session's end is unknown).
fn session_action() -> impl Strategy<Value = Action> {
    let scope = prop_oneof![Just(Scope::Local), Just(Scope::Others), Just(Scope::Global)];
    prop_oneof![
        10 => Just(Action::Fetch),
        1 => Just(Action::KeepaliveFetch),
        4 => (0u8..2).prop_map(Action::Login),
        3 => scope.prop_map(Action::Logout),
        2 => Just(Action::Refresh),
        1 => Just(Action::Restore),
        1 => Just(Action::GetToken),
        1 => Just(Action::Remount),
        4 => any::<bool>().prop_map(Action::Activity),
        1 => Just(Action::AbortLogin),
    ]
}

/// Idle timeouts, warnings and lifetimes short enough to be reached within a schedule.
fn profile() -> impl Strategy<Value = Profile> {
    let idle = proptest::option::weighted(
        0.5,
        (prop_oneof![Just(20_000.0), Just(45_000.0), Just(90_000.0)], prop_oneof![Just(5_000.0), Just(10_000.0)]),
    );
    let sliding = proptest::option::of(prop_oneof![Just(40_000.0), Just(90_000.0)]);
    let lifetime = proptest::option::weighted(
        0.7,
        (prop_oneof![Just(60_000.0), Just(120_000.0), Just(300_000.0)], sliding)
            .prop_map(|(absolute_ms, sliding_ms)| Lifetime { absolute_ms, sliding_ms }),
    );
    let warning = prop_oneof![Just(0.0), Just(5_000.0), Just(15_000.0)];
    (any::<bool>(), idle, warning, lifetime).prop_map(|(remote, idle, session_warning_ms, lifetime)| Profile {
        remote,
        idle,
        session_warning_ms,
        lifetime,
        session_login: false,
    })
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![Just(Fault::Status503), Just(Fault::TooMany), Just(Fault::CommitThenDrop), Just(Fault::Slow)]
}

pub fn step() -> impl Strategy<Value = Step> {
    steps(action().boxed())
}

fn steps(action: BoxedStrategy<Action>) -> impl Strategy<Value = Step> {
    prop_oneof![
        30 => (0usize..6, action).prop_map(|(tab, action)| Step::Act { tab, action }),
        30 => (0usize..16).prop_map(Step::Network),
        15 => (0usize..16).prop_map(Step::Channel),
        10 => prop_oneof![Just(10u32), Just(200), Just(1_000), Just(5_000), Just(20_000), Just(31_000)].prop_map(Step::Advance),
        1 => (prop_oneof![Just(60_000u32), Just(3_600_000)], any::<bool>())
            .prop_map(|(ms, mono_stops)| Step::Sleep { ms, mono_stops }),
        1 => any::<bool>().prop_map(Step::ClockJump),
        2 => fault().prop_map(Step::Fault),
        1 => any::<bool>().prop_map(Step::NetworkDown),
        1 => Just(Step::OpenTab),
        1 => (0usize..6).prop_map(Step::CloseTab),
    ]
}

impl ReferenceStateMachine for Schedule {
    type State = Schedule;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Self::State> {
        // `SIM_SWARM=0`: the full mix only (to measure what swarm schedules add).
        let swarm = if std::env::var_os("SIM_SWARM").is_some_and(|v| v == "0") {
            Just(None).boxed()
        } else {
            proptest::option::of(swarm()).boxed()
        };
        (1usize..=6, proptest::option::of(profile()), proptest::bool::weighted(0.3), swarm)
            .prop_map(|(tabs, profile, session_login, swarm)| Schedule { tabs, profile, session_login, swarm })
            .boxed()
    }

    fn transitions(state: &Self::State) -> BoxedStrategy<Self::Transition> {
        match (state.profile, &state.swarm) {
            (None, None) => step().boxed(),
            (Some(_), None) => steps(session_action().boxed()).boxed(),
            (profile, Some(swarm)) => swarm_steps(swarm, swarm_action(swarm, profile.is_some())),
        }
    }

    fn apply(state: Self::State, _transition: &Self::Transition) -> Self::State {
        state
    }
}

pub struct Simulation;

impl StateMachineTest for Simulation {
    type SystemUnderTest = World;
    type Reference = Schedule;

    fn init_test(schedule: &Schedule) -> World {
        let profile = Profile { session_login: schedule.session_login, ..schedule.profile.unwrap_or_default() };
        World::with(schedule.tabs, profile)
    }

    fn apply(mut world: World, _schedule: &Schedule, step: Step) -> World {
        world.step(step);
        invariants::after_step(&mut world);
        world
    }

    fn teardown(mut world: World, _schedule: Schedule) {
        invariants::at_quiescence(&mut world);
    }
}

fn cases() -> u32 {
    std::env::var("SIM_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000)
}

/// Run `cases` schedules from one seed; panics with the shrunk schedule on a violation.
fn run(cases: u32, seed: u64) {
    let config = RunnerConfig { cases, failure_persistence: None, ..RunnerConfig::default() };
    let mut runner = TestRunner::new_with_rng(
        config,
        proptest::test_runner::TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &seed_bytes(seed)),
    );
    let strategy = Schedule::sequential_strategy(1..80);
    // Schedules run so far, and at which one the first failure came (before shrinking).
    let ran = std::sync::atomic::AtomicU64::new(0);
    let first_failure = std::sync::atomic::AtomicU64::new(0);
    let result = runner.run(&strategy, |(initial, transitions, seen)| {
        use std::sync::atomic::Ordering::Relaxed;
        let n = ran.fetch_add(1, Relaxed) + 1;
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Simulation::test_sequential(RunnerConfig::default(), initial, transitions, seen);
        }));
        if let Err(panic) = outcome {
            let _ = first_failure.compare_exchange(0, n, Relaxed, Relaxed);
            std::panic::resume_unwind(panic);
        }
        Ok(())
    });
    if let Err(e) = result {
        let n = first_failure.into_inner();
        panic!("simulator (seed {seed}): first failing schedule: number {n} of {cases}: {e:#?}");
    }
}

fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for (i, b) in seed.to_le_bytes().iter().enumerate() {
        bytes[i] = *b;
        bytes[i + 8] = b.wrapping_mul(31);
    }
    bytes
}

#[test]
fn random_schedules_keep_every_invariant() {
    let seed = std::env::var("SIM_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(19);
    let t0 = std::time::Instant::now();
    let cases = cases();
    run(cases, seed);
    let secs = t0.elapsed().as_secs_f64();
    println!("simulator: {cases} schedules in {secs:.1} s ({:.0} per second), seed {seed}", f64::from(cases) / secs);
}

// ---- refreshes per token lifetime ------------------------------------------------------------

/// Steps of a quiet life: requests, time, and the network and channel delivering (within
/// bounds: no faults). No user refresh, login or logout, no sleep, no clock jump.
fn quiet_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        30 => (0usize..6).prop_map(|tab| Step::Act { tab, action: Action::Fetch }),
        30 => (0usize..16).prop_map(Step::Network),
        15 => (0usize..16).prop_map(Step::Channel),
        25 => prop_oneof![Just(10u32), Just(200), Just(1_000), Just(5_000), Just(20_000)].prop_map(Step::Advance),
    ]
}

/// The network answers within this (each way), the channel delivers within this (ms).
const QUIET_LATENCY: (f64, f64) = (1_000.0, 20.0);

/// K tabs signed in (a login in the first, shared with the others), then a quiet schedule.
/// Returns the server's rotations during it and the real time it took (ms).
fn quiet_life(tabs: usize, session_login: bool, steps: &[Step]) -> (u32, f64) {
    let mut world = World::with(tabs, Profile { session_login, ..Profile::default() });
    world.act(0, Action::Login(0));
    world.quiesce();
    world.latency_bound = Some(QUIET_LATENCY);
    let (rotations, t0) = (world.server.rotations, world.real_ms());
    for &step in steps {
        world.step(step);
        invariants::after_step(&mut world);
    }
    world.quiesce();
    invariants::after_step(&mut world);
    assert_eq!(world.faults, 0, "a quiet life has no faults");
    (world.server.rotations - rotations, world.real_ms() - t0)
}

/// Rotations allowed beyond one per refresh period and one under way at the end, whatever K:
/// none. The tabs' timers are set from tokens adopted within the channel bound of each other,
/// and a run waits `LOCK_SETTLE_MS` (30 ms, above the 20 ms channel bound) under the lock
/// before it asks, so K tabs make one rotation per period between them, not one each. (With
/// no bound on the channel, each of the other K - 1 tabs could add one per period.)
const EXTRA_ROTATIONS: u32 = 0;

/// The most rotations a quiet life of `elapsed_ms` may cause: one per refresh period (from the
/// earliest refresh point: lifetime - margin - the jitter's 20 % of the margin), one more for
/// a refresh under way at the end, and [`EXTRA_ROTATIONS`].
fn rotations_allowed(elapsed_ms: f64) -> u32 {
    let period_ms = server::ACCESS_TTL_S * 1000.0 - world::REFRESH_MARGIN_MS * 1.2;
    (elapsed_ms / period_ms).floor() as u32 + 1 + EXTRA_ROTATIONS
}

/// Refreshes per token lifetime stay at one, however many tabs and whether the login answer
/// carries the token or not: server rotations over a quiet life (`SIM_CASES / 4` schedules of
/// up to 300 steps, 1-6 tabs) never exceed
/// [`rotations_allowed`].
#[test]
fn refreshes_per_token_lifetime() {
    let seed = std::env::var("SIM_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(19);
    let config = RunnerConfig { cases: cases() / 4, failure_persistence: None, ..RunnerConfig::default() };
    let mut runner = TestRunner::new_with_rng(
        config,
        proptest::test_runner::TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &seed_bytes(seed)),
    );
    let strategy = (1usize..=6, any::<bool>(), proptest::collection::vec(quiet_step(), 1..300));
    let result = runner.run(&strategy, |(tabs, session_login, steps)| {
        let (rotations, elapsed_ms) = quiet_life(tabs, session_login, &steps);
        let allowed = rotations_allowed(elapsed_ms);
        prop_assert!(
            rotations <= allowed,
            "{rotations} rotations in {elapsed_ms} ms, {tabs} tabs, session_login {session_login} (allowed {allowed})"
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("refreshes per token lifetime (seed {seed}): {e:#?}");
    }
}

/// `make sim SECONDS=N`: batches of schedules from fresh seeds until the time is up.
#[test]
#[ignore]
fn sim_for_seconds() {
    let seconds: f64 = std::env::var("SIM_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(60.0);
    let t0 = std::time::Instant::now();
    let mut total = 0u64;
    let mut seed = std::env::var("SIM_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000);
    while t0.elapsed().as_secs_f64() < seconds {
        run(1_000, seed);
        total += 1_000;
        seed += 1;
    }
    let secs = t0.elapsed().as_secs_f64();
    println!("simulator: {total} schedules in {secs:.1} s ({:.0} per second)", total as f64 / secs);
}
