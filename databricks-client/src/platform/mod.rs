//! Tenant platform operations: per-tenant Unity Catalog catalogs, datasets, notebooks, runs,
//! jobs and model endpoints, usable from any Rust service (the MCP platform toolset is one
//! thin adapter over this module).
//!
//! This is the higher layer of the client: it composes the service handles of [`crate::api`]
//! into recipes and holds the tenant policy, and nothing below it depends on it.
//!
//! - [`TenantPolicy`]: how tenant names map to catalogs, schemas, volumes and notebook folders,
//!   and which SQL a tenant may run (read-only, inside its catalog:
//!   [`crate::sql_policy::SqlPolicy::with_tenant_catalog`]).
//! - [`names`]: the naming rules ([`names::check_name`], [`names::check_notebook_name`]) and SQL
//!   quoting ([`names::quote`], [`names::literal`]).
//! - [`TenantPlatform`]: the operations — create-or-get a catalog, the dataset upload recipe
//!   (schema → volume → file → `CREATE TABLE … read_files`), tenant SQL, notebooks, notebook
//!   runs, jobs and serving endpoints. When a run or endpoint is done is decided by the models'
//!   own predicates ([`Run::is_terminal`], [`ServingEndpoint::is_settled`]).
//!
//! ```no_run
//! # async fn run(client: databricks_client::WorkspaceClient) -> Result<(), databricks_client::platform::PlatformError> {
//! use databricks_client::platform::{DatasetFormat, TenantPlatform, TenantPolicy, UploadDataset};
//! let platform = TenantPlatform::new(client, TenantPolicy::new().with_catalog_prefix("acme_"))
//!     .with_warehouse_id("abc123");
//! let catalog = platform.create_catalog("globex", None).await?;
//! println!("{} (created: {})", catalog.value.name, catalog.created);
//! let up = platform
//!     .upload_dataset(UploadDataset::new("globex", "sales", b"id,amount\n1,9.5\n".to_vec(), DatasetFormat::Csv))
//!     .await?;
//! println!("table {}", up.table_path);
//! # Ok(()) }
//! ```

mod error;
pub mod names;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::WorkspaceClient;
use crate::api::QueryOptions;
use crate::models::jobs::{JobSettings, NotebookTask, Run, SubmitRunRequest, Task};
use crate::models::workspace::{ImportRequest, Language};
use crate::models::{
    CatalogInfo, CreateCatalog, CreateSchema, CreateServingEndpoint, CreateVolume,
    EndpointCoreConfig, ExecuteStatementRequest, ServedEntity, ServingEndpoint, StatementTable,
};
use crate::sql_policy::SqlPolicy;

pub use error::{PlatformError, already_exists};
use names::{check_name, check_notebook_name, literal, quote};

/// The `Result` of this module.
pub type Result<T, E = PlatformError> = std::result::Result<T, E>;

/// Default time a statement of the platform may take (upload's `CREATE TABLE`, tenant queries).
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(300);

/// How tenant names map to workspace objects, and which SQL a tenant may run.
///
/// A tenant's catalog is `{catalog_prefix}{tenant_id}`; its datasets are tables of
/// `{catalog}.{dataset_schema}` whose files live in the volume `{dataset_volume}`; its
/// notebooks live below `{notebook_root}/{tenant_id}/`. Tenant ids follow
/// [`names::check_name`], so every derived name is safe.
///
/// ```
/// use databricks_client::platform::TenantPolicy;
/// let policy = TenantPolicy::new();
/// assert_eq!(policy.catalog("acme").unwrap(), "tenant_acme");
/// assert_eq!(policy.notebook_path("acme", "etl/daily").unwrap(), "/Shared/tenants/acme/etl/daily");
/// assert!(policy.catalog("Acme").is_err());
/// assert!(policy.check_sql("acme", "SELECT * FROM tenant_other.datasets.sales").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TenantPolicy {
    catalog_prefix: String,
    notebook_root: String,
    dataset_schema: String,
    dataset_volume: String,
}

