//! The caller's calls: `refresh()`/`restore()`, `getAccessToken()`, `login()`, `logout()`,
//! `setAccessToken()`, a login's abort signal and `dispose()`. Each settles its [`CallId`]
//! through the outputs, at once or when its operation ends (`ops`, `refresh`).

use super::*;

impl Machine {
    /// `refresh()` (`Explicit`) or `restore()` (`Restore`): join the run in flight or start one.
    pub fn refresh(&mut self, now: Instant, kind: RefreshKind) -> CallId {
        // No refresh past the session's end or the idle deadline.
        self.check_limits(now);
        let call = self.call_id();
        if let Err(e) = self.join_run(now, kind, call) {
            self.settle(call, Err((e, None)));
        }
        call
    }

    /// `call` waits for the run in flight, or for one started now. `Err`: none may start
    /// (ended session, cooldown, storm breaker, disposed); nothing was queued.
    pub(super) fn join_run(&mut self, now: Instant, kind: RefreshKind, call: CallId) -> Result<(), Error> {
        let idle = self.run.is_none();
        self.ensure_refresh(now, kind)?;
        if let Some(run) = self.run.as_mut() {
            run.callers.push(call);
        }
        // The page's loading state begins (`restoring`).
        if idle && self.restoring() {
            self.event(Event::StateChanged);
        }
        self.advance(now);
        Ok(())
    }

    /// `getAccessToken()`: settles `Done` at once when this tab holds a token that is neither
    /// expired nor inside its refresh margin, or when nobody is signed in here and no restore is
    /// under way (the executor then resolves the token held, or null); otherwise it joins the
    /// run in flight (a restore, or another tab's refresh seen under the lock) or starts one, and
    /// settles with its outcome, as `refresh()` does. A token still valid is given when no run
    /// may start (cooldown).
    pub fn get_access_token(&mut self, now: Instant) -> CallId {
        self.check_limits(now);
        let fresh = self.session.token().is_some_and(|t| !t.is_expired(now) && t.until_refresh_ms(now) != Some(0.0));
        let signed_in = self.session.state() == SessionState::Authenticated;
        if !self.disposed && (fresh || (!signed_in && self.run.is_none())) {
            let call = self.call_id();
            self.settle(call, Ok(CallValue::Done));
            return call;
        }
        let usable = self.session.token().is_some_and(|t| !t.is_expired(now));
        let call = self.call_id();
        match self.join_run(now, RefreshKind::Explicit, call) {
            Ok(()) => {}
            // Refused (cooldown, storm breaker): the token held is still good to send.
            Err(_) if usable => self.settle(call, Ok(CallValue::Done)),
            Err(e) => self.settle(call, Err((e, None))),
        }
        call
    }

    /// `login(body)`: in its turn and under the lock, POST the credentials and adopt the token
    /// (a new session, shared with the other tabs).
    pub fn login(&mut self, now: Instant) -> CallId {
        let call = self.call_id();
        if self.disposed {
            self.settle(call, Err((disposed(), None)));
        } else if !self.cfg.has_login_url {
            self.settle(call, Err((Error::new(ErrorCode::InvalidOptions, "loginUrl is not configured"), None)));
        } else {
            // An end (logout, here or in another tab) after this call supersedes the login; a
            // newer token from another tab does not.
            let called = self.session.stamp(now);
            self.queue.push((Op::Login { call, called, token_step: false }, Phase::Queued));
            self.advance(now);
        }
        call
    }

    /// `logout({ scope })`: `Local` and `Global` end the session here and in the other tabs at
    /// once, then, in its turn and under the lock, end again whatever arrived meanwhile and tell
    /// the server; they resolve to whether the server confirmed. `Others` ends nothing here:
    /// in its turn the server ends the user's other sessions, and it rejects if the server did
    /// not confirm.
    pub fn logout(&mut self, now: Instant, scope: Scope) -> CallId {
        self.logout_for(now, scope, EndReason::LoggedOut)
    }

    pub(super) fn logout_for(&mut self, now: Instant, scope: Scope, reason: EndReason) -> CallId {
        let call = self.call_id();
        if self.disposed {
            self.settle(call, Err((disposed(), None)));
            return call;
        }
        let epoch = self.session.epoch();
        if scope == Scope::Others {
            if self.cfg.has_logout_url {
                self.queue.push((Op::Logout { call, changed: false, epoch, scope, reason }, Phase::Queued));
                self.advance(now);
            } else {
                self.settle(call, Err((Error::options("logoutUrl is not configured"), None)));
            }
            return call;
        }
        // The end outranks every login and restore called before it here, whatever the clock
        // says now.
        let logins = self.queue.iter().filter_map(|(op, _)| match op {
            Op::Login { called, .. } => Some(*called),
            _ => None,
        });
        let called_before = logins.chain(self.restore_called());
        if let Some(latest) = called_before.max() {
            self.session.raise_epoch(Epoch(latest.0.saturating_add(1)));
        }
        let was_restoring = self.restoring();
        let changed = self.end_locally(now, reason, true);
        // A restore under way is no loading state any more: the page shows the sign-out.
        if was_restoring {
            self.event(Event::StateChanged);
        }
        if self.cfg.has_logout_url {
            let epoch = self.session.epoch();
            self.queue.push((Op::Logout { call, changed, epoch, scope, reason }, Phase::Queued));
        } else {
            let event = Event::LoggedOut {
                server_confirmed: Some(false),
                from_other_tab: false,
                idle: reason == EndReason::Idle,
            };
            self.announce_end(changed, event);
            self.settle(call, Ok(CallValue::Confirmed(false)));
        }
        self.advance(now);
        call
    }

