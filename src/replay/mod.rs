//! Folding a stream's events into state: reducers, points of history, and checkpoints that
//! keep any point a bounded number of events away.

mod folds;
mod merge_patch;
mod merge_text;
mod point;
mod projection;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

pub use folds::{Folded, Folds, Moment, Moved};
pub use merge_patch::{merge_patch, merge_patch_text};
pub use merge_text::fold_merge_patches;
pub use point::{Point, PointError};
pub use projection::{Limits, LoadError, Projection, Source};

use crate::store::{EventRef, Store, Stream};

/// What sees the state after each event of a run, by the event's index in the run.
pub type Each<'a> = &'a mut dyn FnMut(usize, &Value);

/// Turns events into state. Each stream folds on its own, from [`Reducer::initial`].
pub trait Reducer: Send + Sync {
    /// The state before a stream's first event.
    fn initial(&self) -> Value;

    /// [`Reducer::initial`] as JSON text, the first checkpoint of every stream.
    fn initial_text(&self) -> String {
        self.initial().to_string()
    }

    /// Applies one event. On `Err` the event counts as failed and `state` must be left as it
    /// was before the call, so that folding goes on from the state before the event.
    fn apply(&self, state: &mut Value, event: &EventRef<'_>) -> Result<(), String>;

    /// Applies a run of one stream's events to `state`, in order: what folding does between
    /// two checkpoints. Each failed event is passed to `failed` (its index in `run`) and
    /// leaves the state as it was; `each`, when given, sees the state after every event of the
    /// run, failed or not. The default applies the events one by one.
    ///
    /// A run starts from a state that is JSON (a checkpoint, or the state after a run that
    /// ended on a checkpoint's boundary, or the initial state), and [`Replay`] never lets one
    /// cross a boundary: a reducer may keep richer state between the events of a run (see
    /// [`Reducer::live_within_runs`]) as long as it leaves JSON at the run's end.
    fn fold(
        &self,
        state: &mut Value,
        run: &[EventRef<'_>],
        each: Option<Each<'_>>,
        failed: &mut dyn FnMut(usize, String),
    ) {
        let mut each = each;
        for (i, event) in run.iter().enumerate() {
            if let Err(why) = self.apply(state, event) {
                failed(i, why);
            }
            if let Some(each) = each.as_mut() {
                each(i, state);
            }
        }
    }

    /// Folds a run as [`Reducer::fold`] does (without `each`), from and to the state as JSON
    /// text: what checkpoints keep. The default reads the text as a tree, folds it and writes
    /// it; a reducer whose state crosses as text anyway says so with
    /// [`Reducer::folds_text`] and folds the text itself.
    fn fold_text(
        &self,
        start: &str,
        run: &[EventRef<'_>],
        failed: &mut dyn FnMut(usize, String),
    ) -> String {
        let mut state = serde_json::from_str(start).unwrap_or_else(|_| self.initial());
        self.fold(&mut state, run, None, failed);
        state.to_string()
    }

    /// Whether [`Reducer::fold_text`] is its own, cheaper than folding a tree: then [`Replay`]
    /// builds checkpoints from text to text and reads a state as a tree only when one is
    /// asked for (a projection's state leaves its engine as text; reading it as a tree at
    /// each run's end only to write it again cost a sixth of folding a short stream).
    fn folds_text(&self) -> bool {
        false
    }

    /// Whether the text [`Reducer::fold_text`] leaves is always what `Value::to_string` writes
    /// of its tree, so that a caller that wants that text need not read it and write it again.
    fn writes_tree_text(&self) -> bool {
        false
    }

    /// Whether the state between the events of a run is more than the JSON that `apply` gives
    /// for each event alone (a projection's state lives in its engine between checkpoints), so
    /// that going on from a state in the middle of a run must fold again from the run's start.
    fn live_within_runs(&self) -> bool {
        false
    }

    /// A reducer of its own for another thread that folds other streams at the same time;
    /// `None` when this one folds on many threads at once as it is.
    fn fork(&self) -> Option<Box<dyn Reducer>> {
        None
    }

    /// The streams it folds, when it reads only some (a projection's `fromStream(…)`, …);
    /// `None`: every stream.
    fn source(&self) -> Option<&Source> {
        None
    }
}

/// The default reducer: state starts as `{}` and each event's data is an RFC 7396 merge patch.
/// Events without data leave the state as it is. Between checkpoints it folds text to text
/// ([`merge_text`]): what a patch replaces stays the text it is, never a tree.
#[derive(Debug, Clone, Copy, Default)]
pub struct MergePatch;

impl Reducer for MergePatch {
    fn initial(&self) -> Value {
        Value::Object(Map::new())
    }

    fn apply(&self, state: &mut Value, event: &EventRef<'_>) -> Result<(), String> {
        match event.data_json() {
            Some(patch) => merge_patch_text(state, patch).map_err(|error| unreadable(&error)),
            None => Ok(()),
        }
    }

    /// Folds as [`fold_merge_patches`] does, keeping what patches replace as the text it is.
    fn fold_text(
        &self,
        start: &str,
        run: &[EventRef<'_>],
        failed: &mut dyn FnMut(usize, String),
    ) -> String {
        // The patches are found before any is merged. Each lies in a part of the store's text
        // no other step of the fold reads (a stream's events are spread over the file), so
        // finding one waits on memory; one after another, with nothing in between that needs
        // them, those waits overlap. Found as each was merged, they cost `table --at-time` 2–8 %
        // more time.
        let patches: Vec<Option<&str>> = run.iter().map(EventRef::data_json).collect();
        fold_merge_patches(start, patches, &mut |i, error| failed(i, unreadable(error)))
    }

    fn folds_text(&self) -> bool {
        true
    }

    fn writes_tree_text(&self) -> bool {
        true
    }
}

/// Why an event whose data is not JSON failed.
fn unreadable(error: &serde_json::Error) -> String {
    format!("its data cannot be read: {error}")
}

/// Events between checkpoints. Reaching any point parses the nearest checkpoint before it and
/// replays at most `CHECKPOINT_EVERY - 1` events. Memory: one state, kept as compact JSON
/// text (a third to a fifth of the same state as a tree), per `CHECKPOINT_EVERY` events of a
/// stream that has been folded that far — for a 1 M-event stream whose state prints as 2 KB,
/// 7 813 checkpoints ≈ 16 MB, plus, for a reducer that folds trees, one state as a tree.
/// Replaying 127 small merge patches takes well under 1 ms (`eventlens bench scrub` measures
/// it).
pub const CHECKPOINT_EVERY: usize = 128;

/// One stream being folded, with the checkpoints built so far.
pub struct Replay<'s> {
    store: &'s Store,
    stream: &'s Stream,
    reducer: &'s dyn Reducer,
    folded: Checkpoints,
}

/// What folding a stream has built: its checkpoints and the events that failed. It outlives
/// the [`Replay`] that built it, to go on with the same stream in a store that has grown (a
/// stream's first events never change) or after looking at another stream.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    /// `states[i]` is the state after `i * CHECKPOINT_EVERY` events, as JSON text.
    states: Vec<Box<str>>,
    /// The state of the last checkpoint as a tree, where building more checkpoints goes on;
    /// `None` for a reducer that folds text (see [`Reducer::folds_text`]).
    tip: Option<Value>,
    /// Events (by index in the stream) the reducer failed on, with why.
    failures: BTreeMap<usize, String>,
}

impl Checkpoints {
    fn new(reducer: &dyn Reducer) -> Self {
        Self {
            states: vec![reducer.initial_text().into_boxed_str()],
            tip: (!reducer.folds_text()).then(|| reducer.initial()),
            failures: BTreeMap::new(),
        }
    }

    /// How many of the stream's events the checkpoints cover.
    pub fn covered(&self) -> usize {
        (self.states.len() - 1) * CHECKPOINT_EVERY
    }
}

impl<'s> Replay<'s> {
    /// Starts folding `stream` with `reducer`. Nothing is folded until a state is asked for.
    pub fn new(store: &'s Store, stream: &'s Stream, reducer: &'s dyn Reducer) -> Self {
        Self::resume(store, stream, reducer, Checkpoints::new(reducer))
    }

    /// Goes on folding `stream` from what an earlier replay of the same stream with the same
    /// reducer built, in this store or in an earlier snapshot of it.
    pub fn resume(
        store: &'s Store,
        stream: &'s Stream,
        reducer: &'s dyn Reducer,
        folded: Checkpoints,
    ) -> Self {
        Self {
            store,
            stream,
            reducer,
            folded,
        }
    }

    /// What the replay has built, to resume from later.
    pub fn into_checkpoints(self) -> Checkpoints {
        self.folded
    }

    /// The stream being folded.
    pub fn stream(&self) -> &'s Stream {
        self.stream
    }

    /// The `k`-th event of the stream.
    pub fn event(&self, k: usize) -> EventRef<'s> {
        self.store.event(self.stream.events[k])
    }

