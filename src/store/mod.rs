//! Reading event stores: format detection, envelope mapping and the index of every event
//! (position, line, stream, seq, type, time, id). Payloads stay in the file's bytes as ranges
//! and are parsed only when asked for.

mod container;
mod envelope;
mod format;
pub mod record;
pub mod time;

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use serde_json::Value;
use serde_json::value::RawValue;

pub use container::Container;
pub use envelope::{FieldPointers, parse_seq};
pub use format::Format;
pub use time::{Instant, parse_instant};

use crate::audit::{Code, Finding, Severity};
use record::{MAX_DEPTH, nesting_depth};

/// The stream of events that name none.
pub const NO_STREAM: &str = "(none)";
/// The type of events that name none.
pub const NO_TYPE: &str = "(none)";
/// How many records format detection looks at.
const DETECTION_SAMPLE: usize = 32;

/// How to read a store: a format to force, and pointers to the envelope's fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// `None` detects the format from the first records.
    pub format: Option<Format>,
    pub fields: FieldPointers,
}

/// Why a store could not be opened at all.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: is a directory, not an event store file")]
    Directory { path: String },
    #[error("{path}: the file is empty; there are no events to read")]
    Empty { path: String },
    #[error("{path}:{line}: no record could be read as an event: {message}")]
    NothingReadable {
        path: String,
        line: u64,
        message: String,
    },
    #[error("{message}")]
    Options { message: String },
    #[error("opening was cancelled")]
    Cancelled,
}

/// What opening a store is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    /// Reading the file's bytes.
    #[default]
    Reading,
    /// Splitting records and reading envelopes.
    Indexing,
}

/// How far opening a store has got, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub phase: Phase,
    pub bytes_done: u64,
    pub bytes_total: u64,
    /// Events indexed so far.
    pub events: u64,
}

/// Records between two progress reports while indexing.
const PROGRESS_EVERY: usize = 4096;
/// Bytes read between two progress reports.
const READ_CHUNK: usize = 8 << 20;

/// Reads the whole file in chunks, reporting progress, read-only.
fn read_file(
    path: &Path,
    progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> Result<Vec<u8>, StoreError> {
    use std::io::Read as _;
    let io_error = |source| StoreError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io_error)?;
    let total = file.metadata().map_err(io_error)?.len();
    let mut bytes = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    loop {
        let now = Progress {
            phase: Phase::Reading,
            bytes_done: bytes.len() as u64,
            bytes_total: total,
            events: 0,
        };
        if progress(now).is_break() {
            return Err(StoreError::Cancelled);
        }
        let read = (&mut file)
            .take(READ_CHUNK as u64)
            .read_to_end(&mut bytes)
            .map_err(io_error)?;
        if read == 0 {
            return Ok(bytes);
        }
    }
}

/// How the format was chosen, for messages ("kurrent, detected from 32 records").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub format: Format,
    pub container: Container,
    /// Records the choice was made from; `None` when `--format` chose.
    pub sampled: Option<usize>,
}

impl Detection {
    /// One line for a user: "jsonl (JSON Lines), detected from 32 records".
    pub fn describe(&self) -> String {
        match self.sampled {
            Some(n) => format!(
                "{} ({}), detected from {n} record{}",
                self.format,
                self.container.describe(),
                plural(n)
            ),
            None => format!(
                "{} ({}), as given by --format",
                self.format,
                self.container.describe()
            ),
        }
    }
}

/// Where a piece of an event's text lives: in the file, or in text the reader made (a
/// decoded base64 payload, a time converted from milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    len: u32,
    made: bool,
}

/// One event of the index. Text fields are spans; read them through [`EventRef`].
#[derive(Debug, Clone)]
pub struct Event {
    /// Global position: the 0-based order in the store (kcat: the message's offset).
    pub position: u64,
    /// 1-based line of the record in the file.
    pub line: u64,
    /// Index into [`Store::streams`].
    pub stream: u32,
    pub seq: u64,
    /// Index into the store's type names.
    pub type_id: u32,
    /// The instant of `time`, when it is a readable time.
    pub instant: Option<Instant>,
    time: Option<Span>,
    id: Option<Span>,
    data: Option<Span>,
    meta: Option<Span>,
}

