//! The Rust API (`wasm_token_manager::TokenManager`) in the browser, against the mock server:
//! the same manager as the JS class, driven from Rust. Shares the suite's helpers.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen_test::*;
use wasm_token_manager::{Error, ErrorCode, Event, Options, Scope, Snapshot, State, TokenManager as RustManager};

use super::{control, counter, fault, json_of, reset, sleep, url, MOCK};

fn rust_options() -> Options {
    Options::new(url("/auth/refresh"))
        .login_url(url("/auth/login"))
        .logout_url(url("/auth/logout"))
        .allowed_origins([MOCK])
}

fn rust_manager(options: Options) -> RustManager {
    RustManager::new(options).unwrap_or_else(|e| panic!("TokenManager::new: {e}"))
}

const DEMO: [(&str, &str); 2] = [("username", "demo"), ("password", "demo")];

async fn get(auth: &RustManager, path: &str) -> web_sys::Response {
    auth.fetch_with(&url(path), &web_sys::RequestInit::new()).await.expect("fetch")
}

#[wasm_bindgen_test]
async fn rust_api_options_follow_the_js_rules() {
    let code = |o: Options| RustManager::new(o).err().and_then(|e| e.code());
    assert_eq!(
        code(Options::new(url("/auth/refresh")).login_url("/l")),
        Some(ErrorCode::InvalidOptions),
        "loginUrl without logoutUrl"
    );
    assert_eq!(code(rust_options().refresh_margin_seconds(-1.0)), Some(ErrorCode::InvalidOptions));
    assert_eq!(code(rust_options().allowed_origins(["not an origin"])), Some(ErrorCode::InvalidOptions));
    assert_eq!(code(rust_options().refresh_headers([("Authorization", "x")])), Some(ErrorCode::InvalidOptions));
    assert!(RustManager::new(Options::new("/r").login_url("/l").no_logout_url()).is_ok(), "logoutUrl: null");
    // The last setter of an option wins.
    let e = RustManager::new(rust_options().refresh_margin_seconds(-1.0).refresh_margin_seconds(5.0));
    assert!(e.is_ok());
}

