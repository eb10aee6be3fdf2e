//! An MCP server exposing the DataSource tools of any provider.
//!
//! ```text
//! # the bundled sample on the embedded local provider, no credentials:
//! cargo run -p examples --example datasource-mcp-server -- --demo --tour   # scripted tour, then exit
//! cargo run -p examples --example datasource-mcp-server -- --demo          # stdio MCP server
//! cargo run -p examples --example datasource-mcp-server -- --demo --transport http --port 8765
//! # any provider from a config file (see datasource_model::DataSourceConfig):
//! cargo run -p examples --example datasource-mcp-server -- --config datasource.yaml
//! # BigQuery (declared metric-view models; credentials from GOOGLE_APPLICATION_CREDENTIALS):
//! cargo run -p examples --example datasource-mcp-server -- --config bigquery.yaml
//! ```
//!
//! Read-only by default; `--allow-writes` lets `execute_sql` run statements that change data.
//! Logs go to stderr (stdout carries MCP messages only). The server exits cleanly when stdin
//! closes.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Parser;
use datasource_model::{DataSourceConfig, DynDataSource};
use mcp_tools::rmcp_adapter::McpServer;
use mcp_tools::{
    DATASOURCE_TOOLSET, DataSourceToolset, DataSourceToolsetOptions, Registry, ResultLimits,
};
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;

#[path = "common/governance.rs"]
mod governance;
#[path = "common/serve.rs"]
mod serve;
/// The fake Snowflake account of datasource-model's Snowflake tests (wiremock responders).
#[cfg(test)]
#[allow(dead_code, unreachable_pub)]
#[path = "../datasource-model/tests/snowflake/fake.rs"]
mod snowflake_fake;
use serde_json::{Value, json};

/// Serve the DataSource tools over MCP.
#[derive(Debug, Parser)]
#[command(name = "datasource-mcp-server")]
struct Args {
    /// Serve the bundled sample (orders, customers, inventory) on the local provider.
    #[arg(long, conflicts_with = "config")]
    demo: bool,
    /// A DataSource config file (YAML or JSON) for any provider.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print a scripted tour of real tool calls through an in-process MCP client, then exit.
    #[arg(long)]
    tour: bool,
    /// Let execute_sql run statements that change data (off: read-only).
    #[arg(long)]
    allow_writes: bool,
    /// Serve only these models (comma-separated; default: all in scope).
    #[arg(long, value_delimiter = ',')]
    models: Vec<String>,
    /// Serve only these tools (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    tools: Vec<String>,
    /// Prefix every tool name (avoids collisions in aggregators), e.g. `sales_`.
    #[arg(long, default_value = "")]
    prefix: String,
    /// Toolsets to serve: this server has one, `datasource` (`all` is accepted too). The
    /// workspace, bundle and platform toolsets need a Databricks workspace: see
    /// databricks-mcp-server.
    #[arg(long, value_delimiter = ',', default_value = DATASOURCE_TOOLSET)]
    toolsets: Vec<String>,
    /// Rows per result at most.
    #[arg(long, default_value_t = mcp_tools::DEFAULT_MAX_ROWS)]
    max_rows: usize,
    /// Bytes of text per result at most (structured content keeps every returned row).
    #[arg(long, default_value_t = mcp_tools::DEFAULT_MAX_TEXT_BYTES)]
    max_text_bytes: usize,
    /// Bytes of each channel of a tool result at most — text, structured content, error text
    /// (256 KiB by default; at least 4 KiB). Longer values are cut with a
    /// `…[truncated: N more bytes]` marker, the result is marked truncated and says how to get
    /// the rest.
    #[arg(long, default_value_t = mcp_tools::DEFAULT_MAX_OUTPUT_BYTES)]
    max_output_bytes: usize,
    #[command(flatten)]
    governance: governance::GovernanceArgs,
    #[command(flatten)]
    transport: serve::TransportArgs,
}

