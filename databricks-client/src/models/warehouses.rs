//! SQL warehouse models (notes §4.7).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::open_enum::open_enum;
use super::statements::opt_lenient_i64;

open_enum! {
    /// `state` of a SQL warehouse.
    pub enum WarehouseState {
        /// Starting.
        Starting = "STARTING",
        /// Running and accepting statements.
        Running = "RUNNING",
        /// Stopping.
        Stopping = "STOPPING",
        /// Stopped (statements auto-start it).
        Stopped = "STOPPED",
        /// Being deleted.
        Deleting = "DELETING",
        /// Deleted.
        Deleted = "DELETED",
    }
}

/// A SQL warehouse (`EndpointInfo`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WarehouseInfo {
    /// Warehouse id.
    #[serde(default)]
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Current state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<WarehouseState>,
    /// T-shirt size (`2X-Small`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_size: Option<String>,
    /// Minimum clusters.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub min_num_clusters: Option<i64>,
    /// Maximum clusters.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_num_clusters: Option<i64>,
    /// Current clusters.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub num_clusters: Option<i64>,
    /// Active sessions.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub num_active_sessions: Option<i64>,
    /// Auto-stop after this many idle minutes (0 = never).
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub auto_stop_mins: Option<i64>,
    /// Serverless flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_serverless_compute: Option<bool>,
    /// Photon flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_photon: Option<bool>,
    /// `PRO`, `CLASSIC`, … (kept as text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warehouse_type: Option<String>,
    /// Creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_name: Option<String>,
    /// Health report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<WarehouseHealth>,
    /// ODBC connection parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub odbc_params: Option<OdbcParams>,
    /// JDBC URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jdbc_url: Option<String>,
    /// Other fields (`channel`, `tags`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `health` of a warehouse.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WarehouseHealth {
    /// `HEALTHY`, `DEGRADED`, `FAILED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Failure reason, kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<Value>,
}

/// `odbc_params` of a warehouse.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OdbcParams {
    /// Host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// HTTP path (`/sql/1.0/warehouses/<id>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Port.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub port: Option<i64>,
    /// Protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}

/// Body of `POST /api/2.0/sql/warehouses` (and `…/{id}/edit`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreateWarehouse {
    /// Display name.
    pub name: String,
    /// T-shirt size (`2X-Small`, `Small`, …).
    pub cluster_size: String,
    /// Minimum clusters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_num_clusters: Option<i64>,
    /// Maximum clusters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_num_clusters: Option<i64>,
    /// Auto-stop minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_stop_mins: Option<i64>,
    /// Serverless flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_serverless_compute: Option<bool>,
    /// `PRO` or `CLASSIC`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warehouse_type: Option<String>,
    /// Other fields (`channel`, `tags`, `spot_instance_policy`, …).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl CreateWarehouse {
    /// A warehouse `name` of size `cluster_size`.
    pub fn new(name: impl Into<String>, cluster_size: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            cluster_size: cluster_size.into(),
            ..Self::default()
        }
    }
    /// Sets auto-stop minutes.
    #[must_use]
    pub fn with_auto_stop_mins(mut self, mins: i64) -> Self {
        self.auto_stop_mins = Some(mins);
        self
    }
    /// Makes it serverless (`PRO` + `enable_serverless_compute`).
    #[must_use]
    pub fn serverless(mut self) -> Self {
        self.enable_serverless_compute = Some(true);
        self.warehouse_type = Some("PRO".to_owned());
        self
    }
}
