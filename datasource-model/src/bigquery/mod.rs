//! The BigQuery provider: semantic models declared in metric-view YAML over
//! `project.dataset.table`, compiled to GoogleSQL ([`BigQueryDialect`]) and run through the
//! REST API's `jobs.query` with named, typed parameters and a cost guard.

mod cells;
mod client;
mod credential;
mod error;
mod models;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use tokio::sync::Mutex;
use tracing::debug;

use crate::compile::{
    BigQueryDialect, CompileOptions, compile, is_query_source, validate_identifier,
};
use crate::{
    Answer, AskOptions, BigQueryAuth, BigQueryConfig, Capabilities, ConnectionReport, DataSource,
    DataType, Error, ModelDescription, ModelScope, ModelSummary, Provider, QueryOptions,
    QueryResult, QueryStats, Result, SemanticQuery, SqlParameter, SqlRequest, StatementState,
    StatementStatus, metric_view,
};

use client::{Client, RetrySettings, format_query_id, parse_query_id};
use credential::{Credentials, TokenSource};
use error::BigQueryError;
use models::{
    DatasetReference, QueryParameter, QueryParameterType, QueryParameterValue, QueryRequest,
    TableSchema, int64,
};

/// Provider name used in errors.
pub(crate) const PROVIDER: &str = "BigQuery";
/// Rows per page asked of the API.
const PAGE_SIZE: u64 = 10_000;
/// Default time a query may take before the call returns a timeout with its job id.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// BigQuery as a [`DataSource`]. BigQuery has no semantic object, so models are declared in
/// the metric-view YAML the local provider reads (one file works locally, on Databricks and
/// here); their `source:` tables live in the configured `project.dataset`.
///
/// * `describe_model` fills member types from the tables' real schemas (`tables.get`).
/// * `query_model` compiles with [`BigQueryDialect`]: filter values become named, typed query
///   parameters (`@p1`), the row cap goes into the SQL (`LIMIT cap+1`, so `truncated` is exact).
/// * Cost guard: with `maximum_bytes_billed` set, a dry run estimates `totalBytesProcessed`
///   first and refuses queries above the cap (the error names both numbers); every job also
///   carries `maximumBytesBilled`. The estimate is in [`QueryStats::estimated_bytes`].
/// * `get_statement` / `cancel` take the `query_id` of a result or timeout
///   (`project:LOCATION.job_id`).
///
/// Cheap to clone.
///
/// ```no_run
/// # async fn demo() -> datasource_model::Result<()> {
/// use datasource_model::{BigQueryConfig, BigQuerySource, DataSource, QueryOptions, SemanticQuery};
///
/// let source = BigQuerySource::from_config(
///     &BigQueryConfig::new("my-project", "sales")
///         .with_location("US")
///         .with_maximum_bytes_billed(10_000_000_000)
///         .with_model_file("models/revenue_metrics.yaml"),
///     Some(5000),
/// )?;
/// let result = source
///     .query_model(
///         &SemanticQuery::new("revenue_metrics")
///             .with_metrics(["total_revenue"])
///             .with_dimensions(["region"]),
///         &QueryOptions::new(),
///     )
///     .await?;
/// println!("{} rows, ~{:?} bytes", result.row_count, result.stats.estimated_bytes);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct BigQuerySource {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    project: String,
    dataset: String,
    location: Option<String>,
    models: BTreeMap<String, ModelDescription>,
    max_rows: Option<u64>,
    maximum_bytes_billed: Option<u64>,
    labels: BTreeMap<String, String>,
    job_creation_mode: Option<String>,
    timeout: Duration,
    schemas: Mutex<HashMap<String, Arc<TableSchema>>>,
}

impl fmt::Debug for BigQuerySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BigQuerySource")
            .field("project", &self.inner.project)
            .field("dataset", &self.inner.dataset)
            .field("location", &self.inner.location)
            .field("models", &self.inner.models.keys().collect::<Vec<_>>())
            .field("max_rows", &self.inner.max_rows)
            .field("maximum_bytes_billed", &self.inner.maximum_bytes_billed)
            .field("client", &self.inner.client)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for BigQuerySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BigQuery({}.{})", self.inner.project, self.inner.dataset)
    }
}

