//! Merge patches folded from JSON text to JSON text, without making trees of what they replace.
//!
//! Folding a store spent most of its time making `serde_json::Value`s: every member a patch
//! replaces was parsed into a tree (its name and, under `arbitrary_precision`, each number as a
//! `String` of its own) only to be written out again at the next checkpoint. Here a state is a
//! tree of objects whose other values stay the text they were read from, borrowed from the
//! patch or from the checkpoint the fold started at: replacing a member costs finding its name.
//!
//! The text written is exactly what folding trees and writing them with `Value::to_string`
//! writes (the tests fold both ways). Text is borrowed only where it is already written that
//! way: a patch with a backslash anywhere, or one this reader does not accept, is merged by
//! [`merge_patch_text`], the tree's own code, so its errors and its escapes are `serde_json`'s.

use std::borrow::Cow;
use std::fmt::Write as _;

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use serde_json::{Map, Value};

use super::merge_patch_text;
use crate::store::scan;

/// Members by name, in the order a `serde_json::Map` keeps them (new ones last, a removed one
/// shifting the rest), with `FxHash`: names are short, and a state's own (an attacker who picks
/// them only slows his own fold, as with the interning of stream ids).
type Members<'a> = IndexMap<Cow<'a, str>, Node<'a>, FxBuildHasher>;

/// A state, or a member of one.
#[derive(Debug)]
enum Node<'a> {
    /// Anything but an object, as `Value::to_string` writes it.
    Text(&'a str),
    /// A value made into a tree by `serde_json`: after a patch only it reads, or an array that
    /// is not written as it would write it.
    Tree(Value),
    Object(Members<'a>),
}

/// Folds `patches` (`None`: an event without data) into `start`, a state as `Value::to_string`
/// writes it, as [`super::MergePatch`] folds between checkpoints, and writes the state after
/// them as `Value::to_string` would. A patch that fails leaves the state as it was and goes to
/// `failed` with its index and `serde_json`'s error.
pub fn fold_merge_patches<'a>(
    start: &'a str,
    patches: impl IntoIterator<Item = Option<&'a str>>,
    failed: &mut dyn FnMut(usize, &serde_json::Error),
) -> String {
    let mut state = State::read(start);
    for (i, patch) in patches.into_iter().enumerate() {
        if let Some(patch) = patch
            && let Err(error) = state.merge(patch)
        {
            failed(i, &error);
        }
    }
    state.write()
}

/// A merge-patch state being folded.
#[derive(Debug)]
struct State<'a>(Node<'a>);

impl<'a> State<'a> {
    /// The state `text` holds, JSON as `Value::to_string` writes it (a checkpoint); JSON that
    /// is not, or not JSON at all, reads as `serde_json` reads it, or as `{}`.
    fn read(text: &'a str) -> Self {
        if Reader::valid(text) {
            let mut reader = Reader::new(text);
            return Self(reader.node());
        }
        Self(Node::Tree(
            serde_json::from_str(text).unwrap_or_else(|_| Value::Object(Map::new())),
        ))
    }

    /// Applies one patch, as [`merge_patch_text`] does: on an error the state is as it was.
    fn merge(&mut self, patch: &'a str) -> Result<(), serde_json::Error> {
        if Reader::valid(patch) {
            let mut reader = Reader::new(patch);
            reader.whitespace();
            if reader.peek() == Some(b'{') {
                reader.merge_object(&mut self.0);
            } else {
                self.0 = leaf(reader.value());
            }
            return Ok(());
        }
        let mut tree = std::mem::replace(&mut self.0, Node::Text("null")).into_value();
        let merged = merge_patch_text(&mut tree, patch);
        self.0 = Node::Tree(tree);
        merged
    }

    /// The state as compact JSON text, as `Value::to_string` writes its tree.
    fn write(&self) -> String {
        let mut out = String::new();
        self.0.write(&mut out);
        out
    }
}

