//! The store formats eventlens reads, and how one is chosen from the first records.

use std::fmt;
use std::str::FromStr;

use super::record::RawObject;

/// A store format: how a record's members map to an event's envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// eventlens's own: one `{"stream","seq","type","time","id","data","meta"}` object a line.
    Jsonl,
    /// The same objects in a JSON array, or in `{"events": [...]}`.
    Json,
    /// `CloudEvents` 1.0 structured JSON, a line each or as a batch array.
    CloudEvents,
    /// `KurrentDB` / `EventStoreDB` rich JSON entries.
    Kurrent,
    /// Rows of message-db's `messages` table as JSON (`row_to_json`).
    MessageDb,
    /// The JSON envelopes `kcat -J` prints, a line each.
    Kcat,
    /// Rows of Python `eventsourcing`'s stored events as JSON (`originator_id`,
    /// `originator_version`, `topic`, `state`, `notification_id`): how its `SQLite` stores are
    /// read.
    Eventsourcing,
}

impl Format {
    /// Every format, in the order `--format` lists them.
    pub const ALL: [Self; 7] = [
        Self::Jsonl,
        Self::Json,
        Self::CloudEvents,
        Self::Kurrent,
        Self::MessageDb,
        Self::Kcat,
        Self::Eventsourcing,
    ];

    /// The name used by `--format` and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jsonl => "jsonl",
            Self::Json => "json",
            Self::CloudEvents => "cloudevents",
            Self::Kurrent => "kurrent",
            Self::MessageDb => "message-db",
            Self::Kcat => "kcat",
            Self::Eventsourcing => "eventsourcing",
        }
    }

    /// The format a record most looks like, from the members it has.
    pub fn of_record(record: &RawObject) -> Self {
        let has = |name: &str| record.get(name).is_some();
        if has("specversion") {
            Self::CloudEvents
        } else if has("eventType") && (has("streamId") || has("eventNumber") || has("eventId")) {
            Self::Kurrent
        } else if has("stream_name") && (has("global_position") || has("position")) {
            Self::MessageDb
        } else if has("topic") && has("partition") && has("offset") {
            Self::Kcat
        } else if has("originator_id") && has("originator_version") {
            Self::Eventsourcing
        } else {
            Self::Jsonl
        }
    }

    /// The format most of `samples` look like (the first one seen wins a tie); `None` without
    /// samples.
    pub fn by_majority(samples: &[Self]) -> Option<Self> {
        let mut best: Option<(Self, usize)> = None;
        for candidate in samples {
            let votes = samples.iter().filter(|s| *s == candidate).count();
            if best.is_none_or(|(_, most)| votes > most) {
                best = Some((*candidate, votes));
            }
        }
        best.map(|(format, _)| format)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        let alias = match wanted.as_str() {
            "ndjson" | "json-lines" | "native" => "jsonl",
            "eventstore" | "eventstoredb" | "esdb" => "kurrent",
            "messagedb" => "message-db",
            "ce" | "cloud-events" => "cloudevents",
            other => other,
        };
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == alias)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|f| f.as_str()).collect();
                format!(
                    "unknown format '{s}' (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format_of(json: &str) -> Format {
        Format::of_record(&serde_json::from_str(json).unwrap())
    }

    #[test]
    fn records_are_recognized_by_their_members() {
        assert_eq!(
            format_of(r#"{"specversion":"1.0","type":"a","source":"s","id":"1"}"#),
            Format::CloudEvents
        );
        assert_eq!(
            format_of(r#"{"eventType":"A","streamId":"s","eventNumber":0}"#),
            Format::Kurrent
        );
        assert_eq!(
            format_of(r#"{"stream_name":"s","position":0,"global_position":1}"#),
            Format::MessageDb
        );
        assert_eq!(
            format_of(r#"{"topic":"t","partition":0,"offset":3,"payload":null}"#),
            Format::Kcat
        );
        assert_eq!(
            format_of(r#"{"stream":"s","type":"A","data":{}}"#),
            Format::Jsonl
        );
    }

    #[test]
    fn names_parse_with_aliases_and_the_majority_wins() {
        assert_eq!("message-db".parse::<Format>(), Ok(Format::MessageDb));
        assert_eq!("EventStoreDB".parse::<Format>(), Ok(Format::Kurrent));
        assert!(
            "yaml"
                .parse::<Format>()
                .unwrap_err()
                .contains("expected one of")
        );
        assert_eq!(
            Format::by_majority(&[Format::Jsonl, Format::Kcat, Format::Kcat]),
            Some(Format::Kcat)
        );
        assert_eq!(Format::by_majority(&[]), None);
    }
}
