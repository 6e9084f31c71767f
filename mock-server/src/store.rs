//! Refresh-token families: rotation, reuse detection with a grace window, revocation.
//! Tokens are 256 random bits; only their SHA-256 hashes are kept, except that the current
//! token of a family is held in memory for the grace window after a rotation, because a late
//! request with its predecessor is answered with it (so concurrent tabs converge on one cookie).

use std::collections::HashMap;
use std::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub type TokenHash = [u8; 32];

pub fn hash(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    Base64UrlUnpadded::encode_string(&bytes)
}

#[derive(Debug)]
struct Family {
    sub: String,
    /// Absolute end of the family, ms (server clock). Never moved by rotation.
    expires_at_ms: i64,
    current: TokenHash,
    grace: Option<Grace>,
    revoked: bool,
    /// The DPoP key (RFC 7638 thumbprint) the family is bound to, if it was started with a
    /// proof: every refresh must then come with a proof by that key.
    jkt: Option<String>,
}

struct Grace {
    predecessor: TokenHash,
    current_token: String,
    until_ms: i64,
}

impl fmt::Debug for Grace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Grace")
            .field("current_token", &"[redacted]")
            .field("until_ms", &self.until_ms)
            .finish_non_exhaustive()
    }
}

/// What presenting a refresh token led to. (`Debug` redacts the tokens.)
#[derive(PartialEq, Eq)]
pub enum Presented {
    /// Rotated: a new token was issued for the family.
    Rotated { sub: String, token: String, expires_at_ms: i64 },
    /// The immediate predecessor inside the grace window: answered with the current token.
    GraceReplay { sub: String, token: String, expires_at_ms: i64 },
    /// Reuse of an old token: the whole family is now revoked.
    ReuseDetected,
    /// Unknown, expired, or already revoked.
    Invalid,
}

impl fmt::Debug for Presented {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rotated { sub, .. } => write!(f, "Rotated {{ sub: {sub:?}, token: [redacted] }}"),
            Self::GraceReplay { sub, .. } => write!(f, "GraceReplay {{ sub: {sub:?}, token: [redacted] }}"),
            Self::ReuseDetected => f.write_str("ReuseDetected"),
            Self::Invalid => f.write_str("Invalid"),
        }
    }
}

#[derive(Debug, Default)]
pub struct Store {
    families: HashMap<u64, Family>,
    /// Every token hash ever issued → its family (to recognise reuse of any old token).
    issued: HashMap<TokenHash, u64>,
    next_id: u64,
    pub revoked_families: u64,
}

impl Store {
    /// Start a family (login), bound to the DPoP key `jkt` if given. Returns the refresh token.
    pub fn create(&mut self, sub: &str, now_ms: i64, ttl_ms: i64, jkt: Option<&str>) -> (String, i64) {
        let token = new_token();
        let h = hash(&token);
        self.next_id += 1;
        let expires_at_ms = now_ms.saturating_add(ttl_ms);
        self.families.insert(
            self.next_id,
            Family {
                sub: sub.to_owned(),
                expires_at_ms,
                current: h,
                grace: None,
                revoked: false,
                jkt: jkt.map(str::to_owned),
            },
        );
        self.issued.insert(h, self.next_id);
        (token, expires_at_ms)
    }

    /// Present a refresh token (refresh endpoint). Atomic under the caller's lock.
    pub fn present(&mut self, token: &str, now_ms: i64, grace_ms: i64) -> Presented {
        let h = hash(token);
        let Some(&id) = self.issued.get(&h) else { return Presented::Invalid };
        let Some(fam) = self.families.get_mut(&id) else { return Presented::Invalid };
        if fam.revoked || now_ms >= fam.expires_at_ms {
            return Presented::Invalid;
        }
        if fam.current == h {
            let token = new_token();
            let new_hash = hash(&token);
            fam.grace = (grace_ms > 0).then(|| Grace {
                predecessor: h,
                current_token: token.clone(),
                until_ms: now_ms + grace_ms,
            });
            fam.current = new_hash;
            self.issued.insert(new_hash, id);
            return Presented::Rotated { sub: fam.sub.clone(), token, expires_at_ms: fam.expires_at_ms };
        }
        if let Some(g) = &fam.grace {
            if g.predecessor == h && now_ms < g.until_ms {
                return Presented::GraceReplay {
                    sub: fam.sub.clone(),
                    token: g.current_token.clone(),
                    expires_at_ms: fam.expires_at_ms,
                };
            }
        }
        fam.revoked = true;
        fam.grace = None;
        self.revoked_families += 1;
        Presented::ReuseDetected
    }

    /// Revoke the family of `token` (logout). Returns whether a live family was revoked.
    pub fn revoke(&mut self, token: &str) -> bool {
        let Some(id) = self.issued.get(&hash(token)) else { return false };
        match self.families.get_mut(id) {
            Some(f) if !f.revoked => {
                f.revoked = true;
                f.grace = None;
                true
            }
            _ => false,
        }
    }

