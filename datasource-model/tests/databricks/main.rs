//! The Databricks provider over wiremock: discovery, describe, structured queries through
//! Statement Execution (row cap in `row_limit`), SQL, Genie, connection checks.

#![cfg(feature = "databricks")]

use datasource_model::{
    AskOptions, DataSource, DataSourceConfig, DataType, DatabricksConfig, DatabricksSource, Filter,
    ModelScope, OrderBy, QueryOptions, SemanticQuery, SqlRequest,
};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const YAML: &str = "version: \"1.1\"\ncomment: Revenue KPIs\nsource: main.sales.orders\njoins:\n  - name: customer\n    source: main.sales.customers\n    \"on\": source.customer_id = customer.customer_id\ndimensions:\n  - name: region\n    expr: customer.region\n  - name: order_date\n    expr: source.order_date\nmeasures:\n  - name: total_revenue\n    expr: SUM(source.amount)\n  - name: order_count\n    expr: COUNT(1)\n";

fn source(server: &MockServer, genie: bool) -> DatabricksSource {
    let mut config = DatabricksConfig::new("wh1", "main")
        .with_host(server.uri())
        .with_token("dapi-test")
        .with_schema("sales");
    if genie {
        config = config.with_genie_space_id("space1");
    }
    DatabricksSource::from_config(&config, Some(100)).unwrap()
}

async fn mount_table(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables/main.sales.revenue_metrics"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "revenue_metrics",
            "catalog_name": "main",
            "schema_name": "sales",
            "full_name": "main.sales.revenue_metrics",
            "table_type": "METRIC_VIEW",
            "view_definition": YAML,
            "columns": [
                {"name": "region", "type_text": "string", "type_name": "STRING", "position": 0},
                {"name": "order_date", "type_text": "date", "type_name": "DATE", "position": 1},
                {"name": "total_revenue", "type_text": "decimal(38,2) measure", "type_name": "DECIMAL", "position": 2},
                {"name": "order_count", "type_text": "bigint measure", "type_name": "LONG", "position": 3}
            ]
        })))
        .mount(server)
        .await;
}

fn statement(columns: Value, rows: Value) -> Value {
    let n = rows.as_array().map_or(0, Vec::len);
    json!({
        "statement_id": "stmt-1",
        "status": {"state": "SUCCEEDED"},
        "manifest": {
            "format": "JSON_ARRAY",
            "schema": {"column_count": columns.as_array().map_or(0, Vec::len), "columns": columns},
            "total_chunk_count": 1,
            "total_row_count": n,
            "truncated": false
        },
        "result": {"chunk_index": 0, "row_offset": 0, "row_count": n, "data_array": rows}
    })
}

fn region_revenue() -> Value {
    statement(
        json!([
            {"name": "region", "type_name": "STRING", "type_text": "STRING", "position": 0},
            {"name": "total_revenue", "type_name": "DECIMAL", "type_text": "DECIMAL(38,2)", "position": 1}
        ]),
        json!([
            ["EMEA", "12345678901234567.89"],
            ["AMER", "99.00"],
            ["APAC", "12.25"]
        ]),
    )
}

#[tokio::test]
async fn describe_reads_the_metric_view_and_column_types() {
    let server = MockServer::start().await;
    mount_table(&server).await;
    let s = source(&server, false);
    let d = s.describe_model("revenue_metrics").await.unwrap();
    assert_eq!(d.name, "main.sales.revenue_metrics");
    assert_eq!(d.description.as_deref(), Some("Revenue KPIs"));
    assert_eq!(d.dimension("region").unwrap().data_type, DataType::String);
    let date = d.dimension("order_date").unwrap();
    assert!(date.is_time);
    assert_eq!(
        d.metric("total_revenue").unwrap().data_type,
        DataType::Decimal
    );
    assert_eq!(
        d.metric("order_count").unwrap().data_type,
        DataType::Integer
    );
    assert_eq!(d.tables[1].source, "main.sales.customers");
    let native = d.native.unwrap();
    assert_eq!(native.format, "databricks_metric_view_yaml");
    assert!(native.definition.contains("SUM(source.amount)"));
    let err = s.describe_model("a;b").await.unwrap_err();
    assert!(err.is_invalid_query(), "{err}");
}

