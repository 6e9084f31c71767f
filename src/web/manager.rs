//! The manager in the browser: the machine (`core::machine`, every decision), the JS values it
//! speaks of by id (promises' resolvers, requests, login bodies, lock handles), and the
//! browser objects it drives (channel, listeners, timer, events). Inputs go in through
//! [`Inner::input`], which then runs the executor (`web::executor`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortController, Response};

use crate::core::fifo::Fifo;
use crate::core::idmap::IdMap;
use crate::core::machine::{CallId, Config, Endpoint, HttpId, LockId, Machine, Output, ReqId};
use crate::core::session::{SessionState, TokenGeneration};
use crate::core::token::accepted_token_json;
use crate::web::crosstab::channel::CrossTab;
use crate::web::env::{self, now};
use crate::web::events::Events;
pub use crate::web::options::Resolved;

/// What a caller's promise settles with.
pub enum CallKind {
    /// `login()`: its body and signal; resolves to `undefined`.
    Login { body: JsValue },
    /// `logout()`: resolves to whether the server confirmed; `leaves`: scope local or
    /// global, so it navigates afterwards when `logoutRedirectUrl` or `logoutRedirectField` says.
    Logout { leaves: bool },
    /// `refresh()`: resolves to `undefined`.
    Refresh,
    /// `restore()`: resolves to whether a session was restored.
    Restore,
    /// `getAccessToken()`: resolves to the token held then, or null.
    Token,
}

pub struct PendingCall {
    pub kind: CallKind,
    pub resolve: Function,
    pub reject: Function,
    /// What the server's answer said that the promise needs: after a `login_failed` with a
    /// non-2xx answer, its JSON body; for a logout, the URL at `logoutRedirectField`.
    pub answer: JsValue,
}

/// One `auth.fetch` call.
pub struct PendingFetch {
    /// What `js/http.js` sends: the Request (and a copy for a replay of one with a body), or
    /// a URL with its init.
    pub request: JsValue,
    pub last: Option<Response>,
    pub resolve: Function,
    pub reject: Function,
}

pub struct Inner {
    pub(crate) cfg: Resolved,
    /// The transport: the `fetch` option, or the global `fetch` captured at construction.
    pub(crate) fetch: Function,
    pub(crate) machine: RefCell<Machine>,
    /// Outputs not yet carried out (re-entrant inputs queue here; see `executor`).
    pub(crate) outputs: RefCell<Fifo<Output>>,
    pub(crate) pumping: Cell<bool>,
    pub(crate) calls: RefCell<IdMap<CallId, PendingCall>>,
    pub(crate) fetches: RefCell<IdMap<ReqId, PendingFetch>>,
    /// POSTs on the wire: their endpoints and abort controllers (and the manager, kept alive
    /// until they are answered).
    pub(crate) posts: RefCell<IdMap<HttpId, PendingPost>>,
    /// Lock requests and held locks: the function that releases or abandons each.
    pub(crate) locks: RefCell<IdMap<LockId, Function>>,
    /// The one timer: the deadline (monotonic ms) it is armed for and its handle.
    pub(crate) timer: RefCell<Option<(f64, JsValue)>>,
    /// The one callback for whatever the browser answers (`fetch::answered`).
    pub(crate) answer_callback: RefCell<Option<JsValue>>,
    /// Stops the wake-up listeners (`lifecycle`).
    pub(crate) unlisten: RefCell<Option<Function>>,
    pub(crate) crosstab: RefCell<Option<CrossTab>>,
    pub events: Events,
    /// Events waiting for a released Web Lock to be let go (`Some` from the release until they
    /// are dispatched, a microtask later).
    pub(crate) later_events: RefCell<Option<Vec<crate::core::machine::Event>>>,
    pub(crate) disposed: Cell<bool>,
    pub(crate) dpop: bool,
    /// `auth.fetch` as a function bound to this manager (made once, so its identity is stable).
    pub(crate) bound_fetch: RefCell<Option<JsValue>>,
    /// The store contract (`web::store`).
    pub(crate) snapshot: RefCell<Option<(SnapshotKey, JsValue)>>,
    pub(crate) notified: Cell<Option<SnapshotKey>>,
    pub(crate) bound_store: RefCell<Option<(JsValue, JsValue)>>,
    /// `auth.ready`: the first restore's promise, or one made before any restore started and
    /// the `[resolve, reject]` that settle it when one does.
    pub(crate) ready: RefCell<Option<js_sys::Promise>>,
    pub(crate) ready_deferred: RefCell<JsValue>,
    pub(crate) restored_once: Cell<bool>,
}

