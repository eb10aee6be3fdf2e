//! Polling long-running operations until they reach a terminal state.
//!
//! [`poll_until`] calls a step function with a growing interval until it reports
//! [`Progress::Ready`] or [`Progress::Failed`], or the timeout passes — then it returns the last
//! observed state in [`WaitError::TimedOut`] instead of throwing it away. It spawns nothing:
//! dropping the future stops polling at once. Transient HTTP errors inside a step are already
//! retried by the client; an error that reaches the waiter ends it.
//!
//! This is the crate's one polling loop: every waiter (`wait_for_run`, `ensure_running`,
//! statements, warehouses, serving endpoints…) runs on it. [`poll_until_observed`] is the same
//! loop with an [`Observer`] that sees every poll (state and elapsed time, e.g. to report
//! progress) and may cancel the wait; [`poll_until`] uses [`NoObserver`]. Whether a state is
//! terminal is decided by pure predicates on the models ([`Run::is_terminal`],
//! [`ClusterState::is_running`], …), not by the waiter.
//!
//! [`Run::is_terminal`]: crate::models::jobs::Run::is_terminal
//! [`ClusterState::is_running`]: crate::models::clusters::ClusterState::is_running
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

use futures::future::{self, Either};

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

/// One poll as an [`Observer`] sees it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Observation<'a, S> {
    /// The state this poll observed.
    pub state: &'a S,
    /// What this poll concluded.
    pub outcome: Outcome,
    /// Time since the wait began.
    pub elapsed: Duration,
    /// Time left before the wait times out; zero when this pending poll is the last one.
    pub remaining: Duration,
    /// How many polls have completed, this one included (1 for the first).
    pub polls: u32,
}

/// What one poll concluded, without the state (see [`Progress`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Not done yet.
    Pending,
    /// Reached a successful terminal state: the wait ends.
    Ready,
    /// Reached a failure state: the wait ends.
    Failed,
}

impl Outcome {
    /// Whether the wait ends with this poll (ready or failed).
    pub fn is_terminal(self) -> bool {
        !matches!(self, Self::Pending)
    }
}

/// Watches a wait: called after every poll, and may cancel it.
///
/// ```
/// use std::time::Duration;
/// use databricks_client::wait::{Observation, Observer, PollOptions, Progress, poll_until_observed};
///
/// /// Collects the elapsed time of every poll.
/// #[derive(Default)]
/// struct Log(Vec<(u32, Duration)>);
///
/// impl Observer<u32> for Log {
///     async fn observe(&mut self, observation: Observation<'_, u32>) {
///         self.0.push((*observation.state, observation.elapsed));
///     }
/// }
///
/// # async fn run() -> Result<(), databricks_client::Error> {
/// let options = PollOptions::default().with_initial_interval(Duration::from_millis(1));
/// let mut log = Log::default();
/// let mut n = 0;
/// let done = poll_until_observed(&options, "n to reach 2", || {
///     n += 1;
///     let seen = n;
///     async move {
///         Ok::<_, databricks_client::Error>(if seen >= 2 { Progress::Ready(seen) } else { Progress::Pending(seen) })
///     }
/// }, &mut log)
/// .await?;
/// assert_eq!(done, 2);
/// assert_eq!(log.0.len(), 2);
/// # Ok(()) }
/// ```
pub trait Observer<S> {
    /// Called after every poll, before the waiter sleeps or returns.
    fn observe(&mut self, observation: Observation<'_, S>) -> impl Future<Output = ()> + Send;

    /// Resolves when the wait should stop early; it is raced against each sleep between polls,
    /// and the wait then ends with [`WaitError::Cancelled`]. The default never resolves.
    fn cancelled(&self) -> impl Future<Output = ()> + Send {
        std::future::pending()
    }
}

/// An [`Observer`] that does nothing: what [`poll_until`] uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoObserver;

impl<S> Observer<S> for NoObserver {
    fn observe(&mut self, _observation: Observation<'_, S>) -> impl Future<Output = ()> + Send {
        std::future::ready(())
    }
}

impl<S, O: Observer<S> + ?Sized> Observer<S> for &mut O {
    fn observe(&mut self, observation: Observation<'_, S>) -> impl Future<Output = ()> + Send {
        (**self).observe(observation)
    }

    fn cancelled(&self) -> impl Future<Output = ()> + Send {
        (**self).cancelled()
    }
}

/// Why [`poll_until`] stopped without a ready state.
///
/// `E` is the error type of the poll step: the crate's [`Error`] for [`poll_until`], anything for
/// [`poll_until_observed`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError<S, E = Error> {
    /// The timeout passed; `last` is the last observed state.
    #[error("timed out after {elapsed:?} waiting for {what}")]
    TimedOut {
        /// What was awaited.
        what: String,
        /// How long it waited.
        elapsed: Duration,
        /// The last observed state, if any poll completed (the first poll always happens, so
        /// this is `Some` unless that poll failed).
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
    /// The [`Observer`] cancelled the wait; the operation itself was left alone.
    #[error("stopped waiting for {what} after {elapsed:?}: cancelled")]
    Cancelled {
        /// What was awaited.
        what: String,
        /// How long it waited.
        elapsed: Duration,
        /// The last observed state.
        last: Option<S>,
    },
    /// A poll request failed.
    #[error(transparent)]
    Request(E),
}

impl<S> From<Error> for WaitError<S> {
    fn from(e: Error) -> Self {
        Self::Request(e)
    }
}

impl<S, E> WaitError<S, E> {
    /// The last observed state, if any.
    pub fn last_state(&self) -> Option<&S> {
        match self {
            Self::TimedOut { last, .. } | Self::Cancelled { last, .. } => last.as_ref(),
            Self::Failed { state, .. } => Some(state),
            Self::Request(_) => None,
        }
    }

