//! Shared by the benchmarks: the two session payloads, a codec, and the documented
//! baseline that sessionlib is measured against.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use criterion::Criterion;
use serde::{Deserialize, Serialize};
use sessionlib::{Codec, Key, Keyring};

/// The small session (132 bytes of JSON), as in `benches/payloads/small.json`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Small {
    pub user_id: u64,
    pub username: String,
    pub roles: Vec<String>,
    pub csrf: String,
    pub visits: u32,
    pub theme: String,
}

/// The 2 KB session (2048 bytes of JSON), as in `benches/payloads/large.json`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Large {
    pub user_id: u64,
    pub username: String,
    pub roles: Vec<String>,
    pub csrf: String,
    pub visits: u32,
    pub theme: String,
    pub cart: Vec<CartItem>,
    pub last_page: String,
}

/// One line of the 2 KB session's cart.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct CartItem {
    pub sku: String,
    pub name: String,
    pub qty: u32,
    pub price_cents: u64,
}

pub const SMALL_JSON: &str = include_str!("../payloads/small.json");
pub const LARGE_JSON: &str = include_str!("../payloads/large.json");

/// Loads a payload file and checks that serde_json writes it back byte for byte, so
/// every contender handles exactly the same JSON text.
pub fn payload<T: Serialize + for<'de> Deserialize<'de>>(text: &str) -> (T, String) {
    let json = text.trim_end().to_owned();
    let data: T = serde_json::from_str(&json).unwrap();
    assert_eq!(serde_json::to_string(&data).unwrap(), json);
    (data, json)
}

pub fn small() -> (Small, String) {
    payload(SMALL_JSON)
}

pub fn large() -> (Large, String) {
    payload(LARGE_JSON)
}

/// The secrets of the benchmark keyring: key 0 signs, keys 1 to 3 are fallbacks.
pub fn secret(i: u8) -> [u8; 32] {
    [i.wrapping_mul(37).wrapping_add(11); 32]
}

/// A codec with one key and every other setting at its default.
pub fn codec() -> Codec {
    Codec::new(Key::from_bytes(&secret(0)).unwrap())
}

/// A codec with four keys; `codec_signed_by(3)` makes tokens that only its last
/// fallback verifies.
pub fn rotated_codec() -> Codec {
    let mut ring = Keyring::new(Key::from_bytes(&secret(0)).unwrap());
    for i in 1..4 {
        ring = ring.with_fallback(Key::from_bytes(&secret(i)).unwrap());
    }
    Codec::new(ring)
}

/// A one-key codec for key `i`.
pub fn codec_signed_by(i: u8) -> Codec {
    Codec::new(Key::from_bytes(&secret(i)).unwrap())
}

/// The straightforward pipeline that sessionlib is compared with: the same wire format
/// written the obvious way. HMAC-SHA256 with the keyed state computed once, the
/// `base64` crate, `serde_json` into owned types, a `Vec` for every intermediate.
///
/// It stays on `hmac` 0.12 and `sha2` 0.10, the crates sessionlib used before it
/// wiped its keyed HMAC states (which `hmac` 0.12 cannot do), so the baseline did not
/// change when sessionlib did.
pub mod baseline {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use hmac_0_12::{Hmac, Mac};
    use serde::de::DeserializeOwned;
    use serde::Serialize;
    use sha2_0_10::Sha256;

    type HmacSha256 = Hmac<Sha256>;

    pub struct Pipeline {
        mac: HmacSha256,
        ttl: u64,
        max_len: usize,
    }

    impl Pipeline {
        /// Derives the key like sessionlib (`HMAC(secret, salt)`) and keeps the keyed
        /// state.
        pub fn new(secret: &[u8], salt: &[u8]) -> Self {
            let mut derive = HmacSha256::new_from_slice(secret).unwrap();
            derive.update(salt);
            let derived = derive.finalize().into_bytes();
            Self {
                mac: HmacSha256::new_from_slice(&derived).unwrap(),
                ttl: 14 * 24 * 3600,
                max_len: 4096,
            }
        }

        pub fn encode<T: Serialize>(&self, data: &T) -> Option<String> {
            let json = serde_json::to_vec(data).ok()?;
            let mut token = URL_SAFE_NO_PAD.encode(&json);
            token.push('.');
            let expiry = now() + self.ttl;
            let bytes = expiry.to_be_bytes();
            let skip = (expiry.leading_zeros() / 8) as usize;
            URL_SAFE_NO_PAD.encode_string(&bytes[skip..], &mut token);
            let mut mac = self.mac.clone();
            mac.update(token.as_bytes());
            let signature = mac.finalize().into_bytes();
            token.push('.');
            URL_SAFE_NO_PAD.encode_string(signature, &mut token);
            if token.len() > self.max_len {
                return None;
            }
            Some(token)
        }

        pub fn decode<T: DeserializeOwned>(&self, token: &str) -> Option<T> {
            if token.len() > self.max_len {
                return None;
            }
            let (signed, signature) = token.rsplit_once('.')?;
            let (payload, timestamp) = signed.rsplit_once('.')?;
            let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
            let mut mac = self.mac.clone();
            mac.update(signed.as_bytes());
            mac.verify_slice(&signature).ok()?;
            let ts = URL_SAFE_NO_PAD.decode(timestamp).ok()?;
            if ts.is_empty() || ts.len() > 8 {
                return None;
            }
            let mut be = [0u8; 8];
            be[8 - ts.len()..].copy_from_slice(&ts);
            if now() >= u64::from_be_bytes(be) {
                return None;
            }
            let json = URL_SAFE_NO_PAD.decode(payload).ok()?;
            serde_json::from_slice(&json).ok()
        }
    }

    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

/// The signer as sessionlib had it before the keyed states were wiped (`hmac` 0.12,
/// whose states cannot be zeroized): one keyed state per key, cloned per call, the MAC
/// compared in constant time. For the `signer_small` benchmark group only.
pub mod unwiped {
    use hmac_0_12::{Hmac, Mac};
    use sha2_0_10::Sha256;
    use subtle::ConstantTimeEq;

    type HmacSha256 = Hmac<Sha256>;

    pub struct Signer {
        macs: Vec<HmacSha256>,
    }

    impl Signer {
        pub fn new(secrets: &[&[u8]], salt: &[u8]) -> Self {
            let macs = secrets
                .iter()
                .map(|secret| {
                    let mut derive = HmacSha256::new_from_slice(secret).unwrap();
                    derive.update(salt);
                    HmacSha256::new_from_slice(&derive.finalize().into_bytes()).unwrap()
                })
                .collect();
            Self { macs }
        }

        /// The index of the key whose MAC over `message` is `signature`.
        pub fn verify(&self, message: &[u8], signature: &[u8]) -> Option<usize> {
            if signature.len() != 32 {
                return None;
            }
            self.macs.iter().position(|state| {
                let mut mac = state.clone();
                mac.update(message);
                bool::from(mac.finalize().into_bytes().as_slice().ct_eq(signature))
            })
        }
    }
}

/// The criterion settings of every benchmark: short warm-up and measurement, 50 samples.
pub fn criterion() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}
