//! Service handles: each file adds accessor methods to `WorkspaceClient` (`client.jobs()`, …)
//! and the handle type with its operations.

mod catalog;
mod genie;
mod serving;
mod statements;
mod vector_search;
mod warehouses;

pub use catalog::{
    CatalogApi, DefinitionSource, ListTablesOptions, MetricViewDetails, metric_view_yaml_from_ddl,
};
pub use genie::GenieApi;
pub use serving::ServingApi;
pub use statements::{QueryOptions, ResultStream, StatementsApi};
pub use vector_search::VectorSearchApi;
pub use warehouses::WarehousesApi;
