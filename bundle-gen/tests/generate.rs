//! Generation snapshot tests: one per job shape, each validated offline, against the official
//! schema (when `BUNDLE_SCHEMA_PATH` is set), and round-tripped through the loader.

use bundle_gen::{
    Compute, FileTree, GeneratedBundle, JobImport, JobImportOptions, NotebookFile,
    NotebookLanguage, NotebooksOptions, Severity, bundle_from_notebooks, load_bundle,
    scaffold_notebook_tests,
};
use serde_json::{Value, json};

const HOST: &str = "https://example.cloud.databricks.com";

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/jobs/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {path}: {e}"))
}

/// Exported notebook text for a workspace path (SQL for paths containing `sql`).
fn export(path: &str) -> (String, NotebookLanguage) {
    if path.contains("sql") {
        (
            format!("-- Databricks notebook source\nSELECT 1 -- {path}\n"),
            NotebookLanguage::Sql,
        )
    } else {
        (
            format!("# Databricks notebook source\nprint({path:?})\n"),
            NotebookLanguage::Python,
        )
    }
}

fn generate(job: &Value, opts: JobImportOptions) -> GeneratedBundle {
    let mut import = JobImport::new(job, opts.with_host(HOST)).expect("import");
    let paths: Vec<String> = import
        .sources()
        .iter()
        .map(|s| s.workspace_path.clone())
        .collect();
    for p in paths {
        let (text, lang) = export(&p);
        import.add_source(&p, &text, Some(lang));
    }
    import.finish().expect("finish")
}

fn schema_validator() -> Option<jsonschema::Validator> {
    let path = std::env::var("BUNDLE_SCHEMA_PATH").ok()?;
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read schema")).expect("schema");
    Some(jsonschema::validator_for(&schema).expect("compile schema"))
}

/// Offline validator clean, official schema clean, loader round trip.
fn check(out: &GeneratedBundle) {
    let diags = out.validate();
    assert!(
        diags.iter().all(|d| d.severity != Severity::Error),
        "{diags:#?}"
    );
    assert!(
        diags.is_empty(),
        "generated bundles should be clean: {diags:#?}"
    );
    match schema_validator() {
        None => println!("skipped schema check: set BUNDLE_SCHEMA_PATH to the bundle JSON schema"),
        Some(v) => {
            for p in out.files.paths().filter(|p| p.ends_with(".yml")) {
                let doc: Value = serde_saphyr::from_str(out.files.text(p).unwrap()).expect("yaml");
                let errors: Vec<String> = v
                    .iter_errors(&doc)
                    .map(|e| format!("{} at {}", e, e.instance_path()))
                    .collect();
                assert!(
                    errors.is_empty(),
                    "{p} violates the schema: {errors:#?}\n{}",
                    out.files.text(p).unwrap()
                );
            }
        }
    }
    assert_eq!(
        load_bundle(&out.files).expect("load"),
        out.bundle,
        "parse(write(bundle)) == bundle"
    );
}

fn snapshot(name: &str, out: &GeneratedBundle) {
    let mut text = out.files.to_text();
    if !out.warnings.is_empty() {
        text.push_str("=== warnings ===\n");
        for w in &out.warnings {
            text.push_str(w);
            text.push('\n');
        }
    }
    insta::assert_snapshot!(name, text);
}

macro_rules! job_shape {
    ($test:ident, $fixture:literal) => {
        #[test]
        fn $test() {
            let out = generate(&fixture($fixture), JobImportOptions::new());
            check(&out);
            snapshot($fixture, &out);
        }
    };
}

job_shape!(notebook_job, "notebook");
job_shape!(spark_python_job, "spark_python");
job_shape!(python_wheel_job, "python_wheel");
job_shape!(sql_job, "sql");
job_shape!(run_job_job, "run_job");
job_shape!(for_each_job, "for_each");
job_shape!(condition_job, "condition");
job_shape!(job_clusters_job, "job_clusters");
job_shape!(environments_job, "environments");
job_shape!(schedule_job, "schedule_trigger");
job_shape!(trigger_job, "trigger");
job_shape!(notifications_job, "notifications");

