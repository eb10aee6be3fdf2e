//! The output budget: every channel of every tool result (text, structured content, error text)
//! is held to the registry's byte budget, cut with an explicit marker, marked truncated, and says
//! how to get the rest. Results within the budget come back byte for byte.

use std::sync::Arc;
use std::time::Duration;

use databricks_client::{BackoffConfig, Config, RetryConfig, WorkspaceClient};
use mcp_tools::{
    DEFAULT_MAX_OUTPUT_BYTES, DynTool, FnTool, MIN_MAX_OUTPUT_BYTES, Registry, ToolContext,
    ToolError, ToolOutput, ToolSpec, WorkspaceToolset, WorkspaceToolsetOptions,
};
use serde_json::{Value, json};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MB: usize = 1024 * 1024;
const MARKER: &str = "…[truncated: ";

/// No arguments.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct NoArgs {}

/// Any result.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct AnyResult {}

/// How a query is shaped.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Mode {
    /// Rows.
    Rows,
}

/// Typed arguments, to provoke argument errors that quote the bad value.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct TypedArgs {
    /// A number.
    n: Option<i64>,
    /// A mode.
    mode: Option<Mode>,
    /// A name.
    model_name: Option<String>,
}

/// A tool that returns `out` whatever it is asked.
fn emit(name: &str, out: ToolOutput) -> DynTool {
    FnTool::new(
        ToolSpec::new::<NoArgs, AnyResult>(name, "Returns a fixed output."),
        move |_: NoArgs, _ctx| {
            let out = out.clone();
            async move { Ok(out) }
        },
    )
}

/// A tool with typed arguments that reports an unknown model by name.
fn typed() -> DynTool {
    FnTool::new(
        ToolSpec::new::<TypedArgs, AnyResult>("typed", "Typed arguments."),
        |a: TypedArgs, _ctx| async move {
            match a.model_name {
                Some(m) => Ok(ToolOutput::error(format!(
                    "model `{m}` not found; call list_models to see the models"
                ))),
                None => Ok(ToolOutput::text("ok")),
            }
        },
    )
}

fn registry(tools: Vec<DynTool>, budget: Option<usize>) -> Registry {
    let mut b = Registry::builder();
    for t in tools {
        b = b.tool(t);
    }
    if let Some(n) = budget {
        b = b.max_output_bytes(n);
    }
    b.build().expect("registry")
}

async fn call_one(out: ToolOutput, budget: Option<usize>) -> ToolOutput {
    registry(vec![emit("emit", out)], budget)
        .call("emit", Value::Null, ToolContext::new())
        .await
        .expect("call")
}

fn json_len(v: &Value) -> usize {
    serde_json::to_vec(v).expect("serializes").len()
}

/// Every channel fits, and structured content still round-trips as JSON.
fn assert_fits(out: &ToolOutput, budget: usize) {
    assert!(
        out.text.len() <= budget,
        "text {} > budget {budget}",
        out.text.len()
    );
    if let Some(v) = &out.structured {
        let bytes = serde_json::to_vec(v).expect("serializes");
        assert!(
            bytes.len() <= budget,
            "structured {} > {budget}",
            bytes.len()
        );
        let back: Value = serde_json::from_slice(&bytes).expect("valid JSON");
        assert_eq!(&back, v);
    }
}

fn structured(v: Value) -> ToolOutput {
    ToolOutput::structured("see structuredContent", &v).expect("structured")
}

fn note(out: &ToolOutput) -> &Value {
    &out.structured.as_ref().expect("structured")["_truncated"]
}

