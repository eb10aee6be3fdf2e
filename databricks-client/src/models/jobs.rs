//! Jobs API 2.2 models: [`JobSettings`] and what it contains, [`Job`], [`Run`] and run state.
//!
//! Every struct keeps the fields it does not model in `extra`, so parsing the JSON of a real
//! job and serialising it again loses nothing (the only normalisation: `null` values and empty
//! arrays of modelled list fields are omitted, which the API treats as absent).
//!
//! ```
//! use databricks_client::models::jobs::{JobSettings, Task};
//!
//! let settings = JobSettings::new("nightly")
//!     .with_task(Task::notebook("ingest", "/Workspace/etl/ingest").with_existing_cluster_id("0101-abc"))
//!     .with_task(Task::notebook("report", "/Workspace/etl/report").with_depends_on("ingest"));
//! let json = serde_json::to_value(&settings).unwrap();
//! assert_eq!(json["tasks"][1]["depends_on"][0]["task_key"], "ingest");
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::clusters::ClusterSpec;
use super::open_enum::open_enum;

/// Extra JSON fields a model does not know (kept for lossless round trips).
pub type Extra = Map<String, Value>;

// ---------------------------------------------------------------------------------------------
// Enums
// ---------------------------------------------------------------------------------------------

open_enum! {
    /// Whether a schedule, trigger or continuous job is paused.
    pub enum PauseStatus {
        /// Active.
        Unpaused = "UNPAUSED",
        /// Paused.
        Paused = "PAUSED",
    }
}

open_enum! {
    /// The job's format (`MULTI_TASK` for every job created through API 2.1+).
    pub enum JobFormat {
        /// Legacy single-task job.
        SingleTask = "SINGLE_TASK",
        /// Multi-task job.
        MultiTask = "MULTI_TASK",
    }
}

open_enum! {
    /// Whether the job can be edited in the UI.
    pub enum JobEditMode {
        /// Edits only through the API / bundles.
        UiLocked = "UI_LOCKED",
        /// Editable in the UI.
        Editable = "EDITABLE",
    }
}

open_enum! {
    /// Serverless performance target.
    pub enum PerformanceTarget {
        /// Start fast, cost more.
        PerformanceOptimized = "PERFORMANCE_OPTIMIZED",
        /// Cost-optimised.
        Standard = "STANDARD",
    }
}

open_enum! {
    /// When a task runs, relative to the outcome of its dependencies.
    pub enum RunIf {
        /// All dependencies succeeded (default).
        AllSuccess = "ALL_SUCCESS",
        /// All dependencies finished, whatever the outcome.
        AllDone = "ALL_DONE",
        /// No dependency failed.
        NoneFailed = "NONE_FAILED",
        /// At least one dependency succeeded.
        AtLeastOneSuccess = "AT_LEAST_ONE_SUCCESS",
        /// All dependencies failed.
        AllFailed = "ALL_FAILED",
        /// At least one dependency failed.
        AtLeastOneFailed = "AT_LEAST_ONE_FAILED",
    }
}

open_enum! {
    /// Where a notebook, Python file or SQL file comes from.
    pub enum Source {
        /// The workspace file system.
        Workspace = "WORKSPACE",
        /// The job's `git_source`.
        Git = "GIT",
    }
}

open_enum! {
    /// Comparison operator of a condition task.
    pub enum ConditionOp {
        /// `==`
        EqualTo = "EQUAL_TO",
        /// `>`
        GreaterThan = "GREATER_THAN",
        /// `>=`
        GreaterThanOrEqual = "GREATER_THAN_OR_EQUAL",
        /// `<`
        LessThan = "LESS_THAN",
        /// `<=`
        LessThanOrEqual = "LESS_THAN_OR_EQUAL",
        /// `!=`
        NotEqual = "NOT_EQUAL",
    }
}

open_enum! {
    /// Git hosting provider of a `git_source`.
    pub enum GitProvider {
        /// GitHub.
        GitHub = "gitHub",
        /// Bitbucket Cloud.
        BitbucketCloud = "bitbucketCloud",
        /// Azure DevOps Services.
        AzureDevOpsServices = "azureDevOpsServices",
        /// GitHub Enterprise.
        GitHubEnterprise = "gitHubEnterprise",
        /// Bitbucket Server.
        BitbucketServer = "bitbucketServer",
        /// GitLab.
        GitLab = "gitLab",
        /// GitLab Enterprise Edition.
        GitLabEnterpriseEdition = "gitLabEnterpriseEdition",
        /// AWS CodeCommit.
        AwsCodeCommit = "awsCodeCommit",
    }
}

