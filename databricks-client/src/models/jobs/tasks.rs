//! [`Task`], its task types and the libraries a task installs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::models::clusters::ClusterSpec;

use super::{
    ConditionOp, EmailNotifications, Extra, HealthRules, NotificationSettings, RunIf, Source,
    WebhookNotifications,
};

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
