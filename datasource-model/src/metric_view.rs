//! Metric-view YAML (the Databricks shape) → [`ModelDescription`].
//!
//! Shared by the local provider (models written as metric-view YAML) and the Databricks
//! provider (definitions read from Unity Catalog).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{
    DataType, Dimension, Error, Metric, ModelDescription, NativeDefinition, Relationship, Result,
    TableDescription,
};

/// The native-definition format name for metric-view YAML.
pub(crate) const FORMAT: &str = "databricks_metric_view_yaml";

/// A metric view definition (`version`, `source`, `filter`, `joins`, `dimensions`/`fields`,
/// `measures`, `comment`); unknown keys are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct MetricViewDef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) version: Option<Value>,
    pub(crate) source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) filter: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) joins: Vec<JoinDef>,
    #[serde(default, alias = "fields")]
    pub(crate) dimensions: Vec<FieldDef>,
    #[serde(default)]
    pub(crate) measures: Vec<FieldDef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) comment: Option<String>,
    #[serde(flatten)]
    pub(crate) extra: Map<String, Value>,
}

/// One join (nested joins form a snowflake schema).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct JoinDef {
    pub(crate) name: String,
    pub(crate) source: String,
    #[serde(default, rename = "on", skip_serializing_if = "Option::is_none")]
    pub(crate) on: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) using: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) joins: Vec<JoinDef>,
    #[serde(flatten)]
    pub(crate) extra: Map<String, Value>,
}

/// A dimension or measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FieldDef {
    pub(crate) name: String,
    pub(crate) expr: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) synonyms: Vec<String>,
    #[serde(flatten)]
    pub(crate) extra: Map<String, Value>,
}

impl MetricViewDef {
    /// Parse metric-view YAML; errors name the model and what to fix.
    pub(crate) fn from_yaml(model: &str, yaml: &str) -> Result<Self> {
        serde_saphyr::from_str(yaml).map_err(|e| {
            Error::invalid_config(format!(
                "model `{model}` is not valid metric-view YAML (expected `source`, `dimensions` and `measures`): {e}"
            ))
        })
    }

    /// The model description; member types are `Unknown` until a provider fills them in.
    pub(crate) fn to_description(&self, name: &str, yaml: &str) -> ModelDescription {
        let mut d = ModelDescription::new(name)
            .with_table(TableDescription::new("source", self.source.trim()))
            .with_native(NativeDefinition::new(FORMAT, yaml));
        d.description = self.comment.clone();
        d.filter = self.filter.clone();
        fn walk(parent: &str, joins: &[JoinDef], d: &mut ModelDescription) {
            for j in joins {
                d.tables
                    .push(TableDescription::new(j.name.clone(), j.source.trim()));
                let mut rel = Relationship::new(j.name.clone(), parent, j.name.clone());
                if let Some(on) = &j.on {
                    rel = rel.with_condition(on.clone());
                } else if !j.using.is_empty() {
                    rel = rel.with_columns(j.using.clone(), j.using.clone());
                }
                d.relationships.push(rel);
                walk(&j.name, &j.joins, d);
            }
        }
        walk("source", &self.joins, &mut d);
        for f in &self.dimensions {
            let mut dim = Dimension::new(f.name.clone(), DataType::Unknown)
                .with_expression(f.expr.clone())
                .with_synonyms(f.synonyms.clone());
            dim.description = f.comment.clone().or_else(|| f.display_name.clone());
            d.dimensions.push(dim);
        }
        for f in &self.measures {
            let mut m = Metric::new(f.name.clone(), DataType::Unknown)
                .with_expression(f.expr.clone())
                .with_synonyms(f.synonyms.clone());
            m.description = f.comment.clone().or_else(|| f.display_name.clone());
            d.metrics.push(m);
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_shape() {
        let yaml = r#"
version: 1.1
source: samples.tpch.orders
filter: o_orderdate > '1990-01-01'
joins:
  - name: customer
    source: samples.tpch.customer
    'on': source.o_custkey = customer.c_custkey
    joins:
      - name: nation
        source: samples.tpch.nation
        using: [n_nationkey]
fields:
  - name: month
    expr: date_trunc('MONTH', o_orderdate)
    display_name: Order Month
    synonyms: [order month]
measures:
  - name: total_revenue
    expr: SUM(o_totalprice)
    format: {type: currency}
"#;
        let def = MetricViewDef::from_yaml("orders_mv", yaml).unwrap();
        assert_eq!(def.dimensions.len(), 1);
        assert!(def.measures[0].extra.contains_key("format"));
        let d = def.to_description("cat.sch.orders_mv", yaml);
        assert_eq!(d.tables.len(), 3);
        assert_eq!(d.relationships[1].from, "customer");
        assert_eq!(d.relationships[1].from_columns, vec!["n_nationkey"]);
        assert_eq!(
            d.relationships[0].condition.as_deref(),
            Some("source.o_custkey = customer.c_custkey")
        );
        assert_eq!(d.dimensions[0].description.as_deref(), Some("Order Month"));
        assert_eq!(d.filter.as_deref(), Some("o_orderdate > '1990-01-01'"));
        assert_eq!(d.native.as_ref().map(|n| n.format.as_str()), Some(FORMAT));
    }

    #[test]
    fn bad_yaml_names_the_model() {
        let err = MetricViewDef::from_yaml("m1", "dimensions: 3").unwrap_err();
        assert!(err.to_string().contains("model `m1`"), "{err}");
    }
}
