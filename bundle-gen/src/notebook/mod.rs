//! Notebook analysis: cells, widgets, dependencies, libraries, tables, secrets and warnings.
//!
//! Everything here is IO-free: callers pass the notebook's path (used for language detection by
//! extension and for resolving relative `%run` paths) and its text.

mod cells;
mod extract;
mod sql;

use std::collections::BTreeMap;

use serde::Serialize;

pub use cells::{NotebookKind, detect_notebook_kind};

/// Language of a notebook (the default language of its cells).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum NotebookLanguage {
    /// Python (`.py`, `# Databricks notebook source`).
    Python,
    /// SQL (`.sql`, `-- Databricks notebook source`).
    Sql,
    /// Scala (`.scala`, `// Databricks notebook source`).
    Scala,
    /// R (`.r`, `# Databricks notebook source`).
    R,
}

impl NotebookLanguage {
    /// The file extension (without dot) used for source notebooks of this language.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Python => "py",
            Self::Sql => "sql",
            Self::Scala => "scala",
            Self::R => "r",
        }
    }

    /// The line comment prefix of this language (`#`, `--`, `//`).
    pub fn comment_prefix(self) -> &'static str {
        match self {
            Self::Python | Self::R => "#",
            Self::Sql => "--",
            Self::Scala => "//",
        }
    }

    /// The Workspace API language name (`PYTHON`, `SQL`, `SCALA`, `R`).
    pub fn api_name(self) -> &'static str {
        match self {
            Self::Python => "PYTHON",
            Self::Sql => "SQL",
            Self::Scala => "SCALA",
            Self::R => "R",
        }
    }

    /// Parses the Workspace API language names (`PYTHON`, `SQL`, `SCALA`, `R`), case-insensitive.
    pub fn from_api_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "python" => Some(Self::Python),
            "sql" => Some(Self::Sql),
            "scala" => Some(Self::Scala),
            "r" => Some(Self::R),
            _ => None,
        }
    }
}

/// The on-disk format of a notebook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NotebookFormat {
    /// Databricks source format (comment header, `COMMAND` separators, `MAGIC` lines).
    Source,
    /// Jupyter `.ipynb` JSON.
    Jupyter,
    /// A plain source file without the notebook header (analysed as one cell).
    PlainFile,
}

/// The language or magic of one cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CellKind {
    /// Code in one of the notebook languages.
    Code(NotebookLanguage),
    /// `%md` / `%md-sandbox` or a Jupyter markdown cell.
    Markdown,
    /// `%sh` shell commands.
    Shell,
    /// `%fs` DBFS commands.
    Fs,
    /// `%run <path>`.
    Run,
    /// `%pip ...`.
    Pip,
    /// `%conda ...` (legacy).
    Conda,
    /// Any other `%magic`.
    Other(String),
}

/// One notebook cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Cell {
    /// Zero-based index of the cell.
    pub index: usize,
    /// What the cell contains.
    pub kind: CellKind,
    /// The `DBTITLE` (source) or Databricks cell title (ipynb), if any.
    pub title: Option<String>,
    /// The cell's code with `MAGIC` prefixes and the language magic line removed.
    pub source: String,
    /// 1-based line in the file where the cell's code starts (for `.ipynb`: 0).
    pub line: usize,
}

/// Kind of a notebook widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WidgetKind {
    /// Free text.
    Text,
    /// Drop-down list.
    Dropdown,
    /// Combo box.
    Combobox,
    /// Multi-select.
    Multiselect,
    /// Only read (`dbutils.widgets.get`, `getArgument`, `:param`), never created.
    Read,
}

/// A widget (notebook parameter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Widget {
    /// Widget name (becomes a job/task parameter name).
    pub name: String,
    /// Widget kind.
    pub kind: WidgetKind,
    /// Default value, when created with one.
    pub default: Option<String>,
    /// Choices of a dropdown/combobox/multiselect.
    pub choices: Vec<String>,
    /// Label, when given.
    pub label: Option<String>,
}

/// A `%run` dependency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RunDependency {
    /// The path exactly as written after `%run`.
    pub raw: String,
    /// The path resolved against the notebook's folder (no extension, `.`/`..` removed).
    pub resolved: String,
    /// `$name="value"` arguments.
    pub arguments: BTreeMap<String, String>,
    /// Index of the cell.
    pub cell: usize,
}

/// A `dbutils.notebook.run(...)` call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NotebookCall {
    /// The path literal as written.
    pub raw: String,
    /// The path resolved against the notebook's folder.
    pub resolved: String,
    /// Index of the cell.
    pub cell: usize,
}

/// Kind of a library requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LibraryKind {
    /// A pip requirement spec (`pkg==1.2`, a wheel path or URL).
    Pip,
    /// `-r requirements.txt`.
    Requirements,
    /// `-e path` / `--editable path`.
    Editable,
    /// A `%conda install` package.
    Conda,
}

/// A library the notebook installs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[non_exhaustive]
pub struct Library {
    /// What kind of requirement this is.
    pub kind: LibraryKind,
    /// The requirement text (spec or path).
    pub spec: String,
}

/// A table the notebook reads or writes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[non_exhaustive]
pub struct TableRef {
    /// Table name as written (qualified with `USE CATALOG`/`USE SCHEMA` context when known).
    pub name: String,
    /// True when the name is built from a template (`{catalog}`, `${x}`, `:x`, `IDENTIFIER`).
    pub templated: bool,
}

/// A secret used by the notebook (names only; values are never read).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[non_exhaustive]
pub struct SecretRef {
    /// Secret scope.
    pub scope: String,
    /// Secret key.
    pub key: String,
}

