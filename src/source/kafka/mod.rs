//! Kafka topics as a source: `kafka://HOST:PORT[,HOST:PORT…]/TOPIC`, read as the `kcat`
//! format (DESIGN.md, "Sources"). Each message is made into the line `kcat -J` prints for it,
//! so a topic and a dump of it read alike, with the message's place in the store (`position`)
//! added.
//!
//! The client is [`rskafka`]: pure Rust (nothing to install, no librdkafka to build), it
//! fetches from partitions assigned by the caller, with no consumer group, and it never commits
//! an offset, produces or creates a topic unless asked — eventlens asks none of these. It reads
//! gzip, snappy, lz4 and zstd batches. It is async: the reader drives it on a one-thread tokio
//! runtime of its own, so the rest of eventlens stays synchronous. Its one limit that shows: a
//! record's headers come as a map by name, so headers are in name order and of a name given
//! twice only the last is kept.

mod merge;
mod murmur2;
mod read;

use std::fmt;

pub use murmur2::{murmur2, partition_of};
pub use read::Records;

/// Where reading each partition starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Start {
    /// The earliest message the broker keeps.
    #[default]
    Beginning,
    /// This offset in every partition read (`--from-offset`); the earliest kept when that is
    /// later.
    Offset(i64),
    /// The first message at or after this time in each partition (`--from-time`), found by
    /// the broker's offset lookup by timestamp.
    Time { millis: i64, shown: String },
}

/// How to read a topic, from the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KafkaOptions {
    /// Read every partition even when one key is asked for (`--all-partitions`).
    pub all_partitions: bool,
    pub start: Start,
}

/// A Kafka topic to read: the brokers to bootstrap from, the topic, how to read it, and the
/// key whose partition alone is read, when one is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub brokers: Vec<String>,
    pub topic: String,
    pub options: KafkaOptions,
    /// `--stream KEY`: only the partition the default partitioner gives this key is read,
    /// unless `options.all_partitions`.
    pub key: Option<String>,
}

/// The port a broker listens on when the URL names none.
const DEFAULT_PORT: u16 = 9092;

/// Whether `text` names a Kafka topic.
pub fn is_url(text: &str) -> bool {
    text.get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("kafka://"))
}

impl Topic {
    /// Reads `kafka://HOST:PORT[,HOST:PORT…]/TOPIC`.
    pub fn parse(url: &str, options: KafkaOptions) -> Result<Self, String> {
        let rest = url.get(8..).filter(|_| is_url(url)).ok_or_else(|| {
            "a Kafka source looks like kafka://HOST:PORT[,HOST:PORT…]/TOPIC".to_owned()
        })?;
        let (hosts, topic) = rest
            .split_once('/')
            .ok_or_else(|| "no topic: kafka://HOST:PORT/TOPIC names one after the /".to_owned())?;
        if topic.is_empty() {
            return Err("no topic: kafka://HOST:PORT/TOPIC names one after the /".to_owned());
        }
        if let Some(bad) = topic
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        {
            return Err(format!(
                "{topic:?} is not a Kafka topic name: {bad:?} is not one of a-z A-Z 0-9 . _ -"
            ));
        }
        let brokers = hosts
            .split(',')
            .map(broker)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            brokers,
            topic: topic.to_owned(),
            options,
            key: None,
        })
    }

    /// The name the topic is shown and reported under (the URL, without options).
    pub fn name(&self) -> String {
        format!("kafka://{}/{}", self.brokers.join(","), self.topic)
    }

    /// The key whose partition alone is read, if one is.
    pub fn narrowed_to(&self) -> Option<&str> {
        self.key.as_deref().filter(|_| !self.options.all_partitions)
    }
}

/// One bootstrap broker, `HOST[:PORT]`, with the default port when none is given.
fn broker(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("no broker: kafka://HOST:PORT/TOPIC names one before the /".to_owned());
    }
    // An IPv6 address is written in brackets, as in any URL.
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, Some(port)),
        _ => (text, None),
    };
    let port = match port {
        Some(port) => port
            .parse::<u16>()
            .map_err(|_| format!("{port:?} is not a port (in {text:?})"))?,
        None => DEFAULT_PORT,
    };
    Ok(format!("{host}:{port}"))
}

impl fmt::Display for Start {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Beginning => f.write_str("from the beginning"),
            Self::Offset(offset) => write!(f, "from offset {offset}"),
            Self::Time { shown, .. } => write!(f, "from {shown}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_brokers_and_a_topic() {
        let topic = Topic::parse(
            "kafka://127.0.0.1:19092,kafka-2/orders.v1",
            KafkaOptions::default(),
        )
        .unwrap();
        assert_eq!(topic.brokers, ["127.0.0.1:19092", "kafka-2:9092"]);
        assert_eq!(topic.topic, "orders.v1");
        assert_eq!(
            topic.name(),
            "kafka://127.0.0.1:19092,kafka-2:9092/orders.v1"
        );
        assert!(is_url("KAFKA://h/t") && !is_url("postgres://h/t") && !is_url("kafka"));
        for (url, says) in [
            ("kafka://host:9092", "no topic"),
            ("kafka://host:9092/", "no topic"),
            ("kafka:///orders", "no broker"),
            ("kafka://host:port/orders", "not a port"),
            ("kafka://host/or ders", "not a Kafka topic name"),
        ] {
            let error = Topic::parse(url, KafkaOptions::default()).unwrap_err();
            assert!(error.contains(says), "{url}: {error}");
        }
    }

    #[test]
    fn a_key_narrows_unless_every_partition_is_asked_for() {
        let mut topic = Topic::parse("kafka://h/t", KafkaOptions::default()).unwrap();
        topic.key = Some("order-1".to_owned());
        assert_eq!(topic.narrowed_to(), Some("order-1"));
        topic.options.all_partitions = true;
        assert_eq!(topic.narrowed_to(), None);
    }
}
