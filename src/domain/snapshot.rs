//! Published snapshots (docs/DOMAIN.md, "Published snapshots"): a round's summary stored once
//! for a meeting, with the SHA-256 of its canonical JSON. The canonical form, the hash and the
//! rule on the instant it is published at.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::FieldError;

/// The canonical JSON of a value, by RFC 8785 (the JSON Canonicalization Scheme, JCS): object
/// members sorted by key, comparing the keys' UTF-16 code units, at every depth; no whitespace
/// outside strings; strings escaped as ECMAScript's `JSON.stringify` escapes them (`"`, `\`,
/// `\b \f \n \r \t`, other control characters as `\u00xx`, everything else as is); numbers
/// as ECMAScript writes an IEEE double (`70`, `0.00005`, `1e-7`, `1e+21`). Any JCS library
/// (Python `jcs`, JavaScript `canonicalize`, Java `json-canonicalization`) gives the same text
/// from a snapshot's `summary`; two values equal as JSON documents have the same text. The
/// text is what a snapshot stores and hashes.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Number(number) => out.push_str(&ecmascript_number(number.as_f64().unwrap_or(0.0))),
        Value::Null | Value::Bool(_) | Value::String(_) => {
            // serde_json escapes strings exactly as JSON.stringify does (the short escapes,
            // other control characters as lower-case `\u00xx`, nothing else).
            out.push_str(&value.to_string());
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            // Sorted here, not by the map: serde_json's map keeps insertion order when its
            // `preserve_order` feature is on anywhere in the build.
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (key, item)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
    }
}

/// An IEEE double as ECMAScript's `Number::toString` writes it (RFC 8785, section 3.2.2.3):
/// the shortest digits that read back to the same double (Rust's `{:e}` gives them), in plain
/// notation from 1e-6 up to 1e21 and in exponent notation (`1e-7`, `1.5e+21`) outside.
fn ecmascript_number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        // -0 is 0; JSON has no NaN nor infinity (serde_json never reads one).
        return "0".to_owned();
    }
    if x < 0.0 {
        return format!("-{}", ecmascript_number(-x));
    }
    let scientific = format!("{x:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let k = digits.len() as i32;
    // x = 0.d1d2…dk × 10^n
    let n = exponent.parse::<i32>().unwrap_or(0) + 1;
    if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (whole, fraction) = digits.split_at(n as usize);
        format!("{whole}.{fraction}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let sign = if e >= 0 { '+' } else { '-' };
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        format!("{first}{rest}e{sign}{}", e.abs())
    }
}

/// SHA-256 of `text`'s UTF-8 bytes, 64 lower-case hex digits.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// A snapshot publishes what was known at `as_of`: an instant after the moment of publishing
/// (`now`) would be a summary of reports not yet filed, which later reports would make untrue.
/// 422 naming `as_of`.
pub fn check_as_of(as_of: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), FieldError> {
    if as_of > now {
        return Err(FieldError::new(
            "as_of",
            format!(
                "must not be later than now ({}): a snapshot publishes what was known at an \
                 instant that has passed; leave as_of out to publish as of now",
                now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn members_are_sorted_at_every_depth_without_whitespace() {
        let value = json!({"b": 1, "a": {"z": [3, {"y": null, "x": true}], "c": "ค่า"}, "A": 2.5});
        assert_eq!(
            canonical_json(&value),
            r#"{"A":2.5,"a":{"c":"ค่า","z":[3,{"x":true,"y":null}]},"b":1}"#
        );
    }

    #[test]
    fn keys_sort_by_utf16_code_units_as_rfc_8785_says() {
        // U+1F600 (an astral character, the surrogate pair D83D DE00 in UTF-16) sorts before
        // U+FF21 in UTF-16 order, where code-point order would put it last.
        let value = json!({"\u{1F600}": 4, "\u{FF21}": 3, "é": 2, "z": 1, "Z": 0});
        assert_eq!(
            canonical_json(&value),
            "{\"Z\":0,\"z\":1,\"é\":2,\"\u{1F600}\":4,\"\u{FF21}\":3}"
        );
    }

    #[test]
    fn the_order_members_were_written_in_does_not_matter() {
        let a: Value =
            serde_json::from_str(r#"{"x": 1, "y": [1, 2], "z": {"q": 1, "p": 2}}"#).expect("json");
        let b: Value =
            serde_json::from_str(r#"{"z":{"p":2,"q":1},"y":[1,2],"x":1}"#).expect("json");
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(
            sha256_hex(&canonical_json(&a)),
            sha256_hex(&canonical_json(&b))
        );
        // Array order is data: it matters.
        let c = json!({"x": 1, "y": [2, 1], "z": {"p": 2, "q": 1}});
        assert_ne!(canonical_json(&a), canonical_json(&c));
    }

    #[test]
    fn numbers_and_strings_are_written_as_ecmascript_writes_them() {
        let value = json!([
            70.0,
            0.1,
            1e21,
            1e20,
            -0.0,
            12,
            -3,
            84.62,
            0.00005,
            0.000001,
            1e-7,
            333333333.3333333,
            5e-324,
            1.7976931348623157e308,
            9007199254740992.0,
            295147905179352830000.0,
            -1.5e-9,
            "a\"b\\c\n\u{1}\u{1f}",
            "ยโสธร"
        ]);
        // The numbers of RFC 8785's appendix B and ECMAScript's Number::toString.
        assert_eq!(
            canonical_json(&value),
            "[70,0.1,1e+21,100000000000000000000,0,12,-3,84.62,0.00005,0.000001,1e-7,\
             333333333.3333333,5e-324,1.7976931348623157e+308,9007199254740992,\
             295147905179352830000,-1.5e-9,\"a\\\"b\\\\c\\n\\u0001\\u001f\",\"ยโสธร\"]"
        );
    }

    #[test]
    fn canonical_text_reads_back_to_the_same_text() {
        let value = json!({"w": 33.333333333333336, "t": "2022-08-10T03:00:00Z", "n": null});
        let text = canonical_json(&value);
        let again: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(canonical_json(&again), text);
    }

    #[test]
    fn sha256_is_hex_of_the_utf8_bytes() {
        assert_eq!(
            sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(sha256_hex("{}").len(), 64);
    }

    #[test]
    fn as_of_may_be_now_or_earlier_never_later() {
        let now: DateTime<Utc> = "2022-08-10T03:00:00Z".parse().expect("instant");
        assert!(check_as_of(now, now).is_ok());
        assert!(check_as_of(now - chrono::Duration::days(30), now).is_ok());
        let error =
            check_as_of(now + chrono::Duration::microseconds(1), now).expect_err("later than now");
        assert_eq!(error.field, "as_of");
        assert!(
            error.message.contains("2022-08-10T03:00:00Z"),
            "{}",
            error.message
        );
    }
}
