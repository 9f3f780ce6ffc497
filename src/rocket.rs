//! Rocket integration (feature `rocket`): the [`SessionFairing`] and the [`Session`]
//! request guard.
//!
//! ```
//! use rocket::{get, routes};
//! use sessionlib::rocket::{Session, SessionFairing};
//! use sessionlib::{CookieConfig, Key, Keyring, SessionConfig};
//!
//! #[get("/")]
//! fn index(session: Session) -> String {
//!     let visits: u32 = session.get("visits").unwrap_or(0);
//!     session.insert("visits", &(visits + 1)).expect("a number serializes");
//!     format!("visit #{}", visits + 1)
//! }
//!
//! # fn main() -> Result<(), sessionlib::Error> {
//! let sessions = SessionConfig::builder(
//!     CookieConfig::builder(Keyring::new(Key::generate())).try_build()?,
//! )
//! .build();
//! let rocket = rocket::build()
//!     .attach(SessionFairing::new(sessions))
//!     .mount("/", routes![index]);
//! # let _ = rocket;
//! # Ok(())
//! # }
//! ```
//!
//! The fairing loads the session before routing (waiting for the revocation store, if
//! one is configured) and saves it after, into every response whatever its status, an
//! error catcher's response included: `Set-Cookie`, `Vary: Cookie` and a private
//! `Cache-Control` when a cookie is sent, nothing when nothing changed. A session too
//! large for its cookie turns the response into a `500` with a fixed body (logged with
//! `tracing`, which forwards to `log` and so to Rocket's logger when no `tracing`
//! subscriber is installed). The same-origin guard is on by default ([`OriginGuard`](crate::OriginGuard);
//! replace it with [`SessionFairing::origin_guard`], turn it off with
//! [`SessionFairing::without_origin_guard`]): a cross-origin state-changing request
//! from a browser gets a `403` and reaches no handler (the fairing routes it to a route
//! of its own, `GET /__sessionlib/refused`, ranked before every other).
//!
//! A route that takes a [`Session`] (or a [`Typed`]) on a Rocket without the fairing
//! does not launch: the guard's [sentinel](rocket::Sentinel) aborts it, naming the
//! missing fairing. A route whose guards escape the sentinel (a hand-made `Handler`)
//! gets a `500` instead, with the same message logged.

use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::http::uri::Origin;
use rocket::http::{ContentType, Method, Status};
use rocket::request::{FromRequest, Outcome};
use rocket::route::{self, Handler, Route};
use rocket::{Build, Data, Ignite, Request, Response, Rocket, Sentinel};

pub use crate::handle::{Typed, TypedSession};
use crate::integration::{body, close, integration_config, Closed, RequestHeaders};
use crate::session::ResponseHeaders;

/// The request's session, as a request guard: [`crate::Session`], a cheap `Clone`
/// handle whose methods need no lock and no `mut`. It needs the [`SessionFairing`];
/// without it the Rocket does not launch (see the [module docs](self)).
pub use crate::handle::Session;

integration_config!(
    /// A Rocket fairing that gives every request a session; see the
    /// [module docs](self). Attach it with `.attach(SessionFairing::new(config))`.
    SessionFairing,
    "fairing"
);

/// The path of the fairing's own route, where refused requests are sent.
const REFUSED_PATH: &str = "/__sessionlib/refused";

const MISSING_FAIRING: &str = "500 Internal Server Error: the sessionlib::rocket::Session \
     request guard needs sessionlib::rocket::SessionFairing on the Rocket (Rocket::attach)";

/// Put into the managed state when the fairing is attached: what the sentinel looks
/// for.
struct Attached;

/// The request-local state the fairing leaves for the guard and for `on_response`.
enum Local {
    /// Not touched by the fairing (the default of the request-local cache).
    Untouched,
    /// Refused by the same-origin guard.
    Refused,
    /// The request's session.
    Opened(Session),
}

#[rocket::async_trait]
impl Fairing for SessionFairing {
    fn info(&self) -> Info {
        Info {
            name: "sessionlib::rocket::SessionFairing",
            kind: Kind::Ignite | Kind::Request | Kind::Response | Kind::Singleton,
        }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        let refused = Route::ranked(isize::MIN, Method::Get, REFUSED_PATH, Refused);
        Ok(rocket.manage(Attached).mount("/", vec![refused]))
    }

