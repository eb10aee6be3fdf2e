use std::time::Duration;

use futures::TryStreamExt;
use serde_json::json;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use databricks_client::models::clusters::{ClusterDetails, ClusterState, ListClustersRequest};
use databricks_client::wait::{Observation, Observer, Outcome};

use crate::{Sequence, bodies, client, fast_poll, ok_json};

fn cluster(state: &str) -> serde_json::Value {
    json!({
        "cluster_id": "0101-123456-abcdef",
        "cluster_name": "shared",
        "state": state,
        "state_message": "",
        "spark_version": "15.4.x-scala2.12",
        "node_type_id": "i3.xlarge",
        "num_workers": 2,
        "cluster_source": "UI",
        "spark_context_id": 4_020_997_813_441_462_000_i64,
        "default_tags": {"Vendor": "Databricks"},
        "aws_attributes": {"availability": "SPOT_WITH_FALLBACK"}
    })
}

#[tokio::test]
async fn list_sends_filters_and_pages() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/clusters/list"))
        .and(query_param("filter_by.cluster_sources", "UI"))
        .and(query_param("filter_by.is_pinned", "true"))
        .and(query_param("page_size", "1"))
        .and(query_param_is_missing("page_token"))
        .respond_with(ok_json(
            json!({"clusters": [cluster("RUNNING")], "next_page_token": "n1"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/clusters/list"))
        .and(query_param("page_token", "n1"))
        .respond_with(ok_json(
            json!({"clusters": [cluster("TERMINATED")], "prev_page_token": "p"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let clusters: Vec<_> = client(&server)
        .clusters()
        .list(
            ListClustersRequest::new()
                .with_state(ClusterState::Running)
                .with_state(ClusterState::Pending)
                .with_source("UI")
                .with_pinned(true)
                .with_page_size(1),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(clusters.len(), 2);
    assert_eq!(clusters[1].state, Some(ClusterState::Terminated));
    assert!(clusters[0].extra.contains_key("aws_attributes"));

    // Repeated filter_by.cluster_states parameters.
    let requests = server.received_requests().await.unwrap();
    let states: Vec<String> = requests[0]
        .url
        .query_pairs()
        .filter(|(k, _)| k == "filter_by.cluster_states")
        .map(|(_, v)| v.into_owned())
        .collect();
    assert_eq!(states, ["RUNNING", "PENDING"]);
}

#[tokio::test]
async fn get_and_lifecycle_calls() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/clusters/get"))
        .and(query_param("cluster_id", "0101-123456-abcdef"))
        .respond_with(ok_json(cluster("RUNNING")))
        .mount(&server)
        .await;
    for op in ["start", "restart", "delete"] {
        Mock::given(method("POST"))
            .and(path(format!("/api/2.1/clusters/{op}")))
            .respond_with(ok_json(json!({})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let clusters = client(&server).clusters();
    let c = clusters.get("0101-123456-abcdef").await.unwrap();
    assert_eq!(c.cluster_name.as_deref(), Some("shared"));
    assert_eq!(c.num_workers, Some(2));
    clusters.start("0101-123456-abcdef").await.unwrap();
    clusters.restart("0101-123456-abcdef").await.unwrap();
    clusters.terminate("0101-123456-abcdef").await.unwrap();
    assert_eq!(
        bodies(&server, "POST", "/api/2.1/clusters/delete").await,
        vec![json!({"cluster_id": "0101-123456-abcdef"})]
    );
}

#[tokio::test]
async fn get_unknown_cluster_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/clusters/get"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error_code": "INVALID_PARAMETER_VALUE",
            "message": "Cluster 0000-000000-nope does not exist"
        })))
        .mount(&server)
        .await;
    let err = client(&server)
        .clusters()
        .get("0000-000000-nope")
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn node_types_and_spark_versions() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/clusters/list-node-types"))
        .respond_with(ok_json(json!({"node_types": [
            {"node_type_id": "i3.xlarge", "memory_mb": 31232, "num_cores": 4.0, "description": "i3.xlarge", "instance_type_id": "i3.xlarge", "category": "Storage Optimized", "node_info": {}}
        ]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/clusters/spark-versions"))
        .respond_with(ok_json(json!({"versions": [
            {"key": "15.4.x-scala2.12", "name": "15.4 LTS (includes Apache Spark 3.5.0, Scala 2.12)"}
        ]})))
        .mount(&server)
        .await;
    let clusters = client(&server).clusters();
    let types = clusters.list_node_types().await.unwrap();
    assert_eq!(types[0].memory_mb, Some(31232));
    let versions = clusters.spark_versions().await.unwrap();
    assert_eq!(versions[0].key, "15.4.x-scala2.12");
}

#[tokio::test]
async fn ensure_running_starts_and_tolerates_terminated_race() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/clusters/get"))
        .respond_with(Sequence::new(vec![
            ok_json(cluster("TERMINATED")),
            // Right after start a read can still show TERMINATED.
            ok_json(cluster("TERMINATED")),
            ok_json(cluster("PENDING")),
            ok_json(cluster("RUNNING")),
        ]))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.1/clusters/start"))
        .respond_with(ok_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server)
        .clusters()
        .ensure_running_with("0101-123456-abcdef", &fast_poll(), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(c.state, Some(ClusterState::Running));
    assert_eq!(
        bodies(&server, "GET", "/api/2.1/clusters/get").await.len(),
        4
    );
}

#[tokio::test]
async fn ensure_running_rereads_on_invalid_state() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/clusters/get"))
        .respond_with(Sequence::new(vec![
            ok_json(cluster("TERMINATED")),
            ok_json(cluster("PENDING")),
            ok_json(cluster("RUNNING")),
        ]))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.1/clusters/start"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error_code": "INVALID_STATE",
            "message": "Cluster 0101-123456-abcdef is in unexpected state Pending."
        })))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server)
        .clusters()
        .ensure_running("0101-123456-abcdef", &fast_poll())
        .await
        .unwrap();
    assert_eq!(c.state, Some(ClusterState::Running));
}

#[tokio::test]
async fn ensure_running_waits_through_terminating() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/clusters/get"))
        .respond_with(Sequence::new(vec![
            ok_json(cluster("TERMINATING")),
            ok_json(cluster("TERMINATED")),
            ok_json(cluster("PENDING")),
            ok_json(cluster("RUNNING")),
        ]))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.1/clusters/start"))
        .respond_with(ok_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .clusters()
        .ensure_running("0101-123456-abcdef", &fast_poll())
        .await
        .unwrap();
}

#[tokio::test]
async fn ensure_running_fails_on_error_and_after_grace() {
    let server = MockServer::start().await;
    let mut errored = cluster("ERROR");
    errored["state_message"] = json!("Instances unreachable");
    Mock::given(method("GET"))
        .and(path("/api/2.1/clusters/get"))
        .respond_with(ok_json(errored))
        .mount(&server)
        .await;
    let err = client(&server)
        .clusters()
        .ensure_running("0101-123456-abcdef", &fast_poll())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Instances unreachable"), "{err}");

    // Stays TERMINATED after start: fails once the grace period is over.
    let server = MockServer::start().await;
    let mut terminated = cluster("TERMINATED");
    terminated["termination_reason"] =
        json!({"code": "CLOUD_PROVIDER_LAUNCH_FAILURE", "type": "CLOUD_FAILURE", "parameters": {}});
    Mock::given(method("GET"))
        .and(path("/api/2.1/clusters/get"))
        .respond_with(ok_json(terminated))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.1/clusters/start"))
        .respond_with(ok_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .clusters()
        .ensure_running_with(
            "0101-123456-abcdef",
            &fast_poll(),
            Duration::from_millis(50),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("CLOUD_PROVIDER_LAUNCH_FAILURE"),
        "{err}"
    );
}

#[tokio::test]
async fn ensure_running_fails_when_a_start_under_way_ends_terminated() {
    let server = MockServer::start().await;
    let mut terminated = cluster("TERMINATED");
    terminated["termination_reason"] =
        json!({"code": "CLOUD_PROVIDER_LAUNCH_FAILURE", "type": "CLOUD_FAILURE", "parameters": {}});
    Mock::given(method("GET"))
        .and(path("/api/2.1/clusters/get"))
        .respond_with(Sequence::new(vec![
            ok_json(cluster("PENDING")),
            ok_json(terminated),
        ]))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.1/clusters/start"))
        .respond_with(ok_json(json!({})))
        .expect(0)
        .mount(&server)
        .await;
    let err = client(&server)
        .clusters()
        .ensure_running("0101-123456-abcdef", &fast_poll())
        .await
        .unwrap_err();
    assert!(
        matches!(err, databricks_client::Error::OperationFailed { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("CLOUD_PROVIDER_LAUNCH_FAILURE"),
        "{err}"
    );
}

#[tokio::test]
async fn ensure_running_times_out_with_last_state() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/clusters/get"))
        .respond_with(ok_json(cluster("PENDING")))
        .mount(&server)
        .await;
    let opts = fast_poll().with_timeout(Duration::from_millis(100));
    let err = client(&server)
        .clusters()
        .ensure_running("0101-123456-abcdef", &opts)
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("last state: PENDING"), "{message}");
}

/// Collects the cluster states an observer was shown.
#[derive(Default)]
struct States(Vec<(String, Outcome)>);

impl Observer<ClusterDetails> for States {
    async fn observe(&mut self, o: Observation<'_, ClusterDetails>) {
        let state = o.state.state.as_ref().map_or("-", ClusterState::as_str);
        self.0.push((state.to_owned(), o.outcome));
    }
}

#[tokio::test]
async fn ensure_running_observed_shows_every_read_to_the_observer() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/clusters/get"))
        .and(query_param("cluster_id", "0101-123456-abcdef"))
        .respond_with(Sequence::new(vec![
            ok_json(cluster("TERMINATED")),
            ok_json(cluster("PENDING")),
            ok_json(cluster("RUNNING")),
        ]))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.1/clusters/start"))
        .respond_with(ok_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let mut seen = States::default();
    let c = client(&server)
        .clusters()
        .ensure_running_observed(
            "0101-123456-abcdef",
            &fast_poll(),
            Duration::from_secs(5),
            &mut seen,
        )
        .await
        .unwrap();
    assert_eq!(c.state, Some(ClusterState::Running));
    let seen: Vec<_> = seen.0.iter().map(|(s, o)| (s.as_str(), *o)).collect();
    assert_eq!(
        seen,
        [
            ("TERMINATED", Outcome::Pending),
            ("PENDING", Outcome::Pending),
            ("RUNNING", Outcome::Ready),
        ]
    );
}

#[tokio::test]
async fn ensure_running_observed_times_out_with_the_last_state() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/clusters/get"))
        .respond_with(ok_json(cluster("PENDING")))
        .mount(&server)
        .await;
    let mut seen = States::default();
    let err = client(&server)
        .clusters()
        .ensure_running_observed(
            "0101-123456-abcdef",
            &fast_poll().with_timeout(Duration::ZERO),
            Duration::from_secs(5),
            &mut seen,
        )
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.to_string().contains("last state: PENDING"), "{err}");
    assert_eq!(seen.0, [("PENDING".to_owned(), Outcome::Pending)]);
}

#[test]
fn cluster_state_predicates() {
    use ClusterState as S;
    let all = [
        S::Pending,
        S::Running,
        S::Restarting,
        S::Resizing,
        S::Terminating,
        S::Terminated,
        S::Error,
        S::Unknown,
        "HIBERNATING".parse::<S>().unwrap(),
    ];
    let pick =
        |f: fn(&S) -> bool| -> Vec<&str> { all.iter().filter(|s| f(s)).map(S::as_str).collect() };
    assert_eq!(pick(S::is_running), ["RUNNING"]);
    assert_eq!(pick(S::is_starting), ["PENDING", "RESTARTING", "RESIZING"]);
    assert_eq!(pick(S::is_stopping), ["TERMINATING"]);
    assert_eq!(pick(S::is_stopped), ["TERMINATED"]);
    assert_eq!(pick(S::is_failed), ["ERROR", "UNKNOWN", "HIBERNATING"]);
    assert_eq!(
        pick(S::is_terminal),
        ["TERMINATED", "ERROR", "UNKNOWN", "HIBERNATING"]
    );
    // Every state is exactly one of running, starting, stopping, stopped or failed.
    for s in &all {
        let n = [
            s.is_running(),
            s.is_starting(),
            s.is_stopping(),
            s.is_stopped(),
            s.is_failed(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        assert_eq!(n, 1, "{s:?}");
    }
}
