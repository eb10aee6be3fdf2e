//! Typed request and response models, one module per service.
//!
//! Response models tolerate fields they do not know; models that are written back to the API
//! (job settings, cluster specs) keep those fields in an `extra` map so nothing is lost in a
//! read → modify → write round trip.
//!
//! The data-plane models (warehouses, statements, Unity Catalog, metric views, Genie, serving,
//! vector search) are also re-exported at this level.

mod open_enum;

pub mod clusters;
pub mod commands;
pub mod dbfs;
pub mod files;
pub mod iam;
pub mod jobs;
pub mod workspace;

pub mod catalog;
pub mod genie;
/// Metric views: the YAML model of a Unity Catalog `METRIC_VIEW`, owned by the
/// [`databricks-metric-view`](databricks_metric_view) crate (serde only, no HTTP) and re-exported
/// here so `databricks_client::models::MetricView` keeps working.
pub use databricks_metric_view as metric_view;
pub mod serving;
pub mod statements;
pub mod vector_search;
pub mod warehouses;

pub use catalog::*;
pub use genie::*;
pub use metric_view::*;
pub use serving::*;
pub use statements::*;
pub use vector_search::*;
pub use warehouses::*;
