//! Yew 0.23 (feature `yew`): a provider component and hooks.
//!
//! The provider puts two contexts in place: the manager (it never changes, so components that
//! only send requests never re-render) and the snapshot (it changes with the session).
//!
//! ```no_run
//! use yew::prelude::*;
//! use wasm_token_manager::adapters::yew::{use_auth_snapshot, TokenManagerProvider};
//! use wasm_token_manager::{Options, TokenManager};
//!
//! #[function_component]
//! fn Status() -> Html {
//!     let snapshot = use_auth_snapshot();
//!     html! { <p>{ snapshot.state.as_str() }</p> }
//! }
//!
//! #[function_component]
//! fn App() -> Html {
//!     let auth = use_memo((), |_| TokenManager::new(Options::new("/auth/refresh").restore_on_create(true)));
//!     match &*auth {
//!         Ok(auth) => html! { <TokenManagerProvider manager={auth.clone()}><Status /></TokenManagerProvider> },
//!         Err(e) => html! { <p>{ e.to_string() }</p> },
//!     }
//! }
//! ```

use yew::prelude::*;

use crate::{Snapshot, TokenManager};

/// [`TokenManagerProvider`]'s properties.
#[derive(Properties, PartialEq)]
pub struct TokenManagerProviderProps {
    /// The manager its children use.
    pub manager: TokenManager,
    #[prop_or_default]
    pub children: Html,
}

/// Provides `manager` and its snapshot to its children ([`use_token_manager`],
/// [`use_auth_snapshot`]).
///
/// ```no_run
/// # use yew::prelude::*;
/// # use wasm_token_manager::adapters::yew::TokenManagerProvider;
/// # fn f(auth: wasm_token_manager::TokenManager) -> Html {
/// html! { <TokenManagerProvider manager={auth}><p>{"app"}</p></TokenManagerProvider> }
/// # }
/// ```
#[function_component]
pub fn TokenManagerProvider(props: &TokenManagerProviderProps) -> Html {
    let snapshot = use_state_eq(|| props.manager.snapshot());
    {
        let setter = snapshot.setter();
        use_effect_with(props.manager.clone(), move |manager| {
            // A change between the render and this effect is not lost.
            setter.set(manager.snapshot());
            let subscription = manager.subscribe(move |s| setter.set(s.clone()));
            move || drop(subscription)
        });
    }
    html! {
        <ContextProvider<TokenManager> context={props.manager.clone()}>
            <ContextProvider<Snapshot> context={(*snapshot).clone()}>
                { props.children.clone() }
            </ContextProvider<Snapshot>>
        </ContextProvider<TokenManager>>
    }
}

/// The provided manager (for requests: reading it never re-renders). Panics outside a
/// [`TokenManagerProvider`].
///
/// ```no_run
/// # use yew::prelude::*;
/// # use wasm_token_manager::adapters::yew::use_token_manager;
/// #[function_component]
/// fn Orders() -> Html {
///     let auth = use_token_manager();
///     html! {}
/// }
/// ```
#[hook]
pub fn use_token_manager() -> TokenManager {
    use_context::<TokenManager>().expect("use_token_manager: wrap the component in a TokenManagerProvider")
}

/// The session's snapshot: the component re-renders when the session changes, never when the
/// token is read. Panics outside a [`TokenManagerProvider`].
///
/// ```no_run
/// # use yew::prelude::*;
/// # use wasm_token_manager::adapters::yew::use_auth_snapshot;
/// #[function_component]
/// fn Who() -> Html {
///     let s = use_auth_snapshot();
///     html! { if s.is_authenticated { <p>{"signed in"}</p> } }
/// }
/// ```
#[hook]
pub fn use_auth_snapshot() -> Snapshot {
    use_context::<Snapshot>().expect("use_auth_snapshot: wrap the component in a TokenManagerProvider")
}
