//! Workspace files and DBFS tools: `list_notebooks`, `export_notebook`, `import_notebook`,
//! `list_dbfs_files`, `read_dbfs_file`.

use std::sync::Arc;

use databricks_client::models::workspace::{ExportFormat, ImportRequest, Language, ObjectInfo};
use futures::StreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Paged, Shared, Window, call, list_text, or_dash, output, page_all};
use crate::{DynTool, FnTool, ToolAnnotations, ToolOutput, ToolSpec, cap_text};

/// Arguments of `list_notebooks`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListNotebooksArgs {
    /// Workspace folder to list (default `/`), for example `/Users/someone@example.com`.
    #[serde(default)]
    path: Option<String>,
    /// Most entries to return (capped by the server's row limit).
    #[serde(default)]
    limit: Option<u64>,
    /// Entries to skip: pass `next_offset` of the previous call to get the next page.
    #[serde(default)]
    offset: Option<u64>,
}

/// One workspace object.
#[derive(Debug, Serialize, JsonSchema)]
struct WorkspaceEntry {
    /// Absolute workspace path.
    path: String,
    /// `NOTEBOOK`, `DIRECTORY`, `FILE`, `LIBRARY`, `REPO` or `DASHBOARD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    object_type: Option<String>,
    /// Notebook language: `PYTHON`, `SQL`, `SCALA` or `R`.
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<String>,
    /// Object id.
    #[serde(skip_serializing_if = "Option::is_none")]
    object_id: Option<i64>,
    /// Last modification (epoch milliseconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    modified_at: Option<i64>,
}

impl WorkspaceEntry {
    fn from_info(o: ObjectInfo) -> Self {
        Self {
            object_type: o.object_type.as_ref().map(ToString::to_string),
            language: o.language.as_ref().map(ToString::to_string),
            path: o.path,
            object_id: o.object_id,
            modified_at: o.modified_at,
        }
    }
}

/// Result of `list_notebooks`.
#[derive(Debug, Serialize, JsonSchema)]
struct ListNotebooksResult {
    /// The folder listed.
    path: String,
    /// Its entries (notebooks, folders, files), sorted by path.
    objects: Vec<WorkspaceEntry>,
    /// `true` when more entries exist.
    truncated: bool,
    /// The `offset` of the next page, when `truncated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_offset: Option<u64>,
}

pub(super) fn list_notebooks(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<ListNotebooksArgs, ListNotebooksResult>(
            "list_notebooks",
            "List the notebooks, folders and files of one workspace folder (not recursive), sorted \
                by path. Descend by calling it again with a folder's path; read a notebook with \
                export_notebook. Paginated with `limit` and `offset`.",
        )
        .with_title("List workspace notebooks")
        .with_annotations(ToolAnnotations::read_only()),
        move |s, args: ListNotebooksArgs, _ctx| async move {
            let path = args
                .path
                .filter(|p| !p.trim().is_empty())
                .unwrap_or_else(|| "/".to_owned());
            let window = Window::new(&s.limits(), args.offset, args.limit);
            let mut objects = call!("list_notebooks", s.client.workspace().list(&path).await);
            objects.sort_by(|a, b| a.path.cmp(&b.path));
            let page = page_all(objects, window);
            let page = Paged {
                items: page
                    .items
                    .into_iter()
                    .map(WorkspaceEntry::from_info)
                    .collect(),
                next_offset: page.next_offset,
            };
            let text = list_text(
                &format!("objects in {path}"),
                "list_notebooks",
                &page,
                s.max_text(),
                |o| {
                    format!(
                        "{} | {}{}",
                        o.path,
                        or_dash(o.object_type.as_deref()),
                        o.language
                            .as_deref()
                            .map(|l| format!(" {l}"))
                            .unwrap_or_default()
                    )
                },
            );
            output(
                text,
                &ListNotebooksResult {
                    path,
                    truncated: page.next_offset.is_some(),
                    next_offset: page.next_offset,
                    objects: page.items,
                },
            )
        },
    )
}

