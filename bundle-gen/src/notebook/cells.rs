//! File-level detection and cell splitting for source notebooks and `.ipynb`.

use serde_json::Value;

use super::{
    AnalyzerWarning, Cell, CellKind, Library, LibraryKind, NotebookFormat, NotebookLanguage,
    WarningKind, Widget, WidgetKind,
};

/// What kind of notebook a file is (see [`detect_notebook_kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotebookKind {
    /// A Databricks source notebook with its header line.
    Source(NotebookLanguage),
    /// A Jupyter notebook (`.ipynb` with `cells`, `metadata`, `nbformat >= 4`).
    Jupyter(NotebookLanguage),
}

const HEADER: &str = "Databricks notebook source";
const DATABRICKS_NOTEBOOK_META: &str = "application/vnd.databricks.v1+notebook";
const DATABRICKS_CELL_META: &str = "application/vnd.databricks.v1+cell";

fn extension(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rfind('.') {
        Some(i) if i > 0 => name[i + 1..].to_ascii_lowercase(),
        _ => String::new(),
    }
}

fn language_from_extension(ext: &str) -> Option<NotebookLanguage> {
    match ext {
        "py" => Some(NotebookLanguage::Python),
        "sql" => Some(NotebookLanguage::Sql),
        "scala" => Some(NotebookLanguage::Scala),
        "r" => Some(NotebookLanguage::R),
        _ => None,
    }
}

/// Language of a source notebook's header line, using the extension to tell R from Python.
fn header_language(first_line: &str, ext: &str) -> Option<NotebookLanguage> {
    let line = first_line.trim_start_matches('\u{feff}').trim_end();
    let lang = if line == format!("# {HEADER}") {
        if ext == "r" {
            NotebookLanguage::R
        } else {
            NotebookLanguage::Python
        }
    } else if line == format!("-- {HEADER}") {
        NotebookLanguage::Sql
    } else if line == format!("// {HEADER}") {
        NotebookLanguage::Scala
    } else {
        return None;
    };
    // With a known extension, the header must match it (as the CLI checks).
    match language_from_extension(ext) {
        Some(expected) if expected != lang => None,
        _ => Some(lang),
    }
}

/// Detects whether `content` (at `path`) is a notebook, as the Databricks CLI does: a source
/// notebook needs its extension's header on the first line; `.ipynb` must be JSON with `cells`,
/// `metadata` and `nbformat >= 4`. Returns `None` for plain files.
///
/// ```
/// use bundle_gen::{detect_notebook_kind, NotebookKind, NotebookLanguage};
/// assert_eq!(
///     detect_notebook_kind("a.sql", "-- Databricks notebook source\nSELECT 1"),
///     Some(NotebookKind::Source(NotebookLanguage::Sql))
/// );
/// assert_eq!(detect_notebook_kind("a.py", "print(1)"), None);
/// ```
pub fn detect_notebook_kind(path: &str, content: &str) -> Option<NotebookKind> {
    let ext = extension(path);
    if ext == "ipynb" {
        let v: Value = serde_json::from_str(content).ok()?;
        let ok = v.get("cells").is_some_and(Value::is_array)
            && v.get("metadata").is_some_and(Value::is_object)
            && v.get("nbformat")
                .and_then(Value::as_u64)
                .is_some_and(|n| n >= 4);
        return ok.then(|| NotebookKind::Jupyter(ipynb_language(&v)));
    }
    let first = content.lines().next().unwrap_or("");
    header_language(first, &ext).map(NotebookKind::Source)
}

fn ipynb_language(v: &Value) -> NotebookLanguage {
    let meta = v.get("metadata");
    meta.and_then(|m| m.get(DATABRICKS_NOTEBOOK_META))
        .and_then(|m| m.get("language"))
        .and_then(Value::as_str)
        .or_else(|| {
            meta.and_then(|m| m.get("kernelspec"))
                .and_then(|k| k.get("language"))
                .and_then(Value::as_str)
        })
        .or_else(|| {
            meta.and_then(|m| m.get("language_info"))
                .and_then(|k| k.get("name"))
                .and_then(Value::as_str)
        })
        .and_then(NotebookLanguage::from_api_name)
        .unwrap_or(NotebookLanguage::Python)
}

/// Result of splitting a file into cells.
#[derive(Debug)]
pub(super) struct Parsed {
    pub(super) language: NotebookLanguage,
    pub(super) format: NotebookFormat,
    pub(super) cells: Vec<Cell>,
    pub(super) widgets: Vec<Widget>,
    pub(super) libraries: Vec<Library>,
    pub(super) environment_version: Option<String>,
    pub(super) warnings: Vec<AnalyzerWarning>,
}

