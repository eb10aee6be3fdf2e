//! SQL Statement Execution API models (notes §4.8) and decoded result values.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::open_enum::open_enum;

pub mod decode;
mod table;

pub use table::{StatementTable, TableColumn};

/// Accepts an integer sent as a JSON number or as a string (int64 fields of some APIs).
pub(crate) fn opt_lenient_i64<'de, D: Deserializer<'de>>(de: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Lenient {
        Int(i64),
        Str(String),
    }
    match Option::<Lenient>::deserialize(de)? {
        None => Ok(None),
        Some(Lenient::Int(n)) => Ok(Some(n)),
        Some(Lenient::Str(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("expected an integer, got {s:?}"))),
    }
}

open_enum! {
    /// `status.state` of a statement.
    pub enum StatementState {
        /// Waiting for the warehouse.
        Pending = "PENDING",
        /// Executing.
        Running = "RUNNING",
        /// Finished; results are fetchable for about an hour.
        Succeeded = "SUCCEEDED",
        /// Execution failed; see `status.error`.
        Failed = "FAILED",
        /// Canceled by a user or `on_wait_timeout=CANCEL`.
        Canceled = "CANCELED",
        /// Succeeded, but the result is no longer fetchable.
        Closed = "CLOSED",
    }
}

impl StatementState {
    /// `true` for `SUCCEEDED`, `FAILED`, `CANCELED` and `CLOSED`.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::Succeeded | Self::Failed | Self::Canceled | Self::Closed
        )
    }
}

open_enum! {
    /// Where results are delivered.
    pub enum Disposition {
        /// In the response (`JSON_ARRAY` only, ≤ 25 MiB).
        Inline = "INLINE",
        /// As presigned cloud-storage links (≤ 100 GiB).
        ExternalLinks = "EXTERNAL_LINKS",
    }
}

open_enum! {
    /// Result serialization format.
    pub enum ResultFormat {
        /// Rows of strings or nulls.
        JsonArray = "JSON_ARRAY",
        /// Arrow IPC stream (needs `EXTERNAL_LINKS`).
        ArrowStream = "ARROW_STREAM",
        /// CSV with a header row (needs `EXTERNAL_LINKS`).
        Csv = "CSV",
    }
}

open_enum! {
    /// What the server does when `wait_timeout` elapses.
    pub enum OnWaitTimeout {
        /// Return the statement id and keep running (default).
        Continue = "CONTINUE",
        /// Cancel the statement.
        Cancel = "CANCEL",
    }
}

open_enum! {
    /// `type_name` of a result column.
    pub enum ColumnTypeName {
        /// `BOOLEAN`.
        Boolean = "BOOLEAN",
        /// `TINYINT`.
        Byte = "BYTE",
        /// `SMALLINT`.
        Short = "SHORT",
        /// `INT`.
        Int = "INT",
        /// `BIGINT`.
        Long = "LONG",
        /// `FLOAT`.
        Float = "FLOAT",
        /// `DOUBLE`.
        Double = "DOUBLE",
        /// `DECIMAL(p, s)`.
        Decimal = "DECIMAL",
        /// `STRING`.
        String = "STRING",
        /// `CHAR(n)`.
        Char = "CHAR",
        /// `VARCHAR(n)` (seen in some manifests).
        Varchar = "VARCHAR",
        /// `BINARY`.
        Binary = "BINARY",
        /// `DATE`.
        Date = "DATE",
        /// `TIMESTAMP`.
        Timestamp = "TIMESTAMP",
        /// `TIMESTAMP_NTZ`.
        TimestampNtz = "TIMESTAMP_NTZ",
        /// `INTERVAL …`.
        Interval = "INTERVAL",
        /// `ARRAY<…>`.
        Array = "ARRAY",
        /// `MAP<…>`.
        Map = "MAP",
        /// `STRUCT<…>`.
        Struct = "STRUCT",
        /// `VARIANT`.
        Variant = "VARIANT",
        /// `NULL` (void).
        Null = "NULL",
        /// A user-defined type.
        UserDefinedType = "USER_DEFINED_TYPE",
    }
}

