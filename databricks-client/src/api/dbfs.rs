//! DBFS API 2.0: list, status, ranged streaming read, put, streaming upload, mkdirs, delete,
//! move.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::json;

use crate::models::dbfs::FileInfo;
use crate::{Error, Result, WorkspaceClient};

const DBFS: &str = "/api/2.0/dbfs";

/// Largest block `dbfs/read`, `dbfs/put` and `dbfs/add-block` accept (1 MiB).
pub const MAX_BLOCK: usize = 1024 * 1024;

impl WorkspaceClient {
    /// The DBFS API (legacy but common).
    ///
    /// ```no_run
    /// # async fn example() -> databricks_client::Result<()> {
    /// use databricks_client::WorkspaceClient;
    /// use futures::TryStreamExt;
    ///
    /// let client = WorkspaceClient::from_env()?;
    /// let dbfs = client.dbfs();
    /// dbfs.put("/tmp/hello.txt", b"hello".to_vec(), true).await?;
    /// let chunks: Vec<bytes::Bytes> = dbfs.read("/tmp/hello.txt").try_collect().await?;
    /// assert_eq!(chunks.concat(), b"hello");
    /// # Ok(())
    /// # }
    /// ```
    pub fn dbfs(&self) -> DbfsApi {
        DbfsApi {
            client: self.clone(),
        }
    }
}

/// Handle to the DBFS API; cheap to clone. Get one with [`WorkspaceClient::dbfs`].
#[derive(Debug, Clone)]
pub struct DbfsApi {
    client: WorkspaceClient,
}

#[derive(Deserialize)]
struct ListResponse {
    #[serde(default)]
    files: Vec<FileInfo>,
}

#[derive(Deserialize)]
struct ReadResponse {
    #[serde(default)]
    bytes_read: i64,
    #[serde(default)]
    data: String,
}

#[derive(Deserialize)]
struct CreateResponse {
    handle: i64,
}

impl DbfsApi {
    /// Lists a directory (`GET /api/2.0/dbfs/list`; not paged, may time out on huge
    /// directories). Listing a file returns that file.
    pub async fn list(&self, path: &str) -> Result<Vec<FileInfo>> {
        let resp: ListResponse = self
            .client
            .get(format!("{DBFS}/list"))
            .query(&[("path", path)])
            .send_json()
            .await?;
        Ok(resp.files)
    }

    /// Gets the status of a file or directory (`GET /api/2.0/dbfs/get-status`).
    pub async fn get_status(&self, path: &str) -> Result<FileInfo> {
        self.client
            .get(format!("{DBFS}/get-status"))
            .query(&[("path", path)])
            .send_json()
            .await
    }

