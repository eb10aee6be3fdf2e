//! Databricks Asset Bundle generation, analysis and validation.
//!
//! This crate holds the typed `databricks.yml` model, a deterministic YAML writer, generation
//! from jobs and notebooks, a notebook analyzer, an offline validator and workspace operations.

mod cli;
mod error;
mod files;
mod generate;
mod layout;
mod model;
mod notebook;
mod render;
mod validate;
#[cfg(feature = "workspace")]
mod workspace;
mod yaml;

pub use cli::{BundleCli, BundleCommand, OutputLine};
pub use error::{Error, Result};
pub use files::FileTree;
pub use generate::{
    Compute, GeneratedBundle, JobImport, JobImportOptions, NotebookFile, NotebooksOptions,
    ScaffoldOutput, SourceKind, SourceRef, bundle_from_notebooks, scaffold_notebook_tests,
};
pub use layout::{RESOURCES_GLOB, load_bundle, parse_bundle, render_bundle, write_bundle};
pub use model::{
    Bundle, BundleInfo, Extra, Job, JobSettings, Permission, Presets, Resources, RunAs, SyncConfig,
    Target, TargetMode, Variable, VariableType, Workspace,
};
pub use notebook::{
    AnalyzerWarning, Cell, CellKind, Library, LibraryKind, NotebookAnalysis, NotebookCall,
    NotebookFormat, NotebookKind, NotebookLanguage, RunDependency, SecretRef, TableRef,
    WarningKind, Widget, WidgetKind, analyze_notebook, detect_notebook_kind,
};
pub use render::to_yaml;
pub use validate::{Diagnostic, Severity, Validator, validate_bundle};
#[cfg(feature = "workspace")]
pub use workspace::{
    SYNC_STATE_FILE, SyncReport, UploadReport, fetch_job, generate_from_job,
    generate_from_workspace_notebooks, sync_to_local, upload_bundle,
};
