//! Tests of the Kubernetes `DataSource` resource: CRD, generated manifests (snapshots and
//! validation against the real kagent CRDs from `KAGENT_CRD_DIR`) and every reconcile branch.

#[cfg(all(feature = "controller", feature = "local"))]
mod controller;
mod crd;
mod fixtures;
mod kagent_schema;
mod manifests;
#[cfg(feature = "local")]
mod provider;
mod reconcile;
mod workload_identity;
