//! SQL warehouse tools: `list_warehouses`, `execute_dbsql`.

use std::sync::Arc;

use databricks_client::models::ExecuteStatementRequest;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Paged, Shared, Window, call, list_text, or_dash, output, page_stream};
use crate::shared_tools::{ExecuteDbsqlResult, SqlStart, SqlTool, run_sql};
use crate::{
    DynTool, FnTool, SqlPolicy, ToolAnnotations, ToolError, ToolOutput, ToolSpec, check_sql,
};

/// Arguments of `list_warehouses`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListWarehousesArgs {
    /// Most warehouses to return (capped by the server's row limit).
    #[serde(default)]
    limit: Option<u64>,
    /// Warehouses to skip: pass `next_offset` of the previous call to get the next page.
    #[serde(default)]
    offset: Option<u64>,
}

/// One SQL warehouse.
#[derive(Debug, Serialize, JsonSchema)]
struct WarehouseSummary {
    /// Warehouse id (pass it to execute_dbsql as warehouse_id).
    id: String,
    /// Name.
    name: String,
    /// `STARTING`, `RUNNING`, `STOPPING`, `STOPPED`, `DELETING` or `DELETED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<String>,
    /// T-shirt size, for example `Small`.
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster_size: Option<String>,
    /// `PRO` or `CLASSIC`.
    #[serde(skip_serializing_if = "Option::is_none")]
    warehouse_type: Option<String>,
    /// Whether it is serverless.
    #[serde(skip_serializing_if = "Option::is_none")]
    serverless: Option<bool>,
    /// Minutes of inactivity before it stops.
    #[serde(skip_serializing_if = "Option::is_none")]
    auto_stop_mins: Option<i64>,
}

/// Result of `list_warehouses`.
#[derive(Debug, Serialize, JsonSchema)]
struct ListWarehousesResult {
    /// The warehouses of this page.
    warehouses: Vec<WarehouseSummary>,
    /// `true` when more warehouses exist.
    truncated: bool,
    /// The `offset` of the next page, when `truncated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_offset: Option<u64>,
}

pub(super) fn list_warehouses(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<ListWarehousesArgs, ListWarehousesResult>(
            "list_warehouses",
            "List the SQL warehouses (id, name, state, size, serverless). Use an id as \
                warehouse_id in execute_dbsql. Paginated with `limit` and `offset`.",
        )
        .with_title("List SQL warehouses")
        .with_annotations(ToolAnnotations::read_only()),
        move |s, args: ListWarehousesArgs, _ctx| async move {
            let window = Window::new(&s.limits(), args.offset, args.limit);
            let page = call!(
                "list_warehouses",
                page_stream(s.client.warehouses().list(), window).await
            );
            let page = Paged {
                items: page
                    .items
                    .into_iter()
                    .map(|w| WarehouseSummary {
                        state: w.state.as_ref().map(ToString::to_string),
                        id: w.id,
                        name: w.name,
                        cluster_size: w.cluster_size,
                        warehouse_type: w.warehouse_type,
                        serverless: w.enable_serverless_compute,
                        auto_stop_mins: w.auto_stop_mins,
                    })
                    .collect(),
                next_offset: page.next_offset,
            };
            let text = list_text("warehouses", "list_warehouses", &page, s.max_text(), |w| {
                format!(
                    "{} | {} | {} | {}",
                    w.id,
                    w.name,
                    or_dash(w.state.as_deref()),
                    or_dash(w.cluster_size.as_deref())
                )
            });
            output(
                text,
                &ListWarehousesResult {
                    truncated: page.next_offset.is_some(),
                    next_offset: page.next_offset,
                    warehouses: page.items,
                },
            )
        },
    )
}

/// Default `wait_seconds` of `execute_dbsql`.
const DEFAULT_SQL_WAIT_SECONDS: u64 = 10;

/// Arguments of `execute_dbsql`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ExecuteDbsqlArgs {
    /// One SQL statement. Omit it and pass `statement_id` to get the result of a statement an
    /// earlier call left running.
    #[serde(default)]
    sql: Option<String>,
    /// A statement started by an earlier call that returned before it finished.
    #[serde(default)]
    statement_id: Option<String>,
    /// The SQL warehouse to run on (see list_warehouses); defaults to the server's
    /// `--warehouse-id`.
    #[serde(default)]
    warehouse_id: Option<String>,
    /// Default catalog for unqualified names.
    #[serde(default)]
    catalog: Option<String>,
    /// Default schema for unqualified names.
    #[serde(default)]
    schema: Option<String>,
    /// Most rows to return (capped by the server's row limit).
    #[serde(default)]
    limit: Option<u64>,
    /// Seconds to wait for the result (default 10; capped by the server's wait limit). A
    /// statement still running then is returned with its statement_id.
    #[serde(default)]
    wait_seconds: Option<u64>,
}

