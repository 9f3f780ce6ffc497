//! sessionlib against the straightforward pipeline and the `cookie` crate's signed and
//! private jars, on a small and a 2 KB session. Run everything with
//! `bash benches/run.sh`, which also prints the table of ratios.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::hint::black_box;

use common::{baseline::Pipeline, Large, Small};
use cookie::{Cookie, CookieJar};
use criterion::{criterion_group, criterion_main, Criterion};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sessionlib::codec::DEFAULT_SALT;
use sessionlib::signer::Signer;
use sessionlib::{Key, Keyring};

const COOKIE_NAME: &str = "session";

/// One payload size: encode, decode and round trip for every contender.
fn contenders<T>(c: &mut Criterion, size: &str, data: &T, json: String)
where
    T: Serialize + DeserializeOwned,
{
    let codec = common::codec();
    let pipeline = Pipeline::new(&common::secret(0), DEFAULT_SALT.as_bytes());
    let jar_key = cookie::Key::from(&[7u8; 64]);
    // Cookie values are borrowed for 'static, so that no contender pays for copying
    // the JSON text into the cookie.
    let json: &'static str = Box::leak(json.into_boxed_str());

    let token = codec.encode(data).unwrap();
    // The baseline reads sessionlib's tokens and the other way round: same format.
    assert!(pipeline.decode::<T>(&token).is_some());
    codec.decode::<T>(&pipeline.encode(data).unwrap()).unwrap();
    let mut signed_jar = CookieJar::new();
    signed_jar
        .signed_mut(&jar_key)
        .add(Cookie::new(COOKIE_NAME, json));
    let mut private_jar = CookieJar::new();
    private_jar
        .private_mut(&jar_key)
        .add(Cookie::new(COOKIE_NAME, json));
    assert_eq!(
        signed_jar
            .signed(&jar_key)
            .get(COOKIE_NAME)
            .unwrap()
            .value(),
        json
    );

    let mut g = c.benchmark_group(format!("encode_{size}"));
    g.bench_function("sessionlib", |b| b.iter(|| codec.encode(black_box(data))));
    g.bench_function("baseline", |b| b.iter(|| pipeline.encode(black_box(data))));
    g.bench_function("cookie_signed", |b| {
        b.iter(|| {
            let mut jar = CookieJar::new();
            jar.signed_mut(&jar_key)
                .add(Cookie::new(COOKIE_NAME, black_box(json)));
            jar
        })
    });
    g.bench_function("cookie_private", |b| {
        b.iter(|| {
            let mut jar = CookieJar::new();
            jar.private_mut(&jar_key)
                .add(Cookie::new(COOKIE_NAME, black_box(json)));
            jar
        })
    });
    g.finish();

    let mut g = c.benchmark_group(format!("decode_{size}"));
    g.bench_function("sessionlib", |b| {
        b.iter(|| codec.decode::<T>(black_box(&token)).unwrap())
    });
    g.bench_function("baseline", |b| {
        b.iter(|| pipeline.decode::<T>(black_box(&token)).unwrap())
    });
    g.bench_function("cookie_signed", |b| {
        b.iter(|| black_box(&signed_jar).signed(&jar_key).get(COOKIE_NAME))
    });
    g.bench_function("cookie_private", |b| {
        b.iter(|| black_box(&private_jar).private(&jar_key).get(COOKIE_NAME))
    });
    g.finish();

    let mut g = c.benchmark_group(format!("roundtrip_{size}"));
    g.bench_function("sessionlib", |b| {
        b.iter(|| {
            let token = codec.encode(black_box(data)).unwrap();
            codec.decode::<T>(&token).unwrap()
        })
    });
    g.bench_function("baseline", |b| {
        b.iter(|| {
            let token = pipeline.encode(black_box(data)).unwrap();
            pipeline.decode::<T>(&token).unwrap()
        })
    });
    g.bench_function("cookie_signed", |b| {
        b.iter(|| {
            let mut jar = CookieJar::new();
            jar.signed_mut(&jar_key)
                .add(Cookie::new(COOKIE_NAME, black_box(json)));
            jar.signed(&jar_key).get(COOKIE_NAME).unwrap()
        })
    });
    g.bench_function("cookie_private", |b| {
        b.iter(|| {
            let mut jar = CookieJar::new();
            jar.private_mut(&jar_key)
                .add(Cookie::new(COOKIE_NAME, black_box(json)));
            jar.private(&jar_key).get(COOKIE_NAME).unwrap()
        })
    });
    g.finish();
}

