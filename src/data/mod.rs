//! The session itself: [`SessionData`], a map of JSON values with flash messages, the
//! user and the session id.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::value::RawValue;
use time::{Duration, OffsetDateTime};

use crate::clock::IntoDuration;
use crate::cookies::chunk::ChunkSet;
use crate::error::Error;
#[cfg(doc)]
use crate::session::{SessionConfig, SessionConfigBuilder};
use entries::Entries;
pub use entry::SessionEntry;

pub(crate) mod entries;
mod entry;

/// The reserved key holding the creation time of the session, in Unix seconds.
pub(crate) const CREATED_KEY: &str = "_created";

/// The reserved key holding a per-session idle timeout, in seconds.
pub(crate) const LIFETIME_KEY: &str = "_lifetime";

/// The reserved key holding the pending flash messages.
pub(crate) const FLASHES_KEY: &str = "_flashes";

/// The reserved key holding the user a session was logged in for
/// ([`SessionData::log_in`]).
pub(crate) const USER_KEY: &str = "_user";

/// The reserved key holding the moment of login, in Unix milliseconds.
pub(crate) const LOGIN_KEY: &str = "_login";

/// The reserved key holding the session id ([`SessionData::id`]).
pub(crate) const SESSION_ID_KEY: &str = "_sid";

/// Every reserved key, which [`SessionData::insert`] refuses: `_created` (the creation
/// time, Unix seconds), `_lifetime` (a per-session lifetime, seconds), `_flashes`
/// (pending flash messages), `_user` (the user of [`SessionData::log_in`]), `_login` (the
/// moment of login, Unix milliseconds) and `_sid` (the session id, [`SessionData::id`]).
pub const RESERVED_KEYS: [&str; 6] = [
    CREATED_KEY,
    LIFETIME_KEY,
    FLASHES_KEY,
    USER_KEY,
    LOGIN_KEY,
    SESSION_ID_KEY,
];

/// Where a loaded [`SessionData`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionSource {
    /// The request had no session cookie (or the session was made with
    /// [`SessionData::new`]).
    NoCookie,
    /// A valid session cookie.
    Cookie,
    /// The cookie was malformed, forged, signed with an unknown key, too large, or had
    /// invalid reserved keys.
    Invalid,
    /// The request carried two different valid session cookies, or more cookies of the
    /// session's name than are examined: possibly a cookie planted by another host
    /// (cookie tossing). Treated as no session; unlike [`SessionSource::Invalid`], it
    /// is never answered with a removal cookie (see "When a cookie is sent" in the
    /// module docs).
    Ambiguous,
    /// The cookie was valid but past its idle timeout or absolute lifetime.
    Expired,
    /// The cookie was valid but the application's check or the revocation store
    /// rejected it.
    Revoked,
    /// The cookie was valid but the revocation store could not answer (it failed, or
    /// it is asynchronous and the session was loaded with the synchronous
    /// [`SessionConfig::load`]). The request has no session, and the cookie is kept:
    /// [`SessionConfig::save`] sends nothing for such a session, even when the handler
    /// changed it, so an outage never logs anyone out for good. Changes made to it are
    /// lost (the integrations log that).
    RevocationUnavailable,
    /// The `Cookie:` header was too large to read
    /// ([`MAX_COOKIE_HEADER_LEN`](crate::cookies::MAX_COOKIE_HEADER_LEN)), for example
    /// because another host of the site set many large cookies (cookie bombing). It
    /// proves nothing about the session cookie, so, as with
    /// [`SessionSource::RevocationUnavailable`], the request has no session and
    /// [`SessionConfig::save`] sends nothing for it: once the other cookies are gone
    /// the user's session is back.
    Unreadable,
}

/// A flash message: shown once, on the next page the user sees.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Flash {
    /// The category, such as `info` or `error`.
    pub category: String,
    /// The message.
    pub message: String,
}

impl Flash {
    /// A message of a category, as [`SessionData::flash`] stores it.
    pub fn new(category: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            category: category.into(),
            message: message.into(),
        }
    }
}

