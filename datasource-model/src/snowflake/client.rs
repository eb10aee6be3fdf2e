//! A typed client for the Snowflake SQL API v2 (`/api/v2/statements`) and Cortex Analyst
//! (`/api/v2/cortex/analyst/message`).
//!
//! * Submissions carry a `requestId` (UUID) so they are idempotent; a resubmission after a
//!   transient failure repeats the same `requestId` with `retry=true`.
//! * 429, 503, 504 and connection failures are retried with jittered exponential backoff
//!   (`backon`); a 401 on a key-pair JWT re-mints the token once.
//! * 202 answers are polled with growing delays until 200 / 408 / 422 or the caller's deadline.
//! * Result partitions stream with bounded concurrency ([`SqlApi::partitions`]); gzip bodies are
//!   decoded.

use std::collections::BTreeMap;
use std::io::Read;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use futures::{Stream, StreamExt};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::{debug, warn};
use url::Url;

use super::SnowflakeError;
use super::auth::Credential;
use super::cells::RowType;

/// Default `User-Agent` (the spec requires one).
pub(crate) const USER_AGENT: &str = concat!("datasource-model/", env!("CARGO_PKG_VERSION"));

/// Retry policy for transient HTTP failures.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    pub(crate) max_retries: usize,
    pub(crate) min_delay: Duration,
    pub(crate) max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    fn delays(&self) -> impl Iterator<Item = Duration> {
        ExponentialBuilder::new()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries)
            .with_jitter()
            .build()
    }
}

/// Polling of running statements.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PollPolicy {
    pub(crate) first_delay: Duration,
    pub(crate) max_delay: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
        }
    }
}

/// One positional binding (`"1"`, `"2"`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Binding {
    #[serde(rename = "type")]
    pub(crate) type_name: &'static str,
    pub(crate) value: Option<String>,
}

/// The body of `POST /api/v2/statements`.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct SubmitBody {
    pub(crate) statement: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) timeout: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) database: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) schema: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) warehouse: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) role: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) bindings: BTreeMap<String, Binding>,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub(crate) parameters: serde_json::Map<String, Value>,
}

impl SubmitBody {
    /// Add the next positional binding.
    pub(crate) fn bind(&mut self, type_name: &'static str, value: Option<String>) {
        let key = (self.bindings.len() + 1).to_string();
        self.bindings.insert(key, Binding { type_name, value });
    }
}

/// `QueryStatus` / `QueryFailureStatus` / `CancelStatus` / `ErrorResponse` fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    sql_state: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    statement_handle: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PartitionInfo {
    #[serde(default)]
    row_count: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResultSetMetaData {
    #[serde(default)]
    num_rows: Option<u64>,
    #[serde(default)]
    row_type: Vec<RowType>,
    #[serde(default)]
    partition_info: Vec<PartitionInfo>,
}

/// `ResultSet` (200).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResultSet {
    #[serde(default)]
    statement_handle: Option<String>,
    #[serde(default)]
    result_set_meta_data: Option<ResultSetMetaData>,
    #[serde(default)]
    data: Vec<Vec<Option<String>>>,
}

/// Rows of one partition.
pub(crate) type Rows = Vec<Vec<Option<String>>>;

/// A finished statement: metadata and partition 0; later partitions are fetched on demand.
#[derive(Debug, Clone)]
pub(crate) struct Finished {
    pub(crate) handle: String,
    pub(crate) row_types: Vec<RowType>,
    pub(crate) num_rows: Option<u64>,
    pub(crate) partitions: usize,
    /// `rowCount` of each partition, when the server sent it.
    pub(crate) partition_rows: Vec<Option<u64>>,
    pub(crate) first: Rows,
}

/// The outcome of a submit or a status call.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// 200: done.
    Finished(Finished),
    /// 202: still running.
    Running { handle: String },
}

/// The SQL API and Cortex Analyst over one account.
#[derive(Debug)]
pub(crate) struct SqlApi {
    http: reqwest::Client,
    base: Url,
    credential: Credential,
    user_agent: String,
    pub(crate) retry: RetryPolicy,
    pub(crate) poll: PollPolicy,
    pub(crate) partition_concurrency: usize,
}

