//! Signed cookie sessions in an actix-web app: login, logout, flash messages and a visit
//! counter, all kept in one signed cookie.
//!
//! ```text
//! SESSIONLIB_DEV=1 cargo run --features actix --example actix_web
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
//! The session comes from `sessionlib::actix`: the `SessionMiddleware` loads it before
//! each handler and saves it after, and its same-origin guard refuses cross-origin
//! `POST`s (login CSRF, logout CSRF) with `403`. The pages are in `examples/common/`,
//! shared with the axum example.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use sessionlib::actix::{Session, SessionMiddleware};

const FRAMEWORK: &str = "actix-web";

fn html(code: u16, html: String) -> HttpResponse {
    HttpResponse::build(status(code))
        .content_type("text/html; charset=utf-8")
        .body(html)
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

async fn index(session: Session) -> HttpResponse {
    html(200, common::index(&session, FRAMEWORK))
}

async fn login_form() -> HttpResponse {
    html(200, common::login_form(FRAMEWORK))
}

#[derive(serde::Deserialize)]
struct Login {
    username: String,
}

async fn login(session: Session, form: web::Form<Login>) -> HttpResponse {
    match common::login(&session, &form.username, FRAMEWORK) {
        Ok(()) => redirect("/"),
        Err(page) => html(page.status, page.html),
    }
}

async fn logout_page() -> HttpResponse {
    html(200, common::logout_page(FRAMEWORK))
}

async fn logout(session: Session) -> HttpResponse {
    common::logout(&session);
    redirect("/")
}

async fn logout_everywhere(session: Session) -> HttpResponse {
    match common::logout_everywhere(&session, FRAMEWORK).await {
        Ok(()) => redirect("/"),
        Err(page) => html(page.status, page.html),
    }
}

async fn devices(session: Session) -> HttpResponse {
    let page = common::sessions_page(&session, FRAMEWORK).await;
    html(page.status, page.html)
}

#[derive(serde::Deserialize)]
struct Device {
    id: String,
}

async fn revoke_session(session: Session, form: web::Form<Device>) -> HttpResponse {
    match common::revoke_session(&session, &form.id, FRAMEWORK).await {
        Ok(()) => redirect("/sessions"),
        Err(page) => html(page.status, page.html),
    }
}

async fn revoke_other_sessions(session: Session) -> HttpResponse {
    match common::revoke_other_sessions(&session, FRAMEWORK).await {
        Ok(()) => redirect("/sessions"),
        Err(page) => html(page.status, page.html),
    }
}

async fn greeting(session: Session, request: HttpRequest) -> HttpResponse {
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes());
    let (code, json) = common::greeting(&session, authorization);
    let mut response = HttpResponse::build(status(code));
    if code == 401 {
        response.insert_header((header::WWW_AUTHENTICATE, common::BASIC_REALM));
    }
    response.json(json)
}

async fn visits(session: Session, request: HttpRequest) -> HttpResponse {
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes());
    let (code, json) = common::visits(&session, authorization);
    let mut response = HttpResponse::build(status(code));
    if code == 401 {
        response.insert_header((header::WWW_AUTHENTICATE, common::BASIC_REALM));
    }
    response.json(json)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let settings = common::settings();
    let sessions = settings.sessions;
    let port = settings.port;
    let server = HttpServer::new(move || {
        App::new()
            // Loads the session before every handler and saves it after; its
            // same-origin guard refuses cross-site POSTs.
            .wrap(SessionMiddleware::new(sessions.clone()))
            .route("/", web::get().to(index))
            .route("/login", web::get().to(login_form))
            .route("/login", web::post().to(login))
            .route("/logout", web::get().to(logout_page))
            .route("/logout", web::post().to(logout))
            .route("/logout-everywhere", web::post().to(logout_everywhere))
            .route("/sessions", web::get().to(devices))
            .route("/sessions/revoke", web::post().to(revoke_session))
            .route(
                "/sessions/revoke-others",
                web::post().to(revoke_other_sessions),
            )
            .route("/greeting", web::get().to(greeting))
            .route("/visits", web::get().to(visits))
    })
    .workers(2)
    .bind(("127.0.0.1", port))?;
    println!("listening on http://127.0.0.1:{port}");
    server.run().await
}
