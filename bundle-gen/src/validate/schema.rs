//! Walks a YAML tree alongside the official bundle JSON schema: unknown fields (warning, as the
//! CLI), required fields (warning), enum values (warning), type mismatches (warning), and
//! deprecated fields (warning).

use serde_json::Value;

use super::Severity;
use super::checks::Finding;
use crate::yaml::{Pos, YamlNode, YamlValue};

const MAX_DEPTH: usize = 96;

pub(super) struct SchemaWalker<'a> {
    root: &'a Value,
}

fn type_names(s: &Value) -> Vec<&str> {
    match s.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => {
            if s.get("properties").is_some() || s.get("additionalProperties").is_some() {
                vec!["object"]
            } else if s.get("items").is_some() {
                vec!["array"]
            } else {
                Vec::new()
            }
        }
    }
}

fn node_kind(n: &YamlNode) -> &'static str {
    match n.value {
        YamlValue::Null => "null",
        YamlValue::Bool(_) => "boolean",
        YamlValue::Int(_) => "integer",
        YamlValue::Float(_) => "number",
        YamlValue::Str { .. } => "string",
        YamlValue::Seq(_) => "array",
        YamlValue::Map(_) => "object",
    }
}

/// Whether a YAML node is acceptable for a schema type, with the CLI's leniency (strings accept
/// scalars, booleans accept yes/no words).
fn type_matches(types: &[&str], n: &YamlNode) -> bool {
    if types.is_empty() || matches!(n.value, YamlValue::Null) {
        return true;
    }
    types.iter().any(|t| match (*t, &n.value) {
        ("object", YamlValue::Map(_)) | ("array", YamlValue::Seq(_)) => true,
        (
            "string",
            YamlValue::Str { .. } | YamlValue::Int(_) | YamlValue::Float(_) | YamlValue::Bool(_),
        ) => true,
        ("integer", YamlValue::Int(_)) | ("number", YamlValue::Int(_) | YamlValue::Float(_)) => {
            true
        }
        ("boolean", YamlValue::Bool(_)) => true,
        ("boolean", YamlValue::Str { value, .. }) => matches!(
            value.to_ascii_lowercase().as_str(),
            "yes" | "no" | "on" | "off" | "y" | "n" | "true" | "false"
        ),
        ("null", _) => false,
        _ => false,
    })
}

fn is_ref_branch(s: &Value) -> bool {
    s.get("type").and_then(Value::as_str) == Some("string")
        && s.get("pattern")
            .and_then(Value::as_str)
            .is_some_and(|p| p.contains("\\$\\{"))
}

impl<'a> SchemaWalker<'a> {
    pub(super) fn new(root: &'a Value) -> Self {
        Self { root }
    }

    fn resolve(&self, mut s: &'a Value) -> &'a Value {
        for _ in 0..32 {
            let Some(r) = s.get("$ref").and_then(Value::as_str) else {
                return s;
            };
            let Some(ptr) = r.strip_prefix('#') else {
                return s;
            };
            match self.root.pointer(ptr) {
                Some(next) => s = next,
                None => {
                    // `$defs` keys contain `/`: walk segment by segment, joining when needed.
                    match self.lookup_defs(ptr) {
                        Some(next) => s = next,
                        None => return s,
                    }
                }
            }
        }
        s
    }

    fn lookup_defs(&self, ptr: &str) -> Option<&'a Value> {
        let segs: Vec<&str> = ptr.trim_start_matches('/').split('/').collect();
        let mut cur = self.root;
        let mut i = 0;
        while i < segs.len() {
            let mut found = None;
            for j in (i + 1..=segs.len()).rev() {
                let key = segs
                    .get(i..j)?
                    .join("/")
                    .replace("~1", "/")
                    .replace("~0", "~");
                if let Some(v) = cur.get(&key) {
                    found = Some((v, j));
                    break;
                }
            }
            let (v, j) = found?;
            cur = v;
            i = j;
        }
        Some(cur)
    }