impl Default for TenantPolicy {
    fn default() -> Self {
        Self {
            catalog_prefix: "tenant_".to_owned(),
            notebook_root: "/Shared/tenants".to_owned(),
            dataset_schema: "datasets".to_owned(),
            dataset_volume: "uploads".to_owned(),
        }
    }
}

impl TenantPolicy {
    /// The defaults: prefix `tenant_`, notebooks below `/Shared/tenants`, datasets in schema
    /// `datasets` with files in volume `uploads`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the tenant catalog prefix.
    pub fn with_catalog_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.catalog_prefix = prefix.into();
        self
    }

    /// Sets the workspace folder of tenant notebooks.
    pub fn with_notebook_root(mut self, root: impl Into<String>) -> Self {
        self.notebook_root = root.into();
        self
    }

    /// Sets the dataset schema name.
    pub fn with_dataset_schema(mut self, schema: impl Into<String>) -> Self {
        self.dataset_schema = schema.into();
        self
    }

    /// Sets the dataset volume name.
    pub fn with_dataset_volume(mut self, volume: impl Into<String>) -> Self {
        self.dataset_volume = volume.into();
        self
    }

    /// The tenant catalog prefix.
    pub fn catalog_prefix(&self) -> &str {
        &self.catalog_prefix
    }

    /// The workspace folder of tenant notebooks.
    pub fn notebook_root(&self) -> &str {
        &self.notebook_root
    }

    /// The dataset schema name.
    pub fn dataset_schema(&self) -> &str {
        &self.dataset_schema
    }

    /// The dataset volume name.
    pub fn dataset_volume(&self) -> &str {
        &self.dataset_volume
    }

    /// The tenant's catalog, `{prefix}{tenant_id}`.
    ///
    /// # Errors
    /// [`PlatformError::InvalidName`] for a tenant id that breaks [`names::check_name`].
    pub fn catalog(&self, tenant_id: &str) -> Result<String> {
        check_name("tenant_id", tenant_id)?;
        Ok(format!("{}{tenant_id}", self.catalog_prefix))
    }

    /// The workspace path of a tenant notebook, `{notebook_root}/{tenant_id}/{notebook}`.
    ///
    /// # Errors
    /// [`PlatformError::InvalidName`] for a tenant id or notebook name that breaks the rules.
    pub fn notebook_path(&self, tenant_id: &str, notebook: &str) -> Result<String> {
        check_name("tenant_id", tenant_id)?;
        check_notebook_name(notebook)?;
        Ok(format!(
            "{}/{tenant_id}/{notebook}",
            self.notebook_root.trim_end_matches('/')
        ))
    }

    /// Where a tenant dataset lives.
    ///
    /// # Errors
    /// [`PlatformError::InvalidName`] for a tenant id or dataset name that breaks the rules.
    pub fn dataset(&self, tenant_id: &str, dataset_name: &str) -> Result<DatasetLocation> {
        let catalog = self.catalog(tenant_id)?;
        check_name("dataset_name", dataset_name)?;
        Ok(DatasetLocation {
            catalog,
            schema: self.dataset_schema.clone(),
            volume: self.dataset_volume.clone(),
            table: dataset_name.to_owned(),
        })
    }

    /// The SQL policy of a tenant: read-only, and nothing outside its catalog.
    ///
    /// # Errors
    /// [`PlatformError::InvalidName`] for a tenant id that breaks the rules.
    pub fn sql_policy(&self, tenant_id: &str) -> Result<SqlPolicy> {
        Ok(SqlPolicy::read_only().with_tenant_catalog(self.catalog(tenant_id)?))
    }

    /// Checks SQL a tenant wants to run against [`sql_policy`](Self::sql_policy).
    ///
    /// # Errors
    /// [`PlatformError::SqlRefused`] with the policy's reason, or
    /// [`PlatformError::InvalidName`].
    pub fn check_sql(&self, tenant_id: &str, sql: &str) -> Result<()> {
        let catalog = self.catalog(tenant_id)?;
        SqlPolicy::read_only()
            .with_tenant_catalog(&catalog)
            .check(sql)
            .map(drop)
            .map_err(|source| PlatformError::SqlRefused {
                catalog,
                schema: self.dataset_schema.clone(),
                source,
            })
    }
}