#[tokio::test]
async fn query_model_runs_measure_sql_with_bound_parameters_and_row_limit() {
    let server = MockServer::start().await;
    mount_table(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .and(body_partial_json(
            json!({"warehouse_id": "wh1", "row_limit": 3}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(region_revenue()))
        .expect(1)
        .mount(&server)
        .await;
    let s = source(&server, false);
    let q = SemanticQuery::new("main.sales.revenue_metrics")
        .with_metrics(["total_revenue"])
        .with_dimensions(["region"])
        .with_filter(Filter::equals("region", "EMEA' OR 1=1 --"))
        .with_order(OrderBy::desc("total_revenue"));
    let r = s
        .query_model(&q, &QueryOptions::new().with_max_rows(2))
        .await
        .unwrap();
    assert_eq!(r.row_count, 2);
    assert!(r.truncated);
    assert_eq!(r.query_id.as_deref(), Some("stmt-1"));
    assert_eq!(
        r.rows[0],
        vec![json!("EMEA"), json!("12345678901234567.89")]
    );
    assert_eq!(r.columns[1].data_type, DataType::Decimal);
    let requests = server.received_requests().await.unwrap();
    let post: &Request = requests
        .iter()
        .find(|r| r.method.as_str() == "POST")
        .unwrap();
    let body: Value = serde_json::from_slice(&post.body).unwrap();
    let sql = body["statement"].as_str().unwrap();
    assert!(sql.contains("MEASURE(`total_revenue`)"), "{sql}");
    assert!(
        sql.contains("FROM `main`.`sales`.`revenue_metrics`"),
        "{sql}"
    );
    assert!(sql.contains("`region` = :p1"), "{sql}");
    assert!(!sql.contains("OR 1=1"), "{sql}");
    assert_eq!(
        body["parameters"],
        json!([{"name": "p1", "value": "EMEA' OR 1=1 --", "type": "STRING"}])
    );
    // Unknown members never reach the warehouse.
    let err = s
        .query_model(
            &SemanticQuery::new("revenue_metrics").with_metrics(["revenue"]),
            &QueryOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("total_revenue, order_count"),
        "{err}"
    );
}

#[tokio::test]
async fn list_models_keeps_metric_views_only() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/table-summaries"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "tables": [
                {"full_name": "main.sales.revenue_metrics", "table_type": "METRIC_VIEW"},
                {"full_name": "main.sales.orders", "table_type": "MANAGED"},
                {"full_name": "main.sales.customer_360", "table_type": "METRIC_VIEW"}
            ]
        })))
        .mount(&server)
        .await;
    let s = source(&server, false);
    let models = s.list_models(&ModelScope::new()).await.unwrap();
    let names: Vec<&str> = models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        ["main.sales.revenue_metrics", "main.sales.customer_360"]
    );
    assert_eq!(models[0].schema.as_deref(), Some("sales"));
    let found = s
        .list_models(&ModelScope::new().with_search("CUSTOMER"))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let none = s
        .list_models(&ModelScope::new().with_catalog("other"))
        .await
        .unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn test_connection_checks_identity_warehouse_and_catalog() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/preview/scim/v2/Me"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"userName": "ana@example.com"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/warehouses/wh1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "wh1", "name": "Serverless", "state": "RUNNING"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/catalogs/main"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"name": "main"})))
        .mount(&server)
        .await;
    let s = source(&server, false);
    let report = s.test_connection().await.unwrap();
    assert_eq!(report.identity.as_deref(), Some("ana@example.com"));
    let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["identity", "warehouse", "catalog"]);
    assert!(report.checks[1].detail.contains("RUNNING"));
}

#[tokio::test]
async fn test_connection_reports_a_missing_warehouse() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/preview/scim/v2/Me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"userName": "ana"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/warehouses/wh1"))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "No warehouse wh1"}),
        ))
        .mount(&server)
        .await;
    let err = source(&server, false).test_connection().await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(err.to_string().contains("warehouse `wh1`"), "{err}");
}

