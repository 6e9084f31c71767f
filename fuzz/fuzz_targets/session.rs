//! Arbitrary sequences of session events with arbitrary clocks and cross-tab news: never a
//! panic, generations only grow, epochs never go back, an ended session holds no token, and a
//! 401 for the current token never "replays".
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use wasm_token_manager::core::request::{UnauthorizedPlan, Waiting};
use wasm_token_manager::core::run::RefreshKind;
use wasm_token_manager::core::session::{Adoption, EndReason, Epoch, PeerToken, Session, TokenSource};
use wasm_token_manager::core::token::TokenShape;
use wasm_token_manager::core::Instant;

#[derive(Debug, Arbitrary)]
enum Op {
    Adopt { expires_in: Option<f64>, margin: f64, random: f64, source: u8 },
    PeerToken { epoch: u64, remaining: Option<f64> },
    PeerEnd(u64),
    End(bool),
    StartRefresh(u8),
    RunFailed(Option<f64>),
    BeforeRequest { in_flight: bool, waited: bool },
    Unauthorized { after_refresh: bool },
    Advance(f64, f64),
}

fuzz_target!(|ops: Vec<Op>| {
    let mut s = Session::new();
    let mut now = Instant::new(0.0, 1.7e12);
    let mut last_generation = 0;
    for op in ops.into_iter().take(64) {
        match op {
            Op::Adopt { expires_in, margin, random, source } => {
                let a = Adoption { now, expires_in_s: expires_in, margin_ms: margin, random01: random, dpop: false };
                let source = [TokenSource::Login, TokenSource::Refresh, TokenSource::Caller, TokenSource::OtherTab]
                    [usize::from(source % 4)];
                let before = s.epoch();
                let g = s.adopt("a.b.c.d.e".into(), &TokenShape::Opaque, source, a);
                assert!(g.0 > last_generation);
                assert!(s.epoch() >= before);
                last_generation = g.0;
            }
            Op::PeerToken { epoch, remaining } => {
                let (before, ended) = (s.epoch(), s.token().is_none() && s.state() != wasm_token_manager::core::session::SessionState::Anonymous);
                let d = s.on_peer_token(true, Epoch(epoch), "p.q.r.s.t", remaining, now);
                if Epoch(epoch) < before || (Epoch(epoch) == before && ended) {
                    assert_eq!(d, PeerToken::Ignore, "stale or ended-session token adopted");
                }
                assert!(s.epoch() >= before);
                if d != PeerToken::Ignore {
                    // As the machine does: a token it may take is taken.
                    let a = Adoption { now, expires_in_s: remaining.map(|r| r / 1000.0), margin_ms: 0.0, random01: 0.0, dpop: false };
                    let g = s.adopt("p.q.r.s.t".into(), &TokenShape::Opaque, TokenSource::OtherTab, a);
                    assert!(g.0 > last_generation);
                    last_generation = g.0;
                }
            }
            Op::PeerEnd(epoch) => {
                let before = s.epoch();
                if s.on_peer_end(Epoch(epoch)) {
                    assert!(Epoch(epoch) >= before, "a stale end must not end a newer session");
                    s.end(EndReason::LoggedOut, now);
                }
            }
            Op::End(logout) => {
                s.end(if logout { EndReason::LoggedOut } else { EndReason::SessionExpired }, now);
                assert!(s.token().is_none());
            }
            Op::StartRefresh(k) => {
                let kind = [RefreshKind::Background, RefreshKind::Needed, RefreshKind::Explicit, RefreshKind::Restore]
                    [usize::from(k % 4)];
                if let Ok(run) = s.start_run(now, kind) {
                    let _ = s.after_lock(&run, now);
                }
            }
            Op::RunFailed(ra) => {
                let d = s.run_failed(now, ra.filter(|v| v.is_finite() && *v >= 0.0));
                assert!(d >= 0.0);
            }
            Op::BeforeRequest { in_flight, waited } => {
                let waiting = if waited { Waiting::Waited } else { Waiting::May };
                let _ = s.before_request(now, in_flight, waiting);
                let _ = s.timer_delay_ms(now);
                let _ = s.expires_at_wall_ms(now);
            }
            Op::Unauthorized { after_refresh } => {
                let current = s.token().map(|t| t.generation());
                let plan = s.after_unauthorized(current, now, after_refresh);
                assert_ne!(plan, UnauthorizedPlan::Replay, "a 401 for the current token must not just replay");
            }
            Op::Advance(m, w) => {
                if m.is_finite() && w.is_finite() {
                    now = Instant::new(now.mono_ms + m.abs().min(1e12), now.wall_ms + w.clamp(-1e12, 1e12));
                }
            }
        }
    }
});
