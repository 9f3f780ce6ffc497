//! Sealed tokens (feature `sealed`): session data encrypted *and* authenticated.
//!
//! A signed token (the default) can be read by anyone holding the cookie. A sealed
//! token cannot: its JSON is encrypted with an AEAD, so the holder learns only what is
//! listed under "What a sealed token shows" below. Everything else stays the same as for
//! signed tokens: the [`Keyring`] (one keyring serves both, and rotates the same way,
//! with [`KeyUsed`] reported), the salt (the purpose), the cookie-name binding, the
//! expiry, the size limit and the [`Error`] kinds.
//!
//! Turn it on with [`CodecBuilder::sealed`](crate::CodecBuilder::sealed), or one level up
//! with [`CookieConfigBuilder::sealed`](crate::CookieConfigBuilder::sealed), which the
//! session layer and the framework integrations then use unchanged.
//!
//! ```
//! use sessionlib::{Codec, Error, Key, KeyUsed};
//! # fn main() -> Result<(), Error> {
//! let codec = Codec::builder(Key::generate()).sealed(true).build();
//! let token = codec.encode(&serde_json::json!({"user": "cobra"}))?;
//! assert!(!token.contains('.')); // one base64url string, no readable payload
//! let verified = codec.decode::<serde_json::Value>(&token)?;
//! assert_eq!(verified.data["user"], "cobra");
//! assert_eq!(verified.key_used, KeyUsed::Primary);
//! # Ok(())
//! # }
//! ```
//!
//! # The AEAD: XChaCha20-Poly1305
//!
//! Tokens are sealed with XChaCha20-Poly1305 (the `chacha20poly1305` crate) under a
//! fresh random 192-bit nonce per token, from the operating system's generator. Why
//! this one rather than AES-256-GCM (the `cookie` crate's `PrivateJar`, Rails) or
//! AES-256-GCM-SIV:
//!
//! - **Random nonces are safe at any volume.** Every token of a key gets a random
//!   nonce, and a server fleet makes tokens without coordinating. With 192-bit nonces
//!   the chance of a repeat stays negligible after 2⁶⁴ tokens; AES-GCM's 96-bit nonces
//!   reach the usual 2⁻³² bound after about 2³² tokens per key, and a repeat there
//!   leaks the authentication key. GCM-SIV would survive a repeat, but needs no such
//!   rescue here, since nonces never need to be counted or stored.
//! - **Constant time without hardware support.** ChaCha20 and Poly1305 are fast and
//!   constant-time in plain software; AES is constant-time and fast only with AES-NI
//!   (or ARMv8 crypto extensions), which not every target has.
//! - **An independent peer exists.** libsodium implements exactly this construction
//!   (`crypto_aead_xchacha20poly1305_ietf_*`), reachable from Python through PyNaCl;
//!   `tests/interop/sealed_peer.py` is built on it, which is how the format below is
//!   checked by a second implementation.
//!
//! **Speed.** On x86-64 the `poly1305` crate picks its AVX2 backend at run time, whose
//! fixed cost per message (about 1.5 µs on the machine of `BENCHMARKS.md`) dominates
//! small tokens: a small sealed decode costs about 2.9× the `cookie` crate's
//! `PrivateJar` plus `serde_json`. An application that builds with
//! `RUSTFLAGS="--cfg poly1305_force_soft"` (or `-C target-cpu=native`, which lets the
//! AVX2 code inline) gets about 1.3×. A library cannot make that choice for its users.
//!
//! # Wire format (version 1)
//!
//! ```text
//! token      = b64(raw)                        ; strict base64url, no padding, no "."
//! raw        = header || nonce || ciphertext || tag
//! header     = version || expiry               ; 9 bytes, the associated data
//! version    = 0x01                            ; 1 byte
//! expiry     = u64be(Unix seconds)             ; 8 bytes, big-endian
//! nonce      = 24 random bytes
//! ciphertext || tag = XChaCha20-Poly1305(key = k, nonce, aad = header,
//!                                        plaintext = compact JSON of the data)
//! tag        = 16 bytes
//! k          = HKDF-SHA256(salt = "sessionlib.sealed.v1",   ; 20 ASCII bytes
//!                          ikm  = the Key's secret bytes,
//!                          info = u64be(len(purpose)) || purpose,
//!                          L    = 32)
//! purpose    = the codec's salt; for a cookie, the signing salt that binds the
//!              configured salt and the cookie name (see `cookie`, "The cookie name is
//!              signed"): "sessionlib.cookie.v1" || u32be(len(salt)) || salt
//!                                               || u32be(len(name)) || name
//! ```
//!
//! HKDF is RFC 5869 with SHA-256. `u64be(n)` is `n` as eight big-endian bytes, so the
//! purpose is length-prefixed and no two purposes share key material. The derived key
//! is never the signing key of the same secret and purpose (that one is
//! `HMAC-SHA256(key = secret, message = purpose)`, see [`signer`](crate::signer)):
//! HKDF's extract step keys HMAC with the fixed label instead of the secret. The raw
//! bytes of a sealed token are at least 50 bytes long (the 49 bytes of header, nonce
//! and tag, and at least one byte of JSON), so the shortest token is 67 characters.
//!
//! One derived key is computed per key of the ring when the codec is built and kept in
//! the cipher state, which overwrites it with zeros when it is dropped.
//!
//! # Decoding order
//!
//! 1. The length of the text, against the configured maximum: [`Error::TooLarge`],
//!    before anything is decoded.
//! 2. The shape: canonical base64url (one spelling per token), at
//!    least 50 bytes, version byte `0x01`; anything
//!    else is [`Error::Malformed`], before any cryptography.
//! 3. The tag, with each key of the ring, primary first: the Poly1305 tag over the
//!    header and the ciphertext is checked before anything is decrypted, and nothing
//!    that failed it is ever decrypted or parsed. No key opens it:
//!    [`Error::InvalidSignature`] — the same error for a wrong key, a changed byte, a
//!    token sealed for another salt or cookie name, or a changed header.
//! 4. The expiry (from the authenticated header): [`Error::Expired`]; an expiry the
//!    time library cannot represent is [`Error::Malformed`], never clamped.
//! 5. The JSON, from a buffer that is zeroized when it is dropped.
//!
//! # What a sealed token shows
//!
//! The contents are hidden; these are not:
//!
//! - the **length** of the JSON (the token is 67 characters plus 4/3 of the JSON's
//!   length): sessions of different sizes can be told apart. Payloads are not
//!   compressed when sealed (compression before encryption lets lengths reveal
//!   contents): [`CodecBuilder::try_build`](crate::CodecBuilder::try_build) refuses
//!   a codec both sealed and compressed, and `build` makes it without compression;
//! - the **expiry**, in the header (a sealed cookie also carries it as `Expires`);
//! - the format version, and that the token is sealed.
//!
//! [`inspect_unverified`] reads exactly these, without a key.
//!
//! [`Keyring`]: crate::Keyring
//! [`KeyUsed`]: crate::KeyUsed
//! [`Error`]: crate::Error

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::encoding;
use crate::error::Error;
use crate::key::{KeyUsed, Keyring};

