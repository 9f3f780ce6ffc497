//! What every framework integration does, written once: the configuration (a
//! [`SessionConfig`] and the same-origin guard, on by default), reading the request
//! (the guard's headers, the `Cookie:` headers, the `User-Agent` for the session
//! registry), opening the [`Session`] handle before the handler and closing it after:
//! the save, the response headers ([`SetCookie::apply`](crate::SetCookie::apply)), the
//! registry update. The framework modules (`tower`, `actix`, `rocket`) keep only the
//! glue: their request and response types and the way they answer early.

#[cfg(any(feature = "tower", feature = "actix", feature = "rocket"))]
use std::sync::Arc;
#[cfg(any(feature = "tower", feature = "actix", feature = "rocket"))]
use std::task::{Context, Poll, Waker};

use crate::guard::OriginGuard;
#[cfg(any(feature = "tower", feature = "actix", feature = "rocket"))]
use crate::handle::{join_cookie_headers, log_unsaved_change, Session};
#[cfg(any(feature = "tower", feature = "actix", feature = "rocket"))]
use crate::revocation::BoxFuture;
#[cfg(any(feature = "tower", feature = "actix", feature = "rocket"))]
use crate::session::{Loading, ResponseHeaders, SessionConfig, SessionData};

/// What a framework's request shows the shell. Header names are passed in lower case.
pub(crate) trait RequestHeaders {
    /// Every value of header `name`, in order.
    fn values(&self, name: &'static str) -> impl Iterator<Item = &[u8]>;

    /// The request method (`"GET"`, `"POST"`, …).
    fn method(&self) -> &str;

    /// The authority of the request target, if it has one (HTTP/2's `:authority`).
    fn authority(&self) -> Option<&[u8]>;

    /// The first value of header `name`.
    fn first(&self, name: &'static str) -> Option<&[u8]> {
        self.values(name).next()
    }
}

impl OriginGuard {
    /// Whether the request may go on: the guard's headers read from it. The host is
    /// the `Host` header, or the request target's authority (HTTP/2).
    pub(crate) fn allows_request(&self, request: &impl RequestHeaders) -> bool {
        // A safe method passes whatever its headers say: none is read.
        if crate::guard::is_safe(request.method()) {
            return true;
        }
        let host = request.first("host").or_else(|| request.authority());
        self.allows(
            request.method(),
            request.first("sec-fetch-site"),
            request.first("origin"),
            host,
        )
    }
}

/// [`ResponseHeaders`](crate::ResponseHeaders) for a `HeaderMap` of the `http` crate's
/// design (`http`'s own, actix-web's): `$map`, with header names `$name` and values
/// `$value`. A value that is not a valid header value is not added (those of a
/// `SetCookie` always are).
#[cfg(any(feature = "http", feature = "actix"))]
macro_rules! header_map_response_headers {
    ($map:ty, $name:ty, $value:ty) => {
        /// [`SetCookie::apply`](crate::SetCookie::apply) on this response's headers. A
        /// value that is not a valid header value is not added (those of a
        /// `SetCookie` always are).
        impl $crate::ResponseHeaders for $map {
            fn any_value(&self, name: &'static str, test: fn(&[u8]) -> bool) -> bool {
                self.get_all(<$name>::from_static(name))
                    .into_iter()
                    .any(|value| test(value.as_bytes()))
            }

            fn first_value(&self, name: &'static str) -> Option<&[u8]> {
                self.get(<$name>::from_static(name)).map(<$value>::as_bytes)
            }

            fn append(&mut self, name: &'static str, value: String) {
                if let Ok(value) = <$value>::try_from(value) {
                    <$map>::append(self, <$name>::from_static(name), value);
                }
            }

            fn set(&mut self, name: &'static str, value: String) {
                if let Ok(value) = <$value>::try_from(value) {
                    self.insert(<$name>::from_static(name), value);
                }
            }

            fn append_static(&mut self, name: &'static str, value: &'static str) {
                if $crate::integration::is_plain_header_value(value) {
                    let value = <$value>::from_static(value);
                    <$map>::append(self, <$name>::from_static(name), value);
                }
            }

            fn set_static(&mut self, name: &'static str, value: &'static str) {
                if $crate::integration::is_plain_header_value(value) {
                    self.insert(<$name>::from_static(name), <$value>::from_static(value));
                }
            }
        }
    };
}
#[cfg(any(feature = "http", feature = "actix"))]
pub(crate) use header_map_response_headers;

/// Whether `value` is made of visible ASCII and tabs: what `HeaderValue::from_static`
/// takes without panicking.
#[cfg(any(feature = "http", feature = "actix"))]
pub(crate) fn is_plain_header_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

#[cfg(any(feature = "tower", feature = "actix", feature = "rocket"))]
/// The configuration every integration holds: cheap to clone (the framework types are
/// cloned per request or per worker).
#[derive(Clone, Debug)]
pub(crate) struct Shell {
    pub(crate) config: SessionConfig,
    pub(crate) guard: Option<Arc<OriginGuard>>,
}

#[cfg(any(feature = "tower", feature = "actix", feature = "rocket"))]
/// How a request ends in the shell's hands.
pub(crate) enum Closed {
    /// Saved (or nothing to save): the response goes out as it is, with the session's
    /// headers if a cookie was sent.
    Saved,
    /// The session could not be saved: answer `500` with [`body::SAVE_FAILED`].
    Failed,
}

#[cfg(any(feature = "tower", feature = "actix", feature = "rocket"))]
impl Shell {
    pub(crate) fn new(config: SessionConfig) -> Self {
        Self {
            config,
            guard: Some(Arc::new(OriginGuard::new())),
        }
    }

