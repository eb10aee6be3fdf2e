//! Vector Search models (notes §4.13).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::open_enum::open_enum;
use super::statements::opt_lenient_i64;

open_enum! {
    /// `endpoint_status.state` of a vector search endpoint.
    pub enum VectorSearchEndpointState {
        /// Being created.
        Provisioning = "PROVISIONING",
        /// Serving.
        Online = "ONLINE",
        /// Failed.
        Offline = "OFFLINE",
        /// Starting.
        Starting = "STARTING",
        /// Stopping.
        Stopping = "STOPPING",
        /// Stopped.
        Stopped = "STOPPED",
        /// Degraded.
        YellowState = "YELLOW_STATE",
        /// Unhealthy.
        RedState = "RED_STATE",
        /// Deleted.
        Deleted = "DELETED",
    }
}

/// `endpoint_status` of a vector search endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VectorSearchEndpointStatus {
    /// State.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<VectorSearchEndpointState>,
    /// Message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A vector search endpoint.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VectorSearchEndpoint {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `STANDARD` or `STORAGE_OPTIMIZED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_type: Option<String>,
    /// Status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_status: Option<VectorSearchEndpointStatus>,
    /// Creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<String>,
    /// Number of indexes.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub num_indexes: Option<i64>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl VectorSearchEndpoint {
    /// The state, if reported.
    pub fn state(&self) -> Option<&VectorSearchEndpointState> {
        self.endpoint_status.as_ref()?.state.as_ref()
    }
}

/// Body of `POST /api/2.0/vector-search/endpoints`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreateVectorSearchEndpoint {
    /// Name.
    pub name: String,
    /// `STANDARD` or `STORAGE_OPTIMIZED`.
    pub endpoint_type: String,
    /// Budget policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_policy_id: Option<String>,
}

impl CreateVectorSearchEndpoint {
    /// A `STANDARD` endpoint.
    pub fn standard(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            endpoint_type: "STANDARD".to_owned(),
            budget_policy_id: None,
        }
    }
    /// A `STORAGE_OPTIMIZED` endpoint.
    pub fn storage_optimized(name: impl Into<String>) -> Self {
        Self {
            endpoint_type: "STORAGE_OPTIMIZED".to_owned(),
            ..Self::standard(name)
        }
    }
}

/// `status` of an index.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VectorIndexStatus {
    /// Ready to query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<bool>,
    /// Indexed rows.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub indexed_row_count: Option<i64>,
    /// Message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Index URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_url: Option<String>,
}

/// A vector index.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VectorIndex {
    /// Full UC name.
    #[serde(default)]
    pub name: String,
    /// Endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_name: Option<String>,
    /// `DELTA_SYNC` or `DIRECT_ACCESS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_type: Option<String>,
    /// Primary key column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_key: Option<String>,
    /// Creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<String>,
    /// Status (from `get`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<VectorIndexStatus>,
    /// Delta sync spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta_sync_index_spec: Option<DeltaSyncIndexSpec>,
    /// Direct access spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct_access_index_spec: Option<DirectAccessIndexSpec>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A column embedded by a model endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EmbeddingSourceColumn {
    /// Text column.
    pub name: String,
    /// Embedding model endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding_model_endpoint_name: Option<String>,
}

impl EmbeddingSourceColumn {
    /// Column `name` embedded by `endpoint`.
    pub fn new(name: impl Into<String>, endpoint: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            embedding_model_endpoint_name: Some(endpoint.into()),
        }
    }
}

/// A column holding precomputed vectors.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EmbeddingVectorColumn {
    /// Vector column.
    pub name: String,
    /// Dimension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding_dimension: Option<i64>,
}

impl EmbeddingVectorColumn {
    /// Column `name` of `dimension` floats.
    pub fn new(name: impl Into<String>, dimension: i64) -> Self {
        Self {
            name: name.into(),
            embedding_dimension: Some(dimension),
        }
    }
}

/// `delta_sync_index_spec`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeltaSyncIndexSpec {
    /// Source Delta table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_table: Option<String>,
    /// Columns embedded by a model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub embedding_source_columns: Vec<EmbeddingSourceColumn>,
    /// Precomputed vector columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub embedding_vector_columns: Vec<EmbeddingVectorColumn>,
    /// `TRIGGERED` or `CONTINUOUS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_type: Option<String>,
    /// Columns to sync.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns_to_sync: Vec<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DeltaSyncIndexSpec {
    /// Syncs from `source_table` with `TRIGGERED` pipelines.
    pub fn new(source_table: impl Into<String>) -> Self {
        Self {
            source_table: Some(source_table.into()),
            pipeline_type: Some("TRIGGERED".to_owned()),
            ..Self::default()
        }
    }
    /// Adds a column embedded by a model endpoint.
    #[must_use]
    pub fn with_embedding_source_column(mut self, column: EmbeddingSourceColumn) -> Self {
        self.embedding_source_columns.push(column);
        self
    }
    /// Adds a precomputed vector column.
    #[must_use]
    pub fn with_embedding_vector_column(mut self, column: EmbeddingVectorColumn) -> Self {
        self.embedding_vector_columns.push(column);
        self
    }
}

/// `direct_access_index_spec`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DirectAccessIndexSpec {
    /// Columns embedded by a model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub embedding_source_columns: Vec<EmbeddingSourceColumn>,
    /// Precomputed vector columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub embedding_vector_columns: Vec<EmbeddingVectorColumn>,
    /// Schema as a JSON string (`{"id": "int", "text": "string", …}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_json: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DirectAccessIndexSpec {
    /// A spec with a vector column and the given schema JSON.
    pub fn new(vector_column: EmbeddingVectorColumn, schema_json: impl Into<String>) -> Self {
        Self {
            embedding_vector_columns: vec![vector_column],
            schema_json: Some(schema_json.into()),
            ..Self::default()
        }
    }
}

