//! What the properties share: the fixed current time, the native test key, the cap on
//! input length, the nesting limits, and the helpers that cut an input into a token and
//! sign text.

use sessionlib::signer::Signer;
use sessionlib::{Key, Keyring};
use time::{Duration, OffsetDateTime};

use super::encoding;

/// The fixed "current time" of every property: 2023-11-14T22:13:20Z.
pub const NOW: i64 = 1_700_000_000;

/// The native test key of `tests/vectors/native.json` (bytes 0 to 31).
pub const NATIVE_SECRET: [u8; 32] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
    26, 27, 28, 29, 30, 31,
];

/// The default salt, under which the native vectors verify.
pub const NATIVE_SALT: &str = "sessionlib.session";

/// The largest input a property looks at; libFuzzer is run with `-max_len` of about
/// this, and longer inputs are cut so that time per input stays bounded.
pub const MAX_INPUT: usize = 8192;

/// The current time of every property.
pub fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(NOW).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The expiry written into the tokens the properties sign themselves: an hour after [`NOW`].
pub fn expiry() -> OffsetDateTime {
    now() + Duration::hours(1)
}

/// The key of a fixture secret (a refused secret is a bug of the fixture).
pub(crate) fn fixture_key(secret: &[u8]) -> Key {
    Key::from_bytes(secret).unwrap_or_else(|e| panic!("fixture key refused: {e}"))
}

/// A keyring of [`NATIVE_SECRET`] alone.
pub(crate) fn native_ring() -> Keyring {
    Keyring::new(fixture_key(&NATIVE_SECRET))
}

/// The input as a token: cut to [`MAX_INPUT`] bytes, invalid UTF-8 replaced.
pub(crate) fn as_token(data: &[u8]) -> String {
    String::from_utf8_lossy(data.get(..MAX_INPUT).unwrap_or(data)).into_owned()
}

/// `text` with a valid signature of `signer` appended.
pub(crate) fn sign(signer: &Signer<impl sessionlib::signer::Algorithm>, text: &str) -> String {
    let sig = encoding::encode(signer.sign(text.as_bytes()).as_bytes());
    format!("{text}.{sig}")
}

/// `value` as the timestamp text of a native or Flask token.
pub(crate) fn timestamp_text(value: OffsetDateTime) -> String {
    let seconds = u64::try_from(value.unix_timestamp()).unwrap_or(1);
    let mut out = String::new();
    encoding::encode_timestamp_into(seconds, &mut out);
    out
}

/// The most deeply nested value the `arbitrary` readers build (`ArbJson` of `roundtrip`
/// and the Flask session of `tagged_json`). Deeper than the JSON parser's
/// nesting limit (128), so that the limit itself is part of what is checked.
pub const ARB_MAX_DEPTH: usize = 160;

/// The deepest nesting the codec decodes (the JSON parser's limit).
pub const MAX_DECODED_NESTING: usize = 127;
