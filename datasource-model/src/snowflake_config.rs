//! The `snowflake` block of [`DataSourceConfig`](crate::DataSourceConfig).

use std::collections::HashMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Settings for the Snowflake provider.
///
/// ```yaml
/// provider: snowflake
/// snowflake:
///   account: myorg-myaccount          # or `host: https://myorg-myaccount.snowflakecomputing.com`
///   user: ANALYST_SVC
///   role: ANALYST
///   warehouse: COMPUTE_WH
///   database: SALES
///   schema: PUBLIC
///   cortex_analyst: true               # answer `ask` with Cortex Analyst
///   auth:
///     type: keypair
///     private_key_path: /secrets/rsa_key.p8
///     passphrase_env: SNOWFLAKE_PRIVATE_KEY_PASSPHRASE
/// ```
///
/// `auth` is one of `{type: keypair, private_key_path | private_key_env, passphrase_env?}`,
/// `{type: oauth, token | token_env}` or `{type: pat, token | token_env}`. Secrets given inline
/// (`token`) are never serialised back out; prefer `*_env` names.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct SnowflakeConfig {
    /// Account identifier (`ORG-ACCOUNT`, or a legacy locator such as `xy12345.us-east-2.aws`).
    /// May be omitted when `host` is given; it is then the host's first label.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub account: String,
    /// Base URL or host name; default `https://<account>.snowflakecomputing.com`.
    #[serde(
        default,
        alias = "account_url",
        alias = "accountUrl",
        skip_serializing_if = "Option::is_none"
    )]
    pub host: Option<String>,
    /// Login name (required for key-pair auth).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Role; absent: the user's default role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Virtual warehouse that runs statements.
    pub warehouse: String,
    /// Database holding the semantic views.
    pub database: String,
    /// Restrict discovery to this schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// How to authenticate.
    pub auth: SnowflakeAuth,
    /// Answer `ask` through Cortex Analyst.
    #[serde(default, alias = "cortexAnalyst")]
    pub cortex_analyst: bool,
    /// Semantic view Cortex Analyst uses when `ask` names no model.
    #[serde(
        default,
        alias = "semanticView",
        skip_serializing_if = "Option::is_none"
    )]
    pub semantic_view: Option<String>,
    /// Statement timeout in seconds (sent as `timeout`; Snowflake cancels longer statements).
    #[serde(
        default,
        alias = "timeoutSeconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout_seconds: Option<u64>,
}

/// How the Snowflake provider authenticates.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
#[non_exhaustive]
pub enum SnowflakeAuth {
    /// Key-pair JWT (`KEYPAIR_JWT`) from an RSA PKCS#8 PEM private key.
    #[serde(alias = "key_pair", alias = "keyPair", alias = "snowflake_jwt")]
    Keypair {
        /// File holding the PEM key.
        #[serde(
            default,
            alias = "privateKeyPath",
            skip_serializing_if = "Option::is_none"
        )]
        private_key_path: Option<PathBuf>,
        /// Environment variable holding the PEM key text.
        #[serde(
            default,
            alias = "privateKeyEnv",
            skip_serializing_if = "Option::is_none"
        )]
        private_key_env: Option<String>,
        /// Environment variable holding the passphrase of an encrypted key.
        #[serde(
            default,
            alias = "passphraseEnv",
            skip_serializing_if = "Option::is_none"
        )]
        passphrase_env: Option<String>,
    },
    /// OAuth access token (`OAUTH`).
    #[serde(alias = "OAuth")]
    Oauth {
        /// The token. Never serialised.
        #[serde(default, skip_serializing)]
        #[schemars(with = "Option<String>")]
        token: Option<SecretString>,
        /// Environment variable holding the token.
        #[serde(default, alias = "tokenEnv", skip_serializing_if = "Option::is_none")]
        token_env: Option<String>,
    },
    /// Programmatic access token (`PROGRAMMATIC_ACCESS_TOKEN`).
    #[serde(alias = "PAT", alias = "programmatic_access_token")]
    Pat {
        /// The token. Never serialised.
        #[serde(default, skip_serializing)]
        #[schemars(with = "Option<String>")]
        token: Option<SecretString>,
        /// Environment variable holding the token.
        #[serde(default, alias = "tokenEnv", skip_serializing_if = "Option::is_none")]
        token_env: Option<String>,
    },
}

impl Default for SnowflakeAuth {
    fn default() -> Self {
        Self::Pat {
            token: None,
            token_env: Some("SNOWFLAKE_TOKEN".into()),
        }
    }
}

