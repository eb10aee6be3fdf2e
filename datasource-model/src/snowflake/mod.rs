//! The Snowflake provider: semantic views, the SQL API v2 and Cortex Analyst.

mod auth;
mod cells;
mod client;
mod describe;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::StreamExt;
use secrecy::SecretString;
use serde_json::{Value, json};
use tracing::debug;

pub use auth::{JwtClaims, KeyPairSigner, jwt_account};

use crate::compile::{CompileOptions, SnowflakeDialect, compile, validate_identifier};
use crate::{
    Answer, AskOptions, Capabilities, ConnectionReport, DataSource, DataType, Error,
    ModelDescription, ModelScope, ModelSummary, Provider, QueryOptions, QueryResult, QueryStats,
    Result, SemanticQuery, SnowflakeAuth, SnowflakeConfig, SqlParameter, SqlRequest,
    StatementState, StatementStatus,
};
use auth::Credential;
use client::{Finished, Outcome, SqlApi, SubmitBody, new_request_id};

/// Provider name used in errors.
const PROVIDER: &str = "Snowflake";
/// How long a call waits for a running statement before answering `Timeout` with its handle.
const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(300);

/// What went wrong talking to Snowflake. Converted into the crate's [`Error`] by
/// [`SnowflakeSource`]; the typed fields (`sql_state`, `code`, `statement_handle`) stay in the
/// message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnowflakeError {
    /// HTTP 422: the statement failed (syntax, missing object, privilege).
    #[error(
        "Snowflake statement failed (sqlState {sql_state}, code {code}, statement handle {}): {message}",
        statement_handle.as_deref().unwrap_or("none")
    )]
    StatementFailed {
        /// Snowflake error code, e.g. `002003`.
        code: String,
        /// ANSI SQLSTATE, e.g. `42S02`.
        sql_state: String,
        /// Snowflake's message.
        message: String,
        /// The statement handle.
        statement_handle: Option<String>,
    },
    /// HTTP 408: the statement exceeded its `timeout` and was cancelled.
    #[error(
        "Snowflake cancelled statement {} after its timeout (sqlState {sql_state}, code {code}): {message}; raise `snowflake.timeout_seconds` or narrow the query",
        statement_handle.as_deref().unwrap_or("none")
    )]
    StatementTimeout {
        /// Snowflake error code.
        code: String,
        /// ANSI SQLSTATE.
        sql_state: String,
        /// Snowflake's message.
        message: String,
        /// The statement handle.
        statement_handle: Option<String>,
    },
    /// The statement is still running after the caller's wait.
    #[error(
        "Snowflake statement {statement_handle} is still running after {waited_ms} ms; fetch it later with get_statement or cancel it"
    )]
    StillRunning {
        /// The statement handle.
        statement_handle: String,
        /// How long this call waited.
        waited_ms: u64,
    },
    /// Any other HTTP failure.
    #[error("Snowflake answered HTTP {status}{}: {message}{}", code.as_deref().map(|c| format!(" (code {c})")).unwrap_or_default(), request_id.as_deref().map(|r| format!(" [request id {r}]")).unwrap_or_default())]
    Http {
        /// HTTP status.
        status: u16,
        /// Snowflake error code, if the body had one.
        code: Option<String>,
        /// The message.
        message: String,
        /// Snowflake's request id, if sent.
        request_id: Option<String>,
    },
    /// The connection failed.
    #[error("{message}")]
    Transport {
        /// What failed.
        message: String,
    },
    /// Credentials could not be loaded or a token could not be minted.
    #[error("Snowflake authentication: {message}")]
    Auth {
        /// What failed and how to fix it.
        message: String,
    },
    /// A response did not have the documented shape.
    #[error("unexpected Snowflake response: {message}")]
    Decode {
        /// What did not parse.
        message: String,
    },
}

