//! axum integration (feature `axum`): the [`SessionLayer`] and the [`Session`]
//! extractor.
//!
//! ```
//! use axum::{routing::get, Router};
//! use sessionlib::axum::{Session, SessionLayer};
//! use sessionlib::{CookieConfig, Key, Keyring, SessionConfig};
//!
//! async fn index(session: Session) -> String {
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
//! let app: Router = Router::new()
//!     .route("/", get(index))
//!     .layer(SessionLayer::new(sessions));
//! # let _ = app;
//! # Ok(())
//! # }
//! ```
//!
//! The layer is the one of [`crate::tower`], which works without axum too; see there
//! for what it does with errors, status codes and cross-origin requests.

use ::axum_core::extract::FromRequestParts;
use ::axum_core::response::{IntoResponse, Response};
use http::request::Parts;
use http::StatusCode;

pub use crate::handle::{Typed, TypedSession};
pub use crate::tower::{SessionLayer, SessionService};

/// The request's session, as an extractor: [`crate::Session`], a cheap `Clone` handle
/// whose methods need no lock and no `mut`. It needs
/// the [`SessionLayer`]; without it the request gets a `500` naming the missing layer.
pub use crate::handle::Session;

/// The rejection of the [`Session`] extractor when no [`SessionLayer`] is installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingSessionLayer;

impl std::fmt::Display for MissingSessionLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(MISSING_LAYER)
    }
}

impl std::error::Error for MissingSessionLayer {}

const MISSING_LAYER: &str = "500 Internal Server Error: the sessionlib::axum::Session extractor \
     needs sessionlib::axum::SessionLayer on the router (Router::layer)";

impl IntoResponse for MissingSessionLayer {
    fn into_response(self) -> Response {
        let text = crate::integration::missing(MISSING_LAYER);
        (StatusCode::INTERNAL_SERVER_ERROR, text).into_response()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = MissingSessionLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or(MissingSessionLayer)
    }
}

impl<S: Send + Sync, T: crate::handle::TypedSession + Send> FromRequestParts<S>
    for crate::handle::Typed<T>
{
    type Rejection = MissingSessionLayer;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        Ok(crate::handle::Typed::load(&session))
    }
}
