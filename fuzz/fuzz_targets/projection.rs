//! Loading a projection script: its first run, what it declares and its `$init`, under the
//! time and memory limits every projection runs with. An error or a projection, never a hang
//! or a crash.
#![no_main]

use std::time::Duration;

use eventlens::replay::{Limits, Projection};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(script) = std::str::from_utf8(bytes) else {
        return;
    };
    let limits = Limits {
        time: Duration::from_millis(100),
        memory: 16 << 20,
    };
    if let Ok(projection) = Projection::from_source("fuzz.js", script, limits) {
        let _ = (projection.name(), projection.handlers());
    }
});
