//! MCP resources over a Databricks workspace: Unity Catalog table schemas and notebook sources.

use std::fmt;

use async_trait::async_trait;
use databricks_client::WorkspaceClient;
use databricks_client::api::ListTablesOptions;
use databricks_client::models::workspace::{ExportFormat, Language, ObjectType};
use futures::{Stream, TryStreamExt};
use serde_json::{Value, json};

use crate::paging::page_stream;
use crate::{
    DEFAULT_MAX_TEXT_BYTES, ResourceContent, ResourceError, ResourceInfo, ResourcePage,
    ResourceProvider, ResourceTemplateInfo, cap_text, explain_client_error,
};

const TABLES: &str = "databricks://tables/";
const NOTEBOOKS: &str = "databricks://notebooks/";

/// What [`WorkspaceResources`] serves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WorkspaceResourcesOptions {
    /// Schemas whose tables are listed, as `catalog.schema`. Any table can still be read by URI.
    pub table_scopes: Vec<String>,
    /// The workspace folder whose notebooks are listed (recursively); `None` lists none. Any
    /// notebook can still be read by URI.
    pub notebook_root: Option<String>,
    /// Resources per `resources/list` page (default 50, at least 1).
    pub page_size: usize,
    /// Text bytes per read resource at most (default [`DEFAULT_MAX_TEXT_BYTES`]).
    pub max_text_bytes: usize,
}

impl Default for WorkspaceResourcesOptions {
    fn default() -> Self {
        Self {
            table_scopes: Vec::new(),
            notebook_root: None,
            page_size: 50,
            max_text_bytes: DEFAULT_MAX_TEXT_BYTES,
        }
    }
}

impl WorkspaceResourcesOptions {
    /// Nothing listed (reads by URI still work).
    pub fn new() -> Self {
        Self::default()
    }

    /// Lists the tables of `catalog.schema`.
    pub fn with_table_scope(mut self, catalog_dot_schema: impl Into<String>) -> Self {
        self.table_scopes.push(catalog_dot_schema.into());
        self
    }

    /// Lists the notebooks under `path`.
    pub fn with_notebook_root(mut self, path: impl Into<String>) -> Self {
        self.notebook_root = Some(path.into());
        self
    }

    /// Sets the page size.
    pub fn with_page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size.max(1);
        self
    }

    /// Sets the text cap per read.
    pub fn with_max_text_bytes(mut self, max: usize) -> Self {
        self.max_text_bytes = max;
        self
    }
}

/// Unity Catalog table schemas (`databricks://tables/{catalog}/{schema}/{table}`, JSON) and
/// workspace notebook sources (`databricks://notebooks/{+path}`, source text) as MCP resources.
///
/// Listing pages through the configured schemas, then the notebooks under the configured root,
/// `page_size` at a time; reading works for any table or notebook the identity can see.
///
/// ```no_run
/// use std::sync::Arc;
/// use mcp_tools::{ResourceSet, WorkspaceResources, WorkspaceResourcesOptions};
/// # fn demo(client: databricks_client::WorkspaceClient) {
/// let resources = WorkspaceResources::new(
///     client,
///     WorkspaceResourcesOptions::new()
///         .with_table_scope("main.sales")
///         .with_notebook_root("/Shared/analytics"),
/// );
/// let set = ResourceSet::new().with_provider(Arc::new(resources));
/// # }
/// ```
#[derive(Clone)]
pub struct WorkspaceResources {
    client: WorkspaceClient,
    options: WorkspaceResourcesOptions,
}

