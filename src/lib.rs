//! Signed, stateless, client-side cookie sessions.
//!
//! sessionlib keeps a web app's session in one signed cookie: the data (any serde type,
//! or a dynamic [`serde_json::Value`]) as JSON, with an expiry inside the signature. The
//! server keeps nothing. Anyone can read the cookie; nobody without the key can change
//! it, extend it, or use it for another purpose. Handlers take a [`Session`] in axum,
//! actix-web and Rocket (features `axum`, `actix`, `rocket`); any other framework uses
//! the layers below.
//!
#![cfg_attr(
    all(feature = "axum", feature = "actix"),
    doc = r#"# Quick start: axum

```toml
[dependencies]
sessionlib = { version = "0.1", features = ["axum"] }
axum = "0.8"
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
```

```rust,no_run
use axum::{routing::get, Router};
use sessionlib::axum::{Session, SessionLayer};
use sessionlib::{CookieConfig, Keyring, SessionConfig};

async fn visits(session: Session) -> String {
    let n: u32 = session.get("visits").unwrap_or(0) + 1;
    session.insert("visits", &n).expect("a number serializes");
    format!("visit #{n}")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // At least 32 bytes each (make one with `openssl rand -hex 32`); the previous key
    // keeps old cookies valid during a rotation.
    let keys = Keyring::from_env("MYAPP_SECRET_KEY", &["MYAPP_PREVIOUS_KEY"])?;
    let sessions = SessionConfig::builder(CookieConfig::builder(keys).try_build()?).build();
    let app = Router::new()
        .route("/", get(visits))
        .layer(SessionLayer::new(sessions));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
```

# Quick start: actix-web

```toml
[dependencies]
sessionlib = { version = "0.1", features = ["actix"] }
actix-web = "4"
```

```rust,no_run
use actix_web::{web, App, HttpServer};
use sessionlib::actix::{Session, SessionMiddleware};
use sessionlib::{CookieConfig, Keyring, SessionConfig};

async fn visits(session: Session) -> String {
    let n: u32 = session.get("visits").unwrap_or(0) + 1;
    session.insert("visits", &n).expect("a number serializes");
    format!("visit #{n}")
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // At least 32 bytes each (make one with `openssl rand -hex 32`).
    let keys = Keyring::from_env("MYAPP_SECRET_KEY", &["MYAPP_PREVIOUS_KEY"])?;
    let sessions = SessionConfig::builder(CookieConfig::builder(keys).try_build()?).build();
    HttpServer::new(move || {
        App::new()
            .wrap(SessionMiddleware::new(sessions.clone()))
            .route("/", web::get().to(visits))
    })
    .bind(("127.0.0.1", 3000))?
    .run()
    .await?;
    Ok(())
}
```

The cookie is `__Host-session`: `Secure`, `HttpOnly`, `SameSite=Lax`, so browsers keep
it over HTTPS (and on `http://localhost`). The handler's [`Session`] has the methods
(`get`, `insert`, `log_in`, `log_out_everywhere`, `flash`, `set_lifetime`, ...); the
layer and the middleware guard against cross-origin state changes by default.

# Recipes