fn sizes(c: &mut Criterion) {
    let (small, json) = common::small();
    contenders::<Small>(c, "small", &small, json);
    let (large, json) = common::large();
    contenders::<Large>(c, "2k", &large, json);
}

/// Verifying without decoding the data, and tokens that must be refused: forged (normal size, valid shape, wrong signature),
/// oversized (refused on length alone) and malformed (refused on shape alone).
fn rejects(c: &mut Criterion) {
    let codec = common::codec();
    let pipeline = Pipeline::new(&common::secret(0), DEFAULT_SALT.as_bytes());
    let (small, _) = common::small();
    let token = codec.encode(&small).unwrap();
    // Another key's signature over the same text: the shape is perfect, the MAC is not.
    let forged = common::codec_signed_by(9).encode(&small).unwrap();
    assert_eq!(forged.len(), token.len());
    let oversized = "A".repeat(codec.max_token_len() + 1);
    // A normal-size token with one character outside the alphabet in the payload.
    let malformed = token.replacen('e', "+", 1);
    assert!(malformed.contains('+'));

    let mut g = c.benchmark_group("verify_small");
    g.bench_function("sessionlib", |b| {
        b.iter(|| codec.verify(black_box(&token)).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("reject_small");
    g.bench_function("forged", |b| {
        b.iter(|| codec.decode::<Small>(black_box(&forged)).unwrap_err())
    });
    g.bench_function("forged_baseline", |b| {
        b.iter(|| pipeline.decode::<Small>(black_box(&forged)).is_none())
    });
    g.bench_function("oversized", |b| {
        b.iter(|| codec.decode::<Small>(black_box(&oversized)).unwrap_err())
    });
    g.bench_function("malformed", |b| {
        b.iter(|| codec.decode::<Small>(black_box(&malformed)).unwrap_err())
    });
    g.finish();
}

/// Key rotation: a token signed by the primary of a one-key codec against one signed
/// by the last of four keys, and the cost of one MAC over the same text.
fn rotation(c: &mut Criterion) {
    let (small, _) = common::small();
    let one_key = common::codec();
    let four_keys = common::rotated_codec();
    let by_primary = one_key.encode(&small).unwrap();
    let by_last = common::codec_signed_by(3).encode(&small).unwrap();
    assert_eq!(
        four_keys.decode::<Small>(&by_last).unwrap().key_used,
        sessionlib::KeyUsed::Fallback(2)
    );
    let signed_text = &by_primary[..by_primary.rfind('.').unwrap()];
    let signer: Signer = Signer::new(
        &Keyring::new(Key::from_bytes(&common::secret(0)).unwrap()),
        DEFAULT_SALT.as_bytes(),
    );

    let mut g = c.benchmark_group("rotation_small");
    g.bench_function("key1_of_1", |b| {
        b.iter(|| one_key.decode::<Small>(black_box(&by_primary)).unwrap())
    });
    g.bench_function("key4_of_4", |b| {
        b.iter(|| four_keys.decode::<Small>(black_box(&by_last)).unwrap())
    });
    g.bench_function("one_mac", |b| {
        b.iter(|| signer.sign(black_box(signed_text.as_bytes())))
    });
    // One key tried: the MAC and its constant-time comparison.
    let signature = signer.sign(signed_text.as_bytes());
    g.bench_function("one_mac_check", |b| {
        b.iter(|| signer.verify(black_box(signed_text.as_bytes()), signature.as_bytes()))
    });
    g.finish();
}

/// Verifying one MAC over a small token's signed text, with sessionlib's signer (keyed
/// states that are wiped on drop, `hmac` 0.13) against the signer it had before
/// (`hmac` 0.12, states never wiped; `common::unwiped`): the cost of the wiping.
fn signer(c: &mut Criterion) {
    let (small, _) = common::small();
    let token = common::codec().encode(&small).unwrap();
    let signed_text = &token[..token.rfind('.').unwrap()];
    let secret = common::secret(0);
    let wiping: Signer = Signer::new(
        &Keyring::new(Key::from_bytes(&secret).unwrap()),
        DEFAULT_SALT.as_bytes(),
    );
    let unwiped = common::unwiped::Signer::new(&[&secret], DEFAULT_SALT.as_bytes());
    let signature = wiping.sign(signed_text.as_bytes());
    assert_eq!(
        unwiped.verify(signed_text.as_bytes(), signature.as_bytes()),
        Some(0)
    );

    let mut g = c.benchmark_group("signer_small");
    g.bench_function("wiped", |b| {
        b.iter(|| wiping.verify(black_box(signed_text.as_bytes()), signature.as_bytes()))
    });
    g.bench_function("unwiped_hmac_0_12", |b| {
        b.iter(|| unwiped.verify(black_box(signed_text.as_bytes()), signature.as_bytes()))
    });
    g.finish();
}

/// Decoding a compressed 2 KB session (itsdangerous's zlib format, as Flask writes it)
/// against decoding the same session uncompressed: the ratio is what inflating costs.
#[cfg(feature = "zlib")]
fn compressed(c: &mut Criterion) {
    let (large, _) = common::large();
    let plain = common::codec();
    let zlib = sessionlib::Codec::builder(Key::from_bytes(&common::secret(0)).unwrap())
        .compression(true)
        .build();
    let plain_token = plain.encode(&large).unwrap();
    let zlib_token = zlib.encode(&large).unwrap();
    assert!(zlib_token.starts_with('.') && zlib_token.len() < plain_token.len());

    let mut g = c.benchmark_group("compressed_2k");
    g.bench_function("decode_plain", |b| {
        b.iter(|| plain.decode::<Large>(black_box(&plain_token)).unwrap())
    });
    g.bench_function("decode_compressed", |b| {
        b.iter(|| zlib.decode::<Large>(black_box(&zlib_token)).unwrap())
    });
    g.finish();
}

#[cfg(not(feature = "zlib"))]
fn compressed(_: &mut Criterion) {}

/// Sealed tokens (feature `sealed`, on in `benches/run.sh`) against the `cookie`
/// crate's PrivateJar (AES-256-GCM) plus serde_json doing the same work: the struct is
/// serialized to JSON and put into the jar, and read back out of it and parsed into the
/// same struct. Both encrypt with a random nonce and check a tag; only sessionlib also
/// has an expiry.
#[cfg(feature = "sealed")]
fn sealed<T>(c: &mut Criterion, size: &str, data: &T)
where
    T: Serialize + DeserializeOwned,
{
    let codec = sessionlib::Codec::builder(Key::from_bytes(&common::secret(0)).unwrap())
        .sealed(true)
        .build();
    let jar_key = cookie::Key::from(&[7u8; 64]);
    let token = codec.encode(data).unwrap();
    let mut jar = CookieJar::new();
    jar.private_mut(&jar_key).add(Cookie::new(
        COOKIE_NAME,
        serde_json::to_string(data).unwrap(),
    ));
    let private_decode = |jar: &CookieJar| -> T {
        let cookie = jar.private(&jar_key).get(COOKIE_NAME).unwrap();
        serde_json::from_str(cookie.value()).unwrap()
    };
    let private_encode = |data: &T| -> CookieJar {
        let mut jar = CookieJar::new();
        let json = serde_json::to_string(data).unwrap();
        jar.private_mut(&jar_key)
            .add(Cookie::new(COOKIE_NAME, json));
        jar
    };
    let _: T = private_decode(&jar);

    let mut g = c.benchmark_group(format!("sealed_encode_{size}"));
    g.bench_function("sessionlib_sealed", |b| {
        b.iter(|| codec.encode(black_box(data)).unwrap())
    });
    g.bench_function("private_jar_json", |b| {
        b.iter(|| private_encode(black_box(data)))
    });
    g.finish();

    let mut g = c.benchmark_group(format!("sealed_decode_{size}"));
    g.bench_function("sessionlib_sealed", |b| {
        b.iter(|| codec.decode::<T>(black_box(&token)).unwrap())
    });
    g.bench_function("private_jar_json", |b| {
        b.iter(|| private_decode(black_box(&jar)))
    });
    g.finish();

    let mut g = c.benchmark_group(format!("sealed_roundtrip_{size}"));
    g.bench_function("sessionlib_sealed", |b| {
        b.iter(|| {
            let token = codec.encode(black_box(data)).unwrap();
            codec.decode::<T>(&token).unwrap()
        })
    });
    g.bench_function("private_jar_json", |b| {
        b.iter(|| private_decode(&private_encode(black_box(data))))
    });
    g.finish();
}

#[cfg(feature = "sealed")]
fn sealed_sizes(c: &mut Criterion) {
    let (small, _) = common::small();
    sealed::<Small>(c, "small", &small);
    let (large, _) = common::large();
    sealed::<Large>(c, "2k", &large);
}

#[cfg(not(feature = "sealed"))]
fn sealed_sizes(_: &mut Criterion) {}

/// The Iron profile (feature `iron`): sealing, and unsealing with the derived-key cache
/// (the same cookie on every request, as a browser sends it) and without it (a token
/// this process has not seen: two PBKDF2-SHA1 derivations), and a forged token, which
/// is refused after one derivation and the HMAC. Run with
/// `cargo bench --features iron --bench codec -- iron`.
#[cfg(feature = "iron")]
fn iron<T>(c: &mut Criterion, size: &str, data: &T)
where
    T: Serialize + DeserializeOwned,
{
    use sessionlib::iron::{IronCodec, Password};
    let password =
        || Password::with_id("1", "a benchmark password of 32 characters or more").unwrap();
    let cached = IronCodec::iron_session(password());
    let cold = IronCodec::builder(password()).key_cache(0).build();
    let token = cached.encode(data).unwrap();
    // The HMAC changed: well shaped, refused by the MAC check.
    let mut forged = token.clone().into_bytes();
    let last = forged.len() - 4;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    assert!(cached.decode::<T>(&forged).is_err());

    let mut g = c.benchmark_group(format!("iron_{size}"));
    g.bench_function("encode", |b| {
        b.iter(|| cached.encode(black_box(data)).unwrap())
    });
    g.bench_function("decode_cached_keys", |b| {
        b.iter(|| cached.decode::<T>(black_box(&token)).unwrap())
    });
    g.bench_function("decode_derived_keys", |b| {
        b.iter(|| cold.decode::<T>(black_box(&token)).unwrap())
    });
    g.bench_function("reject_forged", |b| {
        b.iter(|| cold.decode::<T>(black_box(&forged)).is_err())
    });
    g.finish();
}

#[cfg(feature = "iron")]
fn iron_sizes(c: &mut Criterion) {
    let (small, _) = common::small();
    iron::<Small>(c, "small", &small);
    let (large, _) = common::large();
    iron::<Large>(c, "2k", &large);
}

#[cfg(not(feature = "iron"))]
fn iron_sizes(_: &mut Criterion) {}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = sizes, rejects, rotation, signer, compressed, sealed_sizes, iron_sizes
}
criterion_main!(benches);
