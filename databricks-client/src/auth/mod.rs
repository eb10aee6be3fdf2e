//! Authentication: the [`CredentialsProvider`] trait and the built-in strategies of the SDKs'
//! default chain (databricks-api.md §1.4): `pat`, `metadata-service`, `oauth-m2m`, `env-oidc`,
//! `file-oidc`, `github-oidc`, `azure-msi`, `azure-client-secret`, `azure-cli`,
//! `external-browser` (only when forced) and `databricks-cli`. [`Config`](crate::Config) picks one (see
//! [`Config::auth_resolution`](crate::Config::auth_resolution)); every token-based strategy
//! shares one refreshing-token cache (early expiry, single flight, background refresh).
//!
//! Bring your own provider (GCP, on-behalf-of…) by implementing the trait
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

mod azure;
mod cache;
mod cli;
mod exec;
mod m2m;
mod metadata;
mod oauth;
mod oidc;
mod pat;
mod token_cache;
mod u2m;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::config::{AuthType, Config};
use crate::error::{Error, Result};
use cache::{Clock, SystemClock};
pub(crate) use exec::find_executable;
pub use m2m::OAuthM2mCredentials;
pub use pat::PatCredentials;
pub use u2m::{BrowserOpener, ExternalBrowserCredentials, ExternalBrowserOptions};

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

/// Builds the provider for the strategy the configuration resolved to.
pub(crate) fn provider_for(
    config: &Config,
    http: &reqwest::Client,
) -> Result<Arc<dyn CredentialsProvider>> {
    if let Some(custom) = &config.credentials {
        return Ok(Arc::clone(custom));
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let missing = |what: &str| {
        Error::Config(format!(
            "auth_type {} needs {what}",
            config.auth_type.as_str()
        ))
    };
    let azure = || -> Result<azure::AzureParams> {
        let mut cloud = azure::AzureCloud::named(config.azure_environment.as_deref())?;
        if let Some(login) = &config.azure_login_endpoint {
            cloud.login = login.clone();
        }
        Ok(azure::AzureParams {
            cloud,
            resource_id: config.azure_workspace_resource_id.clone(),
            http: http.clone(),
            clock: Arc::clone(&clock),
        })
    };
    let exchange = || oidc::ExchangeParams {
        host: config.host.clone(),
        client_id: config.client_id.clone(),
        account_id: config.account_id.clone(),
        audience: config.token_audience.clone(),
        scopes: config.scopes.clone(),
        http: http.clone(),
    };
    let env = &config.auth_env;
    Ok(match &config.auth_type {
        AuthType::Pat => Arc::new(PatCredentials::new(
            config
                .token
                .clone()
                .ok_or_else(|| missing("a token (DATABRICKS_TOKEN)"))?,
        )),
        AuthType::OAuthM2m => {
            let (Some(id), Some(secret)) = (&config.client_id, &config.client_secret) else {
                return Err(missing("DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET"));
            };
            Arc::new(OAuthM2mCredentials::new(
                config.host.clone(),
                id.clone(),
                secret.clone(),
                &config.scopes,
                http.clone(),
            ))
        }
        AuthType::MetadataService => Arc::new(metadata::MetadataServiceCredentials::new(
            config
                .metadata_service_url
                .clone()
                .ok_or_else(|| missing("DATABRICKS_METADATA_SERVICE_URL"))?,
            &config.host,
            http.clone(),
            Arc::clone(&clock),
        )?),
        AuthType::EnvOidc => {
            let (name, value) = env
                .oidc_token
                .clone()
                .ok_or_else(|| missing("an ID token in DATABRICKS_OIDC_TOKEN"))?;
            Arc::new(oidc::WorkloadIdentityCredentials::new(
                exchange(),
                oidc::IdTokenSource::Env { name, value },
                Arc::clone(&clock),
            ))
        }
        AuthType::FileOidc => Arc::new(oidc::WorkloadIdentityCredentials::new(
            exchange(),
            oidc::IdTokenSource::File(
                config
                    .oidc_token_filepath
                    .clone()
                    .ok_or_else(|| missing("DATABRICKS_OIDC_TOKEN_FILEPATH"))?,
            ),
            Arc::clone(&clock),
        )),
        AuthType::GithubOidc => {
            let (request_url, request_token) = env.github.clone().ok_or_else(|| {
                missing("ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN")
            })?;
            Arc::new(oidc::WorkloadIdentityCredentials::new(
                exchange(),
                oidc::IdTokenSource::GitHub {
                    request_url,
                    request_token,
                },
                Arc::clone(&clock),
            ))
        }
        AuthType::AzureMsi => {
            let endpoint = match &config.azure_msi_endpoint {
                Some(url) => url.clone(),
                None => url::Url::parse(azure::DEFAULT_MSI_ENDPOINT)
                    .map_err(|e| Error::Config(e.to_string()))?,
            };
            Arc::new(azure::AzureCredentials::msi(
                azure()?,
                endpoint,
                config.azure_client_id.clone(),
            ))
        }
        AuthType::AzureClientSecret => {
            let (Some(tenant), Some(id), Some(secret)) = (
                &config.azure_tenant_id,
                &config.azure_client_id,
                &config.azure_client_secret,
            ) else {
                return Err(missing(
                    "ARM_TENANT_ID, ARM_CLIENT_ID and ARM_CLIENT_SECRET",
                ));
            };
            Arc::new(azure::AzureCredentials::client_secret(
                azure()?,
                tenant,
                id,
                secret.clone(),
            )?)
        }
        AuthType::AzureCli => Arc::new(azure::AzureCredentials::cli(
            azure()?,
            env.az.clone().ok_or_else(|| missing("`az` on PATH"))?,
            config.azure_tenant_id.clone(),
            env.path.clone(),
        )),
        AuthType::DatabricksCli => Arc::new(cli::DatabricksCliCredentials::new(
            env.databricks_cli.clone().ok_or_else(|| {
                missing("the Databricks CLI (DATABRICKS_CLI_PATH or `databricks` on PATH)")
            })?,
            &config.host,
            config.account_id.clone().filter(|_| {
                config
                    .host
                    .host_str()
                    .is_some_and(|h| h.starts_with("accounts."))
            }),
            env.path.clone(),
            clock,
        )),
        AuthType::ExternalBrowser => {
            let mut options = config.external_browser.clone();
            if options.client_id.is_none() {
                options.client_id.clone_from(&config.client_id);
            }
            Arc::new(ExternalBrowserCredentials::build(
                config.host.clone(),
                config.account_id.as_deref(),
                &config.scopes,
                options,
                config.home_dir.clone(),
                http.clone(),
            )?)
        }
        AuthType::Custom(_) => {
            return Err(Error::Config(format!(
                "auth_type {} needs a CredentialsProvider (ConfigBuilder::credentials_provider)",
                config.auth_type
            )));
        }
    })
}
