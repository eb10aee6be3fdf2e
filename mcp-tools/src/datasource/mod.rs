//! The DataSource toolset: semantic-model tools over any `Arc<dyn DataSource>`.
//!
//! Tools (names and parameter names follow the kagent proposal): `list_models`,
//! `describe_model`, `get_model_metrics`, `get_model_dimensions`, `query_model`, `execute_sql`,
//! `get_statement`, `cancel_statement`. Each parses its typed arguments, calls the source, and
//! shapes the result; failures the caller can act on are `isError` results naming the fix.
//!
//! `models.rs` holds the discovery tools, `query.rs` `query_model`, `sql.rs` the SQL and
//! statement tools. Every tool is one spec and one adapter function declared with
//! [`FnTool::with_state`](crate::FnTool::with_state); `Shared::finish` turns its outcome into
//! the tool result (an `isError` result naming the fix, secrets redacted).

mod models;
mod query;
mod sql;

use std::sync::Arc;

use datasource_model::{
    DynDataSource, Error as SourceError, ModelSelector, PrincipalSources, QueryOptions, QueryResult,
};
use secrecy::ExposeSecret;

use crate::redact::Redactions;
use crate::{
    Column, DynTool, MoreRows, ResultLimits, TableResult, ToolContext, ToolError, ToolOutput,
    Toolset,
};

/// Name of this toolset (for `--toolsets` filters).
pub const DATASOURCE_TOOLSET: &str = "datasource";

/// Options of the DataSource toolset.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct DataSourceToolsetOptions {
    /// Allow SQL that changes data in `execute_sql` (off by default).
    pub allow_writes: bool,
    /// Row and byte caps.
    pub limits: ResultLimits,
    /// How long `execute_sql`/`query_model` wait before answering with a statement handle
    /// (milliseconds); `None` leaves it to the source.
    pub wait_timeout_ms: Option<u64>,
    /// Serve only these models (empty: every model in the source's scope). Short or qualified
    /// names, any case: `revenue_metrics` selects `main.sales.revenue_metrics` (see
    /// [`ModelSelector`]).
    pub models: Vec<String>,
    redactions: Redactions,
}

impl DataSourceToolsetOptions {
    /// Read-only defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Allows (or forbids) writes in `execute_sql`.
    pub fn with_allow_writes(mut self, allow: bool) -> Self {
        self.allow_writes = allow;
        self
    }

    /// Sets the caps.
    pub fn with_limits(mut self, limits: ResultLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the wait timeout.
    pub fn with_wait_timeout_ms(mut self, ms: u64) -> Self {
        self.wait_timeout_ms = Some(ms);
        self
    }

    /// Serves only these models (empty: all); short or qualified names, any case.
    pub fn with_models<I, S>(mut self, models: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.models = models.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a secret (a token, a password) that is replaced by `[REDACTED]` wherever it would
    /// appear in tool output, as a last line of defence. Empty strings are ignored.
    pub fn with_redacted_secret(mut self, secret: impl Into<String>) -> Self {
        self.redactions.push(secret.into());
        self
    }
}

#[derive(Debug)]
struct Shared {
    source: Arc<DynDataSource>,
    /// Identity pass-through: each caller's own source (built from the caller's token).
    per_caller: Option<Arc<PrincipalSources>>,
    options: DataSourceToolsetOptions,
}

/// The DataSource toolset.
///
/// ```no_run
/// use std::sync::Arc;
/// use mcp_tools::{DataSourceToolset, DataSourceToolsetOptions, Registry};
///
/// # fn demo(source: Arc<datasource_model::DynDataSource>) -> Result<(), Box<dyn std::error::Error>> {
/// let toolset = DataSourceToolset::new(source, DataSourceToolsetOptions::new());
/// let registry = Registry::builder().toolset(Arc::new(toolset)).read_only(true).build()?;
/// assert!(registry.get("execute_sql").is_some());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DataSourceToolset {
    shared: Arc<Shared>,
}

impl DataSourceToolset {
    /// Tools over `source`.
    pub fn new(source: Arc<DynDataSource>, options: DataSourceToolsetOptions) -> Self {
        Self {
            shared: Arc::new(Shared {
                source,
                per_caller: None,
                options,
            }),
        }
    }