/// The format version written as the first raw byte: `0x01`.
pub(crate) const VERSION: u8 = 1;

/// The HKDF-SHA256 salt that separates sealing keys from every other use of a key:
/// `sessionlib.sealed.v1`.
pub(crate) const HKDF_SALT: &[u8] = b"sessionlib.sealed.v1";

/// Length of the header (version byte and expiry), the associated data: 9 bytes.
pub(crate) const HEADER_LEN: usize = 1 + 8;

/// Length of the nonce: 24 bytes (192 bits).
pub(crate) const NONCE_LEN: usize = 24;

/// Length of the Poly1305 tag: 16 bytes.
pub(crate) const TAG_LEN: usize = 16;

/// Raw bytes a sealed token adds to its JSON: header, nonce and tag, 49 bytes.
pub(crate) const OVERHEAD: usize = HEADER_LEN + NONCE_LEN + TAG_LEN;

/// Seals and opens tokens with one cipher state per key of a ring.
pub(crate) struct Sealer {
    /// The primary key's cipher first, then the fallbacks' in order. Each cipher
    /// zeroizes its key when dropped.
    ciphers: Vec<XChaCha20Poly1305>,
}

/// An opened sealed token: its authenticated plaintext, expiry and the key that opened
/// it. The expiry is not checked yet.
pub(crate) struct Unsealed {
    pub(crate) plaintext: Zeroizing<Vec<u8>>,
    pub(crate) expiry: u64,
    pub(crate) key_used: KeyUsed,
}

