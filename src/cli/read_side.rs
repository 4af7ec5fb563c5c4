//! `eventlens table`, `when` and `count`: questions about every stream's state at once, asked
//! with jq filters (DESIGN.md, "The read side"). The folding is the core's
//! ([`crate::replay::Folds`]); this file chooses the streams, runs the filters and prints.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::{Map, Value, json};

use super::args::{CountArgs, TableArgs, WhenArgs};
use super::table::{Table, write_streamed};
use super::{Failure, parse_filter, parse_time, reducer};
use crate::query::Doc;
use crate::query::read_model::{
    Column, Failed, Filters, Steps, cell, chosen, count, selected, watch,
};
use crate::replay::{Folded, Folds, Moment, Reducer};
use crate::source::postgres::Narrow;
use crate::store::{Store, format_seconds, parse_duration, plural};

const STATE_EXAMPLE: &str = ".status == \"shipped\" and .payment == null";

pub fn run_table(args: &TableArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let columns: Vec<Column> = args.columns.iter().map(|spec| Column::of(spec)).collect();
    for column in &columns {
        parse_filter("--column", &column.filter, ".status, (.lines | length)")?;
    }
    if let Some(text) = &args.where_ {
        parse_filter("--where", text, STATE_EXAMPLE)?;
    }
    let moment = match (&args.at_time, args.at_position) {
        (Some(text), _) => Moment::Time(parse_time("--at-time", text)?),
        (None, Some(position)) => Moment::Position(position),
        (None, None) => Moment::End,
    };
    let store = super::open(&args.file, &args.read, narrow(args.category.as_ref()))?;
    if matches!(moment, Moment::Time(_)) {
        require_times(&store, "--at-time")?;
    }
    let reducer: Arc<dyn Reducer> = Arc::from(reducer(args.projection.as_ref())?);
    let mut folds = Folds::new(reducer.clone());
    folds.move_to(&store, moment, |stream| {
        selected(stream, args.category.as_deref(), &*reducer)
    });
    warn_failures(
        &store,
        folds.failures().map(|(s, k, why)| (s, k, why.to_owned())),
    );

    let texts: Vec<&str> = columns.iter().map(|c| c.filter.as_str()).collect();
    let rows = Rows::new(&store, &folds, &texts, args.where_.as_deref());
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    if args.json {
        write_table_json(out, &rows, &names)?;
    } else if args.csv {
        write_table_csv(out, &rows, &names)?;
    } else {
        write_table_text(out, &rows, &names)?;
    }
    if rows.order.is_empty() {
        nothing_found(&store, args.where_.as_deref(), "no stream");
    }
    drop(rows);
    super::free_aside((store, folds));
    Ok(ExitCode::SUCCESS)
}

