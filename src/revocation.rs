//! Revocation: the one piece of server state.
//!
//! A signed cookie cannot be recalled: a copy taken before logout still verifies until
//! it expires. A [`Revocation`] store closes that gap. It is asked, after the
//! signature and expiry checks, whether a session has been revoked, and it can be
//! asynchronous (a database or Redis behind it). Configure one with
//! [`SessionConfigBuilder::revocation`](crate::SessionConfigBuilder::revocation) and
//! load sessions with [`SessionConfig::load_async`](crate::SessionConfig::load_async)
//! (the framework integrations do).
//!
//! [`MemoryRevocation`] is the store for a single process. It keys everything on the
//! user a session was logged in for ([`Session::log_in`]):
//!
//! - **log out everywhere** ([`MemoryRevocation::revoke_user`]): every session of the
//!   user logged in before now is refused; logging in again works at once;
//! - **ban** ([`MemoryRevocation::ban`]): every session of the user is refused, and
//!   so are new ones, until [`MemoryRevocation::unban`];
//! - **revoke one session** ([`MemoryRevocation::revoke_session`]): the session with
//!   this [id](Session::id) is refused, whoever holds a copy of its cookie, until its
//!   [deadline](Session::deadline) (plus [`SESSION_REVOCATION_MARGIN`] for clocks
//!   that differ); then the entry is dropped, since no cookie of it can be valid.
//!
//! Its memory grows with the number of users revoked or banned and of sessions
//! revoked and not yet past their deadline, not with the number of sessions or
//! requests. It is not shared between processes: a fleet of servers needs a shared
//! store behind the same trait, such as `RedisRevocation` (feature `redis`), which
//! offers the same operations.
//!
//! ```
//! use std::sync::Arc;
//! use sessionlib::{CookieConfig, Key, Keyring, MemoryRevocation, SessionConfig, SessionSource};
//! # fn main() -> Result<(), sessionlib::Error> {
//! let revocations = Arc::new(MemoryRevocation::new());
//! let cookie = CookieConfig::builder(Keyring::new(Key::generate())).try_build()?;
//! let sessions = SessionConfig::builder(cookie)
//!     .revocation(revocations.clone())
//!     .build();
//!
//! // Login: the session records the user and, when it is saved, the moment of login.
//! let mut session = sessions.load("");
//! session.log_in("cobra");
//! let update = sessions.save(&session)?.expect("a new session");
//! let header = format!("{}={}", update.cookie().name(), update.cookie().value());
//! # std::thread::sleep(std::time::Duration::from_millis(2));
//!
//! // "Log out everywhere": every session of cobra logged in until now is refused.
//! revocations.revoke_user("cobra");
//! assert_eq!(sessions.load(&header).source(), SessionSource::Revoked);
//! # Ok(())
//! # }
//! ```
//!
//! The moment of login is kept to the millisecond: a login in the same millisecond as
//! a "log out everywhere" of the same user counts as before it.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError, RwLock};

use time::{Duration, OffsetDateTime};

use crate::session::Session;

/// A boxed, sendable future, as [`Revocation`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A revocation store: decides whether a validly signed, unexpired session has been
/// revoked.
///
/// It is asked once per request that carries a valid session cookie, after the
/// signature and expiry checks, and can be asked from a handler too
/// (for example at login, to refuse a banned user). An `Err` means the store could not
/// answer (it is unreachable): the request then gets no session, and the cookie is
/// kept, so an outage never logs anyone out for good.
///
/// Implementations must not block: do slow work inside the returned future.
pub trait Revocation: Send + Sync + 'static {
    /// Whether `session` has been revoked.
    fn is_revoked<'a>(
        &'a self,
        session: &'a Session,
    ) -> BoxFuture<'a, Result<bool, RevocationError>>;
}

impl<R: Revocation + ?Sized> Revocation for Arc<R> {
    fn is_revoked<'a>(
        &'a self,
        session: &'a Session,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        (**self).is_revoked(session)
    }
}

/// A revocation store could not answer. Its `Display` is fixed; the cause, if any, is
/// in [`std::error::Error::source`].
pub struct RevocationError {
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl RevocationError {
    /// An error with `source` as its cause. The cause must not hold session data or
    /// secrets: it is logged.
    pub fn new(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            source: Some(source.into()),
        }
    }

