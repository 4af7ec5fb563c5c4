//! `check`: every finding about a store — what the reader met (unreadable records, missing
//! fields, a cut-off tail) and what only shows across events (seq gaps, duplicates and
//! reversals, time going backwards, reused ids, payloads that cannot be parsed).

use std::collections::HashMap;

use serde::Serialize;

use super::finding::{Code, Finding, Severity};
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
    /// How many findings have `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// Checks every event of `store`.
pub fn check(store: &Store) -> Report {
    let mut findings = store.problems().to_vec();
    for stream in store.streams() {
        check_stream(store, stream, &mut findings);
    }
    check_ids(store, &mut findings);
    check_payloads(store, &mut findings);
    findings.sort_by(|a, b| (a.line, a.code, &a.message).cmp(&(b.line, b.code, &b.message)));
    Report {
        events: store.events().len(),
        streams: store.streams().len(),
        findings,
    }
}

fn finding(event: &EventRef<'_>, severity: Severity, code: Code, message: String) -> Finding {
    Finding::at_line(severity, code, event.event.line, message)
        .in_stream(event.stream(), Some(event.event.seq))
}

/// Seqs and times along one stream, each event against the ones before it.
fn check_stream(store: &Store, stream: &Stream, findings: &mut Vec<Finding>) {
    let mut first_line_of_seq: HashMap<u64, u64> = HashMap::new();
    let mut previous: Option<EventRef<'_>> = None;
    let mut latest_time: Option<EventRef<'_>> = None;
    for &index in &stream.events {
        let event = store.event(index);
        let seq = event.event.seq;
        if let Some(prev) = previous {
            let prev_seq = prev.event.seq;
            if let Some(line) = first_line_of_seq.get(&seq) {
                findings.push(finding(
                    &event,
                    Severity::Error,
                    Code::SeqDuplicate,
                    format!("seq {seq} was already used at line {line}"),
                ));
            } else if seq < prev_seq {
                let message = format!(
                    "seq {seq} comes after seq {prev_seq} (line {})",
                    prev.event.line
                );
                findings.push(finding(
                    &event,
                    Severity::Error,
                    Code::SeqBackwards,
                    message,
                ));
            } else if seq > prev_seq + 1 {
                let missing = seq - prev_seq - 1;
                let message = format!(
                    "seq jumps from {prev_seq} to {seq}; {missing} seq{} missing",
                    crate::store::plural(missing as usize)
                );
                findings.push(finding(&event, Severity::Warning, Code::SeqGap, message));
            }
        }
        first_line_of_seq.entry(seq).or_insert(event.event.line);
        if let Some(instant) = event.event.instant() {
            if let Some(latest) =
                latest_time.filter(|l| l.event.instant().is_some_and(|t| instant < t))
            {
                let message = format!(
                    "time {} is earlier than {} of seq {} (line {})",
                    event.time().unwrap_or_default(),
                    latest.time().unwrap_or_default(),
                    latest.event.seq,
                    latest.event.line
                );
                findings.push(finding(
                    &event,
                    Severity::Warning,
                    Code::TimeBackwards,
                    message,
                ));
            } else {
                latest_time = Some(event);
            }
        }
        previous = Some(event);
    }
}

/// Event ids are unique across the whole store.
fn check_ids(store: &Store, findings: &mut Vec<Finding>) {
    let mut first_line_of_id: HashMap<&str, u64> = HashMap::new();
    for index in 0..store.events().len() as u32 {
        let event = store.event(index);
        let Some(id) = event.id() else { continue };
        match first_line_of_id.get(id) {
            Some(line) => findings.push(finding(
                &event,
                Severity::Error,
                Code::DuplicateId,
                format!("id {id} was already used at line {line}"),
            )),
            None => {
                first_line_of_id.insert(id, event.event.line);
            }
        }
    }
}

/// Payloads were checked for syntax while indexing; this parses them fully, which also finds
/// what only a full parse sees (an escaped lone surrogate).
fn check_payloads(store: &Store, findings: &mut Vec<Finding>) {
    for index in 0..store.events().len() as u32 {
        let event = store.event(index);
        for (what, parsed) in [
            ("data", event.data().map(drop)),
            ("meta", event.meta().map(drop)),
        ] {
            if let Err(error) = parsed {
                findings.push(finding(
                    &event,
                    Severity::Error,
                    Code::ParseError,
                    format!("the {what} cannot be read: {error}"),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ReadOptions;
    use std::path::Path;

    fn report(text: &str) -> Vec<(u64, Code, Option<u64>)> {
        let store = Store::from_bytes(
            Path::new("t.jsonl"),
            text.as_bytes().to_vec(),
            &ReadOptions::default(),
        )
        .unwrap();
        check(&store)
            .findings
            .iter()
            .map(|f| (f.line, f.code, f.seq))
            .collect()
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
}
