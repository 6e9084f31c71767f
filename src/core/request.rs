//! The decisions of a wrapped request: wait for a token or send now, which token to attach,
//! and what to do after a 401.

use super::clock::Instant;
use super::session::{Session, TokenGeneration};

/// What `fetch` should do before sending a request to an allowed origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestPlan {
    /// Send now with [`Session::usable_token`] (if any); start a background refresh when
    /// `refresh_in_background` (inside the margin, not yet expired).
    Send { refresh_in_background: bool },
    /// Join the run in flight or start one (`RefreshKind::Needed`), then plan again with
    /// `after_wait = true`.
    Wait,
}

/// May a request wait for a refresh before it is sent?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// Not yet: it may wait for a token.
    May,
    /// It waited once already: it goes out now with what there is.
    Waited,
    /// Never: a `keepalive` request (page unload, analytics) goes out at once and is not
    /// replayed after a 401.
    Never,
}

/// What `fetch` should do after a 401 from an allowed origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnauthorizedPlan {
    /// A usable token newer than the one sent exists: resend with it, no refresh.
    Replay,
    /// Join the run in flight or start one, then ask again with `after_refresh = true`.
    RefreshThenReplay,
    /// Give the 401 to the caller.
    Return,
}

impl Session {
    /// The token to attach to a request now: the held token unless it is known to be past
    /// its deadline (a request never carries a token the manager knows is dead).
    pub fn usable_token(&self, now: Instant) -> Option<(&str, TokenGeneration)> {
        self.token.as_ref().filter(|t| !t.is_expired(now)).map(|t| (t.value(), t.generation()))
    }

    /// Before sending. A request waits only when it may, has no usable token and one may
    /// come: its token is past the deadline, or there is none while a run (a restore) is in
    /// flight. A request with a valid token never waits, even behind a slow refresh.
    pub fn before_request(&self, now: Instant, run_in_flight: bool, waiting: Waiting) -> RequestPlan {
        let send = |refresh_in_background| RequestPlan::Send { refresh_in_background };
        if waiting != Waiting::May {
            return send(false);
        }
        match &self.token {
            None if run_in_flight => RequestPlan::Wait,
            None => send(false),
            Some(t) if t.is_expired(now) => RequestPlan::Wait,
            Some(_) => send(!run_in_flight && self.refresh_due(now)),
        }
    }

    /// After a 401, the first time: has this request already had its refresh? Only when it
    /// waited for one and still went out without a token (the refresh failed); one that went
    /// out with a token the server rejected may refresh once more.
    pub fn had_its_refresh(waiting: Waiting, sent: Option<TokenGeneration>) -> bool {
        waiting == Waiting::Waited && sent.is_none()
    }

