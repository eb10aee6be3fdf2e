//! SQL Statement Execution API (`/api/2.0/sql/statements`, notes §4.8).
//!
//! [`StatementsApi::query`] is the high-level entry point: it submits a statement, polls with
//! backoff until a terminal state, turns `FAILED`/`CANCELED`/`CLOSED` into
//! [`Error::Statement`] (a [`StatementError`] with the state, error code, SQLSTATE and the
//! server's message), and returns a [`ResultStream`] of decoded [`Row`]s. Rows arrive in chunk
//! order while up to [`QueryOptions::concurrency`] chunks download in parallel, so memory stays
//! `O(concurrency × chunk size)` however large the result.
//!
//! External links (`EXTERNAL_LINKS` disposition) are presigned cloud-storage URLs: they are
//! fetched through [`WorkspaceClient::external`], which never sends the workspace
//! `Authorization` header, with each link's `http_headers`; an expired link (403 or a past
//! `expiration`) is replaced by fetching the chunk's metadata again.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::Stream;

use crate::http::{HeaderName, HeaderValue, Method};
use crate::models::decode;
use crate::models::{
    Disposition, ExecuteStatementRequest, ExternalLink, OnWaitTimeout, ResultColumn, ResultData,
    ResultFormat, ResultManifest, Row, StatementResponse, StatementState,
};
use crate::wait::{PollOptions, Progress, WaitError, poll_until};
use crate::{Error, Result, StatementError, WorkspaceClient};

const BASE: &str = "/api/2.0/sql/statements";

/// Default [`QueryOptions::max_bytes_in_flight`]: 64 MiB of chunk bodies.
pub const DEFAULT_MAX_BYTES_IN_FLIGHT: u64 = 64 * 1024 * 1024;

/// Validates and percent-encodes one path segment (ids, UC full names, endpoint names); see
/// [`path_segment`](crate::path_segment). `what` names the argument in the error.
pub(crate) fn segment(what: &str, s: &str) -> Result<String> {
    crate::path_segment(what, s)
}

/// Rejects empty identifiers before anything is sent.
pub(crate) fn require(what: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::InvalidArgument(format!(
            "{what} must not be empty (nothing was sent)"
        )));
    }
    Ok(())
}

// `wait_error` moved to `crate::wait`; re-exported here for the handlers that still import it
// from this module.
pub(crate) use crate::wait::wait_error;

impl WorkspaceClient {
    /// The SQL Statement Execution API.
    ///
    /// ```no_run
    /// use databricks_client::models::{ExecuteStatementRequest, StatementParameter};
    /// use futures::TryStreamExt;
    ///
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let req = ExecuteStatementRequest::new("abc123", "SELECT id, amount FROM main.sales.orders WHERE id > :min")
    ///     .with_parameter(StatementParameter::bigint("min", 100));
    /// let mut rows = client.statements().query(req).await?;
    /// while let Some(row) = rows.try_next().await? {
    ///     println!("{:?} {:?}", row.get_by_name("id"), row.get_by_name("amount"));
    /// }
    /// # Ok(()) }
    /// ```
    pub fn statements(&self) -> StatementsApi {
        StatementsApi {
            client: self.clone(),
        }
    }
}

/// Handle for the Statement Execution API; cheap to clone.
#[derive(Debug, Clone)]
pub struct StatementsApi {
    client: WorkspaceClient,
}

/// Options of [`StatementsApi::query_opts`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct QueryOptions {
    /// How to poll a statement that is still running after the submit (default: 0.5 s growing
    /// by 1.5× to 5 s, for at most 20 minutes; the statement is canceled on timeout).
    pub poll: PollOptions,
    /// Chunks fetched and decoded ahead of the one being read (default 4, at least 1).
    pub concurrency: usize,
    /// Budget for chunk bodies in flight, in bytes (default 64 MiB): no further chunk is
    /// fetched while the estimated bodies of the chunks in flight and of the chunk being read
    /// would exceed it (one chunk always proceeds). Sizes come from `manifest.chunks`, or
    /// else from the largest chunk seen so far.
    pub max_bytes_in_flight: u64,
    /// Cancel the statement when the `query` future is dropped before the statement finished,
    /// or the [`ResultStream`] before its last row (default `true`).
    pub cancel_on_drop: bool,
}

impl Default for QueryOptions {
    fn default() -> Self {
        Self {
            poll: PollOptions::default()
                .with_initial_interval(Duration::from_millis(500))
                .with_max_interval(Duration::from_secs(5))
                .with_multiplier(1.5),
            concurrency: 4,
            max_bytes_in_flight: DEFAULT_MAX_BYTES_IN_FLIGHT,
            cancel_on_drop: true,
        }
    }
}

