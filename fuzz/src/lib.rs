//! The properties the fuzz targets check, as plain functions, one file per profile or
//! concern:
//!
//! | file | targets |
//! | --- | --- |
//! | `native.rs` | `decode_never_panics`, `forged_never_verifies`, `roundtrip`, `tamper` |
//! | `cookie.rs` | `cookie_header` |
//! | `chunks.rs` | `chunked_cookie_header` |
//! | `flask.rs` | `flask_decode`, `tagged_json` |
//! | `django.rs` | `django_decode` |
//! | `sealed.rs` | `sealed_decode_never_panics`, `sealed_forged_never_opens` |
//! | `iron.rs` | `iron_decode` |
//! | `session.rs` | `session_matches_eager` (with the eager session reading it replaced, as the reference) |
//! | `registry.rs` | `registry_user_agent` |
//!
//! and `common.rs` for what they share (the fixed time, the native key, input limits,
//! signing helpers). Each fuzz target in `fuzz/fuzz_targets/` is one line that calls
//! the function of the same name, and the main crate's `tests/fuzz_corpus.rs` compiles
//! this file (and with it every module above) to replay every committed corpus file
//! through the same functions, so a plain `cargo test` catches a regression without
//! nightly or cargo-fuzz.
//!
//! A property holds when the function returns; a violation panics with a message that
//! says which property broke. The files depend only on sessionlib, serde, serde_json,
//! time, arbitrary and std. Everything compressed needs sessionlib's `zlib` feature,
//! the Flask, Django, sealed and Iron properties its `flask`, `django`, `sealed` and
//! `iron` features;
//! without them those parts compile out. (In the fuzz crate these names are marker
//! features that are always on; see `fuzz/Cargo.toml`.)
#![forbid(unsafe_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod chunks;
mod common;
mod cookie;
#[cfg(feature = "django")]
mod django;
#[allow(dead_code)]
mod encoding;
#[cfg(feature = "flask")]
mod flask;
#[cfg(feature = "iron")]
mod iron;
mod native;
mod registry;
#[cfg(feature = "sealed")]
mod sealed;
mod session;

pub use chunks::*;
pub use common::*;
pub use cookie::*;
#[cfg(feature = "django")]
pub use django::*;
#[cfg(feature = "flask")]
pub use flask::*;
#[cfg(feature = "iron")]
pub use iron::*;
pub use native::*;
pub use registry::*;
#[cfg(feature = "sealed")]
pub use sealed::*;
pub use session::*;

/// A property function: it returns when the property holds for the input.
pub type Property = fn(&[u8]);

/// The targets and their property functions, for the corpus replay (`None` when the
/// property needs a feature this build does not have).
pub fn targets() -> Vec<(&'static str, Option<Property>)> {
    vec![
        (
            "decode_never_panics",
            Some(native::decode_never_panics as fn(&[u8])),
        ),
        ("forged_never_verifies", Some(native::forged_never_verifies)),
        ("roundtrip", Some(native::roundtrip_bytes)),
        ("tamper", Some(native::tamper)),
        ("cookie_header", Some(cookie::cookie_header)),
        ("chunked_cookie_header", Some(chunks::chunked_cookie_header)),
        (
            "session_matches_eager",
            Some(session::session_matches_eager),
        ),
        ("registry_user_agent", Some(registry::registry_user_agent)),
        #[cfg(feature = "flask")]
        ("flask_decode", Some(flask::flask_decode)),
        #[cfg(not(feature = "flask"))]
        ("flask_decode", None),
        #[cfg(feature = "flask")]
        ("tagged_json", Some(flask::tagged_json)),
        #[cfg(not(feature = "flask"))]
        ("tagged_json", None),
        #[cfg(feature = "django")]
        ("django_decode", Some(django::django_decode)),
        #[cfg(not(feature = "django"))]
        ("django_decode", None),
        #[cfg(feature = "sealed")]
        (
            "sealed_decode_never_panics",
            Some(sealed::sealed_decode_never_panics),
        ),
        #[cfg(not(feature = "sealed"))]
        ("sealed_decode_never_panics", None),
        #[cfg(feature = "sealed")]
        (
            "sealed_forged_never_opens",
            Some(sealed::sealed_forged_never_opens),
        ),
        #[cfg(not(feature = "sealed"))]
        ("sealed_forged_never_opens", None),
        #[cfg(feature = "iron")]
        ("iron_decode", Some(iron::iron_decode)),
        #[cfg(not(feature = "iron"))]
        ("iron_decode", None),
    ]
}
