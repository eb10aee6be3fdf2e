//! The individual offline checks.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::refs::{self, Interp};
use super::schema::SchemaWalker;
use super::{Diagnostic, Severity};
use crate::files::{FileTree, glob_match, is_glob};
use crate::notebook::{detect_notebook_kind, normalize_path};
use crate::yaml::{self, Pos, YamlKey, YamlNode, YamlValue};

/// A finding before its file is attached.
#[derive(Debug)]
pub(super) struct Finding {
    severity: Severity,
    path: String,
    pos: Pos,
    message: String,
    hint: Option<String>,
}

impl Finding {
    pub(super) fn new(
        severity: Severity,
        path: &str,
        pos: Pos,
        message: String,
        hint: Option<String>,
    ) -> Self {
        Self {
            severity,
            path: path.to_string(),
            pos,
            message,
            hint,
        }
    }
}

const ROOT_FILES: &[&str] = &["databricks.yml", "databricks.yaml", "bundle.yml"];

const TOP_LEVEL: &[&str] = &[
    "artifacts",
    "bundle",
    "environments",
    "experimental",
    "include",
    "permissions",
    "presets",
    "python",
    "resources",
    "run_as",
    "scripts",
    "sync",
    "targets",
    "variables",
    "workspace",
];
const BUNDLE_KEYS: &[&str] = &[
    "name",
    "uuid",
    "engine",
    "cluster_id",
    "compute_id",
    "databricks_cli_version",
    "deployment",
    "git",
];
const WORKSPACE_KEYS: &[&str] = &[
    "host",
    "profile",
    "auth_type",
    "client_id",
    "azure_client_id",
    "azure_environment",
    "azure_login_app_id",
    "azure_tenant_id",
    "azure_use_msi",
    "azure_workspace_resource_id",
    "google_service_account",
    "account_id",
    "workspace_id",
    "root_path",
    "file_path",
    "resource_path",
    "artifact_path",
    "state_path",
    "metadata_service_url",
    "experimental_is_unified_host",
];
const AUTH_KEYS: &[&str] = &[
    "host",
    "profile",
    "auth_type",
    "client_id",
    "azure_client_id",
    "azure_environment",
    "azure_login_app_id",
    "azure_tenant_id",
    "azure_workspace_resource_id",
    "google_service_account",
    "account_id",
    "workspace_id",
];
const TARGET_KEYS: &[&str] = &[
    "default",
    "mode",
    "presets",
    "bundle",
    "workspace",
    "artifacts",
    "resources",
    "variables",
    "git",
    "run_as",
    "sync",
    "permissions",
    "cluster_id",
    "compute_id",
];
const VARIABLE_KEYS: &[&str] = &["description", "default", "type", "lookup"];
const LOOKUP_KINDS: &[&str] = &[
    "alert",
    "cluster",
    "cluster_policy",
    "dashboard",
    "instance_pool",
    "job",
    "metastore",
    "notification_destination",
    "pipeline",
    "query",
    "service_principal",
    "warehouse",
];
const RESOURCE_KINDS: &[&str] = &[
    "jobs",
    "pipelines",
    "job_runs",
    "clusters",
    "instance_pools",
    "sql_warehouses",
    "dashboards",
    "alerts",
    "genie_spaces",
    "apps",
    "experiments",
    "models",
    "registered_models",
    "model_serving_endpoints",
    "quality_monitors",
    "catalogs",
    "schemas",
    "volumes",
    "external_locations",
    "secret_scopes",
    "secrets",
    "database_instances",
    "database_catalogs",
    "synced_database_tables",
    "postgres_projects",
    "postgres_branches",
    "postgres_endpoints",
    "postgres_databases",
    "postgres_roles",
    "postgres_catalogs",
    "postgres_synced_tables",
    "vector_search_endpoints",
    "vector_search_indexes",
    "cluster_policies",
    "features",
    "mcp_services",
    "model_provider_services",
    "model_services",
];
const JOB_KEYS: &[&str] = &[
    "name",
    "description",
    "tasks",
    "job_clusters",
    "environments",
    "parameters",
    "schedule",
    "trigger",
    "continuous",
    "triggers",
    "email_notifications",
    "webhook_notifications",
    "notification_settings",
    "health",
    "max_concurrent_runs",
    "timeout_seconds",
    "queue",
    "tags",
    "git_source",
    "run_as",
    "performance_target",
    "budget_policy_id",
    "usage_policy_id",
    "parent_path",
    "permissions",
    "lifecycle",
    "duration_target",
    "environment_variables",
    "compute",
    "usage_policy",
];
const READ_ONLY_JOB_FIELDS: &[&str] = &[
    "job_id",
    "created_time",
    "creator_user_name",
    "run_as_user_name",
    "effective_budget_policy_id",
    "effective_usage_policy_id",
    "trigger_state",
    "trigger_details",
    "settings",
    "has_more",
    "run_as_owner",
];
const TASK_KINDS: &[&str] = &[
    "notebook_task",
    "spark_python_task",
    "python_wheel_task",
    "spark_jar_task",
    "spark_submit_task",
    "sql_task",
    "pipeline_task",
    "run_job_task",
    "dbt_task",
    "for_each_task",
    "condition_task",
    "dashboard_task",
    "power_bi_task",
    "alert_task",
    "clean_rooms_notebook_task",
    "dbt_platform_task",
    "dbt_cloud_task",
    "ai_runtime_task",
    "gen_ai_compute_task",
    "python_operator_task",
];
const TASK_KEYS: &[&str] = &[
    "task_key",
    "description",
    "depends_on",
    "run_if",
    "timeout_seconds",
    "max_retries",
    "min_retry_interval_millis",
    "retry_on_timeout",
    "disabled",
    "email_notifications",
    "webhook_notifications",
    "notification_settings",
    "health",
    "libraries",
    "job_cluster_key",
    "existing_cluster_id",
    "new_cluster",
    "environment_key",
    "compute",
    "disable_auto_optimization",
];
const COMPUTE_KINDS: &[&str] = &[
    "spark_python_task",
    "python_wheel_task",
    "spark_jar_task",
    "spark_submit_task",
    "dbt_task",
];
const COMPUTE_KEYS: &[&str] = &[
    "job_cluster_key",
    "environment_key",
    "existing_cluster_id",
    "new_cluster",
    "compute",
];
const RUN_IF: &[&str] = &[
    "ALL_SUCCESS",
    "ALL_DONE",
    "NONE_FAILED",
    "AT_LEAST_ONE_SUCCESS",
    "ALL_FAILED",
    "AT_LEAST_ONE_FAILED",
];
const CONDITION_OPS: &[&str] = &[
    "EQUAL_TO",
    "NOT_EQUAL",
    "GREATER_THAN",
    "GREATER_THAN_OR_EQUAL",
    "LESS_THAN",
    "LESS_THAN_OR_EQUAL",
];
const PAUSE_STATUS: &[&str] = &["PAUSED", "UNPAUSED"];
const BUNDLE_REF_KEYS: &[&str] = &[
    "name",
    "target",
    "uuid",
    "git",
    "environment",
    "mode",
    "cluster_id",
    "compute_id",
    "databricks_cli_version",
    "deployment",
    "engine",
    "terraform",
    "force",
];
const WORKSPACE_REF_KEYS: &[&str] = &[
    "host",
    "profile",
    "root_path",
    "file_path",
    "resource_path",
    "artifact_path",
    "state_path",
    "current_user",
    "auth_type",
    "client_id",
    "account_id",
    "workspace_id",
];

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Per-run state.
struct Ctx<'t> {
    tree: &'t FileTree,
    diags: Vec<Diagnostic>,
    file: String,
}

