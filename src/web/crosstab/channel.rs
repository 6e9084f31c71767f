//! The BroadcastChannel that carries cross-tab messages between managers of one origin (other
//! tabs, workers, and other managers of the same page).

use wasm_bindgen::prelude::*;
use web_sys::BroadcastChannel;

use crate::web::env;

pub struct CrossTab {
    channel: Option<BroadcastChannel>,
    lock_name: String,
}

impl CrossTab {
    /// `scope` separates managers of different apps on one origin (the refresh URL is used).
    /// Messages come to `done(0, data, 12)` (the manager's answer callback).
    pub fn new(scope: &str, done: &JsValue) -> Self {
        let name = ["wasm-token-manager:", scope].concat();
        Self { channel: env::open_channel(&name, done), lock_name: name }
    }

    pub fn post(&self, message: &JsValue) {
        if let Some(ch) = &self.channel {
            let _ = ch.post_message(message);
        }
    }

    /// The Web Lock shared by every manager with the same scope.
    pub fn lock_name(&self) -> &str {
        &self.lock_name
    }
}

impl Drop for CrossTab {
    fn drop(&mut self) {
        if let Some(ch) = &self.channel {
            ch.close();
        }
    }
}
