#![doc = include_str!("../README.md")]
//!
//! # Overview
//!
//! - **Model** ([`Bundle`], [`Job`], [`Target`], [`Variable`], …): typed `databricks.yml`; jobs
//!   use the client's [`JobSettings`]; other resource kinds stay opaque; unknown fields are kept.
//! - **Writer** ([`write_bundle`], [`render_bundle`], [`to_yaml`]): deterministic YAML in the CLI's
//!   key order and layout (`databricks.yml`, `resources/<key>.job.yml`, `src/…`), into an
//!   in-memory [`FileTree`]; ambiguous scalars (`yes`, `on`, `1_000`, dates) are quoted.
//! - **Generation**: [`JobImport`] (job settings → bundle, notebooks into `src/`, ids lifted into
//!   variables, `dev`/`prod` targets), [`bundle_from_notebooks`], [`scaffold_notebook_tests`].
//! - **Analysis** ([`analyze_notebook`]): cells, widgets, `%run`, `%pip`, tables, secrets, warnings
//!   for Python, SQL, Scala and R source notebooks and `.ipynb`.
//! - **Validation** ([`Validator`]): the offline checks of `databricks bundle validate`, with file,
//!   line, YAML path and a fix hint per [`Diagnostic`]; optionally driven by the official schema.
//! - **Workspace operations** (feature `workspace`, on by default): [`generate_from_job`],
//!   [`generate_from_workspace_notebooks`], [`upload_bundle`], [`sync_to_local`]; and
//!   [`BundleCli`] to run `databricks bundle validate|deploy|run|destroy`.
//!
//! Everything except the workspace operations and [`BundleCli`] is IO-free: callers read and
//! write files ([`FileTree::read_from`], [`FileTree::write_to`]).
#![cfg_attr(docsrs, feature(doc_cfg))]

mod cli;
mod confined;
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
pub use confined::{ConfinedRoot, PathError, check_relative};
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
