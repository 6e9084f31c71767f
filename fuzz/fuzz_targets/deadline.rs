//! Arbitrary numbers into the deadline maths, backoff and Retry-After parsing: results are
//! finite and within their documented ranges.
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use wasm_token_manager::core::clock::{token_lifetime_ms, Instant, TokenTimes};
use wasm_token_manager::core::policy::{parse_retry_after_ms, refresh_point_ms, Backoff};

#[derive(Debug, Arbitrary)]
struct Input {
    expires_in: Option<f64>,
    exp: Option<f64>,
    iat: Option<f64>,
    now_wall: f64,
    a: (f64, f64),
    b: (f64, f64),
    margin: f64,
    random: f64,
    retry: u32,
    retry_after: Option<f64>,
    header: String,
}

fuzz_target!(|i: Input| {
    let times = TokenTimes { exp: i.exp.filter(|v| v.is_finite()), iat: i.iat.filter(|v| v.is_finite()), nbf: None };
    if let Some(l) = token_lifetime_ms(i.expires_in, times, if i.now_wall.is_finite() { i.now_wall } else { 0.0 }) {
        assert!(l >= 0.0, "lifetime {l}");
        let p = refresh_point_ms(l, i.margin, i.random);
        assert!(p >= 0.0 && (p <= l || !l.is_finite()), "point {p} of {l}");
    }
    let e = Instant::new(i.b.0, i.b.1).elapsed_since(Instant::new(i.a.0, i.a.1));
    assert!(e >= 0.0 && !e.is_nan(), "elapsed {e}");
    let backoff = Backoff::default();
    if let Some(d) = backoff.delay_ms(i.retry, i.retry_after.filter(|v| v.is_finite() && *v >= 0.0), i.random) {
        assert!(d.is_finite() && d >= 0.0, "delay {d}");
    }
    if let Some(ms) = parse_retry_after_ms(&i.header, 1.7e12) {
        assert!(ms.is_finite() && ms >= 0.0, "retry-after {ms}");
    }
});
