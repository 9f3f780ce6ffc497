//! actix-web integration (feature `actix`): the [`SessionMiddleware`] and the
//! [`Session`] extractor.
//!
//! ```
//! use actix_web::{web, App, Responder};
//! use sessionlib::actix::{Session, SessionMiddleware};
//! use sessionlib::{CookieConfig, Key, Keyring, SessionConfig};
//!
//! async fn index(session: Session) -> impl Responder {
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
//! let app = App::new()
//!     .wrap(SessionMiddleware::new(sessions))
//!     .route("/", web::get().to(index));
//! # let _ = app;
//! # Ok(())
//! # }
//! ```
//!
//! The middleware loads the session before the handler (waiting for the revocation
//! store, if one is configured) and saves it after, into every response whatever its
//! status, a handler's error response included (an `Err` from an inner middleware has
//! no response to carry a cookie, so the session is not saved then): `Set-Cookie`, `Vary: Cookie` and a
//! private `Cache-Control` when a cookie is sent, nothing when nothing changed. A
//! session too large for its cookie turns the response into a `500` with a fixed body
//! (logged with `tracing`). The same-origin guard is on by default ([`OriginGuard`];
//! replace it with [`SessionMiddleware::origin_guard`], turn it off with
//! [`SessionMiddleware::without_origin_guard`]): a cross-origin state-changing request
//! from a browser gets a `403` before the handler runs.

use std::fmt;
use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{forward_ready, Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};

use crate::guard::OriginGuard;
use crate::handle::{body, join_cookie_headers, private_cache_control, varies_on_cookie};
pub use crate::handle::{Typed, TypedSession};
use crate::session::SessionConfig;

/// The request's session, as an extractor: [`crate::Session`], a cheap `Clone` handle
/// whose methods need no lock and no `mut`. It needs
/// the [`SessionMiddleware`]; without it the request gets a `500` naming the missing
/// middleware.
pub use crate::handle::Session;

/// An actix-web middleware that gives every request a session; see the
/// [module docs](self).
#[derive(Clone)]
pub struct SessionMiddleware {
    config: SessionConfig,
    // Shared: the layer is cloned for every request.
    guard: Option<Arc<OriginGuard>>,
}

impl fmt::Debug for SessionMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionMiddleware")
            .field("config", &self.config)
            .field("guard", &self.guard)
            .finish()
    }
}

impl SessionMiddleware {
    /// A middleware loading and saving sessions with `config`, with the same-origin guard
    /// on: a cross-origin state-changing request from a browser (`Origin` or
    /// `Sec-Fetch-Site` says another site) gets `403 Forbidden` before it reaches the
    /// handler. Requests without those headers (non-browser clients, same-origin
    /// `GET`s) are not affected. See [`OriginGuard`]; to trust other origins, pass your
    /// own guard to [`SessionMiddleware::origin_guard`]; to turn it off, call
    /// [`SessionMiddleware::without_origin_guard`].
    pub fn new(config: SessionConfig) -> Self {
        Self {
            config,
            guard: Some(Arc::new(OriginGuard::new())),
        }
    }

    /// Uses `guard` as the same-origin guard (for example one that
    /// [trusts](OriginGuard::trust) another origin of yours).
    ///
    /// Defaults to [`OriginGuard::new`].
    pub fn origin_guard(mut self, guard: OriginGuard) -> Self {
        self.guard = Some(Arc::new(guard));
        self
    }

    /// Turns the same-origin guard off, for an app that protects its state-changing
    /// requests against cross-site request forgery some other way (a CSRF token on
    /// every form, say). Without either, a page on another site can make a logged-in
    /// user's browser post to this app.
    pub fn without_origin_guard(mut self) -> Self {
        self.guard = None;
        self
    }
}

impl<S, B> Transform<S, ServiceRequest> for SessionMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = SessionMiddlewareService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SessionMiddlewareService {
            service: Rc::new(service),
            middleware: self.clone(),
        }))
    }
}

/// The service made by [`SessionMiddleware`].
pub struct SessionMiddlewareService<S> {
    service: Rc<S>,
    middleware: SessionMiddleware,
}

impl<S> fmt::Debug for SessionMiddlewareService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionMiddlewareService")
            .field("middleware", &self.middleware)
            .finish_non_exhaustive()
    }
}

type LocalBoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

