//! Arrow record batches → exact JSON rows.

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{
    DataType as ArrowType, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use serde_json::Value;

use crate::{Cell, Column, DataType, Error, Result};

use super::PROVIDER;

/// The normalised type of an Arrow type.
pub(crate) fn normalise(dt: &ArrowType) -> DataType {
    match dt {
        ArrowType::Boolean => DataType::Boolean,
        ArrowType::Int8
        | ArrowType::Int16
        | ArrowType::Int32
        | ArrowType::Int64
        | ArrowType::UInt8
        | ArrowType::UInt16
        | ArrowType::UInt32
        | ArrowType::UInt64 => DataType::Integer,
        ArrowType::Float16 | ArrowType::Float32 | ArrowType::Float64 => DataType::Float,
        ArrowType::Decimal32(..)
        | ArrowType::Decimal64(..)
        | ArrowType::Decimal128(..)
        | ArrowType::Decimal256(..) => DataType::Decimal,
        ArrowType::Utf8 | ArrowType::LargeUtf8 | ArrowType::Utf8View => DataType::String,
        ArrowType::Date32 | ArrowType::Date64 => DataType::Date,
        ArrowType::Timestamp(..) => DataType::Timestamp,
        ArrowType::Time32(_) | ArrowType::Time64(_) => DataType::Time,
        ArrowType::Binary
        | ArrowType::LargeBinary
        | ArrowType::BinaryView
        | ArrowType::FixedSizeBinary(_) => DataType::Binary,
        ArrowType::Interval(_) | ArrowType::Duration(_) => DataType::Interval,
        ArrowType::List(_)
        | ArrowType::LargeList(_)
        | ArrowType::ListView(_)
        | ArrowType::LargeListView(_)
        | ArrowType::FixedSizeList(..)
        | ArrowType::Struct(_)
        | ArrowType::Map(..) => DataType::Json,
        _ => DataType::Unknown,
    }
}

/// A result column for an Arrow field.
pub(crate) fn column(name: &str, dt: &ArrowType) -> Column {
    Column::with_type(name, normalise(dt), dt.to_string())
}

/// Convert batches to rows (see [`Cell`] for number handling).
pub(crate) fn rows(batches: &[RecordBatch]) -> Result<Vec<Vec<Value>>> {
    let options = FormatOptions::default();
    let mut out = Vec::new();
    for batch in batches {
        let columns = batch.columns();
        let formatters = columns
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::generic(PROVIDER, e))?;
        for i in 0..batch.num_rows() {
            let mut row = Vec::with_capacity(columns.len());
            for (array, formatter) in columns.iter().zip(&formatters) {
                row.push(cell(array.as_ref(), formatter, i));
            }
            out.push(row);
        }
    }
    Ok(out)
}

fn cell(array: &dyn Array, formatter: &ArrayFormatter<'_>, i: usize) -> Value {
    if array.is_null(i) {
        return Value::Null;
    }
    match array.data_type() {
        ArrowType::Boolean => Value::Bool(array.as_boolean().value(i)),
        ArrowType::Int8 => Cell::int(i64::from(array.as_primitive::<Int8Type>().value(i))),
        ArrowType::Int16 => Cell::int(i64::from(array.as_primitive::<Int16Type>().value(i))),
        ArrowType::Int32 => Cell::int(i64::from(array.as_primitive::<Int32Type>().value(i))),
        ArrowType::Int64 => Cell::int(array.as_primitive::<Int64Type>().value(i)),
        ArrowType::UInt8 => Cell::uint(u64::from(array.as_primitive::<UInt8Type>().value(i))),
        ArrowType::UInt16 => Cell::uint(u64::from(array.as_primitive::<UInt16Type>().value(i))),
        ArrowType::UInt32 => Cell::uint(u64::from(array.as_primitive::<UInt32Type>().value(i))),
        ArrowType::UInt64 => Cell::uint(array.as_primitive::<UInt64Type>().value(i)),
        ArrowType::Float32 => Cell::float(f64::from(array.as_primitive::<Float32Type>().value(i))),
        ArrowType::Float64 => Cell::float(array.as_primitive::<Float64Type>().value(i)),
        _ => Value::String(formatter.value(i).to_string()),
    }
}
