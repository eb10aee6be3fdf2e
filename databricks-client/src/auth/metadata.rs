//! `metadata-service`: a local token server (e.g. the VS Code extension's), asked with
//! `X-Databricks-Metadata-Version: 1` and `X-Databricks-Host: <host>`; it answers
//! `{access_token, token_type, expires_on}` (`expires_on` in Unix seconds).

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::cache::{Clock, Fetched, RefreshingToken, TokenSource};
use super::oauth::auth_error;
use super::{CredentialsProvider, bearer};
use crate::error::{Error, Result};

const AUTH_TYPE: &str = "metadata-service";

/// Tokens from a local metadata service.
#[derive(Clone)]
pub(crate) struct MetadataServiceCredentials {
    cache: RefreshingToken,
}

impl fmt::Debug for MetadataServiceCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL itself is a secret (it embeds a per-session key).
        f.debug_struct("MetadataServiceCredentials")
            .field("url", &"[REDACTED]")
            .finish()
    }
}

struct MetadataSource {
    url: SecretString,
    host: String,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct MetadataToken {
    access_token: String,
    expires_on: serde_json::Value,
}

#[async_trait]
impl TokenSource for MetadataSource {
    async fn fetch(&self) -> Result<Fetched> {
        let fix = "check that the process serving DATABRICKS_METADATA_SERVICE_URL (e.g. the IDE \
                   extension) is running and logged in to this workspace";
        let resp = self
            .http
            .get(self.url.expose_secret())
            .header("X-Databricks-Metadata-Version", "1")
            .header("X-Databricks-Host", &self.host)
            .send()
            .await
            .map_err(|e| Error::Auth {
                auth_type: AUTH_TYPE.to_owned(),
                // reqwest errors carry the URL: keep only the kind.
                message: format!(
                    "could not reach the metadata service ({}); {fix}",
                    if e.is_timeout() {
                        "timed out"
                    } else if e.is_connect() {
                        "connection refused"
                    } else {
                        "request failed"
                    }
                ),
                source: None,
            })?;
        let status = resp.status();
        if !status.is_success() {
            return Err(auth_error(
                AUTH_TYPE,
                format!("the metadata service answered HTTP {status}; {fix}"),
            ));
        }
        let body: MetadataToken = resp.json().await.map_err(|e| {
            auth_error(
                AUTH_TYPE,
                format!(
                    "the metadata service answered without `access_token`/`expires_on`: {}",
                    e.without_url()
                ),
            )
        })?;
        let epoch = match &body.expires_on {
            serde_json::Value::Number(n) => n.as_u64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| {
            auth_error(
                AUTH_TYPE,
                "the metadata service's `expires_on` is not a Unix timestamp".to_owned(),
            )
        })?;
        Ok(Fetched::until_unix(
            SecretString::from(body.access_token),
            epoch,
        ))
    }
}

impl MetadataServiceCredentials {
    pub(crate) fn new(
        url: SecretString,
        host: &Url,
        http: reqwest::Client,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let parsed = Url::parse(url.expose_secret()).map_err(|_| {
            Error::Config("DATABRICKS_METADATA_SERVICE_URL is not a valid URL".to_owned())
        })?;
        let loopback = match parsed.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        if !loopback {
            return Err(Error::Config(
                "DATABRICKS_METADATA_SERVICE_URL must point at localhost: the metadata service \
                 is a local token server"
                    .to_owned(),
            ));
        }
        let source = MetadataSource {
            url,
            host: host.as_str().trim_end_matches('/').to_owned(),
            http,
        };
        Ok(Self {
            cache: RefreshingToken::new(AUTH_TYPE, source, clock),
        })
    }
}

#[async_trait]
impl CredentialsProvider for MetadataServiceCredentials {
    fn auth_type(&self) -> &str {
        AUTH_TYPE
    }

    async fn headers(&self) -> Result<HeaderMap> {
        bearer(AUTH_TYPE, &self.cache.token().await?)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::auth::cache::tests::ManualClock;
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn in_secs(secs: u64) -> u64 {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + secs
    }

    async fn mock(server: &MockServer, token: &str) {
        Mock::given(method("GET"))
            .and(path("/secret-key/metadata"))
            .and(header("X-Databricks-Metadata-Version", "1"))
            .and(header(
                "X-Databricks-Host",
                "https://dbc-1.cloud.databricks.com",
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "access_token": token, "token_type": "Bearer", "expires_on": in_secs(600)
            })))
            .expect(1)
            .mount(server)
            .await;
    }

    #[tokio::test]
    async fn fetches_caches_and_refreshes() {
        let server = MockServer::start().await;
        mock(&server, "md-1").await;
        let clock = ManualClock::new();
        let creds = MetadataServiceCredentials::new(
            SecretString::from(format!("{}/secret-key/metadata", server.uri())),
            &Url::parse("https://dbc-1.cloud.databricks.com/").unwrap(),
            reqwest::Client::new(),
            Arc::clone(&clock) as Arc<dyn Clock>,
        )
        .unwrap();
        assert_eq!(creds.cache.token().await.unwrap().expose_secret(), "md-1");
        assert_eq!(creds.cache.token().await.unwrap().expose_secret(), "md-1");
        server.verify().await;
        server.reset().await;
        mock(&server, "md-2").await;
        clock.advance(Duration::from_secs(600));
        assert_eq!(creds.cache.token().await.unwrap().expose_secret(), "md-2");
        server.verify().await;
    }

    #[tokio::test]
    async fn refusal_and_remote_url_are_errors_without_the_url() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(403))
            .mount(&server)
            .await;
        let creds = MetadataServiceCredentials::new(
            SecretString::from(format!("{}/secret-key/metadata", server.uri())),
            &Url::parse("https://h.cloud.databricks.com/").unwrap(),
            reqwest::Client::new(),
            ManualClock::new(),
        )
        .unwrap();
        let err = creds.cache.token().await.unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(text.contains("403") && text.contains("logged in"), "{text}");
        assert!(!text.contains("secret-key"), "{text}");
        let err = MetadataServiceCredentials::new(
            SecretString::from("https://example.com/secret-key".to_owned()),
            &Url::parse("https://h.cloud.databricks.com/").unwrap(),
            reqwest::Client::new(),
            ManualClock::new(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("localhost"), "{err}");
        assert!(!err.to_string().contains("secret-key"), "{err}");
    }
}
