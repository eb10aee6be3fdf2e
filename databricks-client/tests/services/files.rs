use bytes::Bytes;
use futures::TryStreamExt;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{client, ok_json};

const FILE: &str = "/Volumes/main/raw data/in/report #1.csv";
const FILE_URL: &str = "/api/2.0/fs/files/Volumes/main/raw%20data/in/report%20%231.csv";

#[tokio::test]
async fn download_streams_and_ranges_with_encoded_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(FILE_URL))
        .and(header("range", "bytes=2-4"))
        .respond_with(ResponseTemplate::new(206).set_body_bytes(&b"c,d"[..]))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(FILE_URL))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_bytes(&b"a,b\n1,2\n"[..])
                .insert_header("content-type", "application/octet-stream"),
        )
        .mount(&server)
        .await;
    let files = client(&server).files();
    let (meta, stream) = files.download(FILE).await.unwrap();
    assert_eq!(
        meta.content_type.as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(meta.content_length, Some(8));
    let chunks: Vec<Bytes> = stream.try_collect().await.unwrap();
    assert_eq!(chunks.concat(), b"a,b\n1,2\n");
    let (_, stream) = files.download_range(FILE, 2, 5).await.unwrap();
    let chunks: Vec<Bytes> = stream.try_collect().await.unwrap();
    assert_eq!(chunks.concat(), b"c,d");
}

#[tokio::test]
async fn download_missing_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error_code": "NOT_FOUND",
            "message": "The file being accessed is not found."
        })))
        .mount(&server)
        .await;
    let result = client(&server).files().download("/Volumes/a/b/c/x").await;
    assert!(matches!(result, Err(ref e) if e.is_not_found()));
}

#[tokio::test]
async fn upload_stream_and_bytes() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(FILE_URL))
        .and(query_param("overwrite", "false"))
        .and(header("content-type", "application/octet-stream"))
        .respond_with(ResponseTemplate::new(204))
        .expect(2)
        .mount(&server)
        .await;
    let files = client(&server).files();
    let stream = futures::stream::iter(vec![
        Ok::<_, std::io::Error>(Bytes::from_static(b"part1,")),
        Ok(Bytes::from_static(b"part2")),
    ]);
    files.upload(FILE, stream, false).await.unwrap();
    files.upload_bytes(FILE, "whole", false).await.unwrap();
    let received = server.received_requests().await.unwrap();
    assert_eq!(received[0].body, b"part1,part2");
    assert_eq!(received[1].body, b"whole");
}

#[tokio::test]
async fn metadata_from_head() {
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .and(path(FILE_URL))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-length", "1234")
                .insert_header("content-type", "text/csv")
                .insert_header("last-modified", "Wed, 21 Oct 2026 07:28:00 GMT"),
        )
        .mount(&server)
        .await;
    let meta = client(&server).files().metadata(FILE).await.unwrap();
    assert_eq!(meta.content_length, Some(1234));
    assert_eq!(meta.content_type.as_deref(), Some("text/csv"));
    assert!(meta.last_modified_time().is_some());
}

#[tokio::test]
async fn list_directory_pages_through_empty_pages() {
    let server = MockServer::start().await;
    let dir = "/api/2.0/fs/directories/Volumes/main/default/raw";
    Mock::given(method("GET"))
        .and(path(dir))
        .and(query_param_is_missing("page_token"))
        .and(query_param("page_size", "2"))
        .respond_with(ok_json(json!({
            "contents": [
                {"path": "/Volumes/main/default/raw/a.csv", "name": "a.csv", "is_directory": false, "file_size": 10, "last_modified": 1700000000000_i64},
                {"path": "/Volumes/main/default/raw/sub/", "name": "sub", "is_directory": true}
            ],
            "next_page_token": "t1"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(dir))
        .and(query_param("page_token", "t1"))
        .respond_with(ok_json(json!({"contents": [], "next_page_token": "t2"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(dir))
        .and(query_param("page_token", "t2"))
        .respond_with(ok_json(json!({"contents": [{"path": "/Volumes/main/default/raw/z.csv", "name": "z.csv", "is_directory": false, "file_size": 1}]})))
        .mount(&server)
        .await;
    let entries: Vec<_> = client(&server)
        .files()
        .list_directory_with("/Volumes/main/default/raw", Some(2))
        .try_collect()
        .await
        .unwrap();
    let names: Vec<_> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["a.csv", "sub", "z.csv"]);
    assert!(entries[1].is_directory);
}

#[tokio::test]
async fn directories_and_delete() {
    let server = MockServer::start().await;
    let dir = "/api/2.0/fs/directories/Volumes/main/default/raw/new";
    Mock::given(method("PUT"))
        .and(path(dir))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path(dir))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path(
            "/api/2.0/fs/directories/Volumes/main/default/raw/none",
        ))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(dir))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(FILE_URL))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let files = client(&server).files();
    files
        .create_directory("/Volumes/main/default/raw/new")
        .await
        .unwrap();
    assert!(
        files
            .directory_exists("/Volumes/main/default/raw/new")
            .await
            .unwrap()
    );
    assert!(
        !files
            .directory_exists("/Volumes/main/default/raw/none")
            .await
            .unwrap()
    );
    files
        .delete_directory("/Volumes/main/default/raw/new")
        .await
        .unwrap();
    files.delete(FILE).await.unwrap();
    let err = files.delete("relative/path").await.unwrap_err();
    assert!(err.to_string().contains("absolute"), "{err}");
}
