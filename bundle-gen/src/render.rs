//! Deterministic YAML rendering in the Databricks CLI's style.
//!
//! Values go through `serde_json::Value` into an ordered tree whose key order follows the CLI
//! (`databricks bundle generate`): job → `name`, `job_clusters`, `compute`, `tasks`, then
//! alphabetical; task → `task_key`, `depends_on`, `existing_cluster_id`, `new_cluster`,
//! `job_cluster_key`, then alphabetical; other maps alphabetical. Strings that a YAML reader
//! could take for something else (`yes`, `on`, `1_000`, `2024-01-01`, `0x1F`, `~`, …) are quoted
//! by serde-saphyr; values under `spark_conf`, `spark_env_vars`, `custom_tags` and `tags` are
//! always double-quoted, as the CLI does; multi-line strings use literal blocks.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

use crate::error::{Error, Result};

/// Ordered YAML value.
#[derive(Debug, Clone, PartialEq)]
enum Yv {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    Str(String),
    /// Always double-quoted.
    Quoted(String),
    Seq(Vec<Self>),
    Map(Vec<(String, Self)>),
}

impl Serialize for Yv {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Self::Null => s.serialize_unit(),
            Self::Bool(b) => s.serialize_bool(*b),
            Self::Number(n) => n.serialize(s),
            Self::Str(v)
                if v.contains('\n')
                    && !v.contains('\r')
                    && !v.contains('\t')
                    && !v.starts_with(' ') =>
            {
                serde_saphyr::LitStr(v).serialize(s)
            }
            Self::Str(v) => s.serialize_str(v),
            Self::Quoted(v) => serde_saphyr::DoubleQuoted(v.as_str()).serialize(s),
            Self::Seq(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            Self::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// Where in the document a map sits (decides its key order).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ctx {
    Root,
    Job,
    Task,
    Target,
    Variable,
    /// Values of this map are always quoted.
    QuotedValues,
    Other,
}

const ROOT_ORDER: &[&str] = &[
    "bundle",
    "include",
    "variables",
    "artifacts",
    "workspace",
    "presets",
    "permissions",
    "run_as",
    "sync",
    "experimental",
    "python",
    "scripts",
    "resources",
    "targets",
];
const JOB_ORDER: &[&str] = &["name", "job_clusters", "compute", "tasks"];
const TASK_ORDER: &[&str] = &[
    "task_key",
    "depends_on",
    "existing_cluster_id",
    "new_cluster",
    "job_cluster_key",
];
const TARGET_ORDER: &[&str] = &[
    "default",
    "mode",
    "presets",
    "bundle",
    "workspace",
    "variables",
    "run_as",
    "permissions",
];
const VARIABLE_ORDER: &[&str] = &["description", "type", "default", "lookup"];
const BUNDLE_ORDER: &[&str] = &["name", "uuid"];
/// Identity keys lead their maps (`- name: x` / `default: y`, `- environment_key: ...`).
const IDENTITY_FIRST: &[&str] = &["task_key", "job_cluster_key", "environment_key", "name"];

fn ordered_keys<'a>(map: &'a serde_json::Map<String, Value>, first: &[&str]) -> Vec<&'a String> {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_by(|a, b| {
        let pa = first.iter().position(|f| f == a).unwrap_or(usize::MAX);
        let pb = first.iter().position(|f| f == b).unwrap_or(usize::MAX);
        (pa, a.as_str()).cmp(&(pb, b.as_str()))
    });
    keys
}

fn convert(v: &Value, ctx: Ctx, parent_key: &str) -> Yv {
    match v {
        Value::Null => Yv::Null,
        Value::Bool(b) => Yv::Bool(*b),
        Value::Number(n) => Yv::Number(n.clone()),
        Value::String(s) if ctx == Ctx::QuotedValues => Yv::Quoted(s.clone()),
        Value::String(s) => Yv::Str(s.clone()),
        Value::Array(items) => {
            let item_ctx = match parent_key {
                "tasks" => Ctx::Task,
                _ => Ctx::Other,
            };
            Yv::Seq(items.iter().map(|i| convert(i, item_ctx, "")).collect())
        }
        Value::Object(map) => {
            let order: &[&str] = match ctx {
                Ctx::Root => ROOT_ORDER,
                Ctx::Job => JOB_ORDER,
                Ctx::Task => TASK_ORDER,
                Ctx::Target => TARGET_ORDER,
                Ctx::Variable => VARIABLE_ORDER,
                Ctx::Other if parent_key == "bundle" => BUNDLE_ORDER,
                _ => IDENTITY_FIRST,
            };
            let entries = ordered_keys(map, order)
                .into_iter()
                .filter_map(|k| map.get(k).map(|child| (k, child)))
                .map(|(k, child)| {
                    let child_ctx = match (ctx, k.as_str()) {
                        (Ctx::QuotedValues, _) => Ctx::QuotedValues,
                        (_, "spark_conf" | "spark_env_vars" | "custom_tags" | "tags") => {
                            Ctx::QuotedValues
                        }
                        (Ctx::Task, "task") => Ctx::Task, // for_each_task.task is handled below
                        _ => Ctx::Other,
                    };
                    let yv = match (ctx, parent_key, k.as_str()) {
                        // resources.jobs.<key>
                        (_, "jobs", _) => convert(child, Ctx::Job, k),
                        (_, "targets", _) => convert(child, Ctx::Target, k),
                        (Ctx::Root, _, "variables") => convert_children(child, Ctx::Variable),
                        (_, "for_each_task", "task") => convert(child, Ctx::Task, k),
                        _ => convert(child, child_ctx, k),
                    };
                    (k.clone(), yv)
                })
                .collect();
            Yv::Map(entries)
        }
    }
}

