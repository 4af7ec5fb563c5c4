//! Blame of a JSON Pointer: which events changed the value at or below it, with old and new.
//! The tracker watches successive states; whoever folds the stream feeds it.

use serde::Serialize;
use serde_json::Value;

/// How an event changed the value at a pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeOp {
    /// The value appeared.
    Add,
    /// The value (or something below it) changed.
    Replace,
    /// The value went away.
    Remove,
}

impl ChangeOp {
    /// The lowercase name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Replace => "replace",
            Self::Remove => "remove",
        }
    }
}

/// One change at the pointer: the value before (absent for an add) and after (absent for a
/// remove).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub op: ChangeOp,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// Follows the value at one pointer through successive states.
#[derive(Debug, Clone)]
pub struct BlameTracker {
    pointer: String,
    current: Option<Value>,
}

impl BlameTracker {
    /// Starts following `pointer` (RFC 6901) from `initial`. `None` if it is not a pointer.
    pub fn new(pointer: &str, initial: &Value) -> Option<Self> {
        if !pointer.is_empty() && !pointer.starts_with('/') {
            return None;
        }
        Some(Self {
            pointer: pointer.to_owned(),
            current: initial.pointer(pointer).cloned(),
        })
    }

    /// Looks at the next state; `Some` if the value at the pointer differs from the last one.
    pub fn observe(&mut self, state: &Value) -> Option<Change> {
        let now = state.pointer(&self.pointer);
        if now == self.current.as_ref() {
            return None;
        }
        let op = match (&self.current, now) {
            (None, _) => ChangeOp::Add,
            (Some(_), None) => ChangeOp::Remove,
            (Some(_), Some(_)) => ChangeOp::Replace,
        };
        let new = now.cloned();
        let old = std::mem::replace(&mut self.current, new.clone());
        Some(Change { op, old, new })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_adds_changes_below_and_removes() {
        let mut tracker = BlameTracker::new("/items/a", &json!({})).unwrap();
        let states = [
            json!({"items": {"a": {"qty": 1}}}),
            json!({"items": {"a": {"qty": 1}}, "x": 1}),
            json!({"items": {"a": {"qty": 6}}}),
            json!({"items": {}}),
        ];
        let changes: Vec<_> = states
            .iter()
            .map(|s| tracker.observe(s).map(|c| c.op))
            .collect();
        assert_eq!(
            changes,
            [
                Some(ChangeOp::Add),
                None,
                Some(ChangeOp::Replace),
                Some(ChangeOp::Remove)
            ]
        );
        assert!(BlameTracker::new("items", &json!({})).is_none());
    }
}
