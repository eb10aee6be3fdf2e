//! Unit tests: the JWT-bearer assertion, token caching and single flight, ADC discovery, and the
//! secret canary.

use std::sync::{Arc, Mutex as StdMutex};

use serde_json::json;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::credential::{AssertionClaims, Credentials, SCOPE, ServiceAccountKey, TokenSource};
use super::*;
use crate::DataSourceExt;

/// A throwaway RSA key generated for these tests with `openssl genpkey` (see
/// `tests/bigquery/fixtures/README.md`); it grants access to nothing.
const TEST_KEY: &str = include_str!("../../tests/bigquery/fixtures/test_key.pem");
const TEST_PUBLIC_KEY: &str = include_str!("../../tests/bigquery/fixtures/test_key.pub.pem");
const CANARY_TOKEN: &str = "ya29.CANARY-access-token-4b1d";

fn key_json(token_uri: &str) -> String {
    json!({
        "type": "service_account",
        "project_id": "proj-1",
        "private_key_id": "kid-123",
        "private_key": TEST_KEY,
        "client_email": "reader@proj-1.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": token_uri,
    })
    .to_string()
}

fn verify(assertion: &str, aud: &str) -> AssertionClaims {
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(TEST_PUBLIC_KEY.as_bytes()).unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[aud]);
    v.set_issuer(&["reader@proj-1.iam.gserviceaccount.com"]);
    let data = jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &v).unwrap();
    assert_eq!(data.header.kid.as_deref(), Some("kid-123"));
    data.claims
}

#[test]
fn jwt_bearer_assertion_verifies_with_the_public_key() {
    let TokenSource::ServiceAccount(key) =
        TokenSource::from_json(&key_json("https://oauth2.googleapis.com/token"), "test").unwrap()
    else {
        panic!("not a service account");
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = verify(
        &key.assertion(SCOPE, now).unwrap(),
        "https://oauth2.googleapis.com/token",
    );
    assert_eq!(claims.scope, "https://www.googleapis.com/auth/bigquery");
    assert_eq!(claims.iat, now);
    assert_eq!(claims.exp, now + 3600);
    // A different key does not verify.
    let other: ServiceAccountKey = serde_json::from_value(json!({
        "private_key": "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n",
        "client_email": "x@y",
    }))
    .unwrap();
    let err = other.assertion(SCOPE, now).unwrap_err().to_string();
    assert!(err.contains("x@y") && !err.contains("not a key"), "{err}");
}

/// Answers the token endpoint after checking the grant and verifying the assertion.
struct TokenEndpoint {
    aud: String,
    calls: Arc<StdMutex<usize>>,
}

impl wiremock::Respond for TokenEndpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        *self.calls.lock().unwrap() += 1;
        let form: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(&request.body)
                .into_owned()
                .collect();
        assert_eq!(
            form.get("grant_type").map(String::as_str),
            Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
        );
        verify(&form["assertion"], &self.aud);
        ResponseTemplate::new(200)
            .set_delay(std::time::Duration::from_millis(50))
            .set_body_json(
                json!({"access_token": CANARY_TOKEN, "expires_in": 3599, "token_type": "Bearer"}),
            )
    }
}

#[tokio::test]
async fn service_account_tokens_are_cached_and_single_flight() {
    let server = MockServer::start().await;
    let uri = format!("{}/token", server.uri());
    let calls = Arc::new(StdMutex::new(0));
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(TokenEndpoint {
            aud: uri.clone(),
            calls: Arc::clone(&calls),
        })
        .mount(&server)
        .await;
    let creds = Credentials::new(TokenSource::from_json(&key_json(&uri), "test").unwrap());
    let http = reqwest::Client::new();
    let tokens = futures::future::join_all((0..8).map(|_| creds.token(&http))).await;
    for t in tokens {
        assert_eq!(
            secrecy::ExposeSecret::expose_secret(&t.unwrap()),
            CANARY_TOKEN
        );
    }
    creds.token(&http).await.unwrap();
    assert_eq!(
        *calls.lock().unwrap(),
        1,
        "one token request for nine callers"
    );
    creds.invalidate().await;
    creds.token(&http).await.unwrap();
    assert_eq!(*calls.lock().unwrap(), 2);
}

