//! `query_model` end to end over a local (DataFusion) source: `truncated` is true exactly when
//! groups were cut (issue 13: 2,834 groups came back as 100 rows "not truncated").

use std::sync::Arc;

use datasource_model::{DynDataSource, LocalSource};
use mcp_tools::{
    DataSourceToolset, DataSourceToolsetOptions, Registry, ResultLimits, ToolContext, ToolOutput,
};
use serde_json::{Value, json};

/// A registry serving the datasource toolset over a local source whose model `groups_model`
/// has `groups` distinct `region` values (two orders each), with a row cap of 100.
async fn registry(groups: usize) -> Registry {
    let mut csv = String::from("region,amount\n");
    for i in 1..=groups {
        csv.push_str(&format!("R{i:05},{i}.50\nR{i:05},1.00\n"));
    }
    let yaml = "version: \"1.1\"\nsource: orders\ndimensions:\n  - name: region\n    expr: source.region\nmeasures:\n  - name: total_revenue\n    expr: SUM(source.amount)\n";
    let source: Arc<DynDataSource> = Arc::new(
        LocalSource::builder()
            .with_csv_data("orders", csv)
            .with_model_yaml("groups_model", yaml)
            .build()
            .await
            .expect("local source"),
    );
    Registry::builder()
        .toolset(Arc::new(DataSourceToolset::new(
            source,
            DataSourceToolsetOptions::new().with_limits(ResultLimits::new().with_max_rows(100)),
        )))
        .read_only(true)
        .build()
        .expect("registry")
}

async fn query(r: &Registry, extra: Value) -> (ToolOutput, Value) {
    let mut args = json!({
        "model_name": "groups_model",
        "metrics": ["total_revenue"],
        "dimensions": ["region"],
        "order": [{"member": "region", "direction": "asc"}],
    });
    if let (Some(a), Some(e)) = (args.as_object_mut(), extra.as_object()) {
        a.extend(e.clone());
    }
    let out = r
        .call("query_model", args.clone(), ToolContext::new())
        .await
        .expect("query_model ran");
    assert!(!out.is_error, "{args}: {}", out.text);
    let s = out.structured.clone().expect("structured content");
    (out, s)
}

/// Asserts the structured and text output say `rows` rows and `truncated` exactly.
fn assert_shape(case: &str, out: &ToolOutput, s: &Value, rows: usize, truncated: bool) {
    assert_eq!(s["row_count"], json!(rows), "{case}: {s}");
    assert_eq!(
        s["rows"].as_array().map(Vec::len),
        Some(rows),
        "{case}: rows"
    );
    assert_eq!(s["truncated"], json!(truncated), "{case}: {s}");
    assert_eq!(
        s.get("more").is_some_and(|m| !m.is_null()),
        truncated,
        "{case}: `more` must be present exactly when truncated: {s}"
    );
    assert_eq!(
        out.text.contains("truncated: true"),
        truncated,
        "{case}: text {}",
        out.text
    );
}

/// The case and its boundaries: more groups than the cap say truncated with exactly
/// `cap` rows; exactly `cap` groups (or fewer) do not.
#[tokio::test]
async fn query_model_says_truncated_exactly_when_groups_are_cut() {
    for (groups, truncated) in [(2_834, true), (101, true), (100, false), (99, false)] {
        let r = registry(groups).await;
        // No limit, the cap as limit, a limit above the cap: all capped at 100.
        for extra in [json!({}), json!({"limit": 100}), json!({"limit": 5_000})] {
            let case = format!("{groups} groups, {extra}");
            let (out, s) = query(&r, extra).await;
            assert_shape(&case, &out, &s, groups.min(100), truncated);
            assert_eq!(s["rows"][0][0], json!("R00001"), "{case}");
            let sql = s["sql"].as_str().unwrap_or_default();
            assert!(sql.ends_with("LIMIT 101"), "{case}: {sql}");
            if truncated {
                assert_eq!(s["more"]["offset"], json!(100), "{case}");
            }
        }
    }
}

/// A smaller `limit` that cuts groups is truncation too (more groups exist); one that does not
/// cut any is not.
#[tokio::test]
async fn a_limit_that_cuts_groups_says_truncated() {
    let r = registry(10).await;
    for (limit, rows, truncated) in [(1, 1, true), (9, 9, true), (10, 10, false), (11, 10, false)] {
        let (out, s) = query(&r, json!({"limit": limit})).await;
        assert_shape(&format!("limit {limit}"), &out, &s, rows, truncated);
    }
}

/// Paging with `offset` through 2,834 groups: every page but the last says truncated, and the
/// last page is exact at the boundary.
#[tokio::test]
async fn paging_through_many_groups_ends_exactly() {
    let r = registry(2_834).await;
    for (offset, rows, truncated) in [
        (0, 100, true),
        (2_700, 100, true),
        (2_733, 100, true),
        (2_734, 100, false),
        (2_735, 99, false),
        (2_833, 1, false),
        (2_834, 0, false),
    ] {
        let (out, s) = query(&r, json!({"offset": offset})).await;
        let case = format!("offset {offset}");
        assert_shape(&case, &out, &s, rows, truncated);
        if rows > 0 {
            assert_eq!(
                s["rows"][0][0],
                json!(format!("R{:05}", offset + 1)),
                "{case}"
            );
        }
    }
}
