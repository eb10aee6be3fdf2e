//! Provider identity, capabilities, and the OSI-shaped semantic model description.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The data platform behind a [`DataSource`](crate::DataSource).
///
/// Serialised in `snake_case` (`databricks`, `bigquery`, …); the product spelling used by the
/// kagent resource (`Databricks`, `BigQuery`, …) is accepted too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Provider {
    /// Databricks: Unity Catalog metric views, Statement Execution, Genie.
    #[serde(alias = "Databricks")]
    Databricks,
    /// Snowflake: semantic views, SQL API, Cortex Analyst.
    #[serde(alias = "Snowflake")]
    Snowflake,
    /// BigQuery: GoogleSQL over a declared model, Conversational Analytics.
    #[serde(rename = "bigquery", alias = "BigQuery")]
    BigQuery,
    /// The embedded local engine (DataFusion over CSV and Parquet files).
    #[serde(alias = "Local")]
    Local,
}

impl Provider {
    /// The product name, as used in errors and logs (`"Databricks"`, `"Local"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Databricks => "Databricks",
            Self::Snowflake => "Snowflake",
            Self::BigQuery => "BigQuery",
            Self::Local => "Local",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a source can do. Callers (and the conformance suite) branch on these flags instead of
/// provoking [`Error::NotSupported`](crate::Error::NotSupported).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct Capabilities {
    /// `query_model` runs structured semantic queries.
    pub semantic_query: bool,
    /// `ask` answers natural-language questions.
    pub natural_language: bool,
    /// `execute_sql` runs SQL.
    pub sql: bool,
    /// `get_statement` can fetch a long-running statement by id.
    pub statement_status: bool,
    /// `cancel` can cancel a running statement.
    pub cancel: bool,
    /// The largest row cap the source enforces, if any.
    pub max_rows: Option<u64>,
}

impl Capabilities {
    /// No capabilities; turn them on with the `with_*` setters.
    pub fn new() -> Self {
        Self::default()
    }
    /// Set [`Capabilities::semantic_query`].
    pub fn with_semantic_query(mut self, v: bool) -> Self {
        self.semantic_query = v;
        self
    }
    /// Set [`Capabilities::natural_language`].
    pub fn with_natural_language(mut self, v: bool) -> Self {
        self.natural_language = v;
        self
    }
    /// Set [`Capabilities::sql`].
    pub fn with_sql(mut self, v: bool) -> Self {
        self.sql = v;
        self
    }
    /// Set [`Capabilities::statement_status`].
    pub fn with_statement_status(mut self, v: bool) -> Self {
        self.statement_status = v;
        self
    }
    /// Set [`Capabilities::cancel`].
    pub fn with_cancel(mut self, v: bool) -> Self {
        self.cancel = v;
        self
    }
    /// Set [`Capabilities::max_rows`].
    pub fn with_max_rows(mut self, v: Option<u64>) -> Self {
        self.max_rows = v;
        self
    }
}

/// The outcome of [`DataSource::test_connection`](crate::DataSource::test_connection): the checks
/// that passed. A failing check is returned as an [`Error`](crate::Error) instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct ConnectionReport {
    /// The provider that was checked.
    pub provider: Provider,
    /// Who the source is connected as (user name, service principal), if known.
    pub identity: Option<String>,
    /// The checks that ran, in order.
    pub checks: Vec<ConnectionCheck>,
}

impl ConnectionReport {
    /// An empty report for `provider`.
    pub fn new(provider: Provider) -> Self {
        Self {
            provider,
            identity: None,
            checks: Vec::new(),
        }
    }
    /// Set the identity.
    pub fn with_identity(mut self, identity: impl Into<String>) -> Self {
        self.identity = Some(identity.into());
        self
    }
    /// Append a passed check.
    pub fn with_check(mut self, name: impl Into<String>, detail: impl Into<String>) -> Self {
        self.checks.push(ConnectionCheck {
            name: name.into(),
            detail: detail.into(),
        });
        self
    }
}

/// One passed connection check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct ConnectionCheck {
    /// Short name: `identity`, `warehouse`, `catalog`, `tables`, …
    pub name: String,
    /// What was found (`"warehouse abc is RUNNING"`).
    pub detail: String,
}

/// Where [`DataSource::list_models`](crate::DataSource::list_models) looks. Empty = everything the
/// source is configured for.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct ModelScope {
    /// Restrict to this catalog (Databricks/Snowflake database/BigQuery project).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<String>,
    /// Restrict to this schema (BigQuery dataset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Case-insensitive substring the model name or description must contain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
}

