//! Layer 5: the session cookie.
//!
//! [`CookieConfig`] puts a signed token (layer 4, [`Codec`]) into a cookie with safe
//! attributes, and reads it back from a request's `Cookie:` header or a
//! [`CookieJar`].
//!
//! ```
//! use sessionlib::cookie::CookieConfig;
//! use sessionlib::{Key, Keyring};
//! # fn main() -> Result<(), sessionlib::Error> {
//! let config = CookieConfig::builder(Keyring::new(Key::generate())).try_build()?;
//!
//! // Writing: a `Set-Cookie` value with the signed expiry as `Expires`.
//! let cookie = config.encode(&serde_json::json!({"user": "cobra"}))?;
//! let set_cookie = cookie.to_string();
//! assert!(set_cookie.starts_with("__Host-session="));
//! assert!(set_cookie.contains("; HttpOnly; SameSite=Lax; Secure; Path=/; Expires="));
//!
//! // Reading: from the raw `Cookie:` header of a later request.
//! let header = format!("theme=dark; __Host-session={}", cookie.value());
//! let verified = config.decode_header::<serde_json::Value>(&header)?;
//! assert_eq!(verified.map(|v| v.data["user"].clone()), Some("cobra".into()));
//! # Ok(())
//! # }
//! ```
//!
//! # Defaults
//!
//! Cookie name [`DEFAULT_HOST_COOKIE_NAME`] (`__Host-session`), `HttpOnly`, `Secure`,
//! `SameSite=Lax`, `Path=/`, no `Domain` (the cookie goes back to the exact host that
//! set it), not `Partitioned`, and `Expires` equal to the token's signed expiry. Every
//! one of them can be changed on [`CookieConfigBuilder`]. Browsers do not store a
//! `Secure` cookie sent over plain `http://` (except, in most browsers, for
//! `localhost`): turn `Secure` off only for local development.
//!
//! When no name is set, the name depends on the other settings: it gets the strongest
//! prefix they allow (see "Cookie tossing" below).
//!
//! | settings | default name |
//! | --- | --- |
//! | `Secure` (the default), `Path=/`, no `Domain` | [`DEFAULT_HOST_COOKIE_NAME`] (`__Host-session`) |
//! | `Secure`, with a `Domain` or another `Path` | [`DEFAULT_SECURE_COOKIE_NAME`] (`__Secure-session`) |
//! | `Secure` off | [`DEFAULT_COOKIE_NAME`] (`session`) |
//!
//! A name set with [`CookieConfigBuilder::name`] is used exactly as given.
//!
//! # Cookie tossing
//!
//! A browser sends every cookie whose domain and path match the request, and the
//! `Cookie:` header does not say which host set which. So anyone who can set a cookie
//! for a parent domain (a sibling subdomain such as `evil.example.com`, or any page of
//! the site served over plain HTTP) can plant `session=<their own valid token>;
//! Domain=example.com` beside the session cookie of `app.example.com` ("cookie
//! tossing"). Two defences:
//!
//! - **The `__Host-` prefix** (the default name). Browsers accept a cookie whose name
//!   starts with `__Host-` only with `Secure`, `Path=/`, no `Domain`, and from a secure
//!   origin, so no other host can set one that is sent to yours. `__Secure-` only
//!   requires `Secure` and a secure origin: it keeps out plain-HTTP pages and network
//!   attackers, not a sibling subdomain served over HTTPS.
//! - **Ambiguity is never resolved by deleting.** When a request carries two different
//!   valid cookies of the session's name (or more than [`MAX_SAME_NAME_COOKIES`] of
//!   them), reading fails with [`Error::AmbiguousCookie`] and the session layer treats
//!   the request as having no session
//!   ([`SessionSource::Ambiguous`](crate::session::SessionSource::Ambiguous)) without
//!   sending a removal cookie: a removal cookie carries no `Domain` and would delete
//!   only the host's own cookie, leaving the planted one to win on the next request.
//!
//! With a name without the `__Host-` prefix, a planted cookie still locks the user out
//! while it lasts, and logs in a visitor who has no session cookie of their own as the
//! attacker: only the prefix prevents that.
//!
//! # The cookie name is signed
//!
//! A token made for one cookie name never verifies under another, so a token cannot
//! be moved from one cookie (say, a low-privilege one) to another. The salt given to
//! the [`Codec`] is not the configured salt itself but this byte string, which
//! another implementation can rebuild exactly:
//!
//! ```text
//! signing salt = "sessionlib.cookie.v1"           ; 20 ASCII bytes, fixed
//!                || u32be(len(salt)) || salt       ; the configured salt
//!                || u32be(len(name)) || name       ; the cookie name, ASCII
//! ```
//!
//! `u32be(n)` is `n` as four big-endian bytes. Each variable part is length-prefixed,
//! so no two different (salt, name) pairs give the same bytes (with a plain
//! concatenation, salt `ab` + name `c` and salt `a` + name `bc` would collide). The
//! rest of the token format is the one described in the crate documentation, with
//! `derived_key = HMAC-SHA256(key = secret, message = signing salt)`.
//! [`binding_salt`] computes these bytes; `tests/vectors/cookie.json` pins them with
//! test vectors.
//!
//! # Cookie prefixes
//!
//! Names starting with `__Secure-` or `__Host-` (compared ASCII case-insensitively, as
//! browsers do) get the browser rules checked by [`CookieConfigBuilder::try_build`]:
//! `__Secure-` needs `Secure`; `__Host-` needs `Secure`, `Path=/` and no `Domain`. A
//! `Partitioned` or `SameSite=None` cookie needs `Secure` too. A configuration that
//! breaks a rule is refused with [`Error::CookieConfig`] rather than producing cookies
//! the browser silently drops.
//!
//! # Reading
//!
//! The `Cookie:` header value is read as bytes (it need not be UTF-8):
//!
//! - A header longer than [`MAX_COOKIE_HEADER_LEN`] (16 KiB) is refused with
//!   [`Error::TooLarge`] without being parsed.
//! - It is split at `;`; spaces and tabs around names and values are ignored. A pair
//!   without `=` and a pair with an empty name are ignored.
//! - Names are compared byte for byte with the configured name: no case folding, no
//!   URL-decoding. Values are not URL-decoded or unquoted either: a token never
//!   contains characters that need it, so a quoted or encoded value is not a token.
//! - Several cookies may have the session's name (for example one set with another
//!   `Path` or `Domain`). Each is verified. If exactly one distinct token verifies, it
//!   is the session. If two different tokens verify, the result is
//!   [`Error::AmbiguousCookie`]: the request is treated as having no session rather
//!   than guessing. At most [`MAX_SAME_NAME_COOKIES`] (8) cookies of the name are
//!   examined; a header with more is ambiguous too. After changing the cookie's `Path`
//!   or `Domain`, change its name as well, so old cookies do not linger beside new
//!   ones.
//! - With no cookie of that name the result is `Ok(None)`. When none verifies, the
//!   error is [`Error::Expired`] if one was validly signed but expired, otherwise the
//!   error of the first one.
//!
//! A [`CookieJar`] holds at most one cookie per name, so
//! [`CookieConfig::decode_jar`] reads that one: a jar built from a header with several
//! cookies of the name has already dropped all but one, and cannot report the
//! ambiguity. Read the raw header when you can.
//!
//! # Large sessions (chunking)
//!
//! With [`CookieConfigBuilder::max_chunks`] above 1 (it defaults to 1: off), a token
//! too long for one cookie is split across up to that many cookies, at most
//! [`MAX_CHUNKS`] (4). The whole token is signed (or sealed) once, as for one cookie,
//! and then cut into pieces, so the MAC or AEAD tag covers the reassembled token.
//!
//! - **Names**: chunk 0 is the cookie name itself, chunk *i* is `<name>.<i>`
//!   (`__Host-session`, `__Host-session.1`, `__Host-session.2`, …), so every chunk keeps
//!   the `__Host-`/`__Secure-` prefix and its protection, and has the same attributes.
//! - **Values**: a token that fits in one cookie is written exactly as without
//!   chunking (one cookie, no marker). Otherwise the first chunk's value is
//!   `<n>~<part 0>`, where `<n>` is the number of chunks (one digit, 2 to 4) and `~`
//!   occurs in no token, and chunk *i* holds part *i*. Each part is as long as its
//!   cookie's budget allows: 4096 bytes minus the chunk's name, `=` and its real
//!   attributes, so every `Set-Cookie` value is at most [`MAX_COOKIE_LEN`] bytes.
//! - **Reading** a header with chunk names: every chunk name must have one value (the
//!   same value twice counts once), the first chunk must announce a count from 2 to
//!   `max_chunks`, and exactly the chunk names below that count must be present, none
//!   empty. Then the parts are joined in name order and verified as one token. So a
//!   missing chunk, an extra chunk, a count beyond the maximum, chunks reordered, mixed
//!   from two generations or taken from another cookie name all fail, either the shape
//!   check ([`Error::Malformed`]) or verification ([`Error::InvalidSignature`]): no
//!   session, never a partial one. Two different values for one chunk name, or more
//!   than [`MAX_SAME_NAME_COOKIES`] of them, are [`Error::AmbiguousCookie`] (possibly
//!   a planted cookie, see "Cookie tossing"). A header with only the cookie name
//!   itself is read as described in "Reading", and a first chunk whose companions are
//!   all missing is [`Error::Malformed`].
//! - **Removing**: the session layer remembers which chunk names a request carried and
//!   removes, in the same response, those a smaller session no longer uses (all of
//!   them when the session ends or was refused, except for an ambiguous request,
//!   which never gets removal cookies). A header too large to read
//!   ([`MAX_COOKIE_HEADER_LEN`]) gets removal cookies for every chunk name.
//!   [`CookieConfig::removal_cookies`] removes them all at the cookie layer.
//! - **Writing** at the cookie layer: [`CookieConfig::encode_chunks_until`] returns the
//!   cookies to set; [`CookieConfig::encode_until`] still makes one cookie or fails.
//!   A session that does not fit in `max_chunks` cookies is [`Error::CookieTooLarge`].
//!
//! Names `<name>.0`, `<name>.01` or `<name>.<i>` with *i* ≥ [`MAX_CHUNKS`] are not chunk
//! names: they are other cookies, as is every chunk name when `max_chunks` is 1.
//! Lowering `max_chunks` makes sessions with more chunks invalid (and removed); turning
//! chunking off leaves their `.1`… chunks in browsers until they expire.
//!
//! With a name without the `__Host-` prefix, a cookie planted by another host under a
//! chunk name (even one that is not valid) ends the session while it lasts: a chunk
//! cannot be verified on its own, so there is no valid companion to fall back on.
//!
//! ## The limits a large session meets next
//!
//! - Every cookie goes with every request to the site (images and scripts included):
//!   a 12 KB session is 12 KB of upload per request.
//! - Servers and proxies limit request headers. nginx's `large_client_header_buffers`
//!   (default `4 8k`) refuses a request with one header line longer than a buffer, so a
//!   `Cookie:` header over 8 KB gets `400 Request Header Or Cookie Too Large`. Apache
//!   httpd's `LimitRequestFieldSize` defaults to 8190 bytes per header field. hyper
//!   (and so axum) reads at most about 400 KB of HTTP/1 headers by default
//!   (`max_buf_size`) and advertises an HTTP/2 `max_header_list_size` of 16 KB;
//!   actix-web's HTTP/1 decoder refuses a request head of 128 KiB or more. This module
//!   parses `Cookie:` headers up to [`MAX_COOKIE_HEADER_LEN`] (16 KiB), which four full
//!   chunks fit, with little room left for the site's other cookies.
//! - Browsers: RFC 6265 asks for at least 4096 bytes per cookie and 50 cookies per
//!   domain; Chromium keeps at most 180 cookies per domain and evicts the oldest beyond
//!   that. A chunk the browser drops ends the session (a missing chunk).
//!
//! Behind a default nginx or Apache, two chunks are the practical ceiling.
//!
//! # Writing
//!
//! [`CookieConfig::encode`] returns a [`Cookie`]; its `Display` (`to_string()`) is the
//! `Set-Cookie` header value. If that value (name, value and attributes) would be
//! longer than [`MAX_COOKIE_LEN`] (4096 bytes, what browsers keep for one cookie), the
//! result is [`Error::CookieTooLarge`]. [`CookieConfig::removal_cookie`] is the
//! cookie that deletes the session cookie at logout: same name, `Path` and `Domain`,
//! an empty value, `Max-Age=0` and an `Expires` in 1970.

