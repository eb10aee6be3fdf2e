//! The `DataSource` custom resource: spec, status and the small slice of Kubernetes object
//! metadata the reconciler needs.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// API group of the `DataSource` resource (the proposal's `kagent.dev`).
pub const GROUP: &str = "kagent.dev";
/// Served and stored version of the `DataSource` resource.
pub const VERSION: &str = "v1alpha1";
/// `apiVersion` of the `DataSource` resource.
pub const API_VERSION: &str = "kagent.dev/v1alpha1";
/// `kind` of the `DataSource` resource.
pub const KIND: &str = "DataSource";

/// The parts of Kubernetes `ObjectMeta` the reconciler reads and writes.
///
/// Every other field (`managedFields`, `finalizers`, …) is kept in [`ObjectMeta::extra`] so a
/// resource read from the cluster round-trips unchanged.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ObjectMeta {
    /// Object name, unique within the namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Namespace; `default` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Unique id assigned by the API server; children reference it in `ownerReferences`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// Spec generation, incremented by the API server on every spec change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    /// Labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Every other metadata field, kept as read.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ObjectMeta {
    /// Metadata with a name and a namespace.
    pub fn new(name: impl Into<String>, namespace: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            namespace: Some(namespace.into()),
            ..Self::default()
        }
    }

    /// Sets the uid.
    #[must_use]
    pub fn with_uid(mut self, uid: impl Into<String>) -> Self {
        self.uid = Some(uid.into());
        self
    }

    /// Sets the generation.
    #[must_use]
    pub fn with_generation(mut self, generation: i64) -> Self {
        self.generation = Some(generation);
        self
    }
}

/// A `DataSource` object (`kagent.dev/v1alpha1`, kind `DataSource`).
///
/// Named `DataSourceResource` so it does not collide with the crate's `DataSource` trait.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DataSourceResource {
    /// Always `kagent.dev/v1alpha1`.
    #[serde(default = "default_api_version")]
    pub api_version: String,
    /// Always `DataSource`.
    #[serde(default = "default_kind")]
    pub kind: String,
    /// Object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Desired state.
    pub spec: DataSourceSpec,
    /// Observed state, written by the reconciler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DataSourceStatus>,
    /// Unknown top-level fields, kept as read.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn default_api_version() -> String {
    API_VERSION.to_owned()
}

fn default_kind() -> String {
    KIND.to_owned()
}

impl DataSourceResource {
    /// A resource with the given metadata and spec and no status.
    pub fn new(metadata: ObjectMeta, spec: DataSourceSpec) -> Self {
        Self {
            api_version: default_api_version(),
            kind: default_kind(),
            metadata,
            spec,
            status: None,
            extra: Map::new(),
        }
    }

    /// Sets the status.
    #[must_use]
    pub fn with_status(mut self, status: DataSourceStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// The object name, or `""` when unset.
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }

    /// The namespace, `default` when unset.
    pub fn namespace(&self) -> &str {
        self.metadata.namespace.as_deref().unwrap_or("default")
    }

    /// Parses a resource from YAML (or JSON, which is YAML).
    ///
    /// ```
    /// use datasource_model::kubernetes::{DataSourceResource, Provider};
    /// let ds = DataSourceResource::from_yaml(
    ///     "apiVersion: kagent.dev/v1alpha1\nkind: DataSource\nmetadata: {name: demo}\n\
    ///      spec: {provider: Local}\n",
    /// )?;
    /// assert_eq!(ds.spec.provider, Some(Provider::Local));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_yaml(yaml: &str) -> Result<Self, serde_saphyr::Error> {
        serde_saphyr::from_str(yaml)
    }
}

/// The data platform behind a `DataSource`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub enum Provider {
    /// Databricks Unity Catalog metric views, SQL warehouses and Genie.
    Databricks,
    /// Snowflake semantic views and Cortex Analyst.
    Snowflake,
    /// Google BigQuery.
    BigQuery,
    /// The embedded local engine over CSV and Parquet files.
    Local,
}

