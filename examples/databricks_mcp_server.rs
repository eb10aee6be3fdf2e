//! An MCP server over a Databricks workspace: semantic models (Unity Catalog metric views),
//! SQL on a warehouse, and natural-language questions through a Genie space.
//!
//! ```text
//! export DATABRICKS_HOST=https://adb-123.azuredatabricks.net DATABRICKS_TOKEN=...   # or a profile
//! cargo run -p examples --example databricks-mcp-server -- \
//!     --catalog main --schema sales --warehouse-id abc123 [--genie-space 01ef...] \
//!     [--models revenue_metrics,customer_360] [--allow-writes] [--transport http --port 8765]
//! ```
//!
//! Credentials come from the environment (`DATABRICKS_HOST`, `DATABRICKS_TOKEN`, OAuth variables)
//! or a `~/.databrickscfg` profile (`--profile`), never from flags. Read-only by default.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Parser, ValueEnum};
use datasource_model::{DataSourceConfig, DatabricksConfig, DynDataSource, Provider};
use mcp_tools::rmcp_adapter::McpServer;
use mcp_tools::{
    DATASOURCE_TOOLSET, DataSourceToolset, DataSourceToolsetOptions, Registry, ResultLimits,
};
use rmcp::ServiceExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Transport {
    Stdio,
    Http,
}

/// Serve Databricks semantic models, SQL and Genie over MCP.
#[derive(Debug, Parser)]
#[command(name = "databricks-mcp-server")]
struct Args {
    /// Workspace URL (default: DATABRICKS_HOST or the profile's host).
    #[arg(long)]
    workspace_url: Option<String>,
    /// `~/.databrickscfg` profile for host and credentials.
    #[arg(long, env = "DATABRICKS_CONFIG_PROFILE")]
    profile: Option<String>,
    /// Unity Catalog catalog whose metric views are served.
    #[arg(long)]
    catalog: String,
    /// Restrict to one schema.
    #[arg(long)]
    schema: Option<String>,
    /// Serve only these models (comma-separated metric view names).
    #[arg(long, value_delimiter = ',')]
    models: Vec<String>,
    /// SQL warehouse that runs queries.
    #[arg(long, env = "DATABRICKS_WAREHOUSE_ID")]
    warehouse_id: String,
    /// Genie space answering natural-language `question`s in query_model.
    #[arg(long)]
    genie_space: Option<String>,
    /// Let execute_sql run statements that change data (off: read-only).
    #[arg(long)]
    allow_writes: bool,
    /// Toolsets to serve (comma-separated). Available: datasource.
    #[arg(long, value_delimiter = ',', default_value = DATASOURCE_TOOLSET)]
    toolsets: Vec<String>,
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
    /// How long execute_sql waits before returning a statement_id to poll (milliseconds).
    #[arg(long, default_value_t = 30_000)]
    wait_timeout_ms: u64,
    /// stdio (default) or Streamable HTTP on 127.0.0.1.
    #[arg(long, value_enum, default_value = "stdio")]
    transport: Transport,
    /// Port for `--transport http`.
    #[arg(long, default_value_t = 8765)]
    port: u16,
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
    for toolset in &args.toolsets {
        if toolset != DATASOURCE_TOOLSET {
            bail!("unknown toolset `{toolset}`; available: {DATASOURCE_TOOLSET}");
        }
    }

    let mut databricks = DatabricksConfig::new(args.warehouse_id.clone(), args.catalog.clone());
    if let Some(url) = &args.workspace_url {
        databricks = databricks.with_host(url.clone());
    }
    if let Some(schema) = &args.schema {
        databricks = databricks.with_schema(schema.clone());
    }
    if let Some(space) = &args.genie_space {
        databricks = databricks.with_genie_space_id(space.clone());
    }
    databricks.profile = args.profile.clone();
    let config = DataSourceConfig::new(Provider::Databricks).with_databricks(databricks);
    let source: Arc<DynDataSource> = config.build().await.context(
        "connecting to Databricks (set DATABRICKS_HOST and DATABRICKS_TOKEN, or pass --profile)",
    )?;

    let mut options = DataSourceToolsetOptions::new()
        .with_allow_writes(args.allow_writes)
        .with_limits(
            ResultLimits::new()
                .with_max_rows(args.max_rows)
                .with_max_text_bytes(args.max_text_bytes),
        )
        .with_wait_timeout_ms(args.wait_timeout_ms)
        .with_models(args.models.clone());
    // Last line of defence: the token never appears in tool output.
    if let Ok(token) = std::env::var("DATABRICKS_TOKEN") {
        options = options.with_redacted_secret(token);
    }
    let mut builder = Registry::builder()
        .toolset(Arc::new(DataSourceToolset::new(source, options)))
        .prefix(args.prefix.clone())
        .read_only(!args.allow_writes);
    if !args.tools.is_empty() {
        builder = builder.allow(args.tools.clone());
    }
    let registry = builder.build()?;
    let server = McpServer::new(registry, "databricks-mcp-server", env!("CARGO_PKG_VERSION"))
        .with_instructions(
            "Databricks semantic models (metric views). Call list_models, describe_model, then query_model. execute_sql runs one statement; long statements return a statement_id for get_statement.",
        );
    match args.transport {
        Transport::Stdio => serve_stdio(server).await,
        Transport::Http => serve_http(server, args.port).await,
    }
}

async fn serve_stdio(server: McpServer) -> Result<()> {
    match server.serve(rmcp::transport::stdio()).await {
        Ok(running) => {
            running.waiting().await?;
            Ok(())
        }
        // stdin closed before a client completed initialization: a normal shutdown.
        Err(e) if e.to_string().contains("connection closed") => Ok(()),
        Err(e) => Err(e.into()),
    }
}

type HttpResponse =
    hyper::Response<http_body_util::combinators::BoxBody<bytes::Bytes, std::convert::Infallible>>;

/// Streamable HTTP on 127.0.0.1:`port` at `/mcp`, with DNS-rebinding protection (loopback
/// `Host` and `Origin` only).
async fn serve_http(server: McpServer, port: u16) -> Result<()> {
    use hyper_util::rt::TokioIo;
    use rmcp::transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
    };

    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(["localhost", "127.0.0.1", "::1"])
        .with_allowed_origins(["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"]);
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        LocalSessionManager::default().into(),
        config,
    );
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}; pass another --port"))?;
    eprintln!("databricks-mcp-server: Streamable HTTP on http://{addr}/mcp");
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let service = service.clone();
        tokio::spawn(async move {
            let hyper_service =
                hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let mut service = service.clone();
                    async move {
                        if req.uri().path() != "/mcp" {
                            return Ok::<HttpResponse, std::convert::Infallible>(not_found());
                        }
                        tower_service::Service::call(&mut service, req).await
                    }
                });
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), hyper_service)
                .await
            {
                tracing::debug!(error = %e, "HTTP connection ended with an error");
            }
        });
    }
}

fn not_found() -> HttpResponse {
    use http_body_util::BodyExt;
    let body = http_body_util::Full::new(bytes::Bytes::from_static(
        b"not found; the MCP endpoint is /mcp",
    ))
    .boxed();
    let mut response = hyper::Response::new(body);
    *response.status_mut() = hyper::StatusCode::NOT_FOUND;
    response
}
