//! The Databricks provider: Unity Catalog metric views, Statement Execution, Genie.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use databricks_client::WorkspaceClient;
use databricks_client::models::{
    ExecuteStatementRequest, SqlValue, StatementParameter, StatementTable,
};
use databricks_client::wait::PollOptions;
use futures::TryStreamExt;
use secrecy::ExposeSecret;
use serde_json::Value;
use tracing::debug;

use crate::compile::{CompileOptions, DatabricksDialect, compile, validate_identifier};
use crate::{
    Answer, AskOptions, Capabilities, Cell, Column, ConnectionReport, DataSource, DataType,
    DatabricksConfig, Error, ModelDescription, ModelScope, ModelSummary, Provider, QueryOptions,
    QueryResult, QueryStats, Result, SemanticQuery, SqlParameter, SqlRequest, metric_view,
};

/// Provider name used in errors.
const PROVIDER: &str = "Databricks";

/// Databricks as a [`DataSource`]: models are the Unity Catalog metric views in the configured
/// catalog (and optional schema); queries run on the configured SQL warehouse through the
/// Statement Execution API with the row cap plus one probe row pushed into the request
/// (`row_limit`, and `LIMIT cap+1` in compiled SQL), so `truncated` is exact; `ask` goes to a
/// configured Genie space.
///
/// Cheap to clone (the client and settings are shared).
///
/// ```no_run
/// # async fn demo() -> datasource_model::Result<()> {
/// use datasource_model::{DatabricksConfig, DatabricksSource, DataSource, ModelScope};
///
/// let source = DatabricksSource::from_config(
///     &DatabricksConfig::new("abc123", "main")
///         .with_host("https://adb-1.azuredatabricks.net")
///         .with_token("dapi-...")
///         .with_schema("sales"),
///     Some(5000),
/// )?;
/// for model in source.list_models(&ModelScope::new()).await? {
///     println!("{}", model.name);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DatabricksSource {
    inner: Arc<Inner>,
}

struct Inner {
    client: WorkspaceClient,
    warehouse_id: String,
    catalog: String,
    schema: Option<String>,
    genie_space_id: Option<String>,
    max_rows: Option<u64>,
}

impl fmt::Debug for DatabricksSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabricksSource")
            .field("warehouse_id", &self.inner.warehouse_id)
            .field("catalog", &self.inner.catalog)
            .field("schema", &self.inner.schema)
            .field("genie_space_id", &self.inner.genie_space_id)
            .field("max_rows", &self.inner.max_rows)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for DatabricksSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.schema {
            Some(s) => write!(f, "Databricks({}.{s})", self.inner.catalog),
            None => write!(f, "Databricks({})", self.inner.catalog),
        }
    }
}

/// Map a client error into the semantic kinds.
fn map_err(e: databricks_client::Error) -> Error {
    let message = e.to_string();
    if e.is_not_found() {
        Error::not_found("object", "", message)
    } else if e.is_permission_denied() {
        Error::PermissionDenied { message }
    } else if e.is_unauthenticated() {
        Error::Unauthenticated { message }
    } else if e.is_rate_limited() {
        Error::RateLimited {
            provider: PROVIDER.to_string(),
            retry_after: None,
        }
    } else if e.is_timeout() {
        Error::Timeout {
            message,
            query_id: None,
        }
    } else if e.is_retryable() {
        Error::Unavailable {
            provider: PROVIDER.to_string(),
            message,
        }
    } else if e.is_invalid_parameter() || matches!(e, databricks_client::Error::InvalidArgument(_))
    {
        Error::invalid_query(message)
    } else {
        Error::generic(PROVIDER, e)
    }
}

/// The Databricks parameter type for a bound value.
fn param_type(t: DataType) -> &'static str {
    match t {
        DataType::Integer => "BIGINT",
        DataType::Float => "DOUBLE",
        DataType::Decimal => "DECIMAL(38,9)",
        DataType::Boolean => "BOOLEAN",
        DataType::Date => "DATE",
        DataType::Timestamp => "TIMESTAMP",
        _ => "STRING",
    }
}

