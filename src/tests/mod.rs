//! Test-only code kept out of `core`: the decoder the hand-written one replaced (jwt-compact +
//! serde_json), and the differential test that holds the two to the same verdicts over
//! generated tokens.

mod token_differential;
/// The decoder until 2026-12 (jwt-compact), the reference for the differential test.
pub(crate) mod token_reference;
