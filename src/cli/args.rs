//! The command line's arguments, as clap reads them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::source::kafka::{KafkaOptions, Start};
use crate::source::postgres::{Columns, DbOptions, Preset};
use crate::store::{FieldPointers, Format, ReadOptions, parse_instant};

/// eventlens: explore event-sourced histories.
#[derive(Debug, Parser)]
#[command(
    name = "eventlens",
    version,
    about,
    args_conflicts_with_subcommands = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The store to open in the window: a file (JSON Lines or JSON, plain, .gz or .zst; an
    /// eventsourcing database), - for standard input, or a postgres:// or kafka:// URL.
    #[arg(value_name = "SOURCE")]
    pub file: Option<PathBuf>,
    /// Select this stream when the window opens.
    #[arg(long)]
    pub stream: Option<String>,
    /// Put the cursor on this seq.
    #[arg(long, conflicts_with = "at_time")]
    pub at: Option<u64>,
    /// Put the cursor on the last event at or before this RFC 3339 time.
    #[arg(long)]
    pub at_time: Option<String>,
    /// Fold with this JavaScript projection (KurrentDB syntax) from the start.
    #[arg(long, value_name = "FILE.js")]
    pub projection: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// One row per stream: events, first/last seq and time, types.
    Streams(StreamsArgs),
    /// The events of the store, or of one stream, in store order.
    Events(EventsArgs),
    /// A stream's state at a point (default: after its last event), as JSON.
    State(StateArgs),
    /// The RFC 6902 patch one event caused, or between two points.
    Diff(DiffArgs),
    /// Every event that changed the value at a JSON Pointer, oldest first.
    Blame(BlameArgs),
    /// Every stream's state at a moment (default: the end), one row each, as columns of jq
    /// filters.
    Table(TableArgs),
    /// The events at which a jq filter on a stream's state starts or stops holding, store-wide.
    When(WhenArgs),
    /// How many streams' states fall in each group, at every step of time.
    Count(CountArgs),
    /// One business transaction across streams: every event sharing an event's correlation id,
    /// how they caused each other, and the state of every stream they touch.
    Trace(TraceArgs),
    /// Integrity findings: unreadable records, seq gaps, duplicates, time going backwards…
    Check(CheckArgs),
    /// Write a seeded sample store of order histories (JSON Lines).
    Generate(GenerateArgs),
    /// Measure eventlens on a store (`bench scrub`).
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// The benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Open a store, then ask for the state at random points of one stream; report open time,
    /// indexing speed, latency percentiles and peak memory.
    Scrub(ScrubArgs),
    /// Open a store, index its correlation ids (as the window's Trace tab does), then trace
    /// random events; report the index's time and the traces' latency percentiles.
    Trace(BenchTraceArgs),
}

#[derive(Debug, Args)]
pub struct BenchTraceArgs {
    /// The store: a file (JSON Lines or JSON, plain, .gz or .zst; an eventsourcing database),
    /// - for standard input, or a postgres:// or kafka:// URL.
    #[arg(value_name = "SOURCE")]
    pub file: PathBuf,
    /// How many random events to trace.
    #[arg(long, default_value_t = 200)]
    pub samples: usize,
    /// Seeds the choice of events.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print `{"open_ms","index_ms","scan_ms","events","samples","p50_ms","p99_ms","max_ms"}`.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct ScrubArgs {
    /// The store: a file (JSON Lines or JSON, plain, .gz or .zst; an eventsourcing database),
    /// - for standard input, or a postgres:// or kafka:// URL.
    #[arg(value_name = "SOURCE")]
    pub file: PathBuf,
    #[arg(long)]
    pub stream: String,
    /// How many random points to ask for.
    #[arg(long, default_value_t = 1000)]
    pub samples: usize,
    /// Seeds the choice of points.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Fold with this JavaScript projection (KurrentDB syntax) instead of merge patches:
    /// `checkpoints_ms` is then the projection folding the whole stream.
    #[arg(long, value_name = "FILE.js")]
    pub projection: Option<PathBuf>,
    #[arg(
        long,
        help = r#"Print {"open_ms","index_mb_per_s","events","samples","p50_ms","p99_ms","max_ms","peak_rss_mb","checkpoints_ms","stream_events","file_mb"}"#
    )]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// How to read the store: every subcommand takes these.
