//! The `DataSource` CustomResourceDefinition, generated from the Rust types.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::types::{DataSourceSpec, DataSourceStatus, GROUP, KIND, VERSION};

/// Plural resource name (`datasources`).
pub const PLURAL: &str = "datasources";

/// The `DataSource` CustomResourceDefinition (`apiextensions.k8s.io/v1`) as JSON.
///
/// The `openAPIV3Schema` is generated with schemars from [`DataSourceSpec`] and
/// [`DataSourceStatus`] and then made structural (everything inlined, no `oneOf`, every node
/// typed), so the API server accepts it and prunes unknown fields. The status is a subresource;
/// `kubectl get datasources` shows the columns Provider, Ready, Models and Age.
///
/// ```
/// let crd = datasource_model::kubernetes::crd();
/// assert_eq!(crd["metadata"]["name"], "datasources.kagent.dev");
/// ```
pub fn crd() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": format!("{PLURAL}.{GROUP}"),
        },
        "spec": {
            "group": GROUP,
            "names": {
                "kind": KIND,
                "listKind": format!("{KIND}List"),
                "plural": PLURAL,
                "singular": "datasource",
                "shortNames": ["ds"],
                "categories": ["kagent"],
            },
            "scope": "Namespaced",
            "versions": [{
                "name": VERSION,
                "served": true,
                "storage": true,
                "subresources": { "status": {} },
                "additionalPrinterColumns": [
                    { "name": "Provider", "type": "string", "jsonPath": ".spec.provider" },
                    {
                        "name": "Ready",
                        "type": "string",
                        "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status",
                    },
                    {
                        "name": "Models",
                        "type": "string",
                        "jsonPath": ".spec.semanticModels[*].name",
                    },
                    { "name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp" },
                ],
                "schema": { "openAPIV3Schema": open_api_v3_schema() },
            }],
        },
    })
}

/// The CRD rendered as YAML, ready for `kubectl apply -f -`.
///
/// ```
/// let yaml = datasource_model::kubernetes::crd_yaml();
/// assert!(yaml.contains("kind: CustomResourceDefinition"));
/// ```
pub fn crd_yaml() -> String {
    // Serializing a `serde_json::Value` cannot fail: keys are strings and numbers are finite.
    serde_saphyr::to_string(&crd()).unwrap_or_default()
}

/// Renders objects as a multi-document YAML stream (`---` between documents), the form
/// `kubectl apply -f -` reads.
///
/// ```
/// let yaml = datasource_model::kubernetes::yaml_stream(&[
///     serde_json::json!({"kind": "A"}),
///     serde_json::json!({"kind": "B"}),
/// ]);
/// assert_eq!(yaml, "kind: A\n---\nkind: B\n");
/// ```
pub fn yaml_stream<T: serde::Serialize>(documents: &[T]) -> String {
    documents
        .iter()
        .map(|d| serde_saphyr::to_string(d).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("---\n")
}

/// The structural `openAPIV3Schema` of a `DataSource` object.
pub fn open_api_v3_schema() -> Value {
    let mut spec = schema_for::<DataSourceSpec>();
    if let Some(obj) = spec.as_object_mut() {
        obj.insert("required".into(), json!(["provider"]));
        obj.insert("x-kubernetes-validations".into(), spec_rules());
    }
    let status = schema_for::<DataSourceStatus>();
    json!({
        "description": "DataSource connects kagent to a data platform, discovers its semantic \
                        models and generates an MCP tool server that exposes the selected ones.",
        "type": "object",
        "properties": {
            "apiVersion": { "type": "string" },
            "kind": { "type": "string" },
            "metadata": { "type": "object" },
            "spec": spec,
            "status": status,
        },
        "required": ["spec"],
    })
}

/// CEL rules the API server checks on admission (the reconciler checks the same and more).
fn spec_rules() -> Value {
    let rule = |provider: &str, field: &str| {
        json!({
            "rule": format!("self.provider != '{provider}' || has(self.{field})"),
            "message": format!("spec.{field} is required when spec.provider is {provider}"),
        })
    };
    json!([
        rule("Databricks", "databricks"),
        rule("Snowflake", "snowflake"),
        rule("BigQuery", "bigquery"),
        {
            "rule": "!has(self.databricks) || has(self.databricks.credentialsSecretRef) != \
                     has(self.databricks.workloadIdentity)",
            "message": "spec.databricks needs exactly one of credentialsSecretRef and \
                        workloadIdentity",
        },
    ])
}

fn schema_for<T: JsonSchema>() -> Value {
    let generator = SchemaSettings::openapi3()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .into_generator();
    let mut value = generator.into_root_schema_for::<T>().to_value();
    make_structural(&mut value);
    value
}

/// Rewrites a schemars schema into a Kubernetes structural schema.
fn make_structural(value: &mut Value) {
    let Some(obj) = value.as_object_mut() else {
        return;
    };
    // `nullable` is dropped: the API server prunes `null` from non-nullable fields, which is
    // what an absent `Option` means here.
    for key in [
        "$schema",
        "title",
        "$defs",
        "definitions",
        "examples",
        "nullable",
    ] {
        obj.remove(key);
    }
    if obj.contains_key("properties") && obj.get("additionalProperties") == Some(&json!(false)) {
        obj.remove("additionalProperties");
    }
    // `Option<Enum>` comes out as `anyOf: [<enum schema>, {nullable}]`, and unit enums with
    // documented variants as `oneOf: [{enum: [..]}, ..]`: fold both into a typed node.
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(branches)) = obj.remove(key) else {
            continue;
        };
        let rest: Vec<Value> = branches
            .into_iter()
            .filter(|b| !is_null_schema(b))
            .collect();
        if let [single] = rest.as_slice() {
            if let Value::Object(fields) = single {
                for (k, v) in fields {
                    obj.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        } else if let Some(values) = enum_values(&rest) {
            obj.insert("type".into(), json!("string"));
            obj.insert("enum".into(), Value::Array(values));
        } else {
            obj.insert(key.into(), Value::Array(rest));
        }
    }
    if let Some(Value::Array(values)) = obj.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
    if let Some(Value::String(format)) = obj.get("format") {
        match format.as_str() {
            "uint8" | "uint16" | "int8" | "int16" | "uint32" | "int32" => {
                obj.insert("format".into(), json!("int32"));
            }
            "uint64" | "int64" | "uint" | "int" => {
                obj.insert("format".into(), json!("int64"));
            }
            "date-time" | "byte" | "double" | "float" => {}
            _ => {
                obj.remove("format");
            }
        }
    }
    for child in obj.values_mut() {
        match child {
            Value::Object(_) => make_structural(child),
            Value::Array(items) => items.iter_mut().for_each(make_structural),
            _ => {}
        }
    }
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        props.values_mut().for_each(make_structural);
    }
    sort_keys(obj);
}

