//! Serving an [`McpServer`]: stdio, or Streamable HTTP with authentication, health, readiness,
//! a metrics hook and graceful shutdown (feature `server`).
//!
//! HTTP routes:
//! - `/mcp`: the MCP endpoint, with DNS-rebinding protection (`Host` and `Origin` checked) and
//!   the configured [`Auth`]; the authenticated [`Principal`] reaches every tool call
//!   ([`crate::ToolContext::principal`]);
//! - `/healthz`: 200 while the process serves;
//! - `/readyz`: 200 when the caller's readiness check passed recently, 503 otherwise and while
//!   shutting down;
//! - `/metrics`: the text of the configured metrics renderer (404 without one);
//! - `/.well-known/oauth-protected-resource[/path]`: the RFC 9728 metadata (OAuth mode).
//!
//! Without authentication the server binds loopback addresses only (and says so at start),
//! unless [`HttpConfig::insecure_no_auth`] opts out.
//!
//! ```no_run
//! use mcp_tools::Registry;
//! use mcp_tools::rmcp_adapter::McpServer;
//! use mcp_tools::server::{ApiKeys, Auth, HttpConfig, serve_http};
//!
//! # async fn run(registry: Registry) -> Result<(), mcp_tools::server::ServeError> {
//! let server = McpServer::new(registry, "my-server", "0.1.0");
//! let mut keys = ApiKeys::new();
//! if let Some(key) = ApiKeys::from_env()? {
//!     keys = keys.with_key(key);
//! }
//! let config = HttpConfig::new("0.0.0.0:8765".parse().expect("address"))
//!     .with_allowed_hosts(["my-mcp.my-namespace.svc.cluster.local"])
//!     .with_auth(Auth::ApiKeys(keys))
//!     .stateless(true);
//! serve_http(server, config).await // until SIGTERM or Ctrl-C
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

mod auth;
mod http;
mod oauth;

pub use auth::{API_KEY_ENV, ApiKey, ApiKeys, Auth};
pub use http::HttpServer;
pub use oauth::OAuthConfig;

use crate::Principal;
use crate::rmcp_adapter::McpServer;

/// A failure to start or run a server. Messages say what to change; none carries a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The listening socket could not be bound.
    #[error("binding {addr}: {source}; choose another port or stop the process using it")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// No authentication configured on an address other machines can reach.
    #[error(
        "refusing to serve {addr} without authentication: configure API keys (MCP_API_KEY or a keys file) or OAuth, bind a loopback address, or opt in explicitly to an unauthenticated server (--insecure-no-auth) behind a proxy that authenticates"
    )]
    NoAuthOnPublicAddress {
        /// The address.
        addr: SocketAddr,
    },
    /// A non-loopback bind without the host names clients use.
    #[error(
        "{addr} accepts connections from other machines: name the host names clients use (e.g. --allowed-host my-mcp.my-namespace.svc.cluster.local), or allow any host behind a proxy that checks Host (--allowed-host '*')"
    )]
    AllowedHostsMissing {
        /// The address.
        addr: SocketAddr,
    },
    /// An API key that cannot be used (the key itself is never shown).
    #[error("API key `{name}`: {reason}")]
    InvalidApiKey {
        /// The key's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The API-key file could not be read or parsed (the keys are never shown).
    #[error("API key file {}: {reason}", path.display())]
    ApiKeyFile {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line number.
        reason: String,
    },
    /// Unusable OAuth settings.
    #[error("OAuth settings: {reason}")]
    OAuthConfig {
        /// What is wrong.
        reason: String,
    },
    /// Serving stopped on an I/O error.
    #[error("serving failed: {0}")]
    Io(#[from] std::io::Error),
    /// The MCP session failed (stdio).
    #[error("MCP session failed: {0}")]
    Session(String),
}

/// A readiness check: `Ok` when the server can do useful work (e.g. the data source answers),
/// `Err(reason)` otherwise.
pub type ReadinessCheck = Arc<
    dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync + 'static,
>;

/// Renders the metrics exposition served at `/metrics` (Prometheus text format).
pub type MetricsRenderer = Arc<dyn Fn() -> String + Send + Sync + 'static>;

/// Settings of the Streamable HTTP server. Build with [`HttpConfig::new`] and the `with_*`
/// methods; serve with [`serve_http`] or [`HttpServer`].
#[derive(Clone)]
pub struct HttpConfig {
    pub(crate) addr: SocketAddr,
    pub(crate) allowed_hosts: Vec<String>,
    pub(crate) any_host: bool,
    pub(crate) auth: Auth,
    pub(crate) insecure_no_auth: bool,
    pub(crate) stateless: bool,
    pub(crate) readiness: Option<ReadinessCheck>,
    pub(crate) readiness_max_age: Duration,
    pub(crate) metrics: Option<MetricsRenderer>,
    pub(crate) shutdown_grace: Duration,
    pub(crate) identity_passthrough: bool,
}

impl fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpConfig")
            .field("addr", &self.addr)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("any_host", &self.any_host)
            .field("auth", &self.auth)
            .field("insecure_no_auth", &self.insecure_no_auth)
            .field("stateless", &self.stateless)
            .field("readiness", &self.readiness.is_some())
            .field("readiness_max_age", &self.readiness_max_age)
            .field("metrics", &self.metrics.is_some())
            .field("shutdown_grace", &self.shutdown_grace)
            .field("identity_passthrough", &self.identity_passthrough)
            .finish()
    }
}