impl Provider {
    /// The name used in the `spec.provider` field (`Databricks`, `BigQuery`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Databricks => "Databricks",
            Self::Snowflake => "Snowflake",
            Self::BigQuery => "BigQuery",
            Self::Local => "Local",
        }
    }

    /// The lowercase name used in the `kagent.dev/provider` label and in field paths.
    pub fn label(self) -> &'static str {
        match self {
            Self::Databricks => "databricks",
            Self::Snowflake => "snowflake",
            Self::BigQuery => "bigquery",
            Self::Local => "local",
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key in a Secret in the `DataSource`'s namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SecretKeyRef {
    /// Secret name.
    pub name: String,
    /// Key inside the Secret. When absent, every key of the Secret is exposed to the tool
    /// server as an environment variable of the same name (so name the key after the variable
    /// the provider reads, e.g. `DATABRICKS_TOKEN`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl SecretKeyRef {
    /// A reference to a whole Secret.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            key: None,
        }
    }

    /// Sets the key.
    #[must_use]
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }
}

/// Databricks connection settings (`spec.databricks`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DatabricksSpec {
    /// Workspace URL, e.g. `https://mycompany.cloud.databricks.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_url: Option<String>,
    /// Secret holding a personal access token (or OAuth token). Exactly one of this and
    /// `workloadIdentity` must be set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_secret_ref: Option<SecretKeyRef>,
    /// Workload identity federation instead of a Secret: the tool server exchanges a projected
    /// service-account token for a Databricks token (`file-oidc`). Exactly one of this and
    /// `credentialsSecretRef` must be set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_identity: Option<WorkloadIdentity>,
    /// Unity Catalog catalog to discover metric views in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<String>,
    /// Optional schema that scopes discovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// SQL warehouse that runs queries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warehouse_id: Option<String>,
    /// Genie space that answers natural-language questions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genie_space_id: Option<String>,
}

impl DatabricksSpec {
    /// Settings for a workspace and a catalog, with no credential yet.
    pub fn new(workspace_url: impl Into<String>, catalog: impl Into<String>) -> Self {
        Self {
            workspace_url: Some(workspace_url.into()),
            catalog: Some(catalog.into()),
            ..Self::default()
        }
    }

    /// Sets the Secret holding the token.
    #[must_use]
    pub fn with_credentials_secret_ref(mut self, secret: SecretKeyRef) -> Self {
        self.credentials_secret_ref = Some(secret);
        self
    }

    /// Sets workload identity federation.
    #[must_use]
    pub fn with_workload_identity(mut self, identity: WorkloadIdentity) -> Self {
        self.workload_identity = Some(identity);
        self
    }
}

/// Default lifetime of the projected service-account token (`expirationSeconds`), in seconds.
pub const DEFAULT_TOKEN_EXPIRATION_SECONDS: i64 = 3600;
/// The shortest lifetime Kubernetes accepts for a projected service-account token, in seconds.
pub const MIN_TOKEN_EXPIRATION_SECONDS: i64 = 600;

/// Workload identity federation for Databricks (`spec.databricks.workloadIdentity`).
///
/// The generated tool server gets a projected service-account token (kubelet rotates it) and
/// runs with `DATABRICKS_AUTH_TYPE=file-oidc`: it re-reads the token file on every refresh and
/// exchanges it at the workspace's `/oidc/v1/token` for a Databricks token of the service
/// principal `clientId`. No Secret is involved. The service principal needs a federation
/// policy whose issuer is the cluster's service-account issuer, whose subject is
/// `system:serviceaccount:<namespace>:<serviceAccountName>` and whose audience is `audience`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WorkloadIdentity {
    /// Application (client) id of the Databricks service principal that has the federation
    /// policy; passed to the server as `DATABRICKS_CLIENT_ID`.
    pub client_id: String,
    /// Audience of the projected token, which the federation policy must list; also passed
    /// as `DATABRICKS_TOKEN_AUDIENCE`. Default: the workspace token endpoint
    /// `<workspaceUrl>/oidc/v1/token`, the audience the Databricks SDKs (and
    /// `databricks-client`) default to for a workspace host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// ServiceAccount the tool-server pod runs as (its token is the one exchanged). Default:
    /// the namespace's `default` ServiceAccount for `RemoteMCPServer`, the ServiceAccount kmcp
    /// creates for an `MCPServer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// Lifetime of the projected token in seconds (default 3600, at least 600); kubelet
    /// rotates it at 80 % of its lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 600))]
    pub expiration_seconds: Option<i64>,
}

