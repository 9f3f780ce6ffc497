//! Layer 6: sessions.
//!
//! A [`Session`] is a dynamic map of JSON values with flash messages, kept in one
//! signed cookie (layer 5, [`CookieConfig`]). A [`SessionConfig`] is the one place
//! that turns a request's `Cookie:` header into a `Session`
//! ([`SessionConfig::load`]) and a `Session` into the response headers to set
//! ([`SessionConfig::save`]).
//!
//! ```
//! use sessionlib::{CookieConfig, Key, Keyring, SessionConfig};
//! # fn main() -> Result<(), sessionlib::Error> {
//! let cookie = CookieConfig::builder(Keyring::new(Key::generate())).try_build()?;
//! let sessions = SessionConfig::builder(cookie)
//!     .idle_timeout(time::Duration::hours(2))
//!     .build();
//!
//! // First request: no cookie, a fresh session.
//! let mut session = sessions.load("");
//! assert!(session.is_new());
//! session.insert("user", "cobra")?;
//! session.flash("info", "Logged in successfully");
//! let update = sessions.save(&session)?.expect("the session changed");
//! for (name, value) in update.headers() {
//!     // response.headers_mut().append(name, value) in your framework
//!     assert!(["set-cookie", "vary", "cache-control"].contains(&name));
//! }
//!
//! // Next request: the browser sends the cookie back (named `__Host-session` by
//! // default, see the `cookie` module).
//! let header = format!("__Host-session={}", update.cookie().value());
//! let mut session = sessions.load(&header);
//! assert_eq!(session.get::<String>("user").as_deref(), Some("cobra"));
//! assert_eq!(session.take_flashes()[0].message, "Logged in successfully");
//! assert!(sessions.save(&session)?.is_some()); // the flash was consumed
//! # Ok(())
//! # }
//! ```
//!
//! # Loading never fails
//!
//! [`SessionConfig::load`] returns a fresh, empty session when the cookie is missing,
//! malformed, forged, expired (idle timeout or absolute lifetime), ambiguous or
//! revoked: an application never shows an error page for a bad cookie.
//! [`Session::source`] says which it was, for logging.
//!
//! # When a cookie is sent
//!
//! [`SessionConfig::save`] returns `None` (no `Set-Cookie`) when nothing changed and no
//! refresh is due, so most responses carry no cookie. Otherwise it returns a
//! [`SetCookie`]:
//!
//! - an empty session (no data and no flash messages) gets no cookie; if the request
//!   carried one (valid or not), it gets a removal cookie, so [`Session::clear`] at
//!   logout deletes the cookie;
//! - except when the request's cookies were ambiguous ([`SessionSource::Ambiguous`]:
//!   two different valid session cookies, or more than
//!   [`MAX_SAME_NAME_COOKIES`](crate::cookie::MAX_SAME_NAME_COOKIES) of them). That
//!   session never gets a removal cookie, since the removal cookie (which has no
//!   `Domain`, or the configured one) could delete the user's own cookie and leave a
//!   cookie planted by another host to win on the next request (cookie tossing, see
//!   the [`cookie`](crate::cookie) module). If the handler stores data in it (for
//!   example at a new login), it gets a new cookie like any new session;
//! - a changed session, a session verified by a fallback key (re-issued with the
//!   primary key) and a session due for a refresh get a new cookie.
//!
//! With [chunking](crate::CookieConfigBuilder::max_chunks), "a cookie" above is the set
//! of chunk cookies: a [`SetCookie`] then holds every chunk, plus removal cookies for
//! the chunk names the request carried that the new session no longer uses, and a
//! removal removes every chunk name the request carried (see "Large sessions" in the
//! [`cookie`](crate::cookie) module). The ambiguity rule above covers chunks too.
//!
//! The cookie's `Expires` attribute is its signed expiry plus the cookie layer's
//! [leeway](crate::CookieConfigBuilder::leeway), so that the browser keeps sending it
//! for as long as a server may accept it.
//!
//! Every [`SetCookie`] also lists `Vary: Cookie` and `Cache-Control: private`
//! ([`SetCookie::headers`]), so a shared cache never stores one user's cookie and
//! serves it to another. If the response already has a `Cache-Control` header, make
//! sure it says `private` or `no-store`.
//!
//! # Expiry
//!
//! - **Idle timeout** (sliding expiry): a session expires after
//!   [`idle_timeout`](SessionConfigBuilder::idle_timeout) without a request. Each
//!   cookie's signed expiry is `now + idle timeout`.
//! - **Refresh throttling**: an unchanged session is re-issued only when the new expiry
//!   would be at least [`refresh_interval`](SessionConfigBuilder::refresh_interval)
//!   later than the one it has, not on every response.
//! - **Absolute lifetime**: however active, a session ends
//!   [`absolute_lifetime`](SessionConfigBuilder::absolute_lifetime) after it was
//!   created; the signed expiry is never later than that.
//! - **Remember me**: [`Session::set_lifetime`] gives one session its own lifetime
//!   (for example 30 days when the user ticks "remember me"): it replaces the idle
//!   timeout, and the session may last that long from its creation even when the
//!   absolute lifetime is shorter, so short sessions keep their short cap. The
//!   longest lifetime a session may ask for is
//!   [`max_lifetime`](SessionConfigBuilder::max_lifetime) (by default the absolute
//!   lifetime); asking for more is [`Error::LifetimeTooLong`], never a silent cap:
//!
//! ```
//! use sessionlib::{time::Duration, CookieConfig, Key, Keyring, SessionConfig};
//! # fn main() -> Result<(), sessionlib::Error> {
//! let sessions = SessionConfig::builder(CookieConfig::builder(Keyring::new(Key::generate())).try_build()?)
//!     .idle_timeout(Duration::minutes(30))
//!     .absolute_lifetime(Duration::hours(12))   // every session, however active
//!     .max_lifetime(Duration::days(30))         // the longest "remember me"
//!     .build();
//! let mut session = sessions.load("");
//! session.log_in("cobra");
//! session.set_lifetime(Duration::days(30))?;    // the user ticked "remember me"
//! assert!(session.set_lifetime(Duration::days(31)).is_err());
//! # Ok(())
//! # }
//! ```
//!
//! # Revocation
//!
//! A signed cookie cannot be recalled, but
//! [`validate`](SessionConfigBuilder::validate) lets the application reject an
//! otherwise valid session, for example by comparing a per-user session version
//! stored in the session with the one in its database (bump the version to log a
//! user out everywhere). A [revocation store](SessionConfigBuilder::revocation) does
//! it without a database of your own, per user or per [session id](Session::id).
//!
//! # Reserved keys
//!
//! The session's signed JSON object holds the application's keys and these, which
//! [`Session::insert`] and [`Session::remove`] refuse with [`Error::ReservedKey`]:
//!
//! - `_created`: when the session was created, in Unix seconds (for the absolute
//!   lifetime);
//! - `_lifetime`: the per-session idle timeout in seconds, when one was set;
//! - `_flashes`: the pending flash messages, a list of `[category, message]` pairs,
//!   present only when there are some;
//! - `_user` and `_login`: the user a session was logged in for and the moment of
//!   login in Unix milliseconds ([`Session::log_in`]);
//! - `_sid`: the session id ([`Session::id`]), 128 random bits in base64url, made when
//!   the session is first saved and anew by [`Session::regenerate`] and
//!   [`Session::log_in`]; it names one session for a revocation store's per-session
//!   deny list. A cookie without it (written before ids existed) is accepted and gets
//!   an id the next time it is written.
//!
//! A validly signed session whose reserved keys have the wrong type is treated as
//! invalid.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use ::cookie::{Cookie, CookieJar};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

use crate::codec::Verified;
use crate::cookie::chunk::ChunkSet;
use crate::cookie::CookieConfig;
use crate::error::Error;
use crate::revocation::{Revocation, RevocationError};

/// The reserved key holding the creation time of the session, in Unix seconds.
pub const CREATED_KEY: &str = "_created";

/// The reserved key holding a per-session idle timeout, in seconds.
pub const LIFETIME_KEY: &str = "_lifetime";

