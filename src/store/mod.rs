//! The source-neutral index of events: formats and envelope mapping, events, streams and
//! types. A store grows by appended segments of text (a mapped file, bytes read from a pipe or
//! an archive, rows of a database made into records); event and stream indices never change
//! once given, and a [`Store`] is a cheap snapshot that later growth leaves alone. Payloads
//! stay in the text as ranges and are parsed only when asked for. Where the text comes from is
//! [`crate::source`]'s business.

mod blocks;
mod bytes;
mod chunk;
pub mod container;
mod envelope;
mod format;
mod index;
mod lines;
pub mod members;
mod normalized;
pub mod record;
pub mod scan;
mod tally;
pub mod time;

use rustc_hash::FxHashMap;
use std::ops::Range;
use std::path::Path;

use std::sync::Arc;

use serde_json::Value;

pub use blocks::Blocks;
pub use bytes::Bytes;
pub use container::Container;
pub use envelope::{FieldPointers, parse_seq};
pub use format::Format;
pub use index::{Index, Indexing, detect, detect_text};
use lines::Lines;
pub use normalized::one_line;
pub use tally::{StreamSummary, Summaries, sorted_types};
pub use time::{Instant, format_seconds, parse_duration, parse_instant};

use crate::finding::{Finding, Severity};

/// The stream of events that name none.
pub const NO_STREAM: &str = "(none)";
/// The type of events that name none.
pub const NO_TYPE: &str = "(none)";

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
    #[error("{place}: no record could be read as an event: {message}")]
    NothingReadable {
        /// The source and where in it: `orders.jsonl:3`.
        place: String,
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
    /// Reading a database's rows: `bytes_done` and `bytes_total` count rows.
    Rows,
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
        if let Container::Rows(rows) = &self.container {
            // A database preset or a topic says itself what it read ("preset message-db: …").
            if rows.starts_with("preset ") || rows.starts_with("kafka ") {
                return rows.clone();
            }
            return format!("{} ({})", self.format, self.container.describe());
        }
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

/// Where a piece of an event's text lives: relative to its record in the file, or (with the
/// top bit of `start` set) relative to the event's share of the text the reader made (a
/// decoded base64 payload, a time converted from milliseconds). `len` all ones: absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span<T> {
    start: T,
    len: T,
}

/// The payload and metadata: anything up to 2 GiB.
type LongSpan = Span<u32>;
/// The time and id: up to 64 KiB, within the first 32 KiB of the record (or of the made text,
/// where time and id go first).
type ShortSpan = Span<u16>;

/// The integer a [`Span`] is made of: its top bit marks made text, all ones an absent span.
trait SpanWord: Copy + Eq + TryFrom<usize> + Into<u64> {
    const ZERO: Self;
    const MADE: Self;
    const ALL: Self;
    fn with_made(self) -> Self;
    fn without_made(self) -> Self;
}

impl SpanWord for u16 {
    const ZERO: Self = 0;
    const MADE: Self = 1 << 15;
    const ALL: Self = Self::MAX;
    fn with_made(self) -> Self {
        self | Self::MADE
    }
    fn without_made(self) -> Self {
        self & !Self::MADE
    }
}

impl SpanWord for u32 {
    const ZERO: Self = 0;
    const MADE: Self = 1 << 31;
    const ALL: Self = Self::MAX;
    fn with_made(self) -> Self {
        self | Self::MADE
    }
    fn without_made(self) -> Self {
        self & !Self::MADE
    }
}

impl<T: SpanWord> Span<T> {
    const NONE: Self = Self {
        start: T::ZERO,
        len: T::ALL,
    };

    /// A span of `len` bytes at `start`; `None` when either does not fit.
    fn new(start: usize, len: usize, made: bool) -> Option<Self> {
        let start = T::try_from(start)
            .ok()
            .filter(|s| (*s).into() < T::MADE.into())?;
        let len = T::try_from(len).ok().filter(|l| *l != T::ALL)?;
        Some(Self {
            start: if made { start.with_made() } else { start },
            len,
        })
    }

    /// `(start, len, made)`; `None` when absent.
    fn get(self) -> Option<(usize, usize, bool)> {
        (self.len != T::ALL).then(|| {
            (
                self.start.without_made().into() as usize,
                self.len.into() as usize,
                self.start != self.start.without_made(),
            )
        })
    }
}

/// The texts an [`Event`] points at.
#[derive(Debug, Clone, Copy)]
enum Field {
    Time,
    Id,
    Data,
    Meta,
}

