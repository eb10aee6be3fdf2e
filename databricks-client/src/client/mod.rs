//! The HTTP client: one pooled reqwest client, auth, retries, error mapping, tracing.

mod parse;
mod path;
mod query;
mod retry;

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::future::Either;
use futures::{Stream, TryStreamExt};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, LOCATION};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use crate::auth::CredentialsProvider;
use crate::config::Config;
use crate::error::{ApiError, Error, Result};
pub use path::{path_components, path_segment};
pub use retry::{BackoffConfig, RetryConfig};

/// Encodes a query value as [`RequestBuilder::query`] does (for callers that send the same
/// query many times, e.g. every page of a list).
pub(crate) fn encode_query<Q: Serialize + ?Sized>(query: &Q) -> Result<Vec<(String, String)>> {
    query::to_pairs(query)
}

/// The `User-Agent` product of this crate.
const USER_AGENT_PRODUCT: &str = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));

/// A client for one Databricks workspace.
///
/// Cheap to clone: clones share the connection pool, the credentials cache and the config.
/// Service handles (`client.jobs()`, `client.statements()`, …) borrow a clone.
///
/// ```no_run
/// use databricks_client::WorkspaceClient;
///
/// # async fn run() -> databricks_client::Result<()> {
/// let client = WorkspaceClient::from_env()?;
/// // Any endpoint, with the same auth, retries and errors:
/// let me: serde_json::Value = client.get("/api/2.0/preview/scim/v2/Me").send_json().await?;
/// println!("{}", me["userName"]);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct WorkspaceClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    http: reqwest::Client,
    external_http: reqwest::Client,
    credentials: Arc<dyn CredentialsProvider>,
}

impl fmt::Debug for WorkspaceClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkspaceClient")
            .field("host", &self.inner.config.host.as_str())
            .field("auth_type", &self.inner.credentials.auth_type())
            .finish_non_exhaustive()
    }
}

const _: () = {
    const fn assert_impls<T: Send + Sync + Clone + 'static>() {}
    assert_impls::<WorkspaceClient>();
};

impl WorkspaceClient {
    /// Creates a client from a resolved [`Config`].
    pub fn new(config: Config) -> Result<Self> {
        let mut user_agent = format!("{USER_AGENT_PRODUCT} auth/{}", config.auth_type);
        for extra in &config.user_agent_extra {
            user_agent.push(' ');
            user_agent.push_str(extra);
        }
        // gzip: workspace API responses are compressed on request (`Accept-Encoding: gzip`,
        // about 12× fewer bytes for a jobs page); presigned external links are not asked to
        // compress (their bodies are fetched as the storage serves them).
        let build = |ua: &str, gzip: bool| {
            reqwest::Client::builder()
                .user_agent(ua)
                .gzip(gzip)
                // Private Link answers blocked requests with a redirect to a login page; we
                // never follow redirects so it cannot turn into a confusing 200.
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(config.http_timeout.min(Duration::from_secs(30)))
                .pool_max_idle_per_host(20)
                .build()
                .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))
        };
        let http = build(&user_agent, true)?;
        let external_http = build(USER_AGENT_PRODUCT, false)?;
        let credentials = crate::auth::provider_for(&config, &http)?;
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                http,
                external_http,
                credentials,
            }),
        })
    }

    /// Resolves [`Config::from_env`] and creates a client.
    pub fn from_env() -> Result<Self> {
        Self::new(Config::from_env()?)
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The workspace URL.
    pub fn host(&self) -> &Url {
        &self.inner.config.host
    }

    /// Starts a request to `path` (absolute, e.g. `/api/2.2/jobs/list`).
    pub fn request(&self, method: Method, path: impl Into<String>) -> RequestBuilder {
        RequestBuilder::new(self.clone(), method, path.into())
    }

    /// Starts a `GET` request.
    pub fn get(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    /// Starts a `POST` request (not idempotent unless marked).
    pub fn post(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::POST, path)
    }

    /// Starts a `PUT` request.
    pub fn put(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::PUT, path)
    }

    /// Starts a `PATCH` request (not idempotent unless marked).
    pub fn patch(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::PATCH, path)
    }

    /// Starts a `DELETE` request.
    pub fn delete(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::DELETE, path)
    }

    /// Starts a `HEAD` request.
    pub fn head(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::HEAD, path)
    }

    /// A request to a URL outside the workspace (e.g. a presigned cloud-storage link from a
    /// statement result). It goes through the same retry policy but **never** carries the
    /// workspace credentials or workspace headers; add the link's own headers with
    /// [`RequestBuilder::header`].
    pub fn external(&self, method: Method, url: Url) -> RequestBuilder {
        let mut builder = RequestBuilder::new(self.clone(), method, url.path().to_owned());
        builder.external = Some(url);
        builder
    }
}

