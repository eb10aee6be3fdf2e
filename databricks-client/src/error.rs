//! The crate's error type.
//!
//! Every fallible call returns [`Result<T>`](crate::Result). API failures keep what the server
//! said ([`ApiError`]: HTTP status, `error_code`, message, request id, `Retry-After`, details) and
//! are classified once, in [`ApiError::kind`], so callers ask predicates such as
//! [`Error::is_not_found`] instead of matching on status codes.
//!
//! # Troubleshooting
//!
//! - `Unauthenticated` (401): the token or client secret is wrong or expired; check
//!   `DATABRICKS_TOKEN` / `DATABRICKS_CLIENT_SECRET` or the profile in `~/.databrickscfg`.
//! - `PermissionDenied` (403): the identity lacks a grant (e.g. `CAN USE` on a warehouse); a
//!   `PRIVATE_LINK_VALIDATION_ERROR` means the workspace is only reachable over Private Link.
//! - `Config`: the message names the setting to change.
//! - [`Error::Statement`]: a SQL statement ended `FAILED`, `CANCELED` or `CLOSED`; the
//!   [`StatementError`] keeps the state, `error_code`, SQLSTATE and the server's message
//!   (`CLOSED`: the result expired, run the statement again).
//! - [`Error::Genie`]: a Genie message ended `FAILED`, `CANCELLED` or `QUERY_RESULT_EXPIRED`
//!   (re-run the attachment's query with `GenieApi::execute_query`).

use std::fmt;
use std::time::Duration;

use serde_json::Value;

use crate::models::{GenieMessageStatus, StatementState};

/// A `Result` alias with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Errors returned by the client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The workspace answered with an error status.
    #[error(transparent)]
    Api(Box<ApiError>),

    /// The configuration is incomplete or contradictory. The message names the fix.
    #[error("invalid Databricks configuration: {0}")]
    Config(String),

    /// Credentials could not be obtained (e.g. the OAuth token endpoint refused the client).
    #[error("authentication failed ({auth_type}): {message}")]
    Auth {
        /// The auth strategy that failed, e.g. `oauth-m2m`.
        auth_type: String,
        /// What went wrong and how to fix it.
        message: String,
        /// The underlying error, if any.
        #[source]
        source: Option<Box<Self>>,
    },

    /// The request could not be sent or its response not read (DNS, connect, TLS, timeout, a
    /// reset or closed connection, a truncated body).
    #[error("{method} {path}: {kind}: {source}{}{}", root_cause(source), attempts_note(*attempts))]
    Transport {
        /// HTTP method of the failed request.
        method: String,
        /// Path of the failed request (no query string: it may hold ids only, but we keep logs lean).
        path: String,
        /// What kind of transport failure this was.
        kind: TransportErrorKind,
        /// The underlying reqwest error (its URL is stripped).
        #[source]
        source: reqwest::Error,
        /// How many attempts were made before giving up (1 when the failure was not retried).
        attempts: u32,
    },

    /// A response body could not be decoded into the expected type.
    #[error(
        "{method} {path}: could not decode the response at `{json_path}`: {message} (body starts with: {excerpt:?})"
    )]
    Decode {
        /// HTTP method of the request.
        method: String,
        /// Path of the request.
        path: String,
        /// JSON path of the value that failed to decode (`.` for the root).
        json_path: String,
        /// The decoder's message.
        message: String,
        /// The first bytes of the body, for diagnosis.
        excerpt: String,
    },

    /// An argument given by the caller is invalid; nothing was sent.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// A waiter gave up before the operation reached a terminal state.
    #[error("timed out after {elapsed:?} waiting for {what}{}", last_state.as_deref().map(|s| format!("; last state: {s}")).unwrap_or_default())]
    WaitTimeout {
        /// What was awaited, e.g. `run 42 to terminate`.
        what: String,
        /// How long the waiter waited.
        elapsed: Duration,
        /// The last observed state, rendered for humans.
        last_state: Option<String>,
    },

    /// A waiter's observer cancelled the wait (e.g. the MCP client cancelled the tool call);
    /// the operation itself was left alone and may still be going.
    #[error("stopped waiting for {what} after {elapsed:?}: cancelled{}", last_state.as_deref().map(|s| format!("; last state: {s}")).unwrap_or_default())]
    WaitCancelled {
        /// What was awaited.
        what: String,
        /// How long the waiter waited.
        elapsed: Duration,
        /// The last observed state, rendered for humans.
        last_state: Option<String>,
    },

    /// A SQL statement reached `FAILED`, `CANCELED` or `CLOSED` (Statement Execution, and Genie
    /// attachment results, which are statements too).
    #[error(transparent)]
    Statement(Box<StatementError>),

    /// A Genie message reached `FAILED`, `CANCELLED` or `QUERY_RESULT_EXPIRED`.
    #[error(transparent)]
    Genie(Box<GenieError>),

    /// A long-running operation reached a failure state.
    #[error("{what} failed: {message}")]
    OperationFailed {
        /// What was awaited.
        what: String,
        /// The server's explanation (e.g. `state_message`).
        message: String,
    },
}

