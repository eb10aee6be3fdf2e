//! Compute tools: `list_clusters`, `get_cluster`, `start_cluster`, and command execution
//! (`create_execution_context`, `execute_command`, `destroy_execution_context`).

use std::sync::Arc;

use databricks_client::Error;
use databricks_client::api::DEFAULT_START_GRACE;
use databricks_client::models::clusters::{ClusterDetails, ClusterState, ListClustersRequest};
use databricks_client::models::commands::{CommandLanguage, CommandOutput, CommandStatus};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Paged, Shared, Window, call, failed_output, list_text, or_dash, output, page_stream};
use crate::{
    Column, DynTool, FnTool, MoreRows, ProgressObserver, SqlPolicy, Step, TableResult,
    ToolAnnotations, ToolOutput, ToolSpec, Waited, cap_text, check_sql, wait_with_progress,
};

/// A cluster.
#[derive(Debug, Serialize, JsonSchema)]
struct ClusterInfo {
    /// Cluster id.
    cluster_id: String,
    /// Cluster name.
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster_name: Option<String>,
    /// `PENDING`, `RUNNING`, `RESTARTING`, `RESIZING`, `TERMINATING`, `TERMINATED`, `ERROR` or
    /// `UNKNOWN`.
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<String>,
    /// The server's message about the state.
    #[serde(skip_serializing_if = "Option::is_none")]
    state_message: Option<String>,
    /// Databricks Runtime version.
    #[serde(skip_serializing_if = "Option::is_none")]
    spark_version: Option<String>,
    /// Worker node type.
    #[serde(skip_serializing_if = "Option::is_none")]
    node_type_id: Option<String>,
    /// Fixed worker count (absent with autoscaling).
    #[serde(skip_serializing_if = "Option::is_none")]
    num_workers: Option<i64>,
    /// Minutes of inactivity before automatic termination.
    #[serde(skip_serializing_if = "Option::is_none")]
    autotermination_minutes: Option<i64>,
    /// `UI`, `API`, `JOB`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster_source: Option<String>,
    /// Creator.
    #[serde(skip_serializing_if = "Option::is_none")]
    creator_user_name: Option<String>,
    /// Why it terminated, when it did (code and type).
    #[serde(skip_serializing_if = "Option::is_none")]
    termination_reason: Option<String>,
}

impl ClusterInfo {
    fn from_details(d: ClusterDetails) -> Self {
        Self {
            state: d.state.as_ref().map(ToString::to_string),
            state_message: d.state_message.filter(|m| !m.is_empty()),
            termination_reason: d.termination_reason.as_ref().and_then(|r| {
                match (r.code.as_deref(), r.kind.as_deref()) {
                    (Some(c), Some(k)) => Some(format!("{c} ({k})")),
                    (Some(c), None) => Some(c.to_owned()),
                    (None, Some(k)) => Some(k.to_owned()),
                    (None, None) => None,
                }
            }),
            cluster_id: d.cluster_id,
            cluster_name: d.cluster_name,
            spark_version: d.spark_version,
            node_type_id: d.node_type_id,
            num_workers: d.num_workers,
            autotermination_minutes: d.autotermination_minutes,
            cluster_source: d.cluster_source,
            creator_user_name: d.creator_user_name,
        }
    }

    fn line(&self) -> String {
        let mut s = format!(
            "{} | {} | {}",
            self.cluster_id,
            or_dash(self.cluster_name.as_deref()),
            or_dash(self.state.as_deref())
        );
        if let Some(m) = &self.state_message {
            s.push_str(": ");
            s.push_str(m);
        }
        s
    }
}

/// Arguments of `list_clusters`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListClustersArgs {
    /// Only clusters in this state (for example `RUNNING` or `TERMINATED`).
    #[serde(default)]
    state: Option<String>,
    /// Most clusters to return (capped by the server's row limit).
    #[serde(default)]
    limit: Option<u64>,
    /// Clusters to skip: pass `next_offset` of the previous call to get the next page.
    #[serde(default)]
    offset: Option<u64>,
}

/// Result of `list_clusters`.
#[derive(Debug, Serialize, JsonSchema)]
struct ListClustersResult {
    /// The clusters of this page.
    clusters: Vec<ClusterInfo>,
    /// `true` when more clusters exist.
    truncated: bool,
    /// The `offset` of the next page, when `truncated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_offset: Option<u64>,
}

