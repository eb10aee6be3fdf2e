//! The `bigquery` block of [`DataSourceConfig`](crate::DataSourceConfig). Always compiled, so a
//! config parses (and names the missing feature) even in builds without `bigquery`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// Settings for the BigQuery provider.
///
/// ```yaml
/// provider: bigquery
/// bigquery:
///   project_id: my-gcp-project
///   dataset: sales
///   location: US
///   maximum_bytes_billed: 10000000000   # 10 GB: queries estimated above it fail before running
///   auth: {type: service_account_key, path: /var/run/secrets/datasource/key.json}
///   models:
///     - path: models/revenue_metrics.yaml    # metric-view YAML, the same file the local provider reads
///     - name: inline_model
///       yaml: |
///         source: orders
///         dimensions: [{name: channel, expr: source.channel}]
///         measures: [{name: order_count, expr: COUNT(1)}]
/// ```
///
/// Model `source:` tables are resolved in `project_id.dataset` unless they name a dataset
/// (`dataset.table`) or a project (`project.dataset.table`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct BigQueryConfig {
    /// Google Cloud project that runs (and pays for) the queries and holds the dataset.
    #[serde(alias = "projectId")]
    pub project_id: String,
    /// Default dataset: bare table names in models and SQL resolve here.
    pub dataset: String,
    /// Dataset location (`US`, `EU`, `europe-west3`); absent: BigQuery infers it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Model files or inline metric-view YAML.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<BigQueryModelConfig>,
    /// A directory whose `*.yaml` / `*.yml` files are all models.
    #[serde(default, alias = "modelsDir", skip_serializing_if = "Option::is_none")]
    pub models_dir: Option<PathBuf>,
    /// How to get Google credentials (default: Application Default Credentials).
    #[serde(default)]
    pub auth: BigQueryAuth,
    /// Cost guard: every query runs with `maximumBytesBilled` set to this, and a dry run
    /// before it refuses queries estimated above it.
    #[serde(
        default,
        alias = "maximumBytesBilled",
        skip_serializing_if = "Option::is_none"
    )]
    pub maximum_bytes_billed: Option<u64>,
    /// Labels attached to every query job (for billing reports).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// `jobCreationMode`: `JOB_CREATION_REQUIRED` (default) or `JOB_CREATION_OPTIONAL`.
    #[serde(
        default,
        alias = "jobCreationMode",
        skip_serializing_if = "Option::is_none"
    )]
    pub job_creation_mode: Option<String>,
    /// How long a query may run before the call returns a timeout with its job id
    /// (milliseconds, default 120 000).
    #[serde(default, alias = "timeoutMs", skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// API root; absent: `https://bigquery.googleapis.com/bigquery/v2` (set for emulators and
    /// tests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

impl BigQueryConfig {
    /// Settings for a project and dataset, with Application Default Credentials.
    pub fn new(project_id: impl Into<String>, dataset: impl Into<String>) -> Self {
        Self {
            project_id: project_id.into(),
            dataset: dataset.into(),
            ..Self::default()
        }
    }
    /// Set the location.
    pub fn with_location(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }
    /// Add a model file.
    pub fn with_model_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.models.push(BigQueryModelConfig {
            name: None,
            path: Some(path.into()),
            yaml: None,
        });
        self
    }
    /// Add an inline model.
    pub fn with_model_yaml(mut self, name: impl Into<String>, yaml: impl Into<String>) -> Self {
        self.models.push(BigQueryModelConfig {
            name: Some(name.into()),
            path: None,
            yaml: Some(yaml.into()),
        });
        self
    }
    /// Set the auth method.
    pub fn with_auth(mut self, auth: BigQueryAuth) -> Self {
        self.auth = auth;
        self
    }
    /// Set the cost cap.
    pub fn with_maximum_bytes_billed(mut self, bytes: u64) -> Self {
        self.maximum_bytes_billed = Some(bytes);
        self
    }
    /// Set the API root.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }
    /// Set the query timeout.
    pub fn with_timeout_ms(mut self, timeout_ms: u64) -> Self {
        self.timeout_ms = Some(timeout_ms);
        self
    }
    /// Add a job label.
    pub fn with_label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }
}

/// One declared model: a metric-view YAML file, or YAML inline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct BigQueryModelConfig {
    /// Model name; absent: the file stem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Path to metric-view YAML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// Metric-view YAML inline (needs `name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yaml: Option<String>,
}

/// How the BigQuery provider gets Google credentials (`auth: {type: …}`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum BigQueryAuth {
    /// Application Default Credentials: `GOOGLE_APPLICATION_CREDENTIALS` (a service-account
    /// key or `authorized_user` file), the gcloud file
    /// (`~/.config/gcloud/application_default_credentials.json`), then the GCE/GKE metadata
    /// server (Workload Identity).
    ApplicationDefault {
        /// Metadata server base URL (default `http://metadata.google.internal`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        metadata_endpoint: Option<String>,
    },
    /// A service-account JSON key from a file or an environment variable holding the JSON.
    ServiceAccountKey {
        /// Path of the key file.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<PathBuf>,
        /// Name of an environment variable that holds the key JSON.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        env: Option<String>,
    },
    /// The GCE/GKE metadata server only (Workload Identity).
    MetadataServer {
        /// Base URL (default `http://metadata.google.internal`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
    },
    /// A fixed OAuth access token (short-lived; for tests and tools that mint tokens).
    /// Never serialised.
    AccessToken {
        /// The token.
        #[serde(skip_serializing)]
        #[schemars(with = "String")]
        token: SecretString,
    },
}

impl Default for BigQueryAuth {
    fn default() -> Self {
        Self::ApplicationDefault {
            metadata_endpoint: None,
        }
    }
}

impl BigQueryAuth {
    /// A service-account key file.
    pub fn service_account_key_file(path: impl Into<PathBuf>) -> Self {
        Self::ServiceAccountKey {
            path: Some(path.into()),
            env: None,
        }
    }
    /// A fixed access token.
    pub fn access_token(token: impl Into<String>) -> Self {
        Self::AccessToken {
            token: SecretString::from(token.into()),
        }
    }
    /// The metadata server at `endpoint`.
    pub fn metadata_server(endpoint: impl Into<String>) -> Self {
        Self::MetadataServer {
            endpoint: Some(endpoint.into()),
        }
    }
}
