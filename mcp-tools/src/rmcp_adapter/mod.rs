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
//! - `notifications/cancelled` → the [`ToolContext::cancellation`] token;
//! - `resources/list`, `resources/templates/list`, `resources/read` → the [`ResourceSet`] given
//!   with [`McpServer::with_resources`] (an unknown URI → `-32002`, a bad cursor → `-32602`);
//! - `prompts/list`, `prompts/get` → the [`PromptSet`] given with [`McpServer::with_prompts`]
//!   (an unknown prompt or bad arguments → `-32602`).
//!
//! The `resources` and `prompts` capabilities are announced only when a set was given.
//!
//! Malformed input: rmcp drops a line that is not JSON (or is invalid UTF-8, or nests too deep)
//! without answering. Serve stdio through [`CheckedTransport`], which answers such lines with
//! the JSON-RPC error (`-32700`/`-32600`, `"id": null`) before rmcp sees them; the checks are
//! [`crate::jsonrpc::check_message`], which an HTTP front can use on request bodies too.
//!
//! ```no_run
//! use mcp_tools::Registry;
//! use mcp_tools::rmcp_adapter::McpServer;
//! use rmcp::ServiceExt;
//!
//! # async fn run(registry: Registry, transport: tokio::io::DuplexStream) -> Result<(), Box<dyn std::error::Error>> {
//! let server = McpServer::new(registry, "my-server", "0.1.0");
//! // Any rmcp transport: `CheckedTransport::new(stdin, stdout)` for stdio, a duplex pipe, …
//! let running = server.serve(transport).await?;
//! running.waiting().await?;
//! # Ok(()) }
//! ```

use std::sync::Arc;

use async_trait::async_trait;

mod checked;
pub use checked::CheckedTransport;
#[cfg(feature = "server")]
pub(crate) mod http;
use std::collections::BTreeMap;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, GetPromptRequestParams,
    GetPromptResponse, GetPromptResult, Implementation, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ProgressNotificationParam, ProgressToken, Prompt, PromptArgument, PromptMessage,
    PromptsCapability, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    Resource, ResourceContents, ResourceTemplate, ResourcesCapability, Role, ServerCapabilities,
    ServerConfig, Tool as McpTool, ToolAnnotations as McpAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, Peer, RoleServer, ServerHandler};
use serde_json::Value;

use crate::{
    Progress, ProgressSink, PromptError, PromptSet, Registry, ResourceError, ResourceSet,
    ToolContext, ToolError, ToolOutput, ToolSpec,
};

/// An MCP server over a [`Registry`]. Cheap to clone (the registry is shared).
#[derive(Debug, Clone)]
pub struct McpServer {
    registry: Registry,
    info: Implementation,
    instructions: Option<String>,
    resources: ResourceSet,
    prompts: PromptSet,
}

