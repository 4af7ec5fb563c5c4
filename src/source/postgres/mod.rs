//! PostgreSQL event stores: message-db, Emmett, Python `eventsourcing`, Marten, or any table
//! with the columns named. A [`Database`] is a connection URL, how its events are mapped (a
//! [`Preset`], chosen or detected from the tables present) and how much of it to read
//! ([`Narrow`]: `--stream` and `--category` are pushed down to SQL).
//!
//! Rows are read in pages by position (keyset), each page in a read-only repeatable-read
//! transaction whose snapshot also tells the [`horizon`] which positions may still fill in.
//! Each row is made into a JSON record named by its columns — for message-db exactly the
//! `row_to_json` of its `messages` table, so that a dump and the database read alike — with
//! jsonb as PostgreSQL prints it (numbers and member order as it keeps them). A lost
//! connection is opened again and reading goes on from the last position: nothing is lost or
//! read twice, because what was read is positions, not a session's state.

mod connect;
mod horizon;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::Arc;

use postgres::Client;
use postgres::fallible_iterator::FallibleIterator as _;
use postgres::types::ToSql;

use super::retry::{self, Step};
use super::sqlite::{Page, state_json};
use super::{Mode, SourceError};
use crate::finding::{Code, Finding, Severity};
use crate::store::{
    Bytes, Container, Detection, FieldPointers, Format, Index, ReadOptions, Store, StreamSummary,
    sorted_types,
};
pub use connect::{Target, is_url};
use horizon::{Horizon, Snapshot};

/// Rows read at a time.
const PAGE_ROWS: usize = 20_000;

/// How a database's tables map to events (DESIGN.md, "Sources").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    MessageDb,
    Emmett,
    Eventsourcing,
    Marten,
    /// Any table, with the columns named on the command line.
    Table,
}

impl Preset {
    pub const ALL: [Self; 5] = [
        Self::MessageDb,
        Self::Emmett,
        Self::Eventsourcing,
        Self::Marten,
        Self::Table,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::MessageDb => "message-db",
            Self::Emmett => "emmett",
            Self::Eventsourcing => "eventsourcing",
            Self::Marten => "marten",
            Self::Table => "table",
        }
    }

    /// The table and columns the preset reads: schema, table, then stream, seq, type, time,
    /// data, meta, id and position columns.
    fn defaults(self) -> (&'static str, &'static str, [&'static str; 8]) {
        match self {
            Self::MessageDb => (
                "message_store",
                "messages",
                [
                    "stream_name",
                    "position",
                    "type",
                    "time",
                    "data",
                    "metadata",
                    "id",
                    "global_position",
                ],
            ),
            Self::Emmett => (
                "public",
                "emt_messages",
                [
                    "stream_id",
                    "stream_position",
                    "message_type",
                    "created",
                    "message_data",
                    "message_metadata",
                    "message_id",
                    "global_position",
                ],
            ),
            Self::Eventsourcing => (
                "public",
                "stored_events",
                [
                    "originator_id",
                    "originator_version",
                    "topic",
                    "",
                    "state",
                    "",
                    "",
                    "notification_id",
                ],
            ),
            Self::Marten => (
                "public",
                "mt_events",
                [
                    "stream_id",
                    "version",
                    "type",
                    "timestamp",
                    "data",
                    "headers",
                    "id",
                    "seq_id",
                ],
            ),
            Self::Table => ("public", "", [""; 8]),
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Preset {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        let wanted = if wanted == "messagedb" {
            "message-db"
        } else {
            &wanted
        };
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == wanted)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|p| p.as_str()).collect();
                format!(
                    "unknown preset '{s}' (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}

/// Columns named on the command line (`--stream-column` …), over the preset's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Columns {
    pub stream: Option<String>,
    pub seq: Option<String>,
    pub type_: Option<String>,
    pub time: Option<String>,
    pub data: Option<String>,
    pub meta: Option<String>,
    pub id: Option<String>,
    pub position: Option<String>,
}

impl Columns {
    fn all(&self) -> [&Option<String>; 8] {
        [
            &self.stream,
            &self.seq,
            &self.type_,
            &self.time,
            &self.data,
            &self.meta,
            &self.id,
            &self.position,
        ]
    }
}

/// How to find the events in a database: `--preset`, `--schema`, `--table`, `--*-column`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DbOptions {
    pub preset: Option<Preset>,
    pub schema: Option<String>,
    pub table: Option<String>,
    pub columns: Columns,
}

/// How much of the store to read: the database does the narrowing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Narrow {
    #[default]
    All,
    Stream(String),
    /// Streams whose id up to the first `-` is this (message-db's rule).
    Category(String),
}

/// A PostgreSQL event store to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    pub target: Target,
    pub options: DbOptions,
    pub narrow: Narrow,
}

impl Database {
    /// The store named by `url`, read as `options` say.
    pub fn parse(url: &str, options: DbOptions) -> Result<Self, String> {
        Ok(Self {
            target: Target::parse(url)?,
            options,
            narrow: Narrow::All,
        })
    }

    /// The URL without its password.
    pub fn name(&self) -> String {
        self.target.name().to_owned()
    }
}

/// The category of a stream id: up to its first `-`.
pub fn category(stream: &str) -> &str {
    stream
        .split_once('-')
        .map_or(stream, |(category, _)| category)
}

