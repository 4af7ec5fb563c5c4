//! Bad input never panics, aborts or hangs: it gets a clear `error: FILE:LINE: …` and exit 2
//! (1 where the contract says so), and a store with broken records still opens.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::path::{Path, PathBuf};

use common::{Run, eventlens, fixture};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

fn good_line(seq: u64) -> String {
    format!("{{\"stream\":\"s\",\"seq\":{seq},\"type\":\"T\",\"data\":{{\"n\":{seq}}}}}\n")
}

/// The errors and warnings `check` finds (its info findings, such as a store without times,
/// are beside the point here).
fn findings(file: &str) -> Vec<(String, u64, String)> {
    let run = eventlens(&["check", file, "--json"]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|_| panic!("check --json printed: {}{}", run.stdout, run.stderr));
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn assert_error(run: &Run, code: i32, starts: &str) {
    assert_eq!(run.code, code, "stderr: {}", run.stderr);
    assert!(
        run.stderr.starts_with(starts),
        "expected stderr to start with {starts:?}, got {:?}",
        run.stderr
    );
}

#[test]
fn unopenable_files_exit_2_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.jsonl", b"");
    assert_error(
        &eventlens(&["streams", &empty]),
        2,
        &format!("error: {empty}: the file is empty"),
    );
    let binary: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let random = write(dir.path(), "random.bin", &binary);
    assert_error(
        &eventlens(&["check", &random]),
        2,
        &format!("error: {random}:1: no record could be read as an event"),
    );
    let directory = dir.path().display().to_string();
    assert_error(
        &eventlens(&["state", &directory, "--stream", "s"]),
        2,
        &format!("error: {directory}: is a directory"),
    );
    let missing = dir.path().join("nope.jsonl").display().to_string();
    assert_error(
        &eventlens(&["events", &missing]),
        2,
        &format!("error: {missing}: No such file or directory"),
    );
}

#[test]
fn broken_records_are_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = good_line(1);
    text.push_str("{\"stream\":\"s\",\"seq\":2,\"type\":\"T\",\"data\":{\"n\":\0}}\n"); // NUL byte
    text.push_str("42\n\"just a string\"\n[1,2]\n"); // not objects
    text.push_str("{\"stream\":\"s\",\"seq\":18446744073709551616,\"type\":\"T\"}\n"); // seq beyond 64 bits
    text.push_str("{\"stream\":{\"id\":1},\"type\":\"T\"}\n"); // wrong field type
    text.push_str("{\"stream\":\"s\",\"seq\":\"two\",\"type\":\"T\"}\n");
    text.push_str(&good_line(2));
    let file = write(dir.path(), "broken.jsonl", text.as_bytes());
    let state = eventlens(&["state", &file, "--stream", "s"]);
    assert_eq!(state.code, 0, "{}", state.stderr);
    assert_eq!(state.stdout, "{\n  \"n\": 2\n}\n");
    assert!(
        state.stderr.contains("warning: ")
            && state
                .stderr
                .contains("7 records could not be read (the first at line 2); see eventlens check"),
        "{}",
        state.stderr
    );
    let codes: Vec<(String, u64)> = findings(&file)
        .into_iter()
        .map(|(code, line, _)| (code, line))
        .collect();
    let expected = [
        ("parse_error", 2),
        ("missing_field", 3),
        ("missing_field", 4),
        ("missing_field", 5),
        ("missing_field", 6),
        ("missing_field", 7),
        ("missing_field", 8),
    ];
    assert_eq!(codes, expected.map(|(c, l)| (c.to_owned(), l)));
    let messages: Vec<String> = findings(&file).into_iter().map(|(_, _, m)| m).collect();
    assert!(
        messages[1].contains("a number, not a JSON object"),
        "{messages:?}"
    );
    assert!(
        messages[4].contains("does not fit in 64 bits"),
        "{messages:?}"
    );
    assert!(messages[5].contains("stream is an object"), "{messages:?}");
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!(
        "{{\"stream\":\"s\",\"type\":\"T\",\"data\":{}1{}}}\n",
        "[".repeat(200_000),
        "]".repeat(200_000)
    );
    let file = write(
        dir.path(),
        "deep.jsonl",
        format!("{}{deep}{}", good_line(1), good_line(2)).as_bytes(),
    );
    assert_eq!(
        common::eventlens_ok(&["state", &file, "--stream", "s"]),
        "{\n  \"n\": 2\n}\n"
    );
    let found = findings(&file);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].0 == "parse_error"
            && found[0].1 == 2
            && found[0].2.contains("nested more than 127 levels"),
        "{found:?}"
    );
}

