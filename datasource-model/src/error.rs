//! The semantic error type shared by every provider.

use std::time::Duration;

/// A `Result` whose error defaults to this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The boxed source error carried by [`Error::Generic`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong, in terms a caller (or an agent) can act on.
///
/// Every provider maps its own failures into these kinds; provider-specific detail survives in
/// [`Error::Generic`]'s source chain. Use the predicates ([`Error::is_retryable`],
/// [`Error::is_not_found`], …) rather than matching on variants: the enum is
/// `#[non_exhaustive]` and will grow.
///
/// # Troubleshooting
///
/// * `NotFound` — the model, statement or table does not exist *or* is not visible to the
///   configured identity; list the models first (`list_models`) and check grants.
/// * `PermissionDenied` / `Unauthenticated` — fix the credentials or grants named in the message;
///   retrying will not help.
/// * `InvalidQuery` — the structured query or SQL is wrong; the message names the member and, for
///   unknown members, lists the valid names.
/// * `RateLimited` / `Timeout` / `Unavailable` — transient; retry with backoff
///   ([`Error::is_retryable`] is `true`, [`Error::retry_after`] gives a hint when the server sent one).
/// * `NotSupported` — this provider cannot do the operation at all (e.g. natural-language `ask`
///   on the local engine); pick another tool.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The named object does not exist or is not visible to the configured identity.
    #[error("{kind} `{name}` not found: {message}")]
    NotFound {
        /// What was looked up: `model`, `statement`, `table`, `catalog`, …
        kind: &'static str,
        /// The name that was looked up.
        name: String,
        /// Why, and what to do about it.
        message: String,
    },

    /// The identity is known but lacks a privilege.
    #[error("permission denied: {message}")]
    PermissionDenied {
        /// What was denied, and which grant is missing if known.
        message: String,
    },

    /// The credentials are missing, invalid or expired.
    #[error("unauthenticated: {message}")]
    Unauthenticated {
        /// Which credential failed, and how to fix it.
        message: String,
    },

    /// The query (structured or SQL) is invalid.
    #[error("invalid query: {message}")]
    InvalidQuery {
        /// What is wrong and how to fix it.
        message: String,
        /// For an unknown member: the valid names (also listed in `message`).
        valid: Vec<String>,
    },

    /// The configuration is incomplete or inconsistent.
    #[error("invalid configuration: {message}")]
    InvalidConfig {
        /// Which key is wrong and what is expected.
        message: String,
    },

    /// The provider throttled the request.
    #[error("rate limited by {provider}{}", retry_after_text(.retry_after))]
    RateLimited {
        /// The provider that throttled.
        provider: String,
        /// How long the server asked us to wait, if it said.
        retry_after: Option<Duration>,
    },

    /// The operation did not finish in time.
    #[error("timed out: {message}")]
    Timeout {
        /// What timed out.
        message: String,
        /// The provider's id of a statement that may still be running (see `get_statement`).
        query_id: Option<String>,
    },

    /// The provider is temporarily unavailable (5xx, warehouse starting, connection reset).
    #[error("{provider} is temporarily unavailable: {message}")]
    Unavailable {
        /// The provider that failed.
        provider: String,
        /// What failed.
        message: String,
    },

    /// The provider cannot perform this operation at all.
    #[error("{operation} is not supported by {provider}: {message}")]
    NotSupported {
        /// The provider (or source display name) that refused.
        provider: String,
        /// The operation that was asked for.
        operation: &'static str,
        /// Why, and what to use instead.
        message: String,
    },

    /// The implementer has not implemented this operation yet.
    #[error("{operation} is not implemented by {implementer}")]
    NotImplemented {
        /// The operation.
        operation: &'static str,
        /// The implementing type.
        implementer: String,
    },

    /// Any other provider failure; the source keeps the detail.
    #[error("{provider} error: {source}")]
    Generic {
        /// The provider that failed.
        provider: &'static str,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
}

fn retry_after_text(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!(" (retry after {} ms)", d.as_millis()),
        None => String::from(" (retry with backoff)"),
    }
}

impl Error {
    /// `true` when repeating the same request later may succeed (rate limits, timeouts,
    /// temporary unavailability).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Timeout { .. } | Self::Unavailable { .. }
        )
    }

    /// `true` for [`Error::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// `true` for [`Error::NotSupported`] and [`Error::NotImplemented`].
    pub fn is_not_supported(&self) -> bool {
        matches!(
            self,
            Self::NotSupported { .. } | Self::NotImplemented { .. }
        )
    }

    /// `true` for [`Error::InvalidQuery`].
    pub fn is_invalid_query(&self) -> bool {
        matches!(self, Self::InvalidQuery { .. })
    }

    /// `true` for [`Error::PermissionDenied`] and [`Error::Unauthenticated`].
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            Self::PermissionDenied { .. } | Self::Unauthenticated { .. }
        )
    }

    /// The server's `Retry-After` hint for [`Error::RateLimited`].
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// An [`Error::InvalidQuery`] without a list of valid names.
    pub fn invalid_query(message: impl Into<String>) -> Self {
        Self::InvalidQuery {
            message: message.into(),
            valid: Vec::new(),
        }
    }

    /// An [`Error::InvalidConfig`].
    pub fn invalid_config(message: impl Into<String>) -> Self {
        Self::InvalidConfig {
            message: message.into(),
        }
    }

    /// An [`Error::NotFound`].
    pub fn not_found(
        kind: &'static str,
        name: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::NotFound {
            kind,
            name: name.into(),
            message: message.into(),
        }
    }

    /// An [`Error::NotSupported`].
    pub fn not_supported(
        provider: impl Into<String>,
        operation: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::NotSupported {
            provider: provider.into(),
            operation,
            message: message.into(),
        }
    }

    /// An [`Error::Generic`] wrapping `source`.
    pub fn generic(provider: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Generic {
            provider,
            source: source.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_kinds() {
        let rl = Error::RateLimited {
            provider: "Databricks".into(),
            retry_after: Some(Duration::from_secs(2)),
        };
        assert!(rl.is_retryable());
        assert_eq!(rl.retry_after(), Some(Duration::from_secs(2)));
        assert_eq!(
            rl.to_string(),
            "rate limited by Databricks (retry after 2000 ms)"
        );
        assert!(
            Error::Timeout {
                message: "x".into(),
                query_id: None
            }
            .is_retryable()
        );
        assert!(!Error::invalid_query("bad").is_retryable());
        assert!(!Error::not_found("model", "m", "gone").is_retryable());
        let ns = Error::not_supported("Local", "ask", "use query_model");
        assert!(ns.is_not_supported());
        assert_eq!(
            ns.to_string(),
            "ask is not supported by Local: use query_model"
        );
    }

    #[test]
    fn generic_keeps_source() {
        let e = Error::generic("Local", std::io::Error::other("disk"));
        assert_eq!(e.to_string(), "Local error: disk");
        assert!(std::error::Error::source(&e).is_some());
    }
}