/// Body of `POST /api/2.0/vector-search/indexes`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreateVectorIndex {
    /// Full UC name.
    pub name: String,
    /// Endpoint.
    pub endpoint_name: String,
    /// Primary key column.
    pub primary_key: String,
    /// `DELTA_SYNC` or `DIRECT_ACCESS`.
    pub index_type: String,
    /// Delta sync spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta_sync_index_spec: Option<DeltaSyncIndexSpec>,
    /// Direct access spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct_access_index_spec: Option<DirectAccessIndexSpec>,
}

impl CreateVectorIndex {
    /// A `DELTA_SYNC` index.
    pub fn delta_sync(
        name: impl Into<String>,
        endpoint_name: impl Into<String>,
        primary_key: impl Into<String>,
        spec: DeltaSyncIndexSpec,
    ) -> Self {
        Self {
            name: name.into(),
            endpoint_name: endpoint_name.into(),
            primary_key: primary_key.into(),
            index_type: "DELTA_SYNC".to_owned(),
            delta_sync_index_spec: Some(spec),
            direct_access_index_spec: None,
        }
    }
    /// A `DIRECT_ACCESS` index.
    pub fn direct_access(
        name: impl Into<String>,
        endpoint_name: impl Into<String>,
        primary_key: impl Into<String>,
        spec: DirectAccessIndexSpec,
    ) -> Self {
        Self {
            name: name.into(),
            endpoint_name: endpoint_name.into(),
            primary_key: primary_key.into(),
            index_type: "DIRECT_ACCESS".to_owned(),
            delta_sync_index_spec: None,
            direct_access_index_spec: Some(spec),
        }
    }
}

/// Body of `POST …/indexes/{name}/query`.
///
/// ```
/// use databricks_client::models::VectorQuery;
///
/// let q = VectorQuery::text("red shoes", ["id", "title"])
///     .with_num_results(5)
///     .with_filters_json(r#"{"price <": 100}"#);
/// assert_eq!(q.num_results, Some(5));
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VectorQuery {
    /// Columns to return (required).
    pub columns: Vec<String>,
    /// Query text (embedded server-side).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_text: Option<String>,
    /// Query vector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_vector: Option<Vec<f32>>,
    /// Results (server default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_results: Option<u32>,
    /// Filters as a JSON string (`{"id <": 5}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters_json: Option<String>,
    /// `ANN`, `HYBRID` or `FULL_TEXT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_type: Option<String>,
    /// Minimum score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_threshold: Option<f64>,
    /// Other fields (`reranker`, `columns_to_rerank`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl VectorQuery {
    /// A text query returning `columns`.
    pub fn text(
        query_text: impl Into<String>,
        columns: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            columns: columns.into_iter().map(Into::into).collect(),
            query_text: Some(query_text.into()),
            ..Self::default()
        }
    }
    /// A vector query returning `columns`.
    pub fn vector(
        query_vector: Vec<f32>,
        columns: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            columns: columns.into_iter().map(Into::into).collect(),
            query_vector: Some(query_vector),
            ..Self::default()
        }
    }
    /// Sets `num_results`.
    #[must_use]
    pub fn with_num_results(mut self, n: u32) -> Self {
        self.num_results = Some(n);
        self
    }
    /// Sets `filters_json`.
    #[must_use]
    pub fn with_filters_json(mut self, filters_json: impl Into<String>) -> Self {
        self.filters_json = Some(filters_json.into());
        self
    }
    /// Sets `query_type`.
    #[must_use]
    pub fn with_query_type(mut self, query_type: impl Into<String>) -> Self {
        self.query_type = Some(query_type.into());
        self
    }
}

/// A column of a query result manifest.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VectorResultColumn {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Type text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_text: Option<String>,
}

/// `manifest` of a query result.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VectorResultManifest {
    /// Column count.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub column_count: Option<i64>,
    /// Columns (rows follow this order; a `score` column is appended).
    #[serde(default)]
    pub columns: Vec<VectorResultColumn>,
}

/// `result` of a query.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VectorResultData {
    /// Rows.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub row_count: Option<i64>,
    /// Row values in manifest column order.
    #[serde(default)]
    pub data_array: Vec<Vec<Value>>,
}

/// Response of a vector index query.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VectorQueryResponse {
    /// Column layout.
    #[serde(default)]
    pub manifest: VectorResultManifest,
    /// Rows.
    #[serde(default)]
    pub result: VectorResultData,
    /// Token for `query-next-page`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
    /// Other fields (`facet_result`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl VectorQueryResponse {
    /// Rows as JSON objects keyed by column name.
    pub fn rows(&self) -> Vec<Map<String, Value>> {
        self.result
            .data_array
            .iter()
            .map(|row| {
                self.manifest
                    .columns
                    .iter()
                    .zip(row)
                    .map(|(c, v)| (c.name.clone(), v.clone()))
                    .collect()
            })
            .collect()
    }
}

/// Response of `upsert-data` / `delete-data`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VectorDataResponse {
    /// `SUCCESS`, `PARTIAL_SUCCESS` or `FAILURE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Counts and failed keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<VectorDataResult>,
}

/// `result` of `upsert-data` / `delete-data`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VectorDataResult {
    /// Rows written or deleted.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub success_row_count: Option<i64>,
    /// Keys that failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_primary_keys: Vec<Value>,
}