impl ModelScope {
    /// Everything the source is configured for.
    pub fn new() -> Self {
        Self::default()
    }
    /// Restrict to a catalog.
    pub fn with_catalog(mut self, catalog: impl Into<String>) -> Self {
        self.catalog = Some(catalog.into());
        self
    }
    /// Restrict to a schema.
    pub fn with_schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }
    /// Filter by a case-insensitive substring of name or description.
    pub fn with_search(mut self, search: impl Into<String>) -> Self {
        self.search = Some(search.into());
        self
    }

    /// `true` if a model with these coordinates falls inside the scope.
    pub fn matches(
        &self,
        name: &str,
        description: Option<&str>,
        catalog: Option<&str>,
        schema: Option<&str>,
    ) -> bool {
        let eq = |want: &Option<String>, have: Option<&str>| match (want, have) {
            (None, _) => true,
            (Some(w), Some(h)) => w.eq_ignore_ascii_case(h),
            (Some(_), None) => false,
        };
        let search_ok = match &self.search {
            None => true,
            Some(s) => {
                let s = s.to_lowercase();
                name.to_lowercase().contains(&s)
                    || description.is_some_and(|d| d.to_lowercase().contains(&s))
            }
        };
        eq(&self.catalog, catalog) && eq(&self.schema, schema) && search_ok
    }
}

/// A discovered semantic model, as listed by
/// [`DataSource::list_models`](crate::DataSource::list_models).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct ModelSummary {
    /// The name to pass to `describe_model` / `query_model` (fully qualified where the provider
    /// has namespaces, e.g. `main.sales.revenue_metrics`).
    pub name: String,
    /// Human description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Catalog (database / project) holding the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<String>,
    /// Schema (dataset) holding the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
}

impl ModelSummary {
    /// A summary with just a name.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: None,
            catalog: None,
            schema: None,
        }
    }
    /// Set the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
    /// Set catalog and schema.
    pub fn with_namespace(mut self, catalog: impl Into<String>, schema: impl Into<String>) -> Self {
        self.catalog = Some(catalog.into());
        self.schema = Some(schema.into());
        self
    }
}

/// A normalised column / member data type. The provider's own spelling is kept next to it
/// (`raw_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DataType {
    /// `true` / `false`; JSON booleans.
    Boolean,
    /// Whole numbers. JSON numbers when |v| ≤ 2^53, otherwise decimal strings (exact).
    Integer,
    /// Exact decimals (`DECIMAL(p,s)`, `NUMERIC`); always JSON strings, e.g. `"1234.50"`.
    Decimal,
    /// Binary floating point; JSON numbers (`NaN`/`Infinity` as strings).
    Float,
    /// Text; JSON strings.
    String,
    /// Calendar date; JSON string `YYYY-MM-DD`.
    Date,
    /// Point in time; JSON string in ISO 8601.
    Timestamp,
    /// Time of day; JSON string.
    Time,
    /// Bytes; JSON string (base64 or hex as the provider sends it).
    Binary,
    /// Arrays, maps, structs, variants; JSON values.
    Json,
    /// Intervals; JSON strings.
    Interval,
    /// Anything else; the raw type says what.
    Unknown,
}

impl DataType {
    /// `true` for [`DataType::Date`] and [`DataType::Timestamp`].
    pub fn is_temporal(self) -> bool {
        matches!(self, Self::Date | Self::Timestamp)
    }
    /// `true` for integer, decimal and float.
    pub fn is_numeric(self) -> bool {
        matches!(self, Self::Integer | Self::Decimal | Self::Float)
    }

