//! Precedence, profile and validation rules (databricks-api.md §1.2–§1.3).

use std::io::Write;

use databricks_client::{AuthType, Config, ConfigBuilder};
use secrecy::ExposeSecret;

const CFG: &str = "\
[__settings__]
default_profile = dev

[DEFAULT]
host  = https://default.cloud.databricks.com
token = dapi-default

[dev]
host         = https://dev.cloud.databricks.com
token        = dapi-dev
warehouse_id = wh-dev

[m2m]
host          = https://m2m.cloud.databricks.com
client_id     = sp-id
client_secret = sp-secret
";

fn cfg_file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Iterator<Item = (&'a str, String)> + 'a {
    pairs.iter().map(|(k, v)| (*k, v.to_string()))
}

#[test]
fn env_host_and_token_skip_the_file() {
    let f = cfg_file(CFG);
    let path = f.path().to_str().unwrap();
    let c = ConfigBuilder::default()
        .with_env_vars(env(&[
            ("DATABRICKS_HOST", "env.cloud.databricks.com"),
            ("DATABRICKS_TOKEN", "dapi-env"),
            ("DATABRICKS_CONFIG_FILE", path),
        ]))
        .build()
        .unwrap();
    assert_eq!(c.host.as_str(), "https://env.cloud.databricks.com/");
    assert_eq!(c.token.as_ref().unwrap().expose_secret(), "dapi-env");
    assert_eq!(c.profile, None, "file must not be read");
    assert_eq!(c.warehouse_id, None);
}

#[test]
fn file_default_profile_from_settings_without_default_inheritance() {
    let f = cfg_file(CFG);
    let c = ConfigBuilder::default()
        .with_env_vars(env(&[(
            "DATABRICKS_CONFIG_FILE",
            f.path().to_str().unwrap(),
        )]))
        .build()
        .unwrap();
    assert_eq!(c.profile.as_deref(), Some("dev"));
    assert_eq!(c.host.as_str(), "https://dev.cloud.databricks.com/");
    assert_eq!(c.token.as_ref().unwrap().expose_secret(), "dapi-dev");
    assert_eq!(c.warehouse_id.as_deref(), Some("wh-dev"));
}

#[test]
fn requested_profile_forces_the_file_and_env_still_wins() {
    let f = cfg_file(CFG);
    let c = ConfigBuilder::default()
        .with_env_vars(env(&[
            ("DATABRICKS_CONFIG_FILE", f.path().to_str().unwrap()),
            ("DATABRICKS_CONFIG_PROFILE", "m2m"),
            ("DATABRICKS_HOST", "https://override.cloud.databricks.com"),
        ]))
        .build()
        .unwrap();
    assert_eq!(c.profile.as_deref(), Some("m2m"));
    assert_eq!(c.host.as_str(), "https://override.cloud.databricks.com/");
    assert_eq!(c.auth_type, AuthType::OAuthM2m);
    assert_eq!(c.client_id.as_deref(), Some("sp-id"));
    // [DEFAULT]'s token is not inherited, so there is no pat/oauth conflict.
    assert!(c.token.is_none());
}

#[test]
fn explicit_beats_env_beats_file() {
    let f = cfg_file(CFG);
    let c = Config::builder()
        .host("https://explicit.cloud.databricks.com")
        .with_env_vars(env(&[
            ("DATABRICKS_HOST", "https://env.cloud.databricks.com"),
            ("DATABRICKS_WAREHOUSE_ID", "wh-env"),
            ("DATABRICKS_CONFIG_FILE", f.path().to_str().unwrap()),
            ("DATABRICKS_CONFIG_PROFILE", "dev"),
        ]))
        .build()
        .unwrap();
    assert_eq!(c.host.as_str(), "https://explicit.cloud.databricks.com/");
    assert_eq!(c.warehouse_id.as_deref(), Some("wh-env"));
    assert_eq!(c.token.as_ref().unwrap().expose_secret(), "dapi-dev");
}

#[test]
fn home_dir_databrickscfg_and_default_fallback() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".databrickscfg"),
        "[DEFAULT]\nhost = https://home.cloud.databricks.com\ntoken = dapi-home\n",
    )
    .unwrap();
    let c = ConfigBuilder::default()
        .with_env_vars(env(&[("HOME", dir.path().to_str().unwrap())]))
        .build()
        .unwrap();
    assert_eq!(c.profile.as_deref(), Some("DEFAULT"));
    assert_eq!(c.host.as_str(), "https://home.cloud.databricks.com/");
}

