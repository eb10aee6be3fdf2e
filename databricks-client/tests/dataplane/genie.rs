//! Genie: conversation flow, every terminal status, attachment query results.

use std::time::{Duration, Instant};

use databricks_client::Error;
use databricks_client::models::{GenieMessageStatus, SqlValue};
use databricks_client::wait::PollOptions;
use futures::TryStreamExt;
use serde_json::json;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{client, fast_poll};

const SPACE: &str = "01f0-space";
const CONV: &str = "01f0-conv";
const MSG: &str = "01f0-msg";

fn message(status: &str) -> serde_json::Value {
    json!({
        "id": MSG, "message_id": MSG, "space_id": SPACE, "conversation_id": CONV,
        "content": "What was revenue by month?", "status": status,
        "created_timestamp": 1_730_000_000_000_i64, "last_updated_timestamp": 1_730_000_005_000_i64,
        "user_id": 42
    })
}

async fn mount_start(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/2.0/genie/spaces/{SPACE}/start-conversation"
        )))
        .and(body_json(json!({"content": "What was revenue by month?"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "conversation_id": CONV, "message_id": MSG,
            "conversation": {"id": CONV, "space_id": SPACE, "title": "What was revenue by month?"},
            "message": message("SUBMITTED")
        })))
        .mount(server)
        .await;
}

fn message_path() -> String {
    format!("/api/2.0/genie/spaces/{SPACE}/conversations/{CONV}/messages/{MSG}")
}

#[tokio::test]
async fn cancelled_conversation_returns_promptly_with_a_typed_error() {
    let server = MockServer::start().await;
    mount_start(&server).await;
    Mock::given(method("GET"))
        .and(path(message_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(message("ASKING_AI")))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(message_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(message("CANCELLED")))
        .mount(&server)
        .await;
    // A generous timeout: a waiter that ignored CANCELLED would spin for a minute.
    let poll = PollOptions::default()
        .with_initial_interval(Duration::from_millis(20))
        .with_max_interval(Duration::from_millis(50))
        .with_timeout(Duration::from_secs(60));
    let started = Instant::now();
    let err = client(&server)
        .genie()
        .ask(SPACE, "What was revenue by month?", &poll)
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    match err {
        Error::OperationFailed { what, message } => {
            assert!(what.contains(MSG), "{what}");
            assert!(message.starts_with("CANCELLED"), "{message}");
        }
        other => panic!("expected OperationFailed, got {other:?}"),
    }
}

#[tokio::test]
async fn failed_and_expired_are_terminal_too() {
    for (status, needle) in [
        ("FAILED", "FAILED: Warehouse is not available"),
        ("QUERY_RESULT_EXPIRED", "execute_query"),
    ] {
        let server = MockServer::start().await;
        let mut body = message(status);
        if status == "FAILED" {
            body["error"] = json!({"error": "Warehouse is not available", "type": "WAREHOUSE_ACCESS_MISSING_EXCEPTION"});
        }
        Mock::given(method("GET"))
            .and(path(message_path()))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
        let err = client(&server)
            .genie()
            .wait_for_message(SPACE, CONV, MSG, &fast_poll())
            .await
            .unwrap_err();
        assert!(err.to_string().contains(needle), "{err}");
    }
    assert!(GenieMessageStatus::QueryResultExpired.is_terminal());
    assert!(!GenieMessageStatus::ExecutingQuery.is_terminal());
}

#[tokio::test]
async fn completed_message_and_attachment_rows() {
    let server = MockServer::start().await;
    mount_start(&server).await;
    Mock::given(method("GET"))
        .and(path(message_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(message("EXECUTING_QUERY")))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let mut done = message("COMPLETED");
    done["attachments"] = json!([
        {"attachment_id": "att-text", "text": {"content": "Here is revenue by month."}},
        {"attachment_id": "att-q", "query": {
            "query": "SELECT month, SUM(amount) AS revenue FROM main.sales.orders GROUP BY ALL",
            "title": "Revenue by month", "description": "Sum of amounts", "statement_id": "stmt-g",
            "query_result_metadata": {"row_count": 3, "is_truncated": false}
        }},
        {"attachment_id": "att-sq", "suggested_questions": {"questions": ["And by region?"]}}
    ]);
    Mock::given(method("GET"))
        .and(path(message_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(done))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{}/attachments/att-q/query-result", message_path())))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_response": {
                "statement_id": "stmt-g",
                "status": {"state": "SUCCEEDED"},
                "manifest": {"format": "JSON_ARRAY", "total_chunk_count": 2, "total_row_count": 3,
                    "schema": {"column_count": 2, "columns": [
                        {"name": "month", "type_name": "DATE", "position": 0},
                        {"name": "revenue", "type_name": "DECIMAL", "type_text": "DECIMAL(20,2)", "position": 1}
                    ]}},
                "result": {"chunk_index": 0, "row_count": 2, "data_array": [["2024-01-01", "100.10"], ["2024-02-01", "200.20"]]}
            }
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/statements/stmt-g/result/chunks/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "chunk_index": 1, "row_offset": 2, "row_count": 1, "data_array": [["2024-03-01", "300.30"]]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let genie = client(&server).genie();
    let msg = genie
        .ask(SPACE, "What was revenue by month?", &fast_poll())
        .await
        .unwrap();
    assert_eq!(msg.text().as_deref(), Some("Here is revenue by month."));
    let att = msg.query_attachments().next().unwrap();
    assert_eq!(
        att.query
            .as_ref()
            .unwrap()
            .query_result_metadata
            .as_ref()
            .unwrap()
            .row_count,
        Some(3)
    );
    let rows: Vec<_> = genie
        .query_result_rows(SPACE, CONV, MSG, &att.attachment_id)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let revenue: Vec<_> = rows.iter().map(|r| r.get(1).cloned().unwrap()).collect();
    assert_eq!(
        revenue,
        [
            SqlValue::Decimal("100.10".into()),
            SqlValue::Decimal("200.20".into()),
            SqlValue::Decimal("300.30".into())
        ]
    );
    assert_eq!(rows[2].get(0), Some(&SqlValue::Date("2024-03-01".into())));
}

#[tokio::test]
async fn spaces_follow_up_and_execute_query() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/genie/spaces"))
        .and(query_param("page_size", "10"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "spaces": [{"space_id": SPACE, "title": "Sales", "description": "Sales data", "warehouse_id": "wh-1"}],
            "next_page_token": "next"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/2.0/genie/spaces/{SPACE}/conversations/{CONV}/messages"
        )))
        .and(body_json(json!({"content": "And in 2023?"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(message("SUBMITTED")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "{}/attachments/att-q/execute-query",
            message_path()
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_response": {"statement_id": "stmt-new", "status": {"state": "PENDING"}}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let genie = client(&server).genie();
    let page = genie.list_spaces(Some(10), None).await.unwrap();
    assert_eq!(page.items[0].warehouse_id.as_deref(), Some("wh-1"));
    assert_eq!(page.next_page_token.as_deref(), Some("next"));
    let follow = genie
        .create_message(SPACE, CONV, "And in 2023?")
        .await
        .unwrap();
    assert_eq!(follow.message_id(), MSG);
    let rerun = genie
        .execute_query(SPACE, CONV, MSG, "att-q")
        .await
        .unwrap();
    assert_eq!(rerun.statement_response.statement_id, "stmt-new");
}