fn cell(v: &SqlValue) -> Value {
    match v {
        SqlValue::Int(n) => Cell::int(*n),
        SqlValue::Float(f) => Cell::float(*f),
        other => other.to_json(),
    }
}

/// The columns and rows of a statement table: the client's one statement-to-table conversion
/// ([`StatementTable`]), its column type text kept as the raw type.
fn table_parts(table: StatementTable) -> (Vec<Column>, Vec<Vec<Value>>) {
    let columns = table
        .columns
        .into_iter()
        .map(|c| Column::new(c.name, c.type_text))
        .collect();
    (columns, table.rows)
}

/// Picks a SQL warehouse the client's identity can use, for a spec that names none.
///
/// Lists the warehouses visible to the identity and prefers, in order: a running warehouse, a
/// serverless one (it starts in seconds), a starting one, a stopped one (statements start
/// it). Warehouses being deleted are never picked; ties go to the first listed. `Ok(None)`
/// when the identity sees no usable warehouse.
///
/// ```no_run
/// # async fn demo(client: databricks_client::WorkspaceClient) -> datasource_model::Result<()> {
/// if let Some(w) = datasource_model::discover_warehouse(&client).await? {
///     println!("using warehouse {} ({})", w.name, w.id);
/// }
/// # Ok(()) }
/// ```
pub async fn discover_warehouse(
    client: &WorkspaceClient,
) -> Result<Option<databricks_client::models::WarehouseInfo>> {
    let warehouses: Vec<databricks_client::models::WarehouseInfo> = client
        .warehouses()
        .list()
        .try_collect()
        .await
        .map_err(map_err)?;
    Ok(warehouses
        .into_iter()
        .filter_map(|w| warehouse_rank(&w).map(|rank| (rank, w)))
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, w)| w))
}

/// Lower is better; `None` for a warehouse that cannot run statements.
fn warehouse_rank(w: &databricks_client::models::WarehouseInfo) -> Option<u8> {
    use databricks_client::models::WarehouseState as S;
    let serverless = w.enable_serverless_compute == Some(true);
    match &w.state {
        Some(S::Running) => Some(0),
        Some(S::Deleting | S::Deleted) => None,
        _ if w.id.is_empty() => None,
        _ if serverless => Some(1),
        Some(S::Starting) => Some(2),
        Some(S::Stopped) => Some(3),
        _ => Some(4),
    }
}

impl DatabricksSource {
    /// A source over an existing client.
    pub fn new(client: WorkspaceClient, config: &DatabricksConfig, max_rows: Option<u64>) -> Self {
        Self {
            inner: Arc::new(Inner {
                client,
                warehouse_id: config.warehouse_id.clone(),
                catalog: config.catalog.clone(),
                schema: config.schema.clone(),
                genie_space_id: config.genie_space_id.clone(),
                max_rows,
            }),
        }
    }

    /// Build the client from the settings: `host` + `token` when given, otherwise the client's
    /// environment configuration (`DATABRICKS_HOST`, `DATABRICKS_TOKEN`, profile, …).
    pub fn from_config(config: &DatabricksConfig, max_rows: Option<u64>) -> Result<Self> {
        let client_config = match &config.host {
            Some(host) => {
                let mut b = databricks_client::Config::builder().host(host.clone());
                if let Some(token) = &config.token {
                    b = b.token(token.expose_secret());
                }
                if let Some(profile) = &config.profile {
                    b = b.profile(profile.clone());
                }
                b.build()
            }
            None => databricks_client::Config::from_env(),
        }
        .map_err(|e| Error::invalid_config(format!("Databricks client configuration: {e}")))?;
        let client = WorkspaceClient::new(client_config)
            .map_err(|e| Error::invalid_config(format!("Databricks client: {e}")))?;
        Ok(Self::new(client, config, max_rows))
    }

