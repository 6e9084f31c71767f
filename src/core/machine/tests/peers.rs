//! Other tabs: their token and end messages, their activity, and the shared record read
//! under the lock (a restore ranked against an end).

use super::*;

#[test]
fn without_cross_tab_nothing_is_shared() {
    let mut m = Machine::new(config(), 5);
    let out = login_answer(&mut m, T0, None);
    assert_eq!(broadcasts(&out), 0, "a login here stays here: {out:?}");
    m.logout(at(1.0), Scope::Local);
    assert_eq!(broadcasts(&drain(&mut m)), 0, "so does a logout");
    // With it: the login and the logout are told.
    let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
    assert!(broadcasts(&login_answer(&mut m, T0, None)) > 0);
    m.logout(at(1.0), Scope::Local);
    let out = drain(&mut m);
    assert!(out.iter().any(|o| matches!(o, Output::Broadcast(Message::Ended { .. }))), "{out:?}");
}

#[test]
fn a_token_from_another_tab_is_not_sent_back() {
    let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
    let epoch = crate::core::session::Epoch(T0.wall_ms as u64 * crate::core::session::EPOCH_PER_MS);
    let message = Message::Token {
        epoch,
        token: "opaque-b".into(),
        remaining_ms: Some(300_000.0),
        sent_wall_ms: T0.wall_ms,
        dpop: false,
        session_end: None,
    };
    m.peer_message(T0, message);
    let out = drain(&mut m);
    assert_eq!(m.access_token(), Some("opaque-b"));
    assert!(!out.iter().any(|o| matches!(o, Output::Broadcast(Message::Token { .. }))), "{out:?}");
}

#[test]
fn another_tab_telling_the_same_idle_deadline_changes_nothing() {
    let mut m = Machine::new(Config { idle: Some((10_000.0, 3_000.0)), cross_tab: true, ..config() }, 5);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    m.handle_timeout(at(7_000.0));
    assert!(drain(&mut m).iter().any(|o| matches!(o, Output::Event(Event::IdleWarning { .. }))));
    let epoch = m.epoch();
    m.peer_message(at(7_100.0), Message::Active { epoch, deadline: T0.wall_ms + 10_000.0 });
    assert!(drain(&mut m).is_empty(), "the same deadline: no new snapshot, the warning stands");
    m.peer_message(at(7_200.0), Message::Active { epoch, deadline: T0.wall_ms + 17_000.0 });
    assert!(drain(&mut m).contains(&Output::Event(Event::StateChanged)), "a later one moves it");
}

#[test]
fn activity_is_not_told_without_cross_tab() {
    let mut m = Machine::new(Config { idle: Some((10_000.0, 3_000.0)), ..config() }, 5);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    m.activity(at(5_000.0));
    let out = drain(&mut m);
    assert_eq!(m.idle_deadline(), Some(T0.wall_ms + 15_000.0));
    assert!(!out.iter().any(|o| matches!(o, Output::Broadcast(_))), "{out:?}");
}

#[test]
fn a_refresh_backing_off_ends_at_once_when_another_tab_brings_a_new_session() {
    let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    let call = m.refresh(at(1.0), RefreshKind::Explicit);
    let mut out = drain(&mut m);
    if let Some(lock) = out.iter().find_map(|o| if let Output::RequestLock(id) = o { Some(*id) } else { None }) {
        m.lock_granted(at(2.0), lock, None);
        out = drain(&mut m);
    }
    let (http, _) = posted(&out).expect("posts");
    m.post_done(at(3.0), http, HttpOutcome::Answer { status: 503, retry_after_ms: None, token: Err("down") });
    let out = drain(&mut m);
    assert!(settled(&out, call).is_none(), "backs off and tries again later");
    // Another tab signs in meanwhile: its token settles the waiting call now.
    let epoch = crate::core::session::Epoch(m.epoch().0 + crate::core::session::EPOCH_PER_MS * 10);
    m.peer_message(at(10.0), token_message(epoch, "opaque-b", 10.0));
    let out = drain(&mut m);
    assert!(settled(&out, call).is_some(), "settled at once, not after the backoff: {out:?}");
}

