//! RFC 6902 JSON Patch: operations, and applying them to a document.

use serde::Serialize;
use serde_json::{Map, Value};

use super::number::numbers_equal;
use super::pointer::{array_index, tokens};

/// One JSON Patch operation. Serializes as RFC 6902 writes it: `{"op":"replace","path":…}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Operation {
    Add { path: String, value: Value },
    Remove { path: String },
    Replace { path: String, value: Value },
    Move { from: String, path: String },
    Copy { from: String, path: String },
    Test { path: String, value: Value },
}

/// A JSON Patch: operations applied in order.
pub type Patch = Vec<Operation>;

/// Why a patch could not be read or applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    #[error("operation {index}: {message}")]
    Invalid { index: usize, message: String },
    #[error("operation {index} ({op} {path}): {message}")]
    Failed {
        index: usize,
        op: &'static str,
        path: String,
        message: String,
    },
}

impl Operation {
    /// The operation's name, as in `"op"`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Add { .. } => "add",
            Self::Remove { .. } => "remove",
            Self::Replace { .. } => "replace",
            Self::Move { .. } => "move",
            Self::Copy { .. } => "copy",
            Self::Test { .. } => "test",
        }
    }

    /// The location the operation changes or tests.
    pub fn path(&self) -> &str {
        match self {
            Self::Add { path, .. }
            | Self::Remove { path }
            | Self::Replace { path, .. }
            | Self::Move { path, .. }
            | Self::Copy { path, .. }
            | Self::Test { path, .. } => path,
        }
    }
}

/// Reads a patch from its JSON form. Members an operation does not use are ignored.
pub fn parse_patch(value: &Value) -> Result<Patch, PatchError> {
    let Value::Array(items) = value else {
        return Err(PatchError::Invalid {
            index: 0,
            message: "a patch is a JSON array of operations".into(),
        });
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            parse_operation(item).map_err(|message| PatchError::Invalid { index, message })
        })
        .collect()
}

fn parse_operation(item: &Value) -> Result<Operation, String> {
    let object = item.as_object().ok_or("an operation is a JSON object")?;
    let text = |name: &str| -> Result<String, String> {
        match object.get(name) {
            Some(Value::String(text)) => Ok(text.clone()),
            Some(_) => Err(format!("'{name}' is not a string")),
            None => Err(format!("missing '{name}'")),
        }
    };
    let value = || {
        object
            .get("value")
            .cloned()
            .ok_or_else(|| "missing 'value'".to_owned())
    };
    let op = text("op")?;
    Ok(match op.as_str() {
        "add" => Operation::Add {
            path: text("path")?,
            value: value()?,
        },
        "remove" => Operation::Remove {
            path: text("path")?,
        },
        "replace" => Operation::Replace {
            path: text("path")?,
            value: value()?,
        },
        "move" => Operation::Move {
            from: text("from")?,
            path: text("path")?,
        },
        "copy" => Operation::Copy {
            from: text("from")?,
            path: text("path")?,
        },
        "test" => Operation::Test {
            path: text("path")?,
            value: value()?,
        },
        other => return Err(format!("unknown op '{other}'")),
    })
}

/// How many values (each object, array, string, number, `true`, `false` and `null` counts one)
/// the `copy` operations of one patch may copy together. RFC 6902 sets no bound, and each copy of
/// the root doubles the document: a 4 KB patch of thirty of them, found by fuzzing, asked for a
/// billion times the document and ran for 31 s. eventlens applies only the diffs it computes,
/// which never copy; this keeps any patch it is ever given to a few milliseconds of copying.
pub const COPY_LIMIT: usize = 1 << 20;

/// Applies `patch` to `doc`. All or nothing: on error `doc` is left unchanged. The values the
/// patch copies may number at most [`COPY_LIMIT`] in all; a copy past it fails.
pub fn apply(doc: &mut Value, patch: &[Operation]) -> Result<(), PatchError> {
    let mut work = doc.clone();
    let mut copies_left = COPY_LIMIT;
    for (index, operation) in patch.iter().enumerate() {
        apply_one(&mut work, operation, &mut copies_left).map_err(|message| {
            PatchError::Failed {
                index,
                op: operation.name(),
                path: operation.path().to_owned(),
                message,
            }
        })?;
    }
    *doc = work;
    Ok(())
}

