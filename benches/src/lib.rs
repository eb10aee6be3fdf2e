//! Benchmarks for the workspace crates: a loopback fake workspace and the bare floors.
//!
//! Benchmarks live under `benches/benches/` and are run with `cargo bench -p benches`. Every
//! claim is a ratio against a baseline measured in the same run, recorded in
//! `docs/performance.md`; nothing here is a timed unit test.
//!
//! [`FakeWorkspace`] is a hyper server on 127.0.0.1 that serves canned statement results
//! (JSON_ARRAY, CSV and ARROW_STREAM chunks behind EXTERNAL_LINKS) and job-list pages from
//! memory, with an optional per-chunk latency, so the client is what is measured. The
//! `floor_*` functions are the bare baselines: plain `reqwest` and a parser, sequential, doing
//! the same HTTP calls.
//!
//! ```no_run
//! # async fn run() {
//! let server = benches::FakeWorkspace::start(benches::Shape::quick(), std::time::Duration::ZERO).await;
//! let rows = benches::floor_json_statement(&server.base_url()).await;
//! assert_eq!(rows, server.shape().total_rows());
//! # }
//! ```

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde_json::{Value, json};

/// Size of the canned statement result and job list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Shape {
    /// Number of result chunks.
    pub chunks: usize,
    /// Rows in each chunk.
    pub rows_per_chunk: usize,
    /// Jobs in the job list.
    pub jobs: usize,
    /// Jobs per page.
    pub jobs_per_page: usize,
}

impl Shape {
    /// The full benchmark: 1,000,000 rows in 50 chunks of 20,000; 10,000 jobs in pages of 100.
    pub fn full() -> Self {
        Self {
            chunks: 50,
            rows_per_chunk: 20_000,
            jobs: 10_000,
            jobs_per_page: 100,
        }
    }

    /// The quick smoke: 100,000 rows in 10 chunks; 1,000 jobs.
    pub fn quick() -> Self {
        Self {
            chunks: 10,
            rows_per_chunk: 10_000,
            jobs: 1_000,
            jobs_per_page: 100,
        }
    }

    /// [`quick`](Self::quick) when `BENCH_QUICK` is set (to anything but `0`), else
    /// [`full`](Self::full).
    pub fn from_env() -> Self {
        if is_quick() {
            Self::quick()
        } else {
            Self::full()
        }
    }

    /// Rows of the whole result.
    pub fn total_rows(&self) -> usize {
        self.chunks * self.rows_per_chunk
    }
}

/// `true` when `BENCH_QUICK` is set to anything but `0` or empty.
pub fn is_quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The result columns: `id LONG, customer STRING, amount DECIMAL(10,2)`.
fn schema_json() -> Value {
    json!({"column_count": 3, "columns": [
        {"name": "id", "position": 0, "type_name": "LONG", "type_text": "BIGINT"},
        {"name": "customer", "position": 1, "type_name": "STRING", "type_text": "STRING"},
        {"name": "amount", "position": 2, "type_name": "DECIMAL", "type_text": "DECIMAL(10,2)",
         "type_precision": 10, "type_scale": 2}
    ]})
}

fn row_values(id: usize) -> (String, String) {
    (
        format!("customer-{}", id % 9973),
        format!("{}.{:02}", id % 1000, id % 100),
    )
}

/// JSON_ARRAY body of chunk `i`.
pub fn json_chunk(shape: &Shape, i: usize) -> Bytes {
    let mut body = String::with_capacity(shape.rows_per_chunk * 48);
    body.push('[');
    for j in 0..shape.rows_per_chunk {
        let id = i * shape.rows_per_chunk + j;
        let (customer, amount) = row_values(id);
        if j > 0 {
            body.push(',');
        }
        body.push_str(&format!("[\"{id}\",\"{customer}\",\"{amount}\"]"));
    }
    body.push(']');
    Bytes::from(body)
}

/// CSV body of chunk `i` (every chunk starts with the header row).
pub fn csv_chunk(shape: &Shape, i: usize) -> Bytes {
    let mut body = String::with_capacity(shape.rows_per_chunk * 40);
    body.push_str("id,customer,amount\r\n");
    for j in 0..shape.rows_per_chunk {
        let id = i * shape.rows_per_chunk + j;
        let (customer, amount) = row_values(id);
        body.push_str(&format!("{id},{customer},{amount}\r\n"));
    }
    Bytes::from(body)
}

