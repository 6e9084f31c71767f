//! Leptos 0.8 (feature `leptos`): the manager in context, its snapshot as a `Signal`, and a
//! server-function client that carries the token.
//!
//! Leptos contexts, signals and views want `Send + Sync` values; the manager is `!Send` (it
//! lives in the page's one thread). So this adapter hands it out as a [`Manager`], a
//! `SendWrapper<TokenManager>`: it derefs to the manager, can be moved into view closures and
//! event handlers, and panics only if touched from another thread, which a browser app never
//! does. The futures its methods return are `!Send`: give them to `leptos::task::spawn_local`.
//! The snapshot is plain data, so its signal is an ordinary `Signal<Snapshot>`.
//!
//! ```no_run
//! use leptos::prelude::*;
//! use wasm_token_manager::adapters::leptos::{provide_token_manager, use_auth_snapshot, use_token_manager};
//! use wasm_token_manager::{Options, Scope};
//!
//! #[component]
//! fn App() -> impl IntoView {
//!     provide_token_manager(Options::new("/auth/refresh").login_url("/auth/login").logout_url("/auth/logout").restore_on_create(true))
//!         .expect("valid options");
//!     let snapshot = use_auth_snapshot();
//!     let auth = use_token_manager();
//!     view! {
//!         <p>{move || snapshot.get().state.as_str()}</p>
//!         <button on:click=move |_| { let out = auth.logout(Scope::Local); leptos::task::spawn_local(async move { let _ = out.await; }); }>
//!             "Sign out"
//!         </button>
//!     }
//! }
//! ```

use std::cell::RefCell;
use std::future::Future;

use bytes::Bytes;
use futures::Stream;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use server_fn::client::Client;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};
use server_fn::request::browser::BrowserRequest;
use server_fn::response::ClientRes;

use crate::api::WeakManager;
use crate::{Error, Options, Snapshot, TokenManager};

/// The manager as Leptos holds it (`Send + Sync + Clone`; derefs to [`TokenManager`]).
pub type Manager = SendWrapper<TokenManager>;

#[derive(Clone)]
struct Provided {
    manager: SendWrapper<TokenManager>,
    snapshot: Signal<Snapshot>,
}

thread_local! {
    /// The manager [`AuthClient`] sends through: the last one provided, while its component
    /// lives (held weakly: it does not keep the manager alive).
    static CURRENT: RefCell<Option<WeakManager>> = const { RefCell::new(None) };
}

/// Make a manager and put it in context (with its snapshot signal) for this component and its
/// children; server functions declared with `client = AuthClient` send through it.
///
/// ```no_run
/// # use wasm_token_manager::{Options, adapters::leptos::provide_token_manager};
/// let auth = provide_token_manager(Options::new("/auth/refresh").restore_on_create(true))?;
/// # Ok::<(), wasm_token_manager::Error>(())
/// ```
pub fn provide_token_manager(options: Options) -> Result<Manager, Error> {
    let manager = TokenManager::new(options)?;
    provide(manager.clone());
    Ok(SendWrapper::new(manager))
}

/// Put an existing manager in context (and make it [`AuthClient`]'s).
///
/// ```no_run
/// # use wasm_token_manager::{Options, TokenManager, adapters::leptos::provide};
/// provide(TokenManager::new(Options::new("/auth/refresh"))?);
/// # Ok::<(), wasm_token_manager::Error>(())
/// ```
pub fn provide(manager: TokenManager) {
    let signal = RwSignal::new(manager.snapshot());
    // Written a microtask later, not inside the manager's step: a snapshot read in progress
    // (`snapshot.with(..)` around a call that changes the session) must not meet a write.
    let subscription = manager.subscribe(move |s| {
        let s = s.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let _ = signal.try_set(s);
        });
    });
    let weak = manager.downgrade();
    CURRENT.with(|c| *c.borrow_mut() = Some(weak.clone()));
    let cleanup = SendWrapper::new((subscription, weak));
    on_cleanup(move || {
        let (subscription, weak) = cleanup.take();
        drop(subscription);
        CURRENT.with(|c| {
            let mut c = c.borrow_mut();
            if c.as_ref().is_some_and(|w| w.same(&weak)) {
                *c = None;
            }
        });
    });
    provide_context(Provided { manager: SendWrapper::new(manager), snapshot: signal.read_only().into() });
}

/// The manager in context. Panics when none was provided (as `expect_context` does);
/// [`try_use_token_manager`] does not.
///
/// ```no_run
/// # use wasm_token_manager::adapters::leptos::use_token_manager;
/// let auth = use_token_manager();
/// ```
pub fn use_token_manager() -> Manager {
    try_use_token_manager().expect("use_token_manager: call provide_token_manager in a parent component")
}

/// The manager in context, if one was provided.
///
/// ```no_run
/// # use wasm_token_manager::adapters::leptos::try_use_token_manager;
/// let auth = try_use_token_manager();
/// ```
pub fn try_use_token_manager() -> Option<Manager> {
    use_context::<Provided>().map(|p| p.manager)
}

/// The session's snapshot as a signal: it changes when the session does, never when the token
/// is read. Panics when no manager was provided.
///
/// ```no_run
/// # use leptos::prelude::*;
/// # use wasm_token_manager::adapters::leptos::use_auth_snapshot;
/// let snapshot = use_auth_snapshot();
/// let signed_in = move || snapshot.get().is_authenticated;
/// ```
pub fn use_auth_snapshot() -> Signal<Snapshot> {
    use_context::<Provided>()
        .map(|p| p.snapshot)
        .expect("use_auth_snapshot: call provide_token_manager in a parent component")
}

