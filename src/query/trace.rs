//! One business transaction across streams: the events that share an event's correlation id,
//! and how they caused each other (causation ids naming event ids), as DESIGN.md's "Across
//! streams" says. Store-wide, in parallel; a text search narrows the events whose metadata is
//! parsed to those that can hold the correlation id at all.

use std::collections::HashMap;

use rayon::prelude::*;
use serde_json::Value;

use crate::store::Store;

/// Where an event keeps its correlation and causation ids: by default the first of the usual
/// meta members that is there; or a JSON Pointer into the whole record
/// (`--correlation-field`, `--causation-field`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkFields {
    pub correlation: Option<String>,
    pub causation: Option<String>,
}

/// The meta members looked for, in order (KurrentDB's, Marten's and the common spellings).
pub const CORRELATION_MEMBERS: [&str; 4] = [
    "correlationId",
    "correlation_id",
    "$correlationId",
    "correlationid",
];
pub const CAUSATION_MEMBERS: [&str; 4] =
    ["causationId", "causation_id", "$causationId", "causationid"];

impl LinkFields {
    /// Where the correlation id is looked for, in words: for a message that found none.
    pub fn describe_correlation(&self) -> String {
        match &self.correlation {
            Some(pointer) => format!("the record's {pointer}"),
            None => format!(
                "meta.{} (or the same in meta.headers)",
                CORRELATION_MEMBERS.join(", meta.")
            ),
        }
    }

    /// The correlation id of the store's event `index`, as text (a number as written).
    pub fn correlation(&self, store: &Store, index: u32) -> Option<String> {
        link(
            store,
            index,
            self.correlation.as_deref(),
            &CORRELATION_MEMBERS,
        )
    }

    /// The causation id of the store's event `index`: the id of the event that caused it.
    pub fn causation(&self, store: &Store, index: u32) -> Option<String> {
        link(store, index, self.causation.as_deref(), &CAUSATION_MEMBERS)
    }
}

/// The id at `pointer` in the record, or in the first of `members` of its meta, or of its
/// meta's `headers` (where Kafka's records keep them).
fn link(store: &Store, index: u32, pointer: Option<&str>, members: &[&str]) -> Option<String> {
    if let Some(pointer) = pointer {
        let record: Value = serde_json::from_str(store.record(index)?).ok()?;
        return id_text(record.pointer(pointer).cloned()?);
    }
    let meta = store.event(index).meta_json()?;
    let Value::Object(mut meta) = serde_json::from_str(meta).ok()? else {
        return None;
    };
    if let Some(id) = members.iter().find_map(|m| meta.remove(*m)) {
        return id_text(id);
    }
    let Value::Object(mut headers) = meta.remove("headers")? else {
        return None;
    };
    id_text(members.iter().find_map(|m| headers.remove(*m))?)
}

/// An id as text: a string as it is, a number as written; nothing for null, objects, arrays.
fn id_text(value: Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The first event (store order) with this id.
pub fn find_id(store: &Store, id: &str) -> Option<u32> {
    (0..store.events().len() as u32)
        .into_par_iter()
        .find_first(|&i| store.event(i).id() == Some(id))
}

/// The events of one correlation, in store order, each with the id that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    pub correlation: String,
    /// Indices into the store's events, in store order.
    pub events: Vec<u32>,
    /// Each event's causation id, or `None`.
    pub caused_by: Vec<Option<String>>,
}

/// Every event that shares the correlation id of the store's event `index`; `None` when that
/// event has none.
pub fn trace(store: &Store, index: u32, fields: &LinkFields) -> Option<Trace> {
    let correlation = fields.correlation(store, index)?;
    // Only records whose text holds the id can have it. An id that JSON would escape (quotes,
    // backslashes, control characters) is looked for in every record.
    let plain = !correlation
        .chars()
        .any(|c| c == '"' || c == '\\' || c.is_control() || !c.is_ascii());
    let finder = memchr::memmem::Finder::new(correlation.as_bytes());
    let may_hold = |i: u32| {
        !plain
            || store
                .record(i)
                .is_some_and(|r| finder.find(r.as_bytes()).is_some())
    };
    let events: Vec<u32> = (0..store.events().len() as u32)
        .into_par_iter()
        .filter(|&i| {
            may_hold(i) && fields.correlation(store, i).as_deref() == Some(correlation.as_str())
        })
        .collect();
    let caused_by = events
        .par_iter()
        .map(|&i| fields.causation(store, i))
        .collect();
    Some(Trace {
        correlation,
        events,
        caused_by,
    })
}

/// Every event's correlation id, as a 64-bit hash beside the event's index, sorted: built once
/// per store (16 bytes an event that has one), it answers a trace with the events of one
/// correlation instead of a search of the store, as the window needs on every cursor move.
pub struct TraceIndex {
    fields: LinkFields,
    by_correlation: Vec<(u64, u32)>,
}

fn hash_of(id: &str) -> u64 {
    std::hash::BuildHasher::hash_one(&rustc_hash::FxBuildHasher, id)
}

