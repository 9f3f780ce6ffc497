//! [`Session`]: the request's session as handlers take it, in every framework
//! integration.
//!
//! A [`Session`] is a cheap `Clone` handle over the [`SessionData`] of one request:
//! the integration loads the data before the handler, lends the handle to it, and
//! saves the data after it. Every method takes `&self`; each holds a short lock and
//! none is held across an `.await`, so handlers need no `mut`, no lock and no unwrap.
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
#[cfg(any(feature = "tower", feature = "actix", feature = "rocket"))]
use crate::revocation::BoxFuture;
use crate::revocation::RevocationError;
use crate::session::registry::{RegistryChange, RequestOrigin};
#[cfg(doc)]
use crate::session::RESERVED_KEYS;
use crate::session::{Flash, SessionConfig, SessionData, SessionEntry, SessionSource};

/// The request's session, as handlers take it: `sessionlib::axum::Session`,
/// `sessionlib::actix::Session` and `sessionlib::rocket::Session` are this type. See
/// the [module docs](self).
///
/// ```
/// # use sessionlib::Session;
/// // The same handler body works in axum and actix-web.
/// fn visit(session: &Session) -> String {
///     let n: u32 = session.get("visits").unwrap_or(0) + 1;
///     session.insert("visits", &n).expect("a number serializes");
///     format!("visit #{n}")
/// }
/// ```
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

struct Inner {
    session: Mutex<SessionData>,
    config: SessionConfig,
    /// The session as loaded and the request's device, when the
    /// [registry](crate::SessionConfigBuilder::registry) is on.
    origin: Option<RequestOrigin>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `try_lock`: printing the handle inside `Session::with` must not deadlock.
        match self.inner.session.try_lock() {
            Ok(session) => f.debug_tuple("Session").field(&*session).finish(),
            Err(_) => f.debug_tuple("Session").field(&"<in use>").finish(),
        }
    }
}

impl Session {
    /// A handle over `data`, loaded with `config`. The integrations make one per
    /// request; call it yourself only for a framework without an integration, or in
    /// tests.
    pub fn new(data: SessionData, config: SessionConfig) -> Self {
        Self::for_request(data, config, None)
    }

    /// A handle for a request with this `User-Agent` header: with the
    /// [registry](crate::SessionConfigBuilder::registry) on, it remembers the session
    /// as loaded and the device, for [`Session::update_registry`] after the save. The
    /// integrations make one per request; call it yourself only for a framework
    /// without an integration.
    pub fn for_request(
        data: SessionData,
        config: SessionConfig,
        user_agent: Option<&[u8]>,
    ) -> Self {
        let origin = config
            .registry_limit()
            .map(|_| RequestOrigin::new(&data, user_agent));
        Self {
            inner: Arc::new(Inner {
                session: Mutex::new(data),
                config,
                origin,
            }),
        }
    }

    /// After a save that sent a cookie ([`Session::save`] answered `Some`): records
    /// the session in the [registry](crate::SessionConfigBuilder::registry), or takes
    /// the one the request came with off it (and revokes it). Does nothing when the
    /// registry is off. The integrations call it, and log a failure: the cookie is
    /// sent anyway, and the entry is written at the session's next refresh.
    pub async fn update_registry(&self) -> Result<(), RevocationError> {
        match self.registry_change() {
            Some(change) => apply_registry_change(&self.inner.config, change).await,
            None => Ok(()),
        }
    }

    /// The registry write [`Session::update_registry`] makes now, if any.
    fn registry_change(&self) -> Option<RegistryChange> {
        let origin = self.inner.origin.as_ref()?;
        let change = self.inner.config.registry_change(origin, &self.lock());
        (!change.is_empty()).then_some(change)
    }

