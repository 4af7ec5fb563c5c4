//! Helpers for the integration tests: run the real binary (with standard input, an exit code
//! to expect and a time limit), follow one that keeps running, find fixtures and the shared
//! conformance suites.
#![allow(dead_code)] // each test file uses its own subset

pub mod kafka;

use std::ffi::OsString;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code, showing what the run printed when it differs.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "eventlens {:?} exited {} (expected {code}):\nstdout: {}\nstderr: {}",
            self.args, self.code, self.stdout, self.stderr
        );
        self
    }

    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(self) -> String {
        self.expect_code(0).stdout
    }
}

/// A run of `eventlens` being set up: arguments, standard input, a time limit.
pub struct Cmd {
    args: Vec<OsString>,
    stdin: Option<Vec<u8>>,
    envs: Vec<(OsString, OsString)>,
    timeout: Duration,
}

/// How long a run may take before the test fails (a hang is a bug, not a slow machine).
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// `eventlens` with `args`.
pub fn cmd(args: &[&str]) -> Cmd {
    Cmd {
        args: args.iter().map(OsString::from).collect(),
        stdin: None,
        envs: Vec::new(),
        timeout: RUN_TIMEOUT,
    }
}

impl Cmd {
    /// Feeds `bytes` on standard input (closed after them).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// Sets an environment variable for the run.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.envs.push((name.into(), value.into()));
        self
    }

    /// Fails the test if the run takes longer than `limit`.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = limit;
        self
    }

    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_eventlens"));
        command.args(&self.args).envs(self.envs.iter().cloned());
        command
    }

    /// Runs it to its end and asserts it did not panic.
    #[track_caller]
    pub fn run(self) -> Run {
        let mut child = self
            .command()
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the eventlens binary runs");
        let feeder = child.stdin.take().zip(self.stdin).map(|(mut pipe, bytes)| {
            // The binary may stop reading early (an error); a closed pipe is fine then.
            std::thread::spawn(move || drop(pipe.write_all(&bytes)))
        });
        let out = drain(child.stdout.take());
        let err = drain(child.stderr.take());
        let status = wait_within(&mut child, self.timeout)
            .unwrap_or_else(|| panic!("eventlens {:?} ran past {:?}", self.args, self.timeout));
        if let Some(feeder) = feeder {
            let _ = feeder.join();
        }
        let run = Run {
            args: self
                .args
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            code: status.code().unwrap_or(-1),
            stdout: out.join().unwrap_or_default(),
            stderr: err.join().unwrap_or_default(),
        };
        assert!(
            !run.stderr.contains("panicked"),
            "eventlens {:?} panicked:\n{}",
            run.args,
            run.stderr
        );
        run
    }

    /// Starts it and returns at once, with its output read line by line as it comes.
    pub fn spawn(self) -> Running {
        self.start(Stdio::null()).0
    }

    /// Starts it with standard input left open, for the test to write to.
    pub fn spawn_with_stdin(self) -> (Running, std::process::ChildStdin) {
        let (running, stdin) = self.start(Stdio::piped());
        (running, stdin.expect("stdin is piped"))
    }

    fn start(self, stdin: Stdio) -> (Running, Option<std::process::ChildStdin>) {
        let mut child = self
            .command()
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the eventlens binary runs");
        let input = child.stdin.take();
        let lines = lines_of(child.stdout.take().expect("stdout is piped"));
        let stderr = Some(drain(child.stderr.take()));
        (
            Running {
                child,
                lines,
                stderr,
            },
            input,
        )
    }
}

/// A run that goes on (`--follow`) while the test reads its output.
pub struct Running {
    child: Child,
    lines: Receiver<String>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Running {
    /// The next line it prints, waiting at most `limit`.
    pub fn line_within(&self, limit: Duration) -> Option<String> {
        self.lines.recv_timeout(limit).ok()
    }

    /// The next `n` lines, failing the test if they take longer than `limit` in all.
    #[track_caller]
    pub fn lines(&self, n: usize, limit: Duration) -> Vec<String> {
        let deadline = Instant::now() + limit;
        let mut got = Vec::with_capacity(n);
        while got.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.line_within(left) {
                Some(line) => got.push(line),
                None => panic!(
                    "got {} of {n} lines within {limit:?}; the last: {:?}",
                    got.len(),
                    got.last()
                ),
            }
        }
        got
    }

    /// Whether nothing more is printed for `quiet`.
    pub fn is_quiet_for(&self, quiet: Duration) -> Result<(), String> {
        match self.line_within(quiet) {
            None => Ok(()),
            Some(line) => Err(line),
        }
    }

    /// Interrupts it as Ctrl+C does and returns its exit code and what it said on stderr.
    pub fn interrupt(mut self) -> (i32, String) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-INT", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -INT {pid} failed");
        let status = wait_within(&mut self.child, Duration::from_secs(20))
            .expect("eventlens stops when interrupted");
        let stderr = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        assert!(
            !stderr.contains("panicked"),
            "eventlens panicked:\n{stderr}"
        );
        (status.code().unwrap_or(-1), stderr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines_of(stdout: ChildStdout) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn drain(pipe: Option<impl std::io::Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn wait_within(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Runs `eventlens` with `args` and waits for it.
#[track_caller]
pub fn eventlens(args: &[&str]) -> Run {
    cmd(args).run()
}

/// Like [`eventlens`], and asserts success.
#[track_caller]
pub fn eventlens_ok(args: &[&str]) -> String {
    eventlens(args).ok()
}

/// A file under `tests/fixtures/`.
pub fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

/// The bundled sample store.
pub fn sample_store() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/orders.jsonl")
        .display()
        .to_string()
}

/// Writes `bytes` to `dir/name` and returns the path as a string.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path.display().to_string()
}

/// Whether an optional tool the test needs is here. Absent, the test prints a notice and
/// skips, unless `required_by` (an environment variable `.ci/run` sets) says it must run.
pub fn available(what: &str, present: bool, required_by: &str) -> bool {
    if present {
        return true;
    }
    assert!(
        std::env::var(required_by).is_err(),
        "{what} is missing and {required_by} is set"
    );
    eprintln!("notice: skipping: {what} is not installed");
    false
}

/// `../shared/conformance/<name>`, or `None` with a printed notice when `../shared/` is absent
/// (a user's clone). With `EVENTLENS_REQUIRE_SHARED=1` (set by `.ci/run`) absence fails the test.
pub fn conformance_file(name: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/conformance")
        .join(name);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("EVENTLENS_REQUIRE_SHARED").is_err(),
        "{} is missing and EVENTLENS_REQUIRE_SHARED is set",
        path.display()
    );
    eprintln!(
        "notice: skipping: {} is absent (it ships beside the project, not in a clone)",
        path.display()
    );
    None
}
