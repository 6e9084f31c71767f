//! The Rust API's options: the JS options under their snake_case names, built with chained
//! setters. They are handed to the same reader and checks as the JS constructor's object
//! (`js/options.js`, `core::options`), so the names, defaults and rules are the JS ones.

use std::rc::Rc;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

/// The manager's options: [`Options::new`] with the refresh endpoint, then a setter per JS
/// option (`refreshMarginSeconds` is [`Options::refresh_margin_seconds`], and so on; their
/// meaning and defaults are the JS options' in `docs/api.md`).
///
/// ```no_run
/// use wasm_token_manager::{Options, TokenManager};
/// let auth = TokenManager::new(
///     Options::new("/auth/refresh")
///         .login_url("/auth/login")
///         .logout_url("/auth/logout")
///         .allowed_origins(["self", "https://api.example.com"])
///         .refresh_headers([("X-CSRF", "1")])
///         .restore_on_create(true),
/// )?;
/// # Ok::<(), wasm_token_manager::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Options {
    values: Vec<(&'static str, Value)>,
}

#[derive(Clone)]
enum Value {
    Str(String),
    Null,
    Num(f64),
    Bool(bool),
    List(Vec<String>),
    Pairs(Vec<(String, String)>),
    Idle(f64, Option<f64>),
    Headers(Rc<dyn Fn() -> Vec<(String, String)>>),
    Debug(Rc<dyn Fn(&str)>),
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident $js:literal $kind:ident $ty:ty;)*) => {$(
        $(#[$doc])*
        #[must_use]
        pub fn $name(self, value: $ty) -> Self {
            self.set($js, setters!(@ $kind value))
        }
    )*};
    (@ Str $v:ident) => { Value::Str($v.into()) };
    (@ Num $v:ident) => { Value::Num($v) };
    (@ Bool $v:ident) => { Value::Bool($v) };
}

impl Options {
    /// Options with the refresh endpoint (`refreshUrl`), resolved against the page.
    ///
    /// ```no_run
    /// let options = wasm_token_manager::Options::new("/auth/refresh");
    /// ```
    pub fn new(refresh_url: impl Into<String>) -> Self {
        Self::default().set("refreshUrl", Value::Str(refresh_url.into()))
    }

    fn set(mut self, name: &'static str, value: Value) -> Self {
        self.values.retain(|(n, _)| *n != name);
        self.values.push((name, value));
        self
    }

    setters! {
        /// `loginUrl`: where [`TokenManager::login`](crate::TokenManager::login) POSTs the credentials.
        /// `.login_url("/auth/login")`
        login_url "loginUrl" Str impl Into<String>;
        /// `logoutUrl`: the server's logout endpoint. Required with a login URL
        /// ([`Options::no_logout_url`] says there is none). `.logout_url("/auth/logout")`
        logout_url "logoutUrl" Str impl Into<String>;
        /// `refreshMarginSeconds`: refresh this long before the token expires (default 30).
        /// `.refresh_margin_seconds(60.0)`
        refresh_margin_seconds "refreshMarginSeconds" Num f64;
        /// `accessTokenField`: where the token is in a refresh or login answer (default
        /// `"access_token"`; a dotted path reads nested objects). `.access_token_field("data.token")`
        access_token_field "accessTokenField" Str impl Into<String>;
        /// `expiresInField`: the answer's lifetime field in seconds (default `"expires_in"`).
        /// `.expires_in_field("ttl")`
        expires_in_field "expiresInField" Str impl Into<String>;
        /// `expiresAtField`: an absolute expiry field in the answer. `.expires_at_field("expires_at")`
        expires_at_field "expiresAtField" Str impl Into<String>;
        /// `refreshExpiresInField`: the session's lifetime field (default `"refresh_expires_in"`).
        /// `.refresh_expires_in_field("session_ttl")`
        refresh_expires_in_field "refreshExpiresInField" Str impl Into<String>;
        /// `logoutScopeParam`: the query parameter of a logout's scope. `.logout_scope_param("scope")`
        logout_scope_param "logoutScopeParam" Str impl Into<String>;
        /// `refreshMethod`: `"POST"` (default) or `"GET"`. `.refresh_method("GET")`
        refresh_method "refreshMethod" Str impl Into<String>;
        /// `crossTab`: share the token and one refresh between tabs (default true). `.cross_tab(false)`
        cross_tab "crossTab" Bool bool;
        /// `autoRefresh`: refresh before expiry on a timer (default true). `.auto_refresh(false)`
        auto_refresh "autoRefresh" Bool bool;
        /// `dpop`: DPoP-bound tokens (RFC 9449), a key kept in the browser. `.dpop(true)`
        dpop "dpop" Bool bool;
        /// `loginReturnsToken`: the login answer carries the token (default true). `.login_returns_token(false)`
        login_returns_token "loginReturnsToken" Bool bool;
        /// `restoreOnCreate`: start `restore()` at construction. `.restore_on_create(true)`
        restore_on_create "restoreOnCreate" Bool bool;
        /// `sessionWarningSeconds`: warn this long before the session's end. `.session_warning_seconds(120.0)`
        session_warning_seconds "sessionWarningSeconds" Num f64;
        /// `loginRedirectUrl`: sign-in by navigation to a token-mediating backend.
        /// `.login_redirect_url("/bff/login")`
        login_redirect_url "loginRedirectUrl" Str impl Into<String>;
        /// `returnToParam`: the query parameter of the return path (default `"returnTo"`).
        /// `.return_to_param("next")`
        return_to_param "returnToParam" Str impl Into<String>;
        /// `logoutRedirectUrl`: where to go after a logout. `.logout_redirect_url("/")`
        logout_redirect_url "logoutRedirectUrl" Str impl Into<String>;
        /// `logoutRedirectField`: the logout answer's field with the URL to go to.
        /// `.logout_redirect_field("logout_url")`
        logout_redirect_field "logoutRedirectField" Str impl Into<String>;
        /// `debug: true`: a line on `console.debug` per request, event and timer, never a token.
        /// `.debug(true)`
        debug "debug" Bool bool;
    }

