//! `external-browser`: interactive user-to-machine OAuth (authorization code + PKCE with a
//! loopback redirect), refresh tokens, and the Databricks CLI's token cache.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::OnceCell;
use url::Url;

use super::cache::{EXPIRY_MARGIN, Fetched, RefreshingToken, SystemClock, TokenSource};
use super::oauth::{OAuthToken, TokenRequest, auth_error, discover, request_oauth_token};
use super::token_cache::{CachedLogin, TokenCacheFile};
use super::{CredentialsProvider, bearer};
use crate::error::{Error, Result};

const AUTH_TYPE: &str = "external-browser";

/// Opens the authorization URL in a browser. Returning an error makes the provider print the
/// URL instead (the headless fallback).
pub type BrowserOpener = Arc<dyn Fn(&Url) -> std::io::Result<()> + Send + Sync>;

/// Settings of the `external-browser` strategy; every field has a default.
///
/// ```
/// use std::time::Duration;
/// use databricks_client::ExternalBrowserOptions;
///
/// let options = ExternalBrowserOptions::default()
///     .with_callback_port(8021)
///     .with_login_timeout(Duration::from_secs(120));
/// assert_eq!(options.callback_port, 8021);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct ExternalBrowserOptions {
    /// The OAuth client id (default: the configured `client_id`, else `databricks-cli`).
    pub client_id: Option<String>,
    /// Scopes (default: the configured scopes, `all-apis`, plus `offline_access`).
    pub scopes: Option<Vec<String>>,
    /// Loopback port of the redirect `http://localhost:<port>` (default 8020, as the CLI; 0
    /// picks a free port, for clients whose registration allows any loopback port).
    pub callback_port: u16,
    /// The token cache (default `~/.databricks/token-cache.json`, the CLI's).
    pub token_cache_path: Option<PathBuf>,
    /// How long a login waits for the redirect (default 5 minutes).
    pub login_timeout: Duration,
    /// Opens the browser (default: `xdg-open`, `open` or `rundll32`, then printing the URL).
    pub opener: Option<BrowserOpener>,
}

impl Default for ExternalBrowserOptions {
    fn default() -> Self {
        Self {
            client_id: None,
            scopes: None,
            callback_port: Self::DEFAULT_CALLBACK_PORT,
            token_cache_path: None,
            login_timeout: Self::DEFAULT_LOGIN_TIMEOUT,
            opener: None,
        }
    }
}

impl fmt::Debug for ExternalBrowserOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExternalBrowserOptions")
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .field("callback_port", &self.callback_port)
            .field("token_cache_path", &self.token_cache_path)
            .field("login_timeout", &self.login_timeout)
            .field("opener", &self.opener.as_ref().map(|_| "custom"))
            .finish()
    }
}

impl ExternalBrowserOptions {
    /// The OAuth client the Databricks CLI logs in with; its registered redirect is
    /// `http://localhost:8020`.
    pub const DEFAULT_CLIENT_ID: &'static str = "databricks-cli";
    /// The loopback port of the redirect (the Databricks CLI's).
    pub const DEFAULT_CALLBACK_PORT: u16 = 8020;
    /// How long a login waits for the browser to come back.
    pub const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(300);

    /// The OAuth client id.
    pub fn with_client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The scopes to request (`offline_access` is added for a refresh token).
    pub fn with_scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// The loopback port of the redirect.
    pub fn with_callback_port(mut self, port: u16) -> Self {
        self.callback_port = port;
        self
    }

    /// The token cache file (CLI format).
    pub fn with_token_cache_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.token_cache_path = Some(path.into());
        self
    }

    /// How long a login waits for the redirect.
    pub fn with_login_timeout(mut self, timeout: Duration) -> Self {
        self.login_timeout = timeout;
        self
    }

    /// Opens the authorization URL (e.g. a test's scripted browser).
    pub fn with_opener(
        mut self,
        opener: impl Fn(&Url) -> std::io::Result<()> + Send + Sync + 'static,
    ) -> Self {
        self.opener = Some(Arc::new(opener));
        self
    }
}

