//! Each call's main path in one tab: login, refresh, the 401 replay, logout, getAccessToken,
//! restore's loading state.

use super::{config as base_config, *};

fn config() -> Config {
    Config { cross_tab: true, session_warning_ms: 300_000.0, ..base_config() }
}

#[test]
fn login_takes_the_lock_posts_adopts_shares_and_settles() {
    let mut m = Machine::new(config(), 7);
    let call = m.login(T0);
    let lock = lock_of(&drain(&mut m)).expect("asks for the lock");
    m.lock_granted(T0, lock, None);
    let (http, endpoint) = posted(&drain(&mut m)).expect("posts");
    assert_eq!(endpoint, Endpoint::Login(call));
    m.post_done(at(10.0), http, ok_token("opaque-a", 300.0, false, None));
    let out = drain(&mut m);
    assert!(out.iter().any(|o| matches!(o, Output::Broadcast(Message::Token { .. }))), "{out:?}");
    assert!(out.contains(&Output::ReleaseLock(lock)));
    assert!(out.contains(&Output::Settle { call, result: Ok(CallValue::Done) }));
    assert_eq!(m.state(), SessionState::Authenticated);
    // The one timer: the refresh point, 240 s to 252 s after receipt (margin 60 s, jitter 20 %).
    let t = m.poll_timeout(at(10.0)).expect("a refresh is scheduled");
    assert!((228_010.0..=240_010.0).contains(&t), "{t}");
}

#[test]
fn a_refresh_is_joined_and_a_dead_token_is_never_sent() {
    let mut cfg = config();
    cfg.cross_tab = false;
    let mut m = Machine::new(cfg, 1);
    m.set_access_token(T0, "opaque-a".into(), Some(10.0)).expect("held");
    drain(&mut m);
    let later = at(9_500.0);
    let url = "https://app.example/api".to_string();
    let start = FetchStart { url, has_authorization: false, keepalive: false, replayable: true };
    let req = m.fetch(later, start.clone());
    let c1 = m.refresh(later, RefreshKind::Explicit);
    let out = drain(&mut m);
    assert!(!out.iter().any(|o| matches!(o, Output::Send { .. })), "waits: {out:?}");
    let (http, _) = posted(&out).expect("one refresh");
    m.post_done(later, http, ok_token("opaque-b", 300.0, false, None));
    let out = drain(&mut m);
    assert!(out.contains(&Output::Settle { call: c1, result: Ok(CallValue::Done) }));
    let g = m.generation();
    assert!(out.contains(&Output::Send { req, authorize: Authorize::Token { generation: g, dpop: false } }));
    assert_eq!(m.token_value(g), Some("opaque-b"));
}

#[test]
fn a_401_refreshes_once_and_replays() {
    let mut cfg = config();
    cfg.cross_tab = false;
    let mut m = Machine::new(cfg, 1);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    let start = api(false, false);
    let req = m.fetch(T0, start);
    drain(&mut m);
    m.fetch_answered(T0, req, 401, false, None);
    let (http, _) = posted(&drain(&mut m)).expect("refresh after the 401");
    m.post_done(T0, http, ok_token("opaque-b", 300.0, false, None));
    let out = drain(&mut m);
    assert!(out.iter().any(|o| matches!(o, Output::Send { req: r, authorize: Authorize::Token { .. } } if *r == req)));
    m.fetch_answered(T0, req, 401, false, None);
    assert_eq!(drain(&mut m), vec![Output::FinishFetch { req, end: FetchEnd::Response }], "replayed once only");
}

#[test]
fn foreign_origins_get_no_token() {
    let mut m = Machine::new(config(), 1);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    let start = FetchStart {
        url: "https://evil.example/x".into(),
        has_authorization: false,
        keepalive: false,
        replayable: true,
    };
    let req = m.fetch(T0, start);
    assert_eq!(drain(&mut m), vec![Output::Send { req, authorize: Authorize::Untouched }]);
}

