//! `external-browser` (U2M) end to end: a fake authorization server and token endpoint on
//! 127.0.0.1, a scripted browser stand-in (an HTTP client following the authorization URL and
//! its redirect to the loopback listener), the CLI-format token cache, refresh tokens, and
//! concurrent refreshers (tasks and processes) sharing one refresh.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use databricks_client::{
    AuthType, Config, ExternalBrowserCredentials, ExternalBrowserOptions, WorkspaceClient,
};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use url::Url;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

type Params = HashMap<String, String>;

fn query(req: &Request) -> Params {
    req.url.query_pairs().into_owned().collect()
}

fn form(req: &Request) -> Params {
    url::form_urlencoded::parse(&req.body)
        .into_owned()
        .collect()
}

/// What the fake authorization server saw.
#[derive(Clone, Default)]
struct Seen {
    authorize: Arc<Mutex<Vec<Params>>>,
    token: Arc<Mutex<Vec<Params>>>,
}

/// How the fake authorization server answers `/oidc/v1/authorize`.
#[derive(Clone, Copy)]
enum Authorize {
    /// 302 to the redirect URI with `code=CODE-1` and the request's state.
    Grant,
    /// 302 with a state that is not the request's.
    WrongState,
    /// 302 with `error=access_denied`.
    Deny,
}

async fn fake_idp(server: &MockServer, seen: &Seen, authorize: Authorize, token_delay: Duration) {
    let log = Arc::clone(&seen.authorize);
    Mock::given(method("GET"))
        .and(path("/oidc/v1/authorize"))
        .respond_with(move |req: &Request| {
            let q = query(req);
            log.lock().unwrap().push(q.clone());
            let mut to = Url::parse(&q["redirect_uri"]).unwrap();
            match authorize {
                Authorize::Grant => to
                    .query_pairs_mut()
                    .append_pair("code", "CODE-1")
                    .append_pair("state", &q["state"]),
                Authorize::WrongState => to
                    .query_pairs_mut()
                    .append_pair("code", "CODE-1")
                    .append_pair("state", "forged-state"),
                Authorize::Deny => to
                    .query_pairs_mut()
                    .append_pair("error", "access_denied")
                    .append_pair("error_description", "user said no")
                    .append_pair("state", &q["state"]),
            };
            ResponseTemplate::new(302).insert_header("location", to.as_str())
        })
        .mount(server)
        .await;
    let log = Arc::clone(&seen.token);
    let n = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/oidc/v1/token"))
        .respond_with(move |req: &Request| {
            let f = form(req);
            log.lock().unwrap().push(f.clone());
            let i = n.fetch_add(1, Ordering::SeqCst) + 1;
            let body = match f.get("grant_type").map(String::as_str) {
                Some("authorization_code") if f.get("code").map(String::as_str) == Some("CODE-1") => {
                    serde_json::json!({
                        "access_token": format!("ACCESS-LOGIN-{i}"), "token_type": "Bearer",
                        "refresh_token": "REFRESH-1", "expires_in": 3600, "scope": "all-apis offline_access"
                    })
                }
                Some("refresh_token") if f.get("refresh_token").map(String::as_str) == Some("REFRESH-0") => {
                    serde_json::json!({
                        "access_token": format!("ACCESS-REFRESHED-{i}"), "token_type": "Bearer",
                        "refresh_token": "REFRESH-2", "expires_in": 3600
                    })
                }
                _ => {
                    return ResponseTemplate::new(400)
                        .set_body_json(serde_json::json!({"error": "invalid_grant"}));
                }
            };
            ResponseTemplate::new(200)
                .set_body_json(body)
                .set_delay(token_delay)
        })
        .mount(server)
        .await;
}

/// A scripted browser: GETs the authorization URL and follows its redirect to the loopback
/// listener. Counts how often it was opened.
fn scripted_browser(
    opened: Arc<AtomicUsize>,
) -> impl Fn(&Url) -> std::io::Result<()> + Send + Sync {
    let handle = tokio::runtime::Handle::current();
    move |url: &Url| {
        opened.fetch_add(1, Ordering::SeqCst);
        let url = url.clone();
        handle.spawn(async move {
            let _ = reqwest::Client::new().get(url).send().await;
        });
        Ok(())
    }
}

