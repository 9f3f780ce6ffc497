//! Layer 2: secret keys and the keyring.
//!
//! A [`Key`] is the secret every token is signed with. A [`Keyring`] holds one primary
//! key, which signs, and any number of fallback keys, which only verify: this is how a
//! key is rotated without logging everyone out (see the crate docs, "Key rotation").

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::KeyError;

/// A secret signing key.
///
/// The bytes are kept private: `Debug` prints `Key(<redacted>)`, the memory is
/// overwritten with zeros when the key is dropped, and `==` compares in constant time.
///
/// ```
/// use sessionlib::Key;
/// let key = Key::generate();
/// assert_eq!(format!("{key:?}"), "Key(<redacted>)");
/// assert!(Key::from_bytes(b"too short").is_err());
/// ```
#[derive(Clone)]
pub struct Key {
    secret: Zeroizing<Vec<u8>>,
}

impl Key {
    /// The smallest secret [`Key::from_bytes`] accepts, in bytes (256 bits, the size of
    /// an HMAC-SHA256 output).
    pub const MIN_LEN: usize = 32;

    /// The size of a secret made by [`Key::generate`], in bytes.
    pub const GENERATED_LEN: usize = 64;

    /// Makes a key from secret bytes of at least [`Key::MIN_LEN`] bytes.
    ///
    /// A shorter secret is refused with [`KeyError::TooShort`]: short secrets can be
    /// guessed offline from any one token. Use [`Key::generate`] for a new key, and
    /// keep the bytes in a secret store or an environment variable.
    pub fn from_bytes(secret: &[u8]) -> Result<Self, KeyError> {
        if secret.len() < Self::MIN_LEN {
            return Err(KeyError::TooShort {
                len: secret.len(),
                min: Self::MIN_LEN,
            });
        }
        Ok(Self::from_vec(secret.to_vec()))
    }

    /// Makes a key from an existing Flask `SECRET_KEY` (or an entry of
    /// `SECRET_KEY_FALLBACKS`), of any non-empty length, including ones shorter than
    /// [`Key::MIN_LEN`]. For the Flask profile ([`crate::flask`]).
    ///
    /// Flask apps often have short secrets. A short secret can be brute-forced offline
    /// from a single cookie, which then lets anyone forge sessions for both the Flask
    /// app and this service: move to a random secret of at least 32 bytes as soon as
    /// you can (both sides support rotation, see the crate docs). An empty secret is
    /// refused with [`KeyError::Empty`].
    #[cfg(feature = "flask")]
    pub fn from_flask_secret_key(secret: &[u8]) -> Result<Self, KeyError> {
        if secret.is_empty() {
            return Err(KeyError::Empty);
        }
        Ok(Self::from_vec(secret.to_vec()))
    }

    /// Makes a key from an existing Django `SECRET_KEY` (or an entry of
    /// `SECRET_KEY_FALLBACKS`) as its UTF-8 bytes, of any non-empty length. For the
    /// Django profile ([`crate::django`]).
    ///
    /// Django's keys are arbitrary strings (`startproject` makes 50 characters from a
    /// 50-letter alphabet, about 282 bits), and hand-written ones are often short or
    /// guessable. A guessable secret can be found offline from a single cookie, which
    /// then lets anyone forge sessions (log in as any user) for both the Django app and
    /// this service: rotate to a long random secret if in doubt (both sides support
    /// `SECRET_KEY_FALLBACKS`). An empty secret is refused with [`KeyError::Empty`], as
    /// Django refuses it.
    #[cfg(feature = "django")]
    pub fn from_django_secret_key(secret: &[u8]) -> Result<Self, KeyError> {
        if secret.is_empty() {
            return Err(KeyError::Empty);
        }
        Ok(Self::from_vec(secret.to_vec()))
    }

    /// Makes a new random key of [`Key::GENERATED_LEN`] bytes from the operating
    /// system's random number generator.
    ///
    /// # Panics
    ///
    /// Panics if the operating system cannot provide random bytes, which on supported
    /// platforms does not happen; [`Key::try_generate`] reports it as an error instead.
    #[allow(clippy::expect_used)]
    pub fn generate() -> Self {
        Self::try_generate().expect("the operating system random number generator failed")
    }

    /// Like [`Key::generate`], but reports a failing random number generator as
    /// [`KeyError::Random`].
    pub fn try_generate() -> Result<Self, KeyError> {
        let mut secret = Zeroizing::new(vec![0u8; Self::GENERATED_LEN]);
        getrandom::fill(&mut secret).map_err(|_| KeyError::Random)?;
        Ok(Self { secret })
    }

