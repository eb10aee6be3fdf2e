//! Responses: tabular results, natural-language answers, statement status.
//!
//! # Exact numbers
//!
//! Rows are `serde_json::Value`s. The crate does **not** enable serde_json's
//! `arbitrary_precision` (it changes `Value` for every crate in the workspace); instead
//! [`Cell`] conversion keeps every number exact:
//!
//! * integers with |v| ≤ 2^53 are JSON numbers; larger integers are decimal **strings**
//!   (so JavaScript clients cannot silently round them);
//! * decimals (`DECIMAL`, `NUMERIC`) are always decimal **strings** (`"1234.50"`), exactly as
//!   the engine printed them;
//! * floats are JSON numbers; `NaN` and infinities are strings.
//!
//! The column's [`DataType`] tells a client how to read a string cell.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{DataType, SqlParameter};

/// Largest integer a JSON number carries exactly in every client (2^53).
pub const MAX_SAFE_INTEGER: u64 = 1 << 53;

/// One result column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Normalised type.
    pub data_type: DataType,
    /// The provider's type name (`DECIMAL(38,2)`, `Int64`, `TIMESTAMP_NTZ`, …).
    pub raw_type: String,
}

impl Column {
    /// A column with a raw type; the normalised type is derived from it.
    pub fn new(name: impl Into<String>, raw_type: impl Into<String>) -> Self {
        let raw_type = raw_type.into();
        Self {
            name: name.into(),
            data_type: DataType::from_sql_name(&raw_type),
            raw_type,
        }
    }
    /// A column with an explicit normalised type.
    pub fn with_type(
        name: impl Into<String>,
        data_type: DataType,
        raw_type: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            data_type,
            raw_type: raw_type.into(),
        }
    }
}

/// Execution statistics, as far as the provider reports them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct QueryStats {
    /// Wall time seen by this client, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
    /// Total rows the query produced, when known (may exceed `row_count` if truncated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_rows: Option<u64>,
    /// Bytes scanned, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_scanned: Option<u64>,
    /// Bytes the engine estimated before running (a dry run), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_bytes: Option<u64>,
}

/// A tabular result.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct QueryResult {
    /// Columns, in order.
    pub columns: Vec<Column>,
    /// Rows; each has one value per column (see the module docs for number handling).
    pub rows: Vec<Vec<Value>>,
    /// `rows.len()`.
    pub row_count: u64,
    /// `true` exactly when more rows existed than `rows` holds: the row cap, the query's own
    /// `limit`, or the engine cut the result (see [`QueryResult::cap_rows`]). Exactly as many
    /// rows as the cap is not truncation.
    pub truncated: bool,
    /// The SQL that ran (compiled SQL for `query_model`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
    /// The parameters bound to `sql`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<SqlParameter>,
    /// The provider's statement / job id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_id: Option<String>,
    /// Statistics.
    #[serde(default)]
    pub stats: QueryStats,
}

impl QueryResult {
    /// A result with columns and rows; `row_count` is set from the rows.
    pub fn new(columns: Vec<Column>, rows: Vec<Vec<Value>>) -> Self {
        Self {
            row_count: rows.len() as u64,
            columns,
            rows,
            ..Self::default()
        }
    }
    /// Mark as truncated.
    pub fn with_truncated(mut self, truncated: bool) -> Self {
        self.truncated = truncated;
        self
    }
    /// Set the SQL and its parameters.
    pub fn with_sql(mut self, sql: impl Into<String>, parameters: Vec<SqlParameter>) -> Self {
        self.sql = Some(sql.into());
        self.parameters = parameters;
        self
    }
    /// Set the query id.
    pub fn with_query_id(mut self, id: impl Into<String>) -> Self {
        self.query_id = Some(id.into());
        self
    }
    /// Set the statistics.
    pub fn with_stats(mut self, stats: QueryStats) -> Self {
        self.stats = stats;
        self
    }

    /// Index of a column by name (case-insensitive).
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// Rows as JSON objects keyed by column name.
    pub fn to_records(&self) -> Vec<serde_json::Map<String, Value>> {
        self.rows
            .iter()
            .map(|row| {
                self.columns
                    .iter()
                    .zip(row.iter())
                    .map(|(c, v)| (c.name.clone(), v.clone()))
                    .collect()
            })
            .collect()
    }

