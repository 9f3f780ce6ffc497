//! Key material is wiped (issue 12, defect 4): after a `Codec`, `CookieConfig`,
//! `SessionConfig` or `FlaskCodec` is dropped, no freed heap block holds the secret, a
//! derived key, or a keyed HMAC state.
//!
//! A global allocator scans every block as it is freed (reallocations go through the
//! same path) for "needles" computed here from the known secrets: each secret, and for
//! the secret and every derived key `HMAC(secret, salt)`: the key itself, its HMAC
//! ipad/opad-xored key blocks, and the inner and outer hash states HMAC keys with them
//! (the SHA-256 or SHA-1 state words after one block, as the hash keeps them in memory).
//! The inner and outer states are what a keyed `Hmac` holds; either pair signs any
//! message for its salt.
//!
//! A positive control runs first: a vector of `hmac` 0.12 keyed states (the signer's
//! old layout) is dropped and must be found, so a scan that finds nothing means
//! something. Copies made on the stack while hashing are not in scope: only freed heap
//! blocks are scanned.
//!
//! It runs without the libtest harness (`harness = false`): it is the only thread of
//! its process, so nothing else allocates or frees while a region is scanned.
// The allocator reads the blocks it frees, which needs `unsafe`; the library itself
// forbids `unsafe` (`#![forbid(unsafe_code)]` in src/lib.rs).
#![allow(
    unsafe_code,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;

use hmac_0_12::Mac;
use serde_json::{json, Value};
#[cfg(feature = "flask")]
use sessionlib::flask::{Digest, FlaskCodec, FlaskSession};
use sessionlib::signer::Signer;
use sessionlib::{Codec, CookieConfig, Key, Keyring, SessionConfig};
use sha2_0_10::digest::generic_array::GenericArray;

/// The most needles the allocator keeps hit counts for.
const MAX_NEEDLES: usize = 128;

static NEEDLES: OnceLock<Vec<Needle>> = OnceLock::new();
static ARMED: AtomicBool = AtomicBool::new(false);
static HITS: [AtomicUsize; MAX_NEEDLES] = [const { AtomicUsize::new(0) }; MAX_NEEDLES];

struct Needle {
    what: String,
    bytes: Vec<u8>,
}

/// The system allocator, scanning each freed block for the needles while armed. It
/// neither allocates nor panics while doing so.
struct Scanning;

