//! The per-request cost of a session layer around a trivial axum handler, driven
//! in-process (no sockets): sessionlib's `SessionLayer` and `Session` extractor against
//! the same router with no session layer, axum-extra's `SignedCookieJar` doing the same
//! work by hand, and tower-sessions with its in-memory store. Run everything with
//! `bash benches/run.sh`, which also prints the table.
//!
//! Three scenarios, each its own criterion group:
//!
//! - `layer_no_cookie`: the request has no cookie; the handler takes the session and
//!   reads nothing; the response has no `Set-Cookie`;
//! - `layer_unchanged`: the request carries a valid cookie holding the small session of
//!   `benches/payloads/small.json`; the handler reads `visits`; no `Set-Cookie`;
//! - `layer_modified`: the same request; the handler increments `visits`; the response
//!   carries `Set-Cookie`.
//!
//! Every contender's cookie is made by its own code (a `/seed` route writing the small
//! session) just before its group runs, and every contender is checked once (status,
//! body, `Set-Cookie` or not) before it is timed.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::hint::black_box;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use axum::routing::get;
use axum::Router;
use criterion::{criterion_group, Criterion};
use serde::{Deserialize, Serialize};
use tokio::runtime::Runtime;
use tower::{Service, ServiceExt};

use common::Small;

/// Every contender's routes: `/seed` writes the small session; `/none`, `/read` and
/// `/count` are the handlers of the three scenarios.
const SCENARIOS: [(&str, &str, bool); 3] = [
    ("layer_no_cookie", "/none", false),
    ("layer_unchanged", "/read", false),
    ("layer_modified", "/count", true),
];

/// The idle timeout every contender gives its sessions (sessionlib's default).
const IDLE_SECS: u64 = 24 * 3600;

fn request(uri: &'static str, cookie: Option<&HeaderValue>) -> Request<Body> {
    let mut request = Request::new(Body::empty());
    *request.uri_mut() = axum::http::Uri::from_static(uri);
    if let Some(cookie) = cookie {
        request.headers_mut().insert(header::COOKIE, cookie.clone());
    }
    request
}

async fn send(router: &Router, request: Request<Body>) -> Response<Body> {
    router.clone().oneshot(request).await.unwrap()
}

/// The `Cookie:` header a browser would send back after this response.
fn cookie_of(response: &Response<Body>) -> HeaderValue {
    let set = response.headers()[header::SET_COOKIE].to_str().unwrap();
    HeaderValue::from_str(set.split(';').next().unwrap()).unwrap()
}

