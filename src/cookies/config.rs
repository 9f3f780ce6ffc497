//! The cookie's name and attributes: [`CookieConfig`], its builder and the checks
//! of the name, path, domain and prefix rules.

use super::{
    binding_salt, SameSite, DEFAULT_COOKIE_NAME, DEFAULT_HOST_COOKIE_NAME,
    DEFAULT_SECURE_COOKIE_NAME, MAX_CHUNKS, MAX_COOKIE_LEN,
};
use crate::clock::{Clock, IntoDuration};
use crate::codec::{Codec, CodecBuilder};
use crate::error::CookieConfigError;
use crate::key::Keyring;

/// A session cookie: its name and attributes, and the codec that signs its value with
/// the cookie name bound into the signature.
///
/// Cheap to clone; build one at start-up with [`CookieConfig::builder`].
#[derive(Clone)]
pub struct CookieConfig {
    pub(super) codec: Codec,
    pub(super) name: String,
    pub(super) path: String,
    pub(super) domain: Option<String>,
    pub(super) secure: bool,
    pub(super) http_only: bool,
    pub(super) same_site: SameSite,
    pub(super) partitioned: bool,
    pub(super) max_chunks: usize,
    /// The length of a `Set-Cookie` value's attributes (see
    /// `CookieConfig::measure_attributes`).
    pub(super) attributes_len: usize,
}

impl std::fmt::Debug for CookieConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CookieConfig")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("domain", &self.domain)
            .field("secure", &self.secure)
            .field("http_only", &self.http_only)
            .field("same_site", &self.same_site)
            .field("partitioned", &self.partitioned)
            .field("max_chunks", &self.max_chunks)
            .field("codec", &self.codec)
            .finish()
    }
}

/// Settings for a [`CookieConfig`]; made by [`CookieConfig::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct CookieConfigBuilder {
    /// The codec's settings (keys, salt, leeway, clock, sealing); the cookie name is
    /// bound into its salt, and its token limit set from the chunks, at build time.
    codec: CodecBuilder,
    name: Option<String>,
    path: String,
    domain: Option<String>,
    secure: bool,
    http_only: bool,
    same_site: SameSite,
    partitioned: bool,
    max_chunks: usize,
}

impl CookieConfigBuilder {
    /// Whether the cookie value is sealed (encrypted and authenticated) instead of
    /// signed, so that the browser and anyone holding the cookie cannot read the
    /// session. The cookie name and salt are bound into the sealing key as they are into
    /// the signature; the session layer and the framework integrations need nothing
    /// else. See [`crate::sealed`].
    ///
    /// Defaults to `false` (signed: anyone holding the cookie can read it).
    #[cfg(feature = "sealed")]
    pub fn sealed(mut self, sealed: bool) -> Self {
        self.codec = self.codec.sealed(sealed);
        self
    }

    /// The most cookies one session may be split into (see "Large sessions" in the
    /// module docs), from 1 to [`MAX_CHUNKS`] (4); [`try_build`](Self::try_build)
    /// refuses other values. A session too large for one cookie is split into chunk
    /// cookies named `<name>`, `<name>.1`, … `<name>.3`; one that does not fit in this
    /// many is refused with [`Error::CookieTooLarge`](crate::Error::CookieTooLarge) when it is written.
    ///
    /// Defaults to 1: no chunking, a session must fit in one cookie.
    pub fn max_chunks(mut self, max_chunks: usize) -> Self {
        self.max_chunks = max_chunks;
        self
    }

    /// The cookie name, used exactly as given. Names starting with `__Secure-` or
    /// `__Host-` have their rules checked by [`try_build`](Self::try_build).
    ///
    /// Defaults to the name with the strongest prefix the other settings allow:
    /// [`DEFAULT_HOST_COOKIE_NAME`] (`__Host-session`) with `Secure`, `Path=/` and no
    /// `Domain` (the defaults); [`DEFAULT_SECURE_COOKIE_NAME`] (`__Secure-session`) with
    /// `Secure` and a `Domain` or another `Path`; [`DEFAULT_COOKIE_NAME`] (`session`)
    /// without `Secure`. See "Cookie tossing" in the module docs.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The salt, naming the purpose of the tokens; it is combined with the cookie name
    /// (see the module docs).
    ///
    /// Defaults to [`DEFAULT_SALT`](crate::codec::DEFAULT_SALT) (`sessionlib.session`).
    pub fn salt(mut self, salt: impl AsRef<[u8]>) -> Self {
        self.codec = self.codec.salt(salt);
        self
    }

