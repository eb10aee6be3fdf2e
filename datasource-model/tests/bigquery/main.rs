//! The BigQuery provider over wiremock, answering in the discovery document's shapes:
//! `jobs.query` → `jobComplete: false` → `getQueryResults` polling and `pageToken` paging,
//! exact numbers, the cost guard, bound parameters, retries, and the conformance suite.

#![cfg(feature = "bigquery")]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use datasource_model::{
    BigQueryAuth, BigQueryConfig, BigQuerySource, DataSource, DataSourceConfig, DataSourceExt,
    DataType, Filter, ModelScope, QueryOptions, SemanticQuery, SqlParameter, SqlRequest,
    StatementState,
};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const PROJECT: &str = "proj-1";
const DATASET: &str = "sales";
const SAMPLE_MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/sample/models/revenue_metrics.yaml"
);

fn config(server: &MockServer) -> BigQueryConfig {
    BigQueryConfig::new(PROJECT, DATASET)
        .with_location("US")
        .with_endpoint(server.uri())
        .with_auth(BigQueryAuth::access_token("ya29.test"))
        .with_model_file(SAMPLE_MODEL)
}

fn source(_server: &MockServer, config: BigQueryConfig, max_rows: Option<u64>) -> BigQuerySource {
    BigQuerySource::from_config_with_retry_delay(&config, max_rows, Duration::from_millis(5))
        .unwrap()
}

fn field(name: &str, t: &str) -> Value {
    json!({"name": name, "type": t, "mode": "NULLABLE"})
}

async fn mount_tables(server: &MockServer) {
    let orders = json!({"kind": "bigquery#table", "tableReference": {"projectId": PROJECT, "datasetId": DATASET, "tableId": "orders"},
        "type": "TABLE", "schema": {"fields": [
            field("order_id", "INTEGER"), field("customer_id", "INTEGER"), field("order_date", "DATE"),
            field("channel", "STRING"), field("product_category", "STRING"), field("quantity", "INTEGER"),
            field("amount", "NUMERIC"), field("status", "STRING")]}});
    let customers = json!({"kind": "bigquery#table", "tableReference": {"projectId": PROJECT, "datasetId": DATASET, "tableId": "customers"},
        "type": "TABLE", "schema": {"fields": [
            field("customer_id", "INTEGER"), field("region", "STRING"), field("country", "STRING"), field("segment", "STRING")]}});
    for (name, body) in [("orders", orders), ("customers", customers)] {
        Mock::given(method("GET"))
            .and(path(format!(
                "/projects/{PROJECT}/datasets/{DATASET}/tables/{name}"
            )))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(server)
            .await;
    }
}

fn rows(values: &[Vec<Value>]) -> Value {
    Value::Array(
        values
            .iter()
            .map(|r| json!({"f": r.iter().map(|v| json!({"v": v})).collect::<Vec<_>>()}))
            .collect(),
    )
}

fn job_ref(id: &str) -> Value {
    json!({"projectId": PROJECT, "jobId": id, "location": "US"})
}

/// A job of the fake: schema, rows, and how often it was polled.
type FakeJob = (Value, Vec<Vec<Value>>, usize);

/// A fake BigQuery for the conformance suite. Every query first answers `jobComplete: false`;
/// the first `getQueryResults` poll answers `jobComplete: false` again, then the rows come one
/// per page with `pageToken`s (small results) or `maxResults` per page (large ones). Bound `@p`
/// values filter the regions; `LIMIT n` and `OFFSET n` are honoured. `groups` regions exist:
/// the three named ones, or `R00001`… for larger fakes.
struct FakeBigQuery {
    jobs: Mutex<HashMap<String, FakeJob>>,
    groups: usize,
}

impl FakeBigQuery {
    fn new(groups: usize) -> Self {
        Self {
            jobs: Mutex::default(),
            groups,
        }
    }