    /// A model name as a full `catalog.schema.view` name (bare names use the configured
    /// catalog and schema).
    fn full_name(&self, model: &str) -> Result<String> {
        let parts: Vec<&str> = model.split('.').collect();
        for p in &parts {
            validate_identifier(p)?;
        }
        match parts.len() {
            3 => Ok(model.to_string()),
            2 => Ok(format!("{}.{model}", self.inner.catalog)),
            1 => match &self.inner.schema {
                Some(s) => Ok(format!("{}.{s}.{model}", self.inner.catalog)),
                None => Err(Error::invalid_query(format!(
                    "`{model}` is ambiguous without a configured schema; use catalog.schema.{model}"
                ))),
            },
            _ => Err(Error::invalid_query(format!(
                "`{model}` is not a model name; use catalog.schema.view"
            ))),
        }
    }

    fn cap(&self, requested: Option<u64>) -> Option<u64> {
        match (requested, self.inner.max_rows) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    async fn run(
        &self,
        mut request: ExecuteStatementRequest,
        sql: &str,
        parameters: Vec<SqlParameter>,
        cap: Option<u64>,
    ) -> Result<QueryResult> {
        let started = Instant::now();
        if let Some(cap) = cap {
            // One extra row tells us whether the cap cut the result.
            request =
                request.with_row_limit(i64::try_from(cap.saturating_add(1)).unwrap_or(i64::MAX));
        }
        let stream = self
            .inner
            .client
            .statements()
            .query(request)
            .await
            .map_err(map_err)?;
        let table = StatementTable::collect_with(stream, usize::MAX, cell)
            .await
            .map_err(map_err)?;
        let (statement_id, server_truncated) = (table.statement_id.clone(), table.truncated);
        let (columns, rows) = table_parts(table);
        // The manifest's `truncated` means the warehouse cut the result itself (`row_limit`, here
        // `cap + 1`, or its byte limit); either way rows are missing. `cap_rows` keeps that and
        // adds the probe-row check.
        let mut result = QueryResult::new(columns, rows)
            .with_sql(sql, parameters)
            .with_query_id(statement_id)
            .with_truncated(server_truncated);
        result.cap_rows(cap);
        result.stats = QueryStats {
            elapsed_ms: Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)),
            ..QueryStats::default()
        };
        Ok(result)
    }
}

#[async_trait]
impl DataSource for DatabricksSource {
    fn provider(&self) -> Provider {
        Provider::Databricks
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new()
            .with_semantic_query(true)
            .with_sql(true)
            .with_natural_language(self.inner.genie_space_id.is_some())
            .with_max_rows(self.inner.max_rows)
    }

    async fn test_connection(&self) -> Result<ConnectionReport> {
        let me: Value = self
            .inner
            .client
            .get("/api/2.0/preview/scim/v2/Me")
            .send_json()
            .await
            .map_err(map_err)?;
        let user = me
            .get("userName")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_string();
        let warehouse = self
            .inner
            .client
            .warehouses()
            .get(&self.inner.warehouse_id)
            .await
            .map_err(|e| match map_err(e) {
                Error::NotFound { message, .. } => {
                    Error::not_found("warehouse", self.inner.warehouse_id.clone(), message)
                }
                other => other,
            })?;
        let catalog = self
            .inner
            .client
            .catalog()
            .get_catalog(&self.inner.catalog)
            .await
            .map_err(|e| match map_err(e) {
                Error::NotFound { message, .. } => {
                    Error::not_found("catalog", self.inner.catalog.clone(), message)
                }
                other => other,
            })?;
        Ok(ConnectionReport::new(Provider::Databricks)
            .with_identity(user.clone())
            .with_check("identity", format!("authenticated as {user}"))
            .with_check(
                "warehouse",
                format!(
                    "warehouse {} ({}) is {}",
                    warehouse.id,
                    warehouse.name,
                    warehouse
                        .state
                        .as_ref()
                        .map_or("in an unknown state", |s| s.as_str())
                ),
            )
            .with_check("catalog", format!("catalog {} is readable", catalog.name)))
    }

