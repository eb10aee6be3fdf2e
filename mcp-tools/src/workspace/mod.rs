//! The workspace toolset: thin adapters over `databricks-client` for jobs, compute, notebooks,
//! SQL warehouses, DBFS, Unity Catalog, command execution, model serving, vector search and
//! Genie.
//!
//! Every tool parses typed arguments, makes one or a few client calls and shapes the result:
//! compact text plus structured content, lists capped by `limit` with an `offset` to continue,
//! text capped by [`ResultLimits`], and client errors turned into `isError` results that name the
//! next step ([`client_error_output`]). Long operations (job runs, cluster starts, commands,
//! statements, Genie answers) return at once with an id and the tool to poll, unless the caller
//! passes `wait_seconds`.

mod ai;
mod catalog;
mod compute;
mod jobs;
mod notebooks;
mod sql;

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use databricks_client::WorkspaceClient;
use futures::Stream;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::paging::{self, Paged, page_vec};
use crate::{
    DynTool, FnTool, ResultLimits, ToolAnnotations, ToolOutput, ToolSpec, Toolset, WaitPolicy,
    cap_text,
};

/// Name of this toolset (for `--toolsets` filters).
pub const WORKSPACE_TOOLSET: &str = "workspace";

/// Options of the workspace toolset.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct WorkspaceToolsetOptions {
    /// Row and byte caps of every result (lists, SQL rows, notebook and file text).
    pub limits: ResultLimits,
    /// How long tools may wait for long operations (`wait_seconds` ceiling) and how often they
    /// poll.
    pub wait: WaitPolicy,
    /// The SQL warehouse `execute_dbsql` uses when the call names none (`--warehouse-id`).
    pub warehouse_id: Option<String>,
    /// The Genie space `genie_ask` uses when the call names none (`--genie-space`).
    pub genie_space_id: Option<String>,
    /// Allow SQL that changes data in `execute_dbsql` and non-SQL code (or SQL writes) in
    /// `execute_command`. Off by default: only read-only SQL passes the guard.
    pub allow_writes: bool,
}

impl WorkspaceToolsetOptions {
    /// Read-only defaults: default caps and wait policy, no default warehouse or Genie space.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the caps.
    pub fn with_limits(mut self, limits: ResultLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the wait policy.
    pub fn with_wait(mut self, wait: WaitPolicy) -> Self {
        self.wait = wait;
        self
    }

    /// Sets the default SQL warehouse.
    pub fn with_warehouse_id(mut self, warehouse_id: impl Into<String>) -> Self {
        self.warehouse_id = Some(warehouse_id.into());
        self
    }

    /// Sets the default Genie space.
    pub fn with_genie_space_id(mut self, space_id: impl Into<String>) -> Self {
        self.genie_space_id = Some(space_id.into());
        self
    }

    /// Allows (or forbids) SQL writes and arbitrary code in command execution.
    pub fn with_allow_writes(mut self, allow: bool) -> Self {
        self.allow_writes = allow;
        self
    }
}

/// State shared by every tool of the toolset.
#[derive(Debug)]
struct Shared {
    client: WorkspaceClient,
    options: WorkspaceToolsetOptions,
}

impl Shared {
    fn limits(&self) -> ResultLimits {
        self.options.limits
    }

    fn max_text(&self) -> usize {
        self.options.limits.max_text_bytes
    }
}

/// The workspace toolset (issue 9): health, identity, jobs, clusters, notebooks, SQL
/// warehouses, DBFS, Unity Catalog, command execution, model serving, vector search and Genie,
/// as thin adapters over a [`WorkspaceClient`].
///
/// Tools, in order: `health`, `current_user`, `list_jobs`, `get_job`, `run_job`, `get_run`,
/// `cancel_run`, `list_clusters`, `get_cluster`, `start_cluster`, `list_notebooks`,
/// `export_notebook`, `import_notebook`, `list_warehouses`, `execute_dbsql`, `list_dbfs_files`,
/// `read_dbfs_file`, `list_catalogs`, `list_schemas`, `list_tables`, `get_table`,
/// `create_execution_context`, `execute_command`, `destroy_execution_context`,
/// `list_serving_endpoints`, `query_serving_endpoint`, `list_vector_indexes`,
/// `query_vector_index`, `genie_ask`.
///
/// Tools that change anything (`run_job`, `cancel_run`, `start_cluster`, `import_notebook`,
/// command execution, and `execute_dbsql` when writes are allowed) are not read-only, so a
/// read-only [`crate::Registry`] hides them.
///
/// ```no_run
/// use std::sync::Arc;
/// use databricks_client::{Config, WorkspaceClient};
/// use mcp_tools::{Registry, ToolContext, WorkspaceToolset, WorkspaceToolsetOptions};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let client = WorkspaceClient::new(Config::builder().build()?)?;
/// let options = WorkspaceToolsetOptions::new().with_warehouse_id("abc123");
/// let toolset = WorkspaceToolset::new(client, options);
/// let registry = Registry::builder().toolset(Arc::new(toolset)).read_only(true).build()?;
/// let out = registry.call("health", serde_json::json!({}), ToolContext::new()).await?;
/// println!("{}", out.text);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct WorkspaceToolset {
    shared: Arc<Shared>,
}

