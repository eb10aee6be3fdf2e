//! Request bodies and filters of the Jobs API calls, and their small responses.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    Extra, GitSource, JobEnvironment, PerformanceTarget, QueueSettings, RunAs, RunType, Task,
};

/// Filters of `jobs/list`; serialises to its query string.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ListJobsRequest {
    /// Exact (case-insensitive) job name filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Include task and cluster details (truncated items carry `has_more`).
    #[serde(skip_serializing_if = "is_false")]
    pub expand_tasks: bool,
    /// Page size (1–100).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// `skip_serializing_if` of flags that are only sent when set.
fn is_false(flag: &bool) -> bool {
    !*flag
}

impl ListJobsRequest {
    /// All jobs.
    pub fn new() -> Self {
        Self::default()
    }

    /// Filters by name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Includes tasks and clusters.
    pub fn with_expand_tasks(mut self, expand: bool) -> Self {
        self.expand_tasks = expand;
        self
    }

    /// Sets the page size.
    pub fn with_limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }
}

/// Filters of `jobs/runs/list`; serialises to its query string.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ListRunsRequest {
    /// Only runs of this job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<i64>,
    /// Only active runs.
    #[serde(skip_serializing_if = "is_false")]
    pub active_only: bool,
    /// Only completed runs.
    #[serde(skip_serializing_if = "is_false")]
    pub completed_only: bool,
    /// Only runs of this type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_type: Option<RunType>,
    /// Include task details.
    #[serde(skip_serializing_if = "is_false")]
    pub expand_tasks: bool,
    /// Runs started at or after (epoch ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time_from: Option<i64>,
    /// Runs started at or before (epoch ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time_to: Option<i64>,
    /// Page size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl ListRunsRequest {
    /// All runs.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs of one job.
    pub fn for_job(job_id: i64) -> Self {
        Self {
            job_id: Some(job_id),
            ..Self::default()
        }
    }

    /// Only active runs.
    pub fn with_active_only(mut self, active_only: bool) -> Self {
        self.active_only = active_only;
        self
    }

    /// Only completed runs.
    pub fn with_completed_only(mut self, completed_only: bool) -> Self {
        self.completed_only = completed_only;
        self
    }

    /// Includes task details.
    pub fn with_expand_tasks(mut self, expand: bool) -> Self {
        self.expand_tasks = expand;
        self
    }

    /// Sets the page size.
    pub fn with_limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }
}

/// Body of `jobs/run-now`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunNowRequest {
    /// Job to run.
    pub job_id: i64,
    /// Job parameter values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub job_parameters: BTreeMap<String, String>,
    /// Makes the request idempotent (≤ 64 chars): a repeated request returns the same run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_token: Option<String>,
    /// Only run these task keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub only: Vec<String>,
    /// Queueing override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueSettings>,
    /// Performance target override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_target: Option<PerformanceTarget>,
    /// Other fields (legacy `notebook_params`, `python_params`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

impl RunNowRequest {
    /// Runs `job_id`.
    pub fn new(job_id: i64) -> Self {
        Self {
            job_id,
            ..Self::default()
        }
    }

    /// Sets a job parameter.
    pub fn with_parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.job_parameters.insert(name.into(), value.into());
        self
    }

    /// Sets the idempotency token (the request is then safe to retry).
    pub fn with_idempotency_token(mut self, token: impl Into<String>) -> Self {
        self.idempotency_token = Some(token.into());
        self
    }

    /// Only runs these tasks.
    pub fn with_only(mut self, task_key: impl Into<String>) -> Self {
        self.only.push(task_key.into());
        self
    }
}

/// Response of `jobs/run-now`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunNowResponse {
    /// The new run.
    #[serde(default)]
    pub run_id: i64,
    /// Its number within the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_in_job: Option<i64>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Body of `jobs/runs/submit` (a one-time run).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubmitRunRequest {
    /// Run name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_name: Option<String>,
    /// Tasks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<Task>,
    /// Serverless environments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<JobEnvironment>,
    /// Git source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_source: Option<GitSource>,
    /// Timeout in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i64>,
    /// Idempotency token (the request is then safe to retry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_token: Option<String>,
    /// Queueing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueSettings>,
    /// Run-as identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as: Option<RunAs>,
    /// Budget policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_policy_id: Option<String>,
    /// Other fields (`access_control_list`, notifications, …).
    #[serde(flatten)]
    pub extra: Extra,
}

impl SubmitRunRequest {
    /// A one-time run.
    pub fn new(run_name: impl Into<String>) -> Self {
        Self {
            run_name: Some(run_name.into()),
            ..Self::default()
        }
    }

    /// Adds a task.
    pub fn with_task(mut self, task: Task) -> Self {
        self.tasks.push(task);
        self
    }

    /// Sets the idempotency token.
    pub fn with_idempotency_token(mut self, token: impl Into<String>) -> Self {
        self.idempotency_token = Some(token.into());
        self
    }
}