/// What a column can hold, from its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Integer,
    Json,
    Bytes,
    Time,
    Uuid,
    Other,
}

impl Kind {
    fn of(type_name: &str) -> Self {
        let base = type_name.split('(').next().unwrap_or(type_name).trim();
        match base {
            "text" | "character varying" | "character" | "name" | "citext" => Self::Text,
            "smallint" | "integer" | "bigint" => Self::Integer,
            "json" | "jsonb" => Self::Json,
            "bytea" => Self::Bytes,
            "uuid" => Self::Uuid,
            b if b.starts_with("timestamp") || b == "date" => Self::Time,
            _ => Self::Other,
        }
    }
}

/// A mapped column.
#[derive(Debug, Clone)]
struct Column {
    name: String,
    type_name: String,
    kind: Kind,
}

impl Column {
    fn sql(&self) -> String {
        format!("e.{}", ident(&self.name))
    }
}

/// The event fields, in the order the columns are selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Stream,
    Seq,
    Type,
    Time,
    Data,
    Meta,
    Id,
    Position,
}

impl Role {
    const ALL: [Self; 8] = [
        Self::Stream,
        Self::Seq,
        Self::Type,
        Self::Time,
        Self::Data,
        Self::Meta,
        Self::Id,
        Self::Position,
    ];

    fn flag(self) -> &'static str {
        match self {
            Self::Stream => "--stream-column",
            Self::Seq => "--seq-column",
            Self::Type => "--type-column",
            Self::Time => "--time-column",
            Self::Data => "--data-column",
            Self::Meta => "--meta-column",
            Self::Id => "--id-column",
            Self::Position => "--position-column",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Self::Stream => "the stream id",
            Self::Seq => "the seq",
            Self::Type => "the type",
            Self::Time => "the time",
            Self::Data => "the data",
            Self::Meta => "the metadata",
            Self::Id => "the event id",
            Self::Position => "the global position",
        }
    }

    /// The kinds of column that can hold this field, and how to say so.
    fn accepts(self, kind: Kind) -> Result<(), &'static str> {
        let fits = match self {
            Self::Stream | Self::Id => {
                matches!(kind, Kind::Text | Kind::Uuid | Kind::Integer)
            }
            Self::Seq | Self::Position => kind == Kind::Integer,
            Self::Type => kind == Kind::Text,
            Self::Time => matches!(kind, Kind::Time | Kind::Text),
            Self::Data | Self::Meta => matches!(kind, Kind::Json | Kind::Text | Kind::Bytes),
        };
        if fits {
            return Ok(());
        }
        Err(match self {
            Self::Stream | Self::Id => "text, a uuid or an integer",
            Self::Seq | Self::Position => "an integer (smallint, integer or bigint)",
            Self::Type => "text",
            Self::Time => "a timestamp (or text)",
            Self::Data | Self::Meta => "json, jsonb, text or bytea",
        })
    }

    /// Required of every preset: without them there is no stream, order or paging.
    fn required(self) -> bool {
        matches!(self, Self::Stream | Self::Position)
    }
}

/// How a table is read: the preset and the columns that fill each field.
#[derive(Debug, Clone)]
struct Mapping {
    preset: Preset,
    /// `schema.table`, for people.
    shown: String,
    /// `"schema"."table"`, for SQL.
    relation: String,
    columns: [Option<Column>; 8],
    /// Marten's correlation and causation columns, merged into the metadata.
    extra_meta: Vec<Column>,
}

impl Mapping {
    fn column(&self, role: Role) -> Option<&Column> {
        self.columns[role as usize].as_ref()
    }

    fn position(&self) -> String {
        self.column(Role::Position)
            .map(Column::sql)
            .unwrap_or_default()
    }

    /// What the store says it read: "preset message-db: rows of PostgreSQL table …".
    fn describe(&self, narrow: &Narrow) -> String {
        let mut text = format!(
            "preset {}: rows of PostgreSQL table {}",
            self.preset, self.shown
        );
        match narrow {
            Narrow::All => {}
            Narrow::Stream(s) => {
                let _ = write!(text, ", stream {s} only");
            }
            Narrow::Category(c) => {
                let _ = write!(text, ", category {c} only");
            }
        }
        text
    }

    /// The select list, in [`Role`] order (absent columns as NULL), then the extra metadata.
    fn select_list(&self) -> String {
        let mut list: Vec<String> = Role::ALL
            .iter()
            .map(|&role| match self.column(role) {
                None => "NULL".to_owned(),
                Some(c) => match role {
                    Role::Seq | Role::Position => format!("{}::int8", c.sql()),
                    Role::Time => format!("to_json({})::text", c.sql()),
                    Role::Data | Role::Meta if c.kind == Kind::Bytes => c.sql(),
                    _ => format!("{}::text", c.sql()),
                },
            })
            .collect();
        list.extend(self.extra_meta.iter().map(|c| format!("{}::text", c.sql())));
        list.join(", ")
    }

