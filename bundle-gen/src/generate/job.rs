//! Bundle generation from an existing job (`databricks bundle generate job`, plus variables and
//! targets).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::{GeneratedBundle, default_targets, source_extension};
use crate::error::{Error, Result};
use crate::files::FileTree;
use crate::layout::write_bundle;
use crate::model::{Bundle, Job, Variable};
use crate::notebook::{NotebookLanguage, normalize_path};
use crate::validate::sanitize_key;

/// Fields of a `jobs.get` response outside `settings` (dropped).
const JOB_ENVELOPE: &[&str] = &[
    "job_id",
    "created_time",
    "creator_user_name",
    "run_as_user_name",
    "effective_budget_policy_id",
    "effective_usage_policy_id",
    "trigger_state",
    "trigger_details",
    "has_more",
    "next_page_token",
    "run_as_owner",
];
/// Settings managed by the CLI or legacy single-task fields (dropped).
const STRIPPED_SETTINGS: &[&str] = &[
    "format",
    "deployment",
    "edit_mode",
    "new_cluster",
    "existing_cluster_id",
];

/// Options for [`JobImport`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct JobImportOptions {
    /// Resource key (default: the job name sanitised as the CLI does).
    pub key: Option<String>,
    /// Bundle name (default: the key).
    pub bundle_name: Option<String>,
    /// Workspace host for the `dev`/`prod` targets.
    pub host: Option<String>,
    /// Lift warehouse, cluster, policy and pool ids into variables (default true).
    pub id_variables: bool,
    /// Also download `spark_python_task` workspace files.
    pub download_python_files: bool,
}

impl JobImportOptions {
    /// Defaults: key from the job name, id variables on.
    pub fn new() -> Self {
        Self {
            id_variables: true,
            ..Self::default()
        }
    }

    /// Sets the resource key.
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Sets the bundle name.
    pub fn with_bundle_name(mut self, name: impl Into<String>) -> Self {
        self.bundle_name = Some(name.into());
        self
    }

    /// Sets the workspace host of the targets.
    pub fn with_host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Turns id variables on or off.
    pub fn with_id_variables(mut self, on: bool) -> Self {
        self.id_variables = on;
        self
    }

    /// Also downloads `spark_python_task` workspace files.
    pub fn with_python_files(mut self, on: bool) -> Self {
        self.download_python_files = on;
        self
    }
}

/// Kind of a workspace source referenced by a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceKind {
    /// A notebook (exported as SOURCE; gets a language extension).
    Notebook,
    /// A workspace file (keeps its name).
    File,
}

/// A workspace object the generated bundle needs locally.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SourceRef {
    /// Workspace path as written in the job.
    pub workspace_path: String,
    /// Notebook or file.
    pub kind: SourceKind,
    /// Bundle-relative local path without the notebook extension (`src/etl/load`).
    pub local_stem: String,
}

/// Converts job settings into a bundle, in two steps so callers can download sources in
/// between: [`JobImport::sources`] lists what is needed, [`JobImport::add_source`] takes each
/// exported text, and [`JobImport::finish`] produces the bundle and its files.
///
/// ```
/// use bundle_gen::{JobImport, JobImportOptions, NotebookLanguage};
/// let job = serde_json::json!({"job_id": 1, "settings": {"name": "Nightly ETL", "tasks": [
///     {"task_key": "ingest", "notebook_task": {"notebook_path": "/Users/a@x.com/etl/ingest"}}]}});
/// let mut import = JobImport::new(&job, JobImportOptions::new()).unwrap();
/// assert_eq!(import.sources()[0].local_stem, "src/ingest");
/// import.add_source("/Users/a@x.com/etl/ingest", "# Databricks notebook source\nprint(1)\n", Some(NotebookLanguage::Python));
/// let out = import.finish().unwrap();
/// assert!(out.files.contains("resources/nightly_etl.job.yml"));
/// assert!(out.files.contains("src/ingest.py"));
/// ```
#[derive(Debug, Clone)]
pub struct JobImport {
    settings: Map<String, Value>,
    key: String,
    opts: JobImportOptions,
    sources: Vec<SourceRef>,
    downloaded: BTreeMap<String, (String, String)>,
    warnings: Vec<String>,
}

