//! Reading a topic: every partition asked for is fetched from its start offset, and the
//! messages are merged into one store order — each partition's own order kept, and across
//! partitions the message with the earliest (timestamp, partition) next — a page at a time.
//! A message is merged only once every partition still being read has one waiting, so the
//! order does not depend on which fetch came back first.
//!
//! What was read is offsets, one per partition: a lost broker is asked again from them, so
//! nothing is lost or read twice. Followed, each look fetches every partition again from where
//! it stopped and merges what came the same way; a message that arrives later than one of
//! another partition with a later timestamp comes after it (the store only grows at its end).
//! Partitions added to the topic meanwhile are read from their start.
//!
//! The end of a partition is where a fetch returns nothing, not the high watermark the broker
//! reports: that is used only for progress (Tansu, the broker the tests run, reports the latest
//! offset short of a partition's end when a batch holds several records).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use rskafka::client::error::{Error as KafkaError, ProtocolError};
use rskafka::client::partition::{OffsetAt, PartitionClient, UnknownTopicHandling};
use rskafka::client::{Client, ClientBuilder};
use rskafka::record::RecordAndOffset;
use rskafka::{BackoffConfig, chrono};

use super::{Start, Topic, partition_of};
use crate::source::{Mode, SourceError};
use crate::store::{Bytes, Container, Detection, Format, Index, ReadOptions, Store};

/// Messages merged into the store at a time.
const PAGE: usize = 20_000;
/// The most bytes one fetch of one partition asks for (a broker sends at least one batch).
const FETCH_BYTES: i32 = 8 << 20;
/// How long a fetch at a partition's end waits for a message before it says there is none.
const FETCH_WAIT_MS: i32 = 20;
/// How long reading a topic to its end keeps trying to reach a lost broker.
const RECONNECT_FOR: Duration = Duration::from_secs(30);
/// How long one request keeps retrying before it is reported (the next step tries again).
const REQUEST_DEADLINE: Duration = Duration::from_secs(3);
/// How often a follower asks which partitions the topic has.
const METADATA_EVERY: Duration = Duration::from_secs(2);

/// A topic being read.
pub struct Records {
    topic: Topic,
    name: String,
    runtime: tokio::runtime::Runtime,
    client: Arc<Client>,
    /// The partition count the topic had when last asked.
    partition_count: i32,
    /// The partitions read, and a client for each (same order).
    parts: Vec<Cursor>,
    clients: Vec<Arc<PartitionClient>>,
    index: Index,
    mode: Mode,
    /// The next message's place in the store: how many have been read.
    position: u64,
    /// Why the broker cannot be reached, while it cannot.
    lost: Option<String>,
    /// Every partition read to its end with nothing waiting: a follower's next step looks again.
    idle: bool,
    metadata_asked: Instant,
}

/// How far one partition has been read.
struct Cursor {
    id: i32,
    /// The offset of the next message to fetch.
    next: i64,
    /// Where reading began, for progress.
    began: i64,
    /// The high watermark the last fetch reported, for progress.
    high: i64,
    /// Fetched, not yet merged.
    waiting: VecDeque<RecordAndOffset>,
    /// The last fetch returned nothing: read to its end for now.
    at_end: bool,
    /// `--from-time`: messages are skipped until the first at or after this time.
    skip_before: Option<i64>,
}

/// Why a step could not be taken.
enum Step {
    /// The broker could not be reached: try again later.
    Lost(String),
    /// The topic cannot be read as asked.
    Failed(String),
}

