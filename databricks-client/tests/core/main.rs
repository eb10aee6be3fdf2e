//! Integration tests of the client core: config, auth, retries, errors, pagination, waiters.

mod auth;
mod chain;
mod config;
mod errors;
mod flaky;
mod pagination;
mod requests;
mod resets;
mod retry;
mod support;
mod u2m;
mod wait;
