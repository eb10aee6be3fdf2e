//! A short tour of a Databricks workspace: who you are, some jobs, clusters and notebooks.
//!
//! Configure a workspace through the environment or a `~/.databrickscfg` profile, then run:
//!
//! ```text
//! DATABRICKS_HOST=https://<workspace>.cloud.databricks.com DATABRICKS_TOKEN=dapi... \
//!     cargo run -p examples --example workspace-tour -- --root /Users
//! ```
//!
//! Without any configuration it prints how to set one up and exits successfully.

use std::path::PathBuf;

use clap::Parser;
use databricks_client::WorkspaceClient;
use databricks_client::models::clusters::ListClustersRequest;
use databricks_client::models::jobs::ListJobsRequest;
use databricks_client::models::workspace::ObjectType;
use futures::{StreamExt, TryStreamExt};

/// List jobs, clusters and notebooks of the configured workspace.
#[derive(Debug, Parser)]
struct Args {
    /// How many items of each kind to show.
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// Workspace folder to search for notebooks.
    #[arg(long, default_value = "/Users")]
    root: String,
    /// Parallel `workspace/list` calls while walking folders.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
}

const HOW_TO_CONFIGURE: &str = "\
No Databricks workspace is configured, so there is nothing to tour.

Configure one in either of these ways, then run this example again:

  1. Environment variables:
       export DATABRICKS_HOST=https://<workspace>.cloud.databricks.com
       export DATABRICKS_TOKEN=dapi...        # a personal access token
     (or DATABRICKS_CLIENT_ID + DATABRICKS_CLIENT_SECRET for a service principal)

  2. A profile in ~/.databrickscfg:
       [DEFAULT]
       host  = https://<workspace>.cloud.databricks.com
       token = dapi...
     and select another profile with DATABRICKS_CONFIG_PROFILE=<name>.";

/// Whether anything could configure a workspace: a `DATABRICKS_*` variable or a config file.
fn anything_configured() -> bool {
    let env_set = [
        "DATABRICKS_HOST",
        "DATABRICKS_CONFIG_PROFILE",
        "DATABRICKS_CONFIG_FILE",
    ]
    .iter()
    .any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()));
    let file = std::env::var_os("DATABRICKS_CONFIG_FILE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".databrickscfg")));
    env_set || file.is_some_and(|f| f.is_file())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();

    if !anything_configured() {
        println!("{HOW_TO_CONFIGURE}");
        return Ok(());
    }
    let client = match WorkspaceClient::from_env() {
        Ok(client) => client,
        Err(e) => {
            eprintln!("The Databricks configuration could not be used: {e}\n");
            println!("{HOW_TO_CONFIGURE}");
            std::process::exit(2);
        }
    };

    let me = client.current_user().me().await?;
    println!("Connected as {}\n", me.user_name);

    println!("Jobs (first {}):", args.limit);
    let jobs: Vec<_> = client
        .jobs()
        .list(ListJobsRequest::new())
        .take(args.limit)
        .try_collect()
        .await?;
    if jobs.is_empty() {
        println!("  (none)");
    }
    for job in &jobs {
        println!(
            "  {:>16}  {}",
            job.job_id,
            job.name().unwrap_or("<unnamed>")
        );
    }

    println!("\nClusters (first {}):", args.limit);
    let clusters: Vec<_> = client
        .clusters()
        .list(ListClustersRequest::new())
        .take(args.limit)
        .try_collect()
        .await?;
    if clusters.is_empty() {
        println!("  (none)");
    }
    for cluster in &clusters {
        let state = cluster.state.as_ref().map_or("?", |s| s.as_str());
        println!(
            "  {:<22} {:<12} {}",
            cluster.cluster_id,
            state,
            cluster.cluster_name.as_deref().unwrap_or("")
        );
    }

    println!("\nNotebooks under {} (first {}):", args.root, args.limit);
    let notebooks: Vec<_> = client
        .workspace()
        .list_recursive(&args.root, args.concurrency)
        .try_filter(|o| futures::future::ready(o.object_type == Some(ObjectType::Notebook)))
        .take(args.limit)
        .try_collect()
        .await?;
    if notebooks.is_empty() {
        println!("  (none)");
    }
    for notebook in &notebooks {
        let language = notebook.language.as_ref().map_or("", |l| l.as_str());
        println!("  {:<8} {}", language, notebook.path);
    }
    Ok(())
}
