//! The mock server contract (DESIGN.md), over real HTTP on an ephemeral loopback port.

use mock_server::Config;
use reqwest::{header, Client, Response, StatusCode};
use serde_json::{json, Value};

const ORIGIN: &str = "http://127.0.0.1:9999";
const CSRF: (&str, &str) = ("X-Requested-With", "XMLHttpRequest");

struct Server {
    base: String,
    http: Client,
}

async fn start(cfg: Config) -> Server {
    let addr = mock_server::spawn(cfg).await.expect("spawn");
    Server { base: format!("http://{addr}"), http: Client::new() }
}

async fn start_default() -> Server {
    start(Config { allow_origins: vec![ORIGIN.into()], test_controls: true, ..Config::default() }).await
}

fn cookie_of(res: &Response) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("wtm_refresh=").map(|r| r.split(';').next().unwrap_or("").to_owned()))
}

/// Header and claims of a token as JSON values (what `decodeJwt` shows in JS).
fn view(token: &str) -> (Value, Value) {
    let j = wasm_token_manager::core::token::json_segments(token).expect("segments");
    (serde_json::from_str(&j.header).expect("header"), serde_json::from_str(&j.payload).expect("payload"))
}

fn set_cookie_header(res: &Response) -> String {
    res.headers().get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
}

impl Server {
    fn url(&self, p: &str) -> String {
        format!("{}{p}", self.base)
    }

    async fn login(&self) -> (String, String) {
        let res = self
            .http
            .post(self.url("/auth/login"))
            .json(&json!({"username":"demo","password":"demo"}))
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), StatusCode::OK);
        let cookie = cookie_of(&res).expect("cookie");
        let body: Value = res.json().await.expect("json");
        (body["access_token"].as_str().expect("token").to_owned(), cookie)
    }

    async fn refresh(&self, cookie: &str) -> Response {
        self.http
            .post(self.url("/auth/refresh"))
            .header(CSRF.0, CSRF.1)
            .header(header::COOKIE, format!("wtm_refresh={cookie}"))
            .send()
            .await
            .expect("refresh")
    }

    async fn me(&self, token: &str) -> Response {
        self.http.get(self.url("/api/me")).bearer_auth(token).send().await.expect("me")
    }

    async fn counters(&self) -> Value {
        self.http.get(self.url("/__test/counters")).send().await.expect("counters").json().await.expect("json")
    }

    async fn control(&self, path: &str, body: Value) {
        let res = self.http.post(self.url(path)).json(&body).send().await.expect("control");
        assert!(res.status().is_success(), "{path}: {}", res.status());
    }
}

#[tokio::test]
async fn login_issues_signed_token_and_hardened_cookie() {
    let s = start_default().await;
    let res = s
        .http
        .post(s.url("/auth/login"))
        .json(&json!({"username":"demo","password":"demo"}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    let sc = set_cookie_header(&res);
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/auth", "Max-Age=15552000"] {
        assert!(sc.contains(attr), "{attr} missing from {sc}");
    }
    assert!(!sc.contains("Secure"), "not Secure over plain http (WebKit would drop it): {sc}");
    let https = s
        .http
        .post(s.url("/auth/login"))
        .header("x-forwarded-proto", "https")
        .json(&json!({"username":"demo","password":"demo"}))
        .send()
        .await
        .expect("login");
    assert!(set_cookie_header(&https).contains("; Secure"), "Secure behind https");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    let token = body["access_token"].as_str().expect("token");
    let d = wasm_token_manager::core::token::decode(token).expect("decodes");
    assert_eq!(d.alg, "EdDSA");
    let (header, claims) = view(token);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(claims["sub"], "demo");
    assert!(claims["jti"].is_string());
    assert_eq!(d.times.exp.zip(d.times.iat).map(|(e, i)| e - i), Some(300.0));
    assert_eq!(s.me(token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn login_rejections() {
    let s = start_default().await;
    let bad = s
        .http
        .post(s.url("/auth/login"))
        .json(&json!({"username":"demo","password":"nope"}))
        .send()
        .await
        .expect("send");
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(bad.json::<Value>().await.expect("json")["error"], "invalid_credentials");
    let malformed = s.http.post(s.url("/auth/login")).body("{not json").send().await.expect("send");
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let c = s.counters().await;
    assert_eq!((c["logins"].as_u64(), c["loginFailures"].as_u64()), (Some(0), Some(1)));
    // Successful sign-ins are counted one by one.
    s.login().await;
    s.login().await;
    let c = s.counters().await;
    assert_eq!((c["logins"].as_u64(), c["loginFailures"].as_u64()), (Some(2), Some(1)));
}

#[tokio::test]
async fn custom_users() {
    let s = start(Config { users: vec![("alice".into(), "pw".into())], ..Config::default() }).await;
    let ok = s
        .http
        .post(s.url("/auth/login"))
        .json(&json!({"username":"alice","password":"pw"}))
        .send()
        .await
        .expect("send");
    assert_eq!(ok.status(), StatusCode::OK);
    let demo = s
        .http
        .post(s.url("/auth/login"))
        .json(&json!({"username":"demo","password":"demo"}))
        .send()
        .await
        .expect("send");
    assert_eq!(demo.status(), StatusCode::UNAUTHORIZED, "demo:demo is only the default");
}

#[tokio::test]
async fn two_users_each_token_names_its_user_also_after_refresh() {
    let users = vec![("alice".into(), "a".into()), ("bob".into(), "b".into())];
    let s = start(Config { users, test_controls: true, ..Config::default() }).await;
    for (user, pw) in [("alice", "a"), ("bob", "b")] {
        let res = s
            .http
            .post(s.url("/auth/login"))
            .json(&json!({"username":user,"password":pw}))
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), StatusCode::OK);
        let cookie = cookie_of(&res).expect("cookie");
        let body: Value = res.json().await.expect("json");
        assert_eq!(view(body["access_token"].as_str().expect("token")).1["sub"], user);
        let refreshed: Value = s.refresh(&cookie).await.json().await.expect("json");
        assert_eq!(view(refreshed["access_token"].as_str().expect("token")).1["sub"], user, "refresh keeps the user");
    }
}

#[tokio::test]
async fn refresh_rotates_and_never_extends_family() {
    let s = start_default().await;
    let (_, c0) = s.login().await;
    let r1 = s.refresh(&c0).await;
    assert_eq!(r1.status(), StatusCode::OK);
    assert_eq!(r1.headers()[header::CACHE_CONTROL], "no-store");
    let c1 = cookie_of(&r1).expect("rotated cookie");
    assert_ne!(c0, c1);
    let max_age: i64 = set_cookie_header(&r1)
        .split("Max-Age=")
        .nth(1)
        .and_then(|v| v.split(';').next())
        .and_then(|v| v.parse().ok())
        .expect("max-age");
    assert!(max_age <= 15_552_000, "family lifetime never grows: {max_age}");
    let token: Value = r1.json().await.expect("json");
    assert_eq!(s.me(token["access_token"].as_str().expect("token")).await.status(), StatusCode::OK);
    assert_eq!(s.counters().await["refreshes"], 1);
}

#[tokio::test]
async fn refresh_without_cookie_is_invalid_grant_and_clears_cookie() {
    let s = start_default().await;
    let res = s.http.post(s.url("/auth/refresh")).header(CSRF.0, CSRF.1).send().await.expect("send");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie_header(&res).contains("Max-Age=0"));
    assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_grant");
    let unknown = s.refresh("not-a-cookie").await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.counters().await["refreshRejected"], 2, "each rejection counted");
}

