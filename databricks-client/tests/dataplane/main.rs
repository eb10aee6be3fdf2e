//! Wiremock tests of the data-plane services: warehouses, statements, Unity Catalog and metric
//! views, Genie, serving and vector search.

mod catalog;
mod genie;
mod path_segments;
mod serving;
mod statement_stream;
mod statements;
mod vector_search;
mod warehouses;

use databricks_client::{Config, WorkspaceClient};
use wiremock::MockServer;

/// The PAT every test client sends.
pub(crate) const TOKEN: &str = "dapi-dataplane-test";

/// A client for `server`.
pub(crate) fn client(server: &MockServer) -> WorkspaceClient {
    let config = Config::builder()
        .host(server.uri())
        .token(TOKEN)
        .build()
        .expect("loopback config");
    WorkspaceClient::new(config).expect("client")
}

/// Fast polling for tests.
pub(crate) fn fast_poll() -> databricks_client::wait::PollOptions {
    use std::time::Duration;
    databricks_client::wait::PollOptions::default()
        .with_initial_interval(Duration::from_millis(10))
        .with_max_interval(Duration::from_millis(50))
        .with_timeout(Duration::from_secs(10))
}

/// Handles are cheap to clone and shareable across tasks; the result stream can move between
/// tasks.
#[test]
fn handles_are_send_sync_clone() {
    fn handle<T: Send + Sync + Clone + 'static>() {}
    fn stream<T: Send + 'static>() {}
    handle::<databricks_client::api::StatementsApi>();
    handle::<databricks_client::api::WarehousesApi>();
    handle::<databricks_client::api::CatalogApi>();
    handle::<databricks_client::api::GenieApi>();
    handle::<databricks_client::api::ServingApi>();
    handle::<databricks_client::api::VectorSearchApi>();
    stream::<databricks_client::api::ResultStream>();
}
