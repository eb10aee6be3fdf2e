//! Table, widget and parameter extraction from SQL text.
//!
//! Uses the `sqlparser` tokenizer (Databricks dialect) so comments and string literals never
//! produce false matches; falls back to a regex scan when the text does not tokenize.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;
use sqlparser::dialect::DatabricksDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::{SecretRef, TableRef, Widget, WidgetKind};

/// Current `USE CATALOG` / `USE SCHEMA` context, carried from cell to cell.
#[derive(Debug, Default, Clone)]
pub(super) struct SqlContext {
    pub(super) catalog: Option<String>,
    pub(super) schema: Option<String>,
    /// CTE names and temporary views (never reported as tables).
    pub(super) local_names: BTreeSet<String>,
}

/// What a SQL text contains.
#[derive(Debug, Default)]
pub(super) struct SqlFacts {
    pub(super) reads: Vec<TableRef>,
    pub(super) writes: Vec<TableRef>,
    pub(super) widgets: Vec<Widget>,
    pub(super) params: Vec<String>,
    pub(super) secrets: Vec<SecretRef>,
}

#[allow(clippy::expect_used)] // constant patterns, checked by tests
fn re(p: &str) -> Regex {
    Regex::new(p).expect("valid regex")
}

static TEMPLATE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)IDENTIFIER\s*\(\s*(?::([A-Za-z_][A-Za-z0-9_]*)\s*|[^()]*)\)|\$\{([A-Za-z_][A-Za-z0-9_.]*)\}|\{([^{}\n]{1,80})\}",
    )
});
static CREATE_WIDGET: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?is)CREATE\s+WIDGET\s+(TEXT|DROPDOWN|COMBOBOX|MULTISELECT)\s+`?([A-Za-z_][A-Za-z0-9_]*)`?(?:\s+DEFAULT\s+(?:"([^"]*)"|'([^']*)'))?(?:\s+CHOICES\s+([^;]*))?"#,
    )
});
static QUOTED: LazyLock<Regex> = LazyLock::new(|| re(r#""([^"]*)"|'([^']*)'"#));
static SECRET: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?i)\bsecret\s*\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)"#));
static GET_ARGUMENT: LazyLock<Regex> =
    LazyLock::new(|| re(r#"getArgument\s*\(\s*['"]([^'"]+)['"]"#));
static PARAM_MARKER: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:^|[^:\w]):([A-Za-z_][A-Za-z0-9_]*)"));
static STRINGS_AND_COMMENTS: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?s)--[^\n]*|/\*.*?\*/|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*""#));

/// Analyzes SQL text (one cell or one `spark.sql` string).
pub(super) fn analyze_sql(sql: &str, ctx: &mut SqlContext) -> SqlFacts {
    let mut facts = SqlFacts::default();
    for c in CREATE_WIDGET.captures_iter(sql) {
        let kind = match c.get(1).map(|m| m.as_str().to_ascii_uppercase()).as_deref() {
            Some("DROPDOWN") => WidgetKind::Dropdown,
            Some("COMBOBOX") => WidgetKind::Combobox,
            Some("MULTISELECT") => WidgetKind::Multiselect,
            _ => WidgetKind::Text,
        };
        let Some(name) = c.get(2) else { continue };
        let default = c
            .get(3)
            .or_else(|| c.get(4))
            .map(|m| m.as_str().to_string());
        let choices = c
            .get(5)
            .map(|m| {
                QUOTED
                    .captures_iter(m.as_str())
                    .filter_map(|q| {
                        q.get(1)
                            .or_else(|| q.get(2))
                            .map(|x| x.as_str().to_string())
                    })
                    .collect()
            })
            .unwrap_or_default();
        facts.widgets.push(Widget {
            name: name.as_str().to_string(),
            kind,
            default,
            choices,
            label: None,
        });
    }
    for c in SECRET.captures_iter(sql) {
        if let (Some(s), Some(k)) = (c.get(1), c.get(2)) {
            facts.secrets.push(SecretRef {
                scope: s.as_str().to_string(),
                key: k.as_str().to_string(),
            });
        }
    }
    for c in GET_ARGUMENT.captures_iter(sql) {
        if let Some(m) = c.get(1) {
            facts.params.push(m.as_str().to_string());
        }
    }
    let code_only = STRINGS_AND_COMMENTS.replace_all(sql, " ");
    for c in PARAM_MARKER.captures_iter(&code_only) {
        if let Some(m) = c.get(1) {
            facts.params.push(m.as_str().to_string());
        }
    }

    // Replace templates by placeholder identifiers so the tokenizer sees plain names.
    let mut templates: Vec<String> = Vec::new();
    let substituted = TEMPLATE.replace_all(sql, |c: &regex::Captures<'_>| {
        if let Some(p) = c.get(1) {
            facts.params.push(p.as_str().to_string());
        } else if let Some(p) = c.get(2) {
            facts.params.push(p.as_str().to_string());
        }
        let whole = c.get(0).map_or("", |m| m.as_str()).to_string();
        templates.push(whole);
        format!("zztpl{}zz", templates.len() - 1)
    });
    let restore = |name: String| -> TableRef {
        if !name.contains("zztpl") {
            return TableRef {
                name,
                templated: false,
            };
        }
        let mut out = name;
        for (i, t) in templates.iter().enumerate().rev() {
            out = out.replace(&format!("zztpl{i}zz"), t);
        }
        TableRef {
            name: out,
            templated: true,
        }
    };

    let (reads, writes) = match tokens(&substituted) {
        Some(toks) => scan_tokens(&toks, ctx),
        None => scan_regex(&code_only_of(&substituted), ctx),
    };
    facts.reads = reads.into_iter().map(restore).collect();
    facts.writes = writes.into_iter().map(restore).collect();
    facts
}

