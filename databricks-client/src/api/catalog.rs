//! Unity Catalog (`/api/2.1/unity-catalog`, notes §4.10) and metric view discovery (§4.14).
//!
//! Lists are token-paged streams. Unless the caller sets `max_results`, every list except
//! volumes sends `max_results=0` (paginated, server-chosen page size), as the official SDKs do:
//! without it the server falls back to a legacy unpaginated call (notes §3.3).

use futures::{Stream, TryStreamExt};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::statements::{require, segment};
use crate::models::{
    CatalogInfo, CreateCatalog, CreateSchema, CreateVolume, ExecuteStatementRequest, FunctionInfo,
    MetricView, SchemaInfo, SqlValue, TableInfo, TableSummary, VolumeInfo,
};
use crate::pagination::{Page, token_list};
use crate::{Error, Result, WorkspaceClient};

const BASE: &str = "/api/2.1/unity-catalog";

impl WorkspaceClient {
    /// Unity Catalog: catalogs, schemas, tables, functions, volumes and metric views.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    ///
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let uc = client.catalog();
    /// let tables: Vec<_> = uc.list_tables("main", "sales", Default::default()).try_collect().await?;
    /// for t in tables.iter().filter(|t| t.is_metric_view()) {
    ///     let mv = uc.metric_view(&t.qualified_name(), Some("abc123")).await?;
    ///     println!("{}: {} measures", t.name, mv.definition.measures.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn catalog(&self) -> CatalogApi {
        CatalogApi {
            client: self.clone(),
        }
    }
}

/// Handle for Unity Catalog; cheap to clone.
#[derive(Debug, Clone)]
pub struct CatalogApi {
    client: WorkspaceClient,
}

/// Options of [`CatalogApi::list_tables`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListTablesOptions {
    /// Page size; `None` sends `max_results=0` (server-chosen).
    pub max_results: Option<u32>,
    /// Leave out `columns` (cheaper).
    pub omit_columns: bool,
    /// Leave out `properties`.
    pub omit_properties: bool,
    /// Include tables the caller may only browse.
    pub include_browse: bool,
}

impl ListTablesOptions {
    /// Sets the page size.
    #[must_use]
    pub fn with_max_results(mut self, max_results: u32) -> Self {
        self.max_results = Some(max_results);
        self
    }
    /// Leaves out columns.
    #[must_use]
    pub fn with_omit_columns(mut self, omit: bool) -> Self {
        self.omit_columns = omit;
        self
    }
    /// Leaves out properties.
    #[must_use]
    pub fn with_omit_properties(mut self, omit: bool) -> Self {
        self.omit_properties = omit;
        self
    }
    /// Includes browse-only tables.
    #[must_use]
    pub fn with_include_browse(mut self, include: bool) -> Self {
        self.include_browse = include;
        self
    }
}

/// Where a metric view definition came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DefinitionSource {
    /// `TableInfo::view_definition` of `GET …/tables/{full_name}`.
    ViewDefinition,
    /// The `$$ … $$` body of `SHOW CREATE TABLE`, run through the Statement Execution API.
    ShowCreateTable,
}

/// A metric view: its UC table entry and its parsed definition.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MetricViewDetails {
    /// The UC entry (columns, comment, owner, …).
    pub table: TableInfo,
    /// The parsed YAML definition.
    pub definition: MetricView,
    /// Where the YAML came from.
    pub source: DefinitionSource,
}

#[derive(Deserialize)]
struct UcPage<T> {
    #[serde(
        default = "Vec::new",
        alias = "catalogs",
        alias = "schemas",
        alias = "tables",
        alias = "functions",
        alias = "volumes"
    )]
    items: Vec<T>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct ExistsResponse {
    #[serde(default)]
    table_exists: bool,
}

impl CatalogApi {
    fn list<T>(
        &self,
        path: String,
        params: Vec<(&'static str, String)>,
    ) -> impl Stream<Item = Result<T>> + Send + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        token_list(self.client.clone(), path, params, |page: UcPage<T>| {
            Page::new(page.items, page.next_page_token)
        })
    }

