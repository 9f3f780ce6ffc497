//! Fuzz target `iron_decode`: see `sessionlib_fuzz::iron_decode` for the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sessionlib_fuzz::iron_decode(data));
