//! [`PlatformError`]: what went wrong in a tenant operation, with what a caller needs to fix it.

use crate::Error;
use crate::sql_policy::SqlPolicyError;

/// The error of a [`TenantPlatform`](super::TenantPlatform) operation.
///
/// Client errors are boxed so the `Result`s of this module stay small;
/// [`client_error`](Self::client_error) reaches the underlying [`Error`] (status, `error_code`,
/// request id) whatever the variant.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlatformError {
    /// A tenant id, dataset or notebook name breaks the naming rules; nothing was sent.
    #[error("`{field}` {rule} (got {value:?})")]
    InvalidName {
        /// The argument (`tenant_id`, `dataset_name`, `notebook`).
        field: &'static str,
        /// The value given.
        value: String,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// An argument is unusable for another reason; nothing was sent.
    #[error("{0}")]
    InvalidInput(String),
    /// The operation needs a SQL warehouse and none is configured.
    #[error(
        "no SQL warehouse is configured; the operator must configure a warehouse id (TenantPlatform::with_warehouse_id)"
    )]
    NoWarehouse,
    /// The SQL was refused by the tenant policy (read-only, inside the tenant catalog);
    /// nothing was sent.
    #[error("{source} (unqualified names resolve in {catalog}.{schema})")]
    SqlRefused {
        /// The tenant catalog.
        catalog: String,
        /// The dataset schema unqualified names resolve in.
        schema: String,
        /// Why the policy refused it.
        source: SqlPolicyError,
    },
    /// Creating the dataset schema or volume inside the tenant catalog failed (often: the
    /// catalog does not exist yet).
    #[error("could not provision the dataset schema or volume in catalog {catalog}: {source}")]
    NotProvisioned {
        /// The tenant catalog.
        catalog: String,
        /// The client error.
        source: Box<Error>,
    },
    /// Uploading the dataset file failed; `exists` says the file is already there.
    #[error("could not upload the dataset file to {volume_path}: {source}")]
    Upload {
        /// The volume path of the file.
        volume_path: String,
        /// The file already exists (pass `overwrite` to replace it).
        exists: bool,
        /// The client error.
        source: Box<Error>,
    },
    /// The file was uploaded but the table over it could not be created.
    #[error(
        "the file was uploaded to {volume_path}, but creating table {table_path} over it failed on warehouse {warehouse}: {source}"
    )]
    CreateTable {
        /// The volume path of the uploaded file.
        volume_path: String,
        /// `catalog.schema.table`.
        table_path: String,
        /// The warehouse that ran `CREATE TABLE`.
        warehouse: String,
        /// The client error (often the statement's own error).
        source: Box<Error>,
    },
    /// A workspace call failed.
    #[error(transparent)]
    Client(Box<Error>),
}

impl PlatformError {
    /// The underlying client error, when the workspace answered or could not be reached.
    pub fn client_error(&self) -> Option<&Error> {
        match self {
            Self::NotProvisioned { source, .. }
            | Self::Upload { source, .. }
            | Self::CreateTable { source, .. }
            | Self::Client(source) => Some(source),
            _ => None,
        }
    }

    /// `true` when the object to create already exists.
    pub fn is_already_exists(&self) -> bool {
        match self {
            Self::Upload { exists, .. } => *exists,
            other => other.client_error().is_some_and(already_exists),
        }
    }
}

impl From<Error> for PlatformError {
    fn from(e: Error) -> Self {
        Self::Client(Box::new(e))
    }
}

/// `ALREADY_EXISTS`, `RESOURCE_ALREADY_EXISTS` and Unity Catalog's `CATALOG_ALREADY_EXISTS`,
/// `SCHEMA_ALREADY_EXISTS`, `VOLUME_ALREADY_EXISTS`, ….
pub fn already_exists(e: &Error) -> bool {
    e.is_already_exists()
        || e.error_code()
            .is_some_and(|c| c.ends_with("ALREADY_EXISTS"))
}
