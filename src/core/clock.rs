//! Time as the page sees it, and the deadline maths.
//!
//! A token's deadline is *receive time + lifetime*, measured as elapsed time, never by comparing
//! `exp` with the device clock (which may be wrong by hours). Elapsed time is the larger of the
//! monotonic clock (`performance.now()`) and the wall clock (`Date.now()`) deltas: the monotonic
//! clock is immune to clock changes but on some platforms stops while the machine sleeps; the
//! wall clock keeps running through sleep. A wall clock moved *forward* by the user can therefore
//! cause one early refresh (harmless and bounded); moving it backwards or having it wrong by a
//! constant offset changes nothing.

/// One reading of both clocks, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Instant {
    /// `performance.now()`: monotonic, may pause during system sleep.
    pub mono_ms: f64,
    /// `Date.now()`: wall clock, may be wrong or jump.
    pub wall_ms: f64,
}

impl Instant {
    pub const fn new(mono_ms: f64, wall_ms: f64) -> Self {
        Self { mono_ms, wall_ms }
    }

    /// Milliseconds elapsed since `earlier` (never negative).
    pub fn elapsed_since(self, earlier: Instant) -> f64 {
        let mono = self.mono_ms - earlier.mono_ms;
        let wall = self.wall_ms - earlier.wall_ms;
        let elapsed = if wall.is_finite() && wall > mono { wall } else { mono };
        if elapsed.is_finite() && elapsed > 0.0 {
            elapsed
        } else {
            0.0
        }
    }
}

/// The standard time claims of a token, in seconds since the epoch (floats allowed).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TokenTimes {
    pub exp: Option<f64>,
    pub iat: Option<f64>,
    pub nbf: Option<f64>,
}

/// How long a freshly received token is valid, in ms, or `None` when it cannot be known
/// (opaque token without `expires_in`): such a token is refreshed reactively, on 401 only.
///
/// Order of preference: the response's `expires_in`; else `exp - iat` (both from the issuer's
/// clock, so immune to the device clock); else `exp - now` (device clock, last resort).
pub fn token_lifetime_ms(expires_in_s: Option<f64>, times: TokenTimes, now_wall_ms: f64) -> Option<f64> {
    if let Some(s) = expires_in_s.filter(|s| s.is_finite() && *s >= 0.0) {
        return Some(s * 1000.0);
    }
    match (times.exp, times.iat) {
        (Some(exp), Some(iat)) if exp >= iat => Some((exp - iat) * 1000.0),
        (Some(exp), _) => Some((exp * 1000.0 - now_wall_ms).max(0.0)),
        (None, _) => None,
    }
}

/// The lifetime (ms) of a token whose response gave an absolute expiry `expires_at_s` (seconds
/// since the epoch, on the server's clock). With the response's `Date` (`server_now_ms`) the
/// difference is taken on the server's clock, so a wrong device clock changes nothing; without
/// it, the device clock is the last resort. `None` for a nonsensical value.
pub fn lifetime_from_expires_at_ms(expires_at_s: f64, server_now_ms: Option<f64>, now_wall_ms: f64) -> Option<f64> {
    if !expires_at_s.is_finite() || expires_at_s <= 0.0 {
        return None;
    }
    let reference = server_now_ms.filter(|d| d.is_finite()).unwrap_or(now_wall_ms);
    Some((expires_at_s * 1000.0 - reference).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_expiry_table() {
        let server = 1_700_000_000_000.0;
        // (name, expires_at_s, server Date, device clock, want)
        type Case = (&'static str, f64, Option<f64>, f64, Option<f64>);
        let cases: &[Case] = &[
            ("server Date decides", 1_700_000_300.0, Some(server), server, Some(300_000.0)),
            ("device clock 1 h fast: ignored", 1_700_000_300.0, Some(server), server + 3_600_000.0, Some(300_000.0)),
            ("device clock 1 h slow: ignored", 1_700_000_300.0, Some(server), server - 3_600_000.0, Some(300_000.0)),
            ("no Date: the device clock", 1_700_000_300.0, None, server + 100_000.0, Some(200_000.0)),
            ("already past: zero", 1_699_999_000.0, Some(server), server, Some(0.0)),
            ("not a time", f64::NAN, Some(server), server, None),
            ("zero", 0.0, Some(server), server, None),
        ];
        for (name, at, date, now, want) in cases {
            assert_eq!(lifetime_from_expires_at_ms(*at, *date, *now), *want, "{name}");
        }
    }

    const HOUR_MS: f64 = 3_600_000.0;

    type LifetimeCase = (&'static str, Option<f64>, TokenTimes, f64, Option<f64>);

    #[test]
    fn lifetime_table() {
        let now = 1_700_000_000_000.0; // device wall clock, ms
        let t = |exp, iat| TokenTimes { exp, iat, nbf: None };
        let cases: &[LifetimeCase] = &[
            ("expires_in wins", Some(300.0), t(Some(1e9), Some(1e9 - 60.0)), now, Some(300_000.0)),
            ("expires_in zero", Some(0.0), t(None, None), now, Some(0.0)),
            ("negative expires_in ignored", Some(-5.0), t(Some(1000.0), Some(700.0)), now, Some(300_000.0)),
            ("NaN expires_in ignored", Some(f64::NAN), t(None, None), now, None),
            ("exp - iat", None, t(Some(1_700_000_300.0), Some(1_700_000_000.0)), now, Some(300_000.0)),
            ("float exp - iat", None, t(Some(10.5), Some(10.0)), now, Some(500.0)),
            (
                "device clock +1h: exp-iat unaffected",
                None,
                t(Some(1_700_000_300.0), Some(1_700_000_000.0)),
                now + HOUR_MS,
                Some(300_000.0),
            ),
            (
                "device clock -1h: exp-iat unaffected",
                None,
                t(Some(1_700_000_300.0), Some(1_700_000_000.0)),
                now - HOUR_MS,
                Some(300_000.0),
            ),
            ("exp only: exp - now", None, t(Some(1_700_000_300.0), None), now, Some(300_000.0)),
            ("exp only, in the past: zero", None, t(Some(1_600_000_000.0), None), now, Some(0.0)),
            (
                "iat after exp: fall back to exp - now",
                None,
                t(Some(1_700_000_300.0), Some(1_800_000_000.0)),
                now,
                Some(300_000.0),
            ),
            ("no exp: unknown", None, t(None, Some(1.0)), now, None),
        ];
        for (name, expires_in, times, wall, want) in cases {
            assert_eq!(token_lifetime_ms(*expires_in, *times, *wall), *want, "{name}");
        }
    }

    #[test]
    fn elapsed_table() {
        let start = Instant::new(1_000.0, 1_700_000_000_000.0);
        let cases: &[(&str, Instant, f64)] = &[
            ("both clocks agree", Instant::new(6_000.0, 1_700_000_005_000.0), 5_000.0),
            ("wall clock set back 1h: monotonic wins", Instant::new(6_000.0, 1_700_000_005_000.0 - HOUR_MS), 5_000.0),
            (
                "machine slept 2h, monotonic paused: wall wins",
                Instant::new(1_500.0, 1_700_000_000_000.0 + 2.0 * HOUR_MS),
                2.0 * HOUR_MS,
            ),
            ("no time passed", start, 0.0),
            ("monotonic went backwards (bogus): zero", Instant::new(0.0, 1_699_999_000_000.0), 0.0),
            ("NaN wall: monotonic", Instant::new(2_000.0, f64::NAN), 1_000.0),
        ];
        for (name, now, want) in cases {
            assert_eq!(now.elapsed_since(start), *want, "{name}");
        }
    }
}
