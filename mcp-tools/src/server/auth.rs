//! Inbound authentication of HTTP requests: static API keys and OAuth 2.1 access tokens.

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::ServeError;
use super::oauth::{OAuthConfig, OAuthValidator, TokenRejection};
use crate::{CallerToken, Principal};

/// The environment variable holding one API key (the key's name is `default`).
pub const API_KEY_ENV: &str = "MCP_API_KEY";

/// One named API key. The key itself stays in a [`SecretString`]: `Debug` shows only the name.
#[derive(Clone)]
pub struct ApiKey {
    name: String,
    digest: [u8; 32],
    // Kept so a caller can hand the key on (e.g. to a test client); never logged.
    secret: SecretString,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("name", &self.name)
            .field("secret", &"[REDACTED]")
            .finish()
    }
}

impl ApiKey {
    /// A key named `name` (the principal name tool calls see) with value `secret`.
    ///
    /// # Errors
    /// [`ServeError::InvalidApiKey`] when the name or the key is empty, or the key has
    /// surrounding whitespace or fewer than 16 characters.
    pub fn new(name: impl Into<String>, secret: SecretString) -> Result<Self, ServeError> {
        let name = name.into();
        let value = secret.expose_secret();
        let reason = if name.trim().is_empty() {
            Some("the key name is empty")
        } else if value.is_empty() {
            Some("the key is empty")
        } else if value.trim() != value {
            Some("the key has leading or trailing whitespace")
        } else if value.chars().count() < 16 {
            Some("the key is shorter than 16 characters; generate a longer random key")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(ServeError::InvalidApiKey {
                name,
                reason: reason.to_owned(),
            });
        }
        let digest = Sha256::digest(value.as_bytes()).into();
        Ok(Self {
            name,
            digest,
            secret,
        })
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key's value (for handing to a client; never log it).
    pub fn secret(&self) -> &SecretString {
        &self.secret
    }
}

/// A set of API keys accepted as `Authorization: Bearer <key>`.
///
/// Comparison is constant-time: the presented key and every configured key are hashed with
/// SHA-256 and the digests compared with [`subtle`], all keys every time.
///
/// ```
/// use mcp_tools::server::{ApiKey, ApiKeys};
///
/// let keys = ApiKeys::new()
///     .with_key(ApiKey::new("ci", "0123456789abcdef0123".to_owned().into())?);
/// assert_eq!(keys.len(), 1);
/// # Ok::<(), mcp_tools::server::ServeError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ApiKeys {
    keys: Vec<ApiKey>,
}

impl ApiKeys {
    /// No keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key`.
    pub fn with_key(mut self, key: ApiKey) -> Self {
        self.keys.push(key);
        self
    }

    /// The key in [`API_KEY_ENV`] (`MCP_API_KEY`), named `default`, if the variable is set.
    ///
    /// # Errors
    /// [`ServeError::InvalidApiKey`] when the variable is set but unusable.
    pub fn from_env() -> Result<Option<ApiKey>, ServeError> {
        match std::env::var(API_KEY_ENV) {
            Ok(value) => ApiKey::new("default", SecretString::from(value)).map(Some),
            Err(_) => Ok(None),
        }
    }

    /// Reads keys from `path`: one `name:key` per line; blank lines and lines starting with `#`
    /// are skipped.
    ///
    /// # Errors
    /// [`ServeError::ApiKeyFile`] when the file cannot be read, a line has no name, a name
    /// repeats or a key is unusable (the message names the line, never the key).
    pub fn from_file(path: &Path) -> Result<Self, ServeError> {
        let text = std::fs::read_to_string(path).map_err(|e| ServeError::ApiKeyFile {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        Self::parse(&text, path)
    }

    fn parse(text: &str, path: &Path) -> Result<Self, ServeError> {
        let err = |line: usize, reason: String| ServeError::ApiKeyFile {
            path: path.to_owned(),
            reason: format!("line {line}: {reason}"),
        };
        let mut keys = Self::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, key)) = line.split_once(':') else {
                return Err(err(
                    i + 1,
                    "expected `name:key` (a name, a colon, then the key)".to_owned(),
                ));
            };
            let name = name.trim();
            if keys.keys.iter().any(|k| k.name == name) {
                return Err(err(i + 1, format!("the key name `{name}` is used twice")));
            }
            let key = ApiKey::new(name, SecretString::from(key.trim().to_owned()))
                .map_err(|e| err(i + 1, e.to_string()))?;
            keys.keys.push(key);
        }
        if keys.is_empty() {
            return Err(ServeError::ApiKeyFile {
                path: PathBuf::from(path),
                reason: "the file holds no key; add lines `name:key`".to_owned(),
            });
        }
        Ok(keys)
    }

    /// How many keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there is no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The name of the key equal to `presented`, comparing against every key in constant time.
    fn check(&self, presented: &str) -> Option<&str> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = None;
        for key in &self.keys {
            if bool::from(key.digest.ct_eq(&digest)) && found.is_none() {
                found = Some(key.name.as_str());
            }
        }
        found
    }
}

/// How HTTP requests to `/mcp` are authenticated.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum Auth {
    /// No authentication: allowed on a loopback bind only, unless explicitly opted in.
    #[default]
    None,
    /// Static API keys sent as `Authorization: Bearer <key>`.
    ApiKeys(ApiKeys),
    /// OAuth 2.1 resource server: JWT access tokens from one issuer.
    OAuth(Box<OAuthConfig>),
}

