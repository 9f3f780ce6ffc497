//! The guide: one page per task or feature, the `docs/` folder of the repository.
//!
//! Every Rust example on these pages is compiled and run as a doctest
//! (`cargo test --doc`); pages that need optional features are here with those
//! features (all of them on docs.rs). Start with the recipes, shown when
//! the features `axum` and `actix` are on.

#[cfg(all(feature = "axum", feature = "actix"))]
#[doc = include_str!("../docs/recipes.md")]
pub mod recipes {}

#[cfg(all(feature = "axum", feature = "actix"))]
#[doc = include_str!("../docs/integrations.md")]
pub mod integrations {}

#[doc = include_str!("../docs/redis.md")]
pub mod redis {}

#[doc = include_str!("../docs/chunking.md")]
pub mod chunking {}

#[cfg(feature = "sealed")]
#[doc = include_str!("../docs/sealed.md")]
pub mod sealed {}

#[cfg(feature = "flask")]
#[doc = include_str!("../docs/flask.md")]
pub mod flask {}

#[cfg(feature = "django")]
#[doc = include_str!("../docs/django.md")]
pub mod django {}

#[cfg(feature = "iron")]
#[doc = include_str!("../docs/iron.md")]
pub mod iron {}

#[doc = include_str!("../docs/cli.md")]
pub mod cli {}

#[doc = include_str!("../docs/wire-format.md")]
pub mod wire_format {}

#[doc = include_str!("../docs/security.md")]
pub mod security {}

#[doc = include_str!("../docs/by-hand.md")]
pub mod by_hand {}

#[doc = include_str!("../docs/examples.md")]
pub mod examples {}

#[doc = include_str!("../docs/development.md")]
pub mod development {}