    /// `logoutUrl: null`: the server has no logout endpoint (a login URL requires saying so).
    ///
    /// ```no_run
    /// let o = wasm_token_manager::Options::new("/r").login_url("/l").no_logout_url();
    /// ```
    #[must_use]
    pub fn no_logout_url(self) -> Self {
        self.set("logoutUrl", Value::Null)
    }

    /// `allowedOrigins`: the origins that get the token (`"self"` is the page's).
    ///
    /// ```no_run
    /// let o = wasm_token_manager::Options::new("/r").allowed_origins(["self", "https://api.example.com"]);
    /// ```
    #[must_use]
    pub fn allowed_origins<S: Into<String>>(self, origins: impl IntoIterator<Item = S>) -> Self {
        self.set("allowedOrigins", Value::List(origins.into_iter().map(Into::into).collect()))
    }

    /// `refreshHeaders`: headers sent with every refresh, login and logout (a CSRF header).
    ///
    /// ```no_run
    /// let o = wasm_token_manager::Options::new("/r").refresh_headers([("X-CSRF", "1")]);
    /// ```
    #[must_use]
    pub fn refresh_headers<K: Into<String>, V: Into<String>>(self, headers: impl IntoIterator<Item = (K, V)>) -> Self {
        let pairs = headers.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        self.set("refreshHeaders", Value::Pairs(pairs))
    }

    /// `refreshHeaders` as a function, called for every refresh, login and logout (a CSRF
    /// token read from a cookie at that moment; an empty value leaves the header out).
    ///
    /// ```no_run
    /// let o = wasm_token_manager::Options::new("/r")
    ///     .refresh_headers_with(|| vec![("X-CSRF".into(), "token-from-cookie".into())]);
    /// ```
    #[must_use]
    pub fn refresh_headers_with(self, headers: impl Fn() -> Vec<(String, String)> + 'static) -> Self {
        self.set("refreshHeaders", Value::Headers(Rc::new(headers)))
    }

    /// `idle`: sign out after `timeout_seconds` without activity, warning `warning_seconds`
    /// before.
    ///
    /// ```no_run
    /// let o = wasm_token_manager::Options::new("/r").idle(900.0, Some(60.0));
    /// ```
    #[must_use]
    pub fn idle(self, timeout_seconds: f64, warning_seconds: Option<f64>) -> Self {
        self.set("idle", Value::Idle(timeout_seconds, warning_seconds))
    }

    /// `debug` as a function: each line goes to `log` instead of `console.debug`.
    ///
    /// ```no_run
    /// let o = wasm_token_manager::Options::new("/r").debug_with(|line| web_sys::console::log_1(&line.into()));
    /// ```
    #[must_use]
    pub fn debug_with(self, log: impl Fn(&str) + 'static) -> Self {
        self.set("debug", Value::Debug(Rc::new(log)))
    }

