//! The four dialects.

use super::{
    Binder, CompiledQuery, Dialect, MemberRef, QueryPlan, SqlFunctions, grain_keyword,
    is_query_source, limit_offset, quote_path, render_predicate, validate_identifier,
};
use crate::{DataType, Direction, Error, Granularity, Result};

fn order_by(dialect: &dyn Dialect, plan: &QueryPlan<'_>) -> Result<String> {
    if plan.order.is_empty() {
        return Ok(String::new());
    }
    let terms = plan
        .order
        .iter()
        .map(|(alias, dir)| {
            let d = match dir {
                Direction::Asc => "ASC",
                Direction::Desc => "DESC",
            };
            Ok(format!("{} {d}", dialect.quote(alias)?))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(format!("\nORDER BY {}", terms.join(", ")))
}

fn quote_checked(ident: &str, open: char, close: char) -> Result<String> {
    validate_identifier(ident)?;
    Ok(format!("{open}{ident}{close}"))
}

// ---------------------------------------------------------------------------------------------
// Databricks metric views
// ---------------------------------------------------------------------------------------------

/// Databricks SQL over a Unity Catalog metric view: dimensions by name, metrics as
/// `MEASURE(name)`, `GROUP BY ALL`; metric filters in an outer query; `:pN` parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct DatabricksDialect;

impl SqlFunctions for DatabricksDialect {
    fn contains(&self, lhs: &str, rhs: &str) -> String {
        format!("contains({lhs}, {rhs})")
    }
    fn starts_with(&self, lhs: &str, rhs: &str) -> String {
        format!("startswith({lhs}, {rhs})")
    }
    fn ends_with(&self, lhs: &str, rhs: &str) -> String {
        format!("endswith({lhs}, {rhs})")
    }
}

impl Dialect for DatabricksDialect {
    fn name(&self) -> &'static str {
        "databricks"
    }
    fn quote(&self, ident: &str) -> Result<String> {
        quote_checked(ident, '`', '`')
    }
    fn placeholder(&self, index: usize) -> String {
        format!(":p{index}")
    }

    fn render(&self, plan: &QueryPlan<'_>) -> Result<CompiledQuery> {
        let mut b = Binder::new(self);
        let mut select = Vec::new();
        for d in &plan.dimensions {
            let col = self.quote(&d.dimension.name)?;
            match d.granularity {
                None => select.push(col),
                Some(g) => {
                    let inner = match (&plan.timezone, d.dimension.data_type) {
                        (Some(tz), DataType::Timestamp) => {
                            format!(
                                "from_utc_timestamp({col}, {})",
                                b.bind(tz, DataType::String)
                            )
                        }
                        _ => col,
                    };
                    select.push(format!(
                        "DATE_TRUNC('{}', {inner}) AS {}",
                        grain_keyword(g),
                        self.quote(&d.alias)?
                    ));
                }
            }
        }
        for m in plan.metrics.iter().chain(&plan.filter_only_metrics) {
            let q = self.quote(&m.metric.name)?;
            select.push(format!("MEASURE({q}) AS {}", self.quote(&m.alias)?));
        }
        let mut sql = format!(
            "SELECT {}\nFROM {}",
            select.join(", "),
            quote_path(self, &plan.model.name)?
        );
        if let Some(pre) = &plan.pre_filter {
            let w = render_predicate(pre, &mut b, self, &mut |m| match m {
                MemberRef::Dimension(d) => self.quote(&d.name),
                MemberRef::Metric(m) => Err(Error::invalid_query(format!(
                    "metric `{}` cannot be filtered before aggregation",
                    m.name
                ))),
            })?;
            sql.push_str(&format!("\nWHERE {w}"));
        }
        if !plan.dimensions.is_empty() {
            sql.push_str("\nGROUP BY ALL");
        }
        if let Some(post) = &plan.post_filter {
            let outputs = plan
                .output_names()
                .iter()
                .map(|n| self.quote(n))
                .collect::<Result<Vec<_>>>()?;
            let w = render_predicate(post, &mut b, self, &mut |m| match m {
                MemberRef::Metric(m) => self.quote(&m.name),
                MemberRef::Dimension(d) => self.quote(&d.name),
            })?;
            sql = format!(
                "SELECT {}\nFROM (\n{}\n) AS q\nWHERE {w}",
                outputs.join(", "),
                indent(&sql)
            );
        }
        sql.push_str(&order_by(self, plan)?);
        sql.push_str(&limit_offset(plan.limit, plan.offset, None));
        Ok(CompiledQuery {
            sql,
            parameters: b.into_params(),
            columns: plan.output_names(),
            row_cap: plan.row_cap,
        })
    }
}

fn indent(sql: &str) -> String {
    sql.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------------
// Snowflake semantic views
// ---------------------------------------------------------------------------------------------

/// Snowflake `SEMANTIC_VIEW(…)`: members as `table.member`, dimension filters in the clause's
/// inner `WHERE`, metric filters in the outer `WHERE`; positional `?` parameters (bind them in
/// order as `"1"`, `"2"`, …).
#[derive(Debug, Clone, Copy, Default)]
pub struct SnowflakeDialect;

impl SqlFunctions for SnowflakeDialect {
    fn contains(&self, lhs: &str, rhs: &str) -> String {
        format!("CONTAINS({lhs}, {rhs})")
    }
    fn starts_with(&self, lhs: &str, rhs: &str) -> String {
        format!("STARTSWITH({lhs}, {rhs})")
    }
    fn ends_with(&self, lhs: &str, rhs: &str) -> String {
        format!("ENDSWITH({lhs}, {rhs})")
    }
}

impl SnowflakeDialect {
    fn member(&self, name: &str, table: Option<&str>) -> Result<String> {
        match table {
            Some(t) => Ok(format!("{}.{}", self.quote(t)?, self.quote(name)?)),
            None => self.quote(name),
        }
    }
}

impl Dialect for SnowflakeDialect {
    fn name(&self) -> &'static str {
        "snowflake"
    }
    fn quote(&self, ident: &str) -> Result<String> {
        quote_checked(ident, '"', '"')
    }
    fn placeholder(&self, _index: usize) -> String {
        "?".to_string()
    }

    fn render(&self, plan: &QueryPlan<'_>) -> Result<CompiledQuery> {
        let mut b = Binder::new(self);
        let outputs = plan
            .output_names()
            .iter()
            .map(|n| self.quote(n))
            .collect::<Result<Vec<_>>>()?;
        let mut clause = vec![format!("  {}", quote_path(self, &plan.model.name)?)];
        let metrics = plan
            .metrics
            .iter()
            .chain(&plan.filter_only_metrics)
            .map(|m| self.member(&m.metric.name, m.metric.table.as_deref()))
            .collect::<Result<Vec<_>>>()?;
        if !metrics.is_empty() {
            clause.push(format!("  METRICS {}", metrics.join(", ")));
        }
        let mut dims = Vec::new();
        for d in &plan.dimensions {
            let m = self.member(&d.dimension.name, d.dimension.table.as_deref())?;
            match d.granularity {
                None => dims.push(m),
                Some(g) => {
                    let inner = match (&plan.timezone, d.dimension.data_type) {
                        (Some(tz), DataType::Timestamp) => {
                            format!("CONVERT_TIMEZONE({}, {m})", b.bind(tz, DataType::String))
                        }
                        _ => m,
                    };
                    dims.push(format!(
                        "DATE_TRUNC('{}', {inner}) AS {}",
                        grain_keyword(g),
                        self.quote(&d.alias)?
                    ));
                }
            }
        }
        if !dims.is_empty() {
            clause.push(format!("  DIMENSIONS {}", dims.join(", ")));
        }
        if let Some(pre) = &plan.pre_filter {
            let w = render_predicate(pre, &mut b, self, &mut |m| match m {
                MemberRef::Dimension(d) => self.member(&d.name, d.table.as_deref()),
                MemberRef::Metric(m) => Err(Error::invalid_query(format!(
                    "metric `{}` cannot be filtered before aggregation",
                    m.name
                ))),
            })?;
            clause.push(format!("  WHERE {w}"));
        }
        let mut sql = format!(
            "SELECT {}\nFROM SEMANTIC_VIEW(\n{}\n)",
            outputs.join(", "),
            clause.join("\n")
        );
        if let Some(post) = &plan.post_filter {
            let w = render_predicate(post, &mut b, self, &mut |m| match m {
                MemberRef::Metric(m) => self.quote(&m.name),
                MemberRef::Dimension(d) => self.quote(&d.name),
            })?;
            sql.push_str(&format!("\nWHERE {w}"));
        }
        sql.push_str(&order_by(self, plan)?);
        sql.push_str(&limit_offset(plan.limit, plan.offset, Some("NULL")));
        Ok(CompiledQuery {
            sql,
            parameters: b.into_params(),
            columns: plan.output_names(),
            row_cap: plan.row_cap,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Declared models: local engine (DataFusion) and BigQuery (GoogleSQL)
// ---------------------------------------------------------------------------------------------

/// What differs between engines that run a declared model as plain SQL.
trait DeclaredSql: Dialect + SqlFunctions {
    /// Truncate `expr` of `data_type` to `g`, in time zone `tz` (a bound marker) if given.
    fn trunc(&self, expr: &str, g: Granularity, data_type: DataType, tz: Option<&str>) -> String;
    /// Whether a non-UTC time zone can be applied.
    fn supports_timezone(&self) -> bool;
    /// What to write as `LIMIT` when only an offset is given.
    fn unbounded_limit(&self) -> Option<&'static str>;
}

fn member_expr(
    dialect: &dyn Dialect,
    name: &str,
    table: Option<&str>,
    expr: Option<&str>,
) -> Result<String> {
    match (expr, table) {
        (Some(e), _) => Ok(format!("({e})")),
        (None, Some(t)) => Ok(format!("{}.{}", dialect.quote(t)?, dialect.quote(name)?)),
        (None, None) => dialect.quote(name),
    }
}

fn render_declared<D: DeclaredSql>(d: &D, plan: &QueryPlan<'_>) -> Result<CompiledQuery> {
    let model = plan.model;
    let mut b = Binder::new(d);
    let base = model.tables.first().ok_or_else(|| {
        Error::invalid_query(format!(
            "model `{}` declares no tables; a {} model needs a source table",
            model.name,
            d.name()
        ))
    })?;
    let tz_marker = match &plan.timezone {
        Some(tz) if plan.dimensions.iter().any(|x| x.granularity.is_some()) => {
            if !d.supports_timezone() {
                return Err(Error::invalid_query(format!(
                    "the {} engine works in UTC; drop `timezone` ({tz})",
                    d.name()
                )));
            }
            Some(tz.clone())
        }
        _ => None,
    };
    let mut select = Vec::new();
    for pd in &plan.dimensions {
        let dim = pd.dimension;
        let e = member_expr(
            d,
            &dim.name,
            dim.table.as_deref(),
            dim.expression.as_deref(),
        )?;
        let e = match pd.granularity {
            None => e,
            Some(g) => {
                let marker = match (&tz_marker, dim.data_type) {
                    (Some(tz), DataType::Timestamp) => Some(b.bind(tz, DataType::String)),
                    _ => None,
                };
                d.trunc(&e, g, dim.data_type, marker.as_deref())
            }
        };
        select.push(format!("{e} AS {}", d.quote(&pd.alias)?));
    }
    let metric_expr = |m: &crate::Metric| -> Result<String> {
        match &m.expression {
            Some(e) => Ok(format!("({e})")),
            None => Err(Error::invalid_query(format!(
                "metric `{}` of model `{}` has no expression; declared models need one",
                m.name, model.name
            ))),
        }
    };
    for pm in &plan.metrics {
        select.push(format!(
            "{} AS {}",
            metric_expr(pm.metric)?,
            d.quote(&pm.alias)?
        ));
    }
    let source = if is_query_source(&base.source) {
        format!("({})", base.source)
    } else {
        quote_path(d, &base.source)?
    };
    let mut sql = format!(
        "SELECT {}\nFROM {source} AS {}",
        select.join(", "),
        d.quote(&base.name)?
    );
    for rel in &model.relationships {
        let to = model
            .tables
            .iter()
            .find(|t| t.name == rel.to)
            .ok_or_else(|| {
                Error::invalid_query(format!(
                    "relationship `{}` of model `{}` joins unknown table `{}`",
                    rel.name, model.name, rel.to
                ))
            })?;
        let to_source = if is_query_source(&to.source) {
            format!("({})", to.source)
        } else {
            quote_path(d, &to.source)?
        };
        let on = match &rel.condition {
            Some(c) => c.clone(),
            None if !rel.from_columns.is_empty()
                && rel.from_columns.len() == rel.to_columns.len() =>
            {
                rel.from_columns
                    .iter()
                    .zip(&rel.to_columns)
                    .map(|(f, t)| {
                        Ok(format!(
                            "{}.{} = {}.{}",
                            d.quote(&rel.from)?,
                            d.quote(f)?,
                            d.quote(&rel.to)?,
                            d.quote(t)?
                        ))
                    })
                    .collect::<Result<Vec<_>>>()?
                    .join(" AND ")
            }
            None => {
                return Err(Error::invalid_query(format!(
                    "relationship `{}` of model `{}` has neither a condition nor matching column lists",
                    rel.name, model.name
                )));
            }
        };
        sql.push_str(&format!(
            "\nLEFT JOIN {to_source} AS {} ON {on}",
            d.quote(&to.name)?
        ));
    }
    let mut wheres = Vec::new();
    if let Some(f) = &model.filter {
        wheres.push(format!("({f})"));
    }
    if let Some(pre) = &plan.pre_filter {
        wheres.push(render_predicate(pre, &mut b, d, &mut |m| match m {
            MemberRef::Dimension(x) => {
                member_expr(d, &x.name, x.table.as_deref(), x.expression.as_deref())
            }
            MemberRef::Metric(m) => Err(Error::invalid_query(format!(
                "metric `{}` cannot be filtered before aggregation",
                m.name
            ))),
        })?);
    }
    if !wheres.is_empty() {
        sql.push_str(&format!("\nWHERE {}", wheres.join(" AND ")));
    }
    if !plan.dimensions.is_empty() {
        let ordinals: Vec<String> = (1..=plan.dimensions.len()).map(|i| i.to_string()).collect();
        sql.push_str(&format!("\nGROUP BY {}", ordinals.join(", ")));
    }
    if let Some(post) = &plan.post_filter {
        let h = render_predicate(post, &mut b, d, &mut |m| match m {
            MemberRef::Metric(m) => metric_expr(m),
            MemberRef::Dimension(x) => {
                member_expr(d, &x.name, x.table.as_deref(), x.expression.as_deref())
            }
        })?;
        sql.push_str(&format!("\nHAVING {h}"));
    }
    sql.push_str(&order_by(d, plan)?);
    sql.push_str(&limit_offset(plan.limit, plan.offset, d.unbounded_limit()));
    Ok(CompiledQuery {
        sql,
        parameters: b.into_params(),
        columns: plan.output_names(),
        row_cap: plan.row_cap,
    })
}

/// DataFusion SQL over a declared model (the local provider): `date_trunc`, `$N` parameters,
/// `GROUP BY` ordinals, metric filters in `HAVING`. Works in UTC.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalDialect;

impl SqlFunctions for LocalDialect {
    fn contains(&self, lhs: &str, rhs: &str) -> String {
        format!("strpos({lhs}, {rhs}) > 0")
    }
    fn starts_with(&self, lhs: &str, rhs: &str) -> String {
        format!("starts_with({lhs}, {rhs})")
    }
    fn ends_with(&self, lhs: &str, rhs: &str) -> String {
        format!("ends_with({lhs}, {rhs})")
    }
}

impl Dialect for LocalDialect {
    fn name(&self) -> &'static str {
        "local"
    }
    fn quote(&self, ident: &str) -> Result<String> {
        quote_checked(ident, '"', '"')
    }
    fn placeholder(&self, index: usize) -> String {
        format!("${index}")
    }
    fn render(&self, plan: &QueryPlan<'_>) -> Result<CompiledQuery> {
        render_declared(self, plan)
    }
}

impl DeclaredSql for LocalDialect {
    fn trunc(&self, expr: &str, g: Granularity, _data_type: DataType, _tz: Option<&str>) -> String {
        format!("date_trunc('{}', {expr})", g.as_str())
    }
    fn supports_timezone(&self) -> bool {
        false
    }
    fn unbounded_limit(&self) -> Option<&'static str> {
        None
    }
}

/// GoogleSQL over a declared model (BigQuery): `DATE_TRUNC` / `TIMESTAMP_TRUNC`, `@pN`
/// parameters (`parameterMode: NAMED`), metric filters in `HAVING`.
#[derive(Debug, Clone, Copy, Default)]
pub struct BigQueryDialect;

impl SqlFunctions for BigQueryDialect {
    fn contains(&self, lhs: &str, rhs: &str) -> String {
        format!("STRPOS({lhs}, {rhs}) > 0")
    }
    fn starts_with(&self, lhs: &str, rhs: &str) -> String {
        format!("STARTS_WITH({lhs}, {rhs})")
    }
    fn ends_with(&self, lhs: &str, rhs: &str) -> String {
        format!("ENDS_WITH({lhs}, {rhs})")
    }
}

impl Dialect for BigQueryDialect {
    fn name(&self) -> &'static str {
        "bigquery"
    }
    fn quote(&self, ident: &str) -> Result<String> {
        quote_checked(ident, '`', '`')
    }
    fn placeholder(&self, index: usize) -> String {
        format!("@p{index}")
    }
    fn render(&self, plan: &QueryPlan<'_>) -> Result<CompiledQuery> {
        render_declared(self, plan)
    }
}

impl DeclaredSql for BigQueryDialect {
    fn trunc(&self, expr: &str, g: Granularity, data_type: DataType, tz: Option<&str>) -> String {
        let part = match g {
            Granularity::Week => "ISOWEEK",
            other => grain_keyword(other),
        };
        match (data_type, tz) {
            (DataType::Date, _) => format!("DATE_TRUNC({expr}, {part})"),
            (_, Some(tz)) => format!("TIMESTAMP_TRUNC({expr}, {part}, {tz})"),
            (_, None) => format!("TIMESTAMP_TRUNC({expr}, {part})"),
        }
    }
    fn supports_timezone(&self) -> bool {
        true
    }
    fn unbounded_limit(&self) -> Option<&'static str> {
        Some("9223372036854775807")
    }
}
