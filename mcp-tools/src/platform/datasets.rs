//! Tenant datasets: `upload_dataset_file`, `query_dataset`.

use std::sync::Arc;

use base64::Engine as _;
use databricks_client::platform::{DatasetFormat, DatasetQuery, PlatformError, UploadDataset};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Shared, lib_call, platform_error, starts};
use crate::shared_tools::{ExecuteDbsqlResult, SqlStart, SqlTool, run_sql};
use crate::{DynTool, FnTool, ToolAnnotations, ToolError, ToolOutput, ToolSpec};

/// File format of a dataset.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum FileFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// JSON (one object per line, or an array).
    Json,
    /// Apache Parquet (binary: pass `content_base64`).
    Parquet,
}

impl From<FileFormat> for DatasetFormat {
    fn from(f: FileFormat) -> Self {
        match f {
            FileFormat::Csv => Self::Csv,
            FileFormat::Json => Self::Json,
            FileFormat::Parquet => Self::Parquet,
        }
    }
}

/// Arguments of `upload_dataset_file`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct UploadDatasetArgs {
    /// Tenant id: lowercase letters, digits and `_`.
    tenant_id: String,
    /// Dataset name, which becomes the table name: lowercase letters, digits and `_`.
    dataset_name: String,
    /// File content, base64-encoded (any format). Give this OR `content_text`.
    #[serde(default)]
    content_base64: Option<String>,
    /// File content as text (CSV or JSON). Give this OR `content_base64`.
    #[serde(default)]
    content_text: Option<String>,
    /// The file's format.
    file_format: FileFormat,
    /// Replace an existing file and table of the same name (default false).
    #[serde(default)]
    overwrite: bool,
}

/// Result of `upload_dataset_file`.
#[derive(Debug, Serialize, JsonSchema)]
struct UploadDatasetResult {
    /// Full table name, `catalog.schema.table`.
    table_path: String,
    /// Volume path of the uploaded file.
    volume_path: String,
    /// Bytes uploaded.
    bytes: usize,
    /// File format.
    file_format: String,
}

/// Arguments of `query_dataset`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct QueryDatasetArgs {
    /// Tenant id: lowercase letters, digits and `_`.
    tenant_id: String,
    /// Dataset to read (all columns). Give this OR `sql`.
    #[serde(default)]
    dataset_name: Option<String>,
    /// A read-only SQL query; unqualified names resolve in the tenant's dataset schema, and
    /// tables of other catalogs are refused. Give this OR `dataset_name`.
    #[serde(default)]
    sql: Option<String>,
    /// Rows to return at most (capped by the server).
    #[serde(default)]
    limit: Option<u64>,
}

/// The file content of `upload_dataset_file`: exactly one of base64 or text, parquet only as
/// base64.
fn content(
    tool: &str,
    base64: Option<String>,
    text: Option<String>,
    format: DatasetFormat,
) -> Result<Vec<u8>, ToolError> {
    match (base64, text) {
        (Some(b), None) => base64::engine::general_purpose::STANDARD
            .decode(b.trim())
            .map_err(|e| {
                ToolError::invalid_params(
                    tool,
                    format!("`content_base64` is not valid base64 ({e}); encode the file with standard base64"),
                )
            }),
        (None, Some(t)) if !format.is_binary() => Ok(t.into_bytes()),
        (None, Some(_)) => Err(ToolError::invalid_params(
            tool,
            "parquet is binary; pass it as `content_base64`",
        )),
        _ => Err(ToolError::invalid_params(
            tool,
            "give exactly one of `content_base64` or `content_text`",
        )),
    }
}