use serde::de::DeserializeOwned;
use serde::Serialize;
use time::{Duration, OffsetDateTime};

pub use ::cookie::{Cookie, CookieJar, SameSite};

use crate::chunk::{chunk_name, Assembled, ChunkSet, Chunks};
use crate::codec::{Codec, Verified, DEFAULT_SALT, DEFAULT_TTL};
use crate::error::{CookieConfigError, Error};
use crate::key::Keyring;

/// The cookie name used when none is set and `Secure` is off: `session`.
pub const DEFAULT_COOKIE_NAME: &str = "session";

/// The cookie name used when none is set, with `Secure` (the default), `Path=/` and no
/// `Domain`: `__Host-session`, which no other host can set (see "Cookie tossing" in the
/// module docs).
pub const DEFAULT_HOST_COOKIE_NAME: &str = "__Host-session";

/// The cookie name used when none is set, with `Secure` but a `Domain` or a `Path`
/// other than `/` (which the `__Host-` prefix forbids): `__Secure-session`.
pub const DEFAULT_SECURE_COOKIE_NAME: &str = "__Secure-session";

/// The longest `Set-Cookie` value (name, value and attributes) produced: 4096 bytes,
/// the size browsers are required to keep for one cookie.
pub const MAX_COOKIE_LEN: usize = 4096;

