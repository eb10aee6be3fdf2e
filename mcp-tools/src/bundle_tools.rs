//! The bundle toolset: Databricks Asset Bundle tools as thin adapters over `bundle-gen`.
//!
//! Tools: `analyze_notebook`, `generate_bundle`, `generate_bundle_from_job`, `validate_bundle`,
//! `create_tests`, `upload_bundle`, `run_bundle_command`, `sync_workspace_to_local`. Every local
//! path argument is relative to the toolset's root directory and may not leave it (`..`,
//! absolute paths and symlinks pointing outside are rejected).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bundle_gen::{
    BundleCli, BundleCommand, ConfinedRoot, Diagnostic, Error as BundleError, FileTree,
    GeneratedBundle, JobImportOptions, NotebookFile, NotebookLanguage, NotebooksOptions,
    OutputLine, Validator,
};
use databricks_client::WorkspaceClient;
use databricks_client::models::workspace::ExportFormat;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    DynTool, FnTool, Progress, ResultLimits, ToolAnnotations, ToolContext, ToolError, ToolOutput,
    ToolSpec, Toolset, WaitPolicy, cap_text, client_error_output,
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
// Arguments and results.

/// Arguments of `analyze_notebook`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AnalyzeArgs {
    /// Workspace path of the notebook to analyze (e.g. `/Workspace/Users/me/etl`). Give this OR
    /// `content`.
    #[serde(default)]
    workspace_path: Option<String>,
    /// Notebook source given inline (Databricks source format or `.ipynb` JSON). Give this OR
    /// `workspace_path`.
    #[serde(default)]
    content: Option<String>,
    /// File name of the inline content; its extension tells the language (`etl.py`, `q.sql`,
    /// `nb.ipynb`). Default `notebook.py`.
    #[serde(default)]
    file_name: Option<String>,
}

/// Result of `analyze_notebook`.
#[derive(Debug, Serialize, JsonSchema)]
struct AnalyzeResult {
    /// The file name the notebook was analyzed as.
    file_name: String,
    /// The analysis: language, format, cells, widgets, `%run` dependencies, libraries, tables
    /// read and written, secrets, warnings.
    analysis: Value,
}

/// A notebook given to `generate_bundle`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NotebookInput {
    /// Workspace path to export the notebook from. Give this OR `path` + `content`.
    #[serde(default)]
    workspace_path: Option<String>,
    /// File path inside the bundle's `src/` with extension (`etl/ingest.py`), for inline content.
    #[serde(default)]
    path: Option<String>,
    /// Inline notebook source.
    #[serde(default)]
    content: Option<String>,
}

/// Arguments of `generate_bundle`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct GenerateArgs {
    /// Bundle name (also the job name and key).
    bundle_name: String,
    /// Directory to write the bundle into, relative to the server's bundle root.
    dir: String,
    /// The notebooks that become job tasks (helpers included with `%run` become files only).
    notebooks: Vec<NotebookInput>,
    /// Explicit task order (notebook file paths); without it, dependencies come from table
    /// lineage.
    #[serde(default)]
    order: Option<Vec<String>>,
    /// Replace files in a non-empty `dir` (default false: refuse).
    #[serde(default)]
    overwrite: bool,
}

/// Arguments of `generate_bundle_from_job`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct FromJobArgs {
    /// The job to import.
    job_id: i64,
    /// Directory to write the bundle into, relative to the server's bundle root.
    dir: String,
    /// Bundle name (default: from the job name).
    #[serde(default)]
    bundle_name: Option<String>,
    /// Resource key of the job in the bundle (default: from the job name).
    #[serde(default)]
    key: Option<String>,
    /// Replace files in a non-empty `dir` (default false: refuse).
    #[serde(default)]
    overwrite: bool,
}