impl SnowflakeError {
    /// `true` for failures worth retrying later (429, 503, 504, connection failures, a statement
    /// still running).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Http { status, .. } => matches!(status, 429 | 503 | 504),
            Self::Transport { .. } | Self::StillRunning { .. } => true,
            _ => false,
        }
    }
    /// The ANSI SQLSTATE of a failed statement.
    pub fn sql_state(&self) -> Option<&str> {
        match self {
            Self::StatementFailed { sql_state, .. } | Self::StatementTimeout { sql_state, .. } => {
                Some(sql_state)
            }
            _ => None,
        }
    }
    /// The statement handle, when there is one.
    pub fn statement_handle(&self) -> Option<&str> {
        match self {
            Self::StatementFailed {
                statement_handle, ..
            }
            | Self::StatementTimeout {
                statement_handle, ..
            } => statement_handle.as_deref(),
            Self::StillRunning {
                statement_handle, ..
            } => Some(statement_handle),
            _ => None,
        }
    }
}

impl From<SnowflakeError> for Error {
    fn from(e: SnowflakeError) -> Self {
        let message = e.to_string();
        match &e {
            SnowflakeError::StatementFailed { sql_state, .. } if sql_state == "42501" => {
                Self::PermissionDenied { message }
            }
            SnowflakeError::StatementFailed { .. } => Self::invalid_query(message),
            SnowflakeError::StatementTimeout {
                statement_handle, ..
            } => Self::Timeout {
                query_id: statement_handle.clone(),
                message,
            },
            SnowflakeError::StillRunning {
                statement_handle, ..
            } => Self::Timeout {
                query_id: Some(statement_handle.clone()),
                message,
            },
            SnowflakeError::Auth { .. } => Self::Unauthenticated { message },
            SnowflakeError::Transport { .. } => Self::Unavailable {
                provider: PROVIDER.into(),
                message,
            },
            SnowflakeError::Http { status, .. } => match status {
                401 => Self::Unauthenticated {
                    message: format!(
                        "{message}; check the Snowflake token or the user's RSA_PUBLIC_KEY"
                    ),
                },
                403 => Self::PermissionDenied { message },
                404 => Self::not_found("statement", "", message),
                429 => Self::RateLimited {
                    provider: PROVIDER.into(),
                    retry_after: None,
                },
                s if *s >= 500 => Self::Unavailable {
                    provider: PROVIDER.into(),
                    message,
                },
                _ => Self::generic(PROVIDER, e),
            },
            SnowflakeError::Decode { .. } => Self::generic(PROVIDER, e),
        }
    }
}

/// Snowflake as a [`DataSource`]: models are the semantic views of the configured database (and
/// optional schema); structured queries compile to `SEMANTIC_VIEW(…)` with positional bindings
/// and run through the SQL API v2 with the row cap pushed into the statement; `ask` goes to
/// Cortex Analyst when `cortex_analyst` is set.
///
/// Cheap to clone.
///
/// ```no_run
/// # async fn demo() -> datasource_model::Result<()> {
/// use datasource_model::{DataSource, ModelScope, SnowflakeAuth, SnowflakeConfig, SnowflakeSource};
///
/// let config = SnowflakeConfig::new(
///     "myorg-myaccount",
///     "COMPUTE_WH",
///     "SALES",
///     SnowflakeAuth::keypair_file("/secrets/rsa_key.p8"),
/// )
/// .with_user("ANALYST_SVC")
/// .with_schema("PUBLIC");
/// let source = SnowflakeSource::from_config(&config, Some(5000))?;
/// for model in source.list_models(&ModelScope::new()).await? {
///     println!("{}", model.name);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SnowflakeSource {
    inner: Arc<Inner>,
}

struct Inner {
    api: SqlApi,
    database: String,
    schema: Option<String>,
    warehouse: String,
    role: Option<String>,
    cortex_analyst: bool,
    semantic_view: Option<String>,
    timeout_seconds: Option<u64>,
    max_rows: Option<u64>,
}

impl fmt::Debug for SnowflakeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnowflakeSource")
            .field("base", &self.inner.api.base().as_str())
            .field("database", &self.inner.database)
            .field("schema", &self.inner.schema)
            .field("warehouse", &self.inner.warehouse)
            .field("role", &self.inner.role)
            .field("cortex_analyst", &self.inner.cortex_analyst)
            .field("max_rows", &self.inner.max_rows)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for SnowflakeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.schema {
            Some(s) => write!(f, "Snowflake({}.{s})", self.inner.database),
            None => write!(f, "Snowflake({})", self.inner.database),
        }
    }
}

