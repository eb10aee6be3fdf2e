//! Model Serving models (notes §4.12).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::open_enum::open_enum;
use super::statements::opt_lenient_i64;

open_enum! {
    /// `state.ready` of a serving endpoint.
    pub enum EndpointReady {
        /// Serving traffic.
        Ready = "READY",
        /// Not serving.
        NotReady = "NOT_READY",
    }
}

open_enum! {
    /// `state.config_update` of a serving endpoint.
    pub enum EndpointConfigUpdate {
        /// No update in progress.
        NotUpdating = "NOT_UPDATING",
        /// Update in progress.
        InProgress = "IN_PROGRESS",
        /// Last update failed.
        UpdateFailed = "UPDATE_FAILED",
        /// Last update was canceled.
        UpdateCanceled = "UPDATE_CANCELED",
    }
}

/// `state` of a serving endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServingEndpointState {
    /// Readiness.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<EndpointReady>,
    /// Config update progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_update: Option<EndpointConfigUpdate>,
}

/// A serving endpoint (`ServingEndpoint` / `ServingEndpointDetailed`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServingEndpoint {
    /// Endpoint name.
    #[serde(default)]
    pub name: String,
    /// Endpoint id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<String>,
    /// Creation time (epoch ms).
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub creation_timestamp: Option<i64>,
    /// Last update (epoch ms).
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_updated_timestamp: Option<i64>,
    /// Task (`llm/v1/chat`, `llm/v1/embeddings`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// Readiness and update progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ServingEndpointState>,
    /// Current config, kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Value>,
    /// Pending config, kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_config: Option<Value>,
    /// `true` for route-optimized endpoints (query them on `endpoint_url` with a data-plane
    /// token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_optimized: Option<bool>,
    /// Data-plane URL of a route-optimized endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    /// Data-plane info, kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_plane_info: Option<Value>,
    /// Other fields (`tags`, `ai_gateway`, `permission_level`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ServingEndpoint {
    /// `true` when `route_optimized` is set.
    pub fn is_route_optimized(&self) -> bool {
        self.route_optimized == Some(true)
    }

    /// `true` when ready and not updating.
    pub fn is_ready(&self) -> bool {
        self.state.as_ref().is_some_and(|s| {
            s.ready == Some(EndpointReady::Ready)
                && s.config_update
                    .as_ref()
                    .is_none_or(|u| *u == EndpointConfigUpdate::NotUpdating)
        })
    }

    /// The failed configuration update (`UPDATE_FAILED` or `UPDATE_CANCELED`), if the last
    /// one failed.
    pub fn failed_update(&self) -> Option<&EndpointConfigUpdate> {
        self.state
            .as_ref()
            .and_then(|s| s.config_update.as_ref())
            .filter(|u| {
                matches!(
                    u,
                    EndpointConfigUpdate::UpdateFailed | EndpointConfigUpdate::UpdateCanceled
                )
            })
    }

    /// `true` when the last configuration update failed or was canceled: waiting longer will
    /// not make the endpoint ready.
    pub fn is_failed(&self) -> bool {
        self.failed_update().is_some()
    }

    /// `true` when waiting is over: the endpoint is ready ([`is_ready`](Self::is_ready)) or
    /// its update failed ([`is_failed`](Self::is_failed)).
    ///
    /// ```
    /// use databricks_client::models::ServingEndpoint;
    /// let e: ServingEndpoint = serde_json::from_value(serde_json::json!({
    ///     "name": "churn", "state": {"ready": "NOT_READY", "config_update": "UPDATE_FAILED"}
    /// })).unwrap();
    /// assert!(e.is_failed() && e.is_settled() && !e.is_ready());
    /// assert_eq!(e.state_summary(), "ready=NOT_READY config_update=UPDATE_FAILED");
    /// ```
    pub fn is_settled(&self) -> bool {
        self.is_ready() || self.is_failed()
    }

    /// `ready=… config_update=…` (`?` for an absent value), for progress and error messages.
    pub fn state_summary(&self) -> String {
        let st = self.state.as_ref();
        format!(
            "ready={} config_update={}",
            st.and_then(|s| s.ready.as_ref())
                .map_or("?", EndpointReady::as_str),
            st.and_then(|s| s.config_update.as_ref())
                .map_or("?", EndpointConfigUpdate::as_str)
        )
    }

    /// The served entities of the current config as `entity_name@entity_version` (`?` for an
    /// absent part).
    pub fn served_entity_labels(&self) -> Vec<String> {
        self.config
            .as_ref()
            .and_then(|c| c.get("served_entities"))
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|s| {
                        format!(
                            "{}@{}",
                            s.get("entity_name").and_then(Value::as_str).unwrap_or("?"),
                            s.get("entity_version")
                                .and_then(Value::as_str)
                                .unwrap_or("?")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// One served entity of an endpoint config.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServedEntity {
    /// Served entity name (defaults server-side).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// UC model or foundation model name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_name: Option<String>,
    /// Model version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_version: Option<String>,
    /// `Small`, `Medium`, `Large`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_size: Option<String>,
    /// Scale to zero.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_to_zero_enabled: Option<bool>,
    /// `CPU`, `GPU_SMALL`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_type: Option<String>,
    /// External model config, kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_model: Option<Value>,
    /// Provisioned throughput lower bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_provisioned_throughput: Option<i64>,
    /// Provisioned throughput upper bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_provisioned_throughput: Option<i64>,
    /// Environment variables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment_vars: BTreeMap<String, String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ServedEntity {
    /// Serves `entity_name` version `entity_version`.
    pub fn new(entity_name: impl Into<String>, entity_version: impl Into<String>) -> Self {
        Self {
            entity_name: Some(entity_name.into()),
            entity_version: Some(entity_version.into()),
            ..Self::default()
        }
    }
    /// Sets the workload size.
    #[must_use]
    pub fn with_workload_size(mut self, size: impl Into<String>) -> Self {
        self.workload_size = Some(size.into());
        self
    }
    /// Sets scale-to-zero.
    #[must_use]
    pub fn with_scale_to_zero(mut self, enabled: bool) -> Self {
        self.scale_to_zero_enabled = Some(enabled);
        self
    }
}

/// An endpoint config (`config` of create, body of `PUT …/config`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EndpointCoreConfig {
    /// Served entities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub served_entities: Vec<ServedEntity>,
    /// Traffic routes, kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_config: Option<Value>,
    /// Inference table config, kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_capture_config: Option<Value>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl EndpointCoreConfig {
    /// A config serving `entity`.
    pub fn new(entity: ServedEntity) -> Self {
        Self {
            served_entities: vec![entity],
            ..Self::default()
        }
    }
}

/// Body of `POST /api/2.0/serving-endpoints`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreateServingEndpoint {
    /// Endpoint name.
    pub name: String,
    /// Config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<EndpointCoreConfig>,
    /// Route optimization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_optimized: Option<bool>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Other fields (`ai_gateway`, `tags`, `budget_policy_id`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CreateServingEndpoint {
    /// An endpoint `name` with `config`.
    pub fn new(name: impl Into<String>, config: EndpointCoreConfig) -> Self {
        Self {
            name: name.into(),
            config: Some(config),
            ..Self::default()
        }
    }
}