/// One validator finding.
#[derive(Debug, Serialize, JsonSchema)]
struct DiagnosticOut {
    /// `error`, `warning` or `recommendation`.
    severity: String,
    /// Bundle-relative file.
    file: String,
    /// 1-based line (0 when the finding is about a missing file).
    line: usize,
    /// 1-based column.
    column: usize,
    /// YAML path, e.g. `resources.jobs.etl.tasks[0].notebook_task.notebook_path`.
    path: String,
    /// What is wrong.
    message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
}

impl From<&Diagnostic> for DiagnosticOut {
    fn from(d: &Diagnostic) -> Self {
        Self {
            severity: d.severity.to_string(),
            file: d.file.clone(),
            line: d.line,
            column: d.column,
            path: d.path.clone(),
            message: d.message.clone(),
            fix: d.hint.clone(),
        }
    }
}

/// Result of the generating tools.
#[derive(Debug, Serialize, JsonSchema)]
struct GenerateResult {
    /// The directory written, relative to the bundle root.
    dir: String,
    /// Files written, relative to `dir`.
    files: Vec<String>,
    /// Things to know about the generation (dropped fields, missing downloads, …).
    warnings: Vec<String>,
    /// Whether the offline validator found no errors.
    valid: bool,
    /// Validator findings on the written files.
    diagnostics: Vec<DiagnosticOut>,
}

/// Arguments of `validate_bundle`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ValidateArgs {
    /// Bundle directory (holding `databricks.yml`), relative to the server's bundle root.
    dir: String,
}

/// Result of `validate_bundle`.
#[derive(Debug, Serialize, JsonSchema)]
struct ValidateResult {
    /// The bundle directory.
    dir: String,
    /// Whether there are no errors.
    valid: bool,
    /// Number of errors.
    error_count: usize,
    /// Number of warnings and recommendations.
    warning_count: usize,
    /// Whether the official bundle schema was used.
    schema_used: bool,
    /// Findings, sorted by file, line and column.
    diagnostics: Vec<DiagnosticOut>,
}

/// Arguments of `create_tests`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CreateTestsArgs {
    /// Bundle directory, relative to the server's bundle root.
    dir: String,
    /// Bundle-relative path of the Python notebook to test (e.g. `src/etl.py`).
    notebook: String,
    /// Key of the job to add the test task to (default: the bundle's only job).
    #[serde(default)]
    job_key: Option<String>,
    /// Replace existing test files (default false: refuse).
    #[serde(default)]
    overwrite: bool,
}

/// Result of `create_tests`.
#[derive(Debug, Serialize, JsonSchema)]
struct CreateTestsResult {
    /// The bundle directory.
    dir: String,
    /// Files written (test files and the updated bundle configuration), relative to `dir`.
    files: Vec<String>,
    /// Key of the test task added to the job.
    task_key: String,
    /// Functions the tests exercise.
    functions: Vec<String>,
    /// Validator findings after the change.
    diagnostics: Vec<DiagnosticOut>,
}

/// Arguments of `upload_bundle`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct UploadArgs {
    /// Bundle directory, relative to the server's bundle root.
    dir: String,
    /// Absolute workspace folder to upload into (e.g. `/Workspace/Users/me/my_bundle`);
    /// existing objects are overwritten.
    workspace_path: String,
}

/// Result of `upload_bundle`.
#[derive(Debug, Serialize, JsonSchema)]
struct UploadResult {
    /// The workspace folder.
    workspace_path: String,
    /// Workspace paths of imported notebooks.
    notebooks: Vec<String>,
    /// Workspace paths of imported files.
    files: Vec<String>,
}

/// A `databricks bundle` sub-command.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum CommandArg {
    /// `bundle validate` (server-side validation).
    Validate,
    /// `bundle deploy --auto-approve`.
    Deploy,
    /// `bundle run <resource_key>`.
    Run,
    /// `bundle destroy --auto-approve`: deletes every deployed resource of the target.
    Destroy,
}

