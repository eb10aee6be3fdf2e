//! Decoding of result chunks (JSON_ARRAY, CSV, ARROW_STREAM) into [`Row`]s.

use std::sync::Arc;

use super::{ResultColumn, Row, SqlValue};

/// Rows of strings or nulls (INLINE `data_array` or a JSON_ARRAY external chunk).
pub(crate) fn text_rows(
    data: Vec<Vec<Option<String>>>,
    columns: &Arc<[ResultColumn]>,
) -> Result<Vec<Row>, String> {
    data.into_iter()
        .map(|cells| {
            if !columns.is_empty() && cells.len() != columns.len() {
                return Err(format!(
                    "a row has {} values but the manifest schema has {} columns",
                    cells.len(),
                    columns.len()
                ));
            }
            let values = if columns.is_empty() {
                cells
                    .into_iter()
                    .map(|c| c.map_or(SqlValue::Null, SqlValue::String))
                    .collect()
            } else {
                columns
                    .iter()
                    .zip(cells)
                    .map(|(col, cell)| SqlValue::decode_text(col, cell.as_deref()))
                    .collect::<Result<Vec<_>, _>>()?
            };
            Ok(Row::new(Arc::clone(columns), values))
        })
        .collect()
}

/// A JSON_ARRAY chunk body (`[["1","a"],["2",null]]`).
pub(crate) fn json_array_rows(
    body: &[u8],
    columns: &Arc<[ResultColumn]>,
) -> Result<Vec<Row>, String> {
    let data: Vec<Vec<Option<String>>> = serde_json::from_slice(body)
        .map_err(|e| format!("a JSON_ARRAY chunk is not an array of string rows: {e}"))?;
    text_rows(data, columns)
}

/// A CSV chunk body. An empty unquoted field is `NULL`; `""` is the empty string. The first
/// record is skipped when `skip_header` is set and it equals the column names.
pub(crate) fn csv_rows(
    body: &[u8],
    columns: &Arc<[ResultColumn]>,
    skip_header: bool,
) -> Result<Vec<Row>, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("a CSV chunk is not UTF-8: {e}"))?;
    let mut records = parse_csv(text)?;
    if skip_header
        && let Some(first) = records.first()
        && first.len() == columns.len()
        && first
            .iter()
            .zip(columns.iter())
            .all(|(cell, col)| cell.as_deref() == Some(col.name.as_str()))
    {
        records.remove(0);
    }
    text_rows(records, columns)
}

/// RFC 4180 records; `None` marks an empty unquoted field.
fn parse_csv(text: &str) -> Result<Vec<Vec<Option<String>>>, String> {
    let mut records = Vec::new();
    let mut record: Vec<Option<String>> = Vec::new();
    let mut field = String::new();
    let mut quoted = false; // the current field was quoted
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    let mut at_field_start = true;
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                in_quotes = true;
                quoted = true;
                at_field_start = false;
            }
            ',' => {
                record.push(finish_field(&mut field, &mut quoted));
                at_field_start = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(finish_field(&mut field, &mut quoted));
                records.push(std::mem::take(&mut record));
                at_field_start = true;
                any = false;
            }
            _ => {
                field.push(c);
                at_field_start = false;
            }
        }
    }
    if in_quotes {
        return Err("a CSV chunk ends inside a quoted field".to_owned());
    }
    if any {
        record.push(finish_field(&mut field, &mut quoted));
        records.push(record);
    }
    Ok(records)
}

fn finish_field(field: &mut String, quoted: &mut bool) -> Option<String> {
    let value = std::mem::take(field);
    let was_quoted = std::mem::replace(quoted, false);
    if value.is_empty() && !was_quoted {
        None
    } else {
        Some(value)
    }
}

#[cfg(feature = "arrow")]
pub(crate) use arrow_decode::arrow_rows;

#[cfg(feature = "arrow")]
mod arrow_decode {
    use std::sync::Arc;