fn parse_format(f: Option<&str>) -> Result<ExportFormat, ToolOutput> {
    match f.unwrap_or("SOURCE").trim().to_uppercase().as_str() {
        "SOURCE" => Ok(ExportFormat::Source),
        "JUPYTER" => Ok(ExportFormat::Jupyter),
        "HTML" => Ok(ExportFormat::Html),
        "R_MARKDOWN" => Ok(ExportFormat::RMarkdown),
        "AUTO" => Ok(ExportFormat::Auto),
        other => Err(ToolOutput::error(format!(
            "unsupported format `{other}`; use SOURCE (default), JUPYTER, HTML, R_MARKDOWN or AUTO"
        ))),
    }
}

/// Arguments of `export_notebook`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ExportNotebookArgs {
    /// Workspace path of the notebook (from list_notebooks).
    path: String,
    /// `SOURCE` (default: the notebook as source code), `JUPYTER`, `HTML`, `R_MARKDOWN` or `AUTO`.
    #[serde(default)]
    format: Option<String>,
}

/// Result of `export_notebook`.
#[derive(Debug, Serialize, JsonSchema)]
struct ExportNotebookResult {
    /// The notebook's path.
    path: String,
    /// The format exported.
    format: String,
    /// The file type the server reported (for example `py`).
    #[serde(skip_serializing_if = "Option::is_none")]
    file_type: Option<String>,
    /// Size of the full content in bytes.
    size_bytes: usize,
    /// The content as text, capped at the server's text limit.
    content: String,
    /// `true` when `content` was cut.
    truncated: bool,
}

pub(super) fn export_notebook(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<ExportNotebookArgs, ExportNotebookResult>(
            "export_notebook",
            "Export a notebook's content as text (SOURCE format by default: the notebook as a \
                source file with cell separators). Long notebooks are cut at the server's text \
                limit (`truncated: true`).",
        )
        .with_title("Export a notebook")
        .with_annotations(ToolAnnotations::read_only()),
        move |s, args: ExportNotebookArgs, _ctx| async move {
            let format = match parse_format(args.format.as_deref()) {
                Ok(f) => f,
                Err(out) => return Ok(out),
            };
            let exported = call!(
                "export_notebook",
                s.client
                    .workspace()
                    .export(&args.path, format.clone())
                    .await
            );
            let size_bytes = exported.content.len();
            let full = String::from_utf8_lossy(&exported.content);
            let content = cap_text(
                &full,
                s.max_text(),
                "the workspace (open the notebook there)",
            );
            let truncated = content.len() != full.len() || content != full;
            let text = format!("{} ({format}, {size_bytes} bytes)\n{content}", args.path);
            output(
                cap_text(&text, s.max_text().saturating_add(256), "structuredContent"),
                &ExportNotebookResult {
                    path: args.path,
                    format: format.to_string(),
                    file_type: exported.file_type,
                    size_bytes,
                    content,
                    truncated,
                },
            )
        },
    )
}

/// Arguments of `import_notebook`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ImportNotebookArgs {
    /// Workspace path to write, for example `/Users/someone@example.com/analysis`.
    path: String,
    /// Notebook language: `PYTHON`, `SQL`, `SCALA` or `R`.
    language: String,
    /// The notebook source code (SOURCE format).
    content: String,
    /// Replace an existing notebook at `path` (default false: an existing object is an error).
    #[serde(default)]
    overwrite: bool,
}

/// Result of `import_notebook`.
#[derive(Debug, Serialize, JsonSchema)]
struct ImportNotebookResult {
    /// The path written.
    path: String,
    /// The language.
    language: String,
    /// Bytes written.
    size_bytes: usize,
    /// Whether an existing notebook could have been replaced.
    overwrite: bool,
}

