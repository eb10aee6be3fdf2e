//! The controller against an in-process fake Kubernetes API server (wiremock on 127.0.0.1):
//! every request it sends is recorded and asserted.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use datasource_model::kubernetes::controller::{
    ANNOTATION_CREDENTIALS_HASH, BuiltProvider, Context, ControllerConfig, DefaultProviderFactory,
    FIELD_MANAGER, ProviderFactory, reconcile_object, run,
};
use datasource_model::kubernetes::{ConditionStatus, DataSourceResource, DataSourceStatus};
use datasource_model::{DataSource, Error};
use kube::api::DynamicObject;
use kube::runtime::controller::Action;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::fixtures::PROPOSAL_EXAMPLE;
use crate::kagent_schema::{assert_valid_object, crd_dir};
use crate::provider::{FlakySource, Mode};

/// A distinctive token: it must never appear in anything the controller writes.
const CANARY: &str = "dapi-canary-7f3a9c1e5b";
const UID: &str = "4a6f0d4e-1111-2222-3333-444455556666";

/// A recorded request: method, path, sorted query and JSON body.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    query: BTreeMap<String, String>,
    content_type: String,
    body: Value,
}

impl Seen {
    fn line(&self) -> String {
        let query: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{} {}?{}", self.method, self.path, query.join("&"))
    }
}

/// The fake API server's state: the Secret to serve and the existing objects per plural.
#[derive(Clone, Default)]
struct FakeApi {
    secret: Arc<Mutex<Option<Value>>>,
    /// Secrets written by the controller (the generated API-key Secret), by name.
    written: Arc<Mutex<HashMap<String, Value>>>,
    existing: Arc<Mutex<HashMap<String, Vec<Value>>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

fn status_404(what: &str) -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": format!("{what} not found"), "reason": "NotFound", "code": 404,
    }))
}

impl Respond for FakeApi {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let path = req.url.path().to_owned();
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        self.seen.lock().expect("lock").push(Seen {
            method: req.method.to_string(),
            path: path.clone(),
            query: req.url.query_pairs().into_owned().collect(),
            content_type: req
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            body: body.clone(),
        });
        let segments: Vec<&str> = path.split('/').collect();
        match req.method.as_str() {
            "GET" if path.contains("/secrets/") => {
                let name = segments.last().copied().unwrap_or_default();
                if let Some(written) = self.written.lock().expect("lock").get(name) {
                    return ResponseTemplate::new(200).set_body_json(written.clone());
                }
                if name.ends_with("-mcp-api-key") {
                    return status_404(name);
                }
                match self.secret.lock().expect("lock").clone() {
                    Some(secret) => ResponseTemplate::new(200).set_body_json(secret),
                    None => status_404("secret"),
                }
            }
            "GET" => {
                let plural = segments.last().copied().unwrap_or_default();
                let items = self
                    .existing
                    .lock()
                    .expect("lock")
                    .get(plural)
                    .cloned()
                    .unwrap_or_default();
                ResponseTemplate::new(200).set_body_json(json!({
                    "apiVersion": "v1", "kind": "List",
                    "metadata": {"resourceVersion": "7"}, "items": items,
                }))
            }
            "PATCH" if path.contains("/secrets/") => {
                let name = segments.last().copied().unwrap_or_default().to_owned();
                let mut stored = body.clone();
                stored["metadata"]["resourceVersion"] = json!("21");
                self.written.lock().expect("lock").insert(name, stored);
                ResponseTemplate::new(200).set_body_json(body)
            }
            "PATCH" => ResponseTemplate::new(200).set_body_json(body),
            "POST" => ResponseTemplate::new(201).set_body_json(body),
            "DELETE" => {
                let name = segments.last().copied().unwrap_or_default();
                let plural = segments
                    .get(segments.len().saturating_sub(2))
                    .copied()
                    .unwrap_or_default();
                let found = self
                    .existing
                    .lock()
                    .expect("lock")
                    .get(plural)
                    .and_then(|items| {
                        items
                            .iter()
                            .find(|i| i["metadata"]["name"] == name)
                            .cloned()
                    });
                match found {
                    Some(obj) => ResponseTemplate::new(200).set_body_json(obj),
                    None => status_404(name),
                }
            }
            _ => ResponseTemplate::new(405),
        }
    }
}

/// A Kubernetes client for the fake API server.
fn client_of(server: &MockServer) -> kube::Client {
    let uri: http::Uri = server.uri().parse().expect("mock server URI");
    kube::Client::try_from(kube::Config::new(uri)).expect("client")
}

struct Harness {
    _server: MockServer,
    api: FakeApi,
    client: kube::Client,
}

impl Harness {
    async fn new() -> Self {
        let server = MockServer::start().await;
        let api = FakeApi::default();
        Mock::given(any())
            .respond_with(api.clone())
            .mount(&server)
            .await;
        let client = client_of(&server);
        Self {
            _server: server,
            api,
            client,
        }
    }

    fn secret(&self, data: &[(&str, &str)]) {
        use base64::Engine;
        let data: serde_json::Map<String, Value> = data
            .iter()
            .map(|(k, v)| {
                (
                    (*k).to_owned(),
                    json!(base64::engine::general_purpose::STANDARD.encode(v)),
                )
            })
            .collect();
        *self.api.secret.lock().expect("lock") = Some(json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "databricks-credentials", "namespace": "default",
                         "resourceVersion": "3", "someFutureField": {"x": 1}},
            "type": "Opaque", "data": data,
        }));
    }

    fn existing(&self, plural: &str, objects: Vec<Value>) {
        self.api
            .existing
            .lock()
            .expect("lock")
            .insert(plural.to_owned(), objects);
    }

    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.api.seen.lock().expect("lock"))
    }

    fn context(&self, factory: Arc<dyn ProviderFactory>) -> Arc<Context> {
        Arc::new(Context::new(
            self.client.clone(),
            factory,
            ControllerConfig::default(),
        ))
    }
}

/// A factory returning a test double; records the credentials it was given and reports a
/// discovered warehouse when the spec names none (as the Databricks factory does).
struct FakeFactory {
    source: Arc<FlakySource>,
    credentials: Mutex<Vec<String>>,
}

impl FakeFactory {
    fn new(mode: Mode) -> Arc<Self> {
        Arc::new(Self {
            source: FlakySource::new(mode),
            credentials: Mutex::new(Vec::new()),
        })
    }
}

