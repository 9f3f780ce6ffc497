//! Helpers shared by the unit tests of the session layer.

use time::{Duration, OffsetDateTime};

use super::{SessionConfig, SessionData, SetCookie};
use crate::clock::testing::{at, clock};
use crate::cookies::CookieConfig;
use crate::{Error, Key, Keyring};

pub(super) fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap()
}

pub(super) fn key(byte: u8) -> Key {
    Key::from_bytes(&[byte; 32]).unwrap()
}

pub(super) fn cookie_config(keyring: impl Into<Keyring>) -> CookieConfig {
    CookieConfig::builder(keyring)
        .clock(clock)
        .name("session")
        .try_build()
        .unwrap()
}

pub(super) fn sessions() -> SessionConfig {
    SessionConfig::builder(cookie_config(key(1)))
        .idle_timeout(Duration::minutes(30))
        .absolute_lifetime(Duration::hours(8))
        .refresh_interval(Duration::minutes(1))
        .build()
}

/// The `Cookie:` header a browser would send back after `update`.
pub(super) fn header(update: &SetCookie) -> String {
    format!("{}={}", update.cookie().name(), update.cookie().value())
}

/// Saves a new session holding `user` at `now` and returns the request header.
pub(super) fn logged_in(config: &SessionConfig, now: OffsetDateTime) -> String {
    let mut s = config.load_at("", now);
    s.insert("user", "cobra").unwrap();
    header(&config.save_at(&s, now).unwrap().unwrap())
}

/// Loading and saving at a given time, through the clock hook: the configuration must
/// have been built with the test clock ([`cookie_config`] is).
pub(super) trait At {
    fn load_at(&self, header: impl AsRef<[u8]>, now: OffsetDateTime) -> SessionData;
    fn load_jar_at(&self, jar: &::cookie::CookieJar, now: OffsetDateTime) -> SessionData;
    fn save_at(
        &self,
        session: &SessionData,
        now: OffsetDateTime,
    ) -> Result<Option<SetCookie>, Error>;
}

impl At for SessionConfig {
    fn load_at(&self, header: impl AsRef<[u8]>, now: OffsetDateTime) -> SessionData {
        at_checked(self, now, || self.load(header))
    }

    fn load_jar_at(&self, jar: &::cookie::CookieJar, now: OffsetDateTime) -> SessionData {
        at_checked(self, now, || self.load_jar(jar))
    }

    fn save_at(
        &self,
        session: &SessionData,
        now: OffsetDateTime,
    ) -> Result<Option<SetCookie>, Error> {
        at_checked(self, now, || self.save(session))
    }
}

fn at_checked<R>(config: &SessionConfig, now: OffsetDateTime, f: impl FnOnce() -> R) -> R {
    at(now, || {
        assert_eq!(config.now(), now, "a configuration without the test clock");
        f()
    })
}
