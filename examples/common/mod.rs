//! What the axum, actix-web and Rocket examples share: the configuration read from the
//! environment, and the pages. Each example only maps its framework's requests and
//! responses onto these functions; the session itself comes from the crate's
//! integration (`sessionlib::axum`, `sessionlib::actix` or `sessionlib::rocket`).
#![allow(dead_code)]

use std::sync::Arc;

use base64::Engine;
use sessionlib::Session;
use sessionlib::{
    CookieConfig, CookieConfigBuilder, Key, KeyError, Keyring, MemoryRevocation, Revocation,
    SessionConfig,
};

/// The app's settings, read once at start-up.
pub struct Settings {
    /// Sessions: keys, cookie, expiry and the revocation store.
    pub sessions: SessionConfig,
    /// The port on 127.0.0.1.
    pub port: u16,
}

/// An optional environment variable parsed as a number with `check`, or what is wrong.
pub fn env_number<T: std::str::FromStr>(
    name: &str,
    check: impl Fn(&T) -> bool,
    what: &str,
) -> Result<Option<T>, String> {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .ok()
            .filter(|v| check(v))
            .map(Some)
            .ok_or_else(|| format!("{name} must be {what}")),
        Err(_) => Ok(None),
    }
}

/// The revocation store the environment asks for (see the examples' docs): Redis,
/// shared by every server, when `SESSIONLIB_REDIS_URL` (one Redis) or
/// `SESSIONLIB_REDIS_CLUSTER` (comma-separated `host:port` nodes of a Redis Cluster) is
/// set; otherwise in memory, for this process only.
fn revocations() -> Result<Arc<dyn Revocation>, String> {
    let url = std::env::var("SESSIONLIB_REDIS_URL").ok();
    let cluster = std::env::var("SESSIONLIB_REDIS_CLUSTER").ok();
    if url.is_none() && cluster.is_none() {
        return Ok(Arc::new(MemoryRevocation::new()));
    }
    #[cfg(feature = "redis")]
    {
        use sessionlib::redis::RedisRevocation;
        use std::time::Duration;
        let ms = |name| env_number::<u64>(name, |_| true, "a whole number of milliseconds");
        let mut builder = match (url, cluster) {
            (Some(url), None) => RedisRevocation::builder(&url)
                .map_err(|e| format!("SESSIONLIB_REDIS_URL: {}", source_text(&e)))?,
            (None, Some(nodes)) => RedisRevocation::cluster_builder(
                nodes
                    .split(',')
                    .map(|node| format!("redis://{}", node.trim())),
            )
            .map_err(|e| format!("SESSIONLIB_REDIS_CLUSTER: {}", source_text(&e)))?,
            _ => {
                return Err("set SESSIONLIB_REDIS_URL or SESSIONLIB_REDIS_CLUSTER, not both".into())
            }
        };
        if let Some(ms) = ms("SESSIONLIB_REDIS_TIMEOUT_MS")? {
            builder = builder.timeout(Duration::from_millis(ms));
        }
        if let Some(ms) = ms("SESSIONLIB_REDIS_CACHE_MS")? {
            builder = builder.cache_ttl(Duration::from_millis(ms));
        }
        if let Some(ms) = ms("SESSIONLIB_REDIS_FAIL_OPEN_MS")? {
            builder = builder.fail_open_for(Duration::from_millis(ms));
        }
        let store = builder.build();
        eprintln!("revocations: Redis ({store:?})");
        Ok(Arc::new(store))
    }
    #[cfg(not(feature = "redis"))]
    {
        let _ = (url, cluster);
        Err(
            "SESSIONLIB_REDIS_URL or SESSIONLIB_REDIS_CLUSTER is set but this build has no \
             Redis support: build with `--features redis`"
                .into(),
        )
    }
}

/// An error's cause, or the error itself, as text.
fn source_text(error: &dyn std::error::Error) -> String {
    error.source().unwrap_or(error).to_string()
}

/// Reads the settings from the environment (see the examples' docs); on a mistake,
/// says what is wrong and exits with status 2.
pub fn settings() -> Settings {
    settings_with(Ok).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    })
}