#[tokio::main]
async fn main() -> Result<()> {
    governance::init_tracing();
    let args = Args::parse();

    let config = match (&args.config, args.demo) {
        (Some(path), _) => DataSourceConfig::from_file(path)
            .with_context(|| format!("reading the DataSource config {}", path.display()))?,
        (None, true) => DataSourceConfig::local_sample(),
        (None, false) => {
            bail!("pass --demo to serve the bundled sample, or --config FILE for another provider")
        }
    };
    let source: Arc<DynDataSource> = config.build().await.context("opening the data source")?;
    let registry = build_registry(&args, Arc::clone(&source))?;

    if args.tour {
        return tour(registry).await;
    }
    let server = McpServer::new(registry, "datasource-mcp-server", env!("CARGO_PKG_VERSION"))
        .with_instructions(
            "Semantic models over a data source. Call list_models, then describe_model, then query_model (structured fields or a question). execute_sql runs one read-only statement.",
        );
    // Ready while the source's connection check passes.
    let readiness: mcp_tools::server::ReadinessCheck = Arc::new(move || {
        let source = Arc::clone(&source);
        Box::pin(async move {
            source
                .test_connection()
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    });
    serve::serve(
        server,
        &args.transport,
        "datasource-mcp-server",
        Some(readiness),
    )
    .await
}

fn build_registry(args: &Args, source: Arc<DynDataSource>) -> Result<Registry> {
    for toolset in &args.toolsets {
        if toolset != DATASOURCE_TOOLSET && toolset != "all" {
            bail!(
                "unknown toolset `{toolset}`; this server serves `{DATASOURCE_TOOLSET}` (the workspace, bundle and platform toolsets are served by databricks-mcp-server)"
            );
        }
    }
    let limits = ResultLimits::new()
        .with_max_rows(args.max_rows)
        .with_max_text_bytes(args.max_text_bytes);
    let options = DataSourceToolsetOptions::new()
        .with_allow_writes(args.allow_writes)
        .with_limits(limits)
        .with_models(args.models.clone());
    let governance = governance::Governance::from_args(&args.governance)?;
    let source = governance.cache(source);
    let mut builder = governance
        .apply(Registry::builder())
        .toolset(Arc::new(DataSourceToolset::new(source, options)))
        .prefix(args.prefix.clone())
        .read_only(!args.allow_writes)
        .max_output_bytes(args.max_output_bytes);
    if !args.tools.is_empty() {
        builder = builder.allow(args.tools.clone());
    }
    Ok(builder.build()?)
}

async fn tour(registry: Registry) -> Result<()> {
    let server = McpServer::new(registry, "datasource-mcp-server", env!("CARGO_PKG_VERSION"));
    let (server_io, client_io) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    let client = ().serve(client_io).await.context("MCP initialize")?;
    let info = client.peer_info().context("server info")?;
    println!(
        "# initialize → {} (protocol {})",
        info.server_info
            .as_ref()
            .map(|i| i.name.as_str())
            .unwrap_or("server"),
        info.protocol_version
    );
    let tools = client.list_all_tools().await?;
    println!("\n# tools/list → {} tools", tools.len());
    for t in &tools {
        let read_only = t
            .annotations
            .as_ref()
            .and_then(|a| a.read_only_hint)
            .unwrap_or(false);
        println!(
            "  {:<22} {}{}",
            t.name,
            if read_only { "[read-only] " } else { "" },
            t.description.as_deref().unwrap_or("")
        );
    }

    let call = |name: &'static str, args: Value| {
        let client = &client;
        async move {
            println!("\n# tools/call {name} {args}");
            let params = match args {
                Value::Object(map) => CallToolRequestParams::new(name).with_arguments(map),
                _ => CallToolRequestParams::new(name),
            };
            let result = client.call_tool(params).await?;
            let text = result
                .content
                .iter()
                .filter_map(|c| c.as_text().map(|t| t.text.clone()))
                .collect::<Vec<_>>()
                .join("\n");
            let marker = if result.is_error == Some(true) {
                "isError ← "
            } else {
                "← "
            };
            for (i, line) in text.lines().enumerate() {
                println!("  {}{line}", if i == 0 { marker } else { "  " });
            }
            anyhow::Ok(result.structured_content)
        }
    };

    let models = call("list_models", json!({})).await?;
    let first = models
        .as_ref()
        .and_then(|m| m["models"][0]["name"].as_str())
        .context("the sample has no models")?
        .to_owned();
    let described = call("describe_model", json!({ "model_name": first })).await?;
    let metric = described
        .as_ref()
        .and_then(|d| d["metrics"][0]["name"].as_str())
        .map(str::to_owned);
    let dimension = described.as_ref().and_then(|d| {
        d["dimensions"].as_array().and_then(|dims| {
            dims.iter()
                .find(|x| x["is_time"] != json!(true))
                .and_then(|x| x["name"].as_str())
                .map(str::to_owned)
        })
    });
    if let (Some(metric), Some(dimension)) = (metric, dimension) {
        call(
            "query_model",
            json!({
                "model_name": first,
                "metrics": [metric],
                "dimensions": [dimension],
                "order": [{"member": metric, "direction": "desc"}],
                "limit": 3
            }),
        )
        .await?;
    }
    call("execute_sql", json!({ "sql": "SELECT 1 + 1 AS two" })).await?;
    call(
        "execute_sql",
        json!({ "sql": "WITH gone AS (DELETE FROM orders) SELECT 1" }),
    )
    .await?;
    call("describe_model", json!({ "model_name": "no_such_model" })).await?;
    println!(
        "\nThat was a real MCP session. Serve it to a client with: --demo (stdio) or --demo --transport http"
    );
    client.cancel().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};

    /// `--max-output-bytes` reaches the registry, and bounds an error that echoes a 10 MB
    /// argument.
    #[tokio::test]
    async fn max_output_bytes_bounds_every_result() -> Result<()> {
        let source = DataSourceConfig::local_sample().build().await?;
        let default = Args::try_parse_from(["datasource-mcp-server", "--demo"])?;
        let registry = build_registry(&default, Arc::clone(&source))?;
        assert_eq!(
            registry.max_output_bytes(),
            mcp_tools::DEFAULT_MAX_OUTPUT_BYTES
        );
        let args = Args::try_parse_from([
            "datasource-mcp-server",
            "--demo",
            "--max-output-bytes",
            "8192",
        ])?;
        let registry = build_registry(&args, source)?;
        assert_eq!(registry.max_output_bytes(), 8192);
        let huge = "m".repeat(10 << 20);
        for (tool, arguments) in [
            ("describe_model", json!({ "model_name": huge })),
            ("execute_sql", json!({ "sql": format!("SELECT '{huge}'") })),
        ] {
            let out = match registry
                .call(tool, arguments, mcp_tools::ToolContext::new())
                .await
            {
                Ok(out) => out,
                Err(e) => e.into_output().map_err(anyhow::Error::from)?,
            };
            assert!(out.text.len() <= 8192, "{tool}: {} bytes", out.text.len());
            assert!(out.text.contains("…[truncated: "), "{tool}: {}", out.text);
        }
        Ok(())
    }

    /// `datasource-mcp-server --config snowflake.yaml` serves the DataSource tools against a
    /// mock Snowflake account (SQL API v2 and Cortex Analyst shapes).
    #[tokio::test]
    async fn serves_the_tools_from_a_snowflake_config() -> Result<()> {
        let server = wiremock::MockServer::start().await;
        snowflake_fake::FakeSnowflake::mount(&server).await;
        let handle = snowflake_fake::HANDLE;
        Mock::given(method("GET"))
            .and(path(format!("/api/v2/statements/{handle}")))
            .respond_with(ResponseTemplate::new(202).set_body_json(
                json!({"code": "333334", "message": "Asynchronous execution in progress.", "statementHandle": handle}),
            ))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path(format!("/api/v2/statements/{handle}/cancel")))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"message": "successfully canceled", "statementHandle": handle}),
            ))
            .expect(1)
            .mount(&server)
            .await;
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("snowflake.yaml");
        std::fs::write(
            &file,
            format!(
                "provider: snowflake\nsnowflake:\n  host: {}\n  warehouse: WH\n  database: SALES\n  schema: PUBLIC\n  auth: {{type: pat, token: test-token}}\n",
                server.uri()
            ),
        )?;
        let file_arg = file.to_string_lossy().into_owned();
        let args = Args::try_parse_from(["datasource-mcp-server", "--config", file_arg.as_str()])?;
        let config = DataSourceConfig::from_file(args.config.as_ref().context("config")?)?;
        let source = config.build().await?;
        let registry = build_registry(&args, source)?;
        let mcp = McpServer::new(registry, "datasource-mcp-server", "test");
        let (server_io, client_io) = tokio::io::duplex(1 << 20);
        tokio::spawn(async move {
            if let Ok(running) = mcp.serve(server_io).await {
                let _ = running.waiting().await;
            }
        });
        let client = ().serve(client_io).await?;
        let names: Vec<String> = client
            .list_all_tools()
            .await?
            .iter()
            .map(|t| t.name.to_string())
            .collect();
        let six = [
            "list_models",
            "describe_model",
            "query_model",
            "execute_sql",
            "get_statement",
            "cancel_statement",
        ];
        for t in six {
            assert!(names.iter().any(|n| n == t), "{t} missing from {names:?}");
        }
        let call = |name: &'static str, args: Value| {
            let client = &client;
            async move {
                let params = match args {
                    Value::Object(map) => CallToolRequestParams::new(name).with_arguments(map),
                    _ => CallToolRequestParams::new(name),
                };
                let result = client.call_tool(params).await?;
                let text: String = result
                    .content
                    .iter()
                    .filter_map(|c| c.as_text().map(|t| t.text.clone()))
                    .collect();
                anyhow::ensure!(result.is_error != Some(true), "{name} failed: {text}");
                anyhow::Ok((result.structured_content.unwrap_or_default(), text))
            }
        };
        let (models, _) = call("list_models", json!({})).await?;
        assert_eq!(models["models"][0]["name"], "SALES.PUBLIC.REVENUE_METRICS");
        let (described, _) = call(
            "describe_model",
            json!({"model_name": "SALES.PUBLIC.REVENUE_METRICS"}),
        )
        .await?;
        assert!(
            described.to_string().contains("total_revenue"),
            "{described}"
        );
        let (_, text) = call(
            "query_model",
            json!({
                "model_name": "SALES.PUBLIC.REVENUE_METRICS",
                "metrics": ["total_revenue"],
                "dimensions": ["region"],
                "limit": 2
            }),
        )
        .await?;
        assert!(text.contains("EMEA") && text.contains("300.50"), "{text}");
        let (_, text) = call(
            "execute_sql",
            json!({"sql": "SELECT REGION, COUNTRY FROM SALES.PUBLIC.CUSTOMERS ORDER BY CUSTOMER_ID"}),
        )
        .await?;
        assert!(
            text.contains("JP"),
            "all three rows across two partitions: {text}"
        );
        let (_, text) = call("get_statement", json!({"statement_id": handle})).await?;
        assert!(text.to_lowercase().contains("running"), "{text}");
        call("cancel_statement", json!({"statement_id": handle})).await?;
        Ok(())
    }
}

