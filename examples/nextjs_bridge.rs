//! A Rust service beside a Next.js (or any iron-session 8) app: it reads the login the
//! Node app sealed into its iron-session cookie, serves Rust routes for it, and can
//! change the session so that the Node app sees the change (for moving an app to Rust
//! route by route).
//!
//! ```text
//! IRON_SESSION_PASSWORD='the iron-session password, 32+ characters' \
//!     cargo run --features iron --example nextjs_bridge
//! ```
//!
//! Both apps must be reached under the same host name (cookies are shared between
//! ports of a host, or put both behind one reverse proxy).
//!
//! Environment variables:
//!
//! - `IRON_SESSION_PASSWORD`: the app's iron-session `password` when it is a string
//!   (iron-session treats it as the map `{1: password}`), or
//! - `IRON_SESSION_PASSWORDS`: its password map as JSON, `{"2": "new", "1": "old"}`:
//!   the highest id seals, every id opens (rotation). One of the two is required.
//! - `IRON_SESSION_COOKIE_NAME`: iron-session's `cookieName`. Default `app_session`.
//! - `IRON_SESSION_TTL`: iron-session's `ttl` in seconds. Default 1209600 (14 days).
//! - `PORT`: the port to listen on, on 127.0.0.1 only. Default 8002.
//!
//! Routes:
//!
//! - `GET /`: "Hello, NAME (from Rust)" for the user the Node app logged in
//!   (`session.user.name`), "Not logged in" otherwise.
//! - `GET /state`: the session's `user`, `counter` and `trail` as JSON, and which
//!   password id opened the cookie.
//! - `GET /bump`: adds one to `counter` and appends `"rust"` to `trail`.
//!
//! A cookie opened by an older password is sealed again with the current one. The
//! cookie is written as iron-session writes it (HttpOnly, Path=/, SameSite=Lax,
//! Max-Age of the ttl less 60 seconds); `Secure` is off because this example serves
//! plain HTTP on 127.0.0.1 (iron-session sets it by default: keep it on behind HTTPS).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use sessionlib::cookies::{Cookie, SameSite};
use sessionlib::iron::{IronCodec, Passwords};

type Session = Map<String, Value>;

#[derive(Clone)]
struct Bridge {
    codec: IronCodec,
    cookie_name: String,
}

/// The session of a request: empty when there is none or it does not open.
struct Loaded {
    session: Session,
    password_id: Option<String>,
    reissue: bool,
}

impl Bridge {
    fn load(&self, headers: &HeaderMap) -> Loaded {
        let joined: Vec<&[u8]> = headers
            .get_all(header::COOKIE)
            .iter()
            .map(HeaderValue::as_bytes)
            .collect();
        match self
            .codec
            .decode_header::<Session>(joined.join(&b"; "[..]), &self.cookie_name)
        {
            Ok(Some(verified)) => Loaded {
                reissue: verified.needs_reissue(),
                password_id: Some(verified.password_id),
                session: verified.data,
            },
            Ok(None) => Loaded {
                session: Session::new(),
                password_id: None,
                reissue: false,
            },
            Err(e) => {
                // Never the cookie itself: errors carry no token or data.
                eprintln!("iron session refused: {e}");
                Loaded {
                    session: Session::new(),
                    password_id: None,
                    reissue: false,
                }
            }
        }
    }

    /// The response with the session sealed into iron-session's cookie.
    fn save(&self, session: &Session, body: impl IntoResponse) -> Response {
        let token = match self.codec.encode(session) {
            Ok(token) => token,
            Err(e) => {
                eprintln!("iron session not saved: {e}");
                return (StatusCode::INTERNAL_SERVER_ERROR, "session not saved").into_response();
            }
        };
        let cookie = Cookie::build((self.cookie_name.clone(), token))
            .http_only(true)
            .path("/")
            .same_site(SameSite::Lax)
            .max_age(self.codec.cookie_max_age());
        let mut response = body.into_response();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::try_from(cookie.build().to_string()) {
            headers.append(header::SET_COOKIE, value);
            headers.append(header::VARY, HeaderValue::from_static("Cookie"));
            headers.append(header::CACHE_CONTROL, HeaderValue::from_static("private"));
        }
        response
    }

