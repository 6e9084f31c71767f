//! Step-up challenges (`core::challenge`): a wrapped request answered with one is not a
//! refresh case. The `stepUp` event carries the challenge; with an `onStepUp` handler the
//! request waits for it (requests that meet the same challenge meanwhile share one call) and
//! is replayed once after it resolves; one sent before a call for the same challenge settled
//! (with an older token) is replayed without another call. Without a handler, or when it
//! rejects, the answer is the caller's, as `fetch` gave it.

use super::*;
use crate::core::challenge::Challenge;

impl Machine {
    /// Request `req` met `challenge` (`replayable`: it may be sent once more).
    pub(super) fn step_up(&mut self, now: Instant, req: ReqId, challenge: Challenge, replayable: bool) {
        if !self.cfg.step_up || !replayable {
            self.event(Event::StepUp(challenge));
            return self.finish_fetch(req, FetchEnd::Response);
        }
        let Some(p) = self.requests.get_mut(&req) else { return };
        // Answered already: a call for this challenge settled after it was sent.
        if self.stepped_up.as_ref().is_some_and(|(c, g)| *c == challenge && p.sent_before(*g)) {
            return self.replay_after_step_up(now, req);
        }
        p.set_before_step_up();
        if let Some((_, _, reqs)) = self.step_ups.iter_mut().find(|(_, c, _)| *c == challenge) {
            return reqs.push(req);
        }
        let id = self.call_id();
        self.step_ups.push((id, challenge.clone(), vec![req]));
        self.event(Event::StepUp(challenge.clone()));
        self.outputs.push(Output::StepUp { id, challenge });
    }

    /// Replay a stepped-up request with the token held now; with none usable (the handler took
    /// long, or did not sign in again), after a refresh, as a first send would.
    fn replay_after_step_up(&mut self, now: Instant, req: ReqId) {
        if self.session.usable_token(now).is_none() && self.ensure_refresh(now, RefreshKind::Needed).is_ok() {
            if let Some(p) = self.requests.get_mut(&req) {
                p.set_before_step_up();
            }
            if let Some(run) = self.run.as_mut() {
                return run.requests.push(req); // `after_wait` replays it
            }
        }
        self.replay(now, req);
    }

    /// The `onStepUp` call `id` settled: replay its requests once (`ok`), or give them the
    /// challenge's answer.
    pub fn step_up_done(&mut self, now: Instant, id: CallId, ok: bool) {
        let Some(i) = self.step_ups.iter().position(|(c, _, _)| *c == id) else { return };
        let (_, challenge, reqs) = self.step_ups.remove(i);
        if ok {
            self.stepped_up = Some((challenge, self.session.generation()));
        }
        for req in reqs {
            if ok {
                self.replay_after_step_up(now, req);
            } else {
                self.finish_fetch(req, FetchEnd::Response);
            }
        }
        self.advance(now);
    }
}
