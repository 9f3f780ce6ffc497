//! Time as the library sees it: the [`Clock`] that configurations read the current
//! time from, a [`ManualClock`] for tests, and [`IntoDuration`], which lets every
//! builder take a `time::Duration` or a `std::time::Duration`.
//!
//! Every builder whose calls read the time has one clock hook:
//! [`CookieConfigBuilder::clock`](crate::CookieConfigBuilder::clock) for the cookie
//! layer and the session layer built on it, and `clock` on the codec builders
//! ([`CodecBuilder::clock`](crate::CodecBuilder::clock), and the Flask and Django
//! ones). The codecs also take the time explicitly
//! ([`Codec::encode_at`](crate::Codec::encode_at),
//! [`Codec::decode_at`](crate::Codec::decode_at)), and every `_at` in the crate means
//! the same: "with this as the current time".
//!
//! ```
//! use sessionlib::clock::ManualClock;
//! use sessionlib::time::{Duration, OffsetDateTime};
//! use sessionlib::{CookieConfig, Key, SessionConfig, SessionSource};
//!
//! # fn main() -> Result<(), sessionlib::Error> {
//! let clock = ManualClock::new(OffsetDateTime::UNIX_EPOCH + Duration::days(20_000));
//! let cookie = CookieConfig::builder(Key::generate()).clock(clock.clone()).try_build()?;
//! let sessions = SessionConfig::builder(cookie)
//!     .idle_timeout(Duration::minutes(30))
//!     .build();
//!
//! let mut session = sessions.load("");
//! session.insert("user", "ada")?;
//! let header = sessions.save(&session)?.expect("a new session sets a cookie").header_value();
//! let cookie_header = header.split(';').next().unwrap_or_default().to_owned();
//!
//! clock.advance(Duration::minutes(29));
//! assert_eq!(sessions.load(&cookie_header).source(), SessionSource::Cookie);
//! clock.advance(Duration::minutes(2));
//! assert_eq!(sessions.load(&cookie_header).source(), SessionSource::Expired);
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::{Arc, Mutex};

use time::{Duration, OffsetDateTime};

/// Where the cookie and session layers read the current time from.
///
/// Any `Fn() -> OffsetDateTime` that is `Send + Sync + 'static` is a clock (for
/// example `|| OffsetDateTime::now_utc() + skew`), and so is a [`ManualClock`].
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> OffsetDateTime;
}

impl<F: Fn() -> OffsetDateTime + Send + Sync + 'static> Clock for F {
    fn now(&self) -> OffsetDateTime {
        self()
    }
}

/// A clock that shows the time it was last set to, for tests: clones share the same
/// time, so a test keeps one and hands a clone to the configuration.
///
/// ```
/// use sessionlib::clock::{Clock, ManualClock};
/// use sessionlib::time::{Duration, OffsetDateTime};
///
/// let clock = ManualClock::new(OffsetDateTime::UNIX_EPOCH);
/// let seen_by_the_config = clock.clone();
/// clock.advance(Duration::hours(1));
/// assert_eq!(seen_by_the_config.now(), OffsetDateTime::UNIX_EPOCH + Duration::hours(1));
/// ```
#[derive(Clone)]
pub struct ManualClock {
    now: Arc<Mutex<OffsetDateTime>>,
}

impl ManualClock {
    /// A clock showing `now` until it is set or advanced.
    pub fn new(now: OffsetDateTime) -> Self {
        Self {
            now: Arc::new(Mutex::new(now)),
        }
    }

    /// Sets the time every clone shows.
    pub fn set(&self, now: OffsetDateTime) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = now;
    }

    /// Moves the time forward (or back, for a negative duration); a time outside the
    /// range of [`OffsetDateTime`] stops at its end.
    pub fn advance(&self, by: impl IntoDuration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now = now.saturating_add(by.into_duration());
    }

    /// The time this clock shows.
    pub fn now(&self) -> OffsetDateTime {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        ManualClock::now(self)
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ManualClock").field(&self.now()).finish()
    }
}

/// The clock of a configuration: the system clock unless one was set.
#[derive(Clone, Default)]
pub(crate) struct SharedClock(Option<Arc<dyn Clock>>);

impl SharedClock {
    pub(crate) fn new(clock: impl Clock) -> Self {
        Self(Some(Arc::new(clock)))
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        match &self.0 {
            Some(clock) => clock.now(),
            None => OffsetDateTime::now_utc(),
        }
    }

    /// Whether a clock other than the system clock was set.
    pub(crate) fn is_set(&self) -> bool {
        self.0.is_some()
    }
}

impl fmt::Debug for SharedClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_set() { "custom" } else { "system" })
    }
}

/// A duration as the builders take it: a [`time::Duration`] or a
/// [`std::time::Duration`]. A `std` duration too long for `time`'s range becomes
/// [`Duration::MAX`], which every setter treats as "no limit".
pub trait IntoDuration {
    /// The duration as a [`time::Duration`].
    fn into_duration(self) -> Duration;
}

impl IntoDuration for Duration {
    fn into_duration(self) -> Duration {
        self
    }
}

impl IntoDuration for std::time::Duration {
    fn into_duration(self) -> Duration {
        Duration::try_from(self).unwrap_or(Duration::MAX)
    }
}

/// `at` in Unix milliseconds, saturating (far outside any session's range).
pub(crate) fn unix_millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// The clock of the unit tests: a per-thread time set by [`testing::at`], else the
/// system clock. Configurations built with `.clock(testing::clock)` read it.
#[cfg(test)]
pub(crate) mod testing {
    use std::cell::Cell;

    use time::OffsetDateTime;

    thread_local! {
        static NOW: Cell<Option<OffsetDateTime>> = const { Cell::new(None) };
    }

    /// The time set by the innermost [`at`] of this thread, else the system time.
    pub(crate) fn clock() -> OffsetDateTime {
        NOW.with(Cell::get).unwrap_or_else(OffsetDateTime::now_utc)
    }

    /// Runs `f` with the test clock of this thread showing `now`.
    pub(crate) fn at<R>(now: OffsetDateTime, f: impl FnOnce() -> R) -> R {
        let before = NOW.with(|t| t.replace(Some(now)));
        let result = f();
        NOW.with(|t| t.set(before));
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn std_durations_convert_and_saturate() {
        assert_eq!(
            std::time::Duration::from_millis(1500).into_duration(),
            Duration::milliseconds(1500)
        );
        assert_eq!(std::time::Duration::MAX.into_duration(), Duration::MAX);
        assert_eq!(Duration::MIN.into_duration(), Duration::MIN);
    }

    #[test]
    fn manual_clock_clones_share_the_time_and_saturate() {
        let clock = ManualClock::new(OffsetDateTime::UNIX_EPOCH);
        let other = clock.clone();
        clock.advance(std::time::Duration::from_secs(60));
        assert_eq!(
            Clock::now(&other),
            OffsetDateTime::UNIX_EPOCH + Duration::MINUTE
        );
        clock.advance(Duration::MAX);
        assert_eq!(other.now().year(), 9999);
        clock.set(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(other.now(), OffsetDateTime::UNIX_EPOCH);
    }

    #[test]
    fn closures_are_clocks() {
        let clock = SharedClock::new(|| OffsetDateTime::UNIX_EPOCH);
        assert_eq!(clock.now(), OffsetDateTime::UNIX_EPOCH);
        assert!(clock.is_set());
        assert!(!SharedClock::default().is_set());
    }
}
