//! The semantic query compiler: [`SemanticQuery`] + [`ModelDescription`] → SQL with bound
//! parameters, through a [`Dialect`].
//!
//! Compilation has two steps. [`plan`] validates every member against the model (an unknown
//! member is an [`Error::InvalidQuery`] listing the valid names) and every filter value against
//! the member's type. When a row cap or the query's own `limit` applies, the SQL asks for one
//! row more than [`CompiledQuery::row_cap`] (`LIMIT 101` for a cap of 100), so the result can
//! report `truncated` exactly. A [`Dialect`] then renders the plan. Caller input reaches the SQL text only
//! as validated, quoted identifiers that exist in the model, and integers (`LIMIT`/`OFFSET`);
//! every filter value and the time zone are bound parameters.
//!
//! | Dialect | Target | Parameters |
//! |---|---|---|
//! | [`DatabricksDialect`] | Databricks metric views (`MEASURE()`, `GROUP BY ALL`) | `:p1` |
//! | [`LocalDialect`] | DataFusion SQL over a declared model | `$1` |
//! | [`SnowflakeDialect`] | Snowflake `SEMANTIC_VIEW(…)` | `?` (positional) |
//! | [`BigQueryDialect`] | GoogleSQL over a declared model | `@p1` |
//!
//! ```
//! use datasource_model::{
//!     compile, CompileOptions, DataType, DatabricksDialect, Dimension, Filter, Metric,
//!     ModelDescription, SemanticQuery,
//! };
//!
//! let model = ModelDescription::new("main.sales.revenue_metrics")
//!     .with_dimension(Dimension::new("region", DataType::String))
//!     .with_metric(Metric::new("total_revenue", DataType::Decimal));
//! let query = SemanticQuery::new("main.sales.revenue_metrics")
//!     .with_metrics(["total_revenue"])
//!     .with_dimensions(["region"])
//!     .with_filter(Filter::equals("region", "EMEA' OR 1=1 --"));
//! let compiled = compile(&query, &model, &DatabricksDialect, &CompileOptions::new()).unwrap();
//! assert!(compiled.sql.contains("`region` = :p1"));
//! assert_eq!(compiled.parameters[0].value.as_deref(), Some("EMEA' OR 1=1 --"));
//! ```

mod dialects;
mod plan;

pub use dialects::{BigQueryDialect, DatabricksDialect, LocalDialect, SnowflakeDialect};
pub use plan::{
    CompareOp, CompileOptions, MemberRef, PlannedDimension, PlannedMetric, Predicate, QueryPlan,
    plan, validate_identifier,
};

use std::fmt::Debug;

use crate::{DataType, Error, Granularity, ModelDescription, Result, SemanticQuery, SqlParameter};

/// Compiled SQL with its bound parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompiledQuery {
    /// The SQL text.
    pub sql: String,
    /// Parameters in marker order (`p1`, `p2`, …; positional dialects bind them in this order).
    pub parameters: Vec<SqlParameter>,
    /// Output column names, in order.
    pub columns: Vec<String>,
    /// Rows to return: the smaller of the query's `limit` and the row cap, `None` when neither
    /// applies. The SQL's `LIMIT` is one more than this (a probe row), so a provider passes this
    /// value to [`QueryResult::cap_rows`](crate::QueryResult::cap_rows), which drops the probe
    /// row and sets `truncated` exactly when more rows existed than it returns.
    pub row_cap: Option<u64>,
}

/// Renders a validated [`QueryPlan`] for one SQL engine.
pub trait Dialect: Debug + Send + Sync {
    /// Short name for errors: `databricks`, `local`, `snowflake`, `bigquery`.
    fn name(&self) -> &'static str;

    /// Quote one validated identifier part.
    fn quote(&self, ident: &str) -> Result<String>;

    /// The marker for parameter `index` (1-based).
    fn placeholder(&self, index: usize) -> String;

    /// Render the plan.
    fn render(&self, plan: &QueryPlan<'_>) -> Result<CompiledQuery>;
}

/// Validate `query` against `model` and compile it with `dialect`.
pub fn compile(
    query: &SemanticQuery,
    model: &ModelDescription,
    dialect: &dyn Dialect,
    options: &CompileOptions,
) -> Result<CompiledQuery> {
    let plan = plan(query, model, options)?;
    let mut compiled = dialect.render(&plan)?;
    compiled.row_cap = plan.row_cap;
    Ok(compiled)
}

/// Collects bound parameters while a dialect renders, so positional markers follow text order.
#[derive(Debug)]
pub(crate) struct Binder<'d> {
    dialect: &'d dyn Dialect,
    params: Vec<SqlParameter>,
}

impl<'d> Binder<'d> {
    pub(crate) fn new(dialect: &'d dyn Dialect) -> Self {
        Self {
            dialect,
            params: Vec::new(),
        }
    }

    /// Bind `value` and return its marker.
    pub(crate) fn bind(&mut self, value: &str, data_type: DataType) -> String {
        let index = self.params.len() + 1;
        self.params.push(SqlParameter::typed(
            format!("p{index}"),
            Some(value.to_string()),
            data_type,
        ));
        self.dialect.placeholder(index)
    }

    pub(crate) fn into_params(self) -> Vec<SqlParameter> {
        self.params
    }
}

