//! `databricks_client::platform` against wiremock: the tenant recipes without MCP.

use std::time::Duration;

use databricks_client::platform::{
    DatasetFormat, DatasetQuery, DeployModel, NotebookRun, PlatformError, TenantPlatform,
    TenantPolicy, UploadDataset,
};
use databricks_client::{BackoffConfig, Config, RetryConfig, WorkspaceClient};
use serde_json::{Value, json};
use wiremock::matchers::{any, body_partial_json, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn platform(server: &MockServer) -> TenantPlatform {
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
    TenantPlatform::new(
        WorkspaceClient::new(config).expect("client"),
        TenantPolicy::new(),
    )
    .with_warehouse_id("wh-1")
    .with_statement_timeout(Duration::from_secs(10))
}

async fn catch_all(server: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error_code": "ENDPOINT_NOT_FOUND", "message": "unexpected route"
        })))
        .with_priority(u8::MAX)
        .mount(server)
        .await;
}

async fn requests(server: &MockServer, m: &str, p: &str) -> Vec<Request> {
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

fn catalog(name: &str) -> Value {
    json!({"name": name, "full_name": name, "owner": "platform-sp", "created_at": 1700000000000i64})
}

fn statement(rows: Value) -> Value {
    json!({
        "statement_id": "s-1",
        "status": {"state": "SUCCEEDED"},
        "manifest": {
            "format": "JSON_ARRAY",
            "schema": {"column_count": 2, "columns": [
                {"name": "id", "type_text": "BIGINT", "type_name": "LONG", "position": 0},
                {"name": "amount", "type_name": "DOUBLE", "position": 1}
            ]},
            "total_chunk_count": 1, "truncated": true,
            "chunks": [{"chunk_index": 0, "row_offset": 0, "row_count": 2}]
        },
        "result": {"chunk_index": 0, "row_offset": 0, "row_count": 2, "data_array": rows}
    })
}

#[tokio::test]
async fn create_catalog_creates_or_reads_the_existing_one() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.1/unity-catalog/catalogs"))
        .and(body_partial_json(
            json!({"name": "tenant_acme", "comment": "hi"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(catalog("tenant_acme")))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.1/unity-catalog/catalogs"))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({
            "error_code": "CATALOG_ALREADY_EXISTS", "message": "exists"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/catalogs/tenant_acme"))
        .respond_with(ResponseTemplate::new(200).set_body_json(catalog("tenant_acme")))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let p = platform(&server);
    let first = p.create_catalog("acme", Some("hi")).await.unwrap();
    assert!(first.created);
    assert_eq!(first.value.name, "tenant_acme");
    let again = p.create_catalog("acme", Some("hi")).await.unwrap();
    assert!(!again.created);
    assert_eq!(again.value.owner.as_deref(), Some("platform-sp"));

    assert!(p.catalog("acme").await.unwrap().is_some());
    assert!(p.catalog("ghost").await.unwrap().is_none());
    let before = server.received_requests().await.unwrap().len();
    assert!(matches!(
        p.create_catalog("Bad-Name", None).await,
        Err(PlatformError::InvalidName {
            field: "tenant_id",
            ..
        })
    ));
    assert_eq!(server.received_requests().await.unwrap().len(), before);
}

async fn mount_provisioning(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/api/2.1/unity-catalog/schemas"))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({
            "error_code": "SCHEMA_ALREADY_EXISTS", "message": "exists"
        })))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.1/unity-catalog/volumes"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "catalog_name": "tenant_acme", "schema_name": "datasets", "name": "uploads",
            "full_name": "tenant_acme.datasets.uploads", "volume_type": "MANAGED"
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
async fn upload_dataset_runs_the_recipe_in_order() {
    let server = MockServer::start().await;
    mount_provisioning(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(ResponseTemplate::new(200).set_body_json(statement(json!([["2", "2"]]))))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let csv = b"id,amount\n1,9.5\n".to_vec();
    let up = platform(&server)
        .upload_dataset(UploadDataset::new(
            "acme",
            "sales",
            csv.clone(),
            DatasetFormat::Csv,
        ))
        .await
        .unwrap();
    assert_eq!(up.table_path, "tenant_acme.datasets.sales");
    assert_eq!(
        up.volume_path,
        "/Volumes/tenant_acme/datasets/uploads/sales.csv"
    );
    assert_eq!(up.bytes, csv.len());
    let order: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    assert_eq!(
        order,
        [
            "POST /api/2.1/unity-catalog/schemas",
            "POST /api/2.1/unity-catalog/volumes",
            "PUT /api/2.0/fs/files/Volumes/tenant_acme/datasets/uploads/sales.csv",
            "POST /api/2.0/sql/statements",
        ]
    );
    let stmt = body(&requests(&server, "POST", "/api/2.0/sql/statements").await[0]);
    assert_eq!(
        stmt["statement"],
        "CREATE TABLE IF NOT EXISTS `tenant_acme`.`datasets`.`sales` AS SELECT * FROM \
         read_files('/Volumes/tenant_acme/datasets/uploads/sales.csv', format => 'csv', header => true)"
    );
    assert_eq!(stmt["warehouse_id"], "wh-1");
}

#[tokio::test]
async fn upload_dataset_names_the_failed_step() {
    let server = MockServer::start().await;
    mount_provisioning(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": "s-bad",
            "status": {"state": "FAILED", "error": {
                "error_code": "BAD_REQUEST", "message": "UNABLE_TO_INFER_SCHEMA for CSV"
            }}
        })))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let p = platform(&server);
    let err = p
        .upload_dataset(UploadDataset::new(
            "acme",
            "sales",
            b"x".to_vec(),
            DatasetFormat::Csv,
        ))
        .await
        .unwrap_err();
    let PlatformError::CreateTable {
        volume_path,
        table_path,
        warehouse,
        ..
    } = &err
    else {
        panic!("expected CreateTable, got {err:?}");
    };
    assert_eq!(
        volume_path,
        "/Volumes/tenant_acme/datasets/uploads/sales.csv"
    );
    assert_eq!(table_path, "tenant_acme.datasets.sales");
    assert_eq!(warehouse, "wh-1");
    assert!(err.to_string().contains("UNABLE_TO_INFER_SCHEMA"), "{err}");
    assert!(err.client_error().is_some());

    // Without a warehouse nothing is sent.
    let server = MockServer::start().await;
    catch_all(&server).await;
    let config = Config::builder()
        .host(server.uri())
        .token("dapi-test")
        .build()
        .unwrap();
    let bare = TenantPlatform::new(WorkspaceClient::new(config).unwrap(), TenantPolicy::new());
    let err = bare
        .upload_dataset(UploadDataset::new(
            "acme",
            "sales",
            b"x".to_vec(),
            DatasetFormat::Csv,
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, PlatformError::NoWarehouse), "{err:?}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn query_dataset_confines_sql_and_returns_a_table() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(statement(json!([["1", "9.5"], ["2", null]]))),
        )
        .mount(&server)
        .await;
    catch_all(&server).await;
    let p = platform(&server);
    for sql in [
        "DROP TABLE sales",
        "SELECT * FROM main.sales.orders",
        "SELECT * FROM read_files('/Volumes/tenant_other/x')",
    ] {
        let err = p
            .query_dataset("acme", &DatasetQuery::Sql(sql.to_owned()), 10)
            .await
            .unwrap_err();
        assert!(
            matches!(err, PlatformError::SqlRefused { .. }),
            "{sql}: {err:?}"
        );
    }
    assert!(server.received_requests().await.unwrap().is_empty());

    let table = p
        .query_dataset("acme", &DatasetQuery::Dataset("sales".to_owned()), 5)
        .await
        .unwrap();
    assert_eq!(table.columns[0].name, "id");
    assert_eq!(table.columns[0].type_text, "BIGINT");
    assert_eq!(table.columns[1].type_text, "DOUBLE");
    assert_eq!(
        table.rows,
        vec![vec![json!(1), json!(9.5)], vec![json!(2), Value::Null]]
    );
    assert!(table.truncated);
    let req = body(&requests(&server, "POST", "/api/2.0/sql/statements").await[0]);
    assert_eq!(
        req["statement"],
        "SELECT * FROM `tenant_acme`.`datasets`.`sales`"
    );
    assert_eq!(req["catalog"], "tenant_acme");
    assert_eq!(req["schema"], "datasets");
    assert_eq!(req["row_limit"], 5);
}

