//! The HTTP server over real loopback HTTP: health, readiness, metrics hook, routing, body
//! checks, DNS-rebinding protection, stateless replicas and graceful shutdown.
#![cfg(feature = "server")]

mod server_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use server_common::*;

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.expect("get");
    (
        response.status().as_u16(),
        response.text().await.expect("text"),
    )
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let healthy = Arc::new(AtomicBool::new(false));
    let probe = Arc::clone(&healthy);
    let config = loopback()
        .with_readiness(Duration::from_millis(200), move || {
            let ok = probe.load(Ordering::SeqCst);
            async move {
                if ok {
                    Ok(())
                } else {
                    Err("the warehouse did not answer".to_owned())
                }
            }
        })
        .with_metrics(Arc::new(|| "# TYPE mcp_up gauge\nmcp_up 1\n".to_owned()));
    let server = start(config).await;
    assert_eq!(get(&server.url("/healthz")).await.0, 200);
    let (status, body) = get(&server.url("/readyz")).await;
    assert_eq!(status, 503);
    assert!(body.contains("the warehouse did not answer"), "{body}");
    healthy.store(true, Ordering::SeqCst);
    assert_eq!(get(&server.url("/readyz")).await.0, 200);
    // A recent success is reused for `max_age`, then the check runs again.
    healthy.store(false, Ordering::SeqCst);
    assert_eq!(get(&server.url("/readyz")).await.0, 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(get(&server.url("/readyz")).await.0, 503);

    let response = reqwest::get(server.url("/metrics")).await.expect("get");
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/plain; version=0.0.4")
    );
    assert_eq!(
        response.text().await.expect("text"),
        "# TYPE mcp_up gauge\nmcp_up 1\n\n"
    );

    let (status, body) = get(&server.url("/other")).await;
    assert_eq!(status, 404);
    assert!(body.contains("/mcp"), "{body}");
    server.shutdown().await;

    // Without a check the server is ready; without a renderer there are no metrics.
    let plain = start(loopback()).await;
    assert_eq!(get(&plain.url("/readyz")).await.0, 200);
    assert_eq!(get(&plain.url("/metrics")).await.0, 404);
    plain.shutdown().await;
}

#[tokio::test]
async fn host_and_origin_are_checked() {
    let server = start(loopback()).await;
    let client = reqwest::Client::new();
    let send = |host: Option<&'static str>, origin: Option<&'static str>| {
        let mut req = client
            .post(server.url("/mcp"))
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .body(initialize(1).to_string());
        if let Some(host) = host {
            req = req.header("host", host);
        }
        if let Some(origin) = origin {
            req = req.header("origin", origin);
        }
        req.send()
    };
    assert_eq!(send(None, None).await.expect("send").status(), 200);
    assert_eq!(
        send(Some("evil.example"), None)
            .await
            .expect("send")
            .status(),
        403
    );
    assert_eq!(
        send(None, Some("http://evil.example"))
            .await
            .expect("send")
            .status(),
        403
    );
    assert_eq!(
        send(None, Some("http://localhost:3000"))
            .await
            .expect("send")
            .status(),
        200
    );
    server.shutdown().await;

    // A public bind needs the host names clients use.
    let public = mcp_tools::server::HttpConfig::new("0.0.0.0:0".parse().expect("addr"))
        .insecure_no_auth(true);
    let Err(e) = mcp_tools::server::HttpServer::bind(mcp_server(), public).await else {
        panic!("a public bind without allowed hosts must be refused");
    };
    assert!(e.to_string().contains("--allowed-host"), "{e}");
}

