//! Client configuration: explicit values, environment variables and `~/.databrickscfg` profiles,
//! resolved with the official SDKs' precedence (databricks-api.md §1.2).
//!
//! 1. Explicit values (builder setters, [`ConfigBuilder::with_config`]).
//! 2. Environment variables fill what is still unset ([`Config::from_env`] only — nothing else
//!    reads the environment).
//! 3. The config file is read **only if** a profile was requested, or no host and no
//!    auth-related value is set yet; its values never overwrite steps 1–2.
//! 4. Validation: a host is required (normalised, HTTPS unless loopback); credentials of two auth
//!    methods without `auth_type` are an error.

mod chain;
mod file;
mod key;

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use crate::auth::{CredentialsProvider, ExternalBrowserOptions};
use crate::client::RetryConfig;
use crate::error::{Error, Result};
pub(crate) use chain::AuthEnv;
pub use chain::{AuthResolution, SkippedStrategy};
use file::ConfigFile;
pub use key::{ConfigKey, UnknownConfigKey};

/// The default per-attempt HTTP timeout.
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(60);

/// How the client authenticates.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthType {
    /// Personal access token (`pat`).
    Pat,
    /// OAuth machine-to-machine with a service principal (`oauth-m2m`).
    OAuthM2m,
    /// A local token server at `metadata_service_url` (`metadata-service`).
    MetadataService,
    /// Workload identity federation with a JWT from an environment variable (`env-oidc`).
    EnvOidc,
    /// Workload identity federation with a JWT read from a file on every refresh (`file-oidc`).
    FileOidc,
    /// Workload identity federation with a GitHub Actions ID token (`github-oidc`).
    GithubOidc,
    /// Azure managed identity through IMDS (`azure-msi`).
    AzureMsi,
    /// Entra ID service principal with a client secret (`azure-client-secret`).
    AzureClientSecret,
    /// The Azure CLI's login (`azure-cli`).
    AzureCli,
    /// Interactive U2M login in a browser with the Databricks CLI's token cache
    /// (`external-browser`; only when forced).
    ExternalBrowser,
    /// The Databricks CLI's login, through `databricks auth token` (`databricks-cli`).
    DatabricksCli,
    /// A user-supplied [`CredentialsProvider`]; the string is its
    /// [`auth_type`](CredentialsProvider::auth_type).
    Custom(String),
}

