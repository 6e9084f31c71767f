//! DPoP (RFC 9449): proof verification (§4.3) with jwt-compact's ES256 over P-256, RFC 7638
//! key thumbprints, the replay memory for `jti`s, and rotating server nonces (§8, §9).

use std::collections::{BTreeMap, HashMap};

use base64ct::{Base64UrlUnpadded, Encoding};
use jwt_compact::alg::Es256;
use jwt_compact::jwk::JsonWebKey;
use jwt_compact::{Algorithm, AlgorithmExt, UntrustedToken, ValidationError};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The only proof algorithm accepted.
pub const ALG: &str = "ES256";
/// The `typ` a proof must carry.
pub const TYP: &str = "dpop+jwt";
/// How far a proof's `iat` may be from the server clock, either way.
pub const IAT_WINDOW_MS: i64 = 60_000;
/// How long a seen `jti` is remembered (well past the `iat` window on both sides).
pub const JTI_KEEP_MS: i64 = 300_000;
/// The request header carrying the proof.
pub const HEADER: &str = "dpop";
/// The response header carrying the current server nonce.
pub const NONCE_HEADER: &str = "dpop-nonce";

type VerifyingKey = <Es256 as Algorithm>::VerifyingKey;

/// Why a proof (or a DPoP-bound request) was refused; `as_str` names the counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reject {
    /// No `DPoP` header where one was required.
    Missing,
    /// Not a JWS, several `DPoP` headers, unreadable header/claims, no usable `jwk`, no `jti`.
    Malformed,
    /// `alg` is not ES256 (`none`, HS256, RS256, ...).
    Alg,
    /// `typ` is not `dpop+jwt`.
    Typ,
    /// The `jwk` header holds private key material (`d`, or a symmetric key).
    PrivateKey,
    /// The signature does not verify with the header's `jwk`.
    Signature,
    Htm,
    Htu,
    /// `iat` missing or more than 60 s away from the server clock.
    Iat,
    /// This `jti` was already used with this key.
    JtiReplay,
    /// `ath` missing or not the hash of the presented access token.
    Ath,
    /// The proof key is not the key the token / refresh-token family is bound to.
    KeyMismatch,
    /// Nonce mode is on and the proof has no current nonce.
    Nonce,
    /// A DPoP-bound access token was presented with the `Bearer` scheme.
    BearerScheme,
}

impl Reject {
    pub const ALL: [Reject; 14] = [
        Reject::Missing,
        Reject::Malformed,
        Reject::Alg,
        Reject::Typ,
        Reject::PrivateKey,
        Reject::Signature,
        Reject::Htm,
        Reject::Htu,
        Reject::Iat,
        Reject::JtiReplay,
        Reject::Ath,
        Reject::KeyMismatch,
        Reject::Nonce,
        Reject::BearerScheme,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Malformed => "malformed",
            Self::Alg => "alg",
            Self::Typ => "typ",
            Self::PrivateKey => "private_key",
            Self::Signature => "signature",
            Self::Htm => "htm",
            Self::Htu => "htu",
            Self::Iat => "iat",
            Self::JtiReplay => "jti_replay",
            Self::Ath => "ath",
            Self::KeyMismatch => "key_mismatch",
            Self::Nonce => "nonce",
            Self::BearerScheme => "bearer_scheme",
        }
    }
}

/// Rejections per reason, every reason present (0 until seen), for `GET /__test/counters`.
#[derive(Debug, Clone)]
pub struct ReasonCounts(BTreeMap<&'static str, u64>);

impl Default for ReasonCounts {
    fn default() -> Self {
        Self(Reject::ALL.iter().map(|r| (r.as_str(), 0)).collect())
    }
}

impl ReasonCounts {
    pub fn add(&mut self, r: Reject) {
        *self.0.entry(r.as_str()).or_default() += 1;
    }
}

impl Serialize for ReasonCounts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// What the request must match.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The request method (`htm`).
    pub method: &'a str,
    /// The URL the request was sent to, without query (`htu`).
    pub url: &'a str,
    /// Server clock, ms.
    pub now_ms: i64,
    /// In nonce mode: the nonces accepted (current and previous).
    pub nonces: Option<&'a [String]>,
    /// At a resource: the access token presented (checked against `ath`).
    pub access_token: Option<&'a str>,
    /// The thumbprint the proof key must have (a bound token or refresh-token family).
    pub jkt: Option<&'a str>,
}

