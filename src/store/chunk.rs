//! One chunk of a store's text read on its own (a core each, see [`super::index`]): its records
//! validated and their envelopes read, their streams and types named by ids local to the
//! chunk, what could not be read noted by line. What becomes of each event depends on who
//! asked: the index keeps every event ([`Events`]); `streams` only counts them per stream
//! ([`super::tally`]), which costs neither the events' memory nor their merge.

use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::ops::Range;

use serde_json::value::RawValue;

use super::container::{self, RecordSpan};
use super::envelope::{self, Envelope, FieldPointers};
use super::format::Format;
use super::record::{MAX_DEPTH, Member, Raw, RawObject, nesting_depth};
use super::time::parse_instant;
use super::{
    Event, LongSpan, NO_INSTANT, NO_STREAM, NO_TYPE, ShortSpan, SpanWord, describe_json_error, scan,
};
use crate::finding::{Code, Severity};

/// The largest record eventlens reads: spans inside a record are 31-bit offsets.
const MAX_RECORD: usize = (1 << 31) - 1;

/// What a chunk makes of the events it reads.
pub(super) trait Out<'b>: Default + Send {
    /// Takes an event the chunk read. Warnings about it go to `problems`.
    fn add(&mut self, event: Read<'b, '_>, problems: &mut Vec<Problem>);

    /// Whether the event's id, data and metadata are read (see [`envelope::read_object`]).
    const PAYLOADS: bool = true;

    /// Makes room for `records` more events.
    fn reserve(&mut self, records: usize) {
        let _ = records;
    }
}

/// One event as a chunk read it, for an [`Out`]: its record in `bytes`, its envelope, and the
/// chunk's ids of its stream and type.
pub(super) struct Read<'b, 'r> {
    pub bytes: &'b [u8],
    pub record: &'r RecordSpan,
    pub envelope: &'r Envelope<'b>,
    pub stream: u32,
    pub type_id: u32,
}

/// A problem a chunk met; `event` (an index into the chunk's events) for warnings about an
/// event that was kept, whose stream and seq are known only after the merge.
pub(super) struct Problem {
    pub line: u64,
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub event: Option<usize>,
}

/// What a chunk found, ready to merge.
#[derive(Default)]
pub(super) struct Indexed<O> {
    /// The chunk's streams and types by local id.
    pub streams: Vec<String>,
    pub types: Vec<String>,
    pub problems: Vec<Problem>,
    /// Newlines in the chunk (lines containers).
    pub newlines: u64,
    /// The chunk's last record has no line end (only the file's last chunk can say so).
    pub truncated_tail: Option<u64>,
    pub out: O,
}

/// One chunk being read.
pub(super) struct Chunk<'b, O> {
    bytes: &'b [u8],
    format: Format,
    fields: &'b FieldPointers,
    stream_ids: FxHashMap<String, u32>,
    type_ids: FxHashMap<String, u32>,
    /// A vector for the scanner to list members in, reused from record to record.
    members: Vec<Member<'b>>,
    /// The envelope each record is read into, reused likewise.
    envelope: Envelope<'b>,
    /// The chunk's text when all of it is UTF-8, and where it starts in `bytes`: records are
    /// cut from it, so that each is not checked again.
    text: Option<(usize, &'b str)>,
    found: Indexed<O>,
}

