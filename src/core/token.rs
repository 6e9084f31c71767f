//! Decoding access tokens (no signature check: the client cannot verify and does not need to;
//! the claims are *hints* used for scheduling and display).
//!
//! Policy (tested below, documented in the README):
//! - length is checked before anything else: 1..=`MAX_TOKEN_LEN` bytes;
//! - a JWS compact token has exactly three segments; five segments is a JWE (encrypted), which
//!   the manager accepts as *opaque* (unknown expiry, refreshed on 401 only) and `decodeJwt`
//!   rejects; any other count is malformed;
//! - segments use the base64url alphabet only: no padding `=`, no whitespace, no `+`/`/`;
//!   header and payload must be non-empty (the signature may be empty: unsecured JWT);
//! - header and payload must be UTF-8 JSON objects (RFC 8259 as serde_json reads it: no BOM,
//!   no lone `\u` surrogate, no number beyond f64, at most 127 nested levels; see
//!   [`jwt_json`](super::jwt_json)); `alg` must be a string; `cty`, if present and not null,
//!   must be the string "JSON" in any case;
//! - `exp`, `iat`, `nbf` must be finite numbers (integers or floats), read as the f64
//!   `JSON.parse` gives and truncated toward zero to whole seconds (so `1.5` is 1 and `-0.5`
//!   is 0), then in `0..=MAX_TIMESTAMP_S`; any other type is `malformed_token`;
//! - a duplicated `exp`, `iat`, `nbf`, `alg` or `cty` is `malformed_token` (ambiguous); any
//!   other duplicated name keeps its last value in the JS view, exactly as `JSON.parse` does;
//! - a missing `exp` means *unknown expiry*, never "expired" and never "valid forever";
//! - `alg: none` decodes like any other token and changes nothing (the client never verifies);
//! - other header parameters (`kid`, `typ`, `jku`, `x5u`, `x5t`, `x5t#S256`, …) are neither
//!   read nor type-checked: the client selects no key. (jwt-compact, the decoder until 2026-12
//!   and now the test reference in `src/tests/token_reference.rs`, rejected non-string `kid`/`typ`/
//!   `jku`/`x5u`, oddly sized `x5t` thumbprints and repeats of these. That is the only
//!   difference the differential test below allows.)
//!
//! That strict policy is `decodeJwt`'s. The manager *holds* any token a server or the caller
//! gives it ([`held_shape`]): a JWS it can decode is read as above; anything else (a JWE, an
//! opaque random string, a JWS-looking string that does not decode) is opaque, its lifetime
//! taken from `expires_in` or unknown. It only refuses what cannot be sent: an empty token, one
//! over `MAX_TOKEN_LEN`, or one with characters outside RFC 6750's `b64token`.

use super::clock::TokenTimes;
use super::error::Error;
use super::jwt_json::{object_members, Member};

/// Longest token accepted (bytes). Real access tokens are well under 4 KiB.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;
/// Latest timestamp accepted in a time claim: 9999-12-31T23:59:59Z.
pub const MAX_TIMESTAMP_S: f64 = 253_402_300_799.0;

/// What the decoder establishes about a JWS: its algorithm and typed time claims.
/// (The full header and claims are shown to JS from [`json_segments`], never kept in Rust.)
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedToken {
    pub alg: String,
    pub times: TokenTimes,
}

/// What the manager can learn from an access token.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenShape {
    /// A JWS whose claims were read.
    Jws(DecodedToken),
    /// A JWE, or any token that is not a decodable JWS: contents unknown, expiry from
    /// `expires_in` or unknown.
    Opaque,
}

/// The JSON text of a token's header and payload segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenJson {
    pub header: String,
    pub payload: String,
}

/// Decode a JWS compact token (three segments). JWEs are `malformed_token` here.
pub fn decode(token: &str) -> Result<DecodedToken, Error> {
    match inspect(token)? {
        TokenShape::Jws(decoded) => Ok(decoded),
        TokenShape::Opaque => Err(Error::malformed("token is encrypted (JWE); its claims cannot be read")),
    }
}