/// A session: a map from string keys to JSON values, plus flash messages.
///
/// Made by [`SessionConfig::load`] for each request. Changing it marks it modified, so
/// [`SessionConfig::save`] knows to send a new cookie. `Debug` shows the number of
/// entries and the flags, never the data.
///
/// The values stay JSON text as the cookie carried them until they are asked for:
/// [`SessionData::get`] deserializes a `T` straight from that text, and
/// [`SessionConfig::save`] copies the values that did not change into the new cookie.
#[derive(Clone)]
pub struct SessionData {
    pub(crate) data: Entries,
    pub(crate) flashes: Vec<Flash>,
    /// How many of the last `flashes` were added during this request (they survive
    /// [`SessionData::clear`]).
    pub(crate) fresh_flashes: usize,
    pub(crate) created_at: Option<OffsetDateTime>,
    pub(crate) lifetime: Option<Duration>,
    /// The longest lifetime `set_lifetime` may ask for, when a configuration loaded
    /// the session.
    pub(crate) max_lifetime: Option<Duration>,
    pub(crate) user: Option<String>,
    pub(crate) logged_in_at: Option<OffsetDateTime>,
    pub(crate) id: Option<String>,
    pub(crate) deadline: Option<OffsetDateTime>,
    pub(crate) expires_at: Option<OffsetDateTime>,
    pub(crate) source: SessionSource,
    pub(crate) modified: bool,
    pub(crate) reissue: bool,
    /// The chunk names of the session cookie that the request carried, which the
    /// browser holds until a response removes them.
    pub(crate) chunks: ChunkSet,
}