/// The reserved key holding the pending flash messages.
pub const FLASHES_KEY: &str = "_flashes";

/// The reserved key holding the user a session was logged in for
/// ([`Session::log_in`]).
pub const USER_KEY: &str = "_user";

/// The reserved key holding the moment of login, in Unix milliseconds.
pub const LOGIN_KEY: &str = "_login";

/// The reserved key holding the session id ([`Session::id`]).
pub const SESSION_ID_KEY: &str = "_sid";

/// Every reserved key.
pub const RESERVED_KEYS: [&str; 6] = [
    CREATED_KEY,
    LIFETIME_KEY,
    FLASHES_KEY,
    USER_KEY,
    LOGIN_KEY,
    SESSION_ID_KEY,
];

/// The longest session id accepted from a cookie, in bytes.
const MAX_SESSION_ID_LEN: usize = 64;

/// The idle timeout used when none is set: 24 hours.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::hours(24);

/// The absolute lifetime used when none is set: 14 days.
pub const DEFAULT_ABSOLUTE_LIFETIME: Duration = Duration::days(14);

/// The refresh interval used when none is set: 5 minutes.
pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::minutes(5);

/// Where a loaded [`Session`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionSource {
    /// The request had no session cookie (or the session was made with
    /// [`Session::new`]).
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
    /// [`SessionConfig::save`] never removes it for this.
    RevocationUnavailable,
}

/// A flash message: shown once, on the next page the user sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// The category, such as `info` or `error`.
    pub category: String,
    /// The message.
    pub message: String,
}

/// A session: a map from string keys to JSON values, plus flash messages.
///
/// Made by [`SessionConfig::load`] for each request. Changing it marks it modified, so
/// [`SessionConfig::save`] knows to send a new cookie. `Debug` shows the number of
/// entries and the flags, never the data.
#[derive(Clone)]
pub struct Session {
    data: Map<String, Value>,
    flashes: Vec<Flash>,
    created_at: Option<OffsetDateTime>,
    lifetime: Option<Duration>,
    /// The longest lifetime `set_lifetime` may ask for, when a configuration loaded
    /// the session.
    max_lifetime: Option<Duration>,
    user: Option<String>,
    logged_in_at: Option<OffsetDateTime>,
    id: Option<String>,
    deadline: Option<OffsetDateTime>,
    expires_at: Option<OffsetDateTime>,
    source: SessionSource,
    modified: bool,
    reissue: bool,
    /// The chunk names of the session cookie that the request carried, which the
    /// browser holds until a response removes them.
    chunks: ChunkSet,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("len", &self.data.len())
            .field("flashes", &self.flashes.len())
            .field("source", &self.source)
            .field("modified", &self.modified)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Session {
    /// A new, empty session that did not come from a cookie.
    pub fn new() -> Self {
        Self::fresh(SessionSource::NoCookie)
    }

    fn fresh(source: SessionSource) -> Self {
        Self {
            data: Map::new(),
            flashes: Vec::new(),
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
    /// [`Session::try_get`] to tell these apart).
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.try_get(key).ok().flatten()
    }

    /// The value under `key` as a `T`: `Ok(None)` when it is missing,
    /// [`Error::Deserialize`] when it is not a `T`.
    pub fn try_get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, Error> {
        match self.data.get(key) {
            None => Ok(None),
            Some(value) => {
                let json = serde_json::to_vec(value).map_err(|_| Error::Serialize)?;
                crate::codec::deserialize(&json).map(Some)
            }
        }
    }

    /// The raw JSON value under `key`.
    pub fn get_value(&self, key: &str) -> Option<&Value> {
        self.data.get(key)
    }

    /// Whether there is a value under `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.data.contains_key(key)
    }

    /// The keys, in sorted order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.data.keys().map(String::as_str)
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
        if RESERVED_KEYS.contains(&key.as_str()) {
            return Err(Error::ReservedKey);
        }
        let value = serde_json::to_value(value).map_err(|_| Error::Serialize)?;
        if self.data.get(&key) != Some(&value) {
            self.data.insert(key, value);
            self.modified = true;
        }
        Ok(())
    }

    /// Removes and returns the value under `key`. Fails with [`Error::ReservedKey`] for
    /// a reserved key.
    pub fn remove(&mut self, key: &str) -> Result<Option<Value>, Error> {
        if RESERVED_KEYS.contains(&key) {
            return Err(Error::ReservedKey);
        }
        let old = self.data.remove(key);
        if old.is_some() {
            self.modified = true;
        }
        Ok(old)
    }

    /// Removes everything: data, flash messages, the user and the per-session
    /// lifetime. Data added afterwards starts a new session (with a new creation time);
    /// a session left empty is deleted from the browser by [`SessionConfig::save`].
    ///
    /// This is the logout recipe: `session.clear()` (then, for "log out everywhere",
    /// also revoke the user in the revocation store, such as
    /// [`MemoryRevocation::revoke_user`](crate::MemoryRevocation::revoke_user)).
    pub fn clear(&mut self) {
        if !self.is_empty() || self.lifetime.is_some() {
            self.modified = true;
        }
        self.data.clear();
        self.flashes.clear();
        self.lifetime = None;
        self.created_at = None;
        self.user = None;
        self.logged_in_at = None;
        self.id = None;
    }

    /// Logs the session in for `user`: the login recipe. It starts the session anew
    /// ([`Session::regenerate`]: a new creation time and a new cookie, the data kept)
    /// and records the user and the moment of login, which a revocation store
    /// compares with the moment a user was logged out everywhere
    /// ([`MemoryRevocation`](crate::MemoryRevocation)). The moment is the time the
    /// session is saved, in milliseconds.
    ///
    /// To log in another user in a session that holds a previous user's data, call
    /// [`Session::clear`] first.
    pub fn log_in(&mut self, user: impl Into<String>) {
        self.regenerate();
        self.user = Some(user.into());
        self.logged_in_at = None;
    }

