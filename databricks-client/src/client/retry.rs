//! Retry policy (databricks-api.md §2.3–§2.4); the rules are documented on [`RetryConfig`].

use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::error::{Error, TransportErrorKind};

/// Exponential backoff with jitter, built with `backon`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BackoffConfig {
    /// First delay (default 1 s).
    pub initial: Duration,
    /// Largest delay (default 10 s).
    pub max: Duration,
    /// Growth factor (default 2).
    pub factor: f32,
    /// Add random jitter in `(0, delay)` (default on).
    pub jitter: bool,
    /// Seed for the jitter RNG, for reproducible tests.
    pub jitter_seed: Option<u64>,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(10),
            factor: 2.0,
            jitter: true,
            jitter_seed: None,
        }
    }
}

impl BackoffConfig {
    /// Sets the first delay.
    pub fn with_initial(mut self, initial: Duration) -> Self {
        self.initial = initial;
        self
    }

    /// Sets the largest delay.
    pub fn with_max(mut self, max: Duration) -> Self {
        self.max = max;
        self
    }

    /// Turns jitter on or off.
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// Seeds the jitter RNG.
    pub fn with_jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = Some(seed);
        self
    }

    pub(crate) fn delays(&self, max_retries: usize) -> impl Iterator<Item = Duration> + use<> {
        let mut builder = ExponentialBuilder::new()
            .with_min_delay(self.initial)
            .with_max_delay(self.max)
            .with_factor(self.factor)
            .with_max_times(max_retries);
        if self.jitter {
            builder = builder.with_jitter();
            if let Some(seed) = self.jitter_seed {
                builder = builder.with_jitter_seed(seed);
            }
        }
        builder.build()
    }
}

/// How requests are retried: which failures (below), how often
/// ([`max_retries`](Self::max_retries)), how long in total
/// ([`retry_timeout`](Self::retry_timeout)) and with which delays ([`backoff`](Self::backoff)).
///
/// Each attempt covers sending the request, receiving the response head and, for
/// [`RequestBuilder::send`](crate::RequestBuilder::send) and its `send_json`/`send_empty`
/// shorthands, reading the whole body: a response cut short is retried like a reset connection.
/// A body streamed with `send_bytes_stream` is retried until its head arrives, not midway.
///
/// | condition | [`TransportErrorKind`](crate::TransportErrorKind) / status | retried |
/// |---|---|---|
/// | 429, 503 | `Api` | always (the request was not processed); `Retry-After` (seconds or HTTP date) honoured, capped |
/// | transient worker-environment messages | `Api` | always (as every official SDK) |
/// | connection could not be established (refused, DNS, TLS) | `Connect` | always (nothing reached the server) |
/// | connection reset or closed before the response head | `Interrupted` | idempotent requests only |
/// | response body cut short (reset midway, fewer bytes than `Content-Length`) | `Body` | idempotent requests only |
/// | attempt timed out | `Timeout` | idempotent requests only |
/// | 500, 502, 504 | `Api` | idempotent requests only |
/// | anything else (4xx, redirects, malformed requests) | | never |
/// | streaming request bodies | | never (they cannot be replayed) |
///
/// Idempotent: `GET`, `HEAD`, `DELETE`, `PUT`, and requests marked with
/// [`RequestBuilder::idempotent`](crate::RequestBuilder::idempotent): documented idempotent
/// `POST`s, and `POST`s carrying an `idempotency_token` (`jobs/run-now` and `jobs/runs/submit`
/// mark themselves when a token is set — the server answers a repeated token with the run it
/// already started). Any other `POST` or `PATCH` is sent **once** after it may have reached the
/// server, so a reset never runs a job twice; its error says so with `attempts == 1`.
///
/// Every retry is bounded by [`max_retries`](Self::max_retries) and [`retry_timeout`](Self::retry_timeout);
/// a transport error that exhausted them names the attempts ("gave up after 4 attempts").
///
/// ```
/// use std::time::Duration;
/// use databricks_client::RetryConfig;
///
/// let retry = RetryConfig::default()
///     .with_retry_timeout(Duration::from_secs(60))
///     .with_max_retries(5);
/// assert_eq!(retry.max_retries, 5);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryConfig {
    /// Delay schedule between attempts.
    pub backoff: BackoffConfig,
    /// Most retries of one call (default 20).
    pub max_retries: usize,
    /// Total time budget of one call, attempts and sleeps included (default 5 minutes). When the
    /// next sleep would cross it, the last error is returned.
    pub retry_timeout: Duration,
    /// Cap on a server-requested `Retry-After` (default 60 s).
    pub max_retry_after: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            backoff: BackoffConfig::default(),
            max_retries: 20,
            retry_timeout: Duration::from_secs(300),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryConfig {
    /// Never retry.
    pub fn disabled() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Sets the backoff schedule.
    pub fn with_backoff(mut self, backoff: BackoffConfig) -> Self {
        self.backoff = backoff;
        self
    }

    /// Sets the most retries of one call.
    pub fn with_max_retries(mut self, max_retries: usize) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// Sets the total budget of one call.
    pub fn with_retry_timeout(mut self, retry_timeout: Duration) -> Self {
        self.retry_timeout = retry_timeout;
        self
    }

    /// Sets the cap on `Retry-After`.
    pub fn with_max_retry_after(mut self, cap: Duration) -> Self {
        self.max_retry_after = cap;
        self
    }
}

/// Whether a failed attempt may be sent again.
pub(crate) fn should_retry(error: &Error, idempotent: bool, replayable: bool) -> bool {
    if !replayable {
        return false;
    }
    match error {
        Error::Api(api) => {
            if api.is_retryable() {
                return true;
            }
            idempotent && matches!(api.status, 500 | 502 | 504)
        }
        Error::Transport { kind, .. } => match kind {
            TransportErrorKind::Connect => true,
            TransportErrorKind::Timeout
            | TransportErrorKind::Body
            | TransportErrorKind::Interrupted => idempotent,
            TransportErrorKind::Other => false,
        },
        Error::Auth {
            source: Some(source),
            ..
        } => should_retry(source, idempotent, replayable),
        _ => false,
    }
}

/// Parses `Retry-After` as delta-seconds or an HTTP date.
pub(crate) fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(7)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        h.insert(RETRY_AFTER, HeaderValue::from_str(&date).unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(30)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        h.insert(RETRY_AFTER, HeaderValue::from_str(&past).unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&h, now), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let delays: Vec<_> = BackoffConfig::default()
            .with_jitter(false)
            .delays(6)
            .collect();
        assert_eq!(
            delays,
            [1, 2, 4, 8, 10, 10].map(Duration::from_secs).to_vec()
        );
        let seeded = |s| {
            BackoffConfig::default()
                .with_jitter_seed(s)
                .delays(4)
                .collect::<Vec<_>>()
        };
        assert_eq!(seeded(7), seeded(7));
    }
}