/// The doctor's `no-rotation` mistake: the cookie is checked, not rotated; the answer still
/// tells the family's remaining life and counts as a refresh.
#[tokio::test]
async fn without_rotation_the_same_cookie_keeps_working_and_tells_its_remaining_life() {
    let s = start(Config {
        allow_origins: vec![ORIGIN.into()],
        test_controls: true,
        refresh_ttl: 1000,
        misconfig: vec!["no-rotation".into()],
        ..Config::default()
    })
    .await;
    let (_, c0) = s.login().await;
    for n in 1..=2 {
        let res = s.refresh(&c0).await;
        assert_eq!(res.status(), StatusCode::OK, "refresh {n}");
        assert!(cookie_of(&res).is_none(), "no rotation: no new cookie");
        let left = refresh_expires_in(res).await;
        assert!(about(left, 1000), "refresh_expires_in {left}");
    }
    assert_eq!(s.counters().await["refreshes"], 2);
}

#[tokio::test]
async fn reuse_outside_grace_revokes_family() {
    let s = start(Config { reuse_grace: 0, test_controls: true, ..Config::default() }).await;
    let (_, c0) = s.login().await;
    let c1 = cookie_of(&s.refresh(&c0).await).expect("c1");
    let reuse = s.refresh(&c0).await;
    assert_eq!(reuse.status(), StatusCode::UNAUTHORIZED, "old token replayed");
    assert_eq!(s.refresh(&c1).await.status(), StatusCode::UNAUTHORIZED, "whole family revoked");
    assert_eq!(s.counters().await["revokedFamilies"], 1);
}

#[tokio::test]
async fn grace_window_accepts_only_immediate_predecessor_and_returns_current() {
    let s = start(Config { reuse_grace: 10, test_controls: true, ..Config::default() }).await;
    let (_, c0) = s.login().await;
    let c1 = cookie_of(&s.refresh(&c0).await).expect("c1");
    let late = s.refresh(&c0).await;
    assert_eq!(late.status(), StatusCode::OK, "predecessor inside the grace window");
    assert_eq!(cookie_of(&late).as_deref(), Some(c1.as_str()), "answered with the current token");
    let c2 = cookie_of(&s.refresh(&c1).await).expect("c2");
    assert_eq!(s.refresh(&c0).await.status(), StatusCode::UNAUTHORIZED, "two generations back: reuse");
    assert_eq!(s.refresh(&c2).await.status(), StatusCode::UNAUTHORIZED, "family revoked");
    // Outside the window (server clock shifted past it): revoked as well.
    let (_, d0) = s.login().await;
    let _d1 = cookie_of(&s.refresh(&d0).await).expect("d1");
    s.control("/__test/clock", json!({"shiftSeconds": 11})).await;
    assert_eq!(s.refresh(&d0).await.status(), StatusCode::UNAUTHORIZED);
    let c = s.counters().await;
    assert_eq!(c["revokedFamilies"], 2);
    assert_eq!(c["graceReplays"], 1);
}

#[tokio::test]
async fn concurrent_refreshes_with_same_cookie_rotate_once() {
    let s = start(Config { reuse_grace: 0, test_controls: true, ..Config::default() }).await;
    let (_, c0) = s.login().await;
    let results = futures_join(&s, &c0, 20).await;
    let ok = results.iter().filter(|st| **st == StatusCode::OK).count();
    assert_eq!(ok, 1, "rotation is atomic: exactly one winner, got {results:?}");
    assert_eq!(s.counters().await["revokedFamilies"], 1, "the losers are reuse");
}

