//! RFC 7396 JSON Merge Patch, the default reducer's step: null deletes a member, objects merge,
//! anything else replaces.

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

#[cfg(test)]
mod tests {
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
    fn keeps_member_order_when_deleting() {
        let mut doc = json!({"a": 1, "b": 2, "c": 3});
        merge_patch(&mut doc, &json!({"a": null}));
        assert_eq!(doc.to_string(), r#"{"b":2,"c":3}"#);
    }
}
