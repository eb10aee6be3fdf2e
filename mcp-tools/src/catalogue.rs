//! A Markdown catalogue of the tools a [`Registry`] serves.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::Registry;

/// Renders a Markdown catalogue of `registry`: per toolset, each tool's name, title,
/// description, annotations, whether read-only mode hides it, and its input fields (name, type,
/// required, description) read from the input schema.
///
/// The output is deterministic (registry order, schema property order), so a test can compare
/// it with a checked-in file; this repository checks `docs/tools.md` that way.
///
/// ```
/// # use std::sync::Arc;
/// # fn demo(toolset: Arc<dyn mcp_tools::Toolset>) -> Result<(), Box<dyn std::error::Error>> {
/// let registry = mcp_tools::Registry::builder().toolset(toolset).build()?;
/// let markdown = mcp_tools::catalogue_markdown(&registry, "My server's tools");
/// assert!(markdown.starts_with("# My server's tools"));
/// # Ok(()) }
/// ```
pub fn catalogue_markdown(registry: &Registry, title: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {title}\n");
    // Group consecutive tools by toolset, keeping registry order.
    let mut groups: Vec<(String, Vec<&crate::ToolSpec>)> = Vec::new();
    for spec in registry.specs() {
        let set = registry
            .toolset_of(spec.name())
            .unwrap_or("other")
            .to_owned();
        match groups.last_mut() {
            Some((name, specs)) if *name == set => specs.push(spec),
            _ => groups.push((set, vec![spec])),
        }
    }
    let _ = writeln!(out, "| toolset | tools |\n|---|---|");
    for (name, specs) in &groups {
        let names: Vec<String> = specs.iter().map(|s| format!("`{}`", s.name())).collect();
        let _ = writeln!(out, "| `{name}` | {} |", names.join(", "));
    }
    for (name, specs) in &groups {
        let _ = writeln!(out, "\n## Toolset `{name}` ({} tools)", specs.len());
        for spec in specs {
            let _ = write!(out, "\n### `{}`", spec.name());
            if let Some(t) = spec.title() {
                let _ = write!(out, " — {t}");
            }
            let _ = writeln!(out, "\n\n{}\n", spec.description().trim());
            let a = spec.annotations();
            let mut hints = Vec::new();
            hints.push(if a.read_only_hint {
                "read-only"
            } else {
                "changes state"
            });
            if !a.read_only_hint {
                hints.push(if a.destructive_hint {
                    "destructive"
                } else {
                    "not destructive"
                });
            }
            hints.push(if a.idempotent_hint {
                "idempotent"
            } else {
                "not idempotent"
            });
            hints.push(if a.open_world_hint {
                "open world"
            } else {
                "closed world"
            });
            let _ = writeln!(
                out,
                "*Annotations:* {}. *Read-only servers:* {}.\n",
                hints.join(", "),
                if spec.writes_data() {
                    "hidden"
                } else {
                    "served"
                }
            );
            fields_table(&mut out, spec.input_schema());
        }
    }
    out
}

fn fields_table(out: &mut String, schema: &Map<String, Value>) {
    let props = schema.get("properties").and_then(Value::as_object);
    let Some(props) = props.filter(|p| !p.is_empty()) else {
        let _ = writeln!(out, "No arguments.");
        return;
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "| argument | type | required | description |\n|---|---|---|---|"
    );
    for (name, prop) in props {
        let description = prop
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .replace('\n', " ")
            .replace('|', "\\|");
        let _ = writeln!(
            out,
            "| `{name}` | {} | {} | {description} |",
            type_of(prop),
            if required.contains(&name.as_str()) {
                "yes"
            } else {
                "no"
            }
        );
    }
}

/// A short type label of a JSON Schema: `string`, `integer?` (nullable), `array of string`,
/// `"a" \| "b"` (enums), `one of …`.
fn type_of(schema: &Value) -> String {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let v: Vec<String> = values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| format!("`{v}`"))
            .collect();
        return v.join(" \\| ");
    }
    let (ty, nullable) = match schema.get("type") {
        Some(Value::String(t)) => (Some(t.clone()), false),
        Some(Value::Array(ts)) => {
            let names: Vec<&str> = ts
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect();
            (
                Some(names.join(" \\| ")),
                ts.iter().any(|t| t.as_str() == Some("null")),
            )
        }
        _ => (None, false),
    };
    let base = match ty.as_deref() {
        Some("array") => match schema.get("items") {
            Some(items) => format!("array of {}", type_of(items)),
            None => "array".to_owned(),
        },
        Some(t) if !t.is_empty() => t.to_owned(),
        _ => {
            let alternatives = schema
                .get("anyOf")
                .or_else(|| schema.get("oneOf"))
                .and_then(Value::as_array);
            match alternatives {
                Some(alts) => {
                    let nullable = alts
                        .iter()
                        .any(|a| a.get("type").and_then(Value::as_str) == Some("null"));
                    let parts: Vec<String> = alts
                        .iter()
                        .filter(|a| a.get("type").and_then(Value::as_str) != Some("null"))
                        .map(type_of)
                        .collect();
                    let joined = parts.join(" \\| ");
                    return if nullable {
                        format!("{joined}?")
                    } else {
                        joined
                    };
                }
                None => "any".to_owned(),
            }
        }
    };
    if nullable { format!("{base}?") } else { base }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn type_labels() {
        assert_eq!(type_of(&json!({"type": "string"})), "string");
        assert_eq!(type_of(&json!({"type": ["integer", "null"]})), "integer?");
        assert_eq!(
            type_of(&json!({"type": "array", "items": {"type": "string"}})),
            "array of string"
        );
        assert_eq!(
            type_of(&json!({"enum": ["a", "b", null]})),
            "`\"a\"` \\| `\"b\"`"
        );
        assert_eq!(
            type_of(&json!({"anyOf": [{"type": "object"}, {"type": "null"}]})),
            "object?"
        );
        assert_eq!(type_of(&json!({})), "any");
    }
}