/// Where a tenant dataset lives: `catalog.schema.table`, its file in `volume`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DatasetLocation {
    /// The tenant catalog.
    pub catalog: String,
    /// The dataset schema.
    pub schema: String,
    /// The volume of dataset files.
    pub volume: String,
    /// The table (the dataset name).
    pub table: String,
}

impl DatasetLocation {
    /// `catalog.schema.table`, unquoted (every part follows the naming rules).
    pub fn table_path(&self) -> String {
        format!("{}.{}.{}", self.catalog, self.schema, self.table)
    }

    /// The table as quoted SQL.
    pub fn quoted_table(&self) -> String {
        format!(
            "{}.{}.{}",
            quote(&self.catalog),
            quote(&self.schema),
            quote(&self.table)
        )
    }

    /// `/Volumes/{catalog}/{schema}/{volume}/{table}.{format}`.
    pub fn volume_path(&self, format: DatasetFormat) -> String {
        format!(
            "/Volumes/{}/{}/{}/{}.{}",
            self.catalog,
            self.schema,
            self.volume,
            self.table,
            format.as_str()
        )
    }

    /// The statement creating the table over the uploaded file with `read_files`:
    /// `CREATE TABLE IF NOT EXISTS`, or `CREATE OR REPLACE TABLE` with `overwrite`.
    ///
    /// ```
    /// use databricks_client::platform::{DatasetFormat, TenantPolicy};
    /// let loc = TenantPolicy::new().dataset("acme", "sales").unwrap();
    /// assert_eq!(
    ///     loc.create_table_sql(DatasetFormat::Csv, false),
    ///     "CREATE TABLE IF NOT EXISTS `tenant_acme`.`datasets`.`sales` AS SELECT * FROM \
    ///      read_files('/Volumes/tenant_acme/datasets/uploads/sales.csv', format => 'csv', header => true)"
    /// );
    /// ```
    pub fn create_table_sql(&self, format: DatasetFormat, overwrite: bool) -> String {
        let options = match format {
            DatasetFormat::Csv => "format => 'csv', header => true".to_owned(),
            other => format!("format => '{}'", other.as_str()),
        };
        let create = if overwrite {
            "CREATE OR REPLACE TABLE"
        } else {
            "CREATE TABLE IF NOT EXISTS"
        };
        format!(
            "{create} {} AS SELECT * FROM read_files({}, {options})",
            self.quoted_table(),
            literal(&self.volume_path(format))
        )
    }
}

/// File format of a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DatasetFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// JSON (one object per line, or an array).
    Json,
    /// Apache Parquet (binary).
    Parquet,
}

impl DatasetFormat {
    /// `csv`, `json` or `parquet` (the file extension and `read_files` format).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
            Self::Parquet => "parquet",
        }
    }

    /// `true` for binary formats, which cannot come as text.
    pub fn is_binary(self) -> bool {
        matches!(self, Self::Parquet)
    }
}

/// A dataset file to upload ([`TenantPlatform::upload_dataset`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadDataset {
    /// Tenant id.
    pub tenant_id: String,
    /// Dataset name, which becomes the table name.
    pub dataset_name: String,
    /// File content.
    pub content: Vec<u8>,
    /// File format.
    pub format: DatasetFormat,
    /// Replace an existing file and table of the same name.
    pub overwrite: bool,
}

impl UploadDataset {
    /// A new upload that refuses to replace an existing file.
    pub fn new(
        tenant_id: impl Into<String>,
        dataset_name: impl Into<String>,
        content: Vec<u8>,
        format: DatasetFormat,
    ) -> Self {
        Self {
            tenant_id: tenant_id.into(),
            dataset_name: dataset_name.into(),
            content,
            format,
            overwrite: false,
        }
    }