    async fn list_models(&self, scope: &ModelScope) -> Result<Vec<ModelSummary>> {
        let schema = scope.schema.clone().or_else(|| self.inner.schema.clone());
        if scope
            .catalog
            .as_deref()
            .is_some_and(|c| !c.eq_ignore_ascii_case(&self.inner.catalog))
        {
            return Ok(Vec::new());
        }
        let summaries: Vec<_> = self
            .inner
            .client
            .catalog()
            .list_metric_views(&self.inner.catalog, schema.as_deref())
            .try_collect()
            .await
            .map_err(map_err)?;
        Ok(summaries
            .into_iter()
            .filter_map(|t| {
                let mut parts = t.full_name.splitn(3, '.');
                let (c, s) = (parts.next()?.to_string(), parts.next()?.to_string());
                scope
                    .matches(&t.full_name, None, Some(&c), Some(&s))
                    .then(|| ModelSummary::new(t.full_name.clone()).with_namespace(c, s))
            })
            .collect())
    }

    async fn describe_model(&self, model: &str) -> Result<ModelDescription> {
        let full = self.full_name(model)?;
        let details = self
            .inner
            .client
            .catalog()
            .metric_view(&full, Some(&self.inner.warehouse_id))
            .await
            .map_err(|e| match map_err(e) {
                Error::NotFound { message, .. } => Error::not_found(
                    "model",
                    full.clone(),
                    format!("{message}; list the models with list_models"),
                ),
                other => other,
            })?;
        let yaml = details.table.view_definition.clone().unwrap_or_default();
        let mut d = metric_view::to_description(&full, &details.definition, &yaml);
        if d.description.is_none() {
            d.description = details.table.comment.clone();
        }
        // Column types: a measure column reads `<type> measure` in some workspaces.
        for c in &details.table.columns {
            let raw = c
                .type_text
                .clone()
                .or_else(|| c.type_name.clone())
                .unwrap_or_default();
            let clean = raw.trim_end_matches(" measure").to_string();
            let t = DataType::from_sql_name(&clean);
            if let Some(dim) = d.dimensions.iter_mut().find(|x| x.name == c.name) {
                dim.data_type = t;
                dim.raw_type = Some(clean.clone());
                dim.is_time = t.is_temporal();
            } else if let Some(m) = d.metrics.iter_mut().find(|x| x.name == c.name) {
                m.data_type = t;
                m.raw_type = Some(clean);
            }
        }
        Ok(d)
    }

    async fn query_model(
        &self,
        query: &SemanticQuery,
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        let model = self.describe_model(&query.model).await?;
        self.query_model_with_description(query, &model, options)
            .await
    }

    async fn query_model_with_description(
        &self,
        query: &SemanticQuery,
        model: &ModelDescription,
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        let cap = self.cap(options.max_rows);
        // The SQL asks for `row_cap + 1` rows (the caller's limit or the cap, whichever is
        // smaller) and `row_limit` says the same, so the probe row shows whether rows were cut.
        let compiled = compile(
            query,
            model,
            &DatabricksDialect,
            &CompileOptions::new().with_row_cap(cap),
        )?;
        debug!(source = %self, sql = %compiled.sql, "query_model");
        let request = compiled.parameters.iter().fold(
            ExecuteStatementRequest::new(self.inner.warehouse_id.clone(), compiled.sql.clone()),
            |r, p| r.with_parameter(to_statement_parameter(p)),
        );
        if options.dry_run {
            return Ok(QueryResult::default().with_sql(compiled.sql, compiled.parameters));
        }
        let request = with_wait(request, options);
        self.run(
            request,
            &compiled.sql,
            compiled.parameters,
            compiled.row_cap,
        )
        .await
    }