[`guide::recipes`]: log in, log out with a flash message, log out everywhere, remember
me, browser sessions, a typed session, keys and rotation, testing with the clock, and
the table of every expiry setting ("how long does a session last?"). The other pages of
the [`guide`]: the [integrations](guide::integrations), [revocation and
Redis](guide::redis), [large sessions](guide::chunking), [sealed
sessions](guide::sealed), [Flask](guide::flask), [Django](guide::django), [the
command-line tool](guide::cli), [the wire format](guide::wire_format),
[security](guide::security), and [tokens, cookies and sessions by hand](guide::by_hand).
"#
)]
#![cfg_attr(
    not(all(feature = "axum", feature = "actix")),
    doc = "The quick starts for axum and actix-web and the recipes are shown with the \
           features `axum` and `actix` (as on docs.rs); see the [`guide`].\n"
)]
//!
//! # Tokens without a framework
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use sessionlib::{Codec, Error, Key, Keyring, KeyUsed};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Login {
//!     user_id: u64,
//!     name: String,
//! }
//!
//! # fn main() -> Result<(), Error> {
//! let secret = [42u8; 32]; // in production: a random secret from your secret store
//! let codec = Codec::builder(Keyring::new(Key::from_bytes(&secret)?))
//!     .salt("shop.session")
//!     .ttl(time::Duration::hours(2))
//!     .build();
//!
//! let token = codec.encode(&Login { user_id: 7, name: "cobra".into() })?;
//! let verified = codec.decode::<Login>(&token)?;
//! assert_eq!(verified.data.name, "cobra");
//! assert_eq!(verified.key_used, KeyUsed::Primary);
//!
//! // Any change to the token is caught.
//! let forged = token.replacen('e', "f", 1);
//! assert!(codec.decode::<Login>(&forged).is_err());
//! # Ok(())
//! # }
//! ```
//!
//! # Layers
//!
//! Each module builds only on the ones before it (no module uses one of a later
//! layer, and no two modules use each other; `tests/it/modules.rs` reads the sources
//! and fails otherwise):
//!
//! 1. `encoding`, [`clock`], [`error`], `json`, `compress`: the foundations, each on
//!    nothing else of the crate — strict base64url and the timestamp integer codec;
//!    the [`clock`] every builder whose calls read the time takes
//!    ([`clock::ManualClock`] for tests); the error types; the JSON nesting limit and
//!    the (de)serialization every profile uses; zlib (feature `zlib`) and its
//!    [`Inflate`] limits.
//! 2. [`key`]: [`Key`] (a secret, redacted in `Debug`, zeroized on drop) and
//!    [`Keyring`] (a primary key that signs, fallback keys that only verify).
//! 3. [`signer`], `sealed`: the two envelopes — HMAC with derived keys and
//!    constant-time verification against a keyring; and (feature `sealed`)
//!    XChaCha20-Poly1305 under the same keyring.
//! 4. `token`: the token grammar every signed profile shares (three parts, a
//!    separator, an optional compression marker).
//! 5. [`codec`], [`unverified`]: [`Codec`], typed encoding and decoding with expiry,
//!    signed or sealed (`CodecBuilder::sealed`), with opt-in zlib compression; and
//!    [`inspect_unverified`], which reads a token *without* verifying it, for
//!    debugging.
//! 6. [`cookies`]: [`CookieConfig`], the session cookie: safe attributes, the cookie
//!    name bound into the signature, `__Host-`/`__Secure-` rules, strict reading of
//!    the `Cookie:` request header, the 4096-byte limit.
//! 7. `data`: the session's contents, [`SessionData`] (a JSON map with flash messages,
//!    the user and the session id) and [`SessionEntry`], public in [`session`].
//! 8. [`revocation`]: the [`Revocation`] store asked after the expiry checks ("log out
//!    everywhere", bans, one session, the registry of a user's sessions), with
//!    [`MemoryRevocation`] for one process.
//! 9. [`session`]: [`SessionConfig`] (request header in, response headers out; idle
//!    timeout, absolute lifetime, throttled refresh, the revocation checks, the
//!    registry, metrics).
//! 10. `signing_time`, `flask`, `django`, `iron`, `pyjson`, `redis`: the profiles and
//!     the Redis store, each behind its feature — the core the signing-time profiles
//!     share (settings, the order of checks, the age limits, the verified result, with
//!     one `Profile` implementation per profile for what differs); Flask's session cookie (HMAC-SHA1, the signing time
//!     as timestamp, Flask's tagged JSON, compression); Django's signed-cookie
//!     sessions and `django.core.signing` tokens (`:` separators, a base62 signing
//!     time, `salted_hmac` keys, Django's login and messages in the session); `Fe26.2`
//!     tokens as iron-session (Next.js), WorkOS AuthKit, h3 (Nuxt) and @hapi/iron seal
//!     them; the Python-compatible JSON the first two share; and `RedisRevocation`, a
//!     revocation store for a fleet.
//! 11. [`handle`], `guard`, `integration`, `http`, `tower`, `axum`, `actix`, `rocket`:
//!     the integrations, thin adapters over layer 9 — [`Session`], the handle they
//!     lend to handlers (and [`Typed`]); [`OriginGuard`], their same-origin guard
//!     against cross-site requests, on by default; `integration`, the shell they share
//!     (the request's headers, the guard, opening the session before the handler and
//!     closing it after, the one response-header rule); `SessionConfig::load_headers`/
//!     `save_headers` on `http` types (feature `http`); a `SessionLayer` for hyper or
//!     any tower stack (feature `tower`); the layer and a `Session` extractor for axum
//!     (feature `axum`); a middleware and a `Session` extractor for actix-web (feature
//!     `actix`); a fairing and a `Session` request guard for Rocket (feature `rocket`).
//! 12. [`guide`]: the documentation pages, no code.
//!
//! `examples/axum.rs` and `examples/actix_web.rs` are complete apps on the
//! integrations, with no glue of their own.
//!
//! The `sessionlib` command-line tool (feature `cli`) wraps both ways of reading a
//! token, verified and unverified.
//!
//! # Wire format
//!
//! ```text
//! token       = payload "." timestamp "." signature
//! payload     = b64(compact JSON of the session data)
//! timestamp   = b64(expiry in Unix seconds, big-endian, leading zero bytes removed)
//! signature   = b64(HMAC-SHA256(derived_key, payload "." timestamp))
//! derived_key = HMAC-SHA256(key = secret, message = salt)
//! b64         = base64url (A-Z a-z 0-9 - _), no "=" padding
//! ```
//!
//! This is byte for byte the layout of Python itsdangerous's `URLSafeTimedSerializer`
//! with `signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha256}`,
//! except that sessionlib writes the *expiry* where itsdangerous writes the *signing
//! time*. Decoding is strict: every accepted token has exactly one spelling. Padding,
//! whitespace, `+` or `/`, extra dots, non-canonical base64 (non-zero unused bits), a
//! timestamp that is empty, longer than 8 bytes or starts with a zero byte, and a
//! signature that is not exactly 32 bytes are all [`Error::Malformed`].
//!
//! Decoding checks, in this order: the length limit, the shape, the signature (against
//! each key, primary first, in constant time), the expiry, and only then decodes and
//! parses the payload. Nothing unverified is parsed, and an expired token is reported
//! as [`Error::Expired`] only when its signature is valid.
//!
//! # Security
//!
//! - **Signed, not encrypted.** The session data is base64-encoded JSON: anyone holding
//!   the cookie can read it. Never put secrets (passwords, API tokens, personal data you
//!   would not show the user) in a session.
//! - **Keys.** Use a random secret of at least 32 bytes ([`Key::generate`] makes one);
//!   shorter secrets are refused by [`Key::from_bytes`] because a short secret can be
//!   guessed offline from one token. Anyone with the key can forge any session.
//! - **Purpose.** The salt names what tokens are for. Use a distinct salt for each
//!   purpose (sessions, password resets, e-mail confirmation) so that one kind of token
//!   can never be used as another.
//! - **Expiry** is inside the signature, so a client cannot extend it; the server
//!   enforces it whatever the cookie's own `Expires` says.
//! - **No revocation before expiry.** A stateless token stays valid until it expires.
//!   Logging out deletes the cookie in the browser, but a copy taken earlier still
//!   verifies. Keep lifetimes short, configure a [`Revocation`] store (per user, or
//!   one session by its id; [`MemoryRevocation`] for one process, `RedisRevocation`
//!   with feature `redis` for a fleet), or check a per-user value kept on the server
//!   to reject sessions you want to end early. Rotating the key (and dropping the old
//!   one) ends every session at once.
//!
//! # Key rotation
//!
//! In three rolling deploys, each finished on every server before the next starts
//! (making the new key primary in one step logs users out while the deploy rolls: a
//! token re-issued with the new key by an updated server is refused by one not yet
//! updated):
//!
//! 1. Generate a new key and add it everywhere as a verify-only fallback:
//!    `Keyring::new(current).with_fallback(new)`.
//! 2. Make it the primary everywhere, the old one the fallback:
//!    `Keyring::new(new).with_fallback(current)`. Tokens signed with the old key still
//!    verify, with [`KeyUsed::Fallback`]`(0)`, so re-issue them
//!    ([`Verified::needs_reissue`]; the session layer does).
//! 3. Once every active token has been re-issued, or the longest token lifetime has
//!    passed, remove the old key.
//!
//! With a single server, steps 1 and 2 can be one deploy.
//!
//! # Limitations
//!
//! - Browsers keep at most about 4096 bytes per cookie; tokens longer than the
//!   configured limit are refused when encoding ([`Error::TooLarge`]).
//! - Expiry has a resolution of one second.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "actix")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;
pub mod clock;
pub mod codec;
mod compress;
pub mod cookies;
mod data;
#[cfg(feature = "django")]
pub mod django;
mod encoding;
pub mod error;
#[cfg(feature = "flask")]
pub mod flask;
mod guard;
pub mod guide;
pub mod handle;
#[cfg(feature = "http")]
pub mod http;
#[cfg(any(feature = "http", feature = "actix", feature = "rocket"))]
mod integration;
#[cfg(feature = "iron")]
pub mod iron;
mod json;
pub mod key;
#[cfg(any(feature = "flask", feature = "django"))]
mod pyjson;
#[cfg(feature = "redis")]
pub mod redis;
pub mod revocation;
#[cfg(feature = "rocket")]
pub mod rocket;
#[cfg(feature = "sealed")]
pub mod sealed;
pub mod session;
pub mod signer;
#[cfg(any(feature = "flask", feature = "django"))]
pub mod signing_time;
mod token;
#[cfg(feature = "tower")]
pub mod tower;
pub mod unverified;

pub use codec::{Codec, CodecBuilder, Verified};
pub use compress::Inflate;
pub use cookies::{CookieConfig, CookieConfigBuilder};
pub use error::{
    CodecConfigError, CookieConfigError, Error, KeyError, PayloadError, PayloadErrorKind,
};
pub use guard::OriginGuard;
pub use handle::{Session, Typed, TypedSession};
pub use key::{Key, KeyUsed, Keyring};
pub use revocation::{MemoryRevocation, Revocation, RevocationError};
pub use session::{
    Flash, ResponseHeaders, SessionConfig, SessionConfigBuilder, SessionData, SessionEntry,
    SessionSource, SetCookie,
};
/// The `time` crate, whose `Duration` and `OffsetDateTime` the whole API uses: write
/// `sessionlib::time::Duration::minutes(30)` without adding `time` to your own
/// dependencies.
pub use time;
pub use unverified::{inspect_unverified, UnverifiedToken};
