//! Jobs tools: `list_jobs`, `get_job`, `run_job`, `get_run`, `cancel_run`.

use std::collections::BTreeMap;
use std::sync::Arc;

use databricks_client::models::jobs::{ListJobsRequest, Run, RunNowRequest, Task};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    Paged, Shared, Window, call, failed_output, list_text, new_idempotency_token, or_dash, output,
    page_stream,
};
use crate::{
    DynTool, FnTool, Step, ToolAnnotations, ToolSpec, Waited, cap_text, wait_with_progress,
};

/// Arguments of `list_jobs`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListJobsArgs {
    /// Only jobs with exactly this name (case-insensitive on the server).
    #[serde(default)]
    name: Option<String>,
    /// Most jobs to return (capped by the server's row limit).
    #[serde(default)]
    limit: Option<u64>,
    /// Jobs to skip: pass `next_offset` of the previous call to get the next page.
    #[serde(default)]
    offset: Option<u64>,
}

/// One job in a listing.
#[derive(Debug, Serialize, JsonSchema)]
struct JobSummary {
    /// Job id (pass it to get_job / run_job).
    job_id: i64,
    /// Job name.
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    /// Who created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    creator_user_name: Option<String>,
    /// Creation time (epoch milliseconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    created_time: Option<i64>,
}

/// Result of `list_jobs`.
#[derive(Debug, Serialize, JsonSchema)]
struct ListJobsResult {
    /// The jobs of this page.
    jobs: Vec<JobSummary>,
    /// `true` when more jobs exist.
    truncated: bool,
    /// The `offset` of the next page, when `truncated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_offset: Option<u64>,
}

pub(super) fn list_jobs(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<ListJobsArgs, ListJobsResult>(
            "list_jobs",
            "List the jobs of the workspace (id, name, creator), optionally filtered by exact \
                name. Paginated: pass `limit` and `offset`; `next_offset` gives the next page.",
        )
        .with_title("List jobs")
        .with_annotations(ToolAnnotations::read_only()),
        move |s, args: ListJobsArgs, _ctx| async move {
            let window = Window::new(&s.limits(), args.offset, args.limit);
            let page_size = u32::try_from(window.reach().min(100)).unwrap_or(100);
            let mut request = ListJobsRequest::new().with_limit(page_size);
            if let Some(name) = args.name {
                request = request.with_name(name);
            }
            let page: Paged<_> = call!(
                "list_jobs",
                page_stream(s.client.jobs().list(request), window).await
            );
            let page = Paged {
                items: page
                    .items
                    .into_iter()
                    .map(|j| JobSummary {
                        name: j.name().map(ToOwned::to_owned),
                        job_id: j.job_id,
                        creator_user_name: j.creator_user_name,
                        created_time: j.created_time,
                    })
                    .collect(),
                next_offset: page.next_offset,
            };
            let text = list_text("jobs", "list_jobs", &page, s.max_text(), |j| {
                format!("{} | {}", j.job_id, or_dash(j.name.as_deref()))
            });
            output(
                text,
                &ListJobsResult {
                    truncated: page.next_offset.is_some(),
                    next_offset: page.next_offset,
                    jobs: page.items,
                },
            )
        },
    )
}

/// Arguments of `get_job`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct GetJobArgs {
    /// The job id (from list_jobs).
    job_id: i64,
}

/// One task of a job.
#[derive(Debug, Serialize, JsonSchema)]
struct TaskSummary {
    /// Task key.
    task_key: String,
    /// Task kind: notebook, python, wheel, jar, spark_submit, sql, pipeline, run_job, condition,
    /// for_each or other.
    kind: String,
    /// The notebook path, Python file, SQL file or pipeline id the task runs, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<String>,
    /// Task keys this task depends on.
    depends_on: Vec<String>,
}

/// A job parameter definition.
#[derive(Debug, Serialize, JsonSchema)]
struct JobParameter {
    /// Parameter name (a key of `job_parameters` in run_job).
    name: String,
    /// Default value.
    default: String,
}

/// Result of `get_job`.
#[derive(Debug, Serialize, JsonSchema)]
struct GetJobResult {
    /// Job id.
    job_id: i64,
    /// Job name.
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    /// Who created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    creator_user_name: Option<String>,
    /// The identity runs execute as.
    #[serde(skip_serializing_if = "Option::is_none")]
    run_as_user_name: Option<String>,
    /// Job-level parameters with defaults.
    parameters: Vec<JobParameter>,
    /// Tasks.
    tasks: Vec<TaskSummary>,
    /// Cron schedule (Quartz syntax and time zone), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    schedule: Option<String>,
    /// The complete job settings as the API returns them.
    settings: Value,
}