fn apply_one(
    doc: &mut Value,
    operation: &Operation,
    copies_left: &mut usize,
) -> Result<(), String> {
    match operation {
        Operation::Add { path, value } => add(doc, path, value.clone()),
        Operation::Remove { path } => remove(doc, path).map(drop),
        Operation::Replace { path, value } => {
            *target_mut(doc, path)? = value.clone();
            Ok(())
        }
        Operation::Move { from, path } => {
            if path != from && path.starts_with(&format!("{from}/")) {
                return Err("cannot move a value into one of its own children".into());
            }
            let value = remove(doc, from)?;
            add(doc, path, value)
        }
        Operation::Copy { from, path } => {
            let source = target_mut(doc, from)?;
            *copies_left = values_within(source, *copies_left).ok_or_else(|| {
                format!("the patch's copies would copy more than {COPY_LIMIT} values")
            })?;
            let value = source.clone();
            add(doc, path, value)
        }
        Operation::Test { path, value } => {
            if json_equal(target_mut(doc, path)?, value) {
                Ok(())
            } else {
                Err("the value differs".into())
            }
        }
    }
}

/// `budget` less the number of values in `value`; `None` when they are more than `budget`. Stops
/// counting there, so a huge value costs no more than the budget to refuse.
fn values_within(value: &Value, budget: usize) -> Option<usize> {
    let mut left = budget.checked_sub(1)?;
    match value {
        Value::Array(items) => {
            for item in items {
                left = values_within(item, left)?;
            }
        }
        Value::Object(map) => {
            for item in map.values() {
                left = values_within(item, left)?;
            }
        }
        _ => {}
    }
    Some(left)
}

/// Splits `path` into the parent's tokens and the last token; `None` for the root.
fn split_last(path: &str) -> Result<Option<(Vec<String>, String)>, String> {
    let mut tokens = tokens(path).ok_or_else(|| format!("'{path}' is not a JSON Pointer"))?;
    Ok(tokens.pop().map(|last| (tokens, last)))
}

fn walk_mut<'v>(doc: &'v mut Value, tokens: &[String]) -> Result<&'v mut Value, String> {
    let mut current = doc;
    for token in tokens {
        current = match current {
            Value::Object(map) => map
                .get_mut(token)
                .ok_or_else(|| format!("no member '{token}'"))?,
            Value::Array(items) => {
                let len = items.len();
                let index =
                    array_index(token).ok_or_else(|| format!("'{token}' is not an array index"))?;
                items
                    .get_mut(index)
                    .ok_or_else(|| format!("index {index} is past the end ({len} elements)"))?
            }
            _ => return Err(format!("cannot look up '{token}' in a scalar")),
        };
    }
    Ok(current)
}

fn target_mut<'v>(doc: &'v mut Value, path: &str) -> Result<&'v mut Value, String> {
    let tokens = tokens(path).ok_or_else(|| format!("'{path}' is not a JSON Pointer"))?;
    walk_mut(doc, &tokens)
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let Some((parent, last)) = split_last(path)? else {
        *doc = value;
        return Ok(());
    };
    match walk_mut(doc, &parent)? {
        Value::Object(map) => {
            map.insert(last, value);
            Ok(())
        }
        Value::Array(items) => {
            let index = if last == "-" {
                items.len()
            } else {
                array_index(&last).ok_or_else(|| format!("'{last}' is not an array index"))?
            };
            if index > items.len() {
                return Err(format!(
                    "index {index} is past the end ({} elements)",
                    items.len()
                ));
            }
            items.insert(index, value);
            Ok(())
        }
        _ => Err("the parent is not an object or an array".into()),
    }
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, String> {
    let Some((parent, last)) = split_last(path)? else {
        return Ok(std::mem::replace(doc, Value::Null));
    };
    match walk_mut(doc, &parent)? {
        Value::Object(map) => map
            .shift_remove(&last)
            .ok_or_else(|| format!("no member '{last}'")),
        Value::Array(items) => {
            let index =
                array_index(&last).ok_or_else(|| format!("'{last}' is not an array index"))?;
            if index >= items.len() {
                return Err(format!(
                    "index {index} is past the end ({} elements)",
                    items.len()
                ));
            }
            Ok(items.remove(index))
        }
        _ => Err("the parent is not an object or an array".into()),
    }
}

