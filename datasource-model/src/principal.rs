//! Identity pass-through: one [`DataSource`](crate::DataSource) per caller, built with the
//! caller's own credential, so the backend's grants, row filters and column masks apply per end
//! user.
//!
//! [`PrincipalSources`] caches the sources, keyed by a SHA-256 digest of the caller's token
//! (never the token itself), within a size bound; an entry expires with the token that built it,
//! so a source is never reused after its credential ran out.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use moka::Expiry;
use moka::future::Cache;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::{DynDataSource, Error, Result};

/// How many per-caller sources are kept by default.
pub const DEFAULT_MAX_PRINCIPALS: u64 = 1_000;

/// How long a source built from a token without a known expiry is kept (5 minutes).
pub const DEFAULT_UNKNOWN_EXPIRY_TTL: Duration = Duration::from_secs(300);

/// Builds the source for one caller from the caller's credential.
pub type SourceFactory = Arc<dyn Fn(&SecretString) -> Result<Arc<DynDataSource>> + Send + Sync>;

/// The wall clock deciding whether a token has expired (replaceable in tests).
pub type WallClock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The credential of one caller: a bearer token and, when known, when it expires.
///
/// `Debug` never shows the token.
#[derive(Clone)]
#[non_exhaustive]
pub struct CallerToken {
    /// The bearer token.
    pub token: SecretString,
    /// When the token stops being valid (`exp`), if known.
    pub expires_at: Option<SystemTime>,
}

impl fmt::Debug for CallerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallerToken")
            .field("token", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl CallerToken {
    /// `token`, valid until `expires_at` (`None`: unknown).
    pub fn new(token: SecretString, expires_at: Option<SystemTime>) -> Self {
        Self { token, expires_at }
    }
}

#[derive(Clone)]
struct Entry {
    source: Arc<DynDataSource>,
    /// The wall-clock instant after which the entry must not be served.
    expires_at: SystemTime,
}

/// Expires each entry with its token (measured when it is inserted).
struct TokenExpiry {
    now: WallClock,
}

impl Expiry<[u8; 32], Entry> for TokenExpiry {
    fn expire_after_create(
        &self,
        _key: &[u8; 32],
        value: &Entry,
        _created_at: Instant,
    ) -> Option<Duration> {
        Some(
            value
                .expires_at
                .duration_since((self.now)())
                .unwrap_or(Duration::ZERO),
        )
    }
}

/// One [`DataSource`](crate::DataSource) per caller, built by a factory from the caller's token
/// and cached until the token expires.
///
/// ```
/// use std::sync::Arc;
/// use std::time::{Duration, SystemTime};
/// use datasource_model::{CallerToken, DynDataSource, LocalSource, PrincipalSources};
///
/// # async fn demo() -> datasource_model::Result<()> {
/// let sample = LocalSource::sample().await?;
/// let sources = PrincipalSources::new(Arc::new(move |_token: &secrecy::SecretString| {
///     // Build a client that uses the caller's token as its credential here.
///     let source: Arc<DynDataSource> = Arc::new(sample.clone());
///     Ok(source)
/// }))
/// .with_max_entries(100);
/// let caller = CallerToken::new(
///     "caller-token".to_owned().into(),
///     Some(SystemTime::now() + Duration::from_secs(600)),
/// );
/// let source = sources.source_for(&caller).await?;
/// assert!(Arc::ptr_eq(&source, &sources.source_for(&caller).await?));
/// # Ok(()) }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(demo()).unwrap();
/// ```
#[derive(Clone)]
pub struct PrincipalSources {
    factory: SourceFactory,
    cache: Cache<[u8; 32], Entry>,
    now: WallClock,
    unknown_expiry_ttl: Duration,
    max_entries: u64,
}

impl fmt::Debug for PrincipalSources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrincipalSources")
            .field("entries", &self.cache.entry_count())
            .field("max_entries", &self.max_entries)
            .field("unknown_expiry_ttl", &self.unknown_expiry_ttl)
            .finish_non_exhaustive()
    }
}

impl PrincipalSources {
    /// Sources built by `factory`, at most [`DEFAULT_MAX_PRINCIPALS`] kept.
    pub fn new(factory: SourceFactory) -> Self {
        let now: WallClock = Arc::new(SystemTime::now);
        Self::build(
            factory,
            now,
            DEFAULT_MAX_PRINCIPALS,
            DEFAULT_UNKNOWN_EXPIRY_TTL,
        )
    }

