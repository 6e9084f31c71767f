//! Arbitrary `WWW-Authenticate` values into the step-up challenge parser: never a panic; a
//! challenge found names one of the two errors, and its values are substrings' worth of text
//! (no more characters than the header had).
#![no_main]
use libfuzzer_sys::fuzz_target;
use wasm_token_manager::core::challenge::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else { return };
    if let Some(c) = parse(header) {
        assert!(c.error == "insufficient_user_authentication" || c.error == "insufficient_scope");
        for v in [&c.acr_values, &c.scope].into_iter().flatten() {
            assert!(v.chars().count() <= header.chars().count());
        }
        assert!(c.max_age.is_none_or(|a| a < 10_000_000_000));
    }
});
