//! Every reconcile branch, through the pure core `reconcile_discovered`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use datasource_model::kubernetes::{
    AvailableModel, Children, ConditionStatus, DataSourceResource, DataSourceStatus, FailureKind,
    ProviderFailure, ReconcileOutput, reconcile_discovered,
};

use crate::fixtures::{PROPOSAL_EXAMPLE, parse, providers};

fn t(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_790_000_000 + secs)
}

fn sales_models() -> Vec<AvailableModel> {
    vec![
        AvailableModel::new("revenue_metrics")
            .with_location("main", "sales")
            .with_description("Revenue metrics semantic model"),
        AvailableModel::new("customer_360").with_location("main", "sales"),
        AvailableModel::new("inventory_model").with_location("main", "operations"),
    ]
}

fn cond<'a>(
    status: &'a DataSourceStatus,
    type_: &str,
) -> &'a datasource_model::kubernetes::Condition {
    status
        .condition(type_)
        .unwrap_or_else(|| panic!("no {type_} condition in {status:#?}"))
}

/// Applies the output as a controller would: the new status becomes the object's status.
fn applied(ds: &DataSourceResource, out: &ReconcileOutput) -> DataSourceResource {
    ds.clone().with_status(out.status.clone())
}

fn databricks() -> DataSourceResource {
    providers().remove(0).1
}

#[test]
fn happy_path_sets_ready_models_and_child() {
    let ds = databricks();
    let out = reconcile_discovered(&ds, Ok(sales_models()), t(0));
    let s = &out.status;
    assert_eq!(cond(s, "Accepted").status, ConditionStatus::True);
    assert_eq!(cond(s, "Connected").status, ConditionStatus::True);
    assert_eq!(cond(s, "Connected").reason, "ConnectionSuccessful");
    assert_eq!(cond(s, "ModelsResolved").status, ConditionStatus::True);
    assert_eq!(cond(s, "Ready").status, ConditionStatus::True);
    assert_eq!(cond(s, "Ready").reason, "ToolServerCreated");
    assert_eq!(s.observed_generation, Some(3));
    assert!(
        s.conditions
            .iter()
            .all(|c| c.observed_generation == Some(3))
    );
    assert_eq!(s.available_models, sales_models());
    let generated = s.generated_tool_server.as_ref().expect("generated");
    assert_eq!(generated.name, "sales-fabric-mcp");
    assert_eq!(generated.kind.as_deref(), Some("MCPServer"));
    assert_eq!(generated.namespace.as_deref(), Some("analytics"));
    let Children::Apply(children) = &out.children else {
        panic!("expected children to apply");
    };
    assert_eq!(children.len(), 1);
    assert_eq!(children[0]["metadata"]["name"], "sales-fabric-mcp");
    insta::assert_yaml_snapshot!("reconcile-happy-status", s);
}

#[test]
fn proposal_example_reconciles_to_ready() {
    let ds = parse(PROPOSAL_EXAMPLE);
    let out = reconcile_discovered(&ds, Ok(sales_models()), t(0));
    assert!(out.status.is_ready(), "{:#?}", out.status);
    // kmcp exposes its Secret key `token` as the variable `token`; the server is told to read
    // it there (`--token-env=token`), so the credential is mapped.
    let creds = cond(&out.status, "CredentialsMapped");
    assert_eq!(creds.status, ConditionStatus::True, "{creds:#?}");
    let Children::Apply(children) = &out.children else {
        panic!("expected children to apply");
    };
    let args = &children[0]["spec"]["deployment"]["args"];
    assert!(
        args.as_array()
            .is_some_and(|a| a.iter().any(|x| x == "--token-env=token")),
        "{args}"
    );
}

