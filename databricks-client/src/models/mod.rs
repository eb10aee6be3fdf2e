//! Request and response models, one module per service. Response models tolerate unknown
//! fields; models that must round-trip (job settings) keep them.

mod catalog;
mod genie;
mod metric_view;
mod serving;
mod statements;
mod vector_search;
mod warehouses;

pub use catalog::*;
pub use genie::*;
pub use metric_view::*;
pub use serving::*;
pub use statements::*;
pub use vector_search::*;
pub use warehouses::*;
