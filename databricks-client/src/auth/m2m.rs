//! OAuth machine-to-machine (client credentials) on the shared refreshing-token cache.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::header::HeaderMap;
use secrecy::SecretString;
use url::Url;

use super::cache::{Clock, Fetched, RefreshingToken, SystemClock, TokenSource};
use super::oauth::{TokenEndpoint, TokenRequest, request_token};
use super::{CredentialsProvider, bearer};
use crate::error::Result;

const AUTH_TYPE: &str = "oauth-m2m";

/// OAuth M2M credentials for a service principal.
///
/// Posts `grant_type=client_credentials&scope=all-apis` with HTTP Basic auth to the workspace's
/// token endpoint (from `/oidc/.well-known/oauth-authorization-server` when it names an endpoint
/// on the same host, else `/oidc/v1/token`). The token is cached with the SDKs' rules: expired
/// 40 s early, refreshed once in the background when stale, single flight. Cheap to clone;
/// clones share the cache.
#[derive(Clone)]
pub struct OAuthM2mCredentials {
    host: Url,
    client_id: String,
    scopes: String,
    cache: RefreshingToken,
}

impl fmt::Debug for OAuthM2mCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthM2mCredentials")
            .field("host", &self.host.as_str())
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("scopes", &self.scopes)
            .finish()
    }
}

struct M2mSource {
    host: Url,
    client_id: String,
    client_secret: SecretString,
    scopes: String,
    http: reqwest::Client,
    endpoint: TokenEndpoint,
}

#[async_trait]
impl TokenSource for M2mSource {
    async fn fetch(&self) -> Result<Fetched> {
        let endpoint = self.endpoint.get(&self.http, &self.host).await;
        let fix = format!(
            "check DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET for client `{}` and that \
             the service principal belongs to the workspace",
            self.client_id
        );
        request_token(
            &self.http,
            TokenRequest {
                auth_type: AUTH_TYPE,
                endpoint: &endpoint,
                basic: Some((&self.client_id, &self.client_secret)),
                form: &[
                    ("grant_type", "client_credentials"),
                    ("scope", self.scopes.as_str()),
                ],
                fix: &fix,
            },
        )
        .await
    }
}

impl OAuthM2mCredentials {
    /// Creates the provider. `http` should be the client's pooled HTTP client.
    pub fn new(
        host: Url,
        client_id: impl Into<String>,
        client_secret: SecretString,
        scopes: &[String],
        http: reqwest::Client,
    ) -> Self {
        Self::with_clock(
            host,
            client_id,
            client_secret,
            scopes,
            http,
            Arc::new(SystemClock),
        )
    }

    pub(crate) fn with_clock(
        host: Url,
        client_id: impl Into<String>,
        client_secret: SecretString,
        scopes: &[String],
        http: reqwest::Client,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let client_id = client_id.into();
        let scopes = scopes.join(" ");
        let source = M2mSource {
            host: host.clone(),
            client_id: client_id.clone(),
            client_secret,
            scopes: scopes.clone(),
            http,
            endpoint: TokenEndpoint::default(),
        };
        Self {
            host,
            client_id,
            scopes,
            cache: RefreshingToken::new(AUTH_TYPE, source, clock),
        }
    }

    /// A valid access token, refreshing as described in the type docs.
    pub async fn token(&self) -> Result<SecretString> {
        self.cache.token().await
    }
}

#[async_trait]
impl CredentialsProvider for OAuthM2mCredentials {
    fn auth_type(&self) -> &str {
        AUTH_TYPE
    }