/// A stream and its events, in store order.
#[derive(Debug, Clone)]
pub struct Stream {
    pub id: String,
    /// Indices into [`Store::events`].
    pub events: Vec<u32>,
}

/// An opened store: its bytes, and the index built over them. Never written to.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    bytes: Vec<u8>,
    made: String,
    detection: Detection,
    events: Vec<Event>,
    streams: Vec<Stream>,
    stream_ids: HashMap<String, u32>,
    types: Vec<String>,
    problems: Vec<Finding>,
    skipped: usize,
}

impl Store {
    /// Opens the store at `path` (read-only) and indexes it.
    pub fn open(path: &Path, options: &ReadOptions) -> Result<Self, StoreError> {
        Self::open_with_progress(path, options, &mut |_| ControlFlow::Continue(()))
    }

    /// Like [`Store::open`], reporting progress now and then; `progress` returning
    /// `ControlFlow::Break` cancels the work.
    pub fn open_with_progress(
        path: &Path,
        options: &ReadOptions,
        progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
    ) -> Result<Self, StoreError> {
        let name = path.display().to_string();
        if path.is_dir() {
            return Err(StoreError::Directory { path: name });
        }
        let bytes = read_file(path, progress)?;
        Self::from_bytes_with_progress(path, bytes, options, progress)
    }

    /// Indexes `bytes` as if read from `path`.
    pub fn from_bytes(
        path: &Path,
        bytes: Vec<u8>,
        options: &ReadOptions,
    ) -> Result<Self, StoreError> {
        Self::from_bytes_with_progress(path, bytes, options, &mut |_| ControlFlow::Continue(()))
    }

    fn from_bytes_with_progress(
        path: &Path,
        bytes: Vec<u8>,
        options: &ReadOptions,
        progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
    ) -> Result<Self, StoreError> {
        let name = path.display().to_string();
        options
            .fields
            .validate()
            .map_err(|message| StoreError::Options { message })?;
        if bytes[container::body_start(&bytes)..]
            .iter()
            .all(u8::is_ascii_whitespace)
        {
            return Err(StoreError::Empty { path: name });
        }
        let container = container::detect(&bytes);
        let split = container::split(&bytes, &container);
        let detection = detect(&bytes, &split.records, container, options.format);
        let mut indexer = Indexer::new(&bytes, &detection, &options.fields);
        let total = bytes.len() as u64;
        for (n, record) in split.records.iter().enumerate() {
            if n % PROGRESS_EVERY == 0 {
                let now = Progress {
                    phase: Phase::Indexing,
                    bytes_done: record.start as u64,
                    bytes_total: total,
                    events: indexer.events.len() as u64,
                };
                if progress(now).is_break() {
                    return Err(StoreError::Cancelled);
                }
            }
            indexer.add(record);
        }
        if let Some(line) = split.truncated_tail {
            let message = match detection.container {
                Container::Lines => {
                    "the last record has no line end; the file may have been cut off while it was written"
                }
                _ => {
                    "the array has no closing bracket; the file may have been cut off while it was written"
                }
            };
            indexer.problems.push(Finding::at_line(
                Severity::Warning,
                Code::TruncatedTail,
                line,
                message,
            ));
        }
        if indexer.events.is_empty()
            && let Some(first) = first_unreadable(&indexer.problems)
        {
            return Err(StoreError::NothingReadable {
                path: name,
                line: first.line,
                message: first.message.clone(),
            });
        }
        let Indexer {
            made,
            events,
            streams,
            stream_ids,
            types,
            problems,
            skipped,
            ..
        } = indexer;
        Ok(Self {
            path: path.to_owned(),
            bytes,
            made,
            detection,
            events,
            streams,
            stream_ids,
            types,
            problems,
            skipped,
        })
    }

    /// The path the store was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How the format was chosen.
    pub fn detection(&self) -> &Detection {
        &self.detection
    }

