//! A small typed client for the BigQuery REST API v2: `jobs.query` with the
//! `jobComplete: false` → `jobs.getQueryResults` loop, `pageToken` paging as a [`Stream`] (one
//! page in memory at a time), `jobs.get`, `jobs.cancel`, `datasets.get`/`list` and
//! `tables.get`/`list`. Every call retries the retryable reasons with jittered exponential
//! backoff (`backon`); `jobs.query` carries a `requestId`, so a retried query is not run twice.

use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use futures::stream::{self, Stream, StreamExt, TryStreamExt};
use reqwest::Method;
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::{debug, warn};
use url::Url;

use super::cells;
use super::credential::Credentials;
use super::error::BigQueryError;
use super::models::{
    Dataset, ErrorEnvelope, Job, JobCancelResponse, JobReference, QueryRequest, QueryResponse,
    Table, TableList, TableSchema,
};

/// The API root (pinned here, once).
pub(crate) const DEFAULT_ENDPOINT: &str = "https://bigquery.googleapis.com/bigquery/v2";
/// How long one `jobs.query` / `getQueryResults` call waits on the server.
const SERVER_WAIT_MS: u64 = 10_000;

/// Backoff settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetrySettings {
    pub(crate) min_delay: Duration,
    pub(crate) max_delay: Duration,
    pub(crate) max_retries: usize,
}

impl Default for RetrySettings {
    fn default() -> Self {
        Self {
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(16),
            max_retries: 5,
        }
    }
}

/// The client. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    endpoint: Url,
    credentials: Credentials,
    retry: RetrySettings,
}

/// A job's full id as the bq CLI prints it: `project:LOCATION.job_id` (location optional).
pub(crate) fn format_query_id(job: &JobReference) -> String {
    match job.location.as_deref().filter(|l| !l.is_empty()) {
        Some(loc) => format!("{}:{loc}.{}", job.project_id, job.job_id),
        None => format!("{}:{}", job.project_id, job.job_id),
    }
}