/// The longest `Cookie:` request header that is parsed: 16 KiB. Longer headers are
/// refused with [`Error::TooLarge`].
pub const MAX_COOKIE_HEADER_LEN: usize = 16 * 1024;

/// How many cookies with the session's name are examined in one header: 8. A header
/// with more is refused with [`Error::AmbiguousCookie`].
pub const MAX_SAME_NAME_COOKIES: usize = 8;

/// The most cookies one session may be split into: 4. Four chunks of at most
/// [`MAX_COOKIE_LEN`] bytes each fit, as a `Cookie:` header, within
/// [`MAX_COOKIE_HEADER_LEN`], so a session this layer writes can always be read back.
/// See "Large sessions" in the module docs.
pub const MAX_CHUNKS: usize = 4;

/// The fixed first bytes of the signing salt of a cookie (see the module docs).
pub const BINDING_PREFIX: &[u8] = b"sessionlib.cookie.v1";

/// The signing salt that binds `salt` and the cookie `name` together:
/// `"sessionlib.cookie.v1" || u32be(len(salt)) || salt || u32be(len(name)) || name`.
///
/// Fails with [`CookieConfigError::SaltTooLong`] (or `InvalidName` for a name) when a
/// part is longer than 2³² − 1 bytes.
///
/// ```
/// let salt = sessionlib::cookie::binding_salt(b"app", "sid")?;
/// assert_eq!(salt, b"sessionlib.cookie.v1\0\0\0\x03app\0\0\0\x03sid");
/// # Ok::<(), sessionlib::CookieConfigError>(())
/// ```
pub fn binding_salt(salt: &[u8], name: &str) -> Result<Vec<u8>, CookieConfigError> {
    let salt_len = u32::try_from(salt.len()).map_err(|_| CookieConfigError::SaltTooLong)?;
    let name_len = u32::try_from(name.len()).map_err(|_| CookieConfigError::InvalidName)?;
    let mut out = Vec::with_capacity(BINDING_PREFIX.len() + 8 + salt.len() + name.len());
    out.extend_from_slice(BINDING_PREFIX);
    out.extend_from_slice(&salt_len.to_be_bytes());
    out.extend_from_slice(salt);
    out.extend_from_slice(&name_len.to_be_bytes());
    out.extend_from_slice(name.as_bytes());
    Ok(out)
}