/// A value that replaces a member, kept as its text when that is how `Value::to_string`
/// writes it: strings (one without a backslash holds nothing `serde_json` escapes), `true`,
/// `false`, `null`, numbers but those with an exponent `serde_json` spells its way (`1E2` is
/// written `1e+2`), arrays of those with no whitespace and no objects (whose names `serde_json`
/// may merge).
fn leaf(text: &str) -> Node<'_> {
    let bytes = text.as_bytes();
    let as_written = match bytes.first() {
        Some(b'"' | b't' | b'f' | b'n') => true,
        Some(b'[') => {
            !bytes
                .iter()
                .any(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'{'))
                && exponents_as_written(bytes)
        }
        _ => exponents_as_written(bytes),
    };
    if as_written {
        return Node::Text(text);
    }
    // Checked by `Reader::valid` before any of it was merged.
    serde_json::from_str(text).map_or(Node::Text(text), Node::Tree)
}

/// Whether every exponent in `bytes` is written as `serde_json` writes it: `e` and a sign. Also
/// false for an `e` of `true` or `false` in an array, which only costs reading it as a tree.
fn exponents_as_written(bytes: &[u8]) -> bool {
    !bytes.contains(&b'E')
        && memchr::memchr_iter(b'e', bytes).all(|at| matches!(bytes.get(at + 1), Some(b'+' | b'-')))
}

