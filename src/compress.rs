//! zlib compression of payloads, as itsdangerous does it (feature `zlib`, part of
//! `flask`), and the decompression limits ([`Inflate`]), which every codec holds
//! whether or not the feature is on.
//!
//! A payload is compressed only when that makes it more than one byte shorter.
//! Decompression accepts exactly one complete zlib stream with a valid checksum and no
//! trailing bytes, and stops at the size and ratio limits of [`Inflate`].

#[cfg(feature = "zlib")]
use miniz_oxide::inflate::core::inflate_flags::{
    TINFL_FLAG_PARSE_ZLIB_HEADER, TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
};
#[cfg(feature = "zlib")]
use miniz_oxide::inflate::core::{decompress, DecompressorOxide};
#[cfg(feature = "zlib")]
use miniz_oxide::inflate::TINFLStatus;

#[cfg(any(doc, feature = "zlib"))]
use crate::error::Error;

/// Decompression limits for compressed payloads.
///
/// A compressed payload is only inflated after its signature verified, but a key holder
/// (or a leaked key) could still sign a "zip bomb", so the output is capped both in
/// size and in ratio to the compressed input. Anything over either limit fails with
/// [`Error::DecompressionLimit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Inflate {
    /// The largest decompressed payload accepted, in bytes. Defaults to 65536.
    pub max_len: usize,
    /// The largest ratio of decompressed to compressed size accepted. Defaults to 256.
    pub max_ratio: usize,
}

impl Inflate {
    /// Limits of `max_len` decompressed bytes and a decompressed-to-compressed ratio of
    /// `max_ratio`.
    pub const fn new(max_len: usize, max_ratio: usize) -> Self {
        Self { max_len, max_ratio }
    }
}

impl Default for Inflate {
    fn default() -> Self {
        Self {
            max_len: 64 * 1024,
            max_ratio: 256,
        }
    }
}

/// The zlib level Python's `zlib.compress` uses by default.
#[cfg(feature = "zlib")]
const LEVEL: u8 = 6;

/// The zlib stream for `payload` when it is more than one byte shorter than `payload`.
#[cfg(feature = "zlib")]
pub(crate) fn deflate_if_shorter(payload: &[u8]) -> Option<Vec<u8>> {
    let compressed = miniz_oxide::deflate::compress_to_vec_zlib(payload, LEVEL);
    (compressed.len() + 1 < payload.len()).then_some(compressed)
}

/// Inflates one zlib stream within `limits`.
#[cfg(feature = "zlib")]
pub(crate) fn inflate(stream: &[u8], limits: Inflate) -> Result<Vec<u8>, Error> {
    let max = limits
        .max_len
        .min(stream.len().saturating_mul(limits.max_ratio));
    // One byte of room beyond the limit tells "exactly at the limit" from "over it".
    let mut out = vec![0u8; max.saturating_add(1)];
    let mut state = DecompressorOxide::new();
    let flags = TINFL_FLAG_PARSE_ZLIB_HEADER | TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let (status, consumed, written) = decompress(&mut state, stream, &mut out, 0, flags);
    match status {
        TINFLStatus::Done if written > max => Err(Error::DecompressionLimit { max }),
        TINFLStatus::Done if consumed == stream.len() => {
            out.truncate(written);
            Ok(out)
        }
        // Trailing bytes after the stream (such as a second stream).
        TINFLStatus::Done => Err(Error::Malformed),
        TINFLStatus::HasMoreOutput => Err(Error::DecompressionLimit { max }),
        _ => Err(Error::Malformed),
    }
}

#[cfg(all(test, feature = "zlib"))]
mod tests {
    use super::*;

    const LIMITS: Inflate = Inflate {
        max_len: 64 * 1024,
        max_ratio: 256,
    };

