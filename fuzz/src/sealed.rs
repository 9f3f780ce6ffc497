//! The sealed profile's properties: `sealed_decode_never_panics` and
//! `sealed_forged_never_opens`. Needs sessionlib's `sealed` feature.

use std::sync::OnceLock;

use serde_json::Value;
use sessionlib::cookies::CookieConfig;
use sessionlib::{Codec, Error, Keyring};

use super::common::{expiry, fixture_key, now, MAX_INPUT, NATIVE_SALT, NATIVE_SECRET};
use super::encoding;

/// The salt of `sealed_forged_never_opens`: no committed seed is sealed for it, so any
/// token that opens under it was forged by the fuzzer.
pub const SEALED_FORGED_SALT: &str = "sessionlib.fuzz.sealed.forged";

/// A second key for the ring of `sealed_decode_never_panics`: tokens sealed with it are
/// opened as `Fallback(0)`.
pub const SEALED_FALLBACK_SECRET: [u8; 32] = [0x5a; 32];

struct SealedFixtures {
    /// Sealed codec with the vector key (primary) and a fallback, default salt.
    codec: Codec,
    /// The same keys as a sealed `session` cookie.
    cookie: CookieConfig,
    /// Sealed codec for the forged salt.
    forged: Codec,
    /// Valid tokens of `forged`, which `sealed_forged_never_opens` edits.
    originals: Vec<(String, Value)>,
}

fn sealed_fixtures() -> &'static SealedFixtures {
    static FIXTURES: OnceLock<SealedFixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let ring = Keyring::new(fixture_key(&NATIVE_SECRET))
            .with_fallback(fixture_key(&SEALED_FALLBACK_SECRET));
        let forged = Codec::builder(fixture_key(&NATIVE_SECRET))
            .salt(SEALED_FORGED_SALT)
            .sealed(true)
            .build();
        let originals = [
            serde_json::json!({"user_id": 12345, "username": "cobra", "roles": ["admin"]}),
            serde_json::json!(0),
            serde_json::json!({"cart": vec!["widget"; 40]}),
        ]
        .into_iter()
        .map(|data| match forged.encode_until(&data, expiry()) {
            Ok(token) => (token, data),
            Err(e) => panic!("fixture token refused: {e}"),
        })
        .collect();
        SealedFixtures {
            codec: Codec::builder(ring.clone())
                .salt(NATIVE_SALT)
                .sealed(true)
                .build(),
            cookie: CookieConfig::builder(ring)
                .clock(now)
                .name("session")
                .sealed(true)
                .try_build()
                .unwrap_or_else(|e| panic!("fixture cookie refused: {e}")),
            forged,
            originals,
        }
    })
}

/// `sealed_decode_never_panics`: any bytes decode to an error or a value, never a panic,
/// through every sealed entry point: the codec (dynamic and typed, `verify`), the cookie
/// layer reading a `Cookie:` header, and the unverified inspector. Three views of each
/// input:
///
/// 1. the bytes as a token;
/// 2. the bytes as a raw sealed token (base64url-encoded), so the version, length and
///    tag checks are reached with every possible header;
/// 3. the bytes as JSON: when they parse, the value is sealed and must open again to the
///    same value, with the primary key.
///
/// No error may show the token, and whatever the codec opens, the inspector must read
/// with the same expiry.
pub fn sealed_decode_never_panics(data: &[u8]) {
    let f = sealed_fixtures();
    let data = data.get(..MAX_INPUT).unwrap_or(data);
    let text = String::from_utf8_lossy(data).into_owned();
    decode_all_ways(f, &text);
    decode_all_ways(f, &encoding::encode(data));

    if let Ok(value) = serde_json::from_slice::<Value>(data) {
        match f.codec.encode_until(&value, expiry()) {
            Ok(token) => {
                let back = f
                    .codec
                    .decode_at::<Value>(&token, now())
                    .unwrap_or_else(|e| panic!("a sealed token does not open: {e:?}"));
                assert_eq!(back.data, value, "sealed data changed on the way");
                assert_eq!(back.key_used, sessionlib::KeyUsed::Primary);
                decode_all_ways(f, &token);
            }
            Err(Error::TooLarge { .. } | Error::Serialize) => {}
            Err(e) => panic!("sealing valid JSON failed: {e:?}"),
        }
    }
}