pub fn run_when(args: &WhenArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    parse_filter("--where", &args.where_, STATE_EXAMPLE)?;
    let store = super::open(&args.file, &args.read, narrow(args.category.as_ref()))?;
    let reducer = reducer(args.projection.as_ref())?;
    let streams = chosen(&store, args.category.as_deref(), &*reducer);
    let (changes, failures) = watch(&store, &streams, &*reducer, &args.where_);
    warn_failures(&store, failures.into_iter());
    if args.json {
        for &(index, holds) in &changes {
            let event = store.event(index);
            let line = json!({
                "position": event.position(),
                "stream": event.stream(),
                "seq": event.event.seq,
                "time": event.time(),
                "type": event.type_name(),
                "holds": holds,
            });
            writeln!(out, "{line}")?;
        }
    } else {
        let mut table = Table::new(&["POSITION", "STREAM", "SEQ", "TIME", "TYPE", "HOLDS"]);
        for &(index, holds) in &changes {
            let event = store.event(index);
            table.row(vec![
                event.position().to_string(),
                event.stream().to_owned(),
                event.event.seq.to_string(),
                event.time().unwrap_or("-").to_owned(),
                event.type_name().to_owned(),
                holds.to_string(),
            ]);
        }
        table.write(out)?;
    }
    if changes.is_empty() {
        nothing_found(&store, Some(&args.where_), "no stream ever");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_count(args: &CountArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    parse_filter("--by", &args.by, ".status")?;
    if let Some(text) = &args.where_ {
        parse_filter("--where", text, STATE_EXAMPLE)?;
    }
    let every = parse_duration(&args.every).ok_or_else(|| {
        let mut failure = Failure::usage(format!("--every {}: not a duration", args.every));
        failure.hint = Some("write it as a whole number and a unit: 30s, 15m, 1h or 1d".into());
        failure
    })?;
    let store = super::open(&args.file, &args.read, narrow(args.category.as_ref()))?;
    require_times(&store, "count")?;
    let reducer = reducer(args.projection.as_ref())?;
    let streams = chosen(&store, args.category.as_deref(), &*reducer);
    let steps = Steps::of(&store, &streams, every).map_err(|error| {
        let mut failure = Failure::usage(format!("--every {}: {error}", args.every));
        failure.hint = Some("count by a longer step".into());
        failure
    })?;
    let Some(steps) = steps else {
        nothing_found(&store, None, "no stream");
        return Ok(ExitCode::SUCCESS);
    };
    let counts = count(
        &store,
        &streams,
        &*reducer,
        &args.by,
        args.where_.as_deref(),
        &steps,
    );
    if args.json {
        let rows: Vec<Value> = (1..=steps.last)
            .map(|k| {
                let counts: Map<String, Value> = counts
                    .keys
                    .iter()
                    .zip(&counts.rows[k - 1])
                    .filter(|(_, n)| **n > 0)
                    .map(|(key, n)| (key.clone(), json!(n)))
                    .collect();
                json!({"time": format_seconds(steps.time(k)), "counts": counts})
            })
            .collect();
        super::write_pretty(out, &rows)?;
    } else if args.csv {
        let mut writer = csv::Writer::from_writer(&mut *out);
        writer
            .write_record(std::iter::once("time").chain(counts.keys.iter().map(String::as_str)))?;
        for k in 1..=steps.last {
            let cells = counts.rows[k - 1].iter().map(u64::to_string);
            writer.write_record(std::iter::once(format_seconds(steps.time(k))).chain(cells))?;
        }
        writer.flush()?;
    } else {
        let names: Vec<&str> = std::iter::once("TIME")
            .chain(counts.keys.iter().map(String::as_str))
            .collect();
        let mut table = Table::new(&names);
        for k in 1..=steps.last {
            let cells = counts.rows[k - 1].iter().map(u64::to_string);
            table.row(
                std::iter::once(format_seconds(steps.time(k)))
                    .chain(cells)
                    .collect(),
            );
        }
        table.write(out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The rows of `table`: the folded states that pass `--where`, in the order of their stream's
/// id, with the columns' values. A row is made when it is written: 150 000 rows made at once
/// took 12 MB, and twice that while rayon joined its pieces.
struct Rows<'s> {
    store: &'s Store,
    folded: Vec<Folded<'s>>,
    /// For each of `folded`, its columns' values, or `None` if `--where` left it out; empty
    /// when there is no filter to run.
    values: Vec<Option<Box<[Value]>>>,
    /// Indices into `folded` of the rows, sorted by stream id.
    order: Vec<u32>,
}

impl<'s> Rows<'s> {
    fn new(store: &'s Store, folds: &'s Folds, columns: &[&str], where_: Option<&str>) -> Self {
        let mut folded = Vec::with_capacity(folds.states().count());
        folded.extend(folds.states());
        let any = !columns.is_empty() || where_.is_some();
        // An indexed collect: each answer is written in its place, nothing is joined.
        let values: Vec<Option<Box<[Value]>>> = if any {
            folded
                .par_iter()
                .map_init(
                    || Filters::compile(columns, where_),
                    |filters, folded| {
                        let state = Doc::read(folded.state);
                        filters
                            .passes(&state)
                            .then(|| filters.values(&state).into_boxed_slice())
                    },
                )
                .collect()
        } else {
            Vec::new()
        };
        let id = |i: &u32| &*store.streams()[folded[*i as usize].stream as usize].id;
        let mut order: Vec<u32> = (0..folded.len() as u32)
            .filter(|&i| !any || values[i as usize].is_some())
            .collect();
        order.par_sort_unstable_by(|a, b| id(a).cmp(id(b)));
        Self {
            store,
            folded,
            values,
            order,
        }
    }

    fn len(&self) -> usize {
        self.order.len()
    }

    fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        self.order.iter().map(|&i| self.row(i))
    }

    /// The row of `folded[i]`.
    fn row(&self, i: u32) -> Row<'_> {
        let folded = &self.folded[i as usize];
        let stream = &self.store.streams()[folded.stream as usize];
        let last = self.store.event(stream.events[folded.count - 1]);
        Row {
            stream: &stream.id,
            seq: last.event.seq,
            time: last.time(),
            values: self
                .values
                .get(i as usize)
                .and_then(Option::as_deref)
                .unwrap_or_default(),
            state: folded.state,
        }
    }
}

/// One row of `table`.
struct Row<'s> {
    stream: &'s str,
    seq: u64,
    time: Option<&'s str>,
    values: &'s [Value],
    /// The state as compact JSON text.
    state: &'s str,
}

impl<'s> Row<'s> {
    /// The time as the text table shows it.
    fn time_or_dash(&self) -> &'s str {
        self.time.filter(|t| !t.is_empty()).unwrap_or("-")
    }
}

