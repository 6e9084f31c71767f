//! The access token a session holds, with what the scheduler needs to know about it: its
//! generation, receipt, lifetime, refresh point and DPoP binding; and what adopting one takes.

use std::fmt;

use super::TokenGeneration;
use crate::core::clock::Instant;
use crate::core::secret::Secret;

/// A token this close to expiry is not sent: `exp` has whole-second precision (a token may die
/// on the server up to 1 s before `receipt + expires_in`), and a request takes time to arrive.
pub const SEND_SKEW_MS: f64 = 1_000.0;

/// The access token held in memory, with what the scheduler needs to know about it.
#[derive(Clone)]
pub struct AccessToken {
    pub(super) value: Secret,
    pub(super) generation: TokenGeneration,
    pub(super) received: Instant,
    /// `None`: unknown expiry (opaque token, no `exp`, no `expires_in`).
    pub(super) lifetime_ms: Option<f64>,
    /// Elapsed ms after receipt at which to refresh (margin and jitter applied once).
    pub(super) refresh_point_ms: Option<f64>,
    /// Bound to the DPoP key: sent as `Authorization: DPoP` with a proof.
    pub(super) dpop: bool,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("value", &"[redacted]")
            .field("generation", &self.generation)
            .field("lifetime_ms", &self.lifetime_ms)
            .finish_non_exhaustive()
    }
}

impl AccessToken {
    pub fn value(&self) -> &str {
        &self.value
    }
    pub fn secret(&self) -> &Secret {
        &self.value
    }
    pub fn generation(&self) -> TokenGeneration {
        self.generation
    }
    pub fn is_dpop(&self) -> bool {
        self.dpop
    }
    pub fn remaining_ms(&self, now: Instant) -> Option<f64> {
        self.lifetime_ms.map(|l| (l - now.elapsed_since(self.received)).max(0.0))
    }
    /// Past its deadline for sending (never, when the expiry is unknown): within
    /// [`SEND_SKEW_MS`] (at most a third of the lifetime) of expiry, a request could reach the
    /// server after the token died there.
    pub fn is_expired(&self, now: Instant) -> bool {
        match (self.remaining_ms(now), self.lifetime_ms) {
            (Some(r), Some(l)) => r <= SEND_SKEW_MS.min(l / 3.0),
            _ => false,
        }
    }
    /// ms until the refresh point (0 = due now); `None` = never scheduled.
    pub fn until_refresh_ms(&self, now: Instant) -> Option<f64> {
        self.refresh_point_ms.map(|p| (p - now.elapsed_since(self.received)).max(0.0))
    }
}

/// Inputs for adopting a token.
#[derive(Debug, Clone, Copy)]
pub struct Adoption {
    pub now: Instant,
    pub expires_in_s: Option<f64>,
    pub margin_ms: f64,
    pub random01: f64,
    /// `token_type: "DPoP"`: the token is bound to this origin's DPoP key.
    pub dpop: bool,
}
