//! Tool results and tool errors.

use serde::Serialize;
use serde_json::Value;

/// The result of a tool call that ran: text for the model plus optional structured content.
///
/// `is_error` results are failures the caller can act on (bad SQL, unknown metric, a stopped
/// warehouse); their text names the fix. Protocol-level failures are [`ToolError`]s instead.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ToolOutput {
    /// Text content (compact; capped by the result shaping).
    pub text: String,
    /// Structured content, conforming to the tool's output schema when the call succeeded.
    pub structured: Option<Value>,
    /// Whether the tool reports a failure (`isError`).
    pub is_error: bool,
}

impl ToolOutput {
    /// A successful result with text only.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            structured: None,
            is_error: false,
        }
    }

    /// A successful result with text and structured content serialized from `value`.
    pub fn structured<T: Serialize>(text: impl Into<String>, value: &T) -> Result<Self, ToolError> {
        let structured = serde_json::to_value(value)
            .map_err(|e| ToolError::internal(format!("could not serialize the result: {e}")))?;
        Ok(Self {
            text: text.into(),
            structured: Some(structured),
            is_error: false,
        })
    }

    /// A failure the caller can act on (`isError: true`). The message should name the fix.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            text: message.into(),
            structured: None,
            is_error: true,
        }
    }
}

/// A tool call that could not run.
///
/// Adapters map [`ToolError::UnknownTool`] to JSON-RPC `-32602` (invalid params), and
/// [`ToolError::Internal`] to `-32603`. [`ToolError::InvalidParams`] and
/// [`ToolError::WriteDisabled`] become `isError` results, because the model can correct them
/// (MCP 2025-11-25, SEP-1303); see [`ToolError::into_output`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    /// No tool of that name is served (unknown, or filtered out by the allowlist).
    #[error("unknown tool `{name}`; call tools/list to see the tools this server offers")]
    UnknownTool {
        /// The requested name.
        name: String,
    },
    /// The arguments do not match the tool's input schema.
    #[error("invalid arguments for `{tool}`: {message}")]
    InvalidParams {
        /// The tool.
        tool: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The tool changes data and the server is read-only.
    #[error(
        "`{tool}` changes data and this server is read-only; restart the server with writes enabled (for example `--allow-writes`) to use it"
    )]
    WriteDisabled {
        /// The tool.
        tool: String,
    },
    /// A failure of the server itself (a bug or a broken invariant), not of the request.
    #[error("internal error: {message}")]
    Internal {
        /// What failed.
        message: String,
    },
}

impl ToolError {
    /// An [`ToolError::InvalidParams`] for `tool`.
    pub fn invalid_params(tool: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidParams {
            tool: tool.into(),
            message: message.into(),
        }
    }

    /// An [`ToolError::Internal`] error.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal {
            message: message.into(),
        }
    }

    /// Whether this is a protocol-level error (the request cannot be served), as opposed to an
    /// error the model should see as an `isError` result.
    pub fn is_protocol_error(&self) -> bool {
        matches!(self, Self::UnknownTool { .. } | Self::Internal { .. })
    }

    /// Whether the tool name is unknown.
    pub fn is_unknown_tool(&self) -> bool {
        matches!(self, Self::UnknownTool { .. })
    }

    /// The `isError` result for errors the model can correct; `Err(self)` for protocol errors.
    pub fn into_output(self) -> Result<ToolOutput, Self> {
        if self.is_protocol_error() {
            Err(self)
        } else {
            Ok(ToolOutput::error(self.to_string()))
        }
    }
}

/// Parses tool arguments into `T`, turning failures into [`ToolError::InvalidParams`] whose
/// message names the field that broke (quoting at most [`crate::MAX_QUOTED_BYTES`] of a bad
/// value).
///
/// A missing or `null` argument object is read as `{}`.
pub fn parse_args<T: serde::de::DeserializeOwned>(tool: &str, args: Value) -> Result<T, ToolError> {
    let args = if args.is_null() {
        Value::Object(serde_json::Map::new())
    } else {
        args
    };
    serde_json::from_value(args).map_err(|e| {
        // serde quotes the offending value (`invalid type: string "…"`): quote a bounded part.
        let e = e.to_string();
        let e = crate::budget::clip_quoted(&e, crate::MAX_QUOTED_BYTES);
        ToolError::invalid_params(
            tool,
            format!("{e}; see the tool's inputSchema for the expected fields"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct A {
        #[allow(dead_code)]
        model_name: String,
    }

    #[test]
    fn parse_args_names_the_field() {
        let err = parse_args::<A>("describe_model", serde_json::json!({})).unwrap_err();
        assert!(err.to_string().contains("model_name"), "{err}");
        assert!(!err.is_protocol_error());
        let out = err.into_output().unwrap();
        assert!(out.is_error);
    }

    #[test]
    fn protocol_errors_stay_errors() {
        let err = ToolError::UnknownTool { name: "x".into() };
        assert!(err.is_unknown_tool());
        assert!(err.clone().into_output().is_err());
        assert!(ToolError::internal("boom").into_output().is_err());
        let w = ToolError::WriteDisabled { tool: "t".into() }
            .into_output()
            .unwrap();
        assert!(w.text.contains("--allow-writes"));
    }
}
