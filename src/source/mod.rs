//! Where events come from. [`Source`] classifies what the user gave (a path, `-`); a
//! [`Reader`] reads it into a [`Store`] a step at a time — with progress, cancel, and the first
//! events early — and follows it as it grows when asked. What a path holds is told by its first
//! bytes: a gzip or zstd archive, a `SQLite` store, else a store file in one of the text formats.
//! A `postgres://` URL is a PostgreSQL store ([`postgres`]), a `kafka://` URL a Kafka topic
//! ([`kafka`]).
//!
//! The boundary with [`crate::store`]: a source turns what it reads into *segments of text*
//! holding whole records — a mapped file, bytes read from a pipe or an archive, a database's
//! rows or a topic's messages made into JSON records — and hands them to the store's [`crate::store::Index`], which
//! reads the envelopes and appends events with indices that never change. The store does no
//! I/O; a source never reads an envelope.

mod archive;
mod feed;
mod file;
pub mod kafka;
pub mod postgres;
mod reader;
mod retry;
mod sqlite;
mod stdin;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::store::{ReadOptions, Store, StoreError};

pub use feed::Feed;
pub use reader::{Growth, Mode, Reader};

/// How often a follower looks for new events unless told otherwise (`--poll-ms`).
pub const POLL: Duration = Duration::from_millis(250);
/// The name standard input is shown and reported under.
pub const STDIN_NAME: &str = "<stdin>";

/// Where a store comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file: a store in one of the text formats (plain, gzip or zstd), or a `SQLite` store.
    Path(PathBuf),
    /// Standard input (`-`), read to its end or followed.
    Stdin,
    /// Bytes built into the program (the bundled sample), under a name.
    Bundled {
        name: &'static str,
        bytes: &'static [u8],
    },
    /// A PostgreSQL event store.
    Database(Box<postgres::Database>),
    /// A Kafka topic.
    Kafka(Box<kafka::Topic>),
}

impl Source {
    /// A SOURCE as the user gave it (the command line, a path typed or dropped): `-` is
    /// standard input, anything else a path.
    pub fn from_path(path: PathBuf) -> Self {
        if path.as_os_str() == "-" {
            Self::Stdin
        } else {
            Self::Path(path)
        }
    }

    /// A SOURCE as the user gave it, which may be a `postgres://` URL (read as `database`
    /// says) or a `kafka://` one (read as `kafka` says); `Err` says what is wrong with the URL.
    pub fn from_arg(
        text: &std::ffi::OsStr,
        database: &postgres::DbOptions,
        kafka: &kafka::KafkaOptions,
    ) -> Result<Self, String> {
        match text.to_str() {
            Some(url) if postgres::is_url(url) => postgres::Database::parse(url, database.clone())
                .map(|db| Self::Database(Box::new(db)))
                .map_err(|e| format!("{}: {e}", redact(url))),
            Some(url) if kafka::is_url(url) => kafka::Topic::parse(url, kafka.clone())
                .map(|topic| Self::Kafka(Box::new(topic)))
                .map_err(|e| format!("{url}: {e}")),
            _ => Ok(Self::from_path(PathBuf::from(text))),
        }
    }

    /// The same source, narrowed to what the database should read; a topic read for one key
    /// reads the key's partition (files are read whole).
    #[must_use]
    pub fn narrowed(mut self, narrow: postgres::Narrow) -> Self {
        match &mut self {
            Self::Database(db) => db.narrow = narrow,
            Self::Kafka(topic) => {
                topic.key = match narrow {
                    postgres::Narrow::Stream(key) => Some(key),
                    postgres::Narrow::All | postgres::Narrow::Category(_) => None,
                };
            }
            Self::Path(_) | Self::Stdin | Self::Bundled { .. } => {}
        }
        self
    }