impl AuthType {
    /// The name used in `auth_type` / `DATABRICKS_AUTH_TYPE` and the User-Agent.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Pat => "pat",
            Self::OAuthM2m => "oauth-m2m",
            Self::MetadataService => "metadata-service",
            Self::EnvOidc => "env-oidc",
            Self::FileOidc => "file-oidc",
            Self::GithubOidc => "github-oidc",
            Self::AzureMsi => "azure-msi",
            Self::AzureClientSecret => "azure-client-secret",
            Self::AzureCli => "azure-cli",
            Self::ExternalBrowser => "external-browser",
            Self::DatabricksCli => "databricks-cli",
            Self::Custom(name) => name,
        }
    }

    fn parse(value: &str) -> Result<Self> {
        let lower = value.trim().to_ascii_lowercase();
        chain::CHAIN
            .iter()
            .find(|a| a.as_str() == lower)
            .cloned()
            .ok_or_else(|| {
                Error::Config(format!(
                    "auth_type `{lower}` is not built in (supported: {}); for other methods \
                     (GCP, on-behalf-of…) implement CredentialsProvider and pass it with \
                     ConfigBuilder::credentials_provider",
                    chain::CHAIN
                        .iter()
                        .map(Self::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
    }
}

impl fmt::Display for AuthType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a configuration value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Explicit,
    Env(&'static str),
    File { path: PathBuf, profile: String },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Explicit => f.write_str("set explicitly"),
            Self::Env(var) => write!(f, "from environment {var}"),
            Self::File { path, profile } => {
                write!(f, "from profile [{profile}] of {}", path.display())
            }
        }
    }
}

#[derive(Clone)]
struct Setting {
    value: String,
    source: Source,
}

/// A resolved, validated client configuration.
///
/// Built only through [`Config::builder`] or [`Config::from_env`]. Fields are readable; secrets
/// are [`SecretString`]s and never appear in `Debug`.
///
/// ```
/// use databricks_client::Config;
///
/// let config = Config::builder()
///     .host("dbc-1234.cloud.databricks.com")
///     .token("dapi-example")
///     .build()?;
/// assert_eq!(config.host.as_str(), "https://dbc-1234.cloud.databricks.com/");
/// assert!(!format!("{config:?}").contains("dapi-example"));
/// # Ok::<(), databricks_client::Error>(())
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct Config {
    /// The normalised workspace URL (scheme and host, no trailing path).
    pub host: Url,
    /// The auth method in use.
    pub auth_type: AuthType,
    /// Personal access token.
    pub token: Option<SecretString>,
    /// OAuth M2M client id.
    pub client_id: Option<String>,
    /// OAuth M2M client secret.
    pub client_secret: Option<SecretString>,
    /// OAuth scopes (default `all-apis`).
    pub scopes: Vec<String>,
    /// Account id, if configured.
    pub account_id: Option<String>,
    /// Workspace id; sent as `X-Databricks-Workspace-Id` when set.
    pub workspace_id: Option<String>,
    /// Default SQL warehouse id.
    pub warehouse_id: Option<String>,
    /// Default cluster id.
    pub cluster_id: Option<String>,
    /// The profile that was read, if any.
    pub profile: Option<String>,
    /// The config file that was read, if any.
    pub config_file: Option<PathBuf>,
    /// Per-attempt HTTP timeout.
    pub http_timeout: Duration,
    /// Retry policy for every request.
    pub retry: RetryConfig,
    /// Extra `name/version` pairs appended to the User-Agent (e.g. the MCP server's name).
    pub user_agent_extra: Vec<String>,
    /// Which auth strategy was chosen, why, and why the earlier ones were skipped.
    pub auth_resolution: AuthResolution,
    /// `databricks_cli_path`: the configured Databricks CLI, if any.
    pub databricks_cli_path: Option<PathBuf>,
    /// `oidc_token_env`: the variable `env-oidc` reads (default `DATABRICKS_OIDC_TOKEN`).
    pub oidc_token_env: Option<String>,
    /// `oidc_token_filepath`: the JWT file `file-oidc` reads on every refresh.
    pub oidc_token_filepath: Option<PathBuf>,
    /// `token_audience`: the audience requested for federated ID tokens.
    pub token_audience: Option<String>,
    /// `metadata_service_url` (a secret: it embeds a per-session key).
    pub metadata_service_url: Option<SecretString>,
    /// `azure_client_id` (`ARM_CLIENT_ID`).
    pub azure_client_id: Option<String>,
    /// `azure_client_secret` (`ARM_CLIENT_SECRET`).
    pub azure_client_secret: Option<SecretString>,
    /// `azure_tenant_id` (`ARM_TENANT_ID`).
    pub azure_tenant_id: Option<String>,
    /// `azure_workspace_resource_id` (`DATABRICKS_AZURE_RESOURCE_ID`).
    pub azure_workspace_resource_id: Option<String>,
    /// `azure_environment` (`ARM_ENVIRONMENT`).
    pub azure_environment: Option<String>,
    pub(crate) credentials: Option<Arc<dyn CredentialsProvider>>,
    pub(crate) auth_env: AuthEnv,
    pub(crate) azure_login_endpoint: Option<Url>,
    pub(crate) azure_msi_endpoint: Option<Url>,
    pub(crate) external_browser: ExternalBrowserOptions,
    pub(crate) home_dir: Option<PathBuf>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("host", &self.host.as_str())
            .field("auth_type", &self.auth_type)
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("scopes", &self.scopes)
            .field("account_id", &self.account_id)
            .field("workspace_id", &self.workspace_id)
            .field("warehouse_id", &self.warehouse_id)
            .field("cluster_id", &self.cluster_id)
            .field("profile", &self.profile)
            .field("config_file", &self.config_file)
            .field("http_timeout", &self.http_timeout)
            .field("retry", &self.retry)
            .field("auth_resolution", &self.auth_resolution)
            .field("databricks_cli_path", &self.databricks_cli_path)
            .field("oidc_token_env", &self.oidc_token_env)
            .field("oidc_token_filepath", &self.oidc_token_filepath)
            .field("token_audience", &self.token_audience)
            .field(
                "metadata_service_url",
                &self.metadata_service_url.as_ref().map(|_| "[REDACTED]"),
            )
            .field("azure_client_id", &self.azure_client_id)
            .field(
                "azure_client_secret",
                &self.azure_client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("azure_tenant_id", &self.azure_tenant_id)
            .field(
                "azure_workspace_resource_id",
                &self.azure_workspace_resource_id,
            )
            .field("azure_environment", &self.azure_environment)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Starts an explicit configuration. Nothing is read from the environment; the config file
    /// is read only when [`ConfigBuilder::profile`] or [`ConfigBuilder::config_file`] says so.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Resolves the configuration like the official SDKs: `DATABRICKS_*` variables, then
    /// `~/.databrickscfg` (or `DATABRICKS_CONFIG_FILE`) under the file rule of the module docs.
    ///
    /// ```no_run
    /// let config = databricks_client::Config::from_env()?;
    /// println!("using {}", config.host);
    /// # Ok::<(), databricks_client::Error>(())
    /// ```
    pub fn from_env() -> Result<Self> {
        ConfigBuilder::from_env().build()
    }

    /// Every secret this configuration holds: the token, client secrets, the metadata-service
    /// URL, an `env-oidc` ID token, the GitHub ID-token request token. Use it to redact tool
    /// output; secrets obtained later (access and refresh tokens) never leave the providers.
    ///
    /// ```
    /// use secrecy::ExposeSecret;
    ///
    /// let config = databricks_client::Config::builder()
    ///     .host("dbc-1.cloud.databricks.com")
    ///     .token("dapi-example")
    ///     .build()?;
    /// let secrets = config.secret_values();
    /// assert!(secrets.iter().any(|s| s.expose_secret() == "dapi-example"));
    /// # Ok::<(), databricks_client::Error>(())
    /// ```
    pub fn secret_values(&self) -> Vec<SecretString> {
        [
            self.token.clone(),
            self.client_secret.clone(),
            self.azure_client_secret.clone(),
            self.metadata_service_url.clone(),
            self.auth_env.oidc_token.as_ref().map(|(_, v)| v.clone()),
            self.auth_env.github.as_ref().map(|(_, v)| v.clone()),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// Builds a [`Config`]. Setters never fail; [`ConfigBuilder::build`] reports every problem.
#[derive(Clone, Default)]
pub struct ConfigBuilder {
    values: BTreeMap<ConfigKey, Setting>,
    home_dir: Option<PathBuf>,
    retry: Option<RetryConfig>,
    http_timeout: Option<Duration>,
    credentials: Option<Arc<dyn CredentialsProvider>>,
    user_agent_extra: Vec<String>,
    invalid: Vec<String>,
    /// The environment given to [`ConfigBuilder::with_env_vars`] (values may be secrets).
    env: BTreeMap<String, SecretString>,
    azure_login_endpoint: Option<Url>,
    azure_msi_endpoint: Option<Url>,
    external_browser: ExternalBrowserOptions,
}

impl fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (key, setting) in &self.values {
            if key.is_sensitive() {
                map.entry(
                    &key.as_str(),
                    &format_args!("[REDACTED] ({})", setting.source),
                );
            } else {
                map.entry(
                    &key.as_str(),
                    &format_args!("{} ({})", setting.value, setting.source),
                );
            }
        }
        map.finish()
    }
}

impl ConfigBuilder {
    /// A builder pre-filled from the process environment (`DATABRICKS_*`, `ARM_*`, and `HOME`
    /// to locate `~/.databrickscfg`). Values set afterwards override the environment.
    pub fn from_env() -> Self {
        Self::default().with_env_vars(std::env::vars())
    }

    /// Fills still-unset keys from the given environment variables (for tests and embedding:
    /// the process environment is never mutated). `HOME` / `USERPROFILE` locate the config file.
    pub fn with_env_vars<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut home = None;
        for (name, value) in vars {
            let name = name.as_ref();
            let value: String = value.into();
            self.env
                .entry(name.to_owned())
                .or_insert_with(|| SecretString::from(value.clone()));
            if name == "HOME" || (name == "USERPROFILE" && home.is_none()) {
                home = Some(PathBuf::from(&value));
                continue;
            }
            let Some(key) = ConfigKey::ALL
                .iter()
                .copied()
                .find(|k| k.env_var() == Some(name) || k.env_aliases().contains(&name))
            else {
                continue;
            };
            if value.trim().is_empty() {
                continue;
            }
            let var = if key.env_var() == Some(name) {
                key.env_var()
            } else {
                key.env_aliases().iter().copied().find(|a| *a == name)
            };
            if let Some(var) = var {
                self.values.entry(key).or_insert(Setting {
                    value,
                    source: Source::Env(var),
                });
            }
        }
        if self.home_dir.is_none() {
            self.home_dir = home;
        }
        self
    }

    /// Sets any key from a string, overriding the environment and the config file.
    pub fn with_config(mut self, key: ConfigKey, value: impl Into<String>) -> Self {
        self.values.insert(
            key,
            Setting {
                value: value.into(),
                source: Source::Explicit,
            },
        );
        self
    }

    /// The workspace URL; `https://` is added when no scheme is given.
    pub fn host(self, host: impl Into<String>) -> Self {
        self.with_config(ConfigKey::Host, host)
    }

    /// A personal access token.
    pub fn token(self, token: impl Into<String>) -> Self {
        self.with_config(ConfigKey::Token, token)
    }

    /// OAuth M2M client id.
    pub fn client_id(self, client_id: impl Into<String>) -> Self {
        self.with_config(ConfigKey::ClientId, client_id)
    }

    /// OAuth M2M client secret.
    pub fn client_secret(self, client_secret: impl Into<String>) -> Self {
        self.with_config(ConfigKey::ClientSecret, client_secret)
    }

    /// Forces one auth method (`pat`, `oauth-m2m`, `databricks-cli`, `file-oidc`, …; see
    /// [`AuthType`]).
    pub fn auth_type(self, auth_type: impl Into<String>) -> Self {
        self.with_config(ConfigKey::AuthType, auth_type)
    }

    /// Reads this profile from the config file.
    pub fn profile(self, profile: impl Into<String>) -> Self {
        self.with_config(ConfigKey::Profile, profile)
    }

    /// Reads profiles from this file instead of `~/.databrickscfg`.
    pub fn config_file(self, path: impl AsRef<Path>) -> Self {
        let value = path.as_ref().to_string_lossy().into_owned();
        self.with_config(ConfigKey::ConfigFile, value)
    }

    /// The default SQL warehouse.
    pub fn warehouse_id(self, id: impl Into<String>) -> Self {
        self.with_config(ConfigKey::WarehouseId, id)
    }

    /// The default cluster.
    pub fn cluster_id(self, id: impl Into<String>) -> Self {
        self.with_config(ConfigKey::ClusterId, id)
    }

    /// The workspace id (sent as `X-Databricks-Workspace-Id`).
    pub fn workspace_id(self, id: impl Into<String>) -> Self {
        self.with_config(ConfigKey::WorkspaceId, id)
    }

    /// The Databricks CLI executable used by `databricks-cli` (default: `databricks` on `PATH`).
    pub fn databricks_cli_path(self, path: impl AsRef<Path>) -> Self {
        let value = path.as_ref().to_string_lossy().into_owned();
        self.with_config(ConfigKey::DatabricksCliPath, value)
    }

    /// The file `file-oidc` reads the external JWT from (re-read on every refresh).
    pub fn oidc_token_filepath(self, path: impl AsRef<Path>) -> Self {
        let value = path.as_ref().to_string_lossy().into_owned();
        self.with_config(ConfigKey::OidcTokenFilepath, value)
    }

    /// The audience requested for federated ID tokens (`github-oidc`).
    pub fn token_audience(self, audience: impl Into<String>) -> Self {
        self.with_config(ConfigKey::TokenAudience, audience)
    }

    /// The Entra ID login endpoint used by `azure-client-secret` instead of the one of
    /// `azure_environment` (for private clouds and tests).
    pub fn azure_login_endpoint(mut self, url: Url) -> Self {
        self.azure_login_endpoint = Some(url);
        self
    }

    /// The IMDS token endpoint used by `azure-msi` (default
    /// `http://169.254.169.254/metadata/identity/oauth2/token`; for tests).
    pub fn azure_msi_endpoint(mut self, url: Url) -> Self {
        self.azure_msi_endpoint = Some(url);
        self
    }

    /// Settings of `external-browser` (callback port, token cache path, browser opener, login
    /// timeout); used only when `auth_type` is `external-browser`.
    pub fn external_browser(mut self, options: ExternalBrowserOptions) -> Self {
        self.external_browser = options;
        self
    }

    /// The retry policy.
    pub fn retry_config(mut self, retry: RetryConfig) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The per-attempt HTTP timeout (default 60 s).
    pub fn http_timeout(mut self, timeout: Duration) -> Self {
        self.http_timeout = Some(timeout);
        self
    }

    /// Authenticates with a custom provider instead of the built-in PAT / OAuth M2M.
    pub fn credentials_provider(mut self, provider: Arc<dyn CredentialsProvider>) -> Self {
        self.credentials = Some(provider);
        self
    }

    /// Appends `name/version` to the User-Agent, e.g. the product embedding this client.
    pub fn user_agent_product(mut self, name: &str, version: &str) -> Self {
        let ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'))
        };
        if ok(name) && ok(version) {
            self.user_agent_extra.push(format!("{name}/{version}"));
        } else {
            self.invalid.push(format!(
                "user agent product `{name}/{version}` may only use letters, digits, `.`, `-`, `_`, `+`"
            ));
        }
        self
    }

    fn get(&self, key: ConfigKey) -> Option<&str> {
        self.values
            .get(&key)
            .map(|s| s.value.as_str())
            .filter(|v| !v.trim().is_empty())
    }

    /// Whether the config file must be read (databricks-api.md §1.2 step 3).
    fn should_read_file(&self) -> bool {
        if self.get(ConfigKey::Profile).is_some() {
            return true;
        }
        let has_auth = self
            .values
            .keys()
            .any(|k| k.is_auth_related() && self.get(*k).is_some());
        self.get(ConfigKey::Host).is_none()
            && !has_auth
            && self.get(ConfigKey::AzureWorkspaceResourceId).is_none()
    }

    fn read_file(&mut self) -> Result<Option<(PathBuf, String)>> {
        let explicit_path = self.get(ConfigKey::ConfigFile).map(PathBuf::from);
        let path = match (&explicit_path, &self.home_dir) {
            (Some(p), _) => expand_home(p, self.home_dir.as_deref()),
            (None, Some(home)) => home.join(".databrickscfg"),
            (None, None) => {
                if let Some(profile) = self.get(ConfigKey::Profile) {
                    return Err(Error::Config(format!(
                        "profile `{profile}` was requested but no config file is known: set \
                         DATABRICKS_CONFIG_FILE or ConfigBuilder::config_file"
                    )));
                }
                return Ok(None);
            }
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(profile) = self.get(ConfigKey::Profile) {
                    return Err(Error::Config(format!(
                        "profile `{profile}` was requested but {} does not exist; create it \
                         (`databricks configure`) or set DATABRICKS_CONFIG_FILE",
                        path.display()
                    )));
                }
                if explicit_path.is_some() {
                    return Err(Error::Config(format!(
                        "config file {} does not exist",
                        path.display()
                    )));
                }
                return Ok(None);
            }
            Err(e) => {
                return Err(Error::Config(format!(
                    "could not read {}: {e}",
                    path.display()
                )));
            }
        };
        let parsed = ConfigFile::parse(&text, &path).map_err(Error::Config)?;
        let requested = self.get(ConfigKey::Profile).map(str::to_owned);
        let Some((profile, keys)) = parsed
            .select(requested.as_deref(), &path)
            .map_err(Error::Config)?
        else {
            return Ok(None);
        };
        for (name, value) in keys {
            let Ok(key) = name.parse::<ConfigKey>() else {
                continue;
            };
            if matches!(key, ConfigKey::Profile | ConfigKey::ConfigFile) || value.is_empty() {
                continue;
            }
            self.values.entry(key).or_insert_with(|| Setting {
                value: value.clone(),
                source: Source::File {
                    path: path.clone(),
                    profile: profile.clone(),
                },
            });
        }
        Ok(Some((path, profile)))
    }

    /// Resolves and validates the configuration.
    pub fn build(mut self) -> Result<Config> {
        if let Some(problem) = self.invalid.first() {
            return Err(Error::Config(problem.clone()));
        }
        let file = if self.should_read_file() {
            self.read_file()?
        } else {
            None
        };

        let host = match self.get(ConfigKey::Host) {
            Some(h) => normalize_host(h)?,
            None => {
                return Err(Error::Config(
                    "no workspace host configured: set DATABRICKS_HOST, `host` in a profile of \
                     ~/.databrickscfg, or Config::builder().host(..)"
                        .to_owned(),
                ));
            }
        };

        let auth_env = chain::auth_env(&self);
        let auth_resolution = self.resolve_auth(&host, &auth_env)?;
        let auth_type = auth_resolution.auth_type.clone();
        tracing::debug!(auth = %auth_resolution, "resolved the auth strategy");
        let duration = |key: ConfigKey| -> Result<Option<Duration>> {
            self.get(key)
                .map(|v| {
                    v.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|s| s.is_finite() && *s > 0.0)
                        .map(Duration::from_secs_f64)
                        .ok_or_else(|| {
                            Error::Config(format!(
                                "{key} must be a positive number of seconds, got `{v}`"
                            ))
                        })
                })
                .transpose()
        };
        let http_timeout = match self.http_timeout {
            Some(t) => t,
            None => duration(ConfigKey::HttpTimeoutSeconds)?.unwrap_or(DEFAULT_HTTP_TIMEOUT),
        };
        let mut retry = self.retry.clone().unwrap_or_default();
        if self.retry.is_none()
            && let Some(budget) = duration(ConfigKey::RetryTimeoutSeconds)?
        {
            retry.retry_timeout = budget;
        }
        let scopes = self
            .get(ConfigKey::Scopes)
            .map(|s| {
                s.split([' ', ','])
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| vec!["all-apis".to_owned()]);
        let owned = |key: ConfigKey| self.get(key).map(str::to_owned);
        let secret = |key: ConfigKey| self.get(key).map(|v| SecretString::from(v.to_owned()));

        Ok(Config {
            host,
            auth_type,
            token: secret(ConfigKey::Token),
            client_id: owned(ConfigKey::ClientId),
            client_secret: secret(ConfigKey::ClientSecret),
            scopes,
            account_id: owned(ConfigKey::AccountId),
            workspace_id: owned(ConfigKey::WorkspaceId),
            warehouse_id: owned(ConfigKey::WarehouseId),
            cluster_id: owned(ConfigKey::ClusterId),
            profile: file.as_ref().map(|(_, p)| p.clone()),
            config_file: file.map(|(path, _)| path),
            http_timeout,
            retry,
            user_agent_extra: self.user_agent_extra.clone(),
            auth_resolution,
            databricks_cli_path: owned(ConfigKey::DatabricksCliPath).map(PathBuf::from),
            oidc_token_env: owned(ConfigKey::OidcTokenEnv),
            oidc_token_filepath: owned(ConfigKey::OidcTokenFilepath)
                .map(|p| expand_home(Path::new(&p), self.home_dir.as_deref())),
            token_audience: owned(ConfigKey::TokenAudience),
            metadata_service_url: secret(ConfigKey::MetadataServiceUrl),
            azure_client_id: owned(ConfigKey::AzureClientId),
            azure_client_secret: secret(ConfigKey::AzureClientSecret),
            azure_tenant_id: owned(ConfigKey::AzureTenantId),
            azure_workspace_resource_id: owned(ConfigKey::AzureWorkspaceResourceId),
            azure_environment: owned(ConfigKey::AzureEnvironment),
            credentials: self.credentials.clone(),
            auth_env,
            azure_login_endpoint: self.azure_login_endpoint.clone(),
            azure_msi_endpoint: self.azure_msi_endpoint.clone(),
            external_browser: self.external_browser.clone(),
            home_dir: self.home_dir.clone(),
        })
    }
}

fn expand_home(path: &Path, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~"), home) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_path_buf(),
    }
}

