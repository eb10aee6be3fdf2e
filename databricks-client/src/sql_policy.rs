//! SQL policies decided on the parsed statement (sqlparser, Databricks dialect): read-only and
//! tenant isolation, both as allow-lists.
//!
//! - **Read-only**: one statement; only queries, `SHOW`, `DESCRIBE` and plain `EXPLAIN`; every
//!   function call must be a built-in known to be pure ([`PURE_FUNCTIONS`]) or on the
//!   operator's allow list ([`SqlPolicy::with_allowed_functions`]). Anything else —
//!   `http_request`, `python_exec`, `ai_*`, `secret`, `reflect`, a UDF, a `system.*` routine, a
//!   function added to Databricks next month — is refused by default.
//! - **Tenant isolation** ([`SqlPolicy::with_tenant_catalog`]): every relation and function is
//!   resolved to the tenant's catalog (one- and two-part names resolve in the session catalog,
//!   three-part names must name it); dynamic identifiers (`IDENTIFIER(…)`), table-valued
//!   functions other than pure generators (`table_changes`, `read_files`, …) and path
//!   relations are refused; `SHOW` is limited to the tenant's catalog and `SHOW CATALOGS` is
//!   refused.
//!
//! This is a client-side check usable by any service; pair it with server-side permissions.

use std::collections::BTreeSet;
use std::fmt;
use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, ObjectName, Select, ShowStatementOptions, Statement, TableFactor, Visit, Visitor,
};
use sqlparser::dialect::DatabricksDialect;
use sqlparser::parser::Parser;

