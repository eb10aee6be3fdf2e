//! Command Execution API 1.2: execution contexts on interactive clusters and commands.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use crate::models::commands::{
    CommandLanguage, CommandOutput, CommandStatus, CommandStatusResponse, ContextStatus,
    ContextStatusResponse,
};
use crate::wait::{PollOptions, Progress, poll_until};
use crate::{Result, WorkspaceClient};

const API: &str = "/api/1.2";

impl WorkspaceClient {
    /// The Command Execution API 1.2 (run code on an interactive cluster).
    ///
    /// ```no_run
    /// # async fn example() -> databricks_client::Result<()> {
    /// use std::time::Duration;
    /// use databricks_client::WorkspaceClient;
    /// use databricks_client::models::commands::{CommandLanguage, CommandOutput};
    ///
    /// let client = WorkspaceClient::from_env()?;
    /// let ctx = client.commands().context("0101-123456-abcdef", CommandLanguage::Python).await?;
    /// match ctx.run("print(1 + 1)", Duration::from_secs(60)).await? {
    ///     CommandOutput::Text(text) => println!("{text}"),
    ///     CommandOutput::Error { cause, .. } => eprintln!("failed: {cause}"),
    ///     other => println!("{other:?}"),
    /// }
    /// ctx.close().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn commands(&self) -> CommandsApi {
        CommandsApi {
            client: self.clone(),
        }
    }
}

/// Handle to the Command Execution API; cheap to clone. Get one with
/// [`WorkspaceClient::commands`].
#[derive(Debug, Clone)]
pub struct CommandsApi {
    client: WorkspaceClient,
}

#[derive(Deserialize)]
struct IdResponse {
    id: String,
}

impl CommandsApi {
    /// Creates an execution context (`POST /api/1.2/contexts/create`) and returns its id. The
    /// context may still be `Pending`; prefer [`context`](Self::context), which waits and
    /// destroys it when done.
    pub async fn create_context(
        &self,
        cluster_id: &str,
        language: CommandLanguage,
    ) -> Result<String> {
        let resp: IdResponse = self
            .client
            .post(format!("{API}/contexts/create"))
            .json(&json!({"clusterId": cluster_id, "language": language.as_str()}))
            .send_json()
            .await?;
        Ok(resp.id)
    }

    /// Status of an execution context (`GET /api/1.2/contexts/status`).
    pub async fn context_status(
        &self,
        cluster_id: &str,
        context_id: &str,
    ) -> Result<ContextStatusResponse> {
        self.client
            .get(format!("{API}/contexts/status"))
            .query(&[("clusterId", cluster_id), ("contextId", context_id)])
            .send_json()
            .await
    }

    /// Destroys an execution context (`POST /api/1.2/contexts/destroy`).
    pub async fn destroy_context(&self, cluster_id: &str, context_id: &str) -> Result<()> {
        self.client
            .post(format!("{API}/contexts/destroy"))
            .json(&json!({"clusterId": cluster_id, "contextId": context_id}))
            .idempotent(true)
            .send_empty()
            .await
    }

    /// Starts a command (`POST /api/1.2/commands/execute`) and returns its id.
    pub async fn execute(
        &self,
        cluster_id: &str,
        context_id: &str,
        language: CommandLanguage,
        command: &str,
    ) -> Result<String> {
        let resp: IdResponse = self
            .client
            .post(format!("{API}/commands/execute"))
            .json(&json!({
                "clusterId": cluster_id,
                "contextId": context_id,
                "language": language.as_str(),
                "command": command,
            }))
            .send_json()
            .await?;
        Ok(resp.id)
    }

    /// Status (and results, once finished) of a command (`GET /api/1.2/commands/status`).
    pub async fn command_status(
        &self,
        cluster_id: &str,
        context_id: &str,
        command_id: &str,
    ) -> Result<CommandStatusResponse> {
        self.client
            .get(format!("{API}/commands/status"))
            .query(&[
                ("clusterId", cluster_id),
                ("contextId", context_id),
                ("commandId", command_id),
            ])
            .send_json()
            .await
    }

    /// Cancels a command (`POST /api/1.2/commands/cancel`).
    pub async fn cancel(&self, cluster_id: &str, context_id: &str, command_id: &str) -> Result<()> {
        self.client
            .post(format!("{API}/commands/cancel"))
            .json(
                &json!({"clusterId": cluster_id, "contextId": context_id, "commandId": command_id}),
            )
            .idempotent(true)
            .send_empty()
            .await
    }

    /// Creates an execution context and waits until it is `Running` (`opts.timeout`), returning
    /// a guard that destroys it on [`ExecutionContext::close`] (or, best-effort, on drop).
    pub async fn context(
        &self,
        cluster_id: &str,
        language: CommandLanguage,
    ) -> Result<ExecutionContext> {
        self.context_with(cluster_id, language, &PollOptions::default())
            .await
    }

