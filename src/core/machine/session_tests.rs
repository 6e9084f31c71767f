//! The session features, input by input: sign-out scopes, the session's end, the idle
//! timeout, offline, step-up. Many tabs: `tests/simulator.rs`.

use super::test_support::{config as base_config, drain, posted};
use super::*;
use crate::core::session::tests::{at, T0};

fn config() -> Config {
    Config { session_warning_ms: 5_000.0, ..base_config() }
}

fn answer(token: &str, expires_in_s: f64, session_s: Option<f64>) -> HttpOutcome {
    let token = Ok(TokenAnswer { token: token.into(), expires_in_s: Some(expires_in_s), dpop: false, session_s });
    HttpOutcome::Answer { status: 200, retry_after_ms: None, token }
}

fn status(status: u16) -> HttpOutcome {
    HttpOutcome::Answer { status, retry_after_ms: None, token: Err("no body") }
}

/// A machine signed in at T0 with a token of `expires_in_s` and a session of `session_s`.
fn signed_in(cfg: Config, expires_in_s: f64, session_s: Option<f64>) -> Machine {
    let mut m = Machine::new(cfg, 3);
    m.login(T0);
    let (http, _) = posted(&drain(&mut m)).expect("login posts");
    m.post_done(T0, http, answer("opaque-a", expires_in_s, session_s));
    drain(&mut m);
    m
}

fn events(out: &[Output]) -> Vec<&Event> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(Event::StateChanged) => None,
            Output::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn api_request(m: &mut Machine, now: Instant) -> ReqId {
    let start = FetchStart {
        url: "https://app.example/x".into(),
        has_authorization: false,
        keepalive: false,
        replayable: true,
    };
    m.fetch(now, start)
}

// ---- sign-out scopes ---------------------------------------------------------------------

#[test]
fn others_keeps_this_session_and_rejects_when_the_server_does_not_confirm() {
    let mut m = signed_in(config(), 300.0, None);
    let call = m.logout(T0, Scope::Others);
    assert_eq!(m.state(), SessionState::Authenticated, "this session goes on");
    let (http, endpoint) = posted(&drain(&mut m)).expect("posts");
    assert_eq!(endpoint, Endpoint::Logout(Scope::Others));
    m.post_done(T0, http, status(200));
    let out = drain(&mut m);
    assert_eq!(out, vec![Output::Settle { call, result: Ok(CallValue::Confirmed(true)) }], "no event, no end");
    assert_eq!(m.state(), SessionState::Authenticated);

    let call = m.logout(T0, Scope::Others);
    let (http, _) = posted(&drain(&mut m)).expect("posts");
    m.post_done(T0, http, status(401));
    let out = drain(&mut m);
    assert!(
        matches!(&out[..], [Output::Settle { call: c, result: Err((e, Some(401))) }] if *c == call && e.code == ErrorCode::LogoutFailed),
        "{out:?}"
    );
    assert_eq!(m.state(), SessionState::Authenticated, "untouched");
    let call = m.logout(T0, Scope::Others);
    let (http, _) = posted(&drain(&mut m)).expect("posts");
    m.post_done(T0, http, HttpOutcome::NetworkError);
    assert!(matches!(&drain(&mut m)[..], [.., Output::Settle { call: c, result: Err(_) }] if *c == call));
}

#[test]
fn global_ends_here_at_once_even_when_the_server_call_fails() {
    let mut m = signed_in(config(), 300.0, None);
    let call = m.logout(T0, Scope::Global);
    assert_eq!(m.state(), SessionState::Ended(EndReason::LoggedOut));
    let (http, endpoint) = posted(&drain(&mut m)).expect("posts");
    assert_eq!(endpoint, Endpoint::Logout(Scope::Global));
    m.post_done(T0, http, HttpOutcome::NetworkError);
    let out = drain(&mut m);
    assert!(out.contains(&Output::Settle { call, result: Ok(CallValue::Confirmed(false)) }), "{out:?}");
    assert_eq!(m.state(), SessionState::Ended(EndReason::LoggedOut));
}

