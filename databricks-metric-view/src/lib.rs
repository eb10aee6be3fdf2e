#![doc = include_str!("../README.md")]
//!
//! # The model
//!
//! A metric view is a UC object whose body is a YAML document declaring a `source`, optional
//! `joins` and `filter`, `dimensions` (the newest docs call them `fields`) and `measures` (notes
//! §4.14). There is no dedicated REST API: the YAML comes from `TableInfo::view_definition` or
//! from SQL (see `CatalogApi::metric_view_definition` in `databricks-client`).
//!
//! * [`MetricView`] — the definition; [`MetricView::from_yaml`] / [`MetricView::to_yaml`].
//! * [`MetricViewJoin`], [`MetricViewDimension`], [`MetricViewMeasure`], [`MeasureWindow`] —
//!   its parts, each keeping unknown keys for round-trips.
//! * [`MetricViewParseError`] — a parse error with the line and column.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// A parsed metric view definition.
///
/// Parse with [`MetricView::from_yaml`]; render back with [`MetricView::to_yaml`]. Unknown keys
/// are kept in `extra` (on the view and on every nested item) so a definition round-trips.
///
/// ```
/// use databricks_metric_view::MetricView;
///
/// let mv = MetricView::from_yaml(r#"
/// version: 1.1
/// source: samples.tpch.orders
/// filter: o_orderdate > '1990-01-01'
/// dimensions:
///   - name: month
///     expr: date_trunc('MONTH', o_orderdate)
/// measures:
///   - name: total_revenue
///     expr: SUM(o_totalprice)
/// "#)?;
/// assert_eq!(mv.source, "samples.tpch.orders");
/// assert_eq!(mv.measures[0].name, "total_revenue");
/// # Ok::<(), databricks_metric_view::MetricViewParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "RawMetricView", into = "RawMetricView")]
#[non_exhaustive]
pub struct MetricView {
    /// Spec version as written (`0.1`, `1.1`, …).
    pub version: Option<String>,
    /// Source table, view, metric view, or SQL query.
    pub source: String,
    /// Global filter (a SQL boolean expression applied like `WHERE`).
    pub filter: Option<String>,
    /// Description of the view (spec 1.1).
    pub comment: Option<String>,
    /// Joins (LEFT OUTER, many-to-one), possibly nested.
    pub joins: Vec<MetricViewJoin>,
    /// Dimensions, from either the `dimensions` or the newer `fields` key.
    pub dimensions: Vec<MetricViewDimension>,
    /// Which key the dimensions were read from (and are written back to).
    pub dimensions_spelling: DimensionsSpelling,
    /// Measures (aggregate expressions, queried with `MEASURE(name)`).
    pub measures: Vec<MetricViewMeasure>,
    /// Optional `materialization` block, kept as JSON.
    pub materialization: Option<Value>,
    /// Keys this model does not know, kept for round-trips.
    pub extra: Map<String, Value>,
}

/// The key a metric view used for its dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DimensionsSpelling {
    /// `dimensions:` (spec 0.1 and 1.1).
    #[default]
    Dimensions,
    /// `fields:` (the newest documentation).
    Fields,
}

/// One join of a metric view.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MetricViewJoin {
    /// Join alias; columns are referenced as `<name>.<column>`.
    #[serde(deserialize_with = "scalar_string")]
    pub name: String,
    /// Joined table or view.
    #[serde(deserialize_with = "scalar_string")]
    pub source: String,
    /// Join condition (`source.a = name.b`). YAML 1.1 writers quote the key as `'on'`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_scalar_string"
    )]
    pub on: Option<String>,
    /// `USING` column list, the alternative to `on`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub using: Option<Vec<String>>,
    /// Nested joins (snowflake schemas).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub joins: Vec<Self>,
    /// Unknown keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One dimension (or field) of a metric view.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MetricViewDimension {
    /// Dimension name (the column name users select).
    #[serde(deserialize_with = "scalar_string")]
    pub name: String,
    /// SQL expression over the source and joins.
    #[serde(deserialize_with = "scalar_string")]
    pub expr: String,
    /// Description.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_scalar_string"
    )]
    pub comment: Option<String>,
    /// Human-readable name (spec 1.1).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_scalar_string"
    )]
    pub display_name: Option<String>,
    /// Alternative names (spec 1.1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
    /// Display format (spec 1.1), kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Value>,
    /// Unknown keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One measure of a metric view.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MetricViewMeasure {
    /// Measure name, queried as `MEASURE(name)`.
    #[serde(deserialize_with = "scalar_string")]
    pub name: String,
    /// Aggregate SQL expression (may reference other measures through `MEASURE()`).
    #[serde(deserialize_with = "scalar_string")]
    pub expr: String,
    /// Description.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_scalar_string"
    )]
    pub comment: Option<String>,
    /// Human-readable name (spec 1.1).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_scalar_string"
    )]
    pub display_name: Option<String>,
    /// Alternative names (spec 1.1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
    /// Display format (`{type: currency, …}`), kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Value>,
    /// Window specifications (experimental).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub window: Vec<MeasureWindow>,
    /// Unknown keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A measure window (`window: [{order, range, semiadditive}]`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MeasureWindow {
    /// The dimension that orders the window.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_scalar_string"
    )]
    pub order: Option<String>,
    /// `current`, `cumulative`, `trailing <n> <unit>`, `leading <n> <unit>` or `all`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_scalar_string"
    )]
    pub range: Option<String>,
    /// `first` or `last`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_scalar_string"
    )]
    pub semiadditive: Option<String>,
    /// Unknown keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A metric view YAML document that could not be parsed.