open_enum! {
    /// Health metric of a health rule.
    pub enum HealthMetric {
        /// Run duration in seconds.
        RunDurationSeconds = "RUN_DURATION_SECONDS",
        /// Streaming backlog in bytes.
        StreamingBacklogBytes = "STREAMING_BACKLOG_BYTES",
        /// Streaming backlog in records.
        StreamingBacklogRecords = "STREAMING_BACKLOG_RECORDS",
        /// Streaming backlog in seconds.
        StreamingBacklogSeconds = "STREAMING_BACKLOG_SECONDS",
        /// Streaming backlog in files.
        StreamingBacklogFiles = "STREAMING_BACKLOG_FILES",
    }
}

open_enum! {
    /// Life-cycle state of a run (legacy `state.life_cycle_state`).
    pub enum RunLifeCycleState {
        /// Queued.
        Queued = "QUEUED",
        /// Pending (compute being prepared).
        Pending = "PENDING",
        /// Running.
        Running = "RUNNING",
        /// Finishing.
        Terminating = "TERMINATING",
        /// Finished (terminal).
        Terminated = "TERMINATED",
        /// Skipped (terminal).
        Skipped = "SKIPPED",
        /// Failed inside Databricks (terminal, failure).
        InternalError = "INTERNAL_ERROR",
        /// Blocked on an upstream dependency.
        Blocked = "BLOCKED",
        /// Waiting for a retry.
        WaitingForRetry = "WAITING_FOR_RETRY",
    }
}

impl RunLifeCycleState {
    /// `TERMINATED`, `SKIPPED` or `INTERNAL_ERROR`.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Terminated | Self::Skipped | Self::InternalError)
    }
}

open_enum! {
    /// Result of a finished run (legacy `state.result_state`).
    pub enum RunResultState {
        /// Succeeded.
        Success = "SUCCESS",
        /// Succeeded, some tasks failed.
        SuccessWithFailures = "SUCCESS_WITH_FAILURES",
        /// Failed.
        Failed = "FAILED",
        /// Timed out.
        TimedOut = "TIMEDOUT",
        /// Cancelled.
        Canceled = "CANCELED",
        /// Skipped: maximum concurrent runs reached.
        MaximumConcurrentRunsReached = "MAXIMUM_CONCURRENT_RUNS_REACHED",
        /// Excluded.
        Excluded = "EXCLUDED",
        /// An upstream task failed.
        UpstreamFailed = "UPSTREAM_FAILED",
        /// An upstream task was cancelled.
        UpstreamCanceled = "UPSTREAM_CANCELED",
        /// Disabled.
        Disabled = "DISABLED",
    }
}

impl RunResultState {
    /// `SUCCESS` or `SUCCESS_WITH_FAILURES`.
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Success | Self::SuccessWithFailures)
    }
}

open_enum! {
    /// State of a run in the newer `status` object.
    pub enum RunStatusState {
        /// Queued.
        Queued = "QUEUED",
        /// Pending.
        Pending = "PENDING",
        /// Running.
        Running = "RUNNING",
        /// Finishing.
        Terminating = "TERMINATING",
        /// Finished (terminal; see `termination_details`).
        Terminated = "TERMINATED",
        /// Blocked.
        Blocked = "BLOCKED",
        /// Waiting.
        Waiting = "WAITING",
    }
}

open_enum! {
    /// Category of a run's termination (`status.termination_details.type`).
    pub enum TerminationType {
        /// Success.
        Success = "SUCCESS",
        /// Caused by the caller (bad configuration, code error…).
        ClientError = "CLIENT_ERROR",
        /// Databricks internal error.
        InternalError = "INTERNAL_ERROR",
        /// Cloud provider failure.
        CloudFailure = "CLOUD_FAILURE",
    }
}