// ---- the session's end ------------------------------------------------------------------

#[test]
fn the_session_end_warns_once_then_ends_with_no_refresh() {
    // Token 300 s, session 40 s, warning 5 s before.
    let mut m = signed_in(config(), 300.0, Some(40.0));
    assert_eq!(m.session_expires_at(), Some(T0.wall_ms + 40_000.0));
    assert_eq!(m.poll_timeout(T0), Some(35_000.0), "the warning first");
    m.handle_timeout(at(35_000.0));
    let out = drain(&mut m);
    assert_eq!(events(&out), vec![&Event::SessionExpiring { expires_at: T0.wall_ms + 40_000.0 }]);
    // A refresh whose answer keeps the same end (the absolute model): no second warning.
    m.refresh(at(35_000.0), RefreshKind::Explicit);
    let (http, _) = posted(&drain(&mut m)).expect("refresh");
    m.post_done(at(35_100.0), http, answer("opaque-b", 300.0, Some(4.9)));
    let out = drain(&mut m);
    assert!(!events(&out).iter().any(|e| matches!(e, Event::SessionExpiring { .. })), "once: {out:?}");
    let end = m.session_expires_at().expect("end");
    assert!((end - (T0.wall_ms + 40_000.0)).abs() < 1.0, "{end}");
    let t = m.poll_timeout(at(35_100.0)).expect("the end");
    assert!((t - 40_000.0).abs() <= 1.0, "{t}");
    m.handle_timeout(at(40_001.0));
    let out = drain(&mut m);
    assert_eq!(events(&out), vec![&Event::SessionExpired { reason: "lifetime", from_other_tab: false }]);
    assert!(posted(&out).is_none(), "no refresh past the end");
    assert_eq!(m.state(), SessionState::Ended(EndReason::Lifetime));
    assert_eq!(m.state().as_str(), "sessionExpired");
    // A refresh() or a request after it tries nothing either.
    m.refresh(at(41_000.0), RefreshKind::Explicit);
    api_request(&mut m, at(41_000.0));
    assert!(posted(&drain(&mut m)).is_none());
}

#[test]
fn a_session_end_passed_while_asleep_ends_before_any_refresh() {
    let mut m = signed_in(config(), 60.0, Some(40.0));
    // Woken after 2 minutes: the token is dead and the session over; no refresh is tried.
    m.wake(at(120_000.0), Wake::Visible);
    let out = drain(&mut m);
    assert!(posted(&out).is_none(), "{out:?}");
    assert_eq!(events(&out), vec![&Event::SessionExpired { reason: "lifetime", from_other_tab: false }]);
}

#[test]
fn a_sliding_end_warns_again_only_when_it_moved_out_of_the_warning() {
    let mut m = signed_in(config(), 60.0, Some(8.0));
    m.handle_timeout(at(3_000.0));
    assert_eq!(events(&drain(&mut m)).len(), 1, "warned");
    // An explicit refresh slides the end to 3 s + 20 s.
    m.refresh(at(3_000.0), RefreshKind::Explicit);
    let (http, _) = posted(&drain(&mut m)).expect("refresh");
    m.post_done(at(3_000.0), http, answer("opaque-b", 60.0, Some(20.0)));
    drain(&mut m);
    assert_eq!(m.poll_timeout(at(3_000.0)), Some(18_000.0), "a new warning at the new end minus 5 s");
    m.handle_timeout(at(18_000.0));
    assert_eq!(events(&drain(&mut m)), vec![&Event::SessionExpiring { expires_at: T0.wall_ms + 23_000.0 }]);
}

