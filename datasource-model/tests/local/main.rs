//! The local provider: the conformance suite on the shipped sample, file tables, models, caps.

#![cfg(feature = "local")]

use std::sync::Arc;

use datasource_model::{
    AskOptions, DataSource, DataSourceConfig, DataType, DynDataSource, Filter, FilterOperator,
    Granularity, LocalConfig, LocalSource, LocalTableConfig, ModelScope, OrderBy, QueryOptions,
    SemanticQuery, SqlParameter, SqlRequest, TimeDimension,
};
use serde_json::json;

#[cfg(feature = "conformance")]
#[tokio::test]
async fn conformance_suite_on_the_sample() {
    use datasource_model::conformance;
    let source: Arc<DynDataSource> = Arc::new(LocalSource::sample().await.unwrap());
    conformance::run_all(Arc::clone(&source), &conformance::Fixture::sample()).await;
    // The other two sample models pass too.
    conformance::run_all(
        Arc::clone(&source),
        &conformance::Fixture::new("customer_360", "customer_count", "segment", "Corporate")
            .with_time_dimension("signup_date"),
    )
    .await;
    conformance::run_all(
        source,
        &conformance::Fixture::new("inventory_model", "units_on_hand", "warehouse", "Berlin")
            .with_time_dimension("snapshot_date")
            .with_sql("SELECT DISTINCT warehouse FROM inventory"),
    )
    .await;
}

#[tokio::test]
async fn sample_models_are_described_with_types() {
    let source = LocalSource::sample().await.unwrap();
    let names: Vec<String> = source
        .list_models(&ModelScope::new())
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(
        names,
        ["customer_360", "inventory_model", "revenue_metrics"]
    );
    let d = source.describe_model("revenue_metrics").await.unwrap();
    let date = d.dimension("order_date").unwrap();
    assert_eq!(date.data_type, DataType::Date);
    assert!(date.is_time);
    assert_eq!(d.dimension("region").unwrap().data_type, DataType::String);
    assert_eq!(
        d.metric("total_revenue").unwrap().data_type,
        DataType::Decimal
    );
    assert_eq!(
        d.metric("order_count").unwrap().data_type,
        DataType::Integer
    );
    assert_eq!(d.tables[0].source, "orders");
    assert_eq!(d.relationships[0].to, "customer");
    assert!(d.native.as_ref().unwrap().definition.contains("measures:"));
    assert_eq!(
        d.metric("total_revenue").unwrap().synonyms,
        vec!["revenue", "sales"]
    );
    let inv = source.describe_model("inventory_model").await.unwrap();
    assert!(inv.dimension("snapshot_date").unwrap().is_time);
    let c = source.describe_model("customer_360").await.unwrap();
    assert_eq!(
        c.metric("lifetime_revenue").unwrap().data_type,
        DataType::Decimal
    );
}

