//! Projections: reducers written in JavaScript, in KurrentDB's projection syntax
//! (`fromCategory('order').when({ $init, OrderPlaced: (s, e) => … })`), run sandboxed.
//!
//! The engine is QuickJS (quickjs-ng, through `rquickjs`). It is built from C sources by cargo,
//! with no system library or toolchain to install; it runs the whole of modern JavaScript that
//! projections are written in; and it has the two hooks a sandbox needs: a memory limit on the
//! runtime and an interrupt handler, polled while code runs, that stops an endless loop from
//! outside. Boa, the pure-Rust engine, limits loop iterations and recursion but has no memory
//! limit and no way to stop a call after a time. A projection's runtime gets only the language:
//! no module loader, no `std`/`os` modules, no `performance`, and `Date` and `Math.random`
//! are replaced by ones that cannot read the clock (see `prelude.js`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rquickjs::context::{EvalOptions, intrinsic};
use rquickjs::{CatchResultExt, CaughtError, Context, Ctx, Function, Object, Runtime, Value};
use serde::Deserialize;

use super::{Each, Reducer};
use crate::store::EventRef;

/// What a handler call may use before it counts as failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// CPU time per handler call (and for the script's first run): the time the thread
    /// running the handler spent on it, not the wall clock, so that a handler does not fail
    /// because other work took the machine's cores.
    pub time: Duration,
    /// Memory of the whole runtime: the script, its state and what a call allocates.
    pub memory: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            time: Duration::from_millis(250),
            memory: 64 << 20,
        }
    }
}

/// The events a projection reads, from its `fromAll()` / `fromStream(…)` / `fromCategory(…)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    All,
    Streams(Vec<String>),
    /// A category is the part of a stream id before its first `-`.
    Categories(Vec<String>),
}

impl Source {
    /// Whether the projection folds this stream.
    pub fn selects(&self, stream: &str) -> bool {
        match self {
            Self::All => true,
            Self::Streams(ids) => ids.iter().any(|id| id == stream),
            Self::Categories(names) => stream
                .split_once('-')
                .is_some_and(|(category, _)| names.iter().any(|name| name == category)),
        }
    }

    /// The call that chose it, as written in a script.
    pub fn describe(&self) -> String {
        let quoted = |ids: &[String]| {
            ids.iter()
                .map(|id| format!("'{id}'"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Self::All => "fromAll()".to_owned(),
            Self::Streams(ids) if ids.len() == 1 => format!("fromStream({})", quoted(ids)),
            Self::Streams(ids) => format!("fromStreams([{}])", quoted(ids)),
            Self::Categories(ids) if ids.len() == 1 => format!("fromCategory({})", quoted(ids)),
            Self::Categories(ids) => format!("fromCategories([{}])", quoted(ids)),
        }
    }
}

/// A projection that cannot be loaded: `file:line:column: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", where_in(*.line, *.column))]
pub struct LoadError {
    pub file: String,
    /// 1-based line and column in the script, when the engine says where.
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}

fn where_in(line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!(":{line}:{column}"),
        (Some(line), None) => format!(":{line}"),
        _ => String::new(),
    }
}

/// A KurrentDB-style projection loaded from a script, ready to fold events.
pub struct Projection {
    name: String,
    /// The script, for [`Projection::fork`].
    script: String,
    source: Source,
    /// Event types with their own handler.
    handles: Vec<String>,
    /// Whether `$any` handles the other types.
    any: bool,
    initial: serde_json::Value,
    /// `initial` as JSON text, written once: every stream's fold starts from it.
    initial_text: String,
    limits: Limits,
    engine: Mutex<Engine>,
}

impl std::fmt::Debug for Projection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Projection")
            .field("name", &self.name)
            .field("source", &self.source)
            .field("handles", &self.handles)
            .finish_non_exhaustive()
    }
}

/// The name the prelude's frames carry in stack traces, so they are told from the script's.
const PRELUDE: &str = "<eventlens>";
const HOOK: &str = "__eventlens";
const THREW_NULL: &str = "it threw null";

struct Engine {
    /// Owns the heap the context lives in.
    _runtime: Runtime,
    context: Context,
    /// The running call, for the interrupt handler that stops it.
    watch: Arc<Watch>,
    /// Calls made so far.
    calls: AtomicU64,
    /// The number the prelude's `register` gave each event type, by name.
    types: RefCell<HashMap<String, u32>>,
    /// What each event type runs, by the type's id in the store folded last, with its name:
    /// a store's ids are kept from run to run (most runs are a short stream's whole history),
    /// and the name tells an id of another store apart.
    by_id: RefCell<Vec<Option<Known>>>,
}

/// An event type the engine has met: its name, and what it runs.
type Known = (Box<str>, TypeRuns);

/// What the interrupt handler needs to stop a call that runs past its time.
#[derive(Default)]
struct Watch {
    /// The number of the running call; 0: none runs.
    call: AtomicU64,
    /// Its limit: nanoseconds of CPU time.
    limit: AtomicU64,
    /// Whether the handler stopped it.
    stopped: AtomicBool,
}

#[derive(Deserialize)]
struct Declared {
    source: Option<DeclaredSource>,
    handles: Vec<String>,
    any: bool,
}

#[derive(Deserialize)]
struct DeclaredSource {
    kind: String,
    ids: Vec<String>,
}

