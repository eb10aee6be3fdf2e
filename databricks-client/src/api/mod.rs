//! Service handles: each file adds accessor methods to `WorkspaceClient` (`client.jobs()`, …)
//! and the handle type with its operations.

mod catalog;
mod clusters;
mod commands;
mod current_user;
mod dbfs;
mod files;
mod genie;
mod jobs;
mod serving;
mod statements;
mod vector_search;
mod warehouses;
mod workspace;

pub use catalog::{
    CatalogApi, DefinitionSource, ListTablesOptions, MetricViewDetails, metric_view_yaml_from_ddl,
};
pub use clusters::{ClustersApi, DEFAULT_START_GRACE};
pub use commands::{CommandsApi, ExecutionContext};
pub use current_user::CurrentUserApi;
pub use dbfs::{DbfsApi, MAX_BLOCK as DBFS_MAX_BLOCK};
pub use files::FilesApi;
pub use genie::GenieApi;
pub use jobs::JobsApi;
pub use serving::ServingApi;
#[cfg(feature = "arrow")]
pub use statements::BatchStream;
pub use statements::{DEFAULT_MAX_BYTES_IN_FLIGHT, QueryOptions, ResultStream, StatementsApi};
pub use vector_search::VectorSearchApi;
pub use warehouses::WarehousesApi;
pub use workspace::WorkspaceApi;
