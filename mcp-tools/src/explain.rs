//! Turning library errors into tool results the model can act on.

use databricks_client::Error as ClientError;

use crate::ToolOutput;

/// Bytes of a client error's own text an explanation keeps (quoted values are clipped further).
const MAX_ERROR_DETAIL_BYTES: usize = 4 * 1024;

/// The `isError` result for a failed Databricks call made by tool `tool`.
///
/// The text keeps everything a caller needs to act (HTTP status, `error_code`, the server's
/// message, the request id, the client's hint) and adds what to do next for the common classes:
/// a missing object, a permission problem, bad credentials, throttling. Credentials never appear:
/// the client's errors do not carry them. The error's own text is bounded (4 KiB, quoted values
/// at most [`crate::MAX_QUOTED_BYTES`]), so a server echoing a huge request cannot flood the
/// caller.
///
/// ```
/// use databricks_client::{ApiError, Error};
/// let err = Error::Api(Box::new(ApiError::new(
///     "GET", "/api/2.2/jobs/get", 400, Some("INVALID_PARAMETER_VALUE".into()),
///     "Job 7 does not exist.",
/// )));
/// let out = mcp_tools::client_error_output("get_job", &err);
/// assert!(out.is_error);
/// assert!(out.text.contains("Job 7 does not exist"));
/// assert!(out.text.contains("list_jobs"));
/// ```
pub fn client_error_output(tool: &str, error: &ClientError) -> ToolOutput {
    ToolOutput::error(explain_client_error(tool, error))
}

/// The text of [`client_error_output`].
pub fn explain_client_error(tool: &str, error: &ClientError) -> String {
    // The server's message may echo the request (a statement, a name): bound it, so the next
    // step below survives whatever the registry's output budget cuts.
    let detail = crate::budget::bound_error_text(&error.to_string(), MAX_ERROR_DETAIL_BYTES);
    let mut text = format!("{tool} failed: {detail}");
    let next = if error.is_not_found() {
        Some(not_found_hint(tool))
    } else if error.is_permission_denied() {
        Some(
            "the identity the server runs as lacks a permission for this object; ask a workspace admin to grant it, or use another object"
                .to_owned(),
        )
    } else if error.is_unauthenticated() {
        Some(
            "the server's Databricks credentials were rejected; the operator must fix DATABRICKS_TOKEN or the OAuth client settings and restart the server"
                .to_owned(),
        )
    } else if error.is_rate_limited() {
        Some(match error.retry_after() {
            Some(d) => format!(
                "the workspace is throttling requests; retry after {} s",
                d.as_secs().max(1)
            ),
            None => "the workspace is throttling requests; retry in a few seconds".to_owned(),
        })
    } else if error.is_retryable() {
        Some("this looks transient; retrying the same call later may succeed".to_owned())
    } else if error.is_already_exists() {
        Some("the object already exists; use it, or pick another name".to_owned())
    } else {
        None
    };
    if let Some(next) = next {
        text.push_str("\nNext: ");
        text.push_str(&next);
    }
    text
}

fn not_found_hint(tool: &str) -> String {
    let lister = match tool.rsplit_once("get_").map(|(_, noun)| noun) {
        Some("job") | Some("run") => "list_jobs",
        Some("cluster") => "list_clusters",
        Some("table") => "list_tables",
        Some("catalog_status") => "list_catalogs",
        _ => "the matching list_* tool",
    };
    format!(
        "the object does not exist or is not visible to this identity; call {lister} to see what exists"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use databricks_client::ApiError;

    fn api(status: u16, code: &str, msg: &str) -> ClientError {
        ClientError::Api(Box::new(
            ApiError::new("GET", "/api/x", status, Some(code.into()), msg)
                .with_request_id(Some("req-1".into())),
        ))
    }

    #[test]
    fn names_the_next_step_per_class() {
        let t = explain_client_error("get_cluster", &api(404, "RESOURCE_DOES_NOT_EXIST", "no"));
        assert!(t.contains("list_clusters") && t.contains("req-1"), "{t}");
        let t = explain_client_error("list_jobs", &api(403, "PERMISSION_DENIED", "no"));
        assert!(t.contains("permission"), "{t}");
        let t = explain_client_error("list_jobs", &api(401, "UNAUTHENTICATED", "no"));
        assert!(t.contains("DATABRICKS_TOKEN"), "{t}");
        let t = explain_client_error("list_jobs", &api(429, "REQUEST_LIMIT_EXCEEDED", "slow"));
        assert!(t.contains("throttling"), "{t}");
        let t = explain_client_error("list_jobs", &api(503, "TEMPORARILY_UNAVAILABLE", "x"));
        assert!(t.contains("transient"), "{t}");
        let t = explain_client_error("list_jobs", &ClientError::InvalidArgument("bad".into()));
        assert!(!t.contains("Next:"), "{t}");
    }
}