fn read_env(name: &str) -> Result<SecretString> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .map(SecretString::from)
        .ok_or_else(|| {
            Error::invalid_config(format!(
                "environment variable {name} is not set; the Snowflake auth block names it"
            ))
        })
}

fn credential(config: &SnowflakeConfig) -> Result<Credential> {
    match &config.auth {
        SnowflakeAuth::Keypair {
            private_key_path,
            private_key_env,
            passphrase_env,
        } => {
            let pem = match (private_key_path, private_key_env) {
                (Some(path), _) => {
                    SecretString::from(std::fs::read_to_string(path).map_err(|e| {
                        Error::invalid_config(format!(
                            "cannot read the Snowflake private key {}: {e}",
                            path.display()
                        ))
                    })?)
                }
                (None, Some(env)) => read_env(env)?,
                (None, None) => {
                    return Err(Error::invalid_config(
                        "`snowflake.auth` type keypair needs `private_key_path` or `private_key_env`",
                    ));
                }
            };
            let passphrase = passphrase_env.as_deref().map(read_env).transpose()?;
            let user = config.user.as_deref().unwrap_or_default();
            let signer = KeyPairSigner::from_pem(
                &config.account_identifier()?,
                user,
                &pem,
                passphrase.as_ref(),
            )?;
            Ok(Credential::key_pair(signer))
        }
        SnowflakeAuth::Oauth { token, token_env } | SnowflakeAuth::Pat { token, token_env } => {
            let t = match (token, token_env) {
                (Some(t), _) => t.clone(),
                (None, Some(env)) => read_env(env)?,
                (None, None) => {
                    return Err(Error::invalid_config(
                        "`snowflake.auth` needs `token_env` or `token`",
                    ));
                }
            };
            Ok(match &config.auth {
                SnowflakeAuth::Oauth { .. } => Credential::OAuth(t),
                _ => Credential::Pat(t),
            })
        }
    }
}

/// The SQL API binding type for a value.
fn binding_type(t: DataType) -> &'static str {
    match t {
        DataType::Integer | DataType::Decimal => "FIXED",
        DataType::Float => "REAL",
        DataType::Boolean => "BOOLEAN",
        DataType::Date => "DATE",
        DataType::Time => "TIME",
        DataType::Timestamp => "TIMESTAMP_NTZ",
        DataType::Binary => "BINARY",
        _ => "TEXT",
    }
}

/// Quote one identifier for Snowflake (`"NAME"`, inner quotes doubled).
fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

impl SnowflakeSource {
    /// Build from settings; `max_rows` caps every result.
    pub fn from_config(config: &SnowflakeConfig, max_rows: Option<u64>) -> Result<Self> {
        config.validate()?;
        let base = url::Url::parse(&config.base_url()?)
            .map_err(|e| Error::invalid_config(format!("`snowflake.host` is not a URL: {e}")))?;
        let api = SqlApi::new(base, credential(config)?, Duration::from_secs(120))?;
        Ok(Self {
            inner: Arc::new(Inner {
                api,
                database: config.database.clone(),
                schema: config.schema.clone(),
                warehouse: config.warehouse.clone(),
                role: config.role.clone(),
                cortex_analyst: config.cortex_analyst,
                semantic_view: config.semantic_view.clone(),
                timeout_seconds: config.timeout_seconds,
                max_rows,
            }),
        })
    }