/// Decode a token as the manager sees it: a readable JWS, or an opaque JWE.
pub fn inspect(token: &str) -> Result<TokenShape, Error> {
    if token.is_empty() {
        return Err(Error::malformed("token is empty"));
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err(Error::malformed("token is longer than 16384 bytes"));
    }
    if !token.bytes().all(|b| b == b'.' || is_base64url(b)) {
        return Err(Error::malformed("token contains a character outside the base64url alphabet"));
    }
    match token.split('.').count() {
        3 => {}
        5 if !token.starts_with('.') => return Ok(TokenShape::Opaque),
        5 => return Err(Error::malformed("JWE header segment is empty")),
        _ => return Err(Error::malformed("token must have exactly three dot-separated segments")),
    }
    let mut parts = token.split('.');
    let (header_b64, payload_b64) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if header_b64.is_empty() || payload_b64.is_empty() {
        return Err(Error::malformed("token header or payload segment is empty"));
    }
    if header_b64.len() % 4 == 1 || payload_b64.len() % 4 == 1 {
        return Err(Error::malformed("token segment has an impossible base64url length"));
    }
    let base64 =
        |seg: &str| b64url_decode(seg).ok_or(()).map_err(|_| Error::malformed("token segment is not valid base64url"));
    let (header, payload) = (base64(header_b64)?, base64(payload_b64)?);
    base64(parts.next().unwrap_or(""))?; // the signature is not verified, but must decode

    let header_error = || Error::malformed("token header is not a valid JSON object");
    let [alg, cty] = object_members(&header, ["alg", "cty"]).map_err(|_| header_error())?;
    let Some(Member::Str(alg)) = alg else { return Err(header_error()) };
    match cty {
        None | Some(Member::Null) => {}
        Some(Member::Str(cty)) if cty.eq_ignore_ascii_case("json") => {}
        Some(Member::Str(_)) => return Err(Error::malformed("token content type (cty) is not JSON")),
        Some(_) => return Err(header_error()),
    }

    let payload_error = || Error::malformed("token payload is not a JSON object with numeric exp/iat/nbf");
    let [exp, iat, nbf] = object_members(&payload, ["exp", "iat", "nbf"]).map_err(|_| payload_error())?;
    let seconds = |claim: Option<Member>| match claim {
        None => Ok(None),
        Some(Member::Number(secs)) => Ok(Some(secs)),
        Some(_) => Err(payload_error()),
    };
    let (exp, iat, nbf) = (seconds(exp)?, seconds(iat)?, seconds(nbf)?);
    let times = TokenTimes { exp: checked_time(exp)?, iat: checked_time(iat)?, nbf: checked_time(nbf)? };
    Ok(TokenShape::Jws(DecodedToken { alg, times }))
}

/// What the manager makes of a token it is given: a decodable JWS, or opaque. Errors only for
/// a token that cannot be sent as `Authorization: Bearer <token>`.
pub fn held_shape(token: &str) -> Result<TokenShape, Error> {
    if token.is_empty() {
        return Err(Error::malformed("token is empty"));
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err(Error::malformed("token is longer than 16384 bytes"));
    }
    if !is_b64token(token) {
        return Err(Error::malformed("token has characters an Authorization header cannot carry (RFC 6750 b64token)"));
    }
    Ok(inspect(token).unwrap_or(TokenShape::Opaque))
}

/// RFC 6750 §2.1: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty() && body.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// The header and payload JSON text of a token that [`decode`] accepts (for display: JS
/// parses them into the `header` and `claims` objects).
pub fn json_segments(token: &str) -> Option<TokenJson> {
    let mut parts = token.split('.');
    let text = |seg: Option<&str>| String::from_utf8(b64url_decode(seg?)?).ok();
    Some(TokenJson { header: text(parts.next())?, payload: text(parts.next())? })
}