    fn answer(&self, body: &Value) -> (Value, Vec<Vec<Value>>) {
        let sql = body["query"].as_str().unwrap_or_default();
        let values: Vec<&str> = body["queryParameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter_map(|p| p["parameterValue"]["value"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
        let (schema, all): (Value, Vec<(String, String)>) = if sql.contains("order_date_year") {
            (
                json!({"fields": [field("order_date_year", "DATE"), field("total_revenue", "NUMERIC")]}),
                vec![pair("2024-01-01", "350.00"), pair("2025-01-01", "250.00")],
            )
        } else if self.groups == 3 {
            (
                json!({"fields": [field("region", "STRING"), field("total_revenue", "NUMERIC")]}),
                vec![
                    pair("EMEA", "300.00"),
                    pair("AMER", "200.00"),
                    pair("APAC", "100.00"),
                ],
            )
        } else {
            (
                json!({"fields": [field("region", "STRING"), field("total_revenue", "NUMERIC")]}),
                (1..=self.groups)
                    .map(|i| (format!("R{i:05}"), format!("{}.00", self.groups + 1 - i)))
                    .collect(),
            )
        };
        let number = |pattern: &str| {
            regex::Regex::new(pattern)
                .ok()
                .and_then(|re| re.captures(sql))
                .and_then(|c| c[1].parse::<usize>().ok())
        };
        let mut out: Vec<Vec<Value>> = all
            .iter()
            .filter(|(k, _)| values.is_empty() || values.contains(&k.as_str()))
            .skip(number(r"OFFSET (\d+)").unwrap_or(0))
            .map(|(k, v)| vec![json!(k), json!(v)])
            .collect();
        if let Some(l) = number(r"LIMIT (\d+)") {
            out.truncate(l);
        }
        (schema, out)
    }
}

impl wiremock::Respond for FakeBigQuery {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let url = request.url.path().to_string();
        if request.method.as_str() == "POST" {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
            assert_eq!(body["useLegacySql"], json!(false));
            assert_eq!(body["defaultDataset"]["datasetId"], json!(DATASET));
            let (schema, rows) = self.answer(&body);
            if body["dryRun"] == json!(true) {
                return ResponseTemplate::new(200).set_body_json(json!({
                    "kind": "bigquery#queryResponse", "jobComplete": true, "schema": schema,
                    "totalBytesProcessed": "2048", "cacheHit": false
                }));
            }
            let mut jobs = self.jobs.lock().unwrap();
            let id = format!("job_{}", jobs.len() + 1);
            jobs.insert(id.clone(), (schema, rows, 0));
            return ResponseTemplate::new(200).set_body_json(json!({
                "kind": "bigquery#queryResponse", "jobReference": job_ref(&id), "jobComplete": false
            }));
        }
        let id = url.rsplit('/').next().unwrap_or_default().to_string();
        let mut jobs = self.jobs.lock().unwrap();
        let Some((schema, rows, polls)) = jobs.get_mut(&id) else {
            return ResponseTemplate::new(404).set_body_json(json!({"error": {"code": 404,
                "message": format!("Not found: Job {PROJECT}:US.{id}"), "status": "NOT_FOUND",
                "errors": [{"reason": "notFound", "message": "Not found", "domain": "global"}]}}));
        };
        *polls += 1;
        if *polls == 1 {
            return ResponseTemplate::new(200).set_body_json(json!({
                "kind": "bigquery#getQueryResultsResponse", "jobReference": job_ref(&id), "jobComplete": false
            }));
        }
        let start: usize = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "pageToken")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        // One row per page exercises paging; large results page by `maxResults`.
        let size = if rows.len() <= 10 {
            1
        } else {
            request
                .url
                .query_pairs()
                .find(|(k, _)| k == "maxResults")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(1000)
        };
        let page: Vec<Vec<Value>> = rows.iter().skip(start).take(size).cloned().collect();
        let mut answer = json!({
            "kind": "bigquery#getQueryResultsResponse", "jobReference": job_ref(&id), "jobComplete": true,
            "schema": schema, "totalRows": rows.len().to_string(), "rows": self::rows(&page),
            "totalBytesProcessed": "2048", "cacheHit": false
        });
        if start + size < rows.len() {
            answer["pageToken"] = json!((start + size).to_string());
        }
        ResponseTemplate::new(200).set_body_json(answer)
    }
}

