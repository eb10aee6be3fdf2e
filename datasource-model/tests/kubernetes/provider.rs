//! Reconcile against real `DataSource` providers: the local engine, and a test double that
//! fails the way remote providers do.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use datasource_model::kubernetes::{
    Children, ConditionStatus, DataSourceResource, DataSourceStatus, reconcile,
};
use datasource_model::{
    Answer, AskOptions, Capabilities, ConnectionReport, DataSource, DataSourceConfig, Error,
    ModelDescription, ModelScope, ModelSummary, Provider, QueryOptions, QueryResult, SemanticQuery,
    SqlRequest,
};

use crate::fixtures::{parse, providers};

fn t(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_790_000_000 + secs)
}

fn cond<'a>(
    status: &'a DataSourceStatus,
    type_: &str,
) -> &'a datasource_model::kubernetes::Condition {
    status
        .condition(type_)
        .unwrap_or_else(|| panic!("no {type_} condition in {status:#?}"))
}

async fn local_sample() -> Arc<dyn DataSource> {
    DataSourceConfig::local_sample()
        .build()
        .await
        .expect("the bundled sample builds")
}

const LOCAL_DS: &str = "apiVersion: kagent.dev/v1alpha1
kind: DataSource
metadata: {name: sales-local, namespace: default, uid: u-1, generation: 1}
spec:
  provider: Local
  semanticModels: [{name: revenue_metrics}, {name: customer_360}]
";

/// What the double does on the next call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Mode {
    Healthy,
    BadToken,
    Down,
}

/// A provider that answers like a remote one: healthy, rejecting the token, or unreachable.
#[derive(Debug)]
pub(crate) struct FlakySource {
    mode: Mutex<Mode>,
    calls: Mutex<Vec<String>>,
}

impl FlakySource {
    pub(crate) fn new(mode: Mode) -> Arc<Self> {
        Arc::new(Self {
            mode: Mutex::new(mode),
            calls: Mutex::new(Vec::new()),
        })
    }

    pub(crate) fn set(&self, mode: Mode) {
        *self.mode.lock().expect("lock") = mode;
    }

    fn calls(&self) -> Vec<String> {
        self.calls.lock().expect("lock").clone()
    }

    fn check(&self, call: String) -> Result<(), Error> {
        self.calls.lock().expect("lock").push(call);
        match *self.mode.lock().expect("lock") {
            Mode::Healthy => Ok(()),
            Mode::BadToken => Err(Error::Unauthenticated {
                message: "invalid access token (HTTP 401); check DATABRICKS_TOKEN".into(),
            }),
            Mode::Down => Err(Error::Unavailable {
                provider: "Databricks".into(),
                message: "connection refused".into(),
            }),
        }
    }
}

impl fmt::Display for FlakySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FlakySource")
    }
}

#[async_trait]
impl DataSource for FlakySource {
    fn provider(&self) -> Provider {
        Provider::Databricks
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new()
    }

    async fn test_connection(&self) -> datasource_model::Result<ConnectionReport> {
        self.check("test_connection".into())?;
        Ok(ConnectionReport::new(Provider::Databricks))
    }

    async fn list_models(&self, scope: &ModelScope) -> datasource_model::Result<Vec<ModelSummary>> {
        self.check(format!(
            "list_models {}.{}",
            scope.catalog.as_deref().unwrap_or("*"),
            scope.schema.as_deref().unwrap_or("*")
        ))?;
        Ok(vec![
            ModelSummary::new("main.sales.revenue_metrics")
                .with_namespace("main", "sales")
                .with_description("Revenue metrics semantic model"),
            ModelSummary::new("main.sales.customer_360").with_namespace("main", "sales"),
        ])
    }

    async fn describe_model(&self, model: &str) -> datasource_model::Result<ModelDescription> {
        Err(Error::not_supported(
            self.to_string(),
            "describe_model",
            model.to_owned(),
        ))
    }

    async fn query_model(
        &self,
        _query: &SemanticQuery,
        _options: &QueryOptions,
    ) -> datasource_model::Result<QueryResult> {
        Err(Error::not_supported(
            self.to_string(),
            "query_model",
            "test double",
        ))
    }

    async fn ask(
        &self,
        _question: &str,
        _options: &AskOptions,
    ) -> datasource_model::Result<Answer> {
        Err(Error::not_supported(self.to_string(), "ask", "test double"))
    }

    async fn execute_sql(
        &self,
        _request: &SqlRequest,
        _options: &QueryOptions,
    ) -> datasource_model::Result<QueryResult> {
        Err(Error::not_supported(
            self.to_string(),
            "execute_sql",
            "test double",
        ))
    }
}

fn as_dyn(source: &Arc<FlakySource>) -> Result<Arc<dyn DataSource>, Error> {
    Ok(Arc::clone(source) as Arc<dyn DataSource>)
}

fn databricks() -> DataSourceResource {
    providers().remove(0).1
}