impl Records {
    /// Connects, finds the topic and the partitions to read, and where each starts.
    pub fn open(topic: &Topic, options: &ReadOptions, mode: Mode) -> Result<Self, SourceError> {
        let name = topic.name();
        let fail = |message: String| SourceError::Broker {
            name: name.clone(),
            message,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| fail(format!("cannot start the Kafka client: {e}")))?;
        let client = runtime
            .block_on(
                ClientBuilder::new(topic.brokers.clone())
                    .client_id("eventlens")
                    .backoff_config(backoff())
                    .build(),
            )
            .map_err(|e| fail(format!("cannot reach a broker: {}", said(&e))))?;
        let client = Arc::new(client);
        let count = runtime
            .block_on(partition_count(&client, &topic.topic))
            .map_err(|step| fail(step.text()))?;
        let ids: Vec<i32> = match topic.narrowed_to() {
            Some(key) => vec![partition_of(key.as_bytes(), count)],
            None => (0..count).collect(),
        };
        let (mut parts, mut clients) = (Vec::new(), Vec::new());
        for id in ids {
            let (cursor, partition) = runtime
                .block_on(open_partition(
                    &client,
                    &topic.topic,
                    id,
                    &topic.options.start,
                ))
                .map_err(|step| fail(step.text()))?;
            parts.push(cursor);
            clients.push(partition);
        }
        let detection = Detection {
            format: Format::Kcat,
            container: Container::Rows(describe(topic, count)),
            sampled: None,
        };
        let index = Index::new(&name, detection, options.fields.clone()).of_rows();
        Ok(Self {
            topic: topic.clone(),
            name,
            runtime,
            client,
            partition_count: count,
            parts,
            clients,
            index,
            mode,
            position: 0,
            lost: None,
            idle: false,
            metadata_asked: Instant::now(),
        })
    }

    /// From now on, reads what is produced (a lost broker is then asked again at each look,
    /// for ever, instead of for a while).
    pub fn follow(&mut self) {
        self.mode = Mode::Follow;
    }

