//! Snapshot and injection tests for the semantic query compiler, all four dialects.

use datasource_model::{
    BigQueryDialect, CompileOptions, CompiledQuery, DataType, DatabricksDialect, Dialect,
    Dimension, Filter, FilterOperator, Granularity, LocalDialect, Metric, ModelDescription,
    OrderBy, Relationship, SemanticQuery, SnowflakeDialect, TableDescription, TimeDimension,
    compile,
};

/// A Databricks metric view: one namespace, bare member names.
fn metric_view() -> ModelDescription {
    ModelDescription::new("main.sales.revenue_metrics")
        .with_dimension(Dimension::new("region", DataType::String))
        .with_dimension(Dimension::new("channel", DataType::String))
        .with_dimension(Dimension::new("order_date", DataType::Date))
        .with_dimension(Dimension::new("ordered_at", DataType::Timestamp))
        .with_dimension(Dimension::new("is_returned", DataType::Boolean))
        .with_metric(Metric::new("total_revenue", DataType::Decimal))
        .with_metric(Metric::new("order_count", DataType::Integer))
        .with_metric(Metric::new("average_order_value", DataType::Decimal))
}

/// A declared multi-table model (Snowflake semantic view / BigQuery / local).
fn declared() -> ModelDescription {
    ModelDescription::new("analytics.sales.orders_sv")
        .with_table(TableDescription::new("orders", "analytics.sales.orders"))
        .with_table(TableDescription::new(
            "customers",
            "analytics.sales.customers",
        ))
        .with_relationship(
            Relationship::new("orders_to_customers", "orders", "customers")
                .with_columns(vec!["customer_id".into()], vec!["customer_id".into()]),
        )
        .with_filter("orders.status <> 'test'")
        .with_dimension(
            Dimension::new("region", DataType::String)
                .with_table("customers")
                .with_expression("customers.region"),
        )
        .with_dimension(
            Dimension::new("channel", DataType::String)
                .with_table("orders")
                .with_expression("orders.channel"),
        )
        .with_dimension(
            Dimension::new("order_date", DataType::Date)
                .with_table("orders")
                .with_expression("orders.order_date"),
        )
        .with_dimension(
            Dimension::new("ordered_at", DataType::Timestamp)
                .with_table("orders")
                .with_expression("orders.ordered_at"),
        )
        .with_dimension(
            Dimension::new("is_returned", DataType::Boolean)
                .with_table("orders")
                .with_expression("orders.is_returned"),
        )
        .with_metric(
            Metric::new("total_revenue", DataType::Decimal)
                .with_table("orders")
                .with_expression("SUM(orders.amount)"),
        )
        .with_metric(
            Metric::new("order_count", DataType::Integer)
                .with_table("orders")
                .with_expression("COUNT(1)"),
        )
        .with_metric(
            Metric::new("average_order_value", DataType::Decimal)
                .with_table("orders")
                .with_expression("AVG(orders.amount)"),
        )
}

fn dialects() -> Vec<(&'static str, Box<dyn Dialect>, ModelDescription)> {
    vec![
        ("databricks", Box::new(DatabricksDialect), metric_view()),
        ("local", Box::new(LocalDialect), declared()),
        ("snowflake", Box::new(SnowflakeDialect), declared()),
        ("bigquery", Box::new(BigQueryDialect), declared()),
    ]
}

fn render(c: &CompiledQuery) -> String {
    let mut out = c.sql.clone();
    out.push_str("\n-- parameters:");
    for p in &c.parameters {
        out.push_str(&format!(
            "\n-- {} {:?} = {:?}",
            p.name,
            p.data_type,
            p.value.as_deref().unwrap_or("NULL")
        ));
    }
    out
}

fn snapshot_all(case: &str, query: SemanticQuery, options: CompileOptions) {
    for (name, dialect, model) in dialects() {
        let mut q = query.clone();
        q.model = model.name.clone();
        let compiled = compile(&q, &model, dialect.as_ref(), &options)
            .unwrap_or_else(|e| panic!("{case}/{name}: {e}"));
        insta::assert_snapshot!(format!("{case}__{name}"), render(&compiled));
    }
}

fn base() -> SemanticQuery {
    SemanticQuery::new("m")
}

#[test]
fn time_granularity_and_date_range() {
    snapshot_all(
        "time_granularity",
        base()
            .with_metrics(["total_revenue"])
            .with_time_dimension(
                TimeDimension::new("order_date")
                    .with_granularity(Granularity::Month)
                    .with_date_range("2025-01-01", "2025-06-30"),
            )
            .with_time_dimension(
                TimeDimension::new("ordered_at").with_granularity(Granularity::Week),
            )
            .with_order(OrderBy::asc("order_date")),
        CompileOptions::new(),
    );
}

