//! The bundle toolset end to end through the `Registry`, against wiremock and a temp root.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use databricks_client::{BackoffConfig, Config, RetryConfig, WorkspaceClient};
use mcp_tools::{
    BundleToolset, BundleToolsetOptions, Progress, ProgressSink, Registry, ToolContext, ToolOutput,
    WaitPolicy,
};
use serde_json::{Value, json};
use wiremock::matchers::{any, body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

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

fn registry(server: &MockServer, opts: BundleToolsetOptions, read_only: bool) -> Registry {
    Registry::builder()
        .toolset(Arc::new(BundleToolset::new(client(server), opts)))
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

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
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

const ETL: &str = "# Databricks notebook source\ndbutils.widgets.text(\"catalog\", \"main\")\n\n# COMMAND ----------\n\ndef table_name(catalog):\n    return f\"{catalog}.s.raw\"\n\n# COMMAND ----------\n\nspark.range(3).write.saveAsTable(table_name(dbutils.widgets.get(\"catalog\")))\n";

async fn mount_notebook(server: &MockServer, ws_path: &str, text: &str) {
    Mock::given(method("GET"))
        .and(path("/api/2.0/workspace/get-status"))
        .and(query_param("path", ws_path))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "path": ws_path, "object_type": "NOTEBOOK", "language": "PYTHON", "object_id": 7
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/workspace/export"))
        .and(query_param("path", ws_path))
        .and(query_param("format", "SOURCE"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"content": b64(text), "file_type": "py"})),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn analyze_notebook_inline_and_from_workspace() {
    let server = MockServer::start().await;
    mount_notebook(&server, "/Workspace/Users/ana@example.com/etl", ETL).await;
    catch_all(&server).await;
    let root = tempfile::tempdir().unwrap();
    let reg = registry(&server, BundleToolsetOptions::new(root.path()), true);

    let out = call(
        &reg,
        "analyze_notebook",
        json!({"content": ETL, "file_name": "etl.py"}),
    )
    .await;
    let s = structured(&out);
    assert_eq!(s["file_name"], "etl.py");
    assert_eq!(s["analysis"]["widgets"][0]["name"], "catalog");
    assert!(out.text.contains("1 widgets (catalog)"), "{}", out.text);

    let out = call(
        &reg,
        "analyze_notebook",
        json!({"workspace_path": "/Workspace/Users/ana@example.com/etl"}),
    )
    .await;
    let s = structured(&out);
    assert_eq!(s["file_name"], "etl.py");
    assert_eq!(s["analysis"]["widgets"][0]["name"], "catalog");

    // Neither source: an argument error the model can fix.
    let err = reg
        .call("analyze_notebook", json!({}), ToolContext::new())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("workspace_path"), "{err}");
}

#[tokio::test]
async fn generate_bundle_writes_validates_and_refuses_overwrite() {
    let server = MockServer::start().await;
    mount_notebook(
        &server,
        "/Workspace/Users/ana@example.com/report",
        "# Databricks notebook source\nspark.table(\"main.s.raw\").show()\n",
    )
    .await;
    catch_all(&server).await;
    let root = tempfile::tempdir().unwrap();
    let reg = registry(&server, BundleToolsetOptions::new(root.path()), false);
    let args = json!({
        "bundle_name": "sales",
        "dir": "sales",
        "notebooks": [
            {"path": "etl.py", "content": ETL},
            {"workspace_path": "/Workspace/Users/ana@example.com/report"}
        ]
    });
    let out = call(&reg, "generate_bundle", args.clone()).await;
    let s = structured(&out);
    assert_eq!(s["valid"], true, "{}", out.text);
    let files: Vec<&str> = s["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(files.contains(&"databricks.yml"), "{files:?}");
    assert!(files.contains(&"resources/sales.job.yml"), "{files:?}");
    assert!(files.contains(&"src/etl.py") && files.contains(&"src/report.py"));
    let job = std::fs::read_to_string(root.path().join("sales/resources/sales.job.yml")).unwrap();
    assert!(job.contains("notebook_path: ../src/report.py"), "{job}");
    let yml = std::fs::read_to_string(root.path().join("sales/databricks.yml")).unwrap();
    assert!(yml.contains(&server.uri()), "host from the client: {yml}");

    let again = call(&reg, "generate_bundle", args.clone()).await;
    assert!(
        again.is_error && again.text.contains("overwrite: true"),
        "{}",
        again.text
    );
    let mut args = args;
    args["overwrite"] = json!(true);
    assert!(!call(&reg, "generate_bundle", args).await.is_error);
}

#[tokio::test]
async fn generate_bundle_from_job_exports_notebooks() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/get"))
        .and(query_param("job_id", "42"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "job_id": 42, "creator_user_name": "ana@example.com", "created_time": 1700000000000i64,
            "settings": {
                "name": "Nightly ETL", "format": "MULTI_TASK", "max_concurrent_runs": 1,
                "tasks": [{"task_key": "etl", "notebook_task": {
                    "notebook_path": "/Workspace/Users/ana@example.com/etl", "source": "WORKSPACE"}}]
            }
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_notebook(&server, "/Workspace/Users/ana@example.com/etl", ETL).await;
    catch_all(&server).await;
    let root = tempfile::tempdir().unwrap();
    let reg = registry(&server, BundleToolsetOptions::new(root.path()), false);
    let out = call(
        &reg,
        "generate_bundle_from_job",
        json!({"job_id": 42, "dir": "nightly"}),
    )
    .await;
    let s = structured(&out);
    let files: Vec<&str> = s["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(files.contains(&"databricks.yml"), "{files:?}");
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("src/") && f.ends_with(".py")),
        "{files:?}"
    );
    for f in &files {
        assert!(root.path().join("nightly").join(f).is_file(), "{f} written");
    }
    assert!(s["diagnostics"].is_array());

    // An unknown job is an isError naming the next step.
    let out = call(
        &reg,
        "generate_bundle_from_job",
        json!({"job_id": 7, "dir": "other"}),
    )
    .await;
    assert!(out.is_error, "{}", out.text);
    assert!(
        out.text.contains("generate_bundle_from_job failed"),
        "{}",
        out.text
    );
}

#[tokio::test]
async fn validate_bundle_reports_file_line_path_and_fix() {
    let server = MockServer::start().await;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("broken");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("databricks.yml"),
        "bundle:\n  name: demo\nresources:\n  jobs:\n    etl:\n      name: etl\n      tasks:\n        - task_key: a\n          depends_on:\n            - task_key: missing\n          notebook_task:\n            notebook_path: ./nb.py\n",
    )
    .unwrap();
    std::fs::write(dir.join("nb.py"), "# Databricks notebook source\n").unwrap();
    let reg = registry(&server, BundleToolsetOptions::new(root.path()), true);
    let out = call(&reg, "validate_bundle", json!({"dir": "broken"})).await;
    let s = structured(&out);
    assert_eq!(s["valid"], false);
    assert_eq!(s["schema_used"], false);
    let diags = s["diagnostics"].as_array().unwrap();
    let dep = diags
        .iter()
        .find(|d| d["line"] == 10)
        .expect("the depends_on finding");
    assert_eq!(dep["severity"], "error");
    assert_eq!(dep["file"], "databricks.yml");
    assert!(
        dep["path"].as_str().unwrap().contains("depends_on"),
        "{dep}"
    );
    assert!(out.text.contains("missing"), "{}", out.text);

    // A directory without databricks.yml names the fix.
    std::fs::create_dir_all(root.path().join("empty")).unwrap();
    let out = call(&reg, "validate_bundle", json!({"dir": "empty"})).await;
    assert!(
        out.is_error && out.text.contains("databricks.yml"),
        "{}",
        out.text
    );
}

#[tokio::test]
async fn paths_may_not_leave_the_root() {
    let server = MockServer::start().await;
    let root = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("databricks.yml"),
        "bundle:\n  name: x\n",
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), root.path().join("link")).unwrap();
    let reg = registry(&server, BundleToolsetOptions::new(root.path()), false);
    let mut dirs = vec!["../x", "/etc", "a/../../b", ""];
    if cfg!(unix) {
        dirs.push("link");
        dirs.push("link/sub");
    }
    for dir in dirs {
        let out = call(&reg, "validate_bundle", json!({"dir": dir})).await;
        assert!(out.is_error, "{dir}: {}", out.text);
        assert!(
            out.text.contains("bundle root") || out.text.contains("empty"),
            "{dir}: {}",
            out.text
        );
        let out = call(
            &reg,
            "generate_bundle",
            json!({"bundle_name": "x", "dir": dir, "notebooks": [{"path": "a.py", "content": ETL}]}),
        )
        .await;
        assert!(out.is_error, "{dir}: {}", out.text);
    }
    assert!(!outside.path().join("resources").exists());
    let out = call(
        &reg,
        "generate_bundle",
        json!({"bundle_name": "x", "dir": "ok", "notebooks": [{"path": "../a.py", "content": ETL}]}),
    )
    .await;
    assert!(out.is_error, "{}", out.text);
}

