//! Thin MCP tool adapters over `databricks-client`, `datasource-model` and `bundle-gen`.
//!
//! This crate will hold an SDK-independent tool registry, the DataSource, workspace, bundle and
//! platform toolsets, and an rmcp adapter that downstream binaries compose into MCP servers.
