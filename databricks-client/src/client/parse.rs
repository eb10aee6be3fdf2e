//! Error bodies → [`ApiError`] (databricks-api.md §2.1): standard JSON, API 1.2 `{"error"}`,
//! SCIM, `"CODE: message"` strings, HTML gateway pages, and anything else as a short excerpt.

use std::time::SystemTime;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::retry::parse_retry_after;
use crate::error::ApiError;

const EXCERPT_CHARS: usize = 200;
const REQUEST_INFO: &str = "type.googleapis.com/google.rpc.RequestInfo";

pub(crate) fn api_error(
    method: &str,
    path: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> ApiError {
    let (error_code, message, details) = parse_body(status, body);
    let request_id = details
        .iter()
        .find(|d| d.get("@type").and_then(Value::as_str) == Some(REQUEST_INFO))
        .and_then(|d| d.get("request_id"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            ["x-request-id", "x-databricks-request-id"]
                .iter()
                .find_map(|h| headers.get(*h)?.to_str().ok().map(str::to_owned))
        });
    ApiError::new(method, path, status.as_u16(), error_code, message)
        .with_request_id(request_id)
        .with_retry_after(parse_retry_after(headers, SystemTime::now()))
        .with_details(details)
}

fn reason(status: StatusCode) -> String {
    status.canonical_reason().unwrap_or("error").to_owned()
}

fn upper_snake(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(str::to_ascii_uppercase)
        .collect::<Vec<_>>()
        .join("_")
}

fn parse_body(status: StatusCode, body: &[u8]) -> (Option<String>, String, Vec<Value>) {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return (None, reason(status), Vec::new());
    }
    if let Ok(value) = serde_json::from_str::<Value>(trimmed) {
        match value {
            Value::Object(map) => {
                let str_field = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_owned);
                let details = map
                    .get("details")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                if let Some(code) = str_field("error_code") {
                    let message = str_field("message").unwrap_or_else(|| reason(status));
                    return (Some(code), message, details);
                }
                if let Some(detail) = str_field("detail") {
                    // SCIM: {"detail", "status", "scimType"}
                    let scim_status = map
                        .get("status")
                        .and_then(|v| {
                            v.as_str()
                                .map(str::to_owned)
                                .or_else(|| v.as_u64().map(|n| n.to_string()))
                        })
                        .unwrap_or_else(|| status.as_u16().to_string());
                    return (Some(format!("SCIM_{scim_status}")), detail, details);
                }
                if let Some(error) = str_field("error") {
                    // API 1.2 style, or OAuth {error, error_description}.
                    let message = match str_field("error_description") {
                        Some(d) => format!("{error}: {d}"),
                        None => error,
                    };
                    return (None, message, details);
                }
                if let Some(message) = str_field("message") {
                    return (None, message, details);
                }
                return (None, excerpt(trimmed), details);
            }
            Value::String(s) => return parse_code_message(&s).unwrap_or((None, s, Vec::new())),
            _ => return (None, excerpt(trimmed), Vec::new()),
        }
    }
    if let Some(parsed) = parse_code_message(trimmed) {
        return parsed;
    }
    if trimmed.starts_with('<') {
        let inner = between(trimmed, "<pre>", "</pre>")
            .or_else(|| between(trimmed, "<title>", "</title>"))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(excerpt)
            .unwrap_or_else(|| reason(status));
        return (Some(upper_snake(&reason(status))), inner, Vec::new());
    }
    (None, excerpt(trimmed), Vec::new())
}

/// `"ERROR_CODE: message"`.
fn parse_code_message(s: &str) -> Option<(Option<String>, String, Vec<Value>)> {
    let (code, message) = s.split_once(": ")?;
    (!code.is_empty() && code.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .then(|| (Some(code.to_owned()), message.trim().to_owned(), Vec::new()))
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let lower = s.to_ascii_lowercase();
    let from = lower.find(start)? + start.len();
    let to = from + lower.get(from..)?.find(end)?;
    s.get(from..to)
}

/// A short, single-line excerpt of a body, cut on a character boundary.
pub(crate) fn excerpt(s: &str) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(EXCERPT_CHARS + 1)
        .collect();
    if flat.chars().count() > EXCERPT_CHARS {
        let cut: String = flat.chars().take(EXCERPT_CHARS).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn parse(status: u16, body: &str) -> ApiError {
        api_error(
            "GET",
            "/api/2.0/x",
            StatusCode::from_u16(status).unwrap(),
            &HeaderMap::new(),
            body.as_bytes(),
        )
    }

    #[test]
    fn standard_json_with_request_info() {
        let e = parse(
            404,
            r#"{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Table x not found",
            "details":[{"@type":"type.googleapis.com/google.rpc.RequestInfo","request_id":"abc-123","serving_data":""},
                       {"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"R","domain":"d","metadata":{}}]}"#,
        );
        assert_eq!(e.error_code.as_deref(), Some("RESOURCE_DOES_NOT_EXIST"));
        assert_eq!(e.message, "Table x not found");
        assert_eq!(e.request_id.as_deref(), Some("abc-123"));
        assert_eq!(e.details.len(), 2);
        assert_eq!(e.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn other_shapes() {
        let e = parse(400, r#"{"error":"ContextNotFound: context 1 not found"}"#);
        assert_eq!(e.message, "ContextNotFound: context 1 not found");
        let e = parse(
            404,
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"User not found","status":"404"}"#,
        );
        assert_eq!(e.error_code.as_deref(), Some("SCIM_404"));
        let e = parse(400, "INVALID_PARAMETER_VALUE: bad id");
        assert_eq!(e.error_code.as_deref(), Some("INVALID_PARAMETER_VALUE"));
        assert_eq!(e.message, "bad id");
        let e = parse(
            502,
            "<html><head><title>502 Bad Gateway</title></head><body><pre>upstream died</pre></body></html>",
        );
        assert_eq!(e.error_code.as_deref(), Some("BAD_GATEWAY"));
        assert_eq!(e.message, "upstream died");
        let e = parse(503, "");
        assert_eq!(e.message, "Service Unavailable");
        let long = "x".repeat(10_000);
        let e = parse(500, &long);
        assert!(e.message.chars().count() <= EXCERPT_CHARS + 1);
        // Invalid UTF-8 and multi-byte cut points never panic.
        let e = api_error(
            "GET",
            "/",
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            &[0xff, 0xfe, b'<', 0xe2, 0x82],
        );
        assert_eq!(e.status, 502);
        let e = parse(500, &"é".repeat(500));
        assert!(e.message.ends_with('…'));
    }
}