/// `import_notebook` writes to the workspace; with `overwrite` it replaces an existing notebook,
/// so it is marked destructive (annotations are per tool, not per call).
pub(super) fn import_notebook(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<ImportNotebookArgs, ImportNotebookResult>(
            "import_notebook",
            "Create a notebook from source code (SOURCE format) at a workspace path. With \
                overwrite=true an existing notebook at that path is replaced.",
        )
        .with_title("Import a notebook")
        .with_annotations(ToolAnnotations::destructive()),
        move |s, args: ImportNotebookArgs, _ctx| async move {
            let language = match args.language.trim().to_uppercase().as_str() {
                "PYTHON" => Language::Python,
                "SQL" => Language::Sql,
                "SCALA" => Language::Scala,
                "R" => Language::R,
                other => {
                    return Ok(ToolOutput::error(format!(
                        "import_notebook: unknown language `{other}`; use PYTHON, SQL, SCALA or R"
                    )));
                }
            };
            let size_bytes = args.content.len();
            let request =
                ImportRequest::notebook(&args.path, language.clone(), args.content.into_bytes())
                    .with_overwrite(args.overwrite);
            call!(
                "import_notebook",
                s.client.workspace().import(&request).await
            );
            output(
                format!("imported {} ({language}, {size_bytes} bytes)", args.path),
                &ImportNotebookResult {
                    path: args.path,
                    language: language.to_string(),
                    size_bytes,
                    overwrite: args.overwrite,
                },
            )
        },
    )
}

/// Arguments of `list_dbfs_files`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListDbfsArgs {
    /// DBFS directory, for example `/databricks-datasets` (default `/`).
    #[serde(default)]
    path: Option<String>,
    /// Most entries to return (capped by the server's row limit).
    #[serde(default)]
    limit: Option<u64>,
    /// Entries to skip: pass `next_offset` of the previous call to get the next page.
    #[serde(default)]
    offset: Option<u64>,
}

/// One DBFS entry.
#[derive(Debug, Serialize, JsonSchema)]
struct DbfsEntry {
    /// Absolute DBFS path.
    path: String,
    /// Whether it is a directory.
    is_dir: bool,
    /// Size in bytes (0 for directories).
    file_size: i64,
    /// Last modification (epoch milliseconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    modification_time: Option<i64>,
}

/// Result of `list_dbfs_files`.
#[derive(Debug, Serialize, JsonSchema)]
struct ListDbfsResult {
    /// The directory listed.
    path: String,
    /// Its entries, sorted by path.
    files: Vec<DbfsEntry>,
    /// `true` when more entries exist.
    truncated: bool,
    /// The `offset` of the next page, when `truncated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_offset: Option<u64>,
}

pub(super) fn list_dbfs_files(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
        ToolSpec::new::<ListDbfsArgs, ListDbfsResult>(
            "list_dbfs_files",
            "List a DBFS directory (path, directory flag, size), sorted by path. Read a file with \
                read_dbfs_file. Paginated with `limit` and `offset`.",
        )
        .with_title("List DBFS files")
        .with_annotations(ToolAnnotations::read_only()),
        move |s, args: ListDbfsArgs, _ctx| async move {
            let path = args
                .path
                .filter(|p| !p.trim().is_empty())
                .unwrap_or_else(|| "/".to_owned());
            let window = Window::new(&s.limits(), args.offset, args.limit);
            let mut files = call!("list_dbfs_files", s.client.dbfs().list(&path).await);
            files.sort_by(|a, b| a.path.cmp(&b.path));
            let page = page_all(files, window);
            let page = Paged {
                items: page
                    .items
                    .into_iter()
                    .map(|f| DbfsEntry {
                        path: f.path,
                        is_dir: f.is_dir,
                        file_size: f.file_size,
                        modification_time: f.modification_time,
                    })
                    .collect(),
                next_offset: page.next_offset,
            };
            let text = list_text(
                &format!("entries in {path}"),
                "list_dbfs_files",
                &page,
                s.max_text(),
                |f| {
                    if f.is_dir {
                        format!("{}/", f.path.trim_end_matches('/'))
                    } else {
                        format!("{} | {} bytes", f.path, f.file_size)
                    }
                },
            );
            output(
                text,
                &ListDbfsResult {
                    path,
                    truncated: page.next_offset.is_some(),
                    next_offset: page.next_offset,
                    files: page.items,
                },
            )
        },
    )
}