fn load_models(config: &BigQueryConfig) -> Result<BTreeMap<String, ModelDescription>> {
    let mut inputs: Vec<(Option<String>, Option<PathBuf>, Option<String>)> = config
        .models
        .iter()
        .map(|m| (m.name.clone(), m.path.clone(), m.yaml.clone()))
        .collect();
    if let Some(dir) = &config.models_dir {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            Error::invalid_config(format!(
                "cannot read bigquery.models_dir {}: {e}",
                dir.display()
            ))
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
            .collect();
        files.sort();
        inputs.extend(files.into_iter().map(|f| (None, Some(f), None)));
    }
    let mut models = BTreeMap::new();
    for (name, path, yaml) in inputs {
        let (name, yaml) = match (yaml, path) {
            (Some(yaml), _) => (
                name.ok_or_else(|| {
                    Error::invalid_config("an inline `bigquery.models` entry needs a `name`")
                })?,
                yaml,
            ),
            (None, Some(path)) => {
                let yaml = std::fs::read_to_string(&path).map_err(|e| {
                    Error::invalid_config(format!("cannot read model file {}: {e}", path.display()))
                })?;
                (name.unwrap_or_else(|| file_stem(&path)), yaml)
            }
            (None, None) => {
                return Err(Error::invalid_config(
                    "a `bigquery.models` entry needs `path` or `yaml`",
                ));
            }
        };
        validate_identifier(&name).map_err(|_| {
            Error::invalid_config(format!(
                "model name `{name}` is not a valid identifier (letters, digits, `_`)"
            ))
        })?;
        let mv = metric_view::parse(&name, &yaml)?;
        let description = metric_view::to_description(&name, &mv, &yaml);
        if models.insert(name.clone(), description).is_some() {
            return Err(Error::invalid_config(format!(
                "model `{name}` is defined twice"
            )));
        }
    }
    Ok(models)
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn token_source(
    auth: &BigQueryAuth,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<TokenSource, BigQueryError> {
    match auth {
        BigQueryAuth::ApplicationDefault { metadata_endpoint } => {
            TokenSource::application_default(var, metadata_endpoint.as_deref())
        }
        BigQueryAuth::ServiceAccountKey { path: Some(p), .. } => TokenSource::from_file(p),
        BigQueryAuth::ServiceAccountKey {
            path: None,
            env: Some(name),
        } => {
            let text = var(name).ok_or_else(|| {
                BigQueryError::Auth(format!(
                    "environment variable {name} (bigquery.auth.env) is not set; put the service-account key JSON in it"
                ))
            })?;
            TokenSource::from_json(&text, &format!("environment variable {name}"))
        }
        BigQueryAuth::ServiceAccountKey {
            path: None,
            env: None,
        } => Err(BigQueryError::Config(
            "bigquery.auth of type service_account_key needs `path` or `env`".into(),
        )),
        BigQueryAuth::MetadataServer { endpoint } => {
            Ok(TokenSource::Metadata(endpoint.clone().unwrap_or_else(
                || credential::DEFAULT_METADATA_ENDPOINT.to_string(),
            )))
        }
        BigQueryAuth::AccessToken { token } => Ok(TokenSource::Static(token.clone())),
    }
}

/// The BigQuery parameter type for a bound value.
fn param_type(t: DataType) -> &'static str {
    match t {
        DataType::Integer => "INT64",
        DataType::Float => "FLOAT64",
        DataType::Decimal => "BIGNUMERIC",
        DataType::Boolean => "BOOL",
        DataType::Date => "DATE",
        DataType::Timestamp => "TIMESTAMP",
        DataType::Time => "TIME",
        DataType::Binary => "BYTES",
        DataType::Json => "JSON",
        _ => "STRING",
    }
}

fn query_parameter(p: &SqlParameter) -> QueryParameter {
    QueryParameter {
        name: p.name.clone(),
        parameter_type: QueryParameterType {
            type_: param_type(p.data_type),
        },
        parameter_value: QueryParameterValue {
            value: p.value.clone(),
        },
    }
}

/// The table alias and column an expression names (`source.amount`, `amount`), if it is just
/// a column.
fn column_ref(expr: &str) -> Option<(Option<&str>, &str)> {
    let e = expr.trim();
    let plain = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match e.split_once('.') {
        Some((t, c)) if plain(t) && plain(c) => Some((Some(t), c)),
        None if plain(e) => Some((None, e)),
        _ => None,
    }
}

impl BigQuerySource {
    /// Build from settings. Credentials follow `config.auth` (Application Default Credentials
    /// by default, which read `GOOGLE_APPLICATION_CREDENTIALS` and the gcloud file); model
    /// files are read and parsed now, so a broken model fails here with
    /// [`Error::InvalidConfig`].
    pub fn from_config(config: &BigQueryConfig, max_rows: Option<u64>) -> Result<Self> {
        Self::build(
            config,
            max_rows,
            &|k| std::env::var(k).ok(),
            RetrySettings::default(),
        )
    }

    fn build(
        config: &BigQueryConfig,
        max_rows: Option<u64>,
        var: &dyn Fn(&str) -> Option<String>,
        retry: RetrySettings,
    ) -> Result<Self> {
        if config.project_id.trim().is_empty() || config.dataset.trim().is_empty() {
            return Err(Error::invalid_config(
                "`bigquery.project_id` and `bigquery.dataset` must not be empty",
            ));
        }
        let models = load_models(config)?;
        let source = token_source(&config.auth, var)?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("datasource-model/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(300))
            .build()
            .map_err(|e| Error::invalid_config(format!("BigQuery HTTP client: {e}")))?;
        let endpoint = config
            .endpoint
            .clone()
            .unwrap_or_else(|| client::DEFAULT_ENDPOINT.to_string());
        let client = Client::new(http, &endpoint, Credentials::new(source), retry)?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                project: config.project_id.clone(),
                dataset: config.dataset.clone(),
                location: config.location.clone(),
                models,
                max_rows,
                maximum_bytes_billed: config.maximum_bytes_billed,
                labels: config.labels.clone(),
                job_creation_mode: config.job_creation_mode.clone(),
                timeout: config
                    .timeout_ms
                    .map_or(DEFAULT_TIMEOUT, Duration::from_millis),
                schemas: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Build with fast retries (tests).
    #[doc(hidden)]
    pub fn from_config_with_retry_delay(
        config: &BigQueryConfig,
        max_rows: Option<u64>,
        min_delay: Duration,
    ) -> Result<Self> {
        let retry = RetrySettings {
            min_delay,
            max_delay: min_delay * 4,
            ..RetrySettings::default()
        };
        Self::build(config, max_rows, &|k| std::env::var(k).ok(), retry)
    }

    fn model(&self, name: &str) -> Result<&ModelDescription> {
        self.inner.models.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.inner.models.keys().map(String::as_str).collect();
            Error::not_found(
                "model",
                name,
                format!(
                    "{self} declares no such model; declared models: {}",
                    known.join(", ")
                ),
            )
        })
    }

    fn cap(&self, requested: Option<u64>) -> Option<u64> {
        match (requested, self.inner.max_rows) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// `project`, `dataset`, `table` of a model source (`table`, `dataset.table` or
    /// `project.dataset.table`).
    fn table_path(&self, source: &str) -> Option<(String, String, String)> {
        let parts: Vec<&str> = source
            .trim()
            .split('.')
            .map(|p| p.trim_matches('`'))
            .collect();
        match parts.as_slice() {
            [t] => Some((
                self.inner.project.clone(),
                self.inner.dataset.clone(),
                (*t).into(),
            )),
            [d, t] => Some((self.inner.project.clone(), (*d).into(), (*t).into())),
            [p, d, t] => Some(((*p).into(), (*d).into(), (*t).into())),
            _ => None,
        }
    }

    async fn schema(&self, source: &str) -> Result<Arc<TableSchema>> {
        let Some((p, d, t)) = self.table_path(source) else {
            return Ok(Arc::new(TableSchema::default()));
        };
        let key = format!("{p}.{d}.{t}");
        let mut cache = self.inner.schemas.lock().await;
        if let Some(s) = cache.get(&key) {
            return Ok(Arc::clone(s));
        }
        let schema =
            Arc::new(self.inner.client.table_schema(&p, &d, &t).await.map_err(
                |e| match Error::from(e) {
                    Error::NotFound { message, .. } => Error::not_found(
                        "table",
                        key.clone(),
                        format!("{message}; fix the model's `source` or the configured dataset"),
                    ),
                    other => other,
                },
            )?);
        cache.insert(key, Arc::clone(&schema));
        Ok(schema)
    }

    /// Fill member types from the tables' schemas.
    async fn enrich(&self, mut d: ModelDescription) -> Result<ModelDescription> {
        let mut by_alias: HashMap<String, Arc<TableSchema>> = HashMap::new();
        for t in &d.tables {
            if !is_query_source(&t.source) {
                by_alias.insert(t.name.clone(), self.schema(&t.source).await?);
            }
        }
        let base = d.tables.first().map(|t| t.name.clone()).unwrap_or_default();
        let lookup = |expr: &str| -> Option<String> {
            let (alias, col) = column_ref(expr)?;
            let schema = by_alias.get(alias.unwrap_or(&base))?;
            let f = schema
                .fields
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(col))?;
            Some(cells::raw_type(f))
        };
        for dim in &mut d.dimensions {
            let raw = dim
                .expression
                .as_deref()
                .and_then(&lookup)
                .or_else(|| lookup(&dim.name));
            if let Some(raw) = raw {
                dim.data_type = cells::scalar_type(&raw);
                dim.is_time = dim.data_type.is_temporal();
                dim.raw_type = Some(raw);
            }
        }
        for m in &mut d.metrics {
            if let Some(raw) = m
                .expression
                .as_deref()
                .and_then(|e| metric_type(e, &lookup))
            {
                m.data_type = cells::scalar_type(&raw);
                m.raw_type = Some(raw);
            }
        }
        Ok(d)
    }

    fn base_request(&self, sql: &str, parameters: &[SqlParameter]) -> QueryRequest {
        QueryRequest {
            query: sql.to_string(),
            use_legacy_sql: false,
            default_dataset: Some(DatasetReference {
                project_id: self.inner.project.clone(),
                dataset_id: self.inner.dataset.clone(),
            }),
            location: self.inner.location.clone(),
            parameter_mode: (!parameters.is_empty()).then_some("NAMED"),
            query_parameters: parameters.iter().map(query_parameter).collect(),
            maximum_bytes_billed: self.inner.maximum_bytes_billed.map(|b| b.to_string()),
            labels: self.inner.labels.clone(),
            job_creation_mode: self.inner.job_creation_mode.clone(),
            ..QueryRequest::default()
        }
    }

    /// Dry run (cost estimate), then the query; rows up to `cap + 1` are read, page by page.
    async fn run(
        &self,
        mut request: QueryRequest,
        parameters: Vec<SqlParameter>,
        cap: Option<u64>,
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        let started = Instant::now();
        let sql = request.query.clone();
        let mut estimate = None;
        if options.dry_run || self.inner.maximum_bytes_billed.is_some() {
            let dry = QueryRequest {
                dry_run: true,
                ..request.clone()
            };
            let answer = self.inner.client.query(&self.inner.project, &dry).await?;
            estimate = int64(answer.total_bytes_processed.as_deref());
            debug!(source = %self, ?estimate, "dry run");
            if let (Some(cap), Some(est)) = (self.inner.maximum_bytes_billed, estimate)
                && est > cap
            {
                return Err(BigQueryError::CostCap { cap, estimate: est }.into());
            }
            if options.dry_run {
                let columns = answer
                    .schema
                    .as_ref()
                    .map(cells::columns)
                    .unwrap_or_default();
                return Ok(QueryResult::new(columns, Vec::new())
                    .with_sql(sql, parameters)
                    .with_stats(QueryStats {
                        estimated_bytes: estimate,
                        ..QueryStats::default()
                    }));
            }
        }
        let fetch = cap.map(|c| c.saturating_add(1));
        let page = fetch.unwrap_or(PAGE_SIZE).min(PAGE_SIZE);
        request.max_results = Some(u32::try_from(page).unwrap_or(u32::MAX));
        request.timeout_ms = Some(10_000);
        request.request_id = Some(
            options
                .request_id
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        );
        let deadline = options
            .timeout_ms
            .map_or(self.inner.timeout, Duration::from_millis);
        let first = self
            .inner
            .client
            .run_query(&self.inner.project, &request, deadline)
            .await?;
        let columns = first
            .schema
            .as_ref()
            .map(cells::columns)
            .unwrap_or_default();
        let total_rows = int64(first.total_rows.as_deref());
        let bytes = int64(first.total_bytes_processed.as_deref());
        let query_id = first
            .job_reference
            .as_ref()
            .map(format_query_id)
            .or(first.query_id.clone());
        let rows_stream = self.inner.client.rows(first, request.max_results);
        let rows: Vec<_> = match fetch {
            Some(n) => {
                rows_stream
                    .take(usize::try_from(n).unwrap_or(usize::MAX))
                    .try_collect()
                    .await
            }
            None => rows_stream.try_collect().await,
        }
        .map_err(Error::from)?;
        let mut result = QueryResult::new(columns, rows).with_sql(sql, parameters);
        result.query_id = query_id;
        result.stats = QueryStats {
            elapsed_ms: Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)),
            total_rows,
            bytes_scanned: bytes,
            estimated_bytes: estimate,
        };
        // `totalRows` above the kept rows is truncation too (pages not fetched).
        result.cap_rows(cap);
        Ok(result)
    }
}

