//! Wrapped requests (`auth.fetch`): wait for a token only when none is usable and one may
//! come, attach the usable token, and after a 401 refresh (once) and replay. The rules are
//! `Session::before_request` and `Session::after_unauthorized` (`core::request`).

use super::*;
use crate::core::request::{RequestPlan, UnauthorizedPlan, Waiting};

/// Where a wrapped request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Waiting for the run before its first send.
    BeforeSend,
    /// Sent (the first time, or after a DPoP nonce challenge).
    Sent,
    /// Got a 401, waiting for the run before the replay.
    BeforeReplay,
    /// Got a step-up challenge, waiting for the `onStepUp` handler before the replay.
    BeforeStepUp,
    /// Replayed: its next answer is the caller's.
    Replayed,
    /// Sent untouched (foreign origin, the caller's own Authorization).
    Untouched,
}

impl PendingRequest {
    pub(super) fn set_before_step_up(&mut self) {
        self.stage = Stage::BeforeStepUp;
    }

    /// It was sent with a token older than generation `g`.
    pub(super) fn sent_before(&self, g: TokenGeneration) -> bool {
        self.sent.is_some_and(|s| s < g)
    }
}

#[derive(Debug)]
pub(super) struct PendingRequest {
    stage: Stage,
    waiting: Waiting,
    replayable: bool,
    /// The generation it carried (`None`: sent bare).
    sent: Option<TokenGeneration>,
    /// A DPoP nonce challenge was answered once already.
    nonce_retried: bool,
    /// Met a step-up challenge once already (replayed after the handler, or returned).
    stepped_up: bool,
}

impl Machine {
    /// `auth.fetch(input, init)` starts.
    pub fn fetch(&mut self, now: Instant, start: FetchStart) -> ReqId {
        self.check_limits(now);
        let req = ReqId(self.next_id());
        if self.disposed {
            self.outputs.push(Output::FinishFetch { req, end: FetchEnd::Error(disposed()) });
            return req;
        }
        if start.has_authorization || !self.origin_allowed(&start.url) {
            let pending = PendingRequest {
                stage: Stage::Untouched,
                waiting: Waiting::Never,
                replayable: false,
                sent: None,
                nonce_retried: true,
                stepped_up: true,
            };
            self.requests.insert(req, pending);
            self.outputs.push(Output::Send { req, authorize: Authorize::Untouched });
            return req;
        }
        // A keepalive request (page unload, analytics) never waits and is not replayed.
        let waiting = if start.keepalive { Waiting::Never } else { Waiting::May };
        let replayable = start.replayable && !start.keepalive;
        let pending = PendingRequest {
            stage: Stage::BeforeSend,
            waiting,
            replayable,
            sent: None,
            nonce_retried: false,
            stepped_up: false,
        };
        self.requests.insert(req, pending);
        self.plan_send(now, req);
        self.advance(now);
        req
    }

    /// The answer to a wrapped request arrived. `nonce_challenge`: a resource server's DPoP
    /// nonce challenge (RFC 9449 §9) the executor recognised, its nonce now known.
    /// `www_authenticate`: that header of a 401 or 403, for a step-up challenge.
    pub fn fetch_answered(
        &mut self,
        now: Instant,
        req: ReqId,
        status: u16,
        nonce_challenge: bool,
        www_authenticate: Option<&str>,
    ) {
        self.set_offline(false);
        self.check_limits(now);
        let Some(p) = self.requests.get_mut(&req) else { return };
        // Once more with the server's nonce; not the 401 retry, never a loop.
        if nonce_challenge && p.replayable && !p.nonce_retried && matches!(p.stage, Stage::Sent | Stage::Replayed) {
            p.nonce_retried = true;
            self.send(now, req);
            return;
        }
        if let Some(challenge) = www_authenticate
            .filter(|_| matches!(status, 401 | 403) && p.stage != Stage::Untouched)
            .and_then(crate::core::challenge::parse)
        {
            // Not an expired token: a refresh would get the same answer.
            let replayable = p.replayable && matches!(p.stage, Stage::Sent | Stage::Replayed) && !p.stepped_up;
            p.stepped_up = true;
            return self.step_up(now, req, challenge, replayable);
        }
        if p.stage != Stage::Sent || status != 401 || !p.replayable {
            return self.finish_fetch(req, FetchEnd::Response);
        }
        let had_its_refresh = Session::had_its_refresh(p.waiting, p.sent);
        let sent = p.sent;
        match self.session.after_unauthorized(sent, now, had_its_refresh) {
            UnauthorizedPlan::Replay => self.replay(now, req),
            UnauthorizedPlan::Return => self.finish_fetch(req, FetchEnd::Response),
            UnauthorizedPlan::RefreshThenReplay => match self.ensure_refresh(now, RefreshKind::Needed) {
                Ok(()) => {
                    if let Some(p) = self.requests.get_mut(&req) {
                        p.stage = Stage::BeforeReplay;
                    }
                    if let Some(run) = self.run.as_mut() {
                        run.requests.push(req);
                        // The server refused the token it carried: a run that started before
                        // that token came (the app's `setAccessToken`, another tab's) must not
                        // count it as the refresh it was after.
                        if let Some(g) = sent {
                            run.start.generation = run.start.generation.max(g);
                        }
                    }
                    self.advance(now);
                }
                // Refused: the server's answer is the caller's.
                Err(_) => self.after_refresh_for_401(now, req),
            },
        }
    }