impl WorkloadIdentity {
    /// Federation as the service principal with this application id.
    pub fn new(client_id: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            ..Self::default()
        }
    }

    /// Sets the audience.
    #[must_use]
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Sets the ServiceAccount of the tool-server pod.
    #[must_use]
    pub fn with_service_account_name(mut self, name: impl Into<String>) -> Self {
        self.service_account_name = Some(name.into());
        self
    }

    /// Sets the token lifetime in seconds.
    #[must_use]
    pub fn with_expiration_seconds(mut self, seconds: i64) -> Self {
        self.expiration_seconds = Some(seconds);
        self
    }
}

/// Snowflake connection settings (`spec.snowflake`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SnowflakeSpec {
    /// Account URL, e.g. `https://myorg.snowflakecomputing.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_url: Option<String>,
    /// Virtual warehouse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warehouse: Option<String>,
    /// Database holding the semantic views.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// Optional schema that scopes discovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Role to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Secret holding the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_secret_ref: Option<SecretKeyRef>,
}

/// BigQuery connection settings (`spec.bigquery`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BigQuerySpec {
    /// Google Cloud project id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// Dataset holding the tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// Dataset location, e.g. `US` or `europe-west1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Secret holding a service-account key file (key defaults to `key.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_secret_ref: Option<SecretKeyRef>,
}

/// Local engine settings (`spec.local`): CSV and Parquet files plus model YAML in a folder.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LocalSpec {
    /// Folder inside the tool-server container holding the data (default `/data`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_path: Option<String>,
    /// PersistentVolumeClaim mounted read-only at `dataPath`; without it the folder must be
    /// part of the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistent_volume_claim: Option<String>,
    /// Tables to register, files relative to `dataPath`; models are read from
    /// `<dataPath>/models/*.yaml`. With no tables and no `dataPath` the server serves the
    /// bundled sample (orders, customers, inventory).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<LocalTable>,
}

/// A CSV or Parquet file registered as a table by the local provider.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LocalTable {
    /// Table name used in SQL and in model `source:`.
    pub name: String,
    /// File (`.csv` or `.parquet`) relative to `dataPath`.
    pub file: String,
}

impl LocalTable {
    /// A table from a file.
    pub fn new(name: impl Into<String>, file: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            file: file.into(),
        }
    }
}

/// A semantic model selected for exposure.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SemanticModelRef {
    /// Model name as discovered (e.g. the metric view name).
    pub name: String,
    /// Description shown to agents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl SemanticModelRef {
    /// A model reference by name.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: None,
        }
    }

    /// Sets the description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// The kind of tool server the reconciler generates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub enum ToolServerKind {
    /// A kmcp `MCPServer` (`kagent.dev/v1alpha1`); kmcp runs the Deployment and Service.
    #[default]
    #[serde(rename = "MCPServer")]
    McpServer,
    /// A `RemoteMCPServer` (`kagent.dev/v1alpha2`) plus our own Deployment and Service serving
    /// streamable HTTP.
    #[serde(rename = "RemoteMCPServer")]
    RemoteMcpServer,
    /// The legacy `ToolServer` (`kagent.dev/v1alpha1`, stdio), from the original proposal.
    /// kagent no longer reconciles it; Databricks only.
    ToolServer,
}

impl ToolServerKind {
    /// The Kubernetes kind name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::McpServer => "MCPServer",
            Self::RemoteMcpServer => "RemoteMCPServer",
            Self::ToolServer => "ToolServer",
        }
    }

    /// The `apiVersion` of the generated object.
    pub fn api_version(self) -> &'static str {
        match self {
            Self::McpServer | Self::ToolServer => "kagent.dev/v1alpha1",
            Self::RemoteMcpServer => "kagent.dev/v1alpha2",
        }
    }
}

