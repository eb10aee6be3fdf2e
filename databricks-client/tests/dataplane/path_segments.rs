//! Identifiers that would change which endpoint a request reaches (`..`, `.`, `a/b`, control
//! characters, empty) are refused before anything is sent, for every API that puts an identifier
//! in the URL path; ordinary identifiers (spaces, unicode, `%2e%2e`) are percent-encoded.

use std::time::Duration;

use databricks_client::models::serving::ServingQuery;
use databricks_client::models::vector_search::VectorQuery;
use databricks_client::wait::PollOptions;
use databricks_client::{Error, Result, WorkspaceClient};
use futures::TryStreamExt;
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::client;

/// Segment values that must never reach the server.
const BAD: &[&str] = &[
    "", " ", ".", "..", "a/b", "../x", "/", "a\\b", "\\..", "a\0b", "\0", "a\nb", "a\rb", "\t",
    "\u{7f}",
];

/// Runs `call` with every bad value and asserts an invalid-argument error and zero requests.
async fn refused<F, Fut, T>(family: &str, call: F)
where
    F: Fn(WorkspaceClient, String) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
    T: std::fmt::Debug,
{
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let client = client(&server);
    for bad in BAD {
        let outcome = call(client.clone(), (*bad).to_owned()).await;
        match outcome {
            Err(Error::InvalidArgument(message)) => {
                assert!(
                    message.contains("nothing was sent"),
                    "{family} {bad:?}: {message}"
                )
            }
            other => panic!("{family} {bad:?}: expected InvalidArgument, got {other:?}"),
        }
    }
    let received = server.received_requests().await.unwrap_or_default();
    assert!(
        received.is_empty(),
        "{family}: {} request(s) sent: {:?}",
        received.len(),
        received
            .iter()
            .map(|r| r.url.path().to_owned())
            .collect::<Vec<_>>()
    );
}

fn poll() -> PollOptions {
    PollOptions::default().with_timeout(Duration::from_millis(50))
}

#[tokio::test]
async fn serving_refuses_rerouting_endpoint_names() {
    refused(
        "serving get",
        |c, v| async move { c.serving().get(&v).await },
    )
    .await;
    refused("serving delete", |c, v| async move {
        c.serving().delete(&v).await
    })
    .await;
    refused("serving query", |c, v| async move {
        c.serving()
            .query(&v, &ServingQuery::inputs(json!(["x"])))
            .await
    })
    .await;
    refused("serving wait", |c, v| async move {
        c.serving().wait_ready(&v, &poll()).await
    })
    .await;
}

#[tokio::test]
async fn genie_refuses_rerouting_ids_in_every_position() {
    refused("genie space", |c, v| async move {
        c.genie().get_space(&v).await
    })
    .await;
    refused("genie start", |c, v| async move {
        c.genie().start_conversation(&v, "hi").await
    })
    .await;
    refused("genie ask", |c, v| async move {
        c.genie().ask(&v, "hi", &poll()).await
    })
    .await;
    refused("genie conversation", |c, v| async move {
        c.genie().create_message("space", &v, "hi").await
    })
    .await;
    refused("genie message", |c, v| async move {
        c.genie().get_message("space", "conv", &v).await
    })
    .await;
    refused("genie attachment", |c, v| async move {
        c.genie().query_result("space", "conv", "msg", &v).await
    })
    .await;
    refused("genie execute", |c, v| async move {
        c.genie().execute_query("s", &v, "m", "a").await
    })
    .await;
}

#[tokio::test]
async fn catalog_refuses_rerouting_names() {
    refused("catalog", |c, v| async move {
        c.catalog().get_catalog(&v).await
    })
    .await;
    refused("catalog delete", |c, v| async move {
        c.catalog().delete_catalog(&v, true).await
    })
    .await;
    refused(
        "schema",
        |c, v| async move { c.catalog().get_schema(&v).await },
    )
    .await;
    refused(
        "table",
        |c, v| async move { c.catalog().get_table(&v).await },
    )
    .await;
    refused("table exists", |c, v| async move {
        c.catalog().table_exists(&v).await
    })
    .await;
    refused("function", |c, v| async move {
        c.catalog().get_function(&v).await
    })
    .await;
    refused(
        "volume",
        |c, v| async move { c.catalog().get_volume(&v).await },
    )
    .await;
    refused("metric view", |c, v| async move {
        c.catalog().metric_view(&v, None).await
    })
    .await;
}

