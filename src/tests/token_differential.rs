//! Differential test: the shipped decoder (`token::inspect` on the `jwt_json` scanner) against
//! the one it replaced (`token_reference`, jwt-compact + serde_json), over generated tokens.
//!
//! They must agree on acceptance, `alg`, `exp`/`iat`/`nbf` and the error message, with two
//! allowances, both documented in `token.rs`'s policy (`token_reference::compare`):
//! - "time claim out of range" and "payload is not … numeric exp/iat/nbf" are one class: the old
//!   decoder chose between them by whether chrono could hold the time (`error_class`);
//! - where the old decoder rejected the header for a registered parameter the client never reads
//!   (`kid: 5`, a 3-byte `x5t`, two `typ`s), the new verdict must equal the old decoder's on the
//!   same token without those parameters (`inspect_without_unread_header_parameters`).
//!
//! Anything else is a bug in the scanner (or in jwt-compact/serde_json: then say so here). The
//! reference reads numbers correctly rounded (serde_json `float_roundtrip`); how the shipped
//! build without it differed is in `token_reference.rs`. Deliberate bugs planted in the scanner
//! (each rounding threshold, the overflow constant, the depth limit, lone surrogates, control
//! characters, extra whitespace, repeated names, a missing fraction digit) all fail these tests.

use base64ct::{Base64UrlUnpadded, Encoding};

use super::token_reference::Agreement;
use crate::core::token::tests::assert_agrees;
use crate::core::token::{inspect, TokenShape};

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }
}

/// Decimal `a + b` of two digit strings.
fn add_decimal(a: &str, b: &str) -> String {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut out = Vec::new();
    let mut carry = 0;
    for i in 0..a.len().max(b.len()) {
        let digit = |s: &[u8]| if i < s.len() { s[s.len() - 1 - i] - b'0' } else { 0 };
        let sum = digit(a) + digit(b) + carry;
        out.push(b'0' + sum % 10);
        carry = sum / 10;
    }
    if carry > 0 {
        out.push(b'0' + carry);
    }
    out.reverse();
    String::from_utf8(out).expect("digits")
}

/// The q decimal digits of 1 - 2^-q (the nines' complement of 5^q, plus one at the end).
fn one_minus_pow2_digits(q: u32) -> String {
    let five = format!("{:0width$}", 5_u128.pow(q), width = q as usize);
    let mut digits: Vec<u8> = five.bytes().map(|d| b'9' - (d - b'0')).collect();
    if let Some(last) = digits.last_mut() {
        *last += 1; // 5^q ends in 5, so no carry
    }
    String::from_utf8(digits).expect("digits")
}

