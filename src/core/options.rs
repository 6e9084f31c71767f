//! Options: the raw shape accepted from JS (serde) and its validation into `Options`.
//! URL resolution (relative → absolute, origin normalisation) needs the page and is done by
//! the web layer; everything else is checked here.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::error::Error;

/// Options exactly as given by the caller (camelCase). Unknown keys are rejected so that a
/// typo (`refreshURL`) is an error instead of a silently ignored setting.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawOptions {
    pub refresh_url: Option<String>,
    pub login_url: Option<String>,
    pub logout_url: Option<String>,
    pub allowed_origins: Option<Vec<String>>,
    pub refresh_margin_seconds: Option<f64>,
    pub access_token_field: Option<String>,
    pub expires_in_field: Option<String>,
    pub expires_at_field: Option<String>,
    pub refresh_headers: Option<HeaderList>,
    pub cross_tab: Option<bool>,
    pub auto_refresh: Option<bool>,
    pub dpop: Option<bool>,
    pub refresh_expires_in_field: Option<String>,
    pub logout_scope_param: Option<String>,
    pub session_warning_seconds: Option<f64>,
    /// `idle` (an object in JS): `{ timeoutSeconds, warningSeconds }`.
    pub idle: Option<IdleOptions>,
    /// `"POST"` (default) or `"GET"`.
    pub refresh_method: Option<String>,
    pub login_returns_token: Option<bool>,
    pub restore_on_create: Option<bool>,
    /// `refreshHeaders` was a function (the web layer calls it per request).
    #[serde(skip)]
    pub headers_from_function: bool,
}

/// `idle: { timeoutSeconds, warningSeconds }`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdleOptions {
    pub timeout_seconds: Option<f64>,
    pub warning_seconds: Option<f64>,
}

/// Header name/value pairs in the order given. (A plain `Vec` instead of a map: a BTreeMap
/// costs kilobytes of wasm for a list that holds one or two entries.)
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeaderList(pub Vec<(String, String)>);

impl<'de> Deserialize<'de> for HeaderList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = HeaderList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object mapping header names to string values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<HeaderList, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry::<String, String>()? {
                    pairs.push(pair);
                }
                Ok(HeaderList(pairs))
            }
        }
        d.deserialize_map(Pairs)
    }
}

/// Validated options. URLs are still as given (the web layer resolves them).
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub refresh_url: String,
    pub login_url: Option<String>,
    pub logout_url: Option<String>,
    /// `None` = the page's own origin.
    pub allowed_origins: Option<Vec<String>>,
    pub refresh_margin_ms: f64,
    /// Dotted paths into the login/refresh JSON (`data.accessToken`).
    pub access_token_field: String,
    pub expires_in_field: String,
    /// Absolute expiry, seconds since the epoch (converted with the server's `Date`).
    pub expires_at_field: Option<String>,
    /// The static headers; `None` when the web layer calls a function for them.
    pub refresh_headers: Vec<(String, String)>,
    pub cross_tab: bool,
    pub auto_refresh: bool,
    /// Sender-constrained tokens (RFC 9449): proofs on login, refresh and wrapped requests.
    pub dpop: bool,
    /// Where the refresh token's remaining lifetime (seconds) is in that response.
    pub refresh_expires_in_field: String,
    /// The query parameter that carries `logout({ scope })`.
    pub logout_scope_param: String,
    /// `sessionExpiring` fires this long before the session's end (0: never).
    pub session_warning_ms: f64,
    /// Idle timeout and its warning, ms.
    pub idle: Option<(f64, f64)>,
    /// `refreshMethod: "GET"`: the token request is a GET (no body, no `Content-Type`).
    pub refresh_get: bool,
    /// `loginReturnsToken` (default true): with false, a 2xx from `loginUrl` only establishes
    /// the server session, and the token comes from `refreshUrl` under the same lock.
    pub login_returns_token: bool,
    /// `restoreOnCreate`: `restore()` starts at construction (`auth.ready` gives its outcome).
    pub restore_on_create: bool,
}

/// The option names `RawOptions` accepts. serde-wasm-bindgen only reads the fields a struct
/// names, so `deny_unknown_fields` never fires for a JS object; the web layer checks its keys
/// against this list instead.
pub const OPTION_NAMES: [&str; 26] = [
    "refreshUrl",
    "loginUrl",
    "logoutUrl",
    "allowedOrigins",
    "refreshMarginSeconds",
    "accessTokenField",
    "expiresInField",
    "refreshHeaders",
    "crossTab",
    "autoRefresh",
    "expiresAtField",
    "dpop",
    "refreshExpiresInField",
    "logoutScopeParam",
    "sessionWarningSeconds",
    "idle",
    "refreshMethod",
    "loginReturnsToken",
    "restoreOnCreate",
    // Functions, and the navigations' options: read by the web layer (`js/options.js`,
    // `js/navigate.js`), not by `RawOptions`.
    "loginRedirectUrl",
    "returnToParam",
    "logoutRedirectUrl",
    "logoutRedirectField",
    "fetch",
    "parseTokenResponse",
    "onStepUp",
];