impl fmt::Debug for WorkspaceResources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkspaceResources")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl WorkspaceResources {
    /// Resources of the workspace `client` talks to.
    pub fn new(client: WorkspaceClient, options: WorkspaceResourcesOptions) -> Self {
        Self { client, options }
    }

    /// The URI of a table's schema resource.
    pub fn table_uri(catalog: &str, schema: &str, table: &str) -> String {
        format!("{TABLES}{catalog}/{schema}/{table}")
    }

    /// The URI of a notebook's source resource (`path` is absolute).
    pub fn notebook_uri(path: &str) -> String {
        format!("{NOTEBOOKS}{}", path.trim_start_matches('/'))
    }

    fn page_size(&self) -> usize {
        self.options.page_size.max(1)
    }

    /// A page of `stream` from `offset`, with the cursor of the next page.
    async fn page<T, S>(
        &self,
        stream: S,
        offset: usize,
        kind: String,
    ) -> Result<(Vec<T>, Option<String>), ResourceError>
    where
        S: Stream<Item = databricks_client::Result<T>>,
    {
        let page = page_stream(stream, offset, self.page_size())
            .await
            .map_err(|e| ResourceError::Backend(explain_client_error("resources/list", &e)))?;
        let next = page.next_offset.map(|n| format!("{kind}:{n}"));
        Ok((page.items, next))
    }

    async fn list_tables(
        &self,
        scope_index: usize,
        offset: usize,
    ) -> Result<ResourcePage, ResourceError> {
        let Some(scope) = self.options.table_scopes.get(scope_index) else {
            return self.list_notebooks(0).await;
        };
        let Some((catalog, schema)) = scope.split_once('.') else {
            return Err(ResourceError::Backend(format!(
                "table scope `{scope}` is not `catalog.schema`; fix the server's resource configuration"
            )));
        };
        let stream = self.client.catalog().list_tables(
            catalog,
            schema,
            ListTablesOptions::default()
                .with_omit_columns(true)
                .with_omit_properties(true),
        );
        let (tables, next) = self.page(stream, offset, format!("t{scope_index}")).await?;
        let resources = tables
            .into_iter()
            .map(|t| {
                let catalog = if t.catalog_name.is_empty() {
                    catalog
                } else {
                    &t.catalog_name
                };
                let schema = if t.schema_name.is_empty() {
                    schema
                } else {
                    &t.schema_name
                };
                let full = format!("{catalog}.{schema}.{}", t.name);
                let mut info = ResourceInfo::new(Self::table_uri(catalog, schema, &t.name), &full)
                    .with_title(format!("Schema of {full}"))
                    .with_mime_type("application/json");
                if let Some(c) = t.comment.filter(|c| !c.is_empty()) {
                    info = info.with_description(c);
                }
                info
            })
            .collect();
        let next = next.or_else(|| {
            if scope_index + 1 < self.options.table_scopes.len() {
                Some(format!("t{}:0", scope_index + 1))
            } else {
                self.options
                    .notebook_root
                    .as_ref()
                    .map(|_| "n:0".to_owned())
            }
        });
        Ok(ResourcePage::new(resources, next))
    }

    async fn list_notebooks(&self, offset: usize) -> Result<ResourcePage, ResourceError> {
        let Some(root) = &self.options.notebook_root else {
            return Ok(ResourcePage::default());
        };
        // One listing in flight keeps the walk's order stable, so offsets are stable cursors.
        let stream = self
            .client
            .workspace()
            .list_recursive(root, 1)
            .try_filter(|o| futures::future::ready(o.object_type == Some(ObjectType::Notebook)));
        let (notebooks, next) = self.page(stream, offset, "n".to_owned()).await?;
        let resources = notebooks
            .into_iter()
            .map(|o| {
                let name = o.path.rsplit('/').next().unwrap_or(&o.path).to_owned();
                let mut info = ResourceInfo::new(Self::notebook_uri(&o.path), name)
                    .with_title(format!("Notebook {}", o.path))
                    .with_mime_type(mime_for(o.language.as_ref()));
                if let Some(l) = &o.language {
                    info = info.with_description(format!("{} notebook source", l.as_str()));
                }
                info
            })
            .collect();
        Ok(ResourcePage::new(resources, next))
    }

    async fn read_table(
        &self,
        uri: &str,
        rest: &str,
    ) -> Result<Vec<ResourceContent>, ResourceError> {
        let parts: Vec<&str> = rest.split('/').collect();
        let [catalog, schema, table] = parts.as_slice() else {
            return Err(ResourceError::not_found(
                uri,
                "a table URI is databricks://tables/{catalog}/{schema}/{table}",
            ));
        };
        if [catalog, schema, table].iter().any(|p| p.is_empty()) {
            return Err(ResourceError::not_found(
                uri,
                "a table URI is databricks://tables/{catalog}/{schema}/{table}",
            ));
        }
        let full = format!("{catalog}.{schema}.{table}");
        let t = self
            .client
            .catalog()
            .get_table(&full)
            .await
            .map_err(|e| read_error(uri, &e))?;
        let columns: Vec<Value> = t
            .columns
            .iter()
            .map(|c| {
                json!({
                    "name": c.name,
                    "type": c.type_text.as_deref().or(c.type_name.as_deref()),
                    "nullable": c.nullable,
                    "comment": c.comment,
                })
            })
            .collect();
        let doc = json!({
            "full_name": t.full_name.clone().unwrap_or(full),
            "table_type": t.table_type.as_ref().map(|k| k.as_str().to_owned()),
            "data_source_format": t.data_source_format,
            "comment": t.comment,
            "owner": t.owner,
            "storage_location": t.storage_location,
            "columns": columns,
            "view_definition": t.view_definition,
        });
        let text = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| doc.to_string());
        Ok(vec![
            ResourceContent::text(
                uri,
                cap_text(&text, self.options.max_text_bytes, "get_table"),
            )
            .with_mime_type("application/json"),
        ])
    }

    async fn read_notebook(
        &self,
        uri: &str,
        rest: &str,
    ) -> Result<Vec<ResourceContent>, ResourceError> {
        if rest.is_empty() || rest.split('/').any(|s| s == ".." || s.is_empty()) {
            return Err(ResourceError::not_found(
                uri,
                "a notebook URI is databricks://notebooks/{path without the leading slash}",
            ));
        }
        let path = format!("/{rest}");
        let exported = self
            .client
            .workspace()
            .export(&path, ExportFormat::Source)
            .await
            .map_err(|e| read_error(uri, &e))?;
        let text = String::from_utf8_lossy(&exported.content);
        let mime = match exported.file_type.as_deref() {
            Some("py") => "text/x-python",
            Some("sql") => "application/sql",
            Some("scala") => "text/x-scala",
            Some("r") | Some("R") => "text/x-r",
            _ => "text/plain",
        };
        Ok(vec![
            ResourceContent::text(
                uri,
                cap_text(&text, self.options.max_text_bytes, "export_notebook"),
            )
            .with_mime_type(mime),
        ])
    }
}