#[tokio::test]
async fn huge_text_is_cut_with_the_marker_and_the_next_step() {
    for (len, budget) in [
        (10 * MB, None),
        (DEFAULT_MAX_OUTPUT_BYTES + 1, None),
        (100_000, Some(8 * 1024)),
        (5000, Some(MIN_MAX_OUTPUT_BYTES)),
    ] {
        let text = "x".repeat(len);
        let out = call_one(ToolOutput::text(text.clone()), budget).await;
        let cap = budget.unwrap_or(DEFAULT_MAX_OUTPUT_BYTES);
        assert_fits(&out, cap);
        assert!(out.text.contains(MARKER), "{len}");
        assert!(out.text.contains("more bytes]"));
        assert!(out.text.contains("limit/offset"), "how to get the rest");
        assert!(out.text.starts_with("xxxxxxxx"), "the head is kept");
        // The marker counts exactly the bytes left out.
        let kept = out.text.find('…').unwrap();
        let more = format_thousands(len - kept);
        assert!(
            out.text.contains(&format!("{MARKER}{more} more bytes]")),
            "{more}"
        );
        assert!(!out.is_error);
    }
}

fn format_thousands(n: usize) -> String {
    let d = n.to_string();
    let mut s = String::new();
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i).is_multiple_of(3) {
            s.push(',');
        }
        s.push(c);
    }
    s
}

#[tokio::test]
async fn huge_structured_string_is_cut_inside_valid_json() {
    let big = "x".repeat(5_000_000);
    let out = call_one(
        structured(json!({"state": "SUCCEEDED", "value": big, "truncated": false})),
        None,
    )
    .await;
    assert_fits(&out, DEFAULT_MAX_OUTPUT_BYTES);
    let s = out.structured.as_ref().unwrap();
    let value = s["value"].as_str().unwrap();
    assert!(
        value.starts_with("xxxx") && value.contains(MARKER),
        "{}",
        &value[value.len() - 60..]
    );
    assert!(value.ends_with("more bytes]"));
    // Kept as much as fits: most of the budget.
    assert!(
        value.len() > DEFAULT_MAX_OUTPUT_BYTES / 2,
        "{}",
        value.len()
    );
    assert_eq!(s["state"], "SUCCEEDED", "small fields untouched");
    assert_eq!(s["truncated"], true, "the result says it was truncated");
    let n = note(&out);
    assert_eq!(n["budget_bytes"], DEFAULT_MAX_OUTPUT_BYTES);
    assert!(n["original_bytes"].as_u64().unwrap() > 5_000_000);
    assert!(
        n["cuts"][0]
            .as_str()
            .unwrap()
            .starts_with("/value: string cut"),
        "{n}"
    );
    assert!(n["next"].as_str().unwrap().contains("narrow the query"));
    assert!(
        out.text
            .contains("structuredContent cut to the 262,144-byte output budget"),
        "{}",
        out.text
    );
    assert!(out.text.starts_with("see structuredContent"));
}

#[tokio::test]
async fn huge_array_of_rows_keeps_leading_rows_and_updates_counts() {
    let rows: Vec<Value> = (0..200_000)
        .map(|i| json!([format!("region-{i}"), i, null]))
        .collect();
    let table = json!({
        "state": "SUCCEEDED",
        "statement_id": "st-9",
        "result": {
            "columns": [{"name": "region"}, {"name": "n"}, {"name": "z"}],
            "rows": rows,
            "row_count": 200_000,
            "truncated": false,
            "more": {
                "statement_id": "st-9",
                "offset": 200_000,
                "hint": "call get_statement with statement_id=st-9 and offset=200000"
            }
        }
    });
    for budget in [None, Some(64 * 1024), Some(MIN_MAX_OUTPUT_BYTES)] {
        let out = call_one(structured(table.clone()), budget).await;
        let cap = budget.unwrap_or(DEFAULT_MAX_OUTPUT_BYTES);
        assert_fits(&out, cap);
        let s = out.structured.as_ref().unwrap();
        let kept = s["result"]["rows"].as_array().unwrap();
        assert!(!kept.is_empty() && kept.len() < 200_000);
        // Leading rows, whole and in order: the shape of each row is intact.
        for (i, row) in kept.iter().enumerate() {
            assert_eq!(row, &json!([format!("region-{i}"), i, null]));
        }
        assert_eq!(
            s["result"]["row_count"],
            kept.len(),
            "row_count follows the rows"
        );
        assert_eq!(s["result"]["truncated"], true);
        // The continuation starts at the first row left out.
        assert_eq!(s["result"]["more"]["offset"], kept.len());
        assert_eq!(
            s["result"]["more"]["hint"],
            format!(
                "call get_statement with statement_id=st-9 and offset={}",
                kept.len()
            )
        );
        assert_eq!(s["result"]["columns"].as_array().unwrap().len(), 3);
        let n = note(&out);
        let cut = n["cuts"][0].as_str().unwrap();
        assert!(cut.starts_with("/result/rows: kept "), "{cut}");
        assert!(cut.contains("of 200,000 items"), "{cut}");
        assert!(out.text.contains("/result/rows"), "{}", out.text);
        if cap >= 16 * 1024 {
            // The table's own continuation leads the advice.
            assert!(
                n["next"]
                    .as_str()
                    .unwrap()
                    .starts_with("call get_statement"),
                "{n}"
            );
        }
    }
}

