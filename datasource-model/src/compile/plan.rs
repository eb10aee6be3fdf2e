//! Validation: a [`SemanticQuery`] checked against a [`ModelDescription`] becomes a [`QueryPlan`].

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::{
    DataType, Dimension, Direction, Error, Filter, FilterCondition, FilterOperator, Granularity,
    Metric, ModelDescription, Result, SemanticQuery,
};

/// Limits the planner enforces on every query.
const MAX_MEMBERS: usize = 200;
const MAX_FILTER_DEPTH: usize = 16;
const MAX_VALUES: usize = 1000;

/// A validated query, ready for a [`Dialect`](super::Dialect) to render.
///
/// Every member has been resolved against the model and every value has been checked against
/// the member's type. Values are still raw text: dialects bind them as parameters while
/// rendering.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct QueryPlan<'a> {
    /// The model.
    pub model: &'a ModelDescription,
    /// Grouping outputs, in request order (dimensions first, then time dimensions).
    pub dimensions: Vec<PlannedDimension<'a>>,
    /// Metric outputs, in request order.
    pub metrics: Vec<PlannedMetric<'a>>,
    /// Metrics that only appear in metric filters (not output).
    pub filter_only_metrics: Vec<PlannedMetric<'a>>,
    /// Predicate applied before aggregation (dimension filters, date ranges).
    pub pre_filter: Option<Predicate<'a>>,
    /// Predicate applied after aggregation (metric filters).
    pub post_filter: Option<Predicate<'a>>,
    /// Ordering by output name.
    pub order: Vec<(String, Direction)>,
    /// Rows the caller gets back: the smaller of the query's own `limit` and the row cap
    /// ([`CompileOptions::row_cap`]); `None` when neither applies.
    pub row_cap: Option<u64>,
    /// SQL `LIMIT` to render: `row_cap + 1` (the probe row that tells whether rows were cut),
    /// or `None` when no row cap applies.
    pub limit: Option<u64>,
    /// SQL `OFFSET`.
    pub offset: Option<u64>,
    /// Time zone for truncation, if not UTC.
    pub timezone: Option<String>,
}

impl QueryPlan<'_> {
    /// Output column names in order.
    pub fn output_names(&self) -> Vec<String> {
        self.dimensions
            .iter()
            .map(|d| d.alias.clone())
            .chain(self.metrics.iter().map(|m| m.alias.clone()))
            .collect()
    }
}

/// A dimension output.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PlannedDimension<'a> {
    /// The model's dimension.
    pub dimension: &'a Dimension,
    /// Truncation, for time dimensions.
    pub granularity: Option<Granularity>,
    /// Output column name.
    pub alias: String,
}

/// A metric output.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PlannedMetric<'a> {
    /// The model's metric.
    pub metric: &'a Metric,
    /// Output column name.
    pub alias: String,
}

/// A member referenced by a predicate.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum MemberRef<'a> {
    /// A dimension (filtered before aggregation).
    Dimension(&'a Dimension),
    /// A metric (filtered after aggregation).
    Metric(&'a Metric),
}

impl MemberRef<'_> {
    /// The member's type.
    pub fn data_type(&self) -> DataType {
        match self {
            Self::Dimension(d) => d.data_type,
            Self::Metric(m) => m.data_type,
        }
    }
}

/// A validated filter tree.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Predicate<'a> {
    /// All hold.
    And(Vec<Self>),
    /// Any holds.
    Or(Vec<Self>),
    /// One comparison.
    Compare {
        /// The member.
        member: MemberRef<'a>,
        /// The comparison.
        op: CompareOp,
        /// Operand values (text, validated for the type), bound as parameters.
        values: Vec<String>,
        /// The type the values are bound with.
        value_type: DataType,
    },
}

/// A comparison after operator normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompareOp {
    /// `=`.
    Eq,
    /// `<>`.
    Ne,
    /// `IN (..)`.
    In,
    /// `NOT IN (..)`.
    NotIn,
    /// `>`.
    Gt,
    /// `>=`.
    Gte,
    /// `<`.
    Lt,
    /// `<=`.
    Lte,
    /// `IS NOT NULL`.
    IsNotNull,
    /// `IS NULL`.
    IsNull,
    /// Substring (any of the values).
    Contains,
    /// No substring (none of the values).
    NotContains,
    /// Prefix (any of the values).
    StartsWith,
    /// Suffix (any of the values).
    EndsWith,
}

static IDENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\p{L}_][\p{L}\p{N}_ $-]*$").expect("valid identifier regex"));
static DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{4}-\d{2}-\d{2}$").expect("valid date regex"));
static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$")
        .expect("valid timestamp regex")
});
static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$").expect("valid number regex")
});
static INTEGER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[+-]?\d{1,38}$").expect("valid integer regex"));
static TIMEZONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([A-Za-z_]{1,32}(/[A-Za-z0-9_+-]{1,32}){0,3}|[+-]\d{2}:\d{2})$")
        .expect("valid time zone regex")
});

/// Check one identifier part (a member, table or schema name): letters, digits, `_`, `$`, `-`
/// and spaces only, at most 255 characters. Quotes, backticks, semicolons, dots and comment
/// markers are rejected, so a quoted identifier can never be escaped from.
pub fn validate_identifier(ident: &str) -> Result<&str> {
    if ident.chars().count() <= 255 && IDENT.is_match(ident) && !ident.contains("--") {
        Ok(ident)
    } else {
        Err(Error::invalid_query(format!(
            "`{}` is not a valid identifier: use letters, digits, `_`, `$`, `-` and spaces",
            ident.escape_debug()
        )))
    }
}

/// Options that shape compilation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompileOptions {
    /// Row cap: at most this many rows are returned; the SQL asks for one more to detect
    /// truncation. A query's own smaller `limit` is handled the same way (see
    /// [`CompiledQuery::row_cap`](super::CompiledQuery::row_cap)).
    pub row_cap: Option<u64>,
}

impl CompileOptions {
    /// No row cap.
    pub fn new() -> Self {
        Self::default()
    }
    /// Set the row cap.
    pub fn with_row_cap(mut self, cap: Option<u64>) -> Self {
        self.row_cap = cap;
        self
    }
}