    /// Apply a row cap: the one place that decides [`truncated`](Self::truncated).
    ///
    /// Providers fetch `max_rows + 1` rows (the SQL's `LIMIT`, a request's row limit, or by
    /// stopping a stream) and call this once with the cap. Afterwards at most `max_rows` rows
    /// remain and `truncated` is `true` exactly when rows were cut:
    ///
    /// * more than `max_rows` rows came back (the probe row is dropped), or
    /// * [`QueryStats::total_rows`] reports more rows than are kept, or
    /// * `truncated` was already `true` (the engine said it cut the result itself, e.g. the
    ///   Databricks manifest's `truncated`).
    ///
    /// Exactly `max_rows` rows with no probe row is **not** truncated. `None` keeps every row.
    /// `row_count` is set from the rows.
    pub fn cap_rows(&mut self, max_rows: Option<u64>) {
        if let Some(max) = max_rows {
            let max = usize::try_from(max).unwrap_or(usize::MAX);
            if self.rows.len() > max {
                self.rows.truncate(max);
                self.truncated = true;
            }
        }
        self.row_count = self.rows.len() as u64;
        if self
            .stats
            .total_rows
            .is_some_and(|total| total > self.row_count)
        {
            self.truncated = true;
        }
    }
}

/// Helpers that turn engine values into exact JSON cells (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct Cell;

impl Cell {
    /// A signed integer: a JSON number when |v| ≤ 2^53, otherwise a string.
    pub fn int(v: i64) -> Value {
        if v.unsigned_abs() <= MAX_SAFE_INTEGER {
            Value::from(v)
        } else {
            Value::String(v.to_string())
        }
    }
    /// An unsigned integer: a JSON number when v ≤ 2^53, otherwise a string.
    pub fn uint(v: u64) -> Value {
        if v <= MAX_SAFE_INTEGER {
            Value::from(v)
        } else {
            Value::String(v.to_string())
        }
    }
    /// A float: a JSON number, or a string for NaN / infinities.
    pub fn float(v: f64) -> Value {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(v.to_string()))
    }
    /// Decode a cell the provider sent as text (Databricks `JSON_ARRAY`, Snowflake, BigQuery)
    /// according to its normalised type. Text that does not parse stays a string, unchanged.
    pub fn from_text(text: Option<&str>, data_type: DataType) -> Value {
        let Some(t) = text else {
            return Value::Null;
        };
        match data_type {
            DataType::Boolean => match t.to_ascii_lowercase().as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => Value::String(t.to_string()),
            },
            DataType::Integer => {
                if let Ok(v) = t.parse::<i64>() {
                    Self::int(v)
                } else if let Ok(v) = t.parse::<u64>() {
                    Self::uint(v)
                } else {
                    Value::String(t.to_string())
                }
            }
            DataType::Float => match t.parse::<f64>() {
                Ok(v) if v.is_finite() => Self::float(v),
                _ => Value::String(t.to_string()),
            },
            DataType::Json => {
                serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_string()))
            }
            _ => Value::String(t.to_string()),
        }
    }
}

/// A natural-language answer from `ask`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct Answer {
    /// The answer or explanation text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The SQL the provider generated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
    /// The result of running that SQL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<QueryResult>,
    /// Follow-up or rephrasing suggestions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<String>,
    /// Warnings from the provider.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Pass back in `AskOptions::conversation_id` to follow up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
}

impl Answer {
    /// An empty answer.
    pub fn new() -> Self {
        Self::default()
    }
    /// Set the text.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }
    /// Set the SQL.
    pub fn with_sql(mut self, sql: impl Into<String>) -> Self {
        self.sql = Some(sql.into());
        self
    }
    /// Set the result.
    pub fn with_result(mut self, result: QueryResult) -> Self {
        self.result = Some(result);
        self
    }
    /// Set the suggestions.
    pub fn with_suggestions(mut self, suggestions: Vec<String>) -> Self {
        self.suggestions = suggestions;
        self
    }
    /// Set the conversation id.
    pub fn with_conversation_id(mut self, id: impl Into<String>) -> Self {
        self.conversation_id = Some(id.into());
        self
    }
}

/// The state of a long-running statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StatementState {
    /// Queued.
    Pending,
    /// Running.
    Running,
    /// Finished; the result is attached.
    Succeeded,
    /// Failed; the error is attached.
    Failed,
    /// Cancelled.
    Canceled,
    /// Closed or expired.
    Closed,
}

impl StatementState {
    /// `true` once the statement will not change any more.
    pub fn is_terminal(self) -> bool {
        !matches!(self, Self::Pending | Self::Running)
    }
}

