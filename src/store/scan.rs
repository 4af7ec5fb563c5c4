//! The fast path of indexing: one pass over a record that validates it as strict JSON
//! (RFC 8259: grammar, escapes, control characters, UTF-8, nesting depth) and lists its
//! top-level members as raw text, with no tree and no copies.
//!
//! It never explains a failure: whatever it does not accept (a syntax error, a record nested
//! too deep, a record that is not an object) returns `None`, and the record is read again by
//! `serde_json`, whose message says what is wrong. So a good record costs one byte loop, and a
//! bad one is reported exactly as before. The property tests check the one rule this needs:
//! what the scanner accepts, `serde_json` accepts, with the same members.

use std::borrow::Cow;

use super::record::{MAX_DEPTH, Member, Raw, RawObject};

/// The members of `bytes`, a record that must be exactly one JSON object (no surrounding
/// whitespace other than JSON's own). `None` when it is anything else or not valid.
pub fn object(bytes: &[u8]) -> Option<(Raw<'_>, RawObject<'_>)> {
    object_in(bytes, Vec::with_capacity(12))
}

/// Like [`object`], filling `members` (emptied first), so that a caller reading millions of
/// records reuses one allocation.
pub fn object_in<'a>(
    bytes: &'a [u8],
    members: Vec<Member<'a>>,
) -> Option<(Raw<'a>, RawObject<'a>)> {
    // Validating UTF-8 up front lets the scanner work on bytes and cut `&str`s at ASCII
    // boundaries; `from_utf8` runs through ASCII a word at a time.
    object_of_text(std::str::from_utf8(bytes).ok()?, members)
}

/// Like [`object_in`], for a record already known to be UTF-8 (cut from a checked chunk).
pub fn object_of_text<'a>(
    text: &'a str,
    members: Vec<Member<'a>>,
) -> Option<(Raw<'a>, RawObject<'a>)> {
    let bytes = text.as_bytes();
    let (end, _, object) = object_at::<true>(text, whitespace::<true>(bytes, 0), members)?;
    (whitespace::<true>(bytes, end) == bytes.len()).then(|| (Raw::valid(text), object))
}

/// The object that starts at `start` (a `{`) of `text`, a line of JSON Lines and what follows
/// it, without crossing a line end (a `\n` is not whitespace here: a record is one line):
/// where it ends, its text and its members. `None` where [`object_of_text`] would refuse the
/// object as a record of its own, or where it does not end on its line.
pub fn object_on_line<'a>(
    text: &'a str,
    start: usize,
    members: Vec<Member<'a>>,
) -> Option<(usize, Raw<'a>, RawObject<'a>)> {
    object_at::<false>(text, start, members)
}

/// Whether `text` is one JSON value (any, not only an object), with JSON's whitespace around
/// it, accepted as strictly as a record is: what this accepts, `serde_json` reads. For a
/// payload read on its own (the merge-patch fold checks each patch so).
pub fn is_json(text: &str) -> bool {
    let bytes = text.as_bytes();
    value::<true>(bytes, whitespace::<true>(bytes, 0))
        .is_some_and(|end| whitespace::<true>(bytes, end) == bytes.len())
}

/// Where the value at `at` of `text` ends, for text [`is_json`] has accepted (`None` for any
/// other).
pub fn value_end(text: &str, at: usize) -> Option<usize> {
    value::<true>(text.as_bytes(), at)
}