pub(super) fn upload_dataset_file(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<UploadDatasetArgs, UploadDatasetResult>(
            "upload_dataset_file",
            "Uploads a CSV, JSON or Parquet file (base64 or text) into the tenant's dataset volume and creates a table over it with read_files on the SQL warehouse; returns the table and volume paths. Refuses to replace an existing file unless `overwrite` is true (which also replaces the table).",
        )
        .with_title("Upload dataset file")
        .with_annotations(starts()),
        |s, a: UploadDatasetArgs, _ctx| async move {
            const TOOL: &str = "upload_dataset_file";
            let format = DatasetFormat::from(a.file_format);
            // Names first, as the library would: a bad name is reported before bad content.
            lib_call!(TOOL, s.platform.policy().dataset(&a.tenant_id, &a.dataset_name));
            let bytes = content(TOOL, a.content_base64, a.content_text, format)?;
            let upload = UploadDataset::new(a.tenant_id, a.dataset_name, bytes, format)
                .with_overwrite(a.overwrite);
            let up = match s.platform.upload_dataset(upload).await {
                Ok(up) => up,
                Err(e) => return upload_error(&e, format),
            };
            ToolOutput::structured(
                format!(
                    "Uploaded {} bytes to {} and created table {}.",
                    up.bytes, up.volume_path, up.table_path
                ),
                &UploadDatasetResult {
                    table_path: up.table_path,
                    volume_path: up.volume_path,
                    bytes: up.bytes,
                    file_format: up.format.as_str().to_owned(),
                },
            )
        },
    )
}

/// A failed upload with the next step for the step that failed.
fn upload_error(e: &PlatformError, format: DatasetFormat) -> Result<ToolOutput, ToolError> {
    const TOOL: &str = "upload_dataset_file";
    let mut out = platform_error(TOOL, e)?;
    match e {
        PlatformError::NotProvisioned { catalog, source } if source.is_not_found() => {
            out.text.push_str(&format!(
                "\nThe tenant catalog {catalog} may not exist; create it with create_catalog first."
            ));
        }
        PlatformError::Upload { exists: true, .. } => {
            out.text.push_str("\nThe file already exists; pass `overwrite: true` to replace the file and the table.");
        }
        PlatformError::CreateTable { .. } => {
            out = ToolOutput::error(format!(
                "{TOOL}: {e}\nNext: check that the content is valid {}{}, then call upload_dataset_file again with `overwrite: true`; if the warehouse is stopped or missing, the operator must start it or configure another warehouse id.",
                format.as_str(),
                if format == DatasetFormat::Csv {
                    " with a header row"
                } else {
                    ""
                }
            ));
        }
        _ => {}
    }
    Ok(out)
}

/// How `query_dataset` speaks in [`run_sql`]: no `statement_id` argument, so a statement past
/// the wait is cancelled.
const QUERY_DATASET: SqlTool = SqlTool {
    name: "query_dataset",
    resumable: false,
    fix_hint: "fix the SQL (names resolve in the tenant's dataset schema) and call query_dataset again",
    more_hint: "narrow the query (WHERE, aggregates) or add ORDER BY … LIMIT/OFFSET to page",
};

/// `query_dataset` is `execute_dbsql`'s implementation ([`run_sql`]) behind the tenant policy:
/// the library builds the statement after [`TenantPolicy::check_sql`](databricks_client::platform::TenantPolicy::check_sql).
pub(super) fn query_dataset(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<QueryDatasetArgs, ExecuteDbsqlResult>(
            "query_dataset",
            "Reads a tenant dataset, or runs a read-only SQL query restricted to the tenant's catalog, on the SQL warehouse; rows are capped. The result has the shape of execute_dbsql's.",
        )
        .with_title("Query tenant dataset")
        .with_annotations(ToolAnnotations::read_only()),
        |s, a: QueryDatasetArgs, ctx| async move {
            const TOOL: &str = "query_dataset";
            let query = match (a.dataset_name, a.sql) {
                (Some(d), None) => DatasetQuery::Dataset(d),
                (None, Some(sql)) => DatasetQuery::Sql(sql),
                _ => {
                    // A bad tenant id is reported first, as before.
                    lib_call!(TOOL, s.platform.policy().catalog(&a.tenant_id));
                    return Err(ToolError::invalid_params(
                        TOOL,
                        "give exactly one of `dataset_name` or `sql`",
                    ));
                }
            };
            let limits = s.opts.limits;
            let request = lib_call!(
                TOOL,
                s.platform
                    .dataset_statement(&a.tenant_id, &query, limits.fetch_rows(a.limit))
            );
            run_sql(
                &QUERY_DATASET,
                s.client(),
                SqlStart::Execute(Box::new(request)),
                (s.opts.wait.max_wait, &s.opts.wait),
                (limits.effective_rows(a.limit), limits.max_text_bytes),
                &ctx,
            )
            .await
        },
    )
}
