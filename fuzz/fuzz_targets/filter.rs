//! The read side's jq filters: parsed and compiled, or refused with a column inside the text.
#![no_main]

use eventlens::query::Filter;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Err(error) = Filter::parse(text) {
        let columns = text.chars().count() + 1;
        assert!(
            (1..=columns).contains(&error.column),
            "{text:?}: column {} of {columns}",
            error.column
        );
    }
});