    /// The user the session was logged in for with [`Session::log_in`].
    pub fn user_id(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// When the session was logged in ([`Session::log_in`]); `None` when it has no
    /// user or the login has not been saved yet.
    pub fn logged_in_at(&self) -> Option<OffsetDateTime> {
        self.logged_in_at
    }

    /// Starts the session anew while keeping its data: a new creation time (so the
    /// absolute lifetime starts again), a new [session id](Session::id) and a new
    /// cookie. Call it when the user's privileges change; at login,
    /// [`Session::log_in`] calls it.
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
    /// cookie of this session until [`Session::regenerate`], [`Session::log_in`] or
    /// [`Session::clear`]. A revocation store uses it to refuse one session
    /// ([`MemoryRevocation::revoke_session`](crate::MemoryRevocation::revoke_session)).
    /// `None` for a session that has not been saved yet (unless regenerated) and for
    /// a cookie written before ids existed.
    ///
    /// It is not a secret (the cookie can be read) and it is not a credential: only
    /// the signed cookie is.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The latest moment at which a cookie of this session can still be accepted:
    /// its creation plus the configured absolute lifetime. `None` for a session that
    /// was not loaded from a cookie. A per-session revocation must last this long,
    /// since a copy of the cookie can be refreshed until then.
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
    pub fn set_lifetime(&mut self, lifetime: Duration) -> Result<(), Error> {
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

    /// This session's own idle timeout, if [`Session::set_lifetime`] set one.
    pub fn lifetime(&self) -> Option<Duration> {
        self.lifetime
    }

    /// Adds a flash message, to be shown on a later page.
    pub fn flash(&mut self, category: impl Into<String>, message: impl Into<String>) {
        self.flashes.push(Flash {
            category: category.into(),
            message: message.into(),
        });
        self.modified = true;
    }

    /// Takes the pending flash messages, oldest first. They are gone from the session
    /// afterwards (it is modified if there were any).
    pub fn take_flashes(&mut self) -> Vec<Flash> {
        if !self.flashes.is_empty() {
            self.modified = true;
        }
        std::mem::take(&mut self.flashes)
    }

    /// The pending flash messages, without taking them.
    pub fn peek_flashes(&self) -> &[Flash] {
        &self.flashes
    }

    /// The JSON object that is signed: the data plus the reserved keys.
    fn to_object(
        &self,
        created_at: OffsetDateTime,
        logged_in_at: Option<OffsetDateTime>,
        id: String,
    ) -> Map<String, Value> {
        let mut map = self.data.clone();
        map.insert(CREATED_KEY.into(), created_at.unix_timestamp().into());
        map.insert(SESSION_ID_KEY.into(), id.into());
        if let Some(lifetime) = self.lifetime {
            map.insert(LIFETIME_KEY.into(), lifetime.whole_seconds().into());
        }
        if let (Some(user), Some(at)) = (&self.user, logged_in_at) {
            map.insert(USER_KEY.into(), user.clone().into());
            map.insert(LOGIN_KEY.into(), crate::revocation::unix_millis(at).into());
        }
        if !self.flashes.is_empty() {
            let flashes = self
                .flashes
                .iter()
                .map(|f| Value::from(vec![f.category.clone(), f.message.clone()]))
                .collect();
            map.insert(FLASHES_KEY.into(), Value::Array(flashes));
        }
        map
    }

    /// The session in a verified object; `None` when a reserved key is invalid.
    fn from_object(verified: Verified<Map<String, Value>>) -> Option<Self> {
        let mut data = verified.data;
        let created = data.remove(CREATED_KEY)?.as_i64()?;
        let created_at = OffsetDateTime::from_unix_timestamp(created).ok()?;
        let lifetime = match data.remove(LIFETIME_KEY) {
            None => None,
            Some(v) => Some(Duration::seconds(v.as_i64().filter(|&s| s > 0)?)),
        };
        let (user, logged_in_at) = match (data.remove(USER_KEY), data.remove(LOGIN_KEY)) {
            (None, None) => (None, None),
            (Some(Value::String(user)), Some(at)) => {
                let at = i128::from(at.as_i64()?).checked_mul(1_000_000)?;
                (
                    Some(user),
                    Some(OffsetDateTime::from_unix_timestamp_nanos(at).ok()?),
                )
            }
            _ => return None,
        };
        let id = match data.remove(SESSION_ID_KEY) {
            None => None,
            Some(Value::String(id)) if is_session_id(&id) => Some(id),
            Some(_) => return None,
        };
        let flashes = match data.remove(FLASHES_KEY) {
            None => Vec::new(),
            Some(Value::Array(list)) => list
                .into_iter()
                .map(|pair| match pair {
                    Value::Array(pair) => match <[Value; 2]>::try_from(pair) {
                        Ok([Value::String(category), Value::String(message)]) => {
                            Some(Flash { category, message })
                        }
                        _ => None,
                    },
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?,
            Some(_) => return None,
        };
        Some(Self {
            data,
            flashes,
            created_at: Some(created_at),
            lifetime,
            max_lifetime: None,
            user,
            logged_in_at,
            id,
            deadline: None,
            expires_at: Some(verified.expires_at),
            source: SessionSource::Cookie,
            modified: false,
            reissue: verified.key_used.is_fallback(),
            chunks: ChunkSet::default(),
        })
    }
}

/// The headers a response must get for a saved session: one `Set-Cookie` per cookie,
/// plus `Vary: Cookie` and `Cache-Control: private`. `Debug` does not show the cookies'
/// values.
///
/// There is one cookie unless the session is split into chunks
/// ([`CookieConfigBuilder::max_chunks`](crate::CookieConfigBuilder::max_chunks)): then
/// the chunks come first, in order, followed by removal cookies for the chunks the
/// request carried that the session no longer uses.
#[derive(Clone)]
pub struct SetCookie {
    /// Never empty: the session cookie (or its removal) comes first.
    cookies: Vec<Cookie<'static>>,
    removal: bool,
}

impl fmt::Debug for SetCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.cookies.iter().map(Cookie::name).collect();
        f.debug_struct("SetCookie")
            .field("names", &names)
            .field("removal", &self.removal)
            .finish_non_exhaustive()
    }
}

impl SetCookie {
    /// The `Vary` and `Cache-Control` headers that go with every `Set-Cookie`.
    pub const CACHE_HEADERS: [(&'static str, &'static str); 2] =
        [("vary", "Cookie"), ("cache-control", "private")];

    fn new(cookies: Vec<Cookie<'static>>, removal: bool) -> Option<Self> {
        (!cookies.is_empty()).then_some(Self { cookies, removal })
    }

    /// The session cookie, or its first chunk (see [`SetCookie::cookies`] for all).
    #[allow(clippy::indexing_slicing)] // `SetCookie::new` never makes an empty list
    pub fn cookie(&self) -> &Cookie<'static> {
        &self.cookies[0]
    }

    /// Every cookie to set, in order: the session cookie or its chunks, then removal
    /// cookies for chunks no longer used. Without chunking, exactly one cookie.
    pub fn cookies(&self) -> &[Cookie<'static>] {
        &self.cookies
    }

    /// Whether the session was removed (it was emptied or was invalid): every cookie is
    /// a removal cookie.
    pub fn is_removal(&self) -> bool {
        self.removal
    }

    /// The `Set-Cookie` header value of the first cookie ([`SetCookie::cookie`]). With
    /// chunking there may be more: use [`SetCookie::header_values`].
    pub fn header_value(&self) -> String {
        self.cookie().to_string()
    }

    /// The `Set-Cookie` header values of every cookie, in order.
    pub fn header_values(&self) -> Vec<String> {
        self.cookies.iter().map(Cookie::to_string).collect()
    }

    /// Every header to add to the response, with lower-case names: one `set-cookie`
    /// per cookie, then `vary: Cookie` and `cache-control: private`. Add them with
    /// `append`, not `insert`, so that every `Set-Cookie` and other `Vary` headers are
    /// kept.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers: Vec<(&'static str, String)> = self
            .header_values()
            .into_iter()
            .map(|value| ("set-cookie", value))
            .collect();
        headers.extend(
            Self::CACHE_HEADERS
                .iter()
                .map(|(name, value)| (*name, (*value).to_owned())),
        );
        headers
    }
}

type Validator = dyn Fn(&Session) -> bool + Send + Sync;

type Clock = dyn Fn() -> OffsetDateTime + Send + Sync;

/// A new session id: 16 random bytes in base64url.
fn new_session_id() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| Error::Key(crate::error::KeyError::Random))?;
    Ok(crate::encoding::encode(&bytes))
}

/// Whether `id` is a session id as a cookie may carry it: 1 to 64 base64url characters.
fn is_session_id(id: &str) -> bool {
    (1..=MAX_SESSION_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Turns requests' cookies into [`Session`]s and sessions into response headers, with
/// an expiry policy and an optional revocation check.
///
/// Cheap to clone and `Send + Sync`: build one at start-up and share it.
#[derive(Clone)]
pub struct SessionConfig {
    inner: Arc<Inner>,
}

struct Inner {
    cookie: CookieConfig,
    idle_timeout: Duration,
    absolute_lifetime: Duration,
    max_lifetime: Option<Duration>,
    refresh_interval: Duration,
    validator: Option<Box<Validator>>,
    revocation: Option<Arc<dyn Revocation>>,
    clock: Option<Box<Clock>>,
}

impl fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionConfig")
            .field("cookie", &self.inner.cookie)
            .field("idle_timeout", &self.inner.idle_timeout)
            .field("absolute_lifetime", &self.inner.absolute_lifetime)
            .field("max_lifetime", &self.inner.max_lifetime)
            .field("refresh_interval", &self.inner.refresh_interval)
            .field("validator", &self.inner.validator.is_some())
            .field("revocation", &self.inner.revocation.is_some())
            .field("clock", &self.inner.clock.is_some())
            .finish()
    }
}

/// Settings for a [`SessionConfig`]; made by [`SessionConfig::builder`].
#[must_use]
pub struct SessionConfigBuilder {
    inner: Inner,
}

impl fmt::Debug for SessionConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionConfigBuilder")
            .finish_non_exhaustive()
    }
}