fn decode_all_ways(f: &SealedFixtures, token: &str) {
    let value = f.codec.decode_at::<Value>(token, now());
    let typed = f.codec.decode_at::<(u64, String)>(token, now());
    let verified = f.codec.verify_at(token, now());
    let header = format!("a=b; session={token}; c=d");
    let cookie = f.cookie.decode_header::<Value>(&header);
    let seen = sessionlib::sealed::inspect_unverified(token);
    for err in [
        value.as_ref().err(),
        typed.as_ref().err(),
        verified.as_ref().err(),
        cookie.as_ref().err(),
    ]
    .into_iter()
    .flatten()
    {
        // Error texts have no run of 32 characters without a space, so a token that
        // long without spaces can only be in one if the error holds the token.
        let shown = format!("{err} {err:?}");
        if token.len() >= 32 && !token.contains(' ') {
            assert!(!shown.contains(token), "an error shows the token: {shown}");
        }
    }
    // Verification and decoding agree up to the payload.
    match (&value, &verified) {
        (Ok(v), Ok(w)) => assert_eq!(v.expires_at, w.expires_at),
        (Err(a), Err(b)) => assert_eq!(a, b),
        (Err(Error::Deserialize(_)), Ok(_)) => {}
        (a, b) => panic!("decode and verify disagree: {:?} vs {:?}", a.is_ok(), b),
    }
    if let Err(Error::Deserialize(_)) = &typed {
        assert!(value.is_ok(), "a payload error before the tag was checked");
    }
    if let Ok(v) = &value {
        let seen = seen.unwrap_or_else(|e| panic!("an opened token is not inspectable: {e:?}"));
        assert_eq!(
            Some(v.expires_at),
            seen.unverified_expires_at(),
            "inspected expiry differs"
        );
    }
}

/// `sealed_forged_never_opens`: under a salt no seed is sealed for, no input opens as
/// a token (the fuzzer cannot compute a Poly1305 tag); and a valid token of that salt
/// with any of its bytes changed, bytes added or bytes cut (the input says which) never
/// opens. The first byte of the input picks the valid token, the rest is XORed into its
/// raw bytes and says how much to add or cut.
pub fn sealed_forged_never_opens(data: &[u8]) {
    let f = sealed_fixtures();
    let data = data.get(..MAX_INPUT).unwrap_or(data);
    let text = String::from_utf8_lossy(data);
    if let Ok(v) = f.forged.decode_at::<Value>(&text, now()) {
        assert!(
            f.originals.iter().any(|(t, _)| *t == text),
            "a forged token opened, with data {}",
            v.data
        );
    }

    let Some((&pick, edit)) = data.split_first() else {
        return;
    };
    let Some((token, original)) = f.originals.get(usize::from(pick) % f.originals.len()) else {
        return;
    };
    let Some(mut raw) = encoding::decode(token.as_bytes()) else {
        panic!("a fixture token is not base64url");
    };
    let (&shape, mask) = edit.split_first().unwrap_or((&0, &[]));
    for (byte, m) in raw.iter_mut().zip(mask) {
        *byte ^= m;
    }
    match shape % 4 {
        1 => raw.extend_from_slice(mask.get(raw.len()..).unwrap_or_default()),
        2 => raw.truncate(raw.len().saturating_sub(usize::from(shape / 4))),
        3 => raw.insert(usize::from(shape / 4) % raw.len().max(1), shape),
        _ => {}
    }
    let edited = encoding::encode(&raw);
    match f.forged.decode_at::<Value>(&edited, now()) {
        Ok(v) => {
            assert_eq!(&edited, token, "an edited token opened");
            assert_eq!(&v.data, original);
        }
        Err(e) => assert!(
            matches!(
                e,
                Error::InvalidSignature | Error::Malformed | Error::TooLarge { .. }
            ),
            "an edited token failed with {e:?}, not as forged"
        ),
    }
}
