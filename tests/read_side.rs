//! The read side from the command line: `table`, `when`, `count` (and `events --where` in
//! tests/cli.rs), golden on the fixtures, the same from merge patches and from a projection
//! that does the same, and exact numbers through a column.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use common::{eventlens, eventlens_ok, fixture, sample_store};
use proptest::prelude::*;
use serde_json::Value;

/// Columns over the fixture's orders: big numbers, a nested member, a filter that fails on
/// order-1 (it has no tags: `null | join` is an error), one that has no output there.
const COLUMNS: [&str; 6] = [
    "--column=no=.order_no",
    "--column=big=.discount.big",
    "--column=precise=.discount.precise",
    "--column=tags=.tags | join(\",\")",
    "--column=sku1=.items[\"SKU-1\"].qty",
    "--column=.customer.name",
];

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn table(file: &str, extra: &[&str]) -> String {
    let mut args = vec!["table", file];
    args.extend_from_slice(extra);
    eventlens_ok(&args)
}

#[test]
fn table_golden_in_json_csv_and_text() {
    let file = fixture("orders.jsonl");
    let mut with = COLUMNS.to_vec();
    with.push("--json");
    insta::assert_snapshot!("table_columns_json", table(&file, &with));
    let mut csv = COLUMNS.to_vec();
    csv.extend(["--csv", "--at-time", "2024-03-01T10:10:00Z"]);
    insta::assert_snapshot!("table_columns_csv_at_10_10", table(&file, &csv));
    insta::assert_snapshot!("table_columns_text", table(&file, &COLUMNS));
    insta::assert_snapshot!(
        "table_states_json_at_10_06",
        table(&file, &["--json", "--at-time", "2024-03-01T10:06:00Z"])
    );
    insta::assert_snapshot!("table_states_csv", table(&file, &["--csv"]));
    insta::assert_snapshot!("table_states_text", table(&file, &[]));
}

#[test]
fn big_numbers_come_through_a_column_exactly() {
    let out = json(&table(
        &fixture("orders.jsonl"),
        &COLUMNS[..3]
            .iter()
            .copied()
            .chain(["--json"])
            .collect::<Vec<_>>(),
    ));
    let values = &out[0]["values"];
    assert_eq!(values["no"].to_string(), "18446744073709551615");
    assert_eq!(values["big"].to_string(), "123456789012345678901234567890");
    assert_eq!(values["precise"].to_string(), "0.12345678901234567890123");
    let csv = table(
        &fixture("orders.jsonl"),
        &["--column=n=.order_no + 1", "--csv"],
    );
    assert!(
        csv.contains("order-1,5,2024-03-01T10:20:00Z,18446744073709551616\n"),
        "{csv}"
    );
}

#[test]
fn every_format_gives_the_same_table() {
    let values = |file: &str| -> Vec<(Value, Value)> {
        let mut args = COLUMNS.to_vec();
        args.push("--json");
        let out = json(&table(&fixture(file), &args));
        out.as_array()
            .unwrap()
            .iter()
            .map(|row| (row["stream"].clone(), row["values"].clone()))
            .collect()
    };
    let expected = values("orders.jsonl");
    assert_eq!(expected.len(), 2);
    for file in [
        "orders.json",
        "orders.cloudevents.jsonl",
        "orders.kurrent.json",
        "orders.message-db.jsonl",
        "orders.kcat.jsonl",
    ] {
        assert_eq!(values(file), expected, "{file}");
    }
    // Standard input too.
    let stdin = common::cmd(&["table", "-", "--json", "--column=n=.order_no"])
        .stdin(std::fs::read(fixture("orders.jsonl")).unwrap())
        .run()
        .ok();
    assert_eq!(
        json(&stdin)[0]["values"]["n"].to_string(),
        "18446744073709551615"
    );
}

