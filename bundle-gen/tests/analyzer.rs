//! Notebook analyzer tests on realistic notebooks in Python, SQL, Scala, R and `.ipynb`.

use bundle_gen::{
    CellKind, LibraryKind, NotebookAnalysis, NotebookFormat, NotebookKind, NotebookLanguage,
    WarningKind, WidgetKind, analyze_notebook, detect_notebook_kind,
};
use proptest::prelude::*;

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/notebooks/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

fn widget<'a>(a: &'a NotebookAnalysis, name: &str) -> &'a bundle_gen::Widget {
    a.widgets
        .iter()
        .find(|w| w.name == name)
        .unwrap_or_else(|| panic!("widget {name} missing in {:?}", a.widgets))
}

fn names(t: &[bundle_gen::TableRef]) -> Vec<&str> {
    t.iter().map(|t| t.name.as_str()).collect()
}

#[test]
fn python_notebook() {
    let a = analyze_notebook(
        "/Workspace/Users/a@x.com/orders/ingest_orders.py",
        &fixture("ingest_orders.py"),
    );
    assert_eq!(a.language, NotebookLanguage::Python);
    assert_eq!(a.format, NotebookFormat::Source);
    assert_eq!(a.cells.len(), 9);
    assert_eq!(a.cells[0].kind, CellKind::Markdown);
    assert_eq!(a.cells[1].kind, CellKind::Pip);
    assert_eq!(a.cells[3].kind, CellKind::Run);
    assert_eq!(a.cells[4].title.as_deref(), Some("Parameters"));
    assert_eq!(a.cells[7].kind, CellKind::Code(NotebookLanguage::Sql));
    assert!(a.cells[7].source.starts_with("INSERT INTO"));

    let env = widget(&a, "env");
    assert_eq!(env.kind, WidgetKind::Dropdown);
    assert_eq!(env.default.as_deref(), Some("dev"));
    assert_eq!(env.choices, ["dev", "staging", "prod"]);
    assert_eq!(env.label.as_deref(), Some("Environment"));
    assert_eq!(widget(&a, "catalog").default.as_deref(), Some("main"));
    assert_eq!(
        widget(&a, "run_date").default.as_deref(),
        Some("2024-01-01")
    );
    let limit = widget(&a, "row_limit");
    assert_eq!(
        (limit.kind, limit.default.as_deref()),
        (WidgetKind::Read, None)
    );
    assert_eq!(
        a.parameters()[..3],
        [
            ("catalog".to_string(), "main".to_string()),
            ("env".to_string(), "dev".to_string()),
            ("run_date".to_string(), "2024-01-01".to_string())
        ]
    );

    assert_eq!(a.runs.len(), 1);
    assert_eq!(a.runs[0].raw, "../common/setup");
    assert_eq!(a.runs[0].resolved, "/Workspace/Users/a@x.com/common/setup");
    assert_eq!(
        a.runs[0].arguments.get("env").map(String::as_str),
        Some("dev")
    );

    let libs: Vec<_> = a
        .libraries
        .iter()
        .map(|l| (l.kind, l.spec.as_str()))
        .collect();
    assert_eq!(
        libs,
        [
            (LibraryKind::Pip, "pandas==2.2.2"),
            (LibraryKind::Pip, "great-expectations>=0.18"),
            (
                LibraryKind::Requirements,
                "/Workspace/Shared/etl/requirements.txt"
            ),
        ]
    );
    assert_eq!(a.notebook_calls.len(), 1);
    assert_eq!(
        a.notebook_calls[0].resolved,
        "/Workspace/Users/a@x.com/orders/validate_orders"
    );
    assert_eq!(a.exit_values, ["OK"]);
    assert_eq!(a.task_values_set, ["row_count"]);

    assert_eq!(
        names(&a.tables_read),
        [
            "{catalog}.raw.orders",
            "main.crm.customers",
            "main.bronze.orders_updates",
            "main.silver.orders"
        ]
    );
    assert!(a.tables_read[0].templated && !a.tables_read[1].templated);
    assert_eq!(
        names(&a.tables_written),
        [
            "{catalog}.bronze.orders",
            "main.silver.orders",
            "main.gold.daily_orders"
        ]
    );
    let secrets: Vec<_> = a
        .secrets
        .iter()
        .map(|s| (s.scope.as_str(), s.key.as_str()))
        .collect();
    assert_eq!(
        secrets,
        [("orders-kv", "vendor-api-key"), ("jdbc", "password")]
    );

    let token = a
        .warnings
        .iter()
        .find(|w| w.kind == WarningKind::CredentialInSource)
        .expect("token warning");
    assert_eq!(token.line, 54);
    assert!(
        !token.message.contains("dapi0123"),
        "message must not leak the token"
    );
    let paths: Vec<_> = a
        .warnings
        .iter()
        .filter(|w| w.kind == WarningKind::HardCodedPath)
        .map(|w| w.line)
        .collect();
    assert_eq!(paths, [33], "{:?}", a.warnings);
}

