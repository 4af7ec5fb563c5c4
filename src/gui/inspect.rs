//! The inspector's worker: folds the selected stream on a background thread and answers with
//! everything the Event, Diff, State and Compare tabs show for one cursor position. The window
//! asks for the cursor it is on and shows the newest answer; stale asks are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use super::job::{Answers, Asked, Repaint, Worker, newest};

use serde_json::Value;

use super::read_model::SharedFolds;
use crate::diff::{BlameTracker, ChangeOp, Operation, Patch, diff};
use crate::replay::{MergePatch, Reducer, Replay};
use crate::store::Store;

/// The reducer to fold with, and a number that changes whenever it does (another script, or
/// the same script reloaded), so that states folded with an older one are dropped.
#[derive(Clone)]
pub struct Fold {
    pub id: u64,
    pub reducer: Arc<dyn Reducer>,
}

impl Fold {
    /// Merge patches, the default fold.
    pub fn merge_patch() -> Self {
        Self {
            id: 0,
            reducer: Arc::new(MergePatch),
        }
    }
}

impl PartialEq for Fold {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Fold {}

impl std::fmt::Debug for Fold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fold({})", self.id)
    }
}

/// The store an ask is about: the window's current snapshot. Two are the same ask only if
/// they are the same snapshot (a grown store asks again).
#[derive(Clone)]
pub struct StoreRef(pub Arc<Store>);

impl PartialEq for StoreRef {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for StoreRef {}

impl std::fmt::Debug for StoreRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({} events)", self.0.events().len())
    }
}

/// What the window wants to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    pub store: StoreRef,
    pub fold: Fold,
    pub stream: u32,
    pub cursor: usize,
    pub pin: Option<usize>,
    pub blame: Option<String>,
    /// The pointer whose numbers to plot.
    pub chart: Option<String>,
}

/// A number in the state along a stream, as a step plot: runs of `[seq, value]` points, one
/// run for each stretch of events after which the member holds a number; between runs it is
/// absent (or not a number), and nothing is drawn there.
pub type Series = Arc<Vec<Vec<[f64; 2]>>>;

/// One change of a patch, with the value it replaced, for the Diff and Compare tabs.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRow {
    pub op: ChangeOp,
    pub path: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// One event in a member's history.
