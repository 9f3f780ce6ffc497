//! Helpers shared by the unit tests of the cookie layer.

use serde_json::Value;
use time::OffsetDateTime;

use super::CookieConfig;
use crate::error::Error;
use crate::Key;

pub(super) fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap()
}

pub(super) fn key(byte: u8) -> Key {
    Key::from_bytes(&[byte; 32]).unwrap()
}

/// A configuration named `session` (the parsing tests read headers by that name).
pub(super) fn config() -> CookieConfig {
    CookieConfig::builder(key(1))
        .clock(now)
        .name("session")
        .try_build()
        .unwrap()
}

pub(super) fn token(config: &CookieConfig, data: &Value) -> String {
    config
        .encode(data, time::Duration::DAY)
        .unwrap()
        .value()
        .to_owned()
}

pub(super) fn read(config: &CookieConfig, header: &[u8]) -> Result<Option<Value>, Error> {
    config
        .decode_header::<Value>(header)
        .map(|v| v.map(|v| v.data))
}