/// Validate `query` against `model`.
pub fn plan<'a>(
    query: &SemanticQuery,
    model: &'a ModelDescription,
    options: &CompileOptions,
) -> Result<QueryPlan<'a>> {
    let planner = Planner { model };
    let mut outputs: HashSet<String> = HashSet::new();
    let mut add_output = |alias: &str| -> Result<()> {
        if outputs.insert(alias.to_ascii_lowercase()) {
            Ok(())
        } else {
            Err(Error::invalid_query(format!(
                "output column `{alias}` is requested twice; select each member once"
            )))
        }
    };

    let total = query.metrics.len() + query.dimensions.len() + query.time_dimensions.len();
    if total > MAX_MEMBERS {
        return Err(Error::invalid_query(format!(
            "too many members ({total}); select at most {MAX_MEMBERS}"
        )));
    }

    let mut dimensions = Vec::new();
    for name in &query.dimensions {
        let dimension = planner.dimension(name)?;
        add_output(&dimension.name)?;
        dimensions.push(PlannedDimension {
            dimension,
            granularity: None,
            alias: dimension.name.clone(),
        });
    }

    let mut pre = Vec::new();
    for td in &query.time_dimensions {
        let dimension = planner.dimension(&td.dimension)?;
        if !(dimension.is_time || dimension.data_type.is_temporal()) {
            return Err(Error::invalid_query(format!(
                "`{}` is not a time dimension; time dimensions of model `{}`: {}",
                td.dimension,
                model.name,
                planner.time_dimension_names().join(", ")
            )));
        }
        if let Some(g) = td.granularity {
            if dimension.data_type == DataType::Date
                && matches!(
                    g,
                    Granularity::Hour | Granularity::Minute | Granularity::Second
                )
            {
                return Err(Error::invalid_query(format!(
                    "granularity `{g}` is finer than the date dimension `{}`; use day or coarser",
                    dimension.name
                )));
            }
            let alias = format!("{}_{g}", dimension.name);
            add_output(&alias)?;
            dimensions.push(PlannedDimension {
                dimension,
                granularity: Some(g),
                alias,
            });
        }
        if let Some([from, to]) = &td.date_range {
            pre.push(planner.date_range(dimension, from, to, false)?);
        }
    }

    let mut metrics = Vec::new();
    for name in &query.metrics {
        let metric = planner.metric(name)?;
        add_output(&metric.name)?;
        metrics.push(PlannedMetric {
            metric,
            alias: metric.name.clone(),
        });
    }

    if dimensions.is_empty() && metrics.is_empty() {
        return Err(Error::invalid_query(format!(
            "select at least one metric or dimension; metrics of model `{}`: {}",
            model.name,
            model.metric_names().join(", ")
        )));
    }

    let mut post = Vec::new();
    for filter in &query.filters {
        let (p, kind) = planner.filter(filter, 0)?;
        match kind {
            Kind::Dimension => pre.push(p),
            Kind::Metric => post.push(p),
        }
    }

    // Metrics that are only filtered on must still be computed.
    let mut filter_only_metrics = Vec::new();
    for p in &post {
        collect_metrics(p, &mut |m: &'a Metric| {
            let selected = metrics.iter().any(|pm| std::ptr::eq(pm.metric, m))
                || filter_only_metrics
                    .iter()
                    .any(|pm: &PlannedMetric<'_>| std::ptr::eq(pm.metric, m));
            if !selected {
                filter_only_metrics.push(PlannedMetric {
                    metric: m,
                    alias: m.name.clone(),
                });
            }
        });
    }

    let outputs_in_order: Vec<String> = dimensions
        .iter()
        .map(|d| d.alias.clone())
        .chain(metrics.iter().map(|m| m.alias.clone()))
        .collect();
    let mut order = Vec::new();
    for o in &query.order {
        let alias = resolve_order(&o.member, &dimensions, &metrics, model).ok_or_else(|| {
            Error::InvalidQuery {
                message: format!(
                    "cannot order by `{}`: order by one of the selected outputs: {}",
                    o.member,
                    outputs_in_order.join(", ")
                ),
                valid: outputs_in_order.clone(),
            }
        })?;
        order.push((alias, o.direction));
    }

    if query.limit == Some(0) {
        return Err(Error::invalid_query("limit must be at least 1"));
    }
    // The caller gets at most `row_cap` rows, whichever of their own limit and the cap is
    // smaller; the SQL asks for one more so the result can say exactly whether rows were cut.
    let row_cap = match (query.limit, options.row_cap) {
        (Some(l), Some(cap)) => Some(l.min(cap)),
        (l, cap) => l.or(cap),
    };
    let limit = row_cap.map(|c| c.saturating_add(1));

    let timezone = match query.timezone.as_deref() {
        None => None,
        Some(tz) if tz.eq_ignore_ascii_case("utc") || tz == "Etc/UTC" || tz == "+00:00" => None,
        Some(tz) if TIMEZONE.is_match(tz) => Some(tz.to_string()),
        Some(tz) => {
            return Err(Error::invalid_query(format!(
                "`{}` is not a time zone; use an IANA name such as `Europe/Berlin` or an offset such as `+01:00`",
                tz.escape_debug()
            )));
        }
    };

    Ok(QueryPlan {
        model,
        dimensions,
        metrics,
        filter_only_metrics,
        pre_filter: and_all(pre),
        post_filter: and_all(post),
        order,
        row_cap,
        limit,
        offset: query.offset.filter(|o| *o > 0),
        timezone,
    })
}