    async fn ask(&self, question: &str, options: &AskOptions) -> Result<Answer> {
        let Some(space) = &self.inner.genie_space_id else {
            return Err(Error::not_supported(
                self.to_string(),
                "ask",
                "no Genie space is configured (`databricks.genie_space_id`); use query_model",
            ));
        };
        let genie = self.inner.client.genie();
        let poll = PollOptions::default()
            .with_timeout(Duration::from_millis(options.timeout_ms.unwrap_or(300_000)));
        let message = match &options.conversation_id {
            Some(cid) => {
                let m = genie
                    .create_message(space, cid, question)
                    .await
                    .map_err(map_err)?;
                let mid = m.message_id.clone().unwrap_or_else(|| m.id.clone());
                genie
                    .wait_for_message(space, cid, &mid, &poll)
                    .await
                    .map_err(map_err)?
            }
            None => genie.ask(space, question, &poll).await.map_err(map_err)?,
        };
        let conversation_id = message.conversation_id.clone().unwrap_or_default();
        let message_id = message
            .message_id
            .clone()
            .unwrap_or_else(|| message.id.clone());
        let mut answer = Answer::new().with_conversation_id(conversation_id.clone());
        let mut texts = Vec::new();
        for att in &message.attachments {
            if let Some(t) = att.text.as_ref().and_then(|t| t.content.clone()) {
                texts.push(t);
            }
            if let Some(q) = &att.suggested_questions {
                answer.suggestions.extend(q.questions.iter().cloned());
            }
            if let Some(q) = &att.query {
                if let Some(sql) = &q.query {
                    answer.sql = Some(sql.clone());
                }
                if let Some(d) = &q.description {
                    texts.push(d.clone());
                }
                let stream = genie
                    .query_result_rows(space, &conversation_id, &message_id, &att.attachment_id)
                    .await
                    .map_err(map_err)?;
                let table = StatementTable::collect_with(stream, usize::MAX, cell)
                    .await
                    .map_err(map_err)?;
                let (columns, rows) = table_parts(table);
                let mut result = QueryResult::new(columns, rows);
                result.sql = q.query.clone();
                result.query_id = q.statement_id.clone();
                result.cap_rows(options.max_rows.or(self.inner.max_rows));
                answer.result = Some(result);
            }
        }
        if !texts.is_empty() {
            answer.text = Some(texts.join("\n\n"));
        }
        if let Some(err) = message.error.as_ref().and_then(|e| e.error.clone()) {
            answer.warnings.push(err);
        }
        Ok(answer)
    }

    async fn execute_sql(
        &self,
        request: &SqlRequest,
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        let cap = self.cap(options.max_rows);
        let mut r = request.parameters.iter().fold(
            ExecuteStatementRequest::new(self.inner.warehouse_id.clone(), request.sql.clone()),
            |r, p| r.with_parameter(to_statement_parameter(p)),
        );
        r = r.with_catalog(
            request
                .catalog
                .clone()
                .unwrap_or_else(|| self.inner.catalog.clone()),
        );
        if let Some(s) = request.schema.clone().or_else(|| self.inner.schema.clone()) {
            r = r.with_schema(s);
        }
        let r = with_wait(r, options);
        self.run(r, &request.sql, request.parameters.clone(), cap)
            .await
    }
}

fn to_statement_parameter(p: &SqlParameter) -> StatementParameter {
    match &p.value {
        Some(v) => StatementParameter::typed(p.name.clone(), v.clone(), param_type(p.data_type)),
        None => StatementParameter::null(p.name.clone(), param_type(p.data_type)),
    }
}

fn with_wait(r: ExecuteStatementRequest, options: &QueryOptions) -> ExecuteStatementRequest {
    let secs = options
        .timeout_ms
        .map(|ms| (ms / 1000).clamp(5, 50))
        .unwrap_or(50);
    r.with_wait_timeout(format!("{secs}s"))
}
