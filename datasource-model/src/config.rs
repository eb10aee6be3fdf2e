//! [`DataSourceConfig`]: which provider to use and its settings, from YAML, JSON or the
//! environment. Shared by the example servers and the Kubernetes resource.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use schemars::JsonSchema;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::{BigQueryConfig, DynDataSource, Error, Provider, Result, SnowflakeConfig};

/// Which provider to use, plus one settings block per provider.
///
/// YAML:
///
/// ```yaml
/// provider: databricks
/// max_rows: 5000
/// databricks:
///   host: https://adb-123.azuredatabricks.net
///   warehouse_id: abc123
///   catalog: main
///   schema: sales
///   genie_space_id: 01ef...
/// ```
///
/// ```yaml
/// provider: local
/// local:
///   sample: true
///   tables:
///     - { name: returns, path: data/returns.parquet }
///   models:
///     - { path: models/returns.yaml }
/// ```
///
/// Multi-word keys also accept camelCase (`warehouseId`, `maxRows`), as the Kubernetes resource
/// writes them. Secrets (`databricks.token`) are never serialised back out.
///
/// ```
/// use datasource_model::{DataSourceConfig, Provider};
///
/// let config = DataSourceConfig::from_yaml("provider: local\nlocal: {sample: true}\n").unwrap();
/// assert_eq!(config.provider, Provider::Local);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct DataSourceConfig {
    /// The provider.
    pub provider: Provider,
    /// Cap on rows per result, for every call.
    #[serde(default, alias = "maxRows", skip_serializing_if = "Option::is_none")]
    pub max_rows: Option<u64>,
    /// Settings for `provider: databricks`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub databricks: Option<DatabricksConfig>,
    /// Settings for `provider: local`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalConfig>,
    /// Settings for `provider: snowflake`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snowflake: Option<SnowflakeConfig>,
    /// Settings for `provider: bigquery`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bigquery: Option<BigQueryConfig>,
}

/// Settings for the Databricks provider.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct DatabricksConfig {
    /// Workspace URL. Absent: taken from the client's usual configuration chain
    /// (`DATABRICKS_HOST`, `~/.databrickscfg`).
    #[serde(
        default,
        alias = "workspaceUrl",
        alias = "workspace_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub host: Option<String>,
    /// Personal access token. Absent: the client's usual auth chain. Never serialised.
    #[serde(default, skip_serializing)]
    #[schemars(with = "Option<String>")]
    pub token: Option<SecretString>,
    /// `~/.databrickscfg` profile to use when `host`/`token` are absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// SQL warehouse that runs queries.
    #[serde(alias = "warehouseId")]
    pub warehouse_id: String,
    /// Unity Catalog catalog whose metric views are discovered.
    pub catalog: String,
    /// Restrict discovery to this schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Genie space answering natural-language questions (`ask`); absent: `ask` is not supported.
    #[serde(
        default,
        alias = "genieSpaceId",
        skip_serializing_if = "Option::is_none"
    )]
    pub genie_space_id: Option<String>,
}

impl DatabricksConfig {
    /// Settings for a warehouse and catalog.
    pub fn new(warehouse_id: impl Into<String>, catalog: impl Into<String>) -> Self {
        Self {
            warehouse_id: warehouse_id.into(),
            catalog: catalog.into(),
            ..Self::default()
        }
    }
    /// Set the workspace URL.
    pub fn with_host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }
    /// Set the token.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(SecretString::from(token.into()));
        self
    }
    /// Restrict discovery to a schema.
    pub fn with_schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }
    /// Set the Genie space.
    pub fn with_genie_space_id(mut self, id: impl Into<String>) -> Self {
        self.genie_space_id = Some(id.into());
        self
    }
}

/// Settings for the local provider.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct LocalConfig {
    /// Serve the shipped sample (orders, customers, inventory and three models).
    #[serde(default)]
    pub sample: bool,
    /// Tables to register.
    #[serde(default)]
    pub tables: Vec<LocalTableConfig>,
    /// Metric-view YAML model files.
    #[serde(default)]
    pub models: Vec<LocalModelConfig>,
    /// A directory whose `*.yaml` / `*.yml` files are all models.
    #[serde(default, alias = "modelsDir", skip_serializing_if = "Option::is_none")]
    pub models_dir: Option<PathBuf>,
}

