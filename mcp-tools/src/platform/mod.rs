//! The platform toolset: per-tenant provisioning on Databricks as thin adapters over
//! [`databricks_client::platform`], where the tenant policy, naming rules and recipes live.
//!
//! Each tenant gets a Unity Catalog catalog named `{catalog_prefix}{tenant_id}`; tenant ids are
//! limited to `[a-z0-9_]` so every derived name is safe. Every tool parses its arguments, makes
//! one library call and renders the result. Tools: `create_catalog`, `get_catalog_status`
//! (`catalog.rs`), `upload_dataset_file`, `query_dataset` (`datasets.rs`), `create_notebook`,
//! `execute_notebook`, `get_notebook_run_status`, `create_job` (`notebooks.rs`),
//! `deploy_model`, `get_model_status`, `invoke_model` (`serving.rs`), `create_vector_index`,
//! `search_vectors` (`vectors.rs`).

mod catalog;
mod datasets;
mod notebooks;
mod serving;
mod vectors;

use std::fmt;
use std::sync::Arc;

use databricks_client::WorkspaceClient;
use databricks_client::platform::{PlatformError, TenantPlatform, TenantPolicy};

use crate::{
    DynTool, ResultLimits, ToolAnnotations, ToolError, ToolOutput, Toolset, WaitPolicy,
    client_error_output,
};

/// Name of this toolset (for `--toolsets` filters).
pub const PLATFORM_TOOLSET: &str = "platform";

/// Options of the platform toolset.
#[non_exhaustive]
#[derive(Debug, Clone, Default)]
pub struct PlatformToolsetOptions {
    /// The tenant policy: catalog prefix (default `tenant_`), notebook root (default
    /// `/Shared/tenants`), dataset schema (default `datasets`) and volume (default `uploads`).
    pub policy: TenantPolicy,
    /// SQL warehouse for `upload_dataset_file` and `query_dataset`.
    pub warehouse_id: Option<String>,
    /// Managed storage root for new tenant catalogs (metastores without a default need one).
    pub storage_root: Option<String>,
    /// Ceiling and polling of waits (`wait_seconds`).
    pub wait: WaitPolicy,
    /// Row and byte caps.
    pub limits: ResultLimits,
}

impl PlatformToolsetOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the tenant policy (naming rules and where tenant objects live).
    pub fn with_policy(mut self, policy: TenantPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets the tenant catalog prefix ([`TenantPolicy::with_catalog_prefix`]).
    pub fn with_catalog_prefix(self, prefix: impl Into<String>) -> Self {
        self.map_policy(|p| p.with_catalog_prefix(prefix))
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

    /// Sets the workspace folder of tenant notebooks ([`TenantPolicy::with_notebook_root`]).
    pub fn with_notebook_root(self, root: impl Into<String>) -> Self {
        self.map_policy(|p| p.with_notebook_root(root))
    }

    /// Sets the dataset schema name ([`TenantPolicy::with_dataset_schema`]).
    pub fn with_dataset_schema(self, schema: impl Into<String>) -> Self {
        self.map_policy(|p| p.with_dataset_schema(schema))
    }

    /// Sets the dataset volume name ([`TenantPolicy::with_dataset_volume`]).
    pub fn with_dataset_volume(self, volume: impl Into<String>) -> Self {
        self.map_policy(|p| p.with_dataset_volume(volume))
    }

    fn map_policy(mut self, f: impl FnOnce(TenantPolicy) -> TenantPolicy) -> Self {
        self.policy = f(std::mem::take(&mut self.policy));
        self
    }

    /// The library platform these options describe.
    fn platform(&self, client: WorkspaceClient) -> TenantPlatform {
        let mut platform = TenantPlatform::new(client, self.policy.clone())
            .with_statement_timeout(self.wait.max_wait);
        if let Some(w) = &self.warehouse_id {
            platform = platform.with_warehouse_id(w);
        }
        if let Some(r) = &self.storage_root {
            platform = platform.with_storage_root(r);
        }
        platform
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

/// What every platform tool holds: the library platform and the toolset options.
struct Shared {
    platform: TenantPlatform,
    opts: PlatformToolsetOptions,
}

impl Shared {
    fn client(&self) -> &WorkspaceClient {
        self.platform.client()
    }
}

impl fmt::Debug for PlatformToolset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformToolset")
            .field("catalog_prefix", &self.shared.opts.policy.catalog_prefix())
            .finish_non_exhaustive()
    }
}

impl PlatformToolset {
    /// A toolset calling the workspace through `client`.
    pub fn new(client: WorkspaceClient, options: PlatformToolsetOptions) -> Self {
        Self {
            shared: Arc::new(Shared {
                platform: options.platform(client),
                opts: options,
            }),
        }
    }
}

impl Toolset for PlatformToolset {
    fn name(&self) -> &str {
        PLATFORM_TOOLSET
    }

    fn tools(&self) -> Vec<DynTool> {
        let s = &self.shared;
        vec![
            catalog::create_catalog(s),
            catalog::get_catalog_status(s),
            datasets::upload_dataset_file(s),
            datasets::query_dataset(s),
            notebooks::create_notebook(s),
            notebooks::execute_notebook(s),
            notebooks::get_notebook_run_status(s),
            notebooks::create_job(s),
            serving::deploy_model(s),
            serving::get_model_status(s),
            serving::invoke_model(s),
            vectors::create_vector_index(s),
            vectors::search_vectors(s),
        ]
    }
}

/// A [`PlatformError`] as tool output: broken names and inputs are invalid parameters; a
/// missing warehouse names the operator's fix; refused SQL says why; client errors keep their
/// status, code and next step ([`client_error_output`]).
fn platform_error(tool: &str, e: &PlatformError) -> Result<ToolOutput, ToolError> {
    match e {
        PlatformError::InvalidName { .. } | PlatformError::InvalidInput(_) => {
            Err(ToolError::invalid_params(tool, e.to_string()))
        }
        PlatformError::NoWarehouse => Ok(ToolOutput::error(format!(
            "{tool}: no SQL warehouse is configured; the operator must start the server with a warehouse id (PlatformToolsetOptions::with_warehouse_id, e.g. `--warehouse-id`)"
        ))),
        other => Ok(match other.client_error() {
            Some(c) => client_error_output(tool, c),
            None => ToolOutput::error(format!("{tool}: {other}")),
        }),
    }
}

/// Unwraps a library result, or returns its rendering from the tool.
macro_rules! lib_call {
    ($tool:expr, $e:expr) => {
        match $e {
            Ok(v) => v,
            Err(err) => return $crate::platform::platform_error($tool, &err),
        }
    };
}
use lib_call;

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