/// An opener that must not be used: the test fails through the count, and the provider
/// prints the URL (headless fallback).
fn no_browser(opened: Arc<AtomicUsize>) -> impl Fn(&Url) -> std::io::Result<()> + Send + Sync {
    move |_: &Url| {
        opened.fetch_add(1, Ordering::SeqCst);
        Err(std::io::Error::other("no display"))
    }
}

fn options(cache: &Path) -> ExternalBrowserOptions {
    ExternalBrowserOptions::default()
        .with_callback_port(0)
        .with_token_cache_path(cache)
        .with_login_timeout(Duration::from_secs(10))
}

fn provider(server: &MockServer, options: ExternalBrowserOptions) -> ExternalBrowserCredentials {
    ExternalBrowserCredentials::new(
        Url::parse(&server.uri()).unwrap(),
        options,
        reqwest::Client::new(),
    )
    .unwrap()
}

fn read_cache(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn rfc3339(at: SystemTime) -> String {
    // Seconds since the epoch as a UTC civil time, via the same algorithm the CLI's Go uses.
    let secs = at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+00:00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A CLI-format cache holding `key` (plus another workspace and an unknown field).
fn write_cache(path: &Path, key: &str, access: &str, refresh: &str, expiry: SystemTime) {
    let doc = serde_json::json!({
        "version": 1,
        "tokens": {
            key: {
                "access_token": access, "token_type": "Bearer", "refresh_token": refresh,
                "expiry": rfc3339(expiry), "x-unknown": "kept"
            },
            "https://other.cloud.databricks.com": {
                "access_token": "OTHER", "token_type": "Bearer", "refresh_token": "OTHER-R",
                "expiry": "2030-01-01T00:00:00Z"
            }
        },
        "x-extra": {"kept": true}
    });
    std::fs::write(path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn key_of(server: &MockServer) -> String {
    server.uri().trim_end_matches('/').to_owned()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn browser_login_with_pkce_writes_the_cli_cache() {
    let server = MockServer::start().await;
    let seen = Seen::default();
    fake_idp(&server, &seen, Authorize::Grant, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("sub/token-cache.json");
    let opened = Arc::new(AtomicUsize::new(0));
    let creds = provider(
        &server,
        options(&cache).with_opener(scripted_browser(Arc::clone(&opened))),
    );

    let token = creds.token().await.unwrap();
    assert_eq!(token.expose_secret(), "ACCESS-LOGIN-1");
    assert_eq!(opened.load(Ordering::SeqCst), 1);

    // The authorization request: code flow, CLI client, offline_access, S256, loopback redirect.
    let auth = seen.authorize.lock().unwrap()[0].clone();
    assert_eq!(auth["response_type"], "code");
    assert_eq!(auth["client_id"], "databricks-cli");
    assert_eq!(auth["scope"], "all-apis offline_access");
    assert_eq!(auth["code_challenge_method"], "S256");
    let redirect = Url::parse(&auth["redirect_uri"]).unwrap();
    assert_eq!(redirect.host_str(), Some("localhost"));
    assert_eq!(redirect.scheme(), "http");
    assert!(auth["state"].len() >= 16, "{auth:?}");

    // The code exchange: the verifier's S256 is the challenge sent to the browser.
    let exchange = seen.token.lock().unwrap()[0].clone();
    assert_eq!(exchange["grant_type"], "authorization_code");
    assert_eq!(exchange["code"], "CODE-1");
    assert_eq!(exchange["redirect_uri"], auth["redirect_uri"]);
    assert_eq!(exchange["client_id"], "databricks-cli");
    let verifier = &exchange["code_verifier"];
    assert!((43..=128).contains(&verifier.len()), "{verifier}");
    assert!(
        verifier
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-._~".contains(&c))
    );
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    assert_eq!(auth["code_challenge"], challenge);
    assert!(
        !auth.values().any(|v| v == verifier),
        "verifier sent to the browser"
    );

    // The cache: CLI format, keyed by host, 0600 in a 0700 directory.
    let doc = read_cache(&cache);
    assert_eq!(doc["version"], 1);
    let entry = &doc["tokens"][key_of(&server)];
    assert_eq!(entry["access_token"], "ACCESS-LOGIN-1");
    assert_eq!(entry["refresh_token"], "REFRESH-1");
    assert_eq!(entry["token_type"], "Bearer");
    let expiry = entry["expiry"].as_str().unwrap();
    assert!(expiry.ends_with('Z') && expiry.contains('T'), "{expiry}");
    assert_eq!(mode(&cache), 0o600);
    assert_eq!(mode(cache.parent().unwrap()), 0o700);

    // A new provider (a new process) reads the cache: no browser, no token request.
    let opened2 = Arc::new(AtomicUsize::new(0));
    let again = provider(
        &server,
        options(&cache).with_opener(no_browser(Arc::clone(&opened2))),
    );
    assert_eq!(
        again.token().await.unwrap().expose_secret(),
        "ACCESS-LOGIN-1"
    );
    assert_eq!(opened2.load(Ordering::SeqCst), 0);
    assert_eq!(seen.token.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_login_keeps_the_other_entries_and_unknown_fields() {
    let server = MockServer::start().await;
    let seen = Seen::default();
    fake_idp(&server, &seen, Authorize::Grant, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("token-cache.json");
    // Our entry has a refresh token the server refuses: the provider logs in again.
    write_cache(
        &cache,
        &key_of(&server),
        "OLD",
        "REVOKED",
        SystemTime::now() - Duration::from_secs(60),
    );
    let opened = Arc::new(AtomicUsize::new(0));
    let creds = provider(
        &server,
        options(&cache).with_opener(scripted_browser(Arc::clone(&opened))),
    );
    assert_eq!(
        creds.token().await.unwrap().expose_secret(),
        "ACCESS-LOGIN-2"
    );
    assert_eq!(
        opened.load(Ordering::SeqCst),
        1,
        "refused refresh → browser"
    );
    let grants: Vec<_> = seen
        .token
        .lock()
        .unwrap()
        .iter()
        .map(|f| f["grant_type"].clone())
        .collect();
    assert_eq!(grants, ["refresh_token", "authorization_code"]);

    let doc = read_cache(&cache);
    assert_eq!(doc["x-extra"], serde_json::json!({"kept": true}));
    assert_eq!(
        doc["tokens"]["https://other.cloud.databricks.com"]["access_token"],
        "OTHER"
    );
    let entry = &doc["tokens"][key_of(&server)];
    assert_eq!(entry["access_token"], "ACCESS-LOGIN-2");
    assert_eq!(entry["refresh_token"], "REFRESH-1");
    assert_eq!(entry["x-unknown"], "kept");
    assert_eq!(mode(&cache), 0o600);
    // No temp files are left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp-")), "{names:?}");
}

#[tokio::test]
async fn state_mismatch_is_refused_and_no_code_is_exchanged() {
    let server = MockServer::start().await;
    let seen = Seen::default();
    fake_idp(&server, &seen, Authorize::WrongState, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("token-cache.json");
    let creds = provider(
        &server,
        options(&cache).with_opener(scripted_browser(Arc::new(AtomicUsize::new(0)))),
    );
    let err = creds.token().await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("state"), "{text}");
    assert!(text.contains("start the login again"), "{text}");
    assert!(err.is_unauthenticated());
    assert!(seen.token.lock().unwrap().is_empty());
    assert!(!cache.exists() || read_cache(&cache)["tokens"][key_of(&server)].is_null());
}

#[tokio::test]
async fn a_denied_login_names_the_server_error() {
    let server = MockServer::start().await;
    let seen = Seen::default();
    fake_idp(&server, &seen, Authorize::Deny, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let creds = provider(
        &server,
        options(&dir.path().join("c.json"))
            .with_opener(scripted_browser(Arc::new(AtomicUsize::new(0)))),
    );
    let text = creds.token().await.unwrap_err().to_string();
    assert!(
        text.contains("access_denied") && text.contains("user said no"),
        "{text}"
    );
    assert!(seen.token.lock().unwrap().is_empty());
}

#[tokio::test]
async fn headless_login_prints_the_url_and_times_out_naming_the_fix() {
    let server = MockServer::start().await;
    let seen = Seen::default();
    fake_idp(&server, &seen, Authorize::Grant, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let opened = Arc::new(AtomicUsize::new(0));
    let creds = provider(
        &server,
        options(&dir.path().join("c.json"))
            .with_opener(no_browser(Arc::clone(&opened)))
            .with_login_timeout(Duration::from_millis(300)),
    );
    let text = creds.token().await.unwrap_err().to_string();
    assert_eq!(opened.load(Ordering::SeqCst), 1);
    assert!(text.contains("no login came back"), "{text}");
    assert!(text.contains("open the printed URL"), "{text}");
}

#[tokio::test]
async fn the_callback_port_in_use_is_a_clear_error() {
    let server = MockServer::start().await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let creds = provider(
        &server,
        options(&dir.path().join("c.json"))
            .with_callback_port(port)
            .with_opener(no_browser(Arc::new(AtomicUsize::new(0)))),
    );
    let text = creds.token().await.unwrap_err().to_string();
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(text.contains("callback port"), "{text}");
}

#[tokio::test]
async fn an_expired_cached_token_is_refreshed_without_the_browser() {
    let server = MockServer::start().await;
    let seen = Seen::default();
    fake_idp(&server, &seen, Authorize::Grant, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("token-cache.json");
    // Expires in 10 s: inside the 40 s early-expiry margin, so it counts as expired.
    write_cache(
        &cache,
        &key_of(&server),
        "ACCESS-OLD",
        "REFRESH-0",
        SystemTime::now() + Duration::from_secs(10),
    );
    let opened = Arc::new(AtomicUsize::new(0));
    let creds = provider(
        &server,
        options(&cache).with_opener(no_browser(Arc::clone(&opened))),
    );
    assert_eq!(
        creds.token().await.unwrap().expose_secret(),
        "ACCESS-REFRESHED-1"
    );
    // Served from memory afterwards.
    assert_eq!(
        creds.token().await.unwrap().expose_secret(),
        "ACCESS-REFRESHED-1"
    );
    assert_eq!(opened.load(Ordering::SeqCst), 0);
    let requests = seen.token.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["grant_type"], "refresh_token");
    assert_eq!(requests[0]["refresh_token"], "REFRESH-0");
    assert_eq!(requests[0]["client_id"], "databricks-cli");
    let entry = &read_cache(&cache)["tokens"][key_of(&server)];
    assert_eq!(entry["access_token"], "ACCESS-REFRESHED-1");
    assert_eq!(entry["refresh_token"], "REFRESH-2");
    assert_eq!(mode(&cache), 0o600);
}

#[tokio::test]
async fn a_valid_cached_token_is_used_as_is() {
    let server = MockServer::start().await;
    let seen = Seen::default();
    fake_idp(&server, &seen, Authorize::Grant, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("token-cache.json");
    write_cache(
        &cache,
        &key_of(&server),
        "ACCESS-CACHED",
        "REFRESH-0",
        SystemTime::now() + Duration::from_secs(3600),
    );
    let before = std::fs::read(&cache).unwrap();
    let creds = provider(
        &server,
        options(&cache).with_opener(no_browser(Arc::new(AtomicUsize::new(0)))),
    );
    assert_eq!(
        creds.token().await.unwrap().expose_secret(),
        "ACCESS-CACHED"
    );
    assert!(seen.token.lock().unwrap().is_empty());
    assert_eq!(
        std::fs::read(&cache).unwrap(),
        before,
        "a read never rewrites"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_providers_on_one_cache_file_refresh_once() {
    let server = MockServer::start().await;
    let seen = Seen::default();
    fake_idp(&server, &seen, Authorize::Grant, Duration::from_millis(300)).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("token-cache.json");
    write_cache(
        &cache,
        &key_of(&server),
        "ACCESS-OLD",
        "REFRESH-0",
        SystemTime::now() - Duration::from_secs(1),
    );
    let opened = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let creds = provider(
                &server,
                options(&cache).with_opener(no_browser(Arc::clone(&opened))),
            );
            tokio::spawn(async move { creds.token().await.unwrap() })
        })
        .collect();
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.unwrap().expose_secret().to_owned());
    }
    assert_eq!(tokens, ["ACCESS-REFRESHED-1", "ACCESS-REFRESHED-1"]);
    assert_eq!(seen.token.lock().unwrap().len(), 1, "exactly one refresh");
    assert_eq!(opened.load(Ordering::SeqCst), 0);
}

const CHILD_HOST: &str = "U2M_TEST_CHILD_HOST";
const CHILD_CACHE: &str = "U2M_TEST_CHILD_CACHE";

/// The child half of [`two_processes_refresh_once`]: does nothing unless started by it.
#[tokio::test]
async fn refresh_child_process() {
    let (Ok(host), Ok(cache)) = (std::env::var(CHILD_HOST), std::env::var(CHILD_CACHE)) else {
        return;
    };
    let creds = ExternalBrowserCredentials::new(
        Url::parse(&host).unwrap(),
        options(Path::new(&cache)).with_opener(|_: &Url| Err(std::io::Error::other("child"))),
        reqwest::Client::new(),
    )
    .unwrap();
    let token = creds.token().await.unwrap();
    println!("CHILD-TOKEN={}", token.expose_secret());
}

#[tokio::test]
async fn two_processes_refresh_once() {
    let server = MockServer::start().await;
    let seen = Seen::default();
    fake_idp(&server, &seen, Authorize::Grant, Duration::from_millis(500)).await;
    let dir = tempfile::tempdir().unwrap();
    let cache: PathBuf = dir.path().join("token-cache.json");
    write_cache(
        &cache,
        &key_of(&server),
        "ACCESS-OLD",
        "REFRESH-0",
        SystemTime::now() - Duration::from_secs(1),
    );
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            tokio::process::Command::new(&exe)
                .args(["u2m::refresh_child_process", "--exact", "--nocapture"])
                .env(CHILD_HOST, server.uri())
                .env(CHILD_CACHE, &cache)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut tokens = Vec::new();
    for child in children {
        let out = child.wait_with_output().await.unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("CHILD-TOKEN="))
            .unwrap_or_else(|| panic!("no token in {stdout}"))
            .to_owned();
        tokens.push(line);
    }
    assert_eq!(tokens, ["ACCESS-REFRESHED-1", "ACCESS-REFRESHED-1"]);
    assert_eq!(seen.token.lock().unwrap().len(), 1, "exactly one refresh");
    assert_eq!(
        read_cache(&cache)["tokens"][key_of(&server)]["access_token"],
        "ACCESS-REFRESHED-1"
    );
}

#[tokio::test]
async fn config_forces_external_browser_and_authenticates_requests() {
    let server = MockServer::start().await;
    let seen = Seen::default();
    fake_idp(&server, &seen, Authorize::Grant, Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/preview/scim/v2/Me"))
        .and(header("authorization", "Bearer ACCESS-LOGIN-1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"userName": "me"})),
        )
        .mount(&server)
        .await;
    let home = tempfile::tempdir().unwrap();
    let config = Config::builder()
        .with_env_vars([
            ("DATABRICKS_HOST", server.uri()),
            ("DATABRICKS_AUTH_TYPE", "external-browser".to_owned()),
            ("HOME", home.path().to_string_lossy().into_owned()),
        ])
        .external_browser(
            ExternalBrowserOptions::default()
                .with_callback_port(0)
                .with_opener(scripted_browser(Arc::new(AtomicUsize::new(0)))),
        )
        .retry_config(crate::support::fast_retry())
        .build()
        .unwrap();
    assert_eq!(config.auth_type, AuthType::ExternalBrowser);
    assert!(
        config
            .auth_resolution
            .reason
            .starts_with("auth_type is external-browser (from environment DATABRICKS_AUTH_TYPE)"),
        "{}",
        config.auth_resolution
    );
    let me: serde_json::Value = WorkspaceClient::new(config)
        .unwrap()
        .get("/api/2.0/preview/scim/v2/Me")
        .send_json()
        .await
        .unwrap();
    assert_eq!(me["userName"], "me");
    // The default cache is the CLI's, under HOME.
    let cache = home.path().join(".databricks/token-cache.json");
    assert_eq!(
        read_cache(&cache)["tokens"][key_of(&server)]["access_token"],
        "ACCESS-LOGIN-1"
    );
}

#[tokio::test]
async fn a_configured_client_id_is_used_for_login_and_refresh() {
    let server = MockServer::start().await;
    let seen = Seen::default();
    fake_idp(&server, &seen, Authorize::Grant, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("token-cache.json");
    let config = Config::builder()
        .host(server.uri())
        .auth_type("external-browser")
        .client_id("my-app")
        .with_config(databricks_client::ConfigKey::Scopes, "sql")
        .external_browser(
            options(&cache).with_opener(scripted_browser(Arc::new(AtomicUsize::new(0)))),
        )
        .build()
        .unwrap();
    let client = WorkspaceClient::new(config).unwrap();
    let _ = client.get("/api/2.0/preview/scim/v2/Me").send_empty().await;
    let auth = seen.authorize.lock().unwrap()[0].clone();
    assert_eq!(auth["client_id"], "my-app");
    assert_eq!(auth["scope"], "sql offline_access");
    assert_eq!(seen.token.lock().unwrap()[0]["client_id"], "my-app");
}

#[tokio::test]
async fn discovery_on_the_same_origin_picks_the_endpoints() {
    let server = MockServer::start().await;
    let seen = Seen::default();
    fake_idp(&server, &seen, Authorize::Grant, Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path("/oidc/.well-known/oauth-authorization-server"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "authorization_endpoint": format!("{}/oidc/v1/authorize", server.uri()),
            "token_endpoint": "https://evil.example.com/token"
        })))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let creds = provider(
        &server,
        options(&dir.path().join("c.json"))
            .with_opener(scripted_browser(Arc::new(AtomicUsize::new(0)))),
    );
    // The foreign token endpoint is ignored: the code goes to the workspace's own.
    assert_eq!(
        creds.token().await.unwrap().expose_secret(),
        "ACCESS-LOGIN-1"
    );
    assert_eq!(seen.token.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn an_idle_connection_and_a_favicon_do_not_stall_the_login() {
    let server = MockServer::start().await;
    let seen = Seen::default();
    fake_idp(&server, &seen, Authorize::Grant, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let handle = tokio::runtime::Handle::current();
    let favicon = Arc::new(Mutex::new(None));
    let favicon_status = Arc::clone(&favicon);
    // A browser that pre-connects without sending, asks for a favicon, then logs in.
    let browser = move |url: &Url| {
        let url = url.clone();
        let favicon_status = Arc::clone(&favicon_status);
        handle.spawn(async move {
            let q: Params = url.query_pairs().into_owned().collect();
            let redirect = Url::parse(&q["redirect_uri"]).unwrap();
            let port = redirect.port().unwrap();
            let idle = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap();
            let status = reqwest::get(format!("http://127.0.0.1:{port}/favicon.ico"))
                .await
                .unwrap()
                .status();
            *favicon_status.lock().unwrap() = Some(status.as_u16());
            let _ = reqwest::Client::new().get(url).send().await;
            drop(idle);
        });
        Ok(())
    };
    let creds = provider(
        &server,
        options(&dir.path().join("c.json"))
            .with_opener(browser)
            .with_login_timeout(Duration::from_secs(5)),
    );
    let started = std::time::Instant::now();
    assert_eq!(
        creds.token().await.unwrap().expose_secret(),
        "ACCESS-LOGIN-1"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(*favicon.lock().unwrap(), Some(404));
}
