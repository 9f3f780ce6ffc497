//! `sessionlib inspect`: what a token says, WITHOUT verifying it. The profile is read
//! from the token's shape: `Fe26.` is Iron, a colon Django, one base64url string
//! sealed, anything else native or Flask.

use std::fmt::Write as _;

use sessionlib::{django, inspect_unverified, iron, Error};

use crate::args::TokenArg;
use crate::input::read_token;
use crate::profile::Profile;
use crate::{escape_controls, print, rfc3339, Failure, Outcome, EXIT_MALFORMED};

/// The signature length of Flask's default HMAC-SHA1.
const FLASK_SHA1_LEN: usize = 20;

pub(crate) fn run(arg: &TokenArg) -> Outcome<u8> {
    let token = read_token(arg)?;
    match Profile::of_token(&token) {
        Profile::Iron => inspect_iron(&token),
        Profile::Django => inspect_django(&token),
        Profile::Sealed => inspect_sealed(&token),
        Profile::Native | Profile::Flask => inspect_signed(&token),
    }
}

/// `inspect` of a native token or a Flask cookie (they have the same shape).
fn inspect_signed(token: &str) -> Outcome<u8> {
    let seen = inspect_unverified(token).map_err(|e| match e {
        Error::Malformed => Failure::new(
            EXIT_MALFORMED,
            "malformed session token: it does not have three dot-separated parts",
        ),
        other => Failure::token(&other),
    })?;

    let mut lines =
        vec!["nothing below is verified: anyone can write a token that says this".to_owned()];
    let shape_problem = seen
        .shape_problem()
        .and(seen.shape_problem_for(FLASK_SHA1_LEN));
    lines.push(match (seen.shape_problem(), shape_problem) {
        (None, _) => "shape: valid, as a native token or a Flask cookie signed with \
                      HMAC-SHA256 (the signature is NOT checked)"
            .to_owned(),
        (Some(_), None) => "shape: valid, as a Flask cookie signed with HMAC-SHA1 \
                            (the signature is NOT checked)"
            .to_owned(),
        (Some(problem), Some(_)) => format!("shape: INVALID: {problem}"),
    });
    lines.extend(contents_lines(
        &seen,
        "native tokens: the expiry; Flask: the signing time",
    ));
    lines.push(match seen.signature_len() {
        None => "signature: not decodable (not canonical base64url)".to_owned(),
        Some(32) => "signature: 32 bytes (the size of HMAC-SHA256)".to_owned(),
        Some(20) => "signature: 20 bytes (the size of HMAC-SHA1, as Flask uses)".to_owned(),
        Some(n) => format!("signature: {n} bytes"),
    });

    print_unverified(lines)?;
    match shape_problem {
        None => Ok(0),
        Some(problem) => Err(Failure::new(
            EXIT_MALFORMED,
            format!("malformed session token: {problem}"),
        )),
    }
}

/// `inspect` of a `django.core.signing` token.
fn inspect_django(token: &str) -> Outcome<u8> {
    let seen = django::inspect_unverified(token).map_err(|e| match e {
        Error::Malformed => Failure::new(
            EXIT_MALFORMED,
            "malformed Django token: it does not have three colon-separated parts",
        ),
        other => Failure::token(&other),
    })?;
    let mut lines = vec![
        "nothing below is verified: anyone can write a token that says this".to_owned(),
        match seen.shape_problem() {
            None => "shape: valid, as a Django token (django.core.signing, HMAC-SHA256; \
                     the signature is NOT checked)"
                .to_owned(),
            Some(problem) => format!("shape: INVALID: {problem}"),
        },
    ];
    lines.extend(contents_lines(&seen, "the signing time"));
    lines.push(match seen.signature_len() {
        None => "signature: not decodable (not canonical base64url)".to_owned(),
        Some(n) => format!("signature: {n} bytes"),
    });
    print_unverified(lines)?;
    match seen.shape_problem() {
        None => Ok(0),
        Some(problem) => Err(Failure::new(
            EXIT_MALFORMED,
            format!("malformed Django token: {problem}"),
        )),
    }
}

