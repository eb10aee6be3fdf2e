//! Tool descriptors: name, title, description, JSON Schemas and annotations.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::Serialize;
use serde_json::{Map, Value};

/// Behaviour hints a client may show or use to ask for approval (MCP `ToolAnnotations`).
///
/// All fields are hints; clients treat them as untrusted unless they trust the server.
/// [`Default`] is the safe reading for a tool that only reads: read-only, non-destructive,
/// idempotent, closed world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ToolAnnotations {
    /// The tool does not modify its environment.
    pub read_only_hint: bool,
    /// When not read-only: the tool may destroy or overwrite data.
    pub destructive_hint: bool,
    /// Calling the tool twice with the same arguments has no further effect.
    pub idempotent_hint: bool,
    /// The tool talks to an open world of external entities (for example the web).
    pub open_world_hint: bool,
}

impl Default for ToolAnnotations {
    fn default() -> Self {
        Self::read_only()
    }
}

impl ToolAnnotations {
    /// Annotations of a tool that only reads: read-only, idempotent, not destructive, closed world.
    pub fn read_only() -> Self {
        Self {
            read_only_hint: true,
            destructive_hint: false,
            idempotent_hint: true,
            open_world_hint: false,
        }
    }

    /// Annotations of a tool that may destroy or overwrite data: not read-only, destructive, not
    /// idempotent, closed world.
    pub fn destructive() -> Self {
        Self {
            read_only_hint: false,
            destructive_hint: true,
            idempotent_hint: false,
            open_world_hint: false,
        }
    }

    /// Sets `readOnlyHint`.
    pub fn with_read_only(mut self, value: bool) -> Self {
        self.read_only_hint = value;
        self
    }

    /// Sets `destructiveHint`.
    pub fn with_destructive(mut self, value: bool) -> Self {
        self.destructive_hint = value;
        self
    }

    /// Sets `idempotentHint`.
    pub fn with_idempotent(mut self, value: bool) -> Self {
        self.idempotent_hint = value;
        self
    }

    /// Sets `openWorldHint`.
    pub fn with_open_world(mut self, value: bool) -> Self {
        self.open_world_hint = value;
        self
    }
}

/// The descriptor of one tool, independent of any MCP SDK.
///
/// Schemas come from the typed argument and result structs through [`schemars`]
/// (JSON Schema 2020-12, subschemas inlined so every client can read them).
///
/// ```
/// use mcp_tools::{ToolAnnotations, ToolSpec};
///
/// /// Arguments of `echo`.
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct EchoArgs {
///     /// The text to send back.
///     text: String,
/// }
/// /// Result of `echo`.
/// #[derive(serde::Serialize, schemars::JsonSchema)]
/// struct EchoResult {
///     /// The text that was sent.
///     text: String,
/// }
///
/// let spec = ToolSpec::new::<EchoArgs, EchoResult>("echo", "Returns its input.")
///     .with_title("Echo")
///     .with_annotations(ToolAnnotations::read_only());
/// assert_eq!(spec.input_schema()["type"], "object");
/// assert!(spec.output_schema().is_some());
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ToolSpec {
    name: String,
    title: Option<String>,
    description: String,
    input_schema: Map<String, Value>,
    output_schema: Option<Map<String, Value>>,
    annotations: ToolAnnotations,
    writes_data: bool,
}

impl ToolSpec {
    /// A spec whose input schema comes from `A` and output schema from `O`.
    ///
    /// The annotations default to [`ToolAnnotations::read_only`].
    pub fn new<A: JsonSchema, O: JsonSchema>(
        name: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            title: None,
            description: description.into(),
            input_schema: object_schema_for::<A>(),
            output_schema: Some(object_schema_for::<O>()),
            annotations: ToolAnnotations::read_only(),
            writes_data: false,
        }
    }

    /// Sets the display title.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets the annotations. Unless [`ToolSpec::with_writes_data`] is called afterwards, the tool
    /// counts as a write tool exactly when `readOnlyHint` is false.
    pub fn with_annotations(mut self, annotations: ToolAnnotations) -> Self {
        self.annotations = annotations;
        self.writes_data = !annotations.read_only_hint;
        self
    }

    /// Marks whether the tool changes data. Read-only registries hide and reject such tools.
    ///
    /// A tool that is not read-only but only controls work the caller started (for example
    /// cancelling its own statement) sets this to `false`.
    pub fn with_writes_data(mut self, writes: bool) -> Self {
        self.writes_data = writes;
        self
    }

    /// Replaces the name (used by the registry to add a prefix).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Replaces the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// The tool's name, unique within a registry.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The display title, if any.
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// The description shown to the model.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The JSON Schema of the arguments (root `type: object`).
    pub fn input_schema(&self) -> &Map<String, Value> {
        &self.input_schema
    }

    /// The JSON Schema of `structuredContent`.
    pub fn output_schema(&self) -> Option<&Map<String, Value>> {
        self.output_schema.as_ref()
    }

    /// The behaviour hints.
    pub fn annotations(&self) -> ToolAnnotations {
        self.annotations
    }

    /// Whether the tool changes data (hidden and rejected in read-only mode).
    pub fn writes_data(&self) -> bool {
        self.writes_data
    }

    /// The MCP `Tool` object as JSON (`name`, `title`, `description`, `inputSchema`,
    /// `outputSchema`, `annotations`).
    pub fn to_json(&self) -> Value {
        let mut tool = Map::new();
        tool.insert("name".into(), Value::String(self.name.clone()));
        if let Some(title) = &self.title {
            tool.insert("title".into(), Value::String(title.clone()));
        }
        tool.insert(
            "description".into(),
            Value::String(self.description.clone()),
        );
        tool.insert(
            "inputSchema".into(),
            Value::Object(self.input_schema.clone()),
        );
        if let Some(out) = &self.output_schema {
            tool.insert("outputSchema".into(), Value::Object(out.clone()));
        }
        let mut annotations = serde_json::to_value(self.annotations).unwrap_or(Value::Null);
        if let (Some(title), Value::Object(a)) = (&self.title, &mut annotations) {
            a.insert("title".into(), Value::String(title.clone()));
        }
        tool.insert("annotations".into(), annotations);
        Value::Object(tool)
    }
}