#[derive(Debug, Clone, PartialEq)]
pub struct BlameRow {
    /// The event's index in the stream, to jump to.
    pub k: usize,
    pub seq: u64,
    pub type_name: String,
    pub time: Option<String>,
    pub op: ChangeOp,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// Everything shown for one ask.
#[derive(Debug, Clone)]
pub struct Answer {
    pub ask: Ask,
    /// The state after the cursor's event.
    pub state: Value,
    /// The RFC 6902 patch the cursor's event caused.
    pub patch: Patch,
    pub changes: Vec<ChangeRow>,
    /// Pointers changed by the cursor's event, and their ancestors, for highlighting.
    pub highlight: BTreeSet<String>,
    /// Pin → cursor, when pinned: the patch and its rows.
    pub compare: Option<(Patch, Vec<ChangeRow>)>,
    pub blame: Option<Vec<BlameRow>>,
    /// `[seq, value]` after each event where the pointer holds a number.
    pub series: Option<Series>,
    /// Why the cursor's event could not be applied, if it could not.
    pub failure: Option<String>,
    /// The events of the stream the reducer failed on so far (index → why): all of them up
    /// to the cursor, and those folded for checkpoints beyond it.
    pub failures: Arc<BTreeMap<usize, String>>,
    /// The cursor's event's payload and metadata, parsed.
    pub data: Option<Value>,
    pub meta: Option<Value>,
    /// The cursor's event as `events --json` prints it, indented, for "copy as JSON".
    pub event_json: String,
}

impl Answers<Ask> for Answer {
    fn ask(&self) -> &Ask {
        &self.ask
    }
}

/// The window's handle on the worker.
pub type Inspector = Asked<Ask, Answer>;

/// Starts a worker for the asks about one store as it grows; `repaint` is called when an
/// answer is ready. Its checkpoints go to `folds`, which the Read model view's worker shares.
pub fn start(repaint: Repaint, folds: SharedFolds) -> Inspector {
    Asked::start("inspect", repaint, move |asks, worker| {
        serve(asks, &folds, worker);
    })
}

/// A history of a whole stream (blame rows, a series) for one stream, pointer and length:
/// good until the fold changes or the stream grows.
type Cached<T> = Option<((u32, usize, String), T)>;

fn serve(asks: &Receiver<Ask>, shared: &SharedFolds, worker: &Worker<Answer>) {
    // The fold answered for. What it has built, the checkpoints of every stream looked at, is
    // in the store-wide fold's cache (shared with the Read model view), and goes on as the
    // store grows (a stream's first events never change), so that going back to a stream
    // does not fold it again.
    let mut fold: Option<Fold> = None;
    let mut blame_cache: Cached<Vec<BlameRow>> = None;
    let mut series_cache: Cached<Series> = None;
    let mut failures: (u32, Arc<BTreeMap<usize, String>>) = (u32::MAX, Arc::default());
    while let Some(ask) = newest(asks) {
        if fold.as_ref() != Some(&ask.fold) {
            fold = Some(ask.fold.clone());
            (blame_cache, series_cache) = (None, None);
            failures = (u32::MAX, Arc::default());
        }
        let store = ask.store.0.clone();
        let fold_now = ask.fold.clone();
        let reducer = &*fold_now.reducer;
        let Some(stream) = store.streams().get(ask.stream as usize) else {
            continue;
        };
        let checkpoints = shared.take(&fold_now, ask.stream);
        let mut replay = Replay::resume(&store, stream, reducer, checkpoints);
        let key = |pointer: &String| (ask.stream, stream.events.len(), pointer.clone());
        let blame = ask.blame.as_ref().map(|pointer| match &blame_cache {
            Some((k, rows)) if *k == key(pointer) => rows.clone(),
            _ => {
                let rows = blame_rows(&mut replay, reducer, pointer);
                blame_cache = Some((key(pointer), rows.clone()));
                rows
            }
        });
        let series = ask.chart.as_ref().map(|pointer| match &series_cache {
            Some((k, points)) if *k == key(pointer) => points.clone(),
            _ => {
                let points = Arc::new(series(&mut replay, pointer));
                series_cache = Some((key(pointer), points.clone()));
                points
            }
        });
        let stream_index = ask.stream;
        let mut answer = answer(&mut replay, ask, blame);
        answer.series = series;
        if failures.0 != stream_index || replay.failures().len() != failures.1.len() {
            failures = (stream_index, Arc::new(replay.failures().clone()));
        }
        answer.failures = failures.1.clone();
        shared.keep(&fold_now, stream_index, replay.into_checkpoints());
        if !worker.send(answer) {
            return;
        }
    }
}

fn answer(replay: &mut Replay<'_>, ask: Ask, blame: Option<Vec<BlameRow>>) -> Answer {
    let before = replay.state_after(ask.cursor);
    let state = replay.state_after(ask.cursor + 1);
    let patch = diff(&before, &state);
    let changes = change_rows(&patch, &before);
    let highlight = paths_with_ancestors(&patch);
    let compare = ask.pin.map(|pin| {
        let pinned = replay.state_after(pin + 1);
        let patch = diff(&pinned, &state);
        let rows = change_rows(&patch, &pinned);
        (patch, rows)
    });
    let failure = replay.failures().get(&ask.cursor).cloned();
    let event = replay.event(ask.cursor);
    let (data, meta) = (event.data().ok().flatten(), event.meta().ok().flatten());
    let event_json = event.to_json_pretty().unwrap_or_default();
    Answer {
        ask,
        state,
        patch,
        changes,
        highlight,
        compare,
        blame,
        failure,
        failures: Arc::default(),
        series: None,
        data,
        meta,
        event_json,
    }
}

/// Every path `patch` touches, and every path above one, so that a tree can highlight the
/// way down to each change.
fn paths_with_ancestors(patch: &Patch) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for op in patch {
        let mut pointer = op.path();
        found.insert(pointer.to_owned());
        while let Some(at) = pointer.rfind('/') {
            pointer = &pointer[..at];
            found.insert(pointer.to_owned());
        }
    }
    found
}

