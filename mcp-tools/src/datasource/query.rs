//! Semantic queries: `query_model`.

use std::sync::Arc;

use datasource_model::{AskOptions, SemanticQuery};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Failure, More, Outcome, Shared, cancellable};
use crate::{
    DynTool, FnTool, MoreRows, TableResult, ToolAnnotations, ToolContext, ToolError, ToolOutput,
    ToolSpec, cap_text,
};

/// Arguments of `query_model`: a natural-language `question`, or the structured fields of a
/// [`SemanticQuery`] (flattened, so a new query field reaches the tool without being restated
/// here; its schema names the model `model_name`).
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct QueryModelArgs {
    /// A natural-language question (needs a source that can answer questions). Leave empty to
    /// use the structured fields.
    #[serde(default)]
    question: Option<String>,
    /// The structured query (and the model, `model_name`).
    #[serde(flatten)]
    query: SemanticQuery,
    /// Arguments neither field above knows: refused (serde's `deny_unknown_fields` does not
    /// work with `flatten`).
    #[serde(flatten)]
    #[schemars(skip)]
    unknown: serde_json::Map<String, serde_json::Value>,
}

impl QueryModelArgs {
    /// Refuses unknown arguments, naming them, as every other tool does.
    fn check_known(&self) -> Result<(), ToolError> {
        match self.unknown.keys().next() {
            None => Ok(()),
            Some(field) => {
                let message = format!(
                    "unknown field `{field}`; see the tool's inputSchema for the expected fields"
                );
                Err(ToolError::invalid_params(
                    "query_model",
                    crate::budget::clip_quoted(&message, crate::MAX_QUOTED_BYTES),
                ))
            }
        }
    }
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

impl Shared {
    async fn query_model(&self, args: QueryModelArgs, ctx: &ToolContext) -> Outcome {
        let source = self.source(ctx).await?;
        args.check_known()?;
        let model_name = args.query.model.clone();
        self.served(&model_name)?;
        let limits = self.limits();
        let rows = limits.effective_rows(args.query.limit);
        let structured = !(args.query.metrics.is_empty()
            && args.query.dimensions.is_empty()
            && args.query.time_dimensions.is_empty());
        let question = args.question.filter(|q| !q.trim().is_empty());
        if let Some(question) = question {
            if structured {
                return Err(Failure::Message(
                    "give either `question` or structured fields (metrics/dimensions/time_dimensions), not both".into(),
                ));
            }
            let mut options = AskOptions::new()
                .with_model(model_name.clone())
                .with_max_rows(rows as u64);
            if let Some(ms) = self.options.wait_timeout_ms {
                options = options.with_timeout_ms(ms);
            }
            let answer = cancellable(ctx, source.ask(&question, &options)).await?;
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
                    model_name,
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
                model_name
            )));
        }
        // The server's row cap replaces the caller's limit; offset 0 is no offset.
        let mut query = args.query.with_limit(rows as u64);
        query.offset = query.offset.filter(|&o| o > 0);
        let offset = query.offset.unwrap_or(0);
        let result =
            cancellable(ctx, source.query_model(&query, &self.query_options(rows))).await?;
        let statement_id = result.query_id.clone();
        let sql = result.sql.clone();
        let table = self.table(result, rows, offset, More::Offset);
        let text = table.to_text(limits.max_text_bytes);
        Ok(ToolOutput::structured(
            text,
            &QueryModelResult {
                model_name,
                table,
                sql,
                statement_id,
                answer: None,
                suggestions: Vec::new(),
            },
        )?)
    }
}

/// The `query_model` tool.
pub(super) fn query_model(s: &Arc<Shared>) -> DynTool {
    let max_rows = s.options.limits.max_rows;
    FnTool::with_state(
        s,
                ToolSpec::new::<QueryModelArgs, QueryModelResult>(
                    "query_model",
                    format!(
                        "Query a semantic model. Either ask a natural-language `question`, or give structured fields (`metrics`, `dimensions`, `time_dimensions`, `filters`, `order`, `limit`) using names from describe_model. At most {max_rows} rows are returned; `truncated: true` says more exist and `more` says how to get them."
                    ),
                )
                .with_title("Query a semantic model")
                .with_annotations(ToolAnnotations::read_only()),
        |s, a: QueryModelArgs, ctx| async move { s.finish(s.query_model(a, &ctx).await, &ctx) },
    )
}