#[test]
fn logout_ends_at_once_then_posts_under_the_lock() {
    let mut m = Machine::new(config(), 1);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    let call = m.logout(T0, Scope::Local);
    assert_eq!(m.state(), SessionState::Ended(EndReason::LoggedOut));
    assert!(m.access_token().is_none());
    let lock = lock_of(&drain(&mut m)).expect("lock");
    m.lock_granted(T0, lock, None);
    let (http, _) = posted(&drain(&mut m)).expect("post");
    m.post_done(T0, http, HttpOutcome::Answer { status: 204, retry_after_ms: None, token: Err("no body") });
    let out = drain(&mut m);
    assert!(out.contains(&Output::Settle { call, result: Ok(CallValue::Confirmed(true)) }));
    assert!(out.contains(&Output::Event(Event::LoggedOut {
        server_confirmed: Some(true),
        from_other_tab: false,
        idle: false
    })));
    assert_eq!(m.poll_timeout(T0), None);
}

#[test]
fn a_long_wait_for_the_lock_looks_at_its_holder_every_bound() {
    let mut m = Machine::new(config(), 1);
    let call = m.refresh(T0, RefreshKind::Restore);
    let lock = lock_of(&drain(&mut m)).expect("lock");
    assert_eq!(m.poll_timeout(T0), Some(LOCK_WAIT_MS));
    // Past the bound: the executor looks at the holder (and steals from a stuck one); the
    // request stays, and the next look is one bound later.
    m.handle_timeout(at(LOCK_WAIT_MS));
    assert_eq!(drain(&mut m), vec![Output::LockStuck(lock)]);
    assert_eq!(m.poll_timeout(at(LOCK_WAIT_MS)), Some(2.0 * LOCK_WAIT_MS));
    // A timer that fires long after its time (the page slept): a fresh wait, no look.
    m.handle_timeout(at(5.0 * LOCK_WAIT_MS));
    assert_eq!(drain(&mut m), vec![]);
    // The (stolen) lock is granted: the restore goes on.
    m.lock_granted(at(5.0 * LOCK_WAIT_MS + 1.0), lock, None);
    let mut out = drain(&mut m);
    if let Some(t) = m.poll_timeout(at(5.0 * LOCK_WAIT_MS + 1.0)).filter(|_| posted(&out).is_none()) {
        m.handle_timeout(at(t)); // settling: the previous holder's token message may be on its way
        out = drain(&mut m);
    }
    let (http, _) = posted(&out).expect("posts under the lock");
    m.post_done(at(5.0 * LOCK_WAIT_MS + 50.0), http, ok_token("opaque-a", 300.0, false, None));
    assert!(drain(&mut m).contains(&Output::Settle { call, result: Ok(CallValue::Done) }));
}

#[test]
fn no_event_fires_while_the_lock_is_held() {
    let mut m = Machine::new(config(), 7);
    m.login(T0);
    let lock = lock_of(&drain(&mut m)).expect("lock");
    m.lock_granted(T0, lock, None);
    let (http, _) = posted(&drain(&mut m)).expect("posts");
    m.post_done(at(10.0), http, ok_token("opaque-a", 300.0, false, None));
    let out = drain(&mut m);
    let release = out.iter().position(|o| *o == Output::ReleaseLock(lock)).expect("released");
    let first_event = out.iter().position(|o| matches!(o, Output::Event(_))).expect("stateChanged");
    assert!(release < first_event, "{out:?}");
}

#[test]
fn dispose_settles_everything() {
    let mut m = Machine::new(config(), 1);
    let c1 = m.refresh(T0, RefreshKind::Restore);
    let c2 = m.login(T0);
    drain(&mut m);
    m.dispose(T0);
    let out = drain(&mut m);
    for c in [c1, c2] {
        assert!(out.iter().any(|o| matches!(o, Output::Settle { call, result: Err(_) } if *call == c)), "{out:?}");
    }
    assert_eq!(m.poll_timeout(T0), None);
}

