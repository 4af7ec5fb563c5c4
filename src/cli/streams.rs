//! `eventlens streams`: one row per stream.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::args::StreamsArgs;
use super::table::{Table, or_dash};
use crate::source::Source;
use crate::source::postgres::{self, Narrow, StreamSummary};
use crate::store::{Store, Stream};

/// A stream's summary; field order is the JSON order of `streams --json`.
#[derive(Debug, Serialize)]
struct Summary<'s> {
    stream: Cow<'s, str>,
    events: u64,
    first_seq: Option<i128>,
    last_seq: Option<i128>,
    first_time: Option<Cow<'s, str>>,
    last_time: Option<Cow<'s, str>>,
    types: BTreeMap<Cow<'s, str>, u64>,
}

fn summarize<'s>(store: &'s Store, stream: &'s Stream) -> Summary<'s> {
    let first = stream.events.first().map(|&i| store.event(i));
    let last = stream.events.last().map(|&i| store.event(i));
    // Counted by type id, named once per type: a stream of a million events costs a million
    // hash look-ups of a number, not a million string comparisons.
    let mut by_id: FxHashMap<u32, u64> = FxHashMap::default();
    for &index in stream.events.iter() {
        *by_id
            .entry(store.events()[index as usize].type_id)
            .or_insert(0) += 1;
    }
    let types = by_id
        .into_iter()
        .map(|(id, count)| (Cow::Borrowed(store.type_name(id)), count))
        .collect();
    Summary {
        stream: Cow::Borrowed(&stream.id),
        events: stream.events.len() as u64,
        first_seq: first.map(|e| i128::from(e.event.seq)),
        last_seq: last.map(|e| i128::from(e.event.seq)),
        first_time: first.and_then(|e| e.time()).map(Cow::Borrowed),
        last_time: last.and_then(|e| e.time()).map(Cow::Borrowed),
        types,
    }
}

/// A database's stream as the server counted it.
fn of_database(summary: StreamSummary) -> Summary<'static> {
    Summary {
        stream: Cow::Owned(summary.stream),
        events: summary.events,
        first_seq: summary.first_seq.map(i128::from),
        last_seq: summary.last_seq.map(i128::from),
        first_time: summary.first_time.map(Cow::Owned),
        last_time: summary.last_time.map(Cow::Owned),
        types: summary
            .types
            .into_iter()
            .map(|(name, count)| (Cow::Owned(name), count))
            .collect(),
    }
}

pub fn run(args: &StreamsArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let source = super::source_of(&args.file, &args.read, Narrow::All)?;
    // A database counts its streams itself: one aggregate query, no rows read here.
    if let Source::Database(db) = &source {
        let (what, streams) =
            postgres::summaries(db).map_err(|e| super::Failure::usage(e.to_string()))?;
        eprintln!("note: {}: {what}", db.name());
        let summaries: Vec<Summary> = streams.into_iter().map(of_database).collect();
        return print(args, &summaries, out);
    }
    let store = super::open(&args.file, &args.read, Narrow::All)?;
    eprintln!("note: {}: {}", store.name(), store.detection().describe());
    let mut streams: Vec<&Stream> = store.streams().iter().collect();
    streams.par_sort_unstable_by(|a, b| a.id.cmp(&b.id));
    let summaries: Vec<Summary> = streams.par_iter().map(|s| summarize(&store, s)).collect();
    print(args, &summaries, out)
}

fn print(
    args: &StreamsArgs,
    summaries: &[Summary],
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    if args.json {
        super::write_pretty(out, &summaries)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new(&[
        "STREAM",
        "EVENTS",
        "FIRST SEQ",
        "LAST SEQ",
        "FIRST TIME",
        "LAST TIME",
        "TYPES",
    ]);
    for s in summaries {
        let types: Vec<String> = s
            .types
            .iter()
            .map(|(name, count)| format!("{name} {count}"))
            .collect();
        table.row(vec![
            s.stream.to_string(),
            s.events.to_string(),
            or_dash(s.first_seq),
            or_dash(s.last_seq),
            or_dash(s.first_time.as_deref()),
            or_dash(s.last_time.as_deref()),
            types.join(", "),
        ]);
    }
    table.write(out)?;
    Ok(ExitCode::SUCCESS)
}
