//! The signed JSON object: the session's data plus the reserved keys, and back.

use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

use super::{
    Flash, SessionData, SessionSource, CREATED_KEY, FLASHES_KEY, LIFETIME_KEY, LOGIN_KEY,
    SESSION_ID_KEY, USER_KEY,
};
use crate::codec::Verified;
use crate::cookies::chunk::ChunkSet;

/// The longest session id accepted from a cookie, in bytes.
const MAX_SESSION_ID_LEN: usize = 64;

impl SessionData {
    /// The JSON object that is signed: the data plus the reserved keys.
    pub(super) fn to_object(
        &self,
        created_at: OffsetDateTime,
        logged_in_at: Option<OffsetDateTime>,
        id: String,
    ) -> Map<String, Value> {
        let mut map = self.data.clone();
        map.insert(CREATED_KEY.into(), created_at.unix_timestamp().into());
        map.insert(SESSION_ID_KEY.into(), id.into());
        if let Some(lifetime) = self.lifetime {
            map.insert(LIFETIME_KEY.into(), lifetime.whole_seconds().into());
        }
        if let (Some(user), Some(at)) = (&self.user, logged_in_at) {
            map.insert(USER_KEY.into(), user.clone().into());
            map.insert(LOGIN_KEY.into(), crate::revocation::unix_millis(at).into());
        }
        if !self.flashes.is_empty() {
            let flashes = self
                .flashes
                .iter()
                .map(|f| Value::from(vec![f.category.clone(), f.message.clone()]))
                .collect();
            map.insert(FLASHES_KEY.into(), Value::Array(flashes));
        }
        map
    }

    /// The session in a verified object; `None` when a reserved key is invalid.
    pub(super) fn from_object(verified: Verified<Map<String, Value>>) -> Option<Self> {
        let mut data = verified.data;
        let created = data.remove(CREATED_KEY)?.as_i64()?;
        let created_at = OffsetDateTime::from_unix_timestamp(created).ok()?;
        let lifetime = match data.remove(LIFETIME_KEY) {
            None => None,
            Some(v) => Some(Duration::seconds(v.as_i64().filter(|&s| s > 0)?)),
        };
        let (user, logged_in_at) = match (data.remove(USER_KEY), data.remove(LOGIN_KEY)) {
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
        let id = match data.remove(SESSION_ID_KEY) {
            None => None,
            Some(Value::String(id)) if is_session_id(&id) => Some(id),
            Some(_) => return None,
        };
        let flashes = match data.remove(FLASHES_KEY) {
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
            data,
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