    /// An error without a cause.
    pub fn unavailable() -> Self {
        Self { source: None }
    }
}

impl fmt::Debug for RevocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationError")
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for RevocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the revocation store could not answer")
    }
}

impl std::error::Error for RevocationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// How long after a session's [deadline](Session::deadline) its revocation is kept:
/// one minute, for servers whose clocks run behind the one that revoked it.
pub const SESSION_REVOCATION_MARGIN: Duration = Duration::minutes(1);

/// What the store remembers of one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserState {
    /// Sessions logged in at or before this moment (Unix milliseconds) are revoked.
    RevokedUntil(i64),
    /// Every session is revoked.
    Banned,
}

/// An in-memory [`Revocation`] store for one process: "log this user out everywhere"
/// and "ban this user". See the [module docs](self).
///
/// Sessions without a user ([`Session::log_in`] never called) are never revoked by it.
#[derive(Default)]
pub struct MemoryRevocation {
    users: RwLock<HashMap<String, UserState>>,
    /// Revoked session ids, with the moment (Unix milliseconds) their entry may go.
    sessions: RwLock<HashMap<String, i64>>,
}

impl fmt::Debug for MemoryRevocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryRevocation")
            .field("users", &self.len())
            .field("sessions", &self.read_sessions().len())
            .finish()
    }
}

impl MemoryRevocation {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Logs `user` out everywhere: every session of the user logged in until now is
    /// revoked. A login after this call is not affected. A banned user stays banned.
    pub fn revoke_user(&self, user: &str) {
        self.revoke_user_at(user, OffsetDateTime::now_utc());
    }

    /// Like [`MemoryRevocation::revoke_user`], revoking sessions logged in at or
    /// before `at`.
    pub fn revoke_user_at(&self, user: &str, at: OffsetDateTime) {
        let until = unix_millis(at);
        let mut users = self.users.write().unwrap_or_else(PoisonError::into_inner);
        let state = users
            .entry(user.to_owned())
            .or_insert(UserState::RevokedUntil(until));
        if let UserState::RevokedUntil(old) = state {
            *old = (*old).max(until);
        }
    }

    /// Bans `user`: every session of the user, existing or new, is revoked until
    /// [`MemoryRevocation::unban`].
    pub fn ban(&self, user: &str) {
        self.users
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(user.to_owned(), UserState::Banned);
    }

    /// Lifts a ban. Sessions that existed before the ban stay revoked.
    pub fn unban(&self, user: &str) {
        let mut users = self.users.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(state) = users.get_mut(user) {
            if *state == UserState::Banned {
                *state = UserState::RevokedUntil(unix_millis(OffsetDateTime::now_utc()));
            }
        }
    }

    /// Revokes one session, by its [id](Session::id): every copy of its cookie is
    /// refused, other sessions of the same user are not. The entry is kept until the
    /// session's [deadline](Session::deadline) plus [`SESSION_REVOCATION_MARGIN`]
    /// (without a deadline, until its expiry plus the margin) and dropped after.
    /// Returns `false`, doing nothing, for a session without an id or an expiry (one
    /// not loaded from a cookie: there is nothing to revoke).
    ///
    /// For a logout that also ends a stolen copy of the cookie: call it with the
    /// request's session, then [`Session::clear`].
    pub fn revoke_session(&self, session: &Session) -> bool {
        let (Some(id), Some(until)) = (session.id(), session_entry_end(session)) else {
            return false;
        };
        let now = unix_millis(OffsetDateTime::now_utc());
        let until = unix_millis(until);
        let mut sessions = self
            .sessions
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        // Drop entries past their end now and then: memory stays bounded by the
        // sessions revoked within one absolute lifetime.
        if sessions.len() >= 64 && sessions.len().is_power_of_two() {
            sessions.retain(|_, end| *end > now);
        }
        let end = sessions.entry(id.to_owned()).or_insert(until);
        *end = (*end).max(until);
        true
    }

    /// Whether the session with this id is revoked.
    pub fn is_session_revoked(&self, id: &str) -> bool {
        let now = unix_millis(OffsetDateTime::now_utc());
        self.read_sessions().get(id).is_some_and(|&end| end > now)
    }

    /// Whether `user` is banned.
    pub fn is_banned(&self, user: &str) -> bool {
        self.state(user) == Some(UserState::Banned)
    }