/// A POST body that is not one JSON-RPC object is answered with 400 and the JSON-RPC error,
/// before rmcp (which would answer 415 with plain text).
#[tokio::test]
async fn bodies_that_are_not_json_rpc_get_400_and_a_json_rpc_error() {
    let server = start(loopback()).await;
    let url = server.url("/mcp");
    let raw = |body: Vec<u8>| {
        reqwest::Client::new()
            .post(&url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let cases: Vec<(&str, Vec<u8>, i64)> = vec![
        ("not JSON", b"hello".to_vec(), -32700),
        (
            "truncated",
            b"{\"jsonrpc\":\"2.0\",\"id\":1".to_vec(),
            -32700,
        ),
        ("invalid UTF-8", b"{\"a\":\"\xff\"}".to_vec(), -32700),
        ("nested 20,000 deep", deep.into_bytes(), -32700),
        ("empty", Vec::new(), -32700),
        (
            "a batch",
            b"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]".to_vec(),
            -32600,
        ),
        ("a number", b"1".to_vec(), -32600),
        (
            "no method",
            b"{\"jsonrpc\":\"2.0\",\"id\":1}".to_vec(),
            -32600,
        ),
    ];
    for (name, body, code) in cases {
        let response = raw(body).await.expect("send");
        assert_eq!(response.status(), 400, "{name}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{name}"
        );
        let answer: Value = response.json().await.expect("json");
        assert_eq!(answer["jsonrpc"], "2.0", "{name}");
        assert_eq!(answer["error"]["code"], code, "{name}: {answer}");
        assert!(
            answer.as_object().is_some_and(|o| o.contains_key("id")),
            "{name}"
        );
    }
    let response = raw(vec![b' '; 5 * 1024 * 1024]).await.expect("send");
    assert_eq!(response.status(), 413);
    let answer: Value = response.json().await.expect("json");
    assert_eq!(answer["error"]["code"], -32600);
    // A good request still works.
    let session = open_session(&url, None).await;
    let list = post(&url, None, session.as_deref(), &tools_list(2)).await;
    assert_eq!(tool_names(&list), ["whoami", "sleep"]);
    server.shutdown().await;
}

/// Two stateless replicas behind one (simulated) load balancer: one client's requests
/// alternate between them and all succeed, with no session id to carry.
#[tokio::test]
async fn stateless_replicas_serve_one_client_alternately() {
    let a = start(loopback().stateless(true)).await;
    let b = start(loopback().stateless(true)).await;
    let urls = [a.url("/mcp"), b.url("/mcp")];
    let init = post(&urls[0], None, None, &initialize(1)).await;
    assert_eq!(init.status, 200, "{}", init.body);
    assert_eq!(init.header("mcp-session-id"), None, "stateless: no session");
    assert_eq!(
        init.message.as_ref().expect("answer")["result"]["serverInfo"]["name"],
        "server-test"
    );
    let ack = post(&urls[1], None, None, &initialized()).await;
    assert_eq!(ack.status, 202, "{}", ack.body);
    for i in 0..6u64 {
        let url = &urls[(i % 2) as usize];
        let answer = if i % 3 == 0 {
            post(url, None, None, &tools_list(10 + i)).await
        } else {
            post(url, None, None, &call(10 + i, "whoami", json!({}))).await
        };
        assert_eq!(answer.status, 200, "request {i}: {}", answer.body);
        let message = answer.message.as_ref().expect("answer");
        assert_eq!(message["id"], 10 + i);
        assert!(message.get("result").is_some(), "request {i}: {message}");
        if i % 3 != 0 {
            assert_eq!(
                message["result"]["structuredContent"]["method"],
                "anonymous"
            );
        }
    }
    a.shutdown().await;
    b.shutdown().await;
}

/// Shutdown stops new work, answers readiness with 503, and lets an in-flight call finish.
#[tokio::test]
async fn shutdown_lets_in_flight_calls_finish() {
    let mut server = start(
        loopback()
            .stateless(true)
            .with_shutdown_grace(Duration::from_secs(10)),
    )
    .await;
    let url = server.url("/mcp");
    assert_eq!(post(&url, None, None, &initialize(1)).await.status, 200);
    let slow = {
        let url = url.clone();
        tokio::spawn(
            async move { post(&url, None, None, &call(2, "sleep", json!({"ms": 700}))).await },
        )
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = server.stop.take().expect("stop").send(());
    let answer = slow.await.expect("join");
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.message.as_ref().expect("answer")["result"]["structuredContent"]["name"],
        "slept"
    );
    tokio::time::timeout(Duration::from_secs(5), server.done)
        .await
        .expect("stopped within the grace period")
        .expect("join")
        .expect("clean");
    // The listener is closed.
    assert!(
        reqwest::get(format!("http://{}/healthz", server.addr))
            .await
            .is_err()
    );
}

/// A call still running at the end of the grace period does not hold the server up.
#[tokio::test]
async fn shutdown_is_bounded_by_the_grace_period() {
    let mut server = start(
        loopback()
            .stateless(true)
            .with_shutdown_grace(Duration::from_millis(300)),
    )
    .await;
    let url = server.url("/mcp");
    let slow = {
        let url = url.clone();
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(&url)
                .header("accept", "application/json, text/event-stream")
                .header("content-type", "application/json")
                .body(call(2, "sleep", json!({"ms": 60_000})).to_string())
                .send()
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    let _ = server.stop.take().expect("stop").send(());
    tokio::time::timeout(Duration::from_secs(5), server.done)
        .await
        .expect("stopped")
        .expect("join")
        .expect("clean");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    slow.abort();
}