/// The kind of a [`Error::Transport`] failure, which decides whether it may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be established: the request was never processed.
    Connect,
    /// The attempt timed out after the request may have reached the server.
    Timeout,
    /// The response body could not be read completely (the connection broke midway, or it
    /// ended before the announced `Content-Length`).
    Body,
    /// The connection was reset or closed before a complete response head arrived. The server
    /// may have processed the request, so only idempotent requests are sent again.
    Interrupted,
    /// Anything else (e.g. a redirect loop or a malformed request).
    Other,
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "could not connect",
            Self::Timeout => "timed out",
            Self::Body => "could not read the response body",
            Self::Interrupted => "the connection was reset or closed before the response",
            Self::Other => "request failed",
        })
    }
}

/// The semantic class of an API error, derived from `error_code` first, then the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 400 `BAD_REQUEST` and unclassified 4xx.
    BadRequest,
    /// `INVALID_PARAMETER_VALUE`.
    InvalidParameterValue,
    /// `INVALID_STATE`.
    InvalidState,
    /// 401.
    Unauthenticated,
    /// 403.
    PermissionDenied,
    /// 404, `RESOURCE_DOES_NOT_EXIST`, `NOT_FOUND` and the "does not exist" 400s of
    /// `clusters/get`, `jobs/get` and `jobs/runs/get`.
    NotFound,
    /// 409 and `ABORTED`.
    ResourceConflict,
    /// `ALREADY_EXISTS`, `RESOURCE_ALREADY_EXISTS`.
    AlreadyExists,
    /// 429, `RESOURCE_EXHAUSTED`, `REQUEST_LIMIT_EXCEEDED`.
    TooManyRequests,
    /// 499.
    Cancelled,
    /// 500, `INTERNAL_ERROR`, `UNKNOWN`, `DATA_LOSS`.
    InternalError,
    /// 501.
    NotImplemented,
    /// 503, `TEMPORARILY_UNAVAILABLE`.
    TemporarilyUnavailable,
    /// 504, `DEADLINE_EXCEEDED`.
    DeadlineExceeded,
    /// 502 and other statuses.
    Unknown,
}

