//! Building the index: a segment of text is cut into chunks of about a megabyte at record
//! boundaries, chunks are indexed in parallel (rayon) a batch at a time, and each batch is
//! merged in order into the [`Index`], the store under construction. Between batches a caller
//! sees progress, can cancel, and can take a snapshot of what is indexed so far (the window
//! shows it at once). A store grows by more segments indexed the same way.
//!
//! A chunk knows nothing of the others: its streams and types get local ids, its lines count
//! from its own start, a seq left out is filled in later. The merge, a cheap sequential pass,
//! makes all of that global.

use rustc_hash::FxHashMap;
use std::ops::Range;
use std::sync::Arc;

use rayon::prelude::*;

use super::bytes::Bytes;
use super::chunk::{Chunk, Events, Indexed, Out};
use super::container::{self, Container, RecordSpan};
use super::envelope::FieldPointers;
use super::format::Format;
use super::record::RawObject;
use super::{
    Detection, MadeAt, Phase, Progress, Segment, Store, StoreError, Stream, first_unreadable, scan,
};
use crate::finding::{Code, Finding, Severity};

/// How many records format detection looks at.
const DETECTION_SAMPLE: usize = 32;
/// The size chunks are cut at (then moved to the next record boundary).
const CHUNK_BYTES: usize = 1 << 20;
/// Chunks indexed between two merges: enough to keep every core busy, few enough that the
/// unmerged chunks stay small and progress comes often (about 40 ms of work on 2 cores).
const BATCH_CHUNKS: usize = 16;

/// Chooses how the text `bytes` (the start of a store named `name`) holds its records and in
/// which format: the one given, else the one most of the first records look like.
pub fn detect_text(
    name: &str,
    bytes: &[u8],
    given: Option<Format>,
) -> Result<(Container, Detection), StoreError> {
    let body = container::body_start(bytes);
    if bytes[body..].iter().all(u8::is_ascii_whitespace) {
        return Err(StoreError::Empty {
            path: name.to_owned(),
        });
    }
    let container = container::detect(bytes);
    let sample = if container == Container::Lines {
        let end = memchr::memchr_iter(b'\n', &bytes[body..])
            .nth(4 * DETECTION_SAMPLE)
            .map_or(bytes.len(), |i| body + i);
        container::lines_in(bytes, body..end).records
    } else {
        let mut records = container::split(bytes, &container).records;
        records.truncate(4 * DETECTION_SAMPLE);
        records
    };
    let detection = detect(bytes, &sample, container.clone(), given);
    Ok((container, detection))
}

/// The store under construction: the store so far, and what merging more events needs to
/// know (each stream's last seq, the type ids, lines so far). A source appends segments of
/// text to it through [`Indexing`]; [`Index::store`] is the store as it stands.
pub struct Index {
    store: Store,
    fields: FieldPointers,
    last_seq: Vec<u64>,
    type_ids: FxHashMap<String, u32>,
    /// Whether positions are kept: some event's position is not its store order.
    has_positions: bool,
    /// Newlines before the next chunk (lines containers).
    lines_before: u64,
    /// Where the next segment starts in the store's text.
    text_len: u64,
    /// Whether records are a database's rows, which have positions and no lines.
    rows: bool,
    truncated_tail: Option<u64>,
}

impl Index {
    /// An empty store named `name`, its records read as `detection` says.
    pub fn new(name: impl Into<String>, detection: Detection, fields: FieldPointers) -> Self {
        Self {
            store: Store::empty(name.into(), detection),
            fields,
            last_seq: Vec::new(),
            type_ids: FxHashMap::default(),
            has_positions: false,
            lines_before: 0,
            text_len: 0,
            rows: false,
            truncated_tail: None,
        }
    }

    /// The same, for records made from a database's rows: events get no line, and findings
    /// say the row's position instead.
    #[must_use]
    pub fn of_rows(mut self) -> Self {
        self.rows = true;
        self
    }

    /// Says anew what the rows are (a topic that gained partitions while followed).
    pub fn describe_rows(&mut self, description: String) {
        self.store.detection.container = Container::Rows(description);
    }

