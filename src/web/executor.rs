//! The executor: carries out the machine's outputs with browser calls, one at a time, in
//! order. An input that arrives while it runs (a lock that is unavailable, an event listener
//! that calls `refresh()`) queues its outputs behind the ones being carried out. No borrow of
//! the machine is held while user code runs.

use std::rc::Rc;

use wasm_bindgen::JsValue;

use crate::core::machine::{CallValue, Event, FetchEnd, KeyChange, Output};
use crate::core::{Error, ErrorCode};
use crate::web::crosstab::channel::CrossTab;
use crate::web::crosstab::protocol;
use crate::web::env::{self, now};
use crate::web::error;
use crate::web::events::{challenge_js, detail, EventKind};
use crate::web::js;
use crate::web::lifecycle::wake_listeners;
use crate::web::manager::{CallKind, Inner};
use crate::web::navigate;
use crate::web::storage;

#[wasm_bindgen::prelude::wasm_bindgen(module = "/js/debug.js")]
extern "C" {
    /// Write the `debug` line of event `code` (its detail `value`), or of the timer (9, ms).
    #[wasm_bindgen(js_name = debugLine)]
    fn debug_line(out: &js_sys::Function, code: u8, value: &JsValue);
}

impl Inner {
    /// Carry out every queued output (unless already doing so further up the stack), then arm
    /// the one timer.
    pub(crate) fn pump(self: &Rc<Self>) {
        if self.pumping.replace(true) {
            return;
        }
        loop {
            let next = self.outputs.borrow_mut().pop();
            let Some(output) = next else { break };
            self.perform(output);
        }
        self.pumping.set(false);
        // A release with no event after it: later events need not wait.
        let mut later = self.later_events.borrow_mut();
        if later.as_ref().is_some_and(Vec::is_empty) {
            *later = None;
        }
        drop(later);
        self.arm_timer();
    }

    fn perform(self: &Rc<Self>, output: Output) {
        match output {
            Output::Post { id, endpoint } => self.post(id, endpoint),
            Output::AbortPost(id) => {
                // Kept until its answer or failure comes back (js/http.js).
                let controller = self.posts.borrow().get(&id).and_then(|p| p.1.clone());
                if let Some(c) = controller {
                    c.abort();
                }
            }
            Output::Send { req, authorize } => self.send(req, authorize),
            Output::FinishFetch { req, end } => self.finish_fetch(req, end),
            Output::RequestLock(id) => self.request_lock(id),
            Output::LockStuck(id) => self.lock_stuck(id),
            Output::ReleaseLock(id) => {
                if let Some(release) = self.locks.borrow_mut().remove(&id) {
                    let _ = release.call0(&JsValue::UNDEFINED);
                    // The Web Lock is let go when the promise its callback returned settles,
                    // a microtask later: events wait for it (no listener runs under the lock).
                    self.later_events.borrow_mut().get_or_insert_with(Vec::new);
                }
            }
            Output::Broadcast(message) => {
                if let Some(c) = self.crosstab.borrow().as_ref() {
                    c.post(&protocol::to_js(&message));
                }
            }
            Output::StoreShared(record) => storage::store(&self.cfg.refresh_url, record),
            Output::Settle { call, result } => self.settle(call, result),
            Output::Event(event) => self.event_after_release(event),
            Output::Key(KeyChange::Delete) => crate::web::dpop::delete_key(),
            Output::Key(KeyChange::Forget) => crate::web::dpop::forget_cached(),
            Output::StepUp { id, challenge } => self.step_up(id, &challenge),
        }
    }

    /// Arm the timer for the machine's next deadline (only when it changed: a page that keeps
    /// waking the manager does not churn timers). One callback, made once, serves every timer:
    /// a stale one that still fires (a page that parked it while asleep) only makes the
    /// machine look at its deadlines again. A disposed machine has none but the deadline of a
    /// POST it lets finish.
    fn arm_timer(self: &Rc<Self>) {
        let now = now();
        let next = self.machine.borrow().poll_timeout(now);
        let current = self.timer.borrow().as_ref().map(|(at, _)| *at);
        if next == current {
            return;
        }
        if let Some((_, handle)) = self.timer.borrow_mut().take() {
            env::clear_timeout(&handle);
        }
        let Some(at) = next else { return };
        let ms = (at - now.mono_ms).clamp(0.0, f64::from(i32::MAX)) as u32;
        self.debug(9, &ms.into());
        if let Some(handle) = env::set_timeout(&self.answer_callback(), ms) {
            *self.timer.borrow_mut() = Some((at, handle));
        }
    }