/// Arguments of `run_bundle_command`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RunCommandArgs {
    /// Bundle directory, relative to the server's bundle root.
    dir: String,
    /// The sub-command.
    command: CommandArg,
    /// Resource key of the job or pipeline, for `run`.
    #[serde(default)]
    resource_key: Option<String>,
    /// Bundle target (`-t`), e.g. `dev`.
    #[serde(default)]
    target: Option<String>,
    /// Bundle variables (`--var name=value`).
    #[serde(default)]
    vars: BTreeMap<String, String>,
    /// How long the command may run, in seconds (default and ceiling: the server's maximum
    /// wait); the CLI is stopped when it passes.
    #[serde(default)]
    wait_seconds: Option<u64>,
}

/// Result of `run_bundle_command`.
#[derive(Debug, Serialize, JsonSchema)]
struct RunCommandResult {
    /// The CLI arguments that ran.
    command: String,
    /// Whether the CLI exited successfully.
    success: bool,
    /// Number of output lines.
    line_count: usize,
    /// The last output lines (stderr lines prefixed with `stderr: `).
    output: Vec<String>,
}

/// Arguments of `sync_workspace_to_local`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SyncArgs {
    /// Workspace folder to copy from (e.g. `/Workspace/Users/me/project`).
    workspace_path: String,
    /// Local directory to copy into, relative to the server's bundle root.
    dir: String,
    /// Allow syncing into a non-empty directory that was not filled by an earlier sync
    /// (changed files are replaced; default false: refuse).
    #[serde(default)]
    overwrite: bool,
}

/// Result of `sync_workspace_to_local`.
#[derive(Debug, Serialize, JsonSchema)]
struct SyncResult {
    /// The local directory.
    dir: String,
    /// Files written (new or changed), relative to `dir`.
    written: Vec<String>,
    /// Files left alone because they did not change.
    unchanged: Vec<String>,
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

fn diagnostics(diags: &[Diagnostic]) -> Vec<DiagnosticOut> {
    diags.iter().map(DiagnosticOut::from).collect()
}

fn diagnostics_text(diags: &[Diagnostic], out: &mut String) {
    for d in diags {
        out.push('\n');
        out.push_str(&d.to_string());
    }
}

// ---------------------------------------------------------------------------------------------
// Tools.

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
    fn write_generated(
        &self,
        tool: &str,
        dir: &str,
        generated: &GeneratedBundle,
    ) -> Result<ToolOutput, ToolError> {
        // The directory-level overwrite check ran in `target_dir`; files inside are replaced.
        if let Err(m) = write_confined(&self.opts.root, dir, &generated.files, true) {
            return Ok(ToolOutput::error(format!(
                "{tool} failed: writing {dir}: {m}"
            )));
        }
        let diags = self.validator().validate(&generated.files);
        let valid = !diags.iter().any(Diagnostic::is_error);
        let files: Vec<String> = generated.files.paths().map(str::to_owned).collect();
        let mut text = format!(
            "Wrote {} files to {dir}: {}. Validation: {}.",
            files.len(),
            files.join(", "),
            if valid { "no errors" } else { "errors found" }
        );
        for w in &generated.warnings {
            text.push_str("\nwarning: ");
            text.push_str(w);
        }
        diagnostics_text(&diags, &mut text);
        let out = GenerateResult {
            dir: dir.to_owned(),
            files,
            warnings: generated.warnings.clone(),
            valid,
            diagnostics: diagnostics(&diags),
        };
        ToolOutput::structured(
            cap_text(&text, self.opts.limits.max_text_bytes, "structuredContent"),
            &out,
        )
    }

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

