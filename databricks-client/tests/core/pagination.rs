//! Pagination styles over wiremock.

use databricks_client::WorkspaceClient;
use databricks_client::pagination::{
    OffsetPage, Page, collect_all, merge_array_pages, offset_pages, token_pages,
};
use futures::TryStreamExt;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::pat_client;

fn list_tables(
    client: WorkspaceClient,
) -> impl futures::Stream<Item = databricks_client::Result<Value>> {
    token_pages(move |page_token| {
        let client = client.clone();
        async move {
            let mut body: Value = client
                .get("/api/2.1/unity-catalog/tables")
                .query(&json!({"catalog_name": "main", "schema_name": "sales", "max_results": 0, "page_token": page_token}))
                .send_json()
                .await?;
            let items = body["tables"]
                .as_array_mut()
                .map(std::mem::take)
                .unwrap_or_default();
            Ok(Page::new(
                items,
                body["next_page_token"].as_str().map(str::to_owned),
            ))
        }
    })
}

#[tokio::test]
async fn an_empty_middle_page_is_not_the_end() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables"))
        .and(query_param_is_missing("page_token"))
        .and(query_param("max_results", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "tables": [{"name": "orders", "full_name": "main.sales.orders"}], "next_page_token": "p2"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables"))
        .and(query_param("page_token", "p2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"tables": [], "next_page_token": "p3"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables"))
        .and(query_param("page_token", "p3"))
        .and(query_param("catalog_name", "main"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "tables": [{"name": "customers", "full_name": "main.sales.customers"}], "next_page_token": ""
        })))
        .expect(1)
        .mount(&server)
        .await;
    let tables: Vec<Value> = list_tables(pat_client(&server))
        .try_collect()
        .await
        .unwrap();
    let names: Vec<_> = tables.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["orders", "customers"]);
    server.verify().await;
}

#[tokio::test]
async fn a_repeated_token_is_an_error_not_a_loop() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/unity-catalog/tables"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"tables": [], "next_page_token": "same"})),
        )
        .mount(&server)
        .await;
    let err = collect_all(list_tables(pat_client(&server)))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("endless loop"), "{err}");
}

#[tokio::test]
async fn has_more_pages_are_deduplicated() {
    let server = MockServer::start().await;
    // A job created while paging shifts the window: job 3 appears on both pages.
    Mock::given(method("GET"))
        .and(path("/api/2.1/jobs/list"))
        .and(query_param("offset", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "jobs": [{"job_id": 1}, {"job_id": 2}, {"job_id": 3}], "has_more": true
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.1/jobs/list"))
        .and(query_param("offset", "3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "jobs": [{"job_id": 3}, {"job_id": 4}], "has_more": false
        })))
        .mount(&server)
        .await;
    let client = pat_client(&server);
    let jobs = offset_pages(
        move |offset| {
            let client = client.clone();
            async move {
                let mut body: Value = client
                    .get("/api/2.1/jobs/list")
                    .query(&[("offset", offset), ("limit", 3)])
                    .send_json()
                    .await?;
                let items = body["jobs"]
                    .as_array_mut()
                    .map(std::mem::take)
                    .unwrap_or_default();
                Ok(OffsetPage::new(
                    items,
                    body["has_more"].as_bool().unwrap_or(false),
                ))
            }
        },
        |job: &Value| job["job_id"].as_u64(),
    );
    let ids: Vec<_> = collect_all(jobs)
        .await
        .unwrap()
        .iter()
        .map(|j| j["job_id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3, 4]);
}

#[tokio::test]
async fn jobs_22_nested_arrays_are_merged() {
    let server = MockServer::start().await;
    let tasks = |from: usize, to: usize| {
        (from..to)
            .map(|i| json!({"task_key": format!("t{i}")}))
            .collect::<Vec<_>>()
    };
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/get"))
        .and(query_param_is_missing("page_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "job_id": 7,
            "settings": {"name": "big", "tasks": tasks(0, 100), "job_clusters": [{"job_cluster_key": "a"}]},
            "has_more": true,
            "next_page_token": "tok-2"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/get"))
        .and(query_param("page_token", "tok-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "job_id": 7,
            "settings": {"name": "big", "tasks": tasks(100, 200), "job_clusters": [{"job_cluster_key": "b"}], "parameters": [{"name": "p", "default": "1"}]},
            "next_page_token": "tok-3"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/get"))
        .and(query_param("page_token", "tok-3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "job_id": 7, "settings": {"tasks": tasks(200, 230)}
        })))
        .mount(&server)
        .await;
    let client = pat_client(&server);
    let first: Value = client
        .get("/api/2.2/jobs/get")
        .query(&[("job_id", 7)])
        .send_json()
        .await
        .unwrap();
    let merged = merge_array_pages(
        first,
        &[
            "settings.tasks",
            "settings.job_clusters",
            "settings.parameters",
            "settings.environments",
        ],
        |token| {
            let client = client.clone();
            async move {
                client
                    .get("/api/2.2/jobs/get")
                    .query(&[("job_id", "7"), ("page_token", token.as_str())])
                    .send_json()
                    .await
            }
        },
    )
    .await
    .unwrap();
    let settings = &merged["settings"];
    assert_eq!(settings["tasks"].as_array().unwrap().len(), 230);
    assert_eq!(settings["tasks"][229]["task_key"], "t229");
    assert_eq!(settings["job_clusters"].as_array().unwrap().len(), 2);
    assert_eq!(settings["parameters"].as_array().unwrap().len(), 1);
    assert!(merged.get("next_page_token").is_none() && merged.get("has_more").is_none());
    assert_eq!(settings["name"], "big");
}
