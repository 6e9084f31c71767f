//! The session's rules, input by input (the machine's tests: `core::machine::tests`).

use super::*;
use crate::core::token::inspect;

pub const T0: Instant = Instant::new(0.0, 1_700_000_000_000.0);

pub fn at(ms: f64) -> Instant {
    Instant::new(T0.mono_ms + ms, T0.wall_ms + ms)
}

pub fn adopt_from(s: &mut Session, source: TokenSource, lifetime_s: f64, now: Instant) -> TokenGeneration {
    let a = Adoption { now, expires_in_s: Some(lifetime_s), margin_ms: 60_000.0, random01: 0.0, dpop: false };
    s.adopt("opaque.token.value.x.y".into(), &TokenShape::Opaque, source, a)
}

pub fn adopt(s: &mut Session, lifetime_s: f64, now: Instant) -> TokenGeneration {
    adopt_from(s, TokenSource::Refresh, lifetime_s, now)
}

#[test]
fn state_is_derived() {
    let mut s = Session::new();
    assert_eq!(s.state(), SessionState::Anonymous);
    adopt(&mut s, 300.0, T0);
    assert_eq!(s.state(), SessionState::Authenticated);
    assert!(s.end(EndReason::SessionExpired, T0));
    assert_eq!(s.state(), SessionState::Ended(EndReason::SessionExpired));
    assert!(!s.end(EndReason::SessionExpired, T0), "sessionExpired fires once");
    assert!(s.end(EndReason::LoggedOut, T0));
    adopt(&mut s, 300.0, T0);
    assert_eq!(s.state(), SessionState::Authenticated);
    assert_eq!(SessionState::Ended(EndReason::LoggedOut).as_str(), "loggedOut");
}

#[test]
fn generations_increase() {
    let mut s = Session::new();
    let g1 = adopt(&mut s, 300.0, T0);
    let g2 = adopt(&mut s, 300.0, T0);
    assert!(g2 > g1);
    assert_eq!(s.generation(), g2);
}

