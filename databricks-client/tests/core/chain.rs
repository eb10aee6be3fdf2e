//! The default credential chain end to end: which strategy wins, why, what the error lists,
//! and each strategy authenticating a real request against loopback fakes.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use databricks_client::{AuthType, Config, ConfigBuilder, WorkspaceClient};
use secrecy::ExposeSecret;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::fast_retry;

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

async fn me_mock(server: &MockServer, bearer: &str) {
    Mock::given(method("GET"))
        .and(path("/api/2.0/preview/scim/v2/Me"))
        .and(header("authorization", format!("Bearer {bearer}").as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"userName": "me"})),
        )
        .mount(server)
        .await;
}

async fn whoami(config: Config) -> serde_json::Value {
    WorkspaceClient::new(config)
        .unwrap()
        .get("/api/2.0/preview/scim/v2/Me")
        .send_json()
        .await
        .unwrap()
}

#[test]
fn nothing_configured_lists_every_strategy_and_why() {
    let empty = tempfile::tempdir().unwrap();
    let err = ConfigBuilder::default()
        .with_env_vars([
            ("DATABRICKS_HOST", "dbc-1.cloud.databricks.com"),
            ("PATH", empty.path().to_str().unwrap()),
        ])
        .build()
        .unwrap_err()
        .to_string();
    let order = [
        "pat: DATABRICKS_TOKEN is not set",
        "metadata-service: DATABRICKS_METADATA_SERVICE_URL is not set",
        "oauth-m2m: DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET not set",
        "env-oidc: environment variable DATABRICKS_OIDC_TOKEN is not set",
        "file-oidc: DATABRICKS_OIDC_TOKEN_FILEPATH is not set",
        "github-oidc: not in GitHub Actions",
        "azure-msi: ARM_USE_MSI is not true",
        "azure-client-secret: ARM_CLIENT_ID and ARM_CLIENT_SECRET and ARM_TENANT_ID not set",
        "azure-cli: the host is not an Azure Databricks workspace",
        "external-browser: interactive login is only used when auth_type is external-browser",
        "databricks-cli: `databricks` was not found on PATH",
    ];
    let mut at = 0;
    for item in order {
        let found = err[at..]
            .find(item)
            .unwrap_or_else(|| panic!("{item} missing after {at} in {err}"));
        at += found + item.len();
    }
    assert!(err.contains("databricks auth login"), "{err}");
}

#[test]
fn resolution_names_the_strategy_the_reason_and_the_skipped_ones() {
    let config = ConfigBuilder::default()
        .with_env_vars([
            ("DATABRICKS_HOST", "dbc-1.cloud.databricks.com"),
            ("DATABRICKS_CLIENT_ID", "sp"),
            ("DATABRICKS_CLIENT_SECRET", "s"),
        ])
        .build()
        .unwrap();
    let r = &config.auth_resolution;
    assert_eq!(r.auth_type, AuthType::OAuthM2m);
    assert_eq!(
        r.to_string(),
        "oauth-m2m: client_id is set (from environment DATABRICKS_CLIENT_ID), client_secret is \
         set (from environment DATABRICKS_CLIENT_SECRET)"
    );
    let skipped: Vec<_> = r.skipped.iter().map(|s| s.auth_type.as_str()).collect();
    assert_eq!(skipped, ["pat", "metadata-service"]);

    let forced = Config::builder()
        .host("dbc-1.cloud.databricks.com")
        .token("t")
        .auth_type("pat")
        .build()
        .unwrap();
    assert!(
        forced
            .auth_resolution
            .reason
            .starts_with("auth_type is pat (set explicitly)")
    );
}

#[test]
fn every_chain_name_parses_as_auth_type() {
    for name in [
        "pat",
        "metadata-service",
        "oauth-m2m",
        "env-oidc",
        "file-oidc",
        "github-oidc",
        "azure-msi",
        "azure-client-secret",
        "azure-cli",
        "external-browser",
        "databricks-cli",
    ] {
        let err = Config::builder()
            .host("dbc-1.cloud.databricks.com")
            .auth_type(name)
            .build()
            .map(|c| c.auth_type.to_string())
            .unwrap_or_else(|e| e.to_string());
        assert!(!err.contains("is not built in"), "{name}: {err}");
        assert!(err.contains(name), "{name}: {err}");
    }
}

