//! `check`: every finding about a store — what the reader met (unreadable records, missing
//! fields, a cut-off tail) and what only shows across events (seq gaps, duplicates and
//! reversals, time going backwards, reused ids, payloads that cannot be parsed).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::Serialize;

use crate::finding::{Code, Finding, Severity};
use crate::replay::{Reducer, Replay};
use crate::store::{EventRef, Store, Stream};

/// The result of checking a store. Serializes as `check --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub events: usize,
    pub streams: usize,
    /// Sorted by line; for a pair of records in conflict, the later one is reported.
    pub findings: Vec<Finding>,
}

impl Report {
    /// What is known before checking: the problems met while reading.
    pub fn unchecked(store: &Store) -> Self {
        Self {
            events: store.events().len(),
            streams: store.streams().len(),
            findings: store.problems().to_vec(),
        }
    }

    /// How many findings have `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// The same report with only the findings at `indices` (into [`Report::findings`]).
    #[must_use]
    pub fn only(&self, indices: &[usize]) -> Self {
        Self {
            findings: indices
                .iter()
                .filter_map(|&i| self.findings.get(i).cloned())
                .collect(),
            ..*self
        }
    }

    /// Writes the findings as `check --csv` prints them: a header row, then one row each.
    pub fn write_csv(&self, out: impl std::io::Write) -> csv::Result<()> {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(["severity", "code", "stream", "seq", "line", "message"])?;
        for f in &self.findings {
            let seq = f.seq.map(|s| s.to_string()).unwrap_or_default();
            writer.write_record([
                f.severity.as_str(),
                f.code.as_str(),
                f.stream.as_deref().unwrap_or(""),
                &seq,
                &f.line.map(|l| l.to_string()).unwrap_or_default(),
                &f.message,
            ])?;
        }
        writer.flush()?;
        Ok(())
    }
}

/// Checks every event of `store`.
pub fn check(store: &Store) -> Report {
    let mut findings = store.problems().to_vec();
    for stream in store.streams() {
        check_stream(store, stream, &mut StreamCheck::default(), &mut findings);
    }
    let ids = id_keys(store);
    check_ids(store, &ids, &mut findings);
    if has_causes(store, 0..store.events().len() as u32) {
        let first_with = |id: &str| first_in_keys(store, &ids, id);
        check_causes(
            store,
            0..store.events().len() as u32,
            first_with,
            &mut findings,
        );
    }
    check_payloads(store, 0..store.events().len() as u32, &mut findings);
    findings.extend(check_times(store));
    sort(&mut findings);
    Report {
        events: store.events().len(),
        streams: store.streams().len(),
        findings,
    }
}

/// Folds every stream `reducer` reads and reports each event it fails on as a
/// `projection_error`, into `report` (kept sorted by line).
pub fn check_projection(store: &Store, reducer: &dyn Reducer, report: &mut Report) {
    check_projection_while(store, reducer, report, || true);
}

/// [`check_projection`] that stops between streams once `go_on` says no (the fold it was asked
/// for is no longer wanted); returns whether every stream was folded.
pub fn check_projection_while(
    store: &Store,
    reducer: &dyn Reducer,
    report: &mut Report,
    go_on: impl Fn() -> bool + Sync,
) -> bool {
    let all = 0..store.streams().len() as u32;
    let found = projection_errors(store, reducer, all, go_on);
    let done = found.is_some();
    report.findings.extend(found.unwrap_or_default());
    sort(&mut report.findings);
    done
}

