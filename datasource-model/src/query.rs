//! Requests: the structured [`SemanticQuery`], SQL requests, and per-call options.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::DataType;

/// A structured query over one semantic model: metrics grouped by dimensions, with filters,
/// ordering and paging. Compiled per provider by [`compile()`](crate::compile()); values
/// always travel as bound parameters.
///
/// ```
/// use datasource_model::{Filter, Granularity, OrderBy, SemanticQuery, TimeDimension};
///
/// let query = SemanticQuery::new("revenue_metrics")
///     .with_metrics(["total_revenue", "order_count"])
///     .with_dimensions(["region"])
///     .with_time_dimension(
///         TimeDimension::new("order_date")
///             .with_granularity(Granularity::Month)
///             .with_date_range("2025-01-01", "2025-06-30"),
///     )
///     .with_filter(Filter::in_list("channel", ["web", "partner"]))
///     .with_filter(Filter::gt("total_revenue", "1000"))
///     .with_order(OrderBy::desc("total_revenue"))
///     .with_limit(10);
/// let json = serde_json::to_value(&query).unwrap();
/// assert_eq!(json["time_dimensions"][0]["granularity"], "month");
/// ```
///
/// # JSON schema
///
/// The schema is written for the callers who send a query as JSON — agents through the
/// `query_model` tool of mcp-tools, which flattens this type into its arguments so a new query
/// field reaches the tool without restating it. The model is named `model_name` there (the
/// kagent name; `model` is accepted too and is what serialisation writes), and the field
/// descriptions point at the discovery tools that list valid names.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct SemanticQuery {
    /// The model to query, as listed by `list_models`.
    #[serde(alias = "model_name")]
    #[schemars(
        rename = "model_name",
        description = "The model, as listed by list_models."
    )]
    pub model: String,
    /// Metrics (measures) to compute.
    #[serde(default, alias = "measures")]
    #[schemars(description = "Metrics to compute (names from get_model_metrics).")]
    pub metrics: Vec<String>,
    /// Dimensions to group by.
    #[serde(default)]
    #[schemars(description = "Dimensions to group by (names from get_model_dimensions).")]
    pub dimensions: Vec<String>,
    /// Time dimensions to group by at a granularity and/or restrict to a date range.
    #[serde(default)]
    #[schemars(
        description = r#"Time dimensions, e.g. `{"dimension": "order_date", "granularity": "month"}`."#
    )]
    pub time_dimensions: Vec<TimeDimension>,
    /// Filters. Filters on dimensions apply before aggregation, filters on metrics after; a
    /// group may not mix the two kinds.
    #[serde(default)]
    #[schemars(
        description = r#"Filters, e.g. `{"member": "region", "operator": "equals", "values": ["EMEA"]}`."#
    )]
    pub filters: Vec<Filter>,
    /// Sort order; members must be selected metrics or dimensions.
    #[serde(default)]
    #[schemars(
        description = r#"Sort order, e.g. `{"member": "total_revenue", "direction": "desc"}`."#
    )]
    pub order: Vec<OrderBy>,
    /// Maximum rows to return (further capped by `QueryOptions::max_rows` and the source). When
    /// this limit cuts rows (more groups exist), the result says `truncated: true`, as it does
    /// for the cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(description = "Maximum rows (capped by the server).")]
    pub limit: Option<u64>,
    /// Rows to skip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(description = "Rows to skip (to page through a truncated result).")]
    pub offset: Option<u64>,
    /// IANA time zone for time granularity and date ranges (provider support varies; `UTC` if
    /// absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

impl SemanticQuery {
    /// An empty query on `model`.
    pub fn new(model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            ..Self::default()
        }
    }
    /// Add metrics.
    pub fn with_metrics<I, S>(mut self, metrics: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.metrics.extend(metrics.into_iter().map(Into::into));
        self
    }
    /// Add dimensions.
    pub fn with_dimensions<I, S>(mut self, dimensions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.dimensions
            .extend(dimensions.into_iter().map(Into::into));
        self
    }
    /// Add a time dimension.
    pub fn with_time_dimension(mut self, td: TimeDimension) -> Self {
        self.time_dimensions.push(td);
        self
    }
    /// Add a filter (all top-level filters are AND-ed).
    pub fn with_filter(mut self, filter: Filter) -> Self {
        self.filters.push(filter);
        self
    }
    /// Add an ordering term.
    pub fn with_order(mut self, order: OrderBy) -> Self {
        self.order.push(order);
        self
    }
    /// Set the limit.
    pub fn with_limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }
    /// Set the offset.
    pub fn with_offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }
    /// Set the time zone.
    pub fn with_timezone(mut self, tz: impl Into<String>) -> Self {
        self.timezone = Some(tz.into());
        self
    }
}

