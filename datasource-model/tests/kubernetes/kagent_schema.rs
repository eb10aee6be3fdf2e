//! Validation against the real kagent / kmcp CRDs read from `KAGENT_CRD_DIR`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

/// The CRD directory, or `None` (after printing why) when `KAGENT_CRD_DIR` is unset.
pub(crate) fn crd_dir(test: &str) -> Option<PathBuf> {
    match std::env::var_os("KAGENT_CRD_DIR") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            println!("skipped {test}: set KAGENT_CRD_DIR to the kagent CRD folder to run it");
            None
        }
    }
}

/// The `openAPIV3Schema` of the served version `version` of kind `kind`, made strict: every
/// object with `properties` rejects unknown fields, so a field the API server would silently
/// prune fails validation instead. Parsed once per kind and version.
pub(crate) fn served_schema(dir: &Path, kind: &str, version: &str) -> Value {
    static CACHE: OnceLock<Mutex<HashMap<(String, String), Value>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (kind.to_owned(), version.to_owned());
    if let Some(schema) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return schema;
    }
    let schema = load_schema(dir, kind, version);
    if let Ok(mut c) = cache.lock() {
        c.insert(key, schema.clone());
    }
    schema
}

fn load_schema(dir: &Path, kind: &str, version: &str) -> Value {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read KAGENT_CRD_DIR {}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        // Cheap pre-filter before parsing large files.
        if !text.contains(&format!("kind: {kind}\n")) {
            continue;
        }
        let Ok(crd) = serde_saphyr::from_str::<Value>(&text) else {
            continue;
        };
        if crd["kind"] != "CustomResourceDefinition" || crd["spec"]["names"]["kind"] != kind {
            continue;
        }
        let versions = crd["spec"]["versions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for v in versions {
            if v["name"] == version {
                assert_eq!(v["served"], true, "{kind} {version} is not served");
                let mut schema = v["schema"]["openAPIV3Schema"].clone();
                strict(&mut schema);
                return schema;
            }
        }
        panic!("{} has no version {version}", path.display());
    }
    panic!("no CRD for kind {kind} in {}", dir.display());
}

fn strict(schema: &mut Value) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    if obj.contains_key("properties")
        && !obj.contains_key("additionalProperties")
        && !obj.contains_key("x-kubernetes-preserve-unknown-fields")
    {
        obj.insert("additionalProperties".into(), Value::Bool(false));
    }
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        props.values_mut().for_each(strict);
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(sub) = obj.get_mut(key) {
            strict(sub);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(subs)) = obj.get_mut(key) {
            subs.iter_mut().for_each(strict);
        }
    }
}

/// Every validation error of `manifest` against `schema`.
pub(crate) fn errors(schema: &Value, manifest: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(schema)
        .unwrap_or_else(|e| panic!("CRD schema does not compile: {e}"));
    validator
        .iter_errors(manifest)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Validates `manifest` against `schema`, listing every error.
pub(crate) fn assert_valid(schema: &Value, manifest: &Value, what: &str) {
    let errors = errors(schema, manifest);
    assert!(
        errors.is_empty(),
        "{what} is not valid against the kagent CRD:\n{}\n{}",
        errors.join("\n"),
        serde_json::to_string_pretty(manifest).unwrap_or_default()
    );
}

/// Validates a generated object against the CRD of its own kind and apiVersion; objects of
/// core kinds (ConfigMap, Deployment, Service) have no CRD and are skipped.
pub(crate) fn assert_valid_object(dir: &Path, manifest: &Value) {
    let kind = manifest["kind"].as_str().unwrap_or_default();
    let api_version = manifest["apiVersion"].as_str().unwrap_or_default();
    let Some(version) = api_version.strip_prefix("kagent.dev/") else {
        return;
    };
    let schema = served_schema(dir, kind, version);
    assert_valid(&schema, manifest, &format!("{kind} {api_version}"));
}