/// Per-dialect SQL pieces the shared predicate renderer needs.
pub(crate) trait SqlFunctions {
    fn contains(&self, lhs: &str, rhs: &str) -> String;
    fn starts_with(&self, lhs: &str, rhs: &str) -> String;
    fn ends_with(&self, lhs: &str, rhs: &str) -> String;
}

/// Render a predicate; `lhs` gives the SQL for a member.
pub(crate) fn render_predicate(
    pred: &Predicate<'_>,
    binder: &mut Binder<'_>,
    funcs: &dyn SqlFunctions,
    lhs: &mut dyn FnMut(&MemberRef<'_>) -> Result<String>,
) -> Result<String> {
    match pred {
        Predicate::And(ps) | Predicate::Or(ps) => {
            let joiner = if matches!(pred, Predicate::And(_)) {
                " AND "
            } else {
                " OR "
            };
            let parts = ps
                .iter()
                .map(|p| render_predicate(p, binder, funcs, lhs))
                .collect::<Result<Vec<_>>>()?;
            Ok(format!("({})", parts.join(joiner)))
        }
        Predicate::Compare {
            member,
            op,
            values,
            value_type,
        } => {
            let l = lhs(member)?;
            let one = |binder: &mut Binder<'_>| -> Result<String> {
                let v = values.first().ok_or_else(|| {
                    Error::invalid_query(format!("operator {op:?} needs a value"))
                })?;
                Ok(binder.bind(v, *value_type))
            };
            let list = |binder: &mut Binder<'_>| -> String {
                values
                    .iter()
                    .map(|v| binder.bind(v, *value_type))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let any_of = |binder: &mut Binder<'_>, f: &dyn Fn(&str, &str) -> String| -> String {
                let parts: Vec<String> = values
                    .iter()
                    .map(|v| {
                        let marker = binder.bind(v, *value_type);
                        f(&l, &marker)
                    })
                    .collect();
                if parts.len() == 1 {
                    parts.concat()
                } else {
                    format!("({})", parts.join(" OR "))
                }
            };
            Ok(match op {
                CompareOp::Eq => format!("{l} = {}", one(binder)?),
                CompareOp::Ne => format!("{l} <> {}", one(binder)?),
                CompareOp::Gt => format!("{l} > {}", one(binder)?),
                CompareOp::Gte => format!("{l} >= {}", one(binder)?),
                CompareOp::Lt => format!("{l} < {}", one(binder)?),
                CompareOp::Lte => format!("{l} <= {}", one(binder)?),
                CompareOp::In => format!("{l} IN ({})", list(binder)),
                CompareOp::NotIn => format!("{l} NOT IN ({})", list(binder)),
                CompareOp::IsNotNull => format!("{l} IS NOT NULL"),
                CompareOp::IsNull => format!("{l} IS NULL"),
                CompareOp::Contains => any_of(binder, &|a, b| funcs.contains(a, b)),
                CompareOp::NotContains => {
                    format!("NOT ({})", any_of(binder, &|a, b| funcs.contains(a, b)))
                }
                CompareOp::StartsWith => any_of(binder, &|a, b| funcs.starts_with(a, b)),
                CompareOp::EndsWith => any_of(binder, &|a, b| funcs.ends_with(a, b)),
            })
        }
    }
}

/// Upper-case granularity keyword (`MONTH`).
pub(crate) fn grain_keyword(g: Granularity) -> &'static str {
    match g {
        Granularity::Second => "SECOND",
        Granularity::Minute => "MINUTE",
        Granularity::Hour => "HOUR",
        Granularity::Day => "DAY",
        Granularity::Week => "WEEK",
        Granularity::Month => "MONTH",
        Granularity::Quarter => "QUARTER",
        Granularity::Year => "YEAR",
    }
}

/// Render `LIMIT`/`OFFSET` (integers only; never caller text). `unbounded_limit` is what to
/// write as `LIMIT` when only an offset is given, for engines that need one.
pub(crate) fn limit_offset(
    limit: Option<u64>,
    offset: Option<u64>,
    unbounded_limit: Option<&str>,
) -> String {
    let mut parts = Vec::new();
    match (limit, offset, unbounded_limit) {
        (Some(l), _, _) => parts.push(format!("LIMIT {l}")),
        (None, Some(_), Some(u)) => parts.push(format!("LIMIT {u}")),
        _ => {}
    }
    if let Some(o) = offset {
        parts.push(format!("OFFSET {o}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("\n{}", parts.join(" "))
    }
}

/// `true` if a model source is a SQL query rather than a table name.
pub(crate) fn is_query_source(source: &str) -> bool {
    let head = source.trim_start().get(..6).unwrap_or_default();
    head.eq_ignore_ascii_case("select")
        || source
            .trim_start()
            .get(..4)
            .is_some_and(|h| h.eq_ignore_ascii_case("with"))
}

/// Quote a dotted name (`cat.sch.tbl`) part by part.
pub(crate) fn quote_path(dialect: &dyn Dialect, path: &str) -> Result<String> {
    let parts = path
        .split('.')
        .map(|p| validate_identifier(p).and_then(|p| dialect.quote(p)))
        .collect::<Result<Vec<_>>>()?;
    Ok(parts.join("."))
}
