//! A Kubernetes controller for the `DataSource` resource, on kube-rs (feature `controller`).
//!
//! [`run`] watches `DataSource` objects, the children it generated (MCPServer, RemoteMCPServer,
//! ToolServer, Deployment, Service, ConfigMap) and the Secrets they reference, and calls
//! [`reconcile_object`] for each change. One reconcile:
//!
//! 1. reads the credential from `credentialsSecretRef` (a missing Secret or key sets
//!    `Connected=False` with reason `SecretNotFound` / `SecretKeyNotFound` and writes no child);
//!    a Databricks `DataSource` with `workloadIdentity` references no Secret and skips steps 1
//!    and 2: the projected service-account token belongs to the tool-server pod, so the
//!    controller cannot connect with it and reports `Connected=Unknown` (reason
//!    `WorkloadIdentity`) while applying the children;
//! 2. builds the provider through the [`ProviderFactory`] (Databricks discovers a SQL
//!    warehouse when the spec names none, see [`crate::discover_warehouse`]);
//! 3. runs the pure [`reconcile`](fn@super::reconcile);
//! 4. server-side applies every child with the field manager [`FIELD_MANAGER`], with the
//!    pod-template annotation [`ANNOTATION_CREDENTIALS_HASH`] (a SHA-256 of the Secret's data,
//!    so a rotated Secret rolls the tool-server pods; the credential itself is never written).
//!    Before the children of a `RemoteMCPServer` are applied, the Secret
//!    [`api_key_secret_name`] holding the HTTP server's API key is ensured (see
//!    [`ensure_api_key_secret`]): created with a random key, or adopted with its key kept, and
//!    a SHA-256 of the key goes into the pod-template annotation [`ANNOTATION_API_KEY_HASH`];
//! 5. deletes children of this `DataSource` the spec no longer wants (label
//!    [`LABEL_DATASOURCE`] *and* a controller owner reference with this object's uid; objects
//!    carrying the label without that reference are left alone);
//! 6. applies the `status` subresource (only when it changed) and records an Event when the
//!    `Ready` condition changes;
//! 7. requeues: after `spec.refreshInterval` (default [`DEFAULT_REFRESH`]) when ready, with
//!    exponential backoff on a transient provider error (the last good children keep serving),
//!    and not at all on a permanent error (invalid spec, rejected credential, missing Secret):
//!    the next spec or Secret change triggers the next reconcile.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use futures::{FutureExt, StreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams,
};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Client, Resource, ResourceExt};
use secrecy::SecretString;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tracing::{info, warn};

use super::children::{
    API_KEY_SECRET_KEY, AUTHORIZATION_SECRET_KEY, LABEL_DATASOURCE, api_key_secret_name,
};
use super::reconcile::{
    CONDITION_READY, Children, FailureKind, ProviderFailure, reconcile_discovered,
};
use super::types::{
    API_VERSION, ConditionStatus, DataSourceResource, DataSourceStatus, GROUP, KIND, Provider,
    SecretKeyRef, VERSION, parse_duration,
};
use super::validate::validate_spec;
use super::{PLURAL, reconcile};
use crate::{DataSource, DatabricksConfig, Error};

/// Field manager of every server-side apply the controller sends.
pub const FIELD_MANAGER: &str = "kagent-datasource-controller";
/// Refresh interval when `spec.refreshInterval` is unset.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(600);
/// Pod-template annotation holding a SHA-256 of the credential Secret's data.
pub const ANNOTATION_CREDENTIALS_HASH: &str = "kagent.dev/credentials-hash";
/// Pod-template annotation holding a SHA-256 of the generated server's API key, so a new key
/// (a deleted and regenerated Secret) rolls the tool-server pods.
pub const ANNOTATION_API_KEY_HASH: &str = "kagent.dev/api-key-hash";
/// Bytes of OS randomness in a generated API key (base64url without padding: 43 characters).
const API_KEY_BYTES: usize = 32;
/// First delay after a transient failure; doubles per consecutive failure up to the refresh
/// interval.
const BACKOFF_BASE: Duration = Duration::from_secs(5);

/// A kind of object the controller generates, applies, watches and prunes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChildKind {
    /// API group (`""` for the core group).
    pub group: &'static str,
    /// API version.
    pub version: &'static str,
    /// Kind.
    pub kind: &'static str,
    /// Plural resource name.
    pub plural: &'static str,
}

impl ChildKind {
    /// The `ApiResource` for dynamic API calls.
    pub fn api_resource(&self) -> ApiResource {
        ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk(self.group, self.version, self.kind),
            self.plural,
        )
    }

    fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// Every kind of child the controller may generate.
pub const CHILD_KINDS: &[ChildKind] = &[
    ChildKind {
        group: "",
        version: "v1",
        kind: "ConfigMap",
        plural: "configmaps",
    },
    ChildKind {
        group: "apps",
        version: "v1",
        kind: "Deployment",
        plural: "deployments",
    },
    ChildKind {
        group: "",
        version: "v1",
        kind: "Service",
        plural: "services",
    },
    ChildKind {
        group: GROUP,
        version: "v1alpha1",
        kind: "MCPServer",
        plural: "mcpservers",
    },
    ChildKind {
        group: GROUP,
        version: "v1alpha2",
        kind: "RemoteMCPServer",
        plural: "remotemcpservers",
    },
    ChildKind {
        group: GROUP,
        version: "v1alpha1",
        kind: "ToolServer",
        plural: "toolservers",
    },
];

/// The `ApiResource` of the `DataSource` resource.
pub fn datasource_api_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(GROUP, VERSION, KIND), PLURAL)
}

/// A provider built for one reconcile.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BuiltProvider {
    /// The provider to test and discover with.
    pub source: Arc<dyn DataSource>,
    /// The SQL warehouse the tool server should use (Databricks): the spec's, or the one
    /// discovered when the spec names none.
    pub warehouse_id: Option<String>,
}

impl BuiltProvider {
    /// A provider without a warehouse.
    pub fn new(source: Arc<dyn DataSource>) -> Self {
        Self {
            source,
            warehouse_id: None,
        }
    }

