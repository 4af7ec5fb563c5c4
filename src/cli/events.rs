//! `eventlens events`: events in store order, as a table or as normalized JSON Lines.

use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;
use serde_json::value::RawValue;

use super::args::EventsArgs;
use super::table::{Table, or_dash};
use crate::store::EventRef;

/// One normalized event; field order is the JSON order of `events --json`.
#[derive(Serialize)]
struct EventLine<'a> {
    position: u64,
    line: u64,
    stream: &'a str,
    seq: u64,
    #[serde(rename = "type")]
    type_: &'a str,
    time: Option<&'a str>,
    id: Option<&'a str>,
    data: Option<&'a RawValue>,
    meta: Option<&'a RawValue>,
}

pub fn run(args: &EventsArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let store = super::open(&args.file, &args.read)?;
    let indices: Vec<u32> = match &args.stream {
        Some(id) => super::find_stream(&store, id)?.events.clone(),
        None => (0..store.events().len() as u32).collect(),
    };
    let wanted = |event: &EventRef| {
        args.types.is_empty() || args.types.iter().any(|t| t == event.type_name())
    };
    let selected = indices.into_iter().map(|i| store.event(i)).filter(wanted);
    if args.json {
        for event in selected {
            let data = event.data_json().map(super::one_line);
            let meta = event.meta_json().map(super::one_line);
            let line = EventLine {
                position: event.position(),
                line: event.event.line,
                stream: event.stream(),
                seq: event.event.seq,
                type_: event.type_name(),
                time: event.time(),
                id: event.id(),
                data: data.as_deref().map(serde_json::from_str).transpose()?,
                meta: meta.as_deref().map(serde_json::from_str).transpose()?,
            };
            serde_json::to_writer(&mut *out, &line)?;
            writeln!(out)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new(&["POSITION", "LINE", "STREAM", "SEQ", "TIME", "TYPE", "DATA"]);
    for event in selected {
        table.row(vec![
            event.position().to_string(),
            event.event.line.to_string(),
            event.stream().to_owned(),
            event.event.seq.to_string(),
            or_dash(event.time()),
            event.type_name().to_owned(),
            event
                .data_json()
                .map_or_else(|| "-".to_owned(), |d| super::one_line(d).into_owned()),
        ]);
    }
    table.write(out)?;
    Ok(ExitCode::SUCCESS)
}
