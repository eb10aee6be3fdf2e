//! Genie Conversation API (`/api/2.0/genie/spaces`, notes §4.11).
//!
//! Unlike the official SDKs, [`GenieApi::wait_for_message`] treats `COMPLETED`, `FAILED`,
//! `CANCELLED` and `QUERY_RESULT_EXPIRED` all as terminal, so a cancelled conversation returns at
//! once, as a typed [`Error::Genie`], instead of spinning until the timeout. The SQL behind a
//! query attachment is a statement: its failures are [`Error::Statement`], as in
//! [`StatementsApi`](super::statements::StatementsApi).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::statements::{ResultStream, require, segment};
use crate::models::{
    GenieConversation, GenieMessage, GenieMessageStatus, GenieQueryResult, GenieSpace,
    GenieStartConversationResponse,
};
use crate::pagination::{Page, token_page};
use crate::wait::{PollOptions, Progress, poll_until, wait_error};
use crate::{Error, GenieError, Result, WorkspaceClient};

const BASE: &str = "/api/2.0/genie/spaces";

impl WorkspaceClient {
    /// The Genie Conversation API.
    ///
    /// ```no_run
    /// use databricks_client::wait::PollOptions;
    /// use futures::TryStreamExt;
    ///
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let genie = client.genie();
    /// let started = genie.start_conversation("space-1", "Revenue by month in 2024?").await?;
    /// let msg = genie
    ///     .wait_for_message("space-1", &started.conversation_id, &started.message_id, &PollOptions::default())
    ///     .await?;
    /// if let Some(att) = msg.query_attachments().next() {
    ///     let rows: Vec<_> = genie
    ///         .query_result_rows("space-1", &started.conversation_id, &started.message_id, &att.attachment_id)
    ///         .await?
    ///         .try_collect()
    ///         .await?;
    ///     println!("{} rows", rows.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn genie(&self) -> GenieApi {
        GenieApi {
            client: self.clone(),
        }
    }
}

/// Handle for Genie; cheap to clone.
#[derive(Debug, Clone)]
pub struct GenieApi {
    client: WorkspaceClient,
}

#[derive(Deserialize)]
struct SpacesPage {
    #[serde(default)]
    spaces: Vec<GenieSpace>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct ConversationsPage {
    #[serde(default)]
    conversations: Vec<GenieConversation>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct MessagesPage {
    #[serde(default)]
    messages: Vec<GenieMessage>,
    #[serde(default)]
    next_page_token: Option<String>,
}

/// The query of a Genie list page (the page token is added by [`token_page`]).
#[derive(Serialize)]
struct ListQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    page_size: Option<u32>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    include_all: bool,
}

impl ListQuery {
    fn new(page_size: Option<u32>) -> Self {
        Self {
            page_size,
            include_all: false,
        }
    }
}

#[derive(Serialize)]
struct Content<'a> {
    content: &'a str,
}

impl GenieApi {
    /// One page of spaces (`page_token` from the previous page, `None` first).
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let page = client.genie().list_spaces(None, None).await?;
    /// for s in &page.items { println!("{} {:?}", s.space_id, s.title); }
    /// # Ok(()) }
    /// ```
    pub async fn list_spaces(
        &self,
        page_size: Option<u32>,
        page_token: Option<&str>,
    ) -> Result<Page<GenieSpace>> {
        token_page(
            &self.client,
            BASE,
            &ListQuery::new(page_size),
            page_token,
            |page: SpacesPage| Page::new(page.spaces, page.next_page_token),
        )
        .await
    }

