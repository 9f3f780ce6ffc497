//! Layer 1: strict base64url and the timestamp integer codec.
//!
//! Every token segment uses the base64url alphabet (`A-Z a-z 0-9 - _`) without `=`
//! padding. Decoding is strict so that every accepted token has exactly one spelling:
//! no padding, no whitespace, no `+` or `/`, no impossible lengths, and the unused
//! trailing bits of the last character must be zero.
//!
//! The timestamp is an unsigned integer written big-endian with its leading zero bytes
//! removed (1 to 8 bytes), then base64url-encoded, as Python's itsdangerous does.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// Largest number of bytes a timestamp may take.
pub(crate) const MAX_TIMESTAMP_BYTES: usize = 8;

/// Length of a base64url text (no padding) for `n` bytes of input.
pub(crate) const fn encoded_len(n: usize) -> usize {
    (n / 3) * 4
        + match n % 3 {
            0 => 0,
            1 => 2,
            _ => 3,
        }
}

/// Number of bytes a canonical base64url text of `len` characters decodes to, or `None`
/// when no byte string encodes to that many characters (`len % 4 == 1`).
pub(crate) const fn decoded_len(len: usize) -> Option<usize> {
    match len % 4 {
        0 => Some(len / 4 * 3),
        2 => Some(len / 4 * 3 + 1),
        3 => Some(len / 4 * 3 + 2),
        _ => None,
    }
}

/// The 6-bit value of a base64url character, or `None` for any other byte.
#[inline]
const fn sextet(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    }
}

/// Whether every byte of `text` is a base64url character.
///
/// Written without early exit or table lookups so that the compiler can check many
/// bytes per instruction: this runs over every token before its MAC is checked.
#[inline]
fn all_in_alphabet(text: &[u8]) -> bool {
    let outside = |c: u8| {
        let letter = (c | 0x20).wrapping_sub(b'a') < 26;
        let digit = c.wrapping_sub(b'0') < 10;
        !(letter || digit || c == b'-' || c == b'_')
    };
    !text.iter().fold(false, |acc, &c| acc | outside(c))
}

/// Whether `text` is a canonical base64url encoding: only alphabet characters, a
/// possible length, and zero bits where the last character carries no data.
///
/// This decides everything that [`decode`] can reject without allocating, so it is
/// used to refuse malformed tokens before any MAC work.
pub fn is_canonical(text: &[u8]) -> bool {
    let Some(last) = text.last() else {
        return true;
    };
    if decoded_len(text.len()).is_none() || !all_in_alphabet(text) {
        return false;
    }
    let unused_bits_mask = match text.len() % 4 {
        2 => 0b1111,
        3 => 0b0011,
        _ => 0,
    };
    sextet(*last).is_some_and(|v| v & unused_bits_mask == 0)
}

/// Encodes bytes as base64url without padding.
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Encodes `bytes` into `out`, which must be exactly [`encoded_len`]`(bytes.len())`
/// long; `None` (and `out` unspecified) otherwise.
pub fn encode_to_slice(bytes: &[u8], out: &mut [u8]) -> Option<()> {
    match URL_SAFE_NO_PAD.encode_slice(bytes, out) {
        Ok(n) if n == out.len() => Some(()),
        _ => None,
    }
}

/// Appends the base64url encoding of `bytes` to a byte buffer.
pub fn encode_append(bytes: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + encoded_len(bytes.len()), 0);
    if let Some(tail) = out.get_mut(start..) {
        // The tail has exactly the encoded length, so this cannot fail.
        let _ = encode_to_slice(bytes, tail);
    }
}

