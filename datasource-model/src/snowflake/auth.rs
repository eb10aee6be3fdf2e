//! Snowflake authentication: key-pair JWT (`KEYPAIR_JWT`), OAuth access token (`OAUTH`) and
//! programmatic access token (`PROGRAMMATIC_ACCESS_TOKEN`).
//!
//! The key-pair JWT follows the Snowflake connectors: RS256, `iss =
//! ACCOUNT.USER.SHA256:<base64(sha256(DER SubjectPublicKeyInfo))>`, `sub = ACCOUNT.USER`,
//! `iat = now`, `exp = now + lifetime` (59 minutes), ACCOUNT and USER upper case and ACCOUNT
//! without region/cloud suffix. Tokens are cached and re-minted five minutes before they expire;
//! a 401 forces one re-mint.
//!
//! This module holds its own small JWT signer on purpose (jsonwebtoken + aws-lc-rs for the
//! public key DER); it is not shared with other providers.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use pkcs8::der::Decode;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::SnowflakeError;

/// Lifetime of a minted JWT (Snowflake accepts at most one hour).
pub(crate) const JWT_LIFETIME: Duration = Duration::from_secs(59 * 60);
/// Re-mint this long before expiry.
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// The JWT account part: cut at the first `-` for `.global` identifiers, otherwise at the first
/// `.`, then upper case (snowflake-connector-python `auth/keypair.py`).
pub fn jwt_account(account: &str) -> String {
    let account = account.trim();
    let cut = if account.contains(".global") {
        account.split('-').next()
    } else {
        account.split('.').next()
    };
    cut.unwrap_or(account).to_ascii_uppercase()
}

/// The claims of a key-pair JWT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct JwtClaims {
    /// `ACCOUNT.USER.SHA256:<fingerprint>`.
    pub iss: String,
    /// `ACCOUNT.USER`.
    pub sub: String,
    /// Issued at (seconds since the epoch).
    pub iat: u64,
    /// Expiry (seconds since the epoch).
    pub exp: u64,
}

/// Signs key-pair JWTs for one user. `Debug` prints the fingerprint only.
pub struct KeyPairSigner {
    key: EncodingKey,
    account: String,
    user: String,
    fingerprint: String,
}

impl fmt::Debug for KeyPairSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPairSigner")
            .field("account", &self.account)
            .field("user", &self.user)
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl KeyPairSigner {
    /// A signer from a PKCS#8 PEM private key (`BEGIN PRIVATE KEY`, or `BEGIN ENCRYPTED PRIVATE
    /// KEY` with `passphrase`).
    pub fn from_pem(
        account: &str,
        user: &str,
        pem: &SecretString,
        passphrase: Option<&SecretString>,
    ) -> Result<Self, SnowflakeError> {
        let bad = |m: String| SnowflakeError::Auth { message: m };
        let (label, doc) = pkcs8::SecretDocument::from_pem(pem.expose_secret()).map_err(|e| {
            bad(format!(
                "the Snowflake private key is not PEM ({e}); generate one with `openssl genrsa 2048 | openssl pkcs8 -topk8 -nocrypt`"
            ))
        })?;
        let der = match label {
            "PRIVATE KEY" => doc,
            "ENCRYPTED PRIVATE KEY" => {
                let pass = passphrase.ok_or_else(|| {
                    bad("the Snowflake private key is encrypted; set the passphrase (`passphrase_env`)".into())
                })?;
                let info =
                    pkcs8::EncryptedPrivateKeyInfo::from_der(doc.as_bytes()).map_err(|e| {
                        bad(format!(
                            "the encrypted Snowflake private key is malformed: {e}"
                        ))
                    })?;
                info.decrypt(pass.expose_secret().as_bytes()).map_err(|_| {
                    bad("cannot decrypt the Snowflake private key; check the passphrase".into())
                })?
            }
            other => {
                return Err(bad(format!(
                    "the Snowflake private key is `{other}`, not PKCS#8; convert it with `openssl pkcs8 -topk8 -in key.pem`"
                )));
            }
        };
        let info = pkcs8::PrivateKeyInfo::from_der(der.as_bytes())
            .map_err(|e| bad(format!("the Snowflake private key is not PKCS#8: {e}")))?;
        let pair = aws_lc_rs::rsa::KeyPair::from_pkcs8(der.as_bytes())
            .map_err(|e| bad(format!("the Snowflake private key is not an RSA key: {e}")))?;
        let fingerprint = public_key_fingerprint(&pair)?;
        Ok(Self {
            key: EncodingKey::from_rsa_der(info.private_key),
            account: jwt_account(account),
            user: user.trim().to_ascii_uppercase(),
            fingerprint,
        })
    }

    /// `SHA256:<base64>` of the public key, as `DESC USER` shows in `RSA_PUBLIC_KEY_FP`.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The claims for a token issued at `now` (seconds since the epoch).
    pub fn claims(&self, now: u64) -> JwtClaims {
        let sub = format!("{}.{}", self.account, self.user);
        JwtClaims {
            iss: format!("{sub}.{}", self.fingerprint),
            sub,
            iat: now,
            exp: now + JWT_LIFETIME.as_secs(),
        }
    }

    /// Sign a token issued at `now`.
    pub fn sign(&self, now: u64) -> Result<SecretString, SnowflakeError> {
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::RS256), &self.claims(now), &self.key)
                .map_err(|e| SnowflakeError::Auth {
                    message: format!("cannot sign the Snowflake key-pair JWT: {e}"),
                })?;
        Ok(SecretString::from(token))
    }
}

