//! SQL warehouses: list paging, get, start/stop and `ensure_running`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use databricks_client::models::WarehouseState;
use futures::TryStreamExt;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::{client, fast_poll};

fn warehouse(id: &str, state: &str) -> serde_json::Value {
    json!({
        "id": id, "name": format!("wh {id}"), "state": state, "cluster_size": "2X-Small",
        "min_num_clusters": 1, "max_num_clusters": 1, "num_clusters": 0, "auto_stop_mins": 10,
        "enable_serverless_compute": true, "enable_photon": true, "warehouse_type": "PRO",
        "channel": {"name": "CHANNEL_NAME_CURRENT"}, "creator_name": "me@example.com",
        "health": {"status": "HEALTHY"},
        "odbc_params": {"hostname": "dbc.example", "path": format!("/sql/1.0/warehouses/{id}"), "port": 443, "protocol": "https"},
        "jdbc_url": "jdbc:databricks://dbc.example:443/default", "tags": {"custom_tags": []}
    })
}

#[tokio::test]
async fn list_follows_page_tokens_across_an_empty_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/warehouses"))
        .and(query_param("page_token", "p2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "warehouses": [], "next_page_token": "p3"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/warehouses"))
        .and(query_param("page_token", "p3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "warehouses": [warehouse("c", "RUNNING")]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/warehouses"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "warehouses": [warehouse("a", "STOPPED"), warehouse("b", "STARTING")],
            "next_page_token": "p2"
        })))
        .mount(&server)
        .await;
    let all: Vec<_> = client(&server)
        .warehouses()
        .list()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = all.iter().map(|w| w.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(all[0].state, Some(WarehouseState::Stopped));
    assert_eq!(all[2].odbc_params.as_ref().unwrap().port, Some(443));
    assert!(all[2].extra.contains_key("channel"));
}

struct Lifecycle {
    polls: Arc<AtomicUsize>,
    started: Arc<AtomicUsize>,
}

impl Respond for Lifecycle {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.polls.fetch_add(1, Ordering::SeqCst);
        let state = if self.started.load(Ordering::SeqCst) == 0 {
            "STOPPED"
        } else if n < 3 {
            "STARTING"
        } else {
            "RUNNING"
        };
        ResponseTemplate::new(200).set_body_json(warehouse("wh-1", state))
    }
}

#[tokio::test]
async fn ensure_running_starts_a_stopped_warehouse_and_waits() {
    let server = MockServer::start().await;
    let started = Arc::new(AtomicUsize::new(0));
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/warehouses/wh-1"))
        .respond_with(Lifecycle {
            polls: Arc::new(AtomicUsize::new(0)),
            started: Arc::clone(&started),
        })
        .mount(&server)
        .await;
    struct Start(Arc<AtomicUsize>);
    impl Respond for Start {
        fn respond(&self, _: &Request) -> ResponseTemplate {
            self.0.fetch_add(1, Ordering::SeqCst);
            ResponseTemplate::new(200).set_body_json(json!({}))
        }
    }
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/warehouses/wh-1/start"))
        .respond_with(Start(Arc::clone(&started)))
        .expect(1)
        .mount(&server)
        .await;
    let w = client(&server)
        .warehouses()
        .ensure_running("wh-1", &fast_poll())
        .await
        .unwrap();
    assert_eq!(w.state, Some(WarehouseState::Running));
}

#[tokio::test]
async fn ensure_running_fails_fast_on_a_deleted_warehouse() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/warehouses/gone"))
        .respond_with(ResponseTemplate::new(200).set_body_json(warehouse("gone", "DELETED")))
        .mount(&server)
        .await;
    let err = client(&server)
        .warehouses()
        .ensure_running("gone", &fast_poll())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("DELETED"), "{err}");
}

#[tokio::test]
async fn get_stop_and_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/warehouses/wh-1/stop"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/sql/warehouses/nope"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Warehouse nope does not exist."
        })))
        .mount(&server)
        .await;
    let c = client(&server);
    c.warehouses().stop("wh-1").await.unwrap();
    let err = c.warehouses().get("nope").await.unwrap_err();
    assert!(err.is_not_found());
}

#[tokio::test]
async fn create_and_delete() {
    use databricks_client::models::CreateWarehouse;
    use wiremock::matchers::body_json;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/sql/warehouses"))
        .and(body_json(json!({
            "name": "bi", "cluster_size": "2X-Small", "auto_stop_mins": 10,
            "enable_serverless_compute": true, "warehouse_type": "PRO"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "wh-new"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/2.0/sql/warehouses/wh-new"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let wh = client(&server).warehouses();
    let id = wh
        .create(
            &CreateWarehouse::new("bi", "2X-Small")
                .with_auto_stop_mins(10)
                .serverless(),
        )
        .await
        .unwrap();
    assert_eq!(id, "wh-new");
    wh.delete(&id).await.unwrap();
}
