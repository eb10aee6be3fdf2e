//! The CLI's project layout: `databricks.yml`, `resources/<key>.<kind>.yml`, `src/...`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::files::{FileTree, glob_match};
use crate::model::{Bundle, Resources};
use crate::render::render_document;

/// The include glob written into generated bundles.
pub const RESOURCES_GLOB: &str = "resources/*.yml";

const ROOT_FILES: &[&str] = &["databricks.yml", "databricks.yaml", "bundle.yml"];

/// Singular name of a resource kind for file names (`jobs` → `job`).
pub(crate) fn kind_singular(kind: &str) -> &str {
    kind.strip_suffix('s').unwrap_or(kind)
}

fn to_value<T: Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::Render(e.to_string()))
}

/// Renders a bundle in the CLI's layout: `databricks.yml` holds everything but resources,
/// each resource goes to `resources/<key>.<kind>.yml`, and `include: [resources/*.yml]` is
/// added when needed. Deterministic: the same bundle always gives the same bytes.
///
/// ```
/// use bundle_gen::{Bundle, Job, JobSettings, write_bundle, load_bundle};
/// let job: JobSettings = serde_json::from_value(serde_json::json!({"name": "etl"})).unwrap();
/// let bundle = Bundle::new("demo").with_job("etl", Job::new(job));
/// let tree = write_bundle(&bundle).unwrap();
/// assert!(tree.contains("resources/etl.job.yml"));
/// let mut expected = bundle.clone();
/// expected.include.push("resources/*.yml".into());
/// assert_eq!(load_bundle(&tree).unwrap(), expected);
/// ```
pub fn write_bundle(bundle: &Bundle) -> Result<FileTree> {
    let mut tree = FileTree::new();
    let mut root = bundle.clone();
    let resources = std::mem::take(&mut root.resources);
    if !resources.is_empty() && !root.include.iter().any(|g| g == RESOURCES_GLOB) {
        let covered = |file: &str| root.include.iter().any(|g| glob_match(g, file));
        let needs = resources
            .jobs
            .keys()
            .any(|k| !covered(&format!("resources/{k}.job.yml")))
            || resources.other.iter().any(|(kind, m)| {
                m.keys()
                    .any(|k| !covered(&format!("resources/{k}.{}.yml", kind_singular(kind))))
            });
        if needs {
            root.include.push(RESOURCES_GLOB.to_string());
        }
    }
    tree.insert("databricks.yml", render_document(&to_value(&root)?)?);
    for (key, job) in &resources.jobs {
        let doc = json!({"resources": {"jobs": {key: to_value(job)?}}});
        tree.insert(format!("resources/{key}.job.yml"), render_document(&doc)?);
    }
    for (kind, items) in &resources.other {
        for (key, v) in items {
            let doc = json!({"resources": {kind: {key: v}}});
            tree.insert(
                format!("resources/{key}.{}.yml", kind_singular(kind)),
                render_document(&doc)?,
            );
        }
    }
    Ok(tree)
}

/// Renders a bundle as a single `databricks.yml` text (resources inline).
pub fn render_bundle(bundle: &Bundle) -> Result<String> {
    render_document(&to_value(bundle)?)
}

fn parse_doc<T: DeserializeOwned>(file: &str, text: &str) -> Result<T> {
    serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map_or((0, 0), |l| (l.line() as usize, l.column() as usize));
        Error::Parse {
            file: file.to_string(),
            line,
            column,
            message: e.to_string().lines().next().unwrap_or_default().to_string(),
        }
    })
}

/// Parses one `databricks.yml` text (resources inline; `include` is not followed).
pub fn parse_bundle(yaml: &str) -> Result<Bundle> {
    parse_doc("databricks.yml", yaml)
}

#[derive(serde::Deserialize)]
struct Fragment {
    #[serde(default)]
    resources: Resources,
}

/// Loads a bundle from a file tree: the root file plus every file matched by its `include`
/// globs, with resources merged. Duplicate resource keys are an error.
pub fn load_bundle(tree: &FileTree) -> Result<Bundle> {
    let root_file = ROOT_FILES
        .iter()
        .find(|f| tree.contains(f))
        .ok_or_else(|| {
            Error::InvalidInput("no databricks.yml found at the bundle root".to_string())
        })?;
    let text = tree
        .text(root_file)
        .ok_or_else(|| Error::InvalidInput(format!("{root_file} is not UTF-8 text")))?;
    let mut bundle: Bundle = parse_doc(root_file, text)?;
    let mut files: Vec<&str> = Vec::new();
    for glob in &bundle.include {
        let mut matched: Vec<&str> = tree
            .paths()
            .filter(|p| glob_match(glob, p) && !ROOT_FILES.contains(p))
            .collect();
        matched.sort_unstable();
        for m in matched {
            if !files.contains(&m) {
                files.push(m);
            }
        }
    }
    for f in files {
        let text = tree
            .text(f)
            .ok_or_else(|| Error::InvalidInput(format!("{f} is not UTF-8 text")))?;
        let frag: Fragment = parse_doc(f, text)?;
        for (k, j) in frag.resources.jobs {
            if bundle.resources.jobs.insert(k.clone(), j).is_some() {
                return Err(Error::InvalidInput(format!(
                    "job `{k}` is defined twice (again in {f}); rename one of them"
                )));
            }
        }
        for (kind, items) in frag.resources.other {
            let entry: &mut BTreeMap<String, Value> =
                bundle.resources.other.entry(kind.clone()).or_default();
            for (k, v) in items {
                if entry.insert(k.clone(), v).is_some() {
                    return Err(Error::InvalidInput(format!(
                        "{kind} `{k}` is defined twice (again in {f}); rename one of them"
                    )));
                }
            }
        }
    }
    Ok(bundle)
}
