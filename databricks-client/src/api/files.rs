//! Files API (`/api/2.0/fs/...`): Unity Catalog volumes and workspace files.

use bytes::Bytes;
use futures::{Stream, StreamExt as _, future, stream};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, LAST_MODIFIED, RANGE};
use serde::{Deserialize, Serialize};

use crate::http::{HeaderMap, HeaderValue};
use crate::models::files::{DirectoryEntry, FileMetadata};
use crate::pagination::{Page, token_list};
use crate::{Error, Result, WorkspaceClient};

/// `/api/2.0/fs/{kind}{path}`, each component of the path validated and percent-encoded
/// ([`path_components`](crate::path_components)).
fn fs_path(kind: &str, path: &str) -> Result<String> {
    encode_path(kind, path).map_err(Error::InvalidArgument)
}

fn encode_path(kind: &str, path: &str) -> std::result::Result<String, String> {
    match crate::path_components("path", path) {
        Ok(encoded) => Ok(format!("/api/2.0/fs/{kind}{encoded}")),
        Err(Error::InvalidArgument(message)) => Err(message),
        Err(other) => Err(other.to_string()),
    }
}

fn metadata_from(headers: &HeaderMap) -> FileMetadata {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    FileMetadata {
        content_length: header(CONTENT_LENGTH).and_then(|v| v.parse().ok()),
        content_type: header(CONTENT_TYPE),
        last_modified: header(LAST_MODIFIED),
    }
}

impl WorkspaceClient {
    /// The Files API (volumes and workspace files).
    ///
    /// ```no_run
    /// # async fn example() -> databricks_client::Result<()> {
    /// use databricks_client::WorkspaceClient;
    /// use futures::TryStreamExt;
    ///
    /// let client = WorkspaceClient::from_env()?;
    /// let files = client.files();
    /// files.upload_bytes("/Volumes/main/default/raw/hello.txt", "hello", true).await?;
    /// let entries: Vec<_> = files.list_directory("/Volumes/main/default/raw").try_collect().await?;
    /// let (meta, stream) = files.download("/Volumes/main/default/raw/hello.txt").await?;
    /// let bytes: Vec<bytes::Bytes> = stream.try_collect().await?;
    /// println!("{:?} bytes", meta.content_length);
    /// # let _ = (entries, bytes);
    /// # Ok(())
    /// # }
    /// ```
    pub fn files(&self) -> FilesApi {
        FilesApi {
            client: self.clone(),
        }
    }
}

/// Handle to the Files API; cheap to clone. Get one with [`WorkspaceClient::files`].
///
/// Paths are absolute (`/Volumes/<catalog>/<schema>/<volume>/...`) and are percent-encoded
/// (keeping `/`) by the client.
#[derive(Debug, Clone)]
pub struct FilesApi {
    client: WorkspaceClient,
}

/// The query of a directory listing (the page token is added by [`token_list`]).
#[derive(Serialize)]
struct DirectoryQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    page_size: Option<u32>,
}

#[derive(Deserialize)]
struct DirectoryPage {
    #[serde(default)]
    contents: Vec<DirectoryEntry>,
    #[serde(default)]
    next_page_token: Option<String>,
}

impl FilesApi {
    /// Downloads a file as a byte stream (`GET /api/2.0/fs/files{path}`), with the metadata
    /// from the response headers.
    pub async fn download(
        &self,
        path: &str,
    ) -> Result<(
        FileMetadata,
        impl Stream<Item = Result<Bytes>> + Send + 'static + use<>,
    )> {
        let url = fs_path("files", path)?;
        let (head, stream) = self.client.get(&url).send_bytes_stream().await?;
        Ok((metadata_from(&head.headers), stream))
    }

    /// Downloads the byte range `start..end` (end exclusive) of a file (`Range` header).
    pub async fn download_range(
        &self,
        path: &str,
        start: u64,
        end: u64,
    ) -> Result<(
        FileMetadata,
        impl Stream<Item = Result<Bytes>> + Send + 'static + use<>,
    )> {
        if end <= start {
            return Err(Error::InvalidArgument(format!(
                "download_range of {path}: empty range {start}..{end}; end must be greater than start"
            )));
        }
        let url = fs_path("files", path)?;
        let range = HeaderValue::from_str(&format!("bytes={start}-{}", end - 1))
            .map_err(|e| Error::InvalidArgument(format!("range header: {e}")))?;
        let (head, stream) = self
            .client
            .get(&url)
            .header(RANGE, range)
            .send_bytes_stream()
            .await?;
        Ok((metadata_from(&head.headers), stream))
    }