/// The events of `streams` (indices into the store's streams) that `reducer` fails on, each
/// stream folded from its start, in the order of `streams`; `None` when `go_on` said to stop
/// between two streams. Streams fold on every core, each with a reducer of its own where the
/// reducer forks (a projection's engine runs one call at a time), longest first so that the
/// cores finish together.
pub fn projection_errors(
    store: &Store,
    reducer: &dyn Reducer,
    streams: impl IntoIterator<Item = u32>,
    go_on: impl Fn() -> bool + Sync,
) -> Option<Vec<Finding>> {
    let mut selected: Vec<(usize, &Stream)> = streams
        .into_iter()
        .filter_map(|index| store.streams().get(index as usize))
        .filter(|stream| {
            reducer
                .source()
                .is_none_or(|source| source.selects(&stream.id))
        })
        .enumerate()
        .collect();
    selected.sort_by_key(|(_, stream)| std::cmp::Reverse(stream.events.len()));
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let forks: Vec<Option<Box<dyn Reducer>>> = (1..cores.min(selected.len()))
        .map(|_| reducer.fork())
        .collect();
    let next = AtomicUsize::new(0);
    let stopped = AtomicBool::new(false);
    let fold = |reducer: &dyn Reducer| {
        let mut found = Vec::new();
        while let Some(&(order, stream)) = selected.get(next.fetch_add(1, Ordering::Relaxed)) {
            if stopped.load(Ordering::Relaxed) || !go_on() {
                stopped.store(true, Ordering::Relaxed);
                break;
            }
            let mut replay = Replay::new(store, stream, reducer);
            replay.fold_all();
            for (&k, why) in replay.failures() {
                let event = replay.event(k);
                let finding = finding(&event, Severity::Error, Code::ProjectionError, why.clone());
                found.push((order, finding));
            }
        }
        found
    };
    let mut found = std::thread::scope(|scope| {
        let others: Vec<_> = forks
            .iter()
            .map(|fork| scope.spawn(|| fold(fork.as_deref().unwrap_or(reducer))))
            .collect();
        let mut found = fold(reducer);
        for other in others {
            found.extend(other.join().unwrap_or_default());
        }
        found
    });
    if stopped.into_inner() {
        return None;
    }
    // Each stream's findings are in its events' order already; the sort is stable.
    found.sort_by_key(|&(order, _)| order);
    Some(found.into_iter().map(|(_, finding)| finding).collect())
}

fn sort(findings: &mut [Finding]) {
    Finding::sort(findings);
}

fn finding(event: &EventRef<'_>, severity: Severity, code: Code, message: String) -> Finding {
    let line = event.line();
    let position = line.is_none().then(|| event.position());
    Finding::at(severity, code, line, position, message)
        .in_stream(event.stream(), Some(event.event.seq))
        .on_event(event.index)
}

/// How far one stream has been checked, and what its next events are checked against.
#[derive(Debug, Default)]
struct StreamCheck {
    /// The stream's events checked so far.
    checked: usize,
    previous: Option<u32>,
    /// The event with the latest time so far.
    latest_time: Option<u32>,
    /// Built once seqs stop growing: seq → the event first seen with it. While seqs only grow
    /// (the usual case) the stream's own events answer by binary search and no map is built:
    /// a million-event stream costs no memory to check.
    seqs: Option<HashMap<u64, u32>>,
}

/// Seqs and times along one stream, each event against the ones before it, from where
/// `check` left off to the stream's end.
fn check_stream(
    store: &Store,
    stream: &Stream,
    check: &mut StreamCheck,
    findings: &mut Vec<Finding>,
) {
    for k in check.checked..stream.events.len() {
        let index = stream.events[k];
        let event = store.event(index);
        let seq = event.event.seq;
        if let Some(prev) = check.previous.map(|i| store.event(i)) {
            let prev_seq = prev.event.seq;
            if let Some(first) = first_with_seq(store, stream, check, k, seq) {
                findings.push(
                    finding(
                        &event,
                        Severity::Error,
                        Code::SeqDuplicate,
                        format!(
                            "seq {seq} was already used at {}",
                            store.event(first).place()
                        ),
                    )
                    .naming(first),
                );
            } else if seq < prev_seq {
                let message = format!("seq {seq} comes after seq {prev_seq} ({})", prev.place());
                findings.push(
                    finding(&event, Severity::Error, Code::SeqBackwards, message)
                        .naming(prev.index),
                );
            } else if seq > prev_seq + 1 {
                let missing = seq - prev_seq - 1;
                let message = format!(
                    "seq jumps from {prev_seq} to {seq}; {missing} seq{} missing",
                    crate::store::plural(missing as usize)
                );
                findings.push(finding(&event, Severity::Warning, Code::SeqGap, message));
            }
        }
        note_seq(store, stream, check, k, seq, index);
        if let Some(instant) = event.event.instant() {
            let latest = check.latest_time.map(|i| store.event(i));
            if let Some(latest) = latest.filter(|l| l.event.instant().is_some_and(|t| instant < t))
            {
                let message = format!(
                    "time {} is earlier than {} of seq {} ({})",
                    event.time().unwrap_or_default(),
                    latest.time().unwrap_or_default(),
                    latest.event.seq,
                    latest.place()
                );
                findings.push(
                    finding(&event, Severity::Warning, Code::TimeBackwards, message)
                        .naming(latest.index),
                );
            } else {
                check.latest_time = Some(index);
            }
        }
        check.previous = Some(index);
    }
    check.checked = stream.events.len();
}

