//! An MCP server over a Databricks workspace: semantic models (Unity Catalog metric views), the
//! workspace (jobs, clusters, notebooks, SQL, DBFS, Unity Catalog, command execution, serving,
//! vector search, Genie), Databricks Asset Bundles, and per-tenant platform operations; Unity
//! Catalog table schemas and notebook sources as resources; data-analysis prompts.
//!
//! ```text
//! export DATABRICKS_HOST=https://adb-123.azuredatabricks.net DATABRICKS_TOKEN=...   # or a profile
//! cargo run -p examples --example databricks-mcp-server -- \
//!     --toolsets all --catalog main --schema sales --warehouse-id abc123 \
//!     [--genie-space 01ef...] [--resource-schemas main.sales] [--notebook-root /Shared/analytics] \
//!     [--bundle-root ./bundles] [--bundle-schema schema.json] [--allow-writes] \
//!     [--transport http --port 8765]
//! ```
//!
//! Toolsets (`--toolsets`, comma-separated, `all` for every one): `datasource` (needs
//! `--catalog` and `--warehouse-id`), `workspace`, `bundle`, `platform`. Credentials come from
//! the environment (`DATABRICKS_HOST`, `DATABRICKS_TOKEN`, OAuth variables) or a
//! `~/.databrickscfg` profile (`--profile`), never from flags. Read-only by default: tools that
//! change anything are served only with `--allow-writes`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;
use databricks_client::{Config, WorkspaceClient};
use datasource_model::{DatabricksConfig, DatabricksSource, DynDataSource};
use mcp_tools::rmcp_adapter::McpServer;
use mcp_tools::{
    BUNDLE_TOOLSET, BundleToolset, BundleToolsetOptions, DATASOURCE_TOOLSET, DataSourceToolset,
    DataSourceToolsetOptions, PLATFORM_TOOLSET, PlatformToolset, PlatformToolsetOptions, Registry,
    ResourceSet, ResultLimits, WORKSPACE_TOOLSET, WaitPolicy, WorkspaceResources,
    WorkspaceResourcesOptions, WorkspaceToolset, WorkspaceToolsetOptions, analysis_prompts,
};
use secrecy::ExposeSecret;

#[path = "common/serve.rs"]
mod serve;

const ALL_TOOLSETS: [&str; 4] = [
    DATASOURCE_TOOLSET,
    WORKSPACE_TOOLSET,
    BUNDLE_TOOLSET,
    PLATFORM_TOOLSET,
];

/// Serve a Databricks workspace over MCP.
#[derive(Debug, Parser)]
#[command(name = "databricks-mcp-server")]
struct Args {
    /// Workspace URL (default: DATABRICKS_HOST or the profile's host).
    #[arg(long)]
    workspace_url: Option<String>,
    /// `~/.databrickscfg` profile for host and credentials.
    #[arg(long, env = "DATABRICKS_CONFIG_PROFILE")]
    profile: Option<String>,
    /// Read the token from this environment variable instead of DATABRICKS_TOKEN (the
    /// DataSource controller passes the Secret key kmcp exposes, e.g. `--token-env=token`).
    #[arg(long, value_name = "VAR")]
    token_env: Option<String>,
    /// Toolsets to serve (comma-separated): datasource, workspace, bundle, platform, or all.
    #[arg(long, value_delimiter = ',', default_value = "workspace")]
    toolsets: Vec<String>,
    /// Unity Catalog catalog whose metric views the datasource toolset serves.
    #[arg(long)]
    catalog: Option<String>,
    /// Restrict the datasource toolset to one schema.
    #[arg(long)]
    schema: Option<String>,
    /// Serve only these models (comma-separated metric view names).
    #[arg(long, value_delimiter = ',')]
    models: Vec<String>,
    /// SQL warehouse for queries (datasource, execute_dbsql, platform datasets).
    #[arg(long, env = "DATABRICKS_WAREHOUSE_ID")]
    warehouse_id: Option<String>,
    /// Genie space for natural-language questions (query_model `question`, genie_ask).
    #[arg(long)]
    genie_space: Option<String>,
    /// Schemas whose tables are listed as resources (comma-separated `catalog.schema`).
    #[arg(long, value_delimiter = ',')]
    resource_schemas: Vec<String>,
    /// Workspace folder whose notebooks are listed as resources.
    #[arg(long)]
    notebook_root: Option<String>,
    /// Local directory the bundle toolset reads and writes bundles under (created if missing).
    #[arg(long, default_value = "bundles")]
    bundle_root: PathBuf,
    /// The `databricks` CLI used by run_bundle_command (default: found on PATH).
    #[arg(long)]
    databricks_cli: Option<PathBuf>,
    /// The official bundle JSON schema (`databricks bundle schema > schema.json`); validate_bundle
    /// then checks against it too.
    #[arg(long, value_name = "FILE")]
    bundle_schema: Option<PathBuf>,
    /// Catalog name prefix of the platform toolset's tenants (`<prefix><tenant_id>`).
    #[arg(long, default_value = "tenant_")]
    tenant_catalog_prefix: String,
    /// Serve tools that change data, jobs, clusters or files (off: read-only).
    #[arg(long)]
    allow_writes: bool,
    /// Serve only these tools (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    tools: Vec<String>,
    /// Prefix every tool name, e.g. `dbx_`.
    #[arg(long, default_value = "")]
    prefix: String,
    /// Rows per result at most.
    #[arg(long, default_value_t = mcp_tools::DEFAULT_MAX_ROWS)]
    max_rows: usize,
    /// Bytes of text per result at most.
    #[arg(long, default_value_t = mcp_tools::DEFAULT_MAX_TEXT_BYTES)]
    max_text_bytes: usize,
    /// Bytes of each channel of a tool result at most — text, structured content, error text
    /// (256 KiB by default; at least 4 KiB). Longer values are cut with a
    /// `…[truncated: N more bytes]` marker, the result is marked truncated and says how to get
    /// the rest.
    #[arg(long, default_value_t = mcp_tools::DEFAULT_MAX_OUTPUT_BYTES)]
    max_output_bytes: usize,
    /// How long execute_sql waits before returning a statement_id to poll (milliseconds).
    #[arg(long, default_value_t = 30_000)]
    wait_timeout_ms: u64,
    /// The most a caller's `wait_seconds` may ask for (runs, cluster starts, deployments).
    #[arg(long, default_value_t = 600)]
    max_wait_seconds: u64,
    #[command(flatten)]
    transport: serve::TransportArgs,
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let toolsets = selected_toolsets(&args.toolsets)?;

