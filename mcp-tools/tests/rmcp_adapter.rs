//! The rmcp adapter in-process: an rmcp client and our server over `tokio::io::duplex`.
#![cfg(feature = "rmcp")]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use mcp_tools::rmcp_adapter::McpServer;
use mcp_tools::{
    DynTool, Progress, Registry, Tool, ToolAnnotations, ToolContext, ToolError, ToolOutput,
    ToolSpec, Toolset, parse_args,
};
use rmcp::model::{
    CallToolRequestParams, ClientRequest, ErrorCode, ProgressNotificationParam, Request,
};
use rmcp::service::{NotificationContext, PeerRequestOptions, RunningService, ServiceError};
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// Arguments of `echo`.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct EchoArgs {
    /// Text to send back.
    text: String,
}

/// Result of `echo`.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct EchoResult {
    /// The text.
    text: String,
    /// Its length in bytes.
    length: usize,
}

#[derive(Debug)]
enum Behaviour {
    Echo,
    Fail,
    Slow(mpsc::UnboundedSender<&'static str>),
}

#[derive(Debug)]
struct TestTool {
    spec: ToolSpec,
    behaviour: Behaviour,
}

#[async_trait]
impl Tool for TestTool {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    async fn call(&self, args: Value, ctx: ToolContext) -> Result<ToolOutput, ToolError> {
        match &self.behaviour {
            Behaviour::Echo => {
                let a: EchoArgs = parse_args(self.spec.name(), args)?;
                let length = a.text.len();
                ToolOutput::structured(
                    a.text.clone(),
                    &EchoResult {
                        text: a.text,
                        length,
                    },
                )
            }
            Behaviour::Fail => Ok(ToolOutput::error(
                "the warehouse is stopped; start it or pass another warehouse_id",
            )),
            Behaviour::Slow(events) => {
                for step in 1..=3 {
                    ctx.report_progress(
                        Progress::new(f64::from(step))
                            .with_total(3.0)
                            .with_message(format!("step {step}")),
                    )
                    .await;
                }
                let _ = events.send("progress sent");
                tokio::select! {
                    () = ctx.cancellation().cancelled() => {
                        let _ = events.send("cancelled");
                        Ok(ToolOutput::error("cancelled"))
                    }
                    () = tokio::time::sleep(Duration::from_secs(20)) => {
                        let _ = events.send("timed out");
                        Ok(ToolOutput::text("finished"))
                    }
                }
            }
        }
    }
}

#[derive(Debug)]
struct TestSet(Vec<DynTool>);

impl Toolset for TestSet {
    fn name(&self) -> &str {
        "test"
    }
    fn tools(&self) -> Vec<DynTool> {
        self.0.clone()
    }
}

fn tool(name: &str, behaviour: Behaviour, write: bool) -> DynTool {
    let mut spec = ToolSpec::new::<EchoArgs, EchoResult>(name, format!("{name} tool"))
        .with_title(format!("The {name} tool"));
    if write {
        spec = spec.with_annotations(ToolAnnotations::destructive());
    }
    Arc::new(TestTool { spec, behaviour })
}

/// A client that forwards progress notifications to a channel.
#[derive(Clone)]
struct ProgressClient(mpsc::UnboundedSender<ProgressNotificationParam>);

impl ClientHandler for ProgressClient {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let _ = self.0.send(params);
    }
}

struct Harness {
    client: RunningService<RoleClient, ProgressClient>,
    progress: mpsc::UnboundedReceiver<ProgressNotificationParam>,
    events: mpsc::UnboundedReceiver<&'static str>,
}

async fn start() -> Harness {
    let (events_tx, events) = mpsc::unbounded_channel();
    let set = Arc::new(TestSet(vec![
        tool("echo", Behaviour::Echo, false),
        tool("fails", Behaviour::Fail, false),
        tool("slow", Behaviour::Slow(events_tx), false),
        tool("drop_everything", Behaviour::Echo, true),
    ]));
    let registry = Registry::builder()
        .toolset(set)
        .read_only(true)
        .build()
        .expect("registry");
    let server = McpServer::new(registry, "test-server", "0.0.1").with_instructions("test");
    let (server_io, client_io) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    let (progress_tx, progress) = mpsc::unbounded_channel();
    let client = ProgressClient(progress_tx)
        .serve(client_io)
        .await
        .expect("client initialize");
    Harness {
        client,
        progress,
        events,
    }
}

fn args(v: Value) -> serde_json::Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