impl Projection {
    /// Reads and loads a script file.
    pub fn load(path: &Path, limits: Limits) -> Result<Self, LoadError> {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |name| name.to_string_lossy().into_owned(),
        );
        let text = std::fs::read_to_string(path).map_err(|error| LoadError {
            file: path.display().to_string(),
            line: None,
            column: None,
            message: format!("cannot read the projection: {error}"),
        })?;
        Self::from_source(&name, &text, limits).map_err(|mut error| {
            error.file = path.display().to_string();
            error
        })
    }

    /// Loads a script; `name` is the file name that messages and stack traces use.
    pub fn from_source(name: &str, script: &str, limits: Limits) -> Result<Self, LoadError> {
        let fail = |message: String, line: Option<u32>, column: Option<u32>| LoadError {
            file: name.to_owned(),
            line,
            column,
            message,
        };
        let engine = Engine::new(limits).map_err(|e| fail(e, None, None))?;
        let declared: String = engine
            .run(limits, |ctx| {
                eval(ctx, include_str!("prelude.js"), PRELUDE)?;
                eval(ctx, script, name)?;
                hook(ctx, "declared")?.call(())
            })
            .map_err(|failure| fail(failure.message, failure.line, failure.column))?;
        let declared: Declared = serde_json::from_str(&declared).map_err(|e| {
            fail(
                format!("eventlens could not read what it declares: {e}"),
                None,
                None,
            )
        })?;
        let source = match declared.source {
            None => return Err(fail(
                "the projection does not say which events it reads: start it with fromAll(), fromStream('id'), fromStreams([...]) or fromCategory('name')".to_owned(),
                None,
                None,
            )),
            Some(DeclaredSource { kind, ids }) => match kind.as_str() {
                "all" => Source::All,
                "streams" => Source::Streams(ids),
                _ => Source::Categories(ids),
            },
        };
        let initial: String = engine
            .run(limits, |ctx| hook(ctx, "init")?.call(()))
            .map_err(|failure| {
                fail(
                    format!("$init failed: {}", failure.message),
                    failure.line,
                    failure.column,
                )
            })?;
        let initial: serde_json::Value = serde_json::from_str(&initial).map_err(|e| {
            fail(
                format!("the state from $init cannot be read: {e}"),
                None,
                None,
            )
        })?;
        Ok(Self {
            name: name.to_owned(),
            script: script.to_owned(),
            source,
            handles: declared.handles,
            any: declared.any,
            initial_text: initial.to_string(),
            initial,
            limits,
            engine: Mutex::new(engine),
        })
    }

    /// The same script in an engine of its own, for folding on another thread without
    /// waiting for this one.
    pub fn fork(&self) -> Result<Self, LoadError> {
        Self::from_source(&self.name, &self.script, self.limits)
    }

    /// The script's file name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The event types with a handler of their own, and whether `$any` handles the others.
    pub fn handlers(&self) -> (&[String], bool) {
        (&self.handles, self.any)
    }

    /// Whether an event of this type in a selected stream runs a handler.
    pub fn handles(&self, event_type: &str) -> bool {
        self.any || self.handles.iter().any(|t| t == event_type)
    }
}

impl Reducer for Projection {
    fn initial(&self) -> serde_json::Value {
        self.initial.clone()
    }

    fn initial_text(&self) -> String {
        self.initial_text.clone()
    }

    fn source(&self) -> Option<&Source> {
        Some(&self.source)
    }

    fn apply(&self, state: &mut serde_json::Value, event: &EventRef<'_>) -> Result<(), String> {
        let mut failure = None;
        self.fold(state, std::slice::from_ref(event), None, &mut |_, why| {
            failure = Some(why);
        });
        failure.map_or(Ok(()), Err)
    }

