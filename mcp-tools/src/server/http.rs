//! The HTTP front: routing, authentication, body checks, health, readiness, metrics and
//! graceful shutdown around rmcp's Streamable HTTP service.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use hyper::body::{Body, Frame, SizeHint};
use hyper::{Method, Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::auth::{Auth, Authenticator, Refusal};
use super::oauth::WELL_KNOWN;
use super::{HttpConfig, MetricsRenderer, ReadinessCheck, ServeError, origins_for};
use crate::jsonrpc::{
    Checked, INVALID_REQUEST, MAX_MESSAGE_BYTES, PARSE_ERROR, Rejection, check_message,
};
use crate::rmcp_adapter::McpServer;
use crate::rmcp_adapter::http::{HttpResponse, McpHttpOptions, McpHttpService};

/// A bound Streamable HTTP server; [`HttpServer::run`] serves it.
///
/// [`super::serve_http`] is `bind` + `run` until SIGTERM/Ctrl-C; use this type to learn the
/// port (bind to port 0) or to choose the shutdown trigger.
///
/// ```no_run
/// use mcp_tools::rmcp_adapter::McpServer;
/// use mcp_tools::server::{HttpConfig, HttpServer};
///
/// # async fn run(server: McpServer) -> Result<(), mcp_tools::server::ServeError> {
/// let http = HttpServer::bind(server, HttpConfig::new("127.0.0.1:0".parse().expect("addr"))).await?;
/// println!("serving http://{}/mcp", http.local_addr());
/// http.run(async { let _ = tokio::signal::ctrl_c().await; }).await
/// # }
/// ```
#[derive(Debug)]
pub struct HttpServer {
    listener: tokio::net::TcpListener,
    local_addr: SocketAddr,
    state: Arc<State>,
}

struct State {
    mcp: McpHttpService,
    auth: Authenticator,
    identity_passthrough: bool,
    readiness: Option<ReadinessCheck>,
    readiness_max_age: Duration,
    ready_at: Mutex<Option<Instant>>,
    metrics: Option<MetricsRenderer>,
    shutting_down: AtomicBool,
    inflight: Arc<AtomicUsize>,
    grace: Duration,
    cancel: CancellationToken,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("auth", &self.auth)
            .field("inflight", &self.inflight.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl HttpServer {
    /// Checks `config` and binds its address.
    ///
    /// # Errors
    /// [`ServeError::NoAuthOnPublicAddress`], [`ServeError::AllowedHostsMissing`], unusable
    /// auth settings, or [`ServeError::Bind`].
    pub async fn bind(server: McpServer, config: HttpConfig) -> Result<Self, ServeError> {
        let addr = config.addr;
        let no_auth = matches!(config.auth, Auth::None);
        if no_auth && !addr.ip().is_loopback() && !config.insecure_no_auth {
            return Err(ServeError::NoAuthOnPublicAddress { addr });
        }
        if config.identity_passthrough && !matches!(config.auth, Auth::OAuth(_)) {
            return Err(ServeError::OAuthConfig {
                reason: "identity pass-through needs OAuth authentication (--oauth-issuer, --oauth-audience): only a validated access token can be passed to the backend".to_owned(),
            });
        }
        let hosts = config.host_allowlist()?;
        let origins = hosts.iter().flat_map(|h| origins_for(h)).collect();
        let auth = Authenticator::new(config.auth)?;
        let cancel = CancellationToken::new();
        let mcp = McpHttpService::new(
            server,
            McpHttpOptions {
                allowed_hosts: hosts,
                allowed_origins: origins,
                stateless: config.stateless,
                cancel: cancel.clone(),
            },
        );
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })?;
        let local_addr = listener.local_addr()?;
        let mode = match &auth {
            Authenticator::None => "none",
            Authenticator::ApiKeys(_) => "api keys",
            Authenticator::OAuth(_) => "oauth",
        };
        tracing::info!(
            addr = %local_addr,
            auth = mode,
            stateless = config.stateless,
            identity_passthrough = config.identity_passthrough,
            "serving Streamable HTTP at http://{local_addr}/mcp"
        );
        if no_auth {
            if local_addr.ip().is_loopback() {
                tracing::warn!(
                    "no authentication: any local process can call the tools; only loopback clients can reach this server"
                );
            } else {
                tracing::warn!(
                    addr = %local_addr,
                    "no authentication on a non-loopback address (insecure opt-in): put an authenticating proxy in front"
                );
            }
        }
        Ok(Self {
            listener,
            local_addr,
            state: Arc::new(State {
                mcp,
                auth,
                identity_passthrough: config.identity_passthrough,
                readiness: config.readiness,
                readiness_max_age: config.readiness_max_age,
                ready_at: Mutex::new(None),
                metrics: config.metrics,
                shutting_down: AtomicBool::new(false),
                inflight: Arc::new(AtomicUsize::new(0)),
                grace: config.shutdown_grace,
                cancel,
            }),
        })
    }

    /// The bound address (with the port chosen when binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` resolves; then stops accepting, answers `/readyz` with 503, lets
    /// in-flight `/mcp` calls finish within the grace period, and closes the connections.
    ///
    /// # Errors
    /// None today besides I/O failures of the listener setup; accept errors are logged and
    /// retried.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), ServeError> {
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let state = self.state;
        tokio::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                () = &mut shutdown => break,
            };
            let stream = match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let conn_state = Arc::clone(&state);
            let service = hyper::service::service_fn(move |req| {
                let state = Arc::clone(&conn_state);
                async move { Ok::<_, Infallible>(state.handle(req).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            let conn = graceful.watch(conn);
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(error = %e, "HTTP connection ended with an error");
                }
            });
        }
        drop(self.listener);
        state.shutting_down.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + state.grace;
        let pending = state.inflight.load(Ordering::SeqCst);
        tracing::info!(
            in_flight = pending,
            grace = ?state.grace,
            "shutting down: no new connections; waiting for in-flight calls"
        );
        while state.inflight.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let left = state.inflight.load(Ordering::SeqCst);
        if left > 0 {
            tracing::warn!(
                in_flight = left,
                "grace period over; abandoning the calls still running"
            );
        }
        // Ends sessions and open event streams, then closes the connections.
        state.cancel.cancel();
        let close_within = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_secs(1));
        if tokio::time::timeout(close_within, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("some connections did not close in time");
        }
        tracing::info!("shut down");
        Ok(())
    }
}

