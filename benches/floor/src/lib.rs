use wasm_bindgen::prelude::*;
#[cfg(feature = "decode")]
#[wasm_bindgen]
pub fn decode(s: &str) -> Option<f64> {
    let t = jwt_compact::UntrustedToken::new(s).ok()?;
    let c = t.deserialize_claims_unchecked::<jwt_compact::Empty>().ok()?;
    c.expiration.map(|e| e.timestamp() as f64)
}
#[cfg(feature = "opts")]
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct O { pub refresh_url: String, pub margin: Option<f64>, pub list: Option<Vec<String>>, pub flag: Option<bool>, pub headers: Option<std::collections::BTreeMap<String, String>> }
#[cfg(feature = "opts")]
#[wasm_bindgen]
pub fn opts(v: JsValue) -> bool {
    serde_wasm_bindgen::from_value::<O>(v).map(|o| o.refresh_url.len() > 2).unwrap_or(false)
}
#[wasm_bindgen]
pub fn nothing() -> u32 { 1 }
