//! A finding: one thing `check` reports about a store, with where it is.

use std::fmt;

use serde::Serialize;

/// How serious a finding is. `check` exits 1 when any finding is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    /// The lowercase name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }
}

/// What kind of problem a finding is; the names are part of the command-line contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// A record that is not valid JSON or not UTF-8.
    ParseError,
    /// A record without a field an event needs, or with one of the wrong type.
    MissingField,
    /// A stream's seq jumps ahead by more than one.
    SeqGap,
    /// A seq that the stream already had.
    SeqDuplicate,
    /// A seq lower than the one before it in the stream.
    SeqBackwards,
    /// A time earlier than the one before it in the stream.
    TimeBackwards,
    /// An event id that an earlier event already had.
    DuplicateId,
    /// The file ends without finishing its last record.
    TruncatedTail,
    /// A projection failed on an event.
    ProjectionError,
}

impl Code {
    /// The `snake_case` name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ParseError => "parse_error",
            Self::MissingField => "missing_field",
            Self::SeqGap => "seq_gap",
            Self::SeqDuplicate => "seq_duplicate",
            Self::SeqBackwards => "seq_backwards",
            Self::TimeBackwards => "time_backwards",
            Self::DuplicateId => "duplicate_id",
            Self::TruncatedTail => "truncated_tail",
            Self::ProjectionError => "projection_error",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reported problem. Field order is the JSON order of `check --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub code: Code,
    /// The stream, where the record got far enough to have one.
    pub stream: Option<String>,
    /// The seq, where the record got far enough to have one.
    pub seq: Option<u64>,
    /// 1-based line of the record in the file.
    pub line: u64,
    pub message: String,
}

impl Finding {
    /// A finding about a record that is not (yet) an event.
    pub fn at_line(severity: Severity, code: Code, line: u64, message: impl Into<String>) -> Self {
        Self {
            severity,
            code,
            stream: None,
            seq: None,
            line,
            message: message.into(),
        }
    }

    /// The same finding, placed in a stream at a seq.
    #[must_use]
    pub fn in_stream(mut self, stream: &str, seq: Option<u64>) -> Self {
        self.stream = Some(stream.to_owned());
        self.seq = seq;
        self
    }
}
