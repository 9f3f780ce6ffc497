//! Properties of `Cookie:` header reading, on arbitrary input.

use proptest::prelude::*;
use serde_json::{json, Value};
use sessionlib::cookies::CookieConfig;
use sessionlib::{SessionConfig, SessionData, SessionSource};

use crate::common::{key, now};
use crate::common::{At, CookieAt};

/// Named `session` explicitly (the default is `__Host-session`), so the strategies
/// below can spell it.
fn config() -> CookieConfig {
    CookieConfig::builder(key(3))
        .clock(crate::common::clock)
        .name("session")
        .try_build()
        .unwrap()
}

/// A cookie pair whose name is never exactly `session`.
fn other_pair() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec(any::<u8>(), 0..12),
        proptest::collection::vec(any::<u8>(), 0..40),
    )
        .prop_filter_map("not the session's name", |(name, value)| {
            let trimmed: Vec<u8> = name
                .iter()
                .copied()
                .filter(|b| *b != b' ' && *b != b'\t')
                .collect();
            if trimmed == b"session" || name.contains(&b';') || name.contains(&b'=') {
                return None;
            }
            let value: Vec<u8> = value.into_iter().filter(|b| *b != b';').collect();
            Some([name, b"=".to_vec(), value].concat())
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Arbitrary bytes never panic and never yield a session.
    #[test]
    fn arbitrary_headers_never_verify(header in proptest::collection::vec(any::<u8>(), 0..600)) {
        let result = config().decode_header_at::<Value>(&header, now());
        prop_assert!(!matches!(result, Ok(Some(_))));
        let sessions = SessionConfig::builder(config()).build();
        let session: SessionData = sessions.load_at(&header, now());
        prop_assert!(session.is_new() && session.is_empty());
    }

    /// Text made of cookie-ish pieces (including `session=` with garbage) never
    /// verifies either.
    #[test]
    fn cookieish_headers_never_verify(parts in proptest::collection::vec(
        prop_oneof![
            Just("session=".to_string()),
            Just("; ".to_string()),
            Just("=".to_string()),
            Just(".".to_string()),
            "[A-Za-z0-9_-]{0,50}",
            "\\PC{0,8}",
        ], 0..20)) {
        let header = parts.concat();
        let result = config().decode_header_at::<Value>(&header, now());
        prop_assert!(!matches!(result, Ok(Some(_))));
    }

    /// A valid session cookie is found wherever it sits among other cookies.
    #[test]
    fn valid_cookie_is_found_among_others(
        before in proptest::collection::vec(other_pair(), 0..5),
        after in proptest::collection::vec(other_pair(), 0..5),
    ) {
        let c = config();
        let data = json!({"_created": 1_699_999_000, "user": "cobra"});
        let token = c.encode_at(&data, time::Duration::DAY, now()).unwrap().value().to_owned();
        let mut pairs = before;
        pairs.push(format!("session={token}").into_bytes());
        pairs.extend(after);
        let header = pairs.join(&b"; "[..]);
        let found = c.decode_header_at::<Value>(&header, now()).unwrap().unwrap();
        prop_assert_eq!(found.data, data);
        let sessions = SessionConfig::builder(c).build();
        let session = sessions.load_at(&header, now());
        prop_assert_eq!(session.source(), SessionSource::Cookie);
        prop_assert_eq!(session.get::<String>("user"), Some("cobra".to_owned()));
    }
}
