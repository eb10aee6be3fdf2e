//! Google OAuth access tokens for BigQuery: service-account keys (RS256 JWT-bearer grant),
//! `authorized_user` refresh tokens (the gcloud ADC file), the GCE/GKE metadata server, or a
//! fixed token. Tokens are cached and refreshed [`REFRESH_MARGIN`] before they expire; one
//! refresh runs at a time (single flight) and concurrent callers wait for it.
//!
//! The JWT signer ([`ServiceAccountKey::assertion`]) is generic RS256 over `jsonwebtoken`; it
//! lives here so the provider modules stay independent.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use tracing::debug;

use super::error::BigQueryError;

/// The OAuth scope for BigQuery (query jobs are writes in IAM terms, so not read-only).
pub(crate) const SCOPE: &str = "https://www.googleapis.com/auth/bigquery";
/// Google's token endpoint (default `token_uri`).
pub(crate) const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// The metadata server (GCE, GKE Workload Identity).
pub(crate) const DEFAULT_METADATA_ENDPOINT: &str = "http://metadata.google.internal";
/// Refresh a token this long before it expires.
pub(crate) const REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// Lifetime of a JWT-bearer assertion (Google accepts at most one hour).
const ASSERTION_LIFETIME: u64 = 3600;

/// A service-account JSON key (`"type": "service_account"`). `private_key` is a PKCS#8 PEM.
#[derive(Clone, Deserialize)]
pub(crate) struct ServiceAccountKey {
    #[serde(default)]
    pub(crate) project_id: Option<String>,
    #[serde(default)]
    pub(crate) private_key_id: Option<String>,
    pub(crate) private_key: SecretString,
    pub(crate) client_email: String,
    #[serde(default)]
    pub(crate) token_uri: Option<String>,
}

impl fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("client_email", &self.client_email)
            .field("project_id", &self.project_id)
            .field("token_uri", &self.token_uri)
            .finish_non_exhaustive()
    }
}

/// The claims of a JWT-bearer assertion (RFC 7523) for Google's token endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct AssertionClaims {
    pub(crate) iss: String,
    pub(crate) scope: String,
    pub(crate) aud: String,
    pub(crate) iat: u64,
    pub(crate) exp: u64,
}

impl ServiceAccountKey {
    /// The token endpoint of this key.
    pub(crate) fn token_uri(&self) -> &str {
        self.token_uri.as_deref().unwrap_or(DEFAULT_TOKEN_URI)
    }

    /// A signed RS256 assertion `{iss: client_email, scope, aud: token_uri, iat, exp}` with
    /// `kid = private_key_id`, issued at `now` (seconds since the epoch).
    pub(crate) fn assertion(&self, scope: &str, now: u64) -> Result<String, BigQueryError> {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = self.private_key_id.clone();
        let claims = AssertionClaims {
            iss: self.client_email.clone(),
            scope: scope.to_string(),
            aud: self.token_uri().to_string(),
            iat: now,
            exp: now + ASSERTION_LIFETIME,
        };
        // The PEM is never echoed: errors name the account, not the key.
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(
            self.private_key.expose_secret().as_bytes(),
        )
        .map_err(|e| {
            BigQueryError::Auth(format!(
                "the private_key of service account {} is not an RSA PKCS#8 PEM ({e}); download a new JSON key",
                self.client_email
            ))
        })?;
        jsonwebtoken::encode(&header, &claims, &key).map_err(|e| {
            BigQueryError::Auth(format!(
                "cannot sign the token request for {}: {e}",
                self.client_email
            ))
        })
    }
}

/// An `authorized_user` credential (gcloud `application_default_credentials.json`).
#[derive(Clone, Deserialize)]
pub(crate) struct AuthorizedUser {
    pub(crate) client_id: String,
    pub(crate) client_secret: SecretString,
    pub(crate) refresh_token: SecretString,
    #[serde(default)]
    pub(crate) token_uri: Option<String>,
    #[serde(default)]
    pub(crate) quota_project_id: Option<String>,
}

impl fmt::Debug for AuthorizedUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizedUser")
            .field("client_id", &self.client_id)
            .field("quota_project_id", &self.quota_project_id)
            .finish_non_exhaustive()
    }
}

