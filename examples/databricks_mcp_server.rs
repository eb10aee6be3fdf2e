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
//! `--catalog`; a warehouse is discovered without `--warehouse-id`), `workspace`, `bundle`,
//! `platform`. Default: `workspace`, or `datasource` when `--models` is given (`--models` with
//! toolsets that leave `datasource` out is refused). `--models` takes short
//! (`revenue_metrics`) or qualified (`main.sales.revenue_metrics`) names, any case. Credentials come from
//! the environment (`DATABRICKS_HOST`, `DATABRICKS_TOKEN`, OAuth variables) or a
//! `~/.databrickscfg` profile (`--profile`), never from flags. Read-only by default: tools that
//! change anything are served only with `--allow-writes`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;
use databricks_client::{Config, WorkspaceClient};
use datasource_model::{DatabricksConfig, DatabricksSource, DynDataSource, PrincipalSources};
use mcp_tools::rmcp_adapter::McpServer;
use mcp_tools::{
    BUNDLE_TOOLSET, BundleToolset, BundleToolsetOptions, DATASOURCE_TOOLSET, DataSourceToolset,
    DataSourceToolsetOptions, PLATFORM_TOOLSET, PlatformToolset, PlatformToolsetOptions, Registry,
    ResourceSet, ResultLimits, WORKSPACE_TOOLSET, WaitPolicy, WorkspaceResources,
    WorkspaceResourcesOptions, WorkspaceToolset, WorkspaceToolsetOptions, analysis_prompts,
};
use secrecy::ExposeSecret;

#[path = "common/governance.rs"]
mod governance;
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
    /// Default: `datasource` when --models is given, `workspace` otherwise.
    #[arg(long, value_delimiter = ',')]
    toolsets: Option<Vec<String>>,
    /// Unity Catalog catalog whose metric views the datasource toolset serves.
    #[arg(long)]
    catalog: Option<String>,
    /// Restrict the datasource toolset to one schema.
    #[arg(long)]
    schema: Option<String>,
    /// Serve only these models (comma-separated metric view names, short like
    /// `revenue_metrics` or qualified like `main.sales.revenue_metrics`, any case). Implies the
    /// datasource toolset when --toolsets is not given.
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
    /// Identity pass-through (row-level security): datasource queries run with each caller's
    /// own OAuth access token as the Databricks credential, so Unity Catalog grants, row
    /// filters and column masks apply per end user. Needs `--transport http` with OAuth
    /// (--oauth-issuer); the workspace must accept the issuer's tokens (token federation).
    #[arg(long, requires = "oauth_issuer")]
    identity_passthrough: bool,
    #[command(flatten)]
    governance: governance::GovernanceArgs,
    #[command(flatten)]
    transport: serve::TransportArgs,
}

#[tokio::main]
async fn main() -> Result<()> {
    governance::init_tracing();
    let mut args = Args::parse();
    if args.identity_passthrough && !matches!(args.transport.transport, serve::Transport::Http) {
        bail!("--identity-passthrough needs --transport http with OAuth (--oauth-issuer)");
    }
    args.transport.identity_passthrough = args.identity_passthrough;
    // Non-UTF-8 variables are skipped (none of the Databricks ones may be).
    let env: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let (server, client) = build_server(&args, &env).await?;
    serve::serve(
        server,
        &args.transport,
        "databricks-mcp-server",
        Some(readiness(client)),
    )
    .await
}

/// `/readyz` for this server: ready while the workspace answers "who am I" with the server's
/// own credential (`GET /api/2.0/preview/scim/v2/Me`): the host is reachable and the credential
/// is accepted. The HTTP server re-runs it when the last success is older than its `max_age`.
fn readiness(client: WorkspaceClient) -> mcp_tools::server::ReadinessCheck {
    Arc::new(move || {
        let client = client.clone();
        Box::pin(async move {
            client
                .current_user()
                .me()
                .await
                .map(|_| ())
                .map_err(|e| format!("the workspace did not accept the server's credential: {e}"))
        })
    })
}