impl QueryOptions {
    /// Sets the polling options.
    #[must_use]
    pub fn with_poll(mut self, poll: PollOptions) -> Self {
        self.poll = poll;
        self
    }
    /// Sets the overall wait timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.poll = self.poll.with_timeout(timeout);
        self
    }
    /// Sets how many chunks download in parallel.
    #[must_use]
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }
    /// Sets the budget for chunk bodies in flight, in bytes (at least 1).
    #[must_use]
    pub fn with_max_bytes_in_flight(mut self, bytes: u64) -> Self {
        self.max_bytes_in_flight = bytes.max(1);
        self
    }
    /// Sets cancel-on-drop.
    #[must_use]
    pub fn with_cancel_on_drop(mut self, cancel_on_drop: bool) -> Self {
        self.cancel_on_drop = cancel_on_drop;
        self
    }
}

impl StatementsApi {
    /// Submits a statement (`POST /api/2.0/sql/statements`). Not retried after the server may
    /// have received it, so a statement never runs twice.
    ///
    /// The response may already be terminal (within `wait_timeout`) or `PENDING`/`RUNNING`.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// use databricks_client::models::ExecuteStatementRequest;
    /// let resp = client.statements()
    ///     .execute(&ExecuteStatementRequest::new("abc123", "SELECT 1").with_wait_timeout("0s"))
    ///     .await?;
    /// println!("{} {:?}", resp.statement_id, resp.state());
    /// # Ok(()) }
    /// ```
    pub async fn execute(&self, request: &ExecuteStatementRequest) -> Result<StatementResponse> {
        require("warehouse_id", &request.warehouse_id)?;
        require("statement", &request.statement)?;
        if matches!(
            request.format,
            Some(ResultFormat::ArrowStream | ResultFormat::Csv)
        ) && matches!(request.disposition, None | Some(Disposition::Inline))
        {
            return Err(Error::InvalidArgument(
                "ARROW_STREAM and CSV results need disposition EXTERNAL_LINKS (the default, \
                 INLINE, only supports JSON_ARRAY); add .with_disposition(Disposition::ExternalLinks)"
                    .to_owned(),
            ));
        }
        if let Some(wait) = &request.wait_timeout {
            let secs = wait.strip_suffix('s').and_then(|n| n.parse::<u32>().ok());
            if !matches!(secs, Some(0 | 5..=50)) {
                return Err(Error::InvalidArgument(format!(
                    "wait_timeout must be \"0s\" or between \"5s\" and \"50s\", got {wait:?}"
                )));
            }
        }
        self.client.post(BASE).json(request).send_json().await
    }

