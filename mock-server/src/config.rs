//! Command-line configuration (`mock-server --help`).

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    /// Access token lifetime, seconds.
    pub access_ttl: u64,
    /// Lifetime of a refresh-token family, seconds: from login (`Absolute`), or from its last
    /// rotation (`Sliding`).
    pub refresh_ttl: u64,
    pub refresh_model: RefreshModel,
    /// Seconds during which the immediate predecessor of the current refresh token is still
    /// accepted (and answered with the current one) instead of revoking the family.
    pub reuse_grace: u64,
    pub allow_origins: Vec<String>,
    pub static_dir: Option<PathBuf>,
    pub pkg_dir: Option<PathBuf>,
    pub users: Vec<(String, String)>,
    pub test_controls: bool,
    /// DPoP (RFC 9449): login and refresh need a proof, tokens are bound to its key.
    pub dpop: bool,
    /// With DPoP: demand server nonces, a new one every this many seconds (implies `dpop`).
    pub dpop_nonce: Option<u64>,
    /// Deliberate server mistakes (`--misconfig NAME`, repeatable; see [`MISCONFIGS`]), so that
    /// each check of `wasm-token-manager doctor` can be shown to fail. Empty by default.
    pub misconfig: Vec<String>,
}

/// The misconfiguration switches (`--misconfig NAME`, `{"misconfig": [...]}` in
/// `/__test/config`): each one a mistake real servers make, with what it changes.
pub const MISCONFIGS: &[(&str, &str)] = &[
    ("no-httponly", "the refresh cookie without HttpOnly"),
    ("samesite-none-insecure", "the refresh cookie SameSite=None without Secure"),
    ("narrow-path", "the refresh cookie's Path=/auth/refresh (misses /auth/logout)"),
    ("no-max-age", "the refresh cookie without Max-Age (a session cookie)"),
    ("max-age-of-access-token", "the refresh cookie's Max-Age (and refresh_expires_in) = the access token's lifetime"),
    ("refresh-expires-in-mismatch", "refresh_expires_in half the cookie's Max-Age"),
    ("no-rotation", "refresh answers without rotating (no Set-Cookie)"),
    ("no-reuse-detection", "a replayed old refresh token is refused but its family stays live"),
    ("no-grace", "no grace window: the predecessor is reuse at once"),
    ("grace-without-cookie", "a grace-window hit is answered without the Set-Cookie of the current token"),
    ("no-csrf", "refresh and logout skip the CSRF header and Origin check"),
    ("cors-wildcard", "Access-Control-Allow-Origin: * instead of the origin"),
    ("cors-reflect-origin", "any Origin reflected in Access-Control-Allow-Origin, with credentials"),
    ("no-vary", "no Vary header on CORS answers"),
    ("no-cors-on-401", "no CORS headers on 401 answers"),
    ("no-store-missing", "token answers without Cache-Control: no-store"),
    ("expires-in-mismatch", "expires_in 600 s longer than the JWT's exp - iat"),
    ("logout-cookie-mismatch", "logout deletes the cookie with Path=/ (not Path=/auth)"),
    ("logout-no-revoke", "logout clears the cookie but does not revoke the refresh token"),
    ("api-403-on-expired", "the API answers an invalid or expired token with 403 (no WWW-Authenticate)"),
];

/// A known misconfiguration name, or an error listing them.
pub fn misconfig_name(v: &str) -> Result<String, String> {
    if MISCONFIGS.iter().any(|(n, _)| *n == v) {
        Ok(v.to_owned())
    } else {
        let names: Vec<&str> = MISCONFIGS.iter().map(|(n, _)| *n).collect();
        Err(format!("--misconfig: {v:?} is not one of {}", names.join(", ")))
    }
}

/// Whether a rotation moves a refresh family's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RefreshModel {
    /// The family ends `refresh_ttl` after login; rotation never extends it.
    #[default]
    Absolute,
    /// Each rotation moves the family's end to now + `refresh_ttl`.
    Sliding,
}

impl RefreshModel {
    pub fn parse(v: &str) -> Option<Self> {
        match v {
            "absolute" => Some(Self::Absolute),
            "sliding" => Some(Self::Sliding),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Absolute => "absolute",
            Self::Sliding => "sliding",
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8787)),
            access_ttl: 300,
            refresh_ttl: 15_552_000,
            refresh_model: RefreshModel::Absolute,
            reuse_grace: 10,
            allow_origins: Vec::new(),
            static_dir: None,
            pkg_dir: None,
            users: vec![("demo".into(), "demo".into())],
            test_controls: false,
            dpop: false,
            dpop_nonce: None,
            misconfig: Vec::new(),
        }
    }
}

