//! The session registry ("your devices"): each user's active sessions, kept in the
//! revocation store beside the revocations. See "The session registry" in
//! [`crate::session`].

use std::sync::{Mutex, PoisonError};

use time::OffsetDateTime;

use super::{SessionConfig, SessionData, SessionEntry, SessionSource};
use crate::revocation::{Revocation, RevocationError};

/// A short, fixed description of the device behind a `User-Agent` header: the
/// browser (or client) and the operating system, such as `"Firefox on Linux"`,
/// `"Safari on iPhone"` or `"curl"`; `"Unknown device"` when neither is recognised.
/// Only names from a fixed list are returned, never text of the header itself, so a
/// page can show it as it is.
pub fn describe_user_agent(user_agent: &str) -> String {
    Device::of(user_agent.as_bytes()).to_string()
}

/// The names [`describe_user_agent`] finds in a `User-Agent` header, kept as they are
/// (no allocation) until an entry is written.
#[derive(Clone, Copy)]
struct Device {
    client: Option<&'static str>,
    system: Option<&'static str>,
}

impl Device {
    fn of(user_agent: &[u8]) -> Self {
        // Most specific first: Edge and Opera also say "Chrome", Chrome also says
        // "Safari", and iPhones also say "Mac OS X".
        const CLIENTS: [(&str, &str); 13] = [
            ("Edg/", "Edge"),
            ("EdgA/", "Edge"),
            ("OPR/", "Opera"),
            ("Firefox/", "Firefox"),
            ("FxiOS/", "Firefox"),
            ("HeadlessChrome/", "Headless Chrome"),
            ("CriOS/", "Chrome"),
            ("Chrome/", "Chrome"),
            ("Safari/", "Safari"),
            ("curl/", "curl"),
            ("python-requests/", "Python requests"),
            ("ureq/", "ureq"),
            ("Wget/", "Wget"),
        ];
        const SYSTEMS: [(&str, &str); 8] = [
            ("iPhone", "iPhone"),
            ("iPad", "iPad"),
            ("Android", "Android"),
            ("Windows", "Windows"),
            ("CrOS", "ChromeOS"),
            ("Mac OS X", "macOS"),
            ("Macintosh", "macOS"),
            ("Linux", "Linux"),
        ];
        let find = |table: &[(&str, &'static str)]| {
            table
                .iter()
                .find(|(needle, _)| {
                    user_agent
                        .windows(needle.len())
                        .any(|w| w == needle.as_bytes())
                })
                .map(|&(_, name)| name)
        };
        Self {
            client: find(&CLIENTS),
            system: find(&SYSTEMS),
        }
    }
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.client, self.system) {
            (Some(client), Some(system)) => write!(f, "{client} on {system}"),
            (Some(client), None) => f.write_str(client),
            (None, Some(system)) => write!(f, "A browser on {system}"),
            (None, None) => f.write_str("Unknown device"),
        }
    }
}

/// What the registry needs to know of a request's session as it was loaded, kept by
/// the request's [`Session`](crate::Session) when the registry is on.
pub(crate) struct RequestOrigin {
    user: Option<String>,
    id: Option<String>,
    created_at: Option<OffsetDateTime>,
    expires_at: Option<OffsetDateTime>,
    device: Device,
    address: Mutex<Option<String>>,
}

impl RequestOrigin {
    pub(crate) fn new(session: &SessionData, user_agent: Option<&[u8]>) -> Self {
        let device = Device::of(user_agent.unwrap_or_default());
        Self {
            user: session.user.clone(),
            id: session.id.clone(),
            created_at: session.created_at,
            expires_at: session.expires_at,
            device,
            address: Mutex::new(None),
        }
    }

    pub(crate) fn set_address(&self, address: String) {
        *self.address.lock().unwrap_or_else(PoisonError::into_inner) = Some(address);
    }

