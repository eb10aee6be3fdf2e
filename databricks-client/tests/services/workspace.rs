use std::collections::BTreeSet;

use futures::TryStreamExt;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use databricks_client::models::workspace::{ExportFormat, ImportRequest, Language, ObjectType};

use crate::{bodies, client, ok_json};

async fn mount_dir(server: &MockServer, dir: &str, objects: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path("/api/2.0/workspace/list"))
        .and(query_param("path", dir))
        .respond_with(ok_json(json!({ "objects": objects })))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn list_and_recursive_list() {
    let server = MockServer::start().await;
    mount_dir(&server, "/Users/me", json!([
        {"path": "/Users/me/a", "object_type": "DIRECTORY", "object_id": 1},
        {"path": "/Users/me/nb", "object_type": "NOTEBOOK", "language": "PYTHON", "object_id": 2, "created_at": 1, "modified_at": 2},
        {"path": "/Users/me/repo", "object_type": "REPO", "object_id": 3}
    ])).await;
    mount_dir(
        &server,
        "/Users/me/a",
        json!([
            {"path": "/Users/me/a/b", "object_type": "DIRECTORY", "object_id": 4},
            {"path": "/Users/me/a/f.py", "object_type": "FILE", "size": 12, "object_id": 5}
        ]),
    )
    .await;
    mount_dir(&server, "/Users/me/a/b", json!([
        {"path": "/Users/me/a/b/q", "object_type": "NOTEBOOK", "language": "SQL", "object_id": 6}
    ])).await;
    // An empty directory answers without `objects`.
    Mock::given(method("GET"))
        .and(path("/api/2.0/workspace/list"))
        .and(query_param("path", "/Users/me/repo"))
        .respond_with(ok_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;

    let ws = client(&server).workspace();
    let all: Vec<_> = ws
        .list_recursive("/Users/me", 2)
        .try_collect()
        .await
        .unwrap();
    let paths: BTreeSet<_> = all.iter().map(|o| o.path.as_str()).collect();
    assert_eq!(
        paths,
        BTreeSet::from([
            "/Users/me/a",
            "/Users/me/nb",
            "/Users/me/repo",
            "/Users/me/a/b",
            "/Users/me/a/f.py",
            "/Users/me/a/b/q"
        ])
    );
    let q = all.iter().find(|o| o.path == "/Users/me/a/b/q").unwrap();
    assert_eq!(q.language, Some(Language::Sql));
    assert_eq!(q.object_type, Some(ObjectType::Notebook));
}

#[tokio::test]
async fn recursive_list_reports_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/workspace/list"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error_code": "RESOURCE_DOES_NOT_EXIST",
            "message": "Path (/nope) doesn't exist."
        })))
        .mount(&server)
        .await;
    let err = client(&server)
        .workspace()
        .list_recursive("/nope", 4)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(err.is_not_found());
}

#[tokio::test]
async fn get_status_export_import_mkdirs_delete() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/workspace/get-status"))
        .and(query_param("path", "/Users/me/nb"))
        .respond_with(ok_json(json!({"path": "/Users/me/nb", "object_type": "NOTEBOOK", "language": "PYTHON", "object_id": 2, "resource_id": "2"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/workspace/export"))
        .and(query_param("path", "/Users/me/nb"))
        .and(query_param("format", "SOURCE"))
        // "# Databricks notebook source\nprint(1)\n"
        .respond_with(ok_json(json!({"content": "IyBEYXRhYnJpY2tzIG5vdGVib29rIHNvdXJjZQpwcmludCgxKQo=", "file_type": "py"})))
        .mount(&server)
        .await;
    for op in ["import", "mkdirs", "delete"] {
        Mock::given(method("POST"))
            .and(path(format!("/api/2.0/workspace/{op}")))
            .respond_with(ok_json(json!({})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let ws = client(&server).workspace();
    let status = ws.get_status("/Users/me/nb").await.unwrap();
    assert_eq!(status.object_id, Some(2));
    let exported = ws
        .export("/Users/me/nb", ExportFormat::Source)
        .await
        .unwrap();
    assert_eq!(
        exported.content,
        b"# Databricks notebook source\nprint(1)\n"
    );
    assert_eq!(exported.file_type.as_deref(), Some("py"));
    ws.import(
        &ImportRequest::notebook("/Users/me/new", Language::Python, "print(2)")
            .with_overwrite(true),
    )
    .await
    .unwrap();
    ws.mkdirs("/Users/me/dir").await.unwrap();
    ws.delete("/Users/me/dir", true).await.unwrap();

    let mut all = Vec::new();
    for op in ["import", "mkdirs", "delete"] {
        all.push(json!({op: bodies(&server, "POST", &format!("/api/2.0/workspace/{op}")).await}));
    }
    insta::assert_json_snapshot!("workspace_mutation_bodies", all);
}

#[tokio::test]
async fn errors_are_typed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/workspace/get-status"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error_code": "RESOURCE_DOES_NOT_EXIST",
            "message": "Path (/x) doesn't exist."
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/workspace/import"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error_code": "RESOURCE_ALREADY_EXISTS",
            "message": "Path (/x) already exists."
        })))
        .mount(&server)
        .await;
    let ws = client(&server).workspace();
    assert!(ws.get_status("/x").await.unwrap_err().is_not_found());
    let err = ws
        .import(&ImportRequest::notebook("/x", Language::Sql, "select 1"))
        .await
        .unwrap_err();
    assert!(err.is_already_exists(), "{err:?}");
}
