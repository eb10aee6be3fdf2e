//! The default credential chain (databricks-api.md §1.4): which strategy is used and why.

use std::fmt;
use std::path::PathBuf;

use secrecy::SecretString;

use super::{AuthType, ConfigBuilder, ConfigKey, Setting};
use crate::auth::find_executable;
use crate::error::{Error, Result};

/// The default chain, in the Python SDK's order (`azure-msi` placed before
/// `azure-client-secret` as in the Go SDK). `external-browser` is only used when forced.
pub(crate) const CHAIN: &[AuthType] = &[
    AuthType::Pat,
    AuthType::MetadataService,
    AuthType::OAuthM2m,
    AuthType::EnvOidc,
    AuthType::FileOidc,
    AuthType::GithubOidc,
    AuthType::AzureMsi,
    AuthType::AzureClientSecret,
    AuthType::AzureCli,
    AuthType::ExternalBrowser,
    AuthType::DatabricksCli,
];

/// The environment variable `env-oidc` reads when `oidc_token_env` is not set.
pub(crate) const DEFAULT_OIDC_TOKEN_ENV: &str = "DATABRICKS_OIDC_TOKEN";

/// Which strategy the configuration resolved to, why, and why the strategies before it were
/// skipped. Printed by `examples/whoami.rs`; never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthResolution {
    /// The chosen strategy.
    pub auth_type: AuthType,
    /// Why it was chosen, e.g. `DATABRICKS_TOKEN is set (from environment DATABRICKS_TOKEN)`.
    pub reason: String,
    /// The strategies tried before it, in chain order, each with why it did not apply.
    pub skipped: Vec<SkippedStrategy>,
}

/// A strategy of the chain that did not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SkippedStrategy {
    /// The strategy.
    pub auth_type: AuthType,
    /// Why it did not apply, e.g. `DATABRICKS_TOKEN is not set`.
    pub reason: String,
}

impl fmt::Display for AuthResolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.auth_type, self.reason)
    }
}

impl fmt::Display for SkippedStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.auth_type, self.reason)
    }
}

/// What the strategies need from the environment besides config keys: captured by
/// [`ConfigBuilder::with_env_vars`] so nothing reads the process environment later.
#[derive(Clone, Default)]
pub(crate) struct AuthEnv {
    /// `PATH`, to find `databricks` and `az`.
    pub(crate) path: Option<String>,
    /// `env-oidc`: the variable's name and value.
    pub(crate) oidc_token: Option<(String, SecretString)>,
    /// `github-oidc`: `ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
    pub(crate) github: Option<(String, SecretString)>,
    /// The resolved `databricks` executable.
    pub(crate) databricks_cli: Option<PathBuf>,
    /// The resolved `az` executable.
    pub(crate) az: Option<PathBuf>,
}

impl ConfigBuilder {
    fn set(&self, key: ConfigKey) -> Option<&Setting> {
        self.values.get(&key).filter(|s| !s.value.trim().is_empty())
    }

    fn is_set(&self, key: ConfigKey) -> std::result::Result<String, String> {
        match self.set(key) {
            Some(s) => Ok(format!("{key} is set ({})", s.source)),
            None => Err(format!(
                "{} is not set",
                key.env_var().unwrap_or(key.as_str())
            )),
        }
    }

    fn all_set(&self, keys: &[ConfigKey]) -> std::result::Result<String, String> {
        let mut reasons = Vec::new();
        let mut missing = Vec::new();
        for key in keys {
            match self.is_set(*key) {
                Ok(r) => reasons.push(r),
                Err(_) => missing.push(key.env_var().unwrap_or(key.as_str())),
            }
        }
        if missing.is_empty() {
            Ok(reasons.join(", "))
        } else {
            Err(format!("{} not set", missing.join(" and ")))
        }
    }

    pub(crate) fn is_azure(&self, host: &url::Url) -> bool {
        let azure_host = host.host_str().is_some_and(|h| {
            [
                ".azuredatabricks.net",
                ".databricks.azure.cn",
                ".databricks.azure.us",
            ]
            .iter()
            .any(|suffix| h.ends_with(suffix))
        });
        azure_host || self.set(ConfigKey::AzureWorkspaceResourceId).is_some()
    }

    fn require_azure(&self, host: &url::Url) -> std::result::Result<(), String> {
        if self.is_azure(host) {
            Ok(())
        } else {
            Err(
                "the host is not an Azure Databricks workspace and DATABRICKS_AZURE_RESOURCE_ID \
                 is not set"
                    .to_owned(),
            )
        }
    }

