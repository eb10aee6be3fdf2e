//! The platform toolset end to end through the `Registry`, against wiremock.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use databricks_client::{BackoffConfig, Config, RetryConfig, WorkspaceClient};
use mcp_tools::{
    PlatformToolset, PlatformToolsetOptions, Progress, ProgressSink, Registry, ToolContext,
    ToolError, ToolOutput, WaitPolicy,
};
use serde_json::{Value, json};
use wiremock::matchers::{any, body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn client(server: &MockServer) -> WorkspaceClient {
    let config = Config::builder()
        .host(server.uri())
        .token("dapi-test")
        .retry_config(
            RetryConfig::default().with_max_retries(2).with_backoff(
                BackoffConfig::default()
                    .with_initial(Duration::from_millis(1))
                    .with_max(Duration::from_millis(5)),
            ),
        )
        .build()
        .expect("config");
    WorkspaceClient::new(config).expect("client")
}

fn options() -> PlatformToolsetOptions {
    PlatformToolsetOptions::new()
        .with_warehouse_id("wh-123")
        .with_wait(
            WaitPolicy::new()
                .with_max_wait(Duration::from_secs(30))
                .with_intervals(Duration::from_millis(1), Duration::from_millis(5)),
        )
}

fn registry(server: &MockServer, opts: PlatformToolsetOptions, read_only: bool) -> Registry {
    Registry::builder()
        .toolset(Arc::new(PlatformToolset::new(client(server), opts)))
        .read_only(read_only)
        .build()
        .expect("registry")
}

async fn call(reg: &Registry, name: &str, args: Value) -> ToolOutput {
    reg.call(name, args, ToolContext::new())
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn structured(out: &ToolOutput) -> &Value {
    assert!(!out.is_error, "unexpected isError: {}", out.text);
    out.structured.as_ref().expect("structured content")
}

async fn catch_all(server: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error_code": "ENDPOINT_NOT_FOUND",
            "message": "this test did not expect the request route"
        })))
        .with_priority(u8::MAX)
        .mount(server)
        .await;
}

async fn requests_to(server: &MockServer, m: &str, p: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == m && r.url.path() == p)
        .collect()
}

fn body(r: &Request) -> Value {
    serde_json::from_slice(&r.body).expect("JSON body")
}

fn catalog_json(name: &str) -> Value {
    json!({
        "name": name, "full_name": name, "owner": "platform-sp", "catalog_type": "MANAGED_CATALOG",
        "metastore_id": "11111111-2222-3333-4444-555555555555",
        "created_at": 1700000000000i64, "created_by": "platform-sp", "comment": "tenant acme",
        "isolation_mode": "OPEN"
    })
}

