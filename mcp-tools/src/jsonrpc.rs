//! Framing checks for incoming JSON-RPC 2.0 messages, independent of any MCP SDK.
//!
//! JSON-RPC 2.0 answers input it cannot use: `-32700` (parse error) for bytes that are not JSON,
//! `-32600` (invalid request) for JSON that is not a request object, both with `"id": null` when
//! no id can be read. rmcp 3.x drops unparsable lines silently (its stdio transport logs and
//! continues, rust-sdk issue #938), so a client waiting on its id hangs. [`check_message`] makes
//! that decision before the SDK sees the message; the rmcp adapter's checked transport
//! (`rmcp_adapter::CheckedTransport`, feature `rmcp`) answers rejected lines on stdio, and an HTTP
//! front answers a rejected body with status 400 and [`Rejection::to_json`].
//!
//! Checks, in order: nesting depth (counted by a linear scan, never recursively, so 20,000 nested
//! arrays cost nothing), UTF-8, JSON syntax, then the envelope: a single object (batches are
//! refused: MCP removed them), `"jsonrpc": "2.0"`, an `id` that is a string, number or null, and
//! either a `method` (request or notification) or a `result`/`error` with an `id` (a response
//! to a server request).
//!
//! ```
//! use mcp_tools::jsonrpc::{Checked, PARSE_ERROR, check_message};
//!
//! let rejected = check_message(b"{\"jsonrpc\":\"2.0\",").unwrap_err();
//! assert_eq!(rejected.code(), PARSE_ERROR);
//! assert_eq!(rejected.to_json()["id"], serde_json::Value::Null);
//! assert!(matches!(check_message(b"  \r"), Ok(Checked::Empty)));
//! assert!(matches!(
//!     check_message(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#),
//!     Ok(Checked::Message(_))
//! ));
//! ```

use serde_json::{Value, json};

/// JSON-RPC `-32700`: the input is not JSON.
pub const PARSE_ERROR: i64 = -32700;
/// JSON-RPC `-32600`: JSON, but not a valid request object.
pub const INVALID_REQUEST: i64 = -32600;
/// JSON-RPC `-32602`: a known method with parameters of the wrong shape.
pub const INVALID_PARAMS: i64 = -32602;

/// The deepest nesting of arrays and objects accepted in one message. serde_json refuses 128
/// levels on its own (by recursion, and only once it gets there); this limit is checked first,
/// without recursion, and answers with a message that names it.
pub const MAX_JSON_DEPTH: usize = 100;

/// The longest message read from a line-based transport (bytes, without the newline): 4 MiB,
/// the request body limit of rmcp's Streamable HTTP server.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// The longest excerpt of caller input (a method name, a parser message) echoed in an error.
const MAX_ECHO_CHARS: usize = 200;

/// A message that passed [`check_message`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Checked {
    /// A blank line (whitespace only): skipped without an answer.
    Empty,
    /// A JSON-RPC object to hand to the SDK.
    Message(Value),
}

/// Why a message was refused, and the JSON-RPC error that answers it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("JSON-RPC {code}: {message}")]
#[non_exhaustive]
pub struct Rejection {
    code: i64,
    message: String,
    id: Value,
}

impl Rejection {
    /// A rejection with `code` and `message`, answered with `id` (`Value::Null` when unknown).
    pub fn new(code: i64, message: impl Into<String>, id: Value) -> Self {
        Self {
            code,
            message: message.into(),
            id,
        }
    }

    fn parse(message: impl Into<String>) -> Self {
        Self::new(PARSE_ERROR, message, Value::Null)
    }

    /// The JSON-RPC error code.
    pub fn code(&self) -> i64 {
        self.code
    }

    /// The error message (names the fix; echoes at most a short excerpt of the input).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The id answered (`null` when the message had none that could be read).
    pub fn id(&self) -> &Value {
        &self.id
    }

    /// The JSON-RPC error response.
    pub fn to_json(&self) -> Value {
        json!({
            "jsonrpc": "2.0",
            "id": self.id,
            "error": {"code": self.code, "message": self.message},
        })
    }

    /// The response as one line (newline-terminated), for line-based transports.
    pub fn to_line(&self) -> Vec<u8> {
        let mut line = self.to_json().to_string().into_bytes();
        line.push(b'\n');
        line
    }
}

/// An excerpt of caller input short enough to echo.
pub(crate) fn excerpt(s: &str) -> String {
    if s.chars().count() <= MAX_ECHO_CHARS {
        s.to_owned()
    } else {
        let head: String = s.chars().take(MAX_ECHO_CHARS).collect();
        format!("{head}… (cut)")
    }
}

