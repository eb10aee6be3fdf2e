//! The DataSource toolset against a scripted source: schemas, shaping, errors, secrets.

use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datasource_model::{
    Answer, AskOptions, Capabilities, Column, ConnectionReport, DataSource, DataType, Dimension,
    DynDataSource, Error, Metric, ModelDescription, ModelScope, ModelSummary, Provider,
    QueryOptions, QueryResult, Result, SemanticQuery, SqlRequest, StatementState, StatementStatus,
};
use mcp_tools::{
    DataSourceToolset, DataSourceToolsetOptions, Registry, ResultLimits, ToolContext, ToolError,
    ToolOutput,
};
use serde_json::{Value, json};

const CANARY: &str = "dapi-CANARY-7f3a9c";

/// A scripted source: 250 rows of `revenue` by `region`; records the row caps it was asked for.
#[derive(Debug, Default)]
struct Scripted {
    /// `max_rows` of every query_model/execute_sql call, in order.
    caps: Mutex<Vec<Option<u64>>>,
    /// Every query `query_model` received, in order.
    queries: Mutex<Vec<SemanticQuery>>,
    /// Leak the canary in errors and rows (a misbehaving provider).
    leak: bool,
    /// List models under qualified names (`main.sales.revenue_metrics`), as Databricks does.
    qualified: bool,
}

impl fmt::Display for Scripted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Scripted")
    }
}

const TOTAL_ROWS: usize = 250;

impl Scripted {
    fn rows(&self, offset: u64, cap: Option<u64>) -> QueryResult {
        let offset = offset as usize;
        let cap = cap.map(|c| c as usize).unwrap_or(TOTAL_ROWS);
        let end = (offset + cap).min(TOTAL_ROWS);
        let rows: Vec<Vec<Value>> = (offset..end)
            .map(|i| {
                let region = if self.leak && i == 0 {
                    format!("region-{CANARY}")
                } else {
                    format!("region-{i}")
                };
                vec![json!(region), json!(i * 10)]
            })
            .collect();
        QueryResult::new(
            vec![
                Column::new("region", "STRING"),
                Column::new("revenue", "BIGINT"),
            ],
            rows,
        )
        .with_truncated(end < TOTAL_ROWS)
        .with_query_id("st-1")
    }

    fn model() -> ModelDescription {
        ModelDescription::new("revenue_metrics")
            .with_description("Revenue by region")
            .with_dimension(
                Dimension::new("region", DataType::String).with_description("Sales region"),
            )
            .with_dimension(Dimension::new("order_date", DataType::Date))
            .with_metric(
                Metric::new("total_revenue", DataType::Decimal).with_description("Sum of revenue"),
            )
    }
}

#[async_trait]
impl DataSource for Scripted {
    fn provider(&self) -> Provider {
        Provider::Local
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new()
            .with_semantic_query(true)
            .with_natural_language(true)
            .with_sql(true)
            .with_statement_status(true)
            .with_cancel(true)
    }

    async fn test_connection(&self) -> Result<ConnectionReport> {
        Ok(ConnectionReport::new(Provider::Local))
    }

    async fn list_models(&self, scope: &ModelScope) -> Result<Vec<ModelSummary>> {
        let prefix = if self.qualified { "main.sales." } else { "" };
        let all = vec![
            ModelSummary::new(format!("{prefix}revenue_metrics"))
                .with_description("Revenue by region"),
            ModelSummary::new(format!("{prefix}customer_360")).with_description("Customers"),
        ];
        Ok(all
            .into_iter()
            .filter(|m| {
                scope
                    .search
                    .as_ref()
                    .is_none_or(|s| m.name.contains(s.as_str()))
            })
            .collect())
    }

    async fn describe_model(&self, model: &str) -> Result<ModelDescription> {
        match model {
            "revenue_metrics" | "customer_360" => Ok(Self::model()),
            _ if self.leak => Err(Error::Unauthenticated {
                message: format!("token {CANARY} was rejected"),
            }),
            other => Err(Error::not_found("model", other, "no such metric view")),
        }
    }