    /// The state stays in the engine, as the handlers leave it, from the run's first event to
    /// its last, and crosses to Rust as JSON text only at the run's end: at a checkpoint, or
    /// where a state was asked for. A run starts from a checkpoint (or the initial state) in a
    /// fold from the start and in one restarted from a checkpoint alike, so both give the same
    /// state. KurrentDB does the same: a projection's state lives in its engine, and is
    /// written as JSON when the projection writes a checkpoint.
    ///
    /// When `each` wants the state after every event, it is written as JSON after every event;
    /// an event after which it cannot be (a cycle, a `BigInt`) fails. Without `each`, only the
    /// run's end is written (see [`Reducer::fold_text`]).
    fn fold(
        &self,
        state: &mut serde_json::Value,
        run: &[EventRef<'_>],
        each: Option<Each<'_>>,
        failed: &mut dyn FnMut(usize, String),
    ) {
        let Some(each) = each else {
            let end = self.fold_text(&state.to_string(), run, failed);
            if let Ok(end) = serde_json::from_str(&end) {
                *state = end;
            }
            return;
        };
        if run
            .first()
            .is_none_or(|first| !self.source.selects(first.stream()))
        {
            (0..run.len()).for_each(|i| each(i, state));
            return;
        }
        let (text, failures) = self.in_engine(&state.to_string(), run, Some(each));
        for (i, why) in failures {
            failed(i, why);
        }
        match text.and_then(|text| {
            serde_json::from_str(&text)
                .map_err(|e| format!("the state it left cannot be read: {e}"))
        }) {
            Ok(end) => *state = end,
            // Only a script that does not fold the same events the same way twice gets here:
            // the run is left out, and its last event says why.
            Err(why) => failed(run.len() - 1, why),
        }
    }

    /// The run from `start` to the state at its end, as the text the engine writes: no tree
    /// is made on the way. Only if the end cannot be written, or not read as a tree, is the
    /// run folded again event by event, as with `each`, to find the events to blame.
    fn fold_text(
        &self,
        start: &str,
        run: &[EventRef<'_>],
        failed: &mut dyn FnMut(usize, String),
    ) -> String {
        if run
            .first()
            .is_none_or(|first| !self.source.selects(first.stream()))
        {
            return start.to_owned();
        }
        let (text, failures) = self.in_engine(start, run, None);
        for (i, why) in failures {
            failed(i, why);
        }
        match text {
            Ok(end) => end,
            Err(why) => {
                failed(run.len() - 1, why);
                start.to_owned()
            }
        }
    }

    fn folds_text(&self) -> bool {
        true
    }

    fn live_within_runs(&self) -> bool {
        true
    }

    fn fork(&self) -> Option<Box<dyn Reducer>> {
        Projection::fork(self)
            .ok()
            .map(|fork| Box::new(fork) as Box<dyn Reducer>)
    }
}

impl Projection {
    /// Folds `run` from `start` in the engine: the state at its end as JSON text (or why it
    /// cannot be written; without `each`, also why a tree cannot read it), and the events
    /// that failed, by index in the run.
    fn in_engine(
        &self,
        start: &str,
        run: &[EventRef<'_>],
        each: Option<Each<'_>>,
    ) -> (Result<String, String>, Vec<(usize, String)>) {
        let engine = self.engine.lock().unwrap_or_else(PoisonError::into_inner);
        let folded = engine.context.with(|ctx| {
            let run = Run {
                projection: self,
                engine: &engine,
                hooks: Hooks::of(&ctx)?,
                ctx: &ctx,
                start,
                events: run,
            };
            if let Some(each) = each {
                return Ok(run.fold(Some(each)));
            }
            let folded = run.fold(None);
            if folded
                .text
                .as_ref()
                .is_ok_and(|text| readable(text).is_ok())
            {
                return Ok(folded);
            }
            // An end that cannot be written or read: the events to blame are found event by
            // event.
            let mut refolded = run.fold(Some(&mut |_, _| {}));
            refolded.text = refolded
                .text
                .and_then(|text| readable(&text).map(|()| text));
            Ok::<_, rquickjs::Error>(refolded)
        });
        match folded {
            Ok(Folded { text, failures }) => (text, failures),
            Err(error) => (
                Err(format!("eventlens could not run the projection: {error}")),
                Vec::new(),
            ),
        }
    }
}

/// Whether `serde_json` reads `text`, which `JSON.stringify` wrote, as a tree: what a state
/// must be. Such text is always JSON, and the tree refuses only two things in it: the escape
/// of a lone surrogate (`\ud800`: `JSON.stringify` writes a lone surrogate so) and nesting
/// deeper than 127. Where neither can be (no `\ud` or `\uD` at all; fewer than 128 brackets,
/// so no deeper nesting), it is read without being parsed; elsewhere it is parsed to be sure.
fn readable(text: &str) -> Result<(), String> {
    let bytes = text.as_bytes();
    let brackets = memchr::memchr2_iter(b'{', b'[', bytes).take(128).count();
    let surrogate = memchr::memmem::find_iter(bytes, br"\u")
        .any(|at| matches!(bytes.get(at + 2), Some(b'd' | b'D')));
    if brackets < 128 && !surrogate {
        return Ok(());
    }
    serde_json::from_str::<serde_json::Value>(text)
        .map(drop)
        .map_err(|e| format!("the state it left cannot be read: {e}"))
}

/// The prelude's functions that fold a run.
struct Hooks<'js> {
    begin: Function<'js>,
    register: Function<'js>,
    step: Function<'js>,
    state: Function<'js>,
}

impl<'js> Hooks<'js> {
    fn of(ctx: &Ctx<'js>) -> rquickjs::Result<Self> {
        Ok(Self {
            begin: hook(ctx, "begin")?,
            register: hook(ctx, "register")?,
            step: hook(ctx, "step")?,
            state: hook(ctx, "state")?,
        })
    }
}

/// One run of a stream's events being folded in the engine.
struct Run<'a, 'js, 'e> {
    projection: &'a Projection,
    engine: &'a Engine,
    hooks: Hooks<'js>,
    ctx: &'a Ctx<'js>,
    /// The state the run starts from, as JSON text.
    start: &'a str,
    events: &'a [EventRef<'e>],
}

/// What an event type runs in a projection.
#[derive(Debug, Clone, Copy)]
enum TypeRuns {
    /// A handler, found by the prelude's number for the type.
    Handler(u32),
    /// Nothing: the type has no handler and there is no `$any`.
    Nothing,
}

/// What folding a run gave: the state at its end as JSON text (or why it cannot be written),
/// and the events that failed, by index in the run.
struct Folded {
    text: Result<String, String>,
    failures: Vec<(usize, String)>,
}