/// `execute_dbsql` is read-only when the server forbids writes (the SQL guard rejects anything
/// but SELECT/SHOW/DESCRIBE/EXPLAIN); with writes allowed it is destructive.
pub(super) fn execute_dbsql(s: &Arc<Shared>) -> DynTool {
    let allow = s.options.allow_writes;
    let max_rows = s.options.limits.max_rows;
    let annotations = if allow {
        ToolAnnotations::destructive()
    } else {
        ToolAnnotations::read_only()
    };
    FnTool::with_state(
        s,
        ToolSpec::new::<ExecuteDbsqlArgs, ExecuteDbsqlResult>(
            "execute_dbsql",
            if allow {
                format!(
                    "Run one SQL statement on a SQL warehouse (writes are enabled on this \
                    server). At most {max_rows} rows are returned (`truncated: true` says more \
                    exist). A statement still running after wait_seconds returns its statement_id: \
                    call again with statement_id to get the result."
                )
            } else {
                format!(
                    "Run one read-only SQL statement (SELECT, WITH … SELECT, SHOW, DESCRIBE, \
                    EXPLAIN) on a SQL warehouse. At most {max_rows} rows are returned (`truncated: \
                    true` says more exist). A statement still running after wait_seconds returns \
                    its statement_id: call again with statement_id to get the result."
                )
            },
        )
        .with_title("Run SQL on a warehouse")
        .with_annotations(annotations),
        move |s, args: ExecuteDbsqlArgs, ctx| async move {
            let (wait, _) = s
                .options
                .wait
                .limit(Some(args.wait_seconds.unwrap_or(DEFAULT_SQL_WAIT_SECONDS)));
            let cap = s.limits().effective_rows(args.limit);
            let start = match (args.sql, args.statement_id) {
                (Some(sql), None) => {
                    let policy = if s.options.allow_writes {
                        SqlPolicy::allow_writes()
                    } else {
                        SqlPolicy::read_only()
                    };
                    if let Err(e) = check_sql(&sql, policy) {
                        return Ok(ToolOutput::error(format!("execute_dbsql: {e}")));
                    }
                    let Some(warehouse) = args
                        .warehouse_id
                        .or_else(|| s.options.warehouse_id.clone())
                        .filter(|w| !w.trim().is_empty())
                    else {
                        return Ok(ToolOutput::error(
                            "execute_dbsql needs a SQL warehouse: pass warehouse_id (call \
                                list_warehouses to find one), or have the operator start the \
                                server with --warehouse-id",
                        ));
                    };
                    let mut request = ExecuteStatementRequest::new(warehouse, sql).with_row_limit(
                        i64::try_from(s.limits().fetch_rows(args.limit)).unwrap_or(i64::MAX),
                    );
                    if let Some(c) = args.catalog {
                        request = request.with_catalog(c);
                    }
                    if let Some(sc) = args.schema {
                        request = request.with_schema(sc);
                    }
                    SqlStart::Execute(Box::new(request))
                }
                (None, Some(id)) => SqlStart::Fetch(id),
                _ => {
                    return Err(ToolError::invalid_params(
                        "execute_dbsql",
                        "pass exactly one of `sql` (a statement to run) and `statement_id` (a \
                            statement started earlier)",
                    ));
                }
            };
            run_sql(
                &EXECUTE_DBSQL,
                &s.client,
                start,
                (wait, &s.options.wait),
                (cap, s.max_text()),
                &ctx,
            )
            .await
        },
    )
}

/// How `execute_dbsql` speaks in [`run_sql`].
const EXECUTE_DBSQL: SqlTool = SqlTool {
    name: "execute_dbsql",
    resumable: true,
    fix_hint: "fix the SQL (check names with list_tables / get_table) and call execute_dbsql again",
    more_hint: "narrow the query (WHERE, GROUP BY) or page in SQL with ORDER BY … LIMIT … OFFSET",
};