/// ARROW_STREAM (Arrow IPC stream) body of chunk `i`.
///
/// # Panics
/// Never for the fixed schema used here (an Arrow writer error would be a bug).
pub fn arrow_chunk(shape: &Shape, i: usize) -> Bytes {
    use arrow_array::{Decimal128Array, Int64Array, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("customer", DataType::Utf8, false),
        Field::new("amount", DataType::Decimal128(10, 2), false),
    ]));
    let ids: Vec<i64> = (0..shape.rows_per_chunk)
        .map(|j| (i * shape.rows_per_chunk + j) as i64)
        .collect();
    let customers: Vec<String> = ids.iter().map(|&id| row_values(id as usize).0).collect();
    let amounts: Vec<i128> = ids
        .iter()
        .map(|id| i128::from((id % 1000) * 100 + id % 100))
        .collect();
    let amounts = Decimal128Array::from(amounts)
        .with_precision_and_scale(10, 2)
        .expect("DECIMAL(10,2) is valid");
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(Int64Array::from(ids)),
            Arc::new(StringArray::from(customers)),
            Arc::new(amounts),
        ],
    )
    .expect("columns match the schema");
    let mut body = Vec::new();
    let mut writer =
        arrow_ipc::writer::StreamWriter::try_new(&mut body, &schema).expect("an IPC writer");
    writer.write(&batch).expect("write a batch");
    writer.finish().expect("finish the stream");
    drop(writer);
    Bytes::from(body)
}

/// The body of job-list page `page` (0-based) as the fake serves it.
pub fn jobs_page(shape: &Shape, page: usize) -> Bytes {
    let first = page * shape.jobs_per_page;
    let last = (first + shape.jobs_per_page).min(shape.jobs);
    let jobs: Vec<Value> = (first..last)
        .map(|id| {
            json!({
                "job_id": 1_000_000 + id,
                "creator_user_name": format!("user{}@example.com", id % 37),
                "run_as_user_name": format!("user{}@example.com", id % 37),
                "created_time": 1_700_000_000_000_i64 + id as i64,
                "settings": {
                    "name": format!("nightly-etl-{id}"),
                    "max_concurrent_runs": 1,
                    "timeout_seconds": 3600,
                    "format": "MULTI_TASK",
                    "tags": {"team": "data", "tier": format!("t{}", id % 3)},
                    "email_notifications": {"on_failure": ["oncall@example.com"]},
                    "schedule": {"quartz_cron_expression": "0 0 2 * * ?", "timezone_id": "UTC",
                                 "pause_status": "UNPAUSED"}
                }
            })
        })
        .collect();
    let more = last < shape.jobs;
    let mut page_json = json!({"jobs": jobs, "has_more": more});
    if more {
        page_json["next_page_token"] = json!(format!("p{}", page + 1));
    }
    Bytes::from(serde_json::to_vec(&page_json).unwrap_or_default())
}

struct Fixture {
    shape: Shape,
    latency: Duration,
    base: String,
    json: Vec<Bytes>,
    csv: Vec<Bytes>,
    arrow: Vec<Bytes>,
    jobs: Vec<Bytes>,
}

impl Fixture {
    fn bodies(&self, format: &str) -> &[Bytes] {
        match format {
            "csv" => &self.csv,
            "arrow" => &self.arrow,
            _ => &self.json,
        }
    }

    fn link(&self, format: &str, i: usize) -> Value {
        let mut link = json!({
            "chunk_index": i,
            "row_offset": i * self.shape.rows_per_chunk,
            "row_count": self.shape.rows_per_chunk,
            "byte_count": self.bodies(format)[i].len(),
            "external_link": format!("{}/data/{format}/{i}?X-Amz-Signature=bench", self.base),
            "expiration": "2099-01-01T00:00:00Z",
        });
        if i + 1 < self.shape.chunks {
            link["next_chunk_index"] = json!(i + 1);
            link["next_chunk_internal_link"] = json!(format!(
                "/api/2.0/sql/statements/{format}/result/chunks/{}",
                i + 1
            ));
        }
        link
    }

    fn statement(&self, format_name: &str) -> Value {
        let format = match format_name {
            "CSV" => "csv",
            "ARROW_STREAM" => "arrow",
            _ => "json",
        };
        let bodies = self.bodies(format);
        json!({
            "statement_id": format,
            "status": {"state": "SUCCEEDED"},
            "manifest": {
                "format": format_name,
                "schema": schema_json(),
                "total_chunk_count": self.shape.chunks,
                "total_row_count": self.shape.total_rows(),
                "total_byte_count": bodies.iter().map(Bytes::len).sum::<usize>(),
                "truncated": false,
                "chunks": (0..self.shape.chunks).map(|i| json!({
                    "chunk_index": i,
                    "row_offset": i * self.shape.rows_per_chunk,
                    "row_count": self.shape.rows_per_chunk,
                    "byte_count": bodies[i].len(),
                })).collect::<Vec<_>>()
            },
            "result": {"external_links": [self.link(format, 0)]}
        })
    }
}

