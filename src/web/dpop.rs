//! DPoP in the browser: the origin's key (made, kept and deleted by `js/dpop.js` in IndexedDB,
//! non-extractable), proofs for the manager's own POSTs and for wrapped requests, and the
//! nonces servers hand out. Decisions (htu, challenges, nonce memory) are in `core::dpop`.

use std::cell::RefCell;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

use crate::core::dpop::{htu, is_nonce_challenge, retry_with_nonce, Nonces};

#[wasm_bindgen(module = "/js/dpop.js")]
extern "C" {
    #[wasm_bindgen(js_name = dpopKey)]
    fn dpop_key(fresh: bool) -> Promise;
    #[wasm_bindgen(js_name = dpopDeleteKey)]
    fn dpop_delete_key() -> Promise;
    #[wasm_bindgen(js_name = dpopProof)]
    fn dpop_proof(key: &JsValue, htm: &str, htu: &str, nonce: Option<String>, access_token: Option<String>) -> Promise;
}

/// The manager's DPoP state (only with `dpop: true`).
#[derive(Default)]
pub struct Dpop {
    /// The key object from `js/dpop.js` (a `CryptoKeyPair` and the public JWK), cached.
    key: RefCell<Option<JsValue>>,
    pub(crate) nonces: RefCell<Nonces>,
}

impl Dpop {
    /// The origin's key; `fresh`: a new one (a login), replacing the stored one.
    async fn key(&self, fresh: bool) -> Result<JsValue, JsValue> {
        if !fresh {
            if let Some(k) = self.key.borrow().as_ref() {
                return Ok(k.clone());
            }
        }
        let key = JsFuture::from(dpop_key(fresh)).await?;
        *self.key.borrow_mut() = Some(key.clone());
        Ok(key)
    }

    /// A proof for `method url`; `access_token` for a resource request (`ath`); `fresh_key`
    /// for a login.
    pub async fn proof(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        fresh_key: bool,
    ) -> Result<String, JsValue> {
        let key = self.key(fresh_key).await?;
        let nonce = self.nonces.borrow().get(url).map(str::to_owned);
        let proof = JsFuture::from(dpop_proof(&key, method, htu(url), nonce, access_token.map(str::to_owned))).await?;
        proof.as_string().ok_or_else(|| JsValue::from_str("DPoP proof"))
    }

    /// Remember the server's `DPoP-Nonce`, if the answer carries one.
    pub fn remember_nonce(&self, url: &str, res: &Response) {
        if let Some(n) = res.headers().get("dpop-nonce").ok().flatten().filter(|n| !n.is_empty()) {
            self.nonces.borrow_mut().set(url, &n);
        }
    }

    /// Is this answer a resource server's nonce challenge to retry once (a 401 with
    /// `WWW-Authenticate: DPoP error="use_dpop_nonce"` and a nonce to use)? The nonce itself was
    /// remembered when the answer arrived.
    pub fn is_challenge(&self, url: &str, res: &Response) -> bool {
        let challenged = res.status() == 401
            && res.headers().get("www-authenticate").ok().flatten().is_some_and(|h| is_nonce_challenge(&h));
        retry_with_nonce(challenged, false, self.nonces.borrow().get(url).is_some())
    }

    /// Forget the key here (another tab may have made a new one: read it again when needed).
    pub fn forget_cached(&self) {
        self.key.borrow_mut().take();
    }

    /// The session ended here: delete the key (the next login makes a new one).
    pub fn delete_key(&self) {
        self.forget_cached();
        crate::web::spawn(async {
            let _ = JsFuture::from(dpop_delete_key()).await;
        });
    }
}