#[test]
fn a_newer_end_in_the_shared_record_ends_this_tab() {
    let (m, out) = refresh_reading(shared_at(10_000.0, Some(EndReason::LoggedOut)));
    assert_eq!(m.state(), SessionState::Ended(EndReason::LoggedOut), "{out:?}");
    assert!(logged_out(&out).iter().any(|e| matches!(e, Event::LoggedOut { from_other_tab: true, .. })));
    assert!(posted(&out).is_none(), "no refresh of an ended session");
}

#[test]
fn an_end_at_the_epoch_this_tab_knows_is_news_but_the_same_epoch_without_an_end_is_not() {
    let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
    login_answer(&mut m, T0, None);
    let known = m.epoch();
    m.refresh(at(20_000.0), RefreshKind::Explicit);
    let lock = lock_of(&drain(&mut m)).expect("asks");
    m.lock_granted(at(20_000.0), lock, Some(SharedEpoch { epoch: known, ended: None }));
    let out = drain(&mut m);
    assert_eq!(m.state(), SessionState::Authenticated);
    assert!(posted(&out).is_some(), "the refresh goes on: {out:?}");
    // The clock went back between a login and its logout: the end carries the login's epoch.
    let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
    login_answer(&mut m, T0, None);
    m.refresh(at(20_000.0), RefreshKind::Explicit);
    let lock = lock_of(&drain(&mut m)).expect("asks");
    m.lock_granted(at(20_000.0), lock, Some(SharedEpoch { epoch: known, ended: Some(EndReason::LoggedOut) }));
    assert_eq!(m.state(), SessionState::Ended(EndReason::LoggedOut));
}

#[test]
fn an_older_end_in_the_shared_record_is_no_news() {
    let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
    login_answer(&mut m, at(10_000.0), None);
    m.refresh(at(20_000.0), RefreshKind::Explicit);
    let lock = lock_of(&drain(&mut m)).expect("asks");
    m.lock_granted(at(20_000.0), lock, Some(shared_at(0.0, Some(EndReason::LoggedOut))));
    let out = drain(&mut m);
    assert_eq!(m.state(), SessionState::Authenticated);
    assert!(posted(&out).is_some(), "{out:?}");
}

#[test]
fn a_restore_called_after_an_end_asks_the_cookie_anyway() {
    // A fresh page: the shared record says a session ended before this restore was called.
    let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
    let call = m.refresh(at(30_000.0), RefreshKind::Restore);
    let lock = lock_of(&drain(&mut m)).expect("asks");
    m.lock_granted(at(30_000.0), lock, Some(shared_at(10_000.0, Some(EndReason::LoggedOut))));
    let (http, endpoint) = posted(&drain(&mut m)).expect("asks the cookie");
    assert_eq!(endpoint, Endpoint::Refresh);
    let token = Ok(TokenAnswer { token: "opaque-r".into(), expires_in_s: Some(300.0), dpop: false, session_s: None });
    m.post_done(at(30_010.0), http, HttpOutcome::Answer { status: 200, retry_after_ms: None, token });
    let out = drain(&mut m);
    assert_eq!(settled(&out, call), Some(&Ok(CallValue::Done)), "{out:?}");
    assert_eq!(m.access_token(), Some("opaque-r"));
}

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
fn activity_in_another_tab_moves_the_deadline_here() {
    let mut m = signed_in_for(idle_config(), 300.0, None);
    m.peer_message(at(5_000.0), Message::Active { epoch: m.epoch(), deadline: T0.wall_ms + 15_000.0 });
    assert_eq!(m.idle_deadline(), Some(T0.wall_ms + 15_000.0));
    // An older deadline, or another session's, does not move it back.
    m.peer_message(at(5_000.0), Message::Active { epoch: m.epoch(), deadline: T0.wall_ms + 12_000.0 });
    m.peer_message(at(5_000.0), Message::Active { epoch: Epoch(1), deadline: T0.wall_ms + 50_000.0 });
    assert_eq!(m.idle_deadline(), Some(T0.wall_ms + 15_000.0));
}