/// The BigQuery type of an aggregate expression, where it follows from the expression:
/// `COUNT(…)` is INT64, `CAST(… AS T)` is T, `SUM`/`MIN`/`MAX`/`ANY_VALUE` keep the argument's
/// type, `AVG` is FLOAT64 (NUMERIC/BIGNUMERIC stay).
fn metric_type(expr: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let e = expr.trim();
    let open = e.find('(')?;
    if !e.ends_with(')') {
        return lookup(e);
    }
    let func = e[..open].trim().to_ascii_uppercase();
    let arg = e[open + 1..e.len() - 1].trim();
    match func.as_str() {
        "COUNT" | "COUNTIF" | "APPROX_COUNT_DISTINCT" => Some("INT64".into()),
        "CAST" | "SAFE_CAST" => {
            let upper = arg.to_ascii_uppercase();
            let at = upper.rfind(" AS ")?;
            let t = arg[at + 4..].trim();
            let base = t.split('(').next().unwrap_or(t).trim().to_ascii_uppercase();
            Some(match base.as_str() {
                "DECIMAL" => "NUMERIC".into(),
                "BIGDECIMAL" => "BIGNUMERIC".into(),
                _ => base,
            })
        }
        "SUM" | "MIN" | "MAX" | "ANY_VALUE" => {
            let inner = arg.strip_prefix("DISTINCT ").unwrap_or(arg);
            let t = metric_type(inner, lookup).or_else(|| lookup(inner))?;
            Some(match t.as_str() {
                "INTEGER" => "INT64".into(),
                "FLOAT" => "FLOAT64".into(),
                _ => t,
            })
        }
        "AVG" => {
            let t = metric_type(arg, lookup).or_else(|| lookup(arg));
            Some(match t.as_deref() {
                Some("NUMERIC") => "NUMERIC".into(),
                Some("BIGNUMERIC") => "BIGNUMERIC".into(),
                _ => "FLOAT64".into(),
            })
        }
        _ => None,
    }
}

