//! Offline bundle validation: the checks of `databricks bundle validate` that need no
//! workspace (dab notes §4.4), with positions for every finding.

mod checks;
pub(crate) use checks::sanitize_key;
mod refs;
mod schema;

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::files::FileTree;

/// How serious a finding is (the CLI's three levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Severity {
    /// Deploy would fail.
    Error,
    /// Deploy would proceed but something is ignored or likely wrong.
    Warning,
    /// A best practice.
    Recommendation,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Recommendation => "recommendation",
        })
    }
}

/// One validator finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Diagnostic {
    /// Severity.
    pub severity: Severity,
    /// Bundle-relative file the finding is in.
    pub file: String,
    /// YAML path, e.g. `resources.jobs.etl.tasks[0].notebook_task.notebook_path`.
    pub path: String,
    /// 1-based line (0 when the finding is about a missing file).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// True for [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.severity, self.message)?;
        write!(
            f,
            "\n  at {} ({}:{}:{})",
            if self.path.is_empty() {
                "<root>"
            } else {
                &self.path
            },
            self.file,
            self.line,
            self.column
        )?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// Validates bundles held in a [`FileTree`].
///
/// Without a schema, unknown fields, required fields and enums are checked from a built-in
/// table covering the top level, bundle, workspace, variables, targets, jobs and tasks. With
/// the official JSON schema (`databricks bundle schema`) those checks cover every field.
///
/// ```
/// use bundle_gen::{FileTree, Validator, Severity};
/// let tree = FileTree::new().with_file(
///     "databricks.yml",
///     "bundle:\n  name: demo\nresources:\n  jobs:\n    etl:\n      name: etl\n      tasks:\n        - task_key: a\n          depends_on:\n            - task_key: missing\n          notebook_task:\n            notebook_path: ./nb.py\n",
/// );
/// let diags = Validator::new().validate(&tree);
/// assert!(diags.iter().any(|d| d.severity == Severity::Error && d.line == 10));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Validator {
    schema: Option<Value>,
}

impl Validator {
    /// A validator with the built-in field tables.
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses the official bundle JSON schema for unknown-field, required and enum checks.
    pub fn with_schema(mut self, schema: Value) -> Self {
        self.schema = Some(schema);
        self
    }

    /// Validates the bundle rooted at the top of `tree`. Never panics; diagnostics are sorted
    /// by file, line and column.
    pub fn validate(&self, tree: &FileTree) -> Vec<Diagnostic> {
        let mut diags = checks::run(tree, self.schema.as_ref());
        diags.sort_by(|a, b| {
            (a.file.as_str(), a.line, a.column, a.severity).cmp(&(
                b.file.as_str(),
                b.line,
                b.column,
                b.severity,
            ))
        });
        diags.dedup();
        diags
    }

    /// Validates one YAML document as if it were the bundle's `databricks.yml` (path and
    /// include checks see only this file).
    pub fn validate_yaml(&self, yaml: &str) -> Vec<Diagnostic> {
        self.validate(&FileTree::new().with_file("databricks.yml", yaml))
    }
}

/// Validates with the built-in tables; shorthand for `Validator::new().validate(tree)`.
pub fn validate_bundle(tree: &FileTree) -> Vec<Diagnostic> {
    Validator::new().validate(tree)
}
