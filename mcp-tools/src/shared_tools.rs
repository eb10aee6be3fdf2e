//! Tools that more than one toolset offers: one implementation and one output shape each,
//! registered under each toolset's name.
//!
//! - vector search: `query_vector_index` (workspace) and `search_vectors` (platform);
//! - model serving queries: `query_serving_endpoint` (workspace) and `invoke_model` (platform);
//! - SQL statements: `execute_dbsql` (workspace) and `query_dataset` (platform) run on
//!   [`run_sql`], each after its own policy check.

use std::sync::Arc;
use std::time::Duration;

use databricks_client::WorkspaceClient;
use databricks_client::models::{
    ChatMessage, Disposition, ExecuteStatementRequest, OnWaitTimeout, ResultFormat, ServingQuery,
    StatementResponse, StatementState, VectorQuery,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    Column, DynTool, FnTool, MoreRows, ResultLimits, Step, TableResult, ToolAnnotations,
    ToolContext, ToolError, ToolOutput, ToolSpec, WaitPolicy, cap_text, client_error_output,
    wait_with_progress,
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

/// How one SQL statement tool speaks: its name and the next steps it names.
pub(crate) struct SqlTool {
    /// The tool's name.
    pub(crate) name: &'static str,
    /// Whether the tool takes `statement_id` to fetch a statement an earlier call left
    /// running; without it, a statement still running when the wait ends is cancelled.
    pub(crate) resumable: bool,
    /// What to do about a failed statement.
    pub(crate) fix_hint: &'static str,
    /// How to get rows beyond the cap.
    pub(crate) more_hint: &'static str,
}

/// How a SQL tool call starts: a statement to send, or one sent by an earlier call.
pub(crate) enum SqlStart {
    /// Send this statement (its warehouse, catalog, schema and `row_limit` already set).
    Execute(Box<ExecuteStatementRequest>),
    /// Read the statement with this id.
    Fetch(String),
}

/// Result of `execute_dbsql` and `query_dataset`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ExecuteDbsqlResult {
    /// The statement id.
    statement_id: String,
    /// `PENDING`, `RUNNING`, `SUCCEEDED`, `FAILED`, `CANCELED` or `CLOSED`.
    state: String,
    /// The rows, once `SUCCEEDED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<TableResult>,
    /// The error message, when `FAILED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// What to do next.
    next: String,
}

/// The `wait_timeout` the Statement Execution API accepts (`0s` or 5–50 s) for a wait.
fn server_wait(wait: Duration) -> String {
    match wait.as_secs() {
        0 => "0s".to_owned(),
        n @ 5..=50 => format!("{n}s"),
        1..=4 => "5s".to_owned(),
        _ => "50s".to_owned(),
    }
}

/// Runs one SQL statement for a tool, the one implementation behind `execute_dbsql` and
/// `query_dataset`: sends it (inline JSON, waiting up to 50 s on the server, continuing after)
/// or reads a running one, waits for the rest of `wait` with progress, and renders the result
/// with the one statement table ([`render::response_table`](crate::render::response_table)),
/// at most `cap` rows. Policy checks are the caller's, before this is called.
pub(crate) async fn run_sql(
    tool: &SqlTool,
    client: &WorkspaceClient,
    start: SqlStart,
    (wait, policy): (Duration, &WaitPolicy),
    (cap, max_text): (usize, usize),
    ctx: &ToolContext,
) -> Result<ToolOutput, ToolError> {
    let name = tool.name;
    let statements = client.statements();
    let first = match start {
        SqlStart::Execute(request) => {
            let request = (*request)
                .with_wait_timeout(server_wait(wait))
                .with_on_wait_timeout(OnWaitTimeout::Continue)
                .with_disposition(Disposition::Inline)
                .with_format(ResultFormat::JsonArray);
            statements.execute(&request).await
        }
        SqlStart::Fetch(id) => statements.get(&id).await,
    };
    let first = match first {
        Ok(r) => r,
        Err(e) => return Ok(client_error_output(name, &e)),
    };
    let running = first.state().is_some_and(|st| !st.is_terminal());
    let resp = if running && wait > Duration::from_secs(50) {
        let id = first.statement_id.clone();
        let rest = wait - Duration::from_secs(50);
        let waited = wait_with_progress(ctx, policy, rest, || {
            let statements = statements.clone();
            let id = id.clone();
            async move {
                let r = statements.get(&id).await?;
                let done = r.state().is_some_and(StatementState::is_terminal);
                let msg = r
                    .state()
                    .map_or_else(|| "-".to_owned(), ToString::to_string);
                Ok::<_, databricks_client::Error>(Step::new(r, done, msg))
            }
        })
        .await;
        match waited {
            Ok(w) => w.into_state(),
            Err(e) => return Ok(client_error_output(name, &e)),
        }
    } else {
        first
    };
    let still_running = resp.state().is_some_and(|st| !st.is_terminal());
    if still_running && !tool.resumable {
        // Nothing can fetch it later: stop it rather than leave it running.
        if let Err(e) = statements.cancel(&resp.statement_id).await {
            tracing::debug!(tool = name, error = %e, "cancelling a statement past its wait failed");
        }
        return Ok(ToolOutput::error(format!(
            "{name}: the statement did not finish within {} s and was cancelled; narrow the \
             query (WHERE, aggregates, LIMIT) and call {name} again",
            wait.as_secs()
        )));
    }
    let (result, failed) = shape(tool, resp, cap);
    let mut text = format!("statement {} {}", result.statement_id, result.state);
    if let Some(t) = &result.result {
        text = t.to_text(max_text);
    }
    if let Some(e) = &result.error {
        text.push_str(&format!("\n{e}"));
    }
    if result.result.is_none() {
        text.push_str(&format!("\nNext: {}", result.next));
    }
    let mut out = ToolOutput::structured(text, &result)?;
    out.is_error = failed;
    Ok(out)
}

/// A statement response as the tool's result: rows once `SUCCEEDED`, the continuation while
/// running, the error once failed (`true`: the call failed).
fn shape(tool: &SqlTool, resp: StatementResponse, cap: usize) -> (ExecuteDbsqlResult, bool) {
    let statement_id = resp.statement_id.clone();
    let state = resp.state().cloned();
    let mut result = ExecuteDbsqlResult {
        statement_id: statement_id.clone(),
        state: state
            .as_ref()
            .map_or_else(|| "-".to_owned(), ToString::to_string),
        result: None,
        error: None,
        next: String::new(),
    };
    match state {
        Some(StatementState::Succeeded) => {
            result.result = Some(crate::render::response_table(resp, cap, tool.more_hint));
            result.next = "done".to_owned();
            (result, false)
        }
        Some(StatementState::Pending | StatementState::Running) => {
            result.next = format!(
                "the statement is still running; call {} with statement_id={statement_id} (no \
                 sql) to get its result",
                tool.name
            );
            (result, false)
        }
        _ => {
            let err = resp.status.as_ref().and_then(|s| s.error.as_ref());
            let message = err
                .and_then(|e| e.message.clone())
                .unwrap_or_else(|| "no error message".to_owned());
            let code = err.and_then(|e| e.error_code.clone());
            result.error = Some(match code {
                Some(c) => format!("{c}: {message}"),
                None => message,
            });
            result.next = tool.fix_hint.to_owned();
            (result, true)
        }
    }
}