enum Body {
    Empty,
    Bytes {
        bytes: Bytes,
        content_type: HeaderValue,
    },
    Stream {
        body: Mutex<Option<reqwest::Body>>,
        content_type: HeaderValue,
    },
}

impl Body {
    fn is_replayable(&self) -> bool {
        !matches!(self, Self::Stream { .. })
    }
}

/// A request being built; finish it with one of the `send*` methods.
///
/// Created by [`WorkspaceClient::request`] and its shorthands.
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder {
    client: WorkspaceClient,
    method: Method,
    path: String,
    external: Option<Url>,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Body,
    idempotent: Option<bool>,
    timeout: Option<Duration>,
    retry: Option<RetryConfig>,
    error: Option<Error>,
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl RequestBuilder {
    fn new(client: WorkspaceClient, method: Method, path: String) -> Self {
        let error = if !path.starts_with('/') {
            Some(Error::InvalidArgument(format!(
                "request path `{path}` must start with `/`"
            )))
        } else {
            path::dot_segment(&path).map(|segment| {
                Error::InvalidArgument(format!(
                    "request path `{path}` holds the segment `{segment}`, which would address \
                     another endpoint; build identifier segments with `path_segment` (nothing was sent)"
                ))
            })
        };
        Self {
            client,
            method,
            path,
            external: None,
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: Body::Empty,
            idempotent: None,
            timeout: None,
            retry: None,
            error,
        }
    }

    /// Adds query parameters from any serializable value: a struct or map (`None` fields are
    /// skipped, booleans are `true`/`false`, arrays repeat the key, nested objects are
    /// flattened with dots as in `filter_by.cluster_states=RUNNING`) or a slice of pairs.
    pub fn query<Q: Serialize + ?Sized>(mut self, query: &Q) -> Self {
        match query::to_pairs(query) {
            Ok(pairs) => self.query.extend(pairs),
            Err(e) => self.error = self.error.or(Some(e)),
        }
        self
    }

    /// Adds query parameters already encoded as pairs.
    pub(crate) fn query_pairs(mut self, pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        self.query.extend(pairs);
        self
    }

    /// Adds one query parameter.
    pub fn query_pair(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.query.push((key.into(), value.to_string()));
        self
    }

    /// Sends a JSON body.
    pub fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => {
                self.body = Body::Bytes {
                    bytes: bytes.into(),
                    content_type: HeaderValue::from_static("application/json"),
                }
            }
            Err(e) => {
                self.error = self.error.or(Some(Error::InvalidArgument(format!(
                    "could not serialize the request body: {e}"
                ))))
            }
        }
        self
    }

    /// Sends raw bytes (replayable, so retries are possible).
    pub fn body(mut self, bytes: impl Into<Bytes>, content_type: &'static str) -> Self {
        self.body = Body::Bytes {
            bytes: bytes.into(),
            content_type: HeaderValue::from_static(content_type),
        };
        self
    }

    /// Streams the body. A streaming body cannot be replayed, so the request is never retried.
    pub fn body_stream<S>(mut self, stream: S, content_type: &'static str) -> Self
    where
        S: Stream<Item = std::result::Result<Bytes, std::io::Error>> + Send + Sync + 'static,
    {
        self.body = Body::Stream {
            body: Mutex::new(Some(reqwest::Body::wrap_stream(stream))),
            content_type: HeaderValue::from_static(content_type),
        };
        self
    }

    /// Adds a header. Values are marked sensitive when the name suggests a secret.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Marks the request idempotent (safe to resend after a 5xx or a timeout) or not. By default
    /// `GET`, `HEAD`, `DELETE` and `PUT` are idempotent and `POST`/`PATCH` are not.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }

    /// Overrides the per-attempt timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Overrides the retry policy for this request.
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = Some(retry);
        self
    }

    fn is_idempotent(&self) -> bool {
        self.idempotent.unwrap_or(matches!(
            self.method,
            Method::GET | Method::HEAD | Method::DELETE | Method::PUT
        ))
    }

    /// Sends the request and returns the successful response with its body read. Reading the
    /// body is part of each attempt, so a response cut short is retried like a reset connection
    /// (for idempotent requests).
    pub async fn send(self) -> Result<Response> {
        let method = self.method.as_str().to_owned();
        let path = self.path.clone();
        match self.send_with(ReadBody::Full).await? {
            Attempted::Full(response) => Ok(response),
            // Not produced for `ReadBody::Full`; read the body once if it ever is.
            Attempted::Head(response) => read_full(response, &method, &path).await,
        }
    }

    /// Sends the request and decodes a JSON body; an empty body decodes as `{}`.
    pub async fn send_json<T: DeserializeOwned>(self) -> Result<T> {
        self.send().await?.json()
    }

    /// Sends the request and ignores the (usually empty) body.
    pub async fn send_empty(self) -> Result<()> {
        self.send().await.map(drop)
    }

    /// Sends the request and streams the body once the status was checked. Retries cover
    /// getting the response headers, not a body that breaks midway.
    pub async fn send_bytes_stream(
        self,
    ) -> Result<(
        ResponseHead,
        impl Stream<Item = Result<Bytes>> + Send + 'static,
    )> {
        let method = self.method.as_str().to_owned();
        let path = self.path.clone();
        Ok(match self.send_with(ReadBody::Stream).await? {
            Attempted::Head(response) => {
                let head = ResponseHead {
                    status: response.status(),
                    headers: response.headers().clone(),
                };
                let stream = response
                    .bytes_stream()
                    .map_err(move |e| Error::transport(&method, &path, e));
                (head, Either::Left(stream))
            }
            // Not produced for `ReadBody::Stream`; a body already read is one chunk.
            Attempted::Full(response) => {
                let head = ResponseHead {
                    status: response.status,
                    headers: response.headers,
                };
                let body = response.body;
                (
                    head,
                    Either::Right(futures::stream::once(async move { Ok(body) })),
                )
            }
        })
    }

    /// The retry loop: returns the first successful response, or the last error (transport
    /// errors record how many attempts were made).
    async fn send_with(mut self, read: ReadBody) -> Result<Attempted> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        let retry = self
            .retry
            .clone()
            .unwrap_or_else(|| self.client.inner.config.retry.clone());
        let idempotent = self.is_idempotent();
        let replayable = self.body.is_replayable();
        let started = Instant::now();
        let deadline = started + retry.retry_timeout;
        let mut delays = retry.backoff.delays(retry.max_retries);
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let span = tracing::info_span!(
                "databricks_request",
                method = %self.method,
                path = %self.path,
                attempt,
                status = tracing::field::Empty,
                request_id = tracing::field::Empty,
            );
            let outcome = self.attempt_reading(read).instrument(span.clone()).await;
            let error = match outcome {
                Ok(response) => return Ok(response),
                Err(error) => error.with_attempts(attempt),
            };
            if !retry::should_retry(&error, idempotent, replayable) {
                if attempt > 1 || error.is_retryable() {
                    span.in_scope(|| tracing::warn!(error = %error, idempotent, "not retried"));
                }
                return Err(error);
            }
            let Some(backoff) = delays.next() else {
                return Err(error);
            };
            let delay = error
                .retry_after()
                .map(|d| d.min(retry.max_retry_after))
                .unwrap_or(backoff);
            if Instant::now() + delay > deadline {
                span.in_scope(|| {
                    tracing::warn!(
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "retry budget exhausted"
                    )
                });
                return Err(error);
            }
            span.in_scope(
                || tracing::info!(delay_ms = delay.as_millis() as u64, error = %error, "retrying"),
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt: the response head, and with [`ReadBody::Full`] the whole body too.
    async fn attempt_reading(&self, read: ReadBody) -> Result<Attempted> {
        let response = self.attempt().await?;
        if read == ReadBody::Stream {
            return Ok(Attempted::Head(response));
        }
        read_full(response, self.method.as_str(), &self.path)
            .await
            .map(Attempted::Full)
    }

    async fn attempt(&self) -> Result<reqwest::Response> {
        let inner = &self.client.inner;
        let method_str = self.method.as_str();
        let (http, url) = match &self.external {
            Some(url) => (&inner.external_http, url.clone()),
            None => {
                let base = inner.config.host.as_str().trim_end_matches('/');
                let url = Url::parse(&format!("{base}{}", self.path)).map_err(|e| {
                    Error::InvalidArgument(format!("invalid request path `{}`: {e}", self.path))
                })?;
                (&inner.http, url)
            }
        };
        let mut url = url;
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&self.query);
        }
        let mut request = http
            .request(self.method.clone(), url)
            .timeout(self.timeout.unwrap_or(inner.config.http_timeout))
            .headers(self.headers.clone());
        if self.external.is_none() {
            request = request
                .headers(inner.credentials.headers().await?)
                .header(ACCEPT, "application/json");
            if let Some(id) = &inner.config.workspace_id
                && let Ok(value) = HeaderValue::from_str(id)
            {
                request = request.header("X-Databricks-Workspace-Id", value);
            }
        }
        request = match &self.body {
            Body::Empty => request,
            Body::Bytes {
                bytes,
                content_type,
            } => request
                .header(CONTENT_TYPE, content_type.clone())
                .body(bytes.clone()),
            Body::Stream { body, content_type } => {
                let taken = body.lock().ok().and_then(|mut b| b.take()).ok_or_else(|| {
                    Error::InvalidArgument("a streaming body can only be sent once".to_owned())
                })?;
                request
                    .header(CONTENT_TYPE, content_type.clone())
                    .body(taken)
            }
        };
        let response = request
            .send()
            .await
            .map_err(|e| Error::transport(method_str, &self.path, e))?;
        let status = response.status();
        let span = tracing::Span::current();
        span.record("status", status.as_u16());
        if status.is_success() {
            if let Some(id) = response
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
            {
                span.record("request_id", id);
            }
            tracing::debug!("ok");
            return Ok(response);
        }
        if status.is_redirection() {
            return Err(redirect_error(method_str, &self.path, status, response.headers()).into());
        }
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| Error::transport(method_str, &self.path, e))?;
        let api = parse::api_error(method_str, &self.path, status, &headers, &body);
        if let Some(id) = &api.request_id {
            span.record("request_id", id.as_str());
        }
        tracing::debug!(error_code = api.error_code.as_deref(), "error response");
        Err(api.into())
    }
}

