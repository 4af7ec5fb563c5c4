//! Event times: whatever an event's `time` says, a reading or `None`, and a reading that
//! survives a round trip through the text eventlens writes.
#![no_main]

use eventlens::store::time::{from_epoch_millis, parse_duration, parse_instant};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let _ = parse_duration(text);
    let Some(instant) = parse_instant(text) else {
        return;
    };
    let millis = instant.div_euclid(1_000_000);
    if let Some(written) = from_epoch_millis(millis) {
        assert_eq!(
            parse_instant(&written),
            Some(millis * 1_000_000),
            "{text:?} → {written}"
        );
    }
});
