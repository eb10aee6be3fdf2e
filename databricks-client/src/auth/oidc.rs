//! Workload identity federation (`env-oidc`, `file-oidc`, `github-oidc`): an external JWT is
//! exchanged (RFC 8693) at the workspace token endpoint for a Databricks token. The JWT is
//! obtained again on every refresh, so a rotated projected service-account token is picked up.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::cache::{Clock, Fetched, RefreshingToken, TokenSource};
use super::oauth::{TokenEndpoint, TokenRequest, auth_error, endpoint_label, request_token};
use super::{CredentialsProvider, bearer};
use crate::error::{Error, Result};

/// Where the external JWT comes from.
pub(crate) enum IdTokenSource {
    /// `env-oidc`: the value of an environment variable (captured when the config resolved).
    Env { name: String, value: SecretString },
    /// `file-oidc`: a file read on every refresh.
    File(PathBuf),
    /// `github-oidc`: the GitHub Actions ID-token endpoint.
    GitHub {
        request_url: String,
        request_token: SecretString,
    },
}

impl IdTokenSource {
    fn auth_type(&self) -> &'static str {
        match self {
            Self::Env { .. } => "env-oidc",
            Self::File(_) => "file-oidc",
            Self::GitHub { .. } => "github-oidc",
        }
    }
}

/// Exchanges an external ID token for a Databricks token.
#[derive(Clone)]
pub(crate) struct WorkloadIdentityCredentials {
    auth_type: &'static str,
    cache: RefreshingToken,
}

impl fmt::Debug for WorkloadIdentityCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkloadIdentityCredentials")
            .field("auth_type", &self.auth_type)
            .finish_non_exhaustive()
    }
}

struct ExchangeSource {
    auth_type: &'static str,
    host: Url,
    client_id: Option<String>,
    account_id: Option<String>,
    audience: Option<String>,
    scopes: String,
    id_token: IdTokenSource,
    http: reqwest::Client,
    endpoint: TokenEndpoint,
}

#[derive(Deserialize)]
struct GitHubIdToken {
    value: String,
}

impl ExchangeSource {
    /// The audience the SDKs request: `token_audience`, else the account id on an accounts
    /// host, else the token endpoint URL.
    fn audience(&self, endpoint: &Url) -> String {
        if let Some(aud) = &self.audience {
            return aud.clone();
        }
        let accounts = self
            .host
            .host_str()
            .is_some_and(|h| h.starts_with("accounts.") || h.starts_with("accounts-dod."));
        match (&self.account_id, accounts) {
            (Some(account), true) => account.clone(),
            _ => endpoint.as_str().to_owned(),
        }
    }

    async fn id_token(&self, audience: &str) -> Result<SecretString> {
        let token = match &self.id_token {
            IdTokenSource::Env { value, .. } => value.clone(),
            IdTokenSource::File(path) => {
                let text = tokio::task::spawn_blocking({
                    let path = path.clone();
                    move || std::fs::read_to_string(path)
                })
                .await
                .map_err(|e| {
                    auth_error(
                        self.auth_type,
                        format!("reading the token file failed: {e}"),
                    )
                })?
                .map_err(|e| {
                    auth_error(
                        self.auth_type,
                        format!(
                            "could not read the OIDC token file {}: {e}; check \
                             DATABRICKS_OIDC_TOKEN_FILEPATH and the projected volume",
                            path.display()
                        ),
                    )
                })?;
                SecretString::from(text.trim().to_owned())
            }
            IdTokenSource::GitHub {
                request_url,
                request_token,
            } => {
                let mut url = Url::parse(request_url).map_err(|e| {
                    auth_error(
                        self.auth_type,
                        format!("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL: {e}"),
                    )
                })?;
                url.query_pairs_mut().append_pair("audience", audience);
                let label = endpoint_label(&url);
                let resp = self
                    .http
                    .get(url.clone())
                    .bearer_auth(request_token.expose_secret())
                    .send()
                    .await
                    .map_err(|e| Error::Auth {
                        auth_type: self.auth_type.to_owned(),
                        message: format!("could not reach the GitHub ID-token endpoint {label}"),
                        source: Some(Box::new(Error::transport("GET", url.path(), e))),
                    })?;
                let status = resp.status();
                if !status.is_success() {
                    return Err(auth_error(
                        self.auth_type,
                        format!(
                            "the GitHub ID-token endpoint answered HTTP {status}; give the \
                             workflow `permissions: id-token: write`"
                        ),
                    ));
                }
                let body: GitHubIdToken = resp.json().await.map_err(|e| {
                    auth_error(
                        self.auth_type,
                        format!("the GitHub ID-token response has no `value`: {e}"),
                    )
                })?;
                SecretString::from(body.value)
            }
        };
        if token.expose_secret().is_empty() {
            let what = match &self.id_token {
                IdTokenSource::Env { name, .. } => format!("environment variable {name}"),
                IdTokenSource::File(path) => format!("file {}", path.display()),
                IdTokenSource::GitHub { .. } => "GitHub ID-token response".to_owned(),
            };
            return Err(auth_error(self.auth_type, format!("the {what} is empty")));
        }
        Ok(token)
    }
}

