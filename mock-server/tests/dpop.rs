//! DPoP (RFC 9449) over real HTTP: the proofs are made here, as a client would, with
//! jwt-compact's ES256 signer and a P-256 key; thumbprints and `ath` are computed here too.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64ct::{Base64UrlUnpadded, Encoding};
use jwt_compact::alg::{Es256, SigningKey as _};
use jwt_compact::jwk::JsonWebKey;
use jwt_compact::{Algorithm, AlgorithmExt, Claims, Header};
use mock_server::Config;
use rand::RngCore;
use reqwest::{header, Client, Response, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const CSRF: (&str, &str) = ("X-Requested-With", "XMLHttpRequest");
const ORIGIN: &str = "http://127.0.0.1:9999";

type Sk = <Es256 as Algorithm>::SigningKey;

/// A client's DPoP key.
struct Key {
    sk: Sk,
    jwk: Value,
    jkt: String,
}

impl Key {
    fn new() -> Self {
        let sk = loop {
            let mut b = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut b);
            if let Ok(sk) = Sk::from_slice(&b) {
                break sk;
            }
        };
        let vk = sk.to_verifying_key();
        let jwk = serde_json::to_value(JsonWebKey::from(&vk)).expect("jwk");
        // RFC 7638 by hand: the required members in lexicographic order, no whitespace.
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#, text(&jwk["x"]), text(&jwk["y"]));
        let jkt = Base64UrlUnpadded::encode_string(&Sha256::digest(canonical.as_bytes()));
        Self { sk, jwk, jkt }
    }

    /// A proof for `htm htu` now; `extra` adds or overrides claims (`nonce`, `ath`, `iat`).
    fn proof(&self, htm: &str, htu: &str, extra: Value) -> String {
        self.sign(json!({ "jwk": self.jwk }), htm, htu, extra)
    }

    fn sign(&self, header: Value, htm: &str, htu: &str, extra: Value) -> String {
        let mut claims = json!({ "jti": jti(), "htm": htm, "htu": htu, "iat": now_s() });
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            claims[k] = v;
        }
        Es256.token(&Header::new(header).with_token_type("dpop+jwt"), &Claims::new(claims), &self.sk).expect("sign")
    }
}

fn text(v: &Value) -> &str {
    v.as_str().expect("string")
}

fn jti() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    Base64UrlUnpadded::encode_string(&b)
}

fn now_s() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs() as i64
}

fn ath(token: &str) -> String {
    Base64UrlUnpadded::encode_string(&Sha256::digest(token.as_bytes()))
}

fn b64(v: &Value) -> String {
    Base64UrlUnpadded::encode_string(v.to_string().as_bytes())
}

fn claims_of(token: &str) -> Value {
    let j = wasm_token_manager::core::token::json_segments(token).expect("segments");
    serde_json::from_str(&j.payload).expect("payload")
}

fn cookie_of(res: &Response) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("wtm_refresh=").map(|r| r.split(';').next().unwrap_or("").to_owned()))
}

