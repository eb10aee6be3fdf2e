//! Peak memory while streaming a 1,000,000-row EXTERNAL_LINKS result stays bounded by
//! `concurrency × chunk size`, far below the size of the whole result: JSON_ARRAY, CSV and
//! (with the `arrow` feature) ARROW_STREAM. The tests take turns (one process-wide
//! allocator counts them all).
//!
//! A counting global allocator (`peak_alloc`) measures the whole process, wiremock included;
//! chunk bodies are generated on request by a custom responder, so no fixture holds them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use databricks_client::api::QueryOptions;
use databricks_client::models::{Disposition, ExecuteStatementRequest, ResultFormat, SqlValue};
use databricks_client::wait::PollOptions;
use databricks_client::{Config, WorkspaceClient};
use futures::TryStreamExt;
use peak_alloc::PeakAlloc;
use serde_json::json;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

#[global_allocator]
static PEAK: PeakAlloc = PeakAlloc;

const TOTAL_ROWS: usize = 1_000_000;
const CHUNKS: usize = 100;
const ROWS_PER_CHUNK: usize = TOTAL_ROWS / CHUNKS;
const MIB: usize = 1024 * 1024;

fn chunk_index(req: &Request) -> usize {
    req.url
        .path()
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// `/result/chunks/{i}` → a link to the storage server.
struct Links(String);

impl Respond for Links {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let i = chunk_index(req);
        ResponseTemplate::new(200).set_body_json(json!({
            "external_links": [{
                "chunk_index": i, "row_offset": i * ROWS_PER_CHUNK, "row_count": ROWS_PER_CHUNK,
                "external_link": format!("{}/data/{i}", self.0),
                "expiration": "2099-01-01T00:00:00Z"
            }]
        }))
    }
}

/// One test at a time: the allocator's peak is process-wide.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The chunk body format a storage server generates.
#[derive(Clone, Copy)]
enum Format {
    Json,
    Csv,
    #[cfg(feature = "arrow")]
    Arrow,
}

impl Format {
    fn manifest_name(self) -> &'static str {
        match self {
            Self::Json => "JSON_ARRAY",
            Self::Csv => "CSV",
            #[cfg(feature = "arrow")]
            Self::Arrow => "ARROW_STREAM",
        }
    }
}

/// Generates chunk `i` on request.
struct Rows {
    max_body: Arc<AtomicUsize>,
    format: Format,
}

fn csv_chunk(i: usize) -> Vec<u8> {
    let mut body = String::with_capacity(ROWS_PER_CHUNK * 40);
    // Every chunk repeats the header, as Databricks CSV chunks may.
    body.push_str("id,customer,amount\r\n");
    for j in 0..ROWS_PER_CHUNK {
        let id = i * ROWS_PER_CHUNK + j;
        body.push_str(&format!(
            "{id},customer-{},{}.{:02}\r\n",
            id % 9973,
            id % 1000,
            id % 100
        ));
    }
    body.into_bytes()
}

#[cfg(feature = "arrow")]
fn arrow_chunk(i: usize) -> Vec<u8> {
    use arrow_array::{Decimal128Array, Int64Array, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("customer", DataType::Utf8, false),
        Field::new("amount", DataType::Decimal128(10, 2), false),
    ]));
    let ids: Vec<i64> = (0..ROWS_PER_CHUNK)
        .map(|j| (i * ROWS_PER_CHUNK + j) as i64)
        .collect();
    let customers: Vec<String> = ids
        .iter()
        .map(|id| format!("customer-{}", id % 9973))
        .collect();
    let amounts: Vec<i128> = ids
        .iter()
        .map(|id| i128::from((id % 1000) * 100 + id % 100))
        .collect();
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(Int64Array::from(ids)),
            Arc::new(StringArray::from(customers)),
            Arc::new(
                Decimal128Array::from(amounts)
                    .with_precision_and_scale(10, 2)
                    .unwrap(),
            ),
        ],
    )
    .unwrap();
    let mut body = Vec::new();
    let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut body, &schema).unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();
    drop(w);
    body
}

impl Respond for Rows {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let i = chunk_index(req);
        let body = match self.format {
            Format::Json => json_chunk(i),
            Format::Csv => csv_chunk(i),
            #[cfg(feature = "arrow")]
            Format::Arrow => arrow_chunk(i),
        };
        self.max_body.fetch_max(body.len(), Ordering::Relaxed);
        ResponseTemplate::new(200).set_body_raw(body, "application/octet-stream")
    }
}

