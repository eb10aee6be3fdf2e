//! The conformance suite every [`DataSource`](crate::DataSource) must pass. **Not API-stable**: functions and
//! fixtures change as the contract grows.
//!
//! Each function takes an `Arc<DynDataSource>` and a [`Fixture`] describing one model the
//! source serves, and panics (like `assert!`) when the source breaks the contract. Run
//! [`run_all`] from a provider's tests:
//!
//! ```
//! use std::sync::Arc;
//! use datasource_model::{conformance, DynDataSource};
//!
//! async fn check(source: Arc<DynDataSource>) {
//!     conformance::run_all(source, &conformance::Fixture::sample()).await;
//! }
//! ```

use std::sync::Arc;

use serde_json::Value;

use crate::{
    AskOptions, Direction, DynDataSource, Error, Filter, Granularity, ModelScope, OrderBy,
    QueryOptions, QueryResult, SemanticQuery, SqlRequest, TimeDimension,
};

/// What the suite may assume about the source under test.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Fixture {
    /// A model the source serves.
    pub model: String,
    /// A metric of that model.
    pub metric: String,
    /// A string dimension of that model with at least two distinct values.
    pub dimension: String,
    /// One value of `dimension` that occurs in the data.
    pub dimension_value: String,
    /// A time dimension of the model, if it has one.
    pub time_dimension: Option<String>,
    /// A SQL statement that returns at least two rows (for `execute_sql`).
    pub sql: Option<String>,
    /// A natural-language question (for sources that support `ask`).
    pub question: Option<String>,
    /// The exact number of distinct values of `dimension` (groups of the base query). When
    /// `None`, [`truncation`] counts them with an uncapped query, which needs the source's own
    /// cap (if any) to be above the count.
    pub groups: Option<u64>,
}

impl Fixture {
    /// A fixture for `model` with a metric and a dimension value.
    pub fn new(
        model: impl Into<String>,
        metric: impl Into<String>,
        dimension: impl Into<String>,
        dimension_value: impl Into<String>,
    ) -> Self {
        Self {
            model: model.into(),
            metric: metric.into(),
            dimension: dimension.into(),
            dimension_value: dimension_value.into(),
            time_dimension: None,
            sql: None,
            question: None,
            groups: None,
        }
    }
    /// Set the time dimension.
    pub fn with_time_dimension(mut self, dimension: impl Into<String>) -> Self {
        self.time_dimension = Some(dimension.into());
        self
    }
    /// Set the SQL statement.
    pub fn with_sql(mut self, sql: impl Into<String>) -> Self {
        self.sql = Some(sql.into());
        self
    }
    /// Set the question.
    pub fn with_question(mut self, question: impl Into<String>) -> Self {
        self.question = Some(question.into());
        self
    }
    /// Set the exact number of groups the base query (metric by dimension) has.
    pub fn with_groups(mut self, groups: u64) -> Self {
        self.groups = Some(groups);
        self
    }

    /// The fixture for the shipped local sample (`revenue_metrics`).
    pub fn sample() -> Self {
        Self::new("revenue_metrics", "total_revenue", "region", "EMEA")
            .with_time_dimension("order_date")
            .with_sql("SELECT region, country FROM customers ORDER BY customer_id")
    }
}

/// Run every check.
pub async fn run_all(source: Arc<DynDataSource>, fixture: &Fixture) {
    capabilities(&source).await;
    test_connection(&source).await;
    list_models(&source, fixture).await;
    describe_model(&source, fixture).await;
    query_model(&source, fixture).await;
    unknown_members(&source, fixture).await;
    filters(&source, fixture).await;
    order_and_limit(&source, fixture).await;
    row_cap(&source, fixture).await;
    truncation(&source, fixture).await;
    hostile_values(&source, fixture).await;
    time_granularity(&source, fixture).await;
    execute_sql(&source, fixture).await;
    ask(&source, fixture).await;
    statements(&source).await;
}

/// `provider()`, `capabilities()` and `Display` are consistent.
pub async fn capabilities(source: &Arc<DynDataSource>) {
    let caps = source.capabilities();
    assert!(
        caps.semantic_query,
        "{source}: every source must support query_model"
    );
    assert!(
        !source.to_string().is_empty(),
        "Display must name the source"
    );
    assert!(!format!("{source:?}").is_empty());
    let _ = source.provider().as_str();
}