#[tokio::test]
async fn many_big_cells_are_cut_largest_first() {
    // Ten cells of different sizes: the largest lose the most, the small ones are untouched.
    let mut row = Vec::new();
    for i in 0..10usize {
        row.push(json!("y".repeat(1000 * (i + 1) * (i + 1))));
    }
    row.push(json!("small"));
    let out = call_one(structured(json!({"rows": [row]})), Some(64 * 1024)).await;
    assert_fits(&out, 64 * 1024);
    let cells = out.structured.as_ref().unwrap()["rows"][0]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(cells.len(), 11, "no cell dropped");
    assert_eq!(cells[10], "small");
    let lens: Vec<usize> = cells.iter().map(|c| c.as_str().unwrap().len()).collect();
    // Short cells are kept whole.
    assert_eq!(lens[0], 1000);
    assert!(cells[0].as_str().unwrap().chars().all(|c| c == 'y'));
    // The largest cell was cut.
    assert!(cells[9].as_str().unwrap().contains(MARKER));
    // Cut cells end up about the same length (water-filling), never longer than a smaller one's
    // original.
    let cut: Vec<usize> = (0..10)
        .filter(|&i| cells[i].as_str().unwrap().contains(MARKER))
        .map(|i| lens[i])
        .collect();
    let (min, max) = (cut.iter().min().unwrap(), cut.iter().max().unwrap());
    assert!(max - min <= 8, "{cut:?}");
}

#[tokio::test]
async fn deeply_nested_structure_is_cut_at_depth() {
    for depth in [1usize, 10, 60, 98] {
        let mut v = json!({"leaf": "z".repeat(1_000_000), "id": depth});
        for i in 0..depth {
            v = json!({"level": i, "child": v, "truncated": false});
        }
        let out = call_one(structured(v), None).await;
        assert_fits(&out, DEFAULT_MAX_OUTPUT_BYTES);
        let s = out.structured.as_ref().unwrap();
        let mut cur = s;
        for _ in 0..depth {
            assert_eq!(cur["truncated"], true, "every holder on the path is marked");
            cur = &cur["child"];
        }
        assert_eq!(cur["id"], depth);
        assert!(cur["leaf"].as_str().unwrap().contains(MARKER));
        let path = note(&out)["cuts"][0].as_str().unwrap().to_owned();
        let full = format!("{}/leaf: string cut", "/child".repeat(depth));
        if full.len() < 200 {
            assert!(path.starts_with(&full), "{path}");
        } else {
            // Long paths keep their head and their tail.
            assert!(path.starts_with("/child/child/"), "{path}");
            assert!(path.contains("/child/leaf: string cut"), "{path}");
            assert!(path.contains(MARKER), "{path}");
        }
    }
}