/// Claims of a proof (`iat` read separately by jwt-compact).
#[derive(Debug, Deserialize)]
struct ProofClaims {
    #[serde(default)]
    jti: Option<String>,
    #[serde(default)]
    htm: Option<String>,
    #[serde(default)]
    htu: Option<String>,
    #[serde(default)]
    ath: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
}

/// `jti`s seen recently, per key, so a proof is accepted once.
#[derive(Debug, Default)]
pub struct SeenJtis {
    until_ms: HashMap<String, i64>,
}

impl SeenJtis {
    /// Remember `jkt`+`jti` (false if it was already seen and is still remembered).
    fn insert(&mut self, jkt: &str, jti: &str, now_ms: i64) -> bool {
        self.until_ms.retain(|_, until| *until > now_ms);
        let key = format!("{jkt} {jti}");
        if self.until_ms.contains_key(&key) {
            return false;
        }
        self.until_ms.insert(key, now_ms.saturating_add(JTI_KEEP_MS));
        true
    }

    pub fn len(&self) -> usize {
        self.until_ms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.until_ms.is_empty()
    }
}

/// base64url(SHA-256(`access_token`)), the `ath` claim.
pub fn ath(access_token: &str) -> String {
    Base64UrlUnpadded::encode_string(&Sha256::digest(access_token.as_bytes()))
}

/// The RFC 7638 thumbprint (SHA-256, base64url) of a JWK.
pub fn thumbprint(jwk: &JsonWebKey<'_>) -> String {
    Base64UrlUnpadded::encode_string(&jwk.thumbprint::<Sha256>())
}

/// Verify `proof` (RFC 9449 §4.3) against what the request must match; on success the
/// `jti` is remembered and the proof key's thumbprint returned.
///
/// Checks, in order: a JWS with a JSON header (malformed), `typ`, `alg`, `jwk` a public
/// P-256 key (private_key / malformed), signature, `jti` present (malformed), `htm`, `htu`,
/// `iat`, `nonce` (nonce mode), `ath` (at a resource), key binding (key_mismatch), `jti`
/// unseen (jti_replay).
pub fn verify(proof: &str, want: &Expected<'_>, seen: &mut SeenJtis) -> Result<String, Reject> {
    let token = UntrustedToken::<Map<String, Value>>::try_from(proof.trim()).map_err(|_| Reject::Malformed)?;
    let typ_ok = token.header().token_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(TYP));
    if !typ_ok {
        return Err(Reject::Typ);
    }
    if token.algorithm() != ALG {
        return Err(Reject::Alg);
    }
    let Some(Value::Object(raw_jwk)) = token.header().other_fields.get("jwk") else {
        return Err(Reject::Malformed);
    };
    // Private parts of any key type (EC/OKP/RSA `d`, RSA factors, symmetric `k`).
    if ["d", "p", "q", "dp", "dq", "qi", "oth", "k"].iter().any(|f| raw_jwk.contains_key(*f)) {
        return Err(Reject::PrivateKey);
    }
    let jwk: JsonWebKey<'static> =
        serde_json::from_value(Value::Object(raw_jwk.clone())).map_err(|_| Reject::Malformed)?;
    if jwk.is_signing_key() {
        return Err(Reject::PrivateKey);
    }
    let key = VerifyingKey::try_from(&jwk).map_err(|_| Reject::Malformed)?;
    let verified = Es256.validator::<ProofClaims>(&key).validate(&token).map_err(|e| match e {
        ValidationError::MalformedClaims(_) => Reject::Malformed,
        _ => Reject::Signature,
    })?;
    let claims = verified.claims();
    let c = &claims.custom;
    let jti = c.jti.as_deref().filter(|j| !j.is_empty() && j.len() <= 256).ok_or(Reject::Malformed)?;
    if c.htm.as_deref() != Some(want.method) {
        return Err(Reject::Htm);
    }
    let htu_ok = c.htu.as_deref().and_then(normalize_url).is_some_and(|u| Some(u) == normalize_url(want.url));
    if !htu_ok {
        return Err(Reject::Htu);
    }
    let iat_ms = claims.issued_at.map(|t| t.timestamp_millis()).ok_or(Reject::Iat)?;
    if (iat_ms - want.now_ms).abs() > IAT_WINDOW_MS {
        return Err(Reject::Iat);
    }
    if let Some(accepted) = want.nonces {
        if !c.nonce.as_ref().is_some_and(|n| accepted.contains(n)) {
            return Err(Reject::Nonce);
        }
    }
    if let Some(at) = want.access_token {
        if c.ath.as_deref() != Some(ath(at).as_str()) {
            return Err(Reject::Ath);
        }
    }
    let jkt = thumbprint(&jwk);
    if want.jkt.is_some_and(|bound| bound != jkt) {
        return Err(Reject::KeyMismatch);
    }
    if !seen.insert(&jkt, jti, want.now_ms) {
        return Err(Reject::JtiReplay);
    }
    Ok(jkt)
}