/// An absolute end told again by the next refresh moves by up to about a second (the answer's
/// `refresh_expires_in` is whole seconds, read when the answer arrives, so a slow answer moves
/// it later): that is the same end, not a new one to warn of again.
#[test]
fn an_end_that_moves_later_by_less_than_two_seconds_is_not_warned_of_again() {
    let mut m = signed_in(config(), 60.0, Some(8.0));
    m.handle_timeout(at(3_000.0));
    assert_eq!(events(&drain(&mut m)).len(), 1, "warned");
    // The next refresh's answer puts the end 900 ms later (read late, rounded up).
    m.refresh(at(3_000.0), RefreshKind::Explicit);
    let (http, _) = posted(&drain(&mut m)).expect("refresh");
    m.post_done(at(3_000.0), http, answer("opaque-b", 60.0, Some(5.9)));
    drain(&mut m);
    m.handle_timeout(at(3_900.0));
    m.handle_timeout(at(8_000.0));
    assert!(events(&drain(&mut m)).iter().all(|e| !matches!(e, Event::SessionExpiring { .. })), "one warning per end");
}

/// Exactly 2 s later is still the same end (the tolerance is inclusive).
#[test]
fn an_end_exactly_two_seconds_later_is_the_same_end() {
    let mut m = signed_in(config(), 60.0, Some(8.0));
    m.handle_timeout(at(3_000.0));
    assert_eq!(events(&drain(&mut m)).len(), 1, "warned");
    m.refresh(at(3_000.0), RefreshKind::Explicit);
    let (http, _) = posted(&drain(&mut m)).expect("refresh");
    m.post_done(at(3_000.0), http, answer("opaque-b", 60.0, Some(7.0)));
    drain(&mut m);
    m.handle_timeout(at(5_000.0));
    assert!(events(&drain(&mut m)).iter().all(|e| !matches!(e, Event::SessionExpiring { .. })), "not warned again");
}

/// A new end whose warning time is exactly now is inside the warning, not out of it: the
/// warning already given stands (no second one).
#[test]
fn a_new_end_at_the_warnings_edge_is_not_warned_of_again() {
    let mut m = signed_in(config(), 60.0, Some(8.0));
    m.handle_timeout(at(3_000.0));
    assert_eq!(events(&drain(&mut m)).len(), 1, "warned");
    m.refresh(at(6_000.0), RefreshKind::Explicit);
    let (http, _) = posted(&drain(&mut m)).expect("refresh");
    m.post_done(at(6_000.0), http, answer("opaque-b", 60.0, Some(5.0)));
    drain(&mut m);
    m.handle_timeout(at(6_000.0));
    assert!(events(&drain(&mut m)).iter().all(|e| !matches!(e, Event::SessionExpiring { .. })), "not warned again");
}

// ---- idle ------------------------------------------------------------------------------

fn idle_config() -> Config {
    Config { idle: Some((10_000.0, 3_000.0)), session_warning_ms: 0.0, ..config() }
}

#[test]
fn idle_warns_activity_moves_the_deadline_and_the_deadline_signs_out() {
    let mut m = signed_in(idle_config(), 300.0, None);
    assert_eq!(m.idle_deadline(), Some(T0.wall_ms + 10_000.0));
    assert_eq!(m.poll_timeout(T0), Some(7_000.0));
    m.handle_timeout(at(7_000.0));
    assert_eq!(events(&drain(&mut m)), vec![&Event::IdleWarning { deadline: T0.wall_ms + 10_000.0 }]);
    // Activity moves it (by more than a step) and cancels the warning.
    m.activity(at(8_000.0));
    assert_eq!(m.idle_deadline(), Some(T0.wall_ms + 18_000.0));
    // Activity within a step of the last move changes nothing (no message, no new snapshot).
    m.activity(at(8_500.0));
    assert_eq!(m.idle_deadline(), Some(T0.wall_ms + 18_000.0));
    drain(&mut m);
    m.handle_timeout(at(15_000.0));
    assert_eq!(events(&drain(&mut m)).len(), 1, "warned again");
    m.handle_timeout(at(18_000.0));
    let out = drain(&mut m);
    assert_eq!(m.state(), SessionState::Ended(EndReason::Idle));
    assert_eq!(m.state().as_str(), "loggedOut");
    let (http, endpoint) = posted(&out).expect("signs out at the server");
    assert_eq!(endpoint, Endpoint::Logout(Scope::Local));
    m.post_done(at(18_010.0), http, status(204));
    let out = drain(&mut m);
    assert_eq!(
        events(&out),
        vec![&Event::LoggedOut { server_confirmed: Some(true), from_other_tab: false, idle: true }]
    );
    assert_eq!(m.idle_deadline(), None);
}