#[test]
fn where_keeps_the_streams_it_holds_for_and_a_failing_filter_is_falsy() {
    let file = fixture("orders.jsonl");
    let out = json(&table(
        &file,
        &["--json", "--where", ".tags | join(\",\") == \"vip\""],
    ));
    let streams: Vec<&str> = out
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["stream"].as_str().unwrap())
        .collect();
    assert_eq!(streams, ["order-2"]);
    let run = eventlens(&["table", &file, "--where", ".nothing == 1"]).expect_code(0);
    assert!(
        run.stderr.contains("note:")
            && run.stderr.contains("no stream holds --where .nothing == 1"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout.trim(), "STREAM  SEQ  TIME  STATE");
}

#[test]
fn a_filter_that_does_not_parse_is_bad_usage_with_its_column() {
    let file = fixture("orders.jsonl");
    for args in [
        vec!["table", &file, "--column", "x=.a | (.b"],
        vec!["when", &file, "--where", ".a | (.b"],
        vec!["count", &file, "--by", ".a | (.b", "--every", "1h"],
        vec![
            "count", &file, "--by", ".a", "--where", ".a | (.b", "--every", "1h",
        ],
    ] {
        let run = eventlens(&args).expect_code(2);
        assert!(
            run.stderr.contains("at column 9") && run.stderr.contains("^ here"),
            "{args:?}: {}",
            run.stderr
        );
    }
    let run = eventlens(&["count", &file, "--by", ".a", "--every", "5 minutes"]).expect_code(2);
    assert!(
        run.stderr.contains("--every 5 minutes: not a duration"),
        "{}",
        run.stderr
    );
}

#[test]
fn when_prints_each_change_of_truth_in_store_order() {
    let file = fixture("orders.jsonl");
    let out = eventlens_ok(&[
        "when",
        &file,
        "--where",
        ".total > 100 or (.tags | length) == 1",
        "--json",
    ]);
    insta::assert_snapshot!("when_fixture_json", out);
    let text = eventlens_ok(&["when", &file, "--where", ".total > 100"]);
    insta::assert_snapshot!("when_fixture_text", text);
    let run = eventlens(&["when", &file, "--where", ".total > 1000"]).expect_code(0);
    assert!(
        run.stdout.lines().count() == 1,
        "only the header: {}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("no stream ever holds --where .total > 1000"),
        "{}",
        run.stderr
    );
}

#[test]
fn count_golden_in_json_and_csv() {
    let file = fixture("orders.jsonl");
    let by = "if .tags then \"tagged\" elif (.items | length) > 0 then \"with items\" else \"empty\" end";
    insta::assert_snapshot!(
        "count_fixture_json",
        eventlens_ok(&["count", &file, "--by", by, "--every", "5m", "--json"])
    );
    insta::assert_snapshot!(
        "count_fixture_csv",
        eventlens_ok(&["count", &file, "--by", ".total", "--every", "5m", "--csv"])
    );
    insta::assert_snapshot!(
        "count_fixture_text_where",
        eventlens_ok(&[
            "count",
            &file,
            "--by",
            "(.items | length)",
            "--every",
            "10m",
            "--where",
            ".order_no"
        ])
    );
}

