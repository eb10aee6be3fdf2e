//! Workspace API 2.0: list (flat and recursive), status, export, import, mkdirs, delete.

use std::collections::VecDeque;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures::stream::{FuturesUnordered, StreamExt};
use futures::{Stream, future::BoxFuture};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::models::workspace::{ExportFormat, ExportedObject, ImportRequest, ObjectInfo};
use crate::{Error, Result, WorkspaceClient};

const WORKSPACE: &str = "/api/2.0/workspace";

impl WorkspaceClient {
    /// The Workspace API (notebooks, files, folders).
    ///
    /// ```no_run
    /// # async fn example() -> databricks_client::Result<()> {
    /// use databricks_client::WorkspaceClient;
    /// use databricks_client::models::workspace::{ExportFormat, ObjectType};
    /// use futures::TryStreamExt;
    ///
    /// let client = WorkspaceClient::from_env()?;
    /// let all: Vec<_> = client.workspace().list_recursive("/Users", 4).try_collect().await?;
    /// for o in all.iter().filter(|o| o.object_type == Some(ObjectType::Notebook)) {
    ///     let source = client.workspace().export(&o.path, ExportFormat::Source).await?;
    ///     println!("{}: {} bytes", o.path, source.content.len());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn workspace(&self) -> WorkspaceApi {
        WorkspaceApi {
            client: self.clone(),
        }
    }
}

/// Handle to the Workspace API; cheap to clone. Get one with [`WorkspaceClient::workspace`].
#[derive(Debug, Clone)]
pub struct WorkspaceApi {
    client: WorkspaceClient,
}

#[derive(Deserialize)]
struct ListResponse {
    #[serde(default)]
    objects: Vec<ObjectInfo>,
}

#[derive(Deserialize)]
struct ExportResponse {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    file_type: Option<String>,
}

struct Walk {
    client: WorkspaceApi,
    queue: VecDeque<String>,
    in_flight: FuturesUnordered<BoxFuture<'static, Result<Vec<ObjectInfo>>>>,
    ready: VecDeque<ObjectInfo>,
    concurrency: usize,
}

impl WorkspaceApi {
    /// Lists the direct children of a directory (`GET /api/2.0/workspace/list`; not paged).
    pub async fn list(&self, path: &str) -> Result<Vec<ObjectInfo>> {
        let resp: ListResponse = self
            .client
            .get(format!("{WORKSPACE}/list"))
            .query(&[("path", path)])
            .send_json()
            .await?;
        Ok(resp.objects)
    }

    /// Lists everything below `path` (not `path` itself), descending into directories and Git
    /// folders with at most `concurrency` `list` calls in flight. Items come in no particular
    /// order. A failing `list` yields its error and the walk continues with the rest.
    pub fn list_recursive(
        &self,
        path: &str,
        concurrency: usize,
    ) -> impl Stream<Item = Result<ObjectInfo>> + Send + 'static {
        let walk = Walk {
            client: self.clone(),
            queue: VecDeque::from([path.to_owned()]),
            in_flight: FuturesUnordered::new(),
            ready: VecDeque::new(),
            concurrency: concurrency.max(1),
        };
        futures::stream::unfold(walk, |mut walk| async move {
            loop {
                if let Some(item) = walk.ready.pop_front() {
                    return Some((Ok(item), walk));
                }
                while walk.in_flight.len() < walk.concurrency {
                    let Some(dir) = walk.queue.pop_front() else {
                        break;
                    };
                    let api = walk.client.clone();
                    walk.in_flight
                        .push(Box::pin(async move { api.list(&dir).await }));
                }
                match walk.in_flight.next().await {
                    None => return None,
                    Some(Err(e)) => return Some((Err(e), walk)),
                    Some(Ok(objects)) => {
                        for object in objects {
                            if object.is_directory() {
                                walk.queue.push_back(object.path.clone());
                            }
                            walk.ready.push_back(object);
                        }
                    }
                }
            }
        })
    }

    /// Gets the status of an object (`GET /api/2.0/workspace/get-status`). A missing path is a
    /// not-found error.
    pub async fn get_status(&self, path: &str) -> Result<ObjectInfo> {
        self.client
            .get(format!("{WORKSPACE}/get-status"))
            .query(&[("path", path)])
            .send_json()
            .await
    }

    /// Exports an object (`GET /api/2.0/workspace/export`) and decodes its base64 content.
    pub async fn export(&self, path: &str, format: ExportFormat) -> Result<ExportedObject> {
        let resp: ExportResponse = self
            .client
            .get(format!("{WORKSPACE}/export"))
            .query(&[("path", path), ("format", format.as_str())])
            .send_json()
            .await?;
        let content = match resp.content {
            Some(b64) => BASE64.decode(b64.as_bytes()).map_err(|e| Error::Decode {
                method: "GET".to_owned(),
                path: format!("{WORKSPACE}/export"),
                json_path: "content".to_owned(),
                message: format!("not valid base64 ({e})"),
                excerpt: b64.chars().take(64).collect(),
            })?,
            None => Vec::new(),
        };
        Ok(ExportedObject {
            content,
            file_type: resp.file_type,
        })
    }

    /// Imports an object (`POST /api/2.0/workspace/import`, JSON with base64 content ≤ 10 MB).
    pub async fn import(&self, request: &ImportRequest) -> Result<()> {
        let mut body = Map::new();
        body.insert("path".into(), json!(request.path));
        body.insert("content".into(), json!(BASE64.encode(&request.content)));
        if let Some(format) = &request.format {
            body.insert("format".into(), json!(format.as_str()));
        }
        if let Some(language) = &request.language {
            body.insert("language".into(), json!(language.as_str()));
        }
        body.insert("overwrite".into(), json!(request.overwrite));
        self.client
            .post(format!("{WORKSPACE}/import"))
            .json(&Value::Object(body))
            .idempotent(request.overwrite)
            .send_empty()
            .await
    }

    /// Creates a directory and its parents (`POST /api/2.0/workspace/mkdirs`); an existing
    /// directory is success.
    pub async fn mkdirs(&self, path: &str) -> Result<()> {
        self.client
            .post(format!("{WORKSPACE}/mkdirs"))
            .json(&json!({"path": path}))
            .idempotent(true)
            .send_empty()
            .await
    }

    /// Deletes an object (`POST /api/2.0/workspace/delete`). A non-empty directory needs
    /// `recursive` (else `DIRECTORY_NOT_EMPTY`); recursive deletes are not atomic.
    pub async fn delete(&self, path: &str, recursive: bool) -> Result<()> {
        self.client
            .post(format!("{WORKSPACE}/delete"))
            .json(&json!({"path": path, "recursive": recursive}))
            .idempotent(true)
            .send_empty()
            .await
    }
}
