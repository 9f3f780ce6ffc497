//! Fuzz target `tamper`: see `sessionlib_fuzz::tamper` for the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sessionlib_fuzz::tamper(data));