    /// How long after its expiry a token is still accepted, for clock differences
    /// between servers. Negative values count as zero; a leeway that reaches past the
    /// end of the time range means no limit.
    ///
    /// Defaults to zero.
    pub fn leeway(mut self, leeway: impl IntoDuration) -> Self {
        self.codec = self.codec.leeway(leeway);
        self
    }

    /// The clock that the cookie layer, its codec and the session layer built on this
    /// configuration read the current time from: any `Fn() -> OffsetDateTime` or a
    /// [`ManualClock`](crate::clock::ManualClock). For tests, and for simulating a
    /// server whose clock is off (`examples/` reads an offset from
    /// `SESSIONLIB_CLOCK_SKEW_SECONDS`); clocks that differ between servers are
    /// tolerated with [`leeway`](CookieConfigBuilder::leeway).
    ///
    /// Defaults to the system clock, [`OffsetDateTime::now_utc`](time::OffsetDateTime::now_utc).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.codec = self.codec.clock(clock);
        self
    }

    /// The `Path` attribute: the cookie is sent only for URLs under this path. Without
    /// an explicit [`name`](Self::name), a path other than `/` makes the default name
    /// `__Secure-session` rather than `__Host-session`.
    ///
    /// Defaults to `/` (the whole site).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The `Domain` attribute: the cookie is also sent to subdomains of this domain.
    /// `None` sends it back only to the exact host that set it. A domain trusts every
    /// subdomain with the session; without an explicit [`name`](Self::name), it makes
    /// the default name `__Secure-session` rather than `__Host-session` (which cannot
    /// have a `Domain`).
    ///
    /// Defaults to `None`.
    pub fn domain(mut self, domain: Option<String>) -> Self {
        self.domain = domain;
        self
    }

    /// The `Secure` attribute: the browser keeps and sends the cookie only over HTTPS
    /// (Chromium also on `http://localhost`, which it treats as secure). Turn it off only
    /// for local development over plain HTTP on another host name. Without an explicit
    /// [`name`](Self::name), turning it off makes the default name `session` (the
    /// prefixed names require `Secure`).
    ///
    /// Defaults to `true`.
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// The `HttpOnly` attribute: scripts in the page cannot read the cookie.
    ///
    /// Defaults to `true`.
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// The `SameSite` attribute. `Lax` sends the cookie on top-level navigations from
    /// other sites but not on their sub-requests or cross-site `POST`s.
    ///
    /// Defaults to [`SameSite::Lax`].
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// The `Partitioned` attribute (CHIPS): the browser keeps a separate cookie per
    /// top-level site. Requires `Secure`.
    ///
    /// Defaults to `false`.
    pub fn partitioned(mut self, partitioned: bool) -> Self {
        self.partitioned = partitioned;
        self
    }

    /// Checks the settings and builds the configuration.
    ///
    /// Fails with a [`CookieConfigError`] for an invalid name, path or domain, or when
    /// a rule of the `__Secure-`/`__Host-` prefixes, `Partitioned` or `SameSite=None`
    /// is broken (see the module docs). `?` turns it into an
    /// [`Error::CookieConfig`](crate::Error::CookieConfig) where needed.
    pub fn try_build(self) -> Result<CookieConfig, CookieConfigError> {
        let name = match self.name {
            Some(name) => name,
            None => default_name(self.secure, &self.path, self.domain.is_some()).to_owned(),
        };
        if !is_token(name.as_bytes()) {
            return Err(CookieConfigError::InvalidName);
        }
        if !is_valid_path(self.path.as_bytes()) {
            return Err(CookieConfigError::InvalidPath);
        }
        if let Some(domain) = &self.domain {
            if !is_valid_domain(domain.as_bytes()) {
                return Err(CookieConfigError::InvalidDomain);
            }
        }
        let name_bytes = name.as_bytes();
        if starts_with_ignore_case(name_bytes, b"__secure-") && !self.secure {
            return Err(CookieConfigError::SecurePrefixWithoutSecure);
        }
        if starts_with_ignore_case(name_bytes, b"__host-") {
            if !self.secure {
                return Err(CookieConfigError::HostPrefixWithoutSecure);
            }
            if self.path != "/" {
                return Err(CookieConfigError::HostPrefixWithPath);
            }
            if self.domain.is_some() {
                return Err(CookieConfigError::HostPrefixWithDomain);
            }
        }
        if self.partitioned && !self.secure {
            return Err(CookieConfigError::PartitionedWithoutSecure);
        }
        if self.same_site == SameSite::None && !self.secure {
            return Err(CookieConfigError::SameSiteNoneWithoutSecure);
        }
        if !(1..=MAX_CHUNKS).contains(&self.max_chunks) {
            return Err(CookieConfigError::InvalidMaxChunks);
        }
        let salt = binding_salt(self.codec.salt_bytes(), &name)?;
        let codec = self
            .codec
            .salt(salt)
            .max_token_len(MAX_COOKIE_LEN * self.max_chunks)
            .build();
        let mut config = CookieConfig {
            codec,
            name,
            path: self.path,
            domain: self.domain,
            secure: self.secure,
            http_only: self.http_only,
            same_site: self.same_site,
            partitioned: self.partitioned,
            max_chunks: self.max_chunks,
            attributes_len: 0,
        };
        config.attributes_len = config.measure_attributes();
        Ok(config)
    }
}

