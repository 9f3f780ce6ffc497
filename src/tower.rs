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
//! - The same-origin guard is on by default ([`OriginGuard`]; replace it with
//!   [`SessionLayer::origin_guard`], turn it off with
//!   [`SessionLayer::without_origin_guard`]): a cross-origin state-changing request
//!   from a browser gets a `403` with a fixed body and never reaches the inner service.
//!
//! The response body type must be buildable from a `&'static str` (axum's `Body`,
//! `String`, `http_body_util::Full<Bytes>` are), for those two fixed answers.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use crate::guard::OriginGuard;
use crate::handle::body;
pub use crate::handle::Session;
use crate::revocation::BoxFuture;
use crate::session::SessionConfig;

/// A tower layer that gives every request a session; see the [module docs](self).
#[derive(Clone)]
pub struct SessionLayer {
    config: SessionConfig,
    // Shared: the layer is cloned for every request.
    guard: Option<Arc<OriginGuard>>,
}

impl fmt::Debug for SessionLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionLayer")
            .field("config", &self.config)
            .field("guard", &self.guard)
            .finish()
    }
}

impl SessionLayer {
    /// A layer loading and saving sessions with `config`, with the same-origin guard
    /// on: a cross-origin state-changing request from a browser (`Origin` or
    /// `Sec-Fetch-Site` says another site) gets `403 Forbidden` before it reaches the
    /// handler. Requests without those headers (non-browser clients, same-origin
    /// `GET`s) are not affected. See [`OriginGuard`]; to trust other origins, pass your
    /// own guard to [`SessionLayer::origin_guard`]; to turn it off, call
    /// [`SessionLayer::without_origin_guard`].
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
        let layer = self.layer.clone();
        Box::pin(async move {
            if let Some(guard) = &layer.guard {
                if !guard.allows_http(request.method(), request.headers(), request.uri()) {
                    return Ok(fixed(StatusCode::FORBIDDEN, body::CROSS_ORIGIN));
                }
            }
            let session = layer.config.load_headers_async(request.headers()).await;
            let user_agent = request.headers().get(http::header::USER_AGENT);
            let handle = Session::for_request(
                session,
                layer.config.clone(),
                user_agent.map(http::HeaderValue::as_bytes),
            );
            request.extensions_mut().insert(handle.clone());
            let mut response = inner.call(request).await?;
            let saved = handle.with(|session| {
                crate::handle::log_unsaved_change(session);
                layer.config.save_headers(session, response.headers_mut())
            });
            match saved {
                Ok(sent) => {
                    if sent {
                        handle.update_registry_or_log().await;
                    }
                    Ok(response)
                }
                Err(error) => {
                    log_save_failure(&error);
                    Ok(fixed(StatusCode::INTERNAL_SERVER_ERROR, body::SAVE_FAILED))
                }
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

fn log_save_failure(error: &crate::Error) {
    // The error's Display holds no session data.
    tracing::error!(error = %error, "sessionlib: the session could not be saved; answering 500");
}
