//! `sessionlib decode`: a token of the chosen profile verified, its data on stdout.

use serde_json::{Map, Value};
use sessionlib::django::DjangoSession;
use sessionlib::flask;
use sessionlib::{iron, KeyUsed, Keyring};
use time::OffsetDateTime;

use crate::args::{DecodeArgs, KeyOpts, TokenArg};
use crate::input::{keyring, read_token};
use crate::profile::{self, age_limits, Profile};
use crate::{print_data, Failure, Outcome};

pub(crate) fn run(
    o: &DecodeArgs,
    profile: Profile,
    keys: &KeyOpts,
    token: &TokenArg,
) -> Outcome<u8> {
    let now = o.now.unwrap_or_else(OffsetDateTime::now_utc);
    let out = match profile {
        Profile::Iron => {
            let builder = profile::iron(&o.iron)?;
            let token = read_token(token)?;
            let codec = builder
                .timestamp_skew(o.leeway.unwrap_or(iron::TIMESTAMP_SKEW))
                .build();
            let verified = codec
                .decode_at::<Value>(&token, now)
                .map_err(|e| Failure::token(&e))?;
            if o.meta {
                let ms = verified.expires_at.map(|t| {
                    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
                });
                serde_json::json!({
                    "data": verified.data,
                    "expires_at": verified.expires_at.map(OffsetDateTime::unix_timestamp),
                    "expires_at_ms": ms,
                    "password_id": verified.password_id,
                    "key": verified.key_used.to_string(),
                })
                .to_string()
            } else {
                verified.data.to_string()
            }
        }
        _ => {
            let ring = keyring(keys, profile.lenient_keys())?;
            let token = read_token(token)?;
            verify(o, profile, ring, &token, now)?
        }
    };
    print_data(&out)
}

/// Verifies a signed (or sealed) token with the keys of `ring`; its data, or with
/// `--meta` the data with its time and key, as one line of JSON.
fn verify(
    o: &DecodeArgs,
    profile: Profile,
    ring: Keyring,
    token: &str,
    now: OffsetDateTime,
) -> Outcome<String> {
    let salt = o.salt.as_deref();
    match profile {
        Profile::Flask => {
            let codec = age_limits(profile::flask(ring, salt, o.digest), o.max_age, o.leeway);
            let verified = codec
                .build()
                .decode_at(token, now)
                .map_err(|e| Failure::token(&e))?;
            let data =
                flask::to_tagged_json(&verified.data).map_err(|e| Failure::other(e.to_string()))?;
            Ok(if o.meta {
                // Built by hand so that the data stays byte for byte what Flask writes.
                format!(
                    "{{\"data\":{data},\"signed_at\":{},\"key\":\"{}\"}}",
                    verified.signed_at.unix_timestamp(),
                    verified.key_used
                )
            } else {
                data
            })
        }
        Profile::Django => {
            let codec = age_limits(profile::django(ring, salt), o.max_age, o.leeway).build();
            // The session engine's tokens hold a session (a JSON object); any other salt
            // is `signing.loads`, which reads any JSON.
            let verified = if salt.is_none_or(|salt| salt == sessionlib::django::SESSION_SALT) {
                codec
                    .decode_at::<DjangoSession>(token, now)
                    .map(|v| v.map(Value::Object))
            } else {
                codec.decode_at::<Value>(token, now)
            }
            .map_err(|e| Failure::token(&e))?;
            Ok(with_meta(
                o.meta,
                verified.data,
                ("signed_at", verified.signed_at),
                verified.key_used,
            ))
        }
        _ => {
            // Compressed tokens are read (inflated only after the signature verified,
            // within the default limits), whether or not the application writes them.
            let mut builder = profile::native(ring, salt, profile).compression(true);
            if let Some(leeway) = o.leeway {
                builder = builder.leeway(leeway);
            }
            let verified = builder
                .build()
                .decode_at::<Value>(token, now)
                .map_err(|e| Failure::token(&e))?;
            Ok(with_meta(
                o.meta,
                verified.data,
                ("expires_at", verified.expires_at),
                verified.key_used,
            ))
        }
    }
}

/// The data, or with `--meta` `{"data": ..., <time>: UNIX, "key": "primary" | "fallback:N"}`.
fn with_meta(
    meta: bool,
    data: Value,
    (name, time): (&str, OffsetDateTime),
    key: KeyUsed,
) -> String {
    if !meta {
        return data.to_string();
    }
    let mut out = Map::new();
    out.insert("data".to_owned(), data);
    out.insert(name.to_owned(), time.unix_timestamp().into());
    out.insert("key".to_owned(), key.to_string().into());
    Value::Object(out).to_string()
}
