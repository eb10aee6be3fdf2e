//! `${...}` interpolation parsing (the CLI's reference grammar).

use std::sync::LazyLock;

use regex::Regex;

#[allow(clippy::expect_used)] // constant pattern, checked by tests
static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    let seg = r"\p{L}+(?:[-_]*[\p{L}\p{N}]+)*";
    Regex::new(&format!(
        r"^{seg}(?:\.{seg}(?:\[[0-9]+\])*)*(?:\[[0-9]+\])*$"
    ))
    .expect("valid regex")
});

/// One `${...}` occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Interp {
    /// A well-formed reference; the path inside the braces.
    Ref(String),
    /// `${` with no closing brace or an inner text that is not a reference.
    Invalid(String),
}

/// Finds all `${...}` occurrences in `s`.
pub(super) fn find(s: &str) -> Vec<Interp> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let after = rest.get(start + 2..).unwrap_or("");
        match after.find('}') {
            Some(end) => {
                let inner = after.get(..end).unwrap_or("");
                if REFERENCE.is_match(inner) {
                    out.push(Interp::Ref(inner.to_string()));
                } else {
                    out.push(Interp::Invalid(format!("${{{inner}}}")));
                }
                rest = after.get(end + 1..).unwrap_or("");
            }
            None => {
                out.push(Interp::Invalid(format!("${{{after}")));
                break;
            }
        }
    }
    out
}

/// Splits a reference path into its dotted segments (indices removed).
pub(super) fn segments(path: &str) -> Vec<&str> {
    path.split('.')
        .map(|s| s.split('[').next().unwrap_or(s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references() {
        assert_eq!(
            find("a ${var.x} b ${resources.jobs.my-job.id} ${var.list[0]}"),
            vec![
                Interp::Ref("var.x".into()),
                Interp::Ref("resources.jobs.my-job.id".into()),
                Interp::Ref("var.list[0]".into())
            ]
        );
        assert_eq!(find("${var.}"), vec![Interp::Invalid("${var.}".into())]);
        assert_eq!(find("${var.x"), vec![Interp::Invalid("${var.x".into())]);
        assert_eq!(find("{{job.id}} $x"), vec![]);
        assert_eq!(segments("var.cfg.a[2]"), ["var", "cfg", "a"]);
    }
}
