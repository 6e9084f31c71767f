//! The adapters that need no framework app to test (features `leptos` and `gloo-net`), in
//! Chromium against the mock server: a gloo-net request and a Leptos server-function request
//! sent through the manager (the token, one refresh and one retry after a 401), and the Leptos
//! snapshot signal. Run by `make test` with `--features leptos,gloo-net`. The Leptos, Yew and
//! Dioxus apps themselves: examples/, driven by tests/e2e/rust-apps.mjs.

#![cfg(all(target_arch = "wasm32", feature = "leptos", feature = "gloo-net"))]

use leptos::prelude::*;
use serde_json::Value;
use server_fn::client::Client;
use server_fn::request::browser::BrowserRequest;
use server_fn::request::ClientReq;
use server_fn::response::ClientRes;
use server_fn::ServerFnError;
use wasm_bindgen_test::*;
use wasm_token_manager::adapters::gloo_net::SendWithToken;
use wasm_token_manager::adapters::leptos::{provide, use_auth_snapshot, AuthClient};
use wasm_token_manager::{Options, State, TokenManager};

wasm_bindgen_test_configure!(run_in_browser);

const MOCK: &str = match option_env!("MOCK_SERVER") {
    Some(s) => s,
    None => "http://127.0.0.1:18787",
};

fn url(path: &str) -> String {
    format!("{MOCK}{path}")
}

async fn control(path: &str, body: &str) {
    let res =
        gloo_net::http::Request::post(&url(path)).header("Content-Type", "application/json").body(body).expect("body");
    let res = res.send().await.expect("control");
    assert!(res.ok(), "{path} -> {}", res.status());
}

async fn counters() -> Value {
    let res = gloo_net::http::Request::get(&url("/__test/counters")).send().await.expect("counters");
    serde_json::from_str(&res.text().await.expect("text")).expect("json")
}

async fn signed_in() -> TokenManager {
    control("/__test/reset", "{}").await;
    let auth = TokenManager::new(
        Options::new(url("/auth/refresh"))
            .login_url(url("/auth/login"))
            .logout_url(url("/auth/logout"))
            .allowed_origins([MOCK]),
    )
    .expect("options");
    auth.login([("username", "demo"), ("password", "demo")]).await.expect("login");
    auth
}

#[wasm_bindgen_test]
async fn gloo_net_requests_carry_the_token_and_are_retried_once_after_a_401() {
    let auth = signed_in().await;
    let res =
        gloo_net::http::Request::get(&url("/api/me")).build().expect("request").send_with(&auth).await.expect("sent");
    assert_eq!(res.status(), 200);
    let me: Value = serde_json::from_str(&res.text().await.expect("text")).expect("json");
    assert_eq!(me["sub"], "demo");
    // A POST with a body, answered 401 once: one refresh, the body replayed.
    control("/__test/fault", r#"{"path":"/api/echo","action":"status","status":401}"#).await;
    let res = gloo_net::http::Request::post(&url("/api/echo"))
        .body("replayed")
        .expect("body")
        .send_with(&auth)
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.expect("text"), "replayed", "the body went again with the retry");
    assert_eq!(counters().await["refreshRequests"], 1);
    auth.dispose();
}

#[wasm_bindgen_test]
async fn leptos_server_functions_carry_the_token_and_the_snapshot_is_a_signal() {
    let auth = signed_in().await;
    let owner = Owner::new();
    let snapshot = owner.with(|| {
        provide(auth.clone());
        use_auth_snapshot()
    });
    assert_eq!(snapshot.get_untracked().state, State::Authenticated);
    control("/__test/fault", r#"{"path":"/api/me","action":"status","status":401}"#).await;
    let req: BrowserRequest = <BrowserRequest as ClientReq<ServerFnError>>::try_new_get(
        &url("/api/me"),
        "application/json",
        "application/json",
        "",
    )
    .expect("request");
    let res = <AuthClient as Client<ServerFnError>>::send(req).await.expect("sent");
    assert_eq!(ClientRes::<ServerFnError>::status(&res), 200, "refreshed and retried once");
    let body = ClientRes::<ServerFnError>::try_into_string(res).await.expect("body");
    assert!(body.contains(r#""sub":"demo""#), "{body}");
    assert_eq!(counters().await["refreshRequests"], 1);
    // The signal follows the session.
    auth.logout(wasm_token_manager::Scope::Local).await.expect("logout");
    assert_eq!(snapshot.get_untracked().state, State::LoggedOut);
    drop(owner);
    auth.dispose();
}
