//! OAuth 2.1 resource server (MCP authorization spec): JWT access tokens checked against the
//! issuer's JWKS, and the RFC 9728 protected-resource metadata document.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use super::ServeError;
use crate::Principal;

/// OAuth 2.1 resource-server settings: which issuer's tokens are accepted, for which resource.
///
/// The resource URL is this server's `/mcp` URL as clients reach it (e.g.
/// `https://mcp.example.com/mcp`); tokens must name it in `aud` (RFC 8707 audience binding).
///
/// ```
/// use mcp_tools::server::OAuthConfig;
///
/// let oauth = OAuthConfig::new("https://login.example.com", "https://mcp.example.com/mcp")?
///     .with_jwks_url("https://login.example.com/keys")?
///     .with_required_scopes(["mcp:tools"]);
/// assert_eq!(
///     oauth.resource_metadata_url(),
///     "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
/// );
/// # Ok::<(), mcp_tools::server::ServeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    issuer: String,
    resource: Url,
    jwks_url: Option<Url>,
    required_scopes: Vec<String>,
    authorization_servers: Vec<String>,
    leeway: Duration,
    min_refetch_interval: Duration,
}

impl OAuthConfig {
    /// Tokens from `issuer` (the exact `iss` value) for `resource` (the exact `aud` value, this
    /// server's URL).
    ///
    /// # Errors
    /// [`ServeError::OAuthConfig`] when `resource` is not an absolute `http(s)` URL.
    pub fn new(issuer: impl Into<String>, resource: &str) -> Result<Self, ServeError> {
        let issuer = issuer.into();
        let resource = parse_url("the resource URL (--oauth-audience)", resource)?;
        if issuer.trim().is_empty() {
            return Err(ServeError::OAuthConfig {
                reason: "the issuer (--oauth-issuer) is empty".to_owned(),
            });
        }
        Ok(Self {
            authorization_servers: vec![issuer.clone()],
            issuer,
            resource,
            jwks_url: None,
            required_scopes: Vec::new(),
            leeway: Duration::from_secs(30),
            min_refetch_interval: Duration::from_secs(60),
        })
    }

    /// Where the issuer's signing keys are. Without it they are found through the issuer's
    /// metadata (`/.well-known/oauth-authorization-server`, then
    /// `/.well-known/openid-configuration`).
    ///
    /// # Errors
    /// [`ServeError::OAuthConfig`] when `url` is not an absolute `http(s)` URL.
    pub fn with_jwks_url(mut self, url: &str) -> Result<Self, ServeError> {
        self.jwks_url = Some(parse_url("the JWKS URL (--oauth-jwks-url)", url)?);
        Ok(self)
    }

    /// Scopes every token must carry (in `scope` or `scp`); a valid token without them gets 403.
    pub fn with_required_scopes(
        mut self,
        scopes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.required_scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The authorization servers listed in the metadata document (default: the issuer).
    pub fn with_authorization_servers(
        mut self,
        servers: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.authorization_servers = servers.into_iter().map(Into::into).collect();
        self
    }

    /// Clock skew tolerated on `exp`/`nbf` (default 30 s).
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The shortest time between two JWKS fetches caused by an unknown `kid` (default 60 s), so
    /// tokens with made-up key ids cannot make the server hammer the issuer.
    pub fn with_min_jwks_refetch_interval(mut self, interval: Duration) -> Self {
        self.min_refetch_interval = interval;
        self
    }

    /// The resource URL (the required audience).
    pub fn resource(&self) -> &str {
        self.resource.as_str()
    }

    /// The URL of this resource's RFC 9728 metadata document: `/.well-known/oauth-protected-resource`
    /// inserted before the resource URL's path.
    pub fn resource_metadata_url(&self) -> String {
        let mut url = self.resource.clone();
        let path = self.resource.path().trim_end_matches('/');
        url.set_path(&format!("{WELL_KNOWN}{path}"));
        url.set_query(None);
        url.set_fragment(None);
        url.to_string()
    }

    /// The RFC 9728 protected-resource metadata document.
    pub fn metadata_document(&self) -> Value {
        let mut doc = json!({
            "resource": self.resource.as_str(),
            "authorization_servers": self.authorization_servers,
            "bearer_methods_supported": ["header"],
        });
        if !self.required_scopes.is_empty() {
            doc["scopes_supported"] = json!(self.required_scopes);
        }
        doc
    }

    /// The path the metadata document is served at on this server.
    pub(crate) fn metadata_path(&self) -> String {
        format!("{WELL_KNOWN}{}", self.resource.path().trim_end_matches('/'))
    }
}

/// The RFC 9728 well-known path prefix.
pub(crate) const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

fn parse_url(what: &str, value: &str) -> Result<Url, ServeError> {
    let url = Url::parse(value).map_err(|e| ServeError::OAuthConfig {
        reason: format!("{what} `{value}` is not a URL: {e}"),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(ServeError::OAuthConfig {
            reason: format!("{what} `{value}` is not an absolute http(s) URL"),
        });
    }
    Ok(url)
}

/// Why a token was not accepted.
#[derive(Debug)]
pub(crate) enum TokenRejection {
    /// 401 `invalid_token`, with a description safe to send (never the token).
    Invalid(String),
    /// 403 `insufficient_scope`: the scopes required.
    InsufficientScope(String),
}

#[derive(Default)]
struct KeyCache {
    jwks_url: Option<Url>,
    by_kid: HashMap<String, DecodingKey>,
    without_kid: Vec<DecodingKey>,
    fetched_at: Option<Instant>,
}

/// Validates access tokens; caches the issuer's keys.
pub(crate) struct OAuthValidator {
    config: OAuthConfig,
    client: reqwest::Client,
    keys: tokio::sync::Mutex<KeyCache>,
}

impl std::fmt::Debug for OAuthValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthValidator")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
struct Claims {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    exp: Option<u64>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    scp: Option<Value>,
}

impl OAuthValidator {
    pub(crate) fn new(config: OAuthConfig) -> Result<Self, ServeError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| ServeError::OAuthConfig {
                reason: format!("building the HTTP client for the JWKS: {e}"),
            })?;
        let keys = KeyCache {
            jwks_url: config.jwks_url.clone(),
            ..KeyCache::default()
        };
        Ok(Self {
            config,
            client,
            keys: tokio::sync::Mutex::new(keys),
        })
    }