impl WorkspaceToolset {
    /// Tools over `client`.
    pub fn new(client: WorkspaceClient, options: WorkspaceToolsetOptions) -> Self {
        Self {
            shared: Arc::new(Shared { client, options }),
        }
    }
}

impl Toolset for WorkspaceToolset {
    fn name(&self) -> &str {
        WORKSPACE_TOOLSET
    }

    fn tools(&self) -> Vec<DynTool> {
        let s = &self.shared;
        vec![
            health(s),
            current_user(s),
            jobs::list_jobs(s),
            jobs::get_job(s),
            jobs::run_job(s),
            jobs::get_run(s),
            jobs::cancel_run(s),
            compute::list_clusters(s),
            compute::get_cluster(s),
            compute::start_cluster(s),
            notebooks::list_notebooks(s),
            notebooks::export_notebook(s),
            notebooks::import_notebook(s),
            sql::list_warehouses(s),
            sql::execute_dbsql(s),
            notebooks::list_dbfs_files(s),
            notebooks::read_dbfs_file(s),
            catalog::list_catalogs(s),
            catalog::list_schemas(s),
            catalog::list_tables(s),
            catalog::get_table(s),
            compute::create_execution_context(s),
            compute::execute_command(s),
            compute::destroy_execution_context(s),
            ai::list_serving_endpoints(s),
            ai::query_serving_endpoint(s),
            ai::list_vector_indexes(s),
            ai::query_vector_index(s),
            ai::genie_ask(s),
        ]
    }
}

/// Unwraps a client result, or returns the `isError` result naming the next step.
macro_rules! call {
    ($tool:expr, $e:expr) => {
        match $e {
            Ok(v) => v,
            Err(err) => return Ok($crate::client_error_output($tool, &err)),
        }
    };
}
pub(crate) use call;

/// Pagination arguments shared by list tools, documented per tool.
#[derive(Debug, Clone, Copy)]
struct Window {
    offset: usize,
    limit: usize,
}

impl Window {
    fn new(limits: &ResultLimits, offset: Option<u64>, limit: Option<u64>) -> Self {
        Self {
            offset: offset
                .and_then(|o| usize::try_from(o).ok())
                .unwrap_or(0)
                .min(1_000_000),
            limit: limits.effective_rows(limit),
        }
    }

    /// How many items to read from the start of the listing (offset + limit + 1 sentinel).
    fn reach(&self) -> usize {
        self.offset.saturating_add(self.limit).saturating_add(1)
    }
}

/// Reads one window of a paginated client stream (the tool exposes `offset`/`limit`).
async fn page_stream<T, S>(stream: S, window: Window) -> databricks_client::Result<Paged<T>>
where
    S: Stream<Item = databricks_client::Result<T>>,
{
    paging::page_stream(stream, window.offset, window.limit).await
}

/// Windows a complete list the API returns in one response.
fn page_all<T>(items: Vec<T>, window: Window) -> Paged<T> {
    let slice: Vec<T> = items
        .into_iter()
        .skip(window.offset)
        .take(window.limit.saturating_add(1))
        .collect();
    page_vec(slice, window.limit, window.offset)
}

/// Text of a list result: one line per item, capped, plus how to get more.
fn list_text<T>(
    what: &str,
    tool: &str,
    page: &Paged<T>,
    max_bytes: usize,
    line: impl Fn(&T) -> String,
) -> String {
    let mut text = format!("{} {what}", page.items.len());
    for item in &page.items {
        text.push('\n');
        text.push_str(&line(item));
    }
    if let Some(next) = page.next_offset {
        text.push_str(&format!(
            "\n[truncated: true; more exist; call {tool} again with offset={next}]"
        ));
    }
    cap_text(&text, max_bytes, "structuredContent")
}

/// A successful structured result, or an internal error if it cannot be serialized.
fn output<T: Serialize>(text: String, value: &T) -> Result<ToolOutput, crate::ToolError> {
    ToolOutput::structured(text, value)
}