    /// Uploads a stream (`PUT /api/2.0/fs/files{path}?overwrite=`, `application/octet-stream`,
    /// ≤ 5 GiB). A streaming body is never retried; use [`upload_bytes`](Self::upload_bytes)
    /// for content in memory.
    pub async fn upload<S>(&self, path: &str, body: S, overwrite: bool) -> Result<()>
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + Sync + 'static,
    {
        let url = fs_path("files", path)?;
        self.client
            .put(&url)
            .query(&[("overwrite", if overwrite { "true" } else { "false" })])
            .body_stream(body, "application/octet-stream")
            .send_empty()
            .await
    }

    /// Uploads bytes in memory (retried like any idempotent `PUT`).
    pub async fn upload_bytes(
        &self,
        path: &str,
        contents: impl Into<Bytes>,
        overwrite: bool,
    ) -> Result<()> {
        let url = fs_path("files", path)?;
        self.client
            .put(&url)
            .query(&[("overwrite", if overwrite { "true" } else { "false" })])
            .body(contents.into(), "application/octet-stream")
            .send_empty()
            .await
    }

    /// Reads a file's metadata from the headers of `HEAD /api/2.0/fs/files{path}`.
    pub async fn metadata(&self, path: &str) -> Result<FileMetadata> {
        let url = fs_path("files", path)?;
        let resp = self.client.head(&url).send().await?;
        Ok(metadata_from(&resp.headers))
    }

    /// Deletes a file (`DELETE /api/2.0/fs/files{path}`).
    pub async fn delete(&self, path: &str) -> Result<()> {
        let url = fs_path("files", path)?;
        self.client.delete(&url).send_empty().await
    }

    /// Lists a directory (`GET /api/2.0/fs/directories{path}`), following `next_page_token`
    /// (pages may be empty while a token is present).
    pub fn list_directory(
        &self,
        path: &str,
    ) -> impl Stream<Item = Result<DirectoryEntry>> + Send + 'static {
        self.list_directory_with(path, None)
    }

    /// Lists a directory with an explicit page size (≤ 1000).
    pub fn list_directory_with(
        &self,
        path: &str,
        page_size: Option<u32>,
    ) -> impl Stream<Item = Result<DirectoryEntry>> + Send + 'static {
        match fs_path("directories", path) {
            Ok(url) => token_list(
                self.client.clone(),
                url,
                DirectoryQuery { page_size },
                |page: DirectoryPage| Page::new(page.contents, page.next_page_token),
            )
            .left_stream(),
            Err(e) => stream::once(future::ready(Err(e))).right_stream(),
        }
    }

    /// Creates a directory and its parents (`PUT /api/2.0/fs/directories{path}`; idempotent).
    pub async fn create_directory(&self, path: &str) -> Result<()> {
        let url = fs_path("directories", path)?;
        self.client.put(&url).send_empty().await
    }

    /// Deletes an empty directory (`DELETE /api/2.0/fs/directories{path}`).
    pub async fn delete_directory(&self, path: &str) -> Result<()> {
        let url = fs_path("directories", path)?;
        self.client.delete(&url).send_empty().await
    }

    /// Whether a directory exists (`HEAD /api/2.0/fs/directories{path}`; 404 → `false`).
    pub async fn directory_exists(&self, path: &str) -> Result<bool> {
        let url = fs_path("directories", path)?;
        match self.client.head(&url).send().await {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded_keeping_slashes() {
        assert_eq!(
            fs_path("files", "/Volumes/a b/x/ü#?.csv").unwrap(),
            "/api/2.0/fs/files/Volumes/a%20b/x/%C3%BC%23%3F.csv"
        );
        assert!(fs_path("files", "relative").is_err());
        for bad in [
            "/Volumes/c/s/v/../../x",
            "/Volumes/./x",
            "/Volumes//x",
            "/Volumes/a\0",
        ] {
            assert!(fs_path("files", bad).is_err(), "{bad}");
            assert!(fs_path("directories", bad).is_err(), "{bad}");
        }
    }
}
