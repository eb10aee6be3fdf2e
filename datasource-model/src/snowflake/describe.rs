//! Semantic-view discovery: `INFORMATION_SCHEMA.SEMANTIC_*` views with bindings, falling back to
//! `SHOW SEMANTIC VIEWS` / `DESCRIBE SEMANTIC VIEW` when they are unavailable.

use std::collections::BTreeMap;

use serde_json::Value;
use tracing::debug;

use super::{SnowflakeSource, quote};
use crate::{
    DataType, Dimension, Error, Metric, ModelDescription, ModelSummary, NativeDefinition,
    QueryResult, Relationship, Result, TableDescription,
};

/// Rows of a result as maps keyed by upper-case column name.
fn records(r: &QueryResult) -> Vec<BTreeMap<String, Value>> {
    r.rows
        .iter()
        .map(|row| {
            r.columns
                .iter()
                .zip(row)
                .map(|(c, v)| (c.name.to_ascii_uppercase(), v.clone()))
                .collect()
        })
        .collect()
}

fn text(rec: &BTreeMap<String, Value>, key: &str) -> Option<String> {
    match rec.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Null => None,
        Value::String(_) => None,
        other => Some(other.to_string()),
    }
}

/// An ARRAY cell (`["a","b"]`) or a comma-separated string as a list.
fn list(rec: &BTreeMap<String, Value>, key: &str) -> Vec<String> {
    match rec.get(key) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => s
            .trim_matches(|c| c == '[' || c == ']')
            .split(',')
            .map(|p| p.trim().trim_matches('"').trim().to_string())
            .filter(|p| !p.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

/// The models in the database (optionally one schema).
pub(super) async fn list_views(
    source: &SnowflakeSource,
    schema: Option<&str>,
) -> Result<Vec<ModelSummary>> {
    let db = &source.inner.database;
    let mut sql = format!(
        "SELECT \"CATALOG\", \"SCHEMA\", \"NAME\", \"COMMENT\" FROM {}.INFORMATION_SCHEMA.SEMANTIC_VIEWS",
        quote(db)
    );
    let mut binds = Vec::new();
    if let Some(s) = schema {
        sql.push_str(" WHERE \"SCHEMA\" = ?");
        binds.push(s);
    }
    sql.push_str(" ORDER BY \"SCHEMA\", \"NAME\"");
    let rows = match source.meta(sql, &binds).await {
        Ok(r) => records(&r),
        Err(e) if e.is_invalid_query() => {
            debug!(error = %e, "INFORMATION_SCHEMA.SEMANTIC_VIEWS unavailable; using SHOW SEMANTIC VIEWS");
            let target = match schema {
                Some(s) => format!("SCHEMA {}.{}", quote(db), quote(s)),
                None => format!("DATABASE {}", quote(db)),
            };
            let r = source
                .meta(format!("SHOW SEMANTIC VIEWS IN {target}"), &[])
                .await?;
            records(&r)
                .into_iter()
                .map(|mut rec| {
                    for (from, to) in [("DATABASE_NAME", "CATALOG"), ("SCHEMA_NAME", "SCHEMA")] {
                        if let Some(v) = rec.remove(from) {
                            rec.insert(to.to_string(), v);
                        }
                    }
                    rec
                })
                .collect()
        }
        Err(e) => return Err(e),
    };
    Ok(rows
        .iter()
        .filter_map(|rec| {
            let catalog = text(rec, "CATALOG").unwrap_or_else(|| db.clone());
            let schema = text(rec, "SCHEMA")?;
            let name = text(rec, "NAME")?;
            let mut m = ModelSummary::new(format!("{catalog}.{schema}.{name}"))
                .with_namespace(catalog, schema);
            m.description = text(rec, "COMMENT");
            Some(m)
        })
        .collect())
}

/// Describe `db.schema.view`.
pub(super) async fn describe(
    source: &SnowflakeSource,
    db: &str,
    schema: &str,
    view: &str,
) -> Result<ModelDescription> {
    let full = format!("{db}.{schema}.{view}");
    let is = |t: &str| format!("{}.INFORMATION_SCHEMA.{t}", quote(db));
    let where_view = "WHERE \"SEMANTIC_VIEW_SCHEMA\" = ? AND \"SEMANTIC_VIEW_NAME\" = ?";
    let binds = [schema, view];
    let views_sql = format!(
        "SELECT \"NAME\", \"COMMENT\" FROM {} WHERE \"SCHEMA\" = ? AND \"NAME\" = ?",
        is("SEMANTIC_VIEWS")
    );
    let tables_sql = format!(
        "SELECT \"NAME\", \"BASE_TABLE_CATALOG\", \"BASE_TABLE_SCHEMA\", \"BASE_TABLE_NAME\", \"PRIMARY_KEYS\", \"SYNONYMS\", \"COMMENT\" FROM {} {where_view} ORDER BY \"NAME\"",
        is("SEMANTIC_TABLES")
    );
    let member_cols =
        "\"TABLE_NAME\", \"NAME\", \"DATA_TYPE\", \"EXPRESSION\", \"SYNONYMS\", \"COMMENT\"";
    let dims_sql = format!(
        "SELECT {member_cols} FROM {} {where_view} ORDER BY \"TABLE_NAME\", \"NAME\"",
        is("SEMANTIC_DIMENSIONS")
    );
    let metrics_sql = format!(
        "SELECT {member_cols} FROM {} {where_view} ORDER BY \"TABLE_NAME\", \"NAME\"",
        is("SEMANTIC_METRICS")
    );
    let found = futures::try_join!(
        source.meta(views_sql, &binds),
        source.meta(tables_sql, &binds),
        source.meta(dims_sql, &binds),
        source.meta(metrics_sql, &binds),
    );
    let (v, t, d, m) = match found {
        Ok(x) => x,
        Err(e) if e.is_invalid_query() => {
            debug!(error = %e, "INFORMATION_SCHEMA semantic views unavailable; using DESCRIBE SEMANTIC VIEW");
            return describe_fallback(source, db, schema, view).await;
        }
        Err(e) => return Err(e),
    };
    let views = records(&v);
    let Some(view_rec) = views.first() else {
        return Err(Error::not_found(
            "model",
            full,
            "no such semantic view, or the role lacks SELECT on it; list the models with list_models",
        ));
    };
    let mut desc = ModelDescription::new(full.clone());
    desc.description = text(view_rec, "COMMENT");
    for rec in records(&t) {
        let Some(name) = text(&rec, "NAME") else {
            continue;
        };
        let base = [
            text(&rec, "BASE_TABLE_CATALOG"),
            text(&rec, "BASE_TABLE_SCHEMA"),
            text(&rec, "BASE_TABLE_NAME"),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(".");
        let mut table =
            TableDescription::new(name, base).with_primary_key(list(&rec, "PRIMARY_KEYS"));
        table.description = text(&rec, "COMMENT");
        table.synonyms = list(&rec, "SYNONYMS");
        desc = desc.with_table(table);
    }
    for rec in records(&d) {
        if let Some(dim) = dimension(&rec) {
            desc = desc.with_dimension(dim);
        }
    }
    for rec in records(&m) {
        if let Some(metric) = metric(&rec) {
            desc = desc.with_metric(metric);
        }
    }
    // The DDL gives the native definition and the relationships; it is optional (GET_DDL needs
    // OWNERSHIP or REFERENCES on the view in some accounts).
    match source
        .meta(
            "SELECT GET_DDL('SEMANTIC_VIEW', ?) AS \"DDL\"".into(),
            &[&format!("{}.{}.{}", quote(db), quote(schema), quote(view))],
        )
        .await
    {
        Ok(r) => {
            if let Some(ddl) = records(&r).first().and_then(|rec| text(rec, "DDL")) {
                desc.relationships = relationships_from_ddl(&ddl);
                desc = desc.with_native(NativeDefinition::new("snowflake_semantic_view_ddl", ddl));
            }
        }
        Err(e) => debug!(error = %e, "GET_DDL of the semantic view failed; no native definition"),
    }
    Ok(desc)
}

fn dimension(rec: &BTreeMap<String, Value>) -> Option<Dimension> {
    let name = text(rec, "NAME")?;
    let raw = text(rec, "DATA_TYPE").unwrap_or_default();
    let mut d = Dimension::new(name, DataType::from_sql_name(&raw));
    d.table = text(rec, "TABLE_NAME");
    d.raw_type = (!raw.is_empty()).then_some(raw);
    d.expression = text(rec, "EXPRESSION");
    d.description = text(rec, "COMMENT");
    d.synonyms = list(rec, "SYNONYMS");
    Some(d)
}

fn metric(rec: &BTreeMap<String, Value>) -> Option<Metric> {
    let name = text(rec, "NAME")?;
    let raw = text(rec, "DATA_TYPE").unwrap_or_default();
    let mut m = Metric::new(name, DataType::from_sql_name(&raw));
    m.table = text(rec, "TABLE_NAME");
    m.raw_type = (!raw.is_empty()).then_some(raw);
    m.expression = text(rec, "EXPRESSION");
    m.description = text(rec, "COMMENT");
    m.synonyms = list(rec, "SYNONYMS");
    Some(m)
}

/// `RELATIONSHIPS ( [name AS] a(cols) REFERENCES b[(cols)], … )` of a semantic-view DDL.
pub(super) fn relationships_from_ddl(ddl: &str) -> Vec<Relationship> {
    let Some(start) = ddl.to_ascii_uppercase().find("RELATIONSHIPS") else {
        return Vec::new();
    };
    let rest = &ddl[start + "RELATIONSHIPS".len()..];
    // The parenthesised list: balance parentheses.
    let Some(open) = rest.find('(') else {
        return Vec::new();
    };
    let mut depth = 0usize;
    let mut end = None;
    for (i, c) in rest[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    end = Some(open + i);
                    break;
                }
            }
            _ => {}
        }
    }
    let Some(end) = end else {
        return Vec::new();
    };
    let body = &rest[open + 1..end];
    let re = regex::Regex::new(
        r#"(?i)(?:([\w"$]+)\s+AS\s+)?([\w"$]+)\s*\(([^)]*)\)\s*REFERENCES\s+([\w"$]+)\s*(?:\(([^)]*)\))?"#,
    );
    let Ok(re) = re else {
        return Vec::new();
    };
    let clean = |s: &str| s.trim().trim_matches('"').to_string();
    let cols = |s: Option<regex::Match<'_>>| -> Vec<String> {
        s.map(|m| {
            m.as_str()
                .split(',')
                .map(clean)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .unwrap_or_default()
    };
    re.captures_iter(body)
        .filter_map(|c| {
            let from = clean(c.get(2)?.as_str());
            let to = clean(c.get(4)?.as_str());
            let name = c
                .get(1)
                .map_or_else(|| format!("{from}_to_{to}"), |n| clean(n.as_str()));
            Some(Relationship::new(name, from, to).with_columns(cols(c.get(3)), cols(c.get(5))))
        })
        .collect()
}

/// `(object_kind, object_name, parent_entity)` of a `DESCRIBE SEMANTIC VIEW` row.
type ObjectKey = (String, String, Option<String>);

/// `DESCRIBE SEMANTIC VIEW` (5 columns, one property per row).
async fn describe_fallback(
    source: &SnowflakeSource,
    db: &str,
    schema: &str,
    view: &str,
) -> Result<ModelDescription> {
    let full = format!("{db}.{schema}.{view}");
    let r = source
        .meta(
            format!(
                "DESCRIBE SEMANTIC VIEW {}.{}.{}",
                quote(db),
                quote(schema),
                quote(view)
            ),
            &[],
        )
        .await
        .map_err(|e| match e {
            Error::InvalidQuery { message, .. } if message.contains("does not exist") => {
                Error::not_found("model", full.clone(), message)
            }
            other => other,
        })?;
    // (kind, name, parent) → property → value
    let mut objects: Vec<(ObjectKey, BTreeMap<String, String>)> = Vec::new();
    let mut comment = None;
    for rec in records(&r) {
        let kind = text(&rec, "OBJECT_KIND")
            .unwrap_or_default()
            .to_ascii_uppercase();
        let prop = text(&rec, "PROPERTY")
            .unwrap_or_default()
            .to_ascii_uppercase();
        let value = text(&rec, "PROPERTY_VALUE").unwrap_or_default();
        if kind.is_empty() {
            if prop == "COMMENT" {
                comment = Some(value);
            }
            continue;
        }
        let key = (
            kind,
            text(&rec, "OBJECT_NAME").unwrap_or_default(),
            text(&rec, "PARENT_ENTITY"),
        );
        match objects.iter_mut().find(|(k, _)| *k == key) {
            Some((_, props)) => {
                props.insert(prop, value);
            }
            None => objects.push((key, BTreeMap::from([(prop, value)]))),
        }
    }
    if objects.is_empty() {
        return Err(Error::not_found(
            "model",
            full,
            "DESCRIBE SEMANTIC VIEW returned nothing; list the models with list_models",
        ));
    }
    let mut desc = ModelDescription::new(full);
    desc.description = comment;
    let as_list = |v: Option<&String>| -> Vec<String> {
        v.map(|s| {
            s.trim_matches(|c| c == '[' || c == ']')
                .split(',')
                .map(|p| p.trim().trim_matches('"').to_string())
                .filter(|p| !p.is_empty())
                .collect()
        })
        .unwrap_or_default()
    };
    for ((kind, name, parent), props) in &objects {
        let data_type = props.get("DATA_TYPE").cloned().unwrap_or_default();
        match kind.as_str() {
            "TABLE" => {
                let base = [
                    "BASE_TABLE_DATABASE_NAME",
                    "BASE_TABLE_SCHEMA_NAME",
                    "BASE_TABLE_NAME",
                ]
                .iter()
                .filter_map(|k| props.get(*k).cloned())
                .collect::<Vec<_>>()
                .join(".");
                let mut t = TableDescription::new(name.clone(), base)
                    .with_primary_key(as_list(props.get("PRIMARY_KEY")));
                t.description = props.get("COMMENT").cloned();
                t.synonyms = as_list(props.get("SYNONYMS"));
                desc = desc.with_table(t);
            }
            "DIMENSION" => {
                let mut d = Dimension::new(name.clone(), DataType::from_sql_name(&data_type));
                d.table = parent.clone();
                d.raw_type = (!data_type.is_empty()).then(|| data_type.clone());
                d.expression = props.get("EXPRESSION").cloned();
                d.description = props.get("COMMENT").cloned();
                d.synonyms = as_list(props.get("SYNONYMS"));
                desc = desc.with_dimension(d);
            }
            "METRIC" => {
                let mut m = Metric::new(name.clone(), DataType::from_sql_name(&data_type));
                m.table = parent.clone();
                m.raw_type = (!data_type.is_empty()).then(|| data_type.clone());
                m.expression = props.get("EXPRESSION").cloned();
                m.description = props.get("COMMENT").cloned();
                m.synonyms = as_list(props.get("SYNONYMS"));
                desc = desc.with_metric(m);
            }
            "RELATIONSHIP" => {
                let from = props
                    .get("TABLE")
                    .cloned()
                    .or_else(|| parent.clone())
                    .unwrap_or_default();
                let to = props.get("REF_TABLE").cloned().unwrap_or_default();
                desc =
                    desc.with_relationship(Relationship::new(name.clone(), from, to).with_columns(
                        as_list(props.get("FOREIGN_KEY")),
                        as_list(props.get("REF_KEY")),
                    ));
            }
            _ => {}
        }
    }
    Ok(desc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relationships_parse_from_ddl() {
        let ddl = "create or replace semantic view SALES.PUBLIC.REVENUE\n tables (orders as SALES.PUBLIC.ORDERS primary key (ORDER_ID), customers as SALES.PUBLIC.CUSTOMERS primary key (CUSTOMER_ID))\n relationships (ORDERS_TO_CUSTOMERS as orders(CUSTOMER_ID) references customers(CUSTOMER_ID), orders(REGION_ID) references regions)\n dimensions (customers.REGION as customers.region)\n metrics (orders.TOTAL_REVENUE as sum(orders.amount));";
        let rels = relationships_from_ddl(ddl);
        assert_eq!(rels.len(), 2, "{rels:?}");
        assert_eq!(rels[0].name, "ORDERS_TO_CUSTOMERS");
        assert_eq!(rels[0].from, "orders");
        assert_eq!(rels[0].to, "customers");
        assert_eq!(rels[0].from_columns, ["CUSTOMER_ID"]);
        assert_eq!(rels[0].to_columns, ["CUSTOMER_ID"]);
        assert_eq!(rels[1].name, "orders_to_regions");
        assert!(rels[1].to_columns.is_empty());
        assert!(relationships_from_ddl("create semantic view v tables (t as x)").is_empty());
    }
}