#[tokio::test]
async fn structure_deeper_than_json_parsers_accept_is_cut_at_level_100() {
    for depth in [101usize, 128, 300] {
        // Small but deep: arrays in arrays, then objects in objects.
        for object in [false, true] {
            let mut v = json!("bottom");
            for _ in 0..depth {
                v = if object { json!({"c": v}) } else { json!([v]) };
            }
            let v = json!({"deep": v, "truncated": false});
            let out = call_one(structured(v), None).await;
            // assert_fits re-parses with serde_json (recursion limit 128).
            assert_fits(&out, DEFAULT_MAX_OUTPUT_BYTES);
            let s = out.structured.as_ref().unwrap();
            assert_eq!(s["truncated"], true);
            assert!(
                note(&out)["cuts"][0]
                    .as_str()
                    .unwrap()
                    .contains("nested deeper than 100 levels")
            );
            let text = serde_json::to_string(s).unwrap();
            assert!(text.contains(MARKER) && !text.contains("bottom"), "{depth}");
        }
    }
    // 99 levels stay as they are.
    let mut v = json!("bottom");
    for _ in 0..98 {
        v = json!([v]);
    }
    let out = call_one(structured(json!({ "deep": v })), None).await;
    assert!(out.structured.as_ref().unwrap().get("_truncated").is_none());
}

#[tokio::test]
async fn multibyte_characters_at_the_boundary_are_never_split() {
    let texts = [
        "é".repeat(300_000),
        "日本語".repeat(100_000),
        "🦀".repeat(100_000),
        format!("a{}", "🦀é日".repeat(50_000)),
    ];
    for t in &texts {
        for budget in [
            MIN_MAX_OUTPUT_BYTES,
            MIN_MAX_OUTPUT_BYTES + 1,
            MIN_MAX_OUTPUT_BYTES + 2,
            MIN_MAX_OUTPUT_BYTES + 3,
            10_001,
            65_537,
        ] {
            // Text, structured string and error text: all valid UTF-8 (a String could not be
            // otherwise), within budget, and ending in the marker.
            let out = call_one(ToolOutput::text(t.clone()), Some(budget)).await;
            assert_fits(&out, budget);
            assert!(out.text.contains(MARKER));
            let out = call_one(structured(json!({"v": t, "w": [t, t]})), Some(budget)).await;
            assert_fits(&out, budget);
            let s = out.structured.as_ref().unwrap();
            assert!(s["v"].as_str().unwrap().contains(MARKER));
            let out = call_one(ToolOutput::error(t.clone()), Some(budget)).await;
            assert_fits(&out, budget);
            assert!(out.is_error && out.text.contains(MARKER));
        }
    }
}

#[tokio::test]
async fn results_within_budget_are_unchanged_byte_for_byte() {
    let at_budget = {
        // A structured value serializing to exactly the budget.
        let base = json_len(&json!({"v": ""}));
        json!({"v": "q".repeat(MIN_MAX_OUTPUT_BYTES - base)})
    };
    assert_eq!(json_len(&at_budget), MIN_MAX_OUTPUT_BYTES);
    let quoted_short = format!("model `{}` not found", "m".repeat(200));
    let cases = vec![
        ToolOutput::text(""),
        ToolOutput::text("hello"),
        ToolOutput::text("é".repeat(MIN_MAX_OUTPUT_BYTES / 2)),
        ToolOutput::text("x".repeat(MIN_MAX_OUTPUT_BYTES)),
        structured(json!({"rows": [[1, "a"], [2, null]], "truncated": false, "n": 1.5})),
        ToolOutput::structured("t", &at_budget).unwrap(),
        ToolOutput::error("the warehouse is stopped; start it"),
        ToolOutput::error(quoted_short),
    ];
    for case in cases {
        let out = call_one(case.clone(), Some(MIN_MAX_OUTPUT_BYTES)).await;
        assert_eq!(out, case);
        let text_before = serde_json::to_vec(&case.structured).unwrap();
        let text_after = serde_json::to_vec(&out.structured).unwrap();
        assert_eq!(text_before, text_after);
    }
    // One byte over and the same value is cut.
    let mut over = at_budget.clone();
    over["v"] = json!(format!("{}q", over["v"].as_str().unwrap()));
    let out = call_one(
        ToolOutput::structured("t", &over).unwrap(),
        Some(MIN_MAX_OUTPUT_BYTES),
    )
    .await;
    assert_fits(&out, MIN_MAX_OUTPUT_BYTES);
    assert!(out.structured.as_ref().unwrap()["_truncated"].is_object());
}