/// How the MCP server process talks to kagent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Transport {
    /// stdio; for `MCPServer` kmcp wraps it in agentgateway.
    #[default]
    Stdio,
    /// Streamable HTTP served by the process itself on `/mcp`.
    Http,
}

impl Transport {
    /// `stdio` or `http`, as in the server's `--transport` flag.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stdio => "stdio",
            Self::Http => "http",
        }
    }
}

/// Options for the generated tool server (`spec.toolServer`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ToolServerOptions {
    /// Kind to generate (default `MCPServer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ToolServerKind>,
    /// Container image holding `databricks-mcp-server` and `datasource-mcp-server`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Transport for `MCPServer` (default `stdio`); `RemoteMCPServer` always serves HTTP and
    /// `ToolServer` always uses stdio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<Transport>,
    /// Tool allowlist: passed to the server as `--tools` and used for the Agent `toolNames`
    /// entry (empty: every tool the server offers; the Agent entry lists the read tools).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
    /// Read-only mode (default `true`); `false` passes `--allow-writes` to the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
}

impl ToolServerOptions {
    /// Sets the kind.
    #[must_use]
    pub fn with_kind(mut self, kind: ToolServerKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Sets the transport.
    #[must_use]
    pub fn with_transport(mut self, transport: Transport) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Sets the image.
    #[must_use]
    pub fn with_image(mut self, image: impl Into<String>) -> Self {
        self.image = Some(image.into());
        self
    }

    /// Sets the tool allowlist.
    #[must_use]
    pub fn with_tools<I, S>(mut self, tools: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tools = tools.into_iter().map(Into::into).collect();
        self
    }

    /// Sets read-only mode.
    #[must_use]
    pub fn with_read_only(mut self, read_only: bool) -> Self {
        self.read_only = Some(read_only);
        self
    }
}

/// Desired state of a `DataSource`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DataSourceSpec {
    /// Data platform: `Databricks`, `Snowflake`, `BigQuery` or `Local`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    /// Databricks settings, required when `provider` is `Databricks`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub databricks: Option<DatabricksSpec>,
    /// Snowflake settings, required when `provider` is `Snowflake`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snowflake: Option<SnowflakeSpec>,
    /// BigQuery settings, required when `provider` is `BigQuery`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bigquery: Option<BigQuerySpec>,
    /// Local engine settings, optional when `provider` is `Local`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalSpec>,
    /// Semantic models to expose, chosen from `status.availableModels`. Empty: every model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub semantic_models: Vec<SemanticModelRef>,
    /// Options for the generated tool server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_server: Option<ToolServerOptions>,
    /// How often the controller re-checks the connection and re-discovers the models, as a
    /// duration such as `10m`, `1h30m` or `45s` (default `10m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<String>,
}

impl DataSourceSpec {
    /// A spec for the given provider with no settings yet.
    pub fn new(provider: Provider) -> Self {
        Self {
            provider: Some(provider),
            ..Self::default()
        }
    }

    /// Sets the Databricks block.
    #[must_use]
    pub fn with_databricks(mut self, databricks: DatabricksSpec) -> Self {
        self.databricks = Some(databricks);
        self
    }

    /// Sets the Snowflake block.
    #[must_use]
    pub fn with_snowflake(mut self, snowflake: SnowflakeSpec) -> Self {
        self.snowflake = Some(snowflake);
        self
    }

    /// Sets the BigQuery block.
    #[must_use]
    pub fn with_bigquery(mut self, bigquery: BigQuerySpec) -> Self {
        self.bigquery = Some(bigquery);
        self
    }

    /// Sets the local block.
    #[must_use]
    pub fn with_local(mut self, local: LocalSpec) -> Self {
        self.local = Some(local);
        self
    }