async fn mount_fake(server: &MockServer) {
    mount_fake_with(server, 3).await;
}

/// The fake with `groups` regions.
async fn mount_fake_with(server: &MockServer, groups: usize) {
    mount_tables(server).await;
    let fake = Arc::new(FakeBigQuery::new(groups));
    struct Shared(Arc<FakeBigQuery>);
    impl wiremock::Respond for Shared {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            self.0.respond(request)
        }
    }
    Mock::given(method("POST"))
        .and(path(format!("/projects/{PROJECT}/queries")))
        .respond_with(Shared(Arc::clone(&fake)))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(format!(
            r"^/projects/{PROJECT}/queries/[A-Za-z0-9_-]+$"
        )))
        .respond_with(Shared(fake))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/projects/{PROJECT}/datasets/{DATASET}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "kind": "bigquery#dataset", "datasetReference": {"projectId": PROJECT, "datasetId": DATASET}, "location": "US"
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/projects/{PROJECT}/datasets/{DATASET}/tables")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "kind": "bigquery#tableList", "totalItems": 2, "tables": [
                {"tableReference": {"projectId": PROJECT, "datasetId": DATASET, "tableId": "orders"}, "type": "TABLE"},
                {"tableReference": {"projectId": PROJECT, "datasetId": DATASET, "tableId": "customers"}, "type": "TABLE"}
            ]
        })))
        .mount(server)
        .await;
}

#[cfg(feature = "conformance")]
#[tokio::test]
async fn conformance_suite_over_wiremock() {
    use datasource_model::conformance;
    let server = MockServer::start().await;
    mount_fake(&server).await;
    let source: Arc<datasource_model::DynDataSource> =
        Arc::new(source(&server, config(&server), None));
    conformance::run_all(
        source,
        &conformance::Fixture::new("revenue_metrics", "total_revenue", "region", "EMEA")
            .with_time_dimension("order_date")
            .with_sql("SELECT region, country FROM customers ORDER BY customer_id"),
    )
    .await;
}

/// Exact `truncated` with 2,834 groups, with and without a source cap, at every boundary.
#[cfg(feature = "conformance")]
#[tokio::test]
async fn conformance_truncation_with_many_groups() {
    use datasource_model::conformance;
    let server = MockServer::start().await;
    mount_fake_with(&server, 2_834).await;
    let fixture = conformance::Fixture::new("revenue_metrics", "total_revenue", "region", "R00001")
        .with_groups(2_834);
    for cap in [Some(100), None] {
        let source: Arc<datasource_model::DynDataSource> =
            Arc::new(source(&server, config(&server), cap));
        conformance::truncation(&source, &fixture).await;
    }
}

/// Issue 13's shape (`limit` = cap = 100): the SQL asks for 101 rows and the result says
/// truncated exactly when more than 100 groups exist.
#[tokio::test]
async fn limit_equal_to_the_cap_reports_cut_groups() {
    for (groups, truncated) in [(2_834, true), (101, true), (100, false), (99, false)] {
        let server = MockServer::start().await;
        mount_fake_with(&server, groups).await;
        let s = source(&server, config(&server), Some(100));
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
        assert!(r.sql.as_deref().unwrap_or_default().ends_with("LIMIT 101"));
    }
}

