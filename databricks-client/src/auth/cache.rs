//! The one refreshing-token cache every token-based strategy shares (databricks-api.md §1.6).
//!
//! The algorithm of the official SDKs: a token is treated as **expired 40 s early**; it becomes
//! **stale** at `expiry − min(TTL/2, 20 min)`, when one background refresh starts while the
//! still-valid token keeps being served; an expired token triggers a blocking refresh.
//! Concurrent callers share one refresh (single flight). A failed background refresh backs off
//! for a minute.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use secrecy::SecretString;

use crate::error::Result;

/// Tokens are treated as expired this long before their real expiry (Azure rejects ≤30 s).
pub(crate) const EXPIRY_MARGIN: Duration = Duration::from_secs(40);
/// The stale window never exceeds this.
const MAX_STALE_WINDOW: Duration = Duration::from_secs(20 * 60);
/// After a failed background refresh, wait this long before trying again in the background.
const ASYNC_FAILURE_BACKOFF: Duration = Duration::from_secs(60);

/// A source of "now", injectable so the cache can be tested without sleeping.
pub(crate) trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Instant;
}

#[derive(Debug)]
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A freshly obtained token and how long it lives from the moment the fetch started.
pub(crate) struct Fetched {
    pub(crate) access: SecretString,
    pub(crate) lifetime: Duration,
}

impl Fetched {
    /// A token whose expiry is an absolute wall-clock time (CLI output, IMDS `expires_on`).
    pub(crate) fn until(access: SecretString, expiry: SystemTime) -> Self {
        let lifetime = expiry
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        Self { access, lifetime }
    }

    /// A token whose expiry is a Unix timestamp in seconds.
    pub(crate) fn until_unix(access: SecretString, epoch_secs: u64) -> Self {
        Self::until(
            access,
            SystemTime::UNIX_EPOCH + Duration::from_secs(epoch_secs),
        )
    }
}

/// Obtains a new token; called by [`RefreshingToken`] under its single-flight lock.
#[async_trait]
pub(crate) trait TokenSource: Send + Sync + 'static {
    async fn fetch(&self) -> Result<Fetched>;
}

/// A cached token with single-flight, early-expiry and background refresh. Cheap to clone;
/// clones share the cache.
#[derive(Clone)]
pub(crate) struct RefreshingToken {
    inner: Arc<Inner>,
}

struct Inner {
    source: Box<dyn TokenSource>,
    state: Mutex<State>,
    refresh: tokio::sync::Mutex<()>,
    clock: Arc<dyn Clock>,
    what: &'static str,
}

#[derive(Default)]
struct State {
    token: Option<CachedToken>,
    background_refresh: bool,
    background_backoff_until: Option<Instant>,
}

#[derive(Clone)]
struct CachedToken {
    access: SecretString,
    expires_at: Instant,
    stale_at: Instant,
}

impl CachedToken {
    fn new(fetched: Fetched, started: Instant) -> Self {
        let expires_at = started + fetched.lifetime;
        let stale_window = (fetched.lifetime / 2).min(MAX_STALE_WINDOW);
        Self {
            access: fetched.access,
            expires_at,
            stale_at: expires_at.checked_sub(stale_window).unwrap_or(expires_at),
        }
    }

    fn is_expired(&self, now: Instant) -> bool {
        now + EXPIRY_MARGIN >= self.expires_at
    }

    fn is_stale(&self, now: Instant) -> bool {
        now >= self.stale_at
    }
}

impl RefreshingToken {
    /// Wraps a source. `what` names the strategy in logs.
    pub(crate) fn new(what: &'static str, source: impl TokenSource, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::new(Inner {
                source: Box::new(source),
                state: Mutex::new(State::default()),
                refresh: tokio::sync::Mutex::new(()),
                clock,
                what,
            }),
        }
    }

    /// A valid access token, refreshing as described in the module docs.
    pub(crate) async fn token(&self) -> Result<SecretString> {
        let now = self.inner.clock.now();
        {
            let mut state = self.inner.lock_state();
            if let Some(token) = state.token.clone()
                && !token.is_expired(now)
            {
                if token.is_stale(now) {
                    self.maybe_refresh_in_background(&mut state, now);
                }
                return Ok(token.access);
            }
        }
        // Blocking path: one caller refreshes, the others wait for it and reuse its token.
        let _guard = self.inner.refresh.lock().await;
        let now = self.inner.clock.now();
        if let Some(token) = self.inner.lock_state().token.clone()
            && !token.is_expired(now)
        {
            return Ok(token.access);
        }
        let token = self.inner.fetch().await?;
        let access = token.access.clone();
        self.inner.lock_state().token = Some(token);
        Ok(access)
    }

    /// Whether the cached token (if any) is the given one; for tests.
    #[cfg(test)]
    pub(crate) fn cached_is(&self, value: &str) -> bool {
        use secrecy::ExposeSecret;
        self.inner
            .lock_state()
            .token
            .as_ref()
            .is_some_and(|t| t.access.expose_secret() == value)
    }

    fn maybe_refresh_in_background(&self, state: &mut State, now: Instant) {
        if state.background_refresh
            || state
                .background_backoff_until
                .is_some_and(|until| now < until)
        {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        state.background_refresh = true;
        let inner = Arc::clone(&self.inner);
        runtime.spawn(async move {
            let _guard = inner.refresh.lock().await;
            let now = inner.clock.now();
            let still_stale = inner
                .lock_state()
                .token
                .as_ref()
                .is_none_or(|t| t.is_stale(now));
            let outcome = if still_stale {
                inner.fetch().await.map(Some)
            } else {
                Ok(None)
            };
            let mut state = inner.lock_state();
            state.background_refresh = false;
            match outcome {
                Ok(Some(token)) => state.token = Some(token),
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(auth_type = inner.what, %error, "background token refresh failed; serving the cached token");
                    state.background_backoff_until = Some(inner.clock.now() + ASYNC_FAILURE_BACKOFF);
                }
            }
        });
    }
}

impl Inner {
    fn lock_state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means another thread panicked mid-update of a cache; the data
        // is still a valid (possibly stale) cache entry.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn fetch(&self) -> Result<CachedToken> {
        let started = self.clock.now();
        let fetched = self.source.fetch().await?;
        tracing::debug!(
            auth_type = self.what,
            ttl_secs = fetched.lifetime.as_secs(),
            "obtained token"
        );
        Ok(CachedToken::new(fetched, started))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A clock moved by hand.
    #[derive(Debug)]
    pub(crate) struct ManualClock(Mutex<Instant>);

    impl ManualClock {
        pub(crate) fn new() -> Arc<Self> {
            Arc::new(Self(Mutex::new(Instant::now())))
        }
        pub(crate) fn advance(&self, by: Duration) {
            let mut now = self.0.lock().unwrap();
            *now += by;
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> Instant {
            *self.0.lock().unwrap()
        }
    }
}