impl SessionConfigBuilder {
    /// How long a session lasts without a request (sliding expiry). Values below one
    /// second count as one second; an expiry past the end of the time range (year 9999)
    /// means no limit and is written as that last second.
    ///
    /// Defaults to [`DEFAULT_IDLE_TIMEOUT`] (24 hours).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.inner.idle_timeout = timeout.max(Duration::SECOND);
        self
    }

    /// How long a session lasts at most after it was created, however active. Values
    /// below one second count as one second; a lifetime that reaches past the end of the
    /// time range means no limit.
    ///
    /// Defaults to [`DEFAULT_ABSOLUTE_LIFETIME`] (14 days).
    pub fn absolute_lifetime(mut self, lifetime: Duration) -> Self {
        self.inner.absolute_lifetime = lifetime.max(Duration::SECOND);
        self
    }

    /// The longest lifetime one session may ask for with [`Session::set_lifetime`]
    /// ("remember me"); asking for more is [`Error::LifetimeTooLong`]. A session with
    /// its own lifetime may last that long from its creation, past the absolute
    /// lifetime. Values below one second count as one second. Lowering it also
    /// shortens the sessions already issued with a longer lifetime.
    ///
    /// Defaults to the absolute lifetime.
    pub fn max_lifetime(mut self, lifetime: Duration) -> Self {
        self.inner.max_lifetime = Some(lifetime.max(Duration::SECOND));
        self
    }

    /// The least extension of the expiry worth a new cookie: an unchanged session is
    /// re-issued only when its expiry would move by at least this much. Zero refreshes
    /// on every request in a new second.
    ///
    /// Defaults to [`DEFAULT_REFRESH_INTERVAL`] (5 minutes).
    pub fn refresh_interval(mut self, interval: Duration) -> Self {
        self.inner.refresh_interval = interval.max(Duration::ZERO);
        self
    }

    /// A check run on every validly signed, unexpired session as it is loaded;
    /// returning `false` rejects it (the request gets a fresh session with source
    /// [`SessionSource::Revoked`]). Use it to end sessions early, for example by
    /// comparing a per-user session version stored in the session with the one in
    /// your database.
    ///
    /// Defaults to no check.
    pub fn validate(mut self, check: impl Fn(&Session) -> bool + Send + Sync + 'static) -> Self {
        self.inner.validator = Some(Box::new(check));
        self
    }

    /// A revocation store, asked on every validly signed, unexpired session after the
    /// [`validate`](SessionConfigBuilder::validate) check; a revoked session gives the
    /// request a fresh session with source [`SessionSource::Revoked`] and deletes the
    /// cookie. See [`crate::revocation`]. Load sessions with
    /// [`SessionConfig::load_async`] (the framework integrations do); the synchronous
    /// [`SessionConfig::load`] can use only a store that answers at once, such as
    /// [`MemoryRevocation`](crate::MemoryRevocation).
    ///
    /// Defaults to no store.
    pub fn revocation(mut self, store: impl Revocation) -> Self {
        self.inner.revocation = Some(Arc::new(store));
        self
    }

    /// The clock that every call without an `_at` suffix ([`SessionConfig::load`],
    /// [`SessionConfig::load_async`], [`SessionConfig::save`], …) reads the current
    /// time from. For tests, and for simulating a server whose clock is off
    /// (`examples/` reads an offset from `SESSIONLIB_CLOCK_SKEW_SECONDS`); clocks that
    /// differ between servers are tolerated with
    /// [`CookieConfigBuilder::leeway`](crate::CookieConfigBuilder::leeway).
    ///
    /// Defaults to the system clock, [`OffsetDateTime::now_utc`].
    pub fn clock(mut self, clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Self {
        self.inner.clock = Some(Box::new(clock));
        self
    }

    /// Builds the configuration.
    pub fn build(self) -> SessionConfig {
        SessionConfig {
            inner: Arc::new(self.inner),
        }
    }
}

impl SessionConfig {
    /// Starts a configuration around a cookie configuration. Expiry comes from the
    /// session settings; the cookie configuration's time-to-live is not used.
    pub fn builder(cookie: CookieConfig) -> SessionConfigBuilder {
        SessionConfigBuilder {
            inner: Inner {
                cookie,
                idle_timeout: DEFAULT_IDLE_TIMEOUT,
                absolute_lifetime: DEFAULT_ABSOLUTE_LIFETIME,
                max_lifetime: None,
                refresh_interval: DEFAULT_REFRESH_INTERVAL,
                validator: None,
                revocation: None,
                clock: None,
            },
        }
    }

    /// The cookie configuration.
    pub fn cookie(&self) -> &CookieConfig {
        &self.inner.cookie
    }

    /// The longest lifetime one session may ask for; see
    /// [`SessionConfigBuilder::max_lifetime`].
    pub fn max_lifetime(&self) -> Duration {
        self.inner
            .max_lifetime
            .unwrap_or(self.inner.absolute_lifetime)
    }

    /// How long after its creation `session` may last: the absolute lifetime, or its
    /// own lifetime when that is longer (up to the maximum).
    fn lifetime_cap(&self, session: &Session) -> Duration {
        let own = session
            .lifetime
            .map_or(Duration::ZERO, |l| l.min(self.max_lifetime()));
        self.inner.absolute_lifetime.max(own)
    }

    /// A loaded session, told the longest lifetime it may ask for.
    fn bound(&self, mut session: Session) -> Session {
        session.max_lifetime = Some(self.max_lifetime());
        session
    }

    /// The current time, from the [configured clock](SessionConfigBuilder::clock).
    pub fn now(&self) -> OffsetDateTime {
        match &self.inner.clock {
            Some(clock) => clock(),
            None => OffsetDateTime::now_utc(),
        }
    }

    /// The session of a request, from its raw `Cookie:` header value (pass `""` when
    /// there is none; join several `Cookie:` headers with `"; "`). Never fails: see
    /// "Loading never fails" in the module docs.
    ///
    /// With a [revocation store](SessionConfigBuilder::revocation) that does not
    /// answer at once (one that does I/O), use [`SessionConfig::load_async`]: this
    /// synchronous call cannot wait for it, and gives such sessions source
    /// [`SessionSource::RevocationUnavailable`].
    pub fn load(&self, cookie_header: impl AsRef<[u8]>) -> Session {
        self.load_at(cookie_header, self.now())
    }

    /// Like [`SessionConfig::load`], with `now` as the current time.
    pub fn load_at(&self, cookie_header: impl AsRef<[u8]>, now: OffsetDateTime) -> Session {
        let session = self.load_unchecked_at(cookie_header, now);
        self.bound(self.check_now(session))
    }

    /// The session of a request, from a [`CookieJar`]. As [`SessionConfig::load`]
    /// for revocation.
    ///
    /// A `CookieJar` keeps one cookie per name, so two cookies of the session's name
    /// (see "Cookie tossing" in the [`cookie`](crate::cookie) module) are already
    /// reduced to one when the jar is built, and the ambiguity cannot be seen here.
    /// Prefer [`SessionConfig::load`] with the raw `Cookie:` header, or keep the
    /// default `__Host-` cookie name, which other hosts cannot set.
    pub fn load_jar(&self, jar: &CookieJar) -> Session {
        self.load_jar_at(jar, self.now())
    }

    /// Like [`SessionConfig::load_jar`], with `now` as the current time.
    pub fn load_jar_at(&self, jar: &CookieJar, now: OffsetDateTime) -> Session {
        let (result, chunks) = self.inner.cookie.decode_jar_chunks_at(jar, now);
        let mut session = self.session_from(result, now);
        session.chunks = chunks;
        self.bound(self.check_now(session))
    }

    /// The session of a request, like [`SessionConfig::load`], waiting for the
    /// [revocation store](SessionConfigBuilder::revocation) when there is one.
    pub async fn load_async(&self, cookie_header: impl AsRef<[u8]>) -> Session {
        self.load_async_at(cookie_header, self.now()).await
    }

