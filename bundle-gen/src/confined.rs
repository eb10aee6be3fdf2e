//! The one place where this crate (and the tools built on it) writes local files: a root
//! directory that relative paths cannot leave.
//!
//! Every path is checked component by component ([`check_relative`]): empty paths, absolute
//! paths, `..`, empty components (`a//b`), back-slashes and NUL bytes are refused before the
//! file system is touched. The path is then walked from the root one directory at a time
//! without following symbolic links: on Unix each directory is opened relative to its parent
//! with `O_NOFOLLOW | O_DIRECTORY` and the file is created relative to its directory with
//! `O_NOFOLLOW` (so a symlink swapped in between a check and the write cannot redirect it);
//! an existing symbolic link anywhere on the path is an error, never followed. A file with
//! more than one hard link is not overwritten either (its other name may lie outside the root).

use std::fmt;
use std::path::{Path, PathBuf};

use crate::files::FileTree;

/// Why a path was refused or a confined read/write failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// The path is empty (or names the root itself).
    #[error("the path is empty; pass a path relative to the root, e.g. `my_bundle`")]
    Empty,
    /// The path is absolute.
    #[error("`{0}` is absolute; pass a path relative to the root without a leading `/`")]
    Absolute(String),
    /// The path has a `..` component.
    #[error("`{0}` leaves the root through `..`; pass a path inside the root")]
    ParentDir(String),
    /// The path has an empty component, a back-slash or a NUL byte.
    #[error(
        "`{0}` is not a plain relative path (empty component, back-slash or NUL byte); use `/`-separated names"
    )]
    Malformed(String),
    /// A component of the path is a symbolic link.
    #[error(
        "`{0}` is or passes through a symbolic link, which is never followed; remove the link or use a path inside the root"
    )]
    Symlink(String),
    /// A component that must be a directory is something else.
    #[error("`{0}` is not a directory; choose another path")]
    NotADirectory(String),
    /// The file exists and overwriting was not allowed.
    #[error("`{0}` already exists; allow overwriting to replace it")]
    Exists(String),
    /// The file has other hard links, one of which may lie outside the root.
    #[error("`{0}` has several hard links and is not overwritten; remove it first")]
    HardLinked(String),
    /// The root itself is unusable.
    #[error("the root {path} is not usable ({source}); create it or point the server at another")]
    Root {
        /// The root.
        path: String,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// Another I/O failure.
    #[error("{path}: {source}")]
    Io {
        /// The relative path involved.
        path: String,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
}

impl PathError {
    /// True when the path itself was refused (as opposed to an I/O failure).
    pub fn is_refused(&self) -> bool {
        !matches!(self, Self::Io { .. } | Self::Root { .. })
    }
}

impl From<PathError> for std::io::Error {
    fn from(e: PathError) -> Self {
        use std::io::ErrorKind;
        let kind = match &e {
            PathError::Io { source, .. } | PathError::Root { source, .. } => source.kind(),
            PathError::Exists(_) => ErrorKind::AlreadyExists,
            PathError::Symlink(_) | PathError::HardLinked(_) => ErrorKind::PermissionDenied,
            _ => ErrorKind::InvalidInput,
        };
        Self::new(kind, e)
    }
}

/// Checks a `/`-separated relative path and returns its components (`.` components dropped,
/// one trailing `/` allowed).
///
/// ```
/// use bundle_gen::check_relative;
/// assert_eq!(check_relative("./a/b.yml").unwrap(), vec!["a", "b.yml"]);
/// assert!(check_relative("../x").is_err());
/// assert!(check_relative("/etc/passwd").is_err());
/// assert!(check_relative("a//b").is_err());
/// ```
pub fn check_relative(rel: &str) -> Result<Vec<&str>, PathError> {
    if rel.is_empty() {
        return Err(PathError::Empty);
    }
    if rel.contains('\0') || rel.contains('\\') {
        return Err(PathError::Malformed(rel.to_owned()));
    }
    if rel.starts_with('/') || Path::new(rel).is_absolute() || has_drive_prefix(rel) {
        return Err(PathError::Absolute(rel.to_owned()));
    }
    let body = rel.strip_suffix('/').unwrap_or(rel);
    let mut out = Vec::new();
    for part in body.split('/') {
        match part {
            "" => return Err(PathError::Malformed(rel.to_owned())),
            "." => {}
            ".." => return Err(PathError::ParentDir(rel.to_owned())),
            p => out.push(p),
        }
    }
    if out.is_empty() {
        return Err(PathError::Empty);
    }
    Ok(out)
}

/// `C:` style prefixes (refused on every platform so a path means the same everywhere).
fn has_drive_prefix(rel: &str) -> bool {
    let b = rel.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// A directory that relative paths cannot leave; all local writes of this crate go through it.
///
/// The root itself is chosen by the operator and may be reached through symbolic links; below
/// it, nothing is followed. Cheap to clone.
///
/// ```
/// use bundle_gen::ConfinedRoot;
/// let dir = tempfile::tempdir().unwrap();
/// let root = ConfinedRoot::open(dir.path()).unwrap();
/// root.write("a/b.txt", b"hi", false).unwrap();
/// assert_eq!(root.read("a/b.txt").unwrap(), Some(b"hi".to_vec()));
/// assert!(root.write("a/b.txt", b"again", false).is_err()); // no overwrite
/// assert!(root.write("../escape.txt", b"x", true).is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ConfinedRoot {
    root: PathBuf,
}

impl fmt::Debug for ConfinedRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ConfinedRoot").field(&self.root).finish()
    }
}