/// Writes the rows as one JSON array, indented as `serde_json`'s pretty printer does, from the
/// states' text (the states of a big store as trees all at once would take five times the
/// memory of their text, and reading them back costs more than the fold). Pieces of
/// [`ROWS_A_PIECE`] rows are formatted on every core, a few at a time: on one core, the other
/// waited while each row's last event was looked up and its state indented (on the 150 k-stream
/// store, 5–8 % of `table --at-time`'s time), and formatted all at once they would be another
/// copy of the output (100 MB) in memory.
fn write_table_json(out: &mut dyn Write, rows: &Rows<'_>, names: &[&str]) -> std::io::Result<()> {
    write_table_json_in(out, rows, names, ROWS_A_PIECE)
}

/// [`write_table_json`] in pieces of `piece` rows.
fn write_table_json_in(
    out: &mut dyn Write,
    rows: &Rows<'_>,
    names: &[&str],
    piece: usize,
) -> std::io::Result<()> {
    if rows.len() == 0 {
        return writeln!(out, "[]");
    }
    let at_once = piece * rayon::current_num_threads() * 2;
    out.write_all(b"[\n")?;
    for (n, window) in rows.order.chunks(at_once).enumerate() {
        let pieces: Vec<Vec<u8>> = window
            .par_chunks(piece)
            .enumerate()
            .map(|(k, piece)| {
                let mut text = Vec::with_capacity(piece.len() * 1024);
                for (j, &i) in piece.iter().enumerate() {
                    let first = n == 0 && k == 0 && j == 0;
                    write_json_row(&mut text, &rows.row(i), names, first);
                }
                text
            })
            .collect();
        for piece in pieces {
            out.write_all(&piece)?;
        }
    }
    out.write_all(b"\n]\n")
}

/// Rows [`write_table_json`] formats on one core at a time.
const ROWS_A_PIECE: usize = 1024;

/// Appends `row` as an element of [`write_table_json`]'s array, after a comma unless it is the
/// `first`, without the line end that follows it.
fn write_json_row(text: &mut Vec<u8>, row: &Row<'_>, names: &[&str], first: bool) {
    if !first {
        text.extend_from_slice(b",\n");
    }
    text.extend_from_slice(b"  {\n    \"stream\": ");
    text.extend_from_slice(json!(row.stream).to_string().as_bytes());
    text.extend_from_slice(b",\n    \"seq\": ");
    text.extend_from_slice(row.seq.to_string().as_bytes());
    text.extend_from_slice(b",\n    \"time\": ");
    match row.time {
        Some(time) => text.extend_from_slice(json!(time).to_string().as_bytes()),
        None => text.extend_from_slice(b"null"),
    }
    text.extend_from_slice(b",\n");
    if names.is_empty() {
        text.extend_from_slice(b"    \"state\": ");
        indent(row.state.as_bytes(), 2, text);
    } else {
        let values: Map<String, Value> = names
            .iter()
            .zip(row.values)
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect();
        text.extend_from_slice(b"    \"values\": ");
        indent(Value::Object(values).to_string().as_bytes(), 2, text);
    }
    text.extend_from_slice(b"\n  }");
}

