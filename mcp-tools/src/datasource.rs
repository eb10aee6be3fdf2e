//! The DataSource toolset: semantic-model tools over any `Arc<dyn DataSource>`.
//!
//! Tools (names and parameter names follow the kagent proposal): `list_models`,
//! `describe_model`, `get_model_metrics`, `get_model_dimensions`, `query_model`, `execute_sql`,
//! `get_statement`, `cancel_statement`. Each parses its typed arguments, calls the source, and
//! shapes the result; failures the caller can act on are `isError` results naming the fix.

use std::sync::Arc;

use async_trait::async_trait;
use datasource_model::{
    AskOptions, DynDataSource, Error as SourceError, Filter, Metric, ModelDescription, ModelScope,
    ModelSelector, ModelSummary, OrderBy, QueryOptions, QueryResult, SemanticQuery, SqlRequest,
    StatementState, TimeDimension,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::redact::Redactions;
use crate::{
    Column, DynTool, MoreRows, ResultLimits, SqlKind, SqlPolicy, TableResult, Tool,
    ToolAnnotations, ToolContext, ToolError, ToolOutput, ToolSpec, Toolset, cap_text, check_sql,
    parse_args,
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
            shared: Arc::new(Shared { source, options }),
        }
    }
}

impl Toolset for DataSourceToolset {
    fn name(&self) -> &str {
        DATASOURCE_TOOLSET
    }

    fn tools(&self) -> Vec<DynTool> {
        let s = &self.shared;
        let writes = s.options.allow_writes;
        let read = ToolAnnotations::read_only();
        let sql_annotations = if writes {
            ToolAnnotations::destructive()
        } else {
            read
        };
        let max_rows = s.options.limits.max_rows;
        let tool = |kind: Kind, spec: ToolSpec| -> DynTool {
            Arc::new(DsTool {
                kind,
                spec,
                shared: Arc::clone(s),
            })
        };
        vec![
            tool(
                Kind::ListModels,
                ToolSpec::new::<ListModelsArgs, ListModelsResult>(
                    "list_models",
                    "List the semantic models available on this data source (name and description). Start here, then call describe_model.",
                )
                .with_title("List semantic models")
                .with_annotations(read),
            ),
            tool(
                Kind::DescribeModel,
                ToolSpec::new::<ModelArgs, ModelDescription>(
                    "describe_model",
                    "Describe one semantic model: its tables, dimensions, metrics and relationships.",
                )
                .with_title("Describe a semantic model")
                .with_annotations(read),
            ),
            tool(
                Kind::Metrics,
                ToolSpec::new::<ModelArgs, MetricsResult>(
                    "get_model_metrics",
                    "List the metrics (measures) of a semantic model, with types and descriptions.",
                )
                .with_title("Metrics of a model")
                .with_annotations(read),
            ),
            tool(
                Kind::Dimensions,
                ToolSpec::new::<ModelArgs, DimensionsResult>(
                    "get_model_dimensions",
                    "List the dimensions of a semantic model (what results can be grouped and filtered by); time dimensions are marked is_time.",
                )
                .with_title("Dimensions of a model")
                .with_annotations(read),
            ),
            tool(
                Kind::QueryModel,
                ToolSpec::new::<QueryModelArgs, QueryModelResult>(
                    "query_model",
                    format!(
                        "Query a semantic model. Either ask a natural-language `question`, or give structured fields (`metrics`, `dimensions`, `time_dimensions`, `filters`, `order`, `limit`) using names from describe_model. At most {max_rows} rows are returned; `truncated: true` says more exist and `more` says how to get them."
                    ),
                )
                .with_title("Query a semantic model")
                .with_annotations(read),
            ),
            tool(
                Kind::ExecuteSql,
                ToolSpec::new::<ExecuteSqlArgs, SqlResult>(
                    "execute_sql",
                    if writes {
                        format!(
                            "Run one SQL statement (writes are enabled on this server). At most {max_rows} rows are returned; long statements return a statement_id to poll with get_statement."
                        )
                    } else {
                        format!(
                            "Run one read-only SQL statement (SELECT, WITH … SELECT, SHOW, DESCRIBE, EXPLAIN). At most {max_rows} rows are returned; long statements return a statement_id to poll with get_statement."
                        )
                    },
                )
                .with_title("Run SQL")
                .with_annotations(sql_annotations),
            ),
            tool(
                Kind::GetStatement,
                ToolSpec::new::<StatementArgs, StatementResult>(
                    "get_statement",
                    "Get the state and, once finished, the result of a statement started by execute_sql or query_model (pass its statement_id).",
                )
                .with_title("Poll a statement")
                .with_annotations(read),
            ),
            tool(
                Kind::CancelStatement,
                ToolSpec::new::<StatementArgs, CancelResult>(
                    "cancel_statement",
                    "Cancel a running statement started by execute_sql or query_model.",
                )
                .with_title("Cancel a statement")
                .with_annotations(
                    ToolAnnotations::read_only()
                        .with_read_only(false)
                        .with_destructive(false)
                        .with_idempotent(true),
                )
                // Cancelling the caller's own statement changes no data.
                .with_writes_data(false),
            ),
        ]
    }
}