fn code_only_of(s: &str) -> String {
    STRINGS_AND_COMMENTS.replace_all(s, " ").into_owned()
}

/// Simplified token for scanning.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// Unquoted word (upper-cased copy for keyword checks) or quoted identifier.
    Word {
        text: String,
        upper: String,
        quoted: bool,
    },
    Period,
    Comma,
    LParen,
    RParen,
    Semi,
    Other,
}

fn tokens(sql: &str) -> Option<Vec<Tok>> {
    let dialect = DatabricksDialect {};
    let toks = Tokenizer::new(&dialect, sql).tokenize().ok()?;
    Some(
        toks.into_iter()
            .filter_map(|t| match t {
                Token::Whitespace(_) => None,
                Token::Word(w) => Some(Tok::Word {
                    upper: w.value.to_ascii_uppercase(),
                    quoted: w.quote_style.is_some(),
                    text: w.value,
                }),
                Token::Period => Some(Tok::Period),
                Token::Comma => Some(Tok::Comma),
                Token::LParen => Some(Tok::LParen),
                Token::RParen => Some(Tok::RParen),
                Token::SemiColon => Some(Tok::Semi),
                _ => Some(Tok::Other),
            })
            .collect(),
    )
}

fn kw(t: Option<&Tok>, k: &str) -> bool {
    matches!(t, Some(Tok::Word { upper, quoted: false, .. }) if upper == k)
}

const NOT_TABLE_WORDS: &[&str] = &[
    "SELECT", "VALUES", "LATERAL", "UNNEST", "WHERE", "GROUP", "ORDER", "LIMIT", "JOIN", "ON",
    "SET", "AS", "WITH", "TABLE", "IF", "NOT", "EXISTS", "OR", "REPLACE", "STREAM", "LIVE",
];

/// Reads a dotted name at `i`; returns (name, next index). Names followed by `(` (functions)
/// and keywords are rejected.
fn name_at(toks: &[Tok], mut i: usize) -> Option<(String, usize)> {
    let mut parts = Vec::new();
    loop {
        match toks.get(i) {
            Some(Tok::Word {
                text,
                upper,
                quoted,
            }) => {
                if !quoted && parts.is_empty() && NOT_TABLE_WORDS.contains(&upper.as_str()) {
                    return None;
                }
                parts.push(text.clone());
                i += 1;
            }
            _ => return None,
        }
        if matches!(toks.get(i), Some(Tok::Period)) {
            i += 1;
        } else {
            break;
        }
    }
    if matches!(toks.get(i), Some(Tok::LParen)) {
        return None;
    }
    Some((parts.join("."), i))
}

fn qualify(name: &str, ctx: &SqlContext) -> String {
    if name.contains("zztpl") {
        return name.to_string();
    }
    let parts = name.split('.').count();
    match (parts, &ctx.catalog, &ctx.schema) {
        (1, Some(c), Some(s)) => format!("{c}.{s}.{name}"),
        (1, None, Some(s)) => format!("{s}.{name}"),
        (2, Some(c), _) => format!("{c}.{name}"),
        _ => name.to_string(),
    }
}

