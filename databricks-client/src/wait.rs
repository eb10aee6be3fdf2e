//! Polling long-running operations until they reach a terminal state.
//!
//! [`poll_until`] calls a step function with a growing interval until it reports
//! [`Progress::Ready`] or [`Progress::Failed`], or the timeout passes — then it returns the last
//! observed state in [`WaitError::TimedOut`] instead of throwing it away. It spawns nothing:
//! dropping the future stops polling at once. Transient HTTP errors inside a step are already
//! retried by the client; an error that reaches the waiter ends it.
//!
//! ```
//! use std::time::Duration;
//! use databricks_client::wait::{PollOptions, Progress, poll_until};
//!
//! # async fn run() -> Result<(), databricks_client::Error> {
//! let mut calls = 0;
//! let options = PollOptions::default()
//!     .with_initial_interval(Duration::from_millis(1))
//!     .with_timeout(Duration::from_secs(5));
//! let state = poll_until(&options, "the counter to reach 3", || {
//!     calls += 1;
//!     let seen = calls;
//!     async move { Ok(if seen >= 3 { Progress::Ready(seen) } else { Progress::Pending(seen) }) }
//! })
//! .await?;
//! assert_eq!(state, 3);
//! # Ok(()) }
//! ```

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use crate::error::Error;

/// How often and how long to poll.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PollOptions {
    /// Give up after this long (default 20 minutes, as the official SDKs).
    pub timeout: Duration,
    /// First interval between polls (default 1 s).
    pub initial_interval: Duration,
    /// Largest interval between polls (default 10 s).
    pub max_interval: Duration,
    /// Interval growth factor (default 1.5).
    pub multiplier: f64,
}

impl Default for PollOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(20 * 60),
            initial_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(10),
            multiplier: 1.5,
        }
    }
}

impl PollOptions {
    /// Sets the timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the first interval.
    pub fn with_initial_interval(mut self, interval: Duration) -> Self {
        self.initial_interval = interval;
        self
    }

    /// Sets the largest interval.
    pub fn with_max_interval(mut self, interval: Duration) -> Self {
        self.max_interval = interval;
        self
    }

    /// Sets the growth factor (values below 1 are treated as 1).
    pub fn with_multiplier(mut self, multiplier: f64) -> Self {
        self.multiplier = multiplier;
        self
    }
}

/// What one poll observed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Progress<S> {
    /// Not done yet.
    Pending(S),
    /// Reached a successful terminal state.
    Ready(S),
    /// Reached a failure state.
    Failed {
        /// The observed state.
        state: S,
        /// Why it failed, in the server's words.
        message: String,
    },
}

/// Why [`poll_until`] stopped without a ready state.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError<S> {
    /// The timeout passed; `last` is the last observed state.
    #[error("timed out after {elapsed:?} waiting for {what}")]
    TimedOut {
        /// What was awaited.
        what: String,
        /// How long it waited.
        elapsed: Duration,
        /// The last observed state, if any poll completed.
        last: Option<S>,
    },
    /// The operation reached a failure state.
    #[error("{what} failed: {message}")]
    Failed {
        /// What was awaited.
        what: String,
        /// The failure state.
        state: S,
        /// The server's explanation.
        message: String,
    },
    /// A poll request failed.
    #[error(transparent)]
    Request(#[from] Error),
}

impl<S> WaitError<S> {
    /// The last observed state, if any.
    pub fn last_state(&self) -> Option<&S> {
        match self {
            Self::TimedOut { last, .. } => last.as_ref(),
            Self::Failed { state, .. } => Some(state),
            Self::Request(_) => None,
        }
    }

    /// Takes the last observed state, if any.
    pub fn into_last_state(self) -> Option<S> {
        match self {
            Self::TimedOut { last, .. } => last,
            Self::Failed { state, .. } => Some(state),
            Self::Request(_) => None,
        }
    }
}

impl<S: fmt::Debug> From<WaitError<S>> for Error {
    fn from(e: WaitError<S>) -> Self {
        match e {
            WaitError::TimedOut {
                what,
                elapsed,
                last,
            } => Self::WaitTimeout {
                what,
                elapsed,
                last_state: last.map(|s| format!("{s:?}")),
            },
            WaitError::Failed { what, message, .. } => Self::OperationFailed { what, message },
            WaitError::Request(e) => e,
        }
    }
}

/// Polls `step` until it reports a terminal state or `options.timeout` passes.
///
/// `what` names the operation in errors ("run 42 to terminate"). The first poll happens at
/// once; the interval then grows from `initial_interval` by `multiplier` up to `max_interval`,
/// and the last sleep is shortened so that the final poll happens right at the deadline.
pub async fn poll_until<S, F, Fut>(
    options: &PollOptions,
    what: &str,
    mut step: F,
) -> Result<S, WaitError<S>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Progress<S>, Error>>,
{
    let started = Instant::now();
    let deadline = started + options.timeout;
    let mut interval = options.initial_interval;
    let mut last;
    loop {
        match step().await? {
            Progress::Ready(state) => return Ok(state),
            Progress::Failed { state, message } => {
                return Err(WaitError::Failed {
                    what: what.to_owned(),
                    state,
                    message,
                });
            }
            Progress::Pending(state) => last = Some(state),
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(WaitError::TimedOut {
                what: what.to_owned(),
                elapsed: now - started,
                last,
            });
        }
        tracing::debug!(what, interval_ms = interval.as_millis() as u64, "waiting");
        tokio::time::sleep(interval.min(deadline - now)).await;
        interval = interval
            .mul_f64(options.multiplier.max(1.0))
            .min(options.max_interval.max(options.initial_interval));
    }
}
