//! A strict scanner for the two JSON objects of a JWS (header and claims). It checks that the
//! whole text is one JSON object and keeps only the members the decoder asks for, so the wasm
//! carries no serde_json (26.5 KB gzip, benches/SIZE.md).
//!
//! It accepts what serde_json 1 (the previous decoder, kept as the test reference in
//! `src/tests/token_reference.rs`) accepts for an object:
//! - UTF-8 only; no byte order mark; whitespace is space, tab, LF, CR; nothing after the object;
//! - strings: no raw control characters (below U+0020); escapes `\" \\ \/ \b \f \n \r \t
//!   \uXXXX`; a `\u` surrogate must be a high one followed at once by a `\u` low one;
//! - numbers: `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`; a number whose f64 would be
//!   infinite (at least 2^1024 - 2^970) is an error, as in serde_json;
//! - at most [`MAX_DEPTH`] nested arrays and objects, the outer object included;
//! - names are compared after unescaping (`"\u0065xp"` is `exp`); a name the caller asks for
//!   may appear once only.
//!
//! A number is read as the correctly rounded f64 that `JSON.parse` gives (exactly, with integer
//! arithmetic on its digits: no float parsing is linked), then truncated toward zero.

/// The input is not one JSON object, or repeats a name the caller asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected;

/// A member the caller asked for, as far as the decoder cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    Str(String),
    /// A number truncated toward zero to an integer, when its magnitude is below 10^12
    /// (`None`: too large for any timestamp).
    Number(Option<i64>),
    Null,
    /// `true`, `false`, an array or an object.
    Other,
}

/// serde_json's recursion limit (128, failing when the count reaches 0) allows 127 levels.
pub const MAX_DEPTH: u32 = 127;

/// The least decimal that rounds to an infinite f64: 2^1024 - 2^970 (ties go to infinity).
const F64_OVERFLOW: &[u8; 309] = b"179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792";

/// Validates `json` as one JSON object and returns its members named `names` (`None` if absent).
pub fn object_members<const N: usize>(json: &[u8], names: [&str; N]) -> Result<[Option<Member>; N], Rejected> {
    let mut found = core::array::from_fn(|_| None);
    scan_object(json, &names, &mut found)?;
    Ok(found)
}

fn scan_object(json: &[u8], names: &[&str], found: &mut [Option<Member>]) -> Result<(), Rejected> {
    let text = core::str::from_utf8(json).map_err(|_| Rejected)?;
    let mut s = Scanner { text, pos: 0 };
    s.ws();
    s.expect(b'{')?;
    s.members(&mut |s, name| match names.iter().position(|n| *n == name) {
        Some(i) if found[i].is_some() => Err(Rejected),
        Some(i) => {
            found[i] = Some(s.member()?);
            Ok(())
        }
        None => s.value(1),
    })?;
    s.ws();
    if s.pos == json.len() {
        Ok(())
    } else {
        Err(Rejected)
    }
}