impl<'b, O: Out<'b>> Chunk<'b, O> {
    pub fn new(bytes: &'b [u8], format: Format, fields: &'b FieldPointers) -> Self {
        Self {
            bytes,
            format,
            fields,
            stream_ids: FxHashMap::default(),
            type_ids: FxHashMap::default(),
            members: Vec::new(),
            envelope: Envelope::default(),
            text: None,
            found: Indexed::default(),
        }
    }

    pub fn finish(mut self) -> Indexed<O> {
        self.found.streams = names(self.stream_ids);
        self.found.types = names(self.type_ids);
        self.found
    }

    /// Checks the chunk `range` as UTF-8 at once (SIMD; most stores are valid throughout). A
    /// chunk that is not leaves each record to be checked on its own, so that only the bad
    /// ones are skipped.
    fn check_utf8(&mut self, range: Range<usize>) {
        let bytes = &self.bytes[range.clone()];
        self.text = simdutf8::basic::from_utf8(bytes)
            .ok()
            .map(|text| (range.start, text));
    }

    /// Reads the lines of `range` (which starts at a line start); lines count from 1 at the
    /// chunk's start.
    pub fn index_lines(&mut self, range: Range<usize>) {
        self.check_utf8(range.clone());
        match self.text {
            Some((_, text)) => self.index_lines_scanning(text, range.start),
            None => self.index_lines_cut(range),
        }
    }

    /// [`Self::index_lines`] by cutting the lines first ([`container::lines_in`]), then
    /// reading each: for a chunk that is not UTF-8 throughout.
    fn index_lines_cut(&mut self, range: Range<usize>) {
        let split = container::lines_in(self.bytes, range);
        self.found.out.reserve(split.records.len());
        for record in &split.records {
            self.index(record);
        }
        self.found.newlines = split.newlines;
        self.found.truncated_tail = split.truncated_tail;
    }

    /// [`Self::index_lines`] for a chunk that is UTF-8 throughout (`text`, at `base` in the
    /// store's bytes), reading each line as it finds it: where the scanner accepts a record
    /// and only blanks follow it on its line, that line's end is found without a search of its
    /// own (a pass over every byte for `\n` was 7 % of `streams`). Any other line is cut at its
    /// line end and read as [`container::lines_in`] cuts it. The same records, lines and
    /// counts either way (`fused_lines_read_as_lines_in_cuts_them`).
    fn index_lines_scanning(&mut self, text: &'b str, base: usize) {
        let bytes = text.as_bytes();
        let (mut at, mut line) = (0, 1u64);
        while at < bytes.len() {
            let start = blanks(bytes, at);
            match bytes.get(start) {
                None => break,
                Some(b'\n') => {
                    (at, line) = (start + 1, line + 1);
                    self.found.newlines += 1;
                    continue;
                }
                Some(_) => {}
            }
            let members = std::mem::take(&mut self.members);
            let scanned =
                scan::object_on_line(text, start, members).and_then(|(end, root, object)| {
                    let after = blanks(bytes, end);
                    let ends_line = after == bytes.len() || bytes[after] == b'\n';
                    (ends_line && end - start <= MAX_RECORD).then_some((end, after, root, object))
                });
            let line_end = if let Some((end, after, root, object)) = scanned {
                let record = RecordSpan {
                    start: base + start,
                    end: base + end,
                    line,
                };
                self.index_scanned(&record, root, object);
                after
            } else {
                self.index_line_cut(bytes, base, start, line)
            };
            if line_end == bytes.len() {
                self.found.truncated_tail = Some(line);
                break;
            }
            (at, line) = (line_end + 1, line + 1);
            self.found.newlines += 1;
        }
    }

    /// The line of `bytes` (the chunk's text, at `base` in the store's) that starts at `start`
    /// (past its blanks) read as [`container::lines_in`] cuts it: where its line end is.
    fn index_line_cut(&mut self, bytes: &[u8], base: usize, start: usize, line: u64) -> usize {
        let line_end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let end = start
            + bytes[start..line_end]
                .iter()
                .rposition(|b| !b.is_ascii_whitespace())
                .map_or(0, |last| last + 1);
        self.index(&RecordSpan {
            start: base + start,
            end: base + end,
            line,
        });
        line_end
    }

    pub fn index_records(&mut self, records: &[RecordSpan]) {
        if let (Some(first), Some(last)) = (records.first(), records.last()) {
            self.check_utf8(first.start..last.end);
        }
        self.found.out.reserve(records.len());
        for record in records {
            self.index(record);
        }
    }

    fn index(&mut self, record: &RecordSpan) {
        let bytes = &self.bytes[record.start..record.end];
        let line = record.line;
        if bytes.len() > MAX_RECORD {
            let message = format!(
                "the record is {} bytes long; eventlens reads records of up to 2 GiB",
                bytes.len()
            );
            return self.skip(Code::ParseError, line, message);
        }
        // The fast path validates and lists members in one pass; anything it does not accept
        // is read again by serde_json, which says what is wrong.
        let members = std::mem::take(&mut self.members);
        // Records start and end at ASCII bytes, so they cut a valid chunk at char boundaries.
        let scanned = match self.text {
            Some((base, text)) => text
                .get(record.start - base..record.end - base)
                .and_then(|text| scan::object_of_text(text, members)),
            None => scan::object_in(bytes, members),
        };
        let read = match scanned {
            Some((root, object)) => return self.index_scanned(record, root, object),
            None => match self.slow_read(bytes, line) {
                Some(Ok(envelope)) => {
                    self.envelope = envelope;
                    Ok(())
                }
                Some(Err(message)) => Err(message),
                None => return,
            },
        };
        self.add(record, read);
    }

    /// A record the scanner accepted, with its text and members.
    fn index_scanned(&mut self, record: &RecordSpan, root: Raw<'b>, object: RawObject<'b>) {
        let read = envelope::read_object(
            &object,
            root,
            self.format,
            self.fields,
            O::PAYLOADS,
            &mut self.envelope,
        );
        self.members = object.into_members();
        self.add(record, read);
    }

    /// The record's envelope, read into `self.envelope` (or why not), to the chunk's output.
    fn add(&mut self, record: &RecordSpan, read: Result<(), String>) {
        let envelope = &self.envelope;
        match read {
            Ok(()) => {
                let stream = intern(
                    &mut self.stream_ids,
                    envelope.stream.as_deref().unwrap_or(NO_STREAM),
                );
                let type_id = intern(
                    &mut self.type_ids,
                    envelope.type_.as_deref().unwrap_or(NO_TYPE),
                );
                let read = Read {
                    bytes: self.bytes,
                    record,
                    envelope,
                    stream,
                    type_id,
                };
                self.found.out.add(read, &mut self.found.problems);
            }
            Err(message) => self.skip(Code::MissingField, record.line, message),
        }
    }

    /// The reading of a record the scanner refused: `None` once the record has been skipped
    /// with `serde_json`'s explanation.
    fn slow_read(&mut self, bytes: &'b [u8], line: u64) -> Option<Result<Envelope<'b>, String>> {
        let raw: &'b RawValue = match serde_json::from_slice(bytes) {
            Ok(raw) => raw,
            Err(error) => {
                self.skip(Code::ParseError, line, describe_json_error(&error, line));
                return None;
            }
        };
        if nesting_depth(bytes, MAX_DEPTH) > MAX_DEPTH {
            let message = format!(
                "the record is nested more than {MAX_DEPTH} levels deep; eventlens reads at most {MAX_DEPTH}"
            );
            self.skip(Code::ParseError, line, message);
            return None;
        }
        Some(envelope::read(
            Raw::valid(raw.get()),
            self.format,
            self.fields,
        ))
    }

    fn skip(&mut self, code: Code, line: u64, message: String) {
        self.found.problems.push(Problem {
            line,
            severity: Severity::Error,
            code,
            message,
            event: None,
        });
    }
}

