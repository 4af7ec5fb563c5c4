//! What DESIGN.md promises about the command line and nothing else pins down: exit codes,
//! points in time at their edges, the shape of `blame --json`, a closed pipe, and that no
//! command ever changes the store it reads.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use common::{cmd, eventlens, eventlens_ok, fixture, sample_store, write};
use serde_json::{Value, json};

fn line(stream: &str, seq: u64, time: Option<&str>, data: &Value) -> String {
    let mut record = json!({"stream": stream, "seq": seq, "type": "T", "data": data});
    if let Some(time) = time {
        record["time"] = json!(time);
    }
    format!("{record}\n")
}

fn state_at_time(file: &str, at: &str) -> Value {
    let out = eventlens_ok(&["state", file, "--stream", "s", "--at-time", at]);
    serde_json::from_str(&out).unwrap()
}

#[test]
fn check_exits_0_on_warnings_only_and_1_on_the_stores_own_errors() {
    let dir = tempfile::tempdir().unwrap();
    // A seq gap is a warning.
    let gap: String = [1, 2, 4]
        .iter()
        .map(|&seq| line("s", seq, None, &json!({})))
        .collect();
    let gap = write(dir.path(), "gap.jsonl", gap.as_bytes());
    // A seq used twice is an error.
    let twice: String = [1, 2, 2]
        .iter()
        .map(|&seq| line("s", seq, None, &json!({})))
        .collect();
    let twice = write(dir.path(), "twice.jsonl", twice.as_bytes());
    for output in [&[][..], &["--json"], &["--csv"]] {
        let warned = eventlens(&[&["check", gap.as_str()][..], output].concat()).expect_code(0);
        assert!(warned.stdout.contains("seq_gap"), "{}", warned.stdout);
        let failed = eventlens(&[&["check", twice.as_str()][..], output].concat()).expect_code(1);
        assert!(failed.stdout.contains("seq_duplicate"), "{}", failed.stdout);
    }
    // A clean store has nothing to say and exits 0.
    let clean = eventlens(&["check", &fixture("orders.jsonl"), "--json"]).ok();
    let report: Value = serde_json::from_str(&clean).unwrap();
    assert_eq!(report["findings"], json!([]));
}

#[test]
fn at_time_takes_the_last_event_at_or_before_the_instant() {
    let dir = tempfile::tempdir().unwrap();
    let events = [
        line("s", 1, Some("2024-03-01T10:00:00Z"), &json!({"a": 1})),
        line("s", 2, Some("2024-03-01T10:00:00.500Z"), &json!({"a": 2})),
        // 10:00:01Z written in another zone.
        line("s", 3, Some("2024-03-01T11:00:01+01:00"), &json!({"a": 3})),
        // No time: it counts only as part of what comes before a later timed event.
        line("s", 4, None, &json!({"a": 4, "untimed": true})),
        line("s", 5, Some("2024-03-01T10:00:02.25Z"), &json!({"a": 5})),
        // Backwards: earlier than seq 5, yet the last event at or before 10:00:01.9Z.
        line("s", 6, Some("2024-03-01T10:00:01.5Z"), &json!({"a": 6})),
    ]
    .concat();
    let file = write(dir.path(), "times.jsonl", events.as_bytes());
    let a = |at: &str| state_at_time(&file, at)["a"].clone();
    assert_eq!(state_at_time(&file, "2024-03-01T09:59:59.999Z"), json!({}));
    // An event exactly at T is included.
    assert_eq!(a("2024-03-01T10:00:00Z"), json!(1));
    assert_eq!(a("2024-03-01T10:00:00.499999Z"), json!(1));
    assert_eq!(a("2024-03-01T10:00:00.5Z"), json!(2));
    assert_eq!(a("2024-03-01T10:00:00.500000001Z"), json!(2));
    // T in another offset: 12:00:01+02:00 is seq 3's instant.
    assert_eq!(a("2024-03-01T12:00:01+02:00"), json!(3));
    assert_eq!(a("2024-03-01T05:00:00.750-05:00"), json!(2));
    // Between seq 3 and seq 6's times: the untimed seq 4 is not reached.
    let at = state_at_time(&file, "2024-03-01T10:00:01.2Z");
    assert_eq!(at, json!({"a": 3}));
    // Seq 6 went back in time to 10:00:01.5: it is the last event at or before 10:00:01.9,
    // so everything up to it is applied, seq 5 included.
    assert_eq!(
        state_at_time(&file, "2024-03-01T10:00:01.9Z"),
        json!({"a": 6, "untimed": true})
    );
    assert_eq!(a("2030-01-01T00:00:00Z"), json!(6));
}

#[test]
fn blame_json_leaves_out_old_on_add_and_new_on_remove() {
    let dir = tempfile::tempdir().unwrap();
    let events = [
        line("s", 1, None, &json!({"x": 1})),
        line("s", 2, None, &json!({"x": 2})),
        line("s", 3, None, &json!({"x": null})),
    ]
    .concat();
    let file = write(dir.path(), "blame.jsonl", events.as_bytes());
    let out = eventlens_ok(&["blame", &file, "--stream", "s", "--path", "/x", "--json"]);
    let rows: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        rows,
        json!([
            {"seq": 1, "type": "T", "time": null, "op": "add", "new": 1},
            {"seq": 2, "type": "T", "time": null, "op": "replace", "old": 1, "new": 2},
            {"seq": 3, "type": "T", "time": null, "op": "remove", "old": 2},
        ])
    );
    let keys: Vec<Vec<&str>> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect()
        })
        .collect();
    assert_eq!(
        keys,
        [
            vec!["seq", "type", "time", "op", "new"],
            vec!["seq", "type", "time", "op", "old", "new"],
            vec!["seq", "type", "time", "op", "old"],
        ],
        "the members, in the contract's order"
    );
}

