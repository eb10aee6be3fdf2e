//! `databricks-mcp-server` configured exactly as a `DataSource` with
//! `spec.databricks.workloadIdentity` configures it (the generated command line and environment,
//! the projected token volume replaced by a file in a temp dir) authenticates with `file-oidc`:
//! it exchanges the file's content at the workspace token endpoint and calls the API with the
//! result, with no token anywhere. Runs `build_server` in-process (the server's own start-up
//! path) so it needs no separately built binary.

use super::{Args, build_server};
use clap::Parser;

use datasource_model::kubernetes::{DataSourceResource, tool_server_manifests};
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.projected-service-account-token.sig";
const CLIENT_ID: &str = "6a1f3c2e-aaaa-4bbb-8ccc-0123456789ab";

fn datasource(workspace: &str, kind: &str) -> DataSourceResource {
    DataSourceResource::from_yaml(&format!(
        "metadata: {{name: sales-fabric, namespace: analytics, uid: u-1}}\n\
         spec:\n  provider: Databricks\n  databricks:\n    workspaceUrl: {workspace}\n    \
         workloadIdentity: {{clientId: {CLIENT_ID}, serviceAccountName: sales-mcp}}\n    \
         catalog: main\n    schema: sales\n  toolServer: {{kind: {kind}}}\n"
    ))
    .expect("DataSource parses")
}

/// (command, args, env as name → value, token file path inside the volume, mount path).
fn pod(manifests: &[Value]) -> (String, Vec<String>, Vec<(String, String)>, String, String) {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("a list")
            .iter()
            .map(|s| s.as_str().expect("a string").to_owned())
            .collect()
    };
    let (cmd, args, env, volumes, mounts) =
        if let Some(m) = manifests.iter().find(|m| m["kind"] == "MCPServer") {
            let d = &m["spec"]["deployment"];
            let env = d["env"]
                .as_object()
                .expect("env map")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().expect("literal").to_owned()))
                .collect();
            (
                d["cmd"].as_str().expect("cmd").to_owned(),
                strings(&d["args"]),
                env,
                d["volumes"].clone(),
                d["volumeMounts"].clone(),
            )
        } else {
            let d = manifests
                .iter()
                .find(|m| m["kind"] == "Deployment")
                .expect("Deployment");
            let pod = &d["spec"]["template"]["spec"];
            let c = &pod["containers"][0];
            let env = c["env"]
                .as_array()
                .expect("env list")
                .iter()
                .map(|v| {
                    let name = v["name"].as_str().expect("name").to_owned();
                    let value = match v["value"].as_str() {
                        Some(value) => value.to_owned(),
                        // The only value from a Secret is the generated API key, which the
                        // kubelet would resolve; the test stands in with a key of its own.
                        None => {
                            assert_eq!(name, "MCP_API_KEY", "only the API key comes from a Secret");
                            assert!(
                                v["valueFrom"]["secretKeyRef"]["name"]
                                    .as_str()
                                    .is_some_and(|s| s.ends_with("-mcp-api-key")),
                                "{v}"
                            );
                            "test-api-key-0123456789abcdef".to_owned()
                        }
                    };
                    (name, value)
                })
                .collect();
            (
                strings(&c["command"]).remove(0),
                strings(&c["args"]),
                env,
                pod["volumes"].clone(),
                c["volumeMounts"].clone(),
            )
        };
    let file = volumes[0]["projected"]["sources"][0]["serviceAccountToken"]["path"]
        .as_str()
        .expect("token path")
        .to_owned();
    let mount = mounts[0]["mountPath"]
        .as_str()
        .expect("mount path")
        .to_owned();
    (cmd, args, env, file, mount)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_authenticates_with_the_projected_token_file() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oidc/v1/token"))
        .and(body_string_contains(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange",
        ))
        .and(body_string_contains(format!("subject_token={JWT}&")))
        .and(body_string_contains(format!("client_id={CLIENT_ID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "dbx-federated", "token_type": "Bearer", "expires_in": 3600
        })))
        .expect(2)
        .mount(&server)
        .await;
    // Without --warehouse-id the server picks a warehouse at start-up: an authenticated call.
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/warehouses"))
        .and(header("authorization", "Bearer dbx-federated"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "warehouses": [{"id": "wh-1", "name": "Serverless", "state": "RUNNING"}]
        })))
        .expect(2)
        .mount(&server)
        .await;

    for kind in ["MCPServer", "RemoteMCPServer"] {
        let manifests = tool_server_manifests(&datasource(&server.uri(), kind), &[])
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        let (cmd, args, env, file, mount) = pod(&manifests);
        assert!(cmd.ends_with("/databricks-mcp-server"), "{kind}: {cmd}");
        assert!(
            !args.iter().any(|a| a.starts_with("--token-env")),
            "{kind}: {args:?}"
        );
        let home = tempfile::tempdir().expect("temp dir");
        let volume = tempfile::tempdir().expect("temp dir");
        std::fs::write(volume.path().join(&file), format!("{JWT}\n")).expect("token file");
        // The pod's environment, with the volume's mount path pointing at the temp dir.
        let mut env: Vec<(String, String)> = env
            .into_iter()
            .map(|(name, value)| {
                let value = match value.strip_prefix(mount.as_str()) {
                    Some(rest) => format!("{}{rest}", volume.path().display()),
                    None => value,
                };
                (name, value)
            })
            .collect();
        env.push(("HOME".to_owned(), home.path().display().to_string()));
        let args = Args::try_parse_from(std::iter::once(cmd.clone()).chain(args))
            .unwrap_or_else(|e| panic!("{kind}: the generated command line parses: {e}"));
        if let Err(e) = build_server(&args, &env).await {
            let message = format!("{e:#}");
            assert!(
                !message.contains(JWT),
                "{kind}: the token leaked: {message}"
            );
            panic!("{kind}: the server does not start: {message}");
        }
    }
    // One exchange of the file's content and one authenticated call per start.
    server.verify().await;
}
