//! The record scanner, against serde_json: what the scanner accepts, serde_json accepts, with
//! the same members (the scanner's one promise, `store::scan`).
#![no_main]

use eventlens::store::record::RawObject;
use eventlens::store::scan;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Some((_, found)) = scan::object(bytes) else {
        return;
    };
    let text = std::str::from_utf8(bytes).expect("the scanner accepts UTF-8 only");
    let slow: RawObject = serde_json::from_str(text).expect("serde_json accepts it too");
    let slow: Vec<_> = slow
        .members()
        .map(|(k, v)| (k.to_owned(), v.get()))
        .collect();
    let fast: Vec<_> = found
        .members()
        .map(|(k, v)| (k.to_owned(), v.get()))
        .collect();
    assert_eq!(fast, slow);
});
