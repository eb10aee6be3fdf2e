//! Workspace operations: generate from a job or a workspace folder, upload a bundle folder,
//! sync a workspace folder to local disk. These are the only parts of the crate that do IO.

use std::collections::BTreeMap;
use std::path::Path;

use databricks_client::WorkspaceClient;
use databricks_client::models::workspace::{
    ExportFormat, ImportRequest, Language, ObjectInfo, ObjectType,
};
use databricks_client::pagination::merge_array_pages;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::confined::ConfinedRoot;
use crate::error::{Error, Result};
use crate::files::FileTree;
use crate::generate::{
    GeneratedBundle, JobImport, JobImportOptions, NotebookFile, NotebooksOptions, SourceKind,
    bundle_from_notebooks,
};
use crate::notebook::{NotebookKind, NotebookLanguage, detect_notebook_kind};

const JOB_ARRAYS: &[&str] = &[
    "settings.tasks",
    "settings.job_clusters",
    "settings.parameters",
    "settings.environments",
];
/// Name of the file that records workspace modification times for [`sync_to_local`].
pub const SYNC_STATE_FILE: &str = ".bundle-gen-sync.json";

/// `GET /api/2.2/jobs/get`, with the 2.2 array pages (`tasks`, `job_clusters`, `parameters`,
/// `environments`) merged.
///
/// The job stays raw JSON on purpose: bundle generation must carry every field of the job
/// settings, including ones newer than the client's typed `Job` model, into the YAML.
pub async fn fetch_job(client: &WorkspaceClient, job_id: i64) -> Result<Value> {
    let first: Value = client
        .get("/api/2.2/jobs/get")
        .query_pair("job_id", job_id)
        .send_json()
        .await?;
    let merged = merge_array_pages(first, JOB_ARRAYS, |token| {
        let c = client.clone();
        async move {
            c.get("/api/2.2/jobs/get")
                .query_pair("job_id", job_id)
                .query_pair("page_token", token)
                .send_json()
                .await
        }
    })
    .await?;
    Ok(merged)
}

async fn export(client: &WorkspaceClient, path: &str, format: ExportFormat) -> Result<Vec<u8>> {
    Ok(client.workspace().export(path, format).await?.content)
}

fn language_of(o: &ObjectInfo) -> Option<NotebookLanguage> {
    o.language
        .as_ref()
        .and_then(|l| NotebookLanguage::from_api_name(l.as_str()))
}

