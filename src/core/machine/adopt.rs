//! Taking a token (a login's, a refresh's, another tab's, the app's) and sharing it; ending the
//! session here and telling the other tabs. Every path that changes whose session this tab
//! holds goes through these.

use super::*;

impl Machine {
    /// Adopt a token. A malformed one changes nothing. One obtained here is shared.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn adopt(
        &mut self,
        now: Instant,
        token: Secret,
        expires_in_s: Option<f64>,
        source: TokenSource,
        dpop: bool,
        login_called: Option<Epoch>,
        session_end: Option<f64>,
    ) -> Result<TokenGeneration, Error> {
        let shape = held_shape(&token)?;
        self.ended_last = false;
        let a = Adoption { now, expires_in_s, margin_ms: self.cfg.refresh_margin_ms, random01: self.random01(), dpop };
        let was_authenticated = self.session.state() == SessionState::Authenticated;
        let generation = match login_called {
            Some(called) => {
                let g = self.session.adopt_login(token, &shape, a, called);
                let shared = SharedEpoch { epoch: self.session.epoch(), ended: None };
                self.outputs.push(Output::StoreShared(shared));
                g
            }
            None => self.session.adopt(token, &shape, source, a),
        };
        if login_called.is_some() || !was_authenticated {
            self.limits = limits::Limits::default();
        }
        if let Some(end) = session_end {
            self.set_session_end(now, end);
        }
        if source.shared() && self.cfg.cross_tab {
            if let Some(t) = self.session.token() {
                let message = Message::Token {
                    epoch: self.session.epoch(),
                    token: t.secret().clone(),
                    remaining_ms: t.remaining_ms(now),
                    sent_wall_ms: now.wall_ms,
                    dpop: t.is_dpop(),
                    session_end: self.limits.end,
                };
                self.outputs.push(Output::Broadcast(message));
            }
        }
        // After the token's message: the other tabs know its epoch when its deadline comes.
        self.start_idle(now);
        Ok(generation)
    }

    /// End the session in this tab; tell the other tabs unless the news came from one. A local
    /// end carries the wall clock (`at: None`) or the epoch given (a logout's, from its call).
    /// Returns whether anything changed (the end events fire once).
    pub(super) fn end_locally(&mut self, now: Instant, reason: EndReason, share: bool) -> bool {
        self.end_locally_at(now, reason, share, None)
    }

    pub(super) fn end_locally_at(&mut self, now: Instant, reason: EndReason, share: bool, at: Option<Epoch>) -> bool {
        self.ended_last = true;
        self.limits = limits::Limits::default();
        let changed = match (share, at) {
            (true, None) => self.session.end(reason, now),
            (true, Some(epoch)) => {
                self.session.raise_epoch(epoch);
                self.session.end_by_peer(reason)
            }
            (false, _) => self.session.end_by_peer(reason),
        };
        if self.cfg.dpop {
            self.outputs.push(Output::Key(if share { KeyChange::Delete } else { KeyChange::Forget }));
        }
        if share && self.cfg.cross_tab {
            let shared = SharedEpoch { epoch: self.session.epoch(), ended: Some(reason) };
            self.outputs.push(Output::StoreShared(shared));
            let message = Message::Ended { epoch: self.session.epoch(), reason };
            self.outputs.push(Output::Broadcast(message));
        }
        changed
    }

    /// Fire an end event (and `stateChanged`) for an end that changed something.
    pub(super) fn announce_end(&mut self, changed: bool, event: Event) {
        if changed {
            self.event(event);
            self.event(Event::StateChanged);
        }
    }
}