/// Parse [`format_query_id`] output, or a bare job id (filled from the defaults).
pub(crate) fn parse_query_id(
    id: &str,
    project: &str,
    location: Option<&str>,
) -> Result<JobReference, BigQueryError> {
    let (proj, rest) = match id.rsplit_once(':') {
        Some((p, r)) => (p.to_string(), r),
        None => (project.to_string(), id),
    };
    let (loc, job) = match rest.split_once('.') {
        Some((l, j)) => (Some(l.to_string()), j),
        None => (location.map(str::to_string), rest),
    };
    let valid = |s: &str| {
        !s.is_empty()
            && s.len() <= 1024
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if !valid(job) {
        return Err(BigQueryError::Config(format!(
            "`{}` is not a BigQuery job id; pass the query_id a result returned (project:LOCATION.job_id)",
            id.escape_debug()
        )));
    }
    Ok(JobReference {
        project_id: proj,
        job_id: job.to_string(),
        location: loc,
    })
}

impl Client {
    pub(crate) fn new(
        http: reqwest::Client,
        endpoint: &str,
        credentials: Credentials,
        retry: RetrySettings,
    ) -> Result<Self, BigQueryError> {
        let endpoint = Url::parse(endpoint.trim_end_matches('/')).map_err(|e| {
            BigQueryError::Config(format!(
                "`bigquery.endpoint` `{endpoint}` is not a URL ({e}); leave it unset for {DEFAULT_ENDPOINT}"
            ))
        })?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                endpoint,
                credentials,
                retry,
            }),
        })
    }

    fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut url = self.inner.endpoint.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        url
    }

    async fn send_once<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<T, BigQueryError> {
        let token = self.inner.credentials.token(&self.inner.http).await?;
        let mut request = self
            .inner
            .http
            .request(method, url)
            .bearer_auth(token.expose_secret());
        if let Some(b) = body {
            request = request.json(b);
        }
        let response = request.send().await.map_err(|e| BigQueryError::Transport {
            what: "BigQuery",
            source: e,
        })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| BigQueryError::Transport {
                what: "BigQuery",
                source: e,
            })?;
        if !status.is_success() {
            if status.as_u16() == 401 {
                self.inner.credentials.invalidate().await;
            }
            let envelope: ErrorEnvelope = serde_json::from_slice(&bytes).unwrap_or_default();
            let first = envelope.error.errors.first().cloned().unwrap_or_default();
            let message = envelope.error.message.or(first.message).unwrap_or_else(|| {
                status
                    .canonical_reason()
                    .unwrap_or("no error message")
                    .to_string()
            });
            return Err(BigQueryError::Api {
                operation,
                status: status.as_u16(),
                reason: first.reason,
                location: first.location,
                message,
            });
        }
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(&mut de).map_err(|e| BigQueryError::Decode {
            what: operation,
            path: e.path().to_string(),
            message: e.inner().to_string(),
        })
    }

    /// One call with retries of retryable reasons (jittered exponential backoff).
    async fn send<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<T, BigQueryError> {
        let r = self.inner.retry;
        let backoff = ExponentialBuilder::default()
            .with_min_delay(r.min_delay)
            .with_max_delay(r.max_delay)
            .with_max_times(r.max_retries)
            .with_jitter();
        (|| self.send_once::<T>(operation, method.clone(), url.clone(), body))
            .retry(backoff)
            .when(BigQueryError::is_retryable)
            .notify(|e, wait| {
                warn!(operation, error = %e, ?wait, "retrying BigQuery call");
            })
            .await
    }

    /// `jobs.query`.
    pub(crate) async fn query(
        &self,
        project: &str,
        request: &QueryRequest,
    ) -> Result<QueryResponse, BigQueryError> {
        let body = serde_json::to_value(request).map_err(|e| BigQueryError::Decode {
            what: "jobs.query request",
            path: String::new(),
            message: e.to_string(),
        })?;
        let url = self.url(&["projects", project, "queries"], &[]);
        self.send("jobs.query", Method::POST, url, Some(&body))
            .await
    }

    /// `jobs.getQueryResults`.
    pub(crate) async fn get_query_results(
        &self,
        job: &JobReference,
        page_token: Option<&str>,
        max_results: Option<u32>,
        timeout_ms: Option<u64>,
    ) -> Result<QueryResponse, BigQueryError> {
        let mut query = Vec::new();
        if let Some(l) = job.location.as_deref().filter(|l| !l.is_empty()) {
            query.push(("location", l.to_string()));
        }
        if let Some(t) = page_token {
            query.push(("pageToken", t.to_string()));
        }
        if let Some(m) = max_results {
            query.push(("maxResults", m.to_string()));
        }
        if let Some(t) = timeout_ms {
            query.push(("timeoutMs", t.to_string()));
        }
        let url = self.url(
            &["projects", &job.project_id, "queries", &job.job_id],
            &query,
        );
        self.send("jobs.getQueryResults", Method::GET, url, None)
            .await
    }

    /// `jobs.query`, then `getQueryResults` until `jobComplete`, within `deadline`. A job still
    /// running at the deadline is a [`BigQueryError::Timeout`] naming its id (it keeps running).
    pub(crate) async fn run_query(
        &self,
        project: &str,
        request: &QueryRequest,
        deadline: Duration,
    ) -> Result<QueryResponse, BigQueryError> {
        let started = Instant::now();
        let mut response = self.query(project, request).await?;
        while !response.is_complete() {
            let job = response
                .job_reference
                .clone()
                .ok_or_else(|| BigQueryError::Decode {
                    what: "jobs.query",
                    path: "jobReference".into(),
                    message: "jobComplete is false but there is no jobReference to poll".into(),
                })?;
            let waited = started.elapsed();
            if waited >= deadline {
                return Err(BigQueryError::Timeout {
                    query_id: format_query_id(&job),
                    waited,
                });
            }
            let wait_ms = u64::try_from((deadline - waited).as_millis())
                .unwrap_or(u64::MAX)
                .clamp(1, SERVER_WAIT_MS);
            debug!(job_id = %job.job_id, wait_ms, "job not complete; polling getQueryResults");
            response = self
                .get_query_results(&job, None, request.max_results, Some(wait_ms))
                .await?;
            if response.job_reference.is_none() {
                response.job_reference = Some(job);
            }
        }
        Ok(response)
    }

    /// All rows of a completed query, page by page: the rows of `first`, then
    /// `getQueryResults?pageToken=…` while a token is present. Only one page is held at a
    /// time; stop polling the stream to stop fetching.
    pub(crate) fn rows(
        &self,
        first: QueryResponse,
        max_results: Option<u32>,
    ) -> impl Stream<Item = Result<Vec<Value>, BigQueryError>> + Send + 'static {
        let client = self.clone();
        let schema = Arc::new(first.schema.clone().unwrap_or_default());
        let job = first.job_reference.clone();
        enum State {
            Page(QueryResponse),
            Next(String),
            Done,
        }
        let pages = stream::try_unfold(State::Page(first), move |state| {
            let client = client.clone();
            let job = job.clone();
            async move {
                let page = match state {
                    State::Done => return Ok(None),
                    State::Page(p) => p,
                    State::Next(token) => {
                        let job = job.ok_or_else(|| BigQueryError::Decode {
                            what: "jobs.query",
                            path: "jobReference".into(),
                            message: "a pageToken came without a jobReference; paging needs JOB_CREATION_REQUIRED".into(),
                        })?;
                        client
                            .get_query_results(&job, Some(&token), max_results, None)
                            .await?
                    }
                };
                let next = match page.next_page() {
                    Some(t) => State::Next(t.to_string()),
                    None => State::Done,
                };
                Ok(Some((page.rows, next)))
            }
        });
        pages
            .map_ok(move |rows| {
                let schema = Arc::clone(&schema);
                stream::iter(rows.into_iter().map(move |r| Ok(cells::row(&schema, &r.f))))
            })
            .try_flatten()
            .boxed()
    }

    /// `jobs.get`.
    pub(crate) async fn get_job(&self, job: &JobReference) -> Result<Job, BigQueryError> {
        let query: Vec<(&str, String)> = job
            .location
            .iter()
            .map(|l| ("location", l.clone()))
            .collect();
        let url = self.url(&["projects", &job.project_id, "jobs", &job.job_id], &query);
        self.send("jobs.get", Method::GET, url, None).await
    }

    /// `jobs.cancel` (asynchronous on the server; the job answers with its current state).
    pub(crate) async fn cancel_job(
        &self,
        job: &JobReference,
    ) -> Result<JobCancelResponse, BigQueryError> {
        let query: Vec<(&str, String)> = job
            .location
            .iter()
            .map(|l| ("location", l.clone()))
            .collect();
        let url = self.url(
            &["projects", &job.project_id, "jobs", &job.job_id, "cancel"],
            &query,
        );
        self.send("jobs.cancel", Method::POST, url, None).await
    }

    /// `datasets.get`.
    pub(crate) async fn get_dataset(
        &self,
        project: &str,
        dataset: &str,
    ) -> Result<Dataset, BigQueryError> {
        let url = self.url(&["projects", project, "datasets", dataset], &[]);
        self.send("datasets.get", Method::GET, url, None).await
    }

    /// `tables.get`.
    pub(crate) async fn get_table(
        &self,
        project: &str,
        dataset: &str,
        table: &str,
    ) -> Result<Table, BigQueryError> {
        let url = self.url(
            &["projects", project, "datasets", dataset, "tables", table],
            &[],
        );
        self.send("tables.get", Method::GET, url, None).await
    }

    /// `tables.list`, all pages.
    pub(crate) fn list_tables(
        &self,
        project: &str,
        dataset: &str,
    ) -> impl Stream<Item = Result<Table, BigQueryError>> + Send + 'static {
        let client = self.clone();
        let (project, dataset) = (project.to_string(), dataset.to_string());
        paged(move |token| {
            let client = client.clone();
            let (project, dataset) = (project.clone(), dataset.clone());
            async move {
                let query: Vec<(&str, String)> =
                    token.into_iter().map(|t| ("pageToken", t)).collect();
                let url = client.url(
                    &["projects", &project, "datasets", &dataset, "tables"],
                    &query,
                );
                let list: TableList = client.send("tables.list", Method::GET, url, None).await?;
                Ok((list.tables, list.next_page_token))
            }
        })
    }

    /// The schema of `project.dataset.table`.
    pub(crate) async fn table_schema(
        &self,
        project: &str,
        dataset: &str,
        table: &str,
    ) -> Result<TableSchema, BigQueryError> {
        Ok(self
            .get_table(project, dataset, table)
            .await?
            .schema
            .unwrap_or_default())
    }
}