#[tokio::test]
async fn notebook_runs_and_endpoints() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.2/jobs/runs/submit"))
        .and(body_partial_json(json!({
            "run_name": "acme:etl/daily", "idempotency_token": "tok",
            "tasks": [{"task_key": "notebook", "notebook_task": {
                "notebook_path": "/Shared/tenants/acme/etl/daily", "base_parameters": {"day": "1"}}}]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"run_id": 7})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/get"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "run_id": 7, "state": {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS"}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/serving-endpoints"))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({
            "error_code": "RESOURCE_ALREADY_EXISTS", "message": "exists"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/serving-endpoints/acme-churn"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "acme-churn",
            "state": {"ready": "NOT_READY", "config_update": "UPDATE_FAILED"},
            "config": {"served_entities": [{"entity_name": "m", "entity_version": "3"}]}
        })))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let p = platform(&server);
    let run = NotebookRun::new("acme", "etl/daily")
        .with_parameters([("day".to_owned(), "1".to_owned())].into())
        .with_idempotency_token("tok");
    assert_eq!(p.submit_notebook(run).await.unwrap(), 7);
    assert!(p.run(7).await.unwrap().is_terminal());
    assert!(matches!(
        p.submit_notebook(NotebookRun::new("acme", "../etc")).await,
        Err(PlatformError::InvalidName {
            field: "notebook",
            ..
        })
    ));

    let ep = p
        .deploy_model(&DeployModel::new("acme-churn", "m", "3"))
        .await
        .unwrap();
    assert!(!ep.created);
    assert!(ep.value.is_failed() && ep.value.is_settled() && !ep.value.is_ready());
    assert_eq!(ep.value.served_entity_labels(), ["m@3"]);
    assert_eq!(
        p.endpoint("acme-churn").await.unwrap().state_summary(),
        "ready=NOT_READY config_update=UPDATE_FAILED"
    );
}
