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
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use http::{Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

pub use crate::handle::Session;
use crate::http::HttpRequest;
use crate::integration::{body, close, close_now, integration_config, Closed};
use crate::revocation::BoxFuture;
use pin_project_lite::pin_project;

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
    type Future = ResponseFuture<S::Future, ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let shell = &self.layer.shell;
        let opened = {
            let parts = HttpRequest::of(&request);
            if !shell.allows(&parts) {
                return ResponseFuture::ready(fixed(StatusCode::FORBIDDEN, body::CROSS_ORIGIN));
            }
            shell.open_now(&parts)
        };
        let check = match opened {
            Ok(handle) => {
                // Loaded without waiting (no revocation store, one that answered at
                // once, or no valid cookie): the inner service, polled ready, takes the
                // request now.
                request.extensions_mut().insert(handle.clone());
                let future = self.inner.call(request);
                return ResponseFuture {
                    state: State::Inner { future, handle },
                };
            }
            Err(check) => check,
        };
        // A revocation store doing I/O is awaited first: the request waits in a future
        // of its own, with the inner service polled ready (its clone serves the next
        // request).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let config = shell.config.clone();
        ResponseFuture {
            state: State::Boxed {
                future: Box::pin(async move {
                    let session = check.await;
                    let user_agent = request.headers().get(http::header::USER_AGENT);
                    let handle = Session::for_request(
                        session,
                        config,
                        user_agent.map(http::HeaderValue::as_bytes),
                    );
                    request.extensions_mut().insert(handle.clone());
                    let mut response = inner.call(request).await?;
                    match close(&handle, response.headers_mut()).await {
                        Closed::Saved => Ok(response),
                        Closed::Failed => {
                            Ok(fixed(StatusCode::INTERNAL_SERVER_ERROR, body::SAVE_FAILED))
                        }
                    }
                }),
            },
        }
    }
}

pin_project! {
    /// The future of [`SessionService`]: the inner service's response, with the session
    /// saved into it. It holds the inner service's future and the session handle; only
    /// a request that waits for a revocation store doing I/O, or a response that writes
    /// to the session registry, makes a boxed future of its own.
    pub struct ResponseFuture<F, B, E> {
        #[pin]
        state: State<F, B, E>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, B, E> {
        // The inner service runs; the session is saved when it answers.
        Inner {
            #[pin]
            future: F,
            handle: Session,
        },
        // The response waits for the registry write.
        Registry {
            future: BoxFuture<'static, ()>,
            response: Option<Response<B>>,
        },
        // The whole request, for a session checked with the revocation store.
        Boxed {
            future: BoxFuture<'static, Result<Response<B>, E>>,
        },
        // Answered without the inner service.
        Ready {
            response: Option<Response<B>>,
        },
    }
}

impl<F, B, E> ResponseFuture<F, B, E> {
    fn ready(response: Response<B>) -> Self {
        Self {
            state: State::Ready {
                response: Some(response),
            },
        }
    }
}

impl<F, B, E> fmt::Debug for ResponseFuture<F, B, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Inner { .. } => "inner",
            State::Registry { .. } => "registry",
            State::Boxed { .. } => "revocation",
            State::Ready { .. } => "ready",
        };
        f.debug_struct("ResponseFuture")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F, B, E>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: From<&'static str>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        loop {
            match state.as_mut().project() {
                StateProj::Inner { future, handle } => {
                    let mut response = ready!(future.poll(cx))?;
                    match close_now(handle, response.headers_mut()) {
                        Ok(None) => return Poll::Ready(Ok(response)),
                        Ok(Some(registry)) => state.set(State::Registry {
                            future: registry,
                            response: Some(response),
                        }),
                        Err(()) => {
                            return Poll::Ready(Ok(fixed(
                                StatusCode::INTERNAL_SERVER_ERROR,
                                body::SAVE_FAILED,
                            )))
                        }
                    }
                }
                StateProj::Registry { future, response } => {
                    ready!(future.as_mut().poll(cx));
                    return Poll::Ready(Ok(taken(response)));
                }
                StateProj::Boxed { future } => return future.as_mut().poll(cx),
                StateProj::Ready { response } => return Poll::Ready(Ok(taken(response))),
            }
        }
    }
}

/// The response of a finished state.
fn taken<B>(response: &mut Option<Response<B>>) -> Response<B> {
    #[allow(clippy::expect_used)]
    response
        .take()
        .expect("a ResponseFuture polled after it completed")
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