    async fn headers(&self) -> Result<HeaderMap> {
        let token = self.token().await?;
        bearer(AUTH_TYPE, &token)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::auth::cache::tests::ManualClock;
    use secrecy::ExposeSecret;
    use wiremock::matchers::{body_string_contains, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn provider(server: &MockServer, clock: Arc<ManualClock>) -> OAuthM2mCredentials {
        OAuthM2mCredentials::with_clock(
            Url::parse(&server.uri()).unwrap(),
            "sp-id",
            SecretString::from("sp-secret".to_owned()),
            &["all-apis".to_owned()],
            reqwest::Client::new(),
            clock,
        )
    }

    async fn token_mock(server: &MockServer, token: &str, expires_in: u64, expect: u64) {
        Mock::given(method("POST"))
            .and(path("/oidc/v1/token"))
            // base64("sp-id:sp-secret")
            .and(header("authorization", "Basic c3AtaWQ6c3Atc2VjcmV0"))
            .and(body_string_contains("grant_type=client_credentials"))
            .and(body_string_contains("scope=all-apis"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "access_token": token, "token_type": "Bearer", "expires_in": expires_in, "scope": "all-apis"
            })))
            .up_to_n_times(expect)
            .expect(expect)
            .mount(server)
            .await;
    }

    #[tokio::test]
    async fn stale_token_is_served_while_one_background_refresh_runs() {
        let server = MockServer::start().await;
        let clock = ManualClock::new();
        let creds = provider(&server, Arc::clone(&clock));
        token_mock(&server, "first", 3600, 1).await;
        assert_eq!(creds.token().await.unwrap().expose_secret(), "first");

        // Stale window = min(3600/2, 20 min) = 20 min → stale after 40 min, expired after 59:20.
        server.reset().await;
        token_mock(&server, "second", 3600, 1).await;
        clock.advance(Duration::from_secs(41 * 60));
        // Served from cache immediately, refresh happens in the background exactly once.
        for _ in 0..5 {
            assert_eq!(creds.token().await.unwrap().expose_secret(), "first");
        }
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            if creds.cache.cached_is("second") {
                break;
            }
        }
        assert_eq!(creds.token().await.unwrap().expose_secret(), "second");
        server.verify().await;
    }

    #[tokio::test]
    async fn token_is_expired_forty_seconds_early() {
        let server = MockServer::start().await;
        let clock = ManualClock::new();
        let creds = provider(&server, Arc::clone(&clock));
        token_mock(&server, "a", 100, 1).await;
        creds.token().await.unwrap();
        // 100 s token: stale after 50 s (background), expired after 60 s (blocking).
        server.reset().await;
        token_mock(&server, "b", 100, 1).await;
        clock.advance(Duration::from_secs(60));
        assert_eq!(creds.token().await.unwrap().expose_secret(), "b");
        server.verify().await;
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oidc/v1/token"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"access_token": "one", "expires_in": 3600}))
                    .set_delay(Duration::from_millis(100)),
            )
            .expect(1)
            .mount(&server)
            .await;
        let creds = provider(&server, ManualClock::new());
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let c = creds.clone();
                tokio::spawn(async move { c.token().await.unwrap() })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().expose_secret(), "one");
        }
        server.verify().await;
    }

    #[tokio::test]
    async fn refused_client_names_the_fix_without_the_secret() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oidc/v1/token"))
            .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
                "error": "invalid_client", "error_description": "Client authentication failed"
            })))
            .mount(&server)
            .await;
        let err = provider(&server, ManualClock::new())
            .token()
            .await
            .unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(text.contains("invalid_client"), "{text}");
        assert!(text.contains("DATABRICKS_CLIENT_SECRET"), "{text}");
        assert!(!text.contains("sp-secret"), "{text}");
        assert!(err.is_unauthenticated());
    }

    #[tokio::test]
    async fn discovery_is_used_only_for_the_same_origin() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/oidc/.well-known/oauth-authorization-server"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "token_endpoint": "https://evil.example.com/token",
                "authorization_endpoint": "https://evil.example.com/authorize"
            })))
            .mount(&server)
            .await;
        token_mock(&server, "ok", 3600, 1).await;
        let creds = provider(&server, ManualClock::new());
        assert_eq!(creds.token().await.unwrap().expose_secret(), "ok");
    }
}