    /// Identity pass-through: every call runs on the caller's own source from `sources`,
    /// built with the caller's token ([`ToolContext::caller_token`], set by a server with
    /// [`crate::server::HttpConfig::with_identity_passthrough`]), so the backend's grants, row
    /// filters and column masks apply per end user. A call without a caller token is refused
    /// with an `isError` result; it never falls back to the shared source's identity.
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// use datasource_model::{DatabricksConfig, PrincipalSources};
    /// use mcp_tools::{DataSourceToolset, DataSourceToolsetOptions};
    ///
    /// # fn demo(shared: Arc<datasource_model::DynDataSource>, config: DatabricksConfig) -> datasource_model::Result<()> {
    /// let per_caller = Arc::new(PrincipalSources::databricks(&config, None)?);
    /// let toolset = DataSourceToolset::new(shared, DataSourceToolsetOptions::new())
    ///     .with_identity_passthrough(per_caller);
    /// # Ok(()) }
    /// ```
    pub fn with_identity_passthrough(self, sources: Arc<PrincipalSources>) -> Self {
        let shared = Shared {
            source: Arc::clone(&self.shared.source),
            per_caller: Some(sources),
            options: self.shared.options.clone(),
        };
        Self {
            shared: Arc::new(shared),
        }
    }
}

impl Toolset for DataSourceToolset {
    fn name(&self) -> &str {
        DATASOURCE_TOOLSET
    }

    fn tools(&self) -> Vec<DynTool> {
        let s = &self.shared;
        vec![
            models::list_models(s),
            models::describe_model(s),
            models::get_model_metrics(s),
            models::get_model_dimensions(s),
            query::query_model(s),
            sql::execute_sql(s),
            sql::get_statement(s),
            sql::cancel_statement(s),
        ]
    }
}

// ---- shared by the tools -------------------------------------------------------------------

/// Why a tool produced no result: a protocol error, a source error (explained with the next
/// step), or a message for the caller.
enum Failure {
    Tool(ToolError),
    Source(SourceError),
    Message(String),
}

impl From<ToolError> for Failure {
    fn from(e: ToolError) -> Self {
        Self::Tool(e)
    }
}

impl From<SourceError> for Failure {
    fn from(e: SourceError) -> Self {
        Self::Source(e)
    }
}

type Outcome = Result<ToolOutput, Failure>;

impl Shared {
    /// The tool's answer: failures the caller can act on become `isError` results, and the
    /// configured secrets are redacted from whatever is returned.
    fn finish(&self, out: Outcome, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let passthrough = self.per_caller.is_some();
        let out = match out {
            Ok(out) => out,
            Err(Failure::Tool(e)) => return Err(e),
            Err(Failure::Source(e)) => ToolOutput::error(explain(&e, passthrough)),
            Err(Failure::Message(m)) => ToolOutput::error(m),
        };
        match ctx.caller_token() {
            // The caller's own token is redacted too, should a backend echo it.
            Some(caller) => {
                let mut redactions = self.options.redactions.clone();
                redactions.push(caller.token.expose_secret().to_owned());
                Ok(redactions.apply(out))
            }
            None => Ok(self.options.redactions.apply(out)),
        }
    }

    /// The source this call runs on: the shared one, or in pass-through mode the caller's own.
    async fn source(&self, ctx: &ToolContext) -> Result<Arc<DynDataSource>, Failure> {
        let Some(per_caller) = &self.per_caller else {
            return Ok(Arc::clone(&self.source));
        };
        let Some(caller) = ctx.caller_token() else {
            return Err(Failure::Message(
                "this server runs queries as the calling user (identity pass-through), but the call carries no user token: connect over HTTP with an OAuth access token (Authorization: Bearer <token>) from the server's authorization server, or ask the operator to enable OAuth on the server".to_owned(),
            ));
        };
        Ok(per_caller.source_for(caller).await?)
    }

    fn limits(&self) -> ResultLimits {
        self.options.limits
    }

    fn selector(&self) -> ModelSelector {
        ModelSelector::new(&self.options.models)
    }

