use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use futures::TryStreamExt;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{bodies, client, ok_json};

#[tokio::test]
async fn list_and_get_status() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/dbfs/list"))
        .and(query_param("path", "/tmp"))
        .respond_with(ok_json(json!({"files": [
            {"path": "/tmp/a.txt", "is_dir": false, "file_size": 5, "modification_time": 1700000000000_i64},
            {"path": "/tmp/d", "is_dir": true, "file_size": 0, "modification_time": 1700000000000_i64}
        ]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/dbfs/get-status"))
        .and(query_param("path", "/tmp/missing"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error_code": "RESOURCE_DOES_NOT_EXIST",
            "message": "No file or directory exists on path /tmp/missing."
        })))
        .mount(&server)
        .await;
    let dbfs = client(&server).dbfs();
    let files = dbfs.list("/tmp").await.unwrap();
    assert_eq!(files.len(), 2);
    assert!(files[1].is_dir);
    assert!(
        dbfs.get_status("/tmp/missing")
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn read_streams_ranged_chunks_until_eof() {
    let server = MockServer::start().await;
    let reads = [("0", "hello "), ("6", "world"), ("11", "")];
    for (offset, text) in reads {
        Mock::given(method("GET"))
            .and(path("/api/2.0/dbfs/read"))
            .and(query_param("path", "/tmp/a.txt"))
            .and(query_param("offset", offset))
            .and(query_param("length", "6"))
            .respond_with(ok_json(
                json!({"bytes_read": text.len(), "data": BASE64.encode(text)}),
            ))
            .expect(1)
            .mount(&server)
            .await;
    }
    let chunks: Vec<Bytes> = client(&server)
        .dbfs()
        .read_from("/tmp/a.txt", 0, 6)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(chunks.len(), 2);
    assert_eq!(chunks.concat(), b"hello world");
}

#[tokio::test]
async fn put_small_and_reject_large() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/dbfs/put"))
        .respond_with(ok_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let dbfs = client(&server).dbfs();
    dbfs.put("/tmp/a.txt", &b"hello"[..], true).await.unwrap();
    assert_eq!(
        bodies(&server, "POST", "/api/2.0/dbfs/put").await,
        vec![json!({"path": "/tmp/a.txt", "contents": "aGVsbG8=", "overwrite": true})]
    );
    let err = dbfs
        .put("/tmp/big", vec![0u8; 1024 * 1024 + 1], true)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("upload"), "{err}");
}

#[tokio::test]
async fn upload_streams_blocks_and_closes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/dbfs/create"))
        .respond_with(ok_json(json!({"handle": 7})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/dbfs/add-block"))
        .respond_with(ok_json(json!({})))
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/dbfs/close"))
        .respond_with(ok_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    // 2.5 MiB in uneven pieces → blocks of 1 MiB, 1 MiB, 0.5 MiB.
    let piece = Bytes::from(vec![b'x'; 640 * 1024]);
    let pieces: Vec<std::io::Result<Bytes>> = (0..4).map(|_| Ok(piece.clone())).collect();
    client(&server)
        .dbfs()
        .upload("/tmp/big.bin", futures::stream::iter(pieces), true)
        .await
        .unwrap();
    let blocks = bodies(&server, "POST", "/api/2.0/dbfs/add-block").await;
    let sizes: Vec<usize> = blocks
        .iter()
        .map(|b| {
            assert_eq!(b["handle"], 7);
            BASE64.decode(b["data"].as_str().unwrap()).unwrap().len()
        })
        .collect();
    assert_eq!(sizes, [1024 * 1024, 1024 * 1024, 512 * 1024]);
    assert_eq!(
        bodies(&server, "POST", "/api/2.0/dbfs/create").await,
        vec![json!({"path": "/tmp/big.bin", "overwrite": true})]
    );
}

#[tokio::test]
async fn upload_failure_still_closes_handle() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/dbfs/create"))
        .respond_with(ok_json(json!({"handle": 9})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/dbfs/add-block"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error_code": "MAX_BLOCK_SIZE_EXCEEDED",
            "message": "Block size exceeded"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/dbfs/close"))
        .respond_with(ok_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .dbfs()
        .upload(
            "/tmp/x",
            futures::stream::iter(vec![Ok::<_, std::io::Error>(Bytes::from_static(b"abc"))]),
            false,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Block size exceeded"), "{err}");
}

#[tokio::test]
async fn mkdirs_delete_move() {
    let server = MockServer::start().await;
    for op in ["mkdirs", "delete", "move"] {
        Mock::given(method("POST"))
            .and(path(format!("/api/2.0/dbfs/{op}")))
            .respond_with(ok_json(json!({})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let dbfs = client(&server).dbfs();
    dbfs.mkdirs("/tmp/d").await.unwrap();
    dbfs.delete("/tmp/d", true).await.unwrap();
    dbfs.move_path("/tmp/a", "/tmp/b").await.unwrap();
    assert_eq!(
        bodies(&server, "POST", "/api/2.0/dbfs/delete").await,
        vec![json!({"path": "/tmp/d", "recursive": true})]
    );
    assert_eq!(
        bodies(&server, "POST", "/api/2.0/dbfs/move").await,
        vec![json!({"source_path": "/tmp/a", "destination_path": "/tmp/b"})]
    );
}
