//! Fuzz target `cookie_header`: see `sessionlib_fuzz::cookie_header` for the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sessionlib_fuzz::cookie_header(data));