#[test]
fn unknown_profile_is_an_error_listing_profiles() {
    let f = cfg_file(CFG);
    let err = Config::builder()
        .config_file(f.path())
        .profile("prod")
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("profile `prod` not found"), "{err}");
    assert!(err.contains("DEFAULT, dev, m2m"), "{err}");
}

#[test]
fn two_auth_methods_need_auth_type() {
    let err = ConfigBuilder::default()
        .with_env_vars(env(&[
            ("DATABRICKS_HOST", "h.cloud.databricks.com"),
            ("DATABRICKS_TOKEN", "dapi-x"),
            ("DATABRICKS_CLIENT_ID", "id"),
            ("DATABRICKS_CLIENT_SECRET", "s"),
        ]))
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("more than one authorization method configured"),
        "{err}"
    );
    assert!(err.contains("oauth") && err.contains("pat"), "{err}");
    assert!(err.contains("DATABRICKS_AUTH_TYPE"), "{err}");
    assert!(!err.contains("dapi-x"), "{err}");

    let c = ConfigBuilder::default()
        .with_env_vars(env(&[
            ("DATABRICKS_HOST", "h.cloud.databricks.com"),
            ("DATABRICKS_TOKEN", "dapi-x"),
            ("DATABRICKS_CLIENT_ID", "id"),
            ("DATABRICKS_CLIENT_SECRET", "s"),
            ("DATABRICKS_AUTH_TYPE", "oauth-m2m"),
        ]))
        .build()
        .unwrap();
    assert_eq!(c.auth_type, AuthType::OAuthM2m);
}

#[test]
fn missing_host_or_credentials_name_the_fix() {
    let err = Config::builder()
        .token("t")
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("DATABRICKS_HOST"), "{err}");
    let err = Config::builder()
        .host("h.cloud.databricks.com")
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("DATABRICKS_TOKEN"), "{err}");
    let err = Config::builder()
        .host("h.cloud.databricks.com")
        .client_id("id")
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("DATABRICKS_CLIENT_SECRET"), "{err}");
    let err = Config::builder()
        .host("h.cloud.databricks.com")
        .token("t")
        .auth_type("google-id")
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("CredentialsProvider"), "{err}");
    let err = Config::builder()
        .host("h.cloud.databricks.com")
        .auth_type("azure-cli")
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("DATABRICKS_AZURE_RESOURCE_ID"), "{err}");
}

#[test]
fn https_required_except_loopback() {
    let err = Config::builder()
        .host("http://dbc-1.cloud.databricks.com")
        .token("t")
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("HTTPS"), "{err}");
    assert!(
        Config::builder()
            .host("http://127.0.0.1:9")
            .token("t")
            .build()
            .is_ok()
    );
    assert!(
        Config::builder()
            .host("http://localhost:9")
            .token("t")
            .build()
            .is_ok()
    );
}

#[test]
fn timeouts_from_profile_keys() {
    let f = cfg_file(
        "[p]\nhost = h.cloud.databricks.com\ntoken = t\nhttp_timeout_seconds = 5\nretry_timeout_seconds = 30\n",
    );
    let c = Config::builder()
        .config_file(f.path())
        .profile("p")
        .build()
        .unwrap();
    assert_eq!(c.http_timeout, std::time::Duration::from_secs(5));
    assert_eq!(c.retry.retry_timeout, std::time::Duration::from_secs(30));
    let f =
        cfg_file("[p]\nhost = h.cloud.databricks.com\ntoken = t\nhttp_timeout_seconds = soon\n");
    let err = Config::builder()
        .config_file(f.path())
        .profile("p")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("http_timeout_seconds"), "{err}");
}
