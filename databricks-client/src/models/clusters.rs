//! Clusters API 2.1 models: [`ClusterSpec`] (also used by job clusters), [`ClusterDetails`],
//! [`ClusterState`], node types and Spark versions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::jobs::Extra;
use super::open_enum::open_enum;

open_enum! {
    /// State of a cluster.
    pub enum ClusterState {
        /// Starting.
        Pending = "PENDING",
        /// Running.
        Running = "RUNNING",
        /// Restarting.
        Restarting = "RESTARTING",
        /// Resizing.
        Resizing = "RESIZING",
        /// Stopping.
        Terminating = "TERMINATING",
        /// Stopped.
        Terminated = "TERMINATED",
        /// Failed.
        Error = "ERROR",
        /// Unknown.
        Unknown = "UNKNOWN",
    }
}

/// Pure predicates on a cluster state (kube-runtime `conditions` style): the one place that
/// says what a state means for a waiter such as [`ClustersApi::ensure_running`].
///
/// ```
/// use databricks_client::models::clusters::ClusterState;
///
/// assert!(ClusterState::Running.is_running());
/// assert!(ClusterState::Pending.is_starting());
/// assert!(ClusterState::Terminating.is_stopping());
/// assert!(ClusterState::Terminated.is_stopped() && ClusterState::Terminated.is_terminal());
/// assert!(ClusterState::Error.is_failed() && ClusterState::Error.is_terminal());
/// assert!(!ClusterState::Running.is_terminal());
/// ```
///
/// [`ClustersApi::ensure_running`]: crate::api::ClustersApi::ensure_running
impl ClusterState {
    /// `RUNNING`: ready for commands.
    pub fn is_running(&self) -> bool {
        matches!(self, Self::Running)
    }

    /// On its way to `RUNNING` without a new request: `PENDING`, `RESTARTING` or `RESIZING`
    /// (a resizing cluster runs, but may not accept work until the resize settles).
    pub fn is_starting(&self) -> bool {
        matches!(self, Self::Pending | Self::Restarting | Self::Resizing)
    }

    /// `TERMINATING`: on its way to `TERMINATED`.
    pub fn is_stopping(&self) -> bool {
        matches!(self, Self::Terminating)
    }

    /// `TERMINATED`: stopped, can be started again.
    pub fn is_stopped(&self) -> bool {
        matches!(self, Self::Terminated)
    }

    /// `ERROR`, `UNKNOWN` or a state this crate does not know: nothing to wait for.
    pub fn is_failed(&self) -> bool {
        matches!(self, Self::Error | Self::Unknown | Self::Other(_))
    }

    /// Settled: the state does not change without a new request (stopped or failed).
    pub fn is_terminal(&self) -> bool {
        self.is_stopped() || self.is_failed()
    }
}

open_enum! {
    /// Data security (access) mode of a cluster.
    pub enum DataSecurityMode {
        /// No isolation.
        None = "NONE",
        /// Single user (dedicated).
        SingleUser = "SINGLE_USER",
        /// Shared (standard).
        UserIsolation = "USER_ISOLATION",
        /// Legacy table ACL.
        LegacyTableAcl = "LEGACY_TABLE_ACL",
        /// Legacy credential passthrough.
        LegacyPassthrough = "LEGACY_PASSTHROUGH",
        /// Legacy single user.
        LegacySingleUser = "LEGACY_SINGLE_USER",
        /// Legacy single user, standard.
        LegacySingleUserStandard = "LEGACY_SINGLE_USER_STANDARD",
        /// Standard (new name of shared).
        Standard = "DATA_SECURITY_MODE_STANDARD",
        /// Dedicated (new name of single user).
        Dedicated = "DATA_SECURITY_MODE_DEDICATED",
        /// Chosen automatically.
        Auto = "DATA_SECURITY_MODE_AUTO",
    }
}

open_enum! {
    /// Runtime engine.
    pub enum RuntimeEngine {
        /// Unset.
        Null = "NULL",
        /// Standard Spark.
        Standard = "STANDARD",
        /// Photon.
        Photon = "PHOTON",
    }
}

