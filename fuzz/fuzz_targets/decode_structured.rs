//! Arbitrary header and payload *bytes*, properly base64url-encoded, so the fuzzer spends its
//! time inside the JSON and claim handling rather than on the encoding.
#![no_main]
use base64ct::{Base64UrlUnpadded, Encoding};
use libfuzzer_sys::fuzz_target;
use wasm_token_manager::core::token::decode;

fuzz_target!(|parts: (&[u8], &[u8])| {
    let (header, payload) = parts;
    let token =
        format!("{}.{}.c2ln", Base64UrlUnpadded::encode_string(header), Base64UrlUnpadded::encode_string(payload));
    if let Ok(d) = decode(&token) {
        // Accepted payloads are JSON objects; the claims we hand to JS serialize again.
        assert!(serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(payload).is_ok());
        // The JS view is the same payload text; its exp agrees with the decoder's.
        let json = wasm_token_manager::core::token::json_segments(&token).expect("segments");
        let claims: serde_json::Value = serde_json::from_str(&json.payload).expect("payload");
        if let Some(exp) = d.times.exp {
            assert_eq!(claims.get("exp").and_then(|v| v.as_f64()).map(f64::trunc), Some(exp));
        }
    }
});