#[tokio::test]
async fn create_catalog_is_idempotent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.1/unity-catalog/catalogs"))
        .and(body_partial_json(json!({"name": "tenant_acme"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(catalog_json("tenant_acme")))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.1/unity-catalog/catalogs"))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({
            "error_code": "CATALOG_ALREADY_EXISTS",
            "message": "Catalog 'tenant_acme' already exists"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/catalogs/tenant_acme"))
        .respond_with(ResponseTemplate::new(200).set_body_json(catalog_json("tenant_acme")))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let reg = registry(
        &server,
        options().with_storage_root("s3://bucket/tenants"),
        false,
    );
    let out = call(
        &reg,
        "create_catalog",
        json!({"tenant_id": "acme", "comment": "tenant acme"}),
    )
    .await;
    let s = structured(&out);
    assert_eq!(s["name"], "tenant_acme");
    assert_eq!(s["created"], true);
    assert_eq!(s["owner"], "platform-sp");
    let posts = requests_to(&server, "POST", "/api/2.1/unity-catalog/catalogs").await;
    insta::assert_json_snapshot!("create_catalog_request", body(&posts[0]));

    let out = call(&reg, "create_catalog", json!({"tenant_id": "acme"})).await;
    let s = structured(&out);
    assert_eq!(s["created"], false);
    assert_eq!(s["exists"], true);
    assert!(out.text.contains("already exists"), "{}", out.text);
}

#[tokio::test]
async fn unsafe_tenant_ids_are_rejected_before_any_request() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let reg = registry(&server, options(), false);
    for bad in ["Acme", "acme; DROP CATALOG x", "a`b", "../x", "", "acme-1"] {
        let err = reg
            .call(
                "create_catalog",
                json!({"tenant_id": bad}),
                ToolContext::new(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, ToolError::InvalidParams { .. }),
            "{bad}: {err}"
        );
        assert!(err.to_string().contains("tenant_id"), "{err}");
        let out = err.into_output().unwrap();
        assert!(out.is_error);
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn get_catalog_status_reports_missing_catalogs_as_data() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/catalogs/tenant_acme"))
        .respond_with(ResponseTemplate::new(200).set_body_json(catalog_json("tenant_acme")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/catalogs/tenant_ghost"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error_code": "CATALOG_DOES_NOT_EXIST",
            "message": "Catalog 'tenant_ghost' does not exist."
        })))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let reg = registry(&server, options(), true);
    let out = call(&reg, "get_catalog_status", json!({"tenant_id": "acme"})).await;
    let s = structured(&out);
    assert_eq!(s["exists"], true);
    assert_eq!(s["created_at"], 1700000000000i64);
    let out = call(&reg, "get_catalog_status", json!({"tenant_id": "ghost"})).await;
    let s = structured(&out);
    assert_eq!(s["exists"], false);
    assert_eq!(s["name"], "tenant_ghost");
    assert!(out.text.contains("create_catalog"), "{}", out.text);
}

async fn mount_provisioning(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/api/2.1/unity-catalog/schemas"))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({
            "error_code": "SCHEMA_ALREADY_EXISTS",
            "message": "Schema 'datasets' already exists"
        })))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.1/unity-catalog/volumes"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "catalog_name": "tenant_acme", "schema_name": "datasets", "name": "uploads",
            "full_name": "tenant_acme.datasets.uploads", "volume_type": "MANAGED",
            "volume_id": "v-1", "storage_location": "s3://bucket/v-1", "owner": "platform-sp"
        })))
        .mount(server)
        .await;
    Mock::given(method("PUT"))
        .and(path(
            "/api/2.0/fs/files/Volumes/tenant_acme/datasets/uploads/sales.csv",
        ))
        .respond_with(ResponseTemplate::new(204))
        .mount(server)
        .await;
}

#[tokio::test]
async fn upload_dataset_file_uploads_and_creates_a_table() {
    let server = MockServer::start().await;
    mount_provisioning(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": "01ef-ctas",
            "status": {"state": "SUCCEEDED"},
            "manifest": {
                "format": "JSON_ARRAY",
                "schema": {"column_count": 2, "columns": [
                    {"name": "num_affected_rows", "type_text": "BIGINT", "type_name": "LONG", "position": 0},
                    {"name": "num_inserted_rows", "type_text": "BIGINT", "type_name": "LONG", "position": 1}
                ]},
                "total_chunk_count": 1, "total_row_count": 1, "truncated": false,
                "chunks": [{"chunk_index": 0, "row_offset": 0, "row_count": 1}]
            },
            "result": {"chunk_index": 0, "row_offset": 0, "row_count": 1, "data_array": [["2", "2"]]}
        })))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let reg = registry(&server, options(), false);
    let csv = "id,amount\n1,9.5\n2,3.0\n";
    let out = call(
        &reg,
        "upload_dataset_file",
        json!({
            "tenant_id": "acme", "dataset_name": "sales",
            "content_base64": base64::engine::general_purpose::STANDARD.encode(csv),
            "file_format": "csv"
        }),
    )
    .await;
    let s = structured(&out);
    assert_eq!(s["table_path"], "tenant_acme.datasets.sales");
    assert_eq!(
        s["volume_path"],
        "/Volumes/tenant_acme/datasets/uploads/sales.csv"
    );
    assert_eq!(s["bytes"], csv.len());

    let put = requests_to(
        &server,
        "PUT",
        "/api/2.0/fs/files/Volumes/tenant_acme/datasets/uploads/sales.csv",
    )
    .await;
    assert_eq!(put.len(), 1);
    assert_eq!(put[0].body, csv.as_bytes());
    assert_eq!(put[0].url.query(), Some("overwrite=false"));
    let schema = requests_to(&server, "POST", "/api/2.1/unity-catalog/schemas").await;
    assert_eq!(
        body(&schema[0]),
        json!({"catalog_name": "tenant_acme", "name": "datasets"})
    );
    let volume = requests_to(&server, "POST", "/api/2.1/unity-catalog/volumes").await;
    insta::assert_json_snapshot!("upload_dataset_volume_request", body(&volume[0]));
    let stmt = requests_to(&server, "POST", "/api/2.0/sql/statements").await;
    insta::assert_json_snapshot!("upload_dataset_statement_request", body(&stmt[0]));
}

