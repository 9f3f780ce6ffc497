//! The Flask profile's properties: `flask_decode` (the cookie codec) and `tagged_json`
//! (Flask's tagged JSON). Needs sessionlib's `flask` feature.

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use sessionlib::flask::FlaskCodec;
use sessionlib::signer::{Sha1, Signer};
use sessionlib::Error;
use time::{Duration, OffsetDateTime};

use super::common::{
    as_token, now, sign, timestamp_text, ARB_MAX_DEPTH, MAX_DECODED_NESTING, MAX_INPUT,
};
use super::encoding;

/// The Flask test key of `tests/vectors/flask.json`.
pub const FLASK_SECRET: &[u8] = b"flask dev secret";

struct FlaskFixtures {
    /// The Flask codec with [`FLASK_SECRET`] and Flask's default salt.
    codec: FlaskCodec,
    /// Its signer, to sign arbitrary text.
    signer: Signer<Sha1>,
}

fn flask_fixtures() -> &'static FlaskFixtures {
    static FIXTURES: OnceLock<FlaskFixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let flask_ring = match sessionlib::flask::flask_keyring(FLASK_SECRET, &[]) {
            Ok(ring) => ring,
            Err(e) => panic!("fixture Flask key refused: {e}"),
        };
        FlaskFixtures {
            signer: Signer::new(&flask_ring, sessionlib::flask::SESSION_SALT.as_bytes()),
            codec: FlaskCodec::new(flask_ring),
        }
    })
}

/// The codec of `flask_decode`, which `cookie_header` also reads headers with.
pub(crate) fn flask_codec() -> &'static FlaskCodec {
    &flask_fixtures().codec
}

/// `flask_decode`: any bytes through the Flask codec, in the same four views as
/// `decode_never_panics` (a token; signed `payload.timestamp` text; a signed raw
/// payload; a signed compressed payload), never panic, and every accepted session
/// survives writing and reading back (as tagged JSON and as a new cookie).
pub fn flask_decode(data: &[u8]) {
    let f = flask_fixtures();
    let data = data.get(..MAX_INPUT).unwrap_or(data);
    let token = as_token(data);
    let signed_at = now() - Duration::minutes(1);
    let body = encoding::encode(data);
    let ts = timestamp_text(signed_at);
    let views = [
        token.clone(),
        sign(&f.signer, &token),
        sign(&f.signer, &format!("{body}.{ts}")),
        sign(&f.signer, &format!(".{body}.{ts}")),
    ];
    for view in &views {
        let seen = sessionlib::inspect_unverified(view);
        if let Ok(v) = f.codec.decode_at(view, now()) {
            let seen =
                seen.unwrap_or_else(|e| panic!("a verified cookie is not inspectable: {e:?}"));
            assert_eq!(
                seen.shape_problem_for(20),
                None,
                "a verified cookie has a bad shape"
            );
            assert_eq!(
                seen.timestamp_time(),
                Some(v.signed_at),
                "inspected time differs"
            );
            check_tagged_round_trip(&v.data);
            match f.codec.encode_at(&v.data, v.signed_at) {
                Ok(again) => {
                    let back = f
                        .codec
                        .decode_at(&again, now())
                        .unwrap_or_else(|e| panic!("a re-encoded Flask cookie is refused: {e:?}"));
                    assert_eq!(back.data, v.data, "a re-encoded Flask cookie differs");
                }
                // Compression can make a cookie that fit larger only if it was not
                // compressed; anything else is a bug.
                Err(Error::TooLarge { .. }) => {}
                Err(e) => panic!("an accepted Flask session does not re-encode: {e:?}"),
            }
        }
    }
}

fn check_tagged_round_trip(session: &sessionlib::flask::FlaskSession) {
    use sessionlib::flask::{from_tagged_json, to_tagged_json};
    let json = to_tagged_json(session)
        .unwrap_or_else(|e| panic!("an accepted session does not serialize: {e:?}"));
    let back = from_tagged_json(json.as_bytes())
        .unwrap_or_else(|e| panic!("written tagged JSON is refused: {e:?}"));
    assert_eq!(&back, session, "tagged JSON does not read back equal");
    assert_eq!(
        to_tagged_json(&back).ok().as_deref(),
        Some(json.as_str()),
        "tagged JSON is not written the same way twice"
    );
}

