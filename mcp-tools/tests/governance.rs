//! Governance through the registry: audit lines (fields, file mode, a secret canary), quotas
//! (rate-limit and statement-cap refusal and recovery) and Prometheus metrics of a scripted
//! session, parsed with a real exposition parser.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use datasource_model::{CachedSource, DynDataSource, LocalSource};
use mcp_tools::{
    AuditLog, DataSourceToolset, DataSourceToolsetOptions, FnTool, Metrics, Principal, Quotas,
    Registry, ToolContext, ToolOutput, ToolSpec, WorkspaceToolset, WorkspaceToolsetOptions,
};
use serde_json::{Value, json};
use tokio::sync::{Notify, Semaphore};
use tracing_subscriber::layer::SubscriberExt;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CANARY: &str = "dapi-CANARY-7f3a9c21e5";
const CONFIG_CANARY: &str = "sf-pass-CANARY-991";

/// Arguments of the test tools.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct TextArgs {
    /// Any text.
    text: String,
    /// Optional credential-looking argument.
    #[serde(default)]
    #[allow(dead_code)]
    token: Option<String>,
}

/// Result of the test tools.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Rows {
    /// Echoed text.
    text: String,
    /// Number of rows.
    row_count: u64,
    /// A statement id.
    statement_id: String,
}

/// `echo`: returns the text with 3 rows and statement `st-9`; `fail` in the text makes it an
/// `isError` result quoting the text.
fn echo() -> mcp_tools::DynTool {
    FnTool::new(
        ToolSpec::new::<TextArgs, Rows>("echo", "Echo."),
        |a: TextArgs, _ctx: ToolContext| async move {
            if a.text.contains("fail") {
                return Ok(ToolOutput::error(format!("failed on {}", a.text)));
            }
            ToolOutput::structured(
                a.text.clone(),
                &Rows {
                    text: a.text,
                    row_count: 3,
                    statement_id: "st-9".into(),
                },
            )
        },
    )
}

/// `execute_sql` (a statement tool) that signals `started` and waits for a permit of `gate`.
fn gated_statement(started: Arc<Notify>, gate: Arc<Semaphore>) -> mcp_tools::DynTool {
    FnTool::new(
        ToolSpec::new::<TextArgs, Rows>("execute_sql", "Blocks until released."),
        move |a: TextArgs, _ctx: ToolContext| {
            let started = Arc::clone(&started);
            let gate = Arc::clone(&gate);
            async move {
                started.notify_one();
                let _permit = gate
                    .acquire()
                    .await
                    .map_err(|e| mcp_tools::ToolError::internal(format!("gate closed: {e}")))?;
                ToolOutput::structured(
                    "done",
                    &Rows {
                        text: a.text,
                        row_count: 1,
                        statement_id: "st-1".into(),
                    },
                )
            }
        },
    )
}

fn as_(name: &str) -> ToolContext {
    ToolContext::new().with_principal(Principal::new(name, "api_key"))
}

