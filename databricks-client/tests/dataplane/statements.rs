//! Statement Execution: submit/poll, typed errors, INLINE and EXTERNAL_LINKS streaming.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use databricks_client::Error;
use databricks_client::api::QueryOptions;
use databricks_client::models::{
    Disposition, ExecuteStatementRequest, ResultFormat, SqlValue, StatementParameter,
    StatementState,
};
use futures::TryStreamExt;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::{TOKEN, client, fast_poll};

const ROWS_PER_CHUNK: usize = 100;
const CHUNKS: usize = 20;

fn opts() -> QueryOptions {
    QueryOptions::default().with_poll(fast_poll())
}

fn schema() -> Value {
    json!({
        "column_count": 2,
        "columns": [
            {"name": "id", "position": 0, "type_name": "LONG", "type_text": "BIGINT"},
            {"name": "label", "position": 1, "type_name": "STRING", "type_text": "STRING"}
        ]
    })
}

fn manifest(format: &str) -> Value {
    json!({
        "format": format,
        "schema": schema(),
        "total_chunk_count": CHUNKS,
        "total_row_count": CHUNKS * ROWS_PER_CHUNK,
        "truncated": false,
        "chunks": (0..CHUNKS).map(|i| json!({
            "chunk_index": i, "row_offset": i * ROWS_PER_CHUNK, "row_count": ROWS_PER_CHUNK
        })).collect::<Vec<_>>()
    })
}

fn chunk_index(path: &str) -> usize {
    path.rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("chunk index in path")
}

/// Delay of the link server for chunk `i`: varies so that downloads complete out of order.
fn delay_of(i: usize) -> Duration {
    Duration::from_millis(60 + ((i * 37) % 5) as u64 * 40)
}

fn link(base: &str, i: usize, kind: &str, expiration: &str) -> Value {
    json!({
        "chunk_index": i,
        "row_offset": i * ROWS_PER_CHUNK,
        "row_count": ROWS_PER_CHUNK,
        "byte_count": 4096,
        "external_link": format!("{base}/{kind}/{i}?X-Amz-Signature=secret-sig-{i}"),
        "expiration": expiration,
        "http_headers": {"x-amz-server-side-encryption-customer-algorithm": "AES256"},
        "next_chunk_index": if i + 1 < CHUNKS { json!(i + 1) } else { Value::Null },
    })
}

/// `/result/chunks/{i}`: chunk 7's first link is already expired on the storage side.
struct ChunkMeta {
    links_base: String,
    calls: Arc<Mutex<Vec<usize>>>,
}

impl Respond for ChunkMeta {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let i = chunk_index(req.url.path());
        let mut calls = self.calls.lock().unwrap();
        let earlier = calls.iter().filter(|&&c| c == i).count();
        calls.push(i);
        let kind = if i == 7 && earlier == 0 {
            "expired"
        } else {
            "chunk"
        };
        ResponseTemplate::new(200).set_body_json(json!({
            "external_links": [link(&self.links_base, i, kind, "2099-01-01T00:00:00.000Z")]
        }))
    }
}

/// The cloud-storage side: records arrival times, serves JSON_ARRAY rows after a delay.
struct Storage {
    arrivals: Arc<Mutex<Vec<(usize, Instant)>>>,
}

impl Respond for Storage {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let i = chunk_index(req.url.path());
        self.arrivals.lock().unwrap().push((i, Instant::now()));
        let rows: Vec<Value> = (0..ROWS_PER_CHUNK)
            .map(|j| {
                let id = i * ROWS_PER_CHUNK + j;
                json!([id.to_string(), format!("label-{id}")])
            })
            .collect();
        ResponseTemplate::new(200)
            .set_body_json(rows)
            .set_delay(delay_of(i))
    }
}