impl Ctx<'_> {
    fn push(
        &mut self,
        severity: Severity,
        path: &str,
        pos: Pos,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        self.diags.push(Diagnostic {
            severity,
            file: self.file.clone(),
            path: path.to_string(),
            line: pos.line,
            column: pos.col,
            message: message.into(),
            hint,
        });
    }

    fn absorb(&mut self, findings: Vec<Finding>) {
        for f in findings {
            self.push(f.severity, &f.path, f.pos, f.message, f.hint);
        }
    }
}

/// A parsed file of the bundle.
struct Doc {
    file: String,
    root: YamlNode,
}

pub(super) fn run(tree: &FileTree, schema: Option<&Value>) -> Vec<Diagnostic> {
    let mut ctx = Ctx {
        tree,
        diags: Vec::new(),
        file: String::new(),
    };
    let Some(root_file) = ROOT_FILES.iter().find(|f| tree.contains(f)) else {
        ctx.push(
            Severity::Error,
            "",
            Pos::default(),
            "no bundle configuration found",
            Some("create databricks.yml at the bundle root with `bundle: {name: ...}`".to_string()),
        );
        return ctx.diags;
    };
    let mut docs = Vec::new();
    ctx.file = (*root_file).to_string();
    let Some(root) = parse_file(&mut ctx, root_file) else {
        return ctx.diags;
    };
    // includes
    let mut included: Vec<String> = Vec::new();
    if let Some(inc) = root.get("include") {
        for (i, item) in inc.items().iter().enumerate() {
            let path = format!("include[{i}]");
            let Some(pattern) = item.as_str() else {
                ctx.push(
                    Severity::Error,
                    &path,
                    item.pos,
                    "include entries must be strings",
                    None,
                );
                continue;
            };
            if pattern.starts_with('/') {
                ctx.push(
                    Severity::Error,
                    &path,
                    item.pos,
                    format!("include path `{pattern}` is absolute"),
                    Some(
                        "use a path relative to the bundle root, e.g. resources/*.yml".to_string(),
                    ),
                );
                continue;
            }
            let matches: Vec<String> = tree
                .paths()
                .filter(|p| glob_match(pattern, p) && !ROOT_FILES.contains(p))
                .map(str::to_string)
                .collect();
            if matches.is_empty() && !is_glob(pattern) {
                ctx.push(
                    Severity::Error,
                    &path,
                    item.pos,
                    format!("include `{pattern}` matches no file"),
                    Some("fix the path or remove the entry".to_string()),
                );
            }
            for m in matches {
                if !(m.ends_with(".yml") || m.ends_with(".yaml") || m.ends_with(".json")) {
                    ctx.push(
                        Severity::Error,
                        &path,
                        item.pos,
                        format!("included file `{m}` is not a .yml, .yaml or .json file"),
                        None,
                    );
                    continue;
                }
                if !included.contains(&m) {
                    included.push(m);
                }
            }
        }
    }
    docs.push(Doc {
        file: (*root_file).to_string(),
        root,
    });
    for f in &included {
        ctx.file = f.clone();
        if let Some(node) = parse_file(&mut ctx, f) {
            if let Some((k, _)) = node.entry("include") {
                ctx.push(
                    Severity::Warning,
                    "include",
                    k.pos,
                    "`include` is only read from the root configuration file; ignored here",
                    Some(format!("move the entries to {root_file}")),
                );
            }
            docs.push(Doc {
                file: f.clone(),
                root: node,
            });
        }
    }
    // YAML files that look like bundle config but are not included
    for p in tree.paths() {
        if (p.ends_with(".yml") || p.ends_with(".yaml"))
            && !ROOT_FILES.contains(&p)
            && !included.iter().any(|f| f == p)
            && p.starts_with("resources/")
        {
            ctx.file = p.to_string();
            ctx.push(
                Severity::Warning,
                "",
                Pos { line: 1, col: 1 },
                format!("`{p}` is not matched by `include` and is ignored"),
                Some("add `include: [resources/*.yml]` to databricks.yml".to_string()),
            );
        }
    }

    // global view
    let Some(root_doc) = docs.first() else {
        return ctx.diags;
    };
    let root_node = &root_doc.root;
    let variables: BTreeSet<String> = root_node
        .get("variables")
        .map(|v| v.entries().iter().map(|(k, _)| k.name.clone()).collect())
        .unwrap_or_default();
    let artifacts: BTreeSet<String> = docs
        .iter()
        .filter_map(|d| d.root.get("artifacts"))
        .flat_map(|a| a.entries().iter().map(|(k, _)| k.name.clone()))
        .collect();
    // resources: (kind, key) -> (file, node)
    let mut resources: BTreeMap<(String, String), (String, YamlKey, YamlNode)> = BTreeMap::new();
    for d in &docs {
        ctx.file = d.file.clone();
        if let Some(res) = d.root.get("resources") {
            collect_resources(&mut ctx, res, "resources", &d.file, &mut resources);
        }
    }
    let mut target_resources: BTreeSet<(String, String)> = BTreeSet::new();
    for d in &docs {
        if let Some(t) = d.root.get("targets") {
            for (_, target) in t.entries() {
                if let Some(res) = target.get("resources") {
                    for (kind, m) in res.entries() {
                        for (key, _) in m.entries() {
                            target_resources.insert((kind.name.clone(), key.name.clone()));
                        }
                    }
                }
            }
        }
    }

    for d in &docs {
        ctx.file = d.file.clone();
        let is_root = std::ptr::eq(d, root_doc);
        check_document(&mut ctx, d, is_root, schema, &variables);
        // interpolation everywhere
        let known = Known {
            variables: &variables,
            resources: &resources,
            target_resources: &target_resources,
            artifacts: &artifacts,
        };
        check_interpolations(&mut ctx, &d.root, "", &known);
    }
    // variable cycles and resource cycles
    ctx.file = root_doc.file.clone();
    if let Some(vars) = root_node.get("variables") {
        let mut graph: BTreeMap<String, (Pos, BTreeSet<String>)> = BTreeMap::new();
        for (k, v) in vars.entries() {
            let mut deps = BTreeSet::new();
            collect_refs(v, &mut |r| {
                let segs = refs::segments(r);
                if segs.first() == Some(&"var")
                    && let Some(n) = segs.get(1)
                {
                    deps.insert((*n).to_string());
                }
            });
            graph.insert(k.name.clone(), (k.pos, deps));
        }
        report_cycles(&mut ctx, &graph, "variables", "variable");
    }
    let mut rgraph: BTreeMap<String, (Pos, BTreeSet<String>)> = BTreeMap::new();
    let mut rfile: BTreeMap<String, String> = BTreeMap::new();
    for ((kind, key), (file, k, node)) in &resources {
        let mut deps = BTreeSet::new();
        collect_refs(node, &mut |r| {
            let segs = refs::segments(r);
            if segs.first() == Some(&"resources")
                && let (Some(rk), Some(rkey)) = (segs.get(1), segs.get(2))
            {
                deps.insert(format!("{rk}.{rkey}"));
            }
        });
        rgraph.insert(format!("{kind}.{key}"), (k.pos, deps));
        rfile.insert(format!("{kind}.{key}"), file.clone());
    }
    for cycle_node in find_cycle_nodes(&rgraph) {
        if let (Some((pos, _)), Some(file)) = (rgraph.get(&cycle_node), rfile.get(&cycle_node)) {
            ctx.file = file.clone();
            ctx.push(
                Severity::Error,
                &format!("resources.{cycle_node}"),
                *pos,
                format!("cycle in `${{resources...}}` references involving `{cycle_node}`"),
                Some(
                    "break the cycle: a resource cannot depend on itself through references"
                        .to_string(),
                ),
            );
        }
    }
    // jobs
    for ((kind, key), (file, _, node)) in &resources {
        ctx.file = file.clone();
        let path = format!("resources.{kind}.{key}");
        if kind == "jobs" {
            check_job(&mut ctx, file, node, &path, schema.is_none());
        }
        if kind == "dashboards"
            && let Some((k, _)) = node.entry("etag")
        {
            ctx.push(
                Severity::Error,
                &child(&path, "etag"),
                k.pos,
                "`etag` must not be set on a bundle dashboard",
                Some("remove `etag`; the CLI manages it".to_string()),
            );
        }
        if kind == "pipelines" {
            for (field, p) in [("libraries", "notebook"), ("libraries", "file")] {
                for (i, lib) in node
                    .get(field)
                    .map(YamlNode::items)
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                {
                    if let Some(path_node) = lib.get(p).and_then(|n| n.get("path")) {
                        check_local_path(
                            &mut ctx,
                            file,
                            path_node,
                            &format!("{path}.{field}[{i}].{p}.path"),
                            PathKind::Any,
                        );
                    }
                }
            }
        }
    }
    // targets / mode rules
    ctx.file = root_doc.file.clone();
    check_targets(&mut ctx, root_node, &resources, &variables);
    ctx.diags
}

