//! AI tools: `list_serving_endpoints`, `query_serving_endpoint`, `list_vector_indexes`,
//! `query_vector_index`, `genie_ask`.

use std::sync::Arc;

use databricks_client::models::{GenieMessage, GenieMessageStatus, StatementState};
use futures::{StreamExt, TryStreamExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Paged, Shared, Window, call, failed_output, list_text, or_dash, output, page_all};
use crate::render::response_table;
use crate::{
    DynTool, FnTool, Step, TableResult, ToolAnnotations, ToolError, ToolOutput, ToolSpec, Waited,
    cap_text, wait_with_progress,
};

/// Arguments of `list_serving_endpoints`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListEndpointsArgs {
    /// Most endpoints to return (capped by the server's row limit).
    #[serde(default)]
    limit: Option<u64>,
    /// Endpoints to skip: pass `next_offset` of the previous call to get the next page.
    #[serde(default)]
    offset: Option<u64>,
}

/// One serving endpoint.
#[derive(Debug, Serialize, JsonSchema)]
struct EndpointSummary {
    /// Endpoint name (pass it to query_serving_endpoint).
    name: String,
    /// Task, for example `llm/v1/chat` or `llm/v1/embeddings` (absent for custom models).
    #[serde(skip_serializing_if = "Option::is_none")]
    task: Option<String>,
    /// `READY` or `NOT_READY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    ready: Option<String>,
    /// `NOT_UPDATING`, `IN_PROGRESS`, `UPDATE_FAILED`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    config_update: Option<String>,
    /// Creator.
    #[serde(skip_serializing_if = "Option::is_none")]
    creator: Option<String>,
}

/// Result of `list_serving_endpoints`.
#[derive(Debug, Serialize, JsonSchema)]
struct ListEndpointsResult {
    /// The endpoints of this page.
    endpoints: Vec<EndpointSummary>,
    /// `true` when more exist.
    truncated: bool,
    /// The `offset` of the next page, when `truncated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_offset: Option<u64>,
}

pub(super) fn list_serving_endpoints(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<ListEndpointsArgs, ListEndpointsResult>(
            "list_serving_endpoints",
            "List the model serving endpoints (name, task, readiness). Query one with \
                query_serving_endpoint. Paginated with `limit` and `offset`.",
        )
        .with_title("List serving endpoints")
        .with_annotations(ToolAnnotations::read_only()),
        move |s, args: ListEndpointsArgs, _ctx| async move {
            let window = Window::new(&s.limits(), args.offset, args.limit);
            let mut all = call!("list_serving_endpoints", s.client.serving().list().await);
            all.sort_by(|a, b| a.name.cmp(&b.name));
            let page = page_all(all, window);
            let page = Paged {
                items: page
                    .items
                    .into_iter()
                    .map(|e| EndpointSummary {
                        ready: e
                            .state
                            .as_ref()
                            .and_then(|st| st.ready.as_ref())
                            .map(ToString::to_string),
                        config_update: e
                            .state
                            .as_ref()
                            .and_then(|st| st.config_update.as_ref())
                            .map(ToString::to_string),
                        name: e.name,
                        task: e.task,
                        creator: e.creator,
                    })
                    .collect(),
                next_offset: page.next_offset,
            };
            let text = list_text(
                "serving endpoints",
                "list_serving_endpoints",
                &page,
                s.max_text(),
                |e| {
                    format!(
                        "{} | {} | {}",
                        e.name,
                        or_dash(e.task.as_deref()),
                        or_dash(e.ready.as_deref())
                    )
                },
            );
            output(
                text,
                &ListEndpointsResult {
                    truncated: page.next_offset.is_some(),
                    next_offset: page.next_offset,
                    endpoints: page.items,
                },
            )
        },
    )
}