#[tokio::test]
async fn budget_is_configurable_and_has_a_floor() {
    let r = registry(vec![emit("emit", ToolOutput::text("x"))], None);
    assert_eq!(r.max_output_bytes(), DEFAULT_MAX_OUTPUT_BYTES);
    assert_eq!(DEFAULT_MAX_OUTPUT_BYTES, 256 * 1024);
    let r = registry(vec![emit("emit", ToolOutput::text("x"))], Some(1));
    assert_eq!(r.max_output_bytes(), MIN_MAX_OUTPUT_BYTES);
    let r = registry(vec![emit("emit", ToolOutput::text("x"))], Some(MB));
    assert_eq!(r.max_output_bytes(), MB);

    // The same 100 KB result: cut under a small budget, whole under a large one.
    let text = "w".repeat(100_000);
    let small = call_one(ToolOutput::text(text.clone()), Some(8 * 1024)).await;
    assert_fits(&small, 8 * 1024);
    assert!(small.text.contains(MARKER));
    let large = call_one(ToolOutput::text(text.clone()), Some(MB)).await;
    assert_eq!(large.text, text);
    let default = call_one(ToolOutput::text(text.clone()), None).await;
    assert_eq!(default.text, text);
}

#[tokio::test]
async fn structured_that_cannot_be_cut_piecewise_is_left_out_with_a_note() {
    // Many small keys and numbers: nothing long to cut.
    let mut map = serde_json::Map::new();
    for i in 0..50_000 {
        map.insert(format!("k{i}"), json!(i));
    }
    let out = call_one(structured(Value::Object(map)), Some(16 * 1024)).await;
    assert_fits(&out, 16 * 1024);
    let s = out.structured.as_ref().unwrap();
    assert_eq!(s["truncated"], true);
    assert_eq!(s["_truncated"]["left_out"], true);
    assert!(
        out.text.contains("too large to cut piecewise"),
        "{}",
        out.text
    );

    // A root that is not an object (no room for a note) is still held to the budget.
    let out = call_one(structured(json!(["a".repeat(MB), "b"])), Some(16 * 1024)).await;
    assert_fits(&out, 16 * 1024);
    assert!(out.text.contains("structuredContent cut"));
}

#[tokio::test]
async fn huge_argument_echoed_in_invalid_params_is_quoted_briefly() {
    let r = registry(vec![typed()], None);
    let huge = "9".repeat(10 * MB);
    let huge_s = "s".repeat(10 * MB);
    let cases = [
        json!({"n": huge_s}),                // invalid type: string "…", expected i64
        json!({"mode": huge_s}),             // unknown variant `…`
        json!({ huge_s.clone(): 1 }),        // unknown field `…`
        json!({"n": [huge_s, huge_s]}),      // invalid type: sequence
        json!({"model_name": 1, "n": huge}), // wrong types
        json!({"n": format!("{}\"{}", "é".repeat(MB), huge_s)}), // escapes and multibyte
    ];
    for args in cases {
        let err = r
            .call("typed", args.clone(), ToolContext::new())
            .await
            .unwrap_err();
        assert!(matches!(err, ToolError::InvalidParams { .. }), "{err}");
        let text = err.to_string();
        assert!(text.len() < 2048, "{} bytes: {}", text.len(), &text[..300]);
        assert!(text.contains("inputSchema"), "the fix survives: {text}");
        let out = err.into_output().unwrap();
        assert!(out.is_error && out.text.len() < 2048);
    }
    // The message still names what was wrong.
    let err = r
        .call("typed", json!({"n": huge_s}), ToolContext::new())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("invalid type: string \"sss"), "{err}");
    assert!(
        err.contains(MARKER) && err.contains("expected i64"),
        "{err}"
    );

    // An unknown tool name is quoted briefly too.
    let err = r
        .call(&"t".repeat(10 * MB), Value::Null, ToolContext::new())
        .await
        .unwrap_err();
    assert!(err.is_unknown_tool());
    assert!(err.to_string().len() < 1024);
    assert!(err.to_string().contains("tools/list"));
}