impl ConfinedRoot {
    /// Opens an existing directory as a root (resolved to its canonical path).
    pub fn open(root: impl AsRef<Path>) -> Result<Self, PathError> {
        let root = root.as_ref();
        let root_err = |source| PathError::Root {
            path: root.display().to_string(),
            source,
        };
        let real = root.canonicalize().map_err(root_err)?;
        if !real.is_dir() {
            return Err(root_err(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                "not a directory",
            )));
        }
        Ok(Self { root: real })
    }

    /// Creates the directory (and its parents) when missing, then opens it as a root. Use this
    /// only for a directory the operator or the caller chose, not for a path from a request.
    pub fn create(root: impl AsRef<Path>) -> Result<Self, PathError> {
        let root = root.as_ref();
        std::fs::create_dir_all(root).map_err(|source| PathError::Root {
            path: root.display().to_string(),
            source,
        })?;
        Self::open(root)
    }

    /// The canonical root directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The absolute path of `rel` after checking it and refusing symbolic links on every
    /// existing component (missing components are allowed). For handing a confined path to
    /// another program (the bundle CLI); prefer [`ConfinedRoot::read`] / [`ConfinedRoot::write`].
    pub fn resolve(&self, rel: &str) -> Result<PathBuf, PathError> {
        let parts = check_relative(rel)?;
        let mut p = self.root.clone();
        for (i, part) in parts.iter().enumerate() {
            p.push(part);
            match std::fs::symlink_metadata(&p) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(PathError::Symlink(parts[..=i].join("/")));
                }
                Ok(m) if !m.is_dir() && i + 1 < parts.len() => {
                    return Err(PathError::NotADirectory(parts[..=i].join("/")));
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    p.extend(&parts[i + 1..]);
                    break;
                }
                Err(source) => {
                    return Err(PathError::Io {
                        path: parts[..=i].join("/"),
                        source,
                    });
                }
            }
        }
        Ok(p)
    }

    /// A sub-directory as a root of its own, created (without following links) when missing.
    pub fn create_subdir(&self, rel: &str) -> Result<Self, PathError> {
        let parts = check_relative(rel)?;
        imp::mkdirs(&self.root, &parts)?;
        let full = self.resolve(rel)?;
        Ok(Self { root: full })
    }

    /// True when `rel` is an existing directory with at least one entry (symlinks refused).
    pub fn has_entries(&self, rel: &str) -> Result<bool, PathError> {
        let p = self.resolve(rel)?;
        match std::fs::read_dir(&p) {
            Ok(mut d) => Ok(d.next().is_some()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(PathError::Io {
                path: rel.to_owned(),
                source,
            }),
        }
    }

    /// Reads a file; `None` when it does not exist. Symbolic links are refused.
    pub fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, PathError> {
        let parts = check_relative(rel)?;
        imp::read(&self.root, &parts)
    }

    /// Writes a file, creating missing directories. With `overwrite` false an existing file is
    /// an error ([`PathError::Exists`]); a symbolic link anywhere on the path always is.
    pub fn write(&self, rel: &str, contents: &[u8], overwrite: bool) -> Result<(), PathError> {
        let parts = check_relative(rel)?;
        imp::write(&self.root, &parts, contents, overwrite)
    }

    /// Writes every file of a tree below the root (all paths are checked before any is
    /// written).
    pub fn write_tree(&self, tree: &FileTree, overwrite: bool) -> Result<(), PathError> {
        for p in tree.paths() {
            check_relative(p)?;
        }
        for p in tree.paths() {
            self.write(p, tree.get(p).unwrap_or_default(), overwrite)?;
        }
        Ok(())
    }
}