#[test]
fn nested_and_or_filters() {
    snapshot_all(
        "nested_filters",
        base()
            .with_metrics(["order_count"])
            .with_dimensions(["region"])
            .with_filter(Filter::or(vec![
                Filter::in_list("region", ["EMEA", "APAC"]),
                Filter::and(vec![
                    Filter::equals("channel", "web"),
                    Filter::condition("is_returned", FilterOperator::Equals, [false]),
                ]),
            ]))
            .with_filter(Filter::condition(
                "channel",
                FilterOperator::Contains,
                ["art", "eb"],
            ))
            .with_filter(Filter::condition(
                "region",
                FilterOperator::NotEquals,
                ["Antarctica"],
            ))
            .with_filter(Filter::condition(
                "channel",
                FilterOperator::Set,
                Vec::<String>::new(),
            ))
            .with_filter(Filter::condition(
                "ordered_at",
                FilterOperator::InDateRange,
                ["2025-01-01", "2025-01-31T12:00:00"],
            )),
        CompileOptions::new(),
    );
}

#[test]
fn metric_filters() {
    snapshot_all(
        "metric_filters",
        base()
            .with_metrics(["total_revenue"])
            .with_dimensions(["region"])
            .with_filter(Filter::equals("channel", "web"))
            .with_filter(Filter::or(vec![
                Filter::gt("total_revenue", "1000.50"),
                Filter::condition("order_count", FilterOperator::Gte, [10]),
            ])),
        CompileOptions::new(),
    );
}

#[test]
fn order_limit_offset() {
    snapshot_all(
        "order_limit_offset",
        base()
            .with_metrics(["total_revenue", "order_count"])
            .with_dimensions(["region", "channel"])
            .with_order(OrderBy::desc("total_revenue"))
            .with_order(OrderBy::asc("region"))
            .with_limit(10)
            .with_offset(20),
        CompileOptions::new(),
    );
}

#[test]
fn row_cap_probes_one_extra_row() {
    snapshot_all(
        "row_cap",
        base()
            .with_metrics(["order_count"])
            .with_dimensions(["channel"])
            .with_offset(5),
        CompileOptions::new().with_row_cap(Some(100)),
    );
}

/// The issue-13 shape: `query_model` over MCP sends `limit = cap = 100`; the SQL must still ask
/// for the probe row (`LIMIT 101`), or 2,834 groups come back as 100 rows "not truncated".
#[test]
fn limit_equal_to_the_cap_still_probes() {
    snapshot_all(
        "limit_equals_cap",
        base()
            .with_metrics(["order_count"])
            .with_dimensions(["region"])
            .with_order(OrderBy::desc("order_count"))
            .with_limit(100),
        CompileOptions::new().with_row_cap(Some(100)),
    );
}

/// `(query limit, row cap)` → `(CompiledQuery::row_cap, rendered LIMIT)`, for every dialect:
/// the SQL always asks for one row more than the caller gets, whichever bound is smaller.
#[test]
fn every_bound_renders_row_cap_plus_one() {
    let cases: &[(Option<u64>, Option<u64>, Option<u64>)] = &[
        (None, None, None),
        (None, Some(100), Some(100)),
        (Some(100), Some(100), Some(100)),
        (Some(99), Some(100), Some(99)),
        (Some(101), Some(100), Some(100)),
        (Some(2_834), Some(100), Some(100)),
        (Some(10), None, Some(10)),
        (Some(1), Some(1), Some(1)),
        (None, Some(1), Some(1)),
        (Some(u64::MAX), None, Some(u64::MAX)),
        (None, Some(u64::MAX), Some(u64::MAX)),
    ];
    for (name, dialect, model) in dialects() {
        for &(limit, cap, row_cap) in cases {
            let mut q = SemanticQuery::new(model.name.clone())
                .with_metrics(["order_count"])
                .with_dimensions(["region"]);
            q.limit = limit;
            let compiled = compile(
                &q,
                &model,
                dialect.as_ref(),
                &CompileOptions::new().with_row_cap(cap),
            )
            .unwrap_or_else(|e| panic!("{name} {limit:?}/{cap:?}: {e}"));
            assert_eq!(compiled.row_cap, row_cap, "{name} {limit:?}/{cap:?}");
            let last = compiled.sql.lines().last().unwrap_or_default().to_string();
            match row_cap {
                Some(c) => assert_eq!(
                    last,
                    format!("LIMIT {}", c.saturating_add(1)),
                    "{name} {limit:?}/{cap:?}: {}",
                    compiled.sql
                ),
                None => assert!(
                    !compiled.sql.contains("LIMIT"),
                    "{name}: no bound, no LIMIT: {}",
                    compiled.sql
                ),
            }
        }
    }
}

