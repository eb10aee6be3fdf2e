//! Read-only and tenant policies over many statement variants.

use databricks_client::sql_policy::{SqlKind, SqlPolicy, SqlPolicyError};
use proptest::prelude::*;

fn ro(sql: &str) -> Result<SqlKind, SqlPolicyError> {
    SqlPolicy::read_only().check(sql)
}

fn acme(sql: &str) -> Result<SqlKind, SqlPolicyError> {
    SqlPolicy::read_only()
        .with_tenant_catalog("tenant_acme")
        .check(sql)
}

#[test]
fn pure_reads_pass() {
    for sql in [
        "SELECT 1",
        "SELECT upper(name), count(*) FROM t GROUP BY upper(name)",
        "SELECT coalesce(a, 0), date_trunc('MONTH', ts), row_number() OVER (ORDER BY a) FROM t",
        "WITH x AS (SELECT * FROM a) SELECT * FROM x",
        "SELECT * FROM a UNION ALL SELECT * FROM b",
        "SELECT * FROM range(10)",
        "SHOW TABLES IN main.sales",
        "DESCRIBE main.sales.orders",
        "EXPLAIN SELECT * FROM t",
    ] {
        assert_eq!(ro(sql), Ok(SqlKind::Read), "{sql}");
    }
}

#[test]
fn side_effecting_functions_are_refused_in_read_only_mode() {
    for sql in [
        "SELECT http_request(conn => 'slack_conn', method => 'POST', path => '/api')",
        "SELECT system.ai.python_exec('import os')",
        "SELECT ai_query('endpoint', 'hi')",
        "SELECT ai_summarize(text) FROM t",
        "SELECT AI_GEN('x')",
        "SELECT secret('scope', 'key')",
        "SELECT reflect('java.lang.Runtime', 'getRuntime')",
        "SELECT main.default.my_udf(a) FROM t",
        "SELECT brand_new_function_2027(a) FROM t",
        "SELECT * FROM t WHERE a IN (SELECT http_request(conn => 'c', method => 'GET', path => '/'))",
        "WITH x AS (SELECT python_exec('1') AS v) SELECT * FROM x",
        "SELECT * FROM read_files('s3://bucket/x')",
        "SELECT * FROM table_changes('main.sales.orders', 0)",
    ] {
        let err = ro(sql).unwrap_err();
        assert!(
            matches!(err, SqlPolicyError::FunctionNotAllowed { .. }),
            "{sql}: {err:?}"
        );
        assert!(err.to_string().contains("allowed functions"), "{err}");
    }
}

#[test]
fn the_operator_allow_list_admits_named_functions_only() {
    let p = SqlPolicy::read_only().with_allowed_functions(["ai_query", "main.default.My_UDF"]);
    assert_eq!(p.check("SELECT ai_query('e', 'x')"), Ok(SqlKind::Read));
    assert_eq!(p.check("SELECT main.default.my_udf(1)"), Ok(SqlKind::Read));
    assert!(p.check("SELECT ai_summarize('x')").is_err());
    assert!(p.check("SELECT main.default.other_udf(1)").is_err());
}

#[test]
fn writes_are_refused_and_allowed_on_request() {
    for sql in [
        "INSERT INTO t VALUES (1)",
        "UPDATE t SET a = 1",
        "DELETE FROM t",
        "DROP TABLE t",
        "CREATE TABLE t (a INT)",
        "GRANT SELECT ON TABLE t TO `a@b.c`",
        "EXPLAIN INSERT INTO t VALUES (1)",
    ] {
        assert!(
            matches!(ro(sql), Err(SqlPolicyError::WriteNotAllowed { .. })),
            "{sql}"
        );
        assert_eq!(
            SqlPolicy::allow_writes().check(sql),
            Ok(SqlKind::Write),
            "{sql}"
        );
    }
    assert!(ro("SELECT 1; SELECT 2").is_err());
    assert!(ro("SELEC oops").is_err());
    assert_eq!(
        SqlPolicy::allow_writes().check("SELEC oops"),
        Ok(SqlKind::Unparsed)
    );
}

