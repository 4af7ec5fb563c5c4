//! PostgreSQL stores against a real server: `.ci/run` starts a throwaway cluster
//! (`scripts/pg-cluster`) and sets `EVENTLENS_PG_URL` to it; elsewhere these tests skip with a
//! notice unless `EVENTLENS_REQUIRE_PG=1`. Every store is written by its own software: message-db's
//! schema by its npm package's `install.sh` and its events by its `write_message`, Emmett's by
//! its npm package's `appendToStream`, `eventsourcing`'s by the Python library. Marten needs .NET,
//! which is not here: its table is made by DDL written to match the schema Marten generates.
//! Each test has a database of its own, so they run side by side.
#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use common::{available, cmd, eventlens};
use postgres::{Client, NoTls};
use serde_json::Value;

/// The admin URL of the test server, or `None` (with a notice) where there is none.
fn server() -> Option<String> {
    let url = std::env::var("EVENTLENS_PG_URL").ok();
    available(
        "a PostgreSQL server (start one: eval \"$(scripts/pg-cluster start /tmp/pg)\")",
        url.is_some(),
        "EVENTLENS_REQUIRE_PG",
    )
    .then(|| url.unwrap_or_default())
}

/// Where `.ci/run` installed the npm packages (message-db, Emmett), or `None` with a notice.
fn tools() -> Option<PathBuf> {
    let dir = std::env::var_os("EVENTLENS_PG_TOOLS").map(PathBuf::from);
    let present = dir
        .as_ref()
        .is_some_and(|d| d.join("node_modules/@eventide/message-db").is_dir());
    available(
        "message-db and Emmett from npm (EVENTLENS_PG_TOOLS, see .ci/run)",
        present,
        "EVENTLENS_REQUIRE_PG",
    )
    .then(|| dir.unwrap_or_default())
}

/// Whether `program` runs here and succeeds with `args`.
fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `admin` with another database at its end.
fn url_of(admin: &str, db: &str) -> String {
    let (base, _) = admin.rsplit_once('/').expect("a URL with a database");
    format!("{base}/{db}")
}

/// A new, empty database called `name` (dropped first if an earlier run left it).
fn fresh_database(admin: &str, name: &str) -> String {
    let mut client = Client::connect(admin, NoTls).expect("the test server answers");
    // One statement each: several in one go would be one transaction, which these refuse.
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .unwrap();
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    url_of(admin, name)
}

fn connect(url: &str) -> Client {
    Client::connect(url, NoTls).unwrap()
}

/// Installs message-db into a new database `name` with the package's own `install.sh`.
fn message_db(admin: &str, tools: &Path, name: &str) -> String {
    // install.sh creates the message_store role, which two installs at once would race for.
    static INSTALL: Mutex<()> = Mutex::new(());
    let _one = INSTALL.lock();
    let mut client = connect(admin);
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .unwrap();
    let config: postgres::Config = admin.parse().unwrap();
    let host = match &config.get_hosts()[0] {
        postgres::config::Host::Tcp(host) => host.clone(),
        #[cfg(unix)]
        postgres::config::Host::Unix(path) => path.display().to_string(),
    };
    let password = String::from_utf8(config.get_password().unwrap_or_default().to_vec()).unwrap();
    let installed = Command::new("bash")
        .arg(tools.join("node_modules/@eventide/message-db/database/install.sh"))
        .env("DATABASE_NAME", name)
        .env("PGHOST", host)
        .env("PGPORT", config.get_ports()[0].to_string())
        .env("PGUSER", config.get_user().unwrap_or("postgres"))
        .env("PGPASSWORD", password)
        .output()
        .unwrap();
    assert!(
        installed.status.success(),
        "message-db's install.sh failed: {}{}",
        String::from_utf8_lossy(&installed.stdout),
        String::from_utf8_lossy(&installed.stderr)
    );
    url_of(admin, name)
}

/// A session that writes as message-db's clients do (its functions find each other on the
/// search path of its role).
fn writer(url: &str) -> Client {
    let mut client = connect(url);
    client
        .batch_execute("SET search_path = message_store, public")
        .unwrap();
    client
}

