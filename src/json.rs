//! JSON limits and the (de)serialization every profile uses: the nesting limit, checked
//! once per encode, and parsing with error paths that hide the data.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, PayloadError, PayloadErrorKind};

/// The deepest nesting of JSON arrays and objects that decoding reads (the JSON parser's
/// recursion limit). Encoding refuses deeper data with [`Error::Serialize`], since its
/// token could never be decoded.
pub(crate) const MAX_DEPTH: usize = 127;

/// Whether the arrays and objects of `json` nest at most `max` levels deep. Brackets
/// inside strings do not count.
pub(crate) fn depth_within(json: &[u8], max: usize) -> bool {
    // Nesting deeper than `max` needs more than `max` opening brackets. Counting them is
    // a branch-free pass the compiler vectorizes, so typical sessions skip the exact scan.
    // `[` is 0x5B and `{` is 0x7B: one comparison after setting bit 0x20 finds both, and
    // byte-sized counters per 255-byte chunk let the compiler use wide vector lanes.
    let openings: usize = json
        .chunks(255)
        .map(|chunk| {
            let n = chunk
                .iter()
                .fold(0u8, |n, &b| n + u8::from(b | 0x20 == b'{'));
            usize::from(n)
        })
        .sum();
    if openings <= max {
        return true;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in json {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

/// Refuses JSON nested deeper than [`MAX_DEPTH`] with [`Error::Serialize`]: the
/// encoders' check, so that no token is made that its decoder could not read back.
pub(crate) fn check_depth(json: &[u8]) -> Result<(), Error> {
    if depth_within(json, MAX_DEPTH) {
        Ok(())
    } else {
        Err(Error::Serialize)
    }
}

/// `data` as compact JSON, written into a buffer of `capacity` bytes to begin with.
/// Fails with [`Error::Serialize`] when serde cannot write it (a map with keys that are
/// not strings, a `Serialize` implementation that fails).
pub(crate) fn to_vec<T: Serialize + ?Sized>(data: &T, capacity: usize) -> Result<Vec<u8>, Error> {
    let mut json = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut json, data).map_err(|_| Error::Serialize)?;
    Ok(json)
}

/// Parses verified JSON. On failure the parse is repeated with path tracking, so that
/// the error can name where the mismatch is; successful decodes pay nothing for it.
pub(crate) fn deserialize<T: DeserializeOwned>(json: &[u8]) -> Result<T, Error> {
    // Checking UTF-8 once up front is faster than letting the parser check each
    // string; invalid UTF-8 is left to the parser so that it reports the error.
    let parsed = match std::str::from_utf8(json) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(json),
    };
    parsed.map_err(|e| {
        let kind = match e.classify() {
            serde_json::error::Category::Data => PayloadErrorKind::Data,
            _ => PayloadErrorKind::Syntax,
        };
        let path = match kind {
            PayloadErrorKind::Data => error_path::<T>(json),
            _ => String::new(),
        };
        Error::Deserialize(PayloadError::new(path, kind))
    })
}

/// The path to the first mismatch, with map keys that are not identifier-like hidden.
fn error_path<T: DeserializeOwned>(json: &[u8]) -> String {
    use serde_path_to_error::Segment;
    let mut de = serde_json::Deserializer::from_slice(json);
    let Err(err) = serde_path_to_error::deserialize::<_, T>(&mut de) else {
        return String::new();
    };
    let mut path = String::new();
    for segment in err.path().iter() {
        match segment {
            Segment::Seq { index } => path.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                let plain = !key.is_empty()
                    && key.len() <= 64
                    && key
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if plain {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                } else {
                    path.push_str("[?]");
                }
            }
            Segment::Unknown => path.push_str("[?]"),
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_brackets_outside_strings() {
        // Brackets inside strings, escaped quotes included, do not count.
        let text = format!("[\"\\\"{}\"]", "[".repeat(500));
        assert!(depth_within(text.as_bytes(), 1));
        assert!(!depth_within(b"[[", 1));
        assert!(depth_within(br#"{"a":[]}"#, 2));
        assert_eq!(check_depth(b"[[1]]"), Ok(()));
    }

    #[test]
    fn error_paths_hide_data() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Cart {
            items: Vec<Item>,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Item {
            qty: u32,
        }
        let err = deserialize::<Cart>(br#"{"items":[{"qty":1},{"qty":"secret"}]}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "session data does not match the expected type at `items[1].qty`"
        );
        assert!(!format!("{err:?}").contains("secret"));
        let err = deserialize::<std::collections::HashMap<String, u8>>(br#"{"pass word":"x"}"#)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "session data does not match the expected type at `[?]`"
        );
        let err = deserialize::<Cart>(b"{oops").unwrap_err();
        assert_eq!(err.to_string(), "session data is not valid JSON");
    }
}