/// The runtime form of [`Auth`].
#[derive(Debug)]
pub(crate) enum Authenticator {
    None,
    ApiKeys(ApiKeys),
    OAuth(Box<OAuthValidator>),
}

/// Why a request was refused.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// 401: no credentials, or unusable ones.
    Unauthorized {
        /// `invalid_token` when a credential was presented; `None` when there was none.
        error: Option<&'static str>,
        description: String,
    },
    /// 403: a valid token without the required scopes.
    InsufficientScope { scope: String },
}

impl Authenticator {
    pub(crate) fn new(auth: Auth) -> Result<Self, ServeError> {
        Ok(match auth {
            Auth::None => Self::None,
            Auth::ApiKeys(keys) if keys.is_empty() => {
                return Err(ServeError::InvalidApiKey {
                    name: String::new(),
                    reason: "API-key authentication needs at least one key".to_owned(),
                });
            }
            Auth::ApiKeys(keys) => Self::ApiKeys(keys),
            Auth::OAuth(config) => Self::OAuth(Box::new(OAuthValidator::new(*config)?)),
        })
    }

    pub(crate) fn oauth(&self) -> Option<&OAuthValidator> {
        match self {
            Self::OAuth(v) => Some(v),
            _ => None,
        }
    }

    /// The principal of a request with these headers and, in OAuth mode, the validated token
    /// with its expiry (for identity pass-through).
    pub(crate) async fn authenticate(
        &self,
        headers: &http::HeaderMap,
    ) -> Result<(Principal, Option<CallerToken>), Refusal> {
        if let Self::None = self {
            return Ok((Principal::new("anonymous", "anonymous"), None));
        }
        let Some(token) = bearer(headers)? else {
            return Err(Refusal::Unauthorized {
                error: None,
                description: "send `Authorization: Bearer <credential>`".to_owned(),
            });
        };
        match self {
            Self::None => Ok((Principal::new("anonymous", "anonymous"), None)),
            Self::ApiKeys(keys) => match keys.check(token) {
                Some(name) => Ok((Principal::new(name, "api_key"), None)),
                None => Err(Refusal::Unauthorized {
                    error: Some("invalid_token"),
                    description: "the API key is not one of this server's keys".to_owned(),
                }),
            },
            Self::OAuth(validator) => match validator.validate(token).await {
                Ok((principal, expires_at)) => Ok((
                    principal,
                    Some(CallerToken::new(
                        SecretString::from(token.to_owned()),
                        expires_at,
                    )),
                )),
                Err(TokenRejection::Invalid(description)) => Err(Refusal::Unauthorized {
                    error: Some("invalid_token"),
                    description,
                }),
                Err(TokenRejection::InsufficientScope(scope)) => {
                    Err(Refusal::InsufficientScope { scope })
                }
            },
        }
    }
}

/// The bearer credential of `headers`: `Ok(None)` when there is no `Authorization` header.
fn bearer(headers: &http::HeaderMap) -> Result<Option<&str>, Refusal> {
    let Some(value) = headers.get(http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let invalid = |description: &str| Refusal::Unauthorized {
        error: Some("invalid_request"),
        description: description.to_owned(),
    };
    let value = value
        .to_str()
        .map_err(|_| invalid("the Authorization header is not ASCII"))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| invalid("the Authorization header is not `Bearer <credential>`"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(invalid(
            "the Authorization header is not `Bearer <credential>`",
        ));
    }
    Ok(Some(token.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_lines_and_errors() {
        let path = Path::new("keys.txt");
        let keys = ApiKeys::parse(
            "# comment\n\nci: 0123456789abcdef0123\nagent:abcdefghijklmnopqrstu\n",
            path,
        )
        .expect("valid file");
        assert_eq!(keys.len(), 2);
        assert_eq!(keys.check("0123456789abcdef0123"), Some("ci"));
        assert_eq!(keys.check("abcdefghijklmnopqrstu"), Some("agent"));
        assert_eq!(keys.check("0123456789abcdef012"), None);

        let e = ApiKeys::parse("justakeywithoutname0123", path).unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
        assert!(!e.to_string().contains("justakey"), "{e}");
        let e = ApiKeys::parse("a:short", path).unwrap_err();
        assert!(e.to_string().contains("shorter than 16"), "{e}");
        assert!(!e.to_string().contains("short:"), "{e}");
        let e = ApiKeys::parse("a:0123456789abcdef0123\na:0123456789abcdef0124", path).unwrap_err();
        assert!(e.to_string().contains("used twice"), "{e}");
        assert!(ApiKeys::parse("# nothing\n", path).is_err());
    }

    #[test]
    fn debug_hides_the_key() {
        let key = ApiKey::new("ci", SecretString::from("0123456789abcdef0123")).expect("key");
        let shown = format!("{key:?} {:?}", ApiKeys::new().with_key(key.clone()));
        assert!(shown.contains("ci"));
        assert!(!shown.contains("0123456789abcdef0123"), "{shown}");
    }

    #[test]
    fn bearer_header_forms() {
        let mut headers = http::HeaderMap::new();
        assert!(matches!(bearer(&headers), Ok(None)));
        headers.insert(http::header::AUTHORIZATION, "bearer abc".parse().unwrap());
        assert!(matches!(bearer(&headers), Ok(Some("abc"))));
        headers.insert(http::header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert!(bearer(&headers).is_err());
        headers.insert(http::header::AUTHORIZATION, "Bearer ".parse().unwrap());
        assert!(bearer(&headers).is_err());
    }
}
