//! The property of `cookie_header`: the `Cookie:` header reader, the session loader
//! and the Flask profile's header reader (with sessionlib's `flask` feature).

use std::sync::OnceLock;

use serde_json::Value;

use super::common::{native_ring, now, MAX_INPUT};

/// The session cookie `cookie_header` plants among the fuzzer's cookies: its name, and
/// the value it is saved under (a `user` entry).
const COOKIE_NAME: &str = "session";
const COOKIE_USER: &str = "cobra";

struct CookieFixtures {
    config: sessionlib::SessionConfig,
    /// A valid session cookie value made by `config` at [`NOW`](super::common::NOW).
    value: String,
}

fn cookie_fixtures() -> &'static CookieFixtures {
    static FIXTURES: OnceLock<CookieFixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let cookie = sessionlib::CookieConfig::builder(native_ring())
            .clock(now)
            .name(COOKIE_NAME)
            .try_build()
            .unwrap_or_else(|e| panic!("fixture cookie config refused: {e}"));
        let config = sessionlib::SessionConfig::builder(cookie).build();
        let mut session = sessionlib::SessionData::new();
        if let Err(e) = session.insert("user", COOKIE_USER) {
            panic!("fixture session refused: {e}");
        }
        let value = match config.save(&session) {
            Ok(Some(set)) => set.cookie().value().to_string(),
            other => panic!("fixture session not saved: {other:?}"),
        };
        CookieFixtures { config, value }
    })
}

/// `cookie_header`: any `Cookie:` header value through the cookie reader
/// (`CookieConfig::decode_header_at`), the session loader (`SessionConfig::load_at`,
/// then `save_at`) and the Flask profile's reader, never panics. A session is only
/// ever loaded from the one valid cookie this module made: the input is also split in
/// two halves around `session=<valid value>`, and when both halves are whole pairs
/// (ending and starting at `;`) with no other cookie of that name, the session must be
/// found, with its data.
pub fn cookie_header(data: &[u8]) {
    let f = cookie_fixtures();
    let data = data.get(..MAX_INPUT).unwrap_or(data);
    check_header(f, data, false);

    let (before, after) = data.split_at(data.len() / 2);
    let header = [
        before,
        COOKIE_NAME.as_bytes(),
        b"=",
        f.value.as_bytes(),
        after,
    ]
    .concat();
    let name = COOKIE_NAME.as_bytes();
    let contains_name = |part: &[u8]| part.windows(name.len()).any(|w| w == name);
    let isolated = (before.is_empty() || before.ends_with(b";"))
        && (after.is_empty() || after.starts_with(b";"))
        && !contains_name(before)
        && !contains_name(after);
    check_header(f, &header, isolated);
    // Past the 16 KiB header limit.
    if data.len() > 6000 {
        check_header(f, &data.repeat(3), false);
    }
}

/// The valid session cookie value `cookie_header` plants (for the seed corpus).
pub fn planted_cookie_value() -> &'static str {
    &cookie_fixtures().value
}

fn check_header(f: &CookieFixtures, header: &[u8], must_find: bool) {
    let cookie = f.config.cookie();
    let decoded = cookie.decode_header::<Value>(header);
    if let Ok(Some(v)) = &decoded {
        // Nothing the fuzzer writes can verify; only the planted cookie can.
        assert_eq!(
            v.data.get("user"),
            Some(&Value::from(COOKIE_USER)),
            "a forged cookie loaded"
        );
    }
    let session = f.config.load(header);
    let loaded = session.source() == sessionlib::SessionSource::Cookie;
    assert_eq!(
        loaded,
        matches!(decoded, Ok(Some(_))),
        "loader and reader disagree"
    );
    if loaded {
        assert_eq!(session.get::<Value>("user"), Some(Value::from(COOKIE_USER)));
    }
    if must_find {
        assert!(
            loaded,
            "a valid session cookie among other cookies was not found: {decoded:?}"
        );
    }
    // Saving what was loaded never panics (a fresh session saves nothing or a removal).
    let _ = f.config.save(&session);
    #[cfg(feature = "flask")]
    {
        let _ = super::flask::flask_codec().decode_header(header, COOKIE_NAME);
    }
}