/// `--config bigquery.yaml` against a mock BigQuery.
#[cfg(test)]
mod bigquery_tests {
    use super::*;
    use wiremock::matchers::{method, path, path_regex};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const MODEL: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../datasource-model/data/sample/models/revenue_metrics.yaml"
    );

    fn field(name: &str, t: &str) -> Value {
        json!({"name": name, "type": t, "mode": "NULLABLE"})
    }

    /// A BigQuery answering in the REST API's shapes: table schemas and one query result.
    async fn mock_bigquery() -> MockServer {
        let server = MockServer::start().await;
        for (table, fields) in [
            (
                "orders",
                vec![
                    field("order_date", "DATE"),
                    field("channel", "STRING"),
                    field("amount", "NUMERIC"),
                    field("status", "STRING"),
                ],
            ),
            (
                "customers",
                vec![field("region", "STRING"), field("country", "STRING")],
            ),
        ] {
            Mock::given(method("GET"))
                .and(path(format!("/projects/p1/datasets/sales/tables/{table}")))
                .respond_with(
                    ResponseTemplate::new(200).set_body_json(
                        json!({"kind": "bigquery#table", "schema": {"fields": fields}}),
                    ),
                )
                .mount(&server)
                .await;
        }
        Mock::given(method("POST"))
            .and(path("/projects/p1/queries"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "kind": "bigquery#queryResponse", "jobComplete": true,
                "jobReference": {"projectId": "p1", "jobId": "job_1", "location": "US"},
                "schema": {"fields": [field("region", "STRING"), field("total_revenue", "NUMERIC")]},
                "rows": [{"f": [{"v": "EMEA"}, {"v": "12345678901234567890.12"}]}, {"f": [{"v": "AMER"}, {"v": "1.50"}]}],
                "totalRows": "2", "totalBytesProcessed": "1024"
            })))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path_regex(r"^/projects/p1/queries/job_1$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"jobComplete": true})))
            .mount(&server)
            .await;
        server
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn config_bigquery_yaml_serves_the_six_tools() -> Result<()> {
        let server = mock_bigquery().await;
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("bigquery.yaml");
        std::fs::write(
            &file,
            format!(
                "provider: bigquery\nbigquery:\n  project_id: p1\n  dataset: sales\n  location: US\n  endpoint: {}\n  maximum_bytes_billed: 10000000000\n  auth: {{type: access_token, token: ya29.test}}\n  models:\n    - path: {MODEL}\n",
                server.uri()
            ),
        )?;
        let args = Args::try_parse_from([
            "datasource-mcp-server".as_ref(),
            "--config".as_ref(),
            file.as_os_str(),
        ])?;
        let path = args.config.clone().context("--config")?;
        let source = DataSourceConfig::from_file(&path)?.build().await?;
        assert_eq!(source.to_string(), "BigQuery(p1.sales)");
        let registry = build_registry(&args, source)?;
        let server = McpServer::new(registry, "datasource-mcp-server", "test");
        let (server_io, client_io) = tokio::io::duplex(1 << 20);
        tokio::spawn(async move {
            if let Ok(running) = server.serve(server_io).await {
                let _ = running.waiting().await;
            }
        });
        let client = ().serve(client_io).await?;
        let names: Vec<String> = client
            .list_all_tools()
            .await?
            .into_iter()
            .map(|t| t.name.to_string())
            .collect();
        let calls = [
            ("list_models", json!({})),
            ("describe_model", json!({"model_name": "revenue_metrics"})),
            (
                "get_model_metrics",
                json!({"model_name": "revenue_metrics"}),
            ),
            (
                "get_model_dimensions",
                json!({"model_name": "revenue_metrics"}),
            ),
            (
                "query_model",
                json!({"model_name": "revenue_metrics", "metrics": ["total_revenue"], "dimensions": ["region"]}),
            ),
            (
                "execute_sql",
                json!({"sql": "SELECT region FROM customers"}),
            ),
        ];
        for (name, arguments) in calls {
            assert!(names.iter().any(|n| n == name), "{name} not in {names:?}");
            let Value::Object(map) = arguments else {
                bail!("arguments must be an object");
            };
            let result = client
                .call_tool(CallToolRequestParams::new(name).with_arguments(map))
                .await?;
            let text: String = result
                .content
                .iter()
                .filter_map(|c| c.as_text().map(|t| t.text.clone()))
                .collect();
            assert_ne!(result.is_error, Some(true), "{name}: {text}");
            if name == "query_model" {
                assert!(text.contains("12345678901234567890.12"), "{text}");
            }
            if name == "describe_model" {
                assert!(text.contains("total_revenue"), "{text}");
            }
        }
        client.cancel().await?;
        Ok(())
    }
}

