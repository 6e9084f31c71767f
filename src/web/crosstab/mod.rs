//! Cross-tab coordination: `channel` (BroadcastChannel transport), `lock` (the origin-wide Web
//! Lock that orders refresh, login and logout), `protocol` (the messages and what a tab does
//! with them). Each degrades to "this tab alone" where its API is missing.

pub mod channel;
pub mod lock;
pub mod protocol;
