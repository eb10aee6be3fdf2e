//! Statement result streaming: CSV headers per chunk, Arrow batches end to end, cancellation
//! when the stream is dropped, the byte budget, and gzip negotiated for workspace calls.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use databricks_client::api::QueryOptions;
use databricks_client::models::{Disposition, ExecuteStatementRequest, ResultFormat, SqlValue};
use futures::TryStreamExt;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::{client, fast_poll};

fn chunk_index(req: &Request) -> usize {
    req.url
        .path()
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(usize::MAX)
}

fn columns() -> Value {
    json!({"column_count": 2, "columns": [
        {"name": "order_id", "position": 0, "type_name": "LONG"},
        {"name": "label", "position": 1, "type_name": "STRING"}
    ]})
}

/// Mounts a statement `id` with `chunks` EXTERNAL_LINKS chunks of `format` whose bodies come
/// from `body(i)` on `storage`.
async fn mount_statement(
    workspace: &MockServer,
    storage: &MockServer,
    id: &str,
    format: &str,
    chunks: usize,
) {
    let link = |i: usize| {
        json!({"chunk_index": i, "external_link": format!("{}/data/{i}", storage.uri()),
               "expiration": "2099-01-01T00:00:00Z",
               "next_chunk_index": if i + 1 < chunks { json!(i + 1) } else { Value::Null }})
    };
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": id,
            "status": {"state": "SUCCEEDED"},
            "manifest": {"format": format, "schema": columns(), "total_chunk_count": chunks},
            "result": {"external_links": [link(0)]}
        })))
        .mount(workspace)
        .await;
    struct Links(String, usize);
    impl Respond for Links {
        fn respond(&self, req: &Request) -> ResponseTemplate {
            let i = chunk_index(req);
            ResponseTemplate::new(200).set_body_json(json!({"external_links": [{
                "chunk_index": i, "external_link": format!("{}/data/{i}", self.0),
                "expiration": "2099-01-01T00:00:00Z",
                "next_chunk_index": if i + 1 < self.1 { json!(i + 1) } else { Value::Null }
            }]}))
        }
    }
    Mock::given(method("GET"))
        .and(path_regex(format!(
            r"^/api/2\.0/sql/statements/{id}/result/chunks/\d+$"
        )))
        .respond_with(Links(storage.uri(), chunks))
        .mount(workspace)
        .await;
}

struct Csv {
    header_in_every_chunk: bool,
}

impl Respond for Csv {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let i = chunk_index(req);
        let mut body = String::new();
        if i == 0 || self.header_in_every_chunk {
            body.push_str("order_id,label\r\n");
        }
        for j in 0..3 {
            let id = i * 3 + j;
            body.push_str(&format!("{id},\"row {id}, \"\"q\"\"\"\r\n"));
        }
        ResponseTemplate::new(200).set_body_string(body)
    }
}

async fn csv_rows(header_in_every_chunk: bool) -> Vec<databricks_client::models::Row> {
    let workspace = MockServer::start().await;
    let storage = MockServer::start().await;
    mount_statement(&workspace, &storage, "csv", "CSV", 4).await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/data/\d+$"))
        .respond_with(Csv {
            header_in_every_chunk,
        })
        .mount(&storage)
        .await;
    client(&workspace)
        .statements()
        .query_opts(
            ExecuteStatementRequest::new("wh", "SELECT * FROM orders")
                .with_disposition(Disposition::ExternalLinks)
                .with_format(ResultFormat::Csv),
            QueryOptions::default().with_poll(fast_poll()),
        )
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test]
async fn csv_with_a_header_in_every_chunk_decodes() {
    let rows = csv_rows(true).await;
    assert_eq!(rows.len(), 12);
    for (n, row) in rows.iter().enumerate() {
        assert_eq!(row.get(0), Some(&SqlValue::Int(n as i64)));
        assert_eq!(
            row.get_by_name("label"),
            Some(&SqlValue::String(format!("row {n}, \"q\"")))
        );
    }
}

#[tokio::test]
async fn csv_with_a_header_only_in_the_first_chunk_decodes() {
    let rows = csv_rows(false).await;
    assert_eq!(rows.len(), 12);
    let ids: Vec<_> = rows.iter().map(|r| r.get(0).cloned()).collect();
    let expected: Vec<_> = (0..12).map(|n| Some(SqlValue::Int(n))).collect();
    assert_eq!(ids, expected);
}

