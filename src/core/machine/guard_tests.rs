//! Guards run 3 of `make mutants` left standing (benches/MUTANTS.md, run 4): which news from
//! another tab is a sign-in, the idle flag of an end, which answers are step-up challenges, the
//! DPoP scheme, the exact bound of a slept answer, a backoff's wait, the loading state's end,
//! which failures are `refreshFailed`, a restore ranked against an end, a refresh past the
//! session's end, a login whose session ended meanwhile.

use super::test_support::*;
use super::*;
use crate::core::session::tests::{at, T0};
use crate::core::session::{Epoch, EPOCH_PER_MS};

/// The epoch stamp of a call made `ms` after T0 (by any tab).
fn epoch_at(ms: f64) -> Epoch {
    Epoch((T0.wall_ms + ms) as u64 * EPOCH_PER_MS + 512)
}

fn ok_token(token: &str, expires_in_s: f64, dpop: bool, session_s: Option<f64>) -> HttpOutcome {
    let token = Ok(TokenAnswer { token: token.into(), expires_in_s: Some(expires_in_s), dpop, session_s });
    HttpOutcome::Answer { status: 200, retry_after_ms: None, token }
}

fn status(status: u16, retry_after_ms: Option<f64>) -> HttpOutcome {
    HttpOutcome::Answer { status, retry_after_ms, token: Err("no body") }
}

/// A machine signed in at T0 by a login answered `answer`.
fn signed_in_with(cfg: Config, answer: HttpOutcome) -> Machine {
    let mut m = Machine::new(cfg, 5);
    m.login(T0);
    let mut out = drain(&mut m);
    if let Some(lock) = lock_of(&out) {
        m.lock_granted(T0, lock, None);
        out = drain(&mut m);
    }
    let (http, _) = posted(&out).expect("the login posts");
    m.post_done(T0, http, answer);
    drain(&mut m);
    assert_eq!(m.state(), SessionState::Authenticated);
    m
}

fn signed_in(cfg: Config) -> Machine {
    signed_in_with(cfg, ok_token("opaque-a", 300.0, false, None))
}

/// Start `kind` at `now` and get its refresh POST (through the lock when there is one).
fn refresh_posted(m: &mut Machine, now: Instant, kind: RefreshKind) -> (CallId, HttpId) {
    let call = m.refresh(now, kind);
    let mut out = drain(m);
    if let Some(lock) = lock_of(&out) {
        m.lock_granted(now, lock, None);
        out = drain(m);
    }
    let (http, endpoint) = posted(&out).expect("the refresh posts");
    assert_eq!(endpoint, Endpoint::Refresh);
    (call, http)
}

/// Grant `lock` at `ms` (after T0) with `shared` read there, and let a contended grant settle.
fn grant(m: &mut Machine, lock: LockId, ms: f64, shared: Option<SharedEpoch>) -> Vec<Output> {
    m.lock_granted(at(ms), lock, shared);
    let mut out = drain(m);
    m.handle_timeout(at(ms + LOCK_SETTLE_MS + 1.0));
    out.extend(drain(m));
    out
}

fn token_message(epoch: Epoch, token: &str, sent_ms: f64) -> Message {
    Message::Token {
        epoch,
        token: token.into(),
        remaining_ms: Some(300_000.0),
        sent_wall_ms: T0.wall_ms + sent_ms,
        dpop: false,
        session_end: None,
    }
}

fn state_changes(out: &[Output]) -> usize {
    all_events(out).iter().filter(|e| matches!(e, Event::StateChanged)).count()
}

// ---- news from another tab (peers.rs) ------------------------------------------------------