impl State {
    async fn handle(&self, mut req: Request<hyper::body::Incoming>) -> HttpResponse {
        let path = req.uri().path().to_owned();
        match path.as_str() {
            "/healthz" => text(StatusCode::OK, "ok"),
            "/readyz" => match self.ready().await {
                Ok(()) => text(StatusCode::OK, "ready"),
                Err(reason) => text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &format!("not ready: {reason}"),
                ),
            },
            "/metrics" => match &self.metrics {
                Some(render) => {
                    let mut response = text(StatusCode::OK, &render());
                    response.headers_mut().insert(
                        header::CONTENT_TYPE,
                        header::HeaderValue::from_static(
                            "text/plain; version=0.0.4; charset=utf-8",
                        ),
                    );
                    response
                }
                None => text(StatusCode::NOT_FOUND, "no metrics are configured"),
            },
            "/mcp" => {
                if self.shutting_down.load(Ordering::SeqCst) {
                    let mut response = text(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "shutting down; retry on another replica",
                    );
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
                    return response;
                }
                let (principal, caller_token) = match self.auth.authenticate(req.headers()).await {
                    Ok(found) => found,
                    Err(refusal) => return self.refused(&refusal, req.method()),
                };
                tracing::debug!(principal = %super::describe(&principal), method = %req.method(), "authenticated request");
                req.extensions_mut().insert(principal);
                // The caller's token reaches tool calls only when pass-through is on.
                if self.identity_passthrough
                    && let Some(token) = caller_token
                {
                    req.extensions_mut().insert(token);
                }
                let tracked = req.method() == Method::POST;
                let guard = tracked.then(|| InflightGuard::new(Arc::clone(&self.inflight)));
                let req = match checked_body(req).await {
                    Ok(req) => req,
                    Err(response) => return response,
                };
                let response = self.mcp.call(req).await;
                match guard {
                    Some(guard) => response.map(|body| {
                        Tracked {
                            inner: body,
                            _guard: guard,
                        }
                        .boxed()
                    }),
                    None => response,
                }
            }
            p if p == WELL_KNOWN
                || self
                    .auth
                    .oauth()
                    .is_some_and(|o| o.config().metadata_path() == p) =>
            {
                match self.auth.oauth() {
                    Some(oauth) => {
                        let mut response =
                            json_response(StatusCode::OK, &oauth.config().metadata_document());
                        response.headers_mut().insert(
                            header::ACCESS_CONTROL_ALLOW_ORIGIN,
                            header::HeaderValue::from_static("*"),
                        );
                        response
                    }
                    None => text(
                        StatusCode::NOT_FOUND,
                        "this server does not use OAuth; no protected-resource metadata",
                    ),
                }
            }
            _ => text(StatusCode::NOT_FOUND, "not found; the MCP endpoint is /mcp"),
        }
    }

    /// The 401/403 answer to a refused request, with the `WWW-Authenticate` challenge.
    fn refused(&self, refusal: &Refusal, method: &Method) -> HttpResponse {
        let mut params: Vec<String> = Vec::new();
        match self.auth.oauth() {
            Some(oauth) => params.push(format!(
                "resource_metadata=\"{}\"",
                oauth.config().resource_metadata_url()
            )),
            None => params.push("realm=\"mcp\"".to_owned()),
        }
        let (status, error, description) = match refusal {
            Refusal::Unauthorized { error, description } => {
                (StatusCode::UNAUTHORIZED, *error, description.clone())
            }
            Refusal::InsufficientScope { scope } => {
                params.push(format!("scope=\"{scope}\""));
                (
                    StatusCode::FORBIDDEN,
                    Some("insufficient_scope"),
                    format!(
                        "the token lacks a required scope; request a token with scope `{scope}`"
                    ),
                )
            }
        };
        if let Some(error) = error {
            params.push(format!("error=\"{error}\""));
            params.push(format!(
                "error_description=\"{}\"",
                description.replace(['"', '\\'], "'")
            ));
        }
        tracing::info!(
            status = status.as_u16(),
            %method,
            reason = %description,
            "refused an MCP request"
        );
        let mut response = json_response(
            status,
            &json!({
                "error": error.unwrap_or("unauthorized"),
                "error_description": description,
            }),
        );
        if let Ok(value) = header::HeaderValue::from_str(&format!("Bearer {}", params.join(", "))) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }

    async fn ready(&self) -> Result<(), String> {
        if self.shutting_down.load(Ordering::SeqCst) {
            return Err("shutting down".to_owned());
        }
        let Some(check) = &self.readiness else {
            return Ok(());
        };
        let fresh = self
            .ready_at
            .lock()
            .map(|at| at.is_some_and(|t| t.elapsed() < self.readiness_max_age))
            .unwrap_or(false);
        if fresh {
            return Ok(());
        }
        match tokio::time::timeout(Duration::from_secs(5), check()).await {
            Ok(Ok(())) => {
                if let Ok(mut at) = self.ready_at.lock() {
                    *at = Some(Instant::now());
                }
                Ok(())
            }
            Ok(Err(reason)) => Err(reason),
            Err(_) => Err("the readiness check did not answer within 5 s".to_owned()),
        }
    }
}