impl fmt::Debug for SessionData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionData")
            .field("len", &self.data.len())
            .field("flashes", &self.flashes.len())
            .field("source", &self.source)
            .field("modified", &self.modified)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Default for SessionData {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionData {
    /// A new, empty session that did not come from a cookie.
    pub fn new() -> Self {
        Self::fresh(SessionSource::NoCookie)
    }

    pub(crate) fn fresh(source: SessionSource) -> Self {
        Self {
            data: Entries::default(),
            flashes: Vec::new(),
            fresh_flashes: 0,
            created_at: None,
            lifetime: None,
            max_lifetime: None,
            user: None,
            logged_in_at: None,
            id: None,
            deadline: None,
            expires_at: None,
            source,
            modified: false,
            reissue: false,
            chunks: ChunkSet::default(),
        }
    }

    /// The value under `key` as a `T`; `None` when it is missing or not a `T` (use
    /// [`SessionData::try_get`] to tell these apart).
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.try_get(key).ok().flatten()
    }

    /// The value under `key` as a `T`: `Ok(None)` when it is missing,
    /// [`Error::Deserialize`] when it is not a `T`.
    pub fn try_get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, Error> {
        match self.data.get(key) {
            None => Ok(None),
            Some(json) => crate::json::deserialize(json.as_bytes()).map(Some),
        }
    }

    /// The JSON text of the value under `key`, as the cookie carried it (or as
    /// [`SessionData::insert`] wrote it). Use [`SessionData::get`] for a typed value, or
    /// `get::<serde_json::Value>` for a dynamic one.
    pub fn get_value(&self, key: &str) -> Option<&RawValue> {
        serde_json::from_str(self.data.get(key)?).ok()
    }

    /// Whether there is a value under `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.data.get(key).is_some()
    }

    /// The keys, in sorted order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.data.keys()
    }

    /// Stores `value` under `key`. The session counts as modified only when the stored
    /// value changes.
    ///
    /// Fails with [`Error::ReservedKey`] for a [reserved key](RESERVED_KEYS) and
    /// [`Error::Serialize`] when `value` cannot be written as JSON.
    pub fn insert<T: Serialize + ?Sized>(
        &mut self,
        key: impl Into<String>,
        value: &T,
    ) -> Result<(), Error> {
        let key = key.into();
        not_reserved(&key)?;
        // Through a `Value`, as before: nested maps are written with sorted keys, so an
        // equal value always has the same text.
        let value = serde_json::to_value(value).map_err(|_| Error::Serialize)?;
        #[allow(clippy::expect_used)]
        let json = serde_json::to_string(&value).expect("a Value's map keys are strings");
        if self.data.insert(key, json, &value) {
            self.modified = true;
        }
        Ok(())
    }

    /// Removes the value under `key` and returns its JSON text. Fails with
    /// [`Error::ReservedKey`] for a reserved key.
    pub fn remove(&mut self, key: &str) -> Result<Option<Box<RawValue>>, Error> {
        not_reserved(key)?;
        let old = self.data.remove(key);
        if old.is_some() {
            self.modified = true;
        }
        Ok(old)
    }

    /// Removes the data, the user, the per-session lifetime and the flash messages the
    /// request brought. Flash messages added during this request are kept, so the
    /// logout recipe "flash 'Logged out', then clear" shows its message on the next
    /// page (in a new, anonymous session with a new id). Data added afterwards starts a
    /// new session (with a new creation time); a session left empty is deleted from the
    /// browser by [`SessionConfig::save`].
    ///
    /// This is the logout recipe: `session.clear()` (then, for "log out everywhere",
    /// also [`SessionConfig::revoke_user`]).
    pub fn clear(&mut self) {
        if !self.is_empty() || self.lifetime.is_some() {
            self.modified = true;
        }
        self.data.clear();
        let brought = self.flashes.len().saturating_sub(self.fresh_flashes);
        self.flashes.drain(..brought);
        self.lifetime = None;
        self.created_at = None;
        self.user = None;
        self.logged_in_at = None;
        self.id = None;
    }

    /// Logs the session in for `user`: the login recipe. It always starts the session
    /// anew ([`SessionData::regenerate`]: a new session id, a new creation time and a new
    /// cookie), and records the user and the moment of login, which a revocation store
    /// compares with the moment a user was logged out everywhere
    /// ([`SessionConfig::revoke_user`]). The moment is the time the session is saved,
    /// in milliseconds.
    ///
    /// What happens to the data depends on who the session belonged to:
    ///
    /// - **another user**: the session starts empty. Every value and every flash
    ///   message it held is dropped (flash messages set before this call included, since
    ///   they may be the previous user's), and so is its own lifetime
    ///   ([`SessionData::set_lifetime`]). Flash messages and data set after this call are
    ///   kept. A second user logging in on the same browser never sees the first one's
    ///   data.
    /// - **the same user, or nobody** (an anonymous visitor logging in): the data and
    ///   flash messages are kept, so a cart filled before login survives it.
    pub fn log_in(&mut self, user: impl Into<String>) {
        let user = user.into();
        if self.user.as_ref().is_some_and(|previous| *previous != user) {
            self.data.clear();
            self.flashes.clear();
            self.fresh_flashes = 0;
            self.lifetime = None;
        }
        self.regenerate();
        self.user = Some(user);
        self.logged_in_at = None;
    }

    /// The user the session was logged in for with [`SessionData::log_in`].
    pub fn user_id(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// When the session was logged in ([`SessionData::log_in`]); `None` when it has no
    /// user or the login has not been saved yet.
    pub fn logged_in_at(&self) -> Option<OffsetDateTime> {
        self.logged_in_at
    }

    /// Starts the session anew while keeping its data: a new creation time (so the
    /// absolute lifetime starts again), a new [session id](SessionData::id) and a new
    /// cookie. Call it when the user's privileges change; at login,
    /// [`SessionData::log_in`] calls it.
    ///
    /// The server keeps no sessions, so there is nothing to fixate; the new cookie
    /// carries the new data and id, and an attacker's earlier copy of the cookie does
    /// not.
    pub fn regenerate(&mut self) {
        self.created_at = None;
        // When the system's random generator fails, saving makes the id (and reports
        // the failure).
        self.id = new_session_id().ok();
        self.modified = true;
    }

    /// The session id: 128 random bits in base64url (22 characters), the same in every
    /// cookie of this session until [`SessionData::regenerate`], [`SessionData::log_in`] or
    /// [`SessionData::clear`]. A revocation store uses it to refuse one session
    /// ([`SessionConfig::revoke_session`]).
    /// `None` for a session that has not been saved yet (unless regenerated) and for
    /// a cookie written before ids existed.
    ///
    /// It is not a secret (the cookie can be read) and it is not a credential: only
    /// the signed cookie is.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The latest moment at which this cookie of the session can still be accepted:
    /// its creation plus the configured absolute lifetime (or its own lifetime, when
    /// longer). `None` for a session that was not loaded from a cookie. Another copy of
    /// the session given a longer lifetime can last longer, up to the maximum lifetime:
    /// [`SessionConfig::revoke_session`] covers that.
    pub fn deadline(&self) -> Option<OffsetDateTime> {
        self.deadline
    }

    /// Whether the session has no data, no flash messages and no user.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty() && self.flashes.is_empty() && self.user.is_none()
    }

    /// The number of entries (flash messages not counted).
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the session changed since it was loaded.
    pub fn is_modified(&self) -> bool {
        self.modified
    }

    /// Whether the session did not come from a valid cookie (a new visitor, or a
    /// cookie that was rejected).
    pub fn is_new(&self) -> bool {
        self.source != SessionSource::Cookie
    }

    /// Where the session came from.
    pub fn source(&self) -> SessionSource {
        self.source
    }

    /// Whether the cookie verified only with a fallback key (it is re-issued with the
    /// primary key when saved).
    #[cfg(feature = "metrics")]
    pub(crate) fn verified_by_fallback_key(&self) -> bool {
        self.source == SessionSource::Cookie && self.reissue
    }

    /// The signed expiry of the cookie the session was loaded from.
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        self.expires_at
    }

    /// When the session was created; `None` for a session that has not been saved yet
    /// (or was cleared or regenerated since).
    pub fn created_at(&self) -> Option<OffsetDateTime> {
        self.created_at
    }

    /// Gives this session its own lifetime ("remember me"): it replaces the configured
    /// idle timeout, and the session may last that long from its creation even when
    /// the configured absolute lifetime is shorter. Values below one second count as
    /// one second. See "Expiry" in the module docs.
    ///
    /// Fails with [`Error::LifetimeTooLong`] when `lifetime` is longer than the
    /// configuration's [`max_lifetime`](SessionConfigBuilder::max_lifetime) (checked
    /// here for sessions a [`SessionConfig`] loaded, and by [`SessionConfig::save`] for
    /// any session).
    pub fn set_lifetime(&mut self, lifetime: impl IntoDuration) -> Result<(), Error> {
        let lifetime = lifetime.into_duration();
        if let Some(max) = self.max_lifetime {
            if lifetime > max {
                return Err(Error::LifetimeTooLong { max });
            }
        }
        let lifetime = Some(lifetime.max(Duration::SECOND));
        if self.lifetime != lifetime {
            self.lifetime = lifetime;
            self.modified = true;
        }
        Ok(())
    }

    /// This session's own idle timeout, if [`SessionData::set_lifetime`] set one.
    pub fn lifetime(&self) -> Option<Duration> {
        self.lifetime
    }

    /// Adds a flash message, to be shown on a later page.
    pub fn flash(&mut self, category: impl Into<String>, message: impl Into<String>) {
        self.flashes.push(Flash {
            category: category.into(),
            message: message.into(),
        });
        self.fresh_flashes += 1;
        self.modified = true;
    }

    /// Takes the pending flash messages, oldest first. They are gone from the session
    /// afterwards (it is modified if there were any).
    pub fn take_flashes(&mut self) -> Vec<Flash> {
        if !self.flashes.is_empty() {
            self.modified = true;
        }
        self.fresh_flashes = 0;
        std::mem::take(&mut self.flashes)
    }

    /// The pending flash messages, without taking them.
    pub fn peek_flashes(&self) -> &[Flash] {
        &self.flashes
    }
}

/// [`Error::ReservedKey`], naming the key, for a reserved key.
fn not_reserved(key: &str) -> Result<(), Error> {
    match RESERVED_KEYS.iter().find(|&&reserved| reserved == key) {
        Some(reserved) => Err(Error::ReservedKey { key: reserved }),
        None => Ok(()),
    }
}

/// A new session id: 16 random bytes in base64url.
pub(crate) fn new_session_id() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| Error::Random)?;
    Ok(crate::encoding::encode(&bytes))
}