#[tokio::test]
async fn describe_enriches_declared_members_with_column_types() {
    let server = MockServer::start().await;
    mount_fake(&server).await;
    let s = source(&server, config(&server), None);
    let d = s.describe_model("revenue_metrics").await.unwrap();
    let region = d.dimension("region").unwrap();
    assert_eq!(region.data_type, DataType::String);
    assert_eq!(region.raw_type.as_deref(), Some("STRING"));
    let day = d.dimension("order_date").unwrap();
    assert!(day.is_time);
    assert_eq!(day.data_type, DataType::Date);
    let rev = d.metric("total_revenue").unwrap();
    assert_eq!(rev.raw_type.as_deref(), Some("NUMERIC"));
    assert_eq!(
        d.metric("order_count").unwrap().data_type,
        DataType::Integer
    );
    let models = s.list_models(&ModelScope::new()).await.unwrap();
    assert_eq!(models[0].catalog.as_deref(), Some(PROJECT));
    assert_eq!(models[0].schema.as_deref(), Some(DATASET));
}

fn page(rows_: &[Vec<Value>], token: Option<&str>, schema: Value) -> Value {
    let mut v = json!({
        "kind": "bigquery#getQueryResultsResponse", "jobReference": job_ref("job_pages"), "jobComplete": true,
        "schema": schema, "totalRows": "7", "rows": rows(rows_)
    });
    if let Some(t) = token {
        v["pageToken"] = json!(t);
    }
    v
}

#[tokio::test]
async fn three_pages_exact_count_and_exact_numbers() {
    let server = MockServer::start().await;
    let schema = json!({"fields": [field("id", "INT64"), field("amount", "NUMERIC"), field("ts", "TIMESTAMP")]});
    let r = |id: &str, amount: &str| vec![json!(id), json!(amount), json!("1.7145576001234E9")];
    let mut first = page(
        &[
            r(
                "9007199254740993",
                "12345678901234567890123456789.123456789",
            ),
            r("2", "1.5"),
        ],
        Some("t2"),
        schema.clone(),
    );
    first["kind"] = json!("bigquery#queryResponse");
    Mock::given(method("POST"))
        .and(path(format!("/projects/{PROJECT}/queries")))
        .and(body_partial_json(
            json!({"useLegacySql": false, "location": "US", "maxResults": 10000}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(first))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/projects/{PROJECT}/queries/job_pages")))
        .and(query_param("pageToken", "t2"))
        .and(query_param("location", "US"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            &[r("3", "3"), r("4", "4"), r("5", "5")],
            Some("t3"),
            schema.clone(),
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/projects/{PROJECT}/queries/job_pages")))
        .and(query_param("pageToken", "t3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            &[
                r("6", "6"),
                r(
                    "-9223372036854775808",
                    "-0.00000000000000000000000000000000000001",
                ),
            ],
            None,
            schema,
        )))
        .expect(1)
        .mount(&server)
        .await;
    let s = source(&server, config(&server), None);
    let result = s.sql("SELECT id, amount, ts FROM t").await.unwrap();
    assert_eq!(result.row_count, 7);
    assert!(!result.truncated);
    assert_eq!(result.stats.total_rows, Some(7));
    assert_eq!(result.query_id.as_deref(), Some("proj-1:US.job_pages"));
    assert_eq!(result.rows[0][0], json!("9007199254740993"));
    assert_eq!(
        result.rows[0][1],
        json!("12345678901234567890123456789.123456789")
    );
    assert_eq!(result.rows[1][0], json!(2));
    assert_eq!(result.rows[6][0], json!("-9223372036854775808"));
    // 38 significant digits, kept exactly.
    assert_eq!(
        result.rows[6][1],
        json!("-0.00000000000000000000000000000000000001")
    );
    assert_eq!(result.rows[0][2], json!("2024-05-01T10:00:00.123400Z"));
    assert_eq!(result.columns[1].data_type, DataType::Decimal);
    assert_eq!(result.columns[2].data_type, DataType::Timestamp);
}

#[tokio::test]
async fn a_row_cap_stops_paging_and_truncated_is_exact() {
    let server = MockServer::start().await;
    let schema = json!({"fields": [field("n", "INT64")]});
    let mut first = json!({"kind": "bigquery#queryResponse", "jobReference": job_ref("job_cap"), "jobComplete": true,
        "schema": schema, "totalRows": "100", "rows": rows(&[vec![json!("1")], vec![json!("2")]]), "pageToken": "next"});
    first["totalBytesProcessed"] = json!("10");
    Mock::given(method("POST"))
        .and(path(format!("/projects/{PROJECT}/queries")))
        .and(body_partial_json(json!({"maxResults": 3})))
        .respond_with(ResponseTemplate::new(200).set_body_json(first))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/projects/{PROJECT}/queries/job_cap")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"jobComplete": true,
            "jobReference": job_ref("job_cap"), "schema": {"fields": [field("n", "INT64")]},
            "rows": rows(&[vec![json!("3")], vec![json!("4")]]), "pageToken": "more"})),
        )
        // One second page per query (the cap needs one row beyond it), never a third.
        .expect(2)
        .mount(&server)
        .await;
    let s = source(&server, config(&server), Some(2));
    let r = s.sql("SELECT n FROM t").await.unwrap();
    assert_eq!(r.row_count, 2);
    assert!(r.truncated);
    let r = s
        .execute_sql(
            &SqlRequest::new("SELECT n FROM t"),
            &QueryOptions::new().with_max_rows(3),
        )
        .await
        .unwrap();
    // Cap 2 from the source wins over 3.
    assert_eq!(r.row_count, 2);
}

