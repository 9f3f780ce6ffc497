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
//! - `SESSIONLIB_CLOCK_SKEW_SECONDS`: a testing aid that sets this server's session
//!   clock off by that many seconds (negative: behind), to try clock differences
//!   between servers (tests/it/fleet.rs). Default 0.
//! - `SESSIONLIB_NO_SESSIONS=1`: serve `GET /greeting` and `GET /visits` without the
//!   session layer (both the same answer as a first visit, no counter, no cookie), as
//!   the baseline of the load test (benches/load.sh). The other routes are not served.
//! - `SESSIONLIB_MAX_CHUNKS`: the most cookies a session may be split into, 1 to 4
//!   (`CookieConfigBuilder::max_chunks`). Default 1. Above 1 the app also serves
//!   `GET /padding` (how many bytes of padding the session holds, and a form) and
//!   `POST /padding` (form field `bytes`, 0 to 12000), to grow and shrink the session
//!   across chunks (tests/it/browser.rs).
//! - `SESSIONLIB_SEALED=1`: seal the cookie (encrypted and authenticated, so the
//!   browser cannot read the session) instead of only signing it. Needs the `sealed`
//!   feature (`--features sealed`); without it the app refuses to start.
//!
//! Routes: `GET /` (login state and flash messages), `GET /login` (a form),
//! `POST /login` (form field `username`), `GET /logout` (a page with the logout
//! buttons; it changes nothing), `POST /logout`, `POST /logout-everywhere` (ends every
//! session of the user: on this server through the in-memory revocation store, on
//! every server with `SESSIONLIB_REDIS_URL`), and
//! `GET /greeting` (HTTP Basic auth; any password is accepted in this demo) answering
//! JSON with a visit counter kept in the session, and `GET /visits` (the same
//! authentication) answering the counter without changing the session.
//!
//! The session comes from `sessionlib::axum`: the `SessionLayer` loads it before each
//! handler and saves it after, and its same-origin guard refuses cross-origin `POST`s
//! (login CSRF, logout CSRF) with `403`. The pages are in `examples/common/`, shared
//! with the actix-web example.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::extract::Form;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sessionlib::axum::{OriginGuard, Session, SessionLayer};

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

async fn padding_page(session: Session) -> Html<String> {
    Html(common::padding_page(&session, FRAMEWORK))
}

#[derive(serde::Deserialize)]
struct Padding {
    bytes: String,
}

async fn set_padding(session: Session, Form(form): Form<Padding>) -> Response {
    match common::set_padding(&session, &form.bytes, FRAMEWORK) {
        Ok(()) => Redirect::to("/padding").into_response(),
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

/// `GET /greeting` (and `GET /visits`) without the session layer
/// (`SESSIONLIB_NO_SESSIONS=1`).
async fn greeting_without_session(headers: HeaderMap) -> Response {
    let authorization = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
    let (code, json) = common::greeting_without_session(authorization);
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

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let settings = match common::settings() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let app = if std::env::var("SESSIONLIB_NO_SESSIONS").as_deref() == Ok("1") {
        eprintln!("SESSIONLIB_NO_SESSIONS=1: serving only GET /greeting and GET /visits, without sessions");
        Router::new()
            .route("/greeting", get(greeting_without_session))
            .route("/visits", get(greeting_without_session))
    } else {
        let mut router = Router::new()
            .route("/", get(index))
            .route("/login", get(login_form).post(login))
            .route("/logout", get(logout_page).post(logout))
            .route("/logout-everywhere", post(logout_everywhere))
            .route("/greeting", get(greeting))
            .route("/visits", get(visits));
        if settings.max_chunks > 1 {
            router = router.route("/padding", get(padding_page).post(set_padding));
        }
        router.layer(SessionLayer::new(settings.sessions).origin_guard(OriginGuard::new()))
    };
    let port = settings.port;
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
