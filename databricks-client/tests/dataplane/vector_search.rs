//! Vector Search: endpoints, indexes (delta sync and direct access), query, upsert/delete.

use databricks_client::models::{
    CreateVectorIndex, CreateVectorSearchEndpoint, DeltaSyncIndexSpec, DirectAccessIndexSpec,
    EmbeddingSourceColumn, EmbeddingVectorColumn, VectorQuery, VectorSearchEndpointState,
};
use futures::TryStreamExt;
use serde_json::json;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{client, fast_poll};

#[tokio::test]
async fn endpoints_create_wait_and_list() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/vector-search/endpoints"))
        .and(body_json(json!({"name": "vs-1", "endpoint_type": "STANDARD"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "vs-1", "endpoint_type": "STANDARD", "endpoint_status": {"state": "PROVISIONING"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/vector-search/endpoints/vs-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "vs-1", "endpoint_type": "STANDARD", "endpoint_status": {"state": "PROVISIONING"}
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/vector-search/endpoints/vs-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "vs-1", "id": "e-1", "endpoint_type": "STANDARD", "num_indexes": 2,
            "endpoint_status": {"state": "ONLINE", "message": "Endpoint is online"},
            "creator": "me@example.com", "creation_timestamp": 1_730_000_000_000_i64
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/vector-search/endpoints"))
        .and(query_param("page_token", "n2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "endpoints": [{"name": "vs-2", "endpoint_status": {"state": "OFFLINE"}}]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/vector-search/endpoints"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "endpoints": [{"name": "vs-1", "endpoint_status": {"state": "ONLINE"}}], "next_page_token": "n2"
        })))
        .mount(&server)
        .await;
    let vs = client(&server).vector_search();
    vs.create_endpoint(&CreateVectorSearchEndpoint::standard("vs-1"))
        .await
        .unwrap();
    let online = vs.wait_endpoint_online("vs-1", &fast_poll()).await.unwrap();
    assert_eq!(online.state(), Some(&VectorSearchEndpointState::Online));
    assert_eq!(online.num_indexes, Some(2));
    let all: Vec<_> = vs.list_endpoints().try_collect().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].state(), Some(&VectorSearchEndpointState::Offline));
}

