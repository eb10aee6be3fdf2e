//! A typed Databricks REST client (core being written).
