//! The output budget: one byte cap on every channel of every tool result — text content,
//! structured content and error text — applied by the [`crate::Registry`] after redaction.
//!
//! - **Text** longer than the budget keeps its head; an error text keeps its head and its tail
//!   (where the next step usually is). The cut is marked with `…[truncated: N more bytes]` and a
//!   note says how to get the rest.
//! - **Structured content** longer than the budget (serialized) is cut where it is largest, and
//!   stays valid JSON: long strings are cut with the marker inside the string, long arrays lose
//!   trailing items, largest first, until it fits. The top-level object gets a `_truncated` note
//!   (what was cut, the original size, how to get the rest), every object holding a cut value
//!   that has a boolean `truncated` field has it set to `true`, and a `row_count` beside a cut
//!   array is updated. The text content says so too.
//! - **Error text** (an `isError` result or a [`ToolError`]) quotes at most
//!   [`MAX_QUOTED_BYTES`] of any quoted value (`"…"`, `` `…` ``, `'…'`), so an argument or a
//!   statement echoed back by a backend cannot flood the caller, and is then held to the budget.
//!
//! Structured content nested deeper than 100 levels is cut at that level too (JSON parsers refuse
//! deeper documents). Cuts never split a UTF-8 character. Results within the budget are returned
//! unchanged.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::{ToolError, ToolOutput};

/// Default byte budget of each channel of a tool result (256 KiB).
pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 256 * 1024;

/// Smallest budget accepted: room for the marker and the note saying how to get the rest.
pub const MIN_MAX_OUTPUT_BYTES: usize = 4 * 1024;

/// Bytes of a quoted value an error text keeps (the rest is replaced by the marker).
pub const MAX_QUOTED_BYTES: usize = 200;

/// A cut string keeps at least this many bytes (so the caller sees what the value was).
const MIN_KEEP: usize = 64;
/// Strings are cut down to this many bytes before arrays lose items (a table keeps its rows
/// with shortened cells rather than losing rows to one long cell).
const STRING_FLOOR: usize = 1024;
/// Longest marker (`…[truncated: 18,446,744,073,709,551,615 more bytes]`).
const MARKER_MAX: usize = 56;
/// Room kept free in structured content for the `_truncated` note.
const NOTE_RESERVE: usize = 2 * 1024;
/// Paths listed in the note at most.
const NOTE_PATHS: usize = 5;
/// Levels of nested arrays and objects kept in structured content (JSON parsers such as
/// serde_json refuse more than 128, and the JSON-RPC envelope adds its own).
pub(crate) const MAX_DEPTH: usize = 100;
/// Cutting rounds at most before falling back to the note alone.
const MAX_ROUNDS: usize = 256;

/// How to get what a cut left out, in words (tools' own continuations come first when known).
pub(crate) const GET_THE_REST: &str = "to get the rest, ask for less per call: page with limit/offset where the tool has them, fetch the rows of a statement with get_statement (statement_id, offset), select fewer or shorter columns (e.g. substr(col, 1, 1000)), or narrow the query";

/// The marker that replaces `more` cut bytes: `…[truncated: 4,999,000 more bytes]`.
pub(crate) fn marker(more: usize) -> String {
    format!("…[truncated: {} more bytes]", thousands(more))
}

/// `4999000` → `4,999,000`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The largest index `<= i` that is a char boundary of `s`.
pub(crate) fn floor_boundary(s: &str, i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    let mut end = i;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// The smallest index `>= i` that is a char boundary of `s`.
fn ceil_boundary(s: &str, i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    let mut start = i;
    while start < s.len() && !s.is_char_boundary(start) {
        start += 1;
    }
    start
}

/// `s` cut so that it and the marker fit in `max_bytes` (the marker alone when nothing fits).
pub(crate) fn cut_head(s: &str, max_bytes: usize) -> Cow<'_, str> {
    if s.len() <= max_bytes {
        return Cow::Borrowed(s);
    }
    let upper = marker(s.len()).len();
    let end = floor_boundary(s, max_bytes.saturating_sub(upper));
    Cow::Owned(format!("{}{}", &s[..end], marker(s.len() - end)))
}

