//! The Read model table's worker: every stream folded to the moment asked for (the shared
//! store-wide fold), the filters run again only on the streams whose state changed, the rows
//! sorted.

use std::cmp::Ordering;
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use rustc_hash::FxHashSet;
use serde_json::Value;

use super::SharedFolds;
use crate::gui::inspect::{Fold, StoreRef};
use crate::gui::job::{Answers, Asked, Repaint, Worker, newest};
use crate::query::Doc;
use crate::query::read_model::{Filters, selected};
use crate::replay::{Folds, Moment};
use crate::store::Store;

/// What the table is asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct TableAsk {
    pub store: StoreRef,
    pub fold: Fold,
    pub moment: Moment,
    /// (name, filter) each.
    pub columns: Vec<(String, String)>,
    pub where_: Option<String>,
    /// Column to sort by (into `columns`) and whether descending; `None`: by stream id.
    pub sort: Option<(usize, bool)>,
}

/// One stream at the moment.
#[derive(Debug, Clone)]
pub struct TableRow {
    pub stream: u32,
    /// Events of the stream applied at the moment (an event index is 32 bits, so a stream's
    /// count is too; 32 bytes a row, and the window holds two tables while one replaces the
    /// other).
    pub count: u32,
    pub seq: u64,
    pub values: Arc<[Value]>,
}

/// The table at a moment.
#[derive(Debug)]
pub struct TableAnswer {
    pub ask: TableAsk,
    pub rows: Vec<TableRow>,
    /// Streams with an event at the moment, before the filter.
    pub streams: usize,
    /// Streams whose state the step changed (and whose filters ran again).
    pub changed: usize,
    pub took: Duration,
}

impl Answers<TableAsk> for TableAnswer {
    fn ask(&self) -> &TableAsk {
        &self.ask
    }
}

/// The table's worker, seen from the window.
pub type Table = Asked<TableAsk, TableAnswer>;

/// Starts the table's worker, folding with `folds`.
pub fn start(folds: SharedFolds, repaint: Repaint) -> Table {
    Asked::start("read-model", repaint, move |asks, worker| {
        serve(asks, &folds, worker);
    })
}

/// What the filters found on one stream's state, for the count of events it was folded to.
#[derive(Clone)]
struct Evaluated {
    /// The seq of the stream's last event applied.
    seq: u64,
    count: u32,
    passes: bool,
    /// Shared with every other stream of the same piece of work whose columns came out the
    /// same ([`Interned`]).
    values: Arc<[Value]>,
}

/// The columns' values of one piece of the table's work, each distinct row of them kept
/// once: a column such as `.status` has a handful of values over 150 000 streams, which
/// kept apart were the view's largest allocation (a vector and a string per stream, 12 MB).
/// Bounded, so that a column of values that are all different costs no more than before.
#[derive(Default)]
struct Interned {
    seen: FxHashSet<Arc<[Value]>>,
}

impl Interned {
    /// Distinct rows kept at most (each piece of work has its own).
    const MOST: usize = 4096;

    fn get(&mut self, values: Vec<Value>) -> Arc<[Value]> {
        if let Some(same) = self.seen.get(values.as_slice()) {
            return same.clone();
        }
        let values: Arc<[Value]> = values.into();
        if self.seen.len() < Self::MOST {
            self.seen.insert(values.clone());
        }
        values
    }
}

/// What the filters' results are for: the fold, the columns, the filter.
type Evaluating = (u64, Vec<(String, String)>, Option<String>);

fn serve(asks: &Receiver<TableAsk>, shared: &SharedFolds, worker: &Worker<TableAnswer>) {
    // Per stream, the filters' results at the count of events last evaluated, for the fold,
    // store and filters of `evaluated_for`.
    let mut evaluated: Vec<Option<Evaluated>> = Vec::new();
    let mut evaluated_for: Option<Evaluating> = None;
    // Stream indices in id order, for the store of the last ask (a store that grows only
    // appends streams, so the same count means the same streams).
    let mut by_id: Vec<u32> = Vec::new();
    while let Some(ask) = newest(asks) {
        let started = Instant::now();
        let store = ask.store.0.clone();
        let key = (ask.fold.id, ask.columns.clone(), ask.where_.clone());
        let asked_anew = evaluated_for.as_ref() != Some(&key);
        if asked_anew {
            evaluated.clear();
            evaluated_for = Some(key);
        }
        evaluated.resize(store.streams().len(), None);
        let changed = shared.with(&ask.fold, |folds| {
            if asked_anew {
                // The fold keeps no states: new filters need every stream's once more.
                folds.forget_states();
            }
            evaluate(&store, folds, &ask, &mut evaluated)
        });
        id_order(&store, &mut by_id);
        let answer = rows(ask, &evaluated, &by_id, changed, started);
        if !worker.send(answer) {
            return;
        }
    }
}

