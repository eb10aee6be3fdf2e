//! Transport and authentication flags shared by the example MCP servers; the serving itself is
//! `mcp_tools::server`. Included by each server with `#[path = "common/serve.rs"] mod serve;`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use mcp_tools::rmcp_adapter::McpServer;
use mcp_tools::server::{
    API_KEY_ENV, ApiKeys, Auth, HttpConfig, HttpServer, OAuthConfig, ReadinessCheck,
};

/// How the server talks to its client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Transport {
    /// JSON-RPC over stdin/stdout (IDEs, Claude Desktop, kagent's stdio MCPServer).
    Stdio,
    /// Streamable HTTP at `/mcp` (plus `/healthz`, `/readyz`).
    Http,
}

/// Transport and authentication flags.
#[derive(Debug, Clone, Args)]
pub(crate) struct TransportArgs {
    /// Pass the caller's OAuth access token to the tools (set by a server's own
    /// `--identity-passthrough` flag; not a flag here).
    #[arg(skip)]
    pub(crate) identity_passthrough: bool,
    /// stdio (default) or Streamable HTTP.
    #[arg(long, value_enum, default_value = "stdio")]
    pub(crate) transport: Transport,
    /// Address to bind with `--transport http`. Loopback by default; use 0.0.0.0 in a container
    /// together with `--allowed-host` and authentication.
    #[arg(long, default_value = "127.0.0.1")]
    pub(crate) host: IpAddr,
    /// Port for `--transport http`.
    #[arg(long, default_value_t = 8765)]
    pub(crate) port: u16,
    /// Host names (optionally `name:port`) accepted in the `Host` header besides loopback, e.g.
    /// the Kubernetes Service name. Required when `--host` is not a loopback address; `*` turns
    /// the check off (only behind a proxy that checks `Host` itself).
    #[arg(long = "allowed-host", value_delimiter = ',')]
    pub(crate) allowed_hosts: Vec<String>,
    /// API keys accepted as `Authorization: Bearer <key>`: a file of `name:key` lines. The
    /// `MCP_API_KEY` environment variable adds one more key, named `default`.
    #[arg(long, value_name = "FILE")]
    pub(crate) api_key_file: Option<PathBuf>,
    /// OAuth 2.1: the issuer (`iss`) whose access tokens are accepted.
    #[arg(long, requires = "oauth_audience", conflicts_with = "api_key_file")]
    pub(crate) oauth_issuer: Option<String>,
    /// OAuth 2.1: this server's resource URL as clients reach it (the required `aud`), e.g.
    /// `https://mcp.example.com/mcp`.
    #[arg(long, requires = "oauth_issuer")]
    pub(crate) oauth_audience: Option<String>,
    /// OAuth 2.1: the issuer's JWKS URL (default: found in the issuer's metadata).
    #[arg(long, requires = "oauth_issuer")]
    pub(crate) oauth_jwks_url: Option<String>,
    /// OAuth 2.1: scopes every token must carry (comma-separated); otherwise 403.
    #[arg(
        long = "required-scope",
        value_delimiter = ',',
        requires = "oauth_issuer"
    )]
    pub(crate) required_scopes: Vec<String>,
    /// Stateless Streamable HTTP (no session state in the process): run several replicas
    /// behind one Service.
    #[arg(long)]
    pub(crate) stateless: bool,
    /// Serve without authentication on a non-loopback address (only behind a proxy that
    /// authenticates).
    #[arg(long)]
    pub(crate) insecure_no_auth: bool,
    /// Seconds in-flight calls may take to finish after SIGTERM.
    #[arg(long, default_value_t = 30)]
    pub(crate) shutdown_grace_seconds: u64,
}

impl TransportArgs {
    /// The authentication the flags and `MCP_API_KEY` ask for.
    fn auth(&self) -> Result<Auth> {
        if let (Some(issuer), Some(audience)) = (&self.oauth_issuer, &self.oauth_audience) {
            if std::env::var_os(API_KEY_ENV).is_some() {
                bail!(
                    "{API_KEY_ENV} is set together with --oauth-issuer: choose one authentication mode"
                );
            }
            let mut oauth = OAuthConfig::new(issuer.clone(), audience)?
                .with_required_scopes(self.required_scopes.iter().cloned());
            if let Some(jwks) = &self.oauth_jwks_url {
                oauth = oauth.with_jwks_url(jwks)?;
            }
            return Ok(Auth::OAuth(Box::new(oauth)));
        }
        let mut keys = match &self.api_key_file {
            Some(path) => ApiKeys::from_file(path)?,
            None => ApiKeys::new(),
        };
        if let Some(key) = ApiKeys::from_env()? {
            keys = keys.with_key(key);
        }
        Ok(if keys.is_empty() {
            Auth::None
        } else {
            Auth::ApiKeys(keys)
        })
    }

    /// The HTTP settings the flags describe.
    pub(crate) fn http_config(&self) -> Result<HttpConfig> {
        Ok(HttpConfig::new(SocketAddr::new(self.host, self.port))
            .with_allowed_hosts(self.allowed_hosts.iter().cloned())
            .with_auth(self.auth()?)
            .insecure_no_auth(self.insecure_no_auth)
            .stateless(self.stateless)
            .with_identity_passthrough(self.identity_passthrough)
            .with_shutdown_grace(Duration::from_secs(self.shutdown_grace_seconds)))
    }
}

/// Serves `server` on the chosen transport until the client leaves (stdio) or SIGTERM/Ctrl-C
/// (HTTP). `readiness`, when given, backs `/readyz`; `/metrics` serves the process's metrics.
pub(crate) async fn serve(
    server: McpServer,
    args: &TransportArgs,
    name: &str,
    readiness: Option<ReadinessCheck>,
) -> Result<()> {
    match args.transport {
        Transport::Stdio => Ok(mcp_tools::server::serve_stdio(server).await?),
        Transport::Http => {
            // `/metrics`: the process's metrics (tool calls, latency, backend requests, cache).
            let mut config = args
                .http_config()?
                .with_metrics(crate::governance::process_metrics().renderer());
            if let Some(check) = readiness {
                config = config.with_readiness(Duration::from_secs(30), move || check());
            }
            let http = HttpServer::bind(server, config)
                .await
                .with_context(|| format!("{name}: starting the HTTP server"))?;
            eprintln!(
                "{name}: Streamable HTTP on http://{}/mcp",
                http.local_addr()
            );
            Ok(http.run(mcp_tools::server::shutdown_signal()).await?)
        }
    }
}
