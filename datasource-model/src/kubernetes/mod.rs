//! The Kubernetes `DataSource` resource from the kagent proposal.
//!
//! A `DataSource` (`kagent.dev/v1alpha1`) names a data platform and the semantic models to
//! expose; its controller checks the connection, discovers the models into
//! `status.availableModels` and generates an MCP tool server for kagent agents. This module holds
//! the IO-free pieces of that controller:
//!
//! - the resource types ([`DataSourceResource`], [`DataSourceSpec`], [`DataSourceStatus`]);
//! - the CustomResourceDefinition ([`crd`], [`crd_yaml`]);
//! - the reconcile step ([`reconcile`](fn@reconcile) against an `Arc<dyn DataSource>`, and its pure core
//!   [`reconcile_discovered`]): validation, conditions, status and the child manifests;
//! - the generated tool-server manifests ([`tool_server_manifests`]) and the Agent `tools`
//!   entry that references them ([`agent_tool_entry`]).
//!
//! These pieces use no Kubernetes client crate: manifests are `serde_json::Value`s a controller
//! (or `kubectl apply`) can send as they are. The controller itself, on kube-rs, is
//! `controller` (feature `controller`).
//!
//! # Generated tool servers
//!
//! | `spec.toolServer.kind` | objects | apiVersion |
//! |---|---|---|
//! | `MCPServer` (default) | MCPServer (+ ConfigMap for file-configured providers) | `kagent.dev/v1alpha1` (kmcp) |
//! | `RemoteMCPServer` | Deployment + Service (streamable HTTP on `/mcp`) + RemoteMCPServer | `kagent.dev/v1alpha2` |
//! | `ToolServer` (legacy, Databricks only) | ToolServer (stdio) | `kagent.dev/v1alpha1` |
//!
//! Databricks runs `databricks-mcp-server --workspace-url=… --catalog=… [--schema=…]
//! [--models=a,b] [--warehouse-id=…] [--genie-space=…] --transport=…`; the other providers run
//! `datasource-mcp-server --config=FILE` with the file in a generated ConfigMap. Credentials
//! are Secret references only: `DATABRICKS_TOKEN`, `SNOWFLAKE_TOKEN`, or a BigQuery key file
//! mounted and named by `GOOGLE_APPLICATION_CREDENTIALS`. A Databricks `DataSource` may use
//! workload identity federation instead (`spec.databricks.workloadIdentity`): no Secret, a
//! projected service-account token the server exchanges with `DATABRICKS_AUTH_TYPE=file-oidc`.

mod children;
#[cfg(feature = "controller")]
#[cfg_attr(docsrs, doc(cfg(feature = "controller")))]
pub mod controller;
mod crd;
mod provider;
mod reconcile;
mod types;
mod validate;

pub use children::{
    API_KEY_ENV, API_KEY_SECRET_KEY, AUTHORIZATION_SECRET_KEY, DATABRICKS_SERVER,
    DATASOURCE_SERVER, DEFAULT_TOOLS, LABEL_DATASOURCE, LABEL_PROVIDER,
    WORKLOAD_IDENTITY_TOKEN_DIR, agent_tool_entry, agent_tool_entry_for, api_key_secret_name,
    tool_server_manifests,
};
pub use crd::{PLURAL, crd, crd_yaml, open_api_v3_schema, yaml_stream};
pub use provider::{PROVIDER_TIMEOUT, reconcile};
pub use reconcile::{
    CONDITION_ACCEPTED, CONDITION_CONNECTED, CONDITION_CREDENTIALS_MAPPED,
    CONDITION_MODELS_RESOLVED, CONDITION_READY, Children, FailureKind, ProviderFailure,
    REASON_WORKLOAD_IDENTITY, ReconcileOutput, reconcile_discovered,
};
pub use types::{
    API_VERSION, AvailableModel, BigQuerySpec, Condition, ConditionStatus,
    DEFAULT_TOKEN_EXPIRATION_SECONDS, DataSourceResource, DataSourceSpec, DataSourceStatus,
    DatabricksSpec, GROUP, GeneratedToolServer, KIND, LocalSpec, LocalTable,
    MIN_TOKEN_EXPIRATION_SECONDS, ObjectMeta, Provider, SecretKeyRef, SemanticModelRef,
    SnowflakeSpec, ToolServerKind, ToolServerOptions, Transport, VERSION, WorkloadIdentity,
    parse_duration,
};
pub use validate::{DEFAULT_IMAGE, SpecError, validate_spec};