#[tokio::test]
async fn execute_sql_uses_catalog_schema_and_cap() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .and(body_partial_json(
            json!({"catalog": "main", "schema": "sales", "row_limit": 101, "statement": "SELECT region, total FROM t"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(region_revenue()))
        .mount(&server)
        .await;
    let r = source(&server, false)
        .execute_sql(
            &SqlRequest::new("SELECT region, total FROM t"),
            &QueryOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!((r.row_count, r.truncated), (3, false));
}

#[tokio::test]
async fn ask_goes_through_genie() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/genie/spaces/space1/start-conversation"))
        .and(body_partial_json(json!({"content": "Revenue by region?"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "conversation_id": "c1", "message_id": "m1",
            "conversation": {"id": "c1"}, "message": {"id": "m1", "status": "SUBMITTED"}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/genie/spaces/space1/conversations/c1/messages/m1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "m1", "message_id": "m1", "conversation_id": "c1", "space_id": "space1",
            "status": "COMPLETED",
            "attachments": [
                {"attachment_id": "a1", "text": {"content": "EMEA leads."}},
                {"attachment_id": "a2", "query": {"query": "SELECT region, SUM(amount) FROM orders GROUP BY 1", "description": "Revenue per region", "statement_id": "stmt-9"}}
            ]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/api/2.0/genie/spaces/space1/conversations/c1/messages/m1/attachments/a2/query-result",
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"statement_response": region_revenue()})),
        )
        .mount(&server)
        .await;
    let s = source(&server, true);
    assert!(s.capabilities().natural_language);
    let a = s
        .ask("Revenue by region?", &AskOptions::new())
        .await
        .unwrap();
    assert_eq!(a.conversation_id.as_deref(), Some("c1"));
    assert!(a.text.as_deref().unwrap().contains("EMEA leads."));
    assert!(a.sql.as_deref().unwrap().starts_with("SELECT region"));
    assert_eq!(a.result.unwrap().row_count, 3);
    // Without a space, ask is NotSupported and names the source.
    let err = source(&server, false)
        .ask("x", &AskOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_not_supported());
    assert!(err.to_string().contains("Databricks(main.sales)"), "{err}");
}

#[tokio::test]
async fn config_builds_a_databricks_source_without_leaking_the_token() {
    let server = MockServer::start().await;
    let yaml = format!(
        "provider: databricks\ndatabricks:\n  host: {}\n  token: dapi-secret\n  warehouse_id: wh1\n  catalog: main\n",
        server.uri()
    );
    let source = DataSourceConfig::from_yaml(&yaml)
        .unwrap()
        .build()
        .await
        .unwrap();
    assert_eq!(source.to_string(), "Databricks(main)");
    assert!(!format!("{source:?}").contains("dapi-secret"));
}

/// The `(region, total_revenue)` groups of a fake warehouse with `n` groups: the three named
/// regions, or `R00001`… for larger fakes.
fn fake_groups(n: usize) -> Vec<(String, String)> {
    if n == 3 {
        return [("EMEA", "300.00"), ("AMER", "200.00"), ("APAC", "100.00")]
            .iter()
            .map(|(r, v)| ((*r).to_string(), (*v).to_string()))
            .collect();
    }
    (1..=n)
        .map(|i| (format!("R{i:05}"), format!("{}.00", n + 1 - i)))
        .collect()
}

/// A fake warehouse for the conformance suite: answers `region`/`total_revenue` groups,
/// honours bound filter values, `LIMIT`, `OFFSET` and `row_limit` like the real service
/// (the manifest says `truncated` when `row_limit` cut rows).
struct FakeWarehouse {
    groups: usize,
}

impl wiremock::Respond for FakeWarehouse {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let sql = body["statement"].as_str().unwrap_or_default();
        let values: Vec<&str> = body["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter_map(|p| p["value"].as_str()).collect())
            .unwrap_or_default();
        let number = |pattern: &str| {
            regex::Regex::new(pattern)
                .ok()
                .and_then(|re| re.captures(sql))
                .and_then(|c| c.get(1))
                .and_then(|m| m.as_str().parse::<usize>().ok())
        };
        let mut rows: Vec<Value> = fake_groups(self.groups)
            .into_iter()
            .filter(|(region, _)| values.is_empty() || values.contains(&region.as_str()))
            .skip(number(r"OFFSET (\d+)").unwrap_or(0))
            .map(|(r, v)| json!([r, v]))
            .collect();
        if let Some(l) = number(r"LIMIT (\d+)") {
            rows.truncate(l);
        }
        let mut truncated = false;
        if let Some(l) = body["row_limit"].as_u64() {
            let l = usize::try_from(l).unwrap_or(usize::MAX);
            truncated = rows.len() > l;
            rows.truncate(l);
        }
        let mut answer = statement(
            json!([
                {"name": "region", "type_name": "STRING", "type_text": "STRING", "position": 0},
                {"name": "total_revenue", "type_name": "DECIMAL", "type_text": "DECIMAL(38,2)", "position": 1}
            ]),
            Value::Array(rows),
        );
        answer["manifest"]["truncated"] = json!(truncated);
        ResponseTemplate::new(200).set_body_json(answer)
    }
}

/// A server with the metric view, discovery, connection checks and a fake warehouse of
/// `groups` groups.
async fn mount_fake(server: &MockServer, groups: usize) {
    mount_table(server).await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/table-summaries"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "tables": [{"full_name": "main.sales.revenue_metrics", "table_type": "METRIC_VIEW"}]
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/preview/scim/v2/Me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"userName": "ana"})))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/warehouses/wh1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "wh1", "name": "S", "state": "RUNNING"})),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/catalogs/main"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"name": "main"})))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(FakeWarehouse { groups })
        .mount(server)
        .await;
}