#[test]
fn idle_warned_sessions_are_not_refreshed_by_the_timer() {
    // Token 12 s: the proactive refresh (from 6 s on) falls in the warning (7 s .. 10 s).
    let mut cfg = idle_config();
    cfg.refresh_margin_ms = 5_000.0;
    let mut m = signed_in(cfg, 12.0, None);
    m.handle_timeout(at(7_000.0));
    let out = drain(&mut m);
    assert!(posted(&out).is_none(), "warned: no silent refresh {out:?}");
    assert_eq!(m.poll_timeout(at(7_000.0)), Some(10_000.0), "only the deadline");
    // Activity: the refresh that was held back goes now.
    m.activity(at(8_000.0));
    assert!(posted(&drain(&mut m)).is_some());
}

#[test]
fn a_hidden_tab_signs_out_on_wake_when_its_deadline_passed() {
    let mut m = signed_in(idle_config(), 300.0, None);
    // The page was hidden (timers throttled): visible again 60 s later. Its deadline may be
    // stale (other tabs' activity messages are still queued): it waits a moment, and being
    // shown does not bring the session back.
    m.wake(at(60_000.0), Wake::Visible);
    assert_eq!(m.state(), SessionState::Authenticated);
    let t = m.poll_timeout(at(60_000.0)).expect("the grace's end");
    assert!(t - 60_000.0 <= 300.0, "{t}");
    m.handle_timeout(at(t));
    assert_eq!(m.state(), SessionState::Ended(EndReason::Idle));
}

#[test]
fn a_newer_deadline_heard_on_waking_keeps_the_session() {
    let mut m = signed_in(idle_config(), 300.0, None);
    m.wake(at(60_000.0), Wake::PageShow);
    // Another tab's activity, queued while this page was frozen, arrives now.
    m.peer_message(at(60_010.0), Message::Active { epoch: m.epoch(), deadline: T0.wall_ms + 65_000.0 });
    let t = m.poll_timeout(at(60_010.0)).expect("timer");
    m.handle_timeout(at(t));
    assert_eq!(m.state(), SessionState::Authenticated);
    assert_eq!(m.idle_deadline(), Some(T0.wall_ms + 65_000.0));
}

#[test]
fn a_login_in_another_tab_brings_its_own_limits() {
    // This tab's session would go idle at 10 s; another tab logs in at 8 s: its new session's
    // deadline (and no end) is taken, not the old one's.
    let mut cfg = idle_config();
    cfg.cross_tab = true;
    let mut m = Machine::new(cfg, 3);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    let epoch = Epoch(m.epoch().0 + 1_000_000);
    let token = Message::Token {
        epoch,
        token: "opaque-b".into(),
        remaining_ms: Some(300_000.0),
        sent_wall_ms: T0.wall_ms + 8_000.0,
        dpop: false,
        session_end: None,
    };
    m.peer_message(at(8_000.0), token);
    m.peer_message(at(8_000.0), Message::Active { epoch, deadline: T0.wall_ms + 18_000.0 });
    m.handle_timeout(at(10_000.0));
    assert_eq!(m.state(), SessionState::Authenticated);
    assert_eq!(m.idle_deadline(), Some(T0.wall_ms + 18_000.0));
}

#[test]
fn a_zero_refresh_expires_in_means_no_end() {
    let m = signed_in(config(), 300.0, Some(0.0));
    assert_eq!((m.state(), m.session_expires_at()), (SessionState::Authenticated, None));
}

