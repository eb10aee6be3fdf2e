//! Configuration keys: one per attribute of the unified-auth table (databricks-api.md §1.1).

use std::fmt;
use std::str::FromStr;

/// A configuration attribute, named as in `~/.databrickscfg` and settable through
/// [`ConfigBuilder::with_config`](crate::ConfigBuilder::with_config).
///
/// Keys parse from their file name (`host`), their environment variable (`DATABRICKS_HOST`) or
/// either in any case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ConfigKey {
    /// `host` / `DATABRICKS_HOST`: the workspace URL.
    Host,
    /// `token` / `DATABRICKS_TOKEN`: a personal access token.
    Token,
    /// `client_id` / `DATABRICKS_CLIENT_ID`: OAuth M2M service principal id.
    ClientId,
    /// `client_secret` / `DATABRICKS_CLIENT_SECRET`: OAuth M2M secret.
    ClientSecret,
    /// `auth_type` / `DATABRICKS_AUTH_TYPE`: forces one auth strategy.
    AuthType,
    /// `profile` / `DATABRICKS_CONFIG_PROFILE`: section of the config file.
    Profile,
    /// `config_file` / `DATABRICKS_CONFIG_FILE`: path of the config file.
    ConfigFile,
    /// `account_id` / `DATABRICKS_ACCOUNT_ID`.
    AccountId,
    /// `workspace_id` / `DATABRICKS_WORKSPACE_ID`: sent as `X-Databricks-Workspace-Id`.
    WorkspaceId,
    /// `warehouse_id` / `DATABRICKS_WAREHOUSE_ID`: default SQL warehouse.
    WarehouseId,
    /// `cluster_id` / `DATABRICKS_CLUSTER_ID`: default cluster.
    ClusterId,
    /// `scopes`: OAuth scopes (space or comma separated), default `all-apis`.
    Scopes,
    /// `http_timeout_seconds`: per-attempt timeout.
    HttpTimeoutSeconds,
    /// `retry_timeout_seconds`: total retry budget of one call.
    RetryTimeoutSeconds,
    /// `username` / `DATABRICKS_USERNAME` (legacy basic auth; detected for conflicts only).
    Username,
    /// `password` / `DATABRICKS_PASSWORD` (legacy basic auth; detected for conflicts only).
    Password,
    /// `azure_client_id` / `ARM_CLIENT_ID`: Entra ID application (or user-assigned identity) id.
    AzureClientId,
    /// `azure_client_secret` / `ARM_CLIENT_SECRET`: Entra ID client secret.
    AzureClientSecret,
    /// `azure_tenant_id` / `ARM_TENANT_ID`: Entra ID tenant.
    AzureTenantId,
    /// `azure_workspace_resource_id` / `DATABRICKS_AZURE_RESOURCE_ID`.
    AzureWorkspaceResourceId,
    /// `azure_use_msi` / `ARM_USE_MSI`: use the Azure managed identity (`azure-msi`).
    AzureUseMsi,
    /// `azure_environment` / `ARM_ENVIRONMENT`: `PUBLIC`, `USGOVERNMENT` or `CHINA`.
    AzureEnvironment,
    /// `databricks_cli_path` / `DATABRICKS_CLI_PATH`: the `databricks` executable.
    DatabricksCliPath,
    /// `oidc_token_env` / `DATABRICKS_OIDC_TOKEN_ENV`: the variable holding the external JWT
    /// (`env-oidc`; default `DATABRICKS_OIDC_TOKEN`).
    OidcTokenEnv,
    /// `oidc_token_filepath` / `DATABRICKS_OIDC_TOKEN_FILEPATH` (alias
    /// `DATABRICKS_OIDC_TOKEN_FILE`): the file holding the external JWT (`file-oidc`).
    OidcTokenFilepath,
    /// `token_audience` / `DATABRICKS_TOKEN_AUDIENCE`: the audience requested for federated
    /// ID tokens.
    TokenAudience,
    /// `metadata_service_url` / `DATABRICKS_METADATA_SERVICE_URL`: a local token server
    /// (`metadata-service`). Treated as a secret.
    MetadataServiceUrl,
}