impl LocalConfig {
    /// Serve the sample.
    pub fn sample() -> Self {
        Self {
            sample: true,
            ..Self::default()
        }
    }
    /// Add a table.
    pub fn with_table(mut self, table: LocalTableConfig) -> Self {
        self.tables.push(table);
        self
    }
    /// Add a model file.
    pub fn with_model(mut self, path: impl Into<PathBuf>) -> Self {
        self.models.push(LocalModelConfig {
            name: None,
            path: path.into(),
        });
        self
    }
}

/// One local table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct LocalTableConfig {
    /// Table name used in SQL and in model `source:`.
    pub name: String,
    /// File or directory.
    pub path: PathBuf,
    /// `csv` or `parquet`; absent: from the file extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TableFormat>,
}

impl LocalTableConfig {
    /// A table from a file; the format comes from the extension.
    pub fn new(name: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        Self {
            name: name.into(),
            path: path.into(),
            format: None,
        }
    }
    /// The effective format.
    pub fn resolved_format(&self) -> Result<TableFormat> {
        if let Some(f) = self.format {
            return Ok(f);
        }
        match self
            .path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .as_deref()
        {
            Some("csv") => Ok(TableFormat::Csv),
            Some("parquet") | Some("pq") => Ok(TableFormat::Parquet),
            _ => Err(Error::invalid_config(format!(
                "table `{}`: cannot tell the format of {}; set `format: csv` or `format: parquet`",
                self.name,
                self.path.display()
            ))),
        }
    }
}

/// File format of a local table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TableFormat {
    /// CSV with a header row.
    Csv,
    /// Apache Parquet.
    Parquet,
}

/// One local model file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct LocalModelConfig {
    /// Model name; absent: the file stem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Path to metric-view YAML.
    pub path: PathBuf,
}

impl DataSourceConfig {
    /// A config for `provider` with no settings blocks.
    pub fn new(provider: Provider) -> Self {
        Self {
            provider,
            max_rows: None,
            databricks: None,
            local: None,
            snowflake: None,
            bigquery: None,
        }
    }

    /// Set the Snowflake block.
    pub fn with_snowflake(mut self, snowflake: SnowflakeConfig) -> Self {
        self.snowflake = Some(snowflake);
        self
    }

    /// Set the BigQuery block.
    pub fn with_bigquery(mut self, bigquery: BigQueryConfig) -> Self {
        self.bigquery = Some(bigquery);
        self
    }

    /// The local sample.
    pub fn local_sample() -> Self {
        Self::new(Provider::Local).with_local(LocalConfig::sample())
    }

    /// Set the Databricks block.
    pub fn with_databricks(mut self, databricks: DatabricksConfig) -> Self {
        self.databricks = Some(databricks);
        self
    }

    /// Set the local block.
    pub fn with_local(mut self, local: LocalConfig) -> Self {
        self.local = Some(local);
        self
    }

    /// Set the row cap.
    pub fn with_max_rows(mut self, max_rows: u64) -> Self {
        self.max_rows = Some(max_rows);
        self
    }

    /// Parse YAML.
    pub fn from_yaml(yaml: &str) -> Result<Self> {
        let config: Self = serde_saphyr::from_str(yaml)
            .map_err(|e| Error::invalid_config(format!("data source YAML: {e}")))?;
        config.validate()?;
        Ok(config)
    }

    /// Parse JSON.
    pub fn from_json(json: &str) -> Result<Self> {
        let config: Self = serde_json::from_str(json)
            .map_err(|e| Error::invalid_config(format!("data source JSON: {e}")))?;
        config.validate()?;
        Ok(config)
    }

