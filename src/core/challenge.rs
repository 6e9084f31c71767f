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
/// challenges carries one of the two errors. Anything malformed is no challenge.
pub fn parse(header: &str) -> Option<Challenge> {
    if header.len() > MAX_HEADER {
        return None;
    }
    let mut rest = header;
    let mut in_bearer = false;
    let mut found: Option<Challenge> = None;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            break;
        }
        // A token: a scheme name, or a parameter name followed by `=`.
        let end = rest.find(['=', ',', ' ', '\t']).unwrap_or(rest.len());
        let (name, after) = rest.split_at(end);
        if name.is_empty() {
            return found.filter(|c| !c.error.is_empty());
        }
        let after_ws = after.trim_start_matches([' ', '\t']);
        if let Some(value_part) = after_ws.strip_prefix('=') {
            // `token68=` padding or a parameter.
            let value_part = value_part.trim_start_matches([' ', '\t']);
            let (value, tail) = read_value(value_part)?;
            rest = tail;
            if !in_bearer {
                continue;
            }
            let c = found.get_or_insert(Challenge { error: "", acr_values: None, max_age: None, scope: None });
            match name.to_ascii_lowercase().as_str() {
                "error" => {
                    if let Some(e) = ERRORS.iter().find(|e| **e == value) {
                        c.error = e;
                    }
                }
                "acr_values" => c.acr_values = Some(value),
                "max_age" => c.max_age = value.parse().ok(),
                "scope" => c.scope = Some(value),
                _ => {}
            }
        } else {
            // A new challenge: its scheme.
            if found.as_ref().is_some_and(|c| !c.error.is_empty()) {
                break;
            }
            found = None;
            in_bearer = name.eq_ignore_ascii_case("bearer") || name.eq_ignore_ascii_case("dpop");
            rest = after;
        }
    }
    found.filter(|c| !c.error.is_empty())
}

/// A parameter value (token or quoted string) and what follows it.
fn read_value(s: &str) -> Option<(String, &str)> {
    if let Some(q) = s.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = q.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return Some((out, &q[i + 1..])),
                '\\' => out.push(chars.next()?.1),
                c if c.is_control() => return None,
                c => out.push(c),
            }
        }
        None // unterminated
    } else {
        let end = s.find([',', ' ', '\t']).unwrap_or(s.len());
        Some((s[..end].to_owned(), &s[end..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(error: &'static str, acr: Option<&str>, max_age: Option<u64>, scope: Option<&str>) -> Option<Challenge> {
        Some(Challenge { error, acr_values: acr.map(Into::into), max_age, scope: scope.map(Into::into) })
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
