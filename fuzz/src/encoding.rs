//! The token text the properties write by hand, from the formats' specification (the
//! library's own encoders are private): base64url without padding, the native
//! timestamp (big-endian bytes without leading zeros, in base64url) and Django's
//! base62 signing time.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// `bytes` in base64url without padding.
pub(crate) fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The bytes of base64url text without padding; `None` when it is not that.
pub(crate) fn decode(text: &[u8]) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// Appends the native timestamp text of `seconds`.
pub(crate) fn encode_timestamp_into(seconds: u64, out: &mut String) {
    let bytes = seconds.to_be_bytes();
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    out.push_str(&encode(&bytes[first..]));
}

/// `value` in Django's base62 (`0-9A-Za-z`).
#[cfg(feature = "django")]
pub(crate) fn encode_base62(mut value: u64) -> String {
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(value % 62) as usize]);
        value /= 62;
        if value == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}