    /// Whether the same-origin guard (if on) lets the request through.
    pub(crate) fn allows(&self, request: &impl RequestHeaders) -> bool {
        self.guard
            .as_ref()
            .is_none_or(|guard| guard.allows_request(request))
    }

    /// Loads the request's session (waiting for the revocation store, if one is
    /// configured) and makes the handle the handler gets.
    ///
    /// The loading and the save are synchronous calls; what may wait (the revocation
    /// store, the registry write) is a boxed future made only when there is something
    /// to wait for, so the integrations' own futures stay small. (The tower layer uses
    /// [`Shell::open_now`] itself, to call the inner service without a future of its
    /// own.)
    #[cfg(any(feature = "actix", feature = "rocket"))]
    pub(crate) async fn open(&self, request: &impl RequestHeaders) -> Session {
        match self.open_now(request) {
            Ok(handle) => handle,
            Err(check) => {
                let session = check.await;
                Session::for_request(session, self.config.clone(), request.first("user-agent"))
            }
        }
    }

    /// [`Shell::open`] without waiting: the handle, or the revocation check to wait for
    /// (then make the handle with [`Session::for_request`]). The check is polled once
    /// here, so a store that answers at once makes nothing to wait for.
    pub(crate) fn open_now(
        &self,
        request: &impl RequestHeaders,
    ) -> Result<Session, BoxFuture<'static, SessionData>> {
        let header = join_cookie_headers(request.values("cookie"));
        match self.config.load_before_revocation(header) {
            Loading::Done(session) => Ok(Session::for_request(
                session,
                self.config.clone(),
                request.first("user-agent"),
            )),
            Loading::AskRevocation(session) => {
                let config = self.config.clone();
                let mut check: BoxFuture<'static, SessionData> =
                    Box::pin(async move { config.finish_revocation(session).await });
                // A store that answers at once (the in-memory one) keeps the request on
                // the path without waiting; one that does I/O is polled again, with the
                // request's waker, by whoever awaits the check.
                let mut cx = Context::from_waker(Waker::noop());
                match check.as_mut().poll(&mut cx) {
                    Poll::Ready(session) => Ok(Session::for_request(
                        session,
                        self.config.clone(),
                        request.first("user-agent"),
                    )),
                    Poll::Pending => Err(check),
                }
            }
        }
    }
}

