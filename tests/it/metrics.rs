//! The counters and histograms of feature `metrics`, seen by a debugging recorder
//! (`metrics-util`): the names, the `outcome` labels and the counts.

use std::collections::BTreeMap;

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use metrics_util::MetricKind;
use sessionlib::{CookieConfig, Key, Keyring, MemoryRevocation, SessionConfig};

/// Every counter as `name{label=value}` with its count, and every histogram as its
/// name with the number of samples.
fn snapshot(recorder: &DebuggingRecorder) -> BTreeMap<String, u64> {
    recorder
        .snapshotter()
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let labels: Vec<String> = key
                .key()
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            let name = if labels.is_empty() {
                key.key().name().to_owned()
            } else {
                format!("{}{{{}}}", key.key().name(), labels.join(","))
            };
            let count = match (key.kind(), value) {
                (MetricKind::Counter, DebugValue::Counter(n)) => n,
                (MetricKind::Histogram, DebugValue::Histogram(samples)) => samples.len() as u64,
                _ => 0,
            };
            (name, count)
        })
        .collect()
}

fn header(update: &sessionlib::SetCookie) -> String {
    format!("{}={}", update.cookie().name(), update.cookie().value())
}

#[test]
fn loads_and_saves_are_counted_by_outcome() {
    let old = Key::from_bytes(&[1; 32]).unwrap();
    let new = Key::from_bytes(&[2; 32]).unwrap();
    let cookie = |ring: Keyring| {
        CookieConfig::builder(ring)
            .name("session")
            .try_build()
            .unwrap()
    };
    let before = SessionConfig::builder(cookie(Keyring::new(old.clone()))).build();
    let rotated = SessionConfig::builder(cookie(Keyring::new(new).with_fallback(old)))
        .revocation(MemoryRevocation::new())
        .build();
    let recorder = DebuggingRecorder::new();
    metrics::with_local_recorder(&recorder, || {
        // No cookie; a new session written.
        let mut s = rotated.load("");
        s.log_in("cobra");
        let fresh = header(&rotated.save(&s).unwrap().unwrap());
        // A valid cookie, unchanged.
        let s = rotated.load(&fresh);
        assert!(rotated.save(&s).unwrap().is_none());
        // A cookie signed with the old key: valid by the fallback key, re-issued.
        let mut s = before.load("");
        s.insert("n", &1).unwrap();
        let old_cookie = header(&before.save(&s).unwrap().unwrap());
        let s = rotated.load(&old_cookie);
        assert!(rotated.save(&s).unwrap().is_some());
        // Invalid: removed.
        let s = rotated.load("session=garbage");
        assert!(rotated.save(&s).unwrap().unwrap().is_removal());
    });
    let seen = snapshot(&recorder);
    let expected: BTreeMap<String, u64> = [
        ("sessionlib_session_loads_total{outcome=no_cookie}", 2),
        ("sessionlib_session_loads_total{outcome=valid}", 1),
        (
            "sessionlib_session_loads_total{outcome=valid_fallback_key}",
            1,
        ),
        ("sessionlib_session_loads_total{outcome=invalid}", 1),
        ("sessionlib_session_saves_total{outcome=written}", 3),
        ("sessionlib_session_saves_total{outcome=unchanged}", 1),
        ("sessionlib_session_saves_total{outcome=removed}", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(seen, expected);
}

#[test]
fn revocation_checks_are_timed_and_failures_counted() {
    let store = std::sync::Arc::new(crate::common::FlakyStore::new());
    let sessions = SessionConfig::builder(
        CookieConfig::builder(Keyring::new(Key::from_bytes(&[3; 32]).unwrap()))
            .name("session")
            .try_build()
            .unwrap(),
    )
    .revocation(store.clone())
    .build();
    let mut s = futures_block_on(sessions.load_async(""));
    s.log_in("cobra");
    let cookie = header(&sessions.save(&s).unwrap().unwrap());
    let recorder = DebuggingRecorder::new();
    // The local recorder covers this thread: the loads are polled here.
    for down in [false, true, true] {
        store.set_down(down);
        metrics::with_local_recorder(&recorder, || futures_block_on(sessions.load_async(&cookie)));
    }
    let seen = snapshot(&recorder);
    assert_eq!(seen["sessionlib_revocation_check_seconds"], 3);
    assert_eq!(seen["sessionlib_revocation_errors_total"], 2);
    assert_eq!(seen["sessionlib_session_loads_total{outcome=valid}"], 1);
    assert_eq!(
        seen["sessionlib_session_loads_total{outcome=unavailable}"],
        2
    );
}

/// Runs a future that needs no runtime (the flaky store yields once) to completion on
/// this thread.
fn futures_block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
    }
}

/// `sessionlib_registry_writes_total`: a login records the session, a request that
/// re-issues nothing writes nothing, a logout removes it, and a store that does not
/// take the change counts as `failed`.
#[test]
fn registry_writes_are_counted_by_outcome() {
    use sessionlib::Session;
    let cookie = || {
        CookieConfig::builder(Keyring::new(Key::from_bytes(&[4; 32]).unwrap()))
            .name("session")
            .try_build()
            .unwrap()
    };
    let sessions = SessionConfig::builder(cookie())
        .revocation(MemoryRevocation::new())
        .registry(true)
        .build();
    let broken = SessionConfig::builder(cookie())
        .revocation(crate::common::FlakyStore::new())
        .registry(true)
        .build();
    let firefox = Some(&b"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Firefox/133.0"[..]);
    let recorder = DebuggingRecorder::new();
    metrics::with_local_recorder(&recorder, || {
        // A login: recorded.
        let login = Session::for_request(sessions.load(""), sessions.clone(), firefox);
        login.log_in("cobra");
        let cookie = header(&login.save().unwrap().unwrap());
        futures_block_on(login.update_registry()).unwrap();
        // A change in the same refresh step: a new cookie, no registry write.
        let visit = Session::for_request(sessions.load(&cookie), sessions.clone(), firefox);
        visit.insert("n", &1).unwrap();
        assert!(visit.save().unwrap().is_some());
        futures_block_on(visit.update_registry()).unwrap();
        // A logout: removed.
        let logout = Session::for_request(sessions.load(&cookie), sessions.clone(), firefox);
        logout.clear();
        assert!(logout.save().unwrap().unwrap().is_removal());
        futures_block_on(logout.update_registry()).unwrap();
        // A store without a registry: failed.
        let login = Session::for_request(broken.load(""), broken.clone(), firefox);
        login.log_in("cobra");
        assert!(login.save().unwrap().is_some());
        assert!(futures_block_on(login.update_registry()).is_err());
    });
    let seen = snapshot(&recorder);
    assert_eq!(
        seen["sessionlib_registry_writes_total{outcome=recorded}"],
        1
    );
    assert_eq!(seen["sessionlib_registry_writes_total{outcome=removed}"], 1);
    assert_eq!(seen["sessionlib_registry_writes_total{outcome=failed}"], 1);
}