#[async_trait]
impl TokenSource for ExchangeSource {
    async fn fetch(&self) -> Result<Fetched> {
        let endpoint = self.endpoint.get(&self.http, &self.host).await;
        let audience = self.audience(&endpoint);
        let jwt = self.id_token(&audience).await?;
        let mut form = vec![
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("subject_token", jwt.expose_secret()),
            ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
            ("scope", self.scopes.as_str()),
        ];
        if let Some(id) = &self.client_id {
            form.push(("client_id", id.as_str()));
        }
        let fix = match &self.client_id {
            Some(id) => format!(
                "check the federation policy of service principal `{id}` (issuer, audience, \
                 subject) against the token's claims"
            ),
            None => "check the account federation policy (issuer, audience, subject) against \
                     the token's claims, or set DATABRICKS_CLIENT_ID for a service-principal \
                     federation policy"
                .to_owned(),
        };
        request_token(
            &self.http,
            TokenRequest {
                auth_type: self.auth_type,
                endpoint: &endpoint,
                basic: None,
                form: &form,
                fix: &fix,
            },
        )
        .await
    }
}

/// Everything the exchange needs besides the ID-token source.
pub(crate) struct ExchangeParams {
    pub(crate) host: Url,
    pub(crate) client_id: Option<String>,
    pub(crate) account_id: Option<String>,
    pub(crate) audience: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) http: reqwest::Client,
}

impl WorkloadIdentityCredentials {
    pub(crate) fn new(
        params: ExchangeParams,
        id_token: IdTokenSource,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let auth_type = id_token.auth_type();
        let source = ExchangeSource {
            auth_type,
            host: params.host,
            client_id: params.client_id,
            account_id: params.account_id,
            audience: params.audience,
            scopes: params.scopes.join(" "),
            id_token,
            http: params.http,
            endpoint: TokenEndpoint::default(),
        };
        Self {
            auth_type,
            cache: RefreshingToken::new(auth_type, source, clock),
        }
    }
}

#[async_trait]
impl CredentialsProvider for WorkloadIdentityCredentials {
    fn auth_type(&self) -> &str {
        self.auth_type
    }

    async fn headers(&self) -> Result<HeaderMap> {
        bearer(self.auth_type, &self.cache.token().await?)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::auth::cache::tests::ManualClock;
    use wiremock::matchers::{body_string_contains, header, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn params(
        server: &MockServer,
        client_id: Option<&str>,
        audience: Option<&str>,
    ) -> ExchangeParams {
        ExchangeParams {
            host: Url::parse(&server.uri()).unwrap(),
            client_id: client_id.map(str::to_owned),
            account_id: None,
            audience: audience.map(str::to_owned),
            scopes: vec!["all-apis".to_owned()],
            http: reqwest::Client::new(),
        }
    }

    async fn exchange_mock(server: &MockServer, jwt: &str, token: &str) {
        Mock::given(method("POST"))
            .and(path("/oidc/v1/token"))
            .and(body_string_contains(
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange",
            ))
            .and(body_string_contains(format!("subject_token={jwt}&")))
            .and(body_string_contains(
                "subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt",
            ))
            .and(body_string_contains("scope=all-apis"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "access_token": token, "token_type": "Bearer", "expires_in": 3600
            })))
            .expect(1)
            .mount(server)
            .await;
    }