/// The object at `start` of `text` (nothing before it is looked at, nor anything after its
/// `}`): where it ends, its text and its members. `NEWLINES`: whether a `\n` is whitespace
/// between its tokens.
fn object_at<'a, const NEWLINES: bool>(
    text: &'a str,
    start: usize,
    mut members: Vec<Member<'a>>,
) -> Option<(usize, Raw<'a>, RawObject<'a>)> {
    members.clear();
    let bytes = text.as_bytes();
    if *bytes.get(start)? != b'{' {
        return None;
    }
    let mut at = whitespace::<NEWLINES>(bytes, start + 1);
    if *bytes.get(at)? == b'}' {
        at += 1;
    } else {
        loop {
            if *bytes.get(at)? != b'"' {
                return None;
            }
            let key_start = at;
            let (end, escaped) = string(bytes, at)?;
            let key_text = &text[key_start..end];
            let key = if escaped {
                Cow::Owned(serde_json::from_str::<String>(key_text).ok()?)
            } else {
                Cow::Borrowed(&key_text[1..key_text.len() - 1])
            };
            at = colon::<NEWLINES>(bytes, end)?;
            let value_start = at;
            at = value::<NEWLINES>(bytes, at)?;
            members.push((key, Raw::valid(&text[value_start..at])));
            at = whitespace::<NEWLINES>(bytes, at);
            match *bytes.get(at)? {
                b',' => at = whitespace::<NEWLINES>(bytes, at + 1),
                b'}' => {
                    at += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    let raw = Raw::valid(&text[start..at]);
    Some((at, raw, RawObject::from_members(members)))
}

/// Past the whitespace at `at` (with `\n` only where `NEWLINES`). Most records have none
/// between tokens: one comparison tells.
/// (Matching the four bytes alone took `streams` 12 % more CPU, measured interleaved.)
#[inline]
fn whitespace<const NEWLINES: bool>(bytes: &[u8], mut at: usize) -> usize {
    while let Some(&byte) = bytes.get(at) {
        if byte > b' ' || !(matches!(byte, b' ' | b'\r' | b'\t') || NEWLINES && byte == b'\n') {
            break;
        }
        at += 1;
    }
    at
}

/// After a member's name at `at`: the `:` and the whitespace around it; where the value starts.
#[inline]
fn colon<const NEWLINES: bool>(bytes: &[u8], at: usize) -> Option<usize> {
    let at = whitespace::<NEWLINES>(bytes, at);
    if *bytes.get(at)? != b':' {
        return None;
    }
    Some(whitespace::<NEWLINES>(bytes, at + 1))
}

/// The value at `at`, a member's value of the top-level object (the first level of nesting):
/// where it ends. Nested containers are walked in one loop with a stack of bits (1: an
/// object, 0: an array; [`MAX_DEPTH`] fits in a `u128`), not by recursion: a token's work is
/// a few instructions, and a call for each was a good part of it.
fn value<const NEWLINES: bool>(bytes: &[u8], mut at: usize) -> Option<usize> {
    let mut stack: u128 = 0;
    let mut depth = 1usize;
    loop {
        // At the start of a value.
        match *bytes.get(at)? {
            b'"' => at = string(bytes, at)?.0,
            open @ (b'{' | b'[') => {
                if depth + 1 > MAX_DEPTH {
                    return None;
                }
                at = whitespace::<NEWLINES>(bytes, at + 1);
                // `}` and `]` follow their openers two code points on.
                let close = open + 2;
                if *bytes.get(at)? == close {
                    at += 1;
                } else {
                    depth += 1;
                    let object = open == b'{';
                    stack = (stack << 1) | u128::from(object);
                    if object {
                        at = name::<NEWLINES>(bytes, at)?;
                    }
                    continue;
                }
            }
            b't' => at = literal(bytes, at, b"true")?,
            b'f' => at = literal(bytes, at, b"false")?,
            b'n' => at = literal(bytes, at, b"null")?,
            _ => at = number(bytes, at)?,
        }
        // After a value: a comma and the next, or the ends of containers.
        loop {
            if depth == 1 {
                return Some(at);
            }
            at = whitespace::<NEWLINES>(bytes, at);
            let object = stack & 1 == 1;
            match *bytes.get(at)? {
                b',' => {
                    at = whitespace::<NEWLINES>(bytes, at + 1);
                    if object {
                        at = name::<NEWLINES>(bytes, at)?;
                    }
                    break;
                }
                b'}' if object => {}
                b']' if !object => {}
                _ => return None,
            }
            at += 1;
            stack >>= 1;
            depth -= 1;
        }
    }
}

/// A member's name at `at` and its colon: where its value starts.
#[inline]
fn name<const NEWLINES: bool>(bytes: &[u8], at: usize) -> Option<usize> {
    if *bytes.get(at)? != b'"' {
        return None;
    }
    let (end, _) = string(bytes, at)?;
    colon::<NEWLINES>(bytes, end)
}

/// The string at `at` (a `"`): where it ends, and whether it holds escapes.
#[inline]
fn string(bytes: &[u8], mut at: usize) -> Option<(usize, bool)> {
    at += 1;
    let mut escaped = false;
    loop {
        at += plain_run(&bytes[at..]);
        match *bytes.get(at)? {
            b'"' => return Some((at + 1, escaped)),
            b'\\' => {
                escaped = true;
                match *bytes.get(at + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => at += 2,
                    b'u' => {
                        let hex = bytes.get(at + 2..at + 6)?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return None;
                        }
                        at += 6;
                    }
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
}

#[inline]
fn literal(bytes: &[u8], at: usize, word: &[u8]) -> Option<usize> {
    bytes[at..].starts_with(word).then(|| at + word.len())
}

/// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
#[inline]
fn number(bytes: &[u8], mut at: usize) -> Option<usize> {
    if bytes.get(at) == Some(&b'-') {
        at += 1;
    }
    match *bytes.get(at)? {
        b'0' => at += 1,
        b'1'..=b'9' => at = digits(bytes, at + 1),
        _ => return None,
    }
    if bytes.get(at) == Some(&b'.') {
        let after = digits(bytes, at + 1);
        if after == at + 1 {
            return None;
        }
        at = after;
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        if let Some(b'+' | b'-') = bytes.get(at) {
            at += 1;
        }
        let after = digits(bytes, at);
        if after == at {
            return None;
        }
        at = after;
    }
    Some(at)
}

#[inline]
fn digits(bytes: &[u8], mut at: usize) -> usize {
    while let Some(byte) = bytes.get(at) {
        if !byte.is_ascii_digit() {
            break;
        }
        at += 1;
    }
    at
}

/// How many bytes at the start of `bytes` may stand in a string as they are: up to the first
/// `"`, `\\` or control character. Eight bytes at a time (SWAR): a byte's high bit in `flags`
/// marks a stop, and the lowest marked byte is exact (a false mark can only follow a true one).
/// (SSE2, sixteen at a time, measured slower: the strings of events are short.)
fn plain_run(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut at = 0;
    while let Some(word) = bytes.get(at..at + 8) {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        let v = u64::from_le_bytes(eight);
        let zero_in = |x: u64| x.wrapping_sub(ONES) & !x;
        let flags = (zero_in(v ^ (ONES * u64::from(b'"')))
            | zero_in(v ^ (ONES * u64::from(b'\\')))
            | (v.wrapping_sub(ONES * 0x20) & !v))
            & HIGHS;
        if flags != 0 {
            return at + (flags.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + bytes[at..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .unwrap_or(bytes.len() - at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn members(text: &str) -> Option<Vec<(String, String)>> {
        object(text.as_bytes()).map(|(_, o)| {
            o.members()
                .map(|(k, v)| (k.to_owned(), v.get().to_owned()))
                .collect()
        })
    }

    #[test]
    fn lists_top_level_members_as_raw_text() {
        assert_eq!(
            members(r#"{ "a" : 1.5e-7 , "b\n":{"c":[true,false,null,"]"]},"d":"x\"y"}"#).unwrap(),
            [
                ("a".to_owned(), "1.5e-7".to_owned()),
                (
                    "b\n".to_owned(),
                    r#"{"c":[true,false,null,"]"]}"#.to_owned()
                ),
                ("d".to_owned(), r#""x\"y""#.to_owned()),
            ]
        );
        assert_eq!(members("{}").unwrap(), []);
        let nested =
            r#"{"a":{"b":[1,{"c":[]},{}],"d":{}},"e":[[],[[ ]], {"f" : "g"}],"h":-0.5e+3}"#;
        assert_eq!(
            members(nested).unwrap(),
            [
                ("a".to_owned(), r#"{"b":[1,{"c":[]},{}],"d":{}}"#.to_owned()),
                ("e".to_owned(), r#"[[],[[ ]], {"f" : "g"}]"#.to_owned()),
                ("h".to_owned(), "-0.5e+3".to_owned()),
            ]
        );
    }

    #[test]
    fn refuses_what_strict_json_refuses() {
        for bad in [
            "{",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":-}",
            "{\"a\":1e}",
            "{\"a\":tru}",
            "{\"a\":truex}",
            "{\"a\":\"\t\"}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\\u12g4\"}",
            "{\"a\":[1,]}",
            "{\"a\":1} x",
            "[1]",
            "{'a':1}",
            "{\"a\":.5}",
            "{\"a\":+1}",
            "{\"a\":NaN}",
            "{\"a\":\"\u{1}\"}",
            "{\"a\" 1}",
            // Containers closed by the other bracket, half-made members, missing commas: what
            // the loop over nested containers must refuse at any depth.
            "{\"a\":[1}",
            "{\"a\":{\"b\":1]}",
            "{\"a\":{\"b\"}}",
            "{\"a\":{,}}",
            "{\"a\":{\"b\":1,}}",
            "{\"a\":[[1]2]}",
            "{\"a\":{\"b\":{\"c\":[]}\"d\":1}}",
            "{\"a\":{1:2}}",
            "{\"a\":[}]}",
            "{\"a\":[[[]]}",
            "{\"a\":{\"b\":[]}}}",
        ] {
            assert!(members(bad).is_none(), "accepted {bad}");
            assert!(
                serde_json::from_str::<serde_json::Value>(bad).map_or(true, |v| !v.is_object())
            );
        }
        assert!(object(b"{\"a\":\"\xff\"}").is_none());
    }

    #[test]
    fn plain_runs_stop_at_the_first_special_byte() {
        for (text, run) in [
            (&b"abcdefghij\"x"[..], 10),
            (b"abcdefg\\", 7),
            (b"\x01", 0),
            (b"\xc3\xa9\xe2\x82\xac\x7f\xff \"", 8),
            (b"0123456789abcdef\n", 16),
            (b"short", 5),
            (b"", 0),
        ] {
            assert_eq!(plain_run(text), run, "{text:?}");
        }
        // Every position and every special byte, inside and after an eight-byte word.
        for at in 0..20 {
            for special in [b'"', b'\\', 0, 0x1f] {
                let mut text = vec![b'a'; 24];
                text[at] = special;
                assert_eq!(plain_run(&text), at);
            }
        }
    }

    #[test]
    fn stops_at_the_depth_serde_json_reads() {
        let nested = |n: usize| format!("{{\"a\":{}1{}}}", "[".repeat(n - 1), "]".repeat(n - 1));
        assert!(members(&nested(MAX_DEPTH)).is_some());
        assert!(members(&nested(MAX_DEPTH + 1)).is_none());
    }

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            // Numbers beyond 64 bits and other spellings, read exactly (arbitrary_precision).
            prop::sample::select(vec![
                "18446744073709551616",
                "-0",
                "-0.0",
                "1E2",
                "1e+2",
                "1.0",
                "0.12345678901234567890123",
                "1e400",
            ])
            .prop_map(|text| serde_json::from_str::<serde_json::Value>(text).unwrap()),
            "[a-z\"\\\\\u{e9}\u{1f600}\n]{0,6}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(7, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                prop::collection::btree_map("[a-z\"/~\u{e9}\u{1f600}]{0,3}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// What the scanner accepts, serde_json accepts with the same members; and it accepts
        /// every object serde_json writes.
        #[test]
        fn agrees_with_serde_json(value in json_value(), cut in 0usize..64, byte in any::<u8>()) {
            let text = serde_json::to_string_pretty(&serde_json::json!({ "v": value })).unwrap();
            prop_assert!(members(&text).is_some());
            let mut broken = text.clone().into_bytes();
            let at = cut % broken.len();
            broken[at] = byte;
            if let Some((_, found)) = object(&broken) {
                let text = std::str::from_utf8(&broken).unwrap();
                let slow: RawObject = serde_json::from_str(text).unwrap();
                let slow: Vec<_> = slow.members().map(|(k, v)| (k.to_owned(), v.get())).collect();
                let fast: Vec<_> = found.members().map(|(k, v)| (k.to_owned(), v.get())).collect();
                prop_assert_eq!(fast, slow);
            }
        }
    }
}
