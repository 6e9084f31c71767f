//! Access tokens: EdDSA (Ed25519) JWTs signed and verified with jwt-compact.

use base64ct::Encoding;
use chrono::{DateTime, Utc};
use ed25519_compact::{PublicKey, SecretKey};
use jwt_compact::{alg::Ed25519, jwk::JsonWebKey, AlgorithmExt, Claims, Header, TimeOptions, UntrustedToken};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub jti: String,
    /// How the user authenticated at login (RFC 9470): the first `acr_values` asked for at
    /// login, else [`ACR_PASSWORD`]. Kept by every refresh of the family.
    #[serde(default)]
    pub acr: String,
    /// When the user authenticated (login time, seconds since the epoch, server clock).
    #[serde(default)]
    pub auth_time: i64,
    /// Space-separated scopes granted at login (the login body's `scope`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// DPoP binding (RFC 9449 §6.1): present when the token was issued against a proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

/// The `cnf` claim: the RFC 7638 thumbprint of the key the token is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    pub jkt: String,
}

/// The `acr` of a plain username/password login.
pub const ACR_PASSWORD: &str = "pwd";

/// What a login established and every token of its refresh family repeats: who, how, when,
/// with which scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub sub: String,
    pub acr: String,
    pub auth_time_s: i64,
    pub scope: Option<String>,
}

impl Login {
    /// A password login of `sub` at `now_ms`: `acr` is the first of the space-separated
    /// `acr_values` asked for (else [`ACR_PASSWORD`]); `scope` is kept as asked (trimmed).
    pub fn new(sub: &str, now_ms: i64, acr_values: Option<&str>, scope: Option<&str>) -> Self {
        let acr = acr_values.and_then(|v| v.split_whitespace().next()).unwrap_or(ACR_PASSWORD);
        let scope = scope.map(str::trim).filter(|s| !s.is_empty());
        Self {
            sub: sub.to_owned(),
            acr: acr.to_owned(),
            auth_time_s: now_ms.div_euclid(1000),
            scope: scope.map(str::to_owned),
        }
    }

    /// Whether `scope` is among the granted scopes.
    pub fn has_scope(scope: Option<&str>, wanted: &str) -> bool {
        scope.is_some_and(|s| s.split_whitespace().any(|x| x == wanted))
    }
}

pub struct Signer {
    secret: SecretKey,
    public: PublicKey,
    kid: String,
}

/// Variants of a token, for fault injection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Normal,
    /// A token without `exp` (nor `expires_in` in the response).
    NoExp,
    /// An opaque token (not a JWS: `op_` + base64url of a signed JWT, which the API accepts),
    /// with `expires_in`, as servers that issue random access tokens do.
    Opaque,
}

const OPAQUE_PREFIX: &str = "op_";

impl Signer {
    pub fn generate() -> Self {
        let (secret, public) = Ed25519::generate(&mut rand::rngs::OsRng);
        let kid = crate::random::new_token()[..16].to_owned();
        Self { secret, public, kid }
    }

    /// Issue an access token; `jkt` binds it to a DPoP key (`cnf.jkt`).
    pub fn issue(
        &self,
        login: &Login,
        now_ms: i64,
        ttl_s: u64,
        variant: Variant,
        jkt: Option<&str>,
    ) -> Result<String, String> {
        let now =
            DateTime::<Utc>::from_timestamp_millis(now_ms - now_ms.rem_euclid(1000)).ok_or("clock out of range")?;
        let mut claims = Claims::new(AccessClaims {
            sub: login.sub.clone(),
            jti: crate::random::new_token()[..22].to_owned(),
            acr: login.acr.clone(),
            auth_time: login.auth_time_s,
            scope: login.scope.clone(),
            cnf: jkt.map(|j| Confirmation { jkt: j.to_owned() }),
        });
        claims.issued_at = Some(now);
        if variant != Variant::NoExp {
            claims.expiration = Some(now + chrono::Duration::seconds(ttl_s as i64));
        }
        let header = Header::empty().with_token_type("at+jwt").with_key_id(self.kid.clone());
        let jwt = Ed25519.token(&header, &claims, &self.secret).map_err(|e| e.to_string())?;
        Ok(match variant {
            Variant::Opaque => format!("{OPAQUE_PREFIX}{}", base64ct::Base64UrlUnpadded::encode_string(jwt.as_bytes())),
            _ => jwt,
        })
    }

