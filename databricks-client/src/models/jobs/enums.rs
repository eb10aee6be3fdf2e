//! The string enums of the Jobs API (open: unknown values arrive as `Other`), with their
//! pure state predicates.

use crate::models::open_enum::open_enum;

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

    /// `INTERNAL_ERROR`: the run failed inside Databricks, whatever its result state says.
    pub fn is_internal_error(&self) -> bool {
        matches!(self, Self::InternalError)
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

impl RunStatusState {
    /// `TERMINATED` (see `termination_details` for the outcome).
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Terminated)
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