async fn body(response: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

// ---- 1. No session layer: the floor.

mod floor {
    use super::*;

    async fn answer() -> String {
        black_box(42u32).to_string()
    }

    pub fn router() -> Router {
        Router::new()
            .route("/seed", get(answer))
            .route("/none", get(answer))
            .route("/read", get(answer))
            .route("/count", get(answer))
    }
}

// ---- 2. sessionlib: SessionLayer + Session extractor.

mod sessionlib_layer {
    use super::*;
    use sessionlib::axum::{Session, SessionLayer};
    use sessionlib::{CookieConfig, Key, Keyring, SessionConfig};

    async fn seed(session: Session) -> String {
        let (small, _) = common::small();
        session.insert("user_id", &small.user_id).unwrap();
        session.insert("username", &small.username).unwrap();
        session.insert("roles", &small.roles).unwrap();
        session.insert("csrf", &small.csrf).unwrap();
        session.insert("visits", &small.visits).unwrap();
        session.insert("theme", &small.theme).unwrap();
        String::new()
    }

    async fn none(_session: Session) -> String {
        black_box(42u32).to_string()
    }

    async fn read(session: Session) -> String {
        session.get::<u32>("visits").unwrap_or(0).to_string()
    }

    async fn count(session: Session) -> String {
        let visits = session.get::<u32>("visits").unwrap_or(0) + 1;
        session.insert("visits", &visits).unwrap();
        visits.to_string()
    }

    pub fn router() -> Router {
        let cookie =
            CookieConfig::builder(Keyring::new(Key::from_bytes(&common::secret(0)).unwrap()))
                .try_build()
                .unwrap();
        let sessions = SessionConfig::builder(cookie)
            .idle_timeout(time::Duration::seconds(IDLE_SECS as i64))
            .build();
        Router::new()
            .route("/seed", get(seed))
            .route("/none", get(none))
            .route("/read", get(read))
            .route("/count", get(count))
            .layer(SessionLayer::new(sessions))
    }
}

// ---- 3. axum-extra's SignedCookieJar, by hand: the session as JSON in a signed
// cookie, with its expiry inside the JSON, checked on read; Set-Cookie only when
// modified.

mod signed_jar {
    use super::*;
    use axum_extra::extract::cookie::{Cookie, Key, SameSite, SignedCookieJar};

    const NAME: &str = "session";

    /// The small session plus its expiry, in Unix seconds.
    #[derive(Serialize, Deserialize)]
    struct Data {
        #[serde(flatten)]
        small: Small,
        exp: u64,
    }

    fn now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }

    /// The session of the request, if it has a validly signed, unexpired one.
    fn load(jar: &SignedCookieJar) -> Option<Data> {
        let cookie = jar.get(NAME)?;
        let data: Data = serde_json::from_str(cookie.value()).ok()?;
        (data.exp > now()).then_some(data)
    }

    fn store(jar: SignedCookieJar, mut data: Data) -> SignedCookieJar {
        data.exp = now() + IDLE_SECS;
        let expires = time::OffsetDateTime::from_unix_timestamp(data.exp as i64).unwrap();
        let cookie = Cookie::build((NAME, serde_json::to_string(&data).unwrap()))
            .http_only(true)
            .secure(true)
            .same_site(SameSite::Lax)
            .path("/")
            .expires(expires);
        jar.add(cookie)
    }

    async fn seed(jar: SignedCookieJar) -> (SignedCookieJar, String) {
        let (small, _) = common::small();
        (store(jar, Data { small, exp: 0 }), String::new())
    }

    async fn none(_jar: SignedCookieJar) -> String {
        black_box(42u32).to_string()
    }

    async fn read(jar: SignedCookieJar) -> String {
        load(&jar).map_or(0, |d| d.small.visits).to_string()
    }

    async fn count(jar: SignedCookieJar) -> (SignedCookieJar, String) {
        let mut data = load(&jar).expect("the benchmark sends a valid session");
        data.small.visits += 1;
        let visits = data.small.visits.to_string();
        (store(jar, data), visits)
    }

    pub fn router() -> Router {
        // axum-extra's Key takes 64 bytes (signing and encryption halves).
        let mut master = [0u8; 64];
        master[..32].copy_from_slice(&common::secret(0));
        master[32..].copy_from_slice(&common::secret(1));
        Router::new()
            .route("/seed", get(seed))
            .route("/none", get(none))
            .route("/read", get(read))
            .route("/count", get(count))
            .with_state(Key::from(&master))
    }
}

// ---- 4. tower-sessions with its MemoryStore.

mod tower_sessions_store {
    use super::*;
    use tower_sessions::cookie::SameSite;
    use tower_sessions::{Expiry, MemoryStore, Session, SessionManagerLayer};

    async fn seed(session: Session) -> String {
        let (small, _) = common::small();
        session.insert("user_id", small.user_id).await.unwrap();
        session.insert("username", small.username).await.unwrap();
        session.insert("roles", small.roles).await.unwrap();
        session.insert("csrf", small.csrf).await.unwrap();
        session.insert("visits", small.visits).await.unwrap();
        session.insert("theme", small.theme).await.unwrap();
        String::new()
    }

    async fn none(_session: Session) -> String {
        black_box(42u32).to_string()
    }

    async fn read(session: Session) -> String {
        session
            .get::<u32>("visits")
            .await
            .unwrap()
            .unwrap_or(0)
            .to_string()
    }

    async fn count(session: Session) -> String {
        let visits = session.get::<u32>("visits").await.unwrap().unwrap_or(0) + 1;
        session.insert("visits", visits).await.unwrap();
        visits.to_string()
    }

