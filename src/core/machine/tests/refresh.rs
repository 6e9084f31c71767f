//! Refresh runs and their answers: the jitter, slept and timely answers, backoff and
//! `Retry-After`, failures and session ends, the loading state, offline and online.

use super::*;

#[test]
fn offline_and_activity_wake_ups() {
    let mut m = Machine::new(Config { idle: Some((10_000.0, 3_000.0)), ..config() }, 5);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    m.wake(at(1.0), Wake::Offline);
    assert!(m.offline(), "the browser said offline");
    assert_eq!(m.idle_deadline(), Some(T0.wall_ms + 10_000.0));
    m.wake(at(5_000.0), Wake::Activity);
    assert_eq!(m.idle_deadline(), Some(T0.wall_ms + 15_000.0), "activity moves the idle deadline");
}

#[test]
fn the_jitter_spreads_refreshes_over_the_window() {
    // 40 tabs with one 300 s token: their refresh points cover the jitter window (the margin
    // of 60 s plus up to 20 % of the lifetime before it), not one instant.
    let delays: Vec<f64> = (1..=40u64)
        .map(|seed| {
            let mut m = Machine::new(config(), seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
            m.poll_timeout(T0).expect("scheduled")
        })
        .collect();
    let (lo, hi) = delays.iter().fold((f64::MAX, f64::MIN), |(l, h), d| (l.min(*d), h.max(*d)));
    assert!(delays.iter().all(|d| (228_000.0..=240_000.0).contains(d)), "{delays:?}");
    assert!(lo < 230_500.0 && hi > 237_500.0, "spread {lo}..{hi}");
    let mut distinct = delays.clone();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    assert!(distinct.len() >= 35, "{} distinct points of 40", distinct.len());
}

#[test]
fn the_jitter_is_reproducible_from_the_seed() {
    // The simulator replays a failing schedule from its seed: the same seed must give the same
    // refresh points, here and in a later version of this generator.
    // Seeds with high bits set: with small ones the generator's shifts move no set bit onto
    // another, and `^=` and `|=` would agree.
    let points: Vec<f64> = [0x9E37_79B9_7F4A_7C15u64, 0xD1B5_4A32_D192_ED03, 0xFFFF_FFFF_0000_0001]
        .into_iter()
        .map(|seed| {
            let mut m = Machine::new(config(), seed);
            m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
            m.poll_timeout(T0).expect("scheduled")
        })
        .collect();
    assert_eq!(points, vec![239_367.0, 239_936.0, 234_095.0]);
}

#[test]
fn a_failing_refresh_gives_up_after_its_attempts() {
    let mut m = Machine::new(config(), 5);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    let call = m.refresh(at(1.0), RefreshKind::Explicit);
    let mut now = 1.0;
    let mut posts = 0;
    let mut result = None;
    for _ in 0..20 {
        let out = drain(&mut m);
        if let Some(r) = settled(&out, call) {
            result = Some(r.clone());
            break;
        }
        if let Some((http, _)) = posted(&out) {
            posts += 1;
            m.post_done(at(now), http, HttpOutcome::Answer { status: 503, retry_after_ms: None, token: Err("down") });
            continue;
        }
        now += m.poll_timeout(at(now)).unwrap_or(1_000.0).max(1.0);
        m.handle_timeout(at(now));
    }
    let result = result.expect("settled");
    assert!(matches!(&result, Err((e, Some(503))) if e.code == ErrorCode::RefreshFailed), "{result:?}");
    assert_eq!(posts, 4, "the first attempt and three retries");
}

#[test]
fn an_answer_to_another_post_is_ignored() {
    let mut m = Machine::new(config(), 5);
    let call = m.login(T0);
    let (http, _) = posted(&drain(&mut m)).expect("posts");
    let token = Ok(TokenAnswer { token: "opaque-a".into(), expires_in_s: Some(300.0), dpop: false, session_s: None });
    let answer = HttpOutcome::Answer { status: 200, retry_after_ms: None, token };
    m.post_done(at(1.0), HttpId(http.0 + 7), answer.clone());
    assert!(settled(&drain(&mut m), call).is_none(), "not this POST's answer");
    m.post_done(at(2.0), http, answer);
    assert_eq!(settled(&drain(&mut m), call), Some(&Ok(CallValue::Done)));
}

#[test]
fn coming_back_online_retries_at_once_and_counts_as_an_attempt() {
    let mut m = Machine::new(config(), 5);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    let call = m.refresh(at(1.0), RefreshKind::Explicit);
    let mut posts = 0;
    let mut result = None;
    for i in 0..20 {
        let now = at(10.0 + f64::from(i));
        let out = drain(&mut m);
        if let Some(r) = settled(&out, call) {
            result = Some(r.clone());
            break;
        }
        if let Some((http, _)) = posted(&out) {
            posts += 1;
            m.post_done(now, http, HttpOutcome::Answer { status: 503, retry_after_ms: None, token: Err("down") });
        } else {
            m.wake(now, Wake::Online);
        }
    }
    assert!(matches!(result, Some(Err((ref e, Some(503)))) if e.code == ErrorCode::RefreshFailed), "{result:?}");
    assert_eq!(posts, 4, "online retries are attempts too");
}

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
fn a_network_error_never_ends_the_session_and_online_retries_at_once() {
    let mut m = signed_in_for(session_config(), 300.0, None);
    m.refresh(T0, RefreshKind::Explicit);
    let (http, _) = posted(&drain(&mut m)).expect("refresh");
    m.post_done(at(10.0), http, HttpOutcome::NetworkError);
    assert!(m.offline());
    assert_eq!(m.state(), SessionState::Authenticated);
    assert!(posted(&drain(&mut m)).is_none(), "backs off");
    m.wake(at(20.0), Wake::Online);
    let (http, _) = posted(&drain(&mut m)).expect("tries again on online");
    m.post_done(at(30.0), http, session_answer("opaque-b", 300.0, None));
    assert!(!m.offline());
    assert_eq!(m.access_token(), Some("opaque-b"));
}