/// Interactive U2M credentials, compatible with `databricks auth login`.
///
/// A valid token in the CLI's token cache is used as is; an expired one is refreshed with its
/// refresh token (no browser); only when there is no login, or the refresh token is refused,
/// does a browser login run: authorization code with PKCE (S256) against the workspace's OIDC
/// endpoints, the redirect received on `127.0.0.1:<callback_port>`. The cache file is locked
/// across read–refresh–write so that processes sharing it refresh once. Tokens are then served
/// with the shared cache's early-expiry and single-flight rules. Cheap to clone.
#[derive(Clone)]
pub struct ExternalBrowserCredentials {
    host: Url,
    client_id: String,
    cache_path: PathBuf,
    token: RefreshingToken,
}

impl fmt::Debug for ExternalBrowserCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExternalBrowserCredentials")
            .field("host", &self.host.as_str())
            .field("client_id", &self.client_id)
            .field("token_cache", &self.cache_path)
            .finish_non_exhaustive()
    }
}

impl ExternalBrowserCredentials {
    /// Credentials for the workspace at `host`. Without
    /// [`token_cache_path`](ExternalBrowserOptions::token_cache_path), the cache is
    /// `~/.databricks/token-cache.json` under the user's home directory.
    pub fn new(host: Url, options: ExternalBrowserOptions, http: reqwest::Client) -> Result<Self> {
        Self::build(host, None, &["all-apis".to_owned()], options, None, http)
    }

    /// From a resolved [`Config`](crate::Config): its host, `client_id`, scopes and (for an
    /// accounts host) `account_id`, with `home` locating the default cache.
    pub(crate) fn build(
        host: Url,
        account_id: Option<&str>,
        config_scopes: &[String],
        options: ExternalBrowserOptions,
        home: Option<PathBuf>,
        http: reqwest::Client,
    ) -> Result<Self> {
        let client_id = options
            .client_id
            .clone()
            .unwrap_or_else(|| ExternalBrowserOptions::DEFAULT_CLIENT_ID.to_owned());
        let mut scopes = options
            .scopes
            .clone()
            .unwrap_or_else(|| config_scopes.to_vec());
        if scopes.is_empty() {
            scopes.push("all-apis".to_owned());
        }
        if !scopes.iter().any(|s| s == "offline_access") {
            scopes.push("offline_access".to_owned());
        }
        let cache_path = match (&options.token_cache_path, home.or_else(std::env::home_dir)) {
            (Some(path), _) => path.clone(),
            (None, Some(home)) => home.join(".databricks").join("token-cache.json"),
            (None, None) => {
                return Err(Error::Config(
                    "auth_type external-browser needs a token cache but no home directory is \
                     known: set HOME or ExternalBrowserOptions::with_token_cache_path"
                        .to_owned(),
                ));
            }
        };
        let origin = host.as_str().trim_end_matches('/').to_owned();
        let (key, oidc) = match account_id
            .filter(|_| host.host_str().is_some_and(|h| h.starts_with("accounts.")))
        {
            Some(account) => (
                format!("{origin}/oidc/accounts/{account}"),
                format!("{origin}/oidc/accounts/{account}/"),
            ),
            None => (origin.clone(), format!("{origin}/oidc/")),
        };
        let oidc = Url::parse(&oidc)
            .map_err(|e| Error::Config(format!("host `{host}` gives no OIDC URL: {e}")))?;
        let source = U2mSource {
            host: host.clone(),
            oidc,
            client_id: client_id.clone(),
            scopes: scopes.join(" "),
            port: options.callback_port,
            timeout: options.login_timeout,
            opener: options.opener.clone(),
            cache: TokenCacheFile::new(cache_path.clone()),
            key,
            http,
            endpoints: OnceCell::new(),
            last: Mutex::new(None),
        };
        Ok(Self {
            host,
            client_id,
            cache_path,
            token: RefreshingToken::new(AUTH_TYPE, source, Arc::new(SystemClock)),
        })
    }

    /// A valid access token: from memory, the token cache, a refresh, or a browser login.
    pub async fn token(&self) -> Result<SecretString> {
        self.token.token().await
    }
}

