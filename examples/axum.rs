//! Signed cookie sessions in an axum app: login, logout, flash messages and a visit
//! counter, all kept in one signed cookie.
//!
//! ```text
//! SESSIONLIB_DEV=1 cargo run --example axum
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
//!   secure (see tests/browser.rs).
//! - `SESSIONLIB_TTL_SECONDS`: the idle timeout in seconds. Default 1800.
//!
//! Routes: `GET /` (login state and flash messages), `GET /login` (a form),
//! `POST /login` (form field `username`), `GET /logout`, and `GET /greeting` (HTTP
//! Basic auth; any password is accepted in this demo) answering JSON with a visit
//! counter kept in the session.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::{Form, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use base64::Engine;
use sessionlib::{CookieConfig, Key, Keyring, Session, SessionConfig};

// ---- Framework glue: load the session before the handler, save it after. ----

/// The request's session, shared between the middleware and the handler.
#[derive(Clone)]
struct SessionHandle(Arc<Mutex<Session>>);

impl SessionHandle {
    fn lock(&self) -> MutexGuard<'_, Session> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn session_middleware(
    State(sessions): State<SessionConfig>,
    mut request: Request,
    next: Next,
) -> Response {
    let cookie_header = cookie_header(request.headers());
    let handle = SessionHandle(Arc::new(Mutex::new(sessions.load(cookie_header))));
    request.extensions_mut().insert(handle.clone());
    let mut response = next.run(request).await;
    let saved = sessions.save(&handle.lock());
    match saved {
        Ok(Some(update)) => {
            for (name, value) in update.headers() {
                if let Ok(value) = HeaderValue::try_from(value) {
                    response.headers_mut().append(name, value);
                }
            }
            response
        }
        Ok(None) => response,
        Err(e) => {
            eprintln!("session not saved: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "session could not be saved",
            )
                .into_response()
        }
    }
}

/// All `Cookie:` headers joined with "; " (HTTP/2 clients may send several).
fn cookie_header(headers: &HeaderMap) -> Vec<u8> {
    let values: Vec<&[u8]> = headers
        .get_all(header::COOKIE)
        .iter()
        .map(HeaderValue::as_bytes)
        .collect();
    values.join(&b"; "[..])
}

// ---- The app. ----

async fn index(Extension(session): Extension<SessionHandle>) -> Html<String> {
    let mut session = session.lock();
    let mut body = String::new();
    for flash in session.take_flashes() {
        body.push_str(&format!(
            "<p class=\"flash {}\">{}</p>\n",
            escape(&flash.category),
            escape(&flash.message)
        ));
    }
    match session.get::<String>("username") {
        Some(name) => body.push_str(&format!(
            "<p>Logged in as {}</p>\n<p><a href=\"/logout\">Log out</a></p>\n",
            escape(&name)
        )),
        None => {
            body.push_str("<p>You are not logged in</p>\n<p><a href=\"/login\">Log in</a></p>\n")
        }
    }
    page(&body)
}

async fn login_form() -> Html<String> {
    page(LOGIN_FORM)
}

#[derive(serde::Deserialize)]
struct Login {
    username: String,
}

async fn login(
    Extension(session): Extension<SessionHandle>,
    Form(form): Form<Login>,
) -> Result<Redirect, (StatusCode, Html<String>)> {
    let username = form.username.trim();
    if username.is_empty() || username.len() > 64 {
        let body = format!("<p class=\"flash error\">Please enter a user name (at most 64 bytes).</p>\n{LOGIN_FORM}");
        return Err((StatusCode::BAD_REQUEST, page(&body)));
    }
    let mut session = session.lock();
    session.regenerate();
    session
        .insert("username", username)
        .map_err(|_| (StatusCode::INTERNAL_SERVER_ERROR, page("<p>Error</p>")))?;
    session.flash("info", "Logged in successfully");
    Ok(Redirect::to("/"))
}

async fn logout(Extension(session): Extension<SessionHandle>) -> Redirect {
    session.lock().clear();
    Redirect::to("/")
}

