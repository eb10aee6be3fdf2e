//! Connection resets and incomplete responses: retried for idempotent requests and for requests
//! carrying an idempotency token, within the budget; never for other `POST`s.

use std::time::Duration;

use databricks_client::models::jobs::{ListJobsRequest, RunNowRequest};
use databricks_client::{Config, Error, RetryConfig, TransportErrorKind, WorkspaceClient};
use futures::TryStreamExt;

use crate::flaky::{Fault, Flaky};
use crate::support::fast_retry;

fn client(server: &Flaky, retry: RetryConfig) -> WorkspaceClient {
    let config = Config::builder()
        .host(&server.uri)
        .token("dapi-test-token")
        .retry_config(retry)
        .http_timeout(Duration::from_secs(5))
        .build()
        .expect("valid config");
    WorkspaceClient::new(config).expect("client")
}

fn jobs_page() -> Fault {
    Fault::Ok(r#"{"jobs": [{"job_id": 1, "settings": {"name": "a"}}], "has_more": false}"#.into())
}

fn run_started() -> Fault {
    Fault::Ok(r#"{"run_id": 77, "number_in_job": 1}"#.into())
}

const BREAKS: [Fault; 3] = [Fault::Reset, Fault::Close, Fault::Truncate];

#[tokio::test]
async fn each_break_is_classified_and_retryable() {
    let expected = [
        TransportErrorKind::Interrupted,
        TransportErrorKind::Interrupted,
        TransportErrorKind::Body,
    ];
    for (fault, kind) in BREAKS.into_iter().zip(expected) {
        let server = Flaky::start(vec![fault.clone()]).await;
        let err = client(&server, RetryConfig::disabled())
            .get("/api/2.2/jobs/list")
            .send()
            .await
            .unwrap_err();
        match &err {
            Error::Transport {
                kind: got,
                attempts,
                ..
            } => {
                assert_eq!(*got, kind, "{fault:?}: {err}");
                assert_eq!(*attempts, 1, "{fault:?}");
            }
            other => panic!("{fault:?}: {other:?}"),
        }
        assert!(err.is_retryable(), "{fault:?}");
        assert_eq!(server.received().len(), 1, "{fault:?}");
    }
}

#[tokio::test]
async fn get_list_succeeds_after_resets_closes_and_truncated_bodies() {
    for fault in BREAKS {
        for failures in 1..=3 {
            let mut script = vec![fault.clone(); failures];
            script.push(jobs_page());
            let server = Flaky::start(script).await;
            let jobs: Vec<_> = client(&server, fast_retry())
                .jobs()
                .list(ListJobsRequest::default())
                .try_collect()
                .await
                .unwrap_or_else(|e| panic!("{fault:?} x{failures}: {e}"));
            assert_eq!(jobs.len(), 1);
            assert_eq!(server.received().len(), failures + 1, "{fault:?}");
        }
    }
    // A mix, as a flaky network produces.
    let server = Flaky::start(vec![
        Fault::Reset,
        Fault::Truncate,
        Fault::Close,
        Fault::Reset,
        jobs_page(),
    ])
    .await;
    let jobs: Vec<_> = client(&server, fast_retry())
        .jobs()
        .list(ListJobsRequest::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(server.received().len(), 5);
}

#[tokio::test]
async fn other_idempotent_methods_are_retried() {
    for (method, call) in [
        ("HEAD", reqwest_method("HEAD")),
        ("DELETE", reqwest_method("DELETE")),
        ("PUT", reqwest_method("PUT")),
    ] {
        let server = Flaky::start(vec![Fault::Reset, Fault::Close, Fault::Ok("{}".into())]).await;
        client(&server, fast_retry())
            .request(call, "/api/2.0/x")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        let received = server.received();
        assert_eq!(received.len(), 3, "{method}");
        assert!(received.iter().all(|r| r.method == method));
    }
}

fn reqwest_method(m: &str) -> databricks_client::http::Method {
    m.parse().expect("method")
}

#[tokio::test]
async fn post_without_a_token_is_sent_exactly_once() {
    for fault in BREAKS {
        let server = Flaky::start(vec![fault.clone(), run_started()]).await;
        let err = client(&server, fast_retry())
            .jobs()
            .run_now(&RunNowRequest::new(5))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Transport { attempts: 1, .. }),
            "{fault:?}: {err:?}"
        );
        assert_eq!(
            server.received().len(),
            1,
            "{fault:?}: a run could start twice"
        );
        // The same for a raw POST.
        let server = Flaky::start(vec![fault.clone(), run_started()]).await;
        client(&server, fast_retry())
            .post("/api/2.0/sql/statements")
            .json(&serde_json::json!({"statement": "select 1"}))
            .send()
            .await
            .unwrap_err();
        assert_eq!(server.received().len(), 1, "{fault:?}");
    }
}

#[tokio::test]
async fn run_now_with_an_idempotency_token_is_retried_with_the_same_token() {
    for fault in BREAKS {
        let server = Flaky::start(vec![fault.clone(), fault.clone(), run_started()]).await;
        let run = client(&server, fast_retry())
            .jobs()
            .run_now(&RunNowRequest::new(5).with_idempotency_token("tok-123"))
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(run.run_id, 77);
        let received = server.received();
        assert_eq!(received.len(), 3, "{fault:?}");
        for r in &received {
            assert_eq!(r.method, "POST");
            assert_eq!(r.path, "/api/2.2/jobs/run-now");
            let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            assert_eq!(body["idempotency_token"], "tok-123", "{fault:?}");
        }
    }
}

#[tokio::test]
async fn the_budget_is_respected_and_named() {
    for max_retries in [0usize, 1, 3] {
        let server = Flaky::start(vec![Fault::Reset]).await;
        let err = client(&server, fast_retry().with_max_retries(max_retries))
            .get("/api/2.2/jobs/list")
            .send()
            .await
            .unwrap_err();
        let attempts = max_retries + 1;
        assert_eq!(server.received().len(), attempts);
        assert!(
            matches!(err, Error::Transport { attempts: a, kind: TransportErrorKind::Interrupted, .. } if a as usize == attempts),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(text.contains("reset"), "{text}");
        if attempts > 1 {
            assert!(
                text.contains(&format!("gave up after {attempts} attempts")),
                "{text}"
            );
        }
    }
    // A time budget stops retries too.
    let server = Flaky::start(vec![Fault::Reset]).await;
    let retry = fast_retry()
        .with_max_retries(1000)
        .with_retry_timeout(Duration::from_millis(200));
    let started = std::time::Instant::now();
    client(&server, retry)
        .get("/api/2.2/jobs/list")
        .send()
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    let n = server.received().len();
    assert!((2..100).contains(&n), "{n} attempts");
}

#[tokio::test]
async fn a_streamed_download_retries_until_the_head_arrives() {
    let server = Flaky::start(vec![Fault::Reset, Fault::Close, Fault::Ok("{}".into())]).await;
    let (head, stream) = client(&server, fast_retry())
        .get("/api/2.0/fs/files/Volumes/c/s/v/f")
        .send_bytes_stream()
        .await
        .unwrap();
    assert!(head.status.is_success());
    let bytes: Vec<_> = stream.try_collect().await.unwrap();
    assert_eq!(bytes.concat(), b"{}");
    assert_eq!(server.received().len(), 3);
}
