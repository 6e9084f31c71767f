//! `localStorage`: the shared session record (`core::machine::SharedEpoch`): the newest
//! session epoch of the origin and whether it ended. No token is ever stored: only a number
//! and a reason. Where there is no `localStorage` (a worker) or it throws (storage disabled),
//! there is no record and tabs rely on the channel alone.

use js_sys::Reflect;
use wasm_bindgen::JsCast;
use web_sys::Storage;

use crate::core::machine::SharedEpoch;
use crate::core::session::{EndReason, Epoch};

fn storage() -> Option<Storage> {
    let s = Reflect::get(&js_sys::global(), &"localStorage".into()).ok()?;
    s.dyn_into::<Storage>().ok()
}

fn key(scope: &str) -> String {
    format!("wasm-token-manager:{scope}:session")
}

/// The record, if there is one and it reads well.
pub fn load(scope: &str) -> Option<SharedEpoch> {
    let text = storage()?.get_item(&key(scope)).ok()??;
    let (epoch, reason) = match text.split_once(':') {
        Some((e, r)) => (e, Some(EndReason::parse(r)?)),
        None => (text.as_str(), None),
    };
    Some(SharedEpoch { epoch: Epoch(epoch.parse().ok()?), ended: reason })
}

/// Record `record` unless a newer one is there.
pub fn store(scope: &str, record: SharedEpoch) {
    if load(scope).is_some_and(|old| old.epoch > record.epoch) {
        return;
    }
    let text = match record.ended {
        Some(reason) => format!("{}:{}", record.epoch.0, reason.as_str()),
        None => record.epoch.0.to_string(),
    };
    if let Some(s) = storage() {
        let _ = s.set_item(&key(scope), &text);
    }
}
