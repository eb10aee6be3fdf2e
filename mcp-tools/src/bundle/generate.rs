//! Local bundle tools: `analyze_notebook`, `generate_bundle`, `generate_bundle_from_job`,
//! `validate_bundle`, `create_tests`.

use std::sync::Arc;

use bundle_gen::{Diagnostic, GeneratedBundle, JobImportOptions, NotebookFile, NotebooksOptions};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Shared, bundle_error_output, local_write, write_confined};
use crate::{
    DynTool, FnTool, ToolAnnotations, ToolError, ToolOutput, ToolSpec, cap_text,
    client_error_output,
};

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

fn diagnostics(diags: &[Diagnostic]) -> Vec<DiagnosticOut> {
    diags.iter().map(DiagnosticOut::from).collect()
}

fn diagnostics_text(diags: &[Diagnostic], out: &mut String) {
    for d in diags {
        out.push('\n');
        out.push_str(&d.to_string());
    }
}

impl Shared {
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
}

/// The `analyze_notebook` tool.
pub(super) fn analyze_notebook(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
            ToolSpec::new::<AnalyzeArgs, AnalyzeResult>(
                "analyze_notebook",
                "Analyzes a Databricks notebook (from a workspace path, or inline content with a file name): cells, widgets/parameters, %run dependencies, libraries, tables read and written, secrets, and warnings.",
            )
            .with_title("Analyze notebook")
            .with_annotations(ToolAnnotations::read_only()),
        |s, a: AnalyzeArgs, _ctx| async move { s.analyze(a).await },
    )
}

/// The `generate_bundle` tool.
pub(super) fn generate_bundle(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
            ToolSpec::new::<GenerateArgs, GenerateResult>(
                "generate_bundle",
                "Generates a Databricks Asset Bundle (databricks.yml, resources/<job>.job.yml, src/) whose job runs the given notebooks (workspace paths or inline files), writes it into `dir` under the server's bundle root, and returns the files written plus validation findings. Refuses a non-empty `dir` unless `overwrite` is true.",
            )
            .with_title("Generate bundle from notebooks")
            .with_annotations(local_write()),
        |s, a: GenerateArgs, _ctx| async move { s.generate(a).await },
    )
}

/// The `generate_bundle_from_job` tool.
pub(super) fn generate_bundle_from_job(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
            ToolSpec::new::<FromJobArgs, GenerateResult>(
                "generate_bundle_from_job",
                "Generates a Databricks Asset Bundle from an existing job (like `databricks bundle generate job`): job settings, its notebooks exported into src/, dev/prod targets; writes it into `dir` under the bundle root and validates it. Refuses a non-empty `dir` unless `overwrite` is true.",
            )
            .with_title("Generate bundle from job")
            .with_annotations(local_write()),
        |s, a: FromJobArgs, _ctx| async move { s.generate_from_job(a).await },
    )
}

/// The `validate_bundle` tool.
pub(super) fn validate_bundle(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
            ToolSpec::new::<ValidateArgs, ValidateResult>(
                "validate_bundle",
                "Validates a bundle directory offline (the checks of `databricks bundle validate` that need no workspace): every finding with file, line, YAML path and a fix.",
            )
            .with_title("Validate bundle")
            .with_annotations(ToolAnnotations::read_only()),
        |s, a: ValidateArgs, _ctx| async move { s.validate(a) },
    )
}

/// The `create_tests` tool.
pub(super) fn create_tests(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
            ToolSpec::new::<CreateTestsArgs, CreateTestsResult>(
                "create_tests",
                "Scaffolds pytest tests for a Python notebook of a bundle (tests/test_<name>.py and a runner) and adds a test task to the bundle's job; rewrites the bundle configuration files. Refuses to replace existing test files unless `overwrite` is true.",
            )
            .with_title("Create notebook tests")
            .with_annotations(local_write()),
        |s, a: CreateTestsArgs, _ctx| async move { s.create_tests(a) },
    )
}
