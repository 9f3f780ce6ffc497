//! Prints the public API described by a rustdoc JSON file, one item a line, as
//! `cargo public-api --simplified` prints it: blanket impls (`impl<T> Any for T`, ...)
//! are left out; auto-trait impls (`Send`, `Sync`, `Unpin`, ...) and derived impls are
//! kept, since losing one is a breaking change.
//!
//! Usage: sessionlib-public-api <crate.json>

use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let (Some(json), None) = (args.next(), args.next()) else {
        return Err("usage: sessionlib-public-api <rustdoc JSON file>".into());
    };
    // public-api does not check the format version itself: a nightly whose rustdoc
    // writes another format could be misread instead of refused.
    let raw: serde_json::Value = serde_json::from_slice(&std::fs::read(&json)?)?;
    let found = raw
        .get("format_version")
        .and_then(serde_json::Value::as_u64);
    if found != Some(u64::from(rustdoc_types::FORMAT_VERSION)) {
        return Err(format!(
            "rustdoc JSON format {found:?}, but this lister reads format {}: pick the \
             public-api version that matches the nightly (its README's compatibility \
             matrix) in api/Cargo.toml",
            rustdoc_types::FORMAT_VERSION
        )
        .into());
    }
    let api = public_api::Builder::from_rustdoc_json(json)
        .omit_blanket_impls(true)
        .build()?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for item in api.items() {
        writeln!(out, "{item}")?;
    }
    out.flush()?;
    Ok(())
}