    /// The caller aborted a wrapped request (the executor rejects it with the signal's reason)
    /// or its transport failed: forget it.
    pub fn fetch_dropped(&mut self, req: ReqId) {
        self.requests.remove(&req);
        if let Some(run) = self.run.as_mut() {
            run.requests.retain(|r| *r != req);
        }
    }

    /// Plan the first send: wait for a run (joining or starting one), or send now.
    fn plan_send(&mut self, now: Instant, req: ReqId) {
        let Some(p) = self.requests.get(&req) else { return };
        match self.session.before_request(now, self.run.is_some(), p.waiting) {
            RequestPlan::Wait => match self.ensure_refresh(now, RefreshKind::Needed) {
                Ok(()) => {
                    if let Some(run) = self.run.as_mut() {
                        run.requests.push(req);
                    }
                }
                // Refused: the request goes out with what there is.
                Err(_) => {
                    if let Some(p) = self.requests.get_mut(&req) {
                        p.waiting = Waiting::Waited;
                    }
                    self.plan_send(now, req);
                }
            },
            RequestPlan::Send { refresh_in_background } => {
                if refresh_in_background {
                    let _ = self.ensure_refresh(now, RefreshKind::Background);
                }
                self.send(now, req);
            }
        }
    }

    /// Attach the usable token (if any) and send.
    fn send(&mut self, now: Instant, req: ReqId) {
        let usable = self.session.usable_token(now).map(|(_, g)| g);
        let dpop = self.cfg.dpop && self.session.token().is_some_and(|t| t.is_dpop());
        let Some(p) = self.requests.get_mut(&req) else { return };
        p.sent = usable;
        if p.stage == Stage::BeforeSend {
            p.stage = Stage::Sent;
        }
        let authorize = match usable {
            Some(generation) => Authorize::Token { generation, dpop },
            None => Authorize::Bare,
        };
        self.outputs.push(Output::Send { req, authorize });
    }

    pub(super) fn replay(&mut self, now: Instant, req: ReqId) {
        if let Some(p) = self.requests.get_mut(&req) {
            p.stage = Stage::Replayed;
        }
        self.send(now, req);
    }

    /// The run this request waited for ended.
    pub(super) fn after_wait(&mut self, now: Instant, req: ReqId) {
        let Some(p) = self.requests.get_mut(&req) else { return };
        match p.stage {
            Stage::BeforeSend => {
                p.waiting = Waiting::Waited;
                self.plan_send(now, req);
            }
            Stage::BeforeReplay => self.after_refresh_for_401(now, req),
            Stage::BeforeStepUp => self.replay(now, req),
            _ => {}
        }
    }

    fn after_refresh_for_401(&mut self, now: Instant, req: ReqId) {
        let Some(p) = self.requests.get(&req) else { return };
        match self.session.after_unauthorized(p.sent, now, true) {
            UnauthorizedPlan::Replay => self.replay(now, req),
            _ => self.finish_fetch(req, FetchEnd::Response),
        }
    }

    pub(super) fn finish_fetch(&mut self, req: ReqId, end: FetchEnd) {
        if self.requests.remove(&req).is_some() {
            self.outputs.push(Output::FinishFetch { req, end });
        }
    }
}
