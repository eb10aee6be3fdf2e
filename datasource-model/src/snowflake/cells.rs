//! Decoding SQL API v2 cells (`data` is `[[string|null]]`) from `rowType` + `scale` into the
//! crate's exact [`Cell`] rules.
//!
//! | Snowflake type | Wire text | Cell |
//! |---|---|---|
//! | `FIXED`, scale 0 | `"123"` | JSON number up to 2^53, beyond that the exact decimal string |
//! | `FIXED`, scale > 0 | `"1234.50"` | the exact decimal string |
//! | `REAL` | `"1.5"` | JSON number (`NaN`/`inf` stay strings) |
//! | `BOOLEAN` | `"true"` | JSON boolean |
//! | `DATE` | days since epoch `"19723"` | `"2024-01-01"` |
//! | `TIME` | seconds since midnight `"3723.000000000"` | `"01:02:03.000000000"` |
//! | `TIMESTAMP_NTZ` | epoch seconds `"1704067200.000000000"` | `"2024-01-01T00:00:00.000000000"` |
//! | `TIMESTAMP_LTZ` | epoch seconds | `"2024-01-01T00:00:00.000000000Z"` (UTC) |
//! | `TIMESTAMP_TZ` | `"<epoch seconds> <offset minutes + 1440>"` | wall time with `+hh:mm` |
//! | `BINARY` | hex | the hex string |
//! | `VARIANT`, `OBJECT`, `ARRAY` | JSON text | the parsed JSON value |
//!
//! Text that does not parse as its type is returned unchanged as a string (never dropped).

use crate::calendar::civil_from_days;
use serde::Deserialize;
use serde_json::Value;

use crate::{Cell, Column, DataType};

/// One `rowType` entry of `resultSetMetaData` (unknown fields tolerated).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub(crate) struct RowType {
    /// Column name.
    #[serde(default)]
    pub(crate) name: String,
    /// Snowflake type (`fixed`, `real`, `text`, `date`, `timestamp_ntz`, …; any case).
    #[serde(default, rename = "type")]
    pub(crate) type_name: String,
    /// Precision of `FIXED`.
    #[serde(default)]
    pub(crate) precision: Option<u32>,
    /// Scale of `FIXED` (and fractional digits of times).
    #[serde(default)]
    pub(crate) scale: Option<u32>,
}

impl RowType {
    /// The raw type as shown to users: `NUMBER(38,2)`, `TIMESTAMP_NTZ`, …
    pub(crate) fn raw_type(&self) -> String {
        let t = self.type_name.to_ascii_uppercase();
        if t == "FIXED" {
            format!(
                "NUMBER({},{})",
                self.precision.unwrap_or(38),
                self.scale.unwrap_or(0)
            )
        } else {
            t
        }
    }

    /// The normalised type.
    pub(crate) fn data_type(&self) -> DataType {
        match self.type_name.to_ascii_uppercase().as_str() {
            "FIXED" if self.scale.unwrap_or(0) == 0 => DataType::Integer,
            "FIXED" => DataType::Decimal,
            "REAL" => DataType::Float,
            "TEXT" => DataType::String,
            other => DataType::from_sql_name(other),
        }
    }

    /// The crate's column.
    pub(crate) fn column(&self) -> Column {
        Column::with_type(self.name.clone(), self.data_type(), self.raw_type())
    }
}

/// Decode one cell.
pub(crate) fn decode(text: Option<&str>, row_type: &RowType) -> Value {
    let Some(t) = text else {
        return Value::Null;
    };
    let raw = || Value::String(t.to_string());
    match row_type.type_name.to_ascii_uppercase().as_str() {
        "FIXED" if row_type.scale.unwrap_or(0) == 0 => Cell::from_text(Some(t), DataType::Integer),
        "FIXED" => raw(),
        "REAL" => Cell::from_text(Some(t), DataType::Float),
        "BOOLEAN" => Cell::from_text(Some(t), DataType::Boolean),
        "DATE" => t
            .trim()
            .parse::<i64>()
            .ok()
            .map(|d| Value::String(date_string(d)))
            .unwrap_or_else(raw),
        "TIME" => parse_epoch(t)
            .filter(|(s, _)| (0..86_400).contains(s))
            .map(|(s, nanos)| Value::String(time_string(s, nanos)))
            .unwrap_or_else(raw),
        "TIMESTAMP_NTZ" => parse_epoch(t)
            .map(|(s, n)| Value::String(timestamp_string(s, n)))
            .unwrap_or_else(raw),
        "TIMESTAMP_LTZ" => parse_epoch(t)
            .map(|(s, n)| Value::String(format!("{}Z", timestamp_string(s, n))))
            .unwrap_or_else(raw),
        "TIMESTAMP_TZ" => timestamp_tz(t).map(Value::String).unwrap_or_else(raw),
        "VARIANT" | "OBJECT" | "ARRAY" => Cell::from_text(Some(t), DataType::Json),
        _ => raw(),
    }
}

/// Decode a row (missing trailing cells become `null`).
pub(crate) fn decode_row(row: &[Option<String>], row_types: &[RowType]) -> Vec<Value> {
    row_types
        .iter()
        .enumerate()
        .map(|(i, rt)| decode(row.get(i).and_then(Option::as_deref), rt))
        .collect()
}

