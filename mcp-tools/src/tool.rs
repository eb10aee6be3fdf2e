//! The async tool trait and the per-call context (cancellation, progress).

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datasource_model::CallerToken;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::{ToolError, ToolOutput, ToolSpec};

/// One tool: a spec and an async call.
///
/// Implementations parse their arguments with [`crate::parse_args`], call a library, and map the
/// result; they hold no business logic.
#[async_trait]
pub trait Tool: Send + Sync + fmt::Debug {
    /// The tool's descriptor.
    fn spec(&self) -> &ToolSpec;

    /// Runs the tool with JSON arguments (`Value::Null` when the client sent none).
    async fn call(&self, args: Value, ctx: ToolContext) -> Result<ToolOutput, ToolError>;
}

/// A shared tool handle.
pub type DynTool = Arc<dyn Tool>;

/// A group of tools (for example "datasource"), composed into a [`crate::Registry`].
pub trait Toolset: Send + Sync + fmt::Debug {
    /// The toolset's name, used by `--toolsets` style filters.
    fn name(&self) -> &str;
    /// The tools, in a stable order.
    fn tools(&self) -> Vec<DynTool>;
}

/// One progress update (`notifications/progress`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Progress {
    /// Progress so far; increases with every update.
    pub progress: f64,
    /// The total, if known.
    pub total: Option<f64>,
    /// A short human-readable message.
    pub message: Option<String>,
}

impl Progress {
    /// A progress update with only a value.
    pub fn new(progress: f64) -> Self {
        Self {
            progress,
            total: None,
            message: None,
        }
    }

    /// Sets the total.
    pub fn with_total(mut self, total: f64) -> Self {
        self.total = Some(total);
        self
    }

    /// Sets the message.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }
}

/// Receives progress updates of one call (the rmcp adapter forwards them to the client).
#[async_trait]
pub trait ProgressSink: Send + Sync {
    /// Delivers one update. Failures to deliver are ignored by design: progress is advisory.
    async fn report(&self, progress: Progress);
}

/// Who is calling: the authenticated principal of an HTTP request (an API key's name or a
/// token's subject), set by the serving layer and read by audit, quotas and metrics.
///
/// Holds no credential: it is safe to log.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Principal {
    /// The principal's name (API key name, or the token's `sub`).
    pub name: String,
    /// How the principal was authenticated (`"api_key"`, `"oauth"`, `"anonymous"`).
    pub method: String,
}

impl Principal {
    /// A principal named `name`, authenticated by `method`.
    pub fn new(name: impl Into<String>, method: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            method: method.into(),
        }
    }
}

/// Per-call context: cancellation, progress and the caller.
///
/// Cheap to clone.
#[derive(Clone, Default)]
pub struct ToolContext {
    cancel: CancellationToken,
    progress: Option<Arc<dyn ProgressSink>>,
    principal: Option<Arc<Principal>>,
    caller_token: Option<Arc<CallerToken>>,
}

impl fmt::Debug for ToolContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolContext")
            .field("cancelled", &self.cancel.is_cancelled())
            .field("progress", &self.progress.is_some())
            .field("principal", &self.principal)
            .field("caller_token", &self.caller_token.is_some())
            .finish()
    }
}

impl ToolContext {
    /// A context that is never cancelled and drops progress.
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses `token` for cancellation.
    pub fn with_cancellation(mut self, token: CancellationToken) -> Self {
        self.cancel = token;
        self
    }

    /// Sends progress to `sink`.
    pub fn with_progress(mut self, sink: Arc<dyn ProgressSink>) -> Self {
        self.progress = Some(sink);
        self
    }

    /// Records the authenticated caller.
    pub fn with_principal(mut self, principal: Principal) -> Self {
        self.principal = Some(Arc::new(principal));
        self
    }

    /// The authenticated caller, when the serving layer knows one.
    pub fn principal(&self) -> Option<&Principal> {
        self.principal.as_deref()
    }

    /// Records the caller's own validated credential, for identity pass-through (the serving
    /// layer sets it only when pass-through is on). Never logged: `Debug` shows only whether
    /// there is one.
    pub fn with_caller_token(mut self, token: CallerToken) -> Self {
        self.caller_token = Some(Arc::new(token));
        self
    }

    /// The caller's own credential, when the serving layer passes it through.
    pub fn caller_token(&self) -> Option<&CallerToken> {
        self.caller_token.as_deref()
    }

    /// The cancellation token of the call.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Whether the client cancelled the call.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Reports progress if the client asked for it (no-op otherwise).
    pub async fn report_progress(&self, progress: Progress) {
        if let Some(sink) = &self.progress {
            sink.report(progress).await;
        }
    }
}