/// `s` cut in the middle so that head, marker and tail fit in `max_bytes`; the tail gets at
/// most a quarter (error texts end with the next step).
fn cut_middle(s: &str, max_bytes: usize) -> Cow<'_, str> {
    if s.len() <= max_bytes {
        return Cow::Borrowed(s);
    }
    let room = max_bytes.saturating_sub(marker(s.len()).len());
    let tail_len = (room / 4).min(1024);
    let head_end = floor_boundary(s, room - tail_len);
    let tail_start = ceil_boundary(s, s.len() - tail_len).max(head_end);
    Cow::Owned(format!(
        "{}{}{}",
        &s[..head_end],
        marker(tail_start - head_end),
        &s[tail_start..]
    ))
}

/// Cuts every quoted value (`"…"`, `` `…` ``, `'…'`) longer than `max_quoted` bytes down to
/// `max_quoted` bytes and the marker.
///
/// A quote opens at the start or after a character that is not alphanumeric, and closes before
/// the end or a character that is not alphanumeric (so `don't` is no quote); inside `"…"` a
/// backslash escapes the next character (as in Rust's and serde's `{:?}`). Linear in the length.
pub(crate) fn clip_quoted(s: &str, max_quoted: usize) -> Cow<'_, str> {
    const QUOTES: [char; 3] = ['"', '`', '\''];
    let mut out: Option<String> = None;
    let mut copied = 0usize;
    // A quote character with no closer from some position has none from any later one.
    let mut unclosed = [false; 3];
    let mut prev: Option<char> = None;
    let mut i = 0usize;
    while let Some(c) = s.get(i..).and_then(|rest| rest.chars().next()) {
        let next_i = i + c.len_utf8();
        let q = QUOTES.iter().position(|&q| q == c);
        let opens = q.is_some_and(|q| !unclosed[q]) && !prev.is_some_and(char::is_alphanumeric);
        prev = Some(c);
        let Some(q) = q.filter(|_| opens) else {
            i = next_i;
            continue;
        };
        let Some(close) = find_closer(s, next_i, QUOTES[q]) else {
            unclosed[q] = true;
            i = next_i;
            continue;
        };
        let inner = &s[next_i..close];
        if inner.len() > max_quoted {
            let keep = floor_boundary(inner, max_quoted);
            let buf = out.get_or_insert_with(|| String::with_capacity(s.len().min(1 << 20)));
            buf.push_str(&s[copied..next_i]);
            buf.push_str(&inner[..keep]);
            buf.push_str(&marker(inner.len() - keep));
            copied = close;
        }
        // Resume after the closing quote (it opens nothing).
        i = close + QUOTES[q].len_utf8();
    }
    match out {
        None => Cow::Borrowed(s),
        Some(mut buf) => {
            buf.push_str(&s[copied..]);
            Cow::Owned(buf)
        }
    }
}

/// The index of the quote closing a value that starts at `start`.
fn find_closer(s: &str, start: usize, quote: char) -> Option<usize> {
    let mut chars = s[start..].char_indices().peekable();
    while let Some((j, c)) = chars.next() {
        if c == '\\' && quote == '"' {
            chars.next();
            continue;
        }
        if c == quote {
            let next = chars.peek().map(|&(_, n)| n);
            if !next.is_some_and(char::is_alphanumeric) {
                return Some(start + j);
            }
        }
    }
    None
}

/// Bounds an error text: quoted values clipped, then held to `max_bytes` (head and tail kept).
pub(crate) fn bound_error_text(s: &str, max_bytes: usize) -> String {
    let clipped = clip_quoted(s, MAX_QUOTED_BYTES);
    cut_middle(&clipped, max_bytes).into_owned()
}

/// The byte budget the registry applies to every tool result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OutputBudget {
    max_bytes: usize,
}

impl Default for OutputBudget {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_OUTPUT_BYTES)
    }
}