#[tokio::test]
async fn databricks_cli_from_path_authenticates() {
    let server = MockServer::start().await;
    me_mock(&server, "cli-access").await;
    let bin = tempfile::tempdir().unwrap();
    script(
        bin.path(),
        "databricks",
        &format!(
            r#"[ "$1 $2 $3 $4" = "auth token --host {}" ] || {{ echo "unexpected $*" >&2; exit 2; }}
printf '{{"access_token":"cli-access","token_type":"Bearer","expiry":"2999-01-01T00:00:00Z"}}'"#,
            server.uri()
        ),
    );
    let config = ConfigBuilder::default()
        .with_env_vars([
            ("DATABRICKS_HOST", server.uri()),
            ("PATH", bin.path().to_string_lossy().into_owned()),
        ])
        .retry_config(fast_retry())
        .build()
        .unwrap();
    assert_eq!(config.auth_type, AuthType::DatabricksCli);
    assert!(
        config
            .auth_resolution
            .reason
            .contains("Databricks CLI was found")
    );
    assert_eq!(whoami(config).await["userName"], "me");
}

#[tokio::test]
async fn databricks_cli_path_key_and_not_logged_in() {
    let server = MockServer::start().await;
    let bin = tempfile::tempdir().unwrap();
    let cli = script(
        bin.path(),
        "my-databricks",
        "echo 'Error: cannot get access token: databricks OAuth is not configured for this host' >&2; exit 1",
    );
    let config = Config::builder()
        .host(server.uri())
        .databricks_cli_path(&cli)
        .retry_config(fast_retry())
        .build()
        .unwrap();
    assert_eq!(config.auth_type, AuthType::DatabricksCli);
    let err = WorkspaceClient::new(config)
        .unwrap()
        .get("/api/2.0/preview/scim/v2/Me")
        .send_empty()
        .await
        .unwrap_err();
    assert!(err.is_unauthenticated());
    assert!(
        err.to_string().contains("databricks auth login --host"),
        "{err}"
    );

    let err = Config::builder()
        .host(server.uri())
        .databricks_cli_path(bin.path().join("absent"))
        .auth_type("databricks-cli")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("DATABRICKS_CLI_PATH"), "{err}");
}

#[tokio::test]
async fn file_oidc_exchanges_the_token_file() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oidc/v1/token"))
        .and(body_string_contains("subject_token=projected-jwt"))
        .and(body_string_contains("client_id=sp-fed"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "fed-access", "token_type": "Bearer", "expires_in": 3600
        })))
        .expect(1)
        .mount(&server)
        .await;
    me_mock(&server, "fed-access").await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), "projected-jwt").unwrap();
    let config = ConfigBuilder::default()
        .with_env_vars([
            ("DATABRICKS_HOST", server.uri()),
            ("DATABRICKS_CLIENT_ID", "sp-fed".to_owned()),
            (
                "DATABRICKS_OIDC_TOKEN_FILE",
                dir.path().join("token").to_string_lossy().into_owned(),
            ),
            ("DATABRICKS_AUTH_TYPE", "file-oidc".to_owned()),
        ])
        .retry_config(fast_retry())
        .build()
        .unwrap();
    assert_eq!(config.auth_type, AuthType::FileOidc);
    assert_eq!(whoami(config).await["userName"], "me");
    server.verify().await;
}

#[tokio::test]
async fn env_oidc_is_chosen_from_the_named_variable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oidc/v1/token"))
        .and(body_string_contains("subject_token=env-jwt"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "env-access", "expires_in": 3600
        })))
        .mount(&server)
        .await;
    me_mock(&server, "env-access").await;
    let config = ConfigBuilder::default()
        .with_env_vars([
            ("DATABRICKS_HOST", server.uri()),
            ("DATABRICKS_OIDC_TOKEN_ENV", "MY_JWT".to_owned()),
            ("MY_JWT", "env-jwt".to_owned()),
        ])
        .retry_config(fast_retry())
        .build()
        .unwrap();
    assert_eq!(config.auth_type, AuthType::EnvOidc);
    assert!(config.auth_resolution.reason.contains("MY_JWT"));
    assert!(
        config
            .secret_values()
            .iter()
            .any(|s| s.expose_secret() == "env-jwt")
    );
    assert_eq!(whoami(config).await["userName"], "me");
}

#[tokio::test]
async fn metadata_service_is_chosen_before_oauth() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/md"))
        .and(header("X-Databricks-Metadata-Version", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "md-access", "token_type": "Bearer", "expires_on": 32503680000u64
        })))
        .mount(&server)
        .await;
    me_mock(&server, "md-access").await;
    let config = ConfigBuilder::default()
        .with_env_vars([
            ("DATABRICKS_HOST", server.uri()),
            (
                "DATABRICKS_METADATA_SERVICE_URL",
                format!("{}/md", server.uri()),
            ),
        ])
        .retry_config(fast_retry())
        .build()
        .unwrap();
    assert_eq!(config.auth_type, AuthType::MetadataService);
    assert_eq!(whoami(config).await["userName"], "me");
}

