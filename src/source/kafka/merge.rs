//! A partition's messages as they wait to be merged, the merge into one store order, and the
//! line each message becomes: the one `kcat -J` prints for it, with its place in the store.

use std::collections::VecDeque;
use std::io::Write as _;

use base64::Engine as _;
use rskafka::record::RecordAndOffset;

/// Messages merged into the store at a time.
const PAGE: usize = 20_000;

/// How far one partition has been read.
pub(super) struct Cursor {
    pub(super) id: i32,
    /// The offset of the next message to fetch.
    pub(super) next: i64,
    /// Where reading began, for progress.
    pub(super) began: i64,
    /// The high watermark the last fetch reported, for progress.
    pub(super) high: i64,
    /// Fetched, not yet merged.
    pub(super) waiting: VecDeque<RecordAndOffset>,
    /// Whether a fetch has returned yet.
    pub(super) fetched: bool,
    /// The last fetch returned nothing: read to its end for now.
    pub(super) at_end: bool,
    /// `--from-time`: messages are skipped until the first at or after this time.
    skip_before: Option<i64>,
}

impl Cursor {
    pub(super) fn new(id: i32, next: i64, skip_before: Option<i64>) -> Self {
        Self {
            id,
            next,
            began: next,
            high: next,
            waiting: VecDeque::new(),
            fetched: false,
            at_end: false,
            skip_before,
        }
    }

    /// Keeps what a fetch returned.
    pub(super) fn took(&mut self, records: Vec<RecordAndOffset>, high: i64) {
        self.high = self.high.max(high);
        self.fetched = true;
        if records.is_empty() {
            self.at_end = true;
            return;
        }
        for message in records {
            if message.offset < self.next {
                continue;
            }
            self.next = message.offset + 1;
            if let Some(time) = self.skip_before {
                if message.record.timestamp.timestamp_millis() < time {
                    continue;
                }
                self.skip_before = None;
            }
            self.waiting.push_back(message);
        }
    }
}

/// Merges what is waiting into the store's order, while every partition still being read
/// has a message waiting: the next is the one with the earliest (timestamp, partition). Each
/// message's position is the next `position`. At most [`PAGE`] messages at a time.
pub(super) fn merge(parts: &mut [Cursor], topic: &str, position: &mut u64) -> Vec<u8> {
    let waiting: usize = parts.iter().map(|part| part.waiting.len()).sum();
    let mut text = Vec::with_capacity(waiting.min(PAGE) * 256);
    for _ in 0..PAGE {
        if parts
            .iter()
            .any(|part| !part.at_end && part.waiting.is_empty())
        {
            break;
        }
        let next = parts
            .iter()
            .enumerate()
            .filter_map(|(i, part)| {
                let head = part.waiting.front()?;
                Some((head.record.timestamp.timestamp_millis(), part.id, i))
            })
            .min();
        let Some((_, id, i)) = next else { break };
        let Some(message) = parts[i].waiting.pop_front() else {
            break;
        };
        write_line(&mut text, topic, id, &message, *position);
        *position += 1;
    }
    text
}

/// The line `kcat -J` prints for a message, with its place in the store: a payload that is
/// not UTF-8 is kept as base64 (`payload_base64`), so nothing of it is lost.
fn write_line(out: &mut Vec<u8>, topic: &str, partition: i32, message: &RecordAndOffset, at: u64) {
    let record = &message.record;
    out.extend_from_slice(b"{\"topic\":");
    quote(out, topic);
    let _ = write!(
        out,
        ",\"partition\":{partition},\"offset\":{},\"tstype\":\"create\",\"ts\":{},\"headers\":[",
        message.offset,
        record.timestamp.timestamp_millis()
    );
    for (n, (name, value)) in record.headers.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        quote(out, name);
        out.push(b',');
        quote(out, &String::from_utf8_lossy(value));
    }
    out.extend_from_slice(b"],\"key\":");
    match &record.key {
        Some(key) => quote(out, &String::from_utf8_lossy(key)),
        None => out.extend_from_slice(b"null"),
    }
    match &record.value {
        None => out.extend_from_slice(b",\"payload\":null"),
        Some(value) => {
            if let Ok(text) = std::str::from_utf8(value) {
                out.extend_from_slice(b",\"payload\":");
                quote(out, text);
            } else {
                out.extend_from_slice(b",\"payload_base64\":\"");
                out.extend_from_slice(
                    base64::engine::general_purpose::STANDARD
                        .encode(value)
                        .as_bytes(),
                );
                out.push(b'"');
            }
        }
    }
    let _ = writeln!(out, ",\"position\":{at}}}");
}

