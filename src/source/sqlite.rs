//! `SQLite` stores of Python's `eventsourcing`: the table `stored_events` (or another with its
//! columns) read page by page, read-only, each row made into a JSON record
//! `{"originator_id","originator_version","topic","state","notification_id"}` for the store
//! to index as the `eventsourcing` format (so `--*-field` pointers work on rows too: the
//! event's time, say, is `--time-field /state/timestamp/_data_`).
//!
//! The database is opened with `mode=ro`, and `immutable=1` where nothing can be writing to it
//! (no write-ahead log beside it, and not followed), so that reading never takes a lock or
//! writes a `-shm` file. Rows come in the order of their notification id (the `rowid` of
//! `eventsourcing`'s application recorder), or by originator and version for a table without
//! rowids (its aggregate recorder).

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::{Mode, SourceError};
use crate::finding::{Code, Finding, Severity};
use crate::store::{Bytes, Container, Detection, Format, Index, ReadOptions, Store};

/// Rows read at a time: one segment of text each.
const PAGE_ROWS: usize = 20_000;
/// The columns a table of `eventsourcing` stored events has.
const COLUMNS: [&str; 4] = ["originator_id", "originator_version", "topic", "state"];

/// A `SQLite` store being read.
pub struct Rows {
    name: String,
    path: PathBuf,
    connection: Connection,
    table: String,
    with_rowid: bool,
    index: Index,
    /// The key of the last row read: its rowid, or its originator and version.
    after: Option<(i64, String, i64)>,
    read: u64,
    count: u64,
}

