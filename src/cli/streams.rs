//! `eventlens streams`: one row per stream.

use std::io::Write;
use std::process::ExitCode;

use super::args::StreamsArgs;
use super::table::{Table, or_dash};
use crate::source::postgres::{self, Narrow};
use crate::source::{Mode, Reader, Source};
use crate::store::StreamSummary;

pub fn run(args: &StreamsArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let source = super::source_of(&args.file, &args.read, Narrow::All)?;
    // A database counts its streams itself: one aggregate query, no rows read here.
    if let Source::Database(db) = &source {
        let (what, streams) =
            postgres::summaries(db).map_err(|e| super::Failure::usage(e.to_string()))?;
        eprintln!("note: {}: {what}", db.name());
        return print(args, &streams, out);
    }
    // A file is counted as its chunks are read, without indexing its events.
    let mut reader = Reader::open(&source, &args.read.options(), Mode::Read)
        .map_err(|e| super::Failure::usage(e.to_string()))?;
    if let Some(counted) = reader.summarize() {
        let counted = counted.map_err(|e| super::Failure::usage(e.to_string()))?;
        eprintln!("note: {}: {}", counted.name, counted.detection.describe());
        super::warn_skipped(
            &counted.name,
            counted.skipped,
            counted.first_unreadable.as_ref(),
        );
        let printed = print(args, &counted.streams, out);
        super::free_aside(counted);
        return printed;
    }
    let store = super::read_store(reader)?;
    super::warn_skipped(store.name(), store.skipped(), store.first_unreadable());
    eprintln!("note: {}: {}", store.name(), store.detection().describe());
    print(args, &store.summaries(), out)
}

fn print(
    args: &StreamsArgs,
    summaries: &[StreamSummary],
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    if args.json {
        crate::export::write_json_rows(out, summaries)?;
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
            s.stream.clone(),
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
