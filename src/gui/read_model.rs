//! The Read model view's model and its workers: every stream's state at one moment of the
//! whole store as a table of columns (jq filters), filtered and sorted; watchpoints (named
//! filters) over the whole store; counts by a column over time.
//!
//! The table's worker keeps the store-wide fold ([`Folds`], shared with the inspector through
//! [`SharedFolds`]) across asks, so that a step of the moment folds only the events in between,
//! and it runs the filters again only on the streams whose state changed.

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::inspect::{Fold, StoreRef};
use super::job::{Job, Repaint, Worker};
use crate::query::read_model::{
    Column, Counts, Filters, Steps, Transitions, chosen, count, selected, watch,
};
use crate::query::{Doc, Filter, FilterError};
use crate::replay::{Checkpoints, Folds, Moment};
use crate::store::Store;

/// The store-wide fold of the fold in use, shared by the inspector (one stream at a time) and
/// the Read model view (every stream at a moment): a stream's checkpoints are built once.
#[derive(Clone, Default)]
pub struct SharedFolds(Arc<Mutex<Option<(u64, Folds)>>>);

impl SharedFolds {
    /// Runs `f` on the fold of `fold`, a new one if the fold changed.
    pub fn with<R>(&self, fold: &Fold, f: impl FnOnce(&mut Folds) -> R) -> R {
        let mut guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if guard.as_ref().is_none_or(|(id, _)| *id != fold.id) {
            *guard = Some((fold.id, Folds::new(fold.reducer.clone())));
        }
        let (_, folds) = guard.get_or_insert_with(|| (fold.id, Folds::new(fold.reducer.clone())));
        f(folds)
    }

    /// Takes out what folding `stream` has built, to go on with it without holding the lock.
    pub fn take(&self, fold: &Fold, stream: u32) -> Checkpoints {
        self.with(fold, |folds| folds.take(stream))
    }

    /// Puts back what [`SharedFolds::take`] took, grown.
    pub fn keep(&self, fold: &Fold, stream: u32, checkpoints: Checkpoints) {
        self.with(fold, |folds| folds.keep(stream, checkpoints));
    }
}

/// A watchpoint: a named filter on each stream's state, and where it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watchpoint {
    pub name: String,
    pub filter: String,
}

/// What the Read model view keeps of a source across runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Saved {
    /// `NAME=FILTER` each.
    pub columns: Vec<String>,
    pub filter: String,
    pub watchpoints: Vec<Watchpoint>,
}

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
    /// Events of the stream applied at the moment.
    pub count: usize,
    pub seq: u64,
    pub values: Vec<Value>,
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

/// The table's worker, seen from the window.
pub struct Table {
    asks: Sender<TableAsk>,
    job: Option<Job<TableAnswer>>,
    asked: Option<TableAsk>,
    pub latest: Option<Arc<TableAnswer>>,
}

impl Table {
    pub fn start(folds: SharedFolds, repaint: Repaint) -> Self {
        let (asks, rx) = mpsc::channel();
        let job = Job::spawn("read-model", 0, repaint, move |worker| {
            serve(&rx, &folds, worker);
        });
        Self {
            asks,
            job: job.ok(),
            asked: None,
            latest: None,
        }
    }

    /// Asks for `ask` unless it was the last ask.
    pub fn ask(&mut self, ask: TableAsk) {
        if self.asked.as_ref() != Some(&ask) {
            let _ = self.asks.send(ask.clone());
            self.asked = Some(ask);
        }
    }

    /// Takes in the newest answer.
    pub fn poll(&mut self) {
        if let Some(answer) = self.job.as_mut().and_then(Job::latest) {
            self.latest = Some(Arc::new(answer));
        }
    }

    /// Whether the newest answer is for the last ask.
    pub fn is_current(&self) -> bool {
        self.latest.as_ref().map(|a| &a.ask) == self.asked.as_ref()
    }
}

/// What the filters found on one stream's state, for the count of events it was folded to.
#[derive(Clone)]
struct Evaluated {
    count: usize,
    passes: bool,
    values: Vec<Value>,
}

/// What the filters' results are for: the fold, the columns, the filter.
type Evaluating = (u64, Vec<(String, String)>, Option<String>);