impl Rows {
    /// Opens the database at `path` read-only and finds its table of stored events.
    pub fn open(
        name: &str,
        path: &Path,
        options: &ReadOptions,
        mode: Mode,
    ) -> Result<Self, SourceError> {
        let fail = |message: String| SourceError::Sqlite {
            name: name.to_owned(),
            message,
        };
        let connection = connect(path, mode == Mode::Read).map_err(|e| fail(e.to_string()))?;
        let table = find_table(&connection).map_err(fail)?;
        let with_rowid = has_rowid(&connection, &table).map_err(|e| fail(e.to_string()))?;
        if mode == Mode::Follow && !with_rowid {
            return Err(SourceError::NoFollow {
                name: name.to_owned(),
                why: format!(
                    "table {table} has no rowid (eventsourcing's aggregate recorder), so new rows have no order to follow"
                ),
            });
        }
        let count = connection
            .query_row(
                &format!("SELECT count(*) FROM {}", quoted(&table)),
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(|e| fail(e.to_string()))?;
        let detection = Detection {
            format: options.format.unwrap_or(Format::Eventsourcing),
            container: Container::Rows(format!("SQLite table {table}")),
            sampled: None,
        };
        let index = Index::new(name, detection, options.fields.clone()).of_rows();
        Ok(Self {
            name: name.to_owned(),
            path: path.to_owned(),
            connection,
            table,
            with_rowid,
            index,
            after: None,
            read: 0,
            count: u64::try_from(count).unwrap_or(0),
        })
    }

    /// Reopens the database so that it sees new rows (it was opened as immutable).
    pub fn follow(&mut self) -> Result<(), SourceError> {
        if !self.with_rowid {
            return Err(SourceError::NoFollow {
                name: self.name.clone(),
                why: format!(
                    "table {} has no rowid, so new rows have no order",
                    self.table
                ),
            });
        }
        self.connection = connect(&self.path, false).map_err(|e| SourceError::Sqlite {
            name: self.name.clone(),
            message: e.to_string(),
        })?;
        Ok(())
    }

    /// Reads the next page of rows into the store. `false` once a page came back short: every
    /// row there is now has been read.
    pub fn step(&mut self) -> Result<bool, SourceError> {
        let page = self.page().map_err(|e| SourceError::Sqlite {
            name: self.name.clone(),
            message: e.to_string(),
        })?;
        let full = page.rows == PAGE_ROWS;
        self.read += page.rows as u64;
        self.count = self.count.max(self.read);
        if !page.text.is_empty() {
            let len = page.text.len();
            let text = Arc::new(Bytes::Owned(page.text));
            self.index.append(text, 0..len, &Container::Lines, false);
        }
        for finding in page.problems {
            self.index.add_problem(finding);
        }
        Ok(full)
    }

    /// One page of rows after the last one read, as records.
    fn page(&mut self) -> rusqlite::Result<Page> {
        let table = quoted(&self.table);
        let columns = "originator_id, originator_version, topic, state";
        let (sql, rowid, keyed) = match (&self.after, self.with_rowid) {
            (None, true) => (
                format!("SELECT rowid, {columns} FROM {table} ORDER BY rowid LIMIT {PAGE_ROWS}"),
                true,
                false,
            ),
            (Some(_), true) => (
                format!(
                    "SELECT rowid, {columns} FROM {table} WHERE rowid > ?1 ORDER BY rowid LIMIT {PAGE_ROWS}"
                ),
                true,
                true,
            ),
            (None, false) => (
                format!(
                    "SELECT 0, {columns} FROM {table} ORDER BY originator_id, originator_version LIMIT {PAGE_ROWS}"
                ),
                false,
                false,
            ),
            (Some(_), false) => (
                format!(
                    "SELECT 0, {columns} FROM {table} WHERE (originator_id, originator_version) > (?2, ?3) ORDER BY originator_id, originator_version LIMIT {PAGE_ROWS}"
                ),
                false,
                true,
            ),
        };
        let mut statement = self.connection.prepare_cached(&sql)?;
        let (after_rowid, after_id, after_version) =
            self.after.clone().unwrap_or((0, String::new(), 0));
        let mut rows = if !keyed {
            statement.query([])?
        } else if rowid {
            statement.query(rusqlite::params![after_rowid])?
        } else {
            statement.query(rusqlite::params![after_rowid, after_id, after_version])?
        };
        let mut page = Page::default();
        while let Some(row) = rows.next()? {
            let key: i64 = row.get(0)?;
            let id = text_of(row.get_ref(1)?);
            let version = row.get_ref(2)?.as_i64().unwrap_or(0);
            let topic = text_of(row.get_ref(3)?);
            let state = match row.get_ref(4)? {
                ValueRef::Blob(bytes) | ValueRef::Text(bytes) => bytes.to_vec(),
                _ => Vec::new(),
            };
            page.add(rowid.then_some(key), &id, version, &topic, &state);
            self.after = Some((key, id, version));
        }
        Ok(page)
    }

    /// Rows read so far.
    pub fn done(&self) -> u64 {
        self.read
    }

    /// Rows in the table (as counted when it was opened, or read since).
    pub fn total(&self) -> u64 {
        self.count
    }

    /// The store as read so far.
    pub fn store(&self) -> &Store {
        self.index.store()
    }

    /// The index.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// The index, to finish.
    pub fn into_index(self) -> Index {
        self.index
    }
}

/// Rows made into records: one JSON object a line (`eventsourcing`'s PostgreSQL stores too).
#[derive(Default)]
pub(super) struct Page {
    pub(super) text: Vec<u8>,
    pub(super) rows: usize,
    pub(super) problems: Vec<Finding>,
}

impl Page {
    pub(super) fn add(
        &mut self,
        rowid: Option<i64>,
        id: &str,
        version: i64,
        topic: &str,
        state: &[u8],
    ) {
        self.rows += 1;
        let mut record = String::with_capacity(state.len() + id.len() + topic.len() + 96);
        let quote = |s: &str| serde_json::Value::from(s).to_string();
        let _ = write!(
            record,
            "{{\"originator_id\":{},\"originator_version\":{version},\"topic\":{}",
            quote(id),
            quote(topic)
        );
        match state_json(state) {
            Ok(json) => {
                record.push_str(",\"state\":");
                record.push_str(&json);
            }
            Err(why) => {
                let mut finding = Finding::at(
                    Severity::Warning,
                    Code::MissingField,
                    None,
                    rowid.and_then(|r| u64::try_from(r).ok()),
                    format!("the state is {why}; the event has no data"),
                );
                finding = finding.in_stream(id, u64::try_from(version).ok());
                self.problems.push(finding);
            }
        }
        if let Some(rowid) = rowid {
            let _ = write!(record, ",\"notification_id\":{rowid}");
        }
        record.push_str("}\n");
        self.text.extend_from_slice(record.as_bytes());
    }
}

/// A state column as JSON text: as stored, or inflated first where `eventsourcing` compressed
/// it with zlib. `Err` says what it is instead (encrypted states cannot be read).
pub(super) fn state_json(state: &[u8]) -> Result<String, &'static str> {
    let is_json =
        |bytes: &[u8]| serde_json::from_slice::<&serde_json::value::RawValue>(bytes).is_ok();
    if is_json(state) {
        return std::str::from_utf8(state)
            .map(|s| s.trim().to_owned())
            .map_err(|_| "not UTF-8");
    }
    let mut inflated = Vec::new();
    if state.first() == Some(&0x78)
        && flate2::read::ZlibDecoder::new(state)
            .read_to_end(&mut inflated)
            .is_ok()
        && is_json(&inflated)
    {
        return String::from_utf8(inflated)
            .map(|s| s.trim().to_owned())
            .map_err(|_| "not UTF-8");
    }
    Err("not JSON (eventsourcing may have encrypted it)")
}