    async fn on_request(&self, request: &mut Request<'_>, _: &mut Data<'_>) {
        if !self.shell.allows(&*request) {
            request.local_cache(|| Local::Refused);
            request.set_method(Method::Get);
            request.set_uri(Origin::path_only(REFUSED_PATH));
            return;
        }
        let handle = self.shell.open(&*request).await;
        request.local_cache(|| Local::Opened(handle));
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        match request.local_cache(|| Local::Untouched) {
            Local::Untouched => {}
            // The fairing's route answered it (Rocket's other fairings, such as Shield,
            // have added their headers); anything else is replaced.
            Local::Refused if response.status() == Status::Forbidden => {}
            Local::Refused => fixed(response, Status::Forbidden, body::CROSS_ORIGIN),
            Local::Opened(handle) => {
                if let Closed::Failed = close(handle, response).await {
                    fixed(response, Status::InternalServerError, body::SAVE_FAILED);
                }
            }
        }
    }
}

/// Replaces `response` with a fixed plain-text answer.
fn fixed(response: &mut Response<'_>, status: Status, text: &'static str) {
    *response = Response::build()
        .status(status)
        .header(ContentType::Plain)
        .sized_body(text.len(), std::io::Cursor::new(text))
        .finalize();
}

/// The fairing's route for requests the same-origin guard refused; any other request
/// that reaches it (a direct `GET`) is forwarded as if it did not exist.
#[derive(Clone)]
struct Refused;

#[rocket::async_trait]
impl Handler for Refused {
    async fn handle<'r>(&self, request: &'r Request<'_>, data: Data<'r>) -> route::Outcome<'r> {
        match request.local_cache(|| Local::Untouched) {
            Local::Refused => {
                route::Outcome::from(request, (Status::Forbidden, body::CROSS_ORIGIN))
            }
            _ => route::Outcome::forward(data, Status::NotFound),
        }
    }
}

impl RequestHeaders for Request<'_> {
    fn values(&self, name: &'static str) -> impl Iterator<Item = &[u8]> {
        self.headers().get(name).map(str::as_bytes)
    }

    fn method(&self) -> &str {
        Request::method(self).as_str()
    }

    fn authority(&self) -> Option<&[u8]> {
        // The fairing serves HTTP/1 (the crate is built without Rocket's `http2`),
        // where the `Host` header is required.
        None
    }
}

/// [`SetCookie::apply`](crate::SetCookie::apply) on a Rocket response.
impl ResponseHeaders for Response<'_> {
    fn any_value(&self, name: &'static str, test: fn(&[u8]) -> bool) -> bool {
        self.headers().get(name).any(|value| test(value.as_bytes()))
    }

    fn first_value(&self, name: &'static str) -> Option<&[u8]> {
        self.headers().get_one(name).map(str::as_bytes)
    }

    fn append(&mut self, name: &'static str, value: String) {
        self.adjoin_raw_header(name, value);
    }

    fn set(&mut self, name: &'static str, value: String) {
        self.set_raw_header(name, value);
    }
}

/// The error of the [`Session`] request guard when no [`SessionFairing`] is attached
/// (a route that escaped the sentinel): a `500`, with the missing fairing named in the
/// log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingSessionFairing;

impl std::fmt::Display for MissingSessionFairing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(MISSING_FAIRING)
    }
}

impl std::error::Error for MissingSessionFairing {}

/// The session the fairing opened for the request.
fn session_of(request: &Request<'_>) -> Outcome<Session, MissingSessionFairing> {
    match request.local_cache(|| Local::Untouched) {
        Local::Opened(handle) => Outcome::Success(handle.clone()),
        _ => {
            crate::integration::missing(MISSING_FAIRING);
            Outcome::Error((Status::InternalServerError, MissingSessionFairing))
        }
    }
}

/// Whether the fairing is missing from `rocket`, logged as the guard's answer.
fn fairing_missing(rocket: &Rocket<Ignite>) -> bool {
    let missing = rocket.state::<Attached>().is_none();
    if missing {
        crate::integration::missing(MISSING_FAIRING);
    }
    missing
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Session {
    type Error = MissingSessionFairing;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        session_of(request)
    }
}

impl Sentinel for Session {
    fn abort(rocket: &Rocket<Ignite>) -> bool {
        fairing_missing(rocket)
    }
}

#[rocket::async_trait]
impl<'r, T: TypedSession + Send> FromRequest<'r> for Typed<T> {
    type Error = MissingSessionFairing;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        session_of(request).map(|session| Typed::load(&session))
    }
}

impl<T: TypedSession> Sentinel for Typed<T> {
    fn abort(rocket: &Rocket<Ignite>) -> bool {
        fairing_missing(rocket)
    }
}
