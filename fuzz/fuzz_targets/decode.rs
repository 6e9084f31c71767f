//! Arbitrary strings into the decoder: never a panic; accepted tokens respect the policy; the
//! verdict agrees with the decoder it replaced (`src/tests/token_reference.rs`).
#![no_main]
use libfuzzer_sys::fuzz_target;
use wasm_token_manager::core::token::{inspect, TokenShape, MAX_TIMESTAMP_S, MAX_TOKEN_LEN};

#[path = "../../src/tests/token_reference.rs"]
#[allow(dead_code)]
mod token_reference;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let error;
    let new = match inspect(s) {
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
    if let Err(why) = token_reference::compare(s, new) {
        panic!("{why}");
    }
    if let Ok(shape) = inspect(s) {
        assert!(!s.is_empty() && s.len() <= MAX_TOKEN_LEN);
        assert!(s.bytes().all(|b| b == b'.' || b == b'-' || b == b'_' || b.is_ascii_alphanumeric()));
        match shape {
            TokenShape::Opaque => assert_eq!(s.split('.').count(), 5),
            TokenShape::Jws(d) => {
                assert_eq!(s.split('.').count(), 3);
                assert!(wasm_token_manager::core::token::json_segments(s).is_some());
                let _ = d.alg;
                for t in [d.times.exp, d.times.iat, d.times.nbf].into_iter().flatten() {
                    assert!((0.0..=MAX_TIMESTAMP_S).contains(&t));
                }
            }
        }
    }
});