#[test]
fn deadline_and_refresh_point_with_wrong_device_clock() {
    // The device clock is 1 h off in either direction; `exp - iat` and elapsed time decide.
    for offset in [-3_600_000.0, 0.0, 3_600_000.0] {
        let mut s = Session::new();
        let now = Instant::new(1_000.0, 1_700_000_000_000.0 + offset);
        let token = crate::core::token::tests::jws(r#"{"sub":"a","iat":1700000000,"exp":1700000300}"#);
        let shape = inspect(&token).expect("valid");
        let a = Adoption { now, expires_in_s: None, margin_ms: 60_000.0, random01: 0.0, dpop: false };
        s.adopt(token.into(), &shape, TokenSource::Refresh, a);
        let later = |ms: f64| Instant::new(now.mono_ms + ms, now.wall_ms + ms);
        assert_eq!(s.timer_delay_ms(now), Some(240_000.0), "offset {offset}");
        assert!(!s.refresh_due(later(239_999.0)));
        assert!(s.refresh_due(later(240_000.0)));
        let t = s.token().expect("held");
        assert!(!t.is_expired(later(298_999.0)));
        assert!(t.is_expired(later(299_000.0)), "1 s before expiry it is not sent any more");
        assert_eq!(s.expires_at_wall_ms(now), Some(now.wall_ms + 300_000.0));
    }
}

#[test]
fn login_starts_a_new_epoch_and_supersedes() {
    let mut s = Session::new();
    let before = s.ticket();
    adopt(&mut s, 300.0, T0);
    assert_eq!(s.epoch(), Epoch(0), "a restored session has an unknown epoch");
    assert!(s.is_current(before), "a refresh does not change hands");
    adopt_from(&mut s, TokenSource::Login, 300.0, T0);
    assert_eq!(s.epoch(), Epoch(T0.wall_ms as u64 * EPOCH_PER_MS), "login epoch from the wall clock");
    assert!(!s.is_current(before), "login supersedes what was in flight");
    // A second login in the same millisecond (or with the clock set back) still advances.
    adopt_from(&mut s, TokenSource::Login, 300.0, at(-5_000.0));
    assert_eq!(s.epoch(), Epoch(T0.wall_ms as u64 * EPOCH_PER_MS + 1));
    // End keeps the epoch (it names the session that ended), raised to the top of its
    // millisecond so it outranks every login of that millisecond; a restore that revives
    // an ended session starts a new one.
    let e = s.epoch();
    let t = s.ticket();
    s.end(EndReason::LoggedOut, T0);
    assert_eq!(s.epoch(), Epoch(T0.wall_ms as u64 * EPOCH_PER_MS + EPOCH_PER_MS - 1));
    assert!(s.epoch() > e);
    assert!(!s.is_current(t), "end supersedes");
    adopt(&mut s, 300.0, at(1_000.0));
    assert!(s.epoch() > e, "revived by restore: a new session");
}

#[test]
fn salts_place_a_tab_within_the_millisecond() {
    let ms = T0.wall_ms as u64 * EPOCH_PER_MS;
    assert_eq!(Session::new().with_salt(5).stamp(T0), Epoch(ms + 5));
    // Any number is reduced to 0..1022 (1023 is the top of the millisecond, an end's).
    assert_eq!(Session::new().with_salt(EPOCH_PER_MS - 1 + 5).stamp(T0), Epoch(ms + 5));
    assert_eq!(Session::new().with_salt(EPOCH_PER_MS - 2).stamp(T0), Epoch(ms + EPOCH_PER_MS - 2));
    assert_eq!(Session::new().stamp(T0), Epoch(ms), "no salt");
    // A wall clock that is not a usable number counts as 0.
    for bad in [f64::INFINITY, f64::NAN, -5.0, 0.0] {
        assert_eq!(Session::new().with_salt(7).stamp(Instant::new(0.0, bad)), Epoch(7), "{bad}");
    }
}

#[test]
fn ended_since_is_an_end_after_the_stamp() {
    let mut s = Session::new();
    adopt_from(&mut s, TokenSource::Login, 300.0, T0);
    let login = s.epoch();
    assert!(!s.ended_since(Epoch(0)), "no end yet");
    s.end(EndReason::LoggedOut, T0);
    let end = s.epoch();
    assert!(s.ended_since(login), "ended after the login's stamp");
    assert!(s.ended_since(Epoch(end.0 - 1)));
    assert!(!s.ended_since(end), "not after its own epoch");
    assert!(!s.ended_since(Epoch(end.0 + 1)), "a later stamp: the end is older");
    // A new session: no end since anything.
    adopt_from(&mut s, TokenSource::Login, 300.0, at(1_000.0));
    assert!(!s.ended_since(login));
}

#[test]
fn clear_forgets_and_counts_as_an_end_and_a_change_of_hands() {
    let mut s = Session::new();
    adopt_from(&mut s, TokenSource::Login, 300.0, T0);
    let (ticket, ends) = (s.ticket(), s.ends());
    s.clear();
    assert!(s.token().is_none());
    assert_eq!(s.state(), SessionState::Anonymous);
    assert_eq!(s.ends(), ends + 1);
    assert!(!s.is_current(ticket));
    // Tickets only move forward: one taken later is never an earlier one again.
    let t2 = s.ticket();
    s.clear();
    assert!(s.ticket().0 > t2.0 && t2.0 > ticket.0, "{:?} {:?} {:?}", ticket, t2, s.ticket());
    // An ended session cleared is no longer ended.
    s.end(EndReason::LoggedOut, T0);
    s.clear();
    assert_eq!(s.state(), SessionState::Anonymous);
}

#[test]
fn sources_and_dpop_marks() {
    assert!(TokenSource::Login.shared() && TokenSource::Refresh.shared() && TokenSource::Caller.shared());
    assert!(!TokenSource::OtherTab.shared(), "a token from another tab is not sent back");
    let mut s = Session::new();
    for dpop in [true, false] {
        let a = Adoption { now: T0, expires_in_s: Some(300.0), margin_ms: 60_000.0, random01: 0.0, dpop };
        s.adopt("opaque".into(), &TokenShape::Opaque, TokenSource::Refresh, a);
        assert_eq!(s.token().map(AccessToken::is_dpop), Some(dpop));
    }
}

#[test]
fn peer_token_rules() {
    use PeerToken::*;
    let e = |n| Epoch(n);
    // (name, our epoch, do we hold a token, have we ended, their epoch, their remaining, want)
    type Case = (&'static str, u64, bool, bool, u64, Option<f64>, PeerToken);
    let cases: &[Case] = &[
        ("fresh tab, first token of an unknown-epoch session", 0, false, false, 0, Some(1e3), Adopt),
        ("fresh tab hears of a login", 0, false, false, 7, Some(1e3), AdoptNewSession),
        ("ours lasts longer: stale message", 5, true, false, 5, Some(100_000.0), Ignore),
        ("theirs lasts longer", 5, true, false, 5, Some(250_000.0), Adopt),
        ("unknown expiry: the latest wins", 5, true, false, 5, None, Adopt),
        ("older session's token", 5, true, false, 4, Some(1e9), Ignore),
        ("unknown-epoch token while we know the session", 5, true, false, 0, Some(1e9), Ignore),
        ("the session we saw end", 5, false, true, 5, Some(1e9), Ignore),
        ("after logout, a newer login elsewhere", 5, false, true, 6, Some(1e3), AdoptNewSession),
    ];
    for (name, ours, held, ended, theirs, remaining, want) in cases {
        let mut s = Session::new();
        if *held {
            adopt(&mut s, 300.0, T0);
        }
        if *ended {
            s.end(EndReason::LoggedOut, T0);
        }
        s.epoch = e(*ours);
        let t = s.ticket();
        let now = at(100_000.0); // 200 s left on ours
        assert_eq!(s.on_peer_token(true, e(*theirs), "other", *remaining, now), *want, "{name}");
        let moved = *want == AdoptNewSession;
        assert_eq!(s.epoch(), e(if moved { *theirs } else { *ours }), "{name}: epoch");
        assert_eq!(!s.is_current(t), moved, "{name}: superseded");
    }
    let mut s = Session::new();
    adopt(&mut s, 300.0, T0);
    let same = s.token().map(|t| t.value().to_owned()).unwrap_or_default();
    assert_eq!(s.on_peer_token(true, Epoch(0), &same, Some(1e9), T0), Ignore, "same token");
}

#[test]
fn a_local_end_outranks_every_earlier_session() {
    // B logged in at T0 (epoch T0); A restored from the cookie (epoch 0) and logs out later.
    let mut b = Session::new();
    adopt_from(&mut b, TokenSource::Login, 300.0, T0);
    let mut a = Session::new();
    adopt(&mut a, 300.0, at(1_000.0));
    let ends = a.ends();
    a.end(EndReason::LoggedOut, at(2_000.0));
    assert_eq!(a.ends(), ends + 1);
    assert_eq!(
        a.epoch(),
        Epoch(at(2_000.0).wall_ms as u64 * EPOCH_PER_MS + EPOCH_PER_MS - 1),
        "the end carries the wall clock"
    );
    assert!(b.on_peer_end(a.epoch()), "B's earlier login ends too: same cookie");
    // A later login in B outranks A's end; A takes it.
    adopt_from(&mut b, TokenSource::Login, 300.0, at(3_000.0));
    assert!(b.epoch() > a.epoch());
    assert_eq!(a.on_peer_token(true, b.epoch(), "new", Some(1e3), at(3_000.0)), PeerToken::AdoptNewSession);
    // A token of the session A ended (a peer's late refresh answer) is not taken.
    let mut c = Session::new();
    adopt(&mut c, 300.0, T0);
    c.end(EndReason::LoggedOut, at(2_000.0));
    assert_eq!(
        c.on_peer_token(true, Epoch(T0.wall_ms as u64 * EPOCH_PER_MS), "late", Some(1e3), at(2_100.0)),
        PeerToken::Ignore
    );
    assert_eq!(c.on_peer_token(true, Epoch(0), "late", Some(1e3), at(2_100.0)), PeerToken::Ignore);
}

#[test]
fn an_ended_tab_is_not_ended_again() {
    let mut s = Session::new();
    adopt_from(&mut s, TokenSource::Login, 300.0, T0);
    s.end(EndReason::LoggedOut, at(1.0));
    let e = s.epoch();
    assert!(!s.on_peer_end(e), "no sessionExpired after our own logout");
    assert!(!s.on_peer_end(Epoch(e.0 + 5)));
    assert_eq!(s.epoch(), Epoch(e.0 + 5), "but the epoch moves on");
    assert_eq!(
        s.on_peer_token(true, Epoch(e.0 + 5), "late", Some(1e3), at(2.0)),
        PeerToken::Ignore,
        "and that end is known"
    );
    assert_eq!(s.on_peer_token(true, Epoch(e.0 + 6), "new", Some(1e3), at(2.0)), PeerToken::AdoptNewSession);
}

#[test]
fn an_end_learnt_without_a_session() {
    // A fresh tab reads an end from the shared record: no state change, but that session's
    // tokens are not taken, and a refresh from the cookie afterwards starts a new session.
    let mut s = Session::new();
    s.learn_end(Epoch(9));
    assert_eq!(s.state(), SessionState::Anonymous);
    assert_eq!(s.on_peer_token(true, Epoch(9), "ended", Some(1e3), T0), PeerToken::Ignore);
    adopt(&mut s, 300.0, T0);
    assert!(s.epoch() > Epoch(9), "a refresh after the end revives: a new epoch");
    // Not when a newer session (a login elsewhere) is known: the cookie is its.
    let mut s = Session::new();
    s.end(EndReason::LoggedOut, T0);
    let login = Epoch(s.epoch().0 + 10);
    s.raise_epoch(login);
    adopt(&mut s, 300.0, at(1.0));
    assert_eq!(s.epoch(), login, "continues the newer session");
}

#[test]
fn peer_end_rules() {
    let mut s = Session::new();
    adopt_from(&mut s, TokenSource::Login, 300.0, T0);
    let ours = s.epoch();
    assert!(!s.on_peer_end(Epoch(ours.0 - 1)), "a stale end never ends a newer login");
    assert!(s.on_peer_end(ours), "our session ended elsewhere");
    assert!(s.on_peer_end(Epoch(ours.0 + 1)), "a session we had not heard of yet ended");
    assert_eq!(s.epoch(), Epoch(ours.0 + 1));
    let mut fresh = Session::new();
    adopt(&mut fresh, 300.0, T0);
    assert!(fresh.on_peer_end(Epoch(0)), "restored tabs share the cookie's session");
}

#[test]
fn end_reason_names_round_trip() {
    for r in [EndReason::LoggedOut, EndReason::SessionExpired, EndReason::Idle, EndReason::Lifetime] {
        assert_eq!(EndReason::parse(r.as_str()), Some(r));
    }
    assert_eq!(EndReason::parse("other"), None);
}

#[test]
fn debug_redacts_token() {
    let mut s = Session::new();
    s.adopt(
        "secret-token-value.a.b.c.d".into(),
        &TokenShape::Opaque,
        TokenSource::Caller,
        Adoption { now: T0, expires_in_s: Some(1.0), margin_ms: 0.0, random01: 0.0, dpop: false },
    );
    let dbg = format!("{s:?}");
    assert!(!dbg.contains("secret-token-value"), "{dbg}");
    assert!(dbg.contains("[redacted]"));
}
