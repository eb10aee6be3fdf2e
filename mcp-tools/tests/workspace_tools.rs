//! The workspace toolset end to end: every tool called through the `Registry` against wiremock
//! with response shapes of the real Databricks APIs; requests are asserted, and no output ever
//! contains the client's token.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use databricks_client::{BackoffConfig, Config, RetryConfig, WorkspaceClient};
use mcp_tools::{
    Progress, ProgressSink, Registry, ResultLimits, ToolContext, ToolError, ToolOutput, Toolset,
    WaitPolicy, WorkspaceToolset, WorkspaceToolsetOptions,
};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The token every test client uses; it must never appear in any tool output.
const CANARY: &str = "dapi-CANARY-5b1e7d0c9a";

fn client(server: &MockServer) -> WorkspaceClient {
    let config = Config::builder()
        .host(server.uri())
        .token(CANARY)
        .retry_config(
            RetryConfig::default().with_max_retries(4).with_backoff(
                BackoffConfig::default()
                    .with_initial(Duration::from_millis(1))
                    .with_max(Duration::from_millis(5)),
            ),
        )
        .build()
        .expect("config");
    WorkspaceClient::new(config).expect("client")
}

fn fast_wait() -> WaitPolicy {
    WaitPolicy::new()
        .with_max_wait(Duration::from_secs(30))
        .with_intervals(Duration::from_millis(2), Duration::from_millis(5))
}

fn options() -> WorkspaceToolsetOptions {
    WorkspaceToolsetOptions::new().with_wait(fast_wait())
}

fn registry_with(
    server: &MockServer,
    options: WorkspaceToolsetOptions,
    read_only: bool,
) -> Registry {
    // No `redact_secret`: the toolset itself must not leak the token.
    Registry::builder()
        .toolset(Arc::new(WorkspaceToolset::new(client(server), options)))
        .read_only(read_only)
        .build()
        .expect("registry")
}

fn registry(server: &MockServer) -> Registry {
    registry_with(server, options(), false)
}

fn assert_no_canary(out: &ToolOutput) {
    assert!(
        !out.text.contains(CANARY),
        "token leaked in text: {}",
        out.text
    );
    if let Some(s) = &out.structured {
        assert!(
            !s.to_string().contains(CANARY),
            "token leaked in structured content"
        );
    }
}

async fn call_ctx(reg: &Registry, name: &str, args: Value, ctx: ToolContext) -> ToolOutput {
    let out = reg
        .call(name, args, ctx)
        .await
        .unwrap_or_else(|e| panic!("{name} failed with a protocol error: {e}"));
    assert_no_canary(&out);
    // Structured content (also of failures that carry it) matches the tool's output schema.
    if let Some(structured) = &out.structured {
        let schema = Value::Object(
            reg.get(name)
                .and_then(|s| s.output_schema())
                .cloned()
                .unwrap_or_default(),
        );
        let validator = jsonschema::validator_for(&schema).expect("output schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(structured)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{name}: output does not match its schema: {errors:?}\n{structured}"
        );
    }
    out
}

async fn call(reg: &Registry, name: &str, args: Value) -> ToolOutput {
    call_ctx(reg, name, args, ToolContext::new()).await
}

fn ok(out: &ToolOutput) -> &Value {
    assert!(!out.is_error, "unexpected isError: {}", out.text);
    out.structured.as_ref().expect("structured content")
}

fn json_ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn api_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"error_code": code, "message": message}))
}

/// Requests received for a method and path.
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
    serde_json::from_slice(&r.body).unwrap_or(Value::Null)
}

fn query(r: &Request) -> HashMap<String, String> {
    r.url.query_pairs().into_owned().collect()
}

/// Standard base64 (the tests encode what the Databricks APIs send base64-encoded).
fn b64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Answers with the responses in order, repeating the last one.
struct Sequence {
    responses: Vec<ResponseTemplate>,
    calls: AtomicUsize,
}

impl Sequence {
    fn new(responses: Vec<ResponseTemplate>) -> Self {
        Self {
            responses,
            calls: AtomicUsize::new(0),
        }
    }
}

impl Respond for Sequence {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        let i = self.calls.fetch_add(1, Ordering::SeqCst);
        let last = self.responses.len().saturating_sub(1);
        self.responses
            .get(i.min(last))
            .cloned()
            .unwrap_or_else(|| ResponseTemplate::new(500))
    }
}

#[derive(Default)]
struct Collect(Mutex<Vec<Progress>>);

#[async_trait::async_trait]
impl ProgressSink for Collect {
    async fn report(&self, progress: Progress) {
        self.0.lock().unwrap().push(progress);
    }
}

fn me() -> Value {
    json!({
        "id": "7435312345678",
        "userName": "ana@example.com",
        "displayName": "Ana Analyst",
        "active": true,
        "emails": [{"value": "ana@example.com", "type": "work", "primary": true}],
        "groups": [{"display": "users", "value": "g-1", "type": "direct"}],
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]
    })
}

// ---------------------------------------------------------------------------------------------
// Catalogue
// ---------------------------------------------------------------------------------------------

const TOOLS: [&str; 29] = [
    "health",
    "current_user",
    "list_jobs",
    "get_job",
    "run_job",
    "get_run",
    "cancel_run",
    "list_clusters",
    "get_cluster",
    "start_cluster",
    "list_notebooks",
    "export_notebook",
    "import_notebook",
    "list_warehouses",
    "execute_dbsql",
    "list_dbfs_files",
    "read_dbfs_file",
    "list_catalogs",
    "list_schemas",
    "list_tables",
    "get_table",
    "create_execution_context",
    "execute_command",
    "destroy_execution_context",
    "list_serving_endpoints",
    "query_serving_endpoint",
    "list_vector_indexes",
    "query_vector_index",
    "genie_ask",
];

const WRITE_TOOLS: [&str; 7] = [
    "run_job",
    "cancel_run",
    "start_cluster",
    "import_notebook",
    "create_execution_context",
    "execute_command",
    "destroy_execution_context",
];

#[tokio::test]
async fn tools_are_listed_in_order_with_titles_schemas_and_annotations() {
    let server = MockServer::start().await;
    let ts = WorkspaceToolset::new(client(&server), options());
    assert_eq!(ts.name(), mcp_tools::WORKSPACE_TOOLSET);
    let reg = registry(&server);
    let names: Vec<&str> = reg.specs().map(|s| s.name()).collect();
    assert_eq!(names, TOOLS);
    for spec in reg.specs() {
        assert!(spec.title().is_some(), "{} has no title", spec.name());
        assert_eq!(spec.input_schema()["type"], "object", "{}", spec.name());
        assert!(spec.output_schema().is_some(), "{}", spec.name());
        let a = spec.annotations();
        let writes = WRITE_TOOLS.contains(&spec.name());
        assert_eq!(a.read_only_hint, !writes, "{}", spec.name());
        assert_eq!(spec.writes_data(), writes, "{}", spec.name());
    }
    let destructive = |n: &str| reg.get(n).unwrap().annotations().destructive_hint;
    assert!(
        destructive("run_job") && destructive("import_notebook") && destructive("execute_command")
    );
    assert!(!destructive("start_cluster") && !destructive("cancel_run"));
    // execute_dbsql is read-only unless writes are allowed, then destructive.
    let writes = registry_with(&server, options().with_allow_writes(true), false);
    let a = writes.get("execute_dbsql").unwrap().annotations();
    assert!(!a.read_only_hint && a.destructive_hint);
    // Schema descriptions come from the doc comments.
    let run = reg.get("run_job").unwrap();
    let props = &run.input_schema()["properties"];
    assert!(
        props["idempotency_token"]["description"]
            .as_str()
            .unwrap()
            .contains("retry")
    );
}