    /// Rejects models outside the `models` allowlist.
    fn served(&self, model: &str) -> Result<(), Failure> {
        let selector = self.selector();
        if selector.matches(model) {
            Ok(())
        } else {
            Err(Failure::Message(format!(
                "model `{model}` is not served by this server; call list_models to see the available model_name values (served: {})",
                selector.selectors().join(", ")
            )))
        }
    }

    fn query_options(&self, rows: usize) -> QueryOptions {
        let mut o = QueryOptions::new().with_max_rows(rows as u64);
        if let Some(ms) = self.options.wait_timeout_ms {
            o = o.with_timeout_ms(ms);
        }
        o
    }

    fn table(&self, r: QueryResult, cap: usize, offset: u64, more: More) -> TableResult {
        let columns = r
            .columns
            .iter()
            .map(|c| Column::new(c.name.clone(), Some(c.raw_type.clone())))
            .collect();
        let id = r.query_id.clone();
        TableResult::from_rows(columns, r.rows, cap, offset, r.truncated, |next| {
            let hint = match more {
                More::Offset => format!(
                    "call query_model again with the same fields and offset={next}, or narrow it with filters"
                ),
                More::Sql => format!(
                    "re-run with `LIMIT {cap} OFFSET {next}` in the SQL, or aggregate/filter to return fewer rows"
                ),
                More::Question => {
                    "ask a narrower question, or use structured fields with a limit and offset"
                        .to_owned()
                }
            };
            MoreRows::new(id, next, hint)
        })
    }
}

#[derive(Debug, Clone, Copy)]
enum More {
    Offset,
    Sql,
    Question,
}

/// Runs `fut`, giving up with a clear message when the client cancels the call.
async fn cancellable<T>(
    ctx: &ToolContext,
    fut: impl Future<Output = datasource_model::Result<T>>,
) -> Result<T, Failure> {
    tokio::select! {
        r = fut => r.map_err(Failure::Source),
        () = ctx.cancellation().cancelled() => Err(Failure::Message(
            "the call was cancelled by the client".into(),
        )),
    }
}

/// The `isError` text for a source error: what happened and what to do next.
fn explain(e: &SourceError, passthrough: bool) -> String {
    let fix = match e {
        SourceError::NotFound { kind: "model", .. } => {
            "call list_models to see the available model_name values".to_owned()
        }
        SourceError::NotFound {
            kind: "statement", ..
        } => "the statement expired or never existed; run the query again".to_owned(),
        SourceError::NotFound { .. } => {
            "check the name with list_models / describe_model".to_owned()
        }
        SourceError::InvalidQuery { valid, .. } if !valid.is_empty() => format!(
            "valid names: {}; call describe_model to see every metric and dimension",
            valid.join(", ")
        ),
        SourceError::InvalidQuery { .. } => {
            "fix the query; describe_model lists the valid metric and dimension names".to_owned()
        }
        SourceError::Timeout {
            query_id: Some(id), ..
        } => format!(
            "the statement is still running: call get_statement with statement_id={id} to poll it, or cancel_statement to stop it"
        ),
        SourceError::Timeout { .. } => {
            "narrow the query (fewer rows, a shorter date range) and try again".to_owned()
        }
        SourceError::RateLimited { .. } | SourceError::Unavailable { .. } => {
            "this is temporary; wait a few seconds and retry the same call".to_owned()
        }
        SourceError::Unauthenticated { .. } if passthrough => {
            "sign in again to get a fresh access token, then retry".to_owned()
        }
        SourceError::PermissionDenied { .. } if passthrough => {
            "your identity lacks access to this data; ask a data owner for the grant (retrying will not help)".to_owned()
        }
        SourceError::Unauthenticated { .. } | SourceError::PermissionDenied { .. } => {
            "the server's identity lacks access; ask the operator to fix its credentials or grants (retrying will not help)".to_owned()
        }
        SourceError::NotSupported { .. } => {
            "use another tool as the message says".to_owned()
        }
        _ => "if it persists, ask the operator to check the server logs".to_owned(),
    };
    format!("{e}. Next: {fix}.")
}