impl Run<'_, '_, '_> {
    /// Folds the run. With `each`, the state is written as JSON after every event and shown
    /// to `each`; an event after which it cannot be written fails.
    fn fold(&self, mut each: Option<Each<'_>>) -> Folded {
        let mut failures = Vec::new();
        if let Err(why) = self.begin() {
            return Folded {
                text: Err(why),
                failures,
            };
        }
        let mut before = each
            .as_ref()
            .map(|_| serde_json::from_str(self.start).unwrap_or(serde_json::Value::Null));
        for (i, event) in self.events.iter().enumerate() {
            let mut outcome = self.step(event);
            if let (Ok(()), Some(each), Some(before)) = (&outcome, each.as_mut(), before.as_mut()) {
                match self.written().and_then(|text| {
                    serde_json::from_str(&text)
                        .map_err(|e| format!("the state it left cannot be read: {e}"))
                }) {
                    Ok(after) => {
                        each(i, &after);
                        *before = after;
                        continue;
                    }
                    Err(why) => outcome = Err(why),
                }
            }
            if let Err(why) = outcome {
                failures.push((i, why));
                // The failed event's half-done change is undone by folding the run again
                // without it: the handlers are deterministic (no clock, no randomness).
                if let Err(why) = self.redo(i, &failures) {
                    return Folded {
                        text: Err(why),
                        failures,
                    };
                }
            }
            if let (Some(each), Some(before)) = (each.as_mut(), before.as_ref()) {
                each(i, before);
            }
        }
        Folded {
            text: self.written(),
            failures,
        }
    }

    fn begin(&self) -> Result<(), String> {
        let stream = self.events[0].stream();
        let category = stream.split_once('-').map(|(category, _)| category);
        self.engine
            .call(self.ctx, self.projection.limits, || {
                self.hooks
                    .begin
                    .call::<_, ()>((self.start, stream, nullable(self.ctx, category)?))
            })
            .map_err(|failure| format!("the state cannot be read: {}", failure.message))
    }

    /// The live state again as it was before event `upto`, from the run's start and the
    /// events before it that did not fail.
    fn redo(&self, upto: usize, failures: &[(usize, String)]) -> Result<(), String> {
        self.begin()?;
        for (i, event) in self.events[..upto].iter().enumerate() {
            if !failures.iter().any(|&(failed, _)| failed == i) {
                // It did not fail the first time; should it now, it stays left out.
                let _ = self.step(event);
            }
        }
        Ok(())
    }

    /// Applies one event to the live state.
    fn step(&self, event: &EventRef<'_>) -> Result<(), String> {
        let projection = self.projection;
        let ctx = self.ctx;
        let failed = |failure: Failure| {
            let at = where_in(failure.line, failure.column);
            let at = if at.is_empty() {
                at
            } else {
                format!(" (at {}{at})", projection.name)
            };
            let handler = if projection.handles.iter().any(|t| t == event.type_name()) {
                event.type_name()
            } else {
                "$any"
            };
            format!("the handler {handler} failed: {}{at}", failure.message)
        };
        let Some(type_number) = self.type_number(event).map_err(failed)? else {
            return Ok(());
        };
        let texts = event.texts();
        let refused: Option<String> = self
            .engine
            .call(ctx, projection.limits, || {
                self.hooks.step.call((
                    type_number,
                    // As JSON.parse would read it: the nearest double.
                    event.event.seq as f64,
                    nullable(ctx, texts.id)?,
                    nullable(ctx, texts.time)?,
                    nullable(ctx, texts.data)?,
                    nullable(ctx, texts.meta)?,
                ))
            })
            .map_err(failed)?;
        refused.map_or(Ok(()), Err)
    }

    /// The prelude's number for the event's type, registered the first time the engine sees
    /// the type: a number crosses into the engine faster than a name, and finds the handler
    /// without a lookup by name. `None`: no handler runs for the type. Either is looked up
    /// by the type's id in the store, and by name only the first time the id is met.
    fn type_number(&self, event: &EventRef<'_>) -> Result<Option<u32>, Failure> {
        let id = event.event.type_id as usize;
        let name = event.type_name();
        let seen = match self.engine.by_id.borrow().get(id) {
            Some(Some((known, runs))) if **known == *name => Some(*runs),
            _ => None,
        };
        let runs = if let Some(runs) = seen {
            runs
        } else {
            let runs = self.register(name)?;
            let mut by_id = self.engine.by_id.borrow_mut();
            if by_id.len() <= id {
                by_id.resize(id + 1, None);
            }
            by_id[id] = Some((name.into(), runs));
            runs
        };
        Ok(match runs {
            TypeRuns::Handler(number) => Some(number),
            TypeRuns::Nothing => None,
        })
    }

    /// What `event_type` runs, registered with the prelude the first time the engine meets it.
    fn register(&self, event_type: &str) -> Result<TypeRuns, Failure> {
        if !self.projection.handles(event_type) {
            return Ok(TypeRuns::Nothing);
        }
        let mut known = self.engine.types.borrow_mut();
        if let Some(&number) = known.get(event_type) {
            return Ok(TypeRuns::Handler(number));
        }
        let number = self.engine.call(self.ctx, self.projection.limits, || {
            self.hooks.register.call::<_, u32>((event_type,))
        })?;
        known.insert(event_type.to_owned(), number);
        Ok(TypeRuns::Handler(number))
    }

    /// The live state as JSON text.
    fn written(&self) -> Result<String, String> {
        self.engine
            .call(self.ctx, self.projection.limits, || {
                self.hooks.state.call::<_, String>(())
            })
            .map_err(|failure| {
                format!(
                    "the state it left cannot be written as JSON: {}",
                    failure.message
                )
            })
    }
}

/// `text` as a JavaScript string, or `null`.
fn nullable<'js>(ctx: &Ctx<'js>, text: Option<&str>) -> rquickjs::Result<Value<'js>> {
    match text {
        Some(text) => Ok(rquickjs::String::from_str(ctx.clone(), text)?.into_value()),
        None => Ok(Value::new_null(ctx.clone())),
    }
}

/// Why a run failed, with where in the script when the engine says.
struct Failure {
    message: String,
    line: Option<u32>,
    column: Option<u32>,
}

impl Engine {
    fn new(limits: Limits) -> Result<Self, String> {
        let runtime =
            Runtime::new().map_err(|e| format!("the JavaScript engine cannot start: {e}"))?;
        runtime.set_memory_limit(limits.memory);
        runtime.set_max_stack_size(512 << 10);
        let watch = Arc::new(Watch::default());
        let watched = Arc::clone(&watch);
        let epoch = Instant::now();
        let (mut seen, mut started) = (0, 0);
        // QuickJS calls this every few thousand operations on the thread running the script,
        // so the clock it reads is that thread's own CPU time. A call's clock starts the first
        // time the handler sees it: most calls end before that, and read no clock at all (the
        // thread's CPU time is a system call, which would cost as much as a short handler).
        runtime.set_interrupt_handler(Some(Box::new(move || {
            let call = watched.call.load(Ordering::Relaxed);
            if call == 0 {
                return false;
            }
            let now = cpu_nanos(epoch);
            if call != seen {
                (seen, started) = (call, now);
                return false;
            }
            let over = now.saturating_sub(started) > watched.limit.load(Ordering::Relaxed);
            if over {
                watched.stopped.store(true, Ordering::Relaxed);
            }
            over
        })));
        // Only the language: no Performance (a clock), no Promise (nothing runs later).
        let context = Context::custom::<(
            intrinsic::Date,
            intrinsic::Eval,
            intrinsic::RegExpCompiler,
            intrinsic::RegExp,
            intrinsic::Json,
            intrinsic::Proxy,
            intrinsic::MapSet,
            intrinsic::TypedArrays,
            intrinsic::WeakRef,
        )>(&runtime)
        .map_err(|e| format!("the JavaScript engine cannot start: {e}"))?;
        Ok(Self {
            _runtime: runtime,
            context,
            watch,
            calls: AtomicU64::new(0),
            types: RefCell::default(),
            by_id: RefCell::default(),
        })
    }