fn scan_tokens(toks: &[Tok], ctx: &mut SqlContext) -> (Vec<String>, Vec<String>) {
    let mut reads = Vec::new();
    let mut writes = Vec::new();
    // CTE names: WITH name AS ( / , name AS (
    for (i, t) in toks.iter().enumerate() {
        if let Tok::Word { text, .. } = t
            && kw(toks.get(i + 1), "AS")
            && matches!(toks.get(i + 2), Some(Tok::LParen))
            && (kw(i.checked_sub(1).and_then(|j| toks.get(j)), "WITH")
                || matches!(i.checked_sub(1).and_then(|j| toks.get(j)), Some(Tok::Comma)))
        {
            ctx.local_names.insert(text.to_ascii_lowercase());
        }
    }
    let local = |n: &str, ctx: &SqlContext| ctx.local_names.contains(&n.to_ascii_lowercase());
    let mut i = 0;
    let mut in_merge = false;
    while i < toks.len() {
        let t = toks.get(i);
        if matches!(t, Some(Tok::Semi)) {
            in_merge = false;
        }
        if kw(t, "USE") {
            let mut j = i + 1;
            let which = if kw(toks.get(j), "CATALOG") {
                j += 1;
                "catalog"
            } else if kw(toks.get(j), "SCHEMA") || kw(toks.get(j), "DATABASE") {
                j += 1;
                "schema"
            } else {
                "schema"
            };
            if let Some((n, next)) = name_at(toks, j) {
                if which == "catalog" {
                    ctx.catalog = Some(n);
                } else if let Some((c, s)) = n.split_once('.') {
                    ctx.catalog = Some(c.to_string());
                    ctx.schema = Some(s.to_string());
                } else {
                    ctx.schema = Some(n);
                }
                i = next;
                continue;
            }
        }
        if kw(t, "CREATE") {
            let mut j = i + 1;
            let mut temporary = false;
            let mut is_table_like = false;
            while let Some(Tok::Word {
                upper,
                quoted: false,
                ..
            }) = toks.get(j)
            {
                match upper.as_str() {
                    "OR" | "REPLACE" | "STREAMING" | "LIVE" | "MATERIALIZED" | "EXTERNAL"
                    | "GLOBAL" => {}
                    "TEMP" | "TEMPORARY" => temporary = true,
                    "TABLE" | "VIEW" => is_table_like = true,
                    "IF" | "NOT" | "EXISTS" => {}
                    _ => break,
                }
                j += 1;
            }
            if is_table_like && let Some((n, next)) = name_at(toks, j) {
                if temporary {
                    ctx.local_names.insert(n.to_ascii_lowercase());
                } else {
                    writes.push(qualify(&n, ctx));
                }
                i = next;
                continue;
            }
        }
        if kw(t, "INSERT") && (kw(toks.get(i + 1), "INTO") || kw(toks.get(i + 1), "OVERWRITE")) {
            let mut j = i + 2;
            if kw(toks.get(j), "TABLE") {
                j += 1;
            }
            if let Some((n, next)) = name_at(toks, j) {
                writes.push(qualify(&n, ctx));
                i = next;
                continue;
            }
        }
        if kw(t, "MERGE")
            && kw(toks.get(i + 1), "INTO")
            && let Some((n, next)) = name_at(toks, i + 2)
        {
            writes.push(qualify(&n, ctx));
            in_merge = true;
            i = next;
            continue;
        }
        if in_merge
            && kw(t, "USING")
            && let Some((n, next)) = name_at(toks, i + 1)
        {
            if !local(&n, ctx) {
                reads.push(qualify(&n, ctx));
            }
            i = next;
            continue;
        }
        if kw(t, "UPDATE")
            && let Some((n, next)) = name_at(toks, i + 1)
        {
            let set_follows = kw(toks.get(next), "SET")
                || (matches!(toks.get(next), Some(Tok::Word { .. }))
                    && kw(toks.get(next + 1), "SET"));
            if set_follows {
                writes.push(qualify(&n, ctx));
                i = next;
                continue;
            }
        }
        if kw(t, "DELETE")
            && kw(toks.get(i + 1), "FROM")
            && let Some((n, next)) = name_at(toks, i + 2)
        {
            writes.push(qualify(&n, ctx));
            i = next;
            continue;
        }
        if kw(t, "FROM") || kw(t, "JOIN") {
            let mut j = i + 1;
            while let Some((n, next)) = name_at(toks, j) {
                if !local(&n, ctx) {
                    reads.push(qualify(&n, ctx));
                }
                // optional alias, then a comma continues the FROM list
                let mut k = next;
                if kw(toks.get(k), "AS") {
                    k += 1;
                }
                if let Some(Tok::Word { upper, quoted, .. }) = toks.get(k)
                    && (*quoted || !is_clause_keyword(upper))
                {
                    k += 1;
                }
                if kw(t, "FROM") && matches!(toks.get(k), Some(Tok::Comma)) {
                    j = k + 1;
                } else {
                    j = k;
                    break;
                }
            }
            i = j.max(i + 1);
            continue;
        }
        i += 1;
    }
    (reads, writes)
}