    /// Gets a statement's state and, once `SUCCEEDED`, its manifest and first chunk.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let resp = client.statements().get("01ef-1234").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, statement_id: &str) -> Result<StatementResponse> {
        self.client
            .get(format!("{BASE}/{}", segment("statement_id", statement_id)?))
            .send_json()
            .await
    }

    /// Gets chunk `chunk_index` of a succeeded statement (`…/result/chunks/{i}`). Chunks can be
    /// fetched in any order and in parallel.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let chunk = client.statements().get_chunk("01ef-1234", 3).await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_chunk(&self, statement_id: &str, chunk_index: i64) -> Result<ResultData> {
        if chunk_index < 0 {
            return Err(Error::InvalidArgument(format!(
                "chunk_index must be >= 0, got {chunk_index}"
            )));
        }
        self.client
            .get(format!(
                "{BASE}/{}/result/chunks/{chunk_index}",
                segment("statement_id", statement_id)?
            ))
            .send_json()
            .await
    }

    /// Follows a `next_chunk_internal_link` (an absolute path on the workspace host).
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let first = client.statements().get("01ef-1234").await?;
    /// if let Some(link) = first.result.and_then(|r| r.next_chunk_internal_link) {
    ///     let next = client.statements().get_chunk_by_link(&link).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_chunk_by_link(&self, internal_link: &str) -> Result<ResultData> {
        if !internal_link.starts_with(BASE) || internal_link.contains("..") {
            return Err(Error::InvalidArgument(format!(
                "`{internal_link}` is not a statement chunk link; pass the \
                 `next_chunk_internal_link` value of a previous chunk"
            )));
        }
        self.client.get(internal_link).send_json().await
    }

    /// Requests cancellation (best effort; poll [`get`](Self::get) to see the final state).
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// client.statements().cancel("01ef-1234").await?;
    /// # Ok(()) }
    /// ```
    pub async fn cancel(&self, statement_id: &str) -> Result<()> {
        self.client
            .post(format!(
                "{BASE}/{}/cancel",
                segment("statement_id", statement_id)?
            ))
            .idempotent(true)
            .send_empty()
            .await
    }

    /// Polls until the statement is terminal. Returns the `SUCCEEDED` response; `FAILED`,
    /// `CANCELED` and `CLOSED` become [`Error::Statement`] with the server's message,
    /// error code and SQLSTATE. On timeout the statement is canceled and
    /// [`Error::WaitTimeout`] is returned.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// use databricks_client::wait::PollOptions;
    /// let done = client.statements().wait("01ef-1234", &PollOptions::default()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn wait(&self, statement_id: &str, poll: &PollOptions) -> Result<StatementResponse> {
        let resp = self.poll_terminal(statement_id, poll).await?;
        succeeded(resp)
    }

    async fn poll_terminal(
        &self,
        statement_id: &str,
        poll: &PollOptions,
    ) -> Result<StatementResponse> {
        let what = format!("statement {statement_id}");
        let outcome = poll_until(poll, &what, || async {
            let resp = self.get(statement_id).await?;
            Ok(match resp.state() {
                Some(state) if state.is_terminal() => Progress::Ready(resp),
                _ => Progress::Pending(resp),
            })
        })
        .await;
        match outcome {
            Ok(resp) => Ok(resp),
            Err(WaitError::TimedOut { elapsed, last, .. }) => {
                if let Err(e) = self.cancel(statement_id).await {
                    tracing::warn!(statement_id, error = %e, "could not cancel a timed-out statement");
                }
                Err(Error::WaitTimeout {
                    what,
                    elapsed,
                    last_state: last
                        .as_ref()
                        .and_then(StatementResponse::state)
                        .map(ToString::to_string),
                })
            }
            Err(WaitError::Failed { state, .. }) => Ok(state),
            Err(other) => Err(wait_error(other, |r: &StatementResponse| {
                r.state().map(ToString::to_string)
            })),
        }
    }

    /// Runs a statement and streams its rows, with [`QueryOptions::default`].
    ///
    /// See [`query_opts`](Self::query_opts).
    ///
    /// ```no_run
    /// use databricks_client::models::ExecuteStatementRequest;
    /// use futures::TryStreamExt;
    ///
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let rows: Vec<_> = client.statements()
    ///     .query(ExecuteStatementRequest::new("abc123", "SELECT 1 AS one"))
    ///     .await?
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn query(&self, request: ExecuteStatementRequest) -> Result<ResultStream> {
        self.query_opts(request, QueryOptions::default()).await
    }

    /// Runs a statement and streams its rows.
    ///
    /// Submits with `on_wait_timeout=CONTINUE` (unless set), polls until terminal, maps
    /// `FAILED`/`CANCELED`/`CLOSED` to [`Error::Statement`] (state, error code, SQLSTATE and
    /// message from the server; see [`Error::statement_error`]) and returns a [`ResultStream`]. If this future is dropped while
    /// the statement runs, a best-effort cancel is spawned; on timeout the statement is
    /// canceled and [`Error::WaitTimeout`] returned.
    ///
    /// ```no_run
    /// use databricks_client::api::QueryOptions;
    /// use databricks_client::models::{Disposition, ExecuteStatementRequest};
    /// use futures::TryStreamExt;
    /// use std::time::Duration;
    ///
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let req = ExecuteStatementRequest::new("abc123", "SELECT * FROM main.big.table")
    ///     .with_disposition(Disposition::ExternalLinks);
    /// let opts = QueryOptions::default().with_concurrency(8).with_timeout(Duration::from_secs(600));
    /// let mut rows = client.statements().query_opts(req, opts).await?;
    /// println!("{} rows", rows.manifest().total_row_count.unwrap_or(0));
    /// while let Some(row) = rows.try_next().await? { /* … */ }
    /// # Ok(()) }
    /// ```
    pub async fn query_opts(
        &self,
        mut request: ExecuteStatementRequest,
        options: QueryOptions,
    ) -> Result<ResultStream> {
        if request.on_wait_timeout.is_none() {
            request.on_wait_timeout = Some(OnWaitTimeout::Continue);
        }
        let mut guard = CancelGuard {
            api: self.clone(),
            statement_id: None,
        };
        let resp = self.execute(&request).await?;
        require("statement_id in the response", &resp.statement_id)?;
        if options.cancel_on_drop {
            guard.statement_id = Some(resp.statement_id.clone());
        }
        let resp = match resp.state() {
            Some(state) if state.is_terminal() => resp,
            _ => {
                self.poll_terminal(&resp.statement_id, &options.poll)
                    .await?
            }
        };
        guard.statement_id = None;
        let resp = succeeded(resp)?;
        let stream = ResultStream::new(
            self.clone(),
            resp,
            options.concurrency,
            options.max_bytes_in_flight,
        );
        Ok(if options.cancel_on_drop {
            stream.cancel_on_drop()
        } else {
            stream
        })
    }

    /// Streams the rows of an already `SUCCEEDED` statement (for example a Genie attachment's
    /// `statement_response`). Chunks after the first are fetched from this API by index.
    ///
    /// # Errors
    /// [`Error::Statement`] if the response is `FAILED`, `CANCELED` or `CLOSED`;
    /// [`Error::InvalidArgument`] if it has no status or is still running.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let done = client.statements().get("01ef-1234").await?;
    /// let rows = client.statements().result_stream(done, 4)?;
    /// # Ok(()) }
    /// ```
    pub fn result_stream(
        &self,
        response: StatementResponse,
        concurrency: usize,
    ) -> Result<ResultStream> {
        let response = succeeded(response)?;
        Ok(ResultStream::new(
            self.clone(),
            response,
            concurrency.max(1),
            DEFAULT_MAX_BYTES_IN_FLIGHT,
        ))
    }
}