open_enum! {
    /// Code of a run's termination (`status.termination_details.code`); only the common codes are
    /// named, the others arrive as [`TerminationCode::Other`].
    pub enum TerminationCode {
        /// Success.
        Success = "SUCCESS",
        /// Succeeded, some tasks failed.
        SuccessWithFailures = "SUCCESS_WITH_FAILURES",
        /// Cancelled.
        Canceled = "CANCELED",
        /// Cancelled by a user.
        UserCanceled = "USER_CANCELED",
        /// Skipped.
        Skipped = "SKIPPED",
        /// Disabled.
        Disabled = "DISABLED",
        /// The task's code failed.
        RunExecutionError = "RUN_EXECUTION_ERROR",
        /// The Spark driver failed.
        DriverError = "DRIVER_ERROR",
        /// The cluster failed.
        ClusterError = "CLUSTER_ERROR",
        /// A library failed to install.
        LibraryInstallationError = "LIBRARY_INSTALLATION_ERROR",
        /// The run configuration is invalid.
        InvalidRunConfiguration = "INVALID_RUN_CONFIGURATION",
        /// Databricks internal error.
        InternalError = "INTERNAL_ERROR",
        /// Cloud provider failure.
        CloudFailure = "CLOUD_FAILURE",
        /// A referenced resource does not exist.
        ResourceNotFound = "RESOURCE_NOT_FOUND",
        /// The run-as identity lacks permission.
        UnauthorizedError = "UNAUTHORIZED_ERROR",
        /// Maximum concurrent runs exceeded.
        MaxConcurrentRunsExceeded = "MAX_CONCURRENT_RUNS_EXCEEDED",
    }
}

open_enum! {
    /// Kind of run.
    pub enum RunType {
        /// A run of a job.
        JobRun = "JOB_RUN",
        /// A notebook workflow run (`dbutils.notebook.run`).
        WorkflowRun = "WORKFLOW_RUN",
        /// A one-time `runs/submit` run.
        SubmitRun = "SUBMIT_RUN",
    }
}

// ---------------------------------------------------------------------------------------------
// Job settings
// ---------------------------------------------------------------------------------------------

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

/// One task of a job. Exactly one task-type field is normally set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Task {
    /// Unique key of the task within the job.
    #[serde(default)]
    pub task_key: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Upstream tasks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<TaskDependency>,
    /// Run condition relative to dependencies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_if: Option<RunIf>,
    /// Existing all-purpose cluster to run on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_cluster_id: Option<String>,
    /// Shared job cluster to run on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_cluster_key: Option<String>,
    /// Serverless environment to run in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_key: Option<String>,
    /// A new cluster for this task only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_cluster: Option<ClusterSpec>,
    /// Notebook task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notebook_task: Option<NotebookTask>,
    /// Python file task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_python_task: Option<SparkPythonTask>,
    /// Python wheel task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python_wheel_task: Option<PythonWheelTask>,
    /// JAR task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_jar_task: Option<SparkJarTask>,
    /// spark-submit task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_submit_task: Option<SparkSubmitTask>,
    /// SQL task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql_task: Option<SqlTask>,
    /// Pipeline task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_task: Option<PipelineTask>,
    /// Run-another-job task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_job_task: Option<RunJobTask>,
    /// Condition task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_task: Option<ConditionTask>,
    /// For-each task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_each_task: Option<ForEachTask>,
    /// Libraries installed on the cluster before the task runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub libraries: Vec<Library>,
    /// Task timeout in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i64>,
    /// Maximum retries (-1 = forever).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<i64>,
    /// Minimum interval between retries in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_retry_interval_millis: Option<i64>,
    /// Retry on timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_on_timeout: Option<bool>,
    /// Disabled task (skipped on runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// Health rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<HealthRules>,
    /// Email notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_notifications: Option<EmailNotifications>,
    /// Webhook notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_notifications: Option<WebhookNotifications>,
    /// Notification settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_settings: Option<NotificationSettings>,
    /// Fields this crate does not model (other task types such as `dbt_task`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

impl Task {
    /// A task with only a key; set one task type next.
    pub fn new(task_key: impl Into<String>) -> Self {
        Self {
            task_key: task_key.into(),
            ..Self::default()
        }
    }

    /// A notebook task.
    pub fn notebook(task_key: impl Into<String>, notebook_path: impl Into<String>) -> Self {
        Self::new(task_key).with_notebook_task(NotebookTask::new(notebook_path))
    }

    /// A Python file task.
    pub fn python_file(task_key: impl Into<String>, python_file: impl Into<String>) -> Self {
        Self::new(task_key).with_spark_python_task(SparkPythonTask::new(python_file))
    }

    /// A task that runs another job.
    pub fn run_job(task_key: impl Into<String>, job_id: i64) -> Self {
        let mut task = Self::new(task_key);
        task.run_job_task = Some(RunJobTask::new(job_id));
        task
    }

    /// Sets the notebook task.
    pub fn with_notebook_task(mut self, task: NotebookTask) -> Self {
        self.notebook_task = Some(task);
        self
    }

