//! `CachedSource` over the Databricks provider on wiremock: a warm `query_model` makes no
//! metadata round trip (request counts on the mock), entries expire by a controllable clock,
//! errors are not cached, an unknown member re-reads a cached model once, and every lookup is
//! reported to the observer.

#![cfg(feature = "databricks")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use datasource_model::{
    CacheLookup, CacheObserver, CachedSource, DataSource, DatabricksConfig, DatabricksSource,
    DynDataSource, ManualClock, ModelScope, QueryOptions, SemanticQuery,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TABLE_PATH: &str = "/api/2.1/unity-catalog/tables/main.sales.revenue_metrics";
const SUMMARIES_PATH: &str = "/api/2.1/unity-catalog/table-summaries";

fn yaml(with_order_count: bool) -> String {
    let mut y = String::from(
        "version: \"1.1\"\ncomment: Revenue KPIs\nsource: main.sales.orders\ndimensions:\n  - name: region\n    expr: source.region\nmeasures:\n  - name: total_revenue\n    expr: SUM(source.amount)\n",
    );
    if with_order_count {
        y.push_str("  - name: order_count\n    expr: COUNT(1)\n");
    }
    y
}

fn table(with_order_count: bool) -> Value {
    let mut columns = vec![
        json!({"name": "region", "type_text": "string", "type_name": "STRING", "position": 0}),
        json!({"name": "total_revenue", "type_text": "decimal(38,2) measure", "type_name": "DECIMAL", "position": 1}),
    ];
    if with_order_count {
        columns.push(
            json!({"name": "order_count", "type_text": "bigint measure", "type_name": "LONG", "position": 2}),
        );
    }
    json!({
        "name": "revenue_metrics",
        "catalog_name": "main",
        "schema_name": "sales",
        "full_name": "main.sales.revenue_metrics",
        "table_type": "METRIC_VIEW",
        "view_definition": yaml(with_order_count),
        "columns": columns
    })
}

fn statement() -> Value {
    json!({
        "statement_id": "stmt-1",
        "status": {"state": "SUCCEEDED"},
        "manifest": {
            "format": "JSON_ARRAY",
            "schema": {"column_count": 2, "columns": [
                {"name": "region", "type_name": "STRING", "type_text": "STRING", "position": 0},
                {"name": "total_revenue", "type_name": "DECIMAL", "type_text": "DECIMAL(38,2)", "position": 1}
            ]},
            "total_chunk_count": 1,
            "total_row_count": 1,
            "truncated": false
        },
        "result": {"chunk_index": 0, "row_offset": 0, "row_count": 1, "data_array": [["EMEA", "12.50"]]}
    })
}

async fn mount_statements(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(ResponseTemplate::new(200).set_body_json(statement()))
        .mount(server)
        .await;
}

async fn mount_table(server: &MockServer, with_order_count: bool) {
    Mock::given(method("GET"))
        .and(path(TABLE_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(table(with_order_count)))
        .mount(server)
        .await;
}

fn databricks(server: &MockServer) -> Arc<DynDataSource> {
    let config = DatabricksConfig::new("wh1", "main")
        .with_host(server.uri())
        .with_token("dapi-test")
        .with_schema("sales");
    Arc::new(DatabricksSource::from_config(&config, Some(100)).unwrap())
}

/// Requests the mock received, as (method, path) pairs matching `method_name` and `path_name`.
async fn count(server: &MockServer, method_name: &str, path_name: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == method_name && r.url.path() == path_name)
        .count()
}

async fn metadata_reads(server: &MockServer) -> usize {
    count(server, "GET", TABLE_PATH).await
}

async fn statements(server: &MockServer) -> usize {
    count(server, "POST", "/api/2.0/sql/statements").await
}

fn revenue_by_region() -> SemanticQuery {
    SemanticQuery::new("revenue_metrics")
        .with_metrics(["total_revenue"])
        .with_dimensions(["region"])
}

#[derive(Default)]
struct Recorder(Mutex<Vec<(CacheLookup, bool)>>);

impl CacheObserver for Recorder {
    fn on_lookup(&self, lookup: CacheLookup, hit: bool) {
        self.0.lock().unwrap().push((lookup, hit));
    }
}

#[tokio::test]
async fn warm_query_model_makes_no_metadata_round_trip() {
    let server = MockServer::start().await;
    mount_table(&server, false).await;
    mount_statements(&server).await;
    let recorder = Arc::new(Recorder::default());
    let cached = CachedSource::builder(databricks(&server))
        .observer(Arc::clone(&recorder) as Arc<dyn CacheObserver>)
        .build();

    let first = cached
        .query_model(&revenue_by_region(), &QueryOptions::new())
        .await
        .unwrap();
    assert_eq!(first.rows, vec![vec![json!("EMEA"), json!("12.50")]]);
    assert_eq!(metadata_reads(&server).await, 1);
    assert_eq!(statements(&server).await, 1);

    let second = cached
        .query_model(&revenue_by_region(), &QueryOptions::new())
        .await
        .unwrap();
    assert_eq!(second.rows, first.rows);
    assert_eq!(second.sql, first.sql);
    // The query ran again; the metadata was not read again.
    assert_eq!(metadata_reads(&server).await, 1);
    assert_eq!(statements(&server).await, 2);

    let described = cached.describe_model("revenue_metrics").await.unwrap();
    assert_eq!(described.name, "main.sales.revenue_metrics");
    assert_eq!(metadata_reads(&server).await, 1);

    // The uncached provider reads the metadata on every query.
    let direct = databricks(&server);
    direct
        .query_model(&revenue_by_region(), &QueryOptions::new())
        .await
        .unwrap();
    assert_eq!(metadata_reads(&server).await, 2);

    assert_eq!(
        *recorder.0.lock().unwrap(),
        vec![
            (CacheLookup::DescribeModel, false),
            (CacheLookup::DescribeModel, true),
            (CacheLookup::DescribeModel, true),
        ]
    );
}

