//! Spec validation: every problem names the field to fix.

use super::types::{
    BigQuerySpec, DEFAULT_TOKEN_EXPIRATION_SECONDS, DataSourceResource, DatabricksSpec, LocalSpec,
    MIN_TOKEN_EXPIRATION_SECONDS, Provider, SecretKeyRef, SnowflakeSpec, ToolServerKind, Transport,
};

/// Default image holding `databricks-mcp-server` and `datasource-mcp-server`.
pub const DEFAULT_IMAGE: &str = "ghcr.io/databricks-rs/datasource-mcp-server:0.1.0";

/// Maximum length of a `DataSource` name, so that `<name>-mcp` stays a valid Service name.
const MAX_NAME_LEN: usize = 59;

/// An invalid `DataSource` spec: the field path and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
#[non_exhaustive]
pub struct SpecError {
    /// JSON path of the offending field, e.g. `spec.databricks.workspaceUrl`.
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl SpecError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Connection settings after validation.
#[derive(Debug)]
pub(crate) enum Conn<'a> {
    Databricks {
        workspace_url: &'a str,
        catalog: &'a str,
        schema: Option<&'a str>,
        warehouse_id: Option<&'a str>,
        genie_space_id: Option<&'a str>,
        auth: DatabricksAuth<'a>,
    },
    Snowflake {
        spec: &'a SnowflakeSpec,
        credentials: &'a SecretKeyRef,
    },
    BigQuery {
        spec: &'a BigQuerySpec,
        credentials: &'a SecretKeyRef,
    },
    Local {
        spec: Option<&'a LocalSpec>,
    },
}

/// How the Databricks tool server authenticates, after validation.
#[derive(Debug)]
pub(crate) enum DatabricksAuth<'a> {
    /// A token from `credentialsSecretRef`.
    Secret(&'a SecretKeyRef),
    /// Workload identity federation with a projected service-account token.
    WorkloadIdentity {
        client_id: &'a str,
        /// The audience of the projected token (explicit, or the workspace token endpoint).
        audience: String,
        /// Whether `audience` was set in the spec (then it is also `DATABRICKS_TOKEN_AUDIENCE`).
        explicit_audience: bool,
        service_account: Option<&'a str>,
        expiration_seconds: i64,
    },
}

/// Kubernetes caps a projected token's lifetime at 2^32 seconds.
const MAX_TOKEN_EXPIRATION_SECONDS: i64 = 1 << 32;

/// Validates `spec.databricks`' credential: exactly one of `credentialsSecretRef` and
/// `workloadIdentity`.
fn databricks_auth<'a>(
    db: &'a DatabricksSpec,
    workspace_url: &str,
) -> Result<DatabricksAuth<'a>, SpecError> {
    let identity = match (&db.credentials_secret_ref, &db.workload_identity) {
        (Some(_), Some(_)) => {
            return Err(SpecError::new(
                "spec.databricks",
                "credentialsSecretRef and workloadIdentity are mutually exclusive: remove \
                 credentialsSecretRef to authenticate with the pod's projected service-account \
                 token, or remove workloadIdentity to use the token in the Secret",
            ));
        }
        (None, None) => {
            return Err(SpecError::new(
                "spec.databricks.credentialsSecretRef",
                "required when spec.provider is Databricks: name the Secret holding the \
                 credential, or set spec.databricks.workloadIdentity to exchange a projected \
                 service-account token instead",
            ));
        }
        (Some(secret), None) => {
            return credentials(
                Some(secret),
                "spec.databricks.credentialsSecretRef",
                Provider::Databricks,
            )
            .map(DatabricksAuth::Secret);
        }
        (None, Some(identity)) => identity,
    };
    let field = "spec.databricks.workloadIdentity";
    let client_id = identity.client_id.as_str();
    if client_id.trim().is_empty() {
        return Err(SpecError::new(
            format!("{field}.clientId"),
            "required: the application (client) id of the Databricks service principal whose \
             federation policy accepts the projected token",
        ));
    }
    if client_id
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(SpecError::new(
            format!("{field}.clientId"),
            format!("{client_id:?} is not an application id (no spaces)"),
        ));
    }
    let audience = match identity.audience.as_deref() {
        None => format!("{}/oidc/v1/token", workspace_url.trim_end_matches('/')),
        Some(aud)
            if !aud.is_empty() && !aud.chars().any(|c| c.is_whitespace() || c.is_control()) =>
        {
            aud.to_owned()
        }
        Some(aud) => {
            return Err(SpecError::new(
                format!("{field}.audience"),
                format!(
                    "{aud:?} is not a valid audience: write the audience of the federation \
                     policy without spaces, or leave it unset for <workspaceUrl>/oidc/v1/token"
                ),
            ));
        }
    };
    let service_account = identity.service_account_name.as_deref();
    if let Some(sa) = service_account
        && !is_dns_subdomain(sa)
    {
        return Err(SpecError::new(
            format!("{field}.serviceAccountName"),
            format!("{sa:?} is not a valid ServiceAccount name"),
        ));
    }
    let expiration_seconds = identity
        .expiration_seconds
        .unwrap_or(DEFAULT_TOKEN_EXPIRATION_SECONDS);
    if !(MIN_TOKEN_EXPIRATION_SECONDS..=MAX_TOKEN_EXPIRATION_SECONDS).contains(&expiration_seconds)
    {
        return Err(SpecError::new(
            format!("{field}.expirationSeconds"),
            format!(
                "{expiration_seconds} is out of range: Kubernetes requires at least \
                 {MIN_TOKEN_EXPIRATION_SECONDS} seconds (10 minutes) and at most 2^32; \
                 leave it unset for {DEFAULT_TOKEN_EXPIRATION_SECONDS}"
            ),
        ));
    }
    Ok(DatabricksAuth::WorkloadIdentity {
        client_id,
        audience,
        explicit_audience: identity.audience.is_some(),
        service_account,
        expiration_seconds,
    })
}