#[derive(Debug, Clone, Default, Args)]
pub struct ReadArgs {
    /// The store's format: jsonl, json, cloudevents, kurrent, message-db, kcat (default:
    /// detected from the first records).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// JSON Pointer to the stream id in each record.
    #[arg(long, value_name = "POINTER")]
    pub stream_field: Option<String>,
    /// JSON Pointer to the per-stream seq.
    #[arg(long, value_name = "POINTER")]
    pub seq_field: Option<String>,
    /// JSON Pointer to the event type.
    #[arg(long, value_name = "POINTER")]
    pub type_field: Option<String>,
    /// JSON Pointer to the time (RFC 3339, or milliseconds since the epoch).
    #[arg(long, value_name = "POINTER")]
    pub time_field: Option<String>,
    /// JSON Pointer to the event id.
    #[arg(long, value_name = "POINTER")]
    pub id_field: Option<String>,
    /// JSON Pointer to the payload.
    #[arg(long, value_name = "POINTER")]
    pub data_field: Option<String>,
    /// JSON Pointer to the metadata.
    #[arg(long, value_name = "POINTER")]
    pub meta_field: Option<String>,
    /// A PostgreSQL store's mapping: message-db, emmett, eventsourcing, marten, or table (with
    /// --table and the --*-column options). Default: detected from the tables present.
    #[arg(long, value_name = "PRESET", help_heading = "PostgreSQL")]
    pub preset: Option<Preset>,
    /// The schema of the preset's table (default: the preset's own, or public).
    #[arg(long, value_name = "SCHEMA", help_heading = "PostgreSQL")]
    pub schema: Option<String>,
    /// The table of events: SCHEMA.NAME or NAME (eventsourcing's <app>_events; any table with
    /// --preset table).
    #[arg(long, value_name = "TABLE", help_heading = "PostgreSQL")]
    pub table: Option<String>,
    /// The column holding the stream id.
    #[arg(long, value_name = "COLUMN", help_heading = "PostgreSQL")]
    pub stream_column: Option<String>,
    /// The column holding the per-stream seq.
    #[arg(long, value_name = "COLUMN", help_heading = "PostgreSQL")]
    pub seq_column: Option<String>,
    /// The column holding the event type.
    #[arg(long, value_name = "COLUMN", help_heading = "PostgreSQL")]
    pub type_column: Option<String>,
    /// The column holding the time.
    #[arg(long, value_name = "COLUMN", help_heading = "PostgreSQL")]
    pub time_column: Option<String>,
    /// The column holding the payload.
    #[arg(long, value_name = "COLUMN", help_heading = "PostgreSQL")]
    pub data_column: Option<String>,
    /// The column holding the metadata.
    #[arg(long, value_name = "COLUMN", help_heading = "PostgreSQL")]
    pub meta_column: Option<String>,
    /// The column holding the event id.
    #[arg(long, value_name = "COLUMN", help_heading = "PostgreSQL")]
    pub id_column: Option<String>,
    /// The column holding the global position (from a sequence), by which rows are read.
    #[arg(long, value_name = "COLUMN", help_heading = "PostgreSQL")]
    pub position_column: Option<String>,
    /// With --stream KEY, read every partition, not only the one Kafka's default partitioner
    /// gives the key.
    #[arg(long, help_heading = "Kafka")]
    pub all_partitions: bool,
    /// Start each partition at its first message at or after this RFC 3339 time (the broker's
    /// offset lookup by timestamp).
    #[arg(
        long,
        value_name = "TIME",
        help_heading = "Kafka",
        conflicts_with = "from_offset"
    )]
    pub from_time: Option<String>,
    /// Start each partition at this offset (or at its earliest kept message, if later).
    #[arg(long, value_name = "OFFSET", help_heading = "Kafka")]
    pub from_offset: Option<i64>,
}