/// Past the blanks at `at` that JSON Lines trims from a line's ends (not its `\n`).
fn blanks(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\r' | b'\x0C') = bytes.get(at) {
        at += 1;
    }
    at
}

/// The chunk's id of `name`: the next one if it is new. A name is copied once, into the map,
/// and the map becomes the list of names at the end ([`names`]).
pub(super) fn intern(ids: &mut FxHashMap<String, u32>, name: &str) -> u32 {
    if let Some(&id) = ids.get(name) {
        return id;
    }
    let id = ids.len() as u32;
    ids.insert(name.to_owned(), id);
    id
}

/// The names of `ids` by id.
pub(super) fn names(ids: FxHashMap<String, u32>) -> Vec<String> {
    let mut names = vec![String::new(); ids.len()];
    for (name, id) in ids {
        names[id as usize] = name;
    }
    names
}

/// An event as a chunk indexed it: stream and type ids local to the chunk, line counted from
/// the chunk's start (lines containers), seq possibly still to be filled in.
pub(super) struct Pending {
    pub event: Event,
    /// The record's line in the chunk (0: the source has no lines).
    pub line: u64,
    pub seq_given: bool,
    pub position: Option<u64>,
    /// Where the event's made text starts in the chunk's `made`.
    pub made: Option<usize>,
}