fn json_chunk(i: usize) -> Vec<u8> {
    {
        let mut body = String::with_capacity(ROWS_PER_CHUNK * 48);
        body.push('[');
        for j in 0..ROWS_PER_CHUNK {
            let id = i * ROWS_PER_CHUNK + j;
            if j > 0 {
                body.push(',');
            }
            body.push_str(&format!(
                "[\"{id}\",\"customer-{}\",\"{}.{:02}\"]",
                id % 9973,
                id % 1000,
                id % 100
            ));
        }
        body.push(']');
        body.into_bytes()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_a_million_rows_keeps_peak_memory_bounded() {
    bounded(Format::Json).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_a_million_csv_rows_keeps_peak_memory_bounded() {
    bounded(Format::Csv).await;
}

#[cfg(feature = "arrow")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_a_million_arrow_rows_keeps_peak_memory_bounded() {
    bounded(Format::Arrow).await;
}

async fn bounded(format: Format) {
    let _turn = TURN.lock().await;
    let workspace = MockServer::start().await;
    let storage = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": "big",
            "status": {"state": "SUCCEEDED"},
            "manifest": {
                "format": format.manifest_name(),
                "schema": {"column_count": 3, "columns": [
                    {"name": "id", "type_name": "LONG", "position": 0},
                    {"name": "customer", "type_name": "STRING", "position": 1},
                    {"name": "amount", "type_name": "DECIMAL", "type_precision": 10, "type_scale": 2, "position": 2}
                ]},
                "total_chunk_count": CHUNKS, "total_row_count": TOTAL_ROWS, "truncated": false
            },
            "result": {"external_links": [{
                "chunk_index": 0, "row_count": ROWS_PER_CHUNK,
                "external_link": format!("{}/data/0", storage.uri()),
                "expiration": "2099-01-01T00:00:00Z"
            }]}
        })))
        .mount(&workspace)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(
            r"^/api/2\.0/sql/statements/big/result/chunks/\d+$",
        ))
        .respond_with(Links(storage.uri()))
        .mount(&workspace)
        .await;
    let max_body = Arc::new(AtomicUsize::new(0));
    Mock::given(method("GET"))
        .and(path_regex(r"^/data/\d+$"))
        .respond_with(Rows {
            max_body: Arc::clone(&max_body),
            format,
        })
        .mount(&storage)
        .await;

    let client = WorkspaceClient::new(
        Config::builder()
            .host(workspace.uri())
            .token("dapi-memory")
            .build()
            .unwrap(),
    )
    .unwrap();
    let concurrency = 4;
    let opts = QueryOptions::default()
        .with_concurrency(concurrency)
        .with_poll(PollOptions::default());
    let req = ExecuteStatementRequest::new("wh", "SELECT * FROM big")
        .with_disposition(Disposition::ExternalLinks)
        .with_format(match format {
            Format::Json => ResultFormat::JsonArray,
            Format::Csv => ResultFormat::Csv,
            #[cfg(feature = "arrow")]
            Format::Arrow => ResultFormat::ArrowStream,
        });

    let baseline = PEAK.current_usage();
    PEAK.reset_peak_usage();
    let mut rows = client.statements().query_opts(req, opts).await.unwrap();
    let mut count = 0usize;
    let mut amount_cents: u64 = 0;
    while let Some(row) = rows.try_next().await.unwrap() {
        assert_eq!(row.get(0), Some(&SqlValue::Int(count as i64)), "order");
        if let Some(SqlValue::Decimal(d)) = row.get(2) {
            amount_cents += d.replace('.', "").parse::<u64>().unwrap();
        }
        count += 1;
    }
    let peak = PEAK.peak_usage().saturating_sub(baseline);

    assert_eq!(count, TOTAL_ROWS);
    let expected_cents: u64 = (0..TOTAL_ROWS as u64)
        .map(|id| (id % 1000) * 100 + id % 100)
        .sum();
    assert_eq!(amount_cents, expected_cents);

    // What holding the whole result would cost: every body, or every decoded row
    // (3 values of 32 bytes + 2 heap strings + the row vector, ~150 bytes).
    let body = max_body.load(Ordering::Relaxed);
    let whole_bodies = body * CHUNKS;
    let whole_rows = TOTAL_ROWS * 150;
    // Bounded by a few chunks in flight (body + decoded rows, plus the server's copy).
    let per_chunk = body + ROWS_PER_CHUNK * 150;
    let bound = (concurrency + 3) * per_chunk * 2 + 16 * MIB;
    println!(
        "{}: peak {:.1} MiB (bound {:.1} MiB; whole result {:.1} MiB bodies / {:.1} MiB rows)",
        format.manifest_name(),
        peak as f64 / MIB as f64,
        bound as f64 / MIB as f64,
        whole_bodies as f64 / MIB as f64,
        whole_rows as f64 / MIB as f64
    );
    assert!(
        peak < bound,
        "peak {peak} B above the O(concurrency × chunk) bound {bound} B"
    );
    assert!(
        peak < whole_rows / 4,
        "peak {peak} B is comparable to the whole decoded result ({whole_rows} B)"
    );
}
