//! Generated tool-server manifests: snapshots per provider and kind, Secret handling, and
//! validation against the real kagent CRDs.

use datasource_model::kubernetes::{
    Children, GeneratedToolServer, ToolServerKind, agent_tool_entry, agent_tool_entry_for,
    reconcile_discovered, tool_server_manifests,
};
use serde_json::{Value, json};

use crate::fixtures::{PROPOSAL_EXAMPLE, kinds, parse, providers, with_kind};
use crate::kagent_schema::{assert_valid, assert_valid_object, crd_dir, errors, served_schema};

fn models(ds: &datasource_model::kubernetes::DataSourceResource) -> Vec<String> {
    ds.spec
        .semantic_models
        .iter()
        .map(|m| m.name.clone())
        .collect()
}

/// Every generated manifest, labelled `<provider>-<kind>`.
fn all_manifests() -> Vec<(String, Vec<Value>)> {
    let mut out = Vec::new();
    for (provider, ds) in providers() {
        for (kind_name, kind, transport) in kinds(provider) {
            let ds = with_kind(&ds, kind, transport);
            let manifests = tool_server_manifests(&ds, &models(&ds))
                .unwrap_or_else(|e| panic!("{provider}-{kind_name}: {e}"));
            out.push((format!("{provider}-{kind_name}"), manifests));
        }
    }
    out
}

#[test]
fn manifest_snapshots() {
    for (name, manifests) in all_manifests() {
        insta::assert_yaml_snapshot!(name, manifests);
    }
}

#[test]
fn proposal_example_children_snapshot() {
    let ds = parse(PROPOSAL_EXAMPLE);
    let manifests = tool_server_manifests(&ds, &models(&ds)).expect("valid");
    insta::assert_yaml_snapshot!("proposal-example-mcpserver", manifests);
}

#[test]
fn every_child_is_owned_and_labelled() {
    for (name, manifests) in all_manifests() {
        for m in &manifests {
            let meta = &m["metadata"];
            let owner = &meta["ownerReferences"][0];
            assert_eq!(owner["kind"], "DataSource", "{name}");
            assert_eq!(owner["apiVersion"], "kagent.dev/v1alpha1", "{name}");
            assert_eq!(owner["controller"], true, "{name}");
            assert_eq!(owner["blockOwnerDeletion"], true, "{name}");
            assert!(owner["uid"].is_string(), "{name}: owner uid");
            assert!(
                meta["labels"]["kagent.dev/datasource"].is_string(),
                "{name}"
            );
            assert!(meta["labels"]["kagent.dev/provider"].is_string(), "{name}");
        }
    }
}

/// No credential value ever appears in a manifest: only Secret names and keys.
#[test]
fn credentials_are_secret_references_only() {
    for (name, manifests) in all_manifests() {
        let text = serde_json::to_string(&manifests).expect("json");
        assert!(!text.contains("dapi"), "{name}: inline token");
        for m in &manifests {
            // The Deployment maps a single key with valueFrom.secretKeyRef, or the whole Secret.
            if m["kind"] == "Deployment" {
                let container = &m["spec"]["template"]["spec"]["containers"][0];
                let env = container["env"].as_array().cloned().unwrap_or_default();
                for var in env {
                    let n = var["name"].as_str().unwrap_or_default();
                    if n.ends_with("_TOKEN") {
                        assert!(var["value"].is_null(), "{name}: {n} inline");
                        assert!(var["valueFrom"]["secretKeyRef"]["name"].is_string());
                    }
                }
            }
        }
    }
    let (_, databricks) = providers().remove(0);
    let remote = with_kind(&databricks, ToolServerKind::RemoteMcpServer, None);
    let manifests = tool_server_manifests(&remote, &[]).expect("valid");
    let env = &manifests[0]["spec"]["template"]["spec"]["containers"][0]["env"];
    assert!(
        env.as_array()
            .is_some_and(|e| e.iter().any(|v| v["name"] == "DATABRICKS_TOKEN"
                && v["valueFrom"]["secretKeyRef"]
                    == json!({"name": "databricks-credentials", "key": "DATABRICKS_TOKEN"}))),
        "{env}"
    );
}

