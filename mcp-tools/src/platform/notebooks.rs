//! Tenant notebooks, runs and jobs: `create_notebook`, `execute_notebook`,
//! `get_notebook_run_status`, `create_job`.

use std::collections::BTreeMap;
use std::sync::Arc;

use databricks_client::models::jobs::{CronSchedule, JobSettings, Run, Task};
use databricks_client::models::workspace::Language;
use databricks_client::platform::{NotebookRun, PlatformError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Shared, lib_call, platform_error, starts};
use crate::render::{RunStateInfo, run_state_line, run_text};
use crate::{
    DynTool, FnTool, Step, ToolAnnotations, ToolContext, ToolError, ToolOutput, ToolSpec, Waited,
    wait_with_progress,
};

/// Notebook language.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum LanguageArg {
    /// Python.
    Python,
    /// SQL.
    Sql,
    /// Scala.
    Scala,
    /// R.
    R,
}

/// Arguments of `create_notebook`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CreateNotebookArgs {
    /// Tenant id: lowercase letters, digits and `_`.
    tenant_id: String,
    /// Notebook name below the tenant folder, e.g. `etl/daily`.
    notebook: String,
    /// Notebook source.
    content: String,
    /// Language (default python).
    #[serde(default)]
    language: Option<LanguageArg>,
    /// Replace an existing notebook (default false).
    #[serde(default)]
    overwrite: bool,
}

/// Result of `create_notebook`.
#[derive(Debug, Serialize, JsonSchema)]
struct CreateNotebookResult {
    /// Workspace path of the notebook.
    path: String,
    /// Language.
    language: String,
}

/// Arguments of `execute_notebook`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ExecuteNotebookArgs {
    /// Tenant id: lowercase letters, digits and `_`.
    tenant_id: String,
    /// Notebook name below the tenant folder, e.g. `etl/daily`.
    notebook: String,
    /// Notebook parameters (widget values).
    #[serde(default)]
    parameters: BTreeMap<String, String>,
    /// Run name (default `<tenant_id>:<notebook>`).
    #[serde(default)]
    run_name: Option<String>,
    /// Idempotency token: a retried call with the same token starts no second run.
    #[serde(default)]
    idempotency_token: Option<String>,
    /// Seconds to wait for the run to finish, with progress notifications (default 0: return
    /// the run id at once).
    #[serde(default)]
    wait_seconds: Option<u64>,
}

/// Arguments of `get_notebook_run_status`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RunIdArgs {
    /// Run id from `execute_notebook`.
    run_id: i64,
}

/// State of a run (its text is [`run_text`], as in every tool that reports a run).
#[derive(Debug, Serialize, JsonSchema)]
struct RunStatusOut {
    /// Run id.
    run_id: i64,
    /// Life-cycle, result state and message, as `get_run` shows them.
    #[serde(flatten)]
    state: RunStateInfo,
    /// Run page URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    run_page_url: Option<String>,
    /// Whether the run finished.
    done: bool,
    /// What to do next.
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

impl RunStatusOut {
    fn new(run: &Run, next: Option<String>) -> Self {
        Self {
            run_id: run.run_id,
            state: RunStateInfo::from_state(run.state.as_ref()),
            run_page_url: run.run_page_url.clone(),
            done: run.is_terminal(),
            next,
        }
    }
}

/// A cron schedule.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ScheduleArg {
    /// Quartz cron expression, e.g. `0 0 6 * * ?` (06:00 daily).
    quartz_cron_expression: String,
    /// Java time zone id (default `UTC`).
    #[serde(default)]
    timezone_id: Option<String>,
}

/// Arguments of `create_job`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CreateJobArgs {
    /// Job name.
    name: String,
    /// Tasks as in the Jobs API job settings (`[{"task_key": "...", "notebook_task":
    /// {"notebook_path": "..."}, "depends_on": [...]}]`).
    tasks: Vec<Value>,
    /// Cron schedule (default: none, run on demand).
    #[serde(default)]
    schedule: Option<ScheduleArg>,
    /// Tenant the job belongs to; added as the `tenant_id` tag.
    #[serde(default)]
    tenant_id: Option<String>,
}