    /// Reads a file as a stream of chunks, one `dbfs/read` of up to 1 MiB per chunk, until a
    /// read returns no bytes.
    pub fn read(&self, path: &str) -> impl Stream<Item = Result<Bytes>> + Send + 'static {
        self.read_from(path, 0, MAX_BLOCK)
    }

    /// Reads from `offset` in chunks of `chunk_size` bytes (capped at 1 MiB).
    pub fn read_from(
        &self,
        path: &str,
        offset: u64,
        chunk_size: usize,
    ) -> impl Stream<Item = Result<Bytes>> + Send + 'static {
        let client = self.client.clone();
        let path = path.to_owned();
        let chunk = chunk_size.clamp(1, MAX_BLOCK);
        futures::stream::try_unfold(Some(offset), move |state| {
            let client = client.clone();
            let path = path.clone();
            async move {
                let Some(offset) = state else {
                    return Ok(None);
                };
                let resp: ReadResponse = client
                    .get(format!("{DBFS}/read"))
                    .query(&[
                        ("path", path.clone()),
                        ("offset", offset.to_string()),
                        ("length", chunk.to_string()),
                    ])
                    .send_json()
                    .await?;
                if resp.bytes_read <= 0 {
                    return Ok(None);
                }
                let data = BASE64
                    .decode(resp.data.as_bytes())
                    .map_err(|e| Error::Decode {
                        method: "GET".to_owned(),
                        path: format!("{DBFS}/read?path={path}&offset={offset}"),
                        json_path: "data".to_owned(),
                        message: format!("not valid base64 ({e})"),
                        excerpt: resp.data.chars().take(64).collect(),
                    })?;
                let next = offset + data.len() as u64;
                Ok(Some((Bytes::from(data), Some(next))))
            }
        })
    }

    /// Writes a small file in one call (`POST /api/2.0/dbfs/put`, ≤ 1 MiB). Use
    /// [`upload`](Self::upload) for larger content.
    pub async fn put(&self, path: &str, contents: impl Into<Bytes>, overwrite: bool) -> Result<()> {
        let contents = contents.into();
        if contents.len() > MAX_BLOCK {
            return Err(Error::InvalidArgument(format!(
                "dbfs put of {path}: {} bytes is over the 1 MiB limit of dbfs/put; use DbfsApi::upload for larger files",
                contents.len()
            )));
        }
        self.client
            .post(format!("{DBFS}/put"))
            .json(&json!({"path": path, "contents": BASE64.encode(&contents), "overwrite": overwrite}))
            .idempotent(overwrite)
            .send_empty()
            .await
    }

    /// Uploads a stream of bytes (e.g. a file read with `tokio_util::io::ReaderStream`) with `dbfs/create`, `dbfs/add-block` (≤ 1 MiB blocks, the
    /// stream is re-chunked) and `dbfs/close`. On failure the handle is closed best-effort and
    /// a partial file may remain.
    pub async fn upload<S>(&self, path: &str, body: S, overwrite: bool) -> Result<()>
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send,
    {
        let created: CreateResponse = self
            .client
            .post(format!("{DBFS}/create"))
            .json(&json!({"path": path, "overwrite": overwrite}))
            .send_json()
            .await?;
        let handle = created.handle;
        let result = self.add_blocks(handle, body).await;
        let closed = self.close_handle(handle).await;
        result?;
        closed
    }

    async fn add_blocks<S>(&self, handle: i64, body: S) -> Result<()>
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send,
    {
        let mut body = std::pin::pin!(body);
        let mut buf = BytesMut::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| {
                Error::InvalidArgument(format!("dbfs upload: reading the body failed: {e}"))
            })?;
            buf.extend_from_slice(&chunk);
            while buf.len() >= MAX_BLOCK {
                let block = buf.split_to(MAX_BLOCK).freeze();
                self.add_block(handle, &block).await?;
            }
        }
        if !buf.is_empty() {
            self.add_block(handle, &buf.freeze()).await?;
        }
        Ok(())
    }

    async fn add_block(&self, handle: i64, block: &[u8]) -> Result<()> {
        self.client
            .post(format!("{DBFS}/add-block"))
            .json(&json!({"handle": handle, "data": BASE64.encode(block)}))
            .send_empty()
            .await
    }

    async fn close_handle(&self, handle: i64) -> Result<()> {
        self.client
            .post(format!("{DBFS}/close"))
            .json(&json!({"handle": handle}))
            .send_empty()
            .await
    }

    /// Creates a directory and its parents (`POST /api/2.0/dbfs/mkdirs`).
    pub async fn mkdirs(&self, path: &str) -> Result<()> {
        self.client
            .post(format!("{DBFS}/mkdirs"))
            .json(&json!({"path": path}))
            .idempotent(true)
            .send_empty()
            .await
    }

    /// Deletes a file or directory (`POST /api/2.0/dbfs/delete`). Large recursive deletes may
    /// answer 503 after ~45 s; the request is retried like any 503 and resumes the delete.
    pub async fn delete(&self, path: &str, recursive: bool) -> Result<()> {
        self.client
            .post(format!("{DBFS}/delete"))
            .json(&json!({"path": path, "recursive": recursive}))
            .idempotent(true)
            .send_empty()
            .await
    }

    /// Moves a file or directory (`POST /api/2.0/dbfs/move`).
    pub async fn move_path(&self, source_path: &str, destination_path: &str) -> Result<()> {
        self.client
            .post(format!("{DBFS}/move"))
            .json(&json!({"source_path": source_path, "destination_path": destination_path}))
            .send_empty()
            .await
    }
}