    /// Sets the warehouse.
    #[must_use]
    pub fn with_warehouse_id(mut self, id: impl Into<String>) -> Self {
        self.warehouse_id = Some(id.into());
        self
    }
}

/// Builds the provider of a `DataSource` from its spec and the credential read from its Secret.
///
/// The controller calls this once per reconcile; tests inject a factory that returns a fake
/// provider, so no real platform is needed.
#[async_trait]
pub trait ProviderFactory: Send + Sync + 'static {
    /// Builds the provider. `credential` is the value of the referenced Secret key (`None` for
    /// providers without credentials). Errors are reported in the `Connected` condition.
    async fn build(
        &self,
        ds: &DataSourceResource,
        credential: Option<SecretString>,
    ) -> Result<BuiltProvider, Error>;
}

/// The production factory: Databricks through `databricks-client` (discovering a warehouse
/// when `spec.databricks.warehouseId` is unset) and the local provider's bundled sample.
///
/// Snowflake and BigQuery have no client in this crate yet: their `DataSource`s report
/// `Connected=False` naming that.
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct DefaultProviderFactory;

impl DefaultProviderFactory {
    /// The production factory.
    pub fn new() -> Self {
        Self
    }
}

#[async_trait]
impl ProviderFactory for DefaultProviderFactory {
    async fn build(
        &self,
        ds: &DataSourceResource,
        credential: Option<SecretString>,
    ) -> Result<BuiltProvider, Error> {
        match ds.spec.provider {
            Some(Provider::Databricks) => {
                let db = ds.spec.databricks.clone().unwrap_or_default();
                let host = db.workspace_url.clone().unwrap_or_default();
                let mut builder = databricks_client::Config::builder().host(host.clone());
                if let Some(token) = &credential {
                    use secrecy::ExposeSecret;
                    builder = builder.token(token.expose_secret());
                }
                let config = builder.build().map_err(|e| {
                    Error::invalid_config(format!("Databricks client configuration: {e}"))
                })?;
                let client = databricks_client::WorkspaceClient::new(config)
                    .map_err(|e| Error::invalid_config(format!("Databricks client: {e}")))?;
                let warehouse = match db.warehouse_id.clone() {
                    Some(id) => id,
                    None => match crate::discover_warehouse(&client).await? {
                        Some(w) => {
                            info!(warehouse = %w.id, name = %w.name, "discovered a SQL warehouse");
                            w.id
                        }
                        None => {
                            return Err(Error::invalid_config(format!(
                                "no usable SQL warehouse is visible to this identity in {host}: \
                                 create one (or grant CAN_USE on one) or set \
                                 spec.databricks.warehouseId"
                            )));
                        }
                    },
                };
                let mut config =
                    DatabricksConfig::new(warehouse.clone(), db.catalog.unwrap_or_default());
                if let Some(schema) = db.schema {
                    config = config.with_schema(schema);
                }
                if let Some(space) = db.genie_space_id {
                    config = config.with_genie_space_id(space);
                }
                let source = crate::DatabricksSource::new(client, &config, None);
                Ok(BuiltProvider::new(Arc::new(source)).with_warehouse_id(warehouse))
            }
            #[cfg(feature = "local")]
            Some(Provider::Local) => {
                let local = ds.spec.local.clone().unwrap_or_default();
                if local.tables.is_empty() && local.data_path.is_none() {
                    let source = crate::DataSourceConfig::local_sample().build().await?;
                    Ok(BuiltProvider::new(source))
                } else {
                    Err(Error::invalid_config(
                        "the controller cannot read spec.local files (they live in the tool \
                         server's volume); check them with datasource-mcp-server --config",
                    ))
                }
            }
            Some(other) => Err(Error::invalid_config(format!(
                "this controller has no {other} client yet; use a Databricks or Local DataSource"
            ))),
            None => Err(Error::invalid_config("spec.provider is required")),
        }
    }
}

/// Settings of one controller.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ControllerConfig {
    /// Namespace to watch; `None`: every namespace.
    pub namespace: Option<String>,
    /// Refresh interval of `DataSource`s without `spec.refreshInterval`.
    pub default_refresh: Duration,
    /// Field manager of the server-side applies.
    pub field_manager: String,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        Self {
            namespace: None,
            default_refresh: DEFAULT_REFRESH,
            field_manager: FIELD_MANAGER.to_owned(),
        }
    }
}

impl ControllerConfig {
    /// Watches one namespace only.
    #[must_use]
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Sets the default refresh interval.
    #[must_use]
    pub fn with_default_refresh(mut self, refresh: Duration) -> Self {
        self.default_refresh = refresh;
        self
    }
}

/// Shared state of the reconciles: the client, the provider factory and the backoff counters.
pub struct Context {
    client: Client,
    factory: Arc<dyn ProviderFactory>,
    config: ControllerConfig,
    recorder: Recorder,
    failures: Mutex<HashMap<String, u32>>,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// A context over a client and a provider factory.
    pub fn new(
        client: Client,
        factory: Arc<dyn ProviderFactory>,
        config: ControllerConfig,
    ) -> Self {
        let reporter = Reporter {
            controller: config.field_manager.clone(),
            instance: std::env::var("POD_NAME").ok(),
        };
        Self {
            recorder: Recorder::new(client.clone(), reporter),
            client,
            factory,
            config,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn next_backoff(&self, key: &str, cap: Duration) -> Duration {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = failures.entry(key.to_owned()).or_insert(0);
        *n = n.saturating_add(1);
        let factor = 1u32
            .checked_shl(n.saturating_sub(1).min(16))
            .unwrap_or(u32::MAX);
        BACKOFF_BASE
            .saturating_mul(factor)
            .min(cap.max(BACKOFF_BASE))
    }

    fn reset_backoff(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(key);
    }
}

/// A reconcile that could not finish; the controller retries it with backoff.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ControllerError {
    /// The API server refused or failed a request.
    #[error("Kubernetes API request failed ({action}): {source}")]
    Kube {
        /// What the controller was doing.
        action: String,
        /// The client error.
        #[source]
        source: kube::Error,
    },
    /// The object is not a `DataSource` this controller can read.
    #[error("cannot read DataSource {name}: {message}; fix the object so it matches the CRD")]
    Decode {
        /// `namespace/name`.
        name: String,
        /// The decoding error.
        message: String,
    },
    /// The operating system's random number generator failed while generating an API key.
    #[error(
        "cannot generate the API key of Secret {secret}: the operating system's random number \
         generator failed ({message}); the Secret was not written"
    )]
    Random {
        /// `namespace/name` of the API-key Secret.
        secret: String,
        /// The generator's error.
        message: String,
    },
}