impl ColumnTypeName {
    /// `true` for the types decoded as [`SqlValue::String`] (the text is kept as is).
    pub(crate) fn is_string_like(&self) -> bool {
        matches!(
            self,
            Self::String | Self::Char | Self::Varchar | Self::UserDefinedType | Self::Other(_)
        )
    }
}

/// A named parameter `:name` of a statement (`{name, value, type}`).
///
/// `value: None` binds SQL `NULL`; `type: None` means `STRING`. Typed values are checked by the
/// server with `CAST` semantics, which is why every constructor sends text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StatementParameter {
    /// Marker name without the colon.
    pub name: String,
    /// Value as text; `None` is `NULL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// SQL type (`INT`, `DECIMAL(10,2)`, `DATE`, …); `None` is `STRING`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
}

impl StatementParameter {
    /// A parameter with an explicit SQL type.
    pub fn typed(
        name: impl Into<String>,
        value: impl Into<String>,
        sql_type: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            value: Some(value.into()),
            type_: Some(sql_type.into()),
        }
    }
    /// A `STRING` parameter.
    pub fn string(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: Some(value.into()),
            type_: None,
        }
    }
    /// A `BIGINT` parameter.
    pub fn bigint(name: impl Into<String>, value: i64) -> Self {
        Self::typed(name, value.to_string(), "BIGINT")
    }
    /// An `INT` parameter.
    pub fn int(name: impl Into<String>, value: i32) -> Self {
        Self::typed(name, value.to_string(), "INT")
    }
    /// A `DOUBLE` parameter.
    pub fn double(name: impl Into<String>, value: f64) -> Self {
        Self::typed(name, value.to_string(), "DOUBLE")
    }
    /// A `BOOLEAN` parameter.
    pub fn boolean(name: impl Into<String>, value: bool) -> Self {
        Self::typed(name, value.to_string(), "BOOLEAN")
    }
    /// A `DECIMAL(precision, scale)` parameter given as exact text (`"12.30"`).
    pub fn decimal(
        name: impl Into<String>,
        value: impl Into<String>,
        precision: u8,
        scale: u8,
    ) -> Self {
        Self::typed(name, value, format!("DECIMAL({precision},{scale})"))
    }
    /// A `DATE` parameter (`"2024-01-31"`).
    pub fn date(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self::typed(name, value, "DATE")
    }
    /// A `TIMESTAMP` parameter (`"2024-01-31T10:00:00Z"`).
    pub fn timestamp(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self::typed(name, value, "TIMESTAMP")
    }
    /// A `NULL` of the given SQL type.
    pub fn null(name: impl Into<String>, sql_type: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: None,
            type_: Some(sql_type.into()),
        }
    }
}

/// A query tag `{key, value}` (at most 20 per statement).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueryTag {
    /// Tag key.
    pub key: String,
    /// Tag value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl QueryTag {
    /// A tag.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: Some(value.into()),
        }
    }
}

/// Body of `POST /api/2.0/sql/statements`.
///
/// ```
/// use databricks_client::models::{Disposition, ExecuteStatementRequest, ResultFormat, StatementParameter};
///
/// let req = ExecuteStatementRequest::new("abc123", "SELECT * FROM t WHERE id = :id")
///     .with_parameter(StatementParameter::bigint("id", 7))
///     .with_disposition(Disposition::ExternalLinks)
///     .with_format(ResultFormat::JsonArray)
///     .with_wait_timeout("0s");
/// assert_eq!(req.warehouse_id, "abc123");
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExecuteStatementRequest {
    /// Target warehouse id.
    pub warehouse_id: String,
    /// SQL text (named markers `:name` only).
    pub statement: String,
    /// Named parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<StatementParameter>,
    /// Default catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<String>,
    /// Default schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// `"0s"` or `"5s"`…`"50s"`; server default `"10s"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_timeout: Option<String>,
    /// What to do when `wait_timeout` elapses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_wait_timeout: Option<OnWaitTimeout>,
    /// Result delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<Disposition>,
    /// Result format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<ResultFormat>,
    /// Row cap (sets `manifest.truncated`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_limit: Option<i64>,
    /// Byte cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub byte_limit: Option<i64>,
    /// Query tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query_tags: Vec<QueryTag>,
}

