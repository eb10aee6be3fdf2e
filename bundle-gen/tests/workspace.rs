//! Workspace operations against a wiremock server (loopback only).
#![cfg(feature = "workspace")]

use base64::Engine as _;
use bundle_gen::{
    FileTree, JobImportOptions, NotebooksOptions, SYNC_STATE_FILE, generate_from_job,
    generate_from_workspace_notebooks, sync_to_local, upload_bundle,
};
use databricks_client::{Config, WorkspaceClient};
use serde_json::{Value, json};
use wiremock::matchers::{any, body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

async fn server() -> (MockServer, WorkspaceClient) {
    let server = MockServer::start().await;
    let client = WorkspaceClient::new(
        Config::builder()
            .host(server.uri())
            .token("dapi-test-token")
            .build()
            .expect("config"),
    )
    .expect("client");
    (server, client)
}

/// Any request no test mock expects fails with an error naming the route.
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

fn task(i: usize) -> Value {
    json!({
        "task_key": format!("t{i:03}"),
        "notebook_task": {"notebook_path": format!("/Workspace/Users/ana@example.com/proj/{}/nb", ["etl", "report", "ml"][i % 3])},
        "existing_cluster_id": "0101-cluster",
    })
}

#[tokio::test]
async fn generate_from_job_merges_pages_and_downloads_notebooks() {
    let (server, client) = server().await;
    let first: Vec<Value> = (0..100).map(task).collect();
    let second: Vec<Value> = (100..130).map(task).collect();
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/get"))
        .and(query_param("job_id", "42"))
        .and(query_param("page_token", "page-2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"job_id": 42, "settings": {"tasks": second}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/get"))
        .and(query_param("job_id", "42"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "job_id": 42, "creator_user_name": "ana@example.com", "created_time": 1,
            "settings": {"name": "Big ETL", "format": "MULTI_TASK", "tasks": first},
            "has_more": true, "next_page_token": "page-2"
        })))
        .with_priority(10)
        .mount(&server)
        .await;
    for (dir, lang, text) in [
        (
            "etl",
            "PYTHON",
            "# Databricks notebook source\nprint('etl')\n",
        ),
        ("report", "SQL", "-- Databricks notebook source\nSELECT 1\n"),
        (
            "ml",
            "PYTHON",
            "# Databricks notebook source\nprint('ml')\n",
        ),
    ] {
        let p = format!("/Workspace/Users/ana@example.com/proj/{dir}/nb");
        Mock::given(method("GET"))
            .and(path("/api/2.0/workspace/get-status"))
            .and(query_param("path", p.as_str()))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"path": p, "object_type": "NOTEBOOK", "language": lang})),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/2.0/workspace/export"))
            .and(query_param("path", p.as_str()))
            .and(query_param("format", "SOURCE"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"content": b64(text), "file_type": "py"})),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    catch_all(&server).await;

    let out = generate_from_job(&client, 42, JobImportOptions::new())
        .await
        .expect("generate");
    assert_eq!(
        out.bundle.resources.jobs["big_etl"].settings.tasks.len(),
        130
    );
    assert_eq!(
        out.files.text("src/report/nb.sql"),
        Some("-- Databricks notebook source\nSELECT 1\n")
    );
    let yaml = out.files.text("resources/big_etl.job.yml").unwrap();
    assert!(
        yaml.contains("notebook_path: ../src/report/nb.sql")
            && yaml.contains("notebook_path: ../src/etl/nb.py")
    );
    assert!(yaml.contains("existing_cluster_id: ${var.cluster_id}"));
    let root = out.files.text("databricks.yml").unwrap();
    assert!(root.contains(&format!("host: {}", server.uri())), "{root}");
    assert!(out.validate().is_empty(), "{:#?}", out.validate());
}

