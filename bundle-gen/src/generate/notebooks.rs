//! Bundle generation from a folder of notebooks.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::{GeneratedBundle, default_targets};
use crate::error::{Error, Result};
use crate::files::FileTree;
use crate::layout::write_bundle;
use crate::model::{Bundle, Job};
use crate::notebook::{
    LibraryKind, NotebookAnalysis, WidgetKind, analyze_notebook, detect_notebook_kind,
    normalize_path,
};
use crate::validate::sanitize_key;

/// One file of the input folder.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NotebookFile {
    /// Path relative to the folder, with `/` separators and extension (`etl/ingest.py`).
    pub path: String,
    /// File text.
    pub content: String,
}

impl NotebookFile {
    /// A file of the input folder.
    pub fn new(path: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            content: content.into(),
        }
    }
}

/// Where the generated tasks run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compute {
    /// Serverless jobs compute: notebook tasks need no compute settings and install their own
    /// `%pip` libraries.
    Serverless,
    /// One shared job cluster (`job_cluster`), with `%pip` libraries installed as task libraries.
    JobCluster {
        /// Databricks Runtime version, e.g. `16.4.x-scala2.12`.
        spark_version: String,
        /// Node type, e.g. `i3.xlarge`.
        node_type_id: String,
        /// Number of workers.
        num_workers: u32,
    },
}

/// Options for [`bundle_from_notebooks`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NotebooksOptions {
    /// Bundle name (also the job name and key unless `job_name` is set).
    pub bundle_name: String,
    /// Job name (default: the bundle name).
    pub job_name: Option<String>,
    /// Compute for the tasks.
    pub compute: Compute,
    /// Explicit task order (paths as in [`NotebookFile::path`]); each task depends on the
    /// previous one. Without it, dependencies come from table lineage (a notebook reading a
    /// table another one writes runs after it).
    pub order: Vec<String>,
    /// Workspace host for the targets.
    pub host: Option<String>,
}

impl NotebooksOptions {
    /// Serverless, lineage-ordered, no host.
    pub fn new(bundle_name: impl Into<String>) -> Self {
        Self {
            bundle_name: bundle_name.into(),
            job_name: None,
            compute: Compute::Serverless,
            order: Vec::new(),
            host: None,
        }
    }

    /// Sets the compute.
    pub fn with_compute(mut self, c: Compute) -> Self {
        self.compute = c;
        self
    }

