//! The pure reconcile step: (DataSource, provider outcome, now) → (status, children).

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::types::{
    AvailableModel, Condition, ConditionStatus, DataSourceResource, DataSourceStatus,
};
use super::validate::validate;

/// Condition type: the spec passed validation.
pub const CONDITION_ACCEPTED: &str = "Accepted";
/// Condition type: the provider answered with the configured credentials.
pub const CONDITION_CONNECTED: &str = "Connected";
/// Condition type: every selected semantic model exists on the provider.
pub const CONDITION_MODELS_RESOLVED: &str = "ModelsResolved";
/// Condition type: the credential reaches the server under the variable it reads.
pub const CONDITION_CREDENTIALS_MAPPED: &str = "CredentialsMapped";
/// Condition type: the tool server is generated and up to date.
pub const CONDITION_READY: &str = "Ready";
/// Condition reason of a `DataSource` using workload identity: `Connected` is `Unknown`
/// because the controller cannot use the tool server's projected token.
pub const REASON_WORKLOAD_IDENTITY: &str = "WorkloadIdentity";

/// Why the provider could not be reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// The credential was rejected (HTTP 401 and the like).
    Unauthenticated,
    /// The credential is valid but lacks a permission.
    PermissionDenied,
    /// The provider is down, unreachable or timed out; retrying may help.
    Unavailable,
    /// Anything else (bad configuration, unexpected answer).
    Other,
    /// The Secret named in `credentialsSecretRef` does not exist.
    SecretNotFound,
    /// The Secret exists but lacks the key named in `credentialsSecretRef`.
    SecretKeyNotFound,
}

impl FailureKind {
    /// The condition reason for this failure.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Unauthenticated => "AuthenticationFailed",
            Self::PermissionDenied => "PermissionDenied",
            Self::Unavailable => "ProviderUnavailable",
            Self::Other => "ConnectionFailed",
            Self::SecretNotFound => "SecretNotFound",
            Self::SecretKeyNotFound => "SecretKeyNotFound",
        }
    }
}

/// A failed connection test or discovery.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProviderFailure {
    /// Classification, which picks the condition reason.
    pub kind: FailureKind,
    /// The provider's message (never containing a credential).
    pub message: String,
}

impl ProviderFailure {
    /// A failure of the given kind.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// What the controller should do with the child objects.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Children {
    /// Create or update these objects (server-side apply) and delete other objects labelled
    /// with this `DataSource` that are not in the list.
    Apply(Vec<Value>),
    /// Leave the existing children exactly as they are (the last good tool server keeps
    /// serving running agents); create nothing.
    KeepExisting,
}

impl Children {
    /// The manifests to apply (empty for [`Children::KeepExisting`]).
    pub fn manifests(&self) -> &[Value] {
        match self {
            Self::Apply(m) => m,
            Self::KeepExisting => &[],
        }
    }
}

/// The result of one reconcile.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ReconcileOutput {
    /// The new `status` to write through the status subresource.
    pub status: DataSourceStatus,
    /// The child objects.
    pub children: Children,
}