async fn greeting(Extension(session): Extension<SessionHandle>, headers: HeaderMap) -> Response {
    let Some(user) = basic_auth_user(&headers) else {
        return (
            StatusCode::UNAUTHORIZED,
            [(
                header::WWW_AUTHENTICATE,
                "Basic realm=\"sessionlib example\"",
            )],
            Json(serde_json::json!({"message": "Please log in with HTTP Basic auth"})),
        )
            .into_response();
    };
    let mut session = session.lock();
    let visits = session.get::<u64>("visits").unwrap_or(0).saturating_add(1);
    if session.insert("visits", &visits).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let message = if visits == 1 {
        format!("Welcome, {user}!")
    } else {
        format!("Welcome back, {user}! This is visit #{visits}.")
    };
    Json(serde_json::json!({ "message": message })).into_response()
}

/// The user name of an `Authorization: Basic` header (the password is not checked in
/// this demo).
fn basic_auth_user(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(credentials.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, _password) = decoded.split_once(':')?;
    (!user.is_empty()).then(|| user.to_owned())
}

const LOGIN_FORM: &str = "<form method=\"post\" action=\"/login\">\n\
    <label>User name <input name=\"username\" autofocus></label>\n\
    <button type=\"submit\">Log in</button>\n</form>\n";

fn page(body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>sessionlib + axum</title></head>\n<body>\n<h1>sessionlib + axum</h1>\n{body}</body></html>\n"
    ))
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

// ---- Configuration from the environment. ----

fn session_config() -> Result<SessionConfig, String> {
    let key = match std::env::var("SESSIONLIB_SECRET_KEY") {
        Ok(secret) => {
            Key::from_bytes(secret.as_bytes()).map_err(|e| format!("SESSIONLIB_SECRET_KEY: {e}"))?
        }
        Err(_) => {
            eprintln!(
                "WARNING: SESSIONLIB_SECRET_KEY is not set. Using a random development key:\n\
                 WARNING: every session ends when this server stops. Never run like this in production."
            );
            Key::generate()
        }
    };
    let mut keyring = Keyring::new(key);
    if let Ok(old) = std::env::var("SESSIONLIB_FALLBACK_KEY") {
        let old =
            Key::from_bytes(old.as_bytes()).map_err(|e| format!("SESSIONLIB_FALLBACK_KEY: {e}"))?;
        keyring = keyring.with_fallback(old);
    }
    let dev = std::env::var("SESSIONLIB_DEV").as_deref() == Ok("1");
    let cookie = if dev {
        eprintln!(
            "WARNING: SESSIONLIB_DEV=1: development mode. The session cookie is sent without\n\
             WARNING: the Secure attribute, over plain HTTP. Never use this in production."
        );
        CookieConfig::builder(keyring).name("session").secure(false)
    } else {
        CookieConfig::builder(keyring).name("__Host-session")
    };
    let cookie = cookie
        .salt("sessionlib.example")
        .try_build()
        .map_err(|e| e.to_string())?;
    let ttl_seconds: i64 = match std::env::var("SESSIONLIB_TTL_SECONDS") {
        Ok(text) => text
            .parse()
            .ok()
            .filter(|&s| s > 0)
            .ok_or("SESSIONLIB_TTL_SECONDS must be a positive whole number")?,
        Err(_) => 1800,
    };
    let ttl = time::Duration::seconds(ttl_seconds);
    Ok(SessionConfig::builder(cookie)
        .idle_timeout(ttl)
        .refresh_interval((ttl / 10_i32).min(time::Duration::minutes(1)))
        .build())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let sessions = match session_config() {
        Ok(sessions) => sessions,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let port: u16 = match std::env::var("PORT") {
        Ok(text) => text.parse().unwrap_or_else(|_| {
            eprintln!("error: PORT must be a port number");
            std::process::exit(2);
        }),
        Err(_) => 8000,
    };
    let app = Router::new()
        .route("/", get(index))
        .route("/login", get(login_form).post(login))
        .route("/logout", get(logout))
        .route("/greeting", get(greeting))
        .layer(middleware::from_fn_with_state(sessions, session_middleware));
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