impl ControllerError {
    fn kube(action: impl Into<String>, source: kube::Error) -> Self {
        Self::Kube {
            action: action.into(),
            source,
        }
    }

    /// Whether retrying may help (API errors do; an undecodable object waits for a change).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Kube { .. } | Self::Random { .. })
    }
}

fn key_of(obj: &DynamicObject) -> String {
    format!("{}/{}", obj.namespace().unwrap_or_default(), obj.name_any())
}

/// The Secret reference of a `DataSource` and the key read when the reference names none.
fn credential_ref(ds: &DataSourceResource) -> Option<(&SecretKeyRef, &'static str)> {
    let spec = &ds.spec;
    match spec.provider? {
        Provider::Databricks => spec
            .databricks
            .as_ref()?
            .credentials_secret_ref
            .as_ref()
            .map(|r| (r, "DATABRICKS_TOKEN")),
        Provider::Snowflake => spec
            .snowflake
            .as_ref()?
            .credentials_secret_ref
            .as_ref()
            .map(|r| (r, "SNOWFLAKE_TOKEN")),
        Provider::BigQuery => spec
            .bigquery
            .as_ref()?
            .credentials_secret_ref
            .as_ref()
            .map(|r| (r, "key.json")),
        _ => None,
    }
}

/// The Secret name a `DataSource` object references, read from its raw JSON.
fn referenced_secret(obj: &DynamicObject) -> Option<&str> {
    let spec = obj.data.get("spec")?;
    ["databricks", "snowflake", "bigquery"]
        .iter()
        .find_map(|block| {
            spec.get(block)?
                .get("credentialsSecretRef")?
                .get("name")?
                .as_str()
        })
}

/// A SHA-256 (hex) of a Secret's data: keys and values in key order.
pub fn secret_data_hash(secret: &Secret) -> String {
    let mut hasher = Sha256::new();
    let data: BTreeMap<&String, &[u8]> = secret
        .data
        .iter()
        .flatten()
        .map(|(k, v)| (k, v.0.as_slice()))
        .collect();
    for (key, value) in data {
        hasher.update((key.len() as u64).to_be_bytes());
        hasher.update(key.as_bytes());
        hasher.update((value.len() as u64).to_be_bytes());
        hasher.update(value);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What reading the credential gave.
enum CredentialOutcome {
    /// No credential needed.
    None,
    /// The value and the hash of the Secret's data.
    Found(SecretString, String),
    /// Missing Secret or key.
    Missing(ProviderFailure),
}

async fn read_credential(
    ctx: &Context,
    ds: &DataSourceResource,
) -> Result<CredentialOutcome, ControllerError> {
    let Some((secret_ref, default_key)) = credential_ref(ds) else {
        return Ok(CredentialOutcome::None);
    };
    let ns = ds.namespace();
    let key = secret_ref.key.as_deref().unwrap_or(default_key);
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), ns);
    let secret = api
        .get_opt(&secret_ref.name)
        .await
        .map_err(|e| ControllerError::kube(format!("get Secret {ns}/{}", secret_ref.name), e))?;
    let Some(secret) = secret else {
        return Ok(CredentialOutcome::Missing(ProviderFailure::new(
            FailureKind::SecretNotFound,
            format!(
                "Secret {:?} (credentialsSecretRef) not found in namespace {ns}: create it with \
                 the key {key:?}",
                secret_ref.name
            ),
        )));
    };
    let value = secret
        .data
        .as_ref()
        .and_then(|d| d.get(key))
        .map(|v| String::from_utf8(v.0.clone()));
    match value {
        Some(Ok(text)) => Ok(CredentialOutcome::Found(
            SecretString::from(text.trim_end_matches(['\r', '\n']).to_owned()),
            secret_data_hash(&secret),
        )),
        Some(Err(_)) => Ok(CredentialOutcome::Missing(ProviderFailure::new(
            FailureKind::SecretKeyNotFound,
            format!(
                "key {key:?} of Secret {:?} is not UTF-8 text: store the token as text",
                secret_ref.name
            ),
        ))),
        None => {
            let keys: Vec<&str> = secret
                .data
                .iter()
                .flatten()
                .map(|(k, _)| k.as_str())
                .collect();
            Ok(CredentialOutcome::Missing(ProviderFailure::new(
                FailureKind::SecretKeyNotFound,
                format!(
                    "Secret {:?} has no key {key:?} (keys: {}): add it or fix \
                     credentialsSecretRef.key",
                    secret_ref.name,
                    if keys.is_empty() {
                        "none".to_owned()
                    } else {
                        keys.join(", ")
                    }
                ),
            )))
        }
    }
}

/// A fresh API key: [`API_KEY_BYTES`] bytes from the OS RNG, base64url without padding.
fn generate_api_key() -> Result<SecretString, getrandom::Error> {
    use base64::Engine;
    let mut bytes = [0u8; API_KEY_BYTES];
    getrandom::fill(&mut bytes)?;
    let key = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    bytes.fill(0);
    Ok(SecretString::from(key))
}

/// The API key of an existing Secret, when it is one the server accepts (UTF-8, no
/// surrounding whitespace, at least 16 characters).
fn usable_api_key(secret: &Secret) -> Option<SecretString> {
    let bytes = secret.data.as_ref()?.get(API_KEY_SECRET_KEY)?;
    let text = std::str::from_utf8(&bytes.0).ok()?;
    (text.trim() == text && text.chars().count() >= 16).then(|| SecretString::from(text.to_owned()))
}

