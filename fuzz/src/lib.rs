//! The properties checked by the fuzz targets; see `properties.rs`, which the main
//! crate's `tests/fuzz_corpus.rs` also compiles to replay the corpus.
#![forbid(unsafe_code)]

#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod chunks;
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod properties;
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod sealed;

pub use chunks::*;
pub use properties::*;
pub use sealed::*;