fn is_null_schema(schema: &Value) -> bool {
    schema.get("type") == Some(&json!("null"))
        || schema.get("enum") == Some(&json!([null]))
        || schema.get("const") == Some(&Value::Null)
        || schema
            .as_object()
            .is_some_and(|o| o.len() == 1 && o.get("nullable") == Some(&json!(true)))
}

fn enum_values(branches: &[Value]) -> Option<Vec<Value>> {
    let mut out = Vec::new();
    for branch in branches {
        let values = branch.get("enum")?.as_array()?;
        if values.iter().any(|v| !v.is_string()) {
            return None;
        }
        out.extend(values.iter().cloned());
    }
    (!out.is_empty()).then_some(out)
}

fn sort_keys(obj: &mut Map<String, Value>) {
    let mut entries: Vec<(String, Value)> = std::mem::take(obj).into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    obj.extend(entries);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(value: &Value, path: &str, problems: &mut Vec<String>) {
        let Some(obj) = value.as_object() else {
            return;
        };
        for banned in ["$ref", "oneOf", "anyOf", "allOf", "$defs", "const"] {
            if obj.contains_key(banned) {
                problems.push(format!("{path}: has {banned}"));
            }
        }
        if !obj.contains_key("type") && !obj.contains_key("x-kubernetes-preserve-unknown-fields") {
            problems.push(format!("{path}: no type"));
        }
        if let Some(Value::Object(props)) = obj.get("properties") {
            for (name, schema) in props {
                walk(schema, &format!("{path}.{name}"), problems);
            }
        }
        if let Some(items) = obj.get("items") {
            walk(items, &format!("{path}[]"), problems);
        }
        if let Some(ap @ Value::Object(_)) = obj.get("additionalProperties") {
            walk(ap, &format!("{path}{{}}"), problems);
        }
    }

    #[test]
    fn schema_is_structural() {
        let schema = open_api_v3_schema();
        let mut problems = Vec::new();
        walk(&schema, "", &mut problems);
        assert!(
            problems.is_empty(),
            "not structural: {problems:#?}\n{schema:#}"
        );
        assert_eq!(
            schema["properties"]["spec"]["properties"]["provider"]["enum"],
            json!(["Databricks", "Snowflake", "BigQuery", "Local"])
        );
        assert_eq!(
            schema["properties"]["spec"]["properties"]["toolServer"]["properties"]["kind"]["enum"],
            json!(["MCPServer", "RemoteMCPServer", "ToolServer"])
        );
    }
}
