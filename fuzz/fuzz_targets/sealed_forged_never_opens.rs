//! Fuzz target `sealed_forged_never_opens`: see `sessionlib_fuzz::sealed_forged_never_opens` for the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sessionlib_fuzz::sealed_forged_never_opens(data));
