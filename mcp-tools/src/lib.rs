//! Thin MCP tool adapters over `datasource-model` (and later `databricks-client` and
//! `bundle-gen`), composed into MCP servers by downstream binaries.
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
//!   explicit (`truncated: true` plus how to get more).
//! - **The read-only SQL guard** ([`check_sql`]) on a real parser.
//! - **The DataSource toolset** ([`DataSourceToolset`]) over any `Arc<dyn DataSource>`:
//!   `list_models`, `describe_model`, `get_model_metrics`, `get_model_dimensions`, `query_model`,
//!   `execute_sql`, `get_statement`, `cancel_statement`.
//! - **The workspace toolset** ([`WorkspaceToolset`]) over a `databricks_client::WorkspaceClient`:
//!   health, identity, jobs (`run_job` with an idempotency token), clusters, notebooks, SQL
//!   warehouses, DBFS, Unity Catalog, command execution, model serving, vector search and Genie.
//! - **The rmcp adapter** (feature `rmcp`, on by default) in one module, [`rmcp_adapter`].
//!
//! # Errors
//!
//! Three layers: a request that cannot be routed (unknown tool) or a server fault is a protocol
//! error; everything the caller can act on (bad arguments, bad SQL, unknown model, a backend
//! outage) is an `isError` result whose text names the fix; transport problems stay Rust errors
//! of the SDK.
//!
//! # Features
//!
//! | feature | default | what |
//! |---|---|---|
//! | `rmcp` | yes | [`rmcp_adapter::McpServer`], an rmcp `ServerHandler` over a [`Registry`] |
#![cfg_attr(docsrs, feature(doc_cfg))]

mod catalogue;
mod datasource;
mod explain;
mod fn_tool;
mod output;
mod registry;
mod resources;
mod shaping;
mod spec;
mod sql_guard;
mod tool;
mod waiting;
mod workspace;
mod workspace_resources;

#[cfg(feature = "rmcp")]
pub mod rmcp_adapter;

pub use catalogue::catalogue_markdown;
pub use datasource::{DATASOURCE_TOOLSET, DataSourceToolset, DataSourceToolsetOptions};
pub use explain::{client_error_output, explain_client_error};
pub use fn_tool::FnTool;
pub use output::{ToolError, ToolOutput, parse_args};
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
pub use tool::{DynTool, Progress, ProgressSink, Tool, ToolContext, Toolset};
pub use waiting::{Step, WaitPolicy, Waited, wait_with_progress};
pub use workspace::{WORKSPACE_TOOLSET, WorkspaceToolset, WorkspaceToolsetOptions};
pub use workspace_resources::{WorkspaceResources, WorkspaceResourcesOptions};
