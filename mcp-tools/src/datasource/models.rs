//! Model discovery: `list_models`, `describe_model`, `get_model_metrics`,
//! `get_model_dimensions`.

use std::sync::Arc;

use datasource_model::{Metric, ModelDescription, ModelScope, ModelSummary};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Outcome, Shared};
use crate::{DynTool, FnTool, ToolAnnotations, ToolContext, ToolOutput, ToolSpec, cap_text};

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

impl Shared {
    async fn list_models(&self, args: ListModelsArgs, ctx: &ToolContext) -> Outcome {
        let source = self.source(ctx).await?;
        let mut scope = ModelScope::new();
        if let Some(search) = args.search {
            scope = scope.with_search(search);
        }
        let searched = scope.search.is_some();
        let listed = source.list_models(&scope).await?;
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

    async fn describe_model(&self, args: ModelArgs, ctx: &ToolContext) -> Outcome {
        let source = self.source(ctx).await?;
        self.served(&args.model_name)?;
        let d = source.describe_model(&args.model_name).await?;
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

    async fn metrics(&self, args: ModelArgs, ctx: &ToolContext) -> Outcome {
        let source = self.source(ctx).await?;
        self.served(&args.model_name)?;
        let d = source.describe_model(&args.model_name).await?;
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

    async fn dimensions(&self, args: ModelArgs, ctx: &ToolContext) -> Outcome {
        let source = self.source(ctx).await?;
        self.served(&args.model_name)?;
        let d = source.describe_model(&args.model_name).await?;
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
}

/// The `list_models` tool.
pub(super) fn list_models(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<ListModelsArgs, ListModelsResult>(
            "list_models",
            "List the semantic models available on this data source (name and description). Start here, then call describe_model.",
        )
        .with_title("List semantic models")
        .with_annotations(ToolAnnotations::read_only()),
        |s, a: ListModelsArgs, ctx| async move { s.finish(s.list_models(a, &ctx).await, &ctx) },
    )
}

/// The `describe_model` tool.
pub(super) fn describe_model(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<ModelArgs, ModelDescription>(
            "describe_model",
            "Describe one semantic model: its tables, dimensions, metrics and relationships.",
        )
        .with_title("Describe a semantic model")
        .with_annotations(ToolAnnotations::read_only()),
        |s, a: ModelArgs, ctx| async move { s.finish(s.describe_model(a, &ctx).await, &ctx) },
    )
}

/// The `get_model_metrics` tool.
pub(super) fn get_model_metrics(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<ModelArgs, MetricsResult>(
            "get_model_metrics",
            "List the metrics (measures) of a semantic model, with types and descriptions.",
        )
        .with_title("Metrics of a model")
        .with_annotations(ToolAnnotations::read_only()),
        |s, a: ModelArgs, ctx| async move { s.finish(s.metrics(a, &ctx).await, &ctx) },
    )
}

/// The `get_model_dimensions` tool.
pub(super) fn get_model_dimensions(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<ModelArgs, DimensionsResult>(
            "get_model_dimensions",
            "List the dimensions of a semantic model (what results can be grouped and filtered by); time dimensions are marked is_time.",
        )
        .with_title("Dimensions of a model")
        .with_annotations(ToolAnnotations::read_only()),
        |s, a: ModelArgs, ctx| async move { s.finish(s.dimensions(a, &ctx).await, &ctx) },
    )
}
