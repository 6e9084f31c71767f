//! The refresh run in flight: its answer (adopt, retry with backoff, or end the session), the
//! checks that it still serves the session (overtaken by a login or logout, the session moved
//! on while it waited), and its end (callers settled, waiting requests woken). The queue it
//! waits in, and the lock, are `ops`.

use super::ops::{answer_slept, received, session_end, Op, Phase};
use super::*;
use crate::core::policy::{classify_refresh_status, RefreshClass};
use crate::core::run::{superseded, RefreshStep, RunOutcome};

impl Machine {
    /// The session changed hands while the run waited (a login here or elsewhere), but what it
    /// holds now cannot be sent (it died while the page slept): the run renews the session
    /// that is current instead of giving up with a dead token.
    pub(super) fn retarget(&mut self, now: Instant) -> bool {
        let dead = self.session.state() == SessionState::Authenticated && self.session.usable_token(now).is_none();
        match self.run.as_mut() {
            Some(run) if dead => {
                run.start.ticket = self.session.ticket();
                run.start.generation = self.session.generation();
                true
            }
            _ => false,
        }
    }

    /// Whether the run in flight no longer serves the session (checked when it gets the lock
    /// and when its answer arrives); if so, it has been dealt with:
    /// - it belongs to a session that is gone and the current one's token died meanwhile (the
    ///   clock moved, the page slept): renew that one, the lock still held;
    /// - logged in or out meanwhile: the run ends with what overtook it;
    /// - a logout called after this restore ended the session: it outranks whatever the cookie
    ///   gives back (the logout's POST revokes it).
    pub(super) fn run_moot(&mut self, now: Instant) -> bool {
        if self.overtaken().is_some() && self.retarget(now) {
            self.post(now, Endpoint::Refresh);
        } else if let Some(outcome) = self.overtaken() {
            self.finish_run(now, outcome);
        } else if self.restore_called().is_some_and(|called| self.ended_since(called)) {
            self.finish_run(now, RunOutcome::failed(superseded(), None));
        } else {
            return false;
        }
        true
    }

    /// The run's answer came too late to use: it renews the session it holds now (the one the
    /// answer may have revived), with the lock still held.
    pub(super) fn ask_again(&mut self, now: Instant) {
        let (ticket, generation) = (self.session.ticket(), self.session.generation());
        if let Some(run) = self.run.as_mut() {
            run.revive = false;
            run.start.ticket = ticket;
            run.start.generation = generation;
        }
        self.post(now, Endpoint::Refresh);
    }

