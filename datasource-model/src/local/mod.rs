//! The embedded local provider: DataFusion over CSV and Parquet files, with semantic models
//! written as Databricks metric-view YAML.

mod arrow_json;
mod sample;

use std::collections::BTreeMap;
use std::fmt;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use datafusion::arrow::csv::ReaderBuilder;
use datafusion::arrow::csv::reader::Format;
use datafusion::arrow::datatypes::{DataType as ArrowType, TimeUnit};
use datafusion::common::{ParamValues, ScalarValue, TableReference};
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::{CsvReadOptions, DataFrame, ParquetReadOptions, SessionContext};
use tracing::debug;

use crate::compile::{CompileOptions, LocalDialect, compile, validate_identifier};
use crate::metric_view;
use crate::{
    Answer, AskOptions, Capabilities, ConnectionReport, DataSource, DataType, Error,
    ModelDescription, ModelScope, ModelSummary, Provider, QueryOptions, QueryResult, QueryStats,
    Result, SemanticQuery, SqlParameter, SqlRequest,
};

/// Provider name used in errors.
pub(crate) const PROVIDER: &str = "Local";

/// The embedded local source: tables from CSV and Parquet files (or the shipped sample), queried
/// with DataFusion; semantic models in the Databricks metric-view YAML shape, so one model file
/// serves locally and on Databricks.
///
/// Cheap to clone (an `Arc` inside). `ask` is not supported: there is no language model here.
///
/// ```
/// # async fn demo() -> datasource_model::Result<()> {
/// use datasource_model::{DataSource, LocalSource, QueryOptions, SemanticQuery};
///
/// let source = LocalSource::sample().await?;
/// let result = source
///     .query_model(
///         &SemanticQuery::new("inventory_model")
///             .with_metrics(["units_on_hand"])
///             .with_dimensions(["warehouse"]),
///         &QueryOptions::new(),
///     )
///     .await?;
/// assert_eq!(result.row_count, 4);
/// # Ok(()) }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(demo()).unwrap();
/// ```
#[derive(Clone)]
#[doc(alias = "InMemorySource")]
pub struct LocalSource {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    ctx: SessionContext,
    tables: Vec<String>,
    models: BTreeMap<String, ModelDescription>,
    max_rows: Option<u64>,
}

impl fmt::Debug for LocalSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSource")
            .field("name", &self.inner.name)
            .field("tables", &self.inner.tables)
            .field("models", &self.inner.models.keys().collect::<Vec<_>>())
            .field("max_rows", &self.inner.max_rows)
            .finish()
    }
}

impl fmt::Display for LocalSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Local({})", self.inner.name)
    }
}

impl LocalSource {
    /// Start building a local source.
    pub fn builder() -> LocalSourceBuilder {
        LocalSourceBuilder::default()
    }

    /// The shipped sample: tables `orders`, `customers`, `inventory` (deterministic, about
    /// 250 kB, embedded in the binary) and the models `revenue_metrics`, `customer_360` and
    /// `inventory_model`.
    pub async fn sample() -> Result<Self> {
        Self::builder()
            .with_sample()
            .with_name("sample")
            .build()
            .await
    }

    /// The names of the registered tables.
    pub fn tables(&self) -> &[String] {
        &self.inner.tables
    }

