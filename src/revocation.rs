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
//! The operations go through the session configuration, which reads its
//! [clock](crate::CookieConfigBuilder::clock) and allows its clock tolerance
//! ([`SessionConfigBuilder::revocation_margin`](crate::SessionConfigBuilder::revocation_margin)),
//! so admin code is the same for every store:
//!
//! - **log out everywhere** ([`SessionConfig::revoke_user`]): every session of the
//!   user logged in before now is refused, on every server whose clock is within the
//!   margin; a login more than the margin later is not affected;
//! - **ban** ([`SessionConfig::ban`]): every session of the user is refused, and
//!   so are new ones, until [`SessionConfig::unban`];
//! - **revoke one session** ([`SessionConfig::revoke_session`]): the session with
//!   this [id](SessionData::id) is refused, whoever holds a copy of its cookie, for as long
//!   as any cookie of it can be valid (its creation plus the longer of the absolute
//!   and the maximum lifetime, plus the margin); then the entry may go;
//! - **your devices**, with the [session registry](crate::SessionConfigBuilder::registry)
//!   on: [`SessionConfig::list_sessions`] (a user's active sessions),
//!   [`SessionConfig::revoke_session_id`] (one of them, by id) and
//!   [`SessionConfig::revoke_other_sessions`] (all but the current one). A store keeps
//!   registries by implementing [`Revocation::record_session`],
//!   [`Revocation::list_sessions`] and [`Revocation::forget_sessions`]; the others
//!   answer "not supported".
//!
//! [`MemoryRevocation`] is the store for a single process. Its memory grows with the
//! number of users revoked or banned and of sessions revoked and not yet past their
//! end, not with the number of sessions or requests. It is not shared between
//! processes: a fleet of servers needs a shared store behind the same trait, such as
//! `RedisRevocation` (feature `redis`).
//!
//! ```
//! use std::sync::Arc;
//! use sessionlib::{CookieConfig, Key, Keyring, MemoryRevocation, SessionConfig, SessionSource};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let cookie = CookieConfig::builder(Keyring::new(Key::generate())).try_build()?;
//! let sessions = SessionConfig::builder(cookie)
//!     .revocation(MemoryRevocation::new())
//!     .build();
//!
//! // Login: the session records the user and, when it is saved, the moment of login.
//! let mut session = sessions.load("");
//! session.log_in("cobra");
//! let update = sessions.save(&session)?.expect("a new session");
//! let header = format!("{}={}", update.cookie().name(), update.cookie().value());
//!
//! // "Log out everywhere": every session of cobra logged in until now is refused.
//! sessions.revoke_user("cobra").await?;
//! assert_eq!(sessions.load(&header).source(), SessionSource::Revoked);
//! # Ok(())
//! # }
//! ```
//!
//! # Clocks
//!
//! Every time compared comes from the configuration's clock: the moment of login is
//! written by the server that saved the login, the moment of a revocation by the
//! server that revoked. When their clocks differ, a login made just *before* a "log
//! out everywhere" on a server whose clock runs ahead carries a later time than the
//! revocation. So a revocation covers every login up to its moment *plus the margin*
//! (by default the cookie layer's [leeway](crate::CookieConfigBuilder::leeway), the
//! clock difference the fleet already allows): every session logged in before it is
//! refused while clocks differ by less than the margin. The other direction is the
//! price: a login within the margin *after* the revocation is refused too (the user
//! logs in again a moment later). With the default leeway of zero, the margin is zero.
//!
//! The moment of login and of a revocation are kept to the millisecond: a login in the
//! same millisecond as the end of a revocation counts as before it.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Instant;

use time::OffsetDateTime;

use crate::clock::unix_millis;
use crate::data::{SessionData, SessionEntry};
#[cfg(doc)]
use crate::session::SessionConfig;

