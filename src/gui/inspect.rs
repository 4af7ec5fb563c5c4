//! The inspector's worker: folds the selected stream on a background thread and answers with
//! everything the Event, Diff, State and Compare tabs show for one cursor position. The window
//! asks for the cursor it is on and shows the newest answer; stale asks are skipped.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};

use serde_json::Value;

use crate::diff::{BlameTracker, ChangeOp, Operation, Patch, diff};
use crate::replay::{MergePatch, Reducer, Replay};
use crate::store::Store;

/// What the window wants to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    pub stream: u32,
    pub cursor: usize,
    pub pin: Option<usize>,
    pub blame: Option<String>,
}

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
    /// Pin → cursor, when pinned.
    pub compare: Option<Vec<ChangeRow>>,
    pub blame: Option<Vec<BlameRow>>,
    /// Why the cursor's event could not be applied, if it could not.
    pub failure: Option<String>,
    /// The cursor's event's payload and metadata, parsed.
    pub data: Option<Value>,
    pub meta: Option<Value>,
    /// The cursor's event as `events --json` prints it, indented, for "copy as JSON".
    pub event_json: String,
}

/// The window's handle on the worker.
pub struct Inspector {
    asks: Sender<Ask>,
    answers: Receiver<Answer>,
    asked: Option<Ask>,
    latest: Option<Arc<Answer>>,
}

impl Inspector {
    /// Starts a worker for `store`; `repaint` is called when an answer is ready.
    pub fn start(store: Arc<Store>, repaint: impl Fn() + Send + 'static) -> Self {
        let (asks, ask_rx) = mpsc::channel::<Ask>();
        let (answer_tx, answers) = mpsc::channel();
        let _detached = std::thread::Builder::new()
            .name("eventlens-inspect".into())
            .spawn(move || serve(&store, &ask_rx, &answer_tx, &repaint));
        Self {
            asks,
            answers,
            asked: None,
            latest: None,
        }
    }

    /// Asks for `ask` unless it is what was asked last.
    pub fn ask(&mut self, ask: Ask) {
        if self.asked.as_ref() != Some(&ask) {
            // A worker that has gone leaves the last answer on screen.
            let _ = self.asks.send(ask.clone());
            self.asked = Some(ask);
        }
    }

    /// Takes in answers that have arrived.
    pub fn poll(&mut self) {
        while let Ok(answer) = self.answers.try_recv() {
            self.latest = Some(Arc::new(answer));
        }
    }

    /// The newest answer, which may be for an earlier ask.
    pub fn latest(&self) -> Option<&Arc<Answer>> {
        self.latest.as_ref()
    }

    /// Whether the newest answer is for the last ask.
    pub fn is_current(&self) -> bool {
        self.latest.as_ref().map(|a| &a.ask) == self.asked.as_ref()
    }
}

fn serve(store: &Store, asks: &Receiver<Ask>, answers: &Sender<Answer>, repaint: &dyn Fn()) {
    let reducer = MergePatch;
    let mut replay: Option<(u32, Replay<'_>)> = None;
    let mut blame_cache: Option<(u32, String, Vec<BlameRow>)> = None;
    while let Ok(mut ask) = asks.recv() {
        while let Ok(newer) = asks.try_recv() {
            ask = newer;
        }
        let Some(stream) = store.streams().get(ask.stream as usize) else {
            continue;
        };
        if replay
            .as_ref()
            .is_none_or(|(index, _)| *index != ask.stream)
        {
            replay = Some((ask.stream, Replay::new(store, stream, &reducer)));
        }
        let Some((_, replay)) = replay.as_mut() else {
            continue;
        };
        let blame = ask.blame.as_ref().map(|pointer| match &blame_cache {
            Some((s, p, rows)) if *s == ask.stream && p == pointer => rows.clone(),
            _ => {
                let rows = blame_rows(replay, &reducer, pointer);
                blame_cache = Some((ask.stream, pointer.clone(), rows.clone()));
                rows
            }
        });
        let answer = answer(replay, ask, blame);
        if answers.send(answer).is_err() {
            return;
        }
        repaint();
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
        change_rows(&diff(&pinned, &state), &pinned)
    });
    let failure = replay.failures().get(&ask.cursor).cloned();
    let event = replay.event(ask.cursor);
    let (data, meta) = (event.data().ok().flatten(), event.meta().ok().flatten());
    let event_json = serde_json::to_string_pretty(&serde_json::json!({
        "position": event.position(),
        "line": event.event.line,
        "stream": event.stream(),
        "seq": event.event.seq,
        "type": event.type_name(),
        "time": event.time(),
        "id": event.id(),
        "data": data,
        "meta": meta,
    }))
    .unwrap_or_default();
    Answer {
        ask,
        state,
        patch,
        changes,
        highlight,
        compare,
        blame,
        failure,
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