/// Reads a successful response's whole body.
async fn read_full(mut response: reqwest::Response, method: &str, path: &str) -> Result<Response> {
    let status = response.status();
    // Taken, not cloned: reading the body no longer needs them.
    let headers = std::mem::take(response.headers_mut());
    let body = response
        .bytes()
        .await
        .map_err(|e| Error::transport(method, path, e))?;
    Ok(Response {
        status,
        headers,
        body,
        method: method.to_owned(),
        path: path.to_owned(),
    })
}

/// Whether an attempt reads the whole body (so a truncated body is retried) or stops at the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadBody {
    Full,
    Stream,
}

/// What one successful attempt produced.
enum Attempted {
    Full(Response),
    Head(reqwest::Response),
}

fn redirect_error(method: &str, path: &str, status: StatusCode, headers: &HeaderMap) -> ApiError {
    let location = headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if location.contains("private-link-validation-error") {
        return ApiError::new(
            method,
            path,
            403,
            Some("PRIVATE_LINK_VALIDATION_ERROR".to_owned()),
            "the workspace rejected the request: it is only reachable over Private Link",
        );
    }
    let target = Url::parse(location)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| format!("{}://{h}{}", u.scheme(), u.path()))
        })
        .unwrap_or_else(|| location.split('?').next().unwrap_or_default().to_owned());
    ApiError::new(
        method,
        path,
        status.as_u16(),
        None,
        format!(
            "unexpected redirect to `{target}`; check that the host is the workspace URL \
             (e.g. https://dbc-….cloud.databricks.com) and not a login or proxy page"
        ),
    )
}

/// Status and headers of a response whose body is streamed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ResponseHead {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
}

/// A successful response with its body.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Response {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    method: String,
    path: String,
}

impl Response {
    /// Decodes the body as JSON (an empty body decodes as `{}`), naming the JSON path of any
    /// value that does not fit `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        let body: &[u8] = if self.body.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &self.body
        };
        // The fast path decodes without tracking where it is; only a body that fails is decoded
        // a second time with `serde_path_to_error` to name the JSON path (tracking every key on
        // every response made job listing about 1.4 × slower: docs/performance.md).
        if let Ok(value) = serde_json::from_slice(body) {
            return Ok(value);
        }
        let mut de = serde_json::Deserializer::from_slice(body);
        serde_path_to_error::deserialize(&mut de).map_err(|e| Error::Decode {
            method: self.method.clone(),
            path: self.path.clone(),
            json_path: e.path().to_string(),
            message: e.inner().to_string(),
            excerpt: parse::excerpt(&String::from_utf8_lossy(&self.body)),
        })
    }

    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}