/// A SHA-256 (hex) of an API key, for the pod-template annotation.
fn api_key_hash(key: &SecretString) -> String {
    use secrecy::ExposeSecret;
    Sha256::digest(key.expose_secret().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Ensures the Secret [`api_key_secret_name`]`(name)` in `ns` holds the API key of the HTTP
/// tool server generated for the `DataSource` `name` (uid `uid`), and returns a SHA-256 (hex) of
/// the key.
///
/// An existing Secret with a usable key under [`API_KEY_SECRET_KEY`] keeps its key (no
/// rotation on reconcile); it is adopted (owner reference, labels) and its
/// [`AUTHORIZATION_SECRET_KEY`] set to `Bearer <key>` when either is missing. Otherwise a key of
/// 32 bytes from the OS random number generator (base64url) is generated and the Secret applied.
/// The key is never logged nor returned.
///
/// # Errors
/// [`ControllerError::Kube`] when the API server refuses the read or the apply;
/// [`ControllerError::Random`] when the OS RNG fails.
pub async fn ensure_api_key_secret(
    ctx: &Context,
    ns: &str,
    name: &str,
    uid: &str,
) -> Result<String, ControllerError> {
    use base64::Engine;
    use secrecy::ExposeSecret;
    let secret_name = api_key_secret_name(name);
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), ns);
    let existing = api
        .get_opt(&secret_name)
        .await
        .map_err(|e| ControllerError::kube(format!("get Secret {ns}/{secret_name}"), e))?;
    let kept = existing.as_ref().and_then(usable_api_key);
    if existing.is_some() && kept.is_none() {
        warn!(secret = %secret_name, %ns, "the API-key Secret has no usable key; generating one");
    }
    let key = match kept {
        Some(key) => key,
        None => generate_api_key().map_err(|e| ControllerError::Random {
            secret: format!("{ns}/{secret_name}"),
            message: e.to_string(),
        })?,
    };
    let hash = api_key_hash(&key);
    let authorization = format!("Bearer {}", key.expose_secret());
    let up_to_date = existing.as_ref().is_some_and(|secret| {
        let owned = secret
            .owner_references()
            .iter()
            .any(|o| o.uid == uid && o.kind == KIND && o.controller == Some(true));
        let header = secret
            .data
            .as_ref()
            .and_then(|d| d.get(AUTHORIZATION_SECRET_KEY))
            .is_some_and(|v| v.0 == authorization.as_bytes());
        let used_key = secret
            .data
            .as_ref()
            .and_then(|d| d.get(API_KEY_SECRET_KEY))
            .is_some_and(|v| v.0 == key.expose_secret().as_bytes());
        owned && header && used_key
    });
    if up_to_date {
        return Ok(hash);
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut owner = json!({
        "apiVersion": API_VERSION, "kind": KIND, "name": name,
        "controller": true, "blockOwnerDeletion": true,
    });
    if !uid.is_empty() {
        owner["uid"] = json!(uid);
    }
    let manifest = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": secret_name,
            "namespace": ns,
            "labels": {
                LABEL_DATASOURCE: name,
                "app.kubernetes.io/managed-by": "kagent-datasource",
            },
            "ownerReferences": [owner],
        },
        "type": "Opaque",
        "data": {
            API_KEY_SECRET_KEY: b64.encode(key.expose_secret()),
            AUTHORIZATION_SECRET_KEY: b64.encode(&authorization),
        },
    });
    drop(authorization);
    let params = PatchParams::apply(&ctx.config.field_manager).force();
    api.patch(&secret_name, &params, &Patch::Apply(&manifest))
        .await
        .map_err(|e| ControllerError::kube(format!("apply Secret {ns}/{secret_name}"), e))?;
    info!(
        %ns,
        secret = %secret_name,
        adopted = existing.is_some(),
        "applied the tool server's API-key Secret"
    );
    Ok(hash)
}

/// Puts the API-key hash on the pod template of a Deployment.
fn annotate_api_key(manifest: &mut Value, hash: &str) {
    if manifest["kind"] != "Deployment" {
        return;
    }
    if let Some(obj) = manifest
        .pointer_mut("/spec/template/metadata")
        .and_then(Value::as_object_mut)
    {
        let annotations = obj.entry("annotations").or_insert_with(|| json!({}));
        if let Some(map) = annotations.as_object_mut() {
            map.insert(ANNOTATION_API_KEY_HASH.into(), json!(hash));
        }
    }
}

/// Puts the credential hash on the pod template of a child that has one.
fn annotate(manifest: &mut Value, hash: &str) {
    let kind = manifest["kind"].as_str().unwrap_or_default().to_owned();
    let target = match kind.as_str() {
        "Deployment" => manifest
            .pointer_mut("/spec/template/metadata")
            .and_then(Value::as_object_mut),
        // kmcp merges `spec.deployment.annotations` into its pod template.
        "MCPServer" => manifest
            .pointer_mut("/spec/deployment")
            .and_then(Value::as_object_mut),
        _ => None,
    };
    if let Some(obj) = target {
        let annotations = obj.entry("annotations").or_insert_with(|| json!({}));
        if let Some(map) = annotations.as_object_mut() {
            map.insert(ANNOTATION_CREDENTIALS_HASH.into(), json!(hash));
        }
    }
}

fn child_kind_of(manifest: &Value) -> Option<&'static ChildKind> {
    let api_version = manifest["apiVersion"].as_str()?;
    let kind = manifest["kind"].as_str()?;
    CHILD_KINDS
        .iter()
        .find(|k| k.kind == kind && k.api_version() == api_version)
}