    fn model(&self, name: &str) -> Result<&ModelDescription> {
        self.inner.models.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.inner.models.keys().map(String::as_str).collect();
            Error::not_found(
                "model",
                name,
                format!(
                    "{self} has no such model; available models: {}",
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

    async fn plan_sql(&self, sql: &str) -> Result<DataFrame> {
        let options = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        self.inner
            .ctx
            .sql_with_options(sql, options)
            .await
            .map_err(map_df)
    }

    async fn run(
        &self,
        df: DataFrame,
        sql: &str,
        parameters: Vec<SqlParameter>,
        cap: Option<u64>,
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        let started = Instant::now();
        let schema = df.schema().clone();
        let columns: Vec<_> = schema
            .fields()
            .iter()
            .map(|f| arrow_json::column(f.name(), f.data_type()))
            .collect();
        if options.dry_run {
            return Ok(QueryResult::new(columns, Vec::new()).with_sql(sql, parameters));
        }
        let collect = df.collect();
        let batches = match options.timeout_ms {
            Some(ms) => tokio::time::timeout(Duration::from_millis(ms), collect)
                .await
                .map_err(|_| Error::Timeout {
                    message: format!("{self}: query did not finish within {ms} ms"),
                    query_id: None,
                })?,
            None => collect.await,
        }
        .map_err(map_df)?;
        let rows = arrow_json::rows(&batches)?;
        let mut result = QueryResult::new(columns, rows).with_sql(sql, parameters);
        result.cap_rows(cap);
        result.stats = QueryStats {
            elapsed_ms: Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)),
            ..QueryStats::default()
        };
        Ok(result)
    }
}

/// Map a DataFusion error: planning problems are the caller's (`InvalidQuery`), the rest is
/// `Generic`.
fn map_df(e: DataFusionError) -> Error {
    let (caller_error, exhausted) = match e.find_root() {
        DataFusionError::SQL(..)
        | DataFusionError::Plan(_)
        | DataFusionError::SchemaError(..)
        | DataFusionError::NotImplemented(_) => (true, None),
        DataFusionError::ResourcesExhausted(msg) => (false, Some(msg.clone())),
        _ => (false, None),
    };
    if caller_error {
        Error::invalid_query(e.to_string())
    } else if let Some(message) = exhausted {
        Error::Unavailable {
            provider: PROVIDER.to_string(),
            message,
        }
    } else {
        Error::generic(PROVIDER, e)
    }
}

fn scalar(p: &SqlParameter) -> Result<ScalarValue> {
    let bad = |what: &str| {
        Error::invalid_query(format!(
            "parameter `{}`: `{}` is not {what}",
            p.name,
            p.value.as_deref().unwrap_or_default().escape_debug()
        ))
    };
    let Some(v) = p.value.as_deref() else {
        return Ok(ScalarValue::Null);
    };
    Ok(match p.data_type {
        DataType::Integer => ScalarValue::Int64(Some(
            v.trim_start_matches('+')
                .parse()
                .map_err(|_| bad("a 64-bit integer"))?,
        )),
        DataType::Float | DataType::Decimal => {
            ScalarValue::Float64(Some(v.parse().map_err(|_| bad("a number"))?))
        }
        DataType::Boolean => match v.to_ascii_lowercase().as_str() {
            "true" => ScalarValue::Boolean(Some(true)),
            "false" => ScalarValue::Boolean(Some(false)),
            _ => return Err(bad("true or false")),
        },
        DataType::Date => ScalarValue::try_from_string(v.to_string(), &ArrowType::Date32)
            .map_err(|_| bad("a date"))?,
        DataType::Timestamp => ScalarValue::try_from_string(
            v.to_string(),
            &ArrowType::Timestamp(TimeUnit::Nanosecond, None),
        )
        .map_err(|_| bad("a timestamp"))?,
        _ => ScalarValue::Utf8(Some(v.to_string())),
    })
}

#[async_trait]
impl DataSource for LocalSource {
    fn provider(&self) -> Provider {
        Provider::Local
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new()
            .with_semantic_query(true)
            .with_sql(true)
            .with_max_rows(self.inner.max_rows)
    }

    async fn test_connection(&self) -> Result<ConnectionReport> {
        let df = self.plan_sql("SELECT 1 AS ok").await?;
        df.collect().await.map_err(map_df)?;
        Ok(ConnectionReport::new(Provider::Local)
            .with_identity("local")
            .with_check("engine", "DataFusion answered SELECT 1")
            .with_check(
                "tables",
                format!(
                    "{} table(s): {}",
                    self.inner.tables.len(),
                    self.inner.tables.join(", ")
                ),
            )
            .with_check(
                "models",
                format!("{} model(s) described", self.inner.models.len()),
            ))
    }

    async fn list_models(&self, scope: &ModelScope) -> Result<Vec<ModelSummary>> {
        Ok(self
            .inner
            .models
            .values()
            .filter(|m| scope.matches(&m.name, m.description.as_deref(), None, None))
            .map(|m| {
                let mut s = ModelSummary::new(m.name.clone());
                s.description = m.description.clone();
                s
            })
            .collect())
    }

