//! Clusters API 2.1 and the `ensure_running` waiter.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::Stream;
use serde::Deserialize;
use serde_json::json;

use crate::models::clusters::{
    ClusterDetails, ClusterState, ListClustersRequest, NodeType, SparkVersion,
};
use crate::pagination::{Page, token_list};
use crate::wait::{NoObserver, Observer, PollOptions, Progress, poll_until_observed, wait_error};
use crate::{Error, Result, WorkspaceClient};

const CLUSTERS: &str = "/api/2.1/clusters";

/// How long a `TERMINATED` read right after `start` is tolerated by default (the start may not
/// be visible yet).
pub const DEFAULT_START_GRACE: Duration = Duration::from_secs(60);

impl WorkspaceClient {
    /// The Clusters API (2.1).
    ///
    /// ```no_run
    /// # async fn example() -> databricks_client::Result<()> {
    /// use databricks_client::WorkspaceClient;
    /// use databricks_client::models::clusters::ListClustersRequest;
    /// use databricks_client::wait::PollOptions;
    /// use futures::TryStreamExt;
    ///
    /// let client = WorkspaceClient::from_env()?;
    /// let clusters: Vec<_> = client.clusters().list(ListClustersRequest::new()).try_collect().await?;
    /// for c in &clusters {
    ///     println!("{} {:?}", c.cluster_id, c.state);
    /// }
    /// let running = client.clusters().ensure_running("0101-123456-abcdef", &PollOptions::default()).await?;
    /// # let _ = running;
    /// # Ok(())
    /// # }
    /// ```
    pub fn clusters(&self) -> ClustersApi {
        ClustersApi {
            client: self.clone(),
        }
    }
}

/// Handle to the Clusters API; cheap to clone. Get one with [`WorkspaceClient::clusters`].
#[derive(Debug, Clone)]
pub struct ClustersApi {
    client: WorkspaceClient,
}

#[derive(Deserialize)]
struct ClustersPage {
    #[serde(default)]
    clusters: Vec<ClusterDetails>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct NodeTypes {
    #[serde(default)]
    node_types: Vec<NodeType>,
}

#[derive(Deserialize)]
struct SparkVersions {
    #[serde(default)]
    versions: Vec<SparkVersion>,
}

impl ClustersApi {
    /// Lists clusters (`GET /api/2.1/clusters/list`): pinned, active and recently terminated
    /// ones, following `next_page_token`. Filters are sent as `filter_by.*` query parameters.
    pub fn list(
        &self,
        request: ListClustersRequest,
    ) -> impl Stream<Item = Result<ClusterDetails>> + Send + 'static {
        token_list(
            self.client.clone(),
            format!("{CLUSTERS}/list"),
            request,
            |page: ClustersPage| Page::new(page.clusters, page.next_page_token),
        )
    }

    /// Gets a cluster (`GET /api/2.1/clusters/get`). An unknown id is a not-found error.
    pub async fn get(&self, cluster_id: &str) -> Result<ClusterDetails> {
        self.client
            .get(format!("{CLUSTERS}/get"))
            .query(&[("cluster_id", cluster_id)])
            .send_json()
            .await
    }

    /// Starts a terminated cluster (`POST /api/2.1/clusters/start`); does not wait.
    pub async fn start(&self, cluster_id: &str) -> Result<()> {
        self.post_id("start", cluster_id).await
    }

    /// Restarts a running cluster (`POST /api/2.1/clusters/restart`); does not wait.
    pub async fn restart(&self, cluster_id: &str) -> Result<()> {
        self.post_id("restart", cluster_id).await
    }

    /// Terminates a cluster (`POST /api/2.1/clusters/delete`; the configuration is kept).
    pub async fn terminate(&self, cluster_id: &str) -> Result<()> {
        self.post_id("delete", cluster_id).await
    }

    async fn post_id(&self, op: &str, cluster_id: &str) -> Result<()> {
        self.client
            .post(format!("{CLUSTERS}/{op}"))
            .json(&json!({"cluster_id": cluster_id}))
            .idempotent(true)
            .send_empty()
            .await
    }

    /// Lists the node types available (`GET /api/2.1/clusters/list-node-types`).
    pub async fn list_node_types(&self) -> Result<Vec<NodeType>> {
        let resp: NodeTypes = self
            .client
            .get(format!("{CLUSTERS}/list-node-types"))
            .send_json()
            .await?;
        Ok(resp.node_types)
    }

    /// Lists the Databricks Runtime versions (`GET /api/2.1/clusters/spark-versions`).
    pub async fn spark_versions(&self) -> Result<Vec<SparkVersion>> {
        let resp: SparkVersions = self
            .client
            .get(format!("{CLUSTERS}/spark-versions"))
            .send_json()
            .await?;
        Ok(resp.versions)
    }

    /// Makes sure a cluster is `RUNNING` and returns it, with [`DEFAULT_START_GRACE`].
    ///
    /// See [`ensure_running_with`](Self::ensure_running_with).
    pub async fn ensure_running(
        &self,
        cluster_id: &str,
        opts: &PollOptions,
    ) -> Result<ClusterDetails> {
        self.ensure_running_with(cluster_id, opts, DEFAULT_START_GRACE)
            .await
    }