// ---- arguments and results ----------------------------------------------------------------

/// Arguments of `list_models`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListModelsArgs {
    /// Only models whose name or description contains this text (case-insensitive).
    #[serde(default)]
    search: Option<String>,
}

/// Result of `list_models`.
#[derive(Debug, Serialize, JsonSchema)]
struct ListModelsResult {
    /// The models.
    models: Vec<ModelSummary>,
    /// How many models.
    count: usize,
    /// Models the server was asked to serve (`--models`) that the source does not have.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    not_found: Vec<String>,
}

/// Arguments naming a model.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ModelArgs {
    /// The model, as listed by list_models.
    model_name: String,
}

/// Result of `get_model_metrics`.
#[derive(Debug, Serialize, JsonSchema)]
struct MetricsResult {
    /// The model.
    model_name: String,
    /// Its metrics.
    metrics: Vec<Metric>,
}

/// Result of `get_model_dimensions`.
#[derive(Debug, Serialize, JsonSchema)]
struct DimensionsResult {
    /// The model.
    model_name: String,
    /// Its dimensions.
    dimensions: Vec<datasource_model::Dimension>,
}

/// Arguments of `query_model`: a natural-language `question`, or structured fields.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct QueryModelArgs {
    /// The model, as listed by list_models.
    model_name: String,
    /// A natural-language question (needs a source that can answer questions). Leave empty to
    /// use the structured fields.
    #[serde(default)]
    question: Option<String>,
    /// Metrics to compute (names from get_model_metrics).
    #[serde(default)]
    metrics: Vec<String>,
    /// Dimensions to group by (names from get_model_dimensions).
    #[serde(default)]
    dimensions: Vec<String>,
    /// Time dimensions, e.g. `{"dimension": "order_date", "granularity": "month"}`.
    #[serde(default)]
    time_dimensions: Vec<TimeDimension>,
    /// Filters, e.g. `{"member": "region", "operator": "equals", "values": ["EMEA"]}`.
    #[serde(default)]
    filters: Vec<Filter>,
    /// Sort order, e.g. `{"member": "total_revenue", "direction": "desc"}`.
    #[serde(default)]
    order: Vec<OrderBy>,
    /// Maximum rows (capped by the server).
    #[serde(default)]
    limit: Option<u64>,
    /// Rows to skip (to page through a truncated result).
    #[serde(default)]
    offset: Option<u64>,
}

/// Result of `query_model`.
#[derive(Debug, Serialize, JsonSchema)]
struct QueryModelResult {
    /// The model.
    model_name: String,
    /// The rows (complete up to the row cap).
    #[serde(flatten)]
    table: TableResult,
    /// The SQL that ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    sql: Option<String>,
    /// The statement handle, if the source keeps one.
    #[serde(skip_serializing_if = "Option::is_none")]
    statement_id: Option<String>,
    /// For a `question`: the answer text.
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<String>,
    /// For a `question`: follow-up suggestions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    suggestions: Vec<String>,
}

/// Arguments of `execute_sql`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ExecuteSqlArgs {
    /// One SQL statement.
    sql: String,
    /// Maximum rows (capped by the server).
    #[serde(default)]
    limit: Option<u64>,
}