impl OutputBudget {
    /// A budget of `max_bytes` per channel (at least [`MIN_MAX_OUTPUT_BYTES`]).
    pub(crate) fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes: max_bytes.max(MIN_MAX_OUTPUT_BYTES),
        }
    }

    /// The budget in bytes.
    pub(crate) fn max_bytes(self) -> usize {
        self.max_bytes
    }

    /// Holds every channel of `out` to the budget.
    pub(crate) fn apply(self, mut out: ToolOutput) -> ToolOutput {
        let mut note_for_text = None;
        if let Some(v) = out.structured.as_mut()
            && let Some(note) = self.fit_structured(v)
        {
            note_for_text = Some(note);
        }
        if out.is_error {
            let bounded = bound_error_text(&out.text, self.text_room(note_for_text.as_deref()));
            out.text = bounded;
        } else if out.text.len() > self.text_room(note_for_text.as_deref()) {
            let room = self
                .text_room(note_for_text.as_deref())
                .saturating_sub(GET_THE_REST.len() + 4);
            let head = cut_head(&out.text, room).into_owned();
            out.text = format!("{head}\n[{GET_THE_REST}]");
        }
        if let Some(note) = note_for_text {
            out.text.push_str(&note);
        }
        out
    }

    /// Bytes left for the text once the note about the structured content is appended.
    fn text_room(self, note: Option<&str>) -> usize {
        self.max_bytes.saturating_sub(note.map_or(0, str::len))
    }

    /// Holds the messages of a protocol or argument error to the budget.
    pub(crate) fn apply_error(self, error: ToolError) -> ToolError {
        match error {
            ToolError::InvalidParams { tool, message } => ToolError::InvalidParams {
                tool: cut_head(&tool, MAX_QUOTED_BYTES).into_owned(),
                message: bound_error_text(&message, self.max_bytes / 2),
            },
            ToolError::UnknownTool { name } => ToolError::UnknownTool {
                name: cut_head(&name, MAX_QUOTED_BYTES).into_owned(),
            },
            ToolError::Internal { message } => ToolError::Internal {
                message: bound_error_text(&message, self.max_bytes / 2),
            },
            other => other,
        }
    }

    /// Cuts `v` until its serialization fits the budget; returns the line to append to the text
    /// content when something was cut.
    fn fit_structured(self, v: &mut Value) -> Option<String> {
        let original = json_len(v);
        let too_deep = depth_over(v, MAX_DEPTH);
        if original <= self.max_bytes && !too_deep {
            return None;
        }
        let target = self.max_bytes - NOTE_RESERVE;
        let mut cuts = Cuts::default();
        if too_deep {
            cut_deep(v, 1, &mut Vec::new(), &mut cuts);
        }
        cut_to_fit(v, target, &mut cuts);
        let next = continuation_hint(v);
        if json_len(v) > target {
            // Nothing left to cut piecewise (many keys, numbers): keep the note only.
            *v = Value::Object(Map::new());
            cuts.fallback = true;
        }
        let note = cuts.note(self.max_bytes, original, &next);
        if let Value::Object(map) = v {
            if let Some(Value::Bool(t)) = map.get_mut("truncated") {
                *t = true;
            } else if cuts.fallback {
                map.insert("truncated".into(), Value::Bool(true));
            }
            map.insert("_truncated".into(), note);
        }
        Some(format!(
            "\n[structuredContent cut to the {}-byte output budget (it had {} bytes): {}; {next}]",
            thousands(self.max_bytes),
            thousands(original),
            cuts.summary()
        ))
    }
}

/// What a tool already says about getting more (`more.hint` of a table result), else the
/// generic advice.
fn continuation_hint(v: &Value) -> String {
    // `more.hint` at the top or one level down (`result.more.hint` of a statement).
    let own = hint_of(v).or_else(|| v.as_object().and_then(|m| m.values().find_map(hint_of)));
    match own {
        Some(h) => format!("{}; or {GET_THE_REST}", cut_head(h, 300)),
        None => GET_THE_REST.to_owned(),
    }
}

fn hint_of(o: &Value) -> Option<&str> {
    o.get("more")
        .and_then(|m| m.get("hint"))
        .and_then(Value::as_str)
        .filter(|h| !h.is_empty())
}

/// Whether `v` nests arrays and objects deeper than `max` levels (looks no deeper than that).
fn depth_over(v: &Value, max: usize) -> bool {
    if max == 0 {
        return matches!(v, Value::Array(a) if !a.is_empty())
            || matches!(v, Value::Object(m) if !m.is_empty());
    }
    match v {
        Value::Array(items) => items.iter().any(|i| depth_over(i, max - 1)),
        Value::Object(map) => map.values().any(|i| depth_over(i, max - 1)),
        _ => false,
    }
}