#[cfg(feature = "arrow")]
fn arrow_body(first_id: i64, rows: usize) -> Vec<u8> {
    use arrow_array::{Int64Array, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    let schema = Arc::new(Schema::new(vec![
        Field::new("order_id", DataType::Int64, false),
        Field::new("label", DataType::Utf8, true),
    ]));
    let ids: Vec<i64> = (0..rows as i64).map(|j| first_id + j).collect();
    let labels: Vec<Option<String>> = ids
        .iter()
        .map(|id| (id % 5 != 0).then(|| format!("l{id}")))
        .collect();
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(Int64Array::from(ids)),
            Arc::new(StringArray::from(labels)),
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

#[cfg(feature = "arrow")]
struct ArrowChunks;

#[cfg(feature = "arrow")]
impl Respond for ArrowChunks {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let i = chunk_index(req);
        ResponseTemplate::new(200).set_body_bytes(arrow_body(i as i64 * 10, 10))
    }
}

#[cfg(feature = "arrow")]
#[tokio::test]
async fn arrow_stream_yields_record_batches_in_order_and_rows_agree() {
    let workspace = MockServer::start().await;
    let storage = MockServer::start().await;
    mount_statement(&workspace, &storage, "arrow", "ARROW_STREAM", 6).await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/data/\d+$"))
        .respond_with(ArrowChunks)
        .mount(&storage)
        .await;
    let req = || {
        ExecuteStatementRequest::new("wh", "SELECT * FROM orders")
            .with_disposition(Disposition::ExternalLinks)
            .with_format(ResultFormat::ArrowStream)
    };
    let api = client(&workspace).statements();
    let batches: Vec<_> = api
        .query_opts(req(), QueryOptions::default().with_poll(fast_poll()))
        .await
        .unwrap()
        .into_batches()
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(batches.len(), 6);
    for (i, batch) in batches.iter().enumerate() {
        use arrow_array::cast::AsArray;
        let ids = batch
            .column(0)
            .as_primitive::<arrow_array::types::Int64Type>();
        assert_eq!(ids.value(0), i as i64 * 10, "batches in chunk order");
    }
    let rows: Vec<_> = api
        .query_opts(req(), QueryOptions::default().with_poll(fast_poll()))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len(), 60);
    assert_eq!(rows[7].get(1), Some(&SqlValue::String("l7".into())));
    assert_eq!(rows[10].get(1), Some(&SqlValue::Null));
    assert_eq!(rows[59].get(0), Some(&SqlValue::Int(59)));

    // A JSON result cannot become batches; the error names the fix.
    let workspace = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": "json", "status": {"state": "SUCCEEDED"},
            "manifest": {"format": "JSON_ARRAY", "schema": columns(), "total_chunk_count": 1},
            "result": {"data_array": [["1", "a"]]}
        })))
        .mount(&workspace)
        .await;
    let err = client(&workspace)
        .statements()
        .query(ExecuteStatementRequest::new("wh", "SELECT 1"))
        .await
        .unwrap()
        .into_batches()
        .unwrap_err();
    assert!(err.to_string().contains("ArrowStream"), "{err}");
}

/// Storage that answers slowly and counts the requests it received.
struct Slow(Arc<AtomicUsize>);

impl Respond for Slow {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.0.fetch_add(1, Ordering::SeqCst);
        let i = chunk_index(req);
        let rows: Vec<Value> = (0..5)
            .map(|j| json!([(i * 5 + j).to_string(), "x"]))
            .collect();
        let delay = if i == 0 { 0 } else { 400 };
        ResponseTemplate::new(200)
            .set_body_json(rows)
            .set_delay(Duration::from_millis(delay))
    }
}

struct Count(Arc<AtomicUsize>);

impl Respond for Count {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        self.0.fetch_add(1, Ordering::SeqCst);
        ResponseTemplate::new(200).set_body_json(json!({}))
    }
}

#[tokio::test]
async fn dropping_the_stream_early_cancels_the_statement_and_the_fetches() {
    let workspace = MockServer::start().await;
    let storage = MockServer::start().await;
    mount_statement(&workspace, &storage, "early", "JSON_ARRAY", 20).await;
    let downloads = Arc::new(AtomicUsize::new(0));
    Mock::given(method("GET"))
        .and(path_regex(r"^/data/\d+$"))
        .respond_with(Slow(Arc::clone(&downloads)))
        .mount(&storage)
        .await;
    let cancels = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements/early/cancel"))
        .respond_with(Count(Arc::clone(&cancels)))
        .mount(&workspace)
        .await;
    let concurrency = 3;
    let mut rows = client(&workspace)
        .statements()
        .query_opts(
            ExecuteStatementRequest::new("wh", "SELECT * FROM orders")
                .with_disposition(Disposition::ExternalLinks),
            QueryOptions::default()
                .with_poll(fast_poll())
                .with_concurrency(concurrency),
        )
        .await
        .unwrap();
    let first = rows.try_next().await.unwrap().unwrap();
    assert_eq!(first.get(0), Some(&SqlValue::Int(0)));
    drop(rows);
    for _ in 0..100 {
        if cancels.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(cancels.load(Ordering::SeqCst), 1, "drop did not cancel");
    // Only the chunks in flight were requested (chunk 0 and at most `concurrency` more), and
    // no further fetch starts after the drop.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let fetched = downloads.load(Ordering::SeqCst);
    assert!(
        fetched <= 1 + concurrency,
        "{fetched} downloads after dropping the stream at chunk 0"
    );

    // Reading every row disarms the cancel.
    let workspace = MockServer::start().await;
    mount_statement(&workspace, &storage, "full", "JSON_ARRAY", 2).await;
    let cancels = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements/full/cancel"))
        .respond_with(Count(Arc::clone(&cancels)))
        .mount(&workspace)
        .await;
    let rows: Vec<_> = client(&workspace)
        .statements()
        .query_opts(
            ExecuteStatementRequest::new("wh", "SELECT 1")
                .with_disposition(Disposition::ExternalLinks),
            QueryOptions::default().with_poll(fast_poll()),
        )
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len(), 10);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        cancels.load(Ordering::SeqCst),
        0,
        "a fully read result was canceled"
    );
}

