//! Fuzz target `forged_never_verifies`: see `sessionlib_fuzz::forged_never_verifies` for the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sessionlib_fuzz::forged_never_verifies(data));
