//! Fuzz target `session_matches_eager`: the session layer's raw-value loading and
//! one-pass saving agree with the eager `Map` reading they replaced; see
//! `sessionlib_fuzz::session_matches_eager`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sessionlib_fuzz::session_matches_eager(data));
