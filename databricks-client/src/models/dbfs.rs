//! DBFS API 2.0 models.

use serde::{Deserialize, Serialize};

use super::jobs::Extra;

/// A DBFS file or directory (`dbfs/list`, `dbfs/get-status`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FileInfo {
    /// Absolute path (`/tmp/x`).
    #[serde(default)]
    pub path: String,
    /// Directory or not.
    #[serde(default)]
    pub is_dir: bool,
    /// Size in bytes.
    #[serde(default)]
    pub file_size: i64,
    /// Modification time (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modification_time: Option<i64>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}
