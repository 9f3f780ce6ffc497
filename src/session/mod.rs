//! Layer 6: sessions.
//!
//! A [`SessionData`] is a dynamic map of JSON values with flash messages, kept in one
//! signed cookie (layer 5, [`CookieConfig`]). A [`SessionConfig`] is the one place
//! that turns a request's `Cookie:` header into a `SessionData`
//! ([`SessionConfig::load`]) and a `SessionData` into the response headers to set
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
//! // default, see the `cookies` module).
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
//! malformed, forged, expired (idle timeout or absolute lifetime), ambiguous, revoked,
//! unreadable (a `Cookie:` header too large to read) or could not be checked (the
//! revocation store did not answer): an application never shows an error page for a
//! bad cookie.
//! [`SessionData::source`] says which it was, for logging.
//!
//! # When a cookie is sent
//!
//! [`SessionConfig::save`] returns `None` (no `Set-Cookie`) when nothing changed and no
//! refresh is due, so most responses carry no cookie. It also returns `None`, whatever
//! the handler did, for a session that proves nothing about the user's cookie: a
//! request whose `Cookie:` header was too large to read ([`SessionSource::Unreadable`],
//! cookie bombing) and a session the revocation store could not check
//! ([`SessionSource::RevocationUnavailable`]). Writing over the cookie then (a new
//! anonymous session, or a removal) would log the user out for good over something
//! that passes. Otherwise it returns a [`SetCookie`]:
//!
//! - an empty session (no data and no flash messages) gets no cookie; if the request
//!   carried one (valid or not), it gets a removal cookie, so [`SessionData::clear`] at
//!   logout deletes the cookie;
//! - except when the request's cookies were ambiguous ([`SessionSource::Ambiguous`]:
//!   two different valid session cookies, or more than
//!   [`MAX_SAME_NAME_COOKIES`](crate::cookies::MAX_SAME_NAME_COOKIES) of them). That
//!   session never gets a removal cookie, since the removal cookie (which has no
//!   `Domain`, or the configured one) could delete the user's own cookie and leave a
//!   cookie planted by another host to win on the next request (cookie tossing, see
//!   the [`cookies`](crate::cookies) module). If the handler stores data in it (for
//!   example at a new login), it gets a new cookie like any new session;
//! - a changed session, a session verified by a fallback key (re-issued with the
//!   primary key) and a session due for a refresh get a new cookie.
//!
//! With [chunking](crate::CookieConfigBuilder::max_chunks), "a cookie" above is the set
//! of chunk cookies: a [`SetCookie`] then holds every chunk, plus removal cookies for
//! the chunk names the request carried that the new session no longer uses, and a
//! removal removes every chunk name the request carried (see "Large sessions" in the
//! [`cookies`](crate::cookies) module). The ambiguity rule above covers chunks too.
//!
//! The cookie's `Expires` attribute is its signed expiry plus the cookie layer's
//! [leeway](crate::CookieConfigBuilder::leeway), so that the browser keeps sending it
//! for as long as a server may accept it.
//!
//! Every [`SetCookie`] also lists `Vary: Cookie` and `Cache-Control: private`
//! ([`SetCookie::headers`]), so a shared cache never stores one user's cookie and
//! serves it to another. If the response already has `Vary` or `Cache-Control`
//! headers, [`SetCookie::apply`] merges with them (the rule every framework
//! integration follows).
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
//! - **Remember me**: [`SessionData::set_lifetime`] gives one session its own lifetime
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
//! it without a database of your own, per user or per [session id](SessionData::id).
//!
//! # Metrics
//!
//! With feature `metrics`, every [`SessionConfig`] reports through the
//! [`metrics`](https://docs.rs/metrics) facade, so any exporter (Prometheus, StatsD,
//! OpenTelemetry…) receives them; without a recorder installed they cost nothing:
//!
//! | name | kind | labels |
//! | --- | --- | --- |
//! | `sessionlib_session_loads_total` | counter | `outcome`: `valid`, `valid_fallback_key`, `no_cookie`, `invalid`, `expired`, `revoked`, `ambiguous`, `unreadable`, `unavailable` |
//! | `sessionlib_session_saves_total` | counter | `outcome`: `written`, `removed`, `unchanged`, `failed` |
//! | `sessionlib_revocation_check_seconds` | histogram | (each question to the revocation store, [`SessionConfig::load_async`]) |
//! | `sessionlib_revocation_errors_total` | counter | (questions the store could not answer) |
//!
//! **When is a key rotation done?** `valid_fallback_key` counts the sessions that
//! verified only with a fallback key (each is re-issued with the primary key as it is
//! saved). Once it has stayed at zero for the longest lifetime a cookie can have (the
//! absolute or the maximum lifetime, whichever is longer), no valid cookie needs the
//! old key any more, and it can be removed.
//!
//! # Reserved keys
//!
//! The session's signed JSON object holds the application's keys and these, which
//! [`SessionData::insert`] and [`SessionData::remove`] refuse with [`Error::ReservedKey`]:
//!
//! - `_created`: when the session was created, in Unix seconds (for the absolute
//!   lifetime);
//! - `_lifetime`: the per-session idle timeout in seconds, when one was set;
//! - `_flashes`: the pending flash messages, a list of `[category, message]` pairs,
//!   present only when there are some;
//! - `_user` and `_login`: the user a session was logged in for and the moment of
//!   login in Unix milliseconds ([`SessionData::log_in`]);
//! - `_sid`: the session id ([`SessionData::id`]), 128 random bits in base64url, made when
//!   the session is first saved and anew by [`SessionData::regenerate`] and
//!   [`SessionData::log_in`]; it names one session for a revocation store's per-session
//!   deny list. A cookie without it (written before ids existed) is accepted and gets
//!   an id the next time it is written.
//!
//! A validly signed session whose reserved keys have the wrong type is treated as
//! invalid.

pub use data::{Flash, SessionData, SessionSource};
pub use policy::{SessionConfig, SessionConfigBuilder};
pub use registry::{describe_user_agent, SessionEntry};
pub use set_cookie::{ResponseHeaders, SetCookie};

use time::Duration;

#[cfg(doc)]
use crate::cookies::CookieConfig;
#[cfg(doc)]
use crate::error::Error;

mod data;
mod entries;
mod policy;
pub(crate) mod registry;
mod revoke;
mod set_cookie;
#[cfg(test)]
mod testing;
mod wire;

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

/// The idle timeout used when none is set: 24 hours.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::hours(24);

/// The absolute lifetime used when none is set: 14 days.
pub const DEFAULT_ABSOLUTE_LIFETIME: Duration = Duration::days(14);

/// The refresh interval used when none is set: 5 minutes.
pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::minutes(5);

/// The most sessions the registry keeps per user when no limit is set
/// ([`SessionConfigBuilder::registry_limit`]): 50.
pub const DEFAULT_REGISTRY_LIMIT: usize = 50;
