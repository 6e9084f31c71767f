//! Refresh-token families: rotation, reuse detection with a grace window, revocation (one
//! family, or every family of a user: sign-out scopes), and the family's end (absolute, or
//! sliding with each rotation).
//! Tokens are 256 random bits; only their SHA-256 hashes are kept, except that the current
//! token of a family is held in memory for the grace window after a rotation, because a late
//! request with its predecessor is answered with it (so concurrent tabs converge on one cookie).

use std::collections::HashMap;
use std::fmt;

use sha2::{Digest, Sha256};

use crate::random::new_token;
use crate::tokens::Login;

pub type TokenHash = [u8; 32];

pub fn hash(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// Why a family was revoked (shown by `GET /__test/store`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeReason {
    /// An old refresh token of the family was presented outside the grace window.
    Reuse,
    /// `POST /auth/logout` (scope `local`) with a token of the family.
    Logout,
    /// Another family of the same user signed out with scope `others`.
    Others,
    /// A family of the same user (this one included) signed out with scope `global`.
    Global,
}

impl RevokeReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reuse => "reuse",
            Self::Logout => "logout",
            Self::Others => "others",
            Self::Global => "global",
        }
    }
}

/// Which families a sign-out of every session of a user revokes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSignOut {
    /// Every live family of the user but the presenting one.
    Others,
    /// Every live family of the user, the presenting one included.
    Global,
}

#[derive(Debug)]
struct Family {
    login: Login,
    /// End of the family, ms (server clock). Moved by rotation only in the sliding model.
    expires_at_ms: i64,
    current: TokenHash,
    grace: Option<Grace>,
    revoked: Option<RevokeReason>,
    /// The DPoP key (RFC 7638 thumbprint) the family is bound to, if it was started with a
    /// proof: every refresh must then come with a proof by that key.
    jkt: Option<String>,
}

impl Family {
    fn is_live(&self, now_ms: i64) -> bool {
        self.revoked.is_none() && now_ms < self.expires_at_ms
    }

    /// Would a refresh with this token be answered (rotation or grace replay)?
    fn accepts(&self, h: &TokenHash, now_ms: i64) -> bool {
        self.is_live(now_ms)
            && (self.current == *h || self.grace.as_ref().is_some_and(|g| g.predecessor == *h && now_ms < g.until_ms))
    }

    fn revoke(&mut self, reason: RevokeReason) {
        self.revoked = Some(reason);
        self.grace = None;
    }
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
    Rotated { login: Login, token: String, expires_at_ms: i64 },
    /// The immediate predecessor inside the grace window: answered with the current token.
    GraceReplay { login: Login, token: String, expires_at_ms: i64 },
    /// Reuse of an old token: the whole family is now revoked.
    ReuseDetected,
    /// Unknown, expired, or already revoked.
    Invalid,
}

impl fmt::Debug for Presented {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rotated { login, .. } => write!(f, "Rotated {{ sub: {:?}, token: [redacted] }}", login.sub),
            Self::GraceReplay { login, .. } => write!(f, "GraceReplay {{ sub: {:?}, token: [redacted] }}", login.sub),
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
    /// Families revoked for reuse (the `revokedFamilies` counter).
    pub revoked_families: u64,
}

impl Store {
    /// Start a family (login) that ends `ttl_ms` from now, bound to the DPoP key `jkt` if
    /// given. Returns the refresh token and the family's end.
    pub fn create(&mut self, login: Login, now_ms: i64, ttl_ms: i64, jkt: Option<&str>) -> (String, i64) {
        let token = new_token();
        let h = hash(&token);
        self.next_id += 1;
        let expires_at_ms = now_ms.saturating_add(ttl_ms);
        self.families.insert(
            self.next_id,
            Family { login, expires_at_ms, current: h, grace: None, revoked: None, jkt: jkt.map(str::to_owned) },
        );
        self.issued.insert(h, self.next_id);
        (token, expires_at_ms)
    }

