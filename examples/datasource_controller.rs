//! The kagent `DataSource` controller: watches `DataSource` objects and keeps their generated
//! tool servers, status and Events up to date.
//!
//! ```text
//! datasource-controller print-manifests --namespace kagent | kubectl apply -f -
//! datasource-controller run                       # every namespace, current kubeconfig
//! datasource-controller run --namespace analytics --refresh 5m --leader-election
//! ```
//!
//! `run` reads the cluster from `KUBECONFIG` / `~/.kube/config`, or the in-cluster service
//! account; it serves `/healthz` and `/metrics` on `--metrics-port` (0: off) and stops cleanly
//! on SIGTERM or Ctrl-C. With `--leader-election` only the replica holding the
//! `coordination.k8s.io` Lease reconciles.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand};
use datasource_model::kubernetes::controller::{
    ControllerConfig, DefaultProviderFactory, DeployOptions, LeaderElection, deploy_manifests, run,
};
use datasource_model::kubernetes::{parse_duration, yaml_stream};
use tokio::sync::watch;
use tracing::{info, warn};

/// The kagent DataSource controller.
#[derive(Debug, Parser)]
#[command(name = "datasource-controller")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the controller against the current kubeconfig (or the in-cluster service account).
    Run(RunArgs),
    /// Print the install manifests (CRD, ServiceAccount, ClusterRole or Role, binding,
    /// Deployment) as a YAML stream for `kubectl apply -f -`.
    PrintManifests {
        /// Namespace the controller runs in.
        #[arg(long, default_value = "kagent")]
        namespace: String,
        /// Controller image.
        #[arg(long)]
        image: Option<String>,
        /// Watch only that namespace (a Role instead of a ClusterRole).
        #[arg(long)]
        namespaced: bool,
    },
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Watch only this namespace (default: every namespace).
    #[arg(long)]
    namespace: Option<String>,
    /// Refresh interval of DataSources without spec.refreshInterval (e.g. 10m, 1h, 45s).
    #[arg(long, default_value = "10m")]
    refresh: String,
    /// Reconcile only while holding the coordination.k8s.io Lease (for several replicas).
    #[arg(long)]
    leader_election: bool,
    /// Namespace of the leader Lease.
    #[arg(long, default_value = "kagent")]
    lease_namespace: String,
    /// Name of the leader Lease.
    #[arg(long, default_value = "datasource-controller")]
    lease_name: String,
    /// Port of /healthz and /metrics on 0.0.0.0 (0: off).
    #[arg(long, default_value_t = 8081)]
    metrics_port: u16,
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::PrintManifests {
            namespace,
            image,
            namespaced,
        } => {
            let mut options = DeployOptions::default()
                .with_namespace(namespace)
                .namespaced(namespaced);
            if let Some(image) = image {
                options = options.with_image(image);
            }
            print!("{}", yaml_stream(&deploy_manifests(&options)));
            Ok(())
        }
        Command::Run(args) => run_controller(args).await,
    }
}

async fn run_controller(args: RunArgs) -> Result<()> {
    let refresh = parse_duration(&args.refresh)
        .ok_or_else(|| anyhow!("--refresh {:?}: write it like 10m, 1h or 45s", args.refresh))?;
    let config = kube::Config::infer().await.map_err(|e| {
        anyhow!(
            "no Kubernetes cluster is configured ({e}). Point KUBECONFIG at a kubeconfig file \
             (or create ~/.kube/config, e.g. with `kind create cluster` or your provider's \
             `get-credentials`), or run the controller inside a cluster with a service account"
        )
    })?;
    info!(cluster = %config.cluster_url, "using cluster");
    let client = kube::Client::try_from(config).context("building the Kubernetes client")?;

    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        info!("shutdown signal received");
        let _ = stop_tx.send(true);
    });
    let stopped = {
        let rx = stop_rx.clone();
        move || {
            let mut rx = rx.clone();
            async move {
                let _ = rx.wait_for(|stop| *stop).await;
            }
        }
    };

    let leader = Arc::new(AtomicBool::new(!args.leader_election));
    if args.metrics_port != 0 {
        let listener = tokio::net::TcpListener::bind(("0.0.0.0", args.metrics_port))
            .await
            .with_context(|| format!("binding the metrics port {}", args.metrics_port))?;
        info!(port = args.metrics_port, "serving /healthz and /metrics");
        tokio::spawn(serve_metrics(listener, Arc::clone(&leader)));
    }

    let mut lost_lease: Option<tokio::task::JoinHandle<()>> = None;
    if args.leader_election {
        let identity = std::env::var("POD_NAME")
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_else(|_| format!("datasource-controller-{}", std::process::id()));
        let election = LeaderElection::new(
            client.clone(),
            &args.lease_namespace,
            args.lease_name.clone(),
            identity,
        );
        info!(lease = %format!("{}/{}", args.lease_namespace, args.lease_name), "waiting for the leader Lease");
        tokio::select! {
            acquired = election.acquire() => acquired.context("acquiring the leader Lease")?,
            () = stopped() => {
                info!("stopped before becoming leader");
                return Ok(());
            }
        }
        leader.store(true, Ordering::Relaxed);
        lost_lease = Some(tokio::spawn(async move { election.hold().await }));
    }

    let mut controller_config = ControllerConfig::default().with_default_refresh(refresh);
    if let Some(ns) = &args.namespace {
        controller_config = controller_config.with_namespace(ns.clone());
    }
    let lease_lost = Arc::new(AtomicBool::new(false));
    let shutdown = {
        let stopped = stopped();
        let lease_lost = Arc::clone(&lease_lost);
        async move {
            match lost_lease {
                Some(handle) => {
                    tokio::select! {
                        () = stopped => {}
                        _ = handle => lease_lost.store(true, Ordering::Relaxed),
                    }
                }
                None => stopped.await,
            }
        }
    };
    run(
        client,
        Arc::new(DefaultProviderFactory::new()),
        controller_config,
        shutdown,
    )
    .await;
    if lease_lost.load(Ordering::Relaxed) {
        bail!("lost the leader Lease; exiting so a restart can compete for it again");
    }
    info!("stopped cleanly");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

type Body = http_body_util::Full<bytes::Bytes>;

async fn serve_metrics(listener: tokio::net::TcpListener, leader: Arc<AtomicBool>) {
    use hyper_util::rt::TokioIo;
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let leader = Arc::clone(&leader);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: hyper::Request<_>| {
                let leader = leader.load(Ordering::Relaxed);
                async move { Ok::<_, Infallible>(respond(&req, leader)) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn respond(req: &hyper::Request<hyper::body::Incoming>, leader: bool) -> hyper::Response<Body> {
    let (status, body) = match req.uri().path() {
        "/healthz" => (hyper::StatusCode::OK, "ok\n".to_owned()),
        "/metrics" => (
            hyper::StatusCode::OK,
            format!(
                "# HELP datasource_controller_up The controller process is running.\n\
                 # TYPE datasource_controller_up gauge\ndatasource_controller_up 1\n\
                 # HELP datasource_controller_leader Whether this replica holds the leader Lease (1 without leader election).\n\
                 # TYPE datasource_controller_leader gauge\ndatasource_controller_leader {}\n",
                u8::from(leader)
            ),
        ),
        _ => (hyper::StatusCode::NOT_FOUND, "not found\n".to_owned()),
    };
    let mut response = hyper::Response::new(Body::new(bytes::Bytes::from(body)));
    *response.status_mut() = status;
    response
}