impl SnowflakeAuth {
    /// Key-pair auth from a PEM file.
    pub fn keypair_file(path: impl Into<PathBuf>) -> Self {
        Self::Keypair {
            private_key_path: Some(path.into()),
            private_key_env: None,
            passphrase_env: None,
        }
    }
    /// An OAuth access token.
    pub fn oauth(token: impl Into<String>) -> Self {
        Self::Oauth {
            token: Some(SecretString::from(token.into())),
            token_env: None,
        }
    }
    /// A programmatic access token.
    pub fn pat(token: impl Into<String>) -> Self {
        Self::Pat {
            token: Some(SecretString::from(token.into())),
            token_env: None,
        }
    }
    /// A programmatic access token read from `env` when the source is built.
    pub fn pat_env(env: impl Into<String>) -> Self {
        Self::Pat {
            token: None,
            token_env: Some(env.into()),
        }
    }
}

impl SnowflakeConfig {
    /// Settings for an account, warehouse and database; `auth` says how to log in.
    pub fn new(
        account: impl Into<String>,
        warehouse: impl Into<String>,
        database: impl Into<String>,
        auth: SnowflakeAuth,
    ) -> Self {
        Self {
            account: account.into(),
            warehouse: warehouse.into(),
            database: database.into(),
            auth,
            ..Self::default()
        }
    }
    /// Override the base URL (tests, PrivateLink).
    pub fn with_host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }
    /// Set the user.
    pub fn with_user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }
    /// Set the role.
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.role = Some(role.into());
        self
    }
    /// Restrict discovery to a schema.
    pub fn with_schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }
    /// Answer `ask` with Cortex Analyst (optionally with a default semantic view).
    pub fn with_cortex_analyst(mut self, semantic_view: Option<String>) -> Self {
        self.cortex_analyst = true;
        self.semantic_view = semantic_view;
        self
    }

    /// The base URL: `host` (a URL or a bare host name) or
    /// `https://<account>.snowflakecomputing.com`.
    pub fn base_url(&self) -> Result<String> {
        let url = match self.host.as_deref().map(str::trim) {
            Some(h) if h.starts_with("http://") || h.starts_with("https://") => h.to_string(),
            Some(h) if !h.is_empty() => format!("https://{h}"),
            _ => {
                if self.account.trim().is_empty() {
                    return Err(Error::invalid_config(
                        "`snowflake.account` (or `snowflake.host`) is required, e.g. `account: myorg-myaccount`",
                    ));
                }
                format!(
                    "https://{}.snowflakecomputing.com",
                    self.account.trim().to_ascii_lowercase()
                )
            }
        };
        Ok(url.trim_end_matches('/').to_string())
    }

    /// The account identifier: `account`, or the first label of `host`.
    pub fn account_identifier(&self) -> Result<String> {
        if !self.account.trim().is_empty() {
            return Ok(self.account.trim().to_string());
        }
        let base = self.base_url()?;
        let host = base
            .split("://")
            .nth(1)
            .unwrap_or(&base)
            .split(['/', ':'])
            .next()
            .unwrap_or_default();
        let account = host
            .strip_suffix(".snowflakecomputing.com")
            .map(|a| a.trim_end_matches(".privatelink"))
            .unwrap_or(host);
        Ok(account.to_string())
    }

    /// Check the block is complete.
    pub fn validate(&self) -> Result<()> {
        self.base_url()?;
        if self.warehouse.trim().is_empty() || self.database.trim().is_empty() {
            return Err(Error::invalid_config(
                "`snowflake.warehouse` and `snowflake.database` must not be empty",
            ));
        }
        match &self.auth {
            SnowflakeAuth::Keypair {
                private_key_path,
                private_key_env,
                ..
            } => {
                if private_key_path.is_none() && private_key_env.is_none() {
                    return Err(Error::invalid_config(
                        "`snowflake.auth` type keypair needs `private_key_path` or `private_key_env`",
                    ));
                }
                if self.user.as_deref().is_none_or(|u| u.trim().is_empty()) {
                    return Err(Error::invalid_config(
                        "`snowflake.user` is required for key-pair auth (the JWT names the user)",
                    ));
                }
            }
            SnowflakeAuth::Oauth { token, token_env } | SnowflakeAuth::Pat { token, token_env } => {
                if token.is_none() && token_env.is_none() {
                    return Err(Error::invalid_config(
                        "`snowflake.auth` needs `token_env` (the variable holding the token) or `token`",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Build from environment variables, with the names the official Snowflake connectors and
    /// CLI use:
    ///
    /// | Variable | Meaning |
    /// |---|---|
    /// | `SNOWFLAKE_ACCOUNT`, `SNOWFLAKE_HOST` | account identifier / host override |
    /// | `SNOWFLAKE_USER`, `SNOWFLAKE_ROLE`, `SNOWFLAKE_WAREHOUSE`, `SNOWFLAKE_DATABASE`, `SNOWFLAKE_SCHEMA` | session |
    /// | `SNOWFLAKE_AUTHENTICATOR` | `SNOWFLAKE_JWT`, `OAUTH` or `PROGRAMMATIC_ACCESS_TOKEN` (default: key pair when a key is set, else OAuth) |
    /// | `SNOWFLAKE_PRIVATE_KEY_PATH` (or `SNOWFLAKE_PRIVATE_KEY_FILE`), `SNOWFLAKE_PRIVATE_KEY` | PEM key file / PEM text |
    /// | `SNOWFLAKE_PRIVATE_KEY_PASSPHRASE` (or `SNOWFLAKE_PRIVATE_KEY_FILE_PWD`) | passphrase of an encrypted key |
    /// | `SNOWFLAKE_TOKEN` | OAuth access token or programmatic access token |
    /// | `SNOWFLAKE_CORTEX_ANALYST`, `SNOWFLAKE_SEMANTIC_VIEW` | `true` to answer `ask`; default view |
    pub fn from_env_map(vars: &HashMap<String, String>) -> Result<Self> {
        let get = |k: &str| vars.get(k).cloned();
        let required = |k: &str| {
            get(k).ok_or_else(|| {
                Error::invalid_config(format!("{k} is not set; the Snowflake provider needs it"))
            })
        };
        let key_path =
            get("SNOWFLAKE_PRIVATE_KEY_PATH").or_else(|| get("SNOWFLAKE_PRIVATE_KEY_FILE"));
        let key_text = get("SNOWFLAKE_PRIVATE_KEY").map(|_| "SNOWFLAKE_PRIVATE_KEY".to_string());
        let passphrase_env = [
            "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE",
            "SNOWFLAKE_PRIVATE_KEY_FILE_PWD",
        ]
        .into_iter()
        .find(|k| vars.contains_key(*k))
        .map(str::to_string);
        let authenticator = get("SNOWFLAKE_AUTHENTICATOR").map(|a| a.trim().to_ascii_uppercase());
        let token = get("SNOWFLAKE_TOKEN").map(SecretString::from);
        let keypair = || SnowflakeAuth::Keypair {
            private_key_path: key_path.clone().map(PathBuf::from),
            private_key_env: key_text.clone(),
            passphrase_env: passphrase_env.clone(),
        };
        let auth = match authenticator.as_deref() {
            Some("SNOWFLAKE_JWT") => keypair(),
            Some("OAUTH") => SnowflakeAuth::Oauth {
                token,
                token_env: None,
            },
            Some("PROGRAMMATIC_ACCESS_TOKEN") => SnowflakeAuth::Pat {
                token,
                token_env: None,
            },
            Some(other) => {
                return Err(Error::invalid_config(format!(
                    "SNOWFLAKE_AUTHENTICATOR=`{other}` is not supported; use SNOWFLAKE_JWT, OAUTH or PROGRAMMATIC_ACCESS_TOKEN"
                )));
            }
            None if key_path.is_some() || key_text.is_some() => keypair(),
            None => SnowflakeAuth::Oauth {
                token,
                token_env: None,
            },
        };
        let config = Self {
            account: get("SNOWFLAKE_ACCOUNT").unwrap_or_default(),
            host: get("SNOWFLAKE_HOST"),
            user: get("SNOWFLAKE_USER"),
            role: get("SNOWFLAKE_ROLE"),
            warehouse: required("SNOWFLAKE_WAREHOUSE")?,
            database: required("SNOWFLAKE_DATABASE")?,
            schema: get("SNOWFLAKE_SCHEMA"),
            auth,
            cortex_analyst: get("SNOWFLAKE_CORTEX_ANALYST")
                .is_some_and(|v| matches!(v.trim(), "1" | "true" | "TRUE" | "yes")),
            semantic_view: get("SNOWFLAKE_SEMANTIC_VIEW"),
            timeout_seconds: None,
        };
        config.validate()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DataSourceConfig, Provider};
    use secrecy::ExposeSecret;

    #[test]
    fn yaml_json_and_env_agree() {
        let yaml = r#"
provider: snowflake
maxRows: 50
snowflake:
  account: myorg-acct
  user: svc
  role: ANALYST
  warehouse: WH
  database: SALES
  schema: PUBLIC
  cortexAnalyst: true
  auth: {type: keypair, privateKeyPath: /k/rsa_key.p8, passphraseEnv: SNOWFLAKE_PRIVATE_KEY_PASSPHRASE}
"#;
        let a = DataSourceConfig::from_yaml(yaml).unwrap();
        let json = r#"{"provider":"snowflake","max_rows":50,"snowflake":{"account":"myorg-acct","user":"svc","role":"ANALYST","warehouse":"WH","database":"SALES","schema":"PUBLIC","cortex_analyst":true,"auth":{"type":"keypair","private_key_path":"/k/rsa_key.p8","passphrase_env":"SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"}}}"#;
        let b = DataSourceConfig::from_json(json).unwrap();
        let c = DataSourceConfig::from_env_vars([
            ("DATASOURCE_PROVIDER", "snowflake"),
            ("DATASOURCE_MAX_ROWS", "50"),
            ("SNOWFLAKE_ACCOUNT", "myorg-acct"),
            ("SNOWFLAKE_USER", "svc"),
            ("SNOWFLAKE_ROLE", "ANALYST"),
            ("SNOWFLAKE_WAREHOUSE", "WH"),
            ("SNOWFLAKE_DATABASE", "SALES"),
            ("SNOWFLAKE_SCHEMA", "PUBLIC"),
            ("SNOWFLAKE_CORTEX_ANALYST", "true"),
            ("SNOWFLAKE_PRIVATE_KEY_PATH", "/k/rsa_key.p8"),
            ("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", "x"),
        ])
        .unwrap();
        for cfg in [&a, &b, &c] {
            assert_eq!(cfg.provider, Provider::Snowflake);
            let s = cfg.snowflake.as_ref().unwrap();
            assert_eq!(
                s.base_url().unwrap(),
                "https://myorg-acct.snowflakecomputing.com"
            );
            assert_eq!(s.user.as_deref(), Some("svc"));
            assert!(s.cortex_analyst);
            match &s.auth {
                SnowflakeAuth::Keypair {
                    private_key_path,
                    passphrase_env,
                    ..
                } => {
                    assert_eq!(
                        private_key_path.as_deref(),
                        Some(std::path::Path::new("/k/rsa_key.p8"))
                    );
                    assert_eq!(
                        passphrase_env.as_deref(),
                        Some("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE")
                    );
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn tokens_and_host_forms() {
        let c = DataSourceConfig::from_env_vars([
            ("DATASOURCE_PROVIDER", "snowflake"),
            (
                "SNOWFLAKE_HOST",
                "myorg-acct.privatelink.snowflakecomputing.com",
            ),
            ("SNOWFLAKE_WAREHOUSE", "WH"),
            ("SNOWFLAKE_DATABASE", "SALES"),
            ("SNOWFLAKE_AUTHENTICATOR", "programmatic_access_token"),
            ("SNOWFLAKE_TOKEN", "pat-secret-zz"),
        ])
        .unwrap();
        let s = c.snowflake.as_ref().unwrap();
        assert_eq!(s.account_identifier().unwrap(), "myorg-acct");
        assert_eq!(
            s.base_url().unwrap(),
            "https://myorg-acct.privatelink.snowflakecomputing.com"
        );
        match &s.auth {
            SnowflakeAuth::Pat { token, .. } => {
                assert_eq!(token.as_ref().unwrap().expose_secret(), "pat-secret-zz");
            }
            other => panic!("{other:?}"),
        }
        assert!(!format!("{c:?}").contains("pat-secret-zz"));
        assert!(!serde_json::to_string(&c).unwrap().contains("pat-secret-zz"));
    }

    #[test]
    fn errors_name_the_fix() {
        let e = DataSourceConfig::from_yaml("provider: snowflake\n").unwrap_err();
        assert!(e.to_string().contains("`snowflake` block"), "{e}");
        let e = DataSourceConfig::from_yaml(
            "provider: snowflake\nsnowflake: {account: a, warehouse: W, database: D, auth: {type: keypair, private_key_path: k.p8}}\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("snowflake.user"), "{e}");
        let e = DataSourceConfig::from_yaml(
            "provider: snowflake\nsnowflake: {warehouse: W, database: D, auth: {type: pat, token_env: T}}\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("snowflake.account"), "{e}");
        let e = DataSourceConfig::from_env_vars([
            ("DATASOURCE_PROVIDER", "snowflake"),
            ("SNOWFLAKE_ACCOUNT", "a"),
            ("SNOWFLAKE_WAREHOUSE", "W"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("SNOWFLAKE_DATABASE"), "{e}");
    }
}