/// `query_serving_endpoint`: the one serving query tool (also the platform's `invoke_model`).
pub(super) fn query_serving_endpoint(s: &Arc<Shared>) -> DynTool {
    crate::shared_tools::serving_query_tool(
        "query_serving_endpoint",
        "Query a serving endpoint",
        s.client.clone(),
        s.limits(),
    )
}

/// Arguments of `list_vector_indexes`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListIndexesArgs {
    /// Only indexes of this vector search endpoint; absent: every endpoint's indexes.
    #[serde(default)]
    endpoint_name: Option<String>,
    /// Most indexes to return (capped by the server's row limit).
    #[serde(default)]
    limit: Option<u64>,
    /// Indexes to skip: pass `next_offset` of the previous call to get the next page.
    #[serde(default)]
    offset: Option<u64>,
}

/// One vector index.
#[derive(Debug, Serialize, JsonSchema)]
struct IndexSummary {
    /// Index name `catalog.schema.index` (pass it to query_vector_index).
    name: String,
    /// Its vector search endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint_name: Option<String>,
    /// `DELTA_SYNC` or `DIRECT_ACCESS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    index_type: Option<String>,
    /// Primary key column.
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_key: Option<String>,
}

/// Result of `list_vector_indexes`.
#[derive(Debug, Serialize, JsonSchema)]
struct ListIndexesResult {
    /// The indexes of this page.
    indexes: Vec<IndexSummary>,
    /// `true` when more exist.
    truncated: bool,
    /// The `offset` of the next page, when `truncated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_offset: Option<u64>,
}

pub(super) fn list_vector_indexes(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<ListIndexesArgs, ListIndexesResult>(
            "list_vector_indexes",
            "List vector search indexes, of one endpoint or of all endpoints. Search one with \
                query_vector_index. Paginated with `limit` and `offset`.",
        )
        .with_title("List vector indexes")
        .with_annotations(ToolAnnotations::read_only()),
        move |s, args: ListIndexesArgs, _ctx| async move {
            let window = Window::new(&s.limits(), args.offset, args.limit);
            let vs = s.client.vector_search();
            let endpoints: Vec<String> = match args.endpoint_name {
                Some(e) => vec![e],
                None => call!(
                    "list_vector_indexes",
                    vs.list_endpoints().map_ok(|e| e.name).try_collect().await
                ),
            };
            let reach = window.reach();
            let mut all = Vec::new();
            for endpoint in endpoints {
                let indexes: Vec<_> = call!(
                    "list_vector_indexes",
                    vs.list_indexes(&endpoint)
                        .take(reach.saturating_sub(all.len()))
                        .try_collect()
                        .await
                );
                all.extend(indexes);
                if all.len() >= reach {
                    break;
                }
            }
            let page = page_all(all, window);
            let page = Paged {
                items: page
                    .items
                    .into_iter()
                    .map(|i| IndexSummary {
                        name: i.name,
                        endpoint_name: i.endpoint_name,
                        index_type: i.index_type,
                        primary_key: i.primary_key,
                    })
                    .collect(),
                next_offset: page.next_offset,
            };
            let text = list_text(
                "vector indexes",
                "list_vector_indexes",
                &page,
                s.max_text(),
                |i| {
                    format!(
                        "{} | {} | {}",
                        i.name,
                        or_dash(i.endpoint_name.as_deref()),
                        or_dash(i.index_type.as_deref())
                    )
                },
            );
            output(
                text,
                &ListIndexesResult {
                    truncated: page.next_offset.is_some(),
                    next_offset: page.next_offset,
                    indexes: page.items,
                },
            )
        },
    )
}

/// `query_vector_index`: the one vector search tool (also the platform's `search_vectors`).
pub(super) fn query_vector_index(s: &Arc<Shared>) -> DynTool {
    crate::shared_tools::vector_search(
        "query_vector_index",
        "Query a vector index",
        s.client.clone(),
        s.limits(),
    )
}

/// Default `wait_seconds` of `genie_ask`.
const DEFAULT_GENIE_WAIT_SECONDS: u64 = 60;

