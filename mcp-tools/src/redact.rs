//! Secrets replaced by `[REDACTED]` in tool output: the last line of defence behind tools that
//! never print credentials. Used by the [`crate::Registry`] (every tool) and by toolsets that
//! take secrets in their own options.

use std::fmt;

use serde_json::Value;

use crate::{ToolError, ToolOutput};

/// A set of secret strings (kept out of `Debug`).
#[derive(Clone, Default)]
pub(crate) struct Redactions(Vec<String>);

impl fmt::Debug for Redactions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactions({} secrets)", self.0.len())
    }
}

impl Redactions {
    /// Adds a secret; empty strings are ignored.
    pub(crate) fn push(&mut self, secret: String) {
        if !secret.is_empty() {
            self.0.push(secret);
        }
    }

    /// Replaces every secret in the text and the structured content of `out`.
    pub(crate) fn apply(&self, mut out: ToolOutput) -> ToolOutput {
        if self.0.is_empty() {
            return out;
        }
        self.replace_in(&mut out.text);
        if let Some(v) = out.structured.as_mut() {
            self.apply_value(v);
        }
        out
    }

    /// Replaces every secret in the messages of `error`.
    pub(crate) fn apply_error(&self, error: ToolError) -> ToolError {
        if self.0.is_empty() {
            return error;
        }
        let clean = |mut s: String| {
            self.replace_in(&mut s);
            s
        };
        match error {
            ToolError::InvalidParams { tool, message } => ToolError::InvalidParams {
                tool,
                message: clean(message),
            },
            ToolError::UnknownTool { name } => ToolError::UnknownTool { name: clean(name) },
            ToolError::Internal { message } => ToolError::Internal {
                message: clean(message),
            },
            other => other,
        }
    }

    pub(crate) fn replace_in(&self, s: &mut String) {
        for secret in &self.0 {
            if s.contains(secret.as_str()) {
                *s = s.replace(secret.as_str(), "[REDACTED]");
            }
        }
    }

    pub(crate) fn apply_value(&self, v: &mut Value) {
        match v {
            Value::String(s) => self.replace_in(s),
            Value::Array(items) => items.iter_mut().for_each(|i| self.apply_value(i)),
            Value::Object(map) => map.values_mut().for_each(|i| self.apply_value(i)),
            _ => {}
        }
    }
}