    /// [`Session::update_registry`] as a future of its own, logging a failure; `None`
    /// when there is nothing to write (the registry is off, or the entry is fresh), so
    /// that a request waits for nothing then.
    #[cfg(any(feature = "tower", feature = "actix", feature = "rocket"))]
    pub(crate) fn registry_update_or_log(&self) -> Option<BoxFuture<'static, ()>> {
        let change = self.registry_change()?;
        let config = self.inner.config.clone();
        Some(Box::pin(async move {
            if let Err(error) = apply_registry_change(&config, change).await {
                tracing::warn!(
                    error = %error,
                    "sessionlib: the session registry could not be updated; the entry is \
                     written at the session's next refresh"
                );
            }
        }))
    }

    fn lock(&self) -> MutexGuard<'_, SessionData> {
        // A handler that panicked while holding the lock left usable data: every
        // method leaves it consistent.
        self.inner
            .session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the session's data, under the lock, for anything the other methods
    /// do not cover. Do not call other methods of this handle inside `f` (the lock is
    /// held).
    pub fn with<R>(&self, f: impl FnOnce(&mut SessionData) -> R) -> R {
        f(&mut self.lock())
    }

    /// A copy of the session's data as it is now.
    pub fn snapshot(&self) -> SessionData {
        self.lock().clone()
    }

    /// The configuration the session was loaded with: its revocation operations
    /// ([`SessionConfig::revoke_user`], [`SessionConfig::ban`], …) are reached from here
    /// without any application state.
    pub fn config(&self) -> &SessionConfig {
        &self.inner.config
    }

    /// The headers to send for the session now; see [`SessionConfig::save`]. The
    /// integrations call it after the handler.
    pub fn save(&self) -> Result<Option<crate::SetCookie>, Error> {
        self.inner.config.save(&self.lock())
    }

    /// The value under `key` as a `T`; `None` when it is missing or not a `T` (use
    /// [`Session::try_get`] to tell these apart).
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.lock().get(key)
    }

    /// The value under `key` as a `T`: `Ok(None)` when it is missing,
    /// [`Error::Deserialize`] when it is not a `T`.
    pub fn try_get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, Error> {
        self.lock().try_get(key)
    }

    /// A copy of the JSON text of the value under `key`, as stored. Use
    /// [`Session::get`] for a typed value, or `get::<serde_json::Value>` for a dynamic
    /// one.
    pub fn get_value(&self, key: &str) -> Option<Box<RawValue>> {
        self.lock().get_value(key).map(ToOwned::to_owned)
    }

    /// Whether there is a value under `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.lock().contains_key(key)
    }

    /// The keys, in sorted order.
    pub fn keys(&self) -> Vec<String> {
        self.lock().keys().map(str::to_owned).collect()
    }

    /// Stores `value` under `key`. The session counts as modified (and gets a new
    /// cookie) only when the stored value changes.
    ///
    /// Fails with [`Error::ReservedKey`] for a [reserved key](RESERVED_KEYS) and
    /// [`Error::Serialize`] when `value` cannot be written as JSON.
    pub fn insert<T: Serialize + ?Sized>(
        &self,
        key: impl Into<String>,
        value: &T,
    ) -> Result<(), Error> {
        self.lock().insert(key, value)
    }

    /// Removes the value under `key` and returns its JSON text. Fails with
    /// [`Error::ReservedKey`] for a reserved key.
    pub fn remove(&self, key: &str) -> Result<Option<Box<RawValue>>, Error> {
        self.lock().remove(key)
    }

    /// Logs out: removes the data, the user and the per-session lifetime, so the
    /// cookie is deleted when the response leaves. Flash messages set during this
    /// request are kept (so "flash 'Logged out', then clear" shows its message on the
    /// next page, in a new anonymous session); those the request brought are dropped.
    ///
    /// A copy of the cookie taken before still verifies until it expires; to end it
    /// too, see [`Session::log_out_everywhere`].
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Logs the session in for `user`: the login recipe. It always starts the session
    /// anew (a new session id, a new creation time and a new cookie), and records the
    /// user and the moment of login, which "log out everywhere" compares with.
    ///
    /// When the session belonged to **another user**, it starts from empty data: every
    /// value and flash message it held is dropped (flash messages set earlier in this
    /// request included, since they may be the previous user's), and so is its own
    /// lifetime; what is set after this call is kept. For **the same user or an
    /// anonymous visitor**, the data and flash messages are kept (a cart filled before
    /// login survives it).
    pub fn log_in(&self, user: impl Into<String>) {
        self.lock().log_in(user);
    }

    /// Logs the user out on every device: every session of the user logged in until
    /// now is refused from its next request, on every server sharing the configured
    /// [revocation store](crate::SessionConfigBuilder::revocation), and this session
    /// is [cleared](Session::clear) (flash messages set during this request are kept).
    /// A session without a user is only cleared.
    ///
    /// Fails, changing nothing, when no revocation store is configured
    /// ([`RevocationError::is_not_configured`]) or the store cannot answer: show the
    /// user that it did not work rather than pretend it did.
    pub async fn log_out_everywhere(&self) -> Result<(), RevocationError> {
        if let Some(user) = self.user_id() {
            self.inner.config.revoke_user(&user).await?;
        }
        self.clear();
        Ok(())
    }

    /// The active sessions of this session's user, the most recently seen first (a
    /// "your devices" page; [`Session::id`] tells which one is this one). Empty for a
    /// session without a user. Fails as [`SessionConfig::list_sessions`] does (the
    /// [registry](crate::SessionConfigBuilder::registry) is off, or the store cannot
    /// answer).
    pub async fn list_sessions(&self) -> Result<Vec<SessionEntry>, RevocationError> {
        match self.user_id() {
            Some(user) => self.inner.config.list_sessions(&user).await,
            None => Ok(Vec::new()),
        }
    }

    /// Logs out another session of this session's user, by its id (the "log out"
    /// button next to a device): it is refused from its next request, on every server.
    /// Returns whether the user had a session with that id; `Ok(false)` for a session
    /// without a user. See [`SessionConfig::revoke_session_id`].
    pub async fn revoke_session_id(&self, id: &str) -> Result<bool, RevocationError> {
        match self.user_id() {
            Some(user) => self.inner.config.revoke_session_id(&user, id).await,
            None => Ok(false),
        }
    }

    /// Logs out every other session of this session's user ("log out all other
    /// devices"), keeping this one; returns how many were logged out. See
    /// [`SessionConfig::revoke_other_sessions`].
    pub async fn log_out_other_devices(&self) -> Result<usize, RevocationError> {
        let (user, id) = self.with(|s| (s.user_id().map(str::to_owned), s.id().map(str::to_owned)));
        match user {
            Some(user) => {
                self.inner
                    .config
                    .revoke_other_sessions(&user, id.as_deref())
                    .await
            }
            None => Ok(0),
        }
    }

    /// Records the client's address in this session's registry entry when it is next
    /// written (at login or a refresh). The registry records no address unless the
    /// application passes one, since only it knows which proxy headers to trust. Does
    /// nothing when the [registry](crate::SessionConfigBuilder::registry) is off.
    pub fn set_client_address(&self, address: impl Into<String>) {
        if let Some(origin) = &self.inner.origin {
            origin.set_address(address.into());
        }
    }

    /// The user the session was logged in for with [`Session::log_in`].
    pub fn user_id(&self) -> Option<String> {
        self.lock().user_id().map(str::to_owned)
    }

    /// When the session was logged in; `None` when it has no user or the login has not
    /// been saved yet (it is stamped when the response leaves).
    pub fn logged_in_at(&self) -> Option<OffsetDateTime> {
        self.lock().logged_in_at()
    }

    /// The session id: 128 random bits in base64url, the same in every cookie of this
    /// session until [`Session::regenerate`], [`Session::log_in`] or
    /// [`Session::clear`]. It names one session for
    /// [`SessionConfig::revoke_session`]. Not a secret and not a credential.
    pub fn id(&self) -> Option<String> {
        self.lock().id().map(str::to_owned)
    }

    /// Starts the session anew while keeping its data: a new creation time, a new
    /// session id and a new cookie. Call it when the user's privileges change;
    /// [`Session::log_in`] calls it.
    pub fn regenerate(&self) {
        self.lock().regenerate();
    }

    /// Whether the session has no data, no flash messages and no user.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// The number of entries (flash messages not counted).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the session changed during this request.
    pub fn is_modified(&self) -> bool {
        self.lock().is_modified()
    }

    /// Whether the session did not come from a valid cookie (a new visitor, or a
    /// cookie that was refused: see [`Session::source`]).
    pub fn is_new(&self) -> bool {
        self.lock().is_new()
    }

    /// Where the session came from: a valid cookie, no cookie, or why the cookie was
    /// refused (for logging).
    pub fn source(&self) -> SessionSource {
        self.lock().source()
    }

    /// The signed expiry of the cookie the session was loaded from.
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        self.lock().expires_at()
    }

    /// When the session was created; `None` before its first save.
    pub fn created_at(&self) -> Option<OffsetDateTime> {
        self.lock().created_at()
    }

    /// Gives this session its own lifetime ("remember me"): it replaces the configured
    /// idle timeout, and the session may last that long from its creation even past
    /// the absolute lifetime, and is kept by the browser across restarts. Fails with
    /// [`Error::LifetimeTooLong`] above the configured
    /// [maximum](crate::SessionConfigBuilder::max_lifetime).
    pub fn set_lifetime(&self, lifetime: impl crate::clock::IntoDuration) -> Result<(), Error> {
        self.lock().set_lifetime(lifetime)
    }

    /// This session's own lifetime, if [`Session::set_lifetime`] set one.
    pub fn lifetime(&self) -> Option<Duration> {
        self.lock().lifetime()
    }

    /// Adds a flash message, to be shown on a later page (and taken there with
    /// [`Session::take_flashes`]).
    pub fn flash(&self, category: impl Into<String>, message: impl Into<String>) {
        self.lock().flash(category, message);
    }

    /// Takes the pending flash messages, oldest first; they are gone afterwards.
    pub fn take_flashes(&self) -> Vec<Flash> {
        self.lock().take_flashes()
    }

    /// A copy of the pending flash messages, without taking them.
    pub fn peek_flashes(&self) -> Vec<Flash> {
        self.lock().peek_flashes().to_vec()
    }

    /// Asks the configured revocation store about the session as it is now (for
    /// example after [`Session::log_in`], to refuse a banned user); see
    /// [`SessionConfig::is_revoked`].
    pub async fn is_revoked(&self) -> Result<bool, RevocationError> {
        let session = self.snapshot();
        self.inner.config.is_revoked(&session).await
    }
}

