//! `streams` without the index. Listing a file's streams needs each stream's count, first and
//! last seq and time, and types, not its events: chunks are read exactly as for the index
//! (the same scanner, envelope readers and skipped records), but each chunk only tallies its
//! streams, and the merge adds up a few numbers per stream instead of placing every event.
//! On a 570 MB store of 2 M events that takes a third less time and none of the events'
//! memory (docs/PERFORMANCE.md, "Listing streams without the index").

use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::chunk::{Indexed, Out, Read, intern, names};
use super::index::Indexing;
use super::{Blocks, Detection, ShortSpan};
use crate::finding::{Finding, Severity};

/// One stream as `streams` lists it; the field order is `streams --json`'s.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StreamSummary {
    pub stream: String,
    pub events: u64,
    pub first_seq: Option<i128>,
    pub last_seq: Option<i128>,
    pub first_time: Option<String>,
    pub last_time: Option<String>,
    /// Events by type, sorted by name: a JSON object. Names are shared by every stream
    /// (150 000 maps of copied names were a tenth of `streams`' memory).
    #[serde(serialize_with = "as_object")]
    pub types: Vec<(Arc<str>, u64)>,
}

fn as_object<S: serde::Serializer>(types: &[(Arc<str>, u64)], out: S) -> Result<S::Ok, S::Error> {
    out.collect_map(types.iter().map(|(name, count)| (&**name, count)))
}

/// `types` sorted by name, as [`StreamSummary`] holds them.
pub fn sorted_types(mut types: Vec<(Arc<str>, u64)>) -> Vec<(Arc<str>, u64)> {
    types.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    types
}

/// The streams of a store, sorted by id, and what could not be read.
#[derive(Debug)]
pub struct Summaries {
    /// The store's name, and how its records were read.
    pub name: String,
    pub detection: Detection,
    pub streams: Vec<StreamSummary>,
    /// Records skipped, and the first of them.
    pub skipped: usize,
    pub first_unreadable: Option<Finding>,
}

/// A time as the list shows it, copied out of its record while the record is in cache: read
/// back at the end, 300 000 times borrowed from a file of hundreds of megabytes cost a cache
/// miss each, 4 % of the run. Times of up to 30 bytes (RFC 3339 with milliseconds is 24) stay
/// inline.
#[derive(Clone)]
enum Time {
    Short { len: u8, bytes: [u8; 30] },
    Long(String),
}

impl Time {
    fn new(text: &str) -> Self {
        let mut bytes = [0; 30];
        match bytes.get_mut(..text.len()) {
            Some(inline) => {
                inline.copy_from_slice(text.as_bytes());
                Self::Short {
                    len: text.len() as u8,
                    bytes,
                }
            }
            None => Self::Long(text.to_owned()),
        }
    }

    fn into_string(self) -> String {
        match self {
            Self::Short { len, bytes } => {
                String::from_utf8_lossy(&bytes[..usize::from(len)]).into()
            }
            Self::Long(text) => text,
        }
    }
}

/// One stream's events in one chunk.
#[derive(Default)]
struct Tally {
    events: u64,
    /// The seq of the chunk's first event of the stream, if it names one.
    first_seq: Option<u64>,
    /// The last seq the chunk's events of the stream name, and how many events without one
    /// follow it (from the chunk's start when none names one): each of those gets the seq
    /// before it plus one.
    last_given: Option<u64>,
    after: u64,
    first_time: Option<Time>,
    last_time: Option<Time>,
    /// Events by the chunk's type id.
    types: Vec<(u32, u64)>,
}

/// A chunk's streams, by its stream ids.
#[derive(Default)]
pub(super) struct Tallies(Vec<Tally>);