    async fn query_model(
        &self,
        query: &SemanticQuery,
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        self.caps
            .lock()
            .map_err(|_| Error::invalid_query("poisoned"))?
            .push(options.max_rows);
        self.queries
            .lock()
            .map_err(|_| Error::invalid_query("poisoned"))?
            .push(query.clone());
        if let Some(bad) = query.metrics.iter().find(|m| *m != "total_revenue") {
            return Err(Error::InvalidQuery {
                message: format!("unknown metric `{bad}`"),
                valid: vec!["total_revenue".into()],
            });
        }
        Ok(self
            .rows(
                query.offset.unwrap_or(0),
                options.max_rows.min(query.limit).or(options.max_rows),
            )
            .with_sql(
                "SELECT region, SUM(revenue) FROM t GROUP BY region",
                Vec::new(),
            ))
    }

    async fn ask(&self, question: &str, options: &AskOptions) -> Result<Answer> {
        Ok(Answer::new()
            .with_text(format!("Answer to: {question}"))
            .with_sql("SELECT 1")
            .with_result(self.rows(0, options.max_rows.map(|m| m.min(2)))))
    }

    async fn execute_sql(
        &self,
        request: &SqlRequest,
        options: &QueryOptions,
    ) -> Result<QueryResult> {
        self.caps
            .lock()
            .map_err(|_| Error::invalid_query("poisoned"))?
            .push(options.max_rows);
        if request.sql.contains("slow_table") {
            return Err(Error::Timeout {
                message: "the statement did not finish within the wait timeout".into(),
                query_id: Some("st-slow".into()),
            });
        }
        if request.sql.contains("broken") {
            return Err(Error::Unavailable {
                provider: "Scripted".into(),
                message: if self.leak {
                    format!("proxy said Authorization: Bearer {CANARY}")
                } else {
                    "503".into()
                },
            });
        }
        Ok(self.rows(0, options.max_rows))
    }

    async fn get_statement(&self, query_id: &str) -> Result<StatementStatus> {
        match query_id {
            "st-slow" => Ok(StatementStatus::new("st-slow", StatementState::Running)),
            "st-1" => Ok(StatementStatus::new("st-1", StatementState::Succeeded)
                .with_result(self.rows(0, Some(5)))),
            other => Err(Error::not_found("statement", other, "expired")),
        }
    }

    async fn cancel(&self, query_id: &str) -> Result<()> {
        if query_id == "st-slow" {
            Ok(())
        } else {
            Err(Error::not_found("statement", query_id, "expired"))
        }
    }
}

fn registry_with(
    source: Arc<Scripted>,
    options: DataSourceToolsetOptions,
    read_only: bool,
) -> Registry {
    let source: Arc<DynDataSource> = source;
    Registry::builder()
        .toolset(Arc::new(DataSourceToolset::new(source, options)))
        .read_only(read_only)
        .build()
        .expect("registry")
}

fn registry(source: Arc<Scripted>) -> Registry {
    registry_with(source, DataSourceToolsetOptions::new(), true)
}

/// Calls a tool; successful structured output is validated against the tool's output schema.
async fn call(r: &Registry, name: &str, args: Value) -> std::result::Result<ToolOutput, ToolError> {
    let out = r.call(name, args, ToolContext::new()).await?;
    if !out.is_error {
        let schema = Value::Object(
            r.get(name)
                .and_then(|s| s.output_schema())
                .cloned()
                .unwrap_or_default(),
        );
        let validator = jsonschema::validator_for(&schema).expect("output schema compiles");
        let structured = out.structured.clone().unwrap_or(Value::Null);
        let errors: Vec<String> = validator
            .iter_errors(&structured)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{name}: output does not match its schema: {errors:?}\n{structured}"
        );
    }
    Ok(out)
}

async fn ok(r: &Registry, name: &str, args: Value) -> ToolOutput {
    let out = call(r, name, args.clone()).await.expect("tool ran");
    assert!(!out.is_error, "{name} {args}: {}", out.text);
    out
}