/// A validated `DataSource`: everything the manifest generator needs.
#[derive(Debug)]
pub(crate) struct Valid<'a> {
    pub(crate) name: &'a str,
    pub(crate) namespace: &'a str,
    pub(crate) uid: Option<&'a str>,
    pub(crate) provider: Provider,
    pub(crate) kind: ToolServerKind,
    pub(crate) transport: Transport,
    pub(crate) image: &'a str,
    pub(crate) read_only: bool,
    pub(crate) tools: &'a [String],
    pub(crate) conn: Conn<'a>,
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// Catalog, schema, model and tool names: letters, digits, `_` and `-`, so they pass through a
/// comma-separated flag unchanged.
fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn is_env_var_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

fn required<'a>(
    value: Option<&'a String>,
    field: &str,
    provider: Provider,
) -> Result<&'a str, SpecError> {
    match value.map(String::as_str) {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(SpecError::new(
            field,
            format!("required when spec.provider is {provider}"),
        )),
    }
}

fn identifier<'a>(value: Option<&'a String>, field: &str) -> Result<Option<&'a str>, SpecError> {
    match value.map(String::as_str) {
        None => Ok(None),
        Some(v) if is_identifier(v) => Ok(Some(v)),
        Some(v) => Err(SpecError::new(
            field,
            format!("{v:?} is not a valid name (use letters, digits, '_' and '-')"),
        )),
    }
}

fn url(value: &str, field: &str) -> Result<(), SpecError> {
    let ok = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .is_some_and(|rest| {
            !rest.is_empty() && !rest.contains(char::is_whitespace) && !rest.starts_with('/')
        });
    if ok {
        Ok(())
    } else {
        Err(SpecError::new(
            field,
            format!("{value:?} is not a URL; write it as https://host"),
        ))
    }
}

fn credentials<'a>(
    value: Option<&'a SecretKeyRef>,
    field: &str,
    provider: Provider,
) -> Result<&'a SecretKeyRef, SpecError> {
    let Some(secret) = value else {
        return Err(SpecError::new(
            field,
            format!(
                "required when spec.provider is {provider}: name the Secret holding the credential"
            ),
        ));
    };
    if !is_dns_subdomain(&secret.name) {
        return Err(SpecError::new(
            format!("{field}.name"),
            format!("{:?} is not a valid Secret name", secret.name),
        ));
    }
    if let Some(key) = &secret.key
        && !is_env_var_name(key)
    {
        return Err(SpecError::new(
            format!("{field}.key"),
            format!("{key:?} is not a valid Secret key (letters, digits, '_', '-', '.')"),
        ));
    }
    Ok(secret)
}