/// Maps a terminal response to `Ok` (SUCCEEDED) or [`Error::Statement`]. A response without a
/// status, or still running, was passed in by the caller (`result_stream`): an invalid argument.
fn succeeded(resp: StatementResponse) -> Result<StatementResponse> {
    let Some(status) = &resp.status else {
        return Err(Error::InvalidArgument(format!(
            "statement {} carries no status; fetch it with StatementsApi::get or wait for it with StatementsApi::wait",
            resp.statement_id
        )));
    };
    match status.state {
        StatementState::Succeeded => Ok(resp),
        StatementState::Failed | StatementState::Canceled | StatementState::Closed => {
            let error = status.error.as_ref();
            Err(StatementError {
                statement_id: resp.statement_id.clone(),
                state: status.state.clone(),
                error_code: error.and_then(|e| e.error_code.clone()),
                sql_state: status.sql_state.clone(),
                message: error.and_then(|e| e.message.clone()).unwrap_or_default(),
            }
            .into())
        }
        ref state => Err(Error::InvalidArgument(format!(
            "statement {} is {state}, not SUCCEEDED; wait for it with StatementsApi::wait first",
            resp.statement_id
        ))),
    }
}

/// Spawns a best-effort cancel when dropped while armed.
struct CancelGuard {
    api: StatementsApi,
    statement_id: Option<String>,
}

impl Drop for CancelGuard {
    fn drop(&mut self) {
        let Some(id) = self.statement_id.take() else {
            return;
        };
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(statement_id = %id, "no tokio runtime to cancel a dropped statement");
            return;
        };
        let api = self.api.clone();
        handle.spawn(async move {
            if let Err(e) = api.cancel(&id).await {
                tracing::warn!(statement_id = %id, error = %e, "best-effort cancel failed");
            }
        });
    }
}

/// Decodes one fetched chunk into stream items (rows, or Arrow batches).
type DecodeFn<T> = fn(&ChunkContext, Fetched, i64) -> Result<Vec<T>>;

/// Bodies at least this large are decoded on the blocking pool; smaller ones inline.
const OFFLOAD_BYTES: usize = 32 * 1024;

/// The rows of a succeeded statement, in order.
///
/// Implements `Stream<Item = Result<Row>>`. While rows of one chunk are consumed, up to
/// [`QueryOptions::concurrency`] following chunks are fetched, each by its own task, and
/// decoded on tokio's blocking pool (so decoding runs in parallel with the network and with
/// the consumer), within [`QueryOptions::max_bytes_in_flight`] bytes of chunk bodies. Rows
/// come out in chunk order. Dropping the stream aborts the in-flight fetches and, for a
/// stream from [`StatementsApi::query_opts`] with `cancel_on_drop`, cancels the statement
/// unless every row was read.
///
/// Polling needs a tokio runtime (the fetches are tokio tasks).
pub struct ResultStream {
    statement_id: String,
    manifest: ResultManifest,
    columns: Arc<[ResultColumn]>,
    inner: Pipeline<Row>,
}

impl fmt::Debug for ResultStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResultStream")
            .field("statement_id", &self.statement_id)
            .field("manifest", &self.manifest)
            .finish_non_exhaustive()
    }
}

impl ResultStream {
    fn new(
        api: StatementsApi,
        response: StatementResponse,
        concurrency: usize,
        max_bytes_in_flight: u64,
    ) -> Self {
        let manifest = response.manifest.unwrap_or_default();
        let columns: Arc<[ResultColumn]> = manifest
            .schema
            .as_ref()
            .map(|s| s.columns.clone())
            .unwrap_or_default()
            .into();
        let first = response.result;
        let known_total = manifest
            .total_chunk_count
            .or_else(|| (!manifest.chunks.is_empty()).then_some(manifest.chunks.len() as i64));
        // Without a chunk count: start from the chunk the response carried, or chunk 0 unless
        // the manifest says there are no rows.
        let start = match &first {
            Some(d) => Some(d.chunk_index.unwrap_or(0)),
            None if manifest.total_row_count == Some(0) => None,
            None => Some(0),
        };
        let plan = match known_total {
            Some(total) => Plan::Known {
                next: 0,
                total: total.max(0),
            },
            None => Plan::Follow { next: start },
        };
        let sizes = manifest
            .chunks
            .iter()
            .filter_map(|c| Some((c.chunk_index?, u64::try_from(c.byte_count?).ok()?)))
            .collect();
        let ctx = Arc::new(ChunkContext {
            api,
            statement_id: response.statement_id.clone(),
            format: manifest.format.clone().unwrap_or(ResultFormat::JsonArray),
            columns: Arc::clone(&columns),
        });
        let inner = Pipeline {
            ctx,
            decode: decode_rows,
            plan,
            first,
            sizes,
            largest_seen: 0,
            queue: VecDeque::new(),
            current: Vec::new().into_iter(),
            current_bytes: 0,
            reserved: 0,
            concurrency: concurrency.max(1),
            max_bytes: max_bytes_in_flight.max(1),
            started: false,
            finished: false,
            cancel: None,
        };
        Self {
            statement_id: response.statement_id,
            manifest,
            columns,
            inner,
        }
    }

