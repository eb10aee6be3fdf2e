//! Building request paths from caller-supplied identifiers, safely.
//!
//! Every identifier that becomes part of a URL path (an endpoint name, a Genie space id, a Unity
//! Catalog full name, a statement id, a Files API path, …) goes through [`path_segment`] or
//! [`path_components`] before anything is sent. Both refuse values that would change *which*
//! endpoint the request reaches, and percent-encode the rest:
//!
//! | value | result |
//! |---|---|
//! | empty or only whitespace | [`Error::InvalidArgument`] |
//! | `.` or `..` (a dot segment the URL parser would resolve: `/serving-endpoints/../invocations` is `/invocations`) | [`Error::InvalidArgument`] |
//! | contains `/` or `\` (a segment separator; `\` is one for `http(s)` URLs) | [`Error::InvalidArgument`] (a single segment only) |
//! | contains a control character (NUL, CR, LF, TAB, DEL, C1) | [`Error::InvalidArgument`] |
//! | `%2e%2e`, `a%2Fb` | accepted as the literal name: `%` is encoded as `%25`, so the server sees `%2e%2e`, never `..` |
//! | spaces, `?`, `#`, quotes, non-ASCII (`é`, `日本`) | accepted and percent-encoded |
//!
//! As a second line of defence, [`RequestBuilder`](crate::RequestBuilder) refuses any request
//! path that still holds a dot segment (`.`, `..`, or their `%2e` spellings), so a path built by
//! hand with [`WorkspaceClient::get`](crate::WorkspaceClient::get) cannot be rerouted either.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::error::{Error, Result};

/// Characters escaped in one path segment (everything but unreserved characters and a few
/// sub-delimiters that are harmless in a path, such as `.`, `:`, `@`, `=`).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'[')
    .add(b']')
    .add(b'\\')
    .add(b'^')
    .add(b'|');

/// Longest part of a rejected value echoed in an error message.
const SHOWN_CHARS: usize = 64;