fn and_all(mut preds: Vec<Predicate<'_>>) -> Option<Predicate<'_>> {
    match preds.len() {
        0 => None,
        1 => preds.pop(),
        _ => Some(Predicate::And(preds)),
    }
}

fn collect_metrics<'a>(p: &Predicate<'a>, f: &mut impl FnMut(&'a Metric)) {
    match p {
        Predicate::And(ps) | Predicate::Or(ps) => ps.iter().for_each(|p| collect_metrics(p, f)),
        Predicate::Compare {
            member: MemberRef::Metric(m),
            ..
        } => f(m),
        Predicate::Compare { .. } => {}
    }
}

fn resolve_order(
    member: &str,
    dimensions: &[PlannedDimension<'_>],
    metrics: &[PlannedMetric<'_>],
    model: &ModelDescription,
) -> Option<String> {
    if let Some(d) = dimensions.iter().find(|d| d.alias == member) {
        return Some(d.alias.clone());
    }
    if let Some(m) = metrics.iter().find(|m| m.alias == member) {
        return Some(m.alias.clone());
    }
    if let Some(dim) = model.dimension(member) {
        // A dimension by (qualified) name; with one granularity selected, that output.
        let mut found = dimensions.iter().filter(|d| std::ptr::eq(d.dimension, dim));
        let first = found.next()?;
        if found.next().is_none() {
            return Some(first.alias.clone());
        }
        return None;
    }
    let metric = model.metric(member)?;
    metrics
        .iter()
        .find(|m| std::ptr::eq(m.metric, metric))
        .map(|m| m.alias.clone())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dimension,
    Metric,
}

struct Planner<'a> {
    model: &'a ModelDescription,
}

impl<'a> Planner<'a> {
    fn time_dimension_names(&self) -> Vec<String> {
        self.model
            .dimensions
            .iter()
            .filter(|d| d.is_time || d.data_type.is_temporal())
            .map(|d| match &d.table {
                Some(t) => format!("{t}.{}", d.name),
                None => d.name.clone(),
            })
            .collect()
    }

    fn dimension(&self, name: &str) -> Result<&'a Dimension> {
        if let Some(d) = self.model.dimension(name) {
            validate_identifier(&d.name)?;
            return Ok(d);
        }
        let valid = self.model.dimension_names();
        let hint = if self.model.metric(name).is_some() {
            format!("`{name}` is a metric, not a dimension; put it in `metrics`. ")
        } else {
            String::new()
        };
        Err(Error::InvalidQuery {
            message: format!(
                "{hint}unknown dimension `{}` in model `{}`; valid dimensions: {}",
                name.escape_debug(),
                self.model.name,
                valid.join(", ")
            ),
            valid,
        })
    }

    fn metric(&self, name: &str) -> Result<&'a Metric> {
        if let Some(m) = self.model.metric(name) {
            validate_identifier(&m.name)?;
            return Ok(m);
        }
        let valid = self.model.metric_names();
        let hint = if self.model.dimension(name).is_some() {
            format!("`{name}` is a dimension, not a metric; put it in `dimensions`. ")
        } else {
            String::new()
        };
        Err(Error::InvalidQuery {
            message: format!(
                "{hint}unknown metric `{}` in model `{}`; valid metrics: {}",
                name.escape_debug(),
                self.model.name,
                valid.join(", ")
            ),
            valid,
        })
    }

    fn member(&self, name: &str) -> Result<(MemberRef<'a>, Kind)> {
        if let Some(d) = self.model.dimension(name) {
            validate_identifier(&d.name)?;
            return Ok((MemberRef::Dimension(d), Kind::Dimension));
        }
        if let Some(m) = self.model.metric(name) {
            validate_identifier(&m.name)?;
            return Ok((MemberRef::Metric(m), Kind::Metric));
        }
        let mut valid = self.model.dimension_names();
        valid.extend(self.model.metric_names());
        Err(Error::InvalidQuery {
            message: format!(
                "unknown member `{}` in model `{}`; valid members: {}",
                name.escape_debug(),
                self.model.name,
                valid.join(", ")
            ),
            valid,
        })
    }

    fn filter(&self, filter: &Filter, depth: usize) -> Result<(Predicate<'a>, Kind)> {
        if depth > MAX_FILTER_DEPTH {
            return Err(Error::invalid_query(format!(
                "filters are nested deeper than {MAX_FILTER_DEPTH} levels"
            )));
        }
        match filter {
            Filter::Condition(c) => self.condition(c),
            Filter::And { and } => self.group(and, depth, true),
            Filter::Or { or } => self.group(or, depth, false),
        }
    }

    fn group(&self, items: &[Filter], depth: usize, is_and: bool) -> Result<(Predicate<'a>, Kind)> {
        let word = if is_and { "and" } else { "or" };
        if items.is_empty() {
            return Err(Error::invalid_query(format!(
                "an `{word}` filter group needs at least one filter"
            )));
        }
        let mut kind = None;
        let mut preds = Vec::with_capacity(items.len());
        for item in items {
            let (p, k) = self.filter(item, depth + 1)?;
            match kind {
                None => kind = Some(k),
                Some(prev) if prev != k => {
                    return Err(Error::invalid_query(format!(
                        "an `{word}` group mixes dimension and metric filters; dimension filters apply before aggregation and metric filters after, so put them in separate top-level filters"
                    )));
                }
                Some(_) => {}
            }
            preds.push(p);
        }
        let kind = kind.unwrap_or(Kind::Dimension);
        let pred = if preds.len() == 1 {
            preds.pop().unwrap_or(Predicate::And(Vec::new()))
        } else if is_and {
            Predicate::And(preds)
        } else {
            Predicate::Or(preds)
        };
        Ok((pred, kind))
    }

    fn condition(&self, c: &FilterCondition) -> Result<(Predicate<'a>, Kind)> {
        let (member, kind) = self.member(&c.member)?;
        let data_type = member.data_type();
        let values: Vec<String> = c.values.iter().map(|v| v.as_text()).collect();
        if values.len() > MAX_VALUES {
            return Err(Error::invalid_query(format!(
                "filter on `{}` has {} values; at most {MAX_VALUES} are allowed",
                c.member,
                values.len()
            )));
        }
        let op = c.operator;
        let arity = |n: usize| -> Result<()> {
            if values.len() == n {
                Ok(())
            } else {
                Err(Error::invalid_query(format!(
                    "operator `{op}` on `{}` takes {n} value(s), got {}",
                    c.member,
                    values.len()
                )))
            }
        };
        let at_least_one = || -> Result<()> {
            if values.is_empty() {
                Err(Error::invalid_query(format!(
                    "operator `{op}` on `{}` needs at least one value",
                    c.member
                )))
            } else {
                Ok(())
            }
        };
        let compare =
            |op: CompareOp, values: Vec<String>, value_type: DataType| -> Result<Predicate<'a>> {
                for v in &values {
                    check_value(&c.member, v, value_type)?;
                }
                Ok(Predicate::Compare {
                    member,
                    op,
                    values,
                    value_type,
                })
            };
        use FilterOperator as F;
        let pred = match op {
            F::Equals | F::NotEquals | F::In | F::NotIn => {
                at_least_one()?;
                let positive = matches!(op, F::Equals | F::In);
                let cop = match (positive, values.len()) {
                    (true, 1) => CompareOp::Eq,
                    (false, 1) => CompareOp::Ne,
                    (true, _) => CompareOp::In,
                    (false, _) => CompareOp::NotIn,
                };
                compare(cop, values, data_type)?
            }
            F::Contains | F::NotContains | F::StartsWith | F::EndsWith => {
                at_least_one()?;
                if data_type != DataType::String {
                    return Err(Error::invalid_query(format!(
                        "operator `{op}` needs a string member; `{}` is {:?}",
                        c.member, data_type
                    )));
                }
                let cop = match op {
                    F::Contains => CompareOp::Contains,
                    F::NotContains => CompareOp::NotContains,
                    F::StartsWith => CompareOp::StartsWith,
                    _ => CompareOp::EndsWith,
                };
                compare(cop, values, DataType::String)?
            }
            F::Gt | F::Gte | F::Lt | F::Lte => {
                arity(1)?;
                let cop = match op {
                    F::Gt => CompareOp::Gt,
                    F::Gte => CompareOp::Gte,
                    F::Lt => CompareOp::Lt,
                    _ => CompareOp::Lte,
                };
                compare(cop, values, data_type)?
            }
            F::Set | F::NotSet => {
                arity(0)?;
                let cop = if op == F::Set {
                    CompareOp::IsNotNull
                } else {
                    CompareOp::IsNull
                };
                compare(cop, Vec::new(), data_type)?
            }
            F::InDateRange | F::NotInDateRange | F::BeforeDate | F::AfterDate => {
                let MemberRef::Dimension(dim) = member else {
                    return Err(Error::invalid_query(format!(
                        "operator `{op}` needs a time dimension; `{}` is a metric",
                        c.member
                    )));
                };
                if !(dim.is_time || dim.data_type.is_temporal()) {
                    return Err(Error::invalid_query(format!(
                        "operator `{op}` needs a time dimension; `{}` is {:?}",
                        c.member, dim.data_type
                    )));
                }
                match op {
                    F::InDateRange | F::NotInDateRange => {
                        arity(2)?;
                        let (Some(from), Some(to)) = (values.first(), values.get(1)) else {
                            return Err(Error::invalid_query(format!(
                                "operator `{op}` on `{}` takes [from, to]",
                                c.member
                            )));
                        };
                        self.date_range(dim, from, to, op == F::NotInDateRange)?
                    }
                    F::BeforeDate => {
                        arity(1)?;
                        let value_type = time_value_type(dim);
                        compare(CompareOp::Lt, values, value_type)?
                    }
                    _ => {
                        arity(1)?;
                        let value_type = time_value_type(dim);
                        // "after 2025-01-31" on a date-only bound means from the next day on.
                        let v = values.into_iter().next().unwrap_or_default();
                        match next_day(&v) {
                            Some(next) => compare(CompareOp::Gte, vec![next], value_type)?,
                            None => compare(CompareOp::Gt, vec![v], value_type)?,
                        }
                    }
                }
            }
        };
        Ok((pred, kind))
    }

    fn date_range(
        &self,
        dim: &'a Dimension,
        from: &str,
        to: &str,
        negate: bool,
    ) -> Result<Predicate<'a>> {
        let value_type = time_value_type(dim);
        for v in [from, to] {
            check_value(&dim.name, v, value_type)?;
        }
        let member = MemberRef::Dimension(dim);
        // Inclusive upper bound: a date-only `to` means "through the end of that day".
        let (upper_op, upper) = match next_day(to) {
            Some(next) => (CompareOp::Lt, next),
            None => (CompareOp::Lte, to.to_string()),
        };
        let lower = Predicate::Compare {
            member,
            op: if negate {
                CompareOp::Lt
            } else {
                CompareOp::Gte
            },
            values: vec![from.to_string()],
            value_type,
        };
        let upper = Predicate::Compare {
            member,
            op: match (negate, upper_op) {
                (false, op) => op,
                (true, CompareOp::Lt) => CompareOp::Gte,
                (true, _) => CompareOp::Gt,
            },
            values: vec![upper],
            value_type,
        };
        Ok(if negate {
            Predicate::Or(vec![lower, upper])
        } else {
            Predicate::And(vec![lower, upper])
        })
    }
}