#[async_trait]
impl ProviderFactory for FakeFactory {
    async fn build(
        &self,
        ds: &DataSourceResource,
        credential: Option<SecretString>,
    ) -> Result<BuiltProvider, Error> {
        if let Some(c) = credential {
            self.credentials
                .lock()
                .expect("lock")
                .push(c.expose_secret().to_owned());
        }
        let warehouse = ds
            .spec
            .databricks
            .as_ref()
            .and_then(|d| d.warehouse_id.clone())
            .unwrap_or_else(|| "wh-serverless-1".to_owned());
        let source: Arc<dyn DataSource> = Arc::clone(&self.source) as Arc<dyn DataSource>;
        Ok(BuiltProvider::new(source).with_warehouse_id(warehouse))
    }
}

/// The proposal's example as the API server stores it: status dropped (it is a
/// subresource), uid and generation assigned, plus a field this version does not know.
fn proposal_object(edit: impl FnOnce(&mut Value)) -> Arc<DynamicObject> {
    let ds = DataSourceResource::from_yaml(PROPOSAL_EXAMPLE).expect("proposal parses");
    let mut value = serde_json::to_value(ds).expect("serializes");
    if let Some(obj) = value.as_object_mut() {
        obj.remove("status");
        obj.insert("someFutureTopLevelField".into(), json!(true));
    }
    value["metadata"]["uid"] = json!(UID);
    value["metadata"]["generation"] = json!(1);
    value["metadata"]["resourceVersion"] = json!("11");
    edit(&mut value);
    Arc::new(serde_json::from_value(value).expect("a DynamicObject"))
}

fn status_of(seen: &[Seen]) -> DataSourceStatus {
    let patch = seen
        .iter()
        .find(|s| s.path.ends_with("/status"))
        .expect("a status patch");
    serde_json::from_value(patch.body["status"].clone()).expect("a DataSourceStatus")
}

fn applied(seen: &[Seen]) -> Vec<&Seen> {
    seen.iter()
        .filter(|s| {
            s.method == "PATCH" && !s.path.ends_with("/status") && !s.path.contains("/events")
        })
        .collect()
}

fn apply_query() -> String {
    format!("fieldManager={FIELD_MANAGER}&force=true")
}

const LIST_QUERY: &str = "labelSelector=kagent.dev/datasource=sales-fabric";

fn list_lines() -> Vec<String> {
    [
        "/api/v1/namespaces/default/configmaps",
        "/apis/apps/v1/namespaces/default/deployments",
        "/api/v1/namespaces/default/services",
        "/apis/kagent.dev/v1alpha1/namespaces/default/mcpservers",
        "/apis/kagent.dev/v1alpha2/namespaces/default/remotemcpservers",
        "/apis/kagent.dev/v1alpha1/namespaces/default/toolservers",
    ]
    .iter()
    .map(|p| format!("GET {p}?{LIST_QUERY}"))
    .collect()
}

/// The acceptance test: the proposal's DataSource and a Secret with key `token`, exactly as
/// written, reach Ready=True with a tool server whose command line and environment resolve to
/// the credential.
#[tokio::test]
async fn proposal_example_reaches_ready_with_an_authenticating_child() {
    let h = Harness::new().await;
    h.secret(&[("token", CANARY)]);
    let factory = FakeFactory::new(Mode::Healthy);
    let action = reconcile_object(
        proposal_object(|_| {}),
        h.context(Arc::clone(&factory) as Arc<dyn ProviderFactory>),
    )
    .await
    .expect("reconciles");
    assert_eq!(action, Action::requeue(Duration::from_secs(600)));
    assert_eq!(
        *factory.credentials.lock().expect("lock"),
        vec![CANARY.to_owned()]
    );

    let seen = h.take();
    let lines: Vec<String> = seen.iter().map(Seen::line).collect();
    let mut expected = vec![
        "GET /api/v1/namespaces/default/secrets/databricks-credentials?".to_owned(),
        format!(
            "PATCH /apis/kagent.dev/v1alpha1/namespaces/default/mcpservers/sales-fabric-mcp?{}",
            apply_query()
        ),
    ];
    expected.extend(list_lines());
    expected.push(format!(
        "PATCH /apis/kagent.dev/v1alpha1/namespaces/default/datasources/sales-fabric/status?{}",
        apply_query()
    ));
    expected.push("POST /apis/events.k8s.io/v1/namespaces/default/events?".to_owned());
    assert_eq!(lines, expected);
    for patch in applied(&seen) {
        assert_eq!(patch.content_type, "application/apply-patch+yaml");
    }

    let status = status_of(&seen);
    assert!(status.is_ready(), "{status:#?}");
    assert_eq!(status.warehouse_id.as_deref(), Some("wh-serverless-1"));
    assert_eq!(status.observed_generation, Some(1));
    let mapped = status.condition("CredentialsMapped").expect("condition");
    assert_eq!(mapped.status, ConditionStatus::True, "{mapped:#?}");
    let generated = status.generated_tool_server.expect("generated tool server");
    assert_eq!(generated.name, "sales-fabric-mcp");

    let server = &applied(&seen)[0].body;
    let deployment = &server["spec"]["deployment"];
    let args: Vec<&str> = deployment["args"]
        .as_array()
        .expect("args")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(args.contains(&"--warehouse-id=wh-serverless-1"), "{args:?}");
    assert!(
        args.contains(&"--workspace-url=https://mycompany.cloud.databricks.com"),
        "{args:?}"
    );
    // kmcp turns every key of each `secretRefs` Secret into a variable of the same name; the
    // server reads the variable named by --token-env (default DATABRICKS_TOKEN).
    let secret = h.api.secret.lock().expect("lock").clone().expect("secret");
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    for r in deployment["secretRefs"].as_array().expect("secretRefs") {
        assert_eq!(r["name"], secret["metadata"]["name"]);
        for (key, value) in secret["data"].as_object().expect("data") {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(value.as_str().unwrap_or_default())
                .expect("base64");
            env.insert(key.clone(), String::from_utf8(bytes).expect("utf8"));
        }
    }
    for (k, v) in deployment["env"].as_object().expect("env") {
        env.insert(k.clone(), v.as_str().unwrap_or_default().to_owned());
    }
    let var = args
        .iter()
        .find_map(|a| a.strip_prefix("--token-env="))
        .unwrap_or("DATABRICKS_TOKEN");
    assert_eq!(env.get(var).map(String::as_str), Some(CANARY));
    assert_eq!(
        env.get("DATABRICKS_HOST").map(String::as_str),
        Some("https://mycompany.cloud.databricks.com")
    );
    // The pod template carries a hash of the Secret, never the credential.
    let hash = deployment["annotations"][ANNOTATION_CREDENTIALS_HASH]
        .as_str()
        .expect("hash annotation");
    assert_eq!(hash.len(), 64);
    for s in &seen {
        assert!(!s.body.to_string().contains(CANARY), "{}", s.line());
    }

    if let Some(dir) = crd_dir("proposal_example_reaches_ready_with_an_authenticating_child") {
        for patch in applied(&seen) {
            assert_valid_object(&dir, &patch.body);
        }
    }
}

