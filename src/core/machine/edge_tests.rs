//! Inputs and getters the simulator does not drive, one by one: the getters the page reads
//! (`expiresAt`, `refreshAt`), `setAccessToken`'s checks, an aborted login, wake-ups that are
//! not a refresh point, missing Web Locks, the jitter. Each test here was written to kill a
//! mutant the simulator missed (benches/MUTANTS.md).

use super::test_support::*;
use super::*;
use crate::core::session::tests::{at, T0};

fn logged_out(outputs: &[Output]) -> Vec<&Event> {
    outputs
        .iter()
        .filter_map(|o| if let Output::Event(e @ Event::LoggedOut { .. }) = o { Some(e) } else { None })
        .collect()
}

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
fn logout_scopes_are_named_for_the_query() {
    assert_eq!([Scope::Local.as_str(), Scope::Others.as_str(), Scope::Global.as_str()], ["local", "others", "global"]);
}

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

fn broadcasts(out: &[Output]) -> usize {
    out.iter()
        .filter(|o| matches!(o, Output::Broadcast(_) | Output::StoreShared(SharedEpoch { ended: Some(_), .. })))
        .count()
}

fn login_answer(m: &mut Machine, now: Instant, session_s: Option<f64>) -> Vec<Output> {
    let call = m.login(now);
    let mut out = drain(m);
    if let Some(lock) = out.iter().find_map(|o| if let Output::RequestLock(id) = o { Some(*id) } else { None }) {
        m.lock_granted(now, lock, None);
        out = drain(m);
    }
    let (http, endpoint) = posted(&out).expect("posts");
    assert_eq!(endpoint, Endpoint::Login(call));
    let token = Ok(TokenAnswer { token: "opaque-a".into(), expires_in_s: Some(300.0), dpop: false, session_s });
    m.post_done(now, http, HttpOutcome::Answer { status: 200, retry_after_ms: None, token });
    drain(m)
}

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
    let message = Message::Token {
        epoch,
        token: "opaque-b".into(),
        remaining_ms: Some(300_000.0),
        sent_wall_ms: T0.wall_ms + 10.0,
        dpop: false,
        session_end: None,
    };
    m.peer_message(at(10.0), message);
    let out = drain(&mut m);
    assert!(settled(&out, call).is_some(), "settled at once, not after the backoff: {out:?}");
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
    let message = Message::Token {
        epoch: crate::core::session::Epoch((T0.wall_ms as u64 + 10) * crate::core::session::EPOCH_PER_MS),
        token: "opaque-b".into(),
        remaining_ms: Some(300_000.0),
        sent_wall_ms: T0.wall_ms + 10.0,
        dpop: false,
        session_end: None,
    };
    m.peer_message(at(10.0), message);
    drain(&mut m);
    m.lock_granted(at(11.0), lock, None);
    let out = drain(&mut m);
    assert!(posted(&out).is_none(), "the newer session's cookie is not revoked: {out:?}");
    assert_eq!(settled(&out, call), Some(&Ok(CallValue::Overtaken)));
    assert_eq!(m.access_token(), Some("opaque-b"));
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

// ---- the shared record read under the lock (apply_shared) --------------------------------

fn shared_at(ms: f64, ended: Option<EndReason>) -> SharedEpoch {
    let epoch = crate::core::session::Epoch((T0.wall_ms + ms) as u64 * crate::core::session::EPOCH_PER_MS + 1023);
    SharedEpoch { epoch, ended }
}

/// A signed-in tab (login at T0) whose refresh is under the lock with `shared` read there.
fn refresh_reading(shared: SharedEpoch) -> (Machine, Vec<Output>) {
    let mut m = Machine::new(Config { cross_tab: true, ..config() }, 5);
    login_answer(&mut m, T0, None);
    m.refresh(at(20_000.0), RefreshKind::Explicit);
    let lock = lock_of(&drain(&mut m)).expect("asks");
    m.lock_granted(at(20_000.0), lock, Some(shared));
    let out = drain(&mut m);
    (m, out)
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

// ---- wrapped requests the simulator does not send (keepalive, DPoP nonces) --------------

fn api_start(keepalive: bool) -> FetchStart {
    FetchStart { url: "https://app.example/api".into(), has_authorization: false, keepalive, replayable: true }
}

fn sends(out: &[Output], req: ReqId) -> usize {
    out.iter().filter(|o| matches!(o, Output::Send { req: r, .. } if *r == req)).count()
}

#[test]
fn a_keepalive_request_is_never_replayed_after_a_401() {
    let mut m = Machine::new(config(), 5);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    let req = m.fetch(at(1.0), api_start(true));
    assert_eq!(sends(&drain(&mut m), req), 1);
    m.fetch_answered(at(2.0), req, 401, false, None);
    let out = drain(&mut m);
    assert!(out.contains(&Output::FinishFetch { req, end: FetchEnd::Response }), "{out:?}");
    assert!(posted(&out).is_none(), "no refresh for it");
    // The same request without keepalive: refreshed and replayed.
    let req = m.fetch(at(3.0), api_start(false));
    drain(&mut m);
    m.fetch_answered(at(4.0), req, 401, false, None);
    assert!(posted(&drain(&mut m)).is_some(), "a refresh first, then the replay");
}

#[test]
fn a_dpop_nonce_challenge_is_answered_once_per_request() {
    let mut m = Machine::new(Config { dpop: true, ..config() }, 5);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    let req = m.fetch(at(1.0), api_start(false));
    assert_eq!(sends(&drain(&mut m), req), 1);
    m.fetch_answered(at(2.0), req, 401, true, None);
    assert_eq!(sends(&drain(&mut m), req), 1, "sent again with the server's nonce");
    m.fetch_answered(at(3.0), req, 401, true, None);
    let out = drain(&mut m);
    assert_eq!(sends(&out, req), 0, "not a second time: {out:?}");
}