/// The Databricks command line uses the example server's flags.
#[test]
fn databricks_command_line_matches_server_flags() {
    let (_, ds) = providers().remove(0);
    let manifests = tool_server_manifests(&ds, &models(&ds)).expect("valid");
    let deployment = &manifests[0]["spec"]["deployment"];
    assert_eq!(deployment["cmd"], "/usr/local/bin/databricks-mcp-server");
    assert_eq!(
        deployment["args"],
        json!([
            "--workspace-url=https://mycompany.cloud.databricks.com",
            "--toolsets=datasource",
            "--catalog=main",
            "--schema=sales",
            "--models=revenue_metrics,customer_360",
            "--warehouse-id=abc123def456",
            "--genie-space=01ef-genie",
            "--transport=stdio",
        ])
    );
    assert_eq!(
        deployment["secretRefs"],
        json!([{"name": "databricks-credentials"}])
    );
}

#[test]
fn generated_manifests_validate_against_kagent_crds() {
    let Some(dir) = crd_dir("generated_manifests_validate_against_kagent_crds") else {
        return;
    };
    let mut checked = 0;
    for (_, manifests) in all_manifests() {
        for m in &manifests {
            assert_valid_object(&dir, m);
            checked += 1;
        }
    }
    let ds = parse(PROPOSAL_EXAMPLE);
    for m in tool_server_manifests(&ds, &models(&ds)).expect("valid") {
        assert_valid_object(&dir, &m);
    }
    assert!(checked >= 14, "only {checked} manifests checked");
}

/// The Agent `tools` entry, inside a full Agent v1alpha2, validates against the Agent CRD.
#[test]
fn agent_tool_entry_validates_against_agent_crd() {
    let mut entries = Vec::new();
    for (provider, ds) in providers() {
        for (_, kind, transport) in kinds(provider) {
            let ds = with_kind(&ds, kind, transport);
            let output = reconcile_discovered(
                &ds,
                Ok(ds
                    .spec
                    .semantic_models
                    .iter()
                    .map(|m| datasource_model::kubernetes::AvailableModel::new(&m.name))
                    .collect()),
                std::time::SystemTime::UNIX_EPOCH,
            );
            assert!(matches!(output.children, Children::Apply(_)));
            match agent_tool_entry_for(&ds) {
                Some(entry) => {
                    let generated = output.status.generated_tool_server.expect("generated");
                    assert_eq!(entry["mcpServer"]["name"], json!(generated.name));
                    assert_eq!(entry["mcpServer"]["kind"], json!(generated.kind));
                    entries.push(entry);
                }
                None => assert_eq!(kind, ToolServerKind::ToolServer),
            }
        }
    }
    let local = providers().remove(3).1;
    let entry = agent_tool_entry_for(&local).expect("entry");
    insta::assert_yaml_snapshot!("agent-tool-entry-local", entry);
    assert_eq!(
        entry["mcpServer"]["requireApproval"],
        json!(["execute_sql"])
    );

    let mut legacy = GeneratedToolServer::default();
    legacy.kind = Some("ToolServer".into());
    legacy.name = "x".into();
    assert!(agent_tool_entry(&legacy, &[]).is_none());

    let Some(dir) = crd_dir("agent_tool_entry_validates_against_agent_crd") else {
        return;
    };
    let schema = served_schema(&dir, "Agent", "v1alpha2");
    let agent = json!({
        "apiVersion": "kagent.dev/v1alpha2",
        "kind": "Agent",
        "metadata": {"name": "sales-analyst", "namespace": "analytics"},
        "spec": {
            "type": "Declarative",
            "description": "Sales data analyst agent",
            "declarative": {
                "modelConfig": "default-model-config",
                "systemMessage": "You are a sales data analyst.",
                "tools": entries,
            },
        },
    });
    assert_valid(&schema, &agent, "Agent with DataSource tools");
}