#[test]
fn notebook_job_strips_read_only_fields_and_lifts_ids() {
    let out = generate(
        &fixture("notebook"),
        JobImportOptions::new().with_key("orders"),
    );
    let yaml = out.files.text("resources/orders.job.yml").unwrap();
    for banned in [
        "job_id",
        "creator_user_name",
        "run_as_user_name",
        "created_time",
        "effective_",
        "format:",
        "timeout_seconds: 0",
        "email_notifications",
    ] {
        assert!(!yaml.contains(banned), "{banned} in\n{yaml}");
    }
    assert!(
        yaml.contains("notebook_path: ../src/etl/ingest.py"),
        "{yaml}"
    );
    assert!(
        yaml.contains("notebook_path: ../src/reports/daily.py"),
        "{yaml}"
    );
    assert!(
        yaml.contains("existing_cluster_id: ${var.cluster_id}"),
        "{yaml}"
    );
    assert!(
        yaml.contains("cost_center: \"1_000\"") && yaml.contains("enabled: \"yes\""),
        "{yaml}"
    );
    assert!(out.files.contains("src/etl/ingest.py") && out.files.contains("src/reports/daily.py"));
    let root = out.files.text("databricks.yml").unwrap();
    assert!(root.contains("default: 0612-101010-abcd1234"), "{root}");
}

#[test]
fn bundle_deployed_job_drops_deployment_fields() {
    let out = generate(&fixture("notifications"), JobImportOptions::new());
    let yaml = out.files.text("resources/notify.job.yml").unwrap();
    assert!(
        !yaml.contains("deployment") && !yaml.contains("edit_mode") && !yaml.contains("UI_LOCKED"),
        "{yaml}"
    );
}

#[test]
fn python_files_are_downloaded_on_request() {
    let mut import = JobImport::new(
        &fixture("spark_python"),
        JobImportOptions::new().with_python_files(true),
    )
    .unwrap();
    assert_eq!(import.sources().len(), 1);
    import.add_source(
        "/Workspace/Shared/ml/score.py",
        "import sys\nprint(sys.argv)\n",
        None,
    );
    let out = import.finish().unwrap();
    let yaml = out.files.text("resources/nightly_scoring.job.yml").unwrap();
    assert!(yaml.contains("python_file: ../src/score.py"), "{yaml}");
    assert!(
        yaml.contains("- \"on\""),
        "ambiguous parameter quoted: {yaml}"
    );
    check(&out);
}

#[test]
fn job_with_more_than_100_tasks() {
    let tasks: Vec<Value> = (0..130)
        .map(|i| {
            let mut t = json!({"task_key": format!("step_{i:03}"), "notebook_task": {"notebook_path": format!("/Users/ana@example.com/big/part_{}/step_{i:03}", i % 3)}});
            if i > 0 {
                t["depends_on"] = json!([{"task_key": format!("step_{:03}", i - 1)}]);
            }
            t
        })
        .collect();
    // jobs.get 2.2 returns 100 tasks per page; the client merges pages before we see them
    let job = json!({"job_id": 99, "settings": {"name": "big job", "tasks": tasks}});
    let out = generate(&job, JobImportOptions::new());
    check(&out);
    assert_eq!(
        out.bundle.resources.jobs["big_job"].settings.tasks.len(),
        130
    );
    assert_eq!(
        out.files.paths().filter(|p| p.starts_with("src/")).count(),
        130
    );
    assert!(out.files.contains("src/part_2/step_128.py"));
    snapshot(
        "big_job_resource",
        &GeneratedBundle::clone(&out).with_only("resources/big_job.job.yml"),
    );
}

trait Only {
    fn with_only(self, path: &str) -> Self;
}

impl Only for GeneratedBundle {
    fn with_only(mut self, path: &str) -> Self {
        let content = self.files.get(path).map(<[u8]>::to_vec).unwrap_or_default();
        self.files = FileTree::new().with_file(path, content);
        self
    }
}

