//! Genie Conversation API models (notes §4.11).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::open_enum::open_enum;
use super::statements::{StatementResponse, opt_lenient_i64};

open_enum! {
    /// `status` of a Genie message.
    pub enum GenieMessageStatus {
        /// Accepted.
        Submitted = "SUBMITTED",
        /// Reading metadata.
        FetchingMetadata = "FETCHING_METADATA",
        /// Choosing context.
        FilteringContext = "FILTERING_CONTEXT",
        /// Generating the answer.
        AskingAi = "ASKING_AI",
        /// Waiting for the warehouse.
        PendingWarehouse = "PENDING_WAREHOUSE",
        /// Running the generated SQL.
        ExecutingQuery = "EXECUTING_QUERY",
        /// Done (terminal).
        Completed = "COMPLETED",
        /// Failed (terminal).
        Failed = "FAILED",
        /// Cancelled (terminal).
        Cancelled = "CANCELLED",
        /// The query result expired; re-run with execute-query (terminal).
        QueryResultExpired = "QUERY_RESULT_EXPIRED",
    }
}

impl GenieMessageStatus {
    /// `true` for `COMPLETED`, `FAILED`, `CANCELLED` and `QUERY_RESULT_EXPIRED`.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Failed | Self::Cancelled | Self::QueryResultExpired
        )
    }
}

/// A Genie space.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GenieSpace {
    /// Space id.
    #[serde(default)]
    pub space_id: String,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Warehouse that runs the space's queries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warehouse_id: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A Genie conversation.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GenieConversation {
    /// Conversation id (`id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Conversation id (`conversation_id` spelling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
    /// Space id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub space_id: Option<String>,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Creation time (epoch ms).
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_timestamp: Option<i64>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A Genie message (a question and, once terminal, its answer attachments).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GenieMessage {
    /// Message id (`id`; newer responses also send `message_id`).
    #[serde(default)]
    pub id: String,
    /// Message id (newer spelling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Space id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub space_id: Option<String>,
    /// Conversation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
    /// The question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<GenieMessageStatus>,
    /// Answer parts (text, query, suggested questions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<GenieAttachment>,
    /// Error of a failed message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<GenieMessageError>,
    /// Creation time (epoch ms).
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_timestamp: Option<i64>,
    /// Last update time (epoch ms).
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_updated_timestamp: Option<i64>,
    /// Other fields (`user_id`, deprecated `query_result`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl GenieMessage {
    /// `message_id` if sent, else `id`.
    pub fn message_id(&self) -> &str {
        self.message_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.id)
    }

    /// `true` once the status is terminal.
    pub fn is_terminal(&self) -> bool {
        self.status
            .as_ref()
            .is_some_and(GenieMessageStatus::is_terminal)
    }

    /// The query attachments (those with SQL and a result).
    pub fn query_attachments(&self) -> impl Iterator<Item = &GenieAttachment> {
        self.attachments.iter().filter(|a| a.query.is_some())
    }

    /// Text answers, concatenated.
    pub fn text(&self) -> Option<String> {
        let parts: Vec<&str> = self
            .attachments
            .iter()
            .filter_map(|a| a.text.as_ref().and_then(|t| t.content.as_deref()))
            .collect();
        (!parts.is_empty()).then(|| parts.join("\n"))
    }
}

/// `error` of a Genie message.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GenieMessageError {
    /// Message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Error type.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
}

/// One attachment of a Genie message.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GenieAttachment {
    /// Attachment id.
    #[serde(default)]
    pub attachment_id: String,
    /// Text answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<GenieTextAttachment>,
    /// Generated query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<GenieQueryAttachment>,
    /// Suggested follow-up questions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_questions: Option<GenieSuggestedQuestions>,
    /// Other fields (`viz`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `text` attachment.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GenieTextAttachment {
    /// Text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Purpose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
}

/// `query` attachment.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GenieQueryAttachment {
    /// Generated SQL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Statement that produced the result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_id: Option<String>,
    /// Result metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_result_metadata: Option<GenieQueryResultMetadata>,
    /// Other fields (`parameters`, `thoughts`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `query_result_metadata` of a query attachment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GenieQueryResultMetadata {
    /// Rows.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub row_count: Option<i64>,
    /// Truncation flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_truncated: Option<bool>,
}

/// `suggested_questions` attachment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GenieSuggestedQuestions {
    /// Questions.
    #[serde(default)]
    pub questions: Vec<String>,
}

/// Response of `start-conversation`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GenieStartConversationResponse {
    /// Conversation id.
    #[serde(default)]
    pub conversation_id: String,
    /// First message id.
    #[serde(default)]
    pub message_id: String,
    /// The conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<GenieConversation>,
    /// The first message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<GenieMessage>,
}

/// Response of `…/attachments/{id}/query-result` and `execute-query`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GenieQueryResult {
    /// The statement (same shape as Statement Execution).
    #[serde(default)]
    pub statement_response: StatementResponse,
}
