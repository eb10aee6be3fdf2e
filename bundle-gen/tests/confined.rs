//! Path confinement of every local write: many path variants, symlinked files and directories,
//! overwrite on and off.

use std::os::unix::fs::symlink;
use std::path::Path;

use bundle_gen::{ConfinedRoot, FileTree, PathError, check_relative};
use proptest::prelude::*;

/// Everything below `dir`, as relative paths (links listed, not followed).
fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            out.push(p.strip_prefix(dir).unwrap().display().to_string());
            if e.file_type().unwrap().is_dir() {
                pending.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A sandbox: `root/` (the confined root) beside `outside/` (holding `secret.txt`).
struct Sandbox {
    _tmp: tempfile::TempDir,
    root: std::path::PathBuf,
    outside: std::path::PathBuf,
}

fn sandbox() -> Sandbox {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), "original").unwrap();
    Sandbox {
        _tmp: tmp,
        root,
        outside,
    }
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z0-9_]{1,6}(\\.[a-z]{1,3})?",
        1 => Just("..".to_string()),
        1 => Just(".".to_string()),
        1 => Just(String::new()),
        1 => Just("a\0b".to_string()),
        1 => Just("..\\..".to_string()),
        1 => Just("...".to_string()),
    ]
}

fn path_variant() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just(""), Just("/"), Just("./"), Just("C:"), Just("../")],
        prop::collection::vec(segment(), 1..5),
        prop_oneof![Just(""), Just("/")],
    )
        .prop_map(|(pre, segs, post)| format!("{pre}{}{post}", segs.join("/")))
}

/// What the checker must decide, restated independently.
fn expected_ok(p: &str) -> bool {
    if p.is_empty() || p.starts_with('/') || p.starts_with("C:") || p.contains(['\0', '\\']) {
        return false;
    }
    let body = p.strip_suffix('/').unwrap_or(p);
    let parts: Vec<&str> = body.split('/').collect();
    !parts.iter().any(|s| s.is_empty() || *s == "..") && parts.iter().any(|s| *s != ".")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the path, a write either lands strictly inside the root or is refused, and
    /// nothing outside the root changes.
    #[test]
    fn writes_never_leave_the_root(p in path_variant(), overwrite in any::<bool>()) {
        let sb = sandbox();
        let root = ConfinedRoot::open(&sb.root).unwrap();
        let r = root.write(&p, b"pwned", overwrite);
        prop_assert_eq!(r.is_ok(), expected_ok(&p), "{:?} -> {:?}", p, r);
        prop_assert_eq!(check_relative(&p).is_ok(), expected_ok(&p));
        prop_assert_eq!(listing(&sb.outside), vec!["secret.txt".to_string()]);
        prop_assert_eq!(std::fs::read_to_string(sb.outside.join("secret.txt")).unwrap(), "original");
        if r.is_ok() {
            let parts = check_relative(&p).unwrap();
            let written = sb.root.join(parts.join("/"));
            prop_assert_eq!(std::fs::read(written).unwrap(), b"pwned".to_vec());
        }
    }

    /// A FileTree (bundle-gen's own output type) written to disk stays inside its directory,
    /// whatever keys it was given.
    #[test]
    fn file_trees_stay_inside(paths in prop::collection::vec(path_variant(), 1..4)) {
        let sb = sandbox();
        let mut tree = FileTree::new();
        for p in &paths {
            tree.insert(p.clone(), "x");
        }
        let _ = tree.write_to(&sb.root);
        prop_assert_eq!(listing(&sb.outside), vec!["secret.txt".to_string()]);
        prop_assert!(!sb.root.parent().unwrap().join("pwned").exists());
    }

    /// Links to a file or a directory outside, at any depth, are refused and never followed,
    /// with and without overwrite.
    #[test]
    fn symlinks_are_never_followed(
        depth in 0usize..3,
        link_dir in any::<bool>(),
        dangling in any::<bool>(),
        overwrite in any::<bool>(),
        below in 0usize..2,
    ) {
        let sb = sandbox();
        let mut dir = sb.root.clone();
        let mut rel = Vec::new();
        for i in 0..depth {
            let name = format!("d{i}");
            dir.push(&name);
            rel.push(name);
        }
        std::fs::create_dir_all(&dir).unwrap();
        let target = if dangling {
            sb.outside.join("missing")
        } else if link_dir {
            sb.outside.clone()
        } else {
            sb.outside.join("secret.txt")
        };
        symlink(&target, dir.join("link")).unwrap();
        rel.push("link".into());
        if link_dir || below == 1 {
            rel.push("secret.txt".into());
        }
        let rel = rel.join("/");
        let root = ConfinedRoot::open(&sb.root).unwrap();
        let r = root.write(&rel, b"pwned", overwrite);
        prop_assert!(matches!(r, Err(PathError::Symlink(_)) | Err(PathError::NotADirectory(_))), "{rel}: {r:?}");
        prop_assert!(r.as_ref().is_err_and(|e| e.is_refused()));
        prop_assert!(root.read(&rel).is_err());
        prop_assert!(root.resolve(&rel).is_err());
        prop_assert_eq!(std::fs::read_to_string(sb.outside.join("secret.txt")).unwrap(), "original");
        prop_assert_eq!(listing(&sb.outside), vec!["secret.txt".to_string()]);
    }
}