    pub(crate) fn config(&self) -> &OAuthConfig {
        &self.config
    }

    /// The principal of a valid token, and when the token expires (its `exp`).
    pub(crate) async fn validate(
        &self,
        token: &str,
    ) -> Result<(Principal, Option<std::time::SystemTime>), TokenRejection> {
        let invalid = |s: &str| TokenRejection::Invalid(s.to_owned());
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| invalid("the bearer token is not a JWT access token"))?;
        if matches!(
            header.alg,
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
        ) {
            return Err(invalid(
                "the token is signed with a shared secret (HS*); only asymmetric signatures are accepted",
            ));
        }
        let key = self.key_for(header.kid.as_deref()).await?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[self.config.resource.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = self.config.leeway.as_secs();
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| {
            TokenRejection::Invalid(match e.kind() {
                ErrorKind::ExpiredSignature => "the token has expired".to_owned(),
                ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)".to_owned(),
                ErrorKind::InvalidAudience => format!(
                    "the token's audience is not this server ({})",
                    self.config.resource
                ),
                ErrorKind::InvalidIssuer => {
                    format!("the token's issuer is not {}", self.config.issuer)
                }
                ErrorKind::InvalidSignature => "the token's signature does not verify".to_owned(),
                ErrorKind::MissingRequiredClaim(c) => format!("the token has no `{c}` claim"),
                ErrorKind::InvalidAlgorithm => {
                    "the token's algorithm does not match its signing key".to_owned()
                }
                _ => "the token could not be validated".to_owned(),
            })
        })?;
        let claims = data.claims;
        let scopes = scopes(&claims);
        let missing: Vec<&String> = self
            .config
            .required_scopes
            .iter()
            .filter(|s| !scopes.contains(s))
            .collect();
        if !missing.is_empty() {
            return Err(TokenRejection::InsufficientScope(
                self.config.required_scopes.join(" "),
            ));
        }
        let name = claims
            .sub
            .or(claims.client_id)
            .unwrap_or_else(|| "unknown".to_owned());
        let expires_at = claims
            .exp
            .map(|exp| std::time::UNIX_EPOCH + Duration::from_secs(exp));
        Ok((Principal::new(name, "oauth"), expires_at))
    }

    /// The key for `kid`, fetching the JWKS when it is unknown (at most once per
    /// `min_refetch_interval`).
    async fn key_for(&self, kid: Option<&str>) -> Result<DecodingKey, TokenRejection> {
        let mut cache = self.keys.lock().await;
        if let Some(key) = lookup(&cache, kid) {
            return Ok(key);
        }
        let may_fetch = cache
            .fetched_at
            .is_none_or(|t| t.elapsed() >= self.config.min_refetch_interval);
        if may_fetch {
            cache.fetched_at = Some(Instant::now());
            if let Err(e) = self.refresh(&mut cache).await {
                tracing::warn!(issuer = %self.config.issuer, error = %e, "fetching the issuer's signing keys failed");
                return Err(TokenRejection::Invalid(
                    "the issuer's signing keys could not be fetched; try again later".to_owned(),
                ));
            }
            if let Some(key) = lookup(&cache, kid) {
                return Ok(key);
            }
        }
        Err(TokenRejection::Invalid(match kid {
            Some(_) => "the token's key id (kid) is not among the issuer's signing keys".to_owned(),
            None => "the token has no key id (kid) and the issuer has several keys".to_owned(),
        }))
    }

    async fn refresh(&self, cache: &mut KeyCache) -> Result<(), String> {
        let url = match &cache.jwks_url {
            Some(url) => url.clone(),
            None => {
                let url = self.discover_jwks_url().await?;
                cache.jwks_url = Some(url.clone());
                url
            }
        };
        let set: JwkSet = self.get_json(url.as_str()).await?;
        cache.by_kid.clear();
        cache.without_kid.clear();
        for jwk in &set.keys {
            let Ok(key) = DecodingKey::from_jwk(jwk) else {
                tracing::debug!(kid = ?jwk.common.key_id, "skipping an unsupported JWK");
                continue;
            };
            if matches!(
                jwk.algorithm,
                jsonwebtoken::jwk::AlgorithmParameters::OctetKey(_)
            ) {
                continue; // symmetric keys have no place in a public JWKS
            }
            match &jwk.common.key_id {
                Some(kid) => {
                    cache.by_kid.insert(kid.clone(), key);
                }
                None => cache.without_kid.push(key),
            }
        }
        tracing::debug!(keys = set.keys.len(), "fetched the issuer's signing keys");
        Ok(())
    }

    async fn discover_jwks_url(&self) -> Result<Url, String> {
        let issuer = self.config.issuer.trim_end_matches('/');
        for suffix in [
            "/.well-known/oauth-authorization-server",
            "/.well-known/openid-configuration",
        ] {
            let Ok(doc) = self.get_json::<Value>(&format!("{issuer}{suffix}")).await else {
                continue;
            };
            if let Some(uri) = doc.get("jwks_uri").and_then(Value::as_str) {
                return Url::parse(uri).map_err(|e| format!("jwks_uri `{uri}`: {e}"));
            }
        }
        Err(format!(
            "no jwks_uri in {issuer}'s metadata; pass the JWKS URL (--oauth-jwks-url)"
        ))
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, String> {
        let response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("GET {url}: HTTP {status}"));
        }
        response
            .json::<T>()
            .await
            .map_err(|e| format!("GET {url}: {e}"))
    }
}

