//! The `eventlens` command line: the subcommands of the contract in DESIGN.md. Each prints its
//! result to stdout and its messages to stderr; see [`Failure`] for exit codes.

mod args;
mod bench;
mod blame;
mod check;
mod events;
mod generate;
mod read_side;
mod state;
mod streams;
mod table;
mod trace;

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

pub use args::{Cli, Command, ReadArgs};
pub use bench::peak_rss_mb;

use crate::finding::Finding;
use crate::query::Filter;
use crate::replay::{Limits, MergePatch, Point, PointError, Projection, Reducer, Replay};
use crate::source::postgres::Narrow;
use crate::source::{self, Source};
use crate::store::{Instant, NO_STREAM, Store, Stream, members, parse_instant, plural};

/// Set when a source broke off before its end (a cut-off archive): the command still prints
/// what it found in the part before, then exits 2.
static BROKEN: AtomicBool = AtomicBool::new(false);

/// A failure with its exit code: 1 when the command ran but found a problem (a stream or seq
/// that does not exist), 2 for bad usage or input that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub exit: u8,
    pub message: String,
    /// A line of advice printed after the message.
    pub hint: Option<String>,
}

impl Failure {
    /// Bad usage or unreadable input: exit 2.
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            exit: 2,
            message: message.into(),
            hint: None,
        }
    }

    /// The command ran but what it was asked about is not there: exit 1.
    pub fn not_found(message: impl Into<String>, hint: Option<String>) -> Self {
        Self {
            exit: 1,
            message: message.into(),
            hint,
        }
    }
}

/// Runs a subcommand. `Ok` carries the exit code (`check` exits 1 on errors it found).
pub fn run(command: &Command) -> anyhow::Result<ExitCode> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let code = match command {
        Command::Streams(args) => streams::run(args, &mut out)?,
        Command::Events(args) => events::run(args, &mut out)?,
        Command::State(args) => state::run_state(args, &mut out)?,
        Command::Diff(args) => state::run_diff(args, &mut out)?,
        Command::Blame(args) => blame::run(args, &mut out)?,
        Command::Trace(args) => trace::run(args, &mut out)?,
        Command::Table(args) => read_side::run_table(args, &mut out)?,
        Command::When(args) => read_side::run_when(args, &mut out)?,
        Command::Count(args) => read_side::run_count(args, &mut out)?,
        Command::Check(args) => check::run(args, &mut out)?,
        Command::Generate(args) => generate::run(args, &mut out)?,
        Command::Bench(args::BenchCommand::Scrub(args)) => bench::run_scrub(args, &mut out)?,
        Command::Bench(args::BenchCommand::Trace(args)) => bench::run_trace(args, &mut out)?,
    };
    out.flush()?;
    if BROKEN.load(Ordering::Relaxed) {
        return Ok(ExitCode::from(2));
    }
    Ok(code)
}

/// The source a SOURCE argument names: `-` is standard input, a `postgres://` URL a
/// database, a `kafka://` URL a topic (read as `read` says, only what `narrow` names).
fn source_of(file: &Path, read: &ReadArgs, narrow: Narrow) -> Result<Source, Failure> {
    let kafka = read.kafka().map_err(Failure::usage)?;
    Source::from_arg(file.as_os_str(), &read.database(), &kafka)
        .map(|source| source.narrowed(narrow))
        .map_err(Failure::usage)
}

/// What `--stream` leaves to read.
fn only_stream(stream: Option<&String>) -> Narrow {
    stream.map_or(Narrow::All, |s| Narrow::Stream(s.clone()))
}

/// Opens the store for a subcommand, saying on stderr what was skipped, and where the source
/// broke off if it did (the command then exits 2 after printing what it found before). A
/// database reads only what `narrow` names; a file is read whole.
fn open(file: &Path, read: &ReadArgs, narrow: Narrow) -> Result<Store, Failure> {
    let store = open_quietly(file, read, narrow)?;
    warn_skipped(store.name(), store.skipped(), store.first_unreadable());
    Ok(store)
}

/// Opens the store for `check`, which reports what was skipped itself.
fn open_quietly(file: &Path, read: &ReadArgs, narrow: Narrow) -> Result<Store, Failure> {
    let source = source_of(file, read, narrow)?;
    let reader = source::Reader::open(&source, &read.options(), source::Mode::Read)
        .map_err(|e| Failure::usage(e.to_string()))?;
    read_store(reader)
}

/// The store `reader` reads to its end; a source that broke off is said.
fn read_store(reader: source::Reader) -> Result<Store, Failure> {
    let (store, broken) = source::read_to_end(reader).map_err(|e| Failure::usage(e.to_string()))?;
    if let Some(broken) = broken {
        eprintln!("error: {broken}");
        BROKEN.store(true, Ordering::Relaxed);
    }
    Ok(store)
}

/// Says that `skipped` records of the store `name` could not be read, the first as `first`.
fn warn_skipped(name: &str, skipped: usize, first: Option<&Finding>) {
    if skipped == 0 {
        return;
    }
    let first = first.map_or_else(String::new, |p| format!(" (the first at {})", p.place()));
    eprintln!(
        "warning: {name}: {skipped} record{} could not be read{first}; see eventlens check {name}",
        plural(skipped)
    );
}

/// The reducer `--projection` asks for: the script loaded, or merge patches without one.
fn reducer(projection: Option<&PathBuf>) -> Result<Box<dyn Reducer>, Failure> {
    let Some(path) = projection else {
        return Ok(Box::new(MergePatch));
    };
    Projection::load(path, Limits::default())
        .map(|projection| Box::new(projection) as Box<dyn Reducer>)
        .map_err(|error| Failure::usage(error.to_string()))
}