/// A time dimension in a query: group by it at `granularity` and/or keep rows in `date_range`.
///
/// With a granularity the output column is named `<dimension>_<granularity>`
/// (e.g. `order_date_month`); without one it is the dimension name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct TimeDimension {
    /// A dimension with `is_time`.
    pub dimension: String,
    /// Truncate to this granularity and group by it. Absent: only filter by `date_range`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granularity: Option<Granularity>,
    /// Inclusive `[from, to]` as `YYYY-MM-DD` (or full ISO timestamps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_range: Option<[String; 2]>,
}

impl TimeDimension {
    /// A time dimension without granularity or range.
    pub fn new(dimension: impl Into<String>) -> Self {
        Self {
            dimension: dimension.into(),
            granularity: None,
            date_range: None,
        }
    }
    /// Group by `granularity`.
    pub fn with_granularity(mut self, granularity: Granularity) -> Self {
        self.granularity = Some(granularity);
        self
    }
    /// Restrict to an inclusive date range.
    pub fn with_date_range(mut self, from: impl Into<String>, to: impl Into<String>) -> Self {
        self.date_range = Some([from.into(), to.into()]);
        self
    }
    /// The output column name: `<dimension>_<granularity>` or the bare dimension.
    pub fn output_name(&self) -> String {
        let base = self.dimension.rsplit('.').next().unwrap_or(&self.dimension);
        match self.granularity {
            Some(g) => format!("{base}_{g}"),
            None => base.to_string(),
        }
    }
}

/// Time granularity for [`TimeDimension`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Granularity {
    /// Second.
    Second,
    /// Minute.
    Minute,
    /// Hour.
    Hour,
    /// Day.
    Day,
    /// ISO week (starting Monday).
    Week,
    /// Month.
    Month,
    /// Quarter.
    Quarter,
    /// Year.
    Year,
}

impl Granularity {
    /// Lower-case name: `month`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Second => "second",
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Quarter => "quarter",
            Self::Year => "year",
        }
    }
}

impl fmt::Display for Granularity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A filter: a condition on one member, or an `and` / `or` group of filters.
///
/// JSON: `{"member": "region", "operator": "in", "values": ["EMEA"]}`,
/// `{"or": [ … ]}`, `{"and": [ … ]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Filter {
    /// One condition.
    Condition(FilterCondition),
    /// All must hold.
    And {
        /// The filters.
        and: Vec<Self>,
    },
    /// At least one must hold.
    Or {
        /// The filters.
        or: Vec<Self>,
    },
}

impl Filter {
    /// A condition.
    pub fn condition<I, V>(member: impl Into<String>, operator: FilterOperator, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<FilterValue>,
    {
        Self::Condition(FilterCondition {
            member: member.into(),
            operator,
            values: values.into_iter().map(Into::into).collect(),
        })
    }
    /// `member = value`.
    pub fn equals(member: impl Into<String>, value: impl Into<FilterValue>) -> Self {
        Self::condition(member, FilterOperator::Equals, [value.into()])
    }
    /// `member IN (values)`.
    pub fn in_list<I, V>(member: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<FilterValue>,
    {
        Self::condition(member, FilterOperator::In, values)
    }
    /// `member > value`.
    pub fn gt(member: impl Into<String>, value: impl Into<FilterValue>) -> Self {
        Self::condition(member, FilterOperator::Gt, [value.into()])
    }
    /// `member < value`.
    pub fn lt(member: impl Into<String>, value: impl Into<FilterValue>) -> Self {
        Self::condition(member, FilterOperator::Lt, [value.into()])
    }
    /// All of `filters`.
    pub fn and(filters: Vec<Self>) -> Self {
        Self::And { and: filters }
    }
    /// Any of `filters`.
    pub fn or(filters: Vec<Self>) -> Self {
        Self::Or { or: filters }
    }
}

/// One condition of a [`Filter`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct FilterCondition {
    /// The dimension or metric.
    pub member: String,
    /// The comparison.
    pub operator: FilterOperator,
    /// Operands (none for `set` / `not_set`, two for `in_date_range`, one or more otherwise).
    #[serde(default)]
    pub values: Vec<FilterValue>,
}

/// Filter operators (the Cube set, trimmed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FilterOperator {
    /// `=` (several values: any of them).
    #[serde(alias = "eq")]
    Equals,
    /// `<>` (several values: none of them).
    #[serde(alias = "notEquals", alias = "ne")]
    NotEquals,
    /// `IN (...)`.
    In,
    /// `NOT IN (...)`.
    #[serde(alias = "notIn")]
    NotIn,
    /// Substring match.
    Contains,
    /// No substring match.
    #[serde(alias = "notContains")]
    NotContains,
    /// Prefix match.
    #[serde(alias = "startsWith")]
    StartsWith,
    /// Suffix match.
    #[serde(alias = "endsWith")]
    EndsWith,
    /// `>`.
    Gt,
    /// `>=`.
    Gte,
    /// `<`.
    Lt,
    /// `<=`.
    Lte,
    /// `IS NOT NULL`.
    Set,
    /// `IS NULL`.
    #[serde(alias = "notSet")]
    NotSet,
    /// Inclusive `[from, to]` date range.
    #[serde(alias = "inDateRange")]
    InDateRange,
    /// Outside an inclusive date range.
    #[serde(alias = "notInDateRange")]
    NotInDateRange,
    /// Strictly before a date.
    #[serde(alias = "beforeDate")]
    BeforeDate,
    /// Strictly after a date.
    #[serde(alias = "afterDate")]
    AfterDate,
}

