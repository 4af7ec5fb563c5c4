//! Helpers for the integration tests: run the real binary, find fixtures and the shared
//! conformance suites.
#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};
use std::process::Command;

/// What one run of the binary did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `eventlens` with `args` and waits for it.
pub fn eventlens(args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_eventlens"))
        .args(args)
        .output()
        .expect("the eventlens binary runs");
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "eventlens panicked on {args:?}:\n{}",
        run.stderr
    );
    run
}

/// Like [`eventlens`], and asserts the exit code.
pub fn eventlens_ok(args: &[&str]) -> String {
    let run = eventlens(args);
    assert_eq!(run.code, 0, "eventlens {args:?} failed:\n{}", run.stderr);
    run.stdout
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
