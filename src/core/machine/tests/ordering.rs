//! Logins, logouts and restores ordered under the lock (and without Web Locks), and the
//! sign-out scopes.

use super::*;

#[test]
fn without_web_locks_a_login_goes_ahead() {
    let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
    let call = m.login(T0);
    let out = drain(&mut m);
    let lock = out.iter().find_map(|o| if let Output::RequestLock(id) = o { Some(*id) } else { None }).expect("asks");
    assert!(posted(&out).is_none(), "waits for the lock");
    m.lock_unavailable(at(1.0), lock, None);
    let (http, endpoint) = posted(&drain(&mut m)).expect("posts without the lock");
    assert_eq!(endpoint, Endpoint::Login(call));
    let token = Ok(TokenAnswer { token: "opaque-a".into(), expires_in_s: Some(300.0), dpop: false, session_s: None });
    m.post_done(at(2.0), http, HttpOutcome::Answer { status: 200, retry_after_ms: None, token });
    let out = drain(&mut m);
    assert_eq!(settled(&out, call), Some(&Ok(CallValue::Done)));
    // Later runs do not ask for a lock again.
    m.refresh(at(3.0), RefreshKind::Explicit);
    let out = drain(&mut m);
    assert!(!out.iter().any(|o| matches!(o, Output::RequestLock(_))), "{out:?}");
    assert!(posted(&out).is_some());
}

#[test]
fn lock_answers_for_requests_given_up() {
    let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
    m.lock_granted(T0, LockId(999), None);
    assert_eq!(drain(&mut m), vec![Output::ReleaseLock(LockId(999))], "a grant nobody waits for is let go");
    m.lock_unavailable(T0, LockId(998), None);
    assert!(drain(&mut m).is_empty(), "no lock to let go");
    // While a run waits for its own lock, a grant for another request is not it.
    let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    m.refresh(at(1.0), RefreshKind::Explicit);
    let lock = drain(&mut m).iter().find_map(|o| if let Output::RequestLock(id) = o { Some(*id) } else { None });
    let lock = lock.expect("asks for the lock");
    m.lock_granted(at(1.0), LockId(lock.0 + 100), None);
    let out = drain(&mut m);
    assert!(posted(&out).is_none() && out.contains(&Output::ReleaseLock(LockId(lock.0 + 100))), "{out:?}");
    m.lock_granted(at(1.0), lock, None);
    assert!(posted(&drain(&mut m)).is_some(), "its own grant, at once: posts");
}

#[test]
fn without_a_lock_a_refresh_goes_ahead_however_long_the_answer_took() {
    // Only a lock granted after a wait (another tab held it) makes a run settle first; "no
    // lock to be had" never does, for a run the caller asked for or a background one.
    for kind in [RefreshKind::Explicit, RefreshKind::Background] {
        let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
        m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
        drain(&mut m);
        m.refresh(at(1.0), kind);
        let lock = drain(&mut m).iter().find_map(|o| if let Output::RequestLock(id) = o { Some(*id) } else { None });
        let lock = lock.expect("asks for the lock");
        m.lock_unavailable(at(5_000.0), lock, None);
        assert!(posted(&drain(&mut m)).is_some(), "{kind:?}: posts at once");
    }
}

#[test]
fn a_logout_waiting_for_the_lock_does_not_end_a_login_made_after_it_in_another_tab() {
    let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
    login_answer(&mut m, T0, None);
    let call = m.logout(at(1.0), Scope::Local);
    let lock = lock_of(&drain(&mut m)).expect("the logout waits for the lock");
    // Another tab signs in after that logout; its token arrives first.
    let epoch = crate::core::session::Epoch((T0.wall_ms as u64 + 10) * crate::core::session::EPOCH_PER_MS);
    m.peer_message(at(10.0), token_message(epoch, "opaque-b", 10.0));
    drain(&mut m);
    m.lock_granted(at(11.0), lock, None);
    let out = drain(&mut m);
    assert!(posted(&out).is_none(), "the newer session's cookie is not revoked: {out:?}");
    assert_eq!(settled(&out, call), Some(&Ok(CallValue::Overtaken)));
    assert_eq!(m.access_token(), Some("opaque-b"));
}

#[test]
fn a_login_aborted_while_waiting_for_the_lock_lets_the_lock_request_go() {
    let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
    let call = m.login(T0);
    let lock = lock_of(&drain(&mut m)).expect("asks");
    m.abort_call(at(1.0), call);
    let out = drain(&mut m);
    assert!(out.contains(&Output::ReleaseLock(lock)), "{out:?}");
    assert!(matches!(settled(&out, call), Some(Err((e, None))) if e.code == ErrorCode::Aborted));
}

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

#[test]
fn others_keeps_this_session_and_rejects_when_the_server_does_not_confirm() {
    let mut m = signed_in_for(session_config(), 300.0, None);
    let call = m.logout(T0, Scope::Others);
    assert_eq!(m.state(), SessionState::Authenticated, "this session goes on");
    let (http, endpoint) = posted(&drain(&mut m)).expect("posts");
    assert_eq!(endpoint, Endpoint::Logout(Scope::Others));
    m.post_done(T0, http, status_only(200));
    let out = drain(&mut m);
    assert_eq!(out, vec![Output::Settle { call, result: Ok(CallValue::Confirmed(true)) }], "no event, no end");
    assert_eq!(m.state(), SessionState::Authenticated);

    let call = m.logout(T0, Scope::Others);
    let (http, _) = posted(&drain(&mut m)).expect("posts");
    m.post_done(T0, http, status_only(401));
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
    let mut m = signed_in_for(session_config(), 300.0, None);
    let call = m.logout(T0, Scope::Global);
    assert_eq!(m.state(), SessionState::Ended(EndReason::LoggedOut));
    let (http, endpoint) = posted(&drain(&mut m)).expect("posts");
    assert_eq!(endpoint, Endpoint::Logout(Scope::Global));
    m.post_done(T0, http, HttpOutcome::NetworkError);
    let out = drain(&mut m);
    assert!(out.contains(&Output::Settle { call, result: Ok(CallValue::Confirmed(false)) }), "{out:?}");
    assert_eq!(m.state(), SessionState::Ended(EndReason::LoggedOut));
}