    /// The store as it stands.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Indexes `bytes[range]`, whole records held as `container` says, as the store's next
    /// segment (see [`Indexing`]; this runs it to its end).
    pub fn append(
        &mut self,
        bytes: Arc<Bytes>,
        range: Range<usize>,
        container: &Container,
        at_end: bool,
    ) {
        let placeholder = Index::new(
            String::new(),
            self.store.detection.clone(),
            FieldPointers::default(),
        );
        let index = std::mem::replace(self, placeholder);
        *self = Indexing::new(index, bytes, range, container, at_end).finish();
    }

    /// The line the next record would start on (1-based), for what a source says about
    /// where its text broke off.
    pub fn next_line(&self) -> u64 {
        self.lines_before + 1
    }

    /// Reports a problem the source met outside any record (a broken archive, a row whose
    /// state is no JSON).
    pub fn add_problem(&mut self, finding: Finding) {
        Arc::make_mut(&mut self.store.problems).push(finding);
    }

    /// The finished store: a cut-off tail is reported, and a store in which not one record
    /// could be read is an error.
    pub fn finish(self) -> Result<Store, StoreError> {
        let mut store = closed(self.store, self.truncated_tail)?;
        store.events.shrink_to_fit();
        store.lines.shrink_to_fit();
        for stream in &mut store.streams {
            Arc::make_mut(&mut stream.events).shrink_to_fit();
        }
        Ok(store)
    }

    /// The store as [`Index::finish`] would return it, leaving the index to grow on (a source
    /// read to its end, then followed).
    pub fn finished(&self) -> Result<Store, StoreError> {
        closed(self.store.clone(), self.truncated_tail)
    }
}

/// `store` as a reader leaves it: a cut-off tail (at line `tail`) reported, and an error if
/// not one record could be read.
fn closed(mut store: Store, tail: Option<u64>) -> Result<Store, StoreError> {
    if let Some(line) = tail {
        let message = match store.detection.container {
            Container::Lines => {
                "the last record has no line end; the file may have been cut off while it was written"
            }
            _ => {
                "the array has no closing bracket; the file may have been cut off while it was written"
            }
        };
        let tail = Finding::at_line(Severity::Warning, Code::TruncatedTail, line, message);
        Arc::make_mut(&mut store.problems).push(tail);
    }
    if store.events.is_empty()
        && let Some(first) = first_unreadable(&store.problems)
    {
        return Err(nothing_readable(&store.name, first));
    }
    Ok(store)
}

/// The error of a store `name` in which not one record could be read, the first as `first`.
pub(super) fn nothing_readable(name: &str, first: &Finding) -> StoreError {
    let place = match first.line {
        Some(line) => format!("{name}:{line}"),
        None => name.to_owned(),
    };
    StoreError::NothingReadable {
        place,
        message: first.message.clone(),
    }
}

/// A segment of text being indexed into an [`Index`]: the whole of a store file (which the
/// window steps through itself, so that it can show the first events while the rest are
/// indexed), or what a growing source appended.
pub struct Indexing {
    index: Index,
    bytes: Arc<Bytes>,
    /// The segment's part of `bytes`, and where it starts in the store's text.
    range: Range<usize>,
    start: u64,
    /// Where the next chunk starts: a byte offset (lines) or a record number (arrays).
    next: usize,
    /// The size chunks are cut at ([`CHUNK_BYTES`]; tests cut smaller).
    chunk_bytes: usize,
    /// The records of an array container, split up front; `None` for lines.
    records: Option<Vec<RecordSpan>>,
    /// Where the text stops in the middle of a record, for arrays (lines find it as they go).
    array_tail: Option<u64>,
    /// Chunks indexed in the last step, with where they end; merged in the next.
    unmerged: Vec<(usize, Indexed<Events>)>,
    /// Whether the segment is the end of the store, so that a record without a line end is a
    /// cut-off tail (a growing source appends only whole lines).
    at_end: bool,
    /// Bytes covered by merged chunks.
    bytes_done: usize,
}

