//! The reconcile step against a live provider (`Arc<dyn DataSource>`).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::reconcile::{FailureKind, ProviderFailure, ReconcileOutput, reconcile_discovered};
use super::types::{AvailableModel, DataSourceResource};
use super::validate::{Conn, validate};
use crate::{DataSource, Error, ModelScope};

/// How long the connection test plus discovery may take before the provider counts as down.
pub const PROVIDER_TIMEOUT: Duration = Duration::from_secs(60);

/// Reconciles a `DataSource` against its provider.
///
/// `provider` is the result of building the provider from the spec and the credential the
/// controller read from the referenced Secret (an error there, e.g. a missing credential, is
/// reported like a failed connection). The provider is asked to `test_connection` and then to
/// `list_models` in the spec's scope (catalog and schema, database and schema, or project and
/// dataset); the rest is [`reconcile_discovered`]. Nothing else is touched: the caller writes
/// the status and applies the children. An invalid spec never reaches the provider, and neither
/// does a Databricks spec with `workloadIdentity` (the controller has no projected token).
///
/// ```no_run
/// # async fn demo(source: std::sync::Arc<dyn datasource_model::DataSource>) {
/// use datasource_model::kubernetes::{reconcile, DataSourceResource};
/// let ds = DataSourceResource::from_yaml("metadata: {name: demo}\nspec: {provider: Local}\n")
///     .unwrap();
/// let out = reconcile(&ds, Ok(source), std::time::SystemTime::now()).await;
/// println!("ready: {}", out.status.is_ready());
/// # }
/// ```
pub async fn reconcile(
    ds: &DataSourceResource,
    provider: Result<Arc<dyn DataSource>, Error>,
    now: SystemTime,
) -> ReconcileOutput {
    let scope = match validate(ds) {
        // The projected token belongs to the tool-server pod: nothing to test here.
        Ok(valid) if valid.uses_workload_identity() => {
            return reconcile_discovered(ds, Ok(Vec::new()), now);
        }
        Ok(valid) => scope(&valid.conn),
        // Reported by the core without contacting the provider.
        Err(_) => return reconcile_discovered(ds, Ok(Vec::new()), now),
    };
    let discovery = match provider {
        Ok(source) => {
            match tokio::time::timeout(PROVIDER_TIMEOUT, discover(source.as_ref(), &scope)).await {
                Ok(result) => result,
                Err(_) => Err(ProviderFailure::new(
                    FailureKind::Unavailable,
                    format!(
                        "no answer within {}s from {source}",
                        PROVIDER_TIMEOUT.as_secs()
                    ),
                )),
            }
        }
        Err(err) => Err(failure(&err)),
    };
    reconcile_discovered(ds, discovery, now)
}

async fn discover(
    source: &dyn DataSource,
    scope: &ModelScope,
) -> Result<Vec<AvailableModel>, ProviderFailure> {
    source.test_connection().await.map_err(|e| failure(&e))?;
    let models = source.list_models(scope).await.map_err(|e| failure(&e))?;
    Ok(models
        .into_iter()
        .map(|m| {
            // Providers may list fully qualified names (`main.sales.revenue_metrics`); the
            // resource selects models by their short name.
            let short = m.name.rsplit('.').next().unwrap_or(&m.name).to_owned();
            let mut model = AvailableModel::new(short);
            model.catalog = m.catalog;
            model.schema = m.schema;
            model.description = m.description;
            model
        })
        .collect())
}

fn scope(conn: &Conn<'_>) -> ModelScope {
    let (catalog, schema) = match conn {
        Conn::Databricks {
            catalog, schema, ..
        } => (Some(*catalog), *schema),
        Conn::Snowflake { spec, .. } => (spec.database.as_deref(), spec.schema.as_deref()),
        Conn::BigQuery { spec, .. } => (spec.project_id.as_deref(), spec.dataset.as_deref()),
        Conn::Local { .. } => (None, None),
    };
    let mut scope = ModelScope::new();
    if let Some(c) = catalog {
        scope = scope.with_catalog(c);
    }
    if let Some(s) = schema {
        scope = scope.with_schema(s);
    }
    scope
}

/// Classifies a provider error into a condition reason.
pub(crate) fn failure(err: &Error) -> ProviderFailure {
    let kind = match err {
        Error::Unauthenticated { .. } => FailureKind::Unauthenticated,
        Error::PermissionDenied { .. } => FailureKind::PermissionDenied,
        e if e.is_retryable() => FailureKind::Unavailable,
        _ => FailureKind::Other,
    };
    ProviderFailure::new(kind, err.to_string())
}
