//! SQL warehouses (`/api/2.0/sql/warehouses`, notes §4.7).

use futures::Stream;
use serde::Deserialize;

use super::statements::{require, segment};
use crate::models::{CreateWarehouse, WarehouseInfo, WarehouseState};
use crate::pagination::{Page, token_list};
use crate::wait::{PollOptions, Progress, poll_until, wait_error};
use crate::{Result, WorkspaceClient};

const BASE: &str = "/api/2.0/sql/warehouses";

impl WorkspaceClient {
    /// SQL warehouses.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    ///
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let warehouses: Vec<_> = client.warehouses().list().try_collect().await?;
    /// for w in &warehouses {
    ///     println!("{} {} {:?}", w.id, w.name, w.state);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn warehouses(&self) -> WarehousesApi {
        WarehousesApi {
            client: self.clone(),
        }
    }
}

/// Handle for SQL warehouses; cheap to clone.
#[derive(Debug, Clone)]
pub struct WarehousesApi {
    client: WorkspaceClient,
}

#[derive(Deserialize)]
struct ListResponse {
    #[serde(default)]
    warehouses: Vec<WarehouseInfo>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct CreateResponse {
    id: String,
}

impl WarehousesApi {
    /// Lists warehouses (paged with `page_token`).
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let mut list = std::pin::pin!(client.warehouses().list());
    /// while let Some(w) = list.try_next().await? { println!("{}", w.name); }
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> impl Stream<Item = Result<WarehouseInfo>> + Send + 'static {
        token_list(self.client.clone(), BASE, (), |page: ListResponse| {
            Page::new(page.warehouses, page.next_page_token)
        })
    }

    /// Gets one warehouse.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let w = client.warehouses().get("abc123").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, id: &str) -> Result<WarehouseInfo> {
        self.client
            .get(format!("{BASE}/{}", segment("warehouse id", id)?))
            .send_json()
            .await
    }

    /// Creates a warehouse and returns its id.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// use databricks_client::models::CreateWarehouse;
    /// let id = client.warehouses().create(&CreateWarehouse::new("bi", "2X-Small").serverless()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, request: &CreateWarehouse) -> Result<String> {
        require("name", &request.name)?;
        let resp: CreateResponse = self.client.post(BASE).json(request).send_json().await?;
        Ok(resp.id)
    }

    /// Deletes a warehouse.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// client.warehouses().delete("abc123").await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, id: &str) -> Result<()> {
        self.client
            .delete(format!("{BASE}/{}", segment("warehouse id", id)?))
            .send_empty()
            .await
    }

    /// Starts a warehouse (returns at once; see [`ensure_running`](Self::ensure_running)).
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// client.warehouses().start("abc123").await?;
    /// # Ok(()) }
    /// ```
    pub async fn start(&self, id: &str) -> Result<()> {
        self.client
            .post(format!("{BASE}/{}/start", segment("warehouse id", id)?))
            .idempotent(true)
            .send_empty()
            .await
    }

    /// Stops a warehouse.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// client.warehouses().stop("abc123").await?;
    /// # Ok(()) }
    /// ```
    pub async fn stop(&self, id: &str) -> Result<()> {
        self.client
            .post(format!("{BASE}/{}/stop", segment("warehouse id", id)?))
            .idempotent(true)
            .send_empty()
            .await
    }

    /// Starts the warehouse if needed and waits until it is `RUNNING`.
    ///
    /// A `STOPPED` warehouse is started; `STOPPING` is waited out and then started;
    /// `DELETING`/`DELETED` fail at once.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// use databricks_client::wait::PollOptions;
    /// let w = client.warehouses().ensure_running("abc123", &PollOptions::default()).await?;
    /// assert_eq!(w.state, Some(databricks_client::models::WarehouseState::Running));
    /// # Ok(()) }
    /// ```
    pub async fn ensure_running(&self, id: &str, poll: &PollOptions) -> Result<WarehouseInfo> {
        let what = format!("warehouse {id} to be RUNNING");
        let result = poll_until(poll, &what, || async {
            let w = self.get(id).await?;
            Ok(match w.state.clone() {
                Some(WarehouseState::Running) => Progress::Ready(w),
                Some(WarehouseState::Stopped) => {
                    self.start(id).await?;
                    Progress::Pending(w)
                }
                Some(state @ (WarehouseState::Deleting | WarehouseState::Deleted)) => {
                    Progress::Failed {
                        message: format!(
                            "the warehouse is {state}; create a new one or pick another id"
                        ),
                        state: w,
                    }
                }
                _ => Progress::Pending(w),
            })
        })
        .await;
        result.map_err(|e| {
            wait_error(e, |w: &WarehouseInfo| {
                w.state.as_ref().map(ToString::to_string)
            })
        })
    }
}