    use arrow_array::{Array, ArrayRef, RecordBatch, cast::AsArray, types};
    use arrow_schema::{DataType, TimeUnit};
    use serde_json::Value;

    use super::super::{ResultColumn, Row, SqlValue};

    /// An ARROW_STREAM chunk body (Arrow IPC stream format).
    pub(crate) fn arrow_rows(
        body: &[u8],
        columns: &Arc<[ResultColumn]>,
    ) -> Result<Vec<Row>, String> {
        let reader = arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(body), None)
            .map_err(|e| format!("an ARROW_STREAM chunk is not an Arrow IPC stream: {e}"))?;
        let mut rows = Vec::new();
        for batch in reader {
            let batch = batch.map_err(|e| format!("bad Arrow record batch: {e}"))?;
            batch_rows(&batch, columns, &mut rows)?;
        }
        Ok(rows)
    }

    fn batch_rows(
        batch: &RecordBatch,
        columns: &Arc<[ResultColumn]>,
        out: &mut Vec<Row>,
    ) -> Result<(), String> {
        let arrays = batch.columns();
        for row in 0..batch.num_rows() {
            let values = arrays
                .iter()
                .map(|a| sql_value(a, row))
                .collect::<Result<Vec<_>, _>>()?;
            out.push(Row::new(Arc::clone(columns), values));
        }
        Ok(())
    }

    fn sql_value(array: &ArrayRef, i: usize) -> Result<SqlValue, String> {
        if array.is_null(i) {
            return Ok(SqlValue::Null);
        }
        Ok(match array.data_type() {
            DataType::Boolean => SqlValue::Bool(array.as_boolean().value(i)),
            DataType::Int8 => {
                SqlValue::Int(array.as_primitive::<types::Int8Type>().value(i).into())
            }
            DataType::Int16 => {
                SqlValue::Int(array.as_primitive::<types::Int16Type>().value(i).into())
            }
            DataType::Int32 => {
                SqlValue::Int(array.as_primitive::<types::Int32Type>().value(i).into())
            }
            DataType::Int64 => SqlValue::Int(array.as_primitive::<types::Int64Type>().value(i)),
            DataType::Float32 => {
                SqlValue::Float(array.as_primitive::<types::Float32Type>().value(i).into())
            }
            DataType::Float64 => {
                SqlValue::Float(array.as_primitive::<types::Float64Type>().value(i))
            }
            DataType::Decimal128(_, _) => SqlValue::Decimal(
                array
                    .as_primitive::<types::Decimal128Type>()
                    .value_as_string(i),
            ),
            DataType::Decimal256(_, _) => SqlValue::Decimal(
                array
                    .as_primitive::<types::Decimal256Type>()
                    .value_as_string(i),
            ),
            DataType::Utf8 => SqlValue::String(array.as_string::<i32>().value(i).to_owned()),
            DataType::LargeUtf8 => SqlValue::String(array.as_string::<i64>().value(i).to_owned()),
            DataType::Utf8View => SqlValue::String(array.as_string_view().value(i).to_owned()),
            DataType::Binary => SqlValue::Binary(array.as_binary::<i32>().value(i).to_vec()),
            DataType::LargeBinary => SqlValue::Binary(array.as_binary::<i64>().value(i).to_vec()),
            DataType::Date32 => SqlValue::Date(civil_date(i64::from(
                array.as_primitive::<types::Date32Type>().value(i),
            ))),
            DataType::Date64 => SqlValue::Date(civil_date(
                array
                    .as_primitive::<types::Date64Type>()
                    .value(i)
                    .div_euclid(86_400_000),
            )),
            DataType::Timestamp(unit, tz) => {
                let raw = match unit {
                    TimeUnit::Second => array.as_primitive::<types::TimestampSecondType>().value(i),
                    TimeUnit::Millisecond => array
                        .as_primitive::<types::TimestampMillisecondType>()
                        .value(i),
                    TimeUnit::Microsecond => array
                        .as_primitive::<types::TimestampMicrosecondType>()
                        .value(i),
                    TimeUnit::Nanosecond => array
                        .as_primitive::<types::TimestampNanosecondType>()
                        .value(i),
                };
                SqlValue::Timestamp(iso_timestamp(raw, *unit, tz.is_some()))
            }
            DataType::List(_)
            | DataType::LargeList(_)
            | DataType::Struct(_)
            | DataType::Map(_, _) => SqlValue::Json(json_value(array, i)?),
            other => {
                return Err(format!(
                    "Arrow type {other} is not supported; request JSON_ARRAY to read this column"
                ));
            }
        })
    }

    fn json_value(array: &ArrayRef, i: usize) -> Result<Value, String> {
        if array.is_null(i) {
            return Ok(Value::Null);
        }
        Ok(match array.data_type() {
            DataType::List(_) => {
                let list = array.as_list::<i32>().value(i);
                Value::Array(
                    (0..list.len())
                        .map(|j| json_value(&list, j))
                        .collect::<Result<_, _>>()?,
                )
            }
            DataType::LargeList(_) => {
                let list = array.as_list::<i64>().value(i);
                Value::Array(
                    (0..list.len())
                        .map(|j| json_value(&list, j))
                        .collect::<Result<_, _>>()?,
                )
            }
            DataType::Struct(fields) => {
                let s = array.as_struct();
                let mut map = serde_json::Map::new();
                for (f, col) in fields.iter().zip(s.columns()) {
                    map.insert(f.name().clone(), json_value(col, i)?);
                }
                Value::Object(map)
            }
            DataType::Map(_, _) => {
                let m = array.as_map();
                let entries = m.value(i);
                let keys = entries.column(0);
                let values = entries.column(1);
                let mut map = serde_json::Map::new();
                for j in 0..entries.len() {
                    let key = match json_value(keys, j)? {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    map.insert(key, json_value(values, j)?);
                }
                Value::Object(map)
            }
            _ => sql_value(array, i)?.to_json(),
        })
    }

    /// Days since 1970-01-01 → `YYYY-MM-DD` (Howard Hinnant's civil-from-days).
    pub(super) fn civil_date(days: i64) -> String {
        let (y, m, d) = civil(days);
        format!("{y:04}-{m:02}-{d:02}")
    }

    fn civil(days: i64) -> (i64, u32, u32) {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        (if m <= 2 { y + 1 } else { y }, m, d)
    }

    pub(super) fn iso_timestamp(raw: i64, unit: TimeUnit, utc: bool) -> String {
        let (per_sec, digits) = match unit {
            TimeUnit::Second => (1_i64, 0_usize),
            TimeUnit::Millisecond => (1_000, 3),
            TimeUnit::Microsecond => (1_000_000, 6),
            TimeUnit::Nanosecond => (1_000_000_000, 9),
        };
        let secs = raw.div_euclid(per_sec);
        let frac = raw.rem_euclid(per_sec);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil(days);
        let mut s = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            sod / 3600,
            (sod % 3600) / 60,
            sod % 60
        );
        if digits > 0 && frac != 0 {
            s.push_str(&format!(".{frac:0digits$}"));
        }
        if utc {
            s.push('Z');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::ColumnTypeName;

    fn cols(spec: &[(&str, ColumnTypeName)]) -> Arc<[ResultColumn]> {
        spec.iter()
            .map(|(n, t)| ResultColumn::new(*n, t.clone()))
            .collect()
    }

    #[test]
    fn json_chunk_rows_follow_schema() {
        let c = cols(&[("id", ColumnTypeName::Long), ("d", ColumnTypeName::Decimal)]);
        let rows = json_array_rows(br#"[["1","0.10"],["2",null]]"#, &c).unwrap();
        assert_eq!(rows[0].get(1), Some(&SqlValue::Decimal("0.10".into())));
        assert_eq!(rows[1].get_by_name("D"), Some(&SqlValue::Null));
        let err = json_array_rows(br#"[["1"]]"#, &c).unwrap_err();
        assert!(err.contains("2 columns"), "{err}");
    }

    #[test]
    fn csv_quotes_nulls_and_header() {
        let c = cols(&[("id", ColumnTypeName::Int), ("s", ColumnTypeName::String)]);
        let body = b"id,s\r\n1,\"a,\"\"b\"\"\nc\"\r\n2,\n3,\"\"\n";
        let rows = csv_rows(body, &c, true).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].get(1), Some(&SqlValue::String("a,\"b\"\nc".into())));
        assert_eq!(rows[1].get(1), Some(&SqlValue::Null));
        assert_eq!(rows[2].get(1), Some(&SqlValue::String(String::new())));
        // Not a header: kept.
        let rows = csv_rows(b"5,x", &c, true).unwrap();
        assert_eq!(rows[0].get(0), Some(&SqlValue::Int(5)));
        assert!(csv_rows(b"1,\"open", &c, false).is_err());
    }

    #[cfg(feature = "arrow")]
    #[test]
    fn arrow_chunk_decodes() {
        use arrow_array::Array as _;
        use arrow_array::builder::{Int32Builder, ListBuilder};
        use arrow_array::{
            Date32Array, Decimal128Array, RecordBatch, StringArray, TimestampMicrosecondArray,
        };
        use arrow_schema::{DataType, Field, Schema, TimeUnit};

        let mut list = ListBuilder::new(Int32Builder::new());
        list.values().append_value(1);
        list.values().append_value(2);
        list.append(true);
        list.append(false);
        let list = list.finish();
        let schema = Arc::new(Schema::new(vec![
            Field::new("s", DataType::Utf8, true),
            Field::new("d", DataType::Decimal128(20, 3), true),
            Field::new("day", DataType::Date32, true),
            Field::new(
                "ts",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                true,
            ),
            Field::new("l", list.data_type().clone(), true),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(StringArray::from(vec![Some("a"), None])),
                Arc::new(
                    Decimal128Array::from(vec![Some(123_456_789_012_345_678), Some(-5)])
                        .with_precision_and_scale(20, 3)
                        .unwrap(),
                ),
                Arc::new(Date32Array::from(vec![Some(19_782), Some(-1)])),
                Arc::new(
                    TimestampMicrosecondArray::from(vec![Some(1_709_200_800_123_000), Some(0)])
                        .with_timezone("UTC"),
                ),
                Arc::new(list),
            ],
        )
        .unwrap();
        let mut buf = Vec::new();
        {
            let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut buf, &schema).unwrap();
            w.write(&batch).unwrap();
            w.finish().unwrap();
        }
        let c = cols(&[
            ("s", ColumnTypeName::String),
            ("d", ColumnTypeName::Decimal),
            ("day", ColumnTypeName::Date),
            ("ts", ColumnTypeName::Timestamp),
            ("l", ColumnTypeName::Array),
        ]);
        let rows = arrow_rows(&buf, &c).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].values(),
            &[
                SqlValue::String("a".into()),
                SqlValue::Decimal("123456789012345.678".into()),
                SqlValue::Date("2024-02-29".into()),
                SqlValue::Timestamp("2024-02-29T10:00:00.123000Z".into()),
                SqlValue::Json(serde_json::json!([1, 2])),
            ]
        );
        assert_eq!(rows[1].get(0), Some(&SqlValue::Null));
        assert_eq!(rows[1].get(1), Some(&SqlValue::Decimal("-0.005".into())));
        assert_eq!(rows[1].get(2), Some(&SqlValue::Date("1969-12-31".into())));
        assert_eq!(
            rows[1].get(3),
            Some(&SqlValue::Timestamp("1970-01-01T00:00:00Z".into()))
        );
        assert_eq!(rows[1].get(4), Some(&SqlValue::Null));
    }
}
