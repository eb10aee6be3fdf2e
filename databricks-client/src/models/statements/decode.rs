//! Decoding of result chunks (JSON_ARRAY, CSV, ARROW_STREAM) into [`Row`]s or, for
//! ARROW_STREAM, into Arrow `RecordBatch`es.
//!
//! The decoders read the chunk bytes directly into typed values: a JSON_ARRAY cell is read
//! as a borrowed `&str` where the JSON has no escapes and converted once (no intermediate
//! `serde_json::Value` or owned `String` per cell); CSV goes through the `csv` crate with one
//! reused record buffer; Arrow is converted column by column (one type dispatch per column
//! and batch, not per cell).
//!
//! ```
//! use std::sync::Arc;
//! use databricks_client::models::{ColumnTypeName, ResultColumn, SqlValue};
//! use databricks_client::models::decode;
//!
//! let columns: Arc<[ResultColumn]> = vec![
//!     ResultColumn::new("id", ColumnTypeName::Long),
//!     ResultColumn::new("name", ColumnTypeName::String),
//! ].into();
//! let rows = decode::json_array_rows(br#"[["1","a"],["2",null]]"#, &columns)?;
//! assert_eq!(rows[0].get(0), Some(&SqlValue::Int(1)));
//! let rows = decode::csv_rows(b"id,name\n3,c\n", &columns)?;
//! assert_eq!(rows[0].get_by_name("name"), Some(&SqlValue::String("c".into())));
//! # Ok::<(), decode::ChunkDecodeError>(())
//! ```

use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};

use super::{ResultColumn, Row, SqlValue};

/// A result chunk that could not be decoded (malformed body, or a value that does not fit
/// its column's type). The message names the column and the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkDecodeError(String);

impl ChunkDecodeError {
    /// The decoder's message.
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChunkDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ChunkDecodeError {}

impl From<String> for ChunkDecodeError {
    fn from(message: String) -> Self {
        Self(message)
    }
}

type DecodeResult<T> = Result<T, ChunkDecodeError>;

fn width_error(found: usize, expected: usize) -> String {
    format!("a row has {found} values but the manifest schema has {expected} columns")
}

/// Rows of strings or nulls (INLINE `data_array`).
pub(crate) fn text_rows(
    data: Vec<Vec<Option<String>>>,
    columns: &Arc<[ResultColumn]>,
) -> DecodeResult<Vec<Row>> {
    data.into_iter()
        .map(|cells| {
            if !columns.is_empty() && cells.len() != columns.len() {
                return Err(width_error(cells.len(), columns.len()).into());
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

/// Decodes a JSON_ARRAY chunk body (`[["1","a"],["2",null]]`) with the manifest's columns.
///
/// Cells are converted straight from the bytes: no `serde_json::Value` and no owned string
/// per cell (only `STRING`-like values own their text).
///
/// # Errors
/// When the body is not an array of rows of strings or nulls, a row's width differs from
/// the schema, or a cell does not fit its column's type.
pub fn json_array_rows(body: &[u8], columns: &Arc<[ResultColumn]>) -> DecodeResult<Vec<Row>> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let rows = ChunkSeed { columns }
        .deserialize(&mut de)
        .and_then(|rows| de.end().map(|()| rows))
        .map_err(|e| format!("a JSON_ARRAY chunk is not an array of string rows: {e}"))?;
    Ok(rows)
}

struct ChunkSeed<'a> {
    columns: &'a Arc<[ResultColumn]>,
}

impl<'de> DeserializeSeed<'de> for ChunkSeed<'_> {
    type Value = Vec<Row>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Row>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ChunkSeed<'_> {
    type Value = Vec<Row>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of rows")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Row>, A::Error> {
        let mut rows = Vec::with_capacity(seq.size_hint().unwrap_or(1024));
        while let Some(values) = seq.next_element_seed(RowSeed {
            columns: self.columns,
        })? {
            rows.push(Row::new(Arc::clone(self.columns), values));
        }
        Ok(rows)
    }
}

struct RowSeed<'a> {
    columns: &'a [ResultColumn],
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = Vec<SqlValue>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<SqlValue>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = Vec<SqlValue>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a row (an array of strings or nulls)")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<SqlValue>, A::Error> {
        let width = self.columns.len();
        let mut values = Vec::with_capacity(width);
        loop {
            let column = self.columns.get(values.len());
            if column.is_none() && width > 0 {
                // One value too many: count the rest for the message.
                let mut found = values.len();
                while seq.next_element::<de::IgnoredAny>()?.is_some() {
                    found += 1;
                }
                if found == width {
                    break;
                }
                return Err(de::Error::custom(width_error(found, width)));
            }
            match seq.next_element_seed(CellSeed { column })? {
                Some(v) => values.push(v),
                None => break,
            }
        }
        if width > 0 && values.len() != width {
            return Err(de::Error::custom(width_error(values.len(), width)));
        }
        Ok(values)
    }
}

