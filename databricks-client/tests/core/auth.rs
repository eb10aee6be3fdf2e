//! OAuth M2M through the client: one token request for many concurrent calls.

use std::time::Duration;

use databricks_client::{Config, WorkspaceClient};
use futures::future::join_all;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::fast_retry;

fn m2m_client(server: &MockServer) -> WorkspaceClient {
    let config = Config::builder()
        .host(server.uri())
        .client_id("sp-id")
        .client_secret("sp-secret")
        .retry_config(fast_retry())
        .build()
        .unwrap();
    WorkspaceClient::new(config).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_calls_share_one_token_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oidc/v1/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_millis(200))
                .set_body_json(serde_json::json!({
                    "access_token": "m2m-access", "token_type": "Bearer", "expires_in": 3600, "scope": "all-apis"
                })),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/preview/scim/v2/Me"))
        .and(header("authorization", "Bearer m2m-access"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"userName": "sp"})),
        )
        .expect(50)
        .mount(&server)
        .await;
    let client = m2m_client(&server);
    let calls = (0..50).map(|_| {
        let client = client.clone();
        async move {
            client
                .get("/api/2.0/preview/scim/v2/Me")
                .send_json::<serde_json::Value>()
                .await
        }
    });
    for result in join_all(calls).await {
        assert_eq!(result.unwrap()["userName"], "sp");
    }
    server.verify().await;
}

#[tokio::test]
async fn token_failure_is_an_auth_error_naming_the_fix() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oidc/v1/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_client", "error_description": "Client authentication failed"
        })))
        .mount(&server)
        .await;
    let err = m2m_client(&server)
        .get("/api/2.0/preview/scim/v2/Me")
        .send_empty()
        .await
        .unwrap_err();
    assert!(err.is_unauthenticated(), "{err:?}");
    assert!(err.to_string().contains("DATABRICKS_CLIENT_ID"), "{err}");
}