async fn apply_child(ctx: &Context, ns: &str, manifest: &Value) -> Result<(), ControllerError> {
    let Some(kind) = child_kind_of(manifest) else {
        warn!(kind = %manifest["kind"], "skipping a child of an unknown kind");
        return Ok(());
    };
    let name = manifest["metadata"]["name"].as_str().unwrap_or_default();
    let api: Api<DynamicObject> =
        Api::namespaced_with(ctx.client.clone(), ns, &kind.api_resource());
    let params = PatchParams::apply(&ctx.config.field_manager).force();
    api.patch(name, &params, &Patch::Apply(manifest))
        .await
        .map_err(|e| ControllerError::kube(format!("apply {} {ns}/{name}", kind.kind), e))?;
    info!(kind = kind.kind, %ns, %name, "applied child");
    Ok(())
}

fn owned_by(obj: &DynamicObject, uid: &str) -> bool {
    obj.owner_references()
        .iter()
        .any(|o| o.uid == uid && o.kind == KIND && o.controller == Some(true))
}

async fn prune(
    ctx: &Context,
    ns: &str,
    name: &str,
    uid: &str,
    wanted: &[Value],
) -> Result<(), ControllerError> {
    let wanted: BTreeSet<(String, String)> = wanted
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap_or_default().to_owned(),
                m["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    let selector = format!("{LABEL_DATASOURCE}={name}");
    for kind in CHILD_KINDS {
        let api: Api<DynamicObject> =
            Api::namespaced_with(ctx.client.clone(), ns, &kind.api_resource());
        let list = match api.list(&ListParams::default().labels(&selector)).await {
            Ok(list) => list,
            // The kind is not installed (e.g. kmcp absent): nothing of it to prune.
            Err(kube::Error::Api(status)) if status.code == 404 => continue,
            Err(e) => {
                return Err(ControllerError::kube(format!("list {}", kind.plural), e));
            }
        };
        for item in list.items {
            let item_name = item.name_any();
            if !owned_by(&item, uid) || wanted.contains(&(kind.kind.to_owned(), item_name.clone()))
            {
                continue;
            }
            match api.delete(&item_name, &DeleteParams::background()).await {
                Ok(_) => info!(kind = kind.kind, %ns, name = %item_name, "pruned child"),
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(e) => {
                    return Err(ControllerError::kube(
                        format!("delete {} {ns}/{item_name}", kind.kind),
                        e,
                    ));
                }
            }
        }
    }
    Ok(())
}

async fn write_status(
    ctx: &Context,
    ns: &str,
    name: &str,
    status: &DataSourceStatus,
) -> Result<(), ControllerError> {
    let api: Api<DynamicObject> =
        Api::namespaced_with(ctx.client.clone(), ns, &datasource_api_resource());
    let patch = json!({ "apiVersion": API_VERSION, "kind": KIND, "status": status });
    let params = PatchParams::apply(&ctx.config.field_manager).force();
    api.patch_status(name, &params, &Patch::Apply(&patch))
        .await
        .map_err(|e| ControllerError::kube(format!("patch status of DataSource {ns}/{name}"), e))?;
    Ok(())
}

async fn record_transition(
    ctx: &Context,
    obj: &DynamicObject,
    previous: Option<&DataSourceStatus>,
    status: &DataSourceStatus,
) {
    let Some(ready) = status.condition(CONDITION_READY) else {
        return;
    };
    let before = previous.and_then(|p| p.condition(CONDITION_READY));
    if before.is_some_and(|b| b.status == ready.status && b.reason == ready.reason) {
        return;
    }
    let event = Event {
        type_: if ready.status == ConditionStatus::True {
            EventType::Normal
        } else {
            EventType::Warning
        },
        reason: ready.reason.clone(),
        note: Some(ready.message.chars().take(1000).collect()),
        action: "Reconcile".into(),
        secondary: None,
    };
    let reference = obj.object_ref(&datasource_api_resource());
    if let Err(e) = ctx.recorder.publish(&event, &reference).await {
        warn!(error = %e, "could not record an Event");
    }
}

/// Reconciles one `DataSource` object (see the [module docs](self) for the steps).
///
/// ```no_run
/// # async fn demo(client: kube::Client, obj: std::sync::Arc<kube::api::DynamicObject>) {
/// use std::sync::Arc;
/// use datasource_model::kubernetes::controller::*;
/// let ctx = Arc::new(Context::new(
///     client,
///     Arc::new(DefaultProviderFactory::new()),
///     ControllerConfig::default(),
/// ));
/// let action = reconcile_object(obj, ctx).await;
/// println!("{action:?}");
/// # }
/// ```
pub async fn reconcile_object(
    obj: Arc<DynamicObject>,
    ctx: Arc<Context>,
) -> Result<Action, ControllerError> {
    let key = key_of(&obj);
    let ds: DataSourceResource = serde_json::to_value(obj.as_ref())
        .and_then(serde_json::from_value)
        .map_err(|e| ControllerError::Decode {
            name: key.clone(),
            message: e.to_string(),
        })?;
    let ns = obj.namespace().unwrap_or_else(|| "default".to_owned());
    let name = obj.name_any();
    let uid = obj.uid().unwrap_or_default();
    let now = SystemTime::now();
    let refresh = ds
        .spec
        .refresh_interval
        .as_deref()
        .and_then(parse_duration)
        .unwrap_or(ctx.config.default_refresh);

    let workload_identity = ds
        .spec
        .databricks
        .as_ref()
        .is_some_and(|db| db.workload_identity.is_some());
    let (output, hash) = if validate_spec(&ds).is_err() || workload_identity {
        // A workload-identity DataSource references no Secret and the projected token belongs
        // to the tool-server pod: the controller neither reads a credential nor connects.
        (reconcile_discovered(&ds, Ok(Vec::new()), now), None)
    } else {
        match read_credential(&ctx, &ds).await? {
            CredentialOutcome::Missing(failure) => {
                (reconcile_discovered(&ds, Err(failure), now), None)
            }
            found => {
                let (credential, hash) = match found {
                    CredentialOutcome::Found(c, h) => (Some(c), Some(h)),
                    _ => (None, None),
                };
                let built = ctx.factory.build(&ds, credential).await;
                let warehouse = built.as_ref().ok().and_then(|b| b.warehouse_id.clone());
                let mut effective = ds.clone();
                if let (Some(id), Some(db)) = (&warehouse, effective.spec.databricks.as_mut()) {
                    db.warehouse_id = Some(id.clone());
                }
                let mut output = reconcile(&effective, built.map(|b| b.source), now).await;
                if matches!(output.children, Children::Apply(_)) && warehouse.is_some() {
                    output.status.warehouse_id = warehouse;
                }
                (output, hash)
            }
        }
    };

    if let Children::Apply(manifests) = &output.children {
        let mut manifests = manifests.clone();
        let api_key_hash = if manifests.iter().any(|m| m["kind"] == "RemoteMCPServer") {
            Some(ensure_api_key_secret(&ctx, &ns, &name, &uid).await?)
        } else {
            None
        };
        for manifest in &mut manifests {
            if let Some(hash) = &hash {
                annotate(manifest, hash);
            }
            if let Some(key_hash) = &api_key_hash {
                annotate_api_key(manifest, key_hash);
            }
            apply_child(&ctx, &ns, manifest).await?;
        }
        prune(&ctx, &ns, &name, &uid, &manifests).await?;
    }
    if ds.status.as_ref() != Some(&output.status) {
        write_status(&ctx, &ns, &name, &output.status).await?;
        record_transition(&ctx, &obj, ds.status.as_ref(), &output.status).await;
    }

    let ready = output.status.condition(CONDITION_READY);
    let reason = ready.map(|c| c.reason.as_str()).unwrap_or_default();
    let action = if output.status.is_ready() || reason == "ModelsNotFound" {
        ctx.reset_backoff(&key);
        Action::requeue(refresh)
    } else if reason == FailureKind::Unavailable.reason() {
        let delay = ctx.next_backoff(&key, refresh);
        info!(datasource = %key, delay_secs = delay.as_secs(), "provider unavailable; retrying");
        Action::requeue(delay)
    } else {
        ctx.reset_backoff(&key);
        info!(datasource = %key, %reason, "not ready; waiting for a spec or Secret change");
        Action::await_change()
    };
    Ok(action)
}

/// What the controller does after a failed reconcile: API errors retry with exponential
/// backoff; an undecodable object waits for a change.
pub fn error_policy(obj: Arc<DynamicObject>, err: &ControllerError, ctx: Arc<Context>) -> Action {
    warn!(datasource = %key_of(&obj), error = %err, "reconcile failed");
    if err.is_retryable() {
        Action::requeue(ctx.next_backoff(&key_of(&obj), ctx.config.default_refresh))
    } else {
        Action::await_change()
    }
}

/// The resources the controller watches (group, plural), for logs and the RBAC rules.
pub fn watched_resources() -> Vec<(&'static str, &'static str)> {
    let mut out = vec![(GROUP, PLURAL), ("", "secrets")];
    out.extend(
        CHILD_KINDS
            .iter()
            .filter(|k| k.kind != "ToolServer")
            .map(|k| (k.group, k.plural)),
    );
    out
}

/// Runs the controller until `shutdown` completes, then lets in-flight reconciles finish (a
/// shutdown before the first list of `DataSource`s has completed returns at once: nothing has
/// been reconciled yet).
///
/// Watches `DataSource`s (in `config.namespace` or every namespace), the children labelled
/// [`LABEL_DATASOURCE`] (ConfigMap, Deployment, Service, MCPServer, RemoteMCPServer) and
/// Secrets; a Secret change requeues the `DataSource`s that reference it or own it (the API-key
/// Secret of a RemoteMCPServer).
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use datasource_model::kubernetes::controller::*;
/// let client = kube::Client::try_default().await?;
/// run(client, Arc::new(DefaultProviderFactory::new()), ControllerConfig::default(), async {
///     let _ = tokio::signal::ctrl_c().await;
/// })
/// .await;
/// # Ok(()) }
/// ```
pub async fn run(
    client: Client,
    factory: Arc<dyn ProviderFactory>,
    config: ControllerConfig,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) {
    let ar = datasource_api_resource();
    let ns = config.namespace.clone();
    fn api<K>(client: &Client, ns: Option<&str>, _: &()) -> Api<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        match ns {
            Some(ns) => Api::namespaced(client.clone(), ns),
            None => Api::all(client.clone()),
        }
    }
    fn dynamic(client: &Client, ns: Option<&str>, ar: &ApiResource) -> Api<DynamicObject> {
        match ns {
            Some(ns) => Api::namespaced_with(client.clone(), ns, ar),
            None => Api::all_with(client.clone(), ar),
        }
    }
    let children = watcher::Config::default().labels(LABEL_DATASOURCE);
    let controller = Controller::new_with(
        dynamic(&client, ns.as_deref(), &ar),
        watcher::Config::default(),
        ar.clone(),
    );
    let store: Store<DynamicObject> = controller.store();
    let cache = store.clone();
    let secret_ar = ar.clone();
    let mut controller = controller
        .owns(
            api::<ConfigMap>(&client, ns.as_deref(), &()),
            children.clone(),
        )
        .owns(
            api::<Deployment>(&client, ns.as_deref(), &()),
            children.clone(),
        )
        .owns(
            api::<Service>(&client, ns.as_deref(), &()),
            children.clone(),
        )
        .watches(
            api::<Secret>(&client, ns.as_deref(), &()),
            watcher::Config::default(),
            move |secret: Secret| {
                let secret_ns = secret.namespace();
                let secret_name = secret.name_any();
                store
                    .state()
                    .into_iter()
                    .filter(|ds| {
                        // The credential Secret it references, or the API-key Secret it owns.
                        let owns = ds.uid().is_some_and(|uid| {
                            secret
                                .owner_references()
                                .iter()
                                .any(|o| o.uid == uid && o.kind == KIND)
                        });
                        ds.namespace() == secret_ns
                            && (owns || referenced_secret(ds) == Some(secret_name.as_str()))
                    })
                    .map(|ds| ObjectRef::from_obj_with(ds.as_ref(), secret_ar.clone()))
                    .collect::<Vec<_>>()
            },
        );
    for kind in CHILD_KINDS
        .iter()
        .filter(|k| k.group == GROUP && k.kind != "ToolServer")
    {
        let child_ar = kind.api_resource();
        controller = controller.owns_with(
            dynamic(&client, ns.as_deref(), &child_ar),
            child_ar,
            children.clone(),
        );
    }
    info!(
        namespace = ns.as_deref().unwrap_or("<all>"),
        watches = ?watched_resources(),
        "DataSource controller started"
    );
    let ctx = Arc::new(Context::new(client, factory, config));
    let shutdown = shutdown.shared();
    let running = controller
        .graceful_shutdown_on(shutdown.clone())
        .run(reconcile_object, error_policy, ctx)
        .for_each(|result| async move {
            match result {
                Ok((obj, action)) => info!(datasource = %obj, ?action, "reconciled"),
                Err(e) => warn!(error = %e, "controller error"),
            }
        });
    // kube's graceful shutdown holds the runner until the DataSource cache has been listed once,
    // but stops reading the watch that would fill it: a shutdown before the first list completes
    // (an API server that is slow or unreachable at start) would wait forever. Nothing can have
    // been reconciled before that list, so there is nothing to wait for: stop at once.
    let before_first_list = async move {
        shutdown.await;
        if matches!(cache.wait_until_ready().now_or_never(), Some(Ok(()))) {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = running => info!("DataSource controller stopped"),
        () = before_first_list => {
            info!("DataSource controller stopped before its first list of DataSources completed");
        }
    }
}

/// The verbs leader election uses on its `coordination.k8s.io` Lease.
pub const LEASE_VERBS: &[&str] = &["create", "get", "update"];

/// Leader election through a `coordination.k8s.io/v1` Lease: one replica holds the Lease and
/// renews it; the others take it over once it has not been renewed for the lease duration.
///
/// ```no_run
/// # async fn demo(client: kube::Client) -> Result<(), kube::Error> {
/// use std::time::Duration;
/// use datasource_model::kubernetes::controller::LeaderElection;
/// let election = LeaderElection::new(client, "kagent", "datasource-controller", "pod-a")
///     .with_lease_duration(Duration::from_secs(15));
/// election.acquire().await?; // blocks until this replica leads
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct LeaderElection {
    api: Api<k8s_openapi::api::coordination::v1::Lease>,
    name: String,
    identity: String,
    lease_duration: Duration,
}

impl fmt::Debug for LeaderElection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LeaderElection")
            .field("name", &self.name)
            .field("identity", &self.identity)
            .field("lease_duration", &self.lease_duration)
            .finish_non_exhaustive()
    }
}

