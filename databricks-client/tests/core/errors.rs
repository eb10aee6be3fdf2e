//! Error mapping through the client.

use databricks_client::ErrorKind;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::pat_client;

#[tokio::test]
async fn jobs_get_does_not_exist_is_not_found_with_request_id() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/get"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error_code": "INVALID_PARAMETER_VALUE",
            "message": "Job 42 does not exist.",
            "details": [{"@type": "type.googleapis.com/google.rpc.RequestInfo", "request_id": "9f1c-req", "serving_data": ""}]
        })))
        .mount(&server)
        .await;
    let err = pat_client(&server)
        .get("/api/2.2/jobs/get")
        .query(&[("job_id", 42)])
        .send_empty()
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(err.request_id(), Some("9f1c-req"));
    assert_eq!(err.error_code(), Some("INVALID_PARAMETER_VALUE"));
    assert!(!err.is_retryable());
    let text = err.to_string();
    assert!(
        text.contains("Job 42 does not exist") && text.contains("9f1c-req"),
        "{text}"
    );
}

#[tokio::test]
async fn html_from_a_proxy_is_a_typed_error_with_an_excerpt() {
    let server = MockServer::start().await;
    let page = format!(
        "<html><head><title>502 Bad Gateway</title></head><body>{}</body></html>",
        "<p>nginx</p>".repeat(500)
    );
    Mock::given(method("POST"))
        .and(path("/api/2.2/jobs/create"))
        .respond_with(ResponseTemplate::new(502).set_body_raw(page, "text/html"))
        .mount(&server)
        .await;
    let err = pat_client(&server)
        .post("/api/2.2/jobs/create")
        .send_empty()
        .await
        .unwrap_err();
    let api = err.api_error().expect("api error");
    assert_eq!(api.status, 502);
    assert_eq!(api.error_code.as_deref(), Some("BAD_GATEWAY"));
    assert_eq!(api.message, "502 Bad Gateway");
    assert_eq!(api.kind(), ErrorKind::Unknown);
}

#[tokio::test]
async fn undecodable_success_body_names_the_json_path() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Job {
        job_id: u64,
        settings: Settings,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Settings {
        max_concurrent_runs: u32,
    }
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/get"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "job_id": 1, "settings": {"max_concurrent_runs": "many"}
        })))
        .mount(&server)
        .await;
    let err = pat_client(&server)
        .get("/api/2.2/jobs/get")
        .send_json::<Job>()
        .await
        .unwrap_err();
    match err {
        databricks_client::Error::Decode { json_path, .. } => {
            assert_eq!(json_path, "settings.max_concurrent_runs")
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn private_link_redirect_is_permission_denied() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/clusters/list"))
        .respond_with(ResponseTemplate::new(302).insert_header(
            "Location",
            "https://x.cloud.databricks.com/login.html?error=private-link-validation-error",
        ))
        .mount(&server)
        .await;
    let err = pat_client(&server)
        .get("/api/2.0/clusters/list")
        .send_empty()
        .await
        .unwrap_err();
    assert!(err.is_permission_denied(), "{err:?}");
    assert_eq!(err.error_code(), Some("PRIVATE_LINK_VALIDATION_ERROR"));
    assert!(err.to_string().contains("Private Link"), "{err}");
}

#[tokio::test]
async fn empty_success_body_decodes_as_empty_object() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.2/jobs/reset"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let v: serde_json::Value = pat_client(&server)
        .post("/api/2.2/jobs/reset")
        .send_json()
        .await
        .unwrap();
    assert_eq!(v, serde_json::json!({}));
}

#[tokio::test]
async fn bad_paths_are_rejected_before_sending() {
    let server = MockServer::start().await;
    let err = pat_client(&server)
        .get("api/2.0/x")
        .send_empty()
        .await
        .unwrap_err();
    assert!(err.is_invalid_parameter(), "{err:?}");
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}
