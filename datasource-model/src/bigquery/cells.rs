//! Cells of a BigQuery REST answer → exact JSON cells (see [`crate::Cell`]).
//!
//! Every scalar arrives as a JSON string (`"42"`, `"1.5"`, `"true"`); NULL is `null`; REPEATED
//! fields are arrays of `{"v": …}`; RECORD fields are `{"f": [{"v": …}, …]}`. The decoder walks
//! `schema.fields` in parallel with `f`.

use crate::calendar::civil_from_days;
use serde_json::{Map, Value};

use super::models::{TableFieldSchema, TableSchema};
use crate::{Cell, Column, DataType};

/// The normalised type of a field (REPEATED and RECORD fields are JSON).
pub(crate) fn data_type(field: &TableFieldSchema) -> DataType {
    if is_repeated(field) {
        return DataType::Json;
    }
    scalar_type(&field.type_)
}

/// The normalised type of a BigQuery type name.
pub(crate) fn scalar_type(type_name: &str) -> DataType {
    match type_name.to_ascii_uppercase().as_str() {
        "GEOGRAPHY" => DataType::String,
        "RANGE" => DataType::String,
        other => DataType::from_sql_name(other),
    }
}

fn is_repeated(field: &TableFieldSchema) -> bool {
    field
        .mode
        .as_deref()
        .is_some_and(|m| m.eq_ignore_ascii_case("REPEATED"))
}

fn is_record(field: &TableFieldSchema) -> bool {
    matches!(
        field.type_.to_ascii_uppercase().as_str(),
        "RECORD" | "STRUCT"
    )
}

/// The type name shown to users: `INT64`, `ARRAY<STRING>`, `STRUCT<a INT64, b STRING>`.
pub(crate) fn raw_type(field: &TableFieldSchema) -> String {
    let base = if is_record(field) {
        let inner: Vec<String> = field
            .fields
            .iter()
            .map(|f| format!("{} {}", f.name, raw_type(f)))
            .collect();
        format!("STRUCT<{}>", inner.join(", "))
    } else {
        field.type_.to_ascii_uppercase()
    };
    if is_repeated(field) {
        format!("ARRAY<{base}>")
    } else {
        base
    }
}

/// Result columns from a schema.
pub(crate) fn columns(schema: &TableSchema) -> Vec<Column> {
    schema
        .fields
        .iter()
        .map(|f| Column::with_type(f.name.clone(), data_type(f), raw_type(f)))
        .collect()
}

/// Decode one row (`f` values in schema order).
pub(crate) fn row(schema: &TableSchema, values: &[super::models::CellValue]) -> Vec<Value> {
    schema
        .fields
        .iter()
        .enumerate()
        .map(|(i, field)| values.get(i).map_or(Value::Null, |c| cell(field, &c.v)))
        .collect()
}

/// Decode one cell of `field`.
pub(crate) fn cell(field: &TableFieldSchema, v: &Value) -> Value {
    if v.is_null() {
        return Value::Null;
    }
    if is_repeated(field) {
        let Value::Array(items) = v else {
            return v.clone();
        };
        return Value::Array(
            items
                .iter()
                .map(|item| scalar_or_record(field, item.get("v").unwrap_or(item)))
                .collect(),
        );
    }
    scalar_or_record(field, v)
}

fn scalar_or_record(field: &TableFieldSchema, v: &Value) -> Value {
    if v.is_null() {
        return Value::Null;
    }
    if is_record(field) {
        let cells = v.get("f").and_then(Value::as_array);
        let mut obj = Map::new();
        for (i, sub) in field.fields.iter().enumerate() {
            let value = cells
                .and_then(|c| c.get(i))
                .and_then(|c| c.get("v"))
                .map_or(Value::Null, |x| cell(sub, x));
            obj.insert(sub.name.clone(), value);
        }
        return Value::Object(obj);
    }
    let Some(text) = v.as_str() else {
        // Not the documented string form; keep what came.
        return v.clone();
    };
    match field.type_.to_ascii_uppercase().as_str() {
        "TIMESTAMP" => {
            epoch_seconds_to_rfc3339(text).map_or_else(|| Value::String(text.into()), Value::String)
        }
        "INTEGER" | "INT64" => Cell::from_text(Some(text), DataType::Integer),
        "FLOAT" | "FLOAT64" => Cell::from_text(Some(text), DataType::Float),
        "BOOLEAN" | "BOOL" => Cell::from_text(Some(text), DataType::Boolean),
        "JSON" => Cell::from_text(Some(text), DataType::Json),
        // NUMERIC/BIGNUMERIC stay decimal strings, exactly as sent; BYTES stay base64; DATE,
        // DATETIME, TIME, GEOGRAPHY (WKT), INTERVAL, RANGE and STRING stay text.
        _ => Value::String(text.to_string()),
    }
}

