#![doc = include_str!("../README.md")]
//!
//! # Overview
//!
//! Behaves like the official SDKs — and is safer where they are weak.
//!
//! - **Config** like every SDK: explicit values, then `DATABRICKS_*` variables, then
//!   `~/.databrickscfg` profiles ([`Config::from_env`], [`Config::builder`]); a clear error when
//!   two auth methods are configured at once; HTTPS required except for loopback hosts.
//! - **Auth**: personal access tokens and OAuth M2M (cached, refreshed early, single flight),
//!   or any [`CredentialsProvider`] of your own. Secrets never appear in `Debug`, errors or logs.
//! - **Retries** ([`RetryConfig`]): 429/503 and failed connects always, honouring
//!   `Retry-After`; 5xx, timeouts, reset connections and truncated bodies only for idempotent
//!   requests (and `POST`s carrying an idempotency token), so a retried `POST` never runs a job
//!   twice.
//! - **Safe paths**: identifiers in URL paths go through [`path_segment`]; `..`, `/` and control
//!   characters are refused before anything is sent.
//! - **Errors** ([`Error`]) keep status, `error_code`, message and request id, with predicates
//!   such as [`Error::is_not_found`].
//! - **Pagination** as [`futures::Stream`]s ([`pagination`]) and **waiters** ([`wait`]).
//! - **Escape hatch**: [`WorkspaceClient::get`] / [`post`](WorkspaceClient::post) reach any
//!   endpoint with the same auth, retries and errors.
//!
//! # Configure explicitly
//!
//! ```no_run
//! use databricks_client::{Config, RetryConfig, WorkspaceClient};
//! use std::time::Duration;
//!
//! # async fn run() -> databricks_client::Result<()> {
//! let config = Config::builder()
//!     .host("https://dbc-1234.cloud.databricks.com")
//!     .client_id("6f1c…")
//!     .client_secret("dose…")
//!     .retry_config(RetryConfig::default().with_retry_timeout(Duration::from_secs(60)))
//!     .build()?;
//! let client = WorkspaceClient::new(config)?;
//!
//! let me: serde_json::Value = client.get("/api/2.0/preview/scim/v2/Me").send_json().await?;
//! println!("hello, {}", me["userName"]);
//! # Ok(()) }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

mod auth;
mod client;
mod config;
mod error;
pub mod pagination;
pub mod platform;
pub mod sql_policy;
pub mod wait;

pub mod api;
pub mod models;

pub use auth::{
    BrowserOpener, CredentialsProvider, ExternalBrowserCredentials, ExternalBrowserOptions,
    OAuthM2mCredentials, PatCredentials,
};
pub use client::{
    BackoffConfig, RequestBuilder, Response, ResponseHead, RetryConfig, WorkspaceClient,
    path_components, path_segment,
};
pub use config::{
    AuthResolution, AuthType, Config, ConfigBuilder, ConfigKey, DEFAULT_HTTP_TIMEOUT,
    SkippedStrategy, UnknownConfigKey,
};
pub use error::{
    ApiError, Error, ErrorKind, GenieError, Result, StatementError, TransportErrorKind,
};

/// HTTP types used in this crate's API (re-exported from `reqwest`).
pub mod http {
    pub use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
    pub use reqwest::{Method, StatusCode};
}