/// Replaces the non-empty arrays and objects at level [`MAX_DEPTH`] by the marker.
fn cut_deep(v: &mut Value, depth: usize, path: &mut Vec<Step>, cuts: &mut Cuts) -> bool {
    let nested = matches!(v, Value::Array(a) if !a.is_empty())
        || matches!(v, Value::Object(m) if !m.is_empty());
    if !nested {
        return false;
    }
    if depth >= MAX_DEPTH {
        let more = json_len(v);
        cuts.push(
            path,
            format!("nested deeper than {MAX_DEPTH} levels; left out"),
        );
        *v = Value::String(marker(more));
        return true;
    }
    let mut any = false;
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(Step::Index(i));
                any |= cut_deep(item, depth + 1, path, cuts);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (k, item) in map.iter_mut() {
                path.push(Step::Key(k.clone()));
                any |= cut_deep(item, depth + 1, path, cuts);
                path.pop();
            }
            if any && let Some(Value::Bool(t)) = map.get_mut("truncated") {
                *t = true;
            }
        }
        _ => {}
    }
    any
}

/// The serialized length of `v` (as compact JSON).
pub(crate) fn json_len(v: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    // Writing a `Value` to an infallible writer cannot fail.
    let _ = serde_json::to_writer(&mut c, v);
    c.0
}

/// A step of a path into a JSON value.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn pointer(path: &[Step]) -> String {
    if path.is_empty() {
        return "/".to_owned();
    }
    let mut s = String::new();
    for step in path {
        s.push('/');
        match step {
            Step::Key(k) => s.push_str(&k.replace('~', "~0").replace('/', "~1")),
            Step::Index(i) => s.push_str(&i.to_string()),
        }
    }
    s
}