struct CellSeed<'a> {
    column: Option<&'a ResultColumn>,
}

impl<'de> DeserializeSeed<'de> for CellSeed<'_> {
    type Value = SqlValue;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<SqlValue, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for CellSeed<'_> {
    type Value = SqlValue;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<SqlValue, E> {
        Ok(SqlValue::Null)
    }
    fn visit_unit<E: de::Error>(self) -> Result<SqlValue, E> {
        Ok(SqlValue::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<SqlValue, D::Error> {
        d.deserialize_str(self)
    }
    fn visit_str<E: de::Error>(self, text: &str) -> Result<SqlValue, E> {
        match self.column {
            Some(col) => SqlValue::decode_text(col, Some(text)).map_err(E::custom),
            None => Ok(SqlValue::String(text.to_owned())),
        }
    }
    fn visit_string<E: de::Error>(self, text: String) -> Result<SqlValue, E> {
        match self.column {
            Some(col) if !col.type_name.is_string_like() => {
                SqlValue::decode_text(col, Some(&text)).map_err(E::custom)
            }
            // A string value owns the text the parser already unescaped: no second copy.
            _ => Ok(SqlValue::String(text)),
        }
    }
}

/// Decodes a CSV chunk body (RFC 4180, through the `csv` crate). An empty unquoted field is
/// `NULL`; `""` is the empty string.
///
/// A first record equal to the column names is a header and is skipped, in every chunk:
/// results may repeat the header in each chunk or carry it only in the first. (A data row
/// of only string columns whose values are exactly the column names, first in its chunk,
/// is indistinguishable from a header and is skipped too.)
///
/// # Errors
/// When the body is not UTF-8 CSV, a record's width differs from the schema, or a field
/// does not fit its column's type.
pub fn csv_rows(body: &[u8], columns: &Arc<[ResultColumn]>) -> DecodeResult<Vec<Row>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut record = csv::ByteRecord::new();
    let mut rows = Vec::new();
    let mut first = true;
    let mut quoted_empty: Vec<bool> = Vec::new();
    loop {
        let start = reader.position().byte() as usize;
        let more = reader
            .read_byte_record(&mut record)
            .map_err(|e| format!("a CSV chunk is not valid CSV: {e}"))?;
        if !more {
            break;
        }
        if std::mem::replace(&mut first, false)
            && !columns.is_empty()
            && record.len() == columns.len()
            && record
                .iter()
                .zip(columns.iter())
                .all(|(cell, col)| cell == col.name.as_bytes())
        {
            continue;
        }
        let end = reader.position().byte() as usize;
        if !columns.is_empty() && record.len() != columns.len() {
            return Err(width_error(record.len(), columns.len()).into());
        }
        let any_empty = record.iter().any(<[u8]>::is_empty);
        let raw = body.get(start..end).unwrap_or_default();
        // Every field but an unterminated quoted one ends before the body does; check the
        // last record (the csv crate accepts an unterminated quote at the end of input).
        if (any_empty || end == body.len()) && scan_record(raw, &mut quoted_empty) {
            return Err("a CSV chunk ends inside a quoted field".to_owned().into());
        }
        let mut values = Vec::with_capacity(record.len());
        for (i, cell) in record.iter().enumerate() {
            let text = if cell.is_empty() && !quoted_empty.get(i).copied().unwrap_or(false) {
                None
            } else {
                Some(
                    std::str::from_utf8(cell)
                        .map_err(|e| format!("a CSV chunk is not UTF-8: {e}"))?,
                )
            };
            values.push(match columns.get(i) {
                Some(col) => SqlValue::decode_text(col, text)?,
                None => text.map_or(SqlValue::Null, |t| SqlValue::String(t.to_owned())),
            });
        }
        quoted_empty.clear();
        rows.push(Row::new(Arc::clone(columns), values));
    }
    Ok(rows)
}

