//! DPoP's key in the browser (`js/dpop.js`: a non-extractable WebCrypto key kept in
//! IndexedDB, proofs and the servers' nonces). Proofs are made by the JS calls that send
//! (`js/http.js`); here only what the session's end does to the key.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/dpop.js")]
extern "C" {
    #[wasm_bindgen(js_name = dpopDeleteKey)]
    fn dpop_delete_key() -> Promise;
    #[wasm_bindgen(js_name = dpopForget)]
    fn dpop_forget();
}

/// The session ended here: the key goes (the next login makes a new one).
pub fn delete_key() {
    dpop_forget();
    let _ = dpop_delete_key();
}

/// Another tab ended the session or made a new key: read it again when needed.
pub fn forget_cached() {
    dpop_forget();
}