#[test]
fn timezone_is_bound() {
    for (name, dialect, model) in dialects() {
        let q = SemanticQuery::new(model.name.clone())
            .with_metrics(["order_count"])
            .with_time_dimension(
                TimeDimension::new("ordered_at").with_granularity(Granularity::Day),
            )
            .with_timezone("Europe/Berlin");
        match compile(&q, &model, dialect.as_ref(), &CompileOptions::new()) {
            Ok(c) => {
                assert!(!c.sql.contains("Berlin"), "{name}: {}", c.sql);
                assert_eq!(
                    c.parameters[0].value.as_deref(),
                    Some("Europe/Berlin"),
                    "{name}"
                );
            }
            Err(e) => {
                assert_eq!(name, "local", "{name}: {e}");
                assert!(e.to_string().contains("UTC"), "{e}");
            }
        }
        let bad = q.clone().with_timezone("UTC'; DROP TABLE x; --");
        let err = compile(&bad, &model, dialect.as_ref(), &CompileOptions::new()).unwrap_err();
        assert!(err.is_invalid_query(), "{name}: {err}");
    }
}

const HOSTILE_VALUES: &[&str] = &[
    "EMEA' OR '1'='1",
    "x\"; DROP TABLE orders; --",
    "a`b` FROM secrets --",
    "/* comment */ 1",
    "'; SELECT * FROM system.users; --",
    "\\'; --",
    "$1",
    ":p1",
    "?",
    "@p1",
];

#[test]
fn hostile_values_end_as_bound_parameters() {
    for (name, dialect, model) in dialects() {
        for value in HOSTILE_VALUES {
            let q = SemanticQuery::new(model.name.clone())
                .with_metrics(["order_count"])
                .with_dimensions(["region"])
                .with_filter(Filter::equals("region", *value))
                .with_filter(Filter::condition(
                    "channel",
                    FilterOperator::StartsWith,
                    [*value],
                ));
            let c = compile(&q, &model, dialect.as_ref(), &CompileOptions::new()).unwrap();
            // Marker-shaped values (`$1`, `?`) naturally appear as markers; the rest must not.
            let marker_shaped = ["$1", ":p1", "?", "@p1"].contains(value);
            assert!(
                marker_shaped || !c.sql.contains(value),
                "{name}: value {value:?} spliced into {}",
                c.sql
            );
            assert_eq!(c.parameters.len(), 2, "{name}");
            assert!(
                c.parameters
                    .iter()
                    .all(|p| p.value.as_deref() == Some(*value))
            );
            assert!(!c.sql.contains(';'), "{name}: {}", c.sql);
        }
    }
}

#[test]
fn hostile_typed_values_are_rejected() {
    for (name, dialect, model) in dialects() {
        for (member, value) in [
            ("order_date", "2025-01-01'; --"),
            ("is_returned", "true OR 1=1"),
        ] {
            let q = SemanticQuery::new(model.name.clone())
                .with_metrics(["order_count"])
                .with_filter(Filter::equals(member, value));
            let err = compile(&q, &model, dialect.as_ref(), &CompileOptions::new()).unwrap_err();
            assert!(err.is_invalid_query(), "{name}: {err}");
        }
        let q = SemanticQuery::new(model.name.clone())
            .with_metrics(["order_count"])
            .with_filter(Filter::gt("total_revenue", "1; DROP TABLE x"));
        assert!(compile(&q, &model, dialect.as_ref(), &CompileOptions::new()).is_err());
    }
}

const HOSTILE_MEMBERS: &[&str] = &[
    "region; DROP TABLE orders",
    "region`",
    "`region`",
    "region\"",
    "region -- comment",
    "region/*x*/",
    "region' OR '1'='1",
    "customers.region.x",
];

#[test]
fn hostile_member_names_are_errors() {
    for (name, dialect, model) in dialects() {
        for member in HOSTILE_MEMBERS {
            for q in [
                SemanticQuery::new(model.name.clone()).with_metrics([*member]),
                SemanticQuery::new(model.name.clone())
                    .with_metrics(["order_count"])
                    .with_dimensions([*member]),
                SemanticQuery::new(model.name.clone())
                    .with_metrics(["order_count"])
                    .with_filter(Filter::equals(*member, "x")),
                SemanticQuery::new(model.name.clone())
                    .with_metrics(["order_count"])
                    .with_order(OrderBy::desc(*member)),
                SemanticQuery::new(model.name.clone())
                    .with_metrics(["order_count"])
                    .with_time_dimension(TimeDimension::new(*member)),
            ] {
                let err =
                    compile(&q, &model, dialect.as_ref(), &CompileOptions::new()).unwrap_err();
                assert!(err.is_invalid_query(), "{name} {member:?}: {err}");
            }
        }
    }
}