/// The events of a chunk, for the index: where each one's parts are in the text, and the
/// text that had to be made (unescaped strings) for those that are not.
#[derive(Default)]
pub(super) struct Events {
    pub events: Vec<Pending>,
    pub made: String,
}

impl Out<'_> for Events {
    fn reserve(&mut self, records: usize) {
        self.events.reserve(records);
    }

    fn add(&mut self, read: Read<'_, '_>, problems: &mut Vec<Problem>) {
        let Read {
            bytes,
            record,
            envelope,
            stream,
            type_id,
        } = read;
        let instant = envelope.time.as_deref().and_then(parse_instant);
        let index = self.events.len();
        let mut warnings = envelope.warnings.clone();
        if let (Some(time), None) = (&envelope.time, instant) {
            warnings.push(format!("time \"{time}\" is not an RFC 3339 time"));
        }
        for message in warnings {
            problems.push(Problem {
                line: record.line,
                severity: Severity::Warning,
                code: Code::MissingField,
                message,
                event: Some(index),
            });
        }
        let made_start = self.made.len();
        let mut place = |text, short| self.place(bytes, record, made_start, text, short);
        // Time and id first: their made text then starts near 0, as short spans need.
        let time = place(envelope.time.as_ref(), true);
        let id = place(envelope.id.as_ref(), true);
        let data = place(envelope.data.as_ref(), false);
        let meta = place(envelope.meta.as_ref(), false);
        let short = |(start, len, made)| ShortSpan::new(start, len, made);
        let long = |(start, len, made)| LongSpan::new(start, len, made);
        let time = time.and_then(short);
        let id = id.and_then(short);
        let data = data.and_then(long);
        let meta = meta.and_then(long);
        for (what, text, kept) in [
            ("time", &envelope.time, time.is_some()),
            ("id", &envelope.id, id.is_some()),
        ] {
            if let Some(text) = text.as_ref().filter(|_| !kept) {
                problems.push(Problem {
                    line: record.line,
                    severity: Severity::Warning,
                    code: Code::MissingField,
                    message: format!(
                        "the {what} is {} bytes long; eventlens keeps a {what} of up to 64 KiB",
                        text.len()
                    ),
                    event: Some(index),
                });
            }
        }
        self.events.push(Pending {
            event: Event {
                record: record.start as u64,
                seq: envelope.seq.unwrap_or(0),
                instant: instant.filter(|&t| t != NO_INSTANT).unwrap_or(NO_INSTANT),
                stream,
                type_id,
                data: data.unwrap_or(LongSpan::NONE),
                meta: meta.unwrap_or(LongSpan::NONE),
                time: time.unwrap_or(ShortSpan::NONE),
                id: id.unwrap_or(ShortSpan::NONE),
            },
            line: record.line,
            seq_given: envelope.seq.is_some(),
            position: envelope.position,
            made: (self.made.len() > made_start).then_some(made_start),
        });
    }
}

