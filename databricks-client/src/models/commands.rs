//! Command Execution API 1.2 models (camelCase on the wire).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::jobs::Extra;
use super::open_enum::open_enum;

open_enum! {
    /// Language of an execution context / command (lowercase on the wire).
    pub enum CommandLanguage {
        /// Python.
        Python = "python",
        /// Scala.
        Scala = "scala",
        /// SQL.
        Sql = "sql",
        /// R.
        R = "r",
    }
}

open_enum! {
    /// Status of an execution context.
    pub enum ContextStatus {
        /// Being created.
        Pending = "Pending",
        /// Ready.
        Running = "Running",
        /// Failed.
        Error = "Error",
    }
}

open_enum! {
    /// Status of a command.
    pub enum CommandStatus {
        /// Queued.
        Queued = "Queued",
        /// Running.
        Running = "Running",
        /// Being cancelled.
        Cancelling = "Cancelling",
        /// Cancelled.
        Cancelled = "Cancelled",
        /// Finished (the result may still be an error result).
        Finished = "Finished",
        /// Failed.
        Error = "Error",
    }
}

/// `GET /api/1.2/contexts/status` response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContextStatusResponse {
    /// Context id.
    #[serde(default)]
    pub id: String,
    /// Status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ContextStatus>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GET /api/1.2/commands/status` response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CommandStatusResponse {
    /// Command id.
    #[serde(default)]
    pub id: String,
    /// Status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CommandStatus>,
    /// Results (once finished).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<CommandResults>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Raw `results` of a command.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CommandResults {
    /// `text`, `table`, `error`, `image`, `images`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<String>,
    /// Text (for `text`) or rows (for `table`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// Column descriptors (for `table`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schema: Vec<ColumnSchema>,
    /// Whether the result was truncated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<bool>,
    /// Whether `schema` types are JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_json_schema: Option<bool>,
    /// Error text / stack trace (for `error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// Short error summary (for `error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Image file (for `image`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// Image files (for `images`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub file_names: Vec<String>,
    /// Unknown fields (`pos`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A column descriptor of a table result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ColumnSchema {
    /// Column name.
    #[serde(default)]
    pub name: String,
    /// Type (a JSON-encoded Spark type string such as `"\"long\""`, as sent).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<Value>,
    /// Unknown fields (`metadata`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A typed command result.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CommandOutput {
    /// Text output (`resultType: text`).
    Text(String),
    /// A table (`resultType: table`).
    Table {
        /// Columns.
        columns: Vec<ColumnSchema>,
        /// Rows (each an array of cell values).
        rows: Vec<Vec<Value>>,
        /// Whether rows were truncated.
        truncated: bool,
    },
    /// The command failed (`resultType: error`): a normal outcome, not a request error.
    Error {
        /// Short summary, if any.
        summary: Option<String>,
        /// The error text / stack trace.
        cause: String,
    },
    /// Another result type (`image`, `images`, …), raw.
    Other(CommandResults),
}

impl CommandOutput {
    /// The text of a `Text` result.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(t) => Some(t),
            _ => None,
        }
    }

    /// Whether this is an error result.
    pub fn is_error(&self) -> bool {
        matches!(self, Self::Error { .. })
    }
}

impl From<CommandResults> for CommandOutput {
    fn from(results: CommandResults) -> Self {
        match results.result_type.as_deref() {
            Some("text") => Self::Text(match &results.data {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            }),
            Some("table") => {
                let rows = match &results.data {
                    Some(Value::Array(rows)) => rows
                        .iter()
                        .map(|row| match row {
                            Value::Array(cells) => cells.clone(),
                            other => vec![other.clone()],
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                Self::Table {
                    columns: results.schema,
                    rows,
                    truncated: results.truncated.unwrap_or(false),
                }
            }
            Some("error") => Self::Error {
                summary: results.summary,
                cause: results.cause.unwrap_or_default(),
            },
            _ => Self::Other(results),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typed_outputs() {
        let r: CommandResults =
            serde_json::from_value(json!({"resultType": "text", "data": "2\n"})).unwrap();
        assert_eq!(CommandOutput::from(r), CommandOutput::Text("2\n".into()));

        let r: CommandResults = serde_json::from_value(json!({
            "resultType": "table",
            "data": [[1, "a"], [2, "b"]],
            "schema": [{"name": "id", "type": "\"long\"", "metadata": "{}"}, {"name": "s", "type": "\"string\"", "metadata": "{}"}],
            "truncated": false,
            "isJsonSchema": true
        }))
        .unwrap();
        match CommandOutput::from(r) {
            CommandOutput::Table {
                columns,
                rows,
                truncated,
            } => {
                assert_eq!(columns.len(), 2);
                assert_eq!(columns[0].name, "id");
                assert_eq!(rows[1], vec![json!(2), json!("b")]);
                assert!(!truncated);
            }
            other => panic!("unexpected {other:?}"),
        }

        let r: CommandResults = serde_json::from_value(json!({
            "resultType": "error", "summary": "NameError", "cause": "NameError: name 'x' is not defined"
        }))
        .unwrap();
        let out = CommandOutput::from(r);
        assert!(out.is_error());
    }
}