    /// The condition `narrow` adds, with its parameter numbered `n`.
    fn narrowing(&self, narrow: &Narrow, n: usize) -> String {
        let Some(stream) = self.column(Role::Stream) else {
            return String::new();
        };
        match narrow {
            Narrow::All => String::new(),
            Narrow::Stream(_) => format!(
                " AND {} = CAST(${n}::text AS {})",
                stream.sql(),
                stream.type_name
            ),
            // message-db's own function, which its category index is built on.
            Narrow::Category(_) if self.preset == Preset::MessageDb => {
                format!(" AND message_store.category({}) = ${n}::text", stream.sql())
            }
            Narrow::Category(_) => {
                format!(
                    " AND split_part({}::text, '-', 1) = ${n}::text",
                    stream.sql()
                )
            }
        }
    }

    /// The pointers that read this mapping's records, under those the user gave.
    fn pointers(&self, given: &FieldPointers) -> FieldPointers {
        if self.preset == Preset::Eventsourcing {
            return given.clone();
        }
        let at = |role: Role| {
            Some(
                self.column(role)
                    .map_or_else(|| NOWHERE.to_owned(), |c| pointer_to(&c.name)),
            )
        };
        FieldPointers {
            stream: given.stream.clone().or_else(|| at(Role::Stream)),
            seq: given.seq.clone().or_else(|| at(Role::Seq)),
            type_: given.type_.clone().or_else(|| at(Role::Type)),
            time: given.time.clone().or_else(|| at(Role::Time)),
            id: given.id.clone().or_else(|| at(Role::Id)),
            data: given.data.clone().or_else(|| at(Role::Data)),
            meta: given.meta.clone().or_else(|| at(Role::Meta)),
            position: at(Role::Position),
        }
    }
}

/// A pointer to a member no record has: a field the mapping leaves out is not looked for
/// under the format's usual names (a column called `position` is not a seq).
const NOWHERE: &str = "/\u{1}";

fn pointer_to(name: &str) -> String {
    format!("/{}", name.replace('~', "~0").replace('/', "~1"))
}

/// `name` as an SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A table in the database, with its columns.
struct Table {
    schema: String,
    name: String,
    columns: Vec<(String, String)>,
}