#[test]
fn a_60_mb_line_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let big = format!(
        "{{\"stream\":\"big\",\"type\":\"Blob\",\"data\":{{\"blob\":\"{}\"}}}}\n",
        "x".repeat(60 << 20)
    );
    let file = write(
        dir.path(),
        "big.jsonl",
        format!("{}{big}", good_line(1)).as_bytes(),
    );
    let streams = common::eventlens_ok(&["streams", &file, "--json"]);
    assert!(streams.contains("\"stream\": \"big\""), "{streams}");
    let diff = common::eventlens_ok(&["diff", &file, "--stream", "big", "--at", "1"]);
    assert!(
        diff.starts_with("[\n  {\n    \"op\": \"add\",\n    \"path\": \"/blob\",")
            && diff.len() > 60 << 20,
        "one add of the whole blob"
    );
}

#[test]
fn half_written_array_keeps_its_whole_elements() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "cut.json", b"[\n{\"stream\":\"s\",\"type\":\"T\",\"data\":{\"a\":1}},\n{\"stream\":\"s\",\"type\":\"T\",\"data\":{\"b\":");
    let state = eventlens(&["state", &file, "--stream", "s"]);
    assert_eq!(state.code, 0, "{}", state.stderr);
    assert_eq!(state.stdout, "{\n  \"a\": 1\n}\n");
    let codes: Vec<(String, u64)> = findings(&file)
        .into_iter()
        .map(|(c, l, _)| (c, l))
        .collect();
    assert_eq!(
        codes,
        [
            ("parse_error".to_owned(), 3),
            ("truncated_tail".to_owned(), 3)
        ]
    );
}

#[test]
fn missing_streams_and_seqs_exit_1_with_a_hint() {
    let file = fixture("orders.jsonl");
    let run = eventlens(&["state", &file, "--stream", "order"]);
    assert_error(
        &run,
        1,
        &format!("error: {file}: stream \"order\" does not exist"),
    );
    assert!(
        run.stderr.contains("hint: did you mean order-1, order-2?"),
        "{}",
        run.stderr
    );
    let run = eventlens(&["diff", &file, "--stream", "order-1", "--at", "99"]);
    assert_error(
        &run,
        1,
        &format!(
            "error: {file}: stream \"order-1\" has no event with seq 99 (its seqs run from 1 to 5)"
        ),
    );
    let run = eventlens(&[
        "state",
        &file,
        "--stream",
        "order-1",
        "--at-time",
        "yesterday",
    ]);
    assert_error(&run, 2, "error: --at-time yesterday: not an RFC 3339 time");
    let run = eventlens(&["blame", &file, "--stream", "order-1", "--path", "total"]);
    assert_error(&run, 2, "error: --path total: not a JSON Pointer");
    let run = eventlens(&["state", &file]);
    assert_eq!(run.code, 2, "a missing --stream is bad usage");
}

#[test]
fn the_store_file_is_never_changed() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read(fixture("orders.jsonl")).unwrap();
    let file = write(dir.path(), "store.jsonl", &original);
    let modified = std::fs::metadata(&file).unwrap().modified().unwrap();
    for args in [
        &["streams", &file][..],
        &["check", &file],
        &["state", &file, "--stream", "order-1"],
        &["diff", &file, "--stream", "order-1", "--at", "2"],
    ] {
        eventlens(args);
    }
    let generate = eventlens(&["generate", "--events", "10", "-o", &file]);
    assert_eq!(
        generate.code, 2,
        "generate refuses to overwrite: {}",
        generate.stderr
    );
    assert_eq!(std::fs::read(&file).unwrap(), original);
    assert_eq!(
        std::fs::metadata(&file).unwrap().modified().unwrap(),
        modified
    );
    assert!(PathBuf::from(&file).exists());
}
