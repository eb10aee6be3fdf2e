//! Model Serving (`/api/2.0/serving-endpoints`, notes §4.12).
//!
//! Queries go to `/serving-endpoints/{name}/invocations` on the workspace host (no `/api/2.0`
//! prefix). Route-optimized endpoints only accept a data-plane OAuth token on their own
//! `endpoint_url`; [`ServingApi::query`] detects them and returns an error that says so
//! instead of a confusing 4xx.

use serde::Deserialize;

use super::statements::{require, segment, wait_error};
use crate::models::{
    CreateServingEndpoint, EndpointCoreConfig, ServingEndpoint, ServingQuery, ServingQueryResponse,
};
use crate::wait::{PollOptions, Progress, poll_until};
use crate::{Error, Result, WorkspaceClient};

const BASE: &str = "/api/2.0/serving-endpoints";

impl WorkspaceClient {
    /// Model Serving endpoints.
    ///
    /// ```no_run
    /// use databricks_client::models::{ChatMessage, ServingQuery};
    ///
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let answer = client
    ///     .serving()
    ///     .query("databricks-meta-llama-3-3-70b-instruct", &ServingQuery::chat(vec![ChatMessage::user("Hello!")]))
    ///     .await?;
    /// println!("{:?}", answer.text());
    /// # Ok(()) }
    /// ```
    pub fn serving(&self) -> ServingApi {
        ServingApi {
            client: self.clone(),
        }
    }
}

/// Handle for Model Serving; cheap to clone.
#[derive(Debug, Clone)]
pub struct ServingApi {
    client: WorkspaceClient,
}

#[derive(Deserialize)]
struct ListResponse {
    #[serde(default)]
    endpoints: Vec<ServingEndpoint>,
}

impl ServingApi {
    /// Lists endpoints (not paginated by the API).
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// for e in client.serving().list().await? { println!("{} {:?}", e.name, e.task); }
    /// # Ok(()) }
    /// ```
    pub async fn list(&self) -> Result<Vec<ServingEndpoint>> {
        let resp: ListResponse = self.client.get(BASE).send_json().await?;
        Ok(resp.endpoints)
    }

    /// Gets an endpoint.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let e = client.serving().get("my-model").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, name: &str) -> Result<ServingEndpoint> {
        self.client
            .get(format!("{BASE}/{}", segment("endpoint name", name)?))
            .send_json()
            .await
    }

    /// Creates an endpoint (returns at once; see [`wait_ready`](Self::wait_ready)).
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// use databricks_client::models::{CreateServingEndpoint, EndpointCoreConfig, ServedEntity};
    /// let entity = ServedEntity::new("main.ml.churn", "3").with_workload_size("Small").with_scale_to_zero(true);
    /// let e = client.serving().create(&CreateServingEndpoint::new("churn", EndpointCoreConfig::new(entity))).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, request: &CreateServingEndpoint) -> Result<ServingEndpoint> {
        require("endpoint name", &request.name)?;
        self.client.post(BASE).json(request).send_json().await
    }

    /// Replaces an endpoint's config (`PUT …/{name}/config`).
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// use databricks_client::models::{EndpointCoreConfig, ServedEntity};
    /// client.serving().update_config("churn", &EndpointCoreConfig::new(ServedEntity::new("main.ml.churn", "4"))).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_config(
        &self,
        name: &str,
        config: &EndpointCoreConfig,
    ) -> Result<ServingEndpoint> {
        self.client
            .put(format!("{BASE}/{}/config", segment("endpoint name", name)?))
            .json(config)
            .send_json()
            .await
    }

    /// Deletes an endpoint.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// client.serving().delete("churn").await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, name: &str) -> Result<()> {
        self.client
            .delete(format!("{BASE}/{}", segment("endpoint name", name)?))
            .send_empty()
            .await
    }

    /// Waits until the endpoint is `READY` and no config update runs; fails on
    /// `UPDATE_FAILED`/`UPDATE_CANCELED`.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// use databricks_client::wait::PollOptions;
    /// let e = client.serving().wait_ready("churn", &PollOptions::default()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn wait_ready(&self, name: &str, poll: &PollOptions) -> Result<ServingEndpoint> {
        let what = format!("serving endpoint {name} to be ready");
        poll_until(poll, &what, || async {
            let e = self.get(name).await?;
            Ok(match e.failed_update() {
                Some(u) => Progress::Failed {
                    message: format!("config update {u}; check the endpoint's build logs"),
                    state: e,
                },
                None if e.is_ready() => Progress::Ready(e),
                None => Progress::Pending(e),
            })
        })
        .await
        .map_err(|e| {
            wait_error(e, |ep: &ServingEndpoint| {
                ep.state.as_ref().map(|_| ep.state_summary())
            })
        })
    }

    /// Queries an endpoint (`POST /serving-endpoints/{name}/invocations`).
    ///
    /// A 4xx answer from a route-optimized endpoint is turned into
    /// [`Error::InvalidArgument`] explaining that it must be called on its `endpoint_url` with
    /// a data-plane OAuth token.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// use databricks_client::models::ServingQuery;
    /// let out = client.serving()
    ///     .query("churn", &ServingQuery::dataframe_records(vec![serde_json::json!({"tenure": 3})]))
    ///     .await?;
    /// println!("{:?}", out.predictions);
    /// # Ok(()) }
    /// ```
    pub async fn query(&self, name: &str, query: &ServingQuery) -> Result<ServingQueryResponse> {
        let resp = self
            .client
            .post(format!(
                "/serving-endpoints/{}/invocations",
                segment("endpoint name", name)?
            ))
            .json(query)
            .send()
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) if e.status().is_some_and(|s| (400..500).contains(&s)) => {
                return Err(self.explain_route_optimized(name, e).await);
            }
            Err(e) => return Err(e),
        };
        let served = resp
            .headers
            .get("served-model-name")
            .and_then(|v| v.to_str().ok())
            .map(ToOwned::to_owned);
        let mut out: ServingQueryResponse = resp.json()?;
        if out.served_model_name.is_none() {
            out.served_model_name = served;
        }
        Ok(out)
    }

    /// Checks whether a failed query hit a route-optimized endpoint.
    async fn explain_route_optimized(&self, name: &str, original: Error) -> Error {
        match self.get(name).await {
            Ok(e) if e.is_route_optimized() => Error::InvalidArgument(format!(
                "serving endpoint `{name}` is route-optimized: query it on its endpoint_url ({}) \
                 with a data-plane OAuth token (JWT-bearer exchange at /oidc/v1/token); \
                 workspace tokens are not accepted there. Original error: {original}",
                e.endpoint_url
                    .as_deref()
                    .unwrap_or("see the endpoint details")
            )),
            _ => original,
        }
    }
}
