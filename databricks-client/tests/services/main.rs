//! Service handles tested against wiremock with JSON shaped like the real API.

mod clusters;
mod commands;
mod current_user;
mod dbfs;
mod files;
mod jobs;
mod workspace;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use databricks_client::wait::PollOptions;
use databricks_client::{BackoffConfig, Config, RetryConfig, WorkspaceClient};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

/// A client for the mock server.
pub(crate) fn client(server: &MockServer) -> WorkspaceClient {
    let config = Config::builder()
        .host(server.uri())
        .token("dapi-test")
        .retry_config(
            RetryConfig::default().with_max_retries(3).with_backoff(
                BackoffConfig::default()
                    .with_initial(Duration::from_millis(1))
                    .with_max(Duration::from_millis(5)),
            ),
        )
        .build()
        .expect("config");
    WorkspaceClient::new(config).expect("client")
}

/// Poll options fast enough for tests.
pub(crate) fn fast_poll() -> PollOptions {
    PollOptions::default()
        .with_timeout(Duration::from_secs(10))
        .with_initial_interval(Duration::from_millis(5))
        .with_max_interval(Duration::from_millis(10))
}

/// Answers with the responses in order, repeating the last one.
pub(crate) struct Sequence {
    responses: Vec<ResponseTemplate>,
    calls: Arc<AtomicUsize>,
}

impl Sequence {
    pub(crate) fn new(responses: Vec<ResponseTemplate>) -> Self {
        Self {
            responses,
            calls: Arc::new(AtomicUsize::new(0)),
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

/// JSON response.
pub(crate) fn ok_json(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// Requests received for a method and path, with their JSON bodies (`null` when empty).
pub(crate) async fn bodies(
    server: &MockServer,
    method: &str,
    path: &str,
) -> Vec<serde_json::Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == method && r.url.path() == path)
        .map(|r| serde_json::from_slice(&r.body).unwrap_or(serde_json::Value::Null))
        .collect()
}