    /// Shorten the retry and poll delays (tests against a mock server).
    #[doc(hidden)]
    pub fn with_fast_retries(mut self) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.api.retry.min_delay = Duration::from_millis(1);
            inner.api.retry.max_delay = Duration::from_millis(5);
            inner.api.poll.first_delay = Duration::from_millis(1);
            inner.api.poll.max_delay = Duration::from_millis(5);
        }
        self
    }

    fn cap(&self, requested: Option<u64>) -> Option<u64> {
        match (requested, self.inner.max_rows) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A model name as `DATABASE.SCHEMA.VIEW` (bare names use the configured database/schema).
    fn full_name(&self, model: &str) -> Result<(String, String, String)> {
        let parts: Vec<&str> = model.split('.').collect();
        for p in &parts {
            validate_identifier(p)?;
        }
        match parts.as_slice() {
            [d, s, v] => Ok(((*d).into(), (*s).into(), (*v).into())),
            [s, v] => Ok((self.inner.database.clone(), (*s).into(), (*v).into())),
            [v] => match &self.inner.schema {
                Some(s) => Ok((self.inner.database.clone(), s.clone(), (*v).into())),
                None => Err(Error::invalid_query(format!(
                    "`{model}` is ambiguous without a configured schema; use DATABASE.SCHEMA.{model}"
                ))),
            },
            _ => Err(Error::invalid_query(format!(
                "`{model}` is not a semantic view name; use DATABASE.SCHEMA.VIEW"
            ))),
        }
    }

    fn body(&self, statement: impl Into<String>) -> SubmitBody {
        SubmitBody {
            statement: statement.into(),
            timeout: self.inner.timeout_seconds,
            database: Some(self.inner.database.clone()),
            schema: self.inner.schema.clone(),
            warehouse: Some(self.inner.warehouse.clone()),
            role: self.inner.role.clone(),
            ..SubmitBody::default()
        }
    }

    /// Run a statement: submit, poll, stream partitions until the cap (+1) is reached.
    async fn run(
        &self,
        body: SubmitBody,
        parameters: Vec<SqlParameter>,
        cap: Option<u64>,
        request_id: Option<&str>,
        timeout_ms: Option<u64>,
    ) -> Result<QueryResult> {
        let started = Instant::now();
        let rid = request_id.map_or_else(new_request_id, str::to_string);
        let outcome = self.inner.api.submit(&body, &rid).await?;
        let max_wait = timeout_ms.map_or(DEFAULT_MAX_WAIT, Duration::from_millis);
        let finished = self.inner.api.wait(outcome, started, max_wait).await?;
        let mut result = self.read(&finished, cap).await?;
        result = result.with_sql(body.statement, parameters);
        result.stats.elapsed_ms =
            Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
        Ok(result)
    }

    /// Read a finished statement's rows, partition by partition, stopping after `cap + 1`.
    async fn read(&self, f: &Finished, cap: Option<u64>) -> Result<QueryResult> {
        let columns = f.row_types.iter().map(cells::RowType::column).collect();
        let want = cap.map(|c| usize::try_from(c.saturating_add(1)).unwrap_or(usize::MAX));
        let enough = |n: usize| want.is_some_and(|w| n >= w);
        let mut rows: Vec<Vec<Value>> = Vec::new();
        for r in &f.first {
            if enough(rows.len()) {
                break;
            }
            rows.push(cells::decode_row(r, &f.row_types));
        }
        // Fetch only the partitions that can hold the first `cap + 1` rows (from `rowCount`).
        let needed = match want {
            Some(w) if f.partition_rows.iter().all(Option::is_some) => {
                let mut seen = 0u64;
                let mut n = f.partitions;
                for (i, c) in f.partition_rows.iter().enumerate() {
                    seen = seen.saturating_add(c.unwrap_or(0));
                    if seen >= w as u64 {
                        n = i + 1;
                        break;
                    }
                }
                n.min(f.partitions)
            }
            _ => f.partitions,
        };
        if !enough(rows.len()) && needed > 1 {
            let mut stream = std::pin::pin!(self.inner.api.partitions(&f.handle, needed));
            while let Some(part) = stream.next().await {
                for r in &part? {
                    if enough(rows.len()) {
                        break;
                    }
                    rows.push(cells::decode_row(r, &f.row_types));
                }
                if enough(rows.len()) {
                    debug!(handle = %f.handle, "row cap reached; remaining partitions not fetched");
                    break;
                }
            }
        }
        let mut result = QueryResult::new(columns, rows)
            .with_query_id(f.handle.clone())
            .with_stats(QueryStats {
                total_rows: f.num_rows,
                ..QueryStats::default()
            });
        // `numRows` above the kept rows is truncation too (partitions not fetched).
        result.cap_rows(cap);
        Ok(result)
    }

    /// Run a metadata statement with bindings; no cap.
    async fn meta(&self, sql: String, binds: &[&str]) -> Result<QueryResult> {
        let mut body = self.body(sql);
        for b in binds {
            body.bind("TEXT", Some((*b).to_string()));
        }
        self.run(body, Vec::new(), None, None, None).await
    }
}

