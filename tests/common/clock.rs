//! The test clock: configurations built with `.clock(clock)` read a per-thread time
//! that [`with_now`] sets, so a test can load and save at any time it names. [`At`]
//! and [`CookieAt`] name that time at the call (`config.load_at(header, t)`), going
//! through the clock hook exactly as a request would.

use std::cell::Cell;

use serde::de::DeserializeOwned;
use serde::Serialize;
use sessionlib::cookies::{Cookie, CookieJar};
use sessionlib::{CookieConfig, Error, SessionConfig, SessionData, SetCookie, Verified};
use time::{Duration, OffsetDateTime};

thread_local! {
    static NOW: Cell<Option<OffsetDateTime>> = const { Cell::new(None) };
}

/// The clock of the test configurations: the time set by the innermost [`with_now`] of
/// this thread, else the system clock.
pub fn clock() -> OffsetDateTime {
    NOW.with(Cell::get).unwrap_or_else(OffsetDateTime::now_utc)
}

/// Runs `f` with the test clock of this thread showing `now`.
pub fn with_now<R>(now: OffsetDateTime, f: impl FnOnce() -> R) -> R {
    let before = NOW.with(|t| t.replace(Some(now)));
    let result = f();
    NOW.with(|t| t.set(before));
    result
}

/// Runs `f` at `now`, first checking that `config` reads the test clock.
fn checked<R>(config: &CookieConfig, now: OffsetDateTime, f: impl FnOnce() -> R) -> R {
    with_now(now, || {
        assert_eq!(config.now(), now, "a configuration without the test clock");
        f()
    })
}

/// The session layer at a named time.
pub trait At {
    fn load_at(&self, header: impl AsRef<[u8]>, now: OffsetDateTime) -> SessionData;
    fn load_jar_at(&self, jar: &CookieJar, now: OffsetDateTime) -> SessionData;
    fn save_at(
        &self,
        session: &SessionData,
        now: OffsetDateTime,
    ) -> Result<Option<SetCookie>, Error>;
}

impl At for SessionConfig {
    fn load_at(&self, header: impl AsRef<[u8]>, now: OffsetDateTime) -> SessionData {
        checked(self.cookie(), now, || self.load(header))
    }

    fn load_jar_at(&self, jar: &CookieJar, now: OffsetDateTime) -> SessionData {
        checked(self.cookie(), now, || self.load_jar(jar))
    }

    fn save_at(
        &self,
        session: &SessionData,
        now: OffsetDateTime,
    ) -> Result<Option<SetCookie>, Error> {
        checked(self.cookie(), now, || self.save(session))
    }
}

/// The cookie layer at a named time.
pub trait CookieAt {
    /// A cookie expiring `ttl` after `now`.
    fn encode_at<T: Serialize + ?Sized>(
        &self,
        data: &T,
        ttl: Duration,
        now: OffsetDateTime,
    ) -> Result<Cookie<'static>, Error>;
    fn decode_header_at<T: DeserializeOwned>(
        &self,
        header: impl AsRef<[u8]>,
        now: OffsetDateTime,
    ) -> Result<Option<Verified<T>>, Error>;
    fn decode_jar_at<T: DeserializeOwned>(
        &self,
        jar: &CookieJar,
        now: OffsetDateTime,
    ) -> Result<Option<Verified<T>>, Error>;
}

impl CookieAt for CookieConfig {
    fn encode_at<T: Serialize + ?Sized>(
        &self,
        data: &T,
        ttl: Duration,
        now: OffsetDateTime,
    ) -> Result<Cookie<'static>, Error> {
        checked(self, now, || self.encode(data, ttl))
    }

    fn decode_header_at<T: DeserializeOwned>(
        &self,
        header: impl AsRef<[u8]>,
        now: OffsetDateTime,
    ) -> Result<Option<Verified<T>>, Error> {
        checked(self, now, || self.decode_header(header))
    }

    fn decode_jar_at<T: DeserializeOwned>(
        &self,
        jar: &CookieJar,
        now: OffsetDateTime,
    ) -> Result<Option<Verified<T>>, Error> {
        checked(self, now, || self.decode_jar(jar))
    }
}