/// The server the flags describe, with Databricks configured from `env` (the process
/// environment in `main`; a fixed list in tests, so no test mutates the environment), and the
/// workspace client it uses (for the readiness check).
async fn build_server(
    args: &Args,
    env: &[(String, String)],
) -> Result<(McpServer, WorkspaceClient)> {
    let toolsets = toolsets_for(args.toolsets.as_deref(), &args.models)?;

    let mut config = databricks_client::ConfigBuilder::default().with_env_vars(env.to_vec());
    if let Some(url) = &args.workspace_url {
        config = config.host(url.clone());
    }
    if let Some(profile) = &args.profile {
        config = config.profile(profile.clone());
    }
    let token_from_env = match &args.token_env {
        // The value never enters the error: only the variable's name does.
        Some(var) => Some(
            env.iter()
                .find(|(k, _)| k == var)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "--token-env={var}: the environment variable {var} is not set (or not UTF-8); \
                         map the credential Secret's key onto it"
                    )
                })?,
        ),
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
    let governance = governance::Governance::from_args(&args.governance)?;
    let mut builder = governance
        .apply(Registry::builder())
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
                let source: Arc<DynDataSource> = governance.cache(Arc::new(DatabricksSource::new(
                    client.clone(),
                    &databricks,
                    Some(args.max_rows as u64),
                )));
                let options = DataSourceToolsetOptions::new()
                    .with_allow_writes(args.allow_writes)
                    .with_limits(limits)
                    .with_wait_timeout_ms(args.wait_timeout_ms)
                    .with_models(args.models.clone());
                let mut toolset = DataSourceToolset::new(source, options);
                if args.identity_passthrough {
                    // Each caller's queries run on a client holding the caller's token.
                    let per_caller = PrincipalSources::databricks(
                        &databricks.clone().with_host(client.host().as_str()),
                        Some(args.max_rows as u64),
                    )?;
                    toolset = toolset.with_identity_passthrough(Arc::new(per_caller));
                }
                builder.toolset(Arc::new(toolset))
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
    Ok((server, client))
}

