//! The one choice of token format a command line makes, and what each format needs
//! from the command line: its codec settings and, for Iron, its passwords.

use serde_json::Value;
use sessionlib::codec::DEFAULT_SALT;
use sessionlib::django::{self, DjangoCodec, DjangoCodecBuilder};
use sessionlib::flask::{self, Digest, FlaskCodec, FlaskCodecBuilder};
use sessionlib::iron::{self, IronCodec, IronCodecBuilder, Passwords, Suffix};
use sessionlib::signing_time::{Profile as SigningTime, SigningTimeBuilder};
use sessionlib::{Codec, CodecBuilder, Keyring};
use time::Duration;
use zeroize::Zeroizing;

use crate::args::IronArgs;
use crate::input::looks_like_variable;
use crate::{Failure, Outcome};

/// The token format of `encode` and `decode`, chosen once from `--flask`, `--django`,
/// `--sealed` and `--iron` (which the argument checks allow one of at a time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Profile {
    /// Native signed tokens (section 1 of the design): the expiry in the token.
    Native,
    /// Native sealed tokens: encrypted and authenticated.
    Sealed,
    /// Flask session cookies: the signing time, Flask's tagged JSON.
    Flask,
    /// Django's signed-cookie sessions and `django.core.signing` tokens.
    Django,
    /// `Fe26.2` tokens (iron-session, h3, @hapi/iron), with a password, not a key.
    Iron,
}

impl Profile {
    /// The profile of the flags given (already checked to be one at most).
    pub(crate) fn choose(iron: bool, flask: bool, django: bool, sealed: bool) -> Self {
        match (iron, flask, django, sealed) {
            (true, ..) => Self::Iron,
            (_, true, ..) => Self::Flask,
            (_, _, true, _) => Self::Django,
            (_, _, _, true) => Self::Sealed,
            _ => Self::Native,
        }
    }

    /// The profile a token's shape says it has, for `inspect`, which verifies
    /// nothing: `Fe26.` starts an Iron token; colons never appear in native, Flask or
    /// sealed tokens, so a token with one is Django's; a sealed token is one base64url
    /// string, while a signed one always has dots. Anything else is read as native or
    /// Flask (the same shape; `Native` here).
    pub(crate) fn of_token(token: &str) -> Self {
        if token.starts_with("Fe26.") {
            Self::Iron
        } else if token.contains(':') {
            Self::Django
        } else if !token.contains('.') && sessionlib::sealed::inspect_unverified(token).is_ok() {
            Self::Sealed
        } else {
            Self::Native
        }
    }

    /// Whether keys shorter than 32 bytes are accepted, with a warning: Flask and
    /// Django apps often have them.
    pub(crate) fn lenient_keys(self) -> bool {
        matches!(self, Self::Flask | Self::Django)
    }
}

/// A native codec's settings for `--salt` and the sealed choice.
pub(crate) fn native(ring: Keyring, salt: Option<&str>, profile: Profile) -> CodecBuilder {
    Codec::builder(ring)
        .salt(salt.unwrap_or(DEFAULT_SALT))
        .sealed(profile == Profile::Sealed)
}

/// A Flask codec's settings for `--salt` and `--digest`.
pub(crate) fn flask(
    ring: Keyring,
    salt: Option<&str>,
    digest: Option<Digest>,
) -> FlaskCodecBuilder {
    FlaskCodec::builder(ring)
        .salt(salt.unwrap_or(flask::SESSION_SALT))
        .digest(digest.unwrap_or_default())
}

/// A Django codec with the session engine's settings, and `--salt`.
pub(crate) fn django(ring: Keyring, salt: Option<&str>) -> DjangoCodecBuilder {
    DjangoCodec::session_builder(ring).salt(salt.unwrap_or(django::SESSION_SALT))
}

/// `--max-age` and `--leeway` of a signing-time profile (Flask, Django), where given.
pub(crate) fn age_limits<P: SigningTime>(
    mut builder: SigningTimeBuilder<P>,
    max_age: Option<Duration>,
    leeway: Option<Duration>,
) -> SigningTimeBuilder<P> {
    if let Some(max_age) = max_age {
        builder = builder.max_age(max_age);
    }
    if let Some(leeway) = leeway {
        builder = builder.leeway(leeway);
    }
    builder
}

/// An Iron codec's settings: the passwords of `--password-env` and the suffix of
/// `--bare`.
pub(crate) fn iron(o: &IronArgs) -> Outcome<IronCodecBuilder> {
    let suffix = if o.bare {
        Suffix::None
    } else {
        Suffix::IronSession
    };
    Ok(IronCodec::builder(iron_passwords(o)?).suffix(suffix))
}

/// The default variable of `--password-env`.
const DEFAULT_IRON_PASSWORD_ENV: &str = "SESSIONLIB_IRON_PASSWORD";

/// The passwords from `--password-env`: a plain string (id `1`, iron-session's; no id
/// with `--bare`) or iron-session's password map as a JSON object. Messages name the
/// variable only when it looks like one and never show its value.
fn iron_passwords(o: &IronArgs) -> Outcome<Passwords> {
    let name = o
        .password_env
        .clone()
        .unwrap_or_else(|| DEFAULT_IRON_PASSWORD_ENV.into());
    let origin = match name.to_str().filter(|n| looks_like_variable(n)) {
        Some(n) => format!("variable {n}"),
        None => "the variable named by --password-env".to_owned(),
    };
    let value = std::env::var_os(&name)
        .ok_or_else(|| Failure::other(format!("the Iron password: {origin} is not set")))?
        .into_string()
        .map(Zeroizing::new)
        .map_err(|_| Failure::other(format!("the Iron password in {origin} is not UTF-8")))?;
    let refused =
        |e: sessionlib::KeyError| Failure::other(format!("the Iron password from {origin}: {e}"));
    if value.starts_with('{') {
        let map: serde_json::Map<String, Value> = serde_json::from_str(&value).map_err(|_| {
            Failure::other(format!(
                "the Iron password map in {origin} is not a JSON object of id: password"
            ))
        })?;
        let mut pairs = Vec::with_capacity(map.len());
        for (id, secret) in &map {
            match secret {
                Value::String(secret) => pairs.push((id.as_str(), secret.as_str())),
                _ => {
                    return Err(Failure::other(format!(
                        "the Iron password map in {origin} has a password that is not a string"
                    )))
                }
            }
        }
        return Passwords::iron_session(&pairs).map_err(refused);
    }
    let password = if o.bare {
        iron::Password::new(&value)
    } else {
        iron::Password::with_id("1", &value)
    };
    password.map(Passwords::new).map_err(refused)
}
