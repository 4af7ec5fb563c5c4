//! The read model over every stream: columns and filters on folded states, watchpoints over
//! the whole store (`when`), and counts by a value over time (`count`). The command line and
//! the window's Read model view ask the same questions through these.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde_json::Value;

use super::{Doc, Filter};
use crate::replay::{Reducer, Replay};
use crate::store::{Store, Stream};

/// A `--column`: `NAME=FILTER`, or a filter that is its own name (`.status`,
/// `.lines | length`). The name is letters, digits, `_` and `-`, so that `.a==1` stays a filter.
pub struct Column {
    pub name: String,
    pub filter: String,
}

impl Column {
    pub fn of(spec: &str) -> Self {
        match spec.split_once('=') {
            Some((name, filter))
                if !name.is_empty()
                    && !filter.starts_with('=')
                    && name
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '-') =>
            {
                Self {
                    name: name.to_owned(),
                    filter: filter.to_owned(),
                }
            }
            _ => Self {
                name: spec.to_owned(),
                filter: spec.to_owned(),
            },
        }
    }
}

/// The filters of one command, compiled on the thread that runs them (jaq's values are not
/// shared between threads). Each was parsed once before, so compiling again does not fail; a
/// filter that did would count as failing on every state.
pub struct Filters {
    values: Vec<Option<Filter>>,
    where_: Gate,
}

/// `--where`: none, or a filter (`None` if it did not compile here).
enum Gate {
    Open,
    Filter(Option<Filter>),
}

impl Filters {
    pub fn compile(values: &[&str], where_: Option<&str>) -> Self {
        Self {
            values: values.iter().map(|text| Filter::parse(text).ok()).collect(),
            where_: where_.map_or(Gate::Open, |text| Gate::Filter(Filter::parse(text).ok())),
        }
    }

    /// Whether there is any filter to run.
    pub fn any(&self) -> bool {
        !self.values.is_empty() || matches!(self.where_, Gate::Filter(_))
    }

    /// Whether `--where` lets the state through (no `--where`: always).
    pub fn passes(&self, state: &Doc) -> bool {
        match &self.where_ {
            Gate::Open => true,
            Gate::Filter(filter) => filter.as_ref().is_some_and(|f| f.holds_in(state)),
        }
    }

    /// Each value filter's first output on `state`; `null` where it fails or has none.
    pub fn values(&self, state: &Doc) -> Vec<Value> {
        self.values
            .iter()
            .map(|filter| {
                filter
                    .as_ref()
                    .and_then(|f| f.first_in(state).ok().flatten())
                    .unwrap_or(Value::Null)
            })
            .collect()
    }
}

/// Where a watchpoint changes: event index in the store, and whether it holds after it.
pub type Transitions = Vec<(u32, bool)>;

/// An event the reducer could not apply: stream index, index in the stream, why.
pub type Failed = (u32, usize, String);

/// A value in a CSV or text cell: a string bare, anything else as its JSON text.
pub fn cell(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The events after which `filter` starts or stops holding for each of `streams`, folded from
/// the start, in store order (before a stream's first event it holds false); and the events the
/// reducer failed on. Streams fold in parallel.
pub fn watch(
    store: &Store,
    streams: &[(u32, &Stream)],
    reducer: &dyn Reducer,
    filter: &str,
) -> (Transitions, Vec<Failed>) {
    let folded: Vec<(Transitions, Vec<Failed>)> = streams
        .par_iter()
        .map_init(
            // A projection's copy for each piece of work: its engine runs one call at a time.
            || (Filter::parse(filter).ok(), reducer.fork()),
            |(filter, fork), &(index, stream)| {
                let reducer = fork.as_deref().unwrap_or(reducer);
                let mut replay = Replay::new(store, stream, reducer);
                let mut changes = Vec::new();
                let mut held = false;
                replay.walk(stream.events.len(), |k, _, state| {
                    let holds = filter.as_ref().is_some_and(|f| f.holds_on(state));
                    if holds != held {
                        changes.push((stream.events[k], holds));
                        held = holds;
                    }
                });
                let failures = replay
                    .failures()
                    .iter()
                    .map(|(&k, why)| (index, k, why.clone()))
                    .collect();
                (changes, failures)
            },
        )
        .collect();
    let mut failures = Vec::new();
    let mut changes = Vec::new();
    for (changed, failed) in folded {
        changes.extend(changed);
        failures.extend(failed);
    }
    changes.par_sort_unstable();
    (changes, failures)
}

/// How many of `streams` have each value of `by` (passing `where_`) at each of `steps`.
pub fn count(
    store: &Store,
    streams: &[(u32, &Stream)],
    reducer: &dyn Reducer,
    by: &str,
    where_: Option<&str>,
    steps: &Steps,
) -> Counts {
    let by = [by];
    let spans: Vec<Vec<(String, usize, usize)>> = streams
        .par_iter()
        .map_init(
            || (Filters::compile(&by, where_), reducer.fork()),
            |(filters, fork), &(_, stream)| {
                let reducer = fork.as_deref().unwrap_or(reducer);
                spans_of(store, stream, reducer, steps, filters)
            },
        )
        .collect();
    steps.counts(spans.into_iter().flatten())
}

/// Whether a stream takes part: in `category` (if given) and read by the reducer.
pub fn selected(stream: &Stream, category: Option<&str>, reducer: &dyn Reducer) -> bool {
    category.is_none_or(|c| stream.category() == c)
        && reducer
            .source()
            .is_none_or(|source| source.selects(&stream.id))
}

/// The streams that take part, with their index.
pub fn chosen<'s>(
    store: &'s Store,
    category: Option<&str>,
    reducer: &dyn Reducer,
) -> Vec<(u32, &'s Stream)> {
    store
        .streams()
        .iter()
        .enumerate()
        .filter(|(_, stream)| selected(stream, category, reducer))
        .map(|(i, stream)| (i as u32, stream))
        .collect()
}