    pub fn router() -> Router {
        let layer = SessionManagerLayer::new(MemoryStore::default())
            .with_name("session")
            .with_same_site(SameSite::Lax)
            .with_expiry(Expiry::OnInactivity(time::Duration::seconds(
                IDLE_SECS as i64,
            )));
        Router::new()
            .route("/seed", get(seed))
            .route("/none", get(none))
            .route("/read", get(read))
            .route("/count", get(count))
            .layer(layer)
    }
}

/// The cookie made by the contender's `/seed` route.
fn seed(rt: &Runtime, router: &Router) -> HeaderValue {
    rt.block_on(async {
        let seeded = send(router, request("/seed", None)).await;
        assert_eq!(seeded.status(), StatusCode::OK);
        cookie_of(&seeded)
    })
}

/// One contender in one scenario: checked once, then timed. Each sample runs its
/// iterations inside one `block_on` of a current-thread runtime; each iteration builds
/// the request, waits for the router to be ready, calls it and drops the response.
fn bench_contender(
    c: &mut Criterion,
    rt: &Runtime,
    (group, uri, modifies): (&str, &'static str, bool),
    name: &str,
    router: &Router,
    cookie: Option<HeaderValue>,
) {
    let floor = name == "no_layer";
    rt.block_on(async {
        let check = send(router, request(uri, cookie.as_ref())).await;
        assert_eq!(check.status(), StatusCode::OK, "{name} {uri}");
        let sets_cookie = check.headers().contains_key(header::SET_COOKIE);
        assert_eq!(sets_cookie, modifies && !floor, "{name} {uri}");
        let expected = if modifies && !floor { "43" } else { "42" };
        assert_eq!(body(check).await, expected, "{name} {uri}");
    });
    let mut g = c.benchmark_group(group);
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut service = router.clone();
                let start = Instant::now();
                for _ in 0..iters {
                    let request = request(uri, black_box(cookie.as_ref()));
                    let ready = ServiceExt::<Request<Body>>::ready(&mut service)
                        .await
                        .unwrap();
                    black_box(ready.call(request).await.unwrap());
                }
                start.elapsed()
            })
        })
    });
    g.finish();
}

