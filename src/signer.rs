//! Layer 3: HMAC signing and constant-time verification against a keyring.
//!
//! Each key of the ring is turned into a derived key for one salt,
//! `HMAC(key = secret, message = salt)` (itsdangerous's `key_derivation="hmac"`), and the
//! keyed HMAC state for that derived key is computed once, when the [`Signer`] is built.
//! Signing and verifying then only clone that state and hash the message.
//!
//! # What is wiped
//!
//! A keyed HMAC state is as good as the derived key (it signs any message for that
//! salt), and the state keyed with the secret itself derives keys for every salt. All
//! of them are overwritten with zeros when dropped: the digests are built with their
//! `zeroize` feature (`hmac` 0.13, `sha2` 0.11, `sha1` 0.11), whose hash states wipe
//! themselves on drop, and the derived key is wiped as soon as its state is keyed.
//! The states kept by a [`Signer`] live in one heap block, allocated once at its exact
//! size (never grown, so no copy is left behind by a reallocation) and wiped in place
//! before it is freed. `tests/wipe.rs` checks this with an allocator that scans every
//! freed block. Copies the compiler makes on the stack while hashing (registers,
//! spilled temporaries) are out of reach of safe code and are not covered.
//!
//! The digest is HMAC-SHA256 ([`Sha256`], the default and the native format's). The
//! Flask profile also uses HMAC-SHA1 (`Sha1`, with the `flask` feature), because Flask
//! signs its session cookies with it.

use hmac::digest::{FixedOutput, KeyInit, Update};
use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;
use zeroize::ZeroizeOnDrop;

use crate::key::{KeyUsed, Keyring};

/// Length of an HMAC-SHA256 signature in bytes.
pub(crate) const SIGNATURE_LEN: usize = 32;

/// The longest signature any supported digest makes, in bytes.
pub(crate) const MAX_SIGNATURE_LEN: usize = 32;

mod sealed {
    pub trait Sealed {}
}

/// A digest usable for signing: [`Sha256`] or (with the `flask` feature) `Sha1`.
///
/// This trait is sealed; it exists so that [`Signer`] can be generic over the digest.
pub trait Algorithm: sealed::Sealed + Send + Sync + 'static {
    /// The keyed MAC type.
    #[doc(hidden)]
    type Mac: Mac + KeyInit + Update + FixedOutput + Clone + Send + Sync;
    /// The block-level hash state inside the MAC: bounded by `ZeroizeOnDrop`, so the
    /// build fails if the digest crate's `zeroize` feature (which wipes it) is off.
    #[doc(hidden)]
    type Core: ZeroizeOnDrop;
    /// The signature length in bytes.
    const LEN: usize;
    /// The name used in messages and the CLI (`sha256`, `sha1`).
    const NAME: &'static str;
}

/// HMAC-SHA256: the native format's digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sha256 {}

impl sealed::Sealed for Sha256 {}
impl Algorithm for Sha256 {
    type Mac = Hmac<sha2::Sha256>;
    type Core = sha2::block_api::Sha256VarCore;
    const LEN: usize = 32;
    const NAME: &'static str = "sha256";
}

/// HMAC-SHA1: the digest Flask signs session cookies with.
#[cfg(feature = "flask")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sha1 {}

#[cfg(feature = "flask")]
impl sealed::Sealed for Sha1 {}
#[cfg(feature = "flask")]
impl Algorithm for Sha1 {
    type Mac = Hmac<sha1::Sha1>;
    type Core = sha1::block_api::Sha1Core;
    const LEN: usize = 20;
    const NAME: &'static str = "sha1";
}

/// A signature: the MAC bytes of one digest.
///
/// It has no `==`: a plain comparison of MACs stops at the first differing byte and
/// tells an attacker how much of a forgery is right. Check a received signature with
/// [`Signer::verify`], or compare two with [`subtle::ConstantTimeEq`], which
/// `Signature` implements.
#[derive(Clone, Copy)]
pub struct Signature {
    bytes: [u8; MAX_SIGNATURE_LEN],
    len: usize,
}

impl Signature {
    /// The signature bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

impl ConstantTimeEq for Signature {
    /// Equal when both have the same length and bytes; the time taken depends only on
    /// the lengths.
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.as_bytes().ct_eq(other.as_bytes())
    }
}