#[test]
fn sql_notebook() {
    let a = analyze_notebook("reports/daily_report.sql", &fixture("daily_report.sql"));
    assert_eq!(a.language, NotebookLanguage::Sql);
    assert_eq!(a.cells[3].title.as_deref(), Some("Build report"));
    assert_eq!(a.cells[5].kind, CellKind::Code(NotebookLanguage::Python));
    let region = widget(&a, "region");
    assert_eq!(region.kind, WidgetKind::Dropdown);
    assert_eq!(region.choices, ["emea", "amer", "apac"]);
    assert_eq!(widget(&a, "catalog").default.as_deref(), Some("main"));
    assert_eq!(
        widget(&a, "cutoff_date").default.as_deref(),
        Some("2020-01-01")
    );
    assert_eq!(widget(&a, "cutoff_date").kind, WidgetKind::Text);
    assert_eq!(
        names(&a.tables_written),
        [
            "main.sales.revenue_daily",
            "main.reporting.revenue_snapshot",
            "main.reporting.targets_copy"
        ]
    );
    assert_eq!(
        names(&a.tables_read),
        [
            "main.sales.orders",
            "main.sales_ref.regions",
            "IDENTIFIER(:catalog || '.sales.revenue_daily')",
            "main.sales.targets"
        ]
    );
    assert!(a.tables_read[2].templated);
    assert_eq!(a.secrets.len(), 1);
    assert_eq!(a.secrets[0].scope, "reporting");
}

#[test]
fn scala_notebook() {
    let a = analyze_notebook(
        "/Repos/team/iot/Aggregate.scala",
        &fixture("Aggregate.scala"),
    );
    assert_eq!(a.language, NotebookLanguage::Scala);
    assert_eq!(a.runs[0].resolved, "/Repos/team/iot/lib/Helpers");
    let g = widget(&a, "granularity");
    assert_eq!(g.choices, ["minute", "hour", "day"]);
    assert_eq!(g.default.as_deref(), Some("hour"));
    assert_eq!(
        widget(&a, "source_table").default.as_deref(),
        Some("main.iot.events")
    );
    assert_eq!(
        names(&a.tables_read),
        [
            "main.iot.events",
            "main.iot.devices",
            "main.iot.device_counts",
            "main.iot.device_owners"
        ]
    );
    assert_eq!(names(&a.tables_written), ["main.iot.device_counts"]);
    assert_eq!(a.secrets[0].key, "db-password");
    assert_eq!(a.exit_values, ["done"]);
    let w: Vec<_> = a.warnings.iter().map(|w| (w.kind, w.line)).collect();
    assert_eq!(w, [(WarningKind::HardCodedPath, 30)]);
}

#[test]
fn r_notebook() {
    let a = analyze_notebook("ml/churn_model.r", &fixture("churn_model.r"));
    assert_eq!(a.language, NotebookLanguage::R);
    assert_eq!(widget(&a, "model_type").kind, WidgetKind::Combobox);
    assert_eq!(widget(&a, "model_type").choices, ["glm", "xgboost"]);
    assert_eq!(
        widget(&a, "train_table").default.as_deref(),
        Some("main.ml.churn_features")
    );
    assert_eq!(a.libraries[0].spec, "xgboost==2.0.3");
    assert_eq!(a.runs[0].raw, "./utils/metrics");
    assert_eq!(a.runs[0].resolved, "ml/utils/metrics");
    assert_eq!(
        names(&a.tables_read),
        ["main.ml.churn_features", "main.ml.churn_scores"]
    );
    assert_eq!(names(&a.tables_written), ["main.ml.churn_high_risk"]);
    assert_eq!(a.secrets[0].scope, "ml");
}