/// The chunks of a segment, read on every core.
struct Chunks<'s> {
    bytes: &'s [u8],
    /// The records of an array container, split up front; `None` for lines.
    records: Option<&'s [RecordSpan]>,
    segment_end: usize,
    format: Format,
    fields: &'s FieldPointers,
}

impl<'s> Chunks<'s> {
    /// Reads the chunks `work` (byte ranges of lines, or ranges of `records`) in parallel,
    /// each with where it ends in the text.
    fn read<O: Out<'s>>(&self, work: &[Range<usize>]) -> Vec<(usize, Indexed<O>)> {
        work.par_iter()
            .map(|chunk_range| {
                let mut chunk = Chunk::new(self.bytes, self.format, self.fields);
                match self.records {
                    Some(records) => chunk.index_records(&records[chunk_range.clone()]),
                    None => chunk.index_lines(chunk_range.clone()),
                }
                // Where the chunk ends, for progress.
                let end = match self.records {
                    Some(records) => records
                        .get(chunk_range.end)
                        .map_or(self.segment_end, |r| r.start),
                    None => chunk_range.end,
                };
                (end, chunk.finish())
            })
            .collect()
    }
}

impl Indexing {
    /// Starts indexing `bytes[range]`, whose records are held as `container` says, into
    /// `index`. Nothing is indexed yet. An array container is only ever a whole store.
    pub fn new(
        mut index: Index,
        bytes: Arc<Bytes>,
        range: Range<usize>,
        container: &Container,
        at_end: bool,
    ) -> Self {
        let start = index.text_len;
        index.text_len += range.len() as u64;
        Arc::make_mut(&mut index.store.segments).push(Segment {
            start,
            bytes: bytes.clone(),
            range: range.clone(),
        });
        let (records, array_tail, next) = if *container == Container::Lines {
            let skip = if start == 0 {
                container::body_start(&bytes[range.clone()])
            } else {
                0
            };
            (None, None, range.start + skip)
        } else {
            let split = container::split(&bytes[range.clone()], container);
            let records = split
                .records
                .into_iter()
                .map(|r| RecordSpan {
                    start: r.start + range.start,
                    end: r.end + range.start,
                    line: r.line,
                })
                .collect();
            (Some(records), split.truncated_tail, 0)
        };
        Self {
            index,
            bytes,
            range,
            start,
            next,
            chunk_bytes: CHUNK_BYTES,
            records,
            array_tail,
            unmerged: Vec::new(),
            at_end,
            bytes_done: 0,
        }
    }

    /// Indexes the next batch of chunks while merging the batch before it (so that both cores
    /// keep working). `false` when everything was already indexed and merged.
    pub fn step(&mut self) -> bool {
        let work = self.plan_batch();
        if work.is_empty() && self.unmerged.is_empty() {
            return false;
        }
        let unmerged = std::mem::take(&mut self.unmerged);
        let placed = (self.start, self.range.start);
        let (format, fields) = (self.index.store.detection.format, self.index.fields.clone());
        let chunks = Chunks {
            bytes: &self.bytes,
            records: self.records.as_deref(),
            segment_end: self.range.end,
            format,
            fields: &fields,
        };
        let (index, bytes_done) = (&mut self.index, &mut self.bytes_done);
        let (indexed, ()) = rayon::join(
            || chunks.read(&work),
            || {
                for (end, chunk) in unmerged {
                    index.merge(chunk, placed);
                    *bytes_done = end;
                }
            },
        );
        self.unmerged = indexed;
        true
    }

