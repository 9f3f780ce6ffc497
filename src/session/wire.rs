//! The signed JSON object: the data plus the reserved keys, and back.

use std::io::Write as _;

use serde_json::Value;
use time::{Duration, OffsetDateTime};

use super::{Flash, SessionData, SessionSource, RESERVED_KEYS};
use crate::codec::{Verified, ENCODE_BUFFER_LEN};
use crate::cookies::chunk::ChunkSet;
use crate::data::entries::{is_canonical, Loaded, ValueText};
use crate::error::Error;

/// The longest session id accepted from a cookie, in bytes.
const MAX_SESSION_ID_LEN: usize = 64;

// The positions of the reserved keys in `RESERVED_KEYS` (and in `Loaded::reserved`).
const CREATED: usize = 0;
const LIFETIME: usize = 1;
const FLASHES: usize = 2;
const USER: usize = 3;
const LOGIN: usize = 4;
const SESSION_ID: usize = 5;

impl SessionData {
    /// The JSON object that is signed, in one pass: the data and the reserved keys in
    /// key order (as a `BTreeMap` orders them), each value that came from the cookie
    /// unchanged copied as it is (or rewritten through a `Value` when the cookie spelled
    /// it otherwise than serde_json does), each inserted value as `insert` wrote it.
    /// The buffer is the one the token is then built in.
    pub(super) fn write_object(
        &self,
        created_at: OffsetDateTime,
        logged_in_at: Option<OffsetDateTime>,
        id: &str,
    ) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(ENCODE_BUFFER_LEN);
        let login = match (&self.user, logged_in_at) {
            (Some(user), Some(at)) => Some((user.as_str(), crate::clock::unix_millis(at))),
            _ => None,
        };
        // The reserved keys that are present, in sorted order.
        let mut reserved: [(&str, Reserved<'_>); 6] = [("", Reserved::Absent); 6];
        for (slot, (index, key)) in reserved.iter_mut().zip(sorted_reserved()) {
            let value = match index {
                CREATED => Reserved::Int(created_at.unix_timestamp()),
                LIFETIME => self
                    .lifetime
                    .map_or(Reserved::Absent, |l| Reserved::Int(l.whole_seconds())),
                FLASHES if !self.flashes.is_empty() => Reserved::Flashes(&self.flashes),
                USER => login.map_or(Reserved::Absent, |(user, _)| Reserved::Str(user)),
                LOGIN => login.map_or(Reserved::Absent, |(_, at)| Reserved::Int(at)),
                SESSION_ID => Reserved::Str(id),
                _ => Reserved::Absent,
            };
            *slot = (key, value);
        }
        let mut reserved = reserved
            .iter()
            .filter(|(_, value)| !matches!(value, Reserved::Absent))
            .peekable();
        let mut first = true;
        let mut separator = |out: &mut Vec<u8>| {
            if !std::mem::take(&mut first) {
                out.push(b',');
            }
        };
        out.push(b'{');
        for (key, value) in self.data.iter() {
            while let Some((reserved_key, reserved_value)) =
                reserved.next_if(|(k, _)| k.as_bytes() < key.as_bytes())
            {
                separator(&mut out);
                write_key(&mut out, reserved_key)?;
                reserved_value.write(&mut out)?;
            }
            separator(&mut out);
            write_key(&mut out, key)?;
            match value {
                ValueText::Written(json) => out.extend_from_slice(json.as_bytes()),
                ValueText::Loaded(json) if is_canonical(json.as_bytes()) => {
                    out.extend_from_slice(json.as_bytes());
                }
                ValueText::Loaded(json) => {
                    // Loading parsed every value (numbers within `f64`, no lone
                    // surrogate, nesting within the limit), and a `Value` always writes.
                    #[allow(clippy::expect_used)]
                    let value: Value = serde_json::from_str(json).expect("a loaded value parses");
                    #[allow(clippy::expect_used)]
                    serde_json::to_writer(&mut out, &value).expect("a Value writes to a Vec");
                }
            }
        }
        for (reserved_key, reserved_value) in reserved {
            separator(&mut out);
            write_key(&mut out, reserved_key)?;
            reserved_value.write(&mut out)?;
        }
        out.push(b'}');
        Ok(out)
    }

    /// The session in a verified payload; `None` when a reserved key is invalid.
    pub(super) fn from_loaded(verified: Verified<Loaded>) -> Option<Self> {
        let Loaded {
            entries,
            reserved: [created, lifetime, flashes, user, login, id],
        } = verified.data;
        let created = created?.as_i64()?;
        let created_at = OffsetDateTime::from_unix_timestamp(created).ok()?;
        let lifetime = match lifetime {
            None => None,
            Some(v) => Some(Duration::seconds(v.as_i64().filter(|&s| s > 0)?)),
        };
        let (user, logged_in_at) = match (user, login) {
            (None, None) => (None, None),
            (Some(Value::String(user)), Some(at)) => {
                let at = i128::from(at.as_i64()?).checked_mul(1_000_000)?;
                (
                    Some(user),
                    Some(OffsetDateTime::from_unix_timestamp_nanos(at).ok()?),
                )
            }
            _ => return None,
        };
        let id = match id {
            None => None,
            Some(Value::String(id)) if is_session_id(&id) => Some(id),
            Some(_) => return None,
        };
        let flashes = match flashes {
            None => Vec::new(),
            Some(Value::Array(list)) => list
                .into_iter()
                .map(|pair| match pair {
                    Value::Array(pair) => match <[Value; 2]>::try_from(pair) {
                        Ok([Value::String(category), Value::String(message)]) => {
                            Some(Flash { category, message })
                        }
                        _ => None,
                    },
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?,
            Some(_) => return None,
        };
        Some(Self {
            data: entries,
            flashes,
            fresh_flashes: 0,
            created_at: Some(created_at),
            lifetime,
            max_lifetime: None,
            user,
            logged_in_at,
            id,
            deadline: None,
            expires_at: Some(verified.expires_at),
            source: SessionSource::Cookie,
            modified: false,
            reissue: verified.key_used.is_fallback(),
            chunks: ChunkSet::default(),
        })
    }
}

/// The reserved keys with their positions in [`RESERVED_KEYS`], in sorted order.
fn sorted_reserved() -> [(usize, &'static str); 6] {
    let mut sorted = [(0, ""); 6];
    for (slot, (index, key)) in sorted.iter_mut().zip(RESERVED_KEYS.iter().enumerate()) {
        *slot = (index, *key);
    }
    sorted.sort_unstable_by_key(|(_, key)| *key);
    sorted
}

/// A reserved key's value, as the object writer writes it.
#[derive(Clone, Copy)]
enum Reserved<'a> {
    Absent,
    Int(i64),
    Str(&'a str),
    Flashes(&'a [Flash]),
}

impl Reserved<'_> {
    fn write(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        match self {
            Self::Absent => Ok(()),
            Self::Int(n) => {
                #[allow(clippy::expect_used)]
                write!(out, "{n}").expect("writing to a Vec cannot fail");
                Ok(())
            }
            Self::Str(text) => write_str(out, text),
            Self::Flashes(flashes) => {
                out.push(b'[');
                for (i, flash) in flashes.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.push(b'[');
                    write_str(out, &flash.category)?;
                    out.push(b',');
                    write_str(out, &flash.message)?;
                    out.push(b']');
                }
                out.push(b']');
                Ok(())
            }
        }
    }
}

/// A JSON string, escaped as serde_json escapes it.
fn write_str(out: &mut Vec<u8>, text: &str) -> Result<(), Error> {
    if text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
        return Ok(());
    }
    #[allow(clippy::expect_used)]
    serde_json::to_writer(out, text).expect("a string writes to a Vec");
    Ok(())
}

fn write_key(out: &mut Vec<u8>, key: &str) -> Result<(), Error> {
    write_str(out, key)?;
    out.push(b':');
    Ok(())
}

/// Whether `id` is a session id as a cookie may carry it: 1 to 64 base64url characters.
fn is_session_id(id: &str) -> bool {
    (1..=MAX_SESSION_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::super::testing::{header, sessions, t0, At};
    use super::*;
    use serde_json::json;

    #[test]
    fn invalid_reserved_keys_are_rejected() {
        let c = sessions();
        let codec = c.cookie();
        let expires = t0() + Duration::minutes(10);
        for object in [
            json!({"user": "x"}),
            json!({"_created": "1700000000"}),
            json!({"_created": 1_700_000_000, "_lifetime": -5}),
            json!({"_created": 1_700_000_000, "_flashes": [["info"]]}),
            json!({"_created": 1_700_000_000, "_flashes": {"a": "b"}}),
            json!([1, 2]),
        ] {
            let cookie = codec.encode_until(&object, expires).unwrap();
            let s = c.load_at(format!("session={}", cookie.value()), t0());
            assert_eq!(s.source(), SessionSource::Invalid, "{object}");
        }
        let ok = json!({"_created": 1_700_000_000, "_flashes": [["info", "hi"]], "_lifetime": 60});
        let cookie = codec.encode_until(&ok, expires).unwrap();
        let s = c.load_at(format!("session={}", cookie.value()), t0());
        assert_eq!(s.source(), SessionSource::Cookie);
        assert_eq!(s.lifetime(), Some(Duration::minutes(1)));
        assert_eq!(s.peek_flashes()[0].message, "hi");
    }

    #[test]
    fn session_ids_are_made_kept_and_renewed() {
        let c = sessions();
        let mut s = c.load_at("", t0());
        assert_eq!(s.id(), None);
        s.insert("a", &1).unwrap();
        let h = header(&c.save_at(&s, t0()).unwrap().unwrap());
        let s = c.load_at(&h, t0());
        let id = s.id().unwrap().to_owned();
        assert_eq!(id.len(), 22);
        assert!(is_session_id(&id));
        assert_eq!(s.deadline(), Some(t0() + Duration::hours(8)));
        // Kept through changes and refreshes.
        let mut s = c.load_at(&h, t0() + Duration::minutes(2));
        s.insert("a", &2).unwrap();
        let h2 = header(&c.save_at(&s, t0() + Duration::minutes(2)).unwrap().unwrap());
        assert_eq!(c.load_at(&h2, t0()).id(), Some(id.as_str()));
        // A new one at login (and regenerate), none after clear.
        let mut s = c.load_at(&h2, t0());
        s.log_in("cobra");
        let new_id = s.id().unwrap().to_owned();
        assert_ne!(new_id, id);
        let h3 = header(&c.save_at(&s, t0()).unwrap().unwrap());
        assert_eq!(c.load_at(&h3, t0()).id(), Some(new_id.as_str()));
        s.clear();
        assert_eq!(s.id(), None);
        // The id is reserved, and a cookie with a bad one is invalid.
        let codec = c.cookie();
        let expires = t0() + Duration::minutes(10);
        for bad in [json!(""), json!(7), json!("a b"), json!("x".repeat(65))] {
            let cookie = codec
                .encode_until(
                    &json!({"_created": t0().unix_timestamp(), "_sid": bad}),
                    expires,
                )
                .unwrap();
            let s = c.load_at(format!("session={}", cookie.value()), t0());
            assert_eq!(s.source(), SessionSource::Invalid);
        }
        // A cookie from before ids existed is accepted and gets one when written.
        let cookie = codec
            .encode_until(&json!({"_created": t0().unix_timestamp(), "n": 1}), expires)
            .unwrap();
        let mut s = c.load_at(format!("session={}", cookie.value()), t0());
        assert_eq!((s.source(), s.id()), (SessionSource::Cookie, None));
        s.insert("n", &2).unwrap();
        let h4 = header(&c.save_at(&s, t0()).unwrap().unwrap());
        assert!(c.load_at(&h4, t0()).id().is_some());
    }
}