#[tokio::test]
async fn cost_guard_dry_run_estimate_and_bytes_billed_failure() {
    let server = MockServer::start().await;
    mount_tables(&server).await;
    Mock::given(method("POST"))
        .and(path(format!("/projects/{PROJECT}/queries")))
        .and(body_partial_json(
            json!({"dryRun": true, "maximumBytesBilled": "1000000"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "kind": "bigquery#queryResponse", "jobComplete": true, "totalBytesProcessed": "5000000",
            "schema": {"fields": [field("region", "STRING")]}
        })))
        .expect(2)
        .mount(&server)
        .await;
    let cfg = config(&server).with_maximum_bytes_billed(1_000_000);
    let s = source(&server, cfg, None);
    let q = SemanticQuery::new("revenue_metrics")
        .with_metrics(["total_revenue"])
        .with_dimensions(["region"]);
    let err = s.query_model(&q, &QueryOptions::new()).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("5000000") && text.contains("1000000"),
        "{text}"
    );
    assert!(text.contains("maximum_bytes_billed"), "{text}");
    assert!(err.is_invalid_query());
    // A dry run reports the estimate without running anything.
    let r = s
        .query_model(&q, &QueryOptions::new().with_dry_run(true))
        .await
        .unwrap_err();
    assert!(r.to_string().contains("5000000"));

    // Under the cap: the estimate is in the stats and the job carries maximumBytesBilled.
    let server = MockServer::start().await;
    mount_tables(&server).await;
    Mock::given(method("POST"))
        .and(path(format!("/projects/{PROJECT}/queries")))
        .and(body_partial_json(json!({"dryRun": true})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "jobComplete": true, "totalBytesProcessed": "4096", "schema": {"fields": [field("region", "STRING")]}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/projects/{PROJECT}/queries")))
        .and(body_partial_json(json!({"maximumBytesBilled": "1000000"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "jobComplete": true, "jobReference": job_ref("job_ok"), "totalBytesProcessed": "4096",
            "schema": {"fields": [field("region", "STRING"), field("total_revenue", "NUMERIC")]},
            "rows": rows(&[vec![json!("EMEA"), json!("1.00")]]), "totalRows": "1"
        })))
        .mount(&server)
        .await;
    let s = source(
        &server,
        config(&server).with_maximum_bytes_billed(1_000_000),
        None,
    );
    let dry = s
        .query_model(&q, &QueryOptions::new().with_dry_run(true))
        .await
        .unwrap();
    assert_eq!(dry.stats.estimated_bytes, Some(4096));
    assert_eq!(dry.row_count, 0);
    let r = s.query_model(&q, &QueryOptions::new()).await.unwrap();
    assert_eq!(r.stats.estimated_bytes, Some(4096));
    assert_eq!(r.stats.bytes_scanned, Some(4096));
    assert_eq!(r.rows[0][1], json!("1.00"));

    // The server's own bytes-billed refusal is typed with reason and message.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/projects/{PROJECT}/queries")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {"code": 400,
            "message": "Query exceeded limit for bytes billed: 1000000. 10485760 or higher required.",
            "status": "INVALID_ARGUMENT",
            "errors": [{"reason": "bytesBilledLimitExceeded", "domain": "global",
                "message": "Query exceeded limit for bytes billed: 1000000. 10485760 or higher required."}]}})))
        .mount(&server)
        .await;
    let s = source(&server, config(&server), None);
    let err = s.sql("SELECT 1").await.unwrap_err();
    assert!(err.is_invalid_query());
    assert!(
        err.to_string().contains("bytesBilledLimitExceeded"),
        "{err}"
    );
    assert!(err.to_string().contains("10485760"), "{err}");
}