/// An error answer from the Databricks REST API.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// The API's `error_code` (e.g. `RESOURCE_DOES_NOT_EXIST`), when it sent one.
    pub error_code: Option<String>,
    /// The API's message, or a short excerpt of a non-JSON body.
    pub message: String,
    /// The request id from the `RequestInfo` detail or the `x-request-id` header.
    pub request_id: Option<String>,
    /// The delay the server asked for with `Retry-After`.
    pub retry_after: Option<Duration>,
    /// The `details` array, kept raw (google.rpc-style objects discriminated by `@type`).
    pub details: Vec<Value>,
    /// HTTP method of the request.
    pub method: String,
    /// Path of the request.
    pub path: String,
    kind: ErrorKind,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: HTTP {}", self.method, self.path, self.status)?;
        if let Some(code) = &self.error_code {
            write!(f, " {code}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        if let Some(hint) = self.hint() {
            write!(f, ". {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    /// Builds an API error and classifies it.
    pub fn new(
        method: impl Into<String>,
        path: impl Into<String>,
        status: u16,
        error_code: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        let mut err = Self {
            status,
            error_code,
            message: message.into(),
            request_id: None,
            retry_after: None,
            details: Vec::new(),
            method: method.into(),
            path: path.into(),
            kind: ErrorKind::Unknown,
        };
        err.kind = classify(&err);
        err
    }

    /// Sets the request id.
    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.request_id = request_id;
        self
    }

    /// Sets the `Retry-After` delay.
    pub fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// Sets the raw `details`.
    pub fn with_details(mut self, details: Vec<Value>) -> Self {
        self.details = details;
        self
    }

    /// The semantic class of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether sending the same request again may succeed without any change: 429, 503 and the
    /// transient worker-environment messages the official SDKs retry. 500/502/504 are retried by
    /// the client only for idempotent requests; this predicate does not say yes for them.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::TooManyRequests | ErrorKind::TemporarilyUnavailable
        ) || self.status == 429
            || self.status == 503
            || is_transient_message(&self.message)
    }

    fn hint(&self) -> Option<&'static str> {
        match self.kind {
            ErrorKind::Unauthenticated => Some(
                "Check the token or client secret (DATABRICKS_TOKEN, DATABRICKS_CLIENT_ID/SECRET or the profile in ~/.databrickscfg)",
            ),
            ErrorKind::PermissionDenied
                if self.error_code.as_deref() == Some("PRIVATE_LINK_VALIDATION_ERROR") =>
            {
                Some(
                    "The workspace only accepts requests over Private Link; run from a network that can reach it",
                )
            }
            ErrorKind::PermissionDenied => {
                Some("Ask a workspace admin to grant this identity access to the resource")
            }
            _ => None,
        }
    }
}

/// A SQL statement that ended in a terminal state other than `SUCCEEDED`.
///
/// Returned as [`Error::Statement`] by
/// [`StatementsApi::query`](crate::api::StatementsApi::query),
/// [`wait`](crate::api::StatementsApi::wait),
/// [`result_stream`](crate::api::StatementsApi::result_stream) and Genie's
/// [`query_result_rows`](crate::api::GenieApi::query_result_rows). Statement failures arrive as
/// HTTP 200 with `status.state = FAILED`, so they are not [`ApiError`]s.
///
/// ```
/// use databricks_client::models::StatementState;
/// use databricks_client::{Error, StatementError};
///
/// let err = Error::from(
///     StatementError::new("01ef-1", StatementState::Failed, "Warehouse is stopping")
///         .with_error_code("TEMPORARILY_UNAVAILABLE"),
/// );
/// assert!(err.is_retryable());
/// let st = err.statement_error().unwrap();
/// assert_eq!(st.state, StatementState::Failed);
/// assert_eq!(st.error_code.as_deref(), Some("TEMPORARILY_UNAVAILABLE"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatementError {
    /// The statement id (use it with `StatementsApi::get`).
    pub statement_id: String,
    /// The terminal state: `FAILED`, `CANCELED` or `CLOSED`.
    pub state: StatementState,
    /// `status.error.error_code` (e.g. `BAD_REQUEST`, `TEMPORARILY_UNAVAILABLE`), when sent.
    pub error_code: Option<String>,
    /// `status.sql_state` (e.g. `42P01`), when sent.
    pub sql_state: Option<String>,
    /// `status.error.message`, or empty when the server sent none (usual for `CANCELED` and
    /// `CLOSED`).
    pub message: String,
}

/// Statement `error_code`s after which running the statement again later may succeed.
const RETRYABLE_STATEMENT_CODES: &[&str] = &[
    "TEMPORARILY_UNAVAILABLE",
    "SERVICE_UNDER_MAINTENANCE",
    "WORKSPACE_TEMPORARILY_UNAVAILABLE",
];

impl StatementError {
    /// A statement error with no error code or SQLSTATE.
    pub fn new(
        statement_id: impl Into<String>,
        state: StatementState,
        message: impl Into<String>,
    ) -> Self {
        Self {
            statement_id: statement_id.into(),
            state,
            error_code: None,
            sql_state: None,
            message: message.into(),
        }
    }

    /// Sets the `error_code`.
    pub fn with_error_code(mut self, error_code: impl Into<String>) -> Self {
        self.error_code = Some(error_code.into());
        self
    }