/// Reject an option name the library does not know (a typo would otherwise be ignored).
pub fn check_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<(), Error> {
    match names.into_iter().find(|n| !OPTION_NAMES.contains(n)) {
        Some(n) => Err(Error::options(["unknown option \"", n, "\""].concat())),
        None => Ok(()),
    }
}

/// Does a request URL belong to one of the allowed origins? `url` is a serialized absolute
/// URL (a `Request`'s `url`), so its origin is a prefix followed by the path's `/`; the allowed
/// origins were serialized the same way (`URL.origin`) when the options were resolved.
pub fn origin_allowed(url: &str, allowed: &[String]) -> bool {
    allowed.iter().any(|o| url.strip_prefix(o.as_str()).is_some_and(|rest| rest.starts_with('/')))
}

pub const DEFAULT_MARGIN_SECONDS: f64 = 60.0;
/// One day: a larger margin is surely a unit mistake (ms instead of s).
pub const MAX_MARGIN_SECONDS: f64 = 86_400.0;

impl RawOptions {
    pub fn validate(self) -> Result<Options, Error> {
        let refresh_url =
            non_empty("refreshUrl", self.refresh_url.ok_or_else(|| Error::options("refreshUrl is required"))?)?;
        let login_url = self.login_url.map(|u| non_empty("loginUrl", u)).transpose()?;
        let logout_url = self.logout_url.map(|u| non_empty("logoutUrl", u)).transpose()?;
        let allowed_origins = match self.allowed_origins {
            Some(list) if list.is_empty() => {
                return Err(Error::options("allowedOrigins must not be empty (omit it for the page origin)"))
            }
            Some(list) => {
                Some(list.into_iter().map(|o| non_empty("allowedOrigins entry", o)).collect::<Result<_, _>>()?)
            }
            None => None,
        };
        let margin = self.refresh_margin_seconds.unwrap_or(DEFAULT_MARGIN_SECONDS);
        if !margin.is_finite() || !(0.0..=MAX_MARGIN_SECONDS).contains(&margin) {
            return Err(Error::options("refreshMarginSeconds must be a number between 0 and 86400"));
        }
        let access_token_field = field_name("accessTokenField", self.access_token_field, "access_token")?;
        let expires_in_field = field_name("expiresInField", self.expires_in_field, "expires_in")?;
        let expires_at_field = self.expires_at_field.map(|f| field_name("expiresAtField", Some(f), "")).transpose()?;
        let refresh_expires_in_field =
            field_name("refreshExpiresInField", self.refresh_expires_in_field, "refresh_expires_in")?;
        let logout_scope_param = match self.logout_scope_param {
            None => "scope".to_owned(),
            Some(p) if is_header_name(&p) && p.len() <= 64 => p,
            Some(_) => return Err(Error::options("logoutScopeParam must be a query parameter name")),
        };
        let refresh_get = match self.refresh_method.as_deref() {
            None | Some("POST") => false,
            Some("GET") => true,
            Some(_) => return Err(Error::options("refreshMethod must be \"POST\" or \"GET\"")),
        };
        // Seconds, at most 30 days; the idle warning below the timeout (default: half of it,
        // at most 60 s). NaN fails every range.
        const MAX_S: f64 = 2_592_000.0;
        let warn = self.session_warning_seconds.unwrap_or(300.0);
        let idle = self.idle.map(|i| {
            let t = i.timeout_seconds.unwrap_or(f64::NAN);
            (t, i.warning_seconds.unwrap_or((t / 2.0).min(60.0)))
        });
        if !(0.0..=MAX_S).contains(&warn)
            || idle.is_some_and(|(t, w)| !(1.0..=MAX_S).contains(&t) || !(0.0..t).contains(&w))
        {
            return Err(Error::options(
                "sessionWarningSeconds and idle.timeoutSeconds (at least 1, above idle.warningSeconds) must be seconds, at most 2592000",
            ));
        }
        let session_warning_ms = warn * 1000.0;
        let idle = idle.map(|(t, w)| (t * 1000.0, w * 1000.0));
        let refresh_headers = match self.refresh_headers {
            // A function given instead (the web layer keeps it): its result is checked per call.
            None if self.headers_from_function => Vec::new(),
            None => vec![("X-Requested-With".to_owned(), "XMLHttpRequest".to_owned())],
            Some(headers) if headers.0.is_empty() => {
                return Err(Error::options("refreshHeaders must contain the CSRF header the server checks"))
            }
            Some(headers) => check_headers(headers.0)?,
        };
        Ok(Options {
            refresh_url,
            login_url,
            logout_url,
            allowed_origins,
            refresh_margin_ms: margin * 1000.0,
            access_token_field,
            expires_in_field,
            expires_at_field,
            refresh_headers,
            cross_tab: self.cross_tab.unwrap_or(true),
            auto_refresh: self.auto_refresh.unwrap_or(true),
            dpop: self.dpop.unwrap_or(false),
            refresh_expires_in_field,
            logout_scope_param,
            session_warning_ms,
            idle,
            refresh_get,
            login_returns_token: self.login_returns_token.unwrap_or(true),
            restore_on_create: self.restore_on_create.unwrap_or(false),
        })
    }
}