    /// Read a `.yaml`/`.yml` or `.json` file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::invalid_config(format!("cannot read {}: {e}", path.display())))?;
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => Self::from_json(&text),
            _ => Self::from_yaml(&text),
        }
        .map_err(|e| match e {
            Error::InvalidConfig { message } => {
                Error::invalid_config(format!("{}: {message}", path.display()))
            }
            other => other,
        })
    }

    /// Read the process environment; see [`DataSourceConfig::from_env_vars`] for the variables.
    pub fn from_env() -> Result<Self> {
        Self::from_env_vars(std::env::vars())
    }

    /// Build from `(name, value)` pairs (the environment, or a test's map):
    ///
    /// | Variable | Meaning |
    /// |---|---|
    /// | `DATASOURCE_PROVIDER` | `databricks` or `local` (required) |
    /// | `DATASOURCE_MAX_ROWS` | row cap |
    /// | `DATASOURCE_LOCAL_SAMPLE` | `true` to serve the sample |
    /// | `DATASOURCE_LOCAL_TABLES` | `name=path,name=path` |
    /// | `DATASOURCE_LOCAL_MODELS` | `path,path` of model YAML files |
    /// | `DATASOURCE_LOCAL_MODELS_DIR` | directory of model YAML files |
    /// | `DATABRICKS_HOST`, `DATABRICKS_TOKEN`, `DATABRICKS_CONFIG_PROFILE` | workspace and auth |
    /// | `DATABRICKS_WAREHOUSE_ID`, `DATABRICKS_CATALOG`, `DATABRICKS_SCHEMA`, `DATABRICKS_GENIE_SPACE_ID` | Databricks settings |
    /// | `SNOWFLAKE_*` | Snowflake settings; see [`SnowflakeConfig::from_env_map`] |
    pub fn from_env_vars<I, K, V>(vars: I) -> Result<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let vars: std::collections::HashMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_ascii_uppercase(), v.into()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let get = |k: &str| vars.get(k).cloned();
        let provider_text = get("DATASOURCE_PROVIDER").ok_or_else(|| {
            Error::invalid_config(
                "DATASOURCE_PROVIDER is not set; set it to `databricks` or `local`",
            )
        })?;
        let provider: Provider = serde_json::from_value(serde_json::Value::String(
            provider_text.trim().to_ascii_lowercase(),
        ))
        .map_err(|_| {
            Error::invalid_config(format!(
                "DATASOURCE_PROVIDER=`{provider_text}` is not a provider; use `databricks` or `local`"
            ))
        })?;
        let mut config = Self::new(provider);
        if let Some(v) = get("DATASOURCE_MAX_ROWS") {
            config.max_rows = Some(v.trim().parse().map_err(|_| {
                Error::invalid_config(format!("DATASOURCE_MAX_ROWS=`{v}` is not a number"))
            })?);
        }
        match provider {
            Provider::Local => {
                let mut local = LocalConfig {
                    sample: get("DATASOURCE_LOCAL_SAMPLE")
                        .is_some_and(|v| matches!(v.trim(), "1" | "true" | "TRUE" | "yes")),
                    ..LocalConfig::default()
                };
                if let Some(v) = get("DATASOURCE_LOCAL_TABLES") {
                    for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                        let (name, path) = item.split_once('=').ok_or_else(|| {
                            Error::invalid_config(format!(
                                "DATASOURCE_LOCAL_TABLES entry `{item}` is not `name=path`"
                            ))
                        })?;
                        local
                            .tables
                            .push(LocalTableConfig::new(name.trim(), path.trim()));
                    }
                }
                if let Some(v) = get("DATASOURCE_LOCAL_MODELS") {
                    for path in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                        local = local.with_model(path);
                    }
                }
                local.models_dir = get("DATASOURCE_LOCAL_MODELS_DIR").map(PathBuf::from);
                config.local = Some(local);
            }
            Provider::Databricks => {
                let required = |k: &str| {
                    get(k).ok_or_else(|| {
                        Error::invalid_config(format!(
                            "{k} is not set; the Databricks provider needs it"
                        ))
                    })
                };
                let mut d = DatabricksConfig::new(
                    required("DATABRICKS_WAREHOUSE_ID")?,
                    required("DATABRICKS_CATALOG")?,
                );
                d.host = get("DATABRICKS_HOST");
                d.token = get("DATABRICKS_TOKEN").map(SecretString::from);
                d.profile = get("DATABRICKS_CONFIG_PROFILE");
                d.schema = get("DATABRICKS_SCHEMA");
                d.genie_space_id = get("DATABRICKS_GENIE_SPACE_ID");
                config.databricks = Some(d);
            }
            Provider::Snowflake => {
                config.snowflake = Some(SnowflakeConfig::from_env_map(&vars)?);
            }
            other => {
                return Err(Error::invalid_config(format!(
                    "provider {other} cannot be configured from the environment yet"
                )));
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// Build the configured source.
    ///
    /// ```
    /// # async fn demo() -> datasource_model::Result<()> {
    /// use datasource_model::{DataSourceConfig, ModelScope};
    ///
    /// let config = DataSourceConfig::from_yaml("provider: local\nlocal: {sample: true}\n")?;
    /// let source = config.build().await?;
    /// assert_eq!(source.list_models(&ModelScope::new()).await?.len(), 3);
    /// # Ok(()) }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(demo()).unwrap();
    /// ```
    pub async fn build(&self) -> Result<Arc<DynDataSource>> {
        self.validate()?;
        match self.provider {
            #[cfg(feature = "local")]
            Provider::Local => {
                let local = self.local.clone().unwrap_or_default();
                let mut builder = crate::LocalSourceBuilder::from_config(&local)?;
                if let Some(max) = self.max_rows {
                    builder = builder.with_max_rows(max);
                }
                Ok(Arc::new(builder.build().await?))
            }
            #[cfg(feature = "databricks")]
            Provider::Databricks => {
                let d = self.databricks.clone().unwrap_or_default();
                Ok(Arc::new(crate::DatabricksSource::from_config(
                    &d,
                    self.max_rows,
                )?))
            }
            #[cfg(feature = "snowflake")]
            Provider::Snowflake => {
                let s = self.snowflake.clone().ok_or_else(|| {
                    Error::invalid_config("provider `snowflake` needs a `snowflake` block")
                })?;
                Ok(Arc::new(crate::SnowflakeSource::from_config(
                    &s,
                    self.max_rows,
                )?))
            }
            #[cfg(feature = "bigquery")]
            Provider::BigQuery => {
                let b = self.bigquery.clone().unwrap_or_default();
                Ok(Arc::new(crate::BigQuerySource::from_config(
                    &b,
                    self.max_rows,
                )?))
            }
            // Reachable when a provider's cargo feature is off.
            #[allow(unreachable_patterns)]
            other => Err(Error::invalid_config(format!(
                "provider {other} is not compiled into this build; enable its cargo feature"
            ))),
        }
    }

    /// Check that the block for the chosen provider is present and complete.
    pub fn validate(&self) -> Result<()> {
        match self.provider {
            Provider::Local => {
                let local = self.local.as_ref().ok_or_else(|| {
                    Error::invalid_config(
                        "provider `local` needs a `local` block (e.g. `local: {sample: true}`)",
                    )
                })?;
                if !local.sample
                    && local.tables.is_empty()
                    && local.models.is_empty()
                    && local.models_dir.is_none()
                {
                    return Err(Error::invalid_config(
                        "the `local` block is empty; set `sample: true` or list `tables` and `models`",
                    ));
                }
                for t in &local.tables {
                    t.resolved_format()?;
                }
                Ok(())
            }
            Provider::Databricks => {
                let d = self.databricks.as_ref().ok_or_else(|| {
                    Error::invalid_config(
                        "provider `databricks` needs a `databricks` block with `warehouse_id` and `catalog`",
                    )
                })?;
                if d.warehouse_id.trim().is_empty() || d.catalog.trim().is_empty() {
                    return Err(Error::invalid_config(
                        "`databricks.warehouse_id` and `databricks.catalog` must not be empty",
                    ));
                }
                Ok(())
            }
            Provider::Snowflake => self
                .snowflake
                .as_ref()
                .ok_or_else(|| {
                    Error::invalid_config(
                        "provider `snowflake` needs a `snowflake` block with `account` (or `host`), `warehouse`, `database` and `auth`",
                    )
                })?
                .validate(),
            Provider::BigQuery => {
                let b = self.bigquery.as_ref().ok_or_else(|| {
                    Error::invalid_config(
                        "provider `bigquery` needs a `bigquery` block with `project_id` and `dataset`",
                    )
                })?;
                if b.project_id.trim().is_empty() || b.dataset.trim().is_empty() {
                    return Err(Error::invalid_config(
                        "`bigquery.project_id` and `bigquery.dataset` must not be empty",
                    ));
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn yaml_json_and_env_agree() {
        let yaml = r#"
provider: Databricks
maxRows: 100
databricks:
  workspaceUrl: https://adb-1.azuredatabricks.net
  token: dapi-secret
  warehouseId: wh1
  catalog: main
  schema: sales
  genie_space_id: g1
"#;
        let a = DataSourceConfig::from_yaml(yaml).unwrap();
        let json = r#"{"provider":"databricks","max_rows":100,"databricks":{"host":"https://adb-1.azuredatabricks.net","token":"dapi-secret","warehouse_id":"wh1","catalog":"main","schema":"sales","genieSpaceId":"g1"}}"#;
        let b = DataSourceConfig::from_json(json).unwrap();
        let c = DataSourceConfig::from_env_vars([
            ("DATASOURCE_PROVIDER", "databricks"),
            ("DATASOURCE_MAX_ROWS", "100"),
            ("DATABRICKS_HOST", "https://adb-1.azuredatabricks.net"),
            ("DATABRICKS_TOKEN", "dapi-secret"),
            ("DATABRICKS_WAREHOUSE_ID", "wh1"),
            ("DATABRICKS_CATALOG", "main"),
            ("DATABRICKS_SCHEMA", "sales"),
            ("DATABRICKS_GENIE_SPACE_ID", "g1"),
        ])
        .unwrap();
        for cfg in [&a, &b, &c] {
            assert_eq!(cfg.provider, Provider::Databricks);
            assert_eq!(cfg.max_rows, Some(100));
            let d = cfg.databricks.as_ref().unwrap();
            assert_eq!(d.warehouse_id, "wh1");
            assert_eq!(d.schema.as_deref(), Some("sales"));
            assert_eq!(d.genie_space_id.as_deref(), Some("g1"));
            assert_eq!(d.token.as_ref().unwrap().expose_secret(), "dapi-secret");
        }
        // The token never leaves through Debug or serialisation.
        assert!(!format!("{a:?}").contains("dapi-secret"));
        assert!(!serde_json::to_string(&a).unwrap().contains("dapi-secret"));
    }

    #[test]
    fn local_config_from_env() {
        let c = DataSourceConfig::from_env_vars([
            ("DATASOURCE_PROVIDER", "local"),
            ("DATASOURCE_LOCAL_SAMPLE", "true"),
            ("DATASOURCE_LOCAL_TABLES", "a=x/a.csv, b=y/b.parquet"),
            ("DATASOURCE_LOCAL_MODELS", "m/one.yaml"),
        ])
        .unwrap();
        let local = c.local.unwrap();
        assert!(local.sample);
        assert_eq!(
            local.tables[1].resolved_format().unwrap(),
            TableFormat::Parquet
        );
        assert_eq!(local.models[0].path, PathBuf::from("m/one.yaml"));
    }

    #[test]
    fn errors_name_the_fix() {
        let e = DataSourceConfig::from_env_vars(Vec::<(String, String)>::new()).unwrap_err();
        assert!(
            e.to_string().contains("DATASOURCE_PROVIDER is not set"),
            "{e}"
        );
        let e = DataSourceConfig::from_yaml("provider: databricks\n").unwrap_err();
        assert!(e.to_string().contains("warehouse_id"), "{e}");
        let e = DataSourceConfig::from_yaml("provider: local\nlocal: {}\n").unwrap_err();
        assert!(e.to_string().contains("sample: true"), "{e}");
        let e = DataSourceConfig::from_yaml(
            "provider: local\nlocal: {tables: [{name: t, path: t.txt}]}\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("format: csv"), "{e}");
        let e = DataSourceConfig::from_env_vars([("DATASOURCE_PROVIDER", "oracle")]).unwrap_err();
        assert!(e.to_string().contains("not a provider"), "{e}");
    }

    #[test]
    fn schema_generates() {
        let schema = schemars::schema_for!(DataSourceConfig);
        let v = serde_json::to_value(schema).unwrap();
        assert!(v["properties"]["provider"].is_object());
    }
}