pub(super) fn split(path: &str, content: &str) -> Parsed {
    let ext = extension(path);
    if ext == "ipynb" {
        return split_ipynb(content);
    }
    let first = content.lines().next().unwrap_or("");
    let header = first.trim_start_matches('\u{feff}').trim_end();
    // Without an extension (workspace export paths), the header alone decides.
    let language = header_language(first, &ext);
    match language {
        Some(lang) => split_source(lang, content),
        None => {
            let lang = language_from_extension(&ext)
                .or_else(|| {
                    if header.starts_with("--") {
                        Some(NotebookLanguage::Sql)
                    } else if header.starts_with("//") {
                        Some(NotebookLanguage::Scala)
                    } else {
                        None
                    }
                })
                .unwrap_or(NotebookLanguage::Python);
            Parsed {
                language: lang,
                format: NotebookFormat::PlainFile,
                cells: vec![Cell {
                    index: 0,
                    kind: CellKind::Code(lang),
                    title: None,
                    source: content.to_string(),
                    line: 1,
                }],
                widgets: Vec::new(),
                libraries: Vec::new(),
                environment_version: None,
                warnings: Vec::new(),
            }
        }
    }
}

fn split_source(lang: NotebookLanguage, content: &str) -> Parsed {
    let c = lang.comment_prefix();
    let separator = format!("{c} COMMAND -");
    let mut raw_cells: Vec<Vec<(usize, &str)>> = vec![Vec::new()];
    for (i, line) in content.lines().enumerate().skip(1) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim_start().starts_with(&separator) {
            raw_cells.push(Vec::new());
        } else if let Some(cell) = raw_cells.last_mut() {
            cell.push((i + 1, line));
        }
    }
    let mut cells = Vec::new();
    for raw in raw_cells {
        let start = raw.iter().position(|(_, l)| !l.trim().is_empty());
        let end = raw.iter().rposition(|(_, l)| !l.trim().is_empty());
        let (Some(start), Some(end)) = (start, end) else {
            continue;
        };
        let mut lines: Vec<(usize, &str)> = raw.get(start..=end).unwrap_or_default().to_vec();
        let mut title = None;
        let title_prefix = format!("{c} DBTITLE ");
        if let Some((_, first)) = lines.first()
            && let Some(rest) = first.trim_start().strip_prefix(&title_prefix)
        {
            title = Some(
                rest.split_once(',')
                    .map_or(rest, |(_, t)| t)
                    .trim()
                    .to_string(),
            );
            lines.remove(0);
        }
        let magic_prefix = format!("{c} MAGIC");
        let is_magic = lines
            .iter()
            .find(|(_, l)| !l.trim().is_empty())
            .is_some_and(|(_, l)| l.trim_start().starts_with(&magic_prefix));
        let stripped: Vec<(usize, String)> = lines
            .iter()
            .map(|(n, l)| {
                if is_magic {
                    let t = l.trim_start();
                    if let Some(rest) = t.strip_prefix(&magic_prefix) {
                        return (*n, rest.strip_prefix(' ').unwrap_or(rest).to_string());
                    }
                }
                (*n, (*l).to_string())
            })
            .collect();
        let index = cells.len();
        cells.push(make_cell(index, lang, title, stripped));
    }
    Parsed {
        language: lang,
        format: NotebookFormat::Source,
        cells,
        widgets: Vec::new(),
        libraries: Vec::new(),
        environment_version: None,
        warnings: Vec::new(),
    }
}

/// Builds a cell from its lines: a leading `%magic` decides the kind.
fn make_cell(
    index: usize,
    lang: NotebookLanguage,
    title: Option<String>,
    lines: Vec<(usize, String)>,
) -> Cell {
    let first_line = lines.first().map_or(0, |(n, _)| *n);
    let first_text = lines.first().map(|(_, l)| l.trim_start()).unwrap_or("");
    if let Some(magic) = first_text.strip_prefix('%') {
        let word: String = magic.chars().take_while(|ch| !ch.is_whitespace()).collect();
        let rest_of_first = magic.get(word.len()..).unwrap_or("").trim();
        let code_lang = match word.as_str() {
            "python" => Some(NotebookLanguage::Python),
            "sql" => Some(NotebookLanguage::Sql),
            "scala" => Some(NotebookLanguage::Scala),
            "r" => Some(NotebookLanguage::R),
            _ => None,
        };
        if let Some(code_lang) = code_lang {
            let mut body: Vec<&str> = Vec::new();
            if !rest_of_first.is_empty() {
                body.push(rest_of_first);
            }
            body.extend(lines.iter().skip(1).map(|(_, l)| l.as_str()));
            let line = if rest_of_first.is_empty() {
                lines.get(1).map_or(first_line, |(n, _)| *n)
            } else {
                first_line
            };
            return Cell {
                index,
                kind: CellKind::Code(code_lang),
                title,
                source: body.join("\n"),
                line,
            };
        }
        let kind = match word.as_str() {
            "md" | "md-sandbox" => CellKind::Markdown,
            "sh" => CellKind::Shell,
            "fs" => CellKind::Fs,
            "run" => CellKind::Run,
            "pip" => CellKind::Pip,
            "conda" => CellKind::Conda,
            other => CellKind::Other(other.to_string()),
        };
        let source = lines
            .iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        return Cell {
            index,
            kind,
            title,
            source,
            line: first_line,
        };
    }
    Cell {
        index,
        kind: CellKind::Code(lang),
        title,
        source: lines
            .iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        line: first_line,
    }
}