impl<S, B> Service<ServiceRequest> for SessionMiddlewareService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let middleware = self.middleware.clone();
        Box::pin(async move {
            if let Some(guard) = &middleware.guard {
                if !allowed(guard, &request) {
                    let response = fixed(StatusCode::FORBIDDEN, body::CROSS_ORIGIN);
                    return Ok(request.into_response(response).map_into_right_body());
                }
            }
            let config = &middleware.config;
            let header = join_cookie_headers(
                request
                    .headers()
                    .get_all(header::COOKIE)
                    .map(HeaderValue::as_bytes),
            );
            let session = config.load_async(header).await;
            let user_agent = request.headers().get(header::USER_AGENT);
            let handle = Session::for_request(
                session,
                config.clone(),
                user_agent.map(HeaderValue::as_bytes),
            );
            request.extensions_mut().insert(handle.clone());
            // A handler's error is already a response here (actix-web makes it one);
            // an `Err` comes only from an inner middleware and has no response to carry
            // a cookie.
            let mut response = service.call(request).await?.map_into_left_body();
            let saved = handle.with(|session| {
                crate::handle::log_unsaved_change(session);
                config.save(session)
            });
            match saved {
                Ok(None) => Ok(response),
                Ok(Some(update)) => {
                    let values = update
                        .into_header_values()
                        .into_iter()
                        .map(HeaderValue::try_from)
                        .collect::<Result<Vec<_>, _>>();
                    match values {
                        Ok(values) => {
                            add_session_headers(response.headers_mut(), values);
                            handle.update_registry_or_log().await;
                            Ok(response)
                        }
                        // The cookies' parts were validated when the configuration was
                        // built: this does not happen.
                        Err(_) => Ok(save_failed(response, &crate::Error::Serialize)),
                    }
                }
                Err(error) => Ok(save_failed(response, &error)),
            }
        })
    }
}

fn allowed(guard: &OriginGuard, request: &ServiceRequest) -> bool {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .map(HeaderValue::as_bytes)
        .or_else(|| request.uri().authority().map(|a| a.as_str().as_bytes()));
    guard.allows(
        request.method().as_str(),
        headers.get("sec-fetch-site").map(HeaderValue::as_bytes),
        headers.get(header::ORIGIN).map(HeaderValue::as_bytes),
        host,
    )
}

fn add_session_headers(headers: &mut HeaderMap, set_cookies: Vec<HeaderValue>) {
    for set_cookie in set_cookies {
        headers.append(header::SET_COOKIE, set_cookie);
    }
    if !headers
        .get_all(header::VARY)
        .any(|v| varies_on_cookie(v.as_bytes()))
    {
        headers.append(header::VARY, HeaderValue::from_static("Cookie"));
    }
    let cache = private_cache_control(
        headers
            .get(header::CACHE_CONTROL)
            .map(HeaderValue::as_bytes),
    );
    if let Some(Ok(value)) = cache.map(HeaderValue::try_from) {
        headers.insert(header::CACHE_CONTROL, value);
    }
}

fn fixed(status: StatusCode, text: &'static str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(text)
}

fn save_failed<B>(
    response: ServiceResponse<EitherBody<B>>,
    error: &crate::Error,
) -> ServiceResponse<EitherBody<B>> {
    // The error's Display holds no session data.
    tracing::error!(error = %error, "sessionlib: the session could not be saved; answering 500");
    let (request, _) = response.into_parts();
    ServiceResponse::new(
        request,
        fixed(StatusCode::INTERNAL_SERVER_ERROR, body::SAVE_FAILED),
    )
    .map_into_right_body()
}

/// The error of the [`Session`] extractor when no [`SessionMiddleware`] is installed:
/// a `500` naming the missing middleware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingSessionMiddleware;

const MISSING_MIDDLEWARE: &str = "500 Internal Server Error: the sessionlib::actix::Session \
     extractor needs sessionlib::actix::SessionMiddleware on the app (App::wrap)";

impl fmt::Display for MissingSessionMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MISSING_MIDDLEWARE)
    }
}

impl ResponseError for MissingSessionMiddleware {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        tracing::error!("{MISSING_MIDDLEWARE}");
        fixed(StatusCode::INTERNAL_SERVER_ERROR, MISSING_MIDDLEWARE)
    }
}

impl FromRequest for Session {
    type Error = MissingSessionMiddleware;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(session_of(request))
    }
}

impl<T: crate::handle::TypedSession> FromRequest for crate::handle::Typed<T> {
    type Error = MissingSessionMiddleware;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(session_of(request).map(|session| crate::handle::Typed::load(&session)))
    }
}

/// The session the middleware put into the request.
fn session_of(request: &HttpRequest) -> Result<Session, MissingSessionMiddleware> {
    request
        .extensions()
        .get::<Session>()
        .cloned()
        .ok_or(MissingSessionMiddleware)
}