fn parse_file(ctx: &mut Ctx<'_>, file: &str) -> Option<YamlNode> {
    let Some(text) = ctx.tree.text(file) else {
        ctx.push(
            Severity::Error,
            "",
            Pos::default(),
            format!("`{file}` is not UTF-8 text"),
            None,
        );
        return None;
    };
    match yaml::parse(text) {
        Ok(n) => Some(n),
        Err(e) => {
            ctx.push(
                Severity::Error,
                "",
                e.pos,
                format!("YAML syntax error: {}", e.message),
                Some("fix the YAML at the given line and column".to_string()),
            );
            None
        }
    }
}

struct Known<'a> {
    variables: &'a BTreeSet<String>,
    resources: &'a BTreeMap<(String, String), (String, YamlKey, YamlNode)>,
    target_resources: &'a BTreeSet<(String, String)>,
    artifacts: &'a BTreeSet<String>,
}

fn collect_resources(
    ctx: &mut Ctx<'_>,
    res: &YamlNode,
    path: &str,
    file: &str,
    out: &mut BTreeMap<(String, String), (String, YamlKey, YamlNode)>,
) {
    if !res.is_map() && !matches!(res.value, YamlValue::Null) {
        ctx.push(
            Severity::Error,
            path,
            res.pos,
            "`resources` must be a mapping of resource kinds",
            None,
        );
        return;
    }
    for (kind, m) in res.entries() {
        let kpath = child(path, &kind.name);
        if !RESOURCE_KINDS.contains(&kind.name.as_str()) {
            ctx.push(
                Severity::Warning,
                &kpath,
                kind.pos,
                format!("unknown resource kind `{}`", kind.name),
                Some(format!(
                    "known kinds include {}",
                    RESOURCE_KINDS.get(..8).unwrap_or_default().join(", ")
                )),
            );
            continue;
        }
        for (key, node) in m.entries() {
            let rpath = child(&kpath, &key.name);
            check_resource_key(ctx, &rpath, key);
            if matches!(node.value, YamlValue::Null) {
                ctx.push(
                    Severity::Error,
                    &rpath,
                    key.pos,
                    format!("resource `{}` has no value", key.name),
                    Some("define its fields or remove the key".to_string()),
                );
                continue;
            }
            let id = (kind.name.clone(), key.name.clone());
            if let Some((other_file, other_key, _)) = out.get(&id) {
                ctx.push(
                    Severity::Error,
                    &rpath,
                    key.pos,
                    format!("multiple resources have been defined with the same key: {} (also in {other_file}:{})", key.name, other_key.pos.line),
                    Some("rename one of the resources".to_string()),
                );
                continue;
            }
            out.insert(id, (file.to_string(), key.clone(), node.clone()));
        }
    }
}

/// The CLI's key sanitisation: lower-case, runs of non-alphanumerics → `_`, trimmed.
pub(crate) fn sanitize_key(name: &str) -> String {
    let mut out = String::new();
    let mut pending = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if pending && !out.is_empty() {
                out.push('_');
            }
            pending = false;
            out.push(c.to_ascii_lowercase());
        } else {
            pending = true;
        }
    }
    out
}

fn check_resource_key(ctx: &mut Ctx<'_>, path: &str, key: &YamlKey) {
    if key.name.contains("${") {
        ctx.push(
            Severity::Error,
            path,
            key.pos,
            format!("resource key `{}` contains a variable reference", key.name),
            Some("resource keys must be literal identifiers".to_string()),
        );
    } else if key.name.is_empty()
        || !key
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        ctx.push(
            Severity::Warning,
            path,
            key.pos,
            format!(
                "resource key `{}` should contain only letters, digits, `_` and `-`",
                key.name
            ),
            Some(format!("use `{}`", sanitize_key(&key.name))),
        );
    }
}