/// The SQL of the last statement the server received.
async fn last_statement(server: &MockServer) -> String {
    let requests = server.received_requests().await.unwrap_or_default();
    let post = requests
        .iter()
        .rev()
        .find(|r| r.method.as_str() == "POST")
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap_or_default())
        .unwrap_or_default();
    post["statement"].as_str().unwrap_or_default().to_string()
}

/// Issue 13: 2,834 groups through `query_model` with the MCP shape (`limit` = cap = 100) came
/// back as 100 rows "not truncated". The SQL now asks for 101 and the result says truncated;
/// at exactly 100 groups it does not.
#[tokio::test]
async fn limit_equal_to_the_cap_reports_cut_groups() {
    for (groups, truncated) in [(2_834, true), (101, true), (100, false), (99, false)] {
        let server = MockServer::start().await;
        mount_fake(&server, groups).await;
        let s = source(&server, false);
        let q = SemanticQuery::new("revenue_metrics")
            .with_metrics(["total_revenue"])
            .with_dimensions(["region"])
            .with_limit(100);
        let r = s
            .query_model(&q, &QueryOptions::new().with_max_rows(100))
            .await
            .unwrap();
        assert_eq!(r.row_count, groups.min(100) as u64, "{groups} groups");
        assert_eq!(r.truncated, truncated, "{groups} groups");
        let sql = last_statement(&server).await;
        assert!(sql.ends_with("LIMIT 101"), "{sql}");
    }
}

/// The manifest's own `truncated` (the warehouse cut rows, e.g. at its byte limit) is kept even
/// when fewer rows than the cap came back.
#[tokio::test]
async fn a_server_side_cut_is_truncation_even_below_the_cap() {
    let server = MockServer::start().await;
    mount_table(&server).await;
    let mut answer = region_revenue();
    answer["manifest"]["truncated"] = json!(true);
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .mount(&server)
        .await;
    let s = source(&server, false);
    let q = SemanticQuery::new("revenue_metrics")
        .with_metrics(["total_revenue"])
        .with_dimensions(["region"]);
    let r = s.query_model(&q, &QueryOptions::new()).await.unwrap();
    assert_eq!((r.row_count, r.truncated), (3, true));
    let r = s
        .execute_sql(&SqlRequest::new("SELECT 1"), &QueryOptions::new())
        .await
        .unwrap();
    assert_eq!((r.row_count, r.truncated), (3, true));
}

#[cfg(feature = "conformance")]
#[tokio::test]
async fn conformance_suite_over_wiremock() {
    use datasource_model::conformance;
    use std::sync::Arc;

    let server = MockServer::start().await;
    mount_fake(&server, 3).await;
    let source: Arc<datasource_model::DynDataSource> = Arc::new(source(&server, false));
    // No time dimension / SQL in the fixture: the fake warehouse only knows one result shape.
    conformance::run_all(
        source,
        &conformance::Fixture::new(
            "main.sales.revenue_metrics",
            "total_revenue",
            "region",
            "EMEA",
        ),
    )
    .await;
}

/// Exact `truncated` with 2,834 groups: under the source's cap of 100 (the issue-13 case) and
/// without a source cap, at every boundary.
#[cfg(feature = "conformance")]
#[tokio::test]
async fn conformance_truncation_with_many_groups() {
    use datasource_model::conformance;
    use std::sync::Arc;

    let server = MockServer::start().await;
    mount_fake(&server, 2_834).await;
    let fixture = conformance::Fixture::new(
        "main.sales.revenue_metrics",
        "total_revenue",
        "region",
        "R00001",
    )
    .with_groups(2_834);
    let capped: Arc<datasource_model::DynDataSource> = Arc::new(source(&server, false));
    conformance::truncation(&capped, &fixture).await;
    let config = DatabricksConfig::new("wh1", "main")
        .with_host(server.uri())
        .with_token("dapi-test")
        .with_schema("sales");
    let uncapped: Arc<datasource_model::DynDataSource> =
        Arc::new(DatabricksSource::from_config(&config, None).unwrap());
    conformance::truncation(&uncapped, &fixture).await;
}
