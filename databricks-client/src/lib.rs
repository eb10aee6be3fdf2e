//! A typed Databricks REST client (core being written).

pub mod models;
