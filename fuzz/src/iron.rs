//! The Iron profile's property: `iron_decode`. Needs sessionlib's `iron` feature.

use std::sync::OnceLock;

use serde_json::Value;
use sessionlib::iron::{self, IronCodec, Password, Passwords, Suffix};
use sessionlib::{Error, KeyUsed};
use time::{Duration, OffsetDateTime};

use super::common::{now, MAX_INPUT};

/// The password of the committed vectors' `iron_session_*` cases (id `1`, a fallback
/// of the fixture ring, so those seeds open as `Fallback(0)`), and the plain password
/// of the bare codec.
pub const IRON_PASSWORD: &str = "iron-session password number one, 32+ chars";

/// The current password of the fixture ring (id `2`).
pub const IRON_CURRENT_PASSWORD: &str = "the rotated password: number two, also 32+";

struct IronFixtures {
    /// iron-session: `~2`, ids 2 (current) and 1.
    session: IronCodec,
    /// h3 / @hapi/iron: no suffix, a plain password (empty id).
    bare: IronCodec,
}

fn fixtures() -> &'static IronFixtures {
    static FIXTURES: OnceLock<IronFixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let ring = Passwords::iron_session(&[("1", IRON_PASSWORD), ("2", IRON_CURRENT_PASSWORD)])
            .unwrap_or_else(|e| panic!("fixture passwords refused: {e}"));
        let plain = Password::new(IRON_PASSWORD).unwrap_or_else(|e| panic!("fixture refused: {e}"));
        IronFixtures {
            session: IronCodec::builder(ring).key_cache(4).build(),
            bare: IronCodec::builder(plain)
                .suffix(Suffix::None)
                .ttl(Duration::ZERO)
                .build(),
        }
    })
}

/// The time the property reads tokens at: the vectors' `T0` (2023-11-14T22:13:20Z),
/// when the committed iron-session seeds are valid.
fn read_time() -> OffsetDateTime {
    now()
}

/// `iron_decode`: any bytes through both Iron codecs (iron-session's `~2` with a
/// rotated ring, and the bare h3 format with a plain password), into a value and a
/// typed tuple, through the `Cookie:` header reader and the unverified inspector:
/// never a panic; no error shows the token; dynamic and typed decoding agree on
/// everything before the payload (a payload error only for a token the value decoder
/// opened); the inspector agrees on the password id and expiration of every token that
/// opens, and a token opens only with a password id the ring has. When the bytes are
/// JSON, they are sealed by each codec and must open back equal with the current
/// password, and the sealed token must survive the same checks.
pub fn iron_decode(data: &[u8]) {
    let f = fixtures();
    let data = data.get(..MAX_INPUT).unwrap_or(data);
    let text = String::from_utf8_lossy(data).into_owned();
    decode_all_ways(&f.session, &text);
    decode_all_ways(&f.bare, &text);

    if let Ok(value) = serde_json::from_slice::<Value>(data) {
        for codec in [&f.session, &f.bare] {
            match codec.encode_at(&value, read_time()) {
                Ok(token) => {
                    let back = codec
                        .decode_at::<Value>(&token, read_time())
                        .unwrap_or_else(|e| panic!("an Iron token does not open: {e:?}"));
                    assert_eq!(back.data, value, "Iron data changed on the way");
                    assert_eq!(back.key_used, KeyUsed::Primary);
                    decode_all_ways(codec, &token);
                }
                Err(Error::TooLarge { .. } | Error::Serialize) => {}
                Err(e) => panic!("sealing valid JSON failed: {e:?}"),
            }
        }
    }
}

fn decode_all_ways(codec: &IronCodec, token: &str) {
    let value = codec.decode_at::<Value>(token, read_time());
    let typed = codec.decode_at::<(u64, String)>(token, read_time());
    let header = format!("a=b; app_session={token}; c=d");
    let cookie = codec.decode_header::<Value>(&header, "app_session");
    for err in [
        value.as_ref().err(),
        typed.as_ref().err(),
        cookie.as_ref().err(),
    ]
    .into_iter()
    .flatten()
    {
        let shown = format!("{err} {err:?}");
        if token.len() >= 32 && !token.contains(' ') {
            assert!(!shown.contains(token), "an error shows the token: {shown}");
        }
    }
    match (&value, &typed) {
        (Ok(_), Ok(_) | Err(Error::Deserialize(_))) | (Err(Error::Deserialize(_)), _) => {}
        (Err(a), Err(b)) => assert_eq!(a, b, "value and typed decoding disagree"),
        (Err(a), Ok(_)) => panic!("typed decoding opened what the value decoder refused: {a:?}"),
        (Ok(_), Err(b)) => panic!("typed decoding refused a token that opens: {b:?}"),
    }
    if let Ok(v) = &value {
        let seen = iron::inspect_unverified(token)
            .unwrap_or_else(|e| panic!("an opened token is not inspectable: {e:?}"));
        assert_eq!(seen.password_id, v.password_id, "inspected id differs");
        assert_eq!(
            seen.unverified_expires_at(),
            v.expires_at,
            "inspected expiry differs"
        );
        assert!(
            ["", "1", "2"].contains(&v.password_id.as_str()),
            "opened with an unknown password id"
        );
    }
}
