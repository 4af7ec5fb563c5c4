//! Computing the JSON Patch from one state to another. Patches are small: a changed member is
//! one `replace` at its own path, a removed member or array element is one `remove`, and array
//! elements are matched by a longest common subsequence so that an insertion in the middle
//! does not rewrite everything after it.

use serde_json::Value;

use super::patch::{Operation, Patch};
use super::pointer::child;

/// Arrays whose changed middles are larger than this many element pairs are compared
/// position by position instead of by LCS, bounding the work at about 4 MB of table.
const LCS_CELLS_MAX: usize = 1 << 20;

/// The RFC 6902 patch that turns `before` into `after`.
pub fn diff(before: &Value, after: &Value) -> Patch {
    let mut ops = Vec::new();
    diff_at("", before, after, &mut ops);
    ops
}

fn diff_at(path: &str, before: &Value, after: &Value, ops: &mut Patch) {
    if before == after {
        return;
    }
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => {
            for name in old.keys().filter(|name| !new.contains_key(*name)) {
                ops.push(Operation::Remove {
                    path: child(path, name),
                });
            }
            for (name, value) in new {
                match old.get(name) {
                    Some(previous) => diff_at(&child(path, name), previous, value, ops),
                    None => ops.push(Operation::Add {
                        path: child(path, name),
                        value: value.clone(),
                    }),
                }
            }
        }
        (Value::Array(old), Value::Array(new)) => diff_arrays(path, old, new, ops),
        _ => ops.push(Operation::Replace {
            path: path.to_owned(),
            value: after.clone(),
        }),
    }
}

/// A stretch of an array edit: elements kept, or `removed` old elements giving way to
/// `inserted` new ones (starting at `old_at` and `new_at`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stretch {
    Keep(usize),
    Change {
        old_at: usize,
        removed: usize,
        new_at: usize,
        inserted: usize,
    },
}

fn diff_arrays(path: &str, old: &[Value], new: &[Value], ops: &mut Patch) {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let old_mid = &old[prefix..old.len() - suffix];
    let new_mid = &new[prefix..new.len() - suffix];
    let stretches = if old_mid.len().saturating_mul(new_mid.len()) <= LCS_CELLS_MAX {
        lcs_stretches(old_mid, new_mid)
    } else {
        vec![Stretch::Change {
            old_at: 0,
            removed: old_mid.len(),
            new_at: 0,
            inserted: new_mid.len(),
        }]
    };
    // `at` is the index in the array as it is after the operations emitted so far.
    let mut at = prefix;
    for stretch in stretches {
        match stretch {
            Stretch::Keep(count) => at += count,
            Stretch::Change {
                old_at,
                removed,
                new_at,
                inserted,
            } => {
                let paired = removed.min(inserted);
                for k in 0..paired {
                    diff_at(
                        &child(path, &at.to_string()),
                        &old_mid[old_at + k],
                        &new_mid[new_at + k],
                        ops,
                    );
                    at += 1;
                }
                for _ in paired..removed {
                    ops.push(Operation::Remove {
                        path: child(path, &at.to_string()),
                    });
                }
                for k in paired..inserted {
                    ops.push(Operation::Add {
                        path: child(path, &at.to_string()),
                        value: new_mid[new_at + k].clone(),
                    });
                    at += 1;
                }
            }
        }
    }
}

/// The edit from `old` to `new` along a longest common subsequence, as stretches.
fn lcs_stretches(old: &[Value], new: &[Value]) -> Vec<Stretch> {
    let (n, m) = (old.len(), new.len());
    // lengths[i * (m + 1) + j]: LCS length of old[i..] and new[j..].
    let mut lengths = vec![0u32; (n + 1) * (m + 1)];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lengths[i * (m + 1) + j] = if old[i] == new[j] {
                lengths[(i + 1) * (m + 1) + j + 1] + 1
            } else {
                lengths[(i + 1) * (m + 1) + j].max(lengths[i * (m + 1) + j + 1])
            };
        }
    }
    let mut stretches = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            match stretches.last_mut() {
                Some(Stretch::Keep(count)) => *count += 1,
                _ => stretches.push(Stretch::Keep(1)),
            }
            i += 1;
            j += 1;
            continue;
        }
        let remove =
            j == m || (i < n && lengths[(i + 1) * (m + 1) + j] >= lengths[i * (m + 1) + j + 1]);
        if !matches!(stretches.last(), Some(Stretch::Change { .. })) {
            stretches.push(Stretch::Change {
                old_at: i,
                removed: 0,
                new_at: j,
                inserted: 0,
            });
        }
        if let Some(Stretch::Change {
            removed, inserted, ..
        }) = stretches.last_mut()
        {
            if remove {
                *removed += 1;
                i += 1;
            } else {
                *inserted += 1;
                j += 1;
            }
        }
    }
    stretches
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::apply;
    use serde_json::json;

    #[allow(clippy::needless_pass_by_value)] // reads best with json! literals
    fn check(before: Value, after: Value) -> Value {
        let patch = diff(&before, &after);
        let mut applied = before;
        apply(&mut applied, &patch).unwrap();
        assert_eq!(applied, after);
        serde_json::to_value(&patch).unwrap()
    }

    #[test]
    fn one_change_is_one_operation() {
        assert_eq!(
            check(
                json!({"a": {"qty": 2}, "b": 1}),
                json!({"a": {"qty": 6}, "b": 1})
            ),
            json!([{"op": "replace", "path": "/a/qty", "value": 6}])
        );
        assert_eq!(
            check(json!({"a": 1, "b": 2}), json!({"b": 2})),
            json!([{"op": "remove", "path": "/a"}])
        );
        assert_eq!(
            check(json!([1, 2, 3, 4]), json!([1, 3, 4])),
            json!([{"op": "remove", "path": "/1"}])
        );
        assert_eq!(
            check(json!([1, 2, 3]), json!([1, 9, 2, 3])),
            json!([{"op": "add", "path": "/1", "value": 9}])
        );
        assert_eq!(check(json!({}), json!({})), json!([]));
    }

    #[test]
    fn changed_elements_are_diffed_inside() {
        let before = json!({"items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}]});
        let after = json!({"items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 5}]});
        assert_eq!(
            check(before, after),
            json!([{"op": "replace", "path": "/items/1/qty", "value": 5}])
        );
    }

    #[test]
    fn pointers_are_escaped_and_roots_replaced() {
        assert_eq!(
            check(json!({"a/b": 1, "m~n": 1}), json!({"a/b": 2, "m~n": 1})),
            json!([{"op": "replace", "path": "/a~1b", "value": 2}])
        );
        assert_eq!(
            check(json!({"a": 1}), json!([1])),
            json!([{"op": "replace", "path": "", "value": [1]}])
        );
    }

    #[test]
    fn mixed_array_edits_apply_in_order() {
        check(json!([1, 2, 3, 4, 5, 6]), json!([0, 2, 4, 7, 8, 6, 9]));
        check(
            json!([[1, 2], {"a": 1}, 3]),
            json!([{"a": 2}, [1, 2], 3, 3]),
        );
        check(json!(["x", "x", "x"]), json!([]));
    }
}