    /// Every event, in store order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// A view of event `index` with its text and payloads.
    pub fn event(&self, index: u32) -> EventRef<'_> {
        EventRef {
            store: self,
            index,
            event: &self.events[index as usize],
        }
    }

    /// Every stream, in order of first appearance.
    pub fn streams(&self) -> &[Stream] {
        &self.streams
    }

    /// The stream named `id`.
    pub fn stream(&self, id: &str) -> Option<&Stream> {
        self.stream_ids.get(id).map(|&i| &self.streams[i as usize])
    }

    /// The index in [`Store::streams`] of the stream named `id`.
    pub fn stream_index(&self, id: &str) -> Option<u32> {
        self.stream_ids.get(id).copied()
    }

    /// The type name with index `type_id`.
    pub fn type_name(&self, type_id: u32) -> &str {
        &self.types[type_id as usize]
    }

    /// Problems met while reading: records that could not be read (skipped), fields that were
    /// missing or unreadable, a cut-off tail. Sorted by line.
    pub fn problems(&self) -> &[Finding] {
        &self.problems
    }

    /// The first record that could not be read as an event (it was skipped).
    pub fn first_unreadable(&self) -> Option<&Finding> {
        first_unreadable(&self.problems)
    }

    /// How many records could not be read as events.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    fn text(&self, span: Span) -> &str {
        let range = span.start..span.start + span.len as usize;
        if span.made {
            &self.made[range]
        } else {
            // Spans are only ever made from `&str`s borrowed out of these bytes.
            std::str::from_utf8(&self.bytes[range]).unwrap_or_default()
        }
    }
}

/// One event with access to its text and payloads.
#[derive(Debug, Clone, Copy)]
pub struct EventRef<'s> {
    store: &'s Store,
    /// The event's index in [`Store::events`].
    pub index: u32,
    pub event: &'s Event,
}

impl<'s> EventRef<'s> {
    /// The stream's id.
    pub fn stream(&self) -> &'s str {
        &self.store.streams[self.event.stream as usize].id
    }

    /// The event type.
    pub fn type_name(&self) -> &'s str {
        self.store.type_name(self.event.type_id)
    }

    /// The time as written (RFC 3339, with its precision and zone).
    pub fn time(&self) -> Option<&'s str> {
        self.event.time.map(|span| self.store.text(span))
    }

    /// The event id.
    pub fn id(&self) -> Option<&'s str> {
        self.event.id.map(|span| self.store.text(span))
    }

    /// The payload as JSON text, exactly as stored.
    pub fn data_json(&self) -> Option<&'s str> {
        self.event.data.map(|span| self.store.text(span))
    }

    /// The metadata as JSON text, exactly as stored.
    pub fn meta_json(&self) -> Option<&'s str> {
        self.event.meta.map(|span| self.store.text(span))
    }

    /// The payload parsed; `Ok(None)` when the event has none.
    pub fn data(&self) -> Result<Option<Value>, serde_json::Error> {
        self.data_json().map(serde_json::from_str).transpose()
    }

    /// The metadata parsed; `Ok(None)` when the event has none.
    pub fn meta(&self) -> Result<Option<Value>, serde_json::Error> {
        self.meta_json().map(serde_json::from_str).transpose()
    }
}

/// Read-time errors are the records that were skipped; the first of them.
fn first_unreadable(problems: &[Finding]) -> Option<&Finding> {
    problems.iter().find(|p| p.severity == Severity::Error)
}

/// Chooses the format: the one given, else the one most of the first records look like.
fn detect(
    bytes: &[u8],
    records: &[container::RecordSpan],
    container: Container,
    given: Option<Format>,
) -> Detection {
    if let Some(format) = given {
        return Detection {
            format,
            container,
            sampled: None,
        };
    }
    let samples: Vec<Format> = records
        .iter()
        .filter_map(|r| serde_json::from_slice::<record::RawObject>(&bytes[r.start..r.end]).ok())
        .take(DETECTION_SAMPLE)
        .map(|object| Format::of_record(&object))
        .collect();
    let mut format = Format::by_majority(&samples).unwrap_or(Format::Jsonl);
    if format == Format::Jsonl && container != Container::Lines {
        format = Format::Json;
    }
    Detection {
        format,
        container,
        sampled: Some(samples.len()),
    }
}