async fn failed(r: &Registry, name: &str, args: Value) -> String {
    let out = match call(r, name, args.clone()).await {
        Ok(out) => out,
        Err(e) => e.into_output().expect("not a protocol error"),
    };
    assert!(out.is_error, "{name} {args} should fail: {}", out.text);
    out.text
}

#[test]
fn every_tool_has_schemas_and_annotations() {
    for writes in [false, true] {
        let source: Arc<DynDataSource> = Arc::new(Scripted::default());
        let r = Registry::builder()
            .toolset(Arc::new(DataSourceToolset::new(
                source,
                DataSourceToolsetOptions::new().with_allow_writes(writes),
            )))
            .build()
            .expect("registry");
        let names: Vec<&str> = r.specs().map(|s| s.name()).collect();
        assert_eq!(
            names,
            [
                "list_models",
                "describe_model",
                "get_model_metrics",
                "get_model_dimensions",
                "query_model",
                "execute_sql",
                "get_statement",
                "cancel_statement"
            ]
        );
        for spec in r.specs() {
            let input = Value::Object(spec.input_schema().clone());
            assert_eq!(input["type"], "object", "{}", spec.name());
            jsonschema::validator_for(&input).expect("input schema compiles");
            let output = Value::Object(spec.output_schema().cloned().expect("output schema"));
            assert_eq!(output["type"], "object", "{}", spec.name());
            jsonschema::validator_for(&output).expect("output schema compiles");
            assert!(spec.title().is_some(), "{} has a title", spec.name());
            assert!(!spec.description().is_empty());
            let json = spec.to_json();
            for hint in [
                "readOnlyHint",
                "destructiveHint",
                "idempotentHint",
                "openWorldHint",
            ] {
                assert!(
                    json["annotations"][hint].is_boolean(),
                    "{} {hint}",
                    spec.name()
                );
            }
        }
        let sql = r.get("execute_sql").expect("execute_sql");
        assert_eq!(sql.annotations().read_only_hint, !writes);
        assert_eq!(sql.annotations().destructive_hint, writes);
        assert_eq!(sql.writes_data(), writes);
        // The proposal's parameter names.
        let props = |n: &str| {
            Value::Object(r.get(n).expect(n).input_schema().clone())["properties"].clone()
        };
        assert!(props("describe_model")["model_name"].is_object());
        assert!(props("query_model")["question"].is_object());
        for f in [
            "metrics",
            "dimensions",
            "time_dimensions",
            "filters",
            "order",
            "limit",
        ] {
            assert!(props("query_model")[f].is_object(), "query_model.{f}");
        }
        assert!(props("execute_sql")["sql"].is_object());
    }
}

#[tokio::test]
async fn discovery_tools() {
    let r = registry(Arc::new(Scripted::default()));
    let out = ok(&r, "list_models", json!({})).await;
    assert_eq!(
        out.structured.as_ref().map(|s| s["count"].clone()),
        Some(json!(2))
    );
    assert!(
        out.text.contains("revenue_metrics: Revenue by region"),
        "{}",
        out.text
    );
    let out = ok(&r, "list_models", json!({"search": "customer"})).await;
    assert_eq!(
        out.structured.as_ref().map(|s| s["count"].clone()),
        Some(json!(1))
    );

    let out = ok(
        &r,
        "describe_model",
        json!({"model_name": "revenue_metrics"}),
    )
    .await;
    assert!(out.text.contains("metrics: total_revenue"), "{}", out.text);
    assert!(out.text.contains("order_date (time)"), "{}", out.text);
    let out = ok(
        &r,
        "get_model_metrics",
        json!({"model_name": "revenue_metrics"}),
    )
    .await;
    assert_eq!(
        out.structured
            .as_ref()
            .map(|s| s["metrics"][0]["name"].clone()),
        Some(json!("total_revenue"))
    );
    let out = ok(
        &r,
        "get_model_dimensions",
        json!({"model_name": "revenue_metrics"}),
    )
    .await;
    assert_eq!(
        out.structured
            .as_ref()
            .map(|s| s["dimensions"].as_array().map(Vec::len)),
        Some(Some(2))
    );
}

