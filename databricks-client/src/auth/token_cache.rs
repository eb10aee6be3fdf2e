//! The Databricks CLI's token cache, `~/.databricks/token-cache.json`, shared with the CLI and
//! the other SDKs so one `databricks auth login` serves them all.
//!
//! Format (version 1), as documented in the Go SDK's `credentials/u2m/cache/file.go` (which the
//! CLI uses; each entry is a Go `oauth2.Token`, so `expiry` is an RFC 3339 time):
//!
//! ```json
//! {
//!   "version": 1,
//!   "tokens": {
//!     "https://dbc-1.cloud.databricks.com": {
//!       "access_token": "…", "token_type": "Bearer", "refresh_token": "…",
//!       "expiry": "2026-01-02T15:04:05.999999999Z"
//!     }
//!   }
//! }
//! ```
//!
//! The key of a workspace login is its host without a trailing slash (`GetCacheKey` of the Go
//! SDK's `BasicWorkspaceOAuthArgument`); an account login is
//! `{host}/oidc/accounts/{account_id}`.
//!
//! Writes keep every other entry and every unknown field, go to a temporary file created with
//! mode 0600 in the same directory and are renamed over the cache (atomic on POSIX). Readers and
//! writers of this crate serialise through an advisory lock on a sidecar file
//! (`token-cache.json.lock`), held across read–refresh–write so that concurrent processes
//! refresh once.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use super::exec::parse_rfc3339;
use crate::error::{Error, Result};

/// The only format version this crate (and the CLI) reads and writes.
const VERSION: u64 = 1;

/// One login held in the cache. Never `Debug`: it holds secrets.
pub(crate) struct CachedLogin {
    pub(crate) access_token: SecretString,
    pub(crate) token_type: Option<String>,
    pub(crate) refresh_token: Option<SecretString>,
    pub(crate) expiry: Option<SystemTime>,
}

/// The cache file at a path.
#[derive(Debug, Clone)]
pub(crate) struct TokenCacheFile {
    path: PathBuf,
}

/// Holds the advisory lock until dropped.
#[derive(Debug)]
pub(crate) struct CacheLock {
    _file: File,
}

fn cache_error(path: &Path, what: String) -> Error {
    Error::Auth {
        auth_type: "external-browser".to_owned(),
        message: format!("token cache {}: {what}", path.display()),
        source: None,
    }
}