#[tokio::test]
async fn create_tests_scaffolds_a_test_task() {
    let server = MockServer::start().await;
    let root = tempfile::tempdir().unwrap();
    let reg = registry(&server, BundleToolsetOptions::new(root.path()), false);
    let out = call(
        &reg,
        "generate_bundle",
        json!({"bundle_name": "demo", "dir": "demo", "notebooks": [{"path": "etl.py", "content": ETL}]}),
    )
    .await;
    assert!(!out.is_error, "{}", out.text);
    let out = call(
        &reg,
        "create_tests",
        json!({"dir": "demo", "notebook": "src/etl.py"}),
    )
    .await;
    let s = structured(&out);
    assert_eq!(s["task_key"], "test_etl");
    assert!(
        s["functions"]
            .as_array()
            .unwrap()
            .contains(&json!("table_name"))
    );
    let test = std::fs::read_to_string(root.path().join("demo/tests/test_etl.py")).unwrap();
    assert!(test.contains("def catalog():"), "{test}");
    let job = std::fs::read_to_string(root.path().join("demo/resources/demo.job.yml")).unwrap();
    assert!(job.contains("task_key: test_etl"), "{job}");
    assert!(
        !s["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["severity"] == "error"),
        "{}",
        out.text
    );

    let again = call(
        &reg,
        "create_tests",
        json!({"dir": "demo", "notebook": "src/etl.py"}),
    )
    .await;
    assert!(
        again.is_error && again.text.contains("overwrite"),
        "{}",
        again.text
    );
    let missing = call(
        &reg,
        "create_tests",
        json!({"dir": "demo", "notebook": "src/nope.py"}),
    )
    .await;
    assert!(
        missing.is_error && missing.text.contains("src/etl.py"),
        "{}",
        missing.text
    );
}

#[tokio::test]
async fn upload_bundle_imports_notebooks_and_files() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/workspace/mkdirs"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/workspace/import"))
        .and(body_partial_json(json!({
            "path": "/Workspace/Shared/demo/src/etl", "format": "SOURCE", "language": "PYTHON", "overwrite": true
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/workspace/import"))
        .and(body_partial_json(
            json!({"format": "AUTO", "overwrite": true}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(2)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let root = tempfile::tempdir().unwrap();
    let reg = registry(&server, BundleToolsetOptions::new(root.path()), false);
    let out = call(
        &reg,
        "generate_bundle",
        json!({"bundle_name": "demo", "dir": "demo", "notebooks": [{"path": "etl.py", "content": ETL}]}),
    )
    .await;
    assert!(!out.is_error, "{}", out.text);
    let out = call(
        &reg,
        "upload_bundle",
        json!({"dir": "demo", "workspace_path": "/Workspace/Shared/demo"}),
    )
    .await;
    let s = structured(&out);
    assert_eq!(s["notebooks"], json!(["/Workspace/Shared/demo/src/etl"]));
    assert_eq!(
        s["files"],
        json!([
            "/Workspace/Shared/demo/databricks.yml",
            "/Workspace/Shared/demo/resources/demo.job.yml"
        ])
    );
    let requests = server.received_requests().await.unwrap();
    let import = requests
        .iter()
        .find(|r| {
            r.url.path() == "/api/2.0/workspace/import"
                && String::from_utf8_lossy(&r.body).contains("\"SOURCE\"")
        })
        .expect("notebook import");
    let body: Value = serde_json::from_slice(&import.body).unwrap();
    let content = base64::engine::general_purpose::STANDARD
        .decode(body["content"].as_str().unwrap())
        .unwrap();
    assert_eq!(String::from_utf8(content).unwrap(), ETL);

    let bad = call(
        &reg,
        "upload_bundle",
        json!({"dir": "demo", "workspace_path": "relative"}),
    )
    .await;
    assert!(
        bad.is_error && bad.text.contains("absolute"),
        "{}",
        bad.text
    );
}

#[tokio::test]
async fn sync_workspace_to_local_copies_a_folder() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/workspace/list"))
        .and(query_param("path", "/Workspace/Shared/proj"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"objects": [
            {"path": "/Workspace/Shared/proj/main", "object_type": "NOTEBOOK", "language": "PYTHON", "modified_at": 1000, "object_id": 1},
            {"path": "/Workspace/Shared/proj/config.json", "object_type": "FILE", "modified_at": 3000, "object_id": 2},
        ]})))
        .mount(&server)
        .await;
    for (p, format, text) in [
        ("/Workspace/Shared/proj/main", "SOURCE", ETL),
        ("/Workspace/Shared/proj/config.json", "AUTO", "{\"a\": 1}\n"),
    ] {
        Mock::given(method("GET"))
            .and(path("/api/2.0/workspace/export"))
            .and(query_param("path", p))
            .and(query_param("format", format))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"content": b64(text)})))
            .expect(1)
            .mount(&server)
            .await;
    }
    catch_all(&server).await;
    let root = tempfile::tempdir().unwrap();
    let reg = registry(&server, BundleToolsetOptions::new(root.path()), false);
    let out = call(
        &reg,
        "sync_workspace_to_local",
        json!({"workspace_path": "/Workspace/Shared/proj", "dir": "proj"}),
    )
    .await;
    let s = structured(&out);
    assert_eq!(s["written"], json!(["config.json", "main.py"]));
    assert_eq!(
        std::fs::read_to_string(root.path().join("proj/main.py")).unwrap(),
        ETL
    );
    // A second sync skips unchanged objects without downloading (export expected once).
    let out = call(
        &reg,
        "sync_workspace_to_local",
        json!({"workspace_path": "/Workspace/Shared/proj", "dir": "proj"}),
    )
    .await;
    assert_eq!(structured(&out)["unchanged"].as_array().unwrap().len(), 2);

    // A folder with other files is refused without overwrite.
    std::fs::create_dir_all(root.path().join("mine")).unwrap();
    std::fs::write(root.path().join("mine/notes.txt"), "x").unwrap();
    let out = call(
        &reg,
        "sync_workspace_to_local",
        json!({"workspace_path": "/Workspace/Shared/proj", "dir": "mine"}),
    )
    .await;
    assert!(
        out.is_error && out.text.contains("overwrite: true"),
        "{}",
        out.text
    );
}