    fn address(&self) -> Option<String> {
        self.address
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// A session that left the list: the one the request came with, logged out or
/// replaced.
struct Gone {
    user: String,
    id: String,
    created_at: Option<OffsetDateTime>,
}

/// What saving a request's session changes in the registry.
#[derive(Default)]
pub(crate) struct RegistryChange {
    gone: Option<Gone>,
    record: Option<SessionEntry>,
}

impl RegistryChange {
    pub(crate) fn is_empty(&self) -> bool {
        self.gone.is_none() && self.record.is_none()
    }
}

impl SessionConfig {
    /// What writing `session`'s cookie changes in the registry, for a session loaded as
    /// `origin`: the session the request came with leaves the list when it was logged
    /// out or replaced (a new id); the written session is recorded when it is new, and
    /// refreshed when its expiry crossed into the next
    /// [refresh step](Self::refresh_step) since its creation (so a session written on
    /// every request refreshes its entry at most once per step). Call it only when a
    /// cookie was sent.
    pub(crate) fn registry_change(
        &self,
        origin: &RequestOrigin,
        session: &SessionData,
    ) -> RegistryChange {
        if matches!(
            session.source,
            SessionSource::Unreadable | SessionSource::RevocationUnavailable
        ) {
            return RegistryChange::default();
        }
        let Ok(now) = self.now().replace_nanosecond(0) else {
            return RegistryChange::default();
        };
        let current = match (&session.user, &session.id) {
            (Some(user), Some(id)) => {
                let created_at = session.created_at.unwrap_or(now);
                match self.expiry(session, now, created_at) {
                    Ok(expires_at) if expires_at > now => Some((user, id, created_at, expires_at)),
                    _ => None,
                }
            }
            _ => None,
        };
        let gone = match (&origin.user, &origin.id) {
            (Some(user), Some(id)) if current.is_none_or(|(u, i, _, _)| u != user || i != id) => {
                Some(Gone {
                    user: user.clone(),
                    id: id.clone(),
                    created_at: origin.created_at,
                })
            }
            _ => None,
        };
        let step = self.refresh_step().whole_seconds().max(1);
        let bucket = |created_at: OffsetDateTime, expires_at: OffsetDateTime| {
            (expires_at - created_at).whole_seconds().div_euclid(step)
        };
        let record = current
            .filter(|&(_, id, created_at, expires_at)| {
                origin.id.as_ref() != Some(id)
                    || origin.expires_at.is_none_or(|before| {
                        bucket(created_at, before) != bucket(created_at, expires_at)
                    })
            })
            .map(|(user, id, created_at, expires_at)| {
                let until = expires_at
                    .saturating_add(self.refresh_step())
                    .saturating_add(self.revocation_margin());
                let entry = SessionEntry::new(
                    id.as_str(),
                    user.as_str(),
                    created_at,
                    now,
                    until,
                    origin.device.to_string(),
                );
                match origin.address() {
                    Some(address) => entry.with_address(address),
                    None => entry,
                }
            });
        RegistryChange { gone, record }
    }

    /// Writes `change` to the store: the session that left the list is revoked, then
    /// forgotten; the new entry is recorded, and past the limit the user's least
    /// recently seen sessions are logged out.
    pub(crate) async fn apply_registry_change(
        &self,
        change: RegistryChange,
    ) -> Result<(), RevocationError> {
        let Some(limit) = self.registry_limit() else {
            return Ok(());
        };
        let store = self.store()?;
        if let Some(gone) = change.gone {
            if let Some(created_at) = gone.created_at {
                self.revoke_id(Some(&gone.user), &gone.id, created_at)
                    .await?;
            }
            store.forget_sessions(&gone.user, &[&gone.id]).await?;
            crate::session::observe::registry_write("removed");
        }
        if let Some(entry) = change.record {
            let ttl = entry.until - entry.last_seen;
            let ttl = std::time::Duration::try_from(ttl).unwrap_or(std::time::Duration::MAX);
            let count = store.record_session(&entry, ttl).await?;
            crate::session::observe::registry_write("recorded");
            if count > limit {
                self.keep_within(&entry, limit).await?;
            }
        }
        Ok(())
    }

    /// Brings the list of `entry`'s user back to `limit` entries: drops the ended
    /// ones, then logs out the least recently seen others.
    async fn keep_within(&self, entry: &SessionEntry, limit: usize) -> Result<(), RevocationError> {
        let store = self.store()?;
        let now = self.now();
        let (mut live, ended): (Vec<SessionEntry>, Vec<SessionEntry>) = store
            .list_sessions(entry.user())
            .await?
            .into_iter()
            .partition(|e| e.until > now);
        if !ended.is_empty() {
            let ids: Vec<&str> = ended.iter().map(SessionEntry::id).collect();
            store.forget_sessions(entry.user(), &ids).await?;
        }
        let excess = live.len().saturating_sub(limit);
        if excess == 0 {
            return Ok(());
        }
        live.retain(|e| e.id != entry.id);
        live.sort_by(|a, b| {
            a.last_seen
                .cmp(&b.last_seen)
                .then(a.created_at.cmp(&b.created_at))
        });
        live.truncate(excess);
        self.end_entries(entry.user(), &live).await
    }

    /// The user's active sessions in the registry, the most recently seen first
    /// (entries past [`SessionEntry::until`] are left out). Fails with
    /// [`RevocationError::is_not_configured`] when the
    /// [registry](crate::SessionConfigBuilder::registry) is off or no store is
    /// configured, and when the store cannot answer.
    pub async fn list_sessions(&self, user: &str) -> Result<Vec<SessionEntry>, RevocationError> {
        let store = self.registry_store()?;
        let now = self.now();
        let mut entries = store.list_sessions(user).await?;
        entries.retain(|entry| entry.until > now && entry.user == user);
        entries.sort_by(|a, b| {
            b.last_seen
                .cmp(&a.last_seen)
                .then(b.created_at.cmp(&a.created_at))
                .then(a.id.cmp(&b.id))
        });
        Ok(entries)
    }

    /// Logs out the session of `user` with this id (a "log out" button on a "your
    /// devices" page): it is revoked, then leaves the list. Only a session in the
    /// user's list can be revoked this way, so a user can end only their own sessions.
    /// Returns whether it was listed. Fails as [`SessionConfig::list_sessions`] does.
    pub async fn revoke_session_id(&self, user: &str, id: &str) -> Result<bool, RevocationError> {
        let entries = self.list_sessions(user).await?;
        let Some(entry) = entries.iter().find(|entry| entry.id == id) else {
            return Ok(false);
        };
        self.end_entries(user, std::slice::from_ref(entry)).await?;
        Ok(true)
    }

    /// Logs out every listed session of `user` but the one with id `keep` ("log out
    /// all other devices"); returns how many. Fails as [`SessionConfig::list_sessions`]
    /// does; after a failure some sessions may be logged out and the rest still
    /// listed: call it again.
    pub async fn revoke_other_sessions(
        &self,
        user: &str,
        keep: Option<&str>,
    ) -> Result<usize, RevocationError> {
        let others: Vec<SessionEntry> = self
            .list_sessions(user)
            .await?
            .into_iter()
            .filter(|entry| Some(entry.id.as_str()) != keep)
            .collect();
        self.end_entries(user, &others).await?;
        Ok(others.len())
    }

    /// Revokes each of `entries`, then forgets them: a failure leaves a session
    /// listed, never unlisted but valid.
    async fn end_entries(
        &self,
        user: &str,
        entries: &[SessionEntry],
    ) -> Result<(), RevocationError> {
        if entries.is_empty() {
            return Ok(());
        }
        for entry in entries {
            self.revoke_id(Some(user), &entry.id, entry.created_at)
                .await?;
        }
        let ids: Vec<&str> = entries.iter().map(SessionEntry::id).collect();
        self.store()?.forget_sessions(user, &ids).await?;
        crate::session::observe::registry_write("removed");
        Ok(())
    }

    /// Forgets the entries of `user`'s sessions created at or before `until` (after a
    /// "log out everywhere" or a ban, which revoked them), when the registry is on.
    pub(super) async fn forget_sessions_until(
        &self,
        user: &str,
        until: Option<OffsetDateTime>,
    ) -> Result<(), RevocationError> {
        if self.registry_limit().is_none() {
            return Ok(());
        }
        let store = self.store()?;
        let entries = store.list_sessions(user).await?;
        let ids: Vec<&str> = entries
            .iter()
            .filter(|entry| until.is_none_or(|until| entry.created_at <= until))
            .map(SessionEntry::id)
            .collect();
        if !ids.is_empty() {
            store.forget_sessions(user, &ids).await?;
            crate::session::observe::registry_write("removed");
        }
        Ok(())
    }

    /// Forgets one session's entry, when the registry is on.
    pub(super) async fn forget_session(&self, user: &str, id: &str) -> Result<(), RevocationError> {
        if self.registry_limit().is_none() {
            return Ok(());
        }
        self.store()?.forget_sessions(user, &[id]).await?;
        crate::session::observe::registry_write("removed");
        Ok(())
    }

    fn registry_store(&self) -> Result<&dyn Revocation, RevocationError> {
        match self.registry_limit() {
            Some(_) => self.store(),
            None => Err(RevocationError::not_configured()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn user_agents_are_described_with_fixed_names() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                "Safari on iPhone",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                "Safari on macOS",
            ),
            ("curl/8.5.0", "curl"),
            ("python-requests/2.32.3", "Python requests"),
            ("", "Unknown device"),
            ("<script>alert(1)</script>", "Unknown device"),
        ];
        for (user_agent, expected) in cases {
            assert_eq!(describe_user_agent(user_agent), expected, "{user_agent}");
        }
    }

    #[test]
    fn entries_round_trip_through_json() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_000_000).unwrap();
        let entry = SessionEntry::new("id1", "cobra", t, t, t + time::Duration::hours(1), "curl");
        assert_eq!(
            SessionEntry::from_json(&entry.to_json()),
            Some(entry.clone())
        );
        let with_address = entry.with_address("192.0.2.7");
        assert_eq!(
            SessionEntry::from_json(&with_address.to_json()),
            Some(with_address)
        );
        assert_eq!(SessionEntry::from_json("{}"), None);
        assert_eq!(SessionEntry::from_json("not json"), None);
    }
}