    /// Reads the whole segment into an `O` per chunk, in parallel batches, each handed to
    /// `merge` in order while the next batch is read: what `streams` does instead of indexing.
    pub(super) fn read_all<'s, O: Out<'s>>(
        &'s mut self,
        mut merge: impl FnMut(Indexed<O>) + Send,
    ) -> &'s Index {
        let mut batches = Vec::new();
        loop {
            let work = self.plan_batch();
            if work.is_empty() {
                break;
            }
            batches.push(work);
        }
        let chunks = Chunks {
            bytes: &self.bytes,
            records: self.records.as_deref(),
            segment_end: self.range.end,
            format: self.index.store.detection.format,
            fields: &self.index.fields,
        };
        let mut unmerged = Vec::new();
        for work in batches.iter().map(Some).chain([None]) {
            let (read, ()) = rayon::join(
                || work.map(|work| chunks.read(work)).unwrap_or_default(),
                || unmerged.drain(..).for_each(|(_, chunk)| merge(chunk)),
            );
            unmerged = read;
        }
        &self.index
    }

    /// The same, cutting chunks at `chunk_bytes` (tests cut them small).
    #[cfg(test)]
    pub(super) fn with_chunk_bytes(mut self, chunk_bytes: usize) -> Self {
        self.chunk_bytes = chunk_bytes;
        self
    }

    /// The chunks of the next batch: byte ranges (lines) or record ranges (arrays).
    fn plan_batch(&mut self) -> Vec<Range<usize>> {
        let bytes: &[u8] = &self.bytes[..self.range.end];
        let mut work = Vec::with_capacity(BATCH_CHUNKS);
        match &self.records {
            None => {
                while work.len() < BATCH_CHUNKS && self.next < bytes.len() {
                    let start = self.next;
                    let cut = (start + self.chunk_bytes).min(bytes.len());
                    let end =
                        memchr::memchr(b'\n', &bytes[cut..]).map_or(bytes.len(), |i| cut + i + 1);
                    work.push(start..end);
                    self.next = end;
                }
            }
            Some(records) => {
                while work.len() < BATCH_CHUNKS && self.next < records.len() {
                    let start = self.next;
                    let first = records[start].start;
                    let mut end = start + 1;
                    while end < records.len() && records[end].start - first < self.chunk_bytes {
                        end += 1;
                    }
                    work.push(start..end);
                    self.next = end;
                }
            }
        }
        work
    }

    /// How far indexing the segment has got.
    pub fn progress(&self) -> Progress {
        Progress {
            phase: Phase::Indexing,
            bytes_done: self.bytes_done.saturating_sub(self.range.start) as u64,
            bytes_total: self.range.len() as u64,
            events: self.index.store.events.len() as u64,
        }
    }

    /// Whether every chunk has been indexed and merged.
    pub fn is_done(&self) -> bool {
        let planned = match &self.records {
            Some(records) => self.next >= records.len(),
            None => self.next >= self.range.end,
        };
        planned && self.unmerged.is_empty()
    }

    /// The store as indexed so far.
    pub fn store(&self) -> &Store {
        &self.index.store
    }

    /// Indexes whatever is left of the segment and returns the index, ready for more.
    pub fn finish(mut self) -> Index {
        while self.step() {}
        let mut index = self.index;
        if self.at_end {
            index.truncated_tail = self.array_tail.or(index.truncated_tail);
        } else {
            index.truncated_tail = None;
        }
        index
    }
}