    /// Sets the SQLSTATE.
    pub fn with_sql_state(mut self, sql_state: impl Into<String>) -> Self {
        self.sql_state = Some(sql_state.into());
        self
    }

    /// Whether running the statement again later may succeed: the error code is
    /// `TEMPORARILY_UNAVAILABLE`, `SERVICE_UNDER_MAINTENANCE` or
    /// `WORKSPACE_TEMPORARILY_UNAVAILABLE`.
    pub fn is_retryable(&self) -> bool {
        self.error_code
            .as_deref()
            .is_some_and(|c| RETRYABLE_STATEMENT_CODES.contains(&c))
    }

    /// The statement was cancelled (`CANCELED`).
    pub fn is_canceled(&self) -> bool {
        self.state == StatementState::Canceled
    }

    /// The statement succeeded but its result is no longer available (`CLOSED`).
    pub fn is_closed(&self) -> bool {
        self.state == StatementState::Closed
    }

    fn hint(&self) -> Option<&'static str> {
        if self.is_retryable() {
            return Some("the service is temporarily unavailable; run the statement again later");
        }
        match self.state {
            StatementState::Canceled => Some("it was cancelled (timeout or explicit cancel)"),
            StatementState::Closed => Some("the result expired; run the statement again"),
            _ => None,
        }
    }
}