impl LeaderElection {
    /// An election over the Lease `namespace/name`, for the replica `identity`.
    pub fn new(
        client: Client,
        namespace: &str,
        name: impl Into<String>,
        identity: impl Into<String>,
    ) -> Self {
        Self {
            api: Api::namespaced(client, namespace),
            name: name.into(),
            identity: identity.into(),
            lease_duration: Duration::from_secs(15),
        }
    }

    /// Sets how long a Lease stays valid without renewal (default 15 s).
    #[must_use]
    pub fn with_lease_duration(mut self, duration: Duration) -> Self {
        self.lease_duration = duration;
        self
    }

    /// How often the holder renews (a third of the lease duration).
    pub fn renew_interval(&self) -> Duration {
        self.lease_duration / 3
    }

    /// Acquires the Lease when it is free, expired or already ours, and renews it when ours.
    /// `Ok(true)` when this replica holds it afterwards; a concurrent writer winning the race
    /// is `Ok(false)`, not an error.
    pub async fn try_acquire_or_renew(&self) -> Result<bool, kube::Error> {
        use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
        let now = k8s_openapi::jiff::Timestamp::now();
        let seconds = i32::try_from(self.lease_duration.as_secs()).unwrap_or(i32::MAX);
        let conflict = |e: &kube::Error| matches!(e, kube::Error::Api(s) if s.code == 409);
        let Some(mut lease) = self.api.get_opt(&self.name).await? else {
            let lease = Lease {
                metadata: kube::api::ObjectMeta {
                    name: Some(self.name.clone()),
                    ..Default::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(self.identity.clone()),
                    lease_duration_seconds: Some(seconds),
                    acquire_time: Some(MicroTime(now)),
                    renew_time: Some(MicroTime(now)),
                    lease_transitions: Some(0),
                    ..Default::default()
                }),
            };
            return match self.api.create(&Default::default(), &lease).await {
                Ok(_) => Ok(true),
                Err(e) if conflict(&e) => Ok(false),
                Err(e) => Err(e),
            };
        };
        let spec = lease.spec.get_or_insert_with(Default::default);
        let ours = spec.holder_identity.as_deref() == Some(self.identity.as_str());
        let expired = match (&spec.renew_time, spec.lease_duration_seconds) {
            (Some(MicroTime(renewed)), Some(secs)) => {
                let age = now.duration_since(*renewed);
                age.as_secs() >= i64::from(secs)
            }
            _ => true,
        };
        if !ours && !expired && spec.holder_identity.is_some() {
            return Ok(false);
        }
        if !ours {
            spec.holder_identity = Some(self.identity.clone());
            spec.acquire_time = Some(MicroTime(now));
            spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0).saturating_add(1));
        }
        spec.lease_duration_seconds = Some(seconds);
        spec.renew_time = Some(MicroTime(now));
        // `replace` carries the resourceVersion read above: a concurrent update conflicts.
        match self
            .api
            .replace(&self.name, &Default::default(), &lease)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if conflict(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Waits until this replica holds the Lease.
    pub async fn acquire(&self) -> Result<(), kube::Error> {
        loop {
            if self.try_acquire_or_renew().await? {
                info!(lease = %self.name, identity = %self.identity, "acquired the leader Lease");
                return Ok(());
            }
            tokio::time::sleep(self.renew_interval()).await;
        }
    }

    /// Renews the Lease until renewal fails or another replica takes it over, and returns
    /// then (the caller should stop reconciling).
    pub async fn hold(&self) {
        loop {
            tokio::time::sleep(self.renew_interval()).await;
            match self.try_acquire_or_renew().await {
                Ok(true) => {}
                Ok(false) => {
                    warn!(lease = %self.name, "lost the leader Lease");
                    return;
                }
                Err(e) => {
                    warn!(lease = %self.name, error = %e, "could not renew the leader Lease");
                    return;
                }
            }
        }
    }
}