/// [`settings`], with `adjust` applied to the cookie configuration before it is built
/// (the test server adds its testing aids there).
pub fn settings_with(
    adjust: impl FnOnce(CookieConfigBuilder) -> Result<CookieConfigBuilder, String>,
) -> Result<Settings, String> {
    let keyring = match Keyring::from_env("SESSIONLIB_SECRET_KEY", &["SESSIONLIB_FALLBACK_KEY"]) {
        Ok(keyring) => keyring,
        Err(KeyError::NotSet { .. }) => {
            eprintln!(
                "WARNING: SESSIONLIB_SECRET_KEY is not set. Using a random development key:\n\
                 WARNING: every session ends when this server stops. Never run like this in production."
            );
            Keyring::new(Key::generate())
        }
        Err(e) => return Err(e.to_string()),
    };
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
    let leeway = env_number::<i64>(
        "SESSIONLIB_LEEWAY_SECONDS",
        |&s| s >= 0,
        "a whole number of seconds",
    )?;
    let cookie = cookie
        .salt("sessionlib.example")
        .leeway(time::Duration::seconds(leeway.unwrap_or(0)));
    // SESSIONLIB_SEALED=1: the cookie is encrypted, not only signed (feature `sealed`).
    let sealed = std::env::var("SESSIONLIB_SEALED").as_deref() == Ok("1");
    #[cfg(feature = "sealed")]
    let cookie = cookie.sealed(sealed);
    #[cfg(not(feature = "sealed"))]
    if sealed {
        return Err("SESSIONLIB_SEALED=1 needs the `sealed` feature (--features sealed)".into());
    }
    let cookie = adjust(cookie)?.try_build().map_err(|e| e.to_string())?;
    let ttl_seconds: i64 = match std::env::var("SESSIONLIB_TTL_SECONDS") {
        Ok(text) => text
            .parse()
            .ok()
            .filter(|&s| s > 0)
            .ok_or("SESSIONLIB_TTL_SECONDS must be a positive whole number")?,
        Err(_) => 1800,
    };
    let ttl = time::Duration::seconds(ttl_seconds);
    let sessions = SessionConfig::builder(cookie)
        .idle_timeout(ttl)
        .refresh_interval((ttl / 10_i32).min(time::Duration::minutes(1)))
        .revocation(revocations()?)
        // "Your devices" (GET /sessions): on unless SESSIONLIB_REGISTRY=0.
        .registry(std::env::var("SESSIONLIB_REGISTRY").as_deref() != Ok("0"))
        .build();
    let port = match std::env::var("PORT") {
        Ok(text) => text.parse().map_err(|_| "PORT must be a port number")?,
        Err(_) => 8000,
    };
    Ok(Settings { sessions, port })
}

/// A page's status and HTML.
pub struct Page {
    /// The HTTP status code.
    pub status: u16,
    /// The whole HTML document.
    pub html: String,
}

