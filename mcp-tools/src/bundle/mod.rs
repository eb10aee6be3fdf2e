//! The bundle toolset: Databricks Asset Bundle tools as thin adapters over `bundle-gen`.
//!
//! `generate.rs` holds the tools that analyze, generate, validate and extend bundles locally;
//! `deploy.rs` the ones that talk to the workspace or the CLI (upload, bundle commands, sync).
//! Every tool is one spec and one adapter function declared with
//! [`FnTool::with_state`](crate::FnTool::with_state).
//!
//! Tools: `analyze_notebook`, `generate_bundle`, `generate_bundle_from_job`, `validate_bundle`,
//! `create_tests`, `upload_bundle`, `run_bundle_command`, `sync_workspace_to_local`. Every local
//! path argument is relative to the toolset's root directory and may not leave it (`..`,
//! absolute paths and symlinks pointing outside are rejected).

mod deploy;
mod generate;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bundle_gen::{ConfinedRoot, Error as BundleError, FileTree, NotebookLanguage, Validator};
use databricks_client::WorkspaceClient;
use databricks_client::models::workspace::ExportFormat;
use serde_json::Value;

use crate::{
    DynTool, ResultLimits, ToolAnnotations, ToolOutput, Toolset, WaitPolicy, client_error_output,
};

/// Name of this toolset (for `--toolsets` filters).
pub const BUNDLE_TOOLSET: &str = "bundle";

/// Options of the bundle toolset.
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct BundleToolsetOptions {
    /// The local directory all bundle files live under; every path argument is relative to it.
    pub root: PathBuf,
    /// The Databricks CLI executable for `run_bundle_command` (default: `databricks` on `PATH`).
    pub cli_program: Option<PathBuf>,
    /// The CLI profile passed as `-p` to every bundle command.
    pub profile: Option<String>,
    /// How long `run_bundle_command` may run at most ([`WaitPolicy::max_wait`]).
    pub wait: WaitPolicy,
    /// Caps on text output.
    pub limits: ResultLimits,
    /// The official bundle JSON schema (`databricks bundle schema`) for `validate_bundle`.
    pub schema: Option<Value>,
}

impl BundleToolsetOptions {
    /// Options with `root` as the bundle directory and defaults otherwise.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            cli_program: None,
            profile: None,
            wait: WaitPolicy::default(),
            limits: ResultLimits::default(),
            schema: None,
        }
    }

    /// Uses another Databricks CLI executable.
    pub fn with_cli_program(mut self, program: impl Into<PathBuf>) -> Self {
        self.cli_program = Some(program.into());
        self
    }

    /// Passes `-p <profile>` to the CLI.
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// Sets the wait policy (the ceiling on `wait_seconds` of `run_bundle_command`).
    pub fn with_wait(mut self, wait: WaitPolicy) -> Self {
        self.wait = wait;
        self
    }

    /// Sets the result caps.
    pub fn with_limits(mut self, limits: ResultLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Validates with the official bundle JSON schema.
    pub fn with_schema(mut self, schema: Value) -> Self {
        self.schema = Some(schema);
        self
    }
}

/// The bundle toolset over a workspace client and a local root directory.
///
/// ```no_run
/// # fn demo(client: databricks_client::WorkspaceClient) -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use mcp_tools::{BundleToolset, BundleToolsetOptions, Registry};
/// let toolset = BundleToolset::new(client, BundleToolsetOptions::new("./bundles").with_profile("dev"));
/// let registry = Registry::builder().toolset(Arc::new(toolset)).read_only(false).build()?;
/// assert!(registry.get("validate_bundle").is_some());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct BundleToolset {
    shared: Arc<Shared>,
}

struct Shared {
    client: WorkspaceClient,
    opts: BundleToolsetOptions,
}

impl fmt::Debug for BundleToolset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BundleToolset")
            .field("root", &self.shared.opts.root)
            .finish_non_exhaustive()
    }
}

