//! The Rust API: the same manager as the JS `TokenManager`, for apps written in Rust (Leptos,
//! Yew, Dioxus, or none). It sits on the same machine (`core::machine`) and executor
//! (`web`) as the JS bindings and does not go through them: one implementation, two surfaces.
//!
//! Calls start when they are made (as JS promises do) and return `'static` futures, so they can
//! be handed to `spawn_local` without borrowing the manager.

mod error;
mod options;
mod state;

use std::future::Future;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

pub use crate::core::machine::Scope;
pub use error::{Error, ErrorCode};
pub use options::{LoginBody, LoginRedirect, Options};
pub use state::{Event, Snapshot, State, Subscription};

use crate::core::run::RefreshKind;
use crate::web::manager::{CallKind, Inner};
use error::settle;

/// The token manager: the access token in memory, silent refresh from the HttpOnly cookie,
/// one refresh shared by concurrent callers and by the tabs, and a `fetch` that carries the
/// token to allowed origins and retries once after a 401.
///
/// Cheap to clone (a reference-counted handle; clones are the same manager, and compare
/// equal); `!Send`, as everything in a browser page is. When the last clone is dropped, the
/// manager is disposed (timers, listeners and the token are gone).
///
/// ```no_run
/// use wasm_token_manager::{Options, Scope, TokenManager};
/// # async fn app() -> Result<(), wasm_token_manager::Error> {
/// let auth = TokenManager::new(Options::new("/auth/refresh").login_url("/auth/login").logout_url("/auth/logout"))?;
/// if !auth.restore().await? {
///     auth.login([("username", "demo"), ("password", "demo")]).await?;
/// }
/// let me = auth.fetch_with("/api/me", &web_sys::RequestInit::new()).await?;
/// auth.logout(Scope::Local).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TokenManager {
    handle: Rc<Handle>,
}

/// Disposes the manager when the last clone goes.
pub(crate) struct Handle(Rc<Inner>);

/// A handle that does not keep the manager alive (adapters keep one where a strong one would
/// outlive the component that provided the manager).
#[derive(Clone)]
#[cfg_attr(not(feature = "leptos"), allow(dead_code))]
pub(crate) struct WeakManager(std::rc::Weak<Handle>);

#[cfg_attr(not(feature = "leptos"), allow(dead_code))]
impl WeakManager {
    pub(crate) fn upgrade(&self) -> Option<TokenManager> {
        self.0.upgrade().map(|handle| TokenManager { handle })
    }

    pub(crate) fn same(&self, other: &WeakManager) -> bool {
        self.0.ptr_eq(&other.0)
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.0.dispose();
    }
}

impl PartialEq for TokenManager {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.handle, &other.handle)
    }
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager").field("state", &self.snapshot().state).finish_non_exhaustive()
    }
}

impl TokenManager {
    /// A manager with these options: [`ErrorCode::InvalidOptions`] for bad ones (the JS
    /// constructor's rules and messages), [`ErrorCode::UnsupportedEnvironment`] outside a
    /// browser page or worker.
    ///
    /// ```no_run
    /// let auth = wasm_token_manager::TokenManager::new(wasm_token_manager::Options::new("/auth/refresh"))?;
    /// # Ok::<(), wasm_token_manager::Error>(())
    /// ```
    pub fn new(options: Options) -> Result<Self, Error> {
        let inner = Inner::create(&options.to_js()).map_err(Error::from_js)?;
        Ok(Self { handle: Rc::new(Handle(inner)) })
    }

    fn inner(&self) -> &Rc<Inner> {
        &self.handle.0
    }

    #[cfg_attr(not(feature = "leptos"), allow(dead_code))]
    pub(crate) fn downgrade(&self) -> WeakManager {
        WeakManager(Rc::downgrade(&self.handle))
    }

