//! The SQL guard of the tools: a thin re-export of
//! [`databricks_client::sql_policy`], where read-only and tenant isolation are decided on the
//! parsed statement (so services without MCP enforce the same rules).

pub use databricks_client::sql_policy::{SqlKind, SqlPolicy, SqlPolicyError as SqlGuardError};

/// Checks `sql` against `policy` (see [`SqlPolicy::check`]).
///
/// ```
/// use mcp_tools::{SqlKind, SqlPolicy, check_sql};
///
/// assert_eq!(check_sql("SELECT 1", SqlPolicy::read_only()), Ok(SqlKind::Read));
/// assert!(check_sql("WITH x AS (INSERT INTO t VALUES (1)) SELECT 1", SqlPolicy::read_only()).is_err());
/// assert!(check_sql("SELECT 1; DROP TABLE t", SqlPolicy::allow_writes()).is_err());
/// ```
pub fn check_sql(sql: &str, policy: SqlPolicy) -> Result<SqlKind, SqlGuardError> {
    policy.check(sql)
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