    #[tokio::test]
    async fn rotated_token_file_is_used_on_the_next_refresh() {
        let server = MockServer::start().await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "jwt-one\n").unwrap();
        let clock = ManualClock::new();
        let creds = WorkloadIdentityCredentials::new(
            params(&server, Some("sp-1"), None),
            IdTokenSource::File(file.clone()),
            Arc::clone(&clock) as Arc<dyn Clock>,
        );
        exchange_mock(&server, "jwt-one", "dbx-one").await;
        assert_eq!(
            creds.cache.token().await.unwrap().expose_secret(),
            "dbx-one"
        );
        // Cached: the file is not read again until the token expires.
        std::fs::write(&file, "jwt-two").unwrap();
        assert_eq!(
            creds.cache.token().await.unwrap().expose_secret(),
            "dbx-one"
        );
        server.verify().await;
        server.reset().await;
        exchange_mock(&server, "jwt-two", "dbx-two").await;
        clock.advance(Duration::from_secs(3600));
        assert_eq!(
            creds.cache.token().await.unwrap().expose_secret(),
            "dbx-two"
        );
        server.verify().await;
        let requests = server.received_requests().await.unwrap();
        let body = String::from_utf8_lossy(&requests[0].body).into_owned();
        assert!(body.contains("client_id=sp-1"), "{body}");
    }

    #[tokio::test]
    async fn env_token_without_client_id_uses_the_account_policy() {
        let server = MockServer::start().await;
        exchange_mock(&server, "jwt-env", "dbx-env").await;
        let creds = WorkloadIdentityCredentials::new(
            params(&server, None, None),
            IdTokenSource::Env {
                name: "DATABRICKS_OIDC_TOKEN".to_owned(),
                value: SecretString::from("jwt-env".to_owned()),
            },
            ManualClock::new(),
        );
        assert_eq!(creds.auth_type(), "env-oidc");
        assert_eq!(
            creds.cache.token().await.unwrap().expose_secret(),
            "dbx-env"
        );
        let body = String::from_utf8_lossy(&server.received_requests().await.unwrap()[0].body)
            .into_owned();
        assert!(!body.contains("client_id"), "{body}");
    }

    #[tokio::test]
    async fn github_token_is_requested_for_the_audience() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/gh-token"))
            .and(query_param("api-version", "2.0"))
            .and(query_param("audience", "my-audience"))
            .and(header("authorization", "Bearer gh-request-token"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"value": "jwt-gh"})),
            )
            .expect(1)
            .mount(&server)
            .await;
        exchange_mock(&server, "jwt-gh", "dbx-gh").await;
        let creds = WorkloadIdentityCredentials::new(
            params(&server, Some("sp"), Some("my-audience")),
            IdTokenSource::GitHub {
                request_url: format!("{}/gh-token?api-version=2.0", server.uri()),
                request_token: SecretString::from("gh-request-token".to_owned()),
            },
            ManualClock::new(),
        );
        assert_eq!(creds.cache.token().await.unwrap().expose_secret(), "dbx-gh");
        server.verify().await;
    }

    #[tokio::test]
    async fn default_audience_is_the_token_endpoint() {
        let server = MockServer::start().await;
        let p = params(&server, None, None);
        let source = ExchangeSource {
            auth_type: "github-oidc",
            host: p.host.clone(),
            client_id: None,
            account_id: Some("acc".to_owned()),
            audience: None,
            scopes: "all-apis".to_owned(),
            id_token: IdTokenSource::File(PathBuf::new()),
            http: p.http,
            endpoint: TokenEndpoint::default(),
        };
        let endpoint = p.host.join("oidc/v1/token").unwrap();
        assert_eq!(source.audience(&endpoint), endpoint.as_str());
        let accounts = ExchangeSource {
            host: Url::parse("https://accounts.cloud.databricks.com/").unwrap(),
            ..source
        };
        assert_eq!(accounts.audience(&endpoint), "acc");
    }

    #[tokio::test]
    async fn refusal_and_missing_file_name_the_fix() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oidc/v1/token"))
            .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
                "error": "invalid_request", "error_description": "no matching federation policy"
            })))
            .mount(&server)
            .await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "jwt-secret-value").unwrap();
        let creds = WorkloadIdentityCredentials::new(
            params(&server, Some("sp"), None),
            IdTokenSource::File(file),
            ManualClock::new(),
        );
        let err = creds.cache.token().await.unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(text.contains("federation policy"), "{text}");
        assert!(!text.contains("jwt-secret-value"), "{text}");

        let missing = WorkloadIdentityCredentials::new(
            params(&server, None, None),
            IdTokenSource::File(dir.path().join("absent")),
            ManualClock::new(),
        );
        let err = missing.cache.token().await.unwrap_err();
        assert!(
            err.to_string().contains("DATABRICKS_OIDC_TOKEN_FILEPATH"),
            "{err}"
        );
    }
}
