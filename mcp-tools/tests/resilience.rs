//! Tools under a hostile network and hostile identifiers, end to end through the `Registry`:
//! reset connections are retried for reads and for `run_job` (which carries an idempotency
//! token), a `run_job` that still fails returns its token with the "safe to call again"
//! guidance, and identifiers that would reroute a request (`..`, `a/b`) are refused with no
//! request sent.

#[path = "../../databricks-client/tests/core/flaky.rs"]
mod flaky;

use std::sync::Arc;
use std::time::Duration;

use databricks_client::{BackoffConfig, Config, RetryConfig, WorkspaceClient};
use flaky::{Fault, Flaky};
use mcp_tools::{
    PlatformToolset, PlatformToolsetOptions, Registry, ToolContext, ToolOutput, WaitPolicy,
    WorkspaceToolset, WorkspaceToolsetOptions,
};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(uri: &str, max_retries: usize) -> WorkspaceClient {
    let config = Config::builder()
        .host(uri)
        .token("dapi-test")
        .http_timeout(Duration::from_secs(5))
        .retry_config(
            RetryConfig::default()
                .with_max_retries(max_retries)
                .with_backoff(
                    BackoffConfig::default()
                        .with_initial(Duration::from_millis(1))
                        .with_max(Duration::from_millis(5)),
                ),
        )
        .build()
        .expect("config");
    WorkspaceClient::new(config).expect("client")
}

fn wait() -> WaitPolicy {
    WaitPolicy::new()
        .with_max_wait(Duration::from_secs(5))
        .with_intervals(Duration::from_millis(1), Duration::from_millis(5))
}

fn workspace(uri: &str, max_retries: usize) -> Registry {
    Registry::builder()
        .toolset(Arc::new(WorkspaceToolset::new(
            client(uri, max_retries),
            WorkspaceToolsetOptions::new().with_wait(wait()),
        )))
        .build()
        .expect("registry")
}

fn platform(uri: &str) -> Registry {
    Registry::builder()
        .toolset(Arc::new(PlatformToolset::new(
            client(uri, 3),
            PlatformToolsetOptions::new()
                .with_warehouse_id("wh-1")
                .with_wait(wait()),
        )))
        .build()
        .expect("registry")
}

async fn call(reg: &Registry, name: &str, args: Value) -> ToolOutput {
    reg.call(name, args, ToolContext::new())
        .await
        .unwrap_or_else(|e| panic!("{name}: protocol error {e}"))
}

const JOBS_PAGE: &str =
    r#"{"jobs": [{"job_id": 7, "settings": {"name": "nightly"}}], "has_more": false}"#;
const RUN_STARTED: &str = r#"{"run_id": 5000, "number_in_job": 1}"#;

#[tokio::test]
async fn list_jobs_survives_resets_closes_and_truncated_bodies() {
    for fault in [Fault::Reset, Fault::Close, Fault::Truncate] {
        let server = Flaky::start(vec![
            fault.clone(),
            fault.clone(),
            Fault::Ok(JOBS_PAGE.into()),
        ])
        .await;
        let out = call(&workspace(&server.uri, 4), "list_jobs", json!({})).await;
        assert!(!out.is_error, "{fault:?}: {}", out.text);
        assert!(out.text.contains("nightly"), "{}", out.text);
        let received = server.received();
        assert_eq!(received.len(), 3, "{fault:?}");
        assert!(
            received
                .iter()
                .all(|r| r.path.starts_with("/api/2.2/jobs/list"))
        );
    }
}

#[tokio::test]
async fn run_job_reset_after_the_server_read_it_is_retried_with_the_same_token() {
    for fault in [Fault::Reset, Fault::Close, Fault::Truncate] {
        for token in [None, Some("agent-token-1")] {
            let server = Flaky::start(vec![fault.clone(), Fault::Ok(RUN_STARTED.into())]).await;
            let mut args = json!({"job_id": 7});
            if let Some(t) = token {
                args["idempotency_token"] = json!(t);
            }
            let out = call(&workspace(&server.uri, 4), "run_job", args).await;
            assert!(!out.is_error, "{fault:?}: {}", out.text);
            let s = out.structured.as_ref().expect("structured");
            assert_eq!(s["run_id"], 5000);
            let sent_token = s["idempotency_token"].as_str().unwrap().to_owned();
            if let Some(t) = token {
                assert_eq!(sent_token, t);
            }
            let run_nows: Vec<Value> = server
                .received()
                .iter()
                .filter(|r| r.path == "/api/2.2/jobs/run-now")
                .map(|r| serde_json::from_str(&r.body).unwrap())
                .collect();
            assert_eq!(run_nows.len(), 2, "{fault:?}: one failure, one retry");
            assert!(
                run_nows
                    .iter()
                    .all(|b| b["idempotency_token"] == sent_token.as_str() && b["job_id"] == 7),
                "{run_nows:?}"
            );
        }
    }
}