fn lookup(cache: &KeyCache, kid: Option<&str>) -> Option<DecodingKey> {
    match kid {
        Some(kid) => cache.by_kid.get(kid).cloned(),
        None if cache.by_kid.len() + cache.without_kid.len() == 1 => cache
            .without_kid
            .first()
            .or_else(|| cache.by_kid.values().next())
            .cloned(),
        None => None,
    }
}

/// The scopes of a token: `scope` (space-separated, RFC 9068) or `scp` (array or string).
fn scopes(claims: &Claims) -> Vec<String> {
    let mut out: Vec<String> = claims
        .scope
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    match &claims.scp {
        Some(Value::Array(items)) => {
            out.extend(items.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        Some(Value::String(s)) => out.extend(s.split_whitespace().map(str::to_owned)),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_url_and_document() {
        let c = OAuthConfig::new("https://issuer.example", "https://mcp.example.com:8443/mcp")
            .expect("config")
            .with_required_scopes(["mcp:tools"]);
        assert_eq!(
            c.resource_metadata_url(),
            "https://mcp.example.com:8443/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(
            c.metadata_path(),
            "/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(
            c.metadata_document(),
            json!({
                "resource": "https://mcp.example.com:8443/mcp",
                "authorization_servers": ["https://issuer.example"],
                "bearer_methods_supported": ["header"],
                "scopes_supported": ["mcp:tools"],
            })
        );
        assert!(OAuthConfig::new("https://issuer.example", "mcp").is_err());
        assert!(OAuthConfig::new("", "https://mcp.example.com/mcp").is_err());
    }

    #[test]
    fn scopes_from_scope_and_scp() {
        let claims: Claims =
            serde_json::from_value(json!({"scope": "a b", "scp": ["c"]})).expect("claims");
        assert_eq!(scopes(&claims), ["a", "b", "c"]);
    }
}
