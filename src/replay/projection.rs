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

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rquickjs::context::{EvalOptions, intrinsic};
use rquickjs::{CatchResultExt, CaughtError, Context, Ctx, Function, Object, Runtime, Value};
use serde::Deserialize;

use super::Reducer;
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
    runtime: Runtime,
    context: Context,
    /// Nanoseconds after `epoch` when the running call must stop; `u64::MAX`: no call runs.
    deadline: Arc<AtomicU64>,
    epoch: Instant,
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
        let initial = serde_json::from_str(&initial).map_err(|e| {
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

    fn source(&self) -> Option<&Source> {
        Some(&self.source)
    }

    fn apply(&self, state: &mut serde_json::Value, event: &EventRef<'_>) -> Result<(), String> {
        if !self.source.selects(event.stream()) || !self.handles(event.type_name()) {
            return Ok(());
        }
        let envelope = envelope(event)?;
        let state_text = state.to_string();
        let engine = self.engine.lock().unwrap_or_else(PoisonError::into_inner);
        let next: String = engine
            .run(self.limits, |ctx| {
                hook(ctx, "apply")?.call((
                    state_text.as_str(),
                    envelope.as_str(),
                    event.data_json(),
                    event.meta_json(),
                ))
            })
            .map_err(|failure| {
                let at = where_in(failure.line, failure.column);
                let at = if at.is_empty() {
                    at
                } else {
                    format!(" (at {}{at})", self.name)
                };
                let handler = if self.handles.iter().any(|t| t == event.type_name()) {
                    event.type_name()
                } else {
                    "$any"
                };
                format!("the handler {handler} failed: {}{at}", failure.message)
            })?;
        *state = serde_json::from_str(&next)
            .map_err(|e| format!("the state it left cannot be read: {e}"))?;
        Ok(())
    }
}

/// `e` as the handlers see it, but for `body`, `bodyRaw` and `metadataRaw`, which the
/// prelude adds.
fn envelope(event: &EventRef<'_>) -> Result<String, String> {
    let raw = |text: Option<&str>| -> Result<Box<serde_json::value::RawValue>, String> {
        serde_json::value::RawValue::from_string(text.unwrap_or("null").to_owned())
            .map_err(|e| format!("its payload cannot be read: {e}"))
    };
    let stream = event.stream();
    let envelope = serde_json::json!({
        "eventType": event.type_name(),
        "streamId": stream,
        "category": stream.split_once('-').map(|(category, _)| category),
        "sequenceNumber": event.event.seq,
        "eventId": event.id(),
        "created": event.time(),
        "isJson": true,
        "data": raw(event.data_json())?,
        "metadata": raw(event.meta_json())?,
    });
    Ok(envelope.to_string())
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
        let deadline = Arc::new(AtomicU64::new(u64::MAX));
        let epoch = Instant::now();
        let watched = Arc::clone(&deadline);
        // QuickJS calls this every few thousand operations on the thread running the script,
        // so the clock it reads is that thread's own CPU time.
        runtime.set_interrupt_handler(Some(Box::new(move || {
            cpu_nanos(epoch) > watched.load(Ordering::Relaxed)
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
            runtime,
            context,
            deadline,
            epoch,
        })
    }

    /// Runs `work` within the limits, turning an exception into a [`Failure`].
    fn run<T>(
        &self,
        limits: Limits,
        work: impl for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<T>,
    ) -> Result<T, Failure> {
        let started = cpu_nanos(self.epoch);
        let limit = u64::try_from(limits.time.as_nanos()).unwrap_or(u64::MAX);
        self.deadline
            .store(started.saturating_add(limit), Ordering::Relaxed);
        let outcome = self
            .context
            .with(|ctx| work(&ctx).catch(&ctx).map_err(|caught| describe(&caught)));
        // `import()` queues a job even without a module loader; what it would run must not
        // outlive the call (and jobs left behind would be freed with the runtime still in use).
        while self.runtime.is_job_pending() {
            if self.runtime.execute_pending_job().is_err()
                && cpu_nanos(self.epoch) > started.saturating_add(limit)
            {
                break;
            }
        }
        let timed_out = cpu_nanos(self.epoch) > started.saturating_add(limit);
        self.deadline.store(u64::MAX, Ordering::Relaxed);
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
            self.runtime.run_gc();
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

    #[test]
    fn without_a_projection_the_same_store_folds_as_merge_patches() {
        let store = store();
        let mut replay = Replay::new(&store, store.stream("order-1").unwrap(), &MergePatch);
        assert_eq!(replay.state_after(2)["price"], json!(19.99));
    }
}