impl BundleToolset {
    /// A toolset calling the workspace through `client` and keeping files under `options.root`.
    pub fn new(client: WorkspaceClient, options: BundleToolsetOptions) -> Self {
        Self {
            shared: Arc::new(Shared {
                client,
                opts: options,
            }),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Paths.

/// The toolset's root as a [`ConfinedRoot`]: every local read and write goes through it.
fn confined(root: &Path) -> Result<ConfinedRoot, String> {
    ConfinedRoot::open(root).map_err(|e| e.to_string())
}

/// Resolves a caller's relative path under `root` through [`ConfinedRoot::resolve`]: `..`,
/// absolute paths, NUL bytes and symbolic links on the path are refused.
fn resolve(root: &Path, rel: &str) -> Result<PathBuf, String> {
    confined(root)?
        .resolve(rel.trim())
        .map_err(|e| format!("{e} (paths are relative to the server's bundle root)"))
}

/// Writes `files` below `dir` (created when missing) without leaving the root or following links.
fn write_confined(root: &Path, dir: &str, files: &FileTree, overwrite: bool) -> Result<(), String> {
    confined(root)?
        .create_subdir(dir.trim())
        .and_then(|sub| sub.write_tree(files, overwrite))
        .map_err(|e| e.to_string())
}

fn dir_has_files(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some())
}

fn io_output(tool: &str, what: &str, e: &std::io::Error) -> ToolOutput {
    ToolOutput::error(format!(
        "{tool} failed: {what}: {e}; check the path and the server's permissions on the bundle root"
    ))
}

/// The `isError` result for a failed `bundle-gen` call.
fn bundle_error_output(tool: &str, e: &BundleError) -> ToolOutput {
    match e {
        BundleError::Client(c) => client_error_output(tool, c),
        BundleError::CliNotFound => ToolOutput::error(format!(
            "{tool} failed: {e}; or have the operator point the server at the CLI executable (`cli_program`)"
        )),
        other => ToolOutput::error(format!("{tool} failed: {other}")),
    }
}

// ---------------------------------------------------------------------------------------------
// State shared by the tools.

impl Shared {
    fn validator(&self) -> Validator {
        match &self.opts.schema {
            Some(s) => Validator::new().with_schema(s.clone()),
            None => Validator::new(),
        }
    }

    fn host(&self) -> String {
        self.client.host().as_str().trim_end_matches('/').to_owned()
    }

    /// Exports a workspace notebook as source; returns a file name with the language extension.
    async fn export_notebook(
        &self,
        path: &str,
    ) -> Result<(String, String), databricks_client::Error> {
        let ws = self.client.workspace();
        let info = ws.get_status(path).await?;
        let exported = ws.export(path, ExportFormat::Source).await?;
        let lang = info
            .language
            .as_ref()
            .and_then(|l| NotebookLanguage::from_api_name(l.as_str()))
            .unwrap_or(NotebookLanguage::Python);
        let base = path.rsplit('/').next().unwrap_or(path);
        let name = if base.contains('.') {
            base.to_owned()
        } else {
            format!("{base}.{}", lang.extension())
        };
        Ok((
            name,
            String::from_utf8_lossy(&exported.content).into_owned(),
        ))
    }

    /// Writes a generated bundle under `dir` and validates what was written.
    fn target_dir(&self, tool: &str, dir: &str, overwrite: bool) -> Result<(), ToolOutput> {
        let target =
            resolve(&self.opts.root, dir).map_err(|m| ToolOutput::error(format!("{tool}: {m}")))?;
        if !overwrite && dir_has_files(&target) {
            return Err(ToolOutput::error(format!(
                "{tool}: `{dir}` already holds files; pass `overwrite: true` to replace them, or choose another `dir`"
            )));
        }
        Ok(())
    }

    fn read_tree(&self, tool: &str, dir: &str) -> Result<(PathBuf, FileTree), ToolOutput> {
        let path =
            resolve(&self.opts.root, dir).map_err(|m| ToolOutput::error(format!("{tool}: {m}")))?;
        if !path.join("databricks.yml").is_file() {
            return Err(ToolOutput::error(format!(
                "{tool}: `{dir}` has no databricks.yml; pass the directory of a bundle (generate one with generate_bundle)"
            )));
        }
        let tree = FileTree::read_from(&path)
            .map_err(|e| io_output(tool, &format!("reading {dir}"), &e))?;
        Ok((path, tree))
    }
}

/// Annotations of a tool that writes local files without overwriting by default.
fn local_write() -> ToolAnnotations {
    ToolAnnotations::read_only()
        .with_read_only(false)
        .with_destructive(false)
        .with_idempotent(false)
}

impl Toolset for BundleToolset {
    fn name(&self) -> &str {
        BUNDLE_TOOLSET
    }

    fn tools(&self) -> Vec<DynTool> {
        let s = &self.shared;
        vec![
            generate::analyze_notebook(s),
            generate::generate_bundle(s),
            generate::generate_bundle_from_job(s),
            generate::validate_bundle(s),
            generate::create_tests(s),
            deploy::upload_bundle(s),
            deploy::run_bundle_command(s),
            deploy::sync_workspace_to_local(s),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_rejects_escapes() {
        let dir = std::env::temp_dir();
        assert!(resolve(&dir, "../x").is_err());
        assert!(resolve(&dir, "/etc").is_err());
        assert!(resolve(&dir, "a/../../b").is_err());
        assert!(resolve(&dir, "").is_err());
        assert!(resolve(&dir, ".").is_err());
        assert!(resolve(&dir, "a\0b").is_err());
        assert!(resolve(&dir, "a/b").is_ok());
    }
}