    /// The JS options object these stand for.
    pub(crate) fn to_js(&self) -> JsValue {
        let o = Object::new();
        for (name, value) in &self.values {
            let v: JsValue = match value {
                Value::Str(s) => s.into(),
                Value::Null => JsValue::NULL,
                Value::Num(n) => (*n).into(),
                Value::Bool(b) => (*b).into(),
                Value::List(list) => list.iter().map(JsValue::from).collect::<Array>().into(),
                Value::Pairs(pairs) => headers_object(pairs),
                Value::Idle(t, w) => crate::web::js::object(&[
                    ("timeoutSeconds", (*t).into()),
                    ("warningSeconds", w.map_or(JsValue::UNDEFINED, JsValue::from)),
                ]),
                Value::Headers(f) => {
                    let f = f.clone();
                    Closure::<dyn Fn() -> JsValue>::new(move || headers_object(&f())).into_js_value()
                }
                Value::Debug(f) => {
                    let f = f.clone();
                    Closure::<dyn Fn(String)>::new(move |line: String| f(&line)).into_js_value()
                }
            };
            let _ = Reflect::set(&o, &(*name).into(), &v);
        }
        o.into()
    }
}

fn headers_object(pairs: &[(String, String)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &k.into(), &v.into());
    }
    o.into()
}

/// What [`TokenManager::login`](crate::TokenManager::login) sends: JSON made from fields or
/// from JSON text, or a form.
///
/// ```no_run
/// use wasm_token_manager::LoginBody;
/// let fields = LoginBody::from([("username", "demo"), ("password", "demo")]);
/// let json = LoginBody::json(r#"{"username":"demo","remember":true}"#).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct LoginBody(pub(crate) JsValue);

impl LoginBody {
    /// A JSON body from JSON text; `None` when it is not JSON.
    ///
    /// ```no_run
    /// let body = wasm_token_manager::LoginBody::json(r#"{"code":"123456"}"#).unwrap();
    /// ```
    pub fn json(text: &str) -> Option<Self> {
        js_sys::JSON::parse(text).ok().map(Self)
    }

    /// Any JS value the JS `login()` takes: a plain object (sent as JSON), `FormData` or
    /// `URLSearchParams` (sent as they are).
    ///
    /// ```no_run
    /// let form = web_sys::FormData::new().unwrap();
    /// let body = wasm_token_manager::LoginBody::js(form.into());
    /// ```
    pub fn js(value: JsValue) -> Self {
        Self(value)
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> From<[(K, V); N]> for LoginBody {
    fn from(fields: [(K, V); N]) -> Self {
        let o = Object::new();
        for (k, v) in &fields {
            let _ = Reflect::set(&o, &k.as_ref().into(), &v.as_ref().into());
        }
        Self(o.into())
    }
}

impl From<Vec<(String, String)>> for LoginBody {
    fn from(fields: Vec<(String, String)>) -> Self {
        Self(headers_object(&fields))
    }
}

/// Where [`TokenManager::login_redirect`](crate::TokenManager::login_redirect) sends the user
/// back, and extra query parameters for the backend's login start.
///
/// ```no_run
/// let to = wasm_token_manager::LoginRedirect::default().return_to("/settings").param("prompt", "login");
/// ```
#[derive(Clone, Debug, Default)]
pub struct LoginRedirect {
    return_to: Option<String>,
    params: Vec<(String, String)>,
}

impl LoginRedirect {
    /// The path to come back to (default: the current path, query and hash); it must be a
    /// path of this origin.
    ///
    /// ```no_run
    /// let to = wasm_token_manager::LoginRedirect::default().return_to("/settings");
    /// ```
    #[must_use]
    pub fn return_to(mut self, path: impl Into<String>) -> Self {
        self.return_to = Some(path.into());
        self
    }

    /// A query parameter added to `loginRedirectUrl`.
    ///
    /// ```no_run
    /// let to = wasm_token_manager::LoginRedirect::default().param("prompt", "login");
    /// ```
    #[must_use]
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    pub(crate) fn to_js(&self) -> JsValue {
        crate::web::js::object(&[
            ("returnTo", self.return_to.as_deref().map_or(JsValue::UNDEFINED, JsValue::from)),
            ("params", headers_object(&self.params)),
        ])
    }
}
