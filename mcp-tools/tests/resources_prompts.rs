//! MCP resources (Unity Catalog table schemas, notebook sources) and prompts, end to end: an rmcp
//! client talks to our server over a duplex pipe; the server talks to a wiremock workspace.
#![cfg(feature = "rmcp")]

use std::sync::Arc;

use databricks_client::{Config, WorkspaceClient};
use mcp_tools::rmcp_adapter::McpServer;
use mcp_tools::{
    Registry, ResourceSet, WorkspaceResources, WorkspaceResourcesOptions, analysis_prompts,
};
use rmcp::model::{
    ErrorCode, GetPromptRequestParams, PaginatedRequestParams, ReadResourceRequestParams,
    ResourceContents,
};
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CANARY: &str = "dapi-CANARY-resources-0123456789";

async fn workspace() -> MockServer {
    let server = MockServer::start().await;
    // Two UC pages for main.sales (the second page comes through next_page_token).
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables"))
        .and(query_param("catalog_name", "main"))
        .and(query_param("schema_name", "sales"))
        .and(query_param("page_token", "p2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "tables": [{"name": "returns", "catalog_name": "main", "schema_name": "sales",
                        "full_name": "main.sales.returns", "table_type": "MANAGED"}]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables"))
        .and(query_param("catalog_name", "main"))
        .and(query_param("schema_name", "sales"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "tables": [
                {"name": "orders", "catalog_name": "main", "schema_name": "sales",
                 "full_name": "main.sales.orders", "table_type": "MANAGED",
                 "comment": "One row per order", "data_source_format": "DELTA"},
                {"name": "customers", "catalog_name": "main", "schema_name": "sales",
                 "full_name": "main.sales.customers", "table_type": "EXTERNAL"}
            ],
            "next_page_token": "p2"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables/main.sales.orders"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "orders", "catalog_name": "main", "schema_name": "sales",
            "full_name": "main.sales.orders", "table_type": "MANAGED",
            "data_source_format": "DELTA", "comment": "One row per order", "owner": "data-eng",
            "columns": [
                {"name": "order_id", "type_text": "bigint", "type_name": "LONG", "position": 0,
                 "nullable": false, "comment": "Primary key"},
                {"name": "amount", "type_text": "decimal(10,2)", "type_name": "DECIMAL",
                 "position": 1, "nullable": true}
            ],
            "created_at": 1700000000000_i64, "table_id": "7c1f"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables/main.sales.missing"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error_code": "TABLE_DOES_NOT_EXIST",
            "message": "Table 'main.sales.missing' does not exist."
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/workspace/list"))
        .and(query_param("path", "/Shared/analytics"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "objects": [
                {"path": "/Shared/analytics/daily", "object_type": "NOTEBOOK", "language": "PYTHON", "object_id": 11},
                {"path": "/Shared/analytics/lib", "object_type": "DIRECTORY", "object_id": 12},
                {"path": "/Shared/analytics/data.csv", "object_type": "FILE", "object_id": 13}
            ]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/workspace/list"))
        .and(query_param("path", "/Shared/analytics/lib"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "objects": [
                {"path": "/Shared/analytics/lib/helpers", "object_type": "NOTEBOOK", "language": "SQL", "object_id": 14}
            ]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/workspace/export"))
        .and(query_param("path", "/Shared/analytics/daily"))
        .and(query_param("format", "SOURCE"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            // "# Databricks notebook source\nprint(1)\n"
            "content": "IyBEYXRhYnJpY2tzIG5vdGVib29rIHNvdXJjZQpwcmludCgxKQo=",
            "file_type": "py"
        })))
        .mount(&server)
        .await;
    server
}

async fn connect(server: &MockServer, page_size: usize) -> RunningService<RoleClient, ()> {
    let client = WorkspaceClient::new(
        Config::builder()
            .host(server.uri())
            .token(CANARY)
            .build()
            .unwrap(),
    )
    .unwrap();
    let resources = WorkspaceResources::new(
        client,
        WorkspaceResourcesOptions::new()
            .with_table_scope("main.sales")
            .with_notebook_root("/Shared/analytics")
            .with_page_size(page_size),
    );
    let registry = Registry::builder().build().unwrap();
    let mcp = McpServer::new(registry, "resources-test", "0.0.1")
        .with_resources(ResourceSet::new().with_provider(Arc::new(resources)))
        .with_prompts(analysis_prompts());
    let (server_io, client_io) = tokio::io::duplex(256 * 1024);
    tokio::spawn(async move {
        if let Ok(running) = mcp.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    ().serve(client_io).await.expect("initialize")
}

#[tokio::test]
async fn resources_page_through_tables_then_notebooks() {
    let server = workspace().await;
    let client = connect(&server, 2).await;
    let caps = client.peer_info().unwrap().capabilities.clone();
    assert!(caps.resources.is_some() && caps.prompts.is_some() && caps.tools.is_some());

    let mut uris = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let mut params = PaginatedRequestParams::default();
        params.cursor = cursor.clone();
        let page = client.list_resources(Some(params)).await.unwrap();
        pages += 1;
        assert!(page.resources.len() <= 2, "page size is respected");
        uris.extend(page.resources.iter().map(|r| r.uri.clone()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
        assert!(pages < 10, "listing terminates");
    }
    assert_eq!(
        uris,
        [
            "databricks://tables/main/sales/orders",
            "databricks://tables/main/sales/customers",
            "databricks://tables/main/sales/returns",
            "databricks://notebooks/Shared/analytics/daily",
            "databricks://notebooks/Shared/analytics/lib/helpers",
        ]
    );
    // All at once with a large page.
    let all = client.list_all_resources().await.unwrap();
    assert_eq!(all.len(), 5);
    let orders = &all[0];
    assert_eq!(orders.name, "main.sales.orders");
    assert_eq!(orders.mime_type.as_deref(), Some("application/json"));
    assert_eq!(orders.description.as_deref(), Some("One row per order"));

    let templates = client.list_all_resource_templates().await.unwrap();
    let t: Vec<_> = templates.iter().map(|t| t.uri_template.as_str()).collect();
    assert_eq!(
        t,
        [
            "databricks://tables/{catalog}/{schema}/{table}",
            "databricks://notebooks/{+path}"
        ]
    );
}

#[tokio::test]
async fn reading_a_table_schema_and_a_notebook() {
    let server = workspace().await;
    let client = connect(&server, 50).await;
    let read = client
        .read_resource(ReadResourceRequestParams::new(
            "databricks://tables/main/sales/orders",
        ))
        .await
        .unwrap();
    let ResourceContents::TextResourceContents {
        text, mime_type, ..
    } = &read.contents[0]
    else {
        panic!("text contents expected");
    };
    assert_eq!(mime_type.as_deref(), Some("application/json"));
    let doc: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(doc["full_name"], "main.sales.orders");
    assert_eq!(doc["columns"][0]["name"], "order_id");
    assert_eq!(doc["columns"][0]["type"], "bigint");
    assert_eq!(doc["columns"][0]["nullable"], false);
    assert_eq!(doc["columns"][1]["type"], "decimal(10,2)");

    let read = client
        .read_resource(ReadResourceRequestParams::new(
            "databricks://notebooks/Shared/analytics/daily",
        ))
        .await
        .unwrap();
    let ResourceContents::TextResourceContents {
        text, mime_type, ..
    } = &read.contents[0]
    else {
        panic!("text contents expected");
    };
    assert_eq!(text, "# Databricks notebook source\nprint(1)\n");
    assert_eq!(mime_type.as_deref(), Some("text/x-python"));
    for r in server.received_requests().await.unwrap() {
        assert!(
            !r.url.as_str().contains(CANARY),
            "the token never travels in a URL"
        );
    }
}

#[tokio::test]
async fn unknown_resources_and_bad_cursors_are_protocol_errors() {
    let server = workspace().await;
    let client = connect(&server, 50).await;
    for uri in [
        "databricks://tables/main/sales/missing",
        "databricks://tables/only-two/parts",
        "databricks://notebooks/../etc/passwd",
        "file:///etc/passwd",
    ] {
        let err = client
            .read_resource(ReadResourceRequestParams::new(uri))
            .await
            .unwrap_err();
        let text = format!("{err:?}");
        assert!(
            text.contains(&format!("{:?}", ErrorCode::RESOURCE_NOT_FOUND.0))
                || text.contains("-32002"),
            "{uri}: {text}"
        );
        assert!(!text.contains(CANARY));
    }
    let mut params = PaginatedRequestParams::default();
    params.cursor = Some("not-a-cursor".into());
    let err = client.list_resources(Some(params)).await.unwrap_err();
    assert!(format!("{err:?}").contains("invalid cursor"), "{err:?}");
}

#[tokio::test]
async fn prompts_list_and_render() {
    let server = workspace().await;
    let client = connect(&server, 50).await;
    let prompts = client.list_all_prompts().await.unwrap();
    let names: Vec<_> = prompts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "explore_table",
            "analyze_metric",
            "compare_segments",
            "investigate_job_run"
        ]
    );
    let explore = &prompts[0];
    let args = explore.arguments.as_ref().unwrap();
    assert_eq!(args[0].name, "table");
    assert_eq!(args[0].required, Some(true));

    let mut params = GetPromptRequestParams::new("explore_table");
    params.arguments = Some(
        json!({"table": "main.sales.orders", "focus": "refunds"})
            .as_object()
            .cloned()
            .unwrap(),
    );
    let got = client.get_prompt(params).await.unwrap();
    let text = serde_json::to_string(&got.messages).unwrap();
    assert!(
        text.contains("main.sales.orders") && text.contains("refunds"),
        "{text}"
    );

    let err = client
        .get_prompt(GetPromptRequestParams::new("explore_table"))
        .await
        .unwrap_err();
    let text = format!("{err:?}");
    assert!(text.contains("missing required argument `table`"), "{text}");
    let err = client
        .get_prompt(GetPromptRequestParams::new("nope"))
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("unknown prompt"), "{err:?}");
}
