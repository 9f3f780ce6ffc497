//! Fuzz target `chunked_cookie_header`: see `sessionlib_fuzz::chunked_cookie_header` for
//! the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sessionlib_fuzz::chunked_cookie_header(data));