/// `test_connection` succeeds and reports at least one check.
pub async fn test_connection(source: &Arc<DynDataSource>) {
    let report = source
        .test_connection()
        .await
        .unwrap_or_else(|e| panic!("{source}: test_connection failed: {e}"));
    assert_eq!(report.provider, source.provider());
    assert!(!report.checks.is_empty(), "{source}: no checks reported");
}

/// The fixture model is listed; a search narrows the list.
pub async fn list_models(source: &Arc<DynDataSource>, fixture: &Fixture) {
    let all = source
        .list_models(&ModelScope::new())
        .await
        .unwrap_or_else(|e| panic!("{source}: list_models failed: {e}"));
    assert!(
        all.iter().any(|m| m.name == fixture.model),
        "{source}: model {} not listed in {:?}",
        fixture.model,
        all.iter().map(|m| &m.name).collect::<Vec<_>>()
    );
    let none = source
        .list_models(&ModelScope::new().with_search("no-such-model-zzzz"))
        .await
        .unwrap_or_else(|e| panic!("{source}: list_models(search) failed: {e}"));
    assert!(none.is_empty(), "{source}: search did not filter: {none:?}");
    let short = fixture
        .model
        .rsplit('.')
        .next()
        .unwrap_or(&fixture.model)
        .to_uppercase();
    let found = source
        .list_models(&ModelScope::new().with_search(short))
        .await
        .unwrap_or_else(|e| panic!("{source}: list_models(search) failed: {e}"));
    assert!(
        found.iter().any(|m| m.name == fixture.model),
        "{source}: case-insensitive search missed {}",
        fixture.model
    );
}

/// The description lists the fixture's members with types; unknown models are `NotFound`.
pub async fn describe_model(source: &Arc<DynDataSource>, fixture: &Fixture) {
    let d = source
        .describe_model(&fixture.model)
        .await
        .unwrap_or_else(|e| panic!("{source}: describe_model failed: {e}"));
    assert_eq!(d.name, fixture.model);
    assert!(
        d.metric(&fixture.metric).is_some(),
        "{source}: metric {} missing from {:?}",
        fixture.metric,
        d.metric_names()
    );
    let dim = d.dimension(&fixture.dimension).unwrap_or_else(|| {
        panic!(
            "{source}: dimension {} missing from {:?}",
            fixture.dimension,
            d.dimension_names()
        )
    });
    assert_eq!(
        dim.data_type,
        crate::DataType::String,
        "{source}: fixture dimension must be a string"
    );
    if let Some(td) = &fixture.time_dimension {
        let t = d
            .dimension(td)
            .unwrap_or_else(|| panic!("{source}: time dimension {td} missing"));
        assert!(t.is_time, "{source}: {td} is not flagged as time");
    }
    let err = source
        .describe_model("no_such_model_zzzz")
        .await
        .expect_err("describing an unknown model must fail");
    assert!(err.is_not_found(), "{source}: unknown model gave {err}");
    // The description round-trips through JSON (tool layers send it to clients).
    let json = serde_json::to_value(&d).unwrap_or_default();
    let back: crate::ModelDescription =
        serde_json::from_value(json).unwrap_or_else(|e| panic!("round trip: {e}"));
    assert_eq!(back, d);
}

fn col(result: &QueryResult, name: &str) -> usize {
    result.column_index(name).unwrap_or_else(|| {
        panic!(
            "column {name} missing from {:?}",
            result.columns.iter().map(|c| &c.name).collect::<Vec<_>>()
        )
    })
}

fn base(fixture: &Fixture) -> SemanticQuery {
    SemanticQuery::new(fixture.model.clone())
        .with_metrics([fixture.metric.clone()])
        .with_dimensions([fixture.dimension.clone()])
}

