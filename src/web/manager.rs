//! The manager's state container: configuration, the session (in a RefCell: borrows are short
//! and never cross an `.await` or a user callback), the run in flight, the timer, listeners
//! and the cross-tab channel; plus the two state changes every operation shares (adopt a
//! token, end the session) and the events they fire.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::core::options::Options;
use crate::core::session::{Adoption, EndReason, Session, SessionState, TokenGeneration, TokenSource};
use crate::core::token::{accepted_token_json, held_shape};
use crate::core::Error;
use crate::web::crosstab::channel::CrossTab;
use crate::web::crosstab::lock::{self, LockGuard};
use crate::web::dpop::Dpop;
use crate::web::env::{self, now};
use crate::web::events::{self, EventKind, Events, RefreshedDetail, StateDetail};
use crate::web::lifecycle::{wake_listeners, DomListener};
use crate::web::net::Net;
use crate::web::schedule::wake_later;

/// Longest wait for the cross-tab lock (another tab's refresh, login or logout), and for a
/// refresh in flight before a login or logout goes ahead anyway.
pub const LOCK_WAIT_MS: u32 = 20_000;

/// Options with URLs resolved against the page.
pub struct Resolved {
    pub opts: Options,
    pub refresh_url: String,
    pub login_url: Option<String>,
    pub logout_url: Option<String>,
    pub allowed_origins: Vec<String>,
    /// `refreshHeaders` given as a function: called for every refresh, login and logout.
    pub headers_fn: Option<js_sys::Function>,
    /// `parseTokenResponse`: the caller's reader of login/refresh responses.
    pub parse_fn: Option<js_sys::Function>,
}

pub struct Inner {
    pub(crate) cfg: Resolved,
    pub(crate) net: Net,
    pub(crate) session: RefCell<Session>,
    /// The single refresh run in flight; every waiter awaits this same promise.
    pub(crate) in_flight: RefCell<Option<Promise>>,
    /// The one pending refresh timer (RAII: replacing it cancels the old one).
    pub(crate) timer: RefCell<Option<Timeout>>,
    listeners: RefCell<Vec<DomListener>>,
    pub(crate) crosstab: RefCell<Option<CrossTab>>,
    pub events: Events,
    pub(crate) disposed: Cell<bool>,
    /// DPoP key, proofs and nonces (`dpop: true`).
    pub(crate) dpop: Option<Dpop>,
    /// `auth.fetch` as a function bound to this manager (made once, so its identity is stable).
    pub(crate) bound_fetch: RefCell<Option<JsValue>>,
    /// The per-manager queue of refresh runs, logins and logouts: resolves when the last
    /// operation that took a [`Turn`] is done; `queued` counts the turns not yet released.
    queue: RefCell<Promise>,
    queued: Rc<Cell<u32>>,
    /// The store contract (`web::store`): the current snapshot and what it was made from, and
    /// the bound `subscribe` / `getSnapshot` functions.
    pub(crate) snapshot: RefCell<Option<(SnapshotKey, JsValue)>>,
    /// The session subscribers last heard of.
    pub(crate) notified: Cell<Option<SnapshotKey>>,
    pub(crate) bound_store: RefCell<Option<(JsValue, JsValue)>>,
}

/// What a snapshot is made of: a new one only when this changes.
pub type SnapshotKey = (SessionState, TokenGeneration);

/// This manager's turn; dropping it lets the next queued operation go.
pub struct Turn {
    release: Option<js_sys::Function>,
    queued: Rc<Cell<u32>>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.queued.set(self.queued.get().saturating_sub(1));
        if let Some(f) = &self.release {
            let _ = f.call0(&JsValue::UNDEFINED);
        }
    }
}

impl Inner {
    pub fn new(cfg: Resolved, fetch: js_sys::Function) -> Rc<Self> {
        let session = Session::with_auto_refresh(cfg.opts.auto_refresh);
        let cfg_dpop = cfg.opts.dpop;
        let inner = Rc::new(Self {
            cfg,
            net: Net::new(fetch),
            session: RefCell::new(session),
            in_flight: RefCell::new(None),
            timer: RefCell::new(None),
            listeners: RefCell::new(Vec::new()),
            crosstab: RefCell::new(None),
            events: Events::default(),
            disposed: Cell::new(false),
            dpop: cfg_dpop.then(Dpop::default),
            bound_fetch: RefCell::new(None),
            queue: RefCell::new(Promise::resolve(&JsValue::UNDEFINED)),
            queued: Rc::new(Cell::new(0)),
            snapshot: RefCell::new(None),
            notified: Cell::new(None),
            bound_store: RefCell::new(None),
        });
        let weak = Rc::downgrade(&inner);
        *inner.listeners.borrow_mut() = wake_listeners(move |wake| wake_later(&weak, wake));
        if inner.cfg.opts.cross_tab {
            let weak = Rc::downgrade(&inner);
            let channel = CrossTab::new(&inner.cfg.refresh_url, move |data| {
                if let Some(inner) = weak.upgrade() {
                    inner.on_peer_message(&data);
                }
            });
            *inner.crosstab.borrow_mut() = Some(channel);
        }
        inner
    }

    // ---- state read by the getters -----------------------------------------------------

    pub fn state(&self) -> SessionState {
        self.session.borrow().state()
    }

    pub fn expires_at(&self) -> Option<f64> {
        self.session.borrow().expires_at_wall_ms(now())
    }