    /// Arms a statement cancel for when the stream is dropped before its end.
    fn cancel_on_drop(mut self) -> Self {
        self.inner.cancel = Some(CancelGuard {
            api: self.inner.ctx.api.clone(),
            statement_id: Some(self.statement_id.clone()),
        });
        self
    }

    /// The statement id.
    pub fn statement_id(&self) -> &str {
        &self.statement_id
    }

    /// The result manifest (row and chunk counts, `truncated`).
    pub fn manifest(&self) -> &ResultManifest {
        &self.manifest
    }

    /// The result columns.
    pub fn columns(&self) -> &[ResultColumn] {
        &self.columns
    }

    /// Turns an ARROW_STREAM result into a stream of Arrow `RecordBatch`es, with no row
    /// conversion at all: the same prefetch, parallel decoding, byte budget and cancellation
    /// as the row stream. Call it before reading any row.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the result is not `ARROW_STREAM` or rows were
    /// already read.
    ///
    /// ```no_run
    /// use databricks_client::models::{Disposition, ExecuteStatementRequest, ResultFormat};
    /// use futures::TryStreamExt;
    ///
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let req = ExecuteStatementRequest::new("abc123", "SELECT * FROM main.big.table")
    ///     .with_disposition(Disposition::ExternalLinks)
    ///     .with_format(ResultFormat::ArrowStream);
    /// let mut batches = client.statements().query(req).await?.into_batches()?;
    /// while let Some(batch) = batches.try_next().await? {
    ///     println!("{} rows", batch.num_rows());
    /// }
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "arrow")]
    pub fn into_batches(self) -> Result<BatchStream> {
        if self.inner.ctx.format != ResultFormat::ArrowStream {
            return Err(Error::InvalidArgument(format!(
                "statement {} returned {} results, not ARROW_STREAM; request \
                 .with_format(ResultFormat::ArrowStream) with Disposition::ExternalLinks",
                self.statement_id, self.inner.ctx.format
            )));
        }
        if self.inner.started {
            return Err(Error::InvalidArgument(
                "rows were already read from this ResultStream; call into_batches first".to_owned(),
            ));
        }
        let Self {
            statement_id,
            manifest,
            mut inner,
            ..
        } = self;
        Ok(BatchStream {
            statement_id,
            manifest,
            inner: Pipeline {
                ctx: Arc::clone(&inner.ctx),
                decode: decode_batches,
                plan: inner.plan.clone(),
                first: inner.first.take(),
                sizes: std::mem::take(&mut inner.sizes),
                largest_seen: 0,
                queue: VecDeque::new(),
                current: Vec::new().into_iter(),
                current_bytes: 0,
                reserved: 0,
                concurrency: inner.concurrency,
                max_bytes: inner.max_bytes,
                started: false,
                finished: false,
                cancel: inner.cancel.take(),
            },
        })
    }
}

impl Stream for ResultStream {
    type Item = Result<Row>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_item(cx)
    }
}

/// The Arrow record batches of a succeeded ARROW_STREAM statement, in order (see
/// [`ResultStream::into_batches`]).
#[cfg(feature = "arrow")]
pub struct BatchStream {
    statement_id: String,
    manifest: ResultManifest,
    inner: Pipeline<arrow_array::RecordBatch>,
}

#[cfg(feature = "arrow")]
impl fmt::Debug for BatchStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchStream")
            .field("statement_id", &self.statement_id)
            .field("manifest", &self.manifest)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "arrow")]
impl BatchStream {
    /// The statement id.
    pub fn statement_id(&self) -> &str {
        &self.statement_id
    }

    /// The result manifest (row and chunk counts, `truncated`).
    pub fn manifest(&self) -> &ResultManifest {
        &self.manifest
    }
}

#[cfg(feature = "arrow")]
impl Stream for BatchStream {
    type Item = Result<arrow_array::RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_item(cx)
    }
}

/// Which chunks to fetch.
#[derive(Clone)]
enum Plan {
    /// The manifest gave the chunk count: fetch `next..total` by index, ahead of time.
    Known { next: i64, total: i64 },
    /// No count: follow `next_chunk_index`, learned when a chunk arrives.
    Follow { next: Option<i64> },
}

/// A spawned chunk fetch + decode, aborted when dropped.
struct InFlight<T> {
    task: tokio::task::JoinHandle<Result<Decoded<T>>>,
    reserved: u64,
}

impl<T> Drop for InFlight<T> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Decoded<T> {
    items: Vec<T>,
    body_bytes: u64,
    next: Option<i64>,
}

