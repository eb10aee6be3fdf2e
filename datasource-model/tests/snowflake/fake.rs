//! A fake Snowflake account for wiremock: answers the statements `SnowflakeSource` sends
//! (INFORMATION_SCHEMA semantic views, SHOW/DESCRIBE fallbacks, GET_DDL, identity,
//! `SEMANTIC_VIEW(...)` queries with bindings and LIMIT) and Cortex Analyst, with bodies shaped
//! like `sqlapi.yaml` / `cortex-analyst.yaml`.

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The statement handle every fake result carries.
pub(crate) const HANDLE: &str = "01b2c3d4-0000-4a5b-8000-00000000abcd";

const DDL: &str = "create or replace semantic view SALES.PUBLIC.REVENUE_METRICS\n  tables (customers as SALES.PUBLIC.CUSTOMERS primary key (CUSTOMER_ID), orders as SALES.PUBLIC.ORDERS primary key (ORDER_ID))\n  relationships (ORDERS_TO_CUSTOMERS as orders(CUSTOMER_ID) references customers(CUSTOMER_ID))\n  dimensions (customers.region as customers.region with synonyms=('territory'), orders.order_date as orders.order_date)\n  metrics (orders.total_revenue as SUM(orders.amount))\n  comment='Revenue KPIs';";

/// A `ResultSet` (200) body.
pub(crate) fn result_set(row_type: Value, data: Value, partitions: Option<Value>) -> Value {
    let rows = data.as_array().map_or(0, Vec::len);
    let partition_info =
        partitions.unwrap_or_else(|| json!([{"rowCount": rows, "uncompressedSize": 64}]));
    let total: u64 = partition_info
        .as_array()
        .map(|p| p.iter().filter_map(|x| x["rowCount"].as_u64()).sum())
        .unwrap_or(0);
    json!({
        "code": "090001",
        "sqlState": "00000",
        "message": "Statement executed successfully.",
        "statementHandle": HANDLE,
        "createdOn": 1_700_000_000_000u64,
        "statementStatusUrl": format!("/api/v2/statements/{HANDLE}?requestId=x"),
        "resultSetMetaData": {
            "numRows": total,
            "format": "jsonv2",
            "partitionInfo": partition_info,
            "rowType": row_type
        },
        "data": data
    })
}

fn col(name: &str, t: &str) -> Value {
    json!({"name": name, "database": "", "schema": "", "table": "", "type": t, "nullable": true, "length": null, "precision": null, "scale": null, "byteLength": null, "collation": null})
}

fn fixed(name: &str, scale: u32) -> Value {
    json!({"name": name, "type": "fixed", "precision": 38, "scale": scale, "nullable": true})
}

fn ok(row_type: Value, data: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(result_set(row_type, data, None))
}

/// The fake account.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FakeSnowflake {
    information_schema: bool,
    /// Regions the semantic view answers: the three named ones, or `R00001`… when not 3.
    groups: usize,
}

impl FakeSnowflake {
    /// Mount the full fake (INFORMATION_SCHEMA available).
    pub(crate) async fn mount(server: &MockServer) {
        Self::with_groups(3).mount_on(server).await;
    }

    /// A full fake whose semantic view has `groups` regions.
    pub(crate) fn with_groups(groups: usize) -> Self {
        Self {
            information_schema: true,
            groups,
        }
    }

    /// A fake whose INFORMATION_SCHEMA semantic views fail with 422 (older accounts).
    pub(crate) fn without_information_schema() -> Self {
        Self {
            information_schema: false,
            groups: 3,
        }
    }

    /// Mount this fake.
    pub(crate) async fn mount_on(self, server: &MockServer) {
        Mock::given(method("POST"))
            .and(path("/api/v2/statements"))
            .respond_with(self)
            .mount(server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("/api/v2/statements/{HANDLE}")))
            .and(query_param("partition", "1"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"data": [["APAC", "JP"]]})),
            )
            .mount(server)
            .await;
        Mock::given(method("POST"))
            .and(path("/api/v2/cortex/analyst/message"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "message": {
                    "role": "analyst",
                    "content": [
                        {"type": "text", "text": "This is our interpretation of your question:\n\nWhat is the total revenue by region?"},
                        {"type": "sql", "statement": "SELECT * FROM SEMANTIC_VIEW(SALES.PUBLIC.REVENUE_METRICS METRICS orders.total_revenue DIMENSIONS customers.region) ORDER BY total_revenue DESC", "confidence": {"verified_query_used": null}},
                        {"type": "suggestions", "suggestions": ["What is revenue by month?"]}
                    ]
                },
                "request_id": "5c1e2b0a-1111-4222-8333-444455556666",
                "warnings": [{"message": "Assumed the current fiscal year."}],
                "response_metadata": {}
            })))
            .mount(server)
            .await;
    }
}

