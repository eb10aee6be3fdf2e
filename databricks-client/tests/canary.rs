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
/// Secrets of the other strategies: Azure client secret, external JWTs, the GitHub request
/// token, the metadata-service URL key and a token printed by the Databricks CLI.
const MORE: &[&str] = &[
    "CANARY-AZURE-5d2c",
    "CANARY-JWT-env-81aa",
    "CANARY-JWT-file-77b0",
    "CANARY-GH-REQ-3f19",
    "CANARY-MDKEY-0c4e",
    "CANARY-CLI-TOKEN-a9d3",
];

/// `external-browser`: the cached access and refresh tokens and the authorization code.
const U2M: &[&str] = &[
    "CANARY-U2M-ACCESS-61e0",
    "CANARY-U2M-REFRESH-d4c7",
    "CANARY-U2M-CODE-2b88",
    "CANARY-U2M-FRESH-ACCESS-90aa",
];
/// Secrets only known at run time (the PKCE verifier, captured at the fake token endpoint).
static RUNTIME: Mutex<Vec<String>> = Mutex::new(Vec::new());

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
    for secret in MORE.iter().chain(U2M) {
        assert!(!text.contains(secret), "{what} leaked {secret}: {text}");
    }
    for secret in RUNTIME.lock().unwrap().iter() {
        assert!(
            !text.contains(secret.as_str()),
            "{what} leaked {secret}: {text}"
        );
    }
}

/// `external-browser`: a refresh refused and a code exchange refused by a server echoing
/// every secret back, then a cached token refused by the API.
async fn external_browser() {
    use databricks_client::ExternalBrowserOptions;
    use wiremock::Request;

    let server = MockServer::start().await;
    let host = server.uri();
    Mock::given(method("GET"))
        .and(path("/oidc/v1/authorize"))
        .respond_with(|req: &Request| {
            let q: std::collections::HashMap<String, String> =
                req.url.query_pairs().into_owned().collect();
            let mut to = url::Url::parse(&q["redirect_uri"]).unwrap();
            to.query_pairs_mut()
                .append_pair("code", U2M[2])
                .append_pair("state", &q["state"]);
            ResponseTemplate::new(302).insert_header("location", to.as_str())
        })
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oidc/v1/token"))
        .respond_with(|req: &Request| {
            let form: Vec<(String, String)> = url::form_urlencoded::parse(&req.body)
                .into_owned()
                .collect();
            for (name, value) in &form {
                if name == "code_verifier" {
                    RUNTIME.lock().unwrap().push(value.clone());
                }
            }
            ResponseTemplate::new(400).set_body_json(serde_json::json!({
                "error": "invalid_grant", "echo": form, "more": U2M
            }))
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/preview/scim/v2/Me"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error_code": "UNAUTHENTICATED", "message": "Invalid access token."
        })))
        .mount(&server)
        .await;

    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("token-cache.json");
    let write_cache = |access: &str, expiry: &str| {
        let doc = serde_json::json!({"version": 1, "tokens": {host.clone(): {
            "access_token": access, "token_type": "Bearer", "refresh_token": U2M[1],
            "expiry": expiry
        }}});
        std::fs::write(&cache, doc.to_string()).unwrap();
    };
    write_cache(U2M[0], "2000-01-01T00:00:00Z");
    let handle = tokio::runtime::Handle::current();
    let options = ExternalBrowserOptions::default()
        .with_callback_port(0)
        .with_token_cache_path(&cache)
        .with_login_timeout(std::time::Duration::from_secs(10))
        .with_opener(move |url: &url::Url| {
            let url = url.clone();
            handle.spawn(async move {
                let _ = reqwest::Client::new().get(url).send().await;
            });
            Ok(())
        });
    let builder = ConfigBuilder::default()
        .with_env_vars([
            ("DATABRICKS_HOST", host.clone()),
            ("DATABRICKS_AUTH_TYPE", "external-browser".to_owned()),
        ])
        .external_browser(options.clone())
        .retry_config(databricks_client::RetryConfig::default());
    assert_clean("external-browser builder Debug", &format!("{builder:?}"));
    let config = builder.build().unwrap();
    assert_clean("external-browser Config Debug", &format!("{config:?}"));
    let client = WorkspaceClient::new(config).unwrap();
    assert_clean("external-browser client Debug", &format!("{client:?}"));
    let err = client
        .get("/api/2.0/preview/scim/v2/Me")
        .send_empty()
        .await
        .unwrap_err();
    assert!(
        !RUNTIME.lock().unwrap().is_empty(),
        "the code exchange ran: {err}"
    );
    assert_clean(
        "external-browser refused exchange",
        &format!("{err} {err:?}"),
    );

    // A valid cached token the API refuses.
    write_cache(U2M[3], "2999-01-01T00:00:00Z");
    let config = Config::builder()
        .host(host.clone())
        .auth_type("external-browser")
        .external_browser(options)
        .build()
        .unwrap();
    let creds = databricks_client::ExternalBrowserCredentials::new(
        config.host.clone(),
        databricks_client::ExternalBrowserOptions::default().with_token_cache_path(&cache),
        reqwest::Client::new(),
    )
    .unwrap();
    assert_clean("external-browser provider Debug", &format!("{creds:?}"));
    let err = WorkspaceClient::new(config)
        .unwrap()
        .get("/api/2.0/preview/scim/v2/Me")
        .send_empty()
        .await
        .unwrap_err();
    assert!(err.is_unauthenticated());
    assert_clean("external-browser API error", &format!("{err} {err:?}"));
}

