//! [`SessionConfig`]: loading and saving sessions, with the expiry policy and the
//! revocation check.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use ::cookie::CookieJar;
use time::{Duration, OffsetDateTime};

use super::{
    SessionData, SessionSource, SetCookie, DEFAULT_ABSOLUTE_LIFETIME, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_REFRESH_INTERVAL,
};
use crate::clock::IntoDuration;
use crate::codec::Verified;
use crate::cookies::{CookieConfig, MAX_COOKIE_HEADER_LEN};
use crate::data::entries::Loaded;
use crate::data::new_session_id;
use crate::error::Error;
use crate::revocation::{Revocation, RevocationError};

type Validator = dyn Fn(&SessionData) -> bool + Send + Sync;

/// Turns requests' cookies into [`SessionData`]s and sessions into response headers, with
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
    revocation_margin: Option<Duration>,
    browser_session: bool,
    /// The most sessions the registry lists per user; `None`: no registry.
    registry: Option<usize>,
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
            .field("revocation_margin", &self.revocation_margin())
            .field("browser_session", &self.inner.browser_session)
            .field("registry", &self.inner.registry)
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
    pub fn idle_timeout(mut self, timeout: impl IntoDuration) -> Self {
        self.inner.idle_timeout = timeout.into_duration().max(Duration::SECOND);
        self
    }

    /// How long a session lasts at most after it was created, however active. Values
    /// below one second count as one second; a lifetime that reaches past the end of the
    /// time range means no limit.
    ///
    /// Defaults to [`DEFAULT_ABSOLUTE_LIFETIME`] (14 days).
    pub fn absolute_lifetime(mut self, lifetime: impl IntoDuration) -> Self {
        self.inner.absolute_lifetime = lifetime.into_duration().max(Duration::SECOND);
        self
    }

    /// The longest lifetime one session may ask for with [`SessionData::set_lifetime`]
    /// ("remember me"); asking for more is [`Error::LifetimeTooLong`]. A session with
    /// its own lifetime may last that long from its creation, past the absolute
    /// lifetime. Values below one second count as one second. Lowering it also
    /// shortens the sessions already issued with a longer lifetime.
    ///
    /// Defaults to the absolute lifetime.
    pub fn max_lifetime(mut self, lifetime: impl IntoDuration) -> Self {
        self.inner.max_lifetime = Some(lifetime.into_duration().max(Duration::SECOND));
        self
    }

    /// The least extension of the expiry worth a new cookie: an unchanged session is
    /// re-issued only when its expiry would move by at least this much. Zero refreshes
    /// on every request in a new second.
    ///
    /// Defaults to [`DEFAULT_REFRESH_INTERVAL`] (5 minutes).
    pub fn refresh_interval(mut self, interval: impl IntoDuration) -> Self {
        self.inner.refresh_interval = interval.into_duration().max(Duration::ZERO);
        self
    }

    /// A check run on every validly signed, unexpired session as it is loaded;
    /// returning `false` rejects it (the request gets a fresh session with source
    /// [`SessionSource::Revoked`]). Use it to end sessions early, for example by
    /// comparing a per-user session version stored in the session with the one in
    /// your database.
    ///
    /// Defaults to no check.
    pub fn validate(
        mut self,
        check: impl Fn(&SessionData) -> bool + Send + Sync + 'static,
    ) -> Self {
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

    /// How far apart the clocks of the servers that share sessions may be, for
    /// revocations: a "log out everywhere" refuses every session logged in up to its
    /// moment plus this margin, and a per-session revocation is kept this much longer
    /// than any cookie of the session can be valid. A login within the margin after a
    /// "log out everywhere" is refused too. See "Clocks" in [`crate::revocation`].
    /// Negative values count as zero.
    ///
    /// Defaults to the cookie layer's [leeway](crate::CookieConfigBuilder::leeway)
    /// (itself zero by default), the clock difference the fleet already allows.
    pub fn revocation_margin(mut self, margin: impl IntoDuration) -> Self {
        self.inner.revocation_margin = Some(margin.into_duration().max(Duration::ZERO));
        self
    }

    /// Browser sessions: with `true`, the cookie of a session without its own lifetime
    /// has no `Expires`, so the browser drops it when it closes (tower-sessions'
    /// `Expiry::OnSessionEnd`, actix-session's `BrowserSession`). The server still
    /// enforces the signed expiry ([`idle_timeout`](Self::idle_timeout)) and the
    /// absolute lifetime, so a browser kept open for days does not keep the session
    /// longer. A session given its own lifetime ([`SessionData::set_lifetime`], "remember
    /// me") gets a persistent cookie as before.
    ///
    /// Defaults to `false`: every session cookie carries `Expires`, its signed expiry.
    pub fn browser_session(mut self, browser_session: bool) -> Self {
        self.inner.browser_session = browser_session;
        self
    }

    /// The session registry ("your devices"): with `true`, every logged-in session is
    /// recorded in the [revocation store](Self::revocation) when its cookie is first
    /// written, and its entry refreshed when the cookie is re-issued, so that
    /// [`SessionConfig::list_sessions`] lists a user's active sessions and
    /// [`SessionConfig::revoke_session_id`] and
    /// [`SessionConfig::revoke_other_sessions`] end them one by one. A session that
    /// leaves the list (logged out, replaced by a new login, revoked) is revoked, so
    /// no copy of its cookie outlives its entry. See "The session registry" in
    /// [`crate::session`].
    ///
    /// Loading a session does not touch the registry; saving one writes to it only
    /// at login, at logout and when the cookie is re-issued (at most once per
    /// [refresh interval](Self::refresh_interval) per session). Needs a store that
    /// keeps registries ([`MemoryRevocation`](crate::MemoryRevocation),
    /// `RedisRevocation`). Defaults to `false`.
    pub fn registry(mut self, on: bool) -> Self {
        self.inner.registry = on.then_some(
            self.inner
                .registry
                .unwrap_or(crate::session::DEFAULT_REGISTRY_LIMIT),
        );
        self
    }

    /// The most sessions the registry keeps for one user (at least 1): a login beyond
    /// it logs out the user's least recently seen session, so the list always holds
    /// every session that can still be used. Turns the registry on. Defaults to
    /// [`DEFAULT_REGISTRY_LIMIT`](crate::session::DEFAULT_REGISTRY_LIMIT) (50).
    pub fn registry_limit(mut self, limit: usize) -> Self {
        self.inner.registry = Some(limit.max(1));
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
    /// Starts a configuration around a cookie configuration, whose attributes, keys and
    /// [clock](crate::CookieConfigBuilder::clock) it uses. Expiry comes from the session
    /// settings below.
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
                revocation_margin: None,
                browser_session: false,
                registry: None,
            },
        }
    }

    /// The cookie configuration.
    pub fn cookie(&self) -> &CookieConfig {
        &self.inner.cookie
    }

    /// The clock tolerance of revocations; see
    /// [`SessionConfigBuilder::revocation_margin`].
    pub fn revocation_margin(&self) -> Duration {
        self.inner
            .revocation_margin
            .unwrap_or_else(|| self.inner.cookie.codec().leeway())
    }

    /// The registry's limit per user, when the registry is on
    /// ([`SessionConfigBuilder::registry`]).
    pub(crate) fn registry_limit(&self) -> Option<usize> {
        self.inner.registry
    }

    /// The revocation store, if one is configured.
    pub(super) fn revocation_store(&self) -> Option<&dyn Revocation> {
        self.inner.revocation.as_deref()
    }

    /// The longest any session may last after its creation: the absolute lifetime or
    /// the maximum lifetime, whichever is longer.
    pub(super) fn longest_lifetime(&self) -> Duration {
        self.inner.absolute_lifetime.max(self.max_lifetime())
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
    fn lifetime_cap(&self, session: &SessionData) -> Duration {
        let own = session
            .lifetime
            .map_or(Duration::ZERO, |l| l.min(self.max_lifetime()));
        self.inner.absolute_lifetime.max(own)
    }

    /// A loaded session, told the longest lifetime it may ask for (and counted, with
    /// feature `metrics`).
    fn bound(&self, mut session: SessionData) -> SessionData {
        session.max_lifetime = Some(self.max_lifetime());
        crate::session::observe::loaded(&session);
        session
    }

    /// The current time, from the clock of the cookie configuration
    /// ([`CookieConfigBuilder::clock`](crate::CookieConfigBuilder::clock)), which every
    /// call here reads.
    pub fn now(&self) -> OffsetDateTime {
        self.inner.cookie.now()
    }

    /// The session of a request, from its raw `Cookie:` header value (pass `""` when
    /// there is none; join several `Cookie:` headers with `"; "`). Never fails: see
    /// "Loading never fails" in the module docs.
    ///
    /// With a [revocation store](SessionConfigBuilder::revocation) that does not
    /// answer at once (one that does I/O), use [`SessionConfig::load_async`]: this
    /// synchronous call cannot wait for it, and gives such sessions source
    /// [`SessionSource::RevocationUnavailable`].
    pub fn load(&self, cookie_header: impl AsRef<[u8]>) -> SessionData {
        let session = self.load_unchecked(cookie_header);
        self.bound(self.check_now(session))
    }

    /// The session of a request, from a [`CookieJar`]. As [`SessionConfig::load`]
    /// for revocation.
    ///
    /// A `CookieJar` keeps one cookie per name, so two cookies of the session's name
    /// (see "Cookie tossing" in the [`cookies`](crate::cookies) module) are already
    /// reduced to one when the jar is built, and the ambiguity cannot be seen here.
    /// Prefer [`SessionConfig::load`] with the raw `Cookie:` header, or keep the
    /// default `__Host-` cookie name, which other hosts cannot set.
    pub fn load_jar(&self, jar: &CookieJar) -> SessionData {
        let now = self.now();
        let (result, chunks) = self.inner.cookie.decode_jar_chunks_at(jar, now);
        let mut session = self.session_from(result, now);
        session.chunks = chunks;
        self.bound(self.check_now(session))
    }

    /// The session of a request, like [`SessionConfig::load`], waiting for the
    /// [revocation store](SessionConfigBuilder::revocation) when there is one.
    pub async fn load_async(&self, cookie_header: impl AsRef<[u8]>) -> SessionData {
        match self.load_before_revocation(cookie_header) {
            Loading::Done(session) => session,
            Loading::AskRevocation(session) => self.finish_revocation(session).await,
        }
    }

    /// [`SessionConfig::load_async`] up to the revocation store: the session, or the
    /// session the store must still be asked about (only a valid cookie's, only with a
    /// store). The integrations wait only in the second case, so a request without a
    /// store or without a valid cookie makes no future at all.
    pub(crate) fn load_before_revocation(&self, cookie_header: impl AsRef<[u8]>) -> Loading {
        let session = self.load_unchecked(cookie_header);
        if self.inner.revocation.is_some() && session.source == SessionSource::Cookie {
            Loading::AskRevocation(session)
        } else {
            Loading::Done(self.bound(session))
        }
    }

    /// The rest of [`SessionConfig::load_async`] for a session that
    /// [`SessionConfig::load_before_revocation`] left to the store.
    pub(crate) async fn finish_revocation(&self, session: SessionData) -> SessionData {
        let session = match &self.inner.revocation {
            Some(store) => {
                let check = crate::session::observe::RevocationCheck::start();
                let verdict = store.is_revoked(&session).await;
                check.finish(verdict.is_err());
                Self::apply_verdict(session, verdict)
            }
            None => session,
        };
        self.bound(session)
    }

    /// Asks the [revocation store](SessionConfigBuilder::revocation) about `session`
    /// (for example at login, to refuse a banned user): `Ok(false)` when there is no
    /// store. The loading calls already ask it for every valid cookie.
    pub async fn is_revoked(&self, session: &SessionData) -> Result<bool, RevocationError> {
        match &self.inner.revocation {
            Some(store) => store.is_revoked(session).await,
            None => Ok(false),
        }
    }

    /// The session of a request after every synchronous check, before the revocation
    /// store. A request without a `Cookie:` header has no session: the clock is not
    /// read.
    fn load_unchecked(&self, cookie_header: impl AsRef<[u8]>) -> SessionData {
        if cookie_header.as_ref().is_empty() {
            return SessionData::fresh(SessionSource::NoCookie);
        }
        if cookie_header.as_ref().len() > MAX_COOKIE_HEADER_LEN {
            return SessionData::fresh(SessionSource::Unreadable);
        }
        let now = self.now();
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
    fn check_now(&self, session: SessionData) -> SessionData {
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

    fn apply_verdict(session: SessionData, verdict: Result<bool, RevocationError>) -> SessionData {
        let source = match verdict {
            Ok(false) => return session,
            Ok(true) => SessionSource::Revoked,
            Err(_) => SessionSource::RevocationUnavailable,
        };
        let mut fresh = SessionData::fresh(source);
        fresh.chunks = session.chunks;
        fresh
    }

    fn session_from(
        &self,
        result: Result<Option<Verified<Loaded>>, Error>,
        now: OffsetDateTime,
    ) -> SessionData {
        let verified = match result {
            Ok(Some(verified)) => verified,
            Ok(None) => return SessionData::fresh(SessionSource::NoCookie),
            Err(Error::Expired { .. }) => return SessionData::fresh(SessionSource::Expired),
            Err(Error::AmbiguousCookie) => return SessionData::fresh(SessionSource::Ambiguous),
            Err(_) => return SessionData::fresh(SessionSource::Invalid),
        };
        let Some(mut session) = SessionData::from_loaded(verified) else {
            return SessionData::fresh(SessionSource::Invalid);
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
            return SessionData::fresh(SessionSource::Expired);
        }
        session.deadline = deadline;
        if let Some(check) = &self.inner.validator {
            if !check(&session) {
                return SessionData::fresh(SessionSource::Revoked);
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
    pub fn save(&self, session: &SessionData) -> Result<Option<SetCookie>, Error> {
        let result = self.write(session);
        crate::session::observe::saved(&result);
        result
    }

    /// [`SessionConfig::save`], uncounted.
    fn write(&self, session: &SessionData) -> Result<Option<SetCookie>, Error> {
        // What proves nothing about the user's cookie is never answered by writing
        // over it: a header too large to read, a revocation store that did not answer.
        if matches!(
            session.source,
            SessionSource::Unreadable | SessionSource::RevocationUnavailable
        ) {
            return Ok(None);
        }
        // A cookie is removed only when it was read and found wanting (or the session
        // was emptied); never when there was none or when the header was ambiguous
        // (cookie tossing).
        let had_cookie = !matches!(
            session.source,
            SessionSource::NoCookie | SessionSource::Ambiguous
        );
        if session.is_empty() {
            return Ok(self.removal(session, had_cookie));
        }
        let now = self.now();
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
        let expires_at = self.expiry(session, now, created_at)?;
        if expires_at <= now {
            // The absolute lifetime is over: the session cannot be kept.
            return Ok(self.removal(session, had_cookie));
        }
        let refresh_due = match session.expires_at {
            Some(current) => expires_at - current >= self.refresh_step(),
            None => true,
        };
        let loaded = session.source == SessionSource::Cookie;
        if loaded && !session.modified && !session.reissue && !refresh_due {
            return Ok(None);
        }
        let new_id;
        let id = match &session.id {
            Some(id) => id,
            None => {
                new_id = new_session_id()?;
                &new_id
            }
        };
        let json = session.write_object(created_at, logged_in_at, id)?;
        let mut cookies = self
            .inner
            .cookie
            .encode_json_chunks_until(json, expires_at)?;
        // The browser keeps the cookie as long as a server may accept it: a server
        // whose clock runs behind wrote the expiry, the leeway covers that. A browser
        // session's cookie has no expiry at all: the browser drops it when it closes.
        let leeway = self.inner.cookie.codec().leeway();
        if self.inner.browser_session && session.lifetime.is_none() {
            for cookie in &mut cookies {
                cookie.unset_expires();
            }
        } else if leeway > Duration::ZERO {
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

    /// The expiry a cookie of `session` written at `now` (whole seconds) gets: `now`
    /// plus the idle timeout (or the session's own lifetime), within its lifetime cap
    /// from `created_at`.
    pub(super) fn expiry(
        &self,
        session: &SessionData,
        now: OffsetDateTime,
        created_at: OffsetDateTime,
    ) -> Result<OffsetDateTime, Error> {
        let idle = session.lifetime.unwrap_or(self.inner.idle_timeout);
        // An idle timeout past the end of the time range is no limit (the last second).
        let sliding = crate::codec::expiry_after(now.unix_timestamp_nanos(), idle);
        let sliding =
            OffsetDateTime::from_unix_timestamp(sliding).map_err(|_| Error::ExpiryOutOfRange)?;
        Ok(match created_at.checked_add(self.lifetime_cap(session)) {
            Some(cap) => sliding.min(cap),
            None => sliding,
        })
    }

    /// How far a cookie's expiry must move before an unchanged session is re-issued:
    /// the refresh interval, at least a second.
    pub(super) fn refresh_step(&self) -> Duration {
        self.inner.refresh_interval.max(Duration::SECOND)
    }

    /// The removal cookies for an emptied or ended session: for the session cookie and
    /// every other chunk name the request carried, when `had_cookie`.
    fn removal(&self, session: &SessionData, had_cookie: bool) -> Option<SetCookie> {
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

/// A session loaded up to the revocation store; see
/// [`SessionConfig::load_before_revocation`].
pub(crate) enum Loading {
    /// Loaded: nothing to ask.
    Done(SessionData),
    /// A valid cookie's session, for [`SessionConfig::finish_revocation`].
    AskRevocation(SessionData),
}

#[cfg(test)]
mod tests {
    use super::super::testing::{cookie_config, header, key, logged_in, sessions, t0, At};
    use super::*;
    use crate::Keyring;
    use serde_json::json;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn browser_sessions_have_no_expires_unless_remembered() {
        let c = SessionConfig::builder(cookie_config(key(1)))
            .idle_timeout(Duration::minutes(30))
            .max_lifetime(Duration::days(30))
            .browser_session(true)
            .build();
        let mut s = c.load_at("", t0());
        s.insert("n", &1).unwrap();
        let u = c.save_at(&s, t0()).unwrap().unwrap();
        assert!(
            !u.header_value().contains("Expires"),
            "{}",
            u.header_value()
        );
        assert!(!u.header_value().contains("Max-Age"));
        // The server still enforces the signed idle timeout.
        let h = header(&u);
        assert_eq!(
            c.load_at(&h, t0() + Duration::minutes(31)).source(),
            SessionSource::Expired
        );
        // "Remember me": a persistent cookie.
        let mut s = c.load_at(&h, t0());
        s.set_lifetime(Duration::days(30)).unwrap();
        let u = c.save_at(&s, t0()).unwrap().unwrap();
        assert!(
            u.header_value().contains("Expires="),
            "{}",
            u.header_value()
        );
        // A removal still expires the cookie.
        let mut s = c.load_at(&h, t0());
        s.clear();
        assert!(c.save_at(&s, t0()).unwrap().unwrap().is_removal());
        // Off by default.
        let mut s = SessionData::new();
        s.insert("n", &1).unwrap();
        let u = sessions().save_at(&s, t0()).unwrap().unwrap();
        assert!(u.header_value().contains("Expires="));
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
        let mut s = SessionData::new();
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
        assert_send_sync::<SessionData>();
    }

    #[test]
    fn the_cookie_clock_drives_every_session_call() {
        let clock = crate::clock::ManualClock::new(t0());
        let cookie = CookieConfig::builder(key(1))
            .name("session")
            .clock(clock.clone())
            .try_build()
            .unwrap();
        let c = SessionConfig::builder(cookie)
            .idle_timeout(Duration::minutes(30))
            .build();
        assert_eq!(c.now(), t0());
        let mut s = c.load("");
        s.insert("user", "cobra").unwrap();
        let h = header(&c.save(&s).unwrap().unwrap());
        let s = c.load(&h);
        assert_eq!(s.created_at(), Some(t0()));
        assert_eq!(s.expires_at(), Some(t0() + Duration::minutes(30)));
        clock.advance(Duration::minutes(29));
        assert_eq!(c.load(&h).source(), SessionSource::Cookie);
        let mut jar = CookieJar::new();
        jar.add_original(::cookie::Cookie::new(
            "session",
            h["session=".len()..].to_owned(),
        ));
        assert_eq!(c.load_jar(&jar).source(), SessionSource::Cookie);
        clock.advance(Duration::minutes(1));
        assert_eq!(c.load(&h).source(), SessionSource::Expired);
        assert_eq!(c.load_jar(&jar).source(), SessionSource::Expired);
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
            .clock(crate::clock::testing::clock)
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
