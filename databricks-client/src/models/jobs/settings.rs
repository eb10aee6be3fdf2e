//! [`JobSettings`] and the job-level settings it holds (clusters, environments, parameters,
//! schedule and triggers, queue, run-as, Git source, deployment), and [`Job`] as `jobs/get`
//! returns it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::models::clusters::ClusterSpec;

use super::{
    EmailNotifications, Extra, GitProvider, HealthRules, JobEditMode, JobFormat,
    NotificationSettings, PauseStatus, PerformanceTarget, Task, WebhookNotifications,
};

/// The settings of a job: the body of `jobs/create`, `new_settings` of `jobs/reset`/`update`, and
/// `settings` of `jobs/get`. Unknown fields are kept in [`extra`](Self::extra).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JobSettings {
    /// Job name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Tasks (paged in API 2.2; the client merges pages).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<Task>,
    /// Shared job clusters referenced by `job_cluster_key`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub job_clusters: Vec<JobCluster>,
    /// Serverless environments referenced by `environment_key`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<JobEnvironment>,
    /// Job-level parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<JobParameterDefinition>,
    /// Cron schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<CronSchedule>,
    /// File-arrival / periodic / table-update trigger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<TriggerSettings>,
    /// Continuous execution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuous: Option<Continuous>,
    /// Email notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_notifications: Option<EmailNotifications>,
    /// Webhook notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_notifications: Option<WebhookNotifications>,
    /// Notification settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_settings: Option<NotificationSettings>,
    /// Health rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<HealthRules>,
    /// Tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Queueing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueSettings>,
    /// Identity the job runs as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as: Option<RunAs>,
    /// Remote Git repository for task sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_source: Option<GitSource>,
    /// Timeout of each run in seconds (0 = none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i64>,
    /// Maximum concurrent runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_runs: Option<i64>,
    /// Job format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<JobFormat>,
    /// Edit mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit_mode: Option<JobEditMode>,
    /// Deployment information (e.g. managed by a bundle).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<JobDeployment>,
    /// Budget policy id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_policy_id: Option<String>,
    /// Serverless performance target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_target: Option<PerformanceTarget>,
    /// Fields this crate does not model, kept verbatim.
    #[serde(flatten)]
    pub extra: Extra,
}

impl JobSettings {
    /// Settings with a name.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }

    /// Adds a task.
    pub fn with_task(mut self, task: Task) -> Self {
        self.tasks.push(task);
        self
    }

    /// Adds a shared job cluster.
    pub fn with_job_cluster(mut self, key: impl Into<String>, spec: ClusterSpec) -> Self {
        self.job_clusters.push(JobCluster::new(key, spec));
        self
    }

    /// Adds a serverless environment.
    pub fn with_environment(mut self, environment: JobEnvironment) -> Self {
        self.environments.push(environment);
        self
    }

    /// Adds a job parameter with its default value.
    pub fn with_parameter(mut self, name: impl Into<String>, default: impl Into<String>) -> Self {
        self.parameters
            .push(JobParameterDefinition::new(name, default));
        self
    }

    /// Sets the cron schedule.
    pub fn with_schedule(mut self, schedule: CronSchedule) -> Self {
        self.schedule = Some(schedule);
        self
    }

    /// Adds a tag.
    pub fn with_tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.insert(key.into(), value.into());
        self
    }

    /// Sets the maximum number of concurrent runs.
    pub fn with_max_concurrent_runs(mut self, n: i64) -> Self {
        self.max_concurrent_runs = Some(n);
        self
    }

    /// Sets the run timeout in seconds.
    pub fn with_timeout_seconds(mut self, seconds: i64) -> Self {
        self.timeout_seconds = Some(seconds);
        self
    }

    /// Sets the run-as identity.
    pub fn with_run_as(mut self, run_as: RunAs) -> Self {
        self.run_as = Some(run_as);
        self
    }

    /// Sets the Git source.
    pub fn with_git_source(mut self, git_source: GitSource) -> Self {
        self.git_source = Some(git_source);
        self
    }

    /// Enables or disables queueing.
    pub fn with_queue(mut self, enabled: bool) -> Self {
        self.queue = Some(QueueSettings::new(enabled));
        self
    }

    /// The task with this key, if any.
    pub fn task(&self, task_key: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.task_key == task_key)
    }
}

/// A shared job cluster.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JobCluster {
    /// Key referenced by tasks' `job_cluster_key`.
    #[serde(default)]
    pub job_cluster_key: String,
    /// Cluster specification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_cluster: Option<ClusterSpec>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl JobCluster {
    /// A job cluster.
    pub fn new(key: impl Into<String>, spec: ClusterSpec) -> Self {
        Self {
            job_cluster_key: key.into(),
            new_cluster: Some(spec),
            extra: Extra::new(),
        }
    }
}

/// A serverless environment of a job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JobEnvironment {
    /// Key referenced by tasks' `environment_key`.
    #[serde(default)]
    pub environment_key: String,
    /// Environment spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<EnvironmentSpec>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl JobEnvironment {
    /// An environment with a spec.
    pub fn new(key: impl Into<String>, spec: EnvironmentSpec) -> Self {
        Self {
            environment_key: key.into(),
            spec: Some(spec),
            extra: Extra::new(),
        }
    }
}

