//! Result shaping shared by every tool: row cap, byte cap, explicit truncation.
//!
//! The row cap is meant to be pushed into the backend request: ask the backend for
//! `max_rows + 1` rows ([`ResultLimits::fetch_rows`]) and pass what came back to
//! [`TableResult::from_rows`]; the extra row only tells that more exist. Text is compact and
//! capped in bytes; structured content holds every returned row.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::budget::{cut_head, floor_boundary, thousands};

/// Default row cap.
pub const DEFAULT_MAX_ROWS: usize = 100;
/// Default byte cap on text content (8 KiB).
pub const DEFAULT_MAX_TEXT_BYTES: usize = 8 * 1024;

/// Caps applied to every result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResultLimits {
    /// Rows returned per call at most.
    pub max_rows: usize,
    /// Bytes of text content at most. Structured content holds the complete result, held only to
    /// the registry's output budget ([`crate::RegistryBuilder::max_output_bytes`]).
    pub max_text_bytes: usize,
}

impl Default for ResultLimits {
    fn default() -> Self {
        Self {
            max_rows: DEFAULT_MAX_ROWS,
            max_text_bytes: DEFAULT_MAX_TEXT_BYTES,
        }
    }
}

impl ResultLimits {
    /// The defaults (100 rows, 8 KiB of text).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the row cap (at least 1).
    pub fn with_max_rows(mut self, rows: usize) -> Self {
        self.max_rows = rows.max(1);
        self
    }

    /// Sets the text byte cap (at least 256, so the truncation notice fits).
    pub fn with_max_text_bytes(mut self, bytes: usize) -> Self {
        self.max_text_bytes = bytes.max(256);
        self
    }

    /// The row cap for a call: the caller's `limit` if smaller than the cap.
    pub fn effective_rows(&self, requested: Option<u64>) -> usize {
        match requested {
            Some(n) => usize::try_from(n)
                .unwrap_or(usize::MAX)
                .clamp(1, self.max_rows),
            None => self.max_rows,
        }
    }

    /// Rows to ask the backend for: the effective cap plus one sentinel row that tells whether
    /// more exist.
    pub fn fetch_rows(&self, requested: Option<u64>) -> usize {
        self.effective_rows(requested).saturating_add(1)
    }
}

/// A column of a tabular result.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Type name as the backend reports it, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
}

impl Column {
    /// A column.
    pub fn new(name: impl Into<String>, type_name: Option<String>) -> Self {
        Self {
            name: name.into(),
            type_name,
        }
    }
}

/// How to get the rows a truncated result left out.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct MoreRows {
    /// Statement handle to page through with `get_statement`, when the backend keeps one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_id: Option<String>,
    /// Offset of the first row not returned.
    pub offset: u64,
    /// What to call next, in words.
    pub hint: String,
}

impl MoreRows {
    /// A continuation.
    pub fn new(statement_id: Option<String>, offset: u64, hint: impl Into<String>) -> Self {
        Self {
            statement_id,
            offset,
            hint: hint.into(),
        }
    }
}

/// A tabular result: complete in structured content, compact in text.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct TableResult {
    /// Columns, in order.
    pub columns: Vec<Column>,
    /// Rows, each a list of JSON values in column order.
    pub rows: Vec<Vec<Value>>,
    /// Number of rows in `rows`.
    pub row_count: usize,
    /// `true` when more rows exist than were returned.
    pub truncated: bool,
    /// How to get more rows, when `truncated` is true.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub more: Option<MoreRows>,
}

impl TableResult {
    /// Shapes rows fetched with a cap of `cap + 1`: keeps `cap` rows and sets `truncated` when
    /// the sentinel row came back (or `more_known` says the backend has more). `more` builds the
    /// continuation from the offset of the first missing row.
    pub fn from_rows(
        columns: Vec<Column>,
        mut rows: Vec<Vec<Value>>,
        cap: usize,
        start_offset: u64,
        more_known: bool,
        more: impl FnOnce(u64) -> MoreRows,
    ) -> Self {
        let over = rows.len() > cap;
        rows.truncate(cap);
        let truncated = over || more_known;
        let row_count = rows.len();
        let next_offset = start_offset.saturating_add(row_count as u64);
        Self {
            columns,
            rows,
            row_count,
            truncated,
            more: truncated.then(|| more(next_offset)),
        }
    }

