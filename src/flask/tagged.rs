//! Flask's tagged JSON: the session values Python has and JSON does not.
//!
//! | Python | JSON written by Flask | [`FlaskValue`] |
//! | --- | --- | --- |
//! | `tuple` | `{" t": [...]}` | [`FlaskValue::Tuple`] |
//! | `bytes` | `{" b": "<standard base64>"}` | [`FlaskValue::Bytes`] |
//! | `Markup` | `{" m": "<html>"}` | [`FlaskValue::Markup`] |
//! | `UUID` | `{" u": "<32 hex digits>"}` | [`FlaskValue::Uuid`] |
//! | `datetime` | `{" d": "Wed, 21 Oct 2015 07:28:00 GMT"}` | [`FlaskValue::DateTime`] |
//! | a dict whose one key is a tag, e.g. `{" t": 1}` | `{" di": {" t__": 1}}` | [`FlaskValue::Dict`] |
//! | `dict`, `list`, `str`, numbers, `bool`, `None` | themselves | the other variants |
//!
//! Reading is stricter than Flask in one way: a tag whose content Flask would coerce
//! (a tuple from a string, bytes from base64 with stray characters, a UUID written with
//! braces or hyphens, a date in any format but the one Flask writes) is refused as
//! [`Error::Deserialize`](crate::Error::Deserialize), so every value has one spelling.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{Map, Number, Value};
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::error::{Error, PayloadError, PayloadErrorKind};
use crate::pyjson;

/// A Flask session: a map from keys to values, kept in sorted key order (the order
/// Flask writes them in).
pub type FlaskSession = BTreeMap<String, FlaskValue>;

/// The deepest nesting of lists, tuples and dicts written or read.
///
/// JSON parsing stops at the same depth, so neither reading nor writing can exhaust
/// the stack.
pub const MAX_DEPTH: usize = 100;

/// One value of a Flask session, with Flask's tagged types.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FlaskValue {
    /// `None` / `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A JSON number. Python integers beyond the 64-bit range arrive as floats.
    Number(Number),
    /// A string.
    String(String),
    /// A Python `list`.
    List(Vec<FlaskValue>),
    /// A Python `dict`, keys sorted.
    Dict(FlaskSession),
    /// A Python `tuple` (Flask keeps flash messages as `(category, message)` tuples).
    Tuple(Vec<FlaskValue>),
    /// Python `bytes`.
    Bytes(Vec<u8>),
    /// `markupsafe.Markup`: HTML that is already escaped.
    Markup(String),
    /// A `uuid.UUID`, as its 16 bytes (big-endian, as `UUID.bytes`).
    Uuid([u8; 16]),
    /// A `datetime.datetime`. Flask writes whole seconds in UTC; fractions of a second
    /// are dropped when written.
    DateTime(OffsetDateTime),
}

