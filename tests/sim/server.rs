//! A model auth server: refresh-token families with rotation and reuse detection (grace 0: a
//! replayed refresh token revokes its family), logout revocation, several users, and
//! short-lived access tokens it checks on the API. Tokens are opaque strings that name their
//! user and family, so a test can tell whose they are.

use std::collections::HashMap;

/// Access-token lifetime (s): short, so schedules cover many lifetimes.
pub const ACCESS_TTL_S: f64 = 30.0;

#[derive(Debug)]
struct Family {
    user: u8,
    /// The one refresh token that may be used next.
    current: String,
    revoked: bool,
}

/// What the browser does with the refresh cookie after an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum SetCookie {
    Keep,
    Set(String),
    Clear,
}

/// An answer of a token endpoint.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub retry_after_s: Option<u32>,
    pub cookie: SetCookie,
    /// `(access token, expires_in s)` for a 2xx login or refresh.
    pub token: Option<(String, f64)>,
}

impl Answer {
    fn status(status: u16) -> Self {
        Self { status, retry_after_s: None, cookie: SetCookie::Keep, token: None }
    }
}

#[derive(Debug, Default)]
pub struct Server {
    families: Vec<Family>,
    /// Every refresh token ever issued: its family.
    refresh_tokens: HashMap<String, usize>,
    /// Every access token issued: (user, family, expiry in server ms).
    access: HashMap<String, (u8, usize, f64)>,
    serial: u64,
    /// Refresh-token reuses detected (each revoked a family).
    pub reuses: u32,
    pub rotations: u32,
}

impl Server {
    fn issue(&mut self, family: usize, now_ms: f64) -> (String, String) {
        self.serial += 1;
        let user = self.families[family].user;
        let refresh = format!("rt-{family}-{}", self.serial);
        let access = format!("at-u{user}-f{family}-{}", self.serial);
        self.refresh_tokens.insert(refresh.clone(), family);
        self.access.insert(access.clone(), (user, family, now_ms + ACCESS_TTL_S * 1000.0));
        self.families[family].current = refresh.clone();
        (refresh, access)
    }

    pub fn login(&mut self, user: u8, now_ms: f64) -> Answer {
        self.families.push(Family { user, current: String::new(), revoked: false });
        let (refresh, access) = self.issue(self.families.len() - 1, now_ms);
        Answer {
            status: 200,
            retry_after_s: None,
            cookie: SetCookie::Set(refresh),
            token: Some((access, ACCESS_TTL_S)),
        }
    }

    pub fn refresh(&mut self, cookie: Option<&str>, now_ms: f64) -> Answer {
        let Some(&family) = cookie.and_then(|c| self.refresh_tokens.get(c)) else { return Answer::status(401) };
        if self.families[family].revoked {
            return Answer::status(401);
        }
        if cookie != Some(self.families[family].current.as_str()) {
            // Reuse of a rotated-away token: the whole family is revoked.
            self.families[family].revoked = true;
            self.reuses += 1;
            return Answer::status(401);
        }
        self.rotations += 1;
        let (refresh, access) = self.issue(family, now_ms);
        Answer {
            status: 200,
            retry_after_s: None,
            cookie: SetCookie::Set(refresh),
            token: Some((access, ACCESS_TTL_S)),
        }
    }

    pub fn logout(&mut self, cookie: Option<&str>) -> Answer {
        if let Some(&family) = cookie.and_then(|c| self.refresh_tokens.get(c)) {
            self.families[family].revoked = true;
        }
        Answer { status: 204, retry_after_s: None, cookie: SetCookie::Clear, token: None }
    }

    /// The protected API: 200 for a live access token, else 401.
    pub fn api(&self, access: Option<&str>, now_ms: f64) -> u16 {
        match access.and_then(|a| self.access.get(a)) {
            Some(&(_, _, exp)) if now_ms < exp => 200,
            _ => 401,
        }
    }

    /// The user whose session this refresh cookie can still continue (a live family's current
    /// token), if any.
    pub fn live_user(&self, cookie: Option<&str>) -> Option<u8> {
        let family = *self.refresh_tokens.get(cookie?)?;
        let f = &self.families[family];
        (!f.revoked && f.current == cookie?).then_some(f.user)
    }

    /// The family of an access token, and whether it is revoked.
    pub fn family_of(&self, access: &str) -> Option<(usize, bool)> {
        let &(_, family, _) = self.access.get(access)?;
        Some((family, self.families[family].revoked))
    }
}

/// The user an access token was issued to (`at-u<user>-…`), for the invariants.
pub fn user_of(access: &str) -> Option<u8> {
    access.strip_prefix("at-u")?.split('-').next()?.parse().ok()
}
