//! Property tests: a diff applied to its before-state gives the after-state, and a state
//! reached through checkpoints equals a full replay.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::path::Path;

use eventlens::diff::{Operation, apply, diff, json_equal};
use eventlens::replay::{MergePatch, Replay};
use eventlens::store::{ReadOptions, Store};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// JSON values with small keys, so that objects often share members and arrays often share
/// elements; keys that are empty, non-ASCII or hold `~` and `/` (which JSON Pointer escapes);
/// numbers in the spellings stores use, beyond 64 bits and spelled differently for one value;
/// nesting deeper than the states of the sample.
fn json() -> impl Strategy<Value = Value> {
    let number = prop_oneof![
        4 => any::<i64>().prop_map(|n| n.to_string()),
        4 => (0u32..100_000, 0u32..100).prop_map(|(a, b)| format!("{a}.{b:02}")),
        1 => prop::sample::select(vec![
            "1e-7",
            "18446744073709551615",
            "-18446744073709551616",
            "123456789012345678901234567890",
            "0.12345678901234567890123",
            "1E2",
            "100",
            "1e2",
            "-0",
            "0",
            "1.0",
            "1",
            "-0.0",
            "1e400",
        ])
        .prop_map(str::to_owned),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number.prop_map(|text| serde_json::from_str(&text).unwrap()),
        "[a-c/~é]{0,3}".prop_map(Value::String),
    ];
    leaf.prop_recursive(7, 64, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(("[a-d/~é😀]{0,2}", inner), 0..5)
                .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// An object and a variation of it: members changed, dropped or added, array elements moved,
/// at the top or in a member or element further down.
fn related_pair() -> impl Strategy<Value = (Value, Value)> {
    (json(), json(), any::<u64>()).prop_map(|(a, b, mix)| {
        let mut c = a.clone();
        edit(&mut c, b, mix);
        (a, c)
    })
}

/// Changes `value` with the help of `other`, or one of its members or elements (chosen by
/// `mix`) further down.
fn edit(value: &mut Value, other: Value, mix: u64) {
    let below = match value {
        Value::Object(members) if !members.is_empty() => {
            let at = (mix as usize >> 8) % members.len();
            members.iter_mut().nth(at).map(|(_, v)| v)
        }
        Value::Array(items) if !items.is_empty() => {
            let at = (mix as usize >> 8) % items.len();
            items.get_mut(at)
        }
        _ => None,
    };
    if let Some(below) = below.filter(|_| mix % 4 == 1) {
        edit(below, other, mix.rotate_right(11));
        return;
    }
    if let (Value::Object(target), Value::Object(extra)) = (&mut *value, &other) {
        for (i, (k, v)) in extra.iter().enumerate() {
            if (mix >> (i % 64)) & 1 == 1 {
                target.insert(k.clone(), v.clone());
            } else {
                target.shift_remove(k);
            }
        }
    } else if let (Value::Array(items), true) = (&mut *value, mix.is_multiple_of(3)) {
        if !items.is_empty() {
            let at = (mix as usize / 3) % items.len();
            let taken = items.remove(at);
            items.push(taken);
        }
    } else {
        *value = other;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn diffs_apply_to_their_after_state((before, after) in related_pair()) {
        let patch = diff(&before, &after);
        let mut patched = before.clone();
        apply(&mut patched, &patch).unwrap();
        // Numbers by value: `1E2` in place of `100` is no change (RFC 6902's equality).
        prop_assert!(json_equal(&patched, &after), "{} then {:?} gives {}, not {}", before, patch, patched, after);
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
    fn a_merge_patch_read_from_text_is_the_merge_of_its_tree(base in json(), patch in json()) {
        use eventlens::replay::{merge_patch, merge_patch_text};
        let mut from_tree = base.clone();
        merge_patch(&mut from_tree, &patch);
        let mut from_text = base;
        merge_patch_text(&mut from_text, &patch.to_string()).unwrap();
        prop_assert_eq!(from_text.to_string(), from_tree.to_string());
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

/// Events of a few streams with times that mostly go forward, sometimes back or missing, so
/// that the store-wide fold meets both of the ways it finds a moment.
fn timed_events() -> impl Strategy<Value = Vec<(u8, Option<u8>, Value)>> {
    prop::collection::vec(
        (0u8..5, prop::option::weighted(0.9, 0u8..60), json()),
        1..300,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// `table --at-time T` is `state --at-time T` stream by stream: the store-wide fold, moved
    /// from moment to moment, agrees with each stream folded on its own.
    #[test]
    fn the_store_wide_fold_equals_each_stream_s_state(events in timed_events(), moments in prop::collection::vec((any::<bool>(), 0u64..70), 1..10)) {
        use eventlens::replay::{Folds, Moment};
        use eventlens::store::parse_instant;
        use std::sync::Arc;
        let mut sorted: Vec<_> = events.iter().enumerate().collect();
        // Mostly in time order, as stores are, with the stragglers where they fell.
        sorted.sort_by_key(|(i, (_, minute, _))| minute.map_or(*i, |m| usize::from(m) * 5));
        let lines: Vec<String> = sorted
            .iter()
            .map(|(_, (stream, minute, data))| {
                let time = minute.map_or(String::new(), |m| format!(",\"time\":\"2024-03-01T10:{m:02}:00Z\""));
                format!("{{\"stream\":\"s-{stream}\",\"type\":\"T\"{time},\"data\":{data}}}\n")
            })
            .collect();
        let text = lines.concat();
        let store = Store::from_bytes(Path::new("p.jsonl"), text.into_bytes(), &ReadOptions::default()).unwrap();
        let mut folds = Folds::new(Arc::new(MergePatch));
        for (by_time, at) in moments {
            let moment = if by_time {
                Moment::Time(parse_instant(&format!("2024-03-01T10:{:02}:00Z", at.min(59))).unwrap())
            } else {
                Moment::Position(at * 4)
            };
            folds.move_to(&store, moment, |_| true);
            for (i, stream) in store.streams().iter().enumerate() {
                let mut replay = Replay::new(&store, stream, &MergePatch);
                let count = moment.point().count(&store, stream).unwrap();
                let folded = folds.state(i as u32);
                prop_assert_eq!(folded.map(|f| f.count), (count > 0).then_some(count), "{} at {:?}", stream.id, moment);
                if let Some(folded) = folded {
                    prop_assert_eq!(folded.value(), replay.state_at(moment.point()).unwrap());
                }
            }
        }
    }
}