    /// A key of any length: for profiles that check their own rules (the Iron
    /// profile's passwords).
    #[cfg(feature = "iron")]
    pub(crate) fn from_secret(secret: Vec<u8>) -> Self {
        Self::from_vec(secret)
    }

    fn from_vec(secret: Vec<u8>) -> Self {
        Self {
            secret: Zeroizing::new(secret),
        }
    }

    /// The secret bytes. Handle with care: never log them.
    pub fn expose_secret(&self) -> &[u8] {
        &self.secret
    }

    /// The length of the secret in bytes.
    pub fn len(&self) -> usize {
        self.secret.len()
    }

    /// Always false: a key is never empty. Present for API symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.secret.is_empty()
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(<redacted>)")
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        // Length is not secret; the bytes are compared in constant time.
        self.secret.len() == other.secret.len() && bool::from(self.secret.ct_eq(&other.secret))
    }
}

impl Eq for Key {}

/// Which key of a [`Keyring`] verified a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyUsed {
    /// The primary key, which also signs new tokens.
    Primary,
    /// The fallback key with this index, counted from 0 in the order the fallbacks were
    /// added (`Fallback(0)` is the first [`Keyring::with_fallback`]).
    ///
    /// The token is valid, but the application should re-issue it signed with the
    /// primary key so the fallback can be retired.
    Fallback(usize),
}

impl KeyUsed {
    /// Whether a fallback key verified the token, so it should be re-issued with the
    /// primary key.
    pub fn is_fallback(self) -> bool {
        matches!(self, Self::Fallback(_))
    }
}

impl fmt::Display for KeyUsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Primary => f.write_str("primary"),
            Self::Fallback(i) => write!(f, "fallback:{i}"),
        }
    }
}

/// One primary key that signs and verifies, and fallback keys that only verify.
///
/// Verification tries the primary key first, then the fallbacks in the order they
/// were added, and reports which one matched ([`KeyUsed`]).
///
/// ```
/// use sessionlib::{Key, Keyring};
/// let ring = Keyring::new(Key::generate()).with_fallback(Key::generate());
/// assert_eq!(ring.len(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct Keyring {
    primary: Key,
    fallbacks: Vec<Key>,
}

impl Keyring {
    /// A keyring with one key, which signs and verifies.
    pub fn new(primary: Key) -> Self {
        Self {
            primary,
            fallbacks: Vec::new(),
        }
    }

    /// Adds a verify-only key. The first one added is `KeyUsed::Fallback(0)`.
    #[must_use]
    pub fn with_fallback(mut self, key: Key) -> Self {
        self.fallbacks.push(key);
        self
    }

    /// A keyring from environment variables: the primary key from `primary`, and a
    /// fallback key (verifies only, for key rotation) from each variable of `fallbacks`
    /// that is set, in that order (an unset fallback variable is skipped, so a
    /// deployment can leave it out). Each secret is the raw bytes of the variable's
    /// value and must be at least [`Key::MIN_LEN`] (32) bytes, as for
    /// [`Key::from_bytes`] and the command-line tool.
    ///
    /// Fails with [`KeyError::NotSet`] when `primary` is not set and
    /// [`KeyError::InVariable`] when a value is refused (too short, or not UTF-8 on a
    /// system whose environment is not bytes). Errors name the variable, never its
    /// value; the bytes read are wiped once the keys are made. A missing, empty or
    /// short key's error says how to make one: `openssl rand -hex 32` (64 hex
    /// characters, read as 64 bytes), or the command-line tool's `sessionlib keygen`.
    ///
    /// ```
    /// use sessionlib::Keyring;
    /// let missing = Keyring::from_env("MYAPP_SECRET_KEY_NOT_SET", &["MYAPP_PREVIOUS_KEY"]);
    /// assert_eq!(
    ///     missing.unwrap_err().to_string(),
    ///     "MYAPP_SECRET_KEY_NOT_SET is not set \
    ///      (make a key of at least 32 bytes with: openssl rand -hex 32)"
    /// );
    /// ```
    pub fn from_env(primary: &str, fallbacks: &[&str]) -> Result<Self, KeyError> {
        let key = |variable: &str| -> Result<Option<Key>, KeyError> {
            let Some(value) = std::env::var_os(variable) else {
                return Ok(None);
            };
            let refused = |reason| KeyError::InVariable {
                variable: variable.to_owned(),
                reason: Box::new(reason),
            };
            let bytes = Zeroizing::new(os_bytes(value).ok_or_else(|| refused(KeyError::Empty))?);
            Key::from_bytes(&bytes).map(Some).map_err(refused)
        };
        let first = key(primary)?.ok_or_else(|| KeyError::NotSet {
            variable: primary.to_owned(),
        })?;
        let mut ring = Keyring::new(first);
        for variable in fallbacks {
            if let Some(fallback) = key(variable)? {
                ring = ring.with_fallback(fallback);
            }
        }
        Ok(ring)
    }

