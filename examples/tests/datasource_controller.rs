//! The `datasource-controller` example binary: no cluster, manifests, clean SIGTERM.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The example binary cargo built next to this test (`target/<profile>/examples/`).
fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target directory");
    dir.join("examples").join("datasource-controller")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dsctl-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn command(home: &PathBuf) -> Command {
    let mut cmd = Command::new(binary());
    cmd.env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "info,kube_runtime=debug");
    cmd
}

#[test]
fn without_a_cluster_it_says_how_to_configure_one() {
    let home = scratch("nocluster");
    let out = command(&home)
        .env("KUBECONFIG", home.join("missing-kubeconfig"))
        .args(["run", "--metrics-port", "0"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no Kubernetes cluster is configured") && stderr.contains("KUBECONFIG"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn print_manifests_prints_every_install_object() {
    let home = scratch("manifests");
    let out = command(&home)
        .args(["print-manifests", "--namespace", "kagent"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let yaml = String::from_utf8_lossy(&out.stdout);
    for kind in [
        "kind: CustomResourceDefinition",
        "kind: ServiceAccount",
        "kind: ClusterRole\n",
        "kind: ClusterRoleBinding",
        "kind: Deployment",
    ] {
        assert!(yaml.contains(kind), "{kind} missing:\n{yaml}");
    }
    let out = command(&home)
        .args(["print-manifests", "--namespaced"])
        .output()
        .expect("runs");
    let yaml = String::from_utf8_lossy(&out.stdout);
    assert!(yaml.contains("kind: Role\n") && yaml.contains("kind: RoleBinding"));
    assert!(yaml.contains("--namespace=kagent"));
}

#[tokio::test(flavor = "multi_thread")]
async fn it_logs_what_it_watches_and_stops_on_sigterm() {
    use wiremock::matchers::any;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": "1"}, "items": []
        })))
        .mount(&server)
        .await;
    let home = scratch("sigterm");
    let kubeconfig = home.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster: {{server: \"{}\"}}\n\
             users:\n- name: fake\n  user: {{}}\ncontexts:\n- name: fake\n  context: {{cluster: fake, user: fake}}\n\
             current-context: fake\n",
            server.uri()
        ),
    )
    .expect("kubeconfig");
    let log = home.join("stderr.log");
    let mut child = command(&home)
        .env("KUBECONFIG", &kubeconfig)
        .args(["run", "--namespace", "default", "--metrics-port", "0"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("starts");
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("DataSource controller started") {
            assert!(
                text.contains("datasources") && text.contains("secrets"),
                "{text}"
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never started:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!(
                "did not stop on SIGTERM:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(exit.success(), "{exit:?}\n{text}");
    assert!(text.contains("stopped cleanly"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
}
