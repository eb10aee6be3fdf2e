//! The tool-server manifests generated for a `DataSource`, and the Agent `tools` entry.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::types::{
    API_VERSION, DataSourceResource, GeneratedToolServer, KIND, Provider, SecretKeyRef,
    ToolServerKind, Transport,
};
use super::validate::{Conn, DatabricksAuth, SpecError, Valid, validate};

/// Label naming the owning `DataSource` on every generated object.
pub const LABEL_DATASOURCE: &str = "kagent.dev/datasource";
/// Label naming the provider (`databricks`, `snowflake`, `bigquery`, `local`).
pub const LABEL_PROVIDER: &str = "kagent.dev/provider";

/// Path of the Databricks server binary in the image.
pub const DATABRICKS_SERVER: &str = "/usr/local/bin/databricks-mcp-server";
/// Path of the provider-agnostic server binary in the image (`--config FILE`).
pub const DATASOURCE_SERVER: &str = "/usr/local/bin/datasource-mcp-server";

/// The tools an Agent gets when `spec.toolServer.tools` is empty (the read tools of the
/// example servers; `execute_sql` is read-only unless `readOnly: false`).
pub const DEFAULT_TOOLS: &[&str] = &[
    "list_models",
    "describe_model",
    "get_model_metrics",
    "get_model_dimensions",
    "query_model",
    "execute_sql",
    "get_statement",
    "cancel_statement",
];

/// Environment variable the generated HTTP servers read their API key from (`mcp_tools::server`).
pub const API_KEY_ENV: &str = "MCP_API_KEY";
/// Key of the generated API-key Secret holding the bare API key (mounted as [`API_KEY_ENV`]).
pub const API_KEY_SECRET_KEY: &str = "api-key";
/// Key of the generated API-key Secret holding `Bearer <api key>`, the `Authorization` header
/// value kagent sends (`headersFrom` copies a Secret value verbatim).
pub const AUTHORIZATION_SECRET_KEY: &str = "authorization";

/// Name of the Secret holding the API key of the HTTP tool server generated for the
/// `DataSource` `datasource` (`<datasource>-mcp-api-key`). The controller creates it with a
/// random key, or adopts an existing one and keeps its key.
///
/// ```
/// assert_eq!(datasource_model::kubernetes::api_key_secret_name("sales"), "sales-mcp-api-key");
/// ```
pub fn api_key_secret_name(datasource: &str) -> String {
    format!("{datasource}-mcp-api-key")
}

/// HTTP port of servers that serve streamable HTTP themselves.
const HTTP_PORT: u16 = 8080;
/// Port kmcp's agentgateway listens on for stdio servers (kmcp's default).
const KMCP_STDIO_PORT: u16 = 3000;
/// Where file credentials (BigQuery service-account keys) are mounted.
const CREDENTIALS_DIR: &str = "/var/run/secrets/datasource";
/// Default Secret key of a BigQuery service-account key file.
const BIGQUERY_DEFAULT_KEY: &str = "key.json";
/// File name of the provider config inside its ConfigMap.
const CONFIG_FILE: &str = "datasource.yaml";
/// Environment variable carrying the Snowflake token into the server.
const SNOWFLAKE_TOKEN_ENV: &str = "SNOWFLAKE_TOKEN";
/// Default data folder of the local provider.
const LOCAL_DEFAULT_PATH: &str = "/data";
/// Where the projected service-account token of workload identity is mounted.
pub const WORKLOAD_IDENTITY_TOKEN_DIR: &str = "/var/run/secrets/databricks";
/// File name of the projected token inside [`WORKLOAD_IDENTITY_TOKEN_DIR`].
const WORKLOAD_IDENTITY_TOKEN_FILE: &str = "token";
/// Name of the projected token volume.
const WORKLOAD_IDENTITY_VOLUME: &str = "databricks-oidc";

/// How a credential reaches the server process.
#[derive(Debug)]
enum Credential<'a> {
    /// A token read from the environment variable `env`.
    Env {
        secret: &'a SecretKeyRef,
        env: &'static str,
    },
    /// A key file whose path is put in `env`.
    File {
        secret: &'a SecretKeyRef,
        key: &'a str,
        env: &'static str,
    },
    /// A projected service-account token exchanged for a Databricks token (`file-oidc`).
    Projected {
        client_id: &'a str,
        audience: &'a str,
        explicit_audience: bool,
        expiration_seconds: i64,
    },
    /// No credential (local provider).
    None,
}