impl ExecuteStatementRequest {
    /// A request running `statement` on `warehouse_id` with server defaults.
    pub fn new(warehouse_id: impl Into<String>, statement: impl Into<String>) -> Self {
        Self {
            warehouse_id: warehouse_id.into(),
            statement: statement.into(),
            ..Self::default()
        }
    }
    /// Adds a named parameter.
    #[must_use]
    pub fn with_parameter(mut self, parameter: StatementParameter) -> Self {
        self.parameters.push(parameter);
        self
    }
    /// Sets the default catalog.
    #[must_use]
    pub fn with_catalog(mut self, catalog: impl Into<String>) -> Self {
        self.catalog = Some(catalog.into());
        self
    }
    /// Sets the default schema.
    #[must_use]
    pub fn with_schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }
    /// Sets `wait_timeout` (`"0s"`, or `"5s"`…`"50s"`).
    #[must_use]
    pub fn with_wait_timeout(mut self, wait_timeout: impl Into<String>) -> Self {
        self.wait_timeout = Some(wait_timeout.into());
        self
    }
    /// Sets `on_wait_timeout`.
    #[must_use]
    pub fn with_on_wait_timeout(mut self, on_wait_timeout: OnWaitTimeout) -> Self {
        self.on_wait_timeout = Some(on_wait_timeout);
        self
    }
    /// Sets the disposition.
    #[must_use]
    pub fn with_disposition(mut self, disposition: Disposition) -> Self {
        self.disposition = Some(disposition);
        self
    }
    /// Sets the format.
    #[must_use]
    pub fn with_format(mut self, format: ResultFormat) -> Self {
        self.format = Some(format);
        self
    }
    /// Sets `row_limit`.
    #[must_use]
    pub fn with_row_limit(mut self, row_limit: i64) -> Self {
        self.row_limit = Some(row_limit);
        self
    }
    /// Sets `byte_limit`.
    #[must_use]
    pub fn with_byte_limit(mut self, byte_limit: i64) -> Self {
        self.byte_limit = Some(byte_limit);
        self
    }
    /// Adds a query tag.
    #[must_use]
    pub fn with_query_tag(mut self, tag: QueryTag) -> Self {
        self.query_tags.push(tag);
        self
    }
}

/// A statement's state, error and result (`StatementResponse`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StatementResponse {
    /// Statement id.
    #[serde(default)]
    pub statement_id: String,
    /// State and error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StatementStatus>,
    /// Schema and chunk layout (present once `SUCCEEDED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<ResultManifest>,
    /// The first chunk (present once `SUCCEEDED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<ResultData>,
}

impl StatementResponse {
    /// The state, if the server sent one.
    pub fn state(&self) -> Option<&StatementState> {
        self.status.as_ref().map(|s| &s.state)
    }
}

/// `status` of a statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StatementStatus {
    /// Current state.
    pub state: StatementState,
    /// Failure details when `FAILED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ServiceError>,
    /// SQLSTATE of the failure, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql_state: Option<String>,
}

/// `status.error` of a failed statement (the API's `ServiceError`).
///
/// The high-level calls turn a failed statement into [`Error::Statement`](crate::Error::Statement),
/// whose [`StatementError`](crate::StatementError) carries these fields.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServiceError {
    /// `BAD_REQUEST`, `RESOURCE_EXHAUSTED`, … (kept as text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The server's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `manifest` of a result: format, schema and chunk layout.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResultManifest {
    /// Result format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<ResultFormat>,
    /// Column schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<ResultSchema>,
    /// Number of chunks.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_chunk_count: Option<i64>,
    /// Number of rows.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_row_count: Option<i64>,
    /// Number of bytes.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_byte_count: Option<i64>,
    /// `true` when `row_limit`/`byte_limit` (or the 100 GiB cap) cut the result.
    #[serde(default)]
    pub truncated: bool,
    /// Chunk layout.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chunks: Vec<ChunkInfo>,
}