impl<'a> Node<'a> {
    /// The members, after making this an object as merging an object into it does: a tree's
    /// object is taken apart, anything else gives way to `{}`.
    fn members(&mut self) -> &mut Members<'a> {
        if let Node::Tree(Value::Object(map)) = self {
            let map = std::mem::take(map);
            *self = Node::Object(
                map.into_iter()
                    .map(|(name, value)| (Cow::Owned(name), Node::Tree(value)))
                    .collect(),
            );
        } else if !matches!(self, Node::Object(_)) {
            *self = Node::Object(Members::default());
        }
        match self {
            Node::Object(members) => members,
            _ => unreachable!("made an object above"),
        }
    }

    fn into_value(self) -> Value {
        match self {
            // Text is only ever kept after `Reader::valid` accepted it.
            Node::Text(text) => serde_json::from_str(text).unwrap_or_default(),
            Node::Tree(value) => value,
            Node::Object(members) => Value::Object(
                members
                    .into_iter()
                    .map(|(name, node)| (name.into_owned(), node.into_value()))
                    .collect(),
            ),
        }
    }

    fn write(&self, out: &mut String) {
        match self {
            Node::Text(text) => out.push_str(text),
            Node::Tree(value) => {
                let _ = write!(out, "{value}");
            }
            Node::Object(members) => {
                out.push('{');
                for (i, (name, node)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_name(name, out);
                    out.push(':');
                    node.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// A member's name as `serde_json` writes it: names read from text have nothing to escape, those
/// taken from a tree may.
fn write_name(name: &str, out: &mut String) {
    if name.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        let _ = write!(out, "{}", Value::from(name));
    } else {
        out.push('"');
        out.push_str(name);
        out.push('"');
    }
}

/// A cursor over JSON text with no backslash in it.
struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, at: 0 }
    }

    /// Whether `text` is JSON that this reader can merge: one value (checked as strictly as
    /// the store checks a record, so no deeper than it lets a record be), with no backslash in
    /// it, so that every string in it is written as it is read.
    fn valid(text: &str) -> bool {
        memchr::memchr(b'\\', text.as_bytes()).is_none() && scan::is_json(text)
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    /// JSON's whitespace, which is not Rust's (no form feed).
    fn whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    // What follows reads text that `valid` has accepted.

    /// The string here, without its quotes.
    fn string(&mut self) -> &'a str {
        let start = self.at + 1;
        let end = memchr::memchr(b'"', &self.text.as_bytes()[start..])
            .map_or(self.text.len(), |n| start + n);
        self.at = end + 1;
        &self.text[start..end]
    }

    /// The value here, as text.
    fn value(&mut self) -> &'a str {
        let start = self.at;
        match self.peek() {
            Some(b'"') => {
                self.string();
            }
            Some(b'[' | b'{') => {
                self.at = scan::value_end(self.text, self.at).unwrap_or(self.text.len());
            }
            _ => {
                while !matches!(
                    self.peek(),
                    None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                ) {
                    self.at += 1;
                }
            }
        }
        &self.text[start..self.at]
    }

    /// The value here as a node of its own: objects as members, the rest as text.
    fn node(&mut self) -> Node<'a> {
        self.whitespace();
        if !self.eat(b'{') {
            return leaf(self.value());
        }
        let mut members = Members::default();
        self.members(|reader, name| {
            let node = reader.node();
            members.insert(Cow::Borrowed(name), node);
        });
        Node::Object(members)
    }

    /// Merges the object here (the patch) into `target`, as RFC 7396 says: `null` removes a
    /// member, an object merges into it, anything else replaces it.
    fn merge_object(&mut self, target: &mut Node<'a>) {
        self.at += 1; // `{`
        let members = target.members();
        self.members(|reader, name| {
            if reader.peek() == Some(b'{') {
                let member = members
                    .entry(Cow::Borrowed(name))
                    .or_insert(Node::Text("null"));
                reader.merge_object(member);
                return;
            }
            let value = reader.value();
            if value == "null" {
                members.shift_remove(name);
            } else if let Some(member) = members.get_mut(name) {
                *member = leaf(value);
            } else {
                members.insert(Cow::Borrowed(name), leaf(value));
            }
        });
    }

    /// Calls `each(reader, name)` at each member's value of the object whose `{` was just
    /// read, with the reader at the value's first byte; `each` moves past the value.
    fn members(&mut self, mut each: impl FnMut(&mut Self, &'a str)) {
        self.whitespace();
        if self.eat(b'}') {
            return;
        }
        loop {
            let name = self.string();
            self.whitespace();
            self.eat(b':');
            self.whitespace();
            each(self, name);
            self.whitespace();
            if !self.eat(b',') {
                self.eat(b'}');
                return;
            }
            self.whitespace();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::merge_patch_text;
    use proptest::prelude::*;

    /// Folds `patches` both ways from `start`: as text here, and as trees written at the end.
    fn both(start: &str, patches: &[&str]) -> (String, String, Vec<bool>) {
        let mut state = State::read(start);
        let mut tree: Value =
            serde_json::from_str(start).unwrap_or_else(|_| Value::Object(Map::new()));
        let mut failed = Vec::new();
        for patch in patches {
            let text = state.merge(patch);
            let merged = merge_patch_text(&mut tree, patch);
            assert_eq!(text.is_err(), merged.is_err(), "{patch:?}");
            if let (Err(a), Err(b)) = (&text, &merged) {
                assert_eq!(a.to_string(), b.to_string());
            }
            failed.push(text.is_err());
        }
        (state.write(), tree.to_string(), failed)
    }

    #[test]
    fn folds_as_the_tree_does() {
        let (text, tree, failed) = both(
            r#"{"a":"b","c":{"d":"e","f":[1,{"x":null}]},"k":1}"#,
            &[
                r#"{"a": "z", "c": {"f": null}, "n": {"x": null, "y": 2}}"#,
                r#" {"arr": [ {"x": null, "x": 1} ], "k": {"deep": {"er": 18446744073709551615}}}"#,
                r#"{"c": 0.12345678901234567890123, "esc\"aped": "\u00e9", "": {}}"#,
                r#"{"n": 1E2, "m": -0, "o": 1.0, "p": 1e400, "q": [1,2], "r": "a b"}"#,
                r#"{"dup": 1, "dup": {"z": 2}, "dup": {"y": 3}}"#,
                r#"{"bad": tru}"#,
                "{\"ctl\": \"a\u{1}b\"}",
                r#"{"lone": "\ud800"}"#,
                "\u{c}{\"ff\": 1}",
                r#"{"k": null, "a": {"b": {"c": {}}}}"#,
            ],
        );
        assert_eq!(text, tree);
        assert_eq!(
            failed,
            [
                false, false, false, false, false, true, true, true, true, false
            ]
        );
        // As deep as a record may be, and deeper (left to the tree's merge, which takes it a
        // level at a time); arrays, which serde_json reads whole, deeper than it reads.
        for depth in [60, 125, 126, 127, 128, 130, 300] {
            let patch = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
            let (text, tree, _) = both("{}", &[&patch]);
            assert_eq!(text, tree, "{depth}");
            let patch = format!("{{\"a\":{}1{}}}", "[".repeat(depth), "]".repeat(depth));
            let (text, tree, failed) = both("{}", &[&patch]);
            assert_eq!(text, tree, "{depth}");
            assert_eq!(failed, [depth >= 128], "{depth}");
        }
        for (start, patch) in [
            ("{}", "[1, 2]"),
            ("{}", "\"s\""),
            ("{}", "null"),
            ("[1]", "{\"a\":1}"),
            ("{\"a\\n\":1}", "{\"b\":2}"),
            ("not json", "{}"),
        ] {
            let (text, tree, _) = both(start, &[patch]);
            assert_eq!(text, tree, "{start} then {patch}");
        }
    }

    /// JSON as a store may hold it: whitespace anywhere it may be, names and values that
    /// repeat, escapes, numbers spelled every way.
    fn spelled() -> impl Strategy<Value = String> {
        let space = prop::sample::select(vec!["", "", "", " ", "\n", "\t ", "\r\n"]);
        let leaf = prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("false".to_owned()),
            prop::sample::select(vec![
                "0",
                "-0",
                "1.0",
                "1E2",
                "1e-7",
                "18446744073709551615",
                "-1.5e+300",
                "1e400",
                "0.12345678901234567890123",
            ])
            .prop_map(str::to_owned),
            prop::sample::select(vec![
                "\"\"",
                "\"a b\"",
                "\"é😀\"",
                "\"x\\\"y\"",
                "\"\\u00e9\"",
                "\"\\n\"",
                "\"{[\"",
            ])
            .prop_map(str::to_owned),
        ];
        leaf.prop_recursive(6, 48, 4, move |inner| {
            let name = prop::sample::select(vec!["a", "b", "c", "", "é", "~/", "a\\\"b"]);
            prop_oneof![
                (
                    prop::collection::vec((space.clone(), inner.clone()), 0..4),
                    space.clone()
                )
                    .prop_map(|(items, end)| {
                        let items: Vec<String> = items
                            .into_iter()
                            .map(|(s, v)| format!("{s}{v}{s}"))
                            .collect();
                        format!("[{}{end}]", items.join(","))
                    }),
                (
                    prop::collection::vec((space.clone(), name, inner), 0..5),
                    space.clone()
                )
                    .prop_map(|(members, end)| {
                        let members: Vec<String> = members
                            .into_iter()
                            .map(|(s, n, v)| format!("{s}\"{n}\"{s}:{s}{v}"))
                            .collect();
                        format!("{{{}{end}}}", members.join(","))
                    }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn text_folds_equal_tree_folds(start in spelled(), patches in prop::collection::vec(spelled(), 1..6)) {
            // A checkpoint is always text a tree wrote.
            let start = serde_json::from_str::<Value>(&start).map_or_else(|_| "{}".to_owned(), |v| v.to_string());
            let patches: Vec<&str> = patches.iter().map(String::as_str).collect();
            let (text, tree, _) = both(&start, &patches);
            prop_assert_eq!(text, tree);
        }
    }
}