type OnMember<'f, 'a> = dyn FnMut(&mut Scanner<'a>, &str) -> Result<(), Rejected> + 'f;

struct Scanner<'a> {
    /// Valid UTF-8, so every slice between ASCII bytes is a `str`.
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        self.pos += usize::from(hit);
        hit
    }

    fn expect(&mut self, b: u8) -> Result<(), Rejected> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(Rejected)
        }
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Any JSON value, checked and skipped; `depth` counts the containers around it.
    fn value(&mut self, depth: u32) -> Result<(), Rejected> {
        self.ws();
        match self.peek() {
            Some(b'{' | b'[') if depth >= MAX_DEPTH => Err(Rejected),
            Some(b'{') => {
                self.pos += 1;
                self.members(&mut |s, _| s.value(depth + 1))
            }
            Some(b'[') => {
                self.pos += 1;
                self.ws();
                if self.eat(b']') {
                    return Ok(());
                }
                loop {
                    self.value(depth + 1)?;
                    self.ws();
                    if !self.eat(b',') {
                        return self.expect(b']');
                    }
                }
            }
            Some(b'"') => {
                self.pos += 1;
                self.string().map(drop)
            }
            Some(b'-' | b'0'..=b'9') => self.number().map(drop),
            _ => self.literal(),
        }
    }

    /// The value of a member the caller asked for (at the outer object's level).
    fn member(&mut self) -> Result<Member, Rejected> {
        self.ws();
        match self.peek() {
            Some(b'"') => {
                self.pos += 1;
                self.string().map(Member::Str)
            }
            Some(b'-' | b'0'..=b'9') => self.number().map(Member::Number),
            Some(b'n') => self.literal().map(|()| Member::Null),
            _ => self.value(1).map(|()| Member::Other),
        }
    }

    /// The members of an object whose `{` was just read, each name handed to `on_member`,
    /// which must read the value.
    fn members(&mut self, on_member: &mut OnMember<'_, 'a>) -> Result<(), Rejected> {
        self.ws();
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            self.ws();
            self.expect(b'"')?;
            let name = self.string()?;
            self.ws();
            self.expect(b':')?;
            on_member(self, &name)?;
            self.ws();
            if !self.eat(b',') {
                return self.expect(b'}');
            }
        }
    }

    /// `true`, `false` or `null` (a caller that peeked `n` knows it was `null`).
    fn literal(&mut self) -> Result<(), Rejected> {
        let rest = self.text.as_bytes().get(self.pos..).unwrap_or_default();
        for word in [&b"true"[..], b"false", b"null"] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return Ok(());
            }
        }
        Err(Rejected)
    }

    /// A string whose opening quote was just read, unescaped.
    fn string(&mut self) -> Result<String, Rejected> {
        let mut out = String::new();
        loop {
            let start = self.pos;
            while matches!(self.peek(), Some(b) if b != b'"' && b != b'\\' && b >= 0x20) {
                self.pos += 1;
            }
            out.push_str(self.text.get(start..self.pos).ok_or(Rejected)?);
            match self.next() {
                Some(b'"') => return Ok(out),
                Some(b'\\') => out.push(self.escape()?),
                _ => return Err(Rejected), // a control character, or the end of the input
            }
        }
    }

    /// The character of an escape whose backslash was just read.
    fn escape(&mut self) -> Result<char, Rejected> {
        let c = match self.next().ok_or(Rejected)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4()?;
                let code = match unit {
                    0xD800..=0xDBFF => {
                        if !(self.eat(b'\\') && self.eat(b'u')) {
                            return Err(Rejected);
                        }
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(Rejected);
                        }
                        0x1_0000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    }
                    _ => unit, // a lone low surrogate fails in from_u32
                };
                return char::from_u32(code).ok_or(Rejected);
            }
            _ => return Err(Rejected),
        };
        Ok(c)
    }

    fn hex4(&mut self) -> Result<u32, Rejected> {
        let mut n = 0;
        for _ in 0..4 {
            let digit = char::from(self.next().ok_or(Rejected)?).to_digit(16).ok_or(Rejected)?;
            n = n * 16 + digit;
        }
        Ok(n)
    }

    /// Consumes ASCII digits; returns how many.
    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A number: its grammar checked, its value truncated toward zero if below 10^12 in
    /// magnitude. An error if its f64 would be infinite.
    fn number(&mut self) -> Result<Option<i64>, Rejected> {
        let negative = self.eat(b'-');
        let start = self.pos;
        match self.next() {
            Some(b'0') => {}
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(Rejected),
        }
        let int_len = self.pos - start;
        let mut frac_len = 0;
        if self.eat(b'.') {
            frac_len = self.digits();
            if frac_len == 0 {
                return Err(Rejected);
            }
        }
        let mut exp: i64 = 0;
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            let exp_negative = self.eat(b'-');
            if !exp_negative {
                self.eat(b'+');
            }
            let exp_start = self.pos;
            while let Some(d @ b'0'..=b'9') = self.peek() {
                // Saturates far beyond any digit count, where the outcome no longer changes.
                exp = (exp * 10 + i64::from(d - b'0')).min(1 << 40);
                self.pos += 1;
            }
            if self.pos == exp_start {
                return Err(Rejected);
            }
            if exp_negative {
                exp = -exp;
            }
        }
        let digits = Digits { text: self.text.as_bytes(), start, int_len, len: int_len + frac_len };
        let magnitude = digits.truncated(exp)?;
        Ok(magnitude.map(|m| if negative { -m } else { m }))
    }
}

/// The mantissa digits of a number in the text (a `.` after `int_len` of them).
struct Digits<'a> {
    text: &'a [u8],
    start: usize,
    int_len: usize,
    len: usize,
}

