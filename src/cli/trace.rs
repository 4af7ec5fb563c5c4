//! `eventlens trace`: one business transaction across streams — every event sharing an event's
//! correlation id, as a causation tree (or `--json` in store order), and the state of every
//! stream it touched at one moment.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;
use serde_json::Value;

use super::Failure;
use super::args::TraceArgs;
use super::table::{Table, or_dash};
use crate::query::trace::{LinkFields, Trace, Tree, find_id, moment_of, trace};
use crate::replay::{MergePatch, Point, Replay};
use crate::store::Store;

/// One event of the trace; field order is the JSON order of `trace --json`.
#[derive(Debug, Serialize)]
struct Entry<'s> {
    position: u64,
    stream: &'s str,
    seq: u64,
    #[serde(rename = "type")]
    type_: &'s str,
    time: Option<&'s str>,
    id: Option<&'s str>,
    caused_by: Option<&'s str>,
}

/// What `trace --json` prints.
#[derive(Debug, Serialize)]
struct Output<'s> {
    correlation: &'s str,
    events: Vec<Entry<'s>>,
    states: BTreeMap<&'s str, Value>,
}

pub fn run(args: &TraceArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let store = super::open(&args.file, &args.read, super::Narrow::All)?;
    let fields = LinkFields {
        correlation: args.correlation_field.clone(),
        causation: args.causation_field.clone(),
    };
    let options = [
        ("--correlation-field", &fields.correlation),
        ("--causation-field", &fields.causation),
    ];
    for (option, pointer) in options {
        if let Some(pointer) = pointer
            .as_ref()
            .filter(|p| !p.is_empty() && !p.starts_with('/'))
        {
            let mut failure = Failure::usage(format!("{option} {pointer}: not a JSON Pointer"));
            failure.hint = Some(format!("pointers start with '/', as in /{pointer}"));
            return Err(failure.into());
        }
    }
    let (index, trace) = find_trace(&store, &args.id, &fields)?;
    let (at, moment) = match &args.at_time {
        Some(text) => (
            Point::Time(super::parse_time("--at-time", text)?),
            text.clone(),
        ),
        None => default_moment(&store, &trace),
    };
    let states = states(&store, &trace, at);
    let tree = trace.tree(&store);
    for cycle in &tree.cycles {
        let ids: Vec<&str> = cycle
            .iter()
            .map(|&k| store.event(trace.events[k]).id().unwrap_or("?"))
            .collect();
        eprintln!(
            "warning: causation ids go round in a cycle: {} (drawn from {})",
            ids.join(" → "),
            ids[0]
        );
    }
    let entry = |k: usize| {
        let event = store.event(trace.events[k]);
        Entry {
            position: event.position(),
            stream: event.stream(),
            seq: event.event.seq,
            type_: event.type_name(),
            time: event.time(),
            id: event.id(),
            caused_by: trace.caused_by[k].as_deref(),
        }
    };
    if args.json {
        let output = Output {
            correlation: &trace.correlation,
            events: (0..trace.events.len()).map(entry).collect(),
            states,
        };
        super::write_pretty(out, &output)?;
        return Ok(ExitCode::SUCCESS);
    }
    write_tree(out, &trace, &tree, index, states.len(), entry)?;
    writeln!(out, "\nstates at {moment}:")?;
    for (stream, state) in &states {
        writeln!(out, "{stream}")?;
        super::write_pretty(out, state)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The event with `id` and the trace of its correlation, or why there is none (exit 1).
fn find_trace(store: &Store, id: &str, fields: &LinkFields) -> Result<(u32, Trace), Failure> {
    let Some(index) = find_id(store, id) else {
        let message = format!("{}: no event has the id {}", store.name(), id);
        return Err(Failure::not_found(message, None));
    };
    let Some(trace) = trace(store, index, fields) else {
        let event = store.event(index);
        let message = format!(
            "{}: event {} ({} seq {}, {}) has no correlation id",
            store.name(),
            id,
            event.stream(),
            event.event.seq,
            event.place()
        );
        let hint = format!(
            "looked for {}; name another with --correlation-field POINTER",
            fields.describe_correlation()
        );
        return Err(Failure::not_found(message, Some(hint)));
    };
    Ok((index, trace))
}

/// The trace for people: a line on the correlation, then the causation tree, the event asked
/// about marked.
fn write_tree<'s>(
    out: &mut dyn Write,
    trace: &Trace,
    tree: &Tree,
    index: u32,
    streams: usize,
    entry: impl Fn(usize) -> Entry<'s>,
) -> std::io::Result<()> {
    writeln!(
        out,
        "correlation {}: {} event{} in {} stream{}",
        trace.correlation,
        trace.events.len(),
        crate::store::plural(trace.events.len()),
        streams,
        crate::store::plural(streams)
    )?;
    let mut table = Table::new(&[
        "POSITION",
        "STREAM",
        "SEQ",
        "TYPE",
        "TIME",
        "ID",
        "CAUSED BY",
    ]);
    for &(k, depth) in &tree.rows {
        let e = entry(k);
        let marker = if trace.events[k] == index { "▶ " } else { "" };
        table.row(vec![
            e.position.to_string(),
            format!("{}{marker}{}", "  ".repeat(depth), e.stream),
            e.seq.to_string(),
            e.type_.to_owned(),
            or_dash(e.time),
            or_dash(e.id),
            or_dash(e.caused_by),
        ]);
    }
    table.write(out)?;
    Ok(())
}

/// The default moment: the time of the trace's last event; in a store without times, its
/// position. With its words for people.
fn default_moment(store: &Store, trace: &Trace) -> (Point, String) {
    let index = *trace.events.last().unwrap_or(&0);
    let at = moment_of(store, index);
    let words = match (at, store.event(index).time()) {
        (Point::Time(_), Some(time)) => format!("{time}, the last event's time"),
        _ => format!("position {}, the last event's", store.position(index)),
    };
    (at, words)
}

/// Every stream the trace touches, folded with merge patches to `at`.
fn states<'s>(store: &'s Store, trace: &Trace, at: Point) -> BTreeMap<&'s str, Value> {
    trace
        .streams(store)
        .into_iter()
        .map(|s| {
            let stream = &store.streams()[s as usize];
            let mut replay = Replay::new(store, stream, &MergePatch);
            let state = replay.state_at(at).unwrap_or(Value::Null);
            (&*stream.id, state)
        })
        .collect()
}
