//! Projections: the same script gives the same states in eventlens as in an independent
//! KurrentDB-style host on Node.js; failures are reported per event by the command line.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{eventlens, eventlens_ok, fixture, sample_store};
use eventlens::replay::{Limits, Projection, Replay};
use eventlens::source::{Source, read};
use eventlens::store::ReadOptions;
use serde_json::Value;

/// The states `tests/node/kurrent-host.js` folds, or `None` with a printed notice when Node.js
/// is not installed. With `EVENTLENS_REQUIRE_NODE=1` (set by `.ci/run`) its absence fails.
fn node_states(store: &str, script: &str) -> Option<BTreeMap<String, Value>> {
    let host = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node/kurrent-host.js");
    let Ok(output) = Command::new("node")
        .arg(host)
        .arg(store)
        .arg(script)
        .output()
    else {
        assert!(
            std::env::var("EVENTLENS_REQUIRE_NODE").is_err(),
            "node is missing and EVENTLENS_REQUIRE_NODE is set"
        );
        eprintln!("notice: skipping: node (Node.js) is not installed");
        return None;
    };
    assert!(
        output.status.success(),
        "node failed on {script}:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).expect("the host prints JSON"))
}

fn same_states_as_node(script: &str) {
    let store_path = sample_store();
    let Some(expected) = node_states(&store_path, script) else {
        return;
    };
    let source = Source::Path(store_path.clone().into());
    let (store, _) = read(&source, &ReadOptions::default()).expect("the sample opens");
    let projection =
        Projection::load(Path::new(script), Limits::default()).expect("the script loads");
    let mut compared = 0;
    for stream in store.streams() {
        let Some(expected) = expected.get(&*stream.id) else {
            continue;
        };
        let mut replay = Replay::new(&store, stream, &projection);
        let state = replay.state_after(stream.events.len());
        assert!(replay.failures().is_empty(), "{:?}", replay.failures());
        assert_eq!(&state, expected, "{script}: stream {}", stream.id);
        compared += 1;
    }
    assert_eq!(compared, expected.len());
    // fromCategory('order'): every order of the sample, none of its payments or shipments.
    assert_eq!(compared, 276);
    // The command line says the same.
    let printed = eventlens_ok(&[
        "state",
        &store_path,
        "--stream",
        "order-1042",
        "--projection",
        script,
    ]);
    assert_eq!(
        &serde_json::from_str::<Value>(&printed).expect("state prints JSON"),
        &expected["order-1042"]
    );
}

#[test]
fn the_sample_projection_folds_as_on_node() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/order-summary.js");
    same_states_as_node(&script.display().to_string());
}

#[test]
fn an_es5_kurrentdb_projection_folds_as_on_node() {
    same_states_as_node(&fixture("projections/by-source.js"));
}

#[test]
fn check_reports_each_failed_event_and_goes_on() {
    let store = sample_store();
    let script = fixture("projections/faulty.js");
    let run = eventlens(&["check", &store, "--json", "--projection", &script]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let failed: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "projection_error")
        .collect();
    let found: Vec<(&str, u64, &str)> = failed
        .iter()
        .map(|f| {
            (
                f["stream"].as_str().unwrap(),
                f["seq"].as_u64().unwrap(),
                f["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "order-1002",
                13,
                "the handler DiscountApplied failed: Error: a discount over 5 % needs approval (at faulty.js:11:17)"
            ),
            (
                "order-1001",
                29,
                "the handler RefundIssued failed: it ran past the time limit of 250 ms (at faulty.js:15:27)"
            ),
        ]
    );
    assert!(
        failed
            .iter()
            .all(|f| f["severity"] == "error" && f["line"].as_u64().unwrap() > 0)
    );
    // The store's own findings are still there.
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "duplicate_id")
    );

    // The state goes on from the one before the failed event.
    let state = eventlens(&[
        "state",
        &store,
        "--stream",
        "order-1002",
        "--projection",
        &script,
    ]);
    assert_eq!(state.code, 0);
    assert_eq!(
        serde_json::from_str::<Value>(&state.stdout).unwrap()["discounts"],
        2
    );
    assert!(
        state.stderr.contains("warning: seq 13 (line "),
        "{}",
        state.stderr
    );
    assert!(
        state.stderr.contains("a discount over 5 % needs approval"),
        "{}",
        state.stderr
    );

    let csv = eventlens_ok_or_1(&["check", &store, "--csv", "--projection", &script]);
    assert!(
        csv.starts_with("severity,code,stream,seq,line,message\n"),
        "{csv}"
    );
    assert!(csv.contains(",projection_error,order-1002,13,"), "{csv}");
}

fn eventlens_ok_or_1(args: &[&str]) -> String {
    let run = eventlens(args);
    assert!(run.code <= 1, "{}", run.stderr);
    run.stdout
}

#[test]
fn diff_and_blame_use_the_projection() {
    let store = sample_store();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/order-summary.js");
    let script = script.display().to_string();
    let diff = eventlens_ok(&[
        "diff",
        &store,
        "--stream",
        "order-1042",
        "--at",
        "4",
        "--projection",
        &script,
    ]);
    let diff: Value = serde_json::from_str(&diff).unwrap();
    assert_eq!(
        diff,
        serde_json::json!([
            {"op": "replace", "path": "/lines/SKU-1010/qty", "value": 4},
            {"op": "replace", "path": "/units", "value": 5},
            {"op": "replace", "path": "/statedTotal", "value": 81.5},
            {"op": "replace", "path": "/computedTotal", "value": 81.5},
            {"op": "replace", "path": "/handled", "value": 4}
        ])
    );
    let blame = eventlens_ok(&[
        "blame",
        &store,
        "--stream",
        "order-1042",
        "--path",
        "/status",
        "--json",
        "--projection",
        &script,
    ]);
    let blame: Vec<Value> = serde_json::from_str(&blame).unwrap();
    let steps: Vec<(u64, &str)> = blame
        .iter()
        .map(|b| (b["seq"].as_u64().unwrap(), b["new"].as_str().unwrap()))
        .collect();
    assert_eq!(steps.first(), Some(&(1, "placed")));
    assert_eq!(steps.last().map(|s| s.1), Some("shipped"));
}

#[test]
fn bad_projections_are_usage_errors_that_say_where() {
    let store = sample_store();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("broken.js");
    std::fs::write(
        &script,
        "fromAll().when({\n  A: (s, e) => { s.x = ; },\n});\n",
    )
    .unwrap();
    let run = eventlens(&[
        "state",
        &store,
        "--stream",
        "order-1042",
        "--projection",
        script.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr.trim(),
        format!(
            "error: {}:2:24: SyntaxError: unexpected token in expression: ';'",
            script.display()
        )
    );
    let run = eventlens(&["check", &store, "--projection", "no-such.js"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: no-such.js: cannot read the projection:"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_stream_the_projection_does_not_read_keeps_its_init_state() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("one.js");
    std::fs::write(
        &script,
        "fromStream('order-1000').when({ $init: () => ({ n: 0 }), $any: (s) => { s.n++; } });",
    )
    .unwrap();
    let run = eventlens(&[
        "state",
        &sample_store(),
        "--stream",
        "order-1042",
        "--projection",
        script.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0);
    assert_eq!(
        serde_json::from_str::<Value>(&run.stdout).unwrap(),
        serde_json::json!({"n": 0})
    );
    assert!(
        run.stderr
            .contains("reads fromStream('order-1000'), which leaves out stream \"order-1042\""),
        "{}",
        run.stderr
    );
}