#[tokio::test]
async fn warehouses_statements_and_vector_search_refuse_rerouting_ids() {
    refused(
        "warehouse",
        |c, v| async move { c.warehouses().get(&v).await },
    )
    .await;
    refused("warehouse start", |c, v| async move {
        c.warehouses().start(&v).await
    })
    .await;
    refused("warehouse stop", |c, v| async move {
        c.warehouses().stop(&v).await
    })
    .await;
    refused(
        "statement",
        |c, v| async move { c.statements().get(&v).await },
    )
    .await;
    refused("statement chunk", |c, v| async move {
        c.statements().get_chunk(&v, 1).await
    })
    .await;
    refused("statement cancel", |c, v| async move {
        c.statements().cancel(&v).await
    })
    .await;
    refused("vs endpoint", |c, v| async move {
        c.vector_search().get_endpoint(&v).await
    })
    .await;
    refused("vs index", |c, v| async move {
        c.vector_search().get_index(&v).await
    })
    .await;
    refused("vs query", |c, v| async move {
        c.vector_search()
            .query(&v, &VectorQuery::text("q", ["id"]))
            .await
    })
    .await;
    refused("vs delete", |c, v| async move {
        c.vector_search().delete_index(&v).await
    })
    .await;
}

#[tokio::test]
async fn files_refuse_dot_components_but_keep_slashes() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let c = client(&server);
    for bad in [
        "",
        "relative/file",
        "/Volumes/main/s/v/../../../etc/passwd",
        "/Volumes/main/s/v/..",
        "/Volumes/./main",
        "/Volumes//main",
        "/Volumes/main/a\\b",
        "/Volumes/main/a\0b",
        "/Volumes/main/a\nb",
    ] {
        let err = c.files().metadata(bad).await.unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{bad:?}: {err:?}");
        let err = c.files().delete(bad).await.unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{bad:?}: {err:?}");
        let err = c.files().create_directory(bad).await.unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{bad:?}: {err:?}");
        let listed: Result<Vec<_>> = c.files().list_directory(bad).try_collect().await;
        assert!(
            matches!(listed, Err(Error::InvalidArgument(_))),
            "{bad:?}: {listed:?}"
        );
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn ordinary_identifiers_are_encoded_into_one_segment() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"name": "x"})))
        .mount(&server)
        .await;
    let c = client(&server);
    for name in [
        "my endpoint",
        "%2e%2e",
        "é-日本",
        "a?b#c",
        "...",
        ".hidden",
        "a.b.c",
    ] {
        c.serving().get(name).await.expect(name);
    }
    c.files()
        .metadata("/Volumes/c/s/v/my file%2e%2e.csv")
        .await
        .unwrap();
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "/api/2.0/serving-endpoints/my%20endpoint",
            "/api/2.0/serving-endpoints/%252e%252e",
            "/api/2.0/serving-endpoints/%C3%A9-%E6%97%A5%E6%9C%AC",
            "/api/2.0/serving-endpoints/a%3Fb%23c",
            "/api/2.0/serving-endpoints/...",
            "/api/2.0/serving-endpoints/.hidden",
            "/api/2.0/serving-endpoints/a.b.c",
            "/api/2.0/fs/files/Volumes/c/s/v/my%20file%252e%252e.csv",
        ]
    );
}

#[tokio::test]
async fn hand_built_paths_with_dot_segments_are_refused() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let c = client(&server);
    for path in [
        "/api/2.0/serving-endpoints/../invocations",
        "/api/2.0/genie/spaces/./x",
        "/api/2.0/x/%2e%2e/y",
        "/api/2.0/x/.%2E/y",
        "/api/2.0/x/..",
    ] {
        let err = c.get(path).send().await.unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{path}: {err:?}");
        let err = c.post(path).send().await.unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{path}: {err:?}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}