    /// Fetches and merges the next page. `false` once every message there is now is in the
    /// store.
    pub fn step(&mut self) -> Result<bool, SourceError> {
        let started = Instant::now();
        loop {
            match self.try_step() {
                Ok(more) => {
                    self.lost = None;
                    return Ok(more);
                }
                Err(Step::Failed(message)) => {
                    return Err(SourceError::Broker {
                        name: self.name.clone(),
                        message,
                    });
                }
                Err(Step::Lost(why)) => {
                    self.lost = Some(why.clone());
                    if self.mode == Mode::Follow || started.elapsed() >= RECONNECT_FOR {
                        return Err(SourceError::Lost {
                            name: self.name.clone(),
                            why,
                        });
                    }
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
        }
    }

    fn try_step(&mut self) -> Result<bool, Step> {
        if self.idle {
            if self.mode == Mode::Read {
                return Ok(false);
            }
            self.look_again()?;
        }
        self.fetch()?;
        let text = merge(&mut self.parts, &self.topic.topic, &mut self.position);
        if !text.is_empty() {
            let len = text.len();
            self.index.append(
                Arc::new(Bytes::Owned(text)),
                0..len,
                &Container::Lines,
                false,
            );
        }
        self.idle = self
            .parts
            .iter()
            .all(|part| part.at_end && part.waiting.is_empty());
        Ok(!self.idle)
    }

    /// A follower's new look: every partition is fetched again, and partitions added to the
    /// topic since are read from their start.
    fn look_again(&mut self) -> Result<(), Step> {
        for part in &mut self.parts {
            part.at_end = false;
        }
        self.idle = false;
        if self.metadata_asked.elapsed() < METADATA_EVERY {
            return Ok(());
        }
        self.metadata_asked = Instant::now();
        let count = self
            .runtime
            .block_on(partition_count(&self.client, &self.topic.topic))?;
        if count == self.partition_count {
            return Ok(());
        }
        self.partition_count = count;
        // A key is given a partition by the count of the moment: once the topic has more,
        // the key's new messages go to the partition the new count gives it.
        let wanted: Vec<i32> = match self.topic.narrowed_to() {
            Some(key) => vec![partition_of(key.as_bytes(), count)],
            None => (0..count).collect(),
        };
        for id in wanted {
            if self.parts.iter().any(|part| part.id == id) {
                continue;
            }
            let (cursor, partition) = self.runtime.block_on(open_partition(
                &self.client,
                &self.topic.topic,
                id,
                &Start::Beginning,
            ))?;
            self.parts.push(cursor);
            self.clients.push(partition);
        }
        self.index.describe_rows(describe(&self.topic, count));
        Ok(())
    }

    /// Fetches, all at once, every partition that is not at its end and has nothing waiting.
    fn fetch(&mut self) -> Result<(), Step> {
        let wanted: Vec<usize> = (0..self.parts.len())
            .filter(|&i| !self.parts[i].at_end && self.parts[i].waiting.is_empty())
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let mut fetches = tokio::task::JoinSet::new();
        let _inside = self.runtime.enter();
        for &i in &wanted {
            let client = Arc::clone(&self.clients[i]);
            let offset = self.parts[i].next;
            fetches.spawn(async move {
                let result = client
                    .fetch_records(offset, 1..FETCH_BYTES, FETCH_WAIT_MS)
                    .await;
                (i, result)
            });
        }
        let results = self.runtime.block_on(fetches.join_all());
        let mut lost = None;
        for (i, fetched) in results {
            let part = &mut self.parts[i];
            match fetched {
                Ok((records, high)) => part.took(records, high),
                Err(KafkaError::ServerError {
                    protocol_error: ProtocolError::OffsetOutOfRange,
                    ..
                }) => {
                    // Before the earliest offset kept (deleted by retention meanwhile), or
                    // after the end (--from-offset beyond it): from the earliest, or wait.
                    let earliest = self
                        .runtime
                        .block_on(self.clients[i].get_offset(OffsetAt::Earliest))
                        .map_err(|e| step_of(&e, &self.topic.topic))?;
                    if part.next < earliest {
                        part.next = earliest;
                    } else {
                        part.at_end = true;
                    }
                }
                Err(e) => lost = Some(step_of(&e, &self.topic.topic)),
            }
        }
        lost.map_or(Ok(()), Err)
    }

    /// Why the broker cannot be reached, while it cannot (reading goes on once it can).
    pub fn lost(&self) -> Option<&str> {
        self.lost.as_deref()
    }

    /// Messages read so far.
    pub fn done(&self) -> u64 {
        self.position
    }

    /// Messages to read, as the brokers' high watermarks say (at least those read).
    pub fn total(&self) -> u64 {
        let ahead: u64 = self
            .parts
            .iter()
            .map(|part| (part.high - part.began).max(0).cast_unsigned())
            .sum();
        ahead.max(self.position)
    }

    pub fn store(&self) -> &Store {
        self.index.store()
    }

    pub fn index(&self) -> &Index {
        &self.index
    }

    pub fn into_index(self) -> Index {
        self.index
    }
}

/// Merges what is waiting into the store's order, while every partition still being read
/// has a message waiting: the next is the one with the earliest (timestamp, partition). Each
/// message's position is the next `position`. At most [`PAGE`] messages at a time.
fn merge(parts: &mut [Cursor], topic: &str, position: &mut u64) -> Vec<u8> {
    let mut text = Vec::new();
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

/// Partition `id` of `topic`: a client for it, and where reading starts as `start` says.
async fn open_partition(
    client: &Client,
    topic: &str,
    id: i32,
    start: &Start,
) -> Result<(Cursor, Arc<PartitionClient>), Step> {
    let client = client
        .partition_client(topic, id, UnknownTopicHandling::Error)
        .await
        .map_err(|e| step_of(&e, topic))?;
    let earliest = client
        .get_offset(OffsetAt::Earliest)
        .await
        .map_err(|e| step_of(&e, topic))?;
    let (next, skip_before) = match start {
        Start::Beginning => (earliest, None),
        Start::Offset(offset) => ((*offset).max(earliest), None),
        Start::Time { millis, .. } => {
            let at = chrono::DateTime::from_timestamp_millis(*millis).unwrap_or_default();
            let found = client
                .get_offset(OffsetAt::Timestamp(at))
                .await
                .map_err(|e| step_of(&e, topic))?;
            // The lookup names the first offset at or after the time; a broker that
            // names an earlier one (Tansu names the earliest) costs a longer read, not
            // a wrong answer: messages before the time are skipped.
            (found.max(earliest), Some(*millis))
        }
    };
    Ok((Cursor::new(id, next, skip_before), Arc::new(client)))
}

impl Cursor {
    fn new(id: i32, next: i64, skip_before: Option<i64>) -> Self {
        Self {
            id,
            next,
            began: next,
            high: next,
            waiting: VecDeque::new(),
            at_end: false,
            skip_before,
        }
    }

    /// Keeps what a fetch returned.
    fn took(&mut self, records: Vec<RecordAndOffset>, high: i64) {
        self.high = self.high.max(high);
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

/// How many partitions `topic` has.
async fn partition_count(client: &Client, topic: &str) -> Result<i32, Step> {
    let topics = client.list_topics().await.map_err(|e| step_of(&e, topic))?;
    match topics.iter().find(|t| t.name == topic) {
        Some(found) if !found.partitions.is_empty() => {
            Ok(i32::try_from(found.partitions.len()).unwrap_or(i32::MAX))
        }
        Some(_) => Err(Step::Failed(format!("topic {topic:?} has no partitions"))),
        None => {
            let mut names: Vec<&str> = topics
                .iter()
                .map(|t| t.name.as_str())
                .filter(|name| !name.starts_with("__"))
                .collect();
            names.sort_unstable();
            let known = if names.is_empty() {
                "the broker has none".to_owned()
            } else {
                format!("the broker has {}", names.join(", "))
            };
            Err(Step::Failed(format!("no topic {topic:?} ({known})")))
        }
    }
}

/// Retries while a broker is reached again, for a while: then the step says so.
fn backoff() -> BackoffConfig {
    BackoffConfig {
        init_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(500),
        base: 2.0,
        deadline: Some(REQUEST_DEADLINE),
    }
}

/// A client error as a step: a topic that is not there fails; anything else may pass.
fn step_of(error: &KafkaError, topic: &str) -> Step {
    match error {
        KafkaError::ServerError {
            protocol_error: ProtocolError::UnknownTopicOrPartition,
            ..
        } => Step::Failed(format!("no topic {topic:?}, or it has lost a partition")),
        _ => Step::Lost(said(error)),
    }
}

/// A client error in a line: its message without the request it was about.
fn said(error: &KafkaError) -> String {
    match error {
        KafkaError::ServerError {
            protocol_error,
            error_message,
            ..
        } => match error_message {
            Some(message) => format!("the broker said {protocol_error}: {message}"),
            None => format!("the broker said {protocol_error}"),
        },
        // "Connection error: all retries failed: Retry exceeded deadline. Source: error
        // connecting to broker …": what the last retry met is what a user needs.
        other => {
            let text = other.to_string();
            match text.rsplit_once("Source: ") {
                Some((_, last)) => last.to_owned(),
                None => text,
            }
        }
    }
}

impl Step {
    fn text(self) -> String {
        match self {
            Self::Lost(why) => format!("cannot reach a broker: {why}"),
            Self::Failed(message) => message,
        }
    }
}

/// What the stream list says it was built from.
fn describe(topic: &Topic, count: i32) -> String {
    let plural = if count == 1 { "" } else { "s" };
    let read = match topic.narrowed_to() {
        Some(key) => format!(
            "partition {} of {count} only, the partition of key {key:?} (--all-partitions reads them all)",
            partition_of(key.as_bytes(), count)
        ),
        None => format!("all {count} partition{plural}"),
    };
    format!(
        "kafka topic {}: {read}, {}",
        topic.topic, topic.options.start
    )
}

/// The line `kcat -J` prints for a message, with its place in the store: a payload that is
/// not UTF-8 is kept as base64 (`payload_base64`), so nothing of it is lost.
fn write_line(out: &mut Vec<u8>, topic: &str, partition: i32, message: &RecordAndOffset, at: u64) {
    let record = &message.record;
    let mut line = String::with_capacity(
        96 + topic.len()
            + record.key.as_ref().map_or(0, Vec::len)
            + record.value.as_ref().map_or(0, |v| v.len() + v.len() / 8),
    );
    let _ = write!(
        line,
        "{{\"topic\":{},\"partition\":{partition},\"offset\":{},\"tstype\":\"create\",\"ts\":{},\"headers\":[",
        quoted(topic),
        message.offset,
        record.timestamp.timestamp_millis()
    );
    for (n, (name, value)) in record.headers.iter().enumerate() {
        if n > 0 {
            line.push(',');
        }
        line.push_str(&quoted(name));
        line.push(',');
        line.push_str(&quoted(&String::from_utf8_lossy(value)));
    }
    line.push_str("],\"key\":");
    match &record.key {
        Some(key) => line.push_str(&quoted(&String::from_utf8_lossy(key))),
        None => line.push_str("null"),
    }
    match &record.value {
        None => line.push_str(",\"payload\":null"),
        Some(value) => {
            if let Ok(text) = std::str::from_utf8(value) {
                line.push_str(",\"payload\":");
                line.push_str(&quoted(text));
            } else {
                line.push_str(",\"payload_base64\":\"");
                line.push_str(&base64::engine::general_purpose::STANDARD.encode(value));
                line.push('"');
            }
        }
    }
    let _ = writeln!(line, ",\"position\":{at}}}");
    out.extend_from_slice(line.as_bytes());
}

fn quoted(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

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