#[tokio::test]
async fn a_missing_secret_sets_connected_false_and_writes_no_child() {
    let h = Harness::new().await;
    let factory = FakeFactory::new(Mode::Healthy);
    let action = reconcile_object(
        proposal_object(|_| {}),
        h.context(Arc::clone(&factory) as Arc<dyn ProviderFactory>),
    )
    .await
    .expect("reconciles");
    assert_eq!(action, Action::await_change());
    let seen = h.take();
    let lines: Vec<String> = seen.iter().map(Seen::line).collect();
    assert_eq!(
        lines,
        vec![
            "GET /api/v1/namespaces/default/secrets/databricks-credentials?".to_owned(),
            format!(
                "PATCH /apis/kagent.dev/v1alpha1/namespaces/default/datasources/sales-fabric/status?{}",
                apply_query()
            ),
            "POST /apis/events.k8s.io/v1/namespaces/default/events?".to_owned(),
        ]
    );
    let status = status_of(&seen);
    let connected = status.condition("Connected").expect("Connected");
    assert_eq!(connected.status, ConditionStatus::False);
    assert_eq!(connected.reason, "SecretNotFound");
    assert!(
        connected.message.contains("databricks-credentials"),
        "{connected:#?}"
    );
    assert!(factory.credentials.lock().expect("lock").is_empty());
    assert!(status.generated_tool_server.is_none());
}

#[tokio::test]
async fn a_missing_key_names_the_key_and_the_keys_present() {
    let h = Harness::new().await;
    h.secret(&[("DATABRICKS_TOKEN", CANARY)]);
    let action = reconcile_object(
        proposal_object(|_| {}),
        h.context(FakeFactory::new(Mode::Healthy)),
    )
    .await
    .expect("reconciles");
    assert_eq!(action, Action::await_change());
    let seen = h.take();
    assert!(applied(&seen).is_empty());
    let status = status_of(&seen);
    let connected = status.condition("Connected").expect("Connected");
    assert_eq!(connected.reason, "SecretKeyNotFound");
    assert!(
        connected.message.contains("\"token\"") && connected.message.contains("DATABRICKS_TOKEN"),
        "{connected:#?}"
    );
    assert!(!connected.message.contains(CANARY));
}

#[tokio::test]
async fn refresh_interval_sets_the_requeue() {
    let h = Harness::new().await;
    h.secret(&[("token", CANARY)]);
    let obj = proposal_object(|v| v["spec"]["refreshInterval"] = json!("2m30s"));
    let action = reconcile_object(obj, h.context(FakeFactory::new(Mode::Healthy)))
        .await
        .expect("reconciles");
    assert_eq!(action, Action::requeue(Duration::from_secs(150)));
}