/// A session cookie: its name and attributes, and the codec that signs its value with
/// the cookie name bound into the signature.
///
/// Cheap to clone; build one at start-up with [`CookieConfig::builder`].
#[derive(Clone)]
pub struct CookieConfig {
    codec: Codec,
    name: String,
    path: String,
    domain: Option<String>,
    secure: bool,
    http_only: bool,
    same_site: SameSite,
    partitioned: bool,
    max_chunks: usize,
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
    keyring: Keyring,
    salt: Vec<u8>,
    ttl: Duration,
    leeway: Duration,
    name: Option<String>,
    path: String,
    domain: Option<String>,
    secure: bool,
    http_only: bool,
    same_site: SameSite,
    partitioned: bool,
    max_chunks: usize,
    #[cfg(feature = "sealed")]
    sealed: bool,
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
        self.sealed = sealed;
        self
    }

    /// The most cookies one session may be split into (see "Large sessions" in the
    /// module docs), from 1 to [`MAX_CHUNKS`] (4); [`try_build`](Self::try_build)
    /// refuses other values. A session too large for one cookie is split into chunk
    /// cookies named `<name>`, `<name>.1`, … `<name>.3`; one that does not fit in this
    /// many is refused with [`Error::CookieTooLarge`] when it is written.
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
    /// Defaults to [`DEFAULT_SALT`] (`sessionlib.session`).
    pub fn salt(mut self, salt: impl AsRef<[u8]>) -> Self {
        self.salt = salt.as_ref().to_vec();
        self
    }

    /// How long a cookie made by [`CookieConfig::encode`] stays valid (the signed
    /// expiry, also written as `Expires`). The session layer sets expiries itself and
    /// does not use this. As for [`CodecBuilder::ttl`](crate::codec::CodecBuilder::ttl),
    /// any duration is accepted: an expiry past the end of the time range (year 9999)
    /// means no limit and is written as that last second; one before 1970 makes
    /// `encode` fail with [`Error::ExpiryOutOfRange`].
    ///
    /// Defaults to [`DEFAULT_TTL`] (14 days).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// How long after its expiry a token is still accepted, for clock differences
    /// between servers. Negative values count as zero; a leeway that reaches past the
    /// end of the time range means no limit.
    ///
    /// Defaults to zero.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
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
    /// Fails with [`Error::CookieConfig`] for an invalid name, path or domain, or when
    /// a rule of the `__Secure-`/`__Host-` prefixes, `Partitioned` or `SameSite=None`
    /// is broken (see the module docs).
    pub fn try_build(self) -> Result<CookieConfig, Error> {
        let name = match self.name {
            Some(name) => name,
            None => default_name(self.secure, &self.path, self.domain.is_some()).to_owned(),
        };
        if !is_token(name.as_bytes()) {
            return Err(CookieConfigError::InvalidName.into());
        }
        if !is_valid_path(self.path.as_bytes()) {
            return Err(CookieConfigError::InvalidPath.into());
        }
        if let Some(domain) = &self.domain {
            if !is_valid_domain(domain.as_bytes()) {
                return Err(CookieConfigError::InvalidDomain.into());
            }
        }
        let name_bytes = name.as_bytes();
        if starts_with_ignore_case(name_bytes, b"__secure-") && !self.secure {
            return Err(CookieConfigError::SecurePrefixWithoutSecure.into());
        }
        if starts_with_ignore_case(name_bytes, b"__host-") {
            if !self.secure {
                return Err(CookieConfigError::HostPrefixWithoutSecure.into());
            }
            if self.path != "/" {
                return Err(CookieConfigError::HostPrefixWithPath.into());
            }
            if self.domain.is_some() {
                return Err(CookieConfigError::HostPrefixWithDomain.into());
            }
        }
        if self.partitioned && !self.secure {
            return Err(CookieConfigError::PartitionedWithoutSecure.into());
        }
        if self.same_site == SameSite::None && !self.secure {
            return Err(CookieConfigError::SameSiteNoneWithoutSecure.into());
        }
        if !(1..=MAX_CHUNKS).contains(&self.max_chunks) {
            return Err(CookieConfigError::InvalidMaxChunks.into());
        }
        let salt = binding_salt(&self.salt, &name)?;
        let codec = Codec::builder(self.keyring)
            .salt(salt)
            .ttl(self.ttl)
            .leeway(self.leeway)
            .max_token_len(MAX_COOKIE_LEN * self.max_chunks);
        #[cfg(feature = "sealed")]
        let codec = codec.sealed(self.sealed);
        let codec = codec.build();
        Ok(CookieConfig {
            codec,
            name,
            path: self.path,
            domain: self.domain,
            secure: self.secure,
            http_only: self.http_only,
            same_site: self.same_site,
            partitioned: self.partitioned,
            max_chunks: self.max_chunks,
        })
    }
}