#[tokio::test]
async fn injection_shaped_values_are_typed_named_parameters() {
    let server = MockServer::start().await;
    mount_tables(&server).await;
    let seen = Arc::new(Mutex::new(Vec::<Value>::new()));
    struct Record(Arc<Mutex<Vec<Value>>>);
    impl wiremock::Respond for Record {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            let mut body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
            // requestId is a fresh UUID per call; it is checked, then fixed for the snapshot.
            let present = body["requestId"].as_str().is_some_and(|id| !id.is_empty());
            body["requestId"] = json!(if present { "<request id>" } else { "<missing>" });
            self.0.lock().unwrap().push(body);
            ResponseTemplate::new(200).set_body_json(json!({"jobComplete": true,
                "jobReference": job_ref("job_inj"), "schema": {"fields": [field("region", "STRING")]},
                "totalRows": "0"}))
        }
    }
    Mock::given(method("POST"))
        .and(path(format!("/projects/{PROJECT}/queries")))
        .respond_with(Record(Arc::clone(&seen)))
        .mount(&server)
        .await;
    let s = source(&server, config(&server).with_label("team", "bi"), Some(50));
    let q = SemanticQuery::new("revenue_metrics")
        .with_metrics(["total_revenue"])
        .with_dimensions(["region"])
        .with_filter(Filter::in_list(
            "region",
            ["x' OR '1'='1", "x\"; DROP TABLE t; --", "x`) --", "@p1"],
        ))
        .with_filter(Filter::gt("order_date", "2025-01-01"))
        .with_limit(10);
    let r = s.query_model(&q, &QueryOptions::new()).await.unwrap();
    assert_eq!(r.row_count, 0);
    let sql = r.sql.unwrap_or_default();
    for v in ["OR '1'='1", "DROP TABLE", "x`)"] {
        assert!(!sql.contains(v), "spliced: {sql}");
    }
    s.execute_sql(
        &SqlRequest::new(
            "SELECT region FROM customers WHERE region = @region AND customer_id > @n",
        )
        .with_parameter(SqlParameter::new("region", "'; DELETE FROM customers; --"))
        .with_parameter(SqlParameter::typed(
            "n",
            Some("9007199254740993".into()),
            DataType::Integer,
        )),
        &QueryOptions::new().with_request_id("ignored-for-snapshot"),
    )
    .await
    .unwrap();
    let bodies = seen.lock().unwrap().clone();
    insta::assert_json_snapshot!("injection_query_model_request", bodies[0]);
    insta::assert_json_snapshot!("injection_execute_sql_request", bodies[1]);
}