/// A boxed, sendable future, as [`Revocation`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A revocation store: decides whether a validly signed, unexpired session has been
/// revoked, and keeps the revocations.
///
/// [`Revocation::is_revoked`] is asked once per request that carries a valid session
/// cookie, after the signature and expiry checks. An `Err` means the store could not
/// answer (it is unreachable): the request then gets no session, and the cookie is
/// kept, so an outage never logs anyone out for good.
///
/// The other methods write revocations with the times already decided; applications
/// call them through [`SessionConfig::revoke_user`], [`SessionConfig::ban`],
/// [`SessionConfig::unban`] and [`SessionConfig::revoke_session`], which read the
/// configuration's clock. A store that only checks (a per-user session version in a
/// database, say) can leave them out: they then answer
/// [`RevocationError::unsupported`].
///
/// Implementations must not block: do slow work inside the returned future.
pub trait Revocation: Send + Sync + 'static {
    /// Whether `session` has been revoked.
    fn is_revoked<'a>(
        &'a self,
        session: &'a SessionData,
    ) -> BoxFuture<'a, Result<bool, RevocationError>>;

    /// Refuses every session of `user` logged in at or before `until`. The moment only
    /// moves forward (an earlier one than the user already has changes nothing), and a
    /// banned user stays banned.
    fn revoke_user_until<'a>(
        &'a self,
        user: &'a str,
        until: OffsetDateTime,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        let _ = (user, until);
        unsupported()
    }

    /// Refuses every session of `user`, existing or new, until
    /// [`Revocation::unban_until`].
    fn ban<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Result<(), RevocationError>> {
        let _ = user;
        unsupported()
    }

    /// Lifts a ban of `user`: sessions logged in at or before `until` stay refused.
    /// A user who is not banned is left alone.
    fn unban_until<'a>(
        &'a self,
        user: &'a str,
        until: OffsetDateTime,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        let _ = (user, until);
        unsupported()
    }

    /// Refuses every cookie of the session with this [id](SessionData::id) for at least
    /// `ttl` from now; the entry may be dropped after that. A later call for the same
    /// id never shortens it. `user` is the session's [user](SessionData::user_id), which
    /// every cookie of the session carries (a store may keep the entry beside the
    /// user's state, as the Redis store does for one round trip per check).
    fn revoke_session_for<'a>(
        &'a self,
        user: Option<&'a str>,
        id: &'a str,
        ttl: std::time::Duration,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        let _ = (user, id, ttl);
        unsupported()
    }

    /// The session registry: records `entry` in its user's list (replacing an entry
    /// with the same id) for `ttl` from now, and returns how many entries the user's
    /// list holds now (expired ones may count until they are dropped). See
    /// [`SessionConfigBuilder::registry`](crate::SessionConfigBuilder::registry).
    fn record_session<'a>(
        &'a self,
        entry: &'a SessionEntry,
        ttl: std::time::Duration,
    ) -> BoxFuture<'a, Result<usize, RevocationError>> {
        let _ = (entry, ttl);
        unsupported()
    }

    /// The session registry: the entries in `user`'s list, in any order (the
    /// configuration leaves out the expired ones and sorts them).
    fn list_sessions<'a>(
        &'a self,
        user: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SessionEntry>, RevocationError>> {
        let _ = user;
        unsupported()
    }

    /// The session registry: removes the entries with these ids from `user`'s list
    /// (ids not in it are ignored).
    fn forget_sessions<'a>(
        &'a self,
        user: &'a str,
        ids: &'a [&'a str],
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        let _ = (user, ids);
        unsupported()
    }
}

fn unsupported<'a, T: Send + 'a>() -> BoxFuture<'a, Result<T, RevocationError>> {
    Box::pin(std::future::ready(Err(RevocationError::unsupported())))
}

impl<R: Revocation + ?Sized> Revocation for Arc<R> {
    fn is_revoked<'a>(
        &'a self,
        session: &'a SessionData,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        (**self).is_revoked(session)
    }

    fn revoke_user_until<'a>(
        &'a self,
        user: &'a str,
        until: OffsetDateTime,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        (**self).revoke_user_until(user, until)
    }

    fn ban<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Result<(), RevocationError>> {
        (**self).ban(user)
    }

    fn unban_until<'a>(
        &'a self,
        user: &'a str,
        until: OffsetDateTime,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        (**self).unban_until(user, until)
    }

    fn revoke_session_for<'a>(
        &'a self,
        user: Option<&'a str>,
        id: &'a str,
        ttl: std::time::Duration,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        (**self).revoke_session_for(user, id, ttl)
    }

    fn record_session<'a>(
        &'a self,
        entry: &'a SessionEntry,
        ttl: std::time::Duration,
    ) -> BoxFuture<'a, Result<usize, RevocationError>> {
        (**self).record_session(entry, ttl)
    }

    fn list_sessions<'a>(
        &'a self,
        user: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SessionEntry>, RevocationError>> {
        (**self).list_sessions(user)
    }

    fn forget_sessions<'a>(
        &'a self,
        user: &'a str,
        ids: &'a [&'a str],
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        (**self).forget_sessions(user, ids)
    }
}