#[test]
fn hostile_names_inside_the_model_are_errors() {
    // A model whose member names carry quoting characters (e.g. from a compromised catalog)
    // must not be rendered.
    for (name, dialect, _) in dialects() {
        for bad in ["x`y", "x\"y", "x;y", "x--y"] {
            let model = ModelDescription::new("cat.sch.mv")
                .with_table(TableDescription::new("source", "cat.sch.t"))
                .with_dimension(Dimension::new(bad, DataType::String).with_expression("a"))
                .with_metric(Metric::new("n", DataType::Integer).with_expression("COUNT(1)"));
            let q = SemanticQuery::new("cat.sch.mv")
                .with_metrics(["n"])
                .with_dimensions([bad]);
            let err = compile(&q, &model, dialect.as_ref(), &CompileOptions::new()).unwrap_err();
            assert!(err.is_invalid_query(), "{name}: {err}");
        }
        let model = ModelDescription::new("cat.sch`; DROP TABLE x; --.mv")
            .with_table(TableDescription::new("source", "cat.sch.t`x"))
            .with_metric(Metric::new("n", DataType::Integer).with_expression("COUNT(1)"));
        let q = SemanticQuery::new("m").with_metrics(["n"]);
        assert!(
            compile(&q, &model, dialect.as_ref(), &CompileOptions::new()).is_err(),
            "{name}"
        );
    }
}

#[test]
fn unknown_member_lists_valid_names() {
    let model = metric_view();
    let q = SemanticQuery::new("m").with_metrics(["revenue"]);
    let err = compile(&q, &model, &DatabricksDialect, &CompileOptions::new()).unwrap_err();
    let datasource_model::Error::InvalidQuery { message, valid } = &err else {
        panic!("{err}")
    };
    assert_eq!(
        valid,
        &["total_revenue", "order_count", "average_order_value"]
    );
    assert!(message.contains("unknown metric `revenue`"), "{message}");
    assert!(message.contains("total_revenue, order_count, average_order_value"));

    let q = SemanticQuery::new("m")
        .with_metrics(["order_count"])
        .with_dimensions(["total_revenue"]);
    let err = compile(&q, &model, &DatabricksDialect, &CompileOptions::new()).unwrap_err();
    assert!(
        err.to_string().contains("is a metric, not a dimension"),
        "{err}"
    );

    let q = SemanticQuery::new("m")
        .with_metrics(["order_count"])
        .with_filter(Filter::equals("regoin", "x"));
    let err = compile(&q, &model, &DatabricksDialect, &CompileOptions::new()).unwrap_err();
    assert!(
        err.to_string().contains("valid members: region, channel"),
        "{err}"
    );
}

#[test]
fn invalid_shapes_are_explained() {
    let model = metric_view();
    let cases: Vec<(SemanticQuery, &str)> = vec![
        (SemanticQuery::new("m"), "at least one metric or dimension"),
        (
            SemanticQuery::new("m").with_metrics(["order_count", "order_count"]),
            "requested twice",
        ),
        (
            SemanticQuery::new("m")
                .with_metrics(["order_count"])
                .with_filter(Filter::or(vec![
                    Filter::equals("region", "EMEA"),
                    Filter::gt("total_revenue", "5"),
                ])),
            "mixes dimension and metric filters",
        ),
        (
            SemanticQuery::new("m")
                .with_metrics(["order_count"])
                .with_order(OrderBy::desc("total_revenue")),
            "order by one of the selected outputs",
        ),
        (
            SemanticQuery::new("m")
                .with_metrics(["order_count"])
                .with_time_dimension(
                    TimeDimension::new("region").with_granularity(Granularity::Day),
                ),
            "not a time dimension",
        ),
        (
            SemanticQuery::new("m")
                .with_metrics(["order_count"])
                .with_time_dimension(
                    TimeDimension::new("order_date").with_granularity(Granularity::Hour),
                ),
            "finer than the date dimension",
        ),
        (
            SemanticQuery::new("m")
                .with_metrics(["order_count"])
                .with_limit(0),
            "limit must be at least 1",
        ),
        (
            SemanticQuery::new("m")
                .with_metrics(["order_count"])
                .with_filter(Filter::condition(
                    "order_count",
                    FilterOperator::Contains,
                    ["1"],
                )),
            "needs a string member",
        ),
        (
            SemanticQuery::new("m")
                .with_metrics(["order_count"])
                .with_filter(Filter::condition("region", FilterOperator::Gt, ["a", "b"])),
            "takes 1 value(s)",
        ),
        (
            SemanticQuery::new("m")
                .with_metrics(["order_count"])
                .with_filter(Filter::condition(
                    "order_date",
                    FilterOperator::Equals,
                    ["2025-02-30"],
                )),
            "is not a date",
        ),
    ];
    for (q, needle) in cases {
        let err = compile(&q, &model, &DatabricksDialect, &CompileOptions::new()).unwrap_err();
        assert!(err.is_invalid_query());
        assert!(
            err.to_string().contains(needle),
            "expected {needle:?} in {err}"
        );
    }
}