#[test]
fn a_401_on_a_token_set_during_a_backoff_is_refreshed() {
    // The run backs off after a 503; the app hands in a token (dead at the server, as it
    // turns out): a 401 with it must not let the run take it for the refresh it was after.
    let mut cfg = config();
    cfg.cross_tab = false;
    let mut m = Machine::new(cfg, 1);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    m.refresh(T0, RefreshKind::Explicit);
    let (http, _) = posted(&drain(&mut m)).expect("refresh");
    let unavailable = HttpOutcome::Answer { status: 503, retry_after_ms: None, token: Err("no body") };
    m.post_done(T0, http, unavailable);
    assert!(posted(&drain(&mut m)).is_none(), "backs off");
    m.set_access_token(at(10.0), "opaque-b".into(), Some(300.0)).expect("held");
    let start = api(false, false);
    let req = m.fetch(at(10.0), start);
    drain(&mut m);
    m.fetch_answered(at(20.0), req, 401, false, None);
    drain(&mut m);
    let wake = m.poll_timeout(at(20.0)).expect("the backoff's end");
    m.handle_timeout(at(wake));
    let out = drain(&mut m);
    assert!(posted(&out).is_some(), "the run asks the server: {out:?}");
}

#[test]
fn a_late_refresh_answer_is_aged_and_asked_again() {
    // The page slept 60 s (monotonic clock stopped) with the refresh answer in the buffer:
    // the token counts from the send, is dead, and the run asks again at once.
    let mut cfg = config();
    cfg.cross_tab = false;
    let mut m = Machine::new(cfg, 1);
    m.set_access_token(T0, "opaque-a".into(), Some(30.0)).expect("held");
    m.refresh(T0, RefreshKind::Explicit);
    let (http, _) = posted(&drain(&mut m)).expect("refresh");
    let woke = Instant::new(T0.mono_ms + 5.0, T0.wall_ms + 60_000.0);
    m.post_done(woke, http, ok_token("opaque-b", 30.0, false, None));
    let out = drain(&mut m);
    assert!(posted(&out).is_some(), "asked again: {out:?}");
    assert!(!out.iter().any(|o| matches!(o, Output::Settle { .. })), "the caller still waits: {out:?}");
}

fn answer(status: u16, token: Result<TokenAnswer, &'static str>) -> HttpOutcome {
    HttpOutcome::Answer { status, retry_after_ms: None, token }
}

#[test]
fn a_session_only_login_asks_the_token_under_the_same_lock() {
    let mut cfg = config();
    cfg.login_returns_token = false;
    let mut m = Machine::new(cfg, 7);
    let call = m.login(T0);
    let lock = lock_of(&drain(&mut m)).expect("asks for the lock");
    m.lock_granted(T0, lock, None);
    let (http, endpoint) = posted(&drain(&mut m)).expect("posts the credentials");
    assert_eq!(endpoint, Endpoint::Login(call));
    // The login answer's body is not the token (better-auth's opaque session token): ignored.
    m.post_done(at(10.0), http, ok_token("opaque-session", 300.0, false, None));
    let out = drain(&mut m);
    let (http2, endpoint) = posted(&out).expect("then asks the token");
    assert_eq!(endpoint, Endpoint::Refresh);
    assert!(!out.iter().any(|o| matches!(o, Output::ReleaseLock(_) | Output::Settle { .. })), "{out:?}");
    assert_eq!(m.state(), SessionState::Anonymous);
    m.post_done(at(20.0), http2, ok_token("jwt-a", 300.0, false, None));
    let out = drain(&mut m);
    assert!(out.iter().any(|o| matches!(o, Output::Broadcast(Message::Token { .. }))), "{out:?}");
    assert!(out.contains(&Output::ReleaseLock(lock)));
    assert!(out.contains(&Output::Settle { call, result: Ok(CallValue::Done) }));
    assert_eq!(m.access_token(), Some("jwt-a"));
    // A 2xx with no JSON token is fine for the login step too (a 204, or `{ user }`).
    let call = m.login(at(30.0));
    let lock = lock_of(&drain(&mut m)).expect("asks for the lock");
    m.lock_granted(at(30.0), lock, None);
    let (http, _) = posted(&drain(&mut m)).expect("posts");
    m.post_done(at(40.0), http, answer(204, Err("the response is not JSON")));
    let (http, endpoint) = posted(&drain(&mut m)).expect("then the token");
    assert_eq!(endpoint, Endpoint::Refresh);
    m.post_done(at(50.0), http, ok_token("jwt-b", 300.0, false, None));
    assert!(drain(&mut m).contains(&Output::Settle { call, result: Ok(CallValue::Done) }));
    assert_eq!(m.access_token(), Some("jwt-b"));
}