/// A POST on the wire: its endpoint, its abort controller, and the manager, kept alive until
/// it is answered.
pub type PendingPost = (Endpoint, Option<AbortController>, Rc<Inner>);

/// What a snapshot is made of: a new one only when this changes (the state as the page sees
/// it, the token, the session's end, the idle deadline, offline).
pub type SnapshotKey = (&'static str, TokenGeneration, Option<f64>, Option<f64>, bool);

impl Inner {
    pub fn new(cfg: Resolved, fetch: Function) -> Rc<Self> {
        let config = Config {
            refresh_margin_ms: cfg.opts.refresh_margin_ms,
            auto_refresh: cfg.opts.auto_refresh,
            cross_tab: cfg.opts.cross_tab,
            has_login_url: cfg.login_url.is_some(),
            login_returns_token: cfg.opts.login_returns_token,
            has_logout_url: cfg.logout_url.is_some(),
            allowed_origins: cfg.allowed_origins.clone(),
            dpop: cfg.opts.dpop,
            session_warning_ms: cfg.opts.session_warning_ms,
            idle: cfg.opts.idle,
            step_up: cfg.on_step_up.is_some(),
        };
        let seed = (env::random01() * 9_007_199_254_740_991.0) as u64;
        let dpop = cfg.opts.dpop;
        let inner = Rc::new(Self {
            cfg,
            fetch,
            machine: RefCell::new(Machine::new(config, seed)),
            outputs: RefCell::new(Fifo::default()),
            pumping: Cell::new(false),
            calls: RefCell::new(IdMap::new()),
            fetches: RefCell::new(IdMap::new()),
            posts: RefCell::new(IdMap::new()),
            locks: RefCell::new(IdMap::new()),
            timer: RefCell::new(None),
            answer_callback: RefCell::new(None),
            unlisten: RefCell::new(None),
            crosstab: RefCell::new(None),
            events: Events::default(),
            later_events: RefCell::new(None),
            disposed: Cell::new(false),
            dpop,
            bound_fetch: RefCell::new(None),
            snapshot: RefCell::new(None),
            notified: Cell::new(None),
            bound_store: RefCell::new(None),
            ready: RefCell::new(None),
            ready_deferred: RefCell::new(JsValue::UNDEFINED),
            restored_once: Cell::new(false),
        });
        inner.listen();
        inner
    }

    /// A manager from the constructor's options object (the JS `TokenManager` and the Rust
    /// API both make theirs here): `unsupported_environment` without a page or `fetch`,
    /// `invalid_options` for bad options; the first restore starts when `restoreOnCreate`.
    pub fn create(options: &JsValue) -> Result<Rc<Self>, JsValue> {
        use crate::core::ErrorCode;
        use crate::web::error;
        if env::base_url().is_none() {
            return Err(error::js(
                ErrorCode::UnsupportedEnvironment,
                "TokenManager needs a browser page or worker: this environment has no location (server-side rendering, a Node test runner?). Create it in the browser, e.g. in an effect or a client-only module.",
            ));
        }
        let (cfg, transport) = crate::web::options::resolve(options)?;
        let fetch = match transport {
            Some(f) => f,
            None => env::global_fetch().ok_or_else(|| {
                error::js(
                    ErrorCode::UnsupportedEnvironment,
                    "TokenManager needs fetch: this environment has none (pass the fetch option)",
                )
            })?,
        };
        let inner = Self::new(cfg, fetch);
        if inner.cfg.opts.restore_on_create {
            let _ = inner.restore();
        }
        Ok(inner)
    }

    /// Give the machine an input (it gets `now`) and queue what it asks for, without carrying it
    /// out yet (the caller may need to record the id the input returned first).
    pub(crate) fn feed<T>(&self, f: impl FnOnce(&mut Machine, crate::core::Instant) -> T) -> T {
        let mut m = self.machine.borrow_mut();
        let value = f(&mut m, now());
        let mut out = self.outputs.borrow_mut();
        while let Some(o) = m.poll_output() {
            out.push(o);
        }
        value
    }

    /// Give the machine an input (it gets `now`), then carry out what it asks for.
    pub(crate) fn input<T>(self: &Rc<Self>, f: impl FnOnce(&mut Machine, crate::core::Instant) -> T) -> T {
        let value = self.feed(f);
        self.pump();
        value
    }

    /// A caller's call (`login`, `logout`, `refresh`, `restore`): its promise settles when the
    /// machine says.
    pub(crate) fn call(
        self: &Rc<Self>,
        kind: CallKind,
        f: impl FnOnce(&mut Machine, crate::core::Instant) -> CallId,
    ) -> (js_sys::Promise, CallId) {
        let mut resolvers = None;
        let promise = js_sys::Promise::new(&mut |resolve, reject| resolvers = Some((resolve, reject)));
        let call = self.feed(f);
        if let Some((resolve, reject)) = resolvers {
            let pending = PendingCall { kind, resolve, reject, answer: JsValue::UNDEFINED };
            self.calls.borrow_mut().insert(call, pending);
        }
        self.pump();
        (promise, call)
    }

    /// `restore()`: the call, and the first one's outcome is `auth.ready`'s.
    pub(crate) fn restore(self: &Rc<Self>) -> js_sys::Promise {
        use crate::core::run::RefreshKind;
        let promise = self.call(CallKind::Restore, |m, now| m.refresh(now, RefreshKind::Restore)).0;
        if !self.restored_once.replace(true) {
            env::follow(&promise, &self.ready_deferred.replace(JsValue::UNDEFINED));
            self.ready.borrow_mut().get_or_insert_with(|| promise.clone());
        }
        promise
    }

    /// `auth.ready`: the outcome of the first `restore()` (the one `restoreOnCreate` starts).
    pub(crate) fn ready(&self) -> js_sys::Promise {
        if let Some(p) = self.ready.borrow().as_ref() {
            return p.clone();
        }
        let mut deferred = JsValue::UNDEFINED;
        let promise = js_sys::Promise::new(&mut |resolve, reject| {
            deferred = js_sys::Array::of2(&resolve, &reject).into();
        });
        *self.ready_deferred.borrow_mut() = deferred;
        *self.ready.borrow_mut() = Some(promise.clone());
        promise
    }

    // ---- state read by the getters -----------------------------------------------------

    pub fn state(&self) -> SessionState {
        self.machine.borrow().state()
    }

    pub fn expires_at(&self) -> Option<f64> {
        self.machine.borrow().expires_at(now())
    }

    pub fn refresh_at(&self) -> Option<f64> {
        self.machine.borrow().refresh_at(now())
    }

    /// A JS string made from the held token's bytes (no copy in wasm memory).
    pub fn access_token(&self) -> Option<js_sys::JsString> {
        self.machine.borrow().access_token().map(js_sys::JsString::from)
    }

    /// The payload JSON of the held token, if it is a readable JWS.
    pub fn claims_json(&self) -> Option<String> {
        accepted_token_json(self.machine.borrow().access_token()?).map(|j| j.payload)
    }

    pub(crate) fn snapshot_key(&self) -> SnapshotKey {
        let m = self.machine.borrow();
        (m.state_name(), m.generation(), m.session_expires_at(), m.idle_deadline(), m.offline())
    }

    // ---- dispose -------------------------------------------------------------------------

    pub fn dispose(self: &Rc<Self>) {
        if self.disposed.get() {
            return;
        }
        // Cleared first: a POST on the wire is let finish (the machine's `dispose`), and its
        // deadline arms a timer of its own.
        if let Some((_, handle)) = self.timer.borrow_mut().take() {
            env::clear_timeout(&handle);
        }
        self.input(|m, now| m.dispose(now));
        self.disposed.set(true);
        // `ready` handed out before any restore(): none will come.
        let deferred = self.ready_deferred.replace(JsValue::UNDEFINED);
        if let Some(reject) = deferred.dyn_ref::<js_sys::Array>().map(|d| d.get(1)) {
            let e = crate::web::error::js(crate::core::ErrorCode::Aborted, "the manager was disposed");
            let _ = reject.unchecked_ref::<Function>().call1(&JsValue::UNDEFINED, &e);
        }
        if let Some(off) = self.unlisten.borrow_mut().take() {
            let _ = off.call0(&JsValue::UNDEFINED);
        }
        self.crosstab.borrow_mut().take();
        self.events.clear();
        // Every lock but the one the POST let finish keeps (released when it ends).
        let kept = self.machine.borrow().kept_lock();
        let mut locks = std::mem::take(&mut *self.locks.borrow_mut());
        if let Some(id) = kept {
            if let Some(release) = locks.remove(&id) {
                self.locks.borrow_mut().insert(id, release);
            }
        }
        for (_, release) in locks {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
    }
}