    /// Whether one strategy applies: `Ok(why)` or `Err(why not)`. Never mentions a value.
    pub(crate) fn check_strategy(
        &self,
        auth: &AuthType,
        host: &url::Url,
        env: &AuthEnv,
    ) -> std::result::Result<String, String> {
        match auth {
            AuthType::Pat => self.is_set(ConfigKey::Token),
            AuthType::MetadataService => self.is_set(ConfigKey::MetadataServiceUrl),
            AuthType::OAuthM2m => self.all_set(&[ConfigKey::ClientId, ConfigKey::ClientSecret]),
            AuthType::EnvOidc => {
                let name = self
                    .set(ConfigKey::OidcTokenEnv)
                    .map_or(DEFAULT_OIDC_TOKEN_ENV, |s| s.value.trim());
                match &env.oidc_token {
                    Some((found, _)) => {
                        Ok(format!("environment variable {found} holds an ID token"))
                    }
                    None => Err(format!("environment variable {name} is not set")),
                }
            }
            AuthType::FileOidc => self.is_set(ConfigKey::OidcTokenFilepath),
            AuthType::GithubOidc => match env.github {
                Some(_) => Ok(
                    "ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN \
                               are set (GitHub Actions with id-token permission)"
                        .to_owned(),
                ),
                None => Err("not in GitHub Actions with `id-token: write` \
                             (ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN not set)"
                    .to_owned()),
            },
            AuthType::AzureMsi => {
                let on = self.set(ConfigKey::AzureUseMsi).is_some_and(|s| {
                    matches!(
                        s.value.trim().to_ascii_lowercase().as_str(),
                        "true" | "1" | "yes"
                    )
                });
                if !on {
                    return Err("ARM_USE_MSI is not true".to_owned());
                }
                self.require_azure(host)?;
                self.is_set(ConfigKey::AzureUseMsi)
            }
            AuthType::AzureClientSecret => {
                let reason = self.all_set(&[
                    ConfigKey::AzureClientId,
                    ConfigKey::AzureClientSecret,
                    ConfigKey::AzureTenantId,
                ])?;
                self.require_azure(host)?;
                Ok(reason)
            }
            AuthType::AzureCli => {
                self.require_azure(host)?;
                match &env.az {
                    Some(path) => Ok(format!("the Azure CLI was found at {}", path.display())),
                    None => Err("`az` was not found on PATH".to_owned()),
                }
            }
            AuthType::ExternalBrowser => {
                Err("interactive login is only used when auth_type is external-browser".to_owned())
            }
            AuthType::DatabricksCli => {
                match (&env.databricks_cli, self.set(ConfigKey::DatabricksCliPath)) {
                    (Some(path), _) => Ok(format!(
                        "the Databricks CLI was found at {} (`databricks auth token`)",
                        path.display()
                    )),
                    (None, Some(setting)) => Err(format!(
                        "databricks_cli_path ({}) does not name an executable file",
                        setting.source
                    )),
                    (None, None) => Err("`databricks` was not found on PATH".to_owned()),
                }
            }
            AuthType::Custom(_) => Err("custom providers are passed in code".to_owned()),
        }
    }

    /// Resolves the strategy: `auth_type` forces one; otherwise the first of [`CHAIN`] that
    /// applies wins, after the "more than one method" check.
    pub(crate) fn resolve_auth(&self, host: &url::Url, env: &AuthEnv) -> Result<AuthResolution> {
        if let Some(provider) = &self.credentials {
            return Ok(AuthResolution {
                auth_type: AuthType::Custom(provider.auth_type().to_owned()),
                reason: "a CredentialsProvider was passed to ConfigBuilder::credentials_provider"
                    .to_owned(),
                skipped: Vec::new(),
            });
        }
        if let Some(explicit) = self.set(ConfigKey::AuthType) {
            let auth = AuthType::parse(&explicit.value)?;
            if auth == AuthType::ExternalBrowser {
                return Ok(AuthResolution {
                    reason: format!(
                        "auth_type is {auth} ({}); the Databricks CLI's token cache, refreshed \
                         or renewed by a browser login",
                        explicit.source
                    ),
                    auth_type: auth,
                    skipped: Vec::new(),
                });
            }
            return match self.check_strategy(&auth, host, env) {
                Ok(reason) => Ok(AuthResolution {
                    reason: format!("auth_type is {auth} ({}); {reason}", explicit.source),
                    auth_type: auth,
                    skipped: Vec::new(),
                }),
                Err(why) => Err(Error::Config(format!(
                    "auth_type {auth} was requested ({}) but {why}; {}",
                    explicit.source,
                    fix_for(&auth)
                ))),
            };
        }
        self.check_conflicts()?;
        let mut skipped = Vec::new();
        for auth in CHAIN {
            match self.check_strategy(auth, host, env) {
                Ok(reason) => {
                    return Ok(AuthResolution {
                        auth_type: auth.clone(),
                        reason,
                        skipped,
                    });
                }
                Err(reason) => skipped.push(SkippedStrategy {
                    auth_type: auth.clone(),
                    reason,
                }),
            }
        }
        let mut tried = skipped
            .iter()
            .map(|s| format!("  - {s}"))
            .collect::<Vec<_>>();
        if self.set(ConfigKey::Username).is_some() || self.set(ConfigKey::Password).is_some() {
            tried.insert(
                1,
                "  - basic: legacy username/password auth is not supported; use a token or OAuth"
                    .to_owned(),
            );
        }
        Err(Error::Config(format!(
            "no credentials configured; tried in order:\n{}\nSet DATABRICKS_TOKEN (personal \
             access token), DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET (OAuth M2M), log in \
             with `databricks auth login --host <workspace>`, or select a profile of \
             ~/.databrickscfg with DATABRICKS_CONFIG_PROFILE",
            tried.join("\n")
        )))
    }