/// An `isError` result that still carries structured content (for example a run that failed).
fn failed_output<T: Serialize>(text: String, value: &T) -> Result<ToolOutput, crate::ToolError> {
    let mut out = ToolOutput::structured(text, value)?;
    out.is_error = true;
    Ok(out)
}

/// `Some(x)` as text, `-` when absent.
fn or_dash<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// A fresh idempotency token (≤ 64 characters): a randomly keyed hash of the time, a process-wide
/// counter and the process id. Built without extra dependencies; uniqueness, not secrecy, is
/// what matters.
fn new_idempotency_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut parts = [0u64; 2];
    for (i, part) in parts.iter_mut().enumerate() {
        let mut h = RandomState::new().build_hasher();
        h.write_u128(nanos);
        h.write_u64(n);
        h.write_u32(std::process::id());
        h.write_usize(i);
        *part = h.finish();
    }
    format!("mcp-{:016x}{:016x}", parts[0], parts[1])
}

/// Arguments of tools without parameters.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NoArgs {}

/// Result of `health`.
#[derive(Debug, Serialize, JsonSchema)]
struct HealthResult {
    /// `true` when the workspace answered and accepted the credentials.
    ok: bool,
    /// The workspace URL the server talks to.
    host: String,
    /// The user (or service principal) the server acts as.
    user_name: String,
    /// Display name of that identity, if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<String>,
}

fn health(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<NoArgs, HealthResult>(
            "health",
            "Check that the Databricks workspace is reachable and the server's credentials work \
                (one cheap call: the current user). Reports the host and identity; call it first \
                when other tools fail.",
        )
        .with_title("Workspace health")
        .with_annotations(ToolAnnotations::read_only()),
        move |s, _args: NoArgs, _ctx| async move {
            let host = s.client.host().as_str().trim_end_matches('/').to_owned();
            let me = match s.client.current_user().me().await {
                Ok(me) => me,
                Err(e) => {
                    let mut out = crate::client_error_output("health", &e);
                    out.text = format!("workspace {host} is not healthy\n{}", out.text);
                    return Ok(out);
                }
            };
            let text = format!("ok: {host} as {}", me.user_name);
            output(
                text,
                &HealthResult {
                    ok: true,
                    host,
                    user_name: me.user_name,
                    display_name: me.display_name,
                },
            )
        },
    )
}

/// Result of `current_user`.
#[derive(Debug, Serialize, JsonSchema)]
struct CurrentUserResult {
    /// SCIM id.
    id: String,
    /// User name (an e-mail address, or an application id for a service principal).
    user_name: String,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<String>,
    /// Whether the identity is active.
    #[serde(skip_serializing_if = "Option::is_none")]
    active: Option<bool>,
    /// Primary e-mail, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    /// Groups the identity belongs to (display names).
    groups: Vec<String>,
}

fn current_user(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<NoArgs, CurrentUserResult>(
            "current_user",
            "Show the identity the server acts as in the workspace: user name, display name, \
                e-mail and groups.",
        )
        .with_title("Current user")
        .with_annotations(ToolAnnotations::read_only()),
        move |s, _args: NoArgs, _ctx| async move {
            let me = call!("current_user", s.client.current_user().me().await);
            let groups: Vec<String> = me
                .groups
                .iter()
                .filter_map(|g| g.display.clone().or_else(|| g.value.clone()))
                .collect();
            let email = me.primary_email().map(ToOwned::to_owned);
            let mut text = format!("{} (id {})", me.user_name, me.id);
            if let Some(d) = &me.display_name {
                text.push_str(&format!("\ndisplay name: {d}"));
            }
            if !groups.is_empty() {
                text.push_str(&format!("\ngroups: {}", groups.join(", ")));
            }
            output(
                cap_text(&text, s.max_text(), "structuredContent"),
                &CurrentUserResult {
                    id: me.id,
                    user_name: me.user_name,
                    display_name: me.display_name,
                    active: me.active,
                    email,
                    groups,
                },
            )
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_short() {
        let a = new_idempotency_token();
        let b = new_idempotency_token();
        assert_ne!(a, b);
        assert!(a.len() <= 64 && a.starts_with("mcp-"), "{a}");
    }

    #[test]
    fn windows_page_and_continue() {
        let w = Window::new(&ResultLimits::new().with_max_rows(2), Some(1), None);
        let p = page_all(vec![1, 2, 3, 4], w);
        assert_eq!(p.items, vec![2, 3]);
        assert_eq!(p.next_offset, Some(3));
        let p = page_all(vec![1, 2, 3], w);
        assert_eq!(p.next_offset, None);
        assert_eq!(w.reach(), 4);
    }
}