const INGEST: &str = r#"# Databricks notebook source
# MAGIC %pip install pandas==2.2.2 -r /Workspace/Shared/req.txt

# COMMAND ----------

# MAGIC %run ./lib/common

# COMMAND ----------

dbutils.widgets.text("catalog", "main")
dbutils.widgets.text("schema", "sales")

# COMMAND ----------

def orders_table(catalog, schema):
    return f"{catalog}.{schema}.orders"

def clean(df):
    return df.dropna()

spark.table("main.raw.orders").write.saveAsTable("main.sales.orders")
"#;

const REPORT: &str = "-- Databricks notebook source\nCREATE WIDGET TEXT catalog DEFAULT \"main\";\n\n-- COMMAND ----------\n\nCREATE OR REPLACE TABLE main.sales.daily AS SELECT * FROM main.sales.orders\n";
const COMMON: &str = "# Databricks notebook source\ndef helper():\n    return 1\n";

fn folder() -> Vec<NotebookFile> {
    vec![
        NotebookFile::new("reports/daily.sql", REPORT),
        NotebookFile::new("ingest.py", INGEST),
        NotebookFile::new("lib/common.py", COMMON),
        NotebookFile::new("README.md", "# sales\n"),
    ]
}

#[test]
fn from_notebooks_serverless() {
    let out = bundle_from_notebooks(
        &folder(),
        &NotebooksOptions::new("sales_etl").with_host(HOST),
    )
    .unwrap();
    check(&out);
    let yaml = out.files.text("resources/sales_etl.job.yml").unwrap();
    assert!(
        !yaml.contains("common"),
        "helpers included with %run are not tasks: {yaml}"
    );
    assert!(
        yaml.contains("depends_on:\n            - task_key: ingest"),
        "lineage dependency: {yaml}"
    );
    snapshot("notebooks_serverless", &out);
}

#[test]
fn from_notebooks_job_cluster_with_order() {
    let opts = NotebooksOptions::new("sales_etl")
        .with_compute(Compute::JobCluster {
            spark_version: "16.4.x-scala2.12".into(),
            node_type_id: "i3.xlarge".into(),
            num_workers: 2,
        })
        .with_order(["reports/daily.sql", "ingest.py"]);
    let out = bundle_from_notebooks(&folder(), &opts).unwrap();
    check(&out);
    let yaml = out.files.text("resources/sales_etl.job.yml").unwrap();
    assert!(
        yaml.contains("package: pandas==2.2.2")
            && yaml.contains("requirements: /Workspace/Shared/req.txt"),
        "{yaml}"
    );
    snapshot("notebooks_job_cluster", &out);
}

#[test]
fn scaffolded_tests_and_task() {
    let mut out = bundle_from_notebooks(&folder(), &NotebooksOptions::new("sales_etl")).unwrap();
    let s = scaffold_notebook_tests(&mut out.bundle, "sales_etl", "src/ingest.py", INGEST).unwrap();
    assert_eq!(s.functions, ["orders_table", "clean"]);
    let mut files = bundle_gen::write_bundle(&out.bundle).unwrap();
    for f in folder() {
        files.insert(format!("src/{}", f.path), f.content);
    }
    files.extend(s.files.clone());
    let diags = bundle_gen::Validator::new().validate(&files);
    assert!(diags.is_empty(), "{diags:#?}");
    let test_py = s.files.text("tests/test_ingest.py").unwrap();
    assert!(
        test_py.contains("def test_orders_table_with_widget_defaults(notebook, catalog, schema):"),
        "{test_py}"
    );
    assert!(
        !test_py.contains("def test_clean_with"),
        "clean(df) has no widget parameters"
    );
    insta::assert_snapshot!("scaffold_test_ingest", test_py);
    insta::assert_snapshot!(
        "scaffold_job",
        files.text("resources/sales_etl.job.yml").unwrap()
    );
}