/// Autoscaling range.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AutoScale {
    /// Minimum workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_workers: Option<i64>,
    /// Maximum workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_workers: Option<i64>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl AutoScale {
    /// A range of workers.
    pub fn new(min_workers: i64, max_workers: i64) -> Self {
        Self {
            min_workers: Some(min_workers),
            max_workers: Some(max_workers),
            extra: Extra::new(),
        }
    }
}

/// The specification of a cluster (job `new_cluster`, `job_clusters[].new_cluster`, cluster
/// create/edit). Unknown fields — cloud attributes, init scripts, log conf, … — are kept in
/// [`extra`](Self::extra).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClusterSpec {
    /// Cluster name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    /// Databricks Runtime version key (e.g. `15.4.x-scala2.12`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_version: Option<String>,
    /// Worker node type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_type_id: Option<String>,
    /// Driver node type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_node_type_id: Option<String>,
    /// Fixed number of workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_workers: Option<i64>,
    /// Autoscaling range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<AutoScale>,
    /// Auto-termination after this many idle minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autotermination_minutes: Option<i64>,
    /// Spark configuration.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub spark_conf: BTreeMap<String, String>,
    /// Environment variables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub spark_env_vars: BTreeMap<String, String>,
    /// Custom tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_tags: BTreeMap<String, String>,
    /// Access mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_security_mode: Option<DataSecurityMode>,
    /// Single user of a dedicated cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_user_name: Option<String>,
    /// Cluster policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
    /// Apply the policy's default values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_policy_default_values: Option<bool>,
    /// Instance pool for workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_pool_id: Option<String>,
    /// Instance pool for the driver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_instance_pool_id: Option<String>,
    /// Runtime engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_engine: Option<RuntimeEngine>,
    /// Cluster kind (`CLASSIC_PREVIEW`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Single-node cluster (with `kind`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_single_node: Option<bool>,
    /// ML runtime (with `kind`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_ml_runtime: Option<bool>,
    /// Autoscaling local storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_elastic_disk: Option<bool>,
    /// Unknown fields (`aws_attributes`, `init_scripts`, `cluster_log_conf`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

impl ClusterSpec {
    /// A spec with runtime version, node type and a fixed worker count.
    pub fn new(
        spark_version: impl Into<String>,
        node_type_id: impl Into<String>,
        num_workers: i64,
    ) -> Self {
        Self {
            spark_version: Some(spark_version.into()),
            node_type_id: Some(node_type_id.into()),
            num_workers: Some(num_workers),
            ..Self::default()
        }
    }

    /// Uses autoscaling instead of a fixed worker count.
    pub fn with_autoscale(mut self, min_workers: i64, max_workers: i64) -> Self {
        self.num_workers = None;
        self.autoscale = Some(AutoScale::new(min_workers, max_workers));
        self
    }

    /// Sets a Spark configuration entry.
    pub fn with_spark_conf(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.spark_conf.insert(key.into(), value.into());
        self
    }

    /// Sets a custom tag.
    pub fn with_custom_tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.custom_tags.insert(key.into(), value.into());
        self
    }

    /// Sets the access mode.
    pub fn with_data_security_mode(mut self, mode: DataSecurityMode) -> Self {
        self.data_security_mode = Some(mode);
        self
    }

    /// Sets the cluster policy.
    pub fn with_policy_id(mut self, policy_id: impl Into<String>) -> Self {
        self.policy_id = Some(policy_id.into());
        self
    }
}