fn task_summary(t: &Task) -> TaskSummary {
    let (kind, target) = if let Some(n) = &t.notebook_task {
        ("notebook", Some(n.notebook_path.clone()))
    } else if let Some(p) = &t.spark_python_task {
        ("python", Some(p.python_file.clone()))
    } else if let Some(w) = &t.python_wheel_task {
        (
            "wheel",
            Some(format!("{}:{}", w.package_name, w.entry_point)),
        )
    } else if let Some(j) = &t.spark_jar_task {
        ("jar", j.main_class_name.clone())
    } else if t.spark_submit_task.is_some() {
        ("spark_submit", None)
    } else if let Some(q) = &t.sql_task {
        (
            "sql",
            q.file
                .as_ref()
                .map(|f| f.path.clone())
                .or_else(|| q.query.as_ref().map(|q| format!("query {}", q.query_id))),
        )
    } else if let Some(p) = &t.pipeline_task {
        ("pipeline", Some(p.pipeline_id.clone()))
    } else if let Some(r) = &t.run_job_task {
        ("run_job", Some(format!("job {}", r.job_id)))
    } else if t.condition_task.is_some() {
        ("condition", None)
    } else if t.for_each_task.is_some() {
        ("for_each", None)
    } else {
        ("other", None)
    };
    TaskSummary {
        task_key: t.task_key.clone(),
        kind: kind.to_owned(),
        target,
        depends_on: t.depends_on.iter().map(|d| d.task_key.clone()).collect(),
    }
}

pub(super) fn get_job(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<GetJobArgs, GetJobResult>(
            "get_job",
            "Get one job: name, parameters (the keys run_job accepts), tasks with what they run \
                and their dependencies, schedule, and the full settings.",
        )
        .with_title("Get a job")
        .with_annotations(ToolAnnotations::read_only()),
        move |s, args: GetJobArgs, _ctx| async move {
            let job = call!("get_job", s.client.jobs().get(args.job_id).await);
            let settings = job.settings.clone().unwrap_or_default();
            let settings_json = serde_json::to_value(&settings).unwrap_or(Value::Null);
            let tasks: Vec<TaskSummary> = settings.tasks.iter().map(task_summary).collect();
            let parameters: Vec<JobParameter> = settings
                .parameters
                .iter()
                .map(|p| JobParameter {
                    name: p.name.clone(),
                    default: p.default.clone(),
                })
                .collect();
            let schedule = settings
                .schedule
                .as_ref()
                .map(|c| format!("{} ({})", c.quartz_cron_expression, c.timezone_id));
            let name = job.name().map(ToOwned::to_owned);
            let mut text = format!("job {} | {}", job.job_id, or_dash(name.as_deref()));
            if !parameters.is_empty() {
                let p: Vec<String> = parameters
                    .iter()
                    .map(|p| format!("{}={}", p.name, p.default))
                    .collect();
                text.push_str(&format!("\nparameters: {}", p.join(", ")));
            }
            if let Some(sc) = &schedule {
                text.push_str(&format!("\nschedule: {sc}"));
            }
            text.push_str(&format!("\ntasks ({}):", tasks.len()));
            for t in &tasks {
                text.push_str(&format!(
                    "\n- {} [{}] {}{}",
                    t.task_key,
                    t.kind,
                    or_dash(t.target.as_deref()),
                    if t.depends_on.is_empty() {
                        String::new()
                    } else {
                        format!(" (after {})", t.depends_on.join(", "))
                    }
                ));
            }
            output(
                cap_text(&text, s.max_text(), "structuredContent"),
                &GetJobResult {
                    job_id: job.job_id,
                    name,
                    creator_user_name: job.creator_user_name,
                    run_as_user_name: job.run_as_user_name,
                    parameters,
                    tasks,
                    schedule,
                    settings: settings_json,
                },
            )
        },
    )
}

// The state of a run or task is `render::RunStateInfo` and a run's text `render::run_text`,
// shared with the platform run status.
use crate::render::{RunStateInfo, run_state_line, run_text};

/// One task run.
#[derive(Debug, Serialize, JsonSchema)]
struct TaskRunSummary {
    /// Task key.
    task_key: String,
    /// The task run id.
    run_id: i64,
    /// Its state.
    state: RunStateInfo,
}

