//! Databricks Asset Bundle generation, analysis and validation.
//!
//! This crate will hold the typed `databricks.yml` model, a deterministic YAML writer, generation
//! from jobs and notebooks, a notebook analyzer, an offline validator and workspace operations.