impl ReadArgs {
    /// The reader's options.
    pub fn options(&self) -> ReadOptions {
        ReadOptions {
            format: self.format,
            fields: FieldPointers {
                stream: self.stream_field.clone(),
                seq: self.seq_field.clone(),
                type_: self.type_field.clone(),
                time: self.time_field.clone(),
                id: self.id_field.clone(),
                data: self.data_field.clone(),
                meta: self.meta_field.clone(),
                position: None,
            },
        }
    }

    /// How to read a Kafka topic; `Err` says what is wrong with `--from-time`.
    pub fn kafka(&self) -> Result<KafkaOptions, String> {
        let start = match (&self.from_time, self.from_offset) {
            (Some(text), _) => {
                let nanos = parse_instant(text).ok_or_else(|| {
                    format!("--from-time {text:?} is not an RFC 3339 time (2024-03-01T10:15:00Z)")
                })?;
                Start::Time {
                    millis: nanos.div_euclid(1_000_000),
                    shown: text.clone(),
                }
            }
            (None, Some(offset)) => Start::Offset(offset),
            (None, None) => Start::Beginning,
        };
        Ok(KafkaOptions {
            all_partitions: self.all_partitions,
            start,
        })
    }

    /// How to find the events in a PostgreSQL store.
    pub fn database(&self) -> DbOptions {
        DbOptions {
            preset: self.preset,
            schema: self.schema.clone(),
            table: self.table.clone(),
            columns: Columns {
                stream: self.stream_column.clone(),
                seq: self.seq_column.clone(),
                type_: self.type_column.clone(),
                time: self.time_column.clone(),
                data: self.data_column.clone(),
                meta: self.meta_column.clone(),
                id: self.id_column.clone(),
                position: self.position_column.clone(),
            },
        }
    }
}

