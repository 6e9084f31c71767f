//! Refresh policy: when to refresh, how to classify a refresh response, how long to back off,
//! and the storm breaker. Pure functions of their inputs (time and randomness included).

/// Jitter takes up to this fraction of the margin off the refresh point, so tabs and clients
/// that received tokens together do not refresh in lockstep.
const MARGIN_JITTER_FRACTION: f64 = 0.2;

/// A random sample forced into `[0, 1]` (NaN → 0), so a bad sample can never poison a delay.
fn unit(random01: f64) -> f64 {
    if random01.is_nan() {
        0.0
    } else {
        random01.clamp(0.0, 1.0)
    }
}

/// When, in ms after receipt, a token with `lifetime_ms` should be refreshed.
///
/// The margin is capped at half the lifetime (a 60 s margin on a 10 s token would mean
/// refreshing immediately, forever). `random01` is a uniform sample in `[0, 1)`.
pub fn refresh_point_ms(lifetime_ms: f64, margin_ms: f64, random01: f64) -> f64 {
    let lifetime = if lifetime_ms.is_finite() { lifetime_ms.max(0.0) } else { 0.0 };
    let margin = if margin_ms.is_nan() { 0.0 } else { margin_ms.clamp(0.0, lifetime / 2.0) };
    let jitter = margin * MARGIN_JITTER_FRACTION * unit(random01);
    (lifetime - margin - jitter).max(0.0)
}

/// What a refresh endpoint's answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshClass {
    /// 2xx: a token is expected in the body.
    Success,
    /// 400/401/403: the refresh cookie is missing, expired, revoked or reused. Session over.
    SessionOver,
    /// Network error, 408, 429, 5xx: try again with backoff, keep the current token.
    Transient,
    /// Anything else (3xx, 404, 405, ...): a deployment error that retrying cannot fix.
    /// The attempt fails (`refresh_failed`) without retries; the session is kept.
    Unexpected,
}

/// Classify an HTTP status from the refresh endpoint (`None` = network error / no response).
pub fn classify_refresh_status(status: Option<u16>) -> RefreshClass {
    match status {
        None => RefreshClass::Transient,
        Some(200..=299) => RefreshClass::Success,
        Some(400 | 401 | 403) => RefreshClass::SessionOver,
        Some(408 | 429 | 500..=599) => RefreshClass::Transient,
        Some(_) => RefreshClass::Unexpected,
    }
}

/// Exponential backoff with "equal jitter" and a ceiling, honouring `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub base_ms: f64,
    pub max_ms: f64,
    /// Attempts in one refresh run (the first included) before it fails with `refresh_failed`.
    pub max_attempts: u32,
    /// A `Retry-After` longer than this ends the run now (the scheduler tries again later).
    pub max_retry_after_ms: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { base_ms: 500.0, max_ms: 30_000.0, max_attempts: 4, max_retry_after_ms: 60_000.0 }
    }
}

impl Backoff {
    /// Delay before retry number `retry` (0 = the first retry), or `None` when the run should
    /// stop (attempts used up, or the server asked for a longer pause than we wait inline).
    pub fn delay_ms(&self, retry: u32, retry_after_ms: Option<f64>, random01: f64) -> Option<f64> {
        if retry.saturating_add(1) >= self.max_attempts {
            return None;
        }
        let exp = (self.base_ms * 2f64.powi(retry.min(30) as i32)).min(self.max_ms);
        let jittered = exp / 2.0 + exp / 2.0 * unit(random01);
        match retry_after_ms {
            Some(ra) if ra > self.max_retry_after_ms => None,
            Some(ra) => Some(ra.max(jittered.min(ra + exp / 2.0))),
            None => Some(jittered),
        }
    }

    /// Delay before the scheduler starts a new run after a failed one, while the token is
    /// still valid: the backoff ceiling, shortened so it lands before `remaining_ms` runs out.
    pub fn next_run_delay_ms(&self, remaining_ms: Option<f64>, retry_after_ms: Option<f64>) -> f64 {
        let wait = retry_after_ms.unwrap_or(self.max_ms).max(self.base_ms);
        match remaining_ms {
            Some(r) if r > 0.0 => wait.min((r / 2.0).max(self.base_ms)),
            _ => wait,
        }
    }
}

