//! Typed errors with stable codes. The JS boundary turns these into `Error` objects with
//! `name = "TokenManagerError"` and `code = ErrorCode::as_str()`.

use std::borrow::Cow;

/// Stable error codes, part of the public JS contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidOptions,
    MalformedToken,
    NotAuthenticated,
    SessionExpired,
    RefreshFailed,
    LoginFailed,
    /// `logout({ scope: "others" })`: the server did not confirm.
    LogoutFailed,
    Aborted,
    /// No browser here (server-side rendering, a Node test runner): no `location` or `fetch`.
    UnsupportedEnvironment,
}

impl ErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidOptions => "invalid_options",
            Self::MalformedToken => "malformed_token",
            Self::NotAuthenticated => "not_authenticated",
            Self::SessionExpired => "session_expired",
            Self::RefreshFailed => "refresh_failed",
            Self::LoginFailed => "login_failed",
            Self::LogoutFailed => "logout_failed",
            Self::Aborted => "aborted",
            Self::UnsupportedEnvironment => "unsupported_environment",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self { code, message: message.into() }
    }
    pub fn malformed(message: &'static str) -> Self {
        Self::new(ErrorCode::MalformedToken, message)
    }
    pub fn options(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidOptions, message)
    }
}