    /// Lists catalogs.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let names: Vec<String> = client.catalog().list_catalogs().map_ok(|c| c.name).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_catalogs(&self) -> impl Stream<Item = Result<CatalogInfo>> + Send + 'static {
        self.list(
            format!("{BASE}/catalogs"),
            vec![("max_results", "0".to_owned())],
        )
    }

    /// Gets a catalog.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let c = client.catalog().get_catalog("main").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_catalog(&self, name: &str) -> Result<CatalogInfo> {
        self.client
            .get(format!(
                "{BASE}/catalogs/{}",
                segment("catalog name", name)?
            ))
            .send_json()
            .await
    }

    /// Creates a catalog.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// use databricks_client::models::CreateCatalog;
    /// let c = client.catalog().create_catalog(&CreateCatalog::new("sandbox").with_comment("scratch")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_catalog(&self, request: &CreateCatalog) -> Result<CatalogInfo> {
        require("catalog name", &request.name)?;
        self.client
            .post(format!("{BASE}/catalogs"))
            .json(request)
            .send_json()
            .await
    }

    /// Deletes a catalog; `force` drops it even when not empty.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// client.catalog().delete_catalog("sandbox", true).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_catalog(&self, name: &str, force: bool) -> Result<()> {
        let mut req = self.client.delete(format!(
            "{BASE}/catalogs/{}",
            segment("catalog name", name)?
        ));
        if force {
            req = req.query_pair("force", "true");
        }
        req.send_empty().await
    }

    /// Lists the schemas of a catalog.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let schemas: Vec<_> = client.catalog().list_schemas("main").try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_schemas(
        &self,
        catalog_name: &str,
    ) -> impl Stream<Item = Result<SchemaInfo>> + Send + 'static {
        self.list(
            format!("{BASE}/schemas"),
            vec![
                ("catalog_name", catalog_name.to_owned()),
                ("max_results", "0".to_owned()),
            ],
        )
    }

    /// Gets a schema by full name (`catalog.schema`).
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let s = client.catalog().get_schema("main.sales").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_schema(&self, full_name: &str) -> Result<SchemaInfo> {
        self.client
            .get(format!(
                "{BASE}/schemas/{}",
                segment("schema full name", full_name)?
            ))
            .send_json()
            .await
    }

    /// Creates a schema.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// use databricks_client::models::CreateSchema;
    /// client.catalog().create_schema(&CreateSchema::new("main", "scratch")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_schema(&self, request: &CreateSchema) -> Result<SchemaInfo> {
        require("schema name", &request.name)?;
        require("catalog name", &request.catalog_name)?;
        self.client
            .post(format!("{BASE}/schemas"))
            .json(request)
            .send_json()
            .await
    }

    /// Deletes a schema; `force` drops it even when not empty.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// client.catalog().delete_schema("main.scratch", false).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_schema(&self, full_name: &str, force: bool) -> Result<()> {
        let mut req = self.client.delete(format!(
            "{BASE}/schemas/{}",
            segment("schema full name", full_name)?
        ));
        if force {
            req = req.query_pair("force", "true");
        }
        req.send_empty().await
    }

    /// Lists the tables (and views, metric views) of a schema.
    ///
    /// ```no_run
    /// use databricks_client::api::ListTablesOptions;
    /// use futures::TryStreamExt;
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let opts = ListTablesOptions::default().with_omit_columns(true);
    /// let tables: Vec<_> = client.catalog().list_tables("main", "sales", opts).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_tables(
        &self,
        catalog_name: &str,
        schema_name: &str,
        options: ListTablesOptions,
    ) -> impl Stream<Item = Result<TableInfo>> + Send + 'static {
        let mut params = vec![
            ("catalog_name", catalog_name.to_owned()),
            ("schema_name", schema_name.to_owned()),
            ("max_results", options.max_results.unwrap_or(0).to_string()),
        ];
        for (flag, on) in [
            ("omit_columns", options.omit_columns),
            ("omit_properties", options.omit_properties),
            ("include_browse", options.include_browse),
        ] {
            if on {
                params.push((flag, "true".to_owned()));
            }
        }
        self.list(format!("{BASE}/tables"), params)
    }

    /// Gets a table by full name (`catalog.schema.table`), with columns and, for views and
    /// metric views, `view_definition`.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let t = client.catalog().get_table("main.sales.orders").await?;
    /// for c in &t.columns { println!("{} {:?}", c.name, c.type_text); }
    /// # Ok(()) }
    /// ```
    pub async fn get_table(&self, full_name: &str) -> Result<TableInfo> {
        self.client
            .get(format!(
                "{BASE}/tables/{}",
                segment("table full name", full_name)?
            ))
            .send_json()
            .await
    }

    /// `true` if the table exists.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// if client.catalog().table_exists("main.sales.orders").await? { /* … */ }
    /// # Ok(()) }
    /// ```
    pub async fn table_exists(&self, full_name: &str) -> Result<bool> {
        let resp: ExistsResponse = self
            .client
            .get(format!(
                "{BASE}/tables/{}/exists",
                segment("table full name", full_name)?
            ))
            .send_json()
            .await?;
        Ok(resp.table_exists)
    }

    /// Cheap bulk discovery: `{full_name, table_type}` of every table of a catalog whose schema
    /// and table names match the SQL `LIKE`-style patterns (`None` = all).
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let all: Vec<_> = client.catalog().table_summaries("main", Some("sales"), None).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn table_summaries(
        &self,
        catalog_name: &str,
        schema_name_pattern: Option<&str>,
        table_name_pattern: Option<&str>,
    ) -> impl Stream<Item = Result<TableSummary>> + Send + 'static {
        let mut params = vec![("catalog_name", catalog_name.to_owned())];
        if let Some(p) = schema_name_pattern {
            params.push(("schema_name_pattern", p.to_owned()));
        }
        if let Some(p) = table_name_pattern {
            params.push(("table_name_pattern", p.to_owned()));
        }
        self.list(format!("{BASE}/table-summaries"), params)
    }

    /// Lists the functions of a schema.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let fns: Vec<_> = client.catalog().list_functions("main", "sales").try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_functions(
        &self,
        catalog_name: &str,
        schema_name: &str,
    ) -> impl Stream<Item = Result<FunctionInfo>> + Send + 'static {
        self.list(
            format!("{BASE}/functions"),
            vec![
                ("catalog_name", catalog_name.to_owned()),
                ("schema_name", schema_name.to_owned()),
                ("max_results", "0".to_owned()),
            ],
        )
    }

    /// Gets a function by full name.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let f = client.catalog().get_function("main.sales.net_price").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_function(&self, full_name: &str) -> Result<FunctionInfo> {
        self.client
            .get(format!(
                "{BASE}/functions/{}",
                segment("function full name", full_name)?
            ))
            .send_json()
            .await
    }

    /// Lists the volumes of a schema (no `max_results` is injected for volumes).
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let vols: Vec<_> = client.catalog().list_volumes("main", "raw").try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_volumes(
        &self,
        catalog_name: &str,
        schema_name: &str,
    ) -> impl Stream<Item = Result<VolumeInfo>> + Send + 'static {
        self.list(
            format!("{BASE}/volumes"),
            vec![
                ("catalog_name", catalog_name.to_owned()),
                ("schema_name", schema_name.to_owned()),
            ],
        )
    }

    /// Gets a volume by full name.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let v = client.catalog().get_volume("main.raw.landing").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_volume(&self, full_name: &str) -> Result<VolumeInfo> {
        self.client
            .get(format!(
                "{BASE}/volumes/{}",
                segment("volume full name", full_name)?
            ))
            .send_json()
            .await
    }

    /// Creates a volume.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// use databricks_client::models::CreateVolume;
    /// client.catalog().create_volume(&CreateVolume::managed("main", "raw", "landing")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_volume(&self, request: &CreateVolume) -> Result<VolumeInfo> {
        require("volume name", &request.name)?;
        self.client
            .post(format!("{BASE}/volumes"))
            .json(request)
            .send_json()
            .await
    }

    /// Deletes a volume.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// client.catalog().delete_volume("main.raw.landing").await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_volume(&self, full_name: &str) -> Result<()> {
        self.client
            .delete(format!(
                "{BASE}/volumes/{}",
                segment("volume full name", full_name)?
            ))
            .send_empty()
            .await
    }

    /// Metric views of a catalog (optionally one schema), found through `table-summaries`
    /// (`table_type == METRIC_VIEW`).
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let mvs: Vec<_> = client.catalog().list_metric_views("main", Some("sales")).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_metric_views(
        &self,
        catalog_name: &str,
        schema_name: Option<&str>,
    ) -> impl Stream<Item = Result<TableSummary>> + Send + 'static {
        self.table_summaries(catalog_name, schema_name, None)
            .try_filter(|t| std::future::ready(t.is_metric_view()))
    }

    /// A metric view's UC entry and parsed YAML definition.
    ///
    /// The definition is read from `view_definition` of `GET …/tables/{full_name}`. When the
    /// workspace leaves it empty and `warehouse_id` is given, the fallback runs
    /// `SHOW CREATE TABLE <full_name>` through the Statement Execution API on that warehouse
    /// and parses the YAML between `$$ … $$`. Without a warehouse the error says to pass one.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the object is not a metric view or no definition is
    /// available; [`Error::Decode`] naming the YAML line when the definition does not parse.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let mv = client.catalog().metric_view("main.sales.orders_mv", Some("abc123")).await?;
    /// for m in &mv.definition.measures { println!("MEASURE({}) = {}", m.name, m.expr); }
    /// # Ok(()) }
    /// ```
    pub async fn metric_view(
        &self,
        full_name: &str,
        warehouse_id: Option<&str>,
    ) -> Result<MetricViewDetails> {
        let table = self.get_table(full_name).await?;
        if !table.is_metric_view() {
            return Err(Error::InvalidArgument(format!(
                "{full_name} is a {} table, not a METRIC_VIEW",
                table.table_type.as_ref().map_or("untyped", |t| t.as_str())
            )));
        }
        let path = format!("{BASE}/tables/{}", segment("table full name", full_name)?);
        if let Some(yaml) = table
            .view_definition
            .as_deref()
            .filter(|y| !y.trim().is_empty())
        {
            let definition = parse_definition(yaml, &path, "view_definition")?;
            return Ok(MetricViewDetails {
                table,
                definition,
                source: DefinitionSource::ViewDefinition,
            });
        }
        let Some(warehouse_id) = warehouse_id else {
            return Err(Error::InvalidArgument(format!(
                "the workspace returned no view_definition for {full_name}; pass a warehouse \
                 id so the definition can be read with SHOW CREATE TABLE"
            )));
        };
        let ddl = self.show_create_table(full_name, warehouse_id).await?;
        let yaml = metric_view_yaml_from_ddl(&ddl).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "SHOW CREATE TABLE {full_name} returned no `$$ … $$` YAML body; check that the \
                 warehouse runs DBSQL with metric view support"
            ))
        })?;
        let definition = parse_definition(yaml, "/api/2.0/sql/statements", "SHOW CREATE TABLE")?;
        Ok(MetricViewDetails {
            table,
            definition,
            source: DefinitionSource::ShowCreateTable,
        })
    }

    async fn show_create_table(&self, full_name: &str, warehouse_id: &str) -> Result<String> {
        let sql = format!("SHOW CREATE TABLE {}", quote_full_name(full_name)?);
        let rows: Vec<_> = self
            .client
            .statements()
            .query(ExecuteStatementRequest::new(warehouse_id, sql))
            .await?
            .try_collect()
            .await?;
        let text = rows
            .first()
            .and_then(|r| r.get(0))
            .and_then(SqlValue::as_str)
            .ok_or_else(|| {
                Error::InvalidArgument(format!("SHOW CREATE TABLE {full_name} returned no rows"))
            })?;
        Ok(text.to_owned())
    }
}