fn check_document(
    ctx: &mut Ctx<'_>,
    d: &Doc,
    is_root: bool,
    schema: Option<&Value>,
    variables: &BTreeSet<String>,
) {
    let root = &d.root;
    if !root.is_map() {
        if !matches!(root.value, YamlValue::Null) {
            ctx.push(
                Severity::Error,
                "",
                root.pos,
                "a bundle configuration file must be a mapping",
                None,
            );
        }
        return;
    }
    if let Some(schema) = schema {
        let walker = SchemaWalker::new(schema);
        let mut findings = Vec::new();
        walker.walk(walker.root(), root, root.pos, "", &mut findings, 0);
        ctx.absorb(findings);
    } else {
        unknown_keys(ctx, root, "", TOP_LEVEL);
        if let Some(b) = root.get("bundle") {
            unknown_keys(ctx, b, "bundle", BUNDLE_KEYS);
        }
        if let Some(w) = root.get("workspace") {
            unknown_keys(ctx, w, "workspace", WORKSPACE_KEYS);
        }
        if let Some(t) = root.get("targets") {
            for (k, v) in t.entries() {
                let p = format!("targets.{}", k.name);
                unknown_keys(ctx, v, &p, TARGET_KEYS);
                if let Some(w) = v.get("workspace") {
                    unknown_keys(ctx, w, &format!("{p}.workspace"), WORKSPACE_KEYS);
                }
            }
        }
        if let Some(vars) = root.get("variables") {
            for (k, v) in vars.entries() {
                unknown_keys(ctx, v, &format!("variables.{}", k.name), VARIABLE_KEYS);
            }
        }
    }
    if is_root {
        match root.entry("bundle") {
            None => ctx.push(
                Severity::Error,
                "bundle",
                root.pos,
                "missing `bundle` section",
                Some("add `bundle: {name: <name>}`".to_string()),
            ),
            Some((_, b)) => match b.entry("name") {
                None => ctx.push(
                    Severity::Error,
                    "bundle.name",
                    b.pos,
                    "`bundle.name` is required",
                    Some("add `name:` under `bundle:`".to_string()),
                ),
                Some((_, n)) => {
                    if n.as_str().is_some_and(|s| s.contains("${")) {
                        ctx.push(
                            Severity::Warning,
                            "bundle.name",
                            n.pos,
                            "`bundle.name` should not contain variable references",
                            None,
                        );
                    }
                }
            },
        }
    } else if root.get("variables").is_some() || root.get("bundle").is_some() {
        // allowed by the CLI, nothing to report
    }
    if let Some(b) = root.get("bundle")
        && let Some(e) = b.get("engine")
    {
        match e.as_str() {
            Some("direct") => {}
            Some("terraform") => ctx.push(
                Severity::Warning,
                "bundle.engine",
                e.pos,
                "the terraform engine is deprecated",
                Some("use `engine: direct` (run `databricks bundle migrate`)".to_string()),
            ),
            _ => ctx.push(
                Severity::Error,
                "bundle.engine",
                e.pos,
                "invalid `bundle.engine`",
                Some("use `direct` or `terraform`".to_string()),
            ),
        }
    }
    if let Some(w) = root.get("workspace") {
        check_workspace(ctx, w, "workspace");
    }
    if let Some((k, r)) = root.entry("run_as") {
        check_run_as(ctx, k.pos, r, "run_as");
    }
    if let Some(vars) = root.get("variables") {
        for (k, v) in vars.entries() {
            check_variable(ctx, k, v, &format!("variables.{}", k.name), true);
        }
    }
    if let Some(targets) = root.get("targets") {
        for (tk, t) in targets.entries() {
            let tp = format!("targets.{}", tk.name);
            if let Some(w) = t.get("workspace") {
                check_workspace(ctx, w, &format!("{tp}.workspace"));
            }
            if let Some((k, r)) = t.entry("run_as") {
                check_run_as(ctx, k.pos, r, &format!("{tp}.run_as"));
            }
            if let Some(vars) = t.get("variables") {
                for (k, v) in vars.entries() {
                    let vp = format!("{tp}.variables.{}", k.name);
                    if !variables.contains(&k.name) {
                        ctx.push(
                            Severity::Error,
                            &vp,
                            k.pos,
                            format!("variable `{}` is not defined at the top level", k.name),
                            Some("declare it under the root `variables:` first".to_string()),
                        );
                    }
                    if v.is_map() {
                        check_variable(ctx, k, v, &vp, false);
                    }
                }
            }
            if let Some(res) = t.get("resources") {
                for (kind, m) in res.entries() {
                    for (key, node) in m.entries() {
                        let rp = format!("{tp}.resources.{}.{}", kind.name, key.name);
                        check_resource_key(ctx, &rp, key);
                        if kind.name == "jobs" {
                            check_job_paths_only(ctx, &d.file, node, &rp);
                        }
                    }
                }
            }
        }
    }
    if let Some(scripts) = root.get("scripts") {
        for (k, s) in scripts.entries() {
            let p = format!("scripts.{}", k.name);
            match s.get("content").and_then(YamlNode::as_str) {
                None | Some("") => ctx.push(
                    Severity::Error,
                    &p,
                    k.pos,
                    format!("script `{}` has no content", k.name),
                    Some("add `content: <shell command>`".to_string()),
                ),
                Some(c) if c.contains("${") => ctx.push(
                    Severity::Error,
                    &format!("{p}.content"),
                    s.get("content").map_or(k.pos, |n| n.pos),
                    "script content must not contain `${...}` references",
                    Some("pass values through `env:` instead".to_string()),
                ),
                _ => {}
            }
        }
    }
}

fn unknown_keys(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str, known: &[&str]) {
    for (k, _) in node.entries() {
        if !known.contains(&k.name.as_str()) {
            ctx.push(
                Severity::Warning,
                &child(path, &k.name),
                k.pos,
                format!("unknown field: {}", k.name),
                Some(format!(
                    "the CLI ignores `{}`; check its spelling or remove it",
                    k.name
                )),
            );
        }
    }
}

fn check_workspace(ctx: &mut Ctx<'_>, w: &YamlNode, path: &str) {
    for (k, v) in w.entries() {
        let p = child(path, &k.name);
        if AUTH_KEYS.contains(&k.name.as_str()) && v.as_str().is_some_and(|s| s.contains("${")) {
            ctx.push(Severity::Warning, &p, v.pos, format!("`{p}` must not contain variable references; authentication is resolved before variables"), Some("use a literal value or an environment variable such as DATABRICKS_HOST".to_string()));
        }
        if k.name.ends_with("_path")
            && k.name != "artifact_path"
            && v.as_str().is_some_and(|s| s.starts_with("/Volumes"))
        {
            ctx.push(
                Severity::Error,
                &p,
                v.pos,
                format!("`{p}` cannot be a /Volumes path"),
                Some(
                    "only `workspace.artifact_path` may point to a Unity Catalog volume"
                        .to_string(),
                ),
            );
        }
    }
}

