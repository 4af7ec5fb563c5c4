//! RFC 7396 JSON Merge Patch, the default reducer's step: null deletes a member, objects merge,
//! anything else replaces.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Applies `patch` to `target` in place, as RFC 7396 section 2 defines it. Members keep their
/// order; new members go last.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(members) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(object) = target else {
        return;
    };
    for (name, value) in members {
        if value.is_null() {
            object.shift_remove(name);
        } else {
            merge_patch(object.entry(name.as_str()).or_insert(Value::Null), value);
        }
    }
}

/// [`merge_patch`] with the patch as JSON text, read straight into `target`: members are
/// merged as they are read, without building the patch as a tree first (folding a store spends
/// most of its time here). Errors as `serde_json::from_str` would give them, and `target` is
/// then as it was: a patch with `\u` escapes is read whole first, as a tree (the store's scanner
/// has checked its grammar, but lets through escapes of lone surrogates, which `serde_json`
/// refuses, and would half merge). A member named twice is merged twice, where the tree of the patch would keep the
/// last (RFC 8259 says names should be unique).
pub fn merge_patch_text(target: &mut Value, patch: &str) -> Result<(), serde_json::Error> {
    // JSON's own whitespace only: `trim_ascii_start` would also take a form feed, which
    // serde_json refuses (found by fuzzing, docs/FUZZING.md).
    let patch = patch.trim_start_matches([' ', '\t', '\n', '\r']);
    if patch.contains("\\u") {
        // serde_json checks escapes only where it reads a string's value: read the whole patch.
        merge_patch(target, &serde_json::from_str(patch)?);
        return Ok(());
    }
    if !patch.starts_with('{') {
        *target = serde_json::from_str(patch)?;
        return Ok(());
    }
    let mut reader = serde_json::Deserializer::from_str(patch);
    reader.deserialize_map(MergeInto(target))?;
    reader.end()
}

/// Merges the members of an object being read into the value it holds.
struct MergeInto<'t>(&'t mut Value);

impl<'de> Visitor<'de> for MergeInto<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<(), A::Error> {
        if !self.0.is_object() {
            *self.0 = Value::Object(Map::new());
        }
        let Value::Object(object) = self.0 else {
            return Ok(());
        };
        while let Some((name, value)) = members.next_entry::<Cow<'de, str>, &'de RawValue>()? {
            let text = value.get();
            if text == "null" {
                object.shift_remove(&*name);
            } else if text.starts_with('{') {
                let member = object.entry(name.into_owned()).or_insert(Value::Null);
                merge_patch_text(member, text).map_err(de::Error::custom)?;
            } else {
                let value = serde_json::from_str(text).map_err(de::Error::custom)?;
                object.insert(name.into_owned(), value);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    /// fuzz/artifacts/merge_patch/crash-677c2ee3…: a patch after a form feed was read as if
    /// the form feed were whitespace.
    #[test]
    fn what_serde_json_refuses_the_fast_path_refuses() {
        for patch in ["\u{c}\r2", "\u{c}{\"a\":1}", "\u{b}null"] {
            let mut target = serde_json::json!(2);
            assert!(serde_json::from_str::<Value>(patch).is_err());
            assert!(
                super::merge_patch_text(&mut target, patch).is_err(),
                "{patch:?}"
            );
            assert_eq!(target, serde_json::json!(2), "unchanged");
        }
        let mut target = serde_json::json!({});
        super::merge_patch_text(&mut target, " \t\r\n{\"a\":1}").unwrap();
        assert_eq!(target, serde_json::json!({"a": 1}));
    }

    use super::*;
    use serde_json::json;

    #[test]
    fn follows_rfc_7396() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}, "k": 1});
        merge_patch(
            &mut doc,
            &json!({"a": "z", "c": {"f": null}, "n": {"x": null, "y": 2}}),
        );
        assert_eq!(
            doc,
            json!({"a": "z", "c": {"d": "e"}, "k": 1, "n": {"y": 2}})
        );
        merge_patch(&mut doc, &json!([1]));
        assert_eq!(doc, json!([1]));
    }

    #[test]
    fn from_text_is_the_same_merge() {
        let base = json!({"a": "b", "c": {"d": "e", "f": "g"}, "k": 1, "arr": [1, 2]});
        for patch in [
            r#"{"a": "z", "c": {"f": null}, "n": {"x": null, "y": 2}}"#,
            r#" {"arr": [{"x": null}], "k": {"deep": {"er": 18446744073709551615}}}"#,
            r#"{"c": 0.12345678901234567890123, "esc\"aped": "\u00e9", "": {}}"#,
            r#"[1, {"a": null}]"#,
            r#""text""#,
            "null",
            "{}",
        ] {
            let mut from_tree = base.clone();
            merge_patch(&mut from_tree, &serde_json::from_str(patch).unwrap());
            let mut from_text = base.clone();
            merge_patch_text(&mut from_text, patch).unwrap();
            assert_eq!(from_text.to_string(), from_tree.to_string(), "{patch}");
        }
        let mut target = json!({});
        assert!(merge_patch_text(&mut target, r#"{"a": 1"#).is_err());
        let mut target = json!({"a": 0});
        assert!(merge_patch_text(&mut target, r#"{"a": 1, "b": "\ud800"}"#).is_err());
        assert_eq!(
            target,
            json!({"a": 0}),
            "a patch that fails leaves the state as it was"
        );
        assert!(merge_patch_text(&mut target, r#"{"a": 1} x"#).is_err());
    }

    #[test]
    fn keeps_member_order_when_deleting() {
        let mut doc = json!({"a": 1, "b": 2, "c": 3});
        merge_patch(&mut doc, &json!({"a": null}));
        assert_eq!(doc.to_string(), r#"{"b":2,"c":3}"#);
    }
}