    fn build(factory: SourceFactory, now: WallClock, max_entries: u64, ttl: Duration) -> Self {
        let cache = Cache::builder()
            .max_capacity(max_entries)
            .expire_after(TokenExpiry {
                now: Arc::clone(&now),
            })
            .build();
        Self {
            factory,
            cache,
            now,
            unknown_expiry_ttl: ttl,
            max_entries,
        }
    }

    /// Keeps at most `max` callers' sources (the least used are evicted first).
    pub fn with_max_entries(self, max: u64) -> Self {
        Self::build(self.factory, self.now, max.max(1), self.unknown_expiry_ttl)
    }

    /// How long a source built from a token without an expiry is kept.
    pub fn with_unknown_expiry_ttl(self, ttl: Duration) -> Self {
        Self::build(self.factory, self.now, self.max_entries, ttl)
    }

    /// Uses `now` as the wall clock (tests move it to expire tokens without sleeping).
    pub fn with_clock(self, now: WallClock) -> Self {
        Self::build(self.factory, now, self.max_entries, self.unknown_expiry_ttl)
    }

    /// The source of the caller holding `caller`: the cached one while the token is valid,
    /// otherwise a new one from the factory.
    ///
    /// # Errors
    /// [`Error::Unauthenticated`] when the token has expired; the factory's error when it cannot
    /// build a source.
    pub async fn source_for(&self, caller: &CallerToken) -> Result<Arc<DynDataSource>> {
        let now = (self.now)();
        if caller.expires_at.is_some_and(|exp| exp <= now) {
            return Err(Error::Unauthenticated {
                message: "the caller's token has expired; obtain a new access token and call again"
                    .to_owned(),
            });
        }
        let key: [u8; 32] = Sha256::digest(caller.token.expose_secret().as_bytes()).into();
        if let Some(entry) = self.cache.get(&key).await {
            if entry.expires_at > now {
                tracing::debug!("per-caller source cache hit");
                return Ok(entry.source);
            }
            self.cache.invalidate(&key).await;
        }
        let source = (self.factory)(&caller.token)?;
        let expires_at = caller
            .expires_at
            .unwrap_or_else(|| now + self.unknown_expiry_ttl);
        self.cache
            .insert(
                key,
                Entry {
                    source: Arc::clone(&source),
                    expires_at,
                },
            )
            .await;
        tracing::debug!("built a per-caller source");
        Ok(source)
    }

    /// How many callers' sources are cached (approximate until pending maintenance ran).
    pub fn len(&self) -> u64 {
        self.cache.entry_count()
    }

    /// Whether no source is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs the cache's pending maintenance (evictions, expirations) now.
    pub async fn run_pending_tasks(&self) {
        self.cache.run_pending_tasks().await;
    }
}