/// A server-function client that sends through the provided manager: the token on every
/// call, a refresh first when it is dead, one retry after a 401.
///
/// ```ignore
/// #[server(client = wasm_token_manager::adapters::leptos::AuthClient)]
/// pub async fn my_orders() -> Result<Vec<Order>, ServerFnError> { /* ... */ }
/// ```
pub struct AuthClient;

/// Aborts its controller when dropped, unless disarmed (the answer came).
struct AbortOnDrop(Option<web_sys::AbortController>);

impl AbortOnDrop {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            c.abort();
        }
    }
}

/// The answer to a server function sent by [`AuthClient`].
pub struct AuthResponse(SendWrapper<web_sys::Response>);

fn request_error<E: FromServerFnError>(message: String) -> E {
    E::from_server_fn_error(ServerFnErrorErr::Request(message))
}

impl<E: FromServerFnError, IS: FromServerFnError, OS: FromServerFnError> Client<E, IS, OS> for AuthClient {
    type Request = BrowserRequest;
    type Response = AuthResponse;

    fn send(req: Self::Request) -> impl Future<Output = Result<Self::Response, E>> + Send {
        SendWrapper::new(async move {
            let manager = CURRENT.with(|c| c.borrow().as_ref().and_then(WeakManager::upgrade)).ok_or_else(|| {
                request_error::<E>("AuthClient: no token manager is provided (provide_token_manager)".into())
            })?;
            // Server functions' requests carry an abort signal that fires when the request
            // object is taken apart: the copy sent gets a signal of its own, aborted when this
            // future is dropped unanswered (a resource or action that moved on), as theirs was.
            let built: web_sys::Request = req.into();
            let abort = AbortOnDrop(web_sys::AbortController::new().ok());
            let init = web_sys::RequestInit::new();
            let signal = abort.0.as_ref().map_or(wasm_bindgen::JsValue::NULL, |c| c.signal().into());
            let _ = js_sys::Reflect::set(&init, &"signal".into(), &signal);
            let request = web_sys::Request::new_with_request_and_init(&built, &init)
                .map_err(|e| request_error::<E>(format!("{e:?}")))?;
            let response = manager.fetch(request).await.map_err(|e| request_error::<E>(e.to_string()));
            abort.disarm();
            Ok(AuthResponse(SendWrapper::new(response?)))
        })
    }

    #[allow(refining_impl_trait)]
    fn open_websocket(
        path: &str,
    ) -> impl Future<Output = Result<(futures::stream::Empty<Result<Bytes, Bytes>>, futures::sink::Drain<Bytes>), E>> + Send
    {
        let message = format!("AuthClient does not open websockets ({path}): use the default client for those");
        SendWrapper::new(std::future::ready(Err(request_error::<E>(message))))
    }

    fn spawn(future: impl Future<Output = ()> + Send + 'static) {
        wasm_bindgen_futures::spawn_local(future);
    }
}

async fn body_of(response: &web_sys::Response, text: bool) -> Result<wasm_bindgen::JsValue, String> {
    let promise = if text { response.text() } else { response.array_buffer() };
    let promise = promise.map_err(|e| format!("{e:?}"))?;
    wasm_bindgen_futures::JsFuture::from(promise).await.map_err(|e| format!("{e:?}"))
}

impl<E: FromServerFnError> ClientRes<E> for AuthResponse {
    fn try_into_string(self) -> impl Future<Output = Result<String, E>> + Send {
        SendWrapper::new(async move {
            let v = body_of(&self.0, true)
                .await
                .map_err(|m| E::from_server_fn_error(ServerFnErrorErr::Deserialization(m)))?;
            Ok(v.as_string().unwrap_or_default())
        })
    }

    fn try_into_bytes(self) -> impl Future<Output = Result<Bytes, E>> + Send {
        SendWrapper::new(async move {
            let v = body_of(&self.0, false)
                .await
                .map_err(|m| E::from_server_fn_error(ServerFnErrorErr::Deserialization(m)))?;
            Ok(Bytes::from(js_sys::Uint8Array::new(&v).to_vec()))
        })
    }

    fn try_into_stream(self) -> Result<impl Stream<Item = Result<Bytes, Bytes>> + Send + Sync + 'static, E> {
        // The whole body as one chunk: streaming server functions keep the default client.
        let once = futures::stream::once(async move {
            match body_of(&self.0, false).await {
                Ok(v) => Ok(Bytes::from(js_sys::Uint8Array::new(&v).to_vec())),
                Err(m) => Err(E::from_server_fn_error(ServerFnErrorErr::Request(m)).ser()),
            }
        });
        Ok(SendWrapper::new(once))
    }

    fn status(&self) -> u16 {
        self.0.status()
    }

    fn status_text(&self) -> String {
        self.0.status_text()
    }

    fn location(&self) -> String {
        self.0.headers().get("Location").ok().flatten().unwrap_or_else(|| self.0.url())
    }

    fn has_redirect(&self) -> bool {
        self.0.headers().get(server_fn::redirect::REDIRECT_HEADER).ok().flatten().is_some()
    }
}