/// One chat message (`{role, content}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChatMessage {
    /// `system`, `user`, `assistant`, …
    pub role: String,
    /// Text.
    #[serde(default)]
    pub content: String,
}

impl ChatMessage {
    /// A message with `role`.
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            role: role.into(),
            content: content.into(),
        }
    }
    /// A `user` message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::new("user", content)
    }
    /// A `system` message.
    pub fn system(content: impl Into<String>) -> Self {
        Self::new("system", content)
    }
}

/// Body of `POST /serving-endpoints/{name}/invocations`.
///
/// Pick the constructor that matches the endpoint type: [`ServingQuery::dataframe_records`],
/// [`ServingQuery::inputs`] or [`ServingQuery::instances`] for custom models,
/// [`ServingQuery::chat`] for chat models, [`ServingQuery::embeddings`] for embeddings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServingQuery {
    /// Pandas records orientation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataframe_records: Option<Vec<Value>>,
    /// Pandas split orientation (`{columns, data}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataframe_split: Option<Value>,
    /// Tensor rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances: Option<Vec<Value>>,
    /// Tensor columns / free-form inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Value>,
    /// Chat messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<ChatMessage>>,
    /// Completion prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<Value>,
    /// Embeddings input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    /// Max generated tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Stop sequences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Vec<String>>,
    /// Number of choices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    /// Other fields (`extra_params`, `usage_context`, `client_request_id`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ServingQuery {
    /// `{"dataframe_records": [...]}`.
    pub fn dataframe_records(records: Vec<Value>) -> Self {
        Self {
            dataframe_records: Some(records),
            ..Self::default()
        }
    }
    /// `{"instances": [...]}`.
    pub fn instances(instances: Vec<Value>) -> Self {
        Self {
            instances: Some(instances),
            ..Self::default()
        }
    }
    /// `{"inputs": ...}`.
    pub fn inputs(inputs: Value) -> Self {
        Self {
            inputs: Some(inputs),
            ..Self::default()
        }
    }
    /// `{"messages": [...]}` for chat endpoints.
    pub fn chat(messages: Vec<ChatMessage>) -> Self {
        Self {
            messages: Some(messages),
            ..Self::default()
        }
    }
    /// `{"input": ...}` for embeddings endpoints.
    pub fn embeddings(input: impl Into<Value>) -> Self {
        Self {
            input: Some(input.into()),
            ..Self::default()
        }
    }
    /// Sets `max_tokens`.
    #[must_use]
    pub fn with_max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }
    /// Sets `temperature`.
    #[must_use]
    pub fn with_temperature(mut self, temperature: f64) -> Self {
        self.temperature = Some(temperature);
        self
    }
}

/// One chat/completion choice.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServingChoice {
    /// Index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<i64>,
    /// Chat message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<ChatMessage>,
    /// Completion text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Finish reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
}

/// Response of an invocation: `predictions` for custom models, OpenAI-style fields for
/// foundation and external models.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServingQueryResponse {
    /// Custom model output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predictions: Option<Value>,
    /// Response id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Object type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Chat/completion choices.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<ServingChoice>,
    /// Embeddings (`[{embedding, index}]`), kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// Token usage, kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Value>,
    /// The `served-model-name` response header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_model_name: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ServingQueryResponse {
    /// The first choice's message text (chat) or text (completions).
    pub fn text(&self) -> Option<&str> {
        let choice = self.choices.first()?;
        choice
            .message
            .as_ref()
            .map(|m| m.content.as_str())
            .or(choice.text.as_deref())
    }
}
