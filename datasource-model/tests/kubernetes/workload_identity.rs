//! `spec.databricks.workloadIdentity`: the generated tool servers authenticate with a projected
//! service-account token (`file-oidc`) instead of a Secret. Manifests per kind (snapshots and
//! the real kagent CRDs), validation, the reconcile's conditions, and the generated environment
//! driving a real token exchange.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use datasource_model::kubernetes::{
    AvailableModel, Children, ConditionStatus, DataSourceResource, DatabricksSpec, FailureKind,
    ObjectMeta, Provider, ProviderFailure, REASON_WORKLOAD_IDENTITY, SecretKeyRef,
    SemanticModelRef, ToolServerKind, Transport, WORKLOAD_IDENTITY_TOKEN_DIR, WorkloadIdentity,
    reconcile, reconcile_discovered, tool_server_manifests, validate_spec,
};
use serde_json::{Value, json};

use crate::fixtures::{parse, with_kind};
use crate::kagent_schema::{assert_valid_object, crd_dir, served_schema};

/// The Databricks fixture with a workload identity instead of a Secret.
const WORKLOAD_IDENTITY: &str = r#"apiVersion: kagent.dev/v1alpha1
kind: DataSource
metadata:
  name: sales-fabric
  namespace: analytics
  uid: 6f1c2d3e-0000-4000-8000-000000000005
  generation: 2
spec:
  provider: Databricks
  databricks:
    workspaceUrl: https://mycompany.cloud.databricks.com
    workloadIdentity:
      clientId: 6a1f3c2e-aaaa-4bbb-8ccc-0123456789ab
      serviceAccountName: sales-mcp
    catalog: main
    schema: sales
    warehouseId: abc123def456
  semanticModels:
    - name: revenue_metrics
"#;

fn ds() -> DataSourceResource {
    parse(WORKLOAD_IDENTITY)
}

fn identity(ds: &mut DataSourceResource) -> &mut WorkloadIdentity {
    ds.spec
        .databricks
        .as_mut()
        .and_then(|db| db.workload_identity.as_mut())
        .expect("workloadIdentity")
}

/// The kinds that can carry a projected token.
fn kinds() -> Vec<(&'static str, ToolServerKind, Option<Transport>)> {
    vec![
        ("mcpserver", ToolServerKind::McpServer, None),
        (
            "mcpserver-http",
            ToolServerKind::McpServer,
            Some(Transport::Http),
        ),
        ("remotemcpserver", ToolServerKind::RemoteMcpServer, None),
    ]
}

fn manifests(ds: &DataSourceResource) -> Vec<Value> {
    let models: Vec<String> = ds
        .spec
        .semantic_models
        .iter()
        .map(|m| m.name.clone())
        .collect();
    tool_server_manifests(ds, &models).unwrap_or_else(|e| panic!("valid spec: {e}"))
}

/// Where the pod's settings live in a generated tool server: (env as name → value, volumes,
/// mounts, serviceAccountName).
struct PodView {
    env: Vec<(String, Value)>,
    volumes: Value,
    mounts: Value,
    service_account: Value,
    text: String,
}

/// `manifests` without the references to the server's own API-key Secret (a Deployment's
/// `MCP_API_KEY`, a RemoteMCPServer's `headersFrom`), asserting they are exactly those: the
/// API key authenticates kagent to the tool server and is no platform credential.
fn without_api_key_refs(manifests: &[Value]) -> Vec<Value> {
    let mut out = manifests.to_vec();
    for m in &mut out {
        let secret = format!(
            "{}-mcp-api-key",
            m["metadata"]["labels"]["kagent.dev/datasource"]
                .as_str()
                .unwrap_or_default()
        );
        match m["kind"].as_str() {
            Some("Deployment") => {
                let env = m
                    .pointer_mut("/spec/template/spec/containers/0/env")
                    .and_then(Value::as_array_mut)
                    .expect("env list");
                let before = env.len();
                env.retain(|e| {
                    e != &json!({"name": "MCP_API_KEY", "valueFrom":
                        {"secretKeyRef": {"name": secret, "key": "api-key"}}})
                });
                assert_eq!(before - env.len(), 1, "MCP_API_KEY from {secret}");
            }
            Some("RemoteMCPServer") => {
                let headers = m["spec"]
                    .as_object_mut()
                    .and_then(|spec| spec.remove("headersFrom"));
                assert_eq!(
                    headers,
                    Some(json!([{"name": "Authorization", "valueFrom":
                        {"type": "Secret", "name": secret, "key": "authorization"}}]))
                );
            }
            _ => {}
        }
    }
    out
}

