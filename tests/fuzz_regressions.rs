//! Regression tests for what the fuzz targets found, each named after the bug. The
//! input that showed it is also in the corpus, which `tests/fuzz_corpus.rs` replays.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::{json, Value};
use sessionlib::{Codec, Error, Key};
use time::OffsetDateTime;

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap()
}

fn nested(depth: usize) -> Value {
    let mut v = json!(1);
    for _ in 0..depth {
        v = json!([v]);
    }
    v
}

/// `roundtrip` (seed `deep_nesting`): data nested 128 or more levels deep was encoded
/// into a token that every decode then refused as invalid JSON ("the codec refuses its
/// own token"). It is now refused when encoding.
#[test]
fn deep_data_was_encoded_into_a_token_that_never_decodes() {
    let codec = Codec::new(Key::from_bytes(&[3; 32]).unwrap());
    let ok = codec.encode_at(&nested(127), now()).unwrap();
    assert_eq!(
        codec.decode_at::<Value>(&ok, now()).unwrap().data,
        nested(127)
    );
    for depth in [128, 160, 1000] {
        assert_eq!(
            codec.encode_at(&nested(depth), now()),
            Err(Error::Serialize),
            "depth {depth}"
        );
    }
}

/// The same bug in the Flask profile: a Flask tuple is two JSON levels (`{" t":[…]}`),
/// so 64 nested tuples passed the 100-value depth limit of the tagged-JSON writer but
/// not the JSON parser's limit of 127, and the cookie never decoded.
#[cfg(feature = "flask")]
#[test]
fn deep_flask_tuples_were_encoded_into_a_cookie_that_never_decodes() {
    use sessionlib::flask::{FlaskCodec, FlaskSession, FlaskValue};
    let codec = FlaskCodec::from_flask_config(b"flask dev secret", &[]).unwrap();
    let session = |depth: usize| {
        let mut v = FlaskValue::Null;
        for _ in 0..depth {
            v = FlaskValue::Tuple(vec![v]);
        }
        FlaskSession::from([("a".to_string(), v)])
    };
    // {"a": + 63 tuples = 1 + 126 levels: the deepest that decodes.
    let ok = codec.encode_at(&session(63), now()).unwrap();
    assert_eq!(codec.decode_at(&ok, now()).unwrap().data, session(63));
    assert_eq!(codec.encode_at(&session(64), now()), Err(Error::Serialize));
    // The tagged-JSON writer on its own refuses it too, so that what
    // `to_tagged_json` writes, `from_tagged_json` reads.
    let json = sessionlib::flask::to_tagged_json(&session(63)).unwrap();
    assert_eq!(
        sessionlib::flask::from_tagged_json(json.as_bytes()).unwrap(),
        session(63)
    );
    assert_eq!(
        sessionlib::flask::to_tagged_json(&session(64)),
        Err(Error::Serialize)
    );
}
