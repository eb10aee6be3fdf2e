//! Personal access tokens.

use async_trait::async_trait;
use reqwest::header::HeaderMap;
use secrecy::SecretString;

use super::{CredentialsProvider, bearer};
use crate::error::Result;

/// A static personal access token, sent as `Authorization: Bearer <token>`.
#[derive(Debug, Clone)]
pub struct PatCredentials {
    token: SecretString,
}

impl PatCredentials {
    /// Wraps a token.
    pub fn new(token: SecretString) -> Self {
        Self { token }
    }
}

#[async_trait]
impl CredentialsProvider for PatCredentials {
    fn auth_type(&self) -> &str {
        "pat"
    }

    async fn headers(&self) -> Result<HeaderMap> {
        bearer("pat", &self.token)
    }
}