/// A contender's name in the tables and the function building its router.
type Contender = (&'static str, fn() -> Router);

fn layer(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let contenders: [Contender; 4] = [
        ("no_layer", floor::router),
        ("sessionlib", sessionlib_layer::router),
        ("signed_cookie_jar", signed_jar::router),
        ("tower_sessions", tower_sessions_store::router),
    ];
    for scenario in SCENARIOS {
        let with_cookie = scenario.0 != "layer_no_cookie";
        for (name, make) in contenders {
            // A fresh router (and store) per scenario, and a cookie made just before
            // the contender runs, so that no refresh falls due while it is timed. The
            // floor gets sessionlib's cookie: the same request, with nobody to read it.
            let router = make();
            let cookie = with_cookie.then(|| {
                let seeded_by = if name == "no_layer" {
                    sessionlib_layer::router()
                } else {
                    router.clone()
                };
                seed(&rt, &seeded_by)
            });
            bench_contender(c, &rt, scenario, name, &router, cookie);
        }
    }
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = layer
}

fn main() {
    if std::env::var_os("LAYER_CPU").is_some() {
        cpu_table();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

// ---- The CPU-time table (`LAYER_CPU=1`): the same contenders, requests and checks,
// timed by this thread's CPU time instead of the wall clock, interleaved.

/// This thread's CPU time in nanoseconds (the scheduler's sum of its run time, which
/// may lag by one tick: each timed run lasts hundreds of ticks).
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// CPU time per request of `iters` requests through `router`.
async fn cpu_per_request(
    router: &Router,
    uri: &'static str,
    cookie: Option<&HeaderValue>,
    iters: u64,
) -> f64 {
    let mut service = router.clone();
    let start = cpu_ns();
    for _ in 0..iters {
        let request = request(uri, black_box(cookie));
        let ready = ServiceExt::<Request<Body>>::ready(&mut service)
            .await
            .unwrap();
        black_box(ready.call(request).await.unwrap());
    }
    (cpu_ns() - start) as f64 / iters as f64
}

/// Every contender in every scenario, checked as the criterion run checks them, then
/// timed in `LAYER_ROUNDS` rounds (default 5) that each run every case once, in turn,
/// for about `LAYER_MS` milliseconds of CPU (default 300); the median of the rounds
/// per case. Run by `LAYER_CPU=1 cargo bench --features axum --bench layer`. On a
/// loaded machine the wall clock counts the time other processes had the core; this
/// thread's CPU time does not, and the interleaving spreads what remains (caches,
/// frequency) over every contender alike.
fn cpu_table() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let rounds: usize = std::env::var("LAYER_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let target_ms: f64 = std::env::var("LAYER_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300.0);
    let contenders: [Contender; 4] = [
        ("no_layer", floor::router),
        ("sessionlib", sessionlib_layer::router),
        ("signed_cookie_jar", signed_jar::router),
        ("tower_sessions", tower_sessions_store::router),
    ];
    struct Case {
        scenario: &'static str,
        name: &'static str,
        uri: &'static str,
        router: Router,
        cookie: Option<HeaderValue>,
        iters: u64,
        times: Vec<f64>,
    }
    let mut cases = Vec::new();
    for scenario @ (group, uri, modifies) in SCENARIOS {
        let with_cookie = group != "layer_no_cookie";
        for (name, make) in contenders {
            let router = make();
            let cookie = with_cookie.then(|| {
                let seeded_by = if name == "no_layer" {
                    sessionlib_layer::router()
                } else {
                    router.clone()
                };
                seed(&rt, &seeded_by)
            });
            let floor = name == "no_layer";
            rt.block_on(async {
                let check = send(&router, request(uri, cookie.as_ref())).await;
                assert_eq!(check.status(), StatusCode::OK, "{name} {uri}");
                let sets_cookie = check.headers().contains_key(header::SET_COOKIE);
                assert_eq!(sets_cookie, modifies && !floor, "{name} {uri}");
            });
            let _ = scenario;
            // Size each run to about `target_ms` of CPU.
            let per = rt.block_on(cpu_per_request(&router, uri, cookie.as_ref(), 5000));
            let iters = ((target_ms * 1e6 / per.max(1.0)) as u64).clamp(1000, 2_000_000);
            cases.push(Case {
                scenario: group,
                name,
                uri,
                router,
                cookie,
                iters,
                times: Vec::new(),
            });
        }
    }
    // `LAYER_ONLY=scenario/contender` times one case (for a profiler).
    if let Ok(only) = std::env::var("LAYER_ONLY") {
        cases.retain(|c| format!("{}/{}", c.scenario, c.name) == only);
    }
    for round in 0..rounds {
        for case in &mut cases {
            let t = rt.block_on(cpu_per_request(
                &case.router,
                case.uri,
                case.cookie.as_ref(),
                case.iters,
            ));
            case.times.push(t);
        }
        eprintln!("round {} of {rounds} done", round + 1);
    }
    let median = |times: &[f64]| {
        let mut sorted = times.to_vec();
        sorted.sort_by(f64::total_cmp);
        sorted[sorted.len() / 2]
    };
    println!("CPU time per request, median of {rounds} interleaved rounds");
    println!();
    println!("| scenario | contender | CPU time | overhead (time − no layer) | overhead / sessionlib's |");
    println!("| --- | --- | ---: | ---: | ---: |");
    if cases.len() < SCENARIOS.len() * contenders.len() {
        for case in &cases {
            println!(
                "{}/{}: {:.0} ns",
                case.scenario,
                case.name,
                median(&case.times)
            );
        }
        return;
    }
    for (group, _, _) in SCENARIOS {
        let of = |name: &str| {
            cases
                .iter()
                .find(|c| c.scenario == group && c.name == name)
                .map(|c| median(&c.times))
                .unwrap()
        };
        let floor = of("no_layer");
        let ours = of("sessionlib") - floor;
        for (name, _) in contenders {
            let t = of(name);
            if name == "no_layer" {
                println!("| {group} | {name} | {t:.0} ns | | |");
            } else {
                let over = t - floor;
                println!(
                    "| {group} | {name} | {t:.0} ns | {over:.0} ns | {:.2}× |",
                    over / ours
                );
            }
        }
    }
}