impl AsRef<[u8]> for Signature {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signature({} bytes)", self.len)
    }
}

/// Signs messages with the primary key of a keyring and verifies them against every
/// key, for one salt and digest.
///
/// ```
/// use sessionlib::{signer::Signer, Key, Keyring, KeyUsed};
/// let old = Key::generate();
/// let old_signer: Signer = Signer::new(&Keyring::new(old.clone()), b"purpose");
/// let signer: Signer = Signer::new(&Keyring::new(Key::generate()).with_fallback(old), b"purpose");
///
/// let sig = old_signer.sign(b"message");
/// assert_eq!(signer.verify(b"message", sig.as_bytes()), Some(KeyUsed::Fallback(0)));
/// assert_eq!(signer.verify(b"massage", sig.as_bytes()), None);
/// ```
pub struct Signer<A: Algorithm = Sha256> {
    /// Keyed MAC states: index 0 is the primary key, then the fallbacks in order.
    macs: Vec<A::Mac>,
}

impl<A: Algorithm> Clone for Signer<A> {
    fn clone(&self) -> Self {
        Self {
            macs: self.macs.clone(),
        }
    }
}

impl<A: Algorithm> Signer<A> {
    /// Derives one key per keyring entry for `salt` and keeps the keyed MAC states
    /// (wiped when the signer is dropped; see "What is wiped" in the module docs).
    pub fn new(keyring: &Keyring, salt: &[u8]) -> Self {
        // Exactly one allocation of the final size: a reallocation would free a block
        // still holding the states without wiping it.
        let mut macs = Vec::with_capacity(keyring.len());
        macs.extend(
            keyring
                .iter()
                .map(|key| keyed::<A>(key.expose_secret(), salt)),
        );
        Self { macs }
    }

    /// The signature of `message` under the primary key.
    pub fn sign(&self, message: &[u8]) -> Signature {
        let mut mac = self.primary().clone();
        Mac::update(&mut mac, message);
        finish::<A>(mac)
    }

    /// Checks `signature` over `message` against each key, the primary first, and
    /// returns the key that matched. Each comparison is constant-time; a signature of
    /// the wrong length matches no key.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Option<KeyUsed> {
        if signature.len() != A::LEN {
            return None;
        }
        self.macs.iter().enumerate().find_map(|(i, state)| {
            let mut mac = state.clone();
            Mac::update(&mut mac, message);
            ct_eq(finish::<A>(mac).as_bytes(), signature).then_some(match i {
                0 => KeyUsed::Primary,
                n => KeyUsed::Fallback(n - 1),
            })
        })
    }

    /// Keeps the keyed MAC states for keys that `derive` makes from each secret of the
    /// ring (the Django profile's `salted_hmac`, instead of `HMAC(secret, salt)`). The
    /// derived keys are zeroized once the states are made.
    #[cfg(feature = "django")]
    pub(crate) fn with_derived_keys(
        keyring: &Keyring,
        derive: impl Fn(&[u8]) -> zeroize::Zeroizing<Vec<u8>>,
    ) -> Self {
        let macs = keyring
            .iter()
            .map(|key| new_mac::<A>(&derive(key.expose_secret())))
            .collect();
        Self { macs }
    }

    #[allow(clippy::indexing_slicing)] // `new` always stores the primary key
    fn primary(&self) -> &A::Mac {
        &self.macs[0]
    }
}

impl<A: Algorithm> std::fmt::Debug for Signer<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("digest", &A::NAME)
            .field("keys", &self.macs.len())
            .finish_non_exhaustive()
    }
}

fn finish<A: Algorithm>(mac: A::Mac) -> Signature {
    let mut out = mac.finalize_fixed();
    let mut bytes = [0u8; MAX_SIGNATURE_LEN];
    let len = out.len().min(MAX_SIGNATURE_LEN);
    if let (Some(dst), Some(src)) = (bytes.get_mut(..len), out.get(..len)) {
        dst.copy_from_slice(src);
    }
    // When the MAC is a key derivation, this is the derived key.
    out.as_mut_slice().zeroize();
    Signature { bytes, len }
}