/// Numbers a decoder can get wrong: exact rounding ties, f64's overflow edge, odd spellings.
fn tricky_numbers() -> Vec<String> {
    let mut out: Vec<String> = [
        "0",
        "-0",
        "0.0",
        "-0.0",
        "1e3",
        "1E3",
        "1e+3",
        "1e-3",
        "1.5",
        "-1.5",
        "-0.5",
        "2e9",
        "2E9",
        "0e0",
        "0e999999999999",
        "-0e-5",
        "1e300",
        "1e308",
        "1e309",
        "-1e309",
        "1e-400",
        "-1e-400",
        "1e999999999999999999",
        "1e-999999999999999999",
        "18446744073709551615",
        "18446744073709551616",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "253402300799",
        "253402300800",
        "253402300799.999",
        "253402300799.99998",
        "253402300799.99999",
        "2.53402300799e11",
        "253402300799e0",
        "25340230079900e-2",
        "1e13",
        "8.2e12",
        "-1",
        "-1e-1",
        "-0.9999999999999999",
        "-0.99999999999999999",
        "0.99999999999999999",
        "1999999999.99999999999",
        "1999999999.9999999",
        "1999999999.99999999",
        "2000000000.75",
        "00",
        "01",
        "-",
        "+1",
        "1.",
        ".5",
        "1e",
        "1e+",
        "1.e5",
        "0x10",
        "NaN",
        "Infinity",
        "-Infinity",
        "1_0",
        "1.5.5",
        "1e5e5",
        "--1",
        "- 1",
        "1 2",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    // Halfway between an integer n and the f64 just below it, and a hair either side.
    for n in [1_u64, 2, 3, 4, 5, 8, 1 << 20, 1_000_000_000, 2_000_000_000, 1 << 31, 1 << 32, 1 << 37, 253_402_300_799] {
        let e = 63 - n.leading_zeros();
        let q = if n.is_power_of_two() { 54 - e } else { 53 - e };
        let tie = one_minus_pow2_digits(q);
        let below = format!("{}4999", &tie[..tie.len() - 1]);
        for frac in [tie.clone(), format!("{tie}1"), below] {
            out.push(format!("{}.{frac}", n - 1));
            out.push(format!("-{}.{frac}", n - 1));
        }
    }
    // The least number that rounds to an infinite f64, 2^1024 - 2^970, and around it.
    let max = format!("{:.0}", f64::MAX);
    let overflow = add_decimal(&max, &format!("{:.0}", 2_f64.powi(970)));
    let (head, tail) = overflow.split_at(1);
    out.extend([
        overflow.clone(),
        format!("{overflow}.0"),
        format!("{}1.999", &overflow[..overflow.len() - 1]),
        format!("{}.{}e308", head, tail.trim_end_matches('0')),
        format!("{}.{}4e308", head, &tail[..20]),
        format!("{}.{}e308", head, &tail[..16]),
        format!("{}.{}1e308", head, &tail[..20]),
        format!("0.{overflow}e309"),
        format!("{overflow}e-309"),
        format!("-{overflow}"),
        max.clone(),
        format!("{max}.5"),
        "1.7976931348623157e308".to_owned(),
        "1.7976931348623158e308".to_owned(),
        "1.7976931348623159e308".to_owned(),
    ]);
    out
}

struct Generator {
    rng: Rng,
    tricky: Vec<String>,
    /// Whether this token may get invalid pieces (bad whitespace, escapes, bytes, mutations);
    /// without, most tokens decode and the claims are exercised.
    noisy: bool,
}

/// Member names of a payload, of a header (after its usual `alg`), and of nested objects.
const CLAIM_NAMES: &[&str] = &[
    "exp",
    "iat",
    "nbf",
    "sub",
    "",
    "name",
    r"\u0065xp",
    r"e\u0078p",
    r"\u0069at",
    "EXP",
    "exp ",
    r"nbf\u0000",
    r"iat\/",
    "alg",
];
const HEADER_NAMES: &[&str] =
    &["cty", "kid", "typ", "jku", "x5u", "x5t", "x5t#S256", "a", "exp", "alg", r"\u0061lg", r"c\u0074y"];
const NESTED_NAMES: &[&str] = &["a", "exp", "alg", "", r"\u0065xp"];

impl Generator {
    fn ws(&mut self, out: &mut Vec<u8>) {
        let r = self.rng.below(1000);
        let ws: &[u8] = match r {
            0..=699 => b"",
            700..=899 => b" ",
            900..=994 => self.rng.pick(&[&b"\n"[..], b"\t", b"\r\n  ", b" \t\r\n"]),
            _ if !self.noisy => b"\n",
            _ => self.rng.pick(&[&b"\xc2\xa0"[..], b"\xef\xbb\xbf", b"\x0b", b"\x0c", b"\x00"]),
        };
        out.extend_from_slice(ws);
    }

    fn number(&mut self) -> String {
        let rng = &mut self.rng;
        if rng.chance(if self.noisy { 30 } else { 8 }) {
            return self.tricky[rng.below(self.tricky.len())].clone();
        }
        let mut s = String::new();
        if rng.chance(15) {
            s.push('-');
        }
        match rng.below(4) {
            0 => s.push('0'),
            1 => s.push_str(&format!("{}", 1_000_000_000 + rng.below(1_500_000_000))),
            2 => s.push_str(&format!("{}", 1 + rng.below(9))),
            _ => {
                let n = 1 + rng.below(25);
                s.push(char::from(b'1' + rng.below(9) as u8));
                s.push_str(&rng.digits(n - 1));
            }
        }
        if rng.chance(35) {
            s.push('.');
            match rng.below(3) {
                0 => s.push_str(&"9".repeat(1 + rng.below(30))),
                1 => s.push_str(&"0".repeat(1 + rng.below(30))),
                _ => {
                    let n = 1 + rng.below(30);
                    s.push_str(&rng.digits(n));
                }
            }
        }
        if rng.chance(25) {
            s.push_str(rng.pick(&["e", "E", "e+", "e-", "E-"]));
            match rng.below(3) {
                0 => s.push_str(&format!("{}", rng.below(25))),
                1 => s.push_str(&format!("{}", rng.below(400))),
                _ => s.push_str(&format!("{:03}", rng.below(1000))),
            }
        }
        s
    }

    /// A string's content (without quotes): mostly valid, sometimes each kind of invalid.
    fn string_body(&mut self, out: &mut Vec<u8>) {
        const VALID: &[&[u8]] = &[
            b"abc",
            b"HS256",
            "é".as_bytes(),
            "🦀".as_bytes(),
            "\u{2028}".as_bytes(),
            b"\x7f",
            br"\n",
            br#"\""#,
            br"\\",
            br"\/",
            br"\b",
            br"\f",
            br"\r",
            br"\t",
            br"\u00e9",
            br"\u0000",
            br"\uD83E\uDD80",
            br"\udbff\udfff",
            br"\u004A",
            b" ",
        ];
        const INVALID: &[&[u8]] = &[
            br"\uD800",
            br"\uDC00",
            br"\uD800\u0041",
            br"\uD800\n",
            br"\uD800x",
            br"\uDBFF\uDBFF",
            br"\uZZZZ",
            br"\u12",
            br"\x",
            br"\U0041",
            b"\t",
            b"\n",
            b"\x01",
            b"\xff",
            b"\xc3",
            b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80",
            b"\xc0\xaf",
            b"\xe2\x82",
        ];
        for _ in 0..self.rng.below(4) {
            let piece = if !self.noisy || self.rng.chance(95) { self.rng.pick(VALID) } else { self.rng.pick(INVALID) };
            out.extend_from_slice(piece);
        }
    }

    fn string(&mut self, out: &mut Vec<u8>) {
        out.push(b'"');
        self.string_body(out);
        out.push(b'"');
    }

    /// A chain of containers reaching about serde_json's depth limit from `depth`.
    fn deep(&mut self, out: &mut Vec<u8>, depth: usize) {
        let levels = (crate::core::jwt_json::MAX_DEPTH as usize + self.rng.below(4)).saturating_sub(depth + 1);
        let objects: Vec<bool> = (0..levels).map(|_| self.rng.chance(30)).collect();
        for &object in &objects {
            out.extend_from_slice(if object { b"{\"k\":" } else { b"[" });
        }
        out.extend_from_slice(b"1");
        for &object in objects.iter().rev() {
            out.push(if object { b'}' } else { b']' });
        }
    }

    fn value(&mut self, out: &mut Vec<u8>, depth: usize) {
        self.ws(out);
        match self.rng.below(100) {
            0..=19 => self.string(out),
            20..=44 => out.extend_from_slice(self.number().as_bytes()),
            45..=54 => out.extend_from_slice(self.rng.pick(&[&b"true"[..], b"false", b"null"])),
            55..=56 if self.noisy => {
                out.extend_from_slice(self.rng.pick(&[&b"tru"[..], b"nul", b"True", b"undefined", b"'a'"]))
            }
            57 if self.rng.chance(20) => self.deep(out, depth),
            59..=79 if depth < 6 => {
                out.push(b'[');
                let n = self.rng.below(4);
                for i in 0..n {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.value(out, depth + 1);
                }
                if self.rng.chance(2) {
                    out.push(b',');
                }
                self.ws(out);
                out.push(b']');
            }
            80..=99 if depth < 6 => self.object(out, depth + 1, NESTED_NAMES),
            _ => out.extend_from_slice(b"null"),
        }
        self.ws(out);
    }

    /// A value for a member named `name` (unescaped spelling) of a header or payload.
    fn member_value(&mut self, out: &mut Vec<u8>, name: &str, depth: usize) {
        let known = |n: &str| name == n;
        if (known("exp") || known("iat") || known("nbf")) && self.rng.chance(85) {
            out.extend_from_slice(self.number().as_bytes());
        } else if known("alg") && self.rng.chance(90) {
            out.extend_from_slice(self.rng.pick(&[
                &br#""HS256""#[..],
                br#""none""#,
                br#""""#,
                br#""EdDSA""#,
                br#""H\u0053256""#,
            ]));
        } else if known("cty") && self.rng.chance(80) {
            out.extend_from_slice(self.rng.pick(&[
                &br#""JSON""#[..],
                br#""json""#,
                br#""JsOn""#,
                br#""\u004aSON""#,
                b"null",
                br#""CBOR""#,
                br#""application/json""#,
                br#""jwt""#,
                b"5",
                b"[]",
            ]));
        } else if ["kid", "typ", "jku", "x5u"].iter().any(|n| known(n)) && self.rng.chance(80) {
            out.extend_from_slice(self.rng.pick(&[&br#""k1""#[..], br#""JWT""#, b"null", b"5", b"{}", b"true"]));
        } else if (known("x5t") || known("x5t#S256")) && self.rng.chance(80) {
            let bytes = self.rng.pick(&[3_usize, 19, 20, 21, 31, 32, 33, 40]);
            let raw: Vec<u8> = (0..bytes).map(|_| self.rng.next() as u8).collect();
            let mut b64 = Base64UrlUnpadded::encode_string(&raw);
            if self.rng.chance(20) {
                b64.push('=');
            }
            out.extend_from_slice(format!("\"{b64}\"").as_bytes());
        } else {
            self.value(out, depth);
        }
    }

    /// An object with members named from `names`.
    fn object(&mut self, out: &mut Vec<u8>, depth: usize, names: &[&str]) {
        out.push(b'{');
        let n = self.rng.below(if depth == 1 { 6 } else { 4 });
        for i in 0..n {
            if i > 0 {
                out.push(b',');
            }
            self.ws(out);
            let name = self.rng.pick(names);
            out.push(b'"');
            out.extend_from_slice(name.as_bytes());
            out.push(b'"');
            self.ws(out);
            out.push(b':');
            self.ws(out);
            let unescaped = match name {
                r"\u0065xp" | r"e\u0078p" => "exp",
                r"\u0061lg" => "alg",
                r"c\u0074y" => "cty",
                r"\u0069at" => "iat",
                other => other,
            };
            self.member_value(out, unescaped, depth);
            self.ws(out);
        }
        if n > 0 && self.rng.chance(2) {
            out.push(b',');
        }
        out.push(b'}');
    }

    /// A header or payload text: an object mostly, sometimes another value or damaged bytes.
    fn document(&mut self, header: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if self.noisy && self.rng.chance(3) {
            out.extend_from_slice(b"\xef\xbb\xbf");
        }
        self.ws(&mut out);
        if !self.noisy || self.rng.chance(85) {
            if header && self.rng.chance(90) {
                // Most headers start with a plain alg, so the payload gets exercised.
                out.extend_from_slice(br#"{"alg":"HS256""#);
                let mut rest = b"{}".to_vec();
                if self.rng.chance(60) {
                    rest.clear();
                    self.object(&mut rest, 1, HEADER_NAMES);
                }
                if rest.len() > 2 {
                    out.push(b',');
                }
                out.extend_from_slice(&rest[1..]);
            } else {
                self.object(&mut out, 1, if header { HEADER_NAMES } else { CLAIM_NAMES });
            }
        } else {
            self.value(&mut out, 0);
        }
        self.ws(&mut out);
        if self.noisy && self.rng.chance(30) {
            self.mutate(&mut out);
        }
        out
    }

    fn mutate(&mut self, out: &mut Vec<u8>) {
        const BYTES: &[u8] = b"{}[]\",:\\ 0123456789eE.-+tfnu\x00\x1f\x7f\xff\xc3";
        let at = self.rng.below(out.len() + 1);
        match self.rng.below(6) {
            0 if at < out.len() => {
                out.remove(at);
            }
            1 => out.insert(at, self.rng.pick(BYTES)),
            2 if at < out.len() => out[at] = self.rng.pick(BYTES),
            3 => out.truncate(at),
            4 => {
                let tail = out[at..].to_vec();
                out.extend_from_slice(&tail);
            }
            _ => out.extend_from_slice(self.rng.pick(&[&b"x"[..], b"{}", b" 1", b"\n\x00"])),
        }
    }

    fn token(&mut self) -> String {
        self.noisy = self.rng.chance(40);
        let header = self.document(true);
        let payload = self.document(false);
        let sig_len = self.rng.below(70);
        let sig: Vec<u8> = (0..sig_len).map(|_| self.rng.next() as u8).collect();
        let mut sig = Base64UrlUnpadded::encode_string(&sig);
        if self.noisy && self.rng.chance(5) {
            sig.push('A'); // a length or trailing bits base64url does not allow, now and then
        }
        let mut token = format!(
            "{}.{}.{sig}",
            Base64UrlUnpadded::encode_string(&header),
            Base64UrlUnpadded::encode_string(&payload)
        );
        if self.noisy && self.rng.chance(3) {
            token.push_str(self.rng.pick(&[".x.y", ".", "=", " "]));
        }
        token
    }
}

pub(crate) const GENERATED_TOKENS: usize = 60_000;

#[test]
fn generated_tokens_agree_with_the_reference() {
    let mut generator = Generator { rng: Rng(0x5EED_70C3_2026_1203), tricky: tricky_numbers(), noisy: false };
    let (mut accepted, mut rejected, mut unread, mut timed) = (0, 0, 0, 0);
    for _ in 0..GENERATED_TOKENS {
        let token = generator.token();
        match assert_agrees(&token) {
            Agreement::Accepted => {
                accepted += 1;
                if let Ok(TokenShape::Jws(d)) = inspect(&token) {
                    timed += usize::from(d.times.exp.is_some() || d.times.iat.is_some() || d.times.nbf.is_some());
                }
            }
            Agreement::Rejected => rejected += 1,
            Agreement::UnreadHeaderParameter => unread += 1,
        }
    }
    eprintln!(
        "differential: {GENERATED_TOKENS} generated tokens: {accepted} accepted by both ({timed} with a time claim), \
         {rejected} rejected by both (same message class), {unread} rejected only by jwt-compact for an unread \
         header parameter"
    );
    // The generator must keep reaching every outcome.
    assert!(accepted > GENERATED_TOKENS / 10 && rejected > GENERATED_TOKENS / 10, "{accepted} / {rejected}");
    assert!(timed > GENERATED_TOKENS / 20 && unread > 100, "{timed} / {unread}");
}

#[test]
fn tricky_numbers_agree_as_every_time_claim() {
    let header = Base64UrlUnpadded::encode_string(br#"{"alg":"HS256"}"#);
    let mut count = 0;
    for number in tricky_numbers() {
        for payload in [
            format!(r#"{{"exp":{number}}}"#),
            format!(r#"{{"iat":{number},"nbf":1}}"#),
            format!(r#"{{"other":{number},"nbf":{number}}}"#),
            format!(r#"{{"other":[{number}]}}"#),
        ] {
            assert_agrees(&format!("{header}.{}.c2ln", Base64UrlUnpadded::encode_string(payload.as_bytes())));
            count += 1;
        }
        // And against Rust's own correctly rounded parser, where the number is valid JSON.
        let token = crate::core::token::tests::jws(&format!(r#"{{"exp":{number}}}"#));
        if let (Ok(f), Ok(TokenShape::Jws(d))) = (number.parse::<f64>(), inspect(&token)) {
            assert_eq!(d.times.exp, Some(f.trunc().abs()), "{number}");
        }
    }
    assert!(count > 400);
}

#[test]
fn depth_limit_agrees() {
    for levels in 120..=130 {
        for open in [&b"["[..], b"{\"a\":"] {
            let close: &[u8] = if open == b"[" { b"]" } else { b"}" };
            let mut payload = b"{\"exp\":5,\"x\":".to_vec();
            payload.extend(open.repeat(levels - 1));
            payload.extend_from_slice(b"1");
            payload.extend(close.repeat(levels - 1));
            payload.push(b'}');
            let token = format!(
                "{}.{}.",
                Base64UrlUnpadded::encode_string(br#"{"alg":"none"}"#),
                Base64UrlUnpadded::encode_string(&payload)
            );
            let agreement = assert_agrees(&token);
            let want = if levels <= crate::core::jwt_json::MAX_DEPTH as usize {
                Agreement::Accepted
            } else {
                Agreement::Rejected
            };
            assert_eq!(agreement, want, "{levels} levels");
        }
    }
}