/// A loopback fake workspace and storage (one hyper server; see the crate docs).
#[derive(Debug, Clone)]
pub struct FakeWorkspace {
    addr: SocketAddr,
    shape: Shape,
}

fn respond(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = status;
    resp
}

async fn route(fixture: Arc<Fixture>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let method = req.method().clone();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, parts.as_slice()) {
        (Method::POST, ["api", "2.0", "sql", "statements"]) => {
            let body = req
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let request: Value = serde_json::from_slice(&body).unwrap_or_default();
            let format = request["format"].as_str().unwrap_or("JSON_ARRAY");
            let resp = fixture.statement(format);
            respond(StatusCode::OK, Bytes::from(resp.to_string()))
        }
        (Method::GET, ["api", "2.0", "sql", "statements", id, "result", "chunks", i]) => {
            let Ok(i) = i.parse::<usize>() else {
                return respond(StatusCode::NOT_FOUND, Bytes::new());
            };
            let resp = json!({"external_links": [fixture.link(id, i)]});
            respond(StatusCode::OK, Bytes::from(resp.to_string()))
        }
        (Method::GET, ["data", format, i]) => {
            let body = i
                .parse::<usize>()
                .ok()
                .and_then(|i| fixture.bodies(format).get(i).cloned());
            if !fixture.latency.is_zero() {
                tokio::time::sleep(fixture.latency).await;
            }
            match body {
                Some(b) => respond(StatusCode::OK, b),
                None => respond(StatusCode::NOT_FOUND, Bytes::new()),
            }
        }
        (Method::GET, ["api", "2.2", "jobs", "list"]) => {
            let page = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("page_token=p"))
                .and_then(|p| p.parse::<usize>().ok())
                .unwrap_or(0);
            match fixture.jobs.get(page) {
                Some(b) => respond(StatusCode::OK, b.clone()),
                None => respond(StatusCode::NOT_FOUND, Bytes::new()),
            }
        }
        (Method::POST, ["api", "2.0", "sql", "statements", _, "cancel"]) => {
            respond(StatusCode::OK, Bytes::from_static(b"{}"))
        }
        _ => respond(StatusCode::NOT_FOUND, Bytes::new()),
    }
}