    async fn analyze(&self, a: AnalyzeArgs) -> Result<ToolOutput, ToolError> {
        const TOOL: &str = "analyze_notebook";
        let (name, content) = match (a.workspace_path, a.content) {
            (Some(p), None) => match self.export_notebook(&p).await {
                Ok(x) => x,
                Err(e) => return Ok(client_error_output(TOOL, &e)),
            },
            (None, Some(c)) => (a.file_name.unwrap_or_else(|| "notebook.py".into()), c),
            _ => {
                return Err(ToolError::invalid_params(
                    TOOL,
                    "give exactly one of `workspace_path` or `content` (with `file_name`)",
                ));
            }
        };
        let analysis = bundle_gen::analyze_notebook(&name, &content);
        let text = format!(
            "{name}: {:?} notebook, {} cells, {} widgets ({}), {} %run, {} libraries, reads {} tables, writes {} tables, {} warnings",
            analysis.language,
            analysis.cells.len(),
            analysis.widgets.len(),
            analysis
                .widgets
                .iter()
                .map(|w| w.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            analysis.runs.len(),
            analysis.libraries.len(),
            analysis.tables_read.len(),
            analysis.tables_written.len(),
            analysis.warnings.len()
        );
        let analysis = serde_json::to_value(&analysis)
            .map_err(|e| ToolError::internal(format!("could not serialize the analysis: {e}")))?;
        ToolOutput::structured(
            text,
            &AnalyzeResult {
                file_name: name,
                analysis,
            },
        )
    }

    async fn generate(&self, a: GenerateArgs) -> Result<ToolOutput, ToolError> {
        const TOOL: &str = "generate_bundle";
        if a.notebooks.is_empty() {
            return Err(ToolError::invalid_params(
                TOOL,
                "`notebooks` is empty; pass at least one notebook",
            ));
        }
        if let Err(out) = self.target_dir(TOOL, &a.dir, a.overwrite) {
            return Ok(out);
        }
        let mut files = Vec::new();
        for n in a.notebooks {
            match (n.workspace_path, n.path, n.content) {
                (Some(p), None, None) => match self.export_notebook(&p).await {
                    Ok((name, content)) => files.push(NotebookFile::new(name, content)),
                    Err(e) => return Ok(client_error_output(TOOL, &e)),
                },
                (None, Some(path), Some(content)) => {
                    if let Err(e) = bundle_gen::check_relative(path.trim()) {
                        return Ok(ToolOutput::error(format!("{TOOL}: notebook path: {e}")));
                    }
                    files.push(NotebookFile::new(path, content));
                }
                _ => {
                    return Err(ToolError::invalid_params(
                        TOOL,
                        "each notebook needs either `workspace_path`, or `path` and `content`",
                    ));
                }
            }
        }
        let mut opts = NotebooksOptions::new(a.bundle_name).with_host(self.host());
        if let Some(order) = a.order {
            opts = opts.with_order(order);
        }
        match bundle_gen::bundle_from_notebooks(&files, &opts) {
            Ok(g) => self.write_generated(TOOL, &a.dir, &g),
            Err(e) => Ok(bundle_error_output(TOOL, &e)),
        }
    }

    async fn generate_from_job(&self, a: FromJobArgs) -> Result<ToolOutput, ToolError> {
        const TOOL: &str = "generate_bundle_from_job";
        if let Err(out) = self.target_dir(TOOL, &a.dir, a.overwrite) {
            return Ok(out);
        }
        let mut opts = JobImportOptions::new();
        if let Some(n) = a.bundle_name {
            opts = opts.with_bundle_name(n);
        }
        if let Some(k) = a.key {
            opts = opts.with_key(k);
        }
        match bundle_gen::generate_from_job(&self.client, a.job_id, opts).await {
            Ok(g) => self.write_generated(TOOL, &a.dir, &g),
            Err(e) => Ok(bundle_error_output(TOOL, &e)),
        }
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

    fn validate(&self, a: ValidateArgs) -> Result<ToolOutput, ToolError> {
        const TOOL: &str = "validate_bundle";
        let (_, tree) = match self.read_tree(TOOL, &a.dir) {
            Ok(t) => t,
            Err(out) => return Ok(out),
        };
        let diags = self.validator().validate(&tree);
        let error_count = diags.iter().filter(|d| d.is_error()).count();
        let warning_count = diags.len() - error_count;
        let mut text = format!(
            "{}: {error_count} errors, {warning_count} warnings/recommendations.",
            a.dir
        );
        diagnostics_text(&diags, &mut text);
        let out = ValidateResult {
            dir: a.dir,
            valid: error_count == 0,
            error_count,
            warning_count,
            schema_used: self.opts.schema.is_some(),
            diagnostics: diagnostics(&diags),
        };
        ToolOutput::structured(
            cap_text(&text, self.opts.limits.max_text_bytes, "structuredContent"),
            &out,
        )
    }

    fn create_tests(&self, a: CreateTestsArgs) -> Result<ToolOutput, ToolError> {
        const TOOL: &str = "create_tests";
        let (_, tree) = match self.read_tree(TOOL, &a.dir) {
            Ok(t) => t,
            Err(out) => return Ok(out),
        };
        let mut bundle = match bundle_gen::load_bundle(&tree) {
            Ok(b) => b,
            Err(e) => {
                return Ok(ToolOutput::error(format!(
                    "{TOOL}: the bundle in `{}` cannot be read: {e}; call validate_bundle and fix the reported errors first",
                    a.dir
                )));
            }
        };
        let job_key = match a.job_key {
            Some(k) => k,
            None => {
                let mut keys = bundle.resources.jobs.keys();
                match (keys.next(), keys.next()) {
                    (Some(k), None) => k.clone(),
                    _ => {
                        return Ok(ToolOutput::error(format!(
                            "{TOOL}: the bundle has {} jobs; pass `job_key` (one of: {})",
                            bundle.resources.jobs.len(),
                            bundle
                                .resources
                                .jobs
                                .keys()
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    }
                }
            }
        };
        let notebook = a.notebook.trim_start_matches("./").to_owned();
        let Some(content) = tree.text(&notebook) else {
            return Ok(ToolOutput::error(format!(
                "{TOOL}: `{notebook}` is not a text file of the bundle; pass a bundle-relative notebook path such as `src/etl.py`"
            )));
        };
        let scaffold =
            match bundle_gen::scaffold_notebook_tests(&mut bundle, &job_key, &notebook, content) {
                Ok(s) => s,
                Err(e) => return Ok(bundle_error_output(TOOL, &e)),
            };
        if !a.overwrite
            && let Some(existing) = scaffold.files.paths().find(|p| tree.contains(p))
        {
            return Ok(ToolOutput::error(format!(
                "{TOOL}: `{existing}` already exists; pass `overwrite: true` to replace it"
            )));
        }
        let config = match bundle_gen::write_bundle(&bundle) {
            Ok(c) => c,
            Err(e) => return Ok(bundle_error_output(TOOL, &e)),
        };
        let mut written = scaffold.files.clone();
        written.extend(config);
        if let Err(m) = write_confined(&self.opts.root, &a.dir, &written, true) {
            return Ok(ToolOutput::error(format!(
                "{TOOL} failed: writing {}: {m}",
                a.dir
            )));
        }
        let mut after = tree;
        after.extend(written.clone());
        let diags = self.validator().validate(&after);
        let files: Vec<String> = written.paths().map(str::to_owned).collect();
        let mut text = format!(
            "Added task `{}` to job `{job_key}` testing {} functions; wrote {}.",
            scaffold.task_key,
            scaffold.functions.len(),
            files.join(", ")
        );
        diagnostics_text(&diags, &mut text);
        let out = CreateTestsResult {
            dir: a.dir,
            files,
            task_key: scaffold.task_key,
            functions: scaffold.functions,
            diagnostics: diagnostics(&diags),
        };
        ToolOutput::structured(
            cap_text(&text, self.opts.limits.max_text_bytes, "structuredContent"),
            &out,
        )
    }

    async fn upload(&self, a: UploadArgs) -> Result<ToolOutput, ToolError> {
        const TOOL: &str = "upload_bundle";
        let (_, tree) = match self.read_tree(TOOL, &a.dir) {
            Ok(t) => t,
            Err(out) => return Ok(out),
        };
        match bundle_gen::upload_bundle(&self.client, &tree, &a.workspace_path).await {
            Ok(r) => {
                let text = format!(
                    "Uploaded {} to {}: {} notebooks, {} files.",
                    a.dir,
                    a.workspace_path,
                    r.notebooks.len(),
                    r.files.len()
                );
                ToolOutput::structured(
                    text,
                    &UploadResult {
                        workspace_path: a.workspace_path,
                        notebooks: r.notebooks,
                        files: r.files,
                    },
                )
            }
            Err(e) => Ok(bundle_error_output(TOOL, &e)),
        }
    }

    async fn run_command(
        &self,
        a: RunCommandArgs,
        ctx: ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        const TOOL: &str = "run_bundle_command";
        let dir = match resolve(&self.opts.root, &a.dir) {
            Ok(d) => d,
            Err(m) => return Ok(ToolOutput::error(format!("{TOOL}: {m}"))),
        };
        if !dir.join("databricks.yml").is_file() {
            return Ok(ToolOutput::error(format!(
                "{TOOL}: `{}` has no databricks.yml; pass the directory of a bundle",
                a.dir
            )));
        }
        let cmd = match (a.command, a.resource_key) {
            (CommandArg::Validate, _) => BundleCommand::Validate,
            (CommandArg::Deploy, _) => BundleCommand::Deploy,
            (CommandArg::Destroy, _) => BundleCommand::Destroy,
            (CommandArg::Run, Some(key)) if !key.trim().is_empty() => BundleCommand::Run { key },
            (CommandArg::Run, _) => {
                return Err(ToolError::invalid_params(
                    TOOL,
                    "`run` needs `resource_key`, the key of a job or pipeline of the bundle",
                ));
            }
        };
        let mut cli = BundleCli::new(dir);
        if let Some(p) = &self.opts.cli_program {
            cli = cli.with_program(p.clone());
        }
        if let Some(p) = &self.opts.profile {
            cli = cli.with_profile(p.clone());
        }
        if let Some(t) = a.target {
            cli = cli.with_target(t);
        }
        for (k, v) in a.vars {
            cli = cli.with_var(k, v);
        }
        let args = cli.args(&cmd).join(" ");
        let (limit, _) = self
            .opts
            .wait
            .limit(Some(a.wait_seconds.unwrap_or(u64::MAX)));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let run = cli.run(cmd, move |line| {
            let l = match line {
                OutputLine::Stdout(l) => l,
                OutputLine::Stderr(l) => format!("stderr: {l}"),
                _ => return,
            };
            let _ = tx.send(l);
        });
        let lines = std::sync::Mutex::new(Vec::<String>::new());
        let drain = async {
            let mut n = 0u32;
            while let Some(l) = rx.recv().await {
                n += 1;
                ctx.report_progress(Progress::new(f64::from(n)).with_message(l.clone()))
                    .await;
                if let Ok(mut v) = lines.lock() {
                    v.push(l);
                }
            }
        };
        let ended = async {
            tokio::select! {
                r = tokio::time::timeout(limit, run) => Some(r),
                _ = ctx.cancellation().cancelled() => None,
            }
        };
        let (ended, ()) = tokio::join!(ended, drain);
        let lines = lines.into_inner().unwrap_or_default();
        let line_count = lines.len();
        let tail: Vec<String> = lines
            .iter()
            .skip(line_count.saturating_sub(self.opts.limits.max_rows))
            .cloned()
            .collect();
        let mut text_tail = tail.join("\n");
        text_tail = cap_text(
            &text_tail,
            self.opts.limits.max_text_bytes,
            "structuredContent",
        );
        match ended {
            None => Ok(ToolOutput::error(format!(
                "{TOOL}: cancelled; `databricks {args}` was stopped.\n{text_tail}"
            ))),
            Some(Err(_)) => Ok(ToolOutput::error(format!(
                "{TOOL}: `databricks {args}` did not finish within {} s and was stopped; call again with a larger `wait_seconds` (at most {} s).\n{text_tail}",
                limit.as_secs(),
                self.opts.wait.max_wait.as_secs()
            ))),
            Some(Ok(Err(e))) => {
                let mut out = bundle_error_output(TOOL, &e);
                if !text_tail.is_empty() {
                    out.text.push_str("\nOutput:\n");
                    out.text.push_str(&text_tail);
                }
                Ok(out)
            }
            Some(Ok(Ok(()))) => ToolOutput::structured(
                format!("`databricks {args}` succeeded.\n{text_tail}"),
                &RunCommandResult {
                    command: args,
                    success: true,
                    line_count,
                    output: tail,
                },
            ),
        }
    }

    async fn sync(&self, a: SyncArgs) -> Result<ToolOutput, ToolError> {
        const TOOL: &str = "sync_workspace_to_local";
        let target = match resolve(&self.opts.root, &a.dir) {
            Ok(t) => t,
            Err(m) => return Ok(ToolOutput::error(format!("{TOOL}: {m}"))),
        };
        if !a.overwrite
            && dir_has_files(&target)
            && !target.join(bundle_gen::SYNC_STATE_FILE).is_file()
        {
            return Ok(ToolOutput::error(format!(
                "{TOOL}: `{}` already holds files that no earlier sync wrote; pass `overwrite: true` to replace changed files, or choose another `dir`",
                a.dir
            )));
        }
        match bundle_gen::sync_to_local(&self.client, &a.workspace_path, &target).await {
            Ok(r) => {
                let text = format!(
                    "Synced {} into {}: {} written, {} unchanged.",
                    a.workspace_path,
                    a.dir,
                    r.written.len(),
                    r.unchanged.len()
                );
                ToolOutput::structured(
                    text,
                    &SyncResult {
                        dir: a.dir,
                        written: r.written,
                        unchanged: r.unchanged,
                    },
                )
            }
            Err(e) => Ok(bundle_error_output(TOOL, &e)),
        }
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
        let max_wait = s.opts.wait.max_wait.as_secs();
        vec![
            {
                let s = Arc::clone(s);
                FnTool::new(
                    ToolSpec::new::<AnalyzeArgs, AnalyzeResult>(
                        "analyze_notebook",
                        "Analyzes a Databricks notebook (from a workspace path, or inline content with a file name): cells, widgets/parameters, %run dependencies, libraries, tables read and written, secrets, and warnings.",
                    )
                    .with_title("Analyze notebook")
                    .with_annotations(ToolAnnotations::read_only()),
                    move |a: AnalyzeArgs, _ctx| {
                        let s = Arc::clone(&s);
                        async move { s.analyze(a).await }
                    },
                )
            },
            {
                let s = Arc::clone(s);
                FnTool::new(
                    ToolSpec::new::<GenerateArgs, GenerateResult>(
                        "generate_bundle",
                        "Generates a Databricks Asset Bundle (databricks.yml, resources/<job>.job.yml, src/) whose job runs the given notebooks (workspace paths or inline files), writes it into `dir` under the server's bundle root, and returns the files written plus validation findings. Refuses a non-empty `dir` unless `overwrite` is true.",
                    )
                    .with_title("Generate bundle from notebooks")
                    .with_annotations(local_write()),
                    move |a: GenerateArgs, _ctx| {
                        let s = Arc::clone(&s);
                        async move { s.generate(a).await }
                    },
                )
            },
            {
                let s = Arc::clone(s);
                FnTool::new(
                    ToolSpec::new::<FromJobArgs, GenerateResult>(
                        "generate_bundle_from_job",
                        "Generates a Databricks Asset Bundle from an existing job (like `databricks bundle generate job`): job settings, its notebooks exported into src/, dev/prod targets; writes it into `dir` under the bundle root and validates it. Refuses a non-empty `dir` unless `overwrite` is true.",
                    )
                    .with_title("Generate bundle from job")
                    .with_annotations(local_write()),
                    move |a: FromJobArgs, _ctx| {
                        let s = Arc::clone(&s);
                        async move { s.generate_from_job(a).await }
                    },
                )
            },
            {
                let s = Arc::clone(s);
                FnTool::new(
                    ToolSpec::new::<ValidateArgs, ValidateResult>(
                        "validate_bundle",
                        "Validates a bundle directory offline (the checks of `databricks bundle validate` that need no workspace): every finding with file, line, YAML path and a fix.",
                    )
                    .with_title("Validate bundle")
                    .with_annotations(ToolAnnotations::read_only()),
                    move |a: ValidateArgs, _ctx| {
                        let s = Arc::clone(&s);
                        async move { s.validate(a) }
                    },
                )
            },
            {
                let s = Arc::clone(s);
                FnTool::new(
                    ToolSpec::new::<CreateTestsArgs, CreateTestsResult>(
                        "create_tests",
                        "Scaffolds pytest tests for a Python notebook of a bundle (tests/test_<name>.py and a runner) and adds a test task to the bundle's job; rewrites the bundle configuration files. Refuses to replace existing test files unless `overwrite` is true.",
                    )
                    .with_title("Create notebook tests")
                    .with_annotations(local_write()),
                    move |a: CreateTestsArgs, _ctx| {
                        let s = Arc::clone(&s);
                        async move { s.create_tests(a) }
                    },
                )
            },
            {
                let s = Arc::clone(s);
                FnTool::new(
                    ToolSpec::new::<UploadArgs, UploadResult>(
                        "upload_bundle",
                        "Uploads a local bundle directory to a workspace folder: notebooks are imported as notebooks, other files as workspace files; existing objects are overwritten.",
                    )
                    .with_title("Upload bundle to workspace")
                    .with_annotations(ToolAnnotations::destructive().with_idempotent(true)),
                    move |a: UploadArgs, _ctx| {
                        let s = Arc::clone(&s);
                        async move { s.upload(a).await }
                    },
                )
            },
            {
                let s = Arc::clone(s);
                FnTool::new(
                    ToolSpec::new::<RunCommandArgs, RunCommandResult>(
                        "run_bundle_command",
                        format!(
                            "Runs `databricks bundle validate|deploy|run|destroy` in a bundle directory with an optional target and variables, streaming output lines as progress notifications. `destroy` deletes every deployed resource of the target. The command is stopped after `wait_seconds` (default and maximum {max_wait} s). Needs the Databricks CLI on the server."
                        ),
                    )
                    .with_title("Run bundle command")
                    .with_annotations(ToolAnnotations::destructive().with_open_world(true)),
                    move |a: RunCommandArgs, ctx| {
                        let s = Arc::clone(&s);
                        async move { s.run_command(a, ctx).await }
                    },
                )
            },
            {
                let s = Arc::clone(s);
                FnTool::new(
                    ToolSpec::new::<SyncArgs, SyncResult>(
                        "sync_workspace_to_local",
                        "Copies a workspace folder into `dir` under the bundle root (notebooks as source files with a language extension, files as-is); unchanged objects are skipped. Refuses a non-empty directory not filled by an earlier sync unless `overwrite` is true.",
                    )
                    .with_title("Sync workspace folder to local")
                    .with_annotations(local_write()),
                    move |a: SyncArgs, _ctx| {
                        let s = Arc::clone(&s);
                        async move { s.sync(a).await }
                    },
                )
            },
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
