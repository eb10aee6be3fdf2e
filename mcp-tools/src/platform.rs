//! The platform toolset: per-tenant provisioning on Databricks as thin adapters over
//! `databricks-client`.
//!
//! Each tenant gets a Unity Catalog catalog named `{catalog_prefix}{tenant_id}`; tenant ids are
//! limited to `[a-z0-9_]` so every derived name is safe. Tools: `create_catalog`,
//! `get_catalog_status`, `upload_dataset_file`, `query_dataset`, `create_notebook`,
//! `execute_notebook`, `get_notebook_run_status`, `create_job`, `deploy_model`, `invoke_model`,
//! `create_vector_index`, `search_vectors`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use databricks_client::api::QueryOptions;
use databricks_client::models::jobs::{
    CronSchedule, JobSettings, NotebookTask, Run, RunStatusState, SubmitRunRequest, Task,
};
use databricks_client::models::workspace::{ImportRequest, Language};
use databricks_client::models::{
    CatalogInfo, CreateCatalog, CreateSchema, CreateServingEndpoint, CreateVectorIndex,
    CreateVolume, DeltaSyncIndexSpec, EmbeddingSourceColumn, EmbeddingVectorColumn,
    EndpointConfigUpdate, EndpointCoreConfig, ExecuteStatementRequest, ServedEntity,
    ServingEndpoint, ServingQuery, VectorQuery,
};
use databricks_client::{Error as ClientError, WorkspaceClient};
use futures::{StreamExt, TryStreamExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    Column, DynTool, FnTool, MoreRows, ResultLimits, SqlPolicy, Step, TableResult, ToolAnnotations,
    ToolContext, ToolError, ToolOutput, ToolSpec, Toolset, WaitPolicy, Waited, cap_text, check_sql,
    client_error_output, wait_with_progress,
};

/// Name of this toolset (for `--toolsets` filters).
pub const PLATFORM_TOOLSET: &str = "platform";

/// Options of the platform toolset.
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct PlatformToolsetOptions {
    /// Prefix of tenant catalogs: a tenant's catalog is `{catalog_prefix}{tenant_id}`.
    /// Default `tenant_`.
    pub catalog_prefix: String,
    /// SQL warehouse for `upload_dataset_file` and `query_dataset`.
    pub warehouse_id: Option<String>,
    /// Managed storage root for new tenant catalogs (metastores without a default need one).
    pub storage_root: Option<String>,
    /// Ceiling and polling of waits (`wait_seconds`).
    pub wait: WaitPolicy,
    /// Row and byte caps.
    pub limits: ResultLimits,
    /// Workspace folder holding tenant notebooks (`{notebook_root}/{tenant_id}/…`).
    /// Default `/Shared/tenants`.
    pub notebook_root: String,
    /// Schema of uploaded datasets inside a tenant catalog. Default `datasets`.
    pub dataset_schema: String,
    /// Volume of uploaded dataset files inside the dataset schema. Default `uploads`.
    pub dataset_volume: String,
}

impl Default for PlatformToolsetOptions {
    fn default() -> Self {
        Self {
            catalog_prefix: "tenant_".to_owned(),
            warehouse_id: None,
            storage_root: None,
            wait: WaitPolicy::default(),
            limits: ResultLimits::default(),
            notebook_root: "/Shared/tenants".to_owned(),
            dataset_schema: "datasets".to_owned(),
            dataset_volume: "uploads".to_owned(),
        }
    }
}

impl PlatformToolsetOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the tenant catalog prefix.
    pub fn with_catalog_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.catalog_prefix = prefix.into();
        self
    }

    /// Sets the SQL warehouse.
    pub fn with_warehouse_id(mut self, id: impl Into<String>) -> Self {
        self.warehouse_id = Some(id.into());
        self
    }

    /// Sets the managed storage root of new catalogs.
    pub fn with_storage_root(mut self, root: impl Into<String>) -> Self {
        self.storage_root = Some(root.into());
        self
    }

    /// Sets the wait policy.
    pub fn with_wait(mut self, wait: WaitPolicy) -> Self {
        self.wait = wait;
        self
    }

    /// Sets the result caps.
    pub fn with_limits(mut self, limits: ResultLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the workspace folder of tenant notebooks.
    pub fn with_notebook_root(mut self, root: impl Into<String>) -> Self {
        self.notebook_root = root.into();
        self
    }

    /// Sets the dataset schema name.
    pub fn with_dataset_schema(mut self, schema: impl Into<String>) -> Self {
        self.dataset_schema = schema.into();
        self
    }

    /// Sets the dataset volume name.
    pub fn with_dataset_volume(mut self, volume: impl Into<String>) -> Self {
        self.dataset_volume = volume.into();
        self
    }
}

/// The platform toolset over a workspace client.
///
/// ```no_run
/// # fn demo(client: databricks_client::WorkspaceClient) -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use mcp_tools::{PlatformToolset, PlatformToolsetOptions, Registry};
/// let options = PlatformToolsetOptions::new()
///     .with_catalog_prefix("acme_")
///     .with_warehouse_id("abc123");
/// let toolset = PlatformToolset::new(client, options);
/// let registry = Registry::builder().toolset(Arc::new(toolset)).read_only(false).build()?;
/// assert!(registry.get("create_catalog").is_some());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PlatformToolset {
    shared: Arc<Shared>,
}

struct Shared {
    client: WorkspaceClient,
    opts: PlatformToolsetOptions,
}

impl fmt::Debug for PlatformToolset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformToolset")
            .field("catalog_prefix", &self.shared.opts.catalog_prefix)
            .finish_non_exhaustive()
    }
}

impl PlatformToolset {
    /// A toolset calling the workspace through `client`.
    pub fn new(client: WorkspaceClient, options: PlatformToolsetOptions) -> Self {
        Self {
            shared: Arc::new(Shared {
                client,
                opts: options,
            }),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Names.

fn check_name(tool: &str, field: &str, value: &str) -> Result<(), ToolError> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ToolError::invalid_params(
            tool,
            format!(
                "`{field}` must be 1 to 64 characters of lowercase letters, digits and `_` (got {value:?})"
            ),
        ))
    }
}

/// A backtick-quoted SQL identifier.
fn quote(id: &str) -> String {
    format!("`{}`", id.replace('`', "``"))
}