    /// A refresh POST sent at `sent` was answered. Its token's lifetime counts from `sent`:
    /// the server issued it after that, and an answer read late (the page slept with it in
    /// the buffer) has aged by the wait.
    pub(super) fn refresh_answer(&mut self, now: Instant, sent: Instant, outcome: HttpOutcome) {
        if self.run_moot(now) {
            return;
        }
        // A revived session's epoch is the restore's call, as a login's is.
        let revived = self.run.as_ref().filter(|r| r.revive).map(|r| r.start.called);
        let (class, status, retry_after_ms, message): (_, _, _, std::borrow::Cow<'static, str>) = match outcome {
            HttpOutcome::NetworkError => (RefreshClass::Transient, None, None, "network error while refreshing".into()),
            HttpOutcome::NotSent(e) => (RefreshClass::Unexpected, None, None, e.message),
            HttpOutcome::Answer { status, retry_after_ms, token } => match classify_refresh_status(Some(status)) {
                RefreshClass::Success => match token {
                    // The lifetime counts from receipt (a slow server may have held the request
                    // before minting), unless the answer was read after a wait no awake page
                    // takes: then from the send, so a token that died meanwhile is not held.
                    Ok(t) => match self.adopt(
                        received(sent, now),
                        t.token,
                        t.expires_in_s,
                        TokenSource::Refresh,
                        t.dpop,
                        revived,
                        session_end(sent, now, t.session_s),
                    ) {
                        // Read after a wait no answer takes awake, and dead by now: the page
                        // slept, maybe with the answer in the buffer. The cookie it set is the
                        // current one, so asking again at once is no reuse, and no failed
                        // attempt (the server answered).
                        // Read after the session's end or the idle deadline (a sleep): it ends
                        // now, as its timer would, rather than asking again past it.
                        Ok(_) if self.limit_passed(now) => {
                            self.release_lock(); // no user callback while the lock is held
                            self.check_limits(now);
                            // The idle deadline's grace (a late check): the run waits it out,
                            // then asks again or finds the session signed out.
                            if let Some(until) = self.idle_grace_until(now) {
                                return self.set_phase(Phase::Backoff { until });
                            }
                            let outcome = self.overtaken().unwrap_or(RunOutcome::Refreshed);
                            return self.finish_run(now, outcome);
                        }
                        Ok(_) if answer_slept(sent, now) && self.session.usable_token(now).is_none() => {
                            return self.ask_again(now);
                        }
                        // Shared while the lock is still held (released by finish_run).
                        Ok(_) => return self.finish_run(now, RunOutcome::Refreshed),
                        Err(e) => (RefreshClass::Transient, Some(status), None, e.message),
                    },
                    Err(NO_SESSION) => (RefreshClass::SessionOver, Some(status), None, NO_SESSION.into()),
                    Err(m) => (RefreshClass::Transient, Some(status), None, m.into()),
                },
                class => {
                    let m = match class {
                        RefreshClass::SessionOver => "the refresh endpoint rejected the session",
                        RefreshClass::Unexpected => "the refresh endpoint answered with an unexpected status",
                        _ => "the refresh endpoint is unavailable",
                    };
                    (class, Some(status), retry_after_ms, m.into())
                }
            },
        };
        let retry = self.run.as_ref().map_or(0, |r| r.retry);
        let random01 = self.random01();
        match self.session.after_failed_attempt(class, retry, retry_after_ms, random01) {
            RefreshStep::RetryAfter(ms) => {
                // Other tabs may refresh (or log in/out) while this one waits.
                self.release_lock();
                self.set_phase(Phase::Backoff { until: now.mono_ms + ms.max(0.0) });
            }
            RefreshStep::EndSession => {
                let kind = self.run.as_ref().map(|r| r.start.kind);
                self.release_lock(); // no user callback (sessionExpired) while the lock is held
                if kind.is_some_and(|k| self.session.rejection_ends_session(k)) {
                    let changed = self.end_locally(now, EndReason::SessionExpired, true);
                    let event = Event::SessionExpired { reason: "refresh_rejected", from_other_tab: false };
                    self.announce_end(changed, event);
                }
                let e = Error::new(ErrorCode::SessionExpired, "the refresh token was rejected: the session is over");
                self.finish_run(now, RunOutcome::failed(e, status));
            }
            RefreshStep::Fail => {
                self.session.run_failed(now, retry_after_ms);
                self.finish_run(now, RunOutcome::failed(Error::new(ErrorCode::RefreshFailed, message), status));
            }
        }
    }

    /// The call stamp of the `restore()` run in flight, if that is what it is.
    pub(super) fn restore_called(&self) -> Option<Epoch> {
        // `refresh()` in a tab that never held a token asks the cookie as `restore()` does,
        // and is ranked the same way against a logout called after it.
        let restores = |r: &&Run| match r.start.kind {
            RefreshKind::Restore => true,
            RefreshKind::Explicit => r.start.generation == TokenGeneration(0),
            _ => false,
        };
        self.run.as_ref().filter(restores).map(|r| r.start.called)
    }

    /// The run's outcome if it has been overtaken (the session changed hands).
    pub(super) fn overtaken(&self) -> Option<RunOutcome> {
        let run = self.run.as_ref()?;
        (!self.session.is_current(run.start.ticket)).then(|| self.session.superseded_outcome(&run.start))
    }

    /// The run ends: leave the queue, settle callers, fire events, wake waiting requests.
    pub(super) fn finish_run(&mut self, now: Instant, outcome: RunOutcome) {
        if matches!(self.queue.first(), Some((Op::Refresh, _))) {
            self.pop();
        }
        let was_restoring = self.restoring();
        let Some(run) = self.run.take() else { return };
        // The loading state ends without a token (a refreshed run says so itself).
        if was_restoring && self.session.state() != SessionState::Authenticated {
            self.event(Event::StateChanged);
        }
        match &outcome {
            RunOutcome::Refreshed => {
                self.event(Event::Refreshed { from_other_tab: false });
                self.event(Event::StateChanged);
            }
            RunOutcome::Failed { error, status } if outcome.is_failed_run() => {
                self.event(Event::RefreshFailed { error: error.clone(), status: *status });
            }
            RunOutcome::PeerRefreshed | RunOutcome::Failed { .. } => {}
        }
        let result = match &outcome {
            RunOutcome::Refreshed | RunOutcome::PeerRefreshed => Ok(CallValue::Done),
            RunOutcome::Failed { error, status } => Err((error.clone(), *status)),
        };
        for call in run.callers {
            self.settle(call, result.clone());
        }
        for req in run.requests {
            self.after_wait(now, req);
        }
    }
}