/// Why a cluster terminated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TerminationReason {
    /// Code (e.g. `INACTIVITY`, `USER_REQUEST`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Type (`SUCCESS`, `CLIENT_ERROR`, `SERVICE_FAULT`, `CLOUD_FAILURE`).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Parameters.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A cluster as returned by `clusters/get` and `clusters/list`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClusterDetails {
    /// Cluster id.
    #[serde(default)]
    pub cluster_id: String,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    /// State.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ClusterState>,
    /// State message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_message: Option<String>,
    /// Runtime version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_version: Option<String>,
    /// Worker node type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_type_id: Option<String>,
    /// Driver node type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_node_type_id: Option<String>,
    /// Workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_workers: Option<i64>,
    /// Autoscaling range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<AutoScale>,
    /// Auto-termination minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autotermination_minutes: Option<i64>,
    /// Who created it: `API`, `JOB`, `UI`, `PIPELINE`, `SQL`, ….
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_source: Option<String>,
    /// Creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_user_name: Option<String>,
    /// Access mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_security_mode: Option<DataSecurityMode>,
    /// Single user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_user_name: Option<String>,
    /// Start time (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    /// Termination time (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminated_time: Option<i64>,
    /// Last restart (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_restarted_time: Option<i64>,
    /// Why it terminated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_reason: Option<TerminationReason>,
    /// Spark context id (changes on restart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_context_id: Option<i64>,
    /// Tags Databricks adds.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub default_tags: BTreeMap<String, String>,
    /// Custom tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_tags: BTreeMap<String, String>,
    /// Policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
    /// Kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Single node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_single_node: Option<bool>,
    /// JDBC port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jdbc_port: Option<i64>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Filters of `clusters/list`; serialises to its query string (filters as `filter_by.*`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ListClustersRequest {
    /// Only clusters in these states.
    #[serde(
        rename = "filter_by.cluster_states",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub cluster_states: Vec<ClusterState>,
    /// Only clusters from these sources (`API`, `JOB`, `UI`, …).
    #[serde(
        rename = "filter_by.cluster_sources",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub cluster_sources: Vec<String>,
    /// Only pinned (or unpinned) clusters.
    #[serde(
        rename = "filter_by.is_pinned",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_pinned: Option<bool>,
    /// Only clusters using this policy.
    #[serde(
        rename = "filter_by.policy_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub policy_id: Option<String>,
    /// Page size (the server may cap it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
}

impl ListClustersRequest {
    /// No filters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a state filter.
    pub fn with_state(mut self, state: ClusterState) -> Self {
        self.cluster_states.push(state);
        self
    }

    /// Adds a source filter.
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.cluster_sources.push(source.into());
        self
    }

    /// Filters on pinned clusters.
    pub fn with_pinned(mut self, pinned: bool) -> Self {
        self.is_pinned = Some(pinned);
        self
    }

    /// Filters on a policy.
    pub fn with_policy_id(mut self, policy_id: impl Into<String>) -> Self {
        self.policy_id = Some(policy_id.into());
        self
    }

    /// Sets the page size.
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = Some(page_size);
        self
    }
}

/// A node type (`clusters/list-node-types`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NodeType {
    /// Node type id.
    #[serde(default)]
    pub node_type_id: String,
    /// Memory in MB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<i64>,
    /// Cores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_cores: Option<f64>,
    /// GPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_gpus: Option<i64>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Instance type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type_id: Option<String>,
    /// Deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_deprecated: Option<bool>,
    /// Category (`General Purpose`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A Databricks Runtime version (`clusters/spark-versions`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SparkVersion {
    /// Key used as `spark_version`.
    #[serde(default)]
    pub key: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cluster_spec_round_trip() {
        let original = json!({
            "spark_version": "15.4.x-scala2.12",
            "node_type_id": "Standard_DS3_v2",
            "num_workers": 0,
            "spark_conf": {"spark.master": "local[*]"},
            "azure_attributes": {"availability": "ON_DEMAND_AZURE"},
            "cluster_log_conf": {"dbfs": {"destination": "dbfs:/logs"}},
            "data_security_mode": "DATA_SECURITY_MODE_DEDICATED",
            "some_future_field": [1, 2]
        });
        let spec: ClusterSpec = serde_json::from_value(original.clone()).unwrap();
        assert_eq!(spec.num_workers, Some(0));
        assert_eq!(spec.data_security_mode, Some(DataSecurityMode::Dedicated));
        assert_eq!(serde_json::to_value(&spec).unwrap(), original);
    }

    #[test]
    fn builder() {
        let spec = ClusterSpec::new("15.4.x-scala2.12", "i3.xlarge", 2).with_autoscale(1, 3);
        assert_eq!(
            serde_json::to_value(&spec).unwrap(),
            json!({"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "autoscale": {"min_workers": 1, "max_workers": 3}})
        );
    }
}
