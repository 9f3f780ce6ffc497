//! Counters and histograms through the `metrics` facade (feature `metrics`); without
//! the feature every function here does nothing. See "Metrics" in
//! [`crate::session`] for the names and labels.

use crate::error::Error;
#[cfg(feature = "metrics")]
use crate::session::SessionSource;
use crate::session::{SessionData, SetCookie};

/// The `outcome` label of a loaded session.
#[cfg(feature = "metrics")]
fn load_outcome(session: &SessionData) -> &'static str {
    match session.source() {
        SessionSource::Cookie if session.verified_by_fallback_key() => "valid_fallback_key",
        SessionSource::Cookie => "valid",
        SessionSource::NoCookie => "no_cookie",
        SessionSource::Invalid => "invalid",
        SessionSource::Expired => "expired",
        SessionSource::Revoked => "revoked",
        SessionSource::Ambiguous => "ambiguous",
        SessionSource::Unreadable => "unreadable",
        SessionSource::RevocationUnavailable => "unavailable",
    }
}

/// The `outcome` label of a save.
#[cfg(feature = "metrics")]
fn save_outcome(result: &Result<Option<SetCookie>, Error>) -> &'static str {
    match result {
        Ok(None) => "unchanged",
        Ok(Some(update)) if update.is_removal() => "removed",
        Ok(Some(_)) => "written",
        Err(_) => "failed",
    }
}

/// Increments the counter `$name` with the label `outcome` set to `$outcome`, one of
/// the literals listed: with literal labels the `metrics` macros use static keys, so
/// counting allocates nothing.
#[cfg(feature = "metrics")]
macro_rules! count_outcome {
    ($name:literal, $outcome:expr, [$($label:literal),+ $(,)?]) => {
        match $outcome {
            $($label => metrics::counter!($name, "outcome" => $label).increment(1),)+
            _ => {}
        }
    };
}

/// Counts a loaded session: `sessionlib_session_loads_total{outcome}`.
pub(crate) fn loaded(session: &SessionData) {
    #[cfg(feature = "metrics")]
    count_outcome!(
        "sessionlib_session_loads_total",
        load_outcome(session),
        [
            "valid",
            "valid_fallback_key",
            "no_cookie",
            "invalid",
            "expired",
            "revoked",
            "ambiguous",
            "unreadable",
            "unavailable",
        ]
    );
    #[cfg(not(feature = "metrics"))]
    let _ = session;
}

/// Counts a save: `sessionlib_session_saves_total{outcome}`.
pub(crate) fn saved(result: &Result<Option<SetCookie>, Error>) {
    #[cfg(feature = "metrics")]
    count_outcome!(
        "sessionlib_session_saves_total",
        save_outcome(result),
        ["unchanged", "removed", "written", "failed"]
    );
    #[cfg(not(feature = "metrics"))]
    let _ = result;
}

/// Counts a write to the session registry: `sessionlib_registry_writes_total{outcome}`,
/// `recorded` (an entry written or refreshed), `removed` (entries that left a list) or
/// `failed` (a registry change the store did not take).
pub(crate) fn registry_write(outcome: &'static str) {
    #[cfg(feature = "metrics")]
    count_outcome!(
        "sessionlib_registry_writes_total",
        outcome,
        ["recorded", "removed", "failed"]
    );
    #[cfg(not(feature = "metrics"))]
    let _ = outcome;
}

/// One question to the revocation store, timed with feature `metrics` (without it,
/// nothing is read or recorded): its duration goes to
/// `sessionlib_revocation_check_seconds` and, when the store could not answer,
/// `sessionlib_revocation_errors_total` counts it.
pub(crate) struct RevocationCheck {
    #[cfg(feature = "metrics")]
    asked: std::time::Instant,
}

impl RevocationCheck {
    /// Starts timing a question.
    pub(crate) fn start() -> Self {
        Self {
            #[cfg(feature = "metrics")]
            asked: std::time::Instant::now(),
        }
    }

    /// Records the question, answered or `failed`.
    pub(crate) fn finish(self, failed: bool) {
        #[cfg(feature = "metrics")]
        {
            metrics::histogram!("sessionlib_revocation_check_seconds")
                .record(self.asked.elapsed().as_secs_f64());
            if failed {
                metrics::counter!("sessionlib_revocation_errors_total").increment(1);
            }
        }
        #[cfg(not(feature = "metrics"))]
        let _ = failed;
    }
}