#[tokio::test]
async fn upload_dataset_file_reports_a_failed_statement_with_the_fix() {
    let server = MockServer::start().await;
    mount_provisioning(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": "01ef-bad",
            "status": {"state": "FAILED", "error": {
                "error_code": "BAD_REQUEST",
                "message": "[UNABLE_TO_INFER_SCHEMA] Unable to infer schema for CSV. It must be specified manually."
            }, "sql_state": "42KD9"}
        })))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let reg = registry(&server, options(), false);
    let out = call(
        &reg,
        "upload_dataset_file",
        json!({"tenant_id": "acme", "dataset_name": "sales", "content_text": "garbage", "file_format": "csv"}),
    )
    .await;
    assert!(out.is_error);
    assert!(out.text.contains("UNABLE_TO_INFER_SCHEMA"), "{}", out.text);
    assert!(out.text.contains("overwrite: true"), "{}", out.text);
    assert!(out.text.contains("header row"), "{}", out.text);

    // Without a warehouse the operator's fix is named, and nothing is uploaded.
    let reg = registry(&server, PlatformToolsetOptions::new(), false);
    let out = call(
        &reg,
        "upload_dataset_file",
        json!({"tenant_id": "acme", "dataset_name": "x", "content_text": "a\n1\n", "file_format": "csv"}),
    )
    .await;
    assert!(
        out.is_error && out.text.contains("warehouse"),
        "{}",
        out.text
    );
    // Parquet must come as base64.
    let err = reg
        .call(
            "upload_dataset_file",
            json!({"tenant_id": "acme", "dataset_name": "x", "content_text": "PAR1", "file_format": "parquet"}),
            ToolContext::new(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("content_base64"), "{err}");
}

fn rows_response() -> Value {
    json!({
        "statement_id": "01ef-q",
        "status": {"state": "SUCCEEDED"},
        "manifest": {
            "format": "JSON_ARRAY",
            "schema": {"column_count": 2, "columns": [
                {"name": "id", "type_text": "BIGINT", "type_name": "LONG", "position": 0},
                {"name": "amount", "type_text": "DOUBLE", "type_name": "DOUBLE", "position": 1}
            ]},
            "total_chunk_count": 1, "total_row_count": 3, "truncated": false,
            "chunks": [{"chunk_index": 0, "row_offset": 0, "row_count": 3}]
        },
        "result": {"chunk_index": 0, "row_offset": 0, "row_count": 3,
                   "data_array": [["1", "9.5"], ["2", "3.0"], ["3", null]]}
    })
}