///
/// Carries the 1-based line and column when the parser knows them. Troubleshooting: quote
/// values that YAML could read as something else (`'on':`, expressions starting with `*`, `&`,
/// `!`, `{` or `[`), and check indentation at the reported line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetricViewParseError {
    /// 1-based line of the problem, when known.
    pub line: Option<u64>,
    /// 1-based column of the problem, when known.
    pub column: Option<u64>,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for MetricViewParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(col)) => write!(
                f,
                "invalid metric view YAML at line {line}, column {col}: {}",
                self.message
            ),
            (Some(line), None) => {
                write!(
                    f,
                    "invalid metric view YAML at line {line}: {}",
                    self.message
                )
            }
            _ => write!(f, "invalid metric view YAML: {}", self.message),
        }
    }
}

impl std::error::Error for MetricViewParseError {}

impl MetricView {
    /// A definition over `source` with no joins, dimensions or measures yet.
    pub fn new(source: impl Into<String>) -> Self {
        Self {
            version: Some("1.1".to_owned()),
            source: source.into(),
            ..Self::default()
        }
    }

    /// Sets the filter.
    #[must_use]
    pub fn with_filter(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(filter.into());
        self
    }

    /// Sets the comment.
    #[must_use]
    pub fn with_comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// Adds a join.
    #[must_use]
    pub fn with_join(mut self, join: MetricViewJoin) -> Self {
        self.joins.push(join);
        self
    }

    /// Adds a dimension.
    #[must_use]
    pub fn with_dimension(mut self, dimension: MetricViewDimension) -> Self {
        self.dimensions.push(dimension);
        self
    }

    /// Adds a measure.
    #[must_use]
    pub fn with_measure(mut self, measure: MetricViewMeasure) -> Self {
        self.measures.push(measure);
        self
    }

    /// Parses a metric view YAML body (the text between `$$ … $$` of the DDL, or
    /// `TableInfo::view_definition`).
    ///
    /// YAML 1.2 booleans are used, so an unquoted `on:` key stays the string `on`.
    ///
    /// # Errors
    /// [`MetricViewParseError`] naming the line and column of the first problem.
    pub fn from_yaml(yaml: &str) -> Result<Self, MetricViewParseError> {
        let options = serde_saphyr::options! { strict_booleans: true };
        serde_saphyr::from_str_with_options::<Self>(yaml, options).map_err(|err| {
            let location = err.location();
            MetricViewParseError {
                line: location.as_ref().map(serde_saphyr::Location::line),
                column: location.as_ref().map(serde_saphyr::Location::column),
                message: clean_message(&err.without_snippet().to_string()),
            }
        })
    }

    /// Renders the definition as YAML (keys this model does not know are kept).
    ///
    /// # Errors
    /// [`MetricViewParseError`] if serialization fails (it does not for values built by this
    /// crate; `extra` values are plain JSON).
    pub fn to_yaml(&self) -> Result<String, MetricViewParseError> {
        serde_saphyr::to_string(self).map_err(|err| MetricViewParseError {
            line: None,
            column: None,
            message: err.to_string(),
        })
    }

    /// Every join, nested ones included, depth first.
    pub fn all_joins(&self) -> Vec<&MetricViewJoin> {
        fn walk<'a>(joins: &'a [MetricViewJoin], out: &mut Vec<&'a MetricViewJoin>) {
            for join in joins {
                out.push(join);
                walk(&join.joins, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.joins, &mut out);
        out
    }

    /// The measure called `name`, if any (case-insensitive, as SQL identifiers are).
    pub fn measure(&self, name: &str) -> Option<&MetricViewMeasure> {
        self.measures
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(name))
    }

