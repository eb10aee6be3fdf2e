//! Genie: conversation flow, every terminal status, attachment query results.

use std::time::{Duration, Instant};

use databricks_client::Error;
use databricks_client::models::{GenieMessageStatus, SqlValue, StatementState};
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
    let Error::Genie(g) = &err else {
        panic!("expected Error::Genie, got {err:?}");
    };
    assert_eq!(g.status, GenieMessageStatus::Cancelled);
    assert_eq!(g.conversation_id, CONV);
    assert_eq!(g.message_id, MSG);
    assert_eq!(g.error_type, None);
    assert_eq!(g.message, "");
    assert!(g.is_cancelled());
    assert_eq!(err.genie_error(), Some(&**g));
    assert!(err.statement_error().is_none());
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("cancelled"), "{err}");
}

#[tokio::test]
async fn failed_and_expired_are_terminal_too() {
    for (status, expected) in [
        ("FAILED", GenieMessageStatus::Failed),
        (
            "QUERY_RESULT_EXPIRED",
            GenieMessageStatus::QueryResultExpired,
        ),
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
        let g = err
            .genie_error()
            .unwrap_or_else(|| panic!("expected Error::Genie, got {err:?}"));
        assert_eq!(g.status, expected);
        assert_eq!(g.conversation_id, CONV);
        assert_eq!(g.message_id, MSG);
        if status == "FAILED" {
            assert_eq!(
                g.error_type.as_deref(),
                Some("WAREHOUSE_ACCESS_MISSING_EXCEPTION")
            );
            assert_eq!(g.message, "Warehouse is not available");
            assert!(!g.is_query_result_expired());
        } else {
            assert_eq!(g.error_type, None);
            assert_eq!(g.message, "");
            assert!(g.is_query_result_expired());
            assert!(err.to_string().contains("execute_query"), "{err}");
        }
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
async fn attachment_statement_failures_are_statement_errors() {
    for (state, expected) in [
        ("CLOSED", StatementState::Closed),
        ("FAILED", StatementState::Failed),
    ] {
        let server = MockServer::start().await;
        let mut status = json!({"state": state});
        if state == "FAILED" {
            status["error"] = json!({"error_code": "BAD_REQUEST", "message": "[DIVIDE_BY_ZERO] Division by zero."});
            status["sql_state"] = json!("22012");
        }
        Mock::given(method("GET"))
            .and(path(format!(
                "{}/attachments/att-q/query-result",
                message_path()
            )))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "statement_response": {"statement_id": "stmt-g", "status": status}
            })))
            .mount(&server)
            .await;
        let err = client(&server)
            .genie()
            .query_result_rows(SPACE, CONV, MSG, "att-q")
            .await
            .err()
            .unwrap_or_else(|| panic!("{state}: expected an error"));
        let st = err
            .statement_error()
            .unwrap_or_else(|| panic!("expected Error::Statement, got {err:?}"));
        assert_eq!(st.statement_id, "stmt-g");
        assert_eq!(st.state, expected);
        if state == "FAILED" {
            assert_eq!(st.error_code.as_deref(), Some("BAD_REQUEST"));
            assert_eq!(st.sql_state.as_deref(), Some("22012"));
            assert_eq!(st.message, "[DIVIDE_BY_ZERO] Division by zero.");
        } else {
            assert_eq!(st.error_code, None);
            assert_eq!(st.message, "");
            assert!(err.to_string().contains("result expired"), "{err}");
        }
        assert!(err.genie_error().is_none());
    }
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

#[tokio::test]
async fn conversations_and_messages_pages() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/2.0/genie/spaces/{SPACE}/conversations")))
        .and(query_param("include_all", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "conversations": [{"conversation_id": CONV, "title": "Revenue", "created_timestamp": 1_730_000_000_000_i64}],
            "next_page_token": "c2"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/api/2.0/genie/spaces/{SPACE}/conversations/{CONV}/messages"
        )))
        .and(query_param("page_token", "m2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messages": [message("COMPLETED")]
        })))
        .mount(&server)
        .await;
    let genie = client(&server).genie();
    let convs = genie
        .list_conversations(SPACE, None, None, true)
        .await
        .unwrap();
    assert_eq!(convs.items[0].conversation_id.as_deref(), Some(CONV));
    assert_eq!(convs.next_page_token.as_deref(), Some("c2"));
    let msgs = genie
        .list_messages(SPACE, CONV, None, Some("m2"))
        .await
        .unwrap();
    assert!(msgs.items[0].is_terminal());
    assert_eq!(msgs.next_page_token, None);
}
