//! Points of a stream's history: "at seq N", "at time T", "at position P", "at the end",
//! each turned into how many of the stream's events have been applied there.

use std::fmt;

use crate::store::{Instant, Store, Stream};

/// A point in one stream's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    /// After the event with this seq (the last one, if the seq repeats). Seq 0 in a stream
    /// that has none means the start, before any event.
    Seq(u64),
    /// After the last event whose time is at or before this instant.
    Time(Instant),
    /// After the stream's events whose position is at or before this one.
    Position(u64),
    /// After the stream's last event.
    End,
}

/// A point that names nothing in the stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointError {
    #[error(
        "stream \"{stream}\" has no event with seq {seq} (its seqs run from {first} to {last})"
    )]
    NoSuchSeq {
        stream: String,
        seq: u64,
        first: u64,
        last: u64,
    },
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Seq(seq) => write!(f, "seq {seq}"),
            Self::Time(instant) => write!(f, "time {instant}ns"),
            Self::Position(position) => write!(f, "position {position}"),
            Self::End => f.write_str("the end"),
        }
    }
}

impl Point {
    /// How many of `stream`'s events are applied at this point (0: the initial state).
    pub fn count(self, store: &Store, stream: &Stream) -> Result<usize, PointError> {
        let events = store.events();
        let event_at = |k: usize| &events[stream.events[k] as usize];
        let last_where = |keep: &dyn Fn(usize) -> bool| {
            (0..stream.events.len())
                .rev()
                .find(|&k| keep(k))
                .map_or(0, |k| k + 1)
        };
        match self {
            Self::End => Ok(stream.events.len()),
            Self::Time(instant) => Ok(last_where(&|k| {
                event_at(k).instant().is_some_and(|t| t <= instant)
            })),
            Self::Position(position) => Ok(last_where(&|k| {
                store.position(stream.events[k]) <= position
            })),
            Self::Seq(seq) => match (0..stream.events.len())
                .rev()
                .find(|&k| event_at(k).seq == seq)
            {
                Some(k) => Ok(k + 1),
                None if seq == 0 => Ok(0),
                None => {
                    let seqs = stream.events.iter().map(|&i| events[i as usize].seq);
                    let (first, last) = (seqs.clone().min().unwrap_or(0), seqs.max().unwrap_or(0));
                    Err(PointError::NoSuchSeq {
                        stream: stream.id.to_string(),
                        seq,
                        first,
                        last,
                    })
                }
            },
        }
    }
}