/// The JSON Schema (2020-12, subschemas inlined) of `T` as an object with a root `type`.
///
/// A type without fields (a unit struct) gets `{"type":"object","additionalProperties":false}`,
/// the form the MCP spec recommends for tools without parameters.
pub fn object_schema_for<T: JsonSchema>() -> Map<String, Value> {
    let generator = SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    let schema = generator.into_root_schema_for::<T>();
    let mut map = match schema.to_value() {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    if map.get("type") != Some(&Value::String("object".into())) {
        // `null` (unit types) and `true` schemas become an empty object schema.
        if map.get("type") == Some(&Value::String("null".into())) || map.is_empty() {
            map.insert("type".into(), Value::String("object".into()));
            map.insert("additionalProperties".into(), Value::Bool(false));
        } else {
            map.insert("type".into(), Value::String("object".into()));
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// Arguments.
    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Args {
        /// The model to describe.
        model_name: String,
        /// Optional limit.
        limit: Option<u32>,
    }

    /// Nothing.
    #[derive(Deserialize, JsonSchema)]
    struct NoArgs {}

    #[test]
    fn schema_has_descriptions_and_required() {
        let s = object_schema_for::<Args>();
        assert_eq!(s["type"], "object");
        assert_eq!(
            s["properties"]["model_name"]["description"],
            "The model to describe."
        );
        assert_eq!(s["required"], serde_json::json!(["model_name"]));
    }

    #[test]
    fn empty_args_are_an_object_schema() {
        let s = object_schema_for::<NoArgs>();
        assert_eq!(s["type"], "object");
        let unit = object_schema_for::<()>();
        assert_eq!(unit["type"], "object");
        assert_eq!(unit["additionalProperties"], false);
    }

    #[test]
    fn write_flag_follows_annotations() {
        let spec = ToolSpec::new::<NoArgs, NoArgs>("x", "d");
        assert!(!spec.writes_data());
        let spec = spec.with_annotations(ToolAnnotations::destructive());
        assert!(spec.writes_data());
        let spec = spec.with_writes_data(false);
        assert!(!spec.writes_data());
        let json = spec.to_json();
        assert_eq!(json["annotations"]["destructiveHint"], true);
        assert_eq!(json["annotations"]["readOnlyHint"], false);
    }
}
