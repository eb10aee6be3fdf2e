//! Request shapes, snapshotted: method, path, query, headers that matter, body.

use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::pat_client;

fn render(request: &Request) -> String {
    let mut out = format!("{} {}\n", request.method, request.url.path());
    for (k, v) in request.url.query_pairs() {
        out.push_str(&format!("  ?{k}={v}\n"));
    }
    for name in [
        "authorization",
        "user-agent",
        "accept",
        "content-type",
        "x-databricks-workspace-id",
    ] {
        if let Some(v) = request.headers.get(name) {
            let v = v.to_str().unwrap_or("<binary>");
            let v = if name == "authorization" {
                v.split(' ').next().unwrap_or("")
            } else {
                v
            };
            out.push_str(&format!("  {name}: {v}\n"));
        }
    }
    if !request.body.is_empty() {
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(&request.body).into_owned())
        });
        out.push_str(&format!("  body: {body}\n"));
    }
    out
}

#[tokio::test]
async fn request_shapes() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
        .mount(&server)
        .await;
    let client = pat_client(&server);
    client
        .get("/api/2.1/clusters/list")
        .query(&serde_json::json!({
            "page_size": 100,
            "filter_by": {"cluster_states": ["RUNNING", "PENDING"], "is_pinned": true}
        }))
        .send_empty()
        .await
        .unwrap();
    client
        .post("/api/2.2/jobs/run-now")
        .json(&serde_json::json!({"job_id": 42, "idempotency_token": "tok-1", "job_parameters": {"env": "dev"}}))
        .idempotent(true)
        .send_empty()
        .await
        .unwrap();
    client
        .put("/api/2.0/fs/files/Volumes/main/default/raw/a%20b.csv")
        .query_pair("overwrite", true)
        .body(
            bytes::Bytes::from_static(b"id,name\n1,x\n"),
            "application/octet-stream",
        )
        .send_empty()
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    let rendered: String = requests.iter().map(render).collect();
    insta::assert_snapshot!(rendered);
}