/// Result of `get_run` (and the run part of `run_job`).
#[derive(Debug, Serialize, JsonSchema)]
struct RunInfo {
    /// Run id.
    run_id: i64,
    /// The job it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    job_id: Option<i64>,
    /// Run name.
    #[serde(skip_serializing_if = "Option::is_none")]
    run_name: Option<String>,
    /// State.
    state: RunStateInfo,
    /// `true` once the run finished (terminal life-cycle state).
    done: bool,
    /// Once done: whether it succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    succeeded: Option<bool>,
    /// Link to the run in the workspace UI.
    #[serde(skip_serializing_if = "Option::is_none")]
    run_page_url: Option<String>,
    /// Start time (epoch milliseconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    start_time: Option<i64>,
    /// End time (epoch milliseconds), once done.
    #[serde(skip_serializing_if = "Option::is_none")]
    end_time: Option<i64>,
    /// Task runs.
    tasks: Vec<TaskRunSummary>,
}

impl RunInfo {
    fn from_run(run: Run) -> Self {
        let done = run.is_terminal();
        Self {
            succeeded: done.then(|| run.is_success()),
            state: RunStateInfo::from_state(run.state.as_ref()),
            done,
            run_id: run.run_id,
            job_id: run.job_id,
            run_name: run.run_name,
            run_page_url: run.run_page_url,
            start_time: run.start_time,
            end_time: run.end_time.filter(|t| *t > 0),
            tasks: run
                .tasks
                .into_iter()
                .map(|t| TaskRunSummary {
                    state: RunStateInfo::from_state(t.state.as_ref()),
                    task_key: t.task_key,
                    run_id: t.run_id,
                })
                .collect(),
        }
    }
}

/// Arguments of `run_job`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RunJobArgs {
    /// The job to run (from list_jobs).
    job_id: i64,
    /// Job parameter values by name (see get_job for the names and defaults).
    #[serde(default)]
    job_parameters: BTreeMap<String, String>,
    /// Makes the call safe to retry: a repeated call with the same token returns the run it
    /// already started instead of starting another. Omit it on the first call: one is generated
    /// and returned; pass that one back when retrying.
    #[serde(default)]
    idempotency_token: Option<String>,
    /// Seconds to wait for the run to finish, with progress notifications (0 or absent: return
    /// at once; capped by the server's wait limit). Without waiting, poll with get_run.
    #[serde(default)]
    wait_seconds: Option<u64>,
}

/// Result of `run_job`.
#[derive(Debug, Serialize, JsonSchema)]
struct RunJobResult {
    /// The run started (or, for a repeated token, the run started earlier).
    run_id: i64,
    /// The idempotency token used; pass it again to retry this call without starting a second
    /// run.
    idempotency_token: String,
    /// The run's number within the job.
    #[serde(skip_serializing_if = "Option::is_none")]
    number_in_job: Option<i64>,
    /// The last observed state of the run, when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    run: Option<RunInfo>,
    /// What to do next.
    next: String,
}

/// `run_job` is not read-only and is marked destructive: a job may overwrite tables and files,
/// and each call without a repeated token starts another run (not idempotent).
pub(super) fn run_job(s: &Arc<Shared>) -> DynTool {
    let max_wait = s.options.wait.max_wait.as_secs();
    FnTool::with_state(
        s,
        ToolSpec::new::<RunJobArgs, RunJobResult>(
            "run_job",
            format!(
                "Start a run of a job with optional job_parameters. Safe to retry: the returned \
                    idempotency_token, passed again, returns the same run instead of starting a \
                    second one. Returns the run_id, state and run_page_url at once; with \
                    wait_seconds (at most {max_wait}) it waits for the run to finish with progress \
                    notifications. Poll with get_run."
            ),
        )
        .with_title("Run a job")
        .with_annotations(ToolAnnotations::destructive()),
        move |s, args: RunJobArgs, ctx| async move {
            let token = args
                .idempotency_token
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(new_idempotency_token);
            if token.len() > 64 {
                return Ok(crate::ToolOutput::error(
                    "idempotency_token is longer than 64 characters; pass a shorter token or omit \
                        it to get a generated one",
                ));
            }
            let mut request = RunNowRequest::new(args.job_id).with_idempotency_token(&token);
            request.job_parameters = args.job_parameters;
            // The client retries run-now on resets, timeouts and 5xx because the token makes
            // it idempotent; if it still fails, the caller gets the token to retry safely.
            let started = match s.client.jobs().run_now(&request).await {
                Ok(started) => started,
                Err(err) => return Ok(run_now_failed(args.job_id, &token, &err)),
            };
            let run_id = started.run_id;
            let (wait, clamped) = s.options.wait.limit(args.wait_seconds);
            let jobs = s.client.jobs();
            let waited = wait_with_progress(&ctx, &s.options.wait, wait, || {
                let jobs = jobs.clone();
                async move {
                    let run = jobs.get_run(run_id).await?;
                    let done = run.is_terminal();
                    let msg = run_state_line(&run);
                    Ok::<_, databricks_client::Error>(Step::new(run, done, msg))
                }
            })
            .await;
            let (run, next, failed) = match waited {
                Ok(Waited::Done(run)) => {
                    let failed = !run.is_success();
                    let next = if failed {
                        format!(
                            "the run failed; call get_run with run_id={run_id} for task states, or \
                                open the run_page_url"
                        )
                    } else {
                        "the run finished".to_owned()
                    };
                    (Some(run), next, failed)
                }
                Ok(w) => {
                    let cancelled = matches!(w, Waited::Cancelled(_));
                    let mut next = format!(
                        "the run is still going; call get_run with run_id={run_id} to follow it"
                    );
                    if cancelled {
                        next.push_str(" (the wait was cancelled; the run was left running)");
                    } else if clamped {
                        next.push_str(&format!(" (wait capped at {max_wait} s)"));
                    }
                    (Some(w.into_state()), next, false)
                }
                Err(e) => (
                    None,
                    format!(
                        "the run started but its state could not be read ({e}); call get_run with \
                            run_id={run_id}"
                    ),
                    false,
                ),
            };
            let mut text = format!(
                "started run {run_id} of job {} (idempotency_token \
                {token})",
                args.job_id
            );
            if let Some(r) = &run {
                text.push('\n');
                text.push_str(&run_text(r));
            }
            text.push_str(&format!("\nNext: {next}"));
            let text = cap_text(&text, s.max_text(), "structuredContent");
            let result = RunJobResult {
                run_id,
                idempotency_token: token,
                number_in_job: started.number_in_job,
                run: run.map(RunInfo::from_run),
                next,
            };
            if failed {
                failed_output(text, &result)
            } else {
                output(text, &result)
            }
        },
    )
}

