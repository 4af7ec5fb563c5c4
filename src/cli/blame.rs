//! `eventlens blame`: every event that changed the value at a pointer, oldest first.

use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;
use serde_json::Value;

use super::args::BlameArgs;
use super::table::{Table, or_dash};
use super::{Failure, find_stream, point_failure, reducer, warn_failures, warn_unselected};
use crate::diff::{BlameTracker, ChangeOp};
use crate::replay::{Point, Replay};

/// One blame entry; field order is the JSON order of `blame --json`.
#[derive(Debug, Serialize)]
struct Entry<'s> {
    seq: u64,
    #[serde(rename = "type")]
    type_: &'s str,
    time: Option<&'s str>,
    op: ChangeOp,
    #[serde(skip_serializing_if = "Option::is_none")]
    old: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new: Option<Value>,
}

pub fn run(args: &BlameArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let store = super::open(
        &args.file,
        &args.read,
        super::only_stream(Some(&args.stream)),
    )?;
    let stream = find_stream(&store, &args.stream)?;
    let until = match args.at {
        Some(seq) => Point::Seq(seq)
            .count(&store, stream)
            .map_err(|e| point_failure(&store, &e))?,
        None => stream.events.len(),
    };
    let reducer = reducer(args.projection.as_ref())?;
    warn_unselected(args.projection.as_ref(), &*reducer, stream);
    let mut tracker = BlameTracker::new(&args.path, &reducer.initial()).ok_or_else(|| {
        let mut failure = Failure::usage(format!("--path {}: not a JSON Pointer", args.path));
        failure.hint = Some(format!(
            "pointers start with '/', as in /{}",
            args.path.trim_start_matches('/')
        ));
        failure
    })?;
    let mut entries = Vec::new();
    let mut replay = Replay::new(&store, stream, &*reducer);
    replay.walk(until, |_, event, state| {
        if let Some(change) = tracker.observe(state) {
            entries.push(Entry {
                seq: event.event.seq,
                type_: event.type_name(),
                time: event.time(),
                op: change.op,
                old: change.old,
                new: change.new,
            });
        }
    });
    warn_failures(&replay);
    if args.json {
        super::write_pretty(out, &entries)?;
        return Ok(ExitCode::SUCCESS);
    }
    if entries.is_empty() {
        eprintln!(
            "note: no event of stream \"{}\" changed {}",
            stream.id, args.path
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new(&["SEQ", "TIME", "TYPE", "OP", "OLD → NEW"]);
    for entry in &entries {
        let old = entry
            .old
            .as_ref()
            .map_or_else(|| "(absent)".to_owned(), Value::to_string);
        let new = entry
            .new
            .as_ref()
            .map_or_else(|| "(absent)".to_owned(), Value::to_string);
        table.row(vec![
            entry.seq.to_string(),
            or_dash(entry.time),
            entry.type_.to_owned(),
            entry.op.as_str().to_owned(),
            format!("{old} → {new}"),
        ]);
    }
    table.write(out)?;
    Ok(ExitCode::SUCCESS)
}