#[tokio::test]
async fn twenty_external_link_chunks_stream_in_order_in_parallel_without_auth() {
    let workspace = MockServer::start().await;
    let storage = MockServer::start().await;
    let c = client(&workspace);

    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .and(body_json(json!({
            "warehouse_id": "wh-1",
            "statement": "SELECT id, label FROM main.big.t WHERE id >= :min",
            "parameters": [{"name": "min", "value": "0", "type": "BIGINT"}],
            "on_wait_timeout": "CONTINUE",
            "disposition": "EXTERNAL_LINKS",
            "format": "JSON_ARRAY"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": "stmt-ext",
            "status": {"state": "PENDING"}
        })))
        .expect(1)
        .mount(&workspace)
        .await;
    // First poll RUNNING, then SUCCEEDED with chunk 0's link — already past its expiration.
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/statements/stmt-ext"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": "stmt-ext", "status": {"state": "RUNNING"}
        })))
        .up_to_n_times(1)
        .mount(&workspace)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/statements/stmt-ext"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": "stmt-ext",
            "status": {"state": "SUCCEEDED"},
            "manifest": manifest("JSON_ARRAY"),
            "result": {"external_links": [link(&storage.uri(), 0, "chunk", "2020-01-01T00:00:00Z")]}
        })))
        .mount(&workspace)
        .await;
    let meta_calls = Arc::new(Mutex::new(Vec::new()));
    Mock::given(method("GET"))
        .and(path_regex(
            r"^/api/2\.0/sql/statements/stmt-ext/result/chunks/\d+$",
        ))
        .respond_with(ChunkMeta {
            links_base: storage.uri(),
            calls: Arc::clone(&meta_calls),
        })
        .mount(&workspace)
        .await;

    let arrivals = Arc::new(Mutex::new(Vec::new()));
    Mock::given(method("GET"))
        .and(path_regex(r"^/expired/\d+$"))
        .respond_with(ResponseTemplate::new(403).set_body_string(
            "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
        ))
        .mount(&storage)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/chunk/\d+$"))
        .respond_with(Storage {
            arrivals: Arc::clone(&arrivals),
        })
        .mount(&storage)
        .await;

    let req =
        ExecuteStatementRequest::new("wh-1", "SELECT id, label FROM main.big.t WHERE id >= :min")
            .with_parameter(StatementParameter::bigint("min", 0))
            .with_disposition(Disposition::ExternalLinks)
            .with_format(ResultFormat::JsonArray);
    let started = Instant::now();
    let stream = c.statements().query_opts(req, opts()).await.unwrap();
    assert_eq!(stream.statement_id(), "stmt-ext");
    assert_eq!(stream.manifest().total_row_count, Some(2000));
    let rows: Vec<_> = stream.try_collect().await.unwrap();
    let elapsed = started.elapsed();

    // Order preserved across all chunks.
    assert_eq!(rows.len(), CHUNKS * ROWS_PER_CHUNK);
    for (n, row) in rows.iter().enumerate() {
        assert_eq!(row.get(0), Some(&SqlValue::Int(n as i64)), "row {n}");
        assert_eq!(
            row.get_by_name("label"),
            Some(&SqlValue::String(format!("label-{n}")))
        );
    }

    // Downloads overlapped in time, never more than the default concurrency (4).
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(
        arrivals.len(),
        CHUNKS,
        "each chunk downloaded once from a valid link"
    );
    let mut max_in_flight = 0;
    for (i, start) in &arrivals {
        let in_flight = arrivals
            .iter()
            .filter(|(j, s)| s <= start && *s + delay_of(*j) > *start)
            .count();
        max_in_flight = max_in_flight.max(in_flight);
        let _ = i;
    }
    assert!(max_in_flight >= 2, "downloads did not overlap");
    assert!(
        max_in_flight <= 4,
        "more than 4 downloads in flight: {max_in_flight}"
    );
    let sequential: Duration = (0..CHUNKS).map(delay_of).sum();
    assert!(
        elapsed < sequential,
        "took {elapsed:?}, sequential downloads would take {sequential:?}"
    );

    // The storage host never saw the workspace token, and did get the link's headers.
    for req in storage.received_requests().await.unwrap() {
        assert!(
            !req.headers.contains_key("authorization"),
            "Authorization sent to the link host: {}",
            req.url.path()
        );
        assert_eq!(
            req.headers
                .get("x-amz-server-side-encryption-customer-algorithm")
                .and_then(|v| v.to_str().ok()),
            Some("AES256")
        );
    }
    // ...while the workspace did.
    for req in workspace.received_requests().await.unwrap() {
        assert_eq!(
            req.headers
                .get("authorization")
                .and_then(|v| v.to_str().ok()),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }

    // Chunk 0's link had a past `expiration`: refreshed before use. Chunk 7's link answered
    // 403: its metadata was fetched again.
    let calls = meta_calls.lock().unwrap().clone();
    assert_eq!(calls.iter().filter(|&&c| c == 0).count(), 1, "{calls:?}");
    assert_eq!(calls.iter().filter(|&&c| c == 7).count(), 2, "{calls:?}");
    for i in (1..CHUNKS).filter(|&i| i != 7) {
        assert_eq!(calls.iter().filter(|&&c| c == i).count(), 1, "chunk {i}");
    }
}