    /// Present a refresh token (refresh endpoint). Atomic under the caller's lock. With
    /// `sliding_ttl_ms`, a rotation moves the family's end to now + that; without, the end
    /// never moves. A grace replay never moves it.
    pub fn present(&mut self, token: &str, now_ms: i64, grace_ms: i64, sliding_ttl_ms: Option<i64>) -> Presented {
        self.present_with(token, now_ms, grace_ms, sliding_ttl_ms, true)
    }

    /// [`Store::present`], except that with `revoke_on_reuse` false (the `no-reuse-detection`
    /// switch) a replayed old token is refused (`Invalid`) and its family left live.
    pub fn present_with(
        &mut self,
        token: &str,
        now_ms: i64,
        grace_ms: i64,
        sliding_ttl_ms: Option<i64>,
        revoke_on_reuse: bool,
    ) -> Presented {
        let h = hash(token);
        let Some(&id) = self.issued.get(&h) else { return Presented::Invalid };
        let Some(fam) = self.families.get_mut(&id) else { return Presented::Invalid };
        if !fam.is_live(now_ms) {
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
            if let Some(ttl) = sliding_ttl_ms {
                fam.expires_at_ms = now_ms.saturating_add(ttl);
            }
            self.issued.insert(new_hash, id);
            return Presented::Rotated { login: fam.login.clone(), token, expires_at_ms: fam.expires_at_ms };
        }
        if let Some(g) = &fam.grace {
            if g.predecessor == h && now_ms < g.until_ms {
                return Presented::GraceReplay {
                    login: fam.login.clone(),
                    token: g.current_token.clone(),
                    expires_at_ms: fam.expires_at_ms,
                };
            }
        }
        if !revoke_on_reuse {
            return Presented::Invalid;
        }
        fam.revoke(RevokeReason::Reuse);
        self.revoked_families += 1;
        Presented::ReuseDetected
    }

    /// The login and end of the live family whose current token is `token`, without rotating
    /// (the `no-rotation` switch); `None` for any other token.
    pub fn peek(&self, token: &str, now_ms: i64) -> Option<(Login, i64)> {
        let h = hash(token);
        let fam = self.families.get(self.issued.get(&h)?)?;
        (fam.is_live(now_ms) && fam.current == h).then(|| (fam.login.clone(), fam.expires_at_ms))
    }

    /// Revoke the family of `token`, any token it ever had (logout, scope `local`). Returns
    /// whether a family not yet revoked was revoked.
    pub fn revoke(&mut self, token: &str) -> bool {
        let Some(id) = self.issued.get(&hash(token)) else { return false };
        match self.families.get_mut(id) {
            Some(f) if f.revoked.is_none() => {
                f.revoke(RevokeReason::Logout);
                true
            }
            _ => false,
        }
    }

    /// Sign out other sessions (or all) of the user whose family `token` identifies. The
    /// token must be one a refresh would accept now (the family's current token, or its
    /// predecessor inside the grace window, of a live family); else `None` and nothing is
    /// revoked. Returns how many live families were revoked (expired ones are left as they
    /// are).
    pub fn sign_out_user(&mut self, token: &str, scope: UserSignOut, now_ms: i64) -> Option<u64> {
        let h = hash(token);
        let own = *self.issued.get(&h)?;
        let fam = self.families.get(&own)?;
        if !fam.accepts(&h, now_ms) {
            return None;
        }
        let sub = fam.login.sub.clone();
        let reason = match scope {
            UserSignOut::Others => RevokeReason::Others,
            UserSignOut::Global => RevokeReason::Global,
        };
        let mut n = 0;
        for (id, f) in &mut self.families {
            let keep = scope == UserSignOut::Others && *id == own;
            if !keep && f.login.sub == sub && f.is_live(now_ms) {
                f.revoke(reason);
                n += 1;
            }
        }
        Some(n)
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
        self.families.get(id).map(|f| f.revoked.is_some())
    }