#[tokio::test]
async fn a_spec_change_prunes_only_our_own_children() {
    let h = Harness::new().await;
    h.secret(&[("token", CANARY)]);
    let owner = json!([{"apiVersion": "kagent.dev/v1alpha1", "kind": "DataSource",
        "name": "sales-fabric", "uid": UID, "controller": true}]);
    let labels = json!({"kagent.dev/datasource": "sales-fabric"});
    h.existing(
        "mcpservers",
        vec![
            // Ours, from the previous spec (kind MCPServer): pruned.
            json!({"apiVersion": "kagent.dev/v1alpha1", "kind": "MCPServer",
                "metadata": {"name": "sales-fabric-mcp", "namespace": "default",
                    "labels": labels, "ownerReferences": owner}}),
            // Carries our label but nobody owns it: left alone.
            json!({"apiVersion": "kagent.dev/v1alpha1", "kind": "MCPServer",
                "metadata": {"name": "hand-made", "namespace": "default", "labels": labels}}),
            // Owned by another DataSource of the same name (older uid): left alone.
            json!({"apiVersion": "kagent.dev/v1alpha1", "kind": "MCPServer",
                "metadata": {"name": "stale", "namespace": "default", "labels": labels,
                    "ownerReferences": [{"apiVersion": "kagent.dev/v1alpha1",
                        "kind": "DataSource", "name": "sales-fabric", "uid": "other",
                        "controller": true}]}}),
        ],
    );
    let obj = proposal_object(|v| {
        v["spec"]["toolServer"] = json!({"kind": "RemoteMCPServer"});
        v["metadata"]["generation"] = json!(2);
    });
    reconcile_object(obj, h.context(FakeFactory::new(Mode::Healthy)))
        .await
        .expect("reconciles");
    let seen = h.take();
    let kinds: Vec<&str> = applied(&seen)
        .iter()
        .filter_map(|s| s.body["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["Secret", "Deployment", "Service", "RemoteMCPServer"]
    );
    let deletes: Vec<String> = seen
        .iter()
        .filter(|s| s.method == "DELETE")
        .map(Seen::line)
        .collect();
    assert_eq!(
        deletes,
        vec![
            "DELETE /apis/kagent.dev/v1alpha1/namespaces/default/mcpservers/sales-fabric-mcp?"
                .to_owned()
        ]
    );
    let status = status_of(&seen);
    assert_eq!(status.observed_generation, Some(2));
    assert!(status.is_ready());
    if let Some(dir) = crd_dir("a_spec_change_prunes_only_our_own_children") {
        for patch in applied(&seen) {
            assert_valid_object(&dir, &patch.body);
        }
    }
}

fn deployment_hash(seen: &[Seen]) -> String {
    applied(seen)
        .iter()
        .find(|s| s.body["kind"] == "Deployment")
        .and_then(|s| {
            s.body["spec"]["template"]["metadata"]["annotations"][ANNOTATION_CREDENTIALS_HASH]
                .as_str()
        })
        .expect("a Deployment with the hash annotation")
        .to_owned()
}

#[tokio::test]
async fn a_rotated_secret_changes_the_pod_template_annotation() {
    let h = Harness::new().await;
    let remote = |v: &mut Value| v["spec"]["toolServer"] = json!({"kind": "RemoteMCPServer"});
    let factory = FakeFactory::new(Mode::Healthy);
    let ctx = h.context(Arc::clone(&factory) as Arc<dyn ProviderFactory>);

    h.secret(&[("token", CANARY)]);
    reconcile_object(proposal_object(remote), Arc::clone(&ctx))
        .await
        .expect("reconciles");
    let first = h.take();
    h.secret(&[("token", "dapi-rotated-2b8d")]);
    reconcile_object(proposal_object(remote), Arc::clone(&ctx))
        .await
        .expect("reconciles");
    let second = h.take();
    let (a, b) = (deployment_hash(&first), deployment_hash(&second));
    assert_ne!(a, b, "rotation must roll the pods");
    // Same data, same hash: no needless rollout.
    h.secret(&[("token", "dapi-rotated-2b8d")]);
    reconcile_object(proposal_object(remote), ctx)
        .await
        .expect("reconciles");
    assert_eq!(deployment_hash(&h.take()), b);
    // The Deployment maps the key onto the variable the server reads; no value is written.
    let deployment = applied(&second)
        .into_iter()
        .find(|s| s.body["kind"] == "Deployment")
        .expect("deployment");
    let env = &deployment.body["spec"]["template"]["spec"]["containers"][0]["env"];
    assert!(
        env.as_array().expect("env").iter().any(|e| e
            == &json!({"name": "DATABRICKS_TOKEN", "valueFrom": {"secretKeyRef":
                {"name": "databricks-credentials", "key": "token"}}})),
        "{env}"
    );
    for s in first.iter().chain(&second) {
        let body = s.body.to_string();
        assert!(!body.contains(CANARY) && !body.contains("dapi-rotated"));
    }
    assert_eq!(
        *factory.credentials.lock().expect("lock"),
        [CANARY, "dapi-rotated-2b8d", "dapi-rotated-2b8d"]
    );
}

#[tokio::test]
async fn a_transient_failure_keeps_the_children_and_backs_off() {
    let h = Harness::new().await;
    h.secret(&[("token", CANARY)]);
    let factory = FakeFactory::new(Mode::Down);
    let ctx = h.context(Arc::clone(&factory) as Arc<dyn ProviderFactory>);
    let mut delays = Vec::new();
    for _ in 0..3 {
        let action = reconcile_object(proposal_object(|_| {}), Arc::clone(&ctx))
            .await
            .expect("reconciles");
        delays.push(action);
    }
    assert_eq!(
        delays,
        [5, 10, 20].map(|s| Action::requeue(Duration::from_secs(s)))
    );
    let seen = h.take();
    assert!(applied(&seen).is_empty(), "no child is touched");
    assert!(!seen.iter().any(|s| s.method == "DELETE"));
    let status = status_of(&seen);
    assert_eq!(
        status.condition("Ready").map(|c| c.reason.as_str()),
        Some("ProviderUnavailable")
    );
    // Healthy again: ready, back to the refresh interval.
    factory.source.set(Mode::Healthy);
    let action = reconcile_object(proposal_object(|_| {}), ctx)
        .await
        .expect("reconciles");
    assert_eq!(action, Action::requeue(Duration::from_secs(600)));
}

#[tokio::test]
async fn a_permanent_failure_waits_for_a_change() {
    let h = Harness::new().await;
    h.secret(&[("token", CANARY)]);
    let action = reconcile_object(
        proposal_object(|_| {}),
        h.context(FakeFactory::new(Mode::BadToken)),
    )
    .await
    .expect("reconciles");
    assert_eq!(action, Action::await_change());
    let seen = h.take();
    assert!(applied(&seen).is_empty());
    let status = status_of(&seen);
    assert_eq!(
        status.condition("Connected").map(|c| c.reason.as_str()),
        Some("AuthenticationFailed")
    );
}

#[tokio::test]
async fn an_unchanged_status_is_not_written_again() {
    let h = Harness::new().await;
    h.secret(&[("token", CANARY)]);
    let ctx = h.context(FakeFactory::new(Mode::Healthy));
    reconcile_object(proposal_object(|_| {}), Arc::clone(&ctx))
        .await
        .expect("reconciles");
    let status = status_of(&h.take());
    let obj = proposal_object(|v| v["status"] = serde_json::to_value(&status).expect("json"));
    reconcile_object(obj, ctx).await.expect("reconciles");
    let seen = h.take();
    assert!(!seen.iter().any(|s| s.path.ends_with("/status")));
    assert!(
        !seen.iter().any(|s| s.method == "POST"),
        "no Event without a transition"
    );
}

#[tokio::test]
async fn an_undecodable_object_is_an_error_not_a_panic() {
    let h = Harness::new().await;
    let obj: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "kagent.dev/v1alpha1", "kind": "DataSource",
        "metadata": {"name": "broken", "namespace": "default"},
        "spec": {"provider": 42}
    }))
    .expect("a DynamicObject");
    let err = reconcile_object(Arc::new(obj), h.context(FakeFactory::new(Mode::Healthy)))
        .await
        .expect_err("cannot decode");
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("default/broken"), "{err}");
    assert!(h.take().is_empty());
}

/// The Databricks factory discovers a warehouse when the spec names none, and says clearly
/// when there is none.
#[tokio::test]
async fn the_databricks_factory_reports_a_missing_warehouse() {
    let workspace = MockServer::start().await;
    Mock::given(wiremock::matchers::path("/api/2.0/sql/warehouses"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"warehouses": [
                {"id": "gone", "name": "old", "state": "DELETED"}
            ]})),
        )
        .mount(&workspace)
        .await;
    let mut ds = DataSourceResource::from_yaml(PROPOSAL_EXAMPLE).expect("parses");
    if let Some(db) = ds.spec.databricks.as_mut() {
        db.workspace_url = Some(workspace.uri());
    }
    let err = DefaultProviderFactory::new()
        .build(&ds, Some(SecretString::from(CANARY.to_owned())))
        .await
        .expect_err("no usable warehouse");
    let text = err.to_string();
    assert!(
        text.contains("no usable SQL warehouse") && text.contains("spec.databricks.warehouseId"),
        "{text}"
    );
    assert!(!text.contains(CANARY));
}