/// Arguments of `genie_ask`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct GenieAskArgs {
    /// The question, in natural language. Omit it and pass `message_id` (with
    /// `conversation_id`) to get the answer to a question asked earlier.
    #[serde(default)]
    question: Option<String>,
    /// The Genie space; defaults to the server's `--genie-space`.
    #[serde(default)]
    space_id: Option<String>,
    /// Continue this conversation (follow-up questions keep the context).
    #[serde(default)]
    conversation_id: Option<String>,
    /// A message asked earlier whose answer was not ready.
    #[serde(default)]
    message_id: Option<String>,
    /// Seconds to wait for the answer, with progress notifications (default 60; capped by the
    /// server's wait limit).
    #[serde(default)]
    wait_seconds: Option<u64>,
}

/// Result of `genie_ask`.
#[derive(Debug, Serialize, JsonSchema)]
struct GenieAskResult {
    /// The space.
    space_id: String,
    /// The conversation (pass it for follow-up questions).
    conversation_id: String,
    /// The message.
    message_id: String,
    /// `SUBMITTED`, `ASKING_AI`, `EXECUTING_QUERY`, …, `COMPLETED`, `FAILED`, `CANCELLED`.
    status: String,
    /// Genie's text answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<String>,
    /// The SQL Genie wrote and ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    sql: Option<String>,
    /// What the query does, in Genie's words.
    #[serde(skip_serializing_if = "Option::is_none")]
    sql_description: Option<String>,
    /// The query's rows (capped).
    #[serde(skip_serializing_if = "Option::is_none")]
    rows: Option<TableResult>,
    /// Why it failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// What to do next.
    next: String,
}

