//! The Snowflake canary: no secret (PAT, OAuth token, key passphrase, private key) in Debug
//! output, errors, serialised config or captured logs. It is a test binary of its own so that
//! its thread-local `tracing` subscriber is the only one in the process: callsite interest
//! cached by tests on other threads cannot hide the log lines it must read.

#![cfg(feature = "snowflake")]

use std::io::Write;
use std::sync::{Arc, Mutex};

use datasource_model::{
    DataSource, DataSourceConfig, KeyPairSigner, QueryOptions, SnowflakeAuth, SnowflakeConfig,
    SnowflakeSource, SqlRequest,
};
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = include_str!("snowflake/fixtures/rsa_key.p8");
const KEY_ENCRYPTED: &str = include_str!("snowflake/fixtures/rsa_key_encrypted.p8");
/// Passphrase of `snowflake/fixtures/rsa_key_encrypted.p8`.
const PASSPHRASE: &str = "canary-passphrase-7f3e";
const PAT: &str = "canary-token-4b1d9c";

// ------------------------------------------------------------------------------------------
// Secrets
// ------------------------------------------------------------------------------------------

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn canary_secrets_never_leak() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Other test threads may have cached "no subscriber wants this" for our callsites.
    tracing::callsite::rebuild_interest_cache();

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/statements"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"code": "390303", "message": "Invalid OAuth access token."})),
        )
        .mount(&server)
        .await;
    let mut texts = Vec::new();
    // PAT and OAuth tokens.
    for auth in [SnowflakeAuth::pat(PAT), SnowflakeAuth::oauth(PAT)] {
        let cfg = SnowflakeConfig::new("a", "WH", "SALES", auth).with_host(server.uri());
        texts.push(format!("{cfg:?}"));
        texts.push(serde_json::to_string(&cfg).unwrap());
        let s = SnowflakeSource::from_config(&cfg, None).unwrap();
        texts.push(format!("{s:?} {s}"));
        let err = s
            .execute_sql(&SqlRequest::new("SELECT 1"), &QueryOptions::new())
            .await
            .unwrap_err();
        assert!(err.is_auth(), "{err}");
        texts.push(format!("{err} {err:?}"));
    }
    // An encrypted key with its passphrase from the environment.
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("k.p8");
    std::fs::write(&key_path, KEY_ENCRYPTED).unwrap();
    // SAFETY-free: a test-local variable name nobody else reads.
    let var = "DATASOURCE_MODEL_TEST_SF_PASSPHRASE";
    let yaml = format!(
        "provider: snowflake\nsnowflake:\n  account: a\n  user: u\n  warehouse: WH\n  database: SALES\n  host: {}\n  auth: {{type: keypair, private_key_path: {}, passphrase_env: {var}}}\n",
        server.uri(),
        key_path.display()
    );
    let cfg = DataSourceConfig::from_yaml(&yaml).unwrap();
    let err = cfg.build().await.unwrap_err();
    assert!(err.to_string().contains(var), "{err}");
    texts.push(format!("{err} {err:?}"));
    let sf = cfg.snowflake.clone().unwrap();
    let wrong = KeyPairSigner::from_pem(
        "a",
        "u",
        &SecretString::from(KEY_ENCRYPTED),
        Some(&SecretString::from(PASSPHRASE.replace("7f3e", "0000"))),
    )
    .unwrap_err();
    texts.push(format!("{wrong} {wrong:?} {sf:?}"));
    let signer = KeyPairSigner::from_pem(
        "a",
        "u",
        &SecretString::from(KEY_ENCRYPTED),
        Some(&SecretString::from(PASSPHRASE)),
    )
    .unwrap();
    texts.push(format!("{signer:?}"));
    texts.push(String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned());
    let key_body: String = KEY.lines().nth(3).unwrap_or("unused").to_string();
    for t in &texts {
        for secret in [PAT, PASSPHRASE, key_body.as_str()] {
            assert!(!t.contains(secret), "secret leaked into: {t}");
        }
    }
    assert!(
        texts.last().unwrap().contains("Snowflake"),
        "logs were captured"
    );
}
