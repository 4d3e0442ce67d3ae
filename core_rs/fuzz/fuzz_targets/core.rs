//! libFuzzer target over the pure core: `cargo +nightly fuzz run core fuzz/corpus/core`.
//! The properties are in `../properties.rs`.
#![no_main]

include!("../properties.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));