/// `genie_ask` is marked read-only: Genie writes only read-only SQL, and the conversation it
/// records belongs to the caller's own history. It is not idempotent (each call asks anew).
pub(super) fn genie_ask(s: &Arc<Shared>) -> DynTool {
    let max_wait = s.options.wait.max_wait.as_secs();
    FnTool::with_state(
        s,
        ToolSpec::new::<GenieAskArgs, GenieAskResult>(
            "genie_ask",
            format!(
                "Ask a Genie space (AI/BI) a question about its data in natural language. Returns \
                    Genie's answer, the SQL it ran and the rows (capped), plus conversation_id for \
                    follow-ups. Waits up to wait_seconds (default 60, at most {max_wait}); if the \
                    answer is not ready, call again with conversation_id and message_id."
            ),
        )
        .with_title("Ask Genie")
        .with_annotations(ToolAnnotations::read_only().with_idempotent(false)),
        move |s, args: GenieAskArgs, ctx| async move {
            let Some(space_id) = args
                .space_id
                .or_else(|| s.options.genie_space_id.clone())
                .filter(|x| !x.trim().is_empty())
            else {
                return Ok(ToolOutput::error(
                    "genie_ask needs a Genie space: pass space_id, or have the operator start the \
                        server with --genie-space",
                ));
            };
            let genie = s.client.genie();
            let (conversation_id, message_id) =
                match (args.question, args.conversation_id, args.message_id) {
                    (Some(q), None, None) => {
                        let started =
                            call!("genie_ask", genie.start_conversation(&space_id, &q).await);
                        (started.conversation_id, started.message_id)
                    }
                    (Some(q), Some(c), None) => {
                        let m = call!("genie_ask", genie.create_message(&space_id, &c, &q).await);
                        let conv = m
                            .conversation_id
                            .clone()
                            .filter(|x| !x.is_empty())
                            .unwrap_or(c);
                        (conv, m.message_id().to_owned())
                    }
                    (None, Some(c), Some(m)) => (c, m),
                    _ => {
                        return Err(ToolError::invalid_params(
                            "genie_ask",
                            "pass `question` (optionally with conversation_id for a follow-up), or \
                            `conversation_id` and `message_id` to get an earlier answer",
                        ));
                    }
                };
            let (wait, _) = s.options.wait.limit(Some(
                args.wait_seconds.unwrap_or(DEFAULT_GENIE_WAIT_SECONDS),
            ));
            let waited = call!(
                "genie_ask",
                wait_with_progress(&ctx, &s.options.wait, wait, || {
                    let genie = genie.clone();
                    let (sp, cv, ms) = (
                        space_id.clone(),
                        conversation_id.clone(),
                        message_id.clone(),
                    );
                    async move {
                        let m = genie.get_message(&sp, &cv, &ms).await?;
                        let done = m.is_terminal();
                        let msg = or_dash(m.status.as_ref());
                        Ok::<_, databricks_client::Error>(Step::new(m, done, msg))
                    }
                })
                .await
            );
            let done = waited.is_done();
            let msg: GenieMessage = match waited {
                Waited::Done(m) | Waited::StillRunning(m) | Waited::Cancelled(m) => m,
            };
            let mut result = GenieAskResult {
                space_id: space_id.clone(),
                conversation_id: conversation_id.clone(),
                message_id: message_id.clone(),
                status: or_dash(msg.status.as_ref()),
                answer: msg.text(),
                sql: None,
                sql_description: None,
                rows: None,
                error: None,
                next: String::new(),
            };
            let max = s.max_text();
            if !done {
                result.next = format!(
                    "Genie is still working ({}); call genie_ask with \
                        conversation_id={conversation_id} and message_id={message_id} to get the \
                        answer",
                    result.status
                );
                return output(format!("{}\nNext: {}", result.status, result.next), &result);
            }
            if msg.status != Some(GenieMessageStatus::Completed) {
                let e = msg.error.as_ref();
                result.error = Some(format!(
                    "{}{}",
                    e.and_then(|e| e.type_.clone())
                        .map(|t| format!("{t}: "))
                        .unwrap_or_default(),
                    e.and_then(|e| e.error.clone())
                        .unwrap_or_else(|| "no error message".to_owned())
                ));
                result.next = "rephrase the question, or ask a follow-up in the same \
                    conversation"
                    .to_owned();
                let text = format!(
                    "Genie answered {}: {}\nNext: {}",
                    result.status,
                    or_dash(result.error.as_deref()),
                    result.next
                );
                return failed_output(cap_text(&text, max, "structuredContent"), &result);
            }
            if let Some(att) = msg.query_attachments().next() {
                let q = att.query.as_ref();
                result.sql = q.and_then(|q| q.query.clone());
                result.sql_description = q.and_then(|q| q.description.clone());
                match genie
                    .query_result(&space_id, &conversation_id, &message_id, &att.attachment_id)
                    .await
                {
                    Ok(r) if r.statement_response.state() == Some(&StatementState::Succeeded) => {
                        result.rows = Some(response_table(
                            r.statement_response,
                            s.limits().max_rows,
                            "ask Genie a narrower question, or run the SQL with execute_dbsql and \
                                page with LIMIT/OFFSET",
                        ));
                    }
                    Ok(r) => {
                        result.next = format!(
                            "the query result is {}; ask again to re-run it",
                            or_dash(r.statement_response.state())
                        );
                    }
                    Err(e) => {
                        result.next = format!(
                            "the answer's rows could not be read ({e}); run the \
                            SQL with execute_dbsql"
                        );
                    }
                }
            }
            if result.next.is_empty() {
                result.next = format!("ask a follow-up with conversation_id={conversation_id}");
            }
            let mut text = String::new();
            if let Some(a) = &result.answer {
                text.push_str(a);
            }
            if let Some(q) = &result.sql {
                text.push_str(&format!("\nSQL: {q}"));
            }
            if let Some(rows) = &result.rows {
                text.push('\n');
                text.push_str(&rows.to_text(max / 2));
            }
            text.push_str(&format!("\nNext: {}", result.next));
            output(
                cap_text(text.trim_start(), max, "structuredContent"),
                &result,
            )
        },
    )
}