impl FilterOperator {
    /// The `snake_case` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Equals => "equals",
            Self::NotEquals => "not_equals",
            Self::In => "in",
            Self::NotIn => "not_in",
            Self::Contains => "contains",
            Self::NotContains => "not_contains",
            Self::StartsWith => "starts_with",
            Self::EndsWith => "ends_with",
            Self::Gt => "gt",
            Self::Gte => "gte",
            Self::Lt => "lt",
            Self::Lte => "lte",
            Self::Set => "set",
            Self::NotSet => "not_set",
            Self::InDateRange => "in_date_range",
            Self::NotInDateRange => "not_in_date_range",
            Self::BeforeDate => "before_date",
            Self::AfterDate => "after_date",
        }
    }
}

impl fmt::Display for FilterOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A filter operand: a string, number or boolean. It is typed by the member's data type and
/// always bound as a parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
#[non_exhaustive]
pub enum FilterValue {
    /// A boolean.
    Bool(bool),
    /// A number (kept exact as written).
    Number(serde_json::Number),
    /// Text (also dates, decimals).
    String(String),
}

impl FilterValue {
    /// The operand as text, as it will be bound.
    pub fn as_text(&self) -> String {
        match self {
            Self::Bool(b) => b.to_string(),
            Self::Number(n) => n.to_string(),
            Self::String(s) => s.clone(),
        }
    }
}

impl From<&str> for FilterValue {
    fn from(v: &str) -> Self {
        Self::String(v.to_string())
    }
}
impl From<String> for FilterValue {
    fn from(v: String) -> Self {
        Self::String(v)
    }
}
impl From<bool> for FilterValue {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}
impl From<i64> for FilterValue {
    fn from(v: i64) -> Self {
        Self::Number(v.into())
    }
}
impl From<u64> for FilterValue {
    fn from(v: u64) -> Self {
        Self::Number(v.into())
    }
}
impl From<i32> for FilterValue {
    fn from(v: i32) -> Self {
        Self::Number(v.into())
    }
}

/// One ordering term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct OrderBy {
    /// A selected metric, dimension, or time dimension (by dimension or output name).
    pub member: String,
    /// Direction (default ascending).
    #[serde(default)]
    pub direction: Direction,
}

impl OrderBy {
    /// Ascending by `member`.
    pub fn asc(member: impl Into<String>) -> Self {
        Self {
            member: member.into(),
            direction: Direction::Asc,
        }
    }
    /// Descending by `member`.
    pub fn desc(member: impl Into<String>) -> Self {
        Self {
            member: member.into(),
            direction: Direction::Desc,
        }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Direction {
    /// Ascending.
    #[default]
    #[serde(alias = "ASC")]
    Asc,
    /// Descending.
    #[serde(alias = "DESC")]
    Desc,
}

/// Per-call execution options for `query_model` and `execute_sql`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct QueryOptions {
    /// Return at most this many rows; `QueryResult::truncated` is `true` exactly when more
    /// existed (exactly `max_rows` rows is not truncation). Providers push `max_rows + 1` into
    /// the request where they can and drop the probe row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rows: Option<u64>,
    /// Give up after this many milliseconds (the statement may keep running; see
    /// `Error::Timeout::query_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Compile (and validate where the provider can) without running.
    #[serde(default)]
    pub dry_run: bool,
    /// Caller-chosen id, for idempotent submission where the provider supports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl QueryOptions {
    /// Defaults: no cap beyond the source's, no timeout beyond the source's.
    pub fn new() -> Self {
        Self::default()
    }
    /// Set the row cap.
    pub fn with_max_rows(mut self, max_rows: u64) -> Self {
        self.max_rows = Some(max_rows);
        self
    }
    /// Set the timeout in milliseconds.
    pub fn with_timeout_ms(mut self, timeout_ms: u64) -> Self {
        self.timeout_ms = Some(timeout_ms);
        self
    }
    /// Compile only.
    pub fn with_dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }
    /// Set the request id.
    pub fn with_request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }
}

