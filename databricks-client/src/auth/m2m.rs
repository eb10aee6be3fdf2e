//! OAuth machine-to-machine (client credentials) with a cached, single-flight token.
//!
//! The algorithm of the official SDKs (databricks-api.md §1.6): the token is treated as
//! **expired 40 s early**; it becomes **stale** at `expiry − min(TTL/2, 20 min)`, when one
//! background refresh starts while the still-valid token keeps being served; an expired token
//! triggers a blocking refresh. Concurrent callers share one refresh (single flight). A failed
//! background refresh backs off for a minute.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::OnceCell;
use url::Url;

use super::{CredentialsProvider, bearer};
use crate::error::{Error, Result};

const AUTH_TYPE: &str = "oauth-m2m";
/// Tokens are treated as expired this long before their real expiry (Azure rejects ≤30 s).
const EXPIRY_MARGIN: Duration = Duration::from_secs(40);
/// The stale window never exceeds this.
const MAX_STALE_WINDOW: Duration = Duration::from_secs(20 * 60);
/// After a failed background refresh, wait this long before trying again in the background.
const ASYNC_FAILURE_BACKOFF: Duration = Duration::from_secs(60);

/// A source of "now", injectable so the cache can be tested without sleeping.
pub(crate) trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Instant;
}

#[derive(Debug)]
struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// OAuth M2M credentials for a service principal.
///
/// Posts `grant_type=client_credentials&scope=all-apis` with HTTP Basic auth to the workspace's
/// token endpoint (from `/oidc/.well-known/oauth-authorization-server` when it names an endpoint
/// on the same host, else `/oidc/v1/token`). Cheap to clone; clones share the cache.
#[derive(Clone)]
pub struct OAuthM2mCredentials {
    inner: Arc<Inner>,
}

struct Inner {
    host: Url,
    client_id: String,
    client_secret: SecretString,
    scopes: String,
    http: reqwest::Client,
    token_endpoint: OnceCell<Url>,
    state: Mutex<State>,
    refresh: tokio::sync::Mutex<()>,
    clock: Arc<dyn Clock>,
}

#[derive(Default)]
struct State {
    token: Option<CachedToken>,
    background_refresh: bool,
    background_backoff_until: Option<Instant>,
}

#[derive(Clone)]
struct CachedToken {
    access: SecretString,
    expires_at: Instant,
    stale_at: Instant,
}

impl CachedToken {
    fn is_expired(&self, now: Instant) -> bool {
        now + EXPIRY_MARGIN >= self.expires_at
    }

    fn is_stale(&self, now: Instant) -> bool {
        now >= self.stale_at
    }
}

impl fmt::Debug for OAuthM2mCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthM2mCredentials")
            .field("host", &self.inner.host.as_str())
            .field("client_id", &self.inner.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("scopes", &self.inner.scopes)
            .finish()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    #[serde(default, alias = "errorCode")]
    error: Option<String>,
    #[serde(default, alias = "errorSummary")]
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct Discovery {
    token_endpoint: Option<String>,
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
        Self {
            inner: Arc::new(Inner {
                host,
                client_id: client_id.into(),
                client_secret,
                scopes: scopes.join(" "),
                http,
                token_endpoint: OnceCell::new(),
                state: Mutex::new(State::default()),
                refresh: tokio::sync::Mutex::new(()),
                clock,
            }),
        }
    }

    /// A valid access token, refreshing as described in the module docs.
    pub async fn token(&self) -> Result<SecretString> {
        let now = self.inner.clock.now();
        {
            let mut state = self.inner.lock_state();
            if let Some(token) = state.token.clone()
                && !token.is_expired(now)
            {
                if token.is_stale(now) {
                    self.maybe_refresh_in_background(&mut state, now);
                }
                return Ok(token.access);
            }
        }
        // Blocking path: one caller refreshes, the others wait for it and reuse its token.
        let _guard = self.inner.refresh.lock().await;
        let now = self.inner.clock.now();
        if let Some(token) = self.inner.lock_state().token.clone()
            && !token.is_expired(now)
        {
            return Ok(token.access);
        }
        let token = self.inner.fetch().await?;
        let access = token.access.clone();
        self.inner.lock_state().token = Some(token);
        Ok(access)
    }

    fn maybe_refresh_in_background(&self, state: &mut State, now: Instant) {
        if state.background_refresh
            || state
                .background_backoff_until
                .is_some_and(|until| now < until)
        {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        state.background_refresh = true;
        let inner = Arc::clone(&self.inner);
        runtime.spawn(async move {
            let _guard = inner.refresh.lock().await;
            let now = inner.clock.now();
            let still_stale = inner
                .lock_state()
                .token
                .as_ref()
                .is_none_or(|t| t.is_stale(now));
            let outcome = if still_stale {
                inner.fetch().await.map(Some)
            } else {
                Ok(None)
            };
            let mut state = inner.lock_state();
            state.background_refresh = false;
            match outcome {
                Ok(Some(token)) => state.token = Some(token),
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%error, "background OAuth token refresh failed; serving the cached token");
                    state.background_backoff_until = Some(inner.clock.now() + ASYNC_FAILURE_BACKOFF);
                }
            }
        });
    }
}