    /// Sets the Python file task.
    pub fn with_spark_python_task(mut self, task: SparkPythonTask) -> Self {
        self.spark_python_task = Some(task);
        self
    }

    /// Sets the Python wheel task.
    pub fn with_python_wheel_task(mut self, task: PythonWheelTask) -> Self {
        self.python_wheel_task = Some(task);
        self
    }

    /// Sets the SQL task.
    pub fn with_sql_task(mut self, task: SqlTask) -> Self {
        self.sql_task = Some(task);
        self
    }

    /// Sets the condition task.
    pub fn with_condition_task(mut self, task: ConditionTask) -> Self {
        self.condition_task = Some(task);
        self
    }

    /// Sets the for-each task.
    pub fn with_for_each_task(mut self, task: ForEachTask) -> Self {
        self.for_each_task = Some(task);
        self
    }

    /// Adds a dependency on another task.
    pub fn with_depends_on(mut self, task_key: impl Into<String>) -> Self {
        self.depends_on.push(TaskDependency::new(task_key));
        self
    }

    /// Sets the run condition.
    pub fn with_run_if(mut self, run_if: RunIf) -> Self {
        self.run_if = Some(run_if);
        self
    }

    /// Runs on an existing cluster.
    pub fn with_existing_cluster_id(mut self, cluster_id: impl Into<String>) -> Self {
        self.existing_cluster_id = Some(cluster_id.into());
        self
    }

    /// Runs on a shared job cluster.
    pub fn with_job_cluster_key(mut self, key: impl Into<String>) -> Self {
        self.job_cluster_key = Some(key.into());
        self
    }

    /// Runs in a serverless environment.
    pub fn with_environment_key(mut self, key: impl Into<String>) -> Self {
        self.environment_key = Some(key.into());
        self
    }

    /// Runs on a new cluster.
    pub fn with_new_cluster(mut self, spec: ClusterSpec) -> Self {
        self.new_cluster = Some(spec);
        self
    }

    /// Adds a library.
    pub fn with_library(mut self, library: Library) -> Self {
        self.libraries.push(library);
        self
    }

    /// Sets the timeout in seconds.
    pub fn with_timeout_seconds(mut self, seconds: i64) -> Self {
        self.timeout_seconds = Some(seconds);
        self
    }

    /// Sets the maximum number of retries.
    pub fn with_max_retries(mut self, retries: i64) -> Self {
        self.max_retries = Some(retries);
        self
    }
}

/// A dependency on another task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TaskDependency {
    /// Key of the upstream task.
    #[serde(default)]
    pub task_key: String,
    /// Required outcome of an upstream condition task (`"true"`/`"false"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl TaskDependency {
    /// A dependency on `task_key`.
    pub fn new(task_key: impl Into<String>) -> Self {
        Self {
            task_key: task_key.into(),
            ..Self::default()
        }
    }

    /// Requires an outcome of the upstream condition task.
    pub fn with_outcome(mut self, outcome: impl Into<String>) -> Self {
        self.outcome = Some(outcome.into());
        self
    }
}

/// Notebook task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NotebookTask {
    /// Notebook path (workspace path, or relative to the repo with `source: GIT`).
    #[serde(default)]
    pub notebook_path: String,
    /// Widget values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub base_parameters: BTreeMap<String, String>,
    /// Where the notebook comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// SQL warehouse to run a SQL notebook on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warehouse_id: Option<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl NotebookTask {
    /// A notebook task for `notebook_path`.
    pub fn new(notebook_path: impl Into<String>) -> Self {
        Self {
            notebook_path: notebook_path.into(),
            ..Self::default()
        }
    }

    /// Adds a base parameter.
    pub fn with_base_parameter(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.base_parameters.insert(key.into(), value.into());
        self
    }

    /// Sets the source.
    pub fn with_source(mut self, source: Source) -> Self {
        self.source = Some(source);
        self
    }
}

/// Python file task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SparkPythonTask {
    /// The Python file (workspace, DBFS, volume or repo-relative path).
    #[serde(default)]
    pub python_file: String,
    /// Command-line parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<String>,
    /// Where the file comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl SparkPythonTask {
    /// A task running `python_file`.
    pub fn new(python_file: impl Into<String>) -> Self {
        Self {
            python_file: python_file.into(),
            ..Self::default()
        }
    }

    /// Adds a parameter.
    pub fn with_parameter(mut self, parameter: impl Into<String>) -> Self {
        self.parameters.push(parameter.into());
        self
    }
}

