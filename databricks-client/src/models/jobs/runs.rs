//! [`Run`] and its state (legacy `state` and newer `status`), run outputs, and the
//! [`RunResult`] interpretation of a finished run.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    Extra, JobCluster, RunLifeCycleState, RunResultState, RunStatusState, RunType, TerminationCode,
    TerminationType,
};

/// Legacy run state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunState {
    /// Life-cycle state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub life_cycle_state: Option<RunLifeCycleState>,
    /// Result (once terminal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_state: Option<RunResultState>,
    /// Message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_message: Option<String>,
    /// Why queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_reason: Option<String>,
    /// Cancelled by a user or timed out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_cancelled_or_timedout: Option<bool>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Newer run status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunStatus {
    /// State.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<RunStatusState>,
    /// Why it terminated (when `TERMINATED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_details: Option<TerminationDetails>,
    /// Why it is queued (when `QUEUED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_details: Option<QueueDetails>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Termination details of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TerminationDetails {
    /// Code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<TerminationCode>,
    /// Category.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<TerminationType>,
    /// Human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Queue details of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueueDetails {
    /// Code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Cluster a run (or task run) ran on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClusterInstance {
    /// Cluster id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    /// Spark context id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_context_id: Option<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A job-level parameter value of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunParameter {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Default value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Value used by this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One task of a run (or one for-each iteration).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunTask {
    /// Task run id (pass it to `runs/get-output`).
    #[serde(default)]
    pub run_id: i64,
    /// Task key.
    #[serde(default)]
    pub task_key: String,
    /// Legacy state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<RunState>,
    /// Status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RunStatus>,
    /// Start time (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    /// End time (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
    /// Attempt number (0 for the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt_number: Option<i64>,
    /// Run page URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_page_url: Option<String>,
    /// Cluster it ran on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_instance: Option<ClusterInstance>,
    /// Unknown fields (the task's definition, durations, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A job run (`runs/get`, `runs/list`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Run {
    /// Run id.
    #[serde(default)]
    pub run_id: i64,
    /// Job id (absent for some submit runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<i64>,
    /// Run name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_name: Option<String>,
    /// Sequence number of the run within the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_in_job: Option<i64>,
    /// Original attempt's run id (for retries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_attempt_run_id: Option<i64>,
    /// Attempt number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt_number: Option<i64>,
    /// Run type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_type: Option<RunType>,
    /// What triggered the run (`ONE_TIME`, `PERIODIC`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    /// Legacy state (deprecated but still returned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<RunState>,
    /// Newer status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RunStatus>,
    /// Task runs (merged over pages by `runs_get`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<RunTask>,
    /// For-each iterations (when the run is a for-each task).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub iterations: Vec<RunTask>,
    /// Job clusters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub job_clusters: Vec<JobCluster>,
    /// Job parameters used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub job_parameters: Vec<RunParameter>,
    /// Cluster it ran on (single-task runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_instance: Option<ClusterInstance>,
    /// Start time (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    /// End time (epoch ms; 0 while running).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
    /// Setup duration (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_duration: Option<i64>,
    /// Execution duration (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_duration: Option<i64>,
    /// Cleanup duration (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanup_duration: Option<i64>,
    /// Total duration (ms, multi-task runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_duration: Option<i64>,
    /// Time spent queued (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_duration: Option<i64>,
    /// Run page URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_page_url: Option<String>,
    /// Who started it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_user_name: Option<String>,
    /// Repair history.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repair_history: Vec<Value>,
    /// Unknown fields (`overriding_parameters`, `has_more`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

impl Run {
    /// The newer status state, if present.
    pub fn status_state(&self) -> Option<&RunStatusState> {
        self.status.as_ref().and_then(|s| s.state.as_ref())
    }

    /// The legacy life-cycle state, if present.
    pub fn life_cycle_state(&self) -> Option<&RunLifeCycleState> {
        self.state
            .as_ref()
            .and_then(|s| s.life_cycle_state.as_ref())
    }

    /// The legacy result state, if present.
    pub fn result_state(&self) -> Option<&RunResultState> {
        self.state.as_ref().and_then(|s| s.result_state.as_ref())
    }