fn pod_view(manifests: &[Value]) -> PodView {
    let manifests = &without_api_key_refs(manifests);
    let text = serde_json::to_string(manifests).expect("json");
    if let Some(mcp) = manifests.iter().find(|m| m["kind"] == "MCPServer") {
        let d = &mcp["spec"]["deployment"];
        let env = d["env"]
            .as_object()
            .expect("MCPServer env is a map")
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        return PodView {
            env,
            volumes: d["volumes"].clone(),
            mounts: d["volumeMounts"].clone(),
            service_account: d["serviceAccountName"].clone(),
            text,
        };
    }
    let deployment = manifests
        .iter()
        .find(|m| m["kind"] == "Deployment")
        .expect("a Deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let env = container["env"]
        .as_array()
        .expect("env list")
        .iter()
        .map(|v| {
            let value = if v["value"].is_null() {
                v["valueFrom"].clone()
            } else {
                v["value"].clone()
            };
            (v["name"].as_str().unwrap_or_default().to_owned(), value)
        })
        .collect();
    PodView {
        env,
        volumes: pod["volumes"].clone(),
        mounts: container["volumeMounts"].clone(),
        service_account: pod["serviceAccountName"].clone(),
        text,
    }
}

impl PodView {
    fn var(&self, name: &str) -> Option<&Value> {
        self.env.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

#[test]
fn manifest_snapshots() {
    for (name, kind, transport) in kinds() {
        let ds = with_kind(&ds(), kind, transport);
        insta::assert_yaml_snapshot!(format!("workload-identity-{name}"), manifests(&ds));
    }
}

#[test]
fn every_kind_mounts_the_projected_token_and_references_no_secret() {
    for (name, kind, transport) in kinds() {
        let ds = with_kind(&ds(), kind, transport);
        let view = pod_view(&manifests(&ds));
        assert_eq!(
            view.volumes,
            json!([{
                "name": "databricks-oidc",
                "projected": {"sources": [{"serviceAccountToken": {
                    "path": "token",
                    "audience": "https://mycompany.cloud.databricks.com/oidc/v1/token",
                    "expirationSeconds": 3600,
                }}]},
            }]),
            "{name}"
        );
        assert_eq!(
            view.mounts,
            json!([{
                "name": "databricks-oidc",
                "mountPath": "/var/run/secrets/databricks",
                "readOnly": true,
            }]),
            "{name}"
        );
        assert_eq!(WORKLOAD_IDENTITY_TOKEN_DIR, "/var/run/secrets/databricks");
        assert_eq!(view.service_account, json!("sales-mcp"), "{name}");
        for (var, value) in [
            ("DATABRICKS_AUTH_TYPE", "file-oidc"),
            (
                "DATABRICKS_OIDC_TOKEN_FILEPATH",
                "/var/run/secrets/databricks/token",
            ),
            (
                "DATABRICKS_CLIENT_ID",
                "6a1f3c2e-aaaa-4bbb-8ccc-0123456789ab",
            ),
            ("DATABRICKS_HOST", "https://mycompany.cloud.databricks.com"),
        ] {
            assert_eq!(view.var(var), Some(&json!(value)), "{name}: {var}");
        }
        // The audience was not set: the server keeps its default, which is the one projected.
        assert_eq!(view.var("DATABRICKS_TOKEN_AUDIENCE"), None, "{name}");
        assert_eq!(view.var("DATABRICKS_TOKEN"), None, "{name}");
        for secretish in [
            "secretRefs",
            "secretKeyRef",
            "secretRef",
            "envFrom",
            "secretName",
            "--token-env",
            "credentials-hash",
        ] {
            assert!(
                !view.text.contains(secretish),
                "{name}: {secretish} in {}",
                view.text
            );
        }
    }
}

#[test]
fn explicit_audience_and_expiration_reach_the_volume_and_the_environment() {
    for (name, kind, transport) in kinds() {
        let mut ds = with_kind(&ds(), kind, transport);
        let id = identity(&mut ds);
        id.audience = Some("https://accounts.example/federation".into());
        id.expiration_seconds = Some(600);
        id.service_account_name = None;
        let view = pod_view(&manifests(&ds));
        let token = &view.volumes[0]["projected"]["sources"][0]["serviceAccountToken"];
        assert_eq!(
            token["audience"], "https://accounts.example/federation",
            "{name}"
        );
        assert_eq!(token["expirationSeconds"], 600, "{name}");
        assert_eq!(
            view.var("DATABRICKS_TOKEN_AUDIENCE"),
            Some(&json!("https://accounts.example/federation")),
            "{name}"
        );
        // Without a name the pod keeps its default ServiceAccount.
        assert!(view.service_account.is_null(), "{name}");
    }
}

/// A trailing slash on the workspace URL does not double the default audience's slash.
#[test]
fn default_audience_is_the_workspace_token_endpoint() {
    let mut ds = ds();
    if let Some(db) = ds.spec.databricks.as_mut() {
        db.workspace_url = Some("https://adb-1.2.azuredatabricks.net/".into());
    }
    let view = pod_view(&manifests(&ds));
    assert_eq!(
        view.volumes[0]["projected"]["sources"][0]["serviceAccountToken"]["audience"],
        "https://adb-1.2.azuredatabricks.net/oidc/v1/token"
    );
}

#[test]
fn workload_identity_manifests_validate_against_kagent_crds() {
    let Some(dir) = crd_dir("workload_identity_manifests_validate_against_kagent_crds") else {
        return;
    };
    let mut checked = 0;
    for (_, kind, transport) in kinds() {
        let mut variants = vec![with_kind(&ds(), kind, transport)];
        let mut explicit = with_kind(&ds(), kind, transport);
        identity(&mut explicit).audience = Some("databricks".into());
        identity(&mut explicit).service_account_name = None;
        variants.push(explicit);
        for ds in variants {
            for m in manifests(&ds) {
                assert_valid_object(&dir, &m);
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "only {checked} manifests checked");
    // The kmcp schema really has a place for each of them (not vacuous).
    let schema = served_schema(&dir, "MCPServer", "v1alpha1");
    let deployment = &schema["properties"]["spec"]["properties"]["deployment"]["properties"];
    for field in ["volumes", "volumeMounts", "env", "serviceAccountName"] {
        assert!(deployment[field].is_object(), "kmcp has no {field}");
    }
}

#[test]
fn the_resource_round_trips_and_builds_in_code() {
    let built = DataSourceResource::new(
        ObjectMeta::new("sales-fabric", "analytics"),
        datasource_model::kubernetes::DataSourceSpec::new(Provider::Databricks).with_databricks(
            DatabricksSpec::new("https://mycompany.cloud.databricks.com", "main")
                .with_workload_identity(
                    WorkloadIdentity::new("sp-1")
                        .with_audience("aud")
                        .with_service_account_name("sa")
                        .with_expiration_seconds(7200),
                ),
        ),
    );
    validate_spec(&built).expect("valid");
    let value = serde_json::to_value(&built).expect("json");
    assert_eq!(
        value["spec"]["databricks"]["workloadIdentity"],
        json!({"clientId": "sp-1", "audience": "aud", "serviceAccountName": "sa",
               "expirationSeconds": 7200})
    );
    let back: DataSourceResource = serde_json::from_value(value).expect("parses");
    assert_eq!(back, built);
}

/// Each invalid variant: the field named and the message naming the fix.
#[test]
fn validation_refuses_every_bad_variant() {
    type Edit = fn(&mut DataSourceResource);
    let cases: Vec<(&str, Edit, &str, &[&str])> = vec![
        (
            "both credentialsSecretRef and workloadIdentity",
            |ds| {
                if let Some(db) = ds.spec.databricks.as_mut() {
                    db.credentials_secret_ref = Some(SecretKeyRef::new("databricks-credentials"));
                }
            },
            "spec.databricks",
            &[
                "mutually exclusive",
                "remove credentialsSecretRef",
                "remove workloadIdentity",
            ],
        ),
        (
            "neither",
            |ds| {
                if let Some(db) = ds.spec.databricks.as_mut() {
                    db.workload_identity = None;
                }
            },
            "spec.databricks.credentialsSecretRef",
            &["name the Secret", "spec.databricks.workloadIdentity"],
        ),
        (
            "expirationSeconds below the Kubernetes minimum",
            |ds| identity(ds).expiration_seconds = Some(599),
            "spec.databricks.workloadIdentity.expirationSeconds",
            &["599", "at least 600 seconds", "leave it unset for 3600"],
        ),
        (
            "expirationSeconds zero",
            |ds| identity(ds).expiration_seconds = Some(0),
            "spec.databricks.workloadIdentity.expirationSeconds",
            &["at least 600"],
        ),
        (
            "expirationSeconds negative",
            |ds| identity(ds).expiration_seconds = Some(-3600),
            "spec.databricks.workloadIdentity.expirationSeconds",
            &["at least 600"],
        ),
        (
            "expirationSeconds above 2^32",
            |ds| identity(ds).expiration_seconds = Some((1 << 32) + 1),
            "spec.databricks.workloadIdentity.expirationSeconds",
            &["at most 2^32"],
        ),
        (
            "empty clientId",
            |ds| identity(ds).client_id = String::new(),
            "spec.databricks.workloadIdentity.clientId",
            &["required", "service principal", "federation policy"],
        ),
        (
            "blank clientId",
            |ds| identity(ds).client_id = "   ".into(),
            "spec.databricks.workloadIdentity.clientId",
            &["required"],
        ),
        (
            "clientId with a space",
            |ds| identity(ds).client_id = "sp one".into(),
            "spec.databricks.workloadIdentity.clientId",
            &["not an application id"],
        ),
        (
            "empty audience",
            |ds| identity(ds).audience = Some(String::new()),
            "spec.databricks.workloadIdentity.audience",
            &["not a valid audience", "leave it unset"],
        ),
        (
            "audience with a space",
            |ds| identity(ds).audience = Some("my audience".into()),
            "spec.databricks.workloadIdentity.audience",
            &["not a valid audience"],
        ),
        (
            "bad serviceAccountName",
            |ds| identity(ds).service_account_name = Some("Sales_MCP".into()),
            "spec.databricks.workloadIdentity.serviceAccountName",
            &["not a valid ServiceAccount name"],
        ),
        (
            "legacy ToolServer kind",
            |ds| {
                *ds = with_kind(ds, ToolServerKind::ToolServer, None);
            },
            "spec.toolServer.kind",
            &[
                "legacy ToolServer cannot use spec.databricks.workloadIdentity",
                "use MCPServer or RemoteMCPServer",
                "credentialsSecretRef",
            ],
        ),
    ];
    for (what, edit, field, phrases) in cases {
        let mut ds = ds();
        edit(&mut ds);
        let err = validate_spec(&ds).expect_err(what);
        assert_eq!(err.field, field, "{what}: {err}");
        for phrase in phrases {
            assert!(
                err.message.contains(phrase),
                "{what}: {phrase:?} not in {err}"
            );
        }
        assert!(
            tool_server_manifests(&ds, &[]).is_err(),
            "{what}: manifests generated"
        );
        // The reconcile reports it as an invalid spec and keeps the children.
        let out = reconcile_discovered(&ds, Ok(Vec::new()), UNIX_EPOCH);
        let accepted = out.status.condition("Accepted").expect("Accepted");
        assert_eq!(accepted.status, ConditionStatus::False, "{what}");
        assert_eq!(accepted.reason, "InvalidSpec", "{what}");
        assert!(accepted.message.contains(field), "{what}");
        assert_eq!(out.children, Children::KeepExisting, "{what}");
    }
    // The boundaries are accepted.
    for seconds in [600, 3600, 1 << 32] {
        let mut ds = ds();
        identity(&mut ds).expiration_seconds = Some(seconds);
        validate_spec(&ds).unwrap_or_else(|e| panic!("{seconds}: {e}"));
    }
}

/// `clientId` is required by the schema: the YAML does not even parse without it, and the CRD
/// marks it required (the API server refuses it), with the minimum lifetime and the
/// exactly-one rule.
#[test]
fn missing_client_id_is_refused_by_the_schema() {
    let yaml =
        WORKLOAD_IDENTITY.replace("      clientId: 6a1f3c2e-aaaa-4bbb-8ccc-0123456789ab\n", "");
    let err = DataSourceResource::from_yaml(&yaml).expect_err("parses without clientId");
    assert!(err.to_string().contains("clientId"), "{err}");
    let schema = datasource_model::kubernetes::open_api_v3_schema();
    let wi =
        &schema["properties"]["spec"]["properties"]["databricks"]["properties"]["workloadIdentity"];
    assert_eq!(wi["required"], json!(["clientId"]));
    assert_eq!(wi["properties"]["expirationSeconds"]["minimum"], json!(600));
    let rules = schema["properties"]["spec"]["x-kubernetes-validations"]
        .as_array()
        .expect("rules");
    assert!(
        rules.iter().any(|r| r["rule"]
            == "!has(self.databricks) || has(self.databricks.credentialsSecretRef) != \
                has(self.databricks.workloadIdentity)"),
        "{rules:#?}"
    );
}

fn t(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_790_000_000 + secs)
}

#[test]
fn reconcile_is_ready_with_connected_unknown_whatever_discovery_says() {
    let discoveries: Vec<Result<Vec<AvailableModel>, ProviderFailure>> = vec![
        Ok(Vec::new()),
        Ok(vec![AvailableModel::new("something_else")]),
        Err(ProviderFailure::new(
            FailureKind::SecretNotFound,
            "Secret \"x\" not found",
        )),
        Err(ProviderFailure::new(FailureKind::Unauthenticated, "401")),
    ];
    for discovery in discoveries {
        let label = format!("{discovery:?}");
        let out = reconcile_discovered(&ds(), discovery, t(0));
        let s = &out.status;
        let get = |t: &str| s.condition(t).unwrap_or_else(|| panic!("{label}: no {t}"));
        assert_eq!(get("Accepted").status, ConditionStatus::True, "{label}");
        let connected = get("Connected");
        assert_eq!(connected.status, ConditionStatus::Unknown, "{label}");
        assert_eq!(connected.reason, REASON_WORKLOAD_IDENTITY, "{label}");
        assert!(
            connected
                .message
                .contains("projected service-account token")
                && connected.message.contains("does not connect"),
            "{label}: {}",
            connected.message
        );
        assert!(!connected.message.contains("Secret"), "{label}");
        let mapped = get("CredentialsMapped");
        assert_eq!(mapped.status, ConditionStatus::True, "{label}");
        assert_eq!(mapped.reason, REASON_WORKLOAD_IDENTITY, "{label}");
        // A model is selected but cannot be checked.
        let models = get("ModelsResolved");
        assert_eq!(models.status, ConditionStatus::Unknown, "{label}");
        assert!(models.message.contains("revenue_metrics"), "{label}");
        let ready = get("Ready");
        assert_eq!(ready.status, ConditionStatus::True, "{label}");
        assert_eq!(ready.reason, "ToolServerCreated", "{label}");
        assert!(s.is_ready());
        assert!(s.available_models.is_empty(), "{label}");
        assert_eq!(s.warehouse_id.as_deref(), Some("abc123def456"), "{label}");
        assert_eq!(s.observed_generation, Some(2));
        let generated = s.generated_tool_server.as_ref().expect("generated");
        assert_eq!(generated.name, "sales-fabric-mcp");
        let Children::Apply(children) = &out.children else {
            panic!("{label}: children not applied");
        };
        assert_eq!(children, &manifests(&ds()), "{label}");
    }
}

#[test]
fn reconcile_without_selected_models_resolves_them_and_keeps_transition_times() {
    let mut ds = ds();
    ds.spec.semantic_models.clear();
    if let Some(db) = ds.spec.databricks.as_mut() {
        db.warehouse_id = None;
    }
    let first = reconcile_discovered(&ds, Ok(Vec::new()), t(0));
    let models = first.status.condition("ModelsResolved").expect("condition");
    assert_eq!(models.status, ConditionStatus::True);
    assert!(
        models
            .message
            .contains("every model the tool server discovers")
    );
    // No warehouse named: the tool server discovers one itself; the status claims none.
    assert_eq!(first.status.warehouse_id, None);
    let args = &manifests(&ds)[0]["spec"]["deployment"]["args"];
    assert!(!args.to_string().contains("--warehouse-id"), "{args}");
    let again = reconcile_discovered(
        &ds.clone().with_status(first.status.clone()),
        Ok(Vec::new()),
        t(60),
    );
    assert_eq!(again.status, first.status, "nothing changed, nothing moves");
}

/// Switching a DataSource from a Secret to workload identity: the stale discovered models and
/// the discovered warehouse are dropped, the status says why Connected is no longer True.
#[test]
fn switching_from_a_secret_to_workload_identity_drops_stale_discovery() {
    let mut secret = ds();
    if let Some(db) = secret.spec.databricks.as_mut() {
        db.workload_identity = None;
        db.credentials_secret_ref =
            Some(SecretKeyRef::new("databricks-credentials").with_key("DATABRICKS_TOKEN"));
        db.warehouse_id = None;
    }
    let before = reconcile_discovered(
        &secret,
        Ok(vec![AvailableModel::new("revenue_metrics")]),
        t(0),
    );
    assert!(before.status.is_ready());
    let mut previous = before.status.clone();
    previous.warehouse_id = Some("wh-discovered".into());
    let mut switched = ds().with_status(previous);
    if let Some(db) = switched.spec.databricks.as_mut() {
        db.warehouse_id = None;
    }
    let after = reconcile_discovered(&switched, Ok(Vec::new()), t(120));
    let connected = after.status.condition("Connected").expect("condition");
    assert_eq!(connected.status, ConditionStatus::Unknown);
    // The status changed, so the transition time moved.
    assert_ne!(
        connected.last_transition_time,
        before
            .status
            .condition("Connected")
            .unwrap()
            .last_transition_time
    );
    let ready = after.status.condition("Ready").expect("condition");
    // Ready stayed True: its transition time did not move.
    assert_eq!(
        ready.last_transition_time,
        before
            .status
            .condition("Ready")
            .unwrap()
            .last_transition_time
    );
    assert!(after.status.available_models.is_empty());
    assert_eq!(after.status.warehouse_id, None);
}

/// The async reconcile never touches the provider of a workload-identity DataSource: even a
/// provider that could not be built does not make it fail.
#[tokio::test]
async fn reconcile_does_not_contact_the_provider() {
    let out = reconcile(
        &ds(),
        Err(datasource_model::Error::invalid_config(
            "DATABRICKS_TOKEN is not set",
        )),
        t(0),
    )
    .await;
    assert!(out.status.is_ready(), "{:#?}", out.status);
    let connected = out.status.condition("Connected").expect("condition");
    assert_eq!(connected.reason, REASON_WORKLOAD_IDENTITY);
    assert!(matches!(out.children, Children::Apply(_)));
}

/// The selected models reach the server's `--models` flag as with a Secret.
#[test]
fn selected_models_reach_the_command_line() {
    let mut ds = ds();
    ds.spec.semantic_models = vec![
        SemanticModelRef::new("revenue_metrics"),
        SemanticModelRef::new("customer_360"),
    ];
    let args = manifests(&ds)[0]["spec"]["deployment"]["args"].clone();
    assert!(
        args.as_array()
            .expect("args")
            .contains(&json!("--models=revenue_metrics,customer_360")),
        "{args}"
    );
}

/// The environment the generated tool server gets, with the projected volume replaced by a
/// token file in a temp dir, builds a `databricks-client` config (as `databricks-mcp-server`
/// does with `ConfigBuilder::from_env`) that exchanges exactly that file's content at the
/// workspace token endpoint found by OIDC discovery, then calls the API with the result.
#[tokio::test]
async fn generated_environment_exchanges_the_token_file() {
    use wiremock::matchers::{body_string_contains, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/oidc/.well-known/oauth-authorization-server"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issuer": format!("{}/oidc", server.uri()),
            "authorization_endpoint": format!("{}/oidc/v1/authorize", server.uri()),
            "token_endpoint": format!("{}/oidc/v1/token", server.uri()),
        })))
        .mount(&server)
        .await;
    let jwt = "eyJhbGciOiJSUzI1NiJ9.projected-sa-token.signature";
    Mock::given(method("POST"))
        .and(path("/oidc/v1/token"))
        .and(body_string_contains(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange",
        ))
        .and(body_string_contains(format!("subject_token={jwt}&")))
        .and(body_string_contains(
            "subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt",
        ))
        .and(body_string_contains(
            "client_id=6a1f3c2e-aaaa-4bbb-8ccc-0123456789ab",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "dbx-federated", "token_type": "Bearer", "expires_in": 3600
        })))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/preview/scim/v2/Me"))
        .and(header("authorization", "Bearer dbx-federated"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"userName": "sp"})))
        .expect(2)
        .mount(&server)
        .await;

    for (name, kind, transport) in [
        ("mcpserver", ToolServerKind::McpServer, None),
        ("remotemcpserver", ToolServerKind::RemoteMcpServer, None),
    ] {
        let mut ds = with_kind(&ds(), kind, transport);
        if let Some(db) = ds.spec.databricks.as_mut() {
            db.workspace_url = Some(server.uri());
        }
        let manifests = manifests(&ds);
        let view = pod_view(&manifests);
        // Stand in for the kubelet: write the token where the volume's `path` puts it.
        let dir = tempfile::tempdir().expect("temp dir");
        let file = view.volumes[0]["projected"]["sources"][0]["serviceAccountToken"]["path"]
            .as_str()
            .expect("token path");
        let mount = view.mounts[0]["mountPath"].as_str().expect("mount path");
        std::fs::write(dir.path().join(file), format!("{jwt}\n")).expect("token file");
        let env: Vec<(String, String)> = view
            .env
            .iter()
            .map(|(k, v)| {
                let v = v
                    .as_str()
                    .unwrap_or_else(|| panic!("{name}: {k} is not a literal"));
                let v = match v.strip_prefix(mount) {
                    Some(rest) => format!("{}{rest}", dir.path().display()),
                    None => v.to_owned(),
                };
                (k.clone(), v)
            })
            .collect();
        assert!(
            env.iter()
                .any(|(k, v)| k == "DATABRICKS_OIDC_TOKEN_FILEPATH"
                    && v == &dir.path().join("token").display().to_string()),
            "{name}: {env:?}"
        );
        let config = databricks_client::ConfigBuilder::default()
            .with_env_vars(env.clone())
            .build()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            config.auth_type,
            databricks_client::AuthType::FileOidc,
            "{name}"
        );
        let client = databricks_client::WorkspaceClient::new(config).expect("client");
        let me: Value = client
            .get("/api/2.0/preview/scim/v2/Me")
            .send_json()
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(me["userName"], "sp", "{name}");
    }
    // One exchange and one call per kind.
    server.verify().await;
}

/// The example in docs/kagent.md is a valid DataSource whose children are those described there.
#[test]
fn the_documented_example_is_valid() {
    let doc = include_str!("../../../docs/kagent.md");
    let block = doc
        .split("```yaml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .find(|b| b.contains("workloadIdentity:"))
        .expect("a workloadIdentity example");
    let yaml = block
        .split("---\n")
        .find(|d| d.contains("kind: DataSource"))
        .expect("a DataSource document");
    let ds = parse(yaml);
    validate_spec(&ds).unwrap_or_else(|e| panic!("the documented example is invalid: {e}"));
    let view = pod_view(&manifests(&ds));
    assert_eq!(view.service_account, json!("sales-mcp"));
    assert_eq!(
        view.var("DATABRICKS_TOKEN_AUDIENCE"),
        Some(&json!(
            "https://mycompany.cloud.databricks.com/oidc/v1/token"
        ))
    );
    assert_eq!(
        view.volumes[0]["projected"]["sources"][0]["serviceAccountToken"]["path"],
        "token"
    );
}
