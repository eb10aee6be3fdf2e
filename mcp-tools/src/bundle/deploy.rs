//! Workspace and CLI bundle tools: `upload_bundle`, `run_bundle_command`,
//! `sync_workspace_to_local`.

use std::collections::BTreeMap;
use std::sync::Arc;

use bundle_gen::{BundleCli, BundleCommand, OutputLine};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Shared, bundle_error_output, dir_has_files, local_write, resolve};
use crate::{
    DynTool, FnTool, Progress, ToolAnnotations, ToolContext, ToolError, ToolOutput, ToolSpec,
    cap_text,
};

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

impl Shared {
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

/// The `upload_bundle` tool.
pub(super) fn upload_bundle(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
            ToolSpec::new::<UploadArgs, UploadResult>(
                "upload_bundle",
                "Uploads a local bundle directory to a workspace folder: notebooks are imported as notebooks, other files as workspace files; existing objects are overwritten.",
            )
            .with_title("Upload bundle to workspace")
            .with_annotations(ToolAnnotations::destructive().with_idempotent(true)),
        |s, a: UploadArgs, _ctx| async move { s.upload(a).await },
    )
}

/// The `run_bundle_command` tool.
pub(super) fn run_bundle_command(s: &Arc<Shared>) -> DynTool {
    let max_wait = s.opts.wait.max_wait.as_secs();
    FnTool::with_state(
        s,
            ToolSpec::new::<RunCommandArgs, RunCommandResult>(
                "run_bundle_command",
                format!(
                    "Runs `databricks bundle validate|deploy|run|destroy` in a bundle directory with an optional target and variables, streaming output lines as progress notifications. `destroy` deletes every deployed resource of the target. The command is stopped after `wait_seconds` (default and maximum {max_wait} s). Needs the Databricks CLI on the server."
                ),
            )
            .with_title("Run bundle command")
            .with_annotations(ToolAnnotations::destructive().with_open_world(true)),
        |s, a: RunCommandArgs, ctx| async move { s.run_command(a, ctx).await },
    )
}

/// The `sync_workspace_to_local` tool.
pub(super) fn sync_workspace_to_local(s: &Arc<Shared>) -> DynTool {
    FnTool::with_state(
        s,
            ToolSpec::new::<SyncArgs, SyncResult>(
                "sync_workspace_to_local",
                "Copies a workspace folder into `dir` under the bundle root (notebooks as source files with a language extension, files as-is); unchanged objects are skipped. Refuses a non-empty directory not filled by an earlier sync unless `overwrite` is true.",
            )
            .with_title("Sync workspace folder to local")
            .with_annotations(local_write()),
        |s, a: SyncArgs, _ctx| async move { s.sync(a).await },
    )
}