#[wasm_bindgen_test]
async fn rust_api_login_fetch_logout() {
    reset(300).await;
    let auth = rust_manager(rust_options());
    assert_eq!(auth.snapshot().state, State::Anonymous);
    assert_eq!(auth.get_access_token().await.expect("resolves"), None, "nobody signed in");
    // A wrong password: typed, with the status.
    let e = auth.login([("username", "demo"), ("password", "nope")]).await.expect_err("bad password");
    assert_eq!((e.code(), e.status()), (Some(ErrorCode::LoginFailed), Some(401)));
    auth.login(DEMO).await.expect("login");
    let s = auth.snapshot();
    assert!(s.is_authenticated && s.state == State::Authenticated);
    assert!(s.claims.as_deref().is_some_and(|c| c.contains(r#""sub":"demo""#)), "claims {:?}", s.claims);
    let res = get(&auth, "/api/me").await;
    assert_eq!(res.status(), 200);
    assert_eq!(json_of(&res).await["sub"], "demo");
    let token = auth.get_access_token().await.expect("token").expect("held");
    assert_eq!(auth.access_token().as_deref(), Some(token.as_str()));
    assert_eq!(counter("refreshRequests").await, 0, "a fresh token needs no refresh");
    assert!(auth.logout(Scope::Local).await.expect("never fails"), "the server confirmed");
    assert_eq!(auth.snapshot().state, State::LoggedOut);
    assert_eq!(auth.access_token(), None);
    assert_eq!(get(&auth, "/api/me").await.status(), 401, "no token after logout");
    // A fetch the browser itself fails: Error::Fetch, not a manager code.
    let e = auth.fetch_with("http://127.0.0.1:9/", &web_sys::RequestInit::new()).await.expect_err("refused");
    assert!(matches!(e, Error::Fetch { .. }) && e.code().is_none(), "{e:?}");
}

#[wasm_bindgen_test]
async fn rust_api_expired_token_one_refresh_for_concurrent_calls() {
    reset(1).await;
    let auth = rust_manager(rust_options().auto_refresh(false));
    auth.login(DEMO).await.expect("login");
    control("/__test/config", r#"{"accessTtl":60}"#).await;
    sleep(1_300).await;
    let calls: Vec<_> = (0..10).map(|_| auth.fetch_with(&url("/api/ping"), &web_sys::RequestInit::new())).collect();
    let mut statuses = Vec::new();
    for c in calls {
        statuses.push(c.await.expect("fetch").status());
    }
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(counter("refreshRequests").await, 1, "one refresh for ten calls");
    assert_eq!(counter("apiUnauthorized").await, 0, "no 401 reached the server, let alone the app");
    // A 401 on a token the server revoked: refreshed once and retried once.
    fault(r#"{"path":"/api/me","action":"status","status":401,"times":1}"#).await;
    assert_eq!(get(&auth, "/api/me").await.status(), 200);
    assert_eq!(counter("refreshRequests").await, 2);
}

#[wasm_bindgen_test]
async fn rust_api_snapshots_change_with_the_session_not_with_token_reads() {
    reset(300).await;
    let auth = rust_manager(rust_options());
    let seen: Rc<RefCell<Vec<Snapshot>>> = Rc::default();
    let s = seen.clone();
    let sub = auth.subscribe(move |snap| s.borrow_mut().push(snap.clone()));
    assert!(seen.borrow().is_empty(), "not called at once");
    auth.login(DEMO).await.expect("login");
    let after_login = seen.borrow().len();
    assert!(after_login >= 1 && seen.borrow().last().is_some_and(|s| s.is_authenticated), "{:?}", seen.borrow());
    for _ in 0..5 {
        auth.get_access_token().await.expect("token");
        assert_eq!(get(&auth, "/api/me").await.status(), 200);
        let _ = auth.snapshot();
    }
    assert_eq!(seen.borrow().len(), after_login, "token reads and requests notify nobody");
    auth.refresh().await.expect("refresh");
    assert!(seen.borrow().len() > after_login, "a new token is a new snapshot (its expiry)");
    drop(sub);
    let before = seen.borrow().len();
    auth.logout(Scope::Local).await.expect("logout");
    assert_eq!(seen.borrow().len(), before, "a dropped subscription hears nothing");
}

#[wasm_bindgen_test]
async fn rust_api_typed_events_and_two_tabs() {
    reset(300).await;
    let a = rust_manager(rust_options());
    let b = rust_manager(rust_options());
    let events: Rc<RefCell<Vec<Event>>> = Rc::default();
    let e = events.clone();
    let _sub = b.on_event(move |ev| e.borrow_mut().push(ev.clone()));
    a.login(DEMO).await.expect("login");
    sleep(300).await;
    assert!(b.snapshot().is_authenticated, "the other tab took the token");
    assert!(events.borrow().contains(&Event::LoggedIn { from_other_tab: true }), "{:?}", events.borrow());
    assert_eq!(b.access_token(), a.access_token(), "one token for both tabs");
    // Both refresh at once: one refresh request.
    let before = counter("refreshRequests").await;
    let (ra, rb) = (a.refresh(), b.refresh());
    ra.await.expect("a");
    rb.await.expect("b");
    assert_eq!(counter("refreshRequests").await - before, 1, "one refresh for two tabs");
    // Sign-out in one tab ends the other.
    a.logout(Scope::Local).await.expect("logout");
    sleep(300).await;
    assert_eq!(b.snapshot().state, State::LoggedOut);
    assert!(
        events.borrow().iter().any(|ev| matches!(ev, Event::LoggedOut { from_other_tab: true, .. })),
        "{:?}",
        events.borrow()
    );
    assert!(events.borrow().iter().any(|ev| matches!(ev, Event::StateChanged { state: State::LoggedOut, .. })));
}

#[wasm_bindgen_test]
async fn rust_api_dropping_the_last_clone_disposes() {
    reset(300).await;
    // Two "tabs": what `other` does, a live `a` hears (a login in another tab).
    let heard = |m: &RustManager| {
        let n = Rc::new(std::cell::Cell::new(0u32));
        let c = n.clone();
        m.on_event(move |_| c.set(c.get() + 1)).forget();
        n
    };
    let a = rust_manager(rust_options());
    let clone = a.clone();
    assert_eq!(clone, a);
    let heard_a = heard(&a);
    // A listener that captured a clone of the manager: dropping its Subscription lets go of
    // that clone at once (not when the JS garbage collector gets to it).
    let captured = a.clone();
    let sub = a.on_event(move |_| drop(captured.snapshot()));
    drop(sub);
    drop(a);
    let other = rust_manager(rust_options());
    other.login(DEMO).await.expect("login");
    sleep(300).await;
    assert!(heard_a.get() > 0, "a clone keeps the manager: it heard the other tab's login");
    let before = heard_a.get();
    drop(clone); // the last one: disposed
    other.logout(Scope::Local).await.expect("logout");
    other.login(DEMO).await.expect("login");
    sleep(300).await;
    assert_eq!(heard_a.get(), before, "a disposed manager hears nothing");
    // An explicit dispose: calls fail with `aborted`.
    other.dispose();
    let e = other.refresh().await.expect_err("disposed");
    assert_eq!(e.code(), Some(ErrorCode::Aborted), "{e}");
}