#[tokio::test]
async fn the_databricks_factory_uses_a_discovered_warehouse() {
    let workspace = MockServer::start().await;
    Mock::given(wiremock::matchers::path("/api/2.0/sql/warehouses"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"warehouses": [
                {"id": "stopped-1", "name": "classic", "state": "STOPPED"},
                {"id": "sl-1", "name": "serverless", "state": "STOPPED",
                 "enable_serverless_compute": true},
                {"id": "deleting", "name": "x", "state": "DELETING"}
            ]})),
        )
        .mount(&workspace)
        .await;
    let mut ds = DataSourceResource::from_yaml(PROPOSAL_EXAMPLE).expect("parses");
    if let Some(db) = ds.spec.databricks.as_mut() {
        db.workspace_url = Some(workspace.uri());
    }
    let built = DefaultProviderFactory::new()
        .build(&ds, Some(SecretString::from(CANARY.to_owned())))
        .await
        .expect("builds");
    assert_eq!(built.warehouse_id.as_deref(), Some("sl-1"));
    let requests = workspace.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0]
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some(format!("Bearer {CANARY}").as_str())
    );
}

/// Replaces the proposal's `credentialsSecretRef` with a workload identity.
fn workload_identity(v: &mut Value) {
    let db = &mut v["spec"]["databricks"];
    if let Some(obj) = db.as_object_mut() {
        obj.remove("credentialsSecretRef");
    }
    db["workloadIdentity"] = json!({
        "clientId": "6a1f3c2e-aaaa-4bbb-8ccc-0123456789ab",
        "serviceAccountName": "sales-mcp",
    });
}

/// A factory that must not be called: a workload-identity DataSource is never connected to.
struct UnusedFactory(Mutex<u32>);

#[async_trait]
impl ProviderFactory for UnusedFactory {
    async fn build(
        &self,
        _: &DataSourceResource,
        _: Option<SecretString>,
    ) -> Result<BuiltProvider, Error> {
        *self.0.lock().expect("lock") += 1;
        Err(Error::invalid_config(
            "the controller must not build a provider",
        ))
    }
}

/// A workload-identity DataSource: no Secret is read (none exists), no provider is built, the
/// MCPServer carries the projected token, the file-oidc environment and the ServiceAccount and
/// no Secret reference or credential hash, and the status is Ready with Connected=Unknown.
#[tokio::test]
async fn workload_identity_reads_no_secret_and_applies_a_projected_token_child() {
    for (tool_server, child_paths) in [
        (
            "MCPServer",
            vec!["/apis/kagent.dev/v1alpha1/namespaces/default/mcpservers/sales-fabric-mcp"],
        ),
        (
            "RemoteMCPServer",
            vec![
                "/apis/apps/v1/namespaces/default/deployments/sales-fabric-mcp",
                "/api/v1/namespaces/default/services/sales-fabric-mcp",
                "/apis/kagent.dev/v1alpha2/namespaces/default/remotemcpservers/sales-fabric-mcp",
            ],
        ),
    ] {
        let h = Harness::new().await;
        let factory = Arc::new(UnusedFactory(Mutex::new(0)));
        let obj = proposal_object(|v| {
            workload_identity(v);
            v["spec"]["toolServer"] = json!({"kind": tool_server});
        });
        let action = reconcile_object(
            obj,
            h.context(Arc::clone(&factory) as Arc<dyn ProviderFactory>),
        )
        .await
        .expect("reconciles");
        assert_eq!(
            action,
            Action::requeue(Duration::from_secs(600)),
            "{tool_server}"
        );
        assert_eq!(*factory.0.lock().expect("lock"), 0, "{tool_server}");

        let seen = h.take();
        let lines: Vec<String> = seen.iter().map(Seen::line).collect();
        let mut expected: Vec<String> = Vec::new();
        if tool_server == "RemoteMCPServer" {
            // The server's API key (not a platform credential): read, then created.
            let key = "/api/v1/namespaces/default/secrets/sales-fabric-mcp-api-key";
            expected.push(format!("GET {key}?"));
            expected.push(format!("PATCH {key}?{}", apply_query()));
        }
        expected.extend(
            child_paths
                .iter()
                .map(|p| format!("PATCH {p}?{}", apply_query())),
        );
        expected.extend(list_lines());
        expected.push(format!(
            "PATCH /apis/kagent.dev/v1alpha1/namespaces/default/datasources/sales-fabric/status?{}",
            apply_query()
        ));
        expected.push("POST /apis/events.k8s.io/v1/namespaces/default/events?".to_owned());
        assert_eq!(lines, expected, "{tool_server}");

        let status = status_of(&seen);
        assert!(status.is_ready(), "{tool_server}: {status:#?}");
        let connected = status.condition("Connected").expect("Connected");
        assert_eq!(connected.status, ConditionStatus::Unknown, "{tool_server}");
        assert_eq!(connected.reason, "WorkloadIdentity", "{tool_server}");
        assert!(
            !connected.message.to_lowercase().contains("missing"),
            "{connected:#?}"
        );
        let mapped = status.condition("CredentialsMapped").expect("condition");
        assert_eq!(mapped.status, ConditionStatus::True, "{tool_server}");
        assert_eq!(mapped.reason, "WorkloadIdentity", "{tool_server}");
        // The controller discovered no warehouse and the spec names none.
        assert_eq!(status.warehouse_id, None, "{tool_server}");
        assert!(status.available_models.is_empty(), "{tool_server}");

        let server = &applied(&seen)
            .into_iter()
            .find(|s| s.body["kind"] != "Secret")
            .expect("a child")
            .body;
        let (env, pod, container) = if tool_server == "MCPServer" {
            let d = &server["spec"]["deployment"];
            let env: BTreeMap<String, String> = d["env"]
                .as_object()
                .expect("env")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect();
            (env, d.clone(), d.clone())
        } else {
            let pod = server["spec"]["template"]["spec"].clone();
            let container = pod["containers"][0].clone();
            let env = container["env"]
                .as_array()
                .expect("env")
                .iter()
                // The server's own API key is checked by `assert_api_key_refs`.
                .filter(|v| v["name"] != "MCP_API_KEY")
                .map(|v| {
                    (
                        v["name"].as_str().unwrap_or_default().to_owned(),
                        v["value"].as_str().expect("a literal value").to_owned(),
                    )
                })
                .collect();
            (env, pod, container)
        };
        assert_eq!(
            env.get("DATABRICKS_AUTH_TYPE").map(String::as_str),
            Some("file-oidc")
        );
        assert_eq!(
            env.get("DATABRICKS_OIDC_TOKEN_FILEPATH")
                .map(String::as_str),
            Some("/var/run/secrets/databricks/token")
        );
        assert_eq!(
            env.get("DATABRICKS_CLIENT_ID").map(String::as_str),
            Some("6a1f3c2e-aaaa-4bbb-8ccc-0123456789ab")
        );
        assert!(!env.contains_key("DATABRICKS_TOKEN"), "{tool_server}");
        assert_eq!(pod["serviceAccountName"], "sales-mcp", "{tool_server}");
        assert_eq!(
            pod["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"],
            json!({"path": "token", "expirationSeconds": 3600,
                   "audience": "https://mycompany.cloud.databricks.com/oidc/v1/token"}),
            "{tool_server}"
        );
        assert_eq!(
            container["volumeMounts"][0]["mountPath"], "/var/run/secrets/databricks",
            "{tool_server}"
        );
        for s in &seen {
            // The server's API key is the only Secret reference allowed (no credential Secret).
            if s.body["kind"] == "Secret" {
                assert!(
                    s.path.ends_with("/sales-fabric-mcp-api-key"),
                    "{}",
                    s.line()
                );
                continue;
            }
            let body = without_api_key_refs(&s.body).to_string();
            for word in [
                "secretRef",
                "secretKeyRef",
                "secretRefs",
                ANNOTATION_CREDENTIALS_HASH,
            ] {
                assert!(
                    !body.contains(word),
                    "{tool_server}: {word} in {}",
                    s.line()
                );
            }
        }
        if let Some(dir) =
            crd_dir("workload_identity_reads_no_secret_and_applies_a_projected_token_child")
        {
            for patch in applied(&seen) {
                assert_valid_object(&dir, &patch.body);
            }
        }

        // The next reconcile changes nothing: no status write, no Event, same requeue.
        let mut with_status = proposal_object(|v| {
            workload_identity(v);
            v["spec"]["toolServer"] = json!({"kind": tool_server});
        })
        .as_ref()
        .clone();
        with_status.data["status"] = serde_json::to_value(&status).expect("status");
        let again = reconcile_object(
            Arc::new(with_status),
            h.context(Arc::clone(&factory) as Arc<dyn ProviderFactory>),
        )
        .await
        .expect("reconciles");
        assert_eq!(again, Action::requeue(Duration::from_secs(600)));
        let lines: Vec<String> = h.take().iter().map(Seen::line).collect();
        assert!(
            !lines
                .iter()
                .any(|l| l.contains("/status") || l.contains("/events")),
            "{tool_server}: {lines:#?}"
        );
    }
}