impl FakeWorkspace {
    /// Builds every canned body for `shape` and starts serving on 127.0.0.1 (an ephemeral
    /// port) on the current tokio runtime. `latency` is added to every chunk download.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start(shape: Shape, latency: Duration) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("the bound address");
        let pages = shape.jobs.div_ceil(shape.jobs_per_page).max(1);
        let fixture = Arc::new(Fixture {
            shape,
            latency,
            base: format!("http://{addr}"),
            json: (0..shape.chunks).map(|i| json_chunk(&shape, i)).collect(),
            csv: (0..shape.chunks).map(|i| csv_chunk(&shape, i)).collect(),
            arrow: (0..shape.chunks).map(|i| arrow_chunk(&shape, i)).collect(),
            jobs: (0..pages).map(|p| jobs_page(&shape, p)).collect(),
        });
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let fixture = Arc::clone(&fixture);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let fixture = Arc::clone(&fixture);
                        async move { Ok::<_, Infallible>(route(fixture, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, shape }
    }

    /// `http://127.0.0.1:{port}`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The canned result's shape.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// A [`databricks_client::WorkspaceClient`] for this server (PAT auth).
    ///
    /// # Panics
    /// Never for a loopback URL and a token.
    pub fn client(&self) -> databricks_client::WorkspaceClient {
        let config = databricks_client::Config::builder()
            .host(self.base_url())
            .token("dapi-bench")
            .build()
            .expect("a loopback config");
        databricks_client::WorkspaceClient::new(config).expect("a client")
    }
}

fn bare_client() -> reqwest::Client {
    reqwest::Client::new()
}

/// The JSON floor: plain reqwest, sequential, the same calls as the client (submit, then per
/// chunk its metadata and its link), each body parsed by serde_json into
/// `Vec<Vec<Option<String>>>` (no typing). Returns the row count.
///
/// # Panics
/// On any HTTP or parse error (the fake never fails).
pub async fn floor_json_statement(base: &str) -> usize {
    let http = bare_client();
    let resp: Value = http
        .post(format!("{base}/api/2.0/sql/statements"))
        .json(&json!({"warehouse_id": "wh", "statement": "SELECT", "disposition": "EXTERNAL_LINKS", "format": "JSON_ARRAY"}))
        .send()
        .await
        .expect("submit")
        .json()
        .await
        .expect("statement JSON");
    let chunks = resp["manifest"]["total_chunk_count"].as_u64().unwrap_or(0) as usize;
    let mut link = resp["result"]["external_links"][0]["external_link"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut rows = 0;
    for i in 0..chunks {
        if i > 0 {
            let meta: Value = http
                .get(format!(
                    "{base}/api/2.0/sql/statements/json/result/chunks/{i}"
                ))
                .send()
                .await
                .expect("chunk metadata")
                .json()
                .await
                .expect("chunk JSON");
            link = meta["external_links"][0]["external_link"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
        }
        let body = http
            .get(&link)
            .send()
            .await
            .expect("download")
            .bytes()
            .await
            .expect("body");
        let data: Vec<Vec<Option<String>>> = serde_json::from_slice(&body).expect("rows");
        rows += data.len();
    }
    rows
}

#[derive(Deserialize)]
struct FloorPage {
    #[serde(default)]
    jobs: Vec<FloorJob>,
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)] // fields are parsed, as the client parses them, and then dropped
struct FloorJob {
    job_id: i64,
    creator_user_name: Option<String>,
    created_time: Option<i64>,
    settings: Option<FloorSettings>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FloorSettings {
    name: Option<String>,
    max_concurrent_runs: Option<i64>,
    timeout_seconds: Option<i64>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

/// The job-list floor's decoding alone: one page body into the minimal typed jobs. Returns the
/// job count.
///
/// # Panics
/// On a body that is not a job page.
pub fn floor_decode_jobs_page(body: &[u8]) -> usize {
    let page: FloorPage = serde_json::from_slice(body).expect("page JSON");
    page.jobs.len()
}

/// A job-list page decoded into the client's own public model: the same
/// [`Job`](databricks_client::models::jobs::Job) structs `jobs().list()` yields.
#[derive(Deserialize)]
struct ModelPage {
    #[serde(default)]
    jobs: Vec<databricks_client::models::jobs::Job>,
    next_page_token: Option<String>,
}

/// The model floor's decoding alone: one page body into the client's public
/// [`Job`](databricks_client::models::jobs::Job) model with plain `serde_json`. Returns the job
/// count.
///
/// # Panics
/// On a body that is not a job page.
pub fn floor_decode_jobs_page_model(body: &[u8]) -> usize {
    let page: ModelPage = serde_json::from_slice(body).expect("page JSON");
    page.jobs.len()
}

/// The job-list floor for the same output as the client: plain reqwest and serde_json into
/// the client's public [`Job`](databricks_client::models::jobs::Job) model, following
/// `next_page_token` (bare reqwest + parser, none of the client's auth, retry, tracing or
/// pagination machinery). Returns the job count.
///
/// # Panics
/// On any HTTP or parse error (the fake never fails).
pub async fn floor_jobs_model_with(http: &reqwest::Client, base: &str) -> usize {
    floor_job_pages(http, base, |page: ModelPage| {
        (page.jobs.len(), page.next_page_token)
    })
    .await
}

/// [`floor_jobs_model_with`] over a new `reqwest::Client` (a new connection pool per call).
///
/// # Panics
/// On any HTTP or parse error (the fake never fails).
pub async fn floor_jobs_model(base: &str) -> usize {
    floor_jobs_model_with(&bare_client(), base).await
}

/// The job-list floor: plain reqwest and serde_json into a minimal typed job, following
/// `next_page_token`. Returns the job count.
///
/// # Panics
/// On any HTTP or parse error (the fake never fails).
pub async fn floor_jobs(base: &str) -> usize {
    floor_jobs_with(&bare_client(), base).await
}

/// [`floor_jobs`] over a given HTTP client (its connection pool reused across calls, as a
/// service reuses its client).
///
/// # Panics
/// On any HTTP or parse error (the fake never fails).
pub async fn floor_jobs_with(http: &reqwest::Client, base: &str) -> usize {
    floor_job_pages(http, base, |page: FloorPage| {
        (page.jobs.len(), page.next_page_token)
    })
    .await
}

/// The job-list floors' page loop: bare reqwest, each page decoded by serde_json into `P`,
/// following `next_page_token`. `count` gives a page's job count and next token.
async fn floor_job_pages<P: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    base: &str,
    count: fn(P) -> (usize, Option<String>),
) -> usize {
    let mut token: Option<String> = None;
    let mut jobs = 0;
    loop {
        let mut req = http.get(format!("{base}/api/2.2/jobs/list?limit=100"));
        if let Some(t) = &token {
            req = req.query(&[("page_token", t)]);
        }
        let page: P = req
            .send()
            .await
            .expect("page")
            .json()
            .await
            .expect("page JSON");
        let (n, next) = count(page);
        jobs += n;
        match next {
            Some(t) => token = Some(t),
            None => return jobs,
        }
    }
}