/// A single-quoted SQL string literal.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A notebook name below the tenant folder: `/`-separated segments of `[A-Za-z0-9_-]`.
fn check_notebook_name(tool: &str, name: &str) -> Result<(), ToolError> {
    let ok = !name.is_empty()
        && name.len() <= 200
        && name.split('/').all(|seg| {
            !seg.is_empty()
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(ToolError::invalid_params(
            tool,
            format!(
                "`notebook` must be a name below the tenant folder made of letters, digits, `_`, `-` and `/` separators, e.g. `etl/daily` (got {name:?})"
            ),
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Arguments and results.

/// Arguments of `create_catalog`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CreateCatalogArgs {
    /// Tenant id: lowercase letters, digits and `_`.
    tenant_id: String,
    /// Catalog comment.
    #[serde(default)]
    comment: Option<String>,
}

/// Arguments naming a tenant.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct TenantArgs {
    /// Tenant id: lowercase letters, digits and `_`.
    tenant_id: String,
}

/// A tenant catalog.
#[derive(Debug, Serialize, JsonSchema)]
struct CatalogStatus {
    /// Whether the catalog exists.
    exists: bool,
    /// Catalog name (`{prefix}{tenant_id}`).
    name: String,
    /// Whether this call created it (`create_catalog` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<bool>,
    /// Owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    /// Creation time (epoch ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<i64>,
    /// Comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

impl CatalogStatus {
    fn from_info(info: CatalogInfo, created: Option<bool>) -> Self {
        Self {
            exists: true,
            name: info.name,
            created,
            owner: info.owner,
            created_at: info.created_at,
            comment: info.comment,
        }
    }
}

/// File format of a dataset.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum FileFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// JSON (one object per line, or an array).
    Json,
    /// Apache Parquet (binary: pass `content_base64`).
    Parquet,
}

impl FileFormat {
    fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
            Self::Parquet => "parquet",
        }
    }
}

/// Arguments of `upload_dataset_file`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct UploadDatasetArgs {
    /// Tenant id: lowercase letters, digits and `_`.
    tenant_id: String,
    /// Dataset name, which becomes the table name: lowercase letters, digits and `_`.
    dataset_name: String,
    /// File content, base64-encoded (any format). Give this OR `content_text`.
    #[serde(default)]
    content_base64: Option<String>,
    /// File content as text (CSV or JSON). Give this OR `content_base64`.
    #[serde(default)]
    content_text: Option<String>,
    /// The file's format.
    file_format: FileFormat,
    /// Replace an existing file and table of the same name (default false).
    #[serde(default)]
    overwrite: bool,
}

/// Result of `upload_dataset_file`.
#[derive(Debug, Serialize, JsonSchema)]
struct UploadDatasetResult {
    /// Full table name, `catalog.schema.table`.
    table_path: String,
    /// Volume path of the uploaded file.
    volume_path: String,
    /// Bytes uploaded.
    bytes: usize,
    /// File format.
    file_format: String,
}

/// Arguments of `query_dataset`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct QueryDatasetArgs {
    /// Tenant id: lowercase letters, digits and `_`.
    tenant_id: String,
    /// Dataset to read (all columns). Give this OR `sql`.
    #[serde(default)]
    dataset_name: Option<String>,
    /// A read-only SQL query; unqualified names resolve in the tenant's dataset schema, and
    /// tables of other catalogs are refused. Give this OR `dataset_name`.
    #[serde(default)]
    sql: Option<String>,
    /// Rows to return at most (capped by the server).
    #[serde(default)]
    limit: Option<u64>,
}

/// Notebook language.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum LanguageArg {
    /// Python.
    Python,
    /// SQL.
    Sql,
    /// Scala.
    Scala,
    /// R.
    R,
}

/// Arguments of `create_notebook`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CreateNotebookArgs {
    /// Tenant id: lowercase letters, digits and `_`.
    tenant_id: String,
    /// Notebook name below the tenant folder, e.g. `etl/daily`.
    notebook: String,
    /// Notebook source.
    content: String,
    /// Language (default python).
    #[serde(default)]
    language: Option<LanguageArg>,
    /// Replace an existing notebook (default false).
    #[serde(default)]
    overwrite: bool,
}

/// Result of `create_notebook`.
#[derive(Debug, Serialize, JsonSchema)]
struct CreateNotebookResult {
    /// Workspace path of the notebook.
    path: String,
    /// Language.
    language: String,
}

/// Arguments of `execute_notebook`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ExecuteNotebookArgs {
    /// Tenant id: lowercase letters, digits and `_`.
    tenant_id: String,
    /// Notebook name below the tenant folder, e.g. `etl/daily`.
    notebook: String,
    /// Notebook parameters (widget values).
    #[serde(default)]
    parameters: BTreeMap<String, String>,
    /// Run name (default `<tenant_id>:<notebook>`).
    #[serde(default)]
    run_name: Option<String>,
    /// Idempotency token: a retried call with the same token starts no second run.
    #[serde(default)]
    idempotency_token: Option<String>,
    /// Seconds to wait for the run to finish, with progress notifications (default 0: return
    /// the run id at once).
    #[serde(default)]
    wait_seconds: Option<u64>,
}

/// Arguments of `get_notebook_run_status`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RunIdArgs {
    /// Run id from `execute_notebook`.
    run_id: i64,
}