/// Normalises a host like every SDK: add `https://` when no scheme, drop a trailing `/` and an
/// explicit `:443`. Plain HTTP is accepted only for loopback hosts (tests, local proxies).
pub(crate) fn normalize_host(raw: &str) -> Result<Url> {
    let trimmed = raw.trim();
    let rest = trimmed.split_once("://").map_or(trimmed, |(_, rest)| rest);
    if rest.trim_matches('/').is_empty() {
        return Err(Error::Config(format!("host `{raw}` has no host name")));
    }
    let trimmed = trimmed.trim_end_matches('/');
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!("https://{trimmed}")
    };
    let mut url = Url::parse(&with_scheme)
        .map_err(|e| Error::Config(format!("host `{raw}` is not a valid URL: {e}")))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::Config(format!("host `{raw}` has no host name")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(
            "host must not embed credentials; use token or client_id/client_secret".to_owned(),
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Error::Config(format!(
                "host `{raw}` uses plain HTTP; Databricks requires HTTPS (http:// is only accepted \
                 for loopback addresses)"
            )));
        }
        other => {
            return Err(Error::Config(format!(
                "host `{raw}` has unsupported scheme `{other}`; use https://"
            )));
        }
    }
    if url.scheme() == "https" && url.port() == Some(443) {
        // `set_port` only fails for cannot-be-a-base URLs, which an http(s) URL is not.
        let _ = url.set_port(None);
    }
    url.set_path("/");
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_normalisation() {
        let cases = [
            (
                "dbc-1.cloud.databricks.com",
                "https://dbc-1.cloud.databricks.com/",
            ),
            (
                "https://dbc-1.cloud.databricks.com/",
                "https://dbc-1.cloud.databricks.com/",
            ),
            (
                "https://dbc-1.cloud.databricks.com:443",
                "https://dbc-1.cloud.databricks.com/",
            ),
            (
                "https://adb-1.2.azuredatabricks.net/?o=1",
                "https://adb-1.2.azuredatabricks.net/",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/"),
            ("http://localhost:1", "http://localhost:1/"),
            ("http://[::1]:9", "http://[::1]:9/"),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize_host(raw).unwrap().as_str(), want, "{raw}");
        }
        for bad in [
            "http://dbc-1.cloud.databricks.com",
            "ftp://x",
            "https://",
            "https://u:p@h",
        ] {
            assert!(normalize_host(bad).is_err(), "{bad}");
        }
    }
}
