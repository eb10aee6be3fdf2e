// The README (with its example, a doctest) opens the crate docs. Its example runs the local
// provider, so without feature `local` a short introduction stands in for it.
#![cfg_attr(feature = "local", doc = include_str!("../README.md"))]
#![cfg_attr(
    not(feature = "local"),
    doc = "A provider-agnostic [`DataSource`] trait for semantic models (the runnable example of \
           the README needs feature `local`)."
)]
//!
//! # Overview
//!
//! Agents discover semantic models (Databricks metric views, Snowflake semantic views, models
//! declared over BigQuery, or models served by the embedded local engine), describe their
//! metrics and dimensions, query them structurally ([`SemanticQuery`]) or in natural language
//! ([`DataSource::ask`]), and run SQL — all through one object-safe trait used as
//! `Arc<dyn DataSource>` ([`DynDataSource`]). One conformance suite (feature `conformance`)
//! checks every provider against the same contract.
//!
//! # Main APIs
//!
//! * [`DataSource`] — the trait every provider implements; [`DataSourceExt`] adds shortcuts.
//! * [`SemanticQuery`], [`QueryOptions`], [`SqlRequest`], [`AskOptions`] — requests.
//! * [`ModelSummary`], [`ModelDescription`], [`QueryResult`], [`Answer`] — responses, all
//!   `serde` + `schemars::JsonSchema`, so tool layers derive their schemas from them.
//! * [`compile()`] with a [`Dialect`] — the semantic query compiler ([`DatabricksDialect`],
//!   [`LocalDialect`], [`SnowflakeDialect`], [`BigQueryDialect`]). Filter values are always
//!   bound parameters.
//! * [`DataSourceConfig`] — provider + settings from YAML, JSON or the environment;
//!   [`DataSourceConfig::build`] returns an `Arc<DynDataSource>`.
//! * [`Error`] — one semantic error enum with [`Error::is_retryable`].
//! * [`CachedSource`] — a metadata cache (models and descriptions, TTL and size bounds) around
//!   any source; a warm `query_model` makes no metadata round trip.
//!
//! # Providers
//!
//! | Provider | Feature | Models | Structured queries | `ask` |
//! |---|---|---|---|---|
//! | `LocalSource` | `local` (default) | metric-view YAML files | DataFusion | not supported |
//! | `DatabricksSource` | `databricks` (default) | UC metric views | Statement Execution | Genie |
//! | `SnowflakeSource` | `snowflake` (default) | semantic views | SQL API v2, `SEMANTIC_VIEW(…)` | Cortex Analyst |
//! | `BigQuerySource` | `bigquery` (default) | metric-view YAML over BigQuery tables | `jobs.query` (GoogleSQL) | not supported |
//!
//! # Numbers
//!
//! Rows are JSON values. Integers beyond 2^53 and all decimals are strings so nothing is
//! rounded; see [`Cell`]. serde_json's `arbitrary_precision` is deliberately not used.
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::fmt::{Debug, Display};

use async_trait::async_trait;

#[cfg(feature = "bigquery")]
mod bigquery;
#[path = "bigquery/config.rs"]
mod bigquery_config;
mod cache;
#[cfg(any(feature = "snowflake", feature = "bigquery"))]
mod calendar;
mod compile;
mod config;
#[cfg(feature = "conformance")]
pub mod conformance;
#[cfg(feature = "databricks")]
mod databricks;
mod error;
pub mod kubernetes;
#[cfg(feature = "local")]
mod local;
#[cfg(any(feature = "local", feature = "databricks", feature = "bigquery"))]
mod metric_view;
mod model;
mod principal;
mod query;
mod result;
pub mod selection;
#[cfg(feature = "snowflake")]
mod snowflake;
mod snowflake_config;