/// Chooses the format: the one given, else the one most of the first records look like.
pub fn detect(
    bytes: &[u8],
    records: &[RecordSpan],
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
        .filter_map(|r| {
            let text = &bytes[r.start..r.end];
            scan::object(text)
                .map(|(_, object)| object)
                .or_else(|| serde_json::from_slice::<RawObject>(text).ok())
        })
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

impl Index {
    /// Appends a chunk's events, in order, making its ids, lines and seqs global. `placed`:
    /// where the chunk's segment starts in the store's text, and in its bytes.
    fn merge(&mut self, chunk: Indexed<Events>, placed: (u64, usize)) {
        let streams: Vec<u32> = chunk
            .streams
            .into_iter()
            .map(|name| self.stream_index(name))
            .collect();
        let types: Vec<u32> = chunk
            .types
            .into_iter()
            .map(|name| self.type_index(name))
            .collect();
        let (segment_start, range_start) = placed;
        let line_base = self.lines_before;
        let first = self.store.events.len();
        let piece = self.store.made.len() as u32;
        if !chunk.out.made.is_empty() {
            Arc::make_mut(&mut self.store.made).push(chunk.out.made.into());
        }
        for pending in chunk.out.events {
            let index = self.store.events.len() as u32;
            let mut event = pending.event;
            event.record = segment_start + (event.record - range_start as u64);
            event.stream = streams[event.stream as usize];
            event.type_id = types[event.type_id as usize];
            let line = if self.rows {
                0
            } else {
                pending.line + line_base
            };
            let last = &mut self.last_seq[event.stream as usize];
            if !pending.seq_given {
                event.seq = last.saturating_add(1);
            }
            *last = event.seq;
            self.place(index, pending.position);
            if let Some(start) = pending.made {
                self.store.made_at.push(MadeAt {
                    event: index,
                    piece,
                    start: start as u32,
                });
            }
            let stream = &mut self.store.streams[event.stream as usize];
            Arc::make_mut(&mut stream.events).push(index);
            self.store.events.push(event);
            self.store.lines.push(line);
        }
        let mut found = Vec::with_capacity(chunk.problems.len());
        for problem in chunk.problems {
            let line = (!self.rows).then_some(problem.line + line_base);
            let mut finding =
                Finding::at(problem.severity, problem.code, line, None, problem.message);
            if problem.severity == Severity::Error {
                self.store.skipped += 1;
            }
            if let Some(local) = problem.event {
                let index = (first + local) as u32;
                let event = &self.store.events[index as usize];
                finding = finding
                    .in_stream(
                        &self.store.streams[event.stream as usize].id,
                        Some(event.seq),
                    )
                    .on_event(index);
                finding.position = self.rows.then(|| self.store.position(index));
            }
            found.push(finding);
        }
        if !found.is_empty() {
            Arc::make_mut(&mut self.store.problems).extend(found);
        }
        if let Some(line) = chunk.truncated_tail {
            self.truncated_tail = Some(line + line_base);
        }
        self.lines_before += chunk.newlines;
    }

    /// Notes event `index`'s position: its store order unless the source names another.
    fn place(&mut self, index: u32, position: Option<u64>) {
        let position = position.unwrap_or(u64::from(index));
        if position != u64::from(index) && !self.has_positions {
            for earlier in 0..u64::from(index) {
                self.store.positions.push(earlier);
            }
            self.has_positions = true;
        }
        if self.has_positions {
            self.store.positions.push(position);
        }
    }

    fn stream_index(&mut self, id: String) -> u32 {
        if let Some(&index) = self.store.stream_ids.get(id.as_str()) {
            return index;
        }
        let index = self.store.streams.len() as u32;
        let id: Arc<str> = id.into();
        Arc::make_mut(&mut self.store.stream_ids).insert(id.clone(), index);
        self.store.streams.push(Stream {
            id,
            events: Arc::default(),
        });
        self.last_seq.push(0);
        index
    }

    fn type_index(&mut self, name: String) -> u32 {
        if let Some(&index) = self.type_ids.get(&name) {
            return index;
        }
        let index = self.store.types.len() as u32;
        self.type_ids.insert(name.clone(), index);
        Arc::make_mut(&mut self.store.types).push(name);
        index
    }
}

/// Twenty kcat lines at offsets 100–119 of two keys (`k1` every third), for tests.
#[cfg(test)]
pub(super) fn kcat_lines() -> String {
    let line = |offset: u32, key: &str| {
        format!(
            r#"{{"topic":"t","partition":0,"offset":{offset},"ts":{},"key":"{key}","payload":"{{\"type\":\"A\",\"data\":{{\"x\":{offset}}}}}"}}"#,
            1_700_000_000_000u64 + u64::from(offset)
        )
    };
    let lines: Vec<String> = (0..20)
        .map(|i| line(100 + i, if i % 3 == 0 { "k1" } else { "k2" }))
        .collect();
    lines.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything a user can see of a store, to compare two indexings of one file.
    fn seen(store: &Store) -> Vec<String> {
        let events = (0..store.events().len() as u32).map(|i| {
            let e = store.event(i);
            format!(
                "{}:{} {}#{} {} t={:?}/{:?} id={:?} pos={} data={:?} meta={:?}",
                e.line().unwrap_or(0),
                i,
                e.stream(),
                e.event.seq,
                e.type_name(),
                e.time(),
                e.event.instant(),
                e.id(),
                e.position(),
                e.data_json(),
                e.meta_json()
            )
        });
        let problems = store.problems().iter().map(|p| format!("{p:?}"));
        events.chain(problems).collect()
    }

    fn open(text: &str, chunk_bytes: usize) -> Store {
        open_bytes(text.as_bytes(), chunk_bytes)
    }

    fn open_bytes(text: &[u8], chunk_bytes: usize) -> Store {
        let bytes = Arc::new(Bytes::Owned(text.to_vec()));
        let (container, detection) = detect_text("t", &bytes, None).unwrap();
        let index = Index::new("t", detection, FieldPointers::default());
        let range = 0..bytes.len();
        let mut indexing = Indexing::new(index, bytes, range, &container, true);
        indexing.chunk_bytes = chunk_bytes;
        indexing.finish().finish().unwrap()
    }

    fn same_for_every_chunk_size(text: &str) -> Store {
        let whole = open(text, usize::MAX / 2);
        for chunk_bytes in [1, 5, 40, 333] {
            assert_eq!(
                seen(&open(text, chunk_bytes)),
                seen(&whole),
                "chunks of {chunk_bytes}"
            );
        }
        whole
    }

    #[test]
    fn chunks_merge_into_the_same_index() {
        let lines = [
            r#"{"stream":"a","type":"X","time":"2024-01-01T00:00:00Z","id":"1","data":{"n":1}}"#,
            "",
            r#"{"stream":"b","seq":7,"type":"Y","data":{"s":"é\"}"}}"#,
            "{oops",
            r#"{"stream":"a","type":"X","time":"yesterday","data":{"n":2},"meta":{"m":[1]}}"#,
            "\r",
            r#"{"stream":"b","type":"Z","data":null}"#,
            r#"{"stream":"a","seq":9,"type":"X","data":{}}"#,
            r#"{"stream":"a","type":"X"}"#,
            r#"{"stream":"c","type":"W","data":{"#,
        ];
        let store = same_for_every_chunk_size(&lines.join("\n"));
        let seqs: Vec<u64> = store.events().iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 7, 2, 8, 9, 10]);
        assert_eq!(store.skipped(), 2);
        let array = format!(
            "[\n{}\n]\n",
            lines[..9]
                .iter()
                .filter(|l| !l.trim().is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(",\n")
        );
        same_for_every_chunk_size(&array);
    }

    #[test]
    fn a_record_that_is_not_utf8_is_skipped_alone() {
        // A chunk holding it fails the chunk-wide check; its other records are read one by one.
        let mut text = "{\"stream\":\"a\",\"type\":\"X\",\"data\":{\"s\":\"café\"}}"
            .as_bytes()
            .to_vec();
        text.extend_from_slice(b"\n{\"stream\":\"a\",\"type\":\"X\",\"data\":{\"s\":\"\xff\"}}\n");
        text.extend_from_slice(br#"{"stream":"b","type":"Y","data":{"n":1}}"#);
        text.push(b'\n');
        let whole = open_bytes(&text, usize::MAX / 2);
        for chunk_bytes in [1, 60, 120] {
            assert_eq!(seen(&open_bytes(&text, chunk_bytes)), seen(&whole));
        }
        assert_eq!(whole.events().len(), 2);
        assert_eq!(whole.skipped(), 1);
        assert_eq!(whole.problems()[0].line, Some(2));
        assert_eq!(whole.event(0).data_json(), Some(r#"{"s":"café"}"#));
    }

    #[test]
    fn made_text_and_positions_survive_the_merge() {
        let store = same_for_every_chunk_size(&kcat_lines());
        assert_eq!(store.position(4), 104);
        assert_eq!(store.event(4).data_json(), Some(r#"{"x":104}"#));
        assert_eq!(store.event(19).time(), Some("2023-11-14T22:13:20.119Z"));
    }
}