#[tokio::test]
async fn failed_statement_reports_the_server_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": "stmt-fail", "status": {"state": "PENDING"}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/statements/stmt-fail"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": "stmt-fail",
            "status": {
                "state": "FAILED",
                "sql_state": "42P01",
                "error": {
                    "error_code": "BAD_REQUEST",
                    "message": "[TABLE_OR_VIEW_NOT_FOUND] The table or view `main`.`x`.`nope` cannot be found."
                }
            }
        })))
        .mount(&server)
        .await;
    let err = client(&server)
        .statements()
        .query_opts(
            ExecuteStatementRequest::new("wh-1", "SELECT * FROM main.x.nope"),
            opts(),
        )
        .await
        .unwrap_err();
    let Error::Statement(st) = &err else {
        panic!("expected Error::Statement, got {err:?}");
    };
    assert_eq!(st.statement_id, "stmt-fail");
    assert_eq!(st.state, StatementState::Failed);
    assert_eq!(st.error_code.as_deref(), Some("BAD_REQUEST"));
    assert_eq!(st.sql_state.as_deref(), Some("42P01"));
    assert_eq!(
        st.message,
        "[TABLE_OR_VIEW_NOT_FOUND] The table or view `main`.`x`.`nope` cannot be found."
    );
    assert_eq!(err.statement_error(), Some(&**st));
    assert_eq!(err.error_code(), Some("BAD_REQUEST"));
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("`nope` cannot be found"), "{err}");
}

#[tokio::test]
async fn canceled_and_closed_are_typed_errors_that_name_the_fix() {
    for (state, expected, hint) in [
        ("CANCELED", StatementState::Canceled, "cancelled"),
        ("CLOSED", StatementState::Closed, "run the statement again"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/api/2.0/sql/statements"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "statement_id": "s", "status": {"state": state}
            })))
            .mount(&server)
            .await;
        let err = client(&server)
            .statements()
            .query_opts(ExecuteStatementRequest::new("wh", "SELECT 1"), opts())
            .await
            .unwrap_err();
        let st = err
            .statement_error()
            .unwrap_or_else(|| panic!("expected Error::Statement, got {err:?}"));
        assert_eq!(st.statement_id, "s");
        assert_eq!(st.state, expected);
        assert_eq!(st.error_code, None);
        assert_eq!(st.sql_state, None);
        assert_eq!(st.message, "");
        assert_eq!(st.is_canceled(), state == "CANCELED");
        assert_eq!(st.is_closed(), state == "CLOSED");
        assert!(!err.is_retryable());
        assert!(err.to_string().contains(hint), "{err}");
    }
}

#[tokio::test]
async fn temporarily_unavailable_statement_is_retryable() {
    for code in [
        "TEMPORARILY_UNAVAILABLE",
        "SERVICE_UNDER_MAINTENANCE",
        "WORKSPACE_TEMPORARILY_UNAVAILABLE",
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/api/2.0/sql/statements"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "statement_id": "s-busy",
                "status": {"state": "FAILED", "error": {"error_code": code, "message": "Try again later."}}
            })))
            .mount(&server)
            .await;
        let err = client(&server)
            .statements()
            .query_opts(ExecuteStatementRequest::new("wh", "SELECT 1"), opts())
            .await
            .unwrap_err();
        let st = err.statement_error().expect("a statement error");
        assert_eq!(st.state, StatementState::Failed);
        assert_eq!(st.error_code.as_deref(), Some(code));
        assert_eq!(st.message, "Try again later.");
        assert!(err.is_retryable(), "{code}");
    }
}

#[tokio::test]
async fn timeout_cancels_the_statement() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": "slow", "status": {"state": "PENDING"}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/statements/slow"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": "slow", "status": {"state": "RUNNING"}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements/slow/cancel"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .statements()
        .query_opts(
            ExecuteStatementRequest::new("wh", "SELECT sleep()"),
            opts().with_timeout(Duration::from_millis(200)),
        )
        .await
        .unwrap_err();
    match err {
        Error::WaitTimeout { last_state, .. } => assert_eq!(last_state.as_deref(), Some("RUNNING")),
        other => panic!("expected WaitTimeout, got {other:?}"),
    }
}

