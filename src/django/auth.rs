//! The session keys of `django.contrib.auth`.
//!
//! Django's `login()` stores three strings: the user's primary key (`_auth_user_id`,
//! always a string, whatever the key's type), the dotted path of the authentication
//! backend (`_auth_user_backend`) and an HMAC of the user's password field
//! (`_auth_user_hash`). On each request Django checks the hash against the user's
//! current password, so changing the password ends the user's other sessions.
//!
//! A Rust route that trusts `_auth_user_id` alone does not have that check: after a
//! password change it keeps accepting older cookies until they reach the maximum age.
//! Where that matters, compare the hash with [`verify_session_auth_hash`], given the
//! user's `password` column.

use hmac::{Hmac, Mac};
use serde_json::Value;
use subtle::ConstantTimeEq;

use super::{salted_key, DjangoSession};
use crate::key::{Key, KeyUsed, Keyring};

/// `django.contrib.auth.SESSION_KEY`: `_auth_user_id`.
pub const SESSION_KEY: &str = "_auth_user_id";
/// `django.contrib.auth.BACKEND_SESSION_KEY`: `_auth_user_backend`.
pub const BACKEND_SESSION_KEY: &str = "_auth_user_backend";
/// `django.contrib.auth.HASH_SESSION_KEY`: `_auth_user_hash`.
pub const HASH_SESSION_KEY: &str = "_auth_user_hash";
/// Django's default authentication backend:
/// `django.contrib.auth.backends.ModelBackend`.
pub const MODEL_BACKEND: &str = "django.contrib.auth.backends.ModelBackend";

/// The `key_salt` of `AbstractBaseUser.get_session_auth_hash`.
const AUTH_HASH_SALT: &[u8] = b"django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash";

/// The user a Django session is logged in as.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthUser {
    /// The user's primary key as Django writes it (`_auth_user_id`), for example `"7"`.
    pub user_id: String,
    /// The backend that authenticated the user (`_auth_user_backend`); Django ignores a
    /// session whose backend is not in its `AUTHENTICATION_BACKENDS`.
    pub backend: String,
    /// The session auth hash (`_auth_user_hash`); Django logs the session out when it
    /// does not match the user's current password ([`session_auth_hash`]).
    pub hash: String,
}

impl AuthUser {
    /// A user as Django's `login()` records it: the primary key as text, the dotted
    /// path of the backend (usually [`MODEL_BACKEND`]) and the [`session_auth_hash`].
    pub fn new(
        user_id: impl Into<String>,
        backend: impl Into<String>,
        hash: impl Into<String>,
    ) -> Self {
        Self {
            user_id: user_id.into(),
            backend: backend.into(),
            hash: hash.into(),
        }
    }
}

/// The logged-in user of a Django session: `None` unless `_auth_user_id` and
/// `_auth_user_backend` are strings. A missing or non-string hash reads as `""` (which
/// Django treats as not verified).
///
/// This reads what Django wrote; it does not check the hash against the user's
/// password (see the module docs).
pub fn auth_user(session: &DjangoSession) -> Option<AuthUser> {
    let text = |key: &str| match session.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    Some(AuthUser {
        user_id: text(SESSION_KEY)?,
        backend: text(BACKEND_SESSION_KEY)?,
        hash: text(HASH_SESSION_KEY).unwrap_or_default(),
    })
}

/// Logs `user` in as Django's `login()` records it in the session. For Django to
/// accept it, the backend must be one of its `AUTHENTICATION_BACKENDS` and the hash
/// must be [`session_auth_hash`] of the user's current password field.
pub fn set_auth_user(session: &mut DjangoSession, user: &AuthUser) {
    session.insert(SESSION_KEY.into(), Value::from(user.user_id.as_str()));
    session.insert(
        BACKEND_SESSION_KEY.into(),
        Value::from(user.backend.as_str()),
    );
    session.insert(HASH_SESSION_KEY.into(), Value::from(user.hash.as_str()));
}

/// Removes the three `django.contrib.auth` keys. (Django's `logout()` flushes the
/// whole session; clear the map for the same effect.)
pub fn clear_auth_user(session: &mut DjangoSession) {
    for key in [SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY] {
        session.remove(key);
    }
}

/// `user.get_session_auth_hash()` for the secret `key`: the lower-case hex
/// HMAC-SHA256 of the user's `password` column (the stored password hash, such as
/// `pbkdf2_sha256$...`), keyed with `salted_hmac`'s derived key.
pub fn session_auth_hash(key: &Key, password_field: &str) -> String {
    let derived = salted_key(AUTH_HASH_SALT, b"", key.expose_secret());
    let mut mac = match <Hmac<sha2::Sha256> as hmac::digest::KeyInit>::new_from_slice(&derived) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(password_field.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks `_auth_user_hash` of `session` against the user's `password` column under
/// each key of the ring (primary first, constant-time), as Django's `get_user` does,
/// and returns the key that matched. `None` when the session has no hash or none
/// matches: Django then logs the session out.
///
/// When a fallback key matched, Django stores the primary key's hash; do the same
/// ([`session_auth_hash`] with [`Keyring::primary`]) when re-issuing the session.
pub fn verify_session_auth_hash(
    session: &DjangoSession,
    keyring: &Keyring,
    password_field: &str,
) -> Option<KeyUsed> {
    let Some(Value::String(stored)) = session.get(HASH_SESSION_KEY) else {
        return None;
    };
    if stored.is_empty() {
        return None;
    }
    keyring.iter().enumerate().find_map(|(i, key)| {
        let expected = session_auth_hash(key, password_field);
        let same = expected.len() == stored.len()
            && bool::from(expected.as_bytes().ct_eq(stored.as_bytes()));
        same.then_some(match i {
            0 => KeyUsed::Primary,
            n => KeyUsed::Fallback(n - 1),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_hash_matches_django() {
        // salted_hmac("django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
        //             "pbkdf2_sha256$x", secret="secret", algorithm="sha256").hexdigest()
        let key = Key::from_django_secret_key(b"secret").unwrap();
        assert_eq!(
            session_auth_hash(&key, "pbkdf2_sha256$x"),
            "6db45790f96e4d0b6b9c83c9890bd13dfdf13aa80d9cf88a5a2c7c8e9c701649"
        );

        let old = Key::from_django_secret_key(b"old").unwrap();
        let ring = Keyring::new(key.clone()).with_fallback(old.clone());
        let mut session = DjangoSession::new();
        assert_eq!(auth_user(&session), None);
        let user = AuthUser {
            user_id: "7".into(),
            backend: MODEL_BACKEND.into(),
            hash: session_auth_hash(&old, "pbkdf2_sha256$x"),
        };
        set_auth_user(&mut session, &user);
        assert_eq!(auth_user(&session), Some(user));
        assert_eq!(
            verify_session_auth_hash(&session, &ring, "pbkdf2_sha256$x"),
            Some(KeyUsed::Fallback(0))
        );
        assert_eq!(verify_session_auth_hash(&session, &ring, "changed"), None);
        clear_auth_user(&mut session);
        assert!(session.is_empty());
    }
}
