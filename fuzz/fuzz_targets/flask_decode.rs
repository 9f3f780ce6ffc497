//! Fuzz target `flask_decode`: see `sessionlib_fuzz::flask_decode` for the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sessionlib_fuzz::flask_decode(data));
