//! Model serving: `deploy_model`, `get_model_status`, `invoke_model`.

use std::sync::Arc;

use databricks_client::models::ServingEndpoint;
use databricks_client::platform::{DeployModel, PlatformError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Shared, creates, lib_call};
use crate::{
    DynTool, FnTool, Step, ToolAnnotations, ToolError, ToolOutput, ToolSpec, Waited,
    wait_with_progress,
};

/// Arguments of `deploy_model`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct DeployModelArgs {
    /// Serving endpoint name to create.
    endpoint_name: String,
    /// Registered model name (Unity Catalog: `catalog.schema.model`).
    model_name: String,
    /// Model version.
    model_version: String,
    /// Workload size: `Small`, `Medium` or `Large` (default `Small`).
    #[serde(default)]
    workload_size: Option<String>,
    /// Scale to zero when idle (default true).
    #[serde(default)]
    scale_to_zero: Option<bool>,
    /// Seconds to wait until the endpoint is ready, with progress notifications (default 0:
    /// return at once).
    #[serde(default)]
    wait_seconds: Option<u64>,
}

/// Arguments of `get_model_status`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ModelStatusArgs {
    /// Serving endpoint name (from deploy_model).
    endpoint_name: String,
}

/// State of a serving endpoint.
#[derive(Debug, Serialize, JsonSchema)]
struct EndpointStatus {
    /// Endpoint name.
    endpoint_name: String,
    /// Whether this call created the endpoint (false: it existed and was only observed).
    created: bool,
    /// Served models as `name@version`, from the endpoint's current config.
    served_entities: Vec<String>,
    /// Whether it serves traffic with no update in progress.
    ready: bool,
    /// `state.ready` (`READY`, `NOT_READY`).
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<String>,
    /// `state.config_update` (`IN_PROGRESS`, `NOT_UPDATING`, `UPDATE_FAILED`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    config_update: Option<String>,
    /// What to do next.
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

impl EndpointStatus {
    fn new(e: &ServingEndpoint, created: bool, next: Option<String>) -> Self {
        let st = e.state.as_ref();
        Self {
            endpoint_name: e.name.clone(),
            created,
            served_entities: e.served_entity_labels(),
            ready: e.is_ready(),
            state: st
                .and_then(|s| s.ready.as_ref())
                .map(|r| r.as_str().to_owned()),
            config_update: st
                .and_then(|s| s.config_update.as_ref())
                .map(|u| u.as_str().to_owned()),
            next,
        }
    }
}

/// What to do when an endpoint's configuration update failed.
const UPDATE_FAILED_NEXT: &str = "the endpoint's configuration update failed; check the served model's build logs in the workspace, fix the model, and deploy again";

/// The result of deploy_model / get_model_status: a one-line summary (with `origin`, e.g.
/// `created`, when given) and the status; a failed configuration update is an `isError` result.
fn endpoint_output(
    status: EndpointStatus,
    origin: Option<&str>,
    failed: bool,
) -> Result<ToolOutput, ToolError> {
    let origin = origin.map(|o| format!("{o}, ")).unwrap_or_default();
    let mut text = format!(
        "Serving endpoint {} ({origin}serving {}): ready={} config_update={}",
        status.endpoint_name,
        status.served_entities.join(", "),
        status.state.as_deref().unwrap_or("?"),
        status.config_update.as_deref().unwrap_or("?")
    );
    if let Some(n) = &status.next {
        text.push_str(&format!("\nNext: {n}"));
    }
    if failed {
        return Ok(ToolOutput::error(text));
    }
    ToolOutput::structured(text, &status)
}

pub(super) fn deploy_model(s: &Arc<Shared>) -> DynTool {
    let max_wait = s.opts.wait.max_wait.as_secs();
    FnTool::with_state(
        s,
        ToolSpec::new::<DeployModelArgs, EndpointStatus>(
            "deploy_model",
            format!("Creates a model serving endpoint for a registered model version (workload size, scale to zero). Returns at once, or waits until READY up to `wait_seconds` (at most {max_wait} s) with progress. An existing endpoint of that name is observed, not replaced, so calling again with `wait_seconds` keeps waiting."),
        )
        .with_title("Deploy model")
        .with_annotations(creates()),
        |s, a: DeployModelArgs, ctx| async move {
            const TOOL: &str = "deploy_model";
            let mut deploy = DeployModel::new(&a.endpoint_name, a.model_name, a.model_version);
            if let Some(w) = a.workload_size {
                deploy = deploy.with_workload_size(w);
            }
            if let Some(z) = a.scale_to_zero {
                deploy = deploy.with_scale_to_zero(z);
            }
            // An existing endpoint is observed (and waited for), not replaced: calling again
            // with `wait_seconds` is how a caller keeps waiting.
            let created = lib_call!(TOOL, s.platform.deploy_model(&deploy).await);
            let (wait, clamped) = s.opts.wait.limit(a.wait_seconds);
            let waited = if wait.is_zero() {
                if created.value.is_settled() {
                    Waited::Done(created.value)
                } else {
                    Waited::StillRunning(created.value)
                }
            } else {
                let name = a.endpoint_name.as_str();
                let platform = &s.platform;
                let polled = wait_with_progress(&ctx, &s.opts.wait, wait, || async move {
                    let e = platform.endpoint(name).await?;
                    let done = e.is_settled();
                    let msg = e.state_summary();
                    Ok::<_, PlatformError>(Step::new(e, done, msg))
                })
                .await;
                lib_call!(TOOL, polled)
            };
            let failed = waited.state().is_failed();
            let next = match &waited {
                Waited::Done(_) if failed => Some(UPDATE_FAILED_NEXT.to_owned()),
                Waited::Done(_) => None,
                _ => Some(format!(
                    "the endpoint is still deploying; poll get_model_status, or call deploy_model again with the same arguments and `wait_seconds` (at most {} s) to keep waiting — an existing endpoint is not replaced{}",
                    s.opts.wait.max_wait.as_secs(),
                    if clamped {
                        "; the requested wait was above the maximum"
                    } else {
                        ""
                    }
                )),
            };
            let origin = if created.created {
                "created"
            } else {
                "already existed"
            };
            endpoint_output(
                EndpointStatus::new(waited.state(), created.created, next),
                Some(origin),
                failed,
            )
        },
    )
}

pub(super) fn get_model_status(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<ModelStatusArgs, EndpointStatus>(
            "get_model_status",
            "The state of a model serving endpoint started by deploy_model: ready or not, the configuration update in progress or failed, and the served model versions.",
        )
        .with_title("Model deployment status")
        .with_annotations(ToolAnnotations::read_only()),
        |s, a: ModelStatusArgs, _ctx| async move {
            const TOOL: &str = "get_model_status";
            let e = lib_call!(TOOL, s.platform.endpoint(&a.endpoint_name).await);
            let failed = e.is_failed();
            let next = if failed {
                Some(UPDATE_FAILED_NEXT.to_owned())
            } else if e.is_ready() {
                None
            } else {
                Some(
                    "the endpoint is still deploying; call get_model_status again in a minute"
                        .to_owned(),
                )
            };
            endpoint_output(EndpointStatus::new(&e, false, next), None, failed)
        },
    )
}

/// `invoke_model`: the workspace's `query_serving_endpoint` under the platform's name (one
/// implementation, one output shape).
pub(super) fn invoke_model(s: &Arc<Shared>) -> DynTool {
    crate::shared_tools::serving_query_tool(
        "invoke_model",
        "Invoke model",
        s.client().clone(),
        s.opts.limits,
    )
}