/// Writes one message with message-db's `write_message`; returns its stream position.
fn write_message(
    client: &mut impl postgres::GenericClient,
    stream: &str,
    type_: &str,
    data: &str,
    meta: &str,
) -> i64 {
    client
        .query_one(
            "SELECT message_store.write_message(gen_random_uuid()::text, $1, $2, $3::text::jsonb, $4::text::jsonb)",
            &[&stream, &type_, &data, &meta],
        )
        .unwrap()
        .get(0)
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The members of `events --json` that do not depend on where the store is.
fn portable(event: &Value) -> Value {
    let mut event = event.clone();
    if let Some(object) = event.as_object_mut() {
        object.remove("position");
        object.remove("line");
    }
    event
}

const ORDERS: &[(&str, &str, &str)] = &[
    (
        "order-1",
        "Placed",
        r#"{"customer": "Zoë", "note": "茶筅 📦", "qty": 1.50, "big": 18446744073709551615, "fine": 0.12345678901234567890123}"#,
    ),
    (
        "payment-1",
        "Authorized",
        r#"{"amount": 19.99, "tiny": 1e-7}"#,
    ),
    ("order-2", "Placed", r#"{"customer": "Bo", "qty": 1}"#),
    ("order-1", "QuantityChanged", r#"{"qty": 6}"#),
    ("order-1", "Paid", r#"{"payment": {"ref": "pay-1"}}"#),
    (
        "order-2",
        "Cancelled",
        r#"{"status": "cancelled", "qty": null}"#,
    ),
    ("order-1", "Shipped", r#"{"status": "shipped"}"#),
];

#[test]
fn a_message_db_store_reads_as_message_db_wrote_it_and_as_its_dump() {
    let (Some(admin), Some(tools)) = (server(), tools()) else {
        return;
    };
    let (url, mut client) = orders_in_message_db(&admin, &tools, "eventlens_mdb_reads");
    // The stream list is counted by the server.
    let run = eventlens(&["streams", &url, "--json"]).expect_code(0);
    assert!(
        run.stderr.contains("preset message-db") && !run.stderr.contains("s3cret"),
        "{}",
        run.stderr
    );
    let streams: Value = serde_json::from_str(&run.stdout).unwrap();
    let order_1 = &streams[0];
    assert_eq!(order_1["stream"], "order-1");
    assert_eq!(order_1["events"], 4);
    assert_eq!(
        (order_1["first_seq"].as_i64(), order_1["last_seq"].as_i64()),
        (Some(0), Some(3))
    );
    assert_eq!(order_1["types"]["Paid"], 1);
    assert_eq!(streams.as_array().map(Vec::len), Some(3));
    // The data come out digit for digit as PostgreSQL returns them.
    let printed = json_lines(&eventlens(&["events", &url, "--stream", "order-1", "--json"]).ok());
    let stored: Vec<String> = client
        .query(
            "SELECT data::text FROM messages WHERE stream_name = 'order-1' ORDER BY global_position",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let texts: Vec<String> = eventlens(&["events", &url, "--stream", "order-1", "--json"])
        .ok()
        .lines()
        .map(|l| {
            let start = l.find("\"data\":").unwrap() + 7;
            let end = l.rfind(",\"meta\":").unwrap();
            l[start..end].to_owned()
        })
        .collect();
    assert_eq!(texts, stored);
    assert!(
        printed
            .iter()
            .all(|e| e["line"].is_null() && e["position"].is_u64())
    );
    // A search by content, with numbers compared as PostgreSQL keeps them.
    let found = json_lines(
        &eventlens(&[
            "events",
            &url,
            "--json",
            "--where",
            ".data.big == 18446744073709551615 and .meta.correlationId == \"c-1\"",
        ])
        .ok(),
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["type"], "Placed");
    // A category is read alone.
    let category = json_lines(&eventlens(&["events", &url, "--category", "order", "--json"]).ok());
    assert_eq!(category.len(), 6);
    assert!(
        category
            .iter()
            .all(|e| e["stream"].as_str().unwrap().starts_with("order-"))
    );
}

/// A message-db store with [`ORDERS`] written, and a session on it.
fn orders_in_message_db(admin: &str, tools: &Path, name: &str) -> (String, Client) {
    let url = message_db(admin, tools, name);
    let mut client = writer(&url);
    for (stream, type_, data) in ORDERS {
        write_message(
            &mut client,
            stream,
            type_,
            data,
            r#"{"correlationId": "c-1"}"#,
        );
    }
    (url, client)
}

/// The message-db store dumped as its rows (`row_to_json`), a file of JSON Lines in `dir`.
fn dump(client: &mut Client, dir: &Path) -> String {
    let rows: String = client
        .query(
            "SELECT row_to_json(m)::text FROM messages m ORDER BY global_position",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0) + "\n")
        .collect();
    common::write(dir, "dump.jsonl", rows.as_bytes())
}

#[test]
fn a_message_db_store_reads_as_its_dump_does() {
    let (Some(admin), Some(tools)) = (server(), tools()) else {
        return;
    };
    let (url, mut client) = orders_in_message_db(&admin, &tools, "eventlens_mdb_dump");
    // The store dumped as message-db rows (row_to_json), as a file.
    let dir = tempfile::tempdir().unwrap();
    let file = dump(&mut client, dir.path());
    let from_file = json_lines(&eventlens(&["events", &file, "--json"]).ok());
    let from_db = json_lines(&eventlens(&["events", &url, "--json"]).ok());
    assert_eq!(
        from_db.iter().map(portable).collect::<Vec<_>>(),
        from_file.iter().map(portable).collect::<Vec<_>>()
    );
    for args in [
        vec!["state", "--stream", "order-1"],
        vec!["state", "--stream", "order-1", "--at", "1"],
        vec!["diff", "--stream", "order-1", "--at", "1"],
        vec!["diff", "--stream", "order-2", "--from", "0", "--to", "1"],
        vec!["blame", "--stream", "order-1", "--path", "/qty"],
    ] {
        let on = |source: &str| {
            let mut all = vec![args[0], source];
            all.extend(&args[1..]);
            eventlens(&all).ok()
        };
        assert_eq!(on(&url), on(&file), "{args:?}");
    }
    let state: Value =
        serde_json::from_str(&eventlens(&["state", &url, "--stream", "order-1"]).ok()).unwrap();
    assert_eq!(state["status"], "shipped");
    assert!(
        eventlens(&["state", &url, "--stream", "order-1"])
            .ok()
            .contains("18446744073709551615")
    );
    let check: Value = serde_json::from_str(&eventlens(&["check", &url, "--json"]).ok()).unwrap();
    assert_eq!(check["events"], 7);
    // A projection folds a database's stream as it folds a file's.
    let dir = tempfile::tempdir().unwrap();
    let script = common::write(
        dir.path(),
        "count.js",
        b"fromCategory('order').foreachStream().when({ $init: () => ({ n: 0 }), $any: (s, e) => { s.n += 1; s.last = e.eventType; } });",
    );
    let folded = eventlens(&[
        "state",
        &url,
        "--stream",
        "order-1",
        "--projection",
        &script,
    ])
    .ok();
    assert_eq!(
        serde_json::from_str::<Value>(&folded).unwrap(),
        serde_json::json!({"n": 4, "last": "Shipped"})
    );
    // The password may come from PGPASSWORD instead of the URL.
    let config: postgres::Config = url.parse().unwrap();
    let password = String::from_utf8(config.get_password().unwrap().to_vec()).unwrap();
    let without = url.replacen(&format!(":{password}@"), "@", 1);
    assert!(!without.contains(&password));
    cmd(&["streams", &without])
        .env("PGPASSWORD", &password)
        .run()
        .expect_code(0);
}

/// A transaction of the sample written by message-db's `write_message` with the sample's ids
/// in its metadata: `trace` on the database follows the same events and causes to the same
/// states as on the sample file, and as on the database's dump.
#[test]
fn trace_follows_a_transaction_through_a_message_db_store() {
    let (Some(admin), Some(tools)) = (server(), tools()) else {
        return;
    };
    let url = message_db(&admin, &tools, "eventlens_mdb_trace");
    let mut client = writer(&url);
    let sample = common::sample_store();
    let refund = "7bdcf667-2acc-4809-9fe9-7e9cf8412be5";
    let traced = |source: &str| -> Value {
        serde_json::from_str(&eventlens(&["trace", source, "--id", refund, "--json"]).ok()).unwrap()
    };
    let expected = traced(&sample);
    // The three streams the refund touched, up to its last event, in store order.
    let last = expected["events"].as_array().unwrap().last().unwrap()["position"]
        .as_u64()
        .unwrap();
    let streams = ["order-1011", "payment-1011", "shipment-1011"];
    let text = std::fs::read_to_string(&sample).unwrap();
    let mut written = 0;
    for record in json_lines(&text).iter().take(last as usize + 1) {
        if !streams.contains(&record["stream"].as_str().unwrap()) {
            continue;
        }
        client
            .query_one(
                "SELECT message_store.write_message($1, $2, $3, $4::text::jsonb, $5::text::jsonb)",
                &[
                    &record["id"].as_str().unwrap(),
                    &record["stream"].as_str().unwrap(),
                    &record["type"].as_str().unwrap(),
                    &record["data"].to_string(),
                    &record["meta"].to_string(),
                ],
            )
            .unwrap();
        written += 1;
    }
    assert!(written > 7, "the streams hold more than the transaction");
    let from_db = traced(&url);
    let chain = |trace: &Value| -> Vec<Value> {
        trace["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let seq = e["seq"].as_u64().unwrap();
                serde_json::json!([e["stream"], seq, e["type"], e["id"], e["caused_by"]])
            })
            .collect()
    };
    // message-db counts positions from 0.
    let mut chain_in_sample = chain(&expected);
    for event in &mut chain_in_sample {
        event[1] = (event[1].as_u64().unwrap() - 1).into();
    }
    assert_eq!(chain(&from_db), chain_in_sample);
    assert_eq!(from_db["correlation"], expected["correlation"]);
    assert_eq!(from_db["states"], expected["states"]);
    // The dump of the same rows traces as the database does.
    let dir = tempfile::tempdir().unwrap();
    let file = dump(&mut client, dir.path());
    let from_dump = traced(&file);
    let without_positions = |trace: &Value| {
        let mut trace = trace.clone();
        for event in trace["events"].as_array_mut().unwrap() {
            event.as_object_mut().unwrap().remove("position");
        }
        trace
    };
    assert_eq!(without_positions(&from_dump), without_positions(&from_db));
}

/// `table`, `when` and `count` on a database give what they give on its dump, and read only
/// the category asked for.
#[test]
fn the_read_side_on_a_database_is_the_read_side_on_its_dump() {
    let (Some(admin), Some(tools)) = (server(), tools()) else {
        return;
    };
    let (url, mut client) = orders_in_message_db(&admin, &tools, "eventlens_mdb_read_side");
    let dir = tempfile::tempdir().unwrap();
    let file = dump(&mut client, dir.path());
    let table = [
        "table",
        "--category",
        "order",
        "--column=qty=.qty",
        "--column=big=.big",
        "--where",
        ".customer != null",
        "--json",
    ];
    let when = [
        "when",
        "--where",
        ".status == \"shipped\" and .payment != null",
        "--json",
    ];
    let count = [
        "count",
        "--by",
        ".status",
        "--every",
        "1h",
        "--csv",
        "--category",
        "order",
    ];
    let on = |args: &[&str], source: &str| {
        let mut all = vec![args[0], source];
        all.extend(&args[1..]);
        eventlens(&all).ok()
    };
    let rows: Value = serde_json::from_str(&on(&table, &url)).unwrap();
    assert_eq!(on(&table, &url), on(&table, &file));
    assert_eq!(rows.as_array().unwrap().len(), 2, "{rows}");
    assert_eq!(rows[0]["values"]["qty"], 6);
    assert_eq!(rows[0]["values"]["big"].to_string(), "18446744073709551615");
    let changes = json_lines(&on(&when, &url));
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (&changes[0]["stream"], &changes[0]["type"]),
        (&Value::from("order-1"), &Value::from("Shipped"))
    );
    assert_eq!(
        changes.iter().map(portable).collect::<Vec<_>>(),
        json_lines(&on(&when, &file))
            .iter()
            .map(portable)
            .collect::<Vec<_>>()
    );
    let counted = on(&count, &url);
    assert_eq!(counted, on(&count, &file));
    // Written within a moment: one step, unless the writes straddle the hour.
    let (header, last) = (
        counted.lines().next().unwrap(),
        counted.lines().last().unwrap(),
    );
    assert!(
        header.starts_with("time,cancelled,") && header.ends_with(",shipped"),
        "{counted}"
    );
    assert!(
        last.ends_with(",1,1") && !last.ends_with(",1,1,1"),
        "{counted}"
    );
}

#[test]
fn an_emmett_store_reads_as_appendtostream_wrote_it() {
    let (Some(admin), Some(tools)) = (server(), tools()) else {
        return;
    };
    let url = fresh_database(&admin, "eventlens_emmett");
    // The script lives beside node_modules, where its imports resolve.
    let script = tools.join("eventlens-emmett-append.mjs");
    std::fs::write(
        &script,
        "import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';\n\
         const [url, batches] = process.argv.slice(2);\n\
         const store = getPostgreSQLEventStore(url);\n\
         for (const { stream, events } of JSON.parse(batches)) await store.appendToStream(stream, events);\n\
         await store.close();\n",
    )
    .unwrap();
    let batches = r#"[
        {"stream": "order-7", "events": [
            {"type": "Placed", "data": {"customer": "Zoë", "qty": 1.5}, "metadata": {"correlationId": "c-7"}},
            {"type": "QuantityChanged", "data": {"qty": 6}}]},
        {"stream": "payment-7", "events": [{"type": "Authorized", "data": {"amount": 19.99}}]},
        {"stream": "order-7", "events": [{"type": "Shipped", "data": {"status": "shipped"}}]}
    ]"#;
    let ran = Command::new("node")
        .arg(&script)
        .arg(&url)
        .arg(batches)
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let run = eventlens(&["streams", &url, "--json"]).expect_code(0);
    assert!(run.stderr.contains("preset emmett"), "{}", run.stderr);
    let streams: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(streams[0]["stream"], "order-7");
    assert_eq!(streams[0]["events"], 3);
    assert_eq!(
        (
            streams[0]["first_seq"].as_i64(),
            streams[0]["last_seq"].as_i64()
        ),
        (Some(1), Some(3))
    );
    let mut client = connect(&url);
    let stored: Vec<(String, i64, String, String)> = client
        .query(
            "SELECT stream_id, stream_position, message_type, message_data::text FROM emt_messages ORDER BY global_position",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    let events = json_lines(&eventlens(&["events", &url, "--json"]).ok());
    let read: Vec<(String, i64, String, String)> = events
        .iter()
        .map(|e| {
            (
                e["stream"].as_str().unwrap().to_owned(),
                e["seq"].as_i64().unwrap(),
                e["type"].as_str().unwrap().to_owned(),
                serde_json::to_string(&e["data"]).unwrap(),
            )
        })
        .collect();
    let normalized: Vec<(String, i64, String, String)> = stored
        .into_iter()
        .map(|(s, n, t, d)| {
            (
                s,
                n,
                t,
                serde_json::to_string(&serde_json::from_str::<Value>(&d).unwrap()).unwrap(),
            )
        })
        .collect();
    assert_eq!(read, normalized);
    assert_eq!(events[0]["meta"]["correlationId"], "c-7");
    assert!(events[0]["time"].as_str().unwrap().ends_with("+00:00"));
    let state: Value =
        serde_json::from_str(&eventlens(&["state", &url, "--stream", "order-7"]).ok()).unwrap();
    assert_eq!(
        state,
        serde_json::json!({"customer": "Zoë", "qty": 6, "status": "shipped"})
    );
}

#[test]
fn an_eventsourcing_store_in_postgresql_reads_as_the_library_wrote_it() {
    let Some(admin) = server() else { return };
    if !available(
        "Python's eventsourcing with psycopg (pip install 'eventsourcing[postgres]')",
        runs("python3", &["-c", "import eventsourcing.postgres"]),
        "EVENTLENS_REQUIRE_PG",
    ) {
        return;
    }
    let url = fresh_database(&admin, "eventlens_eventsourcing");
    let config: postgres::Config = admin.parse().unwrap();
    let host = match &config.get_hosts()[0] {
        postgres::config::Host::Tcp(host) => host.clone(),
        #[cfg(unix)]
        postgres::config::Host::Unix(path) => path.display().to_string(),
    };
    let script = r#"
import os, sys
os.environ.update(PERSISTENCE_MODULE="eventsourcing.postgres", POSTGRES_DBNAME=sys.argv[1],
    POSTGRES_HOST=sys.argv[2], POSTGRES_PORT=sys.argv[3], POSTGRES_USER=sys.argv[4],
    POSTGRES_PASSWORD=sys.argv[5])
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

class Order(Aggregate):
    @event("Placed")
    def __init__(self, customer, order_no):
        self.customer = customer
        self.order_no = order_no
        self.items = {}

    @event("ItemAdded")
    def add_item(self, sku, qty, price):
        self.items[sku] = {"qty": qty, "price": price}

class Orders(Application):
    pass

app = Orders()
order = Order("Zoë Ångström", 18446744073709551615)
order.add_item("SKU-1", 2, 19.99)
order.add_item("SKU-9", 1, 1e-7)
app.save(order)
print(order.id)
app.close()
"#;
    let ran = Command::new("python3")
        .args(["-c", script, "eventlens_eventsourcing", &host])
        .arg(config.get_ports()[0].to_string())
        .arg(config.get_user().unwrap())
        .arg(String::from_utf8_lossy(config.get_password().unwrap()).as_ref())
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let id = String::from_utf8(ran.stdout).unwrap().trim().to_owned();
    let run = eventlens(&["streams", &url]).expect_code(0);
    assert!(
        run.stderr.contains("preset eventsourcing") && run.stderr.contains("orders_events"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains(&id), "{}", run.stdout);
    let state: Value =
        serde_json::from_str(&eventlens(&["state", &url, "--stream", &id]).ok()).unwrap();
    assert_eq!(state["customer"], "Zoë Ångström");
    assert!(
        eventlens(&["state", &url, "--stream", &id])
            .ok()
            .contains("18446744073709551615")
    );
    let printed = eventlens(&["events", &url, "--json"]).ok();
    assert!(printed.contains(r#""price":1e-07"#), "{printed}");
    let events = json_lines(&printed);
    assert_eq!(events.len(), 3);
    assert_eq!(
        events
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [1, 2, 3]
    );
}

/// Marten's `mt_events` as Marten 7 generates it (with its metadata columns enabled). Marten
/// is .NET and cannot run here, so this DDL is the test's, written to match.
const MARTEN_DDL: &str = "
CREATE SEQUENCE mt_events_sequence;
CREATE TABLE mt_events (
    seq_id bigint NOT NULL PRIMARY KEY,
    id uuid NOT NULL,
    stream_id uuid,
    version bigint NOT NULL,
    data jsonb NOT NULL,
    type varchar(500) NOT NULL,
    timestamp timestamptz NOT NULL DEFAULT now(),
    tenant_id varchar DEFAULT '*DEFAULT*',
    mt_dotnet_type varchar,
    correlation_id varchar,
    causation_id varchar,
    headers jsonb,
    is_archived bool DEFAULT false
);";

#[test]
fn a_marten_table_reads_with_its_correlation_columns_in_the_metadata() {
    let Some(admin) = server() else { return };
    let url = fresh_database(&admin, "eventlens_marten");
    let mut client = connect(&url);
    client.batch_execute(MARTEN_DDL).unwrap();
    let stream = "6f1c6a8e-1f0e-4c55-9b7a-2f2c0f6d1042";
    for (version, type_, data, corr) in [
        (1, "order_placed", r#"{"Qty": 1}"#, Some("c-9")),
        (2, "quantity_changed", r#"{"Qty": 6}"#, None),
    ] {
        client
            .execute(
                "INSERT INTO mt_events (seq_id, id, stream_id, version, data, type, correlation_id, headers) \
                 VALUES (nextval('mt_events_sequence'), gen_random_uuid(), $1::text::uuid, $2, $3::text::jsonb, $4, $5, '{\"user\": \"ann\"}')",
                &[&stream, &i64::from(version), &data, &type_, &corr],
            )
            .unwrap();
    }
    let events = json_lines(&eventlens(&["events", &url, "--json"]).ok());
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["stream"], stream);
    assert_eq!(
        events[0]["meta"],
        serde_json::json!({"correlation_id": "c-9", "user": "ann"})
    );
    assert_eq!(events[1]["meta"], serde_json::json!({"user": "ann"}));
    let state: Value =
        serde_json::from_str(&eventlens(&["state", &url, "--stream", stream]).ok()).unwrap();
    assert_eq!(state, serde_json::json!({"Qty": 6}));
}

/// The `--preset table` options that read [`log_table`].
const LOG_COLUMNS: [&str; 16] = [
    "--preset",
    "table",
    "--table",
    "app.log",
    "--stream-column",
    "agg",
    "--seq-column",
    "v",
    "--type-column",
    "kind",
    "--time-column",
    "at",
    "--data-column",
    "body",
    "--position-column",
    "n",
];

/// A table of the test's own, `app.log`, with a seq gap and a payload that is not JSON.
fn log_table(admin: &str, name: &str) -> String {
    let url = fresh_database(admin, name);
    connect(&url)
        .batch_execute(
            "CREATE SCHEMA app;
             CREATE TABLE app.log (n bigserial PRIMARY KEY, agg text, v int, kind text, at timestamp, body text, flag boolean);
             INSERT INTO app.log (agg, v, kind, at, body) VALUES
               ('order-1', 1, 'Placed', '2024-03-01 10:00:00', '{\"qty\": 1}'),
               ('order-1', 3, 'Changed', '2024-03-01 10:15:00', '{\"qty\": 6}'),
               ('order-2', 1, 'Placed', '2024-03-01 10:20:00', 'not json');",
        )
        .unwrap();
    url
}

/// `args`, the source and [`LOG_COLUMNS`].
fn with_columns(args: &[&str], url: &str) -> Vec<String> {
    let mut all: Vec<&str> = args.to_vec();
    all.push(url);
    all.extend(LOG_COLUMNS);
    all.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn any_table_reads_with_named_columns_and_check_reports_positions() {
    let Some(admin) = server() else { return };
    let url = log_table(&admin, "eventlens_table");
    let with = |args: &[&str]| with_columns(args, &url);
    let run = |args: &[&str]| {
        let all = with(args);
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        eventlens(&all)
    };
    let state = run(&[
        "state",
        "--stream",
        "order-1",
        "--at-time",
        "2024-03-01T10:10:00Z",
    ])
    .ok();
    assert_eq!(
        serde_json::from_str::<Value>(&state).unwrap(),
        serde_json::json!({"qty": 1})
    );
    let events = json_lines(&run(&["events", "--json", "--stream", "order-2"]).ok());
    assert_eq!(
        events[0]["data"], "not json",
        "text that is not JSON is a string"
    );
    let check: Value = serde_json::from_str(&run(&["check", "--json"]).ok()).unwrap();
    let gap = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "seq_gap")
        .expect("the gap from 1 to 3 is found");
    assert!(gap["line"].is_null(), "{gap}");
    assert_eq!(gap["stream"], "order-1");
}

#[test]
fn a_mapping_that_does_not_fit_the_table_is_said() {
    let Some(admin) = server() else { return };
    let url = log_table(&admin, "eventlens_table_faults");
    let with = |args: &[&str]| with_columns(args, &url);
    // A column that cannot hold its field, and a table that is not there, are said.
    let mut wrong = with(&["streams"]);
    let at = wrong.iter().position(|a| a == "v").unwrap();
    wrong[at] = "flag".into();
    let wrong: Vec<&str> = wrong.iter().map(String::as_str).collect();
    let failed = eventlens(&wrong).expect_code(2);
    assert!(
        failed
            .stderr
            .contains("column flag of table app.log is boolean"),
        "{}",
        failed.stderr
    );
    let failed = eventlens(&[
        "streams",
        &url,
        "--preset",
        "table",
        "--table",
        "app.nope",
        "--stream-column",
        "agg",
        "--position-column",
        "n",
    ])
    .expect_code(2);
    assert!(
        failed.stderr.contains("no table app.nope"),
        "{}",
        failed.stderr
    );
    let failed = eventlens(&["streams", &url, "--schema", "nosuch"]).expect_code(2);
    assert!(
        failed.stderr.contains("no schema nosuch"),
        "{}",
        failed.stderr
    );
    let failed = eventlens(&["streams", &url, "--preset", "emmett"]).expect_code(2);
    assert!(
        failed
            .stderr
            .contains("no table public.emt_messages of preset emmett"),
        "{}",
        failed.stderr
    );
}

#[test]
fn connection_faults_are_clear_errors() {
    let Some(admin) = server() else { return };
    let config: postgres::Config = admin.parse().unwrap();
    let port = config.get_ports()[0];
    let wrong_password = format!("postgres://postgres:not-it@127.0.0.1:{port}/postgres");
    let failed = eventlens(&["streams", &wrong_password]).expect_code(2);
    assert!(
        failed.stderr.contains("password authentication failed")
            && failed.stderr.contains("PGPASSWORD")
            && !failed.stderr.contains("not-it"),
        "{}",
        failed.stderr
    );
    let no_db = url_of(&admin, "eventlens_no_such_db");
    let failed = eventlens(&["streams", &no_db]).expect_code(2);
    assert!(
        failed.stderr.contains("does not exist"),
        "{}",
        failed.stderr
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap().port();
    drop(listener);
    let failed = eventlens(&[
        "streams",
        &format!("postgres://postgres@127.0.0.1:{closed}/x"),
    ])
    .expect_code(2);
    assert!(
        failed.stderr.contains("is the server running"),
        "{}",
        failed.stderr
    );
    let failed = eventlens(&["streams", "postgres://h/db?sslmode=sometimes"]).expect_code(2);
    assert!(failed.stderr.contains("sslmode"), "{}", failed.stderr);
    let empty = fresh_database(&admin, "eventlens_empty");
    let failed = eventlens(&["events", &empty]).expect_code(2);
    assert!(
        failed.stderr.contains("no event store table found"),
        "{}",
        failed.stderr
    );
}

fn positions(lines: &[String]) -> Vec<u64> {
    json_lines(&lines.join("\n"))
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect()
}

#[test]
fn follow_shows_a_late_commit_once_and_never_misses_it() {
    let (Some(admin), Some(tools)) = (server(), tools()) else {
        return;
    };
    let url = message_db(&admin, &tools, "eventlens_mdb_follow");
    let mut client = writer(&url);
    write_message(&mut client, "order-1", "Placed", r#"{"qty": 1}"#, "{}");
    let follower = cmd(&["events", &url, "--follow", "--json", "--poll-ms", "50"]).spawn();
    assert_eq!(positions(&follower.lines(1, Duration::from_secs(30))), [1]);
    // A transaction takes position 2 and stays open while another commits position 3.
    let mut slow_client = writer(&url);
    let mut slow = slow_client.transaction().unwrap();
    write_message(&mut slow, "order-2", "Placed", r#"{"qty": 2}"#, "{}");
    write_message(
        &mut client,
        "payment-1",
        "Authorized",
        r#"{"amount": 3}"#,
        "{}",
    );
    assert_eq!(positions(&follower.lines(1, Duration::from_secs(30))), [3]);
    assert!(follower.is_quiet_for(Duration::from_millis(400)).is_ok());
    slow.commit().unwrap();
    assert_eq!(positions(&follower.lines(1, Duration::from_secs(30))), [2]);
    // Writers side by side: every event once.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut client = writer(&url);
                for n in 0..25 {
                    write_message(
                        &mut client,
                        &format!("stock{w}-{n}"),
                        "Moved",
                        r#"{"n": 1}"#,
                        "{}",
                    );
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let mut seen = positions(&follower.lines(100, Duration::from_secs(60)));
    seen.sort_unstable();
    assert_eq!(seen, (4..104).collect::<Vec<u64>>());
    assert!(follower.is_quiet_for(Duration::from_millis(400)).is_ok());
    let (code, stderr) = follower.interrupt();
    assert_eq!(code, 0, "{stderr}");
}

/// A cluster of the test's own (it is stopped and started again), from `scripts/pg-cluster`.
struct Cluster {
    dir: tempfile::TempDir,
    script: PathBuf,
}

impl Cluster {
    fn start() -> (Self, String) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pg-cluster");
        let dir = tempfile::Builder::new()
            .prefix("eventlens-pg")
            .tempdir()
            .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            // The server runs as `postgres` when the tests run as root.
            let _ = std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777));
        }
        let cluster = Self { dir, script };
        let out = cluster.run("start");
        let url = out
            .trim()
            .trim_start_matches("export EVENTLENS_PG_URL=")
            .to_owned();
        (cluster, url)
    }

    fn run(&self, action: &str) -> String {
        let ran = Command::new(&self.script)
            .arg(action)
            .arg(self.dir.path().join("cluster"))
            .output()
            .unwrap();
        assert!(
            ran.status.success(),
            "pg-cluster {action}: {}",
            String::from_utf8_lossy(&ran.stderr)
        );
        String::from_utf8(ran.stdout).unwrap()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(&self.script)
            .arg("stop")
            .arg(self.dir.path().join("cluster"))
            .output();
    }
}

#[test]
fn follow_goes_on_after_the_server_restarts() {
    let (Some(_), Some(tools)) = (server(), tools()) else {
        return;
    };
    let (cluster, admin) = Cluster::start();
    let url = message_db(&admin, &tools, "eventlens_restart");
    write_message(
        &mut writer(&url),
        "order-1",
        "Placed",
        r#"{"qty": 1}"#,
        "{}",
    );
    let follower = cmd(&["events", &url, "--follow", "--json", "--poll-ms", "50"]).spawn();
    assert_eq!(positions(&follower.lines(1, Duration::from_secs(30))), [1]);
    cluster.run("stop");
    std::thread::sleep(Duration::from_millis(600));
    cluster.run("start");
    let mut client = writer(&url);
    write_message(&mut client, "order-1", "Paid", r#"{"paid": true}"#, "{}");
    write_message(
        &mut client,
        "order-1",
        "Shipped",
        r#"{"status": "shipped"}"#,
        "{}",
    );
    assert_eq!(
        positions(&follower.lines(2, Duration::from_secs(60))),
        [2, 3]
    );
    assert!(follower.is_quiet_for(Duration::from_millis(500)).is_ok());
    let (code, stderr) = follower.interrupt();
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("lost the connection") && stderr.contains("connected again"),
        "{stderr}"
    );
}

/// Whether `eventlens streams URL` got as far as the database (an empty one: no tables).
fn connects(url: &str, home: &Path) -> Result<(), String> {
    let run = cmd(&["streams", url])
        .env("HOME", &home.display().to_string())
        .run();
    if run.stderr.contains("no event store table found") {
        Ok(())
    } else {
        Err(run.stderr)
    }
}

/// A server of its own with TLS on: a certificate for localhost signed by a CA of the
/// test's. Returns the cluster, its admin URL and the CA's certificate.
fn tls_cluster() -> (Cluster, String, PathBuf) {
    let (cluster, admin) = Cluster::start();
    let dir = cluster.dir.path();
    let (ca, cert, key) = (
        dir.join("ca.crt"),
        dir.join("server.crt"),
        dir.join("server.key"),
    );
    let extensions = dir.join("server.ext");
    std::fs::write(
        &extensions,
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    let openssl = |args: &[&str]| {
        let made = Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .unwrap();
        assert!(
            made.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&made.stderr)
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=eventlens test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        "server.crt",
    ]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        // The server reads its key as `postgres` when the tests run as root.
        let _ = Command::new("chown").arg("postgres").arg(&key).output();
    }
    let mut client = connect(&admin);
    // One statement each: ALTER SYSTEM refuses to run in a transaction.
    for setting in [
        format!("ssl_cert_file = '{}'", cert.display()),
        format!("ssl_key_file = '{}'", key.display()),
    ] {
        client
            .batch_execute(&format!("ALTER SYSTEM SET {setting}"))
            .unwrap();
    }
    client.batch_execute("ALTER SYSTEM SET ssl = on").unwrap();
    client.batch_execute("SELECT pg_reload_conf()").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while connect(&admin)
        .query_one("SHOW ssl", &[])
        .map(|r| r.get::<_, String>(0))
        .unwrap_or_default()
        != "on"
    {
        assert!(std::time::Instant::now() < deadline, "ssl did not come on");
        std::thread::sleep(Duration::from_millis(50));
    }
    (cluster, admin, ca)
}

#[test]
fn tls_is_used_and_checked_as_sslmode_says() {
    let Some(shared) = server() else { return };
    if !available(
        "openssl (to make a certificate)",
        runs("openssl", &["version"]),
        "EVENTLENS_REQUIRE_PG",
    ) {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    // The shared server has no TLS: require refuses it, prefer goes on without.
    let plain = format!("{}?sslmode=require", url_of(&shared, "postgres"));
    let refused = connects(&plain, home.path()).unwrap_err();
    assert!(refused.contains("does not support TLS"), "{refused}");
    let (_cluster, admin, ca) = tls_cluster();
    let ip = url_of(&admin, "postgres");
    let name = ip.replace("127.0.0.1", "localhost");
    let root = format!("sslrootcert={}", ca.display());
    connects(&format!("{ip}?sslmode=require"), home.path()).unwrap();
    connects(&format!("{name}?sslmode=verify-full&{root}"), home.path()).unwrap();
    connects(&format!("{ip}?sslmode=verify-ca&{root}"), home.path()).unwrap();
    let wrong_name =
        connects(&format!("{ip}?sslmode=verify-full&{root}"), home.path()).unwrap_err();
    assert!(wrong_name.contains("certificate"), "{wrong_name}");
    let no_root = connects(&format!("{name}?sslmode=verify-full"), home.path()).unwrap_err();
    assert!(no_root.contains("root certificate"), "{no_root}");
    // As libpq, ~/.postgresql/root.crt is the root when none is named.
    std::fs::create_dir_all(home.path().join(".postgresql")).unwrap();
    std::fs::copy(&ca, home.path().join(".postgresql/root.crt")).unwrap();
    connects(&format!("{name}?sslmode=verify-full"), home.path()).unwrap();
}

#[test]
fn a_load_goes_on_after_the_server_restarts_mid_way() {
    let Some(_) = server() else { return };
    let (cluster, admin) = Cluster::start();
    let url = fresh_database(&admin, "eventlens_restart_load");
    // A view that holds the second page's first row for a while, so that the server can be
    // restarted while that page is being read.
    connect(&url)
        .batch_execute(
            "CREATE SCHEMA app;
             CREATE TABLE app.log (n bigint PRIMARY KEY, agg text, v int, body jsonb);
             INSERT INTO app.log SELECT n, 'order-' || (n % 7), n, jsonb_build_object('n', n) FROM generate_series(1, 30000) n;
             CREATE FUNCTION app.hold(n bigint) RETURNS boolean LANGUAGE sql VOLATILE
               AS $$ SELECT CASE WHEN n = 20001 AND current_query() LIKE '%LIMIT%'
                                 THEN pg_sleep(1.5) IS NOT NULL ELSE true END $$;
             CREATE VIEW app.slow AS SELECT * FROM app.log WHERE app.hold(n);",
        )
        .unwrap();
    let reader = cmd(&[
        "events",
        &url,
        "--json",
        "--preset",
        "table",
        "--table",
        "app.slow",
        "--stream-column",
        "agg",
        "--seq-column",
        "v",
        "--data-column",
        "body",
        "--position-column",
        "n",
    ])
    .spawn();
    // Wait until a page is held, then restart the server under it.
    let mut watch = connect(&admin);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let held: i64 = watch
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'",
                &[],
            )
            .unwrap()
            .get(0);
        if held > 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no page was held");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(watch);
    cluster.run("stop");
    std::thread::sleep(Duration::from_millis(800));
    cluster.run("start");
    let lines = reader.lines(30_000, Duration::from_secs(60));
    let mut seen = positions(&lines);
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen, (1..=30_000).collect::<Vec<u64>>(), "every row once");
    assert!(reader.is_quiet_for(Duration::from_millis(300)).is_ok());
}