/// Appends compact JSON text (as `Value::to_string` writes it: no space outside strings)
/// indented as `serde_json::to_string_pretty` would, as if it stood `level` levels deep.
fn indent(compact: &[u8], level: usize, out: &mut Vec<u8>) {
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b' ', depth * 2));
    };
    let mut depth = level;
    let mut at = 0;
    while let Some(&byte) = compact.get(at) {
        at += 1;
        match byte {
            b'"' => {
                // The string to its closing quote, copied whole: strings are most of a state's
                // text, and were most of this function's time byte by byte.
                let start = at - 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', &compact[at.min(compact.len())..]) {
                        Some(i) if compact[at + i] == b'\\' => at += i + 2,
                        Some(i) => {
                            at += i + 1;
                            break;
                        }
                        None => {
                            at = compact.len();
                            break;
                        }
                    }
                }
                out.extend_from_slice(&compact[start..at.min(compact.len())]);
            }
            b'{' | b'[' => {
                out.push(byte);
                let close = if byte == b'{' { b'}' } else { b']' };
                if compact.get(at) == Some(&close) {
                    out.push(close);
                    at += 1;
                } else {
                    depth += 1;
                    newline(out, depth);
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(out, depth);
                out.push(byte);
            }
            b',' => {
                out.push(byte);
                newline(out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            _ => out.push(byte),
        }
    }
}

/// The cells of a row after `stream,seq,time`: one a column, or the state without columns.
fn cells(row: &Row<'_>, names: &[&str]) -> Vec<String> {
    let mut cells = vec![
        row.stream.to_owned(),
        row.seq.to_string(),
        row.time.unwrap_or_default().to_owned(),
    ];
    if names.is_empty() {
        cells.push(row.state.to_owned());
    } else {
        cells.extend(row.values.iter().map(cell));
    }
    cells
}

fn write_table_csv(out: &mut dyn Write, rows: &Rows<'_>, names: &[&str]) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let tail: &[&str] = if names.is_empty() { &["state"] } else { names };
    writer.write_record(["stream", "seq", "time"].iter().chain(tail))?;
    for row in rows.iter() {
        writer.write_record(cells(&row, names))?;
    }
    writer.flush()?;
    Ok(())
}

/// The text table, a row at a time from the rows: a [`Table`] would hold every cell at once
/// (80 MB for the states of 150 000 streams). The last column is not padded.
fn write_table_text(out: &mut dyn Write, rows: &Rows<'_>, names: &[&str]) -> std::io::Result<()> {
    let tail: &[&str] = if names.is_empty() { &["STATE"] } else { names };
    let header: Vec<&str> = ["STREAM", "SEQ", "TIME"]
        .iter()
        .chain(tail)
        .copied()
        .collect();
    write_streamed(out, &header, || {
        rows.iter().map(|row| {
            let mut cells = cells(&row, names);
            row.time_or_dash().clone_into(&mut cells[2]);
            cells
        })
    })
}

/// What `--category` leaves a database to read.
fn narrow(category: Option<&String>) -> Narrow {
    category.map_or(Narrow::All, |c| Narrow::Category(c.clone()))
}

/// Times are needed to answer at a time: a store without any says so (exit 1).
fn require_times(store: &Store, what: &str) -> Result<(), Failure> {
    if store.has_times() {
        return Ok(());
    }
    Err(Failure::not_found(
        format!(
            "{}: no event has a time, so {what} has nothing to go by",
            store.name()
        ),
        Some("name the records' time member with --time-field POINTER".into()),
    ))
}