#[test]
fn another_tabs_refresh_is_not_a_sign_in_but_its_new_session_is() {
    let mut m = signed_in(Config { cross_tab: true, ..config() });
    m.peer_message(at(1_000.0), token_message(m.epoch(), "opaque-b", 1_000.0));
    let out = drain(&mut m);
    assert_eq!(m.access_token(), Some("opaque-b"), "adopted");
    let events = all_events(&out);
    assert!(events.contains(&&Event::Refreshed { from_other_tab: true }), "{events:?}");
    assert!(!events.iter().any(|e| matches!(e, Event::LoggedIn { .. })), "a refresh is no sign-in: {events:?}");
    // A login elsewhere, after this tab's: a new session.
    m.peer_message(at(2_000.0), token_message(epoch_at(2_000.0), "opaque-c", 2_000.0));
    let events = all_events(&drain(&mut m)).into_iter().cloned().collect::<Vec<_>>();
    assert!(events.contains(&Event::LoggedIn { from_other_tab: true }), "{events:?}");
}

#[test]
fn an_end_told_by_another_tab_says_whether_it_was_for_inactivity() {
    for (reason, idle) in [(EndReason::Idle, true), (EndReason::LoggedOut, false)] {
        let mut m = signed_in(Config { cross_tab: true, ..config() });
        m.peer_message(at(1_000.0), Message::Ended { epoch: m.epoch(), reason });
        let out = drain(&mut m);
        let expected = Event::LoggedOut { server_confirmed: None, from_other_tab: true, idle };
        assert!(all_events(&out).contains(&&expected), "{reason:?}: {out:?}");
    }
}

#[test]
fn a_restore_called_before_an_end_in_the_shared_record_is_ended_by_it() {
    // A signed-in tab calls restore(); the shared record (read under the lock) says another
    // tab signed out after that call: this tab signs out, its restore asks nothing.
    let mut m = signed_in(Config { cross_tab: true, ..config() });
    let call = m.refresh(at(20_000.0), RefreshKind::Restore);
    let lock = lock_of(&drain(&mut m)).expect("asks");
    let shared = SharedEpoch { epoch: epoch_at(25_000.0), ended: Some(EndReason::LoggedOut) };
    let out = grant(&mut m, lock, 30_000.0, Some(shared));
    assert_eq!(m.state(), SessionState::Ended(EndReason::LoggedOut), "{out:?}");
    assert!(all_events(&out).iter().any(|e| matches!(e, Event::LoggedOut { from_other_tab: true, .. })), "{out:?}");
    assert!(posted(&out).is_none(), "{out:?}");
    assert!(matches!(settled(&out, call), Some(Err(_))), "{out:?}");
}

#[test]
fn a_restore_called_after_an_end_revives_the_session() {
    // A fresh page's restore, called after an end the shared record keeps: the cookie revives
    // the session in a newer epoch than the end's (which epoch exactly: the two tests of a
    // login called after the restore, below).
    let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
    let before = m.epoch();
    let call = m.refresh(at(30_000.0), RefreshKind::Restore);
    let lock = lock_of(&drain(&mut m)).expect("asks");
    let end = epoch_at(10_000.0);
    m.lock_granted(at(30_000.0), lock, Some(SharedEpoch { epoch: end, ended: Some(EndReason::LoggedOut) }));
    let (http, _) = posted(&drain(&mut m)).expect("asks the cookie");
    m.post_done(at(30_010.0), http, ok_token("opaque-r", 300.0, false, None));
    let out = drain(&mut m);
    assert_eq!(settled(&out, call), Some(&Ok(CallValue::Done)));
    assert!(m.epoch() > end, "{:?} after the end {end:?} (was {before:?})", m.epoch());
    // Another tab's end of the ended session, told late, does not end the revived one.
    m.peer_message(at(30_020.0), Message::Ended { epoch: end, reason: EndReason::LoggedOut });
    drain(&mut m);
    assert_eq!(m.state(), SessionState::Authenticated);
}