unsafe impl GlobalAlloc for Scanning {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(Ordering::SeqCst) {
            if let Some(needles) = NEEDLES.get() {
                // SAFETY: `ptr` is a live block of `layout.size()` bytes until it is
                // handed back to the system below.
                let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
                for (needle, hits) in needles.iter().zip(&HITS) {
                    if contains(block, &needle.bytes) {
                        hits.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        }
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Scanning = Scanning;

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The primary and the fallback secret (48 bytes each, no byte repeated nearby).
fn secret(n: u8) -> [u8; 48] {
    std::array::from_fn(|i| (i as u8).wrapping_mul(73).wrapping_add(n.wrapping_mul(101)) ^ 0xa5)
}

#[derive(Clone, Copy)]
enum Alg {
    Sha256,
    Sha1,
}

const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];
const SHA1_IV: [u32; 5] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];

/// The hash state after one 64-byte block, as the state words lie in memory.
fn state_after(alg: Alg, block: &[u8; 64]) -> Vec<u8> {
    let blocks = [GenericArray::clone_from_slice(block)];
    let words: Vec<u32> = match alg {
        Alg::Sha256 => {
            let mut state = SHA256_IV;
            sha2_0_10::compress256(&mut state, &blocks);
            state.to_vec()
        }
        Alg::Sha1 => {
            let mut state = SHA1_IV;
            sha1_0_10::compress(&mut state, &blocks);
            state.to_vec()
        }
    };
    words.iter().flat_map(|w| w.to_ne_bytes()).collect()
}

/// `HMAC(key, message)` with `alg`.
fn hmac(alg: Alg, key: &[u8], message: &[u8]) -> Vec<u8> {
    match alg {
        Alg::Sha256 => {
            let mut mac = hmac_0_12::Hmac::<sha2_0_10::Sha256>::new_from_slice(key).unwrap();
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        Alg::Sha1 => {
            let mut mac = hmac_0_12::Hmac::<sha1_0_10::Sha1>::new_from_slice(key).unwrap();
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
    }
}

/// What HMAC keyed with `key` keeps: the xored key blocks and the two states.
fn keyed_needles(alg: Alg, what: &str, key: &[u8], out: &mut Vec<Needle>) {
    assert!(key.len() <= 64, "longer keys are hashed first");
    let mut padded = [0u8; 64];
    padded[..key.len()].copy_from_slice(key);
    let ipad = padded.map(|b| b ^ 0x36);
    let opad = padded.map(|b| b ^ 0x5c);
    out.push(Needle {
        what: format!("{what}: key"),
        bytes: key.to_vec(),
    });
    for (name, bytes) in [
        ("ipad block", ipad.to_vec()),
        ("opad block", opad.to_vec()),
        ("inner state", state_after(alg, &ipad)),
        ("outer state", state_after(alg, &opad)),
    ] {
        out.push(Needle {
            what: format!("{what}: {name}"),
            bytes,
        });
    }
}

/// The needles of `secret` and of its derived key for `salt`.
fn needles(alg: Alg, label: &str, secret: &[u8], salt: &[u8], out: &mut Vec<Needle>) {
    keyed_needles(alg, &format!("{label} secret"), secret, out);
    let derived = hmac(alg, secret, salt);
    keyed_needles(alg, &format!("{label} derived key"), &derived, out);
}

fn cookie_salt() -> Vec<u8> {
    sessionlib::cookies::binding_salt(sessionlib::codec::DEFAULT_SALT.as_bytes(), "__Host-session")
        .unwrap()
}

fn all_needles() -> Vec<Needle> {
    let (primary, fallback) = (secret(1), secret(2));
    let native = sessionlib::codec::DEFAULT_SALT.as_bytes();
    // Flask's salt (`sessionlib::flask::DEFAULT_SALT`, with the `flask` feature).
    let flask = b"cookie-session";
    let cookie = cookie_salt();
    let mut out = Vec::new();
    needles(Alg::Sha256, "codec primary", &primary, native, &mut out);
    needles(Alg::Sha256, "codec fallback", &fallback, native, &mut out);
    needles(Alg::Sha256, "cookie", &primary, &cookie, &mut out);
    needles(Alg::Sha1, "flask sha1", &primary, flask, &mut out);
    needles(Alg::Sha256, "flask sha256", &primary, flask, &mut out);
    // Django's `salted_hmac` key: SHA-256 of the salt, "signer" and the secret.
    let django: Vec<u8> = {
        use sha2_0_10::Digest as _;
        let mut hash = sha2_0_10::Sha256::new();
        hash.update(b"django.contrib.sessions.backends.signed_cookies");
        hash.update(b"signer");
        hash.update(primary);
        hash.finalize().to_vec()
    };
    keyed_needles(Alg::Sha256, "django derived key", &django, &mut out);
    assert!(out.len() <= MAX_NEEDLES);
    out
}

/// Runs `f` with the scanner armed and returns the needles found in freed blocks.
fn scan(f: impl FnOnce()) -> Vec<&'static str> {
    for hits in &HITS {
        hits.store(0, Ordering::SeqCst);
    }
    ARMED.store(true, Ordering::SeqCst);
    f();
    ARMED.store(false, Ordering::SeqCst);
    let needles = NEEDLES.get().unwrap();
    let mut found: Vec<&'static str> = Vec::new();
    for (needle, hits) in needles.iter().zip(&HITS) {
        if hits.load(Ordering::SeqCst) > 0 {
            // The needles live for the whole run.
            let what: &'static str = Box::leak(needle.what.clone().into_boxed_str());
            found.push(what);
        }
    }
    found
}

fn key(n: u8) -> Key {
    Key::from_bytes(&secret(n)).unwrap()
}

fn codec_in_use() {
    let codec = Codec::new(Keyring::new(key(1)).with_fallback(key(2)));
    let copy = codec.clone();
    let token = codec.encode(&json!({"user": "cobra"})).unwrap();
    assert!(copy.decode::<Value>(&token).is_ok());
    let old = Codec::new(key(2)).encode(&json!(1)).unwrap();
    assert!(codec.verify(&old).unwrap().needs_reissue());
    drop((codec, copy));
}

fn cookie_config_in_use() -> CookieConfig {
    let config = CookieConfig::builder(key(1)).try_build().unwrap();
    assert_eq!(config.name(), "__Host-session");
    let cookie = config
        .encode(&json!({"user": "cobra"}), time::Duration::DAY)
        .unwrap();
    let header = format!("__Host-session={}", cookie.value());
    assert!(config.decode_header::<Value>(&header).unwrap().is_some());
    config
}

fn session_config_in_use() {
    let sessions = SessionConfig::builder(cookie_config_in_use()).build();
    let mut session = sessions.load("");
    session.insert("user", "cobra").unwrap();
    let update = sessions.save(&session).unwrap().unwrap();
    let header = format!("__Host-session={}", update.cookie().value());
    assert_eq!(
        sessions.load(&header).get::<String>("user").as_deref(),
        Some("cobra")
    );
    drop(sessions);
}

#[cfg(feature = "django")]
fn django_codec_in_use() {
    let keyring = Keyring::new(Key::from_bytes(&secret(1)).unwrap());
    let codec = sessionlib::django::DjangoCodec::session_builder(keyring).build();
    let token = codec.encode(&json!({"_auth_user_id": "1"})).unwrap();
    assert!(codec.decode::<Value>(&token).is_ok());
    drop(codec);
}

#[cfg(feature = "flask")]
fn flask_codec_in_use(digest: Digest) {
    let codec = FlaskCodec::builder(Keyring::new(
        Key::from_flask_secret_key(&secret(1)).unwrap(),
    ))
    .digest(digest)
    .build();
    let mut session = FlaskSession::new();
    session.insert("user".into(), "cobra".into());
    let token = codec.encode(&session).unwrap();
    assert!(codec.decode(&token).is_ok());
    drop(codec);
}

fn main() {
    // Warm up anything lazily initialised (CPU feature detection, the clock), and
    // check that the derived keys computed here are the ones sessionlib uses.
    let message = b"payload.timestamp";
    let signer: Signer = Signer::new(
        &Keyring::new(key(1)),
        sessionlib::codec::DEFAULT_SALT.as_bytes(),
    );
    let derived = hmac(
        Alg::Sha256,
        &secret(1),
        sessionlib::codec::DEFAULT_SALT.as_bytes(),
    );
    assert_eq!(
        signer.sign(message).as_bytes(),
        hmac(Alg::Sha256, &derived, message)
    );
    drop(signer);
    codec_in_use();
    NEEDLES.set(all_needles()).ok().unwrap();

    let mut failed = 0;
    // Positive control: the old signer's layout, a vector of `hmac` 0.12 states, is
    // found once freed (its inner and outer states, and nothing else would match).
    let found = scan(|| {
        let state = hmac_0_12::Hmac::<sha2_0_10::Sha256>::new_from_slice(&derived).unwrap();
        drop(vec![state]);
    });
    let expected = [
        "codec primary derived key: inner state",
        "codec primary derived key: outer state",
    ];
    if found == expected {
        println!("ok   control: an hmac 0.12 state vector is found when freed");
    } else {
        failed += 1;
        println!("FAIL control: expected {expected:?}, found {found:?}");
    }

    #[cfg_attr(not(any(feature = "flask", feature = "django")), allow(unused_mut))]
    let mut cases: Vec<(&str, fn())> = vec![
        ("Codec (two keys)", codec_in_use),
        ("CookieConfig", || drop(cookie_config_in_use())),
        ("SessionConfig", session_config_in_use),
    ];
    #[cfg(feature = "flask")]
    cases.extend([
        (
            "FlaskCodec (SHA-1)",
            (|| flask_codec_in_use(Digest::Sha1)) as fn(),
        ),
        ("FlaskCodec (SHA-256)", || {
            flask_codec_in_use(Digest::Sha256)
        }),
    ]);
    #[cfg(feature = "django")]
    cases.push(("DjangoCodec (session engine)", django_codec_in_use));
    let total = cases.len() + 1;
    for (name, case) in cases {
        let found = scan(case);
        if found.is_empty() {
            println!("ok   {name}: no freed block holds key material");
        } else {
            failed += 1;
            println!("FAIL {name}: freed blocks hold {found:?}");
        }
    }
    println!("wipe: {} passed, {failed} failed", total - failed);
    if failed > 0 {
        std::process::exit(1);
    }
}