/// `GET /`: the login state and the flash messages (which it takes).
pub fn index(session: &Session, framework: &str) -> String {
    let mut body = flashes(session);
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

/// The session's flash messages (taken), as HTML paragraphs.
fn flashes(session: &Session) -> String {
    session
        .take_flashes()
        .iter()
        .map(|flash| {
            format!(
                "<p class=\"flash {}\">{}</p>\n",
                escape(&flash.category),
                escape(&flash.message)
            )
        })
        .collect()
}

/// `GET /login`: the form.
pub fn login_form(framework: &str) -> String {
    page(framework, LOGIN_FORM)
}

/// `POST /login` with the form's `username`: logs the session in and sets a flash
/// message (the caller redirects to `/`), or answers 400 with the form again.
pub fn login(session: &Session, username: &str, framework: &str) -> Result<(), Page> {
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
pub fn logout(session: &Session) {
    session.clear();
}

/// `POST /logout-everywhere`: ends every session of the logged-in user, this one
/// included (the caller redirects to `/`): on this server with the in-memory store, on
/// every server with Redis. When the store cannot be reached, nothing changes and the
/// answer is a 503 page.
pub async fn logout_everywhere(session: &Session, framework: &str) -> Result<(), Page> {
    if session.log_out_everywhere().await.is_ok() {
        return Ok(());
    }
    let body = format!(
        "<p class=\"flash error\">Could not log out everywhere: the session store \
         is not available. Nothing was changed; please try again.</p>\n{LOGOUT_FORMS}"
    );
    Err(Page {
        status: 503,
        html: page(framework, &body),
    })
}

/// `GET /greeting` with HTTP Basic auth: the visit counter kept in the session.
/// Answers the status and the JSON body; 401 asks for credentials.
pub fn greeting(session: &Session, authorization: Option<&[u8]>) -> (u16, serde_json::Value) {
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

/// `GET /visits` with HTTP Basic auth: the visit count kept by [`greeting`], read
/// without changing the session (so the response carries no new cookie; the load
/// test's read-only route).
pub fn visits(session: &Session, authorization: Option<&[u8]>) -> (u16, serde_json::Value) {
    let Some(user) = authorization.and_then(basic_auth_user) else {
        return (
            401,
            serde_json::json!({"message": "Please log in with HTTP Basic auth"}),
        );
    };
    let visits = session.get::<u64>("visits").unwrap_or(0);
    (
        200,
        serde_json::json!({ "message": format!("{user}, you have visited {visits} times.") }),
    )
}

/// `GET /sessions`: the user's devices, the most recently seen first, this one marked,
/// with a "Log out" button for each other one and one for all of them; takes the
/// flash messages. Anonymous visitors get 401 and a login link; a store that cannot
/// answer, 503.
pub async fn sessions_page(session: &Session, framework: &str) -> Page {
    if session.user_id().is_none() {
        return Page {
            status: 401,
            html: page(
                framework,
                "<p>You are not logged in</p>\n<p><a href=\"/login\">Log in</a></p>\n",
            ),
        };
    }
    let mut body = flashes(session);
    let entries = match session.list_sessions().await {
        Ok(entries) => entries,
        Err(_) => return unavailable(framework, "list your devices"),
    };
    let current = session.id();
    body.push_str("<h2>Your devices</h2>\n<ul>\n");
    for entry in &entries {
        let this = Some(entry.id()) == current.as_deref();
        body.push_str(&format!(
            "<li class=\"device{}\" data-id=\"{}\">{} &middot; signed in {} &middot; last seen {}",
            if this { " current" } else { "" },
            escape(entry.id()),
            escape(entry.device()),
            utc(entry.created_at()),
            utc(entry.last_seen()),
        ));
        if this {
            body.push_str(" <strong>(this device)</strong>");
        } else {
            body.push_str(&format!(
                " <form method=\"post\" action=\"/sessions/revoke\">\
                 <input type=\"hidden\" name=\"id\" value=\"{}\">\
                 <button type=\"submit\">Log out</button></form>",
                escape(entry.id())
            ));
        }
        body.push_str("</li>\n");
    }
    body.push_str("</ul>\n");
    if entries.len() > 1 {
        body.push_str(
            "<form method=\"post\" action=\"/sessions/revoke-others\">\
             <button type=\"submit\">Log out all other devices</button></form>\n",
        );
    }
    Page {
        status: 200,
        html: page(framework, &body),
    }
}

/// `POST /sessions/revoke` with the form's `id`: logs out that device of the user (the
/// caller redirects to `/sessions`, which shows the outcome as a flash message).
pub async fn revoke_session(session: &Session, id: &str, framework: &str) -> Result<(), Page> {
    match session.revoke_session_id(id).await {
        Ok(true) => session.flash("info", "That device was logged out"),
        Ok(false) => session.flash("error", "No such device"),
        Err(_) => return Err(unavailable(framework, "log out that device")),
    }
    Ok(())
}

/// `POST /sessions/revoke-others`: logs out every other device of the user (the caller
/// redirects to `/sessions`).
pub async fn revoke_other_sessions(session: &Session, framework: &str) -> Result<(), Page> {
    match session.log_out_other_devices().await {
        Ok(n) => session.flash("info", format!("Logged out {n} other device(s)")),
        Err(_) => return Err(unavailable(framework, "log out your other devices")),
    }
    Ok(())
}

/// The 503 page for a session store that cannot answer.
fn unavailable(framework: &str, what: &str) -> Page {
    let body = format!(
        "<p class=\"flash error\">Could not {what}: the session store is not available. \
         Nothing was changed; please try again.</p>\n"
    );
    Page {
        status: 503,
        html: page(framework, &body),
    }
}

/// A time as `2026-12-04 19:00:00 UTC`.
fn utc(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// The `WWW-Authenticate` value sent with a 401 from [`greeting`].
pub const BASIC_REALM: &str = "Basic realm=\"sessionlib example\"";

/// The user name of an `Authorization: Basic` header value (the password is not
/// checked in this demo).
pub fn basic_auth_user(value: &[u8]) -> Option<String> {
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

const LOGOUT_FORMS: &str = "<p><a href=\"/sessions\">Your devices</a></p>\n\
    <form method=\"post\" action=\"/logout\">\
    <button type=\"submit\">Log out</button></form>\n\
    <form method=\"post\" action=\"/logout-everywhere\">\
    <button type=\"submit\">Log out everywhere</button></form>\n";

pub fn page(framework: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>sessionlib + {framework}</title></head>\n<body>\n<h1>sessionlib + {framework}</h1>\n{body}</body></html>\n"
    )
}

pub fn escape(text: &str) -> String {
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