#[tokio::test]
async fn local_provider_reconciles_to_ready() {
    let ds = parse(LOCAL_DS);
    let out = reconcile(&ds, Ok(local_sample().await), t(0)).await;
    assert!(out.status.is_ready(), "{:#?}", out.status);
    let names: Vec<&str> = out
        .status
        .available_models
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    for model in ["revenue_metrics", "customer_360", "inventory_model"] {
        assert!(names.contains(&model), "{names:?}");
    }
    let Children::Apply(children) = &out.children else {
        panic!("expected children");
    };
    assert_eq!(
        children.last().map(|c| c["kind"].clone()),
        Some("MCPServer".into())
    );
    assert_eq!(out.status.observed_generation, Some(1));
}

#[tokio::test]
async fn local_provider_missing_model() {
    let mut ds = parse(LOCAL_DS);
    ds.spec
        .semantic_models
        .push(datasource_model::kubernetes::SemanticModelRef::new(
            "churn_model",
        ));
    let out = reconcile(&ds, Ok(local_sample().await), t(0)).await;
    let models = cond(&out.status, "ModelsResolved");
    assert_eq!(models.status, ConditionStatus::False);
    assert!(
        models.message.contains("not found: churn_model"),
        "{}",
        models.message
    );
    assert_eq!(out.children, Children::KeepExisting);
}

#[tokio::test]
async fn local_provider_spec_change_bumps_observed_generation() {
    let ds = parse(LOCAL_DS);
    let source = local_sample().await;
    let first = reconcile(&ds, Ok(Arc::clone(&source)), t(0)).await;
    let mut ds = ds.with_status(first.status.clone());
    ds.metadata.generation = Some(2);
    ds.spec
        .semantic_models
        .retain(|m| m.name == "revenue_metrics");
    let second = reconcile(&ds, Ok(source), t(5)).await;
    assert_eq!(second.status.observed_generation, Some(2));
    assert!(
        second
            .status
            .conditions
            .iter()
            .all(|c| c.observed_generation == Some(2))
    );
    assert_ne!(first.children, second.children);
}

#[tokio::test]
async fn bad_spec_never_calls_the_provider() {
    let source = FlakySource::new(Mode::Healthy);
    let ds = parse(
        "metadata: {name: sales}\nspec: {provider: Databricks, databricks: {catalog: main}}\n",
    );
    let out = reconcile(&ds, as_dyn(&source), t(0)).await;
    let accepted = cond(&out.status, "Accepted");
    assert_eq!(accepted.status, ConditionStatus::False);
    assert!(
        accepted
            .message
            .starts_with("spec.databricks.workspaceUrl:")
    );
    assert!(source.calls().is_empty(), "{:?}", source.calls());
}

#[tokio::test]
async fn discovery_uses_the_spec_scope_and_short_names() {
    let source = FlakySource::new(Mode::Healthy);
    let out = reconcile(&databricks(), as_dyn(&source), t(0)).await;
    assert_eq!(
        source.calls(),
        ["test_connection", "list_models main.sales"]
    );
    assert!(out.status.is_ready(), "{:#?}", out.status);
    assert_eq!(out.status.available_models[0].name, "revenue_metrics");
    assert_eq!(
        out.status.available_models[0].catalog.as_deref(),
        Some("main")
    );
}

#[tokio::test]
async fn auth_failure_keeps_the_last_good_child() {
    let source = FlakySource::new(Mode::Healthy);
    let ds = databricks();
    let good = reconcile(&ds, as_dyn(&source), t(0)).await;
    let ds = ds.with_status(good.status.clone());
    source.set(Mode::BadToken);
    let out = reconcile(&ds, as_dyn(&source), t(10)).await;
    let connected = cond(&out.status, "Connected");
    assert_eq!(connected.status, ConditionStatus::False);
    assert_eq!(connected.reason, "AuthenticationFailed");
    assert!(connected.message.contains("HTTP 401"));
    assert_eq!(out.children, Children::KeepExisting);
    assert_eq!(
        out.status.generated_tool_server,
        good.status.generated_tool_server
    );
}

#[tokio::test]
async fn provider_down_and_back() {
    let source = FlakySource::new(Mode::Down);
    let ds = databricks();
    let down = reconcile(&ds, as_dyn(&source), t(0)).await;
    assert_eq!(
        cond(&down.status, "Connected").reason,
        "ProviderUnavailable"
    );
    assert_eq!(cond(&down.status, "Ready").status, ConditionStatus::False);
    assert_eq!(down.children, Children::KeepExisting);
    let ds = ds.with_status(down.status.clone());
    source.set(Mode::Healthy);
    let back = reconcile(&ds, as_dyn(&source), t(30)).await;
    assert!(back.status.is_ready(), "{:#?}", back.status);
    assert!(matches!(back.children, Children::Apply(_)));
}

#[tokio::test]
async fn connect_error_is_a_connection_failure() {
    let ds = databricks();
    let out = reconcile(
        &ds,
        Err(Error::invalid_config("DATABRICKS_TOKEN is not set")),
        t(0),
    )
    .await;
    let connected = cond(&out.status, "Connected");
    assert_eq!(connected.status, ConditionStatus::False);
    assert_eq!(connected.reason, "ConnectionFailed");
    assert!(connected.message.contains("DATABRICKS_TOKEN"));
}