#[cfg(any(feature = "tower", feature = "actix", feature = "rocket"))]
/// Saves the session after the handler into the response's headers and, when a cookie
/// was sent, updates the session registry. A failed save is logged (the error's
/// `Display` holds no session data) and leaves `headers` as they were.
pub(crate) async fn close<H: ResponseHeaders + ?Sized>(
    handle: &Session,
    headers: &mut H,
) -> Closed {
    match close_now(handle, headers) {
        Ok(Some(registry)) => {
            registry.await;
            Closed::Saved
        }
        Ok(None) => Closed::Saved,
        Err(()) => Closed::Failed,
    }
}

#[cfg(any(feature = "tower", feature = "actix", feature = "rocket"))]
/// [`close`] without waiting: the registry write to wait for, if any, or `Err` for a
/// session that could not be saved.
pub(crate) fn close_now<H: ResponseHeaders + ?Sized>(
    handle: &Session,
    headers: &mut H,
) -> Result<Option<BoxFuture<'static, ()>>, ()> {
    let saved = handle.with(|session| {
        log_unsaved_change(session);
        handle.config().save(session)
    });
    match saved {
        Ok(None) => Ok(None),
        Ok(Some(update)) => {
            update.apply(headers);
            Ok(handle.registry_update_or_log())
        }
        Err(error) => {
            tracing::error!(
                error = %error,
                "sessionlib: the session could not be saved; answering 500"
            );
            Err(())
        }
    }
}

#[cfg(any(feature = "tower", feature = "actix", feature = "rocket"))]
/// Fixed texts of the integrations' own responses: they never show session data.
pub(crate) mod body {
    /// A session that could not be saved (too large for its cookie).
    pub const SAVE_FAILED: &str = "500 Internal Server Error: the session could not be saved";
    /// A request refused by the same-origin guard.
    pub const CROSS_ORIGIN: &str = "403 Forbidden: cross-origin request refused";
}

#[cfg(any(feature = "axum", feature = "actix", feature = "rocket"))]
/// Logs the answer to a handler that takes the session without the integration
/// installed, and returns it (the body of the `500`).
pub(crate) fn missing(text: &'static str) -> &'static str {
    tracing::error!("{text}");
    text
}

#[cfg(any(feature = "tower", feature = "actix", feature = "rocket"))]
/// The configuration type of a framework integration: the struct, its `Debug`, `new`
/// with the same-origin guard on, and the guard's setters. `$what` names it in the docs
/// ("layer", "middleware", "fairing").
macro_rules! integration_config {
    ($(#[$attr:meta])* $name:ident, $what:literal) => {
        $(#[$attr])*
        #[derive(Clone)]
        pub struct $name {
            shell: $crate::integration::Shell,
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("config", &self.shell.config)
                    .field("guard", &self.shell.guard)
                    .finish()
            }
        }

        impl $name {
            #[doc = concat!("A ", $what, " loading and saving sessions with `config`, with \
                the same-origin guard on: a cross-origin state-changing request from a \
                browser (`Origin` or `Sec-Fetch-Site` says another site) gets `403 \
                Forbidden` before it reaches the handler. Requests without those headers \
                (non-browser clients, same-origin `GET`s) are not affected. See \
                [`OriginGuard`](crate::OriginGuard); to trust other origins, pass your own \
                guard to [`", stringify!($name), "::origin_guard`]; to turn it off, call \
                [`", stringify!($name), "::without_origin_guard`].")]
            pub fn new(config: $crate::SessionConfig) -> Self {
                Self {
                    shell: $crate::integration::Shell::new(config),
                }
            }

            /// Uses `guard` as the same-origin guard (for example one that
            /// [trusts](crate::OriginGuard::trust) another origin of yours).
            ///
            /// Defaults to [`OriginGuard::new`](crate::OriginGuard::new).
            pub fn origin_guard(mut self, guard: $crate::OriginGuard) -> Self {
                self.shell.guard = Some(::std::sync::Arc::new(guard));
                self
            }

            /// Turns the same-origin guard off, for an app that protects its
            /// state-changing requests against cross-site request forgery some other
            /// way (a CSRF token on every form, say). Without either, a page on another
            /// site can make a logged-in user's browser post to this app.
            pub fn without_origin_guard(mut self) -> Self {
                self.shell.guard = None;
                self
            }
        }
    };
}
#[cfg(any(feature = "tower", feature = "actix", feature = "rocket"))]
pub(crate) use integration_config;
