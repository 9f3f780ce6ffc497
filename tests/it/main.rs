//! The integration tests, one module per concern, in one test binary: one link instead
//! of twenty on a two-core CI machine.
//!
//! Only the tests that need a process of their own are separate binaries: `wipe` and
//! `allocations` (their own global allocator, no libtest harness), and `fuzz_corpus`
//! and `fuzz_regressions` (which include the fuzz crate's sources). Modules that need
//! an optional feature are compiled only with it, so `cargo test --test it` without
//! features runs the rest.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../common/mod.rs"]
mod common;

mod browser;
mod chunks;
#[cfg(feature = "cli")]
mod cli;
mod cookie_header_props;
mod cookie_vectors;
#[cfg(feature = "django")]
mod django;
mod docs;
mod examples_http;
#[cfg(feature = "flask")]
mod flask;
#[cfg(all(feature = "axum", feature = "redis"))]
mod fleet;
#[cfg(feature = "flask")]
mod hostile;
#[cfg(any(feature = "axum", feature = "actix", feature = "rocket"))]
mod integration;
#[cfg(feature = "axum")]
mod integration_axum;
#[cfg(feature = "django")]
mod interop_django;
#[cfg(feature = "flask")]
mod interop_flask;
#[cfg(feature = "iron")]
mod interop_iron;
mod interop_native;
#[cfg(feature = "iron")]
mod iron;
#[cfg(feature = "metrics")]
mod metrics;
mod modules;
mod native;
mod readme;
#[cfg(all(feature = "axum", feature = "actix"))]
mod recipes;
#[cfg(feature = "redis")]
mod redis_revocation;
#[cfg(feature = "axum")]
mod registry;
#[cfg(feature = "sealed")]
mod sealed;
mod vectors;
