//! A metadata cache around any [`DataSource`]: model lists and model descriptions are kept for a
//! time-to-live within a size bound, so a warm `query_model` makes no metadata round trip.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use moka::future::Cache;
use tracing::debug;

use crate::{
    Answer, AskOptions, Capabilities, ConnectionReport, DataSource, DynDataSource, Error,
    ModelDescription, ModelScope, ModelSummary, Provider, QueryOptions, QueryResult, Result,
    SemanticQuery, SqlRequest, StatementStatus,
};

/// How long cached metadata is served by default (5 minutes).
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(300);

/// How many entries (model lists and descriptions together) are kept by default.
pub const DEFAULT_MAX_CACHE_ENTRIES: u64 = 1_000;

/// The time source deciding whether a cached entry is still fresh.
///
/// [`SystemClock`] in production; [`ManualClock`] in tests, to expire entries without
/// sleeping.
pub trait CacheClock: Send + Sync + fmt::Debug + 'static {
    /// Time elapsed since an arbitrary, fixed origin; never decreases.
    fn now(&self) -> Duration;
}

/// The monotonic system clock.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl CacheClock for SystemClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// A clock that moves only when told to (tests). Clones share the same time.
///
/// ```
/// use std::time::Duration;
/// use datasource_model::{CacheClock, ManualClock};
///
/// let clock = ManualClock::new();
/// clock.advance(Duration::from_secs(90));
/// assert_eq!(clock.now(), Duration::from_secs(90));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    millis: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `by` (millisecond resolution).
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.millis.fetch_add(ms, Ordering::SeqCst);
    }
}

impl CacheClock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_millis(self.millis.load(Ordering::SeqCst))
    }
}

/// Which cached operation a lookup was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CacheLookup {
    /// [`DataSource::list_models`].
    ListModels,
    /// [`DataSource::describe_model`] (also the description `query_model` compiles against).
    DescribeModel,
}

impl CacheLookup {
    /// `list_models` or `describe_model` (a metrics label).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ListModels => "list_models",
            Self::DescribeModel => "describe_model",
        }
    }
}

/// Told about every cache lookup (metrics count hits and misses with it).
pub trait CacheObserver: Send + Sync + 'static {
    /// One lookup: `hit` is `true` when a fresh entry answered without calling the source.
    fn on_lookup(&self, lookup: CacheLookup, hit: bool);
}

#[derive(Debug, Clone)]
struct Entry<V> {
    value: V,
    stored_at: Duration,
}

type Store<V> = Cache<String, Entry<Arc<V>>>;

/// A [`DataSource`] that caches metadata of another: [`DataSource::list_models`] by scope and
/// [`DataSource::describe_model`] by model name, each entry for a time-to-live (default
/// [`DEFAULT_CACHE_TTL`]) and at most [`DEFAULT_MAX_CACHE_ENTRIES`] model lists and as many
/// descriptions (least recently used go first).
///
/// * Errors are never cached: the next call asks the source again.
/// * `query_model` compiles against the cached description
///   ([`DataSource::query_model_with_description`]), so on a warm cache only the query itself
///   reaches the backend. If the source rejects a member of a *cached* description as unknown,
///   the description is read again once and the query retried (the model may have changed).
/// * Concurrent misses of one key make one call to the source.
/// * `test_connection`, `ask`, `execute_sql`, `get_statement` and `cancel` are not cached.
/// * `Display` is the wrapped source's (error messages name the real source).
///
/// ```
/// # #[cfg(feature = "local")]
/// # async fn demo() -> datasource_model::Result<()> {
/// use std::sync::Arc;
/// use std::time::Duration;
/// use datasource_model::{CachedSource, DataSource, DynDataSource, LocalSource};
///
/// let local: Arc<DynDataSource> = Arc::new(LocalSource::sample().await?);
/// let cached = CachedSource::builder(local)
///     .ttl(Duration::from_secs(60))
///     .max_entries(500)
///     .build();
/// let first = cached.describe_model("revenue_metrics").await?; // reads the source
/// let again = cached.describe_model("revenue_metrics").await?; // from the cache
/// assert_eq!(first, again);
/// # Ok(()) }
/// ```
pub struct CachedSource<S: ?Sized = DynDataSource> {
    inner: Arc<S>,
    lists: Store<Vec<ModelSummary>>,
    descriptions: Store<ModelDescription>,
    ttl: Duration,
    max_entries: u64,
    clock: Arc<dyn CacheClock>,
    observer: Option<Arc<dyn CacheObserver>>,
}