    /// Normalise a SQL type name as Databricks, Snowflake, BigQuery or Arrow spell it
    /// (`BIGINT`, `DECIMAL(38,2)`, `NUMBER`, `FLOAT64`, `Utf8`, `TIMESTAMP_NTZ`, `Date32`, …).
    pub fn from_sql_name(name: &str) -> Self {
        let upper = name.trim().to_ascii_uppercase();
        let base = upper
            .split(['(', '<', ' '])
            .next()
            .unwrap_or_default()
            .to_string();
        match base.as_str() {
            "BOOLEAN" | "BOOL" => Self::Boolean,
            "TINYINT" | "SMALLINT" | "INT" | "INTEGER" | "BIGINT" | "LONG" | "SHORT" | "BYTE"
            | "INT64" | "INT8" | "INT16" | "INT32" | "UINT8" | "UINT16" | "UINT32" | "UINT64"
            | "BYTEINT" => Self::Integer,
            "DECIMAL" | "NUMERIC" | "BIGNUMERIC" | "BIGDECIMAL" | "DECIMAL128" | "DECIMAL256"
            | "FIXED" => Self::Decimal,
            // Snowflake NUMBER without scale is an integer; with scale > 0 a decimal.
            "NUMBER" => {
                if upper.contains(',') && !upper.contains(",0)") && !upper.contains(", 0)") {
                    Self::Decimal
                } else if upper.contains('(') {
                    Self::Integer
                } else {
                    Self::Decimal
                }
            }
            "FLOAT" | "DOUBLE" | "REAL" | "FLOAT64" | "FLOAT32" | "FLOAT16" | "FLOAT4"
            | "FLOAT8" => Self::Float,
            "STRING" | "VARCHAR" | "CHAR" | "TEXT" | "UTF8" | "LARGEUTF8" | "UTF8VIEW"
            | "NVARCHAR" | "CHARACTER" => Self::String,
            "DATE" | "DATE32" | "DATE64" => Self::Date,
            "TIMESTAMP" | "TIMESTAMP_NTZ" | "TIMESTAMP_LTZ" | "TIMESTAMP_TZ" | "DATETIME"
            | "TIMESTAMPTZ" => Self::Timestamp,
            "TIME" | "TIME32" | "TIME64" => Self::Time,
            "BINARY" | "BYTES" | "VARBINARY" | "BLOB" | "LARGEBINARY" | "BINARYVIEW" => {
                Self::Binary
            }
            "ARRAY" | "MAP" | "STRUCT" | "RECORD" | "VARIANT" | "OBJECT" | "JSON" | "LIST"
            | "LARGELIST" | "GEOGRAPHY" | "GEOMETRY" => Self::Json,
            "INTERVAL" | "DURATION" => Self::Interval,
            _ => Self::Unknown,
        }
    }
}

/// The OSI-shaped description of one semantic model: its tables, dimensions, metrics and
/// relationships, plus the provider's native definition.
///
/// Member names are what queries use. Models with one namespace (Databricks metric views, local
/// models) have bare names (`region`); models over several logical tables (Snowflake semantic
/// views, declared BigQuery models) also set [`Dimension::table`] / [`Metric::table`], and a
/// query may then write `table.name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct ModelDescription {
    /// The model's name as passed to `query_model`.
    pub name: String,
    /// Human description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Logical tables (the first one is the base table for single-source models).
    #[serde(default)]
    pub tables: Vec<TableDescription>,
    /// Dimensions: what results can be grouped and filtered by.
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    /// Metrics (measures): aggregates.
    #[serde(default, alias = "measures")]
    pub metrics: Vec<Metric>,
    /// How the tables join.
    #[serde(default)]
    pub relationships: Vec<Relationship>,
    /// A filter the model applies to every query (SQL, from the model definition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Other names for the model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
    /// The provider's own definition (e.g. the metric view YAML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native: Option<NativeDefinition>,
    /// Fields this crate does not model yet, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ModelDescription {
    /// An empty description named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: None,
            tables: Vec::new(),
            dimensions: Vec::new(),
            metrics: Vec::new(),
            relationships: Vec::new(),
            filter: None,
            synonyms: Vec::new(),
            native: None,
            extra: Map::new(),
        }
    }
    /// Set the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
    /// Append a table.
    pub fn with_table(mut self, table: TableDescription) -> Self {
        self.tables.push(table);
        self
    }
    /// Append a dimension.
    pub fn with_dimension(mut self, dimension: Dimension) -> Self {
        self.dimensions.push(dimension);
        self
    }
    /// Append a metric.
    pub fn with_metric(mut self, metric: Metric) -> Self {
        self.metrics.push(metric);
        self
    }
    /// Append a relationship.
    pub fn with_relationship(mut self, relationship: Relationship) -> Self {
        self.relationships.push(relationship);
        self
    }
    /// Set the model-wide filter.
    pub fn with_filter(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(filter.into());
        self
    }
    /// Set the native definition.
    pub fn with_native(mut self, native: NativeDefinition) -> Self {
        self.native = Some(native);
        self
    }

    /// Find a dimension by member name (`name` or `table.name`).
    pub fn dimension(&self, member: &str) -> Option<&Dimension> {
        find_member(&self.dimensions, member, |d| (&d.name, d.table.as_deref()))
    }

    /// Find a metric by member name (`name` or `table.name`).
    pub fn metric(&self, member: &str) -> Option<&Metric> {
        find_member(&self.metrics, member, |m| (&m.name, m.table.as_deref()))
    }

    /// All dimension member names, qualified where the member has a table.
    pub fn dimension_names(&self) -> Vec<String> {
        self.dimensions
            .iter()
            .map(|d| qualified(&d.name, d.table.as_deref()))
            .collect()
    }

    /// All metric member names, qualified where the member has a table.
    pub fn metric_names(&self) -> Vec<String> {
        self.metrics
            .iter()
            .map(|m| qualified(&m.name, m.table.as_deref()))
            .collect()
    }
}

