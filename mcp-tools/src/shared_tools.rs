//! Tools that more than one toolset offers: one implementation and one output shape each,
//! registered under each toolset's name.
//!
//! - vector search: `query_vector_index` (workspace) and `search_vectors` (platform);
//! - model serving queries: `query_serving_endpoint` (workspace) and `invoke_model` (platform).

use std::sync::Arc;

use databricks_client::WorkspaceClient;
use databricks_client::models::{ChatMessage, ServingQuery, VectorQuery};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    Column, DynTool, FnTool, MoreRows, ResultLimits, TableResult, ToolAnnotations, ToolError,
    ToolOutput, ToolSpec, cap_text, client_error_output,
};

/// What a shared tool needs: the client and the result caps.
#[derive(Debug)]
struct State {
    client: WorkspaceClient,
    limits: ResultLimits,
}

/// Default `num_results` of a vector search.
const DEFAULT_NUM_RESULTS: usize = 10;

/// Arguments of `query_vector_index` / `search_vectors`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct VectorSearchArgs {
    /// Index name `catalog.schema.index` (from list_vector_indexes).
    index_name: String,
    /// Text to search for (indexes with an embedding model). Give this or `query_vector`.
    #[serde(default)]
    query_text: Option<String>,
    /// An embedding vector to search with. Give this or `query_text`.
    #[serde(default)]
    query_vector: Option<Vec<f32>>,
    /// Columns to return, for example `["id", "text"]`.
    columns: Vec<String>,
    /// Number of results (default 10, capped by the server's row limit).
    #[serde(default)]
    num_results: Option<u64>,
    /// Filters as a JSON object string, for example `{"lang": "en"}` or `{"id <": 5}`.
    #[serde(default)]
    filters_json: Option<String>,
    /// `ANN` (default) or `HYBRID`.
    #[serde(default)]
    query_type: Option<String>,
}

/// The vector search tool under `name`: text or vector query, optional filters, results capped
/// by the row limit and returned as a table with the similarity score last.
pub(crate) fn vector_search(
    name: &'static str,
    title: &'static str,
    client: WorkspaceClient,
    limits: ResultLimits,
) -> DynTool {
    FnTool::with_state(
        &Arc::new(State { client, limits }),
        ToolSpec::new::<VectorSearchArgs, TableResult>(
            name,
            "Search a vector index by text (query_text) or by embedding (query_vector), returning \
                the chosen columns plus a similarity score, best first. Optional filters_json \
                narrows the candidates; query_type HYBRID adds keyword matching.",
        )
        .with_title(title)
        .with_annotations(ToolAnnotations::read_only()),
        move |s, a: VectorSearchArgs, _ctx| async move {
            let mut query = match (a.query_text, a.query_vector) {
                (Some(t), None) => VectorQuery::text(t, a.columns),
                (None, Some(v)) => VectorQuery::vector(v, a.columns),
                _ => {
                    return Err(ToolError::invalid_params(
                        name,
                        "pass exactly one of `query_text` and `query_vector`",
                    ));
                }
            };
            let n = a
                .num_results
                .map_or(DEFAULT_NUM_RESULTS, |n| {
                    usize::try_from(n).unwrap_or(usize::MAX)
                })
                .clamp(1, s.limits.max_rows);
            query = query.with_num_results(u32::try_from(n).unwrap_or(u32::MAX));
            if let Some(f) = a.filters_json {
                query = query.with_filters_json(f);
            }
            if let Some(t) = a.query_type {
                query = query.with_query_type(t);
            }
            let resp = match s.client.vector_search().query(&a.index_name, &query).await {
                Ok(r) => r,
                Err(e) => return Ok(client_error_output(name, &e)),
            };
            let columns = resp
                .manifest
                .columns
                .iter()
                .map(|c| Column::new(c.name.clone(), c.type_text.clone()))
                .collect();
            let more = resp
                .next_page_token
                .as_deref()
                .is_some_and(|t| !t.is_empty());
            let table =
                TableResult::from_rows(columns, resp.result.data_array, n, 0, more, |off| {
                    MoreRows::new(None, off, "raise num_results or add filters_json")
                });
            ToolOutput::structured(table.to_text(s.limits.max_text_bytes), &table)
        },
    )
}

/// One chat message.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ChatMessageArg {
    /// `system`, `user` or `assistant`.
    role: String,
    /// The message text.
    content: String,
}

