//! The session's data as JSON text: [`Entries`] keeps each value as the JSON text it
//! arrived in (or was written to at [`SessionData::insert`](super::SessionData::insert)), and
//! [`Loaded`] reads a verified payload into it in one pass, with the reserved keys
//! parsed on the side.
//!
//! Loading is exactly as strict as parsing the payload into a
//! `serde_json::Map<String, Value>` (what the session layer did before): the same
//! payloads are refused (not an object, invalid JSON, nesting deeper than the parser's
//! 127 levels, numbers beyond `f64`, lone surrogates), and a key that appears twice keeps
//! its last value. `fuzz/src/session.rs` checks this against that eager reading.

use std::ops::Range;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::RESERVED_KEYS;
use crate::json;

/// A key or a value: a range of the loaded text, or text of its own (written by
/// `insert`).
#[derive(Clone, Debug)]
enum Text {
    Loaded(Range<usize>),
    Owned(String),
}

#[derive(Clone, Debug)]
struct Entry {
    key: Text,
    value: Text,
}

/// The application's keys in sorted order (byte order, as `BTreeMap<String, _>` sorts
/// them), each with its value as JSON text. The keys and values read from a cookie stay
/// in one buffer; inserted ones have their own.
#[derive(Clone, Debug, Default)]
pub(crate) struct Entries {
    text: String,
    list: Vec<Entry>,
}

impl Entries {
    fn resolve<'a>(&'a self, text: &'a Text) -> &'a str {
        match text {
            // The ranges were cut from `text` at character boundaries.
            Text::Loaded(range) => self.text.get(range.clone()).unwrap_or_default(),
            Text::Owned(owned) => owned,
        }
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.list
            .binary_search_by(|e| self.resolve(&e.key).as_bytes().cmp(key.as_bytes()))
    }

    /// The JSON text of the value under `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        let index = self.find(key).ok()?;
        self.list.get(index).map(|e| self.resolve(&e.value))
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.list.clear();
        self.text.clear();
    }

    /// The keys and their values' JSON text, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, ValueText<'_>)> {
        self.list.iter().map(|e| {
            let value = match &e.value {
                Text::Loaded(_) => ValueText::Loaded(self.resolve(&e.value)),
                Text::Owned(owned) => ValueText::Written(owned),
            };
            (self.resolve(&e.key), value)
        })
    }

    /// Stores `json` (the canonical JSON text of `value`) under `key`; `false` when the
    /// stored value was already equal to `value` (nothing changes then).
    pub(crate) fn insert(&mut self, key: String, json: String, value: &Value) -> bool {
        match self.find(&key) {
            Ok(index) => {
                let Some(entry) = self.list.get(index) else {
                    return false;
                };
                let old = self.resolve(&entry.value);
                if old == json {
                    return false;
                }
                // Written text is canonical, so a different text is a different value;
                // loaded text may be spelled otherwise (spaces, escapes, key order).
                if matches!(entry.value, Text::Loaded(_))
                    && !is_canonical(old.as_bytes())
                    && serde_json::from_str::<Value>(old).is_ok_and(|old| old == *value)
                {
                    return false;
                }
                if let Some(entry) = self.list.get_mut(index) {
                    entry.value = Text::Owned(json);
                }
                true
            }
            Err(index) => {
                self.list.insert(
                    index,
                    Entry {
                        key: Text::Owned(key),
                        value: Text::Owned(json),
                    },
                );
                true
            }
        }
    }

    /// Removes the value under `key` and returns its JSON text.
    pub(crate) fn remove(&mut self, key: &str) -> Option<Box<RawValue>> {
        let index = self.find(key).ok()?;
        let text = self.get(key).map(str::to_owned);
        self.list.remove(index);
        RawValue::from_string(text?).ok()
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.list.iter().map(|e| self.resolve(&e.key))
    }
}

/// A value's JSON text as the writer sees it.
pub(crate) enum ValueText<'a> {
    /// Read from the cookie: copied when canonical, rewritten otherwise.
    Loaded(&'a str),
    /// Written by `insert`: canonical.
    Written(&'a str),
}

/// The index in [`RESERVED_KEYS`] of `key`.
fn reserved_index(key: &str) -> Option<usize> {
    if !key.starts_with('_') {
        return None;
    }
    RESERVED_KEYS.iter().position(|r| *r == key)
}

/// A verified session payload, read in one pass: the application's entries as JSON
/// text, and the reserved keys as values (the last of each, when one appears twice).
pub(crate) struct Loaded {
    pub(crate) entries: Entries,
    /// Indexed as [`RESERVED_KEYS`].
    pub(crate) reserved: [Option<Value>; 6],
}

impl<'de> Deserialize<'de> for Loaded {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(LoadedVisitor)
    }
}

struct LoadedVisitor;