/// The stdio path of this server (`serve::serve_lines`, what `--transport stdio` runs on
/// stdin/stdout) over an in-process pipe, fed raw bytes: every malformed line is answered.
#[cfg(test)]
mod stdio_framing {
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    #[tokio::test]
    async fn malformed_lines_get_json_rpc_errors_and_the_session_goes_on() -> Result<()> {
        let args = Args::try_parse_from(["datasource-mcp-server", "--demo"])?;
        let source = DataSourceConfig::local_sample().build().await?;
        let server = McpServer::new(build_registry(&args, source)?, "datasource-mcp-server", "t");
        let (server_io, client_io) = tokio::io::duplex(1 << 16);
        let (sr, sw) = tokio::io::split(server_io);
        let served = tokio::spawn(mcp_tools::server::serve_lines(server, sr, sw));
        let (cr, mut cw) = tokio::io::split(client_io);
        let mut lines = BufReader::new(cr).lines();
        let mut next = async || -> Result<Value> {
            let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
                .await
                .context("no answer within 10 s")??
                .context("the server closed stdout")?;
            Ok(serde_json::from_str(&line)?)
        };

        cw.write_all(
            b"{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"0\"}}}\n{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n",
        )
        .await?;
        assert_eq!(next().await?["id"], 0);

        let deep = format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{{\"name\":\"list_models\",\"arguments\":{{\"search\":{}0{}}}}}}}",
            "[".repeat(20_000),
            "]".repeat(20_000)
        );
        let cases: Vec<(&str, Vec<u8>, i64)> = vec![
            ("not JSON", b"this is not json".to_vec(), -32700),
            (
                "truncated",
                b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"".to_vec(),
                -32700,
            ),
            (
                "invalid UTF-8",
                b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/\xc0\xaf\"}".to_vec(),
                -32700,
            ),
            ("nested 20,000 deep", deep.into_bytes(), -32700),
            ("an array", b"[1,2,3]".to_vec(), -32600),
            ("a number", b"7".to_vec(), -32600),
            ("a string", b"\"tools/list\"".to_vec(), -32600),
        ];
        for (i, (name, line, code)) in cases.into_iter().enumerate() {
            cw.write_all(&line).await?;
            cw.write_all(b"\n\n").await?; // the blank line after it gets no answer
            let id = 10 + i;
            cw.write_all(
                format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"tools/call\",\"params\":{{\"name\":\"list_models\",\"arguments\":{{}}}}}}\n")
                    .as_bytes(),
            )
            .await?;
            let answers = [next().await?, next().await?];
            let error = answers
                .iter()
                .find(|a| a.get("error").is_some())
                .with_context(|| format!("{name}: no error answer in {answers:?}"))?;
            assert_eq!(error["error"]["code"], code, "{name}: {error}");
            assert!(
                error
                    .as_object()
                    .is_some_and(|o| o.get("id") == Some(&Value::Null)),
                "{name}: {error}"
            );
            let listed = answers
                .iter()
                .find(|a| a["id"] == id)
                .with_context(|| format!("{name}: list_models after it got no answer"))?;
            assert_ne!(listed["result"]["isError"], true, "{name}: {listed}");
            assert!(
                listed["result"]["structuredContent"]["count"].as_u64() > Some(0),
                "{name}: {listed}"
            );
        }
        // EOF on stdin ends the server cleanly.
        cw.shutdown().await?;
        tokio::time::timeout(Duration::from_secs(10), served).await???;
        Ok(())
    }
}