/// The projected service-account token volume and its read-only mount.
fn projected_token_volume(audience: &str, expiration_seconds: i64) -> (Value, Value) {
    (
        json!({
            "name": WORKLOAD_IDENTITY_VOLUME,
            "projected": { "sources": [{ "serviceAccountToken": {
                "path": WORKLOAD_IDENTITY_TOKEN_FILE,
                "audience": audience,
                "expirationSeconds": expiration_seconds,
            } }] },
        }),
        json!({
            "name": WORKLOAD_IDENTITY_VOLUME,
            "mountPath": WORKLOAD_IDENTITY_TOKEN_DIR,
            "readOnly": true,
        }),
    )
}

impl<'a> Valid<'a> {
    pub(crate) fn child_name(&self) -> String {
        format!("{}-mcp", self.name)
    }

    fn config_map_name(&self) -> String {
        format!("{}-datasource-config", self.name)
    }

    fn labels(&self) -> Value {
        json!({
            LABEL_DATASOURCE: self.name,
            LABEL_PROVIDER: self.provider.label(),
            "app.kubernetes.io/managed-by": "kagent-datasource",
        })
    }

    fn metadata(&self, name: &str) -> Value {
        let mut owner = json!({
            "apiVersion": API_VERSION,
            "kind": KIND,
            "name": self.name,
            "controller": true,
            "blockOwnerDeletion": true,
        });
        if let (Some(uid), Some(obj)) = (self.uid, owner.as_object_mut()) {
            obj.insert("uid".into(), json!(uid));
        }
        json!({
            "name": name,
            "namespace": self.namespace,
            "labels": self.labels(),
            "ownerReferences": [owner],
        })
    }