fn serve(asks: &Receiver<TableAsk>, shared: &SharedFolds, worker: &Worker<TableAnswer>) {
    // Per stream, the filters' results at the count of events last evaluated, for the fold,
    // store and filters of `evaluated_for`.
    let mut evaluated: Vec<Option<Evaluated>> = Vec::new();
    let mut evaluated_for: Option<Evaluating> = None;
    while let Ok(mut ask) = asks.recv() {
        while let Ok(newer) = asks.try_recv() {
            ask = newer;
        }
        let started = Instant::now();
        let store = ask.store.0.clone();
        let key = (ask.fold.id, ask.columns.clone(), ask.where_.clone());
        if evaluated_for.as_ref() != Some(&key) {
            evaluated.clear();
            evaluated_for = Some(key);
        }
        evaluated.resize(store.streams().len(), None);
        let texts: Vec<&str> = ask.columns.iter().map(|(_, f)| f.as_str()).collect();
        let changed = shared.with(&ask.fold, |folds| {
            let reducer = folds.reducer().clone();
            folds.move_to(&store, ask.moment, |s| selected(s, None, &*reducer));
            let stale: Vec<_> = folds
                .states()
                .filter(|f| {
                    evaluated[f.stream as usize]
                        .as_ref()
                        .is_none_or(|e| e.count != f.count)
                })
                .collect();
            let fresh: Vec<(u32, Evaluated)> = stale
                .par_iter()
                .map_init(
                    || Filters::compile(&texts, ask.where_.as_deref()),
                    |filters, folded| {
                        let doc =
                            Doc::parse(folded.state).unwrap_or_else(|_| Doc::of(&Value::Null));
                        let passes = filters.passes(&doc);
                        let values = if passes {
                            filters.values(&doc)
                        } else {
                            Vec::new()
                        };
                        (
                            folded.stream,
                            Evaluated {
                                count: folded.count,
                                passes,
                                values,
                            },
                        )
                    },
                )
                .collect();
            let changed = fresh.len();
            for (stream, done) in fresh {
                evaluated[stream as usize] = Some(done);
            }
            // Streams with no event at the moment any more.
            for (i, slot) in evaluated.iter_mut().enumerate() {
                if slot.is_some() && folds.state(i as u32).is_none() {
                    *slot = None;
                }
            }
            changed
        });
        let answer = rows(&store, ask, &evaluated, changed, started);
        if !worker.send(answer) {
            return;
        }
    }
}

