//! Running `databricks bundle validate|deploy|run|destroy` through the Databricks CLI.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::error::{Error, Result};

/// A `databricks bundle` sub-command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleCommand {
    /// `bundle validate`.
    Validate,
    /// `bundle deploy` (with `--auto-approve`).
    Deploy,
    /// `bundle run <key>`.
    Run {
        /// Resource key of the job or pipeline.
        key: String,
    },
    /// `bundle destroy --auto-approve`.
    Destroy,
}

impl BundleCommand {
    fn args(&self) -> Vec<String> {
        let mut a = vec!["bundle".to_string()];
        match self {
            Self::Validate => a.push("validate".into()),
            Self::Deploy => a.extend(["deploy".into(), "--auto-approve".into()]),
            Self::Run { key } => a.extend(["run".into(), key.clone()]),
            Self::Destroy => a.extend(["destroy".into(), "--auto-approve".into()]),
        }
        a
    }
}

/// One line of CLI output.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutputLine {
    /// A line on stdout.
    Stdout(String),
    /// A line on stderr.
    Stderr(String),
}

/// Runs bundle commands with the installed `databricks` CLI in a bundle folder, streaming
/// its output line by line.
///
/// ```no_run
/// # async fn demo() -> bundle_gen::Result<()> {
/// use bundle_gen::{BundleCli, BundleCommand, OutputLine};
/// BundleCli::new("./my_bundle")
///     .with_target("dev")
///     .run(BundleCommand::Deploy, |line| match line {
///         OutputLine::Stdout(l) | OutputLine::Stderr(l) => println!("{l}"),
///         _ => {}
///     })
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct BundleCli {
    program: PathBuf,
    dir: PathBuf,
    target: Option<String>,
    profile: Option<String>,
    vars: Vec<(String, String)>,
}

impl BundleCli {
    /// Runs `databricks` (found on `PATH`) in `bundle_dir`.
    pub fn new(bundle_dir: impl Into<PathBuf>) -> Self {
        Self {
            program: PathBuf::from("databricks"),
            dir: bundle_dir.into(),
            target: None,
            profile: None,
            vars: Vec::new(),
        }
    }

    /// Uses another CLI executable (absolute path or a name looked up on `PATH`).
    pub fn with_program(mut self, program: impl Into<PathBuf>) -> Self {
        self.program = program.into();
        self
    }

    /// Passes `-t <target>`.
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Passes `-p <profile>`.
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// Passes `--var="name=value"`.
    pub fn with_var(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.push((name.into(), value.into()));
        self
    }

    /// Where the CLI executable is, or [`Error::CliNotFound`].
    pub fn locate(&self) -> Result<PathBuf> {
        if self.program.components().count() > 1 {
            return if self.program.is_file() {
                Ok(self.program.clone())
            } else {
                Err(Error::CliNotFound)
            };
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .map(|d| d.join(&self.program))
            .find(|p| is_executable(p))
            .ok_or(Error::CliNotFound)
    }

    /// The full argument list for a command.
    pub fn args(&self, cmd: &BundleCommand) -> Vec<String> {
        let mut a = cmd.args();
        if let Some(t) = &self.target {
            a.extend(["-t".to_string(), t.clone()]);
        }
        if let Some(p) = &self.profile {
            a.extend(["-p".to_string(), p.clone()]);
        }
        for (k, v) in &self.vars {
            a.push(format!("--var={k}={v}"));
        }
        a
    }

    /// Runs a command, calling `on_line` for every output line as it arrives. Fails with
    /// [`Error::CliNotFound`] (naming how to install the CLI) or [`Error::CliFailed`].
    pub async fn run(&self, cmd: BundleCommand, mut on_line: impl FnMut(OutputLine)) -> Result<()> {
        let program = self.locate()?;
        let args = self.args(&cmd);
        tracing::debug!(program = %program.display(), ?args, dir = %self.dir.display(), "running databricks CLI");
        let mut child = Command::new(&program)
            .args(&args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Error::CliNotFound,
                _ => Error::Io {
                    path: program.display().to_string(),
                    source: e,
                },
            })?;
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let mut out = stdout.map(|s| BufReader::new(s).lines());
        let mut err = stderr.map(|s| BufReader::new(s).lines());
        let io_err = |e: std::io::Error| Error::Io {
            path: program.display().to_string(),
            source: e,
        };
        while out.is_some() || err.is_some() {
            tokio::select! {
                line = async { match out.as_mut() { Some(o) => o.next_line().await, None => std::future::pending().await } } => {
                    match line.map_err(io_err)? {
                        Some(l) => on_line(OutputLine::Stdout(l)),
                        None => out = None,
                    }
                }
                line = async { match err.as_mut() { Some(e) => e.next_line().await, None => std::future::pending().await } } => {
                    match line.map_err(io_err)? {
                        Some(l) => on_line(OutputLine::Stderr(l)),
                        None => err = None,
                    }
                }
            }
        }
        let status = child.wait().await.map_err(io_err)?;
        if status.success() {
            Ok(())
        } else {
            Err(Error::CliFailed {
                command: args.join(" "),
                status: status.to_string(),
            })
        }
    }
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file() || p.with_extension("exe").is_file()
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn fake_cli(dir: &Path, body: &str) -> PathBuf {
        let p = dir.join("databricks");
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    #[tokio::test]
    async fn streams_output_and_passes_arguments() {
        let dir = tempfile::tempdir().unwrap();
        let cli = fake_cli(
            dir.path(),
            "echo \"args: $*\"\necho 'Validation OK!' >&2\necho \"cwd: $(pwd)\"",
        );
        let mut lines = Vec::new();
        BundleCli::new(dir.path())
            .with_program(&cli)
            .with_target("dev")
            .with_var("catalog", "main")
            .run(BundleCommand::Run { key: "etl".into() }, |l| lines.push(l))
            .await
            .unwrap();
        assert!(
            lines.contains(&OutputLine::Stdout(
                "args: bundle run etl -t dev --var=catalog=main".into()
            )),
            "{lines:?}"
        );
        assert!(lines.contains(&OutputLine::Stderr("Validation OK!".into())));
        assert!(
            lines
                .iter()
                .any(|l| matches!(l, OutputLine::Stdout(s) if s.starts_with("cwd: ")))
        );
    }

    #[tokio::test]
    async fn failure_and_missing_cli() {
        let dir = tempfile::tempdir().unwrap();
        let cli = fake_cli(dir.path(), "echo 'Error: boom' >&2\nexit 3");
        let err = BundleCli::new(dir.path())
            .with_program(&cli)
            .run(BundleCommand::Destroy, |_| {})
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::CliFailed { command, .. } if command == "bundle destroy --auto-approve"),
            "{err}"
        );
        let missing = BundleCli::new(dir.path())
            .with_program(dir.path().join("nope"))
            .run(BundleCommand::Validate, |_| {})
            .await
            .unwrap_err();
        assert!(matches!(missing, Error::CliNotFound));
        assert!(missing.to_string().contains("install"), "{missing}");
        let not_on_path = BundleCli::new(dir.path())
            .with_program("databricks-cli-that-does-not-exist")
            .locate();
        assert!(matches!(not_on_path, Err(Error::CliNotFound)));
    }
}