    /// [`context`](Self::context) with explicit poll options.
    pub async fn context_with(
        &self,
        cluster_id: &str,
        language: CommandLanguage,
        opts: &PollOptions,
    ) -> Result<ExecutionContext> {
        let context_id = self.create_context(cluster_id, language.clone()).await?;
        // From here on the guard owns the context: an error below destroys it on drop.
        let mut guard = ExecutionContext {
            api: self.clone(),
            cluster_id: cluster_id.to_owned(),
            context_id,
            language,
            poll: opts.clone(),
            open: true,
        };
        let what = format!(
            "execution context {} on cluster {cluster_id}",
            guard.context_id
        );
        let ctx_id = guard.context_id.clone();
        let waited = poll_until(opts, &what, || async {
            let status = self.context_status(cluster_id, &ctx_id).await?;
            Ok(match status.status {
                Some(ContextStatus::Running) => Progress::Ready(status),
                Some(ContextStatus::Error) => Progress::Failed {
                    message: format!("execution context {ctx_id} failed to start"),
                    state: status,
                },
                _ => Progress::Pending(status),
            })
        })
        .await;
        match waited {
            Ok(_) => Ok(guard),
            Err(e) => {
                guard.close_now().await;
                Err(e.into())
            }
        }
    }
}

/// An execution context on a cluster. Destroy it with [`close`](Self::close); if dropped
/// without closing, it is destroyed best-effort in the background on the current Tokio runtime
/// (clusters cap the number of contexts, so do close them).
#[derive(Debug)]
pub struct ExecutionContext {
    api: CommandsApi,
    cluster_id: String,
    context_id: String,
    language: CommandLanguage,
    poll: PollOptions,
    open: bool,
}

impl ExecutionContext {
    /// The context id.
    pub fn id(&self) -> &str {
        &self.context_id
    }

    /// The cluster id.
    pub fn cluster_id(&self) -> &str {
        &self.cluster_id
    }

    /// The context language.
    pub fn language(&self) -> &CommandLanguage {
        &self.language
    }

    /// Runs a command in the context's language and waits up to `timeout` for its result.
    ///
    /// A command that fails (`resultType: error`) is a normal [`CommandOutput::Error`]; errors
    /// are request failures, cancellation and the timeout (after which the command is cancelled
    /// best-effort).
    pub async fn run(&self, command: &str, timeout: Duration) -> Result<CommandOutput> {
        self.run_as(self.language.clone(), command, timeout).await
    }

    /// Runs a command in another language (e.g. `%sql` in a Python context).
    pub async fn run_as(
        &self,
        language: CommandLanguage,
        command: &str,
        timeout: Duration,
    ) -> Result<CommandOutput> {
        let api = &self.api;
        let command_id = api
            .execute(&self.cluster_id, &self.context_id, language, command)
            .await?;
        let opts = self.poll.clone().with_timeout(timeout);
        let what = format!("command {command_id}");
        let waited = poll_until(&opts, &what, || async {
            let status = api
                .command_status(&self.cluster_id, &self.context_id, &command_id)
                .await?;
            Ok(match status.status {
                Some(CommandStatus::Finished | CommandStatus::Error) => Progress::Ready(status),
                Some(CommandStatus::Cancelled | CommandStatus::Cancelling) => Progress::Failed {
                    message: format!("command {command_id} was cancelled"),
                    state: status,
                },
                _ => Progress::Pending(status),
            })
        })
        .await;
        match waited {
            Ok(status) => Ok(status
                .results
                .map_or(CommandOutput::Text(String::new()), CommandOutput::from)),
            Err(e) => {
                if matches!(e, crate::wait::WaitError::TimedOut { .. })
                    && let Err(cancel_err) = api
                        .cancel(&self.cluster_id, &self.context_id, &command_id)
                        .await
                {
                    tracing::warn!(%cancel_err, command_id, "could not cancel timed-out command");
                }
                Err(e.into())
            }
        }
    }

    /// Destroys the context.
    pub async fn close(mut self) -> Result<()> {
        self.open = false;
        self.api
            .destroy_context(&self.cluster_id, &self.context_id)
            .await
    }

    async fn close_now(&mut self) {
        self.open = false;
        if let Err(e) = self
            .api
            .destroy_context(&self.cluster_id, &self.context_id)
            .await
        {
            tracing::warn!(error = %e, context_id = %self.context_id, "could not destroy execution context");
        }
    }
}

impl Drop for ExecutionContext {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(
                context_id = %self.context_id,
                "execution context dropped outside a Tokio runtime; it was not destroyed (call close())"
            );
            return;
        };
        let api = self.api.clone();
        let cluster_id = std::mem::take(&mut self.cluster_id);
        let context_id = std::mem::take(&mut self.context_id);
        handle.spawn(async move {
            if let Err(e) = api.destroy_context(&cluster_id, &context_id).await {
                tracing::warn!(error = %e, context_id, "could not destroy dropped execution context");
            }
        });
    }
}