/// What went wrong, for [`RevocationError`]'s fixed `Display`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorKind {
    Unavailable,
    NotConfigured,
    Unsupported,
}

/// A revocation store could not answer, or there is no store for the operation. Its
/// `Display` is fixed; the cause, if any, is in [`std::error::Error::source`].
pub struct RevocationError {
    kind: ErrorKind,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl RevocationError {
    /// The store could not answer, with `source` as the cause. The cause must not hold
    /// session data or secrets: it is logged.
    pub fn new(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            kind: ErrorKind::Unavailable,
            source: Some(source.into()),
        }
    }

    /// The store could not answer, without a cause.
    pub fn unavailable() -> Self {
        Self {
            kind: ErrorKind::Unavailable,
            source: None,
        }
    }

    /// The session configuration has no revocation store
    /// ([`SessionConfigBuilder::revocation`](crate::SessionConfigBuilder::revocation)).
    pub fn not_configured() -> Self {
        Self {
            kind: ErrorKind::NotConfigured,
            source: None,
        }
    }

    /// The store does not offer this operation (it only checks sessions).
    pub fn unsupported() -> Self {
        Self {
            kind: ErrorKind::Unsupported,
            source: None,
        }
    }

    /// Whether this error says that no store is configured.
    pub fn is_not_configured(&self) -> bool {
        self.kind == ErrorKind::NotConfigured
    }

    /// Whether this error says that the store does not offer the operation.
    pub fn is_unsupported(&self) -> bool {
        self.kind == ErrorKind::Unsupported
    }
}

impl fmt::Debug for RevocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationError")
            .field("kind", &self.kind)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for RevocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            ErrorKind::Unavailable => "the revocation store could not answer",
            ErrorKind::NotConfigured => "no revocation store is configured",
            ErrorKind::Unsupported => "the revocation store does not offer this operation",
        })
    }
}

impl std::error::Error for RevocationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// What the store remembers of one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserState {
    /// Sessions logged in at or before this moment (Unix milliseconds) are revoked.
    RevokedUntil(i64),
    /// Every session is revoked.
    Banned,
}

/// An in-memory [`Revocation`] store for one process. See the [module docs](self);
/// its operations are called through the session configuration
/// ([`SessionConfig::revoke_user`] and the others).
///
/// Sessions without a user ([`SessionData::log_in`] never called) are revoked by it only
/// one by one ([`SessionConfig::revoke_session`]).
#[derive(Default)]
pub struct MemoryRevocation {
    users: RwLock<HashMap<String, UserState>>,
    /// Revoked session ids, with the moment their entry may go (a monotonic instant:
    /// the entry lasts its time whatever the clocks say; `None` for longer than the
    /// platform's instants reach).
    sessions: RwLock<HashMap<String, Option<Instant>>>,
    /// The session registry: each user's entries, with the moment each may go.
    registry: RwLock<Registry>,
}