/// The deepest nesting of `[`/`{` outside strings, stopping as soon as it exceeds `limit`.
/// Linear, constant stack: safe on any input, including invalid JSON.
fn depth_exceeds(bytes: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Checks one incoming message (a line without its newline, or an HTTP body): blank, a
/// well-formed JSON-RPC object, or a [`Rejection`] to send back. A UTF-8 byte order mark and a
/// trailing `\r` are ignored.
pub fn check_message(bytes: &[u8]) -> Result<Checked, Rejection> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Checked::Empty);
    }
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(Rejection::new(
            INVALID_REQUEST,
            format!(
                "Invalid Request: the message is {} bytes, more than the {MAX_MESSAGE_BYTES} accepted; send smaller arguments",
                bytes.len()
            ),
            Value::Null,
        ));
    }
    if depth_exceeds(bytes, MAX_JSON_DEPTH) {
        return Err(Rejection::parse(format!(
            "Parse error: arrays and objects nest deeper than {MAX_JSON_DEPTH} levels; flatten the arguments"
        )));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Rejection::parse(format!(
            "Parse error: the message is not UTF-8 (invalid byte at offset {}); send JSON text encoded as UTF-8",
            e.valid_up_to()
        ))
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        Rejection::parse(format!(
            "Parse error: {}; send one JSON-RPC object per line",
            excerpt(&e.to_string())
        ))
    })?;
    check_envelope(&value)?;
    Ok(Checked::Message(value))
}

/// The JSON-RPC 2.0 envelope of a parsed message (see the module docs).
fn check_envelope(value: &Value) -> Result<(), Rejection> {
    let invalid = |message: &str, id: Value| {
        Rejection::new(INVALID_REQUEST, format!("Invalid Request: {message}"), id)
    };
    let object = match value {
        Value::Object(object) => object,
        Value::Array(_) => {
            return Err(invalid(
                "batches (JSON arrays) are not supported by MCP; send one JSON-RPC object per message",
                Value::Null,
            ));
        }
        other => {
            return Err(invalid(
                &format!(
                    "expected a JSON-RPC object, got a JSON {}",
                    match other {
                        Value::Null => "null",
                        Value::Bool(_) => "boolean",
                        Value::Number(_) => "number",
                        _ => "string",
                    }
                ),
                Value::Null,
            ));
        }
    };
    let id = match object.get("id") {
        None => None,
        Some(id @ (Value::String(_) | Value::Number(_) | Value::Null)) => Some(id.clone()),
        Some(_) => {
            return Err(invalid(
                "`id` must be a string, a number or null",
                Value::Null,
            ));
        }
    };
    let answer_id = id.clone().unwrap_or(Value::Null);
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(invalid("`jsonrpc` must be \"2.0\"", answer_id));
    }
    match object.get("method") {
        Some(Value::String(_)) => Ok(()),
        Some(_) => Err(invalid("`method` must be a string", answer_id)),
        None if id.is_some() && (object.contains_key("result") || object.contains_key("error")) => {
            Ok(())
        }
        None => Err(invalid(
            "a request needs a `method` (a response needs an `id` and a `result` or `error`)",
            answer_id,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_scan_ignores_brackets_in_strings() {
        let deep_string = format!(r#"{{"a":"{}"}}"#, "[".repeat(10_000));
        assert!(!depth_exceeds(deep_string.as_bytes(), 2));
        let escaped = r#"{"a":"\"[[[[","b":[1]}"#;
        assert!(!depth_exceeds(escaped.as_bytes(), 2));
        assert!(depth_exceeds(b"[[[", 2));
        assert!(!depth_exceeds(b"[[]]", 2));
        assert!(!depth_exceeds(b"[][][][]", 1));
    }

    #[test]
    fn serde_json_refuses_128_levels_on_its_own() {
        // The limit here stays below serde_json's, so every accepted message also parses.
        let ok = format!("{}{}", "[".repeat(127), "]".repeat(127));
        assert!(serde_json::from_str::<Value>(&ok).is_ok());
        let too_deep = format!("{}{}", "[".repeat(128), "]".repeat(128));
        let err = serde_json::from_str::<Value>(&too_deep).unwrap_err();
        assert!(err.to_string().contains("recursion limit"), "{err}");
        const { assert!(MAX_JSON_DEPTH < 127) };
    }

    #[test]
    fn excerpts_are_bounded() {
        assert_eq!(excerpt("short"), "short");
        let long = "é".repeat(10_000);
        let cut = excerpt(&long);
        assert!(cut.chars().count() < 220 && cut.ends_with("(cut)"));
    }
}