/// The first and last time of the events of `streams` that have one.
pub fn time_range(store: &Store, streams: &[(u32, &Stream)]) -> Option<(i64, i64)> {
    let events = store.events();
    let (first, last) = streams
        .par_iter()
        .flat_map_iter(|(_, stream)| stream.events.iter())
        .filter_map(|&i| events[i as usize].instant())
        .fold(
            || (i64::MAX, i64::MIN),
            |(lo, hi), t| (lo.min(t), hi.max(t)),
        )
        .reduce(|| (i64::MAX, i64::MIN), |a, b| (a.0.min(b.0), a.1.max(b.1)));
    (first <= last).then_some((first, last))
}

/// More steps than [`MAX_STEPS`]: a longer step says the same.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the events span {steps} steps of {}; at most {MAX_STEPS} are counted", format_duration(*every))]
pub struct TooManySteps {
    pub steps: u128,
    pub every: u64,
}

/// The times `count` counts at: `t0 + k·every` for `k` in `1..=last`.
pub struct Steps {
    pub t0: i64,
    /// The step, in nanoseconds.
    pub every: u64,
    pub last: usize,
}

/// Most steps `count` prints: beyond it, a bigger `--every` says the same.
pub const MAX_STEPS: u128 = 1_000_000;

/// Per step, how many streams have each key.
pub struct Counts {
    pub keys: Vec<String>,
    /// `rows[k - 1][key]` at step `k`.
    pub rows: Vec<Vec<u64>>,
}

impl Steps {
    /// The steps over the chosen streams' times; `None` when none of their events has one.
    pub fn of(
        store: &Store,
        streams: &[(u32, &Stream)],
        every: u64,
    ) -> Result<Option<Self>, TooManySteps> {
        let Some((first, last)) = time_range(store, streams) else {
            return Ok(None);
        };
        let step = i64::try_from(every).unwrap_or(i64::MAX);
        let t0 = first.div_euclid(step) * step;
        let steps = span(t0, last).div_ceil(u128::from(every)).max(1);
        if steps > MAX_STEPS {
            return Err(TooManySteps { steps, every });
        }
        Ok(Some(Self {
            t0,
            every,
            last: usize::try_from(steps).unwrap_or(usize::MAX),
        }))
    }

    pub fn time(&self, k: usize) -> i64 {
        let k = i64::try_from(k).unwrap_or(i64::MAX);
        let every = i64::try_from(self.every).unwrap_or(i64::MAX);
        self.t0.saturating_add(k.saturating_mul(every))
    }

    /// The first step at or after `instant`.
    pub fn step_of(&self, instant: i64) -> usize {
        let step = span(self.t0, instant)
            .div_ceil(u128::from(self.every))
            .max(1);
        usize::try_from(step).unwrap_or(usize::MAX)
    }

