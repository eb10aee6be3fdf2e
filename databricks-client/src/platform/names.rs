//! Tenant naming rules and SQL quoting: the one place that decides which names a tenant may
//! use and how they are written into SQL.

use super::PlatformError;

/// What a tenant id, dataset name and other single-segment name must look like.
pub const NAME_RULE: &str = "must be 1 to 64 characters of lowercase letters, digits and `_`";

/// What a notebook name below the tenant folder must look like.
pub const NOTEBOOK_RULE: &str = "must be a name below the tenant folder made of letters, digits, `_`, `-` and `/` separators, e.g. `etl/daily`";

/// Checks a tenant id, dataset name or other name that becomes part of a catalog, table or
/// path: 1 to 64 characters of `[a-z0-9_]`, so every name derived from it is safe.
///
/// # Errors
/// [`PlatformError::InvalidName`] naming `field` and the rule.
///
/// ```
/// use databricks_client::platform::names::check_name;
/// assert!(check_name("tenant_id", "acme_1").is_ok());
/// assert!(check_name("tenant_id", "Acme").is_err());
/// assert!(check_name("tenant_id", "a;drop").is_err());
/// ```
pub fn check_name(field: &'static str, value: &str) -> Result<(), PlatformError> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(PlatformError::InvalidName {
            field,
            value: value.to_owned(),
            rule: NAME_RULE,
        })
    }
}

/// Checks a notebook name below the tenant folder: `/`-separated, non-empty segments of
/// `[A-Za-z0-9_-]`, at most 200 characters (so no `..`, no absolute path, no `//`).
///
/// # Errors
/// [`PlatformError::InvalidName`] for the field `notebook`.
///
/// ```
/// use databricks_client::platform::names::check_notebook_name;
/// assert!(check_notebook_name("etl/daily").is_ok());
/// assert!(check_notebook_name("../x").is_err());
/// ```
pub fn check_notebook_name(name: &str) -> Result<(), PlatformError> {
    let ok = !name.is_empty()
        && name.len() <= 200
        && name.split('/').all(|seg| {
            !seg.is_empty()
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(PlatformError::InvalidName {
            field: "notebook",
            value: name.to_owned(),
            rule: NOTEBOOK_RULE,
        })
    }
}

/// A backtick-quoted SQL identifier (a backtick inside is doubled).
///
/// ```
/// assert_eq!(databricks_client::platform::names::quote("a`b"), "`a``b`");
/// ```
pub fn quote(id: &str) -> String {
    format!("`{}`", id.replace('`', "``"))
}

/// A single-quoted SQL string literal (backslashes and quotes escaped).
///
/// ```
/// assert_eq!(databricks_client::platform::names::literal("it's"), "'it\\'s'");
/// ```
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name("tenant_id", "acme_1").is_ok());
        for bad in ["", "Acme", "a-b", "a;drop", "a`b", "x".repeat(65).as_str()] {
            let err = check_name("tenant_id", bad).unwrap_err();
            assert!(err.to_string().contains("`tenant_id`"), "{err}");
        }
        assert!(check_name("d", &"x".repeat(64)).is_ok());
    }

    #[test]
    fn notebook_names() {
        assert!(check_notebook_name("etl/daily").is_ok());
        assert!(check_notebook_name("Etl-2/x_y").is_ok());
        for bad in ["", "../x", "a//b", "/abs", "a/", "a b", "x\u{0}"] {
            let err = check_notebook_name(bad).unwrap_err();
            assert!(err.to_string().contains("`notebook`"), "{err}");
        }
        assert!(check_notebook_name(&"a".repeat(201)).is_err());
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("plain"), "`plain`");
        assert_eq!(quote("a`b"), "`a``b`");
        assert_eq!(literal("it's"), "'it\\'s'");
        assert_eq!(literal("a\\'b"), "'a\\\\\\'b'");
    }
}