/// The lines of `inspect` on what a token holds: compression, the payload (pretty
/// JSON, escaped, or why there is none) and the timestamp, with what it means.
fn contents_lines(seen: &sessionlib::UnverifiedToken, timestamp_meaning: &str) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(n) = seen.compressed_len() {
        lines.push(format!("compressed: yes, {n} bytes of zlib"));
    }
    match (seen.payload(), seen.payload_json()) {
        (None, _) if seen.compressed_len().is_some() => lines.push(
            "payload: does not inflate (not zlib, or over 64 KiB or a ratio of 256)".to_owned(),
        ),
        (None, _) => lines.push("payload: not decodable (not canonical base64url)".to_owned()),
        (Some(bytes), Some(json)) => {
            lines.push(format!("payload: {} bytes of JSON:", bytes.len()));
            let pretty = serde_json::to_string_pretty(&json).unwrap_or_default();
            lines.extend(pretty.lines().map(|l| format!("  {}", escape_controls(l))));
        }
        (Some(bytes), None) => {
            let text = serde_json::to_string(&String::from_utf8_lossy(bytes)).unwrap_or_default();
            lines.push(format!(
                "payload: {} bytes, not JSON; as a string: {}",
                bytes.len(),
                escape_controls(&text)
            ));
        }
    }
    lines.push(match (seen.timestamp(), seen.timestamp_time()) {
        (None, _) => "timestamp: not decodable".to_owned(),
        (Some(t), None) => format!("timestamp: {t} (Unix time; out of range)"),
        (Some(t), Some(time)) => match rfc3339(time) {
            Some(text) => format!("timestamp: {t} = {text} ({timestamp_meaning})"),
            None => format!("timestamp: {t} (Unix time; a year RFC 3339 cannot write)"),
        },
    });
    lines
}

/// `inspect` of an Iron token: only what the format does not encrypt.
fn inspect_iron(token: &str) -> Outcome<u8> {
    let seen = iron::inspect_unverified(token).map_err(|e| match e {
        Error::Malformed => Failure::new(
            EXIT_MALFORMED,
            "malformed Iron token: it is not Fe26.2 with eight *-separated fields of the \
             packages' shape (and, for iron-session, the suffix ~2)",
        ),
        other => Failure::token(&other),
    })?;
    let id = serde_json::to_string(&seen.password_id).unwrap_or_default();
    let lines = [
        "nothing below is verified: anyone can write a token that says this".to_owned(),
        format!(
            "iron: yes, Fe26.2 (PBKDF2-SHA1, AES-256-CBC, HMAC-SHA256){}; the data is \
             encrypted and cannot be shown without the password (use decode --iron)",
            if seen.iron_session_suffix {
                ", iron-session's suffix ~2"
            } else {
                ", no suffix (h3, @hapi/iron)"
            }
        ),
        format!("password id: {}", escape_controls(&id)),
        match (seen.unverified_expiration_ms, seen.unverified_expires_at()) {
            (None, _) => "expiration: none (sealed with a ttl of 0: never expires)".to_owned(),
            (Some(ms), Some(t)) => match rfc3339(t) {
                Some(text) => format!("expiration: {ms} ms = {text}"),
                None => format!("expiration: {ms} ms (Unix time)"),
            },
            (Some(ms), None) => format!("expiration: {ms} ms (Unix time; out of range)"),
        },
        format!(
            "data: {} bytes of encrypted JSON (the JSON is 1 to 16 bytes shorter)",
            seen.ciphertext_len
        ),
    ];
    print_unverified(lines)?;
    Ok(0)
}

/// `inspect` of a sealed token: only what the format does not encrypt.
fn inspect_sealed(token: &str) -> Outcome<u8> {
    let seen = sessionlib::sealed::inspect_unverified(token).map_err(|e| Failure::token(&e))?;
    let expiry = seen.unverified_expiry;
    let lines = [
        "nothing below is verified: anyone can write a token that says this".to_owned(),
        format!(
            "sealed: yes, format version {} (XChaCha20-Poly1305); the data is encrypted \
             and cannot be shown without the key (use decode --sealed)",
            seen.version
        ),
        match seen.unverified_expires_at().and_then(rfc3339) {
            Some(text) => format!("expiry: {expiry} = {text}"),
            None => format!("expiry: {expiry} (Unix time; out of range)"),
        },
        format!("data: {} bytes of encrypted JSON", seen.ciphertext_len),
    ];
    print_unverified(lines)?;
    Ok(0)
}

/// Prints every line marked `UNVERIFIED`.
fn print_unverified(lines: impl IntoIterator<Item = String>) -> Outcome<()> {
    let mut out = String::new();
    for line in lines {
        let _ = writeln!(out, "UNVERIFIED {line}");
    }
    print(&out)
}
