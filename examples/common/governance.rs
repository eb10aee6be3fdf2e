//! Governance flags shared by the example servers: audit log, quotas, metadata cache, and the
//! process's metrics (a `tracing` layer counts Databricks HTTP requests into them).
//!
//! Used by `databricks-mcp-server` and `datasource-mcp-server` through `#[path]`.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use datasource_model::{CachedSource, DynDataSource};
use mcp_tools::{AuditLog, Metrics, Quotas, RegistryBuilder};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Audit, quota and cache flags.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct GovernanceArgs {
    /// Append one JSON line per tool call to this file (created with mode 0600), or `-` for
    /// stderr. Secrets and long argument values are elided.
    #[arg(long, value_name = "PATH|-")]
    pub(crate) audit_log: Option<String>,
    /// Tool calls each principal may make per minute, as `N` or `N/min` (0: no limit). A refused
    /// call is an error result saying when to retry.
    #[arg(long, value_name = "N/min", default_value = "0", value_parser = parse_rate)]
    pub(crate) rate_limit: u32,
    /// Statement tools (query_model, execute_sql, execute_dbsql, query_dataset, genie_ask)
    /// running at once across all callers (0: no cap).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) max_concurrent_statements: usize,
    /// Seconds model lists and model descriptions are cached (0 turns the metadata cache off).
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub(crate) metadata_cache_ttl: u64,
}

/// `60` or `60/min`.
fn parse_rate(text: &str) -> Result<u32, String> {
    let n = text
        .trim()
        .strip_suffix("/min")
        .unwrap_or(text.trim())
        .trim();
    n.parse::<u32>().map_err(|_| {
        format!("`{text}` is not a rate: give calls per minute as `N` or `N/min`, e.g. `60/min`")
    })
}

/// The metrics of this process (one registry for every server it builds).
pub(crate) fn process_metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// Logs to stderr filtered by `RUST_LOG` (default `warn`), and counts the Databricks client's
/// HTTP requests into [`process_metrics`] whatever the log level.
#[allow(dead_code)]
pub(crate) fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(filter),
        )
        .with(process_metrics().tracing_layer())
        .init();
}

/// What the flags turn on.
#[derive(Debug, Clone)]
pub(crate) struct Governance {
    audit: Option<AuditLog>,
    quotas: Option<Quotas>,
    cache_ttl: Duration,
}

impl Governance {
    /// Opens the audit log and sets up quotas from the flags.
    pub(crate) fn from_args(args: &GovernanceArgs) -> Result<Self> {
        let audit = match &args.audit_log {
            Some(target) if target.trim().is_empty() => {
                bail!("--audit-log needs a file path, or `-` for stderr")
            }
            Some(target) => Some(AuditLog::from_target(target).context("--audit-log")?),
            None => None,
        };
        let quotas = (args.rate_limit > 0 || args.max_concurrent_statements > 0).then(|| {
            Quotas::builder()
                .rate_limit_per_minute(args.rate_limit)
                .max_concurrent_statements(args.max_concurrent_statements)
                .build()
        });
        Ok(Self {
            audit,
            quotas,
            cache_ttl: Duration::from_secs(args.metadata_cache_ttl),
        })
    }

    /// Adds audit, quotas and the process metrics to a registry.
    pub(crate) fn apply(&self, mut builder: RegistryBuilder) -> RegistryBuilder {
        if let Some(audit) = &self.audit {
            builder = builder.audit(audit.clone());
        }
        if let Some(quotas) = &self.quotas {
            builder = builder.quotas(quotas.clone());
        }
        builder.metrics(process_metrics().clone())
    }

    /// `source` behind the metadata cache (unless `--metadata-cache-ttl 0`), reporting hits and
    /// misses to the process metrics.
    pub(crate) fn cache(&self, source: Arc<DynDataSource>) -> Arc<DynDataSource> {
        if self.cache_ttl.is_zero() {
            return source;
        }
        Arc::new(
            CachedSource::builder(source)
                .ttl(self.cache_ttl)
                .observer(Arc::new(process_metrics().clone()))
                .build(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_with_or_without_unit() {
        assert_eq!(parse_rate("60"), Ok(60));
        assert_eq!(parse_rate("120/min"), Ok(120));
        assert!(parse_rate("fast").unwrap_err().contains("N/min"));
    }
}