#[tokio::test]
async fn row_cap_is_pushed_into_the_request_and_truncation_is_explicit() {
    let source = Arc::new(Scripted::default());
    let r = registry_with(
        Arc::clone(&source),
        DataSourceToolsetOptions::new().with_limits(ResultLimits::new().with_max_rows(40)),
        true,
    );
    let out = ok(
        &r,
        "query_model",
        json!({"model_name": "revenue_metrics", "metrics": ["total_revenue"], "dimensions": ["region"]}),
    )
    .await;
    let s = out.structured.clone().expect("structured");
    assert_eq!(s["row_count"], 40);
    assert_eq!(s["truncated"], true);
    assert_eq!(s["more"]["offset"], 40);
    assert!(
        s["more"]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("offset=40")),
        "{s}"
    );
    assert!(out.text.contains("truncated: true"), "{}", out.text);

    // The caller's smaller limit wins; a larger one is capped.
    ok(
        &r,
        "query_model",
        json!({"model_name": "revenue_metrics", "metrics": ["total_revenue"], "limit": 5}),
    )
    .await;
    ok(
        &r,
        "query_model",
        json!({"model_name": "revenue_metrics", "metrics": ["total_revenue"], "limit": 5000}),
    )
    .await;
    // The next page.
    let page = ok(
        &r,
        "query_model",
        json!({"model_name": "revenue_metrics", "metrics": ["total_revenue"], "offset": 240}),
    )
    .await;
    let s = page.structured.expect("structured");
    assert_eq!(s["row_count"], 10);
    assert_eq!(s["truncated"], false);
    assert_eq!(s["rows"][0][0], "region-240");

    let sql = ok(
        &r,
        "execute_sql",
        json!({"sql": "SELECT region, revenue FROM t"}),
    )
    .await;
    let s = sql.structured.expect("structured");
    assert_eq!(s["truncated"], true);
    assert_eq!(s["statement_id"], "st-1");
    assert!(
        s["more"]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("OFFSET 40")),
        "{s}"
    );

    let caps = source.caps.lock().expect("caps").clone();
    assert_eq!(caps, [Some(40), Some(5), Some(40), Some(40), Some(40)]);
}

#[tokio::test]
async fn text_is_byte_capped_but_structured_is_complete() {
    let r = registry_with(
        Arc::new(Scripted::default()),
        DataSourceToolsetOptions::new().with_limits(
            ResultLimits::new()
                .with_max_rows(200)
                .with_max_text_bytes(1024),
        ),
        true,
    );
    let out = ok(&r, "execute_sql", json!({"sql": "SELECT * FROM t"})).await;
    assert!(out.text.len() <= 1024, "{}", out.text.len());
    assert!(
        out.text.contains("structuredContent has all 200"),
        "{}",
        out.text
    );
    assert_eq!(
        out.structured.expect("structured")["rows"]
            .as_array()
            .map(Vec::len),
        Some(200)
    );
}

