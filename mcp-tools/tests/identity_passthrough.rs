//! Identity pass-through over real HTTP: two OAuth principals call `execute_sql` and
//! `query_model` on one server; a Databricks backend (wiremock) that filters rows by the
//! `Authorization` header answers each with their own rows; the service identity is never used;
//! no token shows up in logs or answers.

#![cfg(feature = "server")]

mod server_common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use datasource_model::{DatabricksConfig, DatabricksSource, DynDataSource, PrincipalSources};
use mcp_tools::rmcp_adapter::McpServer;
use mcp_tools::server::{Auth, HttpConfig, HttpServer, OAuthConfig};
use mcp_tools::{CallerToken, DataSourceToolset, DataSourceToolsetOptions, Registry, ToolContext};
use serde_json::{Value, json};
use server_common::*;
use tokio::sync::oneshot;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ISSUER: &str = "https://issuer.test";
const RESOURCE: &str = "http://127.0.0.1/mcp";
const SERVICE_TOKEN: &str = "dapi-service-CANARY-0123456789";
const YAML: &str = "version: \"1.1\"\nsource: main.sales.orders\ndimensions:\n  - name: region\n    expr: source.region\nmeasures:\n  - name: total_revenue\n    expr: SUM(source.amount)\n";

fn statement(region: &str, revenue: &str) -> Value {
    json!({
        "statement_id": format!("stmt-{region}"),
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
        "result": {"chunk_index": 0, "row_offset": 0, "row_count": 1,
            "data_array": [[region, revenue]]}
    })
}

