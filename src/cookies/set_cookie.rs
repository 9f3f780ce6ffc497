//! Writing: the `Set-Cookie` values of a session, its chunks and their removal.

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use super::chunk::chunk_name;
#[cfg(doc)]
use super::CookieConfigBuilder;
use super::{Cookie, CookieConfig, MAX_COOKIE_LEN};
use crate::clock::IntoDuration;
use crate::codec::Codec;
use crate::error::Error;

impl CookieConfig {
    /// A cookie holding `data` whose signed expiry (and `Expires` attribute) is `ttl`
    /// after the current time of the [clock](CookieConfigBuilder::clock). Sessions
    /// get their expiry from the session layer
    /// ([`SessionConfigBuilder::idle_timeout`](crate::SessionConfigBuilder::idle_timeout));
    /// this is for a signed cookie of your own, such as a preference.
    ///
    /// As for [`CodecBuilder::ttl`](crate::CodecBuilder::ttl), any duration is
    /// accepted: an expiry past the end of the time range (year 9999) means no limit
    /// and is written as that last second; one before 1970 fails with
    /// [`Error::ExpiryOutOfRange`]. Fails otherwise like
    /// [`encode_until`](CookieConfig::encode_until).
    pub fn encode<T: Serialize + ?Sized>(
        &self,
        data: &T,
        ttl: impl IntoDuration,
    ) -> Result<Cookie<'static>, Error> {
        let expires_at = self.expiry_after(ttl.into_duration())?;
        self.encode_until(data, expires_at)
    }

    /// The current time plus `ttl`, whole seconds; past the end of the time range, its
    /// last second.
    fn expiry_after(&self, ttl: Duration) -> Result<OffsetDateTime, Error> {
        let expiry = crate::codec::expiry_after(self.now().unix_timestamp_nanos(), ttl);
        OffsetDateTime::from_unix_timestamp(expiry).map_err(|_| Error::ExpiryOutOfRange)
    }

    /// A session cookie holding `data` whose signed expiry (and `Expires` attribute) is
    /// `expires_at`, rounded down to the second.
    ///
    /// Fails like [`Codec::encode_until`], and with [`Error::CookieTooLarge`] when the
    /// `Set-Cookie` value would be longer than [`MAX_COOKIE_LEN`].
    pub fn encode_until<T: Serialize + ?Sized>(
        &self,
        data: &T,
        expires_at: OffsetDateTime,
    ) -> Result<Cookie<'static>, Error> {
        let token = self
            .codec
            .encode_until(data, expires_at)
            .map_err(|e| match e {
                // The token alone is already longer than a cookie may be.
                Error::TooLarge { len, .. } => Error::CookieTooLarge {
                    len: len + self.name.len() + 1,
                    max: MAX_COOKIE_LEN,
                },
                other => other,
            })?;
        let expires = expires_at
            .replace_nanosecond(0)
            .map_err(|_| Error::ExpiryOutOfRange)?;
        let cookie = self.cookie(token, expires, false);
        let len = cookie.to_string().len();
        if len > MAX_COOKIE_LEN {
            return Err(Error::CookieTooLarge {
                len,
                max: MAX_COOKIE_LEN,
            });
        }
        Ok(cookie)
    }

    /// The cookies holding `data`, expiring `ttl` after the current time as
    /// [`encode`](CookieConfig::encode) does: one cookie when it fits, else up to
    /// [`max_chunks`](CookieConfigBuilder::max_chunks) chunk cookies (see "Large
    /// sessions" in the module docs). Set them all.
    pub fn encode_chunks<T: Serialize + ?Sized>(
        &self,
        data: &T,
        ttl: impl IntoDuration,
    ) -> Result<Vec<Cookie<'static>>, Error> {
        let expires_at = self.expiry_after(ttl.into_duration())?;
        self.encode_chunks_until(data, expires_at)
    }

    /// Like [`CookieConfig::encode_until`], split into chunk cookies when the token does
    /// not fit in one (see "Large sessions" in the module docs): the cookies to set, in
    /// chunk order, each with a `Set-Cookie` value of at most [`MAX_COOKIE_LEN`] bytes.
    /// A token that fits in one cookie gives exactly the cookie of `encode_until`.
    ///
    /// Fails like `encode_until`, with [`Error::CookieTooLarge`] when the token does
    /// not fit in [`max_chunks`](CookieConfigBuilder::max_chunks) cookies.
    pub fn encode_chunks_until<T: Serialize + ?Sized>(
        &self,
        data: &T,
        expires_at: OffsetDateTime,
    ) -> Result<Vec<Cookie<'static>>, Error> {
        self.chunks_of(|codec| codec.encode_until(data, expires_at), expires_at)
    }

    /// Like [`CookieConfig::encode_chunks_until`] for JSON text already written into a
    /// buffer (the session layer's object writer).
    pub(crate) fn encode_json_chunks_until(
        &self,
        json: Vec<u8>,
        expires_at: OffsetDateTime,
    ) -> Result<Vec<Cookie<'static>>, Error> {
        self.chunks_of(
            |codec| codec.encode_json_until(json, expires_at),
            expires_at,
        )
    }

    /// The cookies holding the token that `encode` makes. Every length is computed from
    /// the name and the attributes' length (measured once, when the configuration was
    /// built): no cookie is formatted here.
    fn chunks_of(
        &self,
        encode: impl FnOnce(&Codec) -> Result<String, Error>,
        expires_at: OffsetDateTime,
    ) -> Result<Vec<Cookie<'static>>, Error> {
        let too_large = |token_len: usize| Error::CookieTooLarge {
            len: token_len + self.name.len() + 1 + self.attributes_len,
            max: MAX_COOKIE_LEN,
        };
        let token = encode(&self.codec).map_err(|e| match e {
            Error::TooLarge { len, .. } => too_large(len),
            other => other,
        })?;
        let expires = expires_at
            .replace_nanosecond(0)
            .map_err(|_| Error::ExpiryOutOfRange)?;
        // Each chunk's value gets what its name and attributes leave of MAX_COOKIE_LEN.
        let budget = |i: usize| {
            let name_len = match i {
                0 => self.name.len(),
                // `name.<i>`, one digit: there are at most 9 chunks.
                _ => self.name.len() + 2,
            };
            MAX_COOKIE_LEN.saturating_sub(name_len + 1 + self.attributes_len)
        };
        if token.len() <= budget(0) {
            return Ok(vec![self.cookie_named(self.name.clone(), token, expires)]);
        }
        let budgets: Vec<usize> = (0..self.max_chunks).map(budget).collect();
        let values = super::chunk::split(&token, &budgets).ok_or_else(|| too_large(token.len()))?;
        if let Some(len) = values
            .iter()
            .enumerate()
            .map(|(i, value)| value.len() + MAX_COOKIE_LEN - budget(i))
            .find(|&len| len > MAX_COOKIE_LEN)
        {
            return Err(Error::CookieTooLarge {
                len,
                max: MAX_COOKIE_LEN,
            });
        }
        Ok(values
            .into_iter()
            .enumerate()
            .map(|(i, value)| self.cookie_named(chunk_name(&self.name, i), value, expires))
            .collect())
    }

    /// The length of the attributes of a `Set-Cookie` value (everything after the
    /// value): the same for every chunk and every expiry (`Expires` has a fixed width
    /// for the years 1970 to 9999). Measured once, when the configuration is built.
    pub(super) fn measure_attributes(&self) -> usize {
        let empty = self.cookie_named(self.name.clone(), String::new(), OffsetDateTime::UNIX_EPOCH);
        empty.to_string().len().saturating_sub(self.name.len() + 1)
    }

    /// The cookie that deletes the session cookie (for logout): the same name, path,
    /// domain and flags, an empty value, `Max-Age=0` and `Expires` at the Unix epoch.
    ///
    /// With [`max_chunks`](CookieConfigBuilder::max_chunks) above 1, this removes only
    /// the first chunk: use [`CookieConfig::removal_cookies`].
    pub fn removal_cookie(&self) -> Cookie<'static> {
        self.cookie(String::new(), OffsetDateTime::UNIX_EPOCH, true)
    }

    /// The cookies that delete every chunk name of the session cookie: the
    /// [`removal_cookie`](CookieConfig::removal_cookie), then one for each of
    /// `<name>.1` … up to [`max_chunks`](CookieConfigBuilder::max_chunks). The session
    /// layer sends only those of the chunks a request carried.
    pub fn removal_cookies(&self) -> Vec<Cookie<'static>> {
        (0..self.max_chunks)
            .map(|i| self.chunk_removal_cookie(i))
            .collect()
    }

    /// The cookie that deletes chunk `index`.
    pub(crate) fn chunk_removal_cookie(&self, index: usize) -> Cookie<'static> {
        let mut cookie = self.cookie_named(
            chunk_name(&self.name, index),
            String::new(),
            OffsetDateTime::UNIX_EPOCH,
        );
        cookie.set_max_age(Duration::ZERO);
        cookie
    }

    fn cookie(&self, value: String, expires: OffsetDateTime, removal: bool) -> Cookie<'static> {
        let mut cookie = self.cookie_named(self.name.clone(), value, expires);
        if removal {
            cookie.set_max_age(Duration::ZERO);
        }
        cookie
    }

    fn cookie_named(
        &self,
        name: String,
        value: String,
        expires: OffsetDateTime,
    ) -> Cookie<'static> {
        let mut builder = Cookie::build((name, value))
            .http_only(self.http_only)
            .same_site(self.same_site)
            .secure(self.secure)
            .path(self.path.clone())
            .expires(expires);
        if self.partitioned {
            builder = builder.partitioned(true);
        }
        if let Some(domain) = &self.domain {
            builder = builder.domain(domain.clone());
        }
        builder.build()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{config, key};
    use super::*;

    const DAY: Duration = Duration::DAY;

    #[test]
    fn size_limit_is_an_error_not_a_dropped_cookie() {
        let c = config();
        // Find the largest payload that fits, then one more byte. Fitting is monotone
        // in the length, so a binary search between a fit and a miss finds it.
        let fits = |n: usize| c.encode(&"x".repeat(n), DAY);
        let (mut n, mut miss) = (0, 5000);
        assert!(fits(n).is_ok() && fits(miss).is_err());
        while miss - n > 1 {
            let mid = n + (miss - n) / 2;
            if fits(mid).is_ok() {
                n = mid;
            } else {
                miss = mid;
            }
        }
        assert!(fits(n).unwrap().to_string().len() <= MAX_COOKIE_LEN);
        assert!(fits(n).unwrap().to_string().len() > MAX_COOKIE_LEN - 4);
        match fits(n + 1) {
            Err(Error::CookieTooLarge { len, max }) => {
                assert!(len > MAX_COOKIE_LEN);
                assert_eq!(max, MAX_COOKIE_LEN);
            }
            other => panic!("{:?}", other.map(|c| c.to_string().len())),
        }
        assert!(matches!(
            c.encode(&"x".repeat(5000), DAY),
            Err(Error::CookieTooLarge { .. })
        ));
        // Longer attributes leave less room for the value.
        let long = CookieConfig::builder(key(1))
            .path(format!("/{}", "p".repeat(200)))
            .try_build()
            .unwrap();
        assert!(matches!(
            long.encode(&"x".repeat(n), DAY),
            Err(Error::CookieTooLarge { .. })
        ));
    }

    #[test]
    fn removal_cookie_matches_the_session_cookie() {
        let c = CookieConfig::builder(key(1))
            .name("__Secure-s")
            .path("/app")
            .domain(Some("example.com".into()))
            .try_build()
            .unwrap();
        let text = c.removal_cookie().to_string();
        assert_eq!(
            text,
            "__Secure-s=; HttpOnly; SameSite=Lax; Secure; Path=/app; Domain=example.com; \
             Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
        );
    }
}