/// Every other strategy: Debug of builder, config and client, and the error of a refused
/// token request whose body echoes the secrets back.
async fn other_strategies(server: &MockServer) {
    let dir = tempfile::tempdir().unwrap();
    let jwt_file = dir.path().join("jwt");
    std::fs::write(&jwt_file, MORE[2]).unwrap();
    let cli = dir.path().join("databricks");
    std::fs::write(
        &cli,
        format!(
            "#!/bin/sh\nprintf '{{\"access_token\":\"{}\",\"expiry\":\"2999-01-01T00:00:00Z\"}}'\n",
            MORE[5]
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cli, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let host = server.uri();
    let md = format!("{host}/{}", MORE[4]);
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        (
            "azure-client-secret",
            vec![
                ("ARM_CLIENT_ID", "az".into()),
                ("ARM_CLIENT_SECRET", MORE[0].into()),
                ("ARM_TENANT_ID", "t".into()),
                ("DATABRICKS_AZURE_RESOURCE_ID", "/subscriptions/s".into()),
            ],
        ),
        ("env-oidc", vec![("DATABRICKS_OIDC_TOKEN", MORE[1].into())]),
        (
            "file-oidc",
            vec![(
                "DATABRICKS_OIDC_TOKEN_FILEPATH",
                jwt_file.to_string_lossy().into(),
            )],
        ),
        (
            "github-oidc",
            vec![
                (
                    "ACTIONS_ID_TOKEN_REQUEST_URL",
                    format!("{host}/gh?api-version=2.0"),
                ),
                ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", MORE[3].into()),
            ],
        ),
        (
            "metadata-service",
            vec![("DATABRICKS_METADATA_SERVICE_URL", md.clone())],
        ),
        (
            "databricks-cli",
            vec![("DATABRICKS_CLI_PATH", cli.to_string_lossy().into())],
        ),
    ];
    for (auth, vars) in cases {
        let builder = ConfigBuilder::default()
            .with_env_vars(vars)
            .with_env_vars([
                ("DATABRICKS_HOST", host.clone()),
                ("DATABRICKS_AUTH_TYPE", auth.to_owned()),
            ])
            .azure_login_endpoint(url::Url::parse(&format!("{host}/")).unwrap())
            .retry_config(databricks_client::RetryConfig::default());
        assert_clean(&format!("{auth} builder Debug"), &format!("{builder:?}"));
        let config = builder.build().unwrap();
        assert_clean(
            &format!("{auth} Config Debug"),
            &format!("{config:?} {config:#?}"),
        );
        assert_clean(
            &format!("{auth} resolution"),
            &config.auth_resolution.to_string(),
        );
        let client = WorkspaceClient::new(config).unwrap();
        assert_clean(&format!("{auth} client Debug"), &format!("{client:?}"));
        let err = client
            .get("/api/2.0/preview/scim/v2/Me")
            .send_empty()
            .await
            .unwrap_err();
        assert_clean(&format!("{auth} error"), &format!("{err} {err:?}"));
    }
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
    // Every other token endpoint refuses, echoing the secrets back.
    for (verb, route) in [
        ("POST", "/t/oauth2/token"),
        ("GET", "/gh"),
        ("GET", "/CANARY-MDKEY-0c4e"),
    ] {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
                "error": "invalid_client", "echo": MORE
            })))
            .mount(&server)
            .await;
    }
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

    other_strategies(&server).await;
    external_browser().await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("databricks_request"),
        "tracing captured the request spans: {logs}"
    );
    assert_clean("tracing output", &logs);
}