/// `manifest.schema`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResultSchema {
    /// Number of columns.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub column_count: Option<i64>,
    /// Columns in position order.
    #[serde(default)]
    pub columns: Vec<ResultColumn>,
}

/// One column of a result schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResultColumn {
    /// Column name.
    pub name: String,
    /// 0-based position.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub position: Option<i64>,
    /// Type family.
    #[serde(default = "unknown_type", skip_serializing_if = "is_unknown_type")]
    pub type_name: ColumnTypeName,
    /// Full type text (`decimal(10,2)`, `array<int>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_text: Option<String>,
    /// Decimal precision.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub type_precision: Option<i64>,
    /// Decimal scale.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub type_scale: Option<i64>,
    /// Interval qualifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_interval_type: Option<String>,
}

fn unknown_type() -> ColumnTypeName {
    ColumnTypeName::Other(String::new())
}

fn is_unknown_type(t: &ColumnTypeName) -> bool {
    matches!(t, ColumnTypeName::Other(s) if s.is_empty())
}

impl ResultColumn {
    /// A column of the given name and type.
    pub fn new(name: impl Into<String>, type_name: ColumnTypeName) -> Self {
        Self {
            name: name.into(),
            position: None,
            type_name,
            type_text: None,
            type_precision: None,
            type_scale: None,
            type_interval_type: None,
        }
    }
}

/// One entry of `manifest.chunks`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChunkInfo {
    /// Chunk index.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub chunk_index: Option<i64>,
    /// First row of the chunk.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub row_offset: Option<i64>,
    /// Rows in the chunk.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub row_count: Option<i64>,
    /// Bytes in the chunk.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub byte_count: Option<i64>,
}

/// One chunk of a result (`ResultData`): inline rows or external links.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResultData {
    /// Chunk index.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub chunk_index: Option<i64>,
    /// First row of the chunk.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub row_offset: Option<i64>,
    /// Rows in the chunk.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub row_count: Option<i64>,
    /// Bytes in the chunk.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub byte_count: Option<i64>,
    /// INLINE rows: strings or nulls, converted with the manifest schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_array: Option<Vec<Vec<Option<String>>>>,
    /// EXTERNAL_LINKS links.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_links: Vec<ExternalLink>,
    /// Next chunk index, absent on the last chunk.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_chunk_index: Option<i64>,
    /// Next chunk path (absolute path on the workspace host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_chunk_internal_link: Option<String>,
}

/// A presigned link to one chunk of an `EXTERNAL_LINKS` result.
///
/// The URL carries credentials: `Debug` redacts it and the headers, and it must never be sent
/// the workspace `Authorization` header.
#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExternalLink {
    /// Presigned URL.
    #[serde(default)]
    pub external_link: String,
    /// Expiry time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<String>,
    /// Headers the download must send.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub http_headers: BTreeMap<String, String>,
    /// Chunk index.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub chunk_index: Option<i64>,
    /// First row of the chunk.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub row_offset: Option<i64>,
    /// Rows in the chunk.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub row_count: Option<i64>,
    /// Bytes in the chunk.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub byte_count: Option<i64>,
    /// Next chunk index.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_chunk_index: Option<i64>,
    /// Next chunk path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_chunk_internal_link: Option<String>,
}

impl fmt::Debug for ExternalLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExternalLink")
            .field("external_link", &"<redacted>")
            .field("expiration", &self.expiration)
            .field(
                "http_headers",
                &self.http_headers.keys().collect::<Vec<_>>(),
            )
            .field("chunk_index", &self.chunk_index)
            .field("row_offset", &self.row_offset)
            .field("row_count", &self.row_count)
            .field("byte_count", &self.byte_count)
            .field("next_chunk_index", &self.next_chunk_index)
            .finish_non_exhaustive()
    }
}