/// Asserts a generated child carries exactly the expected references to the API-key Secret
/// (a Deployment's `MCP_API_KEY`, a RemoteMCPServer's `headersFrom`), and returns it without
/// them.
fn without_api_key_refs(body: &Value) -> Value {
    let mut body = body.clone();
    match body["kind"].as_str() {
        Some("Deployment") => {
            if let Some(env) = body
                .pointer_mut("/spec/template/spec/containers/0/env")
                .and_then(Value::as_array_mut)
            {
                let before = env.len();
                env.retain(|e| {
                    e != &json!({"name": "MCP_API_KEY", "valueFrom": {"secretKeyRef":
                        {"name": "sales-fabric-mcp-api-key", "key": "api-key"}}})
                });
                assert_eq!(
                    before - env.len(),
                    1,
                    "one MCP_API_KEY from the API-key Secret"
                );
            }
        }
        Some("RemoteMCPServer") => {
            let headers = body["spec"]
                .as_object_mut()
                .and_then(|spec| spec.remove("headersFrom"));
            assert_eq!(
                headers,
                Some(json!([{"name": "Authorization", "valueFrom":
                    {"type": "Secret", "name": "sales-fabric-mcp-api-key", "key": "authorization"}}]))
            );
        }
        _ => {}
    }
    body
}

/// The API key the controller wrote into the generated Secret (decoded), if it wrote one.
fn written_api_key(seen: &[Seen]) -> Option<String> {
    use base64::Engine;
    let secret = seen
        .iter()
        .find(|s| s.method == "PATCH" && s.path.ends_with("/secrets/sales-fabric-mcp-api-key"))?;
    let decode = |key: &str| {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(secret.body["data"][key].as_str().expect("base64 data"))
            .expect("base64");
        String::from_utf8(bytes).expect("UTF-8")
    };
    let key = decode("api-key");
    assert_eq!(decode("authorization"), format!("Bearer {key}"));
    Some(key)
}