#[tokio::test]
async fn revenue_by_region_is_exact_and_deterministic() {
    let source = LocalSource::sample().await.unwrap();
    let q = SemanticQuery::new("revenue_metrics")
        .with_metrics(["total_revenue", "order_count"])
        .with_dimensions(["region"])
        .with_order(OrderBy::asc("region"));
    let r = source.query_model(&q, &QueryOptions::new()).await.unwrap();
    assert_eq!(r.row_count, 4);
    assert_eq!(r.columns[1].data_type, DataType::Decimal);
    // Decimals are strings with two places; counts are numbers.
    for row in &r.rows {
        let revenue = row[1].as_str().unwrap();
        assert!(
            revenue.split('.').nth(1).is_some_and(|f| f.len() == 2),
            "{revenue}"
        );
        assert!(row[2].is_u64());
    }
    let total_orders: u64 = r.rows.iter().map(|row| row[2].as_u64().unwrap()).sum();
    // Cancelled orders are excluded by the model filter.
    let all = source
        .execute_sql(
            &SqlRequest::new("SELECT COUNT(*) AS n FROM orders WHERE status <> 'cancelled'"),
            &QueryOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(all.rows[0][0], json!(total_orders));
    insta::assert_snapshot!("revenue_by_region", r.sql.clone().unwrap());
    insta::assert_json_snapshot!("revenue_by_region_rows", r.rows);
}

#[tokio::test]
async fn time_granularity_filters_and_metric_filters_run() {
    let source = LocalSource::sample().await.unwrap();
    let q = SemanticQuery::new("revenue_metrics")
        .with_metrics(["total_revenue"])
        .with_dimensions(["channel"])
        .with_time_dimension(
            TimeDimension::new("order_date")
                .with_granularity(Granularity::Month)
                .with_date_range("2025-01-01", "2025-03-31"),
        )
        .with_filter(Filter::or(vec![
            Filter::condition("channel", FilterOperator::StartsWith, ["we"]),
            Filter::condition("channel", FilterOperator::Contains, ["obi"]),
        ]))
        .with_filter(Filter::gt("total_revenue", "1000"))
        .with_filter(Filter::condition(
            "country",
            FilterOperator::NotIn,
            ["Kenya", "Chile"],
        ))
        .with_order(OrderBy::asc("order_date"))
        .with_order(OrderBy::asc("channel"));
    let r = source.query_model(&q, &QueryOptions::new()).await.unwrap();
    assert_eq!(r.row_count, 6, "{r:#?}");
    let months: Vec<&str> = r.rows.iter().map(|row| row[1].as_str().unwrap()).collect();
    assert!(months[0].starts_with("2025-01-01"), "{months:?}");
    assert!(months[5].starts_with("2025-03-01"), "{months:?}");
    for row in &r.rows {
        assert!(["web", "mobile"].contains(&row[0].as_str().unwrap()));
    }
    // after_date on a date: strictly after the day.
    let q = SemanticQuery::new("revenue_metrics")
        .with_metrics(["order_count"])
        .with_filter(Filter::condition(
            "order_date",
            FilterOperator::AfterDate,
            ["2025-12-30"],
        ));
    let r = source.query_model(&q, &QueryOptions::new()).await.unwrap();
    let after: u64 = r.rows[0][0].as_u64().unwrap();
    let direct = source
        .execute_sql(
            &SqlRequest::new(
                "SELECT COUNT(*) FROM orders WHERE status <> 'cancelled' AND order_date = DATE '2025-12-31'",
            ),
            &QueryOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(direct.rows[0][0], json!(after));
}

#[tokio::test]
async fn row_caps_and_offsets() {
    let source = LocalSource::builder()
        .with_sample()
        .with_max_rows(3)
        .build()
        .await
        .unwrap();
    assert_eq!(source.capabilities().max_rows, Some(3));
    let q = SemanticQuery::new("inventory_model")
        .with_metrics(["units_on_hand"])
        .with_dimensions(["sku"])
        .with_order(OrderBy::asc("sku"));
    let r = source.query_model(&q, &QueryOptions::new()).await.unwrap();
    assert_eq!((r.row_count, r.truncated), (3, true));
    let r = source
        .query_model(
            &q.clone().with_limit(2).with_offset(8),
            &QueryOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!((r.row_count, r.truncated), (2, false));
    assert_eq!(r.rows[0][0], json!("SKU-0009"));
    let r = source
        .execute_sql(
            &SqlRequest::new("SELECT * FROM orders"),
            &QueryOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!((r.row_count, r.truncated), (3, true));
    // dry run: columns, no rows
    let r = source
        .query_model(&q, &QueryOptions::new().with_dry_run(true))
        .await
        .unwrap();
    assert_eq!(r.row_count, 0);
    assert_eq!(r.columns[0].name, "sku");
}

#[tokio::test]
async fn execute_sql_binds_parameters_and_refuses_writes() {
    let source = LocalSource::sample().await.unwrap();
    let r = source
        .execute_sql(
            &SqlRequest::new("SELECT COUNT(*) AS n FROM customers WHERE region = $region")
                .with_parameter(SqlParameter::new("region", "EMEA' OR '1'='1")),
            &QueryOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(r.rows[0][0], json!(0));
    let r = source
        .execute_sql(
            &SqlRequest::new("SELECT COUNT(*) AS n FROM customers WHERE customer_id <= $1")
                .with_parameter(SqlParameter::typed(
                    "1",
                    Some("10".into()),
                    DataType::Integer,
                )),
            &QueryOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(r.rows[0][0], json!(10));
    for sql in [
        "CREATE TABLE x AS SELECT 1",
        "INSERT INTO orders SELECT * FROM orders",
        "COPY orders TO '/tmp/x.csv'",
        "DROP TABLE orders",
        "SET datafusion.execution.batch_size = 1",
    ] {
        let err = source
            .execute_sql(&SqlRequest::new(sql), &QueryOptions::new())
            .await
            .unwrap_err();
        assert!(err.is_invalid_query(), "{sql}: {err}");
    }
    let err = source
        .execute_sql(
            &SqlRequest::new("SELECT nope FROM orders"),
            &QueryOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(err.is_invalid_query(), "{err}");
}

#[tokio::test]
async fn ask_is_not_supported_and_says_what_to_do() {
    let source = LocalSource::sample().await.unwrap();
    let err = source
        .ask("revenue?", &AskOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_not_supported());
    let msg = err.to_string();
    assert!(
        msg.contains("Local(sample)") && msg.contains("query_model"),
        "{msg}"
    );
}

#[tokio::test]
async fn csv_and_parquet_files_from_config() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("returns.csv");
    std::fs::write(
        &csv,
        "return_id,order_id,reason,refund\n1,10,damaged,12.50\n2,11,late,3.00\n3,12,damaged,7.25\n",
    )
    .unwrap();
    // Write a Parquet file with a separate DataFusion context.
    let ctx = datafusion::prelude::SessionContext::new();
    let parquet = dir.path().join("reasons.parquet");
    ctx.sql(
        "SELECT * FROM (VALUES ('damaged', 'Quality'), ('late', 'Logistics')) AS t(reason, team)",
    )
    .await
    .unwrap()
    .write_parquet(
        parquet.to_str().unwrap(),
        datafusion::dataframe::DataFrameWriteOptions::new().with_single_file_output(true),
        None,
    )
    .await
    .unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir(&models).unwrap();
    std::fs::write(
        models.join("returns_model.yaml"),
        r#"
version: "1.1"
comment: Returns by reason and team.
source: returns
joins:
  - name: r
    source: reasons
    using: [reason]
dimensions:
  - name: reason
    expr: source.reason
  - name: team
    expr: r.team
measures:
  - name: refunds
    expr: SUM(source.refund)
  - name: return_count
    expr: COUNT(1)
"#,
    )
    .unwrap();
    let config = DataSourceConfig::local_sample().with_local(
        LocalConfig::default()
            .with_table(LocalTableConfig::new("returns", &csv))
            .with_table(LocalTableConfig::new("reasons", &parquet)),
    );
    let mut config = config;
    if let Some(local) = config.local.as_mut() {
        local.models_dir = Some(models.clone());
    }
    let source = config.build().await.unwrap();
    let q = SemanticQuery::new("returns_model")
        .with_metrics(["return_count", "refunds"])
        .with_dimensions(["team"])
        .with_order(OrderBy::desc("return_count"));
    let r = source.query_model(&q, &QueryOptions::new()).await.unwrap();
    assert_eq!(
        r.rows,
        vec![
            vec![json!("Quality"), json!(2), json!(19.75)],
            vec![json!("Logistics"), json!(1), json!(3.0)]
        ]
    );
}

#[tokio::test]
async fn broken_models_fail_at_build_with_the_model_name() {
    let err = LocalSource::builder()
        .with_sample()
        .with_model_yaml(
            "bad",
            "source: orders\ndimensions:\n  - name: x\n    expr: source.nope\nmeasures: []\n",
        )
        .build()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("model `bad`"), "{err}");
    let err = LocalSource::builder()
        .with_csv("t", "/definitely/not/here.csv")
        .build()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("table `t`"), "{err}");
    let err = LocalSource::builder()
        .with_csv_data("bad name;", "a\n1\n")
        .build()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not a valid identifier"), "{err}");
}

/// A local source with one model, `groups_model`, whose `region` dimension has `n` distinct
/// values (two orders each), optionally capped.
async fn groups_source(n: usize, max_rows: Option<u64>) -> LocalSource {
    let mut csv = String::from("region,amount\n");
    for i in 1..=n {
        csv.push_str(&format!("R{i:05},{i}.50\nR{i:05},1.00\n"));
    }
    let yaml = "version: \"1.1\"\nsource: orders\ndimensions:\n  - name: region\n    expr: source.region\nmeasures:\n  - name: total_revenue\n    expr: SUM(source.amount)\n";
    let mut b = LocalSource::builder()
        .with_csv_data("orders", csv)
        .with_model_yaml("groups_model", yaml);
    if let Some(m) = max_rows {
        b = b.with_max_rows(m);
    }
    b.build().await.unwrap()
}

/// Issue 13 on DataFusion: 2,834 groups under a cap of 100 (with and without the caller's
/// `limit` of 100) return 100 rows and say truncated; at 100 groups they do not.
#[tokio::test]
async fn many_groups_under_the_cap_say_truncated_exactly() {
    for (groups, truncated) in [(2_834, true), (101, true), (100, false), (99, false)] {
        let source = groups_source(groups, Some(100)).await;
        for limit in [None, Some(100), Some(2_834)] {
            let mut q = SemanticQuery::new("groups_model")
                .with_metrics(["total_revenue"])
                .with_dimensions(["region"])
                .with_order(OrderBy::asc("region"));
            q.limit = limit;
            for options in [QueryOptions::new(), QueryOptions::new().with_max_rows(100)] {
                let r = source.query_model(&q, &options).await.unwrap();
                let case = format!("{groups} groups, limit {limit:?}, {options:?}");
                assert_eq!(r.row_count, groups.min(100) as u64, "{case}");
                assert_eq!(r.rows.len(), groups.min(100), "{case}");
                assert_eq!(r.truncated, truncated, "{case}");
                let sql = r.sql.unwrap_or_default();
                assert!(sql.ends_with("LIMIT 101"), "{case}: {sql}");
                assert_eq!(r.rows[0][0], json!("R00001"), "{case}");
            }
        }
    }
    // Without any cap every group comes back.
    let source = groups_source(2_834, None).await;
    let q = SemanticQuery::new("groups_model")
        .with_metrics(["total_revenue"])
        .with_dimensions(["region"]);
    let r = source.query_model(&q, &QueryOptions::new()).await.unwrap();
    assert_eq!((r.row_count, r.truncated), (2_834, false));
    assert!(!r.sql.unwrap_or_default().contains("LIMIT"));
}

/// The conformance boundaries (cap − 1, cap, cap + 1, many) on DataFusion with 2,834 groups,
/// under a source cap of 100 and without one.
#[cfg(feature = "conformance")]
#[tokio::test]
async fn conformance_truncation_with_many_groups() {
    use datasource_model::conformance;
    let fixture = conformance::Fixture::new("groups_model", "total_revenue", "region", "R00001")
        .with_groups(2_834);
    for cap in [Some(100), None] {
        let source: Arc<DynDataSource> = Arc::new(groups_source(2_834, cap).await);
        conformance::truncation(&source, &fixture).await;
    }
    // Small counts: groups = cap ± 1 around the edges of tiny caps.
    for groups in [2, 3, 5] {
        let source: Arc<DynDataSource> = Arc::new(groups_source(groups, None).await);
        conformance::truncation(
            &source,
            &conformance::Fixture::new("groups_model", "total_revenue", "region", "R00001"),
        )
        .await;
    }
}