fn qualified(name: &str, table: Option<&str>) -> String {
    match table {
        Some(t) => format!("{t}.{name}"),
        None => name.to_string(),
    }
}

fn find_member<'a, T>(
    items: &'a [T],
    member: &str,
    key: impl Fn(&T) -> (&String, Option<&str>),
) -> Option<&'a T> {
    // Exact qualified match first, then a bare name that is unique.
    if let Some(found) = items.iter().find(|i| {
        let (name, table) = key(i);
        table.is_some_and(|t| {
            member.len() == t.len() + 1 + name.len() && member == qualified(name, Some(t))
        })
    }) {
        return Some(found);
    }
    let mut bare = items.iter().filter(|i| key(i).0 == member);
    let first = bare.next()?;
    if bare.next().is_some() {
        return None;
    }
    Some(first)
}

/// A logical table of a model (OSI `dataset`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct TableDescription {
    /// Logical name (the alias members are qualified with; `source` for a metric view's base).
    pub name: String,
    /// The physical source: a table name (`cat.sch.tbl`) or a SQL query.
    pub source: String,
    /// Primary key columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub primary_key: Vec<String>,
    /// Human description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Other names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
}

impl TableDescription {
    /// A table `name` over `source`.
    pub fn new(name: impl Into<String>, source: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            source: source.into(),
            primary_key: Vec::new(),
            description: None,
            synonyms: Vec::new(),
        }
    }
    /// Set the primary key.
    pub fn with_primary_key(mut self, columns: Vec<String>) -> Self {
        self.primary_key = columns;
        self
    }
    /// Set the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// A dimension: something to group and filter by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct Dimension {
    /// Member name.
    pub name: String,
    /// The logical table it belongs to, for multi-table models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// Normalised type.
    pub data_type: DataType,
    /// The provider's type name, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_type: Option<String>,
    /// `true` for dates and timestamps usable as time dimensions (with a granularity).
    #[serde(default)]
    pub is_time: bool,
    /// The SQL expression defining it (from the model definition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// Human description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Other names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
}

impl Dimension {
    /// A dimension `name` of type `data_type` (`is_time` set for dates and timestamps).
    pub fn new(name: impl Into<String>, data_type: DataType) -> Self {
        Self {
            name: name.into(),
            table: None,
            data_type,
            raw_type: None,
            is_time: data_type.is_temporal(),
            expression: None,
            description: None,
            synonyms: Vec::new(),
        }
    }
    /// Set the logical table.
    pub fn with_table(mut self, table: impl Into<String>) -> Self {
        self.table = Some(table.into());
        self
    }
    /// Set the raw type name.
    pub fn with_raw_type(mut self, raw: impl Into<String>) -> Self {
        self.raw_type = Some(raw.into());
        self
    }
    /// Set the defining expression.
    pub fn with_expression(mut self, expr: impl Into<String>) -> Self {
        self.expression = Some(expr.into());
        self
    }
    /// Set the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
    /// Set the synonyms.
    pub fn with_synonyms(mut self, synonyms: Vec<String>) -> Self {
        self.synonyms = synonyms;
        self
    }
}

/// A metric (measure): an aggregate over the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct Metric {
    /// Member name.
    pub name: String,
    /// The logical table it belongs to, for multi-table models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// Normalised result type.
    pub data_type: DataType,
    /// The provider's type name, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_type: Option<String>,
    /// The aggregate SQL expression (from the model definition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// Human description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Other names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
}

impl Metric {
    /// A metric `name` of type `data_type`.
    pub fn new(name: impl Into<String>, data_type: DataType) -> Self {
        Self {
            name: name.into(),
            table: None,
            data_type,
            raw_type: None,
            expression: None,
            description: None,
            synonyms: Vec::new(),
        }
    }
    /// Set the logical table.
    pub fn with_table(mut self, table: impl Into<String>) -> Self {
        self.table = Some(table.into());
        self
    }
    /// Set the raw type name.
    pub fn with_raw_type(mut self, raw: impl Into<String>) -> Self {
        self.raw_type = Some(raw.into());
        self
    }
    /// Set the aggregate expression.
    pub fn with_expression(mut self, expr: impl Into<String>) -> Self {
        self.expression = Some(expr.into());
        self
    }
    /// Set the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
    /// Set the synonyms.
    pub fn with_synonyms(mut self, synonyms: Vec<String>) -> Self {
        self.synonyms = synonyms;
        self
    }
}

