//! Generate or validate a Databricks Asset Bundle.
//!
//! ```sh
//! # from an existing job (workspace from DATABRICKS_* env vars or ~/.databrickscfg)
//! cargo run -p examples --example generate-bundle -- --job-id 123 --out ./my_bundle
//! # from a folder of notebooks (serverless, or a job cluster with --node-type)
//! cargo run -p examples --example generate-bundle -- --notebooks ./notebooks --out ./my_bundle
//! # from job settings saved as JSON (`databricks jobs get 123 > job.json`)
//! cargo run -p examples --example generate-bundle -- --job-json job.json --out ./my_bundle
//! # validate an existing bundle folder (set BUNDLE_SCHEMA_PATH for schema checks)
//! cargo run -p examples --example generate-bundle -- --validate ./my_bundle
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use bundle_gen::{
    Compute, Diagnostic, FileTree, GeneratedBundle, JobImport, JobImportOptions, NotebookFile,
    NotebooksOptions, Severity, Validator, bundle_from_notebooks, generate_from_job,
};
use clap::Parser;
use databricks_client::{Config, WorkspaceClient};

#[derive(Debug, Parser)]
#[command(about = "Generate a Databricks Asset Bundle from notebooks or a job, or validate one")]
struct Args {
    /// Id of an existing job to turn into a bundle (uses the configured workspace).
    #[arg(long, conflicts_with_all = ["notebooks", "job_json", "validate"])]
    job_id: Option<i64>,
    /// Folder of notebooks to turn into a bundle with one job.
    #[arg(long, conflicts_with_all = ["job_json", "validate"])]
    notebooks: Option<PathBuf>,
    /// Job settings JSON (a `jobs get` response or its `settings`).
    #[arg(long, conflicts_with = "validate")]
    job_json: Option<PathBuf>,
    /// Validate an existing bundle folder instead of generating one.
    #[arg(long)]
    validate: Option<PathBuf>,
    /// Output folder for the generated bundle.
    #[arg(long, default_value = "bundle")]
    out: PathBuf,
    /// Bundle name (default: the notebooks folder name or the job name).
    #[arg(long)]
    name: Option<String>,
    /// Workspace host for the dev/prod targets.
    #[arg(long, env = "DATABRICKS_HOST")]
    host: Option<String>,
    /// Run tasks on a job cluster with this node type instead of serverless.
    #[arg(long)]
    node_type: Option<String>,
    /// Spark version of the job cluster.
    #[arg(long, default_value = "16.4.x-scala2.12")]
    spark_version: String,
    /// Overwrite a non-empty output folder.
    #[arg(long)]
    force: bool,
}

fn validator() -> anyhow::Result<Validator> {
    let mut v = Validator::new();
    if let Ok(path) = std::env::var("BUNDLE_SCHEMA_PATH") {
        let text =
            std::fs::read_to_string(&path).with_context(|| format!("reading schema {path}"))?;
        v = v.with_schema(
            serde_json::from_str(&text).with_context(|| format!("parsing schema {path}"))?,
        );
    }
    Ok(v)
}

fn print_diagnostics(diags: &[Diagnostic]) -> bool {
    for d in diags {
        println!("{d}");
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    println!("{} diagnostic(s), {errors} error(s)", diags.len());
    errors == 0
}

fn read_notebooks(dir: &Path) -> anyhow::Result<Vec<NotebookFile>> {
    let tree = FileTree::read_from(dir).with_context(|| format!("reading {}", dir.display()))?;
    Ok(tree
        .paths()
        .filter_map(|p| tree.text(p).map(|t| NotebookFile::new(p, t)))
        .collect())
}

fn write_out(out: &GeneratedBundle, dir: &Path, force: bool) -> anyhow::Result<()> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() && !force {
        bail!("{} is not empty; pass --force to overwrite", dir.display());
    }
    out.files
        .write_to(dir)
        .with_context(|| format!("writing {}", dir.display()))?;
    println!("wrote {} files to {}", out.files.len(), dir.display());
    for w in &out.warnings {
        println!("note: {w}");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    if let Some(dir) = &args.validate {
        let tree =
            FileTree::read_from(dir).with_context(|| format!("reading {}", dir.display()))?;
        if !print_diagnostics(&validator()?.validate(&tree)) {
            std::process::exit(1);
        }
        return Ok(());
    }
    let out = if let Some(job_id) = args.job_id {
        let config = Config::from_env().context(
            "no Databricks workspace configured: set DATABRICKS_HOST and DATABRICKS_TOKEN, or pick a \
             ~/.databrickscfg profile with DATABRICKS_CONFIG_PROFILE",
        )?;
        let client = WorkspaceClient::new(config)?;
        let mut opts = JobImportOptions::new();
        if let Some(host) = &args.host {
            opts = opts.with_host(host);
        }
        if let Some(name) = &args.name {
            opts = opts.with_bundle_name(name);
        }
        generate_from_job(&client, job_id, opts).await?
    } else if let Some(dir) = &args.notebooks {
        let name = args.name.clone().unwrap_or_else(|| {
            dir.canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "notebooks".to_string())
        });
        let mut opts = NotebooksOptions::new(name);
        if let Some(host) = &args.host {
            opts = opts.with_host(host);
        }
        if let Some(node) = &args.node_type {
            opts = opts.with_compute(Compute::JobCluster {
                spark_version: args.spark_version.clone(),
                node_type_id: node.clone(),
                num_workers: 2,
            });
        }
        bundle_from_notebooks(&read_notebooks(dir)?, &opts)?
    } else if let Some(file) = &args.job_json {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let job: serde_json::Value = serde_json::from_str(&text).context("job JSON")?;
        let mut opts = JobImportOptions::new();
        if let Some(host) = &args.host {
            opts = opts.with_host(host);
        }
        if let Some(name) = &args.name {
            opts = opts.with_bundle_name(name);
        }
        let import = JobImport::new(&job, opts)?;
        for s in import.sources() {
            println!(
                "note: {} is not downloaded from a JSON file; export it into the bundle's src/ folder",
                s.workspace_path
            );
        }
        import.finish()?
    } else {
        bail!("pass --job-id N, --notebooks DIR, --job-json FILE or --validate DIR (see --help)");
    };
    write_out(&out, &args.out, args.force)?;
    let ok = print_diagnostics(&validator()?.validate(&out.files));
    if !ok {
        std::process::exit(1);
    }
    Ok(())
}