/// The sealing key for one secret and purpose (see the module docs).
fn derive_key(secret: &[u8], purpose: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut okm = Zeroizing::new([0u8; 32]);
    let len = u64::try_from(purpose.len())
        .unwrap_or(u64::MAX)
        .to_be_bytes();
    let hk = Hkdf::<sha2::Sha256>::new(Some(HKDF_SALT), secret);
    // 32 bytes is far below HKDF-SHA256's limit of 255 * 32, so this cannot fail.
    let _ = hk.expand_multi_info(&[&len, purpose], okm.as_mut_slice());
    okm
}

impl Sealer {
    /// Derives one sealing key per key of `keyring` for `purpose`.
    pub(crate) fn new(keyring: &Keyring, purpose: &[u8]) -> Self {
        let ciphers = keyring
            .iter()
            .map(|key| {
                let k = derive_key(key.expose_secret(), purpose);
                XChaCha20Poly1305::new(&(*k).into())
            })
            .collect();
        Self { ciphers }
    }

    /// Seals `json` with the primary key, to expire at `expiry` (Unix seconds, > 0).
    /// Fails with [`Error::TooLarge`] when the token would be longer than `max`.
    pub(crate) fn seal(&self, json: &[u8], expiry: u64, max: usize) -> Result<String, Error> {
        if expiry == 0 {
            return Err(Error::ExpiryOutOfRange);
        }
        let raw_len = OVERHEAD + json.len();
        let len = encoding::encoded_len(raw_len);
        Error::check_len(len, max)?;
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| Error::Random)?;
        let mut raw = Zeroizing::new(Vec::with_capacity(raw_len));
        raw.push(VERSION);
        raw.extend_from_slice(&expiry.to_be_bytes());
        raw.extend_from_slice(&nonce);
        raw.extend_from_slice(json);
        let (head, body) = raw.split_at_mut(HEADER_LEN + NONCE_LEN);
        let (header, _nonce) = head.split_at(HEADER_LEN);
        #[allow(clippy::expect_used)]
        let cipher = self
            .ciphers
            .first()
            .expect("a keyring always has a primary key");
        // XChaCha20-Poly1305 refuses only plaintexts of more than 2^38 bytes, and the
        // token length limit checked above is far below that.
        #[allow(clippy::expect_used)]
        let tag = cipher
            .encrypt_in_place_detached(&XNonce::from(nonce), header, body)
            .expect("the plaintext is within the AEAD's limit");
        raw.extend_from_slice(&tag);
        Ok(encoding::encode(&raw))
    }

    /// Length cap, shape, then the tag with each key; see "Decoding order" in the
    /// module docs. The expiry is returned unchecked.
    pub(crate) fn open(&self, token: &[u8], max: usize) -> Result<Unsealed, Error> {
        Error::check_len(token.len(), max)?;
        let raw_len = encoding::decoded_len(token.len()).ok_or(Error::Malformed)?;
        if raw_len <= OVERHEAD || !encoding::is_canonical(token) {
            return Err(Error::Malformed);
        }
        let mut raw = vec![0u8; raw_len];
        encoding::decode_exact(token, &mut raw).ok_or(Error::Malformed)?;
        let parts = Parts::split(&raw)?;
        let nonce = XNonce::from(parts.nonce);
        let tag = Tag::from(parts.tag);
        let mut plaintext = Zeroizing::new(Vec::with_capacity(parts.ciphertext.len()));
        for (i, cipher) in self.ciphers.iter().enumerate() {
            plaintext.clear();
            plaintext.extend_from_slice(parts.ciphertext);
            if cipher
                .decrypt_in_place_detached(&nonce, parts.header, &mut plaintext, &tag)
                .is_ok()
            {
                let key_used = match i.checked_sub(1) {
                    None => KeyUsed::Primary,
                    Some(j) => KeyUsed::Fallback(j),
                };
                return Ok(Unsealed {
                    plaintext,
                    expiry: parts.expiry,
                    key_used,
                });
            }
        }
        // A failed tag check leaves the buffer as it was, but it is cleared anyway.
        Err(Error::InvalidSignature)
    }
}