/// The auditor's questions on the sample, as DESIGN.md asks them: orders shipped while unpaid
/// (none in the sample; one once its payment is taken out), the open ones at 10:00, and the
/// status counts hour by hour.
#[test]
fn the_auditors_questions_on_the_sample() {
    let sample = sample_store();
    let unpaid = ".status == \"shipped\" and .payment == null";
    let run = eventlens(&["when", &sample, "--where", unpaid, "--json"]).expect_code(0);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("no stream ever holds"),
        "{}",
        run.stderr
    );
    let text = std::fs::read_to_string(&sample).unwrap();
    let without_payment: String = text
        .lines()
        .filter(|l| !(l.contains("\"stream\":\"order-1000\"") && l.contains("PaymentReceived")))
        .flat_map(|l| [l, "\n"])
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = common::write(dir.path(), "unpaid.jsonl", without_payment.as_bytes());
    let changes: Vec<Value> = eventlens_ok(&["when", &file, "--where", unpaid, "--json"])
        .lines()
        .map(json)
        .collect();
    assert!(!changes.is_empty());
    assert!(
        changes.iter().all(|c| c["stream"] == "order-1000"),
        "{changes:?}"
    );
    assert_eq!(
        (
            &changes[0]["type"],
            &changes[0]["seq"],
            &changes[0]["holds"]
        ),
        (&json("\"OrderShipped\""), &json("7"), &json("true"))
    );

    let at_10 = ["--at-time", "2024-03-01T10:00:00Z"];
    let mut open_args = vec![
        "table",
        sample.as_str(),
        "--where",
        ".status == \"placed\" or .status == \"paid\"",
        "--column=status=.status",
        "--json",
    ];
    open_args.extend(at_10);
    let open = json(&eventlens_ok(&open_args));
    let open: Vec<&Value> = open.as_array().unwrap().iter().collect();
    let counts = json(&eventlens_ok(&[
        "count", &sample, "--by", ".status", "--every", "1h", "--json",
    ]));
    let counts_at_10 = &counts
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["time"] == "2024-03-01T10:00:00Z")
        .unwrap()["counts"];
    let counted = |status: &str| counts_at_10[status].as_u64().unwrap_or(0) as usize;
    assert!(!open.is_empty());
    assert_eq!(
        open.len(),
        counted("placed") + counted("paid"),
        "the table and the counts agree at 10:00"
    );
    let mut all_args = vec!["table", sample.as_str(), "--json"];
    all_args.extend(at_10);
    let all = json(&eventlens_ok(&all_args));
    let total: u64 = counts_at_10
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(
        total as usize,
        all.as_array().unwrap().len(),
        "every order counted once"
    );
}

/// A projection doing merge patches gives what merge patches give: table, when and count.
#[test]
fn a_projection_and_merge_patches_agree() {
    let sample = sample_store();
    let script = fixture("projections/merge-patch.js");
    let columns = [
        "--column=status=.status",
        "--column=city=.shipping_address.city",
        "--column=skus=.items | keys",
        "--column=paid=.payment.reference",
    ];
    let both = |args: &[&str]| {
        let plain = eventlens_ok(args);
        let mut with = args.to_vec();
        with.extend(["--projection", &script]);
        (plain, eventlens_ok(&with))
    };
    let mut args = vec![
        "table",
        &sample,
        "--at-time",
        "2024-03-01T11:00:00Z",
        "--json",
    ];
    args.extend(columns);
    let (plain, projected) = both(&args);
    assert_eq!(json(&plain), json(&projected));
    let (plain, projected) = both(&[
        "when",
        &sample,
        "--where",
        ".status == \"paid\" and (.items | length) > 2",
        "--json",
    ]);
    assert!(!plain.is_empty());
    assert_eq!(plain, projected);
    let (plain, projected) = both(&[
        "count", &sample, "--by", ".status", "--every", "30m", "--csv",
    ]);
    assert_eq!(plain, projected);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    /// `table --at-time T` is `state --at-time T`, stream by stream, for random T (the core's
    /// fold has the same property test on random stores in tests/properties.rs).
    #[test]
    fn table_at_a_time_is_state_at_that_time(minute in 0u32..26, second in 0u32..60) {
        let file = fixture("orders.jsonl");
        let at = format!("2024-03-01T10:{minute:02}:{second:02}Z");
        let rows = json(&table(&file, &["--json", "--at-time", &at]));
        for stream in ["order-1", "order-2"] {
            let row = rows.as_array().unwrap().iter().find(|r| r["stream"] == stream);
            let state = eventlens(&["state", &file, "--stream", stream, "--at-time", &at]).ok();
            let table_state = row.map_or_else(|| serde_json::json!({}), |row| row["state"].clone());
            prop_assert_eq!(table_state, json(&state), "{} at {}", stream, at);
        }
    }
}