impl CookieConfig {
    /// Starts a configuration for the given keys, with the defaults listed in the
    /// module docs.
    pub fn builder(keyring: impl Into<Keyring>) -> CookieConfigBuilder {
        CookieConfigBuilder {
            keyring: keyring.into(),
            salt: DEFAULT_SALT.as_bytes().to_vec(),
            ttl: DEFAULT_TTL,
            leeway: Duration::ZERO,
            name: None,
            path: "/".to_owned(),
            domain: None,
            secure: true,
            http_only: true,
            same_site: SameSite::Lax,
            partitioned: false,
            max_chunks: 1,
            #[cfg(feature = "sealed")]
            sealed: false,
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

    /// A session cookie holding `data`, expiring after the configured time-to-live.
    pub fn encode<T: Serialize + ?Sized>(&self, data: &T) -> Result<Cookie<'static>, Error> {
        self.encode_at(data, OffsetDateTime::now_utc())
    }

    /// Like [`CookieConfig::encode`], with `now` as the current time.
    pub fn encode_at<T: Serialize + ?Sized>(
        &self,
        data: &T,
        now: OffsetDateTime,
    ) -> Result<Cookie<'static>, Error> {
        let expiry = crate::codec::expiry_after(now.unix_timestamp_nanos(), self.codec.ttl());
        let expires_at =
            OffsetDateTime::from_unix_timestamp(expiry).map_err(|_| Error::ExpiryOutOfRange)?;
        self.encode_until(data, expires_at)
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

    /// The session cookies holding `data`, expiring after the configured time-to-live:
    /// one cookie when it fits, else up to [`max_chunks`](CookieConfigBuilder::max_chunks)
    /// chunk cookies (see "Large sessions" in the module docs). Set them all.
    pub fn encode_chunks<T: Serialize + ?Sized>(
        &self,
        data: &T,
    ) -> Result<Vec<Cookie<'static>>, Error> {
        let now = OffsetDateTime::now_utc();
        let expiry = crate::codec::expiry_after(now.unix_timestamp_nanos(), self.codec.ttl());
        let expires_at =
            OffsetDateTime::from_unix_timestamp(expiry).map_err(|_| Error::ExpiryOutOfRange)?;
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
        let too_large = |token_len: usize| Error::CookieTooLarge {
            len: token_len + self.name.len() + 1 + self.attributes_len(0),
            max: MAX_COOKIE_LEN,
        };
        let token = self
            .codec
            .encode_until(data, expires_at)
            .map_err(|e| match e {
                Error::TooLarge { len, .. } => too_large(len),
                other => other,
            })?;
        let expires = expires_at
            .replace_nanosecond(0)
            .map_err(|_| Error::ExpiryOutOfRange)?;
        // Each chunk's value gets what its name and attributes leave of MAX_COOKIE_LEN.
        let budgets: Vec<usize> = (0..self.max_chunks)
            .map(|i| {
                let empty = self.cookie_named(chunk_name(&self.name, i), String::new(), expires);
                MAX_COOKIE_LEN.saturating_sub(empty.to_string().len())
            })
            .collect();
        let values = crate::chunk::split(&token, &budgets).ok_or_else(|| too_large(token.len()))?;
        let cookies: Vec<Cookie<'static>> = values
            .into_iter()
            .enumerate()
            .map(|(i, value)| self.cookie_named(chunk_name(&self.name, i), value, expires))
            .collect();
        if let Some(len) = cookies
            .iter()
            .map(|c| c.to_string().len())
            .find(|&len| len > MAX_COOKIE_LEN)
        {
            return Err(Error::CookieTooLarge {
                len,
                max: MAX_COOKIE_LEN,
            });
        }
        Ok(cookies)
    }

