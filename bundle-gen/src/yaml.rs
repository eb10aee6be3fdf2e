//! A small YAML document tree with line/column positions, built from the `granit-parser`
//! event stream (the pure-Rust parser under serde-saphyr). Used by the validator, which needs
//! positions for every key and value.

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Span};

/// Position of a node in its file (1-based line and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    pub(crate) line: usize,
    pub(crate) col: usize,
}

impl Pos {
    fn of(span: &Span) -> Self {
        Self {
            line: span.start.line(),
            col: span.start.col() + 1,
        }
    }
}

/// A YAML value with positions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum YamlValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A string; `plain` is true for unquoted scalars.
    Str {
        value: String,
        plain: bool,
    },
    Seq(Vec<YamlNode>),
    /// Key/value pairs in document order.
    Map(Vec<(YamlKey, YamlNode)>),
}

/// A mapping key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct YamlKey {
    pub(crate) name: String,
    pub(crate) pos: Pos,
}

/// A value and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct YamlNode {
    pub(crate) value: YamlValue,
    pub(crate) pos: Pos,
}

/// A YAML syntax (or structure) error with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlError {
    pub(crate) message: String,
    pub(crate) pos: Pos,
}

const MAX_DEPTH: usize = 200;
const MAX_NODES: usize = 2_000_000;

impl YamlNode {
    /// Looks up a mapping key.
    pub(crate) fn get(&self, key: &str) -> Option<&Self> {
        match &self.value {
            YamlValue::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The key entry of a mapping (for the key's position).
    pub(crate) fn entry(&self, key: &str) -> Option<(&YamlKey, &Self)> {
        match &self.value {
            YamlValue::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.name == key)
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    pub(crate) fn entries(&self) -> &[(YamlKey, Self)] {
        match &self.value {
            YamlValue::Map(entries) => entries,
            _ => &[],
        }
    }

    pub(crate) fn items(&self) -> &[Self] {
        match &self.value {
            YamlValue::Seq(items) => items,
            _ => &[],
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.value {
            YamlValue::Str { value, .. } => Some(value),
            _ => None,
        }
    }

    pub(crate) fn is_map(&self) -> bool {
        matches!(self.value, YamlValue::Map(_))
    }
}

/// Resolves a plain scalar the way go-yaml v3 does (YAML 1.2 core schema plus `_` in numbers;
/// timestamps stay strings).
fn resolve_plain(s: &str) -> YamlValue {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return YamlValue::Null,
        "true" | "True" | "TRUE" => return YamlValue::Bool(true),
        "false" | "False" | "FALSE" => return YamlValue::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" => return YamlValue::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return YamlValue::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return YamlValue::Float(f64::NAN),
        _ => {}
    }
    let cleaned = s.replace('_', "");
    let first_ok = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '-' || c == '+' || c == '.');
    if first_ok {
        let (neg, body) = match cleaned.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, cleaned.strip_prefix('+').unwrap_or(&cleaned)),
        };
        let parsed = if let Some(h) = body.strip_prefix("0x") {
            i64::from_str_radix(h, 16).ok()
        } else if let Some(o) = body.strip_prefix("0o") {
            i64::from_str_radix(o, 8).ok()
        } else if let Some(b) = body.strip_prefix("0b") {
            i64::from_str_radix(b, 2).ok()
        } else if !body.is_empty() && body.chars().all(|c| c.is_ascii_digit()) {
            body.parse::<i64>().ok()
        } else {
            None
        };
        if let Some(v) = parsed {
            return YamlValue::Int(if neg { -v } else { v });
        }
        let float_like = cleaned
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
            && cleaned.chars().any(|c| c.is_ascii_digit());
        if float_like && let Ok(f) = cleaned.parse::<f64>() {
            return YamlValue::Float(f);
        }
    }
    YamlValue::Str {
        value: s.to_string(),
        plain: true,
    }
}

enum Frame {
    Seq(Pos, Vec<YamlNode>, usize),
    Map(Pos, Vec<(YamlKey, YamlNode)>, Option<YamlKey>, usize),
}

/// Parses the first document of `text`. An empty document is `Null`.
pub(crate) fn parse(text: &str) -> Result<YamlNode, YamlError> {
    let parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: std::collections::HashMap<usize, YamlNode> = std::collections::HashMap::new();
    let mut root: Option<YamlNode> = None;
    let mut nodes = 0usize;
    let mut last_pos = Pos { line: 1, col: 1 };
    for ev in parser {
        let (event, span) = ev.map_err(|e| YamlError {
            message: e.info(),
            pos: Pos {
                line: e.marker().line(),
                col: e.marker().col() + 1,
            },
        })?;
        let pos = Pos::of(&span);
        last_pos = pos;
        let completed: Option<(YamlNode, usize)> = match event {
            Event::StreamStart | Event::DocumentStart(..) => None,
            Event::StreamEnd => break,
            Event::DocumentEnd => {
                if root.is_some() {
                    break;
                }
                None
            }
            Event::Scalar(value, style, anchor, tag) => {
                let tag_str = tag.as_ref().map(|t| t.to_string()).unwrap_or_default();
                let v = if style == ScalarStyle::Plain && !tag_str.ends_with("str") {
                    resolve_plain(&value)
                } else {
                    YamlValue::Str {
                        value: value.into_owned(),
                        plain: false,
                    }
                };
                Some((YamlNode { value: v, pos }, anchor))
            }
            Event::SequenceStart(_, anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(YamlError {
                        message: format!("document is nested deeper than {MAX_DEPTH} levels"),
                        pos,
                    });
                }
                stack.push(Frame::Seq(pos, Vec::new(), anchor));
                None
            }
            Event::MappingStart(_, anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(YamlError {
                        message: format!("document is nested deeper than {MAX_DEPTH} levels"),
                        pos,
                    });
                }
                stack.push(Frame::Map(pos, Vec::new(), None, anchor));
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(p, items, anchor)) => Some((
                    YamlNode {
                        value: YamlValue::Seq(items),
                        pos: p,
                    },
                    anchor,
                )),
                _ => None,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(p, entries, _, anchor)) => Some((
                    YamlNode {
                        value: YamlValue::Map(entries),
                        pos: p,
                    },
                    anchor,
                )),
                _ => None,
            },
            Event::Alias(id) => match anchors.get(&id) {
                Some(n) => {
                    nodes = nodes.saturating_add(count(n));
                    if nodes > MAX_NODES {
                        return Err(YamlError {
                            message: "aliases expand to too many nodes".to_string(),
                            pos,
                        });
                    }
                    let mut n = n.clone();
                    n.pos = pos;
                    Some((n, 0))
                }
                None => {
                    return Err(YamlError {
                        message: "unknown anchor referenced by alias".to_string(),
                        pos,
                    });
                }
            },
            _ => None,
        };
        let Some((node, anchor)) = completed else {
            continue;
        };
        nodes += 1;
        if anchor != 0 {
            anchors.insert(anchor, node.clone());
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq(_, items, _)) => items.push(node),
            Some(Frame::Map(_, entries, pending, _)) => match pending.take() {
                None => {
                    let name = match &node.value {
                        YamlValue::Str { value, .. } => value.clone(),
                        YamlValue::Null => "null".to_string(),
                        YamlValue::Bool(b) => b.to_string(),
                        YamlValue::Int(i) => i.to_string(),
                        YamlValue::Float(f) => f.to_string(),
                        _ => {
                            return Err(YamlError {
                                message: "complex mapping keys are not supported".to_string(),
                                pos: node.pos,
                            });
                        }
                    };
                    if name != "<<" && entries.iter().any(|(k, _)| k.name == name) {
                        return Err(YamlError {
                            message: format!("mapping key `{name}` already defined"),
                            pos: node.pos,
                        });
                    }
                    *pending = Some(YamlKey {
                        name,
                        pos: node.pos,
                    });
                }
                Some(key) if key.name == "<<" => {
                    let sources: Vec<YamlNode> = match node.value {
                        YamlValue::Map(_) => vec![node],
                        YamlValue::Seq(items) => items,
                        _ => Vec::new(),
                    };
                    for src in sources {
                        if let YamlValue::Map(src_entries) = src.value {
                            for (k, v) in src_entries {
                                if !entries.iter().any(|(e, _)| e.name == k.name) {
                                    entries.push((k, v));
                                }
                            }
                        }
                    }
                }
                Some(key) => entries.push((key, node)),
            },
        }
    }
    if !stack.is_empty() {
        return Err(YamlError {
            message: "unexpected end of document".to_string(),
            pos: last_pos,
        });
    }
    Ok(root.unwrap_or(YamlNode {
        value: YamlValue::Null,
        pos: Pos { line: 1, col: 1 },
    }))
}

