//! A token and a client secret never appear in Debug, Display, errors or tracing output.
//!
//! Its own test binary: a thread-local tracing subscriber only sees every callsite when no other
//! test in the process registers them first with no subscriber installed.

use std::io::Write;
use std::sync::{Arc, Mutex};

use databricks_client::{Config, ConfigBuilder, WorkspaceClient};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "dapi-CANARY-7f3a91c2";
const SECRET: &str = "CANARY-SECRET-9b1e44d0";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(TOKEN), "{what} leaked the token: {text}");
    assert!(
        !text.contains(SECRET),
        "{what} leaked the client secret: {text}"
    );
}

#[tokio::test]
async fn secrets_never_leak() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oidc/v1/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            // A hostile server echoing the secret back must not get it into our errors.
            "error": "invalid_client", "error_description": "bad client", "echo": SECRET
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/preview/scim/v2/Me"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error_code": "UNAUTHENTICATED", "message": "Invalid access token."
        })))
        .mount(&server)
        .await;

    // PAT: config, builder, client, API error.
    let builder = ConfigBuilder::default().with_env_vars([
        ("DATABRICKS_HOST", server.uri()),
        ("DATABRICKS_TOKEN", TOKEN.to_owned()),
    ]);
    assert_clean("ConfigBuilder Debug", &format!("{builder:?}"));
    let config = builder.build().unwrap();
    assert_clean("Config Debug", &format!("{config:?} {config:#?}"));
    let client = WorkspaceClient::new(config).unwrap();
    assert_clean("client Debug", &format!("{client:?}"));
    let err = client
        .get("/api/2.0/preview/scim/v2/Me")
        .send_empty()
        .await
        .unwrap_err();
    assert!(err.is_unauthenticated());
    assert_clean("PAT error", &format!("{err} {err:?}"));

    // OAuth M2M: config, client, token failure.
    let config = Config::builder()
        .host(server.uri())
        .client_id("sp")
        .client_secret(SECRET)
        .build()
        .unwrap();
    assert_clean("M2M Config Debug", &format!("{config:?}"));
    let client = WorkspaceClient::new(config).unwrap();
    let err = client
        .get("/api/2.0/preview/scim/v2/Me")
        .send_empty()
        .await
        .unwrap_err();
    assert_clean("M2M error", &format!("{err} {err:?}"));

    // Both methods configured: the conflict error names sources, not values.
    let err = ConfigBuilder::default()
        .with_env_vars([
            ("DATABRICKS_HOST", "h.cloud.databricks.com"),
            ("DATABRICKS_TOKEN", TOKEN),
            ("DATABRICKS_CLIENT_ID", "sp"),
            ("DATABRICKS_CLIENT_SECRET", SECRET),
        ])
        .build()
        .unwrap_err();
    assert_clean("conflict error", &format!("{err} {err:?}"));

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("databricks_request"),
        "tracing captured the request spans: {logs}"
    );
    assert_clean("tracing output", &logs);
}
