//! `localStorage` (`js/storage.js`): the shared session record (`core::machine::SharedEpoch`),
//! the newest session epoch of the origin and whether it ended. No token is ever stored: only a
//! number and a reason. Where there is no `localStorage` (a worker) or it throws (storage
//! disabled), there is no record and tabs rely on the channel alone.

use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::core::machine::SharedEpoch;
use crate::core::session::{EndReason, Epoch};

#[wasm_bindgen(module = "/js/storage.js")]
extern "C" {
    #[wasm_bindgen(js_name = loadRecord)]
    fn load_record(scope: &str) -> JsValue;
    #[wasm_bindgen(js_name = storeRecord)]
    fn store_record(scope: &str, epoch: f64, reason: Option<&str>);
}

/// The record, if there is one and it reads well. Epochs are below 2^53 (milliseconds × 1024),
/// so a JS number carries them exactly.
pub fn load(scope: &str) -> Option<SharedEpoch> {
    let record: Array = load_record(scope).dyn_into().ok()?;
    let epoch = record.get(0).as_f64()?;
    let ended = match record.get(1).as_string() {
        Some(r) => Some(EndReason::parse(&r)?),
        None => None,
    };
    Some(SharedEpoch { epoch: Epoch(epoch as u64), ended })
}

/// Record `record` unless a newer one is there.
pub fn store(scope: &str, record: SharedEpoch) {
    store_record(scope, record.epoch.0 as f64, record.ended.map(EndReason::as_str));
}