    /// What is stored (hex hashes, live grace copies) and each family's state at `now_ms`,
    /// in the order the families were started. `revokeReason`: `reuse`, `logout`, `others`,
    /// `global`, or `expired` for a family past its end that was not revoked; `null` while
    /// live.
    pub fn dump(&self, now_ms: i64) -> serde_json::Value {
        let hex = |h: &TokenHash| h.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let mut ids: Vec<_> = self.families.keys().copied().collect();
        ids.sort_unstable();
        let families: Vec<_> = ids
            .iter()
            .filter_map(|id| self.families.get(id).map(|f| (id, f)))
            .map(|(id, f)| {
                let reason = match f.revoked {
                    Some(r) => Some(r.as_str()),
                    None => (now_ms >= f.expires_at_ms).then_some("expired"),
                };
                serde_json::json!({
                    "id": id, "sub": f.login.sub, "revoked": f.revoked.is_some(), "revokeReason": reason,
                    "expiresAtMs": f.expires_at_ms, "acr": f.login.acr, "authTime": f.login.auth_time_s,
                    "scope": f.login.scope, "currentHash": hex(&f.current), "graceCopyHeld": f.grace.is_some(),
                    "jkt": f.jkt,
                })
            })
            .collect();
        serde_json::json!({ "families": families, "issuedHashes": self.issued.keys().map(hex).collect::<Vec<_>>() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Login {
        user("demo")
    }

    fn user(sub: &str) -> Login {
        Login::new(sub, 0, None, None)
    }

    #[test]
    fn rotation_reuse_and_grace() {
        let mut s = Store::default();
        let (t0, exp) = s.create(demo(), 0, 1_000_000, None);
        let Presented::Rotated { token: t1, expires_at_ms, .. } = s.present(&t0, 100, 10_000, None) else {
            panic!("rotate")
        };
        assert_eq!(expires_at_ms, exp, "rotation never extends the family");
        // Predecessor inside the grace window: answered with the current token.
        assert!(matches!(s.present(&t0, 5_000, 10_000, None), Presented::GraceReplay { token, .. } if token == t1));
        // Predecessor after the window: reuse → revoked.
        assert_eq!(s.present(&t0, 10_100, 10_000, None), Presented::ReuseDetected);
        assert_eq!(s.present(&t1, 10_200, 10_000, None), Presented::Invalid, "whole family revoked");
        assert_eq!(s.revoked_families, 1);
    }

    #[test]
    fn only_the_immediate_predecessor_gets_grace() {
        let mut s = Store::default();
        let (t0, _) = s.create(demo(), 0, 1_000_000, None);
        let Presented::Rotated { token: t1, .. } = s.present(&t0, 1, 10_000, None) else { panic!() };
        let Presented::Rotated { .. } = s.present(&t1, 2, 10_000, None) else { panic!() };
        assert_eq!(s.present(&t0, 3, 10_000, None), Presented::ReuseDetected);
    }

    #[test]
    fn zero_grace_revokes_on_any_reuse() {
        let mut s = Store::default();
        let (t0, _) = s.create(demo(), 0, 1_000_000, None);
        assert!(matches!(s.present(&t0, 1, 0, None), Presented::Rotated { .. }));
        assert_eq!(s.dump(1)["families"][0]["graceCopyHeld"], false, "no grace: no copy of the token kept");
        assert_eq!(s.present(&t0, 1, 0, None), Presented::ReuseDetected);
    }

    #[test]
    fn peek_names_only_the_current_token_of_a_live_family() {
        let mut s = Store::default();
        let (t0, exp) = s.create(demo(), 0, 1_000_000, None);
        assert_eq!(s.peek(&t0, 1).map(|(l, e)| (l.sub, e)), Some(("demo".to_owned(), exp)));
        let Presented::Rotated { token: t1, .. } = s.present(&t0, 2, 10_000, None) else { panic!("rotate") };
        assert!(s.peek(&t0, 3).is_none(), "a predecessor, even inside the grace window");
        assert!(s.peek(&t1, 3).is_some());
        assert!(s.peek(&t1, exp).is_none(), "an expired family");
        assert!(s.revoke(&t1));
        assert!(s.peek(&t1, 4).is_none(), "a revoked family");
    }

    #[test]
    fn grace_copies_are_dropped_when_their_window_ends() {
        let mut s = Store::default();
        let (t0, _) = s.create(demo(), 0, 1_000_000, None);
        let Presented::Rotated { .. } = s.present(&t0, 1, 10_000, None) else { panic!("rotate") };
        s.expire_grace(10_000);
        assert_eq!(s.dump(10_000)["families"][0]["graceCopyHeld"], true, "inside the window");
        s.expire_grace(10_001);
        assert_eq!(s.dump(10_001)["families"][0]["graceCopyHeld"], false, "the plaintext copy is gone");
    }

    #[test]
    fn a_logout_of_a_family_revoked_for_reuse_changes_nothing() {
        let mut s = Store::default();
        let (t0, _) = s.create(demo(), 0, 1_000_000, None);
        let Presented::Rotated { .. } = s.present(&t0, 1, 0, None) else { panic!("rotate") };
        assert_eq!(s.present(&t0, 2, 0, None), Presented::ReuseDetected);
        assert!(!s.revoke(&t0), "already revoked");
        assert_eq!(s.dump(3)["families"][0]["revokeReason"], "reuse", "the first reason stays");
    }

    #[test]
    fn family_expiry_and_unknown() {
        let mut s = Store::default();
        let (t0, _) = s.create(demo(), 0, 1_000, None);
        assert_eq!(s.present(&t0, 1_000, 0, None), Presented::Invalid);
        assert_eq!(s.present("not-a-token", 1, 0, None), Presented::Invalid);
    }

    #[test]
    fn debug_output_redacts_tokens() {
        let mut s = Store::default();
        let (t0, _) = s.create(demo(), 0, 1_000_000, None);
        let presented = s.present(&t0, 1, 10_000, None);
        let Presented::Rotated { token: t1, .. } = &presented else { panic!("rotate") };
        for dump in [format!("{presented:?}"), format!("{s:?}")] {
            assert!(!dump.contains(&t0) && !dump.contains(t1.as_str()), "{dump}");
        }
        assert!(format!("{s:?}").contains("[redacted]"));
    }

    #[test]
    fn binding_is_kept_for_every_token_of_the_family() {
        let mut s = Store::default();
        let (t0, _) = s.create(demo(), 0, 1_000_000, Some("jkt-1"));
        let Presented::Rotated { token: t1, .. } = s.present(&t0, 1, 0, None) else { panic!("rotate") };
        assert_eq!((s.binding(&t0), s.binding(&t1)), (Some("jkt-1"), Some("jkt-1")));
        let (u0, _) = s.create(demo(), 0, 1_000_000, None);
        assert_eq!((s.binding(&u0), s.binding("unknown")), (None, None));
        assert_eq!(s.dump(0)["families"].as_array().map(|f| f.iter().filter(|f| f["jkt"] == "jkt-1").count()), Some(1));
    }

    #[test]
    fn stored_hashed() {
        let mut s = Store::default();
        let (t0, _) = s.create(demo(), 0, 1_000, None);
        let dump = s.dump(0).to_string();
        assert!(!dump.contains(&t0));
        assert_eq!(t0.len(), 43, "256 bits, base64url");
    }

    fn reasons(s: &Store, now_ms: i64) -> Vec<serde_json::Value> {
        s.dump(now_ms)["families"]
            .as_array()
            .map(|f| f.iter().map(|f| f["revokeReason"].clone()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn sign_out_others_keeps_the_presenting_family_and_other_users() {
        let mut s = Store::default();
        let (a1, _) = s.create(demo(), 0, 1_000_000, None);
        let (a2, _) = s.create(demo(), 0, 1_000_000, None);
        let (_a3, _) = s.create(demo(), 0, 1_000, None);
        let (b1, _) = s.create(user("bob"), 0, 1_000_000, None);
        // a3 has ended: it is left as it is and not counted.
        assert_eq!(s.sign_out_user(&a1, UserSignOut::Others, 2_000), Some(1));
        assert!(matches!(s.present(&a1, 2_001, 0, None), Presented::Rotated { .. }), "own family kept");
        assert_eq!(s.present(&a2, 2_001, 0, None), Presented::Invalid);
        assert!(matches!(s.present(&b1, 2_001, 0, None), Presented::Rotated { .. }), "another user untouched");
        let (live, others, expired) =
            (serde_json::Value::Null, serde_json::json!("others"), serde_json::json!("expired"));
        assert_eq!(reasons(&s, 2_001), [live.clone(), others, expired, live]);
        assert_eq!(s.revoked_families, 0, "the reuse counter counts reuse only");
    }

    #[test]
    fn sign_out_global_revokes_every_family_of_the_user() {
        let mut s = Store::default();
        let (a1, _) = s.create(demo(), 0, 1_000_000, None);
        let (a2, _) = s.create(demo(), 0, 1_000_000, None);
        assert_eq!(s.sign_out_user(&a2, UserSignOut::Global, 1), Some(2));
        assert_eq!((s.present(&a1, 2, 0, None), s.present(&a2, 2, 0, None)), (Presented::Invalid, Presented::Invalid));
        assert_eq!(s.dump(2)["families"][0]["revokeReason"], "global");
    }

    #[test]
    fn user_sign_out_needs_a_token_a_refresh_would_accept() {
        let mut s = Store::default();
        let (t0, _) = s.create(demo(), 0, 1_000_000, None);
        let (other, _) = s.create(demo(), 0, 1_000_000, None);
        assert_eq!(s.sign_out_user("unknown", UserSignOut::Others, 1), None);
        assert_eq!((s.is_revoked(&other), s.is_revoked("unknown")), (Some(false), None));
        let Presented::Rotated { token: t1, .. } = s.present(&t0, 1, 5_000, None) else { panic!("rotate") };
        // The predecessor inside the grace window still names the family; after it, not.
        assert_eq!(s.sign_out_user(&t0, UserSignOut::Others, 5_001), None, "at the window's end itself");
        assert_eq!(s.sign_out_user(&t0, UserSignOut::Others, 10_000), None, "old token after the window");
        assert_eq!(s.sign_out_user(&t0, UserSignOut::Others, 2), Some(1), "predecessor inside the window");
        assert_eq!(s.is_revoked(&other), Some(true));
        assert!(s.revoke(&t1));
        assert_eq!(s.sign_out_user(&t1, UserSignOut::Global, 3), None, "revoked family");
        assert_eq!(s.dump(3)["families"][0]["revokeReason"], "logout");
    }

    #[test]
    fn sliding_rotation_moves_the_end_absolute_does_not() {
        let mut s = Store::default();
        let (t0, end0) = s.create(demo(), 0, 1_000, None);
        assert_eq!(end0, 1_000);
        let Presented::Rotated { token: t1, expires_at_ms, .. } = s.present(&t0, 900, 10_000, Some(1_000)) else {
            panic!("rotate")
        };
        assert_eq!(expires_at_ms, 1_900, "sliding: now + ttl");
        let Presented::GraceReplay { expires_at_ms, .. } = s.present(&t0, 1_500, 10_000, Some(1_000)) else {
            panic!("grace")
        };
        assert_eq!(expires_at_ms, 1_900, "a grace replay does not slide");
        let Presented::Rotated { token: t2, expires_at_ms, .. } = s.present(&t1, 1_800, 0, None) else {
            panic!("rotate")
        };
        assert_eq!(expires_at_ms, 1_900, "absolute: the end stays");
        assert_eq!(s.present(&t2, 1_900, 0, Some(1_000)), Presented::Invalid, "past the end even when sliding");
        assert_eq!(s.dump(1_900)["families"][0]["revokeReason"], "expired");
        assert_eq!(s.dump(1_900)["families"][0]["revoked"], false);
    }
}
