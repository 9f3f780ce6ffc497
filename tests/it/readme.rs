//! The Rust examples in `README.md`, compiled and run. Each example stands here
//! verbatim inside a module that supplies what the README leaves to the reader, and
//! `readme_examples_are_the_ones_tested` fails when the README and this file drift apart.
//! The examples of the pages in `docs/` are doctests (`sessionlib::guide`; see
//! `tests/it/docs.rs`).

// README: "Quick start", the complete app (compiled; its server is not started, its
// handler is driven in-process).
#[cfg(feature = "axum")]
#[rustfmt::skip]
mod quick_start {
    use axum::{routing::get, Router};
    use sessionlib::axum::{Session, SessionLayer};
    use sessionlib::{CookieConfig, Keyring, SessionConfig};

    async fn visits(session: Session) -> String {
        let n: u32 = session.get("visits").unwrap_or(0) + 1;
        session.insert("visits", &n).expect("a number serializes");
        format!("visit #{n}")
    }

    #[tokio::main]
    async fn main() -> Result<(), Box<dyn std::error::Error>> {
        // At least 32 bytes each (made as shown below); the previous key keeps old cookies
        // valid during a key rotation.
        let keys = Keyring::from_env("MYAPP_SECRET_KEY", &["MYAPP_PREVIOUS_KEY"])?;
        let sessions = SessionConfig::builder(CookieConfig::builder(keys).try_build()?).build();
        let app = Router::new()
            .route("/", get(visits))
            .layer(SessionLayer::new(sessions));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
        axum::serve(listener, app).await?;
        Ok(())
    }

    #[test]
    fn without_keys_it_says_which_variable_is_missing_and_how_to_make_a_key() {
        // The variable is never set in tests: main stops with a clear error.
        let err = main().unwrap_err();
        assert_eq!(
            err.to_string(),
            "MYAPP_SECRET_KEY is not set (make a key of at least 32 bytes with: openssl rand -hex 32)"
        );
    }

    #[tokio::test]
    async fn counts_visits() {
        use tower::ServiceExt;
        let sessions = SessionConfig::builder(
            CookieConfig::builder(sessionlib::Key::generate()).try_build().unwrap(),
        )
        .build();
        let app = Router::new()
            .route("/", get(visits))
            .layer(SessionLayer::new(sessions));
        let request = || axum::http::Request::get("/").body(axum::body::Body::empty()).unwrap();
        let first = app.clone().oneshot(request()).await.unwrap();
        let cookie = first.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        assert!(cookie.starts_with("__Host-session="), "{cookie}");
        let mut second = request();
        second.headers_mut().insert("cookie", cookie.parse().unwrap());
        let second = app.oneshot(second).await.unwrap();
        let body = axum::body::to_bytes(second.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], b"visit #2");
    }
}

/// The lines of `text` that rustdoc shows, trimmed, without blank lines: the lines
/// of a Rust example starting with `# ` (or a lone `#`) are hidden lines.
pub(crate) fn shown_lines(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && *line != "#" && !line.starts_with("# "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The Rust examples of a markdown page: the code of every block whose info string
/// starts with `rust` (`rust`, `rust,no_run`, ...).
pub(crate) fn rust_blocks(page: &str) -> Vec<&str> {
    page.split("```")
        .skip(1)
        .step_by(2)
        .filter_map(|block| {
            let (info, code) = block.split_once('\n')?;
            info.starts_with("rust").then_some(code)
        })
        .collect()
}

/// Every Rust block of the README appears in this file, line for line (indentation
/// aside), so the examples above are the README's.
#[test]
fn readme_examples_are_the_ones_tested() {
    let readme = include_str!("../../README.md");
    let tested = shown_lines(include_str!("readme.rs"));
    let blocks = rust_blocks(readme);
    for code in &blocks {
        let example = shown_lines(code);
        assert!(
            tested.contains(&example),
            "this README example is not in tests/it/readme.rs:\n{example}"
        );
    }
    assert_eq!(
        blocks.len(),
        1,
        "a README example was added or removed: update tests/it/readme.rs"
    );
}
