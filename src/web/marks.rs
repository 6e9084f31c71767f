//! Bench-only step marks for `auth.fetch` (feature `bench-marks`, scripts/fetch-probe.sh): each
//! calls `globalThis.__wtmMark(step)` if the page set it. Without the feature `mark` is empty
//! and the module has no trace of it.

#[cfg(feature = "bench-marks")]
#[wasm_bindgen::prelude::wasm_bindgen(
    inline_js = "export function mark(n) { const m = globalThis.__wtmMark; if (m) m(n); }"
)]
extern "C" {
    #[wasm_bindgen(js_name = mark)]
    fn mark_js(step: u8);
}

/// Mark `step` (see tests/e2e/fetch-probe.mjs for the numbering).
#[inline(always)]
pub fn mark(_step: u8) {
    #[cfg(feature = "bench-marks")]
    mark_js(_step);
}