/// Parse a `Retry-After` value: delta-seconds or an IMF-fixdate (RFC 9110 §10.2.3).
pub fn parse_retry_after_ms(value: &str, now_wall_ms: f64) -> Option<f64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse::<u32>().ok().map(|s| f64::from(s) * 1000.0);
    }
    let at = parse_imf_fixdate_ms(value)?;
    Some((at - now_wall_ms).max(0.0))
}

/// An HTTP date (`Date`, `Retry-After`): `Sun, 06 Nov 1994 08:49:37 GMT` → ms since epoch.
pub fn parse_imf_fixdate_ms(s: &str) -> Option<f64> {
    let rest = s.get(5..)?; // skip "Sun, "
    let mut it = rest.split(' ');
    let day: i64 = it.next()?.parse().ok()?;
    let month = match it.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':');
    let (h, m, sec): (i64, i64, i64) =
        (hms.next()?.parse().ok()?, hms.next()?.parse().ok()?, hms.next()?.parse().ok()?);
    if it.next()? != "GMT" || it.next().is_some() || !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + h * 3600 + m * 60 + sec) * 1000) as f64)
}

/// Refuses refresh runs beyond `max_runs` in any `window_ms`: a last line of defence against
/// loops (a server that issues already-expired tokens, a 401 that no refresh can fix, ...).
#[derive(Debug, Clone)]
pub struct StormBreaker {
    pub window_ms: f64,
    pub max_runs: usize,
    starts: Vec<f64>,
}

impl Default for StormBreaker {
    fn default() -> Self {
        Self::new(10_000.0, 8)
    }
}

impl StormBreaker {
    pub fn new(window_ms: f64, max_runs: usize) -> Self {
        Self { window_ms, max_runs, starts: Vec::new() }
    }

    /// Record a run starting at `now_mono_ms` if allowed; `false` means "refuse this run".
    pub fn try_start(&mut self, now_mono_ms: f64) -> bool {
        while self.starts.first().is_some_and(|&t| now_mono_ms - t >= self.window_ms) {
            self.starts.remove(0);
        }
        if self.starts.len() >= self.max_runs {
            return false;
        }
        self.starts.push(now_mono_ms);
        true
    }

    /// ms until a run would be allowed (0: now).
    pub fn free_in_ms(&self, now_mono_ms: f64) -> f64 {
        if self.starts.len() < self.max_runs {
            return 0.0;
        }
        let oldest = self.starts.first().copied().unwrap_or(now_mono_ms);
        (oldest + self.window_ms - now_mono_ms).max(0.0)
    }

