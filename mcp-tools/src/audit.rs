//! The audit log: one JSON line per tool call, written by the [`crate::Registry`].
//!
//! A line holds the time (RFC 3339, UTC), the principal, the served tool name, the arguments
//! (secrets and long values elided), the outcome, the duration, the rows and bytes returned and
//! the statement or run id when the result names one. Secrets never appear: argument keys that
//! name credentials are replaced, every secret given to
//! [`crate::RegistryBuilder::redact_secret`] is replaced wherever it occurs, and long strings are
//! cut to their length.

use std::fmt;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::redact::Redactions;

/// Argument strings longer than this many bytes are replaced by `…[elided: N bytes]`.
pub const AUDIT_MAX_VALUE_BYTES: usize = 256;

/// Argument keys (lower-cased, `-` read as `_`) whose values are always replaced by `[REDACTED]`.
const SECRET_KEYS: &[&str] = &[
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "password",
    "passphrase",
    "secret",
    "client_secret",
    "api_key",
    "apikey",
    "authorization",
    "private_key",
    "credential",
    "credentials",
];

/// Where audit lines go.
///
/// ```
/// use mcp_tools::AuditLog;
///
/// let audit = AuditLog::memory();
/// assert!(audit.lines().is_empty());
/// let stderr = AuditLog::stderr();
/// # let _ = stderr;
/// ```
#[derive(Clone)]
pub struct AuditLog {
    sink: Arc<Sink>,
}

enum Sink {
    File { path: PathBuf, file: Mutex<File> },
    Stderr,
    Memory(Mutex<Vec<String>>),
}

impl fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.sink.as_ref() {
            Sink::File { path, .. } => write!(f, "AuditLog(file {})", path.display()),
            Sink::Stderr => f.write_str("AuditLog(stderr)"),
            Sink::Memory(lines) => write!(
                f,
                "AuditLog(memory, {} lines)",
                lines.lock().map_or(0, |l| l.len())
            ),
        }
    }
}

/// Why an audit log could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The file could not be opened for appending.
    #[error(
        "cannot open the audit log `{path}` for appending: {source}; check that its directory exists and is writable, or use `-` for stderr"
    )]
    Open {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

impl AuditLog {
    /// Appends lines to the file at `path`, created with mode `0600` (owner only) if missing.
    pub fn file(path: impl AsRef<Path>) -> Result<Self, AuditError> {
        let path = path.as_ref().to_path_buf();
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&path).map_err(|source| AuditError::Open {
            path: path.clone(),
            source,
        })?;
        Ok(Self {
            sink: Arc::new(Sink::File {
                path,
                file: Mutex::new(file),
            }),
        })
    }

    /// Writes lines to standard error.
    pub fn stderr() -> Self {
        Self {
            sink: Arc::new(Sink::Stderr),
        }
    }

    /// Keeps lines in memory (tests); read them with [`AuditLog::lines`].
    pub fn memory() -> Self {
        Self {
            sink: Arc::new(Sink::Memory(Mutex::new(Vec::new()))),
        }
    }

    /// `-` for stderr, anything else a file path (the `--audit-log` flag).
    pub fn from_target(target: &str) -> Result<Self, AuditError> {
        if target == "-" {
            Ok(Self::stderr())
        } else {
            Self::file(target)
        }
    }

    /// The lines written so far by a [`AuditLog::memory`] log (empty for the other sinks).
    pub fn lines(&self) -> Vec<String> {
        match self.sink.as_ref() {
            Sink::Memory(lines) => lines.lock().map(|l| l.clone()).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Writes one record. A failing write is reported through `tracing` and does not fail the
    /// tool call.
    pub(crate) fn write(&self, record: &AuditRecord<'_>) {
        let line = match serde_json::to_string(record) {
            Ok(line) => line,
            Err(e) => {
                tracing::warn!(error = %e, "audit record could not be serialized");
                return;
            }
        };
        let result = match self.sink.as_ref() {
            Sink::File { file, .. } => match file.lock() {
                Ok(mut f) => f.write_all(format!("{line}\n").as_bytes()),
                Err(_) => Err(io::Error::other("audit file lock poisoned")),
            },
            Sink::Stderr => io::stderr()
                .lock()
                .write_all(format!("{line}\n").as_bytes()),
            Sink::Memory(lines) => {
                if let Ok(mut l) = lines.lock() {
                    l.push(line);
                }
                Ok(())
            }
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "audit line could not be written");
        }
    }
}

/// One audit line.
#[derive(Debug, Serialize)]
pub(crate) struct AuditRecord<'a> {
    pub(crate) time: String,
    pub(crate) principal: &'a str,
    pub(crate) auth: &'a str,
    pub(crate) tool: String,
    pub(crate) arguments: Value,
    pub(crate) outcome: &'a str,
    pub(crate) duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rows: Option<u64>,
    pub(crate) bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) statement_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) run_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
}

/// The current time as RFC 3339 UTC.
pub(crate) fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}

/// Milliseconds of a duration, saturating.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The arguments as they may be logged: credential keys replaced, known secrets replaced, long
/// strings elided.
pub(crate) fn sanitize_arguments(args: &Value, redactions: &Redactions) -> Value {
    let mut v = sanitize(args);
    redactions.apply_value(&mut v);
    v
}

/// A string with every known secret replaced (cut it afterwards, never before).
pub(crate) fn redact_text(text: &str, redactions: &Redactions) -> String {
    let mut s = text.to_owned();
    redactions.replace_in(&mut s);
    s
}

fn sanitize(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(elide(s)),
        Value::Array(items) => Value::Array(items.iter().map(sanitize).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let value = if is_secret_key(k) {
                        Value::String("[REDACTED]".to_owned())
                    } else {
                        sanitize(v)
                    };
                    (elide(k), value)
                })
                .collect::<Map<String, Value>>(),
        ),
        other => other.clone(),
    }
}

fn elide(s: &str) -> String {
    if s.len() <= AUDIT_MAX_VALUE_BYTES {
        s.to_owned()
    } else {
        format!("…[elided: {} bytes]", s.len())
    }
}

fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace('-', "_");
    SECRET_KEYS.contains(&k.as_str())
        || k.ends_with("_token")
        || k.ends_with("_password")
        || k.ends_with("_secret")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_long_values_are_elided() {
        let mut r = Redactions::default();
        r.push("dapi-CANARY".to_owned());
        let args = serde_json::json!({
            "sql": "SELECT 'dapi-CANARY'",
            "Client-Secret": "s3cr3t",
            "nested": {"api_token": "t0k3n", "list": ["x".repeat(300)]},
            "n": 3
        });
        let v = sanitize_arguments(&args, &r);
        assert_eq!(v["sql"], "SELECT '[REDACTED]'");
        assert_eq!(v["Client-Secret"], "[REDACTED]");
        assert_eq!(v["nested"]["api_token"], "[REDACTED]");
        assert_eq!(v["nested"]["list"][0], "…[elided: 300 bytes]");
        assert_eq!(v["n"], 3);
    }

    #[test]
    fn the_time_is_rfc3339_utc() {
        let t = now_rfc3339();
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
    }
}
