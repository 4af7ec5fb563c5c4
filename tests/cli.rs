//! Golden tests of the command line: the real binary over one fixture per format.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use common::{eventlens, eventlens_ok, fixture};

/// Every format's fixture holds the same history (kurrent and message-db count seqs from 0).
const FIXTURES: [(&str, &str, u64); 6] = [
    ("jsonl", "orders.jsonl", 1),
    ("json", "orders.json", 1),
    ("cloudevents", "orders.cloudevents.jsonl", 1),
    ("kurrent", "orders.kurrent.json", 0),
    ("message_db", "orders.message-db.jsonl", 0),
    ("kcat", "orders.kcat.jsonl", 1),
];

const FINAL_ORDER_1: &str = r#"{
  "order_no": 18446744073709551615,
  "customer": {
    "name": "Zoë Ångström"
  },
  "items": {},
  "total": 0,
  "discount": {
    "rate": 1e-7,
    "big": 123456789012345678901234567890,
    "precise": 0.12345678901234567890123,
    "delta": -3.5
  }
}
"#;

#[test]
fn every_format_folds_to_the_same_exact_state() {
    for (name, file, _) in FIXTURES {
        assert_eq!(
            eventlens_ok(&["state", &fixture(file), "--stream", "order-1"]),
            FINAL_ORDER_1,
            "{name}"
        );
    }
}

#[test]
fn every_format_gives_the_same_diffs_and_blame() {
    for (name, file, first) in FIXTURES {
        let file = fixture(file);
        let qty_change = (first + 2).to_string();
        let diff = eventlens_ok(&["diff", &file, "--stream", "order-1", "--at", &qty_change]);
        insta::assert_snapshot!("diff_at_quantity_change", diff);
        let blame = eventlens_ok(&[
            "blame",
            &file,
            "--stream",
            "order-1",
            "--path",
            "/items/SKU-1/qty",
            "--json",
        ]);
        let seqs: Vec<u64> = serde_json::from_str::<Vec<serde_json::Value>>(&blame)
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(seqs, [first + 1, first + 2, first + 4], "{name}");
        let tags = eventlens_ok(&[
            "diff",
            &file,
            "--stream",
            "order-2",
            "--from",
            &first.to_string(),
            "--to",
            &(first + 1).to_string(),
        ]);
        insta::assert_snapshot!("diff_order_2_one_tag_removed", tags);
    }
}

#[test]
fn golden_outputs_per_format() {
    for (name, file, first) in FIXTURES {
        let file = fixture(file);
        insta::assert_snapshot!(
            format!("{name}__streams_json"),
            eventlens_ok(&["streams", &file, "--json"])
        );
        insta::assert_snapshot!(
            format!("{name}__events_json"),
            eventlens_ok(&["events", &file, "--json"])
        );
        let at = (first + 1).to_string();
        insta::assert_snapshot!(
            format!("{name}__state_at_second"),
            eventlens_ok(&["state", &file, "--stream", "order-1", "--at", &at])
        );
        insta::assert_snapshot!(
            format!("{name}__blame_table"),
            eventlens_ok(&["blame", &file, "--stream", "order-1", "--path", "/total"])
        );
        insta::assert_snapshot!(
            format!("{name}__check_json"),
            eventlens_ok(&["check", &file, "--json"])
        );
    }
}

#[test]
fn text_tables_for_people() {
    let file = fixture("orders.jsonl");
    insta::assert_snapshot!("streams_table", eventlens_ok(&["streams", &file]));
    insta::assert_snapshot!(
        "events_table",
        eventlens_ok(&["events", &file, "--stream", "order-2"])
    );
}

#[test]
fn seq_zero_is_the_start_where_no_event_has_it() {
    let file = fixture("orders.jsonl");
    let whole = eventlens_ok(&[
        "diff", &file, "--stream", "order-2", "--from", "0", "--to", "2",
    ]);
    insta::assert_snapshot!("diff_order_2_from_start", whole);
}