#[async_trait]
impl DataSource for SnowflakeSource {
    fn provider(&self) -> Provider {
        Provider::Snowflake
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new()
            .with_semantic_query(true)
            .with_sql(true)
            .with_natural_language(self.inner.cortex_analyst)
            .with_statement_status(true)
            .with_cancel(true)
            .with_max_rows(self.inner.max_rows)
    }

    async fn test_connection(&self) -> Result<ConnectionReport> {
        let r = self
            .meta(
                "SELECT CURRENT_USER() AS \"USER\", CURRENT_ROLE() AS \"ROLE\", CURRENT_WAREHOUSE() AS \"WAREHOUSE\", CURRENT_DATABASE() AS \"DATABASE\"".into(),
                &[],
            )
            .await?;
        let get = |name: &str| {
            r.column_index(name)
                .and_then(|i| r.rows.first().and_then(|row| row.get(i)))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let user = get("USER").unwrap_or_else(|| "unknown".into());
        let warehouse = get("WAREHOUSE").ok_or_else(|| {
            Error::not_found(
                "warehouse",
                self.inner.warehouse.clone(),
                "the session has no warehouse; grant USAGE on it to the role or fix `snowflake.warehouse`",
            )
        })?;
        let database = get("DATABASE").ok_or_else(|| {
            Error::not_found(
                "database",
                self.inner.database.clone(),
                "the role cannot use this database; grant USAGE on it or fix `snowflake.database`",
            )
        })?;
        Ok(ConnectionReport::new(Provider::Snowflake)
            .with_identity(user.clone())
            .with_check("identity", format!("authenticated as {user}"))
            .with_check(
                "role",
                format!("role {}", get("ROLE").unwrap_or_else(|| "(default)".into())),
            )
            .with_check("warehouse", format!("warehouse {warehouse} is usable"))
            .with_check("database", format!("database {database} is accessible")))
    }

    async fn list_models(&self, scope: &ModelScope) -> Result<Vec<ModelSummary>> {
        if scope
            .catalog
            .as_deref()
            .is_some_and(|c| !c.eq_ignore_ascii_case(&self.inner.database))
        {
            return Ok(Vec::new());
        }
        let schema = scope.schema.clone().or_else(|| self.inner.schema.clone());
        let views = describe::list_views(self, schema.as_deref()).await?;
        Ok(views
            .into_iter()
            .filter(|m| {
                scope.matches(
                    &m.name,
                    m.description.as_deref(),
                    m.catalog.as_deref(),
                    m.schema.as_deref(),
                )
            })
            .collect())
    }

    async fn describe_model(&self, model: &str) -> Result<ModelDescription> {
        let (db, schema, view) = self.full_name(model)?;
        describe::describe(self, &db, &schema, &view).await
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
        let compiled = compile(
            query,
            model,
            &SnowflakeDialect,
            &CompileOptions::new().with_row_cap(cap),
        )?;
        debug!(source = %self, sql = %compiled.sql, "query_model");
        if options.dry_run {
            return Ok(QueryResult::default().with_sql(compiled.sql, compiled.parameters));
        }
        let mut body = self.body(compiled.sql.clone());
        for p in &compiled.parameters {
            body.bind(binding_type(p.data_type), p.value.clone());
        }
        self.run(
            body,
            compiled.parameters,
            compiled.row_cap,
            options.request_id.as_deref(),
            options.timeout_ms,
        )
        .await
    }

    async fn ask(&self, question: &str, options: &AskOptions) -> Result<Answer> {
        if !self.inner.cortex_analyst {
            return Err(Error::not_supported(
                self.to_string(),
                "ask",
                "Cortex Analyst is not enabled (`snowflake.cortex_analyst: true`); use query_model",
            ));
        }
        let view = match options
            .model
            .as_deref()
            .or(self.inner.semantic_view.as_deref())
        {
            Some(m) => {
                let (d, s, v) = self.full_name(m)?;
                format!("{d}.{s}.{v}")
            }
            None => {
                let models = self.list_models(&ModelScope::new()).await?;
                match models.as_slice() {
                    [one] => one.name.clone(),
                    _ => {
                        return Err(Error::invalid_query(format!(
                            "ask needs a semantic view: pass `model` (one of {}) or set `snowflake.semantic_view`",
                            models
                                .iter()
                                .map(|m| m.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    }
                }
            }
        };
        let body = json!({
            "messages": [{"role": "user", "content": [{"type": "text", "text": question}]}],
            "semantic_view": view,
        });
        let reply = self.inner.api.analyst(&body).await?;
        let mut answer = Answer::new();
        let mut texts = Vec::new();
        let content = reply
            .pointer("/message/content")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for item in &content {
            match item.get("type").and_then(Value::as_str) {
                Some("text") => {
                    if let Some(t) = item.get("text").and_then(Value::as_str) {
                        texts.push(t.to_string());
                    }
                }
                Some("sql") => {
                    if let Some(s) = item.get("statement").and_then(Value::as_str) {
                        answer.sql = Some(s.to_string());
                    }
                }
                Some("suggestions") => {
                    answer.suggestions.extend(
                        item.get("suggestions")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .map(str::to_string),
                    );
                }
                _ => {}
            }
        }
        answer.warnings.extend(
            reply
                .get("warnings")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|w| w.get("message").and_then(Value::as_str))
                .map(str::to_string),
        );
        if !texts.is_empty() {
            answer.text = Some(texts.join("\n\n"));
        }
        if let Some(sql) = answer.sql.clone() {
            let cap = self.cap(options.max_rows);
            let result = self
                .run(self.body(sql), Vec::new(), cap, None, options.timeout_ms)
                .await?;
            answer.result = Some(result);
        }
        Ok(answer)
    }

    async fn execute_sql(
        &self,
        request: &SqlRequest,
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        let cap = self.cap(options.max_rows);
        let mut body = self.body(request.sql.clone());
        if let Some(c) = &request.catalog {
            body.database = Some(c.clone());
        }
        if let Some(s) = &request.schema {
            body.schema = Some(s.clone());
        }
        for p in &request.parameters {
            body.bind(binding_type(p.data_type), p.value.clone());
        }
        if options.dry_run {
            return Ok(
                QueryResult::default().with_sql(request.sql.clone(), request.parameters.clone())
            );
        }
        self.run(
            body,
            request.parameters.clone(),
            cap,
            options.request_id.as_deref(),
            options.timeout_ms,
        )
        .await
    }

    async fn get_statement(&self, query_id: &str) -> Result<StatementStatus> {
        match self.inner.api.status(query_id).await {
            Ok(Outcome::Running { handle }) => {
                Ok(StatementStatus::new(handle, StatementState::Running))
            }
            Ok(Outcome::Finished(f)) => {
                let result = self.read(&f, self.inner.max_rows).await?;
                Ok(StatementStatus::new(query_id, StatementState::Succeeded).with_result(result))
            }
            Err(e @ SnowflakeError::StatementFailed { .. }) => Ok(StatementStatus::new(
                query_id,
                StatementState::Failed,
            )
            .with_error(e.to_string())),
            Err(e @ SnowflakeError::StatementTimeout { .. }) => {
                Ok(StatementStatus::new(query_id, StatementState::Canceled)
                    .with_error(e.to_string()))
            }
            Err(SnowflakeError::Http { status: 404, .. }) => Err(Error::not_found(
                "statement",
                query_id,
                "unknown or expired statement handle (results are kept about 24 hours)",
            )),
            Err(e) => Err(e.into()),
        }
    }

    async fn cancel(&self, query_id: &str) -> Result<()> {
        match self.inner.api.cancel(query_id).await {
            Ok(()) => Ok(()),
            Err(SnowflakeError::Http { status: 404, .. }) => Err(Error::not_found(
                "statement",
                query_id,
                "unknown or expired statement handle",
            )),
            Err(e) => Err(e.into()),
        }
    }
}