#[tokio::test]
async fn missing_notebook_is_reported_not_fatal() {
    let (server, client) = server().await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/get"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"job_id": 1, "settings": {"name": "j", "tasks": [
            {"task_key": "a", "notebook_task": {"notebook_path": "/Users/x/gone"}}]}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/workspace/get-status"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Path (/Users/x/gone) doesn't exist."})))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let out = generate_from_job(&client, 1, JobImportOptions::new())
        .await
        .expect("generate");
    assert!(
        out.warnings
            .iter()
            .any(|w| w.contains("/Users/x/gone was not downloaded")),
        "{:?}",
        out.warnings
    );
    assert!(
        out.files
            .text("resources/j.job.yml")
            .unwrap()
            .contains("notebook_path: /Users/x/gone")
    );
}

#[tokio::test]
async fn upload_imports_notebooks_and_files() {
    let (server, client) = server().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/workspace/mkdirs"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/workspace/import"))
        .and(body_partial_json(json!({"path": "/Workspace/Shared/b/src/etl/ingest", "format": "SOURCE", "language": "PYTHON", "overwrite": true})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/workspace/import"))
        .and(body_partial_json(json!({"format": "AUTO"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(2)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let tree = FileTree::new()
        .with_file("databricks.yml", "bundle:\n  name: b\n")
        .with_file("resources/b.job.yml", "resources: {}\n")
        .with_file(
            "src/etl/ingest.py",
            "# Databricks notebook source\nprint(1)\n",
        );
    let report = upload_bundle(&client, &tree, "/Workspace/Shared/b/")
        .await
        .expect("upload");
    assert_eq!(report.notebooks, ["/Workspace/Shared/b/src/etl/ingest"]);
    assert_eq!(
        report.files,
        [
            "/Workspace/Shared/b/databricks.yml",
            "/Workspace/Shared/b/resources/b.job.yml"
        ]
    );
    let bad = upload_bundle(&client, &tree, "relative/path")
        .await
        .unwrap_err();
    assert!(bad.to_string().contains("must be absolute"));
}

async fn mount_folder(server: &MockServer, export_calls: u64) {
    Mock::given(method("GET"))
        .and(path("/api/2.0/workspace/list"))
        .and(query_param("path", "/Workspace/Shared/proj"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"objects": [
            {"path": "/Workspace/Shared/proj/lib", "object_type": "DIRECTORY"},
            {"path": "/Workspace/Shared/proj/main", "object_type": "NOTEBOOK", "language": "PYTHON", "modified_at": 1000},
        ]})))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/workspace/list"))
        .and(query_param("path", "/Workspace/Shared/proj/lib"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"objects": [
            {"path": "/Workspace/Shared/proj/lib/helpers", "object_type": "NOTEBOOK", "language": "SQL", "modified_at": 2000},
            {"path": "/Workspace/Shared/proj/lib/config.json", "object_type": "FILE", "modified_at": 3000},
        ]})))
        .mount(server)
        .await;
    for (p, format, text) in [
        (
            "/Workspace/Shared/proj/main",
            "SOURCE",
            "# Databricks notebook source\ndbutils.widgets.text(\"catalog\", \"main\")\n\n# COMMAND ----------\n\n# MAGIC %run ./lib/helpers\n",
        ),
        (
            "/Workspace/Shared/proj/lib/helpers",
            "SOURCE",
            "-- Databricks notebook source\nSELECT 1\n",
        ),
        (
            "/Workspace/Shared/proj/lib/config.json",
            "AUTO",
            "{\"a\": 1}\n",
        ),
    ] {
        let mock = Mock::given(method("GET"))
            .and(path("/api/2.0/workspace/export"))
            .and(query_param("path", p))
            .and(query_param("format", format))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"content": b64(text)})));
        // u64::MAX: any number of exports (a sync that stops early).
        if export_calls == u64::MAX {
            mock.mount(server).await;
        } else {
            mock.expect(export_calls).mount(server).await;
        }
    }
    catch_all(server).await;
}

