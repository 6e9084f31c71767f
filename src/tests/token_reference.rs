//! The token decoder as shipped until 2026-12 (jwt-compact 0.8 + serde_json), frozen as the
//! *reference* for the shipped scanner (`jwt_json`): the differential test in `token.rs` and the
//! `decode` / `decode_structured` fuzz targets (which include this file by path) check that
//! both agree. Self-contained on purpose: only jwt-compact, base64ct and serde_json, no `crate::`.
//!
//! serde_json is built with `float_roundtrip` for tests and fuzzing (Cargo.toml), so the
//! reference reads numbers correctly rounded, as `JSON.parse` and the scanner do. The shipped
//! build had it off, and its serde_json misread numbers with many digits by an f64 step or two,
//! so the new decoder differs from the *shipped* one there (by design: the JS view is
//! `JSON.parse`'s). Measured with serde_json 1.0.154 default features:
//! - `{"exp":253402300799.99998}` was rejected as out of range (read as 253402300800);
//!   `JSON.parse` reads 253402300799.99997, so it is now accepted as 253402300799;
//! - about 2% of times like `1712345678.999999999123` (5 to 24 nines) came out a second late;
//! - `-0.9999999999999999` was read as -1 (rejected); it is -0.99…, now truncated to 0;
//! - `1.7976931348623158e308` anywhere in the token was "number out of range" (it is f64::MAX).

use jwt_compact::{Empty, UntrustedToken};

/// What the old decoder made of a token.
#[derive(Debug, Clone, PartialEq)]
pub enum Reference {
    /// A JWS: its `alg` and its `exp`, `iat`, `nbf` in whole seconds.
    Jws { alg: String, times: [Option<f64>; 3] },
    /// A JWE (five segments), held as opaque.
    Opaque,
}

pub const PAYLOAD_ERROR: &str = "token payload is not a JSON object with numeric exp/iat/nbf";
pub const RANGE_ERROR: &str = "token time claim (exp/iat/nbf) is out of range";
pub const HEADER_ERROR: &str = "token header is not a valid JSON object";

/// The old `token::inspect`, verbatim but for the result type (errors are their messages).
pub fn inspect(token: &str) -> Result<Reference, &'static str> {
    const MAX_TOKEN_LEN: usize = 16 * 1024;
    const MAX_TIMESTAMP_S: f64 = 253_402_300_799.0;
    let is_base64url = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    if token.is_empty() {
        return Err("token is empty");
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err("token is longer than 16384 bytes");
    }
    if !token.bytes().all(|b| b == b'.' || is_base64url(b)) {
        return Err("token contains a character outside the base64url alphabet");
    }
    match token.split('.').count() {
        3 => {}
        5 if !token.starts_with('.') => return Ok(Reference::Opaque),
        5 => return Err("JWE header segment is empty"),
        _ => return Err("token must have exactly three dot-separated segments"),
    }
    let mut parts = token.split('.');
    let (header_b64, payload_b64) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if header_b64.is_empty() || payload_b64.is_empty() {
        return Err("token header or payload segment is empty");
    }
    if header_b64.len() % 4 == 1 || payload_b64.len() % 4 == 1 {
        return Err("token segment has an impossible base64url length");
    }

    let untrusted = UntrustedToken::<Empty>::try_from(token).map_err(|e| {
        use jwt_compact::ParseError as P;
        match e {
            P::InvalidBase64Encoding => "token segment is not valid base64url",
            P::MalformedHeader(_) => HEADER_ERROR,
            P::UnsupportedContentType(_) => "token content type (cty) is not JSON",
            _ => "token is not a valid JWS",
        }
    })?;
    let claims = untrusted.deserialize_claims_unchecked::<Empty>().map_err(|_| PAYLOAD_ERROR)?;
    let checked_time = |secs: Option<i64>| match secs {
        None => Ok(None),
        Some(s) if (0..=MAX_TIMESTAMP_S as i64).contains(&s) => Ok(Some(s as f64)),
        Some(_) => Err(RANGE_ERROR),
    };
    let times = [
        checked_time(claims.expiration.map(|t| t.timestamp()))?,
        checked_time(claims.issued_at.map(|t| t.timestamp()))?,
        checked_time(claims.not_before.map(|t| t.timestamp()))?,
    ];
    Ok(Reference::Jws { alg: untrusted.algorithm().to_owned(), times })
}

/// Error messages as the comparison sees them. The old decoder said "out of range" or
/// "payload is not …" depending on whether chrono could represent the time (about ±8.2e12 s),
/// an accident of its types; both are the payload's fault.
pub fn error_class(message: &str) -> &str {
    if message == RANGE_ERROR {
        PAYLOAD_ERROR
    } else {
        message
    }
}

/// The registered header parameters jwt-compact type-checked though the client never reads
/// them: `jku`, `kid`, `x5u`, `typ` had to be strings (or null), `x5t` / `x5t#S256` base64url
/// thumbprints of 20 / 32 bytes or more, and none of them could repeat.
pub const UNREAD_HEADER_PARAMETERS: [&str; 6] = ["jku", "kid", "x5u", "x5t", "x5t#S256", "typ"];

/// How the two decoders' verdicts on a token compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agreement {
    Accepted,
    Rejected,
    /// Old: header error for an unread registered parameter; new: as old without it.
    UnreadHeaderParameter,
}

/// Compares the new decoder's verdict on `token` (errors as their messages) with the old one's.
/// They must agree on acceptance, `alg`, the times and the error message, but for two allowances
/// (both in `token.rs`'s policy): [`error_class`], and a header the old decoder rejected only for
/// [`UNREAD_HEADER_PARAMETERS`]. `Err` describes a disagreement.
pub fn compare(token: &str, new: Result<Reference, &str>) -> Result<Agreement, String> {
    let new = new.map_err(error_class);
    let old = inspect(token).map_err(error_class);
    if new == old {
        return Ok(if new.is_ok() { Agreement::Accepted } else { Agreement::Rejected });
    }
    if old == Err(HEADER_ERROR)
        && inspect_without_unread_header_parameters(token).map(|r| r.map_err(error_class)) == Some(new.clone())
    {
        return Ok(Agreement::UnreadHeaderParameter);
    }
    let mut parts = token.split('.');
    let mut text = || {
        use base64ct::{Base64UrlUnpadded, Encoding};
        let bytes = Base64UrlUnpadded::decode_vec(parts.next().unwrap_or("")).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Err(format!("decoders disagree on {token}\nheader  {:?}\npayload {:?}\nnew {new:?}\nold {old:?}", text(), text()))
}

/// The old decoder's verdict on `token` with [`UNREAD_HEADER_PARAMETERS`] taken out of its
/// header (the other members re-serialized, the last of a repeated name kept); `None` if the
/// header is not a JSON object serde_json accepts or has none of them. Where the old decoder
/// rejected a token the scanner accepts, this must equal the scanner's verdict: the one
/// documented policy difference (`token.rs`), as the scanner reads `alg` and `cty` only.
pub fn inspect_without_unread_header_parameters(token: &str) -> Option<Result<Reference, &'static str>> {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let (header_b64, rest) = token.split_once('.')?;
    let header = Base64UrlUnpadded::decode_vec(header_b64).ok()?;
    let mut map = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&header).ok()?;
    if !UNREAD_HEADER_PARAMETERS.iter().any(|name| map.contains_key(*name)) {
        return None;
    }
    for name in UNREAD_HEADER_PARAMETERS {
        map.remove(name);
    }
    let json = serde_json::to_vec(&map).ok()?;
    Some(inspect(&format!("{}.{rest}", Base64UrlUnpadded::encode_string(&json))))
}