    /// Forget past runs (a login starts afresh).
    pub fn reset(&mut self) {
        self.starts.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_point_table() {
        let cases: &[(&str, f64, f64, f64, f64)] = &[
            ("5 min token, 60 s margin, no jitter", 300_000.0, 60_000.0, 0.0, 240_000.0),
            ("5 min token, 60 s margin, max jitter", 300_000.0, 60_000.0, 1.0, 228_000.0),
            ("margin capped at half the lifetime", 10_000.0, 60_000.0, 0.0, 5_000.0),
            ("tiny token", 2.0, 60_000.0, 0.0, 1.0),
            ("zero lifetime: now", 0.0, 60_000.0, 0.5, 0.0),
            ("zero margin: at the deadline", 3_000.0, 0.0, 0.7, 3_000.0),
            ("negative margin treated as zero", 3_000.0, -5.0, 0.0, 3_000.0),
            ("NaN lifetime: now", f64::NAN, 1.0, 0.0, 0.0),
            // Found by `make fuzz`: a NaN sample or margin must not mean "refresh now".
            ("NaN random: no jitter", 300_000.0, 60_000.0, f64::NAN, 240_000.0),
            ("NaN margin: none", 3_000.0, f64::NAN, 0.5, 3_000.0),
        ];
        for (name, lifetime, margin, r, want) in cases {
            assert_eq!(refresh_point_ms(*lifetime, *margin, *r), *want, "{name}");
        }
    }

    #[test]
    fn classification_table() {
        use RefreshClass::*;
        let cases: &[(Option<u16>, RefreshClass)] = &[
            (None, Transient),
            (Some(200), Success),
            (Some(204), Success),
            (Some(400), SessionOver),
            (Some(401), SessionOver),
            (Some(403), SessionOver),
            (Some(404), Unexpected),
            (Some(302), Unexpected),
            (Some(408), Transient),
            (Some(429), Transient),
            (Some(500), Transient),
            (Some(503), Transient),
            (Some(599), Transient),
        ];
        for (status, want) in cases {
            assert_eq!(classify_refresh_status(*status), *want, "{status:?}");
        }
    }

    #[test]
    fn backoff_table() {
        let b = Backoff::default();
        assert_eq!(b.delay_ms(0, None, 0.0), Some(250.0));
        assert_eq!(b.delay_ms(0, None, 1.0), Some(500.0));
        assert_eq!(b.delay_ms(1, None, 1.0), Some(1000.0));
        assert_eq!(b.delay_ms(2, None, 0.0), Some(1000.0));
        assert_eq!(b.delay_ms(3, None, 0.0), None, "4 attempts in all");
        assert_eq!(b.delay_ms(0, Some(2000.0), 0.0), Some(2000.0), "Retry-After is a floor");
        assert_eq!(b.delay_ms(0, Some(0.0), 1.0), Some(250.0), "jitter bounded around Retry-After");
        assert_eq!(b.delay_ms(0, Some(120_000.0), 0.0), None, "too long to wait inline");
        let capped = Backoff { max_attempts: 100, ..b };
        assert_eq!(capped.delay_ms(40, None, 1.0), Some(30_000.0), "ceiling");
        assert_eq!(b.next_run_delay_ms(Some(10_000.0), None), 5_000.0);
        assert_eq!(b.next_run_delay_ms(None, Some(2_000.0)), 2_000.0);
        assert_eq!(b.next_run_delay_ms(Some(100.0), None), 500.0, "never below base");
        // Found by `make fuzz` (deadline target): `retry + 1` overflowed for u32::MAX.
        assert_eq!(b.delay_ms(u32::MAX, None, 0.5), None);
        // Found by `make fuzz`: a NaN random sample gave a NaN delay.
        assert_eq!(b.delay_ms(0, None, f64::NAN), Some(250.0));
    }

    #[test]
    fn retry_after_table() {
        let now = 784_111_777_000.0; // Sun, 06 Nov 1994 08:49:37 GMT
        let cases: &[(&str, Option<f64>)] = &[
            ("2", Some(2000.0)),
            (" 120 ", Some(120_000.0)),
            ("0", Some(0.0)),
            ("-1", None),
            ("1.5", None),
            ("", None),
            ("soon", None),
            ("99999999999", None),
            ("Sun, 06 Nov 1994 08:49:37 GMT", Some(0.0)),
            ("Sun, 06 Nov 1994 08:49:47 GMT", Some(10_000.0)),
            ("Sat, 05 Nov 1994 08:49:37 GMT", Some(0.0)),
            ("Thu, 01 Jan 1970 00:00:00 GMT", Some(0.0)),
            ("Sun, 06 Nov 1994 08:49:37 UTC", None),
            ("Sun, 06 Foo 1994 08:49:37 GMT", None),
        ];
        for (value, want) in cases {
            assert_eq!(parse_retry_after_ms(value, now), *want, "{value:?}");
        }
        assert_eq!(parse_imf_fixdate_ms("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0.0));
        assert_eq!(parse_imf_fixdate_ms("Sun, 06 Nov 1994 08:49:37 GMT"), Some(now));
    }

    #[test]
    fn http_dates_every_month_and_every_bound() {
        // The first of each month of 2025 (not a leap year), from 2025-01-01T00:00:00Z.
        let jan1 = 1_735_689_600_000.0;
        let days = [0.0, 31.0, 59.0, 90.0, 120.0, 151.0, 181.0, 212.0, 243.0, 273.0, 304.0, 334.0];
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        for (m, d) in months.iter().zip(days) {
            let date = format!("Wed, 01 {m} 2025 00:00:00 GMT");
            assert_eq!(parse_imf_fixdate_ms(&date), Some(jan1 + d * 86_400_000.0), "{date}");
        }
        // 2024 is a leap year: 29 Feb, then 1 Mar a day later.
        let feb29 = parse_imf_fixdate_ms("Thu, 29 Feb 2024 00:00:00 GMT").expect("29 Feb");
        assert_eq!(parse_imf_fixdate_ms("Fri, 01 Mar 2024 00:00:00 GMT"), Some(feb29 + 86_400_000.0));
        let base = 784_111_777_000.0; // Sun, 06 Nov 1994 08:49:37 GMT
        let cases: &[(&str, Option<f64>)] = &[
            ("Sat, 31 Dec 1994 08:49:37 GMT", Some(base + 55.0 * 86_400_000.0)),
            ("Sun, 00 Nov 1994 08:49:37 GMT", None),
            ("Sun, 32 Nov 1994 08:49:37 GMT", None),
            ("Sun, 06 Nov 1994 23:49:37 GMT", Some(base + 15.0 * 3_600_000.0)),
            ("Sun, 06 Nov 1994 24:49:37 GMT", None),
            ("Sun, 06 Nov 1994 08:59:37 GMT", Some(base + 10.0 * 60_000.0)),
            ("Sun, 06 Nov 1994 08:60:37 GMT", None),
            ("Sun, 06 Nov 1994 08:49:60 GMT", Some(base + 23_000.0)),
            ("Sun, 06 Nov 1994 08:49:61 GMT", None),
            ("Sun, 06 Nov 1994 08:49:37 GMT extra", None),
            ("Sun, 06 Nov 1994 08:49:37", None),
        ];
        for (value, want) in cases {
            assert_eq!(parse_imf_fixdate_ms(value), *want, "{value:?}");
        }
    }

    #[test]
    fn the_next_run_waits_the_ceiling_once_the_token_is_dead() {
        let b = Backoff::default();
        // Time left: half of it (not less than the base), at most the ceiling.
        assert_eq!(b.next_run_delay_ms(Some(10_000.0), None), 5_000.0);
        assert_eq!(b.next_run_delay_ms(Some(100.0), None), 500.0);
        assert_eq!(b.next_run_delay_ms(Some(600_000.0), None), 30_000.0);
        // No time left (or none known): the ceiling, or the server's Retry-After.
        for dead in [Some(0.0), Some(-5_000.0), None] {
            assert_eq!(b.next_run_delay_ms(dead, None), 30_000.0, "{dead:?}");
            assert_eq!(b.next_run_delay_ms(dead, Some(2_000.0)), 2_000.0, "{dead:?}");
        }
    }

    #[test]
    fn a_retry_after_of_exactly_the_longest_inline_wait_is_waited() {
        let b = Backoff::default();
        assert_eq!(b.delay_ms(0, Some(60_000.0), 0.5), Some(60_000.0));
        assert_eq!(b.delay_ms(0, Some(60_001.0), 0.5), None);
    }

    #[test]
    fn storm_breaker_refuses_beyond_the_window_budget() {
        let mut b = StormBreaker::new(10_000.0, 3);
        assert!(b.try_start(0.0));
        assert!(b.try_start(1.0));
        assert!(b.try_start(2.0));
        assert!(!b.try_start(3.0), "fourth run inside 10 s refused");
        assert!(!b.try_start(9_999.0));
        assert_eq!(b.free_in_ms(9_999.0), 1.0, "the oldest start leaves the window in 1 ms");
        assert!(b.try_start(10_000.0), "first start left the window");
        b.reset();
        assert!(b.try_start(10_001.0) && b.try_start(10_002.0));
    }
}