/// Built-in functions known to be pure (no effect outside the query, no external call, no
/// billing). Lower case.
pub const PURE_FUNCTIONS: &[&str] = &[
    // aggregates
    "count",
    "sum",
    "avg",
    "mean",
    "min",
    "max",
    "any",
    "any_value",
    "some",
    "every",
    "bool_and",
    "bool_or",
    "first",
    "first_value",
    "last",
    "last_value",
    "collect_list",
    "collect_set",
    "array_agg",
    "count_if",
    "approx_count_distinct",
    "approx_percentile",
    "percentile",
    "percentile_approx",
    "percentile_cont",
    "percentile_disc",
    "median",
    "mode",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "std",
    "variance",
    "var_pop",
    "var_samp",
    "covar_pop",
    "covar_samp",
    "corr",
    "kurtosis",
    "skewness",
    "max_by",
    "min_by",
    "string_agg",
    "listagg",
    "bit_and",
    "bit_or",
    "bit_xor",
    "histogram_numeric",
    "regr_count",
    "regr_slope",
    "regr_intercept",
    "regr_r2",
    "try_avg",
    "try_sum",
    "grouping",
    "grouping_id",
    // window
    "row_number",
    "rank",
    "dense_rank",
    "percent_rank",
    "cume_dist",
    "ntile",
    "lag",
    "lead",
    "nth_value",
    // conditional and null handling
    "coalesce",
    "nullif",
    "nvl",
    "nvl2",
    "ifnull",
    "if",
    "iff",
    "isnull",
    "isnotnull",
    "isnan",
    "nanvl",
    "greatest",
    "least",
    "decode",
    "zeroifnull",
    "nullifzero",
    "equal_null",
    "assert_true",
    "raise_error",
    // strings
    "concat",
    "concat_ws",
    "lower",
    "upper",
    "lcase",
    "ucase",
    "length",
    "char_length",
    "character_length",
    "len",
    "octet_length",
    "bit_length",
    "trim",
    "ltrim",
    "rtrim",
    "btrim",
    "lpad",
    "rpad",
    "substr",
    "substring",
    "substring_index",
    "left",
    "right",
    "replace",
    "translate",
    "reverse",
    "repeat",
    "split",
    "split_part",
    "instr",
    "locate",
    "position",
    "charindex",
    "initcap",
    "regexp_extract",
    "regexp_extract_all",
    "regexp_replace",
    "regexp_like",
    "regexp_count",
    "regexp_instr",
    "regexp_substr",
    "rlike",
    "like",
    "ilike",
    "startswith",
    "endswith",
    "contains",
    "format_string",
    "format_number",
    "printf",
    "ascii",
    "chr",
    "char",
    "base64",
    "unbase64",
    "hex",
    "unhex",
    "md5",
    "sha",
    "sha1",
    "sha2",
    "crc32",
    "hash",
    "xxhash64",
    "soundex",
    "levenshtein",
    "overlay",
    "space",
    "sentences",
    "to_char",
    "to_varchar",
    "to_number",
    "try_to_number",
    "url_decode",
    "url_encode",
    "parse_url",
    "mask",
    "elt",
    "find_in_set",
    "encode",
    "decode",
    "to_binary",
    "try_to_binary",
    "luhn_check",
    "uuid",
    "collate",
    "collation",
    // numbers
    "abs",
    "ceil",
    "ceiling",
    "floor",
    "round",
    "bround",
    "sign",
    "signum",
    "sqrt",
    "cbrt",
    "exp",
    "expm1",
    "ln",
    "log",
    "log10",
    "log2",
    "log1p",
    "pow",
    "power",
    "mod",
    "pmod",
    "div",
    "try_divide",
    "try_multiply",
    "try_add",
    "try_subtract",
    "try_mod",
    "rand",
    "random",
    "randn",
    "pi",
    "e",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "tanh",
    "degrees",
    "radians",
    "factorial",
    "bin",
    "conv",
    "width_bucket",
    "negative",
    "positive",
    "shiftleft",
    "shiftright",
    "bit_count",
    "cast",
    "try_cast",
    "double",
    "float",
    "int",
    "bigint",
    "smallint",
    "tinyint",
    "decimal",
    "string",
    "boolean",
    "date",
    "timestamp",
    "binary",
    // dates and times
    "current_date",
    "current_timestamp",
    "now",
    "current_timezone",
    "date_add",
    "date_sub",
    "dateadd",
    "datediff",
    "date_diff",
    "timestampadd",
    "timestampdiff",
    "add_months",
    "months_between",
    "date_format",
    "date_trunc",
    "trunc",
    "to_date",
    "to_timestamp",
    "try_to_timestamp",
    "from_unixtime",
    "unix_timestamp",
    "unix_seconds",
    "unix_millis",
    "unix_micros",
    "unix_date",
    "timestamp_seconds",
    "timestamp_millis",
    "timestamp_micros",
    "date_from_unix_date",
    "from_utc_timestamp",
    "to_utc_timestamp",
    "year",
    "quarter",
    "month",
    "week",
    "weekofyear",
    "day",
    "dayofmonth",
    "dayofweek",
    "dayofyear",
    "weekday",
    "hour",
    "minute",
    "second",
    "extract",
    "date_part",
    "datepart",
    "last_day",
    "next_day",
    "make_date",
    "make_timestamp",
    "make_interval",
    "window",
    "session_window",
    // collections and semi-structured data
    "array",
    "array_contains",
    "array_distinct",
    "array_except",
    "array_intersect",
    "array_join",
    "array_max",
    "array_min",
    "array_position",
    "array_remove",
    "array_repeat",
    "array_size",
    "array_sort",
    "array_union",
    "array_append",
    "array_prepend",
    "array_compact",
    "arrays_overlap",
    "arrays_zip",
    "cardinality",
    "size",
    "element_at",
    "try_element_at",
    "explode",
    "explode_outer",
    "posexplode",
    "posexplode_outer",
    "inline",
    "inline_outer",
    "flatten",
    "sequence",
    "shuffle",
    "slice",
    "sort_array",
    "filter",
    "transform",
    "exists",
    "forall",
    "aggregate",
    "reduce",
    "zip_with",
    "map",
    "map_keys",
    "map_values",
    "map_entries",
    "map_from_arrays",
    "map_from_entries",
    "map_concat",
    "map_filter",
    "map_contains_key",
    "str_to_map",
    "named_struct",
    "struct",
    "get",
    "get_json_object",
    "json_tuple",
    "from_json",
    "to_json",
    "schema_of_json",
    "json_array_length",
    "json_object_keys",
    "parse_json",
    "try_parse_json",
    "to_variant_object",
    "variant_get",
    "try_variant_get",
    "is_variant_null",
    "schema_of_variant",
    "from_csv",
    "to_csv",
    "schema_of_csv",
    "from_xml",
    "schema_of_xml",
    "xpath",
    "xpath_string",
    "stack",
    "range",
    // session information
    "current_catalog",
    "current_schema",
    "current_database",
    "current_user",
    "session_user",
    "user",
    "current_version",
    "version",
    "typeof",
    "input_file_name",
    "monotonically_increasing_id",
    "spark_partition_id",
];

