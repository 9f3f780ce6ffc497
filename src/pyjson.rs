//! The pieces of JSON that Python's `json.dumps` spells differently from serde_json,
//! shared by the Flask and Django profiles: strings with `ensure_ascii=True`, and floats
//! written as Python's `repr` writes them.

use serde_json::Number;

/// Appends `s` as a JSON string, escaping as Python's `json.dumps(ensure_ascii=True)`:
/// `"` and `\`, the named escapes `\n \r \t \b \f`, and every other character outside
/// printable ASCII (space to `~`) as `\uXXXX` in lower-case hex, using a surrogate pair
/// above U+FFFF.
pub(crate) fn write_str(out: &mut String, s: &str) {
    out.push('"');
    write_escaped(out, s);
    out.push('"');
}

/// The inside of [`write_str`], without the quotes.
pub(crate) fn write_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
}

/// Appends a number as Python writes it: integers as they are, floats as `repr`.
#[cfg(feature = "flask")]
pub(crate) fn write_number(out: &mut String, n: &Number) {
    match n.as_f64() {
        Some(f) if n.is_f64() => write_float(out, f),
        _ => out.push_str(&n.to_string()),
    }
}

/// Python's `repr(float)`: the shortest digits that round-trip, in fixed notation when
/// the decimal exponent is between -4 and 16, otherwise as `d.ddde+XX`.
pub(crate) fn write_float(out: &mut String, f: f64) {
    // serde_json writes the shortest round-trip digits; only the layout differs.
    let text = Number::from_f64(f).map_or_else(|| "NaN".to_string(), |n| n.to_string());
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (mantissa, exp) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // All significant digits, and the position of the decimal point relative to them:
    // value = 0.DIGITS × 10^point.
    let all: String = format!("{int_part}{frac_part}");
    let leading = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_matches('0');
    out.push_str(sign);
    if digits.is_empty() {
        out.push_str("0.0");
        return;
    }
    let point = int_part.len() as i32 - leading as i32 + exp;
    if -4 < point && point <= 16 {
        if point <= 0 {
            out.push_str("0.");
            out.push_str(&"0".repeat((-point) as usize));
            out.push_str(digits);
        } else if (point as usize) >= digits.len() {
            out.push_str(digits);
            out.push_str(&"0".repeat(point as usize - digits.len()));
            out.push_str(".0");
        } else {
            let (a, b) = digits.split_at(point as usize);
            out.push_str(a);
            out.push('.');
            out.push_str(b);
        }
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let e = point - 1;
        out.push_str(&format!("e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(f: f64) -> String {
        let mut s = String::new();
        write_float(&mut s, f);
        s
    }

    #[test]
    fn floats_match_python_repr() {
        // Pairs checked against CPython 3.11 `repr`.
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (1.5, "1.5"),
            (-2.25, "-2.25"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.000123, "0.000123"),
            (1.5e-7, "1.5e-07"),
            (123456789.0, "123456789.0"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.2345e16, "1.2345e+16"),
            (12345678901234567.0, "1.2345678901234568e+16"),
            (1e100, "1e+100"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (std::f64::consts::PI, "3.141592653589793"),
            (100.0, "100.0"),
        ];
        for (f, want) in cases {
            assert_eq!(float(*f), *want, "{f:e}");
        }
    }

    #[test]
    fn strings_are_ascii_escaped() {
        let mut s = String::new();
        write_str(&mut s, "a\"\\\n\r\t\u{8}\u{c}\u{1}\u{7f}é東🦀/");
        assert_eq!(
            s,
            r#""a\"\\\n\r\t\b\f\u0001\u007f\u00e9\u6771\ud83e\udd80/""#
        );
    }
}
