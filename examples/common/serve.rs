//! Transports shared by the example MCP servers: stdio, and Streamable HTTP at `/mcp` with
//! DNS-rebinding protection. Included by each server with `#[path = "common/serve.rs"] mod serve;`.

use std::net::{IpAddr, SocketAddr};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use mcp_tools::rmcp_adapter::{CheckedTransport, McpServer};
use rmcp::ServiceExt;

/// How the server talks to its client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Transport {
    /// JSON-RPC over stdin/stdout (IDEs, Claude Desktop, kagent's stdio MCPServer).
    Stdio,
    /// Streamable HTTP at `/mcp`.
    Http,
}

/// Transport flags.
#[derive(Debug, Clone, Args)]
pub(crate) struct TransportArgs {
    /// stdio (default) or Streamable HTTP.
    #[arg(long, value_enum, default_value = "stdio")]
    pub(crate) transport: Transport,
    /// Address to bind with `--transport http`. Loopback by default; use 0.0.0.0 in a container
    /// together with `--allowed-host`.
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
}

/// Serves `server` on the chosen transport until the client leaves (stdio) or Ctrl-C (HTTP).
pub(crate) async fn serve(server: McpServer, args: &TransportArgs, name: &str) -> Result<()> {
    match args.transport {
        Transport::Stdio => serve_stdio(server).await,
        Transport::Http => serve_http(server, args, name).await,
    }
}

/// stdio through the checked transport: a line that is not JSON-RPC gets its `-32700`/`-32600`
/// answer instead of being dropped (rmcp's own stdio transport drops it).
async fn serve_stdio(server: McpServer) -> Result<()> {
    serve_lines(server, tokio::io::stdin(), tokio::io::stdout()).await
}

/// Serves one JSON-RPC message per line from `read`, answers on `write` (stdio, or a pipe in
/// tests), until the reader closes.
pub(crate) async fn serve_lines<R, W>(server: McpServer, read: R, write: W) -> Result<()>
where
    R: tokio::io::AsyncRead + Send + Unpin + 'static,
    W: tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let transport = CheckedTransport::new(read, write);
    match server.serve(transport).await {
        Ok(running) => {
            running.waiting().await?;
            Ok(())
        }
        // stdin closed before a client completed initialization: a normal shutdown.
        Err(e) if e.to_string().contains("connection closed") => {
            tracing::info!("stdin closed before initialization; exiting");
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

type HttpResponse =
    hyper::Response<http_body_util::combinators::BoxBody<bytes::Bytes, std::convert::Infallible>>;

/// The `Host` values accepted: loopback always, plus `--allowed-host`; empty means any.
fn allowed_hosts(args: &TransportArgs) -> Result<Vec<String>> {
    if args.allowed_hosts.iter().any(|h| h == "*") {
        return Ok(Vec::new());
    }
    if !args.host.is_loopback() && args.allowed_hosts.is_empty() {
        bail!(
            "--host {} accepts connections from other machines: name the host names clients use with --allowed-host (e.g. --allowed-host my-mcp.my-namespace.svc.cluster.local), or pass --allowed-host '*' behind a proxy that checks Host",
            args.host
        );
    }
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    hosts.extend(args.allowed_hosts.iter().cloned());
    Ok(hosts)
}

/// Streamable HTTP on `host:port` at `/mcp`, with DNS-rebinding protection (`Host` and `Origin`
/// checked).
async fn serve_http(server: McpServer, args: &TransportArgs, name: &str) -> Result<()> {
    use hyper_util::rt::TokioIo;
    use rmcp::transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
    };

    let hosts = allowed_hosts(args)?;
    let mut config = StreamableHttpServerConfig::default();
    if hosts.is_empty() {
        config = config.disable_allowed_hosts();
    } else {
        let origins: Vec<String> = hosts.iter().flat_map(|h| origins_for(h)).collect();
        config = config
            .with_allowed_hosts(hosts)
            .with_allowed_origins(origins);
    }
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        LocalSessionManager::default().into(),
        config,
    );
    let addr = SocketAddr::new(args.host, args.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}; pass another --port"))?;
    eprintln!("{name}: Streamable HTTP on http://{addr}/mcp");
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
                        match checked_body(req).await {
                            Ok(req) => tower_service::Service::call(&mut service, req).await,
                            Err(response) => Ok(response),
                        }
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

/// A POST body checked as one JSON-RPC message before rmcp sees it: a body that is not JSON,
/// not UTF-8, nested too deep or not a JSON-RPC object is answered with HTTP 400 and the JSON-RPC
/// error (`-32700`/`-32600`, `"id": null`); rmcp alone would answer 415 with plain text. Other
/// methods pass through unread.
pub(crate) async fn checked_body<B>(
    req: hyper::Request<B>,
) -> std::result::Result<hyper::Request<http_body_util::Full<bytes::Bytes>>, HttpResponse>
where
    B: hyper::body::Body<Data = bytes::Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    use http_body_util::BodyExt;
    use mcp_tools::jsonrpc::{
        Checked, INVALID_REQUEST, MAX_MESSAGE_BYTES, PARSE_ERROR, Rejection, check_message,
    };

    let (parts, body) = req.into_parts();
    let collected = http_body_util::Limited::new(body, MAX_MESSAGE_BYTES)
        .collect()
        .await;
    let bytes = match collected {
        Ok(c) => c.to_bytes(),
        Err(e) => {
            let too_large = e.is::<http_body_util::LengthLimitError>();
            let rejection = Rejection::new(
                INVALID_REQUEST,
                if too_large {
                    format!(
                        "Invalid Request: the body is larger than {MAX_MESSAGE_BYTES} bytes; send smaller arguments"
                    )
                } else {
                    "Invalid Request: the body could not be read; send it again".to_owned()
                },
                serde_json::Value::Null,
            );
            let status = if too_large {
                hyper::StatusCode::PAYLOAD_TOO_LARGE
            } else {
                hyper::StatusCode::BAD_REQUEST
            };
            return Err(jsonrpc_error(status, &rejection));
        }
    };
    if parts.method == hyper::Method::POST {
        let rejection = match check_message(&bytes) {
            Ok(Checked::Message(_)) => None,
            Ok(_) => Some(Rejection::new(
                PARSE_ERROR,
                "Parse error: the body is empty; POST one JSON-RPC object",
                serde_json::Value::Null,
            )),
            Err(rejection) => Some(rejection),
        };
        if let Some(rejection) = rejection {
            return Err(jsonrpc_error(hyper::StatusCode::BAD_REQUEST, &rejection));
        }
    }
    Ok(hyper::Request::from_parts(
        parts,
        http_body_util::Full::new(bytes),
    ))
}

fn jsonrpc_error(
    status: hyper::StatusCode,
    rejection: &mcp_tools::jsonrpc::Rejection,
) -> HttpResponse {
    use http_body_util::BodyExt;
    let body =
        http_body_util::Full::new(bytes::Bytes::from(rejection.to_json().to_string())).boxed();
    let mut response = hyper::Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

/// Browser origins matching an allowed host: `name` (any port) or `name:port`; IPv6 literals
/// are bracketed.
fn origins_for(host: &str) -> [String; 2] {
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