impl CookieConfig {
    /// Starts a configuration for the given keys, with the defaults listed in the
    /// module docs.
    pub fn builder(keyring: impl Into<Keyring>) -> CookieConfigBuilder {
        CookieConfigBuilder {
            codec: Codec::builder(keyring),
            name: None,
            path: "/".to_owned(),
            domain: None,
            secure: true,
            http_only: true,
            same_site: SameSite::Lax,
            partitioned: false,
            max_chunks: 1,
        }
    }

    /// The cookie name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The most cookies one session may be split into
    /// ([`CookieConfigBuilder::max_chunks`]).
    pub fn max_chunks(&self) -> usize {
        self.max_chunks
    }

    /// Whether cookies get the `Secure` attribute.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The codec that signs the cookie values, with the cookie name bound into its
    /// salt.
    pub fn codec(&self) -> &Codec {
        &self.codec
    }

    /// The current time, from the [configured clock](CookieConfigBuilder::clock).
    pub fn now(&self) -> time::OffsetDateTime {
        self.codec.now()
    }
}

/// The name used when none is set: the strongest prefix the settings allow.
fn default_name(secure: bool, path: &str, has_domain: bool) -> &'static str {
    match (secure, path == "/" && !has_domain) {
        (true, true) => DEFAULT_HOST_COOKIE_NAME,
        (true, false) => DEFAULT_SECURE_COOKIE_NAME,
        (false, _) => DEFAULT_COOKIE_NAME,
    }
}