/// Result of `execute_sql`.
#[derive(Debug, Serialize, JsonSchema)]
struct SqlResult {
    /// The rows (complete up to the row cap).
    #[serde(flatten)]
    table: TableResult,
    /// The statement handle, if the source keeps one.
    #[serde(skip_serializing_if = "Option::is_none")]
    statement_id: Option<String>,
}

/// Arguments naming a statement.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct StatementArgs {
    /// The statement_id returned by execute_sql or query_model.
    statement_id: String,
}

/// Result of `get_statement`.
#[derive(Debug, Serialize, JsonSchema)]
struct StatementResult {
    /// The statement.
    statement_id: String,
    /// `pending`, `running`, `succeeded`, `failed`, `canceled` or `closed`.
    state: StatementState,
    /// The result once succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<TableResult>,
    /// The error once failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Result of `cancel_statement`.
#[derive(Debug, Serialize, JsonSchema)]
struct CancelResult {
    /// The statement.
    statement_id: String,
    /// Always true when the call succeeds.
    cancel_requested: bool,
}

// ---- the tools -----------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Kind {
    ListModels,
    DescribeModel,
    Metrics,
    Dimensions,
    QueryModel,
    ExecuteSql,
    GetStatement,
    CancelStatement,
}

#[derive(Debug)]
struct DsTool {
    kind: Kind,
    spec: ToolSpec,
    shared: Arc<Shared>,
}

#[async_trait]
impl Tool for DsTool {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    async fn call(&self, args: Value, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        let name = self.spec.name();
        let out = match self.kind {
            Kind::ListModels => self.list_models(parse_args(name, args)?).await,
            Kind::DescribeModel => self.describe_model(parse_args(name, args)?).await,
            Kind::Metrics => self.metrics(parse_args(name, args)?).await,
            Kind::Dimensions => self.dimensions(parse_args(name, args)?).await,
            Kind::QueryModel => self.query_model(parse_args(name, args)?, &ctx).await,
            Kind::ExecuteSql => self.execute_sql(parse_args(name, args)?, &ctx).await,
            Kind::GetStatement => self.get_statement(parse_args(name, args)?).await,
            Kind::CancelStatement => self.cancel_statement(parse_args(name, args)?).await,
        };
        let out = match out {
            Ok(out) => out,
            Err(Failure::Tool(e)) => return Err(e),
            Err(Failure::Source(e)) => ToolOutput::error(explain(&e)),
            Err(Failure::Message(m)) => ToolOutput::error(m),
        };
        Ok(self.shared.options.redactions.apply(out))
    }
}

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

impl DsTool {
    fn limits(&self) -> ResultLimits {
        self.shared.options.limits
    }

    fn selector(&self) -> ModelSelector {
        ModelSelector::new(&self.shared.options.models)
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
        if let Some(ms) = self.shared.options.wait_timeout_ms {
            o = o.with_timeout_ms(ms);
        }
        o
    }

    async fn list_models(&self, args: ListModelsArgs) -> Outcome {
        let mut scope = ModelScope::new();
        if let Some(search) = args.search {
            scope = scope.with_search(search);
        }
        let searched = scope.search.is_some();
        let listed = self.shared.source.list_models(&scope).await?;
        let selection = self.selector().select(listed, |m| m.name.as_str());
        let models = selection.selected;
        // With a search, a selector may just not match the search: only report misses when the
        // whole scope was listed.
        let not_found = if searched {
            Vec::new()
        } else {
            selection.not_found
        };
        let mut text = format!("{} models", models.len());
        for m in &models {
            text.push_str(&format!(
                "\n- {}: {}",
                m.name,
                m.description.as_deref().unwrap_or("(no description)")
            ));
        }
        if !not_found.is_empty() {
            text.push_str(&format!(
                "\nNot found (requested by the server's --models but not in the source's scope): {}; check the names and the catalog/schema",
                not_found.join(", ")
            ));
        }
        if models.is_empty() {
            text.push_str("\nThe source's scope (catalog/schema/models) may be too narrow.");
        } else {
            text.push_str("\nNext: describe_model with one of these model_name values.");
        }
        let count = models.len();
        let text = cap_text(&text, self.limits().max_text_bytes, "structuredContent");
        Ok(ToolOutput::structured(
            text,
            &ListModelsResult {
                models,
                count,
                not_found,
            },
        )?)
    }