#[cfg(feature = "bigquery")]
pub use bigquery::BigQuerySource;
pub use bigquery_config::{BigQueryAuth, BigQueryConfig, BigQueryModelConfig};
pub use cache::{
    CacheClock, CacheLookup, CacheObserver, CachedSource, CachedSourceBuilder, DEFAULT_CACHE_TTL,
    DEFAULT_MAX_CACHE_ENTRIES, ManualClock, SystemClock,
};
pub use compile::{
    BigQueryDialect, CompareOp, CompileOptions, CompiledQuery, DatabricksDialect, Dialect,
    LocalDialect, MemberRef, PlannedDimension, PlannedMetric, Predicate, QueryPlan,
    SnowflakeDialect, compile, plan, validate_identifier,
};
pub use config::{
    DataSourceConfig, DatabricksConfig, LocalConfig, LocalModelConfig, LocalTableConfig,
    TableFormat,
};
#[cfg(feature = "databricks")]
pub use databricks::{DatabricksSource, discover_warehouse};
pub use error::{BoxError, Error, Result};
#[cfg(feature = "local")]
pub use local::{LocalSource, LocalSourceBuilder};
pub use model::{
    Capabilities, ConnectionCheck, ConnectionReport, DataType, Dimension, Metric, ModelDescription,
    ModelScope, ModelSummary, NativeDefinition, Provider, Relationship, TableDescription,
};
pub use principal::{
    CallerToken, DEFAULT_MAX_PRINCIPALS, DEFAULT_UNKNOWN_EXPIRY_TTL, PrincipalSources,
    SourceFactory, WallClock,
};
pub use query::{
    AskOptions, Direction, Filter, FilterCondition, FilterOperator, FilterValue, Granularity,
    OrderBy, QueryOptions, SemanticQuery, SqlParameter, SqlRequest, TimeDimension,
};
pub use result::{
    Answer, Cell, Column, MAX_SAFE_INTEGER, QueryResult, QueryStats, StatementState,
    StatementStatus,
};
pub use selection::{ModelSelector, Selection, selector_matches};
#[cfg(feature = "snowflake")]
pub use snowflake::{JwtClaims, KeyPairSigner, SnowflakeError, SnowflakeSource, jwt_account};
pub use snowflake_config::{SnowflakeAuth, SnowflakeConfig};

/// A trait object for [`DataSource`]; hold it as `Arc<DynDataSource>`.
pub type DynDataSource = dyn DataSource;

