//! Jobs API 2.2 models: [`JobSettings`] and what it contains, [`Job`], [`Run`] and run state.
//!
//! Every struct keeps the fields it does not model in `extra`, so parsing the JSON of a real
//! job and serialising it again loses nothing (the only normalisation: `null` values and empty
//! arrays of modelled list fields are omitted, which the API treats as absent).
//!
//! ```
//! use databricks_client::models::jobs::{JobSettings, Task};
//!
//! let settings = JobSettings::new("nightly")
//!     .with_task(Task::notebook("ingest", "/Workspace/etl/ingest").with_existing_cluster_id("0101-abc"))
//!     .with_task(Task::notebook("report", "/Workspace/etl/report").with_depends_on("ingest"));
//! let json = serde_json::to_value(&settings).unwrap();
//! assert_eq!(json["tasks"][1]["depends_on"][0]["task_key"], "ingest");
//! ```

//! The models are split by concern into private submodules and re-exported here, so every type
//! keeps its `databricks_client::models::jobs::…` path: the string enums, the job settings, the
//! tasks, the notifications, the runs and their results, and the request bodies.

use serde_json::{Map, Value};

mod enums;
mod notifications;
mod requests;
mod runs;
mod settings;
mod tasks;
#[cfg(test)]
mod tests;

pub use enums::*;
pub use notifications::*;
pub use requests::*;
pub use runs::*;
pub use settings::*;
pub use tasks::*;

/// Extra JSON fields a model does not know (kept for lossless round trips).
pub type Extra = Map<String, Value>;
