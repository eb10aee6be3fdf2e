//! Vector Search (`/api/2.0/vector-search`, notes §4.13).

use futures::Stream;
use serde::{Deserialize, Serialize};

use super::statements::{require, segment};
use crate::models::{
    CreateVectorIndex, CreateVectorSearchEndpoint, VectorDataResponse, VectorIndex, VectorQuery,
    VectorQueryResponse, VectorSearchEndpoint, VectorSearchEndpointState,
};
use crate::pagination::{Page, token_list};
use crate::wait::{PollOptions, Progress, poll_until, wait_error};
use crate::{Error, Result, WorkspaceClient};

const ENDPOINTS: &str = "/api/2.0/vector-search/endpoints";
const INDEXES: &str = "/api/2.0/vector-search/indexes";

impl WorkspaceClient {
    /// Vector Search endpoints and indexes.
    ///
    /// ```no_run
    /// use databricks_client::models::VectorQuery;
    ///
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let hits = client
    ///     .vector_search()
    ///     .query("main.docs.chunks_index", &VectorQuery::text("how do I rotate a token?", ["id", "text"]).with_num_results(3))
    ///     .await?;
    /// for row in hits.rows() { println!("{row:?}"); }
    /// # Ok(()) }
    /// ```
    pub fn vector_search(&self) -> VectorSearchApi {
        VectorSearchApi {
            client: self.clone(),
        }
    }
}

/// Handle for Vector Search; cheap to clone.
#[derive(Debug, Clone)]
pub struct VectorSearchApi {
    client: WorkspaceClient,
}

#[derive(Deserialize)]
struct EndpointsPage {
    #[serde(default)]
    endpoints: Vec<VectorSearchEndpoint>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct IndexesPage {
    #[serde(default)]
    vector_indexes: Vec<VectorIndex>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Serialize)]
struct UpsertBody {
    inputs_json: String,
}

#[derive(Serialize)]
struct DeleteBody<'a> {
    primary_keys: &'a [String],
}

#[derive(Serialize)]
struct NextPageBody<'a> {
    endpoint_name: &'a str,
    page_token: &'a str,
}

