//! A tower [`Layer`] for sessions (feature `tower`): axum, hyper or any tower stack.
//!
//! [`SessionLayer`] loads the session before the inner service (waiting for the
//! revocation store, if one is configured), puts a [`Session`] into the request's
//! extensions, and saves the session into the response after it: `Set-Cookie`,
//! `Vary: Cookie` and a private `Cache-Control` when a cookie is sent, nothing when
//! nothing changed. With axum, take the handle as an extractor
//! ([`sessionlib::axum::Session`](crate::axum::Session), feature `axum`); elsewhere,
//! read it from `request.extensions().get::<Session>()`.
//!
//! - Every response of the inner service is saved, whatever its status: a flash
//!   message set before a redirect or an error page arrives. An `Err` from the inner
//!   service (axum's services never return one) has no response to carry a cookie, so
//!   the session is not saved.
//! - A session that cannot be saved (too large for its cookie) turns the response into
//!   a `500` with a fixed body that shows no session data, logged with `tracing`.
//! - The same-origin guard is on by default ([`OriginGuard`](crate::OriginGuard); replace it with
//!   [`SessionLayer::origin_guard`], turn it off with
//!   [`SessionLayer::without_origin_guard`]): a cross-origin state-changing request
//!   from a browser gets a `403` with a fixed body and never reaches the inner service.
//!
//! The response body type must be buildable from a `&'static str` (axum's `Body`,
//! `String`, `http_body_util::Full<Bytes>` are), for those two fixed answers.

use std::fmt;
use std::task::{Context, Poll};

use http::{Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

pub use crate::handle::Session;
use crate::http::HttpRequest;
use crate::integration::{body, integration_config, Closed};
use crate::revocation::BoxFuture;

integration_config!(
    /// A tower layer that gives every request a session; see the [module docs](self).
    SessionLayer,
    "layer"
);

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`SessionLayer`].
#[derive(Clone)]
pub struct SessionService<S> {
    inner: S,
    layer: SessionLayer,
}

impl<S> fmt::Debug for SessionService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionService")
            .field("layer", &self.layer)
            .finish_non_exhaustive()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: From<&'static str> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        // The clone is the service for the next request; the one polled ready serves
        // this one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let shell = self.layer.shell.clone();
        Box::pin(async move {
            let parts = HttpRequest {
                method: request.method(),
                headers: request.headers(),
                uri: request.uri(),
            };
            if !shell.allows(&parts) {
                return Ok(fixed(StatusCode::FORBIDDEN, body::CROSS_ORIGIN));
            }
            let handle = shell.open(&parts).await;
            request.extensions_mut().insert(handle.clone());
            let mut response = inner.call(request).await?;
            match shell.close(&handle, response.headers_mut()).await {
                Closed::Saved => Ok(response),
                Closed::Failed => Ok(fixed(StatusCode::INTERNAL_SERVER_ERROR, body::SAVE_FAILED)),
            }
        })
    }
}

fn fixed<B: From<&'static str>>(status: StatusCode, text: &'static str) -> Response<B> {
    let mut response = Response::new(B::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