/// The RBAC rules of the controller: exactly the verbs it uses (the reconcile's requests, the
/// watches of [`watched_resources`] and leader election's [`LEASE_VERBS`]).
///
/// Server-side apply needs `create` as well as `patch` (it creates missing objects);
/// children are listed (pruning, watches) but never read one by one.
pub fn rbac_rules() -> Vec<Value> {
    let child = |group: &str, resources: &[&str], verbs: &[&str]| json!({ "apiGroups": [group], "resources": resources, "verbs": verbs });
    vec![
        child(GROUP, &[PLURAL], &["list", "watch"]),
        child(GROUP, &[&format!("{PLURAL}/status")], &["patch"]),
        child(
            "",
            &["secrets"],
            &["create", "get", "list", "patch", "watch"],
        ),
        child(
            "",
            &["configmaps", "services"],
            &["create", "delete", "list", "patch", "watch"],
        ),
        child(
            "apps",
            &["deployments"],
            &["create", "delete", "list", "patch", "watch"],
        ),
        child(
            GROUP,
            &["mcpservers", "remotemcpservers"],
            &["create", "delete", "list", "patch", "watch"],
        ),
        child(
            GROUP,
            &["toolservers"],
            &["create", "delete", "list", "patch"],
        ),
        child("events.k8s.io", &["events"], &["create", "patch"]),
        child("coordination.k8s.io", &["leases"], LEASE_VERBS),
    ]
}