pub(super) fn list_clusters(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<ListClustersArgs, ListClustersResult>(
            "list_clusters",
            "List all-purpose and recent job clusters (id, name, state). Filter by `state`; \
                paginated with `limit` and `offset`.",
        )
        .with_title("List clusters")
        .with_annotations(ToolAnnotations::read_only()),
        move |s, args: ListClustersArgs, _ctx| async move {
            let window = Window::new(&s.limits(), args.offset, args.limit);
            let mut request = ListClustersRequest::new();
            if let Some(state) = args.state.filter(|s| !s.trim().is_empty()) {
                request =
                    request.with_state(ClusterState::from(state.trim().to_uppercase().as_str()));
            }
            request.page_size = u32::try_from(window.reach().min(100)).ok();
            let page = call!(
                "list_clusters",
                page_stream(s.client.clusters().list(request), window).await
            );
            let page = Paged {
                items: page
                    .items
                    .into_iter()
                    .map(ClusterInfo::from_details)
                    .collect(),
                next_offset: page.next_offset,
            };
            let text = list_text(
                "clusters",
                "list_clusters",
                &page,
                s.max_text(),
                ClusterInfo::line,
            );
            output(
                text,
                &ListClustersResult {
                    truncated: page.next_offset.is_some(),
                    next_offset: page.next_offset,
                    clusters: page.items,
                },
            )
        },
    )
}

/// Arguments of `get_cluster`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ClusterArgs {
    /// The cluster id (from list_clusters).
    cluster_id: String,
}

pub(super) fn get_cluster(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<ClusterArgs, ClusterInfo>(
            "get_cluster",
            "Get one cluster: state and state message, runtime version, node type, size, \
                auto-termination and termination reason.",
        )
        .with_title("Get a cluster")
        .with_annotations(ToolAnnotations::read_only()),
        move |s, args: ClusterArgs, _ctx| async move {
            let d = call!(
                "get_cluster",
                s.client.clusters().get(&args.cluster_id).await
            );
            let info = ClusterInfo::from_details(d);
            output(info.line(), &info)
        },
    )
}

/// Arguments of `start_cluster`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct StartClusterArgs {
    /// The cluster to start (from list_clusters).
    cluster_id: String,
    /// Seconds to wait for `RUNNING`, with progress notifications (0 or absent: return at once
    /// and poll with get_cluster).
    #[serde(default)]
    wait_seconds: Option<u64>,
}

/// Result of `start_cluster`.
#[derive(Debug, Serialize, JsonSchema)]
struct StartClusterResult {
    /// The cluster as last observed.
    cluster: ClusterInfo,
    /// `true` when a start request was sent (false when it was already running or starting).
    start_requested: bool,
    /// `true` once the cluster is `RUNNING`.
    running: bool,
    /// What to do next.
    next: String,
}

/// `start_cluster` changes state (and costs money) but destroys nothing; starting a running
/// cluster is a no-op: not read-only, not destructive, idempotent.
pub(super) fn start_cluster(s: &Arc<Shared>) -> DynTool {
    let max_wait = s.options.wait.max_wait.as_secs();
    FnTool::with_state(
        s,
        ToolSpec::new::<StartClusterArgs, StartClusterResult>(
            "start_cluster",
            format!(
                "Start a terminated cluster (a running or starting one is left alone). Returns at \
                    once; with wait_seconds (at most {max_wait}) waits for RUNNING with progress \
                    notifications. TERMINATED or ERROR after the start is reported as a failure \
                    with the state message."
            ),
        )
        .with_title("Start a cluster")
        .with_annotations(
            ToolAnnotations::destructive()
                .with_destructive(false)
                .with_idempotent(true),
        ),
        move |s, args: StartClusterArgs, ctx| async move {
            let id = args.cluster_id;
            let (wait, _) = s.options.wait.limit(args.wait_seconds);
            // The library's start-and-wait; this tool only renders what it observed.
            let mut start_requested = false;
            let mut seen_starting = false;
            let mut observer = ProgressObserver::new(&ctx, |d: &ClusterDetails| {
                let state = d.state.clone().unwrap_or(ClusterState::Unknown);
                // `ensure_running` sends `start` when it reads TERMINATED, unless it saw the
                // cluster starting first (then TERMINATED is a failed start).
                seen_starting |= state.is_starting();
                start_requested |= state.is_stopped() && !seen_starting;
                state.to_string()
            });
            let outcome = s
                .client
                .clusters()
                .ensure_running_observed(
                    &id,
                    &s.options.wait.poll_options(wait),
                    DEFAULT_START_GRACE,
                    &mut observer,
                )
                .await;
            let last = observer.into_last();
            let waited = match (outcome, last) {
                (Ok(details), _) => Waited::Done(details),
                (Err(Error::OperationFailed { .. }), Some(last)) => Waited::Done(last),
                (Err(Error::WaitTimeout { .. }), Some(last)) => Waited::StillRunning(last),
                (Err(Error::WaitCancelled { .. }), Some(last)) => Waited::Cancelled(last),
                (Err(err), _) => return Ok(crate::client_error_output("start_cluster", &err)),
            };
            let done = waited.is_done();
            let details = waited.into_state();
            let running = matches!(details.state, Some(ClusterState::Running));
            let stopping = details
                .state
                .as_ref()
                .is_some_and(ClusterState::is_stopping);
            let failed = done && !running;
            let cluster = ClusterInfo::from_details(details);
            let next = if running {
                "the cluster is RUNNING".to_owned()
            } else if stopping && !start_requested {
                // The library starts a TERMINATING cluster once it is TERMINATED; this wait
                // ended before that.
                format!(
                    "the cluster is TERMINATING and can only be started once TERMINATED; call \
                    start_cluster with cluster_id={id} and wait_seconds to wait for that and \
                    start it"
                )
            } else if failed {
                format!(
                    "the cluster did not start ({}); check the message, fix the cause (quota, \
                        configuration) or ask an admin, then call start_cluster again",
                    or_dash(cluster.state_message.as_deref())
                )
            } else {
                format!(
                    "the cluster is starting; call get_cluster with cluster_id={id} until \
                    state is RUNNING"
                )
            };
            let text = format!("{}\nNext: {next}", cluster.line());
            let result = StartClusterResult {
                cluster,
                start_requested,
                running,
                next,
            };
            if failed {
                failed_output(text, &result)
            } else {
                output(text, &result)
            }
        },
    )
}