    /// Adds up spans `(key, from, to)` (the stream has `key` at steps `from..to`).
    pub fn counts(&self, spans: impl Iterator<Item = (String, usize, usize)>) -> Counts {
        let spans: Vec<(String, usize, usize)> = spans.collect();
        let mut keys: BTreeMap<&str, usize> =
            spans.iter().map(|(key, _, _)| (key.as_str(), 0)).collect();
        for (id, slot) in keys.values_mut().enumerate() {
            *slot = id;
        }
        let mut deltas: Vec<(usize, usize, i64)> = Vec::with_capacity(spans.len() * 2);
        for (key, from, to) in &spans {
            let id = keys[key.as_str()];
            deltas.push((*from, id, 1));
            deltas.push((*to, id, -1));
        }
        deltas.par_sort_unstable();
        let mut running = vec![0i64; keys.len()];
        let mut rows = Vec::with_capacity(self.last);
        let mut next = deltas.iter().peekable();
        for k in 1..=self.last {
            while let Some(&&(at, id, delta)) = next.peek() {
                if at > k {
                    break;
                }
                running[id] += delta;
                next.next();
            }
            rows.push(running.iter().map(|&n| n.max(0).cast_unsigned()).collect());
        }
        Counts {
            keys: keys.keys().map(|&k| k.to_owned()).collect(),
            rows,
        }
    }
}

/// Nanoseconds from `from` to `to`, which is not before it.
fn span(from: i64, to: i64) -> u128 {
    (i128::from(to) - i128::from(from)).max(0).cast_unsigned()
}

pub fn format_duration(nanos: u64) -> String {
    let seconds = nanos / 1_000_000_000;
    match seconds {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// One stream's keys over the steps: `(key, from, to)` for each run of steps where its state
/// passes `--where` with the same `--by` value. At step `k` the stream is after its last event
/// whose time is at or before that step's time, which only ever moves forward.
fn spans_of(
    store: &Store,
    stream: &Stream,
    reducer: &dyn Reducer,
    steps: &Steps,
    filters: &Filters,
) -> Vec<(String, usize, usize)> {
    let events = store.events();
    // (first step that sees event k, events applied then), in step order.
    let mut seen: Vec<(usize, usize)> = stream
        .events
        .iter()
        .enumerate()
        .filter_map(|(k, &i)| {
            events[i as usize]
                .instant()
                .map(|t| (steps.step_of(t), k + 1))
        })
        .collect();
    seen.sort_by_key(|&(step, _)| step);
    let mut changes: Vec<(usize, usize)> = Vec::new();
    for (step, count) in seen {
        match changes.last_mut() {
            Some(last) if last.1 >= count => {}
            Some(last) if last.0 == step => last.1 = count,
            _ => changes.push((step, count)),
        }
    }
    let mut replay = Replay::new(store, stream, reducer);
    let mut state = reducer.initial();
    let mut applied = 0;
    let mut spans: Vec<(String, usize, usize)> = Vec::new();
    for (i, &(step, count)) in changes.iter().enumerate() {
        replay.advance(&mut state, applied, count);
        applied = count;
        let to = changes.get(i + 1).map_or(steps.last + 1, |next| next.0);
        let doc = Doc::of(&state);
        if !filters.passes(&doc) {
            continue;
        }
        let key = cell(&filters.values(&doc)[0]);
        match spans.last_mut() {
            Some(last) if last.2 == step && last.0 == key => last.2 = to,
            _ => spans.push((key, step, to)),
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_is_named_or_names_itself() {
        let named = Column::of("paid=.payment != null");
        assert_eq!(
            (named.name.as_str(), named.filter.as_str()),
            ("paid", ".payment != null")
        );
        let bare = Column::of(".status");
        assert_eq!(
            (bare.name.as_str(), bare.filter.as_str()),
            (".status", ".status")
        );
        let comparison = Column::of("x==1");
        assert_eq!(comparison.filter, "x==1");
        let spaced = Column::of(".a = 1");
        assert_eq!(spaced.filter, ".a = 1");
    }

    #[test]
    fn steps_start_on_a_multiple_and_reach_past_the_last_event() {
        let steps = Steps {
            t0: 600,
            every: 300,
            last: 3,
        };
        assert_eq!(
            steps.step_of(600),
            1,
            "an event at t0 is first seen at t0 + D"
        );
        assert_eq!(steps.step_of(900), 1);
        assert_eq!(steps.step_of(901), 2);
        let counts = steps.counts(
            [
                ("a".to_owned(), 1, 3),
                ("b".to_owned(), 3, 4),
                ("a".to_owned(), 2, 4),
            ]
            .into_iter(),
        );
        assert_eq!(counts.keys, ["a", "b"]);
        assert_eq!(counts.rows, [vec![1, 0], vec![2, 0], vec![1, 1]]);
    }
}