    /// Compact text: a header line, one line per row (cells separated by ` | `), capped at
    /// `max_bytes`. When rows are cut, or the result is truncated, the text says so and how to get
    /// more.
    pub fn to_text(&self, max_bytes: usize) -> String {
        let header = self
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(" | ");
        let footer_budget = 400.min(max_bytes / 2);
        let budget = max_bytes.saturating_sub(footer_budget);
        let mut text = String::new();
        push_capped(&mut text, &header, budget);
        let mut shown = 0usize;
        for row in &self.rows {
            let line = row.iter().map(cell).collect::<Vec<_>>().join(" | ");
            if text.len() + 1 + line.len() > budget {
                break;
            }
            text.push('\n');
            text.push_str(&line);
            shown += 1;
        }
        let mut notes = Vec::new();
        if shown < self.row_count {
            notes.push(format!(
                "text shows {shown} of {} rows (byte cap {max_bytes}); structuredContent has all {}",
                self.row_count, self.row_count
            ));
        }
        if self.truncated {
            let hint = self
                .more
                .as_ref()
                .map(|m| m.hint.as_str())
                .unwrap_or("narrow the query or raise the limit");
            notes.push(format!(
                "truncated: true; {} rows returned, more exist; {hint}",
                self.row_count
            ));
        } else {
            notes.push(format!("{} rows", self.row_count));
        }
        let footer = format!("\n[{}]", notes.join("; "));
        let room = max_bytes.saturating_sub(text.len());
        push_capped(&mut text, &footer, room);
        text
    }
}

/// One cell as compact text: strings unquoted, everything else as JSON.
fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.replace('\n', " "),
        Value::Null => "NULL".to_owned(),
        other => other.to_string(),
    }
}

/// Appends at most `budget` bytes of `s` on a char boundary.
fn push_capped(out: &mut String, s: &str, budget: usize) {
    let (part, _) = cap_str(s, budget);
    out.push_str(part);
}

fn cap_str(s: &str, max_bytes: usize) -> (&str, bool) {
    let end = floor_boundary(s, max_bytes);
    (s.get(..end).unwrap_or_default(), end < s.len())
}

/// Caps free text at `max_bytes` (on a char boundary); when cut, appends the marker
/// (`…[truncated: N more bytes]`, the same the registry's output budget uses) and a notice naming
/// where the full content is (`where_full`, e.g. "structuredContent").
pub fn cap_text(text: &str, max_bytes: usize, where_full: &str) -> String {
    if text.len() <= max_bytes {
        return text.to_owned();
    }
    let notice = format!(
        "\n[truncated: true; text cut at {} bytes of {}; the full result is in {where_full}]",
        thousands(max_bytes),
        thousands(text.len())
    );
    let head = cut_head(text, max_bytes.saturating_sub(notice.len()));
    format!("{head}{notice}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cols() -> Vec<Column> {
        vec![
            Column::new("region", Some("STRING".into())),
            Column::new("revenue", None),
        ]
    }

    fn rows(n: usize) -> Vec<Vec<Value>> {
        (0..n)
            .map(|i| vec![json!(format!("r{i}")), json!(i * 10)])
            .collect()
    }

    #[test]
    fn fetch_pushes_cap_plus_sentinel() {
        let l = ResultLimits::new().with_max_rows(50);
        assert_eq!(l.fetch_rows(None), 51);
        assert_eq!(l.fetch_rows(Some(10)), 11);
        assert_eq!(l.fetch_rows(Some(1000)), 51);
        assert_eq!(l.fetch_rows(Some(0)), 2);
    }

    #[test]
    fn sentinel_row_sets_truncated_with_next_step() {
        let t = TableResult::from_rows(cols(), rows(4), 3, 0, false, |off| {
            MoreRows::new(
                Some("st-1".into()),
                off,
                format!("call get_statement with statement_id=st-1 and offset={off}"),
            )
        });
        assert!(t.truncated);
        assert_eq!(t.row_count, 3);
        let more = t.more.clone().unwrap();
        assert_eq!(more.offset, 3);
        let text = t.to_text(8192);
        assert!(text.contains("truncated: true"), "{text}");
        assert!(text.contains("offset=3"), "{text}");
        let v = serde_json::to_value(&t).unwrap();
        assert_eq!(v["truncated"], true);
        assert_eq!(v["more"]["statement_id"], "st-1");
    }

    #[test]
    fn exact_fit_is_not_truncated() {
        let t =
            TableResult::from_rows(cols(), rows(3), 3, 0, false, |o| MoreRows::new(None, o, ""));
        assert!(!t.truncated);
        assert!(t.more.is_none());
        let text = t.to_text(8192);
        assert_eq!(text, "region | revenue\nr0 | 0\nr1 | 10\nr2 | 20\n[3 rows]");
    }

    #[test]
    fn byte_cap_keeps_text_small_and_structured_complete() {
        let t = TableResult::from_rows(cols(), rows(1000), 1000, 0, false, |o| {
            MoreRows::new(None, o, "")
        });
        let text = t.to_text(1024);
        assert!(text.len() <= 1024, "{}", text.len());
        assert!(text.contains("structuredContent has all 1000"), "{text}");
        assert_eq!(t.rows.len(), 1000);
    }

    #[test]
    fn cap_text_is_utf8_safe() {
        let s = "é".repeat(5000);
        let capped = cap_text(&s, 300, "structuredContent");
        assert!(capped.len() <= 300);
        assert!(capped.contains("truncated: true"));
        assert_eq!(cap_text("short", 300, "x"), "short");
    }
}