    /// `setAccessToken(token, expiresInSeconds)`.
    pub fn set_access_token(&mut self, now: Instant, token: Secret, expires_in_s: Option<f64>) -> Result<(), Error> {
        if self.disposed {
            return Err(disposed());
        }
        if expires_in_s.is_some_and(|e| !e.is_finite() || e < 0.0) {
            return Err(Error::options("expiresInSeconds must be a finite number >= 0"));
        }
        self.adopt(now, token, expires_in_s, TokenSource::Caller, false, None, None)?;
        self.event(Event::StateChanged);
        self.advance(now);
        Ok(())
    }

    /// The caller gave up waiting for `call` (its `login({signal})` aborted).
    pub fn abort_call(&mut self, now: Instant, call: CallId) {
        self.abort_login(now, call);
    }

    /// `dispose()`: everything pending settles with `aborted`, nothing fires afterwards. A
    /// refresh or logout POST already on the wire is not aborted: the server may have rotated
    /// (or revoked) the refresh cookie, and an aborted request would never store the new one
    /// (the next manager, a remount, would replay the old one). It is let finish, its answer
    /// ignored, under the lock it had (no manager presents the old cookie meanwhile), until its
    /// deadline. A login's own POST presents no refresh cookie: it is aborted, so that a login
    /// the caller was told was aborted does not sign the page in behind its back.
    pub fn dispose(&mut self, _now: Instant) {
        if self.disposed {
            return;
        }
        self.disposed = true;
        let mut calls = Vec::new();
        for (op, phase) in std::mem::take(&mut self.queue) {
            self.give_up(op, phase);
            match op {
                Op::Login { call, .. } | Op::Logout { call, .. } => calls.push(call),
                Op::Refresh => {}
            }
        }
        if let Some(id) = self.lock_held.take() {
            self.outputs.push(Output::ReleaseLock(id));
        }
        if let Some(run) = self.run.take() {
            calls.extend(run.callers);
        }
        for call in calls {
            self.settle(call, Err((disposed(), None)));
        }
        self.step_ups.clear();
        for (req, _) in std::mem::take(&mut self.requests) {
            self.outputs.push(Output::FinishFetch { req, end: FetchEnd::Error(disposed()) });
        }
        self.session.clear();
    }

    /// An operation is given up (disposed, or its login aborted). A login's own POST is
    /// aborted: it presents no refresh cookie. Any other POST on the wire may have rotated the
    /// cookie: it is let finish under the lock it was sent under (taken from `lock_held`), its
    /// answer ignored. A lock asked for is let go.
    pub(super) fn give_up(&mut self, op: Op, phase: Phase) {
        match (op, phase) {
            (Op::Login { token_step: false, .. }, Phase::Posting { id, .. }) => {
                self.outputs.push(Output::AbortPost(id))
            }
            (_, Phase::Posting { id, deadline, .. }) => {
                self.draining = Some(Draining { id, deadline, lock: self.lock_held.take() });
            }
            (_, Phase::Locking { id, .. }) => self.outputs.push(Output::ReleaseLock(id)),
            _ => {}
        }
    }

    /// The lock kept for a POST let finish, until it ends (on `dispose()` the executor lets go
    /// of every other).
    pub fn kept_lock(&self) -> Option<LockId> {
        self.draining.and_then(|d| d.lock)
    }

    /// The POST `id` ended; if it was the one let finish, its lock goes.
    pub(super) fn drained(&mut self, id: HttpId) {
        if let Some(d) = self.draining.filter(|d| d.id == id) {
            self.end_drain(d);
        }
    }

    /// The POST let finish passed its deadline; it is aborted and its lock goes.
    pub(super) fn drain_deadline(&mut self, now: Instant) {
        if let Some(d) = self.draining.filter(|d| now.mono_ms >= d.deadline) {
            self.outputs.push(Output::AbortPost(d.id));
            self.end_drain(d);
        }
    }

    /// The lock goes, then the events held under it fire (none once disposed).
    fn end_drain(&mut self, d: Draining) {
        self.draining = None;
        if let Some(lock) = d.lock {
            self.outputs.push(Output::ReleaseLock(lock));
        }
        for event in std::mem::take(&mut self.held_events) {
            self.event(event);
        }
    }
}

/// A POST given up (the manager disposed, or the login it asked a token for aborted) that is
/// let finish until `deadline`, and the lock it was sent under.
#[derive(Debug, Clone, Copy)]
pub(super) struct Draining {
    pub(super) id: HttpId,
    pub(super) deadline: f64,
    pub(super) lock: Option<LockId>,
}
