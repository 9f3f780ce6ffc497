//! Fuzz target `registry_user_agent`: any `User-Agent` header gets a device description
//! made of fixed names in the session registry; see
//! `sessionlib_fuzz::registry_user_agent`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sessionlib_fuzz::registry_user_agent(data));
