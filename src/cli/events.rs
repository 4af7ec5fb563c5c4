//! `eventlens events`: events in store order, as a table or as normalized JSON Lines.

use std::io::Write;
use std::process::ExitCode;

use super::args::EventsArgs;
use super::table::{Table, or_dash};
use crate::store::{EventRef, one_line};

pub fn run(args: &EventsArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let store = super::open(&args.file, &args.read)?;
    let indices: Vec<u32> = match &args.stream {
        Some(id) => super::find_stream(&store, id)?.events.to_vec(),
        None => (0..store.events().len() as u32).collect(),
    };
    let wanted = |event: &EventRef| {
        args.types.is_empty() || args.types.iter().any(|t| t == event.type_name())
    };
    let selected = indices.into_iter().map(|i| store.event(i)).filter(wanted);
    if args.json {
        for event in selected {
            event.write_json_line(out)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new(&["POSITION", "LINE", "STREAM", "SEQ", "TIME", "TYPE", "DATA"]);
    for event in selected {
        table.row(vec![
            event.position().to_string(),
            or_dash(event.event.line()),
            event.stream().to_owned(),
            event.event.seq.to_string(),
            or_dash(event.time()),
            event.type_name().to_owned(),
            event
                .data_json()
                .map_or_else(|| "-".to_owned(), |d| one_line(d).into_owned()),
        ]);
    }
    table.write(out)?;
    Ok(ExitCode::SUCCESS)
}