#[derive(Debug, Args)]
pub struct StreamsArgs {
    /// The store: a file (JSON Lines or JSON, plain, .gz or .zst; an eventsourcing database),
    /// - for standard input, or a postgres:// or kafka:// URL.
    #[arg(value_name = "SOURCE")]
    pub file: PathBuf,
    /// Print a JSON array sorted by stream id.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// The store: a file (JSON Lines or JSON, plain, .gz or .zst; an eventsourcing database),
    /// - for standard input, or a postgres:// or kafka:// URL.
    #[arg(value_name = "SOURCE")]
    pub file: PathBuf,
    /// Only this stream's events.
    #[arg(long, conflicts_with = "category")]
    pub stream: Option<String>,
    /// Only the events of streams in this category (the stream id up to its first -).
    #[arg(long)]
    pub category: Option<String>,
    /// Only events of this type (repeat for several).
    #[arg(long = "type", value_name = "TYPE")]
    pub types: Vec<String>,
    /// Only events for which this jq filter holds, run on each event as --json prints it
    /// (.data, .meta, .type, .stream, .seq, .time, .id, .position, .line).
    #[arg(long = "where", value_name = "FILTER")]
    pub where_: Option<String>,
    /// Print JSON Lines, one normalized event a line.
    #[arg(long)]
    pub json: bool,
    /// Keep printing new events as they are appended, until interrupted (Ctrl+C).
    #[arg(long)]
    pub follow: bool,
    /// How often to look for new events when following, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 250, requires = "follow")]
    pub poll_ms: u64,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct StateArgs {
    /// The store: a file (JSON Lines or JSON, plain, .gz or .zst; an eventsourcing database),
    /// - for standard input, or a postgres:// or kafka:// URL.
    #[arg(value_name = "SOURCE")]
    pub file: PathBuf,
    #[arg(long)]
    pub stream: String,
    /// The state after the event with this seq.
    #[arg(long, conflicts_with = "at_time")]
    pub at: Option<u64>,
    /// The state after the last event whose time is at or before this RFC 3339 time.
    #[arg(long, value_name = "RFC3339")]
    pub at_time: Option<String>,
    /// Fold with this JavaScript projection (KurrentDB syntax) instead of merge patches.
    #[arg(long, value_name = "FILE.js")]
    pub projection: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The store: a file (JSON Lines or JSON, plain, .gz or .zst; an eventsourcing database),
    /// - for standard input, or a postgres:// or kafka:// URL.
    #[arg(value_name = "SOURCE")]
    pub file: PathBuf,
    #[arg(long)]
    pub stream: String,
    /// The change made by the event with this seq.
    #[arg(long, conflicts_with_all = ["from", "to"], required_unless_present_all = ["from", "to"])]
    pub at: Option<u64>,
    /// From the state at this seq (0: the empty start)…
    #[arg(long, requires = "to")]
    pub from: Option<u64>,
    /// …to the state at this seq.
    #[arg(long, requires = "from")]
    pub to: Option<u64>,
    /// Fold with this JavaScript projection (KurrentDB syntax) instead of merge patches.
    #[arg(long, value_name = "FILE.js")]
    pub projection: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct BlameArgs {
    /// The store: a file (JSON Lines or JSON, plain, .gz or .zst; an eventsourcing database),
    /// - for standard input, or a postgres:// or kafka:// URL.
    #[arg(value_name = "SOURCE")]
    pub file: PathBuf,
    #[arg(long)]
    pub stream: String,
    /// JSON Pointer (RFC 6901) to the value, as in /items/SKU-1001/qty.
    #[arg(long, value_name = "POINTER")]
    pub path: String,
    /// Only events up to and including this seq.
    #[arg(long)]
    pub at: Option<u64>,
    /// Print a JSON array.
    #[arg(long)]
    pub json: bool,
    /// Fold with this JavaScript projection (KurrentDB syntax) instead of merge patches.
    #[arg(long, value_name = "FILE.js")]
    pub projection: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The store: a file (JSON Lines or JSON, plain, .gz or .zst; an eventsourcing database),
    /// - for standard input, or a postgres:// or kafka:// URL.
    #[arg(value_name = "SOURCE")]
    pub file: PathBuf,
    /// The id of an event of the transaction.
    #[arg(long, value_name = "EVENT_ID")]
    pub id: String,
    /// The streams' states after their last event at or before this RFC 3339 time (default:
    /// the time of the trace's last event).
    #[arg(long, value_name = "RFC3339")]
    pub at_time: Option<String>,
    /// Print `{"correlation", "events", "states"}` as JSON.
    #[arg(long)]
    pub json: bool,
    /// JSON Pointer to the correlation id in each record (default: meta's `correlationId`,
    /// `correlation_id`, `$correlationId` or `correlationid`).
    #[arg(long, value_name = "POINTER")]
    pub correlation_field: Option<String>,
    /// JSON Pointer to the causation id in each record (default: meta's `causationId`,
    /// `causation_id`, `$causationId` or `causationid`).
    #[arg(long, value_name = "POINTER")]
    pub causation_field: Option<String>,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct TableArgs {
    /// The store: a file (JSON Lines or JSON, plain, .gz or .zst; an eventsourcing database),
    /// - for standard input, or a postgres:// or kafka:// URL.
    #[arg(value_name = "SOURCE")]
    pub file: PathBuf,
    /// Only streams of this category (the stream id up to its first -).
    #[arg(long)]
    pub category: Option<String>,
    /// Each stream after its last event whose time is at or before this RFC 3339 time.
    #[arg(long, value_name = "RFC3339", conflicts_with = "at_position")]
    pub at_time: Option<String>,
    /// Each stream after its events at or before this position.
    #[arg(long, value_name = "P")]
    pub at_position: Option<u64>,
    /// A column: NAME=FILTER, or a FILTER that names itself (repeat for several). The value
    /// is the filter's first output on the state; null when it fails or has none.
    #[arg(long = "column", value_name = "NAME=FILTER")]
    pub columns: Vec<String>,
    /// Only streams whose state this jq filter holds for.
    #[arg(long = "where", value_name = "FILTER")]
    pub where_: Option<String>,
    /// Print a JSON array of {"stream","seq","time","values"} ("state" without --column).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV: stream,seq,time and a column each.
    #[arg(long)]
    pub csv: bool,
    /// Fold with this JavaScript projection (KurrentDB syntax) instead of merge patches.
    #[arg(long, value_name = "FILE.js")]
    pub projection: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct WhenArgs {
    /// The store: a file (JSON Lines or JSON, plain, .gz or .zst; an eventsourcing database),
    /// - for standard input, or a postgres:// or kafka:// URL.
    #[arg(value_name = "SOURCE")]
    pub file: PathBuf,
    /// The watchpoint: a jq filter on a stream's state, evaluated after each of its events.
    #[arg(long = "where", value_name = "FILTER")]
    pub where_: String,
    /// Only streams of this category (the stream id up to its first -).
    #[arg(long)]
    pub category: Option<String>,
    /// Print JSON Lines {"position","stream","seq","time","type","holds"}.
    #[arg(long)]
    pub json: bool,
    /// Fold with this JavaScript projection (KurrentDB syntax) instead of merge patches.
    #[arg(long, value_name = "FILE.js")]
    pub projection: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct CountArgs {
    /// The store: a file (JSON Lines or JSON, plain, .gz or .zst; an eventsourcing database),
    /// - for standard input, or a postgres:// or kafka:// URL.
    #[arg(value_name = "SOURCE")]
    pub file: PathBuf,
    /// What to group by: a jq filter on each stream's state (its first output; null when it
    /// fails or has none).
    #[arg(long, value_name = "FILTER")]
    pub by: String,
    /// The step of time: 30s, 15m, 1h, 1d.
    #[arg(long, value_name = "DURATION")]
    pub every: String,
    /// Only streams of this category (the stream id up to its first -).
    #[arg(long)]
    pub category: Option<String>,
    /// Only streams whose state this jq filter holds for, at each step.
    #[arg(long = "where", value_name = "FILTER")]
    pub where_: Option<String>,
    /// Print a JSON array of {"time","counts":{KEY: N}}.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV: time and a column for every key.
    #[arg(long)]
    pub csv: bool,
    /// Fold with this JavaScript projection (KurrentDB syntax) instead of merge patches.
    #[arg(long, value_name = "FILE.js")]
    pub projection: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The store: a file (JSON Lines or JSON, plain, .gz or .zst; an eventsourcing database),
    /// - for standard input, or a postgres:// or kafka:// URL.
    #[arg(value_name = "SOURCE")]
    pub file: PathBuf,
    /// Print {"events","streams","findings"} as JSON.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print the findings as CSV.
    #[arg(long)]
    pub csv: bool,
    /// Also fold every stream this JavaScript projection reads and report the events it fails
    /// on (as `projection_error` findings).
    #[arg(long, value_name = "FILE.js")]
    pub projection: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// How many events to write.
    #[arg(long, default_value_t = 6000)]
    pub events: u64,
    /// Seed: the same seed writes the same file.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Share of all events (0–1) that go to one hot order, order-1000.
    #[arg(long, default_value_t = 0.0)]
    pub hot_share: f64,
    /// Add three realistic defects for check to find (a reused id, a seq gap, a skewed clock).
    #[arg(long)]
    pub anomalies: bool,
    /// Lean events, as high-volume logs write them: 16-digit ids and no meta (about 180 bytes
    /// an event instead of 270; 2.8 M events make about 500 MB).
    #[arg(long)]
    pub lean: bool,
    /// At most this many streams (orders, payments, shipments): orders are made shorter or
    /// longer so that the store comes out close to it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub streams: Option<u64>,
    /// Write here instead of stdout. An existing file is not overwritten.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}