/// Result of `create_job`.
#[derive(Debug, Serialize, JsonSchema)]
struct CreateJobResult {
    /// The new job's id.
    job_id: i64,
    /// The job's page in the workspace UI.
    job_url: String,
}

pub(super) fn create_notebook(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<CreateNotebookArgs, CreateNotebookResult>(
            "create_notebook",
            format!("Imports a notebook into the tenant's workspace folder (`{}/<tenant_id>/<notebook>`). Refuses to replace an existing notebook unless `overwrite` is true.", s.opts.policy.notebook_root()),
        )
        .with_title("Create tenant notebook")
        .with_annotations(starts()),
        |s, a: CreateNotebookArgs, _ctx| async move {
            const TOOL: &str = "create_notebook";
            let language = match a.language.unwrap_or(LanguageArg::Python) {
                LanguageArg::Python => Language::Python,
                LanguageArg::Sql => Language::Sql,
                LanguageArg::Scala => Language::Scala,
                LanguageArg::R => Language::R,
            };
            let lang_name = language.as_str().to_owned();
            let created = s
                .platform
                .create_notebook(
                    &a.tenant_id,
                    &a.notebook,
                    language,
                    a.content.into_bytes(),
                    a.overwrite,
                )
                .await;
            let path = match created {
                Ok(p) => p,
                Err(e) => {
                    let mut out = platform_error(TOOL, &e)?;
                    if e.is_already_exists() {
                        out.text
                            .push_str("\nPass `overwrite: true` to replace the existing notebook.");
                    }
                    return Ok(out);
                }
            };
            ToolOutput::structured(
                format!("Created notebook {path} ({lang_name})."),
                &CreateNotebookResult {
                    path,
                    language: lang_name,
                },
            )
        },
    )
}

pub(super) fn execute_notebook(s: &Arc<Shared>) -> DynTool {
    let max_wait = s.opts.wait.max_wait.as_secs();
    FnTool::with_state(
        s,
        ToolSpec::new::<ExecuteNotebookArgs, RunStatusOut>(
            "execute_notebook",
            format!("Runs a tenant notebook once (jobs runs/submit) with parameters. Returns the run id at once, or waits up to `wait_seconds` (at most {max_wait} s) with progress; poll with get_notebook_run_status."),
        )
        .with_title("Execute tenant notebook")
        .with_annotations(starts()),
        |s, a: ExecuteNotebookArgs, ctx| async move {
            const TOOL: &str = "execute_notebook";
            let mut run = NotebookRun::new(&a.tenant_id, &a.notebook).with_parameters(a.parameters);
            if let Some(n) = a.run_name {
                run = run.with_run_name(n);
            }
            if let Some(t) = &a.idempotency_token {
                run = run.with_idempotency_token(t);
            }
            let run_id = match s.platform.submit_notebook(run).await {
                Ok(id) => id,
                Err(e) => {
                    let mut out = platform_error(TOOL, &e)?;
                    // With a token the client already retried; calling again with it is safe.
                    if let Some(t) = &a.idempotency_token {
                        out.text.push_str(&format!(
                            "\nCalling {TOOL} again with idempotency_token=\"{t}\" is safe: it \
                             returns the run if one was started and never starts a second one."
                        ));
                    }
                    return Ok(out);
                }
            };
            let (waited, clamped) = match poll_run(&s, &ctx, run_id, a.wait_seconds).await {
                Ok(w) => w,
                Err(e) => {
                    let mut out = platform_error(TOOL, &e)?;
                    out.text.push_str(&format!(
                        "\nRun {run_id} was started; follow it with get_notebook_run_status."
                    ));
                    return Ok(out);
                }
            };
            Ok(run_output(&s, waited, clamped))
        },
    )
}