    fn check_conflicts(&self) -> Result<()> {
        let mut groups: std::collections::BTreeMap<&'static str, Vec<(ConfigKey, &Setting)>> =
            std::collections::BTreeMap::new();
        for (key, setting) in &self.values {
            if let Some(group) = key.auth_group()
                && self.set(*key).is_some()
            {
                groups.entry(group).or_default().push((*key, setting));
            }
        }
        if groups.len() > 1 {
            let detail = groups
                .iter()
                .map(|(group, keys)| match keys.first() {
                    Some((key, setting)) => format!("{group} ({key} {})", setting.source),
                    None => (*group).to_owned(),
                })
                .collect::<Vec<_>>()
                .join(" and ");
            return Err(Error::Config(format!(
                "more than one authorization method configured: {detail}. Set auth_type \
                 (DATABRICKS_AUTH_TYPE) to the one to use, or remove the other's credentials"
            )));
        }
        Ok(())
    }
}

fn fix_for(auth: &AuthType) -> &'static str {
    match auth {
        AuthType::Pat => "set DATABRICKS_TOKEN",
        AuthType::MetadataService => "set DATABRICKS_METADATA_SERVICE_URL",
        AuthType::OAuthM2m => "set DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET",
        AuthType::EnvOidc => {
            "put the ID token in DATABRICKS_OIDC_TOKEN (or the variable DATABRICKS_OIDC_TOKEN_ENV names)"
        }
        AuthType::FileOidc => "set DATABRICKS_OIDC_TOKEN_FILEPATH to the token file",
        AuthType::GithubOidc => "run in GitHub Actions with `permissions: id-token: write`",
        AuthType::AzureMsi => {
            "set ARM_USE_MSI=true on an Azure resource with a managed identity, and \
             DATABRICKS_AZURE_RESOURCE_ID unless the host is *.azuredatabricks.net"
        }
        AuthType::AzureClientSecret => "set ARM_CLIENT_ID, ARM_CLIENT_SECRET and ARM_TENANT_ID",
        AuthType::AzureCli => "install the Azure CLI, put `az` on PATH and run `az login`",
        AuthType::DatabricksCli => {
            "install the Databricks CLI (or set DATABRICKS_CLI_PATH) and run `databricks auth login`"
        }
        AuthType::ExternalBrowser => "set auth_type to external-browser",
        AuthType::Custom(_) => {
            "pass a CredentialsProvider with ConfigBuilder::credentials_provider"
        }
    }
}

/// Captures the environment the strategies need (see [`AuthEnv`]).
pub(crate) fn auth_env(builder: &ConfigBuilder) -> AuthEnv {
    let env = &builder.env;
    let var = |name: &str| {
        env.get(name)
            .filter(|v| !secrecy::ExposeSecret::expose_secret(*v).trim().is_empty())
    };
    let path = var("PATH").map(|v| secrecy::ExposeSecret::expose_secret(v).to_owned());
    let oidc_name = builder
        .set(ConfigKey::OidcTokenEnv)
        .map_or(DEFAULT_OIDC_TOKEN_ENV.to_owned(), |s| {
            s.value.trim().to_owned()
        });
    let oidc_token = var(&oidc_name).map(|v| (oidc_name.clone(), v.clone()));
    let github = match (
        var("ACTIONS_ID_TOKEN_REQUEST_URL"),
        var("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
    ) {
        (Some(url), Some(token)) => Some((
            secrecy::ExposeSecret::expose_secret(url).to_owned(),
            token.clone(),
        )),
        _ => None,
    };
    let databricks_cli = match builder.set(ConfigKey::DatabricksCliPath) {
        Some(s) => find_executable(s.value.trim(), path.as_deref()),
        None => find_executable("databricks", path.as_deref()),
    };
    let az = find_executable("az", path.as_deref());
    AuthEnv {
        path,
        oidc_token,
        github,
        databricks_cli,
        az,
    }
}