/// Reconciles a `DataSource` given the outcome of the provider's connection test and model
/// discovery.
///
/// This is the pure core of [`reconcile`](fn@super::reconcile): no IO, deterministic for a given
/// `now`. Branches:
///
/// - invalid spec → `Accepted=False` (reason `InvalidSpec`, the message names the field),
///   existing children kept;
/// - provider failure → `Connected=False` with the failure's reason; the previous
///   `availableModels` and `generatedToolServer` are kept and so are the children;
/// - selected models missing → `ModelsResolved=False` (reason `ModelsNotFound`, listing them),
///   children kept;
/// - otherwise → `Ready=True` and the tool-server manifests to apply.
///
/// A Databricks `DataSource` with `workloadIdentity` is never connected to by the controller
/// (the projected token belongs to the tool-server pod): `discovery` is ignored,
/// `CredentialsMapped=True` and `Connected=Unknown` (reason [`REASON_WORKLOAD_IDENTITY`]),
/// `ModelsResolved` is `Unknown` when models are selected, and `Ready=True` with the
/// tool-server manifests to apply.
///
/// `observedGeneration` (status and every condition) is `metadata.generation`;
/// `lastTransitionTime` changes only when a condition's status changes.
pub fn reconcile_discovered(
    ds: &DataSourceResource,
    discovery: Result<Vec<AvailableModel>, ProviderFailure>,
    now: SystemTime,
) -> ReconcileOutput {
    let previous = ds.status.clone().unwrap_or_default();
    let generation = ds.metadata.generation;
    let mut builder = StatusBuilder {
        previous: &previous,
        generation,
        now: rfc3339(now),
        conditions: Vec::new(),
    };
    let mut status = DataSourceStatus {
        conditions: Vec::new(),
        available_models: previous.available_models.clone(),
        generated_tool_server: previous.generated_tool_server.clone(),
        observed_generation: generation,
        warehouse_id: previous.warehouse_id.clone(),
    };
    let keep_note = match &previous.generated_tool_server {
        Some(ts) => format!(
            "; the existing {} {} is kept unchanged",
            ts.kind.as_deref().unwrap_or("tool server"),
            ts.name
        ),
        None => String::new(),
    };

    let valid = match validate(ds) {
        Ok(valid) => valid,
        Err(err) => {
            let message = err.to_string();
            builder.set(
                CONDITION_ACCEPTED,
                ConditionStatus::False,
                "InvalidSpec",
                &message,
            );
            builder.set(
                CONDITION_CONNECTED,
                ConditionStatus::Unknown,
                "InvalidSpec",
                "not checked: the spec is invalid",
            );
            builder.set(
                CONDITION_READY,
                ConditionStatus::False,
                "InvalidSpec",
                &format!("invalid spec: {message}{keep_note}"),
            );
            status.conditions = builder.conditions;
            return ReconcileOutput {
                status,
                children: Children::KeepExisting,
            };
        }
    };
    builder.set(
        CONDITION_ACCEPTED,
        ConditionStatus::True,
        "SpecValid",
        "the spec is valid",
    );
    if valid.uses_workload_identity() {
        return workload_identity(ds, &valid, builder, status);
    }
    match valid.credentials_problem() {
        Some(problem) => builder.set(
            CONDITION_CREDENTIALS_MAPPED,
            ConditionStatus::False,
            "SecretKeyNotEnvVarName",
            &problem,
        ),
        None => builder.set(
            CONDITION_CREDENTIALS_MAPPED,
            ConditionStatus::True,
            "SecretReferenced",
            "credentials come from Secret references",
        ),
    }

    let discovered = match discovery {
        Ok(models) => models,
        Err(failure) => {
            let reason = failure.kind.reason();
            builder.set(
                CONDITION_CONNECTED,
                ConditionStatus::False,
                reason,
                &format!("{}: {}", valid.provider, failure.message),
            );
            builder.set(
                CONDITION_MODELS_RESOLVED,
                ConditionStatus::Unknown,
                "NotConnected",
                "models were not checked: the provider is not connected",
            );
            builder.set(
                CONDITION_READY,
                ConditionStatus::False,
                reason,
                &format!("cannot reach {}{keep_note}", valid.provider),
            );
            status.conditions = builder.conditions;
            return ReconcileOutput {
                status,
                children: Children::KeepExisting,
            };
        }
    };
    builder.set(
        CONDITION_CONNECTED,
        ConditionStatus::True,
        "ConnectionSuccessful",
        &format!(
            "connected to {}; {} semantic model(s) discovered",
            valid.provider,
            discovered.len()
        ),
    );
    status.available_models = discovered;

    let missing: Vec<&str> = ds
        .spec
        .semantic_models
        .iter()
        .map(|m| m.name.as_str())
        .filter(|name| {
            // Short or qualified, any case: `revenue_metrics` and `main.sales.revenue_metrics`
            // both select the discovered `revenue_metrics` in `main.sales`.
            !status
                .available_models
                .iter()
                .any(|a| crate::selector_matches(name, &qualified_name(a)))
        })
        .collect();
    if !missing.is_empty() {
        let available: Vec<&str> = status
            .available_models
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        let message = format!(
            "selected semantic models not found: {}; available: {}. Fix spec.semanticModels",
            missing.join(", "),
            if available.is_empty() {
                "none".to_owned()
            } else {
                available.join(", ")
            }
        );
        builder.set(
            CONDITION_MODELS_RESOLVED,
            ConditionStatus::False,
            "ModelsNotFound",
            &message,
        );
        builder.set(
            CONDITION_READY,
            ConditionStatus::False,
            "ModelsNotFound",
            &format!("{message}{keep_note}"),
        );
        status.conditions = builder.conditions;
        return ReconcileOutput {
            status,
            children: Children::KeepExisting,
        };
    }
    let models: Vec<String> = ds
        .spec
        .semantic_models
        .iter()
        .map(|m| m.name.clone())
        .collect();
    builder.set(
        CONDITION_MODELS_RESOLVED,
        ConditionStatus::True,
        "ModelsFound",
        &if models.is_empty() {
            "no models selected: every discovered model is exposed".to_owned()
        } else {
            format!("exposing {}", models.join(", "))
        },
    );
    let status = tool_server_created(&valid, builder, status);
    ReconcileOutput {
        status,
        children: Children::Apply(valid.manifests(&models)),
    }
}