/// The event where `seq` was first seen among the stream's first `k` events.
fn first_with_seq(
    store: &Store,
    stream: &Stream,
    check: &StreamCheck,
    k: usize,
    seq: u64,
) -> Option<u32> {
    if let Some(map) = &check.seqs {
        return map.get(&seq).copied();
    }
    let seq_at = |j: usize| store.events()[stream.events[j] as usize].seq;
    let j = partition_point(k, |j| seq_at(j) < seq);
    (j < k && seq_at(j) == seq).then(|| stream.events[j])
}

/// Notes the stream's `k`-th event, the store's event `index`, with `seq`.
fn note_seq(
    store: &Store,
    stream: &Stream,
    check: &mut StreamCheck,
    k: usize,
    seq: u64,
    index: u32,
) {
    let events = store.events();
    if check.seqs.is_none() && (k == 0 || seq > events[stream.events[k - 1] as usize].seq) {
        return;
    }
    let map = check.seqs.get_or_insert_with(|| {
        stream.events[..k]
            .iter()
            .map(|&i| (events[i as usize].seq, i))
            .collect()
    });
    map.entry(seq).or_insert(index);
}

/// Checks a store that grows: each call reports what the events and problems added since the
/// last call bring (a window following a file). The first call checks everything.
#[derive(Debug, Default)]
pub struct Checker {
    streams: Vec<StreamCheck>,
    /// Each id seen, as a 64-bit hash, with the first event that had it.
    ids: rustc_hash::FxHashMap<u64, u32>,
    /// Events and reader problems looked at so far.
    events: usize,
    problems: usize,
}

impl Checker {
    /// A checker that has looked at all of `store` (which [`check`] reported on): later calls
    /// report only what is new.
    pub fn caught_up(store: &Store) -> Self {
        let mut checker = Self::default();
        checker.check_new(store);
        checker
    }

    /// The findings about what was added to `store` since the last call, in store order.
    pub fn check_new(&mut self, store: &Store) -> Vec<Finding> {
        let mut findings = store
            .problems()
            .get(self.problems..)
            .unwrap_or_default()
            .to_vec();
        self.problems = store.problems().len();
        let new = self.events as u32..store.events().len() as u32;
        self.streams
            .resize_with(store.streams().len(), StreamCheck::default);
        let mut touched: Vec<u32> = new
            .clone()
            .map(|i| store.events()[i as usize].stream)
            .collect();
        touched.sort_unstable();
        touched.dedup();
        for stream in touched {
            let check = &mut self.streams[stream as usize];
            check_stream(
                store,
                &store.streams()[stream as usize],
                check,
                &mut findings,
            );
        }
        for index in new.clone() {
            let event = store.event(index);
            let Some(id) = event.id() else { continue };
            let hash = std::hash::BuildHasher::hash_one(&rustc_hash::FxBuildHasher, id);
            match self.ids.get(&hash) {
                // Two ids with one hash (never seen with real ids) count as different.
                Some(&first) if store.event(first).id() == Some(id) => findings.push(
                    finding(
                        &event,
                        Severity::Error,
                        Code::DuplicateId,
                        format!("id {id} was already used at {}", store.event(first).place()),
                    )
                    .naming(first),
                ),
                Some(_) => {}
                None => {
                    self.ids.insert(hash, index);
                }
            }
        }
        if has_causes(store, new.clone()) {
            let first_with = |id: &str| first_with_id(store, &self.ids, id);
            check_causes(store, new.clone(), first_with, &mut findings);
        }
        check_payloads(store, new, &mut findings);
        self.events = store.events().len();
        sort(&mut findings);
        findings
    }
}