#[test]
fn overwrite_false_keeps_existing_files() {
    let sb = sandbox();
    let root = ConfinedRoot::open(&sb.root).unwrap();
    root.write("a/b.txt", b"one", false).unwrap();
    let e = root.write("a/b.txt", b"two", false).unwrap_err();
    assert!(
        matches!(e, PathError::Exists(ref p) if p == "a/b.txt"),
        "{e}"
    );
    assert!(e.to_string().contains("allow overwriting"));
    assert_eq!(root.read("a/b.txt").unwrap().unwrap(), b"one");
    root.write("a/b.txt", b"2", true).unwrap();
    assert_eq!(root.read("a/b.txt").unwrap().unwrap(), b"2");
    assert_eq!(root.read("a/missing").unwrap(), None);
    assert_eq!(root.read("nope/missing").unwrap(), None);
}

#[test]
fn hard_links_are_not_overwritten() {
    let sb = sandbox();
    std::fs::hard_link(sb.outside.join("secret.txt"), sb.root.join("h.txt")).unwrap();
    let root = ConfinedRoot::open(&sb.root).unwrap();
    let e = root.write("h.txt", b"pwned", true).unwrap_err();
    assert!(matches!(e, PathError::HardLinked(_)), "{e}");
    assert_eq!(
        std::fs::read_to_string(sb.outside.join("secret.txt")).unwrap(),
        "original"
    );
}

#[test]
fn a_file_in_the_way_of_a_directory_is_reported() {
    let sb = sandbox();
    let root = ConfinedRoot::open(&sb.root).unwrap();
    root.write("f", b"x", false).unwrap();
    let e = root.write("f/g.txt", b"x", true).unwrap_err();
    assert!(
        matches!(e, PathError::NotADirectory(ref p) if p == "f"),
        "{e}"
    );
}

#[test]
fn subdirectories_are_confined_roots_too() {
    let sb = sandbox();
    symlink(&sb.outside, sb.root.join("out")).unwrap();
    let root = ConfinedRoot::open(&sb.root).unwrap();
    assert!(matches!(
        root.create_subdir("out"),
        Err(PathError::Symlink(_))
    ));
    assert!(matches!(
        root.create_subdir("out/x"),
        Err(PathError::Symlink(_))
    ));
    let sub = root.create_subdir("b/c").unwrap();
    sub.write("x.txt", b"1", false).unwrap();
    assert_eq!(root.read("b/c/x.txt").unwrap().unwrap(), b"1");
    assert!(root.has_entries("b").unwrap());
    assert!(!root.has_entries("zz").unwrap());
    assert!(ConfinedRoot::open(sb.root.join("missing")).is_err());
}