/// JSON equality as RFC 6902's `test` defines it: numbers by value (`1` = `1.0`), objects
/// regardless of member order.
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => numbers_equal(&x.to_string(), &y.to_string()),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => objects_equal(x, y),
        _ => a == b,
    }
}

fn objects_equal(x: &Map<String, Value>, y: &Map<String, Value>) -> bool {
    x.len() == y.len()
        && x.iter()
            .all(|(name, a)| y.get(name).is_some_and(|b| json_equal(a, b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[allow(clippy::needless_pass_by_value)] // reads best with json! literals
    fn patched(doc: Value, patch: Value) -> Result<Value, PatchError> {
        let mut doc = doc;
        apply(&mut doc, &parse_patch(&patch)?)?;
        Ok(doc)
    }

    #[test]
    fn applies_each_operation() {
        let doc = json!({"a": [1, 2, 3], "b": {"c": 1}});
        let out = patched(
            doc,
            json!([
                {"op": "add", "path": "/a/1", "value": 9},
                {"op": "remove", "path": "/a/0"},
                {"op": "replace", "path": "/b/c", "value": 2},
                {"op": "move", "from": "/b/c", "path": "/d"},
                {"op": "copy", "from": "/d", "path": "/a/-"},
                {"op": "test", "path": "/d", "value": 2.0}
            ]),
        )
        .unwrap();
        assert_eq!(out, json!({"a": [9, 2, 3, 2], "b": {}, "d": 2}));
    }

    #[test]
    fn failures_leave_the_document_alone() {
        let mut doc = json!({"a": 1});
        let patch =
            parse_patch(&json!([{"op": "remove", "path": "/a"}, {"op": "remove", "path": "/zz"}]))
                .unwrap();
        let error = apply(&mut doc, &patch).unwrap_err();
        assert_eq!(
            error.to_string(),
            "operation 1 (remove /zz): no member 'zz'"
        );
        assert_eq!(doc, json!({"a": 1}));
        assert!(parse_patch(&json!([{"op": "add", "path": "/a"}])).is_err());
        assert!(
            patched(
                json!({"a": {"b": 1}}),
                json!([{"op": "move", "from": "/a", "path": "/a/b/c"}])
            )
            .is_err()
        );
    }

    /// The fuzzer's slow unit: thirty copies of the whole document into a new member of itself,
    /// each doubling it. The patch fails at the copy that would pass the bound, and leaves the document alone.
    #[test]
    fn copies_that_double_the_document_stop_at_the_bound() {
        let start = json!({"a": {"b": [1, 2]}});
        let copies = (0..30).map(|k| json!({"op": "copy", "from": "", "path": format!("/c{k}")}));
        let patch = parse_patch(&Value::Array(copies.collect())).unwrap();
        let mut doc = start.clone();
        let error = apply(&mut doc, &patch).unwrap_err();
        // Copy k copies 5·2^k values, 5·(2^(k+1) − 1) in all: past 2^20 at k = 17.
        assert_eq!(
            error.to_string(),
            "operation 17 (copy /c17): the patch's copies would copy more than 1048576 values"
        );
        assert_eq!(doc, start);
    }

    #[test]
    fn copies_up_to_the_bound_apply() {
        // An array and its 1 048 575 items: exactly the bound, copied once.
        let start = json!({"a": vec![0; COPY_LIMIT - 1]});
        let once = parse_patch(&json!([{"op": "copy", "from": "/a", "path": "/b"}])).unwrap();
        let mut doc = start.clone();
        apply(&mut doc, &once).unwrap();
        assert_eq!(doc["b"], start["a"]);
        let twice = parse_patch(&json!([
            {"op": "copy", "from": "/a", "path": "/b"},
            {"op": "copy", "from": "/a/0", "path": "/c"}
        ]))
        .unwrap();
        let mut doc = start.clone();
        let error = apply(&mut doc, &twice).unwrap_err();
        assert!(
            error.to_string().starts_with("operation 1 (copy /c)"),
            "{error}"
        );
        assert_eq!(
            values_within(&start, usize::MAX),
            Some(usize::MAX - COPY_LIMIT - 1)
        );
    }
}