/// A `nextPageToken` listing as a stream of items.
fn paged<T, F, Fut>(fetch: F) -> impl Stream<Item = Result<T, BigQueryError>> + Send + 'static
where
    T: Send + 'static,
    F: Fn(Option<String>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), BigQueryError>>
        + Send
        + 'static,
{
    let fetch = Arc::new(fetch);
    stream::try_unfold(Some(None::<String>), move |state| {
        let fetch = Arc::clone(&fetch);
        async move {
            let Some(token) = state else {
                return Ok(None);
            };
            let (items, next) = fetch(token).await?;
            let next = next.filter(|t| !t.is_empty()).map(Some);
            Ok(Some((stream::iter(items.into_iter().map(Ok)), next)))
        }
    })
    .try_flatten()
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_ids_round_trip() {
        let job = JobReference {
            project_id: "p-1".into(),
            job_id: "job_abc-1".into(),
            location: Some("europe-west3".into()),
        };
        let id = format_query_id(&job);
        assert_eq!(id, "p-1:europe-west3.job_abc-1");
        assert_eq!(parse_query_id(&id, "x", None).unwrap(), job);
        let bare = parse_query_id("job_1", "proj", Some("US")).unwrap();
        assert_eq!(bare.project_id, "proj");
        assert_eq!(bare.location.as_deref(), Some("US"));
        assert!(parse_query_id("job/../x", "p", None).is_err());
        assert!(parse_query_id("", "p", None).is_err());
    }
}
