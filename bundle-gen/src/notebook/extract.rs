//! Signal extraction from cells: widgets, `%run`, `%pip`, notebook calls, tables, secrets and
//! warnings.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use super::sql::{SqlContext, analyze_sql};
use super::{
    AnalyzerWarning, CellKind, Library, LibraryKind, NotebookAnalysis, NotebookCall,
    NotebookLanguage, RunDependency, SecretRef, TableRef, WarningKind, Widget, WidgetKind,
    resolve_relative,
};

#[allow(clippy::expect_used)] // constant patterns, checked by tests
fn re(p: &str) -> Regex {
    Regex::new(p).expect("valid regex")
}

static WIDGET_CREATE: LazyLock<Regex> =
    LazyLock::new(|| re(r"dbutils\.widgets\.(text|dropdown|combobox|multiselect)\s*\("));
static WIDGET_GET: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:dbutils\.widgets\.get|\bgetArgument)\s*\("));
static NOTEBOOK_RUN: LazyLock<Regex> = LazyLock::new(|| re(r"dbutils\.notebook\.run\s*\("));
static NOTEBOOK_EXIT: LazyLock<Regex> = LazyLock::new(|| re(r"dbutils\.notebook\.exit\s*\("));
static SECRET_GET: LazyLock<Regex> = LazyLock::new(|| re(r"dbutils\.secrets\.get(?:Bytes)?\s*\("));
static TASK_VALUE_SET: LazyLock<Regex> =
    LazyLock::new(|| re(r"dbutils\.jobs\.taskValues\.set\s*\("));
static TABLE_READ: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:\b(?:spark|read|readStream|session)\s*\.\s*table|\btableToDF|\bDeltaTable\s*\.\s*forName|\bspark_read_table)\s*\(",
    )
});
static TABLE_WRITE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:\.\s*(?:saveAsTable|insertInto|toTable|writeTo)|\bsaveAsTable|\bspark_write_table)\s*\(",
    )
});
static SPARK_SQL: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:\b(?:spark|sqlContext|SparkR)\s*\.\s*sql|(?:^|[^.\w])sql)\s*\("));
static HARD_CODED_PATH: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"["'`](/Workspace/[^"'`\s]*|/Users/[^"'`\s]+|/Repos/[^"'`\s]+|dbfs:/[^"'`\s]*)["'`]"#)
});
static RUN_ABSOLUTE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^%run\s+['\x22]?(/(?:Workspace|Users|Repos|Shared)/\S*)"));
static TOKEN_PATTERNS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    vec![
        (
            re(r"\bdapi[0-9a-f]{32}(?:-\d)?\b"),
            "a Databricks personal access token",
        ),
        (re(r"\bdose[0-9a-f]{32}\b"), "a Databricks OAuth secret"),
        (re(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"), "a GitHub token"),
        (re(r"\bAKIA[0-9A-Z]{16}\b"), "an AWS access key id"),
        (re(r"\bxox[baprs]-[A-Za-z0-9-]{10,}"), "a Slack token"),
        (
            re(
                r#"(?i)\b(?:password|passwd|pwd|token|secret|api_?key|access_?key)\s*[:=]\s*[fr]?["'][^"'\s{}$]{8,}["']"#,
            ),
            "a hard-coded credential assignment",
        ),
    ]
});
static RUN_ARG: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\$([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))"#));

/// Adds a widget, merging with an existing one of the same name (a created widget wins over a
/// read-only one; the first default wins).
pub(super) fn push_widget(widgets: &mut Vec<Widget>, w: Widget) {
    if let Some(existing) = widgets.iter_mut().find(|x| x.name == w.name) {
        if existing.kind == WidgetKind::Read && w.kind != WidgetKind::Read {
            existing.kind = w.kind;
        }
        if existing.default.is_none() {
            existing.default = w.default;
        }
        if existing.choices.is_empty() {
            existing.choices = w.choices;
        }
        if existing.label.is_none() {
            existing.label = w.label;
        }
    } else {
        widgets.push(w);
    }
}

pub(super) fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// One argument of a call: keyword name (if any) and the raw text.
#[derive(Debug)]
struct Arg {
    name: Option<String>,
    raw: String,
}

/// Parses the arguments of a call whose `(` ends at byte `start` in `text`. Tolerates
/// unbalanced input (stops at the end of the text).
fn call_args(text: &str, start: usize) -> Vec<Arg> {
    let Some(rest) = text.get(start..) else {
        return Vec::new();
    };
    let mut args = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut triple = false;
    let mut current = String::new();
    let chars: Vec<char> = rest.chars().collect();
    let mut i = 0;
    while let Some(&ch) = chars.get(i) {
        if let Some(q) = quote {
            current.push(ch);
            if ch == '\\' {
                if let Some(&next) = chars.get(i + 1) {
                    current.push(next);
                    i += 1;
                }
            } else if ch == q {
                if triple {
                    if chars.get(i + 1) == Some(&q) && chars.get(i + 2) == Some(&q) {
                        current.push(q);
                        current.push(q);
                        i += 2;
                        quote = None;
                    }
                } else {
                    quote = None;
                }
            }
            i += 1;
            continue;
        }
        match ch {
            '"' | '\'' => {
                triple = chars.get(i + 1) == Some(&ch) && chars.get(i + 2) == Some(&ch);
                quote = Some(ch);
                current.push(ch);
                if triple {
                    current.push(ch);
                    current.push(ch);
                    i += 2;
                }
            }
            '(' | '[' | '{' => {
                depth += 1;
                current.push(ch);
            }
            ')' | ']' | '}' => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
                current.push(ch);
            }
            ',' if depth == 0 => {
                args.push(std::mem::take(&mut current));
            }
            _ => current.push(ch),
        }
        i += 1;
    }
    if !current.trim().is_empty() {
        args.push(current);
    }
    args.into_iter()
        .map(|a| {
            let a = a.trim().to_string();
            // keyword argument `name = value` (not `==`)
            if let Some(eq) = a.find('=') {
                let (k, v) = a.split_at(eq);
                let k = k.trim();
                let v = v.get(1..).unwrap_or("");
                if !v.starts_with('=')
                    && !k.is_empty()
                    && k.chars().all(|c| c.is_alphanumeric() || c == '_')
                {
                    return Arg {
                        name: Some(k.to_string()),
                        raw: v.trim().to_string(),
                    };
                }
            }
            Arg { name: None, raw: a }
        })
        .collect()
}

/// The value of a string literal (`"x"`, `'x'`, `"""x"""`, `f"x"`, `s"x"`, `r"x"`), and
/// whether it is templated (f-/s-string with `{`/`$`).
fn literal(raw: &str) -> Option<(String, bool)> {
    let raw = raw.trim();
    let (prefix_templated, body) = {
        let lower: String = raw.chars().take(2).collect::<String>().to_ascii_lowercase();
        if lower.starts_with("rf") || lower.starts_with("fr") {
            (true, raw.get(2..)?)
        } else if lower.starts_with('f') || lower.starts_with('s') {
            (true, raw.get(1..)?)
        } else if lower.starts_with('r') || lower.starts_with('b') {
            (false, raw.get(1..)?)
        } else {
            (false, raw)
        }
    };
    for q in ["\"\"\"", "'''", "\"", "'"] {
        if body.len() >= 2 * q.len() && body.starts_with(q) && body.ends_with(q) {
            let inner = body.get(q.len()..body.len() - q.len())?.to_string();
            let templated = prefix_templated && (inner.contains('{') || inner.contains('$'));
            return Some((inner, templated));
        }
    }
    None
}

fn arg<'a>(args: &'a [Arg], pos: usize, names: &[&str]) -> Option<&'a Arg> {
    args.iter()
        .find(|a| a.name.as_deref().is_some_and(|n| names.contains(&n)))
        .or_else(|| args.iter().filter(|a| a.name.is_none()).nth(pos))
}

fn string_arg(args: &[Arg], pos: usize, names: &[&str]) -> Option<(String, bool)> {
    arg(args, pos, names).and_then(|a| literal(&a.raw))
}

static QUOTED: LazyLock<Regex> = LazyLock::new(|| re(r#""([^"]*)"|'([^']*)'"#));

fn quoted_strings(s: &str) -> Vec<String> {
    QUOTED
        .captures_iter(s)
        .filter_map(|c| {
            c.get(1)
                .or_else(|| c.get(2))
                .map(|m| m.as_str().to_string())
        })
        .collect()
}

/// Line number (1-based, within `text`) of byte offset `pos`.
fn line_of(text: &str, pos: usize) -> usize {
    text.get(..pos).map_or(0, |t| t.matches('\n').count()) + 1
}

fn host_language_cell(
    path: &str,
    text: &str,
    cell: usize,
    a: &mut NotebookAnalysis,
    ctx: &mut SqlContext,
) {
    for m in WIDGET_CREATE.captures_iter(text) {
        let (Some(whole), Some(kind)) = (m.get(0), m.get(1)) else {
            continue;
        };
        let args = call_args(text, whole.end());
        let Some((name, _)) = string_arg(&args, 0, &["name"]) else {
            continue;
        };
        let kind = match kind.as_str() {
            "dropdown" => WidgetKind::Dropdown,
            "combobox" => WidgetKind::Combobox,
            "multiselect" => WidgetKind::Multiselect,
            _ => WidgetKind::Text,
        };
        let default =
            string_arg(&args, 1, &["defaultValue", "default_value", "default"]).map(|(v, _)| v);
        let (choices, label_pos) = if kind == WidgetKind::Text {
            (Vec::new(), 2)
        } else {
            let choices = arg(&args, 2, &["choices"])
                .map(|c| quoted_strings(&c.raw))
                .unwrap_or_default();
            (choices, 3)
        };
        let label = string_arg(&args, label_pos, &["label"]).map(|(v, _)| v);
        push_widget(
            &mut a.widgets,
            Widget {
                name,
                kind,
                default,
                choices,
                label,
            },
        );
    }
    for m in WIDGET_GET.find_iter(text) {
        let args = call_args(text, m.end());
        if let Some((name, false)) = string_arg(&args, 0, &["name", "argName"]) {
            let default = string_arg(&args, 1, &["defaultValue"]).map(|(v, _)| v);
            push_widget(
                &mut a.widgets,
                Widget {
                    name,
                    kind: WidgetKind::Read,
                    default,
                    choices: Vec::new(),
                    label: None,
                },
            );
        }
    }
    for m in NOTEBOOK_RUN.find_iter(text) {
        let args = call_args(text, m.end());
        if let Some((raw, _)) = string_arg(&args, 0, &["path"]) {
            a.notebook_calls.push(NotebookCall {
                resolved: resolve_relative(path, &raw),
                raw,
                cell,
            });
        }
    }
    for m in NOTEBOOK_EXIT.find_iter(text) {
        let args = call_args(text, m.end());
        if let Some(first) = args.first() {
            let value = literal(&first.raw).map_or_else(|| first.raw.clone(), |(v, _)| v);
            a.exit_values.push(value);
        }
    }
    for m in SECRET_GET.find_iter(text) {
        let args = call_args(text, m.end());
        if let (Some((scope, false)), Some((key, false))) = (
            string_arg(&args, 0, &["scope"]),
            string_arg(&args, 1, &["key"]),
        ) {
            push_unique(&mut a.secrets, SecretRef { scope, key });
        }
    }
    for m in TASK_VALUE_SET.find_iter(text) {
        let args = call_args(text, m.end());
        if let Some((key, _)) = string_arg(&args, 0, &["key"]) {
            push_unique(&mut a.task_values_set, key);
        }
    }
    for m in TABLE_READ.find_iter(text) {
        let args = call_args(text, m.end());
        let is_for_name = m.as_str().contains("forName") || m.as_str().contains("spark_read");
        let lit = args
            .iter()
            .skip(usize::from(is_for_name))
            .find_map(|x| literal(&x.raw));
        if let Some((name, templated)) = lit {
            push_unique(&mut a.tables_read, TableRef { name, templated });
        }
    }
    for m in TABLE_WRITE.find_iter(text) {
        let args = call_args(text, m.end());
        let lit = args
            .iter()
            .find(|x| {
                x.name
                    .as_deref()
                    .is_none_or(|n| n == "name" || n == "tableName")
            })
            .and_then(|x| literal(&x.raw))
            .or_else(|| args.iter().find_map(|x| literal(&x.raw)));
        if let Some((name, templated)) = lit {
            push_unique(&mut a.tables_written, TableRef { name, templated });
        }
    }
    for m in SPARK_SQL.find_iter(text) {
        let args = call_args(text, m.end());
        if let Some((sql, _)) = string_arg(&args, 0, &["sqlQuery", "query"]) {
            apply_sql(&sql, a, ctx);
        }
    }
}

fn apply_sql(sql: &str, a: &mut NotebookAnalysis, ctx: &mut SqlContext) {
    let facts = analyze_sql(sql, ctx);
    for w in facts.widgets {
        push_widget(&mut a.widgets, w);
    }
    for p in facts.params {
        push_widget(
            &mut a.widgets,
            Widget {
                name: p,
                kind: WidgetKind::Read,
                default: None,
                choices: Vec::new(),
                label: None,
            },
        );
    }
    for t in facts.reads {
        push_unique(&mut a.tables_read, t);
    }
    for t in facts.writes {
        push_unique(&mut a.tables_written, t);
    }
    for s in facts.secrets {
        push_unique(&mut a.secrets, s);
    }
}

/// Parses `%pip install ...` / `%conda install ...` text into libraries.
pub(crate) fn parse_pip(text: &str, conda: bool) -> Vec<Library> {
    let joined = text.replace("\\\n", " ");
    let mut libs = Vec::new();
    for line in joined.lines() {
        let mut words = line.split_whitespace().peekable();
        // skip the magic and the `install` verb
        let Some(first) = words.next() else { continue };
        if !(first == "%pip" || first == "%conda" || first == "pip" || first == "!pip") {
            continue;
        }
        if words.next() != Some("install") {
            continue;
        }
        while let Some(w) = words.next() {
            match w {
                "-r" | "--requirement" => {
                    if let Some(p) = words.next() {
                        libs.push(Library {
                            kind: LibraryKind::Requirements,
                            spec: p.trim_matches(['"', '\'']).to_string(),
                        });
                    }
                }
                "-e" | "--editable" => {
                    if let Some(p) = words.next() {
                        libs.push(Library {
                            kind: LibraryKind::Editable,
                            spec: p.trim_matches(['"', '\'']).to_string(),
                        });
                    }
                }
                "-i" | "--index-url" | "--extra-index-url" | "-f" | "--find-links" | "-c"
                | "--constraint" | "--target" | "-t" | "--channel" => {
                    words.next();
                }
                w if w.starts_with('-') => {}
                w if w.starts_with('#') => break,
                w => libs.push(Library {
                    kind: if conda {
                        LibraryKind::Conda
                    } else {
                        LibraryKind::Pip
                    },
                    spec: w.trim_matches(['"', '\'']).to_string(),
                }),
            }
        }
    }
    libs
}

fn scan_warnings(text: &str, cell: usize, base_line: usize, a: &mut NotebookAnalysis) {
    let line_for = |pos: usize| -> usize {
        let l = line_of(text, pos);
        if base_line == 0 { l } else { base_line + l - 1 }
    };
    for m in HARD_CODED_PATH.captures_iter(text) {
        if let Some(p) = m.get(1) {
            a.warnings.push(AnalyzerWarning {
                kind: WarningKind::HardCodedPath,
                cell,
                line: line_for(p.start()),
                message: format!(
                    "hard-coded workspace path `{}`; pass it as a widget/job parameter or use a \
                     path relative to the bundle so it works in every target",
                    p.as_str()
                ),
            });
        }
    }
    let mut credential_lines = Vec::new();
    for (r, what) in TOKEN_PATTERNS.iter() {
        for m in r.find_iter(text) {
            let line = line_for(m.start());
            if credential_lines.contains(&line) {
                continue;
            }
            credential_lines.push(line);
            a.warnings.push(AnalyzerWarning {
                kind: WarningKind::CredentialInSource,
                cell,
                line,
                message: format!(
                    "{what} appears in the source; move it to a secret scope and read it with \
                     dbutils.secrets.get(scope, key)"
                ),
            });
        }
    }
}

pub(super) fn analyze_cells(path: &str, a: &mut NotebookAnalysis) {
    let mut ctx = SqlContext::default();
    let cells = std::mem::take(&mut a.cells);
    for c in &cells {
        match &c.kind {
            CellKind::Run => {
                let first = c.source.lines().next().unwrap_or("").trim();
                let rest = first.strip_prefix("%run").unwrap_or("").trim();
                let (target, args) = if let Some(stripped) = rest.strip_prefix('"') {
                    match stripped.split_once('"') {
                        Some((t, a)) => (t.to_string(), a),
                        None => (stripped.to_string(), ""),
                    }
                } else {
                    match rest.split_once(char::is_whitespace) {
                        Some((t, a)) => (t.to_string(), a),
                        None => (rest.to_string(), ""),
                    }
                };
                if !target.is_empty() {
                    let arguments: BTreeMap<String, String> = RUN_ARG
                        .captures_iter(args)
                        .filter_map(|m| {
                            let k = m.get(1)?.as_str().to_string();
                            let v = m.get(2).or_else(|| m.get(3)).or_else(|| m.get(4))?;
                            Some((k, v.as_str().to_string()))
                        })
                        .collect();
                    a.runs.push(RunDependency {
                        resolved: resolve_relative(path, &target),
                        raw: target,
                        arguments,
                        cell: c.index,
                    });
                }
                if RUN_ABSOLUTE.is_match(first) {
                    a.warnings.push(AnalyzerWarning {
                        kind: WarningKind::HardCodedPath,
                        cell: c.index,
                        line: c.line,
                        message: "`%run` uses an absolute workspace path; use a relative path \
                                  (./helper) so the bundle works in every target"
                            .to_string(),
                    });
                }
            }
            CellKind::Pip | CellKind::Conda => {
                for lib in parse_pip(&c.source, c.kind == CellKind::Conda) {
                    push_unique(&mut a.libraries, lib);
                }
                scan_warnings(&c.source, c.index, c.line, a);
            }
            CellKind::Code(NotebookLanguage::Sql) => {
                apply_sql(&c.source, a, &mut ctx);
                scan_warnings(&c.source, c.index, c.line, a);
            }
            CellKind::Code(_) => {
                host_language_cell(path, &c.source, c.index, a, &mut ctx);
                // `!pip install` shell escapes in ipynb
                for line in c
                    .source
                    .lines()
                    .filter(|l| l.trim_start().starts_with("!pip"))
                {
                    for lib in parse_pip(line.trim_start(), false) {
                        push_unique(&mut a.libraries, lib);
                    }
                }
                scan_warnings(&c.source, c.index, c.line, a);
            }
            CellKind::Shell | CellKind::Fs | CellKind::Other(_) => {
                scan_warnings(&c.source, c.index, c.line, a);
            }
            CellKind::Markdown => {}
        }
    }
    a.cells = cells;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_args_handles_nesting_and_kwargs() {
        let text = r#"("env", "dev", ["dev", "prod"], label="Env (x)") tail"#;
        let args = call_args(text, 1);
        assert_eq!(args.len(), 4);
        assert_eq!(args[3].name.as_deref(), Some("label"));
        assert_eq!(
            literal(&args[3].raw).map(|x| x.0).as_deref(),
            Some("Env (x)")
        );
        assert_eq!(quoted_strings(&args[2].raw), ["dev", "prod"]);
    }

    #[test]
    fn literals() {
        assert_eq!(literal("f\"{c}.s.t\""), Some(("{c}.s.t".into(), true)));
        assert_eq!(literal("'''a'''"), Some(("a".into(), false)));
        assert_eq!(literal("x"), None);
    }

    #[test]
    fn pip_flags() {
        let libs = parse_pip(
            "%pip install pandas==2.2 -q --upgrade -r /Workspace/req.txt --index-url https://x \\\n  -e ../pkg /Volumes/c/s/v/w.whl",
            false,
        );
        let specs: Vec<_> = libs.iter().map(|l| (l.kind, l.spec.as_str())).collect();
        assert_eq!(
            specs,
            [
                (LibraryKind::Pip, "pandas==2.2"),
                (LibraryKind::Requirements, "/Workspace/req.txt"),
                (LibraryKind::Editable, "../pkg"),
                (LibraryKind::Pip, "/Volumes/c/s/v/w.whl"),
            ]
        );
    }
}
