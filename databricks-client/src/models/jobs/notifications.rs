//! Email and webhook notifications, notification settings and health rules.

use serde::{Deserialize, Serialize};

use super::{Extra, HealthMetric};

/// Email notifications (job- or task-level).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EmailNotifications {
    /// On start.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_start: Vec<String>,
    /// On success.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_success: Vec<String>,
    /// On failure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_failure: Vec<String>,
    /// When a duration health rule fires.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_duration_warning_threshold_exceeded: Vec<String>,
    /// When a streaming backlog rule fires.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_streaming_backlog_exceeded: Vec<String>,
    /// Deprecated: no alerts for skipped runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_alert_for_skipped_runs: Option<bool>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl EmailNotifications {
    /// Adds a recipient for failures.
    pub fn with_on_failure(mut self, address: impl Into<String>) -> Self {
        self.on_failure.push(address.into());
        self
    }

    /// Adds a recipient for successes.
    pub fn with_on_success(mut self, address: impl Into<String>) -> Self {
        self.on_success.push(address.into());
        self
    }
}

/// Webhook notifications (job- or task-level).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WebhookNotifications {
    /// On start.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_start: Vec<Webhook>,
    /// On success.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_success: Vec<Webhook>,
    /// On failure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_failure: Vec<Webhook>,
    /// When a duration health rule fires.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_duration_warning_threshold_exceeded: Vec<Webhook>,
    /// When a streaming backlog rule fires.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_streaming_backlog_exceeded: Vec<Webhook>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A notification destination id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Webhook {
    /// Notification destination id.
    #[serde(default)]
    pub id: String,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Webhook {
    /// A destination id.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            extra: Extra::new(),
        }
    }
}

/// Notification settings (job- or task-level).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NotificationSettings {
    /// No alerts for skipped runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_alert_for_skipped_runs: Option<bool>,
    /// No alerts for cancelled runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_alert_for_canceled_runs: Option<bool>,
    /// Task-level only: alert only on the last retry attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_on_last_attempt: Option<bool>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Health rules.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HealthRules {
    /// Rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<HealthRule>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One health rule: `metric op value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HealthRule {
    /// Metric.
    pub metric: HealthMetric,
    /// Operator (`GREATER_THAN`).
    #[serde(default)]
    pub op: String,
    /// Threshold.
    #[serde(default)]
    pub value: i64,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl HealthRule {
    /// `metric > value`.
    pub fn greater_than(metric: HealthMetric, value: i64) -> Self {
        Self {
            metric,
            op: "GREATER_THAN".to_owned(),
            value,
            extra: Extra::new(),
        }
    }
}
