//! Retry rules: 429/503 always with Retry-After; 5xx and timeouts only when idempotent; budget.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use databricks_client::{RetryConfig, TransportErrorKind};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::{fast_retry, pat_client, pat_client_with};

/// Answers with the scripted responses in order, then repeats the last one.
struct Script {
    responses: Vec<ResponseTemplate>,
    calls: Arc<AtomicUsize>,
}

impl Respond for Script {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        self.responses[n.min(self.responses.len() - 1)].clone()
    }
}

async fn scripted(
    server: &MockServer,
    verb: &str,
    p: &str,
    responses: Vec<ResponseTemplate>,
) -> Arc<AtomicUsize> {
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(method(verb))
        .and(path(p))
        .respond_with(Script {
            responses,
            calls: Arc::clone(&calls),
        })
        .mount(server)
        .await;
    calls
}

fn ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true}))
}

fn rate_limited(retry_after: &str) -> ResponseTemplate {
    ResponseTemplate::new(429)
        .insert_header("Retry-After", retry_after)
        .set_body_json(
            serde_json::json!({"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow down"}),
        )
}

#[tokio::test]
async fn retry_after_in_seconds_is_honoured() {
    let server = MockServer::start().await;
    let calls = scripted(
        &server,
        "POST",
        "/api/2.2/jobs/create",
        vec![rate_limited("1"), ok()],
    )
    .await;
    let started = Instant::now();
    // A non-idempotent POST is still retried: 429 means it was not processed.
    let v: serde_json::Value = pat_client(&server)
        .post("/api/2.2/jobs/create")
        .json(&serde_json::json!({"name": "x"}))
        .send_json()
        .await
        .unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retry_after_as_http_date_is_honoured() {
    let server = MockServer::start().await;
    let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    let calls = scripted(
        &server,
        "GET",
        "/api/2.2/jobs/list",
        vec![rate_limited(&when), ok()],
    )
    .await;
    let started = Instant::now();
    pat_client(&server)
        .get("/api/2.2/jobs/list")
        .send_empty()
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // HTTP dates have one-second resolution: the wait is between 1 and 2 seconds.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retry_after_is_capped() {
    let server = MockServer::start().await;
    let calls = scripted(
        &server,
        "GET",
        "/api/2.0/x",
        vec![rate_limited("3600"), ok()],
    )
    .await;
    let client = pat_client_with(
        &server,
        fast_retry().with_max_retry_after(Duration::from_millis(20)),
    );
    let started = Instant::now();
    client.get("/api/2.0/x").send_empty().await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn service_unavailable_is_retried_for_any_method() {
    let server = MockServer::start().await;
    let calls = scripted(
        &server,
        "POST",
        "/api/2.2/jobs/run-now",
        vec![ResponseTemplate::new(503), ResponseTemplate::new(503), ok()],
    )
    .await;
    pat_client(&server)
        .post("/api/2.2/jobs/run-now")
        .json(&serde_json::json!({"job_id": 1}))
        .send_empty()
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn post_is_not_retried_after_500_unless_idempotent() {
    let server = MockServer::start().await;
    let boom = || {
        ResponseTemplate::new(500)
            .set_body_json(serde_json::json!({"error_code": "INTERNAL_ERROR", "message": "boom"}))
    };
    let calls = scripted(&server, "POST", "/api/2.2/jobs/run-now", vec![boom(), ok()]).await;
    let client = pat_client(&server);
    let err = client
        .post("/api/2.2/jobs/run-now")
        .json(&serde_json::json!({"job_id": 1}))
        .send_empty()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "a plain POST must not be resent"
    );

    // With an idempotency token the caller marks it idempotent, and it is retried.
    client
        .post("/api/2.2/jobs/run-now")
        .json(&serde_json::json!({"job_id": 1, "idempotency_token": "t-1"}))
        .idempotent(true)
        .send_empty()
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn get_is_retried_after_502_and_504() {
    let server = MockServer::start().await;
    let calls = scripted(
        &server,
        "GET",
        "/api/2.2/jobs/get",
        vec![ResponseTemplate::new(502), ResponseTemplate::new(504), ok()],
    )
    .await;
    pat_client(&server)
        .get("/api/2.2/jobs/get")
        .send_empty()
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn post_is_not_retried_after_a_read_timeout_unless_idempotent() {
    let server = MockServer::start().await;
    let slow = ResponseTemplate::new(200)
        .set_delay(Duration::from_millis(500))
        .set_body_json(serde_json::json!({}));
    let calls = scripted(
        &server,
        "POST",
        "/api/2.0/sql/statements",
        vec![slow.clone(), ok()],
    )
    .await;
    let client = pat_client(&server);
    let err = client
        .post("/api/2.0/sql/statements")
        .json(&serde_json::json!({"statement": "select 1"}))
        .timeout(Duration::from_millis(100))
        .send_empty()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            databricks_client::Error::Transport {
                kind: TransportErrorKind::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_timeout());
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // The same request, idempotent, is retried and succeeds on the second (fast) attempt.
    let calls_before = calls.load(Ordering::SeqCst);
    client
        .post("/api/2.0/sql/statements")
        .json(&serde_json::json!({"statement": "select 1"}))
        .timeout(Duration::from_millis(300))
        .idempotent(true)
        .send_empty()
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst) - calls_before, 1);
}

#[tokio::test]
async fn connection_refused_is_retried_then_reported() {
    // Bind and drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = databricks_client::Config::builder()
        .host(format!("http://127.0.0.1:{port}"))
        .token("t")
        .retry_config(fast_retry().with_max_retries(2))
        .build()
        .unwrap();
    let err = databricks_client::WorkspaceClient::new(config)
        .unwrap()
        .post("/api/2.2/jobs/create")
        .send_empty()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            databricks_client::Error::Transport {
                kind: TransportErrorKind::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn exhausted_budget_returns_the_last_error() {
    let server = MockServer::start().await;
    let unavailable = |n: u32| {
        ResponseTemplate::new(503).set_body_json(serde_json::json!({
            "error_code": "TEMPORARILY_UNAVAILABLE", "message": format!("attempt {n}")
        }))
    };
    let calls = scripted(
        &server,
        "GET",
        "/api/2.0/x",
        (1..=100).map(unavailable).collect(),
    )
    .await;
    let retry = fast_retry().with_retry_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let err = pat_client_with(&server, retry)
        .get("/api/2.0/x")
        .send_empty()
        .await
        .unwrap_err();
    let n = calls.load(Ordering::SeqCst);
    assert!(n >= 2, "retried at least once, got {n}");
    assert_eq!(
        err.api_error().unwrap().message,
        format!("attempt {n}"),
        "the last error is returned"
    );
    assert!(started.elapsed() < Duration::from_secs(2));

    // A count limit works the same way.
    let server = MockServer::start().await;
    let calls = scripted(
        &server,
        "GET",
        "/api/2.0/x",
        vec![ResponseTemplate::new(429)],
    )
    .await;
    let err = pat_client_with(&server, fast_retry().with_max_retries(3))
        .get("/api/2.0/x")
        .send_empty()
        .await
        .unwrap_err();
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert!(err.is_rate_limited());
}

#[tokio::test]
async fn streaming_bodies_are_never_retried() {
    let server = MockServer::start().await;
    let calls = scripted(
        &server,
        "PUT",
        "/api/2.0/fs/files/Volumes/c/s/v/f.csv",
        vec![ResponseTemplate::new(503), ok()],
    )
    .await;
    let chunks = futures::stream::iter(vec![Ok::<_, std::io::Error>(bytes::Bytes::from_static(
        b"a,b\n1,2\n",
    ))]);
    let err = pat_client(&server)
        .put("/api/2.0/fs/files/Volumes/c/s/v/f.csv")
        .body_stream(chunks, "application/octet-stream")
        .send_empty()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn disabled_retries_send_once() {
    let server = MockServer::start().await;
    let calls = scripted(
        &server,
        "GET",
        "/api/2.0/x",
        vec![ResponseTemplate::new(503), ok()],
    )
    .await;
    pat_client_with(&server, RetryConfig::disabled())
        .get("/api/2.0/x")
        .send_empty()
        .await
        .unwrap_err();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