/// `catalog.schema.name` of a discovered model, as far as its location is known.
fn qualified_name(model: &AvailableModel) -> String {
    [model.catalog.as_deref(), model.schema.as_deref()]
        .into_iter()
        .flatten()
        .chain(std::iter::once(model.name.as_str()))
        .collect::<Vec<_>>()
        .join(".")
}

/// The reconcile of a workload-identity `DataSource`: the controller has no projected token
/// of its own, so it neither connects nor discovers; the tool server authenticates itself.
fn workload_identity(
    ds: &DataSourceResource,
    valid: &super::validate::Valid<'_>,
    mut builder: StatusBuilder<'_>,
    status: DataSourceStatus,
) -> ReconcileOutput {
    builder.set(
        CONDITION_CREDENTIALS_MAPPED,
        ConditionStatus::True,
        REASON_WORKLOAD_IDENTITY,
        "no Secret: the tool server exchanges its projected service-account token for a \
         Databricks token (file-oidc)",
    );
    builder.set(
        CONDITION_CONNECTED,
        ConditionStatus::Unknown,
        REASON_WORKLOAD_IDENTITY,
        &format!(
            "not checked: the tool server authenticates to {} with its own projected \
             service-account token, which the controller does not have, so the controller \
             does not connect; check the tool server's logs for authentication errors",
            valid.provider
        ),
    );
    let models: Vec<String> = ds
        .spec
        .semantic_models
        .iter()
        .map(|m| m.name.clone())
        .collect();
    if models.is_empty() {
        builder.set(
            CONDITION_MODELS_RESOLVED,
            ConditionStatus::True,
            "ModelsFound",
            "no models selected: every model the tool server discovers is exposed",
        );
    } else {
        builder.set(
            CONDITION_MODELS_RESOLVED,
            ConditionStatus::Unknown,
            REASON_WORKLOAD_IDENTITY,
            &format!(
                "not checked (the controller does not connect with workload identity): the \
                 tool server exposes {}",
                models.join(", ")
            ),
        );
    }
    let mut status = tool_server_created(valid, builder, status);
    // Nothing is discovered: no model list to report (an earlier one would be stale), and the
    // tool server picks a warehouse itself unless the spec names one.
    status.available_models = Vec::new();
    status.warehouse_id = ds
        .spec
        .databricks
        .as_ref()
        .and_then(|db| db.warehouse_id.clone());
    ReconcileOutput {
        status,
        children: Children::Apply(valid.manifests(&models)),
    }
}

/// `Ready=True` with the generated tool server: the end of every reconcile that applies the
/// children.
fn tool_server_created(
    valid: &super::validate::Valid<'_>,
    mut builder: StatusBuilder<'_>,
    mut status: DataSourceStatus,
) -> DataSourceStatus {
    let generated = valid.generated_ref();
    builder.set(
        CONDITION_READY,
        ConditionStatus::True,
        "ToolServerCreated",
        &format!(
            "{} {} created successfully",
            valid.kind.as_str(),
            generated.name
        ),
    );
    status.conditions = builder.conditions;
    status.generated_tool_server = Some(generated);
    status
}

struct StatusBuilder<'a> {
    previous: &'a DataSourceStatus,
    generation: Option<i64>,
    now: String,
    conditions: Vec<Condition>,
}

impl StatusBuilder<'_> {
    fn set(&mut self, type_: &str, status: ConditionStatus, reason: &str, message: &str) {
        let last_transition_time = match self.previous.condition(type_) {
            Some(prev) if prev.status == status && prev.last_transition_time.is_some() => {
                prev.last_transition_time.clone()
            }
            _ => Some(self.now.clone()),
        };
        self.conditions.push(Condition {
            type_: type_.to_owned(),
            status,
            observed_generation: self.generation,
            last_transition_time,
            reason: reason.to_owned(),
            message: message.to_owned(),
        });
    }
}

/// Formats a time as RFC 3339 in UTC with second precision (`2026-01-02T03:04:05Z`), the
/// `metav1.Time` wire format.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let days = i64::try_from(secs / 86_400).unwrap_or_default();
    let rem = secs % 86_400;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_709_210_096); // 2024-02-29T12:34:56Z
        assert_eq!(rfc3339(t), "2024-02-29T12:34:56Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_798_761_599); // 2026-12-31T23:59:59Z
        assert_eq!(rfc3339(t), "2026-12-31T23:59:59Z");
    }
}
