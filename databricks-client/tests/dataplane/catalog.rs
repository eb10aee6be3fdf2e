//! Unity Catalog lists (max_results semantics, paging) and metric view discovery.

use databricks_client::Error;
use databricks_client::api::{DefinitionSource, ListTablesOptions};
use databricks_client::models::{CreateCatalog, DimensionsSpelling, TableType};
use futures::TryStreamExt;
use serde_json::json;
use wiremock::matchers::{body_json, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::client;

const MV_YAML: &str = "version: 1.1\nsource: main.sales.orders\nfilter: status <> 'CANCELLED'\njoins:\n  - name: customer\n    source: main.sales.customers\n    on: source.customer_id = customer.id\nfields:\n  - name: month\n    expr: date_trunc('MONTH', order_date)\nmeasures:\n  - name: revenue\n    expr: SUM(amount)\n    comment: Net revenue\n";

fn table(name: &str, table_type: &str) -> serde_json::Value {
    json!({
        "name": name, "catalog_name": "main", "schema_name": "sales",
        "full_name": format!("main.sales.{name}"), "table_type": table_type,
        "data_source_format": "DELTA", "owner": "me@example.com",
        "created_at": 1_700_000_000_000_i64, "updated_at": "1700000000001"
    })
}

#[tokio::test]
async fn list_tables_injects_max_results_zero_and_pages_through_empty_pages() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables"))
        .and(query_param("catalog_name", "main"))
        .and(query_param("schema_name", "sales"))
        .and(query_param("max_results", "0"))
        .and(query_param("omit_columns", "true"))
        .and(query_param("page_token", "t2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "tables": [], "next_page_token": "t3"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables"))
        .and(query_param("max_results", "0"))
        .and(query_param("page_token", "t3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "tables": [table("orders_mv", "METRIC_VIEW")]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables"))
        .and(query_param("max_results", "0"))
        .and(query_param_is_missing("page_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "tables": [table("orders", "MANAGED"), table("v", "VIEW")],
            "next_page_token": "t2"
        })))
        .mount(&server)
        .await;
    let tables: Vec<_> = client(&server)
        .catalog()
        .list_tables(
            "main",
            "sales",
            ListTablesOptions::default().with_omit_columns(true),
        )
        .try_collect()
        .await
        .unwrap();
    let names: Vec<_> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["orders", "v", "orders_mv"]);
    assert!(tables[2].is_metric_view());
    assert_eq!(tables[1].table_type, Some(TableType::View));
    assert_eq!(tables[0].updated_at, Some(1_700_000_000_001));
}

