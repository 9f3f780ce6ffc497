//! Sessions on `http` types (feature `http`), for frameworks without an integration.
//!
//! [`SessionConfig::load_headers`] reads the session from a request's headers (all
//! `Cookie:` headers joined) and [`SessionConfig::save_headers`] appends what the
//! response needs, with no conversion left to the caller. A plain hyper service:
//!
//! ```
//! use http::{Request, Response};
//! use sessionlib::SessionConfig;
//!
//! async fn handle(sessions: &SessionConfig, request: Request<String>) -> Response<String> {
//!     let mut session = sessions.load_headers_async(request.headers()).await;
//!     let visits = session.get::<u32>("visits").unwrap_or(0) + 1;
//!     let mut response = match session.insert("visits", &visits) {
//!         Ok(()) => Response::new(format!("visit #{visits}")),
//!         Err(_) => Response::new(String::from("error")),
//!     };
//!     if sessions.save_headers(&session, response.headers_mut()).is_err() {
//!         *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
//!     }
//!     response
//! }
//! # let _ = handle;
//! ```
//!
//! With hyper or any tower stack, the [`SessionLayer`](crate::tower::SessionLayer)
//! (feature `tower`) does this for every request.

use std::borrow::Cow;

use http::header::{HeaderName, COOKIE};
use http::{HeaderMap, HeaderValue, Method, Uri};

use crate::error::Error;
use crate::guard::OriginGuard;
use crate::handle::join_cookie_headers;
use crate::integration::RequestHeaders;
use crate::session::{SessionConfig, SessionData};

/// All `Cookie:` headers of a request, joined with `"; "`.
pub(crate) fn cookie_header(headers: &HeaderMap) -> Cow<'_, [u8]> {
    join_cookie_headers(headers.get_all(COOKIE).iter().map(HeaderValue::as_bytes))
}

/// The parts of an `http` request the integration shell reads.
pub(crate) struct HttpRequest<'a> {
    pub(crate) method: &'a Method,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) uri: &'a Uri,
}

#[cfg(feature = "tower")]
impl<'a> HttpRequest<'a> {
    /// The parts of `request` the shell reads.
    pub(crate) fn of<B>(request: &'a http::Request<B>) -> Self {
        Self {
            method: request.method(),
            headers: request.headers(),
            uri: request.uri(),
        }
    }
}

impl RequestHeaders for HttpRequest<'_> {
    fn values(&self, name: &'static str) -> impl Iterator<Item = &[u8]> {
        self.headers
            .get_all(HeaderName::from_static(name))
            .into_iter()
            .map(HeaderValue::as_bytes)
    }

    fn method(&self) -> &str {
        self.method.as_str()
    }

    fn authority(&self) -> Option<&[u8]> {
        self.uri.authority().map(|a| a.as_str().as_bytes())
    }
}

crate::integration::header_map_response_headers!(HeaderMap, HeaderName, HeaderValue);

impl SessionConfig {
    /// The session of a request, from its headers; see [`SessionConfig::load`].
    pub fn load_headers(&self, headers: &HeaderMap) -> SessionData {
        self.load(cookie_header(headers))
    }

    /// The session of a request, from its headers, waiting for the revocation store;
    /// see [`SessionConfig::load_async`].
    pub async fn load_headers_async(&self, headers: &HeaderMap) -> SessionData {
        self.load_async(cookie_header(headers)).await
    }

    /// Saves `session` into a response's headers: appends a `Set-Cookie` for each
    /// cookie (several when the session is split into chunks) and `Vary: Cookie`, and
    /// makes `Cache-Control` private, when a cookie must be sent (see
    /// [`SessionConfig::save`] and [`SetCookie::apply`](crate::SetCookie::apply));
    /// other headers are kept. Returns whether a cookie was set or removed.
    ///
    /// Fails as [`SessionConfig::save`] does, with nothing added to `headers`.
    pub fn save_headers(
        &self,
        session: &SessionData,
        headers: &mut HeaderMap,
    ) -> Result<bool, Error> {
        let Some(update) = self.save(session)? else {
            return Ok(false);
        };
        update.apply(headers);
        Ok(true)
    }
}

impl OriginGuard {
    /// Whether a request with this method, headers and URI may go on; see
    /// [`OriginGuard::allows`]. The host is the `Host` header, or the URI's authority
    /// (HTTP/2).
    pub fn allows_http(&self, method: &Method, headers: &HeaderMap, uri: &Uri) -> bool {
        self.allows_request(&HttpRequest {
            method,
            headers,
            uri,
        })
    }
}
