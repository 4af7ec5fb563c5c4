//! `eventlens events`: events in store order, as a table or as normalized JSON Lines; with
//! `--follow`, new events as they are appended, until interrupted.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::args::EventsArgs;
use super::table::{Table, or_dash};
use super::{Failure, source_of};
use crate::query::{Filter, events_where};
use crate::source::postgres::{Narrow, category};
use crate::source::{Mode, Reader, Source, SourceError};
use crate::store::{EventRef, Store, one_line};

pub fn run(args: &EventsArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let filter = where_filter(args)?;
    if args.follow {
        return follow(args, filter.as_ref(), out);
    }
    let store = super::open(&args.file, &args.read, narrow(args))?;
    let indices: Vec<u32> = match &args.stream {
        Some(id) => super::find_stream(&store, id)?.events.to_vec(),
        None => (0..store.events().len() as u32).collect(),
    };
    // The cheap tests first, then the filter on both cores (in store order still).
    let indices: Vec<u32> = indices
        .into_iter()
        .filter(|&i| wanted(args, None, &store.event(i)))
        .collect();
    let indices = match &filter {
        Some(filter) => events_where(&store, &indices, filter.text()),
        None => indices,
    };
    let selected = indices.into_iter().map(|i| store.event(i));
    let mut printed = 0usize;
    if args.json {
        for event in selected {
            event.write_json_line(out)?;
            printed += 1;
        }
    } else {
        let mut table = Table::new(&HEADER);
        for event in selected {
            table.row(row(&event));
            printed += 1;
        }
        table.write(out)?;
    }
    // An empty answer says so, with the question (a search that found nothing is not a
    // search that did not run).
    if printed == 0
        && let Some(filter) = &filter
    {
        eprintln!(
            "note: {}: no event matches --where {}",
            store.name(),
            filter.text()
        );
    }
    Ok(ExitCode::SUCCESS)
}

const HEADER: [&str; 7] = ["POSITION", "LINE", "STREAM", "SEQ", "TIME", "TYPE", "DATA"];

/// What `--stream` or `--category` leaves a database to read.
fn narrow(args: &EventsArgs) -> Narrow {
    match (&args.stream, &args.category) {
        (Some(stream), _) => Narrow::Stream(stream.clone()),
        (None, Some(category)) => Narrow::Category(category.clone()),
        (None, None) => Narrow::All,
    }
}

/// `--where`, parsed.
fn where_filter(args: &EventsArgs) -> Result<Option<Filter>, Failure> {
    args.where_
        .as_deref()
        .map(|text| {
            super::parse_filter(
                "--where",
                text,
                ".data.payment.ref == \"p-1\", .meta.user == \"bob\"",
            )
        })
        .transpose()
}

/// Whether `--stream`, `--category`, `--type` and `--where` let `event` through (`--where`
/// runs on the event as `--json` prints it; a filter that fails on it does not let it through).
fn wanted(args: &EventsArgs, filter: Option<&Filter>, event: &EventRef<'_>) -> bool {
    args.stream.as_ref().is_none_or(|s| s == event.stream())
        && args
            .category
            .as_ref()
            .is_none_or(|c| c == category(event.stream()))
        && (args.types.is_empty() || args.types.iter().any(|t| t == event.type_name()))
        && filter.is_none_or(|filter| {
            let mut line = Vec::with_capacity(256);
            event.write_json_line(&mut line).is_ok()
                && std::str::from_utf8(&line).is_ok_and(|json| filter.holds(json))
        })
}

fn row(event: &EventRef<'_>) -> Vec<String> {
    vec![
        event.position().to_string(),
        or_dash(event.line()),
        event.stream().to_owned(),
        event.event.seq.to_string(),
        or_dash(event.time()),
        event.type_name().to_owned(),
        event
            .data_json()
            .map_or_else(|| "-".to_owned(), |d| one_line(d).into_owned()),
    ]
}

/// Prints the events there are, then each new one as it is appended, until Ctrl+C (exit 0) or
/// the end of standard input. A file that shrinks or is replaced is said on stderr and read
/// again from its start.
fn follow(
    args: &EventsArgs,
    filter: Option<&Filter>,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let interrupted = on_interrupt();
    let source = source_of(&args.file, &args.read, narrow(args))?;
    let usage = |e: SourceError| Failure::usage(e.to_string());
    let mut reader = Reader::open(&source, &args.read.options(), Mode::Follow).map_err(usage)?;
    let poll = Duration::from_millis(args.poll_ms.max(1));
    let mut printed = 0;
    let mut header = !args.json;
    let mut lost: Option<SourceError> = None;
    loop {
        if let Some(store) = reader.store() {
            printed = print_new(args, filter, store, printed, &mut header, out)?;
        }
        out.flush()?;
        if interrupted.load(Ordering::Relaxed) {
            return Ok(ExitCode::SUCCESS);
        }
        let looked = Instant::now();
        let growth = match reader.poll() {
            Ok(growth) => {
                if lost.take().is_some() {
                    eprintln!("note: {}: connected again; going on", source.name());
                }
                growth
            }
            // A database that went away: said once, then looked for at every poll.
            Err(error) if error.is_transient() => {
                if lost.is_none() {
                    eprintln!("warning: {error}");
                }
                lost = Some(error);
                wait(poll.saturating_sub(looked.elapsed()), &interrupted);
                continue;
            }
            Err(error) => return Err(usage(error).into()),
        };
        if let Some(why) = &growth.restarted {
            eprintln!("warning: {why}");
            printed = 0;
        }
        if growth.ended {
            if let Some(store) = reader.store() {
                print_new(args, filter, store, printed, &mut header, out)?;
            }
            out.flush()?;
            return Ok(ExitCode::SUCCESS);
        }
        // Standard input waits for its next piece inside `poll`; a file is looked at again
        // after the poll interval.
        if growth.added == 0 && source != Source::Stdin {
            wait(poll.saturating_sub(looked.elapsed()), &interrupted);
        }
    }
}

/// Prints the events of `store` from index `from` on that the filters let through; returns
/// where to go on from.
fn print_new(
    args: &EventsArgs,
    filter: Option<&Filter>,
    store: &Store,
    from: usize,
    header: &mut bool,
    out: &mut dyn Write,
) -> std::io::Result<usize> {
    let len = store.events().len();
    let new = (from as u32..len as u32)
        .map(|i| store.event(i))
        .filter(|e| wanted(args, filter, e));
    if args.json {
        for event in new {
            event.write_json_line(out)?;
        }
    } else {
        let mut table = Table::new(&HEADER);
        for event in new {
            table.row(row(&event));
        }
        if !table.is_empty() {
            table.write_rows(out, std::mem::take(header))?;
        }
    }
    Ok(len)
}

/// Sleeps for `duration`, waking early when interrupted.
fn wait(duration: Duration, interrupted: &AtomicBool) {
    let until = Instant::now() + duration;
    while !interrupted.load(Ordering::Relaxed) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(Duration::from_millis(20)));
    }
}

/// A flag that Ctrl+C (or a termination signal) sets, for a follower to stop cleanly and exit
/// 0. Should the follower be stuck (a read that never returns), the process exits 0 a second
/// later anyway.
fn on_interrupt() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let set = flag.clone();
    let installed = ctrlc::set_handler(move || {
        set.store(true, Ordering::Relaxed);
        std::thread::sleep(Duration::from_secs(1));
        std::process::exit(0);
    });
    if let Err(error) = installed {
        eprintln!("warning: Ctrl+C will not stop following cleanly: {error}");
    }
    flag
}
