//! Service handles: each file adds accessor methods to `WorkspaceClient` (`client.jobs()`, …)
//! and the handle type with its operations.

mod clusters;
mod commands;
mod current_user;
mod dbfs;
mod files;
mod jobs;
mod workspace;

pub use clusters::{ClustersApi, DEFAULT_START_GRACE};
pub use commands::{CommandsApi, ExecutionContext};
pub use current_user::CurrentUserApi;
pub use dbfs::{DbfsApi, MAX_BLOCK as DBFS_MAX_BLOCK};
pub use files::FilesApi;
pub use jobs::JobsApi;
pub use workspace::WorkspaceApi;