    /// Runs `work` within the limits, turning an exception into a [`Failure`].
    fn run<T>(
        &self,
        limits: Limits,
        work: impl for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<T>,
    ) -> Result<T, Failure> {
        self.context
            .with(|ctx| self.call(&ctx, limits, || work(&ctx)))
    }

    /// One call into the engine within the limits, with the engine already in hand.
    fn call<T>(
        &self,
        ctx: &Ctx<'_>,
        limits: Limits,
        work: impl FnOnce() -> rquickjs::Result<T>,
    ) -> Result<T, Failure> {
        let limit = u64::try_from(limits.time.as_nanos()).unwrap_or(u64::MAX);
        self.watch.limit.store(limit, Ordering::Relaxed);
        let call = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        self.watch.call.store(call, Ordering::Relaxed);
        let outcome = work().catch(ctx).map_err(|caught| describe(&caught));
        // `import()` queues a job even without a module loader; what it would run must not
        // outlive the call (and jobs left behind would be freed with the runtime still in use).
        while ctx.execute_pending_job() {
            if self.watch.stopped.load(Ordering::Relaxed) {
                break;
            }
        }
        self.watch.call.store(0, Ordering::Relaxed);
        let timed_out = self.watch.stopped.swap(false, Ordering::Relaxed);
        outcome.map_err(|mut failure| {
            // QuickJS throws "out of memory", or null when even that error cannot be made
            // (a script that throws null itself is told the same, with "or threw null").
            let out_of_memory =
                failure.message.contains("out of memory") || failure.message == THREW_NULL;
            if timed_out {
                failure.message = format!(
                    "it ran past the time limit of {} ms",
                    limits.time.as_millis()
                );
            } else if out_of_memory {
                failure.message = format!(
                    "it ran past the memory limit of {} MiB{}",
                    limits.memory >> 20,
                    if failure.message == THREW_NULL {
                        " (or threw null)"
                    } else {
                        ""
                    }
                );
                failure.line = None;
                failure.column = None;
            }
            // What a failed call allocated is garbage now; collect it before the next call.
            ctx.run_gc();
            failure
        })
    }
}

/// The CPU time the calling thread has used, in nanoseconds: what a handler's time limit
/// counts. Time the thread spends waiting for a core (a loaded machine, a parallel test run)
/// is not counted, so a handler fails the same way however busy the machine is.
#[cfg(unix)]
fn cpu_nanos(_epoch: Instant) -> u64 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    u64::try_from(now.tv_sec)
        .unwrap_or(0)
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::try_from(now.tv_nsec).unwrap_or(0))
}

/// Where threads have no CPU clock to read, the wall clock since `epoch` stands in.
#[cfg(not(unix))]
fn cpu_nanos(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

fn eval(ctx: &Ctx<'_>, script: &str, name: &str) -> rquickjs::Result<()> {
    let mut options = EvalOptions::default();
    options.global = true;
    options.strict = false;
    options.filename = Some(name.to_owned());
    ctx.eval_with_options::<(), _>(script, options)
}

fn hook<'js>(ctx: &Ctx<'js>, name: &str) -> rquickjs::Result<Function<'js>> {
    ctx.globals().get::<_, Object>(HOOK)?.get(name)
}

/// The message of what was thrown, and the script's line and column of the innermost frame
/// that is not eventlens' own.
fn describe(caught: &CaughtError<'_>) -> Failure {
    match caught {
        CaughtError::Exception(exception) => {
            let name = exception
                .get::<_, Option<String>>("name")
                .ok()
                .flatten()
                .unwrap_or_else(|| "Error".to_owned());
            let message = exception.message().unwrap_or_default();
            let (line, column) = exception
                .stack()
                .as_deref()
                .and_then(script_frame)
                .map_or((None, None), |(line, column)| (Some(line), Some(column)));
            Failure {
                message: if message.is_empty() {
                    name
                } else {
                    format!("{name}: {message}")
                },
                line,
                column,
            }
        }
        CaughtError::Value(value) => Failure {
            message: format!("it threw {}", thrown(value)),
            line: None,
            column: None,
        },
        CaughtError::Error(error) => Failure {
            message: error.to_string(),
            line: None,
            column: None,
        },
    }
}

/// A thrown value that is not an Error, as JavaScript would print it.
fn thrown(value: &Value<'_>) -> String {
    if let Some(text) = value.as_string().and_then(|s| s.to_string().ok()) {
        return format!("{text:?}");
    }
    value
        .ctx()
        .json_stringify(value.clone())
        .ok()
        .flatten()
        .and_then(|s| s.to_string().ok())
        .unwrap_or_else(|| format!("a {}", value.type_name()))
}

