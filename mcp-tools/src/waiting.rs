//! Long operations (job runs, cluster starts, endpoint deployments) in tools.
//!
//! A tool that starts something long returns at once with an id and a status tool to poll, unless
//! the caller passes `wait_seconds`: then it polls with progress notifications until the operation
//! ends, the caller's limit passes, or the client cancels. The server operator sets a ceiling
//! ([`WaitPolicy::max_wait`]) that tool descriptions state; nothing waits for a hidden,
//! hard-coded time.
//!
//! This module owns no polling loop: it is a bridge from the library's one loop
//! ([`databricks_client::wait::poll_until_observed`]) to MCP. [`ProgressObserver`] is a
//! [`databricks_client::wait::Observer`] that turns every poll into a progress notification and
//! the call's cancellation into the end of the wait; [`wait_with_progress`] runs a tool's own
//! status call on that loop, and tools that wait through a library waiter (such as
//! `ClustersApi::ensure_running_observed`) hand it a [`ProgressObserver`].

use std::future::Future;
use std::time::Duration;

use databricks_client::wait::{
    Observation, Observer, PollOptions, Progress as PollProgress, WaitError, poll_until_observed,
};

use crate::{Progress, ToolContext};

/// How long tools may wait for long operations, and how often they poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WaitPolicy {
    /// The most a caller may ask to wait (`wait_seconds` above it is clamped, and the result says
    /// so). Default: 10 minutes.
    pub max_wait: Duration,
    /// The first polling interval. Default: 1 s.
    pub initial_interval: Duration,
    /// The longest polling interval (the interval doubles up to it). Default: 10 s.
    pub max_interval: Duration,
}

impl Default for WaitPolicy {
    fn default() -> Self {
        Self {
            max_wait: Duration::from_secs(600),
            initial_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(10),
        }
    }
}

impl WaitPolicy {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the ceiling on `wait_seconds`.
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// Sets the polling intervals (tests use milliseconds).
    pub fn with_intervals(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_interval = initial;
        self.max_interval = max.max(initial);
        self
    }

    /// The library polling options of a wait of `wait` under this policy: first poll at once,
    /// then `initial_interval` doubling up to `max_interval`, giving up after `wait`.
    pub fn poll_options(&self, wait: Duration) -> PollOptions {
        PollOptions::default()
            .with_timeout(wait)
            .with_initial_interval(self.initial_interval)
            .with_max_interval(self.max_interval.max(self.initial_interval))
            .with_multiplier(2.0)
    }

    /// The wait a caller's `wait_seconds` amounts to: `None` or `0` is no wait; values above
    /// [`WaitPolicy::max_wait`] are clamped. The flag says whether clamping happened.
    pub fn limit(&self, wait_seconds: Option<u64>) -> (Duration, bool) {
        let asked = Duration::from_secs(wait_seconds.unwrap_or(0));
        if asked > self.max_wait {
            (self.max_wait, true)
        } else {
            (asked, false)
        }
    }
}

/// One observation of a long operation.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Step<S> {
    /// What the status call returned.
    pub state: S,
    /// Whether the operation reached a terminal state (success or failure).
    pub done: bool,
    /// A short human-readable status for the progress notification, e.g. `RUNNING`.
    pub message: String,
}

impl<S> Step<S> {
    /// An observation.
    pub fn new(state: S, done: bool, message: impl Into<String>) -> Self {
        Self {
            state,
            done,
            message: message.into(),
        }
    }
}

/// How a wait ended.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Waited<S> {
    /// The operation reached a terminal state.
    Done(S),
    /// The caller's limit passed (or no wait was asked); the operation is still going.
    StillRunning(S),
    /// The client cancelled the tool call; the operation itself was left alone.
    Cancelled(S),
}

impl<S> Waited<S> {
    /// The last observed state.
    pub fn state(&self) -> &S {
        match self {
            Self::Done(s) | Self::StillRunning(s) | Self::Cancelled(s) => s,
        }
    }

    /// The last observed state, by value.
    pub fn into_state(self) -> S {
        match self {
            Self::Done(s) | Self::StillRunning(s) | Self::Cancelled(s) => s,
        }
    }

    /// Whether the operation ended.
    pub fn is_done(&self) -> bool {
        matches!(self, Self::Done(_))
    }
}