    /// The state after the stream's first `count` events (`0`: the initial state).
    pub fn state_after(&mut self, count: usize) -> Value {
        let count = count.min(self.stream.events.len());
        let mut nearest = count / CHECKPOINT_EVERY;
        self.extend_checkpoints(nearest);
        if self.reducer.folds_text() && count > nearest * CHECKPOINT_EVERY {
            let end = self.fold_text(nearest * CHECKPOINT_EVERY, count);
            // Text that a reducer's own fold leaves is JSON a tree reads (see
            // `Projection::fold_text`).
            return serde_json::from_str(&end).unwrap_or_else(|_| self.reducer.initial());
        }
        let tip = self.folded.tip.as_ref();
        let mut state = if let Some(tip) = tip.filter(|_| nearest + 1 == self.folded.states.len()) {
            tip.clone()
        } else if let Ok(state) = serde_json::from_str(&self.folded.states[nearest]) {
            state
        } else {
            // Checkpoints are written by `Value::to_string`, which always reads back; should
            // one not, folding from the start still gives the right state.
            nearest = 0;
            self.reducer.initial()
        };
        self.fold(&mut state, nearest * CHECKPOINT_EVERY, count, None);
        state
    }

    /// [`Replay::state_after`] as the compact JSON text `Value::to_string` writes, without
    /// making a tree of it where the reducer folds text (a store-wide fold keeps states so).
    pub fn text_after(&mut self, count: usize) -> String {
        if !self.reducer.folds_text() {
            return self.state_after(count).to_string();
        }
        let count = count.min(self.stream.events.len());
        let nearest = count / CHECKPOINT_EVERY;
        self.extend_checkpoints(nearest);
        let end = self.fold_text(nearest * CHECKPOINT_EVERY, count);
        self.tree_text(end)
    }