#[tokio::test]
async fn azure_client_secret_sends_the_azure_headers() {
    let server = MockServer::start().await;
    for (resource, token) in [
        ("2ff814a6-3304-4ab8-85cb-cd0e6f879c1d", "aad-dbx"),
        ("https%3A%2F%2Fmanagement.core.windows.net%2F", "aad-mgmt"),
    ] {
        Mock::given(method("POST"))
            .and(path("/tenant-x/oauth2/token"))
            .and(body_string_contains(format!("resource={resource}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "access_token": token, "expires_in": "3599", "token_type": "Bearer"
            })))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/api/2.0/preview/scim/v2/Me"))
        .and(header("authorization", "Bearer aad-dbx"))
        .and(header("X-Databricks-Azure-SP-Management-Token", "aad-mgmt"))
        .and(header(
            "X-Databricks-Azure-Workspace-Resource-Id",
            "/subscriptions/s/rg/w",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"userName": "me"})),
        )
        .mount(&server)
        .await;
    let config = ConfigBuilder::default()
        .with_env_vars([
            ("DATABRICKS_HOST", server.uri()),
            ("ARM_CLIENT_ID", "azure-sp".to_owned()),
            ("ARM_CLIENT_SECRET", "azure-secret".to_owned()),
            ("ARM_TENANT_ID", "tenant-x".to_owned()),
            (
                "DATABRICKS_AZURE_RESOURCE_ID",
                "/subscriptions/s/rg/w".to_owned(),
            ),
        ])
        .azure_login_endpoint(url::Url::parse(&format!("{}/", server.uri())).unwrap())
        .retry_config(fast_retry())
        .build()
        .unwrap();
    assert_eq!(config.auth_type, AuthType::AzureClientSecret);
    assert_eq!(whoami(config).await["userName"], "me");
    server.verify().await;
}

#[tokio::test]
async fn azure_cli_is_found_on_the_given_path() {
    let server = MockServer::start().await;
    me_mock(&server, "az-access").await;
    let bin = tempfile::tempdir().unwrap();
    script(
        bin.path(),
        "az",
        r#"printf '{"accessToken":"az-access","expires_on":32503680000,"tokenType":"Bearer"}'"#,
    );
    let config = ConfigBuilder::default()
        .with_env_vars([
            ("DATABRICKS_HOST", server.uri()),
            (
                "DATABRICKS_AZURE_RESOURCE_ID",
                "/subscriptions/s/rg/w".to_owned(),
            ),
            ("PATH", bin.path().to_string_lossy().into_owned()),
        ])
        .retry_config(fast_retry())
        .build()
        .unwrap();
    assert_eq!(config.auth_type, AuthType::AzureCli);
    assert_eq!(whoami(config).await["userName"], "me");
}

#[tokio::test]
async fn azure_msi_uses_the_configured_imds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/imds"))
        .and(header("Metadata", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "msi-access", "expires_on": "32503680000", "token_type": "Bearer"
        })))
        .mount(&server)
        .await;
    me_mock(&server, "msi-access").await;
    let config = ConfigBuilder::default()
        .with_env_vars([
            ("DATABRICKS_HOST", server.uri()),
            ("ARM_USE_MSI", "true".to_owned()),
            (
                "DATABRICKS_AZURE_RESOURCE_ID",
                "/subscriptions/s/rg/w".to_owned(),
            ),
        ])
        .azure_msi_endpoint(url::Url::parse(&format!("{}/imds", server.uri())).unwrap())
        .retry_config(fast_retry())
        .build()
        .unwrap();
    assert_eq!(config.auth_type, AuthType::AzureMsi);
    assert_eq!(whoami(config).await["userName"], "me");
}

#[test]
fn secret_values_cover_every_configured_secret() {
    let config = ConfigBuilder::default()
        .with_env_vars([
            ("DATABRICKS_HOST", "dbc-1.cloud.databricks.com"),
            ("DATABRICKS_TOKEN", "s-token"),
            ("DATABRICKS_CLIENT_SECRET", "s-client"),
            ("ARM_CLIENT_SECRET", "s-azure"),
            ("DATABRICKS_METADATA_SERVICE_URL", "http://localhost:1/s-md"),
            ("DATABRICKS_OIDC_TOKEN", "s-jwt"),
            ("ACTIONS_ID_TOKEN_REQUEST_URL", "https://gh/x"),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "s-gh"),
            ("DATABRICKS_AUTH_TYPE", "pat"),
        ])
        .build()
        .unwrap();
    let mut got: Vec<String> = config
        .secret_values()
        .iter()
        .map(|s| s.expose_secret().to_owned())
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "http://localhost:1/s-md",
            "s-azure",
            "s-client",
            "s-gh",
            "s-jwt",
            "s-token"
        ]
    );
}
