//! Layer 3: HMAC-SHA256 signing and constant-time verification against a keyring.
//!
//! Each key of the ring is turned into a derived key for one salt,
//! `HMAC-SHA256(key = secret, message = salt)` (itsdangerous's `key_derivation="hmac"`),
//! and the keyed HMAC state for that derived key is computed once, when the [`Signer`]
//! is built. Signing and verifying then only clone that state and hash the message.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroize;

use crate::key::{KeyUsed, Keyring};

type HmacSha256 = Hmac<Sha256>;

/// Length of a signature in bytes.
pub const SIGNATURE_LEN: usize = 32;

/// Signs messages with the primary key of a keyring and verifies them against every
/// key, for one salt.
///
/// ```
/// use sessionlib::{signer::Signer, Key, Keyring, KeyUsed};
/// let old = Key::generate();
/// let old_signer = Signer::new(&Keyring::new(old.clone()), b"purpose");
/// let signer = Signer::new(&Keyring::new(Key::generate()).with_fallback(old), b"purpose");
///
/// let sig = old_signer.sign(b"message");
/// assert_eq!(signer.verify(b"message", &sig), Some(KeyUsed::Fallback(0)));
/// assert_eq!(signer.verify(b"massage", &sig), None);
/// ```
#[derive(Clone)]
pub struct Signer {
    /// Keyed MAC states: index 0 is the primary key, then the fallbacks in order.
    macs: Vec<HmacSha256>,
}

impl Signer {
    /// Derives one key per keyring entry for `salt` and keeps the keyed MAC states.
    pub fn new(keyring: &Keyring, salt: &[u8]) -> Self {
        let macs = keyring
            .iter()
            .map(|key| keyed(key.expose_secret(), salt))
            .collect();
        Self { macs }
    }

    /// The signature of `message` under the primary key.
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        let mut mac = self.primary().clone();
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    /// Checks `signature` over `message` against each key, the primary first, and
    /// returns the key that matched. Each comparison is constant-time.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Option<KeyUsed> {
        self.macs.iter().enumerate().find_map(|(i, state)| {
            let mut mac = state.clone();
            mac.update(message);
            mac.verify_slice(signature).ok().map(|()| match i {
                0 => KeyUsed::Primary,
                n => KeyUsed::Fallback(n - 1),
            })
        })
    }

    #[allow(clippy::indexing_slicing)] // `new` always stores the primary key
    fn primary(&self) -> &HmacSha256 {
        &self.macs[0]
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("keys", &self.macs.len())
            .finish_non_exhaustive()
    }
}

/// The keyed MAC state for `HMAC-SHA256(secret, salt)` as key.
fn keyed(secret: &[u8], salt: &[u8]) -> HmacSha256 {
    let mut derived: [u8; SIGNATURE_LEN] = hmac_sha256(secret, salt);
    let state = new_mac(&derived);
    derived.zeroize();
    state
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; SIGNATURE_LEN] {
    let mut mac = new_mac(key);
    mac.update(message);
    mac.finalize().into_bytes().into()
}

fn new_mac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Key;

    /// RFC 4231 test case 2 ("Jefe"), as a check that the MAC is plain HMAC-SHA256.
    #[test]
    fn rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn rotation_and_salt() {
        let a = Key::from_bytes(&[1; 32]).unwrap();
        let b = Key::from_bytes(&[2; 32]).unwrap();
        let c = Key::from_bytes(&[3; 32]).unwrap();
        let ring = Keyring::new(a.clone())
            .with_fallback(b.clone())
            .with_fallback(c.clone());
        let s = Signer::new(&ring, b"salt");
        let by_c = Signer::new(&Keyring::new(c), b"salt").sign(b"m");
        assert_eq!(s.verify(b"m", &s.sign(b"m")), Some(KeyUsed::Primary));
        assert_eq!(s.verify(b"m", &by_c), Some(KeyUsed::Fallback(1)));
        let other_salt = Signer::new(&Keyring::new(a), b"salt2");
        assert_eq!(other_salt.verify(b"m", &s.sign(b"m")), None);
        assert_eq!(s.verify(b"m", &by_c[..31]), None);
        assert_eq!(s.verify(b"m", &[]), None);
    }
}