/// The first of `0..len` for which `below` is false, `below` being true then false.
fn partition_point(len: usize, below: impl Fn(usize) -> bool) -> usize {
    let (mut low, mut high) = (0, len);
    while low < high {
        let mid = low + (high - low) / 2;
        if below(mid) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    low
}

/// A store in which no event has a time is worth a word: times may be there under a name
/// the mapping did not look for, which the finding names.
fn check_times(store: &Store) -> Option<Finding> {
    if store.events().is_empty() || store.has_times() {
        return None;
    }
    let first = store.event(0);
    let record = store.record(0).unwrap_or_default();
    let message = match crate::store::members::time_members(record).first() {
        Some(time) => format!(
            "no event has a time; {time} looks like one (read it with --time-field {time}, or map it with Fields… in the window)"
        ),
        None => {
            "no event has a time: points in time and the time axis are not available".to_owned()
        }
    };
    let line = first.line();
    Some(Finding::at(
        Severity::Info,
        Code::MissingField,
        line,
        line.is_none().then(|| first.position()),
        message,
    ))
}

/// Each event id reduced to 32 bits of hash packed with its event's index, sorted: 8 bytes an
/// event, where a map of the ids would take five to eight times that. Equal hashes come
/// together, each group in store order, and are told apart by their text.
fn id_keys(store: &Store) -> Vec<u64> {
    let mut keys: Vec<u64> = (0..store.events().len() as u32)
        .into_par_iter()
        .filter_map(|index| Some(id_hash(store.event(index).id()?) << 32 | u64::from(index)))
        .collect();
    keys.par_sort_unstable();
    keys
}

/// The upper 32 bits of an id's hash.
fn id_hash(id: &str) -> u64 {
    std::hash::BuildHasher::hash_one(&rustc_hash::FxBuildHasher, id) >> 32
}

/// The event of a key of [`id_keys`].
fn index_of(key: u64) -> u32 {
    (key & 0xFFFF_FFFF) as u32
}

/// The first event with `id`, from the sorted keys of [`id_keys`].
fn first_in_keys(store: &Store, keys: &[u64], id: &str) -> Option<u32> {
    let hash = id_hash(id);
    let from = keys.partition_point(|&key| key >> 32 < hash);
    keys[from..]
        .iter()
        .take_while(|&&key| key >> 32 == hash)
        .map(|&key| index_of(key))
        .find(|&index| store.event(index).id() == Some(id))
}

/// Event ids are unique across the whole store: within a group of equal hashes in `keys`
/// ([`id_keys`]), each event against the ones before it, compared as text.
fn check_ids(store: &Store, keys: &[u64], findings: &mut Vec<Finding>) {
    for group in keys
        .chunk_by(|a, b| a >> 32 == b >> 32)
        .filter(|g| g.len() > 1)
    {
        // Within a group, indices are in store order: each event against the ones before it.
        for (n, &key) in group.iter().enumerate().skip(1) {
            let event = store.event(index_of(key));
            let id = event.id().unwrap_or_default();
            let first = group[..n]
                .iter()
                .map(|&earlier| store.event(index_of(earlier)))
                .find(|earlier| earlier.id() == Some(id));
            if let Some(first) = first {
                findings.push(
                    finding(
                        &event,
                        Severity::Error,
                        Code::DuplicateId,
                        format!("id {id} was already used at {}", first.place()),
                    )
                    .naming(first.index),
                );
            }
        }
    }
}

/// Whether any of `events` may carry a causation id: only then are metadata parsed and ids
/// indexed for the causation checks (a store without them pays one text search).
fn has_causes(store: &Store, events: std::ops::Range<u32>) -> bool {
    let finder = memchr::memmem::Finder::new(b"ausation");
    events.into_par_iter().any(|i| {
        store
            .event(i)
            .meta_json()
            .is_some_and(|m| finder.find(m.as_bytes()).is_some())
    })
}

/// The first event with `id`, by its hash in `ids` (checked against the text).
fn first_with_id(store: &Store, ids: &rustc_hash::FxHashMap<u64, u32>, id: &str) -> Option<u32> {
    let hash = std::hash::BuildHasher::hash_one(&rustc_hash::FxBuildHasher, id);
    ids.get(&hash)
        .copied()
        .filter(|&i| store.event(i).id() == Some(id))
}

/// Across streams: each of `events` with a causation id against the event it names, which must
/// exist, come earlier in the store, and share its correlation id (DESIGN.md's
/// `causation_unknown`, `causation_later`, `correlation_mismatch`). A followed store reports a
/// cause not seen yet as unknown; read again once the cause is there, it is `causation_later`.
fn check_causes(
    store: &Store,
    events: std::ops::Range<u32>,
    first_with: impl Fn(&str) -> Option<u32> + Sync,
    findings: &mut Vec<Finding>,
) {
    let fields = crate::query::trace::LinkFields::default();
    let found: Vec<Finding> = events
        .into_par_iter()
        .filter_map(|index| {
            let cause_id = fields.causation(store, index)?;
            let event = store.event(index);
            let Some(cause) = first_with(&cause_id) else {
                let message = format!("causation id {cause_id} names no event of the store");
                return Some(finding(&event, Severity::Warning, Code::CausationUnknown, message));
            };
            let other = store.event(cause);
            if cause > index {
                let message = format!(
                    "caused by {cause_id} ({} seq {}), which comes later, at {}",
                    other.stream(),
                    other.event.seq,
                    other.place()
                );
                let f = finding(&event, Severity::Error, Code::CausationLater, message);
                return Some(f.naming(cause));
            }
            let (mine, theirs) = (fields.correlation(store, index), fields.correlation(store, cause));
            match (mine, theirs) {
                (Some(mine), Some(theirs)) if mine != theirs => {
                    let message = format!(
                        "correlation id {mine}, but its cause {cause_id} ({} seq {}, {}) has {theirs}",
                        other.stream(),
                        other.event.seq,
                        other.place()
                    );
                    let f = finding(&event, Severity::Warning, Code::CorrelationMismatch, message);
                    Some(f.naming(cause))
                }
                _ => None,
            }
        })
        .collect();
    findings.extend(found);
}

/// Payloads were checked for syntax while indexing; a full parse finds the one thing more: an
/// escaped lone surrogate (`"\ud800"`), so only payloads that escape a surrogate are parsed.
fn check_payloads(store: &Store, events: std::ops::Range<u32>, findings: &mut Vec<Finding>) {
    let failed: Vec<Finding> = events
        .into_par_iter()
        .flat_map_iter(|index| {
            let event = store.event(index);
            [("data", event.data_json()), ("meta", event.meta_json())]
                .into_iter()
                .filter_map(move |(what, text)| {
                    let error = serde_json::from_str::<serde_json::Value>(
                        text.filter(|t| escapes_a_surrogate(t))?,
                    )
                    .err()?;
                    Some(finding(
                        &event,
                        Severity::Error,
                        Code::ParseError,
                        format!("the {what} cannot be read: {error}"),
                    ))
                })
        })
        .collect();
    findings.extend(failed);
}

/// Whether `json` holds a `\uD800`–`\uDFFF` escape.
fn escapes_a_surrogate(json: &str) -> bool {
    memchr::memmem::find_iter(json.as_bytes(), b"\\u").any(|at| {
        let hex = &json.as_bytes()[at + 2..];
        matches!(hex.first(), Some(b'd' | b'D'))
            && matches!(hex.get(1), Some(b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ReadOptions;
    use std::path::Path;

    fn store(text: String) -> Store {
        Store::from_bytes(
            Path::new("t.jsonl"),
            text.into_bytes(),
            &ReadOptions::default(),
        )
        .unwrap()
    }

    fn report(text: &str) -> Vec<(u64, Code, Option<u64>)> {
        check(&store(text.to_owned()))
            .findings
            .iter()
            .filter(|f| f.severity != Severity::Info)
            .map(|f| (f.line.unwrap_or(0), f.code, f.seq))
            .collect()
    }

    #[test]
    fn a_projection_check_stops_between_streams_when_told() {
        let text = ["a", "b", "c"]
            .map(|s| format!("{{\"stream\":\"{s}\",\"seq\":1,\"type\":\"T\",\"data\":{{}}}}\n"))
            .concat();
        let store = store(text);
        let failing = crate::replay::Projection::from_source(
            "f.js",
            "fromAll().when({ T: () => { throw new Error('no') } })",
            crate::replay::Limits::default(),
        )
        .unwrap();
        let mut all = Report::unchecked(&store);
        assert!(check_projection_while(&store, &failing, &mut all, || true));
        assert_eq!(all.count(Severity::Error), 3);
        // Told to stop after the first stream.
        let asked = AtomicUsize::new(0);
        let mut some = Report::unchecked(&store);
        let go_on = || asked.fetch_add(1, Ordering::Relaxed) < 1;
        assert!(!check_projection_while(&store, &failing, &mut some, go_on));
        assert_eq!(
            some.count(Severity::Error),
            0,
            "a stopped check reports nothing half-done"
        );
        // Only the streams asked for are folded.
        let found = projection_errors(&store, &failing, [2, 0], || true).unwrap();
        let streams: Vec<_> = found.iter().map(|f| f.stream.as_deref()).collect();
        assert_eq!(streams, [Some("c"), Some("a")]);
    }

    #[test]
    fn finds_seq_problems_at_the_later_record() {
        let text = [1, 2, 2, 5, 4, 6]
            .map(|seq| format!("{{\"stream\":\"s\",\"seq\":{seq},\"type\":\"T\",\"data\":{{}}}}\n"))
            .concat();
        assert_eq!(
            report(&text),
            [
                (3, Code::SeqDuplicate, Some(2)),
                (4, Code::SeqGap, Some(5)),
                (5, Code::SeqBackwards, Some(4)),
                (6, Code::SeqGap, Some(6))
            ]
        );
        // Duplicates found by the binary search (seqs growing so far) and by the map (after
        // seqs went backwards) say the same.
        let text = [1, 3, 5, 3, 2, 5, 9]
            .map(|seq| format!("{{\"stream\":\"s\",\"seq\":{seq},\"type\":\"T\"}}\n"))
            .concat();
        let store = store(text);
        let report = check(&store);
        let duplicates: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.code == Code::SeqDuplicate)
            .map(|f| f.message.as_str())
            .collect();
        assert_eq!(
            duplicates,
            [
                "seq 3 was already used at line 2",
                "seq 5 was already used at line 3"
            ]
        );
    }

    #[test]
    fn a_growing_store_is_checked_as_a_whole_one() {
        let lines = [
            "{\"stream\":\"s\",\"seq\":1,\"type\":\"T\",\"id\":\"a\",\"time\":\"2024-01-01T10:00:00Z\"}\n",
            "{\"stream\":\"t\",\"seq\":1,\"type\":\"T\",\"id\":\"b\"}\n",
            "{\"stream\":\"s\",\"seq\":3,\"type\":\"T\",\"id\":\"c\",\"time\":\"2024-01-01T09:00:00Z\"}\n",
            "oops\n",
            "{\"stream\":\"s\",\"seq\":3,\"type\":\"T\",\"id\":\"a\"}\n",
            "{\"stream\":\"t\",\"seq\":2,\"type\":\"T\",\"data\":\"\\ud800\"}\n",
            "{\"stream\":\"t\",\"seq\":1,\"type\":\"T\"}\n",
        ];
        let whole = check(&store(lines.concat())).findings;
        for cut in 1..lines.len() {
            let mut checker = Checker::default();
            let mut grown = checker.check_new(&store(lines[..cut].concat()));
            grown.extend(checker.check_new(&store(lines.concat())));
            assert_eq!(grown, whole, "grown after {cut} lines");
        }
        assert_eq!(
            Checker::caught_up(&store(lines.concat())).check_new(&store(lines.concat())),
            []
        );
    }

    #[test]
    fn finds_time_and_id_problems() {
        let text = concat!(
            "{\"stream\":\"s\",\"type\":\"T\",\"id\":\"a\",\"time\":\"2024-01-01T10:00:00Z\"}\n",
            "{\"stream\":\"s\",\"type\":\"T\",\"id\":\"b\",\"time\":\"2024-01-01T09:00:00Z\"}\n",
            "{\"stream\":\"t\",\"type\":\"T\",\"id\":\"a\",\"time\":\"2024-01-01T08:00:00Z\"}\n",
            "{\"stream\":\"s\",\"type\":\"T\",\"data\":\"\\ud800\"}\n",
        );
        assert_eq!(
            report(text),
            [
                (2, Code::TimeBackwards, Some(2)),
                (3, Code::DuplicateId, Some(1)),
                (4, Code::ParseError, Some(3))
            ]
        );
    }

    #[test]
    fn a_finding_names_the_event_its_message_is_about() {
        let text = concat!(
            "{\"stream\":\"s\",\"seq\":1,\"type\":\"T\",\"id\":\"a\",\"time\":\"2024-01-01T10:00:00Z\"}\n",
            "{\"stream\":\"s\",\"seq\":2,\"type\":\"T\",\"id\":\"b\",\"time\":\"2024-01-01T09:00:00Z\"}\n",
            "{\"stream\":\"t\",\"seq\":1,\"type\":\"T\",\"id\":\"a\"}\n",
            "{\"stream\":\"s\",\"seq\":2,\"type\":\"T\"}\n",
            "{\"stream\":\"u\",\"seq\":5,\"type\":\"T\"}\n",
            "{\"stream\":\"u\",\"seq\":4,\"type\":\"T\"}\n",
        );
        let store = store(text.to_owned());
        let named = |report: &[Finding]| -> Vec<(Code, Option<u64>, Option<u64>)> {
            report
                .iter()
                .filter(|f| f.severity != Severity::Info)
                .map(|f| {
                    let other = f.related.and_then(|i| store.line(i));
                    (f.code, f.line, other)
                })
                .collect()
        };
        let expected = [
            (Code::TimeBackwards, Some(2), Some(1)),
            (Code::DuplicateId, Some(3), Some(1)),
            (Code::SeqDuplicate, Some(4), Some(2)),
            (Code::SeqBackwards, Some(6), Some(5)),
        ];
        assert_eq!(named(&check(&store).findings), expected);
        // A followed store's checker names the same events.
        assert_eq!(named(&Checker::default().check_new(&store)), expected);
    }

    #[test]
    fn causes_are_checked_across_streams_whole_and_growing() {
        let lines = [
            r#"{"stream":"o","seq":1,"type":"T","id":"a","meta":{"correlationId":"x"}}"#,
            r#"{"stream":"p","seq":1,"type":"T","id":"b","meta":{"correlationId":"x","causationId":"a"}}"#,
            r#"{"stream":"p","seq":2,"type":"T","id":"c","meta":{"correlationId":"x","causationId":"zz"}}"#,
            r#"{"stream":"o","seq":2,"type":"T","id":"d","meta":{"correlationId":"x","causationId":"f"}}"#,
            r#"{"stream":"q","seq":1,"type":"T","id":"e","meta":{"correlationId":"y","causationId":"b"}}"#,
            r#"{"stream":"q","seq":2,"type":"T","id":"f","meta":{"correlationId":"y","causation_id":"e"}}"#,
        ];
        let store = store(lines.join("\n") + "\n");
        let mut whole = check(&store).findings;
        whole.retain(|f| f.severity != Severity::Info); // no times: said once, as info
        let found: Vec<(Code, Option<u64>, Option<u32>)> =
            whole.iter().map(|f| (f.code, f.line, f.related)).collect();
        assert_eq!(
            found,
            [
                (Code::CausationUnknown, Some(3), None),
                (Code::CausationLater, Some(4), Some(5)),
                (Code::CorrelationMismatch, Some(5), Some(1)),
            ]
        );
        // Read at once by a follower, the same.
        assert_eq!(Checker::default().check_new(&store), whole);
    }

    #[test]
    fn ids_that_share_a_hash_are_told_apart_by_their_text() {
        // Two ids whose 32-bit hashes are equal (found by trying, about 80 000 of them).
        let mut seen = HashMap::new();
        let (one, two) = (0u32..)
            .map(|n| format!("id-{n}"))
            .find_map(|id| {
                seen.insert(id_hash(&id), id.clone())
                    .map(|earlier| (earlier, id))
            })
            .unwrap();
        let lines = [
            format!(
                r#"{{"stream":"o","seq":1,"type":"T","id":"{one}","meta":{{"correlationId":"x"}}}}"#
            ),
            format!(
                r#"{{"stream":"p","seq":1,"type":"T","id":"{two}","meta":{{"correlationId":"y"}}}}"#
            ),
            format!(
                r#"{{"stream":"q","seq":1,"type":"T","id":"c","meta":{{"correlationId":"y","causationId":"{two}"}}}}"#
            ),
            format!(
                r#"{{"stream":"q","seq":2,"type":"T","id":"{two}","meta":{{"correlationId":"y"}}}}"#
            ),
        ];
        let store = store(lines.join("\n") + "\n");
        let keys = id_keys(&store);
        assert_eq!(first_in_keys(&store, &keys, &one), Some(0));
        assert_eq!(first_in_keys(&store, &keys, &two), Some(1));
        assert_eq!(first_in_keys(&store, &keys, "absent"), None);
        // The cause is the second event (its correlation id agrees), not the first, whose
        // hash is the same; the fourth repeats the second's id, not the first's.
        assert_eq!(
            report(&(lines.join("\n") + "\n")),
            [(4, Code::DuplicateId, Some(2))]
        );
    }
}
