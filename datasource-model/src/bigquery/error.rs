//! The BigQuery provider's own error type; converted into [`crate::Error`] at the trait boundary.

use std::time::Duration;

use super::PROVIDER;
use super::models::ErrorProto;

/// Reasons BigQuery (and Google's client libraries) retry: `rateLimitExceeded`, `backendError`,
/// `internalError`, `badGateway`, and the job-level `jobRateLimitExceeded`.
pub(crate) const RETRYABLE_REASONS: &[&str] = &[
    "rateLimitExceeded",
    "backendError",
    "internalError",
    "badGateway",
    "jobRateLimitExceeded",
    "jobBackendError",
    "jobInternalError",
];

/// One failure from the BigQuery REST API, a job, the token endpoint or the transport.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum BigQueryError {
    /// An HTTP error answer (`{"error": {"code", "message", "errors": [{"reason", "location"}]}}`).
    #[error("BigQuery {operation} failed (HTTP {status}{}): {message}{}", reason_text(.reason), location_text(.location))]
    Api {
        operation: &'static str,
        status: u16,
        reason: Option<String>,
        location: Option<String>,
        message: String,
    },
    /// A job that finished with `status.errorResult`.
    #[error("BigQuery job {job_id} failed{}: {message}{}", reason_text(.reason), location_text(.location))]
    Job {
        job_id: String,
        reason: Option<String>,
        location: Option<String>,
        message: String,
    },
    /// The dry run estimated more bytes than `maximum_bytes_billed` allows.
    #[error(
        "the query would process {estimate} bytes, over the cost cap maximum_bytes_billed = {cap} bytes; \
         narrow the query (filters on partition columns, fewer columns) or raise `bigquery.maximum_bytes_billed`"
    )]
    CostCap { cap: u64, estimate: u64 },
    /// The job did not finish within the caller's deadline; it keeps running.
    #[error(
        "BigQuery job {query_id} did not finish within {waited:?}; fetch it later with get_statement(\"{query_id}\") or cancel it"
    )]
    Timeout { query_id: String, waited: Duration },
    /// Getting an OAuth access token failed. Never carries a token or key.
    #[error("Google credentials: {0}")]
    Auth(String),
    /// Connection, TLS or timeout failure talking to Google.
    #[error("cannot reach {what}: {source}")]
    Transport {
        what: &'static str,
        #[source]
        source: reqwest::Error,
    },
    /// An answer that does not have the documented shape.
    #[error("unexpected {what} answer at `{path}`: {message}")]
    Decode {
        what: &'static str,
        path: String,
        message: String,
    },
    /// Settings that cannot work.
    #[error("{0}")]
    Config(String),
}

fn reason_text(reason: &Option<String>) -> String {
    reason
        .as_deref()
        .map(|r| format!(", reason {r}"))
        .unwrap_or_default()
}

fn location_text(location: &Option<String>) -> String {
    location
        .as_deref()
        .filter(|l| !l.is_empty())
        .map(|l| format!(" (at {l})"))
        .unwrap_or_default()
}

impl BigQueryError {
    /// A job error from its `errorResult`.
    pub(crate) fn job(job_id: &str, e: &ErrorProto) -> Self {
        Self::Job {
            job_id: job_id.to_string(),
            reason: e.reason.clone(),
            location: e.location.clone(),
            message: e.message.clone().unwrap_or_default(),
        }
    }

    /// The BigQuery error reason (`backendError`, `invalidQuery`, …), if any.
    pub(crate) fn reason(&self) -> Option<&str> {
        match self {
            Self::Api { reason, .. } | Self::Job { reason, .. } => reason.as_deref(),
            _ => None,
        }
    }

    /// Whether retrying the same request (with the same `requestId`) may succeed.
    pub(crate) fn is_retryable(&self) -> bool {
        match self {
            Self::Api { status, reason, .. } => match reason.as_deref() {
                Some(r) => RETRYABLE_REASONS.contains(&r),
                None => matches!(status, 429 | 500 | 502 | 503 | 504),
            },
            Self::Job { reason, .. } => reason
                .as_deref()
                .is_some_and(|r| RETRYABLE_REASONS.contains(&r)),
            Self::Transport { source, .. } => {
                source.is_connect() || source.is_timeout() || source.is_request()
            }
            _ => false,
        }
    }

    /// HTTP status of an API error.
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl From<BigQueryError> for crate::Error {
    fn from(e: BigQueryError) -> Self {
        let message = e.to_string();
        let reason = e.reason().unwrap_or_default().to_string();
        match (&e, reason.as_str(), e.status()) {
            (BigQueryError::CostCap { .. }, _, _) => Self::invalid_query(message),
            (BigQueryError::Timeout { query_id, .. }, _, _) => Self::Timeout {
                query_id: Some(query_id.clone()),
                message,
            },
            (BigQueryError::Auth(_), _, _) => Self::Unauthenticated { message },
            (BigQueryError::Config(_), _, _) => Self::invalid_config(message),
            (_, "rateLimitExceeded" | "jobRateLimitExceeded", _) | (_, "", Some(429)) => {
                Self::RateLimited {
                    provider: PROVIDER.to_string(),
                    retry_after: None,
                }
            }
            _ if e.is_retryable() => Self::Unavailable {
                provider: PROVIDER.to_string(),
                message,
            },
            (_, "notFound", _) | (_, "", Some(404)) => Self::not_found("object", "", message),
            (_, "accessDenied" | "billingNotEnabled" | "quotaExceeded", _) | (_, "", Some(403)) => {
                Self::PermissionDenied { message }
            }
            (_, "bytesBilledLimitExceeded", _) => Self::invalid_query(message),
            (_, _, Some(401)) => Self::Unauthenticated { message },
            (_, "invalidQuery" | "invalid" | "badRequest", _) | (_, "", Some(400)) => {
                Self::invalid_query(message)
            }
            _ => Self::generic(PROVIDER, e),
        }
    }
}