/// Converts a map whose values are all of the same context (e.g. variables).
fn convert_children(v: &Value, ctx: Ctx) -> Yv {
    match v {
        Value::Object(map) => Yv::Map(
            ordered_keys(map, &[])
                .into_iter()
                .filter_map(|k| map.get(k).map(|c| (k.clone(), convert(c, ctx, k))))
                .collect(),
        ),
        other => convert(other, Ctx::Other, ""),
    }
}

fn options() -> serde_saphyr::SerializerOptions {
    let mut o = serde_saphyr::SerializerOptions::default();
    o.indent_step = 2;
    o.compact_list_indent = false;
    o.prefer_block_scalars = false;
    o
}

/// Renders a whole configuration document (a `databricks.yml` or an included file).
pub(crate) fn render_document(v: &Value) -> Result<String> {
    let yv = convert(v, Ctx::Root, "");
    serde_saphyr::to_string_with_options(&yv, options()).map_err(|e| Error::Render(e.to_string()))
}

/// Renders any serializable value as a configuration document.
///
/// ```
/// let yaml = bundle_gen::to_yaml(&serde_json::json!({
///     "bundle": {"name": "demo"},
///     "variables": {"flag": {"default": "yes"}, "n": {"default": "1_000"}},
/// })).unwrap();
/// assert!(yaml.contains("default: \"yes\"") || yaml.contains("default: 'yes'"));
/// ```
pub fn to_yaml<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    let v = serde_json::to_value(value).map_err(|e| Error::Render(e.to_string()))?;
    render_document(&v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quotes_ambiguous_scalars_and_round_trips() {
        let tricky = [
            "yes",
            "no",
            "on",
            "off",
            "y",
            "n",
            "NO",
            "true",
            "False",
            "null",
            "~",
            "",
            "1_000",
            "2024-01-01",
            "0x1F",
            "0o17",
            "1e3",
            "12",
            "-3.5",
            ".inf",
            "${var.x}",
            "0 0 12 * * ?",
            "--catalog",
            "a: b",
            "#x",
            "- x",
            "multi\nline\n",
            "  lead",
            "tab\there",
            "{{job.id}}",
            "@x",
            "*x",
            "&x",
            "!x",
            "%x",
            "'q'",
            "\"dq\"",
        ];
        let v = json!({"bundle": {"name": "t"}, "resources": {"jobs": {"j": {
            "name": "j",
            "tags": tricky.iter().enumerate().map(|(i, s)| (format!("k{i:02}"), json!(s))).collect::<serde_json::Map<_, _>>(),
            "parameters": tricky.iter().enumerate().map(|(i, s)| json!({"name": format!("p{i}"), "default": s})).collect::<Vec<_>>(),
        }}}});
        let yaml = render_document(&v).unwrap();
        for bad in [
            "default: yes\n",
            "default: on\n",
            "default: 1_000\n",
            "default: 2024-01-01\n",
            "default: 0x1F\n",
            "default: ~\n",
            "default: null\n",
            "default: 12\n",
        ] {
            assert!(!yaml.contains(bad), "unquoted {bad:?} in\n{yaml}");
        }
        assert!(yaml.contains("default: ${var.x}\n"), "{yaml}");
        assert!(yaml.contains("default: 0 0 12 * * ?\n"), "{yaml}");
        assert!(
            yaml.contains("k00: \"yes\"\n"),
            "tags are double-quoted: {yaml}"
        );
        // YAML 1.2 reading (our parser, go-yaml-like) gives back the same strings
        let back = crate::yaml::parse(&yaml).unwrap();
        let params = back
            .get("resources")
            .and_then(|r| r.get("jobs"))
            .and_then(|j| j.get("j"))
            .and_then(|j| j.get("parameters"))
            .unwrap();
        for (i, s) in tricky.iter().enumerate() {
            assert_eq!(
                params.items()[i]
                    .get("default")
                    .and_then(crate::yaml::YamlNode::as_str),
                Some(*s),
                "param {i}\n{yaml}"
            );
        }
        let again: Value = serde_saphyr::from_str(&yaml).unwrap();
        assert_eq!(again, v);
    }

    #[test]
    fn cli_key_order() {
        let v = json!({"targets": {"dev": {"mode": "development", "default": true}}, "bundle": {"name": "b"},
            "resources": {"jobs": {"j": {"tags": {"a": "b"}, "tasks": [{"notebook_task": {"notebook_path": "x"}, "depends_on": [{"task_key": "a"}], "task_key": "t"}], "name": "j", "job_clusters": []}}}});
        let yaml = render_document(&v).unwrap();
        let pos = |s: &str| yaml.find(s).unwrap_or_else(|| panic!("{s} in {yaml}"));
        assert!(pos("bundle:") < pos("resources:") && pos("resources:") < pos("targets:"));
        assert!(
            pos("name: j") < pos("job_clusters")
                && pos("job_clusters") < pos("tasks:")
                && pos("tasks:") < pos("tags:")
        );
        assert!(pos("task_key: t") < pos("depends_on") && pos("depends_on") < pos("notebook_task"));
        assert!(pos("default: true") < pos("mode: development"));
        assert!(
            yaml.contains("      tasks:\n        - task_key: t\n"),
            "{yaml}"
        );
    }
}
