//! The DataSource CRD: snapshot, structure, and the proposal's example against its schema.

use datasource_model::kubernetes::{Provider, crd, crd_yaml, open_api_v3_schema};
use serde_json::Value;

use crate::fixtures::{PROPOSAL_EXAMPLE, parse, providers};
use crate::kagent_schema::assert_valid;

#[test]
fn crd_snapshot() {
    insta::assert_snapshot!("datasource_crd", crd_yaml());
}

#[test]
fn crd_has_status_subresource_and_printer_columns() {
    let crd = crd();
    let version = &crd["spec"]["versions"][0];
    assert_eq!(crd["spec"]["group"], "kagent.dev");
    assert_eq!(version["name"], "v1alpha1");
    assert_eq!(version["subresources"]["status"], serde_json::json!({}));
    let columns: Vec<&str> = version["additionalPrinterColumns"]
        .as_array()
        .map(|c| c.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(columns, ["Provider", "Ready", "Models", "Age"]);
}

#[test]
fn crd_yaml_round_trips() {
    let parsed: Value = serde_saphyr::from_str(&crd_yaml()).expect("CRD YAML parses");
    assert_eq!(parsed, crd());
}

/// The proposal's example DataSource is accepted as written: it parses, validates against our
/// own CRD schema, and keeps its values.
#[test]
fn proposal_example_is_accepted() {
    let ds = parse(PROPOSAL_EXAMPLE);
    assert_eq!(ds.spec.provider, Some(Provider::Databricks));
    let db = ds.spec.databricks.as_ref().expect("databricks block");
    assert_eq!(db.catalog.as_deref(), Some("main"));
    assert_eq!(
        db.credentials_secret_ref
            .as_ref()
            .and_then(|s| s.key.as_deref()),
        Some("token")
    );
    assert_eq!(ds.spec.semantic_models.len(), 2);
    let status = ds.status.as_ref().expect("status");
    assert_eq!(status.available_models.len(), 3);
    assert!(status.is_ready());
    datasource_model::kubernetes::validate_spec(&ds).expect("spec is valid");

    let raw: Value = serde_saphyr::from_str(PROPOSAL_EXAMPLE).expect("YAML");
    assert_valid(&strict_own_schema(), &raw, "the proposal's DataSource");
}

#[test]
fn fixtures_validate_against_own_schema() {
    let schema = strict_own_schema();
    for (name, ds) in providers() {
        let value = serde_json::to_value(&ds).expect("serialize");
        assert_valid(&schema, &value, name);
    }
}

fn strict_own_schema() -> Value {
    // Our schema with unknown fields rejected, to catch fields the API server would prune.
    let mut schema = open_api_v3_schema();
    fn strict(schema: &mut Value) {
        let Some(obj) = schema.as_object_mut() else {
            return;
        };
        if obj.contains_key("properties") && !obj.contains_key("additionalProperties") {
            obj.insert("additionalProperties".into(), Value::Bool(false));
        }
        if let Some(Value::Object(props)) = obj.get_mut("properties") {
            props.values_mut().for_each(strict);
        }
        if let Some(items) = obj.get_mut("items") {
            strict(items);
        }
    }
    strict(&mut schema);
    schema
}