    async fn describe_model(&self, model: &str) -> Result<ModelDescription> {
        self.model(model).cloned()
    }

    async fn query_model(
        &self,
        query: &SemanticQuery,
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        let model = self.model(&query.model)?;
        let cap = self.cap(options.max_rows);
        let compiled = compile(
            query,
            model,
            &LocalDialect,
            &CompileOptions::new().with_row_cap(cap),
        )?;
        debug!(source = %self, model = %query.model, sql = %compiled.sql, "query_model");
        let values = compiled
            .parameters
            .iter()
            .map(scalar)
            .collect::<Result<Vec<_>>>()?;
        let mut df = self.plan_sql(&compiled.sql).await?;
        if !values.is_empty() {
            df = df
                .with_param_values(ParamValues::from(values))
                .map_err(map_df)?;
        }
        self.run(
            df,
            &compiled.sql,
            compiled.parameters,
            compiled.row_cap,
            options,
        )
        .await
    }

    async fn ask(&self, _question: &str, _options: &AskOptions) -> Result<Answer> {
        Err(Error::not_supported(
            self.to_string(),
            "ask",
            "the local engine has no natural-language interface; call describe_model, then \
             query_model with a structured query (or execute_sql)",
        ))
    }

    async fn execute_sql(
        &self,
        request: &SqlRequest,
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        if request.catalog.is_some() || request.schema.is_some() {
            return Err(Error::invalid_query(format!(
                "{self} has no catalogs or schemas; drop `catalog`/`schema` and use table names: {}",
                self.inner.tables.join(", ")
            )));
        }
        let cap = self.cap(options.max_rows);
        let mut df = self.plan_sql(&request.sql).await?;
        if !request.parameters.is_empty() {
            let values = request
                .parameters
                .iter()
                .map(|p| Ok((p.name.clone(), scalar(p)?)))
                .collect::<Result<Vec<_>>>()?;
            df = df
                .with_param_values(ParamValues::from(values))
                .map_err(map_df)?;
        }
        if let Some(cap) = cap {
            let fetch = usize::try_from(cap.saturating_add(1)).unwrap_or(usize::MAX);
            df = df.limit(0, Some(fetch)).map_err(map_df)?;
        }
        self.run(df, &request.sql, request.parameters.clone(), cap, options)
            .await
    }
}

/// Where a table's rows come from.
#[derive(Debug, Clone)]
enum TableInput {
    Csv(PathBuf),
    Parquet(PathBuf),
    CsvText(String),
}

/// Builds a [`LocalSource`]: register tables, add models, then [`build`](Self::build).
///
/// ```no_run
/// # async fn demo() -> datasource_model::Result<()> {
/// use datasource_model::LocalSource;
///
/// let source = LocalSource::builder()
///     .with_name("sales")
///     .with_csv("orders", "data/orders.csv")
///     .with_parquet("customers", "data/customers.parquet")
///     .with_model_file("models/revenue_metrics.yaml")
///     .with_max_rows(10_000)
///     .build()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct LocalSourceBuilder {
    name: Option<String>,
    tables: Vec<(String, TableInput)>,
    models: Vec<(Option<String>, ModelInput)>,
    max_rows: Option<u64>,
}

#[derive(Debug, Clone)]
enum ModelInput {
    Yaml(String),
    File(PathBuf),
}

impl LocalSourceBuilder {
    /// Name shown in `Display` and errors (default `local`).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Register a CSV file (with a header row) or a directory of CSV files as table `name`.
    pub fn with_csv(mut self, name: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        self.tables
            .push((name.into(), TableInput::Csv(path.into())));
        self
    }

    /// Register a Parquet file or directory as table `name`.
    pub fn with_parquet(mut self, name: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        self.tables
            .push((name.into(), TableInput::Parquet(path.into())));
        self
    }

    /// Register CSV text (with a header row) held in memory as table `name`.
    pub fn with_csv_data(mut self, name: impl Into<String>, csv: impl Into<String>) -> Self {
        self.tables
            .push((name.into(), TableInput::CsvText(csv.into())));
        self
    }

