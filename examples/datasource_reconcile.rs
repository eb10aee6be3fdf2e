//! Runs the `DataSource` reconcile against the real provider and prints what a controller
//! would write: the `DataSource` with its new status, then the child manifests, as one
//! multi-document YAML stream.
//!
//! ```sh
//! # the local provider: the bundled sample, or your own folder of CSV/Parquet + models/*.yaml
//! cargo run -p examples --example datasource-reconcile -- datasource.yaml [--data DIR]
//! # Databricks: the token comes from DATABRICKS_TOKEN, where a controller reads the Secret
//! DATABRICKS_TOKEN=dapi... cargo run -p examples --example datasource-reconcile -- sales.yaml
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use anyhow::Context as _;
use clap::Parser;
use datasource_model::kubernetes::{
    Children, DataSourceResource, Provider, reconcile, yaml_stream,
};
use datasource_model::{
    DataSource, DataSourceConfig, DatabricksConfig, Error, LocalConfig, LocalTableConfig,
};

/// Reconcile a DataSource file against its provider and print status and children.
#[derive(Debug, Parser)]
struct Args {
    /// The DataSource YAML file.
    file: PathBuf,
    /// Data folder for the local provider: `*.csv` / `*.parquet` tables and `models/*.yaml`.
    #[arg(long)]
    data: Option<PathBuf>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args = Args::parse();
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let ds = DataSourceResource::from_yaml(&text)
        .with_context(|| format!("{} is not a DataSource", args.file.display()))?;

    let provider = match provider_config(&ds, args.data.as_deref()) {
        Ok(config) => config.build().await,
        Err(err) => Err(err),
    };
    let output = reconcile(
        &ds,
        provider.map(|p| p as Arc<dyn DataSource>),
        SystemTime::now(),
    )
    .await;

    let mut updated = ds.clone().with_status(output.status.clone());
    updated.metadata.extra.remove("managedFields");
    let mut documents = vec![serde_json::to_value(&updated)?];
    match &output.children {
        Children::Apply(children) => documents.extend(children.iter().cloned()),
        _ => eprintln!("# children: keep the existing ones unchanged"),
    }
    print!("{}", yaml_stream(&documents));
    if let Some(ready) = output.status.condition("Ready") {
        eprintln!(
            "# Ready={:?} ({}): {}",
            ready.status, ready.reason, ready.message
        );
    }
    Ok(())
}

/// The provider settings a controller would derive from the spec and the referenced Secret;
/// here the credential comes from the provider's usual environment variable.
fn provider_config(
    ds: &DataSourceResource,
    data: Option<&Path>,
) -> Result<DataSourceConfig, Error> {
    let spec = &ds.spec;
    match spec.provider {
        Some(Provider::Local) => {
            let local = spec.local.clone().unwrap_or_default();
            let config = match data {
                None if local.tables.is_empty() && local.data_path.is_none() => {
                    LocalConfig::sample()
                }
                None => {
                    return Err(Error::invalid_config(
                        "spec.local names data files: pass their folder with --data DIR",
                    ));
                }
                Some(dir) => local_folder(dir, &local.tables)?,
            };
            Ok(DataSourceConfig::new(datasource_model::Provider::Local).with_local(config))
        }
        Some(Provider::Databricks) => {
            let db = spec.databricks.clone().unwrap_or_default();
            let warehouse = db.warehouse_id.clone().ok_or_else(|| {
                Error::invalid_config(
                    "spec.databricks.warehouseId is needed to run queries; set it",
                )
            })?;
            let mut config =
                DatabricksConfig::new(warehouse, db.catalog.clone().unwrap_or_default());
            if let Some(url) = &db.workspace_url {
                config = config.with_host(url);
            }
            if let Ok(token) = std::env::var("DATABRICKS_TOKEN") {
                config = config.with_token(token);
            }
            if let Some(schema) = &db.schema {
                config = config.with_schema(schema);
            }
            if let Some(space) = &db.genie_space_id {
                config = config.with_genie_space_id(space);
            }
            Ok(
                DataSourceConfig::new(datasource_model::Provider::Databricks)
                    .with_databricks(config),
            )
        }
        Some(other) => Err(Error::invalid_config(format!(
            "the {other} provider is not available in this build"
        ))),
        // Reported by reconcile as an invalid spec.
        None => Ok(DataSourceConfig::new(datasource_model::Provider::Local)),
    }
}

/// A local config for a folder: the tables the spec lists, or every CSV/Parquet file in it.
fn local_folder(
    dir: &Path,
    tables: &[datasource_model::kubernetes::LocalTable],
) -> Result<LocalConfig, Error> {
    let mut config = LocalConfig::default();
    if tables.is_empty() {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            Error::invalid_config(format!("cannot read data folder {}: {e}", dir.display()))
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "csv" || e == "parquet"))
            .collect();
        files.sort();
        for file in files {
            let name = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            config = config.with_table(LocalTableConfig::new(name, file));
        }
    } else {
        for table in tables {
            config = config.with_table(LocalTableConfig::new(&table.name, dir.join(&table.file)));
        }
    }
    let models = dir.join("models");
    if models.is_dir() {
        config.models_dir = Some(models);
    }
    Ok(config)
}