#[tokio::test]
async fn adc_reads_the_env_file_then_gcloud_then_the_metadata_server() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    // 1. GOOGLE_APPLICATION_CREDENTIALS.
    let key_path = dir.path().join("key.json");
    std::fs::write(&key_path, key_json(&format!("{}/token", server.uri()))).unwrap();
    let k = key_path.to_string_lossy().into_owned();
    let src = TokenSource::application_default(
        &|v| (v == "GOOGLE_APPLICATION_CREDENTIALS").then(|| k.clone()),
        None,
    )
    .unwrap();
    assert!(matches!(src, TokenSource::ServiceAccount(_)));
    // 2. The gcloud file with an authorized_user refresh token.
    let gcloud = dir.path().join("gcloud");
    std::fs::create_dir_all(&gcloud).unwrap();
    std::fs::write(
        gcloud.join("application_default_credentials.json"),
        json!({
            "type": "authorized_user",
            "client_id": "cid.apps.googleusercontent.com",
            "client_secret": "CANARY-client-secret",
            "refresh_token": "1//CANARY-refresh",
            "token_uri": format!("{}/oauth", server.uri()),
        })
        .to_string(),
    )
    .unwrap();
    Mock::given(method("POST"))
        .and(path("/oauth"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=1%2F%2FCANARY-refresh"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": CANARY_TOKEN, "expires_in": 3599})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let g = gcloud.to_string_lossy().into_owned();
    let src =
        TokenSource::application_default(&|v| (v == "CLOUDSDK_CONFIG").then(|| g.clone()), None)
            .unwrap();
    let creds = Credentials::new(src);
    let token = creds.token(&reqwest::Client::new()).await.unwrap();
    assert_eq!(secrecy::ExposeSecret::expose_secret(&token), CANARY_TOKEN);
    assert!(!format!("{creds:?}").contains("CANARY"));
    // 3. Nothing on disk: the metadata server, at a configurable endpoint.
    Mock::given(method("GET"))
        .and(path(
            "/computeMetadata/v1/instance/service-accounts/default/token",
        ))
        .and(header("Metadata-Flavor", "Google"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": CANARY_TOKEN, "expires_in": 100})),
        )
        .mount(&server)
        .await;
    let empty = dir.path().join("empty").to_string_lossy().into_owned();
    let src = TokenSource::application_default(
        &|v| (v == "HOME").then(|| empty.clone()),
        Some(&server.uri()),
    )
    .unwrap();
    assert!(matches!(src, TokenSource::Metadata(_)));
    let token = Credentials::new(src)
        .token(&reqwest::Client::new())
        .await
        .unwrap();
    assert_eq!(secrecy::ExposeSecret::expose_secret(&token), CANARY_TOKEN);
}

/// Collects tracing output for the canary test.
#[derive(Clone, Default)]
struct Captured(Arc<StdMutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn canary_no_key_or_token_in_debug_errors_or_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    // The process-wide subscriber (no other test of this binary installs one): a thread-local
    // one loses events to callsite interest cached by tests running on other threads. Logs of
    // other tests land in the buffer too, which only widens what the canary checks.
    tracing::subscriber::set_global_default(subscriber)
        .expect("only the canary installs a global subscriber in this test binary");

    let server = MockServer::start().await;
    let uri = format!("{}/token", server.uri());
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": CANARY_TOKEN, "expires_in": 3599})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/projects/proj-1/queries"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": {
            "code": 403, "message": "Access Denied: Project proj-1", "status": "PERMISSION_DENIED",
            "errors": [{"reason": "accessDenied", "message": "Access Denied", "domain": "global"}]
        }})))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("key.json");
    std::fs::write(&key_path, key_json(&uri)).unwrap();
    let config = BigQueryConfig::new("proj-1", "sales")
        .with_endpoint(server.uri())
        .with_auth(BigQueryAuth::service_account_key_file(&key_path));
    let source = BigQuerySource::from_config(&config, None).unwrap();
    let err = source.sql("SELECT 1").await.unwrap_err();
    assert!(matches!(err, Error::PermissionDenied { .. }), "{err}");
    let token_source = TokenSource::from_file(&key_path).unwrap();
    let static_source = TokenSource::Static(CANARY_TOKEN.to_string().into());
    let bad = TokenSource::from_json(
        &json!({"type": "service_account", "private_key": TEST_KEY}).to_string(),
        "test",
    )
    .unwrap_err();
    let with_token =
        BigQueryConfig::new("p", "d").with_auth(BigQueryAuth::access_token(CANARY_TOKEN));
    let serialized = serde_json::to_string(&with_token).unwrap();

    let key_body = TEST_KEY.lines().nth(2).unwrap_or_default().to_string();
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("fetching a Google access token"), "{logs}");
    for text in [
        format!("{source:?}"),
        format!("{token_source:?}"),
        format!("{static_source:?}"),
        format!("{with_token:?}"),
        serialized,
        err.to_string(),
        format!("{err:?}"),
        bad.to_string(),
        logs,
    ] {
        assert!(!text.contains(CANARY_TOKEN), "token leaked: {text}");
        assert!(!text.contains(&key_body), "key leaked: {text}");
        assert!(!text.contains("PRIVATE KEY"), "key leaked: {text}");
    }
}

#[test]
fn metric_types_follow_the_expression() {
    let lookup = |e: &str| match e {
        "source.amount" => Some("NUMERIC".to_string()),
        "source.quantity" => Some("INT64".to_string()),
        _ => None,
    };
    assert_eq!(metric_type("COUNT(1)", &lookup).as_deref(), Some("INT64"));
    assert_eq!(
        metric_type("SUM(CAST(source.amount AS DECIMAL(18,2)))", &lookup).as_deref(),
        Some("NUMERIC")
    );
    assert_eq!(
        metric_type("SUM(source.quantity)", &lookup).as_deref(),
        Some("INT64")
    );
    assert_eq!(
        metric_type("AVG(source.quantity)", &lookup).as_deref(),
        Some("FLOAT64")
    );
    assert_eq!(metric_type("weird(x) + 1", &lookup), None);
}
