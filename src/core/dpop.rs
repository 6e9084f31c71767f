//! DPoP (RFC 9449) decisions: the proof's `htu`, whether a response is a nonce challenge, the
//! token type, and the per-origin nonce memory. The key and the signing live in JS
//! (`js/dpop.js`: WebCrypto, non-extractable); nothing secret passes through here.

/// The `htu` of a proof: the request URL without query and fragment (RFC 9449 §4.2).
pub fn htu(url: &str) -> &str {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    &url[..end]
}

/// The origin of an absolute `http(s)` URL (scheme + host + port), for per-origin nonces.
pub fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..].find(['/', '?', '#']).map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

/// Does this token response's `token_type` bind the token to our key (`DPoP`, any case)?
pub fn is_dpop_token_type(token_type: Option<&str>) -> bool {
    token_type.is_some_and(|t| t.eq_ignore_ascii_case("DPoP"))
}

/// A resource server's `WWW-Authenticate` asking for a nonce (RFC 9449 §9):
/// `DPoP error="use_dpop_nonce"` (parameters in any order, case-insensitive scheme).
pub fn is_nonce_challenge(www_authenticate: &str) -> bool {
    let lower = www_authenticate.to_ascii_lowercase();
    lower.trim_start().starts_with("dpop") && lower.contains("use_dpop_nonce")
}

/// Retry once with the server's nonce? Only for a challenge (a token endpoint's 400
/// `use_dpop_nonce`, or a resource's 401 nonce challenge), not after a retry already, and only
/// when the server gave a nonce to retry with.
pub fn retry_with_nonce(challenged: bool, already_retried: bool, nonce_known: bool) -> bool {
    challenged && !already_retried && nonce_known
}

/// The last nonce each origin gave (`DPoP-Nonce` on any response).
#[derive(Debug, Default)]
pub struct Nonces(Vec<(String, String)>);

impl Nonces {
    pub fn get(&self, url: &str) -> Option<&str> {
        let o = origin(url);
        self.0.iter().find(|(k, _)| k == o).map(|(_, v)| v.as_str())
    }

    /// Remember `nonce` for the origin of `url`; `true` when it is new.
    pub fn set(&mut self, url: &str, nonce: &str) -> bool {
        let o = origin(url);
        match self.0.iter_mut().find(|(k, _)| k == o) {
            Some((_, v)) if v == nonce => false,
            Some((_, v)) => {
                *v = nonce.to_owned();
                true
            }
            None => {
                self.0.push((o.to_owned(), nonce.to_owned()));
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn htu_and_origin_table() {
        let cases: &[(&str, &str, &str)] = &[
            ("https://api.example.com/res?x=1#f", "https://api.example.com/res", "https://api.example.com"),
            ("http://127.0.0.1:8787/auth/refresh", "http://127.0.0.1:8787/auth/refresh", "http://127.0.0.1:8787"),
            ("https://a.example/#frag", "https://a.example/", "https://a.example"),
            ("https://a.example?q", "https://a.example", "https://a.example"),
            // A host shorter than its scheme: the path starts before twice the scheme's length.
            ("http://a.b/c?d", "http://a.b/c", "http://a.b"),
        ];
        for (url, want_htu, want_origin) in cases {
            assert_eq!(htu(url), *want_htu, "{url}");
            assert_eq!(origin(url), *want_origin, "{url}");
        }
    }

    #[test]
    fn token_types_and_challenges() {
        assert!(is_dpop_token_type(Some("DPoP")) && is_dpop_token_type(Some("dpop")));
        assert!(!is_dpop_token_type(Some("Bearer")) && !is_dpop_token_type(None));
        assert!(is_nonce_challenge(
            r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#
        ));
        assert!(is_nonce_challenge(r#"dpop algs="ES256", error="use_dpop_nonce""#));
        assert!(!is_nonce_challenge(r#"DPoP error="invalid_dpop_proof""#));
        assert!(!is_nonce_challenge(r#"Bearer error="use_dpop_nonce""#), "only a DPoP challenge");
    }

    #[test]
    fn nonce_retry_table() {
        // (challenged, already retried, nonce known, retry?)
        for (c, r, n, want) in [
            (true, false, true, true),
            (true, true, true, false),
            (true, false, false, false),
            (false, false, true, false),
        ] {
            assert_eq!(retry_with_nonce(c, r, n), want, "{c} {r} {n}");
        }
    }

    #[test]
    fn nonces_are_per_origin() {
        let mut n = Nonces::default();
        assert_eq!(n.get("https://a.example/x"), None);
        assert!(n.set("https://a.example/x?y", "n1"));
        assert!(!n.set("https://a.example/other", "n1"), "same nonce: not new");
        assert_eq!(n.get("https://a.example/z"), Some("n1"));
        assert_eq!(n.get("https://b.example/z"), None, "another origin");
        assert!(n.set("https://a.example/", "n2"));
        assert_eq!(n.get("https://a.example/"), Some("n2"));
    }
}