    /// Gets a space.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let space = client.genie().get_space("space-1").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_space(&self, space_id: &str) -> Result<GenieSpace> {
        self.client
            .get(format!("{BASE}/{}", segment("space_id", space_id)?))
            .send_json()
            .await
    }

    /// One page of a space's conversations (`include_all` lists other users' too, for space
    /// managers).
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let page = client.genie().list_conversations("space-1", Some(20), None, false).await?;
    /// # Ok(()) }
    /// ```
    pub async fn list_conversations(
        &self,
        space_id: &str,
        page_size: Option<u32>,
        page_token: Option<&str>,
        include_all: bool,
    ) -> Result<Page<GenieConversation>> {
        let path = format!("{BASE}/{}/conversations", segment("space_id", space_id)?);
        let query = ListQuery {
            include_all,
            ..ListQuery::new(page_size)
        };
        token_page(
            &self.client,
            &path,
            &query,
            page_token,
            |page: ConversationsPage| Page::new(page.conversations, page.next_page_token),
        )
        .await
    }

    /// One page of a conversation's messages.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let page = client.genie().list_messages("space-1", "conv-1", None, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn list_messages(
        &self,
        space_id: &str,
        conversation_id: &str,
        page_size: Option<u32>,
        page_token: Option<&str>,
    ) -> Result<Page<GenieMessage>> {
        let path = format!(
            "{BASE}/{}/conversations/{}/messages",
            segment("space_id", space_id)?,
            segment("conversation_id", conversation_id)?
        );
        token_page(
            &self.client,
            &path,
            &ListQuery::new(page_size),
            page_token,
            |page: MessagesPage| Page::new(page.messages, page.next_page_token),
        )
        .await
    }

    /// Starts a conversation with a first question.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let started = client.genie().start_conversation("space-1", "Top 5 customers?").await?;
    /// # Ok(()) }
    /// ```
    pub async fn start_conversation(
        &self,
        space_id: &str,
        content: &str,
    ) -> Result<GenieStartConversationResponse> {
        require("content", content)?;
        self.client
            .post(format!(
                "{BASE}/{}/start-conversation",
                segment("space_id", space_id)?
            ))
            .json(&Content { content })
            .send_json()
            .await
    }

    /// Asks a follow-up question in a conversation.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let msg = client.genie().create_message("space-1", "conv-1", "And in 2023?").await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_message(
        &self,
        space_id: &str,
        conversation_id: &str,
        content: &str,
    ) -> Result<GenieMessage> {
        require("content", content)?;
        self.client
            .post(format!(
                "{BASE}/{}/conversations/{}/messages",
                segment("space_id", space_id)?,
                segment("conversation_id", conversation_id)?
            ))
            .json(&Content { content })
            .send_json()
            .await
    }

    /// Gets a message (poll this for progress).
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let msg = client.genie().get_message("space-1", "conv-1", "msg-1").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_message(
        &self,
        space_id: &str,
        conversation_id: &str,
        message_id: &str,
    ) -> Result<GenieMessage> {
        self.client
            .get(message_path(space_id, conversation_id, message_id)?)
            .send_json()
            .await
    }

    /// Polls a message until it is terminal. `COMPLETED` returns the message; `FAILED`,
    /// `CANCELLED` and `QUERY_RESULT_EXPIRED` return [`Error::Genie`] at once: a
    /// [`GenieError`] with the status, the server's `error.type` and error text (for
    /// `QUERY_RESULT_EXPIRED`, re-run the query with [`execute_query`](Self::execute_query)).
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// use databricks_client::wait::PollOptions;
    /// let msg = client.genie().wait_for_message("space-1", "conv-1", "msg-1", &PollOptions::default()).await?;
    /// println!("{:?}", msg.text());
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_message(
        &self,
        space_id: &str,
        conversation_id: &str,
        message_id: &str,
        poll: &PollOptions,
    ) -> Result<GenieMessage> {
        let what = format!("Genie message {message_id}");
        let msg = poll_until(poll, &what, || async {
            let msg = self
                .get_message(space_id, conversation_id, message_id)
                .await?;
            Ok(if msg.is_terminal() {
                Progress::Ready(msg)
            } else {
                Progress::Pending(msg)
            })
        })
        .await
        .map_err(|e| {
            wait_error(e, |m: &GenieMessage| {
                m.status.as_ref().map(ToString::to_string)
            })
        })?;
        match &msg.status {
            Some(GenieMessageStatus::Completed) => Ok(msg),
            Some(status) => {
                let error = msg.error.as_ref();
                Err(GenieError {
                    conversation_id: msg
                        .conversation_id
                        .clone()
                        .filter(|c| !c.is_empty())
                        .unwrap_or_else(|| conversation_id.to_owned()),
                    message_id: message_id.to_owned(),
                    status: status.clone(),
                    error_type: error.and_then(|e| e.type_.clone()),
                    message: error.and_then(|e| e.error.clone()).unwrap_or_default(),
                }
                .into())
            }
            // `is_terminal` was true, so a status is present.
            None => Ok(msg),
        }
    }

    /// Asks a question in a new conversation and waits for the answer.
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// use databricks_client::wait::PollOptions;
    /// let msg = client.genie().ask("space-1", "How many orders yesterday?", &PollOptions::default()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn ask(
        &self,
        space_id: &str,
        content: &str,
        poll: &PollOptions,
    ) -> Result<GenieMessage> {
        let started = self.start_conversation(space_id, content).await?;
        self.wait_for_message(
            space_id,
            &started.conversation_id,
            &started.message_id,
            poll,
        )
        .await
    }

    /// The SQL result of a query attachment (`{statement_response}`).
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let r = client.genie().query_result("space-1", "conv-1", "msg-1", "att-1").await?;
    /// println!("{:?}", r.statement_response.manifest);
    /// # Ok(()) }
    /// ```
    pub async fn query_result(
        &self,
        space_id: &str,
        conversation_id: &str,
        message_id: &str,
        attachment_id: &str,
    ) -> Result<GenieQueryResult> {
        self.client
            .get(format!(
                "{}/attachments/{}/query-result",
                message_path(space_id, conversation_id, message_id)?,
                segment("attachment_id", attachment_id)?
            ))
            .send_json()
            .await
    }

    /// Re-runs an attachment's query (after `QUERY_RESULT_EXPIRED`).
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let r = client.genie().execute_query("space-1", "conv-1", "msg-1", "att-1").await?;
    /// # Ok(()) }
    /// ```
    pub async fn execute_query(
        &self,
        space_id: &str,
        conversation_id: &str,
        message_id: &str,
        attachment_id: &str,
    ) -> Result<GenieQueryResult> {
        self.client
            .post(format!(
                "{}/attachments/{}/execute-query",
                message_path(space_id, conversation_id, message_id)?,
                segment("attachment_id", attachment_id)?
            ))
            .json(&serde_json::json!({}))
            .send_json()
            .await
    }

    /// The rows of a query attachment, decoded like statement results
    /// ([`StatementsApi::query`](super::statements::StatementsApi::query)). Chunks after the
    /// first are fetched through the Statement Execution API with the attachment's statement
    /// id; a statement still running is polled (up to 5 minutes) first. A `FAILED`,
    /// `CANCELED` or `CLOSED` statement is an [`Error::Statement`]; `CLOSED` means the result
    /// expired: re-run it with [`execute_query`](Self::execute_query).
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// let rows: Vec<_> = client.genie()
    ///     .query_result_rows("space-1", "conv-1", "msg-1", "att-1")
    ///     .await?
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn query_result_rows(
        &self,
        space_id: &str,
        conversation_id: &str,
        message_id: &str,
        attachment_id: &str,
    ) -> Result<ResultStream> {
        let result = self
            .query_result(space_id, conversation_id, message_id, attachment_id)
            .await?;
        let mut response = result.statement_response;
        let statements = self.client.statements();
        if response.state().is_some_and(|s| !s.is_terminal()) {
            let poll = PollOptions::default()
                .with_timeout(Duration::from_secs(300))
                .with_initial_interval(Duration::from_millis(500))
                .with_max_interval(Duration::from_secs(5));
            response = statements.wait(&response.statement_id, &poll).await?;
        }
        if response.status.is_none() {
            return Err(Error::Decode {
                method: "GET".to_owned(),
                path: format!("{BASE}/…/attachments/{attachment_id}/query-result"),
                json_path: "statement_response.status".to_owned(),
                message: "the query result carries no statement status".to_owned(),
                excerpt: String::new(),
            });
        }
        statements.result_stream(response, 4)
    }
}

fn message_path(space_id: &str, conversation_id: &str, message_id: &str) -> Result<String> {
    Ok(format!(
        "{BASE}/{}/conversations/{}/messages/{}",
        segment("space_id", space_id)?,
        segment("conversation_id", conversation_id)?,
        segment("message_id", message_id)?
    ))
}