impl VectorSearchApi {
    /// Lists endpoints.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let eps: Vec<_> = client.vector_search().list_endpoints().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_endpoints(
        &self,
    ) -> impl Stream<Item = Result<VectorSearchEndpoint>> + Send + 'static {
        token_list(self.client.clone(), ENDPOINTS, (), |page: EndpointsPage| {
            Page::new(page.endpoints, page.next_page_token)
        })
    }

    /// Gets an endpoint.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let ep = client.vector_search().get_endpoint("vs-1").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_endpoint(&self, name: &str) -> Result<VectorSearchEndpoint> {
        self.client
            .get(format!("{ENDPOINTS}/{}", segment("endpoint name", name)?))
            .send_json()
            .await
    }

    /// Creates an endpoint (returns at once; see [`wait_endpoint_online`](Self::wait_endpoint_online)).
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// use databricks_client::models::CreateVectorSearchEndpoint;
    /// client.vector_search().create_endpoint(&CreateVectorSearchEndpoint::standard("vs-1")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_endpoint(
        &self,
        request: &CreateVectorSearchEndpoint,
    ) -> Result<VectorSearchEndpoint> {
        require("endpoint name", &request.name)?;
        self.client.post(ENDPOINTS).json(request).send_json().await
    }

    /// Deletes an endpoint.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// client.vector_search().delete_endpoint("vs-1").await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_endpoint(&self, name: &str) -> Result<()> {
        self.client
            .delete(format!("{ENDPOINTS}/{}", segment("endpoint name", name)?))
            .send_empty()
            .await
    }

    /// Waits until the endpoint is `ONLINE`; fails on `OFFLINE`.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// use databricks_client::wait::PollOptions;
    /// client.vector_search().wait_endpoint_online("vs-1", &PollOptions::default()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn wait_endpoint_online(
        &self,
        name: &str,
        poll: &PollOptions,
    ) -> Result<VectorSearchEndpoint> {
        let what = format!("vector search endpoint {name} to be ONLINE");
        poll_until(poll, &what, || async {
            let ep = self.get_endpoint(name).await?;
            Ok(match ep.state() {
                Some(VectorSearchEndpointState::Online) => Progress::Ready(ep),
                Some(VectorSearchEndpointState::Offline) => Progress::Failed {
                    message: ep
                        .endpoint_status
                        .as_ref()
                        .and_then(|s| s.message.clone())
                        .unwrap_or_else(|| "endpoint is OFFLINE".to_owned()),
                    state: ep,
                },
                _ => Progress::Pending(ep),
            })
        })
        .await
        .map_err(|e| {
            wait_error(e, |ep: &VectorSearchEndpoint| {
                ep.state().map(ToString::to_string)
            })
        })
    }

    /// Lists the indexes of an endpoint.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let idx: Vec<_> = client.vector_search().list_indexes("vs-1").try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_indexes(
        &self,
        endpoint_name: &str,
    ) -> impl Stream<Item = Result<VectorIndex>> + Send + 'static {
        token_list(
            self.client.clone(),
            INDEXES,
            [("endpoint_name", endpoint_name.to_owned())],
            |page: IndexesPage| Page::new(page.vector_indexes, page.next_page_token),
        )
    }

    /// Gets an index (with `status`).
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let idx = client.vector_search().get_index("main.docs.chunks_index").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_index(&self, index_name: &str) -> Result<VectorIndex> {
        self.client
            .get(format!("{INDEXES}/{}", segment("index name", index_name)?))
            .send_json()
            .await
    }

    /// Creates a delta-sync or direct-access index.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// use databricks_client::models::{CreateVectorIndex, DeltaSyncIndexSpec, EmbeddingSourceColumn};
    /// let spec = DeltaSyncIndexSpec::new("main.docs.chunks")
    ///     .with_embedding_source_column(EmbeddingSourceColumn::new("text", "databricks-gte-large-en"));
    /// client.vector_search()
    ///     .create_index(&CreateVectorIndex::delta_sync("main.docs.chunks_index", "vs-1", "id", spec))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_index(&self, request: &CreateVectorIndex) -> Result<VectorIndex> {
        require("index name", &request.name)?;
        require("endpoint name", &request.endpoint_name)?;
        match (
            request.index_type.as_str(),
            &request.delta_sync_index_spec,
            &request.direct_access_index_spec,
        ) {
            ("DELTA_SYNC", Some(_), None) | ("DIRECT_ACCESS", None, Some(_)) => {}
            _ => {
                return Err(Error::InvalidArgument(
                    "a DELTA_SYNC index needs delta_sync_index_spec and a DIRECT_ACCESS index \
                     needs direct_access_index_spec; use CreateVectorIndex::delta_sync or \
                     ::direct_access"
                        .to_owned(),
                ));
            }
        }
        self.client.post(INDEXES).json(request).send_json().await
    }

    /// Deletes an index.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// client.vector_search().delete_index("main.docs.chunks_index").await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_index(&self, index_name: &str) -> Result<()> {
        self.client
            .delete(format!("{INDEXES}/{}", segment("index name", index_name)?))
            .send_empty()
            .await
    }

    /// Queries an index by text or vector. Queries are reads, so they are retried like GETs.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// use databricks_client::models::VectorQuery;
    /// let q = VectorQuery::vector(vec![0.1, 0.2, 0.3], ["id"]).with_filters_json(r#"{"lang": "en"}"#);
    /// let hits = client.vector_search().query("main.docs.chunks_index", &q).await?;
    /// # Ok(()) }
    /// ```
    pub async fn query(
        &self,
        index_name: &str,
        query: &VectorQuery,
    ) -> Result<VectorQueryResponse> {
        if query.columns.is_empty() {
            return Err(Error::InvalidArgument(
                "a vector search query needs at least one column to return".to_owned(),
            ));
        }
        if query.query_text.is_none() && query.query_vector.is_none() {
            return Err(Error::InvalidArgument(
                "set query_text or query_vector (VectorQuery::text / VectorQuery::vector)"
                    .to_owned(),
            ));
        }
        if let Some(f) = &query.filters_json
            && serde_json::from_str::<serde_json::Value>(f).is_err()
        {
            return Err(Error::InvalidArgument(format!(
                "filters_json must be a JSON object string such as {{\"id <\": 5}}, got {f:?}"
            )));
        }
        self.client
            .post(format!(
                "{INDEXES}/{}/query",
                segment("index name", index_name)?
            ))
            .json(query)
            .idempotent(true)
            .send_json()
            .await
    }

    /// The next page of a query (`next_page_token` of the previous response).
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient, token: String) -> databricks_client::Result<()> {
    /// let more = client.vector_search().query_next_page("main.docs.chunks_index", "vs-1", &token).await?;
    /// # Ok(()) }
    /// ```
    pub async fn query_next_page(
        &self,
        index_name: &str,
        endpoint_name: &str,
        page_token: &str,
    ) -> Result<VectorQueryResponse> {
        require("page_token", page_token)?;
        self.client
            .post(format!(
                "{INDEXES}/{}/query-next-page",
                segment("index name", index_name)?
            ))
            .json(&NextPageBody {
                endpoint_name,
                page_token,
            })
            .idempotent(true)
            .send_json()
            .await
    }

    /// Upserts rows into a direct-access index (`inputs_json` is the JSON array of rows).
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let rows = vec![serde_json::json!({"id": 1, "text": "hi", "embedding": [0.1, 0.2]})];
    /// let r = client.vector_search().upsert("main.docs.direct_index", &rows).await?;
    /// # Ok(()) }
    /// ```
    pub async fn upsert(
        &self,
        index_name: &str,
        rows: &[serde_json::Value],
    ) -> Result<VectorDataResponse> {
        let inputs_json = serde_json::to_string(rows)
            .map_err(|e| Error::InvalidArgument(format!("rows do not serialize: {e}")))?;
        self.client
            .post(format!(
                "{INDEXES}/{}/upsert-data",
                segment("index name", index_name)?
            ))
            .json(&UpsertBody { inputs_json })
            .idempotent(true)
            .send_json()
            .await
    }

    /// Deletes rows of a direct-access index by primary key.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// client.vector_search().delete_rows("main.docs.direct_index", &["1".to_owned()]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_rows(
        &self,
        index_name: &str,
        primary_keys: &[String],
    ) -> Result<VectorDataResponse> {
        self.client
            .post(format!(
                "{INDEXES}/{}/delete-data",
                segment("index name", index_name)?
            ))
            .json(&DeleteBody { primary_keys })
            .idempotent(true)
            .send_json()
            .await
    }
}