#[async_trait]
impl CredentialsProvider for ExternalBrowserCredentials {
    fn auth_type(&self) -> &str {
        AUTH_TYPE
    }

    async fn headers(&self) -> Result<HeaderMap> {
        let token = self.token().await?;
        bearer(AUTH_TYPE, &token)
    }
}

#[derive(Clone)]
struct Endpoints {
    authorize: Url,
    token: Url,
}

struct U2mSource {
    host: Url,
    /// `{host}/oidc/` (or the account's), base of discovery and the fallback endpoints.
    oidc: Url,
    client_id: String,
    scopes: String,
    port: u16,
    timeout: Duration,
    opener: Option<BrowserOpener>,
    cache: TokenCacheFile,
    key: String,
    http: reqwest::Client,
    endpoints: OnceCell<Endpoints>,
    /// The access token this provider handed out last: a cached token equal to it is the one
    /// being replaced, a different valid one was refreshed by another process.
    last: Mutex<Option<SecretString>>,
}

#[async_trait]
impl TokenSource for U2mSource {
    async fn fetch(&self) -> Result<Fetched> {
        // Held across read–refresh–write: a second process waits here, then finds our token.
        let _lock = self.cache.lock().await?;
        let cached = self.cache.read(&self.key)?;
        if let Some(login) = &cached
            && let Some(expiry) = login.expiry
            && expiry > SystemTime::now() + EXPIRY_MARGIN
            && !self.is_last(&login.access_token)
        {
            tracing::debug!(cache = %self.cache.path().display(), "using the cached U2M token");
            return Ok(self.hand_out(login.access_token.clone(), expiry));
        }
        let endpoints = self.endpoints().await;
        let old_refresh = cached.and_then(|c| c.refresh_token);
        let started = SystemTime::now();
        let token = match &old_refresh {
            Some(refresh) => match self.refresh(&endpoints, refresh).await {
                Ok(token) => token,
                // Refused (expired or revoked): log in again. Unreachable: give up.
                Err(Error::Auth { source: None, .. }) => {
                    tracing::warn!(
                        host = %self.host,
                        "the refresh token was refused; logging in again in a browser"
                    );
                    self.login(&endpoints).await?
                }
                Err(e) => return Err(e),
            },
            None => self.login(&endpoints).await?,
        };
        let expiry = started + token.fetched.lifetime;
        let login = CachedLogin {
            access_token: token.fetched.access.clone(),
            token_type: token.token_type.or_else(|| Some("Bearer".to_owned())),
            refresh_token: token.refresh_token.or(old_refresh),
            expiry: Some(expiry),
        };
        self.cache.write(&self.key, &login)?;
        Ok(self.hand_out(login.access_token, expiry))
    }
}

impl U2mSource {
    fn is_last(&self, token: &SecretString) -> bool {
        self.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .is_some_and(|l| l.expose_secret() == token.expose_secret())
    }

    fn hand_out(&self, access: SecretString, expiry: SystemTime) -> Fetched {
        *self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(access.clone());
        Fetched::until(access, expiry)
    }

    /// The authorization and token endpoints: from discovery when they are on the host's own
    /// origin, else `{oidc}/v1/authorize` and `{oidc}/v1/token`. Resolved once.
    async fn endpoints(&self) -> Endpoints {
        self.endpoints
            .get_or_init(|| async {
                let fallback =
                    |path: &str| self.oidc.join(path).unwrap_or_else(|_| self.oidc.clone());
                let found = discover(&self.http, &self.oidc, &self.host).await;
                Endpoints {
                    authorize: found.authorize.unwrap_or_else(|| fallback("v1/authorize")),
                    token: found.token.unwrap_or_else(|| fallback("v1/token")),
                }
            })
            .await
            .clone()
    }