/// Arguments of `get_run`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct GetRunArgs {
    /// The run id (from run_job).
    run_id: i64,
}

pub(super) fn get_run(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<GetRunArgs, RunInfo>(
            "get_run",
            "Get the state of a job run: life_cycle_state, result_state and state_message, each \
                task's state, and the run_page_url. `done` tells whether it finished.",
        )
        .with_title("Get a job run")
        .with_annotations(ToolAnnotations::read_only()),
        move |s, args: GetRunArgs, _ctx| async move {
            let run = call!("get_run", s.client.jobs().get_run(args.run_id).await);
            let text = run_text(&run);
            output(
                cap_text(&text, s.max_text(), "structuredContent"),
                &RunInfo::from_run(run),
            )
        },
    )
}

/// Arguments of `cancel_run`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CancelRunArgs {
    /// The run to cancel.
    run_id: i64,
}

/// Result of `cancel_run`.
#[derive(Debug, Serialize, JsonSchema)]
struct CancelRunResult {
    /// The run.
    run_id: i64,
    /// `true`: the cancellation was accepted (it completes asynchronously).
    cancel_requested: bool,
    /// What to do next.
    next: String,
}

/// `cancel_run` changes state (stops a run) but destroys nothing and repeating it has no
/// further effect: not read-only, not destructive, idempotent.
pub(super) fn cancel_run(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<CancelRunArgs, CancelRunResult>(
            "cancel_run",
            "Cancel a job run (and its tasks). Cancellation is asynchronous: call get_run to see \
                it reach TERMINATED/CANCELED.",
        )
        .with_title("Cancel a job run")
        .with_annotations(
            ToolAnnotations::destructive()
                .with_destructive(false)
                .with_idempotent(true),
        ),
        move |s, args: CancelRunArgs, _ctx| async move {
            call!("cancel_run", s.client.jobs().cancel_run(args.run_id).await);
            let next = format!("call get_run with run_id={} to see it finish", args.run_id);
            output(
                format!("cancellation of run {} requested; {next}", args.run_id),
                &CancelRunResult {
                    run_id: args.run_id,
                    cancel_requested: true,
                    next,
                },
            )
        },
    )
}

/// The `isError` result of a `run-now` that failed even after the client's retries: the error,
/// whether the run may have started, and the idempotency token with which calling `run_job`
/// again is safe (the server returns the run already started instead of starting another).
fn run_now_failed(job_id: i64, token: &str, err: &databricks_client::Error) -> crate::ToolOutput {
    let mut out = crate::client_error_output("run_job", err);
    let maybe_started = matches!(err, databricks_client::Error::Transport { .. })
        || err.api_error().is_some_and(|e| e.status >= 500);
    if maybe_started {
        out.text
            .push_str("\nThe request may have reached the workspace, so a run may have started.");
    }
    out.text.push_str(&format!(
        "\nidempotency_token: {token}\nCalling run_job again with job_id={job_id} and \
         idempotency_token=\"{token}\" is safe: it returns the run if one was started and \
         never starts a second one. Do not call it without the token."
    ));
    out
}