#[tokio::test]
async fn run_job_that_keeps_failing_returns_its_token_and_says_retrying_is_safe() {
    for fault in [Fault::Reset, Fault::Close, Fault::Truncate] {
        let server = Flaky::start(vec![fault.clone()]).await;
        let out = call(&workspace(&server.uri, 2), "run_job", json!({"job_id": 7})).await;
        assert!(out.is_error, "{fault:?}: {}", out.text);
        let sent: Vec<Value> = server
            .received()
            .iter()
            .map(|r| serde_json::from_str(&r.body).unwrap())
            .collect();
        assert_eq!(sent.len(), 3, "{fault:?}: the budget is 1 + 2 retries");
        let token = sent[0]["idempotency_token"].as_str().unwrap();
        assert!(sent.iter().all(|b| b["idempotency_token"] == token));
        let text = &out.text;
        assert!(
            text.contains(&format!("idempotency_token: {token}")),
            "{text}"
        );
        assert!(
            text.contains(&format!("idempotency_token=\"{token}\" is safe")),
            "{text}"
        );
        assert!(text.contains("never starts a second one"), "{text}");
        assert!(text.contains("may have started"), "{text}");
        assert!(text.contains("gave up after 3 attempts"), "{text}");
    }
    // A caller's own token is the one returned.
    let server = Flaky::start(vec![Fault::Reset]).await;
    let out = call(
        &workspace(&server.uri, 1),
        "run_job",
        json!({"job_id": 7, "idempotency_token": "mine-42"}),
    )
    .await;
    assert!(out.is_error);
    assert!(
        out.text.contains("idempotency_token=\"mine-42\""),
        "{}",
        out.text
    );
}

#[tokio::test]
async fn run_job_refused_by_the_server_still_names_its_token() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error_code": "INVALID_PARAMETER_VALUE", "message": "Job 7 does not exist."
        })))
        .mount(&server)
        .await;
    let out = call(
        &workspace(&server.uri(), 2),
        "run_job",
        json!({"job_id": 7}),
    )
    .await;
    assert!(out.is_error);
    assert!(out.text.contains("does not exist"), "{}", out.text);
    assert!(out.text.contains("is safe"), "{}", out.text);
    // A 400 was not processed: no "may have started".
    assert!(!out.text.contains("may have started"), "{}", out.text);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

const REROUTING: &[&str] = &[
    "..",
    ".",
    "a/b",
    "../invocations",
    "x\\..",
    "a\u{0}b",
    "a\nb",
];

async fn nothing_sent(server: &MockServer, what: &str) {
    let received = server.received_requests().await.unwrap();
    assert!(
        received.is_empty(),
        "{what}: sent {:?}",
        received
            .iter()
            .map(|r| r.url.path().to_owned())
            .collect::<Vec<_>>()
    );
}

async fn any_ok(server: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(server)
        .await;
}

#[tokio::test]
async fn invoke_model_refuses_endpoint_names_that_reroute() {
    let server = MockServer::start().await;
    any_ok(&server).await;
    let reg = platform(&server.uri());
    for name in REROUTING {
        let out = call(
            &reg,
            "invoke_model",
            json!({"endpoint_name": name, "request": {"inputs": [1]}}),
        )
        .await;
        assert!(out.is_error, "{name:?}: {}", out.text);
        assert!(out.text.contains("endpoint"), "{name:?}: {}", out.text);
        assert!(
            out.text.contains("nothing was sent"),
            "{name:?}: {}",
            out.text
        );
    }
    nothing_sent(&server, "invoke_model").await;
}

#[tokio::test]
async fn genie_ask_refuses_space_and_conversation_ids_that_reroute() {
    let server = MockServer::start().await;
    any_ok(&server).await;
    let reg = workspace(&server.uri(), 2);
    for id in REROUTING {
        let out = call(
            &reg,
            "genie_ask",
            json!({"space_id": id, "question": "how many orders?"}),
        )
        .await;
        assert!(out.is_error, "{id:?}: {}", out.text);
        assert!(out.text.contains("space_id"), "{id:?}: {}", out.text);
        let out = call(
            &reg,
            "genie_ask",
            json!({"space_id": "s1", "conversation_id": id, "question": "and yesterday?"}),
        )
        .await;
        assert!(out.is_error, "{id:?}: {}", out.text);
        assert!(out.text.contains("conversation_id"), "{id:?}: {}", out.text);
    }
    nothing_sent(&server, "genie_ask").await;
}

#[tokio::test]
async fn execute_notebook_retries_only_with_a_token_and_then_names_it() {
    // With the caller's token: retried within the budget, every attempt with the same token, and
    // the failure says calling again with it is safe.
    let server = Flaky::start(vec![Fault::Reset]).await;
    let out = call(
        &platform(&server.uri),
        "execute_notebook",
        json!({"tenant_id": "acme", "notebook": "etl/daily", "idempotency_token": "nb-tok-1"}),
    )
    .await;
    assert!(out.is_error, "{}", out.text);
    let sent = server.received();
    assert_eq!(sent.len(), 4, "1 + 3 retries");
    assert!(sent.iter().all(|r| r.path == "/api/2.2/jobs/runs/submit"
        && serde_json::from_str::<Value>(&r.body).unwrap()["idempotency_token"] == "nb-tok-1"));
    assert!(
        out.text.contains("idempotency_token=\"nb-tok-1\" is safe"),
        "{}",
        out.text
    );
    // Without a token the submit is sent once: a retry could start a second run.
    let server = Flaky::start(vec![Fault::Reset, Fault::Ok(r#"{"run_id": 1}"#.into())]).await;
    let out = call(
        &platform(&server.uri),
        "execute_notebook",
        json!({"tenant_id": "acme", "notebook": "etl/daily"}),
    )
    .await;
    assert!(out.is_error, "{}", out.text);
    assert_eq!(server.received().len(), 1);
    assert!(!out.text.contains("is safe"), "{}", out.text);
}
