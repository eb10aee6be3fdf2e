//! Workspace API 2.0 models: [`ObjectInfo`], object types, languages and export formats.

use serde::{Deserialize, Serialize};

use super::jobs::Extra;
use super::open_enum::open_enum;

open_enum! {
    /// Kind of workspace object.
    pub enum ObjectType {
        /// Notebook.
        Notebook = "NOTEBOOK",
        /// Directory.
        Directory = "DIRECTORY",
        /// Workspace file.
        File = "FILE",
        /// Library.
        Library = "LIBRARY",
        /// Git folder.
        Repo = "REPO",
        /// Dashboard.
        Dashboard = "DASHBOARD",
    }
}

open_enum! {
    /// Notebook language.
    pub enum Language {
        /// Python.
        Python = "PYTHON",
        /// SQL.
        Sql = "SQL",
        /// Scala.
        Scala = "SCALA",
        /// R.
        R = "R",
    }
}

open_enum! {
    /// Export / import format.
    pub enum ExportFormat {
        /// Source code (default; directory export skips non-notebooks).
        Source = "SOURCE",
        /// HTML.
        Html = "HTML",
        /// Jupyter notebook.
        Jupyter = "JUPYTER",
        /// Databricks archive (required for directory import).
        Dbc = "DBC",
        /// R Markdown.
        RMarkdown = "R_MARKDOWN",
        /// Chosen by type / extension.
        Auto = "AUTO",
        /// Raw bytes.
        Raw = "RAW",
    }
}

/// A workspace object (`workspace/list`, `workspace/get-status`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ObjectInfo {
    /// Absolute path.
    #[serde(default)]
    pub path: String,
    /// Type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_type: Option<ObjectType>,
    /// Numeric id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<i64>,
    /// Resource id (string form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// Notebook language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    /// Size in bytes (files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    /// Creation time (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// Modification time (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<i64>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ObjectInfo {
    /// Whether this is a directory or Git folder (something `list` can descend into).
    pub fn is_directory(&self) -> bool {
        matches!(
            self.object_type,
            Some(ObjectType::Directory | ObjectType::Repo)
        )
    }
}

/// What to import with `workspace/import`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ImportRequest {
    /// Target path.
    pub path: String,
    /// Raw content (base64-encoded by the client; ≤ 10 MB).
    pub content: Vec<u8>,
    /// Format (`SOURCE` needs `language` for notebooks).
    pub format: Option<ExportFormat>,
    /// Language of a `SOURCE` notebook.
    pub language: Option<Language>,
    /// Overwrite an existing object.
    pub overwrite: bool,
}

impl ImportRequest {
    /// Imports `content` to `path` (format left to the server's default).
    pub fn new(path: impl Into<String>, content: impl Into<Vec<u8>>) -> Self {
        Self {
            path: path.into(),
            content: content.into(),
            format: None,
            language: None,
            overwrite: false,
        }
    }

    /// A `SOURCE` notebook in `language`.
    pub fn notebook(
        path: impl Into<String>,
        language: Language,
        source: impl Into<Vec<u8>>,
    ) -> Self {
        Self::new(path, source)
            .with_format(ExportFormat::Source)
            .with_language(language)
    }

    /// Sets the format.
    pub fn with_format(mut self, format: ExportFormat) -> Self {
        self.format = Some(format);
        self
    }

    /// Sets the language.
    pub fn with_language(mut self, language: Language) -> Self {
        self.language = Some(language);
        self
    }

    /// Overwrites an existing object.
    pub fn with_overwrite(mut self, overwrite: bool) -> Self {
        self.overwrite = overwrite;
        self
    }
}

/// Decoded result of `workspace/export`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ExportedObject {
    /// Decoded content.
    pub content: Vec<u8>,
    /// File type / extension reported by the server (e.g. `py`, `ipynb`), if any.
    pub file_type: Option<String>,
}