#[tokio::test]
async fn huge_input_echoed_in_an_error_result_is_quoted_briefly() {
    let r = registry(vec![typed()], None);
    let name = "m".repeat(10 * MB);
    let out = r
        .call("typed", json!({"model_name": name}), ToolContext::new())
        .await
        .unwrap();
    assert!(out.is_error);
    assert!(out.text.len() < 1024, "{}", out.text.len());
    assert!(out.text.starts_with("model `mmmm"), "{}", out.text);
    assert!(
        out.text.contains("` not found; call list_models"),
        "{}",
        out.text
    );
    assert!(out.text.contains(&format!(
        "{MARKER}{} more bytes]",
        format_thousands(10 * MB - 200)
    )));

    // An unquoted echo is held to the budget, head and tail kept (the tail names the fix).
    let text = format!(
        "bad statement: {}\nNext: narrow the query",
        "q ".repeat(5 * MB)
    );
    let out = call_one(ToolOutput::error(text), None).await;
    assert_fits(&out, DEFAULT_MAX_OUTPUT_BYTES);
    assert!(out.text.starts_with("bad statement: q q"));
    assert!(
        out.text.ends_with("\nNext: narrow the query"),
        "{}",
        &out.text[out.text.len() - 80..]
    );
    assert!(out.text.contains(MARKER));
}

#[tokio::test]
async fn secrets_are_redacted_before_the_cut() {
    let secret = "dapi-SECRET-0123456789abcdef";
    // The secret straddles every plausible cut point.
    let mut text = String::new();
    while text.len() < 3 * DEFAULT_MAX_OUTPUT_BYTES {
        text.push_str(secret);
        text.push('.');
    }
    let r = Registry::builder()
        .tool(emit("s", structured(json!({"v": text, "w": [text]}))))
        .tool(emit("e", ToolOutput::error(text.clone())))
        .tool(emit("t", ToolOutput::text(text.clone())))
        .redact_secret(secret)
        .build()
        .unwrap();
    for name in ["s", "e", "t"] {
        let got = r.call(name, Value::Null, ToolContext::new()).await.unwrap();
        let all = format!(
            "{} {}",
            got.text,
            serde_json::to_string(&got.structured).unwrap()
        );
        assert!(!all.contains("dapi-"), "{name}");
        assert_fits(&got, DEFAULT_MAX_OUTPUT_BYTES);
    }
}

fn workspace(server: &MockServer) -> Registry {
    let config = Config::builder()
        .host(server.uri())
        .token("dapi-CANARY-bounds")
        .retry_config(
            RetryConfig::default().with_max_retries(0).with_backoff(
                BackoffConfig::default()
                    .with_initial(Duration::from_millis(1))
                    .with_max(Duration::from_millis(2)),
            ),
        )
        .build()
        .expect("config");
    let client = WorkspaceClient::new(config).expect("client");
    Registry::builder()
        .toolset(Arc::new(WorkspaceToolset::new(
            client,
            WorkspaceToolsetOptions::new().with_warehouse_id("wh-1"),
        )))
        .build()
        .expect("registry")
}

#[tokio::test]
async fn huge_databricks_error_message_is_bounded_and_keeps_the_next_step() {
    let server = MockServer::start().await;
    let literal = "L".repeat(10 * MB);
    let sql = format!("SELECT '{literal}'");
    // The API echoes the statement back in its error message, quoted and unquoted.
    let message = format!(
        "[PARSE_SYNTAX_ERROR] Syntax error at or near '{literal}'. SQLSTATE: 42601 (line 1, pos 7)\n\n== SQL ==\n{sql}"
    );
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error_code": "INVALID_PARAMETER_VALUE",
            "message": message,
        })))
        .mount(&server)
        .await;
    let r = workspace(&server);
    let out = r
        .call("execute_dbsql", json!({"sql": sql}), ToolContext::new())
        .await
        .expect("call");
    assert!(out.is_error, "{}", &out.text[..200.min(out.text.len())]);
    assert!(out.text.len() <= 8 * 1024, "{} bytes", out.text.len());
    assert!(out.text.starts_with("execute_dbsql failed"), "{}", out.text);
    assert!(
        out.text.contains("INVALID_PARAMETER_VALUE") || out.text.contains("400"),
        "{}",
        out.text
    );
    assert!(
        out.text.contains("Syntax error at or near 'LLLL"),
        "{}",
        out.text
    );
    assert!(out.text.contains(MARKER), "{}", out.text);
    assert!(!out.text.contains("dapi-CANARY"));
}

