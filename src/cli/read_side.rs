//! `eventlens table`, `when` and `count`: questions about every stream's state at once, asked
//! with jq filters (DESIGN.md, "The read side"). The folding is the core's
//! ([`crate::replay::Folds`]); this file chooses the streams, runs the filters and prints.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::{Map, Value, json};

use super::args::{CountArgs, TableArgs, WhenArgs};
use super::table::Table;
use super::{Failure, parse_filter, parse_time, reducer};
use crate::query::{Doc, Filter};
use crate::replay::{Folds, Moment, Reducer, Replay};
use crate::source::postgres::Narrow;
use crate::store::{Store, Stream, format_seconds, parse_duration, plural};

const STATE_EXAMPLE: &str = ".status == \"shipped\" and .payment == null";

pub fn run_table(args: &TableArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let columns: Vec<Column> = args.columns.iter().map(|spec| Column::of(spec)).collect();
    for column in &columns {
        parse_filter("--column", &column.filter, ".status, (.lines | length)")?;
    }
    if let Some(text) = &args.where_ {
        parse_filter("--where", text, STATE_EXAMPLE)?;
    }
    let moment = match (&args.at_time, args.at_position) {
        (Some(text), _) => Moment::Time(parse_time("--at-time", text)?),
        (None, Some(position)) => Moment::Position(position),
        (None, None) => Moment::End,
    };
    let store = super::open(&args.file, &args.read, narrow(args.category.as_ref()))?;
    if matches!(moment, Moment::Time(_)) {
        require_times(&store, "--at-time")?;
    }
    let reducer: Arc<dyn Reducer> = Arc::from(reducer(args.projection.as_ref())?);
    let mut folds = Folds::new(reducer.clone());
    folds.move_to(&store, moment, |stream| {
        selected(stream, args.category.as_deref(), &*reducer)
    });
    warn_failures(
        &store,
        folds.failures().map(|(s, k, why)| (s, k, why.to_owned())),
    );

    let folded: Vec<_> = folds.states().collect();
    let texts: Vec<&str> = columns.iter().map(|c| c.filter.as_str()).collect();
    let mut rows: Vec<Row<'_>> = folded
        .par_iter()
        .map_init(
            || Filters::compile(&texts, args.where_.as_deref()),
            |filters, folded| {
                // Read for filters only; written by the fold, so it reads (should it not, the
                // filters see null).
                let state = filters
                    .any()
                    .then(|| Doc::parse(folded.state).unwrap_or_else(|_| Doc::of(&Value::Null)));
                let passes = state.as_ref().is_none_or(|state| filters.passes(state));
                passes.then(|| {
                    let stream = &store.streams()[folded.stream as usize];
                    let last = store.event(stream.events[folded.count - 1]);
                    Row {
                        stream: &stream.id,
                        seq: last.event.seq,
                        time: last.time(),
                        values: state
                            .as_ref()
                            .map(|s| filters.values(s))
                            .unwrap_or_default(),
                        state: folded.state,
                    }
                })
            },
        )
        .flatten()
        .collect();
    rows.sort_unstable_by(|a, b| a.stream.cmp(b.stream));
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    if args.json {
        write_table_json(out, &rows, &names)?;
    } else if args.csv {
        write_table_csv(out, &rows, &names)?;
    } else {
        write_table_text(out, &rows, &names)?;
    }
    if rows.is_empty() {
        nothing_found(&store, args.where_.as_deref(), "no stream");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_when(args: &WhenArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    parse_filter("--where", &args.where_, STATE_EXAMPLE)?;
    let store = super::open(&args.file, &args.read, narrow(args.category.as_ref()))?;
    let reducer = reducer(args.projection.as_ref())?;
    let streams: Vec<(u32, &Stream)> = chosen(&store, args.category.as_deref(), &*reducer);
    let folded: Vec<(Transitions, Vec<Failed>)> = streams
        .par_iter()
        .map_init(
            || Filter::parse(&args.where_).ok(),
            |filter, &(index, stream)| {
                let mut replay = Replay::new(&store, stream, &*reducer);
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
    warn_failures(
        &store,
        folded
            .iter()
            .flat_map(|(_, failures)| failures.iter().cloned()),
    );
    let mut changes: Vec<(u32, bool)> = folded.into_iter().flat_map(|(c, _)| c).collect();
    changes.par_sort_unstable();
    if args.json {
        for &(index, holds) in &changes {
            let event = store.event(index);
            let line = json!({
                "position": event.position(),
                "stream": event.stream(),
                "seq": event.event.seq,
                "time": event.time(),
                "type": event.type_name(),
                "holds": holds,
            });
            writeln!(out, "{line}")?;
        }
    } else {
        let mut table = Table::new(&["POSITION", "STREAM", "SEQ", "TIME", "TYPE", "HOLDS"]);
        for &(index, holds) in &changes {
            let event = store.event(index);
            table.row(vec![
                event.position().to_string(),
                event.stream().to_owned(),
                event.event.seq.to_string(),
                event.time().unwrap_or("-").to_owned(),
                event.type_name().to_owned(),
                holds.to_string(),
            ]);
        }
        table.write(out)?;
    }
    if changes.is_empty() {
        nothing_found(&store, Some(&args.where_), "no stream ever");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_count(args: &CountArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    parse_filter("--by", &args.by, ".status")?;
    if let Some(text) = &args.where_ {
        parse_filter("--where", text, STATE_EXAMPLE)?;
    }
    let every = parse_duration(&args.every).ok_or_else(|| {
        let mut failure = Failure::usage(format!("--every {}: not a duration", args.every));
        failure.hint = Some("write it as a whole number and a unit: 30s, 15m, 1h or 1d".into());
        failure
    })?;
    let store = super::open(&args.file, &args.read, narrow(args.category.as_ref()))?;
    require_times(&store, "count")?;
    let reducer = reducer(args.projection.as_ref())?;
    let streams = chosen(&store, args.category.as_deref(), &*reducer);
    let Some(steps) = Steps::of(&store, &streams, every)? else {
        nothing_found(&store, None, "no stream");
        return Ok(ExitCode::SUCCESS);
    };
    let by = [args.by.as_str()];
    let spans: Vec<Vec<(String, usize, usize)>> = streams
        .par_iter()
        .map_init(
            || Filters::compile(&by, args.where_.as_deref()),
            |filters, &(_, stream)| spans_of(&store, stream, &*reducer, &steps, filters),
        )
        .collect();
    let counts = steps.counts(spans.into_iter().flatten());
    if args.json {
        let rows: Vec<Value> = (1..=steps.last)
            .map(|k| {
                let counts: Map<String, Value> = counts
                    .keys
                    .iter()
                    .zip(&counts.rows[k - 1])
                    .filter(|(_, n)| **n > 0)
                    .map(|(key, n)| (key.clone(), json!(n)))
                    .collect();
                json!({"time": format_seconds(steps.time(k)), "counts": counts})
            })
            .collect();
        super::write_pretty(out, &rows)?;
    } else if args.csv {
        let mut writer = csv::Writer::from_writer(&mut *out);
        writer
            .write_record(std::iter::once("time").chain(counts.keys.iter().map(String::as_str)))?;
        for k in 1..=steps.last {
            let cells = counts.rows[k - 1].iter().map(u64::to_string);
            writer.write_record(std::iter::once(format_seconds(steps.time(k))).chain(cells))?;
        }
        writer.flush()?;
    } else {
        let names: Vec<&str> = std::iter::once("TIME")
            .chain(counts.keys.iter().map(String::as_str))
            .collect();
        let mut table = Table::new(&names);
        for k in 1..=steps.last {
            let cells = counts.rows[k - 1].iter().map(u64::to_string);
            table.row(
                std::iter::once(format_seconds(steps.time(k)))
                    .chain(cells)
                    .collect(),
            );
        }
        table.write(out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A `--column`: `NAME=FILTER`, or a filter that is its own name (`.status`,
/// `.lines | length`). The name is letters, digits, `_` and `-`, so that `.a==1` stays a filter.
struct Column {
    name: String,
    filter: String,
}

impl Column {
    fn of(spec: &str) -> Self {
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
struct Filters {
    values: Vec<Option<Filter>>,
    where_: Gate,
}

/// `--where`: none, or a filter (`None` if it did not compile here).
enum Gate {
    Open,
    Filter(Option<Filter>),
}

impl Filters {
    fn compile(values: &[&str], where_: Option<&str>) -> Self {
        Self {
            values: values.iter().map(|text| Filter::parse(text).ok()).collect(),
            where_: where_.map_or(Gate::Open, |text| Gate::Filter(Filter::parse(text).ok())),
        }
    }

    /// Whether there is any filter to run.
    fn any(&self) -> bool {
        !self.values.is_empty() || matches!(self.where_, Gate::Filter(_))
    }

    /// Whether `--where` lets the state through (no `--where`: always).
    fn passes(&self, state: &Doc) -> bool {
        match &self.where_ {
            Gate::Open => true,
            Gate::Filter(filter) => filter.as_ref().is_some_and(|f| f.holds_in(state)),
        }
    }

    /// Each value filter's first output on `state`; `null` where it fails or has none.
    fn values(&self, state: &Doc) -> Vec<Value> {
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
type Transitions = Vec<(u32, bool)>;

/// An event the reducer could not apply: stream index, index in the stream, why.
type Failed = (u32, usize, String);

/// One row of `table`.
struct Row<'s> {
    stream: &'s str,
    seq: u64,
    time: Option<&'s str>,
    values: Vec<Value>,
    /// The state as compact JSON text.
    state: &'s str,
}

/// Writes the rows as one JSON array, indented as `serde_json`'s pretty printer does, a row at a
/// time from the states' text (the states of a big store as trees all at once would take five
/// times the memory of their text, and reading them back costs more than the fold).
fn write_table_json(out: &mut dyn Write, rows: &[Row<'_>], names: &[&str]) -> std::io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "[]");
    }
    let mut text = Vec::with_capacity(4096);
    out.write_all(b"[\n")?;
    for (i, row) in rows.iter().enumerate() {
        text.clear();
        let time = row
            .time
            .map_or_else(|| "null".to_owned(), |t| json!(t).to_string());
        write!(
            text,
            "  {{\n    \"stream\": {},\n    \"seq\": {},\n    \"time\": {time},\n",
            json!(row.stream),
            row.seq
        )?;
        if names.is_empty() {
            text.extend_from_slice(b"    \"state\": ");
            indent(row.state.as_bytes(), 2, &mut text);
        } else {
            let values: Map<String, Value> = names
                .iter()
                .zip(&row.values)
                .map(|(name, value)| ((*name).to_owned(), value.clone()))
                .collect();
            text.extend_from_slice(b"    \"values\": ");
            indent(Value::Object(values).to_string().as_bytes(), 2, &mut text);
        }
        text.extend_from_slice(if i + 1 < rows.len() {
            b"\n  },\n"
        } else {
            b"\n  }\n"
        });
        out.write_all(&text)?;
    }
    out.write_all(b"]\n")
}

/// Appends compact JSON text (as `Value::to_string` writes it: no space outside strings)
/// indented as `serde_json::to_string_pretty` would, as if it stood `level` levels deep.
fn indent(compact: &[u8], level: usize, out: &mut Vec<u8>) {
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b' ', depth * 2));
    };
    let mut depth = level;
    let mut in_string = false;
    let mut escaped = false;
    let mut bytes = compact.iter().copied().peekable();
    while let Some(byte) = bytes.next() {
        if in_string {
            out.push(byte);
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => {
                in_string = true;
                out.push(byte);
            }
            b'{' | b'[' => {
                out.push(byte);
                let close = if byte == b'{' { b'}' } else { b']' };
                if bytes.peek() == Some(&close) {
                    out.push(close);
                    bytes.next();
                } else {
                    depth += 1;
                    newline(out, depth);
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(out, depth);
                out.push(byte);
            }
            b',' => {
                out.push(byte);
                newline(out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            _ => out.push(byte),
        }
    }
}

/// A value in a CSV or text cell: a string bare, anything else as its JSON text.
fn cell(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The cells of a row after `stream,seq,time`: one a column, or the state without columns.
fn cells(row: &Row<'_>, names: &[&str]) -> Vec<String> {
    let mut cells = vec![
        row.stream.to_owned(),
        row.seq.to_string(),
        row.time.unwrap_or_default().to_owned(),
    ];
    if names.is_empty() {
        cells.push(row.state.to_owned());
    } else {
        cells.extend(row.values.iter().map(cell));
    }
    cells
}

fn write_table_csv(out: &mut dyn Write, rows: &[Row<'_>], names: &[&str]) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let tail: &[&str] = if names.is_empty() { &["state"] } else { names };
    writer.write_record(["stream", "seq", "time"].iter().chain(tail))?;
    for row in rows {
        writer.write_record(cells(row, names))?;
    }
    writer.flush()?;
    Ok(())
}

fn write_table_text(out: &mut dyn Write, rows: &[Row<'_>], names: &[&str]) -> std::io::Result<()> {
    let tail: &[&str] = if names.is_empty() { &["STATE"] } else { names };
    let header: Vec<&str> = ["STREAM", "SEQ", "TIME"]
        .iter()
        .chain(tail)
        .copied()
        .collect();
    let mut table = Table::new(&header);
    for row in rows {
        let mut cells = cells(row, names);
        if cells[2].is_empty() {
            "-".clone_into(&mut cells[2]);
        }
        table.row(cells);
    }
    table.write(out)
}

/// What `--category` leaves a database to read.
fn narrow(category: Option<&String>) -> Narrow {
    category.map_or(Narrow::All, |c| Narrow::Category(c.clone()))
}

/// Whether a stream takes part: in `--category` (if given) and read by the projection.
fn selected(stream: &Stream, category: Option<&str>, reducer: &dyn Reducer) -> bool {
    category.is_none_or(|c| stream.category() == c)
        && reducer
            .source()
            .is_none_or(|source| source.selects(&stream.id))
}

/// The streams that take part, with their index.
fn chosen<'s>(
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

/// Times are needed to answer at a time: a store without any says so (exit 1).
fn require_times(store: &Store, what: &str) -> Result<(), Failure> {
    if store.has_times() {
        return Ok(());
    }
    Err(Failure::not_found(
        format!(
            "{}: no event has a time, so {what} has nothing to go by",
            store.name()
        ),
        Some("name the records' time member with --time-field POINTER".into()),
    ))
}

/// An empty answer says so on stderr, with the question.
fn nothing_found(store: &Store, filter: Option<&str>, what: &str) {
    match filter {
        Some(filter) => eprintln!("note: {}: {what} holds --where {filter}", store.name()),
        None => eprintln!("note: {}: {what} has an event there", store.name()),
    }
}

/// Says on stderr which events the reducer could not apply (their state is the one before).
fn warn_failures(store: &Store, failures: impl Iterator<Item = Failed>) {
    const SHOWN: usize = 5;
    let mut failures: Vec<Failed> = failures.collect();
    failures.sort_unstable_by_key(|(stream, k, _)| store.streams()[*stream as usize].events[*k]);
    for (stream, k, why) in failures.iter().take(SHOWN) {
        let event = store.event(store.streams()[*stream as usize].events[*k]);
        eprintln!(
            "warning: stream \"{}\" seq {} ({}) was not applied: {why}",
            event.stream(),
            event.event.seq,
            event.place()
        );
    }
    if failures.len() > SHOWN {
        let more = failures.len() - SHOWN;
        eprintln!(
            "warning: and {more} more event{} were not applied; see eventlens check --projection",
            plural(more)
        );
    }
}

/// The times `count` counts at: `t0 + k·every` for `k` in `1..=last`.
struct Steps {
    t0: i64,
    /// The step, in nanoseconds.
    every: u64,
    last: usize,
}

/// Most steps `count` prints: beyond it, a bigger `--every` says the same.
const MAX_STEPS: u128 = 1_000_000;

/// Per step, how many streams have each key.
struct Counts {
    keys: Vec<String>,
    /// `rows[k - 1][key]` at step `k`.
    rows: Vec<Vec<u64>>,
}

impl Steps {
    /// The steps over the chosen streams' times; `None` when none of their events has one.
    fn of(store: &Store, streams: &[(u32, &Stream)], every: u64) -> Result<Option<Self>, Failure> {
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
        if first > last {
            return Ok(None);
        }
        let step = i64::try_from(every).unwrap_or(i64::MAX);
        let t0 = first.div_euclid(step) * step;
        let steps = span(t0, last).div_ceil(u128::from(every)).max(1);
        if steps > MAX_STEPS {
            let mut failure = Failure::usage(format!(
                "--every {}: the events span {steps} steps of it; at most {MAX_STEPS} are counted",
                format_duration(every)
            ));
            failure.hint = Some("count by a longer step".into());
            return Err(failure);
        }
        Ok(Some(Self {
            t0,
            every,
            last: usize::try_from(steps).unwrap_or(usize::MAX),
        }))
    }

    fn time(&self, k: usize) -> i64 {
        let k = i64::try_from(k).unwrap_or(i64::MAX);
        let every = i64::try_from(self.every).unwrap_or(i64::MAX);
        self.t0.saturating_add(k.saturating_mul(every))
    }

    /// The first step at or after `instant`.
    fn step_of(&self, instant: i64) -> usize {
        let step = span(self.t0, instant)
            .div_ceil(u128::from(self.every))
            .max(1);
        usize::try_from(step).unwrap_or(usize::MAX)
    }

    /// Adds up spans `(key, from, to)` (the stream has `key` at steps `from..to`).
    fn counts(&self, spans: impl Iterator<Item = (String, usize, usize)>) -> Counts {
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

fn format_duration(nanos: u64) -> String {
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
    fn indenting_compact_text_is_pretty_printing() {
        let value =
            json!({"a": [], "b": {}, "c": [1, {"d": "x\\\"y,{}:[]", "e": null}], "f": {"g": 0.10}});
        let mut out = Vec::new();
        indent(value.to_string().as_bytes(), 0, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string_pretty(&value).unwrap()
        );
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