/// The value as shown in an error: escaped (`{:?}`) and cut to a few characters, so an error
/// never carries a huge or unprintable input back.
fn shown(value: &str) -> String {
    let mut cut: String = value.chars().take(SHOWN_CHARS).collect();
    if cut.len() < value.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

fn invalid(param: &str, value: &str, why: &str, fix: &str) -> Error {
    Error::InvalidArgument(format!(
        "{param} {} {why}; {fix} (nothing was sent)",
        shown(value)
    ))
}

/// Checks the rules shared by single segments and the components of a multi-segment path.
fn check_component(param: &str, whole: &str, component: &str) -> Result<()> {
    if component == "." || component == ".." {
        return Err(invalid(
            param,
            whole,
            &format!(
                "contains the path segment `{component}`, which would address another endpoint"
            ),
            &format!("pass the {param} of the object itself"),
        ));
    }
    if component.chars().any(char::is_control) {
        return Err(invalid(
            param,
            whole,
            "contains a control character (NUL, newline, tab, …)",
            "remove it",
        ));
    }
    if component.contains('\\') {
        return Err(invalid(
            param,
            whole,
            "contains `\\`, which URLs treat as a path separator",
            "remove it (paths use `/`)",
        ));
    }
    Ok(())
}

/// Validates an identifier that fills exactly one URL path segment and percent-encodes it.
///
/// `param` names the argument in the error (e.g. `endpoint_name`). Empty values, `.`, `..`,
/// values containing `/`, `\` or a control character are refused with
/// [`Error::InvalidArgument`]; everything else is percent-encoded (`%2e%2e` stays a literal
/// name). Nothing is sent for a refused value.
///
/// ```
/// use databricks_client::path_segment;
///
/// assert_eq!(path_segment("name", "main.sales.orders").unwrap(), "main.sales.orders");
/// assert_eq!(path_segment("name", "my model").unwrap(), "my%20model");
/// assert_eq!(path_segment("name", "%2e%2e").unwrap(), "%252e%252e");
/// assert!(path_segment("endpoint_name", "..").is_err());
/// assert!(path_segment("space_id", "a/b").is_err());
/// assert!(path_segment("space_id", "").is_err());
/// ```
pub fn path_segment(param: &str, value: &str) -> Result<String> {
    if value.trim().is_empty() {
        return Err(Error::InvalidArgument(format!(
            "{param} must not be empty; pass the {param} to address (nothing was sent)"
        )));
    }
    if value.contains('/') {
        return Err(invalid(
            param,
            value,
            "contains `/`, which would split it into several path segments",
            &format!("pass a single {param} without `/`"),
        ));
    }
    check_component(param, value, value)?;
    Ok(utf8_percent_encode(value, SEGMENT).to_string())
}

/// Validates an absolute multi-segment path (a Files API path such as
/// `/Volumes/main/default/vol/dir/file.csv`) and percent-encodes each component, keeping `/`.
///
/// Every component is checked like a [`path_segment`] (no `.` or `..`, no `\`, no control
/// characters); empty components (`a//b`) are refused except a single trailing `/`.
///
/// ```
/// use databricks_client::path_components;
///
/// assert_eq!(
///     path_components("path", "/Volumes/main/default/v/my file.csv").unwrap(),
///     "/Volumes/main/default/v/my%20file.csv"
/// );
/// assert!(path_components("path", "/Volumes/main/../../etc").is_err());
/// assert!(path_components("path", "Volumes/relative").is_err());
/// ```
pub fn path_components(param: &str, value: &str) -> Result<String> {
    let Some(rest) = value.strip_prefix('/') else {
        return Err(invalid(
            param,
            value,
            "is not absolute",
            "start it with `/`, e.g. /Volumes/<catalog>/<schema>/<volume>/<file>",
        ));
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() && value == "/" {
        return Ok("/".to_owned());
    }
    let mut encoded = String::with_capacity(value.len() + 8);
    for component in rest.split('/') {
        if component.is_empty() {
            return Err(invalid(
                param,
                value,
                "has an empty path component (`//`)",
                "remove the doubled `/`",
            ));
        }
        check_component(param, value, component)?;
        encoded.push('/');
        encoded.extend(utf8_percent_encode(component, FILE_COMPONENT));
    }
    if value.len() > 1 && value.ends_with('/') {
        encoded.push('/');
    }
    Ok(encoded)
}

/// Characters escaped in a Files API path component (Python `urllib.parse.quote`: everything
/// but ASCII letters, digits and `-_.~`).
const FILE_COMPONENT: &AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Whether a raw request path holds a dot segment the URL parser would resolve (`.`, `..`,
/// `%2e`, `.%2e`, `%2e.`, `%2e%2e`, any case), or a `\`, which `http(s)` URLs treat as `/`.
pub(crate) fn dot_segment(path: &str) -> Option<&str> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path.split(['/', '\\']).find(|s| {
        let lower = s.to_ascii_lowercase();
        matches!(
            lower.as_str(),
            "." | ".." | "%2e" | ".%2e" | "%2e." | "%2e%2e"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_that_reroute_are_refused() {
        for value in [
            "", " ", "\t", ".", "..", "a/b", "/", "../x", "x/..", "a\\b", "\\", "a\0b", "\0",
            "a\nb", "a\rb", "a\tb", "\u{7f}", "\u{85}", "..\\..",
        ] {
            let err = path_segment("endpoint_name", value).unwrap_err();
            assert!(
                matches!(err, Error::InvalidArgument(_)),
                "{value:?}: {err:?}"
            );
            let text = err.to_string();
            assert!(text.contains("endpoint_name"), "{text}");
            assert!(text.contains("nothing was sent"), "{text}");
        }
    }

    #[test]
    fn ordinary_segments_are_encoded() {
        let cases = [
            ("main.sales.orders", "main.sales.orders"),
            ("my-endpoint_1", "my-endpoint_1"),
            ("01ef-abc", "01ef-abc"),
            ("a b", "a%20b"),
            ("a?b#c", "a%3Fb%23c"),
            ("%2e%2e", "%252e%252e"),
            ("%2E.", "%252E."),
            ("a%2Fb", "a%252Fb"),
            ("...", "..."),
            (".hidden", ".hidden"),
            ("é", "%C3%A9"),
            ("日本", "%E6%97%A5%E6%9C%AC"),
            ("`q`", "%60q%60"),
        ];
        for (value, expected) in cases {
            assert_eq!(path_segment("x", value).unwrap(), expected, "{value:?}");
            assert!(
                dot_segment(&format!("/api/{expected}/x")).is_none(),
                "{value}"
            );
        }
    }

    #[test]
    fn errors_do_not_echo_huge_values() {
        let huge = format!("{}/x", "a".repeat(100_000));
        let text = path_segment("space_id", &huge).unwrap_err().to_string();
        assert!(text.len() < 400, "{}", text.len());
    }

    #[test]
    fn multi_segment_paths() {
        let ok = [
            ("/Volumes/c/s/v/f.csv", "/Volumes/c/s/v/f.csv"),
            ("/Volumes/c/s/v/dir/", "/Volumes/c/s/v/dir/"),
            ("/Volumes/c/s/v/a b+c.txt", "/Volumes/c/s/v/a%20b%2Bc.txt"),
            ("/Volumes/c/s/v/.hidden", "/Volumes/c/s/v/.hidden"),
            ("/Volumes/c/s/v/é", "/Volumes/c/s/v/%C3%A9"),
            ("/Volumes/c/s/v/%2e%2e", "/Volumes/c/s/v/%252e%252e"),
            ("/", "/"),
        ];
        for (value, expected) in ok {
            assert_eq!(path_components("path", value).unwrap(), expected, "{value}");
        }
        for value in [
            "",
            "relative/x",
            "/Volumes/../etc",
            "/Volumes/c/s/v/..",
            "/Volumes/c/./v",
            "/..",
            "//Volumes",
            "/Volumes//x",
            "/Volumes/a\\..\\b",
            "/Volumes/a\0b",
            "/Volumes/a\nb",
        ] {
            let err = path_components("path", value).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{value:?}");
            assert!(err.to_string().contains("path"), "{err}");
        }
    }

    #[test]
    fn dot_segments_in_raw_paths() {
        for path in [
            "/api/2.0/serving-endpoints/../invocations",
            "/api/2.0/x/./y",
            "/api/%2e%2e/x",
            "/api/.%2E/x",
            "/api/%2E./x",
            "/api/%2e/x",
            "/api/..",
            "/api/a\\..\\b",
        ] {
            assert!(dot_segment(path).is_some(), "{path}");
        }
        for path in [
            "/api/2.0/jobs/list",
            "/api/2.1/unity-catalog/tables/main.sales.orders",
            "/api/2.0/x/.../y",
            "/api/2.0/x?path=/a/../b",
        ] {
            assert!(dot_segment(path).is_none(), "{path}");
        }
    }
}