    /// Like [`SessionConfig::load_async`], with `now` as the current time.
    pub async fn load_async_at(
        &self,
        cookie_header: impl AsRef<[u8]>,
        now: OffsetDateTime,
    ) -> Session {
        let session = self.load_unchecked_at(cookie_header, now);
        let session = match &self.inner.revocation {
            Some(store) if session.source == SessionSource::Cookie => {
                let verdict = store.is_revoked(&session).await;
                Self::apply_verdict(session, verdict)
            }
            _ => session,
        };
        self.bound(session)
    }

    /// Asks the [revocation store](SessionConfigBuilder::revocation) about `session`
    /// (for example at login, to refuse a banned user): `Ok(false)` when there is no
    /// store. The loading calls already ask it for every valid cookie.
    pub async fn is_revoked(&self, session: &Session) -> Result<bool, RevocationError> {
        match &self.inner.revocation {
            Some(store) => store.is_revoked(session).await,
            None => Ok(false),
        }
    }

    /// The session of a request after every synchronous check, before the revocation
    /// store.
    fn load_unchecked_at(&self, cookie_header: impl AsRef<[u8]>, now: OffsetDateTime) -> Session {
        let (result, chunks) = self
            .inner
            .cookie
            .decode_header_chunks_at(cookie_header, now);
        let mut session = self.session_from(result, now);
        session.chunks = chunks;
        session
    }

    /// Asks the revocation store without waiting: a store that does not answer at once
    /// makes the session unavailable.
    fn check_now(&self, session: Session) -> Session {
        let Some(store) = &self.inner.revocation else {
            return session;
        };
        if session.source != SessionSource::Cookie {
            return session;
        }
        let verdict = {
            let mut future = store.is_revoked(&session);
            let mut cx = Context::from_waker(Waker::noop());
            match future.as_mut().poll(&mut cx) {
                Poll::Ready(verdict) => verdict,
                Poll::Pending => Err(RevocationError::unavailable()),
            }
        };
        Self::apply_verdict(session, verdict)
    }

    fn apply_verdict(session: Session, verdict: Result<bool, RevocationError>) -> Session {
        let source = match verdict {
            Ok(false) => return session,
            Ok(true) => SessionSource::Revoked,
            Err(_) => SessionSource::RevocationUnavailable,
        };
        let mut fresh = Session::fresh(source);
        fresh.chunks = session.chunks;
        fresh
    }

    fn session_from(
        &self,
        result: Result<Option<Verified<Map<String, Value>>>, Error>,
        now: OffsetDateTime,
    ) -> Session {
        let verified = match result {
            Ok(Some(verified)) => verified,
            Ok(None) => return Session::fresh(SessionSource::NoCookie),
            Err(Error::Expired { .. }) => return Session::fresh(SessionSource::Expired),
            Err(Error::AmbiguousCookie) => return Session::fresh(SessionSource::Ambiguous),
            Err(_) => return Session::fresh(SessionSource::Invalid),
        };
        let Some(mut session) = Session::from_object(verified) else {
            return Session::fresh(SessionSource::Invalid);
        };
        // A deadline past the end of the time range is no limit.
        // A lifetime issued under a larger maximum than today's is shortened to it (and
        // the cookie re-issued so), never refused.
        let max = self.max_lifetime();
        if session.lifetime.is_some_and(|lifetime| lifetime > max) {
            session.lifetime = Some(max);
            session.modified = true;
        }
        let cap = self.lifetime_cap(&session);
        let deadline = session
            .created_at
            .and_then(|created| created.checked_add(cap));
        if deadline.is_some_and(|deadline| now >= deadline) {
            return Session::fresh(SessionSource::Expired);
        }
        session.deadline = deadline;
        if let Some(check) = &self.inner.validator {
            if !check(&session) {
                return Session::fresh(SessionSource::Revoked);
            }
        }
        session
    }

    /// The headers to send for `session` at the end of a request, or `None` when no
    /// cookie needs to be sent. See "When a cookie is sent" in the module docs.
    ///
    /// Fails with [`Error::CookieTooLarge`] when the session does not fit in a cookie,
    /// and [`Error::ExpiryOutOfRange`] or [`Error::Serialize`] in the unlikely case that
    /// the expiry or data cannot be written.
    pub fn save(&self, session: &Session) -> Result<Option<SetCookie>, Error> {
        self.save_at(session, self.now())
    }

    /// Like [`SessionConfig::save`], with `now` as the current time.
    pub fn save_at(
        &self,
        session: &Session,
        now: OffsetDateTime,
    ) -> Result<Option<SetCookie>, Error> {
        // A cookie is removed only when it was read and found wanting (or the session
        // was emptied); never when there was none, when the header was ambiguous
        // (cookie tossing), or when the revocation store could not be asked.
        let had_cookie = !matches!(
            session.source,
            SessionSource::NoCookie
                | SessionSource::Ambiguous
                | SessionSource::RevocationUnavailable
        );
        if session.is_empty() {
            return Ok(self.removal(session, had_cookie));
        }
        let logged_in_at = session
            .user
            .as_ref()
            .map(|_| session.logged_in_at.unwrap_or(now));
        let now = now
            .replace_nanosecond(0)
            .map_err(|_| Error::ExpiryOutOfRange)?;
        if let Some(lifetime) = session.lifetime {
            let max = self.max_lifetime();
            if lifetime > max {
                return Err(Error::LifetimeTooLong { max });
            }
        }
        let created_at = session.created_at.unwrap_or(now);
        let idle = session.lifetime.unwrap_or(self.inner.idle_timeout);
        // An idle timeout past the end of the time range is no limit (the last second).
        let sliding = crate::codec::expiry_after(now.unix_timestamp_nanos(), idle);
        let sliding =
            OffsetDateTime::from_unix_timestamp(sliding).map_err(|_| Error::ExpiryOutOfRange)?;
        let expires_at = match created_at.checked_add(self.lifetime_cap(session)) {
            Some(cap) => sliding.min(cap),
            None => sliding,
        };
        if expires_at <= now {
            // The absolute lifetime is over: the session cannot be kept.
            return Ok(self.removal(session, had_cookie));
        }
        let refresh_due = match session.expires_at {
            Some(current) => {
                expires_at - current >= self.inner.refresh_interval.max(Duration::SECOND)
            }
            None => true,
        };
        let loaded = session.source == SessionSource::Cookie;
        if loaded && !session.modified && !session.reissue && !refresh_due {
            return Ok(None);
        }
        let id = match &session.id {
            Some(id) => id.clone(),
            None => new_session_id()?,
        };
        let mut cookies = self
            .inner
            .cookie
            .encode_chunks_until(&session.to_object(created_at, logged_in_at, id), expires_at)?;
        // The browser keeps the cookie as long as a server may accept it: a server
        // whose clock runs behind wrote the expiry, the leeway covers that.
        let leeway = self.inner.cookie.codec().leeway();
        if leeway > Duration::ZERO {
            if let Some(until) = expires_at.checked_add(leeway) {
                for cookie in &mut cookies {
                    cookie.set_expires(until);
                }
            }
        }
        // Chunks the browser holds beyond the new ones would make the next request's
        // cookies an invalid session: remove them (never for an ambiguous request).
        if session.source != SessionSource::Ambiguous {
            let written = cookies.len();
            cookies.extend(
                session
                    .chunks
                    .iter()
                    .filter(|&i| i >= written)
                    .map(|i| self.inner.cookie.chunk_removal_cookie(i)),
            );
        }
        Ok(SetCookie::new(cookies, false))
    }

    /// The removal cookies for an emptied or ended session: for the session cookie and
    /// every other chunk name the request carried, when `had_cookie`.
    fn removal(&self, session: &Session, had_cookie: bool) -> Option<SetCookie> {
        if !had_cookie {
            return None;
        }
        let cookies = std::iter::once(0)
            .chain(session.chunks.iter().filter(|&i| i > 0))
            .map(|i| self.inner.cookie.chunk_removal_cookie(i))
            .collect();
        SetCookie::new(cookies, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Key, Keyring};
    use serde_json::json;
    use std::sync::atomic::{AtomicU64, Ordering};

    fn t0() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap()
    }

    fn key(byte: u8) -> Key {
        Key::from_bytes(&[byte; 32]).unwrap()
    }

