//! The calls' edges: the getters the page reads, `setAccessToken`'s bounds, aborted logins,
//! call ids, logouts without a URL, what a login's answer settles.

use super::*;

#[test]
fn expires_at_and_refresh_at_are_wall_clock_times() {
    let mut m = Machine::new(config(), 5);
    assert_eq!((m.expires_at(T0), m.refresh_at(T0)), (None, None));
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    assert_eq!(m.expires_at(T0), Some(T0.wall_ms + 300_000.0));
    // The refresh point is the timer's, on the wall clock: margin 60 s, jitter up to 20 %.
    let delay = m.poll_timeout(T0).expect("a refresh is scheduled");
    // (The timer's delay is whole milliseconds, rounded up.)
    let near = |got: Option<f64>| got.is_some_and(|r| (T0.wall_ms + delay - r).abs() < 1.0);
    assert!(near(m.refresh_at(T0)), "{:?} vs {}", m.refresh_at(T0), T0.wall_ms + delay);
    assert!((228_000.0..=240_000.0).contains(&delay), "{delay}");
    assert!(near(m.refresh_at(at(100_000.0))), "the same point, read later");
}

#[test]
fn set_access_token_takes_zero_and_refuses_negative_and_non_finite_lifetimes() {
    let mut m = Machine::new(config(), 5);
    for bad in [-1.0, -0.001, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let e = m.set_access_token(T0, "opaque-a".into(), Some(bad)).expect_err("refused");
        assert_eq!(e.code, ErrorCode::InvalidOptions, "{bad}");
    }
    assert_eq!(m.state(), SessionState::Anonymous);
    m.set_access_token(T0, "opaque-a".into(), Some(0.0)).expect("an expired token is still a token");
    assert_eq!(m.state(), SessionState::Authenticated);
    assert_eq!(m.expires_at(T0), Some(T0.wall_ms));
}

#[test]
fn an_aborted_login_settles_aborted_and_gives_up_its_post() {
    let mut m = Machine::new(config(), 5);
    let call = m.login(T0);
    let (http, _) = posted(&drain(&mut m)).expect("posts");
    m.abort_call(at(5.0), call);
    let out = drain(&mut m);
    assert!(out.contains(&Output::AbortPost(http)), "{out:?}");
    let result = settled(&out, call).expect("settled");
    assert!(matches!(result, Err((e, None)) if e.code == ErrorCode::Aborted), "{result:?}");
}