#[tokio::test]
async fn huge_databricks_error_on_other_tools_is_bounded() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error_code": "RESOURCE_DOES_NOT_EXIST",
            "message": format!("Object `{}` does not exist: {}", "o".repeat(3 * MB), "p ".repeat(MB)),
        })))
        .mount(&server)
        .await;
    let r = workspace(&server);
    for (tool, args) in [
        ("get_job", json!({"job_id": 7})),
        ("get_cluster", json!({"cluster_id": "c-1"})),
    ] {
        let out = r.call(tool, args, ToolContext::new()).await.expect("call");
        assert!(out.is_error, "{tool}");
        assert!(
            out.text.len() <= 8 * 1024,
            "{tool}: {} bytes",
            out.text.len()
        );
        assert!(out.text.contains(MARKER), "{tool}: {}", out.text);
        assert!(
            out.text.contains("Next:"),
            "{tool}: the next step survives: {}",
            out.text
        );
    }
}

/// End to end: a real MCP client against the registry served by the rmcp adapter.
#[cfg(feature = "rmcp")]
mod through_the_server {
    use super::*;
    use mcp_tools::rmcp_adapter::McpServer;
    use rmcp::model::{CallToolRequestParams, CallToolResult};
    use rmcp::service::RunningService;
    use rmcp::{RoleClient, ServiceExt};

    /// Arguments of `repeat`: `SELECT repeat('x', n)`.
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct RepeatArgs {
        /// How many times.
        n: usize,
    }

    /// A column.
    #[derive(serde::Serialize, schemars::JsonSchema)]
    struct Col {
        /// Name.
        name: String,
    }

    /// Rows of a statement.
    #[derive(serde::Serialize, schemars::JsonSchema)]
    struct Rows {
        /// Columns.
        columns: Vec<Col>,
        /// Rows.
        rows: Vec<Vec<Value>>,
        /// Rows returned.
        row_count: usize,
        /// More rows exist.
        truncated: bool,
    }

    /// A statement result.
    #[derive(serde::Serialize, schemars::JsonSchema)]
    struct Statement {
        /// Statement id.
        statement_id: String,
        /// State.
        state: String,
        /// The rows.
        result: Rows,
    }

    fn repeat_tool() -> DynTool {
        FnTool::new(
            ToolSpec::new::<RepeatArgs, Statement>("repeat", "SELECT repeat('x', n)."),
            |a: RepeatArgs, _ctx| async move {
                let cell = "x".repeat(a.n);
                let st = Statement {
                    statement_id: "st-5".into(),
                    state: "SUCCEEDED".into(),
                    result: Rows {
                        columns: vec![Col {
                            name: "repeat(x, n)".into(),
                        }],
                        rows: vec![vec![json!(cell)]],
                        row_count: 1,
                        truncated: false,
                    },
                };
                ToolOutput::structured(format!("repeat(x, n)\n{cell}\n[1 rows]"), &st)
            },
        )
    }

    async fn serve(budget: Option<usize>) -> (RunningService<RoleClient, ()>, Registry) {
        let reg = registry(vec![repeat_tool(), typed()], budget);
        let server = McpServer::new(reg.clone(), "budget-test", "0.0.1");
        let (server_io, client_io) = tokio::io::duplex(64 * 1024);
        tokio::spawn(async move {
            if let Ok(running) = server.serve(server_io).await {
                let _ = running.waiting().await;
            }
        });
        let client = ().serve(client_io).await.expect("client initialize");
        (client, reg)
    }

    async fn call(client: &RunningService<RoleClient, ()>, name: &str, a: Value) -> CallToolResult {
        let Value::Object(a) = a else {
            panic!("arguments are an object")
        };
        client
            .call_tool(CallToolRequestParams::new(name.to_owned()).with_arguments(a))
            .await
            .expect("tools/call answers")
    }