#[test]
fn a_fresh_page_hears_an_old_end_in_the_shared_record_as_no_sign_out() {
    let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
    m.login(at(30_000.0));
    let lock = lock_of(&drain(&mut m)).expect("asks");
    m.lock_granted(
        at(30_000.0),
        lock,
        Some(SharedEpoch { epoch: epoch_at(10_000.0), ended: Some(EndReason::LoggedOut) }),
    );
    let out = drain(&mut m);
    assert!(logged_out_events(&out) == 0, "no session here to end: {out:?}");
    assert_eq!(m.state(), SessionState::Anonymous, "signed out is for a tab that was signed in");
    assert!(matches!(posted(&out), Some((_, Endpoint::Login(_)))), "the login goes on: {out:?}");
}

#[test]
fn a_restore_called_before_another_tabs_logout_asks_nothing() {
    // A fresh page's restore waits for the lock; meanwhile another tab signs out.
    let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
    let call = m.refresh(at(0.0), RefreshKind::Restore);
    let lock = lock_of(&drain(&mut m)).expect("asks");
    let out = grant(&mut m, lock, 20.0, Some(SharedEpoch { epoch: epoch_at(10.0), ended: Some(EndReason::LoggedOut) }));
    assert!(posted(&out).is_none(), "the cookie was revoked after the call: {out:?}");
    assert!(matches!(settled(&out, call), Some(Err(_))), "{out:?}");
}

fn logged_out_events(out: &[Output]) -> usize {
    all_events(out).iter().filter(|e| matches!(e, Event::LoggedOut { .. })).count()
}

// ---- wrapped requests (requests.rs) --------------------------------------------------------

fn api(has_authorization: bool) -> FetchStart {
    FetchStart { url: "https://app.example/api".into(), has_authorization, keepalive: false, replayable: true }
}

const CHALLENGE: &str = r#"Bearer error="insufficient_user_authentication", acr_values="mfa""#;

fn step_ups(out: &[Output]) -> usize {
    out.iter().filter(|o| matches!(o, Output::StepUp { .. })).count()
}

#[test]
fn only_a_401_or_403_to_a_request_the_manager_authorised_is_a_step_up_challenge() {
    let mut m = Machine::new(Config { step_up: true, ..config() }, 5);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    // A 200 carrying the header: the caller's answer.
    let req = m.fetch(at(1.0), api(false));
    drain(&mut m);
    m.fetch_answered(at(2.0), req, 200, false, Some(CHALLENGE));
    let out = drain(&mut m);
    assert_eq!(step_ups(&out), 0, "{out:?}");
    assert!(out.contains(&Output::FinishFetch { req, end: FetchEnd::Response }));
    // A request with its own Authorization (untouched): its 401 is the caller's too.
    let req = m.fetch(at(3.0), api(true));
    drain(&mut m);
    m.fetch_answered(at(4.0), req, 401, false, Some(CHALLENGE));
    let out = drain(&mut m);
    assert_eq!(step_ups(&out), 0, "{out:?}");
    assert!(posted(&out).is_none(), "and no refresh: {out:?}");
    // One the manager authorised: the challenge goes to the handler.
    let req = m.fetch(at(5.0), api(false));
    drain(&mut m);
    m.fetch_answered(at(6.0), req, 401, false, Some(CHALLENGE));
    let out = drain(&mut m);
    assert_eq!(step_ups(&out), 1, "{out:?}");
    assert!(posted(&out).is_none(), "a challenge is no expired token: {out:?}");
}

#[test]
fn a_dpop_bound_token_is_sent_as_bearer_when_dpop_is_off() {
    let mut m = signed_in_with(config(), ok_token("opaque-a", 300.0, true, None));
    let req = m.fetch(at(1.0), api(false));
    let out = drain(&mut m);
    let authorize = out.iter().find_map(|o| match o {
        Output::Send { req: r, authorize } if *r == req => Some(*authorize),
        _ => None,
    });
    assert!(matches!(authorize, Some(Authorize::Token { dpop: false, .. })), "{out:?}");
}

// ---- refresh answers (refresh.rs, ops.rs) --------------------------------------------------