fn is_clause_keyword(upper: &str) -> bool {
    matches!(
        upper,
        "WHERE"
            | "GROUP"
            | "ORDER"
            | "LIMIT"
            | "JOIN"
            | "INNER"
            | "LEFT"
            | "RIGHT"
            | "FULL"
            | "CROSS"
            | "OUTER"
            | "ON"
            | "USING"
            | "UNION"
            | "EXCEPT"
            | "INTERSECT"
            | "HAVING"
            | "WINDOW"
            | "QUALIFY"
            | "WHEN"
            | "SET"
            | "NATURAL"
            | "ANTI"
            | "SEMI"
            | "LATERAL"
            | "PIVOT"
            | "UNPIVOT"
            | "TABLESAMPLE"
            | "VERSION"
            | "TIMESTAMP"
            | "CLUSTER"
            | "DISTRIBUTE"
            | "SORT"
    )
}

static RE_READ: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\b(?:FROM|JOIN)\s+(`[^`]+`|[A-Za-z_][\w]*(?:\.(?:`[^`]+`|[A-Za-z_]\w*)){0,2})")
});
static RE_WRITE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:INSERT\s+(?:INTO|OVERWRITE)(?:\s+TABLE)?|MERGE\s+INTO|CREATE\s+(?:OR\s+REPLACE\s+)?(?:STREAMING\s+|MATERIALIZED\s+)?(?:TABLE|VIEW)(?:\s+IF\s+NOT\s+EXISTS)?)\s+(`[^`]+`|[A-Za-z_]\w*(?:\.(?:`[^`]+`|[A-Za-z_]\w*)){0,2})",
    )
});

fn scan_regex(code: &str, ctx: &SqlContext) -> (Vec<String>, Vec<String>) {
    let grab = |r: &Regex| -> Vec<String> {
        r.captures_iter(code)
            .filter_map(|c| c.get(1))
            .map(|m| m.as_str().replace('`', ""))
            .filter(|n| !NOT_TABLE_WORDS.contains(&n.to_ascii_uppercase().as_str()))
            .filter(|n| !ctx.local_names.contains(&n.to_ascii_lowercase()))
            .map(|n| qualify(&n, ctx))
            .collect()
    };
    (grab(&RE_READ), grab(&RE_WRITE))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[TableRef]) -> Vec<&str> {
        v.iter().map(|t| t.name.as_str()).collect()
    }

    #[test]
    fn reads_and_writes() {
        let mut ctx = SqlContext::default();
        let f = analyze_sql(
            "-- FROM not_a_table\nWITH recent AS (SELECT * FROM main.sales.orders WHERE d > '2024')\n\
             INSERT INTO main.gold.daily SELECT r.*, c.name FROM recent r JOIN main.sales.customers c ON r.id = c.id;\n\
             MERGE INTO main.gold.dim t USING main.silver.dim_updates s ON t.id = s.id WHEN MATCHED THEN UPDATE SET *;\n\
             SELECT 'FROM fake' FROM a, b",
            &mut ctx,
        );
        assert_eq!(
            names(&f.reads),
            [
                "main.sales.orders",
                "main.sales.customers",
                "main.silver.dim_updates",
                "a",
                "b"
            ]
        );
        assert_eq!(names(&f.writes), ["main.gold.daily", "main.gold.dim"]);
    }

    #[test]
    fn context_templates_widgets() {
        let mut ctx = SqlContext::default();
        let f = analyze_sql(
            "CREATE WIDGET DROPDOWN env DEFAULT \"dev\" CHOICES SELECT * FROM (VALUES (\"dev\"), (\"prod\"));\n\
             USE CATALOG main; USE SCHEMA bronze;\n\
             CREATE OR REPLACE TABLE events AS SELECT * FROM IDENTIFIER(:source_table) WHERE x = :min_x;\n\
             CREATE TEMP VIEW v AS SELECT * FROM ${catalog}.raw.events;\n SELECT * FROM v;\n\
             SELECT secret('kv', 'api-key')",
            &mut ctx,
        );
        assert_eq!(f.widgets.len(), 1);
        assert_eq!(f.widgets[0].choices, ["dev", "prod"]);
        assert_eq!(names(&f.writes), ["main.bronze.events"]);
        assert_eq!(
            names(&f.reads),
            ["IDENTIFIER(:source_table)", "${catalog}.raw.events"]
        );
        assert!(f.reads.iter().all(|t| t.templated));
        assert!(f.params.contains(&"source_table".to_string()));
        assert!(f.params.contains(&"min_x".to_string()));
        assert!(f.params.contains(&"catalog".to_string()));
        assert_eq!(f.secrets[0].key, "api-key");
    }
}