    /// Replaces an existing file and table.
    pub fn with_overwrite(mut self, overwrite: bool) -> Self {
        self.overwrite = overwrite;
        self
    }
}

/// An uploaded dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadedDataset {
    /// Full table name, `catalog.schema.table`.
    pub table_path: String,
    /// Volume path of the uploaded file.
    pub volume_path: String,
    /// Bytes uploaded.
    pub bytes: usize,
    /// File format.
    pub format: DatasetFormat,
}

/// What to read of a tenant's data ([`TenantPlatform::query_dataset`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DatasetQuery {
    /// All columns of one dataset.
    Dataset(String),
    /// A read-only SQL query inside the tenant's catalog; unqualified names resolve in the
    /// dataset schema.
    Sql(String),
}

/// A value and whether this call created it (`false`: it existed and was only read).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Created<T> {
    /// The object.
    pub value: T,
    /// Whether this call created it.
    pub created: bool,
}

/// A one-off run of a tenant notebook ([`TenantPlatform::submit_notebook`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NotebookRun {
    /// Tenant id.
    pub tenant_id: String,
    /// Notebook name below the tenant folder.
    pub notebook: String,
    /// Widget values.
    pub parameters: BTreeMap<String, String>,
    /// Run name (default `{tenant_id}:{notebook}`).
    pub run_name: Option<String>,
    /// Idempotency token: a retried submit with it starts no second run.
    pub idempotency_token: Option<String>,
}

impl NotebookRun {
    /// A run of `notebook` without parameters.
    pub fn new(tenant_id: impl Into<String>, notebook: impl Into<String>) -> Self {
        Self {
            tenant_id: tenant_id.into(),
            notebook: notebook.into(),
            parameters: BTreeMap::new(),
            run_name: None,
            idempotency_token: None,
        }
    }

    /// Sets the widget values.
    pub fn with_parameters(mut self, parameters: BTreeMap<String, String>) -> Self {
        self.parameters = parameters;
        self
    }

    /// Sets the run name.
    pub fn with_run_name(mut self, name: impl Into<String>) -> Self {
        self.run_name = Some(name.into());
        self
    }

    /// Sets the idempotency token.
    pub fn with_idempotency_token(mut self, token: impl Into<String>) -> Self {
        self.idempotency_token = Some(token.into());
        self
    }
}

/// A model serving endpoint to deploy ([`TenantPlatform::deploy_model`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeployModel {
    /// Serving endpoint name.
    pub endpoint_name: String,
    /// Registered model name (`catalog.schema.model`).
    pub model_name: String,
    /// Model version.
    pub model_version: String,
    /// Workload size (default `Small`).
    pub workload_size: Option<String>,
    /// Scale to zero when idle (default true).
    pub scale_to_zero: Option<bool>,
}

impl DeployModel {
    /// A `Small`, scale-to-zero endpoint serving `model_name` at `model_version`.
    pub fn new(
        endpoint_name: impl Into<String>,
        model_name: impl Into<String>,
        model_version: impl Into<String>,
    ) -> Self {
        Self {
            endpoint_name: endpoint_name.into(),
            model_name: model_name.into(),
            model_version: model_version.into(),
            workload_size: None,
            scale_to_zero: None,
        }
    }

    /// Sets the workload size.
    pub fn with_workload_size(mut self, size: impl Into<String>) -> Self {
        self.workload_size = Some(size.into());
        self
    }

    /// Sets scale to zero.
    pub fn with_scale_to_zero(mut self, enabled: bool) -> Self {
        self.scale_to_zero = Some(enabled);
        self
    }
}

/// The tenant platform over a workspace client: see the [module docs](self).
#[derive(Debug, Clone)]
pub struct TenantPlatform {
    client: WorkspaceClient,
    policy: TenantPolicy,
    warehouse_id: Option<String>,
    storage_root: Option<String>,
    statement_timeout: Duration,
}

