//! An in-memory file tree: what generators produce and what the validator reads.

use std::collections::BTreeMap;
use std::path::Path;

/// Folders skipped by [`FileTree::read_from`].
const SKIPPED_DIRS: &[&str] = &[
    ".git",
    ".databricks",
    ".venv",
    "node_modules",
    "target",
    "__pycache__",
];

/// A set of files keyed by bundle-relative path with `/` separators (`resources/etl.job.yml`).
///
/// Generators build one, [`FileTree::to_text`] shows it, [`FileTree::write_to`] writes it; the
/// validator reads one ([`FileTree::read_from`] loads a folder).
///
/// ```
/// use bundle_gen::FileTree;
/// let tree = FileTree::new()
///     .with_file("databricks.yml", "bundle:\n  name: demo\n")
///     .with_file("src/nb.py", "# Databricks notebook source\n");
/// assert_eq!(tree.text("databricks.yml").map(str::len), Some(21));
/// assert!(tree.to_text().contains("=== src/nb.py ==="));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileTree {
    files: BTreeMap<String, Vec<u8>>,
}

impl FileTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a file; builder form of [`FileTree::insert`].
    pub fn with_file(mut self, path: impl Into<String>, content: impl Into<Vec<u8>>) -> Self {
        self.insert(path, content);
        self
    }

    /// Adds (or replaces) a file. Leading `./` and `/` are removed from `path`.
    pub fn insert(&mut self, path: impl Into<String>, content: impl Into<Vec<u8>>) {
        let path = path.into();
        let path = crate::notebook::normalize_path(path.trim_start_matches('/'));
        self.files.insert(path, content.into());
    }

    /// Removes a file, returning its content.
    pub fn remove(&mut self, path: &str) -> Option<Vec<u8>> {
        self.files.remove(path)
    }

    /// The bytes of a file.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// The text of a file (`None` when missing or not UTF-8).
    pub fn text(&self, path: &str) -> Option<&str> {
        self.get(path).and_then(|b| std::str::from_utf8(b).ok())
    }

    /// True when `path` is a file.
    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// True when some file lives below `dir`.
    pub fn contains_dir(&self, dir: &str) -> bool {
        let dir = dir.trim_end_matches('/');
        if dir.is_empty() || dir == "." {
            return !self.files.is_empty();
        }
        let prefix = format!("{dir}/");
        self.files.keys().any(|k| k.starts_with(&prefix))
    }

    /// All paths, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when there are no files.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Merges another tree into this one (files of `other` win).
    pub fn extend(&mut self, other: Self) {
        self.files.extend(other.files);
    }

    /// All files as one text: `=== path ===` headers followed by the content (binary files are
    /// summarised by size). Deterministic; used for snapshots and previews.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (path, content) in &self.files {
            out.push_str("=== ");
            out.push_str(path);
            out.push_str(" ===\n");
            match std::str::from_utf8(content) {
                Ok(t) => {
                    out.push_str(t);
                    if !t.ends_with('\n') {
                        out.push('\n');
                    }
                }
                Err(_) => out.push_str(&format!("<{} bytes of binary data>\n", content.len())),
            }
        }
        out
    }

    /// Writes every file below `dir` (created when missing), replacing existing files, through
    /// a [`ConfinedRoot`](crate::ConfinedRoot): a path that would leave `dir` (`..`, absolute)
    /// or pass through a symbolic link is refused before anything is written.
    pub fn write_to(&self, dir: impl AsRef<Path>) -> std::io::Result<()> {
        crate::ConfinedRoot::create(dir)?.write_tree(self, true)?;
        Ok(())
    }

    /// Loads every file below `dir` (skipping `.git`, `.databricks`, `.venv`, `node_modules`,
    /// `target` and `__pycache__`).
    pub fn read_from(dir: impl AsRef<Path>) -> std::io::Result<Self> {
        let mut tree = Self::new();
        let root = dir.as_ref();
        let mut pending = vec![root.to_path_buf()];
        while let Some(d) = pending.pop() {
            for entry in std::fs::read_dir(&d)? {
                let entry = entry?;
                let p = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                let ft = entry.file_type()?;
                if ft.is_dir() {
                    if !SKIPPED_DIRS.contains(&name.as_str()) {
                        pending.push(p);
                    }
                } else if ft.is_file() {
                    let rel = p
                        .strip_prefix(root)
                        .unwrap_or(&p)
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/");
                    tree.insert(rel, std::fs::read(&p)?);
                }
            }
        }
        Ok(tree)
    }
}

/// Matches a glob (`*`, `?`, `**`, `[...]`) against a `/`-separated path.
pub(crate) fn glob_match(pattern: &str, path: &str) -> bool {
    let pattern = pattern.trim_start_matches("./");
    let mut re = String::from("^");
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '*' if chars.get(i + 1) == Some(&'*') => {
                if chars.get(i + 2) == Some(&'/') {
                    re.push_str("(?:.*/)?");
                    i += 2;
                } else {
                    re.push_str(".*");
                    i += 1;
                }
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '[' => re.push('['),
            ']' => re.push(']'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    re.push('$');
    regex::Regex::new(&re).is_ok_and(|r| r.is_match(path))
}

/// True when `s` contains glob metacharacters.
pub(crate) fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("resources/*.yml", "resources/a.job.yml"));
        assert!(!glob_match("resources/*.yml", "resources/x/a.yml"));
        assert!(glob_match("resources/**/*.yml", "resources/x/a.yml"));
        assert!(glob_match("resources/**/*.yml", "resources/a.yml"));
        assert!(glob_match("./a?.yml", "ab.yml"));
    }

    #[test]
    fn round_trips_through_disk() {
        let dir = tempfile::tempdir().unwrap();
        let tree = FileTree::new()
            .with_file("a/b.txt", "x")
            .with_file("./c.bin", vec![0u8, 159, 146, 150]);
        tree.write_to(dir.path()).unwrap();
        assert_eq!(FileTree::read_from(dir.path()).unwrap(), tree);
        assert!(tree.contains_dir("a") && !tree.contains_dir("b"));
        assert!(tree.to_text().contains("<4 bytes of binary data>"));
    }
}
