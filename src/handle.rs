//! The request's session as the framework integrations hand it to handlers.
//!
//! A [`SessionHandle`] is a cheap `Clone` handle over the [`Session`] of one request:
//! the integration loads the session before the handler, lends the handle to it, and
//! saves the session after it. Its methods are those of [`Session`], taking `&self`;
//! each holds a short lock and none is held across an `.await`.
//!
//! Every request gets its own handle. A clone kept past the response (moved into a
//! spawned task, say) still works, but the session was saved when the response left:
//! later changes reach no cookie and no other request.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::value::RawValue;
use time::{Duration, OffsetDateTime};

use crate::error::Error;
use crate::revocation::RevocationError;
use crate::session::{Flash, Session, SessionConfig, SessionSource};

/// A request's session, shared between an integration and the handler. See the
/// [module docs](self).
#[derive(Clone)]
pub struct SessionHandle {
    inner: Arc<Inner>,
}

struct Inner {
    session: Mutex<Session>,
    config: SessionConfig,
}

impl fmt::Debug for SessionHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `try_lock`: printing the handle inside `SessionHandle::with` must not deadlock.
        match self.inner.session.try_lock() {
            Ok(session) => f.debug_tuple("SessionHandle").field(&*session).finish(),
            Err(_) => f.debug_tuple("SessionHandle").field(&"<in use>").finish(),
        }
    }
}

impl SessionHandle {
    /// A handle over `session`, loaded with `config`.
    pub fn new(session: Session, config: SessionConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                session: Mutex::new(session),
                config,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Session> {
        // A handler that panicked while holding the lock left a usable session: every
        // method leaves it consistent.
        self.inner
            .session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the session, under the lock, for anything the other methods do not
    /// cover. Do not call other methods of this handle inside `f` (the lock is held).
    pub fn with<R>(&self, f: impl FnOnce(&mut Session) -> R) -> R {
        f(&mut self.lock())
    }

    /// A copy of the session as it is now.
    pub fn snapshot(&self) -> Session {
        self.lock().clone()
    }

    /// The configuration the session was loaded with.
    pub fn config(&self) -> &SessionConfig {
        &self.inner.config
    }

    /// The headers to send for the session now; see [`SessionConfig::save`]. The
    /// integrations call it after the handler.
    pub fn save(&self) -> Result<Option<crate::SetCookie>, Error> {
        self.inner.config.save(&self.lock())
    }

    /// See [`Session::get`].
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.lock().get(key)
    }

    /// See [`Session::try_get`].
    pub fn try_get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, Error> {
        self.lock().try_get(key)
    }

    /// A copy of the JSON text of the value under `key`; see [`Session::get_value`].
    pub fn get_value(&self, key: &str) -> Option<Box<RawValue>> {
        self.lock().get_value(key).map(ToOwned::to_owned)
    }

    /// See [`Session::contains_key`].
    pub fn contains_key(&self, key: &str) -> bool {
        self.lock().contains_key(key)
    }

    /// The keys, in sorted order; see [`Session::keys`].
    pub fn keys(&self) -> Vec<String> {
        self.lock().keys().map(str::to_owned).collect()
    }

    /// See [`Session::insert`].
    pub fn insert<T: Serialize + ?Sized>(
        &self,
        key: impl Into<String>,
        value: &T,
    ) -> Result<(), Error> {
        self.lock().insert(key, value)
    }

    /// See [`Session::remove`].
    pub fn remove(&self, key: &str) -> Result<Option<Box<RawValue>>, Error> {
        self.lock().remove(key)
    }

    /// See [`Session::clear`] (the logout recipe).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// See [`Session::log_in`] (the login recipe).
    pub fn log_in(&self, user: impl Into<String>) {
        self.lock().log_in(user);
    }

    /// See [`Session::user_id`].
    pub fn user_id(&self) -> Option<String> {
        self.lock().user_id().map(str::to_owned)
    }

    /// See [`Session::logged_in_at`].
    pub fn logged_in_at(&self) -> Option<OffsetDateTime> {
        self.lock().logged_in_at()
    }

    /// See [`Session::id`].
    pub fn id(&self) -> Option<String> {
        self.lock().id().map(str::to_owned)
    }

    /// See [`Session::regenerate`].
    pub fn regenerate(&self) {
        self.lock().regenerate();
    }

    /// See [`Session::is_empty`].
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// See [`Session::len`].
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// See [`Session::is_modified`].
    pub fn is_modified(&self) -> bool {
        self.lock().is_modified()
    }

    /// See [`Session::is_new`].
    pub fn is_new(&self) -> bool {
        self.lock().is_new()
    }

    /// See [`Session::source`].
    pub fn source(&self) -> SessionSource {
        self.lock().source()
    }

    /// See [`Session::expires_at`].
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        self.lock().expires_at()
    }

    /// See [`Session::created_at`].
    pub fn created_at(&self) -> Option<OffsetDateTime> {
        self.lock().created_at()
    }

    /// See [`Session::set_lifetime`] ("remember me").
    pub fn set_lifetime(&self, lifetime: impl crate::clock::IntoDuration) -> Result<(), Error> {
        self.lock().set_lifetime(lifetime)
    }

    /// See [`Session::lifetime`].
    pub fn lifetime(&self) -> Option<Duration> {
        self.lock().lifetime()
    }