/// The fields of raw sealed bytes, split by their fixed lengths.
struct Parts<'a> {
    header: &'a [u8],
    expiry: u64,
    nonce: [u8; NONCE_LEN],
    ciphertext: &'a [u8],
    tag: [u8; TAG_LEN],
}

impl<'a> Parts<'a> {
    /// Splits raw bytes of at least [`OVERHEAD`] + 1 bytes with version byte `0x01`;
    /// anything else is [`Error::Malformed`].
    fn split(raw: &'a [u8]) -> Result<Self, Error> {
        if raw.len() <= OVERHEAD {
            return Err(Error::Malformed);
        }
        let (header, rest) = raw.split_at(HEADER_LEN);
        let (nonce, rest) = rest.split_at(NONCE_LEN);
        let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
        let (&version, expiry) = header.split_first().ok_or(Error::Malformed)?;
        if version != VERSION {
            return Err(Error::Malformed);
        }
        let expiry: [u8; 8] = expiry.try_into().map_err(|_| Error::Malformed)?;
        Ok(Self {
            header,
            expiry: u64::from_be_bytes(expiry),
            nonce: nonce.try_into().map_err(|_| Error::Malformed)?,
            ciphertext,
            tag: tag.try_into().map_err(|_| Error::Malformed)?,
        })
    }
}

/// What a sealed token shows without a key, read by [`inspect_unverified`]. Nothing
/// here is verified: anyone can write a token that says this.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnverifiedSealedToken {
    /// The format version byte (always `0x01` for a token that parses).
    pub version: u8,
    /// The expiry in the header, in Unix seconds, unverified.
    pub unverified_expiry: u64,
    /// The length of the encrypted JSON, in bytes.
    pub ciphertext_len: usize,
}

impl UnverifiedSealedToken {
    /// The unverified expiry as a time, or `None` when it is out of the time range.
    pub fn unverified_expires_at(&self) -> Option<OffsetDateTime> {
        i64::try_from(self.unverified_expiry)
            .ok()
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
    }
}