    /// Seals the cookie again only when an older password opened it.
    fn maybe_save(&self, loaded: &Loaded, body: impl IntoResponse) -> Response {
        if loaded.reissue {
            self.save(&loaded.session, body)
        } else {
            body.into_response()
        }
    }
}

async fn index(State(bridge): State<Bridge>, headers: HeaderMap) -> Response {
    let loaded = bridge.load(&headers);
    let text = match loaded.session.get("user").and_then(|u| u.get("name")) {
        Some(Value::String(name)) => format!("Hello, {name} (from Rust)\n"),
        _ => "Not logged in\n".to_string(),
    };
    bridge.maybe_save(&loaded, text)
}

async fn state(State(bridge): State<Bridge>, headers: HeaderMap) -> Response {
    let loaded = bridge.load(&headers);
    let s = &loaded.session;
    let body = Json(json!({
        "user": s.get("user"),
        "counter": s.get("counter"),
        "trail": s.get("trail"),
        "password_id": loaded.password_id,
    }));
    bridge.maybe_save(&loaded, body)
}

async fn bump(State(bridge): State<Bridge>, headers: HeaderMap) -> Response {
    let mut session = bridge.load(&headers).session;
    let counter = session.get("counter").and_then(Value::as_i64).unwrap_or(0) + 1;
    session.insert("counter".into(), counter.into());
    let mut trail = match session.remove("trail") {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    trail.push("rust".into());
    session.insert("trail".into(), Value::Array(trail));
    bridge.save(&session, Json(json!({ "counter": counter })))
}

fn bridge_from_env() -> Result<Bridge, String> {
    let map: Vec<(String, String)> = match (
        std::env::var("IRON_SESSION_PASSWORDS"),
        std::env::var("IRON_SESSION_PASSWORD"),
    ) {
        (Ok(json), _) => serde_json::from_str::<Map<String, Value>>(&json)
            .map_err(|_| "IRON_SESSION_PASSWORDS must be a JSON object of id: password")?
            .into_iter()
            .map(|(id, pw)| match pw {
                Value::String(pw) => Ok((id, pw)),
                _ => Err("IRON_SESSION_PASSWORDS: every password must be a string".to_string()),
            })
            .collect::<Result<_, _>>()?,
        (Err(_), Ok(password)) => vec![("1".to_string(), password)],
        (Err(_), Err(_)) => {
            return Err(
                "IRON_SESSION_PASSWORD (or IRON_SESSION_PASSWORDS) must be set to the \
                 iron-session password"
                    .into(),
            )
        }
    };
    let map: Vec<(&str, &str)> = map.iter().map(|(i, p)| (i.as_str(), p.as_str())).collect();
    let passwords = Passwords::iron_session(&map).map_err(|e| e.to_string())?;
    let ttl = match std::env::var("IRON_SESSION_TTL") {
        Ok(text) => text
            .parse::<u32>()
            .map(|s| sessionlib::time::Duration::seconds(s.into()))
            .map_err(|_| "IRON_SESSION_TTL must be a number of seconds")?,
        Err(_) => sessionlib::iron::DEFAULT_TTL,
    };
    let codec = IronCodec::builder(passwords).ttl(ttl).build();
    let cookie_name =
        std::env::var("IRON_SESSION_COOKIE_NAME").unwrap_or_else(|_| "app_session".into());
    Ok(Bridge { codec, cookie_name })
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let bridge = bridge_from_env().unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    });
    let port: u16 = match std::env::var("PORT") {
        Ok(text) => text.parse().unwrap_or_else(|_| {
            eprintln!("error: PORT must be a port number");
            std::process::exit(2);
        }),
        Err(_) => 8002,
    };
    let app = Router::new()
        .route("/", get(index))
        .route("/state", get(state))
        .route("/bump", get(bump))
        .with_state(bridge);
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