#[derive(Default)]
struct Sink(Mutex<Vec<Progress>>);

#[async_trait::async_trait]
impl ProgressSink for Sink {
    async fn report(&self, p: Progress) {
        self.0.lock().unwrap().push(p);
    }
}

#[cfg(unix)]
fn fake_cli(dir: &Path, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("fake-databricks.sh");
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

#[cfg(unix)]
#[tokio::test]
async fn run_bundle_command_streams_output_as_progress() {
    let server = MockServer::start().await;
    let root = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("demo")).unwrap();
    std::fs::write(
        root.path().join("demo/databricks.yml"),
        "bundle:\n  name: demo\n",
    )
    .unwrap();
    let cli = fake_cli(
        bin.path(),
        "echo \"args: $*\"\necho \"Uploading bundle files\"\necho \"warning: slow\" >&2\necho \"Deployment complete!\"",
    );
    let opts = BundleToolsetOptions::new(root.path())
        .with_cli_program(&cli)
        .with_profile("dev-profile");
    let reg = registry(&server, opts, false);
    let sink = Arc::new(Sink::default());
    let ctx = ToolContext::new().with_progress(Arc::clone(&sink) as Arc<dyn ProgressSink>);
    let out = reg
        .call(
            "run_bundle_command",
            json!({"dir": "demo", "command": "deploy", "target": "dev", "vars": {"catalog": "main"}}),
            ctx,
        )
        .await
        .unwrap();
    let s = structured(&out);
    assert_eq!(s["success"], true);
    assert_eq!(s["line_count"], 4);
    let output: Vec<&str> = s["output"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    // stdout and stderr are read concurrently: only the order within one stream is fixed.
    assert!(
        output.contains(
            &"args: bundle deploy --auto-approve -t dev -p dev-profile --var=catalog=main"
        ),
        "{output:?}"
    );
    let stdout: Vec<&&str> = output
        .iter()
        .filter(|l| !l.starts_with("stderr: "))
        .collect();
    assert_eq!(
        stdout,
        [
            &"args: bundle deploy --auto-approve -t dev -p dev-profile --var=catalog=main",
            &"Uploading bundle files",
            &"Deployment complete!"
        ]
    );
    assert!(output.contains(&"stderr: warning: slow"), "{output:?}");
    let seen = sink.0.lock().unwrap();
    assert_eq!(seen.len(), 4);
    assert!(seen.windows(2).all(|w| w[0].progress < w[1].progress));
    assert!(
        seen.iter()
            .any(|p| p.message.as_deref() == Some("Deployment complete!"))
    );
}

#[cfg(unix)]
#[tokio::test]
async fn run_bundle_command_failures_are_tool_errors() {
    let server = MockServer::start().await;
    let root = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("demo")).unwrap();
    std::fs::write(
        root.path().join("demo/databricks.yml"),
        "bundle:\n  name: demo\n",
    )
    .unwrap();

    let cli = fake_cli(bin.path(), "echo \"Error: job etl not found\" >&2\nexit 3");
    let reg = registry(
        &server,
        BundleToolsetOptions::new(root.path()).with_cli_program(&cli),
        false,
    );
    let out = call(
        &reg,
        "run_bundle_command",
        json!({"dir": "demo", "command": "run", "resource_key": "etl"}),
    )
    .await;
    assert!(out.is_error);
    assert!(out.text.contains("bundle run etl"), "{}", out.text);
    assert!(out.text.contains("job etl not found"), "{}", out.text);

    // `run` without a resource key is an argument error.
    let err = reg
        .call(
            "run_bundle_command",
            json!({"dir": "demo", "command": "run"}),
            ToolContext::new(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("resource_key"), "{err}");

    // A CLI that runs past the caller's limit is stopped.
    let slow = bin.path().join("slow");
    std::fs::create_dir_all(&slow).unwrap();
    let cli = fake_cli(&slow, "echo started\nsleep 5\necho never");
    let reg = registry(
        &server,
        BundleToolsetOptions::new(root.path())
            .with_cli_program(&cli)
            .with_wait(WaitPolicy::new().with_max_wait(Duration::from_secs(1))),
        false,
    );
    let out = call(
        &reg,
        "run_bundle_command",
        json!({"dir": "demo", "command": "validate", "wait_seconds": 30}),
    )
    .await;
    assert!(
        out.is_error && out.text.contains("wait_seconds"),
        "{}",
        out.text
    );
    assert!(out.text.contains("started"), "{}", out.text);

    // A missing CLI names how to install it and `cli_program`.
    let reg = registry(
        &server,
        BundleToolsetOptions::new(root.path()).with_cli_program(bin.path().join("nope/databricks")),
        false,
    );
    let out = call(
        &reg,
        "run_bundle_command",
        json!({"dir": "demo", "command": "destroy"}),
    )
    .await;
    assert!(out.is_error);
    assert!(
        out.text.contains("install") && out.text.contains("cli_program"),
        "{}",
        out.text
    );
}

#[tokio::test]
async fn read_only_registry_hides_write_tools() {
    let server = MockServer::start().await;
    let root = tempfile::tempdir().unwrap();
    let reg = registry(&server, BundleToolsetOptions::new(root.path()), true);
    let names: Vec<&str> = reg.specs().map(|s| s.name()).collect();
    assert_eq!(names, ["analyze_notebook", "validate_bundle"]);
    let err = reg
        .call(
            "upload_bundle",
            json!({"dir": "d", "workspace_path": "/x"}),
            ToolContext::new(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");

    let reg = registry(&server, BundleToolsetOptions::new(root.path()), false);
    let names: Vec<&str> = reg.specs().map(|s| s.name()).collect();
    assert_eq!(
        names,
        [
            "analyze_notebook",
            "generate_bundle",
            "generate_bundle_from_job",
            "validate_bundle",
            "create_tests",
            "upload_bundle",
            "run_bundle_command",
            "sync_workspace_to_local"
        ]
    );
    let run = reg.get("run_bundle_command").unwrap().annotations();
    assert!(run.destructive_hint && !run.read_only_hint);
    let gen_ = reg.get("generate_bundle").unwrap().annotations();
    assert!(!gen_.read_only_hint && !gen_.destructive_hint);
    assert!(
        reg.get("validate_bundle")
            .unwrap()
            .annotations()
            .read_only_hint
    );
}

/// With the official bundle schema (`BUNDLE_SCHEMA_PATH`), `validate_bundle` reports fields the
/// schema does not know.
#[tokio::test]
async fn validate_bundle_uses_the_official_schema_when_given() {
    let Ok(schema_path) = std::env::var("BUNDLE_SCHEMA_PATH") else {
        println!("skipped: set BUNDLE_SCHEMA_PATH to the bundle JSON schema to run this test");
        return;
    };
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).expect("read schema"))
            .expect("schema JSON");
    let server = MockServer::start().await;
    let root = tempfile::tempdir().unwrap();
    let reg = registry(
        &server,
        BundleToolsetOptions::new(root.path()).with_schema(schema),
        false,
    );
    let out = call(
        &reg,
        "generate_bundle",
        json!({"bundle_name": "demo", "dir": "demo", "notebooks": [{"path": "etl.py", "content": ETL}]}),
    )
    .await;
    assert_eq!(structured(&out)["valid"], true, "{}", out.text);
    let out = call(&reg, "validate_bundle", json!({"dir": "demo"})).await;
    let s = structured(&out);
    assert_eq!(s["schema_used"], true);
    assert_eq!(s["valid"], true, "{}", out.text);

    let job = root.path().join("demo/resources/demo.job.yml");
    let text = std::fs::read_to_string(&job).unwrap();
    let text = text.replacen(
        "      name: demo\n",
        "      name: demo\n      max_concurent_runs: 2\n",
        1,
    );
    std::fs::write(&job, text).unwrap();
    let out = call(&reg, "validate_bundle", json!({"dir": "demo"})).await;
    let s = structured(&out);
    let found = s["diagnostics"].as_array().unwrap().iter().find(|d| {
        d["message"]
            .as_str()
            .unwrap_or("")
            .contains("max_concurent_runs")
    });
    let found = found.unwrap_or_else(|| panic!("unknown field reported: {}", out.text));
    assert_eq!(found["file"], "resources/demo.job.yml");
    assert!(found["line"].as_u64().unwrap() > 0);
}

/// Class 1 end to end: no tool that writes files can be steered outside the bundle root —
/// neither by a resource key nor by a symbolic link inside the root (file or directory), with
/// and without `overwrite`.
#[cfg(unix)]
#[tokio::test]
async fn writing_tools_stay_inside_the_root() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/get"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "job_id": 42, "settings": {"name": "Nightly", "tasks": []}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/workspace/list"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"objects": [
            {"path": "/Workspace/Shared/proj/main", "object_type": "NOTEBOOK", "language": "PYTHON", "modified_at": 1000, "object_id": 1},
            {"path": "/Workspace/Shared/proj/sub/config.json", "object_type": "FILE", "modified_at": 3000, "object_id": 2},
        ]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/workspace/export"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"content": b64("pwned")})))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("victim"), "original").unwrap();
    let reg = registry(&server, BundleToolsetOptions::new(&root), false);
    let untouched = || {
        assert_eq!(
            std::fs::read_to_string(outside.join("victim")).unwrap(),
            "original"
        );
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 1);
        assert!(!tmp.path().join("pwned.job.yml").exists());
    };
    for key in [
        "../../../outside/pwned",
        "../pwned",
        "a/../../pwned",
        "/tmp/pwned",
    ] {
        for overwrite in [false, true] {
            let out = call(
                &reg,
                "generate_bundle_from_job",
                json!({"job_id": 42, "dir": "b", "key": key, "overwrite": overwrite}),
            )
            .await;
            assert!(out.is_error, "{key}: {}", out.text);
            untouched();
        }
    }
    // Symbolic links inside the root: to a file, to a directory, at several depths.
    let cases: [(&str, &Path); 4] = [
        ("s1/main.py", &outside.join("victim")),
        ("s2/sub", &outside),
        ("s3", &outside),
        ("s4/.bundle-gen-sync.json", &outside.join("victim")),
    ];
    for (link, target) in cases {
        let link_path = root.join(link);
        std::fs::create_dir_all(link_path.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, &link_path).unwrap();
        let dir = link.split('/').next().unwrap();
        for overwrite in [false, true] {
            let out = call(
                &reg,
                "sync_workspace_to_local",
                json!({"workspace_path": "/Workspace/Shared/proj", "dir": dir, "overwrite": overwrite}),
            )
            .await;
            assert!(out.is_error, "{link}: {}", out.text);
            untouched();
            let out = call(
                &reg,
                "generate_bundle",
                json!({"bundle_name": "x", "dir": format!("{dir}/gen"), "overwrite": overwrite,
                       "notebooks": [{"path": "a.py", "content": ETL}]}),
            )
            .await;
            if dir == "s3" {
                assert!(out.is_error, "{link}: {}", out.text);
            }
            untouched();
        }
    }
}