/// A struct kept in the session under one key, for [`Typed`]: the type says where it
/// lives, so handlers read and write it as a whole.
///
/// ```
/// #[derive(Default, serde::Serialize, serde::Deserialize)]
/// struct Cart {
///     items: Vec<String>,
/// }
///
/// impl sessionlib::handle::TypedSession for Cart {
///     const KEY: &'static str = "cart";
/// }
/// ```
pub trait TypedSession: Serialize + DeserializeOwned + Default {
    /// The session key the value is stored under (not a
    /// [reserved key](crate::session::RESERVED_KEYS)).
    const KEY: &'static str;
}

/// One typed value of the request's session: `T` as read when the handler started,
/// written back with [`Typed::set`] or [`Typed::update`]. In axum and actix-web it is an
/// extractor like [`Session`] (`async fn cart(cart: Typed<Cart>)`); elsewhere, make one
/// with [`Typed::load`].
///
/// A value that is missing, or that no longer fits `T` (a field added in a new
/// version, say), reads as `T::default()`, and the next write replaces it.
pub struct Typed<T> {
    session: Session,
    value: T,
}

impl<T: fmt::Debug> fmt::Debug for Typed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value is the application's own type: its `Debug` decides what shows.
        f.debug_struct("Typed").field("value", &self.value).finish()
    }
}