/// Python wheel task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PythonWheelTask {
    /// Package name.
    #[serde(default)]
    pub package_name: String,
    /// Entry point.
    #[serde(default)]
    pub entry_point: String,
    /// Positional parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<String>,
    /// Named parameters.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub named_parameters: BTreeMap<String, String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl PythonWheelTask {
    /// A wheel task.
    pub fn new(package_name: impl Into<String>, entry_point: impl Into<String>) -> Self {
        Self {
            package_name: package_name.into(),
            entry_point: entry_point.into(),
            ..Self::default()
        }
    }
}

/// JAR task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SparkJarTask {
    /// Main class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_class_name: Option<String>,
    /// Parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<String>,
    /// Unknown fields (`jar_uri`, `run_as_repl`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// spark-submit task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SparkSubmitTask {
    /// spark-submit arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// SQL task: one of `query`, `file`, `dashboard`, `alert`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SqlTask {
    /// SQL warehouse id.
    #[serde(default)]
    pub warehouse_id: String,
    /// Saved query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<SqlTaskQuery>,
    /// SQL file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<SqlTaskFile>,
    /// Parameters.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, String>,
    /// Unknown fields (`dashboard`, `alert`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

impl SqlTask {
    /// A SQL file task.
    pub fn file(warehouse_id: impl Into<String>, path: impl Into<String>) -> Self {
        Self {
            warehouse_id: warehouse_id.into(),
            file: Some(SqlTaskFile {
                path: path.into(),
                ..SqlTaskFile::default()
            }),
            ..Self::default()
        }
    }
}

/// Saved query reference of a SQL task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SqlTaskQuery {
    /// Query id.
    #[serde(default)]
    pub query_id: String,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// SQL file reference of a SQL task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SqlTaskFile {
    /// File path.
    #[serde(default)]
    pub path: String,
    /// Where the file comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Pipeline (Lakeflow Declarative Pipelines) task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PipelineTask {
    /// Pipeline id.
    #[serde(default)]
    pub pipeline_id: String,
    /// Full refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_refresh: Option<bool>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Task that triggers another job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunJobTask {
    /// Job to run.
    #[serde(default)]
    pub job_id: i64,
    /// Job parameters for the triggered run.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub job_parameters: BTreeMap<String, String>,
    /// Unknown fields (legacy per-task parameter maps, …).
    #[serde(flatten)]
    pub extra: Extra,
}

impl RunJobTask {
    /// Runs `job_id`.
    pub fn new(job_id: i64) -> Self {
        Self {
            job_id,
            ..Self::default()
        }
    }
}

/// Condition task: compares `left` and `right` with `op`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ConditionTask {
    /// Operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<ConditionOp>,
    /// Left operand (may use `{{…}}` references).
    #[serde(default)]
    pub left: String,
    /// Right operand.
    #[serde(default)]
    pub right: String,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ConditionTask {
    /// `left op right`.
    pub fn new(left: impl Into<String>, op: ConditionOp, right: impl Into<String>) -> Self {
        Self {
            op: Some(op),
            left: left.into(),
            right: right.into(),
            extra: Extra::new(),
        }
    }
}

/// For-each task: runs `task` once per input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ForEachTask {
    /// JSON array (or reference to one) of inputs.
    #[serde(default)]
    pub inputs: String,
    /// The nested task.
    #[serde(default)]
    pub task: Box<Task>,
    /// Maximum parallel iterations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<i64>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ForEachTask {
    /// Runs `task` for each element of `inputs`.
    pub fn new(inputs: impl Into<String>, task: Task) -> Self {
        Self {
            inputs: inputs.into(),
            task: Box::new(task),
            concurrency: None,
            extra: Extra::new(),
        }
    }
}

/// A library to install (one of the fields is set).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Library {
    /// JAR path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jar: Option<String>,
    /// Wheel path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whl: Option<String>,
    /// requirements.txt path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirements: Option<String>,
    /// PyPI package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pypi: Option<PackageLibrary>,
    /// CRAN package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cran: Option<PackageLibrary>,
    /// Maven package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maven: Option<MavenLibrary>,
    /// Unknown fields (`egg`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

impl Library {
    /// A PyPI package (`"pandas==2.2.0"`).
    pub fn pypi(package: impl Into<String>) -> Self {
        Self {
            pypi: Some(PackageLibrary::new(package)),
            ..Self::default()
        }
    }

    /// A wheel file.
    pub fn whl(path: impl Into<String>) -> Self {
        Self {
            whl: Some(path.into()),
            ..Self::default()
        }
    }