/// Reads the parts of a sealed token that are not encrypted (version, expiry, length),
/// **without** any key or verification, for debugging. Tokens longer than 64 KiB and
/// tokens that are not shaped like a sealed token are [`Error::TooLarge`] and
/// [`Error::Malformed`].
///
/// ```
/// # fn main() -> Result<(), sessionlib::Error> {
/// let codec = sessionlib::Codec::builder(sessionlib::Key::generate()).sealed(true).build();
/// let token = codec.encode(&"secret")?;
/// let seen = sessionlib::sealed::inspect_unverified(&token)?;
/// assert_eq!(seen.version, 1);
/// assert_eq!(seen.ciphertext_len, "\"secret\"".len());
/// # Ok(())
/// # }
/// ```
pub fn inspect_unverified(token: &str) -> Result<UnverifiedSealedToken, Error> {
    const MAX: usize = 64 * 1024;
    let token = token.as_bytes();
    Error::check_len(token.len(), MAX)?;
    let raw = encoding::decode(token).ok_or(Error::Malformed)?;
    let parts = Parts::split(&raw)?;
    Ok(UnverifiedSealedToken {
        version: VERSION,
        unverified_expiry: parts.expiry,
        ciphertext_len: parts.ciphertext.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Key;

    fn ring() -> Keyring {
        Keyring::new(Key::from_bytes(&[7; 32]).unwrap())
    }

    #[test]
    fn round_trip_and_layout() {
        let sealer = Sealer::new(&ring(), b"p");
        let token = sealer.seal(b"{\"a\":1}", 1_700_000_000, 4096).unwrap();
        assert_eq!(token.len(), encoding::encoded_len(OVERHEAD + 7));
        let raw = encoding::decode(token.as_bytes()).unwrap();
        assert_eq!(raw[0], VERSION);
        assert_eq!(raw[1..9], 1_700_000_000u64.to_be_bytes());
        let opened = sealer.open(token.as_bytes(), 4096).unwrap();
        assert_eq!(opened.plaintext.as_slice(), b"{\"a\":1}");
        assert_eq!(opened.expiry, 1_700_000_000);
        assert_eq!(opened.key_used, KeyUsed::Primary);
        // A fresh nonce every time.
        assert_ne!(
            token,
            sealer.seal(b"{\"a\":1}", 1_700_000_000, 4096).unwrap()
        );
    }

    #[test]
    fn sealing_key_is_not_the_signing_key() {
        use hmac::{Hmac, Mac};
        let secret = [7u8; 32];
        let mut mac =
            <Hmac<sha2::Sha256> as hmac::digest::KeyInit>::new_from_slice(&secret).unwrap();
        mac.update(b"p");
        let signing: [u8; 32] = mac.finalize().into_bytes().into();
        let sealing = derive_key(&secret, b"p");
        assert_ne!(*sealing, signing);
        assert_ne!(*derive_key(&secret, b"q"), *sealing);
        assert_ne!(*derive_key(&[8u8; 32], b"p"), *sealing);
    }

    #[test]
    fn every_changed_byte_fails_closed() {
        let sealer = Sealer::new(&ring(), b"p");
        let token = sealer.seal(b"[1,2,3]", 1_700_000_000, 4096).unwrap();
        let mut raw = encoding::decode(token.as_bytes()).unwrap();
        for i in 0..raw.len() {
            raw[i] ^= 0x01;
            let r = sealer.open(encoding::encode(&raw).as_bytes(), 4096);
            let want = if i == 0 {
                Error::Malformed
            } else {
                Error::InvalidSignature
            };
            assert_eq!(r.err(), Some(want), "byte {i}");
            raw[i] ^= 0x01;
        }
        assert!(sealer.open(encoding::encode(&raw).as_bytes(), 4096).is_ok());
    }

    #[test]
    fn limits_and_shapes() {
        let sealer = Sealer::new(&ring(), b"p");
        let token = sealer.seal(b"1", 5, 4096).unwrap();
        assert_eq!(token.len(), 67);
        assert_eq!(
            sealer.open(token.as_bytes(), 66).err(),
            Some(Error::TooLarge { len: 67, max: 66 })
        );
        assert_eq!(
            sealer.seal(b"1", 5, 66).err(),
            Some(Error::TooLarge { len: 67, max: 66 })
        );
        assert_eq!(
            sealer.seal(b"1", 0, 4096).err(),
            Some(Error::ExpiryOutOfRange)
        );
        for bad in [
            "",
            "A",
            "AAAA",
            &token[..66],
            &format!("{token}="),
            &format!(" {token}"),
        ] {
            assert_eq!(
                sealer.open(bad.as_bytes(), 4096).err(),
                Some(Error::Malformed)
            );
        }
        // An empty ciphertext (raw of exactly OVERHEAD bytes) is malformed.
        let short = encoding::encode(&[1u8; OVERHEAD]);
        assert_eq!(
            sealer.open(short.as_bytes(), 4096).err(),
            Some(Error::Malformed)
        );
        let seen = inspect_unverified(&token).unwrap();
        assert_eq!(
            (seen.version, seen.unverified_expiry, seen.ciphertext_len),
            (1, 5, 1)
        );
    }
}