/// `"<seconds>[.<fraction>]"` → (seconds, nanoseconds), flooring negative values.
fn parse_epoch(text: &str) -> Option<(i64, u32)> {
    let text = text.trim();
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let negative = whole.starts_with('-');
    let secs: i64 = whole.parse().ok()?;
    let mut nanos: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    let mut secs = secs;
    if negative && nanos > 0 {
        secs = secs.checked_sub(1)?;
        nanos = 1_000_000_000 - nanos;
    }
    Some((secs, nanos))
}

/// Days since 1970-01-01 → `YYYY-MM-DD` (proleptic Gregorian; H. Hinnant's algorithm).
fn date_string(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    if (0..=9999).contains(&y) {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!("{y:+}-{m:02}-{d:02}")
    }
}

fn time_string(secs_of_day: i64, nanos: u32) -> String {
    let h = secs_of_day / 3600;
    let m = (secs_of_day % 3600) / 60;
    let s = secs_of_day % 60;
    format!("{h:02}:{m:02}:{s:02}.{nanos:09}")
}

fn timestamp_string(secs: i64, nanos: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    format!("{}T{}", date_string(days), time_string(rest, nanos))
}

/// `"<epoch seconds> <offset minutes + 1440>"` → local wall time with its offset.
fn timestamp_tz(text: &str) -> Option<String> {
    let (epoch, offset) = text.trim().split_once(' ')?;
    let (secs, nanos) = parse_epoch(epoch)?;
    let offset_minutes = offset.trim().parse::<i64>().ok()? - 1440;
    if offset_minutes.abs() > 1440 {
        return None;
    }
    let local = secs.checked_add(offset_minutes * 60)?;
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let abs = offset_minutes.abs();
    Some(format!(
        "{}{sign}{:02}:{:02}",
        timestamp_string(local, nanos),
        abs / 60,
        abs % 60
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rt(t: &str, scale: u32) -> RowType {
        RowType {
            name: "c".into(),
            type_name: t.into(),
            precision: Some(38),
            scale: Some(scale),
        }
    }

    #[test]
    fn every_type_decodes_exactly() {
        let cases = [
            (rt("fixed", 0), "42", json!(42)),
            (
                rt("FIXED", 0),
                "9007199254740993",
                json!("9007199254740993"),
            ),
            (
                rt("fixed", 0),
                "-99999999999999999999999999999999999999",
                json!("-99999999999999999999999999999999999999"),
            ),
            (rt("fixed", 2), "1234.50", json!("1234.50")),
            (rt("real", 0), "1.5", json!(1.5)),
            (rt("real", 0), "NaN", json!("NaN")),
            (rt("boolean", 0), "false", json!(false)),
            (rt("date", 0), "19723", json!("2024-01-01")),
            (rt("date", 0), "-1", json!("1969-12-31")),
            (rt("time", 9), "3723.500000000", json!("01:02:03.500000000")),
            (
                rt("timestamp_ntz", 9),
                "1704067200.000000001",
                json!("2024-01-01T00:00:00.000000001"),
            ),
            (
                rt("timestamp_ltz", 9),
                "-0.5",
                json!("1969-12-31T23:59:59.500000000Z"),
            ),
            (
                rt("timestamp_tz", 9),
                "1704067200.000000000 1560",
                json!("2024-01-01T02:00:00.000000000+02:00"),
            ),
            (
                rt("timestamp_tz", 9),
                "1704067200.000000000 1140",
                json!("2023-12-31T19:00:00.000000000-05:00"),
            ),
            (rt("binary", 0), "48656c6c6f", json!("48656c6c6f")),
            (rt("variant", 0), "{\"a\": [1, 2]}", json!({"a": [1, 2]})),
            (rt("array", 0), "[1, \"x\"]", json!([1, "x"])),
            (rt("object", 0), "not json", json!("not json")),
            (rt("text", 0), "hello", json!("hello")),
            (rt("date", 0), "garbage", json!("garbage")),
        ];
        for (row_type, text, want) in cases {
            assert_eq!(decode(Some(text), &row_type), want, "{row_type:?} {text}");
        }
        assert_eq!(decode(None, &rt("fixed", 0)), Value::Null);
    }

    #[test]
    fn types_normalise() {
        assert_eq!(rt("fixed", 0).data_type(), DataType::Integer);
        assert_eq!(rt("fixed", 2).data_type(), DataType::Decimal);
        assert_eq!(rt("fixed", 2).raw_type(), "NUMBER(38,2)");
        assert_eq!(rt("text", 0).data_type(), DataType::String);
        assert_eq!(rt("timestamp_tz", 9).data_type(), DataType::Timestamp);
        assert_eq!(rt("variant", 0).data_type(), DataType::Json);
    }

    proptest::proptest! {
        /// Every scale-0 FIXED integer survives exactly (number or string).
        #[test]
        fn fixed_integers_are_exact(v in proptest::num::i64::ANY) {
            let cell = decode(Some(&v.to_string()), &rt("fixed", 0));
            let back = match &cell {
                Value::Number(n) => n.as_i64().map(|n| n.to_string()),
                Value::String(s) => Some(s.clone()),
                _ => None,
            };
            proptest::prop_assert_eq!(back, Some(v.to_string()));
        }

        /// Dates round-trip through days-since-epoch.
        #[test]
        fn dates_are_monotonic(d in -700_000i64..2_900_000) {
            let a = date_string(d);
            let b = date_string(d + 1);
            proptest::prop_assert!(a < b || a.starts_with('-') || b.starts_with('+'), "{} {}", a, b);
        }
    }
}
