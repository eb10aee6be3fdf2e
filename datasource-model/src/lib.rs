//! A provider-agnostic `DataSource` trait for semantic models.
//!
//! This crate will hold the `DataSource` trait (discover semantic models, describe metrics and
//! dimensions, query structurally or in natural language, run SQL), its Databricks, Snowflake,
//! BigQuery and embedded local providers, one conformance suite, and the Kubernetes `DataSource`
//! resource with its reconcile logic.

pub mod kubernetes;
