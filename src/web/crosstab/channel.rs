//! The BroadcastChannel that carries cross-tab messages between managers of one origin (other
//! tabs, workers, and other managers of the same page).

use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use web_sys::{BroadcastChannel, MessageEvent};

pub struct CrossTab {
    channel: Option<BroadcastChannel>,
    _on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
    lock_name: String,
}

impl CrossTab {
    /// `scope` separates managers of different apps on one origin (the refresh URL is used).
    pub fn new(scope: &str, mut on_message: impl FnMut(JsValue) + 'static) -> Self {
        let name = ["wasm-token-manager:", scope].concat();
        let channel = BroadcastChannel::new(&name).ok();
        let closure = channel.as_ref().map(|ch| {
            let c = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| on_message(e.data()));
            ch.set_onmessage(Some(c.as_ref().unchecked_ref()));
            c
        });
        Self { channel, _on_message: closure, lock_name: name }
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
            ch.set_onmessage(None);
            ch.close();
        }
    }
}