impl Events {
    /// Where `text` lives, as `(start, len, made)`: in the record when it was borrowed from
    /// it, else appended to `made` (relative to `made_start`, where this event's made text
    /// begins). `None` when there is no text. A `short` text (time, id) far into a big record
    /// is copied too, so that its span stays short.
    fn place(
        &mut self,
        bytes: &[u8],
        record: &RecordSpan,
        made_start: usize,
        text: Option<&Cow<'_, str>>,
        short: bool,
    ) -> Option<(usize, usize, bool)> {
        let text = text?;
        let len = text.len();
        let base = bytes.as_ptr() as usize + record.start;
        let at = text.as_ptr() as usize;
        let in_record = at >= base && at + len <= base + (record.end - record.start);
        let near = at.saturating_sub(base) < usize::from(<u16 as SpanWord>::MADE);
        if matches!(text, Cow::Borrowed(_)) && in_record && (near || !short) {
            return Some((at - base, len, false));
        }
        let start = self.made.len() - made_start;
        self.made.push_str(text);
        Some((start, len, true))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// What a chunk found, in words that compare.
    fn found(indexed: &Indexed<Events>) -> Vec<String> {
        let mut said = vec![
            format!("streams {:?} types {:?}", indexed.streams, indexed.types),
            format!(
                "newlines {} tail {:?} made {:?}",
                indexed.newlines, indexed.truncated_tail, indexed.out.made
            ),
        ];
        for p in &indexed.out.events {
            said.push(format!(
                "event {:?} line {} seq_given {} position {:?} made {:?}",
                p.event, p.line, p.seq_given, p.position, p.made
            ));
        }
        for p in &indexed.problems {
            said.push(format!(
                "problem line {} {:?} {} {} {:?}",
                p.line, p.severity, p.code, p.message, p.event
            ));
        }
        said
    }

    /// `text` read both ways: lines found as records are scanned, and lines cut first.
    fn both_ways(text: &str) -> (Vec<String>, Vec<String>) {
        let fields = FieldPointers::default();
        let bytes = text.as_bytes();
        let mut scanning = Chunk::<Events>::new(bytes, Format::Jsonl, &fields);
        scanning.index_lines(0..bytes.len());
        let mut cut = Chunk::<Events>::new(bytes, Format::Jsonl, &fields);
        cut.check_utf8(0..bytes.len());
        cut.index_lines_cut(0..bytes.len());
        (found(&scanning.finish()), found(&cut.finish()))
    }

    /// Pieces of JSON Lines: records good and bad, blanks, line ends, objects split across
    /// lines, what follows a record on its line.
    const PIECES: &[&str] = &[
        r#"{"stream":"order-1","seq":1,"type":"Placed","time":"2024-03-01T10:00:00Z","id":"a","data":{"n":1},"meta":{}}"#,
        r#"{ "stream" : "order-2" , "seq" : 2 , "type" : "Paid" , "data" : { "x" : [ 1 , 2 ] } }"#,
        r#"{"stream":"o\u00e9","seq":3,"type":"T","data":"\n"}"#,
        r#"{"stream":"order-1","seq":2,"type":"Paid","data":{"deep":[[[{"a":null}]]]}}"#,
        r#"{"stream":"order-3","seq":1,"type":"T","data":{"a":"#,
        "1}}",
        r#"{"seq":1}"#,
        r#"{"stream":"s","seq":1,"type":"T"} trailing"#,
        r#"{"stream":"s","seq":1,"type":"T"}{}"#,
        "not json",
        "{}",
        "[1,2]",
        "\n",
        "\r\n",
        " ",
        "\t",
        "\r",
        "\u{c}",
        "é",
    ];

    proptest! {
        /// Reading lines as records are scanned finds what cutting them first finds: the same
        /// events, lines, skipped records and messages, line ends and cut-off tail.
        #[test]
        fn fused_lines_read_as_lines_in_cuts_them(
            picks in proptest::collection::vec(0..PIECES.len(), 0..24),
        ) {
            let text: String = picks.iter().map(|&i| PIECES[i]).collect();
            let (scanning, cut) = both_ways(&text);
            prop_assert_eq!(scanning, cut, "{:?}", text);
        }
    }

    #[test]
    fn a_record_does_not_run_on_to_the_next_line() {
        let text = "{\"stream\":\"s\",\"seq\":1,\"type\":\"T\",\n\"data\":1}\n";
        let (scanning, cut) = both_ways(text);
        assert_eq!(scanning, cut);
        assert!(
            scanning.iter().filter(|s| s.starts_with("problem")).count() == 2,
            "{scanning:?}"
        );
    }
}