#[test]
fn a_session_only_login_fails_with_its_token_request() {
    let mut cfg = config();
    cfg.login_returns_token = false;
    cfg.cross_tab = false;
    for (second, status) in [
        (answer(401, Err("no token")), Some(401)),
        (answer(200, Err(NO_SESSION)), Some(200)),
        (answer(200, Err("the response has no access token")), Some(200)),
        (HttpOutcome::NetworkError, None),
    ] {
        let mut m = Machine::new(cfg.clone(), 7);
        let call = m.login(T0);
        let (http, _) = posted(&drain(&mut m)).expect("posts");
        m.post_done(at(10.0), http, answer(200, Err("the response has no access token")));
        let (http, endpoint) = posted(&drain(&mut m)).expect("the token request");
        assert_eq!(endpoint, Endpoint::Refresh);
        m.post_done(at(20.0), http, second.clone());
        let out = drain(&mut m);
        let settled = out.iter().find_map(|o| match o {
            Output::Settle { call: c, result: Err((e, s)) } if *c == call => Some((e.code, *s)),
            _ => None,
        });
        assert_eq!(settled, Some((ErrorCode::LoginFailed, status)), "{second:?}: {out:?}");
        assert_eq!(m.state(), SessionState::Anonymous);
    }
    // A rejected login asks nothing more.
    let mut m = Machine::new(cfg, 7);
    let call = m.login(T0);
    let (http, _) = posted(&drain(&mut m)).expect("posts");
    m.post_done(at(10.0), http, answer(401, Err("no token")));
    let out = drain(&mut m);
    assert_eq!(posted(&out), None);
    assert!(out.iter().any(|o| matches!(o, Output::Settle { call: c, result: Err(_) } if *c == call)));
}

#[test]
fn a_2xx_without_a_token_means_nobody_is_signed_in() {
    let mut cfg = config();
    cfg.cross_tab = false;
    let mut m = Machine::new(cfg, 1);
    let call = m.refresh(T0, RefreshKind::Restore);
    let (http, endpoint) = posted(&drain(&mut m)).expect("asks the cookie");
    assert_eq!(endpoint, Endpoint::Refresh);
    m.post_done(at(10.0), http, answer(200, Err(NO_SESSION)));
    let out = drain(&mut m);
    let settled = out.iter().find_map(|o| match o {
        Output::Settle { call: c, result: Err((e, _)) } if *c == call => Some(e.code),
        _ => None,
    });
    // The executor resolves a restore() that ends with `session_expired` to false.
    assert_eq!(settled, Some(ErrorCode::SessionExpired), "{out:?}");
    assert_eq!(posted(&out), None, "no retry");
    assert!(!out.iter().any(|o| matches!(o, Output::Event(Event::RefreshFailed { .. }))), "{out:?}");
}

#[test]
fn a_refused_token_request_after_a_session_only_login_ends_the_session_held() {
    let mut cfg = config();
    cfg.login_returns_token = false;
    cfg.cross_tab = false;
    let mut m = Machine::new(cfg, 7);
    m.set_access_token(T0, "jwt-old".into(), Some(300.0)).expect("held");
    drain(&mut m);
    let call = m.login(at(10.0));
    let (http, _) = posted(&drain(&mut m)).expect("posts");
    m.post_done(at(20.0), http, answer(200, Err("the response is not JSON")));
    let (http, _) = posted(&drain(&mut m)).expect("the token request");
    // The cookie the login set was revoked meanwhile: the session held here is over too.
    m.post_done(at(30.0), http, answer(401, Err("no token")));
    let out = drain(&mut m);
    assert!(out.iter().any(|o| matches!(o, Output::Event(Event::SessionExpired { .. }))), "{out:?}");
    assert!(out.iter().any(|o| matches!(o, Output::Settle { call: c, result: Err(_) } if *c == call)));
    assert_eq!(m.state(), SessionState::Ended(EndReason::SessionExpired));
    assert_eq!(m.access_token(), None);
}