impl TokenCacheFile {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn lock_path(&self) -> PathBuf {
        let mut name = self
            .path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "token-cache.json".into());
        name.push(".lock");
        self.path.with_file_name(name)
    }

    fn ensure_dir(&self) -> Result<()> {
        let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) else {
            return Ok(());
        };
        if dir.is_dir() {
            return Ok(());
        }
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(dir).map_err(|e| {
            cache_error(
                &self.path,
                format!("could not create its directory: {e}; set a writable token cache path"),
            )
        })
    }

    /// Takes the exclusive advisory lock (blocking; call from a blocking thread).
    pub(crate) fn lock_blocking(&self) -> Result<CacheLock> {
        self.ensure_dir()?;
        let lock_path = self.lock_path();
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&lock_path).map_err(|e| {
            cache_error(
                &self.path,
                format!(
                    "could not open the lock file {}: {e}; set a writable token cache path",
                    lock_path.display()
                ),
            )
        })?;
        file.lock().map_err(|e| {
            cache_error(
                &self.path,
                format!("could not lock {}: {e}", lock_path.display()),
            )
        })?;
        Ok(CacheLock { _file: file })
    }

    /// Takes the lock on a blocking thread.
    pub(crate) async fn lock(&self) -> Result<CacheLock> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.lock_blocking())
            .await
            .map_err(|e| cache_error(&self.path, format!("the lock task failed: {e}")))?
    }

    /// The whole document, or an empty version-1 document when the file does not exist.
    fn read_document(&self) -> Result<Map<String, Value>> {
        let text = match fs::read(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut doc = Map::new();
                doc.insert("version".to_owned(), Value::from(VERSION));
                doc.insert("tokens".to_owned(), Value::Object(Map::new()));
                return Ok(doc);
            }
            Err(e) => return Err(cache_error(&self.path, format!("could not be read: {e}"))),
        };
        // The serde error names a position, never the file's text (which holds tokens).
        let value: Value = serde_json::from_slice(&text).map_err(|e| {
            cache_error(
                &self.path,
                format!(
                    "is not valid JSON (line {}, column {}); delete it and log in again",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        let Value::Object(doc) = value else {
            return Err(cache_error(
                &self.path,
                "is not a JSON object; delete it and log in again".to_owned(),
            ));
        };
        match doc.get("version").and_then(Value::as_u64) {
            Some(VERSION) => Ok(doc),
            other => Err(cache_error(
                &self.path,
                format!(
                    "has version {}, this library reads version {VERSION}; update the library \
                     or delete the file and log in again",
                    other.map_or_else(|| "(none)".to_owned(), |v| v.to_string())
                ),
            )),
        }
    }

    /// The login stored under `key`, if any (an entry without an access token counts as none).
    pub(crate) fn read(&self, key: &str) -> Result<Option<CachedLogin>> {
        let doc = self.read_document()?;
        let Some(Value::Object(entry)) = doc.get("tokens").and_then(|t| t.get(key)) else {
            return Ok(None);
        };
        let text = |name: &str| {
            entry
                .get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let Some(access) = text("access_token") else {
            return Ok(None);
        };
        Ok(Some(CachedLogin {
            access_token: SecretString::from(access.to_owned()),
            token_type: text("token_type").map(str::to_owned),
            refresh_token: text("refresh_token").map(|s| SecretString::from(s.to_owned())),
            expiry: text("expiry").and_then(parse_rfc3339),
        }))
    }

    /// Stores `login` under `key`, keeping every other entry and unknown field.
    pub(crate) fn write(&self, key: &str, login: &CachedLogin) -> Result<()> {
        self.ensure_dir()?;
        let mut doc = self.read_document()?;
        let tokens = doc
            .entry("tokens")
            .or_insert_with(|| Value::Object(Map::new()));
        if !tokens.is_object() {
            *tokens = Value::Object(Map::new());
        }
        let Value::Object(tokens) = tokens else {
            return Err(cache_error(&self.path, "unreachable".to_owned()));
        };
        let entry = tokens
            .entry(key.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        if let Value::Object(entry) = entry {
            entry.insert(
                "access_token".to_owned(),
                Value::from(login.access_token.expose_secret()),
            );
            entry.insert(
                "token_type".to_owned(),
                Value::from(login.token_type.as_deref().unwrap_or("Bearer")),
            );
            match &login.refresh_token {
                Some(r) => {
                    entry.insert("refresh_token".to_owned(), Value::from(r.expose_secret()));
                }
                None => {
                    entry.remove("refresh_token");
                }
            }
            match login.expiry {
                Some(at) => {
                    entry.insert("expiry".to_owned(), Value::from(format_rfc3339(at)));
                }
                None => {
                    entry.remove("expiry");
                }
            }
            // A stale `expires_in` (newer Go oauth2) would contradict the new expiry.
            entry.remove("expires_in");
        }
        let bytes = serde_json::to_vec_pretty(&Value::Object(doc))
            .map_err(|e| cache_error(&self.path, format!("could not be encoded: {e}")))?;
        self.write_atomic(&bytes)
    }

    fn write_atomic(&self, bytes: &[u8]) -> Result<()> {
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or_else(|| Path::new("."));
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "token-cache.json".to_owned());
        let mut suffix = [0u8; 6];
        getrandom::fill(&mut suffix)
            .map_err(|e| cache_error(&self.path, format!("no randomness for a temp name: {e}")))?;
        let tmp = dir.join(format!(
            ".{name}.tmp-{}",
            suffix
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ));
        let mut options = OpenOptions::new();
        options.create_new(true).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let result = (|| -> std::io::Result<()> {
            let mut file = options.open(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            fs::rename(&tmp, &self.path)
        })();
        result.map_err(|e| {
            let _ = fs::remove_file(&tmp);
            cache_error(
                &self.path,
                format!("could not be written: {e}; set a writable token cache path"),
            )
        })
    }
}

/// `2026-01-02T15:04:05.123456789Z` (RFC 3339 in UTC, as Go's `time.Time` marshals).
pub(crate) fn format_rfc3339(at: SystemTime) -> String {
    let since = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    let secs = since.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    let mut out = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    );
    let nanos = since.subsec_nanos();
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips() {
        for secs in [
            0u64,
            951_782_400,
            1_700_000_000,
            4_102_444_800,
            1_709_251_199,
        ] {
            for nanos in [0u32, 1, 500_000_000, 123_456_789] {
                let at = SystemTime::UNIX_EPOCH + Duration::new(secs, nanos);
                let text = format_rfc3339(at);
                assert_eq!(parse_rfc3339(&text), Some(at), "{text}");
            }
        }
        assert_eq!(
            format_rfc3339(SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            format_rfc3339(SystemTime::UNIX_EPOCH + Duration::new(1_700_000_000, 500_000_000)),
            "2023-11-14T22:13:20.5Z"
        );
    }

    #[test]
    fn version_mismatch_and_garbage_name_the_fix_not_the_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token-cache.json");
        let cache = TokenCacheFile::new(path.clone());
        fs::write(
            &path,
            r#"{"version": 2, "tokens": {"h": {"access_token": "SECRETX"}}}"#,
        )
        .unwrap();
        let err = cache.read("h").err().unwrap().to_string();
        assert!(err.contains("version 2") && err.contains("delete"), "{err}");
        assert!(!err.contains("SECRETX"), "{err}");
        fs::write(
            &path,
            r#"{"version": 1, "tokens": {"h": {"access_token": "SECRETX""#,
        )
        .unwrap();
        let err = cache.read("h").err().unwrap().to_string();
        assert!(err.contains("not valid JSON"), "{err}");
        assert!(!err.contains("SECRETX"), "{err}");
    }

    #[test]
    fn missing_file_and_entry_read_as_none() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCacheFile::new(dir.path().join("nested/token-cache.json"));
        assert!(cache.read("h").unwrap().is_none());
        cache
            .write(
                "other",
                &CachedLogin {
                    access_token: SecretString::from("a".to_owned()),
                    token_type: None,
                    refresh_token: None,
                    expiry: None,
                },
            )
            .unwrap();
        assert!(cache.read("h").unwrap().is_none());
        let got = cache.read("other").unwrap().unwrap();
        assert_eq!(got.access_token.expose_secret(), "a");
        assert!(got.refresh_token.is_none() && got.expiry.is_none());
    }
}