/// `text` as a JSON string.
fn quote(out: &mut Vec<u8>, text: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use rskafka::chrono;

    fn message(
        offset: i64,
        millis: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
    ) -> RecordAndOffset {
        RecordAndOffset {
            record: rskafka::record::Record {
                key: key.map(<[u8]>::to_vec),
                value: value.map(<[u8]>::to_vec),
                headers: BTreeMap::from([("type".to_owned(), b"Placed".to_vec())]),
                timestamp: chrono::DateTime::from_timestamp_millis(millis).unwrap(),
            },
            offset,
        }
    }

    #[test]
    fn a_message_is_the_line_kcat_prints_for_it() {
        let mut out = Vec::new();
        let placed = message(
            41,
            1_700_000_000_123,
            Some(b"order-9"),
            Some(br#"{"qty":2}"#),
        );
        write_line(&mut out, "orders", 3, &placed, 7);
        let tombstone = message(42, 1_700_000_000_124, Some(b"order-9"), None);
        write_line(&mut out, "orders", 3, &tombstone, 8);
        let binary = message(43, 1_700_000_000_125, None, Some(&[0xff, 0x00, 0x41]));
        write_line(&mut out, "orders", 3, &binary, 9);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                r#"{"topic":"orders","partition":3,"offset":41,"tstype":"create","ts":1700000000123,"headers":["type","Placed"],"key":"order-9","payload":"{\"qty\":2}","position":7}"#,
                r#"{"topic":"orders","partition":3,"offset":42,"tstype":"create","ts":1700000000124,"headers":["type","Placed"],"key":"order-9","payload":null,"position":8}"#,
                r#"{"topic":"orders","partition":3,"offset":43,"tstype":"create","ts":1700000000125,"headers":["type","Placed"],"key":null,"payload_base64":"/wBB","position":9}"#,
            ]
        );
    }

    #[test]
    fn from_a_time_messages_before_it_are_skipped_until_the_first_after_it() {
        let mut part = Cursor::new(0, 0, Some(2_000));
        part.took(
            vec![
                message(0, 1_000, None, None),
                message(1, 2_500, None, None),
                // After the first one at or after the time, nothing is skipped: the
                // partition's order is kept, as a consumer seeking by time sees it.
                message(2, 1_500, None, None),
            ],
            3,
        );
        let offsets: Vec<i64> = part.waiting.iter().map(|m| m.offset).collect();
        assert_eq!((offsets, part.next, part.high), (vec![1, 2], 3, 3));
        part.took(Vec::new(), 3);
        assert!(part.at_end);
    }

    #[test]
    fn partitions_merge_by_time_each_in_its_own_order() {
        let mut parts = vec![Cursor::new(0, 0, None), Cursor::new(1, 0, None)];
        parts[0].took(
            vec![
                message(0, 1_000, Some(b"a"), Some(b"1")),
                message(1, 3_000, Some(b"a"), Some(b"2")),
                // Earlier than the message before it: a partition's order is kept.
                message(2, 2_000, Some(b"a"), Some(b"3")),
            ],
            3,
        );
        parts[1].took(vec![message(0, 1_000, Some(b"b"), Some(b"4"))], 5);
        let mut position = 10;
        // Partition 1 may have more to come: nothing after its last message is merged yet,
        // since what comes next there may be earlier.
        let text = merge(&mut parts, "t", &mut position);
        let order = |text: &[u8]| -> Vec<(i64, i64, u64)> {
            String::from_utf8_lossy(text)
                .lines()
                .map(|line| {
                    let v: serde_json::Value = serde_json::from_str(line).unwrap();
                    (
                        v["partition"].as_i64().unwrap(),
                        v["offset"].as_i64().unwrap(),
                        v["position"].as_u64().unwrap(),
                    )
                })
                .collect()
        };
        assert_eq!(order(&text), [(0, 0, 10), (1, 0, 11)]);
        parts[1].took(Vec::new(), 5);
        let text = merge(&mut parts, "t", &mut position);
        assert_eq!(order(&text), [(0, 1, 12), (0, 2, 13)]);
        assert_eq!(position, 14);
    }
}