/// Builds the index, one record at a time.
struct Indexer<'b> {
    bytes: &'b [u8],
    format: Format,
    fields: &'b FieldPointers,
    made: String,
    events: Vec<Event>,
    streams: Vec<Stream>,
    stream_ids: HashMap<String, u32>,
    last_seq: Vec<u64>,
    types: Vec<String>,
    type_ids: HashMap<String, u32>,
    problems: Vec<Finding>,
    skipped: usize,
}

impl<'b> Indexer<'b> {
    fn new(bytes: &'b [u8], detection: &Detection, fields: &'b FieldPointers) -> Self {
        Self {
            bytes,
            format: detection.format,
            fields,
            made: String::new(),
            events: Vec::new(),
            streams: Vec::new(),
            stream_ids: HashMap::new(),
            last_seq: Vec::new(),
            types: Vec::new(),
            type_ids: HashMap::new(),
            problems: Vec::new(),
            skipped: 0,
        }
    }

    fn add(&mut self, record: &container::RecordSpan) {
        let bytes = &self.bytes[record.start..record.end];
        let line = record.line;
        let raw: &'b RawValue = match serde_json::from_slice(bytes) {
            Ok(raw) => raw,
            Err(error) => {
                return self.skip(
                    Code::ParseError,
                    line,
                    describe_json_error(&error, line),
                    None,
                );
            }
        };
        if nesting_depth(bytes, MAX_DEPTH) > MAX_DEPTH {
            let message = format!(
                "the record is nested more than {MAX_DEPTH} levels deep; eventlens reads at most {MAX_DEPTH}"
            );
            return self.skip(Code::ParseError, line, message, None);
        }
        let envelope = match envelope::read(raw, self.format, self.fields) {
            Ok(envelope) => envelope,
            Err(message) => return self.skip(Code::MissingField, line, message, None),
        };
        let stream_id = envelope.stream.as_deref().unwrap_or(NO_STREAM);
        let stream = self.stream_index(stream_id);
        let seq = envelope
            .seq
            .unwrap_or_else(|| self.last_seq[stream as usize].saturating_add(1));
        self.last_seq[stream as usize] = seq;
        let type_id = self.type_index(envelope.type_.as_deref().unwrap_or(NO_TYPE));
        let instant = envelope.time.as_deref().and_then(parse_instant);
        let mut warnings = envelope.warnings;
        if let (Some(time), None) = (&envelope.time, instant) {
            warnings.push(format!("time \"{time}\" is not an RFC 3339 time"));
        }
        for message in warnings {
            let finding = Finding::at_line(Severity::Warning, Code::MissingField, line, message);
            self.problems.push(finding.in_stream(stream_id, Some(seq)));
        }
        let index = self.events.len() as u32;
        self.streams[stream as usize].events.push(index);
        let event = Event {
            position: envelope.position.unwrap_or(u64::from(index)),
            line,
            stream,
            seq,
            type_id,
            instant,
            time: envelope.time.map(|t| self.span(&t)),
            id: envelope.id.map(|t| self.span(&t)),
            data: envelope.data.map(|t| self.span(&t)),
            meta: envelope.meta.map(|t| self.span(&t)),
        };
        self.events.push(event);
    }

    fn skip(&mut self, code: Code, line: u64, message: String, stream: Option<&str>) {
        self.skipped += 1;
        let finding = Finding::at_line(Severity::Error, code, line, message);
        self.problems.push(match stream {
            Some(stream) => finding.in_stream(stream, None),
            None => finding,
        });
    }

    fn stream_index(&mut self, id: &str) -> u32 {
        if let Some(&index) = self.stream_ids.get(id) {
            return index;
        }
        let index = self.streams.len() as u32;
        self.streams.push(Stream {
            id: id.to_owned(),
            events: Vec::new(),
        });
        self.stream_ids.insert(id.to_owned(), index);
        self.last_seq.push(0);
        index
    }

    fn type_index(&mut self, name: &str) -> u32 {
        if let Some(&index) = self.type_ids.get(name) {
            return index;
        }
        let index = self.types.len() as u32;
        self.types.push(name.to_owned());
        self.type_ids.insert(name.to_owned(), index);
        index
    }

    /// Where `text` lives: in the file when it was borrowed from it, else appended to `made`.
    fn span(&mut self, text: &str) -> Span {
        let base = self.bytes.as_ptr() as usize;
        let at = text.as_ptr() as usize;
        if at >= base && at + text.len() <= base + self.bytes.len() {
            return Span {
                start: at - base,
                len: text.len() as u32,
                made: false,
            };
        }
        let start = self.made.len();
        self.made.push_str(text);
        Span {
            start,
            len: text.len() as u32,
            made: true,
        }
    }
}