    /// Add a model from metric-view YAML.
    pub fn with_model_yaml(mut self, name: impl Into<String>, yaml: impl Into<String>) -> Self {
        self.models
            .push((Some(name.into()), ModelInput::Yaml(yaml.into())));
        self
    }

    /// Add a model from a metric-view YAML file; the model is named after the file stem.
    pub fn with_model_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.models.push((None, ModelInput::File(path.into())));
        self
    }

    /// Add the shipped sample tables and models.
    pub fn with_sample(mut self) -> Self {
        for (name, csv) in sample::TABLES {
            self = self.with_csv_data(*name, *csv);
        }
        for (name, yaml) in sample::MODELS {
            self = self.with_model_yaml(*name, *yaml);
        }
        self
    }

    /// Cap every result at `max_rows` rows (results say `truncated`).
    pub fn with_max_rows(mut self, max_rows: u64) -> Self {
        self.max_rows = Some(max_rows);
        self
    }

    /// Register the tables, parse the models and resolve every member's type. Fails with
    /// [`Error::InvalidConfig`] naming the table or model that is wrong.
    pub async fn build(self) -> Result<LocalSource> {
        let ctx = SessionContext::new();
        let mut tables = Vec::new();
        for (name, input) in &self.tables {
            validate_identifier(name).map_err(|_| {
                Error::invalid_config(format!(
                    "table name `{name}` is not a valid identifier (letters, digits, `_`)"
                ))
            })?;
            register(&ctx, name, input).await?;
            tables.push(name.clone());
        }
        let source_name = self.name.unwrap_or_else(|| "local".to_string());
        let mut models = BTreeMap::new();
        for (name, input) in &self.models {
            let (name, yaml) = match input {
                ModelInput::Yaml(yaml) => (name.clone().unwrap_or_default(), yaml.clone()),
                ModelInput::File(path) => {
                    let yaml = std::fs::read_to_string(path).map_err(|e| {
                        Error::invalid_config(format!(
                            "cannot read model file {}: {e}",
                            path.display()
                        ))
                    })?;
                    let stem = name.clone().unwrap_or_else(|| file_stem(path));
                    (stem, yaml)
                }
            };
            validate_identifier(&name).map_err(|_| {
                Error::invalid_config(format!(
                    "model name `{name}` is not a valid identifier (letters, digits, `_`)"
                ))
            })?;
            let mv = metric_view::parse(&name, &yaml)?;
            let mut description = metric_view::to_description(&name, &mv, &yaml);
            resolve_types(&ctx, &mut description).await?;
            if models.insert(name.clone(), description).is_some() {
                return Err(Error::invalid_config(format!(
                    "model `{name}` is defined twice"
                )));
            }
        }
        Ok(LocalSource {
            inner: Arc::new(Inner {
                name: source_name,
                ctx,
                tables,
                models,
                max_rows: self.max_rows,
            }),
        })
    }
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn extension(path: &Path, default: &str) -> String {
    if path.is_dir() {
        return default.to_string();
    }
    path.extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default()
}

