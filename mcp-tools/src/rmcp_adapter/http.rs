//! The HTTP and stdio halves of the adapter used by [`crate::server`]: rmcp's Streamable HTTP
//! service and its stdio service, behind types that do not name rmcp.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use rmcp::ServiceExt;
use rmcp::transport::streamable_http_server::{
    StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
};
use tokio_util::sync::CancellationToken;

use super::{CheckedTransport, McpServer};

/// An HTTP response with a boxed body (what rmcp's service answers).
pub(crate) type HttpResponse = hyper::Response<BoxBody<Bytes, Infallible>>;

/// How rmcp's Streamable HTTP service is configured.
#[derive(Debug, Clone)]
pub(crate) struct McpHttpOptions {
    /// `Host` values accepted; empty turns the check off.
    pub(crate) allowed_hosts: Vec<String>,
    /// `Origin` values accepted (`scheme://host:port`, `:*` for any port).
    pub(crate) allowed_origins: Vec<String>,
    /// No per-process session state: every request is served on its own.
    pub(crate) stateless: bool,
    /// Cancelled at the end of a graceful shutdown: closes sessions and open streams.
    pub(crate) cancel: CancellationToken,
}

/// rmcp's Streamable HTTP service over one [`McpServer`]. Cheap to clone.
#[derive(Clone)]
pub(crate) struct McpHttpService {
    inner: StreamableHttpService<McpServer, LocalSessionManager>,
}

impl std::fmt::Debug for McpHttpService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpHttpService").finish_non_exhaustive()
    }
}

impl McpHttpService {
    pub(crate) fn new(server: McpServer, options: McpHttpOptions) -> Self {
        let mut config = StreamableHttpServerConfig::default()
            .with_cancellation_token(options.cancel)
            .with_max_request_body_bytes(crate::jsonrpc::MAX_MESSAGE_BYTES);
        if options.allowed_hosts.is_empty() {
            config = config.disable_allowed_hosts();
        } else {
            config = config
                .with_allowed_hosts(options.allowed_hosts)
                .with_allowed_origins(options.allowed_origins);
        }
        if options.stateless {
            // Plain JSON answers where the handler sends no notification first: nothing a
            // replica has to remember between requests.
            config = config
                .with_legacy_session_mode(false)
                .with_json_response(true);
        }
        let inner = StreamableHttpService::new(
            move || Ok(server.clone()),
            LocalSessionManager::default().into(),
            config,
        );
        Self { inner }
    }

    /// Answers one request to `/mcp`. Extensions of `req` (the authenticated
    /// [`crate::Principal`]) reach [`McpServer`]'s `tools/call`.
    pub(crate) async fn call(
        &self,
        req: hyper::Request<http_body_util::Full<Bytes>>,
    ) -> HttpResponse {
        let mut service = self.inner.clone();
        match tower_service::Service::call(&mut service, req).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}

/// Serves one JSON-RPC message per line from `read`, answering on `write`, until the reader
/// closes. Lines that are not JSON-RPC get their `-32700`/`-32600` answer.
pub(crate) async fn serve_lines<R, W>(server: McpServer, read: R, write: W) -> Result<(), String>
where
    R: tokio::io::AsyncRead + Send + Unpin + 'static,
    W: tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let transport = CheckedTransport::new(read, write);
    match server.serve(transport).await {
        Ok(running) => running
            .waiting()
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        // The reader closed before a client completed initialization: a normal shutdown.
        Err(e) if e.to_string().contains("connection closed") => {
            tracing::info!("input closed before initialization; exiting");
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}