#[test]
fn a_missing_stream_exits_1_in_every_command() {
    let file = fixture("orders.jsonl");
    let missing = ["--stream", "order-404"];
    for args in [
        &["state", &file][..],
        &["diff", &file, "--at", "1"],
        &["diff", &file, "--from", "1", "--to", "2"],
        &["blame", &file, "--path", "/total"],
        &["blame", &file, "--path", "/total", "--json"],
        &["events", &file],
        &["events", &file, "--json"],
        &["bench", "scrub", &file, "--samples", "3"],
    ] {
        let run = eventlens(&[args, &missing[..]].concat()).expect_code(1);
        assert!(
            run.stderr.starts_with(&format!(
                "error: {file}: stream \"order-404\" does not exist"
            )),
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{args:?} printed {}", run.stdout);
    }
}

#[test]
fn a_closed_pipe_ends_the_output_quietly_with_exit_0() {
    for args in [
        &["events", "--json"][..],
        &["events"],
        &["streams"],
        &["streams", "--json"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_eventlens"))
            .args(&args[..1])
            .arg(sample_store())
            .args(&args[1..])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty(), "{args:?} printed nothing");
        // The reader is gone (as `| head -1` goes): the rest meets a closed pipe.
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("error") && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn no_command_changes_the_store_it_reads() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read(fixture("orders.jsonl")).unwrap();
    let file = write(dir.path(), "store.jsonl", &original);
    let script = write(
        dir.path(),
        "p.js",
        b"fromAll().when({ $any: (s, e) => { s.n = (s.n || 0) + 1; } })",
    );
    let modified = std::fs::metadata(&file).unwrap().modified().unwrap();
    for args in [
        &["streams", &file][..],
        &["streams", &file, "--json"],
        &["events", &file],
        &[
            "events",
            &file,
            "--json",
            "--stream",
            "order-1",
            "--type",
            "ItemAdded",
        ],
        &["state", &file, "--stream", "order-1"],
        &[
            "state",
            &file,
            "--stream",
            "order-1",
            "--at-time",
            "2024-03-01T10:06:00Z",
        ],
        &[
            "state",
            &file,
            "--stream",
            "order-1",
            "--projection",
            &script,
        ],
        &["diff", &file, "--stream", "order-1", "--at", "2"],
        &[
            "diff", &file, "--stream", "order-1", "--from", "1", "--to", "3",
        ],
        &[
            "blame", &file, "--stream", "order-1", "--path", "/total", "--json",
        ],
        &["check", &file],
        &["check", &file, "--json", "--projection", &script],
        &["check", &file, "--csv"],
        &[
            "bench",
            "scrub",
            &file,
            "--stream",
            "order-1",
            "--samples",
            "5",
        ],
    ] {
        cmd(args).run().expect_code(0);
        assert_eq!(std::fs::read(&file).unwrap(), original, "{args:?}");
    }
    assert_eq!(
        std::fs::metadata(&file).unwrap().modified().unwrap(),
        modified
    );
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        entries.len(),
        2,
        "nothing was written beside it: {entries:?}"
    );
}

#[test]
fn a_field_the_mapping_missed_is_said_with_the_option_that_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = concat!(
        "{\"stream\":\"o-1\",\"seq\":1,\"type\":\"T\",\"ts\":1709287200000,\"data\":{\"n\":1}}\n",
        "{\"stream\":\"o-1\",\"seq\":2,\"type\":\"T\",\"ts\":1709287260000,\"data\":{\"n\":2}}\n",
    );
    let file = write(dir.path(), "ts.jsonl", store.as_bytes());
    let at = ["--stream", "o-1", "--at-time", "2024-03-01T10:00:30Z"];
    let run = eventlens(&[&["state", &file][..], &at].concat()).expect_code(1);
    assert!(run.stdout.is_empty(), "no state is printed: {}", run.stdout);
    assert!(
        run.stderr.starts_with(&format!(
            "error: {file}: no event of stream \"o-1\" has a time"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("/ts = 1709287200000")
            && run
                .stderr
                .contains("/ts looks like a time: eventlens state")
            && run.stderr.trim_end().ends_with("--time-field /ts"),
        "{}",
        run.stderr
    );
    let fixed = eventlens_ok(&[&["state", &file][..], &at, &["--time-field", "/ts"]].concat());
    assert_eq!(
        serde_json::from_str::<Value>(&fixed).unwrap(),
        json!({"n": 1})
    );
    // check says it too, as an info finding (exit 0).
    let report = eventlens(&["check", &file, "--json"]).ok();
    let report: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["findings"][0]["severity"], "info");
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("--time-field /ts"),
        "{report}"
    );
    // A store whose records name no stream the mapping knows.
    let agg = write(
        dir.path(),
        "agg.jsonl",
        b"{\"agg\":{\"id\":\"x\"},\"type\":\"A\",\"data\":{}}\n",
    );
    let run = eventlens(&["state", &agg, "--stream", "x"]).expect_code(1);
    assert!(
        run.stderr.contains("/agg = {\"id\":\"x\"}") && run.stderr.contains("--stream-field"),
        "{}",
        run.stderr
    );
}
