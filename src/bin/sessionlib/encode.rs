//! `sessionlib encode`: JSON on stdin, a token of the chosen profile on stdout.

use serde_json::Value;
use sessionlib::flask::{self, FlaskSession};
use sessionlib::{iron, Error, Keyring};
use time::OffsetDateTime;

use crate::args::{EncodeArgs, KeyOpts};
use crate::input::{keyring, read_stdin};
use crate::profile::{self, Profile};
use crate::{print, Failure, Outcome};

pub(crate) fn run(o: &EncodeArgs, profile: Profile, keys: &KeyOpts) -> Outcome<u8> {
    let now = o.now.unwrap_or_else(OffsetDateTime::now_utc);
    let token = match profile {
        Profile::Iron => {
            let codec = profile::iron(&o.iron)?
                .ttl(o.ttl.unwrap_or(iron::DEFAULT_TTL))
                .build();
            let data = json_data(&read_stdin("the JSON data")?)?;
            codec.encode_at(&data, now)
        }
        _ => {
            let ring = keyring(keys, profile.lenient_keys())?;
            let input = read_stdin("the JSON data")?;
            sign(o, profile, ring, &input, now)?
        }
    }
    .map_err(|e| failure(&e))?;
    print(&format!("{token}\n"))?;
    Ok(0)
}

/// Makes a signed (or sealed) token of stdin's data with the keys of `ring`. The outer
/// result is a problem with the input, the inner one the library's answer.
fn sign(
    o: &EncodeArgs,
    profile: Profile,
    ring: Keyring,
    input: &[u8],
    now: OffsetDateTime,
) -> Outcome<Result<String, Error>> {
    let salt = o.salt.as_deref();
    if profile == Profile::Flask {
        let session = flask_session(input)?;
        return Ok(profile::flask(ring, salt, o.digest)
            .build()
            .encode_at(&session, now));
    }
    let data = json_data(input)?;
    if profile == Profile::Django {
        // The session engine's cookie, or with --salt `signing.dumps(..., compress=True)`.
        return Ok(profile::django(ring, salt).build().encode_at(&data, now));
    }
    let mut builder = profile::native(ring, salt, profile).compression(o.compress);
    if let Some(ttl) = o.ttl {
        builder = builder.ttl(ttl);
    }
    let codec = builder.build();
    Ok(match o.expires_at {
        Some(at) => codec.encode_until(&data, at),
        None => codec.encode_at(&data, now),
    })
}

/// Stdin as JSON: any JSON value.
fn json_data(input: &[u8]) -> Outcome<Value> {
    serde_json::from_slice(input).map_err(|e| {
        Failure::other(format!(
            "stdin is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

/// Stdin as a Flask session, in Flask's tagged JSON.
fn flask_session(input: &[u8]) -> Outcome<FlaskSession> {
    flask::from_tagged_json(input).map_err(|e| {
        Failure::other(format!(
            "stdin is not a Flask session (a JSON object, in Flask's tagged JSON): {e}"
        ))
    })
}

fn failure(e: &Error) -> Failure {
    match e {
        Error::TooLarge { len, max } => Failure::other(format!(
            "the data is too large for a token: it would be {len} bytes, the limit is {max}"
        )),
        other => Failure::other(other.to_string()),
    }
}
