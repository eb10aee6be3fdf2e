//! Prometheus metrics of a server (prometheus-client, OpenMetrics text exposition): tool calls
//! by tool and outcome, call latency, rows and bytes returned, quota refusals, metadata cache
//! lookups, and the Databricks client's HTTP requests by status and retries (from its
//! `databricks_request` tracing spans, through [`Metrics::tracing_layer`]).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use datasource_model::{CacheLookup, CacheObserver};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry as PromRegistry;
use tracing::span;
use tracing::subscriber::Subscriber;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// The `Content-Type` of [`Metrics::render`]'s text (OpenMetrics 1.0, which Prometheus scrapes).
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The name of the Databricks client's per-attempt request span.
const REQUEST_SPAN: &str = "databricks_request";

type Labels = Vec<(String, String)>;

/// The metrics of one server. Cheap to clone; every clone counts into the same registry.
///
/// Give it to [`crate::RegistryBuilder::metrics`] (tool calls), to
/// `datasource_model::CachedSourceBuilder::observer` (cache lookups, it is a
/// [`CacheObserver`]) and to the tracing subscriber ([`Metrics::tracing_layer`], backend HTTP
/// requests); serve [`Metrics::render`] at `/metrics`.
///
/// ```
/// use mcp_tools::Metrics;
///
/// let metrics = Metrics::new();
/// let text = metrics.render();
/// assert!(text.contains("# TYPE databricks_http_retries counter"), "{text}");
/// assert!(text.ends_with("# EOF\n"));
/// let render = metrics.renderer(); // for a `/metrics` route
/// assert_eq!(render(), metrics.render());
/// ```
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: PromRegistry,
    tool_calls: Family<Labels, Counter>,
    tool_duration: Family<Labels, Histogram>,
    rows: Family<Labels, Counter>,
    bytes: Family<Labels, Counter>,
    refusals: Family<Labels, Counter>,
    http_requests: Family<Labels, Counter>,
    http_retries: Counter,
    cache_lookups: Family<Labels, Counter>,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn latency_histogram() -> Histogram {
    // 5 ms … ~82 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 15))
}

impl Metrics {
    /// Empty metrics, every family registered.
    pub fn new() -> Self {
        let mut registry = PromRegistry::default();
        let tool_calls = Family::<Labels, Counter>::default();
        registry.register(
            "mcp_tool_calls",
            "Tool calls by served tool name and outcome (ok, error, invalid_params, write_disabled, unknown_tool, internal, rate_limited, concurrency_limited, cancelled)",
            tool_calls.clone(),
        );
        let tool_duration =
            Family::<Labels, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        registry.register(
            "mcp_tool_call_duration_seconds",
            "Tool call latency by served tool name",
            tool_duration.clone(),
        );
        let rows = Family::<Labels, Counter>::default();
        registry.register(
            "mcp_tool_result_rows",
            "Rows returned by tools, by served tool name",
            rows.clone(),
        );
        let bytes = Family::<Labels, Counter>::default();
        registry.register(
            "mcp_tool_result_bytes",
            "Bytes of tool results (text and structured content), by served tool name",
            bytes.clone(),
        );
        let refusals = Family::<Labels, Counter>::default();
        registry.register(
            "mcp_quota_refusals",
            "Tool calls refused by a quota, by reason (rate_limited, concurrency_limited)",
            refusals.clone(),
        );
        let http_requests = Family::<Labels, Counter>::default();
        registry.register(
            "databricks_http_requests",
            "Databricks HTTP request attempts by response status (`error` when no response came)",
            http_requests.clone(),
        );
        let http_retries = Counter::default();
        registry.register(
            "databricks_http_retries",
            "Databricks HTTP request attempts that were retries",
            http_retries.clone(),
        );
        let cache_lookups = Family::<Labels, Counter>::default();
        registry.register(
            "datasource_cache_lookups",
            "Metadata cache lookups by operation (list_models, describe_model) and result (hit, miss)",
            cache_lookups.clone(),
        );
        Self {
            inner: Arc::new(Inner {
                registry,
                tool_calls,
                tool_duration,
                rows,
                bytes,
                refusals,
                http_requests,
                http_retries,
                cache_lookups,
            }),
        }
    }

