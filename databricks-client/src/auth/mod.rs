//! Authentication: the [`CredentialsProvider`] trait and the built-in PAT and OAuth M2M providers.
//!
//! Bring your own provider (Azure, workload identity, on-behalf-of…) by implementing the trait
//! and passing it to [`ConfigBuilder::credentials_provider`](crate::ConfigBuilder::credentials_provider):
//!
//! ```
//! use async_trait::async_trait;
//! use databricks_client::{CredentialsProvider, Result};
//! use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
//!
//! #[derive(Debug)]
//! struct FromVault;
//!
//! #[async_trait]
//! impl CredentialsProvider for FromVault {
//!     fn auth_type(&self) -> &str {
//!         "vault"
//!     }
//!     async fn headers(&self) -> Result<HeaderMap> {
//!         let mut value = HeaderValue::from_static("Bearer token-from-vault");
//!         value.set_sensitive(true);
//!         Ok(HeaderMap::from_iter([(AUTHORIZATION, value)]))
//!     }
//! }
//! ```

mod m2m;
mod pat;

use std::fmt;

use async_trait::async_trait;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};
pub use m2m::OAuthM2mCredentials;
pub use pat::PatCredentials;

/// Supplies the headers that authenticate each request.
///
/// Called once per attempt, so providers must cache tokens themselves (the built-in OAuth
/// provider does). Implementations must never put secrets in their `Debug` output and should
/// mark header values sensitive ([`HeaderValue::set_sensitive`]).
#[async_trait]
pub trait CredentialsProvider: Send + Sync + fmt::Debug {
    /// A short name for logs and the User-Agent, e.g. `pat`, `oauth-m2m`.
    fn auth_type(&self) -> &str;

    /// The headers to add to a request (usually `Authorization: Bearer …`).
    async fn headers(&self) -> Result<HeaderMap>;
}

/// `Authorization: Bearer <token>` as a sensitive header map.
pub(crate) fn bearer(auth_type: &str, token: &SecretString) -> Result<HeaderMap> {
    let mut value =
        HeaderValue::try_from(format!("Bearer {}", token.expose_secret())).map_err(|_| {
            Error::Auth {
                auth_type: auth_type.to_owned(),
                message: "the token contains characters that are not allowed in an HTTP header; \
                      check for a stray newline or quote"
                    .to_owned(),
                source: None,
            }
        })?;
    value.set_sensitive(true);
    Ok(HeaderMap::from_iter([(AUTHORIZATION, value)]))
}