impl TraceIndex {
    /// Reads every event's correlation id, on every core.
    pub fn build(store: &Store, fields: &LinkFields) -> Self {
        let mut by_correlation: Vec<(u64, u32)> = (0..store.events().len() as u32)
            .into_par_iter()
            .filter_map(|i| Some((hash_of(&fields.correlation(store, i)?), i)))
            .collect();
        by_correlation.par_sort_unstable();
        Self {
            fields: fields.clone(),
            by_correlation,
        }
    }

    /// The fields the index was built with.
    pub fn fields(&self) -> &LinkFields {
        &self.fields
    }

    /// What [`trace`] finds, from the index.
    pub fn trace(&self, store: &Store, index: u32) -> Option<Trace> {
        let correlation = self.fields.correlation(store, index)?;
        let hash = hash_of(&correlation);
        let first = self.by_correlation.partition_point(|&(h, _)| h < hash);
        // Equal hashes are in store order; two ids with one hash are told apart by their text.
        let events: Vec<u32> = self.by_correlation[first..]
            .iter()
            .take_while(|&&(h, _)| h == hash)
            .map(|&(_, i)| i)
            .filter(|&i| self.fields.correlation(store, i).as_deref() == Some(&*correlation))
            .collect();
        let caused_by = events
            .iter()
            .map(|&i| self.fields.causation(store, i))
            .collect();
        Some(Trace {
            correlation,
            events,
            caused_by,
        })
    }
}

/// A trace as a causation tree: each event under the event that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    /// Positions in [`Trace::events`] with their depth, depth first, children in store order.
    pub rows: Vec<(usize, usize)>,
    /// Causation cycles met, each as the positions in [`Trace::events`] around it, in store
    /// order; the first event of each is drawn as a root.
    pub cycles: Vec<Vec<usize>>,
}

/// The moment of the store's event `index` for the states beside a trace: its time, or its
/// position in a store without times.
pub fn moment_of(store: &Store, index: u32) -> crate::replay::Point {
    use crate::replay::Point;
    let event = store.event(index);
    event
        .event
        .instant()
        .map_or(Point::Position(event.position()), Point::Time)
}

impl Trace {
    /// The streams the trace touches (indices into the store's streams), in the order it
    /// first touches them.
    pub fn streams(&self, store: &Store) -> Vec<u32> {
        let mut streams: Vec<u32> = Vec::new();
        for &i in &self.events {
            let stream = store.events()[i as usize].stream;
            if !streams.contains(&stream) {
                streams.push(stream);
            }
        }
        streams
    }