impl Out<'_> for Tallies {
    const PAYLOADS: bool = false;

    fn add(&mut self, read: Read<'_, '_>, _warnings: &mut Vec<super::chunk::Problem>) {
        let Read {
            envelope,
            stream,
            type_id,
            ..
        } = read;
        // A chunk numbers its streams as they first appear.
        if stream as usize == self.0.len() {
            self.0.push(Tally::default());
        }
        let tally = &mut self.0[stream as usize];
        // The index keeps a time that fits a short span, and so does the list.
        let time = envelope
            .time
            .as_deref()
            .filter(|time| ShortSpan::new(0, time.len(), false).is_some())
            .map(Time::new);
        if tally.events == 0 {
            tally.first_seq = envelope.seq;
            tally.first_time.clone_from(&time);
        }
        tally.events += 1;
        match envelope.seq {
            Some(seq) => (tally.last_given, tally.after) = (Some(seq), 0),
            None => tally.after += 1,
        }
        tally.last_time = time;
        count_type(&mut tally.types, type_id, 1);
    }
}

/// Adds `count` events of the type `id` to `types` (a stream has a few types: a list is
/// quicker than a map).
fn count_type(types: &mut Vec<(u32, u64)>, id: u32, count: u64) {
    match types.iter_mut().find(|(known, _)| *known == id) {
        Some((_, total)) => *total += count,
        None => types.push((id, count)),
    }
}

/// A stream over every chunk merged so far.
#[derive(Clone, Default)]
struct Total {
    events: u64,
    first_seq: u64,
    last_seq: u64,
    first_time: Option<Time>,
    last_time: Option<Time>,
    types: Vec<(u32, u64)>,
}

/// The chunks' tallies merged in store order.
#[derive(Default)]
struct Totals {
    /// In blocks: 150 000 of them in one vector were copied each time it grew, and the
    /// pages of each new copy zeroed.
    streams: Blocks<Total>,
    /// Stream and type names by id: each name is kept once, here, and the maps become the
    /// lists of names at the end.
    stream_ids: FxHashMap<String, u32>,
    type_ids: FxHashMap<String, u32>,
    lines_before: u64,
    skipped: usize,
    first_unreadable: Option<Finding>,
}

impl Totals {
    fn merge(&mut self, chunk: Indexed<Tallies>) {
        let types: Vec<u32> = chunk
            .types
            .into_iter()
            .map(|name| intern(&mut self.type_ids, &name))
            .collect();
        for (name, tally) in chunk.streams.into_iter().zip(chunk.out.0) {
            let id = self.stream_id(name);
            let Some(total) = self.streams.get_mut(id as usize) else {
                continue;
            };
            // As the index numbers events without a seq: the seq before plus one, from 0.
            let before = total.last_seq;
            if total.events == 0 {
                total.first_seq = tally.first_seq.unwrap_or(before.saturating_add(1));
                total.first_time = tally.first_time;
            }
            total.last_seq = tally
                .last_given
                .unwrap_or(before)
                .saturating_add(tally.after);
            total.last_time = tally.last_time;
            total.events += tally.events;
            for (local, count) in tally.types {
                count_type(&mut total.types, types[local as usize], count);
            }
        }
        for problem in chunk.problems {
            if problem.severity != Severity::Error {
                continue;
            }
            self.skipped += 1;
            if self.first_unreadable.is_none() {
                let line = Some(problem.line + self.lines_before);
                self.first_unreadable = Some(Finding::at(
                    problem.severity,
                    problem.code,
                    line,
                    None,
                    problem.message,
                ));
            }
        }
        self.lines_before += chunk.newlines;
    }

    fn stream_id(&mut self, name: String) -> u32 {
        if let Some(&id) = self.stream_ids.get(&name) {
            return id;
        }
        let id = self.streams.len() as u32;
        self.stream_ids.insert(name, id);
        self.streams.push(Total::default());
        id
    }

    fn finish(self) -> Vec<StreamSummary> {
        let types: Vec<Arc<str>> = names(self.type_ids).into_iter().map(Arc::from).collect();
        let totals: Vec<Total> = self.streams.into_blocks().flatten().collect();
        let mut streams: Vec<StreamSummary> = names(self.stream_ids)
            .into_par_iter()
            .zip(totals)
            .map(|(stream, total)| StreamSummary {
                stream,
                events: total.events,
                first_seq: Some(i128::from(total.first_seq)),
                last_seq: Some(i128::from(total.last_seq)),
                first_time: total.first_time.map(Time::into_string),
                last_time: total.last_time.map(Time::into_string),
                types: sorted_types(
                    total
                        .types
                        .into_iter()
                        .map(|(id, count)| (types[id as usize].clone(), count))
                        .collect(),
                ),
            })
            .collect();
        streams.par_sort_unstable_by(|a, b| a.stream.cmp(&b.stream));
        streams
    }
}

