//! Vector search: `create_vector_index`, `search_vectors`.

use std::sync::Arc;

use databricks_client::models::{
    CreateVectorIndex, DeltaSyncIndexSpec, EmbeddingSourceColumn, EmbeddingVectorColumn,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Shared, starts};
use crate::{DynTool, FnTool, ToolError, ToolOutput, ToolSpec, client_error_output};

/// Arguments of `create_vector_index`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CreateIndexArgs {
    /// Index name, `catalog.schema.index`.
    index_name: String,
    /// Vector search endpoint to host the index.
    endpoint_name: String,
    /// Source Delta table, `catalog.schema.table` (needs Change Data Feed enabled).
    source_table: String,
    /// Primary key column of the source table.
    primary_key: String,
    /// Text column to embed with `embedding_model_endpoint`. Give these two OR
    /// `embedding_vector_column` + `embedding_dimension`.
    #[serde(default)]
    embedding_source_column: Option<String>,
    /// Embedding model serving endpoint for `embedding_source_column`.
    #[serde(default)]
    embedding_model_endpoint: Option<String>,
    /// Column holding precomputed embeddings.
    #[serde(default)]
    embedding_vector_column: Option<String>,
    /// Dimension of `embedding_vector_column`.
    #[serde(default)]
    embedding_dimension: Option<i64>,
    /// Sync mode: `TRIGGERED` (default) or `CONTINUOUS`.
    #[serde(default)]
    pipeline_type: Option<String>,
    /// Columns to sync (default: all).
    #[serde(default)]
    columns_to_sync: Vec<String>,
}

/// Result of `create_vector_index`.
#[derive(Debug, Serialize, JsonSchema)]
struct CreateIndexResult {
    /// Index name.
    index_name: String,
    /// Endpoint name.
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint_name: Option<String>,
    /// `DELTA_SYNC`.
    #[serde(skip_serializing_if = "Option::is_none")]
    index_type: Option<String>,
    /// Whether the index is ready for queries.
    ready: bool,
    /// Status message.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

pub(super) fn create_vector_index(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<CreateIndexArgs, CreateIndexResult>(
            "create_vector_index",
            "Creates a Delta Sync vector search index over a source table, embedding a text column with a model endpoint or using a precomputed vector column.",
        )
        .with_title("Create vector index")
        .with_annotations(starts()),
        |s, a: CreateIndexArgs, _ctx| async move {
            const TOOL: &str = "create_vector_index";
            let mut spec = DeltaSyncIndexSpec::new(&a.source_table);
            match (
                a.embedding_source_column,
                a.embedding_model_endpoint,
                a.embedding_vector_column,
                a.embedding_dimension,
            ) {
                (Some(col), Some(ep), None, None) => {
                    spec = spec.with_embedding_source_column(EmbeddingSourceColumn::new(col, ep));
                }
                (None, None, Some(col), Some(dim)) => {
                    spec = spec.with_embedding_vector_column(EmbeddingVectorColumn::new(col, dim));
                }
                _ => {
                    return Err(ToolError::invalid_params(
                        TOOL,
                        "give `embedding_source_column` + `embedding_model_endpoint`, OR `embedding_vector_column` + `embedding_dimension`",
                    ));
                }
            }
            if let Some(p) = a.pipeline_type {
                spec.pipeline_type = Some(p);
            }
            spec.columns_to_sync = a.columns_to_sync;
            let req = CreateVectorIndex::delta_sync(
                &a.index_name,
                &a.endpoint_name,
                &a.primary_key,
                spec,
            );
            let idx = match s.client().vector_search().create_index(&req).await {
                Ok(i) => i,
                Err(e) => return Ok(client_error_output(TOOL, &e)),
            };
            let status = idx.status.as_ref();
            let out = CreateIndexResult {
                index_name: idx.name.clone(),
                endpoint_name: idx.endpoint_name.clone(),
                index_type: idx.index_type.clone(),
                ready: status.and_then(|s| s.ready).unwrap_or(false),
                message: status.and_then(|s| s.message.clone()),
            };
            ToolOutput::structured(
                format!(
                    "Created vector index {} on endpoint {} (ready: {}); it syncs from {}.",
                    out.index_name, a.endpoint_name, out.ready, a.source_table
                ),
                &out,
            )
        },
    )
}

/// `search_vectors`: the workspace's `query_vector_index` under the platform's name (one
/// implementation, one output shape).
pub(super) fn search_vectors(s: &Arc<Shared>) -> DynTool {
    crate::shared_tools::vector_search(
        "search_vectors",
        "Search vectors",
        s.client().clone(),
        s.opts.limits,
    )
}
