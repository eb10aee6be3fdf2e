//! The rmcp adapter: an rmcp [`ServerHandler`] over a [`Registry`].
//!
//! This is the only module that names rmcp types (rmcp changed its API in three majors in 2026);
//! swapping the SDK means rewriting this file only.
//!
//! Mapping:
//! - `tools/list` → every visible [`ToolSpec`], in the registry's stable order;
//! - `tools/call` → [`Registry::call`]; a result becomes `CallToolResult` with text content and
//!   `structuredContent`; `isError` results stay results;
//! - an unknown tool → JSON-RPC `-32602` (invalid params); a server fault → `-32603`;
//! - the request's progress token → `notifications/progress` from [`ToolContext::report_progress`];
//! - `notifications/cancelled` → the [`ToolContext::cancellation`] token.
//!
//! ```no_run
//! use mcp_tools::Registry;
//! use mcp_tools::rmcp_adapter::McpServer;
//! use rmcp::ServiceExt;
//!
//! # async fn run(registry: Registry, transport: tokio::io::DuplexStream) -> Result<(), Box<dyn std::error::Error>> {
//! let server = McpServer::new(registry, "my-server", "0.1.0");
//! // Any rmcp transport: `rmcp::transport::stdio()` (feature `transport-io`), a duplex pipe, …
//! let running = server.serve(transport).await?;
//! running.waiting().await?;
//! # Ok(()) }
//! ```

use std::sync::Arc;

use async_trait::async_trait;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ProgressNotificationParam, ProgressToken,
    ServerCapabilities, ServerConfig, Tool as McpTool, ToolAnnotations as McpAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, Peer, RoleServer, ServerHandler};
use serde_json::Value;

use crate::{Progress, ProgressSink, Registry, ToolContext, ToolError, ToolOutput, ToolSpec};

/// An MCP server over a [`Registry`]. Cheap to clone (the registry is shared).
#[derive(Debug, Clone)]
pub struct McpServer {
    registry: Registry,
    info: Implementation,
    instructions: Option<String>,
}

impl McpServer {
    /// A server named `name` at `version` serving `registry`.
    pub fn new(registry: Registry, name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            registry,
            info: Implementation::new(name, version),
            instructions: None,
        }
    }

    /// Instructions sent to the client at initialization.
    pub fn with_instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = Some(instructions.into());
        self
    }

    /// The registry served.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }
}

/// Converts a spec into an rmcp `Tool`.
pub fn to_mcp_tool(spec: &ToolSpec) -> McpTool {
    let a = spec.annotations();
    let mut annotations = McpAnnotations::new()
        .read_only(a.read_only_hint)
        .destructive(a.destructive_hint)
        .idempotent(a.idempotent_hint)
        .open_world(a.open_world_hint);
    if let Some(title) = spec.title() {
        annotations.title = Some(title.to_owned());
    }
    let mut tool = McpTool::new(
        spec.name().to_owned(),
        spec.description().to_owned(),
        Arc::new(spec.input_schema().clone()),
    )
    .with_annotations(annotations);
    if let Some(title) = spec.title() {
        tool = tool.with_title(title);
    }
    if let Some(out) = spec.output_schema() {
        tool = tool.with_raw_output_schema(Arc::new(out.clone()));
    }
    tool
}

/// Converts a [`ToolOutput`] into an rmcp `CallToolResult`.
pub fn to_call_tool_result(output: ToolOutput) -> CallToolResult {
    let content = vec![ContentBlock::text(output.text)];
    let mut result = if output.is_error {
        CallToolResult::error(content)
    } else {
        CallToolResult::success(content)
    };
    result.structured_content = output.structured;
    result
}

/// Converts a protocol-level [`ToolError`] into rmcp's `ErrorData`.
pub fn to_error_data(error: &ToolError) -> ErrorData {
    match error {
        ToolError::UnknownTool { .. } | ToolError::InvalidParams { .. } => {
            ErrorData::invalid_params(error.to_string(), None)
        }
        _ => ErrorData::internal_error(error.to_string(), None),
    }
}

struct PeerProgress {
    peer: Peer<RoleServer>,
    token: ProgressToken,
}

#[async_trait]
impl ProgressSink for PeerProgress {
    async fn report(&self, progress: Progress) {
        let mut param = ProgressNotificationParam::new(self.token.clone(), progress.progress);
        if let Some(total) = progress.total {
            param = param.with_total(total);
        }
        if let Some(message) = progress.message {
            param = param.with_message(message);
        }
        if let Err(e) = self.peer.notify_progress(param).await {
            tracing::debug!(error = %e, "progress notification not delivered");
        }
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        let mut config = ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(self.info.clone());
        if let Some(i) = &self.instructions {
            config = config.with_instructions(i.clone());
        }
        config
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            self.registry.specs().map(to_mcp_tool).collect(),
        ))
    }

    fn get_tool(&self, name: &str) -> Option<McpTool> {
        self.registry.get(name).map(to_mcp_tool)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let mut ctx = ToolContext::new().with_cancellation(context.ct.clone());
        if let Some(token) = context.meta.get_progress_token() {
            ctx = ctx.with_progress(Arc::new(PeerProgress {
                peer: context.peer.clone(),
                token,
            }));
        }
        let args = request.arguments.map(Value::Object).unwrap_or(Value::Null);
        match self.registry.call(&request.name, args, ctx).await {
            Ok(output) => Ok(to_call_tool_result(output).into()),
            Err(error) => match error.into_output() {
                Ok(output) => Ok(to_call_tool_result(output).into()),
                Err(error) => {
                    tracing::debug!(tool = %request.name, %error, "tool call rejected");
                    Err(to_error_data(&error))
                }
            },
        }
    }
}