    /// Drop grace copies whose window has passed (called on every request).
    pub fn expire_grace(&mut self, now_ms: i64) {
        for f in self.families.values_mut() {
            if f.grace.as_ref().is_some_and(|g| now_ms >= g.until_ms) {
                f.grace = None;
            }
        }
    }

    /// The DPoP key the family of `token` (current or any earlier token) is bound to. Read
    /// before presenting the token, so a request without that key changes nothing.
    pub fn binding(&self, token: &str) -> Option<&str> {
        let id = self.issued.get(&hash(token))?;
        self.families.get(id)?.jkt.as_deref()
    }

    /// Is the family of `token` revoked? (`None` = unknown token.)
    pub fn is_revoked(&self, token: &str) -> Option<bool> {
        let id = self.issued.get(&hash(token))?;
        self.families.get(id).map(|f| f.revoked)
    }

    /// What is stored, for the hashed-storage check: hex hashes and live grace copies.
    pub fn dump(&self) -> serde_json::Value {
        let hex = |h: &TokenHash| h.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let families: Vec<_> = self
            .families
            .iter()
            .map(|(id, f)| {
                serde_json::json!({
                    "id": id, "sub": f.sub, "revoked": f.revoked, "expiresAtMs": f.expires_at_ms,
                    "currentHash": hex(&f.current), "graceCopyHeld": f.grace.is_some(), "jkt": f.jkt,
                })
            })
            .collect();
        serde_json::json!({ "families": families, "issuedHashes": self.issued.keys().map(hex).collect::<Vec<_>>() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_reuse_and_grace() {
        let mut s = Store::default();
        let (t0, exp) = s.create("demo", 0, 1_000_000, None);
        let Presented::Rotated { token: t1, expires_at_ms, .. } = s.present(&t0, 100, 10_000) else { panic!("rotate") };
        assert_eq!(expires_at_ms, exp, "rotation never extends the family");
        // Predecessor inside the grace window: answered with the current token.
        assert!(matches!(s.present(&t0, 5_000, 10_000), Presented::GraceReplay { token, .. } if token == t1));
        // Predecessor after the window: reuse → revoked.
        assert_eq!(s.present(&t0, 10_100, 10_000), Presented::ReuseDetected);
        assert_eq!(s.present(&t1, 10_200, 10_000), Presented::Invalid, "whole family revoked");
        assert_eq!(s.revoked_families, 1);
    }

    #[test]
    fn only_the_immediate_predecessor_gets_grace() {
        let mut s = Store::default();
        let (t0, _) = s.create("demo", 0, 1_000_000, None);
        let Presented::Rotated { token: t1, .. } = s.present(&t0, 1, 10_000) else { panic!() };
        let Presented::Rotated { .. } = s.present(&t1, 2, 10_000) else { panic!() };
        assert_eq!(s.present(&t0, 3, 10_000), Presented::ReuseDetected);
    }

    #[test]
    fn zero_grace_revokes_on_any_reuse() {
        let mut s = Store::default();
        let (t0, _) = s.create("demo", 0, 1_000_000, None);
        assert!(matches!(s.present(&t0, 1, 0), Presented::Rotated { .. }));
        assert_eq!(s.present(&t0, 1, 0), Presented::ReuseDetected);
    }

    #[test]
    fn family_expiry_and_unknown() {
        let mut s = Store::default();
        let (t0, _) = s.create("demo", 0, 1_000, None);
        assert_eq!(s.present(&t0, 1_000, 0), Presented::Invalid);
        assert_eq!(s.present("not-a-token", 1, 0), Presented::Invalid);
    }

    #[test]
    fn debug_output_redacts_tokens() {
        let mut s = Store::default();
        let (t0, _) = s.create("demo", 0, 1_000_000, None);
        let presented = s.present(&t0, 1, 10_000);
        let Presented::Rotated { token: t1, .. } = &presented else { panic!("rotate") };
        for dump in [format!("{presented:?}"), format!("{s:?}")] {
            assert!(!dump.contains(&t0) && !dump.contains(t1.as_str()), "{dump}");
        }
        assert!(format!("{s:?}").contains("[redacted]"));
    }

    #[test]
    fn binding_is_kept_for_every_token_of_the_family() {
        let mut s = Store::default();
        let (t0, _) = s.create("demo", 0, 1_000_000, Some("jkt-1"));
        let Presented::Rotated { token: t1, .. } = s.present(&t0, 1, 0) else { panic!("rotate") };
        assert_eq!((s.binding(&t0), s.binding(&t1)), (Some("jkt-1"), Some("jkt-1")));
        let (u0, _) = s.create("demo", 0, 1_000_000, None);
        assert_eq!((s.binding(&u0), s.binding("unknown")), (None, None));
        assert_eq!(s.dump()["families"].as_array().map(|f| f.iter().filter(|f| f["jkt"] == "jkt-1").count()), Some(1));
    }

    #[test]
    fn stored_hashed() {
        let mut s = Store::default();
        let (t0, _) = s.create("demo", 0, 1_000, None);
        let dump = s.dump().to_string();
        assert!(!dump.contains(&t0));
        assert_eq!(t0.len(), 43, "256 bits, base64url");
    }
}
