//! Bundle generation from jobs and from notebooks (IO-free; callers supply file contents).

mod job;
mod notebooks;
mod scaffold;

use crate::files::FileTree;
use crate::model::{Bundle, Target, TargetMode, Workspace};
use crate::notebook::{NotebookKind, NotebookLanguage, detect_notebook_kind};
use crate::validate::{Diagnostic, Validator};

pub use job::{JobImport, JobImportOptions, SourceKind, SourceRef};
pub use notebooks::{Compute, NotebookFile, NotebooksOptions, bundle_from_notebooks};
pub use scaffold::{ScaffoldOutput, scaffold_notebook_tests};

/// A generated bundle: the model, every file to write, and notes for the user.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GeneratedBundle {
    /// The bundle model.
    pub bundle: Bundle,
    /// All files: `databricks.yml`, `resources/*.yml` and `src/...`.
    pub files: FileTree,
    /// Things the user should know (dropped fields, missing downloads, …).
    pub warnings: Vec<String>,
}

impl GeneratedBundle {
    /// Runs the offline validator over the generated files.
    pub fn validate(&self) -> Vec<Diagnostic> {
        Validator::new().validate(&self.files)
    }
}

/// Root path for production deployments (shared per deploying identity).
pub(crate) const PROD_ROOT_PATH: &str =
    "/Workspace/Users/${workspace.current_user.userName}/.bundle/${bundle.name}/${bundle.target}";

/// `dev` (development, default) and `prod` (production) targets.
pub(crate) fn default_targets(host: Option<&str>) -> Vec<(String, Target)> {
    let ws = |root: Option<&str>| Workspace {
        host: host.map(str::to_string),
        root_path: root.map(str::to_string),
        ..Workspace::default()
    };
    let mut dev = Target::new(TargetMode::Development).with_default(true);
    if host.is_some() {
        dev = dev.with_workspace(ws(None));
    }
    let prod = Target::new(TargetMode::Production).with_workspace(ws(Some(PROD_ROOT_PATH)));
    vec![("dev".to_string(), dev), ("prod".to_string(), prod)]
}

/// File extension for an exported notebook.
pub(crate) fn source_extension(content: &str, language: Option<NotebookLanguage>) -> &'static str {
    if content.trim_start().starts_with('{') && detect_notebook_kind("x.ipynb", content).is_some() {
        return "ipynb";
    }
    if let Some(l) = language {
        return l.extension();
    }
    let first = content.lines().next().unwrap_or("").trim();
    for ext in ["py", "sql", "scala"] {
        if let Some(NotebookKind::Source(l)) = detect_notebook_kind(&format!("x.{ext}"), first) {
            return l.extension();
        }
    }
    "py"
}