/// Compares two MACs of the same length in constant time.
///
/// The differences are OR-ed together eight bytes at a time, without branches, and
/// only that one word goes through a constant-time comparison: a byte-wise comparison
/// pays an optimisation barrier per byte, which costs more than the rest of the check.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    fn word(chunk: &[u8]) -> u64 {
        let mut bytes = [0u8; 8];
        for (dst, src) in bytes.iter_mut().zip(chunk) {
            *dst = *src;
        }
        u64::from_le_bytes(bytes)
    }
    if a.len() != b.len() {
        return false;
    }
    let diff = a
        .chunks(8)
        .zip(b.chunks(8))
        .fold(0u64, |diff, (x, y)| diff | (word(x) ^ word(y)));
    bool::from(diff.ct_eq(&0))
}

/// The keyed MAC state for `HMAC(secret, salt)` as key. The state keyed with the
/// secret and the derived key are wiped before this returns.
fn keyed<A: Algorithm>(secret: &[u8], salt: &[u8]) -> A::Mac {
    let mut mac = new_mac::<A>(secret);
    Mac::update(&mut mac, salt);
    let mut derived = finish::<A>(mac);
    let state = new_mac::<A>(derived.as_bytes());
    derived.bytes.zeroize();
    state
}

fn new_mac<A: Algorithm>(key: &[u8]) -> A::Mac {
    // HMAC accepts keys of any length, so this cannot fail.
    match <A::Mac as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Key;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// RFC 4231 test case 2 ("Jefe"), as a check that the MAC is plain HMAC-SHA256.
    #[test]
    fn rfc4231_case_2() {
        let mut mac = new_mac::<Sha256>(b"Jefe");
        Mac::update(&mut mac, b"what do ya want for nothing?");
        assert_eq!(
            hex(finish::<Sha256>(mac).as_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    /// RFC 2202 test case 2 for HMAC-SHA1.
    #[cfg(feature = "flask")]
    #[test]
    fn rfc2202_case_2() {
        let mut mac = new_mac::<Sha1>(b"Jefe");
        Mac::update(&mut mac, b"what do ya want for nothing?");
        assert_eq!(
            hex(finish::<Sha1>(mac).as_bytes()),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
    }

    #[test]
    fn constant_time_compare() {
        for len in [0, 1, 7, 8, 9, 20, 32] {
            let a: Vec<u8> = (0..len as u8).collect();
            assert!(ct_eq(&a, &a.clone()), "{len}");
            for i in 0..len {
                for bit in [0x01, 0x80] {
                    let mut b = a.clone();
                    b[i] ^= bit;
                    assert!(!ct_eq(&a, &b), "{len} {i} {bit}");
                }
            }
            assert!(!ct_eq(&a, &[a.clone(), vec![0]].concat()));
        }
    }

    #[test]
    fn rotation_and_salt() {
        let a = Key::from_bytes(&[1; 32]).unwrap();
        let b = Key::from_bytes(&[2; 32]).unwrap();
        let c = Key::from_bytes(&[3; 32]).unwrap();
        let ring = Keyring::new(a.clone())
            .with_fallback(b.clone())
            .with_fallback(c.clone());
        let s: Signer = Signer::new(&ring, b"salt");
        let by_c = Signer::<Sha256>::new(&Keyring::new(c), b"salt").sign(b"m");
        assert_eq!(
            s.verify(b"m", s.sign(b"m").as_bytes()),
            Some(KeyUsed::Primary)
        );
        assert_eq!(s.verify(b"m", by_c.as_bytes()), Some(KeyUsed::Fallback(1)));
        let other_salt: Signer = Signer::new(&Keyring::new(a), b"salt2");
        assert_eq!(other_salt.verify(b"m", s.sign(b"m").as_bytes()), None);
        assert_eq!(s.verify(b"m", &by_c.as_bytes()[..31]), None);
        assert_eq!(s.verify(b"m", &[]), None);
        assert_eq!(s.sign(b"m").as_bytes().len(), SIGNATURE_LEN);
    }

    #[test]
    fn signatures_compare_in_constant_time_only() {
        let s: Signer = Signer::new(&Keyring::new(Key::from_bytes(&[1; 32]).unwrap()), b"p");
        let (a, b) = (s.sign(b"m"), s.sign(b"n"));
        assert!(bool::from(a.ct_eq(&s.sign(b"m"))));
        assert!(!bool::from(a.ct_eq(&b)));
    }
}