/// Counts one in-flight call until its response body is finished or dropped.
struct InflightGuard(Arc<AtomicUsize>);

impl InflightGuard {
    fn new(count: Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count)
    }
}

impl Drop for InflightGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A response body that keeps its call counted as in flight.
struct Tracked {
    inner: BoxBody<Bytes, Infallible>,
    _guard: InflightGuard,
}

impl Body for Tracked {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

fn text(status: StatusCode, body: &str) -> HttpResponse {
    let mut response =
        Response::new(http_body_util::Full::new(Bytes::from(format!("{body}\n"))).boxed());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> HttpResponse {
    let mut response =
        Response::new(http_body_util::Full::new(Bytes::from(body.to_string())).boxed());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

/// A POST body checked as one JSON-RPC message before rmcp sees it: a body that is not JSON,
/// not UTF-8, nested too deep or not a JSON-RPC object is answered with HTTP 400 and the JSON-RPC
/// error (`-32700`/`-32600`, `"id": null`); rmcp alone would answer 415 with plain text. Other
/// methods pass through unread.
pub(crate) async fn checked_body<B>(
    req: Request<B>,
) -> Result<Request<http_body_util::Full<Bytes>>, HttpResponse>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
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
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            return Err(json_response(status, &rejection.to_json()));
        }
    };
    if parts.method == Method::POST {
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
            return Err(json_response(StatusCode::BAD_REQUEST, &rejection.to_json()));
        }
    }
    Ok(Request::from_parts(parts, http_body_util::Full::new(bytes)))
}