impl ConfigKey {
    /// Every key, in a stable order.
    pub const ALL: &'static [Self] = &[
        Self::Host,
        Self::Token,
        Self::ClientId,
        Self::ClientSecret,
        Self::AuthType,
        Self::Profile,
        Self::ConfigFile,
        Self::AccountId,
        Self::WorkspaceId,
        Self::WarehouseId,
        Self::ClusterId,
        Self::Scopes,
        Self::HttpTimeoutSeconds,
        Self::RetryTimeoutSeconds,
        Self::Username,
        Self::Password,
        Self::AzureClientId,
        Self::AzureClientSecret,
        Self::AzureTenantId,
        Self::AzureWorkspaceResourceId,
        Self::AzureUseMsi,
        Self::AzureEnvironment,
        Self::DatabricksCliPath,
        Self::OidcTokenEnv,
        Self::OidcTokenFilepath,
        Self::TokenAudience,
        Self::MetadataServiceUrl,
    ];

    /// The attribute name used in `~/.databrickscfg`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Host => "host",
            Self::Token => "token",
            Self::ClientId => "client_id",
            Self::ClientSecret => "client_secret",
            Self::AuthType => "auth_type",
            Self::Profile => "profile",
            Self::ConfigFile => "config_file",
            Self::AccountId => "account_id",
            Self::WorkspaceId => "workspace_id",
            Self::WarehouseId => "warehouse_id",
            Self::ClusterId => "cluster_id",
            Self::Scopes => "scopes",
            Self::HttpTimeoutSeconds => "http_timeout_seconds",
            Self::RetryTimeoutSeconds => "retry_timeout_seconds",
            Self::Username => "username",
            Self::Password => "password",
            Self::AzureClientId => "azure_client_id",
            Self::AzureClientSecret => "azure_client_secret",
            Self::AzureTenantId => "azure_tenant_id",
            Self::AzureWorkspaceResourceId => "azure_workspace_resource_id",
            Self::AzureUseMsi => "azure_use_msi",
            Self::AzureEnvironment => "azure_environment",
            Self::DatabricksCliPath => "databricks_cli_path",
            Self::OidcTokenEnv => "oidc_token_env",
            Self::OidcTokenFilepath => "oidc_token_filepath",
            Self::TokenAudience => "token_audience",
            Self::MetadataServiceUrl => "metadata_service_url",
        }
    }

    /// The environment variable the official SDKs read for this key, if any.
    pub fn env_var(self) -> Option<&'static str> {
        Some(match self {
            Self::Host => "DATABRICKS_HOST",
            Self::Token => "DATABRICKS_TOKEN",
            Self::ClientId => "DATABRICKS_CLIENT_ID",
            Self::ClientSecret => "DATABRICKS_CLIENT_SECRET",
            Self::AuthType => "DATABRICKS_AUTH_TYPE",
            Self::Profile => "DATABRICKS_CONFIG_PROFILE",
            Self::ConfigFile => "DATABRICKS_CONFIG_FILE",
            Self::AccountId => "DATABRICKS_ACCOUNT_ID",
            Self::WorkspaceId => "DATABRICKS_WORKSPACE_ID",
            Self::WarehouseId => "DATABRICKS_WAREHOUSE_ID",
            Self::ClusterId => "DATABRICKS_CLUSTER_ID",
            Self::Username => "DATABRICKS_USERNAME",
            Self::Password => "DATABRICKS_PASSWORD",
            Self::AzureClientId => "ARM_CLIENT_ID",
            Self::AzureClientSecret => "ARM_CLIENT_SECRET",
            Self::AzureTenantId => "ARM_TENANT_ID",
            Self::AzureWorkspaceResourceId => "DATABRICKS_AZURE_RESOURCE_ID",
            Self::AzureUseMsi => "ARM_USE_MSI",
            Self::AzureEnvironment => "ARM_ENVIRONMENT",
            Self::DatabricksCliPath => "DATABRICKS_CLI_PATH",
            Self::OidcTokenEnv => "DATABRICKS_OIDC_TOKEN_ENV",
            Self::OidcTokenFilepath => "DATABRICKS_OIDC_TOKEN_FILEPATH",
            Self::TokenAudience => "DATABRICKS_TOKEN_AUDIENCE",
            Self::MetadataServiceUrl => "DATABRICKS_METADATA_SERVICE_URL",
            Self::Scopes | Self::HttpTimeoutSeconds | Self::RetryTimeoutSeconds => return None,
        })
    }

    /// Older environment names the SDKs also accept for this key.
    pub fn env_aliases(self) -> &'static [&'static str] {
        match self {
            Self::OidcTokenFilepath => &["DATABRICKS_OIDC_TOKEN_FILE"],
            _ => &[],
        }
    }

    /// Whether values of this key are secrets (never printed).
    pub fn is_sensitive(self) -> bool {
        matches!(
            self,
            Self::Token
                | Self::ClientSecret
                | Self::Password
                | Self::AzureClientSecret
                | Self::MetadataServiceUrl
        )
    }

    /// The auth group a key belongs to, for the "more than one authorization method" check.
    pub(crate) fn auth_group(self) -> Option<&'static str> {
        match self {
            Self::Token => Some("pat"),
            Self::Username | Self::Password => Some("basic"),
            Self::ClientId | Self::ClientSecret => Some("oauth"),
            Self::AzureClientId | Self::AzureClientSecret | Self::AzureTenantId => Some("azure"),
            Self::MetadataServiceUrl => Some("metadata-service"),
            _ => None,
        }
    }

    /// Keys whose presence means "auth is already configured" for the config-file rule.
    pub(crate) fn is_auth_related(self) -> bool {
        self.auth_group().is_some() || self == Self::AuthType
    }
}

impl fmt::Display for ConfigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an unknown [`ConfigKey`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown Databricks config key `{0}`")]
pub struct UnknownConfigKey(pub String);

impl FromStr for ConfigKey {
    type Err = UnknownConfigKey;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Self::ALL
            .iter()
            .copied()
            .find(|k| {
                k.as_str() == lower
                    || k.env_var().is_some_and(|v| v.eq_ignore_ascii_case(&lower))
                    || k.env_aliases()
                        .iter()
                        .any(|v| v.eq_ignore_ascii_case(&lower))
            })
            .ok_or_else(|| UnknownConfigKey(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_env_vars() {
        assert_eq!("host".parse::<ConfigKey>(), Ok(ConfigKey::Host));
        assert_eq!("DATABRICKS_HOST".parse::<ConfigKey>(), Ok(ConfigKey::Host));
        assert_eq!(
            "databricks_config_profile".parse::<ConfigKey>(),
            Ok(ConfigKey::Profile)
        );
        assert_eq!(
            "ARM_CLIENT_ID".parse::<ConfigKey>(),
            Ok(ConfigKey::AzureClientId)
        );
        assert!("jobs-api-version".parse::<ConfigKey>().is_err());
        assert_eq!(
            "DATABRICKS_OIDC_TOKEN_FILE".parse::<ConfigKey>(),
            Ok(ConfigKey::OidcTokenFilepath)
        );
        for k in ConfigKey::ALL {
            assert_eq!(k.as_str().parse::<ConfigKey>(), Ok(*k));
        }
    }
}