    fn cookie_config(keyring: impl Into<Keyring>) -> CookieConfig {
        CookieConfig::builder(keyring)
            .name("session")
            .try_build()
            .unwrap()
    }

    fn sessions() -> SessionConfig {
        SessionConfig::builder(cookie_config(key(1)))
            .idle_timeout(Duration::minutes(30))
            .absolute_lifetime(Duration::hours(8))
            .refresh_interval(Duration::minutes(1))
            .build()
    }

    /// The `Cookie:` header a browser would send back after `update`.
    fn header(update: &SetCookie) -> String {
        format!("{}={}", update.cookie().name(), update.cookie().value())
    }

    /// Saves a new session holding `user` at `now` and returns the request header.
    fn logged_in(config: &SessionConfig, now: OffsetDateTime) -> String {
        let mut s = config.load_at("", now);
        s.insert("user", "cobra").unwrap();
        header(&config.save_at(&s, now).unwrap().unwrap())
    }

    #[test]
    fn map_operations_and_flags() {
        let mut s = Session::new();
        assert!(s.is_new() && s.is_empty() && !s.is_modified());
        assert_eq!(s.get::<String>("a"), None);
        s.insert("a", "x").unwrap();
        s.insert("n", &3u32).unwrap();
        assert!(s.is_modified());
        assert_eq!(s.get::<String>("a").as_deref(), Some("x"));
        assert_eq!(s.get::<u32>("n"), Some(3));
        assert_eq!(s.get::<u32>("a"), None);
        assert!(matches!(s.try_get::<u32>("a"), Err(Error::Deserialize(_))));
        assert_eq!(s.try_get::<u32>("missing"), Ok(None));
        assert_eq!(s.keys().collect::<Vec<_>>(), ["a", "n"]);
        assert_eq!(s.remove("a"), Ok(Some(json!("x"))));
        assert_eq!(s.len(), 1);
        for reserved in RESERVED_KEYS {
            assert_eq!(s.insert(reserved, &1), Err(Error::ReservedKey));
            assert_eq!(s.remove(reserved), Err(Error::ReservedKey));
        }
        s.clear();
        assert!(s.is_empty());
    }

    #[test]
    fn debug_hides_data() {
        let mut s = Session::new();
        s.insert("secret_key_name", "hunter2").unwrap();
        s.flash("info", "private message");
        let debug = format!("{s:?}");
        assert!(!debug.contains("hunter2") && !debug.contains("secret_key_name"));
        assert!(!debug.contains("private message"));
        let update = sessions().save_at(&s, t0()).unwrap().unwrap();
        let debug = format!("{update:?}");
        assert!(!debug.contains(update.cookie().value()), "{debug}");
    }