/// A grouped query returns one row per dimension value, with the SQL that ran.
pub async fn query_model(source: &Arc<DynDataSource>, fixture: &Fixture) {
    let r = source
        .query_model(&base(fixture), &QueryOptions::new())
        .await
        .unwrap_or_else(|e| panic!("{source}: query_model failed: {e}"));
    assert!(r.row_count >= 2, "{source}: expected ≥2 groups, got {r:?}");
    assert_eq!(r.row_count as usize, r.rows.len());
    assert_eq!(r.columns.len(), 2);
    let d = col(&r, &fixture.dimension);
    col(&r, &fixture.metric);
    assert!(!r.truncated);
    assert!(
        r.sql.as_deref().is_some_and(|s| !s.is_empty()),
        "{source}: no SQL"
    );
    let mut seen: Vec<&Value> = r.rows.iter().filter_map(|row| row.get(d)).collect();
    let n = seen.len();
    seen.sort_by_key(|v| v.to_string());
    seen.dedup();
    assert_eq!(seen.len(), n, "{source}: groups are not distinct");
}

/// Unknown members are `InvalidQuery` errors that list the valid names.
pub async fn unknown_members(source: &Arc<DynDataSource>, fixture: &Fixture) {
    let q = SemanticQuery::new(fixture.model.clone()).with_metrics(["no_such_metric_zzzz"]);
    let err = source
        .query_model(&q, &QueryOptions::new())
        .await
        .expect_err("unknown metric must fail");
    match &err {
        Error::InvalidQuery { valid, message } => {
            assert!(
                valid.iter().any(|v| v.ends_with(&fixture.metric)),
                "{source}: valid list {valid:?} lacks {}",
                fixture.metric
            );
            assert!(message.contains(&fixture.metric), "{message}");
        }
        other => panic!("{source}: unknown metric gave {other}"),
    }
    let q = base(fixture).with_dimensions(["no_such_dimension_zzzz"]);
    let err = source
        .query_model(&q, &QueryOptions::new())
        .await
        .expect_err("unknown dimension must fail");
    assert!(err.is_invalid_query(), "{source}: {err}");
    assert!(!err.is_retryable());
}

/// Dimension filters restrict rows before aggregation.
pub async fn filters(source: &Arc<DynDataSource>, fixture: &Fixture) {
    let q = base(fixture).with_filter(Filter::equals(
        fixture.dimension.clone(),
        fixture.dimension_value.clone(),
    ));
    let r = source
        .query_model(&q, &QueryOptions::new())
        .await
        .unwrap_or_else(|e| panic!("{source}: filtered query failed: {e}"));
    assert_eq!(r.row_count, 1, "{source}: equals filter gave {r:?}");
    let d = col(&r, &fixture.dimension);
    assert_eq!(
        r.rows[0].get(d),
        Some(&Value::String(fixture.dimension_value.clone()))
    );
    assert!(!r.parameters.is_empty(), "{source}: filter value not bound");
}

/// `order` and `limit` are honoured; a limit that cuts groups says `truncated`.
pub async fn order_and_limit(source: &Arc<DynDataSource>, fixture: &Fixture) {
    let groups = group_count(source, fixture).await;
    let q = base(fixture)
        .with_order(OrderBy::desc(fixture.metric.clone()))
        .with_limit(2);
    let r = source
        .query_model(&q, &QueryOptions::new())
        .await
        .unwrap_or_else(|e| panic!("{source}: ordered query failed: {e}"));
    assert_eq!(r.row_count, 2, "{source}: limit 2 gave {r:?}");
    assert_eq!(
        r.truncated,
        groups > 2,
        "{source}: limit 2 of {groups} groups must say truncated exactly when groups were cut"
    );
    let m = col(&r, &fixture.metric);
    let nums: Vec<f64> = r
        .rows
        .iter()
        .map(|row| match row.get(m) {
            Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
            Some(Value::String(s)) => s.parse().unwrap_or(f64::NAN),
            other => panic!("{source}: metric cell {other:?}"),
        })
        .collect();
    assert!(
        nums.windows(2).all(|w| w[0] >= w[1]),
        "{source}: not sorted descending: {nums:?}"
    );
    assert_eq!(q.order[0].direction, Direction::Desc);
}