    fn credential(&self) -> Credential<'_> {
        match &self.conn {
            Conn::Databricks {
                auth: DatabricksAuth::Secret(secret),
                ..
            } => Credential::Env {
                secret,
                env: "DATABRICKS_TOKEN",
            },
            Conn::Databricks {
                auth:
                    DatabricksAuth::WorkloadIdentity {
                        client_id,
                        audience,
                        explicit_audience,
                        expiration_seconds,
                        ..
                    },
                ..
            } => Credential::Projected {
                client_id,
                audience,
                explicit_audience: *explicit_audience,
                expiration_seconds: *expiration_seconds,
            },
            Conn::Snowflake { credentials, .. } => Credential::Env {
                secret: credentials,
                env: SNOWFLAKE_TOKEN_ENV,
            },
            Conn::BigQuery { credentials, .. } => Credential::File {
                secret: credentials,
                key: credentials.key.as_deref().unwrap_or(BIGQUERY_DEFAULT_KEY),
                env: "GOOGLE_APPLICATION_CREDENTIALS",
            },
            Conn::Local { .. } => Credential::None,
        }
    }

    /// Whether the server gets its settings from a ConfigMap (`datasource-mcp-server`).
    fn uses_config_file(&self) -> bool {
        !matches!(self.conn, Conn::Databricks { .. })
    }

    fn local_path(&self) -> Option<&'a str> {
        match &self.conn {
            Conn::Local { spec } => Some(
                spec.and_then(|s| s.data_path.as_deref())
                    .unwrap_or(LOCAL_DEFAULT_PATH),
            ),
            _ => None,
        }
    }

    fn local_claim(&self) -> Option<&'a str> {
        match &self.conn {
            Conn::Local { spec } => spec.and_then(|s| s.persistent_volume_claim.as_deref()),
            _ => None,
        }
    }

    /// The server command and its arguments.
    fn command(&self, models: &[String], config_path: &str) -> (&'static str, Vec<String>) {
        let mut args = Vec::new();
        let binary = match &self.conn {
            Conn::Databricks {
                workspace_url,
                catalog,
                schema,
                warehouse_id,
                genie_space_id,
                ..
            } => {
                args.push(format!("--workspace-url={workspace_url}"));
                args.push("--toolsets=datasource".to_owned());
                args.push(format!("--catalog={catalog}"));
                if let Some(schema) = schema {
                    args.push(format!("--schema={schema}"));
                }
                if !models.is_empty() {
                    args.push(format!("--models={}", models.join(",")));
                }
                if let Some(id) = warehouse_id {
                    args.push(format!("--warehouse-id={id}"));
                }
                if let Some(id) = genie_space_id {
                    args.push(format!("--genie-space={id}"));
                }
                if let Some(var) = self.token_env_flag() {
                    args.push(format!("--token-env={var}"));
                }
                DATABRICKS_SERVER
            }
            _ => {
                args.push(format!("--config={config_path}"));
                if !models.is_empty() {
                    args.push(format!("--models={}", models.join(",")));
                }
                DATASOURCE_SERVER
            }
        };
        if !self.tools.is_empty() {
            args.push(format!("--tools={}", self.tools.join(",")));
        }
        args.push(format!("--transport={}", self.transport.as_str()));
        if self.transport == Transport::Http {
            // In a pod the server must listen beyond loopback; the Host check (DNS-rebinding
            // protection) then accepts the in-cluster names of its Service.
            args.push("--host=0.0.0.0".to_owned());
            args.push(format!("--port={HTTP_PORT}"));
            let (name, ns) = (self.child_name(), self.namespace);
            args.push(format!(
                "--allowed-host={name},{name}.{ns},{name}.{ns}.svc,{name}.{ns}.svc.cluster.local"
            ));
            // A RemoteMCPServer's Deployment reads its API key from the generated Secret
            // (`MCP_API_KEY`) and kagent sends it (`headersFrom`). kmcp's MCPServer has no way to
            // make kagent send a header, so that kind still opts out of authentication; its pod
            // is reached only through kmcp's cluster-internal Service (docs/deployment.md).
            if self.kind != ToolServerKind::RemoteMcpServer {
                args.push("--insecure-no-auth".to_owned());
            }
        }
        if !self.read_only {
            args.push("--allow-writes".into());
        }
        (binary, args)
    }

    /// Plain (non-secret) environment variables.
    fn env(&self) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        env.insert("RUST_LOG".to_owned(), "info".to_owned());
        if let Conn::Databricks { workspace_url, .. } = &self.conn {
            env.insert("DATABRICKS_HOST".to_owned(), (*workspace_url).to_owned());
        }
        match self.credential() {
            Credential::File { key, env: var, .. } => {
                env.insert(var.to_owned(), format!("{CREDENTIALS_DIR}/{key}"));
            }
            Credential::Projected {
                client_id,
                audience,
                explicit_audience,
                ..
            } => {
                env.insert("DATABRICKS_AUTH_TYPE".to_owned(), "file-oidc".to_owned());
                env.insert(
                    "DATABRICKS_OIDC_TOKEN_FILEPATH".to_owned(),
                    format!("{WORKLOAD_IDENTITY_TOKEN_DIR}/{WORKLOAD_IDENTITY_TOKEN_FILE}"),
                );
                env.insert("DATABRICKS_CLIENT_ID".to_owned(), client_id.to_owned());
                if explicit_audience {
                    env.insert("DATABRICKS_TOKEN_AUDIENCE".to_owned(), audience.to_owned());
                }
            }
            _ => {}
        }
        env
    }

    /// The ServiceAccount the tool-server pod must run as, if the spec names one.
    fn service_account(&self) -> Option<&'a str> {
        match &self.conn {
            Conn::Databricks {
                auth:
                    DatabricksAuth::WorkloadIdentity {
                        service_account, ..
                    },
                ..
            } => *service_account,
            _ => None,
        }
    }

    /// Whether the tool server authenticates with a projected service-account token.
    pub(crate) fn uses_workload_identity(&self) -> bool {
        matches!(
            self.conn,
            Conn::Databricks {
                auth: DatabricksAuth::WorkloadIdentity { .. },
                ..
            }
        )
    }

    /// The provider config file for `datasource-mcp-server --config`.
    fn config_document(&self) -> Value {
        let provider = self.provider.label();
        let mut block = serde_json::Map::new();
        match &self.conn {
            Conn::Snowflake { spec, .. } => {
                for (k, v) in [
                    ("account_url", &spec.account_url),
                    ("warehouse", &spec.warehouse),
                    ("database", &spec.database),
                    ("schema", &spec.schema),
                    ("role", &spec.role),
                ] {
                    if let Some(v) = v {
                        block.insert(k.into(), json!(v));
                    }
                }
                // The Secret's token reaches the server as SNOWFLAKE_TOKEN (see `credential`);
                // the loader reads it as a programmatic access token.
                block.insert(
                    "auth".into(),
                    json!({ "type": "pat", "token_env": SNOWFLAKE_TOKEN_ENV }),
                );
            }
            Conn::BigQuery { spec, .. } => {
                for (k, v) in [
                    ("project_id", &spec.project_id),
                    ("dataset", &spec.dataset),
                    ("location", &spec.location),
                ] {
                    if let Some(v) = v {
                        block.insert(k.into(), json!(v));
                    }
                }
            }
            Conn::Local { spec } => {
                let tables = spec.map(|s| s.tables.as_slice()).unwrap_or_default();
                let explicit_path = spec.and_then(|s| s.data_path.as_deref());
                if tables.is_empty() && explicit_path.is_none() {
                    block.insert("sample".into(), json!(true));
                } else {
                    let dir = self.local_path().unwrap_or(LOCAL_DEFAULT_PATH);
                    let tables: Vec<Value> = tables
                        .iter()
                        .map(|t| json!({ "name": t.name, "path": format!("{dir}/{}", t.file) }))
                        .collect();
                    block.insert("tables".into(), json!(tables));
                    block.insert("models_dir".into(), json!(format!("{dir}/models")));
                }
            }
            Conn::Databricks { .. } => {}
        }
        json!({ "provider": provider, provider: block })
    }

    fn config_map(&self) -> Value {
        let document = serde_saphyr::to_string(&self.config_document()).unwrap_or_default();
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": self.metadata(&self.config_map_name()),
            "data": { CONFIG_FILE: document },
        })
    }

    fn description(&self) -> String {
        format!(
            "Auto-generated MCP server for DataSource {} ({})",
            self.name, self.provider
        )
    }

    fn mcp_server(&self, models: &[String]) -> Value {
        let config_path = format!("/configmaps/{}/{CONFIG_FILE}", self.config_map_name());
        let (cmd, args) = self.command(models, &config_path);
        let mut deployment = json!({
            "image": self.image,
            "port": if self.transport == Transport::Http { HTTP_PORT } else { KMCP_STDIO_PORT },
            "cmd": cmd,
            "args": args,
            "env": self.env(),
        });
        let mut volumes = Vec::new();
        let mut mounts = Vec::new();
        match self.credential() {
            // kmcp injects whole Secrets (`envFrom`); see `credentials_condition`.
            Credential::Env { secret, .. } => {
                deployment["secretRefs"] = json!([{ "name": secret.name }]);
            }
            Credential::File { secret, key, .. } => {
                volumes.push(secret_volume(secret, key));
                mounts.push(json!({ "name": "credentials", "mountPath": CREDENTIALS_DIR, "readOnly": true }));
            }
            Credential::Projected {
                audience,
                expiration_seconds,
                ..
            } => {
                let (volume, mount) = projected_token_volume(audience, expiration_seconds);
                volumes.push(volume);
                mounts.push(mount);
            }
            Credential::None => {}
        }
        if let Some(account) = self.service_account() {
            deployment["serviceAccountName"] = json!(account);
        }
        if self.uses_config_file() {
            deployment["configMapRefs"] = json!([{ "name": self.config_map_name() }]);
        }
        if let (Some(claim), Some(path)) = (self.local_claim(), self.local_path()) {
            volumes.push(json!({ "name": "data", "persistentVolumeClaim": { "claimName": claim, "readOnly": true } }));
            mounts.push(json!({ "name": "data", "mountPath": path, "readOnly": true }));
        }
        if !volumes.is_empty() {
            deployment["volumes"] = json!(volumes);
            deployment["volumeMounts"] = json!(mounts);
        }
        let mut spec = json!({
            "transportType": self.transport.as_str(),
            "timeout": "30s",
            "deployment": deployment,
        });
        match self.transport {
            Transport::Stdio => spec["stdioTransport"] = json!({}),
            Transport::Http => {
                spec["httpTransport"] = json!({ "targetPort": HTTP_PORT, "path": "/mcp" });
            }
        }
        json!({
            "apiVersion": ToolServerKind::McpServer.api_version(),
            "kind": ToolServerKind::McpServer.as_str(),
            "metadata": self.metadata(&self.child_name()),
            "spec": spec,
        })
    }

    fn deployment(&self, models: &[String]) -> Value {
        let config_dir = "/etc/datasource";
        let config_path = format!("{config_dir}/{CONFIG_FILE}");
        let (cmd, args) = self.command(models, &config_path);
        let mut env: Vec<Value> = self
            .env()
            .into_iter()
            .map(|(name, value)| json!({ "name": name, "value": value }))
            .collect();
        let mut env_from = Vec::new();
        let mut volumes = Vec::new();
        let mut mounts = Vec::new();
        match self.credential() {
            Credential::Env { secret, env: var } => match &secret.key {
                Some(key) => env.push(json!({
                    "name": var,
                    "valueFrom": { "secretKeyRef": { "name": secret.name, "key": key } },
                })),
                None => env_from.push(json!({ "secretRef": { "name": secret.name } })),
            },
            Credential::File { secret, key, .. } => {
                volumes.push(secret_volume(secret, key));
                mounts.push(json!({ "name": "credentials", "mountPath": CREDENTIALS_DIR, "readOnly": true }));
            }
            Credential::Projected {
                audience,
                expiration_seconds,
                ..
            } => {
                let (volume, mount) = projected_token_volume(audience, expiration_seconds);
                volumes.push(volume);
                mounts.push(mount);
            }
            Credential::None => {}
        }
        // The server's API key, from the Secret the controller generates (never a value here).
        env.push(json!({
            "name": API_KEY_ENV,
            "valueFrom": { "secretKeyRef": {
                "name": api_key_secret_name(self.name),
                "key": API_KEY_SECRET_KEY,
            } },
        }));
        if self.uses_config_file() {
            volumes
                .push(json!({ "name": "config", "configMap": { "name": self.config_map_name() } }));
            mounts.push(json!({ "name": "config", "mountPath": config_dir, "readOnly": true }));
        }
        if let (Some(claim), Some(path)) = (self.local_claim(), self.local_path()) {
            volumes.push(json!({ "name": "data", "persistentVolumeClaim": { "claimName": claim, "readOnly": true } }));
            mounts.push(json!({ "name": "data", "mountPath": path, "readOnly": true }));
        }
        let mut container = json!({
            "name": "mcp-server",
            "image": self.image,
            "command": [cmd],
            "args": args,
            "ports": [{ "name": "http", "containerPort": HTTP_PORT, "protocol": "TCP" }],
            "env": env,
            "readinessProbe": { "tcpSocket": { "port": "http" } },
            "securityContext": {
                "allowPrivilegeEscalation": false,
                "capabilities": { "drop": ["ALL"] },
            },
        });
        if !env_from.is_empty() {
            container["envFrom"] = json!(env_from);
        }
        if !mounts.is_empty() {
            container["volumeMounts"] = json!(mounts);
        }
        let mut pod_spec = json!({ "containers": [container] });
        if let Some(account) = self.service_account() {
            pod_spec["serviceAccountName"] = json!(account);
        }
        if !volumes.is_empty() {
            pod_spec["volumes"] = json!(volumes);
        }
        let selector = self.selector();
        let mut pod_labels = self.labels();
        if let (Some(labels), Some(sel)) = (pod_labels.as_object_mut(), selector.as_object()) {
            labels.extend(sel.clone());
        }
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": self.metadata(&self.child_name()),
            "spec": {
                "replicas": 1,
                "selector": { "matchLabels": selector },
                "template": {
                    "metadata": { "labels": pod_labels },
                    "spec": pod_spec,
                },
            },
        })
    }

    fn selector(&self) -> Value {
        json!({
            "app.kubernetes.io/name": "datasource-mcp-server",
            "app.kubernetes.io/instance": self.child_name(),
        })
    }

    fn service(&self) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": self.metadata(&self.child_name()),
            "spec": {
                "selector": self.selector(),
                "ports": [{ "name": "http", "port": HTTP_PORT, "targetPort": "http", "protocol": "TCP" }],
            },
        })
    }

    fn remote_mcp_server(&self) -> Value {
        json!({
            "apiVersion": ToolServerKind::RemoteMcpServer.api_version(),
            "kind": ToolServerKind::RemoteMcpServer.as_str(),
            "metadata": self.metadata(&self.child_name()),
            "spec": {
                "description": self.description(),
                "protocol": "STREAMABLE_HTTP",
                "url": format!("http://{}.{}:{HTTP_PORT}/mcp", self.child_name(), self.namespace),
                "timeout": "30s",
                // kagent reads the header value from the generated Secret on each connection.
                "headersFrom": [{
                    "name": "Authorization",
                    "valueFrom": {
                        "type": "Secret",
                        "name": api_key_secret_name(self.name),
                        "key": AUTHORIZATION_SECRET_KEY,
                    },
                }],
            },
        })
    }

    fn tool_server(&self, models: &[String]) -> Value {
        let (command, args) = self.command(models, "");
        let mut stdio = json!({
            "command": command,
            "args": args,
            "env": self.env(),
        });
        if let Credential::Env { secret, env } = self.credential() {
            stdio["envFrom"] = json!([{
                "name": env,
                "valueFrom": {
                    "type": "Secret",
                    "valueRef": secret.name,
                    "key": secret.key.as_deref().unwrap_or(env),
                },
            }]);
        }
        json!({
            "apiVersion": ToolServerKind::ToolServer.api_version(),
            "kind": ToolServerKind::ToolServer.as_str(),
            "metadata": self.metadata(&self.child_name()),
            "spec": {
                "description": self.description(),
                "config": { "type": "stdio", "stdio": stdio },
            },
        })
    }

    /// Every child manifest, dependencies first and the tool server last.
    pub(crate) fn manifests(&self, models: &[String]) -> Vec<Value> {
        let mut out = Vec::new();
        if self.uses_config_file() && self.kind != ToolServerKind::ToolServer {
            out.push(self.config_map());
        }
        match self.kind {
            ToolServerKind::McpServer => out.push(self.mcp_server(models)),
            ToolServerKind::RemoteMcpServer => {
                out.push(self.deployment(models));
                out.push(self.service());
                out.push(self.remote_mcp_server());
            }
            ToolServerKind::ToolServer => out.push(self.tool_server(models)),
        }
        out
    }

    pub(crate) fn generated_ref(&self) -> GeneratedToolServer {
        GeneratedToolServer {
            api_version: Some(self.kind.api_version().to_owned()),
            kind: Some(self.kind.as_str().to_owned()),
            name: self.child_name(),
            namespace: Some(self.namespace.to_owned()),
        }
    }

    /// The variable `databricks-mcp-server --token-env` must read: kmcp's MCPServer exposes
    /// every key of the Secret as a variable of the same name, so a key other than
    /// `DATABRICKS_TOKEN` (the proposal's `token`) lands under its own name. `None` when the
    /// default variable already holds the token (the other kinds map the key onto it).
    pub(crate) fn token_env_flag(&self) -> Option<&'a str> {
        if self.kind != ToolServerKind::McpServer {
            return None;
        }
        let Conn::Databricks {
            auth: DatabricksAuth::Secret(credentials),
            ..
        } = &self.conn
        else {
            return None;
        };
        let key = credentials.key.as_deref()?;
        (key != "DATABRICKS_TOKEN").then_some(key)
    }

    /// When kmcp cannot map a single Secret key to the variable the server reads, the reason
    /// and message of a `CredentialsMapped=False` condition.
    pub(crate) fn credentials_problem(&self) -> Option<String> {
        if self.kind != ToolServerKind::McpServer {
            return None;
        }
        let Credential::Env { secret, env } = self.credential() else {
            return None;
        };
        let key = secret.key.as_deref()?;
        if self.token_env_flag().is_some() {
            // databricks-mcp-server reads the key's variable (`--token-env`).
            return None;
        }
        (key != env).then(|| {
            format!(
                "kmcp's MCPServer exposes every key of Secret {} as an environment variable of \
                 the same name, and the server reads {env}, but the key is {key:?}: rename the \
                 key to {env}, or set spec.toolServer.kind to RemoteMCPServer, which maps a \
                 single key",
                secret.name
            )
        })
    }
}