/// The check is not vacuous: a pruned (unknown) field, a wrong type and a bad enum value in a
/// generated MCPServer and RemoteMCPServer are all reported.
#[test]
fn kagent_validation_catches_mistakes() {
    let Some(dir) = crd_dir("kagent_validation_catches_mistakes") else {
        return;
    };
    let (_, ds) = providers().remove(0);
    let mcp = tool_server_manifests(&ds, &[]).expect("valid").remove(0);
    let schema = served_schema(&dir, "MCPServer", "v1alpha1");
    assert!(errors(&schema, &mcp).is_empty());
    let mut unknown = mcp.clone();
    unknown["spec"]["deployment"]["secretEnv"] = json!({"DATABRICKS_TOKEN": "x"});
    assert!(
        !errors(&schema, &unknown).is_empty(),
        "unknown field accepted"
    );
    let mut wrong_type = mcp.clone();
    wrong_type["spec"]["deployment"]["env"] = json!([{"name": "A", "value": "b"}]);
    assert!(
        !errors(&schema, &wrong_type).is_empty(),
        "env list accepted"
    );
    let mut bad_enum = mcp;
    bad_enum["spec"]["transportType"] = json!("sse");
    assert!(
        !errors(&schema, &bad_enum).is_empty(),
        "bad transport accepted"
    );

    let remote = with_kind(&ds, ToolServerKind::RemoteMcpServer, None);
    let rmcp = tool_server_manifests(&remote, &[])
        .expect("valid")
        .remove(2);
    let schema = served_schema(&dir, "RemoteMCPServer", "v1alpha2");
    assert!(errors(&schema, &rmcp).is_empty());
    let mut bad = rmcp;
    bad["spec"]["protocol"] = json!("HTTP");
    assert!(!errors(&schema, &bad).is_empty(), "bad protocol accepted");
}

/// The generated Snowflake ConfigMap is accepted by the real config loader, with the token read
/// from the variable the Deployment gets from the Secret.
#[test]
fn snowflake_config_map_parses_with_the_real_loader() {
    for (name, manifests) in all_manifests() {
        if !name.starts_with("snowflake-") {
            continue;
        }
        let cm = manifests
            .iter()
            .find(|m| m["kind"] == "ConfigMap")
            .unwrap_or_else(|| panic!("{name}: no ConfigMap"));
        let yaml = cm["data"]["datasource.yaml"]
            .as_str()
            .expect("datasource.yaml");
        let config = datasource_model::DataSourceConfig::from_yaml(yaml)
            .unwrap_or_else(|e| panic!("{name}: the loader rejects the ConfigMap: {e}\n{yaml}"));
        assert_eq!(config.provider, datasource_model::Provider::Snowflake);
        let sf = config.snowflake.expect("snowflake block");
        assert_eq!(
            sf.base_url().unwrap(),
            "https://myorg.snowflakecomputing.com",
            "{name}"
        );
        assert_eq!(sf.account_identifier().unwrap(), "myorg");
        assert_eq!(sf.database, "SALES");
        assert!(
            matches!(&sf.auth, datasource_model::SnowflakeAuth::Pat { token_env: Some(e), .. } if e == "SNOWFLAKE_TOKEN"),
            "{name}: {:?}",
            sf.auth
        );
        // The server binary is pointed at this file.
        let args = manifests
            .iter()
            .find_map(|m| m["spec"]["deployment"]["args"].as_array().cloned());
        if let Some(args) = args {
            assert!(
                args.iter().any(|a| {
                    a.as_str().is_some_and(|a| {
                        a.starts_with("--config=") && a.ends_with("/datasource.yaml")
                    })
                }),
                "{name}: {args:?}"
            );
        }
    }
}