    /// The timer fired (the answer callback's `n` 10).
    pub(crate) fn timer_fired(self: &Rc<Self>) {
        self.timer.borrow_mut().take();
        self.input(|m, now| m.handle_timeout(now));
    }

    fn settle(self: &Rc<Self>, call: crate::core::machine::CallId, result: Result<CallValue, (Error, Option<u16>)>) {
        let Some(pending) = self.calls.borrow_mut().remove(&call) else { return };
        let result_kind = result.as_ref().ok().cloned();
        let outcome: Result<JsValue, JsValue> = match (&pending.kind, result) {
            (CallKind::Restore, Ok(_)) => Ok(JsValue::TRUE),
            // The token held now (a run that ended the session leaves none: null).
            (CallKind::Token, Ok(_)) => Ok(self.access_token().map_or(JsValue::NULL, Into::into)),
            (CallKind::Token, Err((e, _))) if e.code == ErrorCode::SessionExpired => Ok(JsValue::NULL),
            (_, Ok(CallValue::Confirmed(b))) => Ok(JsValue::from_bool(b)),
            (_, Ok(CallValue::Overtaken)) => Ok(JsValue::FALSE),
            (_, Ok(CallValue::Done)) => Ok(JsValue::UNDEFINED),
            (CallKind::Restore, Err((e, _))) if e.code == ErrorCode::SessionExpired => Ok(JsValue::FALSE),
            (CallKind::Login { .. }, Err((e, status))) if e.code == ErrorCode::LoginFailed => {
                Err(error::with_body(&e, status, pending.answer.clone()))
            }
            (_, Err((e, status))) => Err(error::with_status(&e, status)),
        };
        // A sign-out here (scope local or global) that happened (not disposed, not overtaken
        // by a newer login) goes on to the end-session page the logout answer named, or to
        // `logoutRedirectUrl`; any logout forgets the answer's URL.
        let go = matches!(pending.kind, CallKind::Logout { leaves: true })
            && outcome.is_ok()
            && !matches!(result_kind, Some(CallValue::Overtaken))
            && !self.disposed.get();
        let _ = match outcome {
            Ok(v) => pending.resolve.call1(&JsValue::UNDEFINED, &v),
            Err(e) => pending.reject.call1(&JsValue::UNDEFINED, &e),
        };
        if let CallKind::Logout { .. } = pending.kind {
            navigate::leave(&self.cfg.nav, go);
        }
    }

    fn finish_fetch(self: &Rc<Self>, req: crate::core::machine::ReqId, end: FetchEnd) {
        let Some(pending) = self.fetches.borrow_mut().remove(&req) else { return };
        crate::web::marks::mark(8);
        let _ = match (end, pending.last) {
            (FetchEnd::Response, Some(res)) => pending.resolve.call1(&JsValue::UNDEFINED, &res),
            (FetchEnd::Error(e), _) => pending.reject.call1(&JsValue::UNDEFINED, &error::to_js(&e)),
            (FetchEnd::Response, None) => {
                pending.reject.call1(&JsValue::UNDEFINED, &error::js(ErrorCode::Aborted, "the manager was disposed"))
            }
        };
    }

    /// Fire an event now, or after the lock released in this turn is let go (and after the
    /// events already waiting for it, so that they keep their order).
    fn event_after_release(self: &Rc<Self>, event: Event) {
        let mut later = self.later_events.borrow_mut();
        let Some(list) = later.as_mut() else {
            drop(later);
            return self.fire(vec![event]);
        };
        list.push(event);
        if list.len() == 1 {
            drop(later);
            env::soon(&self.answer_callback());
        }
    }

    /// The microtask after a release (the answer callback's `n` 11): the events that waited.
    pub(crate) fn fire_later(self: &Rc<Self>) {
        let events = self.later_events.borrow_mut().take().unwrap_or_default();
        self.fire(events);
    }

