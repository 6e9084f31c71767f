//! The Rust API's error: the manager's typed errors (the same stable codes as the JS
//! `TokenManagerError.code`), or the browser's own failure of a request sent through
//! [`TokenManager::fetch`](crate::TokenManager::fetch).

use std::fmt;

use wasm_bindgen::{JsCast, JsValue};

pub use crate::core::ErrorCode;
use crate::web::js;

/// What a [`TokenManager`](crate::TokenManager) call fails with.
///
/// ```no_run
/// # async fn f(auth: wasm_token_manager::TokenManager) {
/// use wasm_token_manager::{Error, ErrorCode};
/// match auth.refresh().await {
///     Ok(()) => {}
///     Err(e) if e.code() == Some(ErrorCode::SessionExpired) => { /* show the sign-in form */ }
///     Err(e) => web_sys::console::warn_1(&e.to_string().into()),
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub enum Error {
    /// An error of the manager, with its stable `code`.
    Manager {
        code: ErrorCode,
        message: String,
        /// The HTTP status of the answer that caused it (a failed login or refresh).
        status: Option<u16>,
        /// A failed login's answer body, as JSON text, when it was JSON.
        body: Option<String>,
    },
    /// The request itself failed in the browser (a network error, CORS, its own
    /// `AbortSignal`): what `fetch` rejected with, untouched.
    Fetch { message: String, value: JsValue },
}

impl Error {
    /// The manager's code; `None` for [`Error::Fetch`].
    ///
    /// ```
    /// use wasm_token_manager::{Error, ErrorCode};
    /// let e = Error::Manager { code: ErrorCode::Aborted, message: "disposed".into(), status: None, body: None };
    /// assert_eq!(e.code(), Some(ErrorCode::Aborted));
    /// ```
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Manager { code, .. } => Some(*code),
            Self::Fetch { .. } => None,
        }
    }

    /// The HTTP status behind a failed login or refresh.
    ///
    /// ```
    /// use wasm_token_manager::{Error, ErrorCode};
    /// let e = Error::Manager { code: ErrorCode::LoginFailed, message: "401".into(), status: Some(401), body: None };
    /// assert_eq!(e.status(), Some(401));
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Manager { status, .. } => *status,
            Self::Fetch { .. } => None,
        }
    }

    /// What the JS side rejected with: a `TokenManagerError` (it has a known `code`), else the
    /// browser's own failure.
    pub(crate) fn from_js(value: JsValue) -> Self {
        let message = js::string_field(&value, "message").unwrap_or_else(|| String::from("request failed"));
        match js::string_field(&value, "code").as_deref().and_then(ErrorCode::parse) {
            Some(code) => {
                let status = js::number_field(&value, "status").map(|s| s as u16);
                let body = js_sys::Reflect::get(&value, &"body".into())
                    .ok()
                    .filter(|b| !b.is_undefined())
                    .and_then(|b| js_sys::JSON::stringify(&b).ok())
                    .and_then(|s| s.as_string());
                Self::Manager { code, message, status, body }
            }
            None => Self::Fetch { message, value },
        }
    }

    /// This error as the JS value the JS API would reject with.
    pub fn to_js(&self) -> JsValue {
        match self {
            Self::Manager { code, message, status, .. } => {
                let e = crate::core::Error::new(*code, message.clone());
                crate::web::error::with_status(&e, *status)
            }
            Self::Fetch { value, .. } => value.clone(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Manager { code, message, .. } => write!(f, "{}: {message}", code.as_str()),
            Self::Fetch { message, .. } => write!(f, "fetch failed: {message}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<Error> for JsValue {
    fn from(e: Error) -> JsValue {
        e.to_js()
    }
}

/// A promise of the manager, awaited; its rejection as an [`Error`].
pub(crate) async fn settle(promise: js_sys::Promise) -> Result<JsValue, Error> {
    wasm_bindgen_futures::JsFuture::from(promise).await.map_err(Error::from_js)
}

/// A promise that resolved to a `Response`.
pub(crate) fn response(value: JsValue) -> web_sys::Response {
    value.unchecked_into()
}
