//! Service handles: each file adds accessor methods to `WorkspaceClient` (`client.jobs()`, …)
//! and the handle type with its operations.