#[tokio::test]
async fn retryable_backend_error_then_success_reuses_the_request_id() {
    let server = MockServer::start().await;
    let ids = Arc::new(Mutex::new(Vec::<String>::new()));
    struct Flaky(Arc<Mutex<Vec<String>>>);
    impl wiremock::Respond for Flaky {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
            let mut ids = self.0.lock().unwrap();
            ids.push(body["requestId"].as_str().unwrap_or_default().to_string());
            if ids.len() == 1 {
                return ResponseTemplate::new(503).set_body_json(json!({"error": {"code": 503,
                    "message": "Error encountered during execution. Retrying may solve the problem.",
                    "status": "UNAVAILABLE",
                    "errors": [{"reason": "backendError", "domain": "global",
                        "message": "Error encountered during execution. Retrying may solve the problem."}]}}));
            }
            ResponseTemplate::new(200).set_body_json(json!({"jobComplete": true,
                "jobReference": job_ref("job_retry"), "schema": {"fields": [field("one", "INT64")]},
                "rows": rows(&[vec![json!("1")]]), "totalRows": "1"}))
        }
    }
    Mock::given(method("POST"))
        .and(path(format!("/projects/{PROJECT}/queries")))
        .respond_with(Flaky(Arc::clone(&ids)))
        .expect(2)
        .mount(&server)
        .await;
    let s = source(&server, config(&server), None);
    let r = s.sql("SELECT 1 AS one").await.unwrap();
    assert_eq!(r.rows, vec![vec![json!(1)]]);
    let ids = ids.lock().unwrap().clone();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1], "a retry reuses the requestId");
}

#[tokio::test]
async fn non_retryable_errors_are_typed_with_reason_and_location() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/projects/{PROJECT}/queries")))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"error": {"code": 400,
            "message": "Unrecognized name: regoin at [1:8]", "status": "INVALID_ARGUMENT",
            "errors": [{"reason": "invalidQuery", "location": "q", "domain": "global",
                "message": "Unrecognized name: regoin at [1:8]"}]}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let s = source(&server, config(&server), None);
    let err = s.sql("SELECT regoin FROM customers").await.unwrap_err();
    assert!(err.is_invalid_query(), "{err}");
    assert!(!err.is_retryable());
    let text = err.to_string();
    assert!(
        text.contains("reason invalidQuery") && text.contains("(at q)"),
        "{text}"
    );
    assert!(text.contains("Unrecognized name: regoin"), "{text}");
}

#[tokio::test]
async fn timeouts_name_the_job_then_get_statement_and_cancel_use_it() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/projects/{PROJECT}/queries")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "kind": "bigquery#queryResponse", "jobReference": job_ref("job_slow"), "jobComplete": false})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/projects/{PROJECT}/queries/job_slow")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_millis(30))
                .set_body_json(json!({
            "jobReference": job_ref("job_slow"), "jobComplete": false})),
        )
        .mount(&server)
        .await;
    let s = source(&server, config(&server), None);
    let err = s
        .execute_sql(
            &SqlRequest::new("SELECT 1"),
            &QueryOptions::new().with_timeout_ms(20),
        )
        .await
        .unwrap_err();
    let datasource_model::Error::Timeout { query_id, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(query_id.as_deref(), Some("proj-1:US.job_slow"));

    Mock::given(method("GET"))
        .and(path(format!("/projects/{PROJECT}/jobs/job_slow")))
        .and(query_param("location", "US"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"kind": "bigquery#job",
            "jobReference": job_ref("job_slow"), "status": {"state": "RUNNING"}})),
        )
        .mount(&server)
        .await;
    let st = s.get_statement("proj-1:US.job_slow").await.unwrap();
    assert_eq!(st.state, StatementState::Running);
    Mock::given(method("POST"))
        .and(path(format!("/projects/{PROJECT}/jobs/job_slow/cancel")))
        .and(query_param("location", "US"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"kind": "bigquery#jobCancelResponse",
            "job": {"jobReference": job_ref("job_slow"), "status": {"state": "RUNNING"}}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    s.cancel("proj-1:US.job_slow").await.unwrap();

    Mock::given(method("GET"))
        .and(path(format!("/projects/{PROJECT}/jobs/job_failed")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"kind": "bigquery#job",
            "jobReference": job_ref("job_failed"), "status": {"state": "DONE",
            "errorResult": {"reason": "invalidQuery", "location": "query", "message": "Syntax error"}}})))
        .mount(&server)
        .await;
    let st = s.get_statement("job_failed").await.unwrap();
    assert_eq!(st.state, StatementState::Failed);
    assert!(st.error.unwrap_or_default().contains("Syntax error"));
}

