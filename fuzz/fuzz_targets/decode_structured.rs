//! Arbitrary header and payload *bytes*, properly base64url-encoded, so the fuzzer spends its
//! time inside the JSON and claim handling rather than on the encoding. The shipped scanner must
//! agree with the decoder it replaced (jwt-compact + serde_json, `src/tests/token_reference.rs`)
//! on acceptance, alg, times and error message, but for the documented allowances.
#![no_main]
use base64ct::{Base64UrlUnpadded, Encoding};
use libfuzzer_sys::fuzz_target;
use wasm_token_manager::core::token::{decode, inspect, TokenShape};

#[path = "../../src/tests/token_reference.rs"]
#[allow(dead_code)]
mod token_reference;

fuzz_target!(|parts: (&[u8], &[u8])| {
    let (header, payload) = parts;
    let token =
        format!("{}.{}.c2ln", Base64UrlUnpadded::encode_string(header), Base64UrlUnpadded::encode_string(payload));
    let error;
    let new = match inspect(&token) {
        Ok(TokenShape::Jws(d)) => Ok(token_reference::Reference::Jws {
            alg: d.alg,
            times: [d.times.exp, d.times.iat, d.times.nbf],
        }),
        Ok(TokenShape::Opaque) => Ok(token_reference::Reference::Opaque),
        Err(e) => {
            error = e;
            Err(&*error.message)
        }
    };
    if let Err(why) = token_reference::compare(&token, new) {
        panic!("{why}");
    }
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
