//! The scheduler: at most one pending refresh timer per manager, armed from the session's
//! deadline; wake-ups (timer, focus, visibility, online, ...) re-check it. Nothing is armed
//! while a run is in flight: the run's end schedules the next one.

use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use wasm_bindgen_futures::JsFuture;

use crate::core::run::RefreshKind;
use crate::web::env::now;
use crate::web::lifecycle::Wake;
use crate::web::manager::Inner;
use crate::web::spawn;

impl Inner {
    /// Arm (or disarm) the refresh timer from the session's current deadline. Replacing the
    /// old `Timeout` cancels it.
    pub(crate) fn schedule(self: &Rc<Self>) {
        let idle = !self.disposed.get() && self.in_flight.borrow().is_none();
        let delay = if idle { self.session.borrow().timer_delay_ms(now()) } else { None };
        let timer = delay.map(|d| {
            let weak = Rc::downgrade(self);
            // Clamp to setTimeout's range; a longer wait is re-armed on wake-up anyway.
            Timeout::new(d.clamp(0.0, f64::from(i32::MAX)) as u32, move || wake_later(&weak, Wake::Timer))
        });
        *self.timer.borrow_mut() = timer;
    }

    /// Timer fired or the page woke up: refresh if due, else re-arm the timer (it may have
    /// been throttled, frozen or overtaken by sleep). A no-op while a run is in flight.
    fn on_wake(self: &Rc<Self>, wake: Wake) {
        if self.disposed.get() {
            return;
        }
        if wake == Wake::Online {
            self.session.borrow_mut().end_cooldown();
        }
        if self.in_flight.borrow().is_some() {
            return;
        }
        if self.session.borrow().refresh_due(now()) {
            self.refresh_in_background();
        } else {
            self.schedule();
        }
    }

    /// Start (or join) a background run; its outcome reaches the page through events.
    pub(crate) fn refresh_in_background(self: &Rc<Self>) {
        let p = self.ensure_refresh(RefreshKind::Background);
        spawn(async move {
            let _ = JsFuture::from(p).await;
        });
    }
}

/// Run `on_wake` on a later task, outside the timer/listener callback that asked for it, so
/// replacing the timer never drops the closure that is running.
pub(crate) fn wake_later(weak: &Weak<Inner>, wake: Wake) {
    let weak = weak.clone();
    spawn(async move {
        if let Some(inner) = weak.upgrade() {
            inner.on_wake(wake);
        }
    });
}
