//! A token's text. Its bytes are zeroed when it is dropped, so a token that was replaced, turned
//! away or ended does not stay readable in wasm linear memory (which any script on the page can
//! read) until the allocator happens to reuse the bytes. Every token the manager holds, receives
//! or sends is one of these; clones are zeroed on their own drop.

use std::fmt;
use std::ops::Deref;

use zeroize::Zeroize;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl Deref for Secret {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn never_printed() {
        let s = Secret::from("header.payload.signature");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(s.as_str(), "header.payload.signature");
    }
}
