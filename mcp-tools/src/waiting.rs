//! Long operations (job runs, cluster starts, endpoint deployments) in tools.
//!
//! A tool that starts something long returns at once with an id and a status tool to poll, unless
//! the caller passes `wait_seconds`: then it polls with progress notifications until the operation
//! ends, the caller's limit passes, or the client cancels. The server operator sets a ceiling
//! ([`WaitPolicy::max_wait`]) that tool descriptions state; nothing waits for a hidden,
//! hard-coded time.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

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
/// `wait` returns the current state.
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
    let deadline = Instant::now() + wait;
    let mut interval = policy.initial_interval;
    let mut count = 0u32;
    loop {
        let step = poll().await?;
        count += 1;
        if step.done {
            ctx.report_progress(Progress::new(f64::from(count)).with_message(step.message))
                .await;
            return Ok(Waited::Done(step.state));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(Waited::StillRunning(step.state));
        }
        ctx.report_progress(Progress::new(f64::from(count)).with_message(step.message))
            .await;
        let sleep = interval.min(deadline - now);
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = ctx.cancellation().cancelled() => return Ok(Waited::Cancelled(step.state)),
        }
        interval = (interval * 2).min(policy.max_interval);
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
}