/// Where tokens come from.
#[derive(Clone)]
pub(crate) enum TokenSource {
    /// A service-account key.
    ServiceAccount(Box<ServiceAccountKey>),
    /// A user's refresh token.
    AuthorizedUser(Box<AuthorizedUser>),
    /// The metadata server at this base URL.
    Metadata(String),
    /// A fixed access token (no refresh).
    Static(SecretString),
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ServiceAccount(k) => f.debug_tuple("ServiceAccount").field(k).finish(),
            Self::AuthorizedUser(u) => f.debug_tuple("AuthorizedUser").field(u).finish(),
            Self::Metadata(e) => f.debug_tuple("Metadata").field(e).finish(),
            Self::Static(_) => f.write_str("Static(<redacted>)"),
        }
    }
}

impl TokenSource {
    /// Parse a credentials JSON file by its `type` (`service_account` or `authorized_user`).
    pub(crate) fn from_json(text: &str, origin: &str) -> Result<Self, BigQueryError> {
        #[derive(Deserialize)]
        struct Kind {
            #[serde(rename = "type")]
            type_: Option<String>,
        }
        // serde errors name the field and position only, never the content.
        let kind: Kind = serde_json::from_str(text).map_err(|e| {
            BigQueryError::Auth(format!("{origin} is not a credentials JSON file: {e}"))
        })?;
        match kind.type_.as_deref() {
            Some("service_account") => serde_json::from_str(text)
                .map(|k| Self::ServiceAccount(Box::new(k)))
                .map_err(|e| {
                    BigQueryError::Auth(format!(
                        "{origin} is not a complete service-account key (needs client_email, private_key): {e}"
                    ))
                }),
            Some("authorized_user") => serde_json::from_str(text)
                .map(|u| Self::AuthorizedUser(Box::new(u)))
                .map_err(|e| {
                    BigQueryError::Auth(format!(
                        "{origin} is not a complete authorized_user file (needs client_id, client_secret, refresh_token); run `gcloud auth application-default login`: {e}"
                    ))
                }),
            other => Err(BigQueryError::Auth(format!(
                "{origin} has credential type {other:?}; use a service_account key or an authorized_user file"
            ))),
        }
    }

    /// Read a credentials JSON file.
    pub(crate) fn from_file(path: &Path) -> Result<Self, BigQueryError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            BigQueryError::Auth(format!(
                "cannot read the credentials file {}: {e}",
                path.display()
            ))
        })?;
        Self::from_json(&text, &path.display().to_string())
    }

    /// Application Default Credentials, in Google's order: the file named by
    /// `GOOGLE_APPLICATION_CREDENTIALS`; the gcloud file
    /// (`$CLOUDSDK_CONFIG/application_default_credentials.json`, else
    /// `$HOME/.config/gcloud/application_default_credentials.json`); else the metadata server
    /// (`metadata_endpoint`, else `GCE_METADATA_HOST`, else `metadata.google.internal`).
    /// `var` looks up environment variables.
    pub(crate) fn application_default(
        var: &dyn Fn(&str) -> Option<String>,
        metadata_endpoint: Option<&str>,
    ) -> Result<Self, BigQueryError> {
        if let Some(path) = var("GOOGLE_APPLICATION_CREDENTIALS").filter(|p| !p.is_empty()) {
            return Self::from_file(Path::new(&path)).map_err(|e| {
                BigQueryError::Auth(format!(
                    "GOOGLE_APPLICATION_CREDENTIALS points at an unusable file: {e}"
                ))
            });
        }
        let gcloud = var("CLOUDSDK_CONFIG")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|h| Path::new(&h).join(".config").join("gcloud")))
            .map(|dir| dir.join("application_default_credentials.json"));
        if let Some(path) = gcloud.filter(|p| p.is_file()) {
            debug!(path = %path.display(), "using the gcloud ADC file");
            return Self::from_file(&path);
        }
        let endpoint = metadata_endpoint
            .map(str::to_string)
            .or_else(|| var("GCE_METADATA_HOST").map(|h| format!("http://{h}")))
            .unwrap_or_else(|| DEFAULT_METADATA_ENDPOINT.to_string());
        debug!(%endpoint, "no credentials file; using the metadata server");
        Ok(Self::Metadata(endpoint))
    }

    /// One token request.
    async fn fetch(&self, http: &reqwest::Client) -> Result<Token, BigQueryError> {
        let started = Instant::now();
        let answer: TokenAnswer = match self {
            Self::Static(token) => {
                return Ok(Token {
                    access: token.clone(),
                    expires_at: None,
                });
            }
            Self::ServiceAccount(key) => {
                let assertion = key.assertion(SCOPE, unix_now())?;
                let form = [
                    ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                    ("assertion", assertion.as_str()),
                ];
                post_token(http.post(key.token_uri()).form(&form), key.token_uri()).await?
            }
            Self::AuthorizedUser(user) => {
                let uri = user.token_uri.as_deref().unwrap_or(DEFAULT_TOKEN_URI);
                let form = [
                    ("grant_type", "refresh_token"),
                    ("client_id", user.client_id.as_str()),
                    ("client_secret", user.client_secret.expose_secret()),
                    ("refresh_token", user.refresh_token.expose_secret()),
                ];
                post_token(http.post(uri).form(&form), uri).await?
            }
            Self::Metadata(endpoint) => {
                let url = format!(
                    "{}/computeMetadata/v1/instance/service-accounts/default/token",
                    endpoint.trim_end_matches('/')
                );
                post_token(http.get(&url).header("Metadata-Flavor", "Google"), &url).await?
            }
        };
        Ok(Token {
            access: answer.access_token,
            expires_at: answer.expires_in.map(|s| started + Duration::from_secs(s)),
        })
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `{access_token, expires_in, token_type}`.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: SecretString,
    #[serde(default)]
    expires_in: Option<u64>,
}