#[test]
fn bad_spec_names_the_field_and_keeps_children() {
    let cases = [
        ("spec: {provider: Databricks}", "spec.databricks"),
        (
            "spec: {provider: Databricks, databricks: {catalog: main}}",
            "spec.databricks.workspaceUrl",
        ),
        (
            "spec: {provider: Databricks, databricks: {workspaceUrl: 'mycompany', catalog: main}}",
            "spec.databricks.workspaceUrl",
        ),
        (
            "spec: {provider: Databricks, databricks: {workspaceUrl: 'https://x', catalog: main}}",
            "spec.databricks.credentialsSecretRef",
        ),
        (
            "spec: {provider: Snowflake, snowflake: {}}",
            "spec.snowflake.accountUrl",
        ),
        (
            "spec: {provider: BigQuery, bigquery: {projectId: p}}",
            "spec.bigquery.dataset",
        ),
        (
            "spec: {provider: Local, semanticModels: [{name: 'a,b'}]}",
            "spec.semanticModels[0].name",
        ),
        (
            "spec: {provider: Local, semanticModels: [{name: a}, {name: a}]}",
            "spec.semanticModels[1].name",
        ),
        (
            "spec: {provider: Local, toolServer: {kind: ToolServer}}",
            "spec.toolServer.kind",
        ),
        (
            "spec: {provider: Local, toolServer: {kind: RemoteMCPServer, transport: stdio}}",
            "spec.toolServer.transport",
        ),
        (
            "spec: {provider: Local, local: {dataPath: relative}}",
            "spec.local.dataPath",
        ),
        ("spec: {}", "spec.provider"),
    ];
    for (spec, field) in cases {
        let ds = parse(&format!(
            "metadata: {{name: sales, generation: 2}}\n{spec}\n"
        ));
        let out = reconcile_discovered(&ds, Ok(sales_models()), t(0));
        let accepted = cond(&out.status, "Accepted");
        assert_eq!(accepted.status, ConditionStatus::False, "{spec}");
        assert_eq!(accepted.reason, "InvalidSpec");
        assert!(
            accepted.message.starts_with(&format!("{field}:")),
            "{spec}: expected field {field}, got {}",
            accepted.message
        );
        assert_eq!(cond(&out.status, "Ready").status, ConditionStatus::False);
        assert_eq!(out.children, Children::KeepExisting);
        assert_eq!(out.status.observed_generation, Some(2));
    }
    let ds = parse("metadata: {name: Not_A_Name}\nspec: {provider: Local}\n");
    let out = reconcile_discovered(&ds, Ok(vec![]), t(0));
    assert!(
        cond(&out.status, "Accepted")
            .message
            .starts_with("metadata.name:")
    );
}

#[test]
fn auth_failure_sets_connected_false_and_keeps_last_good_child() {
    let ds = databricks();
    let good = reconcile_discovered(&ds, Ok(sales_models()), t(0));
    let ds = applied(&ds, &good);
    let out = reconcile_discovered(
        &ds,
        Err(ProviderFailure::new(
            FailureKind::Unauthenticated,
            "invalid access token (HTTP 401)",
        )),
        t(60),
    );
    let connected = cond(&out.status, "Connected");
    assert_eq!(connected.status, ConditionStatus::False);
    assert_eq!(connected.reason, "AuthenticationFailed");
    assert!(connected.message.contains("HTTP 401"));
    let ready = cond(&out.status, "Ready");
    assert_eq!(ready.status, ConditionStatus::False);
    assert_eq!(ready.reason, "AuthenticationFailed");
    assert!(
        ready.message.contains("MCPServer sales-fabric-mcp is kept"),
        "{}",
        ready.message
    );
    assert_eq!(out.children, Children::KeepExisting);
    assert_eq!(
        out.status.generated_tool_server,
        good.status.generated_tool_server
    );
    assert_eq!(out.status.available_models, sales_models());
    let denied = reconcile_discovered(
        &ds,
        Err(ProviderFailure::new(
            FailureKind::PermissionDenied,
            "no USE CATALOG",
        )),
        t(60),
    );
    assert_eq!(cond(&denied.status, "Connected").reason, "PermissionDenied");
}

#[test]
fn missing_models_are_listed() {
    let mut ds = databricks();
    ds.spec
        .semantic_models
        .push(datasource_model::kubernetes::SemanticModelRef::new("churn"));
    let out = reconcile_discovered(
        &ds,
        Ok(vec![
            AvailableModel::new("revenue_metrics"),
            AvailableModel::new("inventory_model"),
        ]),
        t(0),
    );
    let models = cond(&out.status, "ModelsResolved");
    assert_eq!(models.status, ConditionStatus::False);
    assert_eq!(models.reason, "ModelsNotFound");
    assert!(
        models.message.contains("not found: customer_360, churn"),
        "{}",
        models.message
    );
    assert!(
        models
            .message
            .contains("available: revenue_metrics, inventory_model")
    );
    assert_eq!(cond(&out.status, "Connected").status, ConditionStatus::True);
    assert_eq!(cond(&out.status, "Ready").status, ConditionStatus::False);
    assert_eq!(out.children, Children::KeepExisting);
    assert_eq!(out.status.available_models.len(), 2);
}