fn bindings(body: &Value) -> Vec<(String, String)> {
    let Some(map) = body["bindings"].as_object() else {
        return Vec::new();
    };
    let mut items: Vec<(usize, String, String)> = map
        .iter()
        .map(|(k, v)| {
            (
                k.parse().unwrap_or(0),
                v["type"].as_str().unwrap_or_default().to_string(),
                v["value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    items.sort();
    items.into_iter().map(|(_, t, v)| (t, v)).collect()
}

impl Respond for FakeSnowflake {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let sql = body["statement"].as_str().unwrap_or_default().to_string();
        let binds = bindings(&body);
        let values: Vec<&str> = binds.iter().map(|(_, v)| v.as_str()).collect();
        let is_view = |schema: Option<&&str>, name: Option<&&str>| {
            schema.is_none_or(|s| *s == "PUBLIC") && name.is_none_or(|n| *n == "REVENUE_METRICS")
        };
        if sql.contains("INFORMATION_SCHEMA.") && !self.information_schema {
            return ResponseTemplate::new(422).set_body_json(json!({
                "code": "002003", "sqlState": "42S02",
                "message": "SQL compilation error:\nObject 'SALES.INFORMATION_SCHEMA.SEMANTIC_VIEWS' does not exist or not authorized.",
                "statementHandle": HANDLE
            }));
        }
        let known = is_view(values.first(), values.get(1));
        if sql.contains("INFORMATION_SCHEMA.SEMANTIC_VIEWS") {
            let rows = if known {
                json!([["SALES", "PUBLIC", "REVENUE_METRICS", "Revenue KPIs"]])
            } else {
                json!([])
            };
            return ok(
                json!([
                    col("CATALOG", "text"),
                    col("SCHEMA", "text"),
                    col("NAME", "text"),
                    col("COMMENT", "text")
                ]),
                rows,
            );
        }
        if sql.contains("INFORMATION_SCHEMA.SEMANTIC_TABLES") {
            let rows = if known {
                json!([
                    [
                        "customers",
                        "SALES",
                        "PUBLIC",
                        "CUSTOMERS",
                        "[\n  \"CUSTOMER_ID\"\n]",
                        "[\n  \"clients\"\n]",
                        "Customers"
                    ],
                    [
                        "orders",
                        "SALES",
                        "PUBLIC",
                        "ORDERS",
                        "[\n  \"ORDER_ID\"\n]",
                        null,
                        null
                    ]
                ])
            } else {
                json!([])
            };
            return ok(
                json!([
                    col("NAME", "text"),
                    col("BASE_TABLE_CATALOG", "text"),
                    col("BASE_TABLE_SCHEMA", "text"),
                    col("BASE_TABLE_NAME", "text"),
                    col("PRIMARY_KEYS", "array"),
                    col("SYNONYMS", "array"),
                    col("COMMENT", "text")
                ]),
                rows,
            );
        }
        let member_cols = json!([
            col("TABLE_NAME", "text"),
            col("NAME", "text"),
            col("DATA_TYPE", "text"),
            col("EXPRESSION", "text"),
            col("SYNONYMS", "array"),
            col("COMMENT", "text")
        ]);
        if sql.contains("INFORMATION_SCHEMA.SEMANTIC_DIMENSIONS") {
            let rows = if known {
                json!([
                    [
                        "customers",
                        "region",
                        "VARCHAR(16777216)",
                        "customers.region",
                        "[\n  \"territory\"\n]",
                        "Sales region"
                    ],
                    [
                        "orders",
                        "order_date",
                        "DATE",
                        "orders.order_date",
                        null,
                        null
                    ]
                ])
            } else {
                json!([])
            };
            return ok(member_cols, rows);
        }
        if sql.contains("INFORMATION_SCHEMA.SEMANTIC_METRICS") {
            let rows = if known {
                json!([[
                    "orders",
                    "total_revenue",
                    "NUMBER(38,2)",
                    "SUM(orders.amount)",
                    null,
                    "Revenue"
                ]])
            } else {
                json!([])
            };
            return ok(member_cols, rows);
        }
        if sql.contains("GET_DDL") {
            return ok(json!([col("DDL", "text")]), json!([[DDL]]));
        }
        if sql.starts_with("SHOW SEMANTIC VIEWS") {
            return ok(
                json!([
                    col("created_on", "timestamp_ltz"),
                    col("name", "text"),
                    col("kind", "text"),
                    col("database_name", "text"),
                    col("schema_name", "text"),
                    col("comment", "text")
                ]),
                json!([[
                    "1700000000.000000000",
                    "REVENUE_METRICS",
                    "SEMANTIC_VIEW",
                    "SALES",
                    "PUBLIC",
                    "Revenue KPIs"
                ]]),
            );
        }
        if sql.starts_with("DESCRIBE SEMANTIC VIEW") {
            let p =
                |kind: Option<&str>, name: &str, parent: Option<&str>, prop: &str, value: &str| {
                    json!([kind, name, parent, prop, value])
                };
            return ok(
                json!([
                    col("object_kind", "text"),
                    col("object_name", "text"),
                    col("parent_entity", "text"),
                    col("property", "text"),
                    col("property_value", "text")
                ]),
                json!([
                    p(None, "REVENUE_METRICS", None, "COMMENT", "Revenue KPIs"),
                    p(
                        Some("TABLE"),
                        "orders",
                        None,
                        "BASE_TABLE_DATABASE_NAME",
                        "SALES"
                    ),
                    p(
                        Some("TABLE"),
                        "orders",
                        None,
                        "BASE_TABLE_SCHEMA_NAME",
                        "PUBLIC"
                    ),
                    p(Some("TABLE"), "orders", None, "BASE_TABLE_NAME", "ORDERS"),
                    p(
                        Some("TABLE"),
                        "orders",
                        None,
                        "PRIMARY_KEY",
                        "[\"ORDER_ID\"]"
                    ),
                    p(
                        Some("RELATIONSHIP"),
                        "ORDERS_TO_CUSTOMERS",
                        Some("orders"),
                        "TABLE",
                        "orders"
                    ),
                    p(
                        Some("RELATIONSHIP"),
                        "ORDERS_TO_CUSTOMERS",
                        Some("orders"),
                        "REF_TABLE",
                        "customers"
                    ),
                    p(
                        Some("RELATIONSHIP"),
                        "ORDERS_TO_CUSTOMERS",
                        Some("orders"),
                        "FOREIGN_KEY",
                        "[\"CUSTOMER_ID\"]"
                    ),
                    p(
                        Some("RELATIONSHIP"),
                        "ORDERS_TO_CUSTOMERS",
                        Some("orders"),
                        "REF_KEY",
                        "[\"CUSTOMER_ID\"]"
                    ),
                    p(
                        Some("DIMENSION"),
                        "order_date",
                        Some("orders"),
                        "DATA_TYPE",
                        "DATE"
                    ),
                    p(
                        Some("DIMENSION"),
                        "region",
                        Some("customers"),
                        "DATA_TYPE",
                        "VARCHAR(16777216)"
                    ),
                    p(
                        Some("DIMENSION"),
                        "region",
                        Some("customers"),
                        "EXPRESSION",
                        "customers.region"
                    ),
                    p(
                        Some("METRIC"),
                        "total_revenue",
                        Some("orders"),
                        "DATA_TYPE",
                        "NUMBER(38,2)"
                    ),
                    p(
                        Some("METRIC"),
                        "total_revenue",
                        Some("orders"),
                        "EXPRESSION",
                        "SUM(orders.amount)"
                    )
                ]),
            );
        }
        if sql.contains("CURRENT_USER()") {
            return ok(
                json!([
                    col("USER", "text"),
                    col("ROLE", "text"),
                    col("WAREHOUSE", "text"),
                    col("DATABASE", "text")
                ]),
                json!([["SVC_USER", "ANALYST", "WH", "SALES"]]),
            );
        }
        if sql.contains("SALES.PUBLIC.CUSTOMERS") {
            return ResponseTemplate::new(200).set_body_json(result_set(
                json!([col("REGION", "text"), col("COUNTRY", "text")]),
                json!([["EMEA", "DE"], ["AMER", "US"]]),
                Some(json!([{"rowCount": 2, "uncompressedSize": 40}, {"rowCount": 1, "uncompressedSize": 20}])),
            ));
        }
        if sql.contains("SEMANTIC_VIEW(") {
            return semantic_query(&sql, &binds, self.groups);
        }
        ResponseTemplate::new(422).set_body_json(json!({
            "code": "001003", "sqlState": "42000",
            "message": format!("SQL compilation error: unexpected statement in the fake: {sql}"),
            "statementHandle": HANDLE
        }))
    }
}

/// Evaluate a `SEMANTIC_VIEW(...)` query over `n` regions (three named ones when `n` is 3),
/// honouring bound filters, `LIMIT` and `OFFSET`.
fn semantic_query(sql: &str, binds: &[(String, String)], n: usize) -> ResponseTemplate {
    let all: Vec<(String, String)> = if n == 3 {
        [("EMEA", "300.50"), ("AMER", "200.25"), ("APAC", "100.00")]
            .iter()
            .map(|(r, v)| ((*r).to_string(), (*v).to_string()))
            .collect()
    } else {
        (1..=n)
            .map(|i| (format!("R{i:05}"), format!("{}.00", n + 1 - i)))
            .collect()
    };
    let select = sql
        .strip_prefix("SELECT ")
        .and_then(|s| s.split(['\n']).next())
        .unwrap_or("*");
    let outputs: Vec<String> = if select.starts_with('*') {
        vec!["region".into(), "total_revenue".into()]
    } else {
        select
            .split(", ")
            .map(|c| c.trim().trim_matches('"').to_string())
            .collect()
    };
    let regions: Vec<&str> = binds
        .iter()
        .filter(|(t, _)| t == "TEXT")
        .map(|(_, v)| v.as_str())
        .collect();
    let min_revenue: Option<f64> = binds
        .iter()
        .find(|(t, _)| t == "FIXED" || t == "REAL")
        .and_then(|(_, v)| v.parse().ok());
    let has_region = outputs.iter().any(|o| o == "region");
    let mut groups: Vec<(String, f64)> = all
        .iter()
        .filter(|(r, _)| regions.is_empty() || regions.contains(&r.as_str()))
        .map(|(r, v)| (r.clone(), v.parse().unwrap_or(0.0)))
        .collect();
    if !has_region {
        let total: f64 = groups.iter().map(|(_, v)| v).sum();
        groups = if groups.is_empty() {
            Vec::new()
        } else {
            vec![(String::new(), total)]
        };
    }
    groups.retain(|(_, v)| min_revenue.is_none_or(|m| *v > m));
    let number = |pattern: &str| {
        regex::Regex::new(pattern)
            .ok()
            .and_then(|re| re.captures(sql))
            .and_then(|c| c.get(1))
            .and_then(|m| m.as_str().parse::<usize>().ok())
    };
    if let Some(o) = number(r"OFFSET (\d+)") {
        groups.drain(..o.min(groups.len()));
    }
    if let Some(l) = number(r"LIMIT (\d+)") {
        groups.truncate(l);
    }
    let row_type: Vec<Value> = outputs
        .iter()
        .map(|o| match o.as_str() {
            "total_revenue" => fixed("total_revenue", 2),
            "region" => col("region", "text"),
            other => col(other, "date"),
        })
        .collect();
    let rows: Vec<Value> = groups
        .iter()
        .map(|(r, v)| {
            Value::Array(
                outputs
                    .iter()
                    .map(|o| match o.as_str() {
                        "total_revenue" => json!(format!("{v:.2}")),
                        "region" => json!(r),
                        _ => json!("19723"),
                    })
                    .collect(),
            )
        })
        .collect();
    ok(Value::Array(row_type), Value::Array(rows))
}