fn count(n: &YamlNode) -> usize {
    match &n.value {
        YamlValue::Seq(items) => 1 + items.iter().map(count).sum::<usize>(),
        YamlValue::Map(entries) => 1 + entries.iter().map(|(_, v)| count(v)).sum::<usize>(),
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_scalars() {
        let doc = parse("a:\n  b: 1_000\n  c: \"yes\"\n  d: [x, 2024-01-01, 0x1F]\nbase: &b {k: v}\nm:\n  <<: *b\n  z: 1\n").unwrap();
        let a = doc.get("a").unwrap();
        assert_eq!(a.get("b").unwrap().value, YamlValue::Int(1000));
        assert_eq!(a.get("b").unwrap().pos, Pos { line: 2, col: 6 });
        assert_eq!(a.get("c").unwrap().as_str(), Some("yes"));
        let d = a.get("d").unwrap().items();
        assert_eq!(d[1].as_str(), Some("2024-01-01"));
        assert_eq!(d[2].value, YamlValue::Int(31));
        let m = doc.get("m").unwrap();
        assert_eq!(m.get("k").unwrap().as_str(), Some("v"));
        assert_eq!(m.entry("z").unwrap().0.pos.line, 8);
    }

    #[test]
    fn errors_have_positions() {
        let e = parse("a:\n  b: [1, 2\n").unwrap_err();
        assert!(e.pos.line >= 2, "{e:?}");
        let e = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(e.pos.line, 2);
    }
}

#[cfg(test)]
mod pos_tests {
    use super::*;

    #[test]
    fn key_positions_before_block_values() {
        let doc = parse("a: 1\nrun_as:\n  user_name: x\n  sp: y\n").unwrap();
        let (k, v) = doc.entry("run_as").unwrap();
        assert_eq!((k.pos.line, v.pos.line), (2, 3));
    }
}
