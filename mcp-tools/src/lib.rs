#![doc = include_str!("../README.md")]
//!
//! # Layout
//!
//! - **Core, independent of any MCP SDK**: [`ToolSpec`] (name, title, description, JSON Schemas
//!   generated from typed structs, [`ToolAnnotations`]), [`ToolOutput`] (text + structured
//!   content, `isError`), [`ToolError`] (protocol errors vs errors the model can fix), the async
//!   [`Tool`] trait and the [`Registry`] (toolsets, name prefix, allowlist, read-only mode, stable
//!   order).
//! - **Result shaping** shared by every tool ([`ResultLimits`], [`TableResult`], [`cap_text`]):
//!   the row cap is pushed into the backend request, text is byte-capped, and truncation is
//!   explicit (`truncated: true` plus how to get more). Behind them, the [`Registry`] holds every
//!   channel of every result (text, structured content, error text) to one byte budget
//!   ([`RegistryBuilder::max_output_bytes`], default [`DEFAULT_MAX_OUTPUT_BYTES`]), cutting the
//!   largest values with an explicit `…[truncated: N more bytes]` marker.
//! - **Governance**, wired into the [`Registry`]: an [`AuditLog`] (one JSON line per call,
//!   secrets elided), [`Quotas`] (per-principal rate limit, concurrent-statement cap; a refused
//!   call is an `isError` result saying when to retry) and [`Metrics`] (Prometheus exposition of
//!   calls, latency, rows, bytes, backend HTTP requests and metadata cache lookups). See
//!   `docs/observability.md`.
//! - **The read-only SQL guard** ([`check_sql`]) on a real parser.
//! - **Building blocks of the toolsets**: [`FnTool`] (a tool from a spec and an async function of
//!   typed arguments), [`client_error_output`] (a Databricks error as an `isError` result with
//!   status, code, request id and the next step), [`wait_with_progress`] / [`WaitPolicy`] (long
//!   operations return an id at once, or wait with progress notifications up to a caller-set
//!   limit under a ceiling the operator sets — never a hidden timeout).
//! - **The DataSource toolset** ([`DataSourceToolset`]) over any `Arc<dyn DataSource>`:
//!   `list_models`, `describe_model`, `get_model_metrics`, `get_model_dimensions`, `query_model`,
//!   `execute_sql`, `get_statement`, `cancel_statement`.
//! - **The workspace toolset** ([`WorkspaceToolset`]) over a `databricks_client::WorkspaceClient`:
//!   health, identity, jobs (`run_job` with an idempotency token), clusters, notebooks, SQL
//!   warehouses, DBFS, Unity Catalog, command execution, model serving, vector search and Genie.
//! - **The bundle toolset** ([`BundleToolset`]) over `bundle-gen`: `analyze_notebook`,
//!   `generate_bundle`, `generate_bundle_from_job`, `validate_bundle`, `create_tests`,
//!   `upload_bundle`, `run_bundle_command`, `sync_workspace_to_local`; local paths stay under
//!   one root directory.
//! - **The platform toolset** ([`PlatformToolset`]) for per-tenant provisioning: `create_catalog`,
//!   `get_catalog_status`, `upload_dataset_file`, `query_dataset`, `create_notebook`,
//!   `execute_notebook`, `get_notebook_run_status`, `create_job`, `deploy_model`,
//!   `get_model_status`, `invoke_model`,
//!   `create_vector_index`, `search_vectors`.
//! - **Resources and prompts** ([`ResourceProvider`], [`ResourceSet`], [`WorkspaceResources`]
//!   for Unity Catalog table schemas and notebook sources, paginated; [`PromptSet`] with
//!   [`analysis_prompts`]).
//! - **The tool catalogue** ([`catalogue_markdown`]): Markdown generated from a registry
//!   (`docs/tools.md` in this repository, checked in CI).
//! - **The rmcp adapter** (feature `rmcp`, on by default) in one module, [`rmcp_adapter`]: tools,
//!   resources and prompts, and a checked line transport that answers malformed JSON-RPC
//!   ([`jsonrpc`] holds the SDK-free checks).
//!
//! # Errors
//!
//! Three layers: a request that cannot be routed (unknown tool) or a server fault is a protocol
//! error; everything the caller can act on (bad arguments, bad SQL, unknown model, a backend
//! outage) is an `isError` result whose text names the fix; transport problems stay Rust errors
//! of the SDK.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod audit;
mod budget;
mod bundle;
mod catalogue;
mod datasource;
mod explain;
mod fn_tool;
pub mod jsonrpc;
mod metrics;
mod output;
mod paging;
mod platform;
mod quotas;
mod redact;
mod registry;
mod render;
mod resources;
mod shaping;
mod shared_tools;
mod spec;
mod sql_guard;
mod tool;
mod waiting;
mod workspace;
mod workspace_resources;

#[cfg(feature = "rmcp")]
pub mod rmcp_adapter;
#[cfg(feature = "server")]
pub mod server;

pub use audit::{AUDIT_MAX_VALUE_BYTES, AuditError, AuditLog};
pub use budget::{DEFAULT_MAX_OUTPUT_BYTES, MAX_QUOTED_BYTES, MIN_MAX_OUTPUT_BYTES};
pub use bundle::{BUNDLE_TOOLSET, BundleToolset, BundleToolsetOptions};
pub use catalogue::catalogue_markdown;
pub use datasource::{DATASOURCE_TOOLSET, DataSourceToolset, DataSourceToolsetOptions};
pub use datasource_model::CallerToken;
pub use explain::{client_error_output, explain_client_error};
pub use fn_tool::FnTool;
pub use metrics::{HttpMetricsLayer, METRICS_CONTENT_TYPE, Metrics};
pub use output::{ToolError, ToolOutput, parse_args};
pub use platform::{PLATFORM_TOOLSET, PlatformToolset, PlatformToolsetOptions};
pub use quotas::{ANONYMOUS_PRINCIPAL, Quotas, QuotasBuilder, STATEMENT_TOOLS};
pub use registry::{Registry, RegistryBuilder, RegistryError};
pub use resources::{
    PromptArgumentSpec, PromptError, PromptSet, PromptTemplate, ResourceContent, ResourceError,
    ResourceInfo, ResourcePage, ResourceProvider, ResourceSet, ResourceTemplateInfo,
    analysis_prompts,
};
pub use shaping::{
    Column, DEFAULT_MAX_ROWS, DEFAULT_MAX_TEXT_BYTES, MoreRows, ResultLimits, TableResult, cap_text,
};
pub use spec::{ToolAnnotations, ToolSpec, object_schema_for};
pub use sql_guard::{SqlGuardError, SqlKind, SqlPolicy, check_sql};
pub use tool::{DynTool, Principal, Progress, ProgressSink, Tool, ToolContext, Toolset};
pub use waiting::{ProgressObserver, Step, WaitPolicy, Waited, wait_with_progress};
pub use workspace::{WORKSPACE_TOOLSET, WorkspaceToolset, WorkspaceToolsetOptions};
pub use workspace_resources::{WorkspaceResources, WorkspaceResourcesOptions};