/// A RemoteMCPServer's server is authenticated: the first reconcile creates the API-key Secret
/// (32 random bytes, base64url; owned by the DataSource), the Deployment reads it as
/// `MCP_API_KEY` without `--insecure-no-auth`, the RemoteMCPServer sends it through
/// `headersFrom`; the second reconcile reuses the Secret (no write, same key, same pods).
#[tokio::test]
async fn a_remote_server_gets_an_api_key_secret_created_once() {
    let h = Harness::new().await;
    h.secret(&[("token", CANARY)]);
    let ctx = h.context(FakeFactory::new(Mode::Healthy));
    let remote = |v: &mut Value| v["spec"]["toolServer"] = json!({"kind": "RemoteMCPServer"});
    reconcile_object(proposal_object(remote), Arc::clone(&ctx))
        .await
        .expect("reconciles");
    let first = h.take();
    let key = written_api_key(&first).expect("the API-key Secret is created");
    assert_eq!(key.len(), 43, "32 bytes, base64url without padding");
    assert!(
        key.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    );
    let secret = applied(&first)
        .into_iter()
        .find(|s| s.body["kind"] == "Secret")
        .expect("secret applied");
    assert_eq!(
        secret.query.get("fieldManager").map(String::as_str),
        Some(FIELD_MANAGER)
    );
    assert_eq!(secret.body["metadata"]["ownerReferences"][0]["uid"], UID);
    assert_eq!(
        secret.body["metadata"]["ownerReferences"][0]["controller"],
        true
    );
    assert_eq!(
        secret.body["metadata"]["labels"]["kagent.dev/datasource"],
        "sales-fabric"
    );
    let kinds: Vec<&str> = applied(&first)
        .iter()
        .filter_map(|s| s.body["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["Secret", "Deployment", "Service", "RemoteMCPServer"],
        "Secret first"
    );
    let deployment = applied(&first)
        .into_iter()
        .find(|s| s.body["kind"] == "Deployment")
        .expect("deployment");
    let args = &deployment.body["spec"]["template"]["spec"]["containers"][0]["args"];
    assert!(!args.to_string().contains("--insecure-no-auth"), "{args}");
    without_api_key_refs(&deployment.body);
    let key_hash =
        deployment.body["spec"]["template"]["metadata"]["annotations"]["kagent.dev/api-key-hash"]
            .as_str()
            .expect("api-key hash annotation")
            .to_owned();
    assert_eq!(key_hash.len(), 64);
    let remote_server = applied(&first)
        .into_iter()
        .find(|s| s.body["kind"] == "RemoteMCPServer")
        .expect("remote");
    without_api_key_refs(&remote_server.body);
    // The key is only in the Secret: no other request carries it, plain or encoded.
    let encoded = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(&key)
    };
    for s in first.iter().filter(|s| !s.path.contains("/secrets/")) {
        let body = s.body.to_string();
        assert!(
            !body.contains(&key) && !body.contains(&encoded),
            "{}",
            s.line()
        );
    }
    if let Some(dir) = crd_dir("a_remote_server_gets_an_api_key_secret_created_once") {
        for patch in applied(&first) {
            assert_valid_object(&dir, &patch.body);
        }
    }

    // Second reconcile: the Secret is read and reused, never rewritten.
    reconcile_object(proposal_object(remote), Arc::clone(&ctx))
        .await
        .expect("reconciles");
    let second = h.take();
    let secret_lines: Vec<String> = second
        .iter()
        .filter(|s| s.path.contains("/secrets/sales-fabric-mcp-api-key"))
        .map(Seen::line)
        .collect();
    assert_eq!(
        secret_lines,
        ["GET /api/v1/namespaces/default/secrets/sales-fabric-mcp-api-key?"]
    );
    let again = applied(&second)
        .into_iter()
        .find(|s| s.body["kind"] == "Deployment")
        .expect("deployment");
    assert_eq!(
        again.body["spec"]["template"]["metadata"]["annotations"]["kagent.dev/api-key-hash"],
        key_hash.as_str(),
        "same key, no rollout"
    );
}

/// An existing API-key Secret (made by hand, not owned) is adopted with its key kept; the key
/// never reaches the status, an Event, a log-visible error or a Debug output.
#[tokio::test]
async fn an_existing_api_key_is_adopted_and_never_leaks() {
    const KEY_CANARY: &str = "mcpkey-canary-5d1e8b2f4a7c9e0b";
    let h = Harness::new().await;
    h.secret(&[("token", CANARY)]);
    {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        h.api.written.lock().expect("lock").insert(
            "sales-fabric-mcp-api-key".to_owned(),
            json!({"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": "sales-fabric-mcp-api-key", "namespace": "default",
                    "resourceVersion": "5"},
                "type": "Opaque", "data": {"api-key": b64.encode(KEY_CANARY)}}),
        );
    }
    let ctx = h.context(FakeFactory::new(Mode::Healthy));
    let remote = |v: &mut Value| v["spec"]["toolServer"] = json!({"kind": "RemoteMCPServer"});
    let action = reconcile_object(proposal_object(remote), Arc::clone(&ctx))
        .await
        .expect("reconciles");
    let seen = h.take();
    assert_eq!(
        written_api_key(&seen).as_deref(),
        Some(KEY_CANARY),
        "adopted: owner reference and Authorization added, key kept"
    );
    let secret = seen
        .iter()
        .find(|s| s.method == "PATCH" && s.path.contains("/secrets/"))
        .expect("secret");
    assert_eq!(secret.body["metadata"]["ownerReferences"][0]["uid"], UID);
    for s in seen.iter().filter(|s| !s.path.contains("/secrets/")) {
        assert!(!s.body.to_string().contains(KEY_CANARY), "{}", s.line());
    }
    let status = status_of(&seen);
    assert!(status.is_ready(), "{status:#?}");
    assert!(
        !serde_json::to_string(&status)
            .expect("json")
            .contains(KEY_CANARY)
    );
    let events: Vec<&Seen> = seen.iter().filter(|s| s.path.contains("/events")).collect();
    assert!(!events.is_empty(), "a Ready transition records an Event");
    for debug in [
        format!("{ctx:?}"),
        format!("{action:?}"),
        format!("{status:?}"),
    ] {
        assert!(!debug.contains(KEY_CANARY), "{debug}");
    }
    // Once adopted, the next reconcile reuses the Secret without writing it.
    reconcile_object(proposal_object(remote), ctx)
        .await
        .expect("reconciles");
    let again = h.take();
    assert!(
        written_api_key(&again).is_none(),
        "no rewrite of an up-to-date Secret"
    );
}

/// A fake API server whose lists answer at once (empty) when `lists_answer`, and whose every
/// other request (and every list otherwise) hangs, as a watch on a quiet cluster does.
async fn quiet_cluster(lists_answer: bool) -> (MockServer, kube::Client) {
    struct Quiet(bool);
    impl Respond for Quiet {
        fn respond(&self, req: &Request) -> ResponseTemplate {
            let watch = req
                .url
                .query_pairs()
                .any(|(k, v)| k == "watch" && v == "true");
            if self.0 && !watch {
                ResponseTemplate::new(200).set_body_json(json!({
                    "apiVersion": "v1", "kind": "List",
                    "metadata": {"resourceVersion": "7"}, "items": [],
                }))
            } else {
                ResponseTemplate::new(200).set_delay(Duration::from_secs(3600))
            }
        }
    }
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(Quiet(lists_answer))
        .mount(&server)
        .await;
    let client = client_of(&server);
    (server, client)
}

/// Shutdown once every watched resource has been listed: the controller stops gracefully.
#[tokio::test(flavor = "multi_thread")]
async fn a_shutdown_after_the_first_list_stops_the_controller() {
    let (server, client) = quiet_cluster(true).await;
    let started = tokio::time::Instant::now();
    let stopped = tokio::time::timeout(
        Duration::from_secs(30),
        run(
            client,
            FakeFactory::new(Mode::Healthy),
            ControllerConfig::default().with_namespace("default"),
            tokio::time::sleep(Duration::from_millis(500)),
        ),
    )
    .await;
    assert!(stopped.is_ok(), "the controller did not stop");
    assert!(started.elapsed() >= Duration::from_millis(500));
    let requests = server.received_requests().await.unwrap_or_default();
    assert!(
        requests
            .iter()
            .any(|r| r.url.path().ends_with("/datasources")
                && !r.url.query().unwrap_or_default().contains("watch=true")),
        "the DataSources were never listed"
    );
}