    #[inline(never)]
    fn fire(self: &Rc<Self>, events: Vec<Event>) {
        for event in events {
            if !self.disposed.get() {
                self.dispatch(event);
            }
        }
    }

    /// Fire an event for the page's listeners.
    fn dispatch(self: &Rc<Self>, event: Event) {
        let null = || JsValue::NULL;
        let other = |b: bool| JsValue::from_bool(b);
        let (kind, detail) = match &event {
            Event::Refreshed { from_other_tab } => {
                let k = EventKind::Refreshed;
                (k, detail(k, js::number_or_null(self.expires_at()), other(*from_other_tab), null(), null()))
            }
            Event::RefreshFailed { error, status } => {
                let k = EventKind::RefreshFailed;
                let status = js::number_or_null(status.map(f64::from));
                (k, detail(k, error.code.as_str().into(), null(), error.message.as_ref().into(), status))
            }
            Event::SessionExpired { reason, from_other_tab } => {
                let k = EventKind::SessionExpired;
                (k, detail(k, (*reason).into(), other(*from_other_tab), null(), null()))
            }
            Event::LoggedOut { server_confirmed, from_other_tab, idle } => {
                let k = EventKind::LoggedOut;
                let confirmed = server_confirmed.map_or(JsValue::NULL, JsValue::from);
                let reason = if *idle { "idle" } else { "logout" };
                (k, detail(k, confirmed, other(*from_other_tab), reason.into(), null()))
            }
            Event::SessionExpiring { expires_at } => {
                let k = EventKind::SessionExpiring;
                (k, detail(k, (*expires_at).into(), null(), null(), null()))
            }
            Event::IdleWarning { deadline } => {
                let k = EventKind::IdleWarning;
                (k, detail(k, (*deadline).into(), null(), null(), null()))
            }
            Event::StepUp(challenge) => (EventKind::StepUp, challenge_js(challenge)),
            Event::LoggedIn { from_other_tab } => {
                let k = EventKind::LoggedIn;
                (k, detail(k, null(), other(*from_other_tab), null(), null()))
            }
            Event::StateChanged => {
                let k = EventKind::StateChanged;
                let offline = self.machine.borrow().offline();
                let state = self.machine.borrow().state_name().into();
                (k, detail(k, state, null(), js::number_or_null(self.expires_at()), offline.into()))
            }
        };
        self.debug(kind as u8, &detail);
        self.events.emit(kind, &detail);
        if matches!(event, Event::StateChanged) {
            self.notify_store();
        }
    }

    /// A line for the `debug` option: event `code` with its detail, or 9 and a timer's delay
    /// in ms.
    #[inline(never)]
    fn debug(&self, code: u8, value: &JsValue) {
        if let Some(out) = &self.cfg.debug {
            debug_line(out, code, value);
        }
    }

    /// Call `onStepUp(challenge)` (a microtask later, from `js/http.js`); when its promise
    /// settles, the machine replays (or returns) the requests that wait for it.
    fn step_up(self: &Rc<Self>, id: crate::core::machine::CallId, challenge: &crate::core::challenge::Challenge) {
        if let Some(handler) = &self.cfg.on_step_up {
            crate::web::fetch::step_up(handler, &challenge_js(challenge), id.0, &self.answer_callback());
        }
    }

    /// The browser's callbacks that become inputs (through the answer callback): wake-ups
    /// and the cross-tab channel.
    pub(crate) fn listen(self: &Rc<Self>) {
        let done = self.answer_callback();
        *self.unlisten.borrow_mut() = wake_listeners(self.cfg.opts.idle.is_some(), &done);
        if self.cfg.opts.cross_tab {
            *self.crosstab.borrow_mut() = Some(CrossTab::new(&self.cfg.refresh_url, &done));
        }
    }

    /// A cross-tab message came (the answer callback's `n` 12).
    pub(crate) fn peer_data(self: &Rc<Self>, data: &JsValue) {
        if let Some(message) = protocol::from_js(data) {
            self.input(|m, now| m.peer_message(now, message));
        }
    }
}