    fn text_of(r: &CallToolResult) -> String {
        r.content[0].as_text().expect("text").text.clone()
    }

    #[tokio::test]
    async fn a_5_mb_structured_result_comes_back_cut_and_marked() {
        for (budget, n) in [
            (None, 5_000_000usize),
            (Some(16 * 1024), 5_000_000),
            (None, 300_000),
        ] {
            let (client, reg) = serve(budget).await;
            let cap = reg.max_output_bytes();
            let r = call(&client, "repeat", json!({"n": n})).await;
            assert_eq!(r.is_error, Some(false));
            let s = r.structured_content.clone().expect("structuredContent");
            let bytes = serde_json::to_vec(&s).unwrap();
            assert!(bytes.len() <= cap, "{} > {cap}", bytes.len());
            let cell = s["result"]["rows"][0][0].as_str().unwrap();
            assert!(cell.starts_with("xxxx"));
            assert!(
                cell.ends_with("more bytes]"),
                "{}",
                &cell[cell.len() - 50..]
            );
            let kept = cell.find('…').unwrap();
            assert!(cell.contains(&format!(
                "{MARKER}{} more bytes]",
                format_thousands(n - kept)
            )));
            // Marked truncated, with a note saying how to get the rest.
            assert_eq!(s["result"]["truncated"], true);
            assert_eq!(s["result"]["row_count"], 1);
            assert_eq!(s["_truncated"]["budget_bytes"], cap);
            assert!(s["_truncated"]["original_bytes"].as_u64().unwrap() > n as u64);
            assert!(
                s["_truncated"]["next"]
                    .as_str()
                    .unwrap()
                    .contains("substr(col, 1, 1000)")
            );
            // Still conforms to the tool's output schema.
            let tools = client.list_all_tools().await.expect("tools/list");
            let schema = Value::Object(
                (*tools
                    .iter()
                    .find(|t| t.name == "repeat")
                    .unwrap()
                    .output_schema
                    .clone()
                    .unwrap())
                .clone(),
            );
            let validator = jsonschema::validator_for(&schema).expect("schema compiles");
            assert!(
                validator.is_valid(&s),
                "cut content still matches the output schema"
            );
            // The text channel is bounded and says so too.
            let text = text_of(&r);
            assert!(text.len() <= cap, "{}", text.len());
            assert!(text.contains(MARKER), "text cut too");
            assert!(
                text.contains("structuredContent cut to the"),
                "{}",
                &text[text.len() - 600..]
            );
            client.cancel().await.expect("close");
        }
    }

    #[tokio::test]
    async fn results_within_budget_cross_the_wire_unchanged() {
        let (client, _) = serve(None).await;
        let r = call(&client, "repeat", json!({"n": 1000})).await;
        let s = r.structured_content.clone().expect("structuredContent");
        assert!(s.get("_truncated").is_none());
        assert_eq!(s["result"]["truncated"], false);
        assert_eq!(s["result"]["rows"][0][0], "x".repeat(1000));
        assert_eq!(
            text_of(&r),
            format!("repeat(x, n)\n{}\n[1 rows]", "x".repeat(1000))
        );
        client.cancel().await.expect("close");
    }

    #[tokio::test]
    async fn a_huge_argument_echoed_in_an_error_comes_back_quoted_briefly() {
        let (client, _) = serve(None).await;
        let huge = "s".repeat(2 * MB);
        for a in [
            json!({"n": huge}),
            json!({"mode": huge}),
            json!({"model_name": huge}),
            json!({ huge.clone(): 1 }),
        ] {
            let r = call(&client, "typed", a).await;
            assert_eq!(r.is_error, Some(true));
            let text = text_of(&r);
            assert!(text.len() < 2048, "{} bytes", text.len());
            assert!(text.contains(MARKER), "{text}");
            assert!(
                text.contains("ssss"),
                "the value is quoted, briefly: {text}"
            );
        }
        let r = call(&client, "repeat", json!({"n": huge})).await;
        assert_eq!(r.is_error, Some(true));
        assert!(text_of(&r).len() < 2048);
        client.cancel().await.expect("close");
    }
}