    /// [`Replay::advance`] from and to text: `start` is the state after `from` events as
    /// [`Replay::text_after`] writes it.
    pub fn advance_text(&mut self, start: &str, from: usize, to: usize) -> String {
        let to = to.min(self.stream.events.len());
        if !self.reducer.folds_text() || self.reducer.live_within_runs() {
            return match serde_json::from_str(start) {
                Ok(mut state) if !self.reducer.live_within_runs() => {
                    self.advance(&mut state, from, to);
                    state.to_string()
                }
                _ => self.text_after(to),
            };
        }
        let run: Vec<EventRef<'s>> = (from..to).map(|k| self.event(k)).collect();
        let failures = &mut self.folded.failures;
        let end = self.reducer.fold_text(start, &run, &mut |i, why| {
            failures.insert(from + i, why);
        });
        self.tree_text(end)
    }

    /// Text a reducer folded, as `Value::to_string` writes it.
    fn tree_text(&self, text: String) -> String {
        if self.reducer.writes_tree_text() {
            return text;
        }
        // Text that a reducer's own fold leaves is JSON a tree reads (see
        // `Projection::fold_text`).
        serde_json::from_str::<Value>(&text)
            .unwrap_or_else(|_| self.reducer.initial())
            .to_string()
    }

    /// Applies the stream's events `from..to` to `state`, the state after `from` events,
    /// recording failures as folding does: how a fold that is already at `from` goes on.
    pub fn advance(&mut self, state: &mut Value, from: usize, to: usize) {
        let to = to.min(self.stream.events.len());
        if self.reducer.live_within_runs() && from < to {
            // Only the run's start is JSON that can be gone on from.
            *state = self.state_after(to);
            return;
        }
        let mut at = from;
        while at < to {
            let end = to.min((at / CHECKPOINT_EVERY + 1) * CHECKPOINT_EVERY);
            self.fold(state, at, end, None);
            at = end;
        }
    }

