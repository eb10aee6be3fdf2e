//! `docs/tools.md` is generated from the registry and must be current.
//!
//! Regenerate with `UPDATE_TOOL_CATALOGUE=1 cargo test -p mcp-tools --test tool_catalogue`
//! (never done under `CI`, where a stale file fails).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use databricks_client::{Config, WorkspaceClient};
use datasource_model::{DynDataSource, LocalSource};
use mcp_tools::{
    BundleToolset, BundleToolsetOptions, DataSourceToolset, DataSourceToolsetOptions,
    PlatformToolset, PlatformToolsetOptions, Registry, ResourceProvider, WorkspaceResources,
    WorkspaceResourcesOptions, WorkspaceToolset, WorkspaceToolsetOptions, analysis_prompts,
    catalogue_markdown,
};

const TITLE: &str = "Tool catalogue";

const PREAMBLE: &str = "<!-- Generated from the registry by `UPDATE_TOOL_CATALOGUE=1 cargo test -p mcp-tools --test tool_catalogue`; CI fails when it is stale. Do not edit by hand. -->\n\n";

const INTRO: &str = "Every tool `databricks-mcp-server --toolsets all --allow-writes` serves, in the order `tools/list` returns them (the toolsets' default options). Tools marked *hidden* on read-only servers appear only with `--allow-writes`. The argument tables are read from each tool's JSON Schema (`inputSchema`); `?` marks a nullable type. Every result is held to the server's output budget (`--max-output-bytes`, 256 KiB per channel by default; see docs/security.md). Resources and prompts follow the tools.";

fn client() -> WorkspaceClient {
    // Constructing a client makes no request: the catalogue needs no workspace.
    WorkspaceClient::new(
        Config::builder()
            .host("https://catalogue.cloud.databricks.com")
            .token("dapi-catalogue")
            .build()
            .expect("config"),
    )
    .expect("client")
}

/// Every toolset `databricks-mcp-server --toolsets all` can serve, with default options.
async fn full_registry() -> Registry {
    let source: Arc<DynDataSource> = Arc::new(LocalSource::sample().await.expect("sample"));
    Registry::builder()
        .toolset(Arc::new(DataSourceToolset::new(
            source,
            DataSourceToolsetOptions::new(),
        )))
        .toolset(Arc::new(WorkspaceToolset::new(
            client(),
            WorkspaceToolsetOptions::new(),
        )))
        .toolset(Arc::new(BundleToolset::new(
            client(),
            BundleToolsetOptions::new("bundles"),
        )))
        .toolset(Arc::new(PlatformToolset::new(
            client(),
            PlatformToolsetOptions::new(),
        )))
        .build()
        .expect("registry")
}

fn resources_and_prompts() -> String {
    let mut out = String::from(
        "\n## Resources\n\n| URI template | name | MIME type | what |\n|---|---|---|---|\n",
    );
    let resources = WorkspaceResources::new(client(), WorkspaceResourcesOptions::new());
    for t in resources.templates() {
        let _ = writeln!(
            out,
            "| `{}` | `{}` | {} | {} |",
            t.uri_template,
            t.name,
            t.mime_type.as_deref().unwrap_or("by language"),
            t.description.as_deref().unwrap_or("")
        );
    }
    out.push_str("\nListed (paginated) for the schemas of `--resource-schemas` and the notebooks under `--notebook-root`; any table or notebook the identity can see can be read by URI.\n\n## Prompts\n\n| prompt | what | arguments |\n|---|---|---|\n");
    for p in analysis_prompts().templates() {
        let args: Vec<String> = p
            .arguments
            .iter()
            .map(|a| {
                if a.required {
                    format!("`{}`", a.name)
                } else {
                    format!("`{}` (optional)", a.name)
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            p.name,
            p.description,
            args.join(", ")
        );
    }
    out
}

#[tokio::test]
async fn docs_tool_catalogue_is_current() {
    let registry = full_registry().await;
    let expected = format!(
        "{PREAMBLE}{}{}",
        catalogue_markdown(&registry, TITLE).replacen(
            &format!("# {TITLE}\n\n"),
            &format!("# {TITLE}\n\n{INTRO}\n\n"),
            1
        ),
        resources_and_prompts()
    );
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/tools.md");
    let update =
        std::env::var_os("UPDATE_TOOL_CATALOGUE").is_some() && std::env::var_os("CI").is_none();
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