/// Polls `poll` until the operation is done, `wait` passes, or the call is cancelled, sending a
/// progress notification per observation. The first observation is made at once, so a zero
/// `wait` returns the current state. The loop is the library's
/// ([`poll_until_observed`] with a [`ProgressObserver`] and [`WaitPolicy::poll_options`]).
///
/// ```
/// # async fn demo() -> Result<(), databricks_client::Error> {
/// use std::time::Duration;
/// use mcp_tools::{Step, ToolContext, WaitPolicy, wait_with_progress};
/// let policy = WaitPolicy::new().with_intervals(Duration::from_millis(1), Duration::from_millis(2));
/// let mut n = 0;
/// let waited = wait_with_progress(&ToolContext::new(), &policy, Duration::from_secs(5), || {
///     n += 1;
///     let done = n == 3;
///     async move { Ok::<_, databricks_client::Error>(Step::new(n, done, if done { "TERMINATED" } else { "RUNNING" })) }
/// })
/// .await?;
/// assert!(waited.is_done());
/// assert_eq!(*waited.state(), 3);
/// # Ok(()) }
/// ```
pub async fn wait_with_progress<S, F, Fut, E>(
    ctx: &ToolContext,
    policy: &WaitPolicy,
    wait: Duration,
    mut poll: F,
) -> Result<Waited<S>, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Step<S>, E>>,
{
    let observer = StepObserver { ctx };
    let waited = poll_until_observed(
        &policy.poll_options(wait),
        "the operation",
        || {
            let next = poll();
            async move {
                let step = next.await?;
                Ok(if step.done {
                    PollProgress::Ready(step)
                } else {
                    PollProgress::Pending(step)
                })
            }
        },
        observer,
    )
    .await;
    match waited {
        Ok(step) => Ok(Waited::Done(step.state)),
        Err(WaitError::TimedOut {
            last: Some(step), ..
        }) => Ok(Waited::StillRunning(step.state)),
        Err(WaitError::Cancelled {
            last: Some(step), ..
        }) => Ok(Waited::Cancelled(step.state)),
        Err(WaitError::Request(e)) => Err(e),
        // The loop polls before it can time out or be cancelled, and no step reports a failure,
        // so this is not reached; observing once more keeps the answer truthful if it were.
        Err(_) => Ok(Waited::StillRunning(poll().await?.state)),
    }
}

/// Bridges the library's polling [`Observer`] to MCP: each poll becomes a progress
/// notification (`progress` = polls so far, `message` from the state), and the call's
/// cancellation ends the wait ([`WaitError::Cancelled`] /
/// [`databricks_client::Error::WaitCancelled`]). It also keeps the last state it was shown, so
/// a tool can render it after a timeout or a failure.
///
/// As before, the last poll of a wait that times out sends no notification (the tool's result
/// follows at once); a poll that ends the wait does.
///
/// ```
/// # async fn demo(ctx: &mcp_tools::ToolContext, client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
/// use std::time::Duration;
/// use databricks_client::api::DEFAULT_START_GRACE;
/// use databricks_client::models::clusters::ClusterDetails;
/// use mcp_tools::{ProgressObserver, WaitPolicy};
///
/// let policy = WaitPolicy::new();
/// let mut observer = ProgressObserver::new(ctx, |d: &ClusterDetails| {
///     d.state.as_ref().map_or_else(|| "UNKNOWN".to_owned(), ToString::to_string)
/// });
/// let running = client
///     .clusters()
///     .ensure_running_observed("0101-abc", &policy.poll_options(Duration::from_secs(60)), DEFAULT_START_GRACE, &mut observer)
///     .await;
/// let last_seen: Option<&ClusterDetails> = observer.last();
/// # let _ = (running, last_seen);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ProgressObserver<'a, S, M> {
    ctx: &'a ToolContext,
    message: M,
    last: Option<S>,
}

impl<'a, S, M> ProgressObserver<'a, S, M>
where
    M: FnMut(&S) -> String,
{
    /// Reports to `ctx`, with `message` rendering a state for the notification.
    pub fn new(ctx: &'a ToolContext, message: M) -> Self {
        Self {
            ctx,
            message,
            last: None,
        }
    }

    /// The last state shown to the observer (only kept for `Clone` states).
    pub fn last(&self) -> Option<&S> {
        self.last.as_ref()
    }

    /// Takes the last state shown to the observer.
    pub fn into_last(self) -> Option<S> {
        self.last
    }
}

impl<S, M> Observer<S> for ProgressObserver<'_, S, M>
where
    S: Clone,
    M: FnMut(&S) -> String,
{
    fn observe(&mut self, observation: Observation<'_, S>) -> impl Future<Output = ()> + Send {
        self.last = Some(observation.state.clone());
        let report = notification(&mut self.message, &observation);
        let ctx = self.ctx;
        async move {
            if let Some(progress) = report {
                ctx.report_progress(progress).await;
            }
        }
    }

    fn cancelled(&self) -> impl Future<Output = ()> + Send {
        self.ctx.cancellation().cancelled()
    }
}

/// The observer of [`wait_with_progress`]: a step carries its own message, and the state is
/// moved into the result by the loop, so nothing is kept (and `S` need not be `Clone`).
struct StepObserver<'a> {
    ctx: &'a ToolContext,
}

impl<S> Observer<Step<S>> for StepObserver<'_> {
    fn observe(
        &mut self,
        observation: Observation<'_, Step<S>>,
    ) -> impl Future<Output = ()> + Send {
        let report = notification(&mut |step: &Step<S>| step.message.clone(), &observation);
        let ctx = self.ctx;
        async move {
            if let Some(progress) = report {
                ctx.report_progress(progress).await;
            }
        }
    }

    fn cancelled(&self) -> impl Future<Output = ()> + Send {
        self.ctx.cancellation().cancelled()
    }
}