    async fn refresh(&self, endpoints: &Endpoints, refresh: &SecretString) -> Result<OAuthToken> {
        tracing::debug!(host = %self.host, "refreshing the U2M token");
        let fix = format!(
            "the refresh token expired or was revoked; log in again (`databricks auth login \
             --host {}`)",
            self.host.as_str().trim_end_matches('/')
        );
        request_oauth_token(
            &self.http,
            TokenRequest {
                auth_type: AUTH_TYPE,
                endpoint: &endpoints.token,
                basic: None,
                form: &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh.expose_secret()),
                    ("client_id", &self.client_id),
                ],
                fix: &fix,
            },
        )
        .await
    }

    async fn login(&self, endpoints: &Endpoints) -> Result<OAuthToken> {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .map_err(|e| {
                auth_error(
                    AUTH_TYPE,
                    format!(
                        "could not listen on 127.0.0.1:{} for the login redirect ({e}); finish \
                         or close the other login using that port, or set another callback port",
                        self.port
                    ),
                )
            })?;
        let port = listener
            .local_addr()
            .map_err(|e| auth_error(AUTH_TYPE, format!("no local address: {e}")))?
            .port();
        let redirect_uri = format!("http://localhost:{port}");
        let pkce = Pkce::new()?;
        let state = random_urlsafe(16)?;
        let mut url = endpoints.authorize.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("scope", &self.scopes)
            .append_pair("state", state.expose_secret())
            .append_pair("code_challenge", &pkce.challenge)
            .append_pair("code_challenge_method", "S256");
        self.open(&url).await;
        let code = tokio::time::timeout(self.timeout, await_callback(&listener, &state))
            .await
            .map_err(|_| {
                auth_error(
                    AUTH_TYPE,
                    format!(
                        "no login came back within {} s; open the printed URL in a browser on \
                         this machine and log in, or raise the login timeout",
                        self.timeout.as_secs()
                    ),
                )
            })??;
        drop(listener);
        let fix = "log in again; the authorization code is single-use and expires quickly";
        request_oauth_token(
            &self.http,
            TokenRequest {
                auth_type: AUTH_TYPE,
                endpoint: &endpoints.token,
                basic: None,
                form: &[
                    ("grant_type", "authorization_code"),
                    ("code", code.expose_secret()),
                    ("redirect_uri", &redirect_uri),
                    ("code_verifier", pkce.verifier.expose_secret()),
                    ("client_id", &self.client_id),
                ],
                fix,
            },
        )
        .await
    }

    /// Runs the opener; when it fails (no browser, headless), prints the URL to stderr.
    async fn open(&self, url: &Url) {
        let opener = self.opener.clone();
        let target = url.clone();
        let opened = tokio::task::spawn_blocking(move || match opener {
            Some(open) => open(&target),
            None => default_opener(&target),
        })
        .await
        .map_err(std::io::Error::other)
        .and_then(|r| r);
        match opened {
            Ok(()) => tracing::info!(host = %self.host, "opened a browser to log in"),
            Err(e) => {
                tracing::info!(error = %e, "no browser could be opened; printing the login URL");
                eprintln!(
                    "To log in to {}, open this URL in a browser on this machine:\n{url}",
                    self.host.as_str().trim_end_matches('/')
                );
            }
        }
    }
}

/// The platform's URL opener.
fn default_opener(url: &Url) -> std::io::Result<()> {
    let candidates: &[(&str, &[&str])] = if cfg!(target_os = "macos") {
        &[("open", &[])]
    } else if cfg!(windows) {
        &[("rundll32", &["url.dll,FileProtocolHandler"])]
    } else {
        &[("xdg-open", &[]), ("open", &[])]
    };
    let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "no URL opener");
    for (program, args) in candidates {
        match std::process::Command::new(program)
            .args(*args)
            .arg(url.as_str())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
        {
            Ok(status) if status.success() => return Ok(()),
            Ok(status) => last = std::io::Error::other(format!("{program} exited with {status}")),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// A PKCE pair (RFC 7636, S256): a verifier of 86 unreserved characters from the OS CSPRNG and
/// its challenge `BASE64URL(SHA256(verifier))`.
struct Pkce {
    verifier: SecretString,
    challenge: String,
}

impl Pkce {
    fn new() -> Result<Self> {
        let verifier = random_urlsafe(64)?;
        let challenge = challenge_for(verifier.expose_secret());
        Ok(Self {
            verifier,
            challenge,
        })
    }
}

fn challenge_for(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `n` random bytes as unpadded base64url (only unreserved characters).
fn random_urlsafe(n: usize) -> Result<SecretString> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| {
        auth_error(
            AUTH_TYPE,
            format!("the operating system's random number generator failed: {e}"),
        )
    })?;
    Ok(SecretString::from(URL_SAFE_NO_PAD.encode(&bytes)))
}

/// The largest request head read from the redirect.
const MAX_HEAD: usize = 16 * 1024;

/// Serves the loopback redirect until a request carries `code`/`error` and `state`; other
/// requests (a favicon) get 404. A wrong `state` ends the login with an error. Connections are
/// served concurrently, so a browser's idle pre-connection cannot stall the real redirect.
async fn await_callback(listener: &TcpListener, state: &SecretString) -> Result<SecretString> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<SecretString>>(1);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let tx = tx.clone();
                let state = state.clone();
                connections.spawn(async move {
                    if let Some(outcome) = serve_callback(stream, &state).await {
                        let _ = tx.send(outcome).await;
                    }
                });
            }
            Some(outcome) = rx.recv() => return outcome,
        }
    }
}