fn hdr(res: &Response, name: &str) -> Option<String> {
    res.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

async fn json_of(res: Response) -> Value {
    res.json().await.expect("json")
}

struct Server {
    base: String,
    http: Client,
    /// The server's clock shift (`POST /__test/clock`), for the proofs' `iat`.
    shift_s: AtomicI64,
}

async fn start(cfg: Config) -> Server {
    let cfg = Config { test_controls: true, allow_origins: vec![ORIGIN.into()], ..cfg };
    let addr = mock_server::spawn(cfg).await.expect("spawn");
    Server { base: format!("http://{addr}"), http: Client::new(), shift_s: AtomicI64::new(0) }
}

async fn start_dpop() -> Server {
    start(Config { dpop: true, ..Config::default() }).await
}

impl Server {
    fn url(&self, p: &str) -> String {
        format!("{}{p}", self.base)
    }

    /// The server clock, seconds.
    fn now_s(&self) -> i64 {
        now_s() + self.shift_s.load(Ordering::Relaxed)
    }

    async fn shift_clock(&self, shift_s: i64) {
        assert_eq!(self.control("/__test/clock", json!({ "shiftSeconds": shift_s })).await, StatusCode::NO_CONTENT);
        self.shift_s.store(shift_s, Ordering::Relaxed);
    }

    /// Shift the server clock to 1 s past the start of a nonce period of `period_s`, so the
    /// nonce does not change during the test.
    async fn align_to_nonce_period(&self, period_s: i64) -> i64 {
        let shift = period_s - now_s().rem_euclid(period_s) + 1;
        self.shift_clock(shift).await;
        shift
    }

    /// A proof at the server's time (unless `extra` sets `iat`).
    fn proof(&self, key: &Key, htm: &str, path: &str, extra: Value) -> String {
        let mut e = json!({ "iat": self.now_s() });
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            e[k] = v;
        }
        key.proof(htm, &self.url(path), e)
    }

    async fn login(&self, proof: Option<String>) -> Response {
        let mut req = self.http.post(self.url("/auth/login")).json(&json!({"username":"demo","password":"demo"}));
        if let Some(p) = proof {
            req = req.header("DPoP", p);
        }
        req.send().await.expect("login")
    }

    /// Log in with a proof by `key` (and `nonce`): (access token, cookie).
    async fn login_with(&self, key: &Key, nonce: Option<&str>) -> (String, String) {
        let extra = nonce.map_or(json!({}), |n| json!({ "nonce": n }));
        let res = self.login(Some(self.proof(key, "POST", "/auth/login", extra))).await;
        assert_eq!(res.status(), StatusCode::OK);
        let cookie = cookie_of(&res).expect("cookie");
        let body = json_of(res).await;
        assert_eq!(body["token_type"], "DPoP");
        (text(&body["access_token"]).to_owned(), cookie)
    }

    async fn refresh(&self, cookie: &str, proof: Option<String>) -> Response {
        let mut req = self
            .http
            .post(self.url("/auth/refresh"))
            .header(CSRF.0, CSRF.1)
            .header(header::COOKIE, format!("wtm_refresh={cookie}"));
        if let Some(p) = proof {
            req = req.header("DPoP", p);
        }
        req.send().await.expect("refresh")
    }

    fn refresh_proof(&self, key: &Key, extra: Value) -> String {
        self.proof(key, "POST", "/auth/refresh", extra)
    }

    async fn me(&self, authorization: &str, proof: Option<String>) -> Response {
        let mut req = self.http.get(self.url("/api/me")).header(header::AUTHORIZATION, authorization);
        if let Some(p) = proof {
            req = req.header("DPoP", p);
        }
        req.send().await.expect("me")
    }

    /// A proof for `GET /api/me` carrying `ath` of `token`.
    fn me_proof(&self, key: &Key, token: &str, extra: Value) -> String {
        let mut e = json!({ "ath": ath(token) });
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            e[k] = v;
        }
        self.proof(key, "GET", "/api/me", e)
    }

    async fn counters(&self) -> Value {
        json_of(self.http.get(self.url("/__test/counters")).send().await.expect("counters")).await
    }

    async fn control(&self, path: &str, body: Value) -> StatusCode {
        self.http.post(self.url(path)).json(&body).send().await.expect("control").status()
    }
}