impl JobImport {
    /// Starts from a `jobs.get` response (with `settings`) or bare job settings.
    pub fn new(job: &Value, opts: JobImportOptions) -> Result<Self> {
        let obj = job.as_object().ok_or_else(|| {
            Error::InvalidInput(
                "job JSON must be an object (the jobs.get response or its `settings`)".to_string(),
            )
        })?;
        let mut settings = match obj.get("settings") {
            Some(Value::Object(s)) => s.clone(),
            _ => obj
                .iter()
                .filter(|(k, _)| !JOB_ENVELOPE.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        let mut warnings = Vec::new();
        for f in STRIPPED_SETTINGS {
            if settings.remove(*f).is_some() && matches!(*f, "new_cluster" | "existing_cluster_id")
            {
                warnings.push(format!(
                    "dropped legacy job-level `{f}`; set compute per task"
                ));
            }
        }
        settings.retain(|k, _| !k.starts_with("effective_"));
        if let Some(Value::Array(tasks)) = settings.get_mut("tasks") {
            for t in tasks.iter_mut() {
                clean_task(t);
            }
        }
        prune(&mut settings);
        visit_tasks(&settings, &mut |t| {
            if let Some(id) = t.get("run_job_task").and_then(|r| r.get("job_id")) {
                let task = t.get("task_key").and_then(Value::as_str).unwrap_or("?");
                warnings.push(format!(
                    "task `{task}` runs job {id}, an id that differs per workspace; if that job is \
                     part of the bundle, use ${{resources.jobs.<key>.id}}"
                ));
            }
        });
        let name = settings
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("job")
            .to_string();
        let key = match &opts.key {
            Some(k) if !is_resource_key(k) => {
                return Err(Error::InvalidInput(format!(
                    "resource key `{}` is not usable: a key is letters, digits, `_` and `-` \
                     (it names resources/<key>.job.yml); pass e.g. `{}`",
                    k.chars().take(80).collect::<String>(),
                    match sanitize_key(k) {
                        s if s.is_empty() => "my_job".to_string(),
                        s => s,
                    }
                )));
            }
            Some(k) => k.clone(),
            None => {
                let k = sanitize_key(&name);
                if k.is_empty() { "job".to_string() } else { k }
            }
        };
        let mut import = Self {
            settings,
            key,
            opts,
            sources: Vec::new(),
            downloaded: BTreeMap::new(),
            warnings,
        };
        import.plan_sources();
        Ok(import)
    }

    fn plan_sources(&mut self) {
        if self.settings.contains_key("git_source") {
            self.warnings.push("the job uses git_source: task paths stay repository-relative and nothing is downloaded".to_string());
            return;
        }
        let mut refs: Vec<(String, SourceKind)> = Vec::new();
        let download_files = self.opts.download_python_files;
        visit_tasks(&self.settings, &mut |t| {
            if let Some(nb) = t.get("notebook_task")
                && nb.get("source").and_then(Value::as_str) != Some("GIT")
                && let Some(p) = nb.get("notebook_path").and_then(Value::as_str)
                && p.starts_with('/')
            {
                refs.push((p.to_string(), SourceKind::Notebook));
            }
            if download_files
                && let Some(sp) = t.get("spark_python_task")
                && sp.get("source").and_then(Value::as_str) != Some("GIT")
                && let Some(p) = sp.get("python_file").and_then(Value::as_str)
                && p.starts_with('/')
                && !p.starts_with("/Volumes/")
            {
                refs.push((p.to_string(), SourceKind::File));
            }
        });
        let mut seen = BTreeSet::new();
        refs.retain(|(p, _)| seen.insert(p.clone()));
        let dirs: Vec<&str> = refs
            .iter()
            .map(|(p, _)| p.rsplit_once('/').map_or("", |(d, _)| d))
            .collect();
        let common = common_dir(&dirs);
        for (p, kind) in refs {
            let rel = p
                .strip_prefix(&common)
                .unwrap_or(&p)
                .trim_start_matches('/');
            self.sources.push(SourceRef {
                local_stem: format!("src/{}", normalize_path(rel)),
                workspace_path: p,
                kind,
            });
        }
    }

    /// The workspace sources to download (notebooks, and python files when enabled).
    pub fn sources(&self) -> &[SourceRef] {
        &self.sources
    }

    /// The resource key the job will get.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Provides the exported text of a source. The extension comes from `language` (the
    /// workspace's `get-status` language), else from the content (`.ipynb` JSON, or the source
    /// header's comment style).
    pub fn add_source(
        &mut self,
        workspace_path: &str,
        content: &str,
        language: Option<NotebookLanguage>,
    ) {
        let Some(src) = self
            .sources
            .iter()
            .find(|s| s.workspace_path == workspace_path)
        else {
            self.warnings
                .push(format!("ignored unrequested source {workspace_path}"));
            return;
        };
        let local = match src.kind {
            SourceKind::File => src.local_stem.clone(),
            SourceKind::Notebook => {
                format!("{}.{}", src.local_stem, source_extension(content, language))
            }
        };
        self.downloaded
            .insert(workspace_path.to_string(), (local, content.to_string()));
    }

    /// Builds the bundle: paths of downloaded sources rewritten relative to `resources/` (with
    /// extension), ids lifted into variables, `dev`/`prod` targets.
    pub fn finish(mut self) -> Result<GeneratedBundle> {
        for s in &self.sources {
            if !self.downloaded.contains_key(&s.workspace_path) {
                self.warnings.push(format!(
                    "{} was not downloaded; its task keeps the workspace path",
                    s.workspace_path
                ));
            }
        }
        let mapping: BTreeMap<String, String> = self
            .downloaded
            .iter()
            .map(|(ws, (local, _))| (ws.clone(), format!("../{local}")))
            .collect();
        visit_tasks_mut(&mut self.settings, &mut |t| {
            for (task_kind, field) in [
                ("notebook_task", "notebook_path"),
                ("spark_python_task", "python_file"),
            ] {
                if let Some(Value::Object(inner)) = t.get_mut(task_kind)
                    && let Some(Value::String(p)) = inner.get_mut(field)
                    && let Some(new) = mapping.get(p.as_str())
                {
                    *p = new.clone();
                    if task_kind == "spark_python_task"
                        || inner.get("source").and_then(Value::as_str) == Some("WORKSPACE")
                    {
                        inner.remove("source");
                    }
                }
            }
        });
        let mut bundle = Bundle::new(
            self.opts
                .bundle_name
                .clone()
                .unwrap_or_else(|| self.key.clone()),
        );
        if self.opts.id_variables {
            for (name, var) in lift_ids(&mut self.settings) {
                bundle.variables.insert(name, var);
            }
        }
        let settings = serde_json::from_value(Value::Object(self.settings))
            .map_err(|e| Error::InvalidInput(format!("job settings could not be read: {e}")))?;
        bundle
            .resources
            .jobs
            .insert(self.key.clone(), Job::new(settings));
        bundle
            .include
            .push(crate::layout::RESOURCES_GLOB.to_string());
        for (name, t) in default_targets(self.opts.host.as_deref()) {
            bundle.targets.insert(name, t);
        }
        let mut files = write_bundle(&bundle)?;
        let mut sources = FileTree::new();
        for (local, content) in self.downloaded.into_values() {
            sources.insert(local, content);
        }
        files.extend(sources);
        Ok(GeneratedBundle {
            bundle,
            files,
            warnings: self.warnings,
        })
    }
}

/// Longest common directory of workspace folders (`/a/b` and `/a/c` → `/a`).
fn common_dir(dirs: &[&str]) -> String {
    let Some(first) = dirs.first() else {
        return String::new();
    };
    let mut common: Vec<&str> = first.split('/').collect();
    for d in dirs.iter().skip(1) {
        let segs: Vec<&str> = d.split('/').collect();
        let n = common
            .iter()
            .zip(segs.iter())
            .take_while(|(a, b)| a == b)
            .count();
        common.truncate(n);
    }
    common.join("/")
}

fn clean_task(t: &mut Value) {
    if let Value::Object(m) = t {
        m.remove("format");
        m.retain(|k, _| !k.starts_with("effective_"));
        if let Some(Value::Object(fe)) = m.get_mut("for_each_task")
            && let Some(inner) = fe.get_mut("task")
        {
            clean_task(inner);
        }
    }
}

/// Drops nulls, empty maps/lists and `timeout_seconds: 0` (the CLI omits zero values), except
/// job parameter defaults.
fn prune(m: &mut Map<String, Value>) {
    m.retain(|k, v| {
        prune_value(v);
        !(v.is_null()
            || v.as_object().is_some_and(Map::is_empty)
            || v.as_array().is_some_and(Vec::is_empty)
            || (k == "timeout_seconds" && v.as_i64() == Some(0)))
    });
}

fn prune_value(v: &mut Value) {
    match v {
        Value::Object(m) => prune(m),
        Value::Array(items) => items.iter_mut().for_each(prune_value),
        _ => {}
    }
}

fn visit_tasks(settings: &Map<String, Value>, f: &mut dyn FnMut(&Map<String, Value>)) {
    fn visit(t: &Value, f: &mut dyn FnMut(&Map<String, Value>)) {
        if let Some(m) = t.as_object() {
            f(m);
            if let Some(inner) = m.get("for_each_task").and_then(|fe| fe.get("task")) {
                visit(inner, f);
            }
        }
    }
    for t in settings
        .get("tasks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        visit(t, f);
    }
}

fn visit_tasks_mut(settings: &mut Map<String, Value>, f: &mut dyn FnMut(&mut Map<String, Value>)) {
    fn visit(t: &mut Value, f: &mut dyn FnMut(&mut Map<String, Value>)) {
        if let Some(m) = t.as_object_mut() {
            f(m);
            if let Some(Value::Object(fe)) = m.get_mut("for_each_task")
                && let Some(inner) = fe.get_mut("task")
            {
                visit(inner, f);
            }
        }
    }
    if let Some(Value::Array(tasks)) = settings.get_mut("tasks") {
        for t in tasks {
            visit(t, f);
        }
    }
}

/// Id fields that differ between workspaces: (field name, variable base name, description).
const ID_FIELDS: &[(&str, &str, &str)] = &[
    ("warehouse_id", "warehouse_id", "SQL warehouse id"),
    (
        "existing_cluster_id",
        "cluster_id",
        "All-purpose cluster id",
    ),
    ("policy_id", "policy_id", "Cluster policy id"),
    ("instance_pool_id", "instance_pool_id", "Instance pool id"),
    (
        "driver_instance_pool_id",
        "driver_instance_pool_id",
        "Driver instance pool id",
    ),
    (
        "pipeline_id",
        "pipeline_id",
        "Id of a pipeline refreshed by a pipeline task",
    ),
];

/// An id value as text (ids are strings or, for jobs, numbers).
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.contains("${") && !s.contains("{{") => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Replaces environment-specific ids with `${var.*}` and returns the variables.
fn lift_ids(settings: &mut Map<String, Value>) -> BTreeMap<String, Variable> {
    // collect distinct values per field in document order
    let mut found: BTreeMap<&str, Vec<(String, Value)>> = BTreeMap::new();
    fn collect(v: &Value, found: &mut BTreeMap<&'static str, Vec<(String, Value)>>) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    if let Some((field, _, _)) = ID_FIELDS.iter().find(|(f, _, _)| f == k)
                        && let Some(s) = id_text(child)
                    {
                        let list = found.entry(field).or_default();
                        if !list.iter().any(|(x, _)| *x == s) {
                            list.push((s, child.clone()));
                        }
                    }
                    collect(child, found);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| collect(i, found)),
            _ => {}
        }
    }
    let whole = Value::Object(std::mem::take(settings));
    collect(&whole, &mut found);
    let mut names: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut vars = BTreeMap::new();
    for (field, values) in &found {
        let Some((_, base, desc)) = ID_FIELDS.iter().find(|(f, _, _)| f == field) else {
            continue;
        };
        for (i, (text, original)) in values.iter().enumerate() {
            let name = if values.len() == 1 {
                (*base).to_string()
            } else {
                format!("{base}_{}", i + 1)
            };
            let mut var = Variable::new(text.clone())
                .with_description(format!("{desc} (differs per workspace)"));
            var.default = Some(original.clone());
            vars.insert(name.clone(), var);
            names.insert(((*field).to_string(), text.clone()), name);
        }
    }
    fn replace(v: &mut Value, names: &BTreeMap<(String, String), String>) {
        match v {
            Value::Object(m) => {
                for (k, child) in m.iter_mut() {
                    if let Some(n) = id_text(child).and_then(|t| names.get(&(k.clone(), t))) {
                        *child = Value::String(format!("${{var.{n}}}"));
                    } else {
                        replace(child, names);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| replace(i, names)),
            _ => {}
        }
    }
    let mut whole = whole;
    replace(&mut whole, &names);
    if let Value::Object(m) = whole {
        *settings = m;
    }
    vars
}

/// True for a resource key the CLI accepts (and that is a safe file name).
fn is_resource_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 255
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_dirs() {
        assert_eq!(
            common_dir(&["/Users/a/proj/etl", "/Users/a/proj/report"]),
            "/Users/a/proj"
        );
        assert_eq!(common_dir(&["/Users/a/proj/etl"]), "/Users/a/proj/etl");
        assert_eq!(common_dir(&[]), "");
    }
}