/// A SQL statement with bound parameters, for `execute_sql`.
///
/// Parameter markers are the provider's: `:name` on Databricks, `$1` / `$name` on the local
/// engine, `?` on Snowflake, `@name` on BigQuery.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct SqlRequest {
    /// One SQL statement.
    pub sql: String,
    /// Bound parameters.
    #[serde(default)]
    pub parameters: Vec<SqlParameter>,
    /// Default catalog for unqualified names (where the provider supports it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<String>,
    /// Default schema for unqualified names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
}

impl SqlRequest {
    /// A statement without parameters.
    pub fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            ..Self::default()
        }
    }
    /// Add a parameter.
    pub fn with_parameter(mut self, parameter: SqlParameter) -> Self {
        self.parameters.push(parameter);
        self
    }
    /// Set the default catalog.
    pub fn with_catalog(mut self, catalog: impl Into<String>) -> Self {
        self.catalog = Some(catalog.into());
        self
    }
    /// Set the default schema.
    pub fn with_schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }
}

/// A bound parameter. The value travels as text (or SQL `NULL`) with a type, as the Databricks,
/// Snowflake and BigQuery APIs all expect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct SqlParameter {
    /// Marker name (without `:`/`@`); positional dialects use the order.
    pub name: String,
    /// The value as text; `None` is SQL `NULL`.
    pub value: Option<String>,
    /// The value's type (default string).
    #[serde(default = "default_param_type")]
    pub data_type: DataType,
}

fn default_param_type() -> DataType {
    DataType::String
}

impl SqlParameter {
    /// A string parameter.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: Some(value.into()),
            data_type: DataType::String,
        }
    }
    /// A typed parameter.
    pub fn typed(name: impl Into<String>, value: Option<String>, data_type: DataType) -> Self {
        Self {
            name: name.into(),
            value,
            data_type,
        }
    }
}

/// Options for natural-language `ask`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct AskOptions {
    /// Restrict the question to one model (providers that route by model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Continue this conversation (from a previous `Answer::conversation_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
    /// Cap the rows of the attached result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rows: Option<u64>,
    /// Give up after this many milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

impl AskOptions {
    /// Defaults.
    pub fn new() -> Self {
        Self::default()
    }
    /// Restrict to a model.
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }
    /// Continue a conversation.
    pub fn with_conversation_id(mut self, id: impl Into<String>) -> Self {
        self.conversation_id = Some(id.into());
        self
    }
    /// Cap the result rows.
    pub fn with_max_rows(mut self, max_rows: u64) -> Self {
        self.max_rows = Some(max_rows);
        self
    }
    /// Set the timeout in milliseconds.
    pub fn with_timeout_ms(mut self, timeout_ms: u64) -> Self {
        self.timeout_ms = Some(timeout_ms);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_json_shape_from_the_notes() {
        let json = serde_json::json!({
          "model": "ANALYTICS.SALES.ORDERS_SV",
          "metrics": ["orders.total_revenue", "orders.order_count"],
          "dimensions": ["customers.region"],
          "time_dimensions": [{"dimension": "orders.order_date", "granularity": "month",
                               "date_range": ["2025-01-01", "2025-12-31"]}],
          "filters": [
            {"member": "customers.region", "operator": "in", "values": ["EMEA", "APAC"]},
            {"or": [{"member": "orders.channel", "operator": "equals", "values": ["web"]},
                    {"member": "orders.channel", "operator": "equals", "values": ["partner"]}]},
            {"member": "orders.total_revenue", "operator": "gt", "values": ["1000"]}
          ],
          "order": [{"member": "orders.total_revenue", "direction": "desc"}],
          "limit": 100,
          "offset": 0,
          "timezone": "UTC"
        });
        let q: SemanticQuery = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(q.metrics.len(), 2);
        assert!(matches!(&q.filters[1], Filter::Or { or } if or.len() == 2));
        assert_eq!(q.time_dimensions[0].output_name(), "order_date_month");
        assert_eq!(serde_json::to_value(&q).unwrap(), json);
    }

    #[test]
    fn measures_alias_and_number_values() {
        let q: SemanticQuery = serde_json::from_str(
            r#"{"model":"m","measures":["x"],"filters":[{"member":"n","operator":"gte","values":[5, true]}]}"#,
        )
        .unwrap();
        assert_eq!(q.metrics, vec!["x"]);
        let Filter::Condition(c) = &q.filters[0] else {
            panic!("condition expected")
        };
        assert_eq!(c.values[0].as_text(), "5");
        assert_eq!(c.values[1].as_text(), "true");
    }
}