/// Kind of an analyzer warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WarningKind {
    /// A hard-coded `/Workspace`, `/Users`, `/Repos` or `dbfs:/` path.
    HardCodedPath,
    /// Something that looks like a credential in the source.
    CredentialInSource,
    /// The file could not be fully parsed.
    Parse,
}

/// A problem the analyzer noticed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AnalyzerWarning {
    /// Kind of the warning.
    pub kind: WarningKind,
    /// Cell index.
    pub cell: usize,
    /// 1-based line in the file (for `.ipynb`, the line inside the cell).
    pub line: usize,
    /// Human-readable message (never contains the credential itself).
    pub message: String,
}

/// What a notebook contains and needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NotebookAnalysis {
    /// Default language.
    pub language: NotebookLanguage,
    /// File format.
    pub format: NotebookFormat,
    /// Cells in order.
    pub cells: Vec<Cell>,
    /// Widgets, by first appearance; created widgets carry defaults.
    pub widgets: Vec<Widget>,
    /// `%run` dependencies in order.
    pub runs: Vec<RunDependency>,
    /// `dbutils.notebook.run` calls.
    pub notebook_calls: Vec<NotebookCall>,
    /// Arguments of `dbutils.notebook.exit(...)` as written.
    pub exit_values: Vec<String>,
    /// Libraries from `%pip`/`%conda` and ipynb environment metadata (deduplicated, in order).
    pub libraries: Vec<Library>,
    /// Tables read.
    pub tables_read: Vec<TableRef>,
    /// Tables written.
    pub tables_written: Vec<TableRef>,
    /// Secrets used.
    pub secrets: Vec<SecretRef>,
    /// Task values set with `dbutils.jobs.taskValues.set(key=...)`.
    pub task_values_set: Vec<String>,
    /// Serverless environment version from ipynb metadata, when present.
    pub environment_version: Option<String>,
    /// Warnings.
    pub warnings: Vec<AnalyzerWarning>,
}

impl NotebookAnalysis {
    /// Widgets as job parameters: `(name, default)` with an empty default when none is known.
    pub fn parameters(&self) -> Vec<(String, String)> {
        self.widgets
            .iter()
            .map(|w| (w.name.clone(), w.default.clone().unwrap_or_default()))
            .collect()
    }
}

/// Analyzes a notebook given its path and text.
///
/// The path decides the format (`.ipynb` → Jupyter) and the language when the header is
/// ambiguous (`.r` vs `.py`); it is also the base for resolving relative `%run` paths. A file
/// without the Databricks header is analysed as one cell of the extension's language
/// ([`NotebookFormat::PlainFile`]). Never panics; malformed `.ipynb` is reported as a
/// [`WarningKind::Parse`] warning with whatever could be read.
///
/// ```
/// use bundle_gen::{analyze_notebook, NotebookLanguage};
/// let src = [
///     "# Databricks notebook source",
///     "dbutils.widgets.text(\"catalog\", \"main\")",
///     "# COMMAND ----------",
///     "# MAGIC %run ./common/setup",
/// ]
/// .join("\n");
/// let a = analyze_notebook("/Users/me/etl/ingest.py", &src);
/// assert_eq!(a.language, NotebookLanguage::Python);
/// assert_eq!(a.widgets[0].default.as_deref(), Some("main"));
/// assert_eq!(a.runs[0].resolved, "/Users/me/etl/common/setup");
/// ```
pub fn analyze_notebook(path: &str, content: &str) -> NotebookAnalysis {
    let parsed = cells::split(path, content);
    let mut analysis = NotebookAnalysis {
        language: parsed.language,
        format: parsed.format,
        cells: parsed.cells,
        widgets: Vec::new(),
        runs: Vec::new(),
        notebook_calls: Vec::new(),
        exit_values: Vec::new(),
        libraries: Vec::new(),
        tables_read: Vec::new(),
        tables_written: Vec::new(),
        secrets: Vec::new(),
        task_values_set: Vec::new(),
        environment_version: parsed.environment_version,
        warnings: parsed.warnings,
    };
    for w in parsed.widgets {
        extract::push_widget(&mut analysis.widgets, w);
    }
    for lib in parsed.libraries {
        extract::push_unique(&mut analysis.libraries, lib);
    }
    extract::analyze_cells(path, &mut analysis);
    analysis
}

/// Resolves `rel` against the folder of `notebook_path` (both with `/` separators), removing
/// `.` and `..` segments. Absolute `rel` paths are only normalised.
pub(crate) fn resolve_relative(notebook_path: &str, rel: &str) -> String {
    let rel = rel.trim();
    let joined = if rel.starts_with('/') {
        rel.to_string()
    } else {
        let dir = match notebook_path.rfind('/') {
            Some(i) => &notebook_path[..i],
            None => "",
        };
        if dir.is_empty() && !notebook_path.starts_with('/') {
            rel.to_string()
        } else {
            format!("{dir}/{rel}")
        }
    };
    normalize_path(&joined)
}

/// Removes `.` and `..` segments; keeps a leading `/`; leading `..` of relative paths stay.
pub(crate) fn normalize_path(p: &str) -> String {
    let absolute = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if matches!(out.last(), Some(s) if *s != "..") {
                    out.pop();
                } else if !absolute {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_paths() {
        assert_eq!(resolve_relative("/Users/a/x/nb", "./y"), "/Users/a/x/y");
        assert_eq!(resolve_relative("/Users/a/x/nb", "../c/d"), "/Users/a/c/d");
        assert_eq!(resolve_relative("/Users/a/x/nb", "/Shared/z"), "/Shared/z");
        assert_eq!(resolve_relative("src/etl/nb.py", "../lib/h"), "src/lib/h");
        assert_eq!(resolve_relative("nb.py", "./h"), "h");
        assert_eq!(resolve_relative("nb.py", "../h"), "../h");
    }
}