    /// A call whose promise settles when the machine says; the future keeps the manager alive.
    fn call(
        &self,
        kind: CallKind,
        f: impl FnOnce(&mut crate::core::machine::Machine, crate::core::Instant) -> crate::core::machine::CallId,
    ) -> impl Future<Output = Result<JsValue, Error>> + 'static {
        let promise = self.inner().call(kind, f).0;
        let keep = self.clone();
        async move {
            let out = settle(promise).await;
            drop(keep);
            out
        }
    }

    /// POST `body` to `loginUrl` (after any refresh in flight, under the cross-tab lock);
    /// resolves when the token is held. [`ErrorCode::LoginFailed`] (with the status and the
    /// answer's JSON body), `InvalidOptions` (no `loginUrl`), `MalformedToken`, `Aborted`.
    ///
    /// ```no_run
    /// # async fn f(auth: wasm_token_manager::TokenManager) -> Result<(), wasm_token_manager::Error> {
    /// auth.login([("username", "demo"), ("password", "demo")]).await?;
    /// # Ok(()) }
    /// ```
    pub fn login(&self, body: impl Into<LoginBody>) -> impl Future<Output = Result<(), Error>> + 'static {
        let body = body.into().0;
        let call = self.call(CallKind::Login { body }, |m, now| m.login(now));
        async move { call.await.map(drop) }
    }

    /// Sign in by navigation (a token-mediating backend): the page goes to `loginRedirectUrl`
    /// with the return path; back on the page, [`TokenManager::restore`] gets the token.
    /// `InvalidOptions` (no `loginRedirectUrl`, a `return_to` of another origin) navigates
    /// nowhere.
    ///
    /// ```no_run
    /// # async fn f(auth: wasm_token_manager::TokenManager) -> Result<(), wasm_token_manager::Error> {
    /// auth.login_redirect(wasm_token_manager::LoginRedirect::default().return_to("/settings")).await?;
    /// # Ok(()) }
    /// ```
    pub fn login_redirect(&self, to: LoginRedirect) -> impl Future<Output = Result<(), Error>> + 'static {
        let promise = crate::web::navigate::login_redirect(&self.inner().cfg.nav, &to.to_js());
        async move { settle(promise).await.map(drop) }
    }

    /// End the session: [`Scope::Local`] (here and in the other tabs at once, then on the
    /// server) and [`Scope::Global`] (every session of the user) resolve to whether the server
    /// confirmed and never fail; [`Scope::Others`] ends the user's other sessions and fails
    /// with `LogoutFailed` unless the server confirmed.
    ///
    /// ```no_run
    /// # async fn f(auth: wasm_token_manager::TokenManager) -> Result<(), wasm_token_manager::Error> {
    /// let confirmed = auth.logout(wasm_token_manager::Scope::Local).await?;
    /// # Ok(()) }
    /// ```
    pub fn logout(&self, scope: Scope) -> impl Future<Output = Result<bool, Error>> + 'static {
        let call = self.call(CallKind::Logout { leaves: scope != Scope::Others }, move |m, now| m.logout(now, scope));
        async move { call.await.map(|v| v.is_truthy()) }
    }

    /// A silent refresh from the cookie (page load): `true` when a session was restored,
    /// `false` when there is none; `RefreshFailed` when the server cannot tell.
    ///
    /// ```no_run
    /// # async fn f(auth: wasm_token_manager::TokenManager) -> Result<(), wasm_token_manager::Error> {
    /// let signed_in = auth.restore().await?;
    /// # Ok(()) }
    /// ```
    pub fn restore(&self) -> impl Future<Output = Result<bool, Error>> + 'static {
        let promise = self.inner().restore();
        let keep = self.clone();
        async move {
            let out = settle(promise).await.map(|v| v.is_truthy());
            drop(keep);
            out
        }
    }

    /// The outcome of the first restore (the one `restore_on_create` starts).
    ///
    /// ```no_run
    /// # async fn f(auth: wasm_token_manager::TokenManager) -> Result<(), wasm_token_manager::Error> {
    /// let signed_in = auth.ready().await?;
    /// # Ok(()) }
    /// ```
    pub fn ready(&self) -> impl Future<Output = Result<bool, Error>> + 'static {
        let promise = self.inner().ready();
        let keep = self.clone();
        async move {
            let out = settle(promise).await.map(|v| v.is_truthy());
            drop(keep);
            out
        }
    }

    /// Refresh now (joins a refresh in flight here or in another tab). `NotAuthenticated`,
    /// `SessionExpired`, `RefreshFailed`, `Aborted`.
    ///
    /// ```no_run
    /// # async fn f(auth: wasm_token_manager::TokenManager) -> Result<(), wasm_token_manager::Error> {
    /// auth.refresh().await?;
    /// # Ok(()) }
    /// ```
    pub fn refresh(&self) -> impl Future<Output = Result<(), Error>> + 'static {
        let call = self.call(CallKind::Refresh, |m, now| m.refresh(now, RefreshKind::Explicit));
        async move { call.await.map(drop) }
    }

    /// A token that is neither expired nor inside its refresh margin, refreshing first when
    /// needed; `None` when nobody is signed in. For a WebSocket URL, a GraphQL client, an SDK.
    /// Reading it notifies no subscriber.
    ///
    /// ```no_run
    /// # async fn f(auth: wasm_token_manager::TokenManager) -> Result<(), wasm_token_manager::Error> {
    /// if let Some(token) = auth.get_access_token().await? {
    ///     let url = format!("wss://api.example.com/live?access_token={token}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn get_access_token(&self) -> impl Future<Output = Result<Option<String>, Error>> + 'static {
        let call = self.call(CallKind::Token, |m, now| m.get_access_token(now));
        async move { call.await.map(|v| v.as_string()) }
    }

    /// Send `request` as `fetch` would: the token goes to allowed origins, a refresh comes
    /// first when the token is dead, and a 401 is retried once after a refresh (a copy of the
    /// request is kept for that). The answer is the server's, whatever its status;
    /// [`Error::Fetch`] when the browser's fetch failed.
    ///
    /// ```no_run
    /// # async fn f(auth: wasm_token_manager::TokenManager) -> Result<(), wasm_token_manager::Error> {
    /// let req = web_sys::Request::new_with_str("/api/me").unwrap();
    /// let res = auth.fetch(req).await?;
    /// assert!(res.ok());
    /// # Ok(()) }
    /// ```
    pub fn fetch(&self, request: web_sys::Request) -> impl Future<Output = Result<web_sys::Response, Error>> + 'static {
        self.send(request.into(), JsValue::UNDEFINED)
    }

    /// [`TokenManager::fetch`] with a URL and its `RequestInit`.
    ///
    /// ```no_run
    /// # async fn f(auth: wasm_token_manager::TokenManager) -> Result<(), wasm_token_manager::Error> {
    /// let init = web_sys::RequestInit::new();
    /// init.set_method("POST");
    /// init.set_body(&"{}".into());
    /// let res = auth.fetch_with("/api/items", &init).await?;
    /// # Ok(()) }
    /// ```
    pub fn fetch_with(
        &self,
        url: &str,
        init: &web_sys::RequestInit,
    ) -> impl Future<Output = Result<web_sys::Response, Error>> + 'static {
        self.send(url.into(), init.into())
    }

    fn send(&self, input: JsValue, init: JsValue) -> impl Future<Output = Result<web_sys::Response, Error>> + 'static {
        let promise = self.inner().fetch(input, init);
        let keep = self.clone();
        async move {
            let out = settle(promise).await.map(error::response);
            drop(keep);
            out
        }
    }

    /// The held token now, without waiting or refreshing (it may be inside its margin, or
    /// expired). Prefer [`TokenManager::get_access_token`] or [`TokenManager::fetch`].
    ///
    /// ```no_run
    /// # let auth: wasm_token_manager::TokenManager = unimplemented!();
    /// let held: Option<String> = auth.access_token();
    /// ```
    pub fn access_token(&self) -> Option<String> {
        self.inner().access_token().map(String::from)
    }

    /// Use a token obtained some other way; `MalformedToken` when it is not one.
    ///
    /// ```no_run
    /// # let auth: wasm_token_manager::TokenManager = unimplemented!();
    /// auth.set_access_token("eyJ...".into(), Some(300.0))?;
    /// # Ok::<(), wasm_token_manager::Error>(())
    /// ```
    pub fn set_access_token(&self, token: String, expires_in_seconds: Option<f64>) -> Result<(), Error> {
        self.inner()
            .input(|m, now| m.set_access_token(now, token.into(), expires_in_seconds))
            .map_err(|e| Error::Manager { code: e.code, message: e.message.into_owned(), status: None, body: None })
    }

    /// Count as the user's activity for the `idle` timeout (shared with the other tabs).
    ///
    /// ```no_run
    /// # let auth: wasm_token_manager::TokenManager = unimplemented!();
    /// auth.touch();
    /// ```
    pub fn touch(&self) {
        self.inner().input(|m, now| m.activity(now));
    }

    /// The session as a UI shows it, now.
    ///
    /// ```no_run
    /// # let auth: wasm_token_manager::TokenManager = unimplemented!();
    /// let signed_in = auth.snapshot().is_authenticated;
    /// ```
    pub fn snapshot(&self) -> Snapshot {
        Snapshot::of(self.inner())
    }

    /// Call `listener` with the new snapshot each time the session changes (not at once, and
    /// never for a token read). Dropping the [`Subscription`] unsubscribes.
    ///
    /// ```no_run
    /// # let auth: wasm_token_manager::TokenManager = unimplemented!();
    /// let sub = auth.subscribe(|s| web_sys::console::log_1(&s.state.as_str().into()));
    /// ```
    pub fn subscribe(&self, listener: impl Fn(&Snapshot) + 'static) -> Subscription {
        state::subscribe(self.inner(), listener)
    }

    /// Call `handler` with every [`Event`]. Dropping the [`Subscription`] unsubscribes.
    ///
    /// ```no_run
    /// use wasm_token_manager::Event;
    /// # let auth: wasm_token_manager::TokenManager = unimplemented!();
    /// let sub = auth.on_event(|e| if let Event::SessionExpired { .. } = e { /* sign-in form */ });
    /// ```
    pub fn on_event(&self, handler: impl Fn(&Event) + 'static) -> Subscription {
        state::on_event(self.inner(), handler)
    }

    /// Stop timers and listeners and forget the token now (dropping the last clone does it
    /// too). Calls in flight fail with `Aborted`. A refresh or logout request already on the wire
    /// is let finish, its answer ignored, so that a rotated refresh cookie lands (`docs/api.md`).
    ///
    /// ```no_run
    /// # let auth: wasm_token_manager::TokenManager = unimplemented!();
    /// auth.dispose();
    /// ```
    pub fn dispose(&self) {
        self.inner().dispose();
    }
}
