//! Dioxus 0.7 (feature `dioxus`): the manager and its snapshot signal in context.
//!
//! Snapshots reach the signal through a task of the providing component (the manager's
//! callbacks run outside Dioxus's runtime), so the subscription ends when that component does.
//!
//! ```no_run
//! use dioxus::prelude::*;
//! use wasm_token_manager::adapters::dioxus::{use_auth_snapshot, use_token_manager_provider};
//! use wasm_token_manager::{Options, TokenManager};
//!
//! fn App() -> Element {
//!     use_token_manager_provider(|| {
//!         TokenManager::new(Options::new("/auth/refresh").restore_on_create(true)).expect("valid options")
//!     });
//!     let snapshot = use_auth_snapshot();
//!     rsx! { p { "{snapshot.read().state.as_str()}" } }
//! }
//! ```

use dioxus::prelude::*;
use futures::StreamExt;

use crate::{Snapshot, TokenManager};

/// Provide the manager `make` returns (called once) and its snapshot signal to this component
/// and its children.
///
/// ```no_run
/// # use wasm_token_manager::{Options, TokenManager, adapters::dioxus::use_token_manager_provider};
/// # fn app() {
/// let auth = use_token_manager_provider(|| TokenManager::new(Options::new("/auth/refresh")).expect("valid options"));
/// # }
/// ```
pub fn use_token_manager_provider(make: impl FnOnce() -> TokenManager) -> TokenManager {
    let manager = use_context_provider(make);
    let snapshot = use_context_provider(|| Signal::new(manager.snapshot()));
    use_hook(|| {
        let (tx, mut rx) = futures::channel::mpsc::unbounded::<Snapshot>();
        let subscription = manager.subscribe(move |s| {
            let _ = tx.unbounded_send(s.clone());
        });
        let mut snapshot = snapshot;
        spawn(async move {
            let _subscription = subscription;
            while let Some(s) = rx.next().await {
                if *snapshot.peek() != s {
                    snapshot.set(s);
                }
            }
        });
    });
    manager
}

/// The provided manager (for requests: reading it subscribes to nothing). Panics without a
/// provider above, as `use_context` does.
///
/// ```no_run
/// # use wasm_token_manager::adapters::dioxus::use_token_manager;
/// # fn orders() {
/// let auth = use_token_manager();
/// # }
/// ```
pub fn use_token_manager() -> TokenManager {
    use_context::<TokenManager>()
}

/// The session's snapshot signal: components reading it re-render when the session changes,
/// never when the token is read.
///
/// ```no_run
/// # use dioxus::prelude::*;
/// # use wasm_token_manager::adapters::dioxus::use_auth_snapshot;
/// # fn who() {
/// let signed_in = use_auth_snapshot().read().is_authenticated;
/// # }
/// ```
pub fn use_auth_snapshot() -> Signal<Snapshot> {
    use_context::<Signal<Snapshot>>()
}