fn text_of(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Text(text) => String::from_utf8_lossy(text).into_owned(),
        ValueRef::Blob(bytes) => bytes.iter().fold(String::new(), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        }),
        ValueRef::Integer(n) => n.to_string(),
        ValueRef::Real(x) => x.to_string(),
        ValueRef::Null => String::new(),
    }
}

/// Opens `path` read-only; `immutable` where nothing may write to it meanwhile.
fn connect(path: &Path, immutable: bool) -> rusqlite::Result<Connection> {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let mut wal = absolute.clone().into_os_string();
    wal.push("-wal");
    let immutable = immutable && !Path::new(&wal).exists();
    let mut uri = String::from("file:");
    for c in absolute.display().to_string().chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push_str(if immutable {
        "?mode=ro&immutable=1"
    } else {
        "?mode=ro"
    });
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(uri, flags)?;
    connection.pragma_update(None, "query_only", true)?;
    Ok(connection)
}

/// The table of stored events: `stored_events` if it has the columns, else the only other
/// table that has them.
fn find_table(connection: &Connection) -> Result<String, String> {
    let tables: Vec<String> = connection
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| {
            s.query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()
        })
        .map_err(|e| format!("not a readable SQLite database: {e}"))?;
    let mut fitting: Vec<&String> = tables
        .iter()
        .filter(|t| {
            columns_of(connection, t)
                .is_ok_and(|c| COLUMNS.iter().all(|n| c.iter().any(|h| h == n)))
        })
        .collect();
    fitting.sort_by_key(|t| *t != "stored_events");
    fitting.first().map(|t| (*t).clone()).ok_or_else(|| {
        format!(
            "no table of Python eventsourcing's stored events (with columns {}) among its tables: {}",
            COLUMNS.join(", "),
            if tables.is_empty() {
                "(none)".to_owned()
            } else {
                tables.join(", ")
            }
        )
    })
}

fn columns_of(connection: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut statement = connection.prepare(&format!("PRAGMA table_info({})", quoted(table)))?;
    statement
        .query_map([], |r| r.get::<_, String>(1))?
        .collect()
}

fn has_rowid(connection: &Connection, table: &str) -> rusqlite::Result<bool> {
    let sql: String = connection.query_row(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [table],
        |r| r.get(0),
    )?;
    Ok(!sql.to_ascii_uppercase().contains("WITHOUT ROWID"))
}

/// `name` as an SQL identifier.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