#[async_trait]
impl DataSource for BigQuerySource {
    fn provider(&self) -> Provider {
        Provider::BigQuery
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new()
            .with_semantic_query(true)
            .with_sql(true)
            .with_statement_status(true)
            .with_cancel(true)
            .with_max_rows(self.inner.max_rows)
    }

    async fn test_connection(&self) -> Result<ConnectionReport> {
        let mut dry = self.base_request("SELECT 1", &[]);
        dry.dry_run = true;
        self.inner.client.query(&self.inner.project, &dry).await?;
        let dataset = self
            .inner
            .client
            .get_dataset(&self.inner.project, &self.inner.dataset)
            .await
            .map_err(|e| match Error::from(e) {
                Error::NotFound { message, .. } => Error::not_found(
                    "dataset",
                    format!("{}.{}", self.inner.project, self.inner.dataset),
                    format!("{message}; check bigquery.project_id and bigquery.dataset"),
                ),
                other => other,
            })?;
        let tables: Vec<String> = self
            .inner
            .client
            .list_tables(&self.inner.project, &self.inner.dataset)
            .map_ok(|t| t.table_reference.map(|r| r.table_id).unwrap_or_default())
            .try_collect()
            .await?;
        Ok(ConnectionReport::new(Provider::BigQuery)
            .with_identity(format!("project {}", self.inner.project))
            .with_check("dry_run", "a dry run of SELECT 1 was accepted (jobs.query)")
            .with_check(
                "dataset",
                format!(
                    "dataset {}.{} is readable (location {})",
                    self.inner.project,
                    self.inner.dataset,
                    dataset.location.as_deref().unwrap_or("unknown")
                ),
            )
            .with_check(
                "tables",
                format!("{} table(s): {}", tables.len(), tables.join(", ")),
            )
            .with_check(
                "models",
                format!("{} model(s) declared", self.inner.models.len()),
            ))
    }