    /// The dimension called `name`, if any (case-insensitive).
    pub fn dimension(&self, name: &str) -> Option<&MetricViewDimension> {
        self.dimensions
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(name))
    }
}

impl MetricViewJoin {
    /// A join named `name` on `source` with condition `on`.
    pub fn new(name: impl Into<String>, source: impl Into<String>, on: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            source: source.into(),
            on: Some(on.into()),
            ..Self::default()
        }
    }

    /// A join named `name` on `source` with a `USING` column list.
    pub fn using(
        name: impl Into<String>,
        source: impl Into<String>,
        columns: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            name: name.into(),
            source: source.into(),
            using: Some(columns.into_iter().map(Into::into).collect()),
            ..Self::default()
        }
    }

    /// Adds a nested join.
    #[must_use]
    pub fn with_join(mut self, join: Self) -> Self {
        self.joins.push(join);
        self
    }
}

impl MetricViewDimension {
    /// A dimension `name` computed by `expr`.
    pub fn new(name: impl Into<String>, expr: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            expr: expr.into(),
            ..Self::default()
        }
    }

    /// Sets the comment.
    #[must_use]
    pub fn with_comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// Sets the display name.
    #[must_use]
    pub fn with_display_name(mut self, display_name: impl Into<String>) -> Self {
        self.display_name = Some(display_name.into());
        self
    }
}

impl MetricViewMeasure {
    /// A measure `name` computed by the aggregate `expr`.
    pub fn new(name: impl Into<String>, expr: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            expr: expr.into(),
            ..Self::default()
        }
    }

    /// Sets the comment.
    #[must_use]
    pub fn with_comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// Sets the display name.
    #[must_use]
    pub fn with_display_name(mut self, display_name: impl Into<String>) -> Self {
        self.display_name = Some(display_name.into());
        self
    }
}

/// The wire shape, with both spellings of the dimensions key.
#[derive(Serialize, Deserialize)]
struct RawMetricView {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_scalar_string"
    )]
    version: Option<String>,
    #[serde(default, deserialize_with = "opt_scalar_string")]
    source: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_scalar_string"
    )]
    comment: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_scalar_string"
    )]
    filter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    joins: Option<Vec<MetricViewJoin>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dimensions: Option<Vec<MetricViewDimension>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fields: Option<Vec<MetricViewDimension>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    measures: Option<Vec<MetricViewMeasure>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    materialization: Option<Value>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl TryFrom<RawMetricView> for MetricView {
    type Error = String;

    fn try_from(raw: RawMetricView) -> Result<Self, Self::Error> {
        let source = raw.source.filter(|s| !s.trim().is_empty()).ok_or_else(|| {
            "missing `source`: a metric view needs `source: <table, view or SQL query>`".to_owned()
        })?;
        let (dimensions, dimensions_spelling) = match (raw.dimensions, raw.fields) {
            (Some(_), Some(_)) => {
                return Err(
                    "both `dimensions` and `fields` are set; they are two spellings of the same \
                     list, keep one"
                        .to_owned(),
                );
            }
            (Some(d), None) => (d, DimensionsSpelling::Dimensions),
            (None, Some(f)) => (f, DimensionsSpelling::Fields),
            (None, None) => (Vec::new(), DimensionsSpelling::Dimensions),
        };
        Ok(Self {
            version: raw.version,
            source,
            filter: raw.filter,
            comment: raw.comment,
            joins: raw.joins.unwrap_or_default(),
            dimensions,
            dimensions_spelling,
            measures: raw.measures.unwrap_or_default(),
            materialization: raw.materialization,
            extra: raw.extra,
        })
    }
}

impl From<MetricView> for RawMetricView {
    fn from(mv: MetricView) -> Self {
        let dims = (!mv.dimensions.is_empty()).then_some(mv.dimensions);
        let (dimensions, fields) = match mv.dimensions_spelling {
            DimensionsSpelling::Fields => (None, dims),
            DimensionsSpelling::Dimensions => (dims, None),
        };
        Self {
            version: mv.version,
            source: Some(mv.source),
            comment: mv.comment,
            filter: mv.filter,
            joins: (!mv.joins.is_empty()).then_some(mv.joins),
            dimensions,
            fields,
            measures: (!mv.measures.is_empty()).then_some(mv.measures),
            materialization: mv.materialization,
            extra: mv.extra,
        }
    }
}

