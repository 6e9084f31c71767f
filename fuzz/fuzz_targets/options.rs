//! Arbitrary JSON-ish input into the options parser: never a panic; accepted options are sane.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wasm_token_manager::core::options::{check_names, RawOptions, MAX_MARGIN_SECONDS};

fuzz_target!(|data: &[u8]| {
    if let Ok(map) = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(data) {
        let _ = check_names(map.keys().map(String::as_str));
    }
    let Ok(raw) = serde_json::from_slice::<RawOptions>(data) else { return };
    if let Ok(o) = raw.validate() {
        assert!(!o.refresh_url.trim().is_empty());
        assert!(o.refresh_margin_ms.is_finite() && (0.0..=MAX_MARGIN_SECONDS * 1000.0).contains(&o.refresh_margin_ms));
        assert!(!o.refresh_headers.is_empty());
        for (name, value) in &o.refresh_headers {
            assert!(!name.is_empty() && !name.eq_ignore_ascii_case("authorization"));
            assert!(!value.contains('\r') && !value.contains('\n'));
        }
    }
});