#[test]
fn an_answer_read_exactly_at_the_request_timeout_was_awaited() {
    // Read at the timeout itself: the page was awake, the token counts from receipt (10 s).
    let mut m = signed_in(config());
    let (call, http) = refresh_posted(&mut m, at(1_000.0), RefreshKind::Explicit);
    let now = at(1_000.0 + REQUEST_TIMEOUT_MS);
    m.post_done(now, http, ok_token("opaque-b", 10.0, false, None));
    let out = drain(&mut m);
    assert_eq!(settled(&out, call), Some(&Ok(CallValue::Done)), "{out:?}");
    assert!(posted(&out).is_none(), "{out:?}");
    assert_eq!(m.expires_at(now), Some(now.wall_ms + 10_000.0));
    // One millisecond later: it slept; counted from the send, the token is dead, ask again.
    let mut m = signed_in(config());
    let (_, http) = refresh_posted(&mut m, at(1_000.0), RefreshKind::Explicit);
    m.post_done(at(1_001.0 + REQUEST_TIMEOUT_MS), http, ok_token("opaque-b", 10.0, false, None));
    assert!(matches!(posted(&drain(&mut m)), Some((_, Endpoint::Refresh))), "asked again");
}

#[test]
fn a_timely_answer_is_taken_as_it_is_even_with_a_dead_token() {
    // Asking again at once would loop as long as the server mints dead tokens.
    let mut m = signed_in(config());
    let (call, http) = refresh_posted(&mut m, at(1_000.0), RefreshKind::Explicit);
    m.post_done(at(1_010.0), http, ok_token("opaque-b", 0.0, false, None));
    let out = drain(&mut m);
    assert_eq!(settled(&out, call), Some(&Ok(CallValue::Done)), "{out:?}");
    assert!(posted(&out).is_none(), "{out:?}");
}

#[test]
fn a_503_waits_its_retry_after_before_the_next_attempt() {
    let mut m = signed_in(config());
    let (_, http) = refresh_posted(&mut m, at(1_000.0), RefreshKind::Explicit);
    m.post_done(at(1_010.0), http, status(503, Some(5_000.0)));
    let out = drain(&mut m);
    assert!(posted(&out).is_none(), "{out:?}");
    let wait = m.poll_timeout(at(1_010.0)).expect("a retry is scheduled");
    // (Its own backoff may wait longer; never less, never a mistaken absolute time.)
    assert!((5_000.0..=10_000.0).contains(&wait), "{wait}");
    m.handle_timeout(at(1_010.0 + wait));
    assert!(matches!(posted(&drain(&mut m)), Some((_, Endpoint::Refresh))), "then asks again");
}

