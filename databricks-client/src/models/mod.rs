//! Typed request and response models, one module per service.
//!
//! Response models tolerate fields they do not know; models that are written back to the API
//! (job settings, cluster specs) keep those fields in an `extra` map so nothing is lost in a
//! read → modify → write round trip.

pub mod clusters;
pub mod commands;
pub mod dbfs;
pub mod files;
pub mod iam;
pub mod jobs;
pub mod workspace;