/// Validates a `DataSource` and returns the view the generator works from.
pub(crate) fn validate(ds: &DataSourceResource) -> Result<Valid<'_>, SpecError> {
    let name = ds.metadata.name.as_deref().unwrap_or_default();
    if !is_dns_label(name) || name.len() > MAX_NAME_LEN {
        return Err(SpecError::new(
            "metadata.name",
            format!(
                "{name:?} must be a DNS label of at most {MAX_NAME_LEN} characters \
                 (lowercase letters, digits, '-'), so that '<name>-mcp' is a valid Service name"
            ),
        ));
    }
    let namespace = ds.namespace();
    if !is_dns_label(namespace) {
        return Err(SpecError::new(
            "metadata.namespace",
            format!("{namespace:?} is not a valid namespace"),
        ));
    }
    let spec = &ds.spec;
    let Some(provider) = spec.provider else {
        return Err(SpecError::new(
            "spec.provider",
            "required: one of Databricks, Snowflake, BigQuery, Local",
        ));
    };
    let conn = match provider {
        Provider::Databricks => {
            let Some(db) = &spec.databricks else {
                return Err(SpecError::new(
                    "spec.databricks",
                    "required when spec.provider is Databricks",
                ));
            };
            let workspace_url = required(
                db.workspace_url.as_ref(),
                "spec.databricks.workspaceUrl",
                provider,
            )?;
            url(workspace_url, "spec.databricks.workspaceUrl")?;
            required(db.catalog.as_ref(), "spec.databricks.catalog", provider)?;
            Conn::Databricks {
                workspace_url,
                catalog: identifier(db.catalog.as_ref(), "spec.databricks.catalog")?
                    .unwrap_or_default(),
                schema: identifier(db.schema.as_ref(), "spec.databricks.schema")?,
                warehouse_id: identifier(db.warehouse_id.as_ref(), "spec.databricks.warehouseId")?,
                genie_space_id: identifier(
                    db.genie_space_id.as_ref(),
                    "spec.databricks.genieSpaceId",
                )?,
                auth: databricks_auth(db, workspace_url)?,
            }
        }
        Provider::Snowflake => {
            let Some(sf) = &spec.snowflake else {
                return Err(SpecError::new(
                    "spec.snowflake",
                    "required when spec.provider is Snowflake",
                ));
            };
            let account = required(
                sf.account_url.as_ref(),
                "spec.snowflake.accountUrl",
                provider,
            )?;
            url(account, "spec.snowflake.accountUrl")?;
            required(sf.warehouse.as_ref(), "spec.snowflake.warehouse", provider)?;
            required(sf.database.as_ref(), "spec.snowflake.database", provider)?;
            identifier(sf.warehouse.as_ref(), "spec.snowflake.warehouse")?;
            identifier(sf.database.as_ref(), "spec.snowflake.database")?;
            identifier(sf.schema.as_ref(), "spec.snowflake.schema")?;
            identifier(sf.role.as_ref(), "spec.snowflake.role")?;
            Conn::Snowflake {
                spec: sf,
                credentials: credentials(
                    sf.credentials_secret_ref.as_ref(),
                    "spec.snowflake.credentialsSecretRef",
                    provider,
                )?,
            }
        }
        Provider::BigQuery => {
            let Some(bq) = &spec.bigquery else {
                return Err(SpecError::new(
                    "spec.bigquery",
                    "required when spec.provider is BigQuery",
                ));
            };
            required(bq.project_id.as_ref(), "spec.bigquery.projectId", provider)?;
            required(bq.dataset.as_ref(), "spec.bigquery.dataset", provider)?;
            identifier(bq.project_id.as_ref(), "spec.bigquery.projectId")?;
            identifier(bq.dataset.as_ref(), "spec.bigquery.dataset")?;
            identifier(bq.location.as_ref(), "spec.bigquery.location")?;
            Conn::BigQuery {
                spec: bq,
                credentials: credentials(
                    bq.credentials_secret_ref.as_ref(),
                    "spec.bigquery.credentialsSecretRef",
                    provider,
                )?,
            }
        }
        Provider::Local => {
            if let Some(local) = &spec.local {
                if let Some(path) = &local.data_path
                    && (!path.starts_with('/') || path.contains(':'))
                {
                    return Err(SpecError::new(
                        "spec.local.dataPath",
                        format!("{path:?} must be an absolute path without ':'"),
                    ));
                }
                if let Some(claim) = &local.persistent_volume_claim
                    && !is_dns_subdomain(claim)
                {
                    return Err(SpecError::new(
                        "spec.local.persistentVolumeClaim",
                        format!("{claim:?} is not a valid PersistentVolumeClaim name"),
                    ));
                }
            }
            for (i, table) in spec.local.iter().flat_map(|l| l.tables.iter()).enumerate() {
                if !is_identifier(&table.name) {
                    return Err(SpecError::new(
                        format!("spec.local.tables[{i}].name"),
                        format!("{:?} is not a valid table name", table.name),
                    ));
                }
                let file = &table.file;
                let relative = !file.is_empty()
                    && !file.starts_with('/')
                    && !file.split('/').any(|part| part == "..")
                    && !file.contains(':');
                let known = [".csv", ".parquet"].iter().any(|ext| file.ends_with(ext));
                if !relative || !known {
                    return Err(SpecError::new(
                        format!("spec.local.tables[{i}].file"),
                        format!("{file:?} must be a .csv or .parquet file relative to dataPath"),
                    ));
                }
            }
            Conn::Local {
                spec: spec.local.as_ref(),
            }
        }
    };
    for (field, present) in [
        (
            "spec.databricks",
            spec.databricks.is_some() && provider != Provider::Databricks,
        ),
        (
            "spec.snowflake",
            spec.snowflake.is_some() && provider != Provider::Snowflake,
        ),
        (
            "spec.bigquery",
            spec.bigquery.is_some() && provider != Provider::BigQuery,
        ),
        (
            "spec.local",
            spec.local.is_some() && provider != Provider::Local,
        ),
    ] {
        if present {
            return Err(SpecError::new(
                field,
                format!("must be unset when spec.provider is {provider}"),
            ));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, model) in spec.semantic_models.iter().enumerate() {
        let field = format!("spec.semanticModels[{i}].name");
        if !is_identifier(&model.name) {
            return Err(SpecError::new(
                field,
                format!(
                    "{:?} is not a valid model name (letters, digits, '_' and '-')",
                    model.name
                ),
            ));
        }
        if !seen.insert(model.name.as_str()) {
            return Err(SpecError::new(
                field,
                format!("{:?} is listed twice", model.name),
            ));
        }
    }
    let options = spec.tool_server.clone().unwrap_or_default();
    let kind = options.kind.unwrap_or_default();
    let transport = match (kind, options.transport) {
        (ToolServerKind::McpServer, t) => t.unwrap_or_default(),
        (ToolServerKind::RemoteMcpServer, None | Some(Transport::Http)) => Transport::Http,
        (ToolServerKind::ToolServer, None | Some(Transport::Stdio)) => Transport::Stdio,
        (kind, Some(t)) => {
            return Err(SpecError::new(
                "spec.toolServer.transport",
                format!(
                    "{} is not supported with kind {}",
                    t.as_str(),
                    kind.as_str()
                ),
            ));
        }
    };
    if kind == ToolServerKind::ToolServer && provider != Provider::Databricks {
        return Err(SpecError::new(
            "spec.toolServer.kind",
            format!(
                "the legacy ToolServer supports only Databricks (it cannot mount the config \
                 file {provider} needs); use MCPServer or RemoteMCPServer"
            ),
        ));
    }
    if kind == ToolServerKind::ToolServer
        && let Conn::Databricks {
            auth: DatabricksAuth::WorkloadIdentity { .. },
            ..
        } = &conn
    {
        return Err(SpecError::new(
            "spec.toolServer.kind",
            "the legacy ToolServer cannot use spec.databricks.workloadIdentity (its stdio \
             config has no volumes and no ServiceAccount, so no projected token): use \
             MCPServer or RemoteMCPServer, or credentialsSecretRef",
        ));
    }
    let tool_server = spec.tool_server.as_ref();
    let tools = tool_server.map(|t| t.tools.as_slice()).unwrap_or_default();
    if tools.len() > 50 {
        return Err(SpecError::new(
            "spec.toolServer.tools",
            "at most 50 tools (kagent's toolNames limit)",
        ));
    }
    for (i, tool) in tools.iter().enumerate() {
        if !is_identifier(tool) {
            return Err(SpecError::new(
                format!("spec.toolServer.tools[{i}]"),
                format!("{tool:?} is not a valid tool name"),
            ));
        }
    }
    if let Some(interval) = &spec.refresh_interval
        && super::types::parse_duration(interval).is_none()
    {
        return Err(SpecError::new(
            "spec.refreshInterval",
            format!("{interval:?} is not a duration; write it like 10m, 1h30m or 45s"),
        ));
    }
    let image = match tool_server.and_then(|t| t.image.as_deref()) {
        None => DEFAULT_IMAGE,
        Some(image) if !image.is_empty() && !image.contains(char::is_whitespace) => image,
        Some(image) => {
            return Err(SpecError::new(
                "spec.toolServer.image",
                format!("{image:?} is not a valid image reference"),
            ));
        }
    };
    Ok(Valid {
        name,
        namespace,
        uid: ds.metadata.uid.as_deref(),
        provider,
        kind,
        transport,
        image,
        read_only: tool_server.and_then(|t| t.read_only).unwrap_or(true),
        tools,
        conn,
    })
}

/// Checks a `DataSource` spec the way the reconciler does.
///
/// ```
/// use datasource_model::kubernetes::{validate_spec, DataSourceResource};
/// let ds = DataSourceResource::from_yaml(
///     "metadata: {name: sales}\nspec: {provider: Databricks, databricks: {catalog: main}}\n",
/// )?;
/// let err = validate_spec(&ds).unwrap_err();
/// assert_eq!(err.field, "spec.databricks.workspaceUrl");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn validate_spec(ds: &DataSourceResource) -> Result<(), SpecError> {
    validate(ds).map(|_| ())
}