#[tokio::test]
async fn query_dataset_reads_and_guards_sql() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(ResponseTemplate::new(200).set_body_json(rows_response()))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let reg = registry(
        &server,
        options().with_limits(mcp_tools::ResultLimits::new().with_max_rows(2)),
        true,
    );
    let out = call(
        &reg,
        "query_dataset",
        json!({"tenant_id": "acme", "dataset_name": "sales"}),
    )
    .await;
    // execute_dbsql's implementation and result shape: the table under `result`, cells as
    // the warehouse's JSON_ARRAY text.
    let s = structured(&out);
    assert_eq!(s["state"], "SUCCEEDED");
    assert_eq!(s["statement_id"], "01ef-q");
    assert_eq!(s["result"]["row_count"], 2);
    assert_eq!(s["result"]["truncated"], true);
    assert_eq!(s["result"]["columns"][0]["name"], "id");
    assert_eq!(s["result"]["rows"][0], json!(["1", "9.5"]));
    let stmt = requests_to(&server, "POST", "/api/2.0/sql/statements").await;
    insta::assert_json_snapshot!("query_dataset_request", body(&stmt[0]));

    let out = call(
        &reg,
        "query_dataset",
        json!({"tenant_id": "acme", "sql": "SELECT id, sum(amount) FROM sales GROUP BY id"}),
    )
    .await;
    assert!(!out.is_error, "{}", out.text);

    for (sql, needle) in [
        ("DROP TABLE sales", "DROP"),
        ("SELECT * FROM tenant_other.datasets.sales", "tenant_other"),
        (
            "SELECT * FROM read_files('/Volumes/tenant_other/x')",
            "read_files",
        ),
    ] {
        let out = call(
            &reg,
            "query_dataset",
            json!({"tenant_id": "acme", "sql": sql}),
        )
        .await;
        assert!(out.is_error, "{sql}");
        assert!(out.text.contains(needle), "{sql}: {}", out.text);
    }
    assert_eq!(
        requests_to(&server, "POST", "/api/2.0/sql/statements")
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn create_notebook_imports_under_the_tenant_folder() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/workspace/mkdirs"))
        .and(body_partial_json(
            json!({"path": "/Shared/tenants/acme/etl"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/workspace/import"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let reg = registry(&server, options(), false);
    let out = call(
        &reg,
        "create_notebook",
        json!({"tenant_id": "acme", "notebook": "etl/daily", "content": "SELECT 1", "language": "sql"}),
    )
    .await;
    let s = structured(&out);
    assert_eq!(s["path"], "/Shared/tenants/acme/etl/daily");
    assert_eq!(s["language"], "SQL");
    let import = requests_to(&server, "POST", "/api/2.0/workspace/import").await;
    let b = body(&import[0]);
    assert_eq!(b["path"], "/Shared/tenants/acme/etl/daily");
    assert_eq!(b["format"], "SOURCE");
    assert_eq!(b["language"], "SQL");
    assert_eq!(
        b["content"],
        base64::engine::general_purpose::STANDARD.encode("SELECT 1")
    );
    let err = reg
        .call(
            "create_notebook",
            json!({"tenant_id": "acme", "notebook": "../other/x", "content": "x"}),
            ToolContext::new(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("notebook"), "{err}");
}

fn run_json(state: &str, result: Option<&str>) -> Value {
    let mut st = json!({"life_cycle_state": state, "state_message": ""});
    if let Some(r) = result {
        st["result_state"] = json!(r);
    }
    json!({
        "run_id": 9001, "run_name": "acme:etl/daily", "number_in_job": 9001,
        "creator_user_name": "platform-sp", "run_type": "SUBMIT_RUN", "state": st,
        "start_time": 1700000000000i64, "run_page_url": "https://example.cloud.databricks.com/#job/1/run/9001",
        "tasks": [{"run_id": 9002, "task_key": "notebook", "state": st}]
    })
}

#[derive(Default)]
struct Sink(Mutex<Vec<Progress>>);

#[async_trait::async_trait]
impl ProgressSink for Sink {
    async fn report(&self, p: Progress) {
        self.0.lock().unwrap().push(p);
    }
}

#[tokio::test]
async fn execute_notebook_returns_at_once_or_waits_with_progress() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.2/jobs/runs/submit"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"run_id": 9001})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/get"))
        .and(query_param("run_id", "9001"))
        .respond_with(ResponseTemplate::new(200).set_body_json(run_json("PENDING", None)))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/get"))
        .and(query_param("run_id", "9001"))
        .respond_with(ResponseTemplate::new(200).set_body_json(run_json("RUNNING", None)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/get"))
        .and(query_param("run_id", "9001"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(run_json("TERMINATED", Some("SUCCESS"))),
        )
        .mount(&server)
        .await;
    catch_all(&server).await;
    let reg = registry(&server, options(), false);

    // No wait: the run id at once and the status tool to poll.
    let out = call(
        &reg,
        "execute_notebook",
        json!({"tenant_id": "acme", "notebook": "etl/daily", "parameters": {"date": "2026-11-21"},
               "idempotency_token": "tok-1"}),
    )
    .await;
    let s = structured(&out);
    assert_eq!(s["run_id"], 9001);
    assert_eq!(s["done"], false);
    assert!(
        s["next"]
            .as_str()
            .unwrap()
            .contains("get_notebook_run_status")
    );
    let submit = requests_to(&server, "POST", "/api/2.2/jobs/runs/submit").await;
    insta::assert_json_snapshot!("execute_notebook_submit_request", body(&submit[0]));

    // Waiting: progress per poll until TERMINATED.
    let sink = Arc::new(Sink::default());
    let ctx = ToolContext::new().with_progress(Arc::clone(&sink) as Arc<dyn ProgressSink>);
    let out = reg
        .call(
            "execute_notebook",
            json!({"tenant_id": "acme", "notebook": "etl/daily", "wait_seconds": 20}),
            ctx,
        )
        .await
        .unwrap();
    let s = structured(&out);
    assert_eq!(s["done"], true);
    assert_eq!(s["result_state"], "SUCCESS");
    let seen = sink.0.lock().unwrap();
    assert!(seen.len() >= 2, "{seen:?}");
    // Progress carries the run's state line, as in the workspace toolset's run_job.
    assert_eq!(
        seen.last().unwrap().message.as_deref(),
        Some("TERMINATED/SUCCESS")
    );
}

#[tokio::test]
async fn get_notebook_run_status_reads_the_run() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/get"))
        .and(query_param("run_id", "9001"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(run_json("TERMINATED", Some("FAILED"))),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/get"))
        .and(query_param("run_id", "1"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error_code": "INVALID_PARAMETER_VALUE", "message": "Run 1 does not exist."
        })))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let reg = registry(&server, options(), true);
    let out = call(&reg, "get_notebook_run_status", json!({"run_id": 9001})).await;
    // One rendering of a run, the workspace toolset's get_run text.
    assert_eq!(
        out.text,
        "run 9001 | TERMINATED/FAILED\nhttps://example.cloud.databricks.com/#job/1/run/9001\n\
         - notebook (9002) TERMINATED/FAILED"
    );
    let s = structured(&out);
    assert_eq!(s["life_cycle_state"], "TERMINATED");
    assert_eq!(s["result_state"], "FAILED");
    assert_eq!(s["done"], true);
    let out = call(&reg, "get_notebook_run_status", json!({"run_id": 1})).await;
    assert!(
        out.is_error && out.text.contains("Run 1 does not exist"),
        "{}",
        out.text
    );
}

#[tokio::test]
async fn create_job_sends_tasks_and_schedule() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.2/jobs/create"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"job_id": 4242})))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let reg = registry(&server, options(), false);
    let out = call(
        &reg,
        "create_job",
        json!({
            "name": "acme nightly",
            "tenant_id": "acme",
            "tasks": [
                {"task_key": "ingest", "notebook_task": {"notebook_path": "/Shared/tenants/acme/ingest"}},
                {"task_key": "report", "depends_on": [{"task_key": "ingest"}],
                 "notebook_task": {"notebook_path": "/Shared/tenants/acme/report", "base_parameters": {"day": "today"}}}
            ],
            "schedule": {"quartz_cron_expression": "0 0 6 * * ?", "timezone_id": "Europe/Berlin"}
        }),
    )
    .await;
    let s = structured(&out);
    assert_eq!(s["job_id"], 4242);
    assert_eq!(s["job_url"], format!("{}/jobs/4242", server.uri()));
    let create = requests_to(&server, "POST", "/api/2.2/jobs/create").await;
    insta::assert_json_snapshot!("create_job_request", body(&create[0]));

    let err = reg
        .call(
            "create_job",
            json!({"name": "x", "tasks": [{"notebook_task": 5}]}),
            ToolContext::new(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("task_key"), "{err}");
}

fn endpoint_json(ready: &str, update: &str) -> Value {
    json!({
        "name": "acme-churn", "id": "ep-1", "creator": "platform-sp",
        "creation_timestamp": 1700000000000i64, "last_updated_timestamp": 1700000000000i64,
        "state": {"ready": ready, "config_update": update},
        "config": {"served_entities": [{"name": "churn-3", "entity_name": "tenant_acme.ml.churn",
                   "entity_version": "3", "workload_size": "Small", "scale_to_zero_enabled": true}]},
        "permission_level": "CAN_MANAGE", "route_optimized": false
    })
}

#[tokio::test]
async fn get_model_status_reports_deploying_ready_and_failed() {
    let server = MockServer::start().await;
    for (ready, update) in [
        ("NOT_READY", "IN_PROGRESS"),
        ("READY", "NOT_UPDATING"),
        ("NOT_READY", "UPDATE_FAILED"),
    ] {
        Mock::given(method("GET"))
            .and(path("/api/2.0/serving-endpoints/acme-churn"))
            .respond_with(ResponseTemplate::new(200).set_body_json(endpoint_json(ready, update)))
            .up_to_n_times(1)
            .mount(&server)
            .await;
    }
    catch_all(&server).await;
    let reg = registry(&server, options(), true);
    let args = json!({"endpoint_name": "acme-churn"});
    let out = call(&reg, "get_model_status", args.clone()).await;
    let s = structured(&out);
    assert_eq!(s["ready"], false);
    assert_eq!(s["config_update"], "IN_PROGRESS");
    assert!(s["next"].as_str().unwrap().contains("get_model_status"));
    let out = call(&reg, "get_model_status", args.clone()).await;
    let s = structured(&out);
    assert_eq!(s["ready"], true);
    assert_eq!(s["state"], "READY");
    assert!(s.get("next").is_none_or(Value::is_null), "{s}");
    let out = call(&reg, "get_model_status", args).await;
    assert!(out.is_error);
    assert!(
        out.text.contains("UPDATE_FAILED") && out.text.contains("build logs"),
        "{}",
        out.text
    );
}

#[tokio::test]
async fn deploy_model_creates_and_waits_until_ready() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/serving-endpoints"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(endpoint_json("NOT_READY", "IN_PROGRESS")),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/serving-endpoints"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error_code": "RESOURCE_ALREADY_EXISTS",
            "message": "Endpoint with name 'acme-churn' already exists."
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/serving-endpoints/acme-churn"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(endpoint_json("NOT_READY", "IN_PROGRESS")),
        )
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/serving-endpoints/acme-churn"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(endpoint_json("READY", "NOT_UPDATING")),
        )
        .mount(&server)
        .await;
    catch_all(&server).await;
    let reg = registry(&server, options(), false);
    let args = json!({"endpoint_name": "acme-churn", "model_name": "tenant_acme.ml.churn", "model_version": "3"});
    let out = call(&reg, "deploy_model", args.clone()).await;
    let s = structured(&out);
    assert_eq!(s["ready"], false);
    assert_eq!(s["created"], true);
    assert_eq!(s["served_entities"], json!(["tenant_acme.ml.churn@3"]));
    assert_eq!(s["config_update"], "IN_PROGRESS");
    assert!(s["next"].as_str().unwrap().contains("wait_seconds"));
    let create = requests_to(&server, "POST", "/api/2.0/serving-endpoints").await;
    insta::assert_json_snapshot!("deploy_model_request", body(&create[0]));

    let sink = Arc::new(Sink::default());
    let ctx = ToolContext::new().with_progress(Arc::clone(&sink) as Arc<dyn ProgressSink>);
    let mut args = args;
    args["wait_seconds"] = json!(20);
    let out = reg.call("deploy_model", args, ctx).await.unwrap();
    let s = structured(&out);
    assert_eq!(s["ready"], true);
    assert_eq!(
        s["created"], false,
        "the second call observes the existing endpoint"
    );
    assert_eq!(s["state"], "READY");
    assert!(sink.0.lock().unwrap().len() >= 2);
}

#[tokio::test]
async fn invoke_model_queries_the_endpoint() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/serving-endpoints/acme-churn/invocations"))
        .and(body_partial_json(
            json!({"dataframe_records": [{"tenure": 3, "plan": "pro"}]}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"predictions": [0.87]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/serving-endpoints/acme-chat/invocations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-1", "object": "chat.completion", "model": "llama",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
        })))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let reg = registry(&server, options(), true);
    let out = call(
        &reg,
        "invoke_model",
        json!({"endpoint_name": "acme-churn", "request": {"dataframe_records": [{"tenure": 3, "plan": "pro"}]}}),
    )
    .await;
    let s = structured(&out);
    assert_eq!(s["response"]["predictions"], json!([0.87]));
    let out = call(
        &reg,
        "invoke_model",
        json!({"endpoint_name": "acme-chat", "request": {"messages": [{"role": "user", "content": "hi"}]}}),
    )
    .await;
    assert_eq!(structured(&out)["text"], "Hello!");
    assert_eq!(out.text, "Hello!");
}

