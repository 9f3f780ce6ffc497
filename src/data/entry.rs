//! [`SessionEntry`]: one session of a user's registry, as the revocation store keeps it.

use time::OffsetDateTime;

#[cfg(doc)]
use super::SessionData;
use crate::clock::unix_millis;
#[cfg(doc)]
use crate::session::{describe_user_agent, SessionConfig};

/// One session in a user's registry: what a "your devices" page shows. Made by the
/// session layer when a logged-in session's cookie is written
/// ([`SessionConfigBuilder::registry`](crate::SessionConfigBuilder::registry)); listed
/// by [`SessionConfig::list_sessions`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEntry {
    pub(crate) id: String,
    pub(crate) user: String,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) last_seen: OffsetDateTime,
    pub(crate) until: OffsetDateTime,
    pub(crate) device: String,
    pub(crate) address: Option<String>,
}

impl SessionEntry {
    /// An entry, for a store that keeps entries in its own format and makes them back
    /// when listing.
    pub fn new(
        id: impl Into<String>,
        user: impl Into<String>,
        created_at: OffsetDateTime,
        last_seen: OffsetDateTime,
        until: OffsetDateTime,
        device: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            user: user.into(),
            created_at,
            last_seen,
            until,
            device: device.into(),
            address: None,
        }
    }

    /// The entry with the client's address, as the application recorded it
    /// ([`Session::set_client_address`](crate::Session::set_client_address)).
    #[must_use]
    pub fn with_address(mut self, address: impl Into<String>) -> Self {
        self.address = Some(address.into());
        self
    }

    /// The [session id](SessionData::id).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The user the session is logged in for.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// When the session was created (its login).
    pub fn created_at(&self) -> OffsetDateTime {
        self.created_at
    }

    /// When the session's cookie was last written with the registry refreshed: the
    /// session was used then, and possibly since (refreshes are throttled to the
    /// [refresh interval](crate::SessionConfigBuilder::refresh_interval)).
    pub fn last_seen(&self) -> OffsetDateTime {
        self.last_seen
    }

    /// When the entry ends unless the session is seen again: the expiry of the
    /// session's cookie, plus the refresh interval and the
    /// [revocation margin](crate::SessionConfigBuilder::revocation_margin).
    pub fn until(&self) -> OffsetDateTime {
        self.until
    }

    /// A short description of the device from its `User-Agent` header, such as
    /// `"Firefox on Linux"` ([`describe_user_agent`]).
    pub fn device(&self) -> &str {
        &self.device
    }

    /// The client's address, when the application recorded one.
    pub fn address(&self) -> Option<&str> {
        self.address.as_deref()
    }

    /// The entry as one line of JSON, as `RedisRevocation` keeps it.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn to_json(&self) -> String {
        let mut object = serde_json::json!({
            "id": self.id,
            "user": self.user,
            "created": unix_millis(self.created_at),
            "seen": unix_millis(self.last_seen),
            "until": unix_millis(self.until),
            "device": self.device,
        });
        if let (Some(address), Some(map)) = (&self.address, object.as_object_mut()) {
            map.insert("address".into(), address.as_str().into());
        }
        object.to_string()
    }

    /// An entry written by [`SessionEntry::to_json`]; `None` for anything else.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn from_json(text: &str) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        let text = |key: &str| value.get(key)?.as_str().map(str::to_owned);
        let time = |key: &str| {
            let millis = value.get(key)?.as_i64()?;
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).ok()
        };
        Some(Self {
            id: text("id")?,
            user: text("user")?,
            created_at: time("created")?,
            last_seen: time("seen")?,
            until: time("until")?,
            device: text("device")?,
            address: match value.get("address") {
                None => None,
                Some(address) => Some(address.as_str()?.to_owned()),
            },
        })
    }
}