/// The notification for one poll: every poll except the last one of a wait that timed out
/// (the result follows at once), numbered by polls so far.
fn notification<S>(
    message: &mut impl FnMut(&S) -> String,
    observation: &Observation<'_, S>,
) -> Option<Progress> {
    if observation.outcome.is_terminal() || !observation.remaining.is_zero() {
        Some(Progress::new(f64::from(observation.polls)).with_message(message(observation.state)))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Default)]
    struct Sink(Mutex<Vec<Progress>>);
    #[async_trait::async_trait]
    impl crate::ProgressSink for Sink {
        async fn report(&self, p: Progress) {
            self.0.lock().unwrap().push(p);
        }
    }

    fn fast() -> WaitPolicy {
        WaitPolicy::new().with_intervals(Duration::from_millis(1), Duration::from_millis(4))
    }

    #[tokio::test]
    async fn zero_wait_observes_once() {
        let mut calls = 0;
        let w: Waited<u32> =
            wait_with_progress(&ToolContext::new(), &fast(), Duration::ZERO, || {
                calls += 1;
                async { Ok::<_, ()>(Step::new(1, false, "PENDING")) }
            })
            .await
            .unwrap();
        assert_eq!(calls, 1);
        assert_eq!(w, Waited::StillRunning(1));
    }

    #[tokio::test]
    async fn progress_is_reported_and_increases() {
        let sink = Arc::new(Sink::default());
        let ctx =
            ToolContext::new().with_progress(Arc::clone(&sink) as Arc<dyn crate::ProgressSink>);
        let mut n = 0;
        let w = wait_with_progress(&ctx, &fast(), Duration::from_secs(10), || {
            n += 1;
            let done = n == 4;
            async move { Ok::<_, ()>(Step::new(n, done, format!("poll {n}"))) }
        })
        .await
        .unwrap();
        assert_eq!(w, Waited::Done(4));
        let seen = sink.0.lock().unwrap();
        assert_eq!(seen.len(), 4);
        assert!(seen.windows(2).all(|w| w[0].progress < w[1].progress));
        assert_eq!(seen[3].message.as_deref(), Some("poll 4"));
    }

    #[tokio::test]
    async fn cancellation_and_limits() {
        let token = tokio_util::sync::CancellationToken::new();
        token.cancel();
        let ctx = ToolContext::new().with_cancellation(token);
        let w = wait_with_progress(&ctx, &fast(), Duration::from_secs(10), || async {
            Ok::<_, ()>(Step::new(0, false, "RUNNING"))
        })
        .await
        .unwrap();
        assert_eq!(w, Waited::Cancelled(0));
        let p = WaitPolicy::new().with_max_wait(Duration::from_secs(60));
        assert_eq!(p.limit(None), (Duration::ZERO, false));
        assert_eq!(p.limit(Some(30)), (Duration::from_secs(30), false));
        assert_eq!(p.limit(Some(3600)), (Duration::from_secs(60), true));
    }

    #[tokio::test]
    async fn progress_observer_bridges_a_library_wait() {
        use databricks_client::wait::{Progress as P, WaitError, poll_until_observed};
        let sink = Arc::new(Sink::default());
        let ctx =
            ToolContext::new().with_progress(Arc::clone(&sink) as Arc<dyn crate::ProgressSink>);
        let mut observer = ProgressObserver::new(&ctx, |n: &u32| format!("state {n}"));
        let mut n = 0u32;
        let done = poll_until_observed(
            &fast().poll_options(Duration::from_secs(10)),
            "n to reach 3",
            || {
                n += 1;
                let seen = n;
                async move {
                    Ok::<_, ()>(if seen == 3 {
                        P::Ready(seen)
                    } else {
                        P::Pending(seen)
                    })
                }
            },
            &mut observer,
        )
        .await
        .unwrap();
        assert_eq!(done, 3);
        assert_eq!(observer.last(), Some(&3));
        let messages: Vec<_> = sink
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|p| (p.progress, p.message.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            messages,
            [
                (1.0, "state 1".to_owned()),
                (2.0, "state 2".to_owned()),
                (3.0, "state 3".to_owned())
            ]
        );

        // The call's cancellation ends a library wait, keeping the last state.
        let token = tokio_util::sync::CancellationToken::new();
        token.cancel();
        let ctx = ToolContext::new().with_cancellation(token);
        let mut observer = ProgressObserver::new(&ctx, |n: &u32| n.to_string());
        let err = poll_until_observed(
            &fast().poll_options(Duration::from_secs(10)),
            "forever",
            || async { Ok::<_, ()>(P::Pending(7u32)) },
            &mut observer,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, WaitError::Cancelled { last: Some(7), .. }),
            "{err:?}"
        );
        assert_eq!(observer.into_last(), Some(7));
    }
}