#[tokio::test]
async fn failures_are_is_error_and_name_the_fix() {
    let r = registry(Arc::new(Scripted::default()));
    let t = failed(&r, "describe_model", json!({"model_name": "nope"})).await;
    assert!(t.contains("list_models"), "{t}");
    let t = failed(
        &r,
        "query_model",
        json!({"model_name": "revenue_metrics", "metrics": ["bogus"]}),
    )
    .await;
    assert!(t.contains("valid names: total_revenue"), "{t}");
    let t = failed(&r, "query_model", json!({"model_name": "revenue_metrics"})).await;
    assert!(t.contains("describe_model"), "{t}");
    let t = failed(
        &r,
        "execute_sql",
        json!({"sql": "SELECT * FROM slow_table"}),
    )
    .await;
    assert!(t.contains("get_statement with statement_id=st-slow"), "{t}");
    let t = failed(&r, "execute_sql", json!({"sql": "SELECT * FROM broken"})).await;
    assert!(t.contains("retry"), "{t}");
    let t = failed(&r, "execute_sql", json!({"sql": "DELETE FROM t"})).await;
    assert!(t.contains("--allow-writes"), "{t}");
    let t = failed(
        &r,
        "execute_sql",
        json!({"sql": "WITH x AS (INSERT INTO t VALUES (1)) SELECT 1"}),
    )
    .await;
    assert!(t.contains("read-only"), "{t}");
    let t = failed(&r, "execute_sql", json!({"sql": "SELECT 1; SELECT 2"})).await;
    assert!(t.contains("exactly one statement"), "{t}");
    let t = failed(&r, "get_statement", json!({"statement_id": "gone"})).await;
    assert!(t.contains("run the query again"), "{t}");
    // Bad argument shapes are InvalidParams (an isError result once adapted).
    let e = r
        .call("describe_model", json!({"model": "x"}), ToolContext::new())
        .await
        .expect_err("bad args");
    assert!(matches!(e, ToolError::InvalidParams { .. }), "{e:?}");
    assert!(e.to_string().contains("model_name"), "{e}");
}

#[tokio::test]
async fn statements_can_be_polled_and_cancelled() {
    let r = registry(Arc::new(Scripted::default()));
    let out = ok(&r, "get_statement", json!({"statement_id": "st-slow"})).await;
    assert_eq!(
        out.structured.as_ref().map(|s| s["state"].clone()),
        Some(json!("running"))
    );
    assert!(out.text.contains("call get_statement"), "{}", out.text);
    let out = ok(&r, "get_statement", json!({"statement_id": "st-1"})).await;
    assert_eq!(
        out.structured
            .as_ref()
            .map(|s| s["result"]["row_count"].clone()),
        Some(json!(5))
    );
    let out = ok(&r, "cancel_statement", json!({"statement_id": "st-slow"})).await;
    assert_eq!(
        out.structured
            .as_ref()
            .map(|s| s["cancel_requested"].clone()),
        Some(json!(true))
    );
}

#[tokio::test]
async fn question_goes_to_ask() {
    let r = registry(Arc::new(Scripted::default()));
    let out = ok(
        &r,
        "query_model",
        json!({"model_name": "revenue_metrics", "question": "top regions?"}),
    )
    .await;
    assert!(
        out.text.starts_with("Answer to: top regions?"),
        "{}",
        out.text
    );
    let s = out.structured.expect("structured");
    assert_eq!(s["answer"], "Answer to: top regions?");
    assert_eq!(s["row_count"], 2);
    let t = failed(
        &r,
        "query_model",
        json!({"model_name": "revenue_metrics", "question": "x", "metrics": ["total_revenue"]}),
    )
    .await;
    assert!(t.contains("not both"), "{t}");
}

#[tokio::test]
async fn models_allowlist_limits_what_is_served() {
    let r = registry_with(
        Arc::new(Scripted::default()),
        DataSourceToolsetOptions::new().with_models(["customer_360"]),
        true,
    );
    let out = ok(&r, "list_models", json!({})).await;
    assert_eq!(
        out.structured.as_ref().map(|s| s["count"].clone()),
        Some(json!(1))
    );
    let t = failed(
        &r,
        "describe_model",
        json!({"model_name": "revenue_metrics"}),
    )
    .await;
    assert!(
        t.contains("not served") && t.contains("customer_360"),
        "{t}"
    );
}

#[tokio::test]
async fn writes_need_the_flag() {
    let r = registry_with(
        Arc::new(Scripted::default()),
        DataSourceToolsetOptions::new().with_allow_writes(true),
        false,
    );
    let out = ok(
        &r,
        "execute_sql",
        json!({"sql": "INSERT INTO t VALUES (1)"}),
    )
    .await;
    assert!(!out.is_error);
    let t = failed(
        &r,
        "execute_sql",
        json!({"sql": "INSERT INTO t VALUES (1); DROP TABLE t"}),
    )
    .await;
    assert!(t.contains("exactly one statement"), "{t}");
}