    /// A JAR file.
    pub fn jar(path: impl Into<String>) -> Self {
        Self {
            jar: Some(path.into()),
            ..Self::default()
        }
    }
}

/// A PyPI or CRAN package.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PackageLibrary {
    /// Package spec.
    #[serde(default)]
    pub package: String,
    /// Repository URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl PackageLibrary {
    /// A package.
    pub fn new(package: impl Into<String>) -> Self {
        Self {
            package: package.into(),
            ..Self::default()
        }
    }
}

/// A Maven package.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MavenLibrary {
    /// `group:artifact:version`.
    #[serde(default)]
    pub coordinates: String,
    /// Repository URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// Excluded dependencies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions: Vec<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
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

/// Email notifications (job- or task-level).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EmailNotifications {
    /// On start.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_start: Vec<String>,
    /// On success.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_success: Vec<String>,
    /// On failure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_failure: Vec<String>,
    /// When a duration health rule fires.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_duration_warning_threshold_exceeded: Vec<String>,
    /// When a streaming backlog rule fires.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_streaming_backlog_exceeded: Vec<String>,
    /// Deprecated: no alerts for skipped runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_alert_for_skipped_runs: Option<bool>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl EmailNotifications {
    /// Adds a recipient for failures.
    pub fn with_on_failure(mut self, address: impl Into<String>) -> Self {
        self.on_failure.push(address.into());
        self
    }

    /// Adds a recipient for successes.
    pub fn with_on_success(mut self, address: impl Into<String>) -> Self {
        self.on_success.push(address.into());
        self
    }
}

/// Webhook notifications (job- or task-level).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WebhookNotifications {
    /// On start.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_start: Vec<Webhook>,
    /// On success.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_success: Vec<Webhook>,
    /// On failure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_failure: Vec<Webhook>,
    /// When a duration health rule fires.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_duration_warning_threshold_exceeded: Vec<Webhook>,
    /// When a streaming backlog rule fires.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_streaming_backlog_exceeded: Vec<Webhook>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A notification destination id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Webhook {
    /// Notification destination id.
    #[serde(default)]
    pub id: String,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Webhook {
    /// A destination id.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            extra: Extra::new(),
        }
    }
}