struct Response {
    status: StatusCode,
    body: Vec<u8>,
    request_id: Option<String>,
}

/// A fresh random UUID (v4) for `requestId`.
pub(crate) fn new_request_id() -> String {
    let mut b = [0u8; 16];
    if aws_lc_rs::rand::fill(&mut b).is_err() {
        // The system RNG failed: fall back to time-derived bytes (still unique per call).
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        b = nanos.to_le_bytes();
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn decode_body(headers: &HeaderMap, bytes: &[u8]) -> Result<Vec<u8>, SnowflakeError> {
    let gzip = headers
        .get(reqwest::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    // Some servers gzip partitions without saying so: sniff the gzip magic too.
    if gzip || bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map_err(|e| SnowflakeError::Decode {
                message: format!("cannot gunzip a Snowflake response: {e}"),
            })?;
        Ok(out)
    } else {
        Ok(bytes.to_vec())
    }
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8], what: &str) -> Result<T, SnowflakeError> {
    serde_json::from_slice(body).map_err(|e| SnowflakeError::Decode {
        message: format!("{what}: {e}"),
    })
}

impl SqlApi {
    pub(crate) fn new(
        base: Url,
        credential: Credential,
        timeout: Duration,
    ) -> Result<Self, SnowflakeError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| SnowflakeError::Transport {
                message: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Self {
            http,
            base,
            credential,
            user_agent: USER_AGENT.to_string(),
            retry: RetryPolicy::default(),
            poll: PollPolicy::default(),
            partition_concurrency: 4,
        })
    }

    pub(crate) fn base(&self) -> &Url {
        &self.base
    }

    fn url(&self, path: &str, query: &[(&str, String)]) -> Result<Url, SnowflakeError> {
        let mut url = self
            .base
            .join(path)
            .map_err(|e| SnowflakeError::Transport {
                message: format!("bad Snowflake URL {}{path}: {e}", self.base),
            })?;
        if !query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// Send with retries. `query` is rebuilt per attempt so a POST resubmission can add
    /// `retry=true`.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        resubmit_flag: bool,
    ) -> Result<Response, SnowflakeError> {
        let mut delays = self.retry.delays();
        let mut refreshed = false;
        let mut resubmission = false;
        loop {
            let mut q: Vec<(&str, String)> = query.to_vec();
            if resubmit_flag && resubmission {
                q.push(("retry", "true".to_string()));
            }
            let url = self.url(path, &q)?;
            let token = self
                .credential
                .token(refreshed && self.credential.can_refresh())?;
            let mut req = self
                .http
                .request(method.clone(), url)
                .header(
                    reqwest::header::AUTHORIZATION,
                    format!("Bearer {}", token.expose_secret()),
                )
                .header(
                    "X-Snowflake-Authorization-Token-Type",
                    self.credential.token_type(),
                )
                .header(reqwest::header::ACCEPT, "application/json")
                .header(reqwest::header::ACCEPT_ENCODING, "gzip")
                .header(reqwest::header::USER_AGENT, &self.user_agent);
            if let Some(b) = body {
                req = req
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(serde_json::to_vec(b).map_err(|e| SnowflakeError::Decode {
                        message: format!("cannot encode the request: {e}"),
                    })?);
            }
            let result = req.send().await;
            let retry_reason = match result {
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    let retry_after = retry_after(&headers);
                    if status == StatusCode::UNAUTHORIZED
                        && self.credential.can_refresh()
                        && !refreshed
                    {
                        debug!("Snowflake answered 401; re-minting the key-pair JWT once");
                        refreshed = true;
                        continue;
                    }
                    if matches!(status.as_u16(), 429 | 503 | 504)
                        && let Some(d) = delays.next()
                    {
                        let d = retry_after.map_or(d, |r| r.max(d));
                        warn!(
                            status = status.as_u16(),
                            delay_ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
                            "Snowflake is busy; retrying"
                        );
                        tokio::time::sleep(d).await;
                        resubmission = true;
                        continue;
                    }
                    let request_id = headers
                        .get("x-snowflake-request-id")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    let bytes = resp.bytes().await.map_err(|e| SnowflakeError::Transport {
                        message: format!("reading the Snowflake response: {e}"),
                    })?;
                    let body = decode_body(&headers, &bytes)?;
                    return Ok(Response {
                        status,
                        body,
                        request_id,
                    });
                }
                Err(e) => e,
            };
            let transient =
                retry_reason.is_connect() || retry_reason.is_timeout() || retry_reason.is_request();
            let message = retry_reason.without_url().to_string();
            match delays.next() {
                Some(d) if transient => {
                    warn!(error = %message, delay_ms = d.as_millis() as u64, "Snowflake request failed; retrying");
                    tokio::time::sleep(d).await;
                    resubmission = true;
                }
                _ => {
                    return Err(SnowflakeError::Transport {
                        message: format!("cannot reach Snowflake at {}: {message}", self.base),
                    });
                }
            }
        }
    }

    fn error(resp: &Response) -> SnowflakeError {
        let status: Status = serde_json::from_slice(&resp.body).unwrap_or_default();
        let message = status.message.clone().unwrap_or_else(|| {
            String::from_utf8_lossy(&resp.body)
                .chars()
                .take(500)
                .collect()
        });
        match resp.status.as_u16() {
            422 => SnowflakeError::StatementFailed {
                code: status.code.unwrap_or_default(),
                sql_state: status.sql_state.unwrap_or_default(),
                message,
                statement_handle: status.statement_handle,
            },
            408 => SnowflakeError::StatementTimeout {
                code: status.code.unwrap_or_default(),
                sql_state: status.sql_state.unwrap_or_default(),
                message,
                statement_handle: status.statement_handle,
            },
            s => SnowflakeError::Http {
                status: s,
                code: status.code,
                message,
                request_id: status.request_id.or_else(|| resp.request_id.clone()),
            },
        }
    }

    fn outcome(resp: Response) -> Result<Outcome, SnowflakeError> {
        match resp.status.as_u16() {
            200 => {
                let rs: ResultSet = parse(&resp.body, "Snowflake ResultSet")?;
                let meta = rs.result_set_meta_data.unwrap_or_default();
                Ok(Outcome::Finished(Finished {
                    handle: rs.statement_handle.unwrap_or_default(),
                    partitions: meta.partition_info.len().max(1),
                    num_rows: meta.num_rows.or_else(|| {
                        (!meta.partition_info.is_empty())
                            .then(|| meta.partition_info.iter().filter_map(|p| p.row_count).sum())
                    }),
                    partition_rows: meta.partition_info.iter().map(|p| p.row_count).collect(),
                    row_types: meta.row_type,
                    first: rs.data,
                }))
            }
            202 => {
                let st: Status = parse(&resp.body, "Snowflake QueryStatus")?;
                let handle = st.statement_handle.ok_or_else(|| SnowflakeError::Decode {
                    message: "a 202 answer without statementHandle".into(),
                })?;
                Ok(Outcome::Running { handle })
            }
            _ => Err(Self::error(&resp)),
        }
    }

    /// `POST /api/v2/statements` (idempotent through `request_id`).
    pub(crate) async fn submit(
        &self,
        body: &SubmitBody,
        request_id: &str,
    ) -> Result<Outcome, SnowflakeError> {
        let json = serde_json::to_value(body).map_err(|e| SnowflakeError::Decode {
            message: format!("cannot encode the statement: {e}"),
        })?;
        debug!(request_id, statement = %body.statement, "Snowflake submit");
        let resp = self
            .send(
                Method::POST,
                "/api/v2/statements",
                &[("requestId", request_id.to_string())],
                Some(&json),
                true,
            )
            .await?;
        Self::outcome(resp)
    }

    /// `GET /api/v2/statements/{handle}`.
    pub(crate) async fn status(&self, handle: &str) -> Result<Outcome, SnowflakeError> {
        let resp = self
            .send(
                Method::GET,
                &format!("/api/v2/statements/{}", encode(handle)),
                &[],
                None,
                false,
            )
            .await?;
        Self::outcome(resp)
    }

    /// Poll until the statement finishes or `deadline` passes.
    pub(crate) async fn wait(
        &self,
        outcome: Outcome,
        started: Instant,
        max_wait: Duration,
    ) -> Result<Finished, SnowflakeError> {
        let mut outcome = outcome;
        let mut delay = self.poll.first_delay;
        loop {
            match outcome {
                Outcome::Finished(f) => return Ok(f),
                Outcome::Running { handle } => {
                    if started.elapsed() >= max_wait {
                        return Err(SnowflakeError::StillRunning {
                            statement_handle: handle,
                            waited_ms: u64::try_from(started.elapsed().as_millis())
                                .unwrap_or(u64::MAX),
                        });
                    }
                    tokio::time::sleep(delay).await;
                    delay = (delay * 3 / 2).min(self.poll.max_delay);
                    outcome = self.status(&handle).await?;
                }
            }
        }
    }

    /// `GET /api/v2/statements/{handle}?partition=N` → the partition's rows.
    pub(crate) async fn partition(&self, handle: &str, n: usize) -> Result<Rows, SnowflakeError> {
        let resp = self
            .send(
                Method::GET,
                &format!("/api/v2/statements/{}", encode(handle)),
                &[("partition", n.to_string())],
                None,
                false,
            )
            .await?;
        if resp.status != StatusCode::OK {
            return Err(Self::error(&resp));
        }
        #[derive(Deserialize)]
        struct Data {
            #[serde(default)]
            data: Rows,
        }
        Ok(parse::<Data>(&resp.body, "Snowflake partition")?.data)
    }

    /// Partitions `1..count` in order, at most `partition_concurrency` in flight. Dropping the
    /// stream cancels the fetches still running.
    pub(crate) fn partitions<'a>(
        &'a self,
        handle: &'a str,
        count: usize,
    ) -> impl Stream<Item = Result<Rows, SnowflakeError>> + Send + 'a {
        futures::stream::iter(1..count)
            .map(move |n| self.partition(handle, n))
            .buffered(self.partition_concurrency.max(1))
    }

    /// `POST /api/v2/statements/{handle}/cancel`.
    pub(crate) async fn cancel(&self, handle: &str) -> Result<(), SnowflakeError> {
        let resp = self
            .send(
                Method::POST,
                &format!("/api/v2/statements/{}/cancel", encode(handle)),
                &[],
                Some(&Value::Object(serde_json::Map::new())),
                false,
            )
            .await?;
        if resp.status == StatusCode::OK {
            Ok(())
        } else {
            Err(Self::error(&resp))
        }
    }

    /// `POST /api/v2/cortex/analyst/message`.
    pub(crate) async fn analyst(&self, body: &Value) -> Result<Value, SnowflakeError> {
        let resp = self
            .send(
                Method::POST,
                "/api/v2/cortex/analyst/message",
                &[],
                Some(body),
                false,
            )
            .await?;
        if resp.status != StatusCode::OK {
            return Err(Self::error(&resp));
        }
        parse(&resp.body, "Cortex Analyst response")
    }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v: &HeaderValue = headers.get(reqwest::header::RETRY_AFTER)?;
    let secs: u64 = v.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs.min(60)))
}

/// Percent-encode a path segment (statement handles are UUIDs; anything else is escaped).
fn encode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_v4_uuids() {
        let a = new_request_id();
        let b = new_request_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
    }

    #[test]
    fn bindings_are_positional() {
        let mut b = SubmitBody {
            statement: "select ?, ?".into(),
            ..SubmitBody::default()
        };
        b.bind("TEXT", Some("x".into()));
        b.bind("FIXED", None);
        let v = serde_json::to_value(&b).unwrap();
        assert_eq!(
            v["bindings"],
            serde_json::json!({"1": {"type": "TEXT", "value": "x"}, "2": {"type": "FIXED", "value": null}})
        );
    }
}