/// Storage that records how many downloads overlap.
struct Overlap {
    active: Arc<AtomicUsize>,
    max: Arc<AtomicUsize>,
}

impl Respond for Overlap {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let now = self.active.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
        let i = chunk_index(req);
        let rows: Vec<Value> = (0..5)
            .map(|j| json!([(i * 5 + j).to_string(), "x"]))
            .collect();
        // wiremock computes the response before the delay: count this one as done after it.
        let active = Arc::clone(&self.active);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(35));
            active.fetch_sub(1, Ordering::SeqCst);
        });
        ResponseTemplate::new(200)
            .set_body_json(rows)
            .set_delay(Duration::from_millis(50))
    }
}

#[tokio::test]
async fn a_small_byte_budget_fetches_one_chunk_at_a_time_in_order() {
    let workspace = MockServer::start().await;
    let storage = MockServer::start().await;
    mount_statement(&workspace, &storage, "budget", "JSON_ARRAY", 8).await;
    let active = Arc::new(AtomicUsize::new(0));
    let max = Arc::new(AtomicUsize::new(0));
    Mock::given(method("GET"))
        .and(path_regex(r"^/data/\d+$"))
        .respond_with(Overlap {
            active: Arc::clone(&active),
            max: Arc::clone(&max),
        })
        .mount(&storage)
        .await;
    let rows: Vec<_> = client(&workspace)
        .statements()
        .query_opts(
            ExecuteStatementRequest::new("wh", "SELECT 1")
                .with_disposition(Disposition::ExternalLinks),
            QueryOptions::default()
                .with_poll(fast_poll())
                .with_concurrency(8)
                .with_max_bytes_in_flight(1),
        )
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = rows.iter().map(|r| r.get(0).cloned()).collect();
    let expected: Vec<_> = (0..40).map(|n| Some(SqlValue::Int(n))).collect();
    assert_eq!(ids, expected);
    assert_eq!(
        max.load(Ordering::SeqCst),
        1,
        "a 1-byte budget let chunk downloads overlap"
    );
}

/// A gzip member holding `data` in stored (uncompressed) deflate blocks: enough to prove
/// the client negotiates and decodes gzip, without a compression library in the tests.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    let blocks: Vec<&[u8]> = if data.is_empty() {
        vec![&[]]
    } else {
        data.chunks(65_535).collect()
    };
    for (n, block) in blocks.iter().enumerate() {
        out.push(u8::from(n + 1 == blocks.len()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

#[tokio::test]
async fn workspace_calls_negotiate_gzip_and_decode_it() {
    let workspace = MockServer::start().await;
    let body = serde_json::to_vec(&json!({
        "statement_id": "gz",
        "status": {"state": "SUCCEEDED"},
        "manifest": {"format": "JSON_ARRAY", "schema": columns(), "total_chunk_count": 1},
        "result": {"data_array": [["7", "compressed"]]}
    }))
    .unwrap();
    // Only a request that asks for gzip gets an answer.
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .and(header("accept-encoding", "gzip"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-encoding", "gzip")
                .insert_header("content-type", "application/json")
                .set_body_bytes(gzip_stored(&body)),
        )
        .expect(1)
        .mount(&workspace)
        .await;
    let rows: Vec<_> = client(&workspace)
        .statements()
        .query_opts(
            ExecuteStatementRequest::new("wh", "SELECT 7"),
            QueryOptions::default().with_poll(fast_poll()),
        )
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        rows[0].values(),
        &[SqlValue::Int(7), SqlValue::String("compressed".into())]
    );
}

#[tokio::test]
async fn presigned_links_are_not_asked_to_compress() {
    let workspace = MockServer::start().await;
    let storage = MockServer::start().await;
    mount_statement(&workspace, &storage, "plain", "JSON_ARRAY", 1).await;
    Mock::given(method("GET"))
        .and(path("/data/0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([["1", "a"]])))
        .mount(&storage)
        .await;
    let rows: Vec<_> = client(&workspace)
        .statements()
        .query_opts(
            ExecuteStatementRequest::new("wh", "SELECT 1")
                .with_disposition(Disposition::ExternalLinks),
            QueryOptions::default().with_poll(fast_poll()),
        )
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let requests = storage.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1);
    assert!(
        !requests[0].headers.contains_key("accept-encoding"),
        "a presigned link was sent Accept-Encoding"
    );
}