fn non_empty(what: &str, s: String) -> Result<String, Error> {
    if s.trim().is_empty() {
        Err(Error::options([what, " must be a non-empty string"].concat()))
    } else {
        Ok(s)
    }
}

/// A dotted path (`data.accessToken`): non-empty segments, at most 256 bytes.
fn field_name(what: &str, v: Option<String>, default: &str) -> Result<String, Error> {
    match v {
        None => Ok(default.to_owned()),
        Some(s) if !s.is_empty() && s.len() <= 256 && s.split('.').all(|seg| !seg.is_empty()) => Ok(s),
        Some(_) => Err(Error::options(
            [what, " must be a field name or dotted path (data.accessToken) of at most 256 characters"].concat(),
        )),
    }
}

/// Header name/value pairs for the refresh, login and logout requests: valid names and values,
/// no duplicates, never `Authorization` or `Cookie`. Used for the static `refreshHeaders` and
/// for what a `refreshHeaders` function returns on each call (which may be empty: a CSRF cookie
/// that does not exist yet before the first login).
pub fn check_headers(pairs: Vec<(String, String)>) -> Result<Vec<(String, String)>, Error> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(pairs.len());
    for (name, value) in pairs {
        if !is_header_name(&name) {
            return Err(Error::options(["refreshHeaders: \"", &name, "\" is not a valid header name"].concat()));
        }
        if out.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            return Err(Error::options(["refreshHeaders: \"", &name, "\" is given twice"].concat()));
        }
        if name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("cookie") {
            return Err(Error::options("refreshHeaders must not set Authorization or Cookie"));
        }
        if value.is_empty() || !is_header_value(&value) {
            return Err(Error::options(
                ["refreshHeaders: the value of \"", &name, "\" must be a non-empty valid header value"].concat(),
            ));
        }
        out.push((name, value));
    }
    Ok(out)
}