#[test]
fn tenant_isolation_admits_the_tenant_catalog() {
    for sql in [
        "SELECT * FROM orders",
        "SELECT * FROM datasets.orders",
        "SELECT * FROM tenant_acme.datasets.orders",
        "SELECT * FROM `TENANT_ACME`.datasets.orders o JOIN datasets.c c ON o.id = c.id",
        "WITH x AS (SELECT * FROM datasets.orders) SELECT count(*) FROM x",
        "SHOW TABLES",
        "SHOW TABLES IN datasets",
        "SHOW TABLES IN tenant_acme.datasets",
        "SHOW SCHEMAS IN tenant_acme",
        "SHOW CREATE TABLE datasets.orders",
        "DESCRIBE tenant_acme.datasets.orders",
        "SELECT * FROM range(5)",
    ] {
        assert_eq!(acme(sql), Ok(SqlKind::Read), "{sql}");
    }
}

#[test]
fn tenant_isolation_refuses_every_way_out() {
    for sql in [
        "SELECT * FROM main.sales.orders",
        "SELECT * FROM IDENTIFIER('main.sales.orders')",
        "SELECT * FROM IDENTIFIER('tenant_evil' || '.datasets.orders')",
        "SELECT * FROM table_changes('main.sales.orders', 0)",
        "SELECT * FROM read_files('/Volumes/main/x/y')",
        "SELECT main.default.f(1)",
        "SELECT tenant_evil.datasets.f(1)",
        "SHOW CREATE TABLE main.sales.orders",
        "SHOW TABLES IN main.sales",
        "SHOW SCHEMAS IN main",
        "SHOW CATALOGS",
        "SHOW DATABASES",
        "DESCRIBE main.sales.orders",
        "SELECT * FROM datasets.orders WHERE id IN (SELECT id FROM main.sales.orders)",
        "SELECT * FROM a.b.c.d",
        "SELECT * FROM delta.`/mnt/data/x`",
    ] {
        let err = acme(sql).expect_err(sql);
        assert!(
            matches!(
                err,
                SqlPolicyError::OutsideTenant { .. }
                    | SqlPolicyError::FunctionNotAllowed { .. }
                    | SqlPolicyError::Unparseable { .. }
            ),
            "{sql}: {err:?}"
        );
    }
}

fn catalog() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("tenant_acme".to_string()),
        Just("TENANT_ACME".to_string()),
        Just("main".to_string()),
        Just("tenant_evil".to_string()),
        Just("system".to_string()),
    ]
}

proptest! {
    /// A three-part relation anywhere in a query passes exactly when its catalog is the tenant's.
    #[test]
    fn qualified_relations_follow_the_catalog(
        c in catalog(),
        shape in 0usize..5,
        alias in "[a-z]{1,4}",
    ) {
        let rel = format!("{c}.datasets.orders");
        let sql = match shape {
            0 => format!("SELECT * FROM {rel}"),
            1 => format!("SELECT * FROM datasets.x {alias}_1 JOIN {rel} {alias}_2 ON {alias}_1.id = {alias}_2.id"),
            2 => format!("WITH {alias} AS (SELECT * FROM {rel}) SELECT * FROM {alias}"),
            3 => format!("SELECT * FROM datasets.x WHERE EXISTS (SELECT 1 FROM {rel})"),
            _ => format!("SELECT (SELECT max(a) FROM {rel}) AS m"),
        };
        let ok = c.eq_ignore_ascii_case("tenant_acme");
        prop_assert_eq!(acme(&sql).is_ok(), ok, "{}", sql);
    }

    /// Any function not on the pure list is refused, wherever it sits in the query.
    #[test]
    fn unknown_functions_are_refused_anywhere(name in "zz[a-z_]{1,12}", shape in 0usize..4) {
        let call = format!("{name}(a)");
        let sql = match shape {
            0 => format!("SELECT {call} FROM t"),
            1 => format!("SELECT a FROM t WHERE {call} > 0"),
            2 => format!("SELECT a FROM t GROUP BY a HAVING max({call}) > 0"),
            _ => format!("SELECT a FROM t ORDER BY {call}"),
        };
        let refused = matches!(ro(&sql), Err(SqlPolicyError::FunctionNotAllowed { .. }));
        prop_assert!(refused, "{}", sql);
        let allowed = SqlPolicy::read_only().with_allowed_functions([name.as_str()]);
        prop_assert_eq!(allowed.check(&sql), Ok(SqlKind::Read));
    }
}
