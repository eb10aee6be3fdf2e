//! The read-only SQL guard, built on a real parser (sqlparser, Databricks dialect).
//!
//! Keyword checks get bypassed (an `INSERT` inside a CTE, a second statement after `;`); this
//! guard parses the input, requires exactly one statement, and walks *every* nested statement.
//! It is a client-side check: prefer server-side enforcement too (a read-only warehouse
//! permission or policy).

use std::fmt;
use std::ops::ControlFlow;

use sqlparser::ast::{Select, Statement, Visit, Visitor};
use sqlparser::dialect::DatabricksDialect;
use sqlparser::parser::Parser;

/// What the guard allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SqlPolicy {
    /// Allow statements that change data or metadata. Off by default.
    pub allow_writes: bool,
}

impl SqlPolicy {
    /// Read-only: `SELECT`, `WITH … SELECT`, `SHOW`, `DESCRIBE` and `EXPLAIN` only.
    pub fn read_only() -> Self {
        Self {
            allow_writes: false,
        }
    }

    /// Any single statement.
    pub fn allow_writes() -> Self {
        Self { allow_writes: true }
    }
}

/// How the guard classified an accepted statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SqlKind {
    /// A query or a metadata read.
    Read,
    /// A statement that may change data (only accepted when writes are allowed).
    Write,
    /// The parser could not read it; accepted only when writes are allowed.
    Unparsed,
}

/// Why SQL was rejected. Every message names the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SqlGuardError {
    /// Empty input.
    #[error("the SQL is empty; send one SELECT statement")]
    Empty,
    /// More than one statement.
    #[error("the SQL holds {count} statements; send exactly one statement per call")]
    MultipleStatements {
        /// How many statements were found.
        count: usize,
    },
    /// The parser could not read the SQL (read-only mode fails closed).
    #[error(
        "the read-only guard could not parse the SQL ({message}); rewrite it as a single standard SELECT, SHOW, DESCRIBE or EXPLAIN statement"
    )]
    Unparseable {
        /// The parser's message.
        message: String,
    },
    /// A statement that changes data, in read-only mode.
    #[error(
        "{what} is not allowed: this server is read-only and runs only SELECT, WITH … SELECT, SHOW, DESCRIBE and EXPLAIN; rewrite the query as a read, or ask the operator to restart the server with writes enabled (`--allow-writes`)"
    )]
    WriteNotAllowed {
        /// The statement kind found (for example `INSERT` or `INSERT inside a CTE`).
        what: String,
    },
}

/// Checks `sql` against `policy`.
///
/// ```
/// use mcp_tools::{SqlKind, SqlPolicy, check_sql};
///
/// assert_eq!(check_sql("SELECT 1", SqlPolicy::read_only()), Ok(SqlKind::Read));
/// assert!(check_sql("WITH x AS (INSERT INTO t VALUES (1)) SELECT 1", SqlPolicy::read_only()).is_err());
/// assert!(check_sql("SELECT 1; DROP TABLE t", SqlPolicy::allow_writes()).is_err());
/// ```
pub fn check_sql(sql: &str, policy: SqlPolicy) -> Result<SqlKind, SqlGuardError> {
    if sql.trim().trim_matches(';').trim().is_empty() {
        return Err(SqlGuardError::Empty);
    }
    let statements = match Parser::parse_sql(&DatabricksDialect, sql) {
        Ok(s) => s,
        Err(e) if policy.allow_writes => {
            tracing::debug!(error = %e, "SQL not parsed; passed through because writes are allowed");
            return Ok(SqlKind::Unparsed);
        }
        Err(e) => {
            return Err(SqlGuardError::Unparseable {
                message: e.to_string(),
            });
        }
    };
    let [statement] = statements.as_slice() else {
        return Err(SqlGuardError::MultipleStatements {
            count: statements.len(),
        });
    };
    let mut walker = Walker { depth: 0 };
    match statement.visit(&mut walker) {
        ControlFlow::Continue(()) => Ok(SqlKind::Read),
        ControlFlow::Break(what) if policy.allow_writes => {
            tracing::debug!(%what, "write statement allowed by policy");
            Ok(SqlKind::Write)
        }
        ControlFlow::Break(what) => Err(SqlGuardError::WriteNotAllowed {
            what: what.to_string(),
        }),
    }
}

/// What made a statement a write.
#[derive(Debug)]
struct Found {
    keyword: String,
    nested: bool,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nested {
            write!(f, "{} inside a query (for example in a CTE)", self.keyword)
        } else {
            write!(f, "{}", self.keyword)
        }
    }
}

struct Walker {
    depth: usize,
}

impl Visitor for Walker {
    type Break = Found;

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<Found> {
        let nested = self.depth > 0;
        self.depth += 1;
        let read = match statement {
            Statement::Query(_)
            | Statement::ShowFunctions { .. }
            | Statement::ShowVariable { .. }
            | Statement::ShowStatus { .. }
            | Statement::ShowVariables { .. }
            | Statement::ShowCreate { .. }
            | Statement::ShowColumns { .. }
            | Statement::ShowCatalogs { .. }
            | Statement::ShowDatabases { .. }
            | Statement::ShowSchemas { .. }
            | Statement::ShowCharset(_)
            | Statement::ShowObjects(_)
            | Statement::ShowTables { .. }
            | Statement::ShowViews { .. }
            | Statement::ShowCollation { .. }
            | Statement::ExplainTable { .. } => true,
            // EXPLAIN ANALYZE runs the statement; plain EXPLAIN does not, and the explained
            // statement is visited next (so `EXPLAIN INSERT …` is still rejected).
            Statement::Explain { analyze, .. } => !analyze,
            _ => false,
        };
        if read {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(Found {
                keyword: keyword_of(statement),
                nested,
            })
        }
    }

