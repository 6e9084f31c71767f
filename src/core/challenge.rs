//! Step-up challenges: a resource server's `WWW-Authenticate` answer that asks for a stronger
//! authentication (RFC 9470 `insufficient_user_authentication`, with `acr_values` and
//! `max_age`) or for more scope (RFC 6750 §3.1 `insufficient_scope`). Such a 401 or 403 is not
//! an expired token: a refresh would get the same answer.

/// What a step-up challenge asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// `insufficient_user_authentication` or `insufficient_scope`.
    pub error: &'static str,
    /// RFC 9470 `acr_values` (space-separated, as given).
    pub acr_values: Option<String>,
    /// RFC 9470 `max_age`, seconds.
    pub max_age: Option<u64>,
    /// RFC 6750 `scope` (space-separated, as given).
    pub scope: Option<String>,
}

const ERRORS: [&str; 2] = ["insufficient_user_authentication", "insufficient_scope"];
/// A header longer than this is not read (a hostile server's megabyte of commas).
const MAX_HEADER: usize = 4096;

/// The step-up challenge in a `WWW-Authenticate` value, if one of its `Bearer` or `DPoP`
/// challenges carries one of the two errors. Anything malformed is no challenge. (Bytes, not
/// chars: every delimiter is ASCII, and no allocation is made for what is skipped.)
pub fn parse(header: &str) -> Option<Challenge> {
    let b = header.as_bytes();
    if b.len() > MAX_HEADER {
        return None;
    }
    let skip = |mut i: usize, also_comma: bool| {
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t' || (also_comma && b[i] == b',')) {
            i += 1;
        }
        i
    };
    let mut c = Challenge { error: "", acr_values: None, max_age: None, scope: None };
    let mut bearer = false;
    let mut i = skip(0, true);
    while i < b.len() {
        let start = i;
        while i < b.len() && !matches!(b[i], b' ' | b'\t' | b',' | b'=') {
            i += 1;
        }
        let name = &header[start..i];
        let j = skip(i, false);
        if j < b.len() && b[j] == b'=' {
            // A parameter (or a token68's padding: no name).
            if name.is_empty() {
                return None;
            }
            let (value, next) = read_value(header, skip(j + 1, false))?;
            i = next;
            if !bearer {
            } else if name.eq_ignore_ascii_case("error") {
                c.error = ERRORS.into_iter().find(|e| *e == value).unwrap_or("");
            } else if name.eq_ignore_ascii_case("acr_values") {
                c.acr_values = Some(value);
            } else if name.eq_ignore_ascii_case("max_age") {
                c.max_age = whole_number(&value);
            } else if name.eq_ignore_ascii_case("scope") {
                c.scope = Some(value);
            }
        } else {
            // A new challenge: its scheme.
            if !c.error.is_empty() {
                break;
            }
            c = Challenge { error: "", acr_values: None, max_age: None, scope: None };
            bearer = name.eq_ignore_ascii_case("bearer") || name.eq_ignore_ascii_case("dpop");
            i = j;
        }
        i = skip(i, true);
    }
    (!c.error.is_empty()).then_some(c)
}

/// A parameter value at `i` (a token, or a quoted string unescaped) and where it ends.
fn read_value(h: &str, i: usize) -> Option<(String, usize)> {
    let b = h.as_bytes();
    if b.get(i) != Some(&b'"') {
        let mut end = i;
        while end < b.len() && !matches!(b[end], b' ' | b'\t' | b',') {
            end += 1;
        }
        return Some((h[i..end].to_owned(), end));
    }
    let mut out = String::new();
    let mut k = i + 1;
    let mut from = k;
    loop {
        match *b.get(k)? {
            b'"' => {
                out.push_str(&h[from..k]);
                return Some((out, k + 1));
            }
            b'\\' => {
                out.push_str(&h[from..k]);
                let escaped = h.get(k + 1..)?.chars().next()?;
                out.push(escaped);
                k += 1 + escaped.len_utf8();
                from = k;
            }
            x if x < 0x20 || x == 0x7f => return None,
            _ => k += 1,
        }
    }
}