    /// Builds every checkpoint of the stream now, so that any later point replays at most
    /// `CHECKPOINT_EVERY - 1` events.
    pub fn prepare(&mut self) {
        self.extend_checkpoints(self.stream.events.len() / CHECKPOINT_EVERY);
    }

    /// Folds every event of the stream, for its [`Replay::failures`], without making the
    /// state at its end into a tree (which `check` does not look at).
    pub fn fold_all(&mut self) {
        let len = self.stream.events.len();
        if self.reducer.folds_text() {
            self.prepare();
            self.fold_text(len / CHECKPOINT_EVERY * CHECKPOINT_EVERY, len);
        } else {
            self.state_after(len);
        }
    }

    /// The state at `point`.
    pub fn state_at(&mut self, point: Point) -> Result<Value, PointError> {
        let count = point.count(self.store, self.stream)?;
        Ok(self.state_after(count))
    }

    /// Folds the first `count` events from the start, calling `visit(k, event, state)` with
    /// the state after each one. Used by blame and audits that look at every step.
    pub fn walk(&mut self, count: usize, mut visit: impl FnMut(usize, EventRef<'s>, &Value)) {
        let count = count.min(self.stream.events.len());
        let mut state = self.reducer.initial();
        let (store, stream) = (self.store, self.stream);
        let mut at = 0;
        while at < count {
            let end = count.min(at + CHECKPOINT_EVERY);
            let mut each = |i: usize, state: &Value| {
                let k = at + i;
                visit(k, store.event(stream.events[k]), state);
            };
            self.fold(&mut state, at, end, Some(&mut each));
            at = end;
        }
    }

    /// Events the reducer failed on so far (index in the stream → why). Their state is the one
    /// before them.
    pub fn failures(&self) -> &BTreeMap<usize, String> {
        &self.folded.failures
    }

    fn extend_checkpoints(&mut self, wanted: usize) {
        while self.folded.states.len() <= wanted {
            let from = (self.folded.states.len() - 1) * CHECKPOINT_EVERY;
            let to = from + CHECKPOINT_EVERY;
            let written = match self.folded.tip.take() {
                Some(mut state) => {
                    self.fold(&mut state, from, to, None);
                    let written = state.to_string();
                    self.folded.tip = Some(state);
                    written
                }
                None => self.fold_text(from, to),
            };
            self.folded.states.push(written.into_boxed_str());
        }
    }

    /// The state after event `to`, as JSON text, from the checkpoint at `from` and the events
    /// in between (`from` is a checkpoint's count, `to` at most the next one's).
    fn fold_text(&mut self, from: usize, to: usize) -> String {
        let start = &self.folded.states[from / CHECKPOINT_EVERY];
        if from >= to {
            return start.to_string();
        }
        let run: Vec<EventRef<'s>> = (from..to).map(|k| self.event(k)).collect();
        let failures = &mut self.folded.failures;
        self.reducer.fold_text(start, &run, &mut |i, why| {
            failures.insert(from + i, why);
        })
    }

    /// Applies events `from..to`, which lie between two checkpoints, as one run.
    fn fold(&mut self, state: &mut Value, from: usize, to: usize, each: Option<Each<'_>>) {
        if from >= to {
            return;
        }
        let run: Vec<EventRef<'s>> = (from..to).map(|k| self.event(k)).collect();
        let failures = &mut self.folded.failures;
        self.reducer.fold(state, &run, each, &mut |i, why| {
            failures.insert(from + i, why);
        });
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::ReadOptions;
    use serde_json::json;
    use std::path::Path;

    /// A JSON Lines store of `lines`.
    pub(crate) fn store(lines: &[String]) -> Store {
        Store::from_bytes(
            Path::new("t.jsonl"),
            lines.join("\n").into_bytes(),
            &ReadOptions::default(),
        )
        .unwrap()
    }

    #[test]
    fn states_at_seq_time_and_end() {
        let store = store(&[
            r#"{"stream":"o","seq":1,"type":"A","time":"2024-01-01T10:00:00Z","data":{"qty":1,"note":"x"}}"#.into(),
            r#"{"stream":"o","seq":2,"type":"B","time":"2024-01-01T10:10:00Z","data":{"qty":6}}"#.into(),
            r#"{"stream":"o","seq":3,"type":"C","time":"2024-01-01T10:20:00Z","data":{"note":null}}"#.into(),
        ]);
        let stream = store.stream("o").unwrap();
        let mut replay = Replay::new(&store, stream, &MergePatch);
        assert_eq!(
            replay.state_at(Point::Seq(2)).unwrap(),
            json!({"qty": 6, "note": "x"})
        );
        assert_eq!(replay.state_at(Point::End).unwrap(), json!({"qty": 6}));
        let at = crate::store::parse_instant("2024-01-01T10:15:00Z").unwrap();
        assert_eq!(
            replay.state_at(Point::Time(at)).unwrap(),
            json!({"qty": 6, "note": "x"})
        );
        assert_eq!(replay.state_at(Point::Time(0)).unwrap(), json!({}));
        assert_eq!(replay.state_at(Point::Seq(0)).unwrap(), json!({}));
        let missing = replay.state_at(Point::Seq(9)).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "stream \"o\" has no event with seq 9 (its seqs run from 1 to 3)"
        );
    }

    #[test]
    fn a_replay_goes_on_in_the_grown_store_from_its_checkpoints() {
        let line = |i: usize| format!(r#"{{"stream":"s","type":"T","data":{{"n":{i}}}}}"#);
        let early: Vec<String> = (0..300).map(line).collect();
        let all: Vec<String> = (0..700).map(line).collect();
        let (before, after) = (store(&early), store(&all));
        let mut replay = Replay::new(&before, before.stream("s").unwrap(), &MergePatch);
        assert_eq!(replay.state_after(300), json!({"n": 299}));
        let folded = replay.into_checkpoints();
        assert_eq!(folded.covered(), 256);
        let stream = after.stream("s").unwrap();
        let mut resumed = Replay::resume(&after, stream, &MergePatch, folded);
        assert_eq!(resumed.state_after(700), json!({"n": 699}));
        assert_eq!(resumed.state_after(10), json!({"n": 9}));
    }

    #[test]
    fn checkpoints_agree_with_a_full_fold() {
        let lines: Vec<String> = (0..700)
            .map(|i| {
                format!(
                    r#"{{"stream":"s","type":"T","data":{{"n":{i},"k{}":{}}}}}"#,
                    i % 7,
                    if i % 5 == 0 {
                        "null".to_string()
                    } else {
                        i.to_string()
                    }
                )
            })
            .collect();
        let store = store(&lines);
        let stream = store.stream("s").unwrap();
        let mut replay = Replay::new(&store, stream, &MergePatch);
        let mut full = Vec::new();
        replay.walk(700, |_, _, state| full.push(state.clone()));
        for count in [700, 1, 128, 129, 256, 300, 0, 555] {
            let expected = if count == 0 {
                json!({})
            } else {
                full[count - 1].clone()
            };
            assert_eq!(replay.state_after(count), expected, "after {count} events");
        }
    }
}