/// `tagged_json`: any bytes through Flask's tagged-JSON reader give an error or a
/// session, and every session read writes and reads back equal. The same bytes are
/// also read with `arbitrary` as a session (every tagged type, nested up to
/// [`ARB_MAX_DEPTH`]): it writes and reads back equal, or is refused as
/// `Serialize` only when it nests deeper than the writer or the reader allows.
pub fn tagged_json(data: &[u8]) {
    let data = data.get(..MAX_INPUT * 8).unwrap_or(data);
    if let Ok(session) = sessionlib::flask::from_tagged_json(data) {
        check_tagged_round_trip(&session);
    }
    let mut u = Unstructured::new(data);
    if let Ok(session) = arb_flask_session(&mut u, 0) {
        match sessionlib::flask::to_tagged_json(&session) {
            Ok(_) => check_tagged_round_trip(&session),
            Err(Error::Serialize) => {
                let (values, json) = flask_nesting(&sessionlib::flask::FlaskValue::Dict(session));
                assert!(
                    values > sessionlib::flask::MAX_DEPTH + 1 || json > MAX_DECODED_NESTING,
                    "a session nested {values} values / {json} JSON levels deep is refused"
                );
            }
            Err(e) => panic!("a session does not write as tagged JSON: {e:?}"),
        }
    }
}

/// How deeply a Flask value nests: (values, JSON levels). A tuple and a dict whose
/// single key is a tag take two JSON levels.
fn flask_nesting(value: &sessionlib::flask::FlaskValue) -> (usize, usize) {
    use sessionlib::flask::FlaskValue as F;
    let deepest = |items: &mut dyn Iterator<Item = &F>| {
        items
            .map(flask_nesting)
            .fold((0, 0), |a, b| (a.0.max(b.0), a.1.max(b.1)))
    };
    match value {
        F::List(items) => {
            let (v, j) = deepest(&mut items.iter());
            (v + 1, j + 1)
        }
        F::Tuple(items) => {
            let (v, j) = deepest(&mut items.iter());
            (v + 1, j + 2)
        }
        F::Dict(map) => {
            let (v, j) = deepest(&mut map.values());
            let tagged = map.len() == 1
                && map
                    .keys()
                    .all(|k| [" t", " b", " m", " u", " d", " di"].contains(&k.as_str()));
            (v + 1, j + if tagged { 2 } else { 1 })
        }
        F::Bytes(_) | F::Markup(_) | F::Uuid(_) | F::DateTime(_) => (1, 1),
        _ => (1, 0),
    }
}

fn arb_flask_session(
    u: &mut Unstructured<'_>,
    depth: usize,
) -> arbitrary::Result<sessionlib::flask::FlaskSession> {
    let len = u.int_in_range(0..=5)?;
    let mut map = sessionlib::flask::FlaskSession::new();
    for _ in 0..len {
        // Tag-like keys are common, so the `" di"` wrapping is exercised.
        let key = match u.int_in_range(0..=3)? {
            0 => [" t", " b", " m", " u", " d", " di", " t__", "_flashes"]
                [u.int_in_range(0..=7)?]
            .to_string(),
            _ => String::arbitrary(u)?,
        };
        map.insert(key, arb_flask_value(u, depth + 1)?);
    }
    Ok(map)
}

fn arb_flask_value(
    u: &mut Unstructured<'_>,
    depth: usize,
) -> arbitrary::Result<sessionlib::flask::FlaskValue> {
    use sessionlib::flask::FlaskValue as F;
    let last = if depth >= ARB_MAX_DEPTH || u.is_empty() {
        10
    } else {
        13
    };
    Ok(match u.int_in_range(0..=last)? {
        0 => F::Null,
        1 => F::Bool(bool::arbitrary(u)?),
        2 => F::Number(u64::arbitrary(u)?.into()),
        3 => F::Number(i64::arbitrary(u)?.into()),
        4 => serde_json::Number::from_f64(f64::arbitrary(u)?).map_or(F::Null, F::Number),
        5 => F::String(String::arbitrary(u)?),
        6 => F::Markup(String::arbitrary(u)?),
        7 => F::Bytes(Vec::<u8>::arbitrary(u)?),
        8 => F::Uuid(<[u8; 16]>::arbitrary(u)?),
        9 | 10 => {
            // Whole seconds from year 1 to 9999, as Flask writes them.
            let seconds = u.int_in_range(-62_135_596_800i64..=253_402_300_799)?;
            OffsetDateTime::from_unix_timestamp(seconds).map_or(F::Null, F::DateTime)
        }
        11 | 12 => {
            let len = u.int_in_range(0..=4)?;
            let mut items = Vec::with_capacity(len);
            for _ in 0..len {
                items.push(arb_flask_value(u, depth + 1)?);
            }
            if u.arbitrary()? {
                F::Tuple(items)
            } else {
                F::List(items)
            }
        }
        _ => F::Dict(arb_flask_session(u, depth)?),
    })
}