/// The status of a statement fetched with `get_statement`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct StatementStatus {
    /// The provider's statement id.
    pub query_id: String,
    /// Current state.
    pub state: StatementState,
    /// The result once `Succeeded`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<QueryResult>,
    /// The error message once `Failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl StatementStatus {
    /// A status without result or error.
    pub fn new(query_id: impl Into<String>, state: StatementState) -> Self {
        Self {
            query_id: query_id.into(),
            state,
            result: None,
            error: None,
        }
    }
    /// Attach a result.
    pub fn with_result(mut self, result: QueryResult) -> Self {
        self.result = Some(result);
        self
    }
    /// Attach an error message.
    pub fn with_error(mut self, error: impl Into<String>) -> Self {
        self.error = Some(error.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exact_numbers() {
        assert_eq!(Cell::int(42), json!(42));
        assert_eq!(Cell::int(9_007_199_254_740_993), json!("9007199254740993"));
        assert_eq!(
            Cell::int(-9_007_199_254_740_992),
            json!(-9_007_199_254_740_992_i64)
        );
        assert_eq!(Cell::uint(u64::MAX), json!("18446744073709551615"));
        assert_eq!(Cell::float(f64::NAN), json!("NaN"));
        assert_eq!(
            Cell::from_text(Some("12345678901234567890.12"), DataType::Decimal),
            json!("12345678901234567890.12")
        );
        assert_eq!(
            Cell::from_text(Some("9223372036854775807"), DataType::Integer),
            json!("9223372036854775807")
        );
        assert_eq!(Cell::from_text(Some("7"), DataType::Integer), json!(7));
        assert_eq!(
            Cell::from_text(Some("TRUE"), DataType::Boolean),
            json!(true)
        );
        assert_eq!(Cell::from_text(None, DataType::String), Value::Null);
        assert_eq!(
            Cell::from_text(Some("[1,2]"), DataType::Json),
            json!([1, 2])
        );
    }

    #[test]
    fn cap_rows_sets_truncated() {
        let mut r = QueryResult::new(
            vec![Column::new("a", "BIGINT")],
            vec![vec![json!(1)], vec![json!(2)], vec![json!(3)]],
        );
        r.cap_rows(Some(2));
        assert!(r.truncated);
        assert_eq!(r.row_count, 2);
        assert_eq!(r.to_records()[1]["a"], json!(2));
        assert_eq!(r.column_index("A"), Some(0));
    }

    fn rows(n: u64) -> QueryResult {
        QueryResult::new(
            vec![Column::new("a", "BIGINT")],
            (0..n).map(|i| vec![json!(i)]).collect(),
        )
    }

    /// `(rows fetched, cap, rows kept, truncated)`: the probe row decides, exactly at the edge.
    #[test]
    fn cap_rows_is_exact_at_every_boundary() {
        let cases: &[(u64, Option<u64>, u64, bool)] = &[
            (0, Some(100), 0, false),
            (99, Some(100), 99, false),
            (100, Some(100), 100, false),
            (101, Some(100), 100, true),
            (2_834, Some(100), 100, true),
            (1, Some(1), 1, false),
            (2, Some(1), 1, true),
            (0, Some(0), 0, false),
            (1, Some(0), 0, true),
            (2_834, None, 2_834, false),
            (5, Some(u64::MAX), 5, false),
        ];
        for &(n, cap, kept, truncated) in cases {
            let mut r = rows(n);
            r.cap_rows(cap);
            assert_eq!(
                (r.row_count, r.rows.len() as u64, r.truncated),
                (kept, kept, truncated),
                "{n} rows, cap {cap:?}"
            );
            // Idempotent: capping again changes nothing.
            r.cap_rows(cap);
            assert_eq!((r.row_count, r.truncated), (kept, truncated));
        }
    }

    #[test]
    fn cap_rows_reads_a_reported_total() {
        // The engine says 2,834 rows exist but only 100 were fetched.
        for (fetched, total, truncated) in [
            (100, 2_834, true),
            (100, 101, true),
            (100, 100, false),
            (3, 3, false),
            (0, 1, true),
            (0, 0, false),
        ] {
            let mut r = rows(fetched).with_stats(QueryStats {
                total_rows: Some(total),
                ..QueryStats::default()
            });
            r.cap_rows(Some(100));
            assert_eq!(r.truncated, truncated, "{fetched} of {total}");
            assert_eq!(r.row_count, fetched.min(100));
        }
        // Without a cap a short fetch against a larger total is still truncation.
        let mut r = rows(10).with_stats(QueryStats {
            total_rows: Some(11),
            ..QueryStats::default()
        });
        r.cap_rows(None);
        assert!(r.truncated);
    }

    #[test]
    fn cap_rows_keeps_an_engine_reported_cut() {
        let mut r = rows(3).with_truncated(true);
        r.cap_rows(Some(100));
        assert!(
            r.truncated,
            "the engine cut rows; capping must not forget it"
        );
        assert_eq!(r.row_count, 3);
    }
}