/// The ordered, prefetching chunk pipeline behind [`ResultStream`] and `BatchStream`.
///
/// Chunk tasks are spawned in index order while fewer than `concurrency` are in flight and
/// the bytes reserved (estimated body sizes of the queued chunks and of the chunk being
/// consumed) stay within `max_bytes`; one chunk is always allowed, so a chunk larger than
/// the budget still goes through. The head of the queue is awaited, so items come out in
/// order whatever order the tasks finish in.
struct Pipeline<T> {
    ctx: Arc<ChunkContext>,
    decode: DecodeFn<T>,
    plan: Plan,
    first: Option<ResultData>,
    /// `manifest.chunks[].byte_count` by chunk index.
    sizes: std::collections::HashMap<i64, u64>,
    /// The largest body seen so far: the estimate for chunks of unknown size.
    largest_seen: u64,
    queue: VecDeque<InFlight<T>>,
    current: std::vec::IntoIter<T>,
    current_bytes: u64,
    reserved: u64,
    concurrency: usize,
    max_bytes: u64,
    started: bool,
    finished: bool,
    cancel: Option<CancelGuard>,
}

impl<T: Send + 'static> Pipeline<T> {
    fn poll_next_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        self.started = true;
        loop {
            // No per-item work beyond this: the budgets only change when a chunk is taken
            // off the queue (below), and that is where the queue is topped up.
            if let Some(item) = self.current.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            if self.finished {
                return Poll::Ready(None);
            }
            // The current chunk is consumed: release its reservation.
            self.reserved = self.reserved.saturating_sub(self.current_bytes);
            self.current_bytes = 0;
            if let Err(e) = self.spawn_ready() {
                return self.fail(e);
            }
            let Some(head) = self.queue.front_mut() else {
                // Nothing in flight and nothing left to spawn: the end.
                self.finished = true;
                if let Some(guard) = &mut self.cancel {
                    guard.statement_id = None;
                }
                return Poll::Ready(None);
            };
            let joined = match Pin::new(&mut head.task).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(joined) => joined,
            };
            let Some(done) = self.queue.pop_front() else {
                continue;
            };
            let decoded = match joined {
                Ok(Ok(decoded)) => decoded,
                Ok(Err(e)) => return self.fail(e),
                Err(e) => {
                    return self.fail(Error::OperationFailed {
                        what: format!(
                            "reading a result chunk of statement {}",
                            self.ctx.statement_id
                        ),
                        message: e.to_string(),
                    });
                }
            };
            self.largest_seen = self.largest_seen.max(decoded.body_bytes);
            if let Plan::Follow { next } = &mut self.plan {
                *next = decoded.next;
            }
            // Account for the real body size from now on (the estimate may have been low).
            let actual = done.reserved.max(decoded.body_bytes);
            self.reserved = self.reserved.saturating_add(actual - done.reserved);
            self.current_bytes = actual;
            self.current = decoded.items.into_iter();
            // Top up while the consumer works through this chunk.
            if let Err(e) = self.spawn_ready() {
                return self.fail(e);
            }
        }
    }

    fn fail(&mut self, e: Error) -> Poll<Option<Result<T>>> {
        self.finished = true;
        self.queue.clear();
        self.current = Vec::new().into_iter();
        Poll::Ready(Some(Err(e)))
    }

    /// Spawns chunk tasks while the count and byte budgets allow.
    fn spawn_ready(&mut self) -> Result<()> {
        if self.finished {
            return Ok(());
        }
        while self.queue.len() < self.concurrency {
            let index = match &self.plan {
                Plan::Known { next, total } if next < total => *next,
                // Follow mode learns the next index from the previous chunk: one at a time.
                Plan::Follow { next: Some(next) } if self.queue.is_empty() => *next,
                _ => return Ok(()),
            };
            // Unknown sizes (no `manifest.chunks` and no chunk seen yet): fetch one chunk
            // to learn a size before prefetching.
            let estimate = self
                .sizes
                .get(&index)
                .copied()
                .or((self.largest_seen > 0).then_some(self.largest_seen));
            let idle = self.queue.is_empty() && self.current.len() == 0;
            let estimate = match estimate {
                Some(e) if idle || self.reserved.saturating_add(e) <= self.max_bytes => e,
                None if idle => 0,
                _ => return Ok(()),
            };
            let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
                Error::InvalidArgument(
                    "a statement result stream must be polled inside a tokio runtime".to_owned(),
                )
            })?;
            match &mut self.plan {
                Plan::Known { next, .. } => *next += 1,
                Plan::Follow { next } => *next = None,
            }
            let given = self
                .first
                .take_if(|d| d.chunk_index.is_none_or(|i| i == index));
            let ctx = Arc::clone(&self.ctx);
            let decode = self.decode;
            let task = runtime.spawn(async move {
                let (fetched, next) = ctx.fetch(index, given).await?;
                let body_bytes = fetched.len() as u64;
                let items = if fetched.len() >= OFFLOAD_BYTES {
                    let worker = Arc::clone(&ctx);
                    tokio::task::spawn_blocking(move || decode(&worker, fetched, index))
                        .await
                        .map_err(|e| Error::OperationFailed {
                            what: format!(
                                "decoding chunk {index} of statement {}",
                                ctx.statement_id
                            ),
                            message: e.to_string(),
                        })??
                } else {
                    decode(&ctx, fetched, index)?
                };
                Ok(Decoded {
                    items,
                    body_bytes,
                    next: next.filter(|&n| n > index),
                })
            });
            self.reserved = self.reserved.saturating_add(estimate);
            self.queue.push_back(InFlight {
                task,
                reserved: estimate,
            });
        }
        Ok(())
    }
}