fn rows(
    store: &Store,
    ask: TableAsk,
    evaluated: &[Option<Evaluated>],
    changed: usize,
    started: Instant,
) -> TableAnswer {
    let mut streams = 0;
    let mut rows: Vec<TableRow> = Vec::new();
    for (i, slot) in evaluated.iter().enumerate() {
        let Some(done) = slot else { continue };
        streams += 1;
        if !done.passes {
            continue;
        }
        let stream = &store.streams()[i];
        let seq = store.events()[stream.events[done.count - 1] as usize].seq;
        rows.push(TableRow {
            stream: i as u32,
            count: done.count,
            seq,
            values: done.values.clone(),
        });
    }
    let id = |row: &TableRow| &store.streams()[row.stream as usize].id;
    match ask.sort {
        Some((column, descending)) => rows.par_sort_by(|a, b| {
            let by = compare(a.values.get(column), b.values.get(column));
            let by = if descending { by.reverse() } else { by };
            by.then_with(|| id(a).cmp(id(b)))
        }),
        None => rows.par_sort_by(|a, b| id(a).cmp(id(b))),
    }
    TableAnswer {
        ask,
        rows,
        streams,
        changed,
        took: started.elapsed(),
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

/// Where a watchpoint changes, for one store and fold.
pub struct Watched {
    pub key: (usize, u64, String),
    pub changes: Option<Arc<Transitions>>,
    job: Option<Job<Transitions>>,
}

impl Watched {
    /// Starts finding where `filter` changes in `store` folded with `fold`.
    pub fn start(store: &Arc<Store>, fold: &Fold, filter: &str, repaint: Repaint) -> Self {
        let key = (Arc::as_ptr(store) as usize, fold.id, filter.to_owned());
        let (store, reducer, text) = (store.clone(), fold.reducer.clone(), filter.to_owned());
        let job = Job::spawn("watch", fold.id, repaint, move |worker| {
            let streams = chosen(&store, None, &*reducer);
            worker.send(watch(&store, &streams, &*reducer, &text).0);
        });
        Self {
            key,
            changes: None,
            job: job.ok(),
        }
    }

    pub fn poll(&mut self) {
        if let Some(changes) = self.job.as_mut().and_then(Job::latest) {
            self.changes = Some(Arc::new(changes));
            self.job = None;
        }
    }
}

/// Counts by a column over time, for one store, fold and filter.
pub struct Counted {
    pub key: (usize, u64, String, Option<String>),
    pub counts: Option<Arc<(Steps, Counts)>>,
    job: Option<Job<Option<(Steps, Counts)>>>,
}

/// Steps a count is drawn in, about.
const CHART_STEPS: i64 = 48;

impl Counted {
    pub fn start(
        store: &Arc<Store>,
        fold: &Fold,
        by: &str,
        where_: Option<&str>,
        repaint: Repaint,
    ) -> Self {
        let key = (
            Arc::as_ptr(store) as usize,
            fold.id,
            by.to_owned(),
            where_.map(str::to_owned),
        );
        let (store, reducer) = (store.clone(), fold.reducer.clone());
        let (by, where_) = (by.to_owned(), where_.map(str::to_owned));
        let job = Job::spawn("count", fold.id, repaint, move |worker| {
            let streams = chosen(&store, None, &*reducer);
            let span = time_span(&store).map_or(0, |(a, b)| b - a);
            // A round step: whole minutes, hours or days, about CHART_STEPS of them.
            let every = [60, 300, 900, 3_600, 6 * 3_600, 86_400, 7 * 86_400]
                .map(|s: i64| s * 1_000_000_000)
                .into_iter()
                .find(|step| span / step <= CHART_STEPS)
                .unwrap_or(30 * 86_400 * 1_000_000_000);
            let steps = Steps::of(&store, &streams, every.unsigned_abs())
                .ok()
                .flatten();
            worker.send(steps.map(|steps| {
                let counts = count(&store, &streams, &*reducer, &by, where_.as_deref(), &steps);
                (steps, counts)
            }));
        });
        Self {
            key,
            counts: None,
            job: job.ok(),
        }
    }

    pub fn poll(&mut self) {
        if let Some(counted) = self.job.as_mut().and_then(Job::latest) {
            self.counts = counted.map(Arc::new);
            self.job = None;
        }
    }

    pub fn is_counting(&self) -> bool {
        self.job.is_some()
    }
}

/// The first and last instant of the store's events, where they have times.
pub fn time_span(store: &Store) -> Option<(i64, i64)> {
    let (first, last) = store
        .events()
        .iter()
        .filter_map(crate::store::Event::instant)
        .fold((i64::MAX, i64::MIN), |(a, b), t| (a.min(t), b.max(t)));
    (first <= last).then_some((first, last))
}

/// A filter typed in the view, parsed: `Ok` with its text, or where it is wrong.
pub fn check(text: &str) -> Result<String, FilterError> {
    Filter::parse(text).map(|_| text.to_owned())
}

/// The view's model.
pub struct ReadModel {
    /// The moment: after the store's event at this index (in store order).
    pub cursor: usize,
    /// Whether the timeline goes by time (else by position in the store).
    pub by_time: bool,
    pub columns: Vec<Column>,
    pub filter: String,
    pub filter_error: Option<FilterError>,
    pub sort: Option<(usize, bool)>,
    pub watchpoints: Vec<Watchpoint>,
    pub watched: Vec<Watched>,
    /// The column whose values are counted over time.
    pub count_by: Option<usize>,
    pub counted: Option<Counted>,
    /// The fields to add a column and a watchpoint, and why what was typed was refused.
    pub new_column: String,
    pub new_watch: (String, String),
    pub field_error: Option<String>,
    /// The moment in minutes since the epoch, where it is a time (to mark it on the chart).
    pub moment_minutes: Option<f64>,
    pub table: Table,
}

impl ReadModel {
    /// A model for a store of `events` events, at its end, with what was saved.
    pub fn new(saved: &Saved, events: usize, folds: SharedFolds, repaint: Repaint) -> Self {
        Self {
            cursor: events.saturating_sub(1),
            by_time: true,
            columns: saved.columns.iter().map(|c| Column::of(c)).collect(),
            filter: saved.filter.clone(),
            filter_error: None,
            sort: None,
            watchpoints: saved.watchpoints.clone(),
            watched: Vec::new(),
            count_by: None,
            counted: None,
            new_column: String::new(),
            new_watch: (String::new(), String::new()),
            field_error: None,
            moment_minutes: None,
            table: Table::start(folds, repaint),
        }
    }

    /// What to save for the source.
    pub fn saved(&self) -> Saved {
        Saved {
            columns: self
                .columns
                .iter()
                .map(|c| {
                    if c.name == c.filter {
                        c.filter.clone()
                    } else {
                        format!("{}={}", c.name, c.filter)
                    }
                })
                .collect(),
            filter: self.filter.clone(),
            watchpoints: self.watchpoints.clone(),
        }
    }

    /// The moment the cursor names in `store`.
    pub fn moment(&self, store: &Store) -> Moment {
        let events = store.events();
        if events.is_empty() {
            return Moment::End;
        }
        let k = self.cursor.min(events.len() - 1);
        let event = &events[k];
        match event.instant() {
            Some(instant) if self.by_time => Moment::Time(instant),
            _ => Moment::Position(store.position(k as u32)),
        }
    }

    /// The filter as the table uses it: `None` when empty or wrong (the error is shown).
    fn where_filter(&mut self) -> Option<String> {
        let text = self.filter.trim();
        if text.is_empty() {
            self.filter_error = None;
            return None;
        }
        match check(text) {
            Ok(text) => {
                self.filter_error = None;
                Some(text)
            }
            Err(error) => {
                self.filter_error = Some(error);
                None
            }
        }
    }

    /// Asks for the table, the watchpoints and the counts that what is shown needs, and takes
    /// in what has come.
    pub fn refresh(&mut self, store: &Arc<Store>, fold: &Fold, repaint: &Repaint) {
        let where_ = self.where_filter();
        let ask = TableAsk {
            store: StoreRef(store.clone()),
            fold: fold.clone(),
            moment: self.moment(store),
            columns: self
                .columns
                .iter()
                .map(|c| (c.name.clone(), c.filter.clone()))
                .collect(),
            where_: where_.clone(),
            sort: self.sort,
        };
        self.table.ask(ask);
        self.table.poll();
        let store_key = Arc::as_ptr(store) as usize;
        self.watched.truncate(self.watchpoints.len());
        for (i, point) in self.watchpoints.iter().enumerate() {
            let key = (store_key, fold.id, point.filter.clone());
            match self.watched.get_mut(i) {
                Some(watched) if watched.key == key => watched.poll(),
                Some(watched) => {
                    *watched = Watched::start(store, fold, &point.filter, repaint.clone());
                }
                None => {
                    self.watched
                        .push(Watched::start(store, fold, &point.filter, repaint.clone()));
                }
            }
        }
        let by = self
            .count_by
            .and_then(|i| self.columns.get(i))
            .map(|c| c.filter.clone());
        match by {
            None => self.counted = None,
            Some(by) => {
                let key = (store_key, fold.id, by.clone(), where_.clone());
                match &mut self.counted {
                    Some(counted) if counted.key == key => counted.poll(),
                    _ => {
                        self.counted = Some(Counted::start(
                            store,
                            fold,
                            &by,
                            where_.as_deref(),
                            repaint.clone(),
                        ));
                    }
                }
            }
        }
    }

    /// Whether everything shown has come: the table for the last ask, every watchpoint's
    /// changes, the counts.
    pub fn is_settled(&self) -> bool {
        self.table.is_current()
            && self.watched.len() == self.watchpoints.len()
            && self.watched.iter().all(|w| w.changes.is_some())
            && !self.counted.as_ref().is_some_and(Counted::is_counting)
    }

    /// Adds the column typed (`NAME=FILTER` or a filter), if it parses.
    pub fn add_column(&mut self, spec: &str) -> bool {
        let column = Column::of(spec.trim());
        if column.filter.is_empty() {
            return false;
        }
        match check(&column.filter) {
            Ok(_) => {
                self.field_error = None;
                if !self.columns.iter().any(|c| c.name == column.name) {
                    self.columns.push(column);
                }
                true
            }
            Err(error) => {
                self.field_error = Some(format!("{}: {error}", column.filter));
                false
            }
        }
    }

    /// Adds a watchpoint, if its filter parses.
    pub fn add_watchpoint(&mut self, name: &str, filter: &str) -> bool {
        let filter = filter.trim();
        match check(filter) {
            Ok(filter) => {
                let name = if name.trim().is_empty() {
                    filter.clone()
                } else {
                    name.trim().to_owned()
                };
                self.watchpoints.push(Watchpoint { name, filter });
                self.field_error = None;
                true
            }
            Err(error) => {
                self.field_error = Some(format!("{filter}: {error}"));
                false
            }
        }
    }
}

/// A jq path to the member at a JSON Pointer: `/items/SKU-1/qty` is `.items["SKU-1"].qty`.
pub fn filter_of_pointer(pointer: &str) -> String {
    let mut filter = String::new();
    for token in crate::diff::pointer::tokens(pointer).unwrap_or_default() {
        let plain = token
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if plain {
            filter.push('.');
            filter.push_str(&token);
            continue;
        }
        if filter.is_empty() {
            filter.push('.');
        }
        if let Ok(index) = token.parse::<usize>() {
            let _ = write!(filter, "[{index}]");
        } else {
            let _ = write!(filter, "[{}]", Value::String(token));
        }
    }
    if filter.is_empty() {
        ".".to_owned()
    } else {
        filter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pointer_becomes_the_jq_path_to_the_same_member() {
        assert_eq!(filter_of_pointer("/status"), ".status");
        assert_eq!(
            filter_of_pointer("/items/SKU-1/qty"),
            ".items[\"SKU-1\"].qty"
        );
        assert_eq!(filter_of_pointer("/tags/0"), ".tags[0]");
        assert_eq!(filter_of_pointer("/a~1b/c~0d"), ".[\"a/b\"][\"c~d\"]");
        assert_eq!(filter_of_pointer("/0"), ".[0]");
        assert_eq!(filter_of_pointer(""), ".");
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