async fn futures_join(s: &Server, cookie: &str, n: usize) -> Vec<StatusCode> {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (http, url, cookie) = (s.http.clone(), s.url("/auth/refresh"), cookie.to_owned());
        set.spawn(async move {
            http.post(url)
                .header(CSRF.0, CSRF.1)
                .header(header::COOKIE, format!("wtm_refresh={cookie}"))
                .send()
                .await
                .map(|r| r.status())
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.expect("join").expect("send"));
    }
    out
}

#[tokio::test]
async fn csrf_and_origin_rejections_rotate_nothing() {
    let s = start_default().await;
    let (_, c0) = s.login().await;
    let cookie = format!("wtm_refresh={c0}");
    let attempts = [
        ("no CSRF header", vec![]),
        ("foreign Origin", vec![CSRF, ("Origin", "https://evil.example")]),
        ("Origin null", vec![CSRF, ("Origin", "null")]),
        ("cross-site fetch metadata", vec![CSRF, ("Sec-Fetch-Site", "cross-site")]),
    ];
    for (name, headers) in attempts {
        let mut req = s.http.post(s.url("/auth/refresh")).header(header::COOKIE, &cookie);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let res = req.send().await.expect("send");
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{name}");
        assert!(cookie_of(&res).is_none(), "{name}: no cookie change");
    }
    // A simple form POST (what a CSRF page can send): no custom header.
    let form = s
        .http
        .post(s.url("/auth/refresh"))
        .header(header::COOKIE, &cookie)
        .header("Origin", "https://evil.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("a=b")
        .send()
        .await
        .expect("send");
    assert_eq!(form.status(), StatusCode::FORBIDDEN);
    let logout = s.http.post(s.url("/auth/logout")).header(header::COOKIE, &cookie).send().await.expect("send");
    assert_eq!(logout.status(), StatusCode::FORBIDDEN, "logout needs the CSRF header too");
    // Nothing rotated or revoked: the original cookie still works, from an allowed origin.
    let ok = s
        .http
        .post(s.url("/auth/refresh"))
        .header(header::COOKIE, &cookie)
        .header(CSRF.0, CSRF.1)
        .header("Origin", ORIGIN)
        .send()
        .await
        .expect("send");
    assert_eq!(ok.status(), StatusCode::OK);
    let c = s.counters().await;
    assert_eq!(c["csrfRejected"], 6);
    assert_eq!(c["refreshes"], 1);
    assert_eq!(c["revokedFamilies"], 0);
}

#[tokio::test]
async fn cors_exact_origin_with_credentials_and_preflight() {
    let s = start_default().await;
    let pre = s
        .http
        .request(reqwest::Method::OPTIONS, s.url("/auth/refresh"))
        .header("Origin", ORIGIN)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "x-requested-with")
        .send()
        .await
        .expect("preflight");
    assert!(pre.status().is_success());
    assert_eq!(pre.headers()["access-control-allow-origin"], ORIGIN);
    assert_eq!(pre.headers()["access-control-allow-credentials"], "true");
    assert!(pre.headers()["access-control-allow-headers"]
        .to_str()
        .expect("str")
        .to_ascii_lowercase()
        .contains("x-requested-with"));
    let vary = pre.headers().get_all(header::VARY).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
    assert!(vary.to_ascii_lowercase().contains("origin"), "Vary: {vary}");

    let evil = s
        .http
        .request(reqwest::Method::OPTIONS, s.url("/auth/refresh"))
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .expect("preflight");
    assert!(evil.headers().get("access-control-allow-origin").is_none(), "unknown origin never reflected");
    let get = s.http.get(s.url("/api/ping")).header("Origin", "https://evil.example").send().await.expect("get");
    assert!(get.headers().get("access-control-allow-origin").is_none());
    let vary = get.headers().get_all(header::VARY).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
    assert!(vary.to_ascii_lowercase().contains("origin"), "Vary: {vary}");
}

#[tokio::test]
async fn api_requires_valid_unexpired_bearer() {
    let s = start_default().await;
    let missing = s.http.get(s.url("/api/me")).send().await.expect("send");
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(missing.headers()[header::WWW_AUTHENTICATE], "Bearer error=\"invalid_token\"");
    assert_eq!(s.me("garbage").await.status(), StatusCode::UNAUTHORIZED);
    s.control("/__test/config", json!({"accessTtl": 1})).await;
    let (token, _) = s.login().await;
    assert_eq!(s.me(&token).await.status(), StatusCode::OK);
    assert_eq!(
        s.http.get(s.url("/api/ping")).bearer_auth(&token).send().await.expect("ping").text().await.expect("text"),
        "pong"
    );
    s.control("/__test/clock", json!({"shiftSeconds": 5})).await;
    let expired = s.me(&token).await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(expired.headers()[header::WWW_AUTHENTICATE], "Bearer error=\"invalid_token\"");
    // A token with a valid shape but an unsigned ("none") header is refused.
    let parts: Vec<&str> = token.split('.').collect();
    let none_header = "eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0";
    assert_eq!(s.me(&format!("{none_header}.{}.", parts[1])).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.counters().await["apiUnauthorized"], 4);
}