    async fn describe_model(&self, args: ModelArgs) -> Outcome {
        self.served(&args.model_name)?;
        let d = self.shared.source.describe_model(&args.model_name).await?;
        let mut text = format!(
            "model {}{}",
            d.name,
            d.description
                .as_deref()
                .map(|s| format!(": {s}"))
                .unwrap_or_default()
        );
        text.push_str(&format!(
            "\nmetrics: {}",
            d.metrics
                .iter()
                .map(|m| m.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        text.push_str(&format!(
            "\ndimensions: {}",
            d.dimensions
                .iter()
                .map(|x| if x.is_time {
                    format!("{} (time)", x.name)
                } else {
                    x.name.clone()
                })
                .collect::<Vec<_>>()
                .join(", ")
        ));
        if !d.tables.is_empty() {
            text.push_str(&format!(
                "\ntables: {}",
                d.tables
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let text = cap_text(&text, self.limits().max_text_bytes, "structuredContent");
        Ok(ToolOutput::structured(text, &d)?)
    }

    async fn metrics(&self, args: ModelArgs) -> Outcome {
        self.served(&args.model_name)?;
        let d = self.shared.source.describe_model(&args.model_name).await?;
        let mut text = format!("{} metrics of {}", d.metrics.len(), d.name);
        for m in &d.metrics {
            text.push_str(&format!(
                "\n- {}{}",
                m.name,
                m.description
                    .as_deref()
                    .map(|s| format!(": {s}"))
                    .unwrap_or_default()
            ));
        }
        let text = cap_text(&text, self.limits().max_text_bytes, "structuredContent");
        Ok(ToolOutput::structured(
            text,
            &MetricsResult {
                model_name: d.name,
                metrics: d.metrics,
            },
        )?)
    }

    async fn dimensions(&self, args: ModelArgs) -> Outcome {
        self.served(&args.model_name)?;
        let d = self.shared.source.describe_model(&args.model_name).await?;
        let mut text = format!("{} dimensions of {}", d.dimensions.len(), d.name);
        for x in &d.dimensions {
            text.push_str(&format!(
                "\n- {}{}{}",
                x.name,
                if x.is_time { " (time)" } else { "" },
                x.description
                    .as_deref()
                    .map(|s| format!(": {s}"))
                    .unwrap_or_default()
            ));
        }
        let text = cap_text(&text, self.limits().max_text_bytes, "structuredContent");
        Ok(ToolOutput::structured(
            text,
            &DimensionsResult {
                model_name: d.name,
                dimensions: d.dimensions,
            },
        )?)
    }

    async fn query_model(&self, args: QueryModelArgs, ctx: &ToolContext) -> Outcome {
        self.served(&args.model_name)?;
        let limits = self.limits();
        let rows = limits.effective_rows(args.limit);
        let structured = !(args.metrics.is_empty()
            && args.dimensions.is_empty()
            && args.time_dimensions.is_empty());
        let question = args.question.filter(|q| !q.trim().is_empty());
        if let Some(question) = question {
            if structured {
                return Err(Failure::Message(
                    "give either `question` or structured fields (metrics/dimensions/time_dimensions), not both".into(),
                ));
            }
            let mut options = AskOptions::new()
                .with_model(args.model_name.clone())
                .with_max_rows(rows as u64);
            if let Some(ms) = self.shared.options.wait_timeout_ms {
                options = options.with_timeout_ms(ms);
            }
            let answer = cancellable(ctx, self.shared.source.ask(&question, &options)).await?;
            let (table, statement_id) = match answer.result {
                Some(r) => {
                    let id = r.query_id.clone();
                    (self.table(r, rows, 0, More::Question), id)
                }
                None => (
                    TableResult::from_rows(Vec::new(), Vec::new(), rows, 0, false, |o| {
                        MoreRows::new(None, o, "")
                    }),
                    None,
                ),
            };
            let mut text = answer.text.clone().unwrap_or_default();
            if let Some(sql) = &answer.sql {
                text.push_str(&format!("\nSQL: {sql}"));
            }
            if !table.columns.is_empty() {
                text.push('\n');
                text.push_str(&table.to_text(limits.max_text_bytes.saturating_sub(text.len())));
            }
            let text = cap_text(&text, limits.max_text_bytes, "structuredContent");
            return Ok(ToolOutput::structured(
                text,
                &QueryModelResult {
                    model_name: args.model_name,
                    table,
                    sql: answer.sql,
                    statement_id,
                    answer: answer.text,
                    suggestions: answer.suggestions,
                },
            )?);
        }
        if !structured {
            return Err(Failure::Message(format!(
                "query_model needs a `question` or at least one of `metrics`, `dimensions`, `time_dimensions`; call describe_model with model_name={} to see the names",
                args.model_name
            )));
        }
        let mut query = SemanticQuery::new(args.model_name.clone())
            .with_metrics(args.metrics)
            .with_dimensions(args.dimensions)
            .with_limit(rows as u64);
        for td in args.time_dimensions {
            query = query.with_time_dimension(td);
        }
        for f in args.filters {
            query = query.with_filter(f);
        }
        for o in args.order {
            query = query.with_order(o);
        }
        let offset = args.offset.unwrap_or(0);
        if offset > 0 {
            query = query.with_offset(offset);
        }
        let result = cancellable(
            ctx,
            self.shared
                .source
                .query_model(&query, &self.query_options(rows)),
        )
        .await?;
        let statement_id = result.query_id.clone();
        let sql = result.sql.clone();
        let table = self.table(result, rows, offset, More::Offset);
        let text = table.to_text(limits.max_text_bytes);
        Ok(ToolOutput::structured(
            text,
            &QueryModelResult {
                model_name: args.model_name,
                table,
                sql,
                statement_id,
                answer: None,
                suggestions: Vec::new(),
            },
        )?)
    }

    async fn execute_sql(&self, args: ExecuteSqlArgs, ctx: &ToolContext) -> Outcome {
        let policy = if self.shared.options.allow_writes {
            SqlPolicy::allow_writes()
        } else {
            SqlPolicy::read_only()
        };
        let kind = check_sql(&args.sql, policy).map_err(|e| Failure::Message(e.to_string()))?;
        let rows = self.limits().effective_rows(args.limit);
        let result = cancellable(
            ctx,
            self.shared
                .source
                .execute_sql(&SqlRequest::new(args.sql), &self.query_options(rows)),
        )
        .await?;
        let statement_id = result.query_id.clone();
        let table = self.table(result, rows, 0, More::Sql);
        let mut text = table.to_text(self.limits().max_text_bytes);
        if kind == SqlKind::Write && table.columns.is_empty() {
            text = "statement ran".to_owned();
        }
        Ok(ToolOutput::structured(
            text,
            &SqlResult {
                table,
                statement_id,
            },
        )?)
    }

    async fn get_statement(&self, args: StatementArgs) -> Outcome {
        let status = self.shared.source.get_statement(&args.statement_id).await?;
        let rows = self.limits().max_rows;
        let result = status.result.map(|r| self.table(r, rows, 0, More::Sql));
        let mut text = format!("statement {}: {:?}", status.query_id, status.state).to_lowercase();
        if let Some(e) = &status.error {
            text.push_str(&format!("\nerror: {e}"));
        }
        match (&result, status.state.is_terminal()) {
            (Some(t), _) => {
                text.push('\n');
                text.push_str(&t.to_text(self.limits().max_text_bytes.saturating_sub(text.len())));
            }
            (None, false) => text.push_str(&format!(
                "\nstill running; call get_statement with statement_id={} again in a few seconds, or cancel_statement to stop it",
                status.query_id
            )),
            (None, true) => {}
        }
        let text = cap_text(&text, self.limits().max_text_bytes, "structuredContent");
        Ok(ToolOutput::structured(
            text,
            &StatementResult {
                statement_id: status.query_id,
                state: status.state,
                result,
                error: status.error,
            },
        )?)
    }

    async fn cancel_statement(&self, args: StatementArgs) -> Outcome {
        self.shared.source.cancel(&args.statement_id).await?;
        Ok(ToolOutput::structured(
            format!("cancel requested for statement {}", args.statement_id),
            &CancelResult {
                statement_id: args.statement_id,
                cancel_requested: true,
            },
        )?)
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
fn explain(e: &SourceError) -> String {
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