#[tokio::test]
async fn indexes_create_list_get() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/vector-search/indexes"))
        .and(body_json(json!({
            "name": "main.docs.chunks_index", "endpoint_name": "vs-1", "primary_key": "id",
            "index_type": "DELTA_SYNC",
            "delta_sync_index_spec": {
                "source_table": "main.docs.chunks", "pipeline_type": "TRIGGERED",
                "embedding_source_columns": [{"name": "text", "embedding_model_endpoint_name": "databricks-gte-large-en"}]
            }
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "main.docs.chunks_index", "endpoint_name": "vs-1", "index_type": "DELTA_SYNC", "primary_key": "id"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/vector-search/indexes"))
        .and(body_json(json!({
            "name": "main.docs.direct", "endpoint_name": "vs-1", "primary_key": "id",
            "index_type": "DIRECT_ACCESS",
            "direct_access_index_spec": {
                "embedding_vector_columns": [{"name": "embedding", "embedding_dimension": 3}],
                "schema_json": "{\"id\": \"int\", \"text\": \"string\", \"embedding\": \"array<float>\"}"
            }
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "main.docs.direct", "endpoint_name": "vs-1", "index_type": "DIRECT_ACCESS", "primary_key": "id"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/vector-search/indexes"))
        .and(query_param("endpoint_name", "vs-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "vector_indexes": [
                {"name": "main.docs.chunks_index", "endpoint_name": "vs-1", "index_type": "DELTA_SYNC", "primary_key": "id", "creator": "me"},
                {"name": "main.docs.direct", "endpoint_name": "vs-1", "index_type": "DIRECT_ACCESS", "primary_key": "id", "creator": "me"}
            ]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/vector-search/indexes/main.docs.chunks_index"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "main.docs.chunks_index", "endpoint_name": "vs-1", "index_type": "DELTA_SYNC", "primary_key": "id",
            "status": {"ready": true, "indexed_row_count": 1200, "message": "Index is ready", "index_url": "x"},
            "delta_sync_index_spec": {"source_table": "main.docs.chunks", "pipeline_type": "TRIGGERED", "pipeline_id": "p-1"}
        })))
        .mount(&server)
        .await;
    let vs = client(&server).vector_search();
    let spec = DeltaSyncIndexSpec::new("main.docs.chunks").with_embedding_source_column(
        EmbeddingSourceColumn::new("text", "databricks-gte-large-en"),
    );
    vs.create_index(&CreateVectorIndex::delta_sync(
        "main.docs.chunks_index",
        "vs-1",
        "id",
        spec,
    ))
    .await
    .unwrap();
    vs.create_index(&CreateVectorIndex::direct_access(
        "main.docs.direct",
        "vs-1",
        "id",
        DirectAccessIndexSpec::new(
            EmbeddingVectorColumn::new("embedding", 3),
            r#"{"id": "int", "text": "string", "embedding": "array<float>"}"#,
        ),
    ))
    .await
    .unwrap();
    let list: Vec<_> = vs.list_indexes("vs-1").try_collect().await.unwrap();
    assert_eq!(list.len(), 2);
    let idx = vs.get_index("main.docs.chunks_index").await.unwrap();
    let status = idx.status.unwrap();
    assert_eq!(status.ready, Some(true));
    assert_eq!(status.indexed_row_count, Some(1200));
    assert!(
        idx.delta_sync_index_spec
            .unwrap()
            .extra
            .contains_key("pipeline_id")
    );
}

#[tokio::test]
async fn query_upsert_delete() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/vector-search/indexes/main.docs.chunks_index/query"))
        .and(body_json(json!({
            "columns": ["id", "text"], "query_text": "rotate a token", "num_results": 2,
            "filters_json": "{\"lang\": \"en\"}"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "manifest": {"column_count": 3, "columns": [{"name": "id"}, {"name": "text"}, {"name": "score"}]},
            "result": {"row_count": 2, "data_array": [[1, "Use the token API", 0.91], [7, "Rotate secrets", 0.88]]},
            "next_page_token": "pg2"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/api/2.0/vector-search/indexes/main.docs.chunks_index/query",
        ))
        .and(body_json(
            json!({"columns": ["id"], "query_vector": [0.5, 0.25], "num_results": 1}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "manifest": {"column_count": 2, "columns": [{"name": "id"}, {"name": "score"}]},
            "result": {"row_count": 1, "data_array": [[3, 0.99]]}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/vector-search/indexes/main.docs.chunks_index/query-next-page"))
        .and(body_json(json!({"endpoint_name": "vs-1", "page_token": "pg2"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "manifest": {"column_count": 3, "columns": [{"name": "id"}, {"name": "text"}, {"name": "score"}]},
            "result": {"row_count": 0, "data_array": []}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/api/2.0/vector-search/indexes/main.docs.direct/upsert-data",
        ))
        .and(body_json(
            json!({"inputs_json": "[{\"embedding\":[0.1,0.2,0.3],\"id\":1,\"text\":\"hi\"}]"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "SUCCESS", "result": {"success_row_count": 1}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/vector-search/indexes/main.docs.direct/delete-data"))
        .and(body_json(json!({"primary_keys": ["1", "2"]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "PARTIAL_SUCCESS", "result": {"success_row_count": 1, "failed_primary_keys": ["2"]}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let vs = client(&server).vector_search();
    let hits = vs
        .query(
            "main.docs.chunks_index",
            &VectorQuery::text("rotate a token", ["id", "text"])
                .with_num_results(2)
                .with_filters_json(r#"{"lang": "en"}"#),
        )
        .await
        .unwrap();
    let rows = hits.rows();
    assert_eq!(rows[0]["text"], "Use the token API");
    assert_eq!(rows[1]["score"], 0.88);
    let next = vs
        .query_next_page(
            "main.docs.chunks_index",
            "vs-1",
            hits.next_page_token.as_deref().unwrap(),
        )
        .await
        .unwrap();
    assert!(next.rows().is_empty());
    let by_vector = vs
        .query(
            "main.docs.chunks_index",
            &VectorQuery::vector(vec![0.5, 0.25], ["id"]).with_num_results(1),
        )
        .await
        .unwrap();
    assert_eq!(by_vector.rows()[0]["id"], 3);
    let up = vs
        .upsert(
            "main.docs.direct",
            &[json!({"id": 1, "text": "hi", "embedding": [0.1, 0.2, 0.3]})],
        )
        .await
        .unwrap();
    assert_eq!(up.result.unwrap().success_row_count, Some(1));
    let del = vs
        .delete_rows("main.docs.direct", &["1".to_owned(), "2".to_owned()])
        .await
        .unwrap();
    assert_eq!(del.status.as_deref(), Some("PARTIAL_SUCCESS"));
    assert_eq!(del.result.unwrap().failed_primary_keys, [json!("2")]);

    // Bad input is refused before sending.
    let err = vs
        .query(
            "main.docs.chunks_index",
            &VectorQuery::text("x", ["id"]).with_filters_json("{nope"),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("filters_json"), "{err}");
}