#[tokio::test]
async fn dropping_the_query_cancels_the_statement() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": "dropped", "status": {"state": "PENDING"}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/statements/dropped"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": "dropped", "status": {"state": "RUNNING"}
        })))
        .mount(&server)
        .await;
    let cancels = Arc::new(AtomicUsize::new(0));
    struct Count(Arc<AtomicUsize>);
    impl Respond for Count {
        fn respond(&self, _: &Request) -> ResponseTemplate {
            self.0.fetch_add(1, Ordering::SeqCst);
            ResponseTemplate::new(200).set_body_json(json!({}))
        }
    }
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements/dropped/cancel"))
        .respond_with(Count(Arc::clone(&cancels)))
        .mount(&server)
        .await;
    let c = client(&server);
    let statements = c.statements();
    let query = statements.query_opts(ExecuteStatementRequest::new("wh", "SELECT 1"), opts());
    let outcome = tokio::time::timeout(Duration::from_millis(150), query).await;
    assert!(outcome.is_err(), "the query should still be running");
    for _ in 0..100 {
        if cancels.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(cancels.load(Ordering::SeqCst), 1, "drop did not cancel");
}

#[tokio::test]
async fn inline_chunks_decode_every_type_by_index() {
    let server = MockServer::start().await;
    let schema = json!({"column_count": 8, "columns": [
        {"name": "b", "type_name": "BOOLEAN", "position": 0},
        {"name": "i", "type_name": "LONG", "position": 1},
        {"name": "d", "type_name": "DECIMAL", "type_text": "DECIMAL(38,18)", "type_precision": 38, "type_scale": 18, "position": 2},
        {"name": "day", "type_name": "DATE", "position": 3},
        {"name": "ts", "type_name": "TIMESTAMP", "position": 4},
        {"name": "bin", "type_name": "BINARY", "position": 5},
        {"name": "arr", "type_name": "ARRAY", "type_text": "ARRAY<INT>", "position": 6},
        {"name": "m", "type_name": "MAP", "type_text": "MAP<STRING,STRUCT<x:INT>>", "position": 7}
    ]});
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": "inl",
            "status": {"state": "SUCCEEDED"},
            "manifest": {"format": "JSON_ARRAY", "schema": schema, "total_chunk_count": 2, "total_row_count": 2,
                          "chunks": [{"chunk_index": 0, "row_count": 1}, {"chunk_index": 1, "row_count": 1}]},
            "result": {"chunk_index": 0, "row_offset": 0, "row_count": 1, "next_chunk_index": 1,
                        "next_chunk_internal_link": "/api/2.0/sql/statements/inl/result/chunks/1",
                        "data_array": [["true", "9223372036854775807", "12345678901234567890.123456789012345678",
                                        "2024-02-29", "2024-02-29T10:00:00.123Z", "3q2+7w==", "[1,2,null]",
                                        "{\"k\":{\"x\":1}}"]]}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/statements/inl/result/chunks/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "chunk_index": 1, "row_offset": 1, "row_count": 1,
            "data_array": [[null, "-1", "-0.000000000000000001", null, null, null, "[]", "{}"]]
        })))
        .expect(2)
        .mount(&server)
        .await;
    let c = client(&server);
    let rows: Vec<_> = c
        .statements()
        .query(ExecuteStatementRequest::new("wh", "SELECT …"))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        rows[0].values(),
        &[
            SqlValue::Bool(true),
            SqlValue::Int(i64::MAX),
            SqlValue::Decimal("12345678901234567890.123456789012345678".into()),
            SqlValue::Date("2024-02-29".into()),
            SqlValue::Timestamp("2024-02-29T10:00:00.123Z".into()),
            SqlValue::Binary(vec![0xde, 0xad, 0xbe, 0xef]),
            SqlValue::Json(json!([1, 2, null])),
            SqlValue::Json(json!({"k": {"x": 1}})),
        ]
    );
    assert_eq!(rows[1].get(0), Some(&SqlValue::Null));
    assert_eq!(
        rows[1].get(2),
        Some(&SqlValue::Decimal("-0.000000000000000001".into()))
    );
    assert_eq!(rows[1].to_json_object()["i"], json!(-1));

    // The low-level calls: chunk by internal link.
    let by_link = c
        .statements()
        .get_chunk_by_link("/api/2.0/sql/statements/inl/result/chunks/1")
        .await
        .unwrap();
    assert_eq!(by_link.row_offset, Some(1));
    assert!(
        c.statements()
            .get_chunk_by_link("/api/2.0/other")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn csv_external_links_decode() {
    let workspace = MockServer::start().await;
    let storage = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": "csv",
            "status": {"state": "SUCCEEDED"},
            "manifest": {"format": "CSV", "schema": schema(), "total_chunk_count": 1},
            "result": {"external_links": [{
                "chunk_index": 0, "external_link": format!("{}/csv/0", storage.uri()),
                "expiration": "2099-01-01T00:00:00Z"
            }]}
        })))
        .mount(&workspace)
        .await;
    Mock::given(method("GET"))
        .and(path("/csv/0"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string("id,label\n1,\"a, \"\"quoted\"\"\"\n2,\n"),
        )
        .mount(&storage)
        .await;
    let rows: Vec<_> = client(&workspace)
        .statements()
        .query(
            ExecuteStatementRequest::new("wh", "SELECT 1")
                .with_disposition(Disposition::ExternalLinks)
                .with_format(ResultFormat::Csv),
        )
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0].get(1),
        Some(&SqlValue::String("a, \"quoted\"".into()))
    );
    assert_eq!(rows[1].get(1), Some(&SqlValue::Null));
}

