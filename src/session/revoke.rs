//! The revocation operations of a [`SessionConfig`]: they read the configuration's
//! clock and allow its clock tolerance, so that every store keeps the same times.

use time::{Duration, OffsetDateTime};

use super::{SessionConfig, SessionData};
use crate::revocation::{Revocation, RevocationError};

impl SessionConfig {
    /// Logs `user` out everywhere: every session of the user logged in until now (plus
    /// the [revocation margin](crate::SessionConfigBuilder::revocation_margin), for
    /// servers whose clocks run ahead) is refused on every server sharing the store. A
    /// login made later than that is not affected; a banned user stays banned.
    ///
    /// Fails when no [store](crate::SessionConfigBuilder::revocation) is configured
    /// ([`RevocationError::is_not_configured`]) or the store cannot answer.
    pub async fn revoke_user(&self, user: &str) -> Result<(), RevocationError> {
        let until = self.revocation_until();
        self.store()?.revoke_user_until(user, until).await?;
        self.forget_sessions_until(user, Some(until)).await
    }

    /// Bans `user`: every session of the user, existing or new, is refused until
    /// [`SessionConfig::unban`]. Fails as [`SessionConfig::revoke_user`] does.
    pub async fn ban(&self, user: &str) -> Result<(), RevocationError> {
        self.store()?.ban(user).await?;
        self.forget_sessions_until(user, None).await
    }

    /// Lifts a ban of `user`. Sessions that existed before the ban (logged in until now
    /// plus the margin) stay refused. Fails as [`SessionConfig::revoke_user`] does.
    pub async fn unban(&self, user: &str) -> Result<(), RevocationError> {
        self.store()?
            .unban_until(user, self.revocation_until())
            .await
    }

    /// Revokes one session, by its [id](SessionData::id): every copy of its cookie is
    /// refused, other sessions of the same user are not. The entry is kept for as
    /// long as any cookie of the session can be valid: its creation plus the longer of
    /// the [absolute](crate::SessionConfigBuilder::absolute_lifetime) and the
    /// [maximum](crate::SessionConfigBuilder::max_lifetime) lifetime, plus the
    /// [margin](crate::SessionConfigBuilder::revocation_margin). Raising those settings
    /// later does not lengthen entries already written.
    ///
    /// Returns `Ok(false)`, doing nothing, for a session that was not loaded from a
    /// cookie (no id or no creation time: there is nothing to revoke) and for one that
    /// no cookie can carry any more. For a logout that also ends a stolen copy of the
    /// cookie: call it with the request's session, then [`SessionData::clear`].
    pub async fn revoke_session(&self, session: &SessionData) -> Result<bool, RevocationError> {
        self.store()?;
        let (Some(id), Some(created)) = (session.id(), session.created_at()) else {
            return Ok(false);
        };
        let revoked = self.revoke_id(session.user_id(), id, created).await?;
        if let Some(user) = session.user_id() {
            self.forget_session(user, id).await?;
        }
        Ok(revoked)
    }

    /// Revokes the session `id` created at `created` (of `user`) for as long as any
    /// cookie of it can be valid; `Ok(false)` when none can be any more.
    pub(super) async fn revoke_id(
        &self,
        user: Option<&str>,
        id: &str,
        created: OffsetDateTime,
    ) -> Result<bool, RevocationError> {
        let store = self.store()?;
        let end = created
            .checked_add(self.longest_lifetime())
            .and_then(|end| end.checked_add(self.revocation_margin()));
        let ttl = match end {
            Some(end) => end - self.now(),
            // Past the end of the time range: as long as the store keeps anything.
            None => Duration::MAX,
        };
        if !ttl.is_positive() {
            return Ok(false);
        }
        let ttl = std::time::Duration::try_from(ttl).unwrap_or(std::time::Duration::MAX);
        store.revoke_session_for(user, id, ttl).await?;
        Ok(true)
    }

    pub(super) fn store(&self) -> Result<&dyn Revocation, RevocationError> {
        self.revocation_store()
            .ok_or_else(RevocationError::not_configured)
    }

    /// Now plus the margin: the end of what a user revocation covers.
    fn revocation_until(&self) -> OffsetDateTime {
        self.now().saturating_add(self.revocation_margin())
    }
}