#[test]
fn provider_down_and_back() {
    let ds = databricks();
    let first = reconcile_discovered(&ds, Ok(sales_models()), t(0));
    let ds = applied(&ds, &first);
    let connected_at = cond(&first.status, "Connected")
        .last_transition_time
        .clone();
    assert!(connected_at.is_some());

    let down = reconcile_discovered(
        &ds,
        Err(ProviderFailure::new(
            FailureKind::Unavailable,
            "connection refused",
        )),
        t(100),
    );
    assert_eq!(
        cond(&down.status, "Connected").reason,
        "ProviderUnavailable"
    );
    assert_ne!(
        cond(&down.status, "Connected").last_transition_time,
        connected_at
    );
    assert_eq!(down.children, Children::KeepExisting);
    // Accepted did not change status: its transition time is kept.
    assert_eq!(
        cond(&down.status, "Accepted").last_transition_time,
        cond(&first.status, "Accepted").last_transition_time
    );
    let ds = applied(&ds, &down);

    let still_down = reconcile_discovered(
        &ds,
        Err(ProviderFailure::new(
            FailureKind::Unavailable,
            "connection refused",
        )),
        t(200),
    );
    assert_eq!(
        cond(&still_down.status, "Connected").last_transition_time,
        cond(&down.status, "Connected").last_transition_time
    );

    let back = reconcile_discovered(&ds, Ok(sales_models()), t(300));
    assert!(back.status.is_ready());
    assert_eq!(
        cond(&back.status, "Connected")
            .last_transition_time
            .as_deref(),
        Some("2026-09-21T14:18:20Z")
    );
    assert_eq!(back.children, first.children);
}

#[test]
fn spec_change_updates_observed_generation_and_child() {
    let ds = databricks();
    let first = reconcile_discovered(&ds, Ok(sales_models()), t(0));
    let mut ds = applied(&ds, &first);
    ds.metadata.generation = Some(4);
    ds.spec.semantic_models.retain(|m| m.name == "customer_360");
    let second = reconcile_discovered(&ds, Ok(sales_models()), t(10));
    assert_eq!(second.status.observed_generation, Some(4));
    assert!(
        second
            .status
            .conditions
            .iter()
            .all(|c| c.observed_generation == Some(4))
    );
    // Ready stayed True, so its transition time is unchanged.
    assert_eq!(
        cond(&second.status, "Ready").last_transition_time,
        cond(&first.status, "Ready").last_transition_time
    );
    let args = &second.children.manifests()[0]["spec"]["deployment"]["args"];
    assert!(
        args.as_array()
            .is_some_and(|a| a.iter().any(|v| v == "--models=customer_360")),
        "{args}"
    );
    assert_ne!(second.children, first.children);
}

#[test]
fn differently_cased_selections_resolve() {
    use datasource_model::kubernetes::SemanticModelRef;
    for names in [
        ["revenue_metrics", "customer_360"],
        ["REVENUE_METRICS", "Customer_360"],
        ["Revenue_Metrics", "CUSTOMER_360"],
    ] {
        let mut ds = databricks();
        ds.spec.semantic_models = names.iter().map(|n| SemanticModelRef::new(*n)).collect();
        let out = reconcile_discovered(&ds, Ok(sales_models()), t(0));
        let models = cond(&out.status, "ModelsResolved");
        assert_eq!(
            models.status,
            ConditionStatus::True,
            "{names:?}: {models:?}"
        );
        assert!(matches!(out.children, Children::Apply(_)), "{names:?}");
    }
    // A name that is only part of a discovered name does not resolve.
    let mut ds = databricks();
    ds.spec.semantic_models = vec![SemanticModelRef::new("metrics")];
    let out = reconcile_discovered(&ds, Ok(sales_models()), t(0));
    let models = cond(&out.status, "ModelsResolved");
    assert_eq!(models.status, ConditionStatus::False);
    assert!(
        models.message.contains("not found: metrics"),
        "{}",
        models.message
    );
}
