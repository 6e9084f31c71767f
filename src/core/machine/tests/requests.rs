//! Wrapped requests: keepalive, DPoP nonces and schemes, step-up challenges.

use super::*;

#[test]
fn a_keepalive_request_is_never_replayed_after_a_401() {
    let mut m = Machine::new(config(), 5);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    let req = m.fetch(at(1.0), api(false, true));
    assert_eq!(sends(&drain(&mut m), req), 1);
    m.fetch_answered(at(2.0), req, 401, false, None);
    let out = drain(&mut m);
    assert!(out.contains(&Output::FinishFetch { req, end: FetchEnd::Response }), "{out:?}");
    assert!(posted(&out).is_none(), "no refresh for it");
    // The same request without keepalive: refreshed and replayed.
    let req = m.fetch(at(3.0), api(false, false));
    drain(&mut m);
    m.fetch_answered(at(4.0), req, 401, false, None);
    assert!(posted(&drain(&mut m)).is_some(), "a refresh first, then the replay");
}

#[test]
fn a_dpop_nonce_challenge_is_answered_once_per_request() {
    let mut m = Machine::new(Config { dpop: true, ..config() }, 5);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    let req = m.fetch(at(1.0), api(false, false));
    assert_eq!(sends(&drain(&mut m), req), 1);
    m.fetch_answered(at(2.0), req, 401, true, None);
    assert_eq!(sends(&drain(&mut m), req), 1, "sent again with the server's nonce");
    m.fetch_answered(at(3.0), req, 401, true, None);
    let out = drain(&mut m);
    assert_eq!(sends(&out, req), 0, "not a second time: {out:?}");
}

#[test]
fn only_a_401_or_403_to_a_request_the_manager_authorised_is_a_step_up_challenge() {
    let mut m = Machine::new(Config { step_up: true, ..config() }, 5);
    m.set_access_token(T0, "opaque-a".into(), Some(300.0)).expect("held");
    drain(&mut m);
    // A 200 carrying the header: the caller's answer.
    let (req, out) = answered(&mut m, 1.0, api(false, false), 200, Some(CHALLENGE));
    assert_eq!(step_ups(&out), 0, "{out:?}");
    assert!(out.contains(&Output::FinishFetch { req, end: FetchEnd::Response }));
    // A request with its own Authorization (untouched): its 401 is the caller's too.
    let (_, out) = answered(&mut m, 3.0, api(true, false), 401, Some(CHALLENGE));
    assert_eq!(step_ups(&out), 0, "{out:?}");
    assert!(posted(&out).is_none(), "and no refresh: {out:?}");
    // One the manager authorised: the challenge goes to the handler.
    let (_, out) = answered(&mut m, 5.0, api(false, false), 401, Some(CHALLENGE));
    assert_eq!(step_ups(&out), 1, "{out:?}");
    assert!(posted(&out).is_none(), "a challenge is no expired token: {out:?}");
}

#[test]
fn a_dpop_bound_token_is_sent_as_bearer_when_dpop_is_off() {
    let mut m = signed_in_with(config(), ok_token("opaque-a", 300.0, true, None));
    let req = m.fetch(at(1.0), api(false, false));
    let out = drain(&mut m);
    let authorize = out.iter().find_map(|o| match o {
        Output::Send { req: r, authorize } if *r == req => Some(*authorize),
        _ => None,
    });
    assert!(matches!(authorize, Some(Authorize::Token { dpop: false, .. })), "{out:?}");
}

#[test]
fn a_step_up_challenge_is_returned_without_a_refresh_when_there_is_no_handler() {
    let mut m = signed_in_for(session_config(), 300.0, None);
    let req = api_request(&mut m, T0);
    drain(&mut m);
    m.fetch_answered(T0, req, 401, false, Some(CHALLENGE));
    let out = drain(&mut m);
    assert!(posted(&out).is_none(), "no refresh");
    assert!(out.contains(&Output::FinishFetch { req, end: FetchEnd::Response }));
    assert!(matches!(events_but_state(&out)[..], [Event::StepUp(c)] if c.acr_values.as_deref() == Some("mfa")));
    // A plain expired-token 401 still refreshes.
    let req = api_request(&mut m, T0);
    drain(&mut m);
    m.fetch_answered(T0, req, 401, false, Some(r#"Bearer error="invalid_token""#));
    assert!(posted(&drain(&mut m)).is_some());
}

#[test]
fn concurrent_requests_share_one_handler_call_and_are_replayed_once() {
    let mut m = signed_in_for(Config { step_up: true, ..session_config() }, 300.0, None);
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
    let mut m = signed_in_for(Config { step_up: true, ..session_config() }, 300.0, None);
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
    m.post_done(at(20.0), http, session_answer("opaque-mfa", 300.0, None));
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
    let mut m = signed_in_for(Config { step_up: true, ..session_config() }, 300.0, None);
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
    let mut m = signed_in_for(Config { step_up: true, ..session_config() }, 30.0, None);
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
    m.post_done(at(120_010.0), http, session_answer("opaque-b", 300.0, None));
    let out = drain(&mut m);
    assert!(
        out.iter().any(|o| matches!(o, Output::Send { req: r, authorize: Authorize::Token { .. } } if *r == req)),
        "{out:?}"
    );
}