    /// The OpenMetrics text exposition ([`METRICS_CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(e) = encode(&mut out, &self.inner.registry) {
            tracing::warn!(error = %e, "metrics could not be encoded");
        }
        out
    }

    /// [`Metrics::render`] as a closure, for a serving layer's `/metrics` route.
    pub fn renderer(&self) -> Arc<dyn Fn() -> String + Send + Sync> {
        let metrics = self.clone();
        Arc::new(move || metrics.render())
    }

    /// A `tracing` layer counting the Databricks client's HTTP request attempts by status and
    /// its retries; add it to the subscriber of the process.
    pub fn tracing_layer(&self) -> HttpMetricsLayer {
        HttpMetricsLayer {
            metrics: self.clone(),
        }
    }

    /// Records one finished tool call.
    pub(crate) fn record_call(
        &self,
        tool: &str,
        outcome: &str,
        duration: Duration,
        rows: Option<u64>,
        bytes: u64,
    ) {
        let tool_label = vec![("tool".to_owned(), tool.to_owned())];
        let mut labels = tool_label.clone();
        labels.push(("outcome".to_owned(), outcome.to_owned()));
        self.inner.tool_calls.get_or_create(&labels).inc();
        self.inner
            .tool_duration
            .get_or_create(&tool_label)
            .observe(duration.as_secs_f64());
        if let Some(rows) = rows {
            self.inner.rows.get_or_create(&tool_label).inc_by(rows);
        }
        self.inner.bytes.get_or_create(&tool_label).inc_by(bytes);
    }

    /// Records a quota refusal.
    pub(crate) fn record_refusal(&self, reason: &str) {
        self.inner
            .refusals
            .get_or_create(&vec![("reason".to_owned(), reason.to_owned())])
            .inc();
    }

    fn record_http(&self, status: Option<u16>) {
        let status = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
        self.inner
            .http_requests
            .get_or_create(&vec![("status".to_owned(), status)])
            .inc();
    }
}

impl CacheObserver for Metrics {
    fn on_lookup(&self, lookup: CacheLookup, hit: bool) {
        self.inner
            .cache_lookups
            .get_or_create(&vec![
                ("operation".to_owned(), lookup.as_str().to_owned()),
                (
                    "result".to_owned(),
                    if hit { "hit" } else { "miss" }.to_owned(),
                ),
            ])
            .inc();
    }
}

/// Counts `databricks_request` spans (see [`Metrics::tracing_layer`]).
#[derive(Clone)]
pub struct HttpMetricsLayer {
    metrics: Metrics,
}

impl fmt::Debug for HttpMetricsLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HttpMetricsLayer")
    }
}

/// What a request span recorded so far (kept in the span's extensions).
#[derive(Debug, Default)]
struct RequestFields {
    status: Option<u16>,
    attempt: Option<u64>,
}

impl tracing::field::Visit for RequestFields {
    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        match field.name() {
            "status" => self.status = u16::try_from(value).ok(),
            "attempt" => self.attempt = Some(value),
            _ => {}
        }
    }

    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        if let Ok(v) = u64::try_from(value) {
            self.record_u64(field, v);
        }
    }

    fn record_debug(&mut self, _field: &tracing::field::Field, _value: &dyn fmt::Debug) {}
}

impl<S> Layer<S> for HttpMetricsLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != REQUEST_SPAN {
            return;
        }
        let mut fields = RequestFields::default();
        attrs.record(&mut fields);
        if fields.attempt.is_some_and(|a| a > 1) {
            self.metrics.inner.http_retries.inc();
        }
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(fields) = span.extensions_mut().get_mut::<RequestFields>()
        {
            values.record(fields);
        }
    }

    fn on_close(&self, id: span::Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id)
            && let Some(fields) = span.extensions().get::<RequestFields>()
        {
            self.metrics.record_http(fields.status);
        }
    }
}