pub const USAGE: &str = "\
usage: mock-server [--addr 127.0.0.1:8787] [--access-ttl 300] [--refresh-ttl 15552000]
                   [--refresh-model absolute|sliding] [--reuse-grace 10]
                   [--allow-origin ORIGIN]... [--static DIR] [--pkg DIR] [--user NAME:PASSWORD]...
                   [--test-controls] [--dpop] [--dpop-nonce SECONDS] [--misconfig NAME]...

  --addr           address to listen on (port 0 = any free port)
  --access-ttl     access token lifetime in seconds (>= 1)
  --refresh-ttl    refresh token family lifetime in seconds (>= 1); token responses carry
                   what is left of it as refresh_expires_in
  --refresh-model  absolute (default): a family ends refresh-ttl after login, rotation never
                   extends it; sliding: each rotation moves its end to now + refresh-ttl
  --reuse-grace    seconds during which the previous refresh token is still accepted
  --allow-origin   an exact origin allowed by CORS and the refresh/logout Origin check
                   (repeatable; e.g. http://127.0.0.1:8000)
  --static DIR     serve DIR at /
  --pkg DIR        serve DIR at /pkg/
  --user N:P       a user (repeatable; default demo:demo)
  --test-controls  enable /__test/* (fault injection, counters, reset, clock shift)
  --dpop           DPoP (RFC 9449): login and refresh need an ES256 proof, access tokens and
                   the refresh-token family are bound to its key (token_type DPoP)
  --dpop-nonce S   with DPoP, demand server nonces (DPoP-Nonce), a new one every S seconds;
                   the current and the previous one are accepted (implies --dpop)
  --misconfig NAME a deliberate server mistake, for `wasm-token-manager doctor` (repeatable):
                   no-httponly, samesite-none-insecure, narrow-path, no-max-age,
                   max-age-of-access-token, refresh-expires-in-mismatch, no-rotation,
                   no-reuse-detection, no-grace, grace-without-cookie, no-csrf, cors-wildcard,
                   cors-reflect-origin, no-vary, no-cors-on-401, no-store-missing,
                   expires-in-mismatch, logout-cookie-mismatch, logout-no-revoke,
                   api-403-on-expired (mock-server/README.md)";

/// Parse command-line arguments (without the program name).
pub fn parse_args<I: IntoIterator<Item = String>>(args: I) -> Result<Config, String> {
    let mut cfg = Config::default();
    let mut users = Vec::new();
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (flag.clone(), None),
        };
        let mut value = |what: &str| -> Result<String, String> {
            inline.clone().or_else(|| args.next()).ok_or_else(|| format!("{name} needs a value ({what})"))
        };
        match name.as_str() {
            "--addr" => {
                let v = value("HOST:PORT")?;
                cfg.addr = v.parse().map_err(|_| format!("--addr: {v:?} is not an address like 127.0.0.1:8787"))?;
            }
            "--access-ttl" => cfg.access_ttl = seconds(&name, &value("seconds")?)?,
            "--refresh-ttl" => cfg.refresh_ttl = seconds(&name, &value("seconds")?)?,
            "--refresh-model" => {
                let v = value("absolute|sliding")?;
                cfg.refresh_model = RefreshModel::parse(&v)
                    .ok_or_else(|| format!("--refresh-model: {v:?} is not absolute or sliding"))?;
            }
            "--reuse-grace" => {
                let v = value("seconds")?;
                cfg.reuse_grace =
                    v.parse().map_err(|_| format!("--reuse-grace: {v:?} is not a whole number of seconds"))?;
            }
            "--allow-origin" => cfg.allow_origins.push(origin(&value("ORIGIN")?)?),
            "--static" => cfg.static_dir = Some(dir(&name, value("DIR")?)?),
            "--pkg" => cfg.pkg_dir = Some(dir(&name, value("DIR")?)?),
            "--user" => {
                let v = value("NAME:PASSWORD")?;
                match v.split_once(':') {
                    Some((u, p)) if !u.is_empty() && !p.is_empty() => users.push((u.to_owned(), p.to_owned())),
                    _ => return Err(format!("--user: {v:?} is not NAME:PASSWORD")),
                }
            }
            "--test-controls" => cfg.test_controls = true,
            "--dpop" => cfg.dpop = true,
            "--dpop-nonce" => {
                cfg.dpop_nonce = Some(seconds(&name, &value("seconds")?)?);
                cfg.dpop = true;
            }
            "--misconfig" => {
                let v = misconfig_name(&value("NAME")?)?;
                if !cfg.misconfig.contains(&v) {
                    cfg.misconfig.push(v);
                }
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if !users.is_empty() {
        cfg.users = users;
    }
    Ok(cfg)
}

fn seconds(name: &str, v: &str) -> Result<u64, String> {
    match v.parse::<u64>() {
        Ok(n) if (1..=10 * 365 * 86_400).contains(&n) => Ok(n),
        _ => Err(format!("{name}: {v:?} is not a whole number of seconds between 1 and 315360000")),
    }
}

fn dir(name: &str, v: String) -> Result<PathBuf, String> {
    let p = PathBuf::from(&v);
    if p.is_dir() {
        Ok(p)
    } else {
        Err(format!("{name}: {v:?} is not a directory"))
    }
}

/// Accept `scheme://host[:port]` only (no path, no trailing slash), lower-cased.
fn origin(v: &str) -> Result<String, String> {
    let lower = v.to_ascii_lowercase();
    let ok = (lower.starts_with("http://") || lower.starts_with("https://"))
        && lower
            .split_once("://")
            .is_some_and(|(_, rest)| !rest.is_empty() && !rest.contains('/') && !rest.contains('*'));
    if ok {
        Ok(lower)
    } else {
        Err(format!("--allow-origin: {v:?} is not an exact origin like http://127.0.0.1:8000"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Config, String> {
        parse_args(s.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn flags() {
        let c = parse("--addr 127.0.0.1:0 --access-ttl 3 --refresh-ttl 60 --reuse-grace 0 --allow-origin http://127.0.0.1:8000 --user a:b --user c:d --test-controls").expect("ok");
        assert_eq!(c.addr.port(), 0);
        assert_eq!((c.access_ttl, c.refresh_ttl, c.reuse_grace), (3, 60, 0));
        assert_eq!(c.allow_origins, vec!["http://127.0.0.1:8000"]);
        assert_eq!(c.users.len(), 2);
        assert!(c.test_controls);
        assert!(!c.dpop && c.dpop_nonce.is_none(), "DPoP is off by default");
        assert!(parse("--dpop").expect("ok").dpop);
        let n = parse("--dpop-nonce 30").expect("ok");
        assert_eq!((n.dpop, n.dpop_nonce), (true, Some(30)), "--dpop-nonce implies --dpop");
        assert_eq!(parse("--access-ttl=7").expect("ok").access_ttl, 7);
        assert_eq!(c.refresh_model, RefreshModel::Absolute, "absolute by default");
        assert_eq!(parse("--refresh-model sliding").expect("ok").refresh_model, RefreshModel::Sliding);
        assert_eq!(parse("--refresh-model=absolute").expect("ok").refresh_model, RefreshModel::Absolute);
        assert_eq!(parse("").expect("ok").users, vec![("demo".to_owned(), "demo".to_owned())]);
        assert!(c.misconfig.is_empty(), "no misconfiguration by default");
        assert_eq!(
            parse("--misconfig no-csrf --misconfig=no-vary --misconfig no-csrf").expect("ok").misconfig,
            vec!["no-csrf", "no-vary"]
        );
    }

    #[test]
    fn usage_lists_every_misconfig() {
        for (name, _) in MISCONFIGS {
            assert!(USAGE.contains(name), "{name} missing from USAGE");
        }
    }

    #[test]
    fn bad_flags_are_clear_errors() {
        for (args, want) in [
            ("--addr nope", "not an address"),
            ("--access-ttl 0", "between 1"),
            ("--access-ttl -5", "between 1"),
            ("--access-ttl", "needs a value"),
            ("--reuse-grace x", "whole number"),
            ("--allow-origin http://a.com/", "exact origin"),
            ("--allow-origin *", "exact origin"),
            ("--user nocolon", "NAME:PASSWORD"),
            ("--static /definitely/not/here", "not a directory"),
            ("--bogus", "unknown argument"),
            ("--dpop-nonce 0", "between 1"),
            ("--dpop-nonce", "needs a value"),
            ("--refresh-model rolling", "absolute or sliding"),
            ("--refresh-model", "needs a value"),
            ("--misconfig no-such-thing", "is not one of"),
            ("--misconfig", "needs a value"),
        ] {
            let err = parse(args).expect_err(args);
            assert!(err.contains(want), "{args}: {err}");
        }
    }
}