impl<'de> Visitor<'de> for LoadedVisitor {
    type Value = Loaded;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a session object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loaded, A::Error> {
        let mut text = String::with_capacity(256);
        let mut list: Vec<Entry> = Vec::with_capacity(8);
        let mut reserved: [Option<Value>; 6] = Default::default();
        let mut sorted = true;
        while let Some(key) = map.next_key_seed(KeySeed(&mut text))? {
            let key_text = text.get(key.clone()).unwrap_or_default();
            if let Some(index) = reserved_index(key_text) {
                text.truncate(key.start);
                let value = map.next_value::<Value>()?;
                if let Some(slot) = reserved.get_mut(index) {
                    *slot = Some(value);
                }
                continue;
            }
            let raw: &'de RawValue = map.next_value()?;
            let raw = raw.get();
            check_raw(raw).map_err(de::Error::custom)?;
            if let Some(last) = list.last() {
                let last = match &last.key {
                    Text::Loaded(r) => text.get(r.clone()).unwrap_or_default(),
                    Text::Owned(o) => o,
                };
                sorted &= last.as_bytes() < text.get(key.clone()).unwrap_or_default().as_bytes();
            }
            let start = text.len();
            text.push_str(raw);
            list.push(Entry {
                key: Text::Loaded(key),
                value: Text::Loaded(start..text.len()),
            });
        }
        let mut entries = Entries { text, list };
        if !sorted {
            sort_keeping_last(&mut entries);
        }
        Ok(Loaded { entries, reserved })
    }
}

/// Sorts the entries by key; of several with the same key, the last one read stays (as
/// a map keeps the last of duplicate keys).
fn sort_keeping_last(entries: &mut Entries) {
    let mut list = std::mem::take(&mut entries.list);
    // Stable: equal keys stay in the order they were read.
    list.sort_by(|a, b| {
        entries
            .resolve(&a.key)
            .as_bytes()
            .cmp(entries.resolve(&b.key).as_bytes())
    });
    let mut kept: Vec<Entry> = Vec::with_capacity(list.len());
    for entry in list {
        if let Some(last) = kept.last_mut() {
            if entries.resolve(&last.key) == entries.resolve(&entry.key) {
                *last = entry;
                continue;
            }
        }
        kept.push(entry);
    }
    entries.list = kept;
}

/// Appends a map key to the buffer and returns its range there.
struct KeySeed<'a>(&'a mut String);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Range<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Range<usize>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        let start = self.0.len();
        self.0.push_str(key);
        Ok(start..self.0.len())
    }
}

/// Refuses a value's JSON text (already checked as JSON syntax by the raw reader) where
/// a parse into a `Value` would refuse it: nesting deeper than the parser reads inside
/// the session object, a number beyond `f64`, a lone surrogate escape. Only text that
/// could hold such a thing is parsed again.
fn check_raw(raw: &str) -> Result<(), &'static str> {
    let bytes = raw.as_bytes();
    let suspect = match bytes.first() {
        Some(b'"') => bytes.contains(&b'\\'),
        Some(b't' | b'f' | b'n') => false,
        // An array or an object: its nesting counts inside the session object (one
        // level), and it may hold numbers and strings.
        Some(b'[' | b'{') => {
            if !json::depth_within(bytes, json::MAX_DEPTH - 1) {
                return Err("nested too deeply");
            }
            bytes.len() > 300 || bytes.contains(&b'\\') || has_exponent(bytes)
        }
        // A number: an exponent or a long run of digits may leave the range of `f64`
        // (fewer than 300 digits without an exponent always fit).
        _ => bytes.len() > 300 || has_exponent(bytes),
    };
    if suspect && serde_json::from_str::<Strict>(raw).is_err() {
        return Err("invalid value");
    }
    Ok(())
}

/// Whether `json` may hold a number with an exponent: an `e` or `E` right after a
/// digit, as every exponent is (`1e5`, `2.5E-3`). Letters inside strings (`"editor"`)
/// mostly do not match; those that do only cost a second parse.
fn has_exponent(json: &[u8]) -> bool {
    json.windows(2)
        .any(|pair| matches!(pair, [b'0'..=b'9', b'e' | b'E']))
}

/// Parses any JSON value as a `Value` would be parsed (`deserialize_any`: strings
/// unescaped and checked, numbers converted), keeping nothing.
struct Strict;

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        while seq.next_element::<Strict>()?.is_some() {}
        Ok(Strict)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        while map.next_entry::<Strict, Strict>()?.is_some() {}
        Ok(Strict)
    }
}