fn parse_language(tool: &str, language: Option<&str>) -> Result<CommandLanguage, ToolOutput> {
    let lang = language.unwrap_or("python").trim().to_lowercase();
    match lang.as_str() {
        "python" => Ok(CommandLanguage::Python),
        "sql" => Ok(CommandLanguage::Sql),
        "scala" => Ok(CommandLanguage::Scala),
        "r" => Ok(CommandLanguage::R),
        other => Err(ToolOutput::error(format!(
            "{tool}: unknown language `{other}`; use python, sql, scala or r"
        ))),
    }
}

/// Arguments of `create_execution_context`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CreateContextArgs {
    /// A running cluster (start it with start_cluster).
    cluster_id: String,
    /// `python` (default), `sql`, `scala` or `r`.
    #[serde(default)]
    language: Option<String>,
}

/// Result of `create_execution_context`.
#[derive(Debug, Serialize, JsonSchema)]
struct CreateContextResult {
    /// The cluster.
    cluster_id: String,
    /// The new context (pass it to execute_command; destroy it when done).
    context_id: String,
    /// Its language.
    language: String,
}

/// Creating a context allocates a REPL on the cluster: not read-only, not destructive.
pub(super) fn create_execution_context(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<CreateContextArgs, CreateContextResult>(
            "create_execution_context",
            "Create an execution context (a REPL session) on a running cluster for \
                execute_command. Variables persist between commands of one context. Call \
                destroy_execution_context when done.",
        )
        .with_title("Create an execution context")
        .with_annotations(ToolAnnotations::destructive().with_destructive(false)),
        move |s, args: CreateContextArgs, _ctx| async move {
            let language =
                match parse_language("create_execution_context", args.language.as_deref()) {
                    Ok(l) => l,
                    Err(out) => return Ok(out),
                };
            let context_id = call!(
                "create_execution_context",
                s.client
                    .commands()
                    .create_context(&args.cluster_id, language.clone())
                    .await
            );
            output(
                format!(
                    "context {context_id} ({language}) on cluster {}; run code with \
                        execute_command",
                    args.cluster_id
                ),
                &CreateContextResult {
                    cluster_id: args.cluster_id,
                    context_id,
                    language: language.to_string(),
                },
            )
        },
    )
}

/// Arguments of `execute_command`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ExecuteCommandArgs {
    /// The cluster of the context.
    cluster_id: String,
    /// The context (from create_execution_context).
    context_id: String,
    /// The code to run. Omit it and pass `command_id` instead to check on a command started
    /// earlier.
    #[serde(default)]
    command: Option<String>,
    /// A command started by an earlier execute_command call that returned before it finished:
    /// its status and, once finished, its result.
    #[serde(default)]
    command_id: Option<String>,
    /// Language of the command: `python` (default), `sql`, `scala` or `r`; use the context's.
    #[serde(default)]
    language: Option<String>,
    /// Seconds to wait for the result, with progress notifications (0 or absent: return the
    /// command_id at once).
    #[serde(default)]
    wait_seconds: Option<u64>,
}