/// `htu` comparison form (RFC 9449 §4.3 step 9): no query or fragment, scheme and host
/// lower-cased, default port dropped, empty path as `/`. `None` if not an http(s) URL.
pub fn normalize_url(url: &str) -> Option<String> {
    let url = url.split(['?', '#']).next().unwrap_or("");
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => return None,
    };
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let mut authority = authority.to_ascii_lowercase();
    if authority.ends_with(default_port) {
        authority.truncate(authority.len() - default_port.len());
    }
    Some(format!("{scheme}://{authority}{path}"))
}

/// Server nonces: derived from a per-server secret and the current period, so the current
/// and the previous one are accepted without keeping any state.
pub struct Nonces {
    secret: [u8; 32],
}

impl Nonces {
    pub fn generate() -> Self {
        use rand::RngCore;
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        Self { secret }
    }

    /// `[current, previous]` for periods of `period_s` seconds at server time `now_ms`.
    pub fn at(&self, period_s: u64, now_ms: i64) -> [String; 2] {
        let period_ms = (period_s.max(1) as i64).saturating_mul(1000);
        let n = now_ms.div_euclid(period_ms);
        [self.nonce(period_s, n), self.nonce(period_s, n - 1)]
    }

    fn nonce(&self, period_s: u64, n: i64) -> String {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(period_s.to_be_bytes());
        h.update(n.to_be_bytes());
        Base64UrlUnpadded::encode_string(&h.finalize()[..24])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jwt_compact::alg::{Hs256, Hs256Key, SigningKey as _};
    use jwt_compact::{Claims, Header};
    use serde_json::json;

    type Sk = <Es256 as Algorithm>::SigningKey;

    const URL: &str = "http://127.0.0.1:8787/api/me";
    const NOW_MS: i64 = 1_700_000_000_000;

    /// RFC 9449 Figure 2: a proof for `POST https://server.example.com/token` at iat
    /// 1562262616, and (Figure 9) its key's thumbprint.
    const RFC_PROOF: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";
    const RFC_JKT: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

    struct Key(Sk);

    impl Key {
        fn new() -> Self {
            use rand::RngCore;
            loop {
                let mut b = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut b);
                if let Ok(sk) = Sk::from_slice(&b) {
                    return Self(sk);
                }
            }
        }

        fn public_jwk(&self) -> Value {
            let vk = self.0.to_verifying_key();
            serde_json::to_value(JsonWebKey::from(&vk)).expect("jwk")
        }

        fn jkt(&self) -> String {
            let vk = self.0.to_verifying_key();
            let jwk = JsonWebKey::from(&vk);
            thumbprint(&jwk)
        }

        fn sign(&self, header: Value, claims: Value) -> String {
            let header = Header::new(header).with_token_type(TYP);
            Es256.token(&header, &Claims::new(claims), &self.0).expect("sign")
        }

        fn proof(&self, claims: Value) -> String {
            self.sign(json!({ "jwk": self.public_jwk() }), claims)
        }
    }

    fn claims(htm: &str, htu: &str, iat_s: i64) -> Value {
        json!({ "jti": crate::random::new_token(), "htm": htm, "htu": htu, "iat": iat_s })
    }

    fn want<'a>() -> Expected<'a> {
        Expected { method: "GET", url: URL, now_ms: NOW_MS, nonces: None, access_token: None, jkt: None }
    }

    fn check(proof: &str, want: &Expected<'_>) -> Result<String, Reject> {
        verify(proof, want, &mut SeenJtis::default())
    }

    fn b64(v: &Value) -> String {
        Base64UrlUnpadded::encode_string(v.to_string().as_bytes())
    }

