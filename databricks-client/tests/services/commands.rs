use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use databricks_client::models::commands::{CommandLanguage, CommandOutput};

use crate::{Sequence, bodies, client, fast_poll, ok_json};

const CLUSTER: &str = "0101-123456-abcdef";

async fn mount_context(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/api/1.2/contexts/create"))
        .respond_with(ok_json(json!({"id": "ctx-1"})))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/1.2/contexts/status"))
        .and(query_param("clusterId", CLUSTER))
        .and(query_param("contextId", "ctx-1"))
        .respond_with(Sequence::new(vec![
            ok_json(json!({"id": "ctx-1", "status": "Pending"})),
            ok_json(json!({"id": "ctx-1", "status": "Running"})),
        ]))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/1.2/contexts/destroy"))
        .respond_with(ok_json(json!({})))
        .mount(server)
        .await;
}

async fn mount_command(server: &MockServer, command_id: &str, results: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path("/api/1.2/commands/status"))
        .and(query_param("commandId", command_id))
        .respond_with(Sequence::new(vec![
            ok_json(json!({"id": command_id, "status": "Running"})),
            ok_json(json!({"id": command_id, "status": "Finished", "results": results})),
        ]))
        .mount(server)
        .await;
}

#[tokio::test]
async fn context_runs_text_table_and_error_and_closes() {
    let server = MockServer::start().await;
    mount_context(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/1.2/commands/execute"))
        .respond_with(Sequence::new(vec![
            ok_json(json!({"id": "cmd-text"})),
            ok_json(json!({"id": "cmd-table"})),
            ok_json(json!({"id": "cmd-error"})),
        ]))
        .mount(&server)
        .await;
    mount_command(
        &server,
        "cmd-text",
        json!({"resultType": "text", "data": "2"}),
    )
    .await;
    mount_command(
        &server,
        "cmd-table",
        json!({"resultType": "table", "data": [[1, "a"]], "schema": [{"name": "id", "type": "\"long\"", "metadata": "{}"}, {"name": "v", "type": "\"string\"", "metadata": "{}"}], "truncated": false, "isJsonSchema": true}),
    )
    .await;
    mount_command(
        &server,
        "cmd-error",
        json!({"resultType": "error", "summary": "<span>NameError</span>", "cause": "NameError: name 'x' is not defined"}),
    )
    .await;

    let commands = client(&server).commands();
    let ctx = commands
        .context_with(CLUSTER, CommandLanguage::Python, &fast_poll())
        .await
        .unwrap();
    assert_eq!(ctx.id(), "ctx-1");
    let timeout = Duration::from_secs(5);
    assert_eq!(
        ctx.run("print(1+1)", timeout).await.unwrap(),
        CommandOutput::Text("2".into())
    );
    match ctx.run("spark.range(1)", timeout).await.unwrap() {
        CommandOutput::Table { columns, rows, .. } => {
            assert_eq!(columns[1].name, "v");
            assert_eq!(rows, vec![vec![json!(1), json!("a")]]);
        }
        other => panic!("expected a table, got {other:?}"),
    }
    match ctx.run("x", timeout).await.unwrap() {
        CommandOutput::Error { cause, .. } => assert!(cause.contains("NameError")),
        other => panic!("expected an error result, got {other:?}"),
    }
    ctx.close().await.unwrap();

    assert_eq!(
        bodies(&server, "POST", "/api/1.2/contexts/create").await,
        vec![json!({"clusterId": CLUSTER, "language": "python"})]
    );
    assert_eq!(
        bodies(&server, "POST", "/api/1.2/commands/execute").await[0],
        json!({"clusterId": CLUSTER, "contextId": "ctx-1", "language": "python", "command": "print(1+1)"})
    );
    assert_eq!(
        bodies(&server, "POST", "/api/1.2/contexts/destroy").await,
        vec![json!({"clusterId": CLUSTER, "contextId": "ctx-1"})]
    );
}

#[tokio::test]
async fn dropped_context_is_destroyed_in_background() {
    let server = MockServer::start().await;
    mount_context(&server).await;
    {
        let _ctx = client(&server)
            .commands()
            .context_with(CLUSTER, CommandLanguage::Sql, &fast_poll())
            .await
            .unwrap();
    }
    let mut destroyed = Vec::new();
    for _ in 0..200 {
        destroyed = bodies(&server, "POST", "/api/1.2/contexts/destroy").await;
        if !destroyed.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        destroyed,
        vec![json!({"clusterId": CLUSTER, "contextId": "ctx-1"})]
    );
}

#[tokio::test]
async fn run_timeout_cancels_the_command() {
    let server = MockServer::start().await;
    mount_context(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/1.2/commands/execute"))
        .respond_with(ok_json(json!({"id": "cmd-slow"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/1.2/commands/status"))
        .respond_with(ok_json(json!({"id": "cmd-slow", "status": "Running"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/1.2/commands/cancel"))
        .respond_with(ok_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let ctx = client(&server)
        .commands()
        .context_with(CLUSTER, CommandLanguage::Python, &fast_poll())
        .await
        .unwrap();
    let err = ctx
        .run("import time; time.sleep(999)", Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cmd-slow"), "{err}");
    assert_eq!(
        bodies(&server, "POST", "/api/1.2/commands/cancel").await,
        vec![json!({"clusterId": CLUSTER, "contextId": "ctx-1", "commandId": "cmd-slow"})]
    );
    ctx.close().await.unwrap();
}

#[tokio::test]
async fn cancelled_command_and_failed_context_are_errors() {
    let server = MockServer::start().await;
    mount_context(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/1.2/commands/execute"))
        .respond_with(ok_json(json!({"id": "cmd-c"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/1.2/commands/status"))
        .respond_with(ok_json(json!({"id": "cmd-c", "status": "Cancelled"})))
        .mount(&server)
        .await;
    let ctx = client(&server)
        .commands()
        .context_with(CLUSTER, CommandLanguage::Scala, &fast_poll())
        .await
        .unwrap();
    let err = ctx.run("1", Duration::from_secs(5)).await.unwrap_err();
    assert!(err.to_string().contains("cancelled"), "{err}");
    ctx.close().await.unwrap();

    // A context that fails to start is destroyed and reported.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/1.2/contexts/create"))
        .respond_with(ok_json(json!({"id": "ctx-bad"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/1.2/contexts/status"))
        .respond_with(ok_json(json!({"id": "ctx-bad", "status": "Error"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/1.2/contexts/destroy"))
        .respond_with(ok_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .commands()
        .context_with(CLUSTER, CommandLanguage::Python, &fast_poll())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("ctx-bad"), "{err}");
}

#[tokio::test]
async fn api_12_errors_are_reported() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/1.2/contexts/create"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "Too many execution contexts are open right now (145/145)"
        })))
        .mount(&server)
        .await;
    let err = client(&server)
        .commands()
        .create_context(CLUSTER, CommandLanguage::Python)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("Too many execution contexts"),
        "{err}"
    );
}