/// The catalogue at a glance (name, title, hints, required arguments), for review: a change of
/// annotations or arguments shows up in the snapshot diff.
#[tokio::test]
async fn catalogue_snapshot() {
    let server = MockServer::start().await;
    let reg = registry(&server);
    let lines: Vec<String> = reg
        .specs()
        .map(|s| {
            let a = s.annotations();
            let hints = [
                (a.read_only_hint, "read-only"),
                (a.destructive_hint, "destructive"),
                (a.idempotent_hint, "idempotent"),
                (a.open_world_hint, "open-world"),
            ]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect::<Vec<_>>()
            .join(",");
            let mut args: Vec<String> = s
                .input_schema()
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            let required: Vec<&str> = s
                .input_schema()
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for a in &mut args {
                if required.contains(&a.as_str()) {
                    a.push('*');
                }
            }
            format!(
                "{} | {} | {hints} | {}",
                s.name(),
                s.title().unwrap_or("-"),
                args.join(" ")
            )
        })
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[tokio::test]
async fn read_only_registry_hides_and_rejects_write_tools() {
    let server = MockServer::start().await;
    let reg = registry_with(&server, options(), true);
    let names: Vec<&str> = reg.specs().map(|s| s.name()).collect();
    for w in WRITE_TOOLS {
        assert!(!names.contains(&w), "{w} visible in read-only mode");
        let err = reg
            .call(w, json!({}), ToolContext::new())
            .await
            .unwrap_err();
        assert!(matches!(err, ToolError::WriteDisabled { .. }), "{err}");
    }
    assert_eq!(names.len(), TOOLS.len() - WRITE_TOOLS.len());
    assert!(names.contains(&"execute_dbsql") && names.contains(&"genie_ask"));
    // Nothing reached the workspace.
    assert!(server.received_requests().await.unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Identity
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn health_and_current_user_report_the_identity_never_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/preview/scim/v2/Me"))
        .respond_with(json_ok(me()))
        .mount(&server)
        .await;
    let reg = registry(&server);
    let out = call(&reg, "health", json!({})).await;
    let s = ok(&out);
    assert_eq!(s["ok"], true);
    assert_eq!(s["user_name"], "ana@example.com");
    assert_eq!(s["host"], server.uri());
    assert!(out.text.contains("ana@example.com") && out.text.contains(&server.uri()));

    let out = call(&reg, "current_user", json!({})).await;
    let s = ok(&out);
    assert_eq!(s["display_name"], "Ana Analyst");
    assert_eq!(s["email"], "ana@example.com");
    assert_eq!(s["groups"], json!(["users"]));

    // The token was really used (and is still absent from every output above).
    let reqs = requests(&server, "GET", "/api/2.0/preview/scim/v2/Me").await;
    assert_eq!(reqs.len(), 2);
    let auth = reqs[0]
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(auth, format!("Bearer {CANARY}"));
}

#[tokio::test]
async fn health_reports_bad_credentials_with_the_fix() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/preview/scim/v2/Me"))
        .respond_with(api_error(401, "UNAUTHENTICATED", "Invalid access token."))
        .mount(&server)
        .await;
    let out = call(&registry(&server), "health", json!({})).await;
    assert!(out.is_error);
    assert!(
        out.text.contains("not healthy") && out.text.contains("DATABRICKS_TOKEN"),
        "{}",
        out.text
    );
}

// ---------------------------------------------------------------------------------------------
// Jobs
// ---------------------------------------------------------------------------------------------

fn job(id: i64, name: &str) -> Value {
    json!({
        "job_id": id,
        "creator_user_name": "ana@example.com",
        "created_time": 1_700_000_000_000_i64,
        "settings": {"name": name, "format": "MULTI_TASK", "max_concurrent_runs": 1}
    })
}

#[tokio::test]
async fn list_jobs_pages_with_limit_and_offset() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/list"))
        .and(query_param("page_token", "p2"))
        .respond_with(json_ok(json!({"jobs": [job(4, "d")], "has_more": false})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/list"))
        .respond_with(json_ok(json!({
            "jobs": [job(1, "a"), job(2, "b"), job(3, "c")],
            "has_more": true,
            "next_page_token": "p2"
        })))
        .mount(&server)
        .await;
    let reg = registry(&server);
    let out = call(&reg, "list_jobs", json!({"limit": 2})).await;
    let s = ok(&out);
    assert_eq!(s["jobs"].as_array().unwrap().len(), 2);
    assert_eq!(
        s["jobs"][0],
        json!({"job_id": 1, "name": "a", "creator_user_name": "ana@example.com", "created_time": 1_700_000_000_000_i64})
    );
    assert_eq!(s["truncated"], true);
    assert_eq!(s["next_offset"], 2);
    assert!(out.text.contains("offset=2"), "{}", out.text);
    let reqs = requests(&server, "GET", "/api/2.2/jobs/list").await;
    assert_eq!(query(&reqs[0]).get("limit").map(String::as_str), Some("3"));

    let out = call(
        &reg,
        "list_jobs",
        json!({"limit": 2, "offset": 2, "name": "x"}),
    )
    .await;
    let s = ok(&out);
    let ids: Vec<i64> = s["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["job_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![3, 4]);
    assert_eq!(s["truncated"], false);
    let reqs = requests(&server, "GET", "/api/2.2/jobs/list").await;
    assert_eq!(
        query(reqs.last().unwrap()).get("name").map(String::as_str),
        Some("x")
    );
}

#[tokio::test]
async fn get_job_summarizes_tasks_and_a_missing_job_names_list_jobs() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/get"))
        .and(query_param("job_id", "7"))
        .respond_with(json_ok(json!({
            "job_id": 7,
            "creator_user_name": "ana@example.com",
            "run_as_user_name": "etl@example.com",
            "settings": {
                "name": "nightly-etl",
                "parameters": [{"name": "date", "default": "today"}],
                "schedule": {"quartz_cron_expression": "0 0 2 * * ?", "timezone_id": "UTC", "pause_status": "UNPAUSED"},
                "tasks": [
                    {"task_key": "ingest", "notebook_task": {"notebook_path": "/Repos/etl/ingest", "source": "WORKSPACE"}, "existing_cluster_id": "0101-abc"},
                    {"task_key": "report", "depends_on": [{"task_key": "ingest"}], "sql_task": {"warehouse_id": "wh1", "file": {"path": "/etl/report.sql"}}}
                ],
                "format": "MULTI_TASK"
            }
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/get"))
        .and(query_param("job_id", "999"))
        .respond_with(api_error(
            400,
            "INVALID_PARAMETER_VALUE",
            "Job 999 does not exist.",
        ))
        .mount(&server)
        .await;
    let reg = registry(&server);
    let out = call(&reg, "get_job", json!({"job_id": 7})).await;
    let s = ok(&out);
    assert_eq!(s["name"], "nightly-etl");
    assert_eq!(
        s["parameters"],
        json!([{"name": "date", "default": "today"}])
    );
    assert_eq!(s["schedule"], "0 0 2 * * ? (UTC)");
    assert_eq!(s["tasks"][0]["kind"], "notebook");
    assert_eq!(s["tasks"][0]["target"], "/Repos/etl/ingest");
    assert_eq!(s["tasks"][1]["depends_on"], json!(["ingest"]));
    assert_eq!(s["tasks"][1]["target"], "/etl/report.sql");
    assert_eq!(s["settings"]["tasks"][0]["existing_cluster_id"], "0101-abc");
    assert!(
        out.text.contains("report [sql]") && out.text.contains("after ingest"),
        "{}",
        out.text
    );

    let out = call(&reg, "get_job", json!({"job_id": 999})).await;
    assert!(out.is_error);
    assert!(
        out.text.contains("Job 999 does not exist") && out.text.contains("list_jobs"),
        "{}",
        out.text
    );

    // A bad argument is an InvalidParams error (an isError result in the adapters).
    let err = reg
        .call("get_job", json!({"job_id": "seven"}), ToolContext::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ToolError::InvalidParams { .. }) && err.to_string().contains("expected i64"),
        "{err}"
    );
    let err = reg
        .call("get_job", json!({}), ToolContext::new())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("job_id"), "{err}");
}

/// A Databricks-like `jobs/run-now`: the first `fail_first` attempts start the run but answer
/// 503 (the response is lost), later attempts answer normally. A repeated idempotency token
/// returns the run it already started.
struct RunNow {
    fail_first: usize,
    attempts: AtomicUsize,
    runs: Mutex<BTreeMap<String, i64>>,
    next_id: AtomicUsize,
}

impl RunNow {
    fn new(fail_first: usize) -> Self {
        Self {
            fail_first,
            attempts: AtomicUsize::new(0),
            runs: Mutex::new(BTreeMap::new()),
            next_id: AtomicUsize::new(5000),
        }
    }

    fn distinct_runs(&self) -> usize {
        self.runs.lock().unwrap().len()
    }
}

/// Shares one [`RunNow`] between the mock and the test's assertions.
struct Shared(Arc<RunNow>);

impl Respond for Shared {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let this = &self.0;
        let attempt = this.attempts.fetch_add(1, Ordering::SeqCst);
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let run_id = match body["idempotency_token"].as_str() {
            Some(token) => *this
                .runs
                .lock()
                .unwrap()
                .entry(token.to_owned())
                .or_insert_with(|| this.next_id.fetch_add(1, Ordering::SeqCst) as i64),
            None => {
                let id = this.next_id.fetch_add(1, Ordering::SeqCst) as i64;
                this.runs
                    .lock()
                    .unwrap()
                    .insert(format!("untokened-{id}"), id);
                id
            }
        };
        if attempt < this.fail_first {
            return api_error(
                503,
                "TEMPORARILY_UNAVAILABLE",
                "The service is temporarily unavailable.",
            );
        }
        json_ok(json!({"run_id": run_id, "number_in_job": run_id}))
    }
}

fn run_json(run_id: i64, life: &str, result: Option<&str>, message: &str) -> Value {
    let mut state = json!({"life_cycle_state": life, "state_message": message, "user_cancelled_or_timedout": false});
    if let Some(r) = result {
        state["result_state"] = json!(r);
    }
    json!({
        "job_id": 7,
        "run_id": run_id,
        "number_in_job": run_id,
        "run_name": "nightly-etl",
        "state": state,
        "tasks": [{"run_id": run_id + 1, "task_key": "ingest", "state": state}],
        "start_time": 1_700_000_000_000_i64,
        "end_time": if result.is_some() { 1_700_000_060_000_i64 } else { 0 },
        "run_page_url": format!("https://example.cloud.databricks.com/?o=1#job/7/run/{run_id}"),
        "run_type": "JOB_RUN",
        "format": "MULTI_TASK"
    })
}

#[tokio::test]
async fn run_job_twice_with_the_same_token_under_503s_starts_one_run() {
    let server = MockServer::start().await;
    let run_now = Arc::new(RunNow::new(2));
    Mock::given(method("POST"))
        .and(path("/api/2.2/jobs/run-now"))
        .respond_with(Shared(Arc::clone(&run_now)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/get"))
        .respond_with(json_ok(run_json(
            5000,
            "PENDING",
            None,
            "Waiting for cluster",
        )))
        .mount(&server)
        .await;
    let reg = registry(&server);
    let args = json!({"job_id": 7, "job_parameters": {"date": "2026-11-20"}, "idempotency_token": "retry-me-1"});
    let first = call(&reg, "run_job", args.clone()).await;
    let second = call(&reg, "run_job", args).await;
    let (a, b) = (ok(&first), ok(&second));
    assert_eq!(a["run_id"], b["run_id"]);
    assert_eq!(a["run_id"], 5000);
    assert_eq!(a["idempotency_token"], "retry-me-1");
    assert_eq!(
        run_now.distinct_runs(),
        1,
        "a retried run_job started a second run"
    );
    // Two 503s, one retried success, one repeated call.
    assert_eq!(run_now.attempts.load(Ordering::SeqCst), 4);
    for r in requests(&server, "POST", "/api/2.2/jobs/run-now").await {
        let b = body(&r);
        assert_eq!(b["job_id"], 7);
        assert_eq!(b["idempotency_token"], "retry-me-1");
        assert_eq!(b["job_parameters"], json!({"date": "2026-11-20"}));
    }
    assert_eq!(a["run"]["state"]["life_cycle_state"], "PENDING");
    assert!(
        a["run"]["run_page_url"]
            .as_str()
            .unwrap()
            .contains("/run/5000")
    );
    assert!(first.text.contains("get_run"), "{}", first.text);
}

#[tokio::test]
async fn run_job_generates_and_returns_a_token_when_none_is_given() {
    let server = MockServer::start().await;
    let run_now = Arc::new(RunNow::new(1));
    Mock::given(method("POST"))
        .and(path("/api/2.2/jobs/run-now"))
        .respond_with(Shared(Arc::clone(&run_now)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/get"))
        .respond_with(json_ok(run_json(5000, "QUEUED", None, "")))
        .mount(&server)
        .await;
    let reg = registry(&server);
    let out = call(&reg, "run_job", json!({"job_id": 7})).await;
    let s = ok(&out);
    let token = s["idempotency_token"].as_str().unwrap().to_owned();
    assert!(!token.is_empty() && token.len() <= 64);
    // The generated token made the 503 safe to retry: still one run.
    assert_eq!(run_now.distinct_runs(), 1);
    let sent: Vec<Value> = requests(&server, "POST", "/api/2.2/jobs/run-now")
        .await
        .iter()
        .map(body)
        .collect();
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|b| b["idempotency_token"] == token));
    // A retry by the caller with the returned token gives the same run.
    let again = call(
        &reg,
        "run_job",
        json!({"job_id": 7, "idempotency_token": token}),
    )
    .await;
    assert_eq!(ok(&again)["run_id"], s["run_id"]);
    assert_eq!(run_now.distinct_runs(), 1);
    // A fresh call gets a fresh token.
    let other = call(&reg, "run_job", json!({"job_id": 7})).await;
    assert_ne!(ok(&other)["idempotency_token"], s["idempotency_token"]);
}

#[tokio::test]
async fn run_job_waits_with_progress_until_the_run_finishes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.2/jobs/run-now"))
        .respond_with(json_ok(json!({"run_id": 42, "number_in_job": 42})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/get"))
        .and(query_param("run_id", "42"))
        .respond_with(Sequence::new(vec![
            json_ok(run_json(42, "PENDING", None, "Waiting for cluster")),
            json_ok(run_json(42, "RUNNING", None, "")),
            json_ok(run_json(42, "TERMINATED", Some("SUCCESS"), "")),
        ]))
        .mount(&server)
        .await;
    let sink = Arc::new(Collect::default());
    let ctx = ToolContext::new().with_progress(Arc::clone(&sink) as Arc<dyn ProgressSink>);
    let out = call_ctx(
        &registry(&server),
        "run_job",
        json!({"job_id": 7, "wait_seconds": 20}),
        ctx,
    )
    .await;
    let s = ok(&out);
    assert_eq!(s["run"]["done"], true);
    assert_eq!(s["run"]["succeeded"], true);
    assert_eq!(s["run"]["state"]["result_state"], "SUCCESS");
    let seen = sink.0.lock().unwrap();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0].progress < w[1].progress));
    assert!(seen[0].message.as_deref().unwrap().starts_with("PENDING"));
    assert_eq!(seen[2].message.as_deref(), Some("TERMINATED/SUCCESS"));
}

#[tokio::test]
async fn run_job_that_fails_while_waited_on_is_an_error_with_the_run() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.2/jobs/run-now"))
        .respond_with(json_ok(json!({"run_id": 43})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/get"))
        .respond_with(json_ok(run_json(
            43,
            "TERMINATED",
            Some("FAILED"),
            "Task ingest failed with message: boom",
        )))
        .mount(&server)
        .await;
    let out = call(
        &registry(&server),
        "run_job",
        json!({"job_id": 7, "wait_seconds": 5}),
    )
    .await;
    assert!(out.is_error);
    assert!(out.text.contains("boom"), "{}", out.text);
    assert_eq!(out.structured.as_ref().unwrap()["run"]["succeeded"], false);
}

#[tokio::test]
async fn get_run_and_cancel_run() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/get"))
        .and(query_param("run_id", "42"))
        .respond_with(json_ok(run_json(42, "RUNNING", None, "In run")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.2/jobs/runs/cancel"))
        .and(body_partial_json(json!({"run_id": 42})))
        .respond_with(json_ok(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let reg = registry(&server);
    let out = call(&reg, "get_run", json!({"run_id": 42})).await;
    let s = ok(&out);
    assert_eq!(s["state"]["life_cycle_state"], "RUNNING");
    assert_eq!(s["state"]["state_message"], "In run");
    assert_eq!(s["done"], false);
    assert_eq!(s["tasks"][0]["task_key"], "ingest");
    assert!(s["run_page_url"].as_str().unwrap().ends_with("/run/42"));
    assert!(out.text.contains("RUNNING: In run"), "{}", out.text);
    // The one rendering of a run (render::run_text), shared with get_notebook_run_status.
    assert_eq!(
        out.text,
        "run 42 | RUNNING: In run\nhttps://example.cloud.databricks.com/?o=1#job/7/run/42\n\
         - ingest (43) RUNNING: In run"
    );

    let out = call(&reg, "cancel_run", json!({"run_id": 42})).await;
    let s = ok(&out);
    assert_eq!(s["cancel_requested"], true);
    assert!(out.text.contains("get_run"));
}

// ---------------------------------------------------------------------------------------------
// Clusters
// ---------------------------------------------------------------------------------------------

fn cluster(id: &str, state: &str, message: &str) -> Value {
    json!({
        "cluster_id": id,
        "cluster_name": "shared-autoscaling",
        "spark_version": "15.4.x-scala2.12",
        "node_type_id": "i3.xlarge",
        "autoscale": {"min_workers": 1, "max_workers": 4},
        "autotermination_minutes": 60,
        "state": state,
        "state_message": message,
        "cluster_source": "UI",
        "creator_user_name": "ana@example.com",
        "data_security_mode": "USER_ISOLATION",
        "default_tags": {"Vendor": "Databricks"}
    })
}

#[tokio::test]
async fn list_and_get_clusters() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/clusters/list"))
        .respond_with(json_ok(json!({"clusters": [cluster("0101-a", "RUNNING", ""), cluster("0101-b", "TERMINATED", "Inactive")]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/clusters/get"))
        .and(query_param("cluster_id", "0101-b"))
        .respond_with(json_ok(cluster("0101-b", "TERMINATED", "Inactive")))
        .mount(&server)
        .await;
    let reg = registry(&server);
    let out = call(&reg, "list_clusters", json!({"state": "running"})).await;
    let s = ok(&out);
    assert_eq!(s["clusters"].as_array().unwrap().len(), 2);
    assert_eq!(s["clusters"][0]["state"], "RUNNING");
    let q = query(&requests(&server, "GET", "/api/2.1/clusters/list").await[0]);
    assert_eq!(
        q.get("filter_by.cluster_states").map(String::as_str),
        Some("RUNNING")
    );

    let out = call(&reg, "get_cluster", json!({"cluster_id": "0101-b"})).await;
    let s = ok(&out);
    assert_eq!(s["state_message"], "Inactive");
    assert_eq!(s["spark_version"], "15.4.x-scala2.12");
    assert!(out.text.contains("TERMINATED: Inactive"));
}

#[tokio::test]
async fn start_cluster_waits_for_running_with_progress() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/clusters/get"))
        .respond_with(Sequence::new(vec![
            json_ok(cluster("0101-b", "TERMINATED", "Inactive")),
            json_ok(cluster("0101-b", "PENDING", "Starting Spark")),
            json_ok(cluster("0101-b", "RUNNING", "")),
        ]))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.1/clusters/start"))
        .and(body_partial_json(json!({"cluster_id": "0101-b"})))
        .respond_with(json_ok(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let sink = Arc::new(Collect::default());
    let ctx = ToolContext::new().with_progress(Arc::clone(&sink) as Arc<dyn ProgressSink>);
    let out = call_ctx(
        &registry(&server),
        "start_cluster",
        json!({"cluster_id": "0101-b", "wait_seconds": 20}),
        ctx,
    )
    .await;
    let s = ok(&out);
    assert_eq!(s["running"], true);
    assert_eq!(s["start_requested"], true);
    assert_eq!(s["cluster"]["state"], "RUNNING");
    let seen = sink.0.lock().unwrap();
    assert_eq!(seen.last().unwrap().message.as_deref(), Some("RUNNING"));
}

#[tokio::test]
async fn start_cluster_without_wait_returns_at_once_and_error_state_is_a_failure() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/clusters/get"))
        .and(query_param("cluster_id", "0101-b"))
        .respond_with(json_ok(cluster("0101-b", "TERMINATED", "Inactive")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/clusters/get"))
        .and(query_param("cluster_id", "0101-c"))
        .respond_with(Sequence::new(vec![
            json_ok(cluster("0101-c", "TERMINATED", "Inactive")),
            json_ok(cluster(
                "0101-c",
                "ERROR",
                "Instance quota exceeded in us-west-2",
            )),
        ]))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.1/clusters/start"))
        .respond_with(json_ok(json!({})))
        .mount(&server)
        .await;
    let reg = registry(&server);
    let out = call(&reg, "start_cluster", json!({"cluster_id": "0101-b"})).await;
    let s = ok(&out);
    assert_eq!(s["running"], false);
    assert!(s["next"].as_str().unwrap().contains("get_cluster"));

    let out = call(
        &reg,
        "start_cluster",
        json!({"cluster_id": "0101-c", "wait_seconds": 10}),
    )
    .await;
    assert!(out.is_error, "{}", out.text);
    assert!(out.text.contains("Instance quota exceeded"), "{}", out.text);
    assert_eq!(
        out.structured.as_ref().unwrap()["cluster"]["state"],
        "ERROR"
    );
}

/// `start_cluster` per starting state, where the tool built on `ensure_running_observed`
/// differs from the tool before it (which sent `start` for every state but RUNNING, PENDING,
/// RESTARTING and RESIZING, although the API starts only a TERMINATED cluster).
async fn start_cluster_server(states: &[&str], start_calls: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/clusters/get"))
        .respond_with(Sequence::new(
            states
                .iter()
                .map(|st| json_ok(cluster("0101-s", st, "state message")))
                .collect(),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.1/clusters/start"))
        .respond_with(json_ok(json!({})))
        .expect(start_calls)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn start_cluster_waits_for_a_terminating_cluster_then_starts_it() {
    // Before: `start` at once (a no-op on a TERMINATING cluster), then a failure once it
    // terminated. Now: wait for TERMINATED, start it, wait for RUNNING.
    let server =
        start_cluster_server(&["TERMINATING", "TERMINATED", "PENDING", "RUNNING"], 1).await;
    let out = call(
        &registry(&server),
        "start_cluster",
        json!({"cluster_id": "0101-s", "wait_seconds": 20}),
    )
    .await;
    let s = ok(&out);
    assert_eq!(s["running"], true);
    assert_eq!(s["start_requested"], true);
    server.verify().await;

    // Without a wait nothing is sent: the next step says how to get it started.
    let server = start_cluster_server(&["TERMINATING"], 0).await;
    let out = call(
        &registry(&server),
        "start_cluster",
        json!({"cluster_id": "0101-s"}),
    )
    .await;
    let s = ok(&out);
    assert_eq!(s["running"], false);
    assert_eq!(s["start_requested"], false);
    assert_eq!(s["cluster"]["state"], "TERMINATING");
    let next = s["next"].as_str().unwrap();
    assert!(
        next.contains("only be started once TERMINATED") && next.contains("wait_seconds"),
        "{next}"
    );
}

#[tokio::test]
async fn start_cluster_reports_an_error_cluster_at_once_without_starting_it() {
    // Before: `start` (a no-op on an ERROR cluster), then "starting" without a wait. Now: a
    // failure with the state message, with or without a wait.
    for wait in [0, 10] {
        let server = start_cluster_server(&["ERROR"], 0).await;
        let out = call(
            &registry(&server),
            "start_cluster",
            json!({"cluster_id": "0101-s", "wait_seconds": wait}),
        )
        .await;
        assert!(out.is_error, "{}", out.text);
        assert!(out.text.contains("state message"), "{}", out.text);
        let s = out.structured.as_ref().unwrap();
        assert_eq!(s["cluster"]["state"], "ERROR");
        assert_eq!(s["start_requested"], false);
        server.verify().await;
    }
}

#[tokio::test]
async fn start_cluster_reports_an_unknown_state_at_once_without_starting_it() {
    // Before: `start`, then polling until the wait ran out, reported as "starting". Now: a
    // failure at once (nothing to wait for), no `start`.
    let server = start_cluster_server(&["UNKNOWN"], 0).await;
    let out = call(
        &registry(&server),
        "start_cluster",
        json!({"cluster_id": "0101-s", "wait_seconds": 10}),
    )
    .await;
    assert!(out.is_error, "{}", out.text);
    let s = out.structured.as_ref().unwrap();
    assert_eq!(s["cluster"]["state"], "UNKNOWN");
    assert_eq!(s["running"], false);
    server.verify().await;
}

#[tokio::test]
async fn start_cluster_reports_a_start_that_ended_terminated_without_starting_again() {
    // Someone else's start (PENDING, RESTARTING, RESIZING) that ends TERMINATED is a failed
    // start, as before: reported with the message, no second `start`.
    for starting in ["PENDING", "RESTARTING", "RESIZING"] {
        let server = start_cluster_server(&[starting, "TERMINATED"], 0).await;
        let out = call(
            &registry(&server),
            "start_cluster",
            json!({"cluster_id": "0101-s", "wait_seconds": 10}),
        )
        .await;
        assert!(out.is_error, "{starting}: {}", out.text);
        let s = out.structured.as_ref().unwrap();
        assert_eq!(s["cluster"]["state"], "TERMINATED", "{starting}");
        assert_eq!(s["start_requested"], false, "{starting}");
        server.verify().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Notebooks and DBFS
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn list_export_and_import_notebooks() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/workspace/list"))
        .and(query_param("path", "/Users/ana@example.com"))
        .respond_with(json_ok(json!({"objects": [
            {"path": "/Users/ana@example.com/sales", "object_type": "NOTEBOOK", "language": "PYTHON", "object_id": 11, "modified_at": 1_700_000_000_000_i64},
            {"path": "/Users/ana@example.com/adhoc", "object_type": "DIRECTORY", "object_id": 12}
        ]})))
        .mount(&server)
        .await;
    let source = "# Databricks notebook source\nprint('héllo')\n\n# COMMAND ----------\n\ndisplay(spark.range(3))\n";
    Mock::given(method("GET"))
        .and(path("/api/2.0/workspace/export"))
        .and(query_param("path", "/Users/ana@example.com/sales"))
        .and(query_param("format", "SOURCE"))
        .respond_with(json_ok(
            json!({"content": b64(source.as_bytes()), "file_type": "py"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/workspace/import"))
        .respond_with(json_ok(json!({})))
        .mount(&server)
        .await;
    let reg = registry(&server);
    let out = call(
        &reg,
        "list_notebooks",
        json!({"path": "/Users/ana@example.com", "limit": 1}),
    )
    .await;
    let s = ok(&out);
    // Sorted by path, paged.
    assert_eq!(s["objects"][0]["path"], "/Users/ana@example.com/adhoc");
    assert_eq!(s["objects"][0]["object_type"], "DIRECTORY");
    assert_eq!(s["next_offset"], 1);
    let out = call(
        &reg,
        "list_notebooks",
        json!({"path": "/Users/ana@example.com", "offset": 1}),
    )
    .await;
    let s = ok(&out);
    assert_eq!(s["objects"][0]["language"], "PYTHON");
    assert_eq!(s["truncated"], false);

    let out = call(
        &reg,
        "export_notebook",
        json!({"path": "/Users/ana@example.com/sales"}),
    )
    .await;
    let s = ok(&out);
    assert_eq!(s["content"], source);
    assert_eq!(s["format"], "SOURCE");
    assert_eq!(s["truncated"], false);
    assert!(out.text.contains("print('héllo')"));

    let out = call(
        &reg,
        "import_notebook",
        json!({"path": "/Users/ana@example.com/new", "language": "python", "content": "print(1)\n", "overwrite": true}),
    )
    .await;
    let s = ok(&out);
    assert_eq!(s["size_bytes"], 9);
    let b = body(&requests(&server, "POST", "/api/2.0/workspace/import").await[0]);
    assert_eq!(
        b,
        json!({"path": "/Users/ana@example.com/new", "content": b64(b"print(1)\n"), "format": "SOURCE", "language": "PYTHON", "overwrite": true})
    );
}

#[tokio::test]
async fn export_notebook_caps_long_content() {
    let server = MockServer::start().await;
    let source = "x = 1\n".repeat(2000);
    Mock::given(method("GET"))
        .and(path("/api/2.0/workspace/export"))
        .respond_with(json_ok(
            json!({"content": b64(source.as_bytes()), "file_type": "py"}),
        ))
        .mount(&server)
        .await;
    let reg = registry_with(
        &server,
        options().with_limits(ResultLimits::new().with_max_text_bytes(1024)),
        false,
    );
    let out = call(&reg, "export_notebook", json!({"path": "/a"})).await;
    let s = ok(&out);
    assert_eq!(s["truncated"], true);
    assert_eq!(s["size_bytes"], source.len());
    assert!(s["content"].as_str().unwrap().len() <= 1024);
    assert!(out.text.len() <= 1024 + 256);
}

#[tokio::test]
async fn list_and_read_dbfs_files() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/dbfs/list"))
        .and(query_param("path", "/tmp"))
        .respond_with(json_ok(json!({"files": [
            {"path": "/tmp/report.csv", "is_dir": false, "file_size": 29, "modification_time": 1_700_000_000_000_i64},
            {"path": "/tmp/blob.bin", "is_dir": false, "file_size": 4},
            {"path": "/tmp/dir", "is_dir": true, "file_size": 0}
        ]})))
        .mount(&server)
        .await;
    let csv = "region,revenue\nwest,10\neast,7\n";
    Mock::given(method("GET"))
        .and(path("/api/2.0/dbfs/read"))
        .and(query_param("path", "/tmp/report.csv"))
        .respond_with(json_ok(
            json!({"bytes_read": 16, "data": b64(&csv.as_bytes()[..16])}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/dbfs/read"))
        .and(query_param("path", "/tmp/blob.bin"))
        .respond_with(json_ok(
            json!({"bytes_read": 4, "data": b64(&[0xff, 0x00, 0xfe, 0x01])}),
        ))
        .mount(&server)
        .await;
    let reg = registry(&server);
    let out = call(&reg, "list_dbfs_files", json!({"path": "/tmp"})).await;
    let s = ok(&out);
    let paths: Vec<&str> = s["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["/tmp/blob.bin", "/tmp/dir", "/tmp/report.csv"]);
    assert_eq!(s["files"][1]["is_dir"], true);
    assert!(out.text.contains("/tmp/dir/"));

    let out = call(
        &reg,
        "read_dbfs_file",
        json!({"path": "/tmp/report.csv", "offset": 0, "length": 16}),
    )
    .await;
    let s = ok(&out);
    assert_eq!(s["content"], "region,revenue\nw");
    assert_eq!(s["truncated"], true);
    assert_eq!(s["next_offset"], 16);
    let q = query(&requests(&server, "GET", "/api/2.0/dbfs/read").await[0]);
    assert_eq!(q.get("length").map(String::as_str), Some("16"));
    assert_eq!(q.get("offset").map(String::as_str), Some("0"));

    let out = call(
        &reg,
        "read_dbfs_file",
        json!({"path": "/tmp/blob.bin", "length": 1000000}),
    )
    .await;
    let s = ok(&out);
    assert_eq!(s["binary"], true);
    assert!(s.get("content").is_none());
    assert!(out.text.contains("binary"));
    // The length is capped at the text limit.
    let reqs = requests(&server, "GET", "/api/2.0/dbfs/read").await;
    let q = query(reqs.last().unwrap());
    assert_eq!(q.get("length").map(String::as_str), Some("8192"));
}

// ---------------------------------------------------------------------------------------------
// SQL
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn list_warehouses() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/warehouses"))
        .respond_with(json_ok(json!({"warehouses": [
            {"id": "wh1", "name": "Serverless Starter", "state": "RUNNING", "cluster_size": "2X-Small", "enable_serverless_compute": true, "warehouse_type": "PRO", "auto_stop_mins": 10, "num_clusters": 1}
        ]})))
        .mount(&server)
        .await;
    let out = call(&registry(&server), "list_warehouses", json!({})).await;
    let s = ok(&out);
    assert_eq!(s["warehouses"][0]["id"], "wh1");
    assert_eq!(s["warehouses"][0]["serverless"], true);
    assert!(out.text.contains("wh1 | Serverless Starter | RUNNING"));
}

fn statement(id: &str, state: &str) -> Value {
    json!({"statement_id": id, "status": {"state": state}})
}

fn succeeded(id: &str, rows: usize, truncated: bool) -> Value {
    let data: Vec<Value> = (0..rows)
        .map(|i| json!([format!("region-{i}"), (i * 10).to_string()]))
        .collect();
    json!({
        "statement_id": id,
        "status": {"state": "SUCCEEDED"},
        "manifest": {
            "format": "JSON_ARRAY",
            "schema": {"column_count": 2, "columns": [
                {"name": "region", "type_text": "STRING", "type_name": "STRING", "position": 0},
                {"name": "revenue", "type_text": "BIGINT", "type_name": "LONG", "position": 1}
            ]},
            "total_chunk_count": 1,
            "total_row_count": rows,
            "truncated": truncated
        },
        "result": {"chunk_index": 0, "row_offset": 0, "row_count": rows, "data_array": data}
    })
}

#[tokio::test]
async fn execute_dbsql_runs_read_only_sql_with_a_pushed_row_cap() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(json_ok(succeeded("st-1", 4, true)))
        .mount(&server)
        .await;
    let reg = registry_with(&server, options().with_warehouse_id("wh-default"), false);
    let out = call(
        &reg,
        "execute_dbsql",
        json!({"sql": "SELECT region, revenue FROM sales", "limit": 3, "catalog": "main"}),
    )
    .await;
    let s = ok(&out);
    assert_eq!(s["state"], "SUCCEEDED");
    assert_eq!(s["result"]["row_count"], 3);
    assert_eq!(s["result"]["truncated"], true);
    assert_eq!(s["result"]["rows"][0], json!(["region-0", "0"]));
    assert_eq!(
        s["result"]["columns"][1],
        json!({"name": "revenue", "type_name": "BIGINT"})
    );
    assert!(
        out.text.starts_with("region | revenue\nregion-0 | 0"),
        "{}",
        out.text
    );
    let b = body(&requests(&server, "POST", "/api/2.0/sql/statements").await[0]);
    assert_eq!(b["warehouse_id"], "wh-default");
    assert_eq!(b["statement"], "SELECT region, revenue FROM sales");
    assert_eq!(b["row_limit"], 4);
    assert_eq!(b["catalog"], "main");
    assert_eq!(b["wait_timeout"], "10s");
    assert_eq!(b["on_wait_timeout"], "CONTINUE");
    assert_eq!(b["disposition"], "INLINE");
    assert_eq!(b["format"], "JSON_ARRAY");

    // The guard rejects writes before any request.
    let out = call(&reg, "execute_dbsql", json!({"sql": "DELETE FROM sales"})).await;
    assert!(
        out.is_error && out.text.contains("--allow-writes"),
        "{}",
        out.text
    );
    assert_eq!(
        requests(&server, "POST", "/api/2.0/sql/statements")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn execute_dbsql_without_a_warehouse_names_the_flag() {
    let server = MockServer::start().await;
    let out = call(
        &registry(&server),
        "execute_dbsql",
        json!({"sql": "SELECT 1"}),
    )
    .await;
    assert!(out.is_error);
    assert!(
        out.text.contains("--warehouse-id") && out.text.contains("list_warehouses"),
        "{}",
        out.text
    );
}

#[tokio::test]
async fn execute_dbsql_returns_the_statement_id_while_running_and_fetches_it_later() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(json_ok(statement("st-9", "RUNNING")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/statements/st-9"))
        .respond_with(json_ok(succeeded("st-9", 2, false)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/statements/st-bad"))
        .respond_with(json_ok(json!({"statement_id": "st-bad", "status": {"state": "FAILED", "error": {"error_code": "BAD_REQUEST", "message": "[TABLE_OR_VIEW_NOT_FOUND] The table or view `nope` cannot be found."}}})))
        .mount(&server)
        .await;
    let reg = registry(&server);
    let out = call(
        &reg,
        "execute_dbsql",
        json!({"sql": "SELECT * FROM big", "warehouse_id": "wh1", "wait_seconds": 0}),
    )
    .await;
    let s = ok(&out);
    assert_eq!(s["statement_id"], "st-9");
    assert_eq!(s["state"], "RUNNING");
    assert!(s["next"].as_str().unwrap().contains("statement_id=st-9"));
    let b = body(&requests(&server, "POST", "/api/2.0/sql/statements").await[0]);
    assert_eq!(b["wait_timeout"], "0s");
    assert_eq!(b["warehouse_id"], "wh1");

    let out = call(&reg, "execute_dbsql", json!({"statement_id": "st-9"})).await;
    assert_eq!(ok(&out)["result"]["row_count"], 2);

    let out = call(&reg, "execute_dbsql", json!({"statement_id": "st-bad"})).await;
    assert!(out.is_error);
    assert!(out.text.contains("TABLE_OR_VIEW_NOT_FOUND"), "{}", out.text);

    let err = reg
        .call("execute_dbsql", json!({}), ToolContext::new())
        .await
        .unwrap_err();
    assert!(matches!(err, ToolError::InvalidParams { .. }));
}

// ---------------------------------------------------------------------------------------------
// Unity Catalog
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn catalogs_schemas_tables_and_a_table() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/catalogs"))
        .respond_with(json_ok(json!({"catalogs": [
            {"name": "main", "full_name": "main", "catalog_type": "MANAGED_CATALOG", "owner": "admins", "comment": "Main catalog", "metastore_id": "m-1"},
            {"name": "samples", "catalog_type": "SYSTEM_CATALOG", "owner": "System user"}
        ]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/schemas"))
        .and(query_param("catalog_name", "main"))
        .respond_with(json_ok(json!({"schemas": [{"name": "sales", "catalog_name": "main", "full_name": "main.sales", "owner": "ana@example.com"}]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables"))
        .respond_with(json_ok(json!({"tables": [
            {"name": "orders", "catalog_name": "main", "schema_name": "sales", "full_name": "main.sales.orders", "table_type": "MANAGED", "data_source_format": "DELTA", "comment": "One row per order"},
            {"name": "orders_v", "catalog_name": "main", "schema_name": "sales", "table_type": "VIEW"}
        ]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables/main.sales.orders"))
        .respond_with(json_ok(json!({
            "name": "orders", "catalog_name": "main", "schema_name": "sales", "full_name": "main.sales.orders",
            "table_type": "MANAGED", "data_source_format": "DELTA", "owner": "ana@example.com",
            "storage_location": "s3://bucket/orders",
            "columns": [
                {"name": "order_id", "type_text": "bigint", "type_name": "LONG", "position": 0, "nullable": false, "comment": "Primary key"},
                {"name": "amount", "type_text": "decimal(10,2)", "type_name": "DECIMAL", "position": 1, "nullable": true, "type_precision": 10, "type_scale": 2}
            ],
            "created_at": 1_700_000_000_000_i64
        })))
        .mount(&server)
        .await;
    let reg = registry(&server);
    let out = call(&reg, "list_catalogs", json!({})).await;
    let s = ok(&out);
    assert_eq!(s["items"][0]["full_name"], "main");
    assert_eq!(s["items"][1]["full_name"], "samples");
    assert_eq!(s["items"][0]["kind"], "MANAGED_CATALOG");

    let out = call(&reg, "list_schemas", json!({"catalog_name": "main"})).await;
    assert_eq!(ok(&out)["items"][0]["full_name"], "main.sales");

    let out = call(
        &reg,
        "list_tables",
        json!({"catalog_name": "main", "schema_name": "sales", "limit": 1}),
    )
    .await;
    let s = ok(&out);
    assert_eq!(s["items"].as_array().unwrap().len(), 1);
    assert_eq!(s["items"][0]["kind"], "MANAGED");
    assert_eq!(s["next_offset"], 1);
    let q = query(&requests(&server, "GET", "/api/2.1/unity-catalog/tables").await[0]);
    assert_eq!(q.get("catalog_name").map(String::as_str), Some("main"));
    assert_eq!(q.get("schema_name").map(String::as_str), Some("sales"));
    assert_eq!(q.get("omit_columns").map(String::as_str), Some("true"));
    let out = call(
        &reg,
        "list_tables",
        json!({"catalog_name": "main", "schema_name": "sales", "offset": 1}),
    )
    .await;
    assert_eq!(ok(&out)["items"][0]["full_name"], "main.sales.orders_v");

    let out = call(&reg, "get_table", json!({"full_name": "main.sales.orders"})).await;
    let s = ok(&out);
    assert_eq!(
        s["columns"][0],
        json!({"name": "order_id", "type_text": "bigint", "nullable": false, "comment": "Primary key"})
    );
    assert_eq!(s["columns"][1]["type_text"], "decimal(10,2)");
    assert_eq!(s["storage_location"], "s3://bucket/orders");
    assert!(
        out.text.contains("order_id bigint NOT NULL -- Primary key"),
        "{}",
        out.text
    );
}

#[tokio::test]
async fn permission_denied_names_the_permission_problem() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables/main.hr.salaries"))
        .respond_with(
            api_error(
                403,
                "PERMISSION_DENIED",
                "User does not have SELECT on Table 'main.hr.salaries'.",
            )
            .insert_header("x-request-id", "req-77"),
        )
        .mount(&server)
        .await;
    let out = call(
        &registry(&server),
        "get_table",
        json!({"full_name": "main.hr.salaries"}),
    )
    .await;
    assert!(out.is_error);
    assert!(
        out.text.contains("does not have SELECT") && out.text.contains("permission"),
        "{}",
        out.text
    );
}

// ---------------------------------------------------------------------------------------------
// Command execution
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn command_execution_context_lifecycle() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/1.2/contexts/create"))
        .respond_with(json_ok(json!({"id": "ctx-1"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/1.2/commands/execute"))
        .respond_with(Sequence::new(vec![
            json_ok(json!({"id": "cmd-1"})),
            json_ok(json!({"id": "cmd-2"})),
            json_ok(json!({"id": "cmd-3"})),
        ]))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/1.2/commands/status"))
        .and(query_param("commandId", "cmd-1"))
        .respond_with(Sequence::new(vec![
            json_ok(json!({"id": "cmd-1", "status": "Running"})),
            json_ok(json!({"id": "cmd-1", "status": "Finished", "results": {"resultType": "text", "data": "2\n"}})),
        ]))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/1.2/commands/status"))
        .and(query_param("commandId", "cmd-2"))
        .respond_with(json_ok(json!({"id": "cmd-2", "status": "Finished", "results": {
            "resultType": "table",
            "data": [[1, "a"], [2, "b"]],
            "schema": [{"name": "id", "type": "\"long\"", "metadata": "{}"}, {"name": "s", "type": "\"string\"", "metadata": "{}"}],
            "truncated": false, "isJsonSchema": true
        }})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/1.2/commands/status"))
        .and(query_param("commandId", "cmd-3"))
        .respond_with(json_ok(json!({"id": "cmd-3", "status": "Finished", "results": {
            "resultType": "error", "summary": "NameError: name 'x' is not defined", "cause": "Traceback (most recent call last):\nNameError: name 'x' is not defined"
        }})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/1.2/contexts/destroy"))
        .and(body_partial_json(
            json!({"clusterId": "0101-a", "contextId": "ctx-1"}),
        ))
        .respond_with(json_ok(json!({"id": "ctx-1"})))
        .expect(1)
        .mount(&server)
        .await;
    let reg = registry_with(&server, options().with_allow_writes(true), false);
    let out = call(
        &reg,
        "create_execution_context",
        json!({"cluster_id": "0101-a", "language": "python"}),
    )
    .await;
    assert_eq!(ok(&out)["context_id"], "ctx-1");
    assert_eq!(
        body(&requests(&server, "POST", "/api/1.2/contexts/create").await[0]),
        json!({"clusterId": "0101-a", "language": "python"})
    );

    let sink = Arc::new(Collect::default());
    let ctx = ToolContext::new().with_progress(Arc::clone(&sink) as Arc<dyn ProgressSink>);
    let out = call_ctx(&reg, "execute_command", json!({"cluster_id": "0101-a", "context_id": "ctx-1", "command": "print(1+1)", "wait_seconds": 10}), ctx).await;
    let s = ok(&out);
    assert_eq!(s["text"], "2\n");
    assert_eq!(s["result_type"], "text");
    assert_eq!(sink.0.lock().unwrap().len(), 2);
    assert_eq!(
        body(&requests(&server, "POST", "/api/1.2/commands/execute").await[0]),
        json!({"clusterId": "0101-a", "contextId": "ctx-1", "language": "python", "command": "print(1+1)"})
    );

    let out = call(&reg, "execute_command", json!({"cluster_id": "0101-a", "context_id": "ctx-1", "command": "display(df)", "wait_seconds": 10})).await;
    let s = ok(&out);
    assert_eq!(s["table"]["rows"], json!([[1, "a"], [2, "b"]]));
    assert_eq!(
        s["table"]["columns"][0],
        json!({"name": "id", "type_name": "long"})
    );

    let out = call(
        &reg,
        "execute_command",
        json!({"cluster_id": "0101-a", "context_id": "ctx-1", "command": "x", "wait_seconds": 10}),
    )
    .await;
    assert!(out.is_error);
    assert!(out.text.contains("NameError"), "{}", out.text);
    assert!(
        out.structured.as_ref().unwrap()["error_cause"]
            .as_str()
            .unwrap()
            .contains("Traceback")
    );

    let out = call(
        &reg,
        "destroy_execution_context",
        json!({"cluster_id": "0101-a", "context_id": "ctx-1"}),
    )
    .await;
    assert_eq!(ok(&out)["destroyed"], true);
}

#[tokio::test]
async fn execute_command_returns_the_command_id_and_can_be_polled() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/1.2/commands/execute"))
        .respond_with(json_ok(json!({"id": "cmd-7"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/1.2/commands/status"))
        .respond_with(Sequence::new(vec![
            json_ok(json!({"id": "cmd-7", "status": "Running"})),
            json_ok(json!({"id": "cmd-7", "status": "Finished", "results": {"resultType": "text", "data": "done"}})),
        ]))
        .mount(&server)
        .await;
    let reg = registry(&server);
    // Read-only server: SQL only, and guarded.
    let out = call(
        &reg,
        "execute_command",
        json!({"cluster_id": "c", "context_id": "x", "command": "dbutils.fs.rm('/', True)"}),
    )
    .await;
    assert!(
        out.is_error && out.text.contains("--allow-writes"),
        "{}",
        out.text
    );
    let out = call(
        &reg,
        "execute_command",
        json!({"cluster_id": "c", "context_id": "x", "language": "sql", "command": "DROP TABLE t"}),
    )
    .await;
    assert!(
        out.is_error && out.text.contains("read-only"),
        "{}",
        out.text
    );
    assert!(
        requests(&server, "POST", "/api/1.2/commands/execute")
            .await
            .is_empty()
    );

    let out = call(
        &reg,
        "execute_command",
        json!({"cluster_id": "c", "context_id": "x", "language": "sql", "command": "SELECT 1"}),
    )
    .await;
    let s = ok(&out);
    assert_eq!(s["command_id"], "cmd-7");
    assert_eq!(s["status"], "Running");
    assert!(s["next"].as_str().unwrap().contains("command_id=cmd-7"));
    let out = call(
        &reg,
        "execute_command",
        json!({"cluster_id": "c", "context_id": "x", "command_id": "cmd-7"}),
    )
    .await;
    assert_eq!(ok(&out)["text"], "done");
    assert_eq!(
        requests(&server, "POST", "/api/1.2/commands/execute")
            .await
            .len(),
        1
    );
    let q = query(
        requests(&server, "GET", "/api/1.2/commands/status")
            .await
            .last()
            .unwrap(),
    );
    assert_eq!(q.get("clusterId").map(String::as_str), Some("c"));
    assert_eq!(q.get("contextId").map(String::as_str), Some("x"));
}

// ---------------------------------------------------------------------------------------------
// Serving, vector search, Genie
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn list_and_query_serving_endpoints() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/serving-endpoints"))
        .respond_with(json_ok(json!({"endpoints": [
            {"name": "databricks-meta-llama-3-3-70b-instruct", "task": "llm/v1/chat", "state": {"ready": "READY", "config_update": "NOT_UPDATING"}, "creator": "System"},
            {"name": "churn", "state": {"ready": "NOT_READY", "config_update": "IN_PROGRESS"}, "creator": "ana@example.com"}
        ]})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/serving-endpoints/databricks-meta-llama-3-3-70b-instruct/invocations"))
        .respond_with(json_ok(json!({
            "id": "chatcmpl-1", "object": "chat.completion", "model": "meta-llama-3.3-70b-instruct",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Revenue grew 12%."}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/serving-endpoints/churn/invocations"))
        .respond_with(json_ok(json!({"predictions": [0.82, 0.11]})))
        .mount(&server)
        .await;
    let reg = registry(&server);
    let out = call(&reg, "list_serving_endpoints", json!({})).await;
    let s = ok(&out);
    assert_eq!(s["endpoints"][0]["name"], "churn");
    assert_eq!(s["endpoints"][1]["ready"], "READY");
    assert_eq!(s["endpoints"][1]["task"], "llm/v1/chat");

    let out = call(
        &reg,
        "query_serving_endpoint",
        json!({"name": "databricks-meta-llama-3-3-70b-instruct", "messages": [{"role": "user", "content": "How did revenue do?"}], "max_tokens": 64}),
    )
    .await;
    let s = ok(&out);
    assert_eq!(s["text"], "Revenue grew 12%.");
    assert_eq!(out.text, "Revenue grew 12%.");
    assert_eq!(s["response"]["usage"]["total_tokens"], 18);
    let b = body(
        &requests(
            &server,
            "POST",
            "/serving-endpoints/databricks-meta-llama-3-3-70b-instruct/invocations",
        )
        .await[0],
    );
    assert_eq!(
        b["messages"],
        json!([{"role": "user", "content": "How did revenue do?"}])
    );
    assert_eq!(b["max_tokens"], 64);

    let out = call(
        &reg,
        "query_serving_endpoint",
        json!({"name": "churn", "dataframe_records": [{"tenure": 3}, {"tenure": 40}]}),
    )
    .await;
    let s = ok(&out);
    assert_eq!(s["response"]["predictions"], json!([0.82, 0.11]));
    assert_eq!(
        body(&requests(&server, "POST", "/serving-endpoints/churn/invocations").await[0]),
        json!({"dataframe_records": [{"tenure": 3}, {"tenure": 40}]})
    );

    let err = reg
        .call(
            "query_serving_endpoint",
            json!({"name": "churn"}),
            ToolContext::new(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("exactly one"), "{err}");
}

#[tokio::test]
async fn list_and_query_vector_indexes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/vector-search/endpoints"))
        .respond_with(json_ok(json!({"endpoints": [{"name": "vs-1", "endpoint_type": "STANDARD", "endpoint_status": {"state": "ONLINE"}, "num_indexes": 1}]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/vector-search/indexes"))
        .and(query_param("endpoint_name", "vs-1"))
        .respond_with(json_ok(json!({"vector_indexes": [
            {"name": "main.docs.chunks_index", "endpoint_name": "vs-1", "index_type": "DELTA_SYNC", "primary_key": "id", "creator": "ana@example.com"}
        ]})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/vector-search/indexes/main.docs.chunks_index/query"))
        .respond_with(json_ok(json!({
            "manifest": {"column_count": 3, "columns": [{"name": "id"}, {"name": "text"}, {"name": "score"}]},
            "result": {"row_count": 2, "data_array": [[1, "Refunds take 5 days", 0.91], [7, "Refund policy", 0.83]]}
        })))
        .mount(&server)
        .await;
    let reg = registry(&server);
    let out = call(&reg, "list_vector_indexes", json!({})).await;
    let s = ok(&out);
    assert_eq!(s["indexes"][0]["name"], "main.docs.chunks_index");
    assert_eq!(s["indexes"][0]["index_type"], "DELTA_SYNC");

    let out = call(
        &reg,
        "query_vector_index",
        json!({"index_name": "main.docs.chunks_index", "query_text": "refunds", "columns": ["id", "text"], "num_results": 2, "filters_json": "{\"lang\": \"en\"}"}),
    )
    .await;
    let s = ok(&out);
    assert_eq!(s["row_count"], 2);
    assert_eq!(s["rows"][0], json!([1, "Refunds take 5 days", 0.91]));
    assert!(out.text.contains("Refunds take 5 days"));
    let b = body(
        &requests(
            &server,
            "POST",
            "/api/2.0/vector-search/indexes/main.docs.chunks_index/query",
        )
        .await[0],
    );
    assert_eq!(b["query_text"], "refunds");
    assert_eq!(b["columns"], json!(["id", "text"]));
    assert_eq!(b["num_results"], 2);
    assert_eq!(b["filters_json"], "{\"lang\": \"en\"}");
}

fn genie_message(status: &str) -> Value {
    let mut m = json!({
        "id": "msg-1", "message_id": "msg-1", "space_id": "sp-1", "conversation_id": "conv-1",
        "content": "Revenue by region?", "status": status,
        "created_timestamp": 1_700_000_000_000_i64
    });
    if status == "COMPLETED" {
        m["attachments"] = json!([
            {"attachment_id": "att-t", "text": {"content": "West leads with 10."}},
            {"attachment_id": "att-q", "query": {"query": "SELECT region, SUM(revenue) FROM sales GROUP BY region", "description": "Revenue per region", "statement_id": "st-g", "query_result_metadata": {"row_count": 2}}}
        ]);
    }
    m
}

#[tokio::test]
async fn genie_ask_answers_with_text_sql_and_rows_and_follows_up() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/genie/spaces/sp-1/start-conversation"))
        .and(body_partial_json(json!({"content": "Revenue by region?"})))
        .respond_with(json_ok(json!({
            "conversation_id": "conv-1", "message_id": "msg-1",
            "conversation": {"id": "conv-1", "space_id": "sp-1", "title": "Revenue by region?"},
            "message": genie_message("SUBMITTED")
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/api/2.0/genie/spaces/sp-1/conversations/conv-1/messages/msg-1",
        ))
        .respond_with(Sequence::new(vec![
            json_ok(genie_message("ASKING_AI")),
            json_ok(genie_message("EXECUTING_QUERY")),
            json_ok(genie_message("COMPLETED")),
        ]))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/genie/spaces/sp-1/conversations/conv-1/messages/msg-1/attachments/att-q/query-result"))
        .respond_with(json_ok(json!({"statement_response": succeeded("st-g", 2, false)})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/genie/spaces/sp-1/conversations/conv-1/messages"))
        .respond_with(json_ok(json!({"id": "msg-2", "message_id": "msg-2", "conversation_id": "conv-1", "space_id": "sp-1", "content": "And by month?", "status": "SUBMITTED"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/genie/spaces/sp-1/conversations/conv-1/messages/msg-2"))
        .respond_with(json_ok(json!({"id": "msg-2", "conversation_id": "conv-1", "status": "FAILED", "error": {"error": "Genie could not answer", "type": "GENERIC_CHAT_COMPLETION_EXCEPTION"}})))
        .mount(&server)
        .await;
    let reg = registry_with(&server, options().with_genie_space_id("sp-1"), false);
    let sink = Arc::new(Collect::default());
    let ctx = ToolContext::new().with_progress(Arc::clone(&sink) as Arc<dyn ProgressSink>);
    let out = call_ctx(
        &reg,
        "genie_ask",
        json!({"question": "Revenue by region?", "wait_seconds": 10}),
        ctx,
    )
    .await;
    let s = ok(&out);
    assert_eq!(s["status"], "COMPLETED");
    assert_eq!(s["answer"], "West leads with 10.");
    assert_eq!(
        s["sql"],
        "SELECT region, SUM(revenue) FROM sales GROUP BY region"
    );
    assert_eq!(s["rows"]["row_count"], 2);
    assert_eq!(s["conversation_id"], "conv-1");
    assert_eq!(s["message_id"], "msg-1");
    assert!(
        out.text.contains("West leads") && out.text.contains("SQL: SELECT"),
        "{}",
        out.text
    );
    assert_eq!(sink.0.lock().unwrap().len(), 3);

    let out = call(
        &reg,
        "genie_ask",
        json!({"question": "And by month?", "conversation_id": "conv-1", "wait_seconds": 5}),
    )
    .await;
    assert!(out.is_error);
    assert!(out.text.contains("Genie could not answer"), "{}", out.text);
    assert_eq!(out.structured.as_ref().unwrap()["message_id"], "msg-2");
}

#[tokio::test]
async fn genie_ask_returns_ids_when_not_ready_and_needs_a_space() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(
            "/api/2.0/genie/spaces/sp-2/conversations/conv-9/messages/msg-9",
        ))
        .respond_with(json_ok(
            json!({"id": "msg-9", "conversation_id": "conv-9", "status": "EXECUTING_QUERY"}),
        ))
        .mount(&server)
        .await;
    let reg = registry(&server);
    let out = call(&reg, "genie_ask", json!({"question": "x"})).await;
    assert!(
        out.is_error && out.text.contains("--genie-space"),
        "{}",
        out.text
    );
    let out = call(&reg, "genie_ask", json!({"space_id": "sp-2", "conversation_id": "conv-9", "message_id": "msg-9", "wait_seconds": 0})).await;
    let s = ok(&out);
    assert_eq!(s["status"], "EXECUTING_QUERY");
    assert!(s["next"].as_str().unwrap().contains("message_id=msg-9"));
}

/// Class 2 end to end: a read-only server refuses side-effecting functions before any request.
#[tokio::test]
async fn read_only_sql_refuses_side_effecting_functions() {
    let server = MockServer::start().await;
    let reg = registry_with(&server, options().with_warehouse_id("wh-default"), false);
    for sql in [
        "SELECT http_request(conn => 'slack_conn', method => 'POST', path => '/api')",
        "SELECT system.ai.python_exec('import os')",
        "SELECT ai_query('endpoint', 'x')",
        "SELECT * FROM t WHERE a IN (SELECT secret('s', 'k'))",
        "SELECT some_function_added_next_year(1)",
    ] {
        let out = call(&reg, "execute_dbsql", json!({"sql": sql})).await;
        assert!(out.is_error, "{sql}: {}", out.text);
        assert!(out.text.contains("read-only"), "{sql}: {}", out.text);
    }
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}
