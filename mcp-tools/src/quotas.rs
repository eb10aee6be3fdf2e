//! Quotas enforced by the [`crate::Registry`] before a tool runs: a per-principal rate limit on
//! tool calls and a cap on statements running at once. A refused call is an `isError` result
//! that says when to retry.

use std::collections::BTreeSet;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The tools that run warehouse statements (their unprefixed names), capped by
/// [`QuotasBuilder::max_concurrent_statements`] unless [`QuotasBuilder::statement_tools`]
/// says otherwise.
pub const STATEMENT_TOOLS: &[&str] = &[
    "query_model",
    "execute_sql",
    "execute_dbsql",
    "query_dataset",
    "genie_ask",
];

/// The principal name used for calls without an authenticated caller (stdio, loopback).
pub const ANONYMOUS_PRINCIPAL: &str = "anonymous";

/// Keys tracked by the rate limiter before stale ones are dropped.
const MAX_TRACKED_PRINCIPALS: usize = 10_000;

type KeyedLimiter = RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>;

/// Rate limit and statement cap, shared by every call of a registry. Cheap to clone.
///
/// ```
/// use mcp_tools::Quotas;
///
/// // 60 calls per minute per principal (bursts of 10), at most 4 statements at once.
/// let quotas = Quotas::builder()
///     .rate_limit_per_minute(60)
///     .burst(10)
///     .max_concurrent_statements(4)
///     .build();
/// assert_eq!(quotas.max_concurrent_statements(), Some(4));
/// ```
#[derive(Clone)]
pub struct Quotas {
    inner: Arc<Inner>,
}

struct Inner {
    limiter: Option<(KeyedLimiter, NonZeroU32)>,
    statements: Option<(Arc<Semaphore>, usize)>,
    statement_tools: BTreeSet<String>,
}

impl fmt::Debug for Quotas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Quotas")
            .field(
                "rate_limit_per_minute",
                &self.inner.limiter.as_ref().map(|(_, n)| n),
            )
            .field(
                "max_concurrent_statements",
                &self.max_concurrent_statements(),
            )
            .field("statement_tools", &self.inner.statement_tools)
            .finish()
    }
}

/// Builds [`Quotas`].
#[derive(Debug, Clone)]
pub struct QuotasBuilder {
    per_minute: u32,
    burst: Option<u32>,
    max_statements: usize,
    statement_tools: BTreeSet<String>,
}

impl Default for QuotasBuilder {
    fn default() -> Self {
        Self {
            per_minute: 0,
            burst: None,
            max_statements: 0,
            statement_tools: STATEMENT_TOOLS.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

impl QuotasBuilder {
    /// Tool calls each principal may make per minute (0, the default: no limit). Calls
    /// replenish evenly over the minute.
    pub fn rate_limit_per_minute(mut self, calls: u32) -> Self {
        self.per_minute = calls;
        self
    }

    /// How many calls a principal may make back to back before the rate applies (default: the
    /// per-minute rate; at least 1).
    pub fn burst(mut self, calls: u32) -> Self {
        self.burst = Some(calls);
        self
    }

    /// Statement tools running at once across all principals (0, the default: no cap).
    pub fn max_concurrent_statements(mut self, statements: usize) -> Self {
        self.max_statements = statements;
        self
    }

    /// Which tools (unprefixed names) count as statements (default [`STATEMENT_TOOLS`]).
    pub fn statement_tools<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.statement_tools = names.into_iter().map(Into::into).collect();
        self
    }

    /// The quotas.
    pub fn build(self) -> Quotas {
        let limiter = NonZeroU32::new(self.per_minute).map(|rate| {
            let burst = self.burst.and_then(NonZeroU32::new).unwrap_or(rate);
            (
                RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst)),
                rate,
            )
        });
        let statements = (self.max_statements > 0).then(|| {
            (
                Arc::new(Semaphore::new(self.max_statements)),
                self.max_statements,
            )
        });
        Quotas {
            inner: Arc::new(Inner {
                limiter,
                statements,
                statement_tools: self.statement_tools,
            }),
        }
    }
}

/// The answer to one call.
#[derive(Debug)]
pub(crate) enum Admission {
    /// Run it; a statement holds its slot until the permit drops.
    Admitted(Option<OwnedSemaphorePermit>),
    /// Refused: the reason (a metrics label and audit outcome) and the text for the caller.
    Refused {
        reason: &'static str,
        message: String,
    },
}

impl Quotas {
    /// A builder (no limits until set).
    pub fn builder() -> QuotasBuilder {
        QuotasBuilder::default()
    }

    /// The per-principal rate, if any.
    pub fn rate_limit_per_minute(&self) -> Option<u32> {
        self.inner.limiter.as_ref().map(|(_, n)| n.get())
    }

    /// The statement cap, if any.
    pub fn max_concurrent_statements(&self) -> Option<usize> {
        self.inner.statements.as_ref().map(|(_, n)| *n)
    }

    /// Whether `tool` (an unprefixed name) counts as a statement.
    pub fn is_statement_tool(&self, tool: &str) -> bool {
        self.inner.statement_tools.contains(tool)
    }

    /// Admits or refuses a call of `tool` (unprefixed) by `principal`.
    pub(crate) fn admit(&self, principal: &str, tool: &str) -> Admission {
        // The statement slot first, so a refused statement does not use up the caller's rate.
        let permit = match &self.inner.statements {
            Some((slots, max)) if self.is_statement_tool(tool) => {
                match Arc::clone(slots).try_acquire_owned() {
                    Ok(permit) => Some(permit),
                    Err(_) => {
                        return Admission::Refused {
                            reason: "concurrency_limited",
                            message: format!(
                                "`{tool}` was not run: {max} statements are already running on this server (the limit). Retry in a few seconds, when one has finished; long statements can be started with a short wait and polled with get_statement."
                            ),
                        };
                    }
                }
            }
            _ => None,
        };
        if let Some((limiter, rate)) = &self.inner.limiter {
            if limiter.len() > MAX_TRACKED_PRINCIPALS {
                limiter.retain_recent();
            }
            if let Err(not_until) = limiter.check_key(&principal.to_owned()) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                return Admission::Refused {
                    reason: "rate_limited",
                    message: format!(
                        "`{tool}` was not run: the rate limit of {rate} tool calls per minute for `{principal}` is used up. Retry in {}.",
                        retry_text(wait)
                    ),
                };
            }
        }
        Admission::Admitted(permit)
    }
}

/// `1.3 s`, rounded up to a tenth of a second (never `0.0 s`).
fn retry_text(wait: Duration) -> String {
    let tenths = wait.as_millis().div_ceil(100).max(1);
    format!("{}.{} s", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_text_rounds_up() {
        assert_eq!(retry_text(Duration::from_millis(1)), "0.1 s");
        assert_eq!(retry_text(Duration::from_millis(1250)), "1.3 s");
        assert_eq!(retry_text(Duration::ZERO), "0.1 s");
    }

    #[test]
    fn no_limits_admit_everything() {
        let q = Quotas::builder().build();
        for _ in 0..100 {
            assert!(matches!(
                q.admit("a", "execute_sql"),
                Admission::Admitted(None)
            ));
        }
        assert_eq!(q.rate_limit_per_minute(), None);
    }
}
