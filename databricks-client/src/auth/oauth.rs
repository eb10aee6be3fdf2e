//! What the OAuth-based strategies share: the workspace token endpoint (discovered once) and
//! the form POST that returns `{access_token, expires_in}` or an OAuth error body.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::OnceCell;
use url::Url;

use super::cache::Fetched;
use crate::error::{Error, Result};

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    token_type: Option<String>,
}

/// A token response with what U2M keeps beyond the access token.
pub(crate) struct OAuthToken {
    pub(crate) fetched: Fetched,
    pub(crate) refresh_token: Option<SecretString>,
    pub(crate) token_type: Option<String>,
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
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
}

/// The endpoints an OIDC discovery document names, each kept only when it is on the origin of
/// `host` (credentials are never sent elsewhere).
#[derive(Debug, Default)]
pub(crate) struct Discovered {
    pub(crate) authorize: Option<Url>,
    pub(crate) token: Option<Url>,
}

/// Reads `{oidc}.well-known/oauth-authorization-server` (`oidc` ends in `/`); any failure is an
/// empty [`Discovered`], so callers fall back to the documented paths.
pub(crate) async fn discover(http: &reqwest::Client, oidc: &Url, host: &Url) -> Discovered {
    let doc = async {
        let url = oidc.join(".well-known/oauth-authorization-server").ok()?;
        let resp = http.get(url).send().await.ok()?;
        if !resp.status().is_success() {
            return None;
        }
        resp.json::<Discovery>().await.ok()
    }
    .await;
    let same_origin = |s: Option<String>| {
        Url::parse(s.as_deref()?)
            .ok()
            .filter(|u| u.origin() == host.origin())
    };
    match doc {
        Some(doc) => Discovered {
            authorize: same_origin(doc.authorization_endpoint),
            token: same_origin(doc.token_endpoint),
        },
        None => Discovered::default(),
    }
}

pub(crate) fn auth_error(auth_type: &str, message: String) -> Error {
    Error::Auth {
        auth_type: auth_type.to_owned(),
        message,
        source: None,
    }
}

/// The workspace token endpoint: from `/oidc/.well-known/oauth-authorization-server` when it
/// names an endpoint on the workspace's own origin, else `/oidc/v1/token`. Resolved once.
#[derive(Debug, Default)]
pub(crate) struct TokenEndpoint(OnceCell<Url>);

impl TokenEndpoint {
    pub(crate) async fn get(&self, http: &reqwest::Client, host: &Url) -> Url {
        self.0
            .get_or_init(|| async {
                let fallback = host.join("oidc/v1/token").unwrap_or_else(|_| host.clone());
                let Ok(oidc) = host.join("oidc/") else {
                    return fallback;
                };
                discover(http, &oidc, host).await.token.unwrap_or(fallback)
            })
            .await
            .clone()
    }
}

/// One token request: where, how to authenticate, and the fix to name on refusal.
pub(crate) struct TokenRequest<'a> {
    pub(crate) auth_type: &'a str,
    pub(crate) endpoint: &'a Url,
    pub(crate) basic: Option<(&'a str, &'a SecretString)>,
    pub(crate) form: &'a [(&'a str, &'a str)],
    /// Appended to a refusal: what the user should check.
    pub(crate) fix: &'a str,
}

/// Posts a form and parses an OAuth token response. Never puts the request body (which may
/// hold secrets) or the response body into an error.
pub(crate) async fn request_token(
    http: &reqwest::Client,
    req: TokenRequest<'_>,
) -> Result<Fetched> {
    request_oauth_token(http, req).await.map(|t| t.fetched)
}

/// [`request_token`], keeping the refresh token and token type of the response.
pub(crate) async fn request_oauth_token(
    http: &reqwest::Client,
    req: TokenRequest<'_>,
) -> Result<OAuthToken> {
    let TokenRequest {
        auth_type,
        endpoint,
        basic,
        form,
        fix,
    } = req;
    let mut builder = http.post(endpoint.clone()).form(form);
    if let Some((id, secret)) = basic {
        builder = builder.basic_auth(id, Some(secret.expose_secret()));
    }
    let response = builder.send().await.map_err(|e| Error::Auth {
        auth_type: auth_type.to_owned(),
        message: format!(
            "could not reach the token endpoint {}",
            endpoint_label(endpoint)
        ),
        source: Some(Box::new(Error::transport("POST", endpoint.path(), e))),
    })?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| Error::Auth {
        auth_type: auth_type.to_owned(),
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
        return Err(auth_error(
            auth_type,
            format!(
                "the token endpoint {} refused the request ({detail}); {fix}",
                endpoint_label(endpoint)
            ),
        ));
    }
    parse_oauth_token(auth_type, &body)
}

/// Parses `{access_token, expires_in}` (`expires_in` as a number or a numeric string, as
/// Entra ID v1 returns it; default one hour).
#[cfg(test)]
pub(crate) fn parse_token_response(auth_type: &str, body: &[u8]) -> Result<Fetched> {
    parse_oauth_token(auth_type, body).map(|t| t.fetched)
}

fn parse_oauth_token(auth_type: &str, body: &[u8]) -> Result<OAuthToken> {
    let parsed: TokenResponse = serde_json::from_slice(body).map_err(|e| {
        auth_error(
            auth_type,
            format!("the token endpoint returned an unexpected body: {e}"),
        )
    })?;
    let secs = match parsed.expires_in {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .unwrap_or(3600);
    Ok(OAuthToken {
        fetched: Fetched {
            access: SecretString::from(parsed.access_token),
            lifetime: Duration::from_secs(secs),
        },
        refresh_token: parsed
            .refresh_token
            .filter(|t| !t.is_empty())
            .map(SecretString::from),
        token_type: parsed.token_type,
    })
}

/// Scheme, host and path of an endpoint (never a query string).
pub(crate) fn endpoint_label(url: &Url) -> String {
    format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.path()
    )
}