/// Moves the fold to the moment and runs the filters on every stream whose state the move
/// changed, as it is folded; says how many there were. Streams with no event at the moment
/// any more lose what was found.
fn evaluate(
    store: &Store,
    folds: &mut Folds,
    ask: &TableAsk,
    evaluated: &mut [Option<Evaluated>],
) -> usize {
    let texts: Vec<&str> = ask.columns.iter().map(|(_, f)| f.as_str()).collect();
    let reducer = folds.reducer().clone();
    let moved = folds.move_to_each(
        store,
        ask.moment,
        |s| selected(s, None, &*reducer),
        evaluated,
        || {
            let filters = Filters::compile(&texts, ask.where_.as_deref());
            (filters, Interned::default())
        },
        |(filters, interned), folded, found| {
            *found = folded.map(|folded| {
                let doc = Doc::read(folded.state);
                let passes = filters.passes(&doc);
                let values = interned.get(if passes {
                    filters.values(&doc)
                } else {
                    Vec::new()
                });
                let stream = &store.streams()[folded.stream as usize];
                let seq = store.events()[stream.events[folded.count - 1] as usize].seq;
                Evaluated {
                    seq,
                    count: folded.count as u32,
                    passes,
                    values,
                }
            });
        },
    );
    moved.streams
}

fn rows(
    ask: TableAsk,
    evaluated: &[Option<Evaluated>],
    by_id: &[u32],
    changed: usize,
    started: Instant,
) -> TableAnswer {
    let streams = evaluated.iter().filter(|slot| slot.is_some()).count();
    // In stream id order already; sorting by a column keeps it among equal values. Made on
    // every core from what `evaluate` kept, without going back to the store (a step of the
    // moment makes a row for each of hundreds of thousands of streams), into one vector of
    // the right size: pieces made apart took twice the rows' memory while they were joined.
    let passing: Vec<(u32, &Evaluated)> = by_id
        .iter()
        .filter_map(|&i| Some((i, passes(evaluated, i)?)))
        .collect();
    let mut rows: Vec<TableRow> = Vec::new();
    passing
        .par_iter()
        .map(|&(i, done)| TableRow {
            stream: i,
            count: done.count,
            seq: done.seq,
            values: done.values.clone(),
        })
        .collect_into_vec(&mut rows);
    if let Some((column, descending)) = ask.sort {
        rows.par_sort_by(|a, b| {
            let by = compare(a.values.get(column), b.values.get(column));
            if descending { by.reverse() } else { by }
        });
    }
    TableAnswer {
        ask,
        rows,
        streams,
        changed,
        took: started.elapsed(),
    }
}

/// What the filters found on stream `i`, if it has an event at the moment and passes.
fn passes(evaluated: &[Option<Evaluated>], i: u32) -> Option<&Evaluated> {
    evaluated.get(i as usize)?.as_ref().filter(|e| e.passes)
}

/// The store's streams in id order, kept while the store has as many streams.
fn id_order(store: &Store, kept: &mut Vec<u32>) {
    if kept.len() != store.streams().len() {
        let streams = store.streams();
        *kept = (0..streams.len() as u32).collect();
        kept.par_sort_by(|&a, &b| streams[a as usize].id.cmp(&streams[b as usize].id));
    }
}

/// jq's order of values: null, false, true, numbers, strings, arrays, objects.
fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(false) => 1,
            Value::Bool(true) => 2,
            Value::Number(_) => 3,
            Value::String(_) => 4,
            Value::Array(_) => 5,
            Value::Object(_) => 6,
        }
    }
    let (a, b) = (a.unwrap_or(&Value::Null), b.unwrap_or(&Value::Null));
    rank(a).cmp(&rank(b)).then_with(|| match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => a.to_string().cmp(&b.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_rows_of_values_are_kept_once_and_numbers_as_spelled() {
        let mut interned = Interned::default();
        let row = |text: &str| -> Vec<Value> { serde_json::from_str(text).unwrap() };
        let shipped = interned.get(row(r#"["shipped", 1.50]"#));
        let again = interned.get(row(r#"["shipped", 1.50]"#));
        assert!(Arc::ptr_eq(&shipped, &again));
        // 1.5 is another spelling, so another row: numbers come out exactly as stored.
        let other = interned.get(row(r#"["shipped", 1.5]"#));
        assert!(!Arc::ptr_eq(&shipped, &other));
        assert_eq!(
            serde_json::to_string(&*other).unwrap(),
            r#"["shipped",1.5]"#
        );
        assert!(Arc::ptr_eq(
            &interned.get(Vec::new()),
            &interned.get(Vec::new())
        ));
        // Past the bound, rows are still right, only no longer shared.
        for i in 0..Interned::MOST {
            interned.get(vec![Value::from(i)]);
        }
        let (late, later) = (interned.get(row("[true]")), interned.get(row("[true]")));
        assert!(!Arc::ptr_eq(&late, &later));
        assert_eq!(late, later);
        assert!(Arc::ptr_eq(
            &shipped,
            &interned.get(row(r#"["shipped", 1.50]"#))
        ));
    }

    #[test]
    fn values_sort_in_jq_order() {
        let mut values = vec![
            Value::from("b"),
            Value::from(2),
            Value::Null,
            Value::from(10),
            Value::Bool(true),
        ];
        values.sort_by(|a, b| compare(Some(a), Some(b)));
        assert_eq!(
            values,
            [
                Value::Null,
                Value::Bool(true),
                Value::from(2),
                Value::from(10),
                Value::from("b")
            ]
        );
    }
}