fn time_value_type(dim: &Dimension) -> DataType {
    if dim.data_type == DataType::Date {
        DataType::Date
    } else {
        DataType::Timestamp
    }
}

/// Check that `value` is valid text for `data_type`; strings accept anything (they are bound).
fn check_value(member: &str, value: &str, data_type: DataType) -> Result<()> {
    let ok = match data_type {
        DataType::Integer => INTEGER.is_match(value),
        DataType::Decimal | DataType::Float => NUMBER.is_match(value),
        DataType::Boolean => matches!(value.to_ascii_lowercase().as_str(), "true" | "false"),
        DataType::Date => DATE.is_match(value) && valid_date(value),
        DataType::Timestamp => TIMESTAMP.is_match(value) && valid_date(value),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        let expected = match data_type {
            DataType::Integer => "an integer",
            DataType::Decimal | DataType::Float => "a number",
            DataType::Boolean => "true or false",
            DataType::Date => "a date YYYY-MM-DD",
            DataType::Timestamp => "a date YYYY-MM-DD or an ISO 8601 timestamp",
            _ => "a value",
        };
        Err(Error::invalid_query(format!(
            "value `{}` for `{member}` is not {expected}",
            value.escape_debug()
        )))
    }
}

fn parse_date(value: &str) -> Option<(i32, u32, u32)> {
    let y = value.get(0..4)?.parse().ok()?;
    let m = value.get(5..7)?.parse().ok()?;
    let d = value.get(8..10)?.parse().ok()?;
    Some((y, m, d))
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

fn valid_date(value: &str) -> bool {
    parse_date(value)
        .is_some_and(|(y, m, d)| (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m))
}

/// For a date-only value, the following day (`2025-02-28` → `2025-03-01`); otherwise `None`.
fn next_day(value: &str) -> Option<String> {
    if !DATE.is_match(value) {
        return None;
    }
    let (mut y, mut m, mut d) = parse_date(value)?;
    d += 1;
    if d > days_in_month(y, m) {
        d = 1;
        m += 1;
        if m > 12 {
            m = 1;
            y += 1;
        }
    }
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_day_rolls_over() {
        assert_eq!(next_day("2025-02-28").as_deref(), Some("2025-03-01"));
        assert_eq!(next_day("2024-02-28").as_deref(), Some("2024-02-29"));
        assert_eq!(next_day("2025-12-31").as_deref(), Some("2026-01-01"));
        assert_eq!(next_day("2025-12-31T10:00:00"), None);
        assert!(!valid_date("2025-02-30"));
    }

    #[test]
    fn identifiers() {
        assert!(validate_identifier("total_revenue").is_ok());
        assert!(validate_identifier("Order Month").is_ok());
        for bad in [
            "a`b", "a\"b", "a;b", "a--b", "a/*b", "a.b", "", "1abc", "a'b", "a\nb",
        ] {
            assert!(validate_identifier(bad).is_err(), "{bad:?} accepted");
        }
    }
}
