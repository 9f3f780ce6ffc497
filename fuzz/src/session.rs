//! The property of `session_matches_eager`: the session layer, which keeps a cookie's
//! values as raw JSON text and writes the object in one pass, against the eager reading
//! it replaced (the whole payload parsed into a `serde_json::Map`, the reserved keys
//! removed one by one, the map cloned and serialized to save), kept here as the
//! reference: [`EagerSession`].

use std::sync::OnceLock;

use serde_json::{Map, Value};
use sessionlib::signer::Signer;
use sessionlib::{Error, SessionConfig, SessionSource};
use time::{Duration, OffsetDateTime};

use super::common::{native_ring, now, sign, timestamp_text, MAX_INPUT, NATIVE_SALT, NOW};
use super::encoding;

const COOKIE_NAME: &str = "session";

/// The longest token the property signs: a cookie's value must fit in 4096 bytes.
const MAX_TOKEN: usize = 4000;

struct Fixtures {
    config: SessionConfig,
    signer: Signer<sessionlib::signer::Sha256>,
}

fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let cookie = sessionlib::CookieConfig::builder(native_ring())
            .clock(now)
            .name(COOKIE_NAME)
            .try_build()
            .unwrap_or_else(|e| panic!("fixture cookie config refused: {e}"));
        // No lifetime limits, so that every creation time the payload names is
        // accepted and the two readings are compared on the payload alone.
        let config = SessionConfig::builder(cookie)
            .absolute_lifetime(Duration::MAX)
            .max_lifetime(Duration::MAX)
            .build();
        let salt = sessionlib::cookies::binding_salt(NATIVE_SALT.as_bytes(), COOKIE_NAME)
            .unwrap_or_else(|e| panic!("fixture salt refused: {e:?}"));
        let signer = Signer::new(&native_ring(), &salt);
        Fixtures { config, signer }
    })
}

/// The session as the eager reading made it: the reference implementation.
#[derive(Debug, PartialEq)]
pub struct EagerSession {
    /// The application's keys and values.
    pub data: Map<String, Value>,
    /// `[category, message]` pairs.
    pub flashes: Vec<(String, String)>,
    /// Unix seconds.
    pub created: i64,
    /// Seconds.
    pub lifetime: Option<i64>,
    /// The user and the moment of login in Unix milliseconds.
    pub login: Option<(String, i64)>,
    /// The session id.
    pub id: Option<String>,
}