/// The transport and authentication flags map onto `mcp_tools::server`'s settings.
#[cfg(test)]
mod transport_flags {
    use super::*;

    #[tokio::test]
    async fn public_binds_need_auth_and_key_files_are_read() -> Result<()> {
        let server =
            || -> Result<McpServer> { Ok(McpServer::new(Registry::builder().build()?, "t", "t")) };
        let public = Args::try_parse_from([
            "datasource-mcp-server",
            "--demo",
            "--transport=http",
            "--host=0.0.0.0",
            "--port=0",
            "--allowed-host=mcp.example.com",
        ])?;
        let Err(e) =
            mcp_tools::server::HttpServer::bind(server()?, public.transport.http_config()?).await
        else {
            bail!("a public bind without authentication was accepted");
        };
        assert!(e.to_string().contains("without authentication"), "{e}");

        let dir = tempfile::tempdir()?;
        let keys = dir.path().join("keys");
        std::fs::write(&keys, "# keys\nci:0123456789abcdef0123\n")?;
        let keyed = Args::try_parse_from([
            "datasource-mcp-server",
            "--demo",
            "--transport=http",
            "--host=0.0.0.0",
            "--port=0",
            "--allowed-host=mcp.example.com",
            "--stateless",
            &format!("--api-key-file={}", keys.display()),
        ])?;
        let config = keyed.transport.http_config()?;
        assert!(format!("{config:?}").contains("ApiKeys"), "{config:?}");
        assert!(!format!("{config:?}").contains("0123456789abcdef0123"));
        mcp_tools::server::HttpServer::bind(server()?, config).await?;

        let oauth = Args::try_parse_from([
            "datasource-mcp-server",
            "--demo",
            "--transport=http",
            "--oauth-issuer=https://login.example.com",
            "--oauth-audience=https://mcp.example.com/mcp",
            "--required-scope=mcp:tools",
        ])?;
        assert!(format!("{:?}", oauth.transport.http_config()?).contains("OAuth"));
        // An audience that is not a URL is refused with the flag's name.
        let bad = Args::try_parse_from([
            "datasource-mcp-server",
            "--demo",
            "--oauth-issuer=https://login.example.com",
            "--oauth-audience=mcp",
        ])?;
        let Err(e) = bad.transport.http_config() else {
            bail!("a relative audience was accepted");
        };
        assert!(format!("{e:#}").contains("--oauth-audience"), "{e:#}");
        Ok(())
    }
}
