//! The executor: moves data between the browser and `core::machine`, decides nothing.
//!
//! `manager` holds the machine and the JS values it speaks of by id; `executor` carries out
//! its outputs. One file per browser API: `fetch` (auth.fetch's requests), `token_post` (the
//! token endpoints; both through js/http.js), `crosstab/lock` (Web Locks),
//! `crosstab/channel` + `protocol` (BroadcastChannel), `storage` (localStorage), `lifecycle`
//! (DOM wake-up events), `navigate` (sign-in and sign-out by navigation), `dpop` (WebCrypto via js/dpop.js), `store` and `events` (the page's
//! listeners).

pub mod crosstab;
pub mod dpop;
pub mod env;
pub mod error;
pub mod events;
pub mod executor;
pub mod fetch;
pub mod js;
pub mod lifecycle;
pub mod manager;
pub mod marks;
pub mod navigate;
pub mod options;
pub mod storage;
pub mod store;
pub mod token_post;