/// Decodes strict base64url text; `None` for anything that is not canonical.
pub fn decode(text: &[u8]) -> Option<Vec<u8>> {
    if !is_canonical(text) {
        return None;
    }
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// Decodes strict base64url text into `out`, which must be exactly the decoded length.
/// Returns `None` (and leaves `out` unspecified) for anything that is not canonical or
/// does not fill `out` exactly.
pub fn decode_exact(text: &[u8], out: &mut [u8]) -> Option<()> {
    if decoded_len(text.len()) != Some(out.len()) || !is_canonical(text) {
        return None;
    }
    match URL_SAFE_NO_PAD.decode_slice_unchecked(text, out) {
        Ok(n) if n == out.len() => Some(()),
        _ => None,
    }
}

/// Encodes a timestamp: big-endian bytes with leading zero bytes removed, base64url.
///
/// Zero has no bytes left and so no valid encoding; callers refuse it before calling.
#[cfg(test)]
pub fn encode_timestamp_into(value: u64, out: &mut String) {
    let bytes = value.to_be_bytes();
    URL_SAFE_NO_PAD.encode_string(significant_bytes(value, &bytes), out);
}

/// Like [`encode_timestamp_into`], appending to a byte buffer.
pub fn encode_timestamp_append(value: u64, out: &mut Vec<u8>) {
    let bytes = value.to_be_bytes();
    encode_append(significant_bytes(value, &bytes), out);
}

/// The big-endian bytes of `value` without its leading zero bytes.
fn significant_bytes(value: u64, be_bytes: &[u8; 8]) -> &[u8] {
    let skip = (value.leading_zeros() / 8) as usize;
    be_bytes.get(skip..).unwrap_or_default()
}

/// Length of the encoded timestamp for `value`.
pub(crate) const fn encoded_timestamp_len(value: u64) -> usize {
    encoded_len(MAX_TIMESTAMP_BYTES - (value.leading_zeros() / 8) as usize)
}

/// Decodes a timestamp segment: 1 to 8 bytes of canonical base64url with no leading zero
/// byte. `None` for anything else, so each timestamp has exactly one spelling.
pub fn decode_timestamp(text: &[u8]) -> Option<u64> {
    // 8 bytes take 11 characters; 1 byte takes 2.
    if text.len() < 2 || text.len() > encoded_len(MAX_TIMESTAMP_BYTES) {
        return None;
    }
    let n = decoded_len(text.len())?;
    // At most 66 bits of text: gather them directly rather than through a decoder.
    let mut bits: u128 = 0;
    for &c in text {
        bits = bits << 6 | u128::from(sextet(c)?);
    }
    // The unused low bits of the last character must be zero.
    let unused = 6 * text.len() - 8 * n;
    if bits & ((1 << unused) - 1) != 0 {
        return None;
    }
    let value = u64::try_from(bits >> unused).ok()?;
    // No leading zero byte: the first of the `n` bytes is not zero.
    if value >> (8 * (n - 1)) == 0 {
        return None;
    }
    Some(value)
}

/// The base62 digits of Django's signing time, in value order: `0-9 A-Z a-z`.
#[cfg(feature = "django")]
const BASE62_DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The most base62 digits a `u64` takes (62^11 > 2^64 > 62^10).
#[cfg(feature = "django")]
pub(crate) const MAX_BASE62_LEN: usize = 11;

#[cfg(feature = "django")]
const fn base62_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'Z' => Some(c - b'A' + 10),
        b'a'..=b'z' => Some(c - b'a' + 36),
        _ => None,
    }
}

/// Whether `text` is shaped like a base62 number of one spelling: 1 to
/// [`MAX_BASE62_LEN`] digits of `0-9 A-Z a-z`, no leading `0` (so zero itself, which
/// Django writes as `0`, is refused too), no sign. A cheap check before any MAC work;
/// [`decode_base62`] also checks the value fits a `u64`.
#[cfg(feature = "django")]
pub fn is_canonical_base62(text: &[u8]) -> bool {
    (1..=MAX_BASE62_LEN).contains(&text.len())
        && text.first() != Some(&b'0')
        && text.iter().all(|&c| base62_digit(c).is_some())
}

/// Decodes a Django signing time (`django.core.signing.b62_decode`), strictly: the
/// shape of [`is_canonical_base62`] and a value that fits a `u64` (checked
/// arithmetic). `None` for anything else: `1xw6R` is 29061039, while `01xw6R` (a
/// second spelling) and `-1` are refused.
#[cfg(feature = "django")]
pub fn decode_base62(text: &[u8]) -> Option<u64> {
    if !is_canonical_base62(text) {
        return None;
    }
    text.iter().try_fold(0u64, |value, &c| {
        value
            .checked_mul(62)?
            .checked_add(u64::from(base62_digit(c)?))
    })
}

/// Encodes a positive integer in base62 as Django's `b62_encode` does. Zero, which
/// decoding refuses, is written as `0`.
#[cfg(all(test, feature = "django"))]
pub fn encode_base62(value: u64) -> String {
    let mut out = Vec::with_capacity(MAX_BASE62_LEN);
    encode_base62_append(value, &mut out);
    out.into_iter().map(char::from).collect()
}

/// Like [`encode_base62`], appending to a byte buffer.
#[cfg(feature = "django")]
pub fn encode_base62_append(value: u64, out: &mut Vec<u8>) {
    let mut digits = [b'0'; MAX_BASE62_LEN];
    let mut n = value;
    let mut start = MAX_BASE62_LEN;
    while n > 0 && start > 0 {
        start -= 1;
        if let (Some(slot), Some(&d)) =
            (digits.get_mut(start), BASE62_DIGITS.get((n % 62) as usize))
        {
            *slot = d;
        }
        n /= 62;
    }
    let start = if value == 0 {
        MAX_BASE62_LEN - 1
    } else {
        start
    };
    out.extend_from_slice(digits.get(start..).unwrap_or_default());
}