    #[test]
    fn rfc9449_example_proof_and_thumbprint() {
        let want = Expected {
            method: "POST",
            url: "https://server.example.com/token",
            now_ms: 1_562_262_616_000 + 30_000,
            ..want()
        };
        assert_eq!(check(RFC_PROOF, &want).as_deref(), Ok(RFC_JKT));
        let jwk: JsonWebKey<'static> = serde_json::from_value(json!({
            "kty": "EC", "crv": "P-256",
            "x": "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
            "y": "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA",
        }))
        .expect("jwk");
        assert_eq!(thumbprint(&jwk), RFC_JKT);
        assert_eq!(check(RFC_PROOF, &Expected { method: "GET", ..want }), Err(Reject::Htm));
        assert_eq!(check(RFC_PROOF, &Expected { now_ms: NOW_MS, ..want }), Err(Reject::Iat));
    }

    #[test]
    fn accepts_a_resource_proof_with_ath_nonce_and_bound_key() {
        let k = Key::new();
        let token = "eyJhbGciOiJFZERTQSJ9.e30.sig";
        let mut c = claims("GET", URL, NOW_MS / 1000);
        c["ath"] = ath(token).into();
        c["nonce"] = "n-prev".into();
        let nonces = ["n-cur".to_owned(), "n-prev".to_owned()];
        let jkt = k.jkt();
        let w = Expected { access_token: Some(token), nonces: Some(&nonces), jkt: Some(&jkt), ..want() };
        assert_eq!(check(&k.proof(c), &w), Ok(jkt.clone()));
        // The header's jwk may carry extra public members (WebCrypto exports `ext`, `key_ops`).
        let mut jwk = k.public_jwk();
        jwk["ext"] = true.into();
        jwk["key_ops"] = json!(["verify"]);
        let p = k.sign(json!({ "jwk": jwk }), claims("GET", URL, NOW_MS / 1000));
        assert_eq!(check(&p, &want()), Ok(jkt));
    }

    #[test]
    fn htu_ignores_query_fragment_case_and_default_port() {
        let k = Key::new();
        for htu in ["http://127.0.0.1:8787/api/me?x=1", "HTTP://127.0.0.1:8787/api/me#f"] {
            assert!(check(&k.proof(claims("GET", htu, NOW_MS / 1000)), &want()).is_ok(), "{htu}");
        }
        let w = Expected { url: "http://example.com/api/me", ..want() };
        assert!(check(&k.proof(claims("GET", "http://Example.COM:80/api/me", NOW_MS / 1000)), &w).is_ok());
        for htu in
            ["http://127.0.0.1:8787/api/ping", "https://127.0.0.1:8787/api/me", "http://127.0.0.1/api/me", "/api/me"]
        {
            assert_eq!(check(&k.proof(claims("GET", htu, NOW_MS / 1000)), &want()), Err(Reject::Htu), "{htu}");
        }
    }

    #[test]
    fn rejects_each_failure() {
        let k = Key::new();
        let now_s = NOW_MS / 1000;
        let token = "at";
        let mut good = claims("GET", URL, now_s);
        good["ath"] = ath(token).into();
        let resource = Expected { access_token: Some(token), ..want() };
        assert!(check(&k.proof(good.clone()), &resource).is_ok());
        let with = |f: &str, v: Value| {
            let mut c = good.clone();
            c[f] = v;
            c
        };
        let cases = [
            ("wrong htm", with("htm", "POST".into()), Reject::Htm),
            ("wrong htu", with("htu", "http://127.0.0.1:8787/api/ping".into()), Reject::Htu),
            ("wrong ath", with("ath", ath("other").into()), Reject::Ath),
            ("old iat", with("iat", (now_s - 61).into()), Reject::Iat),
            ("future iat", with("iat", (now_s + 61).into()), Reject::Iat),
            ("missing ath", with("ath", Value::Null), Reject::Ath),
        ];
        for (name, c, reject) in cases {
            assert_eq!(check(&k.proof(c), &resource), Err(reject), "{name}");
        }
        let mut no_jti = good.clone();
        no_jti.as_object_mut().expect("obj").remove("jti");
        assert_eq!(check(&k.proof(no_jti), &resource), Err(Reject::Malformed));
        let mut no_iat = good.clone();
        no_iat.as_object_mut().expect("obj").remove("iat");
        assert_eq!(check(&k.proof(no_iat), &resource), Err(Reject::Iat));

        // Another key than the bound one.
        let other = Key::new().jkt();
        let bound = Expected { jkt: Some(&other), ..resource };
        assert_eq!(check(&k.proof(good.clone()), &bound), Err(Reject::KeyMismatch));

        // Missing nonce, stale nonce.
        let nonces = ["cur".to_owned(), "prev".to_owned()];
        let nonce_mode = Expected { nonces: Some(&nonces), ..resource };
        assert_eq!(check(&k.proof(good.clone()), &nonce_mode), Err(Reject::Nonce));
        assert_eq!(check(&k.proof(with("nonce", "older".into())), &nonce_mode), Err(Reject::Nonce));
        assert!(check(&k.proof(with("nonce", "cur".into())), &nonce_mode).is_ok());
    }

    #[test]
    fn replayed_jti_is_refused() {
        let k = Key::new();
        let mut seen = SeenJtis::default();
        let p = k.proof(claims("GET", URL, NOW_MS / 1000));
        assert!(verify(&p, &want(), &mut seen).is_ok());
        assert_eq!(verify(&p, &want(), &mut seen), Err(Reject::JtiReplay));
        // A refused proof does not burn its jti.
        let p2 = k.proof(claims("GET", URL, NOW_MS / 1000));
        assert_eq!(verify(&p2, &Expected { method: "POST", ..want() }, &mut seen), Err(Reject::Htm));
        assert!(verify(&p2, &want(), &mut seen).is_ok());
        // Forgotten after JTI_KEEP_MS (by then its iat is long out of the window anyway).
        assert_eq!(seen.len(), 2);
        let p3 = k.proof(claims("GET", URL, (NOW_MS + JTI_KEEP_MS) / 1000));
        assert!(verify(&p3, &Expected { now_ms: NOW_MS + JTI_KEEP_MS, ..want() }, &mut seen).is_ok());
        assert_eq!(seen.len(), 1);
    }

    #[test]
    fn rejects_bad_headers_keys_and_signatures() {
        let k = Key::new();
        let c = claims("GET", URL, NOW_MS / 1000);
        let jwk = k.public_jwk();
        // alg none, unsigned.
        let none = format!("{}.{}.", b64(&json!({"typ": TYP, "alg": "none", "jwk": jwk})), b64(&c));
        assert_eq!(check(&none, &want()), Err(Reject::Alg));
        // HS256 with the public key as the "secret" (and a jwk header).
        let hs = Hs256.token(
            &Header::new(json!({ "jwk": jwk })).with_token_type(TYP),
            &Claims::new(c.clone()),
            &Hs256Key::new(b"secret"),
        );
        assert_eq!(check(&hs.expect("hs"), &want()), Err(Reject::Alg));
        // Wrong typ.
        let jwt_typ =
            Es256.token(&Header::new(json!({ "jwk": jwk })).with_token_type("JWT"), &Claims::new(c.clone()), &k.0);
        assert_eq!(check(&jwt_typ.expect("sign"), &want()), Err(Reject::Typ));
        // Private key in the header.
        let private = serde_json::to_value(JsonWebKey::from(&k.0)).expect("jwk");
        assert!(private.get("d").is_some());
        assert_eq!(check(&k.sign(json!({ "jwk": private }), c.clone()), &want()), Err(Reject::PrivateKey));
        // Signed by another key than the header's jwk.
        let other = Key::new();
        assert_eq!(check(&other.sign(json!({ "jwk": jwk }), c.clone()), &want()), Err(Reject::Signature));
        // Tampered claims.
        let p = k.proof(c.clone());
        let parts: Vec<&str> = p.split('.').collect();
        let mut c2 = c.clone();
        c2["htm"] = "POST".into();
        let tampered = format!("{}.{}.{}", parts[0], b64(&c2), parts[2]);
        assert_eq!(check(&tampered, &Expected { method: "POST", ..want() }), Err(Reject::Signature));
        // No jwk, a jwk of another curve / type, garbage.
        assert_eq!(check(&k.sign(json!({}), c.clone()), &want()), Err(Reject::Malformed));
        let okp = json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
        assert_eq!(check(&k.sign(json!({ "jwk": okp }), c.clone()), &want()), Err(Reject::Malformed));
        for garbage in ["", "a.b", "a.b.c", "not a jwt at all"] {
            assert_eq!(check(garbage, &want()), Err(Reject::Malformed), "{garbage:?}");
        }
    }

    #[test]
    fn nonces_rotate_per_period() {
        let n = Nonces::generate();
        let [cur, prev] = n.at(10, 1_000_000);
        assert_ne!(cur, prev);
        assert_eq!(n.at(10, 1_009_999), [cur.clone(), prev.clone()]);
        let [next, was] = n.at(10, 1_010_000);
        assert_eq!(was, cur);
        assert_ne!(next, cur);
        assert_ne!(Nonces::generate().at(10, 1_000_000)[0], cur, "per-server secret");
    }

    #[test]
    fn reason_counts_list_every_reason() {
        let mut r = ReasonCounts::default();
        r.add(Reject::KeyMismatch);
        let v = serde_json::to_value(&r).expect("json");
        assert_eq!(v.as_object().map(|o| o.len()), Some(14));
        assert_eq!(v["key_mismatch"], 1);
        assert_eq!(v["bearer_scheme"], 0);
    }
}