#[test]
fn state_at_a_time_follows_zones() {
    let file = fixture("orders.jsonl");
    // 11:10+01:00 is 10:10Z: at 10:11Z the quantity is already 6.
    let state = eventlens_ok(&[
        "state",
        &file,
        "--stream",
        "order-1",
        "--at-time",
        "2024-03-01T10:11:00Z",
    ]);
    assert!(state.contains(r#""qty": 6"#), "{state}");
    let before = eventlens_ok(&[
        "state",
        &file,
        "--stream",
        "order-1",
        "--at-time",
        "2024-03-01T09:00:00Z",
    ]);
    assert_eq!(before, "{}\n");
}

#[test]
fn events_filter_by_stream_and_type() {
    let file = fixture("orders.jsonl");
    let out = eventlens_ok(&[
        "events",
        &file,
        "--type",
        "OrderPlaced",
        "--type",
        "TagsChanged",
        "--json",
    ]);
    let types: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(types, ["OrderPlaced", "OrderPlaced", "TagsChanged"]);
}

#[test]
fn field_pointers_read_unfamiliar_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custom.jsonl");
    std::fs::write(&path, "{\"hdr\":{\"agg\":\"A-1\",\"v\":1,\"kind\":\"Opened\",\"at\":\"2024-01-01T00:00:00Z\"},\"body\":{\"n\":1.50}}\n{\"hdr\":{\"agg\":\"A-1\",\"v\":2,\"kind\":\"Bumped\"},\"body\":{\"n\":2.50}}\n").unwrap();
    let path = path.display().to_string();
    let fields = [
        "--stream-field",
        "/hdr/agg",
        "--seq-field",
        "/hdr/v",
        "--type-field",
        "/hdr/kind",
        "--time-field",
        "/hdr/at",
        "--data-field",
        "/body",
    ];
    let state = eventlens_ok(
        &[
            &["state", &path, "--stream", "A-1", "--at", "1"][..],
            &fields[..],
        ]
        .concat(),
    );
    assert_eq!(state, "{\n  \"n\": 1.50\n}\n");
    let bad = eventlens(&["state", &path, "--stream", "A-1", "--seq-field", "hdr/v"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("not a JSON Pointer"), "{}", bad.stderr);
}

#[test]
fn forced_format_overrides_detection() {
    let out = eventlens(&["streams", &fixture("orders.jsonl"), "--format", "kcat"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stderr
            .contains("kcat (JSON Lines), as given by --format"),
        "{}",
        out.stderr
    );
    let bad = eventlens(&["streams", &fixture("orders.jsonl"), "--format", "yaml"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr
            .contains("expected one of: jsonl, json, cloudevents, kurrent, message-db, kcat"),
        "{}",
        bad.stderr
    );
}

#[test]
fn bom_and_crlf_read_like_clean_files() {
    let clean = std::fs::read_to_string(fixture("orders.jsonl")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("windows.jsonl");
    std::fs::write(&path, format!("\u{feff}{}", clean.replace('\n', "\r\n"))).unwrap();
    let path = path.display().to_string();
    for args in [
        &["events", "--json"][..],
        &["check", "--json"],
        &["state", "--stream", "order-1"],
    ] {
        let with = |file: &str| eventlens_ok(&[&[args[0], file][..], &args[1..]].concat());
        assert_eq!(with(&path), with(&fixture("orders.jsonl")), "{args:?}");
    }
}

#[test]
fn the_sample_store_is_big_and_realistic() {
    let sample = common::sample_store();
    let streams: Vec<serde_json::Value> =
        serde_json::from_str(&eventlens_ok(&["streams", &sample, "--json"])).unwrap();
    let events: u64 = streams.iter().map(|s| s["events"].as_u64().unwrap()).sum();
    assert!(
        streams.len() >= 200 && events >= 5000,
        "{} streams, {events} events",
        streams.len()
    );
    let types: std::collections::BTreeSet<&str> = streams
        .iter()
        .flat_map(|s| s["types"].as_object().unwrap().keys().map(String::as_str))
        .collect();
    for wanted in [
        "OrderPlaced",
        "ItemAdded",
        "ItemRemoved",
        "QuantityChanged",
        "AddressChanged",
        "DiscountApplied",
        "PaymentReceived",
        "OrderShipped",
        "OrderCancelled",
        "RefundIssued",
    ] {
        assert!(types.contains(wanted), "no {wanted} in the sample");
    }
    let regenerated = eventlens_ok(&["generate", "--events", "6000", "--anomalies"]);
    assert_eq!(
        regenerated,
        std::fs::read_to_string(&sample).unwrap(),
        "assets/orders.jsonl is what `eventlens generate --events 6000 --anomalies` writes"
    );
}

#[test]
fn bench_scrub_reports_the_contract_keys() {
    let out = eventlens_ok(&[
        "bench",
        "scrub",
        &fixture("orders.jsonl"),
        "--stream",
        "order-1",
        "--samples",
        "20",
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in [
        "open_ms",
        "index_mb_per_s",
        "events",
        "samples",
        "p50_ms",
        "p99_ms",
        "max_ms",
        "peak_rss_mb",
    ] {
        assert!(report.get(key).is_some(), "no {key} in {out}");
    }
    assert_eq!(
        (report["events"].as_u64(), report["samples"].as_u64()),
        (Some(7), Some(20))
    );
    assert!(
        report["p50_ms"].as_f64() <= report["p99_ms"].as_f64()
            && report["p99_ms"].as_f64() <= report["max_ms"].as_f64()
    );
    let bad = eventlens(&[
        "bench",
        "scrub",
        &fixture("orders.jsonl"),
        "--stream",
        "nope",
    ]);
    assert_eq!(bad.code, 1);
}

#[test]
fn bench_scrub_times_a_projection_s_fold() {
    let sample = common::sample_store();
    let projection = format!("{}/assets/order-summary.js", env!("CARGO_MANIFEST_DIR"));
    let args = [
        "bench",
        "scrub",
        &sample,
        "--stream",
        "order-1000",
        "--samples",
        "5",
    ];
    let out = eventlens_ok(&[&args[..], &["--projection", &projection, "--json"]].concat());
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["stream_events"].as_u64(), Some(7));
    assert!(report["checkpoints_ms"].as_f64().is_some(), "{out}");
    // A script that does not load is a usage error, as for `state --projection`.
    let broken = eventlens(&[&args[..], &["--projection", "no-such-script.js"]].concat());
    assert_eq!(broken.code, 2);
    assert!(
        broken.stderr.contains("no-such-script.js"),
        "{}",
        broken.stderr
    );
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn events_where_searches_every_event_by_its_content() {
    let sample = common::sample_store();
    let all = json_lines(&eventlens_ok(&["events", &sample, "--json"]));
    let reference = all
        .iter()
        .find_map(|e| e["data"]["payment"]["reference"].as_str())
        .unwrap()
        .to_owned();
    let by_payment = |e: &&serde_json::Value| e["data"]["payment"]["reference"] == *reference;
    let found = eventlens_ok(&[
        "events",
        &sample,
        "--json",
        "--where",
        &format!(".data.payment.reference == \"{reference}\""),
    ]);
    let expected: Vec<&serde_json::Value> = all.iter().filter(by_payment).collect();
    assert_eq!(json_lines(&found).iter().collect::<Vec<_>>(), expected);
    // The events come out as stored: the same lines `events --json` prints.
    let lines: Vec<&str> = found.lines().collect();
    let everything = eventlens_ok(&["events", &sample, "--json"]);
    assert!(lines.iter().all(|l| everything.lines().any(|e| e == *l)));
    // Metadata and envelope fields, with the other filters.
    let web_shipments = eventlens_ok(&[
        "events",
        &sample,
        "--json",
        "--type",
        "OrderShipped",
        "--where",
        r#".meta.source == "web""#,
    ]);
    let expected = all
        .iter()
        .filter(|e| e["type"] == "OrderShipped" && e["meta"]["source"] == "web")
        .count();
    assert!(expected > 0);
    assert_eq!(json_lines(&web_shipments).len(), expected);
    // A filter that fails on some events (test() of a missing status) leaves those out and
    // goes on.
    let shipped = eventlens_ok(&[
        "events",
        &sample,
        "--json",
        "--where",
        r#".data.status | test("^ship")"#,
    ]);
    let expected = all
        .iter()
        .filter(|e| {
            e["data"]["status"]
                .as_str()
                .is_some_and(|s| s.starts_with("ship"))
        })
        .count();
    assert!(expected > 0);
    assert_eq!(json_lines(&shipped).len(), expected);
}

#[test]
fn events_where_says_when_nothing_matches_and_where_a_filter_is_wrong() {
    let sample = common::sample_store();
    let run = eventlens(&["events", &sample, "--where", r#".meta.user == "nobody""#]);
    let run = run.expect_code(0);
    assert!(
        run.stderr
            .contains(r#"no event matches --where .meta.user == "nobody""#),
        "{}",
        run.stderr
    );
    let run = eventlens(&["events", &sample, "--where", ".data | (.x"]).expect_code(2);
    assert!(
        run.stderr.contains("at column 12") && run.stderr.contains("closing parenthesis"),
        "{}",
        run.stderr
    );
}

/// `trace`: a transaction followed through every stream it touched, as a causation tree and
/// as JSON, with every stream's state at the trace's last time or at `--at-time`.
#[test]
fn trace_follows_a_transaction_across_streams() {
    let file = fixture("checkout.jsonl");
    insta::assert_snapshot!(
        "trace_table",
        eventlens_ok(&["trace", &file, "--id", "o7-2"])
    );
    let json = eventlens_ok(&["trace", &file, "--id", "p8-2", "--json"]);
    insta::assert_snapshot!("trace_json", json);
    // The same store as a JSON array gives the same trace.
    let dir = tempfile::tempdir().unwrap();
    let array = dir.path().join("checkout.json");
    let text = std::fs::read_to_string(&file).unwrap();
    let records: Vec<&str> = text.lines().collect();
    std::fs::write(&array, format!("[\n{}\n]\n", records.join(",\n"))).unwrap();
    let array = array.display().to_string();
    assert_eq!(
        eventlens_ok(&["trace", &array, "--id", "p8-2", "--json"]),
        json
    );
    // Before the refund, the payment is failed, not refunded.
    let earlier = eventlens_ok(&[
        "trace",
        &file,
        "--id",
        "o8-1",
        "--json",
        "--at-time",
        "2024-05-02T09:01:05Z",
    ]);
    let earlier: serde_json::Value = serde_json::from_str(&earlier).unwrap();
    assert_eq!(earlier["states"]["payment-8"]["status"], "failed");
    assert_eq!(earlier["states"]["order-8"]["status"], "cancelled");
    assert_eq!(earlier["events"].as_array().unwrap().len(), 4);
}

/// The sample's transactions, followed by `trace` (golden JSON): a refund through the order,
/// its payment and its shipment, and a failed payment that cancels its order.
#[test]
fn trace_follows_the_sample_transactions() {
    let sample = common::sample_store();
    let refund = eventlens_ok(&["trace", &sample, "--id", SAMPLE_REFUND, "--json"]);
    insta::assert_snapshot!("trace_sample_refund_json", refund);
    let failed = eventlens_ok(&["trace", &sample, "--id", SAMPLE_PAYMENT_FAILED]);
    insta::assert_snapshot!("trace_sample_payment_failed_table", failed);
}

/// The refund of order-1011 (7 events in its order, payment and shipment streams).
const SAMPLE_REFUND: &str = "7bdcf667-2acc-4809-9fe9-7e9cf8412be5";
/// payment-1058's failed capture, which cancels order-1058 and releases the authorization.
const SAMPLE_PAYMENT_FAILED: &str = "5a11c5d7-99ed-4bd7-9fa2-aafa20e8fd30";

/// The sample written in each of the six formats, each keeping the ids where that format's
/// writers do (`CloudEvents` extension attributes, `KurrentDB`'s `$correlationId`, Kafka
/// headers), traces to the same events, causes and states; the `KurrentDB` one is golden.
#[test]
fn the_sample_traces_the_same_in_all_six_formats() {
    let text = std::fs::read_to_string(common::sample_store()).unwrap();
    let records = json_lines(&text);
    let dir = tempfile::tempdir().unwrap();
    let trace = |file: &str, id: &str| {
        let out = eventlens_ok(&["trace", file, "--id", id, "--json"]);
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    let native = common::sample_store();
    let expected: Vec<_> = [SAMPLE_REFUND, SAMPLE_PAYMENT_FAILED]
        .iter()
        .map(|id| trace(&native, id))
        .collect();
    for (name, first) in [
        ("json", 1),
        ("cloudevents", 1),
        ("kurrent", 0),
        ("message-db", 0),
        ("kcat", 1),
    ] {
        let file = common::write(dir.path(), name, &sample_as(name, &records));
        for (id, expected) in [SAMPLE_REFUND, SAMPLE_PAYMENT_FAILED].iter().zip(&expected) {
            let mut got = trace(&file, id);
            if name == "kurrent" && *id == SAMPLE_REFUND {
                insta::assert_snapshot!(
                    "trace_sample_refund_kurrent_json",
                    serde_json::to_string_pretty(&got).unwrap()
                );
            }
            for event in got["events"].as_array_mut().unwrap() {
                let seq = event["seq"].as_u64().unwrap();
                event["seq"] = (seq + 1 - first).into();
                if name == "message-db" {
                    // Message DB's times have no zone (UTC); they are shown as stored.
                    event["time"] = format!("{}Z", event["time"].as_str().unwrap()).into();
                }
            }
            assert_eq!(got["correlation"], expected["correlation"], "{name}");
            assert_eq!(got["events"], expected["events"], "{name}: {id}");
            assert_eq!(got["states"], expected["states"], "{name}: {id}");
        }
    }
}

/// The native sample's `records` written in `format`, the way that format's own writers
/// keep an event's correlation and causation ids.
fn sample_as(format: &str, records: &[serde_json::Value]) -> Vec<u8> {
    use serde_json::{Value, json};
    let ids = |r: &Value, correlation: &str, causation: &str| {
        let mut meta = serde_json::Map::new();
        for (name, value) in r["meta"].as_object().unwrap() {
            let name = match name.as_str() {
                "correlationId" => correlation,
                "causationId" => causation,
                other => other,
            };
            meta.insert(name.to_owned(), value.clone());
        }
        meta
    };
    let lines: Vec<String> = records
        .iter()
        .enumerate()
        .map(|(at, r)| {
            let seq = r["seq"].as_u64().unwrap();
            let record = match format {
                "json" => r.clone(),
                "cloudevents" => {
                    let mut event = json!({
                        "specversion": "1.0", "id": r["id"], "source": "/shop",
                        "subject": r["stream"], "type": r["type"], "time": r["time"],
                        "sequence": seq.to_string(), "datacontenttype": "application/json",
                        "data": r["data"],
                    });
                    let extensions = ids(r, "correlationid", "causationid");
                    event.as_object_mut().unwrap().extend(extensions);
                    event
                }
                "kurrent" => json!({
                    "eventId": r["id"], "eventType": r["type"], "eventNumber": seq - 1,
                    "data": r["data"], "metaData": ids(r, "$correlationId", "$causationId"),
                    "streamId": r["stream"], "isJson": true, "updated": r["time"],
                }),
                "message-db" => json!({
                    "id": r["id"], "stream_name": r["stream"], "type": r["type"],
                    "position": seq - 1, "global_position": at + 1, "data": r["data"],
                    "metadata": ids(r, "correlationId", "causationId"),
                    "time": r["time"].as_str().unwrap().trim_end_matches('Z'),
                }),
                "kcat" => {
                    let headers: Vec<Value> = ids(r, "correlationId", "causationId")
                        .into_iter()
                        .flat_map(|(name, value)| [Value::String(name), value])
                        .collect();
                    let time = r["time"].as_str().unwrap();
                    let ts = chrono::DateTime::parse_from_rfc3339(time).unwrap();
                    let ts = ts.timestamp_millis();
                    let payload = json!({"type": r["type"], "id": r["id"], "data": r["data"]});
                    json!({
                        "topic": "orders", "partition": 0, "offset": at, "tstype": "create",
                        "ts": ts, "headers": headers, "key": r["stream"],
                        "payload": payload.to_string(),
                    })
                }
                other => panic!("no such format: {other}"),
            };
            record.to_string()
        })
        .collect();
    match format {
        "json" => format!("[\n{}\n]\n", lines.join(",\n")),
        "kurrent" => format!(
            "{{\"title\": \"Event stream '$all'\", \"entries\": [\n{}\n]}}\n",
            lines.join(",\n")
        ),
        _ => lines.join("\n") + "\n",
    }
    .into_bytes()
}

#[test]
fn trace_says_what_it_could_not_follow() {
    let file = fixture("checkout.jsonl");
    let none = eventlens(&["trace", &file, "--id", "o9-1"]);
    assert_eq!(none.code, 1);
    assert!(
        none.stderr.contains("has no correlation id")
            && none
                .stderr
                .contains("meta.correlationId, meta.correlation_id"),
        "{}",
        none.stderr
    );
    let unknown = eventlens(&["trace", &file, "--id", "no-such-id"]);
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("no event has the id no-such-id"));
    // Causation ids in a cycle: reported once, each event listed once, and the run ends.
    let cycle = eventlens(&["trace", &file, "--id", "l2"]);
    assert_eq!(cycle.code, 0, "{}", cycle.stderr);
    assert!(
        cycle
            .stderr
            .contains("causation ids go round in a cycle: l1 → l2"),
        "{}",
        cycle.stderr
    );
    assert_eq!(cycle.stdout.matches("Pinged").count(), 1);
    assert_eq!(cycle.stdout.matches("Ponged").count(), 1);
    // Fields named by pointer: here the order a payment is for, as its correlation.
    let by_order = eventlens_ok(&[
        "trace",
        &file,
        "--id",
        "p8-1",
        "--correlation-field",
        "/data/order",
        "--json",
    ]);
    let by_order: serde_json::Value = serde_json::from_str(&by_order).unwrap();
    assert_eq!(by_order["correlation"], "order-8");
    let ids: Vec<&str> = by_order["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["p8-1"],
        "only payment-8's first event names its order"
    );
    // `bench trace` measures the window's index and traces from it.
    let bench = eventlens_ok(&["bench", "trace", &file, "--samples", "5", "--json"]);
    let bench: serde_json::Value = serde_json::from_str(&bench).unwrap();
    assert_eq!(
        (bench["events"].as_u64(), bench["samples"].as_u64()),
        (Some(13), Some(5))
    );
    assert!(bench["p99_ms"].as_f64().is_some() && bench["index_ms"].as_f64().is_some());
    let bad = eventlens(&["trace", &file, "--id", "p8-1", "--causation-field", "data"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr
            .contains("--causation-field data: not a JSON Pointer"),
        "{}",
        bad.stderr
    );
}

/// The cross-stream findings: a cause that names no event, one that comes later, one with
/// another correlation; each on the record built to have it.
#[test]
fn check_finds_causes_that_do_not_hold() {
    let run = eventlens(&["check", &fixture("causation.jsonl"), "--json"]);
    assert_eq!(run.code, 1, "causation_later is an error");
    insta::assert_snapshot!("check_causation_json", run.stdout);
    // A store without causation ids has none of them.
    let sample = eventlens(&["check", &common::sample_store(), "--json"]);
    assert!(!sample.stdout.contains("causation"), "{}", sample.stdout);
}