    /// See [`Session::flash`].
    pub fn flash(&self, category: impl Into<String>, message: impl Into<String>) {
        self.lock().flash(category, message);
    }

    /// See [`Session::take_flashes`].
    pub fn take_flashes(&self) -> Vec<Flash> {
        self.lock().take_flashes()
    }

    /// A copy of the pending flash messages; see [`Session::peek_flashes`].
    pub fn peek_flashes(&self) -> Vec<Flash> {
        self.lock().peek_flashes().to_vec()
    }

    /// Asks the configured revocation store about the session as it is now (for
    /// example after [`SessionHandle::log_in`], to refuse a banned user); see
    /// [`SessionConfig::is_revoked`].
    pub async fn is_revoked(&self) -> Result<bool, RevocationError> {
        let session = self.snapshot();
        self.inner.config.is_revoked(&session).await
    }
}

/// Fixed texts of the integrations' own responses: they never show session data.
#[cfg(any(feature = "tower", feature = "actix"))]
pub(crate) mod body {
    /// A session that could not be saved (too large for its cookie).
    pub const SAVE_FAILED: &str = "500 Internal Server Error: the session could not be saved";
    /// A request refused by the same-origin guard.
    pub const CROSS_ORIGIN: &str = "403 Forbidden: cross-origin request refused";
}

/// Logs that a handler changed a session whose cookie is left alone, so the change is
/// lost (see [`SessionSource::RevocationUnavailable`] and
/// [`SessionSource::Unreadable`]): at most once a minute per process, since during an
/// outage every such request would say the same.
#[cfg(any(feature = "tower", feature = "actix"))]
pub(crate) fn log_unsaved_change(session: &Session) {
    use std::time::{Duration as StdDuration, Instant};
    static LAST: Mutex<Option<Instant>> = Mutex::new(None);
    let source = session.source();
    if !session.is_modified()
        || !matches!(
            source,
            SessionSource::RevocationUnavailable | SessionSource::Unreadable
        )
    {
        return;
    }
    let mut last = LAST.lock().unwrap_or_else(PoisonError::into_inner);
    if last.is_some_and(|at| at.elapsed() < StdDuration::from_secs(60)) {
        return;
    }
    *last = Some(Instant::now());
    tracing::warn!(
        source = ?source,
        "sessionlib: a changed session was not saved, to keep the request's cookie \
         (logged at most once a minute)"
    );
}

/// All `Cookie:` header values of a request joined with `"; "` (HTTP/2 clients may
/// send one header per cookie).
pub(crate) fn join_cookie_headers<'a>(
    mut values: impl Iterator<Item = &'a [u8]>,
) -> std::borrow::Cow<'a, [u8]> {
    let Some(first) = values.next() else {
        return std::borrow::Cow::Borrowed(&[]);
    };
    let Some(second) = values.next() else {
        return std::borrow::Cow::Borrowed(first);
    };
    let mut joined = [first, second].join(&b"; "[..]);
    for value in values {
        joined.extend_from_slice(b"; ");
        joined.extend_from_slice(value);
    }
    std::borrow::Cow::Owned(joined)
}

/// The `Cache-Control` value for a response that sets a session cookie, given the one
/// it has: `private` when it has none; unchanged when it already says `private` or
/// `no-store`; otherwise `private` followed by its directives without `public`.
pub(crate) fn private_cache_control(existing: Option<&[u8]>) -> Option<String> {
    let Some(existing) = existing else {
        return Some("private".to_owned());
    };
    let text = String::from_utf8_lossy(existing);
    let directives: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    let says = |name: &str| {
        directives.iter().any(|d| {
            d.split('=')
                .next()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
    };
    if says("private") || says("no-store") {
        return None;
    }
    let mut merged = String::from("private");
    for d in directives
        .iter()
        .filter(|d| !d.eq_ignore_ascii_case("public"))
    {
        merged.push_str(", ");
        merged.push_str(d);
    }
    Some(merged)
}

/// Whether a `Vary` value already names `Cookie` (or `*`).
pub(crate) fn varies_on_cookie(vary: &[u8]) -> bool {
    vary.split(|&b| b == b',').any(|field| {
        let field = field.trim_ascii();
        field.eq_ignore_ascii_case(b"cookie") || field == b"*"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_headers_are_joined() {
        let one: [&[u8]; 1] = [b"a=1"];
        assert_eq!(&*join_cookie_headers(one.into_iter()), b"a=1");
        let three: [&[u8]; 3] = [b"a=1", b"b=2", b"c=3"];
        assert_eq!(&*join_cookie_headers(three.into_iter()), b"a=1; b=2; c=3");
        assert_eq!(&*join_cookie_headers(std::iter::empty()), b"");
    }

    #[test]
    fn cache_control_becomes_private() {
        assert_eq!(private_cache_control(None).as_deref(), Some("private"));
        assert_eq!(private_cache_control(Some(b"no-store")), None);
        assert_eq!(private_cache_control(Some(b"Private, max-age=10")), None);
        assert_eq!(
            private_cache_control(Some(b"public, max-age=60")).as_deref(),
            Some("private, max-age=60")
        );
    }

    #[test]
    fn vary_cookie_is_recognised() {
        assert!(varies_on_cookie(b"Accept-Encoding, cookie"));
        assert!(varies_on_cookie(b"*"));
        assert!(!varies_on_cookie(b"Accept-Encoding"));
        assert!(!varies_on_cookie(b"Cookies"));
    }
}
