//! Metric-view YAML (the Databricks shape) → [`ModelDescription`].
//!
//! Shared by the local provider (models written as metric-view YAML) and the Databricks
//! provider (definitions read from Unity Catalog). The YAML model itself is
//! [`databricks_metric_view::MetricView`] (re-exported by databricks-client as
//! `databricks_client::models::MetricView`), so one model file means the same thing everywhere
//! and reading it needs no HTTP client.

use databricks_metric_view::{MetricView, MetricViewJoin};

use crate::{
    DataType, Dimension, Metric, ModelDescription, NativeDefinition, Relationship, TableDescription,
};
#[cfg(any(feature = "local", feature = "bigquery"))]
use crate::{Error, Result};

/// The native-definition format name for metric-view YAML.
pub(crate) const FORMAT: &str = "databricks_metric_view_yaml";

/// Parse metric-view YAML with the shared model; errors name the model and what to fix.
#[cfg(any(feature = "local", feature = "bigquery"))]
pub(crate) fn parse(model: &str, yaml: &str) -> Result<MetricView> {
    MetricView::from_yaml(yaml).map_err(|e| {
        Error::invalid_config(format!(
            "model `{model}` is not valid metric-view YAML (expected `source`, `dimensions` and `measures`): {e}"
        ))
    })
}

/// The model description of a metric view; member types are `Unknown` until a provider fills
/// them in.
pub(crate) fn to_description(name: &str, mv: &MetricView, yaml: &str) -> ModelDescription {
    let mut d = ModelDescription::new(name)
        .with_table(TableDescription::new("source", mv.source.trim()))
        .with_native(NativeDefinition::new(FORMAT, yaml));
    d.description = mv.comment.clone();
    d.filter = mv.filter.clone();
    fn walk(parent: &str, joins: &[MetricViewJoin], d: &mut ModelDescription) {
        for j in joins {
            d.tables
                .push(TableDescription::new(j.name.clone(), j.source.trim()));
            let mut rel = Relationship::new(j.name.clone(), parent, j.name.clone());
            if let Some(on) = &j.on {
                rel = rel.with_condition(on.clone());
            } else if let Some(using) = j.using.as_ref().filter(|u| !u.is_empty()) {
                rel = rel.with_columns(using.clone(), using.clone());
            }
            d.relationships.push(rel);
            walk(&j.name, &j.joins, d);
        }
    }
    walk("source", &mv.joins, &mut d);
    for f in &mv.dimensions {
        let mut dim = Dimension::new(f.name.clone(), DataType::Unknown)
            .with_expression(f.expr.clone())
            .with_synonyms(f.synonyms.clone());
        dim.description = f.comment.clone().or_else(|| f.display_name.clone());
        d.dimensions.push(dim);
    }
    for f in &mv.measures {
        let mut m = Metric::new(f.name.clone(), DataType::Unknown)
            .with_expression(f.expr.clone())
            .with_synonyms(f.synonyms.clone());
        m.description = f.comment.clone().or_else(|| f.display_name.clone());
        d.metrics.push(m);
    }
    d
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
        let mv = parse("orders_mv", yaml).unwrap();
        assert_eq!(mv.dimensions.len(), 1);
        let d = to_description("cat.sch.orders_mv", &mv, yaml);
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
        let err = parse("m1", "dimensions: 3").unwrap_err();
        assert!(err.to_string().contains("model `m1`"), "{err}");
    }
}
