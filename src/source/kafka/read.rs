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

use std::sync::Arc;
use std::time::{Duration, Instant};

use rskafka::client::error::{Error as KafkaError, ProtocolError};
use rskafka::client::partition::{OffsetAt, PartitionClient, UnknownTopicHandling};
use rskafka::client::{Client, ClientBuilder};
use rskafka::{BackoffConfig, chrono};

use super::merge::{Cursor, merge};
use super::{Start, Topic, partition_of};
use crate::source::retry::{self, Step};
use crate::source::{Mode, SourceError};
use crate::store::{Bytes, Container, Detection, Format, Index, ReadOptions, Store};

/// The most bytes one fetch of one partition asks for (a broker sends at least one batch).
const FETCH_BYTES: i32 = 8 << 20;
/// The same for a partition's first fetch, smaller so that the first events are shown early.
const FIRST_FETCH_BYTES: i32 = 256 << 10;
/// How long a fetch at a partition's end waits for a message before it says there is none.
const FETCH_WAIT_MS: i32 = 20;
/// How long one request keeps retrying before it is reported (the next step tries again).
const REQUEST_DEADLINE: Duration = Duration::from_secs(3);
/// How long a request may go unanswered before the broker counts as lost: rskafka retries some
/// failures (a broker gone after the connection was made) for as long as it is let.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);
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
        let build = ClientBuilder::new(topic.brokers.clone())
            .client_id("eventlens")
            .backoff_config(backoff())
            .build();
        let client = within(&runtime, async {
            build.await.map_err(|e| Step::Lost(said(&e)))
        })
        .map_err(|step| fail(step.text()))?;
        let client = Arc::new(client);
        let count = within(&runtime, partition_count(&client, &topic.topic))
            .map_err(|step| fail(step.text()))?;
        let (mut parts, mut clients) = (Vec::new(), Vec::new());
        for id in partitions_to_read(topic, count, &[]) {
            let opened = open_partition(&client, &topic.topic, id, &topic.options.start);
            let (cursor, partition) = within(&runtime, opened).map_err(|step| fail(step.text()))?;
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
        retry::step(self)
    }
}

impl retry::Server for Records {
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

    fn lost(&mut self) -> &mut Option<String> {
        &mut self.lost
    }

    fn following(&self) -> bool {
        self.mode == Mode::Follow
    }

    fn name(&self) -> String {
        self.name.clone()
    }

    fn failure(&self, message: String) -> SourceError {
        SourceError::Broker {
            name: self.name.clone(),
            message,
        }
    }
}

impl Records {
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
        let count = within(
            &self.runtime,
            partition_count(&self.client, &self.topic.topic),
        )?;
        if count == self.partition_count {
            return Ok(());
        }
        self.partition_count = count;
        let reading: Vec<i32> = self.parts.iter().map(|part| part.id).collect();
        for id in partitions_to_read(&self.topic, count, &reading) {
            let opened = open_partition(&self.client, &self.topic.topic, id, &Start::Beginning);
            let (cursor, partition) = within(&self.runtime, opened)?;
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
        let mut requests = tokio::task::JoinSet::new();
        let _inside = self.runtime.enter();
        for &i in &wanted {
            let client = Arc::clone(&self.clients[i]);
            let offset = self.parts[i].next;
            let bytes = if self.parts[i].fetched {
                FETCH_BYTES
            } else {
                FIRST_FETCH_BYTES
            };
            requests.spawn(async move {
                let fetch = client.fetch_records(offset, 1..bytes, FETCH_WAIT_MS);
                (i, tokio::time::timeout(ANSWER_WITHIN, fetch).await)
            });
        }
        let results = self.runtime.block_on(requests.join_all());
        let mut lost = None;
        for (i, fetched) in results {
            let part = &mut self.parts[i];
            let Ok(fetched) = fetched else {
                lost = Some(no_answer());
                continue;
            };
            match fetched {
                Ok((records, high)) => part.took(records, high),
                Err(KafkaError::ServerError {
                    protocol_error: ProtocolError::OffsetOutOfRange,
                    ..
                }) => {
                    // Before the earliest offset kept (deleted by retention meanwhile), or
                    // after the end (--from-offset beyond it): from the earliest, or wait.
                    let topic = &self.topic.topic;
                    let earliest = within(&self.runtime, async {
                        let asked = self.clients[i].get_offset(OffsetAt::Earliest).await;
                        asked.map_err(|e| step_of(&e, topic))
                    })?;
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

/// The partitions of a topic of `count` to start reading, besides those being read: all of
/// them, or the one the default partitioner gives the key asked for. A key is given a
/// partition by the count of the moment: once the topic has more, the key's new messages go to
/// the partition the new count gives it, which is then read too.
fn partitions_to_read(topic: &Topic, count: i32, reading: &[i32]) -> Vec<i32> {
    let wanted: Vec<i32> = match topic.narrowed_to() {
        Some(key) => vec![partition_of(key.as_bytes(), count)],
        None => (0..count).collect(),
    };
    wanted
        .into_iter()
        .filter(|id| !reading.contains(id))
        .collect()
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

/// Runs `request` to its answer, or says the broker is lost when none comes in time.
fn within<T>(
    runtime: &tokio::runtime::Runtime,
    request: impl Future<Output = Result<T, Step>>,
) -> Result<T, Step> {
    runtime.block_on(async {
        tokio::time::timeout(ANSWER_WITHIN, request)
            .await
            .unwrap_or_else(|_| Err(no_answer()))
    })
}

fn no_answer() -> Step {
    Step::Lost(format!(
        "no answer from the broker within {} s",
        ANSWER_WITHIN.as_secs()
    ))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::kafka::KafkaOptions;

    #[test]
    fn partitions_added_to_the_topic_are_read_too() {
        let mut topic = Topic::parse("kafka://h/t", KafkaOptions::default()).unwrap();
        assert_eq!(partitions_to_read(&topic, 3, &[]), [0, 1, 2]);
        assert_eq!(partitions_to_read(&topic, 5, &[0, 1, 2]), [3, 4]);
        topic.key = Some("order-1042".to_owned());
        let before = partition_of(b"order-1042", 3);
        assert_eq!(partitions_to_read(&topic, 3, &[]), [before]);
        let after = partition_of(b"order-1042", 7);
        let added = partitions_to_read(&topic, 7, &[before]);
        assert_eq!(added, if after == before { vec![] } else { vec![after] });
    }
}