    let mut config = databricks_client::ConfigBuilder::from_env();
    if let Some(url) = &args.workspace_url {
        config = config.host(url.clone());
    }
    if let Some(profile) = &args.profile {
        config = config.profile(profile.clone());
    }
    let token_from_env = match &args.token_env {
        // The value never enters the error: only the variable's name does.
        Some(var) => Some(std::env::var(var).map_err(|_| {
            anyhow::anyhow!(
                "--token-env={var}: the environment variable {var} is not set (or not UTF-8); \
                 map the credential Secret's key onto it"
            )
        })?),
        None => None,
    };
    if let Some(token) = &token_from_env {
        config = config.token(token.clone());
    }
    let config: Config = config.build().context(
        "configuring Databricks (set DATABRICKS_HOST and DATABRICKS_TOKEN, or pass --profile)",
    )?;
    let secrets = config.secret_values();
    let client = WorkspaceClient::new(config)?;

    let limits = ResultLimits::new()
        .with_max_rows(args.max_rows)
        .with_max_text_bytes(args.max_text_bytes);
    let wait = WaitPolicy::new().with_max_wait(Duration::from_secs(args.max_wait_seconds));
    let mut builder = Registry::builder()
        .prefix(args.prefix.clone())
        .read_only(!args.allow_writes)
        .max_output_bytes(args.max_output_bytes);
    // Last line of defence: no secret of the resolved config appears in tool output.
    for secret in &secrets {
        builder = builder.redact_secret(secret.expose_secret());
    }
    for name in &toolsets {
        builder = match *name {
            DATASOURCE_TOOLSET => {
                let Some(catalog) = &args.catalog else {
                    bail!(
                        "the datasource toolset needs --catalog; pass it or leave `datasource` out of --toolsets"
                    );
                };
                // Without --warehouse-id, use a warehouse this identity can run (running or
                // serverless first), as the DataSource controller does.
                let warehouse = match &args.warehouse_id {
                    Some(id) => id.clone(),
                    None => match datasource_model::discover_warehouse(&client).await? {
                        Some(w) => {
                            tracing::info!(warehouse = %w.id, name = %w.name, "discovered a SQL warehouse");
                            w.id
                        }
                        None => bail!(
                            "no usable SQL warehouse is visible to this identity: create one, or pass --warehouse-id"
                        ),
                    },
                };
                let mut databricks = DatabricksConfig::new(warehouse.clone(), catalog.clone());
                if let Some(schema) = &args.schema {
                    databricks = databricks.with_schema(schema.clone());
                }
                if let Some(space) = &args.genie_space {
                    databricks = databricks.with_genie_space_id(space.clone());
                }
                let source: Arc<DynDataSource> = Arc::new(DatabricksSource::new(
                    client.clone(),
                    &databricks,
                    Some(args.max_rows as u64),
                ));
                let options = DataSourceToolsetOptions::new()
                    .with_allow_writes(args.allow_writes)
                    .with_limits(limits)
                    .with_wait_timeout_ms(args.wait_timeout_ms)
                    .with_models(args.models.clone());
                builder.toolset(Arc::new(DataSourceToolset::new(source, options)))
            }
            WORKSPACE_TOOLSET => {
                let mut options = WorkspaceToolsetOptions::new()
                    .with_limits(limits)
                    .with_wait(wait)
                    .with_allow_writes(args.allow_writes);
                if let Some(w) = &args.warehouse_id {
                    options = options.with_warehouse_id(w.clone());
                }
                if let Some(space) = &args.genie_space {
                    options = options.with_genie_space_id(space.clone());
                }
                builder.toolset(Arc::new(WorkspaceToolset::new(client.clone(), options)))
            }
            BUNDLE_TOOLSET => {
                std::fs::create_dir_all(&args.bundle_root).with_context(|| {
                    format!("creating --bundle-root {}", args.bundle_root.display())
                })?;
                let mut options = BundleToolsetOptions::new(args.bundle_root.clone())
                    .with_limits(limits)
                    .with_wait(wait);
                if let Some(cli) = &args.databricks_cli {
                    options = options.with_cli_program(cli.clone());
                }
                if let Some(profile) = &args.profile {
                    options = options.with_profile(profile.clone());
                }
                if let Some(path) = &args.bundle_schema {
                    let text = std::fs::read_to_string(path)
                        .with_context(|| format!("reading --bundle-schema {}", path.display()))?;
                    let schema: serde_json::Value = serde_json::from_str(&text).with_context(|| {
                        format!(
                            "--bundle-schema {} is not JSON; write it with `databricks bundle schema > FILE`",
                            path.display()
                        )
                    })?;
                    options = options.with_schema(schema);
                }
                builder.toolset(Arc::new(BundleToolset::new(client.clone(), options)))
            }
            _ => {
                let mut options = PlatformToolsetOptions::new()
                    .with_catalog_prefix(args.tenant_catalog_prefix.clone())
                    .with_limits(limits)
                    .with_wait(wait);
                if let Some(w) = &args.warehouse_id {
                    options = options.with_warehouse_id(w.clone());
                }
                builder.toolset(Arc::new(PlatformToolset::new(client.clone(), options)))
            }
        };
    }
    if !args.tools.is_empty() {
        builder = builder.allow(args.tools.clone());
    }
    let registry = builder.build()?;