/// Notification settings (job- or task-level).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NotificationSettings {
    /// No alerts for skipped runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_alert_for_skipped_runs: Option<bool>,
    /// No alerts for cancelled runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_alert_for_canceled_runs: Option<bool>,
    /// Task-level only: alert only on the last retry attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_on_last_attempt: Option<bool>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Health rules.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HealthRules {
    /// Rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<HealthRule>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One health rule: `metric op value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HealthRule {
    /// Metric.
    pub metric: HealthMetric,
    /// Operator (`GREATER_THAN`).
    #[serde(default)]
    pub op: String,
    /// Threshold.
    #[serde(default)]
    pub value: i64,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl HealthRule {
    /// `metric > value`.
    pub fn greater_than(metric: HealthMetric, value: i64) -> Self {
        Self {
            metric,
            op: "GREATER_THAN".to_owned(),
            value,
            extra: Extra::new(),
        }
    }
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

// ---------------------------------------------------------------------------------------------
// Job / runs responses
// ---------------------------------------------------------------------------------------------

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
    pub fn is_terminal(&self) -> bool {
        matches!(self.status_state(), Some(RunStatusState::Terminated))
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

// ---------------------------------------------------------------------------------------------
// Requests and derived results
// ---------------------------------------------------------------------------------------------

/// Filters of `jobs/list`.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ListJobsRequest {
    /// Exact (case-insensitive) job name filter.
    pub name: Option<String>,
    /// Include task and cluster details (truncated items carry `has_more`).
    pub expand_tasks: bool,
    /// Page size (1–100).
    pub limit: Option<u32>,
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

/// Filters of `jobs/runs/list`.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ListRunsRequest {
    /// Only runs of this job.
    pub job_id: Option<i64>,
    /// Only active runs.
    pub active_only: bool,
    /// Only completed runs.
    pub completed_only: bool,
    /// Only runs of this type.
    pub run_type: Option<RunType>,
    /// Include task details.
    pub expand_tasks: bool,
    /// Runs started at or after (epoch ms).
    pub start_time_from: Option<i64>,
    /// Runs started at or before (epoch ms).
    pub start_time_to: Option<i64>,
    /// Page size.
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A `jobs/get` response shaped like the real API, with fields the models do not know at
    /// every level (top, settings, task, nested for-each task, cluster, library, schedule…).
    fn realistic_job() -> Value {
        json!({
            "job_id": 11223344,
            "creator_user_name": "someone@example.com",
            "run_as_user_name": "someone@example.com",
            "run_as_owner": true,
            "created_time": 1_700_000_000_000_i64,
            "effective_budget_policy_id": "bp-1",
            "trigger_state": {"file_arrival": {"using_file_events": true}},
            "settings": {
                "name": "nightly-etl",
                "description": "ETL",
                "email_notifications": {"on_failure": ["ops@example.com"], "no_alert_for_skipped_runs": false, "future_flag": 1},
                "webhook_notifications": {"on_failure": [{"id": "dest-1", "extra_thing": "x"}]},
                "notification_settings": {"no_alert_for_skipped_runs": true},
                "timeout_seconds": 0,
                "health": {"rules": [{"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN", "value": 3600}]},
                "schedule": {"quartz_cron_expression": "0 0 2 * * ?", "timezone_id": "UTC", "pause_status": "UNPAUSED", "sql_condition": {"x": 1}},
                "max_concurrent_runs": 1,
                "tasks": [
                    {
                        "task_key": "ingest",
                        "run_if": "ALL_SUCCESS",
                        "notebook_task": {"notebook_path": "/Workspace/etl/ingest", "base_parameters": {"env": "prod"}, "source": "WORKSPACE", "unknown_nb": [1, 2]},
                        "job_cluster_key": "main",
                        "libraries": [{"pypi": {"package": "requests==2.32.0"}}, {"egg": "dbfs:/x.egg"}],
                        "timeout_seconds": 0,
                        "email_notifications": {},
                        "disable_auto_optimization": true,
                        "webhook_notifications": {}
                    },
                    {
                        "task_key": "each",
                        "depends_on": [{"task_key": "ingest"}],
                        "for_each_task": {
                            "inputs": "[1,2,3]",
                            "concurrency": 2,
                            "task": {
                                "task_key": "each_iteration",
                                "spark_python_task": {"python_file": "etl/step.py", "source": "GIT", "parameters": ["--n", "{{input}}"]},
                                "environment_key": "default",
                                "new_task_field": {"deep": {"deeper": true}}
                            }
                        }
                    },
                    {
                        "task_key": "check",
                        "depends_on": [{"task_key": "each"}],
                        "condition_task": {"op": "EQUAL_TO", "left": "{{job.parameters.env}}", "right": "prod"}
                    },
                    {
                        "task_key": "report",
                        "depends_on": [{"task_key": "check", "outcome": "true"}],
                        "sql_task": {"warehouse_id": "wh-1", "file": {"path": "sql/report.sql", "source": "GIT"}},
                        "dbt_task": {"commands": ["dbt run"]}
                    },
                    {
                        "task_key": "wheel",
                        "existing_cluster_id": "0101-123456-abcdef",
                        "python_wheel_task": {"package_name": "pkg", "entry_point": "main", "named_parameters": {"a": "b"}},
                        "run_if": "SOMETHING_NEW"
                    },
                    {
                        "task_key": "downstream",
                        "run_job_task": {"job_id": 42, "job_parameters": {"k": "v"}},
                        "new_cluster": {
                            "spark_version": "15.4.x-scala2.12",
                            "node_type_id": "i3.xlarge",
                            "num_workers": 2,
                            "aws_attributes": {"availability": "SPOT_WITH_FALLBACK", "zone_id": "auto"},
                            "spark_conf": {"spark.speculation": "true"},
                            "a_new_cluster_field": "kept"
                        }
                    }
                ],
                "job_clusters": [{
                    "job_cluster_key": "main",
                    "new_cluster": {
                        "spark_version": "15.4.x-scala2.12",
                        "node_type_id": "i3.xlarge",
                        "autoscale": {"min_workers": 1, "max_workers": 4, "mode": "ENHANCED"},
                        "data_security_mode": "SINGLE_USER",
                        "runtime_engine": "PHOTON",
                        "custom_tags": {"team": "data"},
                        "init_scripts": [{"workspace": {"destination": "/init.sh"}}],
                        "enable_elastic_disk": true,
                        "totally_unknown": {"nested": [1, {"a": null}]}
                    }
                }],
                "environments": [{"environment_key": "default", "spec": {"client": "2", "dependencies": ["pandas"], "java_dependencies": ["/x.jar"]}}],
                "parameters": [{"name": "env", "default": "prod"}],
                "git_source": {"git_url": "https://github.com/acme/etl", "git_provider": "gitHub", "git_branch": "main", "sparse_checkout": {"patterns": ["etl"]}},
                "format": "MULTI_TASK",
                "queue": {"enabled": true},
                "run_as": {"user_name": "someone@example.com"},
                "tags": {"owner": "data"},
                "edit_mode": "UI_LOCKED",
                "deployment": {"kind": "BUNDLE", "metadata_file_path": "/Workspace/.bundle/metadata.json"},
                "budget_policy_id": "bp-1",
                "performance_target": "STANDARD",
                "trigger": {"pause_status": "PAUSED", "file_arrival": {"url": "/Volumes/a/b/c/"}, "model": {"condition": "X"}},
                "usage_policy_id": "up-1",
                "a_brand_new_setting": {"complex": [true, 1.5, "s"]}
            }
        })
    }

    #[test]
    fn job_round_trip_keeps_unknown_fields() {
        let original = realistic_job();
        let job: Job = serde_json::from_value(original.clone()).unwrap();
        let back = serde_json::to_value(&job).unwrap();
        assert_eq!(back, original);

        let settings = job.settings.as_ref().unwrap();
        assert_eq!(settings.tasks.len(), 6);
        assert_eq!(job.name(), Some("nightly-etl"));
        let each = settings
            .task("each")
            .unwrap()
            .for_each_task
            .as_ref()
            .unwrap();
        assert_eq!(each.task.task_key, "each_iteration");
        assert!(each.task.extra.contains_key("new_task_field"));
        let wheel = settings.task("wheel").unwrap();
        assert_eq!(wheel.run_if, Some(RunIf::Other("SOMETHING_NEW".to_owned())));
        let cluster = settings.job_clusters[0].new_cluster.as_ref().unwrap();
        assert!(cluster.extra.contains_key("totally_unknown"));
        assert_eq!(
            settings.git_source.as_ref().unwrap().git_provider,
            Some(GitProvider::GitHub)
        );
        assert!(settings.extra.contains_key("a_brand_new_setting"));
    }

    #[test]
    fn settings_round_trip_alone() {
        let original = realistic_job()["settings"].clone();
        let settings: JobSettings = serde_json::from_value(original.clone()).unwrap();
        assert_eq!(serde_json::to_value(&settings).unwrap(), original);
    }

    #[test]
    fn builder_serialises_minimal_json() {
        let settings = JobSettings::new("x")
            .with_task(Task::notebook("a", "/nb").with_existing_cluster_id("c"))
            .with_task(Task::python_file("b", "f.py").with_depends_on("a"))
            .with_parameter("env", "dev")
            .with_queue(true);
        assert_eq!(
            serde_json::to_value(&settings).unwrap(),
            json!({
                "name": "x",
                "tasks": [
                    {"task_key": "a", "existing_cluster_id": "c", "notebook_task": {"notebook_path": "/nb"}},
                    {"task_key": "b", "depends_on": [{"task_key": "a"}], "spark_python_task": {"python_file": "f.py"}}
                ],
                "parameters": [{"name": "env", "default": "dev"}],
                "queue": {"enabled": true}
            })
        );
    }

    #[test]
    fn run_terminal_by_status_or_legacy_state() {
        let run: Run = serde_json::from_value(json!({
            "run_id": 1,
            "status": {"state": "TERMINATED", "termination_details": {"code": "SUCCESS", "type": "SUCCESS", "message": ""}}
        }))
        .unwrap();
        assert!(run.is_terminal());
        assert!(run.is_success());

        let run: Run = serde_json::from_value(json!({
            "run_id": 2,
            "state": {"life_cycle_state": "INTERNAL_ERROR", "state_message": "boom"}
        }))
        .unwrap();
        assert!(run.is_terminal());
        assert!(!run.is_success());

        let run: Run = serde_json::from_value(json!({
            "run_id": 3,
            "state": {"life_cycle_state": "RUNNING"},
            "status": {"state": "RUNNING"}
        }))
        .unwrap();
        assert!(!run.is_terminal());
    }

    #[test]
    fn string_enum_other_round_trips() {
        let v: RunLifeCycleState = serde_json::from_value(json!("NEW_STATE")).unwrap();
        assert_eq!(v, RunLifeCycleState::Other("NEW_STATE".to_owned()));
        assert_eq!(serde_json::to_value(&v).unwrap(), json!("NEW_STATE"));
        assert_eq!(RunLifeCycleState::from("SKIPPED").to_string(), "SKIPPED");
    }
}