/// `max_rows` caps the result and sets `truncated`.
pub async fn row_cap(source: &Arc<DynDataSource>, fixture: &Fixture) {
    let r = source
        .query_model(&base(fixture), &QueryOptions::new().with_max_rows(1))
        .await
        .unwrap_or_else(|e| panic!("{source}: capped query failed: {e}"));
    assert_eq!(r.row_count, 1, "{source}: cap 1 gave {r:?}");
    assert!(r.truncated, "{source}: cap did not set truncated");
}

/// The number of groups of the base query: [`Fixture::groups`], or counted with an uncapped
/// query (which must then not be truncated).
async fn group_count(source: &Arc<DynDataSource>, fixture: &Fixture) -> u64 {
    if let Some(n) = fixture.groups {
        return n;
    }
    let r = source
        .query_model(&base(fixture), &QueryOptions::new())
        .await
        .unwrap_or_else(|e| panic!("{source}: query_model failed: {e}"));
    assert!(
        !r.truncated,
        "{source}: counting groups hit the source's row cap; set Fixture::with_groups"
    );
    r.row_count
}

/// `truncated` is `true` exactly when rows were cut, at every boundary.
///
/// With `G` groups, the caller gets `min(G, limit, max_rows, source cap)` rows, and `truncated`
/// is `G >` that. Checked with the row cap (`QueryOptions::max_rows`) and the query's own
/// `limit` at 1, `G - 1`, `G`, `G + 1` and `2G`, at the source's own cap ± 1, with both bounds
/// together, and with an offset. A limit that cuts groups counts as truncation: the caller
/// learns that more groups exist.
pub async fn truncation(source: &Arc<DynDataSource>, fixture: &Fixture) {
    let groups = group_count(source, fixture).await;
    assert!(
        groups >= 2,
        "{source}: the fixture needs at least two groups"
    );
    let source_cap = source.capabilities().max_rows;
    let mut bounds = vec![1, groups - 1, groups, groups + 1, groups.saturating_mul(2)];
    if let Some(c) = source_cap {
        bounds.extend([c.saturating_sub(1), c, c.saturating_add(1)]);
    }
    bounds.retain(|b| *b >= 1);
    bounds.sort_unstable();
    bounds.dedup();
    // (limit, max_rows, offset)
    let mut cases: Vec<(Option<u64>, Option<u64>, u64)> = vec![(None, None, 0)];
    for &b in &bounds {
        cases.push((None, Some(b), 0));
        cases.push((Some(b), None, 0));
    }
    for (l, m) in [
        (groups, groups - 1),
        (groups - 1, groups),
        (groups + 1, groups),
        (groups, groups + 1),
        (groups, groups),
    ] {
        if l >= 1 && m >= 1 {
            cases.push((Some(l), Some(m), 0));
        }
    }
    // With an offset the groups left are `G - 1`.
    cases.push((Some(groups - 1), None, 1));
    cases.push((None, Some(groups - 1), 1));
    cases.push((None, Some(groups), 1));
    if groups > 2 {
        cases.push((Some(groups - 2), None, 1));
        cases.push((None, Some(groups - 2), 1));
    }
    for (limit, max_rows, offset) in cases {
        let mut q = base(fixture).with_order(OrderBy::asc(fixture.dimension.clone()));
        q.limit = limit;
        if offset > 0 {
            q = q.with_offset(offset);
        }
        let mut options = QueryOptions::new();
        options.max_rows = max_rows;
        let r = source.query_model(&q, &options).await.unwrap_or_else(|e| {
            panic!("{source}: limit {limit:?}, max_rows {max_rows:?}, offset {offset}: {e}")
        });
        let left = groups - offset;
        let cap = [limit, max_rows, source_cap].into_iter().flatten().min();
        let expected = cap.map_or(left, |c| c.min(left));
        let case = format!(
            "{source}: {groups} groups, limit {limit:?}, max_rows {max_rows:?}, source cap {source_cap:?}, offset {offset}"
        );
        assert_eq!(r.row_count, expected, "{case}: row_count");
        assert_eq!(r.rows.len() as u64, expected, "{case}: rows");
        assert_eq!(
            r.truncated,
            left > expected,
            "{case}: truncated must be true exactly when rows were cut"
        );
        let d = col(&r, &fixture.dimension);
        let mut seen: Vec<String> = r
            .rows
            .iter()
            .filter_map(|row| row.get(d))
            .map(Value::to_string)
            .collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(
            seen.len() as u64,
            expected,
            "{case}: groups are not distinct"
        );
    }
}