impl Table {
    fn shown(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    fn has(&self, column: &str) -> bool {
        self.columns.iter().any(|(name, _)| name == column)
    }

    /// The preset whose table this is, by its name and columns.
    fn preset(&self) -> Option<Preset> {
        let has_all = |names: &[&str]| names.iter().all(|n| self.has(n));
        if self.schema == "message_store" && self.name == "messages" {
            return Some(Preset::MessageDb);
        }
        if self.name == "emt_messages" && has_all(&["stream_id", "global_position"]) {
            return Some(Preset::Emmett);
        }
        if self.name == "mt_events" && has_all(&["seq_id", "stream_id", "version"]) {
            return Some(Preset::Marten);
        }
        if has_all(&[
            "originator_id",
            "originator_version",
            "topic",
            "state",
            "notification_id",
        ]) {
            return Some(Preset::Eventsourcing);
        }
        None
    }
}

/// Every table (and view) outside the system schemas, with its columns.
fn tables(client: &mut Client) -> Result<Vec<Table>, postgres::Error> {
    let rows = client.query(
        "SELECT n.nspname::text, c.relname::text, a.attname::text, \
                format_type(a.atttypid, a.atttypmod) \
         FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') \
           AND NOT c.relispartition \
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%' \
         ORDER BY 1, 2, a.attnum",
        &[],
    )?;
    let mut tables: Vec<Table> = Vec::new();
    for row in rows {
        let (schema, name): (String, String) = (row.get(0), row.get(1));
        let column = (row.get(2), row.get(3));
        match tables.last_mut() {
            Some(t) if t.schema == schema && t.name == name => t.columns.push(column),
            _ => tables.push(Table {
                schema,
                name,
                columns: vec![column],
            }),
        }
    }
    Ok(tables)
}

/// Finds the table of events and maps its columns, or says why it cannot.
fn resolve(client: &mut Client, options: &DbOptions) -> Result<Mapping, String> {
    let all = tables(client).map_err(|e| connect::error_text(&e))?;
    let (wanted_schema, wanted_table) = match options.table.as_deref() {
        Some(name) => match name.split_once('.') {
            Some((schema, table)) => (Some(schema.to_owned()), Some(table.to_owned())),
            None => (options.schema.clone(), Some(name.to_owned())),
        },
        None => (options.schema.clone(), None),
    };
    if let Some(schema) = &wanted_schema {
        let exists: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)",
                &[schema],
            )
            .map_err(|e| connect::error_text(&e))?
            .get(0);
        if !exists {
            return Err(format!("the database has no schema {schema}"));
        }
    }
    let in_schema = |t: &&Table| wanted_schema.as_ref().is_none_or(|s| *s == t.schema);
    let found: Vec<(&Table, Preset)> = all
        .iter()
        .filter(in_schema)
        .filter_map(|t| t.preset().map(|p| (t, p)))
        .collect();
    let list_found = || {
        found
            .iter()
            .map(|(t, p)| format!("{} ({p})", t.shown()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (table, preset) = match (options.preset, &wanted_table) {
        (Some(preset), Some(name)) => {
            let table = all
                .iter()
                .filter(in_schema)
                .find(|t| t.name == *name)
                .ok_or_else(|| missing_table(&all, name, wanted_schema.as_deref()))?;
            (table, preset)
        }
        (Some(Preset::Table), None) => {
            return Err(
                "--preset table needs --table SCHEMA.NAME, and the columns: --stream-column and --position-column at least"
                    .to_owned(),
            );
        }
        (Some(preset), None) => {
            if let Some((table, _)) = found.iter().find(|(_, p)| *p == preset) {
                (*table, preset)
            } else {
                let (schema, name, _) = preset.defaults();
                let schema = wanted_schema.as_deref().unwrap_or(schema);
                let mut message = format!(
                    "no table {schema}.{} of preset {preset} in this database",
                    if name.is_empty() { "*_events" } else { name }
                );
                if !found.is_empty() {
                    let _ = write!(
                        message,
                        "; it has {}: choose that preset with --preset, or leave --preset out to detect it",
                        list_found()
                    );
                }
                return Err(message);
            }
        }
        (None, Some(name)) => {
            let table = all
                .iter()
                .filter(in_schema)
                .find(|t| t.name == *name)
                .ok_or_else(|| missing_table(&all, name, wanted_schema.as_deref()))?;
            let preset = if options.columns.all().iter().any(|c| c.is_some()) {
                table.preset().unwrap_or(Preset::Table)
            } else {
                table.preset().ok_or_else(|| {
                    format!(
                        "table {} is not one of message-db, Emmett, eventsourcing or Marten; name its columns: --preset table --stream-column … --position-column … (its columns: {})",
                        table.shown(),
                        columns_list(table)
                    )
                })?
            };
            (table, preset)
        }
        (None, None) => detected(&all, &found)?,
    };
    map_columns(table, preset, &options.columns)
}

/// The one event store table found, or why there is not one.
fn detected<'t>(
    all: &[Table],
    found: &[(&'t Table, Preset)],
) -> Result<(&'t Table, Preset), String> {
    match found {
        [(table, preset)] => Ok((*table, *preset)),
        [] => {
            let names: Vec<String> = all.iter().take(12).map(Table::shown).collect();
            Err(format!(
                "no event store table found (message-db, Emmett, eventsourcing or Marten); the database has {}; read another table with --preset table --table SCHEMA.NAME --stream-column … --position-column …",
                if names.is_empty() {
                    "no tables".to_owned()
                } else {
                    format!("tables {}", names.join(", "))
                }
            ))
        }
        _ => Err(format!(
            "several event store tables: {}; choose one with --preset (and --table or --schema)",
            found
                .iter()
                .map(|(t, p)| format!("{} ({p})", t.shown()))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn missing_table(all: &[Table], name: &str, schema: Option<&str>) -> String {
    let near: Vec<String> = all
        .iter()
        .filter(|t| t.name.contains(name) || name.contains(t.name.as_str()))
        .take(5)
        .map(Table::shown)
        .collect();
    let mut message = match schema {
        Some(schema) => format!("the database has no table {schema}.{name}"),
        None => format!("the database has no table {name}"),
    };
    if !near.is_empty() {
        let _ = write!(message, "; did you mean {}?", near.join(", "));
    }
    message
}

fn columns_list(table: &Table) -> String {
    table
        .columns
        .iter()
        .map(|(name, type_name)| format!("{name} {type_name}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The columns for each field: the user's, else the preset's; each checked to exist and to
/// have a type that can hold its field.
fn map_columns(table: &Table, preset: Preset, given: &Columns) -> Result<Mapping, String> {
    let (_, _, defaults) = preset.defaults();
    let mut columns: [Option<Column>; 8] = Default::default();
    for (i, role) in Role::ALL.into_iter().enumerate() {
        let named = given.all()[i].as_deref();
        let name = named.or(Some(defaults[i]).filter(|d| !d.is_empty()));
        let Some(name) = name else {
            if role.required() {
                return Err(format!(
                    "which column holds {} of table {}? name it with {} (its columns: {})",
                    role.what(),
                    table.shown(),
                    role.flag(),
                    columns_list(table)
                ));
            }
            continue;
        };
        let Some((_, type_name)) = table.columns.iter().find(|(n, _)| n == name) else {
            // A preset's optional column (Marten's headers) may be missing; a named one or a
            // required one may not.
            if named.is_some() || role.required() || matches!(role, Role::Seq | Role::Type) {
                return Err(format!(
                    "table {} has no column {name} for {} (preset {preset}); its columns: {}",
                    table.shown(),
                    role.what(),
                    columns_list(table)
                ));
            }
            continue;
        };
        let kind = Kind::of(type_name);
        role.accepts(kind).map_err(|expected| {
            format!(
                "column {name} of table {} is {type_name}, which cannot hold {}: it must be {expected}",
                table.shown(),
                role.what()
            )
        })?;
        columns[i] = Some(Column {
            name: name.to_owned(),
            type_name: type_name.clone(),
            kind,
        });
    }
    let extra_meta = if preset == Preset::Marten && columns[Role::Meta as usize].is_some() {
        ["correlation_id", "causation_id"]
            .into_iter()
            .filter_map(|name| {
                table
                    .columns
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(n, t)| Column {
                        name: n.clone(),
                        type_name: t.clone(),
                        kind: Kind::of(t),
                    })
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Mapping {
        preset,
        shown: table.shown(),
        relation: format!("{}.{}", ident(&table.schema), ident(&table.name)),
        columns,
        extra_meta,
    })
}

/// Whether an error means the connection is gone (the server restarted or dropped it), so
/// that connecting again and going on is the thing to do.
fn is_lost(error: &postgres::Error) -> bool {
    if error.is_closed() {
        return true;
    }
    match error.code().map(postgres::error::SqlState::code) {
        Some(code) => code.starts_with("08") || code.starts_with("57P"),
        // Not the server's answer: the socket broke.
        None => error.as_db_error().is_none(),
    }
}

/// The SQL of a reader.
struct Queries {
    snapshot: &'static str,
    page: String,
    holes: String,
    count: String,
}

impl Queries {
    fn new(mapping: &Mapping, narrow: &Narrow, server_version: i32) -> Self {
        let select = mapping.select_list();
        let position = mapping.position();
        let relation = &mapping.relation;
        Self {
            snapshot: if server_version >= 130_000 {
                "SELECT pg_current_snapshot()::text"
            } else {
                "SELECT txid_current_snapshot()::text"
            },
            page: format!(
                "SELECT {select} FROM {relation} AS e WHERE {position} > $1::int8{} ORDER BY {position} LIMIT {PAGE_ROWS}",
                mapping.narrowing(narrow, 2)
            ),
            holes: format!(
                "SELECT {select} FROM {relation} AS e JOIN unnest($1::int8[], $2::int8[]) AS h(lo, hi) ON {position} BETWEEN h.lo AND h.hi WHERE true{} ORDER BY {position}",
                mapping.narrowing(narrow, 3)
            ),
            count: format!(
                "SELECT count(*) FROM {relation} AS e WHERE true{}",
                mapping.narrowing(narrow, 1)
            ),
        }
    }
}

/// A PostgreSQL store being read.
pub struct Rows {
    db: Database,
    link: Link,
    index: Index,
    mode: Mode,
    read: u64,
    total: u64,
    /// Why the connection is gone, while it is.
    lost: Option<String>,
    /// The page after the last one indexed, fetched while that one was indexed.
    ahead: Option<ReadPage>,
    /// What went wrong fetching ahead, said at the next step.
    deferred: Option<Step>,
}

/// The side of a reader that talks to the server: the connection, the queries, and what has
/// been read of the table.
struct Link {
    target: Target,
    client: Option<Client>,
    mapping: Mapping,
    queries: Queries,
    narrow: Narrow,
    horizon: Horizon,
}

impl Link {
    /// The next page (connecting first if need be); the horizon moves past it.
    fn fetch(&mut self) -> Result<ReadPage, Step> {
        if self.client.is_none() {
            let client = self.target.connect().map_err(Step::Lost)?;
            self.client = Some(client);
        }
        let Some(client) = self.client.as_mut() else {
            return Err(Step::Lost("not connected".to_owned()));
        };
        let page = read_page(
            client,
            &self.queries,
            &self.narrow,
            &self.mapping,
            &self.horizon,
        )
        .map_err(|e| {
            if is_lost(&e) {
                Step::Lost(connect::error_text(&e))
            } else {
                Step::Failed(format!(
                    "reading {}: {}",
                    self.mapping.shown,
                    connect::error_text(&e)
                ))
            }
        });
        match page {
            Ok(page) => {
                // Only now, with the page's transaction done, does the horizon move.
                self.horizon.settle(&page.snapshot);
                self.horizon.saw(&page.positions, &page.snapshot);
                Ok(page)
            }
            Err(step) => {
                if matches!(step, Step::Lost(_)) {
                    self.client = None;
                }
                Err(step)
            }
        }
    }
}

impl Rows {
    /// Connects, finds the table and counts the rows to read.
    pub fn open(db: &Database, options: &ReadOptions, mode: Mode) -> Result<Self, SourceError> {
        let name = db.name();
        let fail = |message: String| SourceError::Database {
            name: name.clone(),
            message,
        };
        let mut client = db.target.connect().map_err(fail)?;
        let mapping = resolve(&mut client, &db.options).map_err(fail)?;
        let version = server_version(&mut client).map_err(fail)?;
        let queries = Queries::new(&mapping, &db.narrow, version);
        // The count is for progress only: reading does not wait on it, and a connection lost
        // while counting is opened again by the first step.
        let (total, client) = match count(&mut client, &queries, &db.narrow) {
            Ok(total) => (total, Some(client)),
            Err(_) if client.is_closed() => (0, None),
            Err(_) => (0, Some(client)),
        };
        let detection = Detection {
            format: match mapping.preset {
                Preset::Eventsourcing => Format::Eventsourcing,
                Preset::MessageDb => Format::MessageDb,
                _ => options.format.unwrap_or(Format::Jsonl),
            },
            container: Container::Rows(mapping.describe(&db.narrow)),
            sampled: None,
        };
        let index = Index::new(&name, detection, mapping.pointers(&options.fields)).of_rows();
        Ok(Self {
            db: db.clone(),
            link: Link {
                target: db.target.clone(),
                client,
                mapping,
                queries,
                narrow: db.narrow.clone(),
                horizon: Horizon::default(),
            },
            index,
            mode,
            read: 0,
            total,
            lost: None,
            ahead: None,
            deferred: None,
        })
    }

    /// From now on, reads what is appended (a lost connection is then retried at each look,
    /// for ever, instead of for a while).
    pub fn follow(&mut self) {
        self.mode = Mode::Follow;
    }

    /// Reads the next page. `false` once every row there is now has been read.
    pub fn step(&mut self) -> Result<bool, SourceError> {
        retry::step(self)
    }
}

impl retry::Server for Rows {
    /// Indexes the next page; while it does, the page after it is fetched (the server
    /// sends rows while the last ones are indexed).
    fn try_step(&mut self) -> Result<bool, Step> {
        if let Some(step) = self.deferred.take() {
            return Err(step);
        }
        let page = match self.ahead.take() {
            Some(page) => page,
            None => self.link.fetch()?,
        };
        let full = page.positions.len() == PAGE_ROWS;
        self.read += page.rows.rows as u64;
        self.total = self.total.max(self.read);
        let (index, link) = (&mut self.index, &mut self.link);
        let next = std::thread::scope(|scope| {
            let indexing = scope.spawn(move || add_page(index, page.rows));
            let next = full.then(|| link.fetch());
            if let Err(panic) = indexing.join() {
                std::panic::resume_unwind(panic);
            }
            next
        });
        match next {
            Some(Ok(page)) => self.ahead = Some(page),
            Some(Err(step)) => self.deferred = Some(step),
            None => {}
        }
        Ok(full)
    }

    fn lost(&mut self) -> &mut Option<String> {
        &mut self.lost
    }

    fn following(&self) -> bool {
        self.mode == Mode::Follow
    }

    fn name(&self) -> String {
        self.db.name()
    }

    fn failure(&self, message: String) -> SourceError {
        SourceError::Database {
            name: self.db.name(),
            message,
        }
    }
}

impl Rows {
    /// Why the connection is gone, while it is (reading goes on once it is back).
    pub fn lost(&self) -> Option<&str> {
        self.lost.as_deref()
    }

    /// Rows read so far.
    pub fn done(&self) -> u64 {
        self.read
    }

    /// Rows to read (as counted when opened, or read since).
    pub fn total(&self) -> u64 {
        self.total
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

struct ReadPage {
    snapshot: Snapshot,
    /// Positions of the page proper (not of the holes read again), ascending.
    positions: Vec<i64>,
    rows: Page,
}

/// Appends a page's records to the index.
fn add_page(index: &mut Index, rows: Page) {
    if !rows.text.is_empty() {
        let len = rows.text.len();
        index.append(
            Arc::new(Bytes::Owned(rows.text)),
            0..len,
            &Container::Lines,
            false,
        );
    }
    for finding in rows.problems {
        index.add_problem(finding);
    }
}

/// One page, in one read-only snapshot: the holes now due, then the rows after the last
/// position read.
fn read_page(
    client: &mut Client,
    queries: &Queries,
    narrow: &Narrow,
    mapping: &Mapping,
    horizon: &Horizon,
) -> Result<ReadPage, postgres::Error> {
    let mut tx = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    let snapshot_text: String = tx.query_one(queries.snapshot, &[])?.get(0);
    let snapshot: Snapshot = snapshot_text.parse().unwrap_or(Snapshot {
        xmin: 0,
        xmax: 0,
        in_progress: vec![0],
    });
    let narrowed = match narrow {
        Narrow::All => None,
        Narrow::Stream(s) | Narrow::Category(s) => Some(s.as_str()),
    };
    let mut rows = Page::default();
    let due = horizon.due(&snapshot);
    if !due.is_empty() {
        let (lo, hi): (Vec<i64>, Vec<i64>) = due.iter().map(|h| (h.lo, h.hi)).unzip();
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&lo, &hi];
        if let Some(s) = &narrowed {
            params.push(s);
        }
        let mut found = tx.query_raw(&queries.holes, params)?;
        while let Some(row) = found.next()? {
            add_row(&mut rows, mapping, &row);
        }
    }
    let after = horizon.last().unwrap_or(i64::MIN);
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&after];
    if let Some(s) = &narrowed {
        params.push(s);
    }
    // Rows are made into records as they arrive, while the server sends the next ones.
    let mut positions = Vec::new();
    let mut page = tx.query_raw(&queries.page, params)?;
    while let Some(row) = page.next()? {
        positions.push(row.get::<_, i64>(Role::Position as usize));
        add_row(&mut rows, mapping, &row);
    }
    drop(page);
    tx.commit()?;
    Ok(ReadPage {
        snapshot,
        positions,
        rows,
    })
}

fn server_version(client: &mut Client) -> Result<i32, String> {
    let text: String = client
        .query_one("SHOW server_version_num", &[])
        .map_err(|e| connect::error_text(&e))?
        .get(0);
    Ok(text.trim().parse().unwrap_or(0))
}

fn count(client: &mut Client, queries: &Queries, narrow: &Narrow) -> Result<u64, String> {
    let row = match narrow {
        Narrow::All => client.query_one(&queries.count, &[]),
        Narrow::Stream(s) | Narrow::Category(s) => client.query_one(&queries.count, &[s]),
    }
    .map_err(|e| connect::error_text(&e))?;
    Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or(0))
}

/// A row made into a record, written straight into the page's text (a million rows make a
/// million records: no text of a row is copied twice).
fn add_row(page: &mut Page, mapping: &Mapping, row: &postgres::Row) {
    let text = |role: Role| row.get::<_, Option<&str>>(role as usize);
    let position: i64 = row.get(Role::Position as usize);
    if mapping.preset == Preset::Eventsourcing {
        let state: Option<&[u8]> = match mapping.column(Role::Data).map(|c| c.kind) {
            Some(Kind::Bytes) => row.get(Role::Data as usize),
            Some(_) => text(Role::Data).map(str::as_bytes),
            None => None,
        };
        page.add(
            Some(position),
            text(Role::Stream).unwrap_or_default(),
            row.get::<_, Option<i64>>(Role::Seq as usize).unwrap_or(0),
            text(Role::Type).unwrap_or_default(),
            state.unwrap_or_default(),
        );
        return;
    }
    page.rows += 1;
    let out = &mut page.text;
    let mut problems = Vec::new();
    let mut first = true;
    for role in Role::ALL {
        let Some(column) = mapping.column(role) else {
            continue;
        };
        out.push(if std::mem::take(&mut first) {
            b'{'
        } else {
            b','
        });
        write_quoted(out, &column.name);
        out.push(b':');
        match role {
            Role::Seq | Role::Position => match row.get::<_, Option<i64>>(role as usize) {
                Some(n) => {
                    let _ = serde_json::to_writer(&mut *out, &n);
                }
                None => out.extend_from_slice(b"null"),
            },
            Role::Time => out.extend_from_slice(text(role).unwrap_or("null").as_bytes()),
            Role::Stream | Role::Type | Role::Id => match text(role) {
                Some(t) => write_quoted(out, t),
                None => out.extend_from_slice(b"null"),
            },
            Role::Data | Role::Meta => {
                let value = payload(row, role as usize, column.kind).unwrap_or_else(|why| {
                    problems.push(format!("{} is {why}", column.name));
                    None
                });
                let value = if role == Role::Meta && !mapping.extra_meta.is_empty() {
                    let extra: Vec<(&str, Option<String>)> = mapping
                        .extra_meta
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (c.name.as_str(), row.get(Role::ALL.len() + i)))
                        .collect();
                    Some(Cow::Owned(with_extra_meta(value.as_deref(), &extra)))
                } else {
                    value
                };
                out.extend_from_slice(value.as_deref().unwrap_or("null").as_bytes());
            }
        }
    }
    out.extend_from_slice(b"}\n");
    for why in problems {
        let finding = Finding::at(
            Severity::Warning,
            Code::MissingField,
            None,
            u64::try_from(position).ok(),
            format!("{why}; the field is left out"),
        )
        .in_stream(
            text(Role::Stream).unwrap_or_default(),
            row.get::<_, Option<i64>>(Role::Seq as usize)
                .and_then(|s| u64::try_from(s).ok()),
        );
        page.problems.push(finding);
    }
}

/// `text` as a JSON string.
fn write_quoted(out: &mut Vec<u8>, text: &str) {
    let _ = serde_json::to_writer(&mut *out, text);
}

/// A data or metadata column as JSON: jsonb as the server prints it; text that holds JSON as
/// it is, other text as a string; bytes holding JSON (zlib-compressed too) as that JSON.
fn payload(
    row: &postgres::Row,
    at: usize,
    kind: Kind,
) -> Result<Option<Cow<'_, str>>, &'static str> {
    match kind {
        Kind::Bytes => {
            let Some(bytes) = row.get::<_, Option<&[u8]>>(at) else {
                return Ok(None);
            };
            state_json(bytes).map(|json| Some(Cow::Owned(json)))
        }
        Kind::Json => Ok(row.get::<_, Option<&str>>(at).map(Cow::Borrowed)),
        _ => Ok(row.get::<_, Option<&str>>(at).map(|text| {
            if serde_json::from_str::<&serde_json::value::RawValue>(text).is_ok() {
                Cow::Borrowed(text)
            } else {
                Cow::Owned(quote(text))
            }
        })),
    }
}

/// Marten's headers with its correlation and causation columns as members, first.
fn with_extra_meta(headers: Option<&str>, extra: &[(&str, Option<String>)]) -> String {
    let mut members = String::new();
    for (name, value) in extra {
        if let Some(value) = value {
            let _ = write!(members, "{}:{},", quote(name), quote(value));
        }
    }
    match headers.map(str::trim) {
        Some(h) if h.starts_with('{') => {
            let inner = h[1..].trim_start();
            if inner.starts_with('}') {
                format!("{{{}}}", members.trim_end_matches(','))
            } else {
                format!("{{{members}{inner}")
            }
        }
        Some(other) if members.is_empty() => other.to_owned(),
        _ => format!("{{{}}}", members.trim_end_matches(',')),
    }
}

fn quote(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// The streams of a database (narrowed as `db` says), counted by the server: one query that
/// groups by stream and type, never reading the rows here. Also says what was read.
pub fn summaries(db: &Database) -> Result<(String, Vec<StreamSummary>), SourceError> {
    let name = db.name();
    let fail = |message: String| SourceError::Database {
        name: name.clone(),
        message,
    };
    let mut client = db.target.connect().map_err(&fail)?;
    let mapping = resolve(&mut client, &db.options).map_err(&fail)?;
    let column = |role: Role| mapping.column(role).map(Column::sql);
    let stream = column(Role::Stream).unwrap_or_default();
    let type_ =
        column(Role::Type).map_or_else(|| "NULL::text".to_owned(), |c| format!("{c}::text"));
    let (min_seq, max_seq) = column(Role::Seq).map_or_else(
        || ("NULL::int8".to_owned(), "NULL::int8".to_owned()),
        |c| (format!("min({c})::int8"), format!("max({c})::int8")),
    );
    let (min_time, max_time) = column(Role::Time).map_or_else(
        || ("NULL::text".to_owned(), "NULL::text".to_owned()),
        |c| {
            (
                format!("to_json(min({c})) #>> '{{}}'"),
                format!("to_json(max({c})) #>> '{{}}'"),
            )
        },
    );
    let sql = format!(
        "SELECT {stream}::text, {type_}, GROUPING({type_}), count(*), {min_seq}, {max_seq}, {min_time}, {max_time} \
         FROM {} AS e WHERE true{} GROUP BY GROUPING SETS (({stream}, {type_}), ({stream}))",
        mapping.relation,
        mapping.narrowing(&db.narrow, 1)
    );
    let rows = match &db.narrow {
        Narrow::All => client.query(&sql, &[]),
        Narrow::Stream(s) | Narrow::Category(s) => client.query(&sql, &[s]),
    }
    .map_err(|e| fail(format!("listing streams: {}", connect::error_text(&e))))?;
    let mut streams: BTreeMap<String, StreamSummary> = BTreeMap::new();
    for row in rows {
        let id: Option<String> = row.get(0);
        let id = id.unwrap_or_else(|| crate::store::NO_STREAM.to_owned());
        let events = u64::try_from(row.get::<_, i64>(3)).unwrap_or(0);
        let summary = streams.entry(id.clone()).or_insert_with(|| StreamSummary {
            stream: id,
            events: 0,
            first_seq: None,
            last_seq: None,
            first_time: None,
            last_time: None,
            types: Vec::new(),
        });
        if row.get::<_, i32>(2) == 1 {
            // The stream's own row.
            summary.events = events;
            summary.first_seq = row.get::<_, Option<i64>>(4).map(i128::from);
            summary.last_seq = row.get::<_, Option<i64>>(5).map(i128::from);
            summary.first_time = row.get(6);
            summary.last_time = row.get(7);
            if mapping.column(Role::Seq).is_none() {
                // Without seqs the store numbers a stream's events 1, 2, 3…
                summary.first_seq = Some(1);
                summary.last_seq = Some(i128::from(events));
            }
        } else {
            let type_name: Option<String> = row.get(1);
            let type_name = type_name.unwrap_or_else(|| crate::store::NO_TYPE.to_owned());
            summary.types.push((type_name.into(), events));
        }
    }
    for summary in streams.values_mut() {
        summary.types = sorted_types(std::mem::take(&mut summary.types));
    }
    Ok((
        mapping.describe(&db.narrow),
        streams.into_values().collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_and_categories_end_at_the_first_dash() {
        assert_eq!("message-db".parse::<Preset>(), Ok(Preset::MessageDb));
        assert_eq!("Message_DB".parse::<Preset>(), Ok(Preset::MessageDb));
        assert!(
            "kafka"
                .parse::<Preset>()
                .unwrap_err()
                .contains("expected one of")
        );
        assert_eq!(category("order-1042-x"), "order");
        assert_eq!(category("order"), "order");
    }

    fn table(columns: &[(&str, &str)]) -> Table {
        Table {
            schema: "public".into(),
            name: "events".into(),
            columns: columns
                .iter()
                .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn columns_are_checked_for_the_field_they_fill() {
        let events = table(&[
            ("id", "bigint"),
            ("agg", "uuid"),
            ("n", "boolean"),
            ("body", "jsonb"),
        ]);
        let mut given = Columns {
            stream: Some("agg".into()),
            position: Some("id".into()),
            data: Some("body".into()),
            ..Columns::default()
        };
        let mapping = map_columns(&events, Preset::Table, &given).unwrap();
        assert_eq!(mapping.column(Role::Stream).unwrap().kind, Kind::Uuid);
        assert!(mapping.column(Role::Seq).is_none());
        let pointers = mapping.pointers(&FieldPointers::default());
        assert_eq!(pointers.stream.as_deref(), Some("/agg"));
        assert_eq!(pointers.seq.as_deref(), Some(NOWHERE));
        given.seq = Some("n".into());
        let error = map_columns(&events, Preset::Table, &given).unwrap_err();
        assert!(
            error.contains("n of table public.events is boolean") && error.contains("integer"),
            "{error}"
        );
        given.seq = Some("nope".into());
        let error = map_columns(&events, Preset::Table, &given).unwrap_err();
        assert!(error.contains("has no column nope"), "{error}");
        let error = map_columns(&events, Preset::Table, &Columns::default()).unwrap_err();
        assert!(error.contains("--stream-column"), "{error}");
    }

    #[test]
    fn marten_headers_take_the_correlation_columns() {
        let corr = [
            ("correlation_id", Some("c-1".to_owned())),
            ("causation_id", None),
        ];
        assert_eq!(
            with_extra_meta(Some(r#"{"user": "ann"}"#), &corr),
            r#"{"correlation_id":"c-1","user": "ann"}"#
        );
        assert_eq!(
            with_extra_meta(Some("{}"), &corr),
            r#"{"correlation_id":"c-1"}"#
        );
        assert_eq!(with_extra_meta(None, &corr), r#"{"correlation_id":"c-1"}"#);
        assert_eq!(with_extra_meta(None, &[("causation_id", None)]), "{}");
        assert_eq!(with_extra_meta(Some("null"), &[]), "null");
    }
}
