//! Fuzz target `sealed_decode_never_panics`: see `sessionlib_fuzz::sealed_decode_never_panics` for the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sessionlib_fuzz::sealed_decode_never_panics(data));