    async fn list_models(&self, scope: &ModelScope) -> Result<Vec<ModelSummary>> {
        Ok(self
            .inner
            .models
            .values()
            .filter(|m| {
                scope.matches(
                    &m.name,
                    m.description.as_deref(),
                    Some(&self.inner.project),
                    Some(&self.inner.dataset),
                )
            })
            .map(|m| {
                let mut s = ModelSummary::new(m.name.clone())
                    .with_namespace(self.inner.project.clone(), self.inner.dataset.clone());
                s.description = m.description.clone();
                s
            })
            .collect())
    }

    async fn describe_model(&self, model: &str) -> Result<ModelDescription> {
        let declared = self.model(model)?.clone();
        self.enrich(declared).await
    }

    async fn query_model(
        &self,
        query: &SemanticQuery,
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        let model = self.describe_model(&query.model).await?;
        let cap = self.cap(options.max_rows);
        let compiled = compile(
            query,
            &model,
            &BigQueryDialect,
            &CompileOptions::new().with_row_cap(cap),
        )?;
        debug!(source = %self, model = %query.model, sql = %compiled.sql, "query_model");
        let request = self.base_request(&compiled.sql, &compiled.parameters);
        self.run(request, compiled.parameters, compiled.row_cap, options)
            .await
    }