impl super::Store {
    /// The streams of the store as `streams` lists them, sorted by id: what [`Indexing::summarize`]
    /// counts without an index, for a store that was read.
    pub fn summaries(&self) -> Vec<StreamSummary> {
        let mut streams: Vec<&super::Stream> = self.streams().iter().collect();
        streams.par_sort_unstable_by(|a, b| a.id.cmp(&b.id));
        let names: Vec<Arc<str>> = self.types.iter().map(|name| name.as_str().into()).collect();
        streams
            .par_iter()
            .map(|s| self.summary(s, &names))
            .collect()
    }

    fn summary(&self, stream: &super::Stream, names: &[Arc<str>]) -> StreamSummary {
        let first = stream.events.first().map(|&i| self.event(i));
        let last = stream.events.last().map(|&i| self.event(i));
        // Counted by type id, named once per type: a stream of a million events costs a
        // million look-ups of a number, not a million string comparisons.
        let mut by_id: FxHashMap<u32, u64> = FxHashMap::default();
        for &index in stream.events.iter() {
            *by_id
                .entry(self.events()[index as usize].type_id)
                .or_insert(0) += 1;
        }
        StreamSummary {
            stream: stream.id.to_string(),
            events: stream.events.len() as u64,
            first_seq: first.map(|e| i128::from(e.event.seq)),
            last_seq: last.map(|e| i128::from(e.event.seq)),
            first_time: first.and_then(|e| e.time()).map(str::to_owned),
            last_time: last.and_then(|e| e.time()).map(str::to_owned),
            types: sorted_types(
                by_id
                    .into_iter()
                    .map(|(id, count)| (names[id as usize].clone(), count))
                    .collect(),
            ),
        }
    }
}