#[test]
fn ipynb_notebook() {
    let a = analyze_notebook("src/explore.ipynb", &fixture("explore.ipynb"));
    assert_eq!(a.format, NotebookFormat::Jupyter);
    assert_eq!(a.language, NotebookLanguage::Python);
    assert_eq!(a.cells.len(), 5);
    assert_eq!(a.cells[1].title.as_deref(), Some("Install"));
    assert_eq!(a.cells[4].kind, CellKind::Code(NotebookLanguage::Sql));
    assert_eq!(widget(&a, "catalog").default.as_deref(), Some("main"));
    assert_eq!(widget(&a, "catalog").label.as_deref(), Some("Catalog"));
    assert_eq!(widget(&a, "schema").kind, WidgetKind::Dropdown);
    assert_eq!(widget(&a, "schema").choices, ["default", "sandbox"]);
    assert_eq!(a.environment_version.as_deref(), Some("2"));
    let libs: Vec<_> = a
        .libraries
        .iter()
        .map(|l| (l.kind, l.spec.as_str()))
        .collect();
    assert_eq!(
        libs,
        [
            (LibraryKind::Pip, "numpy<2"),
            (LibraryKind::Requirements, "/Workspace/Shared/req.txt"),
            (LibraryKind::Pip, "plotly==5.22.0"),
        ]
    );
    assert_eq!(a.runs[0].resolved, "src/shared/config");
    assert_eq!(names(&a.tables_read), ["samples.nyctaxi.trips"]);
    assert_eq!(names(&a.tables_written), ["{catalog}.{schema}.trips_copy"]);
}

#[test]
fn detection_follows_cli_rules() {
    let py = "# Databricks notebook source\nprint(1)";
    assert_eq!(
        detect_notebook_kind("a.py", py),
        Some(NotebookKind::Source(NotebookLanguage::Python))
    );
    assert_eq!(
        detect_notebook_kind("a.r", py),
        Some(NotebookKind::Source(NotebookLanguage::R))
    );
    assert_eq!(
        detect_notebook_kind("a.scala", py),
        None,
        "header must match the extension"
    );
    assert_eq!(detect_notebook_kind("a.py", "print(1)"), None);
    assert_eq!(
        detect_notebook_kind("a.ipynb", &fixture("explore.ipynb")),
        Some(NotebookKind::Jupyter(NotebookLanguage::Python))
    );
    assert_eq!(detect_notebook_kind("a.ipynb", "{\"cells\": []}"), None);
}

#[test]
fn plain_file_and_broken_ipynb() {
    let a = analyze_notebook("job.py", "import sys\nspark.table('a.b.c')\n");
    assert_eq!(a.format, NotebookFormat::PlainFile);
    assert_eq!(names(&a.tables_read), ["a.b.c"]);
    let b = analyze_notebook("x.ipynb", "{not json");
    assert_eq!(b.warnings[0].kind, WarningKind::Parse);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(
        body in ".{0,400}",
        ext in prop::sample::select(vec!["py", "sql", "scala", "r", "ipynb", ""]),
    ) {
        let _ = analyze_notebook(&format!("d/nb.{ext}"), &body);
        let _ = detect_notebook_kind(&format!("d/nb.{ext}"), &body);
    }

    #[test]
    fn notebook_shaped_text_never_panics(
        lines in prop::collection::vec(
            prop_oneof![
                Just("# COMMAND ----------".to_string()),
                Just("# MAGIC %sql".to_string()),
                Just("# MAGIC %run".to_string()),
                Just("# MAGIC %pip install -r".to_string()),
                Just("# DBTITLE 1,".to_string()),
                Just("dbutils.widgets.text(\"".to_string()),
                Just("spark.sql(f'''".to_string()),
                Just("MERGE INTO".to_string()),
                Just("CREATE WIDGET TEXT".to_string()),
                "[ -~]{0,40}",
            ],
            0..30,
        ),
    ) {
        let text = format!("# Databricks notebook source\n{}", lines.join("\n"));
        let _ = analyze_notebook("/Users/x/nb.py", &text);
    }
}
