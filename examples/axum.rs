//! Signed cookie sessions in an axum app: login, logout, flash messages and a visit
//! counter, all kept in one signed cookie.
//!
//! ```text
//! SESSIONLIB_DEV=1 cargo run --features axum --example axum
//! ```
//!
//! then open <http://127.0.0.1:8000>, or try the counter with
//! `curl -u cobra:pw -c jar -b jar http://127.0.0.1:8000/greeting` (repeat it).
//!
//! Environment variables:
//!
//! - `PORT`: the port to listen on, on 127.0.0.1 only. Default 8000.
//! - `SESSIONLIB_SECRET_KEY`: the signing secret, at least 32 bytes (for example the
//!   output of `openssl rand -hex 32`). When unset, a random development key is
//!   generated, with a warning: sessions then end when the server restarts.
//! - `SESSIONLIB_FALLBACK_KEY`: a previous secret that still verifies cookies (key
//!   rotation). Cookies it verifies are re-issued with `SESSIONLIB_SECRET_KEY`.
//! - `SESSIONLIB_DEV=1`: development mode for plain `http://`: the cookie is named
//!   `session` and has no `Secure` attribute, with a warning. Without it the
//!   production settings apply: a `__Host-session` cookie with `Secure`, which
//!   browsers keep only over HTTPS (run it behind a TLS-terminating proxy); Chromium
//!   also keeps it on `http://localhost` and `http://127.0.0.1`, which it treats as
//!   secure (see tests/it/browser.rs).
//! - `SESSIONLIB_TTL_SECONDS`: the idle timeout in seconds. Default 1800.
//! - `SESSIONLIB_LEEWAY_SECONDS`: how long after its signed expiry a cookie is still
//!   accepted, for clocks that differ between servers; at least the largest difference
//!   between two servers' clocks. Default 0.
//! - `SESSIONLIB_REDIS_URL` (build with `--features redis`): keep revocations in this
//!   Redis (`redis://127.0.0.1:6379/`), shared by every server: `POST
//!   /logout-everywhere` then ends the user's sessions on all of them. Without it, an
//!   in-memory store for this process only. With it:
//!   `SESSIONLIB_REDIS_TIMEOUT_MS` (the longest a check may take, default 250),
//!   `SESSIONLIB_REDIS_CACHE_MS` (reuse Redis' answers this long, the staleness bound
//!   of a revocation made on another server; default 0, no cache) and
//!   `SESSIONLIB_REDIS_FAIL_OPEN_MS` (while Redis fails, accept sessions unchecked for
//!   at most this long; default 0: fail closed, the request has no session and the
//!   cookie is kept).
//! - `SESSIONLIB_REDIS_CLUSTER` (build with `--features redis`): instead of
//!   `SESSIONLIB_REDIS_URL`, the nodes of a Redis Cluster, comma-separated `host:port`
//!   (any of them; the others are found), with the same settings.
//! - Built with `--features metrics`, the app also serves `GET /metrics`: sessionlib's
//!   counters (session loads and saves by outcome, revocation checks) in the
//!   Prometheus text format.
//! - `SESSIONLIB_REGISTRY=0`: no session registry (so no `GET /sessions` list); by
//!   default each login is recorded in the revocation store for "your devices".
//! - `SESSIONLIB_SEALED=1`: seal the cookie (encrypted and authenticated, so the
//!   browser cannot read the session) instead of only signing it. Needs the `sealed`
//!   feature (`--features sealed`); without it the app refuses to start.
//!
//! Routes: `GET /` (login state and flash messages), `GET /login` (a form),
//! `POST /login` (form field `username`), `GET /logout` (a page with the logout
//! buttons; it changes nothing), `POST /logout`, `POST /logout-everywhere` (ends every
//! session of the user: on this server through the in-memory revocation store, on
//! every server with `SESSIONLIB_REDIS_URL`), `GET /sessions` (the user's devices,
//! this one marked), `POST /sessions/revoke` (form field `id`: logs out that device),
//! `POST /sessions/revoke-others` (logs out every other device), and
//! `GET /greeting` (HTTP Basic auth; any password is accepted in this demo) answering
//! JSON with a visit counter kept in the session, and `GET /visits` (the same
//! authentication) answering the counter without changing the session.
//!
//! The session comes from `sessionlib::axum`: the `SessionLayer` loads it before each
//! handler and saves it after, and its same-origin guard refuses cross-origin `POST`s
//! (login CSRF, logout CSRF) with `403`. The pages are in `examples/common/`, shared
//! with the actix-web example.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/mod.rs"]
pub(crate) mod common;

