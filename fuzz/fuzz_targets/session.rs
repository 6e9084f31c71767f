//! Arbitrary sequences of session events with arbitrary clocks: never a panic, generations only
//! grow, an ended session holds no token, and a 401 for the current token never "replays".
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use wasm_token_manager::core::session::{Adoption, EndReason, RefreshKind, Session, UnauthorizedPlan};
use wasm_token_manager::core::token::TokenShape;
use wasm_token_manager::core::Instant;

#[derive(Debug, Arbitrary)]
enum Op {
    Adopt { expires_in: Option<f64>, margin: f64, random: f64 },
    End(bool),
    StartRefresh(u8),
    RunFailed(Option<f64>),
    BeforeRequest { in_flight: bool, waited: bool },
    Unauthorized { retried: bool },
    Advance(f64, f64),
}

fuzz_target!(|ops: Vec<Op>| {
    let mut s = Session::new();
    let mut now = Instant::new(0.0, 1.7e12);
    let mut last_generation = 0;
    for op in ops.into_iter().take(64) {
        match op {
            Op::Adopt { expires_in, margin, random } => {
                let a = Adoption { now, expires_in_s: expires_in, margin_ms: margin, random01: random };
                let g = s.adopt("a.b.c.d.e".into(), &TokenShape::Opaque, a);
                assert!(g.0 > last_generation);
                last_generation = g.0;
            }
            Op::End(logout) => {
                s.end(if logout { EndReason::LoggedOut } else { EndReason::SessionExpired });
                assert!(s.token().is_none());
            }
            Op::StartRefresh(k) => {
                let kind = [RefreshKind::Automatic, RefreshKind::Explicit, RefreshKind::Restore][usize::from(k % 3)];
                let _ = s.try_start_refresh(now, kind);
            }
            Op::RunFailed(ra) => {
                let d = s.run_failed(now, ra.filter(|v| v.is_finite() && *v >= 0.0));
                assert!(d >= 0.0);
            }
            Op::BeforeRequest { in_flight, waited } => {
                let _ = s.before_request(now, in_flight, waited);
                let _ = s.timer_delay_ms(now);
                let _ = s.expires_at_wall_ms(now);
            }
            Op::Unauthorized { retried } => {
                let current = s.token().map(|t| t.generation());
                let plan = s.after_unauthorized(current, retried);
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