    /// The name the store is shown and reported under.
    pub fn name(&self) -> String {
        match self {
            Self::Path(path) => path.display().to_string(),
            Self::Stdin => STDIN_NAME.to_owned(),
            Self::Bundled { name, .. } => (*name).to_owned(),
            Self::Database(db) => db.name(),
            Self::Kafka(topic) => topic.name(),
        }
    }

    /// The key under which settings remember this source ("recent", the last position), or
    /// `None` for a source that cannot be opened again (standard input).
    pub fn settings_key(&self) -> Option<String> {
        match self {
            Self::Path(path) => Some(
                std::fs::canonicalize(path)
                    .unwrap_or_else(|_| path.clone())
                    .display()
                    .to_string(),
            ),
            Self::Stdin => None,
            Self::Bundled { name, .. } => Some((*name).to_owned()),
            Self::Database(db) => Some(db.name()),
            Self::Kafka(topic) => Some(topic.name()),
        }
    }

    /// The files being read, which nothing eventlens saves may ever overwrite.
    pub fn protected_paths(&self) -> Vec<PathBuf> {
        match self {
            Self::Path(path) => vec![path.clone()],
            Self::Stdin | Self::Bundled { .. } | Self::Database(_) | Self::Kafka(_) => Vec::new(),
        }
    }

    /// The path, for a file.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Self::Path(path) => Some(path),
            Self::Stdin | Self::Bundled { .. } | Self::Database(_) | Self::Kafka(_) => None,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Why a source could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{name}: {source}")]
    Io {
        name: String,
        source: std::io::Error,
    },
    #[error("{name}: {message}")]
    Sqlite { name: String, message: String },
    #[error("{name}: cannot be followed: {why}")]
    NoFollow { name: String, why: String },
    /// A database that cannot be read as asked (no server, a bad password, no such table).
    #[error("{name}: {message}")]
    Database { name: String, message: String },
    /// A Kafka topic that cannot be read as asked (no broker, no such topic).
    #[error("{name}: {message}")]
    Broker { name: String, message: String },
    /// The connection to a database is gone; reading goes on from the last position once it
    /// is back (a follower looks again at its next poll).
    #[error(
        "{name}: lost the connection ({why}); reading goes on from the last position once it is back"
    )]
    Lost { name: String, why: String },
    /// An archive broken before any record in it could be read.
    #[error("{name}: {message}")]
    Broken { name: String, message: String },
}

impl SourceError {
    /// Whether reading can go on later as if nothing happened (a lost connection).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Lost { .. })
    }

    fn io(name: &str, source: std::io::Error) -> Self {
        Self::Io {
            name: name.to_owned(),
            source,
        }
    }
}

/// `url` without the password it may hold, to be shown.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split_once(':').map_or(user, |(u, _)| u);
            format!("{user}@{host}")
        }
        None => authority.to_owned(),
    };
    let path = match path.split_once('?') {
        Some((before, query)) => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|p| !p.starts_with("password="))
                .collect();
            format!("{before}?{}", kept.join("&"))
        }
        None => path.to_owned(),
    };
    format!("{scheme}://{authority}{path}")
}

/// What a fed source gave in one step.
pub(crate) enum Piece {
    /// Some bytes (or, reading a pipe to its end, a moment with none: look around, go on).
    More,
    /// Nothing more for now (a follower has caught up with a file or a pipe).
    Wait,
    /// The file is not the one read so far (rewritten in place), for this reason.
    Changed(String),
    End,
}

/// Reads `source` to its end and returns the store, with why it stopped early if it did (a
/// broken archive: the events before the break are in the store).
pub fn read(
    source: &Source,
    options: &ReadOptions,
) -> Result<(Store, Option<String>), SourceError> {
    read_to_end(Reader::open(source, options, Mode::Read)?)
}

/// What [`read`] gives, from a reader already opened.
pub fn read_to_end(mut reader: Reader) -> Result<(Store, Option<String>), SourceError> {
    while reader.step()? {}
    let broken = reader.broken().map(str::to_owned);
    Ok((reader.finish()?, broken))
}