fn secret_volume(secret: &SecretKeyRef, key: &str) -> Value {
    json!({
        "name": "credentials",
        "secret": {
            "secretName": secret.name,
            "items": [{ "key": key, "path": key }],
        },
    })
}

/// The manifests of the tool server for `ds`, exposing `models` (all models when empty).
///
/// `MCPServer` (the default) yields the MCPServer (plus a ConfigMap for providers configured by
/// file); `RemoteMCPServer` yields a Deployment, a Service and the RemoteMCPServer; `ToolServer`
/// yields the legacy ToolServer. Every object carries an owner reference to the `DataSource`
/// and the labels [`LABEL_DATASOURCE`] and [`LABEL_PROVIDER`]. Credentials are always Secret
/// references, never values; with `spec.databricks.workloadIdentity` there is no Secret at all:
/// a projected service-account token volume mounted at [`WORKLOAD_IDENTITY_TOKEN_DIR`], the
/// `file-oidc` environment (`DATABRICKS_AUTH_TYPE`, `DATABRICKS_OIDC_TOKEN_FILEPATH`,
/// `DATABRICKS_CLIENT_ID`, `DATABRICKS_TOKEN_AUDIENCE` when the audience is set) and the
/// pod's `serviceAccountName` when the spec names one.
///
/// A `RemoteMCPServer`'s server is authenticated: its container reads `MCP_API_KEY` from the
/// Secret [`api_key_secret_name`] (key [`API_KEY_SECRET_KEY`]) and the RemoteMCPServer's
/// `headersFrom` makes kagent send `Authorization` from the same Secret (key
/// [`AUTHORIZATION_SECRET_KEY`]). The Secret itself is not among the manifests: the controller
/// creates it with a random key (or keeps the key of an existing one).
///
/// ```
/// use datasource_model::kubernetes::{tool_server_manifests, DataSourceResource};
/// let ds = DataSourceResource::from_yaml(
///     "metadata: {name: sales}\nspec: {provider: Local}\n",
/// )?;
/// let manifests = tool_server_manifests(&ds, &["revenue_metrics".to_owned()])?;
/// assert_eq!(manifests.last().unwrap()["kind"], "MCPServer");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn tool_server_manifests(
    ds: &DataSourceResource,
    models: &[String],
) -> Result<Vec<Value>, SpecError> {
    Ok(validate(ds)?.manifests(models))
}