async fn register(ctx: &SessionContext, name: &str, input: &TableInput) -> Result<()> {
    let config_err = |what: &str, e: &dyn std::fmt::Display| {
        Error::invalid_config(format!("cannot register table `{name}` from {what}: {e}"))
    };
    match input {
        TableInput::Csv(path) => {
            let abs = std::path::absolute(path).map_err(|e| config_err("a CSV path", &e))?;
            let ext = extension(&abs, ".csv");
            let options = CsvReadOptions::new().has_header(true).file_extension(&ext);
            ctx.register_csv(
                TableReference::bare(name),
                abs.to_string_lossy().as_ref(),
                options,
            )
            .await
            .map_err(|e| config_err(&format!("CSV {}", path.display()), &e))
        }
        TableInput::Parquet(path) => {
            let abs = std::path::absolute(path).map_err(|e| config_err("a Parquet path", &e))?;
            let ext = extension(&abs, ".parquet");
            let options = ParquetReadOptions::default().file_extension(&ext);
            ctx.register_parquet(
                TableReference::bare(name),
                abs.to_string_lossy().as_ref(),
                options,
            )
            .await
            .map_err(|e| config_err(&format!("Parquet {}", path.display()), &e))
        }
        TableInput::CsvText(text) => {
            let (schema, _) = Format::default()
                .with_header(true)
                .infer_schema(Cursor::new(text.as_bytes()), None)
                .map_err(|e| config_err("CSV data", &e))?;
            let schema = Arc::new(schema);
            let reader = ReaderBuilder::new(Arc::clone(&schema))
                .with_header(true)
                .build(Cursor::new(text.as_bytes()))
                .map_err(|e| config_err("CSV data", &e))?;
            let batches = reader
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| config_err("CSV data", &e))?;
            let table =
                MemTable::try_new(schema, vec![batches]).map_err(|e| config_err("CSV data", &e))?;
            ctx.register_table(TableReference::bare(name), Arc::new(table))
                .map(|_| ())
                .map_err(|e| config_err("CSV data", &e))
        }
    }
}

/// Plan the model's dimensions and metrics once to learn their types.
async fn resolve_types(ctx: &SessionContext, model: &mut ModelDescription) -> Result<()> {
    let broken = |what: &str, e: &dyn std::fmt::Display| {
        Error::invalid_config(format!(
            "model `{}`: the {what} do not plan against the registered tables: {e}",
            model.name
        ))
    };
    if !model.dimensions.is_empty() {
        let names: Vec<String> = model.dimensions.iter().map(|d| d.name.clone()).collect();
        let q = SemanticQuery::new(model.name.clone()).with_dimensions(names);
        let compiled = compile(&q, model, &LocalDialect, &CompileOptions::new())
            .map_err(|e| broken("dimensions", &e))?;
        let df = ctx
            .sql(&compiled.sql)
            .await
            .map_err(|e| broken("dimensions", &e))?;
        let types: Vec<ArrowType> = df
            .schema()
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        for (d, t) in model.dimensions.iter_mut().zip(types) {
            d.data_type = arrow_json::normalise(&t);
            d.raw_type = Some(t.to_string());
            d.is_time = d.data_type.is_temporal();
        }
    }
    if !model.metrics.is_empty() {
        let names: Vec<String> = model.metrics.iter().map(|m| m.name.clone()).collect();
        let q = SemanticQuery::new(model.name.clone()).with_metrics(names);
        let compiled = compile(&q, model, &LocalDialect, &CompileOptions::new())
            .map_err(|e| broken("measures", &e))?;
        let df = ctx
            .sql(&compiled.sql)
            .await
            .map_err(|e| broken("measures", &e))?;
        let types: Vec<ArrowType> = df
            .schema()
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        for (m, t) in model.metrics.iter_mut().zip(types) {
            m.data_type = arrow_json::normalise(&t);
            m.raw_type = Some(t.to_string());
        }
    }
    Ok(())
}

impl LocalSourceBuilder {
    /// Apply a [`LocalConfig`](crate::LocalConfig): the sample, tables, model files and every
    /// `*.yaml`/`*.yml` in `models_dir`.
    pub fn from_config(config: &crate::LocalConfig) -> Result<Self> {
        let mut b = Self::default();
        if config.sample {
            b = b.with_sample();
        }
        for t in &config.tables {
            b = match t.resolved_format()? {
                crate::TableFormat::Parquet => b.with_parquet(t.name.clone(), t.path.clone()),
                _ => b.with_csv(t.name.clone(), t.path.clone()),
            };
        }
        for m in &config.models {
            b.models
                .push((m.name.clone(), ModelInput::File(m.path.clone())));
        }
        if let Some(dir) = &config.models_dir {
            let entries = std::fs::read_dir(dir).map_err(|e| {
                Error::invalid_config(format!("cannot read models_dir {}: {e}", dir.display()))
            })?;
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    matches!(
                        p.extension().and_then(|e| e.to_str()),
                        Some("yaml") | Some("yml")
                    )
                })
                .collect();
            files.sort();
            for f in files {
                b = b.with_model_file(f);
            }
        }
        Ok(b)
    }
}
