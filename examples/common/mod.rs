//! What the axum and actix-web examples share: the configuration read from the
//! environment, and the pages. Each example only maps its framework's requests and
//! responses onto these functions; the session itself comes from the crate's
//! integration (`sessionlib::axum` or `sessionlib::actix`).
#![allow(dead_code)]

use std::sync::Arc;

use base64::Engine;
use sessionlib::handle::SessionHandle;
use sessionlib::{CookieConfig, Key, Keyring, MemoryRevocation, SessionConfig};

/// The app's settings, read once at start-up.
pub struct Settings {
    /// Sessions: keys, cookie, expiry and the revocation store.
    pub sessions: SessionConfig,
    /// The revocation store behind "log out everywhere".
    pub revocations: Arc<MemoryRevocation>,
    /// The port on 127.0.0.1.
    pub port: u16,
}

/// Reads the settings from the environment (see the examples' docs), or says what is
/// wrong.
pub fn settings() -> Result<Settings, String> {
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
    let cookie = cookie.salt("sessionlib.example");
    // SESSIONLIB_SEALED=1: the cookie is encrypted, not only signed (feature `sealed`).
    let sealed = std::env::var("SESSIONLIB_SEALED").as_deref() == Ok("1");
    #[cfg(feature = "sealed")]
    let cookie = cookie.sealed(sealed);
    #[cfg(not(feature = "sealed"))]
    if sealed {
        return Err("SESSIONLIB_SEALED=1 needs the `sealed` feature (--features sealed)".into());
    }
    let cookie = cookie.try_build().map_err(|e| e.to_string())?;
    let ttl_seconds: i64 = match std::env::var("SESSIONLIB_TTL_SECONDS") {
        Ok(text) => text
            .parse()
            .ok()
            .filter(|&s| s > 0)
            .ok_or("SESSIONLIB_TTL_SECONDS must be a positive whole number")?,
        Err(_) => 1800,
    };
    let ttl = time::Duration::seconds(ttl_seconds);
    let revocations = Arc::new(MemoryRevocation::new());
    let sessions = SessionConfig::builder(cookie)
        .idle_timeout(ttl)
        .refresh_interval((ttl / 10_i32).min(time::Duration::minutes(1)))
        .revocation(revocations.clone())
        .build();
    let port = match std::env::var("PORT") {
        Ok(text) => text.parse().map_err(|_| "PORT must be a port number")?,
        Err(_) => 8000,
    };
    Ok(Settings {
        sessions,
        revocations,
        port,
    })
}

/// A page's status and HTML.
pub struct Page {
    /// The HTTP status code.
    pub status: u16,
    /// The whole HTML document.
    pub html: String,
}

/// `GET /`: the login state and the flash messages (which it takes).
pub fn index(session: &SessionHandle, framework: &str) -> String {
    let mut body = String::new();
    for flash in session.take_flashes() {
        body.push_str(&format!(
            "<p class=\"flash {}\">{}</p>\n",
            escape(&flash.category),
            escape(&flash.message)
        ));
    }
    match session.user_id() {
        Some(name) => body.push_str(&format!(
            "<p>Logged in as {}</p>\n{LOGOUT_FORMS}",
            escape(&name)
        )),
        None => {
            body.push_str("<p>You are not logged in</p>\n<p><a href=\"/login\">Log in</a></p>\n")
        }
    }
    page(framework, &body)
}

/// `GET /login`: the form.
pub fn login_form(framework: &str) -> String {
    page(framework, LOGIN_FORM)
}

/// `POST /login` with the form's `username`: logs the session in and sets a flash
/// message (the caller redirects to `/`), or answers 400 with the form again.
pub fn login(session: &SessionHandle, username: &str, framework: &str) -> Result<(), Page> {
    let username = username.trim();
    if username.is_empty() || username.len() > 64 {
        let body = format!(
            "<p class=\"flash error\">Please enter a user name (at most 64 bytes).</p>\n{LOGIN_FORM}"
        );
        return Err(Page {
            status: 400,
            html: page(framework, &body),
        });
    }
    session.log_in(username);
    session.flash("info", "Logged in successfully");
    Ok(())
}

/// `GET /logout`: a page with the logout buttons; it changes nothing.
pub fn logout_page(framework: &str) -> String {
    page(framework, LOGOUT_FORMS)
}

/// `POST /logout`: ends this session (the caller redirects to `/`).
pub fn logout(session: &SessionHandle) {
    session.clear();
}

/// `POST /logout-everywhere`: ends every session of the logged-in user on this server
/// (through the revocation store), this one included (the caller redirects to `/`).
pub fn logout_everywhere(session: &SessionHandle, revocations: &MemoryRevocation) {
    if let Some(user) = session.user_id() {
        revocations.revoke_user(&user);
    }
    session.clear();
}

/// `GET /greeting` with HTTP Basic auth: the visit counter kept in the session.
/// Answers the status and the JSON body; 401 asks for credentials.
pub fn greeting(session: &SessionHandle, authorization: Option<&[u8]>) -> (u16, serde_json::Value) {
    let Some(user) = authorization.and_then(basic_auth_user) else {
        return (
            401,
            serde_json::json!({"message": "Please log in with HTTP Basic auth"}),
        );
    };
    let visits = session.get::<u64>("visits").unwrap_or(0).saturating_add(1);
    if session.insert("visits", &visits).is_err() {
        return (500, serde_json::json!({"message": "error"}));
    }
    let message = if visits == 1 {
        format!("Welcome, {user}!")
    } else {
        format!("Welcome back, {user}! This is visit #{visits}.")
    };
    (200, serde_json::json!({ "message": message }))
}

/// The `WWW-Authenticate` value sent with a 401 from [`greeting`].
pub const BASIC_REALM: &str = "Basic realm=\"sessionlib example\"";

/// The user name of an `Authorization: Basic` header value (the password is not
/// checked in this demo).
fn basic_auth_user(value: &[u8]) -> Option<String> {
    let value = std::str::from_utf8(value).ok()?;
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

const LOGOUT_FORMS: &str = "<form method=\"post\" action=\"/logout\">\
    <button type=\"submit\">Log out</button></form>\n\
    <form method=\"post\" action=\"/logout-everywhere\">\
    <button type=\"submit\">Log out everywhere</button></form>\n";

fn page(framework: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>sessionlib + {framework}</title></head>\n<body>\n<h1>sessionlib + {framework}</h1>\n{body}</body></html>\n"
    )
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