impl Inner {
    fn lock_state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means another thread panicked mid-update of a cache; the data
        // is still a valid (possibly stale) cache entry.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn auth_error(&self, message: String) -> Error {
        Error::Auth {
            auth_type: AUTH_TYPE.to_owned(),
            message,
            source: None,
        }
    }

    async fn endpoint(&self) -> &Url {
        self.token_endpoint
            .get_or_init(|| async {
                let fallback = self
                    .host
                    .join("oidc/v1/token")
                    .unwrap_or_else(|_| self.host.clone());
                let Ok(discovery_url) = self
                    .host
                    .join("oidc/.well-known/oauth-authorization-server")
                else {
                    return fallback;
                };
                let discovered = async {
                    let resp = self.http.get(discovery_url).send().await.ok()?;
                    if !resp.status().is_success() {
                        return None;
                    }
                    let doc: Discovery = resp.json().await.ok()?;
                    let url = Url::parse(doc.token_endpoint.as_deref()?).ok()?;
                    // Only send the client secret to the workspace's own origin.
                    (url.origin() == self.host.origin()).then_some(url)
                }
                .await;
                discovered.unwrap_or(fallback)
            })
            .await
    }

    async fn fetch(&self) -> Result<CachedToken> {
        let endpoint = self.endpoint().await.clone();
        let started = self.clock.now();
        let response = self
            .http
            .post(endpoint.clone())
            .basic_auth(&self.client_id, Some(self.client_secret.expose_secret()))
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", self.scopes.as_str()),
            ])
            .send()
            .await
            .map_err(|e| Error::Auth {
                auth_type: AUTH_TYPE.to_owned(),
                message: format!("could not reach the token endpoint {}", endpoint.path()),
                source: Some(Box::new(Error::transport("POST", endpoint.path(), e))),
            })?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| Error::Auth {
            auth_type: AUTH_TYPE.to_owned(),
            message: "could not read the token response".to_owned(),
            source: Some(Box::new(Error::transport("POST", endpoint.path(), e))),
        })?;
        if !status.is_success() {
            let detail = serde_json::from_slice::<OAuthErrorBody>(&body)
                .ok()
                .map(|b| {
                    [b.error, b.error_description]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(": ")
                })
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| format!("HTTP {status}"));
            return Err(self.auth_error(format!(
                "the token endpoint refused client `{}` ({detail}); check DATABRICKS_CLIENT_ID and \
                 DATABRICKS_CLIENT_SECRET and that the service principal belongs to the workspace",
                self.client_id
            )));
        }
        let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
            self.auth_error(format!(
                "the token endpoint returned an unexpected body: {e}"
            ))
        })?;
        let ttl = Duration::from_secs(parsed.expires_in.unwrap_or(3600));
        let expires_at = started + ttl;
        let stale_window = (ttl / 2).min(MAX_STALE_WINDOW);
        tracing::debug!(ttl_secs = ttl.as_secs(), "obtained OAuth token");
        Ok(CachedToken {
            access: SecretString::from(parsed.access_token),
            expires_at,
            stale_at: expires_at.checked_sub(stale_window).unwrap_or(expires_at),
        })
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
pub(crate) mod tests {
    use super::*;
    use wiremock::matchers::{body_string_contains, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    /// A clock moved by hand.
    #[derive(Debug)]
    pub(crate) struct ManualClock(Mutex<Instant>);

    impl ManualClock {
        pub(crate) fn new() -> Arc<Self> {
            Arc::new(Self(Mutex::new(Instant::now())))
        }
        pub(crate) fn advance(&self, by: Duration) {
            let mut now = self.0.lock().unwrap();
            *now += by;
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> Instant {
            *self.0.lock().unwrap()
        }
    }

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
            if creds
                .inner
                .lock_state()
                .token
                .as_ref()
                .is_some_and(|t| t.access.expose_secret() == "second")
            {
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