fn source_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts.iter().filter_map(Value::as_str).collect(),
        _ => String::new(),
    }
}

fn split_ipynb(content: &str) -> Parsed {
    let mut parsed = Parsed {
        language: NotebookLanguage::Python,
        format: NotebookFormat::Jupyter,
        cells: Vec::new(),
        widgets: Vec::new(),
        libraries: Vec::new(),
        environment_version: None,
        warnings: Vec::new(),
    };
    let v: Value = match serde_json::from_str(content) {
        Ok(v) => v,
        Err(e) => {
            parsed.warnings.push(AnalyzerWarning {
                kind: WarningKind::Parse,
                cell: 0,
                line: e.line(),
                message: format!("not a valid .ipynb JSON document: {e}"),
            });
            return parsed;
        }
    };
    parsed.language = ipynb_language(&v);
    let db_meta = v
        .get("metadata")
        .and_then(|m| m.get(DATABRICKS_NOTEBOOK_META));
    if let Some(widgets) = db_meta
        .and_then(|m| m.get("widgets"))
        .and_then(Value::as_object)
    {
        for (key, w) in widgets {
            parsed.widgets.push(ipynb_widget(key, w));
        }
    }
    if let Some(env) = db_meta.and_then(|m| m.get("environmentMetadata")) {
        parsed.environment_version = env
            .get("environment_version")
            .or_else(|| env.get("client"))
            .and_then(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            });
        if let Some(deps) = env.get("dependencies").and_then(Value::as_array) {
            for dep in deps.iter().filter_map(Value::as_str) {
                let (kind, spec) = if let Some(r) = dep.strip_prefix("-r ") {
                    (LibraryKind::Requirements, r.trim())
                } else if let Some(r) = dep
                    .strip_prefix("-e ")
                    .or_else(|| dep.strip_prefix("--editable "))
                {
                    (LibraryKind::Editable, r.trim())
                } else {
                    (LibraryKind::Pip, dep.trim())
                };
                parsed.libraries.push(Library {
                    kind,
                    spec: spec.to_string(),
                });
            }
        }
    }
    let Some(cells) = v.get("cells").and_then(Value::as_array) else {
        parsed.warnings.push(AnalyzerWarning {
            kind: WarningKind::Parse,
            cell: 0,
            line: 0,
            message: "the .ipynb document has no `cells` array".to_string(),
        });
        return parsed;
    };
    for cell in cells {
        let index = parsed.cells.len();
        let text = source_text(cell.get("source"));
        let title = cell
            .get("metadata")
            .and_then(|m| m.get(DATABRICKS_CELL_META))
            .and_then(|m| m.get("title"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        let cell_type = cell
            .get("cell_type")
            .and_then(Value::as_str)
            .unwrap_or("code");
        if cell_type != "code" {
            parsed.cells.push(Cell {
                index,
                kind: if cell_type == "markdown" {
                    CellKind::Markdown
                } else {
                    CellKind::Other(cell_type.to_string())
                },
                title,
                source: text,
                line: 0,
            });
            continue;
        }
        let lines: Vec<(usize, String)> = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.to_string()))
            .collect();
        let mut c = make_cell(index, parsed.language, title, lines);
        c.line = 0;
        parsed.cells.push(c);
    }
    parsed
}

fn ipynb_widget(key: &str, w: &Value) -> Widget {
    let typed = w.get("typedWidgetInfo");
    let legacy = w.get("widgetInfo");
    let field = |name: &str| -> Option<&Value> {
        typed
            .and_then(|t| t.get(name))
            .or_else(|| legacy.and_then(|l| l.get(name)))
    };
    let name = field("name")
        .and_then(Value::as_str)
        .unwrap_or(key)
        .to_string();
    let default = field("defaultValue").and_then(|d| match d {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    });
    let label = field("label")
        .and_then(Value::as_str)
        .filter(|l| !l.is_empty())
        .map(str::to_string);
    let options = field("options");
    let display = options
        .and_then(|o| o.get("widgetDisplayType"))
        .and_then(Value::as_str)
        .or_else(|| {
            legacy
                .and_then(|l| l.get("widgetType"))
                .and_then(Value::as_str)
        })
        .unwrap_or("text")
        .to_ascii_lowercase();
    let kind = match display.as_str() {
        "dropdown" => WidgetKind::Dropdown,
        "combobox" => WidgetKind::Combobox,
        "multiselect" => WidgetKind::Multiselect,
        _ => WidgetKind::Text,
    };
    let choices = options
        .and_then(|o| o.get("choices"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Widget {
        name,
        kind,
        default,
        choices,
        label,
    }
}
