//! RFC 7396: a merge patch read straight into the state (the fold's fast path) gives what the
//! patch read as a tree gives, and applying it again changes nothing; folded as text (how
//! checkpoints are made), it fails where the tree's merge fails, with the same error, and
//! otherwise gives the text the tree writes. Input: a state, a newline, a patch.
#![no_main]

use eventlens::replay::{fold_merge_patches, merge_patch, merge_patch_text};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|bytes: &[u8]| {
    let Some((state, patch_text)) = eventlens_fuzz::two_parts(bytes) else {
        return;
    };
    let Ok(state) = serde_json::from_str::<Value>(state) else {
        return;
    };
    let mut fast = state.clone();
    let read = merge_patch_text(&mut fast, patch_text);
    let start = state.to_string();
    let mut failure = None;
    let text = fold_merge_patches(&start, [Some(patch_text)], &mut |_, error| {
        failure = Some(error.to_string());
    });
    assert_eq!(
        failure,
        read.as_ref().err().map(ToString::to_string),
        "the text fold fails as the tree's merge does"
    );
    assert_eq!(text, fast.to_string(), "the text fold writes what the tree does");
    let Ok(patch) = serde_json::from_str::<Value>(patch_text) else {
        assert!(
            read.is_err(),
            "the fast path reads what serde_json does not"
        );
        return;
    };
    read.expect("what serde_json reads, the fast path reads");
    let mut slow = state;
    merge_patch(&mut slow, &patch);
    // A name given twice is merged twice by the fast path, where the tree keeps the last.
    if !eventlens_fuzz::names_a_member_twice(patch_text) {
        assert_eq!(fast, slow);
    }
    let mut again = slow.clone();
    merge_patch(&mut again, &patch);
    assert_eq!(again, slow, "a merge patch is idempotent");
});