    let mut resource_options =
        WorkspaceResourcesOptions::new().with_max_text_bytes(args.max_text_bytes);
    for scope in &args.resource_schemas {
        resource_options = resource_options.with_table_scope(scope.clone());
    }
    if let Some(root) = &args.notebook_root {
        resource_options = resource_options.with_notebook_root(root.clone());
    }
    let resources = ResourceSet::new().with_provider(Arc::new(WorkspaceResources::new(
        client.clone(),
        resource_options,
    )));

    let server = McpServer::new(registry, "databricks-mcp-server", env!("CARGO_PKG_VERSION"))
        .with_resources(resources)
        .with_prompts(analysis_prompts())
        .with_instructions(
            "Databricks workspace tools. Start with health. Long operations (run_job, start_cluster, deploy_model, execute_notebook) return an id at once; pass wait_seconds to wait with progress, or poll the matching status tool. Table schemas and notebook sources are also resources (databricks://tables/..., databricks://notebooks/...).",
        );
    serve::serve(server, &args.transport, "databricks-mcp-server").await
}

/// The toolsets named by `--toolsets`, in the canonical order, `all` expanded.
fn selected_toolsets(names: &[String]) -> Result<Vec<&'static str>> {
    let mut chosen = Vec::new();
    for name in names {
        let name = name.trim();
        if name == "all" {
            chosen.extend(ALL_TOOLSETS);
        } else if let Some(known) = ALL_TOOLSETS.iter().find(|t| **t == name) {
            chosen.push(*known);
        } else {
            bail!(
                "unknown toolset `{name}`; available: {}, all",
                ALL_TOOLSETS.join(", ")
            );
        }
    }
    let ordered: Vec<&'static str> = ALL_TOOLSETS
        .into_iter()
        .filter(|t| chosen.contains(t))
        .collect();
    if ordered.is_empty() {
        bail!(
            "--toolsets is empty; available: {}, all",
            ALL_TOOLSETS.join(", ")
        );
    }
    Ok(ordered)
}