    async fn ask(&self, _question: &str, _options: &AskOptions) -> Result<Answer> {
        Err(Error::not_supported(
            self.to_string(),
            "ask",
            "natural-language questions (Conversational Analytics) are not wired up; call \
             describe_model, then query_model with a structured query (or execute_sql)",
        ))
    }

    async fn execute_sql(
        &self,
        request: &SqlRequest,
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        let cap = self.cap(options.max_rows);
        let mut r = self.base_request(&request.sql, &request.parameters);
        if request.catalog.is_some() || request.schema.is_some() {
            r.default_dataset = Some(DatasetReference {
                project_id: request
                    .catalog
                    .clone()
                    .unwrap_or_else(|| self.inner.project.clone()),
                dataset_id: request
                    .schema
                    .clone()
                    .unwrap_or_else(|| self.inner.dataset.clone()),
            });
        }
        self.run(r, request.parameters.clone(), cap, options).await
    }

    async fn get_statement(&self, query_id: &str) -> Result<StatementStatus> {
        let job = parse_query_id(
            query_id,
            &self.inner.project,
            self.inner.location.as_deref(),
        )?;
        let answer = self.inner.client.get_job(&job).await?;
        let status = answer.status.clone().unwrap_or_default();
        let state = match status.state.as_deref() {
            Some("PENDING") => StatementState::Pending,
            Some("RUNNING") => StatementState::Running,
            _ => match &status.error_result {
                Some(e) if e.reason.as_deref() == Some("stopped") => StatementState::Canceled,
                Some(_) => StatementState::Failed,
                None => StatementState::Succeeded,
            },
        };
        let id = format_query_id(&job);
        let mut out = StatementStatus::new(id.clone(), state);
        match state {
            StatementState::Failed | StatementState::Canceled => {
                if let Some(e) = &status.error_result {
                    out = out.with_error(BigQueryError::job(&job.job_id, e).to_string());
                }
            }
            StatementState::Succeeded => {
                let cap = self.inner.max_rows;
                let fetch = cap.map(|c| c.saturating_add(1));
                let page = u32::try_from(fetch.unwrap_or(PAGE_SIZE).min(PAGE_SIZE)).ok();
                let first = self
                    .inner
                    .client
                    .get_query_results(&job, None, page, Some(0))
                    .await?;
                let columns = first
                    .schema
                    .as_ref()
                    .map(cells::columns)
                    .unwrap_or_default();
                let total_rows = int64(first.total_rows.as_deref());
                let mut first = first;
                if first.job_reference.is_none() {
                    first.job_reference = Some(job.clone());
                }
                let stream = self.inner.client.rows(first, page);
                let rows: Vec<_> = match fetch {
                    Some(n) => {
                        stream
                            .take(usize::try_from(n).unwrap_or(usize::MAX))
                            .try_collect()
                            .await
                    }
                    None => stream.try_collect().await,
                }
                .map_err(Error::from)?;
                let mut result = QueryResult::new(columns, rows).with_query_id(id);
                result.stats.total_rows = total_rows;
                result.cap_rows(cap);
                result.stats.bytes_scanned = answer
                    .statistics
                    .as_ref()
                    .and_then(|s| int64(s.total_bytes_processed.as_deref()));
                out = out.with_result(result);
            }
            _ => {}
        }
        Ok(out)
    }

    async fn cancel(&self, query_id: &str) -> Result<()> {
        let job = parse_query_id(
            query_id,
            &self.inner.project,
            self.inner.location.as_deref(),
        )?;
        let answer = self.inner.client.cancel_job(&job).await?;
        let state = answer.job.and_then(|j| j.status).and_then(|s| s.state);
        debug!(source = %self, job_id = %job.job_id, ?state, "cancel requested");
        Ok(())
    }
}

#[cfg(test)]
mod tests;
