//! The public conformance suites in `../shared/conformance/`: RFC 6902 JSON Patch (apply) and
//! RFC 7396 JSON Merge Patch. Skipped with a notice where `../shared/` is absent.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use eventlens::diff::{apply, json_equal, parse_patch};
use eventlens::replay::merge_patch;
use serde_json::Value;

fn cases(name: &str) -> Option<Vec<Value>> {
    let path = common::conformance_file(name)?;
    Some(serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
}

/// Runs the suite `name` and returns how many cases ran; `None` when the suite is absent.
fn run_json_patch_suite(name: &str) -> Option<usize> {
    let cases = cases(name)?;
    let mut ran = 0;
    for case in cases.iter().filter(|c| c["disabled"] != Value::Bool(true)) {
        let label = case["comment"].as_str().unwrap_or("(no comment)");
        let mut doc = case["doc"].clone();
        let result = parse_patch(&case["patch"]).and_then(|patch| apply(&mut doc, &patch));
        if let Some(why) = case.get("error") {
            assert!(
                result.is_err(),
                "{name}: '{label}' should fail ({why}) but gave {doc}"
            );
        } else {
            assert!(result.is_ok(), "{name}: '{label}' failed: {result:?}");
            if let Some(expected) = case.get("expected") {
                assert!(
                    json_equal(&doc, expected),
                    "{name}: '{label}': got {doc}, expected {expected}"
                );
            }
        }
        ran += 1;
    }
    Some(ran)
}

#[test]
fn json_patch_tests() {
    if let Some(ran) = run_json_patch_suite("json-patch/tests.json") {
        eprintln!("json-patch/tests.json: {ran} cases passed");
        assert_eq!(ran, 92, "the suite has 92 enabled cases");
    }
}

#[test]
fn json_patch_spec_tests() {
    if let Some(ran) = run_json_patch_suite("json-patch/spec_tests.json") {
        eprintln!("json-patch/spec_tests.json: {ran} cases passed");
        assert_eq!(ran, 16, "the suite has 16 enabled cases");
    }
}

#[test]
fn merge_patch_tests() {
    let Some(cases) = cases("merge-patch-tests.json") else {
        return;
    };
    for case in &cases {
        let mut doc = case["doc"].clone();
        merge_patch(&mut doc, &case["patch"]);
        assert_eq!(doc, case["expected"], "{}", case["comment"]);
    }
    eprintln!("merge-patch-tests.json: {} cases passed", cases.len());
    assert_eq!(cases.len(), 43, "the suite has 43 cases");
}