impl FlaskValue {
    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is a number that fits `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The items, if this is a list or a tuple.
    pub fn as_seq(&self) -> Option<&[FlaskValue]> {
        match self {
            Self::List(items) | Self::Tuple(items) => Some(items),
            _ => None,
        }
    }
}

impl From<&str> for FlaskValue {
    fn from(s: &str) -> Self {
        Self::String(s.to_string())
    }
}

impl From<String> for FlaskValue {
    fn from(s: String) -> Self {
        Self::String(s)
    }
}

impl From<bool> for FlaskValue {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl From<i64> for FlaskValue {
    fn from(n: i64) -> Self {
        Self::Number(n.into())
    }
}

impl From<Vec<FlaskValue>> for FlaskValue {
    fn from(items: Vec<FlaskValue>) -> Self {
        Self::List(items)
    }
}

impl From<FlaskSession> for FlaskValue {
    fn from(map: FlaskSession) -> Self {
        Self::Dict(map)
    }
}

const TAGS: [&str; 6] = [" t", " b", " m", " u", " d", " di"];

/// Flask's `http_date` layout: `Wed, 21 Oct 2015 07:28:00 GMT`.
const HTTP_DATE: &[FormatItem<'static>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

fn tag_error() -> Error {
    Error::Deserialize(PayloadError::new(String::new(), PayloadErrorKind::Data))
}

/// Parses Flask's tagged JSON text into a session. The top level must be an object.
pub(crate) fn from_json(json: &[u8]) -> Result<FlaskSession, Error> {
    let value: Value = serde_json::from_slice(json).map_err(|e| {
        let kind = match e.classify() {
            serde_json::error::Category::Data => PayloadErrorKind::Data,
            _ => PayloadErrorKind::Syntax,
        };
        Error::Deserialize(PayloadError::new(String::new(), kind))
    })?;
    match untag(value, 0)? {
        FlaskValue::Dict(map) => Ok(map),
        _ => Err(tag_error()),
    }
}

fn untag(value: Value, depth: usize) -> Result<FlaskValue, Error> {
    if depth > MAX_DEPTH {
        return Err(tag_error());
    }
    Ok(match value {
        Value::Null => FlaskValue::Null,
        Value::Bool(b) => FlaskValue::Bool(b),
        Value::Number(n) => FlaskValue::Number(n),
        Value::String(s) => FlaskValue::String(s),
        Value::Array(items) => FlaskValue::List(untag_all(items, depth)?),
        Value::Object(map) => untag_object(map, depth)?,
    })
}

fn untag_all(items: Vec<Value>, depth: usize) -> Result<Vec<FlaskValue>, Error> {
    items.into_iter().map(|v| untag(v, depth + 1)).collect()
}

fn untag_object(map: Map<String, Value>, depth: usize) -> Result<FlaskValue, Error> {
    let tag = match map.iter().next() {
        Some((key, _)) if map.len() == 1 && TAGS.contains(&key.as_str()) => key.clone(),
        _ => {
            let mut out = FlaskSession::new();
            for (k, v) in map {
                out.insert(k, untag(v, depth + 1)?);
            }
            return Ok(FlaskValue::Dict(out));
        }
    };
    let inner = map
        .into_iter()
        .next()
        .map(|(_, v)| v)
        .ok_or_else(tag_error)?;
    let text = |v: Value| match v {
        Value::String(s) => Ok(s),
        _ => Err(tag_error()),
    };
    Ok(match tag.as_str() {
        " t" => match inner {
            Value::Array(items) => FlaskValue::Tuple(untag_all(items, depth)?),
            _ => return Err(tag_error()),
        },
        " b" => FlaskValue::Bytes(STANDARD.decode(text(inner)?).map_err(|_| tag_error())?),
        " m" => FlaskValue::Markup(text(inner)?),
        " u" => FlaskValue::Uuid(parse_uuid(&text(inner)?).ok_or_else(tag_error)?),
        " d" => FlaskValue::DateTime(parse_http_date(&text(inner)?).ok_or_else(tag_error)?),
        // " di": a dict whose single key is a tag, written with a "__" suffix.
        _ => {
            let Value::Object(wrapped) = inner else {
                return Err(tag_error());
            };
            let mut entries = wrapped.into_iter();
            let (Some((key, value)), None) = (entries.next(), entries.next()) else {
                return Err(tag_error());
            };
            let key = key.strip_suffix("__").ok_or_else(tag_error)?;
            if !TAGS.contains(&key) {
                return Err(tag_error());
            }
            let mut out = FlaskSession::new();
            out.insert(key.to_string(), untag(value, depth + 1)?);
            FlaskValue::Dict(out)
        }
    })
}

/// Exactly what Python's `UUID.hex` writes: 32 lower-case hex digits.
fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let digits = text.as_bytes();
    if digits.len() != 32
        || !digits
            .iter()
            .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
    {
        return None;
    }
    let mut out = [0u8; 16];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

/// Exactly the layout Flask writes, with a weekday that matches the date.
fn parse_http_date(text: &str) -> Option<OffsetDateTime> {
    let parsed = PrimitiveDateTime::parse(text, HTTP_DATE).ok()?.assume_utc();
    // `parse` checks the weekday against the date; re-formatting pins the spelling.
    (parsed.format(HTTP_DATE).ok()? == text).then_some(parsed)
}

/// Writes a session as Flask does: tagged, keys sorted, compact, ASCII only. The JSON
/// depth limit is checked by the callers: `to_tagged_json`, and the token writer for
/// cookies.
pub(crate) fn to_json(session: &FlaskSession) -> Result<String, Error> {
    let mut out = String::with_capacity(128);
    write_dict(&mut out, session, 0)?;
    Ok(out)
}

fn write_value(out: &mut String, value: &FlaskValue, depth: usize) -> Result<(), Error> {
    if depth > MAX_DEPTH {
        return Err(Error::Serialize);
    }
    match value {
        FlaskValue::Null => out.push_str("null"),
        FlaskValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        FlaskValue::Number(n) => pyjson::write_number(out, n),
        FlaskValue::String(s) => pyjson::write_str(out, s),
        FlaskValue::List(items) => write_seq(out, items, depth)?,
        FlaskValue::Dict(map) => write_dict(out, map, depth)?,
        FlaskValue::Tuple(items) => {
            out.push_str("{\" t\":");
            write_seq(out, items, depth)?;
            out.push('}');
        }
        FlaskValue::Bytes(bytes) => write_tagged(out, " b", &STANDARD.encode(bytes)),
        FlaskValue::Markup(html) => write_tagged(out, " m", html),
        FlaskValue::Uuid(bytes) => {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            write_tagged(out, " u", &hex);
        }
        FlaskValue::DateTime(when) => {
            let utc = when.to_offset(time::UtcOffset::UTC);
            let text = utc.format(HTTP_DATE).map_err(|_| Error::Serialize)?;
            write_tagged(out, " d", &text);
        }
    }
    Ok(())
}

fn write_tagged(out: &mut String, tag: &str, text: &str) {
    out.push('{');
    pyjson::write_str(out, tag);
    out.push(':');
    pyjson::write_str(out, text);
    out.push('}');
}

fn write_seq(out: &mut String, items: &[FlaskValue], depth: usize) -> Result<(), Error> {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_value(out, item, depth + 1)?;
    }
    out.push(']');
    Ok(())
}

fn write_dict(out: &mut String, map: &FlaskSession, depth: usize) -> Result<(), Error> {
    if let (Some((key, value)), 1) = (map.iter().next(), map.len()) {
        if TAGS.contains(&key.as_str()) {
            out.push_str("{\" di\":{");
            pyjson::write_str(out, &format!("{key}__"));
            out.push(':');
            write_value(out, value, depth + 1)?;
            out.push_str("}}");
            return Ok(());
        }
    }
    out.push('{');
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        pyjson::write_str(out, key);
        out.push(':');
        write_value(out, value, depth + 1)?;
    }
    out.push('}');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(json: &str) -> String {
        to_json(&from_json(json.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn every_tag_round_trips_byte_for_byte() {
        for json in [
            r#"{"_flashes":[{" t":["message","Logged in"]}],"_permanent":true}"#,
            r#"{"b":{" b":"AAECAw=="},"d":{" d":"Wed, 21 Oct 2015 07:28:00 GMT"},"m":{" m":"<b>hi</b>"},"u":{" u":"12345678123456781234567812345678"}}"#,
            r#"{"x":{" di":{" t__":[1,2]}}}"#,
            r#"{"nested":{" t":[{" t":[]},[{" b":""}],{"a":null}]}}"#,
            r#"{"n":-1.5e-07,"s":"\u00e9\ud83e\udd80"}"#,
        ] {
            assert_eq!(round_trip(json), json);
        }
    }

    #[test]
    fn strict_tags() {
        for json in [
            r#"{"a":{" t":"ab"}}"#,
            r#"{"a":{" b":"AAECAw"}}"#,
            r#"{"a":{" b":"AA ECAw=="}}"#,
            r#"{"a":{" u":"12345678-1234-5678-1234-567812345678"}}"#,
            r#"{"a":{" u":"1234567812345678123456781234567A"}}"#,
            r#"{"a":{" d":"Thu, 21 Oct 2015 07:28:00 GMT"}}"#,
            r#"{"a":{" d":"2015-10-21T07:28:00Z"}}"#,
            r#"{"a":{" m":1}}"#,
            r#"{"a":{" di":{"x":1}}}"#,
            r#"{"a":{" di":{" t__":1,"y":2}}}"#,
            r#"[1]"#,
        ] {
            assert!(
                matches!(from_json(json.as_bytes()), Err(Error::Deserialize(_))),
                "{json}"
            );
        }
    }

    #[test]
    fn depth_is_limited_both_ways() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(120), "]".repeat(120));
        assert!(from_json(deep.as_bytes()).is_err());
        let mut value = FlaskValue::Null;
        for _ in 0..200 {
            value = FlaskValue::Tuple(vec![value]);
        }
        let mut session = FlaskSession::new();
        session.insert("a".into(), value);
        assert_eq!(to_json(&session), Err(Error::Serialize));
    }
}