#[cfg(feature = "arrow")]
#[tokio::test]
async fn arrow_stream_external_links_decode() {
    use arrow_array::{Decimal128Array, Int64Array, RecordBatch};
    use arrow_schema::{DataType, Field, Schema};

    let arrow_schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("amount", DataType::Decimal128(10, 2), true),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&arrow_schema),
        vec![
            Arc::new(Int64Array::from(vec![1, 2])),
            Arc::new(
                Decimal128Array::from(vec![Some(1050), None])
                    .with_precision_and_scale(10, 2)
                    .unwrap(),
            ),
        ],
    )
    .unwrap();
    let mut body = Vec::new();
    {
        let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut body, &arrow_schema).unwrap();
        w.write(&batch).unwrap();
        w.finish().unwrap();
    }
    let workspace = MockServer::start().await;
    let storage = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": "arrow",
            "status": {"state": "SUCCEEDED"},
            "manifest": {"format": "ARROW_STREAM", "total_chunk_count": 1, "schema": {"columns": [
                {"name": "id", "type_name": "LONG"},
                {"name": "amount", "type_name": "DECIMAL", "type_precision": 10, "type_scale": 2}
            ]}},
            "result": {"external_links": [{"chunk_index": 0, "external_link": format!("{}/a/0", storage.uri())}]}
        })))
        .mount(&workspace)
        .await;
    Mock::given(method("GET"))
        .and(path("/a/0"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(body))
        .mount(&storage)
        .await;
    let rows: Vec<_> = client(&workspace)
        .statements()
        .query(
            ExecuteStatementRequest::new("wh", "SELECT 1")
                .with_disposition(Disposition::ExternalLinks)
                .with_format(ResultFormat::ArrowStream),
        )
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        rows[0].values(),
        &[SqlValue::Int(1), SqlValue::Decimal("10.50".into())]
    );
    assert_eq!(rows[1].values(), &[SqlValue::Int(2), SqlValue::Null]);
}

#[tokio::test]
async fn bad_requests_are_rejected_before_sending() {
    let server = MockServer::start().await;
    let err = client(&server)
        .statements()
        .execute(
            &ExecuteStatementRequest::new("wh", "SELECT 1")
                .with_disposition(Disposition::Inline)
                .with_format(ResultFormat::ArrowStream),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    let err = client(&server)
        .statements()
        .execute(&ExecuteStatementRequest::new("wh", "SELECT 1").with_wait_timeout("3s"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("between"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn without_a_chunk_count_next_chunk_index_is_followed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/statements/seq"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": "seq",
            "status": {"state": "SUCCEEDED"},
            "manifest": {"format": "JSON_ARRAY", "schema": schema()},
            "result": {"chunk_index": 0, "data_array": [["0", "a"]], "next_chunk_index": 1}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/statements/seq/result/chunks/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "chunk_index": 1, "data_array": [["1", "b"], ["2", "c"]], "next_chunk_index": 2
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/statements/seq/result/chunks/2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "chunk_index": 2, "data_array": [["3", "d"]]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let done = c.statements().wait("seq", &fast_poll()).await.unwrap();
    let rows: Vec<_> = c
        .statements()
        .result_stream(done, 4)
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = rows
        .iter()
        .map(|r| r.get(0).and_then(SqlValue::as_i64))
        .collect();
    assert_eq!(ids, [Some(0), Some(1), Some(2), Some(3)]);
}