/// Functions refused with a specific reason (they act on the world, bill, or read secrets).
/// They are refused anyway for not being in [`PURE_FUNCTIONS`]; this only improves messages.
const KNOWN_SIDE_EFFECTS: &[&str] = &[
    "http_request",
    "python_exec",
    "secret",
    "try_secret",
    "reflect",
    "java_method",
    "try_reflect",
    "vector_search",
    "read_files",
    "table_changes",
    "cloud_files",
];

/// Table-valued functions known to be pure generators (they read no table or file).
const PURE_TABLE_FUNCTIONS: &[&str] = &[
    "range",
    "explode",
    "explode_outer",
    "posexplode",
    "posexplode_outer",
    "inline",
    "inline_outer",
    "stack",
];

/// How a policy classified an accepted statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SqlKind {
    /// A query or a metadata read.
    Read,
    /// A statement that may change data (only accepted when writes are allowed).
    Write,
    /// The parser could not read it; accepted only when writes are allowed and no tenant is set.
    Unparsed,
}

/// Why SQL was refused. Every message names the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SqlPolicyError {
    /// Empty input.
    #[error("the SQL is empty; send one SELECT statement")]
    Empty,
    /// More than one statement.
    #[error("the SQL holds {count} statements; send exactly one statement per call")]
    MultipleStatements {
        /// How many statements were found.
        count: usize,
    },
    /// The parser could not read the SQL (read-only and tenant policies fail closed).
    #[error(
        "the SQL policy could not parse the SQL ({message}); rewrite it as a single standard SELECT, SHOW, DESCRIBE or EXPLAIN statement"
    )]
    Unparseable {
        /// The parser's message (shortened).
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
    /// A function that is not known to be pure, in read-only mode.
    #[error(
        "function `{name}` is not allowed in read-only mode: {reason}; use built-in pure functions only, or, if it has no side effects, ask the operator to add `{name}` to the server's allowed functions (`SqlPolicy::with_allowed_functions`)"
    )]
    FunctionNotAllowed {
        /// The function name as written.
        name: String,
        /// Why it was refused.
        reason: String,
    },
    /// A relation, function or `SHOW` outside the tenant's catalog, or a dynamic reference.
    #[error("{what} is outside the tenant catalog {catalog}; {fix}")]
    OutsideTenant {
        /// What was found.
        what: String,
        /// The tenant's catalog.
        catalog: String,
        /// What to do instead.
        fix: String,
    },
}

/// A SQL policy: read-only or not, an operator allow list of functions, an optional tenant.
///
/// ```
/// use databricks_client::sql_policy::{SqlKind, SqlPolicy};
///
/// let ro = SqlPolicy::read_only();
/// assert_eq!(ro.check("SELECT upper(name) FROM t"), Ok(SqlKind::Read));
/// assert!(ro.check("SELECT http_request(conn => 'c', method => 'POST', path => '/')").is_err());
/// assert!(ro.check("WITH x AS (INSERT INTO t VALUES (1)) SELECT 1").is_err());
///
/// let acme = SqlPolicy::read_only().with_tenant_catalog("tenant_acme");
/// assert!(acme.check("SELECT * FROM datasets.orders").is_ok());
/// assert!(acme.check("SELECT * FROM main.sales.orders").is_err());
/// assert!(acme.check("SHOW CATALOGS").is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SqlPolicy {
    allow_writes: bool,
    allowed_functions: BTreeSet<String>,
    tenant_catalog: Option<String>,
}