    #[test]
    fn round_trip_and_the_one_byte_rule() {
        let json = br#"{"a":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}"#;
        let z = deflate_if_shorter(json).unwrap();
        assert_eq!(inflate(&z, LIMITS).unwrap(), json);
        // Short, incompressible payloads stay as they are.
        assert_eq!(deflate_if_shorter(br#"{"a":1}"#), None);
    }

    #[test]
    #[cfg_attr(miri, ignore = "inflating 1 MiB takes Miri over ten minutes")]
    fn bombs_trailing_bytes_and_truncation() {
        let bomb = miniz_oxide::deflate::compress_to_vec_zlib(&vec![b'a'; 1 << 20], 9);
        assert_eq!(
            inflate(&bomb, LIMITS),
            Err(Error::DecompressionLimit { max: 64 * 1024 })
        );
        let ratio = miniz_oxide::deflate::compress_to_vec_zlib(&[b' '; 4000], 9);
        let limits = Inflate {
            max_len: 1 << 20,
            max_ratio: 10,
        };
        assert!(matches!(
            inflate(&ratio, limits),
            Err(Error::DecompressionLimit { .. })
        ));

        let ok = miniz_oxide::deflate::compress_to_vec_zlib(b"{}", 6);
        let mut two = ok.clone();
        two.extend_from_slice(&ok);
        assert_eq!(inflate(&two, LIMITS), Err(Error::Malformed));
        let mut trailing = ok.clone();
        trailing.push(0);
        assert_eq!(inflate(&trailing, LIMITS), Err(Error::Malformed));
        assert_eq!(inflate(&ok[..ok.len() - 1], LIMITS), Err(Error::Malformed));
        let mut bad_checksum = ok.clone();
        *bad_checksum.last_mut().unwrap() ^= 1;
        assert_eq!(inflate(&bad_checksum, LIMITS), Err(Error::Malformed));
        // Raw deflate without the zlib header.
        let raw = miniz_oxide::deflate::compress_to_vec(b"{}", 6);
        assert_eq!(inflate(&raw, LIMITS), Err(Error::Malformed));
        assert_eq!(inflate(&[], LIMITS), Err(Error::Malformed));
        // Exactly at the limit is fine.
        let exact = miniz_oxide::deflate::compress_to_vec_zlib(&[b'x'; 1000], 6);
        let limits = Inflate {
            max_len: 1000,
            max_ratio: 1000,
        };
        assert_eq!(inflate(&exact, limits).unwrap().len(), 1000);
    }

    /// Every size and compressibility reads back whole, the size limit holds to the
    /// byte, and a trailing byte is refused.
    #[test]
    fn every_size_reads_back_whole_within_an_exact_limit() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut random = |n: usize| -> Vec<u8> {
            (0..n)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect()
        };
        let lengths: &[usize] = if cfg!(miri) {
            &[0, 1, 300, 1000]
        } else {
            &[0, 1, 2, 300, 1000, 4097, 20_000, 65_536]
        };
        for &n in lengths {
            let noise = random(n);
            let json: Vec<u8> = format!("{:?}", vec!["session value"; n / 16]).into_bytes();
            for data in [vec![b'a'; n], noise, json] {
                let z = miniz_oxide::deflate::compress_to_vec_zlib(&data, 6);
                let roomy = Inflate {
                    max_len: data.len(),
                    max_ratio: usize::MAX,
                };
                assert_eq!(inflate(&z, roomy).as_deref(), Ok(data.as_slice()), "{n}");
                if !data.is_empty() {
                    let short = Inflate {
                        max_len: data.len() - 1,
                        max_ratio: usize::MAX,
                    };
                    assert_eq!(
                        inflate(&z, short),
                        Err(Error::DecompressionLimit {
                            max: data.len() - 1
                        }),
                        "{n}"
                    );
                }
                let mut trailing = z.clone();
                trailing.push(0);
                assert_eq!(inflate(&trailing, roomy), Err(Error::Malformed), "{n}");
            }
        }
    }
}