/// Drops the `error: line N column M:` prefix the YAML parser adds (we print our own).
fn clean_message(raw: &str) -> String {
    let first = raw.lines().next().unwrap_or(raw);
    let mut msg = first.strip_prefix("error: ").unwrap_or(first);
    if let Some(rest) = msg.strip_prefix("line ")
        && let Some((_, tail)) = rest.split_once(": ")
        && rest.split_once(": ").is_some_and(|(head, _)| {
            head.split(' ')
                .all(|w| w == "column" || w.bytes().all(|b| b.is_ascii_digit()))
        })
    {
        msg = tail;
    }
    let msg = msg.trim();
    // ... and the ` at line N, column M` suffix.
    match msg.rfind(" at line ") {
        Some(i)
            if msg[i + 9..]
                .bytes()
                .all(|b| b.is_ascii_digit() || b" ,column".contains(&b)) =>
        {
            msg[..i].trim_end().to_owned()
        }
        _ => msg.to_owned(),
    }
}

/// A scalar read as text: YAML may type `1.1`, `2024` or `true` even where the spec means a
/// string (inside flattened structs values arrive already typed).
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Str(String),
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
}

impl From<Scalar> for String {
    fn from(s: Scalar) -> Self {
        match s {
            Scalar::Str(s) => s,
            Scalar::Bool(b) => b.to_string(),
            Scalar::U64(n) => n.to_string(),
            Scalar::I64(n) => n.to_string(),
            Scalar::F64(n) => n.to_string(),
        }
    }
}

fn scalar_string<'de, D: Deserializer<'de>>(de: D) -> Result<String, D::Error> {
    Scalar::deserialize(de).map(Into::into)
}

fn opt_scalar_string<'de, D: Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    Option::<Scalar>::deserialize(de).map(|o| o.map(Into::into))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDERS: &str = r#"
version: 1.1
source: samples.tpch.orders            # a comment
filter: o_orderdate > '1990-01-01'
comment: Order KPIs
joins:
  - name: customer
    source: samples.tpch.customer
    on: source.o_custkey = customer.c_custkey
    joins:
      - name: nation
        source: samples.tpch.nation
        'on': customer.c_nationkey = nation.n_nationkey
dimensions:
  - name: month
    expr: date_trunc('MONTH', o_orderdate)
    display_name: Order Month
    synonyms: [order month]
  - name: nation
    expr: nation.n_name
    comment: Customer nation
measures:
  - name: total_revenue
    expr: SUM(o_totalprice)
    format: {type: currency, currency_code: USD}
    window: [{order: month, range: trailing 3 month, semiadditive: last}]
  - name: order_count
    expr: COUNT(1)