/// A workspace whose row filter depends on who calls: each bearer token sees its own region.
async fn backend(callers: &[(&str, &str)]) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables/main.sales.revenue_metrics"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "revenue_metrics", "catalog_name": "main", "schema_name": "sales",
            "full_name": "main.sales.revenue_metrics", "table_type": "METRIC_VIEW",
            "view_definition": YAML,
            "columns": [
                {"name": "region", "type_text": "string", "type_name": "STRING", "position": 0},
                {"name": "total_revenue", "type_text": "decimal(38,2) measure", "type_name": "DECIMAL", "position": 1}
            ]
        })))
        .mount(&server)
        .await;
    for (token, region) in callers {
        Mock::given(method("POST"))
            .and(path("/api/2.0/sql/statements"))
            .and(header("authorization", format!("Bearer {token}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(statement(region, "10.00")))
            .mount(&server)
            .await;
    }
    // The service identity sees everything: a pass-through call must never get these rows.
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .and(header(
            "authorization",
            format!("Bearer {SERVICE_TOKEN}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(statement("SERVICE-ALL", "99.00")))
        .mount(&server)
        .await;
    server
}

fn databricks_config(backend: &MockServer) -> DatabricksConfig {
    DatabricksConfig::new("wh1", "main")
        .with_host(backend.uri())
        .with_schema("sales")
}

fn registry(backend: &MockServer) -> Registry {
    let service = databricks_config(backend).with_token(SERVICE_TOKEN);
    let shared: Arc<DynDataSource> =
        Arc::new(DatabricksSource::from_config(&service, Some(100)).expect("shared source"));
    let per_caller = Arc::new(
        PrincipalSources::databricks(&databricks_config(backend), Some(100)).expect("per caller"),
    );
    let toolset = DataSourceToolset::new(shared, DataSourceToolsetOptions::new())
        .with_identity_passthrough(per_caller);
    Registry::builder()
        .toolset(Arc::new(toolset))
        .read_only(true)
        .build()
        .expect("registry")
}

fn claims(sub: &str, exp: u64) -> Value {
    json!({"iss": ISSUER, "aud": RESOURCE, "sub": sub, "exp": exp, "iat": now(),
        "scope": "mcp:tools"})
}

async fn issuer(key: &SigningKey) -> MockServer {
    let issuer = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"keys": [key.jwk()]})))
        .mount(&issuer)
        .await;
    issuer
}

fn oauth(issuer: &MockServer) -> Auth {
    Auth::OAuth(Box::new(
        OAuthConfig::new(ISSUER, RESOURCE)
            .expect("oauth")
            .with_jwks_url(&format!("{}/jwks", issuer.uri()))
            .expect("jwks url"),
    ))
}

async fn serve(server: McpServer, config: HttpConfig) -> Running {
    let http = HttpServer::bind(server, config).await.expect("bind");
    let addr = http.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    let done = tokio::spawn(http.run(async move {
        let _ = stopped.await;
    }));
    Running {
        addr,
        stop: Some(stop),
        done,
    }
}

/// Calls `tool` as the holder of `token` in a fresh session; the `tools/call` result.
async fn call_as(url: &str, token: &str, tool: &str, arguments: Value) -> (Value, String) {
    let session = open_session(url, Some(token)).await;
    let answer = post(
        url,
        Some(token),
        session.as_deref(),
        &call(2, tool, arguments),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let message = answer.message.clone().expect("a JSON-RPC answer");
    (message["result"].clone(), answer.body)
}

fn rows(result: &Value) -> Value {
    assert_ne!(result["isError"], json!(true), "{result}");
    result["structuredContent"]["rows"].clone()
}

#[tokio::test]
async fn each_principal_gets_their_own_rows_and_no_token_leaks() {
    let logs = logs();
    let key = SigningKey::generate("k1");
    let issuer = issuer(&key).await;
    let alice = key.sign(&claims("alice@example.com", now() + 600), Some("k1"));
    let bob = key.sign(&claims("bob@example.com", now() + 600), Some("k1"));
    let backend = backend(&[(alice.as_str(), "EMEA"), (bob.as_str(), "AMER")]).await;

    let server = serve(
        McpServer::new(registry(&backend), "passthrough-test", "0.0.1"),
        loopback()
            .with_auth(oauth(&issuer))
            .with_identity_passthrough(true),
    )
    .await;
    let url = server.url("/mcp");
    let mut seen = String::new();

    let sql = json!({"sql": "SELECT region, total_revenue FROM main.sales.revenue"});
    let query = json!({"model_name": "revenue_metrics", "metrics": ["total_revenue"],
        "dimensions": ["region"]});
    for (token, region) in [(&alice, "EMEA"), (&bob, "AMER")] {
        for (tool, arguments) in [("execute_sql", &sql), ("query_model", &query)] {
            let (result, body) = call_as(&url, token, tool, arguments.clone()).await;
            let rows = rows(&result);
            assert_eq!(rows.as_array().map(Vec::len), Some(1), "{tool}: {result}");
            assert_eq!(rows[0][0], region, "{tool} as {region}: {result}");
            seen.push_str(&body);
        }
    }
    // A second call reuses each caller's cached client (same token): still their own rows.
    let (again, body) = call_as(&url, &alice, "execute_sql", sql.clone()).await;
    assert_eq!(rows(&again)[0][0], "EMEA");
    seen.push_str(&body);

    // Every statement ran with a caller's token, none with the service identity's.
    let requests = backend.received_requests().await.expect("recording");
    let statements: Vec<String> = requests
        .iter()
        .filter(|r| r.url.path() == "/api/2.0/sql/statements")
        .map(|r| {
            r.headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(statements.len(), 5, "{statements:?}");
    assert!(
        statements
            .iter()
            .all(|h| *h == format!("Bearer {alice}") || *h == format!("Bearer {bob}")),
        "a statement ran without the caller's token"
    );
    server.shutdown().await;

    let logged = String::from_utf8(logs.lock().expect("logs").clone()).expect("utf-8");
    assert!(
        logged.contains("authenticated request"),
        "logs were captured"
    );
    for secret in [alice.as_str(), bob.as_str(), SERVICE_TOKEN] {
        assert!(!logged.contains(secret), "a token was logged");
        assert!(!seen.contains(secret), "a token was answered");
    }
}

#[tokio::test]
async fn without_a_caller_token_the_call_is_refused_not_run_as_the_service() {
    let backend = backend(&[]).await;
    let registry = registry(&backend);
    let result = registry
        .call(
            "execute_sql",
            json!({"sql": "SELECT 1"}),
            ToolContext::new(),
        )
        .await
        .expect("an isError result");
    assert!(result.is_error, "{result:?}");
    let text = result.text.clone();
    assert!(text.contains("identity pass-through"), "{text}");
    assert!(text.contains("OAuth access token"), "{text}");
    assert!(
        backend
            .received_requests()
            .await
            .expect("recording")
            .is_empty(),
        "nothing reached the backend"
    );

    // An expired caller token is refused before any backend call too.
    let expired = CallerToken::new(
        "expired-token-CANARY".to_owned().into(),
        Some(SystemTime::now() - Duration::from_secs(60)),
    );
    let ctx = ToolContext::new().with_caller_token(expired);
    assert!(
        !format!("{ctx:?}").contains("CANARY"),
        "Debug shows no token"
    );
    let result = registry
        .call("execute_sql", json!({"sql": "SELECT 1"}), ctx)
        .await
        .expect("an isError result");
    assert!(result.is_error, "{result:?}");
    let text = result.text.clone();
    assert!(text.contains("expired"), "{text}");
    assert!(!text.contains("CANARY"), "{text}");
    assert!(
        backend
            .received_requests()
            .await
            .expect("recording")
            .is_empty()
    );
}

#[tokio::test]
async fn pass_through_needs_oauth() {
    let backend = backend(&[]).await;
    let err = HttpServer::bind(
        McpServer::new(registry(&backend), "passthrough-test", "0.0.1"),
        loopback().with_identity_passthrough(true),
    )
    .await
    .expect_err("refused without OAuth");
    assert!(err.to_string().contains("needs OAuth"), "{err}");
}
