//! Random identifiers: refresh tokens, `jti`s, key ids (256 bits from the OS, base64url).

use base64ct::{Base64UrlUnpadded, Encoding};
use rand::RngCore;

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    Base64UrlUnpadded::encode_string(&bytes)
}
