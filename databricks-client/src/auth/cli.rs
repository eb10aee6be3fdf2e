//! `databricks-cli`: the Databricks CLI's U2M login cache, read through `databricks auth token`.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::header::HeaderMap;
use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use super::cache::{Clock, Fetched, RefreshingToken, TokenSource};
use super::exec::{HELPER_TIMEOUT, first_line, parse_rfc3339, run};
use super::oauth::auth_error;
use super::{CredentialsProvider, bearer};
use crate::error::Result;

const AUTH_TYPE: &str = "databricks-cli";

/// Runs `databricks auth token --host <host>` and caches the token until its `expiry`.
#[derive(Clone)]
pub(crate) struct DatabricksCliCredentials {
    program: PathBuf,
    cache: RefreshingToken,
}

impl fmt::Debug for DatabricksCliCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabricksCliCredentials")
            .field("program", &self.program)
            .finish_non_exhaustive()
    }
}

struct CliSource {
    program: PathBuf,
    host: String,
    account_id: Option<String>,
    path_var: Option<String>,
}

#[derive(Deserialize)]
struct CliToken {
    access_token: String,
    #[serde(default)]
    expiry: Option<String>,
}

#[async_trait]
impl TokenSource for CliSource {
    async fn fetch(&self) -> Result<Fetched> {
        let mut args = vec![
            "auth".to_owned(),
            "token".to_owned(),
            "--host".to_owned(),
            self.host.clone(),
        ];
        if let Some(account) = &self.account_id {
            args.push("--account-id".to_owned());
            args.push(account.clone());
        }
        let out = run(
            AUTH_TYPE,
            self.program.clone(),
            args,
            self.path_var.clone(),
            HELPER_TIMEOUT,
        )
        .await?;
        let login = format!("run `databricks auth login --host {}`", self.host);
        if !out.success {
            let detail = first_line(&out.stderr);
            let lower = out.stderr.to_ascii_lowercase();
            let message = if lower.contains("not configured")
                || lower.contains("auth login")
                || lower.contains("refresh token")
                || lower.contains("no token")
            {
                format!(
                    "the Databricks CLI is not logged in to {} ({detail}); {login}",
                    self.host
                )
            } else {
                format!(
                    "`databricks auth token` failed ({detail}); {login}, or set DATABRICKS_CLI_PATH to a current Databricks CLI"
                )
            };
            return Err(auth_error(AUTH_TYPE, message));
        }
        let parsed: CliToken = serde_json::from_slice(&out.stdout).map_err(|e| {
            auth_error(
                AUTH_TYPE,
                format!(
                    "`databricks auth token` printed no token JSON ({e}); is {} the new Databricks \
                     CLI (v0.200+)? Set DATABRICKS_CLI_PATH to it",
                    self.program.display()
                ),
            )
        })?;
        let access = SecretString::from(parsed.access_token);
        match parsed.expiry.as_deref().and_then(parse_rfc3339) {
            Some(expiry) => Ok(Fetched::until(access, expiry)),
            None => Err(auth_error(
                AUTH_TYPE,
                "`databricks auth token` printed no valid `expiry`; upgrade the Databricks CLI"
                    .to_owned(),
            )),
        }
    }
}

impl DatabricksCliCredentials {
    pub(crate) fn new(
        program: PathBuf,
        host: &Url,
        account_id: Option<String>,
        path_var: Option<String>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let source = CliSource {
            program: program.clone(),
            host: host.as_str().trim_end_matches('/').to_owned(),
            account_id,
            path_var,
        };
        Self {
            program,
            cache: RefreshingToken::new(AUTH_TYPE, source, clock),
        }
    }
}

#[async_trait]
impl CredentialsProvider for DatabricksCliCredentials {
    fn auth_type(&self) -> &str {
        AUTH_TYPE
    }

    async fn headers(&self) -> Result<HeaderMap> {
        bearer(AUTH_TYPE, &self.cache.token().await?)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::*;
    use crate::auth::cache::tests::ManualClock;
    use secrecy::ExposeSecret;

    /// Writes an executable shell script.
    pub(crate) fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    /// A fake `databricks` that logs its arguments and prints a new token each call.
    fn fake_cli(dir: &Path, lifetime_secs: u64) -> PathBuf {
        script(
            dir,
            "databricks",
            &format!(
                r#"d="$(dirname "$0")"
echo "$@" >> "$d/args"
n=$(( $(cat "$d/count" 2>/dev/null || echo 0) + 1 ))
echo $n > "$d/count"
exp=$(date -u -d "@$(( $(date +%s) + {lifetime_secs} ))" +%Y-%m-%dT%H:%M:%S.000000Z)
printf '{{"access_token":"cli-token-%s","token_type":"Bearer","expiry":"%s"}}' "$n" "$exp""#
            ),
        )
    }

    fn creds(program: PathBuf, clock: Arc<ManualClock>) -> DatabricksCliCredentials {
        DatabricksCliCredentials::new(
            program,
            &Url::parse("https://dbc-1.cloud.databricks.com/").unwrap(),
            None,
            None,
            clock,
        )
    }

    #[tokio::test]
    async fn runs_auth_token_caches_and_refreshes_after_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new();
        let c = creds(fake_cli(dir.path(), 3600), Arc::clone(&clock));
        assert_eq!(
            c.cache.token().await.unwrap().expose_secret(),
            "cli-token-1"
        );
        assert_eq!(
            c.cache.token().await.unwrap().expose_secret(),
            "cli-token-1"
        );
        let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
        assert_eq!(
            args.trim(),
            "auth token --host https://dbc-1.cloud.databricks.com"
        );
        clock.advance(Duration::from_secs(3600));
        assert_eq!(
            c.cache.token().await.unwrap().expose_secret(),
            "cli-token-2"
        );
    }

    #[tokio::test]
    async fn not_logged_in_names_the_login_command() {
        let dir = tempfile::tempdir().unwrap();
        let program = script(
            dir.path(),
            "databricks",
            "echo 'Error: cannot get access token: databricks OAuth is not configured for this host. Try logging in again with `databricks auth login --host https://dbc-1.cloud.databricks.com` before retrying.' >&2; exit 1",
        );
        let err = creds(program, ManualClock::new())
            .cache
            .token()
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("not logged in"), "{text}");
        assert!(
            text.contains("databricks auth login --host https://dbc-1.cloud.databricks.com"),
            "{text}"
        );
        assert!(err.is_unauthenticated());
    }

    #[tokio::test]
    async fn missing_or_legacy_cli_is_explained() {
        let dir = tempfile::tempdir().unwrap();
        let err = creds(dir.path().join("nope"), ManualClock::new())
            .cache
            .token()
            .await
            .unwrap_err();
        assert!(err.to_string().contains("could not run"), "{err}");
        let legacy = script(
            dir.path(),
            "databricks",
            "echo 'Usage: databricks [OPTIONS] COMMAND'",
        );
        let err = creds(legacy, ManualClock::new())
            .cache
            .token()
            .await
            .unwrap_err();
        assert!(err.to_string().contains("DATABRICKS_CLI_PATH"), "{err}");
    }
}