/// Settings of the deploy manifests ([`deploy_manifests`]).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DeployOptions {
    /// Namespace the controller runs in.
    pub namespace: String,
    /// Controller image.
    pub image: String,
    /// Watch only the controller's own namespace (a Role instead of a ClusterRole).
    pub namespaced: bool,
    /// Port of `/healthz` and `/metrics`.
    pub metrics_port: u16,
}

impl Default for DeployOptions {
    fn default() -> Self {
        Self {
            namespace: "kagent".into(),
            image: "ghcr.io/databricks-rs/datasource-controller:0.1.0".into(),
            namespaced: false,
            metrics_port: 8081,
        }
    }
}

impl DeployOptions {
    /// Sets the namespace.
    #[must_use]
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Sets the image.
    #[must_use]
    pub fn with_image(mut self, image: impl Into<String>) -> Self {
        self.image = image.into();
        self
    }

    /// Restricts the controller to its namespace.
    #[must_use]
    pub fn namespaced(mut self, namespaced: bool) -> Self {
        self.namespaced = namespaced;
        self
    }
}

/// Everything to install the controller: the `DataSource` CRD, a ServiceAccount, a
/// ClusterRole (or Role) with [`rbac_rules`], its binding and the Deployment (one replica,
/// leader election on, health and metrics on `metrics_port`).
///
/// ```
/// use datasource_model::kubernetes::controller::{deploy_manifests, DeployOptions};
/// let docs = deploy_manifests(&DeployOptions::default());
/// assert_eq!(docs[0]["kind"], "CustomResourceDefinition");
/// ```
pub fn deploy_manifests(options: &DeployOptions) -> Vec<Value> {
    let ns = options.namespace.as_str();
    let name = "datasource-controller";
    let labels = json!({ "app.kubernetes.io/name": name });
    let (role_kind, binding_kind) = if options.namespaced {
        ("Role", "RoleBinding")
    } else {
        ("ClusterRole", "ClusterRoleBinding")
    };
    let mut role_meta = json!({ "name": name, "labels": labels });
    let mut binding_meta = role_meta.clone();
    if options.namespaced {
        role_meta["namespace"] = json!(ns);
        binding_meta["namespace"] = json!(ns);
    }
    let mut args = vec![
        "run".to_owned(),
        "--leader-election".to_owned(),
        format!("--lease-namespace={ns}"),
        format!("--metrics-port={}", options.metrics_port),
    ];
    if options.namespaced {
        args.push(format!("--namespace={ns}"));
    }
    let mut docs = vec![
        super::crd(),
        json!({
            "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": { "name": name, "namespace": ns, "labels": labels },
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": role_kind,
            "metadata": role_meta, "rules": rbac_rules(),
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": binding_kind,
            "metadata": binding_meta,
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": name },
            "subjects": [{ "kind": "ServiceAccount", "name": name, "namespace": ns }],
        }),
    ];
    docs.push(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": name, "namespace": ns, "labels": labels },
        "spec": {
            "replicas": 1,
            "selector": { "matchLabels": labels },
            "template": {
                "metadata": { "labels": labels },
                "spec": {
                    "serviceAccountName": name,
                    "containers": [{
                        "name": "controller",
                        "image": options.image,
                        "args": args,
                        "env": [
                            { "name": "RUST_LOG", "value": "info" },
                            { "name": "POD_NAME", "valueFrom": { "fieldRef": { "fieldPath": "metadata.name" } } },
                        ],
                        "ports": [{ "name": "metrics", "containerPort": options.metrics_port }],
                        "livenessProbe": { "httpGet": { "path": "/healthz", "port": "metrics" } },
                        "readinessProbe": { "httpGet": { "path": "/healthz", "port": "metrics" } },
                        "securityContext": {
                            "allowPrivilegeEscalation": false,
                            "readOnlyRootFilesystem": true,
                            "runAsNonRoot": true,
                            "capabilities": { "drop": ["ALL"] },
                        },
                    }],
                },
            },
        },
    }));
    docs
}