impl Digits<'_> {
    fn at(&self, k: usize) -> u8 {
        let i = self.start + k + usize::from(k >= self.int_len);
        self.text.get(i).map_or(0, |d| d.wrapping_sub(b'0'))
    }

    /// |value| = 0.S × 10^P with S the significant digits (`sig`). Returns the correctly
    /// rounded f64 of |value| truncated toward zero, `None` if that is 10^12 or more, and an
    /// error if the f64 is infinite.
    fn truncated(&self, exp: i64) -> Result<Option<i64>, Rejected> {
        let Some(first) = (0..self.len).find(|&k| self.at(k) != 0) else {
            return Ok(Some(0));
        };
        let sig = |j: i64| -> u8 {
            match usize::try_from(j) {
                Ok(j) if j < self.len - first => self.at(first + j),
                _ => 0,
            }
        };
        let p = self.int_len as i64 - first as i64 + exp;
        if p >= 309 {
            let below = p == 309
                && F64_OVERFLOW.iter().enumerate().find_map(|(j, t)| {
                    let (d, t) = (sig(j as i64), t - b'0');
                    (d != t).then_some(d < t)
                }) == Some(true);
            if !below {
                return Err(Rejected);
            }
        }
        if p > 12 {
            return Ok(None);
        }
        let int = (0..p).fold(0_i64, |n, j| n * 10 + i64::from(sig(j)));
        // Does |value| round up to int + 1? It does when 1 - fraction is at most half the gap
        // below int + 1, 2^-q; ties go to int + 1 (its mantissa is even). With C the nines'
        // complement of the fraction's first q digits, 1 - fraction <= 2^-q iff C < 5^q.
        let next = int as u64 + 1;
        let e = 63 - next.leading_zeros();
        let q = if next.is_power_of_two() { 54 - e } else { 53 - e };
        let complement =
            (0..i64::from(q)).try_fold(0_u128, |c, k| c.checked_mul(10)?.checked_add(u128::from(9 - sig(p + k))));
        let up = complement.is_some_and(|c| c < 5_u128.pow(q));
        Ok(Some(int + i64::from(up)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(json: &str) -> bool {
        object_members(json.as_bytes(), []).is_ok()
    }

    fn number(text: &str) -> Result<Option<i64>, Rejected> {
        let json = format!(r#"{{"n":{text}}}"#);
        object_members(json.as_bytes(), ["n"]).map(|[m]| match m {
            Some(Member::Number(n)) => n,
            other => panic!("{text}: {other:?}"),
        })
    }

    #[test]
    fn objects_table() {
        let nested = |k: usize| format!("{{\"a\":{}{}}}", "[".repeat(k), "]".repeat(k));
        let ok = [
            "{}",
            " \t\r\n{ } \n",
            r#"{"a":[1,-2.5e+3,true,false,null,{"b":{}}],"":"","c":[]}"#,
            r#"{"s":"\"\\\/\b\f\n\r\t\u00e9\uD83E\uDD80 é 🦀 \u2028"}"#,
            "{\"del\":\"\x7f\"}",
            &nested(MAX_DEPTH as usize - 1),
        ];
        for json in ok {
            assert!(accepts(json), "{json:?}");
        }
        let rejected = [
            "",
            "[]",
            "\"a\"",
            "1",
            "null",
            "\u{feff}{}",
            "{}x",
            "{} {}",
            "{",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{,}",
            "{\"a\":1 \"b\":2}",
            "{a:1}",
            "{'a':1}",
            "{\"a\":[1,]}",
            "{\"a\":[,1]}",
            "{\"a\":tru}",
            "{\"a\":True}",
            "{\"a\":nul}",
            "{\"a\":\"\t\"}",
            "{\"a\":\"\n\"}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\\u12\"}",
            "{\"a\":\"\\uZZZZ\"}",
            r#"{"a":"\uD800"}"#,
            r#"{"a":"\uDC00"}"#,
            r#"{"a":"\uD800\u0041"}"#,
            r#"{"a":"\uD800\n"}"#,
            r#"{"a":"\uDBFF\uDBFF"}"#,
            "{\"a\":\"unterminated}",
            "{\u{a0}}",
            "{\x0b}",
            &nested(MAX_DEPTH as usize),
        ];
        for json in rejected {
            assert!(!accepts(json), "{json:?}");
        }
        assert!(object_members(&[b'{', b'"', 0xff, b'"', b':', b'1', b'}'], []).is_err(), "invalid UTF-8");
        assert!(object_members(b"{\"a\":\"\xed\xa0\x80\"}", []).is_err(), "a raw surrogate is not UTF-8");
    }

    #[test]
    fn names_table() {
        let [a, b] = object_members(br#"{"\u0061":"x\u0079","b":null,"c":{"a":1}}"#, ["a", "b"]).expect("ok");
        assert_eq!(a, Some(Member::Str("xy".into())));
        assert_eq!(b, Some(Member::Null));
        let [a] = object_members(br#"{"a":[1],"a2":1}"#, ["a"]).expect("ok");
        assert_eq!(a, Some(Member::Other));
        assert_eq!(object_members(br#"{"a":1,"\u0061":2}"#, ["a"]), Err(Rejected), "a repeated asked name");
        assert!(object_members(br#"{"b":1,"b":2}"#, ["a"]).is_ok(), "other names may repeat");
        assert_eq!(object_members(br#"{"b":1}"#, ["a"]), Ok([None]));
    }

    #[test]
    fn numbers_table() {
        let cases: &[(&str, Result<Option<i64>, Rejected>)] = &[
            ("0", Ok(Some(0))),
            ("-0", Ok(Some(0))),
            ("-0.0e5", Ok(Some(0))),
            ("0e999999999999999999999", Ok(Some(0))),
            ("5", Ok(Some(5))),
            ("1.5", Ok(Some(1))),
            ("-1.5", Ok(Some(-1))),
            ("-0.5", Ok(Some(0))),
            ("1e3", Ok(Some(1000))),
            ("1E+3", Ok(Some(1000))),
            ("12345e-2", Ok(Some(123))),
            ("0.000123e7", Ok(Some(1230))),
            ("2000000000.75", Ok(Some(2_000_000_000))),
            ("999999999999", Ok(Some(999_999_999_999))),
            ("1000000000000", Ok(None)),
            ("1e12", Ok(None)),
            ("-1e300", Ok(None)),
            ("1e-400", Ok(Some(0))),
            ("1e99999999999999999999", Err(Rejected)),
            ("1e308", Ok(None)),
            ("1e309", Err(Rejected)),
            ("1.7976931348623158e308", Ok(None)),
            ("1.7976931348623159e308", Err(Rejected)),
            ("-1.7976931348623159e308", Err(Rejected)),
            // 1 - 2^-54 rounds (to even) up to 1; a hair below it rounds down to 1 - 2^-53.
            ("0.999999999999999944488848768742172978818416595458984375", Ok(Some(1))),
            ("0.999999999999999944488848768742172978818416595458984374", Ok(Some(0))),
            ("-0.999999999999999944488848768742172978818416595458984375", Ok(Some(-1))),
            ("0.99999999999999994", Ok(Some(0))),
            ("0.99999999999999995", Ok(Some(1))),
            // The f64 step at 2e9 is 2^-22: .9999998 stays below, .9999999 rounds up.
            ("1999999999.9999998", Ok(Some(1_999_999_999))),
            ("1999999999.9999999", Ok(Some(2_000_000_000))),
            ("253402300799.99998", Ok(Some(253_402_300_799))),
            ("253402300799.99999", Ok(Some(253_402_300_800))),
            ("01", Err(Rejected)),
            ("-", Err(Rejected)),
            ("+1", Err(Rejected)),
            ("1.", Err(Rejected)),
            (".5", Err(Rejected)),
            ("1e", Err(Rejected)),
            ("1e+", Err(Rejected)),
            ("1.e5", Err(Rejected)),
            ("0x10", Err(Rejected)),
            ("NaN", Err(Rejected)),
            ("Infinity", Err(Rejected)),
            ("--1", Err(Rejected)),
        ];
        for (text, want) in cases {
            assert_eq!(number(text), *want, "{text}");
        }
        // Cross-check against Rust's own correctly rounded parser.
        for text in ["1999999999.99999994", "1999999999.99999997", "3.9999999999999996", "4.0000000000000001"] {
            let f: f64 = text.parse().expect("float");
            assert_eq!(number(text), Ok(Some(f.trunc() as i64)), "{text}");
        }
    }
}