fn parse_definition(yaml: &str, path: &str, json_path: &str) -> Result<MetricView> {
    MetricView::from_yaml(yaml).map_err(|e| Error::Decode {
        method: "GET".to_owned(),
        path: path.to_owned(),
        json_path: json_path.to_owned(),
        message: e.to_string(),
        excerpt: yaml.chars().take(120).collect(),
    })
}

/// `a.b.c` → `` `a`.`b`.`c` `` (backticks doubled).
fn quote_full_name(full_name: &str) -> Result<String> {
    let parts: Vec<&str> = full_name.split('.').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
        return Err(Error::InvalidArgument(format!(
            "`{full_name}` is not a full name; use catalog.schema.name"
        )));
    }
    Ok(parts
        .iter()
        .map(|p| format!("`{}`", p.replace('`', "``")))
        .collect::<Vec<_>>()
        .join("."))
}

/// The YAML body of a `CREATE … VIEW … WITH METRICS LANGUAGE YAML AS $$ … $$` statement.
pub fn metric_view_yaml_from_ddl(ddl: &str) -> Option<&str> {
    let start = ddl.find("$$")? + 2;
    let end = ddl.rfind("$$")?;
    (end > start).then(|| ddl[start..end].trim_matches(['\n', '\r']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddl_body_and_quoting() {
        let ddl =
            "CREATE VIEW `m`.`s`.`v` WITH METRICS LANGUAGE YAML AS $$\nversion: 1.1\nsource: t\n$$";
        assert_eq!(
            metric_view_yaml_from_ddl(ddl),
            Some("version: 1.1\nsource: t")
        );
        assert_eq!(metric_view_yaml_from_ddl("CREATE VIEW x AS SELECT 1"), None);
        assert_eq!(quote_full_name("a.b`c.d").unwrap(), "`a`.`b``c`.`d`");
        assert!(quote_full_name("a.b").is_err());
    }
}