#[test]
fn activity_in_another_tab_moves_the_deadline_here() {
    let mut m = signed_in(idle_config(), 300.0, None);
    m.peer_message(at(5_000.0), Message::Active { epoch: m.epoch(), deadline: T0.wall_ms + 15_000.0 });
    assert_eq!(m.idle_deadline(), Some(T0.wall_ms + 15_000.0));
    // An older deadline, or another session's, does not move it back.
    m.peer_message(at(5_000.0), Message::Active { epoch: m.epoch(), deadline: T0.wall_ms + 12_000.0 });
    m.peer_message(at(5_000.0), Message::Active { epoch: Epoch(1), deadline: T0.wall_ms + 50_000.0 });
    assert_eq!(m.idle_deadline(), Some(T0.wall_ms + 15_000.0));
}

// ---- offline ---------------------------------------------------------------------------

#[test]
fn a_network_error_never_ends_the_session_and_online_retries_at_once() {
    let mut m = signed_in(config(), 300.0, None);
    m.refresh(T0, RefreshKind::Explicit);
    let (http, _) = posted(&drain(&mut m)).expect("refresh");
    m.post_done(at(10.0), http, HttpOutcome::NetworkError);
    assert!(m.offline());
    assert_eq!(m.state(), SessionState::Authenticated);
    assert!(posted(&drain(&mut m)).is_none(), "backs off");
    m.wake(at(20.0), Wake::Online);
    let (http, _) = posted(&drain(&mut m)).expect("tries again on online");
    m.post_done(at(30.0), http, answer("opaque-b", 300.0, None));
    assert!(!m.offline());
    assert_eq!(m.access_token(), Some("opaque-b"));
}

// ---- step-up ---------------------------------------------------------------------------

const CHALLENGE: &str = r#"Bearer error="insufficient_user_authentication", acr_values="mfa""#;

