//! The session's end (`refresh_expires_in`, its warning) and the idle timeout (its steps,
//! warnings, late checks and grace).

use super::*;

#[test]
fn activity_moves_the_idle_deadline_in_steps_of_a_tenth_of_the_timeout() {
    let mut m = Machine::new(Config { idle: Some((10_000.0, 3_000.0)), ..config() }, 5);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    m.activity(at(500.0));
    assert_eq!(m.idle_deadline(), Some(T0.wall_ms + 10_000.0), "moved by less than 1 s: unchanged");
    m.activity(at(2_000.0));
    assert_eq!(m.idle_deadline(), Some(T0.wall_ms + 12_000.0), "moved by 2 s (the step is 1 s)");
}

#[test]
fn a_second_login_brings_its_own_limits() {
    let mut m = Machine::new(config(), 5);
    login_answer(&mut m, T0, Some(100.0));
    assert_eq!(m.session_expires_at(), Some(T0.wall_ms + 100_000.0));
    // Signed in again (another account, say) with no session end: the old end is gone.
    login_answer(&mut m, at(1_000.0), None);
    assert_eq!(m.session_expires_at(), None);
}

#[test]
fn a_late_idle_check_gives_a_grace_that_a_refresh_waits_out_unless_the_clock_went_back() {
    let cfg = Config { idle: Some((10_000.0, 3_000.0)), ..config() };
    let late = |mono: f64, wall: f64| Instant::new(T0.mono_ms + mono, T0.wall_ms + wall);
    let mut m = Machine::new(cfg.clone(), 5);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    // The check comes 2 s late (a throttled timer): 250 ms of grace for other tabs' activity.
    m.handle_timeout(late(12_000.0, 12_000.0));
    drain(&mut m);
    assert_eq!(m.state(), SessionState::Authenticated, "in the grace");
    m.refresh(late(12_010.0, 12_010.0), RefreshKind::Explicit);
    assert!(posted(&drain(&mut m)).is_none(), "a refresh waits the grace out");
    m.handle_timeout(late(12_250.0, 12_250.0));
    assert_eq!(m.state(), SessionState::Ended(EndReason::Idle), "then the idle sign-out");
    // The same, but the wall clock went back before the refresh: the deadline has not passed,
    // so there is no grace to wait for.
    let mut m = Machine::new(cfg, 5);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    m.handle_timeout(late(12_000.0, 12_000.0));
    drain(&mut m);
    m.refresh(late(12_010.0, 5_000.0), RefreshKind::Explicit);
    assert!(posted(&drain(&mut m)).is_some(), "the refresh goes ahead");
}

#[test]
fn the_session_end_warning_comes_only_inside_its_window() {
    let mut m = Machine::new(Config { session_warning_ms: 5_000.0, ..config() }, 5);
    login_answer(&mut m, T0, Some(100.0));
    m.handle_timeout(at(10_000.0));
    let warned = |out: &[Output]| out.iter().any(|o| matches!(o, Output::Event(Event::SessionExpiring { .. })));
    assert!(!warned(&drain(&mut m)), "90 s before the end: no warning yet");
    m.handle_timeout(at(95_000.0));
    assert!(warned(&drain(&mut m)), "5 s before: the warning");
    // An end told as NaN (a broken peer) changes nothing.
    let epoch = m.epoch();
    let message = Message::Token {
        epoch,
        token: "opaque-a".into(),
        remaining_ms: Some(300_000.0),
        sent_wall_ms: T0.wall_ms + 96_000.0,
        dpop: false,
        session_end: Some(f64::NAN),
    };
    m.peer_message(at(96_000.0), message);
    assert_eq!(m.session_expires_at(), Some(T0.wall_ms + 100_000.0));
}