    /// Verify signature, `typ` and expiry (server clock `now_ms`, no leeway).
    pub fn verify(&self, token: &str, now_ms: i64) -> Result<Claims<AccessClaims>, &'static str> {
        let unwrapped;
        let token = match token.strip_prefix(OPAQUE_PREFIX) {
            Some(b64) => {
                let bytes = base64ct::Base64UrlUnpadded::decode_vec(b64).map_err(|_| "malformed token")?;
                unwrapped = String::from_utf8(bytes).map_err(|_| "malformed token")?;
                unwrapped.as_str()
            }
            None => token,
        };
        let untrusted = UntrustedToken::new(token).map_err(|_| "malformed token")?;
        if untrusted.algorithm() != "EdDSA" {
            return Err("unexpected algorithm");
        }
        if untrusted.header().token_type.as_deref() != Some("at+jwt") {
            return Err("not an access token");
        }
        let verified =
            Ed25519.validator::<AccessClaims>(&self.public).validate(&untrusted).map_err(|_| "bad signature")?;
        let now = DateTime::<Utc>::from_timestamp_millis(now_ms).ok_or("clock out of range")?;
        let opts = TimeOptions::new(chrono::Duration::zero(), move || now);
        verified.claims().validate_expiration(&opts).map_err(|_| "token expired")?;
        Ok(verified.claims().clone())
    }

    pub fn jwks(&self) -> serde_json::Value {
        let jwk = JsonWebKey::from(&self.public);
        let mut v = serde_json::to_value(&jwk).unwrap_or_default();
        if let Some(obj) = v.as_object_mut() {
            obj.insert("kid".into(), self.kid.clone().into());
            obj.insert("alg".into(), "EdDSA".into());
            obj.insert("use".into(), "sig".into());
        }
        serde_json::json!({ "keys": [v] })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Login {
        Login::new("demo", 1_700_000_000_500, None, None)
    }

    #[test]
    fn login_acr_auth_time_and_scope() {
        for (acr_values, scope, want_acr, want_scope) in [
            (None, None, "pwd", None),
            (Some("mfa"), Some("admin"), "mfa", Some("admin")),
            (Some("  mfa hwk "), Some(" read admin "), "mfa", Some("read admin")),
            (Some(""), Some("  "), "pwd", None),
        ] {
            let l = Login::new("demo", 1_700_000_000_999, acr_values, scope);
            assert_eq!((l.acr.as_str(), l.scope.as_deref(), l.auth_time_s), (want_acr, want_scope, 1_700_000_000));
        }
        assert!(Login::has_scope(Some("read admin"), "admin"));
        assert!(!Login::has_scope(Some("administrator"), "admin"));
        assert!(!Login::has_scope(None, "admin"));
        let s = Signer::generate();
        let login = Login::new("demo", 1_700_000_000_500, Some("mfa"), Some("admin"));
        let t = s.issue(&login, 1_700_000_100_000, 300, Variant::Normal, None).expect("issue");
        let c = s.verify(&t, 1_700_000_100_000).expect("valid").custom;
        assert_eq!((c.acr.as_str(), c.auth_time, c.scope.as_deref()), ("mfa", 1_700_000_000, Some("admin")));
    }

    #[test]
    fn issue_and_verify() {
        let s = Signer::generate();
        let t = s.issue(&demo(), 1_700_000_000_500, 300, Variant::Normal, None).expect("issue");
        let c = s.verify(&t, 1_700_000_100_000).expect("valid");
        assert_eq!(c.custom.sub, "demo");
        assert_eq!(c.expiration.map(|e| e.timestamp()), Some(1_700_000_300));
        assert!(s.verify(&t, 1_700_000_300_001).is_err(), "expired");
        let other = Signer::generate();
        assert!(other.verify(&t, 1_700_000_000_000).is_err(), "foreign key");
        let mut tampered = t.clone();
        tampered.pop();
        tampered.push(if t.ends_with('A') { 'B' } else { 'A' });
        assert!(s.verify(&tampered, 1_700_000_000_000).is_err());
        let no_exp = s.issue(&demo(), 0, 300, Variant::NoExp, None).expect("issue");
        assert!(s.verify(&no_exp, 0).is_err(), "tokens without exp are not accepted by the API");
        let opaque = s.issue(&demo(), 1_700_000_000_500, 300, Variant::Opaque, None).expect("issue");
        assert!(opaque.starts_with("op_") && !opaque.contains('.'), "not a JWS: {opaque}");
        assert_eq!(s.verify(&opaque, 1_700_000_100_000).map(|c| c.custom.sub).ok().as_deref(), Some("demo"));
        assert!(s.verify(&opaque, 1_700_000_300_001).is_err(), "expires like the JWT inside");
        assert!(c.custom.cnf.is_none(), "unbound unless issued against a proof");
        let bound = s.issue(&demo(), 1_700_000_000_500, 300, Variant::Normal, Some("jkt-1")).expect("issue");
        let c = s.verify(&bound, 1_700_000_100_000).expect("valid");
        assert_eq!(c.custom.cnf, Some(Confirmation { jkt: "jkt-1".into() }));
    }
}