/// One connection to the loopback listener: `Some` when it was the login redirect.
async fn serve_callback(
    mut stream: TcpStream,
    state: &SecretString,
) -> Option<Result<SecretString>> {
    let target = tokio::time::timeout(Duration::from_secs(10), read_target(&mut stream))
        .await
        .ok()
        .and_then(std::result::Result::ok)
        .flatten();
    let Some(url) = target.and_then(|t| {
        Url::parse("http://localhost/")
            .and_then(|base| base.join(&t))
            .ok()
    }) else {
        respond(&mut stream, 400, "Bad request.").await;
        return None;
    };
    let params: HashMap<String, String> = url.query_pairs().into_owned().collect();
    if !params.contains_key("code") && !params.contains_key("error") {
        respond(&mut stream, 404, "Not the login callback.").await;
        return None;
    }
    if params.get("state").map(String::as_str) != Some(state.expose_secret()) {
        respond(
            &mut stream,
            400,
            "Login refused: the state does not match. Start the login again.",
        )
        .await;
        return Some(Err(auth_error(
            AUTH_TYPE,
            "the login redirect carried a state that does not match this login (a stale tab \
             or a forged request); start the login again and use the newest browser tab"
                .to_owned(),
        )));
    }
    if let Some(error) = params.get("error") {
        respond(&mut stream, 400, "Login failed. You can close this tab.").await;
        let detail = params
            .get("error_description")
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        return Some(Err(auth_error(
            AUTH_TYPE,
            format!(
                "the authorization server refused the login ({error}{detail}); check that you \
                 may use this workspace and that the OAuth client is enabled"
            ),
        )));
    }
    let Some(code) = params.get("code").filter(|c| !c.is_empty()) else {
        respond(&mut stream, 400, "Bad request.").await;
        return None;
    };
    respond(
        &mut stream,
        200,
        "Logged in to Databricks. You can close this tab.",
    )
    .await;
    Some(Ok(SecretString::from(code.clone())))
}

/// The request target of a `GET` request head, or `None` for anything else.
async fn read_target(stream: &mut TcpStream) -> std::io::Result<Option<String>> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_HEAD {
            return Ok(None);
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut parts = text.lines().next().unwrap_or_default().split(' ');
    match (parts.next(), parts.next()) {
        (Some("GET"), Some(target)) if target.starts_with('/') => Ok(Some(target.to_owned())),
        _ => Ok(None),
    }
}

async fn respond(stream: &mut TcpStream, status: u16, message: &str) {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Databricks login</title>\
         </head><body><p>{message}</p></body></html>"
    );
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_verifier_is_long_unreserved_and_random() {
        let a = Pkce::new().unwrap();
        let b = Pkce::new().unwrap();
        let v = a.verifier.expose_secret();
        assert!((43..=128).contains(&v.len()), "{}", v.len());
        assert!(
            v.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~'))
        );
        assert_ne!(v, b.verifier.expose_secret());
        assert_eq!(a.challenge, challenge_for(v));
        // RFC 7636 appendix B.
        assert_eq!(
            challenge_for("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