/// Arguments of `read_dbfs_file`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReadDbfsArgs {
    /// DBFS file path, for example `/tmp/report.csv`.
    path: String,
    /// Byte offset to start at (default 0): pass `next_offset` of the previous call to continue.
    #[serde(default)]
    offset: Option<u64>,
    /// Bytes to read (default and maximum: the server's text limit).
    #[serde(default)]
    length: Option<u64>,
}

/// Result of `read_dbfs_file`.
#[derive(Debug, Serialize, JsonSchema)]
struct ReadDbfsResult {
    /// The file.
    path: String,
    /// Offset of the first byte returned.
    offset: u64,
    /// Bytes read.
    bytes_read: usize,
    /// The bytes as UTF-8 text; absent for binary content.
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<String>,
    /// `true` when the bytes are not UTF-8 text (content is then left out).
    binary: bool,
    /// `true` when the read may not have reached the end of the file.
    truncated: bool,
    /// The offset to continue from, when `truncated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_offset: Option<u64>,
}

pub(super) fn read_dbfs_file(s: &Arc<Shared>) -> DynTool {
    let max = s.max_text();
    FnTool::with_state(
        s,
        ToolSpec::new::<ReadDbfsArgs, ReadDbfsResult>(
            "read_dbfs_file",
            format!(
                "Read part of a DBFS file as text: `offset` and `length` in bytes (at most {max} \
                    per call). Binary content is reported as binary, not returned. `next_offset` \
                    continues."
            ),
        )
        .with_title("Read a DBFS file")
        .with_annotations(ToolAnnotations::read_only()),
        move |s, args: ReadDbfsArgs, _ctx| async move {
            let max = s.max_text();
            let length = args
                .length
                .and_then(|l| usize::try_from(l).ok())
                .unwrap_or(max)
                .clamp(1, max);
            let offset = args.offset.unwrap_or(0);
            let mut stream = Box::pin(s.client.dbfs().read_from(&args.path, offset, length));
            let chunk = match stream.next().await {
                Some(Ok(bytes)) => bytes.to_vec(),
                Some(Err(e)) => return Ok(crate::client_error_output("read_dbfs_file", &e)),
                None => Vec::new(),
            };
            let read = chunk.len();
            let truncated = read >= length;
            let (content, binary, bytes_read) = match String::from_utf8(chunk) {
                Ok(t) if !t.contains('\0') => (Some(t), false, read),
                Ok(_) => (None, true, read),
                // A multi-byte character cut at the end of the window is still text; the cut
                // character is read again by the next call.
                Err(e) if e.utf8_error().error_len().is_none() && truncated => {
                    let valid = e.utf8_error().valid_up_to();
                    let bytes = e.into_bytes();
                    let text = String::from_utf8_lossy(bytes.get(..valid).unwrap_or_default())
                        .into_owned();
                    (Some(text), false, valid)
                }
                Err(_) => (None, true, read),
            };
            let next_offset = truncated.then(|| offset.saturating_add(bytes_read as u64));
            let mut text = match &content {
                Some(c) => format!(
                    "{} \
                    [{offset}..{}]\n{c}",
                    args.path,
                    offset.saturating_add(bytes_read as u64)
                ),
                None => format!(
                    "{}: {bytes_read} bytes of binary content at offset {offset}; not shown \
                        (download it with the Databricks CLI: databricks fs cp)",
                    args.path
                ),
            };
            if let Some(n) = next_offset {
                text.push_str(&format!(
                    "\n[truncated: true; call read_dbfs_file with offset={n} to \
                    continue]"
                ));
            }
            output(
                cap_text(&text, max.saturating_add(512), "structuredContent"),
                &ReadDbfsResult {
                    path: args.path,
                    offset,
                    bytes_read,
                    content,
                    binary,
                    truncated,
                    next_offset,
                },
            )
        },
    )
}