"#;

    #[test]
    fn parses_joins_filter_and_nested_joins() {
        let mv = MetricView::from_yaml(ORDERS).unwrap();
        assert_eq!(mv.version.as_deref(), Some("1.1"));
        assert_eq!(mv.source, "samples.tpch.orders");
        assert_eq!(mv.filter.as_deref(), Some("o_orderdate > '1990-01-01'"));
        assert_eq!(mv.comment.as_deref(), Some("Order KPIs"));
        assert_eq!(mv.joins.len(), 1);
        let customer = &mv.joins[0];
        assert_eq!(customer.name, "customer");
        assert_eq!(
            customer.on.as_deref(),
            Some("source.o_custkey = customer.c_custkey")
        );
        assert_eq!(customer.joins[0].name, "nation");
        assert_eq!(
            customer.joins[0].on.as_deref(),
            Some("customer.c_nationkey = nation.n_nationkey")
        );
        let names: Vec<_> = mv.all_joins().iter().map(|j| j.name.as_str()).collect();
        assert_eq!(names, ["customer", "nation"]);
        assert_eq!(mv.dimensions_spelling, DimensionsSpelling::Dimensions);
        assert_eq!(mv.dimensions.len(), 2);
        assert_eq!(
            mv.dimensions[0].display_name.as_deref(),
            Some("Order Month")
        );
        assert_eq!(mv.dimensions[0].synonyms, ["order month"]);
        assert_eq!(
            mv.dimension("NATION").unwrap().comment.as_deref(),
            Some("Customer nation")
        );
        let revenue = mv.measure("total_revenue").unwrap();
        assert_eq!(revenue.expr, "SUM(o_totalprice)");
        assert_eq!(revenue.format.as_ref().unwrap()["type"], "currency");
        assert_eq!(revenue.window[0].order.as_deref(), Some("month"));
        assert_eq!(revenue.window[0].range.as_deref(), Some("trailing 3 month"));
        assert_eq!(revenue.window[0].semiadditive.as_deref(), Some("last"));
        assert_eq!(mv.measures[1].expr, "COUNT(1)");
    }

    #[test]
    fn parses_fields_spelling_and_using_joins() {
        let yaml = r#"
version: "0.1"
source: SELECT * FROM main.sales.orders WHERE region IS NOT NULL
joins:
  - name: store
    source: main.sales.stores
    using: [store_id, region]
fields:
  - name: Region
    expr: region
measures:
  - name: Revenue
    expr: SUM(amount)
"#;
        let mv = MetricView::from_yaml(yaml).unwrap();
        assert_eq!(mv.version.as_deref(), Some("0.1"));
        assert!(mv.source.starts_with("SELECT *"));
        assert_eq!(mv.dimensions_spelling, DimensionsSpelling::Fields);
        assert_eq!(mv.dimensions[0].name, "Region");
        assert_eq!(mv.joins[0].on, None);
        assert_eq!(
            mv.joins[0].using.as_deref(),
            Some(&["store_id".to_owned(), "region".to_owned()][..])
        );
        // Rendering keeps the spelling.
        let out = mv.to_yaml().unwrap();
        assert!(out.contains("fields:"), "{out}");
        assert!(!out.contains("dimensions:"), "{out}");
        assert_eq!(MetricView::from_yaml(&out).unwrap(), mv);
    }

    #[test]
    fn keeps_unknown_keys_and_round_trips() {
        let yaml = r#"
version: 1.1
source: cat.sch.t
materialization:
  schedule: every 6 hours
  mode: relaxed
future_top_level: {a: 1}
dimensions:
  - name: d
    expr: d
    future_dim_key: true
measures:
  - name: m
    expr: SUM(x)
    future_measure_key: [1, 2]
"#;
        let mv = MetricView::from_yaml(yaml).unwrap();
        assert_eq!(mv.extra["future_top_level"]["a"], 1);
        assert_eq!(mv.materialization.as_ref().unwrap()["mode"], "relaxed");
        assert_eq!(mv.dimensions[0].extra["future_dim_key"], true);
        assert_eq!(mv.measures[0].extra["future_measure_key"][1], 2);
        let again = MetricView::from_yaml(&mv.to_yaml().unwrap()).unwrap();
        assert_eq!(again, mv);
    }

    #[test]
    fn numeric_looking_strings_are_text() {
        let yaml = "version: 0.1\nsource: t\ndimensions:\n  - name: 2024\n    expr: 1\n";
        let mv = MetricView::from_yaml(yaml).unwrap();
        assert_eq!(mv.version.as_deref(), Some("0.1"));
        assert_eq!(mv.dimensions[0].name, "2024");
        assert_eq!(mv.dimensions[0].expr, "1");
    }

    #[test]
    fn builder_renders_parseable_yaml() {
        let mv = MetricView::new("main.sales.orders")
            .with_filter("amount > 0")
            .with_join(MetricViewJoin::new(
                "customer",
                "main.sales.customers",
                "source.customer_id = customer.id",
            ))
            .with_dimension(MetricViewDimension::new("country", "customer.country"))
            .with_measure(MetricViewMeasure::new("revenue", "SUM(amount)").with_comment("Net"));
        let yaml = mv.to_yaml().unwrap();
        let back = MetricView::from_yaml(&yaml).unwrap();
        assert_eq!(back, mv);
        assert_eq!(
            back.joins[0].on.as_deref(),
            Some("source.customer_id = customer.id")
        );
    }

    #[test]
    fn errors_name_the_line() {
        // Missing `expr` (misspelt `exprr` on line 8) in the measure starting on line 7.
        let yaml = "version: 1.1\nsource: t\ndimensions:\n  - name: d\n    expr: d\nmeasures:\n  - name: m\n    exprr: SUM(x)\n";
        let err = MetricView::from_yaml(yaml).unwrap_err();
        assert!(err.line.is_some(), "{err:?}");
        assert!(err.to_string().contains("line"), "{err}");
        assert!(err.to_string().contains("expr"), "{err}");

        assert_eq!(err.line, Some(8), "{err}");
        assert_eq!(
            err.to_string(),
            "invalid metric view YAML at line 8, column 5: missing field `expr`"
        );

        // A syntax error (unclosed flow sequence) at or after line 4.
        let err = MetricView::from_yaml("source: t\nmeasures:\n  - name: m\n    synonyms: [a, b\n")
            .unwrap_err();
        assert!(err.line.is_some_and(|l| l >= 4), "{err}");

        // Missing source.
        let err = MetricView::from_yaml("version: 1.1\nmeasures: []\n").unwrap_err();
        assert!(err.message.contains("source"), "{err}");

        // Both spellings.
        let err = MetricView::from_yaml("source: t\ndimensions: []\nfields: []\n").unwrap_err();
        assert!(err.message.contains("keep one"), "{err}");
    }
}
