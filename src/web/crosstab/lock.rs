//! The origin-wide Web Lock: one refresh, login or logout at a time for all tabs of an origin.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::web::net::timeout_signal;

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks` (web-sys only exposes it behind `web_sys_unstable_apis`).
    type LockManager;
    #[wasm_bindgen(method, catch, js_name = request)]
    fn request_with_options(
        this: &LockManager,
        name: &str,
        options: &JsValue,
        callback: &JsValue,
    ) -> Result<Promise, JsValue>;
}

/// Holding this keeps the Web Lock; dropping it releases the lock.
pub struct LockGuard {
    release: Function,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.release.call0(&JsValue::UNDEFINED);
    }
}

/// Acquire the origin-wide lock `name`, waiting at most `timeout_ms`.
/// `Ok(None)`: Web Locks are not available here (run without). `Err(())`: timed out.
pub async fn acquire(name: &str, timeout_ms: u32) -> Result<Option<LockGuard>, ()> {
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).unwrap_or(JsValue::UNDEFINED);
    let locks = Reflect::get(&navigator, &"locks".into()).unwrap_or(JsValue::UNDEFINED);
    if locks.is_undefined() || locks.is_null() {
        return Ok(None);
    }
    let locks: LockManager = locks.unchecked_into();
    // `held` stays pending while we hold the lock; resolving it (LockGuard::drop) releases.
    let mut release = None;
    let held = Promise::new(&mut |resolve, _| release = Some(resolve));
    let mut granted_fn = None;
    let granted = Promise::new(&mut |resolve, _| granted_fn = Some(resolve));
    let (Some(release), Some(granted_fn)) = (release, granted_fn) else { return Ok(None) };
    let held_for_callback = held.clone();
    // One-shot callback; if the request times out it is never called and JS drops it.
    let callback = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
        let _ = granted_fn.call0(&JsValue::UNDEFINED);
        held_for_callback.into()
    });
    let options = js_sys::Object::new();
    if let Some(signal) = timeout_signal(timeout_ms) {
        let _ = Reflect::set(&options, &"signal".into(), &signal);
    }
    let Ok(request) = locks.request_with_options(name, &options, &callback) else { return Ok(None) };
    // `request` settles only after release, or rejects on timeout; `granted` on grant.
    match JsFuture::from(Promise::race(&js_sys::Array::of2(&granted, &request))).await {
        Ok(_) => Ok(Some(LockGuard { release })),
        // Our timeout signal fired: another holder kept the lock too long.
        Err(e) if is_timeout(&e) => Err(()),
        // Any other rejection (an opaque origin's SecurityError, a document that is not fully
        // active): Web Locks are unusable here; run without, like where they do not exist.
        Err(_) => Ok(None),
    }
}

fn is_timeout(e: &JsValue) -> bool {
    let name = Reflect::get(e, &"name".into()).ok().and_then(|n| n.as_string());
    matches!(name.as_deref(), Some("TimeoutError" | "AbortError"))
}