/// Hostile filter values are bound, not spliced: the query runs and matches nothing.
pub async fn hostile_values(source: &Arc<DynDataSource>, fixture: &Fixture) {
    for value in ["x' OR '1'='1", "x\"; DROP TABLE t; --", "x`) --", "/* */x"] {
        let q = base(fixture).with_filter(Filter::equals(fixture.dimension.clone(), value));
        let r = source
            .query_model(&q, &QueryOptions::new())
            .await
            .unwrap_or_else(|e| panic!("{source}: value {value:?} broke the query: {e}"));
        assert_eq!(r.row_count, 0, "{source}: {value:?} matched rows: {r:?}");
        let sql = r.sql.unwrap_or_default();
        assert!(!sql.contains(value), "{source}: value spliced into {sql}");
    }
}

/// Time granularity produces a `<dimension>_<granularity>` column.
pub async fn time_granularity(source: &Arc<DynDataSource>, fixture: &Fixture) {
    let Some(td) = &fixture.time_dimension else {
        return;
    };
    let q = SemanticQuery::new(fixture.model.clone())
        .with_metrics([fixture.metric.clone()])
        .with_time_dimension(TimeDimension::new(td.clone()).with_granularity(Granularity::Year))
        .with_order(OrderBy::asc(td.clone()));
    let r = source
        .query_model(&q, &QueryOptions::new())
        .await
        .unwrap_or_else(|e| panic!("{source}: time query failed: {e}"));
    let name = format!("{}_year", td.rsplit('.').next().unwrap_or(td));
    col(&r, &name);
    assert!(r.row_count >= 1, "{source}: no time buckets");
}

/// `execute_sql` returns rows and honours the cap, or is `NotSupported` when the capability is
/// off.
pub async fn execute_sql(source: &Arc<DynDataSource>, fixture: &Fixture) {
    let caps = source.capabilities();
    let Some(sql) = &fixture.sql else {
        return;
    };
    let result = source
        .execute_sql(
            &SqlRequest::new(sql.clone()),
            &QueryOptions::new().with_max_rows(1),
        )
        .await;
    if !caps.sql {
        let err = result.expect_err("sql capability is off");
        assert!(err.is_not_supported(), "{source}: {err}");
        return;
    }
    let r = result.unwrap_or_else(|e| panic!("{source}: execute_sql failed: {e}"));
    assert_eq!(r.row_count, 1, "{source}: cap 1 gave {r:?}");
    assert!(r.truncated, "{source}: cap did not set truncated");
    assert!(!r.columns.is_empty());
}

/// `ask` answers, or says `NotSupported` naming the provider.
pub async fn ask(source: &Arc<DynDataSource>, fixture: &Fixture) {
    let caps = source.capabilities();
    let question = fixture
        .question
        .clone()
        .unwrap_or_else(|| "What is the total revenue?".to_string());
    let result = source.ask(&question, &AskOptions::new()).await;
    if caps.natural_language {
        let a = result.unwrap_or_else(|e| panic!("{source}: ask failed: {e}"));
        assert!(
            a.text.is_some() || a.sql.is_some(),
            "{source}: empty answer {a:?}"
        );
    } else {
        let err = result.expect_err("natural_language capability is off");
        assert!(err.is_not_supported(), "{source}: {err}");
        assert!(
            err.to_string().contains(&source.to_string()),
            "{source}: error does not name the source: {err}"
        );
    }
}

/// `get_statement` / `cancel` are `NotSupported` when the capabilities say so.
pub async fn statements(source: &Arc<DynDataSource>) {
    let caps = source.capabilities();
    if !caps.statement_status {
        let err = source
            .get_statement("no-such-statement")
            .await
            .expect_err("statement_status is off");
        assert!(err.is_not_supported(), "{source}: {err}");
    }
    if !caps.cancel {
        let err = source
            .cancel("no-such-statement")
            .await
            .expect_err("cancel is off");
        assert!(err.is_not_supported(), "{source}: {err}");
    }
}
