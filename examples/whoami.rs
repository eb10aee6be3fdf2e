//! Resolves the Databricks configuration like the official SDKs (env, then `~/.databrickscfg`)
//! and asks the workspace who we are.
//!
//! ```sh
//! DATABRICKS_HOST=https://dbc-….cloud.databricks.com DATABRICKS_TOKEN=dapi… \
//!   cargo run -p examples --example whoami
//! ```
//!
//! With nothing configured it prints how to configure a workspace and exits successfully.

use databricks_client::{Config, WorkspaceClient};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();

    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            println!("No Databricks workspace is configured:\n{err}\n");
            println!("Configure one of:");
            println!("  export DATABRICKS_HOST=https://<workspace>.cloud.databricks.com");
            println!("  export DATABRICKS_TOKEN=<personal access token>");
            println!("or, for a service principal (OAuth M2M):");
            println!("  export DATABRICKS_CLIENT_ID=<id> DATABRICKS_CLIENT_SECRET=<secret>");
            println!("or log in once with `databricks auth login --host <workspace>`,");
            println!("or a profile in ~/.databrickscfg selected with DATABRICKS_CONFIG_PROFILE.");
            println!("See docs/authentication.md for every strategy.");
            return Ok(());
        }
    };
    println!("workspace: {}", config.host);
    println!("auth:      {}", config.auth_type);
    println!("because:   {}", config.auth_resolution.reason);
    for skipped in &config.auth_resolution.skipped {
        println!("  skipped  {skipped}");
    }
    if let Some(profile) = &config.profile {
        println!("profile:   {profile}");
    }
    let client = WorkspaceClient::new(config)?;
    let me: serde_json::Value = client
        .get("/api/2.0/preview/scim/v2/Me")
        .send_json()
        .await?;
    println!(
        "you are:   {} ({})",
        me["userName"].as_str().unwrap_or("?"),
        me["displayName"].as_str().unwrap_or("")
    );
    Ok(())
}