    /// The length of the attributes of chunk `index`'s `Set-Cookie` value (everything
    /// after the value).
    fn attributes_len(&self, index: usize) -> usize {
        let name = chunk_name(&self.name, index);
        let empty = self.cookie_named(name.clone(), String::new(), OffsetDateTime::UNIX_EPOCH);
        empty.to_string().len().saturating_sub(name.len() + 1)
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

    /// Reads and verifies the session cookie from a raw `Cookie:` request header value,
    /// at the current time. `Ok(None)` when the header has no cookie of this name.
    ///
    /// HTTP/2 clients may send several `Cookie:` headers: join them with `"; "` first.
    /// See "Reading" in the module docs for the exact rules.
    pub fn decode_header<T: DeserializeOwned>(
        &self,
        header: impl AsRef<[u8]>,
    ) -> Result<Option<Verified<T>>, Error> {
        self.decode_header_at(header, OffsetDateTime::now_utc())
    }

    /// Like [`CookieConfig::decode_header`], with `now` as the current time.
    pub fn decode_header_at<T: DeserializeOwned>(
        &self,
        header: impl AsRef<[u8]>,
        now: OffsetDateTime,
    ) -> Result<Option<Verified<T>>, Error> {
        self.decode_header_chunks_at(header, now).0
    }

    /// Like [`CookieConfig::decode_header_at`], also returning the chunk names the header
    /// carried (all of them, unread, for a header too large to parse), so that the
    /// session layer can remove those it no longer uses.
    pub(crate) fn decode_header_chunks_at<T: DeserializeOwned>(
        &self,
        header: impl AsRef<[u8]>,
        now: OffsetDateTime,
    ) -> (Result<Option<Verified<T>>, Error>, ChunkSet) {
        let header = header.as_ref();
        if header.len() > MAX_COOKIE_HEADER_LEN {
            let error = Error::TooLarge {
                len: header.len(),
                max: MAX_COOKIE_HEADER_LEN,
            };
            return (Err(error), ChunkSet::below(self.max_chunks));
        }
        let chunks = Chunks::collect(cookie_pairs(header), &self.name, self.max_chunks);
        (self.decode_chunks(&chunks, now), chunks.seen())
    }

    /// Reads and verifies the session cookie from a [`CookieJar`], at the current time.
    /// `Ok(None)` when the jar has no cookie of this name.
    pub fn decode_jar<T: DeserializeOwned>(
        &self,
        jar: &CookieJar,
    ) -> Result<Option<Verified<T>>, Error> {
        self.decode_jar_at(jar, OffsetDateTime::now_utc())
    }

    /// Like [`CookieConfig::decode_jar`], with `now` as the current time.
    pub fn decode_jar_at<T: DeserializeOwned>(
        &self,
        jar: &CookieJar,
        now: OffsetDateTime,
    ) -> Result<Option<Verified<T>>, Error> {
        self.decode_jar_chunks_at(jar, now).0
    }

    /// Like [`CookieConfig::decode_jar_at`], also returning the chunk names the jar
    /// holds.
    pub(crate) fn decode_jar_chunks_at<T: DeserializeOwned>(
        &self,
        jar: &CookieJar,
        now: OffsetDateTime,
    ) -> (Result<Option<Verified<T>>, Error>, ChunkSet) {
        let pairs = (0..self.max_chunks).filter_map(|i| {
            let cookie = jar.get(&chunk_name(&self.name, i))?;
            Some((cookie.name().as_bytes(), cookie.value().as_bytes()))
        });
        let chunks = Chunks::collect(pairs, &self.name, self.max_chunks);
        (self.decode_chunks(&chunks, now), chunks.seen())
    }

    /// Verifies the session cookie among a request's chunk cookies; see "Reading" and
    /// "Large sessions" in the module docs.
    fn decode_chunks<T: DeserializeOwned>(
        &self,
        chunks: &Chunks<'_>,
        now: OffsetDateTime,
    ) -> Result<Option<Verified<T>>, Error> {
        match chunks.assemble(self.max_chunks)? {
            Assembled::Whole(values) => pick_one(values.into_iter(), |token| {
                // A first chunk whose companions are all missing.
                if crate::chunk::split_head(token.as_bytes()).is_some() {
                    return Err(Error::Malformed);
                }
                self.codec.decode_at::<T>(token, now)
            }),
            Assembled::Chunked(token) => self.codec.decode_at::<T>(&token, now).map(Some),
        }
    }
}

/// The session among several cookie values of the same name, each verified with
/// `decode`: the one distinct value that verifies, `Ok(None)` for no values, and
/// [`Error::AmbiguousCookie`] when two different values verify or there are more than
/// [`MAX_SAME_NAME_COOKIES`]. When none verifies, the error is `Expired` if one was
/// validly signed but expired, otherwise the first error.
pub(crate) fn pick_one<'a, V>(
    candidates: impl Iterator<Item = &'a [u8]>,
    mut decode: impl FnMut(&str) -> Result<V, Error>,
) -> Result<Option<V>, Error> {
    // The first validly signed, unexpired value, with its decoding result (which can
    // still be a payload error).
    let mut found: Option<(&[u8], Result<V, Error>)> = None;
    let mut error: Option<Error> = None;
    for (count, value) in candidates.enumerate() {
        if count >= MAX_SAME_NAME_COOKIES {
            return Err(Error::AmbiguousCookie);
        }
        if let Some((token, _)) = &found {
            if *token == value {
                continue;
            }
        }
        let result = match std::str::from_utf8(value) {
            Ok(text) => decode(text),
            Err(_) => Err(Error::Malformed),
        };
        match result {
            Ok(_) | Err(Error::Deserialize(_)) => {
                if found.is_some() {
                    return Err(Error::AmbiguousCookie);
                }
                found = Some((value, result));
            }
            Err(e) => {
                let replace = match (&error, &e) {
                    (None, _) => true,
                    (Some(Error::Expired { .. }), _) => false,
                    (Some(_), Error::Expired { .. }) => true,
                    _ => false,
                };
                if replace {
                    error = Some(e);
                }
            }
        }
    }
    match (found, error) {
        (Some((_, result)), _) => result.map(Some),
        (None, Some(e)) => Err(e),
        (None, None) => Ok(None),
    }
}

/// The values of the cookies named `name` in a raw `Cookie:` header value, in order,
/// read by the rules of "Reading" in the module docs (byte-for-byte names, no
/// decoding, nameless pairs ignored). Headers longer than [`MAX_COOKIE_HEADER_LEN`]
/// are refused with [`Error::TooLarge`].
///
/// This is for cookies this module does not make, such as a Flask session cookie.
pub fn cookie_values_in_header<'a>(
    header: &'a [u8],
    name: &'a str,
) -> Result<impl Iterator<Item = &'a [u8]> + 'a, Error> {
    if header.len() > MAX_COOKIE_HEADER_LEN {
        return Err(Error::TooLarge {
            len: header.len(),
            max: MAX_COOKIE_HEADER_LEN,
        });
    }
    Ok(cookie_values(header, name.as_bytes()))
}

/// The values of the cookies named `name` in a `Cookie:` header, in order.
fn cookie_values<'a>(header: &'a [u8], name: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    cookie_pairs(header).filter_map(move |(pair_name, value)| (pair_name == name).then_some(value))
}

/// The names and values of the cookies in a `Cookie:` header, in order: split at `;`,
/// spaces and tabs trimmed, pairs without `=` or with an empty name left out.
fn cookie_pairs(header: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    header.split(|&b| b == b';').filter_map(|pair| {
        let eq = pair.iter().position(|&b| b == b'=')?;
        let (pair_name, eq_value) = pair.split_at(eq);
        let pair_name = trim_ows(pair_name);
        if pair_name.is_empty() {
            return None;
        }
        Some((pair_name, trim_ows(eq_value.get(1..).unwrap_or_default())))
    })
}