/// The toolsets to serve: `--toolsets` as given, or its default (`datasource` when `--models`
/// selects models, `workspace` otherwise). `--models` with toolsets that leave `datasource` out
/// is refused: the selection would silently serve nothing.
fn toolsets_for(toolsets: Option<&[String]>, models: &[String]) -> Result<Vec<&'static str>> {
    let has_models = models.iter().any(|m| !m.trim().is_empty());
    let Some(names) = toolsets else {
        return Ok(vec![if has_models {
            DATASOURCE_TOOLSET
        } else {
            WORKSPACE_TOOLSET
        }]);
    };
    let chosen = selected_toolsets(names)?;
    if has_models && !chosen.contains(&DATASOURCE_TOOLSET) {
        bail!(
            "--models selects models of the datasource toolset, but --toolsets={} leaves it out; add datasource (e.g. --toolsets=datasource,{}) or drop --models",
            names.join(","),
            names.join(",")
        );
    }
    Ok(chosen)
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

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::ServiceExt;
    use rmcp::model::CallToolRequestParams;
    use serde_json::{Value, json};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    /// The kagent proposal's command line, exactly as the generated manifests pass it.
    const PROPOSAL_FLAGS: [&str; 5] = [
        "databricks-mcp-server",
        "--catalog=main",
        "--schema=sales",
        "--models=revenue_metrics,customer_360",
        "--toolsets=datasource",
    ];

    /// A workspace with one running warehouse and two metric views in `main.sales` (plus a
    /// managed table and a metric view in another schema, which must not be served).
    async fn workspace() -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/api/2.0/sql/warehouses"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "warehouses": [{"id": "wh1", "name": "Serverless", "state": "RUNNING"}]
            })))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/2.1/unity-catalog/table-summaries"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "tables": [
                    {"full_name": "main.sales.revenue_metrics", "table_type": "METRIC_VIEW"},
                    {"full_name": "main.sales.orders", "table_type": "MANAGED"},
                    {"full_name": "main.sales.customer_360", "table_type": "METRIC_VIEW"},
                    {"full_name": "main.sales.churn_metrics", "table_type": "METRIC_VIEW"}
                ]
            })))
            .mount(&server)
            .await;
        server
    }

    fn env(server: &MockServer) -> Vec<(String, String)> {
        vec![
            ("DATABRICKS_HOST".to_owned(), server.uri()),
            ("DATABRICKS_TOKEN".to_owned(), "dapi-test".to_owned()),
        ]
    }

    /// Starts the composed server on an in-process pipe and returns a connected client.
    async fn connect(
        flags: &[&str],
        server: &MockServer,
    ) -> Result<rmcp::service::RunningService<rmcp::RoleClient, ()>> {
        let args = Args::try_parse_from(flags)?;
        let (mcp, _) = build_server(&args, &env(server)).await?;
        let (server_io, client_io) = tokio::io::duplex(1 << 20);
        tokio::spawn(async move {
            if let Ok(running) = mcp.serve(server_io).await {
                let _ = running.waiting().await;
            }
        });
        Ok(().serve(client_io).await?)
    }

    async fn list_models(
        client: &rmcp::service::RunningService<rmcp::RoleClient, ()>,
    ) -> Result<(Value, String)> {
        let result = client
            .call_tool(CallToolRequestParams::new("list_models"))
            .await?;
        let text: String = result
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.clone()))
            .collect();
        anyhow::ensure!(result.is_error != Some(true), "list_models failed: {text}");
        Ok((result.structured_content.unwrap_or_default(), text))
    }

    #[tokio::test]
    async fn the_proposal_flags_list_both_models() -> Result<()> {
        let server = workspace().await;
        let client = connect(&PROPOSAL_FLAGS, &server).await?;
        let (models, text) = list_models(&client).await?;
        assert_eq!(models["count"], 2, "{text}");
        let names: Vec<&str> = models["models"]
            .as_array()
            .context("models")?
            .iter()
            .filter_map(|m| m["name"].as_str())
            .collect();
        assert_eq!(
            names,
            ["main.sales.revenue_metrics", "main.sales.customer_360"]
        );
        assert!(models.get("not_found").is_none(), "{models}");
        assert!(text.starts_with("2 models"), "{text}");
        Ok(())
    }

    #[tokio::test]
    async fn qualified_and_mixed_case_models_select_the_same_views() -> Result<()> {
        let server = workspace().await;
        for models in [
            "--models=main.sales.revenue_metrics,main.sales.customer_360",
            "--models=REVENUE_METRICS,sales.Customer_360",
            "--models=revenue_metrics,customer_360,missing_view",
        ] {
            let flags = [
                "databricks-mcp-server",
                "--catalog=main",
                "--schema=sales",
                models,
                "--toolsets=datasource",
            ];
            let client = connect(&flags, &server).await?;
            let (listed, text) = list_models(&client).await?;
            assert_eq!(listed["count"], 2, "{models}: {text}");
            if models.contains("missing_view") {
                assert_eq!(listed["not_found"], json!(["missing_view"]), "{text}");
                assert!(text.contains("missing_view"), "{text}");
            }
        }
        Ok(())
    }

    #[tokio::test]
    async fn models_without_toolsets_serve_the_model_tools() -> Result<()> {
        let server = workspace().await;
        let client = connect(&PROPOSAL_FLAGS[..4], &server).await?;
        let tools: Vec<String> = client
            .list_all_tools()
            .await?
            .iter()
            .map(|t| t.name.to_string())
            .collect();
        for t in [
            "list_models",
            "describe_model",
            "query_model",
            "execute_sql",
        ] {
            assert!(tools.iter().any(|n| n == t), "{t} missing from {tools:?}");
        }
        let (models, text) = list_models(&client).await?;
        assert_eq!(models["count"], 2, "{text}");
        Ok(())
    }

    #[tokio::test]
    async fn models_with_toolsets_that_leave_datasource_out_fail_at_startup() -> Result<()> {
        let server = workspace().await;
        for toolsets in [
            "--toolsets=workspace",
            "--toolsets=bundle,platform",
            "--toolsets=workspace,bundle",
        ] {
            let flags = [
                "databricks-mcp-server",
                "--catalog=main",
                "--models=revenue_metrics",
                toolsets,
            ];
            let Err(e) = connect(&flags, &server).await else {
                panic!("{toolsets} with --models must fail");
            };
            let message = format!("{e:#}");
            assert!(
                message.contains("--models") && message.contains("add datasource"),
                "{toolsets}: {message}"
            );
        }
        Ok(())
    }

    #[tokio::test]
    async fn identity_passthrough_needs_oauth_and_never_falls_back() -> Result<()> {
        let mut flags = PROPOSAL_FLAGS.to_vec();
        flags.push("--identity-passthrough");
        let err = Args::try_parse_from(&flags).expect_err("needs --oauth-issuer");
        assert!(err.to_string().contains("--oauth-issuer"), "{err}");
        // With OAuth flags but a call that carries no user token (this in-process pipe): the
        // datasource tools refuse instead of running as the server's identity.
        flags.extend([
            "--oauth-issuer=https://issuer.test",
            "--oauth-audience=http://127.0.0.1:8765/mcp",
        ]);
        let server = workspace().await;
        let client = connect(&flags, &server).await?;
        let err = list_models(&client).await.expect_err("refused");
        assert!(
            format!("{err:#}").contains("identity pass-through"),
            "{err:#}"
        );
        client.cancel().await?;
        Ok(())
    }

    /// `/readyz` follows the workspace's answer to "who am I" with the server's credential, and
    /// the reason given when not ready never carries the token.
    #[tokio::test]
    async fn readiness_follows_the_workspace_identity_check() -> Result<()> {
        let server = workspace().await;
        let args = Args::try_parse_from(["databricks-mcp-server"])?;
        let (_, client) = build_server(&args, &env(&server)).await?;
        let check = readiness(client);

        Mock::given(method("GET"))
            .and(path("/api/2.0/preview/scim/v2/Me"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": "1", "userName": "svc@example.com"
            })))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/2.0/preview/scim/v2/Me"))
            .respond_with(ResponseTemplate::new(401).set_body_json(json!({
                "error_code": "UNAUTHENTICATED", "message": "Invalid access token."
            })))
            .mount(&server)
            .await;

        check().await.map_err(anyhow::Error::msg)?;
        let reason = check()
            .await
            .expect_err("a refused credential is not ready");
        assert!(reason.contains("credential"), "{reason}");
        assert!(reason.contains("Invalid access token"), "{reason}");
        assert!(!reason.contains("dapi-test"), "{reason}");
        let me = server
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path() == "/api/2.0/preview/scim/v2/Me")
            .count();
        assert_eq!(me, 2, "one identity call per check");
        Ok(())
    }

    #[test]
    fn toolset_defaults_follow_models() -> Result<()> {
        let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(toolsets_for(None, &[])?, [WORKSPACE_TOOLSET]);
        assert_eq!(toolsets_for(None, &names(&["", " "]))?, [WORKSPACE_TOOLSET]);
        assert_eq!(toolsets_for(None, &names(&["a"]))?, [DATASOURCE_TOOLSET]);
        assert_eq!(
            toolsets_for(Some(&names(&["all"])[..]), &names(&["a"]))?,
            ALL_TOOLSETS
        );
        assert_eq!(
            toolsets_for(
                Some(&names(&["workspace", "datasource"])[..]),
                &names(&["a"])
            )?,
            [DATASOURCE_TOOLSET, WORKSPACE_TOOLSET]
        );
        assert_eq!(
            toolsets_for(Some(&names(&["workspace"])[..]), &[])?,
            [WORKSPACE_TOOLSET]
        );
        assert!(toolsets_for(Some(&names(&["workspace"])[..]), &names(&["a"])).is_err());
        assert!(toolsets_for(Some(&names(&["nope"])[..]), &[]).is_err());
        Ok(())
    }
}

#[cfg(test)]
#[path = "databricks_mcp_server/workload_identity.rs"]
mod workload_identity;