#[tokio::test]
async fn a_canary_secret_never_appears_in_tool_output() {
    let r = registry_with(
        Arc::new(Scripted {
            leak: true,
            ..Scripted::default()
        }),
        DataSourceToolsetOptions::new().with_redacted_secret(CANARY),
        true,
    );
    let calls = [
        ("list_models", json!({})),
        ("describe_model", json!({"model_name": "revenue_metrics"})),
        ("describe_model", json!({"model_name": "unknown"})),
        ("get_model_metrics", json!({"model_name": "unknown"})),
        (
            "query_model",
            json!({"model_name": "revenue_metrics", "metrics": ["total_revenue"], "dimensions": ["region"]}),
        ),
        (
            "query_model",
            json!({"model_name": "revenue_metrics", "question": "anything"}),
        ),
        ("execute_sql", json!({"sql": "SELECT * FROM t"})),
        ("execute_sql", json!({"sql": "SELECT * FROM broken"})),
        ("execute_sql", json!({"sql": "DROP TABLE t"})),
        ("get_statement", json!({"statement_id": "st-1"})),
        ("cancel_statement", json!({"statement_id": "zzz"})),
    ];
    let mut redacted = 0;
    for (name, args) in calls {
        let out = match r.call(name, args.clone(), ToolContext::new()).await {
            Ok(out) => out,
            Err(e) => e.into_output().expect("not a protocol error"),
        };
        let all = format!("{} {}", out.text, out.structured.unwrap_or(Value::Null));
        assert!(
            !all.contains(CANARY),
            "{name} {args} leaked the canary: {all}"
        );
        if all.contains("[REDACTED]") {
            redacted += 1;
        }
    }
    // The scripted source leaked it in several places; each was scrubbed.
    assert!(redacted >= 4, "{redacted}");
    assert!(
        !format!(
            "{:?}",
            DataSourceToolsetOptions::new().with_redacted_secret(CANARY)
        )
        .contains(CANARY)
    );
}

/// The `--models` allow-list selects by short or qualified name, any case, and reports misses.
#[tokio::test]
async fn models_allowlist_accepts_short_and_qualified_names() {
    let qualified = || {
        Arc::new(Scripted {
            qualified: true,
            ..Scripted::default()
        })
    };
    for (source, models) in [
        (qualified(), vec!["revenue_metrics", "customer_360"]),
        (qualified(), vec!["REVENUE_METRICS", "Customer_360"]),
        (
            qualified(),
            vec!["sales.revenue_metrics", "main.sales.customer_360"],
        ),
        (
            qualified(),
            vec!["main.sales.revenue_metrics", " customer_360 ", ""],
        ),
        (
            Arc::new(Scripted::default()),
            vec!["revenue_metrics", "CUSTOMER_360"],
        ),
    ] {
        let r = registry_with(
            source,
            DataSourceToolsetOptions::new().with_models(models.clone()),
            true,
        );
        let out = ok(&r, "list_models", json!({})).await;
        let s = out.structured.expect("structured");
        assert_eq!(s["count"], 2, "{models:?}: {}", out.text);
        assert!(s.get("not_found").is_none(), "{models:?}: {s}");
        assert!(out.text.starts_with("2 models"), "{}", out.text);
    }
}

#[tokio::test]
async fn models_allowlist_reports_names_that_match_nothing() {
    let source = Arc::new(Scripted {
        qualified: true,
        ..Scripted::default()
    });
    let r = registry_with(
        source,
        DataSourceToolsetOptions::new().with_models([
            "revenue_metrics",
            "churn",
            "other.customer_360",
        ]),
        true,
    );
    let out = ok(&r, "list_models", json!({})).await;
    let s = out.structured.expect("structured");
    assert_eq!(s["count"], 1);
    assert_eq!(s["models"][0]["name"], "main.sales.revenue_metrics");
    assert_eq!(s["not_found"], json!(["churn", "other.customer_360"]));
    assert!(
        out.text.contains("Not found") && out.text.contains("churn, other.customer_360"),
        "{}",
        out.text
    );
    // A search narrows the listing; selectors outside it are not reported as missing.
    let searched = ok(&r, "list_models", json!({"search": "revenue"})).await;
    assert!(
        searched
            .structured
            .expect("structured")
            .get("not_found")
            .is_none()
    );
    // Nothing selected at all: every selector is reported.
    let none = registry_with(
        Arc::new(Scripted::default()),
        DataSourceToolsetOptions::new().with_models(["nope"]),
        true,
    );
    let out = ok(&none, "list_models", json!({})).await;
    assert!(out.text.starts_with("0 models"), "{}", out.text);
    assert_eq!(
        out.structured.expect("structured")["not_found"],
        json!(["nope"])
    );
}