/// One event of the index: 56 bytes, so that millions fit beside the text they point into.
/// Text fields are spans; read them through [`EventRef`]. Its line is kept apart
/// ([`EventRef::line`]).
#[derive(Debug, Clone, Copy)]
pub struct Event {
    /// Where the record starts in the store's text (for a file, its byte offset).
    record: u64,
    pub seq: u64,
    /// Nanoseconds since the epoch of `time`, [`NO_INSTANT`] when it is no readable time.
    instant: i64,
    /// Index into [`Store::streams`].
    pub stream: u32,
    /// Index into the store's type names.
    pub type_id: u32,
    data: LongSpan,
    meta: LongSpan,
    time: ShortSpan,
    id: ShortSpan,
}

// What the index costs an event; a field more is 16 MB of a 2 M-event store.
const _: () = assert!(std::mem::size_of::<Event>() == 56);

/// How an [`Event`] says it has no instant.
const NO_INSTANT: i64 = i64::MIN;

impl Event {
    /// The instant of `time`, when it is a readable time.
    pub fn instant(&self) -> Option<Instant> {
        (self.instant != NO_INSTANT).then_some(self.instant)
    }

    fn span(&self, field: Field) -> Option<(usize, usize, bool)> {
        match field {
            Field::Time => self.time.get(),
            Field::Id => self.id.get(),
            Field::Data => self.data.get(),
            Field::Meta => self.meta.get(),
        }
    }
}

/// A stream and its events, in store order.
#[derive(Debug, Clone)]
pub struct Stream {
    pub id: Arc<str>,
    /// Indices into [`Store::events`], shared with earlier snapshots of the store until the
    /// stream grows (then the growing store copies the list once).
    pub events: Arc<Vec<u32>>,
}

impl Stream {
    /// The stream's category: its id up to the first `-` (message-db's rule), or all of it.
    pub fn category(&self) -> &str {
        category_of(&self.id)
    }
}

/// A stream id's category: the part before its first `-`, or all of it.
pub fn category_of(id: &str) -> &str {
    id.split_once('-').map_or(id, |(category, _)| category)
}

/// A piece of the store's text: a mapped file or part of one, bytes read from a pipe or an
/// archive, records made from a database's rows.
#[derive(Debug, Clone)]
struct Segment {
    /// Where the segment starts in the store's text.
    start: u64,
    bytes: Arc<Bytes>,
    /// The segment's part of `bytes`.
    range: Range<usize>,
}

/// Text the reader made for an event (a decoded payload, a time from milliseconds): in which
/// piece, and where in it the event's share starts.
#[derive(Debug, Clone, Copy)]
struct MadeAt {
    event: u32,
    piece: u32,
    start: u32,
}

/// An opened store: its text, and the index built over it. Never written to. Cloning is cheap
/// (the big parts are shared), which is how a growing store hands out snapshots.
#[derive(Debug, Clone)]
pub struct Store {
    name: String,
    segments: Arc<Vec<Segment>>,
    made: Arc<Vec<Arc<str>>>,
    made_at: Blocks<MadeAt>,
    detection: Detection,
    events: Blocks<Event>,
    /// The 1-based line of each event's record in the file; 0 where the source has no lines
    /// (a database's rows).
    lines: Lines,
    /// Positions, when some differ from the store order (kcat offsets, a database's global
    /// position); else empty.
    positions: Blocks<u64>,
    streams: Vec<Stream>,
    stream_ids: Arc<FxHashMap<Arc<str>, u32>>,
    types: Arc<Vec<String>>,
    problems: Arc<Vec<Finding>>,
    skipped: usize,
}

impl Store {
    fn empty(name: String, detection: Detection) -> Self {
        Self {
            name,
            segments: Arc::default(),
            made: Arc::default(),
            made_at: Blocks::default(),
            detection,
            events: Blocks::default(),
            lines: Lines::default(),
            positions: Blocks::default(),
            streams: Vec::new(),
            stream_ids: Arc::default(),
            types: Arc::default(),
            problems: Arc::default(),
            skipped: 0,
        }
    }

    /// Indexes `bytes` (the text of a store file) as if read from `path`.
    pub fn from_bytes(
        path: &Path,
        bytes: Vec<u8>,
        options: &ReadOptions,
    ) -> Result<Self, StoreError> {
        indexing_of(path, bytes, options)?.finish().finish()
    }

    /// The streams of `bytes` as [`Store::summaries`] lists them once indexed, counted without
    /// the index, as `streams` counts a file.
    pub fn summarize_bytes(
        path: &Path,
        bytes: Vec<u8>,
        options: &ReadOptions,
    ) -> Result<Summaries, StoreError> {
        indexing_of(path, bytes, options)?.summarize()
    }

    /// The name the store is shown and reported under: a path, `<stdin>`, a database.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How the format was chosen.
    pub fn detection(&self) -> &Detection {
        &self.detection
    }