/// How two logical tables join (OSI `relationship`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct Relationship {
    /// Relationship name (for metric views, the join name).
    pub name: String,
    /// The referencing table (many side).
    pub from: String,
    /// The referenced table (one side).
    pub to: String,
    /// Referencing columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub from_columns: Vec<String>,
    /// Referenced columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to_columns: Vec<String>,
    /// A join condition as SQL, when the model gives one instead of column lists
    /// (metric view `on:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

impl Relationship {
    /// `from` joins `to`.
    pub fn new(name: impl Into<String>, from: impl Into<String>, to: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            from: from.into(),
            to: to.into(),
            from_columns: Vec::new(),
            to_columns: Vec::new(),
            condition: None,
        }
    }
    /// Join on column lists.
    pub fn with_columns(mut self, from_columns: Vec<String>, to_columns: Vec<String>) -> Self {
        self.from_columns = from_columns;
        self.to_columns = to_columns;
        self
    }
    /// Join on a SQL condition.
    pub fn with_condition(mut self, condition: impl Into<String>) -> Self {
        self.condition = Some(condition.into());
        self
    }
}

/// The provider's own model definition, verbatim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct NativeDefinition {
    /// What the text is: `databricks_metric_view_yaml`, `snowflake_semantic_view_ddl`,
    /// `osi_yaml`, …
    pub format: String,
    /// The definition text.
    pub definition: String,
}

impl NativeDefinition {
    /// A native definition in `format`.
    pub fn new(format: impl Into<String>, definition: impl Into<String>) -> Self {
        Self {
            format: format.into(),
            definition: definition.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_serde_accepts_product_names() {
        let p: Provider = serde_json::from_str("\"Databricks\"").unwrap();
        assert_eq!(p, Provider::Databricks);
        let p: Provider = serde_json::from_str("\"bigquery\"").unwrap();
        assert_eq!(p, Provider::BigQuery);
        assert_eq!(
            serde_json::to_string(&Provider::BigQuery).unwrap(),
            "\"bigquery\""
        );
        assert_eq!(Provider::Local.to_string(), "Local");
    }

    #[test]
    fn data_type_normalisation() {
        assert_eq!(DataType::from_sql_name("BIGINT"), DataType::Integer);
        assert_eq!(DataType::from_sql_name("decimal(38,2)"), DataType::Decimal);
        assert_eq!(DataType::from_sql_name("NUMBER(38,0)"), DataType::Integer);
        assert_eq!(DataType::from_sql_name("NUMBER(10,2)"), DataType::Decimal);
        assert_eq!(DataType::from_sql_name("Utf8"), DataType::String);
        assert_eq!(
            DataType::from_sql_name("TIMESTAMP_NTZ"),
            DataType::Timestamp
        );
        assert_eq!(DataType::from_sql_name("Date32"), DataType::Date);
        assert_eq!(DataType::from_sql_name("ARRAY<STRING>"), DataType::Json);
        assert_eq!(DataType::from_sql_name("weird"), DataType::Unknown);
    }

    #[test]
    fn member_lookup_bare_and_qualified() {
        let m = ModelDescription::new("m")
            .with_dimension(Dimension::new("region", DataType::String).with_table("customers"))
            .with_dimension(Dimension::new("id", DataType::Integer).with_table("orders"))
            .with_dimension(Dimension::new("id", DataType::Integer).with_table("customers"));
        assert!(m.dimension("region").is_some());
        assert!(m.dimension("customers.region").is_some());
        // ambiguous bare name
        assert!(m.dimension("id").is_none());
        assert_eq!(
            m.dimension("orders.id").and_then(|d| d.table.as_deref()),
            Some("orders")
        );
        assert_eq!(
            m.dimension_names(),
            vec!["customers.region", "orders.id", "customers.id"]
        );
    }

    #[test]
    fn description_keeps_unknown_fields() {
        let json = r#"{"name":"m","dimensions":[],"measures":[],"x_vendor":{"a":1}}"#;
        let d: ModelDescription = serde_json::from_str(json).unwrap();
        assert_eq!(d.extra.get("x_vendor"), Some(&serde_json::json!({"a":1})));
        let back = serde_json::to_value(&d).unwrap();
        assert_eq!(back["x_vendor"], serde_json::json!({"a":1}));
    }
}