impl<S: ?Sized + fmt::Debug> fmt::Debug for CachedSource<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedSource")
            .field("inner", &self.inner)
            .field("ttl", &self.ttl)
            .field("max_entries", &self.max_entries)
            .field("lists", &self.lists.entry_count())
            .field("descriptions", &self.descriptions.entry_count())
            .finish_non_exhaustive()
    }
}

impl<S: ?Sized + fmt::Display> fmt::Display for CachedSource<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

/// Builds a [`CachedSource`].
pub struct CachedSourceBuilder<S: ?Sized = DynDataSource> {
    inner: Arc<S>,
    ttl: Duration,
    max_entries: u64,
    clock: Arc<dyn CacheClock>,
    observer: Option<Arc<dyn CacheObserver>>,
}

impl<S: ?Sized> fmt::Debug for CachedSourceBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedSourceBuilder")
            .field("ttl", &self.ttl)
            .field("max_entries", &self.max_entries)
            .field("clock", &self.clock)
            .field("observer", &self.observer.is_some())
            .finish_non_exhaustive()
    }
}

impl<S: ?Sized + DataSource> CachedSourceBuilder<S> {
    /// How long an entry is served (default [`DEFAULT_CACHE_TTL`]). A zero TTL caches nothing.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The most model lists, and the most descriptions, kept (default
    /// [`DEFAULT_MAX_CACHE_ENTRIES`] each).
    pub fn max_entries(mut self, max_entries: u64) -> Self {
        self.max_entries = max_entries;
        self
    }

    /// The clock deciding freshness (default [`SystemClock`]; [`ManualClock`] in tests).
    pub fn clock(mut self, clock: Arc<dyn CacheClock>) -> Self {
        self.clock = clock;
        self
    }

    /// Reports every lookup, hit or miss, to `observer` (metrics).
    pub fn observer(mut self, observer: Arc<dyn CacheObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The cached source.
    pub fn build(self) -> CachedSource<S> {
        CachedSource {
            inner: self.inner,
            lists: store(self.max_entries, self.ttl),
            descriptions: store(self.max_entries, self.ttl),
            ttl: self.ttl,
            max_entries: self.max_entries,
            clock: self.clock,
            observer: self.observer,
        }
    }
}

fn store<V: Send + Sync + 'static>(max_entries: u64, ttl: Duration) -> Store<V> {
    let builder = Cache::builder().max_capacity(max_entries);
    // The clock decides freshness; the real-time TTL only frees the memory of stale entries.
    if ttl.is_zero() {
        builder.build()
    } else {
        builder.time_to_live(ttl).build()
    }
}

impl<S: ?Sized + DataSource> CachedSource<S> {
    /// A builder caching metadata of `inner`.
    pub fn builder(inner: Arc<S>) -> CachedSourceBuilder<S> {
        CachedSourceBuilder {
            inner,
            ttl: DEFAULT_CACHE_TTL,
            max_entries: DEFAULT_MAX_CACHE_ENTRIES,
            clock: Arc::new(SystemClock::new()),
            observer: None,
        }
    }

    /// `inner` with the default TTL and size bound.
    pub fn new(inner: Arc<S>) -> Self {
        Self::builder(inner).build()
    }

    /// The wrapped source.
    pub fn inner(&self) -> &Arc<S> {
        &self.inner
    }

    /// The time-to-live of an entry.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Drops every cached entry (for example after a model was changed).
    pub fn invalidate_all(&self) {
        self.lists.invalidate_all();
        self.descriptions.invalidate_all();
    }

    fn observe(&self, lookup: CacheLookup, hit: bool) {
        if let Some(o) = &self.observer {
            o.on_lookup(lookup, hit);
        }
    }

