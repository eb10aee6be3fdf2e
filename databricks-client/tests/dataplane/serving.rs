//! Model Serving: CRUD, wait until ready, invocations bodies, route-optimized error.

use databricks_client::Error;
use databricks_client::models::{
    ChatMessage, CreateServingEndpoint, EndpointCoreConfig, ServedEntity, ServingQuery,
};
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{client, fast_poll};

fn endpoint(ready: &str, update: &str) -> serde_json::Value {
    json!({
        "name": "churn", "id": "ep-1", "creator": "me@example.com",
        "creation_timestamp": 1_730_000_000_000_i64, "last_updated_timestamp": 1_730_000_000_000_i64,
        "state": {"ready": ready, "config_update": update},
        "config": {"served_entities": [{"name": "churn-3", "entity_name": "main.ml.churn", "entity_version": "3",
                    "workload_size": "Small", "scale_to_zero_enabled": true}],
                    "traffic_config": {"routes": [{"served_model_name": "churn-3", "traffic_percentage": 100}]}},
        "tags": [{"key": "team", "value": "ds"}], "permission_level": "CAN_MANAGE", "route_optimized": false
    })
}

#[tokio::test]
async fn create_wait_update_delete() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/serving-endpoints"))
        .and(body_json(json!({
            "name": "churn",
            "config": {"served_entities": [{"entity_name": "main.ml.churn", "entity_version": "3",
                        "workload_size": "Small", "scale_to_zero_enabled": true}]}
        })))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(endpoint("NOT_READY", "IN_PROGRESS")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/serving-endpoints/churn"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(endpoint("NOT_READY", "IN_PROGRESS")),
        )
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/serving-endpoints/churn"))
        .respond_with(ResponseTemplate::new(200).set_body_json(endpoint("READY", "NOT_UPDATING")))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/2.0/serving-endpoints/churn/config"))
        .and(body_json(
            json!({"served_entities": [{"entity_name": "main.ml.churn", "entity_version": "4"}]}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(endpoint("READY", "IN_PROGRESS")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/2.0/serving-endpoints/churn"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let serving = client(&server).serving();
    let entity = ServedEntity::new("main.ml.churn", "3")
        .with_workload_size("Small")
        .with_scale_to_zero(true);
    serving
        .create(&CreateServingEndpoint::new(
            "churn",
            EndpointCoreConfig::new(entity),
        ))
        .await
        .unwrap();
    let ready = serving.wait_ready("churn", &fast_poll()).await.unwrap();
    assert!(ready.is_ready());
    serving
        .update_config(
            "churn",
            &EndpointCoreConfig::new(ServedEntity::new("main.ml.churn", "4")),
        )
        .await
        .unwrap();
    serving.delete("churn").await.unwrap();
}

#[tokio::test]
async fn failed_update_stops_the_waiter() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/serving-endpoints/churn"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(endpoint("NOT_READY", "UPDATE_FAILED")),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .serving()
        .wait_ready("churn", &fast_poll())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::OperationFailed { message, .. } if message.contains("UPDATE_FAILED")),
        "{err:?}"
    );
}

#[tokio::test]
async fn invocations_have_no_api_prefix_and_keep_body_shapes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/serving-endpoints/churn/invocations"))
        .and(body_json(
            json!({"dataframe_records": [{"tenure": 3, "plan": "pro"}]}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("served-model-name", "churn-3")
                .set_body_json(json!({"predictions": [0.82]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/serving-endpoints/llm/invocations"))
        .and(body_json(json!({
            "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
            "max_tokens": 16
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1_730_000_000, "model": "llama",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/serving-endpoints/tensor/invocations"))
        .and(body_json(json!({"inputs": {"x": [[1.0, 2.0]]}})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"predictions": {"y": [3.0]}})),
        )
        .mount(&server)
        .await;
    let serving = client(&server).serving();
    let out = serving
        .query(
            "churn",
            &ServingQuery::dataframe_records(vec![json!({"tenure": 3, "plan": "pro"})]),
        )
        .await
        .unwrap();
    assert_eq!(out.predictions, Some(json!([0.82])));
    assert_eq!(out.served_model_name.as_deref(), Some("churn-3"));
    let chat = serving
        .query(
            "llm",
            &ServingQuery::chat(vec![
                ChatMessage::system("Be brief."),
                ChatMessage::user("Hi"),
            ])
            .with_max_tokens(16),
        )
        .await
        .unwrap();
    assert_eq!(chat.text(), Some("Hello!"));
    let tensor = serving
        .query("tensor", &ServingQuery::inputs(json!({"x": [[1.0, 2.0]]})))
        .await
        .unwrap();
    assert_eq!(tensor.predictions, Some(json!({"y": [3.0]})));
}

#[tokio::test]
async fn route_optimized_endpoints_get_a_clear_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/serving-endpoints/fast/invocations"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error_code": "BAD_REQUEST", "message": "This endpoint is route optimized."
        })))
        .mount(&server)
        .await;
    let mut ep = endpoint("READY", "NOT_UPDATING");
    ep["name"] = json!("fast");
    ep["route_optimized"] = json!(true);
    ep["endpoint_url"] =
        json!("https://1234.serving.cloud.databricks.com/ws/serving-endpoints/fast/invocations");
    Mock::given(method("GET"))
        .and(path("/api/2.0/serving-endpoints/fast"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ep))
        .mount(&server)
        .await;
    let err = client(&server)
        .serving()
        .query("fast", &ServingQuery::inputs(json!([1])))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(text.contains("route-optimized"), "{text}");
    assert!(text.contains("data-plane OAuth token"), "{text}");
    assert!(text.contains("1234.serving"), "{text}");
}

#[tokio::test]
async fn list_endpoints() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/serving-endpoints"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "endpoints": [endpoint("READY", "NOT_UPDATING"), {"name": "llm", "task": "llm/v1/chat",
                           "state": {"ready": "READY", "config_update": "NOT_UPDATING"}}]
        })))
        .mount(&server)
        .await;
    let all = client(&server).serving().list().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].task.as_deref(), Some("llm/v1/chat"));
    assert!(all.iter().all(|e| e.is_ready()));
    assert!(all[0].extra.contains_key("tags"));
}