#[tokio::test]
async fn sync_preserves_layout_and_skips_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (server, client) = server().await;
        mount_folder(&server, 1).await;
        let r = sync_to_local(&client, "/Workspace/Shared/proj", dir.path())
            .await
            .expect("sync");
        assert_eq!(r.written, ["lib/config.json", "lib/helpers.sql", "main.py"]);
        assert!(r.unchanged.is_empty());
    }
    assert!(
        dir.path().join("lib/helpers.sql").is_file() && dir.path().join(SYNC_STATE_FILE).is_file()
    );
    {
        // second sync: nothing changed in the workspace → no export calls at all
        let (server, client) = server().await;
        mount_folder(&server, 0).await;
        let r = sync_to_local(&client, "/Workspace/Shared/proj", dir.path())
            .await
            .expect("sync again");
        assert!(r.written.is_empty());
        assert_eq!(r.unchanged.len(), 3);
    }
}

#[tokio::test]
async fn generate_from_workspace_folder() {
    let (server, client) = server().await;
    mount_folder(&server, 1).await;
    let out = generate_from_workspace_notebooks(
        &client,
        "/Workspace/Shared/proj",
        &NotebooksOptions::new("proj"),
    )
    .await
    .expect("generate");
    let yaml = out.files.text("resources/proj.job.yml").unwrap();
    assert!(yaml.contains("notebook_path: ../src/main.py"), "{yaml}");
    assert!(
        !yaml.contains("helpers"),
        "%run helper is not a task: {yaml}"
    );
    assert!(out.files.contains("src/lib/helpers.sql") && out.files.contains("src/lib/config.json"));
    assert!(out.validate().is_empty(), "{:#?}", out.validate());
}

/// A symbolic link inside the sync target (to a file or a directory outside) is never followed,
/// whatever its place in the layout; nothing outside changes.
#[tokio::test]
async fn sync_refuses_symlinks_inside_the_target() {
    for (link, points_to_dir) in [
        ("main.py", false),
        ("lib", true),
        ("lib/helpers.sql", false),
        (SYNC_STATE_FILE, false),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(root.join("lib")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("victim"), "original").unwrap();
        if points_to_dir {
            std::fs::remove_dir(root.join("lib")).unwrap();
            std::os::unix::fs::symlink(&outside, root.join(link)).unwrap();
        } else {
            std::os::unix::fs::symlink(outside.join("victim"), root.join(link)).unwrap();
        }
        let (server, client) = server().await;
        mount_folder(&server, u64::MAX).await;
        let err = sync_to_local(&client, "/Workspace/Shared/proj", &root)
            .await
            .expect_err(link);
        assert!(
            matches!(err, bundle_gen::Error::Path(ref e) if e.is_refused()),
            "{link}: {err}"
        );
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(
            std::fs::read_to_string(outside.join("victim")).unwrap(),
            "original"
        );
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 1, "{link}");
    }
}

/// Resource keys become file names: anything but letters, digits, `_` and `-` is refused.
#[tokio::test]
async fn generate_from_job_refuses_keys_that_are_paths() {
    let (server, client) = server().await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/get"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "job_id": 7, "settings": {"name": "nightly", "tasks": []}
        })))
        .mount(&server)
        .await;
    catch_all(&server).await;
    for key in [
        "../../../outside/pwned",
        "a/b",
        "/abs",
        "..",
        "",
        "a\0b",
        "a b",
        "ok\\..",
    ] {
        let err = generate_from_job(&client, 7, JobImportOptions::new().with_key(key))
            .await
            .expect_err(key);
        assert!(
            matches!(err, bundle_gen::Error::InvalidInput(ref m) if m.contains("letters, digits")),
            "{key:?}: {err}"
        );
    }
    let ok = generate_from_job(
        &client,
        7,
        JobImportOptions::new().with_key("nightly-etl_2"),
    )
    .await
    .expect("a plain key");
    assert!(ok.files.contains("resources/nightly-etl_2.job.yml"));
}
