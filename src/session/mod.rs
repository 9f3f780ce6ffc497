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
//! # The session registry
//!
//! With [`registry`](SessionConfigBuilder::registry) on, the revocation store also
//! knows which sessions exist, for a "your devices" page: each logged-in session's id,
//! user, creation and last-seen times, the device (a short description of the
//! request's `User-Agent`, such as "Firefox on Linux", from [`describe_user_agent`])
//! and, only when the application passes one
//! ([`Session::set_client_address`](crate::Session::set_client_address)), the client's
//! address.
//!
//! ```
//! use sessionlib::{CookieConfig, Key, Keyring, MemoryRevocation, Session, SessionConfig};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let cookie = CookieConfig::builder(Keyring::new(Key::generate())).try_build()?;
//! let sessions = SessionConfig::builder(cookie)
//!     .revocation(MemoryRevocation::new())
//!     .registry(true)
//!     .build();
//!
//! // A login from a phone: the integrations (axum, actix-web) do this for each request.
//! let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Safari/604.1";
//! let phone = Session::for_request(sessions.load(""), sessions.clone(), Some(iphone.as_bytes()));
//! phone.log_in("cobra");
//! let cookie = phone.save()?.expect("a login writes the cookie");
//! phone.update_registry().await?;
//!
//! let devices = sessions.list_sessions("cobra").await?;
//! assert_eq!(devices.len(), 1);
//! assert_eq!(devices[0].device(), "Safari on iPhone");
//!
//! // "Log out" next to that device, from another session of the same user.
//! assert!(sessions.revoke_session_id("cobra", devices[0].id()).await?);
//! let header = format!("__Host-session={}", cookie.cookie().value());
//! assert!(sessions.load_async(&header).await.is_new()); // refused from now on
//! assert!(sessions.list_sessions("cobra").await?.is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! - **When it is written.** Loading a session never touches the registry. A session
//!   is recorded when its cookie is first written with a user (at login), and its
//!   entry (last seen, expiry) refreshed only when its cookie is re-issued into the
//!   next [refresh step](SessionConfigBuilder::refresh_interval): at most one write
//!   per session per refresh interval, however many requests it makes. So "last
//!   seen" is exact to within the refresh interval.
//! - **Leaving the list.** A session logged out ([`SessionData::clear`]), replaced by a
//!   new login or [regenerated](SessionData::regenerate), revoked one by one, by
//!   [`revoke_other_sessions`](SessionConfig::revoke_other_sessions) or with the whole
//!   user ([`revoke_user`](SessionConfig::revoke_user)) leaves the list, and a session
//!   that leaves the list is revoked too, so that no copy of its cookie outlives its
//!   entry. Entries expire with their sessions (Redis TTLs), and the list shows
//!   active sessions only, the most recently seen first.
//! - **The bound.** A user has at most
//!   [`registry_limit`](SessionConfigBuilder::registry_limit) sessions (50 by default).
//!   A login beyond it logs out the user's least recently seen session: the list
//!   always holds every session that can still be used.
//! - **When the store fails.** Writing the registry after a response is fail-open: the
//!   cookie is still sent, the failure is logged (and counted with feature `metrics`),
//!   and the entry is written at the session's next refresh. Listing and revoking
//!   fail with the store's [`RevocationError`](crate::RevocationError): show the user
//!   that it did not work. A session written without an id (by a release before ids
//!   existed) is listed once it is next written.
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
//! | `sessionlib_registry_writes_total` | counter | `outcome`: `recorded`, `removed`, `failed` ([the session registry](#the-session-registry)) |
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

pub use crate::data::{Flash, SessionData, SessionEntry, SessionSource, RESERVED_KEYS};
#[cfg(any(feature = "tower", feature = "actix", feature = "rocket"))]
pub(crate) use policy::Loading;
pub use policy::{SessionConfig, SessionConfigBuilder};
pub use registry::describe_user_agent;
pub use set_cookie::{ResponseHeaders, SetCookie};

use time::Duration;

#[cfg(doc)]
use crate::cookies::CookieConfig;
#[cfg(doc)]
use crate::error::Error;

#[cfg(test)]
mod data_tests;
pub(crate) mod observe;
mod policy;
pub(crate) mod registry;
mod revoke;
mod set_cookie;
#[cfg(test)]
mod testing;
mod wire;

/// The idle timeout used when none is set: 24 hours.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::hours(24);

/// The absolute lifetime used when none is set: 14 days.
pub const DEFAULT_ABSOLUTE_LIFETIME: Duration = Duration::days(14);

/// The refresh interval used when none is set: 5 minutes.
pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::minutes(5);

/// The most sessions the registry keeps per user when no limit is set
/// ([`SessionConfigBuilder::registry_limit`]): 50.
pub const DEFAULT_REGISTRY_LIMIT: usize = 50;