/// A fetched chunk, not yet decoded.
enum Fetched {
    /// INLINE `data_array`.
    Inline(Vec<Vec<Option<String>>>),
    /// EXTERNAL_LINKS bodies (usually one per chunk).
    Bodies(Vec<bytes::Bytes>),
}

impl Fetched {
    fn len(&self) -> usize {
        match self {
            Self::Inline(rows) => rows.iter().map(|r| r.len() * 8).sum(),
            Self::Bodies(bodies) => bodies.iter().map(bytes::Bytes::len).sum(),
        }
    }
}

fn decode_rows(ctx: &ChunkContext, fetched: Fetched, index: i64) -> Result<Vec<Row>> {
    let err = |e: decode::ChunkDecodeError| ctx.decode_error(index, e.message().to_owned());
    // A copy of the column list for this chunk's rows: every row holds an `Arc` of it, and one
    // `Arc` shared by all chunks would have the decoding threads (cloning it per row) and the
    // consumer (dropping rows) contend on one reference count.
    let columns: Arc<[ResultColumn]> = Arc::from(&ctx.columns[..]);
    match fetched {
        Fetched::Inline(array) => decode::text_rows(array, &columns).map_err(err),
        Fetched::Bodies(bodies) => {
            let mut rows = Vec::new();
            for body in bodies {
                let mut decoded = match &ctx.format {
                    ResultFormat::Csv => decode::csv_rows(&body, &columns).map_err(err)?,
                    ResultFormat::ArrowStream => ctx.arrow(&body, &columns, index)?,
                    _ => decode::json_array_rows(&body, &columns).map_err(err)?,
                };
                if rows.is_empty() {
                    rows = decoded;
                } else {
                    rows.append(&mut decoded);
                }
            }
            Ok(rows)
        }
    }
}

#[cfg(feature = "arrow")]
fn decode_batches(
    ctx: &ChunkContext,
    fetched: Fetched,
    index: i64,
) -> Result<Vec<arrow_array::RecordBatch>> {
    match fetched {
        Fetched::Inline(_) => Err(ctx.decode_error(
            index,
            "an INLINE JSON_ARRAY chunk cannot be read as Arrow batches; request \
             ResultFormat::ArrowStream with Disposition::ExternalLinks"
                .to_owned(),
        )),
        Fetched::Bodies(bodies) => {
            let mut batches = Vec::new();
            for body in bodies {
                batches.extend(
                    decode::arrow_batches(body)
                        .map_err(|e| ctx.decode_error(index, e.message().to_owned()))?,
                );
            }
            Ok(batches)
        }
    }
}

struct ChunkContext {
    api: StatementsApi,
    statement_id: String,
    format: ResultFormat,
    columns: Arc<[ResultColumn]>,
}

impl ChunkContext {
    fn chunk_path(&self, index: i64) -> Result<String> {
        Ok(format!(
            "{BASE}/{}/result/chunks/{index}",
            segment("statement_id", &self.statement_id)?
        ))
    }

    fn decode_error(&self, index: i64, message: String) -> Error {
        Error::Decode {
            method: "GET".to_owned(),
            path: self
                .chunk_path(index)
                .unwrap_or_else(|_| format!("{BASE}/…/result/chunks/{index}")),
            json_path: ".".to_owned(),
            message,
            excerpt: String::new(),
        }
    }

    /// Fetches chunk `index` (using `given` when the statement response already carried it):
    /// its inline rows or the bodies of its external links, and the next chunk index.
    async fn fetch(&self, index: i64, given: Option<ResultData>) -> Result<(Fetched, Option<i64>)> {
        let data = match given {
            Some(d) => d,
            None => self.api.get_chunk(&self.statement_id, index).await?,
        };
        let mut next = data.next_chunk_index;
        if let Some(array) = data.data_array {
            return Ok((Fetched::Inline(array), next));
        }
        let mut bodies = Vec::with_capacity(1);
        for link in data
            .external_links
            .into_iter()
            .filter(|l| l.chunk_index.is_none_or(|i| i == index))
        {
            next = next.or(link.next_chunk_index);
            bodies.push(self.download(index, link).await?);
        }
        Ok((Fetched::Bodies(bodies), next))
    }

    #[cfg(feature = "arrow")]
    fn arrow(&self, body: &[u8], columns: &Arc<[ResultColumn]>, index: i64) -> Result<Vec<Row>> {
        decode::arrow_rows(body, columns)
            .map_err(|e| self.decode_error(index, e.message().to_owned()))
    }

