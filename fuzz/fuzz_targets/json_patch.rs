//! RFC 6902: a patch read and applied to a document, all or nothing; and the diff of two
//! documents, which applied to the first gives the second. Input: a document, a newline, a
//! second document (or a patch).
#![no_main]

use eventlens::diff::{apply, diff, json_equal, parse_patch};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|bytes: &[u8]| {
    let Some((first, second)) = eventlens_fuzz::two_parts(bytes) else {
        return;
    };
    let (Ok(doc), Ok(other)) = (
        serde_json::from_str::<Value>(first),
        serde_json::from_str::<Value>(second),
    ) else {
        return;
    };
    if let Ok(patch) = parse_patch(&other) {
        let mut patched = doc.clone();
        if apply(&mut patched, &patch).is_err() {
            assert_eq!(patched, doc, "a patch that fails changes nothing");
        }
    }
    let patch = diff(&doc, &other);
    let mut patched = doc.clone();
    apply(&mut patched, &patch).expect("a diff applies to its own document");
    assert!(json_equal(&patched, &other), "{patch:?}");
});