    /// The number of users the store remembers (revoked or banned).
    pub fn len(&self) -> usize {
        self.users
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether the store remembers no user.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `session` is revoked, synchronously.
    pub fn is_revoked_now(&self, session: &Session) -> bool {
        if session.id().is_some_and(|id| self.is_session_revoked(id)) {
            return true;
        }
        let Some(user) = session.user_id() else {
            return false;
        };
        user_revokes(self.state(user), session)
    }

    fn read_sessions(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, i64>> {
        self.sessions.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn state(&self, user: &str) -> Option<UserState> {
        self.users
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(user)
            .copied()
    }
}

impl Revocation for MemoryRevocation {
    fn is_revoked<'a>(
        &'a self,
        session: &'a Session,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        let revoked = self.is_revoked_now(session);
        Box::pin(std::future::ready(Ok(revoked)))
    }
}

/// Whether what a store remembers of a session's user revokes the session.
pub(crate) fn user_revokes(state: Option<UserState>, session: &Session) -> bool {
    match state {
        None => false,
        Some(UserState::Banned) => true,
        Some(UserState::RevokedUntil(until)) => match session.logged_in_at() {
            // Logged in and not saved yet: a login in this very request.
            None => false,
            Some(at) => unix_millis(at) <= until,
        },
    }
}

/// Until when a per-session revocation must be kept: the session's deadline (or,
/// without one, its expiry) plus [`SESSION_REVOCATION_MARGIN`].
pub(crate) fn session_entry_end(session: &Session) -> Option<OffsetDateTime> {
    session
        .deadline()
        .or(session.expires_at())?
        .checked_add(SESSION_REVOCATION_MARGIN)
}

/// `at` in Unix milliseconds, saturating (far outside any session's range).
pub(crate) fn unix_millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::{CookieConfig, Key, Keyring, SessionConfig, SessionSource};

    fn config(store: Arc<MemoryRevocation>) -> SessionConfig {
        let cookie = CookieConfig::builder(Keyring::new(Key::from_bytes(&[3; 32]).unwrap()))
            .clock(crate::clock::testing::clock)
            .try_build()
            .unwrap();
        SessionConfig::builder(cookie)
            .absolute_lifetime(Duration::hours(1))
            .revocation(store)
            .build()
    }

    fn saved(config: &SessionConfig, user: &str) -> String {
        let mut s = config.load("");
        s.log_in(user);
        let u = config.save(&s).unwrap().unwrap();
        format!("{}={}", u.cookie().name(), u.cookie().value())
    }

    #[test]
    fn revoke_session_refuses_one_session_only() {
        let store = Arc::new(MemoryRevocation::new());
        let c = config(store.clone());
        let phone = saved(&c, "cobra");
        let laptop = saved(&c, "cobra");
        let s = c.load(&phone);
        assert_eq!(s.source(), SessionSource::Cookie);
        assert!(store.revoke_session(&s));
        assert!(store.is_session_revoked(s.id().unwrap()));
        assert_eq!(c.load(&phone).source(), SessionSource::Revoked);
        assert_eq!(c.load(&laptop).source(), SessionSource::Cookie);
        // Kept until the deadline plus the margin.
        let end = store.read_sessions()[s.id().unwrap()];
        let expected = unix_millis(s.deadline().unwrap() + SESSION_REVOCATION_MARGIN);
        assert_eq!(end, expected);
        // Nothing to revoke in a session that never came from a cookie.
        assert!(!store.revoke_session(&Session::new()));
        assert_eq!(store.len(), 0);
    }

    #[test]
    fn expired_session_entries_are_dropped() {
        let store = MemoryRevocation::new();
        {
            let mut sessions = store.sessions.write().unwrap();
            for i in 0..63 {
                sessions.insert(format!("old{i}"), 0);
            }
        }
        let c = config(Arc::new(MemoryRevocation::new()));
        let s = c.load(saved(&c, "viper"));
        assert!(store.revoke_session(&s));
        assert!(store.revoke_session(&c.load(saved(&c, "asp"))));
        // At 64 entries the ones past their end were dropped.
        assert_eq!(store.read_sessions().len(), 2);
        assert!(!store.is_session_revoked("old1"));
        assert!(store.is_session_revoked(s.id().unwrap()));
    }
}