/// Whether `json`, one valid JSON value, is exactly the text serde_json writes for the
/// `Value` it parses to, so that it can be copied into a new cookie as it is. It says
/// `false` for anything it does not recognise as canonical (escapes in strings, floats,
/// integers of 19 digits or more, nesting deeper than 16 levels), which is then
/// rewritten through a `Value`: a cookie written by this crate is canonical throughout.
pub(crate) fn is_canonical(json: &[u8]) -> bool {
    const MAX_DEPTH: usize = 16;
    #[derive(Clone, Copy)]
    struct Frame {
        object: bool,
        /// In an object: the next string is a key.
        expect_key: bool,
        /// The previous key of this object.
        prev: (usize, usize),
        has_prev: bool,
    }
    let empty = Frame {
        object: false,
        expect_key: false,
        prev: (0, 0),
        has_prev: false,
    };
    let mut stack = [empty; MAX_DEPTH];
    let mut depth = 0usize;
    let mut i = 0usize;
    while let Some(&b) = json.get(i) {
        match b {
            b'"' => {
                let start = i + 1;
                let Some(len) = json
                    .get(start..)
                    .and_then(|rest| rest.iter().position(|&c| c == b'"' || c == b'\\'))
                else {
                    return false;
                };
                let end = start + len;
                if json.get(end) != Some(&b'"') {
                    return false; // an escape
                }
                if let Some(frame) = depth.checked_sub(1).and_then(|d| stack.get_mut(d)) {
                    if frame.object && frame.expect_key {
                        if frame.has_prev {
                            let prev = json.get(frame.prev.0..frame.prev.1).unwrap_or_default();
                            let key = json.get(start..end).unwrap_or_default();
                            if prev >= key {
                                return false; // out of order, or a duplicate
                            }
                        }
                        frame.prev = (start, end);
                        frame.has_prev = true;
                        frame.expect_key = false;
                    }
                }
                i = end + 1;
            }
            b'{' | b'[' => {
                let Some(frame) = stack.get_mut(depth) else {
                    return false;
                };
                *frame = Frame {
                    object: b == b'{',
                    expect_key: b == b'{',
                    ..empty
                };
                depth += 1;
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b',' => {
                if let Some(frame) = depth.checked_sub(1).and_then(|d| stack.get_mut(d)) {
                    frame.expect_key = frame.object;
                }
                i += 1;
            }
            b':' => i += 1,
            b'-' | b'0'..=b'9' => {
                let len = json
                    .get(i..)
                    .unwrap_or_default()
                    .iter()
                    .position(|c| !matches!(c, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                    .unwrap_or(json.len() - i);
                let number = json.get(i..i + len).unwrap_or_default();
                let digits = number.strip_prefix(b"-").unwrap_or(number);
                // Integers that fit in an i64 or u64, as written by itoa: no `-0`.
                if digits.is_empty()
                    || digits.len() > 18
                    || !digits.iter().all(u8::is_ascii_digit)
                    || number == b"-0"
                {
                    return false;
                }
                i += len;
            }
            b't' | b'n' => i += 4,
            b'f' => i += 5,
            _ => return false, // whitespace
        }
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(json: &str) -> Result<Loaded, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn canonical_text_is_recognised() {
        for json in [
            r#"1"#,
            r#"-12"#,
            r#""é x""#,
            r#"[1,"a",true,null,false,{}]"#,
            r#"{"a":{"b":[],"c":1},"b":2}"#,
        ] {
            assert!(is_canonical(json.as_bytes()), "{json}");
            let value: Value = serde_json::from_str(json).unwrap();
            assert_eq!(serde_json::to_string(&value).unwrap(), json);
        }
        for json in [
            "1.0",
            "-0",
            "1e3",
            "12345678901234567890",
            r#""a\nb""#,
            r#"{"b":1,"a":2}"#,
            r#"{"a":1,"a":2}"#,
            "[1, 2]",
            " 1",
        ] {
            assert!(!is_canonical(json.as_bytes()), "{json}");
        }
    }

    #[test]
    fn loading_keeps_the_last_duplicate_and_sorts() {
        let loaded = load(r#"{"b":1,"a":2,"_created":5,"b":[3],"_created":7}"#).unwrap();
        let keys: Vec<_> = loaded.entries.keys().collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(loaded.entries.get("b"), Some("[3]"));
        assert_eq!(loaded.reserved[0], Some(Value::from(7)));
        assert_eq!(loaded.entries.get("a\u{0}"), None);
    }

    #[test]
    fn loading_is_as_strict_as_a_value_parse() {
        for json in [
            r#"{"a":1e400}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":[{"\udc00":1}]}"#,
            r#"[1]"#,
            r#"{"a":01}"#,
            "{\"a\":\"\u{1}\"}",
        ] {
            assert!(load(json).is_err(), "{json}");
            assert!(serde_json::from_str::<Value>(json).is_err() || !json.starts_with('{'));
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(126), "]".repeat(126));
        assert!(load(&deep).is_ok());
        let deeper = format!("{{\"a\":{}{}}}", "[".repeat(127), "]".repeat(127));
        assert!(load(&deeper).is_err());
        assert!(serde_json::from_str::<Value>(&deeper).is_err());
        // Escaped keys are unescaped.
        let loaded = load(r#"{"\u0061b":"x\"y"}"#).unwrap();
        assert_eq!(loaded.entries.get("ab"), Some(r#""x\"y""#));
    }
}