use axum::extract::Form;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sessionlib::axum::{Session, SessionLayer};

const FRAMEWORK: &str = "axum";

async fn index(session: Session) -> Html<String> {
    Html(common::index(&session, FRAMEWORK))
}

async fn login_form() -> Html<String> {
    Html(common::login_form(FRAMEWORK))
}

#[derive(serde::Deserialize)]
struct Login {
    username: String,
}

async fn login(session: Session, Form(form): Form<Login>) -> Response {
    match common::login(&session, &form.username, FRAMEWORK) {
        Ok(()) => Redirect::to("/").into_response(),
        Err(page) => (status(page.status), Html(page.html)).into_response(),
    }
}

async fn logout_page() -> Html<String> {
    Html(common::logout_page(FRAMEWORK))
}

async fn logout(session: Session) -> Redirect {
    common::logout(&session);
    Redirect::to("/")
}

async fn logout_everywhere(session: Session) -> Response {
    match common::logout_everywhere(&session, FRAMEWORK).await {
        Ok(()) => Redirect::to("/").into_response(),
        Err(page) => (status(page.status), Html(page.html)).into_response(),
    }
}

async fn devices(session: Session) -> Response {
    let page = common::sessions_page(&session, FRAMEWORK).await;
    (status(page.status), Html(page.html)).into_response()
}

#[derive(serde::Deserialize)]
struct Device {
    id: String,
}

async fn revoke_session(session: Session, Form(form): Form<Device>) -> Response {
    match common::revoke_session(&session, &form.id, FRAMEWORK).await {
        Ok(()) => Redirect::to("/sessions").into_response(),
        Err(page) => (status(page.status), Html(page.html)).into_response(),
    }
}

async fn revoke_other_sessions(session: Session) -> Response {
    match common::revoke_other_sessions(&session, FRAMEWORK).await {
        Ok(()) => Redirect::to("/sessions").into_response(),
        Err(page) => (status(page.status), Html(page.html)).into_response(),
    }
}

async fn greeting(session: Session, headers: HeaderMap) -> Response {
    let authorization = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
    let (code, json) = common::greeting(&session, authorization);
    let mut response = (status(code), Json(json)).into_response();
    if code == 401 {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            common::BASIC_REALM.parse().unwrap(),
        );
    }
    response
}

async fn visits(session: Session, headers: HeaderMap) -> Response {
    let authorization = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
    let (code, json) = common::visits(&session, authorization);
    let mut response = (status(code), Json(json)).into_response();
    if code == 401 {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            common::BASIC_REALM.parse().unwrap(),
        );
    }
    response
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The app's routes; `main` adds the session layer.
pub(crate) fn routes() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/login", get(login_form).post(login))
        .route("/logout", get(logout_page).post(logout))
        .route("/logout-everywhere", post(logout_everywhere))
        .route("/sessions", get(devices))
        .route("/sessions/revoke", post(revoke_session))
        .route("/sessions/revoke-others", post(revoke_other_sessions))
        .route("/greeting", get(greeting))
        .route("/visits", get(visits))
}

/// Serves `app` on 127.0.0.1:`port` until the process is stopped.
pub(crate) async fn serve(app: Router, port: u16) {
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    println!("listening on http://127.0.0.1:{port}");
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// `GET /metrics` (feature `metrics`): sessionlib's counters in the Prometheus text
/// format, from the recorder installed in `main`.
#[cfg(feature = "metrics")]
fn with_metrics(routes: Router) -> Router {
    let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .expect("the only recorder of the process");
    routes.route("/metrics", get(move || std::future::ready(handle.render())))
}

#[cfg(not(feature = "metrics"))]
fn with_metrics(routes: Router) -> Router {
    routes
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let settings = common::settings();
    // Loads the session before every handler and saves it after; its same-origin
    // guard refuses cross-site POSTs.
    let app = with_metrics(routes()).layer(SessionLayer::new(settings.sessions));
    serve(app, settings.port).await;
}