/// A source of semantic models: discover, describe, query, ask, run SQL.
///
/// # Contract
///
/// * `provider()` and `capabilities()` are cheap and never fail. Operations whose capability
///   flag is `false` return [`Error::NotSupported`] naming the provider and what to use instead.
/// * `list_models` returns the models within the configured scope narrowed by [`ModelScope`];
///   every returned [`ModelSummary::name`] is accepted by `describe_model` and `query_model`.
/// * `describe_model` of an unknown model is [`Error::NotFound`] with kind `model`.
/// * `query_model` validates every member against `describe_model`: an unknown member is
///   [`Error::InvalidQuery`] whose `valid` lists the valid names. Filter values are bound as
///   parameters, never spliced into SQL text. The returned [`QueryResult::sql`] is the SQL that
///   ran.
/// * Row caps: the smaller of [`SemanticQuery::limit`], [`QueryOptions::max_rows`] and the
///   source's own cap applies; if rows were cut, [`QueryResult::truncated`] is `true`.
/// * Numbers in rows are exact (see [`Cell`]): large integers and decimals come as strings.
/// * Errors are classified: transient failures answer `true` to [`Error::is_retryable`].
/// * Sources are `Send + Sync` and cheap to share; `Display` names the source for logs
///   (e.g. `Databricks(main.sales)`), `Debug` never prints secrets.
///
/// # Wrappers
///
/// A wrapper (limits, caching, tracing) must implement *every* method, including the defaulted
/// ones, and forward them; put `#[deny(clippy::missing_trait_methods)]` on the impl so a new
/// method cannot be forgotten.
///
/// # Upgrade guide
///
/// New operations are added with a default body returning [`Error::NotSupported`] or
/// [`Error::NotImplemented`], so existing implementations keep compiling; request and response
/// types are `#[non_exhaustive]` and built with `new` + `with_*`.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use datasource_model::{DynDataSource, ModelScope, QueryOptions, SemanticQuery};
///
/// async fn top_regions(source: Arc<DynDataSource>) -> datasource_model::Result<()> {
///     for model in source.list_models(&ModelScope::new()).await? {
///         println!("{}: {}", model.name, model.description.unwrap_or_default());
///     }
///     let query = SemanticQuery::new("revenue_metrics")
///         .with_metrics(["total_revenue"])
///         .with_dimensions(["region"])
///         .with_limit(5);
///     let result = source.query_model(&query, &QueryOptions::new()).await?;
///     println!("{} rows from: {}", result.row_count, result.sql.unwrap_or_default());
///     Ok(())
/// }
/// ```
#[async_trait]
pub trait DataSource: Debug + Display + Send + Sync + 'static {
    /// Which platform this is.
    fn provider(&self) -> Provider;

    /// What this source can do.
    fn capabilities(&self) -> Capabilities;

    /// Check that the source is reachable and usable (identity, compute, catalog access).
    /// A failing check is returned as the error it produced.
    async fn test_connection(&self) -> Result<ConnectionReport>;

    /// Discover semantic models.
    async fn list_models(&self, scope: &ModelScope) -> Result<Vec<ModelSummary>>;

    /// Describe one model: dimensions, metrics, tables, relationships.
    async fn describe_model(&self, model: &str) -> Result<ModelDescription>;

    /// Run a structured semantic query.
    async fn query_model(
        &self,
        query: &SemanticQuery,
        options: &QueryOptions,
    ) -> Result<QueryResult>;

    /// Run a structured semantic query against a description the caller already holds, such as
    /// a [`CachedSource`]'s, so a provider that describes the model before compiling skips that
    /// metadata round trip.
    ///
    /// `description` must be what [`DataSource::describe_model`] answered for `query.model`; the
    /// contract of [`DataSource::query_model`] applies (an unknown member is
    /// [`Error::InvalidQuery`] listing the valid names of *this* description). Providers that
    /// re-read metadata in `query_model` override it; the default runs
    /// [`DataSource::query_model`] and ignores `description`.
    async fn query_model_with_description(
        &self,
        query: &SemanticQuery,
        description: &ModelDescription,
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        let _ = description;
        self.query_model(query, options).await
    }

    /// Answer a natural-language question.
    async fn ask(&self, question: &str, options: &AskOptions) -> Result<Answer>;

    /// Run one SQL statement with bound parameters.
    async fn execute_sql(
        &self,
        request: &SqlRequest,
        options: &QueryOptions,
    ) -> Result<QueryResult>;

    /// Fetch a long-running statement by its id (from [`Error::Timeout`] or
    /// [`QueryResult::query_id`]). Default: [`Error::NotSupported`].
    async fn get_statement(&self, query_id: &str) -> Result<StatementStatus> {
        let _ = query_id;
        Err(Error::not_supported(
            self.to_string(),
            "get_statement",
            "this source runs statements to completion; re-run the query instead",
        ))
    }

    /// Cancel a running statement. Default: [`Error::NotSupported`].
    async fn cancel(&self, query_id: &str) -> Result<()> {
        let _ = query_id;
        Err(Error::not_supported(
            self.to_string(),
            "cancel",
            "this source cannot cancel statements",
        ))
    }
}

/// Shortcuts over [`DataSource`] with default options. Implemented for every source; do not
/// implement it yourself.
#[async_trait]
pub trait DataSourceExt: DataSource {
    /// [`DataSource::query_model`] with default [`QueryOptions`].
    async fn query(&self, query: &SemanticQuery) -> Result<QueryResult> {
        self.query_model(query, &QueryOptions::default()).await
    }

    /// [`DataSource::execute_sql`] of a statement without parameters, default options.
    async fn sql(&self, sql: &str) -> Result<QueryResult> {
        self.execute_sql(&SqlRequest::new(sql), &QueryOptions::default())
            .await
    }

    /// The names of all models in the configured scope.
    async fn model_names(&self) -> Result<Vec<String>> {
        Ok(self
            .list_models(&ModelScope::default())
            .await?
            .into_iter()
            .map(|m| m.name)
            .collect())
    }
}

impl<T: DataSource + ?Sized> DataSourceExt for T {}

#[cfg(test)]
mod tests {
    use super::*;

    fn _assert_object_safe(_: &DynDataSource) {}

    #[test]
    fn schemas_generate() {
        for schema in [
            schemars::schema_for!(SemanticQuery),
            schemars::schema_for!(QueryResult),
            schemars::schema_for!(ModelDescription),
            schemars::schema_for!(Answer),
            schemars::schema_for!(SqlRequest),
            schemars::schema_for!(ModelScope),
        ] {
            let v = serde_json::to_value(&schema).unwrap();
            assert!(v.get("properties").is_some(), "{v}");
        }
    }
}