/// State of a run.
#[derive(Debug, Serialize, JsonSchema)]
struct RunStatusOut {
    /// Run id.
    run_id: i64,
    /// Life-cycle state (`PENDING`, `RUNNING`, `TERMINATED`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    life_cycle_state: Option<String>,
    /// Result state once finished (`SUCCESS`, `FAILED`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    result_state: Option<String>,
    /// State message.
    #[serde(skip_serializing_if = "Option::is_none")]
    state_message: Option<String>,
    /// Run page URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    run_page_url: Option<String>,
    /// Whether the run finished.
    done: bool,
    /// What to do next.
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

fn run_done(run: &Run) -> bool {
    let state = run.state.as_ref();
    state
        .and_then(|s| s.life_cycle_state.as_ref())
        .is_some_and(|l| l.is_terminal())
        || run
            .status
            .as_ref()
            .and_then(|s| s.state.as_ref())
            .is_some_and(|s| *s == RunStatusState::Terminated)
}

fn run_status(run: &Run, next: Option<String>) -> RunStatusOut {
    let state = run.state.as_ref();
    RunStatusOut {
        run_id: run.run_id,
        life_cycle_state: state
            .and_then(|s| s.life_cycle_state.as_ref())
            .map(ToString::to_string),
        result_state: state
            .and_then(|s| s.result_state.as_ref())
            .map(ToString::to_string),
        state_message: state
            .and_then(|s| s.state_message.clone())
            .filter(|m| !m.is_empty()),
        run_page_url: run.run_page_url.clone(),
        done: run_done(run),
        next,
    }
}

fn run_text(s: &RunStatusOut) -> String {
    let mut t = format!(
        "run {}: {}",
        s.run_id,
        s.life_cycle_state.as_deref().unwrap_or("UNKNOWN")
    );
    if let Some(r) = &s.result_state {
        t.push_str(&format!(" ({r})"));
    }
    if let Some(m) = &s.state_message {
        t.push_str(&format!(": {m}"));
    }
    if let Some(u) = &s.run_page_url {
        t.push_str(&format!("\n{u}"));
    }
    if let Some(n) = &s.next {
        t.push_str(&format!("\nNext: {n}"));
    }
    t
}

/// A cron schedule.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ScheduleArg {
    /// Quartz cron expression, e.g. `0 0 6 * * ?` (06:00 daily).
    quartz_cron_expression: String,
    /// Java time zone id (default `UTC`).
    #[serde(default)]
    timezone_id: Option<String>,
}

/// Arguments of `create_job`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CreateJobArgs {
    /// Job name.
    name: String,
    /// Tasks as in the Jobs API job settings (`[{"task_key": "...", "notebook_task":
    /// {"notebook_path": "..."}, "depends_on": [...]}]`).
    tasks: Vec<Value>,
    /// Cron schedule (default: none, run on demand).
    #[serde(default)]
    schedule: Option<ScheduleArg>,
    /// Tenant the job belongs to; added as the `tenant_id` tag.
    #[serde(default)]
    tenant_id: Option<String>,
}

/// Result of `create_job`.
#[derive(Debug, Serialize, JsonSchema)]
struct CreateJobResult {
    /// The new job's id.
    job_id: i64,
    /// The job's page in the workspace UI.
    job_url: String,
}

/// Arguments of `deploy_model`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct DeployModelArgs {
    /// Serving endpoint name to create.
    endpoint_name: String,
    /// Registered model name (Unity Catalog: `catalog.schema.model`).
    model_name: String,
    /// Model version.
    model_version: String,
    /// Workload size: `Small`, `Medium` or `Large` (default `Small`).
    #[serde(default)]
    workload_size: Option<String>,
    /// Scale to zero when idle (default true).
    #[serde(default)]
    scale_to_zero: Option<bool>,
    /// Seconds to wait until the endpoint is ready, with progress notifications (default 0:
    /// return at once).
    #[serde(default)]
    wait_seconds: Option<u64>,
}

/// Arguments of `get_model_status`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ModelStatusArgs {
    /// Serving endpoint name (from deploy_model).
    endpoint_name: String,
}

