//! The Django profile's property: `django_decode`. Needs sessionlib's `django`
//! feature.

use std::sync::OnceLock;

use serde_json::Value;
use sessionlib::django::{self, DjangoCodec, DjangoSession};
use sessionlib::signer::{Sha256, Signer};
use sessionlib::{Error, Keyring};
use time::Duration;

use super::common::{as_token, now, MAX_INPUT};
use super::encoding;

/// The Django test key of `tests/vectors/django.json`.
pub const DJANGO_SECRET: &str = "django dev secret";

struct DjangoFixtures {
    /// The session engine's codec (salt, compression, two weeks).
    codec: DjangoCodec,
    /// Its signer, to sign arbitrary text.
    signer: Signer<Sha256>,
}

fn django_ring() -> Keyring {
    match django::django_keyring(DJANGO_SECRET, &[]) {
        Ok(ring) => ring,
        Err(e) => panic!("fixture Django key refused: {e}"),
    }
}

fn django_fixtures() -> &'static DjangoFixtures {
    static FIXTURES: OnceLock<DjangoFixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| DjangoFixtures {
        codec: DjangoCodec::session_builder(django_ring()).build(),
        signer: django::signer(&django_ring(), django::SESSION_SALT.as_bytes()),
    })
}

/// `text` with a valid Django signature appended after a `:`.
pub fn django_sign(text: &str) -> String {
    let f = django_fixtures();
    let sig = encoding::encode(f.signer.sign(text.as_bytes()).as_bytes());
    format!("{text}:{sig}")
}

/// The base62 signing time `django_decode` writes into the tokens it signs: a minute
/// before [`now`].
pub fn django_timestamp() -> String {
    let seconds = u64::try_from((now() - Duration::minutes(1)).unix_timestamp()).unwrap_or(1);
    encoding::encode_base62(seconds)
}

/// `django_decode`: any bytes through the Django session codec, in four views (the
/// bytes as a token; as `payload:timestamp` text with a valid signature appended; as a
/// raw JSON payload and as a raw zlib stream in validly signed tokens), never panic,
/// into a dynamic value and into a session map alike up to the payload; no error shows
/// the signature; and every accepted value writes and reads back equal, with its
/// signing time, as a new token. A signed uncompressed token whose JSON is already in
/// the writer's spelling re-encodes to the same bytes.
pub fn django_decode(data: &[u8]) {
    let f = django_fixtures();
    let data = data.get(..MAX_INPUT).unwrap_or(data);
    let token = as_token(data);
    let body = encoding::encode(data);
    let ts = django_timestamp();
    let views = [
        token.clone(),
        django_sign(&token),
        django_sign(&format!("{body}:{ts}")),
        django_sign(&format!(".{body}:{ts}")),
    ];
    for (i, view) in views.iter().enumerate() {
        let value = f.codec.decode_at::<Value>(view, now());
        let session = f.codec.decode_at::<DjangoSession>(view, now());
        // The unverified reader never panics, and agrees with every accepted token.
        let seen = sessionlib::django::inspect_unverified(view);
        if let Ok(v) = &value {
            let seen = seen.unwrap_or_else(|e| panic!("inspect refuses a valid token: {e:?}"));
            assert!(
                seen.is_shape_valid(),
                "inspect calls a valid token's shape invalid"
            );
            assert_eq!(
                seen.payload_json().as_ref(),
                Some(&v.data),
                "inspect reads other data"
            );
            assert_eq!(
                seen.timestamp_time(),
                Some(v.signed_at),
                "inspect reads another time"
            );
        }
        // Everything before the payload is the same check.
        let early = |r: &Result<_, Error>| match r {
            Err(Error::Deserialize(_)) | Ok(_) => None,
            Err(e) => Some(e.clone()),
        };
        assert_eq!(
            early(&value.as_ref().map(|_| ()).map_err(Clone::clone)),
            early(&session.as_ref().map(|_| ()).map_err(Clone::clone)),
            "value and session decoding disagree before the payload"
        );
        if i > 0 {
            if let (Err(e), Some((_, sig))) = (&value, view.rsplit_once(':')) {
                let shown = format!("{e} {e:?}");
                assert!(!shown.contains(sig), "an error shows the signature");
            }
        }
        let Ok(v) = value else { continue };
        match f.codec.encode_at(&v.data, v.signed_at) {
            Ok(again) => {
                let back = f
                    .codec
                    .decode_at::<Value>(&again, now())
                    .unwrap_or_else(|e| panic!("a re-encoded Django token is refused: {e:?}"));
                assert_eq!(back.data, v.data, "a re-encoded Django token differs");
                assert_eq!(back.signed_at, v.signed_at, "the signing time changed");
                if i == 2 && !again.starts_with('.') {
                    let json = serde_json::to_string(&v.data).unwrap_or_default();
                    // serde_json's spelling is the writer's for printable ASCII (the
                    // writer escapes DEL) without floats (which Python spells its own way).
                    let printable = json.bytes().all(|b| (b' '..=b'~').contains(&b));
                    if json.as_bytes() == data && printable && !json.contains(['.', 'e', 'E']) {
                        assert_eq!(&again, view, "a token in the writer's spelling changed");
                    }
                }
            }
            // Compression can make a token that fit larger only if it was not
            // compressed; anything else is a bug.
            Err(Error::TooLarge { .. }) => {}
            Err(e) => panic!("an accepted Django token does not re-encode: {e:?}"),
        }
        if let Ok(s) = session {
            assert_eq!(Value::Object(s.data), v.data, "session and value differ");
        }
    }
}