#[test]
fn get_access_token_gives_a_fresh_token_refreshes_a_stale_one_and_joins_a_restore() {
    let mut cfg = config();
    cfg.cross_tab = false;
    let mut m = Machine::new(cfg, 1);
    // Nobody signed in, nothing under way: at once (the executor resolves null).
    let call = m.get_access_token(T0);
    assert_eq!(drain(&mut m), vec![Output::Settle { call, result: Ok(CallValue::Done) }]);
    // A restore under way is joined.
    let restore = m.refresh(T0, RefreshKind::Restore);
    let call = m.get_access_token(T0);
    let (http, _) = posted(&drain(&mut m)).expect("the restore's request, once");
    m.post_done(at(10.0), http, ok_token("opaque-a", 300.0, false, None));
    let out = drain(&mut m);
    for c in [restore, call] {
        assert!(out.contains(&Output::Settle { call: c, result: Ok(CallValue::Done) }), "{out:?}");
    }
    // Fresh: at once, no request.
    let call = m.get_access_token(at(1_000.0));
    assert_eq!(drain(&mut m), vec![Output::Settle { call, result: Ok(CallValue::Done) }]);
    // Inside the refresh margin (60 s of 300 s, with jitter): one refresh first, joined by both.
    let late = at(290_000.0);
    let (c1, c2) = (m.get_access_token(late), m.get_access_token(late));
    let out = drain(&mut m);
    assert!(!out.iter().any(|o| matches!(o, Output::Settle { .. })), "waits: {out:?}");
    let (http, _) = posted(&out).expect("one refresh");
    m.post_done(late, http, ok_token("opaque-b", 300.0, false, None));
    let out = drain(&mut m);
    for c in [c1, c2] {
        assert!(out.contains(&Output::Settle { call: c, result: Ok(CallValue::Done) }), "{out:?}");
    }
    assert_eq!(m.access_token(), Some("opaque-b"));
}

/// `getAccessToken()` when no run may start (the storm breaker: 8 runs in 10 s) gives the
/// token held while it is still valid, even inside its refresh margin; an expired one is the
/// refusal's error.
#[test]
fn get_access_token_gives_the_valid_token_when_the_storm_breaker_refuses_a_run() {
    let mut cfg = config();
    cfg.cross_tab = false;
    let mut m = Machine::new(cfg, 1);
    m.refresh(T0, RefreshKind::Restore);
    let (http, _) = posted(&drain(&mut m)).expect("restore");
    m.post_done(T0, http, ok_token("opaque-0", 5.0, false, None));
    drain(&mut m);
    // Seven more runs inside the breaker's 10 s window, each answered with a 5 s token.
    for i in 1..8 {
        let t = at(f64::from(i) * 100.0);
        m.refresh(t, RefreshKind::Explicit);
        let (http, _) = posted(&drain(&mut m)).expect("a run");
        m.post_done(t, http, ok_token(&format!("opaque-{i}"), 5.0, false, None));
        drain(&mut m);
    }
    // 3 s into the last token's 5 s: inside its margin (at most half its life), not expired.
    let late = at(700.0 + 3_000.0);
    let call = m.get_access_token(late);
    assert_eq!(
        drain(&mut m),
        vec![Output::Settle { call, result: Ok(CallValue::Done) }],
        "the valid token, no request"
    );
    assert_eq!(m.access_token(), Some("opaque-7"));
    // Expired (and the breaker still closed): the refusal.
    let expired = at(700.0 + 5_300.0);
    let call = m.get_access_token(expired);
    let out = drain(&mut m);
    assert!(
        matches!(out.as_slice(), [Output::Settle { call: c, result: Err((e, None)) }] if *c == call && e.code == ErrorCode::RefreshFailed),
        "{out:?}"
    );
}