#[test]
fn an_unexpected_status_fails_the_refresh_saying_so() {
    let mut m = signed_in(config());
    let (call, http) = refresh_posted(&mut m, at(1_000.0), RefreshKind::Explicit);
    m.post_done(at(1_010.0), http, status(404, None));
    let out = drain(&mut m);
    let failed = all_events(&out).into_iter().filter(|e| matches!(e, Event::RefreshFailed { status: Some(404), .. }));
    assert_eq!(failed.count(), 1, "refreshFailed once: {out:?}");
    match settled(&out, call) {
        Some(Err((e, Some(404)))) => {
            assert_eq!(e.code, ErrorCode::RefreshFailed);
            assert!(e.message.contains("unexpected status"), "{}", e.message);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_rejected_refresh_is_a_session_end_not_a_refresh_failure() {
    let mut m = signed_in(config());
    let (_, http) = refresh_posted(&mut m, at(1_000.0), RefreshKind::Explicit);
    m.post_done(at(1_010.0), http, status(401, None));
    let out = drain(&mut m);
    assert_eq!(state_changes(&out), 1, "signed out: one change of state, {out:?}");
    let events = all_events(&out).into_iter().cloned().collect::<Vec<_>>();
    assert!(events.iter().any(|e| matches!(e, Event::SessionExpired { .. })), "{events:?}");
    assert!(!events.iter().any(|e| matches!(e, Event::RefreshFailed { .. })), "{events:?}");
}

#[test]
fn the_loading_state_ends_with_one_state_change() {
    // A restore that signs in: one change (anonymous → authenticated), not two.
    let mut m = Machine::new(config(), 5);
    let (call, http) = refresh_posted(&mut m, T0, RefreshKind::Restore);
    m.post_done(at(10.0), http, ok_token("opaque-r", 300.0, false, None));
    let out = drain(&mut m);
    assert_eq!(settled(&out, call), Some(&Ok(CallValue::Done)));
    assert_eq!(state_changes(&out), 1, "{out:?}");
    // A refresh of a held token that fails: the state did not change.
    let mut m = signed_in(config());
    let (_, http) = refresh_posted(&mut m, at(1_000.0), RefreshKind::Explicit);
    m.post_done(at(1_010.0), http, status(404, None));
    let out = drain(&mut m);
    assert_eq!(m.state(), SessionState::Authenticated);
    assert_eq!(state_changes(&out), 0, "{out:?}");
    // A restore without a cookie: the loading state ends, anonymous.
    let mut m = Machine::new(config(), 5);
    let (_, http) = refresh_posted(&mut m, T0, RefreshKind::Restore);
    m.post_done(at(10.0), http, status(401, None));
    let out = drain(&mut m);
    assert!(state_changes(&out) >= 1, "{out:?}");
}

#[test]
fn a_refresh_that_waited_for_the_lock_past_the_sessions_end_asks_nothing() {
    // A session of 100 s; the refresh asks for the lock before its end, gets it after a wait
    // (contended: it settles on a timer, whose check ends the session).
    let mut m = signed_in_with(Config { cross_tab: true, ..config() }, ok_token("opaque-a", 300.0, false, Some(100.0)));
    let call = m.refresh(at(99_000.0), RefreshKind::Explicit);
    let lock = lock_of(&drain(&mut m)).expect("asks");
    let out = grant(&mut m, lock, 100_500.0, None);
    assert!(posted(&out).is_none(), "{out:?}");
    assert!(all_events(&out).iter().any(|e| matches!(e, Event::SessionExpired { reason: "lifetime", .. })), "{out:?}");
    assert!(matches!(settled(&out, call), Some(Err(_))), "{out:?}");
}

// ---- logins and logouts (ops.rs) -----------------------------------------------------------

#[test]
fn a_logout_overtaken_by_a_later_login_says_whether_it_was_for_inactivity() {
    for (idle, reason) in [(false, None), (true, Some(EndReason::Idle))] {
        let mut m = signed_in(Config { cross_tab: true, ..config() });
        match reason {
            None => m.logout(at(1.0), Scope::Local),
            Some(reason) => m.logout_for(at(1.0), Scope::Local, reason),
        };
        let lock = lock_of(&drain(&mut m)).expect("the logout waits for the lock");
        m.peer_message(at(10.0), token_message(epoch_at(10.0), "opaque-b", 10.0));
        drain(&mut m);
        m.lock_granted(at(11.0), lock, None);
        let out = drain(&mut m);
        assert!(posted(&out).is_none(), "{out:?}");
        let expected = Event::LoggedOut { server_confirmed: Some(false), from_other_tab: false, idle };
        assert!(all_events(&out).contains(&&expected), "{out:?}");
    }
}

#[test]
fn a_logout_after_a_login_elsewhere_that_was_called_earlier_still_signs_out() {
    // The other tab's login was called before this logout: its session ends too.
    let mut m = signed_in(Config { cross_tab: true, ..config() });
    m.peer_message(at(5.0), token_message(epoch_at(5.0), "opaque-b", 5.0));
    drain(&mut m);
    m.logout(at(10.0), Scope::Local);
    let lock = lock_of(&drain(&mut m)).expect("the logout waits for the lock");
    m.lock_granted(at(11.0), lock, None);
    let out = drain(&mut m);
    assert!(matches!(posted(&out), Some((_, Endpoint::Logout(_)))), "{out:?}");
    assert!(matches!(m.state(), SessionState::Ended(_)));
}

#[test]
fn a_login_whose_session_ended_while_it_was_on_the_wire_is_aborted() {
    // Session-only login (the token comes from the refresh endpoint), and one that returns a
    // token: another tab signs out while the POST is out.
    for returns_token in [false, true] {
        let mut m = Machine::new(Config { cross_tab: true, login_returns_token: returns_token, ..config() }, 5);
        let call = m.login(at(0.0));
        let lock = lock_of(&drain(&mut m)).expect("asks");
        m.lock_granted(at(0.0), lock, None);
        let (http, _) = posted(&drain(&mut m)).expect("posts");
        m.peer_message(at(5.0), Message::Ended { epoch: epoch_at(5.0), reason: EndReason::LoggedOut });
        drain(&mut m);
        let answer = if returns_token { ok_token("opaque-a", 300.0, false, None) } else { status(204, None) };
        m.post_done(at(10.0), http, answer);
        let out = drain(&mut m);
        match settled(&out, call) {
            Some(Err((e, None))) => assert_eq!(e.code, ErrorCode::Aborted, "{returns_token}: {e:?}"),
            other => panic!("{returns_token}: {other:?}"),
        }
        assert!(posted(&out).is_none(), "{out:?}");
    }
}

#[test]
fn a_login_answer_without_a_usable_token_fails_even_if_the_session_ended_meanwhile() {
    // The answer's own fault comes first: LoginFailed with its status, not Aborted.
    let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
    let call = m.login(at(0.0));
    let lock = lock_of(&drain(&mut m)).expect("asks");
    m.lock_granted(at(0.0), lock, None);
    let (http, _) = posted(&drain(&mut m)).expect("posts");
    m.peer_message(at(5.0), Message::Ended { epoch: epoch_at(5.0), reason: EndReason::LoggedOut });
    drain(&mut m);
    m.post_done(at(10.0), http, HttpOutcome::Answer { status: 200, retry_after_ms: None, token: Err("no token") });
    let out = drain(&mut m);
    match settled(&out, call) {
        Some(Err((e, Some(200)))) => assert_eq!(e.code, ErrorCode::LoginFailed),
        other => panic!("{other:?}"),
    }
}

// ---- limits (limits.rs) --------------------------------------------------------------------

#[test]
fn the_grace_of_a_late_idle_check_holds_with_the_wall_clock_back_at_the_deadline_itself() {
    let cfg = Config { idle: Some((10_000.0, 3_000.0)), ..config() };
    let late = |mono: f64, wall: f64| Instant::new(T0.mono_ms + mono, T0.wall_ms + wall);
    let mut m = Machine::new(cfg, 5);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    m.handle_timeout(late(12_000.0, 12_000.0));
    drain(&mut m);
    // The wall clock went back to the deadline itself: still passed, still in the grace.
    m.handle_timeout(late(12_100.0, 10_000.0));
    drain(&mut m);
    assert_eq!(m.state(), SessionState::Authenticated, "the grace holds");
    m.handle_timeout(late(12_250.0, 10_150.0));
    assert_eq!(m.state(), SessionState::Ended(EndReason::Idle), "until it ends");
}

#[test]
fn a_session_end_that_is_no_number_is_no_end() {
    for session_s in [f64::NAN, f64::INFINITY] {
        let m = signed_in_with(config(), ok_token("opaque-a", 300.0, false, Some(session_s)));
        let timeout = m.poll_timeout(T0).expect("the refresh timer");
        assert!(timeout.is_finite() && timeout > 100_000.0, "{session_s}: {timeout}");
        let mut m = m;
        m.handle_timeout(at(timeout));
        let out = drain(&mut m);
        assert!(!all_events(&out).iter().any(|e| matches!(e, Event::SessionExpired { .. })), "{out:?}");
    }
}

#[test]
fn a_refresh_granted_the_lock_after_the_wall_clock_went_back_before_the_idle_deadline_goes_ahead() {
    // A refresh waits for the lock; a late idle check gives a grace meanwhile; then the wall
    // clock goes back before the deadline: nothing has passed, there is no grace to wait out.
    let cfg = Config { idle: Some((10_000.0, 3_000.0)), cross_tab: true, ..config() };
    let late = |mono: f64, wall: f64| Instant::new(T0.mono_ms + mono, T0.wall_ms + wall);
    let mut m = Machine::new(cfg, 5);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    m.refresh(late(9_990.0, 9_990.0), RefreshKind::Explicit);
    let out = drain(&mut m);
    let Some(lock) = lock_of(&out) else { panic!("asks for the lock: {out:?}") };
    // The wall clock jumps: the idle check is 1.5 s late.
    m.handle_timeout(late(9_990.5, 11_500.0));
    drain(&mut m);
    assert_eq!(m.state(), SessionState::Authenticated, "in the grace");
    // Granted within a millisecond of the ask (no contention), the wall clock back before the
    // deadline.
    m.lock_granted(late(9_991.0, 5_000.0), lock, None);
    let out = drain(&mut m);
    assert!(matches!(posted(&out), Some((_, Endpoint::Refresh))), "{out:?}");
}

#[test]
fn a_session_revived_by_a_restore_is_superseded_by_a_login_called_after_the_restore() {
    // As in a_restore_called_after_an_end_revives_the_session; then another
    // tab's login, called after the restore's call and before its answer, is a newer session.
    let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
    m.refresh(at(30_000.0), RefreshKind::Restore);
    let lock = lock_of(&drain(&mut m)).expect("asks");
    let end = SharedEpoch { epoch: epoch_at(10_000.0), ended: Some(EndReason::LoggedOut) };
    m.lock_granted(at(30_000.0), lock, Some(end));
    let (http, _) = posted(&drain(&mut m)).expect("asks the cookie");
    m.post_done(at(30_010.0), http, ok_token("opaque-r", 300.0, false, None));
    drain(&mut m);
    m.peer_message(at(30_020.0), token_message(epoch_at(30_005.0), "opaque-l", 30_020.0));
    let out = drain(&mut m);
    assert_eq!(m.access_token(), Some("opaque-l"), "{out:?}");
    assert!(all_events(&out).contains(&&Event::LoggedIn { from_other_tab: true }), "{out:?}");
}

#[test]
fn a_refresh_granted_the_lock_at_once_after_the_sessions_end_asks_nothing() {
    // No contention (granted within a millisecond), but the wall clock passed the session's end.
    let cfg = Config { cross_tab: true, ..config() };
    let mut m = signed_in_with(cfg, ok_token("opaque-a", 300.0, false, Some(100.0)));
    let call = m.refresh(at(99_000.0), RefreshKind::Explicit);
    let lock = lock_of(&drain(&mut m)).expect("asks");
    m.lock_granted(Instant::new(T0.mono_ms + 99_000.5, T0.wall_ms + 100_500.0), lock, None);
    let out = drain(&mut m);
    assert!(posted(&out).is_none(), "{out:?}");
    assert!(matches!(m.state(), SessionState::Ended(_)), "{out:?}");
    assert!(matches!(settled(&out, call), Some(Err(_))), "{out:?}");
}

#[test]
fn a_logout_still_revokes_when_the_session_that_overtook_it_has_ended_too() {
    // A logout waits for the lock; a login elsewhere arrives, and that session ends as well
    // (the shared record says so): the logout goes on and revokes the cookie.
    let mut m = signed_in(Config { cross_tab: true, ..config() });
    let call = m.logout(at(1.0), Scope::Local);
    let lock = lock_of(&drain(&mut m)).expect("the logout waits for the lock");
    m.peer_message(at(10.0), token_message(epoch_at(10.0), "opaque-b", 10.0));
    drain(&mut m);
    let ended = SharedEpoch { epoch: epoch_at(10.0), ended: Some(EndReason::LoggedOut) };
    m.lock_granted(at(11.0), lock, Some(ended));
    let out = drain(&mut m);
    assert!(matches!(posted(&out), Some((_, Endpoint::Logout(_)))), "{out:?}");
    assert!(settled(&out, call).is_none(), "settled by the server's answer: {out:?}");
}

#[test]
fn a_token_set_while_a_logout_waits_for_the_lock_is_signed_out_with_it() {
    // setAccessToken is no login called after the logout: the logout still goes out.
    let mut m = signed_in(Config { cross_tab: true, ..config() });
    m.logout(at(1.0), Scope::Local);
    let lock = lock_of(&drain(&mut m)).expect("the logout waits for the lock");
    m.set_access_token(at(5.0), "opaque-s".into(), Some(300.0)).expect("held");
    drain(&mut m);
    m.lock_granted(at(6.0), lock, None);
    let out = drain(&mut m);
    assert!(matches!(posted(&out), Some((_, Endpoint::Logout(_)))), "{out:?}");
    assert!(matches!(m.state(), SessionState::Ended(_)), "{out:?}");
}

#[test]
fn a_restore_after_an_end_heard_by_message_is_ranked_by_its_call_too() {
    // As a_session_revived_by_a_restore_is_superseded_by_a_login_called_after_the_restore, but
    // this tab heard the end on the channel before the restore read it in the shared record:
    // the revived session's epoch is still the restore's call, and a login called after the
    // restore (in another tab) outranks it.
    let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
    let end = epoch_at(10_000.0);
    m.peer_message(at(10_000.0), Message::Ended { epoch: end, reason: EndReason::LoggedOut });
    drain(&mut m);
    m.refresh(at(30_000.0), RefreshKind::Restore);
    let lock = lock_of(&drain(&mut m)).expect("asks");
    m.lock_granted(at(30_000.0), lock, Some(SharedEpoch { epoch: end, ended: Some(EndReason::LoggedOut) }));
    let (http, _) = posted(&drain(&mut m)).expect("asks the cookie");
    m.post_done(at(30_010.0), http, ok_token("opaque-r", 300.0, false, None));
    drain(&mut m);
    assert_eq!(m.access_token(), Some("opaque-r"));
    m.peer_message(at(30_020.0), token_message(epoch_at(30_005.0), "opaque-l", 30_020.0));
    let out = drain(&mut m);
    assert_eq!(m.access_token(), Some("opaque-l"), "{out:?}");
}

#[test]
fn a_logout_called_while_a_restore_waits_ends_it_even_with_the_wall_clock_behind_the_restore() {
    // The restore is called, then a logout here with the wall clock a second behind it: the
    // logout's end must still outrank the restore (it was called after it), whatever the
    // stamps say; the shared record it wrote, read by the restore under the lock, revives nothing.
    let mut m = signed_in(Config { cross_tab: true, ..config() });
    let restore = m.refresh(at(30_000.0), RefreshKind::Restore);
    let lock = lock_of(&drain(&mut m)).expect("the restore asks");
    m.logout(Instant::new(T0.mono_ms + 30_010.0, T0.wall_ms + 29_000.0), Scope::Local);
    let out = drain(&mut m);
    let record = out.iter().find_map(|o| match o {
        Output::StoreShared(s @ SharedEpoch { ended: Some(_), .. }) => Some(*s),
        _ => None,
    });
    let record = record.expect("the logout records its end");
    let out = grant(&mut m, lock, 30_020.0, Some(record));
    assert!(!matches!(posted(&out), Some((_, Endpoint::Refresh))), "the cookie is not asked again: {out:?}");
    assert!(matches!(settled(&out, restore), Some(Err(_))), "{out:?}");
    assert!(matches!(m.state(), SessionState::Ended(_)), "{out:?}");
}