    /// Schema of the root document.
    pub(super) fn root(&self) -> &'a Value {
        self.root
    }

    /// `at` is where the node's key is (findings about the node as a whole go there).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn walk(
        &self,
        schema: &'a Value,
        node: &YamlNode,
        at: Pos,
        path: &str,
        out: &mut Vec<Finding>,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let s = self.resolve(schema);
        if let Some(msg) = s.get("deprecationMessage").and_then(Value::as_str) {
            out.push(Finding::new(
                Severity::Warning,
                path,
                node.pos,
                format!("`{path}` is deprecated: {msg}"),
                None,
            ));
        } else if s.get("deprecated").and_then(Value::as_bool) == Some(true) {
            out.push(Finding::new(
                Severity::Warning,
                path,
                node.pos,
                format!("`{path}` is deprecated"),
                None,
            ));
        }
        if node.as_str().is_some_and(|v| v.contains("${")) {
            return; // references are resolved at deploy time
        }
        let branches = s
            .get("oneOf")
            .or_else(|| s.get("anyOf"))
            .and_then(Value::as_array);
        if let Some(branches) = branches {
            let candidates: Vec<&'a Value> = branches
                .iter()
                .map(|b| self.resolve(b))
                .filter(|b| !is_ref_branch(b))
                .collect();
            if let Some(b) = candidates
                .iter()
                .find(|b| type_matches(&type_names(b), node))
            {
                self.walk(b, node, at, path, out, depth + 1);
            } else if let Some(first) = candidates.first() {
                let expected = type_names(first).join(" or ");
                out.push(Finding::new(
                    Severity::Warning,
                    path,
                    node.pos,
                    format!("expected {expected} at `{path}`, found {}", node_kind(node)),
                    Some("the CLI drops values of the wrong type".to_string()),
                ));
            }
            return;
        }
        let types = type_names(s);
        if !type_matches(&types, node) {
            out.push(Finding::new(
                Severity::Warning,
                path,
                node.pos,
                format!(
                    "expected {} at `{path}`, found {}",
                    types.join(" or "),
                    node_kind(node)
                ),
                Some("the CLI drops values of the wrong type".to_string()),
            ));
            return;
        }
        if let Some(allowed) = s.get("enum").and_then(Value::as_array)
            && let Some(v) = node.as_str()
            && !allowed.iter().any(|a| a.as_str() == Some(v))
        {
            let list: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
            out.push(Finding::new(
                Severity::Warning,
                path,
                node.pos,
                format!("invalid value `{v}` for `{path}`"),
                Some(format!("use one of: {}", list.join(", "))),
            ));
        }
        match &node.value {
            YamlValue::Map(entries) => {
                let props = s.get("properties").and_then(Value::as_object);
                let addl = s.get("additionalProperties");
                for (k, v) in entries {
                    let child_path = if path.is_empty() {
                        k.name.clone()
                    } else {
                        format!("{path}.{}", k.name)
                    };
                    if let Some(p) = props.and_then(|p| p.get(&k.name)) {
                        self.walk(p, v, k.pos, &child_path, out, depth + 1);
                    } else if let Some(a) = addl.filter(|a| a.is_object()) {
                        self.walk(a, v, k.pos, &child_path, out, depth + 1);
                    } else if addl == Some(&Value::Bool(false)) {
                        out.push(Finding::new(
                            Severity::Warning,
                            &child_path,
                            k.pos,
                            format!("unknown field: {}", k.name),
                            Some(format!(
                                "the CLI ignores `{}`; check its spelling or remove it",
                                k.name
                            )),
                        ));
                    }
                }
                if let Some(req) = s.get("required").and_then(Value::as_array) {
                    for r in req.iter().filter_map(Value::as_str) {
                        if !entries.iter().any(|(k, _)| k.name == r) {
                            out.push(Finding::new(
                                Severity::Warning,
                                path,
                                at,
                                format!(
                                    "missing required field `{r}` in `{}`",
                                    if path.is_empty() { "<root>" } else { path }
                                ),
                                Some(format!("add `{r}`")),
                            ));
                        }
                    }
                }
            }
            YamlValue::Seq(items) => {
                if let Some(item_schema) = s.get("items") {
                    for (i, it) in items.iter().enumerate() {
                        self.walk(
                            item_schema,
                            it,
                            it.pos,
                            &format!("{path}[{i}]"),
                            out,
                            depth + 1,
                        );
                    }
                }
            }
            _ => {}
        }
    }
}
