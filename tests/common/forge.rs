//! Tokens made by hand, for tests that need a token the library would never write.
//!
//! Written from the format's description, not with the library's own encoder, so a
//! bug in that encoder cannot hide here: base64url without padding (RFC 4648 §5, the
//! `base64` crate's `URL_SAFE_NO_PAD`), a native timestamp as its big-endian bytes
//! without leading zero bytes, and Django's signing time in base62 (`0-9A-Za-z`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sessionlib::signer::Signer;
use sessionlib::Keyring;

use super::{key, NOW};

/// `bytes` in base64url without padding.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The bytes of base64url text without padding; panics on anything else.
pub fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(text)
        .unwrap_or_else(|e| panic!("not base64url: {text:?}: {e}"))
}

/// A native timestamp segment: the big-endian bytes of `value` without leading zero
/// bytes, in base64url (0 is the empty string).
pub fn ts(value: u64) -> String {
    let bytes = value.to_be_bytes();
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    b64(&bytes[first..])
}

/// The native expiry an hour after [`NOW`](super::NOW).
pub fn later() -> String {
    ts(NOW as u64 + 3600)
}

/// `value` in base62 with Django's digits (`0-9A-Za-z`), most significant first;
/// 0 is `"0"`.
pub fn base62(mut value: u64) -> String {
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
    String::from_utf8(out).unwrap()
}

/// A native token over `text` (`payload.timestamp`), validly signed with
/// [`key(1)`](super::key) and the default salt, so it passes the MAC check whatever
/// its parts say.
pub fn native_signed(text: &str) -> String {
    let signer: Signer = Signer::new(&Keyring::new(key(1)), b"sessionlib.session");
    format!("{text}.{}", b64(signer.sign(text.as_bytes()).as_bytes()))
}

#[test]
fn forge_helpers_follow_the_format() {
    assert_eq!(b64(b"\xfb\xff"), "-_8");
    assert_eq!(unb64("-_8"), b"\xfb\xff");
    assert_eq!(ts(0), "");
    assert_eq!(ts(1), "AQ");
    assert_eq!(ts(1_700_000_000), "ZVPxAA");
    assert_eq!(ts(u64::MAX), "__________8");
    assert_eq!(base62(0), "0");
    assert_eq!(base62(61), "z");
    assert_eq!(base62(62), "10");
    assert_eq!(base62(1_700_000_000), "1r31eq");
}