    fn post_visit_statement(&mut self, _statement: &Statement) -> ControlFlow<Found> {
        self.depth = self.depth.saturating_sub(1);
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<Found> {
        if select.into.is_some() {
            return ControlFlow::Break(Found {
                keyword: "SELECT … INTO".to_owned(),
                nested: false,
            });
        }
        ControlFlow::Continue(())
    }
}

/// The leading keyword(s) of a statement, for messages.
fn keyword_of(statement: &Statement) -> String {
    let text = match statement {
        Statement::Explain { .. } => return "EXPLAIN ANALYZE".to_owned(),
        other => other.to_string(),
    };
    let words: Vec<&str> = text.split_whitespace().take(2).collect();
    match words.as_slice() {
        [first, second]
            if matches!(
                first.to_ascii_uppercase().as_str(),
                "CREATE" | "DROP" | "ALTER" | "INSERT" | "DELETE"
            ) =>
        {
            format!(
                "{} {}",
                first.to_ascii_uppercase(),
                second.to_ascii_uppercase()
            )
        }
        [first, ..] => first.to_ascii_uppercase(),
        [] => "this statement".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ro(sql: &str) -> Result<SqlKind, SqlGuardError> {
        check_sql(sql, SqlPolicy::read_only())
    }

    #[test]
    fn reads_pass() {
        for sql in [
            "SELECT 1",
            "select region, sum(revenue) from sales.revenue group by region;",
            "WITH x AS (SELECT * FROM a) SELECT * FROM x",
            "SELECT * FROM a UNION ALL SELECT * FROM b",
            "SHOW TABLES",
            "SHOW TABLES IN main.sales",
            "SHOW SCHEMAS",
            "DESCRIBE main.sales.orders",
            "EXPLAIN SELECT * FROM t",
            "SELECT * FROM (SELECT a FROM t WHERE a IN (SELECT b FROM u)) s",
        ] {
            assert_eq!(ro(sql), Ok(SqlKind::Read), "{sql}");
        }
    }

    #[test]
    fn writes_are_rejected_with_a_fix() {
        for (sql, what) in [
            ("INSERT INTO t VALUES (1)", "INSERT INTO"),
            ("UPDATE t SET a = 1", "UPDATE"),
            ("DELETE FROM t", "DELETE FROM"),
            (
                "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE",
                "MERGE",
            ),
            ("DROP TABLE t", "DROP TABLE"),
            ("CREATE TABLE t (a INT)", "CREATE TABLE"),
            ("TRUNCATE TABLE t", "TRUNCATE"),
            ("GRANT SELECT ON TABLE t TO `a@b.c`", "GRANT"),
            ("USE CATALOG main", "USE"),
            ("EXPLAIN INSERT INTO t VALUES (1)", "INSERT INTO"),
        ] {
            let err = ro(sql).unwrap_err();
            let msg = err.to_string();
            assert!(
                matches!(err, SqlGuardError::WriteNotAllowed { .. }),
                "{sql}: {err:?}"
            );
            assert!(msg.starts_with(what), "{sql}: {msg}");
            assert!(msg.contains("--allow-writes"), "{msg}");
        }
    }

    #[test]
    fn cte_wrapped_writes_are_rejected() {
        for sql in [
            "WITH x AS (INSERT INTO t VALUES (1)) SELECT 1",
            "WITH x AS (DELETE FROM t) SELECT * FROM x",
            "WITH x AS (UPDATE t SET a = 1) SELECT 1",
        ] {
            match ro(sql) {
                Err(SqlGuardError::WriteNotAllowed { what }) => {
                    assert!(what.contains("inside a query"), "{sql}: {what}")
                }
                // The Databricks dialect may refuse the syntax outright: also rejected.
                Err(SqlGuardError::Unparseable { .. }) => {}
                other => panic!("{sql}: {other:?}"),
            }
        }
    }

    #[test]
    fn select_into_is_rejected() {
        assert!(matches!(
            ro("SELECT * INTO new_t FROM t"),
            Err(SqlGuardError::WriteNotAllowed { .. }) | Err(SqlGuardError::Unparseable { .. })
        ));
    }

    #[test]
    fn multi_statement_and_empty_are_rejected() {
        assert_eq!(
            ro("SELECT 1; SELECT 2"),
            Err(SqlGuardError::MultipleStatements { count: 2 })
        );
        assert_eq!(
            check_sql("SELECT 1; DROP TABLE t", SqlPolicy::allow_writes()),
            Err(SqlGuardError::MultipleStatements { count: 2 })
        );
        assert_eq!(ro("  ; "), Err(SqlGuardError::Empty));
    }

    #[test]
    fn unparseable_fails_closed_unless_writes_allowed() {
        assert!(matches!(
            ro("SELEC oops FROM"),
            Err(SqlGuardError::Unparseable { .. })
        ));
        assert_eq!(
            check_sql("SELEC oops FROM", SqlPolicy::allow_writes()),
            Ok(SqlKind::Unparsed)
        );
    }

    #[test]
    fn writes_pass_when_allowed() {
        assert_eq!(
            check_sql("INSERT INTO t VALUES (1)", SqlPolicy::allow_writes()),
            Ok(SqlKind::Write)
        );
    }
}