#[cfg(feature = "databricks")]
impl PrincipalSources {
    /// Databricks token pass-through: each caller gets a [`crate::DatabricksSource`] over a
    /// client for `config.host` whose credential is the caller's token (a personal access token
    /// or an OAuth access token the workspace accepts), so Unity Catalog grants, row filters
    /// and column masks apply to that caller. `config.token` and `config.profile` are ignored.
    ///
    /// Tokens are passed as they are; OAuth token exchange (on-behalf-of) is not done here.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when `config.host` is absent.
    pub fn databricks(config: &crate::DatabricksConfig, max_rows: Option<u64>) -> Result<Self> {
        let Some(host) = config.host.clone() else {
            return Err(Error::invalid_config(
                "identity pass-through needs the workspace host (`host`, or DATABRICKS_HOST)",
            ));
        };
        let config = config.clone();
        Ok(Self::new(Arc::new(move |token: &SecretString| {
            let client_config = databricks_client::Config::builder()
                .host(host.clone())
                .token(token.expose_secret())
                .auth_type("pat")
                .build()
                .map_err(|e| {
                    Error::invalid_config(format!("Databricks client configuration: {e}"))
                })?;
            let client = databricks_client::WorkspaceClient::new(client_config)
                .map_err(|e| Error::invalid_config(format!("Databricks client: {e}")))?;
            let source: Arc<DynDataSource> =
                Arc::new(crate::DatabricksSource::new(client, &config, max_rows));
            Ok(source)
        })))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    struct Harness {
        sources: PrincipalSources,
        built: Arc<AtomicUsize>,
        seen: Arc<Mutex<Vec<String>>>,
        time: Arc<Mutex<SystemTime>>,
    }

    async fn harness() -> Harness {
        let sample = crate::LocalSource::sample().await.expect("sample");
        let built = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let time = Arc::new(Mutex::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_000),
        ));
        let (b, s) = (Arc::clone(&built), Arc::clone(&seen));
        let factory: SourceFactory = Arc::new(move |token: &SecretString| {
            b.fetch_add(1, Ordering::SeqCst);
            s.lock()
                .expect("lock")
                .push(token.expose_secret().to_owned());
            let source: Arc<DynDataSource> = Arc::new(sample.clone());
            Ok(source)
        });
        let t = Arc::clone(&time);
        let sources = PrincipalSources::new(factory)
            .with_clock(Arc::new(move || *t.lock().expect("lock")))
            .with_max_entries(10);
        Harness {
            sources,
            built,
            seen,
            time,
        }
    }

    fn token(value: &str, exp: u64) -> CallerToken {
        CallerToken::new(
            value.to_owned().into(),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(exp)),
        )
    }

    #[tokio::test]
    async fn one_source_per_token_until_it_expires() {
        let h = harness().await;
        let alice = token("alice-token", 2_000);
        let bob = token("bob-token", 5_000);
        let a1 = h.sources.source_for(&alice).await.expect("alice");
        let a2 = h.sources.source_for(&alice).await.expect("alice again");
        assert!(Arc::ptr_eq(&a1, &a2), "the cached source is reused");
        let b1 = h.sources.source_for(&bob).await.expect("bob");
        assert!(!Arc::ptr_eq(&a1, &b1), "each caller has its own source");
        assert_eq!(h.built.load(Ordering::SeqCst), 2);
        assert_eq!(
            *h.seen.lock().expect("lock"),
            ["alice-token", "bob-token"],
            "the factory gets each caller's own token"
        );

        // Past alice's exp: her token is refused and her entry is never served again.
        *h.time.lock().expect("lock") = SystemTime::UNIX_EPOCH + Duration::from_secs(2_500);
        let err = h.sources.source_for(&alice).await.expect_err("expired");
        assert!(err.is_auth(), "{err}");
        assert!(err.to_string().contains("expired"), "{err}");
        // Bob's token is still valid: his entry is reused.
        let b2 = h.sources.source_for(&bob).await.expect("bob again");
        assert!(Arc::ptr_eq(&b1, &b2));
        assert_eq!(h.built.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_entry_is_not_reused_past_its_expiry_even_for_a_token_claiming_more() {
        let h = harness().await;
        // The same token string presented with a later expiry (e.g. a refreshed claim set):
        // the old entry, built when the token expired at 2 000, is rebuilt, not reused.
        let first = h
            .sources
            .source_for(&token("carol", 2_000))
            .await
            .expect("carol");
        *h.time.lock().expect("lock") = SystemTime::UNIX_EPOCH + Duration::from_secs(2_001);
        let second = h
            .sources
            .source_for(&token("carol", 9_000))
            .await
            .expect("carol later");
        assert!(!Arc::ptr_eq(&first, &second));
        assert_eq!(h.built.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn the_size_bound_holds_and_debug_shows_no_token() {
        let h = harness().await;
        for i in 0..30 {
            h.sources
                .source_for(&token(&format!("token-{i}-CANARY"), 9_000))
                .await
                .expect("source");
        }
        h.sources.run_pending_tasks().await;
        assert!(h.sources.len() <= 10, "{} entries", h.sources.len());
        let debug = format!("{:?} {:?}", h.sources, token("secret-CANARY", 9_000));
        assert!(!debug.contains("CANARY"), "{debug}");
        assert!(debug.contains("[REDACTED]"), "{debug}");
    }

    #[tokio::test]
    async fn factory_errors_are_returned_and_nothing_is_cached() {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = Arc::clone(&calls);
        let sources = PrincipalSources::new(Arc::new(move |_t: &SecretString| {
            c.fetch_add(1, Ordering::SeqCst);
            Err(Error::invalid_config("no workspace"))
        }));
        let t = CallerToken::new("x".to_owned().into(), None);
        assert!(sources.source_for(&t).await.is_err());
        assert!(sources.source_for(&t).await.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[cfg(feature = "databricks")]
    #[test]
    fn databricks_needs_a_host() {
        let config: crate::DatabricksConfig = serde_json::from_value(serde_json::json!({
            "warehouse_id": "w", "catalog": "main"
        }))
        .expect("config");
        let err = PrincipalSources::databricks(&config, None).expect_err("no host");
        assert!(err.to_string().contains("host"), "{err}");
    }
}