/// Scans one raw CSV record: marks in `out` which fields are exactly `""` (a quoted empty
/// string, as opposed to an empty unquoted field, which is `NULL`), and returns whether the
/// record ends inside a quoted field (an unterminated quote). A quote opens a quoted field only
/// at the start of a field, as in RFC 4180.
fn scan_record(raw: &[u8], out: &mut Vec<bool>) -> bool {
    out.clear();
    let mut field_start = 0;
    let mut in_quotes = false;
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if in_quotes {
            if b == b'"' {
                if raw.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    in_quotes = false;
                }
            }
        } else if b == b'"' && i == field_start {
            in_quotes = true;
        } else if b == b',' || b == b'\n' || b == b'\r' {
            out.push(&raw[field_start..i] == b"\"\"");
            if b != b',' {
                return false;
            }
            field_start = i + 1;
        }
        i += 1;
    }
    out.push(&raw[field_start..] == b"\"\"");
    in_quotes
}

#[cfg(feature = "arrow")]
pub use arrow_decode::{arrow_batches, arrow_rows, batch_rows};

#[cfg(feature = "arrow")]
mod arrow_decode {
    use std::sync::Arc;

    use arrow_array::{
        Array, ArrayRef, PrimitiveArray, RecordBatch, StringArray, cast::AsArray, types,
    };
    use arrow_schema::{DataType, TimeUnit};
    use serde_json::Value;

    use super::super::{ResultColumn, Row, SqlValue};
    use super::DecodeResult;