/// Strips spaces and horizontal tabs from both ends.
fn trim_ows(bytes: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !is_ows(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    bytes.get(start..end).unwrap_or_default()
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
    use super::*;
    use crate::{Key, KeyUsed};
    use serde_json::{json, Value};

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap()
    }

    fn key(byte: u8) -> Key {
        Key::from_bytes(&[byte; 32]).unwrap()
    }

    /// A configuration named `session` (the parsing tests read headers by that name).
    fn config() -> CookieConfig {
        CookieConfig::builder(key(1))
            .name("session")
            .try_build()
            .unwrap()
    }

    fn token(config: &CookieConfig, data: &Value) -> String {
        config.encode_at(data, now()).unwrap().value().to_owned()
    }

    fn read(config: &CookieConfig, header: &[u8]) -> Result<Option<Value>, Error> {
        config
            .decode_header_at::<Value>(header, now())
            .map(|v| v.map(|v| v.data))
    }

    #[test]
    fn defaults_are_safe() {
        let config = CookieConfig::builder(key(1)).try_build().unwrap();
        let cookie = config.encode_at(&json!({"a": 1}), now()).unwrap();
        let text = cookie.to_string();
        let expiry = now() + DEFAULT_TTL;
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
            .decode_header_at::<Value>(format!("__Host-session={}", cookie.value()), now())
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
        let text = config.encode_at(&json!(1), now()).unwrap().to_string();
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
        let text = config.encode_at(&json!(1), now()).unwrap().to_string();
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
        let err = |e| Err(Error::CookieConfig(e));
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
    fn the_name_is_bound_into_the_signature() {
        let a = CookieConfig::builder(key(1)).name("a").try_build().unwrap();
        let b = CookieConfig::builder(key(1)).name("b").try_build().unwrap();
        let t = token(&a, &json!({"admin": true}));
        assert_eq!(
            read(&a, format!("a={t}").as_bytes()),
            Ok(Some(json!({"admin": true})))
        );
        assert_eq!(
            read(&b, format!("b={t}").as_bytes()),
            Err(Error::InvalidSignature)
        );
        // A plain concatenation of salt and name would make these two equal.
        let ab_c = CookieConfig::builder(key(1))
            .salt("ab")
            .name("c")
            .try_build()
            .unwrap();
        let a_bc = CookieConfig::builder(key(1))
            .salt("a")
            .name("bc")
            .try_build()
            .unwrap();
        let t = token(&ab_c, &json!(1));
        assert_eq!(
            read(&a_bc, format!("bc={t}").as_bytes()),
            Err(Error::InvalidSignature)
        );
        // And a plain codec with the configured salt does not accept cookie tokens.
        let plain = Codec::new(key(1));
        assert_eq!(
            plain.decode_at::<Value>(&token(&config(), &json!(1)), now()),
            Err(Error::InvalidSignature)
        );
    }

    #[test]
    fn header_parsing_picks_the_exact_name() {
        let c = config();
        let t = token(&c, &json!("me"));
        let ok = Ok(Some(json!("me")));
        assert_eq!(read(&c, format!("session={t}").as_bytes()), ok);
        assert_eq!(read(&c, format!("a=1;session={t};b=2").as_bytes()), ok);
        assert_eq!(
            read(&c, format!(" \ta=1 ;  session = {t} \t; b").as_bytes()),
            ok
        );
        assert_eq!(read(&c, b""), Ok(None));
        assert_eq!(read(&c, b"a=1; b=2"), Ok(None));
        // No case folding, no URL-decoding of names, no prefix matching.
        assert_eq!(read(&c, format!("Session={t}").as_bytes()), Ok(None));
        assert_eq!(read(&c, format!("sessio%6E={t}").as_bytes()), Ok(None));
        assert_eq!(
            read(&c, format!("xsession={t}; sessionx={t}").as_bytes()),
            Ok(None)
        );
        // Nameless pairs are ignored, not taken as the session.
        assert_eq!(read(&c, format!("={t}; {t}").as_bytes()), Ok(None));
        assert_eq!(read(&c, format!("{t}; session={t}").as_bytes()), ok);
        // Quoted or percent-encoded values are not tokens.
        assert_eq!(
            read(&c, format!("session=\"{t}\"").as_bytes()),
            Err(Error::Malformed)
        );
        let encoded = t.replace('.', "%2E");
        assert_eq!(
            read(&c, format!("session={encoded}").as_bytes()),
            Err(Error::Malformed)
        );
        // An empty value is not a session.
        assert_eq!(read(&c, b"session="), Err(Error::Malformed));
    }

    #[test]
    fn hostile_headers_never_panic() {
        let c = config();
        let t = token(&c, &json!(1));
        let mut inputs: Vec<Vec<u8>> = vec![
            b";;;;".to_vec(),
            b"=".to_vec(),
            b"session".to_vec(),
            b"session=;session=".to_vec(),
            "session=é; é=é; \u{1F36A}=\u{1F36A}".as_bytes().to_vec(),
            vec![0xff, 0xfe, b'=', 0x80],
            [b"session=".as_slice(), &[0xc3]].concat(),
            format!("session={t}\u{e9}").into_bytes(),
            format!("s\u{e9}ssion={t}").into_bytes(),
            b"session=\x00".to_vec(),
        ];
        for cut in 0..t.len() {
            let mut v = b"session=".to_vec();
            v.extend_from_slice(&t.as_bytes()[..cut]);
            inputs.push(v);
        }
        for input in inputs {
            let r = read(&c, &input);
            assert!(!matches!(r, Ok(Some(_))), "{input:?}");
        }
        // Non-ASCII elsewhere in the header does not hide a valid session.
        let header = format!("n\u{e9}=\u{1F36A}; session={t}; x=\"q\"");
        assert_eq!(read(&c, header.as_bytes()), Ok(Some(json!(1))));
        let mut header = vec![0xff, b'=', 0xfe, b';'];
        header.extend_from_slice(format!("session={t}").as_bytes());
        assert_eq!(read(&c, &header), Ok(Some(json!(1))));
    }

    #[test]
    fn every_changed_byte_is_refused() {
        let c = config();
        let t = token(&c, &json!({"user": "cobra", "admin": false}));
        // Miri checks one replacement per position; the others take the same paths.
        let replacements: &[u8] = if cfg!(miri) { b"A" } else { b"Az-.=" };
        for i in 0..t.len() {
            for &replacement in replacements {
                let mut bytes = t.clone().into_bytes();
                if bytes[i] == replacement {
                    continue;
                }
                bytes[i] = replacement;
                let header = [b"session=".as_slice(), &bytes].concat();
                let r = read(&c, &header);
                assert!(r.is_err(), "position {i}: {r:?}");
            }
        }
        // Appending, truncating, and swapping parts between two tokens.
        let u = token(&c, &json!({"user": "viper"}));
        let (tp, tr) = t.split_once('.').unwrap();
        let (up, ur) = u.split_once('.').unwrap();
        for bad in [
            format!("{t}A"),
            t[1..].to_owned(),
            format!("{tp}.{ur}"),
            format!("{up}.{tr}"),
        ] {
            assert!(
                read(&c, format!("session={bad}").as_bytes()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn huge_headers_are_refused_before_parsing() {
        let c = config();
        let t = token(&c, &json!(1));
        let mut header = format!("session={t}; pad=");
        header.push_str(&"x".repeat(MAX_COOKIE_HEADER_LEN - header.len()));
        assert_eq!(read(&c, header.as_bytes()), Ok(Some(json!(1))));
        header.push('x');
        assert_eq!(
            read(&c, header.as_bytes()),
            Err(Error::TooLarge {
                len: MAX_COOKIE_HEADER_LEN + 1,
                max: MAX_COOKIE_HEADER_LEN
            })
        );
    }

    #[test]
    fn duplicates_fail_closed_when_they_differ() {
        let c = config();
        let t1 = token(&c, &json!({"user": "a"}));
        let t2 = token(&c, &json!({"user": "b"}));
        let expired = c
            .encode_until(&json!({"user": "c"}), now() - Duration::seconds(1))
            .unwrap()
            .value()
            .to_owned();
        let other = token(
            &CookieConfig::builder(key(2))
                .name("session")
                .try_build()
                .unwrap(),
            &json!(0),
        );
        let one = Ok(Some(json!({"user": "a"})));
        // The same token twice is one session.
        assert_eq!(
            read(&c, format!("session={t1}; session={t1}").as_bytes()),
            one
        );
        // Invalid, forged, expired and garbage companions are skipped.
        let h = format!("session=junk; session={other}; session={expired}; session={t1}; session=");
        assert_eq!(read(&c, h.as_bytes()), one);
        // Two different valid tokens: refuse to guess.
        let h = format!("session={t1}; session={t2}");
        assert_eq!(read(&c, h.as_bytes()), Err(Error::AmbiguousCookie));
        // Too many candidates.
        let h = vec![format!("session={t1}"); MAX_SAME_NAME_COOKIES + 1].join("; ");
        assert_eq!(read(&c, h.as_bytes()), Err(Error::AmbiguousCookie));
        let h = vec![format!("session={t1}"); MAX_SAME_NAME_COOKIES].join("; ");
        assert_eq!(read(&c, h.as_bytes()), one);
        // When none verifies, an expired one is reported as such.
        let h = format!("session=junk; session={expired}; session={other}");
        assert!(matches!(read(&c, h.as_bytes()), Err(Error::Expired { .. })));
        let h = format!("session=junk; session={other}");
        assert_eq!(read(&c, h.as_bytes()), Err(Error::Malformed));
    }

    #[test]
    fn fallback_keys_are_reported() {
        let old = config();
        let rotated = CookieConfig::builder(Keyring::new(key(9)).with_fallback(key(1)))
            .name("session")
            .try_build()
            .unwrap();
        let t = token(&old, &json!(1));
        let v = rotated
            .decode_header_at::<Value>(format!("session={t}"), now())
            .unwrap()
            .unwrap();
        assert_eq!(v.key_used, KeyUsed::Fallback(0));
        assert!(v.needs_reissue());
    }

    #[test]
    fn jar_reading() {
        let c = config();
        let mut jar = CookieJar::new();
        assert_eq!(c.decode_jar_at::<Value>(&jar, now()), Ok(None));
        jar.add_original(c.encode_at(&json!(5), now()).unwrap());
        let v = c.decode_jar_at::<Value>(&jar, now()).unwrap().unwrap();
        assert_eq!(v.data, json!(5));
        jar.add_original(Cookie::new("session", "forged"));
        assert_eq!(c.decode_jar_at::<Value>(&jar, now()), Err(Error::Malformed));
    }

    #[test]
    fn size_limit_is_an_error_not_a_dropped_cookie() {
        let c = config();
        // Find the largest payload that fits, then one more byte. Fitting is monotone
        // in the length, so a binary search between a fit and a miss finds it.
        let fits = |n: usize| c.encode_at(&"x".repeat(n), now());
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
            c.encode_at(&"x".repeat(5000), now()),
            Err(Error::CookieTooLarge { .. })
        ));
        // Longer attributes leave less room for the value.
        let long = CookieConfig::builder(key(1))
            .path(format!("/{}", "p".repeat(200)))
            .try_build()
            .unwrap();
        assert!(matches!(
            long.encode_at(&"x".repeat(n), now()),
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

    #[test]
    fn debug_shows_no_key() {
        let text = format!("{:?}", config());
        assert!(text.contains("name: \"session\""));
        assert!(!text.contains("[1, 1"));
        assert!(!text.contains("1, 1, 1"));
    }
}