fn lines(audit: &AuditLog) -> Vec<Value> {
    audit
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn audit_lines_carry_the_call_and_never_a_secret() {
    let audit = AuditLog::memory();
    let r = Registry::builder()
        .tool(echo())
        .redact_secret(CANARY)
        .redact_secret(CONFIG_CANARY)
        .audit(audit.clone())
        .build()
        .unwrap();
    let long = "x".repeat(1000);
    let out = r
        .call(
            "echo",
            json!({"text": format!("hello {CANARY} {long}"), "token": CONFIG_CANARY}),
            as_("alice"),
        )
        .await
        .unwrap();
    assert!(!out.is_error);
    let out = r
        .call(
            "echo",
            json!({"text": format!("fail {CANARY}")}),
            ToolContext::new(),
        )
        .await
        .unwrap();
    assert!(out.is_error);
    let err = r
        .call("echo", json!({"txt": CONFIG_CANARY}), as_("bob"))
        .await
        .unwrap_err();
    assert!(matches!(err, mcp_tools::ToolError::InvalidParams { .. }));
    r.call(&format!("nope_{CANARY}"), json!({}), as_("bob"))
        .await
        .unwrap_err();

    let raw = audit.lines();
    assert_eq!(raw.len(), 4, "{raw:#?}");
    for line in &raw {
        assert!(!line.contains(CANARY), "{line}");
        assert!(!line.contains(CONFIG_CANARY), "{line}");
        assert!(!line.contains('\n'));
    }
    let l = lines(&audit);

    let first = &l[0];
    let time = first["time"].as_str().unwrap();
    assert!(
        time.len() >= 20 && time.as_bytes()[10] == b'T' && time.ends_with('Z'),
        "{time}"
    );
    assert_eq!(first["principal"], "alice");
    assert_eq!(first["auth"], "api_key");
    assert_eq!(first["tool"], "echo");
    assert_eq!(first["outcome"], "ok");
    assert_eq!(first["rows"], 3);
    assert_eq!(first["statement_id"], "st-9");
    assert!(first["bytes"].as_u64().unwrap() > 0);
    assert!(first["duration_ms"].is_u64());
    assert_eq!(first["arguments"]["token"], "[REDACTED]");
    assert_eq!(
        first["arguments"]["text"],
        format!("…[elided: {} bytes]", 6 + CANARY.len() + 1 + 1000)
    );
    assert!(first.get("error").is_none());

    let second = &l[1];
    assert_eq!(second["principal"], "anonymous");
    assert_eq!(second["auth"], "none");
    assert_eq!(second["outcome"], "error");
    assert_eq!(second["arguments"]["text"], "fail [REDACTED]");
    assert_eq!(second["error"], "failed on fail [REDACTED]");

    assert_eq!(l[2]["outcome"], "invalid_params");
    assert_eq!(l[2]["arguments"]["txt"], "[REDACTED]");
    assert!(l[2]["error"].as_str().unwrap().contains("text"), "{}", l[2]);
    assert_eq!(l[3]["outcome"], "unknown_tool");
    assert_eq!(l[3]["tool"], "nope_[REDACTED]");
}

#[tokio::test]
async fn the_audit_file_is_private_and_appended() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.jsonl");
    for principal in ["alice", "bob"] {
        let r = Registry::builder()
            .tool(echo())
            .audit(AuditLog::from_target(file.to_str().unwrap()).unwrap())
            .build()
            .unwrap();
        r.call("echo", json!({"text": "hi"}), as_(principal))
            .await
            .unwrap();
    }
    let text = std::fs::read_to_string(&file).unwrap();
    let principals: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["principal"].to_string())
        .collect();
    assert_eq!(principals, ["\"alice\"", "\"bob\""]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let missing = AuditLog::file(dir.path().join("no/such/dir/audit.jsonl")).unwrap_err();
    assert!(
        missing.to_string().contains("use `-` for stderr"),
        "{missing}"
    );
}

/// The seconds a refusal asks to wait (`Retry in 1.3 s.`).
fn retry_after(out: &ToolOutput) -> Duration {
    let secs = out
        .text
        .split("Retry in ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no retry time in {:?}", out.text));
    Duration::from_secs_f64(secs)
}