impl SqlPolicy {
    /// Read-only: queries, `SHOW`, `DESCRIBE`, plain `EXPLAIN`; pure functions only.
    pub fn read_only() -> Self {
        Self::default()
    }

    /// Any single statement and any function (no tenant restriction unless one is set).
    pub fn allow_writes() -> Self {
        Self {
            allow_writes: true,
            ..Self::default()
        }
    }

    /// True when writes are allowed.
    pub fn writes_allowed(&self) -> bool {
        self.allow_writes
    }

    /// Adds functions (names as written, `ai_query` or `main.default.my_udf`, case-insensitive)
    /// the operator declares free of side effects.
    pub fn with_allowed_functions<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.allowed_functions.extend(
            names
                .into_iter()
                .map(|n| n.as_ref().trim().to_ascii_lowercase())
                .filter(|n| !n.is_empty()),
        );
        self
    }

    /// Confines every relation, function and `SHOW` to `catalog` (the session catalog of the
    /// statement must be set to it too, so that short names resolve there). Implies fail-closed
    /// parsing.
    pub fn with_tenant_catalog(mut self, catalog: impl Into<String>) -> Self {
        self.tenant_catalog = Some(catalog.into());
        self
    }

    /// Checks one statement.
    pub fn check(&self, sql: &str) -> Result<SqlKind, SqlPolicyError> {
        if sql.trim().trim_matches(';').trim().is_empty() {
            return Err(SqlPolicyError::Empty);
        }
        let statements = match Parser::parse_sql(&DatabricksDialect, sql) {
            Ok(s) => s,
            Err(e) if self.allow_writes && self.tenant_catalog.is_none() => {
                tracing::debug!(error = %e, "SQL not parsed; passed through because writes are allowed");
                return Ok(SqlKind::Unparsed);
            }
            Err(e) => {
                return Err(SqlPolicyError::Unparseable {
                    message: e.to_string().chars().take(300).collect(),
                });
            }
        };
        let [statement] = statements.as_slice() else {
            return Err(SqlPolicyError::MultipleStatements {
                count: statements.len(),
            });
        };
        let mut walker = Walker {
            policy: self,
            depth: 0,
            write: None,
            show_depth: 0,
        };
        if let ControlFlow::Break(e) = statement.visit(&mut walker) {
            return Err(e);
        }
        match walker.write {
            Some(_) => Ok(SqlKind::Write),
            None => Ok(SqlKind::Read),
        }
    }

    fn function_allowed(&self, name: &str) -> Result<(), String> {
        let lower = name.to_ascii_lowercase();
        if self.allowed_functions.contains(&lower) {
            return Ok(());
        }
        if lower.contains('.') {
            return Err("a qualified function may be a user-defined or system routine".into());
        }
        if PURE_FUNCTIONS.contains(&lower.as_str()) {
            return Ok(());
        }
        if lower.starts_with("ai_") {
            return Err("AI functions call models and bill the account".into());
        }
        if KNOWN_SIDE_EFFECTS.contains(&lower.as_str()) {
            return Err("it acts outside the query (network, code, secrets or files)".into());
        }
        Err("it is not a built-in known to be free of side effects".into())
    }
}

/// Plain parts of a name; `None` when a part is dynamic (`IDENTIFIER(…)`).
fn parts(name: &ObjectName) -> Option<Vec<String>> {
    name.0
        .iter()
        .map(|p| p.as_ident().map(|i| i.value.clone()))
        .collect()
}

struct Walker<'a> {
    policy: &'a SqlPolicy,
    depth: usize,
    write: Option<String>,
    show_depth: usize,
}