fn check_run_as(ctx: &mut Ctx<'_>, at: Pos, r: &YamlNode, path: &str) {
    let user = r.get("user_name").is_some();
    let sp = r.get("service_principal_name").is_some();
    if user && sp {
        ctx.push(
            Severity::Error,
            path,
            at,
            "run_as sets both `user_name` and `service_principal_name`",
            Some("keep exactly one of them".to_string()),
        );
    }
    if let Some((k, _)) = r.entry("group_name") {
        ctx.push(
            Severity::Error,
            &child(path, "group_name"),
            k.pos,
            "run_as does not support `group_name`",
            Some("use `user_name` or `service_principal_name`".to_string()),
        );
    }
}

fn check_variable(ctx: &mut Ctx<'_>, k: &YamlKey, v: &YamlNode, path: &str, root: bool) {
    if !v.is_map() {
        if root {
            ctx.push(Severity::Error, path, v.pos, format!("variable `{}` must be a mapping with `default`, `description`, `type` or `lookup`", k.name), Some(format!("write `{}:\\n    default: <value>`", k.name)));
        }
        return;
    }
    let complex = match v.get("type") {
        None => false,
        Some(t) if t.as_str() == Some("complex") => true,
        Some(t) => {
            ctx.push(
                Severity::Error,
                &child(path, "type"),
                t.pos,
                format!("invalid variable type for `{}`", k.name),
                Some("the only allowed type is `complex`".to_string()),
            );
            false
        }
    };
    if let Some(d) = v.get("default")
        && matches!(d.value, YamlValue::Map(_) | YamlValue::Seq(_))
        && !complex
        && root
    {
        ctx.push(
            Severity::Error,
            &child(path, "default"),
            d.pos,
            format!(
                "variable `{}` has a complex default but is not `type: complex`",
                k.name
            ),
            Some("add `type: complex`".to_string()),
        );
    }
    if let Some(l) = v.get("lookup") {
        let kinds: Vec<&YamlKey> = l.entries().iter().map(|(k, _)| k).collect();
        if kinds.len() != 1 {
            ctx.push(
                Severity::Error,
                &child(path, "lookup"),
                l.pos,
                format!("lookup of `{}` must name exactly one kind", k.name),
                Some(format!("use one of: {}", LOOKUP_KINDS.join(", "))),
            );
        }
        for lk in kinds {
            if !LOOKUP_KINDS.contains(&lk.name.as_str()) {
                ctx.push(
                    Severity::Error,
                    &child(&child(path, "lookup"), &lk.name),
                    lk.pos,
                    format!("unknown lookup kind `{}`", lk.name),
                    Some(format!("use one of: {}", LOOKUP_KINDS.join(", "))),
                );
            }
        }
    }
}

fn check_interpolations(ctx: &mut Ctx<'_>, node: &YamlNode, path: &str, known: &Known<'_>) {
    match &node.value {
        YamlValue::Str { value, .. } => {
            for it in refs::find(value) {
                match it {
                    Interp::Invalid(text) => ctx.push(Severity::Error, path, node.pos, format!("invalid interpolation syntax `{text}`"), Some("references look like ${var.name}, ${bundle.target} or ${resources.jobs.key.id}".to_string())),
                    Interp::Ref(r) => check_reference(ctx, &r, path, node.pos, known),
                }
            }
        }
        YamlValue::Seq(items) => {
            for (i, it) in items.iter().enumerate() {
                check_interpolations(ctx, it, &format!("{path}[{i}]"), known);
            }
        }
        YamlValue::Map(entries) => {
            for (k, v) in entries {
                if k.name.contains("${") && !path.starts_with("resources") {
                    ctx.push(
                        Severity::Error,
                        &child(path, &k.name),
                        k.pos,
                        "mapping keys cannot contain `${...}` references",
                        None,
                    );
                }
                check_interpolations(ctx, v, &child(path, &k.name), known);
            }
        }
        _ => {}
    }
}

fn check_reference(ctx: &mut Ctx<'_>, r: &str, path: &str, pos: Pos, known: &Known<'_>) {
    let segs = refs::segments(r);
    let first = segs.first().copied().unwrap_or("");
    let second = segs.get(1).copied();
    let missing = |what: String, hint: String, ctx: &mut Ctx<'_>| {
        ctx.push(
            Severity::Error,
            path,
            pos,
            format!("reference does not exist: ${{{r}}} ({what})"),
            Some(hint),
        );
    };
    match first {
        "var" | "variables" => match second {
            Some(v) if known.variables.contains(v) => {}
            Some(v) => missing(
                format!("no variable `{v}`"),
                format!("declare `{v}` under the root `variables:`"),
                ctx,
            ),
            None => missing("no variable name".into(), "write ${var.<name>}".into(), ctx),
        },
        "bundle" if !second.is_some_and(|s| BUNDLE_REF_KEYS.contains(&s)) => {
            missing(
                "unknown bundle field".into(),
                format!("use one of: {}", BUNDLE_REF_KEYS.join(", ")),
                ctx,
            );
        }
        "workspace" if !second.is_some_and(|s| WORKSPACE_REF_KEYS.contains(&s)) => {
            missing(
                "unknown workspace field".into(),
                format!("use one of: {}", WORKSPACE_REF_KEYS.join(", ")),
                ctx,
            );
        }
        "resources" => {
            let (Some(kind), Some(key)) = (second, segs.get(2)) else {
                missing(
                    "incomplete resource reference".into(),
                    "write ${resources.<kind>.<key>.<field>}".into(),
                    ctx,
                );
                return;
            };
            let id = ((*kind).to_string(), (*key).to_string());
            if !known.resources.contains_key(&id) && !known.target_resources.contains(&id) {
                missing(
                    format!("no resource `{kind}.{key}`"),
                    "define the resource or fix the key".into(),
                    ctx,
                );
            } else if segs.len() < 4 {
                missing(
                    "no field".into(),
                    format!("write ${{resources.{kind}.{key}.id}}"),
                    ctx,
                );
            }
        }
        "artifacts" if !second.is_some_and(|a| known.artifacts.contains(a)) => {
            missing(
                "no such artifact".into(),
                "declare it under `artifacts:`".into(),
                ctx,
            );
        }
        _ => {} // other prefixes are left untouched by the CLI
    }
}

fn collect_refs(node: &YamlNode, f: &mut dyn FnMut(&str)) {
    match &node.value {
        YamlValue::Str { value, .. } => {
            for it in refs::find(value) {
                if let Interp::Ref(r) = it {
                    f(&r);
                }
            }
        }
        YamlValue::Seq(items) => items.iter().for_each(|i| collect_refs(i, f)),
        YamlValue::Map(entries) => entries.iter().for_each(|(_, v)| collect_refs(v, f)),
        _ => {}
    }
}

/// Nodes that lie on a cycle (Tarjan-free simple DFS: a node is on a cycle when it can reach
/// itself).
fn find_cycle_nodes(graph: &BTreeMap<String, (Pos, BTreeSet<String>)>) -> Vec<String> {
    let mut out = Vec::new();
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&String> = graph
            .get(start)
            .map(|(_, d)| d.iter().collect())
            .unwrap_or_default();
        let mut cyclic = false;
        while let Some(n) = stack.pop() {
            if n == start {
                cyclic = true;
                break;
            }
            if seen.insert(n.clone())
                && let Some((_, deps)) = graph.get(n)
            {
                stack.extend(deps.iter());
            }
        }
        if cyclic {
            out.push(start.clone());
        }
    }
    out
}