    /// Every event, in store order.
    pub fn events(&self) -> &Blocks<Event> {
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

    /// The global position of event `index`: its 0-based order in the store, or the position
    /// the source names (kcat: the message's offset; a database: its global position).
    pub fn position(&self, index: u32) -> u64 {
        self.positions
            .get(index as usize)
            .copied()
            .unwrap_or(u64::from(index))
    }

    /// The 1-based line of event `index`'s record, where the source has lines.
    pub fn line(&self, index: u32) -> Option<u64> {
        self.lines.get(index as usize).filter(|&line| line != 0)
    }

    /// Whether events come from lines of a file (else from a database's rows).
    pub fn has_lines(&self) -> bool {
        self.lines.get(0).is_none_or(|line| line != 0)
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

    /// Every event type, by type id: in the order the store first has them, which a store that
    /// grows keeps.
    pub fn type_names(&self) -> &[String] {
        &self.types
    }

    /// Problems met while reading: records that could not be read (skipped), fields that were
    /// missing or unreadable, a cut-off tail. In store order.
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

    /// The whole record event `index` was read from, as JSON text (the row made into a
    /// record, for a database).
    pub fn record(&self, index: u32) -> Option<&str> {
        let event = self.events.get(index as usize)?;
        let text = self.record_text(event.record)?;
        let mut values =
            serde_json::Deserializer::from_slice(text).into_iter::<&serde_json::value::RawValue>();
        values.next()?.ok().map(serde_json::value::RawValue::get)
    }

    /// Whether any event of the store has a readable time.
    pub fn has_times(&self) -> bool {
        self.events.iter().any(|e| e.instant().is_some())
    }

    /// Whether any of `events` (indices into the store) has a readable time.
    pub fn any_time(&self, events: &[u32]) -> bool {
        events
            .iter()
            .any(|&i| self.events[i as usize].instant().is_some())
    }

    /// The text of the record starting at `record` in the store's text, to the end of its
    /// segment.
    fn record_text(&self, record: u64) -> Option<&[u8]> {
        let segment = match &self.segments[..] {
            [only] => only,
            segments => {
                let after = segments.partition_point(|s| s.start <= record);
                segments.get(after.checked_sub(1)?)?
            }
        };
        let at = segment.range.start + usize::try_from(record - segment.start).ok()?;
        segment.bytes.get(at..segment.range.end)
    }

    fn text(&self, index: u32, field: Field) -> Option<&str> {
        let event = &self.events[index as usize];
        let (start, len, made) = event.span(field)?;
        if made {
            return self.made_text(index, start, len);
        }
        let record = self.record_text(event.record)?;
        // Spans are only ever made from `&str`s borrowed out of this text.
        simdutf8::basic::from_utf8(record.get(start..start + len)?).ok()
    }

    /// A span of the text made for event `index` (a database row's fields, …).
    fn made_text(&self, index: u32, start: usize, len: usize) -> Option<&str> {
        let at = self.made_at.partition_point(|m| m.event < index);
        let made = self.made_at.get(at).filter(|m| m.event == index)?;
        let start = made.start as usize + start;
        self.made.get(made.piece as usize)?.get(start..start + len)
    }

    /// All four text fields of event `index`, with one UTF-8 check of its record up to the
    /// last of them, where [`Store::text`] checks each field on its own (a check of a short
    /// field costs about as much as one of a whole record).
    fn texts(&self, index: u32) -> Texts<'_> {
        let event = &self.events[index as usize];
        let fields = [Field::Id, Field::Time, Field::Data, Field::Meta];
        let spans = fields.map(|f| event.span(f));
        let end = spans
            .iter()
            .flatten()
            .filter(|&&(_, _, made)| !made)
            .map(|&(start, len, _)| start + len)
            .max();
        let record = end.and_then(|end| {
            let bytes = self.record_text(event.record)?.get(..end)?;
            simdutf8::basic::from_utf8(bytes).ok()
        });
        let [id, time, data, meta] = std::array::from_fn(|i| {
            let (start, len, made) = spans[i]?;
            match record {
                _ if made => self.made_text(index, start, len),
                Some(record) => record.get(start..start + len),
                // Never for a record that was indexed (it was read as UTF-8); should it be,
                // each field is checked on its own, as `text` does.
                None => self.text(index, fields[i]),
            }
        });
        Texts {
            id,
            time,
            data,
            meta,
        }
    }
}

/// An event's text fields, read at once by [`EventRef::texts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Texts<'s> {
    pub id: Option<&'s str>,
    pub time: Option<&'s str>,
    /// The payload as JSON text, exactly as stored.
    pub data: Option<&'s str>,
    /// The metadata as JSON text, exactly as stored.
    pub meta: Option<&'s str>,
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
        self.store.text(self.index, Field::Time)
    }

    /// The event id.
    pub fn id(&self) -> Option<&'s str> {
        self.store.text(self.index, Field::Id)
    }

    /// The payload as JSON text, exactly as stored.
    pub fn data_json(&self) -> Option<&'s str> {
        self.store.text(self.index, Field::Data)
    }

    /// The metadata as JSON text, exactly as stored.
    pub fn meta_json(&self) -> Option<&'s str> {
        self.store.text(self.index, Field::Meta)
    }

    /// The id, time, payload and metadata at once: cheaper than one by one where all are
    /// wanted.
    pub fn texts(&self) -> Texts<'s> {
        self.store.texts(self.index)
    }

    /// The global position (see [`Store::position`]).
    pub fn position(&self) -> u64 {
        self.store.position(self.index)
    }

    /// The 1-based line of the event's record, where the source has lines.
    pub fn line(&self) -> Option<u64> {
        self.store.line(self.index)
    }

    /// Where the event's record is, for people: "line 12", or "position 4711" for a
    /// database's row.
    pub fn place(&self) -> String {
        match self.line() {
            Some(line) => format!("line {line}"),
            None => format!("position {}", self.position()),
        }
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

/// `bytes`, the text of a store file read as if from `path`, ready to be indexed.
fn indexing_of(path: &Path, bytes: Vec<u8>, options: &ReadOptions) -> Result<Indexing, StoreError> {
    let name = path.display().to_string();
    options
        .fields
        .validate()
        .map_err(|message| StoreError::Options { message })?;
    let bytes = Arc::new(Bytes::Owned(bytes));
    let range = 0..bytes.len();
    let (container, detection) = index::detect_text(&name, &bytes, options.format)?;
    let index = Index::new(name, detection, options.fields.clone());
    Ok(Indexing::new(index, bytes, range, &container, true))
}

/// `serde_json`'s message without its "at line 1 column 9" tail, with the column (and the line,
/// for records spanning lines) said the eventlens way.
pub(crate) fn describe_json_error(error: &serde_json::Error, record_line: u64) -> String {
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
    use crate::finding::Code;

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
        assert_eq!(third.line(), Some(3));
        assert!(store.problems().is_empty());
    }

    #[test]
    fn broken_records_are_skipped_and_reported() {
        let store = open("{\"stream\":\"a\",\"type\":\"X\",\"data\":{}}\n{oops\n42\n{\"stream\":\"a\",\"type\":\"X\"}").unwrap();
        assert_eq!(store.events().len(), 2);
        assert_eq!(store.skipped(), 2);
        let codes: Vec<_> = store
            .problems()
            .iter()
            .map(|p| (p.line.unwrap_or(0), p.code))
            .collect();
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
    fn texts_read_at_once_are_each_text_read_alone() {
        let stores = [
            open(concat!(
                "{\"stream\":\"a\",\"id\":\"é-1\",\"type\":\"X\",\"time\":\"2024-01-01T00:00:00Z\",\"data\":{\"s\":\"café ☕\"},\"meta\":{\"u\":\"ø\"}}\n",
                "{\"meta\":{},\"data\":[1,\"\\u00e9\"],\"type\":\"X\",\"stream\":\"a\"}\n",
                "{\"stream\":\"b\",\"type\":\"Y\"}\n",
            ))
            .unwrap(),
            // Made fields (the time, the payload) beside the file's own (the id).
            open("{\"topic\":\"t\",\"partition\":0,\"offset\":7,\"ts\":0,\"key\":\"k\",\"payload\":\"{\\\"type\\\":\\\"A\\\",\\\"id\\\":\\\"ü\\\",\\\"data\\\":{\\\"x\\\":\\\"ü\\\"}}\"}\n").unwrap(),
        ];
        for store in &stores {
            for index in 0..store.events().len() as u32 {
                let event = store.event(index);
                let alone = Texts {
                    id: event.id(),
                    time: event.time(),
                    data: event.data_json(),
                    meta: event.meta_json(),
                };
                assert_eq!(event.texts(), alone, "event {index}");
            }
        }
        assert_eq!(stores[0].event(0).texts().meta, Some("{\"u\":\"ø\"}"));
        assert_eq!(stores[0].event(2).texts().data, None);
        assert_eq!(stores[1].event(0).texts().data, Some("{\"x\":\"ü\"}"));
    }

    #[test]
    fn made_text_is_kept_apart_from_the_file() {
        let store = open("{\"topic\":\"t\",\"partition\":0,\"offset\":7,\"ts\":0,\"key\":\"k\",\"payload\":\"{\\\"type\\\":\\\"A\\\",\\\"data\\\":{\\\"x\\\":1}}\"}\n").unwrap();
        let event = store.event(0);
        assert_eq!(
            (event.time(), event.data_json(), event.position()),
            (Some("1970-01-01T00:00:00.000Z"), Some("{\"x\":1}"), 7)
        );
    }
}