/// Says on stderr when a projection does not read `stream` (its state stays at `$init`).
fn warn_unselected(projection: Option<&PathBuf>, reducer: &dyn Reducer, stream: &Stream) {
    if let (Some(path), Some(source)) = (projection, reducer.source())
        && !source.selects(&stream.id)
    {
        eprintln!(
            "warning: {} reads {}, which leaves out stream \"{}\": its state is the one from $init",
            path.display(),
            source.describe(),
            stream.id
        );
    }
}

/// Says on stderr which events could not be applied (their state is the one before them).
fn warn_failures(replay: &Replay<'_>) {
    for (&k, why) in replay.failures() {
        let event = replay.event(k);
        eprintln!(
            "warning: seq {} ({}) was not applied: {why}",
            event.event.seq,
            event.place()
        );
    }
}

/// The stream named `id`, or a not-found failure suggesting near names.
fn find_stream<'s>(store: &'s Store, id: &str) -> Result<&'s Stream, Failure> {
    if let Some(stream) = store.stream(id) {
        return Ok(stream);
    }
    let wanted = id.to_lowercase();
    let mut near: Vec<&str> = store
        .streams()
        .iter()
        .map(|s| &*s.id)
        .filter(|s| s.to_lowercase().contains(&wanted) || wanted.contains(&s.to_lowercase()))
        .collect();
    near.sort_unstable();
    near.truncate(5);
    let only_none = store.streams().iter().all(|s| &*s.id == NO_STREAM);
    let hint = if only_none {
        // The mapping found no stream in any record.
        let record = store.record(0).unwrap_or_default();
        format!(
            "no record names a stream that eventlens knows of (all events are in {NO_STREAM}); its records have {}: name the stream's member with --stream-field POINTER",
            members::describe(record)
        )
    } else if near.is_empty() {
        format!(
            "the store has {} stream{}; list them with: eventlens streams {}",
            store.streams().len(),
            plural(store.streams().len()),
            store.name()
        )
    } else {
        format!("did you mean {}?", near.join(", "))
    };
    Err(Failure::not_found(
        format!("{}: stream \"{id}\" does not exist", store.name()),
        Some(hint),
    ))
}

/// A jq filter given as `option`, parsed; one that does not parse is bad usage (exit 2),
/// said with its column and a caret under it.
fn parse_filter(option: &str, text: &str, example: &str) -> Result<Filter, Failure> {
    Filter::parse(text).map_err(|error| {
        let mut failure = Failure::usage(format!("{option} {text}: {error}"));
        failure.hint = Some(format!(
            "{text}\n{}^ here; the filter is jq: {example}",
            " ".repeat(error.column.saturating_sub(1))
        ));
        failure
    })
}

/// The RFC 3339 time of `option`.
fn parse_time(option: &str, text: &str) -> Result<Instant, Failure> {
    parse_instant(text).ok_or_else(|| {
        let mut failure = Failure::usage(format!("{option} {text}: not an RFC 3339 time"));
        failure.hint = Some("write it as 2024-03-01T10:15:00Z or 2024-03-01T11:15:00+01:00".into());
        failure
    })
}

/// The point `--at SEQ` or `--at-time T` names (at the end without either).
fn point(at: Option<u64>, at_time: Option<&str>) -> Result<Point, Failure> {
    match (at, at_time) {
        (Some(seq), _) => Ok(Point::Seq(seq)),
        (None, Some(text)) => parse_time("--at-time", text).map(Point::Time),
        (None, None) => Ok(Point::End),
    }
}

/// `--at-time` needs times: on a stream whose events have none (the mapping missed them),
/// say so, with the members its records do have and the `--time-field` that would read one,
/// rather than print the state before every event.
fn require_times(store: &Store, stream: &Stream, point: Point) -> Result<(), Failure> {
    if !matches!(point, Point::Time(_)) || store.any_time(&stream.events) {
        return Ok(());
    }
    let record = stream
        .events
        .first()
        .and_then(|&i| store.record(i))
        .unwrap_or_default();
    let mut hint = format!("its records have {}", members::describe(record));
    if let Some(time) = members::time_members(record).first() {
        let _ = write!(
            hint,
            "; {time} looks like a time: {} --time-field {time}",
            command_line()
        );
    }
    Err(Failure::not_found(
        format!(
            "{}: no event of stream \"{}\" has a time, so --at-time has nothing to compare",
            store.name(),
            stream.id
        ),
        Some(hint),
    ))
}

/// The command line eventlens was run with, to say what to run instead.
fn command_line() -> String {
    let words: Vec<String> = std::env::args()
        .skip(1)
        .map(|word| {
            if word.is_empty()
                || word.contains(|c: char| c.is_whitespace() || "'\"$&|;<>*?`\\".contains(c))
            {
                format!("'{}'", word.replace('\'', "'\\''"))
            } else {
                word
            }
        })
        .collect();
    format!("eventlens {}", words.join(" "))
}

fn point_failure(store: &Store, error: &PointError) -> Failure {
    Failure::not_found(format!("{}: {error}", store.name()), None)
}

/// Writes `value` as indented JSON and a newline.
fn write_pretty(out: &mut dyn Write, value: &impl serde::Serialize) -> io::Result<()> {
    crate::export::write_json(out, value)
}

/// Frees `value` on a thread of its own, once a command has written what it found: the process
/// ends meanwhile, and its memory goes back to the system at once. Freeing the 150 000 rows of
/// `streams` one by one took 40 ms at the end of a 0.7 s run.
fn free_aside<T: Send + 'static>(value: T) {
    std::thread::spawn(move || drop(value));
}
