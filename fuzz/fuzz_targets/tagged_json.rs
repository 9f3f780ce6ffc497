//! Fuzz target `tagged_json`: see `sessionlib_fuzz::tagged_json` for the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sessionlib_fuzz::tagged_json(data));