    /// Sets an explicit task order.
    pub fn with_order(mut self, order: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.order = order.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the workspace host.
    pub fn with_host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Sets the job name.
    pub fn with_job_name(mut self, name: impl Into<String>) -> Self {
        self.job_name = Some(name.into());
        self
    }
}

fn stem(path: &str) -> &str {
    let name_start = path.rfind('/').map_or(0, |i| i + 1);
    match path.get(name_start..).and_then(|n| n.rfind('.')) {
        Some(dot) if dot > 0 => path.get(..name_start + dot).unwrap_or(path),
        _ => path,
    }
}

/// Generates a bundle with one job whose tasks are the notebooks of a folder.
///
/// Notebooks that other notebooks include with `%run` (or call with `dbutils.notebook.run`)
/// are helpers: they are copied to `src/` but get no task. Widgets become job parameters
/// (pushed down to every notebook), `%pip` installs become task libraries on a job cluster.
///
/// ```
/// use bundle_gen::{bundle_from_notebooks, NotebookFile, NotebooksOptions};
/// let files = [
///     NotebookFile::new("ingest.py", "# Databricks notebook source\ndbutils.widgets.text(\"catalog\", \"main\")\ndf.write.saveAsTable(\"main.s.raw\")\n"),
///     NotebookFile::new("report.sql", "-- Databricks notebook source\nSELECT * FROM main.s.raw\n"),
/// ];
/// let out = bundle_from_notebooks(&files, &NotebooksOptions::new("sales")).unwrap();
/// let yaml = out.files.text("resources/sales.job.yml").unwrap();
/// assert!(yaml.contains("notebook_path: ../src/report.sql"));
/// assert!(out.validate().is_empty());
/// ```
pub fn bundle_from_notebooks(
    files: &[NotebookFile],
    opts: &NotebooksOptions,
) -> Result<GeneratedBundle> {
    let mut warnings = Vec::new();
    let mut notebooks: Vec<(&NotebookFile, NotebookAnalysis)> = Vec::new();
    let mut sources = FileTree::new();
    for f in files {
        let path = normalize_path(&f.path);
        if path.starts_with("..") || path.is_empty() {
            return Err(Error::InvalidInput(format!(
                "notebook path `{}` must be relative to the folder",
                f.path
            )));
        }
        sources.insert(format!("src/{path}"), f.content.clone());
        if detect_notebook_kind(&path, &f.content).is_some() {
            notebooks.push((f, analyze_notebook(&path, &f.content)));
        }
    }
    if notebooks.is_empty() {
        return Err(Error::InvalidInput(
            "no notebooks found: source notebooks need the `# Databricks notebook source` header (or -- / // for SQL / Scala), or use .ipynb".to_string(),
        ));
    }
    // helpers: %run / notebook.run targets (resolved, extension-less)
    let helpers: BTreeSet<String> = notebooks
        .iter()
        .flat_map(|(_, a)| {
            a.runs
                .iter()
                .map(|r| r.resolved.clone())
                .chain(a.notebook_calls.iter().map(|c| c.resolved.clone()))
        })
        .collect();
    let mut tasks: Vec<(&NotebookFile, &NotebookAnalysis)> = notebooks
        .iter()
        .filter(|(f, _)| !helpers.contains(stem(&normalize_path(&f.path))))
        .map(|(f, a)| (*f, a))
        .collect();
    if tasks.is_empty() {
        return Err(Error::InvalidInput(
            "every notebook is included by another one with %run; nothing to run as a task"
                .to_string(),
        ));
    }
    for o in &opts.order {
        if !tasks.iter().any(|(f, _)| &f.path == o) {
            return Err(Error::InvalidInput(format!(
                "`{o}` in the task order is not one of the task notebooks"
            )));
        }
    }
    tasks.sort_by_key(|(f, _)| {
        (
            opts.order
                .iter()
                .position(|o| o == &f.path)
                .unwrap_or(usize::MAX),
            f.path.clone(),
        )
    });

    // task keys
    let mut keys: Vec<String> = Vec::new();
    for (f, _) in &tasks {
        let p = normalize_path(&f.path);
        let base = sanitize_key(stem(p.rsplit('/').next().unwrap_or(&p)));
        let mut k = if base.is_empty() {
            "task".to_string()
        } else {
            base
        };
        if keys.contains(&k) {
            k = sanitize_key(stem(&p));
        }
        let mut n = 2;
        let orig = k.clone();
        while keys.contains(&k) {
            k = format!("{orig}_{n}");
            n += 1;
        }
        keys.push(k);
    }

    // dependencies
    let mut deps: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); tasks.len()];
    if !opts.order.is_empty() {
        for i in 1..opts.order.len().min(tasks.len()) {
            if let Some(d) = deps.get_mut(i) {
                d.insert(i - 1);
            }
        }
    } else {
        for (j, (_, b)) in tasks.iter().enumerate() {
            for (i, (_, a)) in tasks.iter().enumerate().take(j) {
                let writes: BTreeSet<String> = a
                    .tables_written
                    .iter()
                    .filter(|t| !t.templated)
                    .map(|t| t.name.to_ascii_lowercase())
                    .collect();
                if b.tables_read
                    .iter()
                    .any(|t| !t.templated && writes.contains(&t.name.to_ascii_lowercase()))
                    && let Some(d) = deps.get_mut(j)
                {
                    d.insert(i);
                }
            }
        }
    }

    // parameters
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    let mut param_order: Vec<String> = Vec::new();
    for (f, a) in notebooks.iter() {
        for w in a
            .widgets
            .iter()
            .filter(|w| w.kind != WidgetKind::Read)
            .chain(a.widgets.iter().filter(|w| w.kind == WidgetKind::Read))
        {
            let default = w.default.clone().unwrap_or_default();
            match params.get(&w.name) {
                None => {
                    params.insert(w.name.clone(), default);
                    param_order.push(w.name.clone());
                }
                Some(existing) if w.default.is_some() && existing != &default && !existing.is_empty() => warnings.push(format!(
                    "widget `{}` has default `{default}` in {} but `{existing}` elsewhere; the job parameter uses `{existing}`",
                    w.name, f.path
                )),
                Some(existing) if existing.is_empty() && w.default.is_some() => {
                    params.insert(w.name.clone(), default);
                }
                Some(_) => {}
            }
        }
    }

    let job_cluster = matches!(opts.compute, Compute::JobCluster { .. });
    let mut task_values = Vec::new();
    for (i, (f, a)) in tasks.iter().enumerate() {
        let mut t = json!({
            "task_key": keys.get(i),
            "notebook_task": {"notebook_path": format!("../src/{}", normalize_path(&f.path))},
        });
        let d: Vec<Value> = deps
            .get(i)
            .into_iter()
            .flatten()
            .filter_map(|j| keys.get(*j))
            .map(|k| json!({"task_key": k}))
            .collect();
        if !d.is_empty() {
            t["depends_on"] = Value::Array(d);
        }
        if job_cluster {
            t["job_cluster_key"] = json!("job_cluster");
            let mut libs = Vec::new();
            for l in &a.libraries {
                match l.kind {
                    LibraryKind::Pip if l.spec.ends_with(".whl") => {
                        libs.push(json!({"whl": l.spec}))
                    }
                    LibraryKind::Pip => libs.push(json!({"pypi": {"package": l.spec}})),
                    LibraryKind::Requirements => libs.push(json!({"requirements": l.spec})),
                    LibraryKind::Editable | LibraryKind::Conda => {
                        warnings.push(format!(
                            "{}: `{}` cannot be a task library; it stays in the notebook",
                            f.path, l.spec
                        ));
                    }
                }
            }
            if !libs.is_empty() {
                t["libraries"] = Value::Array(libs);
            }
        }
        for w in &a.warnings {
            warnings.push(format!("{}:{}: {}", f.path, w.line, w.message));
        }
        task_values.push(t);
    }
    let job_name = opts
        .job_name
        .clone()
        .unwrap_or_else(|| opts.bundle_name.clone());
    let mut settings = json!({"name": job_name, "tasks": task_values});
    if !param_order.is_empty() {
        settings["parameters"] = Value::Array(
            param_order
                .iter()
                .map(|n| json!({"name": n, "default": params.get(n).cloned().unwrap_or_default()}))
                .collect(),
        );
    }
    if let Compute::JobCluster {
        spark_version,
        node_type_id,
        num_workers,
    } = &opts.compute
    {
        settings["job_clusters"] = json!([{
            "job_cluster_key": "job_cluster",
            "new_cluster": {
                "spark_version": spark_version,
                "node_type_id": node_type_id,
                "num_workers": num_workers,
                "data_security_mode": "DATA_SECURITY_MODE_AUTO",
            }
        }]);
    }
    let settings = serde_json::from_value(settings)
        .map_err(|e| Error::InvalidInput(format!("generated job settings are invalid: {e}")))?;
    let key = {
        let k = sanitize_key(&job_name);
        if k.is_empty() { "job".to_string() } else { k }
    };
    let mut bundle = Bundle::new(opts.bundle_name.clone())
        .with_include(crate::layout::RESOURCES_GLOB)
        .with_job(key, Job::new(settings));
    for (name, t) in default_targets(opts.host.as_deref()) {
        bundle.targets.insert(name, t);
    }
    let mut out = write_bundle(&bundle)?;
    out.extend(sources);
    Ok(GeneratedBundle {
        bundle,
        files: out,
        warnings,
    })
}