#[tokio::test]
async fn login_with_a_proof_binds_the_token_and_the_family() {
    let s = start_dpop().await;
    let key = Key::new();
    let missing = s.login(None).await;
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert!(cookie_of(&missing).is_none());
    assert_eq!(json_of(missing).await, json!({"error": "invalid_dpop_proof"}));
    // A proof for another URL or method is no good either.
    let wrong_htu = s.login(Some(key.proof("POST", &s.url("/auth/refresh"), json!({})))).await;
    assert_eq!(wrong_htu.status(), StatusCode::UNAUTHORIZED);

    let res = s.login(Some(key.proof("POST", &s.url("/auth/login"), json!({})))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(hdr(&res, "dpop-nonce"), None, "no nonces unless --dpop-nonce");
    let body = json_of(res).await;
    assert_eq!(body["token_type"], "DPoP");
    assert_eq!(body["expires_in"], 300);
    let token = text(&body["access_token"]);
    assert_eq!(claims_of(token)["cnf"], json!({ "jkt": key.jkt }), "cnf.jkt is the RFC 7638 thumbprint");
    let store = json_of(s.http.get(s.url("/__test/store")).send().await.expect("store")).await;
    assert_eq!(store["families"][0]["jkt"], key.jkt.as_str());

    let ok = s.me(&format!("DPoP {token}"), Some(s.me_proof(&key, token, json!({})))).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(json_of(ok).await["sub"], "demo");
    for path in ["/api/ping", "/api/echo"] {
        let method = if path == "/api/echo" { reqwest::Method::POST } else { reqwest::Method::GET };
        let res = s
            .http
            .request(method.clone(), s.url(path))
            .header(header::AUTHORIZATION, format!("DPoP {token}"))
            .header("DPoP", key.proof(method.as_str(), &s.url(path), json!({ "ath": ath(token) })))
            .body("x")
            .send()
            .await
            .expect("send");
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
    let c = s.counters().await;
    assert_eq!((c["dpopAccepted"].as_u64(), c["dpopRejected"].as_u64()), (Some(4), Some(2)));
    assert_eq!((&c["dpopRejectedByReason"]["missing"], &c["dpopRejectedByReason"]["htu"]), (&json!(1), &json!(1)));
}

#[tokio::test]
async fn api_rejections_by_reason() {
    let s = start_dpop().await;
    let key = Key::new();
    let other = Key::new();
    let (token, _) = s.login_with(&key, None).await;
    let auth = format!("DPoP {token}");
    let me_url = s.url("/api/me");
    let replayed = s.me_proof(&key, &token, json!({}));
    assert_eq!(s.me(&auth, Some(replayed.clone())).await.status(), StatusCode::OK);
    let private_jwk = serde_json::to_value(JsonWebKey::from(&key.sk)).expect("jwk");
    let none = format!(
        "{}.{}.",
        b64(&json!({"typ": "dpop+jwt", "alg": "none", "jwk": key.jwk})),
        b64(&json!({"jti": jti(), "htm": "GET", "htu": me_url, "iat": now_s(), "ath": ath(&token)}))
    );
    let typ_jwt = Es256
        .token(
            &Header::new(json!({ "jwk": key.jwk })).with_token_type("JWT"),
            &Claims::new(json!({"jti": jti(), "htm": "GET", "htu": me_url, "iat": now_s(), "ath": ath(&token)})),
            &key.sk,
        )
        .expect("sign");
    let a = json!({ "ath": ath(&token) });
    let cases: Vec<(&str, String, Option<String>, &str)> = vec![
        ("missing", auth.clone(), None, "invalid_dpop_proof"),
        ("malformed", auth.clone(), Some("not.a.jwt".into()), "invalid_dpop_proof"),
        ("alg", auth.clone(), Some(none), "invalid_dpop_proof"),
        ("typ", auth.clone(), Some(typ_jwt), "invalid_dpop_proof"),
        (
            "private_key",
            auth.clone(),
            Some(key.sign(json!({ "jwk": private_jwk }), "GET", &me_url, a.clone())),
            "invalid_dpop_proof",
        ),
        (
            "signature",
            auth.clone(),
            Some(other.sign(json!({ "jwk": key.jwk }), "GET", &me_url, a.clone())),
            "invalid_dpop_proof",
        ),
        ("htm", auth.clone(), Some(key.proof("POST", &me_url, a.clone())), "invalid_dpop_proof"),
        ("htu", auth.clone(), Some(key.proof("GET", &s.url("/api/ping"), a.clone())), "invalid_dpop_proof"),
        ("iat", auth.clone(), Some(s.me_proof(&key, &token, json!({ "iat": now_s() - 120 }))), "invalid_dpop_proof"),
        ("jti_replay", auth.clone(), Some(replayed), "invalid_dpop_proof"),
        (
            "ath",
            auth.clone(),
            Some(s.me_proof(&key, &token, json!({ "ath": ath("another token") }))),
            "invalid_dpop_proof",
        ),
        ("key_mismatch", auth.clone(), Some(s.me_proof(&other, &token, json!({}))), "invalid_dpop_proof"),
        ("bearer_scheme", format!("Bearer {token}"), None, "invalid_token"),
        // A stolen bound token with the thief's own proof, as Bearer: still refused.
        ("bearer_scheme", format!("Bearer {token}"), Some(s.me_proof(&other, &token, json!({}))), "invalid_token"),
    ];
    for (reason, authorization, proof, error) in &cases {
        let res = s.me(authorization, proof.clone()).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{reason}");
        assert_eq!(hdr(&res, "www-authenticate"), Some(format!("DPoP error=\"{error}\"")), "{reason}");
        assert_eq!(json_of(res).await["error"], *error, "{reason}");
    }
    // A bad token under the DPoP scheme is invalid_token, not a proof problem.
    let forged = s.me("DPoP garbage", Some(key.proof("GET", &me_url, json!({ "ath": ath("garbage") })))).await;
    assert_eq!(hdr(&forged, "www-authenticate").as_deref(), Some("DPoP error=\"invalid_token\""));
    let c = s.counters().await;
    for (reason, ..) in &cases {
        let want = cases.iter().filter(|(r, ..)| r == reason).count();
        assert_eq!(c["dpopRejectedByReason"][reason], want, "{reason}: {c}");
    }
    assert_eq!(c["dpopRejected"], cases.len());
    assert_eq!(c["dpopRejectedByReason"]["nonce"], 0);
    assert_eq!(c["dpopAccepted"], 2, "login + the first /api/me");
    assert_eq!(c["apiUnauthorized"], cases.len() + 1);
}

#[tokio::test]
async fn refresh_without_the_key_rotates_nothing() {
    let s = start(Config { dpop: true, reuse_grace: 0, ..Config::default() }).await;
    let key = Key::new();
    let thief = Key::new();
    let (_, c0) = s.login_with(&key, None).await;
    for (name, proof) in [
        ("no proof", None),
        ("the thief's key", Some(s.refresh_proof(&thief, json!({})))),
        ("a proof for the login URL", Some(key.proof("POST", &s.url("/auth/login"), json!({})))),
    ] {
        let res = s.refresh(&c0, proof).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{name}");
        assert!(cookie_of(&res).is_none(), "{name}: the cookie is left alone");
        assert_eq!(json_of(res).await, json!({"error": "invalid_dpop_proof"}), "{name}");
    }
    let c = s.counters().await;
    assert_eq!((c["refreshes"].as_u64(), c["revokedFamilies"].as_u64()), (Some(0), Some(0)));
    assert_eq!(c["dpopRejectedByReason"]["key_mismatch"], 1);
    assert_eq!(c["refreshRejected"], 0, "refreshRejected is about cookies");
    // Nothing rotated: the same cookie works with the right key.
    let res = s.refresh(&c0, Some(s.refresh_proof(&key, json!({})))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let c1 = cookie_of(&res).expect("rotated");
    assert_ne!(c1, c0);
    let body = json_of(res).await;
    assert_eq!(body["token_type"], "DPoP");
    assert_eq!(claims_of(text(&body["access_token"]))["cnf"]["jkt"], key.jkt.as_str());
    // A replayed old cookie without the key cannot even revoke the family.
    assert_eq!(s.refresh(&c0, None).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.refresh(&c0, Some(s.refresh_proof(&thief, json!({})))).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.counters().await["revokedFamilies"], 0);
    assert_eq!(s.refresh(&c1, Some(s.refresh_proof(&key, json!({})))).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn bound_token_as_bearer_is_refused_unbound_tokens_stay_bearer() {
    let s = start(Config::default()).await;
    // Issued while DPoP is off: unbound, Bearer; a DPoP header is ignored.
    let key = Key::new();
    let plain = s.login(Some(key.proof("POST", &s.url("/auth/login"), json!({})))).await;
    let body = json_of(plain).await;
    assert_eq!(body["token_type"], "Bearer");
    let unbound = text(&body["access_token"]).to_owned();
    assert!(claims_of(&unbound).get("cnf").is_none());
    assert_eq!(s.control("/__test/config", json!({"dpop": true})).await, StatusCode::NO_CONTENT);
    assert_eq!(s.me(&format!("Bearer {unbound}"), None).await.status(), StatusCode::OK, "still works as Bearer");
    let as_dpop = s.me(&format!("DPoP {unbound}"), Some(s.me_proof(&key, &unbound, json!({})))).await;
    assert_eq!(as_dpop.status(), StatusCode::UNAUTHORIZED, "an unbound token is not a DPoP token");
    let (bound, _) = s.login_with(&key, None).await;
    let res = s.me(&format!("Bearer {bound}"), None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(hdr(&res, "www-authenticate").as_deref(), Some("DPoP error=\"invalid_token\""));
    // No Authorization at all while DPoP is on: a DPoP challenge.
    let none = s.http.get(s.url("/api/me")).send().await.expect("send");
    assert_eq!(hdr(&none, "www-authenticate").as_deref(), Some("DPoP error=\"invalid_token\""));
    let c = s.counters().await;
    assert_eq!(c["dpopRejectedByReason"]["bearer_scheme"], 1);
    assert_eq!(c["dpopRejectedByReason"]["key_mismatch"], 1);
}

#[tokio::test]
async fn nonce_challenges_then_success() {
    let s = start(Config { dpop_nonce: Some(600), ..Config::default() }).await;
    s.align_to_nonce_period(600).await;
    let key = Key::new();
    // Login without a nonce: 400 use_dpop_nonce with the nonce to use.
    let res = s.login(Some(s.proof(&key, "POST", "/auth/login", json!({})))).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(cookie_of(&res).is_none());
    let nonce = hdr(&res, "dpop-nonce").expect("DPoP-Nonce");
    assert_eq!(json_of(res).await, json!({"error": "use_dpop_nonce"}));
    let (token, c0) = s.login_with(&key, Some(&nonce)).await;

    // Refresh without it: 400 + DPoP-Nonce, nothing rotated; then with it: 200.
    let res = s.refresh(&c0, Some(s.refresh_proof(&key, json!({})))).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(cookie_of(&res).is_none());
    assert_eq!(hdr(&res, "dpop-nonce").as_deref(), Some(nonce.as_str()));
    assert_eq!(json_of(res).await, json!({"error": "use_dpop_nonce"}));
    let wrong = s.refresh(&c0, Some(s.refresh_proof(&key, json!({ "nonce": "made-up" })))).await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert_eq!(s.counters().await["refreshes"], 0);
    let ok = s.refresh(&c0, Some(s.refresh_proof(&key, json!({ "nonce": nonce })))).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(hdr(&ok, "dpop-nonce").as_deref(), Some(nonce.as_str()));
    assert!(cookie_of(&ok).is_some());

    // API without it: 401, WWW-Authenticate use_dpop_nonce + DPoP-Nonce; then with it: 200.
    let res = s.me(&format!("DPoP {token}"), Some(s.me_proof(&key, &token, json!({})))).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(hdr(&res, "www-authenticate").as_deref(), Some("DPoP error=\"use_dpop_nonce\""));
    assert_eq!(hdr(&res, "dpop-nonce").as_deref(), Some(nonce.as_str()));
    let res = s.me(&format!("DPoP {token}"), Some(s.me_proof(&key, &token, json!({ "nonce": nonce })))).await;
    assert_eq!(res.status(), StatusCode::OK);

    // Every response carries the current nonce.
    for path in ["/.well-known/jwks.json", "/api/ping", "/__test/counters"] {
        let res = s.http.get(s.url(path)).send().await.expect("send");
        assert_eq!(hdr(&res, "dpop-nonce").as_deref(), Some(nonce.as_str()), "{path}");
    }
    let c = s.counters().await;
    assert_eq!(c["dpopRejectedByReason"]["nonce"], 4);
}

#[tokio::test]
async fn nonces_rotate_and_the_previous_one_is_still_accepted() {
    let s = start(Config { dpop_nonce: Some(100), ..Config::default() }).await;
    let shift = s.align_to_nonce_period(100).await;
    let key = Key::new();
    let n0 = hdr(&s.http.get(s.url("/api/ping")).send().await.expect("ping"), "dpop-nonce").expect("nonce");
    let (_, c0) = s.login_with(&key, Some(&n0)).await;
    // One period later: n0 is the previous nonce, still accepted, and a new one is announced.
    s.shift_clock(shift + 100).await;
    let res = s.refresh(&c0, Some(s.refresh_proof(&key, json!({ "nonce": n0 })))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let n1 = hdr(&res, "dpop-nonce").expect("nonce");
    assert_ne!(n1, n0);
    let c1 = cookie_of(&res).expect("rotated");
    // Two periods later: n0 is too old; the challenge names the current one.
    s.shift_clock(shift + 200).await;
    let res = s.refresh(&c1, Some(s.refresh_proof(&key, json!({ "nonce": n0 })))).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let n2 = hdr(&res, "dpop-nonce").expect("nonce");
    assert!(n2 != n1 && n2 != n0);
    assert_eq!(s.refresh(&c1, Some(s.refresh_proof(&key, json!({ "nonce": n2 })))).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn runtime_config_and_reset() {
    let s = start(Config::default()).await;
    let key = Key::new();
    assert_eq!(json_of(s.login(None).await).await["token_type"], "Bearer");
    for bad in [json!({"dpopNonceSeconds": 0}), json!({"dpop": false, "dpopNonceSeconds": 5}), json!({"dpop": "yes"})] {
        assert_eq!(s.control("/__test/config", bad.clone()).await, StatusCode::BAD_REQUEST, "{bad}");
    }

    assert_eq!(s.control("/__test/config", json!({"dpopNonceSeconds": 5})).await, StatusCode::NO_CONTENT);
    let res = s.login(Some(key.proof("POST", &s.url("/auth/login"), json!({})))).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "nonce mode implies DPoP");
    assert!(hdr(&res, "dpop-nonce").is_some());
    assert_eq!(s.control("/__test/config", json!({"dpopNonceSeconds": null})).await, StatusCode::NO_CONTENT);
    let res = s.login(Some(key.proof("POST", &s.url("/auth/login"), json!({})))).await;
    assert_eq!(res.status(), StatusCode::OK, "DPoP still on, nonces off");
    assert!(hdr(&res, "dpop-nonce").is_none());
    assert_eq!(json_of(res).await["token_type"], "DPoP");
    assert_eq!(s.control("/__test/config", json!({"dpop": false})).await, StatusCode::NO_CONTENT);
    assert_eq!(json_of(s.login(None).await).await["token_type"], "Bearer");
    assert_eq!(s.control("/__test/config", json!({"dpop": true})).await, StatusCode::NO_CONTENT);
    assert_eq!(s.login(None).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.control("/__test/reset", json!({})).await, StatusCode::NO_CONTENT);
    assert_eq!(s.login(None).await.status(), StatusCode::OK, "reset: back to the flags (DPoP off)");
    let c = s.counters().await;
    assert_eq!((c["dpopAccepted"].as_u64(), c["dpopRejected"].as_u64()), (Some(0), Some(0)));

    // A server started with --dpop-nonce goes back to it on reset.
    let s = start(Config { dpop: true, dpop_nonce: Some(30), ..Config::default() }).await;
    assert_eq!(s.control("/__test/config", json!({"dpop": false})).await, StatusCode::NO_CONTENT);
    assert!(hdr(&s.login(None).await, "dpop-nonce").is_none());
    assert_eq!(s.control("/__test/reset", json!({})).await, StatusCode::NO_CONTENT);
    let res = s.login(None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(hdr(&res, "dpop-nonce").is_some());
}

#[tokio::test]
async fn logout_accepts_a_proof() {
    let s = start_dpop().await;
    let key = Key::new();
    let (_, c0) = s.login_with(&key, None).await;
    let res = s
        .http
        .post(s.url("/auth/logout"))
        .header(CSRF.0, CSRF.1)
        .header(header::COOKIE, format!("wtm_refresh={c0}"))
        .header("DPoP", key.proof("POST", &s.url("/auth/logout"), json!({})))
        .send()
        .await
        .expect("logout");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = s.refresh(&c0, Some(s.refresh_proof(&key, json!({})))).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json_of(res).await["error"], "invalid_grant", "revoked by the logout");
}

#[tokio::test]
async fn cors_allows_the_dpop_header_and_exposes_the_nonce() {
    let s = start(Config { dpop_nonce: Some(60), ..Config::default() }).await;
    let pre = s
        .http
        .request(reqwest::Method::OPTIONS, s.url("/api/me"))
        .header("Origin", ORIGIN)
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "authorization,dpop")
        .send()
        .await
        .expect("preflight");
    assert!(pre.status().is_success());
    let allowed = hdr(&pre, "access-control-allow-headers").unwrap_or_default().to_ascii_lowercase();
    assert!(allowed.contains("dpop") && allowed.contains("authorization"), "{allowed}");
    let res = s.http.get(s.url("/api/me")).header("Origin", ORIGIN).send().await.expect("get");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let exposed = hdr(&res, "access-control-expose-headers").unwrap_or_default().to_ascii_lowercase();
    assert!(exposed.contains("dpop-nonce") && exposed.contains("www-authenticate"), "{exposed}");
    assert!(hdr(&res, "dpop-nonce").is_some());
}

#[tokio::test]
async fn https_behind_a_proxy_and_the_request_record() {
    let s = start_dpop().await;
    let key = Key::new();
    let https_url = s.url("/auth/login").replacen("http://", "https://", 1);
    let res = s
        .http
        .post(s.url("/auth/login"))
        .header("x-forwarded-proto", "https")
        .header("DPoP", key.proof("POST", &https_url, json!({})))
        .json(&json!({"username":"demo","password":"demo"}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), StatusCode::OK, "htu is https:// behind X-Forwarded-Proto: https");
    let reqs = json_of(s.http.get(s.url("/__test/requests")).send().await.expect("requests")).await;
    assert_eq!(reqs[0]["hasDpop"], true);
}

#[tokio::test]
async fn step_up_and_scope_challenges_name_the_dpop_scheme_for_bound_tokens() {
    let s = start_dpop().await;
    let key = Key::new();
    let (token, _) = s.login_with(&key, None).await;
    let get = |path: &'static str| {
        let proof = s.proof(&key, "GET", path, json!({ "ath": ath(&token) }));
        s.http.get(s.url(path)).header(header::AUTHORIZATION, format!("DPoP {token}")).header("DPoP", proof).send()
    };
    let res = get("/api/sensitive").await.expect("sensitive");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        hdr(&res, "www-authenticate").as_deref(),
        Some(
            r#"DPoP error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="mfa""#
        )
    );
    let res = get("/api/admin").await.expect("admin");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(hdr(&res, "www-authenticate").as_deref(), Some(r#"DPoP error="insufficient_scope", scope="admin""#));
    assert_eq!(s.counters().await["dpopAccepted"], 3, "the login's proof and both API proofs");
}

/// A family bound at login stays bound: with DPoP switched off since, its cookie still needs a
/// proof by the family's key, and one without rotates nothing.
#[tokio::test]
async fn a_bound_family_needs_its_proof_after_dpop_is_switched_off() {
    let s = start_dpop().await;
    let key = Key::new();
    let (_, cookie) = s.login_with(&key, None).await;
    assert_eq!(s.control("/__test/config", json!({"dpop": false})).await, StatusCode::NO_CONTENT);
    let bare = s.refresh(&cookie, None).await;
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED, "no proof for a bound family");
    assert!(cookie_of(&bare).is_none());
    let proved = s.refresh(&cookie, Some(s.refresh_proof(&key, json!({})))).await;
    assert_eq!(proved.status(), StatusCode::OK, "the same cookie, with its key's proof");
}