/// The rows of `patch` with the old values from `before`.
pub fn change_rows(patch: &Patch, before: &Value) -> Vec<ChangeRow> {
    patch
        .iter()
        .filter_map(|op| {
            let old = || before.pointer(op.path()).cloned();
            Some(match op {
                Operation::Add { path, value } => ChangeRow {
                    op: ChangeOp::Add,
                    path: path.clone(),
                    old: None,
                    new: Some(value.clone()),
                },
                Operation::Remove { path } => ChangeRow {
                    op: ChangeOp::Remove,
                    path: path.clone(),
                    old: old(),
                    new: None,
                },
                Operation::Replace { path, value } => ChangeRow {
                    op: ChangeOp::Replace,
                    path: path.clone(),
                    old: old(),
                    new: Some(value.clone()),
                },
                Operation::Move { .. } | Operation::Copy { .. } | Operation::Test { .. } => {
                    return None;
                }
            })
        })
        .collect()
}

/// The number at `pointer` after each event of the stream, by seq, as steps: a value holds
/// from its event to the next one, and a run ends where the member is absent.
#[allow(clippy::cast_precision_loss)] // a seq beyond 2^53 is placed approximately on the axis
fn series(replay: &mut Replay<'_>, pointer: &str) -> Vec<Vec<[f64; 2]>> {
    let mut runs: Vec<Vec<[f64; 2]>> = Vec::new();
    let mut open = false;
    let len = replay.stream().events.len();
    replay.walk(len, |_, event, state| {
        let x = event.event.seq as f64;
        let value = state.pointer(pointer).and_then(Value::as_f64);
        if open && let Some(run) = runs.last_mut() {
            // The value before this event held until it.
            let held = run.last().map_or(0.0, |p| p[1]);
            run.push([x, held]);
        }
        match value {
            Some(y) if open => {
                if let Some(run) = runs.last_mut() {
                    run.push([x, y]);
                }
            }
            Some(y) => runs.push(vec![[x, y]]),
            None => {}
        }
        open = value.is_some();
    });
    runs
}

fn blame_rows(replay: &mut Replay<'_>, reducer: &dyn Reducer, path: &str) -> Vec<BlameRow> {
    let Some(mut tracker) = BlameTracker::new(path, &reducer.initial()) else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    let len = replay.stream().events.len();
    replay.walk(len, |k, event, state| {
        if let Some(change) = tracker.observe(state) {
            rows.push(BlameRow {
                k,
                seq: event.event.seq,
                type_name: event.type_name().to_owned(),
                time: event.time().map(str::to_owned),
                op: change.op,
                old: change.old,
                new: change.new,
            });
        }
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ReadOptions;

    #[test]
    fn a_member_is_plotted_in_steps_with_gaps_where_it_is_absent() {
        let text = [
            "{\"n\":1}",
            "{\"n\":2}",
            "{\"n\":null}",
            "{\"n\":5,\"m\":1}",
            "{\"m\":2}",
        ]
        .iter()
        .map(|data| format!("{{\"stream\":\"s\",\"type\":\"T\",\"data\":{data}}}\n"))
        .collect::<Vec<_>>()
        .concat();
        let store = Store::from_bytes(
            std::path::Path::new("t.jsonl"),
            text.into_bytes(),
            &ReadOptions::default(),
        )
        .unwrap();
        let stream = store.stream("s").unwrap();
        let mut replay = Replay::new(&store, stream, &MergePatch);
        assert_eq!(
            series(&mut replay, "/n"),
            [
                vec![[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [3.0, 2.0]],
                vec![[4.0, 5.0], [5.0, 5.0], [5.0, 5.0]],
            ]
        );
        assert_eq!(series(&mut replay, "/missing"), Vec::<Vec<[f64; 2]>>::new());
    }
}