    /// When the next proactive refresh is due (wall-clock ms), if one is scheduled.
    pub fn refresh_at(&self) -> Option<f64> {
        let now = now();
        self.session.borrow().timer_delay_ms(now).map(|d| now.wall_ms + d)
    }

    pub fn access_token(&self) -> Option<String> {
        self.session.borrow().token().map(|t| t.value().to_owned())
    }

    /// The payload JSON of the held token, if it is a readable JWS.
    pub fn claims_json(&self) -> Option<String> {
        accepted_token_json(self.session.borrow().token()?.value()).map(|j| j.payload)
    }

    // ---- the shared state changes --------------------------------------------------------

    /// Adopt a token (see `Session::adopt` for what each source does to the epoch). A
    /// malformed token changes nothing. A token obtained here is shared with the other tabs.
    pub(crate) fn adopt(
        self: &Rc<Self>,
        token: String,
        expires_in_s: Option<f64>,
        source: TokenSource,
        dpop: bool,
    ) -> Result<TokenGeneration, Error> {
        let shape = held_shape(&token)?;
        let a = Adoption {
            now: now(),
            expires_in_s,
            margin_ms: self.cfg.opts.refresh_margin_ms,
            random01: env::random01(),
            dpop,
        };
        let generation = self.session.borrow_mut().adopt(token, &shape, source, a);
        if source.shared() {
            self.share_token();
        }
        self.schedule();
        Ok(generation)
    }

    /// End the session in this tab: drop the token and the timer; operations in flight are
    /// superseded. Tells the other tabs unless the news came from one. Returns whether
    /// anything changed (events fire once).
    pub(crate) fn end_locally(&self, reason: EndReason, share: bool) -> bool {
        let changed = self.session.borrow_mut().end(reason, now());
        *self.timer.borrow_mut() = None;
        if let Some(d) = &self.dpop {
            // Ended here: the key goes (the next login makes a new one). Ended elsewhere: that
            // tab deleted it; forget the copy here.
            if share {
                d.delete_key();
            } else {
                d.forget_cached();
            }
        }
        if share {
            self.share_end(reason);
        }
        changed
    }

    /// Wait for this manager's turn (refresh runs, logins and logouts go one at a time, in
    /// call order, with or without Web Locks) and, with `crossTab`, hold the origin's lock:
    /// a login or logout reaches the server after every refresh that was under way, whose
    /// late answer would otherwise overwrite the new cookie. Both waits are bounded by
    /// [`LOCK_WAIT_MS`]; past that the operation goes ahead without them.
    pub(crate) async fn exclusive(&self) -> (Turn, Option<LockGuard>) {
        let turn = self.turn().await;
        let lock = self.lock().await.ok().flatten();
        (turn, lock)
    }

    /// Wait (bounded) until the operations queued before this one are done.
    pub(crate) async fn turn(&self) -> Turn {
        let mut release = None;
        let done = Promise::new(&mut |resolve, _| release = Some(resolve));
        let before = self.queue.replace(done);
        let busy = self.queued.get() > 0;
        self.queued.set(self.queued.get() + 1);
        let turn = Turn { release, queued: Rc::clone(&self.queued) };
        if busy {
            let race = Promise::race(&js_sys::Array::of2(&before, &env::sleep(LOCK_WAIT_MS)));
            let _ = JsFuture::from(race).await;
        }
        turn
    }

    /// The origin-wide lock (`Ok(None)` without `crossTab` or Web Locks; `Err` on timeout).
    pub(crate) async fn lock(&self) -> Result<Option<LockGuard>, ()> {
        let name = self.crosstab.borrow().as_ref().map(|c| c.lock_name().to_owned());
        match name {
            Some(name) => lock::acquire(&name, LOCK_WAIT_MS).await,
            None => Ok(None),
        }
    }

    // ---- events ----------------------------------------------------------------------------

    /// Fire `loggedOut`/`sessionExpired` and `stateChanged` for an end that changed something.
    pub(crate) fn announce_end(&self, reason: EndReason, changed: bool, detail: &JsValue) {
        if changed && !self.disposed.get() {
            let kind = match reason {
                EndReason::LoggedOut => EventKind::LoggedOut,
                EndReason::SessionExpired => EventKind::SessionExpired,
            };
            self.events.emit(kind, detail);
            self.emit_state();
        }
    }

    /// Fire `refreshed` (and `stateChanged`) for the token just adopted.
    pub(crate) fn announce_refreshed(&self, from_other_tab: bool) {
        let detail = RefreshedDetail { expires_at: self.expires_at(), from_other_tab };
        self.events.emit(EventKind::Refreshed, &events::to_js(&detail));
        self.emit_state();
    }

    pub(crate) fn emit_state(&self) {
        let state = self.state();
        let detail = StateDetail {
            state: state.as_str(),
            is_authenticated: state == SessionState::Authenticated,
            expires_at: self.expires_at(),
        };
        self.events.emit(EventKind::StateChanged, &events::to_js(&detail));
        self.notify_store();
    }

    // ---- dispose -------------------------------------------------------------------------

    pub fn dispose(&self) {
        self.disposed.set(true);
        self.net.abort_all();
        *self.timer.borrow_mut() = None;
        self.listeners.borrow_mut().clear();
        self.crosstab.borrow_mut().take();
        self.events.clear();
        self.session.borrow_mut().clear();
    }
}
