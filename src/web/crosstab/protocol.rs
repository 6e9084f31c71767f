//! The cross-tab protocol: the two messages managers exchange, and what a manager does when
//! one arrives. Both carry the session epoch, so a tab can discard stale news (the rules are
//! in `core::session`: `on_peer_token`, `on_peer_end`).
//!
//! - `{t: "token", epoch, token, remainingMs}`: a tab obtained a token (login, refresh,
//!   restore, `setAccessToken`); the others adopt it unless it is stale.
//! - `{t: "ended", epoch, reason}`: a tab logged out, or its refresh was rejected.

use std::rc::Rc;

use wasm_bindgen::JsValue;

use crate::core::session::{EndReason, Epoch, PeerToken, TokenSource};
use crate::web::env::now;
use crate::web::events::{self, LoggedOutDetail, SessionExpiredDetail};
use crate::web::js;
use crate::web::manager::Inner;

/// Largest integer a JS number carries exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

enum Message {
    Token { epoch: Epoch, token: String, remaining_ms: Option<f64>, dpop: bool },
    Ended { epoch: Epoch, reason: EndReason },
}

impl Message {
    fn to_js(&self) -> JsValue {
        match self {
            Self::Token { epoch, token, remaining_ms, dpop } => js::object(&[
                ("t", "token".into()),
                ("epoch", (epoch.0 as f64).into()),
                ("token", token.as_str().into()),
                ("remainingMs", js::number_or_null(*remaining_ms)),
                ("dpop", (*dpop).into()),
            ]),
            Self::Ended { epoch, reason } => js::object(&[
                ("t", "ended".into()),
                ("epoch", (epoch.0 as f64).into()),
                ("reason", reason.as_str().into()),
            ]),
        }
    }

    /// `None` for anything that is not a well-formed message of this protocol.
    fn from_js(data: &JsValue) -> Option<Self> {
        let epoch = js::number_field(data, "epoch")
            .filter(|e| e.is_finite() && *e >= 0.0 && *e <= MAX_SAFE_INTEGER && e.fract() == 0.0)
            .map(|e| Epoch(e as u64))?;
        match js::string_field(data, "t").as_deref()? {
            "token" => Some(Self::Token {
                epoch,
                token: js::string_field(data, "token")?,
                remaining_ms: js::number_field(data, "remainingMs").filter(|r| r.is_finite() && *r >= 0.0),
                dpop: js_sys::Reflect::get(data, &"dpop".into()).ok().and_then(|d| d.as_bool()).unwrap_or(false),
            }),
            "ended" => Some(Self::Ended { epoch, reason: EndReason::parse(&js::string_field(data, "reason")?)? }),
            _ => None,
        }
    }
}

impl Inner {
    fn post(&self, message: &Message) {
        if let Some(c) = self.crosstab.borrow().as_ref() {
            c.post(&message.to_js());
        }
    }

    /// Tell the other tabs about the token this tab just obtained.
    pub(crate) fn share_token(&self) {
        let message = {
            let s = self.session.borrow();
            let Some(t) = s.token() else { return };
            Message::Token {
                epoch: s.epoch(),
                token: t.value().to_owned(),
                remaining_ms: t.remaining_ms(now()),
                dpop: t.is_dpop(),
            }
        };
        self.post(&message);
    }

    /// Tell the other tabs this session ended.
    pub(crate) fn share_end(&self, reason: EndReason) {
        let epoch = self.session.borrow().epoch();
        self.post(&Message::Ended { epoch, reason });
    }

    pub(crate) fn on_peer_message(self: &Rc<Self>, data: &JsValue) {
        if self.disposed.get() {
            return;
        }
        match Message::from_js(data) {
            Some(Message::Token { epoch, token, remaining_ms, dpop }) => {
                let decision = self.session.borrow_mut().on_peer_token(epoch, &token, remaining_ms, now());
                if decision == PeerToken::Ignore {
                    return;
                }
                if decision == PeerToken::AdoptNewSession {
                    // A login elsewhere made a new DPoP key: read it again when needed.
                    if let Some(d) = &self.dpop {
                        d.forget_cached();
                    }
                }
                if self.adopt(token, remaining_ms.map(|r| r / 1000.0), TokenSource::OtherTab, dpop).is_ok() {
                    self.announce_refreshed(true);
                }
            }
            Some(Message::Ended { epoch, reason }) => {
                if !self.session.borrow_mut().on_peer_end(epoch) {
                    return;
                }
                let detail = match reason {
                    EndReason::LoggedOut => {
                        events::to_js(&LoggedOutDetail { server_confirmed: None, from_other_tab: true })
                    }
                    EndReason::SessionExpired => {
                        events::to_js(&SessionExpiredDetail { reason: "other_tab", from_other_tab: true })
                    }
                };
                let changed = self.end_locally(reason, false);
                self.announce_end(reason, changed, &detail);
            }
            None => {}
        }
    }
}
