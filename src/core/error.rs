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

    /// The code named `code` (what [`ErrorCode::as_str`] gives), if it is one.
    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::InvalidOptions,
            Self::MalformedToken,
            Self::NotAuthenticated,
            Self::SessionExpired,
            Self::RefreshFailed,
            Self::LoginFailed,
            Self::LogoutFailed,
            Self::Aborted,
            Self::UnsupportedEnvironment,
        ]
        .into_iter()
        .find(|c| c.as_str() == code)
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

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn every_code_parses_back_and_nothing_else_does() {
        let all = [
            ErrorCode::InvalidOptions,
            ErrorCode::MalformedToken,
            ErrorCode::NotAuthenticated,
            ErrorCode::SessionExpired,
            ErrorCode::RefreshFailed,
            ErrorCode::LoginFailed,
            ErrorCode::LogoutFailed,
            ErrorCode::Aborted,
            ErrorCode::UnsupportedEnvironment,
        ];
        for code in all {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
        for other in ["", "Aborted", "network", "aborted "] {
            assert_eq!(ErrorCode::parse(other), None, "{other:?}");
        }
    }
}
