//! Unity Catalog tools: `list_catalogs`, `list_schemas`, `list_tables`, `get_table`.

use std::sync::Arc;

use databricks_client::api::ListTablesOptions;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Paged, Shared, Window, call, list_text, or_dash, output, page_stream};
use crate::{DynTool, FnTool, ToolAnnotations, ToolSpec, cap_text};

/// Pagination arguments of `list_catalogs`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListCatalogsArgs {
    /// Most catalogs to return (capped by the server's row limit).
    #[serde(default)]
    limit: Option<u64>,
    /// Catalogs to skip: pass `next_offset` of the previous call to get the next page.
    #[serde(default)]
    offset: Option<u64>,
}

/// One catalog, schema or table in a listing.
#[derive(Debug, Serialize, JsonSchema)]
struct UcEntry {
    /// Name.
    name: String,
    /// Fully qualified name (`catalog`, `catalog.schema` or `catalog.schema.table`).
    full_name: String,
    /// Kind: the catalog type (`MANAGED_CATALOG`, …) or table type (`MANAGED`, `VIEW`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    /// Comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    /// Owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
}

/// A page of Unity Catalog entries.
#[derive(Debug, Serialize, JsonSchema)]
struct UcListResult {
    /// The entries of this page.
    items: Vec<UcEntry>,
    /// `true` when more exist.
    truncated: bool,
    /// The `offset` of the next page, when `truncated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_offset: Option<u64>,
}

fn uc_output(
    what: &str,
    tool_name: &str,
    page: Paged<UcEntry>,
    max: usize,
) -> Result<crate::ToolOutput, crate::ToolError> {
    let text = list_text(what, tool_name, &page, max, |e| {
        let mut line = e.full_name.clone();
        if let Some(k) = &e.kind {
            line.push_str(&format!(" | {k}"));
        }
        if let Some(c) = &e.comment {
            line.push_str(&format!(" | {}", c.replace('\n', " ")));
        }
        line
    });
    output(
        text,
        &UcListResult {
            truncated: page.next_offset.is_some(),
            next_offset: page.next_offset,
            items: page.items,
        },
    )
}

pub(super) fn list_catalogs(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<ListCatalogsArgs, UcListResult>(
            "list_catalogs",
            "List the Unity Catalog catalogs visible to the server's identity. Then list_schemas \
                of a catalog. Paginated with `limit` and `offset`.",
        )
        .with_title("List catalogs")
        .with_annotations(ToolAnnotations::read_only()),
        move |s, args: ListCatalogsArgs, _ctx| async move {
            let window = Window::new(&s.limits(), args.offset, args.limit);
            let page = call!(
                "list_catalogs",
                page_stream(s.client.catalog().list_catalogs(), window).await
            );
            let page = Paged {
                items: page
                    .items
                    .into_iter()
                    .map(|c| UcEntry {
                        full_name: c.full_name.unwrap_or_else(|| c.name.clone()),
                        name: c.name,
                        kind: c.catalog_type,
                        comment: c.comment,
                        owner: c.owner,
                    })
                    .collect(),
                next_offset: page.next_offset,
            };
            uc_output("catalogs", "list_catalogs", page, s.max_text())
        },
    )
}

/// Arguments of `list_schemas`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListSchemasArgs {
    /// The catalog (from list_catalogs).
    catalog_name: String,
    /// Most schemas to return (capped by the server's row limit).
    #[serde(default)]
    limit: Option<u64>,
    /// Schemas to skip: pass `next_offset` of the previous call to get the next page.
    #[serde(default)]
    offset: Option<u64>,
}

pub(super) fn list_schemas(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<ListSchemasArgs, UcListResult>(
            "list_schemas",
            "List the schemas of a Unity Catalog catalog. Then list_tables of a schema. Paginated \
                with `limit` and `offset`.",
        )
        .with_title("List schemas")
        .with_annotations(ToolAnnotations::read_only()),
        move |s, args: ListSchemasArgs, _ctx| async move {
            let window = Window::new(&s.limits(), args.offset, args.limit);
            let page = call!(
                "list_schemas",
                page_stream(s.client.catalog().list_schemas(&args.catalog_name), window).await
            );
            let page = Paged {
                items: page
                    .items
                    .into_iter()
                    .map(|sc| UcEntry {
                        full_name: sc
                            .full_name
                            .unwrap_or_else(|| format!("{}.{}", sc.catalog_name, sc.name)),
                        name: sc.name,
                        kind: None,
                        comment: sc.comment,
                        owner: sc.owner,
                    })
                    .collect(),
                next_offset: page.next_offset,
            };
            uc_output(
                &format!("schemas in {}", args.catalog_name),
                "list_schemas",
                page,
                s.max_text(),
            )
        },
    )
}

/// Arguments of `list_tables`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListTablesArgs {
    /// The catalog.
    catalog_name: String,
    /// The schema (from list_schemas).
    schema_name: String,
    /// Most tables to return (capped by the server's row limit).
    #[serde(default)]
    limit: Option<u64>,
    /// Tables to skip: pass `next_offset` of the previous call to get the next page.
    #[serde(default)]
    offset: Option<u64>,
}

