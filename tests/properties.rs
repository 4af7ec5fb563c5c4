//! Property tests: a diff applied to its before-state gives the after-state, and a state
//! reached through checkpoints equals a full replay.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::path::Path;

use eventlens::diff::{Operation, apply, diff};
use eventlens::replay::{MergePatch, Replay};
use eventlens::store::{ReadOptions, Store};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// JSON values with small keys, so that objects often share members and arrays often share
/// elements, and numbers in the spellings stores use.
fn json() -> impl Strategy<Value = Value> {
    let number = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (0u32..100_000, 0u32..100).prop_map(|(a, b)| format!("{a}.{b:02}")),
        Just("1e-7".to_owned()),
        Just("18446744073709551615".to_owned()),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number.prop_map(|text| serde_json::from_str(&text).unwrap()),
        "[a-c/~]{0,3}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-d/~]{1,2}", inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// An object and a variation of it: members changed, dropped or added, array elements moved.
fn related_pair() -> impl Strategy<Value = (Value, Value)> {
    (json(), json(), any::<u64>()).prop_map(|(a, b, mix)| {
        let mut c = a.clone();
        if let (Value::Object(target), Value::Object(extra)) = (&mut c, &b) {
            for (i, (k, v)) in extra.iter().enumerate() {
                if (mix >> (i % 64)) & 1 == 1 {
                    target.insert(k.clone(), v.clone());
                } else {
                    target.shift_remove(k);
                }
            }
        } else if let (Value::Array(items), true) = (&mut c, mix % 3 == 0) {
            if !items.is_empty() {
                let at = (mix as usize / 3) % items.len();
                let taken = items.remove(at);
                items.push(taken);
            }
        } else {
            c = b;
        }
        (a, c)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn diffs_apply_to_their_after_state((before, after) in related_pair()) {
        let patch = diff(&before, &after);
        let mut patched = before.clone();
        apply(&mut patched, &patch).unwrap();
        prop_assert_eq!(&patched, &after);
        if before == after {
            prop_assert!(patch.is_empty());
        }
    }

    #[test]
    fn one_member_change_is_one_replace(base in prop::collection::vec(("[a-f]{1,3}", json()), 1..8), index in any::<prop::sample::Index>(), new in json()) {
        let before = Value::Object(base.into_iter().collect());
        let key = before.as_object().unwrap().keys().nth(index.index(before.as_object().unwrap().len())).unwrap().clone();
        let mut after = before.clone();
        after[&key] = Value::Array(vec![new]);
        let patch = diff(&before, &after);
        let prefix = format!("/{key}");
        let all_under_key = patch.iter().all(|op| op.path().starts_with(&prefix));
        prop_assert!(all_under_key);
        if !before[&key].is_array() {
            let is_replace = matches!(patch.as_slice(), [Operation::Replace { .. }]);
            prop_assert!(is_replace, "{:?}", patch);
        }
    }

    #[test]
    fn checkpoints_equal_a_full_replay(patches in prop::collection::vec(json(), 1..400), probes in prop::collection::vec(any::<prop::sample::Index>(), 1..12)) {
        let text = patches.iter().map(|data| format!("{{\"stream\":\"s\",\"type\":\"T\",\"data\":{data}}}\n")).collect::<Vec<_>>().concat();
        let store = Store::from_bytes(Path::new("p.jsonl"), text.into_bytes(), &ReadOptions::default()).unwrap();
        let stream = store.stream("s").unwrap();
        let mut replay = Replay::new(&store, stream, &MergePatch);
        let mut full = Vec::new();
        replay.walk(patches.len(), |_, _, state| full.push(state.clone()));
        for probe in probes {
            let count = probe.index(patches.len() + 1);
            let expected = if count == 0 { Value::Object(Map::new()) } else { full[count - 1].clone() };
            prop_assert_eq!(replay.state_after(count), expected, "after {} events", count);
        }
    }
}
