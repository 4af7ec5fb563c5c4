//! Finding the records of a file: one a line, a JSON array, or an array inside an object.
//! Records are in order, apart and inside the file, each on the line it says.
#![no_main]

use eventlens::store::container;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let found = container::detect(bytes);
    let split = container::split(bytes, &found);
    let mut end = 0;
    for record in &split.records {
        assert!(end <= record.start && record.start <= record.end && record.end <= bytes.len());
        let lines_before = memchr_count(&bytes[..record.start]);
        assert_eq!(record.line, lines_before + 1, "{found:?}: {record:?}");
        end = record.end;
    }
    if let Some(line) = split.truncated_tail {
        assert!(line <= memchr_count(bytes) + 1);
    }
});

fn memchr_count(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}