/// State of a serving endpoint.
#[derive(Debug, Serialize, JsonSchema)]
struct EndpointStatus {
    /// Endpoint name.
    endpoint_name: String,
    /// Whether this call created the endpoint (false: it existed and was only observed).
    created: bool,
    /// Served models as `name@version`, from the endpoint's current config.
    served_entities: Vec<String>,
    /// Whether it serves traffic with no update in progress.
    ready: bool,
    /// `state.ready` (`READY`, `NOT_READY`).
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<String>,
    /// `state.config_update` (`IN_PROGRESS`, `NOT_UPDATING`, `UPDATE_FAILED`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    config_update: Option<String>,
    /// What to do next.
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

/// What to do when an endpoint's configuration update failed.
const UPDATE_FAILED_NEXT: &str = "the endpoint's configuration update failed; check the served model's build logs in the workspace, fix the model, and deploy again";

/// The result of deploy_model / get_model_status: a one-line summary (with `origin`, e.g.
/// `created`, when given) and the status; a failed configuration update is an `isError` result.
fn endpoint_output(
    status: EndpointStatus,
    origin: Option<&str>,
    failed: bool,
) -> Result<ToolOutput, ToolError> {
    let origin = origin.map(|o| format!("{o}, ")).unwrap_or_default();
    let mut text = format!(
        "Serving endpoint {} ({origin}serving {}): ready={} config_update={}",
        status.endpoint_name,
        status.served_entities.join(", "),
        status.state.as_deref().unwrap_or("?"),
        status.config_update.as_deref().unwrap_or("?")
    );
    if let Some(n) = &status.next {
        text.push_str(&format!("\nNext: {n}"));
    }
    if failed {
        return Ok(ToolOutput::error(text));
    }
    ToolOutput::structured(text, &status)
}

fn endpoint_status(e: &ServingEndpoint, created: bool, next: Option<String>) -> EndpointStatus {
    let st = e.state.as_ref();
    let served_entities = e
        .config
        .as_ref()
        .and_then(|c| c.get("served_entities"))
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|s| {
                    format!(
                        "{}@{}",
                        s.get("entity_name").and_then(Value::as_str).unwrap_or("?"),
                        s.get("entity_version")
                            .and_then(Value::as_str)
                            .unwrap_or("?")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    EndpointStatus {
        endpoint_name: e.name.clone(),
        created,
        served_entities,
        ready: e.is_ready(),
        state: st
            .and_then(|s| s.ready.as_ref())
            .map(|r| r.as_str().to_owned()),
        config_update: st
            .and_then(|s| s.config_update.as_ref())
            .map(|u| u.as_str().to_owned()),
        next,
    }
}

fn endpoint_failed(e: &ServingEndpoint) -> bool {
    e.state
        .as_ref()
        .and_then(|s| s.config_update.as_ref())
        .is_some_and(|u| {
            matches!(
                u,
                EndpointConfigUpdate::UpdateFailed | EndpointConfigUpdate::UpdateCanceled
            )
        })
}

/// Arguments of `invoke_model`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct InvokeModelArgs {
    /// Serving endpoint name.
    endpoint_name: String,
    /// The request body: `{"dataframe_records": [...]}`, `{"inputs": ...}`, `{"instances":
    /// [...]}`, `{"messages": [{"role": "user", "content": "..."}]}` or `{"input": ...}`.
    request: Value,
}

/// Result of `invoke_model`.
#[derive(Debug, Serialize, JsonSchema)]
struct InvokeModelResult {
    /// Endpoint name.
    endpoint_name: String,
    /// Chat or completion text, when the model returns one.
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    /// The full response.
    response: Value,
}

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

/// Arguments of `search_vectors`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SearchArgs {
    /// Index name, `catalog.schema.index`.
    index_name: String,
    /// Columns to return.
    columns: Vec<String>,
    /// Query text (indexes with an embedding model). Give this OR `query_vector`.
    #[serde(default)]
    query_text: Option<String>,
    /// Query vector. Give this OR `query_text`.
    #[serde(default)]
    query_vector: Option<Vec<f32>>,
    /// Results to return (capped by the server).
    #[serde(default)]
    num_results: Option<u64>,
    /// Filters as a JSON object string, e.g. `{"id <": 5}`.
    #[serde(default)]
    filters_json: Option<String>,
    /// `ANN` (default) or `HYBRID`.
    #[serde(default)]
    query_type: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Tools.

impl Shared {
    fn catalog(&self, tool: &str, tenant: &str) -> Result<String, ToolError> {
        check_name(tool, "tenant_id", tenant)?;
        Ok(format!("{}{tenant}", self.opts.catalog_prefix))
    }

    fn warehouse(&self, tool: &str) -> Result<String, ToolOutput> {
        self.opts.warehouse_id.clone().ok_or_else(|| {
            ToolOutput::error(format!(
                "{tool}: no SQL warehouse is configured; the operator must start the server with a warehouse id (PlatformToolsetOptions::with_warehouse_id, e.g. `--warehouse-id`)"
            ))
        })
    }

    fn host(&self) -> String {
        self.client.host().as_str().trim_end_matches('/').to_owned()
    }

    fn query_options(&self) -> QueryOptions {
        QueryOptions::default().with_timeout(self.opts.wait.max_wait)
    }

    async fn create_catalog(&self, a: CreateCatalogArgs) -> Result<ToolOutput, ToolError> {
        const TOOL: &str = "create_catalog";
        let name = self.catalog(TOOL, &a.tenant_id)?;
        let mut req = CreateCatalog::new(&name);
        if let Some(c) = a.comment {
            req = req.with_comment(c);
        }
        if let Some(r) = &self.opts.storage_root {
            req = req.with_storage_root(r.clone());
        }
        let cat = self.client.catalog();
        let (info, created) = match cat.create_catalog(&req).await {
            Ok(i) => (i, true),
            Err(e) if already_exists(&e) => match cat.get_catalog(&name).await {
                Ok(i) => (i, false),
                Err(e) => return Ok(client_error_output(TOOL, &e)),
            },
            Err(e) => return Ok(client_error_output(TOOL, &e)),
        };
        let text = if created {
            format!("Created catalog {name}.")
        } else {
            format!("Catalog {name} already exists.")
        };
        ToolOutput::structured(text, &CatalogStatus::from_info(info, Some(created)))
    }

    async fn catalog_status(&self, a: TenantArgs) -> Result<ToolOutput, ToolError> {
        const TOOL: &str = "get_catalog_status";
        let name = self.catalog(TOOL, &a.tenant_id)?;
        match self.client.catalog().get_catalog(&name).await {
            Ok(info) => {
                let s = CatalogStatus::from_info(info, None);
                let text = format!(
                    "Catalog {} exists (owner {}).",
                    s.name,
                    s.owner.as_deref().unwrap_or("unknown")
                );
                ToolOutput::structured(text, &s)
            }
            Err(e) if e.is_not_found() => ToolOutput::structured(
                format!("Catalog {name} does not exist; create it with create_catalog."),
                &CatalogStatus {
                    exists: false,
                    name,
                    created: None,
                    owner: None,
                    created_at: None,
                    comment: None,
                },
            ),
            Err(e) => Ok(client_error_output(TOOL, &e)),
        }
    }

    async fn upload_dataset(&self, a: UploadDatasetArgs) -> Result<ToolOutput, ToolError> {
        const TOOL: &str = "upload_dataset_file";
        let catalog = self.catalog(TOOL, &a.tenant_id)?;
        check_name(TOOL, "dataset_name", &a.dataset_name)?;
        let bytes = match (a.content_base64, a.content_text) {
            (Some(b), None) => base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .map_err(|e| {
                    ToolError::invalid_params(
                        TOOL,
                        format!("`content_base64` is not valid base64 ({e}); encode the file with standard base64"),
                    )
                })?,
            (None, Some(t)) if !matches!(a.file_format, FileFormat::Parquet) => t.into_bytes(),
            (None, Some(_)) => {
                return Err(ToolError::invalid_params(
                    TOOL,
                    "parquet is binary; pass it as `content_base64`",
                ));
            }
            _ => {
                return Err(ToolError::invalid_params(
                    TOOL,
                    "give exactly one of `content_base64` or `content_text`",
                ));
            }
        };
        let warehouse = match self.warehouse(TOOL) {
            Ok(w) => w,
            Err(out) => return Ok(out),
        };
        let schema = &self.opts.dataset_schema;
        let volume = &self.opts.dataset_volume;
        let cat = self.client.catalog();
        if let Err(e) = cat
            .create_schema(&CreateSchema::new(&catalog, schema))
            .await
            && !already_exists(&e)
        {
            return Ok(not_provisioned(TOOL, &catalog, &e));
        }
        if let Err(e) = cat
            .create_volume(&CreateVolume::managed(&catalog, schema, volume))
            .await
            && !already_exists(&e)
        {
            return Ok(not_provisioned(TOOL, &catalog, &e));
        }
        let fmt = a.file_format.as_str();
        let volume_path = format!(
            "/Volumes/{catalog}/{schema}/{volume}/{}.{fmt}",
            a.dataset_name
        );
        let size = bytes.len();
        if let Err(e) = self
            .client
            .files()
            .upload_bytes(&volume_path, bytes, a.overwrite)
            .await
        {
            let mut out = client_error_output(TOOL, &e);
            if already_exists(&e) || e.is_resource_conflict() {
                out.text.push_str("\nThe file already exists; pass `overwrite: true` to replace the file and the table.");
            }
            return Ok(out);
        }
        let table_path = format!("{catalog}.{schema}.{}", a.dataset_name);
        let table = format!(
            "{}.{}.{}",
            quote(&catalog),
            quote(schema),
            quote(&a.dataset_name)
        );
        let options = match a.file_format {
            FileFormat::Csv => "format => 'csv', header => true".to_owned(),
            other => format!("format => '{}'", other.as_str()),
        };
        let create = if a.overwrite {
            "CREATE OR REPLACE TABLE"
        } else {
            "CREATE TABLE IF NOT EXISTS"
        };
        let sql = format!(
            "{create} {table} AS SELECT * FROM read_files({}, {options})",
            literal(&volume_path)
        );
        let run = async {
            let stream = self
                .client
                .statements()
                .query_opts(
                    ExecuteStatementRequest::new(&warehouse, &sql),
                    self.query_options(),
                )
                .await?;
            stream.try_collect::<Vec<_>>().await
        };
        if let Err(e) = run.await {
            return Ok(ToolOutput::error(format!(
                "{TOOL}: the file was uploaded to {volume_path}, but creating table {table_path} over it failed on warehouse {warehouse}: {e}\nNext: check that the content is valid {fmt}{}, then call upload_dataset_file again with `overwrite: true`; if the warehouse is stopped or missing, the operator must start it or configure another warehouse id.",
                if matches!(a.file_format, FileFormat::Csv) {
                    " with a header row"
                } else {
                    ""
                }
            )));
        }
        ToolOutput::structured(
            format!("Uploaded {size} bytes to {volume_path} and created table {table_path}."),
            &UploadDatasetResult {
                table_path,
                volume_path,
                bytes: size,
                file_format: fmt.to_owned(),
            },
        )
    }

    async fn query_dataset(&self, a: QueryDatasetArgs) -> Result<ToolOutput, ToolError> {
        const TOOL: &str = "query_dataset";
        let catalog = self.catalog(TOOL, &a.tenant_id)?;
        let schema = self.opts.dataset_schema.clone();
        let sql = match (a.dataset_name, a.sql) {
            (Some(d), None) => {
                check_name(TOOL, "dataset_name", &d)?;
                format!(
                    "SELECT * FROM {}.{}.{}",
                    quote(&catalog),
                    quote(&schema),
                    quote(&d)
                )
            }
            (None, Some(sql)) => {
                // Read-only and tenant isolation, decided on the parsed statement.
                let policy = SqlPolicy::read_only().with_tenant_catalog(&catalog);
                if let Err(e) = check_sql(&sql, policy) {
                    return Ok(ToolOutput::error(format!(
                        "{TOOL}: {e} (unqualified names resolve in {catalog}.{schema})"
                    )));
                }
                sql
            }
            _ => {
                return Err(ToolError::invalid_params(
                    TOOL,
                    "give exactly one of `dataset_name` or `sql`",
                ));
            }
        };
        let warehouse = match self.warehouse(TOOL) {
            Ok(w) => w,
            Err(out) => return Ok(out),
        };
        let limits = self.opts.limits;
        let cap = limits.effective_rows(a.limit);
        let fetch = limits.fetch_rows(a.limit);
        let req = ExecuteStatementRequest::new(&warehouse, &sql)
            .with_catalog(&catalog)
            .with_schema(&schema)
            .with_row_limit(i64::try_from(fetch).unwrap_or(i64::MAX));
        let stream = match self
            .client
            .statements()
            .query_opts(req, self.query_options())
            .await
        {
            Ok(s) => s,
            Err(e) => return Ok(client_error_output(TOOL, &e)),
        };
        let columns: Vec<Column> = stream
            .columns()
            .iter()
            .map(|c| {
                Column::new(
                    c.name.clone(),
                    Some(
                        c.type_text
                            .clone()
                            .unwrap_or_else(|| c.type_name.to_string()),
                    ),
                )
            })
            .collect();
        let more_known = stream.manifest().truncated;
        let rows: Vec<Vec<Value>> = match stream
            .take(fetch)
            .map_ok(|r| r.values().iter().map(|v| v.to_json()).collect())
            .try_collect()
            .await
        {
            Ok(r) => r,
            Err(e) => return Ok(client_error_output(TOOL, &e)),
        };
        let table = TableResult::from_rows(columns, rows, cap, 0, more_known, |_| {
            MoreRows::new(
                None,
                u64::try_from(cap).unwrap_or(u64::MAX),
                "narrow the query (WHERE, aggregates) or add ORDER BY … LIMIT/OFFSET to page",
            )
        });
        ToolOutput::structured(table.to_text(limits.max_text_bytes), &table)
    }

    async fn create_notebook(&self, a: CreateNotebookArgs) -> Result<ToolOutput, ToolError> {
        const TOOL: &str = "create_notebook";
        check_name(TOOL, "tenant_id", &a.tenant_id)?;
        check_notebook_name(TOOL, &a.notebook)?;
        let path = self.notebook_path(&a.tenant_id, &a.notebook);
        let (language, lang_name) = match a.language.unwrap_or(LanguageArg::Python) {
            LanguageArg::Python => (Language::Python, "PYTHON"),
            LanguageArg::Sql => (Language::Sql, "SQL"),
            LanguageArg::Scala => (Language::Scala, "SCALA"),
            LanguageArg::R => (Language::R, "R"),
        };
        let ws = self.client.workspace();
        if let Some((parent, _)) = path.rsplit_once('/')
            && let Err(e) = ws.mkdirs(parent).await
        {
            return Ok(client_error_output(TOOL, &e));
        }
        let req = ImportRequest::notebook(&path, language, a.content.into_bytes())
            .with_overwrite(a.overwrite);
        if let Err(e) = ws.import(&req).await {
            let mut out = client_error_output(TOOL, &e);
            if already_exists(&e) {
                out.text
                    .push_str("\nPass `overwrite: true` to replace the existing notebook.");
            }
            return Ok(out);
        }
        ToolOutput::structured(
            format!("Created notebook {path} ({lang_name})."),
            &CreateNotebookResult {
                path,
                language: lang_name.to_owned(),
            },
        )
    }

    fn notebook_path(&self, tenant: &str, notebook: &str) -> String {
        format!(
            "{}/{tenant}/{notebook}",
            self.opts.notebook_root.trim_end_matches('/')
        )
    }

    async fn poll_run(
        &self,
        ctx: &ToolContext,
        run_id: i64,
        wait_seconds: Option<u64>,
    ) -> Result<(Waited<Run>, bool), ClientError> {
        let (wait, clamped) = self.opts.wait.limit(wait_seconds);
        let jobs = self.client.jobs();
        let waited = wait_with_progress(ctx, &self.opts.wait, wait, || {
            let jobs = jobs.clone();
            async move {
                let run = jobs.get_run(run_id).await?;
                let done = run_done(&run);
                let msg = run
                    .state
                    .as_ref()
                    .and_then(|s| s.life_cycle_state.as_ref())
                    .map_or_else(|| "UNKNOWN".to_owned(), ToString::to_string);
                Ok::<_, ClientError>(Step::new(run, done, msg))
            }
        })
        .await?;
        Ok((waited, clamped))
    }

    async fn execute_notebook(
        &self,
        a: ExecuteNotebookArgs,
        ctx: ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        const TOOL: &str = "execute_notebook";
        check_name(TOOL, "tenant_id", &a.tenant_id)?;
        check_notebook_name(TOOL, &a.notebook)?;
        let path = self.notebook_path(&a.tenant_id, &a.notebook);
        let mut task = NotebookTask::new(&path);
        for (k, v) in a.parameters {
            task = task.with_base_parameter(k, v);
        }
        let run_name = a
            .run_name
            .unwrap_or_else(|| format!("{}:{}", a.tenant_id, a.notebook));
        let mut req = SubmitRunRequest::new(run_name)
            .with_task(Task::new("notebook").with_notebook_task(task));
        if let Some(t) = &a.idempotency_token {
            req = req.with_idempotency_token(t);
        }
        let run_id = match self.client.jobs().submit(&req).await {
            Ok(id) => id,
            Err(e) => {
                let mut out = client_error_output(TOOL, &e);
                // With a token the client already retried; calling again with it is safe.
                if let Some(t) = &a.idempotency_token {
                    out.text.push_str(&format!(
                        "\nCalling {TOOL} again with idempotency_token=\"{t}\" is safe: it \
                         returns the run if one was started and never starts a second one."
                    ));
                }
                return Ok(out);
            }
        };
        let (waited, clamped) = match self.poll_run(&ctx, run_id, a.wait_seconds).await {
            Ok(w) => w,
            Err(e) => {
                let mut out = client_error_output(TOOL, &e);
                out.text.push_str(&format!(
                    "\nRun {run_id} was started; follow it with get_notebook_run_status."
                ));
                return Ok(out);
            }
        };
        Ok(self.run_output(waited, clamped))
    }

    fn run_output(&self, waited: Waited<Run>, clamped: bool) -> ToolOutput {
        let next = match &waited {
            Waited::Done(_) => None,
            Waited::StillRunning(_) => Some(format!(
                "the run is still going; call get_notebook_run_status with this run_id, or call again with wait_seconds (at most {} s){}",
                self.opts.wait.max_wait.as_secs(),
                if clamped {
                    "; the requested wait was above the maximum"
                } else {
                    ""
                }
            )),
            Waited::Cancelled(_) => Some(
                "the wait was cancelled; the run continues — call get_notebook_run_status"
                    .to_owned(),
            ),
        };
        let status = run_status(waited.state(), next);
        let text = run_text(&status);
        ToolOutput::structured(text, &status).unwrap_or_else(|e| ToolOutput::error(e.to_string()))
    }

    async fn run_status(&self, a: RunIdArgs) -> Result<ToolOutput, ToolError> {
        const TOOL: &str = "get_notebook_run_status";
        match self.client.jobs().get_run(a.run_id).await {
            Ok(run) => {
                let done = run_done(&run);
                Ok(self.run_output(
                    if done {
                        Waited::Done(run)
                    } else {
                        Waited::StillRunning(run)
                    },
                    false,
                ))
            }
            Err(e) => Ok(client_error_output(TOOL, &e)),
        }
    }

    async fn create_job(&self, a: CreateJobArgs) -> Result<ToolOutput, ToolError> {
        const TOOL: &str = "create_job";
        if a.tasks.is_empty() {
            return Err(ToolError::invalid_params(
                TOOL,
                "`tasks` is empty; pass at least one task",
            ));
        }
        let tasks: Vec<Task> = serde_json::from_value(Value::Array(a.tasks)).map_err(|e| {
            ToolError::invalid_params(
                TOOL,
                format!("`tasks` are not Jobs API tasks ({e}); each needs `task_key` and one task type such as `notebook_task`"),
            )
        })?;
        let mut settings = JobSettings::new(a.name);
        settings.tasks = tasks;
        if let Some(s) = a.schedule {
            settings.schedule = Some(CronSchedule::new(
                s.quartz_cron_expression,
                s.timezone_id.unwrap_or_else(|| "UTC".to_owned()),
            ));
        }
        if let Some(t) = a.tenant_id {
            check_name(TOOL, "tenant_id", &t)?;
            settings.tags.insert("tenant_id".to_owned(), t);
        }
        match self.client.jobs().create(&settings).await {
            Ok(job_id) => {
                let job_url = format!("{}/jobs/{job_id}", self.host());
                ToolOutput::structured(
                    format!("Created job {job_id}: {job_url}"),
                    &CreateJobResult { job_id, job_url },
                )
            }
            Err(e) => Ok(client_error_output(TOOL, &e)),
        }
    }

    async fn deploy_model(
        &self,
        a: DeployModelArgs,
        ctx: ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        const TOOL: &str = "deploy_model";
        let entity = ServedEntity::new(&a.model_name, &a.model_version)
            .with_workload_size(a.workload_size.unwrap_or_else(|| "Small".to_owned()))
            .with_scale_to_zero(a.scale_to_zero.unwrap_or(true));
        let req = CreateServingEndpoint::new(&a.endpoint_name, EndpointCoreConfig::new(entity));
        let serving = self.client.serving();
        // An existing endpoint is observed (and waited for), not replaced: calling again with
        // `wait_seconds` is how a caller keeps waiting.
        let (created, is_new) = match serving.create(&req).await {
            Ok(e) => (e, true),
            Err(e) if already_exists(&e) => match serving.get(&a.endpoint_name).await {
                Ok(e) => (e, false),
                Err(e) => return Ok(client_error_output(TOOL, &e)),
            },
            Err(e) => return Ok(client_error_output(TOOL, &e)),
        };
        let (wait, clamped) = self.opts.wait.limit(a.wait_seconds);
        let waited = if wait.is_zero() {
            let done = created.is_ready() || endpoint_failed(&created);
            if done {
                Waited::Done(created)
            } else {
                Waited::StillRunning(created)
            }
        } else {
            let name = a.endpoint_name.clone();
            let polled = wait_with_progress(&ctx, &self.opts.wait, wait, || {
                let serving = serving.clone();
                let name = name.clone();
                async move {
                    let e = serving.get(&name).await?;
                    let done = e.is_ready() || endpoint_failed(&e);
                    let msg = format!(
                        "ready={} config_update={}",
                        e.state
                            .as_ref()
                            .and_then(|s| s.ready.as_ref())
                            .map_or("?", |r| r.as_str()),
                        e.state
                            .as_ref()
                            .and_then(|s| s.config_update.as_ref())
                            .map_or("?", |u| u.as_str())
                    );
                    Ok::<_, ClientError>(Step::new(e, done, msg))
                }
            })
            .await;
            match polled {
                Ok(w) => w,
                Err(e) => return Ok(client_error_output(TOOL, &e)),
            }
        };
        let failed = endpoint_failed(waited.state());
        let next = match &waited {
            Waited::Done(_) if failed => Some(UPDATE_FAILED_NEXT.to_owned()),
            Waited::Done(_) => None,
            _ => Some(format!(
                "the endpoint is still deploying; poll get_model_status, or call deploy_model again with the same arguments and `wait_seconds` (at most {} s) to keep waiting — an existing endpoint is not replaced{}",
                self.opts.wait.max_wait.as_secs(),
                if clamped {
                    "; the requested wait was above the maximum"
                } else {
                    ""
                }
            )),
        };
        let origin = if is_new { "created" } else { "already existed" };
        endpoint_output(
            endpoint_status(waited.state(), is_new, next),
            Some(origin),
            failed,
        )
    }

    async fn model_status(&self, a: ModelStatusArgs) -> Result<ToolOutput, ToolError> {
        const TOOL: &str = "get_model_status";
        let e = match self.client.serving().get(&a.endpoint_name).await {
            Ok(e) => e,
            Err(e) => return Ok(client_error_output(TOOL, &e)),
        };
        let failed = endpoint_failed(&e);
        let next = if failed {
            Some(UPDATE_FAILED_NEXT.to_owned())
        } else if e.is_ready() {
            None
        } else {
            Some(
                "the endpoint is still deploying; call get_model_status again in a minute"
                    .to_owned(),
            )
        };
        endpoint_output(endpoint_status(&e, false, next), None, failed)
    }

    async fn invoke_model(&self, a: InvokeModelArgs) -> Result<ToolOutput, ToolError> {
        const TOOL: &str = "invoke_model";
        if !a.request.is_object() {
            return Err(ToolError::invalid_params(
                TOOL,
                "`request` must be a JSON object such as {\"dataframe_records\": [...]} or {\"messages\": [...]}",
            ));
        }
        let query: ServingQuery = serde_json::from_value(a.request).map_err(|e| {
            ToolError::invalid_params(TOOL, format!("`request` is not a serving query: {e}"))
        })?;
        match self.client.serving().query(&a.endpoint_name, &query).await {
            Ok(resp) => {
                let text_answer = resp.text().map(str::to_owned);
                let response = serde_json::to_value(&resp).map_err(|e| {
                    ToolError::internal(format!("could not serialize the response: {e}"))
                })?;
                let text = match &text_answer {
                    Some(t) => t.clone(),
                    None => response.to_string(),
                };
                ToolOutput::structured(
                    cap_text(&text, self.opts.limits.max_text_bytes, "structuredContent"),
                    &InvokeModelResult {
                        endpoint_name: a.endpoint_name,
                        text: text_answer,
                        response,
                    },
                )
            }
            Err(e) => Ok(client_error_output(TOOL, &e)),
        }
    }

    async fn create_index(&self, a: CreateIndexArgs) -> Result<ToolOutput, ToolError> {
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
        let req =
            CreateVectorIndex::delta_sync(&a.index_name, &a.endpoint_name, &a.primary_key, spec);
        match self.client.vector_search().create_index(&req).await {
            Ok(idx) => {
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
            }
            Err(e) => Ok(client_error_output(TOOL, &e)),
        }
    }

    async fn search(&self, a: SearchArgs) -> Result<ToolOutput, ToolError> {
        const TOOL: &str = "search_vectors";
        let limits = self.opts.limits;
        let cap = limits.effective_rows(a.num_results);
        let mut q = match (a.query_text, a.query_vector) {
            (Some(t), None) => VectorQuery::text(t, a.columns),
            (None, Some(v)) => VectorQuery::vector(v, a.columns),
            _ => {
                return Err(ToolError::invalid_params(
                    TOOL,
                    "give exactly one of `query_text` or `query_vector`",
                ));
            }
        };
        q = q.with_num_results(u32::try_from(cap).unwrap_or(u32::MAX));
        if let Some(f) = a.filters_json {
            q = q.with_filters_json(f);
        }
        if let Some(t) = a.query_type {
            q = q.with_query_type(t);
        }
        match self.client.vector_search().query(&a.index_name, &q).await {
            Ok(resp) => {
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
                    TableResult::from_rows(columns, resp.result.data_array, cap, 0, more, |off| {
                        MoreRows::new(None, off, "narrow the query with filters_json")
                    });
                ToolOutput::structured(table.to_text(limits.max_text_bytes), &table)
            }
            Err(e) => Ok(client_error_output(TOOL, &e)),
        }
    }
}

/// `ALREADY_EXISTS`, `RESOURCE_ALREADY_EXISTS` and Unity Catalog's `CATALOG_ALREADY_EXISTS`,
/// `SCHEMA_ALREADY_EXISTS`, `VOLUME_ALREADY_EXISTS`, ….
fn already_exists(e: &ClientError) -> bool {
    e.is_already_exists()
        || e.error_code()
            .is_some_and(|c| c.ends_with("ALREADY_EXISTS"))
}

fn not_provisioned(tool: &str, catalog: &str, e: &ClientError) -> ToolOutput {
    let mut out = client_error_output(tool, e);
    if e.is_not_found() {
        out.text.push_str(&format!(
            "\nThe tenant catalog {catalog} may not exist; create it with create_catalog first."
        ));
    }
    out
}

/// Annotations of a tool that creates objects and is safe to repeat.
fn creates() -> ToolAnnotations {
    ToolAnnotations::read_only()
        .with_read_only(false)
        .with_destructive(false)
        .with_idempotent(true)
}

/// Annotations of a tool that starts work or creates a new object on every call.
fn starts() -> ToolAnnotations {
    creates().with_idempotent(false)
}

macro_rules! tool {
    ($shared:expr, $args:ty, $out:ty, $name:expr, $title:expr, $desc:expr, $ann:expr, |$s:ident, $a:ident, $ctx:ident| $body:expr) => {{
        let shared = Arc::clone($shared);
        FnTool::new(
            ToolSpec::new::<$args, $out>($name, $desc)
                .with_title($title)
                .with_annotations($ann),
            move |$a: $args, $ctx: ToolContext| {
                let $s = Arc::clone(&shared);
                async move { $body }
            },
        )
    }};
}

impl Toolset for PlatformToolset {
    fn name(&self) -> &str {
        PLATFORM_TOOLSET
    }

    fn tools(&self) -> Vec<DynTool> {
        let sh = &self.shared;
        let prefix = &sh.opts.catalog_prefix;
        let max_wait = sh.opts.wait.max_wait.as_secs();
        vec![
            tool!(sh, CreateCatalogArgs, CatalogStatus, "create_catalog", "Create tenant catalog",
                format!("Creates the Unity Catalog catalog of a tenant (`{prefix}<tenant_id>`). Idempotent: an existing catalog is reported, not an error."),
                creates(), |s, a, _ctx| s.create_catalog(a).await),
            tool!(sh, TenantArgs, CatalogStatus, "get_catalog_status", "Tenant catalog status",
                format!("Tells whether the tenant's catalog (`{prefix}<tenant_id>`) exists, with owner and creation time."),
                ToolAnnotations::read_only(), |s, a, _ctx| s.catalog_status(a).await),
            tool!(sh, UploadDatasetArgs, UploadDatasetResult, "upload_dataset_file", "Upload dataset file",
                "Uploads a CSV, JSON or Parquet file (base64 or text) into the tenant's dataset volume and creates a table over it with read_files on the SQL warehouse; returns the table and volume paths. Refuses to replace an existing file unless `overwrite` is true (which also replaces the table).".to_owned(),
                starts(), |s, a, _ctx| s.upload_dataset(a).await),
            tool!(sh, QueryDatasetArgs, TableResult, "query_dataset", "Query tenant dataset",
                "Reads a tenant dataset, or runs a read-only SQL query restricted to the tenant's catalog, on the SQL warehouse; rows are capped.".to_owned(),
                ToolAnnotations::read_only(), |s, a, _ctx| s.query_dataset(a).await),
            tool!(sh, CreateNotebookArgs, CreateNotebookResult, "create_notebook", "Create tenant notebook",
                format!("Imports a notebook into the tenant's workspace folder (`{}/<tenant_id>/<notebook>`). Refuses to replace an existing notebook unless `overwrite` is true.", sh.opts.notebook_root),
                starts(), |s, a, _ctx| s.create_notebook(a).await),
            tool!(sh, ExecuteNotebookArgs, RunStatusOut, "execute_notebook", "Execute tenant notebook",
                format!("Runs a tenant notebook once (jobs runs/submit) with parameters. Returns the run id at once, or waits up to `wait_seconds` (at most {max_wait} s) with progress; poll with get_notebook_run_status."),
                starts(), |s, a, ctx| s.execute_notebook(a, ctx).await),
            tool!(sh, RunIdArgs, RunStatusOut, "get_notebook_run_status", "Notebook run status",
                "The state of a notebook run started by execute_notebook.".to_owned(),
                ToolAnnotations::read_only(), |s, a, _ctx| s.run_status(a).await),
            tool!(sh, CreateJobArgs, CreateJobResult, "create_job", "Create job",
                "Creates a job from Jobs API task settings with an optional cron schedule; returns the job id and its URL.".to_owned(),
                starts(), |s, a, _ctx| s.create_job(a).await),
            tool!(sh, DeployModelArgs, EndpointStatus, "deploy_model", "Deploy model",
                format!("Creates a model serving endpoint for a registered model version (workload size, scale to zero). Returns at once, or waits until READY up to `wait_seconds` (at most {max_wait} s) with progress. An existing endpoint of that name is observed, not replaced, so calling again with `wait_seconds` keeps waiting."),
                creates(), |s, a, ctx| s.deploy_model(a, ctx).await),
            tool!(sh, ModelStatusArgs, EndpointStatus, "get_model_status", "Model deployment status",
                "The state of a model serving endpoint started by deploy_model: ready or not, the configuration update in progress or failed, and the served model versions.".to_owned(),
                ToolAnnotations::read_only(), |s, a, _ctx| s.model_status(a).await),
            tool!(sh, InvokeModelArgs, InvokeModelResult, "invoke_model", "Invoke model",
                "Queries a model serving endpoint with a request body (dataframe_records, inputs, instances, messages or input).".to_owned(),
                ToolAnnotations::read_only().with_idempotent(false), |s, a, _ctx| s.invoke_model(a).await),
            tool!(sh, CreateIndexArgs, CreateIndexResult, "create_vector_index", "Create vector index",
                "Creates a Delta Sync vector search index over a source table, embedding a text column with a model endpoint or using a precomputed vector column.".to_owned(),
                starts(), |s, a, _ctx| s.create_index(a).await),
            tool!(sh, SearchArgs, TableResult, "search_vectors", "Search vectors",
                "Queries a vector search index by text or vector, with optional filters; results are capped.".to_owned(),
                ToolAnnotations::read_only(), |s, a, _ctx| s.search(a).await),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_relations() {
        assert!(check_name("t", "tenant_id", "acme_1").is_ok());
        for bad in ["", "Acme", "a-b", "a;drop", "a`b", "x".repeat(65).as_str()] {
            assert!(check_name("t", "tenant_id", bad).is_err(), "{bad}");
        }
        assert_eq!(quote("a`b"), "`a``b`");
        assert_eq!(literal("it's"), "'it\\'s'");
        assert!(check_notebook_name("t", "etl/daily").is_ok());
        assert!(check_notebook_name("t", "../x").is_err());
        assert!(check_notebook_name("t", "a//b").is_err());
    }
}