#[tokio::test]
async fn explicit_max_results_and_volumes_without_injection() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/catalogs"))
        .and(query_param("max_results", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "catalogs": [{"name": "main", "catalog_type": "MANAGED_CATALOG", "owner": "admins",
                           "isolation_mode": "OPEN", "securable_type": "CATALOG"}]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/schemas"))
        .and(query_param("catalog_name", "main"))
        .and(query_param("max_results", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "schemas": [{"name": "sales", "catalog_name": "main", "full_name": "main.sales"}]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables"))
        .and(query_param("max_results", "50"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"tables": [table("t", "MANAGED")]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/volumes"))
        .and(query_param_is_missing("max_results"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "volumes": [{"name": "landing", "catalog_name": "main", "schema_name": "raw",
                          "full_name": "main.raw.landing", "volume_type": "MANAGED"}]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/functions"))
        .and(query_param("max_results", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "functions": [{"name": "net", "catalog_name": "main", "schema_name": "sales",
                            "full_name": "main.sales.net", "data_type": "DOUBLE", "routine_body": "SQL",
                            "routine_definition": "x * 0.8", "input_params": {"parameters": [{"name": "x", "type_name": "DOUBLE"}]}}]
        })))
        .mount(&server)
        .await;
    let uc = client(&server).catalog();
    let catalogs: Vec<_> = uc.list_catalogs().try_collect().await.unwrap();
    assert_eq!(catalogs[0].catalog_type.as_deref(), Some("MANAGED_CATALOG"));
    let schemas: Vec<_> = uc.list_schemas("main").try_collect().await.unwrap();
    assert_eq!(schemas[0].full_name.as_deref(), Some("main.sales"));
    let tables: Vec<_> = uc
        .list_tables(
            "main",
            "sales",
            ListTablesOptions::default().with_max_results(50),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(tables.len(), 1);
    let volumes: Vec<_> = uc.list_volumes("main", "raw").try_collect().await.unwrap();
    assert_eq!(volumes[0].volume_type.as_deref(), Some("MANAGED"));
    let functions: Vec<_> = uc
        .list_functions("main", "sales")
        .try_collect()
        .await
        .unwrap();
    assert_eq!(functions[0].routine_definition.as_deref(), Some("x * 0.8"));
}

#[tokio::test]
async fn catalog_create_get_delete() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.1/unity-catalog/catalogs"))
        .and(body_json(json!({"name": "sandbox", "comment": "scratch", "properties": {"team": "bi"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "sandbox", "full_name": "sandbox", "comment": "scratch", "catalog_type": "MANAGED_CATALOG"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/2.1/unity-catalog/catalogs/sandbox"))
        .and(query_param("force", "true"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/catalogs/sandbox"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error_code": "CATALOG_DOES_NOT_EXIST", "message": "Catalog 'sandbox' does not exist."
        })))
        .mount(&server)
        .await;
    let uc = client(&server).catalog();
    let created = uc
        .create_catalog(
            &CreateCatalog::new("sandbox")
                .with_comment("scratch")
                .with_property("team", "bi"),
        )
        .await
        .unwrap();
    assert_eq!(created.name, "sandbox");
    uc.delete_catalog("sandbox", true).await.unwrap();
    assert!(uc.get_catalog("sandbox").await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn metric_view_from_view_definition() {
    let server = MockServer::start().await;
    let mut t = table("orders_mv", "METRIC_VIEW");
    t["view_definition"] = json!(MV_YAML);
    t["columns"] = json!([
        {"name": "month", "type_text": "timestamp", "type_name": "TIMESTAMP", "position": 0, "nullable": true},
        {"name": "revenue", "type_text": "decimal(38,2) measure", "type_name": "DECIMAL", "position": 1}
    ]);
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables/main.sales.orders_mv"))
        .respond_with(ResponseTemplate::new(200).set_body_json(t))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/table-summaries"))
        .and(query_param("catalog_name", "main"))
        .and(query_param("schema_name_pattern", "sales"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "tables": [
                {"full_name": "main.sales.orders", "table_type": "MANAGED"},
                {"full_name": "main.sales.orders_mv", "table_type": "METRIC_VIEW"}
            ]
        })))
        .mount(&server)
        .await;
    let uc = client(&server).catalog();
    let found: Vec<_> = uc
        .list_metric_views("main", Some("sales"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].full_name, "main.sales.orders_mv");

    let mv = uc.metric_view("main.sales.orders_mv", None).await.unwrap();
    assert_eq!(mv.source, DefinitionSource::ViewDefinition);
    assert_eq!(mv.definition.source, "main.sales.orders");
    assert_eq!(
        mv.definition.dimensions_spelling,
        DimensionsSpelling::Fields
    );
    assert_eq!(
        mv.definition.joins[0].on.as_deref(),
        Some("source.customer_id = customer.id")
    );
    assert_eq!(
        mv.definition.measures[0].comment.as_deref(),
        Some("Net revenue")
    );
    assert_eq!(mv.table.columns.len(), 2);
}

#[tokio::test]
async fn metric_view_falls_back_to_show_create_table() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables/main.sales.orders_mv"))
        .respond_with(ResponseTemplate::new(200).set_body_json(table("orders_mv", "METRIC_VIEW")))
        .mount(&server)
        .await;
    let ddl = format!(
        "CREATE VIEW main.sales.orders_mv (\n  month,\n  revenue)\nWITH METRICS\nLANGUAGE YAML\nAS $$\n{MV_YAML}$$"
    );
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/statements"))
        .and(body_json(json!({
            "warehouse_id": "wh-1",
            "statement": "SHOW CREATE TABLE `main`.`sales`.`orders_mv`",
            "on_wait_timeout": "CONTINUE"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statement_id": "ddl",
            "status": {"state": "SUCCEEDED"},
            "manifest": {"format": "JSON_ARRAY", "total_chunk_count": 1, "total_row_count": 1,
                          "schema": {"column_count": 1, "columns": [{"name": "createtab_stmt", "type_name": "STRING", "position": 0}]}},
            "result": {"chunk_index": 0, "row_count": 1, "data_array": [[ddl]]}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let uc = client(&server).catalog();
    let err = uc
        .metric_view("main.sales.orders_mv", None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument(m) if m.contains("warehouse")),
        "{err:?}"
    );
    let mv = uc
        .metric_view("main.sales.orders_mv", Some("wh-1"))
        .await
        .unwrap();
    assert_eq!(mv.source, DefinitionSource::ShowCreateTable);
    assert_eq!(mv.definition.measures[0].name, "revenue");
    assert_eq!(
        mv.definition.filter.as_deref(),
        Some("status <> 'CANCELLED'")
    );
}

#[tokio::test]
async fn metric_view_parse_errors_name_the_line_and_non_metric_views_are_refused() {
    let server = MockServer::start().await;
    let mut bad = table("bad_mv", "METRIC_VIEW");
    bad["view_definition"] =
        json!("version: 1.1\nsource: t\nmeasures:\n  - name: m\n    expr: [unclosed\n");
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables/main.sales.bad_mv"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bad))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables/main.sales.orders"))
        .respond_with(ResponseTemplate::new(200).set_body_json(table("orders", "MANAGED")))
        .mount(&server)
        .await;
    let uc = client(&server).catalog();
    let err = uc.metric_view("main.sales.bad_mv", None).await.unwrap_err();
    assert!(matches!(&err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("line"), "{err}");
    let err = uc.metric_view("main.sales.orders", None).await.unwrap_err();
    assert!(err.to_string().contains("not a METRIC_VIEW"), "{err}");
}

#[tokio::test]
async fn schemas_tables_functions_volumes_single_objects() {
    use databricks_client::models::{CreateSchema, CreateVolume};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.1/unity-catalog/schemas"))
        .and(body_json(json!({"name": "scratch", "catalog_name": "main", "comment": "tmp"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "scratch", "catalog_name": "main", "full_name": "main.scratch", "schema_id": "s-1"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/schemas/main.scratch"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "scratch", "catalog_name": "main", "full_name": "main.scratch"
        })))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/2.1/unity-catalog/schemas/main.scratch"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let mut orders = table("orders", "MANAGED");
    orders["columns"] = json!([
        {"name": "id", "type_name": "LONG", "type_text": "bigint", "position": 0, "nullable": false},
        {"name": "amount", "type_name": "DECIMAL", "type_text": "decimal(10,2)", "type_precision": 10, "type_scale": 2, "position": 1}
    ]);
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables/main.sales.orders"))
        .respond_with(ResponseTemplate::new(200).set_body_json(orders))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/api/2.1/unity-catalog/tables/main.sales.orders/exists",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"table_exists": true})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/functions/main.sales.net"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "net", "catalog_name": "main", "schema_name": "sales", "full_name": "main.sales.net",
            "data_type": "DOUBLE", "full_data_type": "DOUBLE", "routine_body": "SQL", "is_deterministic": true,
            "security_type": "DEFINER", "sql_data_access": "CONTAINS_SQL"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.1/unity-catalog/volumes"))
        .and(body_json(json!({
            "catalog_name": "main", "schema_name": "raw", "name": "ext", "volume_type": "EXTERNAL",
            "storage_location": "s3://bucket/ext"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "ext", "catalog_name": "main", "schema_name": "raw", "full_name": "main.raw.ext",
            "volume_type": "EXTERNAL", "storage_location": "s3://bucket/ext"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/volumes/main.raw.ext"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "ext", "catalog_name": "main", "schema_name": "raw", "volume_type": "EXTERNAL"
        })))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/2.1/unity-catalog/volumes/main.raw.ext"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let uc = client(&server).catalog();
    uc.create_schema(&CreateSchema::new("main", "scratch").with_comment("tmp"))
        .await
        .unwrap();
    assert_eq!(
        uc.get_schema("main.scratch")
            .await
            .unwrap()
            .full_name
            .as_deref(),
        Some("main.scratch")
    );
    uc.delete_schema("main.scratch", false).await.unwrap();
    let t = uc.get_table("main.sales.orders").await.unwrap();
    assert_eq!(t.column("amount").unwrap().type_scale, Some(2));
    assert!(uc.table_exists("main.sales.orders").await.unwrap());
    let f = uc.get_function("main.sales.net").await.unwrap();
    assert_eq!(f.is_deterministic, Some(true));
    assert!(f.extra.contains_key("security_type"));
    let v = uc
        .create_volume(&CreateVolume::external(
            "main",
            "raw",
            "ext",
            "s3://bucket/ext",
        ))
        .await
        .unwrap();
    assert_eq!(v.full_name.as_deref(), Some("main.raw.ext"));
    assert_eq!(
        uc.get_volume("main.raw.ext")
            .await
            .unwrap()
            .volume_type
            .as_deref(),
        Some("EXTERNAL")
    );
    uc.delete_volume("main.raw.ext").await.unwrap();
    assert!(matches!(
        uc.get_table("").await.unwrap_err(),
        Error::InvalidArgument(_)
    ));
}