fn io_at(parts: &[&str], upto: usize, source: std::io::Error) -> PathError {
    PathError::Io {
        path: parts[..=upto.min(parts.len().saturating_sub(1))].join("/"),
        source,
    }
}

#[cfg(unix)]
mod imp {
    //! Race-free walk with `openat`: each directory is opened relative to its parent.
    use std::fs::File;
    use std::io::{Read, Write};
    use std::os::fd::OwnedFd;
    use std::path::Path;

    use rustix::fs::{Mode, OFlags};
    use rustix::io::Errno;

    use super::{PathError, io_at};

    const DIR_FLAGS: OFlags = OFlags::RDONLY
        .union(OFlags::DIRECTORY)
        .union(OFlags::NOFOLLOW)
        .union(OFlags::CLOEXEC);

    fn open_root(root: &Path) -> Result<OwnedFd, PathError> {
        rustix::fs::open(root, DIR_FLAGS, Mode::empty()).map_err(|e| PathError::Root {
            path: root.display().to_string(),
            source: e.into(),
        })
    }

    /// Why opening `parts[..=i]` failed, as a refusal when a link or a file is in the way.
    fn classify(dir: &OwnedFd, parts: &[&str], i: usize, e: Errno) -> PathError {
        let shown = parts[..=i].join("/");
        if let Ok(st) = rustix::fs::statat(dir, parts[i], rustix::fs::AtFlags::SYMLINK_NOFOLLOW) {
            let ft = rustix::fs::FileType::from_raw_mode(st.st_mode);
            if ft == rustix::fs::FileType::Symlink {
                return PathError::Symlink(shown);
            }
            if e == Errno::NOTDIR {
                return PathError::NotADirectory(shown);
            }
        }
        io_at(parts, i, e.into())
    }

    /// Opens (creating when `create`) each directory of `dirs` below `root`.
    fn walk(root: &Path, dirs: &[&str], create: bool) -> Result<Option<OwnedFd>, PathError> {
        let mut fd = open_root(root)?;
        for (i, name) in dirs.iter().enumerate() {
            let next = match rustix::fs::openat(&fd, *name, DIR_FLAGS, Mode::empty()) {
                Ok(f) => f,
                Err(Errno::NOENT) if create => {
                    match rustix::fs::mkdirat(&fd, *name, Mode::from_raw_mode(0o755)) {
                        Ok(()) | Err(Errno::EXIST) => {}
                        Err(e) => return Err(io_at(dirs, i, e.into())),
                    }
                    rustix::fs::openat(&fd, *name, DIR_FLAGS, Mode::empty())
                        .map_err(|e| classify(&fd, dirs, i, e))?
                }
                Err(Errno::NOENT) => return Ok(None),
                Err(e) => return Err(classify(&fd, dirs, i, e)),
            };
            fd = next;
        }
        Ok(Some(fd))
    }

    pub(super) fn mkdirs(root: &Path, parts: &[&str]) -> Result<(), PathError> {
        walk(root, parts, true).map(|_| ())
    }

    pub(super) fn read(root: &Path, parts: &[&str]) -> Result<Option<Vec<u8>>, PathError> {
        let (name, dirs) = parts.split_last().ok_or(PathError::Empty)?;
        let Some(dir) = walk(root, dirs, false)? else {
            return Ok(None);
        };
        let last = parts.len() - 1;
        let fd = match rustix::fs::openat(
            &dir,
            *name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(classify(&dir, parts, last, e)),
        };
        let mut buf = Vec::new();
        File::from(fd)
            .read_to_end(&mut buf)
            .map_err(|e| io_at(parts, last, e))?;
        Ok(Some(buf))
    }