/// The first `file:line:column` of a stack trace that is not in the prelude.
fn script_frame(stack: &str) -> Option<(u32, u32)> {
    stack
        .lines()
        .filter(|frame| !frame.contains(PRELUDE) && !frame.contains("<native>"))
        .find_map(|frame| {
            let place = frame.trim().trim_end_matches(')');
            let place = place.rsplit(['(', ' ']).next()?;
            let mut parts = place.rsplitn(3, ':');
            let column = parts.next()?.parse().ok()?;
            let line = parts.next()?.parse().ok()?;
            Some((line, column))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::{MergePatch, Replay};
    use crate::store::{ReadOptions, Store};
    use serde_json::json;

    fn store() -> Store {
        let lines = [
            r#"{"stream":"order-1","seq":1,"type":"OrderPlaced","time":"2024-01-01T10:00:00Z","data":{"customer":"ada","total":0}}"#,
            r#"{"stream":"order-1","seq":2,"type":"ItemAdded","time":"2024-01-01T10:01:00Z","data":{"sku":"A","qty":2,"price":19.99}}"#,
            r#"{"stream":"order-1","seq":3,"type":"ItemAdded","time":"2024-01-01T10:02:00Z","data":{"sku":"B","qty":1,"price":5}}"#,
            r#"{"stream":"order-1","seq":4,"type":"Noted","time":"2024-01-01T10:03:00Z","data":{"text":"call first"}}"#,
            r#"{"stream":"account-7","seq":1,"type":"Opened","data":{"owner":"ada"}}"#,
        ];
        Store::from_bytes(
            Path::new("t.jsonl"),
            lines.join("\n").into_bytes(),
            &ReadOptions::default(),
        )
        .unwrap()
    }

    fn load(script: &str) -> Result<Projection, LoadError> {
        Projection::from_source(
            "p.js",
            script,
            Limits {
                time: Duration::from_millis(100),
                memory: 16 << 20,
            },
        )
    }

    fn fold(projection: &Projection, stream: &str) -> (serde_json::Value, Vec<(usize, String)>) {
        let store = store();
        let mut replay = Replay::new(&store, store.stream(stream).unwrap(), projection);
        let state = replay.state_after(usize::MAX);
        let failures = replay
            .failures()
            .iter()
            .map(|(k, why)| (*k, why.clone()))
            .collect();
        (state, failures)
    }

    #[test]
    fn a_kurrentdb_projection_folds_each_selected_stream() {
        let projection = load(
            "options({ $includeLinks: false });
             fromCategory('order')
               .foreachStream()
               .when({
                 $init: function () { return { lines: [], total: 0 }; },
                 OrderPlaced: (s, e) => { s.customer = e.data.customer; s.at = e.created; },
                 ItemAdded(s, e) {
                   s.lines.push(e.body.sku);
                   s.total = Math.round((s.total + e.data.qty * e.data.price) * 100) / 100;
                 },
                 $any: (s, e) => ({ ...s, last: e.eventType + '#' + e.sequenceNumber + '@' + e.streamId }),
               })
               .outputState();",
        )
        .unwrap();
        assert_eq!(
            projection.source(),
            Some(&Source::Categories(vec!["order".into()]))
        );
        assert_eq!(
            projection.source().unwrap().describe(),
            "fromCategory('order')"
        );
        let (state, failures) = fold(&projection, "order-1");
        assert_eq!(failures, []);
        assert_eq!(
            state,
            json!({"lines": ["A", "B"], "total": 44.98, "customer": "ada",
                   "at": "2024-01-01T10:00:00Z", "last": "Noted#4@order-1"})
        );
        // account-7 is not in the category: it stays at $init.
        assert_eq!(
            fold(&projection, "account-7"),
            (json!({"lines": [], "total": 0}), vec![])
        );
    }

    #[test]
    fn sources_select_streams() {
        let streams = |script: &str| {
            let source = load(&format!("{script}.when({{}})"))
                .unwrap()
                .source()
                .unwrap()
                .clone();
            ["order-1", "order", "account-7", "orders-1"].map(|id| source.selects(id))
        };
        assert_eq!(streams("fromAll()"), [true; 4]);
        assert_eq!(streams("fromStream('order')"), [false, true, false, false]);
        assert_eq!(
            streams("fromStreams(['order-1', 'account-7'])"),
            [true, false, true, false]
        );
        assert_eq!(
            streams("fromStreams('order-1', 'account-7')"),
            [true, false, true, false]
        );
        assert_eq!(
            streams("fromCategories(['order', 'account'])"),
            [true, false, true, false]
        );
    }

    #[test]
    fn a_throwing_handler_fails_its_event_only() {
        let projection = load(
            "fromAll().when({\n  $init: () => ({ n: 0 }),\n  ItemAdded: (s, e) => {\n    s.n += 1;\n    if (e.data.sku === 'A') throw new Error('no A');\n  },\n  Noted: (s) => { s.noted = s.n; },\n})",
        )
        .unwrap();
        let (state, failures) = fold(&projection, "order-1");
        // The half-done change of the failed event is gone; the next events fold on.
        assert_eq!(state, json!({"n": 1, "noted": 1}));
        assert_eq!(
            failures,
            [(
                1,
                "the handler ItemAdded failed: Error: no A (at p.js:5:39)".to_owned()
            )]
        );
    }

    /// Folds order-1 with `handler` for `ItemAdded` (its two events) within `limits`; asserts
    /// that both fail with `why` and that the engine still folds afterwards.
    fn both_fail(handler: &str, limits: Limits, why: &str) {
        let script = format!(
            "fromAll().when({{\n  ItemAdded: {handler},\n  Noted: (s, e) => ({{ text: e.data.text }}),\n}})"
        );
        let projection = Projection::from_source("p.js", &script, limits).unwrap();
        let (state, failures) = fold(&projection, "order-1");
        assert_eq!(state, json!({"text": "call first"}));
        assert_eq!(failures.len(), 2, "{failures:?}");
        for (_, failure) in &failures {
            assert!(failure.starts_with(why), "{failures:?}");
        }
        assert_eq!(
            fold(&projection, "order-1").0,
            json!({"text": "call first"})
        );
    }

    #[test]
    fn limits_stop_endless_loops() {
        both_fail(
            "(s, e) => { while (true) {} }",
            Limits {
                time: Duration::from_millis(100),
                memory: 16 << 20,
            },
            "the handler ItemAdded failed: it ran past the time limit of 100 ms (at p.js:2:",
        );
    }

    #[test]
    fn the_time_limit_counts_cpu_time_not_waiting() {
        let epoch = Instant::now();
        let before = cpu_nanos(epoch);
        std::thread::sleep(Duration::from_millis(200));
        let slept = cpu_nanos(epoch) - before;
        if cfg!(unix) {
            assert!(slept < 50_000_000, "a sleeping thread used {slept} ns");
        }
        let spun = cpu_nanos(epoch);
        while cpu_nanos(epoch) - spun < 20_000_000 {}
        assert!(epoch.elapsed() >= Duration::from_millis(220));
    }

    #[test]
    fn limits_stop_memory_hogs() {
        // All the time it could want, however busy the machine: only memory stops it.
        both_fail(
            "(s, e) => { const hog = []; while (true) hog.push('x'.repeat(1 << 20) + hog.length); }",
            Limits {
                time: Duration::from_secs(120),
                memory: 16 << 20,
            },
            "the handler ItemAdded failed: it ran past the memory limit of 16 MiB",
        );
    }

    #[test]
    fn nothing_outside_is_reachable() {
        let projection = load(
            "fromAll().when({ $any: (s, e) => {
               const parsed = new Date(e.created).toISOString();
               const tried = {};
               for (const [name, reach] of Object.entries({
                 now: () => Date.now(), date: () => new Date(), dateCall: () => Date(),
                 random: () => Math.random(), std: () => std.open('/etc/passwd'),
                 os: () => os.exec(['true']), require: () => require('fs'),
                 fetch: () => fetch('http://example.com'), performance: () => performance.now(),
                 process: () => process.env,
               })) {
                 try { reach(); tried[name] = 'reached'; } catch (x) { tried[name] = x.name; }
               }
               return { parsed, tried };
             } })",
        )
        .unwrap();
        let (state, failures) = fold(&projection, "order-1");
        assert_eq!(failures, []);
        assert_eq!(state["parsed"], json!("2024-01-01T10:03:00.000Z"));
        assert_eq!(state["tried"]["now"], json!("Error"));
        for (name, outcome) in state["tried"].as_object().unwrap() {
            assert_ne!(outcome, "reached", "{name} reached outside the sandbox");
        }
    }

    #[test]
    fn modules_cannot_be_imported() {
        let projection = load(
            "fromAll().when({
               OrderPlaced: () => {
                 import('fs').then((m) => { globalThis.module = m; }, (x) => { globalThis.refused = String(x); });
               },
               $any: () => ({ module: typeof globalThis.module, refused: globalThis.refused }),
             })",
        )
        .unwrap();
        // Without Promise there is no `then` to call; with it, the import would be refused.
        let (state, failures) = fold(&projection, "order-1");
        assert!(failures.iter().all(|(k, _)| *k == 0), "{failures:?}");
        assert_eq!(state["module"], json!("undefined"));
    }

    #[test]
    fn load_errors_say_where() {
        let error = load("fromAll().when({\n  A: (s, e) => {\n    s.x = ;\n  },\n})").unwrap_err();
        assert_eq!(
            error.to_string(),
            "p.js:3:11: SyntaxError: unexpected token in expression: ';'"
        );
        assert_eq!(
            load("fromAll()").unwrap_err().to_string(),
            "p.js: Error: the projection has no when({ … }): nothing to fold"
        );
        assert!(
            load("({}).x.y")
                .unwrap_err()
                .to_string()
                .starts_with("p.js:1:")
        );
        assert!(
            load("when({})")
                .unwrap_err()
                .message
                .starts_with("ReferenceError")
        );
        assert_eq!(
            load("fromAll().when({ $init: () => { throw new Error('no') } })")
                .unwrap_err()
                .to_string(),
            "p.js:1:43: $init failed: Error: no"
        );
        assert!(
            load("fromAll().when({}).transformBy(s => s)")
                .unwrap_err()
                .message
                .contains("not supported")
        );
        assert!(
            load("fromAll().when({ A: 1 })")
                .unwrap_err()
                .message
                .contains("\"A\" is not a function")
        );
    }

    /// 300 events of one stream, `{"i": 0}` to `{"i": 299}`.
    fn counted() -> Store {
        let lines: Vec<String> = (0..300)
            .map(|i| {
                format!(
                    r#"{{"stream":"s-1","seq":{},"type":"T","data":{{"i":{i}}}}}"#,
                    i + 1
                )
            })
            .collect();
        crate::replay::tests::store(&lines)
    }

    #[test]
    fn state_lives_in_the_engine_between_checkpoints() {
        // `seen` is a Map while a run goes on, and `{}` once written as JSON at a checkpoint;
        // `gone` is undefined, so never written. Every 50th event from the 7th throws after
        // changing the state.
        let projection = load(
            "fromAll().when({
               $init: () => ({ n: 0 }),
               T: (s, e) => {
                 s.n += 1;
                 if (!(s.seen instanceof Map)) s.seen = new Map();
                 s.seen.set(e.data.i % 3, true);
                 s.kinds = s.seen.size;
                 s.gone = undefined;
                 if (e.data.i % 50 === 7) { s.n += 1000; throw new Error('no ' + e.data.i); }
               },
             })",
        )
        .unwrap();
        let store = counted();
        let stream = store.stream("s-1").unwrap();
        let mut walked = Replay::new(&store, stream, &projection);
        let mut states = vec![walked.state_after(0)];
        walked.walk(300, |_, _, state| states.push(state.clone()));
        let failed: Vec<usize> = walked.failures().keys().copied().collect();
        assert_eq!(failed, [7, 57, 107, 157, 207, 257]);
        assert_eq!(
            walked.failures()[&57],
            "the handler T failed: Error: no 57 (at p.js:9:82)"
        );
        // Within a run the Map remembers; a run that starts at a checkpoint starts it anew.
        assert_eq!(states[100], json!({"n": 98, "seen": {}, "kinds": 3}));
        assert_eq!(states[130], json!({"n": 127, "seen": {}, "kinds": 2}));
        assert_eq!(states[300], json!({"n": 294, "seen": {}, "kinds": 3}));
        // From the start, from a checkpoint, forwards and backwards: the same states and
        // failures as the walk.
        let mut jumped = Replay::new(&store, stream, &projection);
        for count in [300, 0, 1, 129, 128, 7, 8, 255, 256, 257, 258, 100, 299] {
            assert_eq!(jumped.state_after(count), states[count], "after {count}");
        }
        assert_eq!(jumped.failures(), walked.failures());
        // Going on from a state in the middle of a run starts again from the run's start.
        let mut stepped = Replay::new(&store, stream, &projection);
        let mut state = stepped.state_after(0);
        let mut at = 0;
        for to in [3, 9, 60, 61, 140, 299, 300] {
            stepped.advance(&mut state, at, to);
            assert_eq!(state, states[to], "advanced to {to}");
            at = to;
        }
    }

    #[test]
    fn a_state_that_cannot_be_written_fails_the_event_that_left_it() {
        let projection = load(
            "fromAll().when({
               T: (s, e) => {
                 s.last = e.data.i;
                 if (e.data.i === 140) s.self = s;
                 if (e.data.i === 141) return () => 1;
                 if (e.data.i === 142) s.big = 10n;
               },
             })",
        )
        .unwrap();
        let store = counted();
        let stream = store.stream("s-1").unwrap();
        let expected = [
            (
                140,
                "the state it left cannot be written as JSON: TypeError: circular reference",
            ),
            (
                141,
                "the handler T failed: TypeError: the state left by T cannot be written as JSON (it is function)",
            ),
            (
                142,
                "the state it left cannot be written as JSON: TypeError: BigInt are forbidden in JSON.stringify",
            ),
        ];
        let check = |replay: &Replay<'_>| {
            let failures: Vec<(usize, &str)> = replay
                .failures()
                .iter()
                .map(|(&k, why)| (k, why.as_str()))
                .collect();
            assert_eq!(failures, expected);
        };
        let mut replay = Replay::new(&store, stream, &projection);
        assert_eq!(replay.state_after(150), json!({"last": 149}));
        assert_eq!(replay.state_after(143), json!({"last": 139}));
        check(&replay);
        let mut walked = Replay::new(&store, stream, &projection);
        let mut states = Vec::new();
        walked.walk(150, |_, _, state| states.push(state.clone()));
        check(&walked);
        assert_eq!(states[140], json!({"last": 139}));
        assert_eq!(states[149], json!({"last": 149}));
    }

    #[test]
    fn what_is_readable_is_what_a_tree_reads() {
        let nested = |depth: usize| "[".repeat(depth) + &"]".repeat(depth);
        let texts = [
            r#"{"a":[1,{"b":"x"}],"c":null}"#.to_owned(),
            r#"{"s":"\\ud83d"}"#.to_owned(),
            r#"{"s":"\ud83d"}"#.to_owned(),
            r#"{"s":"\uD83D"}"#.to_owned(),
            r#"{"s":"x\udc00"}"#.to_owned(),
            r#"{"s":"\ud83d\ude00","t":"\u001f"}"#.to_owned(),
            nested(127),
            nested(128),
            format!("[{}{{}}]", "{},".repeat(300)),
            format!(r#"{{"s":"{}"}}"#, "[".repeat(200)),
        ];
        for text in &texts {
            assert_eq!(
                readable(text).is_ok(),
                serde_json::from_str::<serde_json::Value>(text).is_ok(),
                "{text}"
            );
        }
        assert!(readable(&texts[2]).is_err());
        assert!(readable(&texts[7]).is_err());
    }

    #[test]
    fn a_state_a_tree_cannot_read_fails_the_event_that_left_it() {
        // JSON.stringify writes these, and serde_json refuses them: a lone surrogate, nesting
        // 128 deep. Their neighbours are the same text without the refusal: a paired
        // surrogate, an escaped backslash before "ud", 127 deep, and 300 brackets side by side.
        // (A state that cannot be read is caught where it is written: after every event for
        // a walk, at a run's end otherwise. These would stay until the run's end, so both
        // catch them.)
        let projection = load(
            r"fromAll().when({
               T: (s, e) => {
                 const i = e.data.i;
                 s.last = i;
                 const nest = (n) => { let v = 1; for (let k = 0; k < n; k++) v = k % 2 ? [v] : { v }; return v; };
                 if (i === 10) s.lone = '\ud83d';
                 if (i === 11) s.text = '\ud83d\ude00 \\ud800';
                 if (i === 20) s.deeper = nest(127);
                 if (i === 21) s.deep = nest(126);
                 if (i === 22) s.wide = Array.from({ length: 300 }, () => ({ a: [] }));
                 if (i === 140) s.lone = 'x\udc00';
               },
             })",
        )
        .unwrap();
        let store = counted();
        let stream = store.stream("s-1").unwrap();
        let expected = [10, 20, 140];
        let mut walked = Replay::new(&store, stream, &projection);
        let mut states = vec![walked.state_after(0)];
        walked.walk(300, |_, _, state| states.push(state.clone()));
        assert_eq!(
            walked.failures().keys().copied().collect::<Vec<_>>(),
            expected
        );
        assert!(
            walked.failures()[&10].starts_with("the state it left cannot be read: "),
            "{:?}",
            walked.failures()
        );
        assert_eq!(states[12]["text"], json!("\u{1f600} \\ud800"));
        assert_eq!(states[300]["wide"].as_array().map(Vec::len), Some(300));
        // Folded from text to text, from the start or from checkpoints: the same failures
        // and states as the walk, event by event.
        let mut checked = Replay::new(&store, stream, &projection);
        checked.fold_all();
        assert_eq!(checked.failures(), walked.failures());
        let mut jumped = Replay::new(&store, stream, &projection);
        for count in [300, 11, 12, 21, 22, 23, 140, 141, 129, 128, 256, 0] {
            assert_eq!(jumped.state_after(count), states[count], "after {count}");
        }
        assert_eq!(jumped.failures(), walked.failures());
    }

    #[test]
    fn without_a_projection_the_same_store_folds_as_merge_patches() {
        let store = store();
        let mut replay = Replay::new(&store, store.stream("order-1").unwrap(), &MergePatch);
        assert_eq!(replay.state_after(2)["price"], json!(19.99));
    }
}
