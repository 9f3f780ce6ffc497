//! Layer 5: the session cookie.
//!
//! [`CookieConfig`] puts a signed token (layer 4, [`Codec`]) into a cookie with safe
//! attributes, and reads it back from a request's `Cookie:` header or a
//! [`CookieJar`].
//!
//! ```
//! use sessionlib::cookies::CookieConfig;
//! use sessionlib::{Key, Keyring};
//! # fn main() -> Result<(), sessionlib::Error> {
//! let config = CookieConfig::builder(Keyring::new(Key::generate())).try_build()?;
//!
//! // Writing: a `Set-Cookie` value with the signed expiry (here a day away) as `Expires`.
//! let cookie = config.encode(&serde_json::json!({"user": "cobra"}), sessionlib::time::Duration::DAY)?;
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
//!   ([`MAX_COOKIE_HEADER_LEN`]) proves nothing about the session cookie, so it gets
//!   no cookie at all (see
//!   [`SessionSource::Unreadable`](crate::session::SessionSource::Unreadable)).
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

pub use ::cookie::{Cookie, CookieJar, SameSite};

pub use config::{CookieConfig, CookieConfigBuilder};
pub use header::cookie_values_in_header;
#[cfg(any(feature = "flask", feature = "django", feature = "iron"))]
pub(crate) use header::pick_one;

#[cfg(doc)]
use crate::codec::Codec;
use crate::error::CookieConfigError;
#[cfg(doc)]
use crate::error::Error;

pub(crate) mod chunk;
mod config;
mod header;
mod set_cookie;
#[cfg(test)]
mod testing;

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
pub(crate) const BINDING_PREFIX: &[u8] = b"sessionlib.cookie.v1";

/// The signing salt that binds `salt` and the cookie `name` together:
/// `"sessionlib.cookie.v1" || u32be(len(salt)) || salt || u32be(len(name)) || name`.
///
/// Fails with [`CookieConfigError::SaltTooLong`] (or `InvalidName` for a name) when a
/// part is longer than 2³² − 1 bytes.
///
/// ```
/// let salt = sessionlib::cookies::binding_salt(b"app", "sid")?;
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

#[cfg(test)]
mod tests {
    use super::testing::{config, key, now, read, token};
    use super::*;
    use crate::codec::Codec;
    use crate::error::Error;
    use serde_json::{json, Value};

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
}