    #[cfg(not(feature = "arrow"))]
    fn arrow(&self, _body: &[u8], _columns: &Arc<[ResultColumn]>, index: i64) -> Result<Vec<Row>> {
        Err(self.decode_error(
            index,
            "ARROW_STREAM results need the `arrow` cargo feature of databricks-client; \
             enable it or request JSON_ARRAY"
                .to_owned(),
        ))
    }

    /// Downloads one external link without workspace credentials, refreshing it (by fetching
    /// the chunk metadata again) when it has expired.
    async fn download(&self, index: i64, mut link: ExternalLink) -> Result<bytes::Bytes> {
        const MAX_REFRESHES: u32 = 2;
        let mut refreshes = 0;
        if link_expired(&link, SystemTime::now()) {
            link = self.refresh(index).await?;
            refreshes += 1;
        }
        loop {
            let url = url::Url::parse(&link.external_link).map_err(|e| {
                self.decode_error(index, format!("the external link is not a valid URL: {e}"))
            })?;
            let mut req = self.api.client.external(Method::GET, url).idempotent(true);
            for (name, value) in &link.http_headers {
                let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                    self.decode_error(
                        index,
                        format!("invalid header name `{name}` in http_headers"),
                    )
                })?;
                let value = HeaderValue::from_str(value).map_err(|_| {
                    self.decode_error(index, format!("invalid value for header `{name}`"))
                })?;
                req = req.header(name, value);
            }
            match req.send().await {
                Ok(resp) => return Ok(resp.body),
                Err(e) if refreshes < MAX_REFRESHES && looks_expired(&e) => {
                    tracing::debug!(
                        statement_id = %self.statement_id,
                        chunk_index = index,
                        "external link expired; fetching a fresh one"
                    );
                    link = self.refresh(index).await?;
                    refreshes += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn refresh(&self, index: i64) -> Result<ExternalLink> {
        let data = self.api.get_chunk(&self.statement_id, index).await?;
        data.external_links
            .into_iter()
            .find(|l| l.chunk_index.is_none_or(|i| i == index))
            .ok_or_else(|| {
                self.decode_error(
                    index,
                    "the chunk metadata carries no external link; request the statement again"
                        .to_owned(),
                )
            })
    }
}

/// A presigned URL that was refused because it expired: 403 from S3/GCS/ADLS, or a 400/404
/// whose body says so.
fn looks_expired(e: &Error) -> bool {
    match e.api_error() {
        Some(api) if api.status == 403 => true,
        Some(api) if matches!(api.status, 400 | 404 | 410) => {
            api.message.to_ascii_lowercase().contains("expired")
        }
        _ => false,
    }
}

/// `true` when `expiration` is in the past (with a 5 s margin).
fn link_expired(link: &ExternalLink, now: SystemTime) -> bool {
    link.expiration
        .as_deref()
        .and_then(parse_rfc3339)
        .is_some_and(|exp| exp <= now + Duration::from_secs(5))
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let s = s.trim();
    let (date, rest) = s.split_once(['T', 't', ' '])?;
    let mut d = date.split('-');
    let year: i64 = d.next()?.parse().ok()?;
    let month: i64 = d.next()?.parse().ok()?;
    let day: i64 = d.next()?.parse().ok()?;
    let (time, offset_secs) = if let Some(t) = rest.strip_suffix(['Z', 'z']) {
        (t, 0)
    } else {
        let pos = rest.rfind(['+', '-'])?;
        let (t, off) = rest.split_at(pos);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (h, m) = off.get(1..)?.split_once(':')?;
        (
            t,
            sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60),
        )
    };
    let mut t = time.split(':');
    let hour: i64 = t.next()?.parse().ok()?;
    let minute: i64 = t.next()?.parse().ok()?;
    let sec_text = t.next()?;
    let (whole, frac) = sec_text.split_once('.').unwrap_or((sec_text, ""));
    let second: i64 = whole.parse().ok()?;
    let nanos: u32 = if frac.is_empty() {
        0
    } else {
        let digits: String = frac.chars().take(9).collect();
        let n: u32 = digits.parse().ok()?;
        n * 10u32.pow(9 - digits.len() as u32)
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    // Days from civil (Howard Hinnant).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    let secs = u64::try_from(secs).ok()?;
    Some(UNIX_EPOCH + Duration::new(secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        let t = parse_rfc3339("2024-02-29T10:00:00.5Z").unwrap();
        assert_eq!(
            t.duration_since(UNIX_EPOCH).unwrap(),
            Duration::new(1_709_200_800, 500_000_000)
        );
        let t2 = parse_rfc3339("2024-02-29T12:00:00+02:00").unwrap();
        assert_eq!(
            t2.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_709_200_800
        );
        assert!(parse_rfc3339("yesterday").is_none());
        assert!(parse_rfc3339("2024-13-01T00:00:00Z").is_none());
    }

    #[test]
    fn segments_are_escaped() {
        assert_eq!(
            segment("x", "main.sales.orders").unwrap(),
            "main.sales.orders"
        );
        assert_eq!(segment("x", "a b?d").unwrap(), "a%20b%3Fd");
        assert!(segment("statement_id", "a/b").is_err());
    }
}