#[tokio::test]
async fn the_rate_limit_refuses_per_principal_and_recovers() {
    let audit = AuditLog::memory();
    let metrics = Metrics::new();
    // 600 calls a minute is one every 100 ms; bursts of 2.
    let r = Registry::builder()
        .tool(echo())
        .quotas(
            Quotas::builder()
                .rate_limit_per_minute(600)
                .burst(2)
                .build(),
        )
        .audit(audit.clone())
        .metrics(metrics.clone())
        .build()
        .unwrap();
    let call = |who: &'static str| {
        let r = r.clone();
        async move {
            r.call("echo", json!({"text": "hi"}), as_(who))
                .await
                .unwrap()
        }
    };
    assert!(!call("alice").await.is_error);
    assert!(!call("alice").await.is_error);
    let refused = call("alice").await;
    assert!(refused.is_error);
    assert!(
        refused
            .text
            .contains("rate limit of 600 tool calls per minute"),
        "{}",
        refused.text
    );
    assert!(refused.text.contains("`alice`"), "{}", refused.text);
    let wait = retry_after(&refused);
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_millis(200),
        "{wait:?}"
    );
    // Another principal has its own budget.
    assert!(!call("bob").await.is_error);
    // After the stated wait, the call goes through.
    tokio::time::sleep(wait).await;
    assert!(!call("alice").await.is_error);

    let outcomes: Vec<String> = lines(&audit)
        .iter()
        .map(|l| l["outcome"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(outcomes, ["ok", "ok", "rate_limited", "ok", "ok"]);
    let text = metrics.render();
    assert!(
        text.contains("mcp_quota_refusals_total{reason=\"rate_limited\"} 1"),
        "{text}"
    );
}

#[tokio::test]
async fn the_statement_cap_refuses_and_recovers() {
    let started = Arc::new(Notify::new());
    let gate = Arc::new(Semaphore::new(0));
    let quotas = Quotas::builder().max_concurrent_statements(1).build();
    assert!(quotas.is_statement_tool("execute_sql"));
    let r = Registry::builder()
        .tool(gated_statement(Arc::clone(&started), Arc::clone(&gate)))
        .tool(echo())
        .prefix("sales_")
        .quotas(quotas)
        .build()
        .unwrap();
    let running = tokio::spawn({
        let r = r.clone();
        async move {
            r.call("sales_execute_sql", json!({"text": "a"}), as_("alice"))
                .await
        }
    });
    started.notified().await;
    let refused = r
        .call("sales_execute_sql", json!({"text": "b"}), as_("bob"))
        .await
        .unwrap();
    assert!(refused.is_error);
    assert!(
        refused.text.contains("1 statements are already running") && refused.text.contains("Retry"),
        "{}",
        refused.text
    );
    // Tools that are not statements still run.
    let echoed = r
        .call("sales_echo", json!({"text": "c"}), as_("bob"))
        .await
        .unwrap();
    assert!(!echoed.is_error);
    gate.add_permits(2);
    assert!(!running.await.unwrap().unwrap().is_error);
    let after = r
        .call("sales_execute_sql", json!({"text": "d"}), as_("bob"))
        .await
        .unwrap();
    assert!(!after.is_error, "{}", after.text);
}

/// Sample values by metric name and label set.
struct Scraped(Vec<prometheus_parse::Sample>);

impl Scraped {
    fn parse(text: &str) -> Self {
        let lines = text.lines().map(|l| Ok(l.to_owned()));
        Self(prometheus_parse::Scrape::parse(lines).unwrap().samples)
    }

    /// The value of a counter sample whose labels include all of `labels` (0 if absent).
    fn counter(&self, metric: &str, labels: &[(&str, &str)]) -> f64 {
        self.0
            .iter()
            .filter(|s| s.metric == metric)
            .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(|s| match &s.value {
                prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Untyped(v) => *v,
                other => panic!("{metric} is not a counter: {other:?}"),
            })
            .sum()
    }

    /// The observation count of a parsed histogram (its `+Inf` bucket).
    fn histogram_count(&self, metric: &str, labels: &[(&str, &str)]) -> f64 {
        self.0
            .iter()
            .filter(|s| s.metric == metric)
            .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .filter_map(|s| match &s.value {
                prometheus_parse::Value::Histogram(buckets) => {
                    buckets.iter().map(|b| b.count).reduce(f64::max)
                }
                _ => None,
            })
            .sum()
    }
}

#[tokio::test]
async fn metrics_of_a_scripted_session() {
    let metrics = Metrics::new();
    let subscriber = tracing_subscriber::registry().with(metrics.tracing_layer());
    let _guard = tracing::subscriber::set_default(subscriber);

    // A cached local source behind the datasource toolset.
    let local: Arc<DynDataSource> = Arc::new(LocalSource::sample().await.unwrap());
    let cached: Arc<DynDataSource> = Arc::new(
        CachedSource::builder(local)
            .observer(Arc::new(metrics.clone()))
            .build(),
    );
    // A workspace whose identity endpoint fails once with 503, then answers.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/preview/scim/v2/Me"))
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_json(json!({"error_code": "TEMPORARILY_UNAVAILABLE", "message": "busy"})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/preview/scim/v2/Me"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "1", "userName": "a@x.io"})),
        )
        .mount(&server)
        .await;
    let client = databricks_client::WorkspaceClient::new(
        databricks_client::Config::builder()
            .host(server.uri())
            .token("dapi-metrics")
            .retry_config(
                databricks_client::RetryConfig::default().with_backoff(
                    databricks_client::BackoffConfig::default()
                        .with_initial(Duration::from_millis(5))
                        .with_jitter(false),
                ),
            )
            .build()
            .unwrap(),
    )
    .unwrap();

    let r = Registry::builder()
        .toolset(Arc::new(DataSourceToolset::new(
            cached,
            DataSourceToolsetOptions::new(),
        )))
        .toolset(Arc::new(WorkspaceToolset::new(
            client,
            WorkspaceToolsetOptions::new(),
        )))
        .allow([
            "list_models",
            "describe_model",
            "query_model",
            "current_user",
        ])
        .quotas(Quotas::builder().rate_limit_per_minute(1).burst(7).build())
        .metrics(metrics.clone())
        .build()
        .unwrap();

    let query = json!({
        "model_name": "revenue_metrics",
        "metrics": ["total_revenue"],
        "dimensions": ["region"],
        "limit": 2
    });
    let mut script: Vec<(&str, Value)> = vec![
        ("list_models", json!({})),
        ("list_models", json!({})),
        ("describe_model", json!({"model_name": "revenue_metrics"})),
        ("query_model", query.clone()),
        ("query_model", query),
        ("describe_model", json!({"model_name": "no_such_model"})),
        ("current_user", json!({})),
    ];
    let mut outcomes = HashMap::new();
    for (tool, args) in script.drain(..) {
        let out = r.call(tool, args, as_("alice")).await.unwrap();
        *outcomes.entry((tool, out.is_error)).or_insert(0) += 1;
    }
    assert_eq!(outcomes[&("describe_model", true)], 1, "{outcomes:?}");
    r.call("no_such_tool", json!({}), as_("alice"))
        .await
        .unwrap_err();
    // The 8th admitted call of alice (burst 7, one more a minute) is refused.
    let refused = r
        .call("list_models", json!({}), as_("alice"))
        .await
        .unwrap();
    assert!(refused.is_error, "{}", refused.text);

    let text = metrics.render();
    let s = Scraped::parse(&text);
    let calls = "mcp_tool_calls_total";
    assert_eq!(
        s.counter(calls, &[("tool", "list_models"), ("outcome", "ok")]),
        2.0,
        "{text}"
    );
    assert_eq!(
        s.counter(
            calls,
            &[("tool", "list_models"), ("outcome", "rate_limited")]
        ),
        1.0
    );
    assert_eq!(
        s.counter(calls, &[("tool", "describe_model"), ("outcome", "ok")]),
        1.0
    );
    assert_eq!(
        s.counter(calls, &[("tool", "describe_model"), ("outcome", "error")]),
        1.0
    );
    assert_eq!(
        s.counter(calls, &[("tool", "query_model"), ("outcome", "ok")]),
        2.0
    );
    assert_eq!(
        s.counter(calls, &[("tool", "current_user"), ("outcome", "ok")]),
        1.0
    );
    assert_eq!(
        s.counter(calls, &[("tool", "unknown"), ("outcome", "unknown_tool")]),
        1.0
    );
    assert_eq!(s.counter(calls, &[]), 9.0);
    assert_eq!(
        s.histogram_count("mcp_tool_call_duration_seconds", &[("tool", "query_model")]),
        2.0,
        "{text}"
    );
    assert_eq!(
        s.counter("mcp_tool_result_rows_total", &[("tool", "query_model")]),
        4.0,
        "{text}"
    );
    assert!(s.counter("mcp_tool_result_bytes_total", &[("tool", "query_model")]) > 0.0);
    assert_eq!(
        s.counter("mcp_quota_refusals_total", &[("reason", "rate_limited")]),
        1.0
    );
    assert_eq!(
        s.counter("databricks_http_requests_total", &[("status", "503")]),
        1.0,
        "{text}"
    );
    assert_eq!(
        s.counter("databricks_http_requests_total", &[("status", "200")]),
        1.0
    );
    assert_eq!(s.counter("databricks_http_retries_total", &[]), 1.0);
    let lookups = "datasource_cache_lookups_total";
    assert_eq!(
        s.counter(lookups, &[("operation", "list_models"), ("result", "miss")]),
        1.0
    );
    assert_eq!(
        s.counter(lookups, &[("operation", "list_models"), ("result", "hit")]),
        1.0
    );
    // describe (miss), two queries (hits), the unknown model (miss, not cached).
    assert_eq!(
        s.counter(
            lookups,
            &[("operation", "describe_model"), ("result", "miss")]
        ),
        2.0,
        "{text}"
    );
    assert_eq!(
        s.counter(
            lookups,
            &[("operation", "describe_model"), ("result", "hit")]
        ),
        2.0
    );
    assert!(!text.contains("dapi-metrics"));
    assert_eq!((metrics.renderer())(), metrics.render());
}

#[tokio::test]
async fn a_dropped_call_is_audited_as_cancelled_and_frees_its_slot() {
    let audit = AuditLog::memory();
    let metrics = Metrics::new();
    let gate = Arc::new(Semaphore::new(0));
    let r = Registry::builder()
        .tool(gated_statement(Arc::new(Notify::new()), Arc::clone(&gate)))
        .quotas(Quotas::builder().max_concurrent_statements(1).build())
        .audit(audit.clone())
        .metrics(metrics.clone())
        .build()
        .unwrap();
    let call = r.call("execute_sql", json!({"text": "slow"}), as_("alice"));
    // The client goes away before the statement finishes: the future is dropped.
    let timed_out = tokio::time::timeout(Duration::from_millis(50), call).await;
    assert!(timed_out.is_err());
    let l = lines(&audit);
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!(l[0]["outcome"], "cancelled");
    assert_eq!(l[0]["principal"], "alice");
    assert_eq!(l[0]["arguments"]["text"], "slow");
    assert!(l[0]["duration_ms"].as_u64().unwrap() >= 40, "{}", l[0]);
    let s = Scraped::parse(&metrics.render());
    assert_eq!(
        s.counter(
            "mcp_tool_calls_total",
            &[("tool", "execute_sql"), ("outcome", "cancelled")]
        ),
        1.0
    );
    // The statement slot was released with the dropped call.
    gate.add_permits(1);
    let out = r
        .call("execute_sql", json!({"text": "next"}), as_("bob"))
        .await
        .unwrap();
    assert!(!out.is_error, "{}", out.text);
    assert_eq!(lines(&audit)[1]["outcome"], "ok");
}

/// Identity pass-through: the caller's token on the context never reaches the audit line, the
/// context's `Debug`, or (echoed by a tool) the output.
#[tokio::test]
async fn a_pass_through_caller_token_is_never_audited() {
    const CALLER: &str = "caller-jwt-CANARY-5e1d";
    let audit = AuditLog::memory();
    let r = Registry::builder()
        .tool(echo())
        .audit(audit.clone())
        .build()
        .unwrap();
    let ctx = as_("carol").with_caller_token(mcp_tools::CallerToken::new(
        CALLER.to_owned().into(),
        Some(std::time::SystemTime::now() + std::time::Duration::from_secs(600)),
    ));
    let debug = format!("{ctx:?}");
    assert!(!debug.contains(CALLER), "{debug}");
    assert!(debug.contains("caller_token: true"), "{debug}");
    let out = r.call("echo", json!({"text": "hello"}), ctx).await.unwrap();
    assert!(!out.is_error);
    let raw = audit.lines();
    assert_eq!(raw.len(), 1, "{raw:#?}");
    assert!(!raw[0].contains(CALLER), "{}", raw[0]);
    assert_eq!(lines(&audit)[0]["principal"], "carol");
}
