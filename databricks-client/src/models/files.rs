//! Files API models (`/api/2.0/fs/...`, Unity Catalog volumes and workspace files).

use serde::{Deserialize, Serialize};

use super::jobs::Extra;

/// An entry of a directory listing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DirectoryEntry {
    /// Absolute path.
    #[serde(default)]
    pub path: String,
    /// Last path component.
    #[serde(default)]
    pub name: String,
    /// Directory or file.
    #[serde(default)]
    pub is_directory: bool,
    /// Size in bytes (files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size: Option<i64>,
    /// Last modification (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<i64>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Metadata of a file, from the headers of `HEAD`/`GET /api/2.0/fs/files{path}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileMetadata {
    /// `content-length`.
    pub content_length: Option<u64>,
    /// `content-type`.
    pub content_type: Option<String>,
    /// `last-modified`, as sent (an HTTP date).
    pub last_modified: Option<String>,
}

impl FileMetadata {
    /// `last-modified` parsed as a time, if present and valid.
    pub fn last_modified_time(&self) -> Option<std::time::SystemTime> {
        self.last_modified
            .as_deref()
            .and_then(|s| httpdate::parse_http_date(s).ok())
    }
}
