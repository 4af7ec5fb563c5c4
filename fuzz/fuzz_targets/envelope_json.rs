//! A store read as `--format json`: container, record scanner, envelope reader and index.
#![no_main]

use eventlens::store::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| eventlens_fuzz::open_as(bytes, Format::Json));