impl EagerSession {
    /// Parses a verified payload as the session layer did before: `None` for a payload
    /// that is not a JSON object or has an invalid reserved key.
    pub fn from_payload(payload: &[u8]) -> Option<Self> {
        let mut data: Map<String, Value> = match std::str::from_utf8(payload) {
            Ok(text) => serde_json::from_str(text).ok()?,
            Err(_) => serde_json::from_slice(payload).ok()?,
        };
        let created = data.remove("_created")?.as_i64()?;
        OffsetDateTime::from_unix_timestamp(created).ok()?;
        let lifetime = match data.remove("_lifetime") {
            None => None,
            Some(v) => Some(v.as_i64().filter(|&s| s > 0)?),
        };
        let login = match (data.remove("_user"), data.remove("_login")) {
            (None, None) => None,
            (Some(Value::String(user)), Some(at)) => {
                let ms = at.as_i64()?;
                let nanos = i128::from(ms).checked_mul(1_000_000)?;
                OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?;
                Some((user, ms))
            }
            _ => return None,
        };
        let id = match data.remove("_sid") {
            None => None,
            Some(Value::String(id))
                if (1..=64).contains(&id.len())
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
            {
                Some(id)
            }
            Some(_) => return None,
        };
        let flashes = match data.remove("_flashes") {
            None => Vec::new(),
            Some(Value::Array(list)) => list
                .into_iter()
                .map(|pair| match pair {
                    Value::Array(pair) => match <[Value; 2]>::try_from(pair) {
                        Ok([Value::String(c), Value::String(m)]) => Some((c, m)),
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
            created,
            lifetime,
            login,
            id,
        })
    }

    /// The object the session layer signed before: the map cloned, the reserved keys
    /// inserted, serialized.
    pub fn to_payload(&self, id: &str) -> Vec<u8> {
        let mut map = self.data.clone();
        map.insert("_created".into(), self.created.into());
        map.insert("_sid".into(), id.into());
        if let Some(lifetime) = self.lifetime {
            map.insert("_lifetime".into(), lifetime.into());
        }
        if let Some((user, at)) = &self.login {
            map.insert("_user".into(), user.clone().into());
            map.insert("_login".into(), (*at).into());
        }
        if !self.flashes.is_empty() {
            let flashes = self
                .flashes
                .iter()
                .map(|(c, m)| Value::from(vec![c.clone(), m.clone()]))
                .collect();
            map.insert("_flashes".into(), Value::Array(flashes));
        }
        serde_json::to_vec(&map).unwrap_or_else(|e| panic!("the reference cannot write: {e}"))
    }
}

/// `session_matches_eager`: the input as a session payload (and, when it starts with
/// `{`, with a valid `_created` key put first, so that most objects are sessions),
/// signed and loaded by `SessionConfig::load`. The load must accept exactly what the
/// eager reading accepts; an accepted session must have the same keys, the same value
/// for every key (`get::<Value>` and `get_value`), the same reserved fields; and a save
/// without changes (a refresh) must write exactly the bytes the eager writer writes.
pub fn session_matches_eager(data: &[u8]) {
    let data = data.get(..MAX_INPUT).unwrap_or(data);
    check_payload(data);
    if let Some(rest) = data.strip_prefix(b"{") {
        let mut with_created = format!("{{\"_created\":{NOW}").into_bytes();
        if !rest.trim_ascii_start().starts_with(b"}") {
            with_created.push(b',');
        }
        with_created.extend_from_slice(rest);
        check_payload(&with_created);
    }
}

fn check_payload(payload: &[u8]) {
    let f = fixtures();
    let text = format!(
        "{}.{}",
        encoding::encode(payload),
        timestamp_text(now() + Duration::hours(1))
    );
    let token = sign(&f.signer, &text);
    if token.len() > MAX_TOKEN {
        return;
    }
    let header = format!("{COOKIE_NAME}={token}");
    let session = f.config.load(&header);
    let eager = EagerSession::from_payload(payload);
    let Some(eager) = eager else {
        assert_eq!(
            session.source(),
            SessionSource::Invalid,
            "the eager reading refuses this payload, the session layer does not"
        );
        return;
    };
    assert_eq!(
        session.source(),
        SessionSource::Cookie,
        "the eager reading accepts this payload, the session layer does not"
    );
    // The same keys, in the same order, with the same values.
    let keys: Vec<&str> = session.keys().collect();
    let eager_keys: Vec<&str> = eager.data.keys().map(String::as_str).collect();
    assert_eq!(keys, eager_keys, "keys differ");
    assert_eq!(session.len(), eager.data.len());
    for (key, value) in &eager.data {
        assert_eq!(
            session.get::<Value>(key).as_ref(),
            Some(value),
            "value of {key:?}"
        );
        let raw = session
            .get_value(key)
            .unwrap_or_else(|| panic!("no raw value for {key:?}"));
        let reparsed: Value = serde_json::from_str(raw.get())
            .unwrap_or_else(|e| panic!("the raw value of {key:?} does not parse: {e}"));
        assert_eq!(&reparsed, value, "raw value of {key:?}");
    }
    assert!(!session.contains_key("_created"));
    // The same reserved fields.
    assert_eq!(
        session.created_at().map(OffsetDateTime::unix_timestamp),
        Some(eager.created)
    );
    assert_eq!(
        session.lifetime().map(|l| l.whole_seconds()),
        eager.lifetime
    );
    assert_eq!(
        session.user_id(),
        eager.login.as_ref().map(|(user, _)| user.as_str())
    );
    assert_eq!(
        session
            .logged_in_at()
            .map(|at| i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)),
        eager.login.as_ref().map(|(_, at)| *at)
    );
    assert_eq!(session.id(), eager.id.as_deref());
    let flashes: Vec<(String, String)> = session
        .peek_flashes()
        .iter()
        .map(|f| (f.category.clone(), f.message.clone()))
        .collect();
    assert_eq!(flashes, eager.flashes);
    assert!(!session.is_modified());

    // A save without changes to the data: a scratch key inserted and removed again
    // marks the session modified and leaves every loaded value untouched, so the save
    // writes the object again, byte for byte as the eager writer did. (An empty session
    // is removed instead, as before.)
    let mut touched = session.clone();
    let scratch = ["\u{0}", "\u{0}\u{0}", "\u{0}\u{0}\u{0}"]
        .into_iter()
        .find(|k| !session.contains_key(k))
        .unwrap_or_else(|| panic!("no free scratch key"));
    touched
        .insert(scratch, &0)
        .unwrap_or_else(|e| panic!("insert refused: {e}"));
    assert!(touched.remove(scratch).is_ok_and(|v| v.is_some()));
    let update = match f.config.save(&touched) {
        Ok(Some(update)) if session.is_empty() => {
            assert!(update.is_removal(), "an empty session was not removed");
            return;
        }
        Ok(Some(update)) => update,
        Err(Error::CookieTooLarge { .. }) => return,
        other => panic!("a modified session was not saved: {other:?}"),
    };
    let value = update.cookie().value();
    let payload_text = value.split('.').next().unwrap_or_default();
    let written =
        encoding::decode(payload_text.as_bytes()).expect("the new cookie's payload is base64url");
    let reloaded = f.config.load(format!("{COOKIE_NAME}={value}"));
    let id = reloaded.id().expect("a saved session has an id").to_owned();
    assert_eq!(
        String::from_utf8_lossy(&written),
        String::from_utf8_lossy(&eager.to_payload(&id)),
        "the saved object differs from the eager writer's"
    );
}