    /// Whether the run is finished, by `status.state == TERMINATED` or a terminal legacy
    /// `state.life_cycle_state` (`TERMINATED`, `SKIPPED`, `INTERNAL_ERROR`).
    ///
    /// This is the one "when is a run done" of the workspace: [`JobsApi::wait_for_run`] and the
    /// MCP tools ask it.
    ///
    /// [`JobsApi::wait_for_run`]: crate::api::JobsApi::wait_for_run
    pub fn is_terminal(&self) -> bool {
        self.status_state().is_some_and(RunStatusState::is_terminal)
            || self
                .life_cycle_state()
                .is_some_and(RunLifeCycleState::is_terminal)
    }

    /// Whether a finished run succeeded: `termination_details.code` is `SUCCESS`/
    /// `SUCCESS_WITH_FAILURES` (or its type `SUCCESS`), falling back to the legacy `result_state`.
    pub fn is_success(&self) -> bool {
        if let Some(details) = self
            .status
            .as_ref()
            .and_then(|s| s.termination_details.as_ref())
        {
            if let Some(code) = &details.code {
                return matches!(
                    code,
                    TerminationCode::Success | TerminationCode::SuccessWithFailures
                );
            }
            if let Some(kind) = &details.kind {
                return *kind == TerminationType::Success;
            }
        }
        self.result_state().is_some_and(RunResultState::is_success)
    }
}

/// Notebook output of a task run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NotebookOutput {
    /// Value passed to `dbutils.notebook.exit()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Whether it was truncated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<bool>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Response of `jobs/runs/get-output` (for a task run).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunOutput {
    /// The task run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Run>,
    /// Notebook output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notebook_output: Option<NotebookOutput>,
    /// Logs (Python / JAR tasks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logs: Option<String>,
    /// Whether logs were truncated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logs_truncated: Option<bool>,
    /// Error message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Error stack trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_trace: Option<String>,
    /// Unknown fields (`sql_output`, `dbt_output`, `run_job_output`, `info`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// Outcome of one task of a finished run.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TaskOutcome {
    /// Task key.
    pub task_key: String,
    /// Task run id.
    pub run_id: i64,
    /// Whether it succeeded.
    pub success: bool,
    /// `status.termination_details`, if present.
    pub termination: Option<TerminationDetails>,
    /// Legacy `state.result_state`, if present.
    pub result_state: Option<RunResultState>,
    /// Legacy `state.state_message`, if present.
    pub state_message: Option<String>,
}

/// What `wait_for_run` returns: the finished run and its interpretation.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RunResult {
    /// Whether the run succeeded (see [`Run::is_success`]).
    pub success: bool,
    /// `status.termination_details`, if present.
    pub termination: Option<TerminationDetails>,
    /// Legacy `state.result_state`, if present.
    pub result_state: Option<RunResultState>,
    /// A message explaining the outcome (termination message or legacy state message).
    pub message: Option<String>,
    /// Per-task outcomes.
    pub tasks: Vec<TaskOutcome>,
    /// The final run as returned by `runs/get`.
    pub run: Run,
}

fn state_message(state: Option<&RunState>, status: Option<&RunStatus>) -> Option<String> {
    status
        .and_then(|s| s.termination_details.as_ref())
        .and_then(|d| d.message.clone())
        .filter(|m| !m.is_empty())
        .or_else(|| {
            state
                .and_then(|s| s.state_message.clone())
                .filter(|m| !m.is_empty())
        })
}

impl RunTask {
    fn is_success(&self) -> bool {
        if let Some(details) = self
            .status
            .as_ref()
            .and_then(|s| s.termination_details.as_ref())
            && let Some(code) = &details.code
        {
            return matches!(
                code,
                TerminationCode::Success | TerminationCode::SuccessWithFailures
            );
        }
        self.state
            .as_ref()
            .and_then(|s| s.result_state.as_ref())
            .is_some_and(RunResultState::is_success)
    }
}

impl From<Run> for RunResult {
    fn from(run: Run) -> Self {
        let tasks = run
            .tasks
            .iter()
            .map(|t| TaskOutcome {
                task_key: t.task_key.clone(),
                run_id: t.run_id,
                success: t.is_success(),
                termination: t
                    .status
                    .as_ref()
                    .and_then(|s| s.termination_details.clone()),
                result_state: t.state.as_ref().and_then(|s| s.result_state.clone()),
                state_message: state_message(t.state.as_ref(), t.status.as_ref()),
            })
            .collect();
        Self {
            success: run.is_success(),
            termination: run
                .status
                .as_ref()
                .and_then(|s| s.termination_details.clone()),
            result_state: run.result_state().cloned(),
            message: state_message(run.state.as_ref(), run.status.as_ref()),
            tasks,
            run,
        }
    }
}