    /// Sets the selected semantic models.
    #[must_use]
    pub fn with_semantic_models(mut self, models: Vec<SemanticModelRef>) -> Self {
        self.semantic_models = models;
        self
    }

    /// Sets the tool-server options.
    #[must_use]
    pub fn with_tool_server(mut self, options: ToolServerOptions) -> Self {
        self.tool_server = Some(options);
        self
    }

    /// Sets the refresh interval (`10m`, `1h`, `45s`, …).
    #[must_use]
    pub fn with_refresh_interval(mut self, interval: impl Into<String>) -> Self {
        self.refresh_interval = Some(interval.into());
        self
    }
}

/// Parses a duration written as in Kubernetes (`10m`, `1h30m`, `45s`, `2h`): one or more
/// `<integer><unit>` pairs with units `h`, `m` and `s`. `None` for anything else (including
/// `0s`).
///
/// ```
/// use std::time::Duration;
/// use datasource_model::kubernetes::parse_duration;
/// assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
/// assert_eq!(parse_duration("ten minutes"), None);
/// ```
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let mut total: u64 = 0;
    let mut digits = String::new();
    if text.is_empty() {
        return None;
    }
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: u64 = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        let n: u64 = digits.parse().ok()?;
        digits.clear();
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    if !digits.is_empty() || total == 0 {
        return None;
    }
    Some(std::time::Duration::from_secs(total))
}

/// `True`, `False` or `Unknown`, as in Kubernetes conditions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub enum ConditionStatus {
    /// The condition holds.
    True,
    /// The condition does not hold.
    False,
    /// Not known yet.
    #[default]
    Unknown,
}

/// A status condition in the Kubernetes `metav1.Condition` shape.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Condition {
    /// Condition type: `Accepted`, `Connected`, `ModelsResolved`, `CredentialsMapped`, `Ready`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: ConditionStatus,
    /// `metadata.generation` the condition was computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// RFC 3339 time of the last status change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
    /// CamelCase reason.
    #[serde(default)]
    pub reason: String,
    /// Human-readable message naming the fix.
    #[serde(default)]
    pub message: String,
}

impl Condition {
    /// A condition without timestamps.
    pub fn new(
        type_: impl Into<String>,
        status: ConditionStatus,
        reason: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            type_: type_.into(),
            status,
            observed_generation: None,
            last_transition_time: None,
            reason: reason.into(),
            message: message.into(),
        }
    }
}

/// A semantic model discovered on the provider.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AvailableModel {
    /// Model name.
    pub name: String,
    /// Catalog (Databricks), database (Snowflake) or project (BigQuery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<String>,
    /// Schema or dataset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Description from the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl AvailableModel {
    /// A model by name.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Sets catalog and schema.
    #[must_use]
    pub fn with_location(mut self, catalog: impl Into<String>, schema: impl Into<String>) -> Self {
        self.catalog = Some(catalog.into());
        self.schema = Some(schema.into());
        self
    }

    /// Sets the description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// Reference to the generated tool server.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GeneratedToolServer {
    /// `apiVersion` of the tool server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Kind of the tool server (`MCPServer`, `RemoteMCPServer` or `ToolServer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Name.
    pub name: String,
    /// Namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// Observed state of a `DataSource`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DataSourceStatus {
    /// Conditions: `Accepted`, `Connected`, `ModelsResolved`, `CredentialsMapped` and `Ready`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Models discovered on the provider.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub available_models: Vec<AvailableModel>,
    /// The tool server generated for this `DataSource`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_tool_server: Option<GeneratedToolServer>,
    /// `metadata.generation` last reconciled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The SQL warehouse the tool server uses: `spec.databricks.warehouseId`, or the one the
    /// controller discovered when the spec names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warehouse_id: Option<String>,
}

impl DataSourceStatus {
    /// The condition of the given type, if present.
    pub fn condition(&self, type_: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.type_ == type_)
    }

    /// Whether the `Ready` condition is `True`.
    pub fn is_ready(&self) -> bool {
        self.condition("Ready")
            .is_some_and(|c| c.status == ConditionStatus::True)
    }
}