pub(super) fn list_tables(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<ListTablesArgs, UcListResult>(
            "list_tables",
            "List the tables and views of a Unity Catalog schema (name, type, comment). Get \
                columns with get_table. Paginated with `limit` and `offset`.",
        )
        .with_title("List tables")
        .with_annotations(ToolAnnotations::read_only()),
        move |s, args: ListTablesArgs, _ctx| async move {
            let window = Window::new(&s.limits(), args.offset, args.limit);
            let page_size = u32::try_from(window.reach().min(50)).unwrap_or(50);
            let options = ListTablesOptions::default()
                .with_max_results(page_size)
                .with_omit_columns(true)
                .with_omit_properties(true);
            let page = call!(
                "list_tables",
                page_stream(
                    s.client
                        .catalog()
                        .list_tables(&args.catalog_name, &args.schema_name, options),
                    window
                )
                .await
            );
            let page = Paged {
                items: page
                    .items
                    .into_iter()
                    .map(|t| UcEntry {
                        full_name: t.qualified_name(),
                        kind: t.table_type.as_ref().map(ToString::to_string),
                        name: t.name,
                        comment: t.comment,
                        owner: t.owner,
                    })
                    .collect(),
                next_offset: page.next_offset,
            };
            uc_output(
                &format!("tables in {}.{}", args.catalog_name, args.schema_name),
                "list_tables",
                page,
                s.max_text(),
            )
        },
    )
}

/// Arguments of `get_table`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct GetTableArgs {
    /// Fully qualified table name `catalog.schema.table`.
    full_name: String,
}

/// One column of a table.
#[derive(Debug, Serialize, JsonSchema)]
struct TableColumn {
    /// Column name.
    name: String,
    /// SQL type, for example `bigint` or `array<string>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    type_text: Option<String>,
    /// Whether it may be NULL.
    #[serde(skip_serializing_if = "Option::is_none")]
    nullable: Option<bool>,
    /// Comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    /// Position among partition columns, if it partitions the table.
    #[serde(skip_serializing_if = "Option::is_none")]
    partition_index: Option<i64>,
}

/// Result of `get_table`.
#[derive(Debug, Serialize, JsonSchema)]
struct GetTableResult {
    /// `catalog.schema.table`.
    full_name: String,
    /// `MANAGED`, `EXTERNAL`, `VIEW`, `MATERIALIZED_VIEW`, `METRIC_VIEW`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    table_type: Option<String>,
    /// `DELTA`, `PARQUET`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    data_source_format: Option<String>,
    /// Comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    /// Owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    /// Storage location, for external tables.
    #[serde(skip_serializing_if = "Option::is_none")]
    storage_location: Option<String>,
    /// The view's SQL, for views.
    #[serde(skip_serializing_if = "Option::is_none")]
    view_definition: Option<String>,
    /// Columns, in order.
    columns: Vec<TableColumn>,
}

pub(super) fn get_table(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<GetTableArgs, GetTableResult>(
            "get_table",
            "Get a Unity Catalog table or view: columns with types, nullability and comments, \
                table type, format, owner and (for views) the definition. Use it before writing \
                SQL for execute_dbsql.",
        )
        .with_title("Get a table")
        .with_annotations(ToolAnnotations::read_only()),
        move |s, args: GetTableArgs, _ctx| async move {
            let t = call!(
                "get_table",
                s.client.catalog().get_table(&args.full_name).await
            );
            let full_name = t.qualified_name();
            let columns: Vec<TableColumn> = t
                .columns
                .into_iter()
                .map(|c| TableColumn {
                    name: c.name,
                    type_text: c.type_text.or(c.type_name),
                    nullable: c.nullable,
                    comment: c.comment,
                    partition_index: c.partition_index,
                })
                .collect();
            let table_type = t.table_type.as_ref().map(ToString::to_string);
            let mut text = format!(
                "{full_name} | {} | {}",
                or_dash(table_type.as_deref()),
                or_dash(t.data_source_format.as_deref())
            );
            if let Some(c) = &t.comment {
                text.push_str(&format!("\n{c}"));
            }
            for c in &columns {
                text.push_str(&format!(
                    "\n- {} {}{}{}",
                    c.name,
                    or_dash(c.type_text.as_deref()),
                    if c.nullable == Some(false) {
                        " NOT NULL"
                    } else {
                        ""
                    },
                    c.comment
                        .as_deref()
                        .map(|x| format!(" -- {x}"))
                        .unwrap_or_default()
                ));
            }
            output(
                cap_text(&text, s.max_text(), "structuredContent"),
                &GetTableResult {
                    full_name,
                    table_type,
                    data_source_format: t.data_source_format,
                    comment: t.comment,
                    owner: t.owner,
                    storage_location: t.storage_location,
                    view_definition: t.view_definition,
                    columns,
                },
            )
        },
    )
}