    /// The causation tree. An event whose cause is not in the trace (another correlation, an
    /// unknown id, none) is a root; so is the first event of a causation cycle, which is
    /// reported, never followed round.
    pub fn tree(&self, store: &Store) -> Tree {
        let n = self.events.len();
        let mut by_id: HashMap<&str, usize> = HashMap::new();
        for (k, &i) in self.events.iter().enumerate() {
            if let Some(id) = store.event(i).id() {
                by_id.entry(id).or_insert(k);
            }
        }
        let mut parent: Vec<Option<usize>> = self
            .caused_by
            .iter()
            .enumerate()
            .map(|(k, cause)| {
                cause
                    .as_deref()
                    .and_then(|c| by_id.get(c).copied())
                    .filter(|&p| p != k)
            })
            .collect();
        // Walk up from each event to a root or to an event walked before; an event met again
        // on the same walk closes a cycle, which is cut at its first event.
        let mut cycles = Vec::new();
        let (mut done, mut walking) = (vec![false; n], vec![false; n]);
        for start in 0..n {
            let mut path: Vec<usize> = Vec::new();
            let mut at = Some(start);
            while let Some(k) = at.filter(|&k| !done[k]) {
                if walking[k] {
                    let from = path.iter().position(|&p| p == k).unwrap_or(0);
                    let mut cycle = path[from..].to_vec();
                    cycle.sort_unstable();
                    parent[cycle[0]] = None;
                    cycles.push(cycle);
                    break;
                }
                walking[k] = true;
                path.push(k);
                at = parent[k];
            }
            for k in path {
                (done[k], walking[k]) = (true, false);
            }
        }
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (k, p) in parent.iter().enumerate() {
            if let Some(p) = p {
                children[*p].push(k);
            }
        }
        let mut rows = Vec::with_capacity(n);
        let mut stack: Vec<(usize, usize)> = (0..n)
            .rev()
            .filter(|&k| parent[k].is_none())
            .map(|k| (k, 0))
            .collect();
        while let Some((k, depth)) = stack.pop() {
            rows.push((k, depth));
            stack.extend(children[k].iter().rev().map(|&c| (c, depth + 1)));
        }
        Tree { rows, cycles }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::store::ReadOptions;

    fn store(lines: &[&str]) -> Store {
        let text = lines.join("\n").into_bytes();
        Store::from_bytes(Path::new("t.jsonl"), text, &ReadOptions::default()).unwrap()
    }

    fn event(stream: &str, id: &str, meta: &str) -> String {
        format!(r#"{{"stream":"{stream}","type":"T","id":"{id}","data":{{}},"meta":{meta}}}"#)
    }

    #[test]
    fn kafka_headers_hold_the_ids_too() {
        let kcat = |offset: u32, id: &str, headers: &str| {
            format!(
                r#"{{"topic":"orders","partition":0,"offset":{offset},"ts":1709280000000,"headers":{headers},"key":"order-1","payload":"{{\"type\":\"T\",\"id\":\"{id}\",\"data\":{{}}}}"}}"#
            )
        };
        let lines = [
            kcat(0, "a", r#"["correlationId","c1"]"#),
            kcat(1, "b", r#"["correlationId","c1","causationId","a"]"#),
            kcat(2, "x", r#"["correlationId","c2"]"#),
        ];
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let store = store(&lines);
        let fields = LinkFields::default();
        let trace = trace(&store, 1, &fields).unwrap();
        assert_eq!(trace.correlation, "c1");
        assert_eq!(trace.events, [0, 1]);
        assert_eq!(trace.caused_by, [None, Some("a".into())]);
        assert!(fields.describe_correlation().contains("meta.headers"));
    }

    #[test]
    fn a_trace_follows_the_correlation_and_draws_causes_as_a_tree() {
        let lines = [
            event("order-1", "a", r#"{"correlationId":"c1"}"#),
            event(
                "payment-1",
                "b",
                r#"{"correlationId":"c1","causationId":"a"}"#,
            ),
            event("order-2", "x", r#"{"correlationId":"c10"}"#),
            event(
                "order-1",
                "c",
                r#"{"$correlationId":"c1","$causationId":"b"}"#,
            ),
            event(
                "shipment-1",
                "d",
                r#"{"correlation_id":"c1","causation_id":"a"}"#,
            ),
            event("order-3", "y", r#"{"user":"c1"}"#),
        ];
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let store = store(&lines);
        let fields = LinkFields::default();
        let trace = trace(&store, find_id(&store, "c").unwrap(), &fields).unwrap();
        assert_eq!(trace.correlation, "c1");
        assert_eq!(
            trace.events,
            [0, 1, 3, 4],
            "not c10, not a c1 elsewhere in meta"
        );
        assert_eq!(
            trace.caused_by,
            [None, Some("a".into()), Some("b".into()), Some("a".into())]
        );
        let index = TraceIndex::build(&store, &fields);
        assert_eq!(
            index.trace(&store, 3),
            Some(trace.clone()),
            "the index finds the same"
        );
        assert_eq!(index.trace(&store, 5), None);
        let tree = trace.tree(&store);
        // a ├ b └ c, then d under a.
        assert_eq!(tree.rows, [(0, 0), (1, 1), (2, 2), (3, 1)]);
        assert!(tree.cycles.is_empty());
        assert_eq!(trace_of_none(&store), None);
    }

    fn trace_of_none(store: &Store) -> Option<Trace> {
        trace(store, find_id(store, "y")?, &LinkFields::default())
    }

    #[test]
    fn a_causation_cycle_is_reported_not_followed() {
        let lines = [
            event("s", "a", r#"{"correlationId":"k","causationId":"c"}"#),
            event("s", "b", r#"{"correlationId":"k","causationId":"a"}"#),
            event("t", "c", r#"{"correlationId":"k","causationId":"b"}"#),
            event("t", "d", r#"{"correlationId":"k","causationId":"b"}"#),
            event("t", "e", r#"{"correlationId":"k","causationId":"e"}"#),
        ];
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let store = store(&lines);
        let trace = trace(&store, 0, &LinkFields::default()).unwrap();
        let tree = trace.tree(&store);
        assert_eq!(tree.cycles, [vec![0, 1, 2]]);
        // The cycle is cut at its first event; an event caused by itself is a root.
        assert_eq!(tree.rows, [(0, 0), (1, 1), (2, 2), (3, 2), (4, 0)]);
    }

    #[test]
    fn the_fields_can_be_named_by_pointer() {
        let lines = [
            r#"{"stream":"s","type":"T","id":"a","data":{"tx":7}}"#,
            r#"{"stream":"t","type":"T","id":"b","data":{"tx":7,"by":"a"}}"#,
            r#"{"stream":"u","type":"T","id":"c","data":{"tx":77}}"#,
        ];
        let store = store(&lines);
        let fields = LinkFields {
            correlation: Some("/data/tx".into()),
            causation: Some("/data/by".into()),
        };
        let trace = trace(&store, 1, &fields).unwrap();
        assert_eq!(
            (trace.correlation.as_str(), &trace.events[..]),
            ("7", &[0, 1][..])
        );
        assert_eq!(trace.caused_by, [None, Some("a".into())]);
        assert_eq!(fields.describe_correlation(), "the record's /data/tx");
    }
}