async fn post_token(
    request: reqwest::RequestBuilder,
    uri: &str,
) -> Result<TokenAnswer, BigQueryError> {
    let response = request
        .send()
        .await
        .map_err(|e| BigQueryError::Auth(format!("cannot reach the token endpoint {uri}: {e}")))?;
    let status = response.status();
    let body = response.text().await.map_err(|e| {
        BigQueryError::Auth(format!(
            "reading the answer of the token endpoint {uri}: {e}"
        ))
    })?;
    if !status.is_success() {
        // OAuth errors are `{"error": "...", "error_description": "..."}`; they carry no
        // secrets, but only these two fields are echoed.
        #[derive(Deserialize, Default)]
        struct OAuthError {
            #[serde(default)]
            error: Option<String>,
            #[serde(default)]
            error_description: Option<String>,
        }
        let e: OAuthError = serde_json::from_str(&body).unwrap_or_default();
        return Err(BigQueryError::Auth(format!(
            "the token endpoint {uri} answered HTTP {}: {} {}; check the key or run `gcloud auth application-default login`",
            status.as_u16(),
            e.error.unwrap_or_default(),
            e.error_description.unwrap_or_default()
        )));
    }
    serde_json::from_str(&body).map_err(|e| {
        BigQueryError::Auth(format!(
            "the token endpoint {uri} did not answer with an access_token (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

struct Token {
    access: SecretString,
    expires_at: Option<Instant>,
}

impl Token {
    fn fresh(&self) -> bool {
        self.expires_at
            .is_none_or(|at| Instant::now() + REFRESH_MARGIN < at)
    }
}

/// A [`TokenSource`] with a cached token. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Credentials {
    source: Arc<TokenSource>,
    cache: Arc<Mutex<Option<Token>>>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    pub(crate) fn new(source: TokenSource) -> Self {
        Self {
            source: Arc::new(source),
            cache: Arc::new(Mutex::new(None)),
        }
    }

    /// A valid access token: the cached one, or a new one. The lock is held while fetching,
    /// so concurrent callers share one refresh.
    pub(crate) async fn token(
        &self,
        http: &reqwest::Client,
    ) -> Result<SecretString, BigQueryError> {
        let mut cache = self.cache.lock().await;
        if let Some(t) = cache.as_ref().filter(|t| t.fresh()) {
            return Ok(t.access.clone());
        }
        debug!(source = ?self.source, "fetching a Google access token");
        let token = self.source.fetch(http).await?;
        let access = token.access.clone();
        *cache = Some(token);
        Ok(access)
    }

    /// Forget the cached token (after a 401).
    pub(crate) async fn invalidate(&self) {
        *self.cache.lock().await = None;
    }
}