impl Walker<'_> {
    fn outside(&self, what: String, fix: &str) -> SqlPolicyError {
        SqlPolicyError::OutsideTenant {
            what,
            catalog: self.policy.tenant_catalog.clone().unwrap_or_default(),
            fix: fix.to_owned(),
        }
    }

    /// Checks a name that resolves in the session catalog when short: `max` parts at most, and
    /// with `max` parts the first must be the tenant's catalog.
    fn check_name(&self, name: &ObjectName, max: usize, kind: &str) -> ControlFlow<SqlPolicyError> {
        let Some(catalog) = &self.policy.tenant_catalog else {
            return ControlFlow::Continue(());
        };
        let shown: String = name.to_string().chars().take(200).collect();
        let Some(p) = parts(name) else {
            return ControlFlow::Break(self.outside(
                format!("the dynamic {kind} name `{shown}`"),
                "write the name literally (IDENTIFIER(…) is not allowed here)",
            ));
        };
        let ok = match p.as_slice() {
            [] => false,
            _ if p.iter().any(|s| s.contains('/') || s.contains(':')) => false,
            _ if p.len() > max => false,
            _ if p.len() == max => p[0].eq_ignore_ascii_case(catalog),
            _ => true,
        };
        if ok {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(self.outside(
                format!("{kind} `{shown}`"),
                &format!("use names of {catalog} only (unqualified names resolve in it)"),
            ))
        }
    }

    fn check_show_in(
        &self,
        opts: &ShowStatementOptions,
        max: usize,
    ) -> ControlFlow<SqlPolicyError> {
        match opts.show_in.as_ref().and_then(|s| s.parent_name.as_ref()) {
            Some(n) => self.check_name(n, max, "SHOW scope"),
            None => ControlFlow::Continue(()),
        }
    }
}