/// Convert BigQuery's TIMESTAMP text — float seconds since the epoch, often in scientific
/// notation (`"1.7145576001234E9"`) — to RFC 3339 in UTC with microseconds, without going
/// through `f64` (which would round microseconds away).
pub(crate) fn epoch_seconds_to_rfc3339(text: &str) -> Option<String> {
    let micros = epoch_micros(text)?;
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut out = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    );
    if frac != 0 {
        out.push_str(&format!(".{frac:06}"));
    }
    out.push('Z');
    Some(out)
}

/// Exact decimal/scientific seconds → integer microseconds (truncated below 1 µs).
fn epoch_micros(text: &str) -> Option<i64> {
    let t = text.trim();
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], t[i + 1..].parse::<i32>().ok()?),
        None => (t, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part
        .bytes()
        .chain(frac_part.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits = format!("{int_part}{frac_part}");
    // Position of the decimal point within `digits`, after applying the exponent and scaling
    // to microseconds (10^6).
    let point = i64::try_from(int_part.len()).ok()? + i64::from(exponent) + 6;
    let mut value: i64 = 0;
    for (i, b) in digits.bytes().enumerate() {
        if i64::try_from(i).ok()? >= point {
            break;
        }
        value = value.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
    }
    let len = i64::try_from(digits.len()).ok()?;
    for _ in len..point.max(len) {
        value = value.checked_mul(10)?;
    }
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(name: &str, t: &str) -> TableFieldSchema {
        TableFieldSchema {
            name: name.into(),
            type_: t.into(),
            ..TableFieldSchema::default()
        }
    }

    #[test]
    fn scalars_are_exact() {
        assert_eq!(
            cell(&field("a", "INT64"), &json!("9007199254740993")),
            json!("9007199254740993")
        );
        assert_eq!(cell(&field("a", "INTEGER"), &json!("42")), json!(42));
        assert_eq!(
            cell(
                &field("a", "NUMERIC"),
                &json!("12345678901234567890123456789.123456789")
            ),
            json!("12345678901234567890123456789.123456789")
        );
        assert_eq!(
            cell(
                &field("a", "BIGNUMERIC"),
                &json!("-0.12345678901234567890123456789012345678")
            ),
            json!("-0.12345678901234567890123456789012345678")
        );
        assert_eq!(cell(&field("a", "FLOAT64"), &json!("1.5")), json!(1.5));
        assert_eq!(cell(&field("a", "FLOAT"), &json!("NaN")), json!("NaN"));
        assert_eq!(
            cell(&field("a", "FLOAT"), &json!("-Infinity")),
            json!("-Infinity")
        );
        assert_eq!(cell(&field("a", "BOOL"), &json!("true")), json!(true));
        assert_eq!(cell(&field("a", "BYTES"), &json!("AAEC")), json!("AAEC"));
        assert_eq!(
            cell(&field("a", "DATE"), &json!("2024-05-01")),
            json!("2024-05-01")
        );
        assert_eq!(
            cell(&field("a", "DATETIME"), &json!("2024-05-01T10:00:00")),
            json!("2024-05-01T10:00:00")
        );
        assert_eq!(
            cell(&field("a", "TIME"), &json!("10:00:00.5")),
            json!("10:00:00.5")
        );
        assert_eq!(cell(&field("a", "STRING"), &Value::Null), Value::Null);
        assert_eq!(
            cell(&field("a", "JSON"), &json!("{\"k\":1}")),
            json!({"k": 1})
        );
    }

    #[test]
    fn timestamps_from_epoch_seconds() {
        let f = field("t", "TIMESTAMP");
        assert_eq!(
            cell(&f, &json!("1.7145576001234E9")),
            json!("2024-05-01T10:00:00.123400Z")
        );
        assert_eq!(
            cell(&f, &json!("1714557600")),
            json!("2024-05-01T10:00:00Z")
        );
        assert_eq!(
            cell(&f, &json!("1714557600.000001")),
            json!("2024-05-01T10:00:00.000001Z")
        );
        assert_eq!(cell(&f, &json!("0.0")), json!("1970-01-01T00:00:00Z"));
        assert_eq!(cell(&f, &json!("-1.0E0")), json!("1969-12-31T23:59:59Z"));
        assert_eq!(cell(&f, &json!("not a time")), json!("not a time"));
    }

    #[test]
    fn repeated_and_records() {
        let mut rec = field("r", "RECORD");
        rec.fields = vec![field("n", "INT64"), {
            let mut tags = field("tags", "STRING");
            tags.mode = Some("REPEATED".into());
            tags
        }];
        let v = json!({"f": [{"v": "9223372036854775807"}, {"v": [{"v": "a"}, {"v": "b"}]}]});
        assert_eq!(
            cell(&rec, &v),
            json!({"n": "9223372036854775807", "tags": ["a", "b"]})
        );
        assert_eq!(raw_type(&rec), "STRUCT<n INT64, tags ARRAY<STRING>>");
        let mut ints = field("xs", "INT64");
        ints.mode = Some("REPEATED".into());
        assert_eq!(cell(&ints, &json!([{"v": "1"}, {"v": "2"}])), json!([1, 2]));
        assert_eq!(data_type(&ints), DataType::Json);
    }
}