    /// Decodes an ARROW_STREAM chunk body (Arrow IPC stream format) into its record batches,
    /// with no row conversion at all.
    ///
    /// # Errors
    /// When the body is not an Arrow IPC stream.
    pub fn arrow_batches(body: bytes::Bytes) -> DecodeResult<Vec<RecordBatch>> {
        let reader = arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(body), None)
            .map_err(|e| format!("an ARROW_STREAM chunk is not an Arrow IPC stream: {e}"))?;
        let mut batches = Vec::new();
        for batch in reader {
            batches.push(batch.map_err(|e| format!("bad Arrow record batch: {e}"))?);
        }
        Ok(batches)
    }

    /// Decodes an ARROW_STREAM chunk body (Arrow IPC stream format) into rows.
    ///
    /// # Errors
    /// When the body is not an Arrow IPC stream or holds a type with no [`SqlValue`].
    pub fn arrow_rows(body: &[u8], columns: &Arc<[ResultColumn]>) -> DecodeResult<Vec<Row>> {
        let reader = arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(body), None)
            .map_err(|e| format!("an ARROW_STREAM chunk is not an Arrow IPC stream: {e}"))?;
        let mut rows = Vec::new();
        for batch in reader {
            let batch = batch.map_err(|e| format!("bad Arrow record batch: {e}"))?;
            push_batch_rows(&batch, columns, &mut rows)?;
        }
        Ok(rows)
    }

    /// Converts one record batch into rows over `columns`. Each column is downcast once per
    /// batch (one type dispatch per column, not per cell); the rows are then built one at a
    /// time, each with one allocation for its values.
    ///
    /// # Errors
    /// When a column has an Arrow type with no [`SqlValue`].
    pub fn batch_rows(
        batch: &RecordBatch,
        columns: &Arc<[ResultColumn]>,
    ) -> DecodeResult<Vec<Row>> {
        let mut rows = Vec::new();
        push_batch_rows(batch, columns, &mut rows)?;
        Ok(rows)
    }

    fn push_batch_rows(
        batch: &RecordBatch,
        columns: &Arc<[ResultColumn]>,
        rows: &mut Vec<Row>,
    ) -> DecodeResult<()> {
        let readers: Vec<ColumnReader<'_>> =
            batch.columns().iter().map(ColumnReader::new).collect();
        rows.reserve(batch.num_rows());
        for i in 0..batch.num_rows() {
            let mut values = Vec::with_capacity(readers.len());
            for reader in &readers {
                values.push(reader.value(i)?);
            }
            rows.push(Row::new(Arc::clone(columns), values));
        }
        Ok(())
    }

    /// One column of a batch, downcast once; the common types read without a per-cell type
    /// dispatch, anything else goes through [`sql_value`].
    enum ColumnReader<'a> {
        Int8(&'a PrimitiveArray<types::Int8Type>),
        Int16(&'a PrimitiveArray<types::Int16Type>),
        Int32(&'a PrimitiveArray<types::Int32Type>),
        Int64(&'a PrimitiveArray<types::Int64Type>),
        Float32(&'a PrimitiveArray<types::Float32Type>),
        Float64(&'a PrimitiveArray<types::Float64Type>),
        Utf8(&'a StringArray),
        Decimal128(&'a PrimitiveArray<types::Decimal128Type>, u8, i8),
        Other(&'a ArrayRef),
    }

    impl<'a> ColumnReader<'a> {
        fn new(array: &'a ArrayRef) -> Self {
            match array.data_type() {
                DataType::Int8 => Self::Int8(array.as_primitive()),
                DataType::Int16 => Self::Int16(array.as_primitive()),
                DataType::Int32 => Self::Int32(array.as_primitive()),
                DataType::Int64 => Self::Int64(array.as_primitive()),
                DataType::Float32 => Self::Float32(array.as_primitive()),
                DataType::Float64 => Self::Float64(array.as_primitive()),
                DataType::Utf8 => Self::Utf8(array.as_string::<i32>()),
                DataType::Decimal128(precision, scale) => {
                    Self::Decimal128(array.as_primitive(), *precision, *scale)
                }
                _ => Self::Other(array),
            }
        }

        fn value(&self, i: usize) -> Result<SqlValue, String> {
            Ok(match self {
                Self::Int8(a) => primitive(*a, i, |v| SqlValue::Int(v.into())),
                Self::Int16(a) => primitive(*a, i, |v| SqlValue::Int(v.into())),
                Self::Int32(a) => primitive(*a, i, |v| SqlValue::Int(v.into())),
                Self::Int64(a) => primitive(*a, i, SqlValue::Int),
                Self::Float32(a) => primitive(*a, i, |v| SqlValue::Float(v.into())),
                Self::Float64(a) => primitive(*a, i, SqlValue::Float),
                Self::Utf8(a) => {
                    if a.is_null(i) {
                        SqlValue::Null
                    } else {
                        SqlValue::String(a.value(i).to_owned())
                    }
                }
                Self::Decimal128(a, precision, scale) => {
                    if a.is_null(i) {
                        SqlValue::Null
                    } else {
                        let v = a.value(i);
                        SqlValue::Decimal(
                            decimal_text(v, *precision, *scale)
                                .unwrap_or_else(|| a.value_as_string(i)),
                        )
                    }
                }
                Self::Other(a) => sql_value(a, i)?,
            })
        }
    }

    fn primitive<T: arrow_array::ArrowPrimitiveType>(
        a: &PrimitiveArray<T>,
        i: usize,
        f: impl Fn(T::Native) -> SqlValue,
    ) -> SqlValue {
        if a.is_null(i) {
            SqlValue::Null
        } else {
            f(a.value(i))
        }
    }

    /// The text of a DECIMAL value, as Arrow's `value_as_string` writes it, in one allocation.
    /// `None` (use Arrow's formatting) for a negative scale or more digits than the precision.
    pub(super) fn decimal_text(value: i128, precision: u8, scale: i8) -> Option<String> {
        let scale = usize::try_from(scale).ok()?;
        let mut buf = [0u8; 40];
        let mut pos = buf.len();
        // Digits from the right: u128 division only while the rest does not fit in a u64
        // (it is several times slower, and almost every value fits from the start).
        let mut wide = value.unsigned_abs();
        let mut n = loop {
            match u64::try_from(wide) {
                Ok(n) => break n,
                Err(_) => {
                    pos -= 1;
                    buf[pos] = b'0' + (wide % 10) as u8;
                    wide /= 10;
                }
            }
        };
        loop {
            pos -= 1;
            buf[pos] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let digits = buf.get(pos..)?;
        if digits.len() > usize::from(precision) {
            return None;
        }
        let mut text = String::with_capacity(digits.len() + scale + 3);
        if value < 0 {
            text.push('-');
        }
        // Only ASCII digits were written.
        let digits = std::str::from_utf8(digits).ok()?;
        if scale == 0 {
            text.push_str(digits);
        } else if digits.len() > scale {
            let (whole, fraction) = digits.split_at(digits.len() - scale);
            text.push_str(whole);
            text.push('.');
            text.push_str(fraction);
        } else {
            text.push_str("0.");
            text.extend(std::iter::repeat_n('0', scale - digits.len()));
            text.push_str(digits);
        }
        Some(text)
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
        assert!(err.message().contains("2 columns"), "{err}");
    }

    #[test]
    fn csv_quotes_nulls_and_header() {
        let c = cols(&[("id", ColumnTypeName::Int), ("s", ColumnTypeName::String)]);
        let body = b"id,s\r\n1,\"a,\"\"b\"\"\nc\"\r\n2,\n3,\"\"\n";
        let rows = csv_rows(body, &c).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].get(1), Some(&SqlValue::String("a,\"b\"\nc".into())));
        assert_eq!(rows[1].get(1), Some(&SqlValue::Null));
        assert_eq!(rows[2].get(1), Some(&SqlValue::String(String::new())));
        // Not a header: kept.
        let rows = csv_rows(b"5,x", &c).unwrap();
        assert_eq!(rows[0].get(0), Some(&SqlValue::Int(5)));
        assert!(csv_rows(b"1,\"open", &c).is_err());
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

    #[cfg(feature = "arrow")]
    #[test]
    fn decimal_text_matches_arrow() {
        use arrow_array::Decimal128Array;
        let values = [
            0_i128,
            5,
            -5,
            42,
            -42,
            100,
            12_345,
            -12_345,
            999_999_999,
            i128::from(i64::MAX),
            i128::from(u64::MAX) + 1,
            -(i128::from(u64::MAX) + 7),
            10_i128.pow(37) + 3,
            -(10_i128.pow(38) - 1),
        ];
        for scale in [0_i8, 1, 2, 5, 10, 38] {
            let array = Decimal128Array::from(values.to_vec())
                .with_precision_and_scale(38, scale)
                .unwrap();
            for (i, &v) in values.iter().enumerate() {
                assert_eq!(
                    arrow_decode::decimal_text(v, 38, scale),
                    Some(array.value_as_string(i)),
                    "{v} with scale {scale}"
                );
            }
        }
        // More digits than the precision, or a negative scale: left to Arrow.
        assert_eq!(arrow_decode::decimal_text(12_345, 4, 2), None);
        assert_eq!(arrow_decode::decimal_text(12_345, 10, -2), None);
        assert_eq!(
            arrow_decode::decimal_text(1_234, 4, 2).as_deref(),
            Some("12.34")
        );
    }
}