#[test]
fn an_idle_check_exactly_one_second_late_signs_out_without_grace() {
    let mut m = Machine::new(Config { idle: Some((10_000.0, 3_000.0)), ..config() }, 5);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    m.handle_timeout(at(11_000.0));
    assert_eq!(m.state(), SessionState::Ended(EndReason::Idle), "1 s late is not late: no grace");
}

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
fn the_session_end_warns_once_then_ends_with_no_refresh() {
    // Token 300 s, session 40 s, warning 5 s before.
    let mut m = signed_in_for(session_config(), 300.0, Some(40.0));
    assert_eq!(m.session_expires_at(), Some(T0.wall_ms + 40_000.0));
    assert_eq!(m.poll_timeout(T0), Some(35_000.0), "the warning first");
    m.handle_timeout(at(35_000.0));
    let out = drain(&mut m);
    assert_eq!(events_but_state(&out), vec![&Event::SessionExpiring { expires_at: T0.wall_ms + 40_000.0 }]);
    // A refresh whose answer keeps the same end (the absolute model): no second warning.
    m.refresh(at(35_000.0), RefreshKind::Explicit);
    let (http, _) = posted(&drain(&mut m)).expect("refresh");
    m.post_done(at(35_100.0), http, session_answer("opaque-b", 300.0, Some(4.9)));
    let out = drain(&mut m);
    assert!(!events_but_state(&out).iter().any(|e| matches!(e, Event::SessionExpiring { .. })), "once: {out:?}");
    let end = m.session_expires_at().expect("end");
    assert!((end - (T0.wall_ms + 40_000.0)).abs() < 1.0, "{end}");
    let t = m.poll_timeout(at(35_100.0)).expect("the end");
    assert!((t - 40_000.0).abs() <= 1.0, "{t}");
    m.handle_timeout(at(40_001.0));
    let out = drain(&mut m);
    assert_eq!(events_but_state(&out), vec![&Event::SessionExpired { reason: "lifetime", from_other_tab: false }]);
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
    let mut m = signed_in_for(session_config(), 60.0, Some(40.0));
    // Woken after 2 minutes: the token is dead and the session over; no refresh is tried.
    m.wake(at(120_000.0), Wake::Visible);
    let out = drain(&mut m);
    assert!(posted(&out).is_none(), "{out:?}");
    assert_eq!(events_but_state(&out), vec![&Event::SessionExpired { reason: "lifetime", from_other_tab: false }]);
}

#[test]
fn a_sliding_end_warns_again_only_when_it_moved_out_of_the_warning() {
    let mut m = signed_in_for(session_config(), 60.0, Some(8.0));
    m.handle_timeout(at(3_000.0));
    assert_eq!(events_but_state(&drain(&mut m)).len(), 1, "warned");
    // An explicit refresh slides the end to 3 s + 20 s.
    m.refresh(at(3_000.0), RefreshKind::Explicit);
    let (http, _) = posted(&drain(&mut m)).expect("refresh");
    m.post_done(at(3_000.0), http, session_answer("opaque-b", 60.0, Some(20.0)));
    drain(&mut m);
    assert_eq!(m.poll_timeout(at(3_000.0)), Some(18_000.0), "a new warning at the new end minus 5 s");
    m.handle_timeout(at(18_000.0));
    assert_eq!(events_but_state(&drain(&mut m)), vec![&Event::SessionExpiring { expires_at: T0.wall_ms + 23_000.0 }]);
}

/// An absolute end told again by the next refresh moves by up to about a second (the answer's
/// `refresh_expires_in` is whole seconds, read when the answer arrives, so a slow answer moves
/// it later): that is the same end, not a new one to warn of again.
#[test]
fn an_end_that_moves_later_by_less_than_two_seconds_is_not_warned_of_again() {
    let mut m = signed_in_for(session_config(), 60.0, Some(8.0));
    m.handle_timeout(at(3_000.0));
    assert_eq!(events_but_state(&drain(&mut m)).len(), 1, "warned");
    // The next refresh's answer puts the end 900 ms later (read late, rounded up).
    m.refresh(at(3_000.0), RefreshKind::Explicit);
    let (http, _) = posted(&drain(&mut m)).expect("refresh");
    m.post_done(at(3_000.0), http, session_answer("opaque-b", 60.0, Some(5.9)));
    drain(&mut m);
    m.handle_timeout(at(3_900.0));
    m.handle_timeout(at(8_000.0));
    assert!(
        events_but_state(&drain(&mut m)).iter().all(|e| !matches!(e, Event::SessionExpiring { .. })),
        "one warning per end"
    );
}

/// Exactly 2 s later is still the same end (the tolerance is inclusive).
#[test]
fn an_end_exactly_two_seconds_later_is_the_same_end() {
    let mut m = signed_in_for(session_config(), 60.0, Some(8.0));
    m.handle_timeout(at(3_000.0));
    assert_eq!(events_but_state(&drain(&mut m)).len(), 1, "warned");
    m.refresh(at(3_000.0), RefreshKind::Explicit);
    let (http, _) = posted(&drain(&mut m)).expect("refresh");
    m.post_done(at(3_000.0), http, session_answer("opaque-b", 60.0, Some(7.0)));
    drain(&mut m);
    m.handle_timeout(at(5_000.0));
    assert!(
        events_but_state(&drain(&mut m)).iter().all(|e| !matches!(e, Event::SessionExpiring { .. })),
        "not warned again"
    );
}

