//! SQL and statements: `execute_sql`, `get_statement`, `cancel_statement`.

use std::sync::Arc;

use datasource_model::{SqlRequest, StatementState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Failure, More, Outcome, Shared, cancellable};
use crate::{
    DynTool, FnTool, SqlKind, SqlPolicy, TableResult, ToolAnnotations, ToolContext, ToolOutput,
    ToolSpec, cap_text, check_sql,
};

/// Arguments of `execute_sql`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ExecuteSqlArgs {
    /// One SQL statement.
    sql: String,
    /// Maximum rows (capped by the server).
    #[serde(default)]
    limit: Option<u64>,
}

/// Result of `execute_sql`.
#[derive(Debug, Serialize, JsonSchema)]
struct SqlResult {
    /// The rows (complete up to the row cap).
    #[serde(flatten)]
    table: TableResult,
    /// The statement handle, if the source keeps one.
    #[serde(skip_serializing_if = "Option::is_none")]
    statement_id: Option<String>,
}

/// Arguments naming a statement.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct StatementArgs {
    /// The statement_id returned by execute_sql or query_model.
    statement_id: String,
}

/// Result of `get_statement`.
#[derive(Debug, Serialize, JsonSchema)]
struct StatementResult {
    /// The statement.
    statement_id: String,
    /// `pending`, `running`, `succeeded`, `failed`, `canceled` or `closed`.
    state: StatementState,
    /// The result once succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<TableResult>,
    /// The error once failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Result of `cancel_statement`.
#[derive(Debug, Serialize, JsonSchema)]
struct CancelResult {
    /// The statement.
    statement_id: String,
    /// Always true when the call succeeds.
    cancel_requested: bool,
}

impl Shared {
    async fn execute_sql(&self, args: ExecuteSqlArgs, ctx: &ToolContext) -> Outcome {
        let source = self.source(ctx).await?;
        let policy = if self.options.allow_writes {
            SqlPolicy::allow_writes()
        } else {
            SqlPolicy::read_only()
        };
        let kind = check_sql(&args.sql, policy).map_err(|e| Failure::Message(e.to_string()))?;
        let rows = self.limits().effective_rows(args.limit);
        let result = cancellable(
            ctx,
            source.execute_sql(&SqlRequest::new(args.sql), &self.query_options(rows)),
        )
        .await?;
        let statement_id = result.query_id.clone();
        let table = self.table(result, rows, 0, More::Sql);
        let mut text = table.to_text(self.limits().max_text_bytes);
        if kind == SqlKind::Write && table.columns.is_empty() {
            text = "statement ran".to_owned();
        }
        Ok(ToolOutput::structured(
            text,
            &SqlResult {
                table,
                statement_id,
            },
        )?)
    }

    async fn get_statement(&self, args: StatementArgs, ctx: &ToolContext) -> Outcome {
        let source = self.source(ctx).await?;
        let status = source.get_statement(&args.statement_id).await?;
        let rows = self.limits().max_rows;
        let result = status.result.map(|r| self.table(r, rows, 0, More::Sql));
        let mut text = format!("statement {}: {:?}", status.query_id, status.state).to_lowercase();
        if let Some(e) = &status.error {
            text.push_str(&format!("\nerror: {e}"));
        }
        match (&result, status.state.is_terminal()) {
            (Some(t), _) => {
                text.push('\n');
                text.push_str(&t.to_text(self.limits().max_text_bytes.saturating_sub(text.len())));
            }
            (None, false) => text.push_str(&format!(
                "\nstill running; call get_statement with statement_id={} again in a few seconds, or cancel_statement to stop it",
                status.query_id
            )),
            (None, true) => {}
        }
        let text = cap_text(&text, self.limits().max_text_bytes, "structuredContent");
        Ok(ToolOutput::structured(
            text,
            &StatementResult {
                statement_id: status.query_id,
                state: status.state,
                result,
                error: status.error,
            },
        )?)
    }

    async fn cancel_statement(&self, args: StatementArgs, ctx: &ToolContext) -> Outcome {
        let source = self.source(ctx).await?;
        source.cancel(&args.statement_id).await?;
        Ok(ToolOutput::structured(
            format!("cancel requested for statement {}", args.statement_id),
            &CancelResult {
                statement_id: args.statement_id,
                cancel_requested: true,
            },
        )?)
    }
}

/// The `execute_sql` tool.
pub(super) fn execute_sql(s: &Arc<Shared>) -> DynTool {
    let max_rows = s.options.limits.max_rows;
    let writes = s.options.allow_writes;
    let sql_annotations = if writes {
        ToolAnnotations::destructive()
    } else {
        ToolAnnotations::read_only()
    };
    FnTool::with_state(
        s,
                ToolSpec::new::<ExecuteSqlArgs, SqlResult>(
                    "execute_sql",
                    if writes {
                        format!(
                            "Run one SQL statement (writes are enabled on this server). At most {max_rows} rows are returned; long statements return a statement_id to poll with get_statement."
                        )
                    } else {
                        format!(
                            "Run one read-only SQL statement (SELECT, WITH … SELECT, SHOW, DESCRIBE, EXPLAIN). At most {max_rows} rows are returned; long statements return a statement_id to poll with get_statement."
                        )
                    },
                )
                .with_title("Run SQL")
                .with_annotations(sql_annotations),
        |s, a: ExecuteSqlArgs, ctx| async move { s.finish(s.execute_sql(a, &ctx).await, &ctx) },
    )
}

/// The `get_statement` tool.
pub(super) fn get_statement(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
                ToolSpec::new::<StatementArgs, StatementResult>(
                    "get_statement",
                    "Get the state and, once finished, the result of a statement started by execute_sql or query_model (pass its statement_id).",
                )
                .with_title("Poll a statement")
                .with_annotations(ToolAnnotations::read_only()),
        |s, a: StatementArgs, ctx| async move { s.finish(s.get_statement(a, &ctx).await, &ctx) },
    )
}

/// The `cancel_statement` tool.
pub(super) fn cancel_statement(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<StatementArgs, CancelResult>(
            "cancel_statement",
            "Cancel a running statement started by execute_sql or query_model.",
        )
        .with_title("Cancel a statement")
        .with_annotations(
            ToolAnnotations::read_only()
                .with_read_only(false)
                .with_destructive(false)
                .with_idempotent(true),
        )
        // Cancelling the caller's own statement changes no data.
        .with_writes_data(false),
        |s, a: StatementArgs, ctx| async move { s.finish(s.cancel_statement(a, &ctx).await, &ctx) },
    )
}
