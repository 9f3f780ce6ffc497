//! Signed cookie sessions in a Rocket app: login, logout, flash messages and a visit
//! counter, all kept in one signed cookie.
//!
//! ```text
//! SESSIONLIB_DEV=1 cargo run --features rocket --example rocket
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
//! The session comes from `sessionlib::rocket`: the `SessionFairing` loads it before
//! each handler and saves it after, and its same-origin guard refuses cross-origin
//! `POST`s (login CSRF, logout CSRF) with `403`. The pages are in `examples/common/`,
//! shared with the axum and actix-web examples. Rocket's own settings (`ROCKET_*`,
//! `Rocket.toml`) apply, except the address and port, which are the ones above.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Cursor;
use std::net::{IpAddr, Ipv4Addr};

use rocket::form::Form;
use rocket::http::{ContentType, Status};
use rocket::request::{self, FromRequest, Request};
use rocket::response::content::RawHtml;
use rocket::response::{self as rocket_response, Redirect, Responder, Response};
use rocket::{get, post, routes, FromForm};
use sessionlib::rocket::{Session, SessionFairing};

const FRAMEWORK: &str = "Rocket";

/// An HTML page with its status.
type Html = (Status, RawHtml<String>);

fn html(code: u16, html: String) -> Html {
    (status(code), RawHtml(html))
}

fn status(code: u16) -> Status {
    Status::from_code(code).unwrap_or(Status::InternalServerError)
}

#[get("/")]
fn index(session: Session) -> Html {
    html(200, common::index(&session, FRAMEWORK))
}

#[get("/login")]
fn login_form() -> Html {
    html(200, common::login_form(FRAMEWORK))
}

#[derive(FromForm)]
struct Login {
    username: String,
}

#[post("/login", data = "<form>")]
fn login(session: Session, form: Form<Login>) -> Result<Redirect, Html> {
    match common::login(&session, &form.username, FRAMEWORK) {
        Ok(()) => Ok(Redirect::to("/")),
        Err(page) => Err(html(page.status, page.html)),
    }
}

#[get("/logout")]
fn logout_page() -> Html {
    html(200, common::logout_page(FRAMEWORK))
}

#[post("/logout")]
fn logout(session: Session) -> Redirect {
    common::logout(&session);
    Redirect::to("/")
}

#[post("/logout-everywhere")]
async fn logout_everywhere(session: Session) -> Result<Redirect, Html> {
    match common::logout_everywhere(&session, FRAMEWORK).await {
        Ok(()) => Ok(Redirect::to("/")),
        Err(page) => Err(html(page.status, page.html)),
    }
}

#[get("/sessions")]
async fn devices(session: Session) -> Html {
    let page = common::sessions_page(&session, FRAMEWORK).await;
    html(page.status, page.html)
}

#[derive(FromForm)]
struct Device {
    id: String,
}

#[post("/sessions/revoke", data = "<form>")]
async fn revoke_session(session: Session, form: Form<Device>) -> Result<Redirect, Html> {
    match common::revoke_session(&session, &form.id, FRAMEWORK).await {
        Ok(()) => Ok(Redirect::to("/sessions")),
        Err(page) => Err(html(page.status, page.html)),
    }
}

#[post("/sessions/revoke-others")]
async fn revoke_other_sessions(session: Session) -> Result<Redirect, Html> {
    match common::revoke_other_sessions(&session, FRAMEWORK).await {
        Ok(()) => Ok(Redirect::to("/sessions")),
        Err(page) => Err(html(page.status, page.html)),
    }
}

/// The request's `Authorization` header, if any.
struct Authorization<'r>(Option<&'r str>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Authorization<'r> {
    type Error = std::convert::Infallible;

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        request::Outcome::Success(Authorization(request.headers().get_one("Authorization")))
    }
}

/// A JSON answer; a `401` also asks for Basic credentials.
struct Json(u16, serde_json::Value);

impl<'r> Responder<'r, 'static> for Json {
    fn respond_to(self, _: &'r Request<'_>) -> rocket_response::Result<'static> {
        let body = self.1.to_string();
        let mut response = Response::build();
        response
            .status(status(self.0))
            .header(ContentType::JSON)
            .sized_body(body.len(), Cursor::new(body));
        if self.0 == 401 {
            response.raw_header("WWW-Authenticate", common::BASIC_REALM);
        }
        response.ok()
    }
}

#[get("/greeting")]
fn greeting(session: Session, authorization: Authorization<'_>) -> Json {
    let (code, json) = common::greeting(&session, authorization.0.map(str::as_bytes));
    Json(code, json)
}

#[get("/visits")]
fn visits(session: Session, authorization: Authorization<'_>) -> Json {
    let (code, json) = common::visits(&session, authorization.0.map(str::as_bytes));
    Json(code, json)
}

#[rocket::main]
async fn main() {
    let settings = common::settings();
    let port = settings.port;
    let figment = rocket::Config::figment()
        .merge(("address", IpAddr::V4(Ipv4Addr::LOCALHOST)))
        .merge(("port", port))
        .merge(("workers", 2));
    let rocket = rocket::custom(figment)
        // Loads the session before every handler and saves it after; its same-origin
        // guard refuses cross-site POSTs.
        .attach(SessionFairing::new(settings.sessions))
        .attach(rocket::fairing::AdHoc::on_liftoff("address", move |_| {
            Box::pin(async move { println!("listening on http://127.0.0.1:{port}") })
        }))
        .mount(
            "/",
            routes![
                index,
                login_form,
                login,
                logout_page,
                logout,
                logout_everywhere,
                devices,
                revoke_session,
                revoke_other_sessions,
                greeting,
                visits
            ],
        );
    if let Err(e) = rocket.launch().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