/// Result of `execute_command`.
#[derive(Debug, Serialize, JsonSchema)]
struct ExecuteCommandResult {
    /// The command id.
    command_id: String,
    /// `Queued`, `Running`, `Cancelling`, `Cancelled`, `Finished` or `Error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    /// `text`, `table`, `error` or another result type, once finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    result_type: Option<String>,
    /// Text output (capped), for `text` results.
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    /// Table output (rows capped), for `table` results.
    #[serde(skip_serializing_if = "Option::is_none")]
    table: Option<TableResult>,
    /// Error summary, for `error` results.
    #[serde(skip_serializing_if = "Option::is_none")]
    error_summary: Option<String>,
    /// Error cause (stack trace, capped), for `error` results.
    #[serde(skip_serializing_if = "Option::is_none")]
    error_cause: Option<String>,
    /// Other result types, raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    other: Option<Value>,
    /// What to do next.
    next: String,
}

/// `execute_command` runs arbitrary code on a cluster: not read-only, destructive, not
/// idempotent. Without `allow_writes` only read-only SQL is accepted.
pub(super) fn execute_command(s: &Arc<Shared>) -> DynTool {
    let allow = s.options.allow_writes;
    let max_wait = s.options.wait.max_wait.as_secs();
    FnTool::with_state(
        s,
        ToolSpec::new::<ExecuteCommandArgs, ExecuteCommandResult>(
            "execute_command",
            if allow {
                format!(
                    "Run code (python, sql, scala or r) in an execution context on a cluster \
                    and return its output: text, a table (rows capped) or an error with its cause. \
                    With wait_seconds (at most {max_wait}) waits for the result; otherwise returns \
                    the command_id."
                )
            } else {
                format!(
                    "Run a read-only SQL command (SELECT, SHOW, DESCRIBE, EXPLAIN) in an \
                    execution context on a cluster; other languages need a server started with \
                    --allow-writes. Returns text, a table (rows capped) or an error with its \
                    cause. With wait_seconds (at most {max_wait}) waits for the result."
                )
            },
        )
        .with_title("Execute a command")
        .with_annotations(ToolAnnotations::destructive()),
        move |s, args: ExecuteCommandArgs, ctx| async move {
            let language = match parse_language("execute_command", args.language.as_deref()) {
                Ok(l) => l,
                Err(out) => return Ok(out),
            };
            let command = match (args.command, args.command_id) {
                (Some(c), None) => Ok(c),
                (None, Some(id)) => Err(id),
                _ => {
                    return Err(crate::ToolError::invalid_params(
                        "execute_command",
                        "pass exactly one of `command` (code to run) and `command_id` (a command \
                            started earlier)",
                    ));
                }
            };
            if let (false, Ok(command)) = (s.options.allow_writes, &command) {
                if language != CommandLanguage::Sql {
                    return Ok(ToolOutput::error(format!(
                        "execute_command: {language} code can change anything and this server only \
                            allows read-only SQL; send a read-only SQL command with language=sql, \
                            or ask the operator to restart the server with --allow-writes"
                    )));
                }
                if let Err(e) = check_sql(command, SqlPolicy::read_only()) {
                    return Ok(ToolOutput::error(format!("execute_command: {e}")));
                }
            }
            let commands = s.client.commands();
            let command_id = match command {
                Ok(command) => call!(
                    "execute_command",
                    commands
                        .execute(&args.cluster_id, &args.context_id, language, &command)
                        .await
                ),
                Err(id) => id,
            };
            let (wait, _) = s.options.wait.limit(args.wait_seconds);
            let cluster_id = args.cluster_id.clone();
            let context_id = args.context_id.clone();
            let waited = call!(
                "execute_command",
                wait_with_progress(&ctx, &s.options.wait, wait, || {
                    let commands = commands.clone();
                    let (cl, cx, cm) = (cluster_id.clone(), context_id.clone(), command_id.clone());
                    async move {
                        let st = commands.command_status(&cl, &cx, &cm).await?;
                        let done = matches!(
                            st.status,
                            Some(
                                CommandStatus::Finished
                                    | CommandStatus::Error
                                    | CommandStatus::Cancelled
                            )
                        );
                        let msg = or_dash(st.status.as_ref());
                        Ok::<_, databricks_client::Error>(Step::new(st, done, msg))
                    }
                })
                .await
            );
            let done = waited.is_done();
            let st = waited.into_state();
            let mut result = ExecuteCommandResult {
                command_id: command_id.clone(),
                status: st.status.as_ref().map(ToString::to_string),
                result_type: None,
                text: None,
                table: None,
                error_summary: None,
                error_cause: None,
                other: None,
                next: String::new(),
            };
            let max_text = s.max_text();
            let mut text;
            let mut is_error = false;
            match (done, st.results) {
                (false, _) => {
                    result.next = format!(
                        "the command is still running; call execute_command with cluster_id, \
                            context_id and command_id={command_id} (no command) to get its result"
                    );
                    text = format!(
                        "command {command_id}: {}",
                        or_dash(result.status.as_deref())
                    );
                }
                (true, None) => {
                    result.next = "the command ended without output".to_owned();
                    text = format!(
                        "command {command_id}: {} (no \
                        output)",
                        or_dash(result.status.as_deref())
                    );
                    is_error = !matches!(st.status, Some(CommandStatus::Finished));
                }
                (true, Some(results)) => {
                    result.result_type = results.result_type.clone();
                    match CommandOutput::from(results) {
                        CommandOutput::Text(t) => {
                            let capped = cap_text(&t, max_text, "the cluster (output was cut)");
                            text = capped.clone();
                            result.text = Some(capped);
                        }
                        CommandOutput::Table {
                            columns,
                            rows,
                            truncated,
                        } => {
                            let cap = s.limits().max_rows;
                            let cols = columns
                                .iter()
                                .map(|c| {
                                    Column::new(
                                        c.name.clone(),
                                        c.kind.as_ref().map(|k| match k {
                                            Value::String(s) => s.trim_matches('"').to_owned(),
                                            other => other.to_string(),
                                        }),
                                    )
                                })
                                .collect();
                            let table =
                                TableResult::from_rows(cols, rows, cap, 0, truncated, |off| {
                                    MoreRows::new(
                                        None,
                                        off,
                                        "add a LIMIT or aggregate in the command \
                                    to see fewer rows",
                                    )
                                });
                            text = table.to_text(max_text);
                            result.table = Some(table);
                        }
                        CommandOutput::Error { summary, cause } => {
                            is_error = true;
                            let cause = cap_text(&cause, max_text / 2, "the cluster driver logs");
                            text =
                                format!("command failed: {}\n{cause}", or_dash(summary.as_deref()));
                            result.error_summary = summary;
                            result.error_cause = Some(cause);
                        }
                        other => {
                            let raw = match other {
                                CommandOutput::Other(r) => {
                                    serde_json::to_value(&r).unwrap_or(Value::Null)
                                }
                                _ => Value::Null,
                            };
                            text = format!(
                                "command finished with a {} result (see structuredContent)",
                                or_dash(result.result_type.as_deref())
                            );
                            result.other = Some(raw);
                        }
                    }
                    result.next = if is_error {
                        "fix the code and run execute_command again in the same context".to_owned()
                    } else {
                        "run more code in the same context, or destroy_execution_context when \
                            done"
                            .to_owned()
                    };
                }
            }
            text = cap_text(&text, max_text, "structuredContent");
            if is_error {
                failed_output(text, &result)
            } else {
                output(text, &result)
            }
        },
    )
}

/// Arguments of `destroy_execution_context`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct DestroyContextArgs {
    /// The cluster of the context.
    cluster_id: String,
    /// The context to destroy.
    context_id: String,
}

/// Result of `destroy_execution_context`.
#[derive(Debug, Serialize, JsonSchema)]
struct DestroyContextResult {
    /// The destroyed context.
    context_id: String,
    /// `true`.
    destroyed: bool,
}

/// Destroying a context drops its variables: not read-only, destructive, idempotent.
pub(super) fn destroy_execution_context(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<DestroyContextArgs, DestroyContextResult>(
            "destroy_execution_context",
            "Destroy an execution context created by create_execution_context, freeing its \
                resources on the cluster (its variables are lost).",
        )
        .with_title("Destroy an execution context")
        .with_annotations(ToolAnnotations::destructive().with_idempotent(true)),
        move |s, args: DestroyContextArgs, _ctx| async move {
            call!(
                "destroy_execution_context",
                s.client
                    .commands()
                    .destroy_context(&args.cluster_id, &args.context_id)
                    .await
            );
            output(
                format!("context {} destroyed", args.context_id),
                &DestroyContextResult {
                    context_id: args.context_id,
                    destroyed: true,
                },
            )
        },
    )
}