/// An empty answer says so on stderr, with the question.
fn nothing_found(store: &Store, filter: Option<&str>, what: &str) {
    match filter {
        Some(filter) => eprintln!("note: {}: {what} holds --where {filter}", store.name()),
        None => eprintln!("note: {}: {what} has an event there", store.name()),
    }
}

/// Says on stderr which events the reducer could not apply (their state is the one before).
fn warn_failures(store: &Store, failures: impl Iterator<Item = Failed>) {
    const SHOWN: usize = 5;
    let mut failures: Vec<Failed> = failures.collect();
    failures.sort_unstable_by_key(|(stream, k, _)| store.streams()[*stream as usize].events[*k]);
    for (stream, k, why) in failures.iter().take(SHOWN) {
        let event = store.event(store.streams()[*stream as usize].events[*k]);
        eprintln!(
            "warning: stream \"{}\" seq {} ({}) was not applied: {why}",
            event.stream(),
            event.event.seq,
            event.place()
        );
    }
    if failures.len() > SHOWN {
        let more = failures.len() - SHOWN;
        eprintln!(
            "warning: and {more} more event{} were not applied; see eventlens check --projection",
            plural(more)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    /// `table --json` of a store of 11 streams (one with no time), formatted in pieces of 1, 2,
    /// 3 and 1 024 rows, with and without columns and `--where`: each time what `serde_json`'s
    /// pretty printer writes of the same rows.
    #[test]
    fn rows_formatted_in_pieces_are_the_array_pretty_printed() {
        let mut text = String::new();
        for k in 0..11 {
            let time = if k == 4 {
                String::new()
            } else {
                format!(r#","time":"2024-01-0{}T00:00:00Z""#, 1 + k % 9)
            };
            let _ = writeln!(
                text,
                r#"{{"stream":"s-{k}","seq":1,"type":"T"{time},"data":{{"n":{k},"a":{{"b":[1,{{"c":"x\"{{"}}]}},"e":{{}}}}}}"#
            );
            let _ = writeln!(
                text,
                r#"{{"stream":"s-{k}","seq":2,"type":"T"{time},"data":{{"m":0.10}}}}"#
            );
        }
        let path = std::path::Path::new("pieces.jsonl");
        let store = Store::from_bytes(
            path,
            text.into_bytes(),
            &crate::store::ReadOptions::default(),
        )
        .unwrap();
        let mut folds = Folds::new(Arc::new(crate::replay::MergePatch));
        folds.move_to(&store, Moment::End, |_| true);
        for (columns, where_) in [(vec![], None), (vec![".n", ".a.b"], Some(".n != 3"))] {
            let names = &["n", "b"][..columns.len()];
            let rows = Rows::new(&store, &folds, &columns, where_);
            let expected: Vec<Value> = rows
                .iter()
                .map(|row| {
                    let mut object =
                        json!({"stream": row.stream, "seq": row.seq, "time": row.time});
                    if columns.is_empty() {
                        object["state"] = serde_json::from_str(row.state).unwrap();
                    } else {
                        object["values"] = names
                            .iter()
                            .copied()
                            .zip(row.values.iter().cloned())
                            .collect();
                    }
                    object
                })
                .collect();
            assert_eq!(expected.len(), if where_.is_some() { 10 } else { 11 });
            let expected = serde_json::to_string_pretty(&expected).unwrap() + "\n";
            for piece in [1, 2, 3, 1024] {
                let mut out = Vec::new();
                write_table_json_in(&mut out, &rows, names, piece).unwrap();
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    expected,
                    "pieces of {piece}"
                );
            }
        }
    }

    #[test]
    fn indenting_compact_text_is_pretty_printing() {
        let value = json!({"a": [], "b": {}, "c": [1, {"d": "x\\\"y,{}:[]", "e": null}], "f": {"g": 0.10},
            "h": "\\", "i": "end\\\\", "": "ü\\u0001", "j": "\u{1}\"{"});
        let mut out = Vec::new();
        indent(value.to_string().as_bytes(), 0, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }
}