    /// After a 401 for a request that carried generation `sent` (`None`: no token).
    pub fn after_unauthorized(
        &self,
        sent: Option<TokenGeneration>,
        now: Instant,
        after_refresh: bool,
    ) -> UnauthorizedPlan {
        let newer_usable = self.usable_token(now).is_some_and(|(_, g)| sent.map_or(true, |s| g > s));
        if newer_usable {
            UnauthorizedPlan::Replay
        } else if self.token.is_some() && !after_refresh {
            UnauthorizedPlan::RefreshThenReplay
        } else {
            UnauthorizedPlan::Return
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::run::RefreshKind;
    use crate::core::session::tests::{adopt, at, T0};
    use crate::core::session::{Adoption, EndReason, TokenSource};
    use crate::core::token::TokenShape;

    #[test]
    fn before_request_table() {
        use RequestPlan::*;
        let mut s = Session::new();
        assert_eq!(s.before_request(T0, false, Waiting::May), Send { refresh_in_background: false }, "anonymous");
        assert_eq!(s.before_request(T0, true, Waiting::May), Wait, "restore in flight: wait for it");
        adopt(&mut s, 300.0, T0);
        // (name, ms after receipt, run in flight, after wait, want)
        let cases: &[(&str, f64, bool, bool, RequestPlan)] = &[
            ("fresh token", 1_000.0, false, false, Send { refresh_in_background: false }),
            ("inside the margin", 250_000.0, false, false, Send { refresh_in_background: true }),
            (
                "inside the margin, run in flight: no second run",
                250_000.0,
                true,
                false,
                Send { refresh_in_background: false },
            ),
            ("valid token never waits behind a run", 1_000.0, true, false, Send { refresh_in_background: false }),
            ("past the deadline", 300_000.0, false, false, Wait),
            ("past the deadline, run in flight", 300_000.0, true, false, Wait),
            ("after waiting: send", 400_000.0, false, true, Send { refresh_in_background: false }),
        ];
        for (name, ms, in_flight, waited, want) in cases {
            let waiting = if *waited { Waiting::Waited } else { Waiting::May };
            assert_eq!(s.before_request(at(*ms), *in_flight, waiting), *want, "{name}");
        }
        assert_eq!(
            s.before_request(at(300_000.0), true, Waiting::Never),
            Send { refresh_in_background: false },
            "keepalive: dead token, run in flight, still sent at once"
        );
        s.end(EndReason::SessionExpired, T0);
        assert_eq!(s.before_request(at(1.0), false, Waiting::May), Send { refresh_in_background: false });
    }

    #[test]
    fn a_known_dead_token_is_never_attached() {
        let mut s = Session::new();
        let g = adopt(&mut s, 300.0, T0);
        assert_eq!(s.usable_token(at(298_999.0)).map(|(_, g)| g), Some(g));
        assert_eq!(s.usable_token(at(299_000.0)), None, "at its deadline: send without it");
        let mut short = Session::new();
        adopt(&mut short, 2.0, T0);
        assert!(short.usable_token(at(1_333.0)).is_some(), "the skew is at most a third of a short lifetime");
        assert!(short.usable_token(at(1_334.0)).is_none());
        // A failed run in cooldown does not make the dead token usable again.
        s.run_failed(at(300_000.0), None);
        assert_eq!(s.usable_token(at(301_000.0)), None);
        assert_eq!(s.before_request(at(301_000.0), false, Waiting::May), RequestPlan::Wait, "wait for a Needed run");
        assert!(s.start_run(at(301_000.0), RefreshKind::Needed).is_ok(), "which the cooldown does not refuse");
    }

    #[test]
    fn which_401s_have_had_their_refresh() {
        let g = Some(TokenGeneration(3));
        assert!(Session::had_its_refresh(Waiting::Waited, None), "waited, the refresh failed, sent bare");
        assert!(!Session::had_its_refresh(Waiting::Waited, g), "waited, sent a fresh token the server rejected");
        assert!(!Session::had_its_refresh(Waiting::May, None), "never waited");
        assert!(!Session::had_its_refresh(Waiting::Never, None), "keepalive: not replayed anyway");
    }

    #[test]
    fn after_unauthorized_table() {
        use UnauthorizedPlan::*;
        let mut s = Session::new();
        assert_eq!(s.after_unauthorized(None, T0, false), Return, "anonymous request, no session");
        let g1 = adopt(&mut s, 300.0, T0);
        // (name, sent, ms, after refresh, want)
        let cases: &[(&str, Option<TokenGeneration>, f64, bool, UnauthorizedPlan)] = &[
            ("current token rejected: refresh", Some(g1), 1.0, false, RefreshThenReplay),
            ("still the same token after the refresh: give up", Some(g1), 1.0, true, Return),
            ("sent without a token, now have one", None, 1.0, false, Replay),
            ("sent without a token, ours is dead: refresh first", None, 300_000.0, false, RefreshThenReplay),
            ("dead token after the refresh: give up", None, 300_000.0, true, Return),
        ];
        for (name, sent, ms, after, want) in cases {
            assert_eq!(s.after_unauthorized(*sent, at(*ms), *after), *want, "{name}");
        }
        adopt(&mut s, 300.0, T0);
        assert_eq!(s.after_unauthorized(Some(g1), T0, false), Replay, "newer token exists: replay");
        assert_eq!(s.after_unauthorized(Some(g1), T0, true), Replay, "the refresh produced one");
        s.end(EndReason::SessionExpired, T0);
        assert_eq!(s.after_unauthorized(Some(g1), T0, false), Return, "session over");
    }

    #[test]
    fn unknown_expiry_is_sent_and_refreshed_on_401_only() {
        let mut s = Session::new();
        let a = Adoption { now: T0, expires_in_s: None, margin_ms: 60_000.0, random01: 0.0, dpop: false };
        let g = s.adopt("a.b.c.d.e".into(), &TokenShape::Opaque, TokenSource::Caller, a);
        assert_eq!(s.before_request(at(1e12), false, Waiting::May), RequestPlan::Send { refresh_in_background: false });
        assert_eq!(s.usable_token(at(1e12)).map(|(_, g)| g), Some(g), "unknown is not expired");
        assert_eq!(s.after_unauthorized(Some(g), at(1e12), false), UnauthorizedPlan::RefreshThenReplay);
    }

    #[test]
    fn auto_refresh_off_refreshes_only_when_needed() {
        let mut s = Session::with_auto_refresh(false);
        adopt(&mut s, 300.0, T0);
        assert_eq!(
            s.before_request(at(298_000.0), false, Waiting::May),
            RequestPlan::Send { refresh_in_background: false }
        );
        assert_eq!(
            s.before_request(at(300_000.0), false, Waiting::May),
            RequestPlan::Wait,
            "expired: still refreshed first"
        );
        let g = s.token().map(|t| t.generation());
        assert_eq!(s.after_unauthorized(g, T0, false), UnauthorizedPlan::RefreshThenReplay);
    }
}