    /// A fresh entry for `key`, or the value `load` produces (stored if it succeeded). Returns
    /// the value and whether it came from the cache.
    async fn get_or_load<V, F, Fut>(
        &self,
        store: &Store<V>,
        key: &str,
        lookup: CacheLookup,
        load: F,
    ) -> Result<(Arc<V>, bool)>
    where
        V: Send + Sync + 'static,
        F: Fn() -> Fut,
        Fut: Future<Output = Result<V>>,
    {
        if self.ttl.is_zero() {
            self.observe(lookup, false);
            return Ok((Arc::new(load().await?), false));
        }
        if let Some(entry) = store.get(key).await {
            if self.is_fresh(&entry) {
                self.observe(lookup, true);
                return Ok((entry.value, true));
            }
            store.invalidate(key).await;
        }
        // One loader runs per key; an error is kept aside (never stored) and returned to the
        // caller whose loader produced it.
        let failure: Mutex<Option<Error>> = Mutex::new(None);
        let loaded = std::sync::atomic::AtomicBool::new(false);
        let result = store
            .try_get_with_by_ref(key, async {
                loaded.store(true, Ordering::SeqCst);
                match load().await {
                    Ok(value) => Ok(Entry {
                        value: Arc::new(value),
                        stored_at: self.clock.now(),
                    }),
                    Err(e) => {
                        if let Ok(mut slot) = failure.lock() {
                            *slot = Some(e);
                        }
                        Err(())
                    }
                }
            })
            .await;
        let hit = !loaded.load(Ordering::SeqCst);
        self.observe(lookup, hit);
        match result {
            Ok(entry) => Ok((entry.value, hit)),
            Err(_) => match failure.lock().ok().and_then(|mut slot| slot.take()) {
                Some(e) => Err(e),
                // Another caller's load failed while this one waited: ask the source itself.
                None => Ok((Arc::new(load().await?), false)),
            },
        }
    }

    fn is_fresh<V>(&self, entry: &Entry<V>) -> bool {
        self.clock.now().saturating_sub(entry.stored_at) < self.ttl
    }

    async fn description(&self, model: &str) -> Result<(Arc<ModelDescription>, bool)> {
        self.get_or_load(
            &self.descriptions,
            model,
            CacheLookup::DescribeModel,
            || self.inner.describe_model(model),
        )
        .await
    }
}

#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl<S: ?Sized + DataSource> DataSource for CachedSource<S> {
    fn provider(&self) -> Provider {
        self.inner.provider()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn test_connection(&self) -> Result<ConnectionReport> {
        self.inner.test_connection().await
    }

    async fn list_models(&self, scope: &ModelScope) -> Result<Vec<ModelSummary>> {
        let Ok(scope_key) = serde_json::to_string(scope) else {
            self.observe(CacheLookup::ListModels, false);
            return self.inner.list_models(scope).await;
        };
        let (models, _) = self
            .get_or_load(&self.lists, &scope_key, CacheLookup::ListModels, || {
                self.inner.list_models(scope)
            })
            .await?;
        Ok(models.as_ref().clone())
    }

    async fn describe_model(&self, model: &str) -> Result<ModelDescription> {
        Ok(self.description(model).await?.0.as_ref().clone())
    }

    async fn query_model(
        &self,
        query: &SemanticQuery,
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        let (description, hit) = self.description(&query.model).await?;
        let first = self
            .inner
            .query_model_with_description(query, &description, options)
            .await;
        match first {
            Err(Error::InvalidQuery { valid, .. }) if hit && !valid.is_empty() => {
                // A member unknown to the cached description may be new: read the model again
                // once and let the fresh description decide.
                debug!(source = %self, model = %query.model, "unknown member; re-reading the cached model");
                self.descriptions.invalidate(&query.model).await;
                let (fresh, _) = self.description(&query.model).await?;
                self.inner
                    .query_model_with_description(query, &fresh, options)
                    .await
            }
            other => other,
        }
    }

    async fn query_model_with_description(
        &self,
        query: &SemanticQuery,
        description: &ModelDescription,
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        self.inner
            .query_model_with_description(query, description, options)
            .await
    }

    async fn ask(&self, question: &str, options: &AskOptions) -> Result<Answer> {
        self.inner.ask(question, options).await
    }

    async fn execute_sql(
        &self,
        request: &SqlRequest,
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        self.inner.execute_sql(request, options).await
    }

    async fn get_statement(&self, query_id: &str) -> Result<StatementStatus> {
        self.inner.get_statement(query_id).await
    }

    async fn cancel(&self, query_id: &str) -> Result<()> {
        self.inner.cancel(query_id).await
    }
}