/// The memory store's session registry: each user's entries, with the moment each may
/// go.
type Registry = HashMap<String, Vec<(SessionEntry, Option<Instant>)>>;

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

    /// Whether the session with this id is revoked.
    pub fn is_session_revoked(&self, id: &str) -> bool {
        let now = Instant::now();
        self.read_sessions()
            .get(id)
            .is_some_and(|&end| end.is_none_or(|end| end > now))
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
    pub fn is_revoked_now(&self, session: &SessionData) -> bool {
        if session.id().is_some_and(|id| self.is_session_revoked(id)) {
            return true;
        }
        let Some(user) = session.user_id() else {
            return false;
        };
        user_revokes(self.state(user), session)
    }

    fn read_sessions(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Option<Instant>>> {
        self.sessions.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_registry(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        self.registry
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write_users(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, UserState>> {
        self.users.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn state(&self, user: &str) -> Option<UserState> {
        self.users
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(user)
            .copied()
    }
}

fn done<'a>() -> BoxFuture<'a, Result<(), RevocationError>> {
    Box::pin(std::future::ready(Ok(())))
}

impl Revocation for MemoryRevocation {
    fn is_revoked<'a>(
        &'a self,
        session: &'a SessionData,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        let revoked = self.is_revoked_now(session);
        Box::pin(std::future::ready(Ok(revoked)))
    }

    fn revoke_user_until<'a>(
        &'a self,
        user: &'a str,
        until: OffsetDateTime,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        let until = unix_millis(until);
        let mut users = self.write_users();
        let state = users
            .entry(user.to_owned())
            .or_insert(UserState::RevokedUntil(until));
        if let UserState::RevokedUntil(old) = state {
            *old = (*old).max(until);
        }
        done()
    }

    fn ban<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Result<(), RevocationError>> {
        self.write_users()
            .insert(user.to_owned(), UserState::Banned);
        done()
    }

    fn unban_until<'a>(
        &'a self,
        user: &'a str,
        until: OffsetDateTime,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        if let Some(state) = self.write_users().get_mut(user) {
            if *state == UserState::Banned {
                *state = UserState::RevokedUntil(unix_millis(until));
            }
        }
        done()
    }

    /// Keyed by the id alone (ids are random and unique).
    fn revoke_session_for<'a>(
        &'a self,
        _user: Option<&'a str>,
        id: &'a str,
        ttl: std::time::Duration,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        let now = Instant::now();
        let end = now.checked_add(ttl);
        let mut sessions = self
            .sessions
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        // Drop entries past their end now and then: memory stays bounded by the
        // sessions revoked within one session's longest life.
        if sessions.len() >= 64 && sessions.len().is_power_of_two() {
            sessions.retain(|_, end| end.is_none_or(|end| end > now));
        }
        let entry = sessions.entry(id.to_owned()).or_insert(end);
        // The later end wins; `None` is the latest.
        if let (Some(old), Some(new)) = (*entry, end) {
            *entry = Some(old.max(new));
        } else {
            *entry = None;
        }
        done()
    }

    fn record_session<'a>(
        &'a self,
        entry: &'a SessionEntry,
        ttl: std::time::Duration,
    ) -> BoxFuture<'a, Result<usize, RevocationError>> {
        let now = Instant::now();
        let live = |end: &Option<Instant>| end.is_none_or(|end| end > now);
        let mut registry = self.write_registry();
        // Drop users whose entries have all ended now and then: memory stays bounded
        // by the users with a session that can still be used.
        if registry.len() >= 64 && registry.len().is_power_of_two() {
            registry.retain(|_, entries| {
                entries.retain(|(_, end)| live(end));
                !entries.is_empty()
            });
        }
        let entries = registry.entry(entry.user().to_owned()).or_default();
        entries.retain(|(e, end)| e.id() != entry.id() && live(end));
        entries.push((entry.clone(), now.checked_add(ttl)));
        let count = entries.len();
        Box::pin(std::future::ready(Ok(count)))
    }

    fn list_sessions<'a>(
        &'a self,
        user: &'a str,
    ) -> BoxFuture<'a, Result<Vec<SessionEntry>, RevocationError>> {
        let now = Instant::now();
        let entries = self
            .registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(user)
            .map(|entries| {
                entries
                    .iter()
                    .filter(|(_, end)| end.is_none_or(|end| end > now))
                    .map(|(entry, _)| entry.clone())
                    .collect()
            })
            .unwrap_or_default();
        Box::pin(std::future::ready(Ok(entries)))
    }

    fn forget_sessions<'a>(
        &'a self,
        user: &'a str,
        ids: &'a [&'a str],
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        let mut registry = self.write_registry();
        if let Some(entries) = registry.get_mut(user) {
            entries.retain(|(entry, _)| !ids.contains(&entry.id()));
            if entries.is_empty() {
                registry.remove(user);
            }
        }
        done()
    }
}