fn public_key_fingerprint(pair: &aws_lc_rs::rsa::KeyPair) -> Result<String, SnowflakeError> {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::signature::KeyPair as _;
    let der = pair
        .public_key()
        .as_der()
        .map_err(|_| SnowflakeError::Auth {
            message: "cannot encode the Snowflake public key".into(),
        })?;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der.as_ref());
    Ok(format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
    ))
}

/// A credential that produces `Authorization` headers.
pub(crate) enum Credential {
    /// Key-pair JWT, cached.
    KeyPair {
        signer: KeyPairSigner,
        cached: Mutex<Option<(SecretString, u64)>>,
    },
    /// OAuth access token.
    OAuth(SecretString),
    /// Programmatic access token.
    Pat(SecretString),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::KeyPair { signer, .. } => f.debug_tuple("KeyPair").field(signer).finish(),
            Self::OAuth(_) => f.write_str("OAuth(<redacted>)"),
            Self::Pat(_) => f.write_str("Pat(<redacted>)"),
        }
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Credential {
    pub(crate) fn key_pair(signer: KeyPairSigner) -> Self {
        Self::KeyPair {
            signer,
            cached: Mutex::new(None),
        }
    }

    /// `X-Snowflake-Authorization-Token-Type`.
    pub(crate) fn token_type(&self) -> &'static str {
        match self {
            Self::KeyPair { .. } => "KEYPAIR_JWT",
            Self::OAuth(_) => "OAUTH",
            Self::Pat(_) => "PROGRAMMATIC_ACCESS_TOKEN",
        }
    }

    /// Whether a 401 can be cured by minting a new token.
    pub(crate) fn can_refresh(&self) -> bool {
        matches!(self, Self::KeyPair { .. })
    }

    /// The bearer token; `force` re-mints a key-pair JWT.
    pub(crate) fn token(&self, force: bool) -> Result<SecretString, SnowflakeError> {
        match self {
            Self::OAuth(t) | Self::Pat(t) => Ok(t.clone()),
            Self::KeyPair { signer, cached } => {
                let now = now_secs();
                let mut guard = cached.lock().unwrap_or_else(|p| p.into_inner());
                if !force
                    && let Some((token, exp)) = guard.as_ref()
                    && now + REFRESH_MARGIN.as_secs() < *exp
                {
                    return Ok(token.clone());
                }
                let token = signer.sign(now)?;
                *guard = Some((token.clone(), now + JWT_LIFETIME.as_secs()));
                tracing::debug!(fingerprint = %signer.fingerprint(), "minted a Snowflake key-pair JWT");
                Ok(token)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_part_follows_the_connector_rule() {
        assert_eq!(jwt_account("myorg-acct"), "MYORG-ACCT");
        assert_eq!(jwt_account("xy12345.us-east-2.aws"), "XY12345");
        assert_eq!(jwt_account("myorg-acct.privatelink"), "MYORG-ACCT");
        assert_eq!(jwt_account("acct-suffix.global"), "ACCT");
    }

    #[test]
    fn tokens_are_passed_through_and_debug_redacts() {
        let c = Credential::Pat(SecretString::from("pat-secret-value"));
        assert_eq!(c.token_type(), "PROGRAMMATIC_ACCESS_TOKEN");
        assert_eq!(c.token(false).unwrap().expose_secret(), "pat-secret-value");
        assert!(!format!("{c:?}").contains("pat-secret-value"));
        let c = Credential::OAuth(SecretString::from("oauth-secret-value"));
        assert_eq!(c.token_type(), "OAUTH");
        assert!(!c.can_refresh());
        assert!(!format!("{c:?}").contains("oauth-secret-value"));
    }
}