#[test]
fn a_restore_in_a_tab_without_a_token_is_the_restoring_state() {
    let mut cfg = config();
    cfg.cross_tab = false;
    let mut m = Machine::new(cfg, 1);
    assert_eq!(m.state_name(), "anonymous");
    m.refresh(T0, RefreshKind::Restore);
    let out = drain(&mut m);
    assert!(out.contains(&Output::Event(Event::StateChanged)), "the loading state begins: {out:?}");
    assert_eq!(m.state_name(), "restoring");
    let (http, _) = posted(&out).expect("asks the cookie");
    m.post_done(at(10.0), http, answer(401, Err("no token")));
    assert!(drain(&mut m).contains(&Output::Event(Event::StateChanged)), "and ends");
    assert_eq!(m.state_name(), "anonymous");
    m.refresh(at(20.0), RefreshKind::Restore);
    let (http, _) = posted(&drain(&mut m)).expect("asks again");
    assert_eq!(m.state_name(), "restoring");
    m.post_done(at(30.0), http, ok_token("opaque-a", 300.0, false, None));
    let changes = drain(&mut m).iter().filter(|o| **o == Output::Event(Event::StateChanged)).count();
    assert_eq!((m.state_name(), changes), ("authenticated", 1));
    // A restore while signed in is no loading state.
    m.refresh(at(40.0), RefreshKind::Restore);
    assert_eq!(m.state_name(), "authenticated");
}

#[test]
fn a_logout_during_a_restore_ends_the_loading_state() {
    let mut cfg = config();
    cfg.cross_tab = false;
    let mut m = Machine::new(cfg, 1);
    let restore = m.refresh(T0, RefreshKind::Restore);
    drain(&mut m);
    assert_eq!(m.state_name(), "restoring");
    m.logout(at(10.0), Scope::Local);
    let out = drain(&mut m);
    assert!(out.contains(&Output::Event(Event::StateChanged)), "{out:?}");
    assert_ne!(m.state_name(), "restoring");
    let _ = restore;
}

#[test]
fn logging_in_is_the_login_on_the_wire_and_its_token_step_only() {
    let mut cfg = config();
    cfg.login_returns_token = false;
    cfg.cross_tab = false;
    let mut m = Machine::new(cfg, 7);
    assert!(!m.logging_in());
    m.refresh(T0, RefreshKind::Restore);
    let (http, _) = posted(&drain(&mut m)).expect("a restore");
    assert!(!m.logging_in(), "a restore is no login");
    m.post_done(at(10.0), http, answer(401, Err("no token")));
    drain(&mut m);
    m.login(at(20.0));
    let (http, _) = posted(&drain(&mut m)).expect("the login");
    assert!(m.logging_in());
    m.post_done(at(30.0), http, answer(200, Err("the response is not JSON")));
    let (http, endpoint) = posted(&drain(&mut m)).expect("its token step");
    assert_eq!((endpoint, m.logging_in()), (Endpoint::Refresh, true));
    m.post_done(at(40.0), http, ok_token("jwt-a", 300.0, false, None));
    drain(&mut m);
    assert!(!m.logging_in(), "done");
}

#[test]
fn only_a_restore_starting_without_a_token_changes_the_state() {
    let mut cfg = config();
    cfg.cross_tab = false;
    let mut m = Machine::new(cfg, 1);
    let changes = |out: &[Output]| out.iter().filter(|o| **o == Output::Event(Event::StateChanged)).count();
    m.refresh(T0, RefreshKind::Restore);
    let out = drain(&mut m);
    assert_eq!(changes(&out), 1, "restoring begins");
    m.refresh(T0, RefreshKind::Restore);
    assert_eq!(changes(&drain(&mut m)), 0, "a second restore joins: no change");
    let (http, _) = posted(&out).expect("asks the cookie");
    m.post_done(at(10.0), http, ok_token("opaque-a", 300.0, false, None));
    drain(&mut m);
    m.refresh(at(20.0), RefreshKind::Explicit);
    assert_eq!(changes(&drain(&mut m)), 0, "a refresh while signed in is no state change");
}
