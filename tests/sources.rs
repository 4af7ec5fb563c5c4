//! Sources other than a plain file: standard input, gzip and zstd archives (the same output as
//! the plain file, byte for byte; a cut-off archive), a `SQLite` store written by Python's
//! `eventsourcing` itself, and `events --follow` on a file that grows, shrinks and is replaced,
//! and on standard input.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{available, cmd, eventlens, fixture, write};
use serde_json::Value;

/// What every source is compared on: the outputs of these commands.
fn outputs(source: &str) -> Vec<(String, String)> {
    let runs: [&[&str]; 7] = [
        &["streams", source, "--json"],
        &["events", source, "--json"],
        &["events", source],
        &["state", source, "--stream", "order-1", "--at", "3"],
        &[
            "diff", source, "--stream", "order-2", "--from", "1", "--to", "2",
        ],
        &[
            "blame", source, "--stream", "order-1", "--path", "/total", "--json",
        ],
        &["check", source, "--json"],
    ];
    runs.iter()
        .map(|args| (args[0].to_owned(), eventlens(args).ok()))
        .collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn stdin_gzip_and_zstd_read_exactly_as_the_plain_file() {
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read(fixture("orders.jsonl")).unwrap();
    let expected = outputs(&fixture("orders.jsonl"));
    // The extension is not what tells: the first bytes are.
    let gz = write(dir.path(), "orders.jsonl.gz", &gzip(&plain));
    let zst = write(
        dir.path(),
        "orders.zst",
        &zstd::encode_all(&plain[..], 3).unwrap(),
    );
    let unnamed = write(dir.path(), "orders.bin", &gzip(&plain));
    for source in [&gz, &zst, &unnamed] {
        assert_eq!(outputs(source), expected, "{source}");
    }
    // Two gzip members one after the other, as `cat a.gz b.gz` makes, read as one text.
    let (first, second) = plain.split_at(plain.len() / 2 + 7);
    let members = [gzip(first), gzip(second)].concat();
    let members = write(dir.path(), "members.gz", &members);
    assert_eq!(outputs(&members), expected);
    // Standard input: the same, plain or compressed.
    for bytes in [plain.clone(), gzip(&plain)] {
        for args in [
            &["streams", "-", "--json"][..],
            &["events", "-", "--json"],
            &["state", "-", "--stream", "order-1", "--at", "3"],
            &["check", "-", "--json"],
        ] {
            let want = &expected.iter().find(|(c, _)| c == args[0]).unwrap().1;
            let got = cmd(args).stdin(bytes.clone()).run().ok();
            assert_eq!(&got, want, "{args:?}");
        }
    }
    let run = cmd(&["streams", "-"]).stdin(plain).run().expect_code(0);
    assert!(
        run.stderr.starts_with("note: <stdin>: jsonl (JSON Lines)"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_cut_off_archive_says_where_and_keeps_the_events_before() {
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read(common::sample_store()).unwrap();
    let whole = gzip(&plain);
    let cut_at = whole.len() / 2;
    let cut = write(dir.path(), "cut.jsonl.gz", &whole[..cut_at]);
    let run = eventlens(&["events", &cut, "--json"]).expect_code(2);
    assert!(
        run.stderr.starts_with(&format!(
            "error: {cut}: byte {cut_at}: the gzip archive is cut off"
        )),
        "{}",
        run.stderr
    );
    let read: Vec<&str> = run.stdout.lines().collect();
    assert!(read.len() > 1000 && read.len() < 6000, "{}", read.len());
    let all = eventlens(&["events", &common::sample_store(), "--json"]).ok();
    assert!(
        all.starts_with(&run.stdout),
        "the events before the cut are the store's first ones"
    );
    // check reports it as an error finding and exits 2 (the input could not all be read).
    let check = eventlens(&["check", &cut, "--json"]).expect_code(2);
    let report: Value = serde_json::from_str(&check.stdout).unwrap();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["severity"] == "error"
                && f["code"] == "truncated_tail"
                && f["message"].as_str().unwrap().contains("cut off")),
        "{}",
        check.stdout
    );
    // Garbage after the gzip header is a broken archive, said the same way.
    let mut broken = whole.clone();
    for byte in &mut broken[40..80] {
        *byte = !*byte;
    }
    let broken = write(dir.path(), "broken.gz", &broken);
    let run = eventlens(&["streams", &broken]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(": byte ") && run.stderr.contains("gzip archive is broken"),
        "{}",
        run.stderr
    );
}

/// Writes a `SQLite` store with Python's `eventsourcing` library (an application saving order
/// aggregates), and beside it the same events as JSON Lines, copied from the rows it wrote.
/// `None` (with a notice) where Python or the library is missing, unless CI requires them.
fn eventsourcing_store(dir: &Path) -> Option<(String, String)> {
    let has = Command::new("python3")
        .args(["-c", "import eventsourcing.sqlite"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available(
        "Python's eventsourcing (pip install eventsourcing)",
        has,
        "EVENTLENS_REQUIRE_PYTHON",
    ) {
        return None;
    }
    let db = dir.join("orders.sqlite");
    let jsonl = dir.join("orders-from-rows.jsonl");
    let script = r#"
import json, os, sqlite3, sys
os.environ["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
os.environ["SQLITE_DBNAME"] = sys.argv[1]
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

class Order(Aggregate):
    @event("Placed")
    def __init__(self, customer, order_no):
        self.customer = customer
        self.order_no = order_no
        self.items = {}
        self.status = "placed"

    @event("ItemAdded")
    def add_item(self, sku, qty, price):
        self.items[sku] = {"qty": qty, "price": price}

    @event("Shipped")
    def ship(self, carrier):
        self.status = "shipped"
        self.carrier = carrier

class Orders(Application):
    pass

app = Orders()
orders = [Order("Zoë Ångström", 18446744073709551615), Order("山田 太郎", 2)]
for n, order in enumerate(orders):
    order.add_item("SKU-%d" % n, n + 2, 19.99)
    order.add_item("SKU-9", 1, 1e-7)
app.save(*orders)
orders[0].ship("DHL")
app.save(orders[0])
app.close()

rows = sqlite3.connect(sys.argv[1]).execute(
    "SELECT originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid")
with open(sys.argv[2], "w") as out:
    for stream, version, topic, state in rows:
        out.write('{"stream":%s,"seq":%d,"type":%s,"data":%s}\n'
                  % (json.dumps(stream), version, json.dumps(topic), state.decode()))
"#;
    let ran = Command::new("python3")
        .args(["-c", script])
        .arg(&db)
        .arg(&jsonl)
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "the eventsourcing script failed: {}",
        String::from_utf8_lossy(&ran.stderr)
    );
    Some((db.display().to_string(), jsonl.display().to_string()))
}

#[test]
fn an_eventsourcing_sqlite_store_reads_as_its_events_in_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let Some((db, jsonl)) = eventsourcing_store(dir.path()) else {
        return;
    };
    let before = std::fs::read(&db).unwrap();
    let streams: Value =
        serde_json::from_str(&eventlens(&["streams", &db, "--json"]).ok()).unwrap();
    let expected: Value =
        serde_json::from_str(&eventlens(&["streams", &jsonl, "--json"]).ok()).unwrap();
    assert_eq!(streams, expected);
    assert_eq!(streams.as_array().unwrap().len(), 2);
    for stream in streams.as_array().unwrap() {
        let id = stream["stream"].as_str().unwrap();
        for args in [
            &["state", "--stream", id][..],
            &["state", "--stream", id, "--at", "2"],
            &["diff", "--stream", id, "--at", "2"],
            &["blame", "--stream", id, "--path", "/price", "--json"],
        ] {
            let on = |source: &str| eventlens(&[&args[..1], &[source], &args[1..]].concat()).ok();
            assert_eq!(on(&db), on(&jsonl), "{args:?}");
        }
    }
    // The read side folds every stream of it as it folds the same events in a file.
    let table = [
        "table",
        "--column=price=.price",
        "--column=carrier=.carrier",
        "--json",
    ];
    let on = |source: &str| eventlens(&[&table[..1], &[source], &table[1..]].concat()).ok();
    assert_eq!(on(&db), on(&jsonl));
    assert!(on(&db).contains("\"price\": 1e-07"), "{}", on(&db));
    let watch = |source: &str| -> Vec<(Value, Value)> {
        let out = eventlens(&["when", source, "--where", ".carrier == \"DHL\"", "--json"]).ok();
        let lines = out
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap());
        lines
            .map(|c| (c["stream"].clone(), c["seq"].clone()))
            .collect()
    };
    assert_eq!(watch(&db), watch(&jsonl));
    assert_eq!(watch(&db).len(), 1);
    // Numbers exactly as eventsourcing stored them (an event holds its method's arguments).
    let zoe = streams[0]["stream"].as_str().unwrap().to_owned();
    let state = eventlens(&["state", &db, "--stream", &zoe]).ok();
    let other = streams[1]["stream"].as_str().unwrap().to_owned();
    let state = state + &eventlens(&["state", &db, "--stream", &other]).ok();
    for exact in ["18446744073709551615", "1e-07", "Zoë Ångström", "\"DHL\""] {
        assert!(state.contains(exact), "{exact} in {state}");
    }
    let history = eventlens(&["blame", &db, "--stream", &zoe, "--path", "/price"]).ok();
    assert!(history.contains("19.99 → 1e-07"), "{history}");
    // Rows have positions (eventsourcing's notification ids) and no lines.
    let events = eventlens(&["events", &db, "--json"]).ok();
    let first: Value = serde_json::from_str(events.lines().next().unwrap()).unwrap();
    assert_eq!(
        (first["position"].clone(), first["line"].clone()),
        (1.into(), Value::Null)
    );
    let note = eventlens(&["streams", &db]).stderr;
    assert!(
        note.contains("eventsourcing (rows of SQLite table stored_events)"),
        "{note}"
    );
    // The times are in the state, where --time-field finds them.
    let at = eventlens(&[
        "state",
        &db,
        "--stream",
        &zoe,
        "--time-field",
        "/state/timestamp/_data_",
        "--at-time",
        "2000-01-01T00:00:00Z",
    ])
    .ok();
    assert_eq!(at, "{}\n");
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "the database is unchanged"
    );
    let beside: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(beside.len(), 2, "no -wal or -shm file was made: {beside:?}");
}

/// The JSON line of an event of stream `stream` with `seq`.
fn event_line(stream: &str, seq: u64) -> String {
    format!("{{\"stream\":\"{stream}\",\"seq\":{seq},\"type\":\"T\",\"data\":{{\"n\":{seq}}}}}\n")
}

/// The (stream, seq) of each `events --json` line.
fn seqs(lines: &[String]) -> Vec<(String, u64)> {
    lines
        .iter()
        .map(|line| {
            let event: Value = serde_json::from_str(line).unwrap();
            (
                event["stream"].as_str().unwrap().to_owned(),
                event["seq"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

const SOON: Duration = Duration::from_secs(30);
/// Several poll intervals of the followers below (`--poll-ms 40`).
const QUIET: Duration = Duration::from_millis(400);

fn follow(path: &Path) -> common::Running {
    let path = path.display().to_string();
    cmd(&["events", &path, "--follow", "--json", "--poll-ms", "40"]).spawn()
}

#[test]
fn follow_prints_appended_lines_once_and_waits_for_half_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.jsonl");
    std::fs::write(&path, event_line("a", 1) + &event_line("a", 2)).unwrap();
    let running = follow(&path);
    assert_eq!(
        seqs(&running.lines(2, SOON)),
        [("a".into(), 1), ("a".into(), 2)]
    );
    append(&path, &(event_line("b", 1) + &event_line("a", 3)));
    assert_eq!(
        seqs(&running.lines(2, SOON)),
        [("b".into(), 1), ("a".into(), 3)]
    );
    // Half a line waits for the rest.
    let next = event_line("a", 4);
    let (half, rest) = next.split_at(17);
    append(&path, half);
    running.is_quiet_for(QUIET).unwrap();
    append(&path, rest);
    assert_eq!(seqs(&running.lines(1, SOON)), [("a".into(), 4)]);
    running.is_quiet_for(QUIET).unwrap();
    let (code, stderr) = running.interrupt();
    assert_eq!(code, 0, "Ctrl+C ends following with exit 0: {stderr}");
}

#[test]
fn follow_keeps_up_with_bursts_of_ten_thousand_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("burst.jsonl");
    std::fs::write(&path, "").unwrap();
    let running = follow(&path);
    let text: String = (1..=10_000).map(|seq| event_line("s", seq)).collect();
    let writer = {
        let path = path.clone();
        std::thread::spawn(move || {
            // Bursts of uneven sizes that cut lines anywhere.
            let mut at = 0;
            let mut size = 1;
            while at < text.len() {
                let end = (at + size).min(text.len());
                append(&path, &text[at..end]);
                at = end;
                size = size * 7 % 9973 + 1;
                if size % 5 == 0 {
                    std::thread::sleep(Duration::from_millis(3));
                }
            }
        })
    };
    let got = seqs(&running.lines(10_000, Duration::from_secs(120)));
    writer.join().unwrap();
    let expected: Vec<(String, u64)> = (1..=10_000).map(|seq| ("s".to_owned(), seq)).collect();
    assert_eq!(got, expected, "every event exactly once, in order");
    running.is_quiet_for(QUIET).unwrap();
}

#[test]
fn follow_reads_a_truncated_or_replaced_file_again_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rotating.jsonl");
    std::fs::write(&path, event_line("old", 1) + &event_line("old", 2)).unwrap();
    let path_text = path.display().to_string();
    let running = cmd(&[
        "events",
        &path_text,
        "--follow",
        "--json",
        "--poll-ms",
        "40",
    ])
    .spawn();
    assert_eq!(running.lines(2, SOON).len(), 2);
    // Truncated in place, and written again at once: longer than before.
    let rewritten: String = (1..=3).map(|seq| event_line("new", seq)).collect();
    std::fs::write(&path, &rewritten).unwrap();
    assert_eq!(
        seqs(&running.lines(3, SOON)),
        [("new".into(), 1), ("new".into(), 2), ("new".into(), 3)]
    );
    // Replaced by another file (a rename, as log rotation does).
    let next = dir.path().join("next.jsonl");
    std::fs::write(&next, event_line("rotated", 1)).unwrap();
    std::fs::rename(&next, &path).unwrap();
    assert_eq!(seqs(&running.lines(1, SOON)), [("rotated".into(), 1)]);
    append(&path, &event_line("rotated", 2));
    assert_eq!(seqs(&running.lines(1, SOON)), [("rotated".into(), 2)]);
    running.is_quiet_for(QUIET).unwrap();
    let (code, stderr) = running.interrupt();
    assert_eq!(code, 0);
    let said: Vec<&str> = stderr.lines().collect();
    assert_eq!(said.len(), 2, "{stderr}");
    assert!(
        said[0].starts_with("warning: ") && said[0].contains("reading it from the start"),
        "{stderr}"
    );
    assert!(said[1].contains("was replaced by another file"), "{stderr}");
}

#[test]
fn follow_reads_standard_input_as_it_comes_until_it_closes() {
    let (running, mut stdin) =
        cmd(&["events", "-", "--follow", "--json", "--stream", "b"]).spawn_with_stdin();
    stdin
        .write_all((event_line("a", 1) + &event_line("b", 1)).as_bytes())
        .unwrap();
    stdin.flush().unwrap();
    assert_eq!(seqs(&running.lines(1, SOON)), [("b".into(), 1)]);
    stdin.write_all(event_line("b", 2).as_bytes()).unwrap();
    stdin.flush().unwrap();
    assert_eq!(seqs(&running.lines(1, SOON)), [("b".into(), 2)]);
    drop(stdin);
    assert!(
        running.line_within(SOON).is_none(),
        "the end of input ends following"
    );
}