/// The Agent `spec.declarative.tools[]` entry referencing a generated tool server.
///
/// Returns `None` for the legacy `ToolServer` kind, which Agents (v1alpha2) cannot reference.
/// `tool_names` empty means [`DEFAULT_TOOLS`].
///
/// ```
/// use datasource_model::kubernetes::{agent_tool_entry, GeneratedToolServer};
/// let mut server = GeneratedToolServer::default();
/// server.kind = Some("MCPServer".into());
/// server.name = "sales-mcp".into();
/// let entry = agent_tool_entry(&server, &["query_model".to_owned()]).unwrap();
/// assert_eq!(entry["mcpServer"]["toolNames"][0], "query_model");
/// ```
pub fn agent_tool_entry(server: &GeneratedToolServer, tool_names: &[String]) -> Option<Value> {
    let kind = server.kind.as_deref().unwrap_or("MCPServer");
    if kind != "MCPServer" && kind != "RemoteMCPServer" {
        return None;
    }
    let names: Vec<&str> = if tool_names.is_empty() {
        DEFAULT_TOOLS.to_vec()
    } else {
        tool_names.iter().map(String::as_str).collect()
    };
    let mut mcp = json!({
        "apiGroup": super::types::GROUP,
        "kind": kind,
        "name": server.name,
        "toolNames": names,
    });
    if let (Some(ns), Some(obj)) = (&server.namespace, mcp.as_object_mut()) {
        obj.insert("namespace".into(), json!(ns));
    }
    Some(json!({ "type": "McpServer", "mcpServer": mcp }))
}

/// The Agent `tools` entry for a `DataSource`'s generated tool server, using its
/// `spec.toolServer.tools` allowlist; `execute_sql` requires approval when writes are allowed.
/// `None` when the spec is invalid or asks for the legacy `ToolServer`.
pub fn agent_tool_entry_for(ds: &DataSourceResource) -> Option<Value> {
    let valid = validate(ds).ok()?;
    let mut entry = agent_tool_entry(&valid.generated_ref(), valid.tools)?;
    let has_sql = entry["mcpServer"]["toolNames"]
        .as_array()
        .is_some_and(|names| names.iter().any(|n| n == "execute_sql"));
    if !valid.read_only && has_sql {
        entry["mcpServer"]["requireApproval"] = json!(["execute_sql"]);
    }
    Some(entry)
}

impl Provider {
    /// Whether this provider is served by `datasource-mcp-server --config FILE` rather than
    /// `databricks-mcp-server`.
    pub fn uses_config_file(self) -> bool {
        self != Self::Databricks
    }
}
