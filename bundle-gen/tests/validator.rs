//! Validator tests: one per problem of dab notes §4.4, each checking the reported line.

use bundle_gen::{Diagnostic, FileTree, Severity, Validator};
use proptest::prelude::*;

const NOTEBOOK: &str = "# Databricks notebook source\nprint('hi')\n";

fn tree(root: &str) -> FileTree {
    FileTree::new()
        .with_file("databricks.yml", root)
        .with_file("src/ingest.py", NOTEBOOK)
        .with_file("src/report.py", "import sys\nprint(sys.argv)\n")
}

fn validate(t: &FileTree) -> Vec<Diagnostic> {
    Validator::new().validate(t)
}

/// Finds the single diagnostic whose message contains `needle`.
fn find<'a>(diags: &'a [Diagnostic], needle: &str) -> &'a Diagnostic {
    let hits: Vec<_> = diags
        .iter()
        .filter(|d| d.message.contains(needle))
        .collect();
    assert_eq!(hits.len(), 1, "expected one `{needle}` in {diags:#?}");
    hits[0]
}

const VALID: &str = r#"bundle:
  name: sales_etl
include:
  - resources/*.yml
variables:
  catalog:
    description: Target catalog
    default: main
  warehouse_id:
    lookup:
      warehouse: Shared Serverless
targets:
  dev:
    mode: development
    default: true
    workspace:
      host: https://example.cloud.databricks.com
  prod:
    mode: production
    workspace:
      host: https://example.cloud.databricks.com
      root_path: /Workspace/Shared/.bundle/${bundle.name}/${bundle.target}
"#;

const JOB: &str = r#"resources:
  jobs:
    sales_etl:
      name: sales_etl
      tasks:
        - task_key: ingest
          notebook_task:
            notebook_path: ../src/ingest.py
            base_parameters:
              catalog: ${var.catalog}
        - task_key: report
          depends_on:
            - task_key: ingest
          spark_python_task:
            python_file: ../src/report.py
          environment_key: default
      environments:
        - environment_key: default
          spec:
            environment_version: "4"
"#;

fn with_job(job: &str) -> FileTree {
    tree(VALID).with_file("resources/sales_etl.job.yml", job)
}

#[test]
fn valid_bundle_has_no_findings() {
    let d = validate(&with_job(JOB));
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn yaml_syntax_error_has_line_and_column() {
    let d = validate(&with_job("resources:\n  jobs:\n    x: [1, 2\n"));
    let e = find(&d, "YAML syntax error");
    assert_eq!(
        (e.file.as_str(), e.severity),
        ("resources/sales_etl.job.yml", Severity::Error)
    );
    assert!(e.line >= 3 && e.column >= 1, "{e:?}");
    let d = validate(&tree("bundle:\n  name: x\n  name: y\n"));
    assert_eq!(find(&d, "already defined").line, 3);
}

#[test]
fn unknown_field_is_a_warning() {
    let d = validate(&with_job(&JOB.replace(
        "      name: sales_etl\n",
        "      name: sales_etl\n      max_concurent_runs: 2\n",
    )));
    let w = find(&d, "unknown field: max_concurent_runs");
    assert_eq!((w.severity, w.line, w.column), (Severity::Warning, 5, 7));
    assert_eq!(w.path, "resources.jobs.sales_etl.max_concurent_runs");
    let d = validate(&tree(&format!("{VALID}sync_paths: [x]\n")));
    assert_eq!(find(&d, "unknown field: sync_paths").line, 23);
}

#[test]
fn required_fields_and_enums() {
    let job = JOB.replace(
        "          environment_key: default\n",
        "          environment_key: default\n          run_if: SOMETIMES\n",
    ) + "      schedule:\n        quartz_cron_expression: 0 0 6 * * ?\n";
    let d = validate(&with_job(&job));
    let w = find(&d, "timezone_id");
    assert_eq!((w.severity, w.line), (Severity::Warning, 22));
    let e = find(&d, "invalid value `SOMETIMES`");
    assert_eq!(e.line, 17);
    assert!(e.hint.as_deref().unwrap_or("").contains("ALL_DONE"));
    let d = validate(&with_job(&JOB.replace(
        "        - task_key: ingest\n",
        "        - description: no key\n",
    )));
    assert_eq!(find(&d, "missing `task_key`").line, 6);
}

#[test]
fn target_mode_must_be_known() {
    let d = validate(&tree(&VALID.replace("mode: production", "mode: prod")));
    let e = find(&d, "unsupported value `prod` for mode");
    assert_eq!((e.severity, e.line), (Severity::Error, 19));
}

#[test]
fn resource_key_rules() {
    let job = JOB.replace("    sales_etl:\n", "    ${var.catalog}_etl:\n");
    let d = validate(&with_job(&job));
    assert_eq!(find(&d, "contains a variable reference").line, 3);
    let job = JOB.replace("    sales_etl:\n", "    \"sales etl!\":\n");
    let d = validate(&with_job(&job));
    let w = find(&d, "should contain only letters");
    assert_eq!((w.line, w.hint.as_deref()), (3, Some("use `sales_etl`")));
    // duplicate across files
    let t = with_job(JOB).with_file("resources/copy.job.yml", JOB);
    let d = validate(&t);
    let e = find(&d, "same key: sales_etl");
    assert_eq!(
        (e.file.as_str(), e.line),
        ("resources/sales_etl.job.yml", 3)
    );
    // null resource
    let d = validate(&with_job("resources:\n  jobs:\n    empty:\n"));
    assert_eq!(find(&d, "has no value").line, 3);
}

#[test]
fn interpolation_syntax() {
    let d = validate(&with_job(&JOB.replace("${var.catalog}", "${var.catalog")));
    let e = find(&d, "invalid interpolation syntax");
    assert_eq!((e.line, e.column), (10, 24));
    let d = validate(&with_job(&JOB.replace("${var.catalog}", "${var.}")));
    assert_eq!(find(&d, "invalid interpolation").line, 10);
}

#[test]
fn references_must_exist() {
    let d = validate(&with_job(&JOB.replace("${var.catalog}", "${var.catalgo}")));
    let e = find(&d, "reference does not exist: ${var.catalgo}");
    assert_eq!((e.severity, e.line), (Severity::Error, 10));
    let d = validate(&with_job(&JOB.replace("${var.catalog}", "${bundle.nam}")));
    assert_eq!(find(&d, "${bundle.nam}").line, 10);
    let d = validate(&with_job(
        &JOB.replace("${var.catalog}", "${resources.jobs.other.id}"),
    ));
    assert_eq!(find(&d, "no resource `jobs.other`").line, 10);
    let d = validate(&with_job(
        &JOB.replace("${var.catalog}", "${resources.jobs.sales_etl.id}"),
    ));
    assert_eq!(
        find(&d, "cycle in").line,
        3,
        "a job referencing its own id is a cycle"
    );
    // valid ones
    let d = validate(&with_job(&JOB.replace(
        "${var.catalog}",
        "${bundle.target}-${workspace.current_user.short_name}-{{job.id}}",
    )));
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn variable_cycles_are_detected() {
    let root = VALID.replace(
        "    default: main\n",
        "    default: ${var.schema}\n  schema:\n    default: ${var.catalog}_s\n",
    );
    let d = validate(&tree(&root));
    let lines: Vec<_> = d
        .iter()
        .filter(|d| d.message.contains("cycle detected"))
        .map(|d| d.line)
        .collect();
    assert_eq!(lines, [6, 9]);
}

#[test]
fn job_cluster_key_must_be_defined() {
    let job = JOB.replace(
        "          environment_key: default\n",
        "          job_cluster_key: main_cluster\n",
    );
    let d = validate(&with_job(&job));
    let w = find(&d, "job_cluster_key `main_cluster` is not defined");
    assert_eq!((w.severity, w.line), (Severity::Warning, 16));
    let job = JOB.replace(
        "          environment_key: default\n",
        "          environment_key: gpu\n",
    );
    let d = validate(&with_job(&job));
    assert_eq!(find(&d, "environment_key `gpu` is not defined").line, 16);
}

#[test]
fn every_task_has_compute() {
    let job = JOB.replace("          environment_key: default\n", "");
    let d = validate(&with_job(&job));
    let e = find(&d, "Missing required cluster or environment settings");
    assert_eq!(
        (e.severity, e.line, e.path.as_str()),
        (Severity::Error, 11, "resources.jobs.sales_etl.tasks[1]")
    );
}

#[test]
fn task_dependencies() {
    let d = validate(&with_job(&JOB.replace(
        "            - task_key: ingest\n",
        "            - task_key: ingset\n",
    )));
    assert_eq!(find(&d, "depends on `ingset`").line, 13);
    let job = JOB.replacen(
        "        - task_key: ingest\n",
        "        - task_key: ingest\n          depends_on:\n            - task_key: report\n",
        1,
    );
    let d = validate(&with_job(&job));
    let lines: Vec<_> = d
        .iter()
        .filter(|d| d.message.contains("dependency cycle"))
        .map(|d| d.line)
        .collect();
    assert_eq!(lines, [6, 13], "{d:#?}");
    let d = validate(&with_job(
        &JOB.replace("task_key: report", "task_key: ingest"),
    ));
    assert_eq!(find(&d, "duplicate task_key").line, 11);
}

#[test]
fn referenced_paths_exist_and_notebooks_look_like_notebooks() {
    let d = validate(&with_job(&JOB.replace("../src/ingest.py", "../src/ingest")));
    let e = find(&d, "notebook ../src/ingest not found");
    assert_eq!(
        (e.line, e.hint.as_deref()),
        (8, Some("Did you mean ../src/ingest.py?"))
    );
    let d = validate(&with_job(
        &JOB.replace("../src/ingest.py", "../src/report.py"),
    ));
    assert_eq!(find(&d, "is not a notebook").line, 8);
    let d = validate(&with_job(
        &JOB.replace("../src/report.py", "../src/ingest.py"),
    ));
    assert_eq!(find(&d, "is a notebook").line, 15);
    let d = validate(&with_job(&JOB.replace("../src/ingest.py", "src/ingest.py")));
    assert_eq!(
        find(&d, "not found").line,
        8,
        "paths are relative to the YAML file"
    );
    let d = validate(&with_job(
        &JOB.replace("../src/ingest.py", "../../elsewhere/nb.py"),
    ));
    assert_eq!(find(&d, "outside the bundle root").line, 8);
    // absolute workspace paths and git jobs are not checked
    let d = validate(&with_job(
        &JOB.replace("../src/ingest.py", "/Workspace/Shared/nb"),
    ));
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn mode_rules() {
    let root = VALID.replace(
        "      root_path: /Workspace/Shared/.bundle/${bundle.name}/${bundle.target}\n",
        "",
    );
    let d = validate(&tree(&root));
    let e = find(&d, "does not set `workspace.root_path`");
    assert_eq!((e.severity, e.line), (Severity::Error, 18));
    let root2 = format!("{root}run_as:\n  service_principal_name: 1234-abcd\n");
    let d = validate(&tree(&root2));
    assert_eq!(
        find(&d, "does not set `workspace.root_path`").severity,
        Severity::Recommendation
    );
    let root = VALID.replace("      host: https://example.cloud.databricks.com\n  prod:", "      host: https://example.cloud.databricks.com\n    presets:\n      trigger_pause_status: UNPAUSED\n  prod:");
    let d = validate(&tree(&root));
    assert_eq!(find(&d, "not allowed in development mode").line, 19);
    let root = VALID.replace(
        "    mode: production\n",
        "    mode: production\n    default: true\n",
    );
    let d = validate(&tree(&root));
    let lines: Vec<_> = d
        .iter()
        .filter(|d| d.message.contains("more than one target"))
        .map(|d| d.line)
        .collect();
    assert_eq!(lines, [15, 20]);
    let t = with_job(JOB).with_file(
        "resources/p.pipeline.yml",
        "resources:\n  pipelines:\n    p:\n      name: p\n      development: true\n",
    );
    let d = validate(&t);
    let e = find(&d, "has `development: true`");
    assert_eq!((e.file.as_str(), e.line), ("resources/p.pipeline.yml", 5));
}

#[test]
fn deployment_only_fields_are_banned() {
    let job = JOB.replace(
        "      name: sales_etl\n",
        "      name: sales_etl\n      job_id: 123\n      deployment:\n        kind: BUNDLE\n      edit_mode: UI_LOCKED\n      format: MULTI_TASK\n",
    );
    let d = validate(&with_job(&job));
    assert_eq!(find(&d, "`job_id` is a read-only").line, 5);
    let e = find(&d, "`deployment` is managed by the CLI");
    assert_eq!((e.severity, e.line), (Severity::Error, 6));
    assert_eq!(find(&d, "`edit_mode` is managed").line, 8);
    assert_eq!(find(&d, "`format` is managed").line, 9);
    let t = with_job(JOB).with_file(
        "resources/d.dashboard.yml",
        "resources:\n  dashboards:\n    d:\n      display_name: d\n      etag: \"12\"\n",
    );
    assert_eq!(find(&validate(&t), "`etag` must not be set").line, 5);
}

#[test]
fn variables_and_targets() {
    let root = format!("{VALID}  staging:\n    variables:\n      schema: x\n");
    let d = validate(&tree(&root));
    assert_eq!(
        find(&d, "variable `schema` is not defined at the top level").line,
        25
    );
    let root = VALID.replace(
        "      warehouse: Shared Serverless\n",
        "      warehouse: Shared\n      cluster: c\n",
    );
    assert_eq!(find(&validate(&tree(&root)), "exactly one kind").line, 11);
    let root = VALID.replace("    default: main\n", "    default: {a: 1}\n");
    assert_eq!(find(&validate(&tree(&root)), "not `type: complex`").line, 8);
    let root = format!("{VALID}run_as:\n  user_name: a@b.c\n  service_principal_name: x\n");
    let d = validate(&tree(&root));
    assert_eq!(find(&d, "sets both").line, 23, "{d:#?}");
    let root = VALID.replace(
        "      host: https://example.cloud.databricks.com\n  prod:",
        "      host: ${var.catalog}\n  prod:",
    );
    assert_eq!(
        find(
            &validate(&tree(&root)),
            "must not contain variable references"
        )
        .line,
        17
    );
    let root = VALID.replace("/Workspace/Shared/.bundle", "/Volumes/main/x");
    assert_eq!(
        find(&validate(&tree(&root)), "cannot be a /Volumes path").line,
        22
    );
}

#[test]
fn include_rules() {
    let root = VALID.replace(
        "  - resources/*.yml\n",
        "  - resources/missing.yml\n  - /abs/*.yml\n",
    );
    let d = validate(&with_job(JOB).with_file("databricks.yml", root));
    assert_eq!(find(&d, "matches no file").line, 4);
    assert_eq!(find(&d, "is absolute").line, 5);
    let w = find(&d, "is not matched by `include`");
    assert_eq!(w.file, "resources/sales_etl.job.yml");
    let d = validate(&FileTree::new().with_file("README.md", "x"));
    assert!(find(&d, "no bundle configuration").is_error());
}

#[test]
fn diagnostics_display_with_hint() {
    let d = validate(&with_job(&JOB.replace("${var.catalog}", "${var.nope}")));
    let text = d[0].to_string();
    assert!(
        text.starts_with("error: reference does not exist"),
        "{text}"
    );
    assert!(
        text.contains("(resources/sales_etl.job.yml:10:24)"),
        "{text}"
    );
    assert!(text.contains("hint: declare `nope`"), "{text}");
}

#[test]
fn schema_driven_validation() {
    let Ok(path) = std::env::var("BUNDLE_SCHEMA_PATH") else {
        println!("skipped: set BUNDLE_SCHEMA_PATH to the bundle JSON schema to run this test");
        return;
    };
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read schema"))
            .expect("schema JSON");
    let v = Validator::new().with_schema(schema);
    assert!(
        v.validate(&with_job(JOB)).is_empty(),
        "{:#?}",
        v.validate(&with_job(JOB))
    );
    let job = JOB
        .replace(
            "            python_file: ../src/report.py\n",
            "            python_file: ../src/report.py\n            pyton_params: [a]\n",
        )
        .replace(
            "          environment_key: default\n",
            "          environment_key: default\n          run_if: SOMETIMES\n",
        );
    let d = v.validate(&with_job(&job));
    let w = find(&d, "unknown field: pyton_params");
    assert_eq!(
        (w.line, w.path.as_str()),
        (
            16,
            "resources.jobs.sales_etl.tasks[1].spark_python_task.pyton_params"
        )
    );
    assert_eq!(find(&d, "invalid value `SOMETIMES`").line, 18);
    let d = v.validate(&with_job(
        &JOB.replace("        - task_key: ingest\n", "        - description: x\n"),
    ));
    assert!(
        d.iter()
            .any(|d| d.message.contains("missing required field `task_key`") && d.line == 6),
        "{d:#?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,300}") {
        let _ = Validator::new().validate_yaml(&text);
    }

    #[test]
    fn yaml_shaped_text_never_panics(
        lines in prop::collection::vec(
            prop_oneof![
                Just("bundle:".to_string()),
                Just("  name: x".to_string()),
                Just("resources:".to_string()),
                Just("  jobs:".to_string()),
                Just("    j:".to_string()),
                Just("      tasks:".to_string()),
                Just("        - task_key: a".to_string()),
                Just("          depends_on: [{task_key: a}]".to_string()),
                Just("          notebook_task: {notebook_path: ../x}".to_string()),
                Just("variables: {a: {default: ${var.a}}}".to_string()),
                Just("targets: {d: {mode: development, default: true}}".to_string()),
                Just("x: &a [*a]".to_string()),
                Just("<<: {a: 1}".to_string()),
                "[ -~]{0,30}",
            ],
            0..25,
        ),
    ) {
        let _ = Validator::new().validate_yaml(&lines.join("\n"));
    }
}