/// Every notebook and file below `root` (directories and repos are descended).
async fn list_recursive(client: &WorkspaceClient, root: &str) -> Result<Vec<ObjectInfo>> {
    let mut out = Vec::new();
    let mut pending = vec![root.to_string()];
    while let Some(dir) = pending.pop() {
        for o in client.workspace().list(&dir).await? {
            match o.object_type {
                Some(ObjectType::Directory | ObjectType::Repo) => pending.push(o.path.clone()),
                Some(ObjectType::Notebook | ObjectType::File) => out.push(o),
                _ => {}
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Generates a bundle from an existing job (`databricks bundle generate job`): fetches the job
/// (all pages), exports its notebooks as SOURCE into `src/`, and builds `dev`/`prod` targets
/// for the client's host unless `opts` names another.
///
/// ```no_run
/// # async fn demo(client: databricks_client::WorkspaceClient) -> bundle_gen::Result<()> {
/// let out = bundle_gen::generate_from_job(&client, 123, bundle_gen::JobImportOptions::new()).await?;
/// out.files.write_to("my_bundle").map_err(|e| bundle_gen::Error::Io { path: "my_bundle".into(), source: e })?;
/// # Ok(()) }
/// ```
pub async fn generate_from_job(
    client: &WorkspaceClient,
    job_id: i64,
    mut opts: JobImportOptions,
) -> Result<GeneratedBundle> {
    if opts.host.is_none() {
        opts.host = Some(client.host().as_str().trim_end_matches('/').to_string());
    }
    let job = fetch_job(client, job_id).await?;
    let mut import = JobImport::new(&job, opts)?;
    let sources: Vec<_> = import.sources().to_vec();
    for s in sources {
        let info = match client.workspace().get_status(&s.workspace_path).await {
            Ok(i) => i,
            Err(e) if e.is_not_found() => continue, // finish() reports it
            Err(e) => return Err(e.into()),
        };
        let (format, language) = match s.kind {
            SourceKind::Notebook => (ExportFormat::Source, language_of(&info)),
            SourceKind::File => (ExportFormat::Auto, None),
        };
        let bytes = export(client, &s.workspace_path, format).await?;
        import.add_source(
            &s.workspace_path,
            &String::from_utf8_lossy(&bytes),
            language,
        );
    }
    import.finish()
}

/// Generates a bundle from the notebooks below a workspace folder (see
/// [`bundle_from_notebooks`]).
pub async fn generate_from_workspace_notebooks(
    client: &WorkspaceClient,
    folder: &str,
    opts: &NotebooksOptions,
) -> Result<GeneratedBundle> {
    let root = folder.trim_end_matches('/');
    let mut files = Vec::new();
    for o in list_recursive(client, root).await? {
        let rel = o
            .path
            .strip_prefix(root)
            .unwrap_or(&o.path)
            .trim_start_matches('/')
            .to_string();
        if o.object_type == Some(ObjectType::Notebook) {
            let lang = language_of(&o).unwrap_or(NotebookLanguage::Python);
            let bytes = export(client, &o.path, ExportFormat::Source).await?;
            files.push(NotebookFile::new(
                format!("{rel}.{}", lang.extension()),
                String::from_utf8_lossy(&bytes),
            ));
        } else if let Ok(text) =
            String::from_utf8(export(client, &o.path, ExportFormat::Auto).await?)
        {
            files.push(NotebookFile::new(rel, text));
        }
    }
    let mut o = opts.clone();
    if o.host.is_none() {
        o.host = Some(client.host().as_str().trim_end_matches('/').to_string());
    }
    bundle_from_notebooks(&files, &o)
}

/// What [`upload_bundle`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadReport {
    /// Workspace paths of imported notebooks (extension dropped, as the workspace does).
    pub notebooks: Vec<String>,
    /// Workspace paths of imported files.
    pub files: Vec<String>,
}

/// Uploads a bundle folder to a workspace folder: notebooks are imported as notebooks (SOURCE,
/// extension dropped), other files as workspace files; folders are created and existing
/// objects overwritten.
pub async fn upload_bundle(
    client: &WorkspaceClient,
    tree: &FileTree,
    workspace_dir: &str,
) -> Result<UploadReport> {
    let root = workspace_dir.trim_end_matches('/');
    if !root.starts_with('/') {
        return Err(Error::InvalidInput(format!(
            "workspace folder `{workspace_dir}` must be absolute, e.g. /Workspace/Users/me/my_bundle"
        )));
    }
    let mut report = UploadReport::default();
    let mut made: Vec<String> = Vec::new();
    for path in tree.paths() {
        let Some(bytes) = tree.get(path) else {
            continue;
        };
        let dir = match path.rsplit_once('/') {
            Some((d, _)) => format!("{root}/{d}"),
            None => root.to_string(),
        };
        if !made.contains(&dir) {
            client.workspace().mkdirs(&dir).await?;
            made.push(dir);
        }
        let text = std::str::from_utf8(bytes).unwrap_or("");
        let request = match detect_notebook_kind(path, text) {
            Some(NotebookKind::Source(lang)) => {
                let target = format!("{root}/{}", path.rsplit_once('.').map_or(path, |(s, _)| s));
                report.notebooks.push(target.clone());
                ImportRequest::notebook(target, Language::from(lang.api_name()), bytes.to_vec())
            }
            Some(NotebookKind::Jupyter(_)) => {
                let target = format!("{root}/{}", path.trim_end_matches(".ipynb"));
                report.notebooks.push(target.clone());
                ImportRequest::new(target, bytes.to_vec()).with_format(ExportFormat::Jupyter)
            }
            _ => {
                let target = format!("{root}/{path}");
                report.files.push(target.clone());
                ImportRequest::new(target, bytes.to_vec()).with_format(ExportFormat::Auto)
            }
        };
        client
            .workspace()
            .import(&request.with_overwrite(true))
            .await?;
    }
    Ok(report)
}

/// What [`sync_to_local`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncReport {
    /// Local paths written (new or changed).
    pub written: Vec<String>,
    /// Local paths skipped because the workspace object did not change since the last sync.
    pub unchanged: Vec<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct SyncState {
    /// Local relative path → workspace `modified_at`.
    modified: BTreeMap<String, i64>,
}

/// Syncs a workspace folder into a local folder: recursive export (notebooks as SOURCE with a
/// language extension, files as-is), layout preserved. Objects whose `modified_at` matches the
/// last sync (recorded in [`SYNC_STATE_FILE`]) and whose local file still exists are skipped
/// without downloading; downloaded content equal to the local file is not rewritten.
pub async fn sync_to_local(
    client: &WorkspaceClient,
    workspace_dir: &str,
    local_dir: &Path,
) -> Result<SyncReport> {
    let root = workspace_dir.trim_end_matches('/');
    // Every local read and write below goes through the confined root: a workspace path that
    // would leave `local_dir`, or a symbolic link inside it, is refused and never followed.
    let local = ConfinedRoot::create(local_dir)?;
    let mut state: SyncState = match local.read(SYNC_STATE_FILE)? {
        Some(t) => serde_json::from_slice(&t).unwrap_or_default(),
        None => SyncState::default(),
    };
    let mut report = SyncReport::default();
    for o in list_recursive(client, root).await? {
        let rel = o
            .path
            .strip_prefix(root)
            .unwrap_or(&o.path)
            .trim_start_matches('/')
            .to_string();
        let (local_rel, format) = if o.object_type == Some(ObjectType::Notebook) {
            let lang = language_of(&o).unwrap_or(NotebookLanguage::Python);
            (format!("{rel}.{}", lang.extension()), ExportFormat::Source)
        } else {
            (rel, ExportFormat::Auto)
        };
        crate::check_relative(&local_rel)?;
        let existing = local.read(&local_rel)?;
        if let (Some(m), Some(prev)) = (o.modified_at, state.modified.get(&local_rel))
            && m == *prev
            && existing.is_some()
        {
            report.unchanged.push(local_rel);
            continue;
        }
        let bytes = export(client, &o.path, format).await?;
        if existing.as_deref() == Some(bytes.as_slice()) {
            report.unchanged.push(local_rel.clone());
        } else {
            local.write(&local_rel, &bytes, true)?;
            report.written.push(local_rel.clone());
        }
        if let Some(m) = o.modified_at {
            state.modified.insert(local_rel, m);
        }
    }
    let text = serde_json::to_string_pretty(&state).map_err(|e| Error::Render(e.to_string()))?;
    local.write(SYNC_STATE_FILE, text.as_bytes(), true)?;
    Ok(report)
}