fn mime_for(language: Option<&Language>) -> &'static str {
    match language {
        Some(Language::Python) => "text/x-python",
        Some(Language::Sql) => "application/sql",
        Some(Language::Scala) => "text/x-scala",
        Some(Language::R) => "text/x-r",
        _ => "text/plain",
    }
}

fn read_error(uri: &str, e: &databricks_client::Error) -> ResourceError {
    if e.is_not_found() {
        ResourceError::not_found(uri, e.to_string())
    } else {
        ResourceError::Backend(explain_client_error("resources/read", e))
    }
}

fn parse_cursor(cursor: &str) -> Option<(char, usize, usize)> {
    let (kind, offset) = cursor.split_once(':')?;
    let offset: usize = offset.parse().ok()?;
    match kind.split_at_checked(1)? {
        ("n", "") => Some(('n', 0, offset)),
        ("t", index) => Some(('t', index.parse().ok()?, offset)),
        _ => None,
    }
}

#[async_trait]
impl ResourceProvider for WorkspaceResources {
    fn templates(&self) -> Vec<ResourceTemplateInfo> {
        vec![
            ResourceTemplateInfo::new(
                "databricks://tables/{catalog}/{schema}/{table}",
                "unity-catalog-table",
            )
            .with_description(
                "The schema of a Unity Catalog table or view: type, comment, owner, columns with types, nullability and comments.",
            )
            .with_mime_type("application/json"),
            ResourceTemplateInfo::new("databricks://notebooks/{+path}", "workspace-notebook")
                .with_description(
                    "The source of a workspace notebook (path without the leading slash).",
                ),
        ]
    }

    fn handles(&self, uri: &str) -> bool {
        uri.starts_with(TABLES) || uri.starts_with(NOTEBOOKS)
    }

    async fn list(&self, cursor: Option<&str>) -> Result<ResourcePage, ResourceError> {
        let bad = |c: &str| ResourceError::InvalidCursor {
            cursor: c.to_owned(),
        };
        match cursor {
            None if !self.options.table_scopes.is_empty() => self.list_tables(0, 0).await,
            None => self.list_notebooks(0).await,
            Some(c) => match parse_cursor(c).ok_or_else(|| bad(c))? {
                ('t', index, _) if index >= self.options.table_scopes.len() => Err(bad(c)),
                ('t', index, offset) => self.list_tables(index, offset).await,
                (_, _, offset) => self.list_notebooks(offset).await,
            },
        }
    }

    async fn read(&self, uri: &str) -> Result<Vec<ResourceContent>, ResourceError> {
        if let Some(rest) = uri.strip_prefix(TABLES) {
            self.read_table(uri, rest).await
        } else if let Some(rest) = uri.strip_prefix(NOTEBOOKS) {
            self.read_notebook(uri, rest).await
        } else {
            Err(ResourceError::not_found(
                uri,
                "this server's resources start with databricks://tables/ or databricks://notebooks/",
            ))
        }
    }
}
