//! `eventlens streams`: one row per stream.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;

use super::args::StreamsArgs;
use super::table::{Table, or_dash};
use crate::store::{Store, Stream};

/// A stream's summary; field order is the JSON order of `streams --json`.
#[derive(Debug, Serialize)]
struct Summary<'s> {
    stream: &'s str,
    events: usize,
    first_seq: Option<u64>,
    last_seq: Option<u64>,
    first_time: Option<&'s str>,
    last_time: Option<&'s str>,
    types: BTreeMap<&'s str, usize>,
}

fn summarize<'s>(store: &'s Store, stream: &'s Stream) -> Summary<'s> {
    let first = stream.events.first().map(|&i| store.event(i));
    let last = stream.events.last().map(|&i| store.event(i));
    let mut types = BTreeMap::new();
    for &index in stream.events.iter() {
        *types.entry(store.event(index).type_name()).or_insert(0) += 1;
    }
    Summary {
        stream: &stream.id,
        events: stream.events.len(),
        first_seq: first.map(|e| e.event.seq),
        last_seq: last.map(|e| e.event.seq),
        first_time: first.and_then(|e| e.time()),
        last_time: last.and_then(|e| e.time()),
        types,
    }
}

pub fn run(args: &StreamsArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let store = super::open(&args.file, &args.read)?;
    eprintln!("note: {}: {}", store.name(), store.detection().describe());
    let mut streams: Vec<&Stream> = store.streams().iter().collect();
    streams.sort_by(|a, b| a.id.cmp(&b.id));
    let summaries: Vec<Summary> = streams.iter().map(|s| summarize(&store, s)).collect();
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
    for s in &summaries {
        let types: Vec<String> = s
            .types
            .iter()
            .map(|(name, count)| format!("{name} {count}"))
            .collect();
        table.row(vec![
            s.stream.to_owned(),
            s.events.to_string(),
            or_dash(s.first_seq),
            or_dash(s.last_seq),
            or_dash(s.first_time),
            or_dash(s.last_time),
            types.join(", "),
        ]);
    }
    table.write(out)?;
    Ok(ExitCode::SUCCESS)
}