/// Whether what a store remembers of a session's user revokes the session.
pub(crate) fn user_revokes(state: Option<UserState>, session: &SessionData) -> bool {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::clock::ManualClock;
    use crate::{CookieConfig, Key, Keyring, SessionConfig, SessionSource};
    use std::task::{Context, Poll, Waker};
    use time::Duration;

    /// The result of a future that is ready at once, as the memory store's are.
    fn ready<T>(future: impl Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(value) => value,
            Poll::Pending => panic!("the memory store answers at once"),
        }
    }

    fn t0() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap()
    }

    /// A configuration on `store` reading `clock`, with a leeway of `leeway`.
    fn config_with(
        store: Arc<MemoryRevocation>,
        clock: impl crate::clock::Clock,
        leeway: Duration,
    ) -> SessionConfig {
        let cookie = CookieConfig::builder(Keyring::new(Key::from_bytes(&[3; 32]).unwrap()))
            .clock(clock)
            .leeway(leeway)
            .try_build()
            .unwrap();
        SessionConfig::builder(cookie)
            .absolute_lifetime(Duration::hours(1))
            .max_lifetime(Duration::days(30))
            .revocation(store)
            .build()
    }

    fn config(store: Arc<MemoryRevocation>, clock: &ManualClock) -> SessionConfig {
        config_with(store, clock.clone(), Duration::ZERO)
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
        let clock = ManualClock::new(t0());
        let c = config(store.clone(), &clock);
        let phone = saved(&c, "cobra");
        let laptop = saved(&c, "cobra");
        let s = c.load(&phone);
        assert_eq!(s.source(), SessionSource::Cookie);
        assert!(ready(c.revoke_session(&s)).unwrap());
        assert!(store.is_session_revoked(s.id().unwrap()));
        assert_eq!(c.load(&phone).source(), SessionSource::Revoked);
        assert_eq!(c.load(&laptop).source(), SessionSource::Cookie);
        // Nothing to revoke in a session that never came from a cookie.
        assert!(!ready(c.revoke_session(&SessionData::new())).unwrap());
        assert_eq!(store.len(), 0);
    }

    /// Second review, item 6: the entry of a revoked session lasted until the deadline
    /// of the copy used to revoke it, and a copy given a longer "remember me" lifetime
    /// was accepted again once the entry was gone.
    #[test]
    fn revoking_one_session_outlasts_every_copy_of_it() {
        let store = Arc::new(MemoryRevocation::new());
        let clock = ManualClock::new(t0());
        let c = config(store.clone(), &clock);
        let short = saved(&c, "cobra");
        // The same session, given a 30-day lifetime in a later request.
        let mut s = c.load(&short);
        s.set_lifetime(Duration::days(30)).unwrap();
        let u = c.save(&s).unwrap().unwrap();
        let long = format!("{}={}", u.cookie().name(), u.cookie().value());
        let copy = c.load(&short);
        assert_eq!(copy.deadline(), Some(t0() + Duration::hours(1)));
        assert!(ready(c.revoke_session(&copy)).unwrap());
        assert_eq!(c.load(&long).source(), SessionSource::Revoked);
        // Past the short copy's deadline plus a minute, the long copy is still refused.
        clock.advance(Duration::hours(1) + Duration::seconds(65));
        assert_eq!(c.load(&long).source(), SessionSource::Revoked);
        clock.advance(Duration::days(20));
        assert_eq!(c.load(&long).source(), SessionSource::Revoked);
        // The entry lasts as long as the longest copy can: 30 days from creation.
        let end = store.read_sessions()[copy.id().unwrap()].unwrap();
        let ttl = end - Instant::now();
        assert!(ttl > std::time::Duration::from_secs(30 * 86_400 - 60));
        assert!(ttl <= std::time::Duration::from_secs(30 * 86_400));
    }

    #[test]
    fn expired_session_entries_are_dropped() {
        let store = MemoryRevocation::new();
        {
            let mut sessions = store.sessions.write().unwrap();
            for i in 0..63 {
                sessions.insert(format!("old{i}"), Some(Instant::now()));
            }
        }
        let clock = ManualClock::new(t0());
        let c = config(Arc::new(MemoryRevocation::new()), &clock);
        let s = c.load(saved(&c, "viper"));
        let day = std::time::Duration::from_secs(86_400);
        ready(store.revoke_session_for(None, s.id().unwrap(), day)).unwrap();
        ready(store.revoke_session_for(None, "another", day)).unwrap();
        // At 64 entries the ones past their end were dropped.
        assert_eq!(store.read_sessions().len(), 2);
        assert!(!store.is_session_revoked("old1"));
        assert!(store.is_session_revoked(s.id().unwrap()));
        // A later call never shortens an entry; a TTL past the platform's instants
        // keeps it for good.
        ready(store.revoke_session_for(None, "another", std::time::Duration::ZERO)).unwrap();
        assert!(store.is_session_revoked("another"));
        ready(store.revoke_session_for(None, "another", std::time::Duration::MAX)).unwrap();
        assert_eq!(store.read_sessions()["another"], None);
        assert!(store.is_session_revoked("another"));
    }

    /// Second review, also: the memory store stamped "log out everywhere" with the
    /// system clock while sessions read the configured one, so with a manual clock
    /// (behind the system's) a user who logged out everywhere could never log in again.
    #[test]
    fn revocations_read_the_configuration_clock() {
        let store = Arc::new(MemoryRevocation::new());
        let clock = ManualClock::new(t0());
        let c = config(store.clone(), &clock);
        let before = saved(&c, "cobra");
        clock.advance(Duration::seconds(1));
        ready(c.revoke_user("cobra")).unwrap();
        assert_eq!(c.load(&before).source(), SessionSource::Revoked);
        clock.advance(Duration::seconds(1));
        let after = saved(&c, "cobra");
        assert_eq!(c.load(&after).source(), SessionSource::Cookie);
        // Ban and unban read the same clock.
        ready(c.ban("cobra")).unwrap();
        assert!(store.is_banned("cobra"));
        assert_eq!(c.load(&after).source(), SessionSource::Revoked);
        clock.advance(Duration::seconds(1));
        ready(c.unban("cobra")).unwrap();
        assert_eq!(c.load(&after).source(), SessionSource::Revoked);
        clock.advance(Duration::seconds(1));
        let later = saved(&c, "cobra");
        assert_eq!(c.load(&later).source(), SessionSource::Cookie);
    }

    /// Second review, item 3: "log out everywhere" compared the login time stamped by
    /// a server whose clock runs ahead with the revocation time without any margin, so
    /// a login made just before the revocation survived it.
    #[test]
    fn log_out_everywhere_covers_logins_stamped_by_a_clock_running_ahead() {
        let store = Arc::new(MemoryRevocation::new());
        let b_clock = ManualClock::new(t0());
        let a_ahead = {
            let b_clock = b_clock.clone();
            move || b_clock.now() + Duration::seconds(2)
        };
        let leeway = Duration::seconds(4);
        let a = config_with(store.clone(), a_ahead, leeway);
        let b = config_with(store.clone(), b_clock.clone(), leeway);
        assert_eq!(b.revocation_margin(), leeway);
        // A thief logs in on A half a second before the victim logs out everywhere on B.
        let stolen = saved(&a, "cobra");
        b_clock.advance(Duration::milliseconds(500));
        ready(b.revoke_user("cobra")).unwrap();
        assert_eq!(a.load(&stolen).source(), SessionSource::Revoked);
        assert_eq!(b.load(&stolen).source(), SessionSource::Revoked);
        // The price: a login on B within the margin after the revocation is refused.
        b_clock.advance(Duration::seconds(3));
        let inside = saved(&b, "cobra");
        assert_eq!(b.load(&inside).source(), SessionSource::Revoked);
        // A login clearly after the revocation (beyond the margin) is kept everywhere.
        b_clock.advance(Duration::seconds(2));
        let after = saved(&b, "cobra");
        assert_eq!(a.load(&after).source(), SessionSource::Cookie);
        assert_eq!(b.load(&after).source(), SessionSource::Cookie);

        // Without a margin the thief's session survives: the old answer.
        let store = Arc::new(MemoryRevocation::new());
        let no_margin = |config: &SessionConfig| {
            SessionConfig::builder(config.cookie().clone())
                .revocation_margin(Duration::ZERO)
                .revocation(store.clone())
                .build()
        };
        let (a, b) = (no_margin(&a), no_margin(&b));
        let stolen = saved(&a, "cobra");
        b_clock.advance(Duration::milliseconds(500));
        ready(b.revoke_user("cobra")).unwrap();
        assert_eq!(b.load(&stolen).source(), SessionSource::Cookie);
    }

    #[test]
    fn without_a_store_the_operations_say_so() {
        let cookie = CookieConfig::builder(Keyring::new(Key::from_bytes(&[3; 32]).unwrap()))
            .try_build()
            .unwrap();
        let c = SessionConfig::builder(cookie).build();
        let error = ready(c.revoke_user("cobra")).unwrap_err();
        assert!(error.is_not_configured());
        assert_eq!(error.to_string(), "no revocation store is configured");
    }

    #[test]
    fn a_check_only_store_says_it_does_not_revoke() {
        struct CheckOnly;
        impl Revocation for CheckOnly {
            fn is_revoked<'a>(
                &'a self,
                _: &'a SessionData,
            ) -> BoxFuture<'a, Result<bool, RevocationError>> {
                Box::pin(std::future::ready(Ok(false)))
            }
        }
        let cookie = CookieConfig::builder(Keyring::new(Key::from_bytes(&[3; 32]).unwrap()))
            .try_build()
            .unwrap();
        let c = SessionConfig::builder(cookie).revocation(CheckOnly).build();
        let error = ready(c.ban("cobra")).unwrap_err();
        assert!(error.is_unsupported());
        assert!(!error.is_not_configured());
    }
}