/// Arguments of `query_serving_endpoint` / `invoke_model`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ServingQueryArgs {
    /// The endpoint name (from list_serving_endpoints or deploy_model); `endpoint_name` is
    /// accepted too.
    #[serde(alias = "endpoint_name")]
    name: String,
    /// A complete request body as a JSON object (`{"dataframe_records": [...]}`, `{"inputs":
    /// ...}`, `{"instances": [...]}`, `{"messages": [...]}` or `{"input": ...}`). Give this OR
    /// one of `dataframe_records`, `inputs`, `messages`.
    #[serde(default)]
    request: Option<Value>,
    /// For custom (MLflow) models: input rows as JSON objects, column name → value.
    #[serde(default)]
    dataframe_records: Option<Vec<Value>>,
    /// For custom models taking tensors, or embeddings-style inputs: passed through as JSON.
    #[serde(default)]
    inputs: Option<Value>,
    /// For chat endpoints (`llm/v1/chat`): the conversation.
    #[serde(default)]
    messages: Option<Vec<ChatMessageArg>>,
    /// For chat and completion endpoints: most tokens to generate.
    #[serde(default)]
    max_tokens: Option<u32>,
    /// For chat and completion endpoints: sampling temperature.
    #[serde(default)]
    temperature: Option<f64>,
}

/// Result of `query_serving_endpoint` / `invoke_model`.
#[derive(Debug, Serialize, JsonSchema)]
struct ServingQueryResult {
    /// The endpoint.
    endpoint: String,
    /// The model that answered, when the endpoint says.
    #[serde(skip_serializing_if = "Option::is_none")]
    served_model_name: Option<String>,
    /// The generated text of chat/completion endpoints (capped).
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    /// The full response (`predictions`, `choices`, `data`, `usage`, …) when it fits the
    /// server's text limit; absent when `truncated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    response: Option<Value>,
    /// `true` when the response was larger than the limit and only its beginning is in the
    /// text content.
    truncated: bool,
}

/// The query of the arguments: a raw `request` object, or one of the typed shapes.
fn serving_query(tool: &str, a: ServingQueryArgs) -> Result<(String, ServingQuery), ToolError> {
    let mut query = match (a.request, a.dataframe_records, a.inputs, a.messages) {
        (Some(r), None, None, None) => {
            if !r.is_object() {
                return Err(ToolError::invalid_params(
                    tool,
                    "`request` must be a JSON object such as {\"dataframe_records\": [...]} or {\"messages\": [...]}",
                ));
            }
            serde_json::from_value(r).map_err(|e| {
                ToolError::invalid_params(tool, format!("`request` is not a serving query: {e}"))
            })?
        }
        (None, Some(records), None, None) => ServingQuery::dataframe_records(records),
        (None, None, Some(inputs), None) => ServingQuery::inputs(inputs),
        (None, None, None, Some(messages)) => ServingQuery::chat(
            messages
                .into_iter()
                .map(|m| ChatMessage::new(m.role, m.content))
                .collect(),
        ),
        _ => {
            return Err(ToolError::invalid_params(
                tool,
                "pass exactly one of `request`, `dataframe_records`, `inputs` or `messages`",
            ));
        }
    };
    if let Some(n) = a.max_tokens {
        query = query.with_max_tokens(n);
    }
    if let Some(t) = a.temperature {
        query = query.with_temperature(t);
    }
    Ok((a.name, query))
}

/// The serving query tool under `name`. It is marked read-only: inference does not change the
/// workspace. It is not idempotent (generation samples) and is open-world (external models and
/// agents may call outside services). Operators serving agents with side-effecting tools should
/// leave it out with the registry allowlist.
pub(crate) fn serving_query_tool(
    name: &'static str,
    title: &'static str,
    client: WorkspaceClient,
    limits: ResultLimits,
) -> DynTool {
    FnTool::with_state(
        &Arc::new(State { client, limits }),
        ToolSpec::new::<ServingQueryArgs, ServingQueryResult>(
            name,
            "Query a model serving endpoint. Pass exactly one of `request` (a complete request \
                body), `dataframe_records` (custom models), `inputs` (tensor or embedding inputs) \
                or `messages` (chat endpoints, with optional max_tokens/temperature). Returns the \
                generated text or predictions, capped.",
        )
        .with_title(title)
        .with_annotations(
            ToolAnnotations::read_only()
                .with_idempotent(false)
                .with_open_world(true),
        ),
        move |s, a: ServingQueryArgs, _ctx| async move {
            let (endpoint, query) = serving_query(name, a)?;
            let resp = match s.client.serving().query(&endpoint, &query).await {
                Ok(r) => r,
                Err(e) => return Ok(client_error_output(name, &e)),
            };
            let max = s.limits.max_text_bytes;
            let gen_text = resp
                .text()
                .map(|t| cap_text(t, max, "the endpoint (ask for a shorter answer)"));
            let json = serde_json::to_value(&resp).map_err(|e| {
                ToolError::internal(format!("could not serialize the response: {e}"))
            })?;
            let json_text = json.to_string();
            let truncated = json_text.len() > max;
            let text = match &gen_text {
                Some(t) => t.clone(),
                None => cap_text(&json_text, max, "the endpoint (send fewer inputs per call)"),
            };
            ToolOutput::structured(
                text,
                &ServingQueryResult {
                    endpoint,
                    served_model_name: resp.served_model_name.clone(),
                    text: gen_text,
                    response: (!truncated).then_some(json),
                    truncated,
                },
            )
        },
    )
}