/// One decoded SQL value.
///
/// Numbers keep their exact meaning: integers as `i64`, `FLOAT`/`DOUBLE` as `f64`, and
/// `DECIMAL` as the exact decimal text (no binary floating point on the way). Dates and
/// timestamps keep the ISO-8601 text the server sent, so no precision or zone is lost.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SqlValue {
    /// SQL `NULL`.
    Null,
    /// `BOOLEAN`.
    Bool(bool),
    /// `TINYINT`, `SMALLINT`, `INT`, `BIGINT`.
    Int(i64),
    /// `FLOAT`, `DOUBLE` (including `NaN` and infinities).
    Float(f64),
    /// `DECIMAL(p, s)` as exact text (`"-12.340"`).
    Decimal(String),
    /// `STRING`, `CHAR`, `VARCHAR`.
    String(String),
    /// `BINARY`, decoded from base64 (or raw bytes from Arrow).
    Binary(Vec<u8>),
    /// `DATE` as `YYYY-MM-DD`.
    Date(String),
    /// `TIMESTAMP`/`TIMESTAMP_NTZ` as ISO-8601 text.
    Timestamp(String),
    /// `INTERVAL …` as the server's text.
    Interval(String),
    /// `ARRAY`, `MAP`, `STRUCT`, `VARIANT` as JSON.
    Json(Value),
}

impl SqlValue {
    /// `true` for `NULL`.
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// The value as JSON (decimals stay strings, binary becomes base64).
    pub fn to_json(&self) -> Value {
        use base64::Engine as _;
        match self {
            Self::Null => Value::Null,
            Self::Bool(b) => Value::Bool(*b),
            Self::Int(n) => Value::from(*n),
            Self::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(f.to_string())),
            Self::Decimal(s)
            | Self::String(s)
            | Self::Date(s)
            | Self::Timestamp(s)
            | Self::Interval(s) => Value::String(s.clone()),
            Self::Binary(b) => Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
            Self::Json(v) => v.clone(),
        }
    }

    /// The string content of text-like values (`String`, `Decimal`, `Date`, `Timestamp`,
    /// `Interval`).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Decimal(s)
            | Self::String(s)
            | Self::Date(s)
            | Self::Timestamp(s)
            | Self::Interval(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is an `Int`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// Decodes one JSON_ARRAY/CSV cell (text or null) using the column's type.
    ///
    /// # Errors
    /// A message naming the type and the text when the text does not fit the type.
    pub fn decode_text(column: &ResultColumn, text: Option<&str>) -> Result<Self, String> {
        use base64::Engine as _;
        let Some(text) = text else {
            return Ok(Self::Null);
        };
        let bad = |what: &str| {
            format!(
                "column `{}` of type {}: cannot read {text:?} as {what}",
                column.name, column.type_name
            )
        };
        Ok(match &column.type_name {
            ColumnTypeName::Boolean => match text {
                "true" | "TRUE" | "True" => Self::Bool(true),
                "false" | "FALSE" | "False" => Self::Bool(false),
                _ => return Err(bad("a boolean")),
            },
            ColumnTypeName::Byte
            | ColumnTypeName::Short
            | ColumnTypeName::Int
            | ColumnTypeName::Long => {
                Self::Int(text.trim().parse().map_err(|_| bad("an integer"))?)
            }
            ColumnTypeName::Float | ColumnTypeName::Double => {
                Self::Float(parse_float(text).ok_or_else(|| bad("a number"))?)
            }
            ColumnTypeName::Decimal => {
                let t = text.trim();
                if !is_decimal_text(t) {
                    return Err(bad("a decimal"));
                }
                Self::Decimal(t.to_owned())
            }
            ColumnTypeName::Binary => Self::Binary(
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_err(|_| bad("base64 binary"))?,
            ),
            ColumnTypeName::Date => Self::Date(text.to_owned()),
            ColumnTypeName::Timestamp | ColumnTypeName::TimestampNtz => {
                Self::Timestamp(text.to_owned())
            }
            ColumnTypeName::Interval => Self::Interval(text.to_owned()),
            ColumnTypeName::Array
            | ColumnTypeName::Map
            | ColumnTypeName::Struct
            | ColumnTypeName::Variant => {
                Self::Json(serde_json::from_str(text).map_err(|_| bad("JSON"))?)
            }
            ColumnTypeName::Null => Self::Null,
            ColumnTypeName::String
            | ColumnTypeName::Char
            | ColumnTypeName::Varchar
            | ColumnTypeName::UserDefinedType
            | ColumnTypeName::Other(_) => Self::String(text.to_owned()),
        })
    }
}

