//! Fixtures shared by the integration tests (`tests/it`): a fixed clock, keys, the
//! committed vector files and hex. Tokens made by hand are in [`forge`], the peers
//! (Python, Chromium, Redis) in [`peers`], the processes the tests start in
//! [`servers`], and a revocation store that can fail in [`store`].
//!
//! Each test module uses what it needs, and a build without optional features uses
//! little of it: hence the `allow` below.
#![allow(dead_code, unused_imports)]

pub mod clock;
pub mod forge;
pub mod peers;
pub mod servers;
pub mod store;

pub use clock::{clock, with_now, At, CookieAt};
pub use peers::{assert_generator_reproduces, node_with_packages, python_with, run_with_input};
pub use servers::{
    example_binary, free_port, one_at_a_time, RedisCluster, RedisServer, Server, EXAMPLES,
};
pub use store::FlakyStore;

use serde_json::Value;
use sessionlib::Key;
use time::OffsetDateTime;

/// The fixed "now" of the tests, in Unix seconds (2023-11-14T22:13:20Z).
pub const NOW: i64 = 1_700_000_000;

/// [`NOW`] as a time.
pub fn now() -> OffsetDateTime {
    at(NOW)
}

/// The time `seconds` after the Unix epoch.
pub fn at(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap()
}

/// The time in the integer field `field` of a vector case.
pub fn at_field(case: &Value, field: &str) -> OffsetDateTime {
    at(case[field].as_i64().unwrap())
}

/// A 32-byte key of `byte` repeated.
pub fn key(byte: u8) -> Key {
    Key::from_bytes(&[byte; 32]).unwrap()
}

/// The committed vector file `tests/vectors/FILE`, parsed.
pub fn vectors(file: &str) -> Value {
    let path = format!("{}/tests/vectors/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// The bytes of lower- or upper-case hex text.
pub fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// `bytes` as lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