#[test]
fn calls_get_distinct_ids() {
    let mut m = Machine::new(config(), 5);
    let ids = [m.login(T0), m.refresh(T0, RefreshKind::Explicit), m.get_access_token(T0), m.logout(T0, Scope::Local)];
    for (i, a) in ids.iter().enumerate() {
        for b in &ids[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

#[test]
fn a_logout_without_a_logout_url_says_whether_it_was_for_inactivity() {
    let cfg = Config { has_logout_url: false, idle: Some((10_000.0, 3_000.0)), ..config() };
    let mut m = Machine::new(cfg.clone(), 5);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    m.logout(at(1.0), Scope::Local);
    let out = drain(&mut m);
    assert_eq!(
        logged_out(&out),
        vec![&Event::LoggedOut { server_confirmed: Some(false), from_other_tab: false, idle: false }]
    );
    let mut m = Machine::new(cfg, 5);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    m.handle_timeout(at(10_000.0));
    let out = drain(&mut m);
    assert_eq!(
        logged_out(&out),
        vec![&Event::LoggedOut { server_confirmed: Some(false), from_other_tab: false, idle: true }]
    );
}

#[test]
fn logout_scopes_are_named_for_the_query() {
    assert_eq!([Scope::Local.as_str(), Scope::Others.as_str(), Scope::Global.as_str()], ["local", "others", "global"]);
}

#[test]
fn a_rejected_login_is_rejected_even_with_a_token_in_its_body() {
    let mut m = Machine::new(config(), 5);
    let call = m.login(T0);
    let (http, _) = posted(&drain(&mut m)).expect("posts");
    let token = Ok(TokenAnswer { token: "opaque-a".into(), expires_in_s: Some(300.0), dpop: false, session_s: None });
    m.post_done(at(1.0), http, HttpOutcome::Answer { status: 401, retry_after_ms: None, token });
    let out = drain(&mut m);
    assert!(matches!(settled(&out, call), Some(Err((e, Some(401)))) if e.code == ErrorCode::LoginFailed), "{out:?}");
    assert_eq!(m.access_token(), None);
}

#[test]
fn a_login_whose_session_ended_while_it_was_on_the_wire_is_aborted() {
    // Session-only login (the token comes from the refresh endpoint), and one that returns a
    // token: another tab signs out while the POST is out.
    for returns_token in [false, true] {
        let mut m = Machine::new(Config { cross_tab: true, login_returns_token: returns_token, ..config() }, 5);
        let (call, _, http) = login_posted(&mut m, at(0.0));
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
    let (call, _, http) = login_posted(&mut m, at(0.0));
    m.peer_message(at(5.0), Message::Ended { epoch: epoch_at(5.0), reason: EndReason::LoggedOut });
    drain(&mut m);
    m.post_done(at(10.0), http, HttpOutcome::Answer { status: 200, retry_after_ms: None, token: Err("no token") });
    let out = drain(&mut m);
    match settled(&out, call) {
        Some(Err((e, Some(200)))) => assert_eq!(e.code, ErrorCode::LoginFailed),
        other => panic!("{other:?}"),
    }
}

/// `dispose()` while a refresh POST is on the wire: the server may have rotated the cookie
/// already, so the POST is not aborted (its Set-Cookie must land) and the lock is kept until it
/// ends, so that no other manager presents the old cookie meanwhile; its answer is ignored.
#[test]
fn dispose_lets_a_posted_refresh_finish_under_its_lock_and_ignores_the_answer() {
    let mut cfg = config();
    cfg.cross_tab = true;
    let mut m = signed_in(cfg);
    let lock = {
        m.refresh(T0, RefreshKind::Explicit);
        lock_of(&drain(&mut m)).expect("the lock")
    };
    m.lock_granted(T0, lock, None);
    let (http, _) = posted(&drain(&mut m)).expect("the refresh posts");
    m.dispose(at(100.0));
    let out = drain(&mut m);
    assert!(!out.contains(&Output::AbortPost(http)), "not aborted: {out:?}");
    assert!(!out.contains(&Output::ReleaseLock(lock)), "the lock is kept: {out:?}");
    assert_eq!(m.access_token(), None, "the disposed manager holds nothing");
    // The answer comes: the lock goes, nothing else happens.
    m.post_done(at(900.0), http, ok_token("opaque-b", 300.0, false, None));
    assert_eq!(drain(&mut m), vec![Output::ReleaseLock(lock)]);
    assert_eq!((m.access_token(), m.poll_timeout(at(900.0))), (None, None));
    m.post_done(at(901.0), http, ok_token("opaque-b", 300.0, false, None));
    assert_eq!(drain(&mut m), vec![], "once");
}

#[test]
fn a_posted_refresh_a_disposed_manager_waits_for_is_aborted_at_its_deadline() {
    let mut m = signed_in(config());
    let (_, http) = refresh_posted(&mut m, T0, RefreshKind::Explicit);
    m.dispose(T0);
    drain(&mut m);
    let deadline = m.poll_timeout(T0).expect("the POST's deadline");
    assert_eq!(deadline, (T0.mono_ms + REQUEST_TIMEOUT_MS).ceil());
    m.handle_timeout(at(deadline - T0.mono_ms - 1.0));
    assert_eq!(drain(&mut m), vec![], "not yet");
    m.handle_timeout(at(deadline - T0.mono_ms));
    assert_eq!(drain(&mut m), vec![Output::AbortPost(http)], "no lock to let go without cross-tab");
    assert_eq!(m.poll_timeout(at(deadline)), None);
    m.post_done(at(deadline + 1.0), http, HttpOutcome::NetworkError);
    assert_eq!(drain(&mut m), vec![]);
}

/// A login's own POST presents no refresh cookie: `dispose()` aborts it (the caller was told
/// `aborted`; it must not sign the page in behind its back) and lets its lock go.
#[test]
fn dispose_aborts_a_login_on_the_wire_and_lets_its_lock_go() {
    let mut cfg = config();
    cfg.cross_tab = true;
    let mut m = Machine::new(cfg, 5);
    let (_, lock, http) = login_posted(&mut m, T0);
    let lock = lock.expect("the lock");
    m.dispose(at(10.0));
    let out = drain(&mut m);
    assert!(out.contains(&Output::AbortPost(http)) && out.contains(&Output::ReleaseLock(lock)), "{out:?}");
    assert_eq!(m.poll_timeout(at(10.0)), None);
}

/// A session-only login (`loginReturnsToken: false`) whose signal aborts while its token is
/// asked of the refresh endpoint: that POST may have rotated the cookie, so it is let finish
/// under the lock, its answer ignored, and nothing else goes ahead meanwhile (found by the
/// simulator once it aborted logins: the aborted POST's cookie never landed, and the next
/// refresh replayed the old one).
#[test]
fn a_login_aborted_while_its_token_is_asked_lets_that_post_finish_under_the_lock() {
    let mut cfg = config();
    cfg.cross_tab = true;
    cfg.login_returns_token = false;
    let mut m = Machine::new(cfg, 7);
    let (call, lock, http) = login_posted(&mut m, T0);
    let lock = lock.expect("the lock");
    m.post_done(at(10.0), http, status(204, None));
    let (token_post, endpoint) = posted(&drain(&mut m)).expect("the token request");
    assert_eq!(endpoint, Endpoint::Refresh);
    m.abort_call(at(20.0), call);
    let out = drain(&mut m);
    assert!(matches!(settled(&out, call), Some(Err((e, None))) if e.code == ErrorCode::Aborted), "{out:?}");
    assert!(!out.contains(&Output::AbortPost(token_post)), "not aborted: {out:?}");
    assert!(!out.contains(&Output::ReleaseLock(lock)), "the lock is kept: {out:?}");
    // A refresh asked meanwhile waits: it asks for no lock and posts nothing.
    let refresh = m.refresh(at(30.0), RefreshKind::Explicit);
    assert_eq!(drain(&mut m), vec![], "waits for the POST let finish");
    // Another tab's login is taken up, and its events wait for the lock, as under any lock.
    m.peer_message(at(40.0), token_message(epoch_at(35.0), "jwt-peer", 35.0));
    let out = drain(&mut m);
    assert!(all_events(&out).is_empty(), "no event under the lock: {out:?}");
    assert_eq!(m.access_token(), Some("jwt-peer"));
    // The answer only lets the lock go (then the events); the aborted login's token is not taken.
    m.post_done(at(900.0), token_post, ok_token("jwt-a", 300.0, false, None));
    let out = drain(&mut m);
    assert_eq!(out.first(), Some(&Output::ReleaseLock(lock)), "{out:?}");
    assert!(!all_events(&out).is_empty(), "the events held: {out:?}");
    assert_eq!(m.access_token(), Some("jwt-peer"), "the aborted login's token is not taken");
    assert!(lock_of(&out).is_some() && settled(&out, refresh).is_none(), "then the refresh goes ahead: {out:?}");
}

#[test]
fn a_token_request_let_finish_after_its_login_aborted_is_aborted_at_its_deadline() {
    let mut cfg = config();
    cfg.login_returns_token = false;
    let mut m = Machine::new(cfg, 7);
    let (call, _, http) = login_posted(&mut m, T0);
    m.post_done(T0, http, status(204, None));
    let (token_post, _) = posted(&drain(&mut m)).expect("the token request");
    m.abort_call(T0, call);
    drain(&mut m);
    let deadline = m.poll_timeout(T0).expect("the POST's deadline");
    assert_eq!(deadline, (T0.mono_ms + REQUEST_TIMEOUT_MS).ceil());
    m.handle_timeout(at(deadline));
    assert_eq!(drain(&mut m), vec![Output::AbortPost(token_post)]);
    assert_eq!(m.poll_timeout(at(deadline)), None);
}

/// A logout outranks a login called before it here, even when the wall clock went back
/// between the two: the login's answer, read after the logout, signs nobody in.
#[test]
fn a_logout_ends_a_login_called_before_it_even_with_the_wall_clock_behind_the_login() {
    let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
    let (call, _, http) = login_posted(&mut m, T0);
    let back = |mono: f64| Instant::new(T0.mono_ms + mono, T0.wall_ms - 10_000.0 + mono);
    m.logout(back(100.0), Scope::Local);
    drain(&mut m);
    m.post_done(back(200.0), http, ok_token("opaque-a", 300.0, false, None));
    let out = drain(&mut m);
    assert!(matches!(settled(&out, call), Some(Err((e, _))) if e.code == ErrorCode::Aborted), "{out:?}");
    assert_eq!(m.access_token(), None, "signed out");
}