fn parse_float(text: &str) -> Option<f64> {
    match text.trim() {
        "NaN" => Some(f64::NAN),
        "Infinity" | "inf" => Some(f64::INFINITY),
        "-Infinity" | "-inf" => Some(f64::NEG_INFINITY),
        t => t.parse().ok(),
    }
}

/// `[-+]digits[.digits][E[-+]digits]`.
fn is_decimal_text(t: &str) -> bool {
    let t = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    (!int.is_empty() || !frac.is_empty()) && digits(int) && digits(frac) && exp_ok
}

/// One result row: values in column order plus the shared column list.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    columns: Arc<[ResultColumn]>,
    values: Vec<SqlValue>,
}

impl Row {
    /// A row over `columns` (values in the same order).
    pub fn new(columns: Arc<[ResultColumn]>, values: Vec<SqlValue>) -> Self {
        Self { columns, values }
    }

    /// The column list (the same for every row of the result).
    pub fn columns(&self) -> &[ResultColumn] {
        &self.columns
    }

    /// Values in column order.
    pub fn values(&self) -> &[SqlValue] {
        &self.values
    }

    /// Consumes the row into its values.
    pub fn into_values(self) -> Vec<SqlValue> {
        self.values
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// `true` if the row has no values.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The value at `index`.
    pub fn get(&self, index: usize) -> Option<&SqlValue> {
        self.values.get(index)
    }

    /// The value of the column called `name` (exact match first, then case-insensitive).
    pub fn get_by_name(&self, name: &str) -> Option<&SqlValue> {
        let idx = self
            .columns
            .iter()
            .position(|c| c.name == name)
            .or_else(|| {
                self.columns
                    .iter()
                    .position(|c| c.name.eq_ignore_ascii_case(name))
            })?;
        self.values.get(idx)
    }

    /// The row as a JSON object `{column: value}`.
    pub fn to_json_object(&self) -> Map<String, Value> {
        self.columns
            .iter()
            .zip(&self.values)
            .map(|(c, v)| (c.name.clone(), v.to_json()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, t: ColumnTypeName) -> ResultColumn {
        ResultColumn::new(name, t)
    }

    #[test]
    fn decodes_every_type_family() {
        let cases: Vec<(ColumnTypeName, Option<&str>, SqlValue)> = vec![
            (ColumnTypeName::Boolean, Some("true"), SqlValue::Bool(true)),
            (
                ColumnTypeName::Long,
                Some("9223372036854775807"),
                SqlValue::Int(i64::MAX),
            ),
            (ColumnTypeName::Int, Some("-3"), SqlValue::Int(-3)),
            (ColumnTypeName::Double, Some("1.5"), SqlValue::Float(1.5)),
            (
                ColumnTypeName::Decimal,
                Some("12345678901234567890.123456789"),
                SqlValue::Decimal("12345678901234567890.123456789".into()),
            ),
            (
                ColumnTypeName::Date,
                Some("2024-02-29"),
                SqlValue::Date("2024-02-29".into()),
            ),
            (
                ColumnTypeName::Timestamp,
                Some("2024-02-29T10:00:00.123Z"),
                SqlValue::Timestamp("2024-02-29T10:00:00.123Z".into()),
            ),
            (
                ColumnTypeName::String,
                Some("héllo"),
                SqlValue::String("héllo".into()),
            ),
            (
                ColumnTypeName::Binary,
                Some("AAEC"),
                SqlValue::Binary(vec![0, 1, 2]),
            ),
            (
                ColumnTypeName::Array,
                Some("[1,2]"),
                SqlValue::Json(serde_json::json!([1, 2])),
            ),
            (
                ColumnTypeName::Struct,
                Some(r#"{"a":{"b":null}}"#),
                SqlValue::Json(serde_json::json!({"a": {"b": null}})),
            ),
            (ColumnTypeName::Int, None, SqlValue::Null),
        ];
        for (t, text, want) in cases {
            let got = SqlValue::decode_text(&col("c", t.clone()), text).unwrap();
            assert_eq!(got, want, "{t}");
        }
        assert!(SqlValue::decode_text(&col("n", ColumnTypeName::Int), Some("x1")).is_err());
        let err =
            SqlValue::decode_text(&col("d", ColumnTypeName::Decimal), Some("1.2.3")).unwrap_err();
        assert!(err.contains("`d`"), "{err}");
    }

    #[test]
    fn parses_statement_response() {
        let json = serde_json::json!({
            "statement_id": "01ef-abc",
            "status": {"state": "SUCCEEDED"},
            "manifest": {
                "format": "JSON_ARRAY",
                "schema": {"column_count": 2, "columns": [
                    {"name": "id", "position": 0, "type_name": "LONG", "type_text": "BIGINT"},
                    {"name": "amount", "position": 1, "type_name": "DECIMAL", "type_text": "DECIMAL(10,2)", "type_precision": 10, "type_scale": 2}
                ]},
                "total_chunk_count": 1, "total_row_count": "2", "truncated": false,
                "chunks": [{"chunk_index": 0, "row_offset": 0, "row_count": 2}]
            },
            "result": {"chunk_index": 0, "row_offset": 0, "row_count": 2,
                       "data_array": [["1", "10.50"], ["2", null]]},
            "future": true
        });
        let resp: StatementResponse = serde_json::from_value(json).unwrap();
        assert_eq!(resp.state(), Some(&StatementState::Succeeded));
        let manifest = resp.manifest.unwrap();
        assert_eq!(manifest.total_row_count, Some(2));
        let columns = manifest.schema.unwrap().columns;
        assert_eq!(columns[1].type_name, ColumnTypeName::Decimal);
        assert_eq!(resp.result.unwrap().data_array.unwrap()[1][1], None);
        let state: StatementState = serde_json::from_str("\"QUEUED_SOMEDAY\"").unwrap();
        assert_eq!(state, StatementState::Other("QUEUED_SOMEDAY".into()));
        assert!(!state.is_terminal());
    }

    #[test]
    fn external_link_debug_is_redacted() {
        let link: ExternalLink = serde_json::from_value(serde_json::json!({
            "external_link": "https://bucket.example/x?sig=SECRET",
            "http_headers": {"x-ms-blob-type": "SECRETHEADER"},
            "chunk_index": 3
        }))
        .unwrap();
        let dbg = format!("{link:?}");
        assert!(!dbg.contains("SECRET"), "{dbg}");
        assert!(dbg.contains("x-ms-blob-type"));
    }

    #[test]
    fn parameter_shapes() {
        let req = ExecuteStatementRequest::new("wh", "SELECT :a, :b, :c")
            .with_parameter(StatementParameter::decimal("a", "1.10", 10, 2))
            .with_parameter(StatementParameter::null("b", "DATE"))
            .with_parameter(StatementParameter::string("c", "x"))
            .with_on_wait_timeout(OnWaitTimeout::Cancel);
        let v = serde_json::to_value(&req).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "warehouse_id": "wh",
                "statement": "SELECT :a, :b, :c",
                "parameters": [
                    {"name": "a", "value": "1.10", "type": "DECIMAL(10,2)"},
                    {"name": "b", "type": "DATE"},
                    {"name": "c", "value": "x"}
                ],
                "on_wait_timeout": "CANCEL"
            })
        );
    }
}