#[test]
fn a_step_up_challenge_is_returned_without_a_refresh_when_there_is_no_handler() {
    let mut m = signed_in(config(), 300.0, None);
    let req = api_request(&mut m, T0);
    drain(&mut m);
    m.fetch_answered(T0, req, 401, false, Some(CHALLENGE));
    let out = drain(&mut m);
    assert!(posted(&out).is_none(), "no refresh");
    assert!(out.contains(&Output::FinishFetch { req, end: FetchEnd::Response }));
    assert!(matches!(events(&out)[..], [Event::StepUp(c)] if c.acr_values.as_deref() == Some("mfa")));
    // A plain expired-token 401 still refreshes.
    let req = api_request(&mut m, T0);
    drain(&mut m);
    m.fetch_answered(T0, req, 401, false, Some(r#"Bearer error="invalid_token""#));
    assert!(posted(&drain(&mut m)).is_some());
}

#[test]
fn concurrent_requests_share_one_handler_call_and_are_replayed_once() {
    let mut m = signed_in(Config { step_up: true, ..config() }, 300.0, None);
    let reqs: Vec<ReqId> = (0..5).map(|_| api_request(&mut m, T0)).collect();
    drain(&mut m);
    for r in &reqs {
        m.fetch_answered(T0, *r, 401, false, Some(CHALLENGE));
    }
    let out = drain(&mut m);
    let calls: Vec<CallId> = out
        .iter()
        .filter_map(|o| match o {
            Output::StepUp { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(calls.len(), 1, "{out:?}");
    assert!(!out.iter().any(|o| matches!(o, Output::FinishFetch { .. } | Output::Post { .. })));
    m.step_up_done(at(100.0), calls[0], true);
    let out = drain(&mut m);
    let resent = out.iter().filter(|o| matches!(o, Output::Send { .. })).count();
    assert_eq!(resent, 5);
    // The replay meets the challenge again: returned, no second handler call.
    m.fetch_answered(at(200.0), reqs[0], 401, false, Some(CHALLENGE));
    assert_eq!(
        drain(&mut m).into_iter().filter(|o| !matches!(o, Output::Event(_))).collect::<Vec<_>>(),
        vec![Output::FinishFetch { req: reqs[0], end: FetchEnd::Response }]
    );
}

#[test]
fn challenges_arriving_after_the_handler_settled_replay_without_another_call() {
    // Five requests sent with the first token; the first challenge comes back, the handler
    // signs in again (a new token) and settles; only then do the other four challenges arrive
    // (a fast server, tests/e2e/session.mjs 5b). They were answered by that call: replayed
    // with the new token, no second handler call.
    let mut m = signed_in(Config { step_up: true, ..config() }, 300.0, None);
    let reqs: Vec<ReqId> = (0..5).map(|_| api_request(&mut m, T0)).collect();
    drain(&mut m);
    m.fetch_answered(T0, reqs[0], 401, false, Some(CHALLENGE));
    let out = drain(&mut m);
    let handler_calls = |out: &[Output]| out.iter().filter(|o| matches!(o, Output::StepUp { .. })).count();
    let id = out.iter().find_map(|o| match o {
        Output::StepUp { id, .. } => Some(*id),
        _ => None,
    });
    m.login(at(10.0));
    let (http, _) = posted(&drain(&mut m)).expect("the handler's login posts");
    m.post_done(at(20.0), http, answer("opaque-mfa", 300.0, None));
    drain(&mut m);
    m.step_up_done(at(30.0), id.expect("handler called"), true);
    let out = drain(&mut m);
    assert_eq!(out.iter().filter(|o| matches!(o, Output::Send { .. })).count(), 1, "the first replayed");
    for r in &reqs[1..] {
        m.fetch_answered(at(40.0), *r, 401, false, Some(CHALLENGE));
    }
    let out = drain(&mut m);
    assert_eq!(handler_calls(&out), 0, "no second handler call: {out:?}");
    assert_eq!(out.iter().filter(|o| matches!(o, Output::Send { .. })).count(), 4, "the four replayed: {out:?}");
    // A request sent with the new token that meets the challenge is a new step-up.
    let late = api_request(&mut m, at(50.0));
    drain(&mut m);
    m.fetch_answered(at(60.0), late, 401, false, Some(CHALLENGE));
    assert_eq!(handler_calls(&drain(&mut m)), 1, "a challenge to the new token calls the handler");
}

#[test]
fn a_rejected_handler_returns_the_challenge() {
    let mut m = signed_in(Config { step_up: true, ..config() }, 300.0, None);
    let req = api_request(&mut m, T0);
    drain(&mut m);
    m.fetch_answered(T0, req, 403, false, Some(r#"Bearer error="insufficient_scope", scope="admin""#));
    let id = drain(&mut m).iter().find_map(|o| match o {
        Output::StepUp { id, challenge } => {
            assert_eq!(challenge.scope.as_deref(), Some("admin"));
            Some(*id)
        }
        _ => None,
    });
    m.step_up_done(T0, id.expect("handler called"), false);
    assert_eq!(drain(&mut m), vec![Output::FinishFetch { req, end: FetchEnd::Response }]);
}

#[test]
fn a_step_up_replay_waits_for_a_refresh_when_the_token_died_meanwhile() {
    let mut m = signed_in(Config { step_up: true, ..config() }, 30.0, None);
    let req = api_request(&mut m, T0);
    drain(&mut m);
    m.fetch_answered(T0, req, 401, false, Some(CHALLENGE));
    let id = drain(&mut m).iter().find_map(|o| match o {
        Output::StepUp { id, .. } => Some(*id),
        _ => None,
    });
    // The handler took two minutes (and did not sign in again): the token is dead by then.
    m.step_up_done(at(120_000.0), id.expect("handler"), true);
    let out = drain(&mut m);
    assert!(!out.iter().any(|o| matches!(o, Output::Send { .. })), "no replay without a token: {out:?}");
    let (http, _) = posted(&out).expect("a refresh first");
    m.post_done(at(120_010.0), http, answer("opaque-b", 300.0, None));
    let out = drain(&mut m);
    assert!(
        out.iter().any(|o| matches!(o, Output::Send { req: r, authorize: Authorize::Token { .. } } if *r == req)),
        "{out:?}"
    );
}
