//! Heap allocations per call, counted by a counting global allocator: verifying
//! allocates nothing, decoding allocates what the output type owns (plus the payload
//! buffer when the payload is too big for the stack), encoding allocates the token and
//! nothing per key.
//!
//! Counts, not times, so the result is deterministic. The test runs without the libtest
//! harness (`harness = false`): it is the only thread of its process, so nothing else
//! allocates while a region is measured.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../benches/common/mod.rs"]
mod common;

use std::alloc::System;

use sessionlib::{Error, KeyUsed};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Allocations and reallocations made while running `f` (its result is dropped after
/// the count).
fn count<R>(f: impl FnOnce() -> R) -> (R, usize, usize) {
    let region = Region::new(GLOBAL);
    let result = f();
    let change = region.change();
    (result, change.allocations, change.reallocations)
}

struct Checks {
    passed: usize,
    failed: usize,
}

impl Checks {
    /// At most `ceiling` allocations and reallocations together.
    fn check_at_most(&mut self, name: &str, (allocs, reallocs): (usize, usize), ceiling: usize) {
        if allocs + reallocs <= ceiling {
            self.passed += 1;
            println!(
                "ok   {name}: {allocs} allocations, {reallocs} reallocations (ceiling {ceiling})"
            );
        } else {
            self.failed += 1;
            println!(
                "FAIL {name}: {allocs} allocations, {reallocs} reallocations; at most {ceiling} together"
            );
        }
    }

    fn check(&mut self, name: &str, (allocs, reallocs): (usize, usize), expected: (usize, usize)) {
        if (allocs, reallocs) == expected {
            self.passed += 1;
            println!("ok   {name}: {allocs} allocations, {reallocs} reallocations");
        } else {
            self.failed += 1;
            println!(
                "FAIL {name}: {allocs} allocations, {reallocs} reallocations; expected {} and {}",
                expected.0, expected.1
            );
        }
    }
}

fn main() {
    let mut checks = Checks {
        passed: 0,
        failed: 0,
    };
    let (small, _) = common::small();
    let (large, _) = common::large();
    let codec = common::codec();
    let rotated = common::rotated_codec();
    // Warm up anything lazily initialised (CPU feature detection, the clock).
    let token = codec.encode(&small).unwrap();
    codec.decode::<common::Small>(&token).unwrap();

    // What the output types own: counted on a clone, which allocates exactly that.
    let (_, small_owned, _) = count(|| small.clone());
    let (_, large_owned, _) = count(|| large.clone());
    assert!(small_owned > 0 && large_owned > small_owned);

    // Verifying, whatever the outcome, allocates nothing.
    let by_last = common::codec_signed_by(3).encode(&small).unwrap();
    let forged = common::codec_signed_by(9).encode(&small).unwrap();
    let oversized = "A".repeat(codec.max_token_len() + 1);
    let malformed = token.replacen('e', "+", 1);
    let large_token = codec.encode(&large).unwrap();
    for (name, codec, token, outcome) in [
        ("verify small", &codec, &token, Ok(KeyUsed::Primary)),
        ("verify 2 KB", &codec, &large_token, Ok(KeyUsed::Primary)),
        (
            "verify by 4th of 4 keys",
            &rotated,
            &by_last,
            Ok(KeyUsed::Fallback(2)),
        ),
        (
            "verify forged",
            &codec,
            &forged,
            Err(Error::InvalidSignature),
        ),
        (
            "verify malformed",
            &codec,
            &malformed,
            Err(Error::Malformed),
        ),
        (
            "verify oversized",
            &codec,
            &oversized,
            Err(Error::TooLarge {
                len: oversized.len(),
                max: codec.max_token_len(),
            }),
        ),
    ] {
        let (result, allocs, reallocs) = count(|| codec.verify(token).map(|v| v.key_used));
        assert_eq!(result, outcome, "{name}");
        checks.check(name, (allocs, reallocs), (0, 0));
    }

    // Decoding: the small payload is decoded on the stack, so only the data's own
    // allocations remain; the 2 KB payload adds its buffer.
    let (decoded, allocs, _) = count(|| codec.decode::<common::Small>(&token).unwrap());
    assert_eq!(decoded.data, small);
    checks.check("decode small", (allocs, 0), (small_owned, 0));
    let (decoded, allocs, _) = count(|| rotated.decode::<common::Small>(&by_last).unwrap());
    assert_eq!(decoded.key_used, KeyUsed::Fallback(2));
    checks.check(
        "decode small by 4th of 4 keys",
        (allocs, 0),
        (small_owned, 0),
    );
    // Growing the cart's Vec while parsing reallocates; only allocations are compared.
    let (decoded, allocs, _) = count(|| codec.decode::<common::Large>(&large_token).unwrap());
    assert_eq!(decoded.data, large);
    checks.check("decode 2 KB", (allocs, 0), (large_owned + 1, 0));

    // Encoding: the token only, whatever the number of keys.
    let (encoded, allocs, reallocs) = count(|| codec.encode(&small).unwrap());
    assert!(codec.verify(&encoded).is_ok());
    checks.check("encode small", (allocs, reallocs), (1, 0));
    let (encoded, allocs, reallocs) = count(|| rotated.encode(&small).unwrap());
    assert!(rotated.verify(&encoded).is_ok());
    checks.check("encode small, 4 keys", (allocs, reallocs), (1, 0));
    // 2048 bytes of JSON outgrow the first buffer (512 -> 1024 -> 2048 bytes) and the
    // token then gets its own exact allocation.
    let (encoded, allocs, reallocs) = count(|| codec.encode(&large).unwrap());
    assert!(codec.verify(&encoded).is_ok());
    checks.check("encode 2 KB", (allocs, reallocs), (2, 2));

    sessions(&mut checks, &small);
    #[cfg(feature = "tower")]
    layer(&mut checks);

    println!(
        "allocations: {} passed, {} failed",
        checks.passed, checks.failed
    );
    if checks.failed > 0 {
        std::process::exit(1);
    }
}

/// The session layer's load and save of the small session (the fields of
/// `benches/payloads/small.json` stored one by one, as `benches/layer.rs` does), for
/// the three requests of that benchmark. Ceilings: the counts of the one-pass reader
/// and writer, so that a regression (a value tree built again, a cookie formatted
/// twice) fails here rather than in a benchmark.
fn sessions(checks: &mut Checks, small: &common::Small) {
    use sessionlib::{CookieConfig, Key, Keyring, SessionConfig, SessionSource};
    let cookie = CookieConfig::builder(Keyring::new(Key::from_bytes(&common::secret(0)).unwrap()))
        .try_build()
        .unwrap();
    let config = SessionConfig::builder(cookie).build();
    let mut seed = config.load("");
    seed.insert("user_id", &small.user_id).unwrap();
    seed.insert("username", &small.username).unwrap();
    seed.insert("roles", &small.roles).unwrap();
    seed.insert("csrf", &small.csrf).unwrap();
    seed.insert("visits", &small.visits).unwrap();
    seed.insert("theme", &small.theme).unwrap();
    let update = config.save(&seed).unwrap().unwrap();
    let header = format!("{}={}", update.cookie().name(), update.cookie().value());
    // Warm up.
    assert_eq!(config.load(&header).source(), SessionSource::Cookie);

    // No cookie: nothing is allocated, nothing is sent.
    let (sent, allocs, reallocs) = count(|| {
        let session = config.load("");
        config.save(&session).unwrap().is_some()
    });
    assert!(!sent);
    checks.check(
        "session: no cookie, load and save",
        (allocs, reallocs),
        (0, 0),
    );

    // A valid session, read: the loaded text, its entry list and the session id.
    let (visits, allocs, reallocs) = count(|| {
        let session = config.load(&header);
        assert!(config.save(&session).unwrap().is_none());
        session.get::<u32>("visits")
    });
    assert_eq!(visits, Some(small.visits));
    checks.check_at_most("session: read only, load and save", (allocs, reallocs), 3);

    // Modified: the same, the new value's text, and the cookie: the object and token
    // in one buffer, the cookie's name and path, the list of cookies, the header value
    // (written once, its `Expires` date included) and the list of header values.
    let (value, allocs, reallocs) = count(|| {
        let mut session = config.load(&header);
        let visits = session.get::<u32>("visits").unwrap() + 1;
        session.insert("visits", &visits).unwrap();
        let update = config.save(&session).unwrap().unwrap();
        update.cookies().len()
    });
    assert_eq!(value, 1);
    checks.check_at_most("session: modified, load and save", (allocs, reallocs), 11);
}

/// The tower `SessionLayer` around a handler, per request (the three requests of
/// `benches/layer.rs`): the request is built before the count; the count covers the
/// call, the response future (polled once: the handler answers at once) and dropping
/// the response. Ceilings: the counts of the layer without a boxed future, so that a
/// box, a clone of the inner service or a second formatting of the cookie fails here.
///
/// No cookie, 4: the handle (one `Arc`) and the request extension that carries it
/// (`http`'s extension map, its table and the boxed value). Read only, 7: those and
/// the session's 3. Modified, 18: those 7, the session's 8 more of the save (see
/// `sessions`), and the response headers: the `Set-Cookie` value's shared buffer and
/// the response's header map, which the handler left empty (`Vary` and
/// `Cache-Control` are static values).
#[cfg(feature = "tower")]
fn layer(checks: &mut Checks) {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    use http::{header, Request, Response};
    use sessionlib::tower::SessionLayer;
    use sessionlib::{CookieConfig, Key, Keyring, Session, SessionConfig};
    use tower::{Layer, Service};

    let cookie = CookieConfig::builder(Keyring::new(Key::from_bytes(&common::secret(0)).unwrap()))
        .try_build()
        .unwrap();
    let config = SessionConfig::builder(cookie).build();
    let handler = tower::service_fn(|request: Request<String>| async move {
        let session = request.extensions().get::<Session>().unwrap();
        match request.uri().path() {
            "/seed" => {
                let data = serde_json::to_value(common::small().0).unwrap();
                for (key, value) in data.as_object().unwrap() {
                    session.insert(key.clone(), value).unwrap();
                }
            }
            "/read" => {
                session.get::<u64>("visits").unwrap();
            }
            "/count" => {
                let visits: u64 = session.get("visits").unwrap();
                session.insert("visits", &(visits + 1)).unwrap();
            }
            _ => {}
        }
        Ok::<_, std::convert::Infallible>(Response::new(String::new()))
    });
    let mut service = SessionLayer::new(config).layer(handler);
    let mut send = |request: Request<String>| {
        let mut cx = Context::from_waker(Waker::noop());
        assert!(service.poll_ready(&mut cx).is_ready());
        let mut future = std::pin::pin!(service.call(request));
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(response) => response.unwrap(),
            Poll::Pending => panic!("the handler answers at once"),
        }
    };
    let request = |path: &str, cookie: Option<&str>| {
        let mut request = Request::get(path).body(String::new()).unwrap();
        if let Some(cookie) = cookie {
            request
                .headers_mut()
                .insert(header::COOKIE, cookie.parse().unwrap());
        }
        request
    };
    let seeded = send(request("/seed", None));
    let set_cookie = seeded.headers()[header::SET_COOKIE].to_str().unwrap();
    let cookie = set_cookie.split(';').next().unwrap().to_owned();

    for (name, path, with_cookie, sets_cookie, ceiling) in [
        ("layer: no cookie", "/none", false, false, 4),
        ("layer: read only", "/read", true, false, 7),
        ("layer: modified", "/count", true, true, 18),
    ] {
        let request = request(path, with_cookie.then_some(cookie.as_str()));
        let (sent, allocs, reallocs) = count(|| {
            let response = send(request);
            response.headers().contains_key(header::SET_COOKIE)
        });
        assert_eq!(sent, sets_cookie, "{name}");
        checks.check_at_most(name, (allocs, reallocs), ceiling);
    }
}
