//! Request and response models, one module per service. Response models tolerate unknown
//! fields; models that must round-trip (job settings) keep them.

pub mod clusters;
pub mod commands;
pub mod dbfs;
pub mod files;
pub mod iam;
pub mod jobs;
pub mod workspace;
