//! Fuzz target `django_decode`: see `sessionlib_fuzz::django_decode` for the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sessionlib_fuzz::django_decode(data));