impl Indexing {
    /// The streams of the segment, as `streams` lists them, without indexing its events. An
    /// error, as for the index, when not one record could be read.
    pub fn summarize(mut self) -> Result<Summaries, super::StoreError> {
        let mut totals = Totals::default();
        let index = self.read_all(|chunk| totals.merge(chunk));
        let (name, detection) = (
            index.store().name().to_owned(),
            index.store().detection().clone(),
        );
        if totals.streams.is_empty()
            && let Some(first) = &totals.first_unreadable
        {
            return Err(super::index::nothing_readable(&name, first));
        }
        let (skipped, first_unreadable) = (totals.skipped, totals.first_unreadable.take());
        Ok(Summaries {
            name,
            detection,
            streams: totals.finish(),
            skipped,
            first_unreadable,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::{Bytes, FieldPointers, Format, Index, Store, detect_text};

    fn indexing(text: &str, format: Option<Format>, chunk_bytes: usize) -> Indexing {
        let bytes = Arc::new(Bytes::Owned(text.as_bytes().to_vec()));
        let (container, detection) = detect_text("t", &bytes, format).unwrap();
        let index = Index::new("t", detection, FieldPointers::default());
        let range = 0..bytes.len();
        Indexing::new(index, bytes, range, &container, true).with_chunk_bytes(chunk_bytes)
    }

    /// Tallied in chunks of every size, the streams are those of the store indexed whole.
    fn same_as_the_index(text: &str, format: Option<Format>) -> Summaries {
        let store: Store = indexing(text, format, usize::MAX / 2)
            .finish()
            .finish()
            .unwrap();
        let mut whole = None;
        for chunk_bytes in [1, 7, 50, 333, usize::MAX / 2] {
            let counted = indexing(text, format, chunk_bytes).summarize().unwrap();
            assert_eq!(
                counted.streams,
                store.summaries(),
                "chunks of {chunk_bytes}"
            );
            assert_eq!(counted.skipped, store.skipped());
            assert_eq!(
                counted.first_unreadable.as_ref().map(Finding::place),
                store.first_unreadable().map(Finding::place)
            );
            whole = Some(counted);
        }
        whole.unwrap()
    }

    #[test]
    fn counts_what_the_index_holds() {
        let lines = [
            r#"{"stream":"a","type":"X","time":"2024-01-01T00:00:00Z","data":{"n":1}}"#,
            "",
            r#"{"stream":"b","seq":7,"type":"Y","time":"2024-01-01T00:00:0\u0031Z","data":{}}"#,
            "{oops",
            r#"{"stream":"a","type":"X","time":"yesterday","data":{"n":2}}"#,
            r#"{"stream":"b","type":"Z","data":null}"#,
            r#"{"stream":"a","seq":18446744073709551615,"type":"X","data":{}}"#,
            r#"{"stream":"a","type":"W"}"#,
            r#"{"stream":"b","seq":"x","type":"Y"}"#,
            r#"{"type":"V","time":"2024-01-02T00:00:00Z"}"#,
            r#"{"stream":"c","seq":3,"type":"W","data":{"#,
            r#"{"stream":"d","type":"X","time":"2024-01-01T00:00:00.123456789012+01:00"}"#,
        ];
        let counted = same_as_the_index(&lines.join("\n"), None);
        assert_eq!(counted.streams[0].stream, crate::store::NO_STREAM);
        let a = &counted.streams[1];
        assert_eq!(
            (a.events, a.first_seq, a.last_seq),
            (4, Some(1), Some(u64::MAX.into()))
        );
        assert_eq!(a.last_time, None);
        assert_eq!(a.types, [("W".into(), 1), ("X".into(), 3)]);
        let b = &counted.streams[2];
        assert_eq!((b.first_seq, b.last_seq), (Some(7), Some(8)));
        assert_eq!(b.first_time.as_deref(), Some("2024-01-01T00:00:01Z"));
        assert_eq!(counted.skipped, 3);
        let long = counted.streams[3].last_time.as_deref();
        assert_eq!(long, Some("2024-01-01T00:00:00.123456789012+01:00"));
        let array = format!("[\n{}\n]\n", lines[..3].join(",\n").replace(",\n,", ","));
        same_as_the_index(&array, None);
    }

    #[test]
    fn counts_kafka_lines_and_streams_without_seqs() {
        let counted = same_as_the_index(&crate::store::index::kcat_lines(), None);
        assert_eq!(counted.streams[1].last_seq, Some(13));
        assert_eq!(
            counted.streams[1].last_time.as_deref(),
            Some("2023-11-14T22:13:20.119Z")
        );
    }

    #[test]
    fn counts_formats_named_by_fields_without_their_payloads() {
        let rows = [
            r#"{"stream_name":"a-1","position":0,"type":"X","time":"2024-01-01T00:00:00","data":"{\"n\":1}","id":"u1"}"#,
            r#"{"stream_name":"a-1","position":1,"type":"Y","time":"2024-01-01T00:00:01","data":"not json","id":7}"#,
            r#"{"stream_name":"b-1","position":"z","type":"X"}"#,
            r#"{"stream_name":"b-1","type":"X","id":[1],"metadata":"{}"}"#,
        ];
        let counted = same_as_the_index(&rows.join("\n"), Some(Format::MessageDb));
        assert_eq!(counted.streams[0].last_seq, Some(1));
        assert_eq!(counted.skipped, 1);
        let entries = [
            r#"{"streamId":"s","eventNumber":4,"eventType":"X","created":"2024-01-01T00:00:00Z","data":{"a":1},"isJson":true}"#,
            r#"{"streamId":"s","eventType":"Y","data":"x","isJson":false}"#,
        ];
        same_as_the_index(&entries.join("\n"), Some(Format::Kurrent));
    }

    #[test]
    fn nothing_readable_is_the_index_s_error() {
        let error = indexing("{oops\n[1]\n", None, 4).summarize().unwrap_err();
        assert_eq!(
            error.to_string(),
            indexing("{oops\n[1]\n", None, 4)
                .finish()
                .finish()
                .unwrap_err()
                .to_string()
        );
    }
}
