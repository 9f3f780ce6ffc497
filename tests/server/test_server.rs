//! The axum example app with the testing aids the example itself leaves out, for the
//! tests that run it as a process (tests/it/fleet.rs, tests/it/browser.rs) and the
//! load test (benches/load.sh). Built with the examples (`cargo build --all-features
//! --examples`) as `test_server`.
//!
//! On top of the example's environment variables (see examples/axum.rs):
//!
//! - `SESSIONLIB_CLOCK_SKEW_SECONDS`: this server's session clock is off by that many
//!   seconds (negative: behind), to try clock differences between servers. Default 0.
//! - `SESSIONLIB_MAX_CHUNKS`: the most cookies a session may be split into, 1 to 4
//!   (`CookieConfigBuilder::max_chunks`). Default 1. Above 1 the app also serves
//!   `GET /padding` (how many bytes of padding the session holds, and a form) and
//!   `POST /padding` (form field `bytes`, 0 to 12000), to grow and shrink the session
//!   across chunks.
//! - `SESSIONLIB_NO_SESSIONS=1`: serve only `GET /greeting` and `GET /visits`, without
//!   the session layer (both the same answer as a first visit, no counter, no cookie):
//!   the load test's baseline.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../examples/axum.rs"]
#[allow(dead_code)]
mod example;

use axum::extract::Form;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use example::common::{self, Page};
use sessionlib::axum::{Session, SessionLayer};

const FRAMEWORK: &str = "axum";

/// The most padding `POST /padding` stores, in bytes.
const MAX_PADDING: usize = 12_000;

async fn padding_page(session: Session) -> Html<String> {
    let bytes = session.get::<String>("padding").map_or(0, |p| p.len());
    let body = format!(
        "<p>Padding: {bytes} bytes</p>\n\
         <form method=\"post\" action=\"/padding\">\n\
         <label>Bytes <input name=\"bytes\" value=\"{bytes}\"></label>\n\
         <button type=\"submit\">Set padding</button>\n</form>\n"
    );
    Html(common::page(FRAMEWORK, &body))
}

#[derive(serde::Deserialize)]
struct Padding {
    bytes: String,
}

/// Stores `bytes` (0 to [`MAX_PADDING`]) bytes of padding in the session.
fn set_padding_bytes(session: &Session, bytes: &str) -> Result<(), Page> {
    let Some(bytes) = bytes
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|&n| n <= MAX_PADDING)
    else {
        let body = format!("<p class=\"flash error\">Bytes must be 0 to {MAX_PADDING}.</p>\n");
        return Err(Page {
            status: 400,
            html: common::page(FRAMEWORK, &body),
        });
    };
    let result = if bytes == 0 {
        session.remove("padding").map(|_| ())
    } else {
        // Letters that do not repeat in a short cycle, like real data.
        let padding: String = (0..bytes)
            .map(|i| char::from(b'a' + ((i * 7919 + i / 26) % 26) as u8))
            .collect();
        session.insert("padding", &padding)
    };
    result.map_err(|_| Page {
        status: 500,
        html: common::page(FRAMEWORK, "<p class=\"flash error\">error</p>\n"),
    })
}

async fn set_padding(session: Session, Form(form): Form<Padding>) -> Response {
    match set_padding_bytes(&session, &form.bytes) {
        Ok(()) => Redirect::to("/padding").into_response(),
        Err(page) => (status(page.status), Html(page.html)).into_response(),
    }
}

/// `GET /greeting` without the session layer: the same answer as a first visit.
async fn greeting_without_session(headers: HeaderMap) -> Response {
    let authorization = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
    match authorization.and_then(common::basic_auth_user) {
        Some(user) => {
            Json(serde_json::json!({ "message": format!("Welcome, {user}!") })).into_response()
        }
        None => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, common::BASIC_REALM)],
            Json(serde_json::json!({"message": "Please log in with HTTP Basic auth"})),
        )
            .into_response(),
    }
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let max_chunks = common::env_number::<usize>(
        "SESSIONLIB_MAX_CHUNKS",
        |n| (1..=sessionlib::cookies::MAX_CHUNKS).contains(n),
        "a number of cookies from 1 to 4",
    );
    let skew = common::env_number::<i64>(
        "SESSIONLIB_CLOCK_SKEW_SECONDS",
        |s| s.abs() <= 86_400,
        "a whole number of seconds between -86400 and 86400",
    );
    let (max_chunks, skew) = match (max_chunks, skew) {
        (Ok(chunks), Ok(skew)) => (chunks.unwrap_or(1), skew.unwrap_or(0)),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let settings = common::settings_with(|cookie| {
        let cookie = cookie.max_chunks(max_chunks);
        if skew == 0 {
            return Ok(cookie);
        }
        eprintln!("test server: this server's session clock is off by {skew} s");
        let skew = time::Duration::seconds(skew);
        Ok(cookie.clock(move || time::OffsetDateTime::now_utc() + skew))
    });
    let settings = match settings {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let app = if std::env::var("SESSIONLIB_NO_SESSIONS").as_deref() == Ok("1") {
        eprintln!(
            "SESSIONLIB_NO_SESSIONS=1: serving GET /greeting and GET /visits, without sessions"
        );
        Router::new()
            .route("/greeting", get(greeting_without_session))
            .route("/visits", get(greeting_without_session))
    } else {
        let mut routes = example::routes();
        if max_chunks > 1 {
            routes = routes.route("/padding", get(padding_page).post(set_padding));
        }
        routes.layer(SessionLayer::new(settings.sessions))
    };
    example::serve(app, settings.port).await;
}
