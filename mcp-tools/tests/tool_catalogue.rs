//! `docs/tools.md` is generated from the registry and must be current.
//!
//! Regenerate with `UPDATE_TOOL_CATALOGUE=1 cargo test -p mcp-tools --test tool_catalogue`
//! (never done under `CI`, where a stale file fails).

use std::path::PathBuf;
use std::sync::Arc;

use datasource_model::{DynDataSource, LocalSource};
use mcp_tools::{DataSourceToolset, DataSourceToolsetOptions, Registry, catalogue_markdown};

const TITLE: &str = "Tool catalogue";

const PREAMBLE: &str = "<!-- Generated from the registry by `UPDATE_TOOL_CATALOGUE=1 cargo test -p mcp-tools --test tool_catalogue`; CI fails when it is stale. Do not edit by hand. -->\n\n";

/// Every toolset the example servers can serve (`--toolsets all`), with default options.
async fn full_registry() -> Registry {
    let source: Arc<DynDataSource> = Arc::new(LocalSource::sample().await.expect("sample"));
    Registry::builder()
        .toolset(Arc::new(DataSourceToolset::new(
            source,
            DataSourceToolsetOptions::new(),
        )))
        .build()
        .expect("registry")
}

#[tokio::test]
async fn docs_tool_catalogue_is_current() {
    let registry = full_registry().await;
    let expected = format!(
        "{PREAMBLE}{}",
        catalogue_markdown(&registry, TITLE)
            .replacen(&format!("# {TITLE}\n\n"), &format!("# {TITLE}\n\n{INTRO}\n\n"), 1)
    );
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/tools.md");
    let update = std::env::var_os("UPDATE_TOOL_CATALOGUE").is_some()
        && std::env::var_os("CI").is_none();
    if update {
        std::fs::write(&path, &expected).expect("write docs/tools.md");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == expected,
        "docs/tools.md is stale: run `UPDATE_TOOL_CATALOGUE=1 cargo test -p mcp-tools --test tool_catalogue` and commit the result"
    );
}

const INTRO: &str = "Every tool the example servers serve with `--toolsets all`, in the order `tools/list` returns them. Tools marked *hidden* on read-only servers appear only with `--allow-writes`. The argument tables are read from each tool's JSON Schema (`inputSchema`); `?` marks a nullable type.";
