//! News from the other tabs of the origin. The rules (stale or newer, which session) are
//! `Session::on_peer_token` and `Session::on_peer_end` (`core::session`).

use super::*;
use crate::core::session::PeerToken;

impl Machine {
    /// A message from another tab (or another manager of this page) arrived.
    pub fn peer_message(&mut self, now: Instant, message: Message) {
        if self.disposed {
            return;
        }
        match message {
            // A token of a session past its end (a message that waited): no news, and adopting
            // it would only end that session again, at a newer epoch than its own.
            Message::Token { session_end: Some(end), .. } if now.wall_ms >= end => return,
            Message::Token { epoch, token, remaining_ms, sent_wall_ms, dpop, session_end } => {
                // Read after the clock went back, how long it waited is unknown.
                let waited = now.wall_ms - sent_wall_ms;
                let age_known = waited >= 0.0;
                let waited = if age_known && waited.is_finite() { waited } else { 0.0 };
                let remaining_ms = remaining_ms.map(|r| (r - waited).max(0.0));
                let peer = self.session.on_peer_token(age_known, epoch, &token, remaining_ms, now);
                match peer {
                    PeerToken::Ignore => return,
                    // A new session (a login elsewhere): its own limits, not the old session's.
                    PeerToken::AdoptNewSession => {
                        self.limits = limits::Limits::default();
                        // A login elsewhere made a new DPoP key: read it again when needed.
                        if self.cfg.dpop {
                            self.outputs.push(Output::Key(KeyChange::Forget));
                        }
                    }
                    PeerToken::Adopt => {}
                }
                let expires_in_s = remaining_ms.map(|r| r / 1000.0);
                if self.adopt(now, token, expires_in_s, TokenSource::OtherTab, dpop, None, session_end).is_ok() {
                    if peer == PeerToken::AdoptNewSession {
                        self.event(Event::LoggedIn { from_other_tab: true });
                    }
                    self.event(Event::Refreshed { from_other_tab: true });
                    self.event(Event::StateChanged);
                }
            }
            Message::Ended { epoch, reason } => self.peer_end(now, epoch, reason),
            Message::Active { epoch, deadline } if epoch == self.session.epoch() => self.peer_active(now, deadline),
            Message::Active { .. } => {}
        }
        self.advance(now);
    }

    /// Another tab ended session `epoch` (its message, or the shared record).
    pub(super) fn peer_end(&mut self, now: Instant, epoch: Epoch, reason: EndReason) {
        if !self.session.on_peer_end(epoch) {
            return;
        }
        let event = match reason {
            EndReason::LoggedOut | EndReason::Idle => {
                Event::LoggedOut { server_confirmed: None, from_other_tab: true, idle: reason == EndReason::Idle }
            }
            EndReason::SessionExpired => Event::SessionExpired { reason: "other_tab", from_other_tab: true },
            EndReason::Lifetime => Event::SessionExpired { reason: "lifetime", from_other_tab: true },
        };
        let changed = self.end_locally(now, reason, false);
        self.announce_end(changed, event);
    }

    /// The shared record read under the lock: news this tab may not have heard yet.
    /// `restore_called`: the head is a `restore()` run started at this stamp.
    pub(super) fn apply_shared(&mut self, now: Instant, shared: SharedEpoch, restore_called: Option<Epoch>) {
        // An end at the epoch this tab knows is news too (the clock went back between a
        // login and its logout: the end carries the login's epoch).
        let known = self.session.epoch();
        let news = shared.epoch > known
            || (shared.epoch == known && shared.ended.is_some() && !self.session.saw_end_of(known));
        // A restore called after the newest end revives the session at its call's epoch, as a
        // login's: also when this tab heard of that end before (on the channel).
        let revives = shared.ended.is_some()
            && shared.epoch >= known
            && restore_called.is_some_and(|called| called > shared.epoch);
        if !news && !revives {
            return;
        }
        match shared.ended {
            // A restore called after that end only learns the epoch and asks the cookie, which
            // may revive the session (its token starts a new epoch), whatever it took
            // meanwhile: a token another tab shared before the end is the ended session's.
            Some(_) if revives => {
                self.session.learn_end(shared.epoch);
                self.ended_last = true;
                let (ticket, generation) = (self.session.ticket(), self.session.generation());
                if let Some(run) = self.run.as_mut() {
                    run.revive = true;
                    run.start.ticket = ticket;
                    run.start.generation = generation;
                }
            }
            Some(reason) if self.session.state() != SessionState::Anonymous => self.peer_end(now, shared.epoch, reason),
            // A tab that never had a session (a fresh page) only learns the epoch: an old
            // logout is no news to it (a login or restore called before it is superseded all
            // the same: `Machine::ended_since`).
            Some(_) => {
                self.session.learn_end(shared.epoch);
                self.ended_last = true;
            }
            None => {
                self.session.raise_epoch(shared.epoch);
                self.ended_last = false;
            }
        }
    }
}