impl<T: TypedSession> Typed<T> {
    /// The value stored under `T::KEY` in `session` (the default when it is missing or
    /// does not fit `T`).
    pub fn load(session: &Session) -> Self {
        let value = session
            .try_get::<T>(T::KEY)
            .ok()
            .flatten()
            .unwrap_or_default();
        Self {
            session: session.clone(),
            value,
        }
    }

    /// The value.
    pub fn get(&self) -> &T {
        &self.value
    }

    /// Replaces the value and stores it in the session. Fails with
    /// [`Error::ReservedKey`] when `T::KEY` is reserved and [`Error::Serialize`] when
    /// the value cannot be written as JSON (the session is then unchanged).
    pub fn set(&mut self, value: T) -> Result<(), Error> {
        self.session.insert(T::KEY, &value)?;
        self.value = value;
        Ok(())
    }

    /// Changes the value with `f` and stores it in the session; fails as
    /// [`Typed::set`] does (the session then keeps its old value, while this one keeps
    /// the change).
    pub fn update(&mut self, f: impl FnOnce(&mut T)) -> Result<(), Error> {
        f(&mut self.value);
        self.session.insert(T::KEY, &self.value)
    }

    /// Removes the value from the session; [`Typed::get`] gives the default after.
    pub fn remove(&mut self) -> Result<(), Error> {
        self.session.remove(T::KEY)?;
        self.value = T::default();
        Ok(())
    }

    /// The whole session, for what is not this value (login, flash messages, …).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The value, taken out.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> std::ops::Deref for Typed<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

/// Logs that a handler changed a session whose cookie is left alone, so the change is
/// lost (see [`SessionSource::RevocationUnavailable`] and
/// [`SessionSource::Unreadable`]): at most once a minute per process, since during an
/// outage every such request would say the same.
#[cfg(any(feature = "tower", feature = "actix", feature = "rocket"))]
pub(crate) fn log_unsaved_change(session: &SessionData) {
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

/// Writes a registry change, counting a failure.
async fn apply_registry_change(
    config: &SessionConfig,
    change: RegistryChange,
) -> Result<(), RevocationError> {
    let result = config.apply_registry_change(change).await;
    if result.is_err() {
        crate::session::observe::registry_write("failed");
    }
    result
}

#[cfg(any(feature = "http", feature = "actix", feature = "rocket"))]
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

#[cfg(all(test, any(feature = "http", feature = "actix", feature = "rocket")))]
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
}