impl fmt::Display for StatementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "statement {} {}", self.statement_id, self.state)?;
        if let Some(code) = &self.error_code {
            write!(f, " [{code}]")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(sql_state) = &self.sql_state {
            write!(f, " (SQLSTATE {sql_state})")?;
        }
        if let Some(hint) = self.hint() {
            write!(f, " — {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for StatementError {}

impl From<StatementError> for Error {
    fn from(e: StatementError) -> Self {
        Self::Statement(Box::new(e))
    }
}

/// A Genie message that ended in a terminal status other than `COMPLETED`.
///
/// Returned as [`Error::Genie`] by
/// [`GenieApi::wait_for_message`](crate::api::GenieApi::wait_for_message) and
/// [`ask`](crate::api::GenieApi::ask). A failure of the SQL behind a query attachment is a
/// [`StatementError`] instead.
///
/// ```
/// use databricks_client::models::GenieMessageStatus;
/// use databricks_client::{Error, GenieError};
///
/// let err = Error::from(GenieError::new("conv-1", "msg-1", GenieMessageStatus::QueryResultExpired, ""));
/// assert!(err.genie_error().is_some_and(GenieError::is_query_result_expired));
/// assert!(err.to_string().contains("execute_query"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GenieError {
    /// The conversation id.
    pub conversation_id: String,
    /// The message id.
    pub message_id: String,
    /// The terminal status: `FAILED`, `CANCELLED` or `QUERY_RESULT_EXPIRED`.
    pub status: GenieMessageStatus,
    /// `error.type` of the message, when sent.
    pub error_type: Option<String>,
    /// `error.error` of the message, or empty when the server sent none.
    pub message: String,
}

impl GenieError {
    /// A Genie error with no error type.
    pub fn new(
        conversation_id: impl Into<String>,
        message_id: impl Into<String>,
        status: GenieMessageStatus,
        message: impl Into<String>,
    ) -> Self {
        Self {
            conversation_id: conversation_id.into(),
            message_id: message_id.into(),
            status,
            error_type: None,
            message: message.into(),
        }
    }

    /// Sets the error type.
    pub fn with_error_type(mut self, error_type: impl Into<String>) -> Self {
        self.error_type = Some(error_type.into());
        self
    }

    /// The message was cancelled (`CANCELLED`).
    pub fn is_cancelled(&self) -> bool {
        self.status == GenieMessageStatus::Cancelled
    }

    /// The query result expired (`QUERY_RESULT_EXPIRED`); re-run it with
    /// [`GenieApi::execute_query`](crate::api::GenieApi::execute_query).
    pub fn is_query_result_expired(&self) -> bool {
        self.status == GenieMessageStatus::QueryResultExpired
    }

    fn hint(&self) -> Option<&'static str> {
        match self.status {
            GenieMessageStatus::Cancelled => Some("it was cancelled; ask the question again"),
            GenieMessageStatus::QueryResultExpired => {
                Some("the query result expired; re-run it with GenieApi::execute_query")
            }
            _ => None,
        }
    }
}

impl fmt::Display for GenieError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Genie message {} (conversation {}) {}",
            self.message_id, self.conversation_id, self.status
        )?;
        if let Some(t) = &self.error_type {
            write!(f, " [{t}]")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(hint) = self.hint() {
            write!(f, " — {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for GenieError {}

impl From<GenieError> for Error {
    fn from(e: GenieError) -> Self {
        Self::Genie(Box::new(e))
    }
}

/// Transient messages the official SDKs retry regardless of status (databricks-api.md §2.3).
pub(crate) fn is_transient_message(message: &str) -> bool {
    const PATTERNS: &[&str] = &[
        "com.databricks.backend.manager.util.UnknownWorkerEnvironmentException",
        "does not have any associated worker environments",
        "There is no worker environment with id",
        "Unknown worker environment",
        "ClusterNotReadyException",
        "RPC token bucket limit has been exceeded",
        "Please try again later or try a faster operation.",
    ];
    PATTERNS.iter().any(|p| message.contains(p))
}

/// The single place where statuses and error codes become semantic kinds.
fn classify(err: &ApiError) -> ErrorKind {
    if is_does_not_exist_override(err) {
        return ErrorKind::NotFound;
    }
    if let Some(code) = err.error_code.as_deref() {
        let by_code = match code {
            "INVALID_PARAMETER_VALUE" => Some(ErrorKind::InvalidParameterValue),
            "INVALID_STATE" => Some(ErrorKind::InvalidState),
            "RESOURCE_DOES_NOT_EXIST" | "NOT_FOUND" => Some(ErrorKind::NotFound),
            "PERMISSION_DENIED" | "PRIVATE_LINK_VALIDATION_ERROR" => {
                Some(ErrorKind::PermissionDenied)
            }
            "UNAUTHENTICATED" => Some(ErrorKind::Unauthenticated),
            "ABORTED" => Some(ErrorKind::ResourceConflict),
            "ALREADY_EXISTS" | "RESOURCE_ALREADY_EXISTS" => Some(ErrorKind::AlreadyExists),
            "RESOURCE_EXHAUSTED" | "REQUEST_LIMIT_EXCEEDED" => Some(ErrorKind::TooManyRequests),
            "CANCELLED" => Some(ErrorKind::Cancelled),
            "UNKNOWN" | "DATA_LOSS" | "INTERNAL_ERROR" => Some(ErrorKind::InternalError),
            "TEMPORARILY_UNAVAILABLE" => Some(ErrorKind::TemporarilyUnavailable),
            "DEADLINE_EXCEEDED" => Some(ErrorKind::DeadlineExceeded),
            "BAD_REQUEST" => Some(ErrorKind::BadRequest),
            _ => None,
        };
        if let Some(kind) = by_code {
            return kind;
        }
    }
    match err.status {
        400 => ErrorKind::BadRequest,
        401 => ErrorKind::Unauthenticated,
        403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        409 => ErrorKind::ResourceConflict,
        429 => ErrorKind::TooManyRequests,
        499 => ErrorKind::Cancelled,
        500 => ErrorKind::InternalError,
        501 => ErrorKind::NotImplemented,
        503 => ErrorKind::TemporarilyUnavailable,
        504 => ErrorKind::DeadlineExceeded,
        405..=428 => ErrorKind::BadRequest,
        _ => ErrorKind::Unknown,
    }
}

/// The three `GET` endpoints that answer 400 `INVALID_PARAMETER_VALUE` for a missing resource.
fn is_does_not_exist_override(err: &ApiError) -> bool {
    if err.status != 400
        || err.method != "GET"
        || err.error_code.as_deref() != Some("INVALID_PARAMETER_VALUE")
    {
        return false;
    }
    let path = err.path.as_str();
    let versioned = |suffix: &str| {
        path.strip_prefix("/api/")
            .and_then(|rest| rest.split_once('/'))
            .is_some_and(|(version, rest)| version.starts_with("2.") && rest == suffix)
    };
    let msg = err.message.as_str();
    (versioned("clusters/get") && msg.starts_with("Cluster ") && msg.contains(" does not exist"))
        || (versioned("jobs/get") && msg.starts_with("Job ") && msg.contains(" does not exist"))
        || (versioned("jobs/runs/get")
            && ((msg.starts_with("Run ") && msg.contains(" does not exist"))
                || (msg.starts_with("Run: ")
                    && msg.contains(" in job: ")
                    && msg.contains("doesn't exist"))))
}

impl Error {
    /// The API error, if this is one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            Self::Auth {
                source: Some(s), ..
            } => s.api_error(),
            _ => None,
        }
    }

    /// The failed statement, if this is [`Error::Statement`].
    pub fn statement_error(&self) -> Option<&StatementError> {
        match self {
            Self::Statement(e) => Some(e),
            _ => None,
        }
    }

    /// The failed Genie message, if this is [`Error::Genie`].
    pub fn genie_error(&self) -> Option<&GenieError> {
        match self {
            Self::Genie(e) => Some(e),
            _ => None,
        }
    }

    /// The semantic kind of an API error.
    pub fn kind(&self) -> Option<ErrorKind> {
        self.api_error().map(ApiError::kind)
    }

    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        self.api_error().map(|e| e.status)
    }

    /// The `error_code` of an API error or of a failed statement, if any.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            Self::Statement(e) => e.error_code.as_deref(),
            _ => self.api_error().and_then(|e| e.error_code.as_deref()),
        }
    }

    /// The request id the server reported, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.api_error().and_then(|e| e.request_id.as_deref())
    }

    /// The resource does not exist (404, `RESOURCE_DOES_NOT_EXIST`, or the "does not exist"
    /// 400s of `clusters/get`, `jobs/get`, `jobs/runs/get`).
    pub fn is_not_found(&self) -> bool {
        self.kind() == Some(ErrorKind::NotFound)
    }

    /// The identity is not allowed to do this (403).
    pub fn is_permission_denied(&self) -> bool {
        self.kind() == Some(ErrorKind::PermissionDenied)
    }

    /// The credentials were rejected (401), or could not be obtained at all.
    pub fn is_unauthenticated(&self) -> bool {
        matches!(self, Self::Auth { .. }) || self.kind() == Some(ErrorKind::Unauthenticated)
    }

    /// The resource already exists.
    pub fn is_already_exists(&self) -> bool {
        self.kind() == Some(ErrorKind::AlreadyExists)
    }

    /// The request conflicts with the resource's state (409, `ABORTED`, or already exists).
    pub fn is_resource_conflict(&self) -> bool {
        matches!(
            self.kind(),
            Some(ErrorKind::ResourceConflict | ErrorKind::AlreadyExists)
        )
    }

    /// A parameter was rejected (`INVALID_PARAMETER_VALUE`, `BAD_REQUEST`, or
    /// [`Error::InvalidArgument`]).
    pub fn is_invalid_parameter(&self) -> bool {
        matches!(self, Self::InvalidArgument(_))
            || matches!(
                self.kind(),
                Some(ErrorKind::InvalidParameterValue | ErrorKind::BadRequest)
            )
    }

    /// The server is rate limiting (429).
    pub fn is_rate_limited(&self) -> bool {
        self.kind() == Some(ErrorKind::TooManyRequests)
    }

    /// A waiter or an attempt timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            Self::WaitTimeout { .. }
                | Self::Transport {
                    kind: TransportErrorKind::Timeout,
                    ..
                }
        ) || self.kind() == Some(ErrorKind::DeadlineExceeded)
    }

    /// Whether trying the same call again later may succeed: rate limits, temporary
    /// unavailability, transient server messages, connection failures, timeouts, and
    /// statements that failed with `TEMPORARILY_UNAVAILABLE`, `SERVICE_UNDER_MAINTENANCE` or
    /// `WORKSPACE_TEMPORARILY_UNAVAILABLE`.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Api(e) => e.is_retryable(),
            Self::Statement(e) => e.is_retryable(),
            Self::Transport { kind, .. } => {
                matches!(
                    kind,
                    TransportErrorKind::Connect
                        | TransportErrorKind::Timeout
                        | TransportErrorKind::Interrupted
                        | TransportErrorKind::Body
                )
            }
            Self::Auth {
                source: Some(s), ..
            } => s.is_retryable(),
            Self::WaitTimeout { .. } => true,
            _ => false,
        }
    }

    /// The delay the server asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        self.api_error().and_then(|e| e.retry_after)
    }

    pub(crate) fn transport(method: &str, path: &str, source: reqwest::Error) -> Self {
        Self::Transport {
            method: method.to_owned(),
            path: path.to_owned(),
            kind: classify_transport(&source),
            source: source.without_url(),
            attempts: 1,
        }
    }

    /// Records how many attempts a transport failure took (other errors are unchanged).
    pub(crate) fn with_attempts(mut self, n: u32) -> Self {
        if let Self::Transport { attempts, .. } = &mut self {
            *attempts = n;
        }
        self
    }
}