/// `max_age`: decimal digits only, at most 10 of them.
fn whole_number(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|d| d.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0, |n, d| n * 10 + u64::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(error: &'static str, acr: Option<&str>, max_age: Option<u64>, scope: Option<&str>) -> Option<Challenge> {
        Some(Challenge { error, acr_values: acr.map(Into::into), max_age, scope: scope.map(Into::into) })
    }

    #[test]
    fn a_header_of_the_longest_length_read_is_read_and_one_byte_more_is_not() {
        let challenge = r#"Bearer error="insufficient_scope", scope="x""#;
        let padded = |len: usize| format!("{}{challenge}", " ".repeat(len - challenge.len()));
        assert_eq!(parse(&padded(MAX_HEADER)), c("insufficient_scope", None, None, Some("x")));
        assert_eq!(parse(&padded(MAX_HEADER + 1)), None);
    }

    #[test]
    fn max_age_takes_up_to_ten_digits() {
        let with = |v: &str| parse(&format!(r#"Bearer error="insufficient_user_authentication", max_age="{v}""#));
        assert_eq!(with("9999999999"), c("insufficient_user_authentication", None, Some(9_999_999_999), None));
        assert_eq!(with("10000000000"), c("insufficient_user_authentication", None, None, None));
    }

    #[test]
    fn table() {
        let ua = "insufficient_user_authentication";
        let cases: &[(&str, Option<Challenge>)] = &[
            // RFC 9470 §3 examples.
            (
                r#"Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="myACR""#,
                c(ua, Some("myACR"), None, None),
            ),
            (
                r#"Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="5""#,
                c(ua, None, Some(5), None),
            ),
            (
                r#"Bearer error="insufficient_user_authentication", acr_values="mfa", max_age=300"#,
                c(ua, Some("mfa"), Some(300), None),
            ),
            // RFC 6750 §3.
            (
                r#"Bearer realm="example", error="insufficient_scope", scope="admin read""#,
                c("insufficient_scope", None, None, Some("admin read")),
            ),
            (r#"DPoP error="insufficient_user_authentication", algs="ES256""#, c(ua, None, None, None)),
            (r#"bearer ERROR="insufficient_user_authentication""#, c(ua, None, None, None)),
            // A second challenge carries it.
            (
                r#"Basic realm="x", Bearer error="insufficient_user_authentication", acr_values="mfa""#,
                c(ua, Some("mfa"), None, None),
            ),
            (
                r#"Bearer error="insufficient_user_authentication", acr_values="m\"fa""#,
                c(ua, Some("m\"fa"), None, None),
            ),
            // Not step-up: an expired token, other errors, other schemes, nothing.
            (r#"Bearer error="invalid_token", error_description="The access token expired""#, None),
            (r#"Bearer realm="api""#, None),
            ("Bearer", None),
            ("", None),
            (r#"Basic error="insufficient_user_authentication""#, None),
            (r#"Bearer error="insufficient_user_authentication_x""#, None),
            // Hostile or malformed.
            (r#"Bearer error="insufficient_user_authentication"#, None),
            ("Bearer error=\"insufficient_user_authentication\", acr_values=\"a\u{7}b\"", None),
            (",,,,, = ,,=,", None),
            (
                "Bearer error=\"insufficient_scope\", scope=\"é\\ü z\"",
                c("insufficient_scope", None, None, Some("éü z")),
            ),
            ("Bearer é=ü, error=insufficient_scope, \u{1F600}", c("insufficient_scope", None, None, None)),
            ("Bearer error=\"insufficient_scope\", scope=\"abc\\", None),
            ("=====", None),
            (r#"Bearer error="insufficient_user_authentication", max_age="-1""#, c(ua, None, None, None)),
            (
                r#"Bearer error="insufficient_user_authentication", max_age=99999999999999999999999"#,
                c(ua, None, None, None),
            ),
        ];
        for (header, want) in cases {
            assert_eq!(&parse(header), want, "{header}");
        }
        let long = format!(r#"Bearer error="insufficient_scope", x="{}""#, "a".repeat(5000));
        assert_eq!(parse(&long), None);
        let many_commas = format!("Bearer {} error=insufficient_scope", ",".repeat(3000));
        assert_eq!(parse(&many_commas).map(|c| c.error), Some("insufficient_scope"));
    }
}