/// Serverless environment spec.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EnvironmentSpec {
    /// Environment version (e.g. `"2"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_version: Option<String>,
    /// Legacy name of `environment_version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// pip dependencies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl EnvironmentSpec {
    /// A spec with an environment version.
    pub fn new(environment_version: impl Into<String>) -> Self {
        Self {
            environment_version: Some(environment_version.into()),
            ..Self::default()
        }
    }

    /// Adds a pip dependency.
    pub fn with_dependency(mut self, dependency: impl Into<String>) -> Self {
        self.dependencies.push(dependency.into());
        self
    }
}

/// A job-level parameter definition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JobParameterDefinition {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Default value.
    #[serde(default)]
    pub default: String,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl JobParameterDefinition {
    /// A parameter with a default.
    pub fn new(name: impl Into<String>, default: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            default: default.into(),
            extra: Extra::new(),
        }
    }
}

/// Cron schedule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CronSchedule {
    /// Quartz cron expression.
    #[serde(default)]
    pub quartz_cron_expression: String,
    /// Java time zone id.
    #[serde(default)]
    pub timezone_id: String,
    /// Paused or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_status: Option<PauseStatus>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl CronSchedule {
    /// A schedule.
    pub fn new(quartz_cron_expression: impl Into<String>, timezone_id: impl Into<String>) -> Self {
        Self {
            quartz_cron_expression: quartz_cron_expression.into(),
            timezone_id: timezone_id.into(),
            ..Self::default()
        }
    }

    /// Sets the pause status.
    pub fn with_pause_status(mut self, status: PauseStatus) -> Self {
        self.pause_status = Some(status);
        self
    }
}

/// Trigger settings (one of `file_arrival`, `periodic`, `table_update`, …).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TriggerSettings {
    /// Paused or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_status: Option<PauseStatus>,
    /// File-arrival trigger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_arrival: Option<FileArrivalTrigger>,
    /// Periodic trigger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub periodic: Option<PeriodicTrigger>,
    /// Table-update trigger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_update: Option<TableUpdateTrigger>,
    /// Unknown fields (`model`, `sql_condition`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// File-arrival trigger.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FileArrivalTrigger {
    /// Storage location to watch.
    #[serde(default)]
    pub url: String,
    /// Minimum seconds between triggers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_time_between_triggers_seconds: Option<i64>,
    /// Seconds to wait after the last change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_after_last_change_seconds: Option<i64>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Periodic trigger.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PeriodicTrigger {
    /// Interval.
    #[serde(default)]
    pub interval: i64,
    /// Unit: `MINUTES`, `HOURS`, `DAYS`, `WEEKS`.
    #[serde(default)]
    pub unit: String,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Table-update trigger.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TableUpdateTrigger {
    /// Tables to watch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub table_names: Vec<String>,
    /// `ANY_UPDATED` or `ALL_UPDATED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Continuous execution settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Continuous {
    /// Paused or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_status: Option<PauseStatus>,
    /// Unknown fields (`task_retry_mode`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// Queue settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueueSettings {
    /// Queueing enabled.
    #[serde(default)]
    pub enabled: bool,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl QueueSettings {
    /// Queueing on or off.
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            extra: Extra::new(),
        }
    }
}

/// Identity a job runs as (one field is set).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunAs {
    /// User name (email).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// Service principal application id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal_name: Option<String>,
    /// Group name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl RunAs {
    /// Run as a user.
    pub fn user(user_name: impl Into<String>) -> Self {
        Self {
            user_name: Some(user_name.into()),
            ..Self::default()
        }
    }

    /// Run as a service principal (application id).
    pub fn service_principal(application_id: impl Into<String>) -> Self {
        Self {
            service_principal_name: Some(application_id.into()),
            ..Self::default()
        }
    }
}

/// Remote Git source of a job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GitSource {
    /// Repository URL.
    #[serde(default)]
    pub git_url: String,
    /// Provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_provider: Option<GitProvider>,
    /// Branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_branch: Option<String>,
    /// Tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_tag: Option<String>,
    /// Commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<String>,
    /// Unknown fields (`git_snapshot`, `sparse_checkout`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

impl GitSource {
    /// A branch of a repository.
    pub fn branch(
        git_url: impl Into<String>,
        provider: GitProvider,
        branch: impl Into<String>,
    ) -> Self {
        Self {
            git_url: git_url.into(),
            git_provider: Some(provider),
            git_branch: Some(branch.into()),
            ..Self::default()
        }
    }
}

/// Deployment information of a job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JobDeployment {
    /// `BUNDLE` or `SYSTEM_MANAGED`.
    #[serde(default)]
    pub kind: String,
    /// Path of the deployment metadata file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_file_path: Option<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A job as returned by `jobs/get` and `jobs/list`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Job {
    /// Job id.
    #[serde(default)]
    pub job_id: i64,
    /// Creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_user_name: Option<String>,
    /// Effective run-as user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_user_name: Option<String>,
    /// Creation time (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_time: Option<i64>,
    /// Settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<JobSettings>,
    /// In `list` with `expand_tasks`: arrays were truncated (use `get` for all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_more: Option<bool>,
    /// Effective budget policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_budget_policy_id: Option<String>,
    /// Unknown fields (`trigger_state`, …). `next_page_token` of a merged `get` is removed.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Job {
    /// The job name, if set.
    pub fn name(&self) -> Option<&str> {
        self.settings.as_ref().and_then(|s| s.name.as_deref())
    }
}
