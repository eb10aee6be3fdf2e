//! Request and response models, one module per service, re-exported here.

mod catalog;
mod metric_view;
mod statements;

pub use catalog::*;
pub use metric_view::*;
pub use statements::*;