    /// Makes sure a cluster is `RUNNING` and returns it.
    ///
    /// [`ensure_running_observed`](Self::ensure_running_observed) without an observer.
    pub async fn ensure_running_with(
        &self,
        cluster_id: &str,
        opts: &PollOptions,
        start_grace: Duration,
    ) -> Result<ClusterDetails> {
        self.ensure_running_observed(cluster_id, opts, start_grace, NoObserver)
            .await
    }

    /// Makes sure a cluster is `RUNNING` and returns it, showing every poll to `observer`:
    /// the one "start a cluster and wait" of the workspace.
    ///
    /// `RUNNING` → done; `TERMINATED` → start, then wait; `TERMINATING` → wait for
    /// `TERMINATED`, then start; `PENDING`/`RESTARTING`/`RESIZING` → wait; `ERROR`/`UNKNOWN` →
    /// fail. An `INVALID_STATE` answer to `start` (someone else is starting it) re-reads the
    /// state. A `TERMINATED` read within `start_grace` after our `start` is treated as the
    /// start not being visible yet; after that it fails with the termination reason. A cluster
    /// seen starting (`PENDING`, `RESTARTING`, `RESIZING`) that then reads `TERMINATED` failed
    /// to start: that fails with the termination reason too, and is not started again (the
    /// states are read with the [`ClusterState`] predicates).
    ///
    /// The observer sees each [`ClusterDetails`] read (e.g. to report progress) and may cancel
    /// the wait ([`Error::WaitCancelled`]); a timeout is [`Error::WaitTimeout`] and a failure
    /// [`Error::OperationFailed`], each naming the last state.
    ///
    /// ```no_run
    /// # async fn example(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// use databricks_client::api::DEFAULT_START_GRACE;
    /// use databricks_client::models::clusters::ClusterDetails;
    /// use databricks_client::wait::{Observation, Observer, PollOptions};
    ///
    /// struct Print;
    /// impl Observer<ClusterDetails> for Print {
    ///     async fn observe(&mut self, seen: Observation<'_, ClusterDetails>) {
    ///         println!("{:?} after {:?}", seen.state.state, seen.elapsed);
    ///     }
    /// }
    ///
    /// let cluster = client
    ///     .clusters()
    ///     .ensure_running_observed("0101-123456-abcdef", &PollOptions::default(), DEFAULT_START_GRACE, Print)
    ///     .await?;
    /// # let _ = cluster;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn ensure_running_observed<O>(
        &self,
        cluster_id: &str,
        opts: &PollOptions,
        start_grace: Duration,
        observer: O,
    ) -> Result<ClusterDetails>
    where
        O: Observer<ClusterDetails>,
    {
        // When our `start` was sent, and whether the cluster was seen on its way to RUNNING.
        let started: Arc<Mutex<(Option<Instant>, bool)>> = Arc::new(Mutex::new((None, false)));
        let what = format!("cluster {cluster_id} to be RUNNING");
        poll_until_observed(
            opts,
            &what,
            || {
                let started = Arc::clone(&started);
                async move {
                    let details = self.get(cluster_id).await?;
                    let (started_at, seen_starting) =
                        *started.lock().unwrap_or_else(|e| e.into_inner());
                    let state = details.state.clone().unwrap_or(ClusterState::Unknown);
                    if state.is_running() {
                        return Ok(Progress::Ready(details));
                    }
                    if state.is_starting() {
                        started.lock().unwrap_or_else(|e| e.into_inner()).1 = true;
                        return Ok(Progress::Pending(details));
                    }
                    if state.is_stopping() && started_at.is_none() {
                        return Ok(Progress::Pending(details));
                    }
                    if state.is_stopped() {
                        match started_at {
                            // A start seen under way ended TERMINATED: it failed.
                            None if seen_starting => {}
                            None => {
                                match self.start(cluster_id).await {
                                    Ok(()) => {}
                                    Err(e) if is_invalid_state(&e) => {
                                        tracing::debug!(
                                            cluster_id,
                                            "start raced with another caller; re-reading"
                                        );
                                    }
                                    Err(e) => return Err(e),
                                }
                                started.lock().unwrap_or_else(|e| e.into_inner()).0 =
                                    Some(Instant::now());
                                return Ok(Progress::Pending(details));
                            }
                            Some(at) if at.elapsed() < start_grace => {
                                return Ok(Progress::Pending(details));
                            }
                            Some(_) => {}
                        }
                    }
                    let message = failure_message(&details);
                    Ok(Progress::Failed {
                        state: details,
                        message,
                    })
                }
            },
            observer,
        )
        .await
        .map_err(|e| {
            wait_error(e, |d: &ClusterDetails| {
                d.state.as_ref().map(|s| s.as_str().to_owned())
            })
        })
    }
}

fn is_invalid_state(err: &Error) -> bool {
    err.error_code() == Some("INVALID_STATE")
}

fn failure_message(details: &ClusterDetails) -> String {
    let state = details
        .state
        .as_ref()
        .map_or("UNKNOWN", ClusterState::as_str);
    let mut message = format!("cluster {} is {state}", details.cluster_id);
    if let Some(msg) = details.state_message.as_deref().filter(|m| !m.is_empty()) {
        message.push_str(": ");
        message.push_str(msg);
    }
    if let Some(code) = details
        .termination_reason
        .as_ref()
        .and_then(|r| r.code.as_deref())
    {
        message.push_str(&format!(" (termination reason {code})"));
    }
    message
}
