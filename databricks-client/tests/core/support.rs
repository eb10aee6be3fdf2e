//! Shared helpers.

use std::time::Duration;

use databricks_client::{BackoffConfig, Config, RetryConfig, WorkspaceClient};
use wiremock::MockServer;

/// Fast retries so tests finish quickly; jitter off for predictability.
pub(crate) fn fast_retry() -> RetryConfig {
    RetryConfig::default()
        .with_backoff(
            BackoffConfig::default()
                .with_initial(Duration::from_millis(10))
                .with_max(Duration::from_millis(50))
                .with_jitter(false),
        )
        .with_retry_timeout(Duration::from_secs(10))
}

pub(crate) fn pat_client(server: &MockServer) -> WorkspaceClient {
    pat_client_with(server, fast_retry())
}

pub(crate) fn pat_client_with(server: &MockServer, retry: RetryConfig) -> WorkspaceClient {
    let config = Config::builder()
        .host(server.uri())
        .token("dapi-test-token")
        .retry_config(retry)
        .build()
        .expect("valid config");
    WorkspaceClient::new(config).expect("client")
}