/// The number of base62 digits of `value` (1 for zero).
#[cfg(feature = "django")]
pub(crate) const fn encoded_base62_len(value: u64) -> usize {
    let mut len = 1;
    let mut n = value / 62;
    while n > 0 {
        len += 1;
        n /= 62;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "django")]
    #[test]
    fn base62_round_trip_and_one_spelling() {
        for value in [1u64, 9, 10, 61, 62, 63, 3843, 3844, 1_700_000_000, u64::MAX] {
            let text = encode_base62(value);
            assert_eq!(text.len(), encoded_base62_len(value), "{value}");
            assert_eq!(decode_base62(text.as_bytes()), Some(value), "{value}");
        }
        assert_eq!(encode_base62(0), "0");
        assert_eq!(encoded_base62_len(0), 1);
        // Django's own b62_encode(1700000000) and of 2^64 - 1.
        assert_eq!(encode_base62(1_700_000_000), "1r31eq");
        assert_eq!(encode_base62(u64::MAX), "LygHa16AHYF");
        for bad in [
            &b""[..],
            b"0",
            b"01r31eq",
            b"-1r31eq",
            b"+1",
            b"1r31eq ",
            b"1r3-eq",
            b"LygHa16AHYG",  // 2^64: overflows
            b"zzzzzzzzzzz",  // overflows
            b"100000000000", // twelve digits
        ] {
            assert_eq!(decode_base62(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn lengths() {
        for n in 0..100 {
            let text = encode(&vec![0xa5; n]);
            assert_eq!(text.len(), encoded_len(n));
            assert_eq!(decoded_len(text.len()), Some(n));
        }
        assert_eq!(decoded_len(5), None);
    }

    #[test]
    fn byte_buffer_encoding() {
        for n in 0..70 {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            let mut out = b"prefix.".to_vec();
            encode_append(&bytes, &mut out);
            assert_eq!(out, format!("prefix.{}", encode(&bytes)).as_bytes());
            let mut exact = vec![0; encoded_len(n)];
            assert_eq!(encode_to_slice(&bytes, &mut exact), Some(()));
            assert_eq!(exact, encode(&bytes).as_bytes());
            let mut short = vec![0; encoded_len(n).saturating_sub(1)];
            if n > 0 {
                assert_eq!(encode_to_slice(&bytes, &mut short), None);
            }
        }
    }

    #[test]
    fn strict_decoding() {
        assert_eq!(decode(b"aGk").as_deref(), Some(&b"hi"[..]));
        assert_eq!(decode(b""), Some(vec![]));
        // Non-zero unused bits: "aGl" decodes to the same bytes in lenient decoders.
        assert_eq!(decode(b"aGl"), None);
        assert_eq!(decode(b"aGk="), None);
        assert_eq!(decode(b"aG k"), None);
        assert_eq!(decode(b"a+/k"), None);
        assert_eq!(decode(b"a"), None);
        assert_eq!(decode("aGé".as_bytes()), None);
        assert_eq!(decode(b"-_-_"), Some(vec![0xfb, 0xff, 0xbf]));
    }

    #[test]
    fn alphabet_check_matches_sextets() {
        for c in 0..=255u8 {
            assert_eq!(
                all_in_alphabet(&[b'A', c, b'z']),
                sextet(c).is_some(),
                "{c}"
            );
        }
        assert!(all_in_alphabet(b""));
    }

    /// The direct timestamp decoder accepts exactly what strict decoding of 1 to 8
    /// bytes without a leading zero byte accepts.
    #[test]
    fn timestamp_decoder_matches_strict_decoding() {
        let alphabet = b"AQgw09-_Zz";
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        // Fewer samples under Miri, which runs this code thousands of times slower.
        let samples = if cfg!(miri) { 40 } else { 2000 };
        for len in 0..14 {
            for _ in 0..samples {
                let text: Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        alphabet[(seed % alphabet.len() as u64) as usize]
                    })
                    .collect();
                let expected = decode(&text)
                    .filter(|b| (1..=8).contains(&b.len()) && b[0] != 0)
                    .map(|b| b.iter().fold(0u64, |v, &x| v << 8 | u64::from(x)));
                assert_eq!(decode_timestamp(&text), expected, "{text:?}");
            }
        }
    }

    #[test]
    fn timestamps() {
        for v in [1u64, 255, 256, 1_700_000_000, 1 << 63, u64::MAX] {
            let mut s = String::new();
            encode_timestamp_into(v, &mut s);
            assert_eq!(decode_timestamp(s.as_bytes()), Some(v), "{v}");
        }
        let mut s = String::new();
        encode_timestamp_into(1_700_000_000, &mut s);
        assert_eq!(s, "ZVPxAA");
        assert_eq!(encoded_timestamp_len(1_700_000_000), 6);
        let mut v = b"x.".to_vec();
        encode_timestamp_append(1_700_000_000, &mut v);
        assert_eq!(v, b"x.ZVPxAA");
        // Leading zero byte, nine bytes, empty.
        assert_eq!(decode_timestamp(encode(&[0, 1]).as_bytes()), None);
        assert_eq!(decode_timestamp(encode(&[1; 9]).as_bytes()), None);
        assert_eq!(decode_timestamp(b""), None);
        assert_eq!(decode_timestamp(encode(&[0]).as_bytes()), None);
    }
}