    pub(super) fn write(
        root: &Path,
        parts: &[&str],
        contents: &[u8],
        overwrite: bool,
    ) -> Result<(), PathError> {
        let (name, dirs) = parts.split_last().ok_or(PathError::Empty)?;
        let dir = walk(root, dirs, true)?.ok_or(PathError::Empty)?;
        let last = parts.len() - 1;
        let shown = || parts.join("/");
        let mut flags = OFlags::WRONLY | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        if !overwrite {
            flags |= OFlags::EXCL;
        }
        let fd = match rustix::fs::openat(&dir, *name, flags, Mode::from_raw_mode(0o644)) {
            Ok(fd) => fd,
            Err(Errno::EXIST) if !overwrite => {
                // O_EXCL also fails on a dangling link: report the link, not "exists".
                return Err(match classify(&dir, parts, last, Errno::EXIST) {
                    e @ PathError::Symlink(_) => e,
                    _ => PathError::Exists(shown()),
                });
            }
            Err(e) => return Err(classify(&dir, parts, last, e)),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| io_at(parts, last, e.into()))?;
        if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::RegularFile {
            return Err(PathError::NotADirectory(shown()));
        }
        if st.st_nlink > 1 {
            return Err(PathError::HardLinked(shown()));
        }
        let mut file = File::from(fd);
        file.set_len(0).map_err(|e| io_at(parts, last, e))?;
        file.write_all(contents)
            .map_err(|e| io_at(parts, last, e))?;
        Ok(())
    }
}

#[cfg(not(unix))]
mod imp {
    //! Check-then-act fallback: every existing component is inspected without following links.
    use std::path::{Path, PathBuf};

    use super::{PathError, io_at};

    fn walk(root: &Path, dirs: &[&str], create: bool) -> Result<Option<PathBuf>, PathError> {
        let mut p = root.to_path_buf();
        for (i, name) in dirs.iter().enumerate() {
            p.push(name);
            match std::fs::symlink_metadata(&p) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(PathError::Symlink(dirs[..=i].join("/")));
                }
                Ok(m) if !m.is_dir() => {
                    return Err(PathError::NotADirectory(dirs[..=i].join("/")));
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                    std::fs::create_dir(&p).map_err(|e| io_at(dirs, i, e))?;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(io_at(dirs, i, e)),
            }
        }
        Ok(Some(p))
    }

    pub(super) fn mkdirs(root: &Path, parts: &[&str]) -> Result<(), PathError> {
        walk(root, parts, true).map(|_| ())
    }

    pub(super) fn read(root: &Path, parts: &[&str]) -> Result<Option<Vec<u8>>, PathError> {
        let (name, dirs) = parts.split_last().ok_or(PathError::Empty)?;
        let Some(dir) = walk(root, dirs, false)? else {
            return Ok(None);
        };
        let p = dir.join(name);
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => Err(PathError::Symlink(parts.join("/"))),
            Ok(_) => std::fs::read(&p)
                .map(Some)
                .map_err(|e| io_at(parts, parts.len() - 1, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_at(parts, parts.len() - 1, e)),
        }
    }

    pub(super) fn write(
        root: &Path,
        parts: &[&str],
        contents: &[u8],
        overwrite: bool,
    ) -> Result<(), PathError> {
        let (name, dirs) = parts.split_last().ok_or(PathError::Empty)?;
        let dir = walk(root, dirs, true)?.ok_or(PathError::Empty)?;
        let p = dir.join(name);
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(PathError::Symlink(parts.join("/")));
            }
            Ok(_) if !overwrite => return Err(PathError::Exists(parts.join("/"))),
            _ => {}
        }
        let mut o = std::fs::OpenOptions::new();
        o.write(true).truncate(true);
        if overwrite {
            o.create(true);
        } else {
            o.create_new(true);
        }
        let mut f = o.open(&p).map_err(|e| io_at(parts, parts.len() - 1, e))?;
        std::io::Write::write_all(&mut f, contents).map_err(|e| io_at(parts, parts.len() - 1, e))
    }
}
