//! A model auth server: refresh-token families with rotation and reuse detection (grace 0: a
//! replayed refresh token revokes its family), sign-out with a scope (`local`: the cookie's
//! family; `global`: every family of its user; `others`: all but the cookie's), several users,
//! optional family lifetimes (absolute, and optionally sliding per rotation; token answers then
//! carry the remaining whole seconds, floor, as `refresh_expires_in` does), and short-lived
//! access tokens it checks on the API. Tokens are opaque strings that name their user and
//! family, so a test can tell whose they are.

use std::collections::HashMap;

use wasm_token_manager::core::machine::Scope;

/// Access-token lifetime (s): short, so schedules cover many lifetimes.
pub const ACCESS_TTL_S: f64 = 30.0;

#[derive(Debug)]
struct Family {
    user: u8,
    /// The one refresh token that may be used next.
    current: String,
    revoked: bool,
    /// When its session ends (server ms): the absolute end, or the sliding one if earlier.
    end: f64,
    /// The absolute end (login + lifetime).
    absolute_end: f64,
}

impl Family {
    fn live(&self, now_ms: f64) -> bool {
        !self.revoked && now_ms < self.end
    }
}

/// How long a session (refresh-token family) lives, ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lifetime {
    /// From the login, whatever happens.
    pub absolute_ms: f64,
    /// Each rotation moves the end to this long after it (never past the absolute end).
    pub sliding_ms: Option<f64>,
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
    /// The session's remaining whole seconds (floor), with a [`Lifetime`].
    pub session_s: Option<f64>,
}

impl Answer {
    fn status(status: u16) -> Self {
        Self { status, retry_after_s: None, cookie: SetCookie::Keep, token: None, session_s: None }
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
    /// Families live this long (`None`: until revoked).
    pub lifetime: Option<Lifetime>,
    /// Something issued a token of a dead family (a model bug; the world reports it).
    pub issued_dead: bool,
}

impl Server {
    fn issue(&mut self, family: usize, now_ms: f64) -> (String, String) {
        self.issued_dead |= !self.families[family].live(now_ms);
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
        let absolute_end = self.lifetime.map_or(f64::INFINITY, |l| now_ms + l.absolute_ms);
        self.families.push(Family { user, current: String::new(), revoked: false, end: f64::INFINITY, absolute_end });
        let family = self.families.len() - 1;
        self.slide(family, now_ms);
        self.token_answer(family, now_ms)
    }

    /// A rotation (or the login) moves a sliding end.
    fn slide(&mut self, family: usize, now_ms: f64) {
        let f = &mut self.families[family];
        f.end = match self.lifetime.and_then(|l| l.sliding_ms) {
            Some(sliding) => f.absolute_end.min(now_ms + sliding),
            None => f.absolute_end,
        };
    }

    fn token_answer(&mut self, family: usize, now_ms: f64) -> Answer {
        let (refresh, access) = self.issue(family, now_ms);
        let end = self.families[family].end;
        Answer {
            status: 200,
            retry_after_s: None,
            cookie: SetCookie::Set(refresh),
            token: Some((access, ACCESS_TTL_S)),
            session_s: self.lifetime.map(|_| ((end - now_ms) / 1000.0).floor()),
        }
    }

    pub fn refresh(&mut self, cookie: Option<&str>, now_ms: f64) -> Answer {
        let Some(&family) = cookie.and_then(|c| self.refresh_tokens.get(c)) else { return Answer::status(401) };
        if !self.families[family].live(now_ms) {
            return Answer::status(401);
        }
        if cookie != Some(self.families[family].current.as_str()) {
            // Reuse of a rotated-away token: the whole family is revoked.
            self.families[family].revoked = true;
            self.reuses += 1;
            return Answer::status(401);
        }
        self.rotations += 1;
        self.slide(family, now_ms);
        self.token_answer(family, now_ms)
    }

    /// Sign-out. `local`: the cookie's family (any token of it, as a logout is no reuse);
    /// `global`: every family of the cookie's user; both clear the cookie and answer 204 even
    /// without one. `others`: every other family of the user, the cookie's kept (and the
    /// cookie); 401 without a valid cookie (the current token of a live family).
    pub fn logout(&mut self, cookie: Option<&str>, scope: Scope, now_ms: f64) -> Answer {
        let family = cookie.and_then(|c| self.refresh_tokens.get(c)).copied();
        let cleared =
            Answer { status: 204, retry_after_s: None, cookie: SetCookie::Clear, token: None, session_s: None };
        match scope {
            Scope::Local => {
                if let Some(f) = family {
                    self.families[f].revoked = true;
                }
                cleared
            }
            Scope::Global => {
                if let Some(f) = family {
                    let user = self.families[f].user;
                    self.families.iter_mut().filter(|g| g.user == user).for_each(|g| g.revoked = true);
                }
                cleared
            }
            Scope::Others => {
                let Some(f) = self.live_family(cookie, now_ms) else { return Answer::status(401) };
                let user = self.families[f].user;
                for (k, g) in self.families.iter_mut().enumerate() {
                    if g.user == user && k != f {
                        g.revoked = true;
                    }
                }
                Answer::status(204)
            }
        }
    }

    /// The protected API: 200 for a live access token, else 401.
    pub fn api(&self, access: Option<&str>, now_ms: f64) -> u16 {
        match access.and_then(|a| self.access.get(a)) {
            Some(&(_, _, exp)) if now_ms < exp => 200,
            _ => 401,
        }
    }

    /// When an access token expires at the server (server ms), if it issued it.
    pub fn expiry_of(&self, access: &str) -> Option<f64> {
        self.access.get(access).map(|&(_, _, exp)| exp)
    }

    /// The user whose session this refresh cookie can still continue (a live family's current
    /// token), if any.
    pub fn live_user(&self, cookie: Option<&str>, now_ms: f64) -> Option<u8> {
        self.live_family(cookie, now_ms).map(|f| self.families[f].user)
    }

    /// The family this refresh cookie can still continue (it is that live family's current
    /// token), if any.
    pub fn live_family(&self, cookie: Option<&str>, now_ms: f64) -> Option<usize> {
        let family = *self.refresh_tokens.get(cookie?)?;
        let f = &self.families[family];
        (f.live(now_ms) && f.current == cookie?).then_some(family)
    }

    /// The family of an access token, and whether it is over (revoked, or past its end).
    pub fn family_of(&self, access: &str, now_ms: f64) -> Option<(usize, bool)> {
        let &(_, family, _) = self.access.get(access)?;
        Some((family, !self.families[family].live(now_ms)))
    }

    /// When a family's session ends (server ms; infinite without a lifetime).
    pub fn end_of(&self, family: usize) -> f64 {
        self.families[family].end
    }

    pub fn revoked(&self, family: usize) -> bool {
        self.families[family].revoked
    }
}

/// The user an access token was issued to (`at-u<user>-…`), for the invariants.
pub fn user_of(access: &str) -> Option<u8> {
    access.strip_prefix("at-u")?.split('-').next()?.parse().ok()
}