#[tokio::test]
async fn vector_index_create_and_search() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/vector-search/indexes"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "tenant_acme.datasets.docs_index", "endpoint_name": "acme-vs",
            "primary_key": "id", "index_type": "DELTA_SYNC", "creator": "platform-sp",
            "delta_sync_index_spec": {"source_table": "tenant_acme.datasets.docs",
                "embedding_source_columns": [{"name": "text", "embedding_model_endpoint_name": "databricks-gte-large-en"}],
                "pipeline_type": "TRIGGERED", "pipeline_id": "p-1"},
            "status": {"ready": false, "message": "Index creation is pending", "indexed_row_count": 0}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/api/2.0/vector-search/indexes/tenant_acme.datasets.docs_index/query",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "manifest": {"column_count": 3, "columns": [{"name": "id"}, {"name": "text"}, {"name": "score"}]},
            "result": {"row_count": 2, "data_array": [[1, "refund policy", 0.91], [7, "returns", 0.84]]},
            "next_page_token": ""
        })))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let reg = registry(&server, options(), false);
    let out = call(
        &reg,
        "create_vector_index",
        json!({
            "index_name": "tenant_acme.datasets.docs_index", "endpoint_name": "acme-vs",
            "source_table": "tenant_acme.datasets.docs", "primary_key": "id",
            "embedding_source_column": "text", "embedding_model_endpoint": "databricks-gte-large-en"
        }),
    )
    .await;
    let s = structured(&out);
    assert_eq!(s["index_type"], "DELTA_SYNC");
    assert_eq!(s["ready"], false);
    let create = requests_to(&server, "POST", "/api/2.0/vector-search/indexes").await;
    insta::assert_json_snapshot!("create_vector_index_request", body(&create[0]));

    let err = reg
        .call(
            "create_vector_index",
            json!({"index_name": "a.b.c", "endpoint_name": "e", "source_table": "a.b.t",
                   "primary_key": "id", "embedding_source_column": "text"}),
            ToolContext::new(),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("embedding_model_endpoint"),
        "{err}"
    );

    let out = call(
        &reg,
        "search_vectors",
        json!({"index_name": "tenant_acme.datasets.docs_index", "columns": ["id", "text"],
               "query_text": "how do refunds work", "num_results": 5, "filters_json": "{\"id <\": 100}"}),
    )
    .await;
    let s = structured(&out);
    assert_eq!(s["row_count"], 2);
    assert_eq!(s["truncated"], false);
    assert_eq!(s["rows"][0], json!([1, "refund policy", 0.91]));
    let q = requests_to(
        &server,
        "POST",
        "/api/2.0/vector-search/indexes/tenant_acme.datasets.docs_index/query",
    )
    .await;
    insta::assert_json_snapshot!("search_vectors_request", body(&q[0]));
}