/// The header and claims JSON of a token the manager holds: `None` for an opaque token (its
/// segments, if any, are not JSON). Cheaper than decoding again.
pub fn accepted_token_json(token: &str) -> Option<TokenJson> {
    if token.split('.').count() == 3 {
        json_segments(token).filter(|j| j.payload.starts_with('{'))
    } else {
        None
    }
}

/// Base64url without padding (RFC 4648 §5), strict: the URL-safe alphabet only, no `=`, a
/// length that is not 1 modulo 4, and zero bits past the last byte (one encoding per value).
pub(crate) fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    };
    let bytes = text.as_bytes();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for &c in chunk {
            acc = acc << 6 | value(c)?;
        }
        let bits = chunk.len() * 6;
        let whole = bits / 8;
        // Bits that do not make a whole byte must be zero.
        if acc & ((1 << (bits - whole * 8)) - 1) != 0 {
            return None;
        }
        let acc = acc >> (bits - whole * 8);
        for i in (0..whole).rev() {
            out.push((acc >> (8 * i)) as u8);
        }
    }
    Some(out)
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// A time claim: absent, or its whole seconds (`None`: beyond 10^12 in magnitude) in range.
fn checked_time(secs: Option<Option<i64>>) -> Result<Option<f64>, Error> {
    match secs {
        None => Ok(None),
        Some(Some(s)) if (0..=MAX_TIMESTAMP_S as i64).contains(&s) => Ok(Some(s as f64)),
        Some(_) => Err(Error::malformed("token time claim (exp/iat/nbf) is out of range")),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use base64ct::{Base64UrlUnpadded, Encoding};
    use serde_json::Value;

    use super::*;
    use crate::tests::token_reference::{compare, Agreement, Reference};

    #[test]
    fn a_token_of_the_longest_length_is_held_and_one_byte_more_is_not() {
        // An opaque (JWE-shaped) token, padded in its ciphertext segment.
        let jwe = |len: usize| format!("aGVhZA.a2V5.aXY.{}.dGFn", "Y".repeat(len - 21));
        assert_eq!(jwe(MAX_TOKEN_LEN).len(), MAX_TOKEN_LEN);
        assert!(matches!(inspect(&jwe(MAX_TOKEN_LEN)), Ok(TokenShape::Opaque)));
        assert!(inspect(&jwe(MAX_TOKEN_LEN + 1)).is_err());
        assert!(matches!(held_shape(&jwe(MAX_TOKEN_LEN)), Ok(TokenShape::Opaque)));
        assert!(held_shape(&jwe(MAX_TOKEN_LEN + 1)).is_err());
    }

    #[test]
    fn a_segment_of_an_impossible_base64url_length_is_named() {
        for token in ["aaaaa.eyJ9.c2ln", "eyJ9.aaaaa.c2ln"] {
            let e = inspect(token).expect_err("4n + 1 characters decode to nothing");
            assert!(e.message.contains("impossible base64url length"), "{token}: {}", e.message);
        }
    }

    /// Compares the shipped decoder with the reference (jwt-compact) on `token`; panics on a
    /// disagreement.
    pub(crate) fn assert_agrees(token: &str) -> Agreement {
        let error;
        let new = match inspect(token) {
            Ok(TokenShape::Jws(d)) => Ok(Reference::Jws { alg: d.alg, times: [d.times.exp, d.times.iat, d.times.nbf] }),
            Ok(TokenShape::Opaque) => Ok(Reference::Opaque),
            Err(e) => {
                error = e;
                Err(&*error.message)
            }
        };
        compare(token, new).unwrap_or_else(|why| panic!("{why}"))
    }

    /// The JS view of a token (what `decodeJwt` returns), parsed here with serde_json.
    pub(crate) fn view(token: &str) -> (Value, Value) {
        let j = json_segments(token).expect("segments");
        (serde_json::from_str(&j.header).expect("header"), serde_json::from_str(&j.payload).expect("payload"))
    }

    pub(crate) fn b64(s: &str) -> String {
        Base64UrlUnpadded::encode_string(s.as_bytes())
    }

    /// A JWS with an HS256-looking header and a fake signature.
    pub(crate) fn jws(payload: &str) -> String {
        format!("{}.{}.c2ln", b64(r#"{"alg":"HS256","typ":"JWT"}"#), b64(payload))
    }

    fn with_header(header: &str, payload: &str) -> String {
        format!("{}.{}.c2ln", b64(header), b64(payload))
    }

    // RFC 7519 §3.1 (also RFC 7515 A.1).
    const RFC7519_3_1: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.\
        eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.\
        dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    // RFC 7519 §6.1: unsecured JWT (alg none, empty signature).
    const RFC7519_6_1: &str = "eyJhbGciOiJub25lIn0.\
        eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.";

    #[test]
    fn held_shape_table() {
        let jws = jws(r#"{"exp":1700000300,"iat":1700000000}"#);
        assert!(matches!(held_shape(&jws), Ok(TokenShape::Jws(_))), "a JWS is decoded");
        let cases: &[(&str, Result<(), ()>)] = &[
            ("opaque-0123456789abcdef", Ok(())),
            ("mF_9.B5f-4.1JqM", Ok(())),
            ("base64+with/slash==", Ok(())),
            ("a.b", Ok(())),
            ("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d", Ok(())),
            ("", Err(())),
            ("has space", Err(())),
            ("new\nline", Err(())),
            ("ünïcode", Err(())),
            ("===", Err(())),
            ("a=b", Err(())),
        ];
        for (token, want) in cases {
            let got = held_shape(token);
            assert_eq!(got.as_ref().map(|_| ()).map_err(|_| ()), *want, "{token:?}");
            if want.is_ok() {
                assert_eq!(got.ok(), Some(TokenShape::Opaque), "{token:?} is opaque");
            }
        }
        assert!(held_shape(&"a".repeat(MAX_TOKEN_LEN + 1)).is_err());
        assert_eq!(accepted_token_json("a.b.c"), None, "no claims for an opaque token");
    }

    #[test]
    fn rfc_vectors() {
        let d = decode(RFC7519_3_1).expect("RFC 7519 3.1");
        assert_eq!(d.alg, "HS256");
        let (header, claims) = view(RFC7519_3_1);
        assert_eq!(header["typ"], "JWT");
        assert_eq!(claims["iss"], "joe");
        assert_eq!(claims["exp"], 1_300_819_380);
        assert_eq!(claims["http://example.com/is_root"], true);
        assert_eq!(d.times.exp, Some(1_300_819_380.0));
        assert_eq!(d.times.iat, None);

        assert_agrees(RFC7519_3_1);
        assert_agrees(RFC7519_6_1);
        let u = decode(RFC7519_6_1).expect("RFC 7519 6.1");
        assert_eq!(u.alg, "none");
        assert_eq!(u.times.exp, Some(1_300_819_380.0));
    }

    #[test]
    fn accepted_table() {
        let cases: Vec<(&str, String, TokenTimes)> = vec![
            (
                "integer times",
                jws(r#"{"exp":2000000000,"iat":1999999700,"nbf":1999999700}"#),
                TokenTimes { exp: Some(2e9), iat: Some(1_999_999_700.0), nbf: Some(1_999_999_700.0) },
            ),
            (
                "float exp (truncated)",
                jws(r#"{"exp":2000000000.75}"#),
                TokenTimes { exp: Some(2e9), ..Default::default() },
            ),
            ("exponent notation", jws(r#"{"exp":2e9}"#), TokenTimes { exp: Some(2e9), ..Default::default() }),
            (
                "float read as JSON.parse reads it (253402300799.99997), then truncated",
                jws(r#"{"exp":253402300799.99998}"#),
                TokenTimes { exp: Some(MAX_TIMESTAMP_S), ..Default::default() },
            ),
            ("no exp: unknown expiry", jws(r#"{"sub":"x"}"#), TokenTimes::default()),
            ("empty payload object", jws("{}"), TokenTimes::default()),
            ("exp zero", jws(r#"{"exp":0}"#), TokenTimes { exp: Some(0.0), ..Default::default() }),
            (
                "year 9999",
                jws(r#"{"exp":253402300799}"#),
                TokenTimes { exp: Some(MAX_TIMESTAMP_S), ..Default::default() },
            ),
            (
                "alg none",
                with_header(r#"{"alg":"none"}"#, r#"{"exp":5}"#),
                TokenTimes { exp: Some(5.0), ..Default::default() },
            ),
            (
                "unicode claims",
                jws(r#"{"name":"Zoë 🦀","exp":5}"#),
                TokenTimes { exp: Some(5.0), ..Default::default() },
            ),
            (
                "nested claims",
                jws(r#"{"a":{"b":[1,2,{"c":null}]},"exp":5}"#),
                TokenTimes { exp: Some(5.0), ..Default::default() },
            ),
            (
                "empty signature",
                format!("{}.{}.", b64(r#"{"alg":"ES256"}"#), b64(r#"{"exp":5}"#)),
                TokenTimes { exp: Some(5.0), ..Default::default() },
            ),
            (
                "unknown header fields kept",
                with_header(r#"{"alg":"EdDSA","kid":"k1","x":1}"#, "{}"),
                TokenTimes::default(),
            ),
        ];
        for (name, token, want) in cases {
            let d = decode(&token).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(d.times, want, "{name}");
            assert_agrees(&token);
        }
        let t = with_header(r#"{"alg":"EdDSA","kid":"k1","x":1}"#, "{}");
        assert_eq!(decode(&t).expect("ok").alg, "EdDSA");
        assert_eq!(view(&t).0["kid"], "k1");
        assert_eq!(view(&t).0["x"], 1);
        assert_eq!(view(&jws(r#"{"name":"Zoë 🦀"}"#)).1["name"], "Zoë 🦀");
    }

    #[test]
    fn rejected_table() {
        let h = b64(r#"{"alg":"HS256"}"#);
        let p = b64(r#"{"exp":5}"#);
        let long = format!("{h}.{}.sig", "A".repeat(MAX_TOKEN_LEN));
        let cases: Vec<(&str, String)> = vec![
            ("empty", String::new()),
            ("too long", long),
            ("one segment", h.clone()),
            ("two segments", format!("{h}.{p}")),
            ("four segments", format!("{h}.{p}.s.x")),
            ("six segments", format!("{h}.{p}.a.b.c.d")),
            ("empty header", format!(".{p}.sig")),
            ("empty payload", format!("{h}..sig")),
            ("padding", format!("{h}.{p}=.sig")),
            ("standard base64 +", format!("{h}.{p}+.sig")),
            ("standard base64 /", format!("{h}.{p}/.sig")),
            ("leading space", format!(" {h}.{p}.sig")),
            ("trailing newline", format!("{h}.{p}.sig\n")),
            ("inner space", format!("{h}.{p} .sig")),
            ("Bearer prefix", format!("Bearer {h}.{p}.sig")),
            ("non-ascii", format!("{h}.{p}é.sig")),
            ("NUL byte", format!("{h}.{p}\0.sig")),
            ("impossible length", format!("{h}.{p}A.sig")),
            ("payload not base64 of JSON", format!("{h}.{}.sig", b64("not json"))),
            ("payload JSON array", jws("[1,2,3]")),
            ("payload JSON string", jws(r#""exp""#)),
            ("payload JSON number", jws("42")),
            ("payload null", jws("null")),
            ("payload truncated JSON", jws(r#"{"exp":5"#)),
            (
                "payload invalid UTF-8",
                format!("{h}.{}.sig", Base64UrlUnpadded::encode_string(&[0x7b, 0xff, 0xfe, 0x7d])),
            ),
            ("header JSON array", with_header("[]", "{}")),
            ("header not JSON", with_header("alg", "{}")),
            ("header without alg", with_header(r#"{"typ":"JWT"}"#, "{}")),
            ("alg not a string", with_header(r#"{"alg":5}"#, "{}")),
            ("cty not JSON", with_header(r#"{"alg":"HS256","cty":"CBOR"}"#, "{}")),
            ("exp string", jws(r#"{"exp":"2000000000"}"#)),
            ("exp boolean", jws(r#"{"exp":true}"#)),
            ("exp null", jws(r#"{"exp":null}"#)),
            ("exp object", jws(r#"{"exp":{}}"#)),
            ("exp array", jws(r#"{"exp":[1]}"#)),
            ("iat string", jws(r#"{"exp":5,"iat":"1"}"#)),
            ("nbf boolean", jws(r#"{"exp":5,"nbf":false}"#)),
            ("exp negative", jws(r#"{"exp":-1}"#)),
            ("exp beyond year 9999", jws(r#"{"exp":253402300800}"#)),
            ("exp huge float", jws(r#"{"exp":1e300}"#)),
            ("exp beyond i64", jws(r#"{"exp":18446744073709551615}"#)),
            ("iat negative", jws(r#"{"iat":-100}"#)),
            ("JWE five segments (decodeJwt)", "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d".to_owned()),
            ("dots only", "..".to_owned()),
        ];
        assert!(cases.len() >= 40);
        for (name, token) in cases {
            let err = decode(&token).expect_err(name);
            assert_eq!(err.code, crate::core::ErrorCode::MalformedToken, "{name}");
            assert_agrees(&token);
        }
    }

    #[test]
    fn jwe_is_opaque_for_the_manager() {
        assert_eq!(inspect("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"), Ok(TokenShape::Opaque));
        assert!(inspect(".a.b.c.d").is_err());
    }

    #[test]
    fn duplicate_claims() {
        // Other claims: accepted; the JS view (JSON.parse, like serde_json here) keeps the last.
        let t = jws(r#"{"sub":"a","sub":"b","exp":5}"#);
        assert!(decode(&t).is_ok());
        assert_eq!(view(&t).1["sub"], "b");
        // A duplicated time claim is ambiguous for scheduling: rejected.
        for dup in [r#"{"exp":5,"exp":6}"#, r#"{"iat":1,"iat":2}"#, r#"{"nbf":1,"exp":9,"nbf":2}"#] {
            assert!(decode(&jws(dup)).is_err(), "{dup}");
        }
    }

    #[test]
    fn accepted_token_json_skips_jwe() {
        assert_eq!(accepted_token_json("eyJhbGciOiJSU0EtT0FFUCJ9.e30.b.c.d"), None);
        assert_eq!(accepted_token_json(&jws(r#"{"sub":"x"}"#)).map(|j| j.payload), Some(r#"{"sub":"x"}"#.to_owned()));
    }

    #[test]
    fn json_segments_of_hostile_input() {
        assert_eq!(json_segments(""), None);
        assert_eq!(json_segments("!!!.e30.x"), None);
        assert!(json_segments(&jws("{}")).is_some());
    }
}

#[cfg(test)]
mod b64_tests {
    use base64ct::{Base64UrlUnpadded, Encoding};

    /// The decoder agrees with base64ct (the reference) on every string of up to 5 characters
    /// over an alphabet with valid, invalid and padding characters.
    #[test]
    fn agrees_with_base64ct() {
        let alphabet = b"AQgw_-z9=+/ .";
        let mut checked = 0;
        for len in 0..=5u32 {
            for n in 0..(alphabet.len() as u64).pow(len) {
                let mut k = n;
                let s: String = (0..len)
                    .map(|_| {
                        let c = alphabet[(k % alphabet.len() as u64) as usize] as char;
                        k /= alphabet.len() as u64;
                        c
                    })
                    .collect();
                assert_eq!(super::b64url_decode(&s), Base64UrlUnpadded::decode_vec(&s).ok(), "{s:?}");
                checked += 1;
            }
        }
        assert!(checked > 390_000);
    }
}