fn get_mut<'v>(v: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    let mut cur = v;
    for step in path {
        cur = match (step, cur) {
            (Step::Key(k), Value::Object(m)) => m.get_mut(k)?,
            (Step::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// The cuts made, for the note.
#[derive(Debug, Default)]
struct Cuts {
    listed: Vec<String>,
    count: usize,
    fallback: bool,
}

impl Cuts {
    fn push(&mut self, path: &[Step], what: String) {
        self.count += 1;
        if self.listed.len() < NOTE_PATHS {
            let p = pointer(path);
            self.listed
                .push(format!("{}: {what}", cut_middle(&p, MAX_QUOTED_BYTES)));
        }
    }

    fn summary(&self) -> String {
        if self.fallback {
            return "it was too large to cut piecewise and was left out".to_owned();
        }
        let mut s = self.listed.join("; ");
        if self.count > self.listed.len() {
            s.push_str(&format!(
                "; and {} more cuts",
                self.count - self.listed.len()
            ));
        }
        s
    }

    fn note(&self, budget: usize, original: usize, next: &str) -> Value {
        serde_json::json!({
            "budget_bytes": budget,
            "original_bytes": original,
            "cuts": self.listed,
            "cut_count": self.count,
            "left_out": self.fallback,
            "next": next,
        })
    }
}

/// The largest array of several items, measured by its size without its largest item (an
/// array is cut for having many items, not for one big one).
#[derive(Debug, Default)]
struct Best {
    measure: usize,
    path: Vec<Step>,
}

/// Walks `v`, returning its serialized size; records the largest array in `best` and the length
/// of every string longer than `floor` plus a marker in `strings`.
fn survey(
    v: &Value,
    path: &mut Vec<Step>,
    floor: usize,
    best: &mut Best,
    strings: &mut Vec<usize>,
) -> usize {
    match v {
        Value::String(s) => {
            if s.len() > floor + MARKER_MAX {
                strings.push(s.len());
            }
            json_len(v)
        }
        Value::Array(items) => {
            let mut total = 2 + items.len().saturating_sub(1);
            let mut largest = 0;
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                let n = survey(item, path, floor, best, strings);
                path.pop();
                total += n;
                largest = largest.max(n);
            }
            let measure = total - largest;
            if items.len() > 1 && measure > best.measure {
                best.measure = measure;
                best.path = path.clone();
            }
            total
        }
        Value::Object(map) => {
            let mut total = 2 + map.len().saturating_sub(1);
            for (k, item) in map {
                path.push(Step::Key(k.clone()));
                total += json_len(&Value::String(k.clone()))
                    + 1
                    + survey(item, path, floor, best, strings);
                path.pop();
            }
            total
        }
        other => json_len(other),
    }
}

/// Cuts `v` towards `target` bytes in the order that loses least: long strings down to
/// [`STRING_FLOOR`] (largest first), then arrays of many items (largest first, trailing items),
/// then strings down to [`MIN_KEEP`].
fn cut_to_fit(v: &mut Value, target: usize, cuts: &mut Cuts) {
    shrink_strings(v, target, STRING_FLOOR, cuts);
    for _ in 0..MAX_ROUNDS {
        let size = json_len(v);
        if size <= target {
            return;
        }
        let mut best = Best::default();
        survey(
            v,
            &mut Vec::new(),
            usize::MAX / 2,
            &mut best,
            &mut Vec::new(),
        );
        if best.measure == 0 || !cut_array(v, &best.path, size - target, cuts) {
            break;
        }
    }
    shrink_strings(v, target, MIN_KEEP, cuts);
}

/// Water-filling: cuts every string longer than a level, the level as high as it can be (and
/// at least `floor`), so the largest strings lose the most.
fn shrink_strings(v: &mut Value, target: usize, floor: usize, cuts: &mut Cuts) {
    // Escaped characters make a round save a little less than planned: a few rounds settle it.
    for _ in 0..4 {
        let mut strings = Vec::new();
        let size = survey(
            v,
            &mut Vec::new(),
            floor,
            &mut Best::default(),
            &mut strings,
        );
        if size <= target || strings.is_empty() {
            return;
        }
        let level = level_for(&strings, size - target, floor);
        if !cut_strings(v, level, &mut Vec::new(), cuts) {
            return;
        }
    }
}

/// The highest level `L >= floor` such that cutting every string to `L` bytes plus the marker
/// saves at least `excess` bytes (`floor` when even that is not enough).
fn level_for(lengths: &[usize], excess: usize, floor: usize) -> usize {
    let saving = |level: usize| -> usize {
        lengths
            .iter()
            .filter(|&&n| n > level + MARKER_MAX)
            .map(|&n| n - level - MARKER_MAX)
            .sum()
    };
    let max = lengths.iter().copied().max().unwrap_or(floor);
    if saving(floor) < excess {
        return floor;
    }
    let (mut lo, mut hi) = (floor, max);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if saving(mid) >= excess {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

fn cut_strings(v: &mut Value, level: usize, path: &mut Vec<Step>, cuts: &mut Cuts) -> bool {
    match v {
        Value::String(s) if s.len() > level + MARKER_MAX => {
            let keep = floor_boundary(s, level);
            let more = s.len() - keep;
            cuts.push(
                path,
                format!(
                    "string cut to {} of {} bytes",
                    thousands(keep),
                    thousands(s.len())
                ),
            );
            s.truncate(keep);
            s.push_str(&marker(more));
            true
        }
        Value::Array(items) => {
            let mut any = false;
            for (i, item) in items.iter_mut().enumerate() {
                path.push(Step::Index(i));
                any |= cut_strings(item, level, path, cuts);
                path.pop();
            }
            any
        }
        Value::Object(map) => {
            let mut any = false;
            for (k, item) in map.iter_mut() {
                path.push(Step::Key(k.clone()));
                any |= cut_strings(item, level, path, cuts);
                path.pop();
            }
            if any && let Some(Value::Bool(t)) = map.get_mut("truncated") {
                *t = true;
            }
            any
        }
        _ => false,
    }
}

/// Drops trailing items of the array at `path` until about `excess` bytes are saved (one item
/// stays); marks the holder `truncated` and updates its `row_count`.
fn cut_array(v: &mut Value, path: &[Step], excess: usize, cuts: &mut Cuts) -> bool {
    let Some(Value::Array(items)) = get_mut(v, path) else {
        return false;
    };
    let before = items.len();
    let mut saved = 0usize;
    while items.len() > 1 && saved < excess {
        if let Some(item) = items.pop() {
            saved += json_len(&item) + 1;
        }
    }
    let after = items.len();
    if after == before {
        return false;
    }
    cuts.push(
        path,
        format!(
            "kept {} of {} items ({} more items left out)",
            thousands(after),
            thousands(before),
            thousands(before - after)
        ),
    );
    for depth in 0..path.len() {
        if let Some(Value::Object(holder)) = get_mut(v, &path[..depth])
            && let Some(Value::Bool(t)) = holder.get_mut("truncated")
        {
            *t = true;
        }
    }
    if let Some((Step::Key(_), parent)) = path.split_last()
        && let Some(Value::Object(holder)) = get_mut(v, parent)
    {
        if let Some(n) = holder.get_mut("row_count")
            && n.is_u64()
        {
            *n = Value::from(after);
        }
        // A continuation (`more.offset`, and the offset its hint names) now starts at the first
        // item left out.
        if let Some(Value::Object(more)) = holder.get_mut("more")
            && let Some(old) = more.get("offset").and_then(Value::as_u64)
        {
            let new = old.saturating_sub((before - after) as u64);
            more.insert("offset".into(), Value::from(new));
            if let Some(Value::String(hint)) = more.get_mut("hint") {
                *hint = hint.replace(&format!("offset={old}"), &format!("offset={new}"));
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(4_999_000), "4,999,000");
        assert!(marker(usize::MAX).len() <= MARKER_MAX);
    }

    #[test]
    fn cut_head_fits_and_keeps_char_boundaries() {
        for s in ["x".repeat(1000), "é".repeat(1000), "日本".repeat(500)] {
            for max in [0, 1, 40, 41, 100, 333, 999] {
                let c = cut_head(&s, max);
                assert!(c.contains("…[truncated: "), "{c}");
                assert!(
                    c.len() <= max.max(marker(s.len()).len()),
                    "{max}: {}",
                    c.len()
                );
            }
        }
        assert_eq!(cut_head("short", 5), "short");
    }

    #[test]
    fn cut_middle_keeps_the_tail() {
        let s = format!("{}\nNext: call list_jobs", "y".repeat(10_000));
        let c = cut_middle(&s, 500);
        assert!(c.len() <= 500, "{}", c.len());
        assert!(c.ends_with("Next: call list_jobs"), "{c}");
        assert!(c.contains("more bytes]"), "{c}");
    }

    #[test]
    fn clip_quoted_cuts_long_values_only() {
        let long = "a".repeat(1000);
        for (q1, q2) in [('"', '"'), ('`', '`'), ('\'', '\'')] {
            let s = format!("model {q1}{long}{q2} not found; call list_models");
            let c = clip_quoted(&s, 200);
            assert!(c.len() < 300, "{c}");
            assert!(c.contains("800 more bytes]"), "{c}");
            assert!(
                c.ends_with(&format!("{q2} not found; call list_models")),
                "{c}"
            );
        }
        let s = "don't touch `short` values, it's \"fine\"";
        assert_eq!(clip_quoted(s, 200), s);
        let esc = format!(
            "invalid type: string \"{}\\\"{}\", expected u64",
            long, long
        );
        let c = clip_quoted(&esc, 200);
        assert!(c.ends_with("\", expected u64"), "{c}");
        assert!(c.len() < 300, "{c}");
        // Unclosed quotes: unchanged, and linear (this would take minutes if quadratic).
        let unclosed = " \"a".repeat(200_000);
        assert_eq!(clip_quoted(&unclosed, 200).len(), unclosed.len());
    }

    #[test]
    fn clip_quoted_is_utf8_safe() {
        let s = format!("name '{}' unknown", "é".repeat(500));
        let c = clip_quoted(&s, 201);
        assert!(c.starts_with("name 'é"), "{c}");
        assert!(c.ends_with("' unknown"), "{c}");
    }

    #[test]
    fn level_is_as_high_as_possible() {
        let lens = [1000, 500, 100];
        let l = level_for(&lens, 600, MIN_KEEP);
        // Cutting to l saves at least 600, cutting to l + 1 does not.
        let saving = |level: usize| -> usize {
            lens.iter()
                .filter(|&&n| n > level + MARKER_MAX)
                .map(|&n| n - level - MARKER_MAX)
                .sum()
        };
        assert!(saving(l) >= 600 && saving(l + 1) < 600, "{l}");
        assert_eq!(level_for(&lens, 10_000, MIN_KEEP), MIN_KEEP);
    }

    /// A small deterministic generator (no extra dependency), for property-style tests.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 33
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
        fn text(&mut self, max_len: usize) -> String {
            const PIECES: [&str; 12] = [
                "a", "é", "日", "🦀", "\"", "`", "'", " ", "\\", "\n", "xyz", "don't",
            ];
            let n = self.below(max_len);
            let mut s = String::new();
            for _ in 0..n {
                s.push_str(PIECES[self.below(PIECES.len())]);
            }
            s
        }
        fn value(&mut self, depth: usize) -> Value {
            // Few children near the root, many at one level (rows), none deep down.
            match self.below(if depth > 4 { 3 } else { 6 }) {
                0 => Value::from(self.next()),
                1 => Value::Null,
                2 => {
                    let len = if self.below(8) == 0 { 20_000 } else { 40 };
                    Value::String(self.text(len))
                }
                3 | 4 => Value::Array(
                    (0..self.below(if depth == 1 { 200 } else { 5 }))
                        .map(|_| self.value(depth + 1))
                        .collect(),
                ),
                _ => Value::Object(
                    (0..self.below(8))
                        .map(|i| {
                            let key = if i == 0 {
                                "truncated".to_owned()
                            } else {
                                format!("k{i}")
                            };
                            let v = if i == 0 {
                                Value::Bool(false)
                            } else {
                                self.value(depth + 1)
                            };
                            (key, v)
                        })
                        .collect(),
                ),
            }
        }
    }

    #[test]
    fn cuts_hold_for_random_text() {
        let mut r = Lcg(7);
        for _ in 0..2000 {
            let s = r.text(600);
            let max = r.below(900);
            let head = cut_head(&s, max);
            assert!(head.len() <= max.max(marker(s.len()).len()) || head == s);
            let mid = cut_middle(&s, max);
            assert!(mid.len() <= max.max(marker(s.len()).len()) || mid == s);
            let q = r.below(50);
            let clipped = clip_quoted(&s, q);
            assert!(clipped.len() <= s.len() + MARKER_MAX * (s.len() / 2 + 1));
            if !s.contains(['"', '`', '\'']) {
                assert_eq!(clipped, s);
            }
        }
    }

    #[test]
    fn budget_holds_for_random_values() {
        let mut r = Lcg(42);
        let (mut unchanged, mut cut) = (0, 0);
        for round in 0..300 {
            let budget = OutputBudget::new(MIN_MAX_OUTPUT_BYTES + r.below(20_000));
            let value = Value::Object(
                [
                    ("data".to_owned(), r.value(0)),
                    ("truncated".to_owned(), Value::Bool(false)),
                ]
                .into_iter()
                .collect(),
            );
            let text = r.text(3000);
            let mut out = ToolOutput::text(text.clone());
            out.structured = Some(value.clone());
            out.is_error = round % 3 == 0;
            let got = budget.apply(out.clone());
            assert!(got.text.len() <= budget.max_bytes(), "{round}");
            let v = got.structured.as_ref().unwrap();
            assert!(json_len(v) <= budget.max_bytes(), "{round}");
            let again: Value = serde_json::from_str(&serde_json::to_string(v).unwrap()).unwrap();
            assert_eq!(&again, v);
            let fits = json_len(&value) <= budget.max_bytes()
                && (text.len() <= budget.max_bytes() && !out.is_error);
            if fits {
                assert_eq!(got, out, "{round}: within budget, unchanged");
                unchanged += 1;
            }
            if json_len(&value) > budget.max_bytes() {
                assert_eq!(v["truncated"], true, "{round}");
                assert!(v["_truncated"].is_object(), "{round}");
                cut += 1;
            }
        }
        // Both sides of the budget were exercised.
        assert!(
            unchanged > 20 && cut > 20,
            "{unchanged} unchanged, {cut} cut"
        );
    }

    #[test]
    fn json_len_matches_serialization() {
        let v = json!({"a": [1, "é\"x", null], "b": {"c": true}});
        assert_eq!(json_len(&v), serde_json::to_string(&v).unwrap().len());
    }
}