/// An RFC 6265 cookie name: a non-empty RFC 9110 token.
fn is_token(name: &[u8]) -> bool {
    !name.is_empty()
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A cookie path: starts with `/`, visible ASCII or space, no `;`.
fn is_valid_path(path: &[u8]) -> bool {
    path.first() == Some(&b'/') && path.iter().all(|&b| (0x20..0x7f).contains(&b) && b != b';')
}

/// A cookie domain: ASCII letters, digits, `-` and `.`, at most 253 bytes.
fn is_valid_domain(domain: &[u8]) -> bool {
    !domain.is_empty()
        && domain.len() <= 253
        && domain
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && domain.iter().any(|&b| b != b'.')
}

fn starts_with_ignore_case(name: &[u8], prefix: &[u8]) -> bool {
    name.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{config, key, now};
    use super::*;
    use serde_json::{json, Value};
    use time::Duration;

    #[test]
    fn defaults_are_safe() {
        let config = CookieConfig::builder(key(1))
            .clock(now)
            .try_build()
            .unwrap();
        let cookie = config.encode(&json!({"a": 1}), Duration::days(14)).unwrap();
        let text = cookie.to_string();
        let expiry = now() + Duration::days(14);
        assert_eq!(cookie.name(), "__Host-session");
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.secure(), Some(true));
        assert_eq!(cookie.same_site(), Some(SameSite::Lax));
        assert_eq!(cookie.path(), Some("/"));
        assert_eq!(cookie.domain(), None);
        assert_eq!(cookie.expires_datetime(), Some(expiry));
        assert!(
            text.ends_with(
                "; HttpOnly; SameSite=Lax; Secure; Path=/; Expires=Tue, 28 Nov 2023 22:13:20 GMT"
            ),
            "{text}"
        );
        // The signed expiry is the `Expires` attribute.
        let verified = config
            .decode_header::<Value>(format!("__Host-session={}", cookie.value()))
            .unwrap()
            .unwrap();
        assert_eq!(verified.expires_at, expiry);
    }

    #[test]
    fn every_attribute_is_settable() {
        let config = CookieConfig::builder(key(1))
            .name("__Secure-sid")
            .path("/app")
            .domain(Some("example.com".into()))
            .same_site(SameSite::Strict)
            .http_only(false)
            .partitioned(true)
            .try_build()
            .unwrap();
        let text = config.encode(&json!(1), Duration::DAY).unwrap().to_string();
        assert!(text.starts_with("__Secure-sid="));
        assert!(
            text.contains(
                "; SameSite=Strict; Partitioned; Secure; Path=/app; Domain=example.com; Expires="
            ),
            "{text}"
        );
        assert!(!text.contains("HttpOnly"));
    }

    /// Cookie tossing (issue 12, defect 1): without an explicit name, the cookie gets
    /// the strongest prefix its other settings allow, and an explicit name is kept.
    #[test]
    fn cookie_tossing_default_name_has_the_host_prefix() {
        let name = |f: fn(CookieConfigBuilder) -> CookieConfigBuilder| {
            f(CookieConfig::builder(key(1)))
                .try_build()
                .unwrap()
                .name()
                .to_owned()
        };
        assert_eq!(name(|b| b), "__Host-session");
        assert_eq!(name(|b| b.secure(true)), "__Host-session");
        assert_eq!(name(|b| b.secure(false)), "session");
        assert_eq!(
            name(|b| b.domain(Some("example.com".into()))),
            "__Secure-session"
        );
        assert_eq!(name(|b| b.path("/app")), "__Secure-session");
        assert_eq!(
            name(|b| b.secure(false).domain(Some("example.com".into()))),
            "session"
        );
        assert_eq!(name(|b| b.name("session")), "session");
        assert_eq!(name(|b| b.name("sid").secure(false)), "sid");
        // The default cookie meets the `__Host-` rules, so browsers keep it.
        let config = CookieConfig::builder(key(1)).try_build().unwrap();
        let text = config.encode(&json!(1), Duration::DAY).unwrap().to_string();
        assert!(text.starts_with("__Host-session="), "{text}");
        assert!(text.contains("; Secure; Path=/;"), "{text}");
        assert!(!text.contains("Domain"), "{text}");
        // The removal cookie has the same name.
        assert!(config
            .removal_cookie()
            .to_string()
            .starts_with("__Host-session=;"));
    }

    #[test]
    fn prefix_rules_are_enforced_at_build() {
        let build = |f: fn(CookieConfigBuilder) -> CookieConfigBuilder| {
            f(CookieConfig::builder(key(1))).try_build().map(|_| ())
        };
        let err = Err;
        assert_eq!(
            build(|b| b.name("__Secure-s").secure(false)),
            err(CookieConfigError::SecurePrefixWithoutSecure)
        );
        assert_eq!(
            build(|b| b.name("__secure-s").secure(false)),
            err(CookieConfigError::SecurePrefixWithoutSecure)
        );
        assert_eq!(build(|b| b.name("__Secure-s").path("/x")), Ok(()));
        assert_eq!(
            build(|b| b.name("__Host-s").secure(false)),
            err(CookieConfigError::HostPrefixWithoutSecure)
        );
        assert_eq!(
            build(|b| b.name("__HOST-s").path("/app")),
            err(CookieConfigError::HostPrefixWithPath)
        );
        assert_eq!(
            build(|b| b.name("__Host-s").domain(Some("example.com".into()))),
            err(CookieConfigError::HostPrefixWithDomain)
        );
        assert_eq!(build(|b| b.name("__Host-s")), Ok(()));
        assert_eq!(
            build(|b| b.secure(false).partitioned(true)),
            err(CookieConfigError::PartitionedWithoutSecure)
        );
        assert_eq!(
            build(|b| b.secure(false).same_site(SameSite::None)),
            err(CookieConfigError::SameSiteNoneWithoutSecure)
        );
        assert_eq!(build(|b| b.secure(false)), Ok(()));
        for bad in ["", "a b", "a;b", "a=b", "sé", "a,b", "a\"b"] {
            let r = CookieConfig::builder(key(1)).name(bad).try_build();
            assert_eq!(
                r.map(|_| ()),
                err(CookieConfigError::InvalidName),
                "{bad:?}"
            );
        }
        for bad in ["", "app", "/a;b", "/a\nb"] {
            let r = CookieConfig::builder(key(1)).path(bad).try_build();
            assert_eq!(
                r.map(|_| ()),
                err(CookieConfigError::InvalidPath),
                "{bad:?}"
            );
        }
        for bad in ["", ".", "a b", "ex;ample.com", "exämple.com"] {
            let r = CookieConfig::builder(key(1))
                .domain(Some(bad.into()))
                .try_build();
            assert_eq!(
                r.map(|_| ()),
                err(CookieConfigError::InvalidDomain),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn debug_shows_no_key() {
        let text = format!("{:?}", config());
        assert!(text.contains("name: \"session\""));
        assert!(!text.contains("[1, 1"));
        assert!(!text.contains("1, 1, 1"));
    }
}