/// `serde_json`'s message without its "at line 1 column 9" tail, with the column (and the line,
/// for records spanning lines) said the eventlens way.
fn describe_json_error(error: &serde_json::Error, record_line: u64) -> String {
    let full = error.to_string();
    let what = full
        .rfind(" at line ")
        .map_or(full.as_str(), |at| &full[..at]);
    let what = if what.contains("invalid unicode code point") || what.contains("invalid UTF-8") {
        "the record is not valid UTF-8"
    } else {
        what
    };
    if error.line() <= 1 {
        format!("not valid JSON: {what} (column {})", error.column())
    } else {
        format!(
            "not valid JSON: {what} (line {}, column {})",
            record_line + error.line() as u64 - 1,
            error.column()
        )
    }
}

/// "s" when `n` is not one.
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(text: &str) -> Result<Store, StoreError> {
        Store::from_bytes(
            Path::new("t.jsonl"),
            text.as_bytes().to_vec(),
            &ReadOptions::default(),
        )
    }

    #[test]
    fn indexes_streams_types_and_auto_seqs() {
        let store = open(concat!(
            "{\"stream\":\"a\",\"type\":\"X\",\"data\":{\"n\":1}}\n",
            "{\"stream\":\"b\",\"seq\":5,\"type\":\"Y\",\"data\":{}}\n",
            "{\"stream\":\"a\",\"type\":\"X\",\"time\":\"2024-01-01T00:00:00Z\",\"data\":{\"n\":2}}\n",
        ))
        .unwrap();
        assert_eq!(store.detection().format, Format::Jsonl);
        assert_eq!(store.streams().len(), 2);
        let a = store.stream("a").unwrap();
        let seqs: Vec<u64> = a
            .events
            .iter()
            .map(|&i| store.events()[i as usize].seq)
            .collect();
        assert_eq!(seqs, [1, 2]);
        let third = store.event(2);
        assert_eq!(
            (third.stream(), third.type_name(), third.time()),
            ("a", "X", Some("2024-01-01T00:00:00Z"))
        );
        assert_eq!(third.data_json(), Some("{\"n\":2}"));
        assert_eq!(third.event.line, 3);
        assert!(store.problems().is_empty());
    }

    #[test]
    fn broken_records_are_skipped_and_reported() {
        let store = open("{\"stream\":\"a\",\"type\":\"X\",\"data\":{}}\n{oops\n42\n{\"stream\":\"a\",\"type\":\"X\"}").unwrap();
        assert_eq!(store.events().len(), 2);
        assert_eq!(store.skipped(), 2);
        let codes: Vec<_> = store.problems().iter().map(|p| (p.line, p.code)).collect();
        assert_eq!(
            codes,
            [
                (2, Code::ParseError),
                (3, Code::MissingField),
                (4, Code::TruncatedTail)
            ]
        );
        assert!(
            store.problems()[0].message.contains("column 2"),
            "{}",
            store.problems()[0].message
        );
    }

    #[test]
    fn unopenable_inputs_say_why() {
        assert!(matches!(open(""), Err(StoreError::Empty { .. })));
        assert!(matches!(
            open("\u{feff} \n\n"),
            Err(StoreError::Empty { .. })
        ));
        let err = open("\u{0}\u{1}binary\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("t.jsonl:1: no record could be read"),
            "{err}"
        );
    }

    #[test]
    fn made_text_is_kept_apart_from_the_file() {
        let store = open("{\"topic\":\"t\",\"partition\":0,\"offset\":7,\"ts\":0,\"key\":\"k\",\"payload\":\"{\\\"type\\\":\\\"A\\\",\\\"data\\\":{\\\"x\\\":1}}\"}\n").unwrap();
        let event = store.event(0);
        assert_eq!(
            (event.time(), event.data_json(), event.event.position),
            (Some("1970-01-01T00:00:00.000Z"), Some("{\"x\":1}"), 7)
        );
    }
}