/// Polls a run until [`Run::is_terminal`] or the wait ends, with progress.
async fn poll_run(
    s: &Shared,
    ctx: &ToolContext,
    run_id: i64,
    wait_seconds: Option<u64>,
) -> Result<(Waited<Run>, bool), PlatformError> {
    let (wait, clamped) = s.opts.wait.limit(wait_seconds);
    let waited = wait_with_progress(ctx, &s.opts.wait, wait, || async move {
        let run = s.platform.run(run_id).await?;
        let done = run.is_terminal();
        let msg = run_state_line(&run);
        Ok::<_, PlatformError>(Step::new(run, done, msg))
    })
    .await?;
    Ok((waited, clamped))
}

fn run_output(s: &Shared, waited: Waited<Run>, clamped: bool) -> ToolOutput {
    let next = match &waited {
        Waited::Done(_) => None,
        Waited::StillRunning(_) => Some(format!(
            "the run is still going; call get_notebook_run_status with this run_id, or call again with wait_seconds (at most {} s){}",
            s.opts.wait.max_wait.as_secs(),
            if clamped {
                "; the requested wait was above the maximum"
            } else {
                ""
            }
        )),
        Waited::Cancelled(_) => Some(
            "the wait was cancelled; the run continues — call get_notebook_run_status".to_owned(),
        ),
    };
    let run = waited.state();
    let status = RunStatusOut::new(run, next);
    let mut text = run_text(run);
    if let Some(n) = &status.next {
        text.push_str(&format!("\nNext: {n}"));
    }
    ToolOutput::structured(text, &status).unwrap_or_else(|e| ToolOutput::error(e.to_string()))
}

pub(super) fn get_notebook_run_status(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<RunIdArgs, RunStatusOut>(
            "get_notebook_run_status",
            "The state of a notebook run started by execute_notebook.",
        )
        .with_title("Notebook run status")
        .with_annotations(ToolAnnotations::read_only()),
        |s, a: RunIdArgs, _ctx| async move {
            const TOOL: &str = "get_notebook_run_status";
            let run = lib_call!(TOOL, s.platform.run(a.run_id).await);
            let waited = if run.is_terminal() {
                Waited::Done(run)
            } else {
                Waited::StillRunning(run)
            };
            Ok(run_output(&s, waited, false))
        },
    )
}

pub(super) fn create_job(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<CreateJobArgs, CreateJobResult>(
            "create_job",
            "Creates a job from Jobs API task settings with an optional cron schedule; returns the job id and its URL.",
        )
        .with_title("Create job")
        .with_annotations(starts()),
        |s, a: CreateJobArgs, _ctx| async move {
            const TOOL: &str = "create_job";
            if a.tasks.is_empty() {
                return Err(ToolError::invalid_params(
                    TOOL,
                    "`tasks` is empty; pass at least one task",
                ));
            }
            let tasks: Vec<Task> = serde_json::from_value(Value::Array(a.tasks)).map_err(|e| {
                ToolError::invalid_params(
                    TOOL,
                    format!("`tasks` are not Jobs API tasks ({e}); each needs `task_key` and one task type such as `notebook_task`"),
                )
            })?;
            let mut settings = JobSettings::new(a.name);
            settings.tasks = tasks;
            if let Some(sc) = a.schedule {
                settings.schedule = Some(CronSchedule::new(
                    sc.quartz_cron_expression,
                    sc.timezone_id.unwrap_or_else(|| "UTC".to_owned()),
                ));
            }
            let job_id = lib_call!(
                TOOL,
                s.platform.create_job(settings, a.tenant_id.as_deref()).await
            );
            let job_url = s.platform.job_url(job_id);
            ToolOutput::structured(
                format!("Created job {job_id}: {job_url}"),
                &CreateJobResult { job_id, job_url },
            )
        },
    )
}