#[tokio::test]
async fn local_and_bigquery_configs_serve_the_same_revenue_metrics_yaml() {
    let server = MockServer::start().await;
    mount_fake(&server).await;
    let local = DataSourceConfig::from_yaml(&format!(
        "provider: local\nlocal:\n  sample: false\n  tables:\n    - {{name: orders, path: {dir}/data/sample/orders.csv}}\n    - {{name: customers, path: {dir}/data/sample/customers.csv}}\n  models:\n    - {{path: {SAMPLE_MODEL}}}\n",
        dir = env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .build()
    .await
    .unwrap();
    let bq = DataSourceConfig::from_yaml(&format!(
        "provider: bigquery\nbigquery:\n  projectId: {PROJECT}\n  dataset: {DATASET}\n  location: US\n  endpoint: {}\n  auth: {{type: access_token, token: ya29.test}}\n  models:\n    - path: {SAMPLE_MODEL}\n",
        server.uri()
    ))
    .unwrap()
    .build()
    .await
    .unwrap();
    let l = local.describe_model("revenue_metrics").await.unwrap();
    let b = bq.describe_model("revenue_metrics").await.unwrap();
    assert_eq!(l.dimension_names(), b.dimension_names());
    assert_eq!(l.metric_names(), b.metric_names());
    assert_eq!(l.description, b.description);
    assert_eq!(l.native, b.native);
    for d in &l.dimensions {
        let other = b.dimension(&d.name).unwrap();
        assert_eq!(d.data_type, other.data_type, "{}", d.name);
        assert_eq!(d.is_time, other.is_time, "{}", d.name);
    }
    let q = SemanticQuery::new("revenue_metrics")
        .with_metrics(["total_revenue"])
        .with_dimensions(["region"]);
    assert!(
        local
            .query_model(&q, &QueryOptions::new())
            .await
            .unwrap()
            .row_count
            >= 2
    );
    assert_eq!(
        bq.query_model(&q, &QueryOptions::new())
            .await
            .unwrap()
            .row_count,
        3
    );
}

#[test]
fn the_kagent_child_config_is_accepted_by_the_loader() {
    use datasource_model::kubernetes::{DataSourceResource, tool_server_manifests};
    let ds = DataSourceResource::from_yaml(
        "metadata: {name: sales, namespace: bi}\nspec:\n  provider: BigQuery\n  bigquery:\n    projectId: my-gcp-project\n    dataset: sales\n    location: EU\n    credentialsSecretRef: {name: bigquery-sa-key}\n",
    )
    .unwrap();
    let manifests = tool_server_manifests(&ds, &["revenue_metrics".to_owned()]).unwrap();
    let config_map = manifests
        .iter()
        .find(|m| m["kind"] == "ConfigMap")
        .expect("a ConfigMap with the provider config");
    let document = config_map["data"]["datasource.yaml"]
        .as_str()
        .expect("the config file text");
    // The real loader (the one `datasource-mcp-server --config` uses) accepts it.
    let config = DataSourceConfig::from_yaml(document).unwrap();
    assert_eq!(config.provider, datasource_model::Provider::BigQuery);
    let bq = config.bigquery.as_ref().unwrap();
    assert_eq!(bq.project_id, "my-gcp-project");
    assert_eq!(bq.dataset, "sales");
    assert_eq!(bq.location.as_deref(), Some("EU"));
    // No auth block: Application Default Credentials, i.e. GOOGLE_APPLICATION_CREDENTIALS,
    // which the child sets to the mounted key file.
    assert!(matches!(bq.auth, BigQueryAuth::ApplicationDefault { .. }));
    let text = serde_json::to_string(&manifests).unwrap();
    assert!(
        text.contains("GOOGLE_APPLICATION_CREDENTIALS"),
        "the child must point ADC at the key file"
    );
}