    /// Takes the last observed state, if any.
    pub fn into_last_state(self) -> Option<S> {
        match self {
            Self::TimedOut { last, .. } | Self::Cancelled { last, .. } => last,
            Self::Failed { state, .. } => Some(state),
            Self::Request(_) => None,
        }
    }
}

impl<S: fmt::Debug> From<WaitError<S>> for Error {
    fn from(e: WaitError<S>) -> Self {
        wait_error(e, |s| Some(format!("{s:?}")))
    }
}

/// Converts a waiter error into the crate's [`Error`], rendering the last state with
/// `state_of` (e.g. just the state enum, not the whole `Debug` of a response).
///
/// A timeout becomes [`Error::WaitTimeout`], a failure state [`Error::OperationFailed`], a
/// cancellation [`Error::WaitCancelled`], and a request error stays itself.
pub(crate) fn wait_error<S>(e: WaitError<S>, state_of: impl Fn(&S) -> Option<String>) -> Error {
    match e {
        WaitError::TimedOut {
            what,
            elapsed,
            last,
        } => Error::WaitTimeout {
            what,
            elapsed,
            last_state: last.as_ref().and_then(state_of),
        },
        WaitError::Cancelled {
            what,
            elapsed,
            last,
        } => Error::WaitCancelled {
            what,
            elapsed,
            last_state: last.as_ref().and_then(state_of),
        },
        WaitError::Failed { what, message, .. } => Error::OperationFailed { what, message },
        WaitError::Request(e) => e,
    }
}

/// Polls `step` until it reports a terminal state or `options.timeout` passes.
///
/// `what` names the operation in errors ("run 42 to terminate"). The first poll happens at
/// once; the interval then grows from `initial_interval` by `multiplier` up to `max_interval`,
/// and the last sleep is shortened so that the final poll happens right at the deadline.
/// This is [`poll_until_observed`] with [`NoObserver`].
pub async fn poll_until<S, F, Fut>(
    options: &PollOptions,
    what: &str,
    step: F,
) -> Result<S, WaitError<S>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Progress<S>, Error>>,
{
    poll_until_observed(options, what, step, NoObserver).await
}

/// [`poll_until`] with an [`Observer`]: the one polling loop of the crate.
///
/// After every poll the observer sees the state, what the poll concluded, the elapsed and
/// remaining time; then the waiter returns (ready, failed, or timed out with the last state) or
/// sleeps, racing the sleep against [`Observer::cancelled`]. The step's error type `E` is free,
/// so callers outside this crate can wait on their own operations with the same policy.
pub async fn poll_until_observed<S, E, F, Fut, O>(
    options: &PollOptions,
    what: &str,
    mut step: F,
    mut observer: O,
) -> Result<S, WaitError<S, E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Progress<S>, E>>,
    O: Observer<S>,
{
    let started = Instant::now();
    let deadline = started + options.timeout;
    let mut interval = options.initial_interval;
    let mut polls = 0u32;
    loop {
        let progress = step().await.map_err(WaitError::Request)?;
        polls = polls.saturating_add(1);
        let now = Instant::now();
        let (state, outcome) = match &progress {
            Progress::Pending(state) => (state, Outcome::Pending),
            Progress::Ready(state) => (state, Outcome::Ready),
            Progress::Failed { state, .. } => (state, Outcome::Failed),
        };
        observer
            .observe(Observation {
                state,
                outcome,
                elapsed: now - started,
                remaining: deadline.saturating_duration_since(now),
                polls,
            })
            .await;
        let last = match progress {
            Progress::Ready(state) => return Ok(state),
            Progress::Failed { state, message } => {
                return Err(WaitError::Failed {
                    what: what.to_owned(),
                    state,
                    message,
                });
            }
            Progress::Pending(state) => state,
        };
        if now >= deadline {
            return Err(WaitError::TimedOut {
                what: what.to_owned(),
                elapsed: now - started,
                last: Some(last),
            });
        }
        tracing::debug!(what, interval_ms = interval.as_millis() as u64, "waiting");
        let wake = (now + interval).min(deadline);
        let sleep = std::pin::pin!(tokio::time::sleep_until(wake.into()));
        let cancelled = std::pin::pin!(observer.cancelled());
        if let Either::Right(_) = future::select(sleep, cancelled).await {
            return Err(WaitError::Cancelled {
                what: what.to_owned(),
                elapsed: started.elapsed(),
                last: Some(last),
            });
        }
        interval = interval
            .mul_f64(options.multiplier.max(1.0))
            .min(options.max_interval.max(options.initial_interval));
    }
}
