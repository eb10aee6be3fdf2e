//! Databricks Asset Bundle generation, analysis and validation.
//!
//! This crate holds the typed `databricks.yml` model, a deterministic YAML writer, generation
//! from jobs and notebooks, a notebook analyzer, an offline validator and workspace operations.

mod error;
mod files;
mod notebook;
mod render;
mod validate;
mod yaml;

pub use error::{Error, Result};
pub use files::FileTree;
pub use render::to_yaml;
pub use notebook::{
    AnalyzerWarning, Cell, CellKind, Library, LibraryKind, NotebookAnalysis, NotebookCall,
    NotebookFormat, NotebookKind, NotebookLanguage, RunDependency, SecretRef, TableRef,
    WarningKind, Widget, WidgetKind, analyze_notebook, detect_notebook_kind,
};
pub use validate::{Diagnostic, Severity, Validator, validate_bundle};