#[tokio::test]
async fn read_only_registry_hides_write_tools() {
    let server = MockServer::start().await;
    let reg = registry(&server, options(), true);
    let names: Vec<&str> = reg.specs().map(|s| s.name()).collect();
    assert_eq!(
        names,
        [
            "get_catalog_status",
            "query_dataset",
            "get_notebook_run_status",
            "get_model_status",
            "invoke_model",
            "search_vectors"
        ]
    );
    let err = reg
        .call(
            "create_catalog",
            json!({"tenant_id": "acme"}),
            ToolContext::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ToolError::WriteDisabled { .. }), "{err}");

    let reg = registry(&server, options(), false);
    let names: Vec<&str> = reg.specs().map(|s| s.name()).collect();
    assert_eq!(
        names,
        [
            "create_catalog",
            "get_catalog_status",
            "upload_dataset_file",
            "query_dataset",
            "create_notebook",
            "execute_notebook",
            "get_notebook_run_status",
            "create_job",
            "deploy_model",
            "get_model_status",
            "invoke_model",
            "create_vector_index",
            "search_vectors"
        ]
    );
    assert!(
        reg.get("create_catalog")
            .unwrap()
            .annotations()
            .idempotent_hint
    );
}

#[tokio::test]
async fn query_dataset_reports_a_failed_statement_and_cancels_one_past_the_wait() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .and(body_partial_json(
            json!({"statement": "SELECT * FROM `tenant_acme`.`datasets`.`nope`"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": "st-bad",
            "status": {"state": "FAILED", "error": {"error_code": "BAD_REQUEST",
                       "message": "[TABLE_OR_VIEW_NOT_FOUND] nope"}}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .and(body_partial_json(
            json!({"statement": "SELECT * FROM `tenant_acme`.`datasets`.`big`"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": "st-slow", "status": {"state": "RUNNING"}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements/st-slow/cancel"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let reg = registry(&server, options(), true);

    // A failed statement: isError, with the error and the next step, in execute_dbsql's shape.
    let out = call(
        &reg,
        "query_dataset",
        json!({"tenant_id": "acme", "dataset_name": "nope"}),
    )
    .await;
    assert!(out.is_error, "{}", out.text);
    assert!(out.text.contains("TABLE_OR_VIEW_NOT_FOUND"), "{}", out.text);
    let s = out.structured.as_ref().expect("structured result");
    assert_eq!(s["state"], "FAILED");
    assert!(s["next"].as_str().unwrap().contains("query_dataset"));

    // Still running when the wait (the server's ceiling) ends: nothing can fetch it later, so
    // it is cancelled and the call fails.
    let out = call(
        &reg,
        "query_dataset",
        json!({"tenant_id": "acme", "dataset_name": "big"}),
    )
    .await;
    assert!(out.is_error, "{}", out.text);
    assert!(out.text.contains("cancelled"), "{}", out.text);
}

/// Class 3 end to end: every way out of the tenant catalog is refused before any request.
#[tokio::test]
async fn query_dataset_tenant_isolation_holds() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let reg = registry(&server, options(), true);
    for sql in [
        "SELECT * FROM IDENTIFIER('main.sales.orders')",
        "SELECT * FROM IDENTIFIER('tenant_evil' || '.datasets.orders')",
        "SELECT * FROM table_changes('main.sales.orders', 0)",
        "SELECT main.default.f(1)",
        "SHOW CREATE TABLE main.sales.orders",
        "SHOW TABLES IN main.sales",
        "SHOW CATALOGS",
        "SELECT http_request(conn => 'slack_conn', method => 'POST', path => '/x')",
        "SELECT system.ai.python_exec('1')",
    ] {
        let out = call(
            &reg,
            "query_dataset",
            json!({"tenant_id": "acme", "sql": sql}),
        )
        .await;
        assert!(out.is_error, "{sql}: {}", out.text);
    }
    assert!(
        requests_to(&server, "POST", "/api/2.0/sql/statements")
            .await
            .is_empty()
    );
}