fn report_cycles(
    ctx: &mut Ctx<'_>,
    graph: &BTreeMap<String, (Pos, BTreeSet<String>)>,
    section: &str,
    what: &str,
) {
    for n in find_cycle_nodes(graph) {
        if let Some((pos, _)) = graph.get(&n) {
            ctx.push(
                Severity::Error,
                &format!("{section}.{n}"),
                *pos,
                format!("cycle detected in {what} references involving `{n}`"),
                Some(format!(
                    "a {what} cannot reference itself, directly or through others"
                )),
            );
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum PathKind {
    Notebook,
    File,
    Dir,
    Any,
}

/// True for paths the CLI does not translate.
fn is_remote(p: &str) -> bool {
    p.starts_with('/')
        || p.contains("://")
        || p.starts_with("dbfs:")
        || p.contains("${")
        || p.contains("{{")
}

fn check_local_path(
    ctx: &mut Ctx<'_>,
    yaml_file: &str,
    node: &YamlNode,
    path: &str,
    kind: PathKind,
) {
    let Some(p) = node.as_str() else { return };
    if p.is_empty() || is_remote(p) {
        return;
    }
    let dir = yaml_file.rsplit_once('/').map_or("", |(d, _)| d);
    let joined = if dir.is_empty() {
        p.to_string()
    } else {
        format!("{dir}/{p}")
    };
    let resolved = normalize_path(&joined);
    if resolved.starts_with("..") {
        ctx.push(
            Severity::Error,
            path,
            node.pos,
            format!("path `{p}` points outside the bundle root"),
            Some("keep sources inside the bundle folder".to_string()),
        );
        return;
    }
    if is_glob(&resolved) {
        if !ctx.tree.paths().any(|f| glob_match(&resolved, f)) {
            ctx.push(
                Severity::Warning,
                path,
                node.pos,
                format!("pattern `{p}` matches no file yet"),
                Some("build the artifact first or fix the pattern".to_string()),
            );
        }
        return;
    }
    match kind {
        PathKind::Dir => {
            if !ctx.tree.contains_dir(&resolved) {
                ctx.push(
                    Severity::Error,
                    path,
                    node.pos,
                    format!("directory `{p}` not found"),
                    None,
                );
            }
        }
        _ => {
            let Some(text) = ctx
                .tree
                .get(&resolved)
                .map(|b| String::from_utf8_lossy(b).into_owned())
            else {
                let what = if kind == PathKind::Notebook {
                    "notebook"
                } else {
                    "file"
                };
                let guess = ["py", "ipynb", "sql", "scala", "r"]
                    .iter()
                    .map(|e| format!("{resolved}.{e}"))
                    .find(|c| ctx.tree.contains(c));
                let hint = match guess {
                    Some(g) => Some(format!("Did you mean {p}{}?", g.get(resolved.len()..).unwrap_or(""))),
                    None if kind == PathKind::Notebook => Some("paths are relative to the YAML file that defines them and need the file extension".to_string()),
                    None => Some("paths are relative to the YAML file that defines them".to_string()),
                };
                ctx.push(
                    Severity::Error,
                    path,
                    node.pos,
                    format!("{what} {p} not found"),
                    hint,
                );
                return;
            };
            let is_nb = detect_notebook_kind(&resolved, &text).is_some();
            if kind == PathKind::Notebook && !is_nb {
                ctx.push(Severity::Error, path, node.pos, format!("file at {p} is not a notebook"), Some("a source notebook starts with `# Databricks notebook source` (or `--`/`//` for SQL/Scala); use spark_python_task for plain files".to_string()));
            }
            if kind == PathKind::File && is_nb && path.ends_with("python_file") {
                ctx.push(
                    Severity::Error,
                    path,
                    node.pos,
                    format!("file at {p} is a notebook"),
                    Some(
                        "use a notebook_task for notebooks, or remove the notebook header"
                            .to_string(),
                    ),
                );
            }
        }
    }
}

fn task_kinds(task: &YamlNode) -> Vec<&YamlKey> {
    task.entries()
        .iter()
        .filter(|(k, _)| TASK_KINDS.contains(&k.name.as_str()))
        .map(|(k, _)| k)
        .collect()
}

fn check_task_paths(ctx: &mut Ctx<'_>, file: &str, task: &YamlNode, path: &str) {
    if let Some(nb) = task.get("notebook_task")
        && nb.get("source").and_then(YamlNode::as_str) != Some("GIT")
        && let Some(p) = nb.get("notebook_path")
    {
        check_local_path(
            ctx,
            file,
            p,
            &format!("{path}.notebook_task.notebook_path"),
            PathKind::Notebook,
        );
    }
    if let Some(sp) = task.get("spark_python_task")
        && sp.get("source").and_then(YamlNode::as_str) != Some("GIT")
        && let Some(p) = sp.get("python_file")
    {
        check_local_path(
            ctx,
            file,
            p,
            &format!("{path}.spark_python_task.python_file"),
            PathKind::File,
        );
    }
    if let Some(p) = task
        .get("sql_task")
        .and_then(|s| s.get("file"))
        .and_then(|f| f.get("path"))
    {
        check_local_path(
            ctx,
            file,
            p,
            &format!("{path}.sql_task.file.path"),
            PathKind::File,
        );
    }
    if let Some(p) = task
        .get("dbt_task")
        .and_then(|s| s.get("project_directory"))
    {
        check_local_path(
            ctx,
            file,
            p,
            &format!("{path}.dbt_task.project_directory"),
            PathKind::Dir,
        );
    }
    for (i, lib) in task
        .get("libraries")
        .map(YamlNode::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        for k in ["whl", "jar", "requirements", "egg"] {
            if let Some(p) = lib.get(k) {
                check_local_path(
                    ctx,
                    file,
                    p,
                    &format!("{path}.libraries[{i}].{k}"),
                    PathKind::Any,
                );
            }
        }
    }
    if let Some(inner) = task.get("for_each_task").and_then(|f| f.get("task")) {
        check_task_paths(ctx, file, inner, &format!("{path}.for_each_task.task"));
    }
}

fn check_job_paths_only(ctx: &mut Ctx<'_>, file: &str, job: &YamlNode, path: &str) {
    if job.get("git_source").is_some() {
        return;
    }
    for (i, t) in job
        .get("tasks")
        .map(YamlNode::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        check_task_paths(ctx, file, t, &format!("{path}.tasks[{i}]"));
    }
}

fn check_job(ctx: &mut Ctx<'_>, file: &str, job: &YamlNode, path: &str, builtin_tables: bool) {
    if !job.is_map() {
        if job.as_str().is_none_or(|s| !s.contains("${")) {
            ctx.push(
                Severity::Error,
                path,
                job.pos,
                "a job must be a mapping",
                None,
            );
        }
        return;
    }
    for (k, _) in job.entries() {
        let p = child(path, &k.name);
        match k.name.as_str() {
            "deployment" => ctx.push(
                Severity::Error,
                &p,
                k.pos,
                "`deployment` is managed by the CLI and must not be set",
                Some("remove it (it comes from jobs.get of a bundle-deployed job)".to_string()),
            ),
            "edit_mode" | "format" => ctx.push(
                Severity::Warning,
                &p,
                k.pos,
                format!("`{}` is managed by the CLI and is ignored", k.name),
                Some(format!("remove `{}`", k.name)),
            ),
            n if READ_ONLY_JOB_FIELDS.contains(&n) => ctx.push(
                Severity::Error,
                &p,
                k.pos,
                format!("`{n}` is a read-only job field"),
                Some(format!(
                    "remove `{n}`; only job settings belong in a bundle"
                )),
            ),
            n if builtin_tables && !JOB_KEYS.contains(&n) => ctx.push(
                Severity::Warning,
                &p,
                k.pos,
                format!("unknown field: {n}"),
                Some(format!(
                    "the CLI ignores `{n}`; check its spelling or remove it"
                )),
            ),
            _ => {}
        }
    }
    let cluster_keys: BTreeSet<String> = job
        .get("job_clusters")
        .map(YamlNode::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| {
            c.get("job_cluster_key")
                .and_then(YamlNode::as_str)
                .map(str::to_string)
        })
        .collect();
    let env_keys: BTreeSet<String> = job
        .get("environments")
        .map(YamlNode::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| {
            c.get("environment_key")
                .and_then(YamlNode::as_str)
                .map(str::to_string)
        })
        .collect();
    if builtin_tables {
        for (i, c) in job
            .get("job_clusters")
            .map(YamlNode::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            if c.get("job_cluster_key").is_none() {
                ctx.push(
                    Severity::Warning,
                    &format!("{path}.job_clusters[{i}]"),
                    c.pos,
                    "missing required field `job_cluster_key`",
                    None,
                );
            }
        }
        for (i, c) in job
            .get("parameters")
            .map(YamlNode::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            for req in ["name", "default"] {
                if c.get(req).is_none() {
                    ctx.push(
                        Severity::Warning,
                        &format!("{path}.parameters[{i}]"),
                        c.pos,
                        format!("missing required field `{req}` in job parameter"),
                        Some(format!("add `{req}`")),
                    );
                }
            }
        }
        if let Some((sk, s)) = job.entry("schedule") {
            for req in ["quartz_cron_expression", "timezone_id"] {
                if s.get(req).is_none() {
                    ctx.push(
                        Severity::Warning,
                        &format!("{path}.schedule"),
                        sk.pos,
                        format!("missing required field `{req}` in schedule"),
                        Some(format!("add `{req}`")),
                    );
                }
            }
            enum_check(
                ctx,
                s.get("pause_status"),
                &format!("{path}.schedule.pause_status"),
                PAUSE_STATUS,
            );
        }
    }
    let tasks = job.get("tasks").map(YamlNode::items).unwrap_or_default();
    let mut keys: BTreeMap<String, Pos> = BTreeMap::new();
    for (i, t) in tasks.iter().enumerate() {
        match t.get("task_key").and_then(YamlNode::as_str) {
            None => ctx.push(
                Severity::Error,
                &format!("{path}.tasks[{i}]"),
                t.pos,
                "task is missing `task_key`",
                Some("give every task a unique `task_key`".to_string()),
            ),
            Some(k) => {
                if keys.contains_key(k) {
                    ctx.push(
                        Severity::Error,
                        &format!("{path}.tasks[{i}].task_key"),
                        t.get("task_key").map_or(t.pos, |n| n.pos),
                        format!("duplicate task_key `{k}`"),
                        Some("task keys must be unique within a job".to_string()),
                    );
                } else {
                    keys.insert(k.to_string(), t.pos);
                }
            }
        }
    }
    let mut graph: BTreeMap<String, (Pos, BTreeSet<String>)> = BTreeMap::new();
    for (i, t) in tasks.iter().enumerate() {
        let tp = format!("{path}.tasks[{i}]");
        let mut deps = BTreeSet::new();
        for (j, d) in t
            .get("depends_on")
            .map(YamlNode::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            if let Some(dk) = d.get("task_key").and_then(YamlNode::as_str) {
                if !keys.contains_key(dk) {
                    ctx.push(
                        Severity::Error,
                        &format!("{tp}.depends_on[{j}].task_key"),
                        d.get("task_key").map_or(d.pos, |n| n.pos),
                        format!("task depends on `{dk}`, which is not a task of this job"),
                        Some(format!(
                            "known tasks: {}",
                            keys.keys().cloned().collect::<Vec<_>>().join(", ")
                        )),
                    );
                }
                deps.insert(dk.to_string());
            }
        }
        if let Some(k) = t.get("task_key").and_then(YamlNode::as_str) {
            graph.insert(k.to_string(), (t.pos, deps));
        }
        check_task(ctx, t, &tp, &cluster_keys, &env_keys, builtin_tables);
    }
    for n in find_cycle_nodes(&graph) {
        if let Some((pos, _)) = graph.get(&n) {
            ctx.push(
                Severity::Error,
                &format!("{path}.tasks"),
                *pos,
                format!("task `{n}` is part of a dependency cycle"),
                Some("`depends_on` must form an acyclic graph".to_string()),
            );
        }
    }
    if job.get("git_source").is_none() {
        for (i, t) in tasks.iter().enumerate() {
            check_task_paths(ctx, file, t, &format!("{path}.tasks[{i}]"));
        }
    }
}

fn enum_check(ctx: &mut Ctx<'_>, node: Option<&YamlNode>, path: &str, allowed: &[&str]) {
    if let Some(n) = node
        && let Some(v) = n.as_str()
        && !v.contains("${")
        && !allowed.contains(&v)
    {
        ctx.push(
            Severity::Warning,
            path,
            n.pos,
            format!("invalid value `{v}` for `{path}`"),
            Some(format!("use one of: {}", allowed.join(", "))),
        );
    }
}

fn check_task(
    ctx: &mut Ctx<'_>,
    t: &YamlNode,
    path: &str,
    cluster_keys: &BTreeSet<String>,
    env_keys: &BTreeSet<String>,
    builtin_tables: bool,
) {
    let kinds = task_kinds(t);
    if builtin_tables {
        for (k, _) in t.entries() {
            if !TASK_KINDS.contains(&k.name.as_str()) && !TASK_KEYS.contains(&k.name.as_str()) {
                ctx.push(
                    Severity::Warning,
                    &child(path, &k.name),
                    k.pos,
                    format!("unknown field: {}", k.name),
                    Some(format!(
                        "the CLI ignores `{}`; check its spelling or remove it",
                        k.name
                    )),
                );
            }
        }
        enum_check(ctx, t.get("run_if"), &child(path, "run_if"), RUN_IF);
    }
    match kinds.len() {
        0 => ctx.push(Severity::Error, path, t.pos, "task has no task type", Some("add one of notebook_task, spark_python_task, python_wheel_task, sql_task, run_job_task, pipeline_task, for_each_task, condition_task, ...".to_string())),
        1 => {}
        _ => ctx.push(Severity::Error, path, t.pos, format!("task has more than one task type: {}", kinds.iter().map(|k| k.name.as_str()).collect::<Vec<_>>().join(", ")), Some("split it into several tasks".to_string())),
    }
    if let Some(n) = t.get("job_cluster_key")
        && let Some(k) = n.as_str()
        && !k.contains("${")
        && !cluster_keys.contains(k)
    {
        ctx.push(
            Severity::Warning,
            &child(path, "job_cluster_key"),
            n.pos,
            format!("job_cluster_key `{k}` is not defined"),
            Some("add it under the job's `job_clusters`".to_string()),
        );
    }
    if let Some(n) = t.get("environment_key")
        && let Some(k) = n.as_str()
        && !k.contains("${")
        && !env_keys.contains(k)
    {
        ctx.push(
            Severity::Error,
            &child(path, "environment_key"),
            n.pos,
            format!("environment_key `{k}` is not defined"),
            Some("add it under the job's `environments`".to_string()),
        );
    }
    let has_compute = COMPUTE_KEYS.iter().any(|k| t.get(k).is_some());
    if let Some(kind) = kinds.first()
        && COMPUTE_KINDS.contains(&kind.name.as_str())
        && !has_compute
    {
        ctx.push(
            Severity::Error,
            path,
            t.pos,
            format!(
                "Missing required cluster or environment settings for {} `{}`",
                kind.name,
                t.get("task_key").and_then(YamlNode::as_str).unwrap_or("?")
            ),
            Some(
                "set one of job_cluster_key, environment_key, existing_cluster_id or new_cluster"
                    .to_string(),
            ),
        );
    }
    if let Some(c) = t.get("condition_task") {
        let cp = child(path, "condition_task");
        for req in ["left", "op", "right"] {
            if c.get(req).is_none() {
                ctx.push(
                    Severity::Warning,
                    &cp,
                    c.pos,
                    format!("missing required field `{req}` in condition_task"),
                    Some(format!("add `{req}`")),
                );
            }
        }
        enum_check(ctx, c.get("op"), &child(&cp, "op"), CONDITION_OPS);
    }
    if let Some(f) = t.get("for_each_task") {
        let fp = child(path, "for_each_task");
        for req in ["inputs", "task"] {
            if f.get(req).is_none() {
                ctx.push(
                    Severity::Warning,
                    &fp,
                    f.pos,
                    format!("missing required field `{req}` in for_each_task"),
                    Some(format!("add `{req}`")),
                );
            }
        }
        if let Some(inner) = f.get("task") {
            check_task(
                ctx,
                inner,
                &child(&fp, "task"),
                cluster_keys,
                env_keys,
                builtin_tables,
            );
        }
    }
}

fn check_targets(
    ctx: &mut Ctx<'_>,
    root: &YamlNode,
    resources: &BTreeMap<(String, String), (String, YamlKey, YamlNode)>,
    _variables: &BTreeSet<String>,
) {
    let Some(targets) = root.get("targets") else {
        return;
    };
    let mut defaults = Vec::new();
    let root_run_as = root.get("run_as").is_some();
    let all_jobs_run_as = resources
        .iter()
        .filter(|((k, _), _)| k == "jobs")
        .all(|(_, (_, _, n))| n.get("run_as").is_some())
        && resources.keys().any(|(k, _)| k == "jobs");
    for (tk, t) in targets.entries() {
        let tp = format!("targets.{}", tk.name);
        if matches!(
            t.get("default").map(|d| &d.value),
            Some(YamlValue::Bool(true))
        ) {
            defaults.push((tk, t.get("default").map_or(tk.pos, |d| d.pos)));
        }
        let Some(mode_node) = t.get("mode") else {
            continue;
        };
        let mode = mode_node.as_str().unwrap_or("");
        let presets_pause = t
            .get("presets")
            .and_then(|p| p.get("trigger_pause_status"))
            .or_else(|| {
                root.get("presets")
                    .and_then(|p| p.get("trigger_pause_status"))
            });
        match mode {
            "development" => {
                if let Some(p) = presets_pause
                    && p.as_str() == Some("UNPAUSED")
                {
                    ctx.push(
                        Severity::Error,
                        &format!("{tp}.presets.trigger_pause_status"),
                        p.pos,
                        "`trigger_pause_status: UNPAUSED` is not allowed in development mode",
                        Some(
                            "remove it; development targets pause schedules and triggers"
                                .to_string(),
                        ),
                    );
                }
            }
            "production" => {
                let root_path = t
                    .get("workspace")
                    .and_then(|w| w.get("root_path"))
                    .or_else(|| root.get("workspace").and_then(|w| w.get("root_path")));
                if root_path.is_none() {
                    let run_as = t.get("run_as").is_some() || root_run_as || all_jobs_run_as;
                    let sev = if run_as {
                        Severity::Recommendation
                    } else {
                        Severity::Error
                    };
                    ctx.push(sev, &format!("{tp}.workspace.root_path"), tk.pos, format!("target `{}` uses production mode but does not set `workspace.root_path`", tk.name), Some("set root_path to a shared location, e.g. /Workspace/Shared/.bundle/${bundle.name}/${bundle.target}".to_string()));
                }
                for ((kind, key), (file, _, node)) in resources {
                    if kind == "pipelines"
                        && let Some(d) = node.get("development")
                        && matches!(d.value, YamlValue::Bool(true))
                    {
                        let saved = std::mem::replace(&mut ctx.file, file.clone());
                        ctx.push(Severity::Error, &format!("resources.pipelines.{key}.development"), d.pos, format!("pipeline `{key}` has `development: true`, which production target `{}` does not allow", tk.name), Some("remove `development: true` or set it per target".to_string()));
                        ctx.file = saved;
                    }
                }
            }
            other => ctx.push(
                Severity::Error,
                &format!("{tp}.mode"),
                mode_node.pos,
                format!("unsupported value `{other}` for mode"),
                Some("use `development` or `production`".to_string()),
            ),
        }
    }
    if defaults.len() > 1 {
        for (d, pos) in defaults {
            ctx.push(
                Severity::Error,
                &format!("targets.{}.default", d.name),
                pos,
                "more than one target has `default: true`",
                Some("mark exactly one target as default".to_string()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes_like_the_cli() {
        assert_eq!(sanitize_key("My ETL Job (v2)!"), "my_etl_job_v2");
        assert_eq!(sanitize_key("__x--y__"), "x_y");
        assert_eq!(sanitize_key("daily_sales"), "daily_sales");
    }
}
