//! DataSource fixtures, one per provider and tool-server kind.

use datasource_model::kubernetes::{DataSourceResource, ToolServerKind, Transport};

/// The proposal's example DataSource, exactly as written there (comments included).
pub(crate) const PROPOSAL_EXAMPLE: &str = r#"apiVersion: kagent.dev/v1alpha1
kind: DataSource
metadata:
  name: sales-fabric
  namespace: default
spec:
  # Provider type - extensible for future data platforms
  provider: Databricks  # Enum: Databricks (future: Snowflake, BigQuery, etc.)

  # Provider-specific configuration
  databricks:
    # Databricks workspace URL
    workspaceUrl: https://mycompany.cloud.databricks.com

    # Reference to secret containing authentication token
    credentialsSecretRef:
      name: databricks-credentials
      key: token

    # Unity Catalog settings
    catalog: main
    schema: sales  # Optional: scope discovery to specific schema

  # Semantic models to expose (selected from discovered models)
  semanticModels:
    - name: revenue_metrics
      description: "Revenue KPIs by region and time period"
    - name: customer_360
      description: "Unified customer view with attributes and segments"

status:
  conditions:
    - type: Connected
      status: "True"
      reason: ConnectionSuccessful
      message: "Successfully connected to Databricks workspace"
    - type: Ready
      status: "True"
      reason: ToolServerCreated
      message: "ToolServer sales-fabric-mcp created successfully"

  # Models discovered from Unity Catalog (populated by controller)
  availableModels:
    - name: revenue_metrics
      catalog: main
      schema: sales
      description: "Revenue metrics semantic model"
    - name: customer_360
      catalog: main
      schema: sales
      description: "Customer 360 semantic model"
    - name: inventory_model
      catalog: main
      schema: operations
      description: "Inventory tracking model"

  # Reference to the auto-generated ToolServer
  generatedToolServer:
    name: sales-fabric-mcp
    namespace: default

  observedGeneration: 1
"#;

const DATABRICKS: &str = r#"apiVersion: kagent.dev/v1alpha1
kind: DataSource
metadata:
  name: sales-fabric
  namespace: analytics
  uid: 6f1c2d3e-0000-4000-8000-000000000001
  generation: 3
spec:
  provider: Databricks
  databricks:
    workspaceUrl: https://mycompany.cloud.databricks.com
    credentialsSecretRef: {name: databricks-credentials, key: DATABRICKS_TOKEN}
    catalog: main
    schema: sales
    warehouseId: abc123def456
    genieSpaceId: 01ef-genie
  semanticModels:
    - name: revenue_metrics
      description: Revenue KPIs by region and time period
    - name: customer_360
"#;

const SNOWFLAKE: &str = r#"apiVersion: kagent.dev/v1alpha1
kind: DataSource
metadata:
  name: sales-snowflake
  namespace: analytics
  uid: 6f1c2d3e-0000-4000-8000-000000000002
  generation: 1
spec:
  provider: Snowflake
  snowflake:
    accountUrl: https://myorg.snowflakecomputing.com
    warehouse: COMPUTE_WH
    database: SALES
    schema: PUBLIC
    role: ANALYST
    credentialsSecretRef: {name: snowflake-credentials}
  semanticModels:
    - name: revenue_metrics
"#;

const BIGQUERY: &str = r#"apiVersion: kagent.dev/v1alpha1
kind: DataSource
metadata:
  name: sales-bq
  namespace: analytics
  uid: 6f1c2d3e-0000-4000-8000-000000000003
  generation: 1
spec:
  provider: BigQuery
  bigquery:
    projectId: my-gcp-project
    dataset: sales
    location: US
    credentialsSecretRef: {name: bigquery-sa-key}
"#;

const LOCAL: &str = r#"apiVersion: kagent.dev/v1alpha1
kind: DataSource
metadata:
  name: sales-local
  namespace: analytics
  uid: 6f1c2d3e-0000-4000-8000-000000000004
  generation: 1
spec:
  provider: Local
  local:
    dataPath: /data/sales
    persistentVolumeClaim: sales-data
    tables:
      - {name: orders, file: orders.csv}
      - {name: customers, file: customers.csv}
      - {name: inventory, file: inventory.csv}
  semanticModels:
    - name: revenue_metrics
    - name: inventory_model
  toolServer:
    readOnly: false
    tools: [list_models, describe_model, query_model, execute_sql]
"#;

pub(crate) fn parse(yaml: &str) -> DataSourceResource {
    match DataSourceResource::from_yaml(yaml) {
        Ok(ds) => ds,
        Err(err) => panic!("fixture does not parse: {err}"),
    }
}

/// One fixture per provider, by provider label.
pub(crate) fn providers() -> Vec<(&'static str, DataSourceResource)> {
    vec![
        ("databricks", parse(DATABRICKS)),
        ("snowflake", parse(SNOWFLAKE)),
        ("bigquery", parse(BIGQUERY)),
        ("local", parse(LOCAL)),
    ]
}

/// The kinds (and MCPServer transports) to generate for a provider.
pub(crate) fn kinds(provider: &str) -> Vec<(&'static str, ToolServerKind, Option<Transport>)> {
    let mut out = vec![
        ("mcpserver", ToolServerKind::McpServer, None),
        (
            "mcpserver-http",
            ToolServerKind::McpServer,
            Some(Transport::Http),
        ),
        ("remotemcpserver", ToolServerKind::RemoteMcpServer, None),
    ];
    if provider == "databricks" {
        out.push(("toolserver", ToolServerKind::ToolServer, None));
    }
    out
}

/// `ds` with the given tool-server kind and transport.
pub(crate) fn with_kind(
    ds: &DataSourceResource,
    kind: ToolServerKind,
    transport: Option<Transport>,
) -> DataSourceResource {
    let mut ds = ds.clone();
    let mut options = ds
        .spec
        .tool_server
        .clone()
        .unwrap_or_default()
        .with_kind(kind);
    options.transport = transport;
    ds.spec.tool_server = Some(options);
    ds
}