/// A new end whose warning time is exactly now is inside the warning, not out of it: the
/// warning already given stands (no second one).
#[test]
fn a_new_end_at_the_warnings_edge_is_not_warned_of_again() {
    let mut m = signed_in_for(session_config(), 60.0, Some(8.0));
    m.handle_timeout(at(3_000.0));
    assert_eq!(events_but_state(&drain(&mut m)).len(), 1, "warned");
    m.refresh(at(6_000.0), RefreshKind::Explicit);
    let (http, _) = posted(&drain(&mut m)).expect("refresh");
    m.post_done(at(6_000.0), http, session_answer("opaque-b", 60.0, Some(5.0)));
    drain(&mut m);
    m.handle_timeout(at(6_000.0));
    assert!(
        events_but_state(&drain(&mut m)).iter().all(|e| !matches!(e, Event::SessionExpiring { .. })),
        "not warned again"
    );
}

#[test]
fn idle_warns_activity_moves_the_deadline_and_the_deadline_signs_out() {
    let mut m = signed_in_for(idle_config(), 300.0, None);
    assert_eq!(m.idle_deadline(), Some(T0.wall_ms + 10_000.0));
    assert_eq!(m.poll_timeout(T0), Some(7_000.0));
    m.handle_timeout(at(7_000.0));
    assert_eq!(events_but_state(&drain(&mut m)), vec![&Event::IdleWarning { deadline: T0.wall_ms + 10_000.0 }]);
    // Activity moves it (by more than a step) and cancels the warning.
    m.activity(at(8_000.0));
    assert_eq!(m.idle_deadline(), Some(T0.wall_ms + 18_000.0));
    // Activity within a step of the last move changes nothing (no message, no new snapshot).
    m.activity(at(8_500.0));
    assert_eq!(m.idle_deadline(), Some(T0.wall_ms + 18_000.0));
    drain(&mut m);
    m.handle_timeout(at(15_000.0));
    assert_eq!(events_but_state(&drain(&mut m)).len(), 1, "warned again");
    m.handle_timeout(at(18_000.0));
    let out = drain(&mut m);
    assert_eq!(m.state(), SessionState::Ended(EndReason::Idle));
    assert_eq!(m.state().as_str(), "loggedOut");
    let (http, endpoint) = posted(&out).expect("signs out at the server");
    assert_eq!(endpoint, Endpoint::Logout(Scope::Local));
    m.post_done(at(18_010.0), http, status_only(204));
    let out = drain(&mut m);
    assert_eq!(
        events_but_state(&out),
        vec![&Event::LoggedOut { server_confirmed: Some(true), from_other_tab: false, idle: true }]
    );
    assert_eq!(m.idle_deadline(), None);
}

#[test]
fn idle_warned_sessions_are_not_refreshed_by_the_timer() {
    // Token 12 s: the proactive refresh (from 6 s on) falls in the warning (7 s .. 10 s).
    let mut cfg = idle_config();
    cfg.refresh_margin_ms = 5_000.0;
    let mut m = signed_in_for(cfg, 12.0, None);
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
    let mut m = signed_in_for(idle_config(), 300.0, None);
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
    let mut m = signed_in_for(idle_config(), 300.0, None);
    m.wake(at(60_000.0), Wake::PageShow);
    // Another tab's activity, queued while this page was frozen, arrives now.
    m.peer_message(at(60_010.0), Message::Active { epoch: m.epoch(), deadline: T0.wall_ms + 65_000.0 });
    let t = m.poll_timeout(at(60_010.0)).expect("timer");
    m.handle_timeout(at(t));
    assert_eq!(m.state(), SessionState::Authenticated);
    assert_eq!(m.idle_deadline(), Some(T0.wall_ms + 65_000.0));
}

#[test]
fn a_zero_refresh_expires_in_means_no_end() {
    let m = signed_in_for(session_config(), 300.0, Some(0.0));
    assert_eq!((m.state(), m.session_expires_at()), (SessionState::Authenticated, None));
}