#[tokio::test]
async fn logout_revokes_family_and_clears_cookie() {
    let s = start_default().await;
    let (_, c0) = s.login().await;
    let res = s
        .http
        .post(s.url("/auth/logout"))
        .header(CSRF.0, CSRF.1)
        .header(header::COOKIE, format!("wtm_refresh={c0}"))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(set_cookie_header(&res).contains("Max-Age=0"));
    assert_eq!(s.refresh(&c0).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn jwks_publishes_the_verifying_key() {
    let s = start_default().await;
    let jwks: Value =
        s.http.get(s.url("/.well-known/jwks.json")).send().await.expect("send").json().await.expect("json");
    let k = &jwks["keys"][0];
    assert_eq!(
        (k["kty"].as_str(), k["crv"].as_str(), k["alg"].as_str()),
        (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
    );
    let (token, _) = s.login().await;
    assert_eq!(view(&token).0["kid"], k["kid"]);
}

#[tokio::test]
async fn faults_status_retry_after_drop_commit_then_drop_and_no_exp() {
    let s = start(Config { reuse_grace: 0, test_controls: true, ..Config::default() }).await;
    let (_, c0) = s.login().await;
    s.control("/__test/fault", json!({"path":"/auth/refresh","action":"status","status":503,"times":2})).await;
    assert_eq!(s.refresh(&c0).await.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(s.refresh(&c0).await.status(), StatusCode::SERVICE_UNAVAILABLE);
    s.control("/__test/fault", json!({"path":"/auth/refresh","action":"status","status":429,"retryAfter":"2"})).await;
    let limited = s.refresh(&c0).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()[header::RETRY_AFTER], "2");
    s.control("/__test/fault", json!({"path":"/auth/refresh","action":"drop"})).await;
    let dropped = s
        .http
        .post(s.url("/auth/refresh"))
        .header(CSRF.0, CSRF.1)
        .header(header::COOKIE, format!("wtm_refresh={c0}"))
        .send()
        .await;
    assert!(dropped.is_err(), "connection dropped without a response");
    // Nothing happened to the family: c0 is still current.
    let c1 = cookie_of(&s.refresh(&c0).await).expect("c1");
    // Commit then drop: the rotation happens, the client never sees c2.
    s.control("/__test/fault", json!({"path":"/auth/refresh","action":"commit_then_drop"})).await;
    assert!(s
        .http
        .post(s.url("/auth/refresh"))
        .header(CSRF.0, CSRF.1)
        .header(header::COOKIE, format!("wtm_refresh={c1}"))
        .send()
        .await
        .is_err());
    assert_eq!(s.refresh(&c1).await.status(), StatusCode::UNAUTHORIZED, "c1 was rotated: replay outside grace 0");
    // Token without exp.
    let (_, d0) = s.login().await;
    s.control("/__test/fault", json!({"path":"/auth/refresh","action":"token_without_exp"})).await;
    let body: Value = s.refresh(&d0).await.json().await.expect("json");
    assert!(body.get("expires_in").is_none());
    let d = wasm_token_manager::core::token::decode(body["access_token"].as_str().expect("token")).expect("decode");
    assert_eq!(d.times.exp, None);
    let c = s.counters().await;
    assert_eq!(c["refreshRequests"], 8);
    // Bad fault definitions are rejected, not applied.
    let bad = s
        .http
        .post(s.url("/__test/fault"))
        .json(&json!({"path":"/auth/refresh","action":"explode"}))
        .send()
        .await
        .expect("send");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn delay_fault_and_reset() {
    let s = start_default().await;
    s.control("/__test/fault", json!({"path":"/api/ping","action":"delay","delayMs":300})).await;
    let t = std::time::Instant::now();
    let _ = s.http.get(s.url("/api/ping")).send().await.expect("ping");
    assert!(t.elapsed().as_millis() >= 300);
    s.login().await;
    s.control("/__test/reset", json!({})).await;
    assert_eq!(s.counters().await["logins"], 0);
}

#[tokio::test]
async fn refresh_tokens_are_stored_hashed() {
    let s = start(Config { reuse_grace: 0, test_controls: true, ..Config::default() }).await;
    let (_, c0) = s.login().await;
    let dump = s.http.get(s.url("/__test/store")).send().await.expect("send").text().await.expect("text");
    assert!(!dump.contains(&c0), "raw refresh token must not be stored");
    assert!(dump.contains("currentHash"));
}

#[tokio::test]
async fn test_controls_are_off_by_default() {
    let s = start(Config::default()).await;
    let res = s.http.get(s.url("/__test/counters")).send().await.expect("send");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn commit_then_delay_commits_before_the_held_response_is_sent() {
    let s = start(Config { reuse_grace: 10, test_controls: true, ..Config::default() }).await;
    let (_, c0) = s.login().await;
    let current_hash = |dump: &Value| dump["families"][0]["currentHash"].as_str().expect("hash").to_owned();
    let store = || async {
        s.http.get(s.url("/__test/store")).send().await.expect("store").json::<Value>().await.expect("json")
    };
    let hex = |c: &str| mock_server::store::hash(c).iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(current_hash(&store().await), hex(&c0));

    s.control("/__test/fault", json!({"path":"/auth/refresh","action":"commit_then_delay","delayMs":1500})).await;
    let t0 = std::time::Instant::now();
    let held = tokio::spawn({
        let (http, url) = (s.http.clone(), s.url("/auth/refresh"));
        let c0 = c0.clone();
        async move {
            let res = http
                .post(url)
                .header(CSRF.0, CSRF.1)
                .header(header::COOKIE, format!("wtm_refresh={c0}"))
                .send()
                .await
                .expect("held refresh");
            (t0.elapsed(), res)
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!held.is_finished(), "the response is still held");
    // While it is held, the rotation is already committed: counted, recorded as 200, c0 no
    // longer current, and c0 (now the predecessor) is answered from the grace window with the
    // very cookie the held response carries.
    let c = s.counters().await;
    assert_eq!((c["refreshRequests"].as_u64(), c["refreshes"].as_u64()), (Some(1), Some(1)));
    let reqs: Value = s.http.get(s.url("/__test/requests")).send().await.expect("send").json().await.expect("json");
    let r = reqs.as_array().expect("list").iter().find(|r| r["path"] == "/auth/refresh").expect("recorded").clone();
    assert_eq!((r["fault"].as_str(), r["status"].as_u64()), (Some("commit_then_delay"), Some(200)));
    assert!(r["doneMs"].as_i64() >= r["atMs"].as_i64());
    assert_ne!(current_hash(&store().await), hex(&c0), "c0 already rotated");
    let replay = s.refresh(&c0).await;
    assert_eq!(replay.status(), StatusCode::OK);
    let c1 = cookie_of(&replay).expect("current cookie");
    assert_eq!(current_hash(&store().await), hex(&c1));
    assert_eq!(s.counters().await["graceReplays"], 1);
    assert!(!held.is_finished(), "still held after the replay");

    let (elapsed, res) = held.await.expect("join");
    assert!(elapsed.as_millis() >= 1500, "held for delayMs: {elapsed:?}");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(cookie_of(&res).as_deref(), Some(c1.as_str()), "the held response carries the committed rotation");
    let body: Value = res.json().await.expect("json");
    assert_eq!(view(body["access_token"].as_str().expect("token")).1["sub"], "demo");

    // A logout committed while a refresh answer is held: the family is revoked before the
    // (successful) refresh answer arrives, and that cookie is useless afterwards.
    s.control("/__test/fault", json!({"path":"/auth/logout","action":"commit_then_delay","delayMs":800})).await;
    let t1 = std::time::Instant::now();
    let logout = tokio::spawn({
        let (http, url) = (s.http.clone(), s.url("/auth/logout"));
        let c1 = c1.clone();
        async move {
            http.post(url)
                .header(CSRF.0, CSRF.1)
                .header(header::COOKIE, format!("wtm_refresh={c1}"))
                .send()
                .await
                .expect("logout")
                .status()
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(s.counters().await["logouts"], 1, "logout committed while its answer is held");
    assert_eq!(s.refresh(&c1).await.status(), StatusCode::UNAUTHORIZED, "family revoked already");
    assert_eq!(logout.await.expect("join"), StatusCode::NO_CONTENT);
    assert!(t1.elapsed().as_millis() >= 800);
}

// ---- Sessions: sign-out scopes, the session's end, step-up and insufficient scope ----

/// A login with extra body fields: (access token, refresh cookie, the JSON answer).
async fn login_with(s: &Server, user: &str, pw: &str, extra: Value) -> (String, String, Value) {
    let mut body = json!({"username": user, "password": pw});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let res = s.http.post(s.url("/auth/login")).json(&body).send().await.expect("login");
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = cookie_of(&res).expect("cookie");
    let body: Value = res.json().await.expect("json");
    (body["access_token"].as_str().expect("token").to_owned(), cookie, body)
}

/// `POST /auth/logout{query}` with the CSRF header and, if given, the cookie.
async fn logout(s: &Server, query: &str, cookie: Option<&str>) -> Response {
    let mut req = s.http.post(s.url(&format!("/auth/logout{query}"))).header(CSRF.0, CSRF.1);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, format!("wtm_refresh={c}"));
    }
    req.send().await.expect("logout")
}

async fn store(s: &Server) -> Value {
    s.http.get(s.url("/__test/store")).send().await.expect("store").json().await.expect("json")
}

fn max_age_of(res: &Response) -> i64 {
    set_cookie_header(res)
        .split("Max-Age=")
        .nth(1)
        .and_then(|v| v.split(';').next())
        .and_then(|v| v.parse().ok())
        .expect("max-age")
}

/// `refresh_expires_in` of a token answer. Whole seconds rounded down: a few ms after the
/// family started, 100 s of life answer 99.
async fn refresh_expires_in(res: Response) -> i64 {
    res.json::<Value>().await.expect("json")["refresh_expires_in"].as_i64().expect("refresh_expires_in")
}

fn about(got: i64, want: i64) -> bool {
    got == want || got == want - 1
}

fn two_users() -> Config {
    let users = vec![("demo".into(), "demo".into()), ("alice".into(), "a".into())];
    Config { users, reuse_grace: 0, allow_origins: vec![ORIGIN.into()], test_controls: true, ..Config::default() }
}

fn www_authenticate(res: &Response) -> &str {
    res.headers().get(header::WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn each_login_is_a_family_and_logout_others_keeps_only_this_one() {
    let s = start(two_users()).await;
    let (_, a1) = s.login().await;
    let (_, a2) = s.login().await;
    let (_, a3) = s.login().await;
    let (_, b1, _) = login_with(&s, "alice", "a", json!({})).await;
    assert_eq!(store(&s).await["families"].as_array().map(Vec::len), Some(4), "one family per login");
    let res = logout(&s, "?scope=others", Some(&a1)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get(header::SET_COOKIE).is_none(), "this cookie is left alone");
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    assert_eq!(res.json::<Value>().await.expect("json"), json!({"revoked": 2}));
    assert_eq!(s.refresh(&a1).await.status(), StatusCode::OK, "this session goes on");
    for other in [&a2, &a3] {
        let r = s.refresh(other).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(set_cookie_header(&r).contains("Max-Age=0"));
        assert_eq!(r.json::<Value>().await.expect("json"), json!({"error": "invalid_grant"}));
    }
    assert_eq!(s.refresh(&b1).await.status(), StatusCode::OK, "another user's session is untouched");
    let families = store(&s).await["families"].clone();
    let view =
        |i: usize| (families[i]["sub"].clone(), families[i]["revoked"].clone(), families[i]["revokeReason"].clone());
    assert_eq!(view(0), (json!("demo"), json!(false), Value::Null));
    assert_eq!(view(1), (json!("demo"), json!(true), json!("others")));
    assert_eq!(view(2), (json!("demo"), json!(true), json!("others")));
    assert_eq!(view(3), (json!("alice"), json!(false), Value::Null));
    assert!(families[0]["expiresAtMs"].is_i64());
    let c = s.counters().await;
    assert_eq!((c["logouts"].as_u64(), c["logoutsOthers"].as_u64()), (Some(1), Some(1)));
    assert_eq!(c["revokedFamilies"], 0, "revokedFamilies counts reuse only");
}

#[tokio::test]
async fn logout_others_without_a_live_cookie_is_401_and_revokes_nothing() {
    let s = start(two_users()).await;
    let (_, keep) = s.login().await;
    let (_, c0) = s.login().await;
    let c1 = cookie_of(&s.refresh(&c0).await).expect("rotated");
    let (_, gone) = s.login().await;
    assert_eq!(logout(&s, "", Some(&gone)).await.status(), StatusCode::NO_CONTENT);
    for (what, cookie) in [
        ("no cookie", None),
        ("unknown", Some("nope")),
        ("revoked", Some(gone.as_str())),
        ("rotated away", Some(c0.as_str())),
    ] {
        let res = logout(&s, "?scope=others", cookie).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{what}");
        assert!(res.headers().get(header::SET_COOKIE).is_none(), "{what}: cookie left alone");
        assert_eq!(res.json::<Value>().await.expect("json"), json!({"error": "invalid_grant"}), "{what}");
    }
    assert_eq!(s.refresh(&keep).await.status(), StatusCode::OK, "nothing revoked");
    assert_eq!(s.refresh(&c1).await.status(), StatusCode::OK, "an old token at logout is not reuse");
    assert_eq!(s.counters().await["logoutsOthers"], 4);
}

#[tokio::test]
async fn logout_global_revokes_every_family_of_the_user_and_clears_the_cookie() {
    let s = start(two_users()).await;
    let (_, a1) = s.login().await;
    let (_, a2) = s.login().await;
    let (_, b1, _) = login_with(&s, "alice", "a", json!({})).await;
    let res = logout(&s, "?scope=global", Some(&a2)).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(set_cookie_header(&res).contains("Max-Age=0"));
    assert_eq!(s.refresh(&a1).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.refresh(&a2).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.refresh(&b1).await.status(), StatusCode::OK, "another user's session is untouched");
    let reasons: Vec<Value> =
        store(&s).await["families"].as_array().expect("list").iter().map(|f| f["revokeReason"].clone()).collect();
    assert_eq!(reasons, [json!("global"), json!("global"), Value::Null]);
    // Without a cookie, or with a dead one: still 204 and the cookie is cleared.
    for cookie in [None, Some("nope"), Some(a1.as_str())] {
        let res = logout(&s, "?scope=global", cookie).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "{cookie:?}");
        assert!(set_cookie_header(&res).contains("Max-Age=0"), "{cookie:?}");
    }
    let c = s.counters().await;
    assert_eq!((c["logouts"].as_u64(), c["logoutsGlobal"].as_u64()), (Some(4), Some(4)));
}

#[tokio::test]
async fn logout_scope_local_is_the_default_and_unknown_scopes_are_400() {
    let s = start(two_users()).await;
    let (_, a1) = s.login().await;
    let (_, a2) = s.login().await;
    let (_, a3) = s.login().await;
    let bad = logout(&s, "?scope=everywhere", Some(&a1)).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(bad.headers().get(header::SET_COOKIE).is_none());
    assert_eq!(bad.json::<Value>().await.expect("json"), json!({"error": "invalid_request"}));
    assert_eq!(s.refresh(&a1).await.status(), StatusCode::OK, "a bad scope revokes nothing");
    // The CSRF check comes first.
    let no_csrf = s.http.post(s.url("/auth/logout?scope=global")).header(header::COOKIE, format!("wtm_refresh={a2}"));
    assert_eq!(no_csrf.send().await.expect("send").status(), StatusCode::FORBIDDEN);
    for (query, cookie) in [("", Some(&a2)), ("?scope=local", Some(&a3)), ("?scope=local", None)] {
        let res = logout(&s, query, cookie.map(String::as_str)).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "{query}");
        assert!(set_cookie_header(&res).contains("Max-Age=0"));
    }
    assert_eq!(s.refresh(&a2).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.refresh(&a3).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(store(&s).await["families"][1]["revokeReason"], "logout");
    let c = s.counters().await;
    let got = ["logouts", "logoutsLocal", "logoutsOthers", "logoutsGlobal"].map(|k| c[k].as_u64().expect(k));
    assert_eq!(got, [3, 3, 0, 0], "the 400 and the 403 are not logouts");
}

#[tokio::test]
async fn refresh_expires_in_absolute_then_sliding_then_the_end() {
    let s = start(Config { refresh_ttl: 100, reuse_grace: 0, test_controls: true, ..Config::default() }).await;
    let res = s.http.post(s.url("/auth/login")).json(&json!({"username":"demo","password":"demo"})).send().await;
    let res = res.expect("login");
    assert_eq!(max_age_of(&res), 100);
    let c0 = cookie_of(&res).expect("cookie");
    assert_eq!(refresh_expires_in(res).await, 100);
    // Absolute (the default): what is left shrinks; the cookie's Max-Age says the same.
    s.control("/__test/clock", json!({"shiftSeconds": 30})).await;
    let r1 = s.refresh(&c0).await;
    let max_age = max_age_of(&r1);
    let c1 = cookie_of(&r1).expect("c1");
    let left = refresh_expires_in(r1).await;
    assert!(about(left, 70) && left == max_age, "{left} {max_age}");
    // Sliding from now on: a rotation moves the end to now + refresh_ttl.
    s.control("/__test/config", json!({"refreshModel": "sliding"})).await;
    s.control("/__test/clock", json!({"shiftSeconds": 60})).await;
    let r2 = s.refresh(&c1).await;
    assert_eq!(max_age_of(&r2), 100);
    let c2 = cookie_of(&r2).expect("c2");
    assert_eq!(refresh_expires_in(r2).await, 100);
    // A new refreshTtl applies to the next rotation (sliding) ...
    s.control("/__test/config", json!({"refreshTtl": 40})).await;
    assert_eq!(refresh_expires_in(s.refresh(&c2).await).await, 40);
    // ... and to the next login.
    let (_, _, body) = login_with(&s, "demo", "demo", json!({})).await;
    assert_eq!(body["refresh_expires_in"], 40);
    // Past the end: 401 invalid_grant, the cookie cleared, the store says expired.
    let (_, d0, _) = login_with(&s, "demo", "demo", json!({})).await;
    s.control("/__test/clock", json!({"shiftSeconds": 60 + 40})).await;
    let late = s.refresh(&d0).await;
    assert_eq!(late.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie_header(&late).contains("Max-Age=0"));
    assert_eq!(late.json::<Value>().await.expect("json"), json!({"error": "invalid_grant"}));
    let last = store(&s).await["families"][2].clone();
    assert_eq!((last["revoked"].clone(), last["revokeReason"].clone()), (json!(false), json!("expired")));
}

#[tokio::test]
async fn refresh_ttl_set_at_run_time_leaves_absolute_families_alone_and_sliding_flag() {
    let s = start(Config { refresh_ttl: 100, test_controls: true, ..Config::default() }).await;
    let (_, c0) = s.login().await;
    s.control("/__test/config", json!({"refreshTtl": 1000})).await;
    let left = refresh_expires_in(s.refresh(&c0).await).await;
    assert!(about(left, 100), "absolute: the family's end stays: {left}");
    let sliding = mock_server::RefreshModel::Sliding;
    let s = start(Config { refresh_ttl: 100, refresh_model: sliding, test_controls: true, ..Config::default() }).await;
    let (_, c0) = s.login().await;
    s.control("/__test/clock", json!({"shiftSeconds": 90})).await;
    assert_eq!(refresh_expires_in(s.refresh(&c0).await).await, 100, "--refresh-model sliding");
    // Reset brings back the flags' model and lifetime.
    s.control("/__test/config", json!({"refreshModel": "absolute", "refreshTtl": 5})).await;
    s.control("/__test/reset", json!({})).await;
    let (_, c0) = s.login().await;
    s.control("/__test/clock", json!({"shiftSeconds": 90})).await;
    assert_eq!(refresh_expires_in(s.refresh(&c0).await).await, 100, "sliding and 100 s again");
    for bad in [
        json!({"refreshTtl": 0}),
        json!({"refreshModel": "rolling"}),
        json!({"refreshModel": 1}),
        json!({"refresh_ttl": 5}),
    ] {
        let res = s.http.post(s.url("/__test/config")).json(&bad).send().await.expect("send");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn acr_auth_time_and_scope_are_in_every_token_of_the_family() {
    let s = start(Config { test_controls: true, ..Config::default() }).await;
    let (plain, _, _) = login_with(&s, "demo", "demo", json!({})).await;
    let claims = view(&plain).1;
    assert_eq!(claims["acr"], "pwd");
    assert_eq!(claims["auth_time"], claims["iat"]);
    assert!(claims.get("scope").is_none());
    let (mfa, c0, _) = login_with(&s, "demo", "demo", json!({"acr_values": "mfa otp", "scope": "admin"})).await;
    let first = view(&mfa).1;
    assert_eq!((first["acr"].clone(), first["scope"].clone()), (json!("mfa"), json!("admin")));
    s.control("/__test/clock", json!({"shiftSeconds": 20})).await;
    let refreshed: Value = s.refresh(&c0).await.json().await.expect("json");
    let later = view(refreshed["access_token"].as_str().expect("token")).1;
    assert_eq!(later["acr"], "mfa", "the family keeps acr");
    assert_eq!(later["auth_time"], first["auth_time"], "auth_time is the login's");
    assert_eq!(later["scope"], "admin");
    assert!(later["iat"].as_i64() >= first["iat"].as_i64().map(|i| i + 20));
    let fam = store(&s).await["families"][1].clone();
    assert_eq!(
        (fam["acr"].clone(), fam["authTime"].clone(), fam["scope"].clone()),
        (json!("mfa"), first["auth_time"].clone(), json!("admin"))
    );
}

#[tokio::test]
async fn sensitive_needs_mfa_and_a_recent_enough_login() {
    let s = start_default().await;
    let sensitive = |token: Option<&str>, query: &str| {
        let req = s.http.get(s.url(&format!("/api/sensitive{query}")));
        let req = match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        async move { req.send().await.expect("sensitive") }
    };
    let (pwd, _, _) = login_with(&s, "demo", "demo", json!({})).await;
    let res = sensitive(Some(&pwd), "").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        www_authenticate(&res),
        r#"Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="mfa""#
    );
    assert_eq!(res.json::<Value>().await.expect("json"), json!({"error": "insufficient_user_authentication"}));

    let (mfa, _, _) = login_with(&s, "demo", "demo", json!({"acr_values": "mfa"})).await;
    let ok = sensitive(Some(&mfa), "").await;
    assert_eq!(ok.status(), StatusCode::OK);
    let body: Value = ok.json().await.expect("json");
    assert_eq!((body["ok"].clone(), body["acr"].clone()), (json!(true), json!("mfa")));
    assert_eq!(body["auth_time"], view(&mfa).1["auth_time"]);

    s.control("/__test/clock", json!({"shiftSeconds": 20})).await;
    assert_eq!(sensitive(Some(&mfa), "?max_age=60").await.status(), StatusCode::OK);
    let stale = sensitive(Some(&mfa), "?max_age=10").await;
    assert_eq!(stale.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        www_authenticate(&stale),
        r#"Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="mfa", max_age=10"#
    );
    assert_eq!(sensitive(Some(&mfa), "?max_age=ten").await.status(), StatusCode::BAD_REQUEST);

    // No token, a bad one, an expired one: the ordinary 401, never a step-up challenge.
    s.control("/__test/clock", json!({"shiftSeconds": 301})).await;
    for token in [None, Some("garbage"), Some(mfa.as_str())] {
        let res = sensitive(token, "").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(www_authenticate(&res), r#"Bearer error="invalid_token""#, "{token:?}");
    }
    let c = s.counters().await;
    assert_eq!((c["apiSensitive"].as_u64(), c["apiUnauthorized"].as_u64()), (Some(8), Some(5)));
    let reqs: Value = s.http.get(s.url("/__test/requests")).send().await.expect("send").json().await.expect("json");
    let statuses: Vec<_> = reqs
        .as_array()
        .expect("list")
        .iter()
        .filter(|r| r["path"] == "/api/sensitive")
        .map(|r| r["status"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(statuses, [401, 200, 200, 401, 400, 401, 401, 401]);
}

#[tokio::test]
async fn admin_without_the_scope_is_403_insufficient_scope_readable_cross_origin() {
    let s = start_default().await;
    let admin = |token: &str| s.http.get(s.url("/api/admin")).header("Origin", ORIGIN).bearer_auth(token).send();
    let (plain, _, _) = login_with(&s, "demo", "demo", json!({"scope": "read"})).await;
    let res = admin(&plain).await.expect("admin");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(www_authenticate(&res), r#"Bearer error="insufficient_scope", scope="admin""#);
    assert_eq!(res.headers()["access-control-allow-origin"], ORIGIN);
    let exposed = res.headers()["access-control-expose-headers"].to_str().expect("str").to_ascii_lowercase();
    assert!(exposed.contains("www-authenticate"), "exposed: {exposed}");
    assert_eq!(res.json::<Value>().await.expect("json"), json!({"error": "insufficient_scope"}));
    let (granted, _, _) = login_with(&s, "demo", "demo", json!({"scope": "read admin"})).await;
    let ok = admin(&granted).await.expect("admin");
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.json::<Value>().await.expect("json"), json!({"ok": true, "scope": "read admin"}));
    let bad = admin("garbage").await.expect("admin");
    assert_eq!((bad.status(), www_authenticate(&bad)), (StatusCode::UNAUTHORIZED, r#"Bearer error="invalid_token""#));
    let c = s.counters().await;
    assert_eq!((c["apiAdmin"].as_u64(), c["apiUnauthorized"].as_u64()), (Some(3), Some(1)));
}

/// The doctor's deliberate mistakes in a token answer (`--misconfig`): the session's lifetime
/// told as half of the cookie's, and `expires_in` 10 minutes longer than the token's `exp`.
#[tokio::test]
async fn misconfigured_token_answers_say_what_the_switch_says() {
    let cfg = |m: &str| Config {
        allow_origins: vec![ORIGIN.into()],
        refresh_ttl: 1000,
        access_ttl: 300,
        misconfig: vec![m.into()],
        ..Config::default()
    };
    let body = |s: Server| async move {
        let res = s.http.post(s.url("/auth/login")).json(&json!({"username":"demo","password":"demo"})).send().await;
        res.expect("login").json::<Value>().await.expect("json")
    };
    let plain = body(start(Config { misconfig: vec![], ..cfg("no-store-missing") }).await).await;
    assert_eq!((plain["refresh_expires_in"].as_i64(), plain["expires_in"].as_u64()), (Some(1000), Some(300)));
    let half = body(start(cfg("refresh-expires-in-mismatch")).await).await;
    assert_eq!(half["refresh_expires_in"].as_i64(), Some(500));
    let longer = body(start(cfg("expires-in-mismatch")).await).await;
    assert_eq!(longer["expires_in"].as_u64(), Some(900));
}
