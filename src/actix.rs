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
//! (logged with `tracing`). The same-origin guard is on by default ([`OriginGuard`](crate::OriginGuard);
//! replace it with [`SessionMiddleware::origin_guard`], turn it off with
//! [`SessionMiddleware::without_origin_guard`]): a cross-origin state-changing request
//! from a browser gets a `403` before the handler runs.

use std::fmt;
use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{forward_ready, Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};

pub use crate::handle::{Typed, TypedSession};
use crate::integration::{body, close, integration_config, Closed, RequestHeaders};

/// The request's session, as an extractor: [`crate::Session`], a cheap `Clone` handle
/// whose methods need no lock and no `mut`. It needs
/// the [`SessionMiddleware`]; without it the request gets a `500` naming the missing
/// middleware.
pub use crate::handle::Session;

integration_config!(
    /// An actix-web middleware that gives every request a session; see the
    /// [module docs](self).
    SessionMiddleware,
    "middleware"
);

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
        let shell = self.middleware.shell.clone();
        Box::pin(async move {
            if !shell.allows(&request) {
                let response = fixed(StatusCode::FORBIDDEN, body::CROSS_ORIGIN);
                return Ok(request.into_response(response).map_into_right_body());
            }
            let handle = shell.open(&request).await;
            request.extensions_mut().insert(handle.clone());
            // A handler's error is already a response here (actix-web makes it one);
            // an `Err` comes only from an inner middleware and has no response to carry
            // a cookie.
            let mut response = service.call(request).await?.map_into_left_body();
            match close(&handle, response.headers_mut()).await {
                Closed::Saved => Ok(response),
                Closed::Failed => {
                    let (request, _) = response.into_parts();
                    let failed = fixed(StatusCode::INTERNAL_SERVER_ERROR, body::SAVE_FAILED);
                    Ok(ServiceResponse::new(request, failed).map_into_right_body())
                }
            }
        })
    }
}

impl RequestHeaders for ServiceRequest {
    fn values(&self, name: &'static str) -> impl Iterator<Item = &[u8]> {
        self.headers()
            .get_all(HeaderName::from_static(name))
            .map(HeaderValue::as_bytes)
    }

    fn method(&self) -> &str {
        self.method().as_str()
    }

    fn authority(&self) -> Option<&[u8]> {
        self.uri().authority().map(|a| a.as_str().as_bytes())
    }
}

crate::integration::header_map_response_headers!(HeaderMap, HeaderName, HeaderValue);

fn fixed(status: StatusCode, text: &'static str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(text)
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
        fixed(
            StatusCode::INTERNAL_SERVER_ERROR,
            crate::integration::missing(MISSING_MIDDLEWARE),
        )
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