/// Classifies a reqwest failure by what it says about the request having reached the server.
fn classify_transport(source: &reqwest::Error) -> TransportErrorKind {
    if source.is_connect() {
        return TransportErrorKind::Connect;
    }
    if source.is_timeout() {
        return TransportErrorKind::Timeout;
    }
    if source.is_body() || source.is_decode() {
        return TransportErrorKind::Body;
    }
    // `is_request`: sending the request or awaiting the response head failed after the
    // connection was up (reset by peer, closed before the message completed, broken pipe).
    let broken_io = std::iter::successors(
        std::error::Error::source(source),
        |e: &&(dyn std::error::Error + 'static)| e.source(),
    )
    .filter_map(|e| e.downcast_ref::<std::io::Error>())
    .any(|e| {
        matches!(
            e.kind(),
            std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::UnexpectedEof
        )
    });
    if source.is_request() || broken_io {
        return TransportErrorKind::Interrupted;
    }
    TransportErrorKind::Other
}

/// `: <innermost cause>` when reqwest's own message hides it (e.g. "error sending request").
fn root_cause(source: &reqwest::Error) -> String {
    let innermost = std::iter::successors(
        std::error::Error::source(source),
        |e: &&(dyn std::error::Error + 'static)| e.source(),
    )
    .last();
    match innermost {
        Some(cause) => {
            let text = cause.to_string();
            if text.is_empty() || source.to_string().contains(&text) {
                String::new()
            } else {
                format!(": {text}")
            }
        }
        None => String::new(),
    }
}

fn attempts_note(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (gave up after {attempts} attempts)")
    } else {
        String::new()
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Self::Api(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(method: &str, path: &str, status: u16, code: Option<&str>, msg: &str) -> ApiError {
        ApiError::new(method, path, status, code.map(str::to_owned), msg)
    }

    #[test]
    fn error_code_wins_over_status() {
        let e = api(
            "GET",
            "/api/2.1/unity-catalog/tables/x",
            400,
            Some("RESOURCE_DOES_NOT_EXIST"),
            "no",
        );
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let e = api("POST", "/x", 400, Some("RESOURCE_ALREADY_EXISTS"), "dup");
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    }

    #[test]
    fn does_not_exist_overrides() {
        let cases = [
            ("/api/2.1/clusters/get", "Cluster 0123-abc does not exist"),
            ("/api/2.0/clusters/get", "Cluster 0123-abc does not exist"),
            ("/api/2.2/jobs/get", "Job 42 does not exist."),
            ("/api/2.2/jobs/runs/get", "Run 7 does not exist."),
            ("/api/2.1/jobs/runs/get", "Run: 7 in job: 3 doesn't exist"),
        ];
        for (path, msg) in cases {
            let e: Error = api("GET", path, 400, Some("INVALID_PARAMETER_VALUE"), msg).into();
            assert!(e.is_not_found(), "{path}: {msg}");
        }
        // Same code on another path, or another message, stays an invalid parameter.
        let e: Error = api(
            "GET",
            "/api/2.2/jobs/list",
            400,
            Some("INVALID_PARAMETER_VALUE"),
            "Job 1 does not exist",
        )
        .into();
        assert!(!e.is_not_found());
        assert!(e.is_invalid_parameter());
        let e: Error = api(
            "GET",
            "/api/2.2/jobs/get",
            400,
            Some("INVALID_PARAMETER_VALUE"),
            "job_id must be positive",
        )
        .into();
        assert!(!e.is_not_found());
    }

    #[test]
    fn status_fallbacks() {
        assert_eq!(
            api("GET", "/", 401, None, "").kind(),
            ErrorKind::Unauthenticated
        );
        assert_eq!(
            api("GET", "/", 403, None, "").kind(),
            ErrorKind::PermissionDenied
        );
        assert_eq!(api("GET", "/", 404, None, "").kind(), ErrorKind::NotFound);
        assert_eq!(
            api("GET", "/", 409, None, "").kind(),
            ErrorKind::ResourceConflict
        );
        assert_eq!(
            api("GET", "/", 429, None, "").kind(),
            ErrorKind::TooManyRequests
        );
        assert_eq!(
            api("GET", "/", 503, None, "").kind(),
            ErrorKind::TemporarilyUnavailable
        );
        assert_eq!(api("GET", "/", 502, None, "").kind(), ErrorKind::Unknown);
        assert!(api("GET", "/", 429, None, "").is_retryable());
        assert!(!api("GET", "/", 500, None, "boom").is_retryable());
        assert!(api("POST", "/", 400, None, "ClusterNotReadyException: wait").is_retryable());
    }

    #[test]
    fn display_names_request_id_and_fix() {
        let e = api(
            "GET",
            "/api/2.0/x",
            401,
            Some("UNAUTHENTICATED"),
            "bad token",
        )
        .with_request_id(Some("req-1".into()));
        let s = e.to_string();
        assert!(s.contains("req-1"), "{s}");
        assert!(s.contains("DATABRICKS_TOKEN"), "{s}");
    }

    #[test]
    fn statement_error_display_and_predicates() {
        let e = StatementError::new("s-1", StatementState::Failed, "Division by zero.")
            .with_error_code("BAD_REQUEST")
            .with_sql_state("22012");
        assert_eq!(
            e.to_string(),
            "statement s-1 FAILED [BAD_REQUEST]: Division by zero. (SQLSTATE 22012)"
        );
        let err = Error::from(e);
        assert!(!err.is_retryable());
        assert_eq!(err.error_code(), Some("BAD_REQUEST"));
        assert!(err.api_error().is_none());

        let closed = StatementError::new("s-2", StatementState::Closed, "");
        assert_eq!(
            closed.to_string(),
            "statement s-2 CLOSED — the result expired; run the statement again"
        );
        assert!(closed.is_closed() && !closed.is_canceled());
        let canceled = StatementError::new("s-3", StatementState::Canceled, "");
        assert!(
            canceled
                .to_string()
                .contains("cancelled (timeout or explicit cancel)")
        );

        for code in [
            "TEMPORARILY_UNAVAILABLE",
            "SERVICE_UNDER_MAINTENANCE",
            "WORKSPACE_TEMPORARILY_UNAVAILABLE",
        ] {
            let err = Error::from(
                StatementError::new("s", StatementState::Failed, "busy").with_error_code(code),
            );
            assert!(err.is_retryable(), "{code}");
            assert!(
                err.to_string().contains("run the statement again later"),
                "{err}"
            );
        }
    }

    #[test]
    fn genie_error_display_and_predicates() {
        let e = GenieError::new("c-1", "m-1", GenieMessageStatus::Failed, "No warehouse")
            .with_error_type("WAREHOUSE_ACCESS_MISSING_EXCEPTION");
        assert_eq!(
            e.to_string(),
            "Genie message m-1 (conversation c-1) FAILED [WAREHOUSE_ACCESS_MISSING_EXCEPTION]: No warehouse"
        );
        assert!(!e.is_cancelled() && !e.is_query_result_expired());
        let err = Error::from(GenieError::new("c", "m", GenieMessageStatus::Cancelled, ""));
        assert!(err.genie_error().is_some_and(GenieError::is_cancelled));
        assert!(err.statement_error().is_none());
        assert!(!err.is_retryable());
    }
}