/// RFC 9110 token.
fn is_header_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Visible ASCII, space and tab; no leading/trailing whitespace; no CR/LF/NUL.
fn is_header_value(s: &str) -> bool {
    s.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b)) && s.trim() == s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Options, Error> {
        serde_json::from_str::<RawOptions>(json)
            .map_err(|e| Error::options(e.to_string()))
            .and_then(RawOptions::validate)
    }

    #[test]
    fn logout_scope_param_is_a_name_of_at_most_64_characters() {
        let with = |p: &str| parse(&format!(r#"{{"refreshUrl":"/r","logoutScopeParam":"{p}"}}"#));
        assert_eq!(with("kind").expect("a name").logout_scope_param, "kind");
        assert_eq!(with(&"s".repeat(64)).expect("64").logout_scope_param.len(), 64);
        for bad in ["s".repeat(65), "a b".into(), String::new()] {
            let e = with(&bad).expect_err("refused");
            assert_eq!(e.code, crate::core::error::ErrorCode::InvalidOptions, "{bad:?}");
        }
    }

    #[test]
    fn refresh_headers_of_the_wrong_shape_say_what_is_expected() {
        let e = parse(r#"{"refreshUrl":"/auth/refresh","refreshHeaders":["X-CSRF"]}"#).expect_err("a list");
        assert!(e.message.contains("an object mapping header names to string values"), "{}", e.message);
    }

    #[test]
    fn defaults() {
        let o = parse(r#"{"refreshUrl":"/auth/refresh"}"#).expect("valid");
        assert_eq!(o.refresh_margin_ms, 60_000.0);
        assert_eq!(o.access_token_field, "access_token");
        assert_eq!(o.expires_in_field, "expires_in");
        assert_eq!(o.refresh_headers, vec![("X-Requested-With".to_owned(), "XMLHttpRequest".to_owned())]);
        assert!(o.cross_tab && o.auto_refresh);
        let two = parse(r#"{"refreshUrl":"/r","refreshHeaders":{"X-B":"2","X-A":"1"}}"#).expect("valid");
        assert_eq!(
            two.refresh_headers,
            vec![("X-B".to_owned(), "2".to_owned()), ("X-A".to_owned(), "1".to_owned())],
            "order kept"
        );
        assert_eq!(o.allowed_origins, None);
    }

    #[test]
    fn origin_allowed_table() {
        let allowed = vec!["https://api.example.com".to_owned(), "http://127.0.0.1:8787".to_owned()];
        let cases: &[(&str, bool)] = &[
            ("https://api.example.com/me", true),
            ("https://api.example.com/", true),
            ("http://127.0.0.1:8787/api/ping?x=1", true),
            ("https://api.example.com.evil.net/me", false),
            ("https://api.example.com:8443/me", false),
            ("http://api.example.com/me", false),
            ("https://evil.net/https://api.example.com/", false),
            ("http://127.0.0.1:87870/x", false),
            ("http://127.0.0.1/x", false),
            ("data:text/plain,https://api.example.com/", false),
            ("", false),
        ];
        for (url, want) in cases {
            assert_eq!(origin_allowed(url, &allowed), *want, "{url}");
        }
    }

    #[test]
    fn names_match_the_struct() {
        // Every accepted name deserializes (and only those: serde_json honours deny_unknown_fields).
        let web_only = ["fetch", "parseTokenResponse", "onStepUp", "loginRedirectUrl", "returnToParam"];
        let web_only = [&web_only[..], &["logoutRedirectUrl", "logoutRedirectField"]].concat();
        for name in OPTION_NAMES.into_iter().filter(|n| !web_only.contains(n)) {
            let json = if name == "refreshUrl" {
                r#"{"refreshUrl":"/r"}"#.to_owned()
            } else {
                format!(r#"{{"refreshUrl":"/r","{name}":null}}"#)
            };
            assert!(serde_json::from_str::<RawOptions>(&json).is_ok(), "{name}");
        }
        assert!(check_names(["refreshUrl", "crossTab"]).is_ok());
        let err = check_names(["refreshUrl", "refreshURL"]).expect_err("typo");
        assert!(err.message.contains("refreshURL"));
    }

    #[test]
    fn session_options() {
        let o = parse(r#"{"refreshUrl":"/r"}"#).expect("defaults");
        assert_eq!((o.session_warning_ms, o.idle, o.logout_scope_param.as_str()), (300_000.0, None, "scope"));
        assert_eq!(o.refresh_expires_in_field, "refresh_expires_in");
        let o = parse(r#"{"refreshUrl":"/r","idle":{"timeoutSeconds":900},"sessionWarningSeconds":0}"#).expect("valid");
        assert_eq!((o.idle, o.session_warning_ms), (Some((900_000.0, 60_000.0)), 0.0));
        let o = parse(r#"{"refreshUrl":"/r","idle":{"timeoutSeconds":6}}"#).expect("valid");
        assert_eq!(o.idle, Some((6_000.0, 3_000.0)));
        for bad in [
            r#"{"refreshUrl":"/r","idle":{}}"#,
            r#"{"refreshUrl":"/r","idle":{"timeoutSeconds":0.5}}"#,
            r#"{"refreshUrl":"/r","idle":{"timeoutSeconds":10,"warningSeconds":10}}"#,
            r#"{"refreshUrl":"/r","idle":{"timeoutSeconds":10,"warningSeconds":-1}}"#,
            r#"{"refreshUrl":"/r","sessionWarningSeconds":-1}"#,
            r#"{"refreshUrl":"/r","sessionWarningSeconds":2592001}"#,
            r#"{"refreshUrl":"/r","logoutScopeParam":"a b"}"#,
            r#"{"refreshUrl":"/r","refreshExpiresInField":""}"#,
        ] {
            assert_eq!(parse(bad).map_err(|e| e.code), Err(crate::core::ErrorCode::InvalidOptions), "{bad}");
        }
    }

    #[test]
    fn backend_options() {
        let o = parse(r#"{"refreshUrl":"/r"}"#).expect("defaults");
        assert_eq!((o.refresh_get, o.login_returns_token), (false, true));
        let o = parse(r#"{"refreshUrl":"/r","refreshMethod":"GET","loginReturnsToken":false}"#).expect("valid");
        assert!(o.refresh_get && !o.login_returns_token);
        assert!(!parse(r#"{"refreshUrl":"/r","refreshMethod":"POST"}"#).expect("valid").refresh_get);
        for bad in [
            r#"{"refreshUrl":"/r","refreshMethod":"get"}"#,
            r#"{"refreshUrl":"/r","refreshMethod":"PUT"}"#,
            r#"{"refreshUrl":"/r","refreshMethod":""}"#,
            r#"{"refreshUrl":"/r","loginReturnsToken":"no"}"#,
        ] {
            assert_eq!(parse(bad).map_err(|e| e.code), Err(crate::core::ErrorCode::InvalidOptions), "{bad}");
        }
    }

    #[test]
    fn dotted_paths_and_header_functions() {
        let o =
            parse(r#"{"refreshUrl":"/r","accessTokenField":"data.accessToken","expiresAtField":"session.expires_at"}"#)
                .expect("valid");
        assert_eq!(
            (o.access_token_field.as_str(), o.expires_at_field.as_deref()),
            ("data.accessToken", Some("session.expires_at"))
        );
        // refreshHeaders given as a function (the web layer says so): no static headers, and
        // what it returns is checked per call by the same rules, an empty result allowed.
        let raw = RawOptions { refresh_url: Some("/r".into()), headers_from_function: true, ..Default::default() };
        assert_eq!(raw.validate().expect("valid").refresh_headers, vec![]);
        assert_eq!(check_headers(vec![]), Ok(vec![]));
        let csrf = vec![("X-CSRF-TOKEN".to_owned(), "abc".to_owned())];
        assert_eq!(check_headers(csrf.clone()), Ok(csrf));
        for bad in [("Cookie", "a=b"), ("Authorization", "Bearer x"), ("X-A", ""), ("Bad Name", "x")] {
            assert!(check_headers(vec![(bad.0.to_owned(), bad.1.to_owned())]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rejections_table() {
        let cases: &[(&str, &str)] = &[
            ("{}", "refreshUrl is required"),
            (r#"{"refreshUrl":""}"#, "refreshUrl must be a non-empty string"),
            (r#"{"refreshUrl":"/r","refreshURL":"/x"}"#, "unknown field"),
            (r#"{"refreshUrl":42}"#, "invalid type"),
            (r#"{"refreshUrl":"/r","refreshMarginSeconds":-1}"#, "refreshMarginSeconds"),
            (r#"{"refreshUrl":"/r","refreshMarginSeconds":1e9}"#, "refreshMarginSeconds"),
            (r#"{"refreshUrl":"/r","allowedOrigins":[]}"#, "allowedOrigins must not be empty"),
            (r#"{"refreshUrl":"/r","allowedOrigins":[""]}"#, "allowedOrigins entry"),
            (r#"{"refreshUrl":"/r","refreshHeaders":{}}"#, "CSRF header"),
            (r#"{"refreshUrl":"/r","refreshHeaders":{"Bad Name":"x"}}"#, "not a valid header name"),
            (r#"{"refreshUrl":"/r","refreshHeaders":{"X-A":"a\r\nInjected: 1"}}"#, "valid header value"),
            (r#"{"refreshUrl":"/r","refreshHeaders":{"X-A":""}}"#, "non-empty"),
            (r#"{"refreshUrl":"/r","accessTokenField":"data..token"}"#, "dotted path"),
            (r#"{"refreshUrl":"/r","expiresAtField":""}"#, "expiresAtField"),
            (r#"{"refreshUrl":"/r","refreshHeaders":{"authorization":"Bearer x"}}"#, "must not set Authorization"),
            (r#"{"refreshUrl":"/r","accessTokenField":""}"#, "accessTokenField"),
            (r#"{"refreshUrl":"/r","crossTab":"yes"}"#, "invalid type"),
            (r#"{"refreshUrl":"/r","refreshHeaders":{"X-A":"1","x-a":"2"}}"#, "given twice"),
            (r#"{"refreshUrl":"/r","refreshHeaders":["X-A"]}"#, "invalid type"),
            (r#"{"refreshUrl":"/r","refreshHeaders":{"X-A":1}}"#, "invalid type"),
        ];
        for (json, want) in cases {
            let err = parse(json).expect_err(json);
            assert_eq!(err.code, super::super::ErrorCode::InvalidOptions);
            assert!(err.message.contains(want), "{json}: {}", err.message);
        }
    }
}
