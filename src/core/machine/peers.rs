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
            Message::Token { epoch, token, remaining_ms, dpop } => {
                match self.session.on_peer_token(epoch, &token, remaining_ms, now) {
                    PeerToken::Ignore => return,
                    // A login elsewhere made a new DPoP key: read it again when needed.
                    PeerToken::AdoptNewSession if self.cfg.dpop => {
                        self.outputs.push_back(Output::Key(KeyChange::Forget))
                    }
                    PeerToken::AdoptNewSession | PeerToken::Adopt => {}
                }
                let expires_in_s = remaining_ms.map(|r| r / 1000.0);
                if self.adopt(now, token, expires_in_s, TokenSource::OtherTab, dpop).is_ok() {
                    self.event(Event::Refreshed { from_other_tab: true });
                    self.event(Event::StateChanged);
                }
            }
            Message::Ended { epoch, reason } => {
                if !self.session.on_peer_end(epoch) {
                    return;
                }
                let event = match reason {
                    EndReason::LoggedOut => Event::LoggedOut { server_confirmed: None, from_other_tab: true },
                    EndReason::SessionExpired => Event::SessionExpired { reason: "other_tab", from_other_tab: true },
                };
                let changed = self.end_locally(now, reason, false);
                self.announce_end(changed, event);
            }
        }
        self.advance(now);
    }
}
