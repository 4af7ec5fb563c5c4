//! A finding: one thing `check` reports about a store, with where it is. A leaf module: the
//! store records what it met while reading as findings, and the audit adds its own.

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
    /// A causation id that names no event of the store.
    CausationUnknown,
    /// An event caused by an event that comes after it in the store.
    CausationLater,
    /// An event whose cause has another correlation id.
    CorrelationMismatch,
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
            Self::CausationUnknown => "causation_unknown",
            Self::CausationLater => "causation_later",
            Self::CorrelationMismatch => "correlation_mismatch",
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
    /// 1-based line of the record in the file; `None` for a source without lines (a
    /// database's rows), printed as `null`.
    pub line: Option<u64>,
    pub message: String,
    /// The global position of the record, where the source has one of its own (a database's
    /// row); orders findings without lines.
    #[serde(skip)]
    pub position: Option<u64>,
    /// The event the finding is about (its index in the store), when it is one.
    #[serde(skip)]
    pub event: Option<u32>,
    /// The other event the message names ("id … was already used at line 1138": that
    /// earlier event), by its index in the store, so a reader can go there.
    #[serde(skip)]
    pub related: Option<u32>,
}

impl Finding {
    /// A finding about the record at `line` that is not (yet) an event.
    pub fn at_line(severity: Severity, code: Code, line: u64, message: impl Into<String>) -> Self {
        Self::at(severity, code, Some(line), None, message)
    }

    /// A finding about a record at `line` (files) or `position` (rows of a database).
    pub fn at(
        severity: Severity,
        code: Code,
        line: Option<u64>,
        position: Option<u64>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity,
            code,
            stream: None,
            seq: None,
            line,
            message: message.into(),
            position,
            event: None,
            related: None,
        }
    }

    /// Where the record is, for people: "line 12", "position 4711".
    pub fn place(&self) -> String {
        match (self.line, self.position) {
            (Some(line), _) => format!("line {line}"),
            (None, Some(position)) => format!("position {position}"),
            (None, None) => "the end".to_owned(),
        }
    }

    /// The order findings are listed in: by line, or by position where there are no lines.
    pub fn sort(findings: &mut [Self]) {
        findings.sort_by(|a, b| {
            (a.line, a.position, a.code, &a.message).cmp(&(b.line, b.position, b.code, &b.message))
        });
    }

    /// The same finding, placed in a stream at a seq.
    #[must_use]
    pub fn in_stream(mut self, stream: &str, seq: Option<u64>) -> Self {
        self.stream = Some(stream.to_owned());
        self.seq = seq;
        self
    }

    /// The same finding, about the event with index `event` in the store.
    #[must_use]
    pub fn on_event(mut self, event: u32) -> Self {
        self.event = Some(event);
        self
    }

    /// The same finding, naming the event with index `other` in the store as the record its
    /// message is about besides its own.
    #[must_use]
    pub fn naming(mut self, other: u32) -> Self {
        self.related = Some(other);
        self
    }
}
