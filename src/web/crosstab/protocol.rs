//! The cross-tab messages as JS values (`core::machine::Message`). Both carry the session
//! epoch, so a tab can discard stale news (the rules are in `core::session`).
//!
//! - `{t: "token", epoch, token, remainingMs, sentAt, dpop}`: a tab obtained a token;
//! - `{t: "ended", epoch, reason}`: a tab logged out, or its refresh was rejected;
//! - `{t: "active", epoch, deadline}`: activity in a tab moved the idle deadline.

use wasm_bindgen::JsValue;

use crate::core::machine::Message;
use crate::core::session::{EndReason, Epoch};
use crate::web::js;

/// Largest integer a JS number carries exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

pub fn to_js(message: &Message) -> JsValue {
    match message {
        Message::Token { epoch, token, remaining_ms, sent_wall_ms, dpop, session_end } => js::object(&[
            ("t", "token".into()),
            ("epoch", (epoch.0 as f64).into()),
            ("token", token.as_str().into()),
            ("remainingMs", js::number_or_null(*remaining_ms)),
            ("sentAt", (*sent_wall_ms).into()),
            ("dpop", (*dpop).into()),
            ("sessionEnd", js::number_or_null(*session_end)),
        ]),
        Message::Active { epoch, deadline } => {
            js::object(&[("t", "active".into()), ("epoch", (epoch.0 as f64).into()), ("deadline", (*deadline).into())])
        }
        Message::Ended { epoch, reason } => {
            js::object(&[("t", "ended".into()), ("epoch", (epoch.0 as f64).into()), ("reason", reason.as_str().into())])
        }
    }
}

/// `None` for anything that is not a well-formed message of this protocol.
pub fn from_js(data: &JsValue) -> Option<Message> {
    let epoch = js::number_field(data, "epoch")
        .filter(|e| e.is_finite() && *e >= 0.0 && *e <= MAX_SAFE_INTEGER && e.fract() == 0.0)
        .map(|e| Epoch(e as u64))?;
    match js::string_field(data, "t").as_deref()? {
        "token" => Some(Message::Token {
            epoch,
            token: js::string_field(data, "token")?.into(),
            remaining_ms: js::number_field(data, "remainingMs").filter(|r| r.is_finite() && *r >= 0.0),
            sent_wall_ms: js::number_field(data, "sentAt").filter(|s| s.is_finite()).unwrap_or(f64::NAN),
            dpop: js_sys::Reflect::get(data, &"dpop".into()).ok().and_then(|d| d.as_bool()).unwrap_or(false),
            session_end: js::number_field(data, "sessionEnd").filter(|e| e.is_finite()),
        }),
        "active" => {
            Some(Message::Active { epoch, deadline: js::number_field(data, "deadline").filter(|d| d.is_finite())? })
        }
        "ended" => Some(Message::Ended { epoch, reason: EndReason::parse(&js::string_field(data, "reason")?)? }),
        _ => None,
    }
}