#[tokio::test]
async fn entries_expire_by_the_clock() {
    let server = MockServer::start().await;
    mount_table(&server, false).await;
    Mock::given(method("GET"))
        .and(path(SUMMARIES_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "tables": [{"full_name": "main.sales.revenue_metrics", "table_type": "METRIC_VIEW"}]
        })))
        .mount(&server)
        .await;
    let clock = ManualClock::new();
    let cached = CachedSource::builder(databricks(&server))
        .ttl(Duration::from_secs(60))
        .clock(Arc::new(clock.clone()))
        .build();

    cached.describe_model("revenue_metrics").await.unwrap();
    let models = cached.list_models(&ModelScope::new()).await.unwrap();
    assert_eq!(models[0].name, "main.sales.revenue_metrics");
    clock.advance(Duration::from_secs(59));
    cached.describe_model("revenue_metrics").await.unwrap();
    cached.list_models(&ModelScope::new()).await.unwrap();
    assert_eq!(metadata_reads(&server).await, 1);
    assert_eq!(count(&server, "GET", SUMMARIES_PATH).await, 1);

    // Another scope is another entry.
    cached
        .list_models(&ModelScope::new().with_search("revenue"))
        .await
        .unwrap();
    assert_eq!(count(&server, "GET", SUMMARIES_PATH).await, 2);

    clock.advance(Duration::from_secs(1));
    cached.describe_model("revenue_metrics").await.unwrap();
    cached.list_models(&ModelScope::new()).await.unwrap();
    assert_eq!(metadata_reads(&server).await, 2);
    assert_eq!(count(&server, "GET", SUMMARIES_PATH).await, 3);

    // Fresh again after the re-read; invalidate_all forgets everything.
    cached.describe_model("revenue_metrics").await.unwrap();
    assert_eq!(metadata_reads(&server).await, 2);
    cached.invalidate_all();
    cached.describe_model("revenue_metrics").await.unwrap();
    assert_eq!(metadata_reads(&server).await, 3);
}

#[tokio::test]
async fn errors_are_not_cached() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(TABLE_PATH))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"error_code": "TABLE_DOES_NOT_EXIST", "message": "not yet created"}),
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_table(&server, false).await;
    let cached = CachedSource::new(databricks(&server));

    let err = cached.describe_model("revenue_metrics").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    let d = cached.describe_model("revenue_metrics").await.unwrap();
    assert_eq!(d.name, "main.sales.revenue_metrics");
    assert_eq!(metadata_reads(&server).await, 2);
    cached.describe_model("revenue_metrics").await.unwrap();
    assert_eq!(metadata_reads(&server).await, 2);
}

#[tokio::test]
async fn an_unknown_member_rereads_a_cached_model_once() {
    let server = MockServer::start().await;
    // The model first lacks `order_count`, then gains it.
    Mock::given(method("GET"))
        .and(path(TABLE_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(table(false)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_table(&server, true).await;
    mount_statements(&server).await;
    let cached = CachedSource::new(databricks(&server));

    let before = cached.describe_model("revenue_metrics").await.unwrap();
    assert!(before.metric("order_count").is_none());
    let query = SemanticQuery::new("revenue_metrics").with_metrics(["order_count"]);
    let result = cached.query_model(&query, &QueryOptions::new()).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(metadata_reads(&server).await, 2);
    assert_eq!(statements(&server).await, 1);

    // A member that does not exist: one re-read, then the provider's InvalidQuery.
    let bad = SemanticQuery::new("revenue_metrics").with_metrics(["no_such_metric"]);
    let err = cached
        .query_model(&bad, &QueryOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_invalid_query(), "{err}");
    assert!(err.to_string().contains("order_count"), "{err}");
    assert_eq!(metadata_reads(&server).await, 3);
    assert_eq!(statements(&server).await, 1);
}

#[tokio::test]
async fn every_method_forwards_and_display_names_the_source() {
    let server = MockServer::start().await;
    let source = databricks(&server);
    let cached = CachedSource::builder(Arc::clone(&source))
        .max_entries(10)
        .build();
    assert_eq!(cached.to_string(), source.to_string());
    assert_eq!(cached.provider(), source.provider());
    assert_eq!(cached.capabilities(), source.capabilities());
    assert!(!format!("{cached:?}").contains("dapi-test"));
    // No Genie space: the provider's own NotSupported comes through.
    let err = cached
        .ask("why?", &datasource_model::AskOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_not_supported(), "{err}");
}

#[tokio::test]
async fn a_zero_ttl_caches_nothing() {
    let server = MockServer::start().await;
    mount_table(&server, false).await;
    let cached = CachedSource::builder(databricks(&server))
        .ttl(Duration::ZERO)
        .build();
    cached.describe_model("revenue_metrics").await.unwrap();
    cached.describe_model("revenue_metrics").await.unwrap();
    assert_eq!(metadata_reads(&server).await, 2);
}