    /// The key that signs.
    pub fn primary(&self) -> &Key {
        &self.primary
    }

    /// The verify-only keys, in the order they were added.
    pub fn fallbacks(&self) -> &[Key] {
        &self.fallbacks
    }

    /// All keys in the order they are tried: the primary, then the fallbacks.
    pub fn iter(&self) -> impl Iterator<Item = &Key> {
        std::iter::once(&self.primary).chain(&self.fallbacks)
    }

    /// The number of keys, primary included.
    pub fn len(&self) -> usize {
        1 + self.fallbacks.len()
    }

    /// Always false: a keyring holds at least its primary key.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl From<Key> for Keyring {
    fn from(primary: Key) -> Self {
        Self::new(primary)
    }
}

/// The bytes of an environment variable's value: raw on Unix, UTF-8 elsewhere (`None`
/// when it is not).
#[cfg(unix)]
fn os_bytes(value: std::ffi::OsString) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStringExt as _;
    Some(value.into_vec())
}

#[cfg(not(unix))]
fn os_bytes(value: std::ffi::OsString) -> Option<Vec<u8>> {
    value.into_string().ok().map(String::into_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_does_not_leak_key() {
        let secret = [0x41u8; 40];
        let key = Key::from_bytes(&secret).unwrap();
        let ring = Keyring::new(key.clone()).with_fallback(key.clone());
        for text in [format!("{key:?}"), format!("{key:#?}"), format!("{ring:?}")] {
            assert!(!text.contains("AAAA"), "{text}");
            assert!(!text.contains("65"), "{text}");
            assert!(!text.contains("41"), "{text}");
        }
    }

    #[test]
    fn length_rules() {
        assert_eq!(
            Key::from_bytes(&[1; 31]),
            Err(KeyError::TooShort { len: 31, min: 32 })
        );
        assert!(Key::from_bytes(&[1; 32]).is_ok());
        #[cfg(feature = "flask")]
        {
            assert!(Key::from_flask_secret_key(b"dev").is_ok());
            assert_eq!(Key::from_flask_secret_key(b""), Err(KeyError::Empty));
        }
    }

    #[test]
    fn equality_and_generation() {
        let a = Key::generate();
        let b = Key::generate();
        assert_eq!(a.len(), Key::GENERATED_LEN);
        assert_ne!(a, b);
        assert_eq!(a, a.clone());
        assert_ne!(
            Key::from_bytes(&[1; 32]).unwrap(),
            Key::from_bytes(&[1; 33]).unwrap()
        );
    }

    #[test]
    fn from_env_reads_raw_bytes_and_names_the_variable_only() {
        // Variable names of this test alone: tests run in parallel in one process.
        let (a, b, c) = (
            "SESSIONLIB_UNIT_FROM_ENV_A",
            "SESSIONLIB_UNIT_FROM_ENV_B",
            "SESSIONLIB_UNIT_FROM_ENV_UNSET",
        );
        std::env::set_var(a, "a".repeat(32));
        std::env::set_var(b, "short secret value");
        std::env::remove_var(c);
        let ring = Keyring::from_env(a, &[c]).unwrap();
        assert_eq!(ring.primary().expose_secret(), "a".repeat(32).as_bytes());
        assert!(
            ring.fallbacks().is_empty(),
            "an unset fallback variable is skipped"
        );
        let err = Keyring::from_env(a, &[b]).unwrap_err();
        assert_eq!(
            err,
            KeyError::InVariable {
                variable: b.into(),
                reason: Box::new(KeyError::TooShort { len: 18, min: 32 })
            }
        );
        let text = format!("{err} {err:?}");
        assert!(
            text.contains(b) && !text.contains("short secret value"),
            "{text}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "{b}: secret key too short: 18 bytes, at least 32 required \
                 (make a key with: openssl rand -hex 32)"
            )
        );
        // The suggested key is long enough: 64 hex characters are 64 bytes.
        std::env::set_var(b, "0123456789abcdef".repeat(4));
        assert_eq!(
            Keyring::from_env(b, &[])
                .unwrap()
                .primary()
                .expose_secret()
                .len(),
            64
        );
        assert_eq!(
            Keyring::from_env(c, &[a]).unwrap_err(),
            KeyError::NotSet { variable: c.into() }
        );
        std::env::set_var(b, "b".repeat(40));
        let ring = Keyring::from_env(a, &[c, b]).unwrap();
        assert_eq!(
            ring.fallbacks()[0].expose_secret(),
            "b".repeat(40).as_bytes()
        );
        std::env::remove_var(a);
        std::env::remove_var(b);
    }
}