#[tokio::test]
async fn initialize_and_list_tools_in_order_with_schemas() {
    let h = start().await;
    let info = h.client.peer_info().expect("server info");
    assert_eq!(
        info.server_info.as_ref().map(|i| i.name.as_str()),
        Some("test-server")
    );
    assert!(info.capabilities.tools.is_some());

    let tools = h.client.list_all_tools().await.expect("tools/list");
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    // The write tool is hidden in read-only mode; the order is the registry's.
    assert_eq!(names, ["echo", "fails", "slow"]);
    let echo = &tools[0];
    assert_eq!(echo.title.as_deref(), Some("The echo tool"));
    assert_eq!(echo.input_schema["type"], "object");
    assert_eq!(
        echo.input_schema["properties"]["text"]["description"],
        "Text to send back."
    );
    let out = echo.output_schema.as_ref().expect("output schema");
    assert_eq!(out["properties"]["length"]["type"], "integer");
    let ann = echo.annotations.as_ref().expect("annotations");
    assert_eq!(ann.read_only_hint, Some(true));
    assert_eq!(ann.destructive_hint, Some(false));
    h.client.cancel().await.expect("close");
}

#[tokio::test]
async fn call_results_errors_and_protocol_errors() {
    let h = start().await;
    let ok = h
        .client
        .call_tool(
            CallToolRequestParams::new("echo").with_arguments(args(json!({"text": "héllo"}))),
        )
        .await
        .expect("call echo");
    assert_eq!(ok.is_error, Some(false));
    assert_eq!(
        ok.structured_content,
        Some(json!({"text": "héllo", "length": 6}))
    );
    assert_eq!(
        ok.content
            .first()
            .and_then(|c| c.as_text())
            .map(|t| t.text.as_str()),
        Some("héllo")
    );

    let failed = h
        .client
        .call_tool(CallToolRequestParams::new("fails"))
        .await
        .expect("a tool failure is a result");
    assert_eq!(failed.is_error, Some(true));
    let text = failed.content[0].as_text().expect("text").text.clone();
    assert!(text.contains("start it"), "{text}");

    // Bad arguments: an isError result naming the field (SEP-1303), not a protocol error.
    let bad = h
        .client
        .call_tool(CallToolRequestParams::new("echo").with_arguments(args(json!({"txt": 1}))))
        .await
        .expect("bad args are a result");
    assert_eq!(bad.is_error, Some(true));
    assert!(
        bad.content[0]
            .as_text()
            .expect("text")
            .text
            .contains("`text`")
    );

    // A write tool hidden by read-only mode is rejected with the fix.
    let write = h
        .client
        .call_tool(
            CallToolRequestParams::new("drop_everything")
                .with_arguments(args(json!({"text": "x"}))),
        )
        .await
        .expect("write rejection is a result");
    assert_eq!(write.is_error, Some(true));
    assert!(
        write.content[0]
            .as_text()
            .expect("text")
            .text
            .contains("--allow-writes")
    );

    // Unknown tool: JSON-RPC invalid params.
    match h.client.call_tool(CallToolRequestParams::new("nope")).await {
        Err(ServiceError::McpError(e)) => {
            assert_eq!(e.code, ErrorCode::INVALID_PARAMS);
            assert!(e.message.contains("nope"), "{}", e.message);
        }
        other => panic!("expected invalid params, got {other:?}"),
    }
    h.client.cancel().await.expect("close");
}

#[tokio::test]
async fn progress_and_cancellation_are_forwarded() {
    let mut h = start().await;
    let handle = h
        .client
        .send_cancellable_request(
            ClientRequest::CallToolRequest(Request::new(CallToolRequestParams::new("slow"))),
            PeerRequestOptions::no_options(),
        )
        .await
        .expect("send");
    let token = handle.progress_token.clone();
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let p = tokio::time::timeout(Duration::from_secs(10), h.progress.recv())
            .await
            .expect("progress in time")
            .expect("progress channel open");
        assert_eq!(p.progress_token, token);
        seen.push((p.progress, p.total, p.message));
    }
    assert_eq!(seen[0], (1.0, Some(3.0), Some("step 1".to_owned())));
    assert_eq!(seen[2].0, 3.0);
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(10), h.events.recv())
            .await
            .ok()
            .flatten(),
        Some("progress sent")
    );
    handle
        .cancel(Some("user pressed stop".into()))
        .await
        .expect("cancel");
    let event = tokio::time::timeout(Duration::from_secs(10), h.events.recv())
        .await
        .expect("tool saw the cancellation in time");
    assert_eq!(event, Some("cancelled"));
    h.client.cancel().await.expect("close");
}