impl McpServer {
    /// A server named `name` at `version` serving `registry`.
    pub fn new(registry: Registry, name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            registry,
            info: Implementation::new(name, version),
            instructions: None,
            resources: ResourceSet::new(),
            prompts: PromptSet::new(),
        }
    }

    /// Serves these resources (`resources/*`).
    pub fn with_resources(mut self, resources: ResourceSet) -> Self {
        self.resources = resources;
        self
    }

    /// Serves these prompts (`prompts/*`).
    pub fn with_prompts(mut self, prompts: PromptSet) -> Self {
        self.prompts = prompts;
        self
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

/// Converts a [`ResourceError`] into rmcp's `ErrorData`.
pub fn resource_error_data(error: &ResourceError) -> ErrorData {
    match error {
        ResourceError::NotFound { uri, .. } => ErrorData::resource_not_found(
            error.to_string(),
            Some(serde_json::json!({ "uri": uri })),
        ),
        ResourceError::InvalidCursor { .. } => ErrorData::invalid_params(error.to_string(), None),
        _ => ErrorData::internal_error(error.to_string(), None),
    }
}

/// Converts a [`PromptError`] into rmcp's `ErrorData` (`-32602`, as the spec asks).
pub fn prompt_error_data(error: &PromptError) -> ErrorData {
    ErrorData::invalid_params(error.to_string(), None)
}

/// The MCP `Prompt` descriptors of a [`PromptSet`].
pub fn to_mcp_prompts(prompts: &PromptSet) -> Vec<Prompt> {
    prompts
        .templates()
        .iter()
        .map(|t| {
            let arguments = t
                .arguments
                .iter()
                .map(|a| {
                    PromptArgument::new(a.name.clone())
                        .with_description(a.description.clone())
                        .with_required(a.required)
                })
                .collect();
            let mut prompt =
                Prompt::new(t.name.clone(), Some(t.description.clone()), Some(arguments));
            if let Some(title) = &t.title {
                prompt = prompt.with_title(title.clone());
            }
            prompt
        })
        .collect()
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
        let mut capabilities = ServerCapabilities::builder().enable_tools().build();
        if !self.resources.is_empty() {
            capabilities.resources = Some(ResourcesCapability::default());
        }
        if !self.prompts.is_empty() {
            capabilities.prompts = Some(PromptsCapability::default());
        }
        let mut config = ServerConfig::new(capabilities).with_server_info(self.info.clone());
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
        // Over HTTP, `crate::server` puts the authenticated caller in the request's extensions;
        // rmcp hands the request parts to the handler.
        #[cfg(feature = "server")]
        if let Some(parts) = context.extensions.get::<::http::request::Parts>() {
            if let Some(principal) = parts.extensions.get::<crate::Principal>() {
                ctx = ctx.with_principal(principal.clone());
            }
            // Present only when the server passes the caller's identity through.
            if let Some(token) = parts.extensions.get::<crate::CallerToken>() {
                ctx = ctx.with_caller_token(token.clone());
            }
        }
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

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let cursor = request.and_then(|r| r.cursor);
        let page = self
            .resources
            .list(cursor.as_deref())
            .await
            .map_err(|e| resource_error_data(&e))?;
        let resources = page
            .resources
            .into_iter()
            .map(|r| {
                let mut resource = Resource::new(r.uri, r.name);
                if let Some(t) = r.title {
                    resource = resource.with_title(t);
                }
                if let Some(d) = r.description {
                    resource = resource.with_description(d);
                }
                if let Some(m) = r.mime_type {
                    resource = resource.with_mime_type(m);
                }
                resource
            })
            .collect();
        let mut result = ListResourcesResult::with_all_items(resources);
        result.next_cursor = page.next_cursor;
        Ok(result)
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let templates = self
            .resources
            .templates()
            .into_iter()
            .map(|t| {
                let mut template = ResourceTemplate::new(t.uri_template, t.name);
                if let Some(d) = t.description {
                    template = template.with_description(d);
                }
                if let Some(m) = t.mime_type {
                    template = template.with_mime_type(m);
                }
                template
            })
            .collect();
        Ok(ListResourceTemplatesResult::with_all_items(templates))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let contents = self
            .resources
            .read(&request.uri)
            .await
            .map_err(|e| resource_error_data(&e))?;
        let contents = contents
            .into_iter()
            .map(|c| {
                let mut content = ResourceContents::text(c.text, c.uri);
                if let Some(m) = c.mime_type {
                    content = content.with_mime_type(m);
                }
                content
            })
            .collect();
        Ok(ReadResourceResult::new(contents).into())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(to_mcp_prompts(
            &self.prompts,
        )))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let args: BTreeMap<String, String> = request
            .arguments
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect();
        let text = self
            .prompts
            .render(&request.name, &args)
            .map_err(|e| prompt_error_data(&e))?;
        let mut result = GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)]);
        if let Some(t) = self.prompts.get(&request.name) {
            result = result.with_description(t.description.clone());
        }
        Ok(result.into())
    }
}
