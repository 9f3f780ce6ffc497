//! Django's JSON: what `json.dumps(obj, separators=(",", ":"))` writes, and the
//! payload rule for reading it back.

use std::io;

use serde::Serialize;
use serde_json::ser::Formatter;

use crate::error::{Error, PayloadError, PayloadErrorKind};
use crate::pyjson;

/// A serde_json formatter that writes what Python's `json.dumps` writes with compact
/// separators: strings with `ensure_ascii=True` (every character outside printable
/// ASCII, DEL included, as `\uXXXX`) and floats as Python's `repr` (`1e+16`, `1e-05`).
/// Keys are written in the order the value serializes them.
struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        let mut text = String::new();
        pyjson::write_float(&mut text, value);
        writer.write_all(text.as_bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        // Python has no f32: Django would read the shortest f32 digits as a double and
        // write that double back.
        let wide = value.to_string().parse::<f64>().unwrap_or(f64::from(value));
        self.write_f64(writer, wide)
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Fragments never hold `"`, `\` or control characters (those arrive as char
        // escapes), so only DEL and non-ASCII text change here.
        if fragment.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut text = String::with_capacity(fragment.len() * 6);
        pyjson::write_escaped(&mut text, fragment);
        writer.write_all(text.as_bytes())
    }
}

/// `data` as Django's `JSONSerializer` writes it (ASCII only).
pub(crate) fn to_json<T: Serialize + ?Sized>(data: &T) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(512);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
    data.serialize(&mut serializer)
        .map_err(|_| Error::Serialize)?;
    Ok(out)
}

/// Django writes ASCII only and reads the bytes as Latin-1. A payload with any other
/// byte was not written by Django; reading it as UTF-8 would give other data than
/// Django sees, so it is refused as a syntax error.
pub(crate) fn check_ascii(json: &[u8]) -> Result<(), Error> {
    if json.is_ascii() {
        Ok(())
    } else {
        Err(Error::Deserialize(PayloadError::new(
            String::new(),
            PayloadErrorKind::Syntax,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn written_as_python_writes_it() {
        let data = json!({"a": [1.0, 1e16, 1e-5, -0.0, 12345678901234567890u64, -3],
                          "s": "Zoë \"東京\" 🦀\u{7f}\n/"});
        assert_eq!(
            String::from_utf8(to_json(&data).unwrap()).unwrap(),
            r#"{"a":[1.0,1e+16,1e-05,-0.0,12345678901234567890,-3],"s":"Zo\u00eb \"\u6771\u4eac\" \ud83e\udd80\u007f\n/"}"#
        );
        assert_eq!(to_json(&0.1f32).unwrap(), b"0.1");
        assert_eq!(to_json(&f64::NAN).unwrap(), b"null");
        assert!(check_ascii(b"{\"a\":\"\\u00e9\"}").is_ok());
        assert!(check_ascii("{\"a\":\"é\"}".as_bytes()).is_err());
    }
}