    #[test]
    fn unchanged_loaded_session_sends_no_cookie() {
        let c = sessions();
        // A new visitor who stores nothing gets no cookie.
        let s = c.load_at("", t0());
        assert_eq!(c.save_at(&s, t0()).unwrap().map(|u| u.header_value()), None);
        let h = logged_in(&c, t0());
        let mut s = c.load_at(&h, t0() + Duration::seconds(10));
        assert!(!s.is_new());
        assert_eq!(s.source(), SessionSource::Cookie);
        assert!(c
            .save_at(&s, t0() + Duration::seconds(10))
            .unwrap()
            .is_none());
        // Writing the same value again is not a change either.
        s.insert("user", "cobra").unwrap();
        assert!(!s.is_modified());
        assert!(c
            .save_at(&s, t0() + Duration::seconds(10))
            .unwrap()
            .is_none());
        s.insert("user", "viper").unwrap();
        let u = c
            .save_at(&s, t0() + Duration::seconds(10))
            .unwrap()
            .unwrap();
        assert!(!u.is_removal());
        let names: Vec<_> = u.headers().iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["set-cookie", "vary", "cache-control"]);
        assert_eq!(u.headers()[1].1, "Cookie");
        assert_eq!(u.headers()[2].1, "private");
        let s = c.load_at(header(&u), t0() + Duration::seconds(20));
        assert_eq!(s.get::<String>("user").as_deref(), Some("viper"));
    }

    #[test]
    fn flash_messages_are_shown_once() {
        let c = sessions();
        let mut s = c.load_at("", t0());
        s.flash("info", "Logged in successfully");
        s.flash("warning", "Second");
        let h = header(&c.save_at(&s, t0()).unwrap().unwrap());
        let mut s = c.load_at(&h, t0());
        assert_eq!(s.peek_flashes().len(), 2);
        assert!(!s.is_modified());
        let flashes = s.take_flashes();
        assert_eq!(
            flashes,
            [
                Flash {
                    category: "info".into(),
                    message: "Logged in successfully".into()
                },
                Flash {
                    category: "warning".into(),
                    message: "Second".into()
                },
            ]
        );
        assert!(s.take_flashes().is_empty());
        // Only flashes were stored: taking them empties the session and deletes it.
        let u = c.save_at(&s, t0()).unwrap().unwrap();
        assert!(u.is_removal());
        assert!(u.header_value().starts_with("session=; "));
    }

    #[test]
    fn clear_deletes_the_cookie() {
        let c = sessions();
        let h = logged_in(&c, t0());
        let mut s = c.load_at(&h, t0());
        s.clear();
        assert!(s.is_modified());
        let u = c.save_at(&s, t0()).unwrap().unwrap();
        assert!(u.is_removal());
        assert!(u.header_value().contains("Max-Age=0"));
        // Clear then new data: a new session with a new creation time.
        let later = t0() + Duration::minutes(5);
        let mut s = c.load_at(&h, later);
        s.clear();
        s.flash("info", "Logged out");
        let u = c.save_at(&s, later).unwrap().unwrap();
        assert!(!u.is_removal());
        let s = c.load_at(header(&u), later);
        assert_eq!(s.created_at(), Some(later));
        assert_eq!(s.get::<String>("user"), None);
    }

    #[test]
    fn rejected_cookies_give_fresh_sessions_and_are_removed() {
        let c = sessions();
        let h = logged_in(&c, t0());
        let mut tampered = h.clone().into_bytes();
        let last = tampered.len() - 5;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        for (header, source) in [
            (tampered, SessionSource::Invalid),
            (b"session=garbage".to_vec(), SessionSource::Invalid),
        ] {
            let s = c.load_at(&header, t0());
            assert_eq!(s.source(), source);
            assert!(s.is_new() && s.is_empty());
            let u = c.save_at(&s, t0()).unwrap().unwrap();
            assert!(u.is_removal());
        }
        // Two different valid cookies: no session, and no removal cookie (which could
        // delete the user's own cookie and leave a planted one).
        let other = logged_in(&c, t0() + Duration::seconds(1));
        let s = c.load_at(format!("{h}; session=x; {other}"), t0());
        assert_eq!(s.source(), SessionSource::Ambiguous);
        assert!(s.is_new() && s.is_empty());
        assert!(c.save_at(&s, t0()).unwrap().is_none());
        // Signed with another key: invalid.
        let other = SessionConfig::builder(cookie_config(key(2))).build();
        let s = other.load_at(&h, t0());
        assert_eq!(s.source(), SessionSource::Invalid);
    }

    #[test]
    fn invalid_reserved_keys_are_rejected() {
        let c = sessions();
        let codec = c.cookie();
        let expires = t0() + Duration::minutes(10);
        for object in [
            json!({"user": "x"}),
            json!({"_created": "1700000000"}),
            json!({"_created": 1_700_000_000, "_lifetime": -5}),
            json!({"_created": 1_700_000_000, "_flashes": [["info"]]}),
            json!({"_created": 1_700_000_000, "_flashes": {"a": "b"}}),
            json!([1, 2]),
        ] {
            let cookie = codec.encode_until(&object, expires).unwrap();
            let s = c.load_at(format!("session={}", cookie.value()), t0());
            assert_eq!(s.source(), SessionSource::Invalid, "{object}");
        }
        let ok = json!({"_created": 1_700_000_000, "_flashes": [["info", "hi"]], "_lifetime": 60});
        let cookie = codec.encode_until(&ok, expires).unwrap();
        let s = c.load_at(format!("session={}", cookie.value()), t0());
        assert_eq!(s.source(), SessionSource::Cookie);
        assert_eq!(s.lifetime(), Some(Duration::minutes(1)));
        assert_eq!(s.peek_flashes()[0].message, "hi");
    }

    #[test]
    fn idle_timeout_slides_with_throttled_refresh() {
        let c = sessions(); // idle 30 min, refresh interval 1 min, absolute 8 h
        let h = logged_in(&c, t0());
        let s = c.load_at(&h, t0());
        assert_eq!(s.expires_at(), Some(t0() + Duration::minutes(30)));
        // 59 seconds later: not worth a new cookie.
        let t = t0() + Duration::seconds(59);
        assert!(c.save_at(&c.load_at(&h, t), t).unwrap().is_none());
        // 60 seconds later: refreshed, expiry slides.
        let t = t0() + Duration::seconds(60);
        let u = c.save_at(&c.load_at(&h, t), t).unwrap().unwrap();
        let s = c.load_at(header(&u), t);
        assert_eq!(s.expires_at(), Some(t + Duration::minutes(30)));
        assert_eq!(s.created_at(), Some(t0()));
        // The old cookie expires after 30 idle minutes; the refreshed one lives on.
        let t = t0() + Duration::minutes(30);
        assert_eq!(c.load_at(&h, t).source(), SessionSource::Expired);
        assert_eq!(c.load_at(header(&u), t).source(), SessionSource::Cookie);
    }

    #[test]
    fn absolute_lifetime_caps_the_session() {
        let c = sessions(); // idle 30 min, absolute 8 h
        let mut h = logged_in(&c, t0());
        // Active every 20 minutes: always refreshed, never past idle.
        let mut t = t0();
        let cap = t0() + Duration::hours(8);
        let mut last_expiry = None;
        while t + Duration::minutes(20) < cap {
            t += Duration::minutes(20);
            let s = c.load_at(&h, t);
            assert_eq!(s.source(), SessionSource::Cookie, "at {t}");
            if let Some(u) = c.save_at(&s, t).unwrap() {
                h = header(&u);
                let exp = c.load_at(&h, t).expires_at().unwrap();
                assert!(exp <= cap);
                last_expiry = Some(exp);
            }
        }
        assert_eq!(last_expiry, Some(cap));
        // Near the cap, no more refreshes are sent (the expiry cannot move).
        let s = c.load_at(&h, cap - Duration::minutes(1));
        assert!(c.save_at(&s, cap - Duration::minutes(1)).unwrap().is_none());
        // At the cap the session is over, whatever the idle timeout says.
        assert_eq!(c.load_at(&h, cap).source(), SessionSource::Expired);
        // A cookie signed with a later expiry is still capped by its creation time.
        let long = c
            .cookie()
            .encode_until(
                &json!({"_created": t0().unix_timestamp(), "u": 1}),
                cap + Duration::hours(5),
            )
            .unwrap();
        let s = c.load_at(
            format!("session={}", long.value()),
            cap + Duration::seconds(1),
        );
        assert_eq!(s.source(), SessionSource::Expired);
        // regenerate() starts the absolute lifetime again.
        let mut s = c.load_at(&h, cap - Duration::minutes(1));
        s.regenerate();
        let u = c.save_at(&s, cap - Duration::minutes(1)).unwrap().unwrap();
        let s = c.load_at(header(&u), cap + Duration::minutes(10));
        assert_eq!(s.source(), SessionSource::Cookie);
    }

    #[test]
    fn remember_me_sets_a_per_session_lifetime() {
        let c = SessionConfig::builder(cookie_config(key(1)))
            .idle_timeout(Duration::minutes(30))
            .absolute_lifetime(Duration::days(30))
            .build();
        let mut s = c.load_at("", t0());
        s.insert("user", "cobra").unwrap();
        s.set_lifetime(Duration::days(7)).unwrap();
        let h = header(&c.save_at(&s, t0()).unwrap().unwrap());
        let s = c.load_at(&h, t0() + Duration::days(6));
        assert_eq!(s.source(), SessionSource::Cookie);
        assert_eq!(s.lifetime(), Some(Duration::days(7)));
        assert_eq!(
            c.load_at(&h, t0() + Duration::days(7)).source(),
            SessionSource::Expired
        );
        // Without it, the configured idle timeout applies.
        let h = logged_in(&c, t0());
        assert_eq!(
            c.load_at(&h, t0() + Duration::minutes(31)).source(),
            SessionSource::Expired
        );
    }

    /// The "remember me" trap: a per-session lifetime is honoured past a shorter
    /// absolute lifetime, up to `max_lifetime`, and asking for more is an error.
    #[test]
    fn remember_me_is_honoured_up_to_the_maximum_and_never_silently_capped() {
        let c = SessionConfig::builder(cookie_config(key(1)))
            .idle_timeout(Duration::minutes(30))
            .absolute_lifetime(Duration::hours(12))
            .max_lifetime(Duration::days(30))
            .build();
        let mut s = c.load_at("", t0());
        s.insert("user", "cobra").unwrap();
        s.set_lifetime(Duration::days(30)).unwrap();
        let update = c.save_at(&s, t0()).unwrap().unwrap();
        assert_eq!(
            update.cookie().expires_datetime(),
            Some(t0() + Duration::days(30))
        );
        let h = header(&update);
        let later = c.load_at(&h, t0() + Duration::days(29));
        assert_eq!(later.source(), SessionSource::Cookie, "past the 12 h cap");
        assert_eq!(later.deadline(), Some(t0() + Duration::days(30)));
        assert_eq!(
            c.load_at(&h, t0() + Duration::days(30)).source(),
            SessionSource::Expired
        );
        // An ordinary session keeps the short cap.
        let h = logged_in(&c, t0());
        let active = c.load_at(&h, t0() + Duration::minutes(20));
        let at = t0() + Duration::hours(11) + Duration::minutes(50);
        let mut active = active;
        active.insert("seen", &1).unwrap();
        let update = c.save_at(&active, at).unwrap().unwrap();
        assert_eq!(
            update.cookie().expires_datetime(),
            Some(t0() + Duration::hours(12))
        );
        // More than the maximum: an error, at once for a loaded session ...
        let mut s = c.load_at("", t0());
        assert_eq!(
            s.set_lifetime(Duration::days(31)),
            Err(Error::LifetimeTooLong {
                max: Duration::days(30)
            })
        );
        assert_eq!(s.lifetime(), None);
        // ... and at save time for a session made without the configuration.
        let mut s = Session::new();
        s.insert("user", "cobra").unwrap();
        s.set_lifetime(Duration::days(31)).unwrap();
        assert_eq!(
            c.save_at(&s, t0()).unwrap_err(),
            Error::LifetimeTooLong {
                max: Duration::days(30)
            }
        );
        // By default the maximum is the absolute lifetime: no silent 14-day cap.
        let d = SessionConfig::builder(cookie_config(key(1))).build();
        assert_eq!(d.max_lifetime(), DEFAULT_ABSOLUTE_LIFETIME);
        assert!(d.load("").set_lifetime(Duration::days(30)).is_err());
        // Lowering the maximum shortens sessions already issued.
        let mut s = c.load_at("", t0());
        s.insert("user", "cobra").unwrap();
        s.set_lifetime(Duration::days(30)).unwrap();
        let h = header(&c.save_at(&s, t0()).unwrap().unwrap());
        let lowered = SessionConfig::builder(cookie_config(key(1)))
            .absolute_lifetime(Duration::hours(12))
            .max_lifetime(Duration::days(7))
            .build();
        assert_eq!(
            lowered.load_at(&h, t0() + Duration::days(6)).source(),
            SessionSource::Cookie
        );
        assert_eq!(
            lowered.load_at(&h, t0() + Duration::days(8)).source(),
            SessionSource::Expired
        );
        let kept = lowered.load_at(&h, t0() + Duration::days(1));
        assert_eq!(kept.lifetime(), Some(Duration::days(7)));
        let reissued = lowered.save_at(&kept, t0() + Duration::days(1)).unwrap();
        assert_eq!(
            reissued.unwrap().cookie().expires_datetime(),
            Some(t0() + Duration::days(7))
        );
    }

    #[test]
    fn revocation_hook_rejects_valid_sessions() {
        let current_version = Arc::new(AtomicU64::new(1));
        let v = Arc::clone(&current_version);
        let c = SessionConfig::builder(cookie_config(key(1)))
            .validate(move |s| s.get::<u64>("version") == Some(v.load(Ordering::SeqCst)))
            .build();
        let mut s = c.load_at("", t0());
        s.insert("version", &1u64).unwrap();
        let h = header(&c.save_at(&s, t0()).unwrap().unwrap());
        assert_eq!(c.load_at(&h, t0()).source(), SessionSource::Cookie);
        current_version.store(2, Ordering::SeqCst);
        let s = c.load_at(&h, t0());
        assert_eq!(s.source(), SessionSource::Revoked);
        assert!(s.is_empty());
        assert!(c.save_at(&s, t0()).unwrap().unwrap().is_removal());
        // The hook is not even asked about an empty request.
        assert_eq!(c.load_at("", t0()).source(), SessionSource::NoCookie);
    }

    #[test]
    fn fallback_key_sessions_are_reissued_with_the_primary_key() {
        let old = sessions();
        let h = logged_in(&old, t0());
        let rotated =
            SessionConfig::builder(cookie_config(Keyring::new(key(2)).with_fallback(key(1))))
                .idle_timeout(Duration::minutes(30))
                .build();
        let t = t0() + Duration::seconds(1);
        let s = rotated.load_at(&h, t);
        assert_eq!(s.get::<String>("user").as_deref(), Some("cobra"));
        let u = rotated.save_at(&s, t).unwrap().unwrap();
        let new_only = SessionConfig::builder(cookie_config(key(2))).build();
        assert_eq!(new_only.load_at(&h, t).source(), SessionSource::Invalid);
        let s = new_only.load_at(header(&u), t);
        assert_eq!(s.get::<String>("user").as_deref(), Some("cobra"));
        // Once re-issued, no further cookie.
        let s = rotated.load_at(header(&u), t);
        assert!(rotated.save_at(&s, t).unwrap().is_none());
    }

    #[test]
    fn too_large_sessions_are_an_error() {
        let c = sessions();
        let mut s = c.load_at("", t0());
        s.insert("blob", &"x".repeat(4000)).unwrap();
        assert!(matches!(
            c.save_at(&s, t0()),
            Err(Error::CookieTooLarge { .. })
        ));
    }

    #[test]
    fn configs_are_shareable_between_threads() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<SessionConfig>();
        assert_send_sync::<CookieConfig>();
        assert_send_sync::<Session>();
    }

    #[test]
    fn session_ids_are_made_kept_and_renewed() {
        let c = sessions();
        let mut s = c.load_at("", t0());
        assert_eq!(s.id(), None);
        s.insert("a", &1).unwrap();
        let h = header(&c.save_at(&s, t0()).unwrap().unwrap());
        let s = c.load_at(&h, t0());
        let id = s.id().unwrap().to_owned();
        assert_eq!(id.len(), 22);
        assert!(is_session_id(&id));
        assert_eq!(s.deadline(), Some(t0() + Duration::hours(8)));
        // Kept through changes and refreshes.
        let mut s = c.load_at(&h, t0() + Duration::minutes(2));
        s.insert("a", &2).unwrap();
        let h2 = header(&c.save_at(&s, t0() + Duration::minutes(2)).unwrap().unwrap());
        assert_eq!(c.load_at(&h2, t0()).id(), Some(id.as_str()));
        // A new one at login (and regenerate), none after clear.
        let mut s = c.load_at(&h2, t0());
        s.log_in("cobra");
        let new_id = s.id().unwrap().to_owned();
        assert_ne!(new_id, id);
        let h3 = header(&c.save_at(&s, t0()).unwrap().unwrap());
        assert_eq!(c.load_at(&h3, t0()).id(), Some(new_id.as_str()));
        s.clear();
        assert_eq!(s.id(), None);
        // The id is reserved, and a cookie with a bad one is invalid.
        let codec = c.cookie();
        let expires = t0() + Duration::minutes(10);
        for bad in [json!(""), json!(7), json!("a b"), json!("x".repeat(65))] {
            let cookie = codec
                .encode_until(
                    &json!({"_created": t0().unix_timestamp(), "_sid": bad}),
                    expires,
                )
                .unwrap();
            let s = c.load_at(format!("session={}", cookie.value()), t0());
            assert_eq!(s.source(), SessionSource::Invalid);
        }
        // A cookie from before ids existed is accepted and gets one when written.
        let cookie = codec
            .encode_until(&json!({"_created": t0().unix_timestamp(), "n": 1}), expires)
            .unwrap();
        let mut s = c.load_at(format!("session={}", cookie.value()), t0());
        assert_eq!((s.source(), s.id()), (SessionSource::Cookie, None));
        s.insert("n", &2).unwrap();
        let h4 = header(&c.save_at(&s, t0()).unwrap().unwrap());
        assert!(c.load_at(&h4, t0()).id().is_some());
    }

    #[test]
    fn the_clock_hook_drives_every_call_without_at() {
        let now = Arc::new(AtomicU64::new(1_700_000_000));
        let clock = Arc::clone(&now);
        let c = SessionConfig::builder(cookie_config(key(1)))
            .idle_timeout(Duration::minutes(30))
            .clock(move || {
                let secs = i64::try_from(clock.load(Ordering::SeqCst)).unwrap();
                OffsetDateTime::from_unix_timestamp(secs).unwrap()
            })
            .build();
        assert_eq!(c.now(), t0());
        let mut s = c.load("");
        s.insert("user", "cobra").unwrap();
        let h = header(&c.save(&s).unwrap().unwrap());
        let s = c.load(&h);
        assert_eq!(s.created_at(), Some(t0()));
        assert_eq!(s.expires_at(), Some(t0() + Duration::minutes(30)));
        now.fetch_add(29 * 60, Ordering::SeqCst);
        assert_eq!(c.load(&h).source(), SessionSource::Cookie);
        now.fetch_add(60, Ordering::SeqCst);
        assert_eq!(c.load(&h).source(), SessionSource::Expired);
        let s = futures_lite_block_on(c.load_async(&h));
        assert_eq!(s.source(), SessionSource::Expired);
    }

    /// Polls a future that never waits (no revocation store) to completion.
    fn futures_lite_block_on<F: std::future::Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
        }
    }

    #[test]
    fn the_expires_attribute_covers_the_leeway() {
        let cookie = CookieConfig::builder(key(1))
            .leeway(Duration::seconds(4))
            .try_build()
            .unwrap();
        let c = SessionConfig::builder(cookie)
            .idle_timeout(Duration::minutes(30))
            .build();
        let mut s = c.load_at("", t0());
        s.insert("a", &1).unwrap();
        let u = c.save_at(&s, t0()).unwrap().unwrap();
        let expires = t0() + Duration::minutes(30);
        assert_eq!(
            u.cookie().expires_datetime(),
            Some(expires + Duration::seconds(4))
        );
        // The signed expiry is unchanged; the leeway accepts it 4 s longer.
        let s = c.load_at(header(&u), t0());
        assert_eq!(s.expires_at(), Some(expires));
        let late = expires + Duration::seconds(3);
        assert_eq!(c.load_at(header(&u), late).source(), SessionSource::Cookie);
        let later = expires + Duration::seconds(4);
        assert_eq!(
            c.load_at(header(&u), later).source(),
            SessionSource::Expired
        );
    }

    #[test]
    fn jar_loading() {
        let c = sessions();
        let mut s = c.load_at("", t0());
        s.insert("user", "cobra").unwrap();
        let u = c.save_at(&s, t0()).unwrap().unwrap();
        let mut jar = CookieJar::new();
        jar.add_original(u.cookie().clone());
        let s = c.load_jar_at(&jar, t0());
        assert_eq!(s.get::<String>("user").as_deref(), Some("cobra"));
    }
}
