//! The pages of `docs/`: every one is a module of `sessionlib::guide` (`src/guide.rs`),
//! so every Rust example on it is a doctest, compiled and run by `cargo test --doc`.

use std::path::Path;

/// Every page of `docs/` is included in the guide, and every code block on it names its
/// language (an unnamed block would be compiled as Rust).
#[test]
fn every_page_is_in_the_guide() {
    let guide = include_str!("../../src/guide.rs");
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let mut pages = 0;
    for entry in std::fs::read_dir(&docs).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "md") {
            continue;
        }
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(
            guide.contains(&format!("include_str!(\"../docs/{name}\")")),
            "docs/{name} is not a module of src/guide.rs: its examples would go untested"
        );
        let page = std::fs::read_to_string(&path).unwrap();
        for (i, block) in page.split("```").enumerate().skip(1).step_by(2) {
            let info = block.lines().next().unwrap_or("");
            assert!(
                !info.trim().is_empty(),
                "docs/{name}: code block {} has no language",
                i / 2 + 1
            );
        }
        pages += 1;
    }
    assert!(pages >= 10, "{pages} pages found in {}", docs.display());
}