/// Shutdown while the first list of DataSources is still outstanding (an API server slow or
/// unreachable at start): kube's graceful shutdown alone would wait for that list forever.
#[tokio::test(flavor = "multi_thread")]
async fn a_shutdown_before_the_first_list_completes_stops_at_once() {
    let (_server, client) = quiet_cluster(false).await;
    let stopped = tokio::time::timeout(
        Duration::from_secs(30),
        run(
            client,
            FakeFactory::new(Mode::Healthy),
            ControllerConfig::default(),
            tokio::time::sleep(Duration::from_millis(300)),
        ),
    )
    .await;
    assert!(
        stopped.is_ok(),
        "the controller waited for a list that never came"
    );
}

/// RBAC: the verbs the controller uses (every request of the reconciles above, plus the list
/// and watch of every watched resource and the Lease of leader election) are exactly those
/// the generated ClusterRole grants.
#[tokio::test]
async fn the_role_grants_exactly_the_verbs_used() {
    let h = Harness::new().await;
    let ctx = h.context(FakeFactory::new(Mode::Healthy));
    h.secret(&[("token", CANARY)]);
    let owner = json!([{"apiVersion": "kagent.dev/v1alpha1", "kind": "DataSource",
        "name": "sales-fabric", "uid": UID, "controller": true}]);
    // A child of every kind left over from an older spec, so each kind is pruned once.
    for (plural, kind) in [
        ("configmaps", "ConfigMap"),
        ("deployments", "Deployment"),
        ("services", "Service"),
        ("mcpservers", "MCPServer"),
        ("remotemcpservers", "RemoteMCPServer"),
        ("toolservers", "ToolServer"),
    ] {
        h.existing(
            plural,
            vec![json!({"apiVersion": "v1", "kind": kind,
                "metadata": {"name": format!("old-{plural}"), "namespace": "default",
                    "ownerReferences": owner}})],
        );
    }
    for tool_server in ["MCPServer", "RemoteMCPServer", "ToolServer"] {
        let obj = proposal_object(|v| v["spec"]["toolServer"] = json!({"kind": tool_server}));
        reconcile_object(obj, Arc::clone(&ctx))
            .await
            .expect("reconciles");
    }
    // Workload identity: pods with a serviceAccountName and a projected token need no new verb.
    for tool_server in ["MCPServer", "RemoteMCPServer"] {
        let obj = proposal_object(|v| {
            workload_identity(v);
            v["spec"]["toolServer"] = json!({"kind": tool_server});
        });
        reconcile_object(obj, Arc::clone(&ctx))
            .await
            .expect("reconciles");
    }
    // A file-configured provider adds the ConfigMap.
    let local: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "kagent.dev/v1alpha1", "kind": "DataSource",
        "metadata": {"name": "sales-fabric", "namespace": "default", "uid": UID, "generation": 1},
        "spec": {"provider": "Local", "local": {"tables": [{"name": "orders", "file": "orders.csv"}]}}
    }))
    .expect("a DynamicObject");
    reconcile_object(Arc::new(local), Arc::clone(&ctx))
        .await
        .expect("reconciles");
    let mut used: BTreeSet<(String, String, String)> = BTreeSet::new();
    for s in h.take() {
        let (group, resource, named) = resource_of(&s.path);
        let verbs: &[&str] = match s.method.as_str() {
            "GET" if !named => &["list"],
            "GET" => &["get"],
            // Server-side apply creates the object when it is missing: create and patch.
            "PATCH"
                if s.content_type == "application/apply-patch+yaml"
                    && !resource.ends_with("/status") =>
            {
                &["create", "patch"]
            }
            "PATCH" => &["patch"],
            "POST" => &["create"],
            "DELETE" => &["delete"],
            other => panic!("unexpected method {other}"),
        };
        for verb in verbs {
            used.insert((group.clone(), resource.clone(), (*verb).to_owned()));
        }
    }
    for (group, plural) in datasource_model::kubernetes::controller::watched_resources() {
        for verb in ["list", "watch"] {
            used.insert((group.to_owned(), plural.to_owned(), verb.to_owned()));
        }
    }
    for verb in datasource_model::kubernetes::controller::LEASE_VERBS {
        used.insert((
            "coordination.k8s.io".into(),
            "leases".into(),
            (*verb).to_owned(),
        ));
    }
    // Events are recorded through events.k8s.io and may be patched into a series.
    used.insert(("events.k8s.io".into(), "events".into(), "patch".into()));

    let mut granted: BTreeSet<(String, String, String)> = BTreeSet::new();
    for rule in datasource_model::kubernetes::controller::rbac_rules() {
        for group in rule["apiGroups"].as_array().expect("apiGroups") {
            for resource in rule["resources"].as_array().expect("resources") {
                for verb in rule["verbs"].as_array().expect("verbs") {
                    granted.insert((
                        group.as_str().unwrap_or_default().to_owned(),
                        resource.as_str().unwrap_or_default().to_owned(),
                        verb.as_str().unwrap_or_default().to_owned(),
                    ));
                }
            }
        }
    }
    let missing: Vec<_> = used.difference(&granted).collect();
    let extra: Vec<_> = granted.difference(&used).collect();
    assert!(missing.is_empty(), "used but not granted: {missing:?}");
    assert!(extra.is_empty(), "granted but never used: {extra:?}");
}

/// `(apiGroup, resource[/subresource], names an object)` of a request path.
fn resource_of(path: &str) -> (String, String, bool) {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (group, rest) = match parts.first() {
        Some(&"api") => (String::new(), parts.get(2..).unwrap_or_default()),
        _ => (
            parts.get(1).copied().unwrap_or_default().to_owned(),
            parts.get(3..).unwrap_or_default(),
        ),
    };
    // rest: namespaces/<ns>/<plural>[/<name>[/<sub>]]
    let rest = if rest.first() == Some(&"namespaces") {
        rest.get(2..).unwrap_or_default()
    } else {
        rest
    };
    let mut resource = rest.first().copied().unwrap_or_default().to_owned();
    if let Some(sub) = rest.get(2) {
        resource = format!("{resource}/{sub}");
    }
    (group, resource, rest.len() > 1)
}