impl TenantPlatform {
    /// A platform calling the workspace through `client` under `policy`.
    pub fn new(client: WorkspaceClient, policy: TenantPolicy) -> Self {
        Self {
            client,
            policy,
            warehouse_id: None,
            storage_root: None,
            statement_timeout: DEFAULT_STATEMENT_TIMEOUT,
        }
    }

    /// Sets the SQL warehouse of dataset uploads and queries.
    pub fn with_warehouse_id(mut self, id: impl Into<String>) -> Self {
        self.warehouse_id = Some(id.into());
        self
    }

    /// Sets the managed storage root of new tenant catalogs.
    pub fn with_storage_root(mut self, root: impl Into<String>) -> Self {
        self.storage_root = Some(root.into());
        self
    }

    /// Sets how long a statement may take (default [`DEFAULT_STATEMENT_TIMEOUT`]).
    pub fn with_statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = timeout;
        self
    }

    /// The tenant policy.
    pub fn policy(&self) -> &TenantPolicy {
        &self.policy
    }

    /// The workspace client.
    pub fn client(&self) -> &WorkspaceClient {
        &self.client
    }

    /// The workspace URL without a trailing `/`.
    pub fn host(&self) -> String {
        self.client.host().as_str().trim_end_matches('/').to_owned()
    }

    fn warehouse(&self) -> Result<&str> {
        self.warehouse_id
            .as_deref()
            .filter(|w| !w.trim().is_empty())
            .ok_or(PlatformError::NoWarehouse)
    }

    fn query_options(&self) -> QueryOptions {
        QueryOptions::default().with_timeout(self.statement_timeout)
    }

    /// Creates the tenant's catalog, or reads it when it already exists (idempotent).
    ///
    /// # Errors
    /// [`PlatformError::InvalidName`], or [`PlatformError::Client`] when creating or reading
    /// fails.
    pub async fn create_catalog(
        &self,
        tenant_id: &str,
        comment: Option<&str>,
    ) -> Result<Created<CatalogInfo>> {
        let name = self.policy.catalog(tenant_id)?;
        let mut req = CreateCatalog::new(&name);
        if let Some(c) = comment {
            req = req.with_comment(c);
        }
        if let Some(r) = &self.storage_root {
            req = req.with_storage_root(r.clone());
        }
        let cat = self.client.catalog();
        match cat.create_catalog(&req).await {
            Ok(value) => Ok(Created {
                value,
                created: true,
            }),
            Err(e) if already_exists(&e) => Ok(Created {
                value: cat.get_catalog(&name).await?,
                created: false,
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// The tenant's catalog, or `None` when it does not exist.
    ///
    /// # Errors
    /// [`PlatformError::InvalidName`], or [`PlatformError::Client`] for any other failure
    /// than "not found".
    pub async fn catalog(&self, tenant_id: &str) -> Result<Option<CatalogInfo>> {
        let name = self.policy.catalog(tenant_id)?;
        match self.client.catalog().get_catalog(&name).await {
            Ok(info) => Ok(Some(info)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Uploads a dataset: creates the dataset schema and volume in the tenant catalog when
    /// missing, uploads the file, and creates a table over it with `read_files` on the
    /// warehouse ([`DatasetLocation::create_table_sql`]).
    ///
    /// # Errors
    /// [`PlatformError::InvalidName`] or [`PlatformError::NoWarehouse`] before anything is
    /// sent; [`PlatformError::NotProvisioned`], [`PlatformError::Upload`] or
    /// [`PlatformError::CreateTable`] naming the step that failed.
    pub async fn upload_dataset(&self, upload: UploadDataset) -> Result<UploadedDataset> {
        let loc = self
            .policy
            .dataset(&upload.tenant_id, &upload.dataset_name)?;
        let warehouse = self.warehouse()?.to_owned();
        let cat = self.client.catalog();
        let not_provisioned = |e| PlatformError::NotProvisioned {
            catalog: loc.catalog.clone(),
            source: Box::new(e),
        };
        if let Err(e) = cat
            .create_schema(&CreateSchema::new(&loc.catalog, &loc.schema))
            .await
            && !already_exists(&e)
        {
            return Err(not_provisioned(e));
        }
        if let Err(e) = cat
            .create_volume(&CreateVolume::managed(
                &loc.catalog,
                &loc.schema,
                &loc.volume,
            ))
            .await
            && !already_exists(&e)
        {
            return Err(not_provisioned(e));
        }
        let volume_path = loc.volume_path(upload.format);
        let bytes = upload.content.len();
        if let Err(e) = self
            .client
            .files()
            .upload_bytes(&volume_path, upload.content, upload.overwrite)
            .await
        {
            return Err(PlatformError::Upload {
                exists: already_exists(&e) || e.is_resource_conflict(),
                volume_path,
                source: Box::new(e),
            });
        }
        let sql = loc.create_table_sql(upload.format, upload.overwrite);
        let run = async {
            let stream = self
                .client
                .statements()
                .query_opts(
                    ExecuteStatementRequest::new(&warehouse, &sql),
                    self.query_options(),
                )
                .await?;
            StatementTable::collect(stream, usize::MAX).await
        };
        if let Err(e) = run.await {
            return Err(PlatformError::CreateTable {
                volume_path,
                table_path: loc.table_path(),
                warehouse,
                source: Box::new(e),
            });
        }
        Ok(UploadedDataset {
            table_path: loc.table_path(),
            volume_path,
            bytes,
            format: upload.format,
        })
    }

    /// Reads a tenant dataset, or runs read-only SQL inside the tenant's catalog (checked by
    /// [`TenantPolicy::check_sql`] before anything is sent), on the warehouse; at most
    /// `max_rows` rows are read (the statement's `row_limit`). The statement is
    /// [`dataset_statement`](Self::dataset_statement).
    ///
    /// # Errors
    /// [`PlatformError::InvalidName`], [`PlatformError::SqlRefused`] or
    /// [`PlatformError::NoWarehouse`] before anything is sent; [`PlatformError::Client`] when
    /// the statement fails.
    pub async fn query_dataset(
        &self,
        tenant_id: &str,
        query: &DatasetQuery,
        max_rows: usize,
    ) -> Result<StatementTable> {
        let req = self.dataset_statement(tenant_id, query, max_rows)?;
        let stream = self
            .client
            .statements()
            .query_opts(req, self.query_options())
            .await?;
        Ok(StatementTable::collect(stream, max_rows).await?)
    }

    /// The statement of a tenant dataset query, after the tenant policy: a dataset read as
    /// `SELECT *` of its table, or tenant SQL checked by [`TenantPolicy::check_sql`]; on the
    /// platform's warehouse, with the tenant catalog and dataset schema as defaults for
    /// unqualified names and `row_limit` = `max_rows`. Nothing is sent: a caller that runs
    /// statements its own way (waiting, paging by statement id) sends it.
    ///
    /// # Errors
    /// [`PlatformError::InvalidName`], [`PlatformError::SqlRefused`] or
    /// [`PlatformError::NoWarehouse`].
    ///
    /// ```
    /// use databricks_client::platform::{DatasetQuery, TenantPlatform, TenantPolicy};
    /// # let client = databricks_client::WorkspaceClient::new(
    /// #     databricks_client::Config::builder().host("https://example.cloud.databricks.com").token("t").build().unwrap()).unwrap();
    /// let platform = TenantPlatform::new(client, TenantPolicy::new()).with_warehouse_id("wh");
    /// let req = platform.dataset_statement("acme", &DatasetQuery::Dataset("sales".into()), 100).unwrap();
    /// assert_eq!(req.statement, "SELECT * FROM `tenant_acme`.`datasets`.`sales`");
    /// assert!(platform.dataset_statement("acme", &DatasetQuery::Sql("DROP TABLE x".into()), 1).is_err());
    /// ```
    pub fn dataset_statement(
        &self,
        tenant_id: &str,
        query: &DatasetQuery,
        max_rows: usize,
    ) -> Result<ExecuteStatementRequest> {
        let catalog = self.policy.catalog(tenant_id)?;
        let sql = match query {
            DatasetQuery::Dataset(name) => {
                format!(
                    "SELECT * FROM {}",
                    self.policy.dataset(tenant_id, name)?.quoted_table()
                )
            }
            DatasetQuery::Sql(sql) => {
                self.policy.check_sql(tenant_id, sql)?;
                sql.clone()
            }
        };
        let warehouse = self.warehouse()?;
        Ok(ExecuteStatementRequest::new(warehouse, &sql)
            .with_catalog(&catalog)
            .with_schema(self.policy.dataset_schema())
            .with_row_limit(i64::try_from(max_rows).unwrap_or(i64::MAX)))
    }

    /// Imports a notebook into the tenant's folder (creating the folders), refusing to
    /// replace an existing one unless `overwrite`. Returns the notebook's workspace path.
    ///
    /// # Errors
    /// [`PlatformError::InvalidName`] before anything is sent; [`PlatformError::Client`]
    /// otherwise ([`PlatformError::is_already_exists`] when the notebook exists).
    pub async fn create_notebook(
        &self,
        tenant_id: &str,
        notebook: &str,
        language: Language,
        content: Vec<u8>,
        overwrite: bool,
    ) -> Result<String> {
        let path = self.policy.notebook_path(tenant_id, notebook)?;
        let ws = self.client.workspace();
        if let Some((parent, _)) = path.rsplit_once('/') {
            ws.mkdirs(parent).await?;
        }
        let req = ImportRequest::notebook(&path, language, content).with_overwrite(overwrite);
        ws.import(&req).await?;
        Ok(path)
    }

    /// Starts a one-off run of a tenant notebook (jobs `runs/submit`) and returns its id.
    ///
    /// # Errors
    /// [`PlatformError::InvalidName`] before anything is sent; [`PlatformError::Client`]
    /// otherwise (with an idempotency token the client already retried safely).
    pub async fn submit_notebook(&self, run: NotebookRun) -> Result<i64> {
        let path = self.policy.notebook_path(&run.tenant_id, &run.notebook)?;
        let mut task = NotebookTask::new(&path);
        for (k, v) in run.parameters {
            task = task.with_base_parameter(k, v);
        }
        let run_name = run
            .run_name
            .unwrap_or_else(|| format!("{}:{}", run.tenant_id, run.notebook));
        let mut req = SubmitRunRequest::new(run_name)
            .with_task(Task::new("notebook").with_notebook_task(task));
        if let Some(t) = &run.idempotency_token {
            req = req.with_idempotency_token(t);
        }
        Ok(self.client.jobs().submit(&req).await?)
    }

    /// The current state of a run; [`Run::is_terminal`] says whether it finished.
    ///
    /// # Errors
    /// [`PlatformError::Client`].
    pub async fn run(&self, run_id: i64) -> Result<Run> {
        Ok(self.client.jobs().get_run(run_id).await?)
    }

    /// Creates a job; a `tenant_id` is checked and added as the `tenant_id` tag. Returns the
    /// job id.
    ///
    /// # Errors
    /// [`PlatformError::InvalidInput`] for a job without tasks, [`PlatformError::InvalidName`],
    /// or [`PlatformError::Client`].
    pub async fn create_job(
        &self,
        mut settings: JobSettings,
        tenant_id: Option<&str>,
    ) -> Result<i64> {
        if settings.tasks.is_empty() {
            return Err(PlatformError::InvalidInput(
                "the job has no tasks; pass at least one task".to_owned(),
            ));
        }
        if let Some(t) = tenant_id {
            check_name("tenant_id", t)?;
            settings.tags.insert("tenant_id".to_owned(), t.to_owned());
        }
        Ok(self.client.jobs().create(&settings).await?)
    }

    /// The page of a job in the workspace UI.
    pub fn job_url(&self, job_id: i64) -> String {
        format!("{}/jobs/{job_id}", self.host())
    }

    /// Creates a serving endpoint for a model version; an existing endpoint of that name is
    /// read, not replaced ([`Created::created`] says which). Whether it is ready or failed is
    /// [`ServingEndpoint::is_ready`] / [`ServingEndpoint::is_failed`].
    ///
    /// # Errors
    /// [`PlatformError::Client`].
    pub async fn deploy_model(&self, deploy: &DeployModel) -> Result<Created<ServingEndpoint>> {
        let entity = ServedEntity::new(&deploy.model_name, &deploy.model_version)
            .with_workload_size(
                deploy
                    .workload_size
                    .clone()
                    .unwrap_or_else(|| "Small".to_owned()),
            )
            .with_scale_to_zero(deploy.scale_to_zero.unwrap_or(true));
        let req =
            CreateServingEndpoint::new(&deploy.endpoint_name, EndpointCoreConfig::new(entity));
        let serving = self.client.serving();
        match serving.create(&req).await {
            Ok(value) => Ok(Created {
                value,
                created: true,
            }),
            Err(e) if already_exists(&e) => Ok(Created {
                value: serving.get(&deploy.endpoint_name).await?,
                created: false,
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// The current state of a serving endpoint.
    ///
    /// # Errors
    /// [`PlatformError::Client`].
    pub async fn endpoint(&self, name: &str) -> Result<ServingEndpoint> {
        Ok(self.client.serving().get(name).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_derives_names() {
        let p = TenantPolicy::new()
            .with_catalog_prefix("acme_")
            .with_notebook_root("/Shared/t/")
            .with_dataset_schema("ds")
            .with_dataset_volume("files");
        assert_eq!(p.catalog("globex").unwrap(), "acme_globex");
        assert_eq!(p.notebook_path("g", "a/b").unwrap(), "/Shared/t/g/a/b");
        let loc = p.dataset("g", "sales").unwrap();
        assert_eq!(loc.table_path(), "acme_g.ds.sales");
        assert_eq!(loc.quoted_table(), "`acme_g`.`ds`.`sales`");
        assert_eq!(
            loc.volume_path(DatasetFormat::Parquet),
            "/Volumes/acme_g/ds/files/sales.parquet"
        );
        assert_eq!(
            loc.create_table_sql(DatasetFormat::Json, true),
            "CREATE OR REPLACE TABLE `acme_g`.`ds`.`sales` AS SELECT * FROM \
             read_files('/Volumes/acme_g/ds/files/sales.json', format => 'json')"
        );
        for bad in [p.dataset("g", "Sales"), p.dataset("G", "sales")] {
            assert!(matches!(bad, Err(PlatformError::InvalidName { .. })));
        }
        assert!(matches!(
            p.notebook_path("g", "../x"),
            Err(PlatformError::InvalidName {
                field: "notebook",
                ..
            })
        ));
    }

    #[test]
    fn tenant_sql_is_read_only_and_confined() {
        let p = TenantPolicy::new();
        assert!(p.check_sql("acme", "SELECT * FROM sales").is_ok());
        assert!(
            p.check_sql("acme", "SELECT * FROM tenant_acme.datasets.sales")
                .is_ok()
        );
        for sql in [
            "DROP TABLE sales",
            "SELECT * FROM tenant_other.datasets.sales",
            "SELECT * FROM read_files('/Volumes/tenant_other/x')",
        ] {
            let err = p.check_sql("acme", sql).unwrap_err();
            assert!(matches!(err, PlatformError::SqlRefused { .. }), "{sql}");
            assert!(
                err.to_string()
                    .contains("unqualified names resolve in tenant_acme.datasets"),
                "{err}"
            );
        }
    }

    #[test]
    fn errors_expose_the_client_error() {
        let e = PlatformError::from(crate::Error::InvalidArgument("x".to_owned()));
        assert!(e.client_error().is_some());
        assert!(!e.is_already_exists());
        assert!(PlatformError::NoWarehouse.client_error().is_none());
        assert!(PlatformError::NoWarehouse.to_string().contains("warehouse"));
    }
}