impl HttpConfig {
    /// Serve on `addr` (port 0 picks a free port), no authentication, sessions kept in memory,
    /// always ready, 30 s for in-flight calls at shutdown.
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            allowed_hosts: Vec::new(),
            any_host: false,
            auth: Auth::None,
            insecure_no_auth: false,
            stateless: false,
            readiness: None,
            readiness_max_age: Duration::from_secs(10),
            metrics: None,
            shutdown_grace: Duration::from_secs(30),
            identity_passthrough: false,
        }
    }

    /// Host names (optionally `name:port`) accepted in `Host` besides loopback, e.g. the
    /// Kubernetes Service name. Required for a non-loopback bind; `*` turns the check off (only
    /// behind a proxy that checks `Host`).
    pub fn with_allowed_hosts(
        mut self,
        hosts: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        for host in hosts {
            let host = host.into();
            if host == "*" {
                self.any_host = true;
            } else {
                self.allowed_hosts.push(host);
            }
        }
        self
    }

    /// How `/mcp` requests are authenticated.
    pub fn with_auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Allows [`Auth::None`] on a non-loopback address (behind a proxy that authenticates).
    pub fn insecure_no_auth(mut self, yes: bool) -> Self {
        self.insecure_no_auth = yes;
        self
    }

    /// Stateless Streamable HTTP: no session state in the process, so several replicas can
    /// serve one client behind a load balancer.
    pub fn stateless(mut self, yes: bool) -> Self {
        self.stateless = yes;
        self
    }

    /// `/readyz` answers 200 when `check` passed within `max_age` (it is run again on a
    /// request once older), 503 otherwise.
    pub fn with_readiness<F, Fut>(mut self, max_age: Duration, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.readiness = Some(Arc::new(move || Box::pin(check())));
        self.readiness_max_age = max_age;
        self
    }

    /// Serves `render()` at `/metrics` as Prometheus text.
    pub fn with_metrics(mut self, render: MetricsRenderer) -> Self {
        self.metrics = Some(render);
        self
    }

    /// How long in-flight calls may run after SIGTERM/Ctrl-C before connections are closed.
    pub fn with_shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Identity pass-through: the caller's validated OAuth access token (with its expiry)
    /// reaches every tool call as [`crate::ToolContext::caller_token`], so a toolset in
    /// pass-through mode (e.g. [`crate::DataSourceToolset::with_identity_passthrough`]) runs the
    /// backend calls as the caller. Needs [`Auth::OAuth`]; off by default. The token is never
    /// logged, audited or shown.
    pub fn with_identity_passthrough(mut self, yes: bool) -> Self {
        self.identity_passthrough = yes;
        self
    }

    /// The `Host` values accepted (empty: any), after checking the bind.
    pub(crate) fn host_allowlist(&self) -> Result<Vec<String>, ServeError> {
        if self.any_host {
            return Ok(Vec::new());
        }
        if !self.addr.ip().is_loopback() && self.allowed_hosts.is_empty() {
            return Err(ServeError::AllowedHostsMissing { addr: self.addr });
        }
        let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        hosts.extend(self.allowed_hosts.iter().cloned());
        Ok(hosts)
    }
}

/// Browser origins matching an allowed host: `name` (any port) or `name:port`; IPv6 literals
/// are bracketed.
pub(crate) fn origins_for(host: &str) -> [String; 2] {
    let authority = match host.parse::<IpAddr>() {
        Ok(IpAddr::V6(_)) => format!("[{host}]:*"),
        Ok(IpAddr::V4(_)) => format!("{host}:*"),
        Err(_) if host.contains(':') => host.to_owned(),
        Err(_) => format!("{host}:*"),
    };
    [
        format!("http://{authority}"),
        format!("https://{authority}"),
    ]
}

/// Serves `server` over Streamable HTTP until SIGTERM or Ctrl-C, then lets in-flight calls
/// finish within the configured grace period.
///
/// # Errors
/// [`ServeError`] when the configuration is refused (no authentication on a public address, no
/// allowed hosts), the address cannot be bound, or accepting fails.
pub async fn serve_http(server: McpServer, config: HttpConfig) -> Result<(), ServeError> {
    let http = HttpServer::bind(server, config).await?;
    http.run(shutdown_signal()).await
}

/// Serves `server` on stdin/stdout until the client closes stdin. Lines that are not JSON-RPC
/// get their `-32700`/`-32600` answer.
///
/// # Errors
/// [`ServeError::Session`] when the MCP session fails.
pub async fn serve_stdio(server: McpServer) -> Result<(), ServeError> {
    serve_lines(server, tokio::io::stdin(), tokio::io::stdout()).await
}

/// Serves one JSON-RPC message per line from `read`, answering on `write` (stdio, or a pipe in
/// tests), until the reader closes.
///
/// # Errors
/// [`ServeError::Session`] when the MCP session fails.
pub async fn serve_lines<R, W>(server: McpServer, read: R, write: W) -> Result<(), ServeError>
where
    R: tokio::io::AsyncRead + Send + Unpin + 'static,
    W: tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    crate::rmcp_adapter::http::serve_lines(server, read, write)
        .await
        .map_err(ServeError::Session)
}

/// Resolves on SIGTERM (Unix) or Ctrl-C.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for SIGTERM; Ctrl-C only");
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received; shutting down"),
            _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C received; shutting down"),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("Ctrl-C received; shutting down");
    }
}

/// A principal for log lines and tests.
pub(crate) fn describe(principal: &Principal) -> String {
    format!("{} ({})", principal.name, principal.method)
}