#[tokio::test]
async fn served_check_accepts_the_names_list_models_returns() {
    let source = Arc::new(Scripted {
        qualified: true,
        ..Scripted::default()
    });
    let r = registry_with(
        source,
        DataSourceToolsetOptions::new().with_models(["revenue_metrics"]),
        true,
    );
    for name in [
        "main.sales.revenue_metrics",
        "MAIN.SALES.REVENUE_METRICS",
        "revenue_metrics",
    ] {
        let out = call(&r, "describe_model", json!({"model_name": name}))
            .await
            .expect("tool ran");
        assert!(!out.text.contains("not served"), "{name}: {}", out.text);
    }
    for name in ["main.sales.customer_360", "customer_360", "metrics"] {
        let t = failed(&r, "describe_model", json!({"model_name": name})).await;
        assert!(
            t.contains("not served") && t.contains("revenue_metrics"),
            "{name}: {t}"
        );
    }
}

#[tokio::test]
async fn query_model_arguments_are_the_semantic_query_fields() {
    let source = Arc::new(Scripted::default());
    let r = registry(Arc::clone(&source));

    // The input schema is SemanticQuery's, with the model as `model_name` and `question` added.
    let spec = r.get("query_model").expect("query_model");
    let input = Value::Object(spec.input_schema().clone());
    let props = input["properties"].as_object().expect("properties");
    let mut names: Vec<&str> = props.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "dimensions",
            "filters",
            "limit",
            "metrics",
            "model_name",
            "offset",
            "order",
            "question",
            "time_dimensions",
            "timezone"
        ]
    );
    assert_eq!(input["required"], json!(["model_name"]), "{input}");
    assert_eq!(input["additionalProperties"], false, "{input}");

    // Every field reaches the source's SemanticQuery; the server's cap becomes the limit and
    // offset 0 is no offset.
    ok(
        &r,
        "query_model",
        json!({
            "model_name": "revenue_metrics",
            "metrics": ["total_revenue"],
            "dimensions": ["region"],
            "filters": [{"member": "region", "operator": "equals", "values": ["EMEA"]}],
            "order": [{"member": "total_revenue", "direction": "desc"}],
            "timezone": "Europe/Paris",
            "limit": 5,
            "offset": 0
        }),
    )
    .await;
    let q = source
        .queries
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("a query ran");
    assert_eq!(q.model, "revenue_metrics");
    assert_eq!(q.metrics, ["total_revenue"]);
    assert_eq!(q.dimensions, ["region"]);
    assert_eq!(q.filters.len(), 1);
    assert_eq!(q.order.len(), 1);
    assert_eq!(q.timezone.as_deref(), Some("Europe/Paris"));
    assert_eq!(q.limit, Some(5));
    assert_eq!(q.offset, None);

    // Unknown arguments are refused with the field's name, as before the flattening.
    let err = call(
        &r,
        "query_model",
        json!({"model_name": "revenue_metrics", "metrics": ["total_revenue"], "bogus": 1}),
    )
    .await
    .expect_err("unknown field refused");
    assert!(matches!(err, ToolError::InvalidParams { .. }), "{err}");
    assert!(err.to_string().contains("`bogus`"), "{err}");
    assert_eq!(
        source.queries.lock().expect("lock").len(),
        1,
        "no second query ran"
    );
}