impl Visitor for Walker<'_> {
    type Break = SqlPolicyError;

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<SqlPolicyError> {
        let nested = self.depth > 0;
        self.depth += 1;
        let tenant = self.policy.tenant_catalog.is_some();
        let mut show = false;
        let read = match statement {
            Statement::Query(_) => true,
            Statement::ShowCatalogs { .. } | Statement::ShowDatabases { .. } if tenant => {
                return ControlFlow::Break(self.outside(
                    "listing catalogs".into(),
                    "list the schemas of the tenant catalog with SHOW SCHEMAS",
                ));
            }
            Statement::ShowSchemas { show_options, .. } if tenant => {
                show = true;
                self.check_show_in(show_options, 1)?;
                true
            }
            Statement::ShowTables { show_options, .. }
            | Statement::ShowViews { show_options, .. }
                if tenant =>
            {
                show = true;
                self.check_show_in(show_options, 2)?;
                true
            }
            Statement::ShowColumns { show_options, .. } if tenant => {
                show = true;
                self.check_show_in(show_options, 3)?;
                true
            }
            Statement::ShowCreate { obj_name, .. } => {
                self.check_name(obj_name, 3, "object")?;
                true
            }
            Statement::ExplainTable { .. } => true,
            Statement::ShowFunctions { .. }
            | Statement::ShowVariable { .. }
            | Statement::ShowStatus { .. }
            | Statement::ShowVariables { .. }
            | Statement::ShowCharset(_)
            | Statement::ShowObjects(_)
            | Statement::ShowCollation { .. }
                if tenant =>
            {
                return ControlFlow::Break(self.outside(
                    "this SHOW statement".into(),
                    "use SHOW SCHEMAS, SHOW TABLES, SHOW VIEWS, SHOW COLUMNS, SHOW CREATE TABLE or DESCRIBE on tenant objects",
                ));
            }
            Statement::ShowFunctions { .. }
            | Statement::ShowVariable { .. }
            | Statement::ShowStatus { .. }
            | Statement::ShowVariables { .. }
            | Statement::ShowCatalogs { .. }
            | Statement::ShowDatabases { .. }
            | Statement::ShowSchemas { .. }
            | Statement::ShowColumns { .. }
            | Statement::ShowCharset(_)
            | Statement::ShowObjects(_)
            | Statement::ShowTables { .. }
            | Statement::ShowViews { .. }
            | Statement::ShowCollation { .. } => true,
            // EXPLAIN ANALYZE runs the statement; plain EXPLAIN does not, and the explained
            // statement is visited next (so `EXPLAIN INSERT …` is still refused).
            Statement::Explain { analyze, .. } => !analyze,
            _ => false,
        };
        if show {
            self.show_depth += 1;
        }
        if read {
            return ControlFlow::Continue(());
        }
        let keyword = keyword_of(statement);
        let what = if nested {
            format!("{keyword} inside a query (for example in a CTE)")
        } else {
            keyword
        };
        if self.policy.allow_writes {
            tracing::debug!(%what, "write statement allowed by policy");
            self.write.get_or_insert(what);
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(SqlPolicyError::WriteNotAllowed { what })
        }
    }

    fn post_visit_statement(&mut self, statement: &Statement) -> ControlFlow<SqlPolicyError> {
        self.depth = self.depth.saturating_sub(1);
        if matches!(
            statement,
            Statement::ShowSchemas { .. }
                | Statement::ShowTables { .. }
                | Statement::ShowViews { .. }
                | Statement::ShowColumns { .. }
        ) {
            self.show_depth = self.show_depth.saturating_sub(1);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<SqlPolicyError> {
        if select.into.is_some() && !self.policy.allow_writes {
            return ControlFlow::Break(SqlPolicyError::WriteNotAllowed {
                what: "SELECT … INTO".to_owned(),
            });
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<SqlPolicyError> {
        if self.show_depth > 0 {
            // The scope of SHOW was checked with its own arity in pre_visit_statement.
            return ControlFlow::Continue(());
        }
        self.check_name(relation, 3, "relation")
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<SqlPolicyError> {
        let tvf = match factor {
            TableFactor::Table {
                name,
                args: Some(_),
                ..
            } => Some(name.to_string()),
            TableFactor::Function { name, .. } => Some(name.to_string()),
            TableFactor::TableFunction { expr, .. } => Some(expr.to_string()),
            _ => None,
        };
        let Some(name) = tvf else {
            return ControlFlow::Continue(());
        };
        let lower = name.to_ascii_lowercase();
        let pure = PURE_TABLE_FUNCTIONS.contains(&lower.as_str());
        let allowed = pure || self.policy.allowed_functions.contains(&lower);
        let shown: String = name.chars().take(200).collect();
        if self.policy.tenant_catalog.is_some() && !pure {
            return ControlFlow::Break(self.outside(
                format!("the table-valued function `{shown}`"),
                "query tenant tables by name instead (table-valued functions can read any table or file)",
            ));
        }
        if !self.policy.allow_writes && !allowed {
            return ControlFlow::Break(SqlPolicyError::FunctionNotAllowed {
                name: shown,
                reason: "a table-valued function may read files, streams or change feeds".into(),
            });
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<SqlPolicyError> {
        let Expr::Function(f) = expr else {
            return ControlFlow::Continue(());
        };
        let shown: String = f.name.to_string().chars().take(200).collect();
        let Some(p) = parts(&f.name) else {
            return ControlFlow::Break(match &self.policy.tenant_catalog {
                Some(_) => self.outside(
                    format!("the dynamic function name `{shown}`"),
                    "call functions by their literal name",
                ),
                None => SqlPolicyError::FunctionNotAllowed {
                    name: shown,
                    reason: "its name is computed at run time".into(),
                },
            });
        };
        let is_identifier = p.len() == 1 && p[0].eq_ignore_ascii_case("identifier");
        if self.policy.tenant_catalog.is_some() {
            if is_identifier {
                return ControlFlow::Break(self.outside(
                    format!("the dynamic identifier `{shown}(…)`"),
                    "write table and column names literally",
                ));
            }
            self.check_name(&f.name, 3, "function")?;
        }
        if !self.policy.allow_writes
            && let Err(reason) = self.policy.function_allowed(&p.join("."))
        {
            return ControlFlow::Break(SqlPolicyError::FunctionNotAllowed {
                name: shown,
                reason,
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

impl fmt::Display for SqlKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Unparsed => "unparsed",
        })
    }
}
